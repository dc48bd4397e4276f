//! Bad input around glibc programs: a version the C library does not have.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::path::PathBuf;

/// A copy of the `hello` program whose requirement `GLIBC_2.34` (for
/// `__libc_start_main`) is renamed `GLIBC_2.99` in its string table: a
/// program built against a newer glibc than the machine has.
fn needs_glibc_2_99() -> PathBuf {
    let built = fixtures::libc_basic();
    let src = built.path("hello");
    let dst = built.dir().join("hello_glibc_2_99");
    let bytes = std::fs::read(&src).expect("read hello");
    let at = bytes
        .windows(11)
        .position(|w| w == b"GLIBC_2.34\0")
        .expect("hello requires GLIBC_2.34");
    ld_rs_tests::elf::patch_copy(&src, &dst, &[(at as u64, b"GLIBC_2.99")]);
    let mut perms = std::fs::metadata(&dst).expect("patched copy").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&dst, perms).expect("make the copy executable");
    dst
}

both_ways! {
    /// glibc names the version and the library, and exits with status 1.
    fn missing_glibc_version() -> Run {
        Run::new(needs_glibc_2_99())
            .expect_exit(Exit::Code(1))
            .expect_stderr_contains("libc.so.6: version `GLIBC_2.99' not found (required by ")
    }
}
