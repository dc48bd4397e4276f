//! Hardening of a process run under the loader: no mapping is both writable and executable,
//! and every `PT_GNU_RELRO` is read-only once the program runs, the loader's own included
//! (with `_rtld_global_ro` inside it, glibc's `elf/tst-relro-ldso`), as under glibc.

use ld_rs_tests::{fixtures, Exit, Run, Way};

/// The program's view of its own mappings, with a `dlopen`ed library among them: the same
/// under both loaders, and (checked on glibc's run) what a hardened process shows.
fn relro_and_no_wx(way: Way) {
    let built = fixtures::hardening();
    let glibc = Run::new(built.path("relro"))
        .arg(built.path("libhard.so"))
        .expect_exit(Exit::Code(0))
        .compare(way);
    let text = glibc.stdout_text();
    for line in [
        "mappings writable and executable: 0\n",
        " (the loader): RELRO read-only\n",
        "_rtld_global_ro: read-only\n",
    ] {
        assert!(text.contains(line), "glibc's run lacks {line:?}:\n{glibc}");
    }
    assert!(!text.contains("WRITABLE") && !text.contains("UNMAPPED"), "{glibc}");
}

#[test]
fn relro_and_no_wx_explicit() {
    relro_and_no_wx(Way::Explicit);
}

#[test]
fn relro_and_no_wx_interp() {
    relro_and_no_wx(Way::Interp);
}
