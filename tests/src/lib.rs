//! The differential test harness: builds C fixtures, runs them under glibc's ld.so and ld-rs, compares.
//!
//! glibc's loader is the oracle. A test builds a fixture ([`Fixture`]), describes one run of
//! one program ([`Run`]), and calls [`Run::compare`]: the program runs under glibc's
//! `/lib64/ld-linux-x86-64.so.2` first (its result is checked against the test's own
//! expectations, so a broken fixture is reported as such), then under ld-rs, and stdout,
//! stderr and the exit status must match byte for byte.
//!
//! There are two ways into a loader, and every behaviour is compared in both ([`Way`]):
//! naming the program on the loader's command line, and the kernel reading `PT_INTERP`.
//! [`both_ways!`] turns one run description into one test per way.
//! A third way, [`Way::SystemWide`], replaces the system's loader in a private mount
//! namespace, so that the processes a program starts run under ld-rs too.

pub mod build;
pub mod elf;
pub mod fixtures;
pub mod run;

pub use build::{Built, Fixture};
pub use run::{run_ldrs_only, Exit, Loader, Outcome, Run, Way};

use std::path::{Path, PathBuf};

/// glibc's program interpreter: the oracle.
pub const GLIBC_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// The cargo workspace root (the parent of this package).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives inside the workspace")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the workspace root) if set,
/// else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The linker under test: `$LD_RS` if set, else `<target>/release/ld-rs.so`, made absolute.
///
/// # Panics
/// If the file does not exist, with a message saying how to build it.
pub fn ld_rs() -> PathBuf {
    let path = match std::env::var_os("LD_RS") {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("release").join("ld-rs.so"),
    };
    match path.canonicalize() {
        Ok(path) => path,
        Err(err) => panic!(
            "ld-rs not found at {} ({err}): run `cargo build --release` in {} \
             (or point $LD_RS at the linker)",
            path.display(),
            workspace_root().display()
        ),
    }
}

/// Declares one test per [`Way`] for a run description.
///
/// ```ignore
/// both_ways! {
///     /// What the behaviour is.
///     fn copy_relocation() -> Run { Run::new(fixtures::dynld().path("main_nopie")) }
/// }
/// ```
/// expands to a module `copy_relocation` holding the tests `explicit` and `interp`, each
/// calling [`Run::compare`] with its way.
#[macro_export]
macro_rules! both_ways {
    ($($(#[$doc:meta])* fn $name:ident() -> Run $body:block)*) => {$(
        $(#[$doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run() -> $crate::Run $body

            #[test]
            fn explicit() {
                run().compare($crate::Way::Explicit);
            }

            #[test]
            fn interp() {
                run().compare($crate::Way::Interp);
            }
        }
    )*};
}

/// Whether the tests run as root (the owner of /proc/self is the effective user): the
/// secure-mode tests need it to make set-user-ID-root programs and to drop to nobody.
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// Copies program `src` to `dst`, owned by root with `mode` (e.g. 0o4755 for a
/// set-user-ID-root copy), with ld-rs as its interpreter when `loader` is
/// [`Loader::LdRs`]; made under a temporary name and renamed into place.
pub fn install_root_copy(src: &Path, loader: Loader, dst: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let tmp = dst.with_extension("tmp");
    std::fs::copy(src, &tmp).expect("copy the program");
    if loader == Loader::LdRs {
        let out = std::process::Command::new("patchelf")
            .arg("--set-interpreter")
            .arg(ld_rs())
            .arg(&tmp)
            .output()
            .expect("patchelf runs");
        assert!(
            out.status.success(),
            "patchelf: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::os::unix::fs::chown(&tmp, Some(0), Some(0)).expect("chown root");
    // chmod after patchelf (which rewrites the file) and after chown (which clears set-ID).
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).expect("chmod");
    std::fs::rename(&tmp, dst).expect("rename into place");
}
