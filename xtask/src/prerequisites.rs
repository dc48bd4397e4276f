//! `cargo xtask prerequisites`: checks, one line each, what building, the demo and the tests
//! need (the README's list), and says what is missing and how to get it.

use crate::cmd::Failed;
use std::path::Path;
use std::process::{Command, Stdio};

/// The first line `argv` prints (stdout, else stderr) if it runs and succeeds.
fn version(argv: &[&str]) -> Option<String> {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    let first = String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    Some(if first.is_empty() {
        format!("`{}` runs", argv.join(" "))
    } else {
        first
    })
}

/// Whether the effective user is root (the owner of /proc/self).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// One prerequisite: what it is, what needs it, how to get it, and what was found.
struct Check {
    what: &'static str,
    for_: &'static str,
    fix: &'static str,
    found: Option<String>,
}

fn program(what: &'static str, argv: &[&str], for_: &'static str, fix: &'static str) -> Check {
    Check {
        what,
        for_,
        fix,
        found: version(argv),
    }
}

fn file(what: &'static str, path: &str, for_: &'static str, fix: &'static str) -> Check {
    Check {
        what,
        for_,
        fix,
        found: Path::new(path).exists().then(|| path.to_owned()),
    }
}

/// `cargo xtask prerequisites`: prints every check; fails if one is missing.
pub fn run() -> Result<(), Failed> {
    let glibc = version(&["/lib64/ld-linux-x86-64.so.2", "--version"]).filter(|v| v.contains(" 2.36"));
    let rustc = version(&["rustc", "--version"]).filter(|v| {
        let minor = v
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.split('.').nth(1)?.parse::<u32>().ok());
        minor.is_some_and(|minor| minor >= 95)
    });
    let avx = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .filter(|info| {
            info.lines()
                .any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "avx"))
        })
        .map(|_| "avx".to_owned());
    let checks = [
        Check {
            what: "glibc 2.36's loader",
            for_: "everything (Debian 12)",
            fix: "a Debian 12 machine",
            found: glibc,
        },
        Check {
            what: "rustc 1.95 or newer",
            for_: "building",
            fix: "rustup update stable",
            found: rustc,
        },
        program(
            "rustfmt",
            &["cargo", "fmt", "--version"],
            "cargo xtask check",
            "rustup component add rustfmt",
        ),
        program(
            "clippy",
            &["cargo", "clippy", "--version"],
            "cargo xtask check",
            "rustup component add clippy",
        ),
        program(
            "gcc",
            &["gcc", "--version"],
            "the fixtures, the demo",
            "apt-get install -y gcc",
        ),
        program(
            "g++",
            &["g++", "--version"],
            "the C++ fixtures",
            "apt-get install -y g++",
        ),
        program(
            "binutils",
            &["readelf", "--version"],
            "the fixtures",
            "apt-get install -y binutils",
        ),
        file(
            "libc6-dev",
            "/usr/lib/x86_64-linux-gnu/crt1.o",
            "the fixtures",
            "apt-get install -y libc6-dev",
        ),
        program(
            "patchelf",
            &["patchelf", "--version"],
            "the PT_INTERP copies",
            "apt-get install -y patchelf",
        ),
        file(
            "python3.11",
            "/usr/bin/python3.11",
            "the demo, the tests",
            "apt-get install -y python3.11",
        ),
        program(
            "perl",
            &["perl", "-e", "print qq(perl $])"],
            "the tests of ld-rs run",
            "apt-get install -y perl-base",
        ),
        program(
            "util-linux",
            &["setpriv", "--version"],
            "unshare, setpriv: the tests",
            "apt-get install -y util-linux",
        ),
        file(
            "pyenv's CPython 3.11.7",
            "/root/.pyenv/versions/3.11.7/include/python3.11/Python.h",
            "the python tests, cargo xtask regrtest",
            "pyenv install 3.11.7, as root (its shared libpython and headers)",
        ),
        Check {
            what: "root",
            for_: "the secure-mode and system-wide tests, programs, regrtest",
            fix: "run as root",
            found: is_root().then(|| "uid 0".to_owned()),
        },
        program(
            "user namespaces",
            &["unshare", "-U", "true"],
            "ld-rs run without root",
            "sysctl -w user.max_user_namespaces=10000",
        ),
        program(
            "gdb",
            &["gdb", "--version"],
            "the gdb test, glibc-layout --check",
            "apt-get install -y gdb",
        ),
        program(
            "libc6-dbg",
            &["dpkg", "-s", "libc6-dbg"],
            "cargo xtask glibc-layout --check / (in cargo xtask test)",
            "apt-get install -y libc6-dbg",
        ),
        program(
            "valgrind",
            &["valgrind", "--version"],
            "cargo xtask bench, programs",
            "apt-get install -y valgrind",
        ),
        Check {
            what: "a CPU with AVX",
            for_: "the lazy-binding AVX tests",
            fix: "another machine",
            found: avx,
        },
    ];
    let mut missing = 0;
    for check in &checks {
        match &check.found {
            Some(found) => println!("ok       {:<24} {found}", check.what),
            None => {
                missing += 1;
                println!("MISSING  {:<24} for {}: {}", check.what, check.for_, check.fix);
            }
        }
    }
    if missing > 0 {
        println!("{missing} missing: the tests that need them fail (LD_RS_TESTS_ALLOW_SKIP=1 skips them)");
        return Err(Failed);
    }
    println!("all {} present", checks.len());
    Ok(())
}
