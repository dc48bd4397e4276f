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
//! namespace, so that the processes a program starts run under ld-rs too ([`all_ways!`]).

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
    // `both_ways! { #[ignore = "why"] ... }`: every test below is ignored, with the reason.
    (#[ignore = $why:literal] $($(#[$doc:meta])* fn $name:ident() -> Run $body:block)*) => {$(
        $(#[$doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run() -> $crate::Run $body

            #[test]
            #[ignore = $why]
            fn explicit() {
                run().compare($crate::Way::Explicit);
            }

            #[test]
            #[ignore = $why]
            fn interp() {
                run().compare($crate::Way::Interp);
            }
        }
    )*};
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

/// Like [`both_ways!`], with a third test per run description: `system_wide`
/// ([`Way::SystemWide`], ld-rs bind-mounted over glibc's loader, so child processes run
/// under ld-rs too).
#[macro_export]
macro_rules! all_ways {
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

            #[test]
            fn system_wide() {
                run().compare($crate::Way::SystemWide);
            }
        }
    )*};
}
