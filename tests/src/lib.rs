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
//! namespace (`ld-rs run`), so that the processes a program starts run under ld-rs too.
//!
//! Any run can also go inside another Debian's root filesystem ([`root`], [`Run::in_root`]),
//! where that release's own loader is the oracle: Debian 13 with glibc 2.41.

pub mod build;
pub mod elf;
pub mod fixtures;
pub mod root;
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

/// A fresh, empty scratch directory for one test thread (`ld-rs-TAG-PID-THREAD` in the
/// system's temporary directory), as an absolute path without symbolic links.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ld-rs-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir.canonicalize().expect("temporary directory")
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

/// The front end, `ld-rs` (crates/ld-rs-cli), of the release build: `<target>/release/ld-rs`.
///
/// # Panics
/// If it has not been built, saying how to build it.
pub fn front_end() -> PathBuf {
    let path = target_dir().join("release").join("ld-rs");
    if !path.is_file() {
        panic!(
            "the front end is not built ({} does not exist): run `cargo build --release` in {}",
            path.display(),
            workspace_root().display()
        );
    }
    path
}

/// The variable that lets a test whose prerequisite is missing pass as skipped.
pub const ALLOW_SKIP: &str = "LD_RS_TESTS_ALLOW_SKIP";

/// Where skipped tests leave one file each (named after the test binary and the test,
/// holding what was missing), for `cargo xtask test` to count: `<target>/test-skips/`.
pub fn skip_dir() -> PathBuf {
    target_dir().join("test-skips")
}

/// Whether a test's prerequisite (`what`: root, a program, a CPU feature…) is here.
///
/// A test never passes without running: when `present` is false the test fails, with a
/// message naming what is missing, unless the run was started with
/// `LD_RS_TESTS_ALLOW_SKIP=1`. Then the skip is recorded in [`skip_dir`] and printed, and
/// this returns false: the caller returns at once.
///
/// # Panics
/// When the prerequisite is missing and skipping was not allowed.
pub fn prerequisite(present: bool, what: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var_os(ALLOW_SKIP).is_some_and(|v| v == "1") {
        let binary = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        // libtest names each test's thread after the test; with one test thread that is
        // `main`, so the process id and a counter keep the names apart.
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let thread = std::thread::current();
        let test = match thread.name() {
            Some(name) if name != "main" => name.replace("::", "."),
            _ => format!(
                "{}-{}",
                std::process::id(),
                COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
        };
        let dir = skip_dir();
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{binary}.{test}")), format!("{what}\n"));
        eprintln!("skipped ({ALLOW_SKIP}=1): needs {what}");
        return false;
    }
    panic!(
        "missing prerequisite: this test needs {what}. Provide it (.ci/run installs what CI \
         needs), or run with {ALLOW_SKIP}=1 to count such tests as skipped"
    );
}

/// [`prerequisite`] for root.
pub fn need_root(why: &str) -> bool {
    prerequisite(is_root(), &format!("root ({why})"))
}

/// [`prerequisite`] for a way into the loader: [`Way::SystemWide`] (`ld-rs run`) needs root
/// or unprivileged user namespaces; the others need nothing.
pub fn need_way(way: Way) -> bool {
    if way != Way::SystemWide || is_root() {
        return true;
    }
    let userns = std::process::Command::new("unshare")
        .args(["-U", "true"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    prerequisite(userns, "root or unprivileged user namespaces (ld-rs run)")
}

/// Whether `program` can be started (`program --version` succeeds), as a [`prerequisite`]
/// with how to install it.
pub fn need_program(program: &str, install: &str) -> bool {
    let runs = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    prerequisite(runs, &format!("{program} ({install})"))
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
/// calling [`Run::compare`] with its way. Inside a root filesystem (`$LD_RS_TESTS_ROOT`,
/// [`root::selected`]), `interp` compares [`Way::SystemWide`] too: there the kernel reads
/// the unmodified program's `PT_INTERP` with the run's loader mounted over the root's.
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
                if $crate::root::selected().is_some() {
                    run().compare($crate::Way::SystemWide);
                }
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
    // Copied by cp, not by this process: a file this (multi-threaded) test process held
    // open for writing would be inherited by any child another test thread forks meanwhile,
    // and exec of the copy would then fail with ETXTBSY ("Text file busy", status 126 from
    // env) until that child execs. A file only cp and patchelf ever open cannot be.
    let out = std::process::Command::new("cp")
        .arg(src)
        .arg(&tmp)
        .output()
        .expect("cp runs");
    assert!(out.status.success(), "cp: {}", String::from_utf8_lossy(&out.stderr));
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
