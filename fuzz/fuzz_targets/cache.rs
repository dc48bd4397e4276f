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
    // A plain selection (no hwcaps subdirectory, no legacy capability bits) and one as an
    // x86-64-v3 machine would make it, so both kinds of entry filtering are exercised.
    let plain = elf::cache::Select {
        hwcaps: &[],
        isa_levels: 0,
        legacy_allowed: 0,
        platform_mask: 0,
        platform: u64::MAX,
    };
    let v3 = elf::cache::Select {
        hwcaps: &[b"x86-64-v3", b"x86-64-v2"],
        isa_levels: 0b1110,
        legacy_allowed: u64::MAX,
        platform_mask: 0xff << 48,
        platform: 1 << 48,
    };
    for name in [
        &b"libc.so.6"[..],
        b"libm.so.6",
        b"",
        b"libzzzz.so.1",
        b"ld-linux-x86-64.so.2",
    ] {
        std::hint::black_box(cache.lookup(name, &plain));
        std::hint::black_box(cache.lookup(name, &v3));
    }
});
