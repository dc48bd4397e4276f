//! Running tests inside another Debian's root filesystem (Debian 13, glibc 2.41), with that
//! release's own `ld.so` as the oracle.
//!
//! `cargo xtask rootfs trixie` makes the root filesystem under `<target>/rootfs/trixie`. A
//! run inside it ([`Run::in_root`](crate::Run::in_root)) starts in a child process that
//! first makes a private mount namespace and then changes its root, so nothing it mounts is
//! seen outside and nothing is written into the shared root filesystem:
//!
//! - a tmpfs over the root's empty `/mnt`, holding three bind mounts: `/mnt/target` (this
//!   workspace's target directory: fixtures built inside the root, program copies),
//!   `/mnt/src` (`tests/fixtures`: sources and scripts) and `/mnt/ld-rs.so` (the linker under
//!   test, whatever `$LD_RS` names);
//! - `/proc`, and a tmpfs over `/tmp` and `/dev/shm` (python's semaphores live there);
//! - for [`Way::SystemWide`](crate::Way::SystemWide), once inside, the loader of the run
//!   bind-mounted over the root's `/lib64/ld-linux-x86-64.so.2` (the symbolic link is
//!   followed inside the root, so the file covered is the root's own loader).
//!
//! Paths given to a run in a root are paths inside it. [`Root::inside`] turns a path of this
//! machine (a fixture in the target directory, a script in `tests/fixtures`) into the path the
//! root sees; [`Root::outside`] goes back.
//!
//! The whole theme of a test binary can also move into a root: with `LD_RS_TESTS_ROOT=trixie`
//! in the environment, every fixture is built inside the root with its compiler (into
//! `<target>/fixtures-trixie/`) and every run goes inside it ([`selected`]): for instance
//! `LD_RS_TESTS_ROOT=trixie cargo test --release -p ld-rs-tests --test glibc_c`.
//!
//! The harness checks itself with the root's own loader on both sides: with
//! `LD_RS=<target>/rootfs/trixie/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`, "ld-rs" is
//! glibc 2.41's `ld.so` too, so every comparison must hold, whatever ld-rs does; what fails
//! then is the harness or a test's expectation.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The variable that moves a whole test binary into a root filesystem (its value: a suite).
pub const ROOT_VARIABLE: &str = "LD_RS_TESTS_ROOT";

/// Where the root sees this workspace's target directory.
pub const TARGET_INSIDE: &str = "/mnt/target";
/// Where the root sees `tests/fixtures`.
pub const SOURCES_INSIDE: &str = "/mnt/src";
/// Where the root sees the linker under test.
pub const LD_RS_INSIDE: &str = "/mnt/ld-rs.so";
/// The root's own loader: every program's `PT_INTERP`, the oracle.
pub const LOADER_INSIDE: &str = crate::GLIBC_LOADER;

/// A Debian root filesystem made by `cargo xtask rootfs SUITE`.
#[derive(Debug)]
pub struct Root {
    suite: &'static str,
    dir: PathBuf,
}

/// The suites the tests know: Debian 13.
const SUITES: &[&str] = &["trixie"];

/// Debian 13's root filesystem, as a [`crate::prerequisite`]: `None` (after recording a skip)
/// when it is missing and `LD_RS_TESTS_ALLOW_SKIP=1`; a failure naming it otherwise.
pub fn trixie() -> Option<&'static Root> {
    root("trixie")
}

/// The root filesystem of `suite` (one of [`SUITES`]), as a [`crate::prerequisite`]: made by
/// `cargo xtask rootfs` (its stamp is there) and usable (the tests run as root, which chroot
/// and mount need).
pub fn root(suite: &'static str) -> Option<&'static Root> {
    let found = find(suite);
    if !crate::prerequisite(found.is_some(), &missing(suite)) {
        return None;
    }
    if !crate::need_root("chroot and mounts inside the root filesystem") {
        return None;
    }
    found
}

/// The root filesystem named by `$LD_RS_TESTS_ROOT`, if the variable is set. A test moved
/// into a root never runs outside it: when the variable names no known suite, the root
/// filesystem is missing or the tests do not run as root, this panics (even with
/// `LD_RS_TESTS_ALLOW_SKIP=1`: the run was asked for that root).
pub fn selected() -> Option<&'static Root> {
    static SELECTED: OnceLock<Option<&'static str>> = OnceLock::new();
    let suite = SELECTED.get_or_init(|| {
        let value = std::env::var(ROOT_VARIABLE).ok()?;
        let suite = SUITES
            .iter()
            .find(|s| **s == value)
            .unwrap_or_else(|| panic!("{ROOT_VARIABLE}={value:?} names no known suite ({SUITES:?})"));
        Some(*suite)
    });
    let suite = (*suite)?;
    let root = find(suite).unwrap_or_else(|| panic!("{ROOT_VARIABLE}={suite}: missing {}", missing(suite)));
    assert!(
        crate::is_root(),
        "{ROOT_VARIABLE}={suite}: the tests must run as root (chroot, mounts)"
    );
    Some(root)
}

/// The root filesystem of `suite` if `cargo xtask rootfs` has finished making it.
fn find(suite: &'static str) -> Option<&'static Root> {
    static TRIXIE: OnceLock<Option<Root>> = OnceLock::new();
    assert!(SUITES.contains(&suite), "unknown suite {suite:?} (known: {SUITES:?})");
    TRIXIE
        .get_or_init(|| {
            let dir = crate::target_dir().join("rootfs").join(suite);
            let stamp = dir.with_file_name(format!("{suite}.stamp"));
            // Canonical: the target directory's rootfs may be a link to where they are kept.
            let dir = dir.canonicalize().ok()?;
            stamp.exists().then_some(Root { suite, dir })
        })
        .as_ref()
}

fn missing(suite: &str) -> String {
    format!(
        "the Debian {suite} root filesystem at {} (made by `cargo xtask rootfs {suite}`, which \
         `cargo xtask test` runs when it is missing)",
        crate::target_dir().join("rootfs").join(suite).display()
    )
}

impl Root {
    /// The suite (`trixie`).
    pub fn suite(&self) -> &'static str {
        self.suite
    }

    /// The root filesystem's directory on this machine.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where fixtures built inside this root go: `<target>/fixtures-SUITE`.
    pub fn fixtures_dir(&self) -> PathBuf {
        crate::target_dir().join(format!("fixtures-{}", self.suite))
    }

    /// The path inside the root of `path`: a path under the target directory or
    /// `tests/fixtures` moves to its mount point; a path inside the root filesystem's
    /// directory loses that prefix; any other path is taken to be one inside the root already.
    pub fn inside(&self, path: &Path) -> PathBuf {
        let target = crate::target_dir();
        let sources = crate::build::fixtures_src();
        if let Ok(rest) = path.strip_prefix(&self.dir) {
            return Path::new("/").join(rest);
        }
        for (outside, inside) in [(&target, TARGET_INSIDE), (&sources, SOURCES_INSIDE)] {
            if let Ok(rest) = path.strip_prefix(outside) {
                return Path::new(inside).join(rest);
            }
        }
        path.to_owned()
    }

    /// An argument or a variable's value as the root sees it: each `:`-separated part that is
    /// a path under the target directory or `tests/fixtures` moved by [`Root::inside`]
    /// (`LD_LIBRARY_PATH=<target>/fixtures-trixie/x` becomes `/mnt/target/fixtures-trixie/x`);
    /// other text is left alone.
    pub fn inside_text(&self, text: &std::ffi::OsStr) -> std::ffi::OsString {
        use std::os::unix::ffi::OsStringExt;
        let target = crate::target_dir();
        let sources = crate::build::fixtures_src();
        let parts: Vec<Vec<u8>> = text
            .as_bytes()
            .split(|&b| b == b':')
            .map(|part| {
                let path = Path::new(std::ffi::OsStr::from_bytes(part));
                if path.starts_with(&target) || path.starts_with(&sources) {
                    self.inside(path).into_os_string().into_vec()
                } else {
                    part.to_vec()
                }
            })
            .collect();
        std::ffi::OsString::from_vec(parts.join(&b':'))
    }

    /// `text` with every occurrence of the target directory's or `tests/fixtures`' path
    /// replaced by its mount point inside the root (for expected output that names paths).
    pub fn inside_paths_in(&self, text: &[u8]) -> Vec<u8> {
        let mut text = text.to_vec();
        for (outside, inside) in [
            (crate::target_dir(), TARGET_INSIDE),
            (crate::build::fixtures_src(), SOURCES_INSIDE),
        ] {
            let outside = outside.as_os_str().as_bytes().to_vec();
            let mut out = Vec::with_capacity(text.len());
            let mut rest = &text[..];
            while let Some(at) = rest.windows(outside.len()).position(|w| w == outside) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(inside.as_bytes());
                rest = &rest[at + outside.len()..];
            }
            out.extend_from_slice(rest);
            text = out;
        }
        text
    }

    /// The path on this machine of `path` inside the root (the inverse of [`Root::inside`]).
    pub fn outside(&self, path: &Path) -> PathBuf {
        for (inside, outside) in [
            (TARGET_INSIDE, crate::target_dir()),
            (SOURCES_INSIDE, crate::build::fixtures_src()),
        ] {
            if let Ok(rest) = path.strip_prefix(inside) {
                return outside.join(rest);
            }
        }
        if path == Path::new(LD_RS_INSIDE) {
            return crate::ld_rs();
        }
        self.dir.join(path.strip_prefix("/").unwrap_or(path))
    }

    /// A command that runs `program` (a path inside the root) inside it, in `dir` (inside the
    /// root), with `loader` (a path inside the root) mounted over the root's own loader if
    /// given. Arguments and environment are the caller's to add; the environment should be
    /// cleared, as the child's is whatever the command is given.
    pub fn command(&self, program: &Path, dir: &Path, loader: Option<&Path>) -> Command {
        let c = |path: &Path| CString::new(path.as_os_str().as_bytes()).expect("no NUL in a path");
        let at = |inside: &str| c(&self.dir.join(inside.trim_start_matches('/')));
        let setup = Setup {
            root: c(&self.dir),
            mnt: at("/mnt"),
            mnt_target: at(TARGET_INSIDE),
            mnt_src: at(SOURCES_INSIDE),
            mnt_ld_rs: at(LD_RS_INSIDE),
            target: c(&crate::target_dir()),
            src: c(&crate::build::fixtures_src()),
            ld_rs: c(&crate::ld_rs()),
            proc_dir: at("/proc"),
            tmp: at("/tmp"),
            shm: at("/dev/shm"),
            cwd: c(dir),
            loader: loader.map(c),
            loader_target: c(Path::new(LOADER_INSIDE)),
        };
        let mut command = Command::new(program);
        // SAFETY: the closure runs in the child between fork and exec, where only
        // async-signal-safe calls are allowed: it makes system calls on strings made above
        // (no allocation, no lock) and reads errno.
        unsafe {
            command.pre_exec(move || setup.enter());
        }
        command
    }
}

/// What a child does before it executes a program inside a root: every path made beforehand,
/// since nothing may be allocated between fork and exec.
struct Setup {
    root: CString,
    mnt: CString,
    mnt_target: CString,
    mnt_src: CString,
    mnt_ld_rs: CString,
    target: CString,
    src: CString,
    ld_rs: CString,
    proc_dir: CString,
    tmp: CString,
    shm: CString,
    cwd: CString,
    loader: Option<CString>,
    loader_target: CString,
}

impl Setup {
    /// The private mount namespace, the mounts of the module doc, chroot and chdir.
    fn enter(&self) -> std::io::Result<()> {
        // SAFETY: unshare changes only this (single-threaded, just forked) process's mount
        // namespace.
        check(unsafe { libc::unshare(libc::CLONE_NEWNS) })?;
        mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None)?;
        mount(Some(c"tmpfs"), &self.mnt, Some(c"tmpfs"), 0, Some(c"mode=755"))?;
        for dir in [&self.mnt_target, &self.mnt_src] {
            // SAFETY: a NUL-terminated path alive across the call.
            check(unsafe { libc::mkdir(dir.as_ptr(), 0o755) })?;
        }
        // SAFETY: as above; the descriptor is closed at once.
        let fd = unsafe {
            libc::open(
                self.mnt_ld_rs.as_ptr(),
                libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                0o755,
            )
        };
        check(fd)?;
        // SAFETY: fd was just opened by this process.
        unsafe { libc::close(fd) };
        mount(Some(&self.target), &self.mnt_target, None, libc::MS_BIND, None)?;
        mount(Some(&self.src), &self.mnt_src, None, libc::MS_BIND, None)?;
        mount(Some(&self.ld_rs), &self.mnt_ld_rs, None, libc::MS_BIND, None)?;
        mount(Some(c"proc"), &self.proc_dir, Some(c"proc"), 0, None)?;
        mount(Some(c"tmpfs"), &self.tmp, Some(c"tmpfs"), 0, Some(c"mode=1777"))?;
        mount(Some(c"tmpfs"), &self.shm, Some(c"tmpfs"), 0, Some(c"mode=1777"))?;
        // SAFETY: NUL-terminated paths alive across the calls.
        check(unsafe { libc::chroot(self.root.as_ptr()) })?;
        // SAFETY: as above.
        check(unsafe { libc::chdir(self.cwd.as_ptr()) })?;
        if let Some(loader) = &self.loader {
            // Inside the root now: the link /lib64/ld-linux-x86-64.so.2 resolves in it.
            mount(Some(loader), &self.loader_target, None, libc::MS_BIND, None)?;
        }
        Ok(())
    }
}

/// mount(2) with optional strings.
fn mount(
    source: Option<&std::ffi::CStr>,
    target: &std::ffi::CStr,
    fstype: Option<&std::ffi::CStr>,
    flags: libc::c_ulong,
    data: Option<&std::ffi::CStr>,
) -> std::io::Result<()> {
    let ptr = |s: Option<&std::ffi::CStr>| s.map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: every pointer is a NUL-terminated string alive across the call, or null where
    // mount(2) allows it.
    check(unsafe { libc::mount(ptr(source), target.as_ptr(), ptr(fstype), flags, ptr(data).cast()) })
}

fn check(result: libc::c_int) -> std::io::Result<()> {
    if result < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}
