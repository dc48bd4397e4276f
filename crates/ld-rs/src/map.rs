//! Mapping an ELF file into memory: `open_verify` checks the headers, `map_segments` lays
//! the `PT_LOAD` segments out as the kernel would.
//!
//! # How an object is mapped
//! The segments of a shared object must keep the distances between them that
//! the static linker chose, because code reaches data PC-relatively.  So we
//! first reserve the whole span — lowest `p_vaddr` to highest `p_vaddr +
//! p_memsz` — with one inaccessible anonymous mapping (for `ET_DYN` anywhere
//! the kernel likes that is a multiple of the segments' largest `p_align`,
//! for `ET_EXEC` at its fixed address), then map each
//! segment over its part of the reservation from the file, with its own
//! permissions.  Holes between segments stay inaccessible.
//!
//! `p_memsz` may exceed `p_filesz`: the rest is `.bss`, which must read as
//! zero.  The file mapping covers whole pages, so the tail of the last
//! file-backed page holds whatever follows in the file; we clear it, and the
//! pages beyond come from the anonymous reservation, made accessible.
//!
//! A file shorter than its segments claim is refused here: mapping past the
//! end of a file succeeds, but touching such a page raises SIGBUS (glibc dies
//! that way on a truncated library).

use alloc::vec;
use alloc::vec::Vec;
use elf::consts::*;
use elf::{Ehdr, Image, Phdr};

use crate::sys::{self, Fd};

/// An opened, verified ELF file, ready to map.
pub struct Opened {
    pub fd: Fd,
    pub ehdr: Ehdr,
    pub phdrs: Vec<Phdr>,
    pub size: u64,
    pub dev: u64,
    pub ino: u64,
    /// `st_mode`, for the set-user-ID check on secure-mode preloads.
    pub mode: u32,
    /// The file's identity, which the launch cache records (`launch.rs`).
    pub id: sys::FileId,
}

/// Why a file could not be used, in glibc's wording.
#[derive(Clone, Copy, Debug)]
pub enum OpenError {
    /// The file could not be opened (or read) at all.
    Sys(sys::Errno),
    /// It is not an ELF object we can load; the text says why.
    Bad(&'static str),
    /// An ELF object for another machine: a search skips these silently.
    WrongMachine,
    /// A 32-bit object: a search skips these too, but remembers it saw one.
    WrongClass,
    /// The file opened but could not be read ("cannot read file data").
    Read(sys::Errno),
}

/// How many bytes of the file head to read first: enough for the ELF header
/// and, in nearly every file, the program headers (glibc reads the same amount).
const HEAD: usize = 832;

/// Opens `path` and checks that it is an ELF object we can load.
pub fn open_verify(path: &[u8]) -> Result<Opened, OpenError> {
    let mut cpath = Vec::with_capacity(path.len() + 1);
    cpath.extend_from_slice(path);
    cpath.push(0);
    open_verify_c(&cpath)
}

/// `open_verify` of a path given with its final NUL (`cpath`), as the
/// library search builds them.
pub fn open_verify_c(cpath: &[u8]) -> Result<Opened, OpenError> {
    match sys::CPath::new(cpath) {
        Some(c) => open_verify_cpath(&c),
        None => Err(OpenError::Sys(sys::Errno::ENOENT)),
    }
}

/// `open_verify` of a path already checked for inner NULs.
pub fn open_verify_cpath(c: &sys::CPath) -> Result<Opened, OpenError> {
    let fd = sys::open(c, sys::O_RDONLY, 0).map_err(OpenError::Sys)?;
    // A file that opened but cannot be examined or read ends a search (as
    // in glibc): only a failure to open it lets the search go on.
    let st = fd.stat().map_err(OpenError::Read)?;
    if st.st_mode & sys::S_IFMT == sys::S_IFDIR {
        // Opening a directory succeeds; reading it is what fails, and that
        // is the error glibc reports.
        return Err(OpenError::Read(sys::Errno(21)));
    }
    // Read into u64 words: the header views need 8-byte alignment.
    let mut words = [0u64; HEAD / 8];
    let n = fd
        .pread_full(elf::pod::as_bytes_mut(&mut words), 0)
        .map_err(OpenError::Read)?;
    let head = &elf::pod::as_bytes(&words)[..n];
    let ehdr = match elf::parse_ehdr(head) {
        Ok(e) => *e,
        Err(e) if e == elf::Error::WRONG_MACHINE => return Err(OpenError::WrongMachine),
        // Any class but ELFCLASS64 is reported as glibc does, as the other one.
        Err(e) if e == elf::Error::WRONG_CLASS || head.starts_with(b"\x7fELF") && head.len() >= 16 && head[4] != 2 => {
            return Err(OpenError::WrongClass)
        }
        Err(e) => return Err(OpenError::Bad(e.0)),
    };
    let (off, len) = elf::phdr_range(&ehdr).map_err(|e| OpenError::Bad(e.0))?;
    // The headers are copied into their own vector, aligned: from the first
    // read when it holds them (at any offset, aligned or not, as glibc reads
    // them), else read on their own (post-link tools such as BOLT put them
    // at the end).  `len` is exactly `e_phnum` headers (`phdr_range`).
    const ZERO: Phdr = Phdr {
        p_type: 0,
        p_flags: 0,
        p_offset: 0,
        p_vaddr: 0,
        p_paddr: 0,
        p_filesz: 0,
        p_memsz: 0,
        p_align: 0,
    };
    let mut phdrs = vec![ZERO; ehdr.e_phnum as usize];
    let bytes = elf::pod::as_bytes_mut(&mut phdrs);
    if bytes.len() != len {
        return Err(OpenError::Bad("program header table out of range"));
    }
    match off.checked_add(len).and_then(|end| head.get(off..end)) {
        Some(held) => bytes.copy_from_slice(held),
        None => {
            let got = fd.pread_full(bytes, off as u64).map_err(OpenError::Read)?;
            if got < len {
                return Err(OpenError::Bad("cannot read file data"));
            }
        }
    }
    Ok(Opened {
        fd,
        ehdr,
        phdrs,
        size: st.st_size as u64,
        dev: st.st_dev,
        mode: st.st_mode,
        ino: st.st_ino,
        id: st.file_id(),
    })
}

/// True for a fixed-address program with neither `PT_INTERP` nor
/// `PT_DYNAMIC`: statically linked, for the kernel to run.
pub fn is_static_exec(path: &[u8]) -> bool {
    let Ok(file) = open_verify(path) else {
        return false;
    };
    let has = |t: u32| file.phdrs.iter().any(|p| p.p_type == t);
    file.ehdr.e_type == ET_EXEC && !has(PT_INTERP) && !has(PT_DYNAMIC)
}

/// A mapped object: where it landed and a view of its memory.
pub struct Mapped {
    pub base: usize,
    pub phdrs: &'static [Phdr],
    pub image: Image<'static>,
    /// The memory `phdrs` points into: the object's record keeps it.
    pub phdr_copy: PhdrCopy,
}

/// A heap copy of an object's program headers, which its record's
/// `&'static [Phdr]` (like its `Image` over the mapping) borrows for as long
/// as the record lives; freed with the record.
pub struct PhdrCopy(*mut [Phdr]);

impl PhdrCopy {
    fn new(phdrs: &[Phdr]) -> (PhdrCopy, &'static [Phdr]) {
        let raw = alloc::boxed::Box::into_raw(phdrs.to_vec().into_boxed_slice());
        // SAFETY: `raw` is a live allocation owned by the returned guard; the
        // slice handed out is used only by the record that owns the guard.
        (PhdrCopy(raw), unsafe { &*raw })
    }
}

impl Drop for PhdrCopy {
    fn drop(&mut self) {
        // SAFETY: from `Box::into_raw` in `new`; dropped once, with the record.
        drop(unsafe { alloc::boxed::Box::from_raw(self.0) });
    }
}

/// The `mmap` protection for a segment's `p_flags`.
pub fn prot_of(flags: u32) -> usize {
    let mut prot = 0;
    if flags & PF_R != 0 {
        prot |= sys::PROT_READ;
    }
    if flags & PF_W != 0 {
        prot |= sys::PROT_WRITE;
    }
    if flags & PF_X != 0 {
        prot |= sys::PROT_EXEC;
    }
    prot
}

/// Checks the `PT_LOAD` headers against the file before anything is mapped.
/// glibc's checks come first, in its order and words, so a corrupt file gets
/// the same message; ours (which glibc lacks, and dies of SIGBUS for) follow.
fn check_loads(file: &Opened, page: u64) -> Result<(), &'static str> {
    let loads = || file.phdrs.iter().filter(|p| p.p_type == PT_LOAD);
    let map_start = |p: &Phdr| p.p_vaddr & !(page - 1);
    let map_end = |p: &Phdr| p.p_vaddr.saturating_add(p.p_filesz).saturating_add(page - 1) & !(page - 1);
    for p in loads() {
        if p.p_vaddr.wrapping_sub(p.p_offset) & (page - 1) != 0 {
            return Err("ELF load command address/offset not page-aligned");
        }
    }
    let (Some(first), Some(last)) = (loads().next(), loads().next_back()) else {
        return Err("object file has no loadable segments");
    };
    // A PT_DYNAMIC without file bytes marks a separate debug-info file.
    let dynamic = || file.phdrs.iter().filter(|p| p.p_type == PT_DYNAMIC);
    if dynamic().next().is_none() || dynamic().any(|p| p.p_filesz == 0) {
        return Err("object file has no dynamic section");
    }
    // Segments must not overlap: glibc checks that the first one's file
    // mapping ends before the last one starts (when there are gaps to protect).
    let has_holes = loads().zip(loads().skip(1)).any(|(a, b)| map_end(a) != map_start(b));
    if file.ehdr.e_type == ET_DYN && has_holes && map_start(last) < map_end(first) {
        return Err("ELF load command address/offset not page-aligned");
    }
    // Each segment is mapped over the pages of the ones before it: they
    // must come in ascending order, no two sharing a page (the gABI's order;
    // glibc maps overlapping ones and runs what they overwrote).
    let page_end = |p: &Phdr| {
        p.p_vaddr
            .checked_add(p.p_memsz)
            .and_then(|e| e.checked_add(page - 1))
            .map(|e| e & !(page - 1))
    };
    if loads()
        .zip(loads().skip(1))
        .any(|(a, b)| page_end(a).is_none_or(|end| map_start(b) < end))
    {
        return Err("ELF load commands overlap or are out of order");
    }
    for p in loads() {
        if p.p_filesz > p.p_memsz {
            return Err("ELF load command has a file size larger than its memory size");
        }
        match p.p_offset.checked_add(p.p_filesz) {
            Some(end) if end <= file.size => {}
            _ => return Err("ELF load command past end of file"),
        }
        if p.p_vaddr.checked_add(p.p_memsz).is_none() {
            return Err("ELF load command address out of range");
        }
    }
    Ok(())
}

/// Maps every `PT_LOAD` of `file`.  On error nothing stays mapped.
pub fn map_segments(file: &Opened, page: usize) -> Result<Mapped, &'static str> {
    check_loads(file, page as u64)?;
    let (lo, hi) = crate::dso::span(&file.phdrs);
    let len = (hi - lo) as usize;
    let fixed = file.ehdr.e_type == ET_EXEC;
    let start = if fixed {
        // SAFETY: a new reservation; MAP_FIXED_NOREPLACE fails rather than
        // replace an existing mapping.
        unsafe {
            sys::mmap(
                lo as usize,
                len,
                sys::PROT_NONE,
                sys::MAP_PRIVATE | sys::MAP_ANONYMOUS | sys::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        }
        .map_err(|_| "failed to map segment from shared object")?
    } else {
        reserve_aligned(len, load_align(&file.phdrs, page), page)?
    };
    if fixed && start != lo as usize {
        // An old kernel ignoring MAP_FIXED_NOREPLACE: the address is taken.
        // SAFETY: the mapping we just made, unused.
        let _ = unsafe { sys::munmap(start, len) };
        return Err("cannot map executable at its fixed address");
    }
    let base = start.wrapping_sub(lo as usize);
    let unmap = || {
        // SAFETY: the reservation is ours and nothing refers into it yet.
        let _ = unsafe { sys::munmap(start, len) };
    };
    for p in file.phdrs.iter().filter(|p| p.p_type == PT_LOAD) {
        if let Err(e) = map_one(file, p, base, page) {
            unmap();
            return Err(e);
        }
    }
    let (phdr_copy, phdrs) = PhdrCopy::new(&file.phdrs);
    // SAFETY: [start, start+len) is our reservation, which stays mapped for the
    // life of the object.
    let image = unsafe { image_of(start, len, lo, phdrs) };
    Ok(Mapped {
        base,
        phdrs,
        image,
        phdr_copy,
    })
}

/// The alignment an `ET_DYN` object's mapping gets: the largest `p_align`
/// of its `PT_LOAD` segments, when that is a power of two (others are
/// ignored, as glibc 2.35+ ignores them: dl-load.c keeps the maximum
/// over the power-of-two values only); never less than a page.
///
/// Static linkers give segments `-z max-page-size` alignment (2 MiB with
/// `-z max-page-size=0x200000`), and a variable declared `aligned(2 MiB)` is
/// only aligned at run time if the object's base is.  glibc 2.36 aligns
/// every `ET_DYN` object it maps this way (the program too when it is named
/// on the loader's command line); a fixed-address `ET_EXEC` is placed where
/// it was linked.
fn load_align(phdrs: &[Phdr], page: usize) -> usize {
    phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_align.is_power_of_two())
        .map(|p| p.p_align)
        .max()
        .and_then(|a| usize::try_from(a).ok())
        .map_or(page, |a| a.max(page))
}

/// Reserves `len` inaccessible bytes anywhere, starting at a multiple of
/// `align` (a power of two, at least `page`): more than needed is reserved
/// and the slack on both sides given back.
fn reserve_aligned(len: usize, align: usize, page: usize) -> Result<usize, &'static str> {
    let failed = |_| "failed to map segment from shared object";
    if align <= page {
        // SAFETY: a new reservation; without MAP_FIXED it cannot replace anything.
        return unsafe { sys::mmap(0, len, sys::PROT_NONE, sys::MAP_PRIVATE | sys::MAP_ANONYMOUS, -1, 0) }
            .map_err(failed);
    }
    let total = len
        .checked_add(align)
        .ok_or("failed to map segment from shared object")?;
    // SAFETY: as above.
    let raw =
        unsafe { sys::mmap(0, total, sys::PROT_NONE, sys::MAP_PRIVATE | sys::MAP_ANONYMOUS, -1, 0) }.map_err(failed)?;
    let start = (raw + align - 1) & !(align - 1);
    let end = start + len;
    if start > raw {
        // SAFETY: the unused head of the reservation just made, ours alone.
        let _ = unsafe { sys::munmap(raw, start - raw) };
    }
    if raw + total > end {
        // SAFETY: the unused tail of the same reservation (`len` is whole pages).
        let _ = unsafe { sys::munmap(end, raw + total - end) };
    }
    Ok(start)
}

/// The `Image` of an object whose span `[lo, lo + len)` (link-time
/// addresses) is mapped at run-time address `start`.
///
/// A program linked at address 0 and run by root is mapped at address 0
/// (glibc runs such a file too), and no Rust slice may start at the null
/// address: the view then starts one byte later.  That byte is the first of
/// the ELF magic, which no table the loader reads can start at (they are
/// all aligned), so nothing is lost.
///
/// # Safety
/// `[start, start + len)` stays mapped for as long as the image is used; the
/// `Image` only hands out sub-ranges inside readable `PT_LOAD` segments,
/// never the inaccessible holes between them.
pub unsafe fn image_of(start: usize, len: usize, lo: u64, phdrs: &'static [Phdr]) -> Image<'static> {
    let skip = usize::from(start == 0 && len > 0);
    // SAFETY: the caller's contract; the pointer is not null (skipped above).
    let bytes: &'static [u8] = unsafe { core::slice::from_raw_parts((start + skip) as *const u8, len - skip) };
    Image::new(bytes, lo + skip as u64, phdrs)
}

fn map_one(file: &Opened, p: &Phdr, base: usize, page: usize) -> Result<(), &'static str> {
    let mask = page - 1;
    let prot = prot_of(p.p_flags);
    let seg_start = base.wrapping_add(p.p_vaddr as usize);
    let map_start = seg_start & !mask;
    let file_end = seg_start + p.p_filesz as usize;
    let mem_end = seg_start + p.p_memsz as usize;
    if p.p_filesz > 0 {
        let len = ((file_end + mask) & !mask) - map_start;
        let off = p.p_offset & !(mask as u64);
        // SAFETY: the target range lies inside the reservation made by `map_segments`.
        unsafe {
            sys::mmap(
                map_start,
                len,
                prot,
                sys::MAP_PRIVATE | sys::MAP_FIXED,
                file.fd.raw(),
                off,
            )
        }
        .map_err(|_| "failed to map segment from shared object")?;
    }
    if p.p_memsz > p.p_filesz {
        // Zero the end of the last file-backed page (.bss starting mid-page).
        let zero_end = ((file_end + mask) & !mask).min(mem_end);
        if p.p_filesz > 0 && zero_end > file_end {
            let page_start = file_end & !mask;
            if prot & sys::PROT_WRITE == 0 {
                // SAFETY: our own freshly mapped page; made writable only to clear it.
                unsafe { sys::mprotect(page_start, page, prot | sys::PROT_WRITE) }
                    .map_err(|_| "cannot change memory protections")?;
            }
            // SAFETY: [file_end, zero_end) is inside the page just mapped writable.
            unsafe { core::ptr::write_bytes(file_end as *mut u8, 0, zero_end - file_end) };
            if prot & sys::PROT_WRITE == 0 {
                // SAFETY: restoring the segment's own protection.
                unsafe { sys::mprotect(page_start, page, prot) }.map_err(|_| "cannot change memory protections")?;
            }
        }
        // Whole pages past the file data: anonymous zero pages.
        let anon_start = if p.p_filesz > 0 {
            (file_end + mask) & !mask
        } else {
            map_start
        };
        let anon_end = (mem_end + mask) & !mask;
        if anon_end > anon_start {
            // SAFETY: inside our reservation; fresh anonymous pages read as zero.
            unsafe {
                sys::mmap(
                    anon_start,
                    anon_end - anon_start,
                    prot,
                    sys::MAP_PRIVATE | sys::MAP_FIXED | sys::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            }
            .map_err(|_| "cannot map zero-fill pages")?;
        }
    }
    Ok(())
}

/// An unloaded object's address range, unmapped when dropped: retired by
/// `dlclose` so that the unmapping waits until no lock-free reader can be
/// walking the object's tables (`grace.rs`).
pub struct Unmap {
    pub start: usize,
    pub len: usize,
}

impl Drop for Unmap {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: the range of an object taken out of every table, whose
            // finalizers ran; the grace period has passed, so no reader is in it.
            let _ = unsafe { sys::munmap(self.start, self.len) };
        }
    }
}
