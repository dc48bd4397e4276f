//! Failure injection: every `mmap`, `openat`, `read` (`pread64`), `fstat` and `mprotect`
//! ld-rs makes, made to fail one at a time, must end cleanly.
//!
//! ld-rs's `fail-inject` feature (`crates/ld-rs/src/fail.rs`) makes the N-th call of one
//! system call fail when `LD_RS_FAIL=SYSCALL:N` (counted from start-up) or
//! `LD_RS_FAIL=SYSCALL:+N` (counted once the program runs) is set, and says so in one
//! line on stderr. This test builds that linker into a target directory of its own
//! (`<target>/fail-inject`), never the release artifact, and for each system call tries
//! every N until the line no longer appears (N is past the last call):
//!
//! - **start-up** (`prog`, which needs `libfi.so` and through it `libfidep.so`): the run
//!   either ends as under glibc's ld.so without injection (the failure was one a loader
//!   may survive: an unreadable `/etc/ld.so.cache`) or with exactly one error line and
//!   status 127 — never a signal, a hang or "internal error";
//! - **`dlopen`** (`opener`, which `dlopen`s `libfi.so` after start-up): the first
//!   `dlopen` either succeeds as under glibc or returns NULL with a `dlerror` text, leaves
//!   no mapping of the library's files, no reservation and no descriptor behind, and a
//!   second `dlopen` of the same library then succeeds.
//!
//! glibc's ld.so, run without injection, is the oracle for what a successful run prints.

use ld_rs_tests::{fixtures, run::spawn_with_timeout, Exit, Outcome, GLIBC_LOADER};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// The system calls `LD_RS_FAIL` can fail.
const CALLS: &[&str] = &["mmap", "openat", "read", "fstat", "mprotect"];
/// More calls than any run here makes: a loop that reaches it has not ended.
const MAX_N: usize = 200;
const TIMEOUT: Duration = Duration::from_secs(20);
const NOTICE: &str = "ld-rs.so: fail-inject: ";

/// The fail-inject build of ld-rs, built once (cargo does nothing when it is up to date).
fn fail_inject_linker() -> &'static Path {
    static LINKER: OnceLock<PathBuf> = OnceLock::new();
    LINKER.get_or_init(|| {
        let root = ld_rs_tests::workspace_root();
        let target = ld_rs_tests::target_dir().join("fail-inject");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(root)
            .args([
                "build",
                "--release",
                "-p",
                "ld-rs",
                "--features",
                "fail-inject",
                "--target-dir",
            ])
            .arg(&target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building ld-rs with --features fail-inject failed");
        let linker = target.join("release").join("ld-rs.so");
        linker
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", linker.display()))
    })
}

/// Runs `program args` under `loader` (explicitly, `loader program args`).
fn run(loader: &Path, program: &Path, args: &[&Path], fail: Option<&str>) -> Outcome {
    let mut command = Command::new(loader);
    command.arg(program).args(args).env_clear();
    let mut line = String::new();
    if let Some(fail) = fail {
        command.env("LD_RS_FAIL", fail);
        line = format!("LD_RS_FAIL={fail} ");
    }
    line.push_str(&format!("{} {}", loader.display(), program.display()));
    for arg in args {
        line.push_str(&format!(" {}", arg.display()));
    }
    spawn_with_timeout(command, line, TIMEOUT)
}

/// Runs `program` (whose `PT_INTERP` names the loader) directly.
fn run_direct(program: &Path, fail: Option<&str>) -> Outcome {
    let mut command = Command::new(program);
    command.env_clear();
    let mut line = String::new();
    if let Some(fail) = fail {
        command.env("LD_RS_FAIL", fail);
        line = format!("LD_RS_FAIL={fail} ");
    }
    line.push_str(&program.display().to_string());
    spawn_with_timeout(command, line, TIMEOUT)
}

/// stderr without the injection's own line; whether that line was there.
fn without_notice(out: &Outcome) -> (String, bool) {
    let text = out.stderr_text();
    let injected = text.lines().any(|l| l.starts_with(NOTICE));
    let rest = text
        .lines()
        .filter(|l| !l.starts_with(NOTICE))
        .map(|l| format!("{l}\n"))
        .collect();
    (rest, injected)
}

/// `prog` with `PT_INTERP` naming the fail-inject build, beside `prog` (for its
/// `$ORIGIN`), written aside and renamed into place.
fn interp_copy(prog: &Path, linker: &Path) -> PathBuf {
    let copy = prog.with_extension("fail-inject");
    let tmp = prog.with_extension(format!("fail-inject.{}", std::process::id()));
    std::fs::copy(prog, &tmp).expect("the program can be copied");
    let status = Command::new("patchelf")
        .arg("--set-interpreter")
        .arg(linker)
        .arg(&tmp)
        .status()
        .expect("patchelf runs (apt-get install patchelf)");
    assert!(
        status.success(),
        "patchelf --set-interpreter failed on {}",
        tmp.display()
    );
    std::fs::rename(&tmp, &copy).expect("the copy can be renamed into place");
    copy
}

/// Fails each call of start-up in turn, for every system call: started as
/// `ld-rs.so prog` (ld-rs maps the program).
#[test]
fn startup_explicit() {
    startup(false);
}

/// The same, with the kernel mapping the program (`PT_INTERP`).
#[test]
fn startup_interp() {
    startup(true);
}

fn startup(interp: bool) {
    let built = fixtures::failinject();
    let prog = built.path("prog");
    let linker = fail_inject_linker();
    let reference = run(Path::new(GLIBC_LOADER), &prog, &[], None);
    assert_eq!(
        (reference.exit, reference.stdout_text().as_str()),
        (Exit::Code(0), "fi_value=42\n"),
        "the oracle (glibc's ld.so) did not run prog as the test expects:\n{reference}"
    );
    let copy = interp.then(|| interp_copy(&prog, linker));
    let mut problems = Vec::new();
    let mut counts = Vec::new();
    for call in CALLS {
        let mut n = 1;
        loop {
            assert!(n < MAX_N, "{call}: still failing calls after {MAX_N}");
            let fail = format!("{call}:{n}");
            let out = match &copy {
                Some(copy) => run_direct(copy, Some(&fail)),
                None => run(linker, &prog, &[], Some(&fail)),
            };
            let (stderr, injected) = without_notice(&out);
            let survived = out.exit == reference.exit && out.stdout == reference.stdout && stderr.is_empty();
            if !injected {
                if !survived {
                    problems.push(format!("{fail}: no failure injected, yet not glibc's run:\n{out}"));
                }
                break;
            }
            let clean = out.exit == Exit::Code(127)
                && out.stdout.is_empty()
                && stderr.lines().count() == 1
                // Prefixed with the program's name, or the loader's before it is known.
                && stderr.contains(": error while loading shared libraries: ")
                && !stderr.contains("internal error");
            if !survived && !clean {
                problems.push(format!(
                    "{fail}: neither glibc's run nor one error line and status 127:\n{out}"
                ));
            }
            n += 1;
        }
        counts.push(format!("{call}: {}", n - 1));
    }
    eprintln!(
        "start-up calls ({}): {}",
        if interp { "interp" } else { "explicit" },
        counts.join(", ")
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Fails each call of a `dlopen` in turn, for every system call.
#[test]
fn dlopen() {
    let built = fixtures::failinject();
    let opener = built.path("opener");
    let lib = built.path("libfi.so");
    let linker = fail_inject_linker();
    let reference = run(Path::new(GLIBC_LOADER), &opener, &[&lib], None);
    let expected = "opening\nfirst: ok 42\nleaked: none\nsecond: ok 42\n";
    assert_eq!(
        (reference.exit, reference.stdout_text().as_str()),
        (Exit::Code(0), expected),
        "the oracle (glibc's ld.so) did not run opener as the test expects:\n{reference}"
    );
    let mut problems = Vec::new();
    let mut counts = Vec::new();
    for call in CALLS {
        let mut n = 1;
        loop {
            assert!(n < MAX_N, "{call}: still failing calls after {MAX_N}");
            let fail = format!("{call}:+{n}");
            let out = run(linker, &opener, &[&lib], Some(&fail));
            let stderr = out.stderr_text();
            // Where the injected failure fell: in the first dlopen (and its dlclose), or later.
            let notice = stderr.find(NOTICE);
            let first_done = stderr.find("-- first done");
            if notice.is_none_or(|at| first_done.is_some_and(|done| done < at)) {
                if notice.is_none() && (out.exit != reference.exit || out.stdout != reference.stdout) {
                    problems.push(format!("{fail}: no failure injected, yet not glibc's run:\n{out}"));
                }
                break;
            }
            let stdout = out.stdout_text();
            let mut lines = stdout.lines();
            let ok = out.exit == Exit::Code(0)
                && lines.next() == Some("opening")
                && lines.next().is_some_and(|l| {
                    l == "first: ok 42" || l.strip_prefix("first: failed: ").is_some_and(|e| !e.is_empty())
                })
                && lines.next() == Some("leaked: none")
                && lines.next() == Some("second: ok 42")
                && lines.next().is_none();
            let (rest, _) = without_notice(&out);
            if !ok || rest != "-- first done\n" {
                problems.push(format!("{fail}: the failed dlopen did not end cleanly:\n{out}"));
            }
            n += 1;
        }
        counts.push(format!("{call}: {}", n - 1));
    }
    eprintln!("calls in one dlopen: {}", counts.join(", "));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The release artifact has no failure injection: `LD_RS_FAIL` means nothing to it.
#[test]
fn not_in_release() {
    let release = std::fs::read(ld_rs_tests::ld_rs()).expect("the release linker is readable");
    let inject = std::fs::read(fail_inject_linker()).expect("the fail-inject linker is readable");
    let has = |bytes: &[u8]| bytes.windows(10).any(|w| w == b"LD_RS_FAIL");
    assert!(
        has(&inject),
        "the fail-inject build does not know LD_RS_FAIL: the check below proves nothing"
    );
    assert!(
        !has(&release),
        "the release build of ld-rs.so contains the fail-inject code"
    );
}
