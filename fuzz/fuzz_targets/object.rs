//! Everything `PT_DYNAMIC` leads to, as the linker reads a loaded object: the input is a whole
//! file, laid out in memory as the loader maps it (each `PT_LOAD`'s file bytes at its
//! `p_vaddr`, the rest zero, spans over 4 MiB skipped). The program headers confine every
//! access (`Image`); then the dynamic section, the string table, the GNU or SysV hash table with a
//! few lookups and a full walk of the chains, the version definitions and requirements and
//! the packed relative relocations are all read as `Dso::new` and the lookup read them.
#![no_main]

use elf::consts::*;
use elf::{DynamicInfo, GnuHash, Image, StrTab, Sym, SysvHash, VerDefIter, VerNeedIter};
use libfuzzer_sys::fuzz_target;

mod common;

/// Names looked up in every object: short and long, present in most libc builds or not.
const NAMES: &[&[u8]] = &[
    b"",
    b"a",
    b"main",
    b"printf",
    b"__libc_start_main",
    b"_ITM_registerTMCloneTable",
];

/// The object's memory as the loader maps it: (the first segment's page, the bytes from there).
fn lay_out(file: &[u8], phdrs: &[elf::Phdr]) -> Option<(u64, Vec<u64>)> {
    let loads = phdrs.iter().filter(|p| p.p_type == PT_LOAD);
    let start = loads.clone().map(|p| p.p_vaddr).min()? & !4095;
    let end = loads
        .clone()
        .map(|p| p.p_vaddr.checked_add(p.p_memsz))
        .collect::<Option<Vec<_>>>()?;
    let end = end.into_iter().max()?;
    let span = usize::try_from(end.checked_sub(start)?).ok()?;
    if span > 4 << 20 {
        return None;
    }
    let mut memory = vec![0u64; span.div_ceil(8)];
    let bytes = elf::pod::as_bytes_mut(&mut memory);
    for p in loads {
        let Some(from) = file.get(p.p_offset as usize..) else {
            continue;
        };
        let len = (p.p_filesz.min(p.p_memsz) as usize).min(from.len());
        let at = (p.p_vaddr - start) as usize;
        bytes[at..at + len].copy_from_slice(&from[..len]);
    }
    Some((start, memory))
}

fuzz_target!(|data: &[u8]| {
    let words = common::aligned(data);
    let bytes = &elf::pod::as_bytes(&words)[..data.len()];
    let Ok(ehdr) = elf::parse_ehdr(bytes) else {
        return;
    };
    let Ok(phdrs) = elf::phdrs(bytes, ehdr) else {
        return;
    };
    let Some((start, memory)) = lay_out(bytes, phdrs) else {
        return;
    };
    let image = Image::new(elf::pod::as_bytes(&memory), start, phdrs);
    let Some(dyn_ph) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
        return;
    };
    let Ok(dyns) = image.slice(dyn_ph.p_vaddr, dyn_ph.p_memsz / elf::DYN_SIZE as u64) else {
        return;
    };
    for needed in elf::needed(dyns) {
        std::hint::black_box(needed);
    }
    let Ok(info) = DynamicInfo::parse(dyns) else {
        return;
    };
    let strtab = StrTab::from_dynamic(&image, &info).unwrap_or(StrTab::new(&[]));
    let symtab_at = info.get(DT_SYMTAB);

    if let Some(Ok(table)) = info.gnu_hash.map(|at| GnuHash::parse(&image, at)) {
        let count = table.symbol_count().unwrap_or(0);
        let symtab: &[Sym] = symtab_at
            .and_then(|at| image.slice(at, u64::from(count)).ok())
            .unwrap_or(&[]);
        for name in NAMES {
            let h = elf::gnu_hash(name);
            if table.may_contain(h) {
                let found = table.find(h, |&i| {
                    symtab.get(i as usize).is_some_and(|s| strtab.matches(s.st_name, name))
                });
                std::hint::black_box(found);
                // Every candidate of the chain, as a lookup that never matches walks it.
                std::hint::black_box(table.candidates(h).count());
            }
        }
        for s in symtab {
            let _ = strtab.get_with_gnu_hash(s.st_name);
        }
    }
    if let Some(Ok(table)) = info.get(DT_HASH).map(|at| SysvHash::parse(&image, at)) {
        let count = table.symbol_count();
        let symtab: &[Sym] = symtab_at
            .and_then(|at| image.slice(at, u64::from(count)).ok())
            .unwrap_or(&[]);
        for name in NAMES {
            let h = elf::sysv_hash(name);
            let found = table.find(h, |&i| {
                symtab.get(i as usize).is_some_and(|s| strtab.matches(s.st_name, name))
            });
            std::hint::black_box(found);
            std::hint::black_box(table.candidates(h).count());
        }
    }
    if let Some(at) = info.verdef {
        for def in VerDefIter::parse(&image, at, info.verdefnum).flatten() {
            let _ = strtab.get(def.name);
        }
    }
    if let Some(at) = info.verneed {
        for need in VerNeedIter::parse(&image, at, info.verneednum) {
            let Ok((file, auxes)) = need else { continue };
            let _ = strtab.get(file.file);
            for aux in auxes.flatten() {
                let _ = strtab.get(aux.name);
            }
        }
    }
    if let Some(at) = info.versym {
        std::hint::black_box(image.slice::<u16>(at, 64).is_ok());
    }
    if let (Some(at), Some(size)) = (info.get(DT_RELR), info.get(DT_RELRSZ)) {
        if let Ok(entries) = image.slice::<u64>(at, size / 8) {
            // The addresses a packed table expands to (a bitmap entry names up to 63).
            for vaddr in elf::relr(entries).take(1 << 16) {
                std::hint::black_box(vaddr);
            }
        }
    }
    for tag in [DT_RELA, DT_JMPREL, DT_INIT_ARRAY, DT_FINI_ARRAY, DT_NEEDED, DT_SONAME] {
        std::hint::black_box(info.get(tag));
    }
});
