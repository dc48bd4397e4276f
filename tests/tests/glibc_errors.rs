//! Bad input around glibc programs: a version the C library does not have.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A copy of the `hello` program whose requirement `GLIBC_2.34` (for
/// `__libc_start_main`) is renamed `GLIBC_2.99` in its string table: a
/// program built against a newer glibc than the machine has.
fn needs_glibc_2_99() -> PathBuf {
    static PATCHED: OnceLock<PathBuf> = OnceLock::new();
    PATCHED
        .get_or_init(|| {
            let built = fixtures::libc_basic();
            let src = built.path("hello");
            let dst = built.dir().join("hello_glibc_2_99");
            let mut bytes = std::fs::read(&src).expect("read hello");
            let at = bytes
                .windows(11)
                .position(|w| w == b"GLIBC_2.34\0")
                .expect("hello requires GLIBC_2.34");
            bytes[at..at + 10].copy_from_slice(b"GLIBC_2.99");
            // Written under a private name, made executable, then renamed into
            // place, so no other test process ever sees a half-made file.
            let tmp = built.dir().join(format!("hello_glibc_2_99.{}", std::process::id()));
            std::fs::write(&tmp, &bytes).expect("write the patched copy");
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            std::fs::rename(&tmp, &dst).expect("rename the patched copy");
            dst
        })
        .clone()
}

both_ways! {
    /// glibc names the version and the library, and exits with status 1.
    fn missing_glibc_version() -> Run {
        Run::new(needs_glibc_2_99())
            .expect_exit(Exit::Code(1))
            .expect_stderr_contains("libc.so.6: version `GLIBC_2.99' not found (required by ")
    }
}
