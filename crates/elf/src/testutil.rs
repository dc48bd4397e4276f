//! Test helpers: aligned buffers, and "mapping" a real file into memory the way a loader lays
//! out its `PT_LOAD` segments, so the views can be tested on system libraries.

use crate::consts::{PT_DYNAMIC, PT_LOAD};
use crate::dynamic::DynamicInfo;
use crate::header::{parse_ehdr, phdrs};
use crate::image::Image;
use crate::pod;
use crate::symbols::StrTab;
use crate::types::{Dyn, Phdr};

/// Bytes in 8-byte aligned storage, as a loader's buffers are.
pub struct Aligned {
    words: Vec<u64>,
    len: usize,
}

impl Aligned {
    pub fn bytes(&self) -> &[u8] {
        &pod::as_bytes(&self.words)[..self.len]
    }
}

pub fn aligned(bytes: &[u8]) -> Aligned {
    let mut words = vec![0u64; bytes.len().div_ceil(8)];
    pod::as_bytes_mut(&mut words)[..bytes.len()].copy_from_slice(bytes);
    Aligned {
        words,
        len: bytes.len(),
    }
}

/// A file laid out at its link-time addresses: each `PT_LOAD`'s file bytes copied to
/// `p_vaddr - span_start`, the rest (gaps and bss) zero.
pub struct Mapped {
    pub memory: Aligned,
    pub span_start: u64,
    pub phdrs: Vec<Phdr>,
}

pub fn map_file(path: &str) -> Mapped {
    let file = aligned(&std::fs::read(path).unwrap());
    let ehdr = parse_ehdr(file.bytes()).unwrap();
    let phdrs = phdrs(file.bytes(), ehdr).unwrap().to_vec();
    let loads = || phdrs.iter().filter(|p| p.p_type == PT_LOAD);
    let span_start = loads().map(|p| p.p_vaddr & !0xfff).min().unwrap();
    let span_end = loads().map(|p| p.p_vaddr + p.p_memsz).max().unwrap();
    let mut memory = vec![0u8; (span_end - span_start) as usize];
    for p in loads() {
        let to = (p.p_vaddr - span_start) as usize;
        let from = p.p_offset as usize;
        let len = p.p_filesz as usize;
        memory[to..to + len].copy_from_slice(&file.bytes()[from..from + len]);
    }
    Mapped {
        memory: aligned(&memory),
        span_start,
        phdrs,
    }
}

impl Mapped {
    pub fn image(&self) -> Image<'_> {
        Image::new(self.memory.bytes(), self.span_start, &self.phdrs)
    }

    pub fn dynamic(&self) -> &[Dyn] {
        let p = self.phdrs.iter().find(|p| p.p_type == PT_DYNAMIC).unwrap();
        self.image().slice(p.p_vaddr, p.p_memsz / 16).unwrap()
    }

    pub fn info(&self) -> DynamicInfo {
        DynamicInfo::parse(self.dynamic()).unwrap()
    }

    pub fn strtab(&self) -> StrTab<'_> {
        StrTab::from_dynamic(&self.image(), &self.info()).unwrap()
    }
}

pub const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";
