//! The checks a file passes before it is mapped: the ELF header (`parse_ehdr`, with glibc's
//! `open_verify` diagnostics) and the program header table it names.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let words = common::aligned(data);
    let bytes = &elf::pod::as_bytes(&words)[..data.len()];
    let Ok(ehdr) = elf::parse_ehdr(bytes) else {
        return;
    };
    let _ = elf::phdr_range(ehdr);
    if let Ok(phdrs) = elf::phdrs(bytes, ehdr) {
        for p in phdrs {
            std::hint::black_box(p.p_type);
        }
    }
});
