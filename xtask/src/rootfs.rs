//! `cargo xtask rootfs SUITE`: a Debian root filesystem of another release (`trixie`: Debian 13,
//! glibc 2.41) made with debootstrap and cached under `target/rootfs/SUITE`, with the packages
//! the tests and `cargo xtask glibc-layout` need installed inside it.
//!
//! The archive is the one this machine's apt uses (the first `URIs:` line of
//! `/etc/apt/sources.list.d/debian.sources`), so the command works wherever apt does. A stamp
//! file written last makes the command idempotent: a root filesystem without it (an interrupted
//! run) is removed and made again.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::cmd::{status, target_dir, Failed};

/// What is installed in the chroot after debootstrap's minimal base: the interpreter the
/// differential tests run, glibc's debug info (for `cargo xtask glibc-layout` and the IFUNC
/// tests' variant names), a compiler for the fixtures built inside the chroot, python's
/// headers (the tests' extension modules) and CPython's own test suite (`cargo xtask regrtest
/// --root trixie`) with the `ensurepip` module Debian splits off (test_venv, test_ensurepip),
/// and glibc's `sotruss` (the audit theme's tests of it).
const PACKAGES: &[&str] = &[
    "python3",
    "libc6-dbg",
    "gcc",
    "g++",
    "libc6-dev",
    "libpython3.13-dev",
    "libpython3.13-testsuite",
    "python3.13-venv",
    "libc-devtools",
];

/// The suites this command knows how to make (those the glibc layer is meant to support).
const SUITES: &[&str] = &["trixie", "bookworm"];

/// `suite` as one of [`SUITES`] (a `'static` name), or a failure saying which are known.
pub fn known_suite(suite: &str) -> Result<&'static str, Failed> {
    SUITES.iter().find(|s| **s == suite).copied().ok_or_else(|| {
        eprintln!("xtask: rootfs: unknown suite {suite:?} (known: {SUITES:?})");
        Failed
    })
}

/// Where `cargo xtask rootfs SUITE` puts (or finds) the root filesystem.
pub fn path(suite: &str) -> PathBuf {
    target_dir().join("rootfs").join(suite)
}

/// The root filesystem of `suite` if `cargo xtask rootfs` has finished making it.
pub fn made(suite: &str) -> Option<PathBuf> {
    let root = path(suite);
    stamp_path(&root).exists().then_some(root)
}

/// `cargo xtask rootfs SUITE`: makes the root filesystem unless its stamp is there, then
/// prints its path.
pub fn run(options: &[&str]) -> Result<(), Failed> {
    let [suite] = options else {
        eprintln!("xtask: usage: cargo xtask rootfs SUITE (one of {SUITES:?})");
        return Err(Failed);
    };
    if !SUITES.contains(suite) {
        eprintln!("xtask: rootfs: unknown suite {suite:?} (known: {SUITES:?})");
        return Err(Failed);
    }
    let root = ensure(suite)?;
    println!("{}", root.display());
    Ok(())
}

/// Makes the root filesystem of `suite` if it is not there yet; returns its path.
pub fn ensure(suite: &str) -> Result<PathBuf, Failed> {
    ensure_with(suite, &[])
}

/// [`ensure`], with `extra` packages installed too (those of one command only, such as the
/// programs `cargo xtask programs --root` runs, which the tests do not need).
pub fn ensure_with(suite: &str, extra: &[&str]) -> Result<PathBuf, Failed> {
    let root = path(suite);
    let stamp = stamp_path(&root);
    if let Ok(text) = fs::read_to_string(&stamp) {
        // A root filesystem made with fewer packages than now wanted gets the rest.
        let installed: Vec<&str> = text
            .lines()
            .find_map(|line| line.strip_prefix("packages "))
            .map(|list| list.split_whitespace().collect())
            .unwrap_or_default();
        let missing: Vec<&str> = PACKAGES
            .iter()
            .chain(extra)
            .copied()
            .filter(|p| !installed.contains(p))
            .collect();
        if missing.is_empty() {
            return Ok(root);
        }
        eprintln!("xtask: rootfs: {} lacks {missing:?}: installing them", root.display());
        install_packages(&root, &missing)?;
        let mut now = installed.clone();
        now.extend(&missing);
        write_stamp(&stamp, suite, &text, &now)?;
        return Ok(root);
    }
    let started = Instant::now();
    if root.exists() {
        eprintln!(
            "xtask: rootfs: {} has no stamp (an interrupted run?): making it again",
            root.display()
        );
        // An interrupted run may have left /proc mounted inside; never delete through a mount.
        unmount_all(&root);
        fs::remove_dir_all(&root).map_err(|err| {
            eprintln!("xtask: rootfs: cannot remove {}: {err}", root.display());
            Failed
        })?;
    }
    if which("debootstrap").is_none() {
        eprintln!("xtask: rootfs: debootstrap is missing: installing it with apt-get");
        status(
            Command::new("apt-get").args(["install", "-y", "-q", "debootstrap"]),
            "apt-get install debootstrap",
        )?;
    }
    let mirror = archive_uri()?;
    fs::create_dir_all(root.parent().expect("rootfs has a parent")).map_err(|err| {
        eprintln!("xtask: rootfs: cannot create {}: {err}", root.display());
        Failed
    })?;
    eprintln!(
        "xtask: rootfs: debootstrap --variant=minbase {suite} {} {mirror}",
        root.display()
    );
    status(
        Command::new("debootstrap")
            .args(["--variant=minbase", suite])
            .arg(&root)
            .arg(&mirror),
        "debootstrap",
    )?;
    let bootstrapped = started.elapsed();
    let wanted: Vec<&str> = PACKAGES.iter().chain(extra).copied().collect();
    install_packages(&root, &wanted)?;
    write_stamp(&stamp, suite, &format!("mirror {mirror}\n"), &wanted)?;
    eprintln!(
        "xtask: rootfs: {suite} made in {:.0?} (debootstrap {:.0?}, packages {:.0?})",
        started.elapsed(),
        bootstrapped,
        started.elapsed() - bootstrapped
    );
    Ok(root)
}

/// Writes the stamp: the suite, the mirror line of `old` (an earlier stamp, or the new mirror
/// line) and the packages installed now.
fn write_stamp(stamp: &Path, suite: &str, old: &str, packages: &[&str]) -> Result<(), Failed> {
    let mirror = old
        .lines()
        .find(|line| line.starts_with("mirror "))
        .unwrap_or("mirror ?");
    fs::write(
        stamp,
        format!("suite {suite}\n{mirror}\npackages {}\n", packages.join(" ")),
    )
    .map_err(|err| {
        eprintln!("xtask: rootfs: cannot write {}: {err}", stamp.display());
        Failed
    })
}

fn stamp_path(root: &Path) -> PathBuf {
    let name = format!(
        "{}.stamp",
        root.file_name().expect("rootfs has a name").to_string_lossy()
    );
    root.with_file_name(name)
}

/// apt-get inside the chroot, with /proc mounted for the duration (dpkg's maintainer scripts
/// want it) and unmounted afterwards whatever happened. The C library's packages are held:
/// ld-rs knows the root's glibc build by its build id, so a package that would upgrade it is
/// refused (apt says which) rather than silently replacing the build the tests expect
/// (`libc6-dev` and `libc6-dbg` depend on the exact version of `libc6`, so they follow).
fn install_packages(root: &Path, packages: &[&str]) -> Result<(), Failed> {
    let proc_dir = root.join("proc");
    let mounted = status(
        Command::new("mount").args(["-t", "proc", "proc"]).arg(&proc_dir),
        "mount -t proc proc ROOT/proc",
    );
    let result = (|| {
        let chroot_apt = |args: &[&str], what: &str| {
            status(
                Command::new("chroot")
                    .arg(root)
                    .arg("apt-get")
                    .args(args)
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
                what,
            )
        };
        chroot_apt(&["update", "-q"], "chroot apt-get update")?;
        status(
            Command::new("chroot")
                .arg(root)
                .args(["apt-mark", "hold", "libc6", "libc-bin"])
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .stdout(std::process::Stdio::null()),
            "chroot apt-mark hold libc6 libc-bin",
        )?;
        let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
        install.extend_from_slice(packages);
        chroot_apt(&install, "chroot apt-get install")?;
        chroot_apt(&["clean"], "chroot apt-get clean")
    })();
    if mounted.is_ok() {
        unmount_all(root);
    }
    mounted.and(result)
}

/// Unmounts whatever this command may have mounted under `root` (lazily, so a busy mount does
/// not stop the cleanup); a mount point that is not mounted is left alone.
fn unmount_all(root: &Path) {
    let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut inside: Vec<&str> = mounts
        .lines()
        .filter_map(|line| line.split(' ').nth(1))
        .filter(|point| Path::new(point).starts_with(root))
        .collect();
    // Deepest first.
    inside.sort_by_key(|point| std::cmp::Reverse(point.len()));
    for point in inside {
        let _ = status(
            Command::new("umount").args(["-l", point]),
            &format!("umount -l {point}"),
        );
    }
}

/// The first `URIs:` of this machine's deb822 apt sources: the Debian archive apt uses.
fn archive_uri() -> Result<String, Failed> {
    const SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
    let text = fs::read_to_string(SOURCES).map_err(|err| {
        eprintln!("xtask: rootfs: cannot read {SOURCES}: {err}");
        Failed
    })?;
    text.lines()
        .find_map(|line| line.strip_prefix("URIs:"))
        .and_then(|uris| uris.split_whitespace().next())
        .map(str::to_owned)
        .ok_or_else(|| {
            eprintln!("xtask: rootfs: no `URIs:` line in {SOURCES}");
            Failed
        })
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
