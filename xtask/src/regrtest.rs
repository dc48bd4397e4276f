//! `cargo xtask regrtest`: CPython's own regression suite under glibc's loader and under ld-rs,
//! compared testcase by testcase.
//!
//! The pyenv CPython 3.11.7 ([`PYTHON`]) runs `-m test` twice with the same arguments: once
//! plainly (glibc's ld.so) and once system-wide under ld-rs — a private mount namespace with
//! ld-rs bind-mounted over glibc's loader, so python, every worker process regrtest starts and
//! every program a test starts run under ld-rs. Each run writes regrtest's JUnit XML
//! (`--junit-xml`, one `<testcase>` per test method) and its log, from which each test file's
//! result is read (`test_os passed`, `… failed`, `… worker non-zero exit code`, `… timed out`).
//!
//! A regression is a testcase that passes under glibc and fails or errors under ld-rs, or a
//! test file that ends well under glibc and crashes, times out or fails without a failing
//! testcase to show for it under ld-rs (a failed subtest, for one, leaves no named testcase).
//! Every regression is run once more under both linkers (`--matchfile` with the testcases, or
//! the whole file) before it counts: one that passes under ld-rs on the rerun, or fails under
//! glibc too, is reported as flaky and does not fail the command.
//!
//! With `--root trixie` the same comparison runs inside Debian 13's root filesystem (`cargo
//! xtask rootfs trixie`, made if missing): Debian's `/usr/bin/python3.13` runs the suite of
//! `libpython3.13-testsuite` there, glibc 2.41's own loader is the oracle, and ld-rs is
//! bind-mounted over the root's loader. Each run is `unshare -m` + `chroot`, with `/proc`, a
//! tmpfs on `/tmp` and `/dev/shm`, and the run's output directory on the root's `/mnt` (where
//! regrtest writes its JUnit XML and reads a rerun's match file), all private to the run.
//!
//! Outputs go to `<target>/regrtest/<set>/` (`ci`, `full` or `subset`, prefixed with
//! `trixie-` in the root): each run's `junit.xml`
//! and `output.log` in a directory named after its linker (`glibc`, `ld-rs`, `rerun-glibc`,
//! `rerun-ld-rs`), the ld-rs file that was mounted, and the report, which is also copied to
//! `<target>/regrtest/report.txt`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cmd::{self, Failed};
use crate::compare::GLIBC_LOADER;
use crate::demo::build_ld_rs;

/// The interpreter whose suite runs: pyenv's 3.11.7 (its `lib/python3.11/test` is the suite).
/// `$REGRTEST_PYTHON` names another.
const PYTHON: &str = "/root/.pyenv/versions/3.11.7/bin/python3.11";

/// regrtest's resources: everything but what this machine cannot do or what takes hours.
/// No network (`network`, `urlfetch`), no display (`gui`), no multi-gigabyte files
/// (`largefile`) and not the CPU-heavy variants (`cpu`).
const RESOURCES: &str = "all,-network,-urlfetch,-gui,-largefile,-cpu";

/// regrtest's random seed, the same for both runs (it seeds `random` in every test file).
const RANDSEED: &str = "1";

/// The `--ci` subset: the test files that exercise the loader hardest, within CI's budget.
///
/// CI has 20 minutes on a 2-core machine and everything else it runs takes about a minute, so
/// this subset may take about 8 minutes for both linkers together (two runs of `-j 2`, plus the
/// reruns of any regression). Measured on the 2-core development machine (2026-11-23,
/// `-j 2`, another engineer's tests running too): these 48 files take 2m00s under glibc and
/// 2m08s under ld-rs, 4m15s for `cargo xtask regrtest --ci` with ld-rs already built (4m18s
/// while a full-suite comparison ran alongside) — room for reruns and a slower machine. The run is as long as its slowest files: test_signal
/// (49 s), test_ssl (40-45 s), test_subprocess (28 s), test_faulthandler (19 s),
/// test_threading (13 s); all others take under 10 s.
///
/// Left out: `test_multiprocessing_{fork,spawn,forkserver}` and `test_concurrent_futures`,
/// which pyenv's 3.11.7 does not install (3.11.7 made them packages and its `make install`
/// omits them: regrtest fails on their names), so `test_multiprocessing_main_handling` and
/// `test_compileall` (process pools) stand in; `test_socket` (30 s; beyond NSS, which
/// `test_pwd` and `test_grp` cover, it works the kernel, not the loader); `test_asyncio` (tens
/// of files, minutes, no loader work beyond `test_subprocess`'s); `test_interpreters` and
/// `test__xxsubinterpreters` (both hang in a test method under either linker on this machine
/// until the timeout). The `decimal` resource's long arithmetic suite is in (`-u all`) and
/// takes under 5 s.
pub const CI_MODULES: &[&str] = &[
    // ctypes: dlopen, dlsym, callbacks through libffi closures, find_library (ldconfig, gcc).
    "test_ctypes",
    // threads: pthread_create's TLS and stacks from the loader's static TLS sizes, thread exit,
    // signals delivered to threads.
    "test_threading",
    "test_thread",
    "test_threadsignals",
    // the C API test extensions (_testcapi, _testinternalcapi, …): many extension modules.
    "test_capi",
    // import machinery: extension modules loaded and reloaded, by spec, from files.
    "test_importlib",
    // os: fork, exec, environment, file descriptors, scheduler and affinity calls.
    "test_os",
    "test_posix",
    "test_fork1",
    "test_pty",
    "test_resource",
    // subprocess: fork/exec/posix_spawn of python and of shell commands, all under ld-rs.
    "test_subprocess",
    // python started with many command lines and environments (-X, -I, PYTHON* variables).
    "test_cmd_line",
    "test_sys",
    // signals: handlers, sigaltstack, pthread_kill, signals in threads.
    "test_signal",
    // extension modules linking system libraries: libsqlite3, libssl/libcrypto, libz,
    // libbz2, liblzma, libexpat, libmpdec, libreadline.
    "test_sqlite3",
    "test_ssl",
    "test_hashlib",
    "test_zlib",
    "test_bz2",
    "test_lzma",
    "test_pyexpat",
    "test_decimal",
    "test_readline",
    // multiprocessing with the fork, spawn and forkserver start methods.
    "test_multiprocessing_main_handling",
    // faulthandler: signal handlers on an alternate stack, crashes in a child (SIGSEGV…).
    "test_faulthandler",
    // tracemalloc: frames and thread-specific storage in the allocator hooks.
    "test_tracemalloc",
    // locale and time: libc's locale files, strftime, time zones.
    "test_locale",
    "test_time",
    // embedding: the _testembed program linking libpython, run many times.
    "test_embed",
    // NSS: getpwnam, getgrnam, getspnam make libc dlopen libnss_* modules; libcrypt.
    "test_pwd",
    "test_grp",
    "test_spwd",
    "test_crypt",
    // more extension modules over system libraries: dbm (gdbm/ndbm), Tcl, libuuid, the
    // fuzzing harness extension, unicodedata.
    "test_dbm",
    "test_tcl",
    "test_uuid",
    "test_xxtestfuzz",
    "test_unicodedata",
    // venv: a copied/symlinked python started from another directory (RUNPATH, ensurepip).
    "test_venv",
    // python started many times with other site setups, sysconfig's queries of the build.
    "test_site",
    "test_sysconfig",
    // process pools (concurrent.futures' ProcessPoolExecutor), exit handlers in children.
    "test_compileall",
    "test_atexit",
    // system calls interrupted by signals in child processes, audit hooks in children.
    "test_eintr",
    "test_audit",
    "test_select",
    "test_fcntl",
];

/// `--root`'s interpreter and its test suite (Debian 13: python3, libpython3.13-testsuite),
/// inside the root filesystem.
const ROOT_PYTHON: &str = "/usr/bin/python3.13";
const ROOT_TESTS: &str = "/usr/lib/python3.13/test";

/// The `test` package of a python installation (`bin/pythonX.Y` → `lib/pythonX.Y/test`), for
/// `--ci` to see which of its files exist, if the installation has that layout.
fn python_tests_dir(python: &Path) -> Option<PathBuf> {
    let name = python.file_name()?;
    let dir = python.parent()?.parent()?.join("lib").join(name).join("test");
    dir.is_dir().then_some(dir)
}

/// The per-test-file timeout passed to regrtest (`--timeout`; its worker is killed at 1.5×).
const DEFAULT_TIMEOUT_SECS: u64 = 300;

/// Past this many regressed test files nothing is rerun: that is not flakiness.
const MAX_RERUN_MODULES: usize = 30;

/// A whole regrtest run longer than this is killed, with what it started in its process group
/// (regrtest's own per-file timeout should fire first; for `--ci`, a run takes 2 minutes).
fn run_deadline(ci: bool) -> Duration {
    if ci {
        Duration::from_secs(10 * 60)
    } else {
        Duration::from_secs(4 * 3600)
    }
}

// ---------------------------------------------------------------------------------------------
// Options.
// ---------------------------------------------------------------------------------------------

struct Options {
    jobs: usize,
    ci: bool,
    modules: Vec<String>,
    timeout: u64,
    compare_only: bool,
    /// `--root SUITE`: inside that root filesystem ([`crate::rootfs`]).
    root: Option<String>,
}

impl Options {
    fn parse(args: &[&str]) -> Result<Options, String> {
        let mut options = Options {
            jobs: 2,
            ci: false,
            modules: Vec::new(),
            timeout: DEFAULT_TIMEOUT_SECS,
            compare_only: false,
            root: None,
        };
        let mut args = args.iter();
        while let Some(&arg) = args.next() {
            let mut value = |name: &str| -> Result<u64, String> {
                let text = args.next().ok_or(format!("{name} needs a value"))?;
                text.parse().map_err(|_| format!("{name}: not a number: {text}"))
            };
            match arg {
                "-j" | "--jobs" => options.jobs = value(arg)?.max(1) as usize,
                "--timeout" => options.timeout = value(arg)?,
                "--ci" => options.ci = true,
                "--compare-only" => options.compare_only = true,
                "--root" => {
                    let suite = args.next().ok_or("--root needs a suite")?;
                    options.root = Some((*suite).to_owned());
                }
                _ if arg.starts_with("-j") && arg[2..].parse::<usize>().is_ok() => {
                    options.jobs = arg[2..].parse::<usize>().unwrap_or(2).max(1);
                }
                _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
                _ => options.modules.push(arg.to_owned()),
            }
        }
        if options.ci && !options.modules.is_empty() {
            return Err("--ci and test names exclude each other".to_owned());
        }
        Ok(options)
    }

    /// The name of the set of test files, also the output directory's.
    fn set_name(&self) -> String {
        let set = if self.ci {
            "ci"
        } else if self.modules.is_empty() {
            "full"
        } else {
            "subset"
        };
        match &self.root {
            Some(suite) => format!("{suite}-{set}"),
            None => set.to_owned(),
        }
    }

    /// The test files named on regrtest's command line (none: the whole suite). The `--ci`
    /// files that `suite` (the test directory `tests`) lacks are left out, saying so: CPython
    /// 3.13 removed `spwd` and `crypt`.
    fn selected(&self, tests: Option<&Path>) -> Vec<String> {
        if !self.ci {
            return self.modules.clone();
        }
        let Some(tests) = tests else {
            return CI_MODULES.iter().map(|m| (*m).to_owned()).collect();
        };
        let (present, absent): (Vec<&str>, Vec<&str>) = CI_MODULES
            .iter()
            .partition(|m| tests.join(m).is_dir() || tests.join(format!("{m}.py")).is_file());
        if !absent.is_empty() {
            println!(
                "regrtest: --ci without {} ({} has no such test)",
                absent.join(" "),
                tests.display()
            );
        }
        present.into_iter().map(str::to_owned).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Running regrtest.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Linker {
    Glibc,
    LdRs,
}

/// What every run needs.
struct Setup {
    /// The interpreter (inside [`Setup::root`], if any).
    python: PathBuf,
    /// The root filesystem the runs go into (`--root`), if any.
    root: Option<PathBuf>,
    /// The ld-rs file bind-mounted (a private copy, so a rebuild cannot change it mid-run).
    ld_rs: PathBuf,
    /// The real file behind glibc's `/lib64/ld-linux-x86-64.so.2`.
    mount_target: PathBuf,
    /// `<target>/regrtest/<set>/`.
    dir: PathBuf,
    jobs: usize,
    timeout: u64,
    deadline: Duration,
}

/// The environment of every run (besides `TMPDIR`): fixed, so both runs see the same.
fn run_env() -> Vec<(&'static str, String)> {
    vec![
        (
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
        ),
        ("HOME", std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned())),
        ("LANG", "C.UTF-8".to_owned()),
    ]
}

/// The system-wide wrappers, as in `cargo xtask programs`: glibc's run goes through the same
/// `unshare -m sh` without the mount. regrtest's stderr joins its stdout.
const SYSTEM_WIDE_MOUNT: &str = r#"mount --bind "$1" "$2" && shift 2 && exec "$@" 2>&1"#;
const SYSTEM_WIDE_PLAIN: &str = r#"exec "$@" 2>&1"#;

/// The wrapper of a run inside a root filesystem (`--root`), under `unshare -m`: arguments
/// ROOT, OUT (the run's directory, seen as `/mnt`), LINKER and TARGET (empty for glibc's run:
/// nothing mounted over the root's loader), then the command, started in `/tmp`. A private
/// devpts instance gives the run pseudo-terminals (test_pty, test_termios, test_readline, …
/// fail under both linkers without one).
const IN_ROOT: &str = r#"R=$1 O=$2 L=$3 T=$4 && shift 4 && mount -t proc proc "$R/proc" && mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" && mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm" && mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts" && mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx" && mount --bind "$O" "$R/mnt" && { [ -z "$L" ] || mount --bind "$L" "$T"; } && exec chroot "$R" /usr/bin/env -C /tmp "$@" 2>&1"#;

/// Where a run inside a root sees its output directory.
const OUT_INSIDE: &str = "/mnt";

/// regrtest's arguments besides the test names.
fn regrtest_args(setup: &Setup, junit: &Path, matchfile: Option<&Path>) -> Vec<String> {
    let mut args = vec![
        "-m".to_owned(),
        "test".to_owned(),
        format!("-j{}", setup.jobs),
        "-u".to_owned(),
        RESOURCES.to_owned(),
        "--timeout".to_owned(),
        setup.timeout.to_string(),
        "--randseed".to_owned(),
        RANDSEED.to_owned(),
        "--slowest".to_owned(),
        // AF_VSOCK tests: in a virtual machine with a vsock device (Firecracker) the threaded
        // stream test's server blocks in accept() forever, under either linker.
        "-i".to_owned(),
        "*VSOCK*".to_owned(),
        "--junit-xml".to_owned(),
        junit.display().to_string(),
    ];
    if let Some(file) = matchfile {
        args.push("--matchfile".to_owned());
        args.push(file.display().to_string());
    }
    args
}

/// Runs regrtest under `linker` on `modules` (all if empty), into `<dir>/<label>/`; prints its
/// progress lines prefixed with the label.
fn run_suite(
    setup: &Setup,
    linker: Linker,
    label: &str,
    modules: &[String],
    matchfile: Option<&Path>,
) -> Result<Run, Failed> {
    let out = setup.dir.join(label);
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).map_err(|e| report_io(&out, e))?;
    let junit = out.join("junit.xml");
    let log_path = out.join("output.log");
    // Inside a root, regrtest sees the run's directory as /mnt: the JUnit XML and a copy of
    // the match file are named from there.
    let (junit_arg, matchfile_arg) = match &setup.root {
        None => (junit.clone(), matchfile.map(Path::to_owned)),
        Some(_) => {
            let matchfile = match matchfile {
                Some(file) => {
                    let copy = out.join("matchfile.txt");
                    fs::copy(file, &copy).map_err(|e| report_io(&copy, e))?;
                    Some(Path::new(OUT_INSIDE).join("matchfile.txt"))
                }
                None => None,
            };
            (Path::new(OUT_INSIDE).join("junit.xml"), matchfile)
        }
    };
    // A private, short TMPDIR (regrtest's work directories and the tests' AF_UNIX sockets,
    // whose paths may not exceed 107 bytes), also the working directory.
    let tmp = std::env::temp_dir().join(format!("ld-rs-regrtest-{}-{label}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(|e| report_io(&tmp, e))?;

    let mut command = Command::new("unshare");
    command.arg("-m").arg("sh").arg("-c");
    match (&setup.root, linker) {
        (None, Linker::Glibc) => command.arg(SYSTEM_WIDE_PLAIN).arg("sh"),
        (None, Linker::LdRs) => command
            .arg(SYSTEM_WIDE_MOUNT)
            .arg("sh")
            .arg(&setup.ld_rs)
            .arg(&setup.mount_target),
        (Some(root), Linker::Glibc) => command.args([IN_ROOT, "sh"]).arg(root).arg(&out).args(["", ""]),
        (Some(root), Linker::LdRs) => command
            .args([IN_ROOT, "sh"])
            .arg(root)
            .arg(&out)
            .arg(&setup.ld_rs)
            .arg(&setup.mount_target),
    };
    command
        .arg(&setup.python)
        .args(regrtest_args(setup, &junit_arg, matchfile_arg.as_deref()))
        .args(modules)
        .env_clear()
        .envs(run_env())
        .env("TMPDIR", if setup.root.is_some() { Path::new("/tmp") } else { &tmp })
        .current_dir(&tmp)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let start = Instant::now();
    let mut child = command.spawn().map_err(|e| {
        eprintln!("xtask: cannot start {command:?}: {e}");
        Failed
    })?;
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let deadline = setup.deadline;
    let watchdog = thread::spawn(move || match done_rx.recv_timeout(deadline) {
        Err(mpsc::RecvTimeoutError::Timeout) => {
            kill_group(pid);
            true
        }
        _ => false,
    });

    let mut log = fs::File::create(&log_path).map_err(|e| report_io(&log_path, e))?;
    let mut text = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8_lossy(&line).into_owned();
        let _ = writeln!(log, "{line}");
        if is_log_line(&line) {
            println!("[{label}] {line}");
        }
        text.push_str(&line);
        text.push('\n');
    }
    let status = child.wait().map_err(|e| {
        eprintln!("xtask: cannot wait for regrtest: {e}");
        Failed
    })?;
    drop(done_tx);
    let killed = watchdog.join().unwrap_or(false);
    let elapsed = start.elapsed();
    let _ = fs::remove_dir_all(&tmp);

    let cases = match fs::read_to_string(&junit) {
        Ok(xml) => parse_junit(&xml),
        Err(_) => BTreeMap::new(),
    };
    let run = Run {
        label: label.to_owned(),
        cases,
        modules: parse_log(&text),
        elapsed,
        status: if killed {
            format!("killed after {}", duration(elapsed))
        } else {
            status.to_string()
        },
        summary: text
            .lines()
            .filter(|l| l.starts_with("Total tests:") || l.starts_with("Total test files:") || l.starts_with("Result:"))
            .map(str::to_owned)
            .collect(),
        dir: out,
    };
    println!(
        "[{label}] done in {}: {}; {} testcases in {}",
        duration(run.elapsed),
        run.status,
        run.cases.len(),
        shown(&junit)
    );
    Ok(run)
}

/// Reads a run made earlier (`--compare-only`).
fn load_run(setup: &Setup, label: &str) -> Result<Run, Failed> {
    let out = setup.dir.join(label);
    let log_path = out.join("output.log");
    let text = fs::read_to_string(&log_path).map_err(|e| report_io(&log_path, e))?;
    let cases = fs::read_to_string(out.join("junit.xml"))
        .map(|xml| parse_junit(&xml))
        .unwrap_or_default();
    // The total duration regrtest printed, for the report.
    let elapsed = text
        .lines()
        .filter_map(|l| l.strip_prefix("Total duration: "))
        .map(parse_regrtest_duration)
        .next_back()
        .unwrap_or_default();
    Ok(Run {
        label: label.to_owned(),
        cases,
        modules: parse_log(&text),
        elapsed,
        status: "read from an earlier run".to_owned(),
        summary: text
            .lines()
            .filter(|l| l.starts_with("Total tests:") || l.starts_with("Total test files:") || l.starts_with("Result:"))
            .map(str::to_owned)
            .collect(),
        dir: out,
    })
}

/// regrtest's `format_duration`: `1 hour 2 min`, `3 min 4 sec`, `5.6 sec`, `789 ms`.
fn parse_regrtest_duration(text: &str) -> Duration {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut secs = 0.0;
    for pair in words.chunks(2) {
        if let [number, unit] = pair {
            let n: f64 = number.parse().unwrap_or(0.0);
            secs += match *unit {
                "hour" | "hours" => n * 3600.0,
                "min" => n * 60.0,
                "sec" => n,
                "ms" => n / 1000.0,
                _ => 0.0,
            };
        }
    }
    Duration::from_secs_f64(secs)
}

fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn report_io(path: &Path, e: std::io::Error) -> Failed {
    eprintln!("xtask: {}: {e}", path.display());
    Failed
}

fn shown(path: &Path) -> String {
    path.strip_prefix(cmd::workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

// ---------------------------------------------------------------------------------------------
// What a run produced.
// ---------------------------------------------------------------------------------------------

/// How one testcase ended (a `<testcase>` of the JUnit XML).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CaseResult {
    Passed,
    Failed,
    Error,
    Skipped,
    ExpectedFailure,
    UnexpectedSuccess,
}

impl CaseResult {
    fn is_pass(self) -> bool {
        matches!(self, CaseResult::Passed | CaseResult::ExpectedFailure)
    }

    fn is_fail(self) -> bool {
        matches!(self, CaseResult::Failed | CaseResult::Error)
    }

    fn name(self) -> &'static str {
        match self {
            CaseResult::Passed => "passed",
            CaseResult::Failed => "failed",
            CaseResult::Error => "error",
            CaseResult::Skipped => "skipped",
            CaseResult::ExpectedFailure => "expected failure",
            CaseResult::UnexpectedSuccess => "unexpected success",
        }
    }
}

#[derive(Clone, Debug)]
struct Case {
    result: CaseResult,
    /// The failure's message and traceback, or the reason for a skip.
    detail: String,
}

/// One regrtest run.
struct Run {
    label: String,
    /// Testcase id (`test.test_os.FileTests.test_access`) → result.
    cases: BTreeMap<String, Case>,
    /// Test file → (its result line's state, e.g. `passed`, `failed (2 errors)`; the output
    /// regrtest printed after that line).
    modules: BTreeMap<String, (String, String)>,
    elapsed: Duration,
    /// How regrtest's process ended.
    status: String,
    /// regrtest's closing `Total …` and `Result:` lines.
    summary: Vec<String>,
    dir: PathBuf,
}

impl Run {
    fn case(&self, id: &str) -> Option<&Case> {
        self.cases.get(id)
    }

    fn module_state(&self, module: &str) -> &str {
        self.modules.get(module).map_or("not run", |(state, _)| state.as_str())
    }

    /// Counts of testcases by result, in [`CaseResult`] order.
    fn counts(&self) -> [usize; 6] {
        let mut counts = [0; 6];
        for case in self.cases.values() {
            counts[case.result as usize] += 1;
        }
        counts
    }

    /// Test files by good/bad state.
    fn module_counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for (state, _) in self.modules.values() {
            if state.starts_with("skipped") || state.starts_with("ran no tests") {
                counts.2 += 1;
            } else if module_ok(state) {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
        counts
    }
}

/// Whether a test file's result is not a failure: passed, skipped, ran no tests, or only
/// changed the environment (which regrtest does not count as a failure either by default).
fn module_ok(state: &str) -> bool {
    state.starts_with("passed")
        || state.starts_with("failed (env changed)")
        || state.starts_with("skipped")
        || state.starts_with("ran no tests")
}

/// A line regrtest's logger printed: `0:01:05 load avg: 1.80 …` (or without the load).
fn is_log_line(line: &str) -> bool {
    let Some((clock, _)) = line.split_once(' ') else {
        return false;
    };
    let parts: Vec<&str> = clock.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Each test file's result from regrtest's progress lines, `[ 51/405/1] test_tcl passed (31.2
/// sec) -- running: …`, with the lines printed after it (a failed file's output).
fn parse_log(text: &str) -> BTreeMap<String, (String, String)> {
    let mut modules: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if is_log_line(line) {
            current = None;
            let Some(start) = line.find('[') else { continue };
            let Some(end) = line[start..].find("] ").map(|e| start + e) else {
                continue;
            };
            let counter = &line[start + 1..end];
            if !counter.trim().bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                continue;
            }
            let text = &line[end + 2..];
            let text = text.split(" -- ").next().unwrap_or(text);
            let Some((name, state)) = text.split_once(' ') else {
                continue;
            };
            if !name.starts_with("test") {
                continue;
            }
            // Durations regrtest appends to a slow file's line: "passed (31.2 sec)".
            let state = strip_duration(state);
            modules.insert(name.to_owned(), (state.to_owned(), String::new()));
            current = Some(name.to_owned());
        } else if let Some(name) = &current {
            if line.is_empty() || line.starts_with("== Tests result") {
                if line.starts_with("== Tests result") {
                    current = None;
                }
                continue;
            }
            if let Some((_, output)) = modules.get_mut(name) {
                output.push_str(line);
                output.push('\n');
            }
        }
    }
    modules
}

/// `passed (31.2 sec)` → `passed`; `failed (2 errors) (1 min 3 sec)` → `failed (2 errors)`.
fn strip_duration(state: &str) -> &str {
    if let Some(open) = state.rfind(" (") {
        let inner = state[open + 2..].trim_end_matches(')');
        if ["sec", "ms", "min", "hour"].iter().any(|u| inner.ends_with(u))
            && inner.starts_with(|c: char| c.is_ascii_digit())
        {
            return &state[..open];
        }
    }
    state
}

/// The testcases of regrtest's JUnit XML (as `xml.etree` writes it: every `<` and `>` in text
/// and attribute values escaped, so the markup can be scanned for them). Testcases without a
/// name (a test whose subtest failed leaves one) are left out.
fn parse_junit(xml: &str) -> BTreeMap<String, Case> {
    let mut cases = BTreeMap::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<testcase") {
        rest = &rest[start + "<testcase".len()..];
        let Some(tag_end) = rest.find('>') else { break };
        let attrs = &rest[..tag_end];
        let self_closing = attrs.ends_with('/');
        let body = if self_closing {
            ""
        } else {
            let end = rest.find("</testcase>").unwrap_or(rest.len());
            &rest[tag_end + 1..end]
        };
        rest = &rest[tag_end + 1..];
        let Some(name) = attribute(attrs, "name") else { continue };
        let (result, detail) = if let Some(d) = child(body, "failure") {
            (CaseResult::Failed, d)
        } else if let Some(d) = child(body, "error") {
            (CaseResult::Error, d)
        } else if let Some(d) = child(body, "skipped") {
            (CaseResult::Skipped, d)
        } else if let Some(d) = child(body, "output") {
            (CaseResult::ExpectedFailure, d)
        } else if let Some(d) = child(body, "outcome") {
            (CaseResult::UnexpectedSuccess, d)
        } else {
            (CaseResult::Passed, String::new())
        };
        cases.insert(name, Case { result, detail });
    }
    cases
}

/// The value of attribute `name` in a tag's attribute text.
fn attribute(attrs: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = attrs.find(&key)? + key.len();
    let end = attrs[start..].find('"')? + start;
    Some(unescape(&attrs[start..end]))
}

/// The text (or the `message` attribute and text) of the child element `tag` of a testcase.
fn child(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}");
    let start = body.find(&open)?;
    let after = &body[start + open.len()..];
    if !after.starts_with([' ', '>', '/']) {
        return None;
    }
    let tag_end = after.find('>')?;
    let attrs = &after[..tag_end];
    let text = if attrs.ends_with('/') {
        String::new()
    } else {
        let close = format!("</{tag}>");
        let end = after.find(&close).unwrap_or(after.len());
        unescape(&after[tag_end + 1..end])
    };
    // A failure's text is the traceback, which ends with the message; a skip's is the reason.
    Some(if text.is_empty() {
        attribute(attrs, "message").unwrap_or_default()
    } else {
        text
    })
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The test file a testcase belongs to, as the log names it: `test.test_os.FileTests.x` →
/// `test_os`; `setUpClass (test.test_x.Foo)` → `test_x`; and for the packages regrtest splits
/// into one test file per submodule (`test_asyncio`), `test.test_asyncio.test_events.X.y` →
/// `test.test_asyncio.test_events` when the log has that name.
fn module_of(id: &str, logged: &BTreeMap<String, (String, String)>) -> String {
    let dotted = match id.split_once(" (") {
        Some((_, inner)) => inner.trim_end_matches(')'),
        None => id,
    };
    let parts: Vec<&str> = dotted.split('.').collect();
    if parts.len() >= 3 && parts[0] == "test" {
        let split = parts[..3].join(".");
        if logged.contains_key(&split) {
            return split;
        }
    }
    match parts[..] {
        ["test", module, ..] => module.to_owned(),
        [first, ..] => first.to_owned(),
        [] => dotted.to_owned(),
    }
}

/// The `--matchfile` patterns that rerun a whole test file: every testcase under it (and for
/// a plain name, any id with that name as a component, as regrtest matches components too).
fn module_patterns(module: &str) -> Vec<String> {
    if module.contains('.') {
        vec![format!("{module}.*")]
    } else {
        vec![module.to_owned(), format!("test.{module}.*")]
    }
}

/// The `--matchfile` pattern that reruns testcase `id`: the id itself, or for a fixture's
/// error (`setUpClass (test.test_x.Foo)`) everything under what failed to set up.
fn match_pattern(id: &str) -> String {
    match id.split_once(" (") {
        Some((_, inner)) => format!("{}.*", inner.trim_end_matches(')')),
        None => id.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum What {
    /// A testcase that passed under glibc and failed or errored under ld-rs.
    Case { id: String },
    /// A test file that ended well under glibc and crashed, timed out, failed without a failed
    /// testcase to show for it, or did not run under ld-rs.
    Module,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    /// Failed again under ld-rs and passed again under glibc.
    Confirmed,
    /// Not reproduced: passed under ld-rs on the rerun, or failed under glibc too.
    Flaky(String),
    /// Too many to rerun.
    NotRerun,
}

#[derive(Clone, Debug)]
struct Regression {
    module: String,
    what: What,
    /// ld-rs's result: the testcase's, or the test file's state.
    ld_rs: String,
    /// The failure's traceback or the test file's output under ld-rs.
    detail: String,
    verdict: Verdict,
}

impl Regression {
    fn title(&self) -> String {
        match &self.what {
            What::Case { id } => format!("{id}: {}", self.ld_rs),
            What::Module => format!("{} (test file): {}", self.module, self.ld_rs),
        }
    }
}

fn find_regressions(glibc: &Run, ld_rs: &Run) -> Vec<Regression> {
    let mut regressions = Vec::new();
    let mut modules_with_cases = BTreeSet::new();
    for (id, g) in &glibc.cases {
        let Some(l) = ld_rs.case(id) else { continue };
        if g.result.is_pass() && l.result.is_fail() {
            let module = module_of(id, &glibc.modules);
            modules_with_cases.insert(module.clone());
            regressions.push(Regression {
                module,
                what: What::Case { id: id.clone() },
                ld_rs: l.result.name().to_owned(),
                detail: l.detail.clone(),
                verdict: Verdict::NotRerun,
            });
        }
    }
    for (module, (g_state, _)) in &glibc.modules {
        if !module_ok(g_state) {
            continue;
        }
        let l_state = ld_rs.module_state(module);
        if module_ok(l_state) {
            continue;
        }
        // A plain failure is explained by the failed testcases, when there are some.
        if l_state.starts_with("failed") && modules_with_cases.contains(module) {
            continue;
        }
        regressions.push(Regression {
            module: module.clone(),
            what: What::Module,
            ld_rs: l_state.to_owned(),
            detail: ld_rs.modules.get(module).map(|(_, o)| o.clone()).unwrap_or_default(),
            verdict: Verdict::NotRerun,
        });
    }
    regressions
}

/// Reruns the regressed testcases (or whole test files) once under both linkers and sets each
/// regression's verdict.
fn rerun(setup: &Setup, regressions: &mut [Regression]) -> Result<Option<(Run, Run)>, Failed> {
    let modules: BTreeSet<String> = regressions.iter().map(|r| r.module.clone()).collect();
    if modules.is_empty() || modules.len() > MAX_RERUN_MODULES {
        return Ok(None);
    }
    // Whole files for file-level regressions, else the testcases.
    let whole: BTreeSet<&str> = regressions
        .iter()
        .filter(|r| matches!(r.what, What::Module))
        .map(|r| r.module.as_str())
        .collect();
    let mut patterns: BTreeSet<String> = whole.iter().flat_map(|m| module_patterns(m)).collect();
    for r in regressions.iter() {
        if let What::Case { id } = &r.what {
            if !whole.contains(r.module.as_str()) {
                patterns.insert(match_pattern(id));
            }
        }
    }
    let matchfile = setup.dir.join("rerun-matchfile.txt");
    let text: String = patterns.iter().map(|p| format!("{p}\n")).collect();
    fs::write(&matchfile, text).map_err(|e| report_io(&matchfile, e))?;
    let modules: Vec<String> = modules.into_iter().collect();
    println!(
        "regrtest: rerunning {} regression(s) in {} test file(s) once under both linkers: {}",
        regressions.len(),
        modules.len(),
        modules.join(" ")
    );
    let glibc = run_suite(setup, Linker::Glibc, "rerun-glibc", &modules, Some(&matchfile))?;
    let ld_rs = run_suite(setup, Linker::LdRs, "rerun-ld-rs", &modules, Some(&matchfile))?;
    for r in regressions.iter_mut() {
        let g_module = glibc.module_state(&r.module);
        let l_module = ld_rs.module_state(&r.module);
        r.verdict = match &r.what {
            What::Case { id } => match (glibc.case(id), ld_rs.case(id)) {
                (_, Some(l)) if l.result.is_pass() => {
                    Verdict::Flaky(format!("{} under ld-rs on the rerun", l.result.name()))
                }
                (Some(g), Some(l)) if l.result.is_fail() && g.result.is_pass() => Verdict::Confirmed,
                (Some(g), Some(l)) if l.result.is_fail() => {
                    Verdict::Flaky(format!("{} under glibc too on the rerun", g.result.name()))
                }
                (None, Some(l)) if l.result.is_fail() && module_ok(g_module) => Verdict::Confirmed,
                (None, Some(_)) => Verdict::Flaky(format!("not run under glibc on the rerun ({g_module})")),
                (_, _) if !module_ok(l_module) && module_ok(g_module) => Verdict::Confirmed,
                (_, l) => Verdict::Flaky(format!(
                    "not reproduced on the rerun (ld-rs: {}, test file {l_module}; glibc: test file {g_module})",
                    l.map_or("not run", |l| l.result.name())
                )),
            },
            What::Module => {
                if module_ok(l_module) {
                    Verdict::Flaky(format!("{l_module} under ld-rs on the rerun"))
                } else if module_ok(g_module) {
                    Verdict::Confirmed
                } else {
                    Verdict::Flaky(format!("{g_module} under glibc too on the rerun"))
                }
            }
        };
    }
    Ok(Some((glibc, ld_rs)))
}

// ---------------------------------------------------------------------------------------------
// The command.
// ---------------------------------------------------------------------------------------------

/// `cargo xtask regrtest [-j N] [--timeout SECS] [--compare-only] [--ci | TEST…]`.
pub fn run(args: &[&str]) -> Result<(), Failed> {
    let options = Options::parse(args).map_err(|message| {
        eprintln!("xtask regrtest: {message}");
        Failed
    })?;
    let system_root = match &options.root {
        // Canonical, as the loader's path is compared with it (target/rootfs may be a link).
        Some(suite) => {
            let root = crate::rootfs::ensure(suite)?;
            Some(root.canonicalize().map_err(|e| report_io(&root, e))?)
        }
        None => None,
    };
    let (python, tests) = match &system_root {
        None => {
            let python = std::env::var_os("REGRTEST_PYTHON").map_or_else(|| PathBuf::from(PYTHON), PathBuf::from);
            if !python.exists() {
                eprintln!(
                    "xtask regrtest: {} does not exist (pyenv's CPython 3.11.7, with its test suite; \
                     $REGRTEST_PYTHON names another)",
                    python.display()
                );
                return Err(Failed);
            }
            let tests = python_tests_dir(&python);
            (python, tests)
        }
        Some(root) => {
            let tests = root.join(ROOT_TESTS.trim_start_matches('/'));
            if !root.join(ROOT_PYTHON.trim_start_matches('/')).exists() || !tests.is_dir() {
                eprintln!(
                    "xtask regrtest: {}{ROOT_PYTHON} or its test suite {} is missing (the root \
                     filesystem's packages: python3, libpython3.13-testsuite)",
                    root.display(),
                    tests.display()
                );
                return Err(Failed);
            }
            (PathBuf::from(ROOT_PYTHON), Some(tests))
        }
    };
    let root = cmd::target_dir().join("regrtest");
    let dir = root.join(options.set_name());
    fs::create_dir_all(&dir).map_err(|e| report_io(&dir, e))?;

    // The linker: $LD_RS or the release build, copied (the real file, not the ld-rs.so link)
    // so that a rebuild during the runs does not change what is tested.
    let built = match std::env::var_os("LD_RS") {
        Some(path) => cmd::workspace_root().join(path),
        None => build_ld_rs()?,
    };
    let built = built.canonicalize().map_err(|e| report_io(&built, e))?;
    let ld_rs = dir.join("ld-rs.mounted");
    if !options.compare_only {
        let partial = dir.join("ld-rs.mounted.partial");
        fs::copy(&built, &partial).map_err(|e| report_io(&partial, e))?;
        fs::rename(&partial, &ld_rs).map_err(|e| report_io(&ld_rs, e))?;
    }
    // The file the root's (or this machine's) /lib64/ld-linux-x86-64.so.2 is; in a root its
    // links are relative, so they resolve inside it.
    let loader = match &system_root {
        Some(root) => root.join(GLIBC_LOADER.trim_start_matches('/')),
        None => PathBuf::from(GLIBC_LOADER),
    };
    let mount_target = loader.canonicalize().map_err(|e| report_io(&loader, e))?;
    if let Some(root) = &system_root {
        if !mount_target.starts_with(root) {
            eprintln!(
                "xtask regrtest: {} resolves to {}, outside the root filesystem",
                loader.display(),
                mount_target.display()
            );
            return Err(Failed);
        }
    }
    let setup = Setup {
        python,
        root: system_root,
        ld_rs,
        mount_target,
        dir,
        jobs: options.jobs,
        timeout: options.timeout,
        deadline: run_deadline(options.ci),
    };
    check_system_wide(&setup)?;

    let modules = options.selected(tests.as_deref());
    let what = if modules.is_empty() {
        "the whole suite".to_owned()
    } else {
        format!("{} test files", modules.len())
    };
    println!(
        "regrtest: {} -m test, {what}, -j{} -u {RESOURCES} --timeout {}: under glibc's ld.so, then system-wide under ld-rs ({} bind-mounted over {})",
        setup.python.display(),
        setup.jobs,
        setup.timeout,
        shown(&setup.ld_rs),
        setup.mount_target.display()
    );
    let (glibc, ld_rs) = if options.compare_only {
        (load_run(&setup, "glibc")?, load_run(&setup, "ld-rs")?)
    } else {
        let glibc = run_suite(&setup, Linker::Glibc, "glibc", &modules, None)?;
        let ld_rs = run_suite(&setup, Linker::LdRs, "ld-rs", &modules, None)?;
        (glibc, ld_rs)
    };
    if glibc.cases.is_empty() {
        eprintln!(
            "xtask regrtest: the glibc run left no testcases in {} (see {})",
            shown(&glibc.dir.join("junit.xml")),
            shown(&glibc.dir.join("output.log"))
        );
        return Err(Failed);
    }

    let mut regressions = find_regressions(&glibc, &ld_rs);
    let reruns = rerun(&setup, &mut regressions)?;
    let report = report(
        &setup,
        &options,
        &modules,
        &glibc,
        &ld_rs,
        &regressions,
        reruns.as_ref(),
    );
    let path = setup.dir.join("report.txt");
    fs::write(&path, &report).map_err(|e| report_io(&path, e))?;
    let latest = root.join("report.txt");
    fs::write(&latest, &report).map_err(|e| report_io(&latest, e))?;

    print!("\n{}", summary(&glibc, &ld_rs, &regressions));
    println!("report: {}", shown(&latest));
    if regressions.iter().any(|r| !matches!(r.verdict, Verdict::Flaky(_))) {
        Err(Failed)
    } else {
        Ok(())
    }
}

/// Checks that the system-wide way puts ld-rs in place: inside the namespace, the mounted-over
/// loader is the very file (compared by `cmp`, itself running under ld-rs).
fn check_system_wide(setup: &Setup) -> Result<(), Failed> {
    let ok = Command::new("unshare")
        .args(["-m", "sh", "-c", SYSTEM_WIDE_MOUNT, "sh"])
        .arg(&setup.ld_rs)
        .arg(&setup.mount_target)
        .args(["cmp", "-s"])
        .arg(&setup.ld_rs)
        .arg(&setup.mount_target)
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        eprintln!("xtask regrtest: cannot put ld-rs in place system-wide (unshare -m and mount --bind need root)");
        Err(Failed)
    }
}

const COUNT_NAMES: [&str; 6] = [
    "passed",
    "failed",
    "errors",
    "skipped",
    "expected failures",
    "unexpected successes",
];

fn totals_table(glibc: &Run, ld_rs: &Run) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "  {:<28} {:>10} {:>10}", "", "glibc", "ld-rs");
    let _ = writeln!(
        text,
        "  {:<28} {:>10} {:>10}",
        "wall time",
        duration(glibc.elapsed),
        duration(ld_rs.elapsed)
    );
    let (g, l) = (glibc.module_counts(), ld_rs.module_counts());
    let _ = writeln!(text, "  {:<28} {:>10} {:>10}", "test files ok", g.0, l.0);
    let _ = writeln!(text, "  {:<28} {:>10} {:>10}", "test files failed", g.1, l.1);
    let _ = writeln!(text, "  {:<28} {:>10} {:>10}", "test files skipped", g.2, l.2);
    let _ = writeln!(
        text,
        "  {:<28} {:>10} {:>10}",
        "testcases",
        glibc.cases.len(),
        ld_rs.cases.len()
    );
    let (g, l) = (glibc.counts(), ld_rs.counts());
    for (i, name) in COUNT_NAMES.iter().enumerate() {
        let _ = writeln!(text, "  {:<28} {:>10} {:>10}", format!("  {name}"), g[i], l[i]);
    }
    text
}

fn summary(glibc: &Run, ld_rs: &Run, regressions: &[Regression]) -> String {
    let mut text = totals_table(glibc, ld_rs);
    let confirmed: Vec<&Regression> = regressions
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Flaky(_)))
        .collect();
    let flaky = regressions.len() - confirmed.len();
    let _ = writeln!(
        text,
        "regrtest: {} regression(s) under ld-rs{}",
        confirmed.len(),
        if flaky > 0 {
            format!(" ({flaky} more not reproduced on a rerun: flaky)")
        } else {
            String::new()
        }
    );
    for r in confirmed {
        let _ = writeln!(text, "  REGRESSION {}", r.title());
    }
    text
}

/// The line of a traceback that names the exception (`AssertionError: …`), else its last line.
fn exception_line(traceback: &str) -> &str {
    let lines = || traceback.lines().rev().filter(|l| !l.trim().is_empty());
    lines()
        .find(|l| !l.starts_with(' ') && (l.contains("Error") || l.contains("Exception")))
        .or_else(|| lines().next())
        .unwrap_or("")
}

/// The last `max` lines of `text`, indented.
fn tail(text: &str, max: usize, indent: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(max);
    let mut out = String::new();
    if skip > 0 {
        let _ = writeln!(out, "{indent}… ({skip} lines before)");
    }
    for line in &lines[skip..] {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

fn report(
    setup: &Setup,
    options: &Options,
    modules: &[String],
    glibc: &Run,
    ld_rs: &Run,
    regressions: &[Regression],
    reruns: Option<&(Run, Run)>,
) -> String {
    let mut text = String::new();
    let commit = if options.compare_only {
        "an earlier build: --compare-only".to_owned()
    } else {
        Command::new("git")
            .args(["describe", "--always", "--dirty"])
            .current_dir(cmd::workspace_root())
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let _ = writeln!(
        text,
        "regrtest: CPython's regression suite under glibc's ld.so and system-wide under ld-rs\n\n\
         python:  {} -m test\n\
         set:     {} ({})\n\
         flags:   {} TEST…\n\
         ld-rs:   {} (built from {commit}), bind-mounted over {} in `unshare -m`;\n         \
         glibc's run goes through the same `unshare -m sh` without the mount{}\n\
         env:     PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME LANG=C.UTF-8 \
         TMPDIR=<a private directory per run, also the working directory>\n\
         runs:    glibc {} ({}), ld-rs {} ({}){}",
        setup.python.display(),
        options.set_name(),
        if modules.is_empty() {
            "the whole suite".to_owned()
        } else {
            modules.join(" ")
        },
        regrtest_args(setup, Path::new("<run>/junit.xml"), None).join(" "),
        shown(&setup.ld_rs),
        setup.mount_target.display(),
        match &setup.root {
            Some(root) => format!(
                "\n         both inside the root filesystem {} (chroot; /proc, a tmpfs on /tmp \
                 and /dev/shm,\n         the run's directory on /mnt; its glibc's loader is the oracle)",
                root.display()
            ),
            None => String::new(),
        },
        shown(&glibc.dir),
        glibc.status,
        shown(&ld_rs.dir),
        ld_rs.status,
        if options.compare_only {
            "\n         (--compare-only: the runs were made earlier; the flags above are this command's)"
        } else {
            ""
        },
    );
    let _ = writeln!(
        text,
        "\nTotals (testcases from the JUnit XML; test files from the log):"
    );
    text.push_str(&totals_table(glibc, ld_rs));
    for run in [glibc, ld_rs] {
        for line in &run.summary {
            let _ = writeln!(text, "  {:<6} {line}", run.label);
        }
    }

    let confirmed: Vec<&Regression> = regressions
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Flaky(_)))
        .collect();
    let flaky: Vec<&Regression> = regressions
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Flaky(_)))
        .collect();
    let _ = writeln!(
        text,
        "\nRegressions: testcases that pass under glibc and fail or error under ld-rs, and test files\n\
         that end well under glibc and crash, time out or fail without a failed testcase under ld-rs.\n\
         Each was run once more under both linkers ({}); only those that failed again under ld-rs\n\
         and passed again under glibc count.\n",
        match reruns {
            Some((g, l)) => format!(
                "rerun: {} and {}, --matchfile {}",
                shown(&g.dir),
                shown(&l.dir),
                shown(&setup.dir.join("rerun-matchfile.txt"))
            ),
            None if regressions.is_empty() => "nothing to rerun".to_owned(),
            None => format!("not rerun: more than {MAX_RERUN_MODULES} test files regressed"),
        }
    );
    let _ = writeln!(text, "Confirmed regressions: {}", confirmed.len());
    for r in &confirmed {
        let _ = writeln!(
            text,
            "\n  REGRESSION {}{}",
            r.title(),
            if r.verdict == Verdict::NotRerun {
                " (not rerun)"
            } else {
                ""
            }
        );
        let _ = writeln!(text, "    glibc: test file {}", glibc.module_state(&r.module));
        text.push_str(&tail(&r.detail, 40, "    | "));
    }
    let _ = writeln!(
        text,
        "\nNot reproduced on the rerun (flaky; not counted): {}",
        flaky.len()
    );
    for r in &flaky {
        let Verdict::Flaky(why) = &r.verdict else { continue };
        let _ = writeln!(text, "\n  flaky {}\n    rerun: {why}", r.title());
        text.push_str(&tail(&r.detail, 15, "    | "));
    }

    // Informational: skipped only under ld-rs, and what fails under both or only under glibc.
    let newly_skipped: Vec<(&String, &Case)> = glibc
        .cases
        .iter()
        .filter(|(_, g)| g.result.is_pass())
        .filter_map(|(id, _)| {
            ld_rs
                .case(id)
                .filter(|l| l.result == CaseResult::Skipped)
                .map(|l| (id, l))
        })
        .collect();
    let _ = writeln!(
        text,
        "\nPassed under glibc, skipped under ld-rs (not counted; a skip can hide a library that did not load): {}",
        newly_skipped.len()
    );
    for (id, l) in newly_skipped {
        let _ = writeln!(text, "  {id}: {}", l.detail.lines().next().unwrap_or(""));
    }
    let both: Vec<&String> = glibc
        .cases
        .iter()
        .filter(|(id, g)| g.result.is_fail() && ld_rs.case(id).is_some_and(|l| l.result.is_fail()))
        .map(|(id, _)| id)
        .collect();
    let _ = writeln!(
        text,
        "\nFail or error under both linkers (this machine, not the linker): {}",
        both.len()
    );
    for id in both {
        let reason = exception_line(&glibc.cases[id].detail);
        let _ = writeln!(text, "  {id}: {}", reason.trim());
    }
    let glibc_only: Vec<&String> = glibc
        .cases
        .iter()
        .filter(|(id, g)| g.result.is_fail() && ld_rs.case(id).is_some_and(|l| l.result.is_pass()))
        .map(|(id, _)| id)
        .collect();
    let _ = writeln!(text, "\nFail under glibc, pass under ld-rs: {}", glibc_only.len());
    for id in glibc_only {
        let _ = writeln!(text, "  {id}");
    }
    let failed_files: Vec<String> = glibc
        .modules
        .iter()
        .filter(|(_, (s, _))| !module_ok(s))
        .map(|(m, (s, _))| format!("{m} (glibc: {s}; ld-rs: {})", ld_rs.module_state(m)))
        .collect();
    let _ = writeln!(text, "\nTest files failing under glibc: {}", failed_files.len());
    for line in failed_files {
        let _ = writeln!(text, "  {line}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_cases() {
        let xml = r#"<testsuites tests="4"><testsuite tests="4"><testcase name="test.test_a.A.test_ok" status="run" result="completed" time="0.1" /><testcase name="test.test_a.A.test_skip" status="run" result="completed" time="0.0"><skipped>no &lt;x&gt;</skipped></testcase><testcase name="test.test_a.A.test_bad" status="run" result="completed" time="0.0"><system-out /><failure type="AssertionError" message="AssertionError: 1 != 2&#10;">Traceback
AssertionError: 1 != 2</failure></testcase><testcase /><testcase name="setUpClass (test.test_b.B)" status="run" result="completed"><error type="OSError" message="x">tb</error></testcase></testsuite></testsuites>"#;
        let cases = parse_junit(xml);
        assert_eq!(cases.len(), 4);
        assert_eq!(cases["test.test_a.A.test_ok"].result, CaseResult::Passed);
        assert_eq!(cases["test.test_a.A.test_skip"].result, CaseResult::Skipped);
        assert_eq!(cases["test.test_a.A.test_skip"].detail, "no <x>");
        assert_eq!(cases["test.test_a.A.test_bad"].result, CaseResult::Failed);
        assert_eq!(cases["setUpClass (test.test_b.B)"].result, CaseResult::Error);
        let mut logged = BTreeMap::new();
        logged.insert(
            "test.test_asyncio.test_events".to_owned(),
            (String::new(), String::new()),
        );
        assert_eq!(module_of("setUpClass (test.test_b.B)", &logged), "test_b");
        assert_eq!(
            module_of("test.test_asyncio.test_events.T.t", &logged),
            "test.test_asyncio.test_events"
        );
        assert_eq!(match_pattern("setUpClass (test.test_b.B)"), "test.test_b.B.*");
        assert_eq!(module_of("test.test_importlib.test_api.X.y", &logged), "test_importlib");
    }

    #[test]
    fn log_lines() {
        let log = "0:00:00 load avg: 0.39 Run 3 tests in parallel using 2 worker processes\n\
                   0:00:01 load avg: 0.39 [1/3] test_zlib passed\n\
                   0:00:40 load avg: 1.10 [2/3/1] test_os failed (2 errors) (38.2 sec) -- running: test_x (31 sec)\n\
                   Traceback\nOSError\n\n\
                   0:01:00 [3/3/2] test_ctypes worker non-zero exit code (Exit code -11 (SIGSEGV))\n\
                   Fatal Python error\n\
                   == Tests result: FAILURE ==\n";
        let modules = parse_log(log);
        assert_eq!(modules["test_zlib"].0, "passed");
        assert_eq!(modules["test_os"].0, "failed (2 errors)");
        assert_eq!(modules["test_os"].1, "Traceback\nOSError\n");
        assert_eq!(
            modules["test_ctypes"].0,
            "worker non-zero exit code (Exit code -11 (SIGSEGV))"
        );
        assert!(!module_ok(&modules["test_ctypes"].0));
        assert!(module_ok("failed (env changed)"));
        assert_eq!(parse_regrtest_duration("1 min 5 sec"), Duration::from_secs(65));
    }
}
