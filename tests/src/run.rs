//! Running a program under a loader (with a timeout) and comparing glibc's run with ld-rs's.
//!
//! Runs are deterministic on purpose: the environment is cleared and holds only the variables
//! the test sets (the same for both loaders), stdin is empty, and both loaders see the same
//! `argv[0]`, so messages that print it compare equal.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fmt::{self, Write as _};
use std::fs;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// How long one run may take before it is killed and the test fails.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// `argv[0]` given to the loader itself when a program is named on its command line. Both
/// loaders get the same one, since glibc prints it in its usage messages.
pub const EXPLICIT_ARGV0: &str = "ld.so";

/// The ways a loader is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// `LOADER PROGRAM ARGS…`: the loader is executed and maps the program itself.
    Explicit,
    /// The program is executed; the kernel maps it and starts the loader named in its
    /// `PT_INTERP` (glibc's as built; ld-rs's in a copy made with `patchelf`). With
    /// [`Run::interp_copies_in`], both loaders run copies of the program kept in a directory
    /// of the test's choosing.
    Interp,
    /// The loader replaces the system's: the program runs (unmodified, `PT_INTERP` read by
    /// the kernel) under `ld-rs run --linker LOADER` (the front end, crates/ld-rs-cli), in a
    /// private mount namespace where the loader is bind-mounted over glibc's
    /// `ld-linux-x86-64.so.2`, so every process it starts also runs under it. glibc's run
    /// goes through the same front end with glibc's own loader mounted over itself. Needs root
    /// or unprivileged user namespaces (as root no user namespace is made).
    SystemWide,
}

/// The loader a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loader {
    /// `/lib64/ld-linux-x86-64.so.2`, the oracle.
    Glibc,
    /// The linker under test ([`crate::ld_rs`]).
    LdRs,
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exited with this status.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exited with status {code}"),
            Exit::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

/// What one run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The command, for reports (environment, argv[0] if set, program, arguments).
    pub command: String,
    /// How the process ended.
    pub exit: Exit,
    /// Everything written to fd 1.
    pub stdout: Vec<u8>,
    /// Everything written to fd 2.
    pub stderr: Vec<u8>,
}

impl Outcome {
    /// stdout as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    fn same_result(&self, other: &Outcome) -> bool {
        self.exit == other.exit && self.stdout == other.stdout && self.stderr == other.stderr
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  command: {}", self.command)?;
        writeln!(f, "  status:  {}", self.exit)?;
        write_stream(f, "stdout", &self.stdout)?;
        write_stream(f, "stderr", &self.stderr)
    }
}

fn write_stream(f: &mut fmt::Formatter<'_>, name: &str, bytes: &[u8]) -> fmt::Result {
    if bytes.is_empty() {
        return writeln!(f, "  {name}:  (empty)");
    }
    writeln!(f, "  {name}:")?;
    for line in String::from_utf8_lossy(bytes).split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(line) => writeln!(f, "    | {line}")?,
            None => writeln!(f, "    | {line}  (no newline at end)")?,
        }
    }
    Ok(())
}

/// A rewrite of a run's output before comparison (pids, cycle counts, ...).
pub type Normalizer = fn(&[u8]) -> Vec<u8>;

/// One run of one program: arguments, environment, timeout, and what glibc's run must show.
#[derive(Clone, Debug)]
pub struct Run {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    timeout: Duration,
    expect_exit: Option<Exit>,
    expect_stdout: Option<Vec<u8>>,
    expect_stdout_in: Vec<(&'static str, Vec<u8>)>,
    expect_stderr: Vec<String>,
    normalize_addresses: bool,
    interp_dir: Option<PathBuf>,
    loader_args: Vec<OsString>,
    omit_program: bool,
    current_dir: Option<PathBuf>,
    normalizers: Vec<Normalizer>,
    /// In [`cache_mode`]: this run's `LD_RS_CACHE` is the harness's own, and ld-rs runs twice.
    cache_pair: bool,
    root: Option<&'static crate::root::Root>,
}

impl Run {
    /// A run of `program` with no arguments and an empty environment.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Run {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            expect_exit: None,
            expect_stdout: None,
            expect_stdout_in: Vec::new(),
            expect_stderr: Vec::new(),
            normalize_addresses: false,
            interp_dir: None,
            loader_args: Vec::new(),
            omit_program: false,
            current_dir: None,
            normalizers: Vec::new(),
            cache_pair: false,
            root: None,
        }
    }

    /// Adds a program argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Sets an environment variable for both loaders' runs.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Replaces the timeout ([`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Requires glibc's run to end this way (checked before ld-rs runs).
    pub fn expect_exit(mut self, exit: Exit) -> Self {
        self.expect_exit = Some(exit);
        self
    }

    /// Requires glibc's run to print exactly this on stdout (checked before ld-rs runs).
    pub fn expect_stdout(mut self, stdout: &str) -> Self {
        self.expect_stdout = Some(stdout.as_bytes().to_vec());
        self
    }

    /// In the root filesystem of `suite` ([`Run::in_root`]), requires glibc's run to print
    /// this on stdout instead of what [`Run::expect_stdout`] says: for what that release's
    /// loader does differently (the order of destructors at dlclose, one more program header
    /// in libc.so.6), written down here as the release shows it.
    pub fn expect_stdout_in(mut self, suite: &'static str, stdout: &str) -> Self {
        self.expect_stdout_in.push((suite, stdout.as_bytes().to_vec()));
        self
    }

    /// Requires glibc's stderr to contain this text (checked before ld-rs runs).
    pub fn expect_stderr_contains(mut self, text: &str) -> Self {
        self.expect_stderr.push(text.to_owned());
        self
    }

    /// Compares output with every `0x` followed by 16 hex digits (a load
    /// address, which differs from run to run) replaced by `0xADDR`.
    pub fn normalize_addresses(mut self) -> Self {
        self.normalize_addresses = true;
        self
    }

    /// For [`Way::Interp`]: instead of `<program>.ld-rs` next to the program (which would
    /// write into system directories for `/usr/bin` programs), run copies kept in `dir`:
    /// `dir/glibc/<name>` (a plain copy, glibc's `PT_INTERP`) for glibc's run and
    /// `dir/ld-rs/<name>` (patched) for ld-rs's. Both are started with the program's own
    /// path as `argv[0]`, as in the default interp way, so messages that print it (and
    /// programs that find themselves through it, such as python's `sys.executable`) see
    /// the same name under both loaders. The copies' `$ORIGIN` differs from the program's, so
    /// this suits programs that find their libraries by absolute paths (or through the run's
    /// environment).
    pub fn interp_copies_in(mut self, dir: impl Into<PathBuf>) -> Self {
        self.interp_dir = Some(dir.into());
        self
    }

    /// For [`Way::Explicit`] only: options for the loader itself, placed between the loader
    /// and the program (`LOADER --library-path DIR PROGRAM ARGS…`). A run with loader
    /// options cannot be made in the other ways (it panics there).
    pub fn loader_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.loader_args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// For [`Way::Explicit`] only: leaves the program off the loader's command line (the
    /// loader gets only [`Run::loader_args`] and [`Run::arg`]s), for the loader's usage
    /// errors. The path given to [`Run::new`] is then unused.
    pub fn without_program(mut self) -> Self {
        self.omit_program = true;
        self
    }

    /// Starts the process in `dir` (by default, the test's own working directory).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Compares output after passing both streams of both runs through `normalizer` (after
    /// [`Run::normalize_addresses`], if set; normalizers apply in the order given), for text
    /// that differs from run to run or by design (pids, timings, the loader's own path).
    pub fn normalize(mut self, normalizer: fn(&[u8]) -> Vec<u8>) -> Self {
        self.normalizers.push(normalizer);
        self
    }

    /// Runs inside `root` ([`crate::root`]): the oracle is the root's own loader, ld-rs is
    /// seen there as [`crate::root::LD_RS_INSIDE`], and the program, the current directory
    /// and the paths of [`Run::interp_copies_in`] are taken through [`Root::inside`]
    /// (arguments and environment are given as the root sees them). Without this, a run goes
    /// into the root `$LD_RS_TESTS_ROOT` names, if any ([`crate::root::selected`]).
    ///
    /// [`Root::inside`]: crate::root::Root::inside
    pub fn in_root(mut self, root: &'static crate::root::Root) -> Self {
        self.root = Some(root);
        self
    }

    /// The root filesystem this run goes into, if any.
    pub fn root(&self) -> Option<&'static crate::root::Root> {
        self.root.or_else(crate::root::selected)
    }

    /// The program this run starts.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Runs the program under glibc's loader, checks the test's expectations on that run
    /// (the oracle must behave as the test says, or the fixture is wrong), then under ld-rs,
    /// and compares the two. Returns glibc's outcome.
    ///
    /// # Panics
    /// On a failed expectation, on any difference (showing both runs), on a timeout, and if
    /// ld-rs has not been built.
    ///
    /// With `LD_RS_TESTS_CACHE=1` in the test's environment, ld-rs runs twice with a launch
    /// cache of its own (`LD_RS_CACHE`, a new private directory): the first start records,
    /// the second replays the record, and both must match glibc's run with the same variable
    /// set ([`cache_mode`]); the test's expectations are checked on glibc's run without it,
    /// since programs that print their environment see one more variable.
    pub fn compare(&self, way: Way) -> Outcome {
        if cache_mode() && !self.env.iter().any(|(k, _)| k == "LD_RS_CACHE") {
            // Both loaders see the variable (glibc ignores it), so programs that print
            // their environment compare equal.
            // The test's expectations hold for glibc's run as the test describes it.
            let mut plain = self.run(Loader::Glibc, way);
            self.normalize_outcome(&mut plain);
            self.check_oracle(&plain);
            let dir = CacheDir::new();
            let mut with = self.clone().env("LD_RS_CACHE", &dir.0);
            with.cache_pair = true;
            return with.compare(way);
        }
        let mut glibc = self.run(Loader::Glibc, way);
        let ldrs_runs = self.run_ldrs(way);
        self.normalize_outcome(&mut glibc);
        if !self.cache_pair {
            self.check_oracle(&glibc);
        }
        let n = ldrs_runs.len();
        for (i, mut ldrs) in ldrs_runs.into_iter().enumerate() {
            self.normalize_outcome(&mut ldrs);
            strip_cache_lines(&mut ldrs);
            let which = match (n, i) {
                (1, _) => "",
                (_, 0) => ", cold start recording its launch record",
                _ => ", warm start from the launch record",
            };
            if !glibc.same_result(&ldrs) {
                panic!(
                    "ld-rs differs from glibc ({way:?} way{which}):\n--- glibc\n{glibc}--- ld-rs\n{ldrs}{}",
                    first_difference(&glibc, &ldrs)
                );
            }
        }
        glibc
    }

    fn normalize_outcome(&self, out: &mut Outcome) {
        if self.normalize_addresses {
            out.stdout = normalize_addresses(&out.stdout);
            out.stderr = normalize_addresses(&out.stderr);
        }
        for normalizer in &self.normalizers {
            out.stdout = normalizer(&out.stdout);
            out.stderr = normalizer(&out.stderr);
        }
    }

    /// ld-rs's runs: one, or in [`cache_mode`] a cold start and a warm one sharing a new
    /// private cache directory.
    fn run_ldrs(&self, way: Way) -> Vec<Outcome> {
        if self.cache_pair {
            let cold = self.run(Loader::LdRs, way);
            let warm = self.run(Loader::LdRs, way);
            return vec![cold, warm];
        }
        if !cache_mode() || self.env.iter().any(|(k, _)| k == "LD_RS_CACHE") {
            return vec![self.run(Loader::LdRs, way)];
        }
        let dir = CacheDir::new();
        let mut with = self.clone().env("LD_RS_CACHE", &dir.0);
        with.cache_pair = true;
        with.run_ldrs(way)
    }

    /// Runs the program once under one loader.
    ///
    /// # Panics
    /// If the process cannot be started or does not finish within the timeout.
    pub fn run(&self, loader: Loader, way: Way) -> Outcome {
        let program = absolute(&self.program);
        if way != Way::Explicit && (!self.loader_args.is_empty() || self.omit_program) {
            panic!("loader options and runs without a program exist only in the explicit way");
        }
        if let Some(root) = self.root() {
            return self.run_in_root(root, &program, loader, way);
        }
        let (mut command, shown) = match way {
            Way::Explicit => {
                let path = match loader {
                    Loader::Glibc => PathBuf::from(crate::GLIBC_LOADER),
                    Loader::LdRs => crate::ld_rs(),
                };
                let mut command = Command::new(&path);
                command.arg0(EXPLICIT_ARGV0).args(&self.loader_args);
                let mut shown = format!("{} (argv[0] {EXPLICIT_ARGV0})", path.display());
                for arg in &self.loader_args {
                    let _ = write!(shown, " {}", arg.to_string_lossy());
                }
                if !self.omit_program {
                    command.arg(&program);
                    let _ = write!(shown, " {}", program.display());
                }
                (command, shown)
            }
            Way::Interp => match &self.interp_dir {
                None => {
                    let path = match loader {
                        Loader::Glibc => program.clone(),
                        Loader::LdRs => interp_copy(&program),
                    };
                    let mut command = Command::new(&path);
                    command.arg0(&program);
                    let shown = format!("{} (argv[0] {})", path.display(), program.display());
                    (command, shown)
                }
                Some(dir) => {
                    let path = interp_copy_in(&program, &absolute(dir), loader);
                    let mut command = Command::new(&path);
                    command.arg0(&program);
                    let shown = format!("{} (argv[0] {})", path.display(), program.display());
                    (command, shown)
                }
            },
            Way::SystemWide => {
                let loader = match loader {
                    Loader::Glibc => PathBuf::from(crate::GLIBC_LOADER),
                    Loader::LdRs => crate::ld_rs(),
                };
                let front_end = crate::front_end();
                let mut command = Command::new(&front_end);
                command.arg("run").arg("--linker").arg(&loader).arg("--");
                let shown = format!(
                    "{} run --linker {} -- {}",
                    front_end.display(),
                    loader.display(),
                    program.display()
                );
                command.arg(&program);
                (command, shown)
            }
        };
        command.args(&self.args).env_clear();
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut line = String::new();
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
            let _ = write!(line, "(in {}) ", dir.display());
        }
        for (key, value) in &self.env {
            let _ = write!(line, "{}={} ", key.to_string_lossy(), value.to_string_lossy());
        }
        line.push_str(&shown);
        for arg in &self.args {
            let _ = write!(line, " {}", arg.to_string_lossy());
        }
        spawn_with_timeout(command, line, self.timeout)
    }

    /// [`Run::run`] inside a root filesystem: the same three ways, with the root's paths.
    fn run_in_root(&self, root: &crate::root::Root, program: &Path, loader: Loader, way: Way) -> Outcome {
        use crate::root::{LD_RS_INSIDE, LOADER_INSIDE};
        let inside = root.inside(program);
        let loader_inside = Path::new(match loader {
            Loader::Glibc => LOADER_INSIDE,
            Loader::LdRs => LD_RS_INSIDE,
        });
        let dir = self
            .current_dir
            .as_deref()
            .map_or_else(|| PathBuf::from("/"), |d| root.inside(&absolute(d)));
        let mut shown = format!("(in {} at {}) ", root.suite(), dir.display());
        let command = match way {
            Way::Explicit => {
                let mut command = root.command(loader_inside, &dir, None);
                command.arg0(EXPLICIT_ARGV0).args(&self.loader_args);
                let _ = write!(shown, "{} (argv[0] {EXPLICIT_ARGV0})", loader_inside.display());
                for arg in &self.loader_args {
                    let _ = write!(shown, " {}", arg.to_string_lossy());
                }
                if !self.omit_program {
                    command.arg(&inside);
                    let _ = write!(shown, " {}", inside.display());
                }
                command
            }
            Way::Interp => {
                let interpreter = (loader == Loader::LdRs).then_some(Path::new(LD_RS_INSIDE));
                let copy = match &self.interp_dir {
                    None if loader == Loader::Glibc => inside.clone(),
                    None => {
                        let outside = root.outside(&inside);
                        assert!(
                            outside.starts_with(crate::target_dir()),
                            "{} is not in the target directory: give the run interp_copies_in",
                            inside.display()
                        );
                        let mut copy = outside.into_os_string();
                        copy.push(".ld-rs-in-root");
                        let copy = PathBuf::from(copy);
                        patched_copy(&root.outside(&inside), &copy, interpreter);
                        root.inside(&copy)
                    }
                    Some(dir) => {
                        let name = inside
                            .file_name()
                            .unwrap_or_else(|| panic!("{} names no file", inside.display()));
                        let sub = match loader {
                            Loader::Glibc => "glibc",
                            Loader::LdRs => "ld-rs",
                        };
                        let copy = absolute(dir).join(sub).join(name);
                        patched_copy(&root.outside(&inside), &copy, interpreter);
                        root.inside(&copy)
                    }
                };
                let mut command = root.command(&copy, &dir, None);
                command.arg0(&inside);
                let _ = write!(shown, "{} (argv[0] {})", copy.display(), inside.display());
                command
            }
            Way::SystemWide => {
                let mut command = root.command(&inside, &dir, Some(loader_inside));
                command.arg0(&inside);
                let _ = write!(
                    shown,
                    "{} over {LOADER_INSIDE}: {}",
                    loader_inside.display(),
                    inside.display()
                );
                command
            }
        };
        self.finish(command, shown, Some(root))
    }

    /// Adds the arguments and the environment to a command and runs it (inside `root`, with
    /// their paths of this machine turned into the root's: [`Root::inside_text`]).
    ///
    /// [`Root::inside_text`]: crate::root::Root::inside_text
    fn finish(&self, mut command: Command, mut line: String, root: Option<&crate::root::Root>) -> Outcome {
        let text = |value: &OsString| match root {
            Some(root) => root.inside_text(value),
            None => value.clone(),
        };
        let args: Vec<OsString> = self.args.iter().map(text).collect();
        let env: Vec<(OsString, OsString)> = self.env.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        command.args(&args).env_clear();
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let mut shown = String::new();
        for (key, value) in &env {
            let _ = write!(shown, "{}={} ", key.to_string_lossy(), value.to_string_lossy());
        }
        line.insert_str(0, &shown);
        for arg in &args {
            let _ = write!(line, " {}", arg.to_string_lossy());
        }
        spawn_with_timeout(command, line, self.timeout)
    }

    fn check_oracle(&self, glibc: &Outcome) {
        let mut problems = Vec::new();
        if let Some(exit) = self.expect_exit {
            if glibc.exit != exit {
                problems.push(format!("expected the process to have {exit}"));
            }
        }
        // In a root, the expectations name paths as the root sees them (an error message that
        // prints a fixture's path prints /mnt/target/...).
        let root = self.root();
        let inside = |text: &[u8]| -> Vec<u8> {
            match root {
                Some(root) => root.inside_paths_in(text),
                None => text.to_vec(),
            }
        };
        let stdout = root
            .and_then(|root| self.expect_stdout_in.iter().find(|(suite, _)| *suite == root.suite()))
            .map(|(_, text)| text)
            .or(self.expect_stdout.as_ref());
        if let Some(stdout) = stdout.map(|text| inside(text)) {
            if glibc.stdout != stdout {
                problems.push(format!("expected stdout:\n{}", String::from_utf8_lossy(&stdout)));
            }
        }
        for text in &self.expect_stderr {
            let text = String::from_utf8_lossy(&inside(text.as_bytes())).into_owned();
            if !glibc.stderr_text().contains(text.as_str()) {
                problems.push(format!("expected stderr to contain {text:?}"));
            }
        }
        if !problems.is_empty() {
            panic!(
                "the oracle (glibc's ld.so) did not behave as the test expects; the fixture or \
                 the test is wrong, not ld-rs:\n{}\n--- glibc\n{glibc}",
                problems.join("\n")
            );
        }
    }
}

/// Runs the program under ld-rs only, for cases where glibc has no usable answer (it dies of
/// SIGBUS on some truncated files). The test must then check the outcome itself.
///
/// In [`cache_mode`], ld-rs runs cold then warm (see [`Run::compare`]); the warm run is
/// returned, after checking that it ended as the cold one did.
pub fn run_ldrs_only(run: &Run, way: Way) -> Outcome {
    let mut runs = run.run_ldrs(way);
    for out in &mut runs {
        strip_cache_lines(out);
    }
    let last = runs.pop().expect("ld-rs ran");
    if let Some(cold) = runs.first() {
        assert_eq!(
            cold.exit, last.exit,
            "a warm start from the launch record ended unlike the cold one:\n--- cold\n{cold}--- warm\n{last}"
        );
    }
    last
}

/// True when `LD_RS_TESTS_CACHE=1`: every ld-rs run of [`Run::compare`] and [`run_ldrs_only`]
/// is made twice with a launch cache (`LD_RS_CACHE`) of its own, cold then warm, and both
/// are checked.
pub fn cache_mode() -> bool {
    std::env::var_os("LD_RS_TESTS_CACHE").is_some_and(|v| v == "1")
}

/// A new private directory (mode 0700) for one run's launch cache, removed on drop.
struct CacheDir(PathBuf);

impl CacheDir {
    fn new() -> CacheDir {
        use std::os::unix::fs::PermissionsExt;
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ld-rs-tests-cache-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", dir.display()));
        CacheDir(dir)
    }
}

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Removes ld-rs's `launch cache:` line from `LD_DEBUG=statistics` output, which glibc has
/// no counterpart of.
fn strip_cache_lines(out: &mut Outcome) {
    let strip = |text: &[u8]| -> Vec<u8> {
        text.split_inclusive(|&b| b == b'\n')
            .filter(|l| !l.windows(14).any(|w| w == b"launch cache: "))
            .flatten()
            .copied()
            .collect()
    };
    out.stdout = strip(&out.stdout);
    out.stderr = strip(&out.stderr);
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()
            .expect("the current directory is readable")
            .join(path)
    }
}

/// A copy of `program` whose `PT_INTERP` names ld-rs, next to it (so `$ORIGIN` is the same)
/// as `<program>.ld-rs`. Made once per process, atomically (another test binary may be
/// running the previous copy).
fn interp_copy(program: &Path) -> PathBuf {
    let mut copy = program.as_os_str().to_owned();
    copy.push(".ld-rs");
    let copy = PathBuf::from(copy);
    patched_copy(program, &copy, Some(&crate::ld_rs()));
    copy
}

/// The copy of `program` for `loader` in `dir` ([`Run::interp_copies_in`]): `dir/glibc/<name>`
/// or `dir/ld-rs/<name>` (patched to name ld-rs). Made once per process, atomically.
fn interp_copy_in(program: &Path, dir: &Path, loader: Loader) -> PathBuf {
    let name = program
        .file_name()
        .unwrap_or_else(|| panic!("{} names no file", program.display()));
    let copy = match loader {
        Loader::Glibc => dir.join("glibc").join(name),
        Loader::LdRs => dir.join("ld-rs").join(name),
    };
    let interpreter = (loader == Loader::LdRs).then(crate::ld_rs);
    patched_copy(program, &copy, interpreter.as_deref());
    copy
}

/// A copy of `program` at `copy` whose `PT_INTERP` is `interpreter` (or unchanged), made once
/// per process and atomically (another test binary may be running the previous copy).
fn patched_copy(program: &Path, copy: &Path, interpreter: Option<&Path>) {
    static DONE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if done.get_or_insert_with(HashSet::new).contains(copy) {
        return;
    }
    let dir = copy.parent().expect("a copy has a directory");
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let mut tmp = copy.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::copy(program, &tmp).unwrap_or_else(|e| panic!("cannot copy {}: {e}", program.display()));
    if let Some(interpreter) = interpreter {
        let output = Command::new("patchelf")
            .arg("--set-interpreter")
            .arg(interpreter)
            .arg(&tmp)
            .output()
            .unwrap_or_else(|e| panic!("cannot run patchelf ({e}): apt-get install -y patchelf"));
        if !output.status.success() {
            panic!(
                "patchelf --set-interpreter {} {} failed:\n{}",
                interpreter.display(),
                tmp.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    fs::rename(&tmp, copy).unwrap_or_else(|e| panic!("cannot rename {}: {e}", tmp.display()));
    done.get_or_insert_with(HashSet::new).insert(copy.to_owned());
}

/// Starts `command` with stdin empty and both outputs captured, killing it after `timeout`.
pub fn spawn_with_timeout(mut command: Command, line: String, timeout: Duration) -> Outcome {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // ETXTBSY: a program copy another test thread just wrote can still be
    // open for writing in a child forked meanwhile (until that child execs).
    // It passes in a moment; retry briefly rather than fail.
    let mut tries = 0;
    let mut child = loop {
        match command.spawn() {
            Ok(child) => break child,
            Err(e) if e.raw_os_error() == Some(26) && tries < 100 => {
                tries += 1;
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("cannot start {line}: {e}"),
        }
    };
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "timed out after {timeout:?} (killed): {line}\n  stdout so far: {:?}\n  \
                     stderr so far: {:?}",
                    String::from_utf8_lossy(&stdout.join().unwrap_or_default()),
                    String::from_utf8_lossy(&stderr.join().unwrap_or_default())
                );
            }
            Err(e) => panic!("cannot wait for {line}: {e}"),
        }
    };
    let exit = match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(signal)) => Exit::Signal(signal),
        (None, None) => unreachable!("a process ends by exit or by signal"),
    };
    Outcome {
        command: line,
        exit,
        stdout: stdout.join().expect("the stdout reader does not panic"),
        stderr: stderr.join().expect("the stderr reader does not panic"),
    }
}

/// Reads a pipe to its end on a thread, so a full pipe never blocks the child.
fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Points at the first differing field (and line) between two outcomes.
fn first_difference(glibc: &Outcome, ldrs: &Outcome) -> String {
    if glibc.exit != ldrs.exit {
        return format!("first difference: status: glibc {}, ld-rs {}\n", glibc.exit, ldrs.exit);
    }
    for (name, a, b) in [
        ("stdout", &glibc.stdout, &ldrs.stdout),
        ("stderr", &glibc.stderr, &ldrs.stderr),
    ] {
        if a == b {
            continue;
        }
        let a = String::from_utf8_lossy(a);
        let b = String::from_utf8_lossy(b);
        let mut lines_b = b.lines();
        for (n, line_a) in a.lines().enumerate() {
            match lines_b.next() {
                Some(line_b) if line_a == line_b => {}
                line_b => {
                    return format!(
                        "first difference: {name} line {}: glibc {line_a:?}, ld-rs {:?}\n",
                        n + 1,
                        line_b.unwrap_or("(no such line)")
                    );
                }
            }
        }
        return match lines_b.next() {
            Some(extra) => format!("first difference: {name}: ld-rs has more: {extra:?}\n"),
            None => format!("first difference: {name}: line endings or trailing bytes\n"),
        };
    }
    String::new()
}

/// Replaces each `0x` + 16 hex digits with `0xADDR`.
pub fn normalize_addresses(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let is_addr = text[i..].starts_with(b"0x")
            && text.len() >= i + 18
            && text[i + 2..i + 18].iter().all(u8::is_ascii_hexdigit)
            && text.get(i + 18).is_none_or(|c| !c.is_ascii_hexdigit());
        if is_addr {
            out.extend_from_slice(b"0xADDR");
            i += 18;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// Replaces the process id that starts a line of `LD_DEBUG` output (`     12345:\t…`, right
/// aligned in a field of 10 characters) with `PID`: `PID:\t…`.
pub fn normalize_pids(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let spaces = line.iter().take_while(|&&b| b == b' ').count();
        let digits = line[spaces..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && line.get(spaces + digits) == Some(&b':') {
            out.extend_from_slice(b"PID");
            out.extend_from_slice(&line[spaces + digits..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Replaces ld-rs's path with glibc's (`LD_DEBUG`'s "calling init: LOADER" line names it),
/// and `LD_TRACE_LOADED_OBJECTS`'s `GLIBC_LOADER => LD_RS` line with glibc's `GLIBC_LOADER`.
pub fn normalize_loader(text: &[u8]) -> Vec<u8> {
    let ld_rs = crate::ld_rs().display().to_string();
    let glibc = crate::GLIBC_LOADER;
    String::from_utf8_lossy(text)
        .replace(&format!("{glibc} => {ld_rs}"), glibc)
        .replace(&ld_rs, glibc)
        .into_bytes()
}
