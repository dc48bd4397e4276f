//! One small test per bug the conformance commands found (`cargo xtask
//! list-sweep`, `cargo xtask programs`), each named after what broke.

use ld_rs_tests::{both_ways, fixtures, Exit, Run, Way};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A copy of libgreet.so whose program headers are moved to the end of the
/// file, as BOLT leaves them in librustc_driver (e_phoff past the first
/// page): ld-rs read the file head up to them into one zero-filled buffer.
fn phdrs_at_end_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let built = fixtures::greet();
        let dir = built.path("regress-phdrs-at-end");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut bytes = std::fs::read(built.path("libgreet.so")).expect("read libgreet.so");
        let u16_at = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
        let phoff = u64::from_le_bytes(bytes[32..40].try_into().expect("8 bytes")) as usize;
        let (phentsize, phnum) = (u16_at(&bytes, 54), u16_at(&bytes, 56));
        let table = bytes[phoff..phoff + phentsize * phnum].to_vec();
        // Pad to 8 and past the first 4 KiB read, then append the table.
        let new_off = (bytes.len().max(8192) + 7) & !7;
        bytes.resize(new_off, 0);
        bytes.extend_from_slice(&table);
        bytes[32..40].copy_from_slice(&(new_off as u64).to_le_bytes());
        let tmp = dir.join(format!("libgreet.so.{}", std::process::id()));
        std::fs::write(&tmp, &bytes).expect("write");
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::rename(&tmp, dir.join("libgreet.so")).expect("rename");
        dir
    })
    .clone()
}

both_ways! {
    /// Program headers at the end of a library's file load as usual.
    fn program_headers_at_the_end_of_the_file() -> Run {
        Run::new(fixtures::greet().path("main"))
            .env("LD_LIBRARY_PATH", phdrs_at_end_dir())
            .expect_exit(Exit::Code(0))
    }

    /// `__libc_freeres` at exit (as valgrind calls it) does not crash.
    fn libc_freeres() -> Run {
        Run::new(fixtures::regress().path("freeres")).expect_exit(Exit::Code(0)).expect_stdout("freeres ok\n")
    }
}

/// `--list` of libc.so.6 itself, which needs the loader first: the loader's
/// line comes before the vDSO's, where glibc links its own record.
#[test]
fn list_of_libc_puts_the_loader_first() {
    Run::new("/lib/x86_64-linux-gnu/libc.so.6")
        .loader_args(["--list"])
        .normalize_addresses()
        .expect_exit(Exit::Code(0))
        .compare(Way::Explicit);
}

/// `--list` of an object that needs nothing: `statically linked`.
#[test]
fn list_of_an_object_needing_nothing() {
    Run::new(fixtures::dynld().path("libdyn.so"))
        .loader_args(["--list"])
        .normalize_addresses()
        .expect_stdout("\tstatically linked\n")
        .compare(Way::Explicit);
}
