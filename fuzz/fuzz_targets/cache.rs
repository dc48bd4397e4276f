//! `/etc/ld.so.cache`, as `ldconfig` writes it (the new format): parsed, every entry listed and
//! a few names looked up through the binary search.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let words = common::aligned(data);
    let bytes = &elf::pod::as_bytes(&words)[..data.len()];
    let Ok(cache) = elf::Cache::parse(bytes) else {
        return;
    };
    std::hint::black_box(cache.len());
    for (flags, key, value) in cache.entries() {
        std::hint::black_box((flags, key.len(), value.len()));
    }
    for name in [
        &b"libc.so.6"[..],
        b"libm.so.6",
        b"",
        b"libzzzz.so.1",
        b"ld-linux-x86-64.so.2",
    ] {
        std::hint::black_box(cache.lookup(name));
    }
});
