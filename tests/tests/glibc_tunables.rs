//! `GLIBC_TUNABLES` as the C library's release reads it, compared with its own loader: the
//! values `--list-tunables` shows, the warnings, what a program's environment keeps.
//!
//! glibc 2.36 (Debian 12) skips what it does not understand in silence. glibc 2.41 (Debian 13,
//! `LD_RS_TESTS_ROOT=trixie`) checks the whole text first: a name without a value at the end,
//! or a value holding `=`, and the text is ignored with a warning; a number must be the whole
//! value (else a warning names it); the last of a name wins; `glibc.rtld.enable_secure=1`
//! applies nothing else and makes the process secure, as if it were privileged (the loader
//! drops `LD_LIBRARY_PATH`, `GLIBC_TUNABLES`, the `MALLOC_…` aliases … from the environment).

use ld_rs_tests::{Exit, Run, Way};

/// Texts that 2.41 treats in each of its ways (and 2.36 in its own): the whole text refused,
/// a value refused, out of bounds, repeated, empty, octal and hexadecimal, a string tunable.
const TEXTS: [&str; 12] = [
    "glibc.malloc.check=2=3",
    "glibc.malloc.arena_max=4:glibc.malloc.tcache_count",
    "glibc.malloc.arena_max=3:",
    "glibc.malloc.arena_max=4x",
    "glibc.malloc.arena_max=0x10:glibc.malloc.arena_max=5",
    "glibc.malloc.arena_max=:glibc.malloc.tcache_count=9",
    "glibc.malloc.tcache_count=99999999:glibc.malloc.mmap_max=99999999999999999999999",
    "glibc.malloc.arena_max=08:glibc.malloc.tcache_max=010",
    "glibc.mem.tagging=0x:glibc.malloc.arena_max= 5",
    "glibc.cpu.hwcaps=-AVX2,-ERMS:glibc.malloc.arena_max=-1",
    "glibc.rtld.enable_secure=x:glibc.malloc.arena_max=3",
    ":",
];

/// `--list-tunables` under each text, with an alias set too (`MALLOC_ARENA_MAX`, which a
/// refused text leaves in force, and `MALLOC_TOP_PAD_`, whose value is not a number): the same
/// table, the same warnings, in the same order.
#[test]
fn list_tunables_under_each_text() {
    let mut warned = 0;
    for text in TEXTS {
        let glibc = Run::new("unused")
            .without_program()
            .loader_args(["--list-tunables"])
            .env("GLIBC_TUNABLES", text)
            .env("MALLOC_ARENA_MAX", "7")
            .env("MALLOC_TOP_PAD_", "1x")
            .expect_exit(Exit::Code(0))
            .compare(Way::Explicit);
        warned += usize::from(glibc.stderr_text().contains("WARNING: ld.so: invalid GLIBC_TUNABLES"));
    }
    // The oracle did warn under 2.41 (else the comparisons showed nothing of its rules).
    if ld_rs_tests::root::selected().is_some() {
        assert!(warned >= 8, "glibc 2.41 warned for {warned} texts only");
    }
}

/// A program under `glibc.rtld.enable_secure=1`: under 2.41 it runs as if privileged, so its
/// environment keeps only what is not on the loader's list (2.36 knows no such tunable).
#[test]
fn enable_secure_makes_the_process_secure() {
    let glibc = Run::new("/usr/bin/env")
        .env("GLIBC_TUNABLES", "glibc.rtld.enable_secure=1")
        .env("LD_LIBRARY_PATH", "/nonexistent")
        .env("MALLOC_ARENA_MAX", "3")
        .env("LD_BIND_NOW", "1")
        .env("TMPDIR", "/tmp/elsewhere")
        .env("KEPT", "yes")
        .expect_exit(Exit::Code(0))
        .compare(Way::Explicit);
    if ld_rs_tests::root::selected().is_some() {
        assert_eq!(glibc.stdout_text(), "KEPT=yes\n", "glibc 2.41 kept more than expected");
    }
}
