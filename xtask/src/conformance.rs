//! Conformance at scale: `cargo xtask list-sweep` and `cargo xtask programs`.
//!
//! Neither is part of `cargo xtask test` (they depend on what this machine has installed, and
//! `programs` needs root); both write a report under `<target>/conformance/` and print a summary.
//!
//! - [`list_sweep`] runs `ld-rs --list FILE` and `ld-rs --verify FILE` next to glibc's
//!   `ld.so --list FILE` / `--verify FILE` for every dynamically linked x86_64 ELF executable
//!   and shared library under `/usr/bin`, `/usr/sbin`, `/usr/lib/x86_64-linux-gnu` and the
//!   Rust toolchain's `lib` and `bin`, and groups the differences by symptom.
//! - [`programs`] runs a curated list of real programs of this machine ([`program_list`])
//!   system-wide under ld-rs (a private mount namespace with ld-rs bind-mounted over glibc's
//!   loader, so every process the program starts runs under ld-rs too) and plainly, and
//!   compares stdout, stderr and the exit status.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::fs;
use std::io::{Read, Write as _};
use std::os::unix::fs::FileExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::cmd::{self, Failed};
use crate::compare::GLIBC_LOADER;
use crate::demo::build_ld_rs;
use ld_rs_tests::root::Root;
use ld_rs_tests::run::normalize_addresses;

// ---------------------------------------------------------------------------------------------
// Running one process.
// ---------------------------------------------------------------------------------------------

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    /// Exited with this status.
    Code(i32),
    /// Killed by this signal (not by us).
    Signal(i32),
    /// Still running at the deadline; its process group was killed.
    TimedOut,
}

impl End {
    fn from_status(status: ExitStatus) -> End {
        match (status.code(), status.signal()) {
            (Some(code), _) => End::Code(code),
            (None, Some(signal)) => End::Signal(signal),
            (None, None) => unreachable!("a process ends by exit or by signal"),
        }
    }

    /// Whether the process crashed or hung rather than exiting.
    fn is_failure(self) -> bool {
        !matches!(self, End::Code(_))
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Code(code) => write!(f, "exit status {code}"),
            End::Signal(signal) => write!(f, "killed by signal {signal} ({})", signal_name(*signal)),
            End::TimedOut => f.write_str("timed out"),
        }
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "?",
    }
}

/// What one run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    end: End,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Outcome {
    fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Which of stdout, stderr and the exit status differ from `other`, e.g. "stdout, exit status".
    fn differences(&self, other: &Outcome) -> String {
        let parts = [
            ("stdout", self.stdout != other.stdout),
            ("stderr", self.stderr != other.stderr),
            ("exit status", self.end != other.end),
        ];
        let names: Vec<&str> = parts.iter().filter(|(_, d)| *d).map(|(n, _)| *n).collect();
        names.join(", ")
    }

    /// The outcome, indented, for reports: status, then each stream's lines (up to `max_lines`
    /// each; `usize::MAX` for all).
    fn show(&self, indent: &str, max_lines: usize) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "{indent}{}", self.end);
        for (name, bytes) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if bytes.is_empty() {
                let _ = writeln!(text, "{indent}{name}: (empty)");
                continue;
            }
            let _ = writeln!(text, "{indent}{name}:");
            let body = String::from_utf8_lossy(bytes);
            let lines: Vec<&str> = body.split_inclusive('\n').collect();
            for line in lines.iter().take(max_lines) {
                match line.strip_suffix('\n') {
                    Some(line) => {
                        let _ = writeln!(text, "{indent}  | {line}");
                    }
                    None => {
                        let _ = writeln!(text, "{indent}  | {line}  (no newline at end)");
                    }
                }
            }
            if lines.len() > max_lines {
                let _ = writeln!(text, "{indent}  | … {} more lines", lines.len() - max_lines);
            }
        }
        text
    }
}

/// Runs `command` in its own process group with stdin `stdin` (`/dev/null` if `None`) and
/// both outputs captured; after `timeout` the whole process group is killed.
fn run_with_timeout(mut command: Command, stdin: Option<&[u8]>, timeout: Duration) -> Result<Outcome, String> {
    command
        .process_group(0)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let pid = child.id();
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let bytes = bytes.to_vec();
        // A writer thread, so a child that does not read cannot block us; a child that exits
        // without reading makes the write fail with EPIPE, which is fine.
        thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let deadline = Instant::now() + timeout;
    let end = match done_rx.recv_timeout(timeout) {
        Ok(Ok(status)) => End::from_status(status),
        Ok(Err(e)) => return Err(format!("cannot wait for {command:?}: {e}")),
        Err(_) => {
            kill_group(pid);
            let _ = done_rx.recv();
            End::TimedOut
        }
    };
    // A process the child left behind may still hold the pipes open: wait for the output
    // until the deadline (and a little more), then kill its group and take what there is.
    let grace = deadline.max(Instant::now()) + Duration::from_millis(500);
    let collect = |rx: &mpsc::Receiver<Vec<u8>>| match rx.recv_timeout(grace.saturating_duration_since(Instant::now()))
    {
        Ok(bytes) => bytes,
        Err(_) => {
            kill_group(pid);
            rx.recv_timeout(Duration::from_secs(1)).unwrap_or_default()
        }
    };
    let stdout = collect(&stdout);
    let stderr = collect(&stderr);
    Ok(Outcome { end, stdout, stderr })
}

/// Kills process group `pgid` (the std library has no killpg; kill(1) does it).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Reads a pipe to its end on a thread, then sends what it read.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

/// Applies `f` to every item on `jobs` threads; results in the items' order. `progress` is
/// called after each item with the number done so far.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
    progress: impl Fn(usize) + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                progress(done.fetch_add(1, Ordering::SeqCst) + 1);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

/// The linker to test: `$LD_RS` if set (as for the test harness; nothing is built then),
/// else the release build, built first (`<target>/release/ld-rs.so`).
fn linker() -> Result<PathBuf, Failed> {
    match std::env::var_os("LD_RS") {
        Some(path) => {
            let path = PathBuf::from(path);
            let path = if path.is_absolute() {
                path
            } else {
                cmd::workspace_root().join(path)
            };
            if path.exists() {
                Ok(path)
            } else {
                eprintln!("xtask: $LD_RS names {}, which does not exist", path.display());
                Err(Failed)
            }
        }
        None => build_ld_rs(),
    }
}

/// `<target>/conformance/`, created.
fn conformance_dir() -> Result<PathBuf, Failed> {
    let dir = cmd::target_dir().join("conformance");
    fs::create_dir_all(&dir).map_err(|e| {
        eprintln!("xtask: cannot create {}: {e}", dir.display());
        Failed
    })?;
    Ok(dir)
}

fn write_report(path: &Path, text: &str) -> Result<(), Failed> {
    fs::write(path, text).map_err(|e| {
        eprintln!("xtask: cannot write {}: {e}", path.display());
        Failed
    })
}

// ---------------------------------------------------------------------------------------------
// cargo xtask list-sweep
// ---------------------------------------------------------------------------------------------

/// How many files are compared at once.
const SWEEP_JOBS: usize = 2;

/// How long one `--list` or `--verify` run may take.
const SWEEP_TIMEOUT: Duration = Duration::from_secs(5);

/// The system directories swept (the toolchain's are added at run time).
const SWEEP_DIRS: &[&str] = &["/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"];

/// What a swept file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    /// Has a `PT_INTERP`: a program (or a library that can also be run, such as libc.so.6).
    Executable,
    /// No `PT_INTERP`: a shared library (`--list` then resolves its dependencies).
    SharedLibrary,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Executable => "executable",
            FileKind::SharedLibrary => "shared library",
        }
    }
}

/// Why a file is not swept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Skip {
    Unreadable,
    NotElf,
    NotX86_64,
    /// A relocatable object (`.o`) or core file.
    NotLoadable,
    /// No `PT_DYNAMIC`.
    Static,
    /// `PT_DYNAMIC` but no `PT_INTERP` and `DF_1_PIE`: a static PIE.
    StaticPie,
}

impl Skip {
    fn name(self) -> &'static str {
        match self {
            Skip::Unreadable => "unreadable",
            Skip::NotElf => "not ELF",
            Skip::NotX86_64 => "ELF, not x86_64 (ELFCLASS64, little-endian, EM_X86_64)",
            Skip::NotLoadable => "ELF, neither executable nor shared object (.o, core)",
            Skip::Static => "statically linked (no PT_DYNAMIC)",
            Skip::StaticPie => "static PIE (DF_1_PIE, no PT_INTERP)",
        }
    }
}

/// Reads the ELF header, program headers and (for the static-PIE test) the dynamic section.
fn classify(path: &Path) -> Result<FileKind, Skip> {
    let file = fs::File::open(path).map_err(|_| Skip::Unreadable)?;
    let mut header = [0u8; 64];
    let n = file.read_at(&mut header, 0).map_err(|_| Skip::Unreadable)?;
    if n < 4 || &header[..4] != b"\x7fELF" {
        return Err(Skip::NotElf);
    }
    if n < 64 {
        return Err(Skip::NotX86_64);
    }
    let u16_at = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    // ELFCLASS64, ELFDATA2LSB, EM_X86_64.
    if header[4] != 2 || header[5] != 1 || u16_at(&header, 18) != 62 {
        return Err(Skip::NotX86_64);
    }
    // ET_EXEC or ET_DYN.
    if !matches!(u16_at(&header, 16), 2 | 3) {
        return Err(Skip::NotLoadable);
    }
    let phoff = u64_at(&header, 32);
    let phentsize = usize::from(u16_at(&header, 54));
    let phnum = usize::from(u16_at(&header, 56));
    if phentsize < 56 || phnum == 0 {
        return Err(Skip::Static);
    }
    let mut phdrs = vec![0u8; phentsize * phnum];
    file.read_exact_at(&mut phdrs, phoff).map_err(|_| Skip::Unreadable)?;
    let mut interp = false;
    let mut dynamic = None;
    for ph in phdrs.chunks_exact(phentsize) {
        match u32_at(ph, 0) {
            2 => dynamic = Some((u64_at(ph, 8), u64_at(ph, 32))),
            3 => interp = true,
            _ => {}
        }
    }
    let Some((offset, size)) = dynamic else {
        return Err(Skip::Static);
    };
    if interp {
        return Ok(FileKind::Executable);
    }
    let mut entries = vec![0u8; usize::try_from(size.min(1 << 20)).unwrap_or(0)];
    if file.read_exact_at(&mut entries, offset).is_ok() {
        for entry in entries.chunks_exact(16) {
            let (tag, value) = (u64_at(entry, 0), u64_at(entry, 8));
            const DT_FLAGS_1: u64 = 0x6fff_fffb;
            const DF_1_PIE: u64 = 0x0800_0000;
            match tag {
                0 => break,
                DT_FLAGS_1 if value & DF_1_PIE != 0 => return Err(Skip::StaticPie),
                _ => {}
            }
        }
    }
    Ok(FileKind::SharedLibrary)
}

/// Every regular file under `dir`, recursively; symbolic links (to files or directories)
/// are not followed, so each file is seen under its real path(s) only.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            walk(&entry.path(), files);
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
}

/// The directories of the sweep: [`SWEEP_DIRS`] and the toolchain's `lib` and `bin`.
fn sweep_roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = SWEEP_DIRS.iter().map(PathBuf::from).collect();
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim_end()));
    match sysroot {
        Some(sysroot) => roots.extend([sysroot.join("lib"), sysroot.join("bin")]),
        None => eprintln!("xtask: `rustc --print sysroot` failed; the toolchain is not swept"),
    }
    roots
}

/// One loader's answers on one file.
#[derive(Clone, Debug)]
struct Answers {
    list: Outcome,
    verify: Outcome,
}

/// Both loaders' answers on one file.
struct Swept {
    path: PathBuf,
    kind: FileKind,
    glibc: Answers,
    ld_rs: Answers,
}

impl Swept {
    fn list_matches(&self) -> bool {
        self.glibc.list == self.ld_rs.list
    }

    fn verify_matches(&self) -> bool {
        self.glibc.verify.end == self.ld_rs.verify.end
    }
}

/// Runs `loader OPTION FILE` with `argv[0]` [`GLIBC_LOADER`] (what `ldd` passes; glibc prints
/// `argv[0]` as its own name when a file has no `PT_INTERP`), an empty environment, stdin
/// `/dev/null`, addresses normalized.
/// Inside a root filesystem (`list-sweep --root`), `loader` and `file` are paths inside it.
fn ask(root: Option<&Root>, loader: &Path, option: &str, file: &Path) -> Outcome {
    let mut command = match root {
        Some(root) => root.command(loader, Path::new("/"), None),
        None => {
            let mut command = Command::new(loader);
            command.current_dir(cmd::workspace_root());
            command
        }
    };
    command.arg0(GLIBC_LOADER).arg(option).arg(file).env_clear();
    match run_with_timeout(command, None, SWEEP_TIMEOUT) {
        Ok(mut outcome) => {
            outcome.stdout = normalize_addresses(&outcome.stdout);
            outcome.stderr = normalize_addresses(&outcome.stderr);
            outcome
        }
        Err(message) => Outcome {
            end: End::Code(-1),
            stdout: Vec::new(),
            stderr: message.into_bytes(),
        },
    }
}

fn answers(root: Option<&Root>, loader: &Path, file: &Path) -> Answers {
    Answers {
        list: ask(root, loader, "--list", file),
        verify: ask(root, loader, "--verify", file),
    }
}

/// The directories a sweep inside a root filesystem leaves out: mount points and what the
/// tests put there, nothing installed.
const ROOT_SKIP_DIRS: &[&str] = &["proc", "sys", "dev", "tmp", "mnt", "run"];

/// `cargo xtask list-sweep`: builds ld-rs, compares `--list` and `--verify` on every
/// dynamically linked x86_64 ELF file of the swept directories, writes
/// `<target>/conformance/list-sweep.txt` and prints the summary. Fails if a difference is
/// left that glibc's own failure does not explain.
///
/// `--root SUITE`: every such file of that root filesystem (`cargo xtask rootfs SUITE`, made
/// if missing), each asked inside it (chroot, as in the tests' [`ld_rs_tests::root`]) of the
/// root's own loader and of ld-rs; the report is `list-sweep-SUITE.txt`.
pub fn list_sweep(options: &[&str]) -> Result<(), Failed> {
    let suite = match options {
        [] => None,
        ["--root", suite] => Some(*suite),
        _ => {
            eprintln!("xtask: usage: cargo xtask list-sweep [--root SUITE]");
            return Err(Failed);
        }
    };
    let ld_rs = linker()?;
    let glibc = PathBuf::from(GLIBC_LOADER);
    let (root, roots) = match suite {
        None => (None, sweep_roots()),
        Some(suite) => {
            crate::rootfs::ensure(suite)?;
            // The harness's view of the root: it names ld-rs by $LD_RS or the release build,
            // as linker() did.
            std::env::set_var("LD_RS", &ld_rs);
            let root = ld_rs_tests::root::root(crate::rootfs::known_suite(suite)?).ok_or(Failed)?;
            let dirs = fs::read_dir(root.dir())
                .map_err(|e| {
                    eprintln!("xtask: {}: {e}", root.dir().display());
                    Failed
                })?
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| !ROOT_SKIP_DIRS.iter().any(|d| e.file_name() == *d))
                .map(|e| e.path())
                .collect::<Vec<_>>();
            (Some(root), dirs)
        }
    };
    let mut paths = Vec::new();
    for dir in &roots {
        walk(dir, &mut paths);
    }
    let (glibc_asked, ld_rs_asked) = match root {
        Some(_) => (glibc.clone(), PathBuf::from(ld_rs_tests::root::LD_RS_INSIDE)),
        None => (glibc.clone(), ld_rs.clone()),
    };
    let mut files = Vec::new();
    let mut skipped: BTreeMap<Skip, usize> = BTreeMap::new();
    for path in paths {
        match classify(&path) {
            Ok(kind) => files.push((path, kind)),
            Err(skip) => *skipped.entry(skip).or_default() += 1,
        }
    }
    println!(
        "list-sweep: {} dynamically linked x86_64 ELF files under {}; {SWEEP_JOBS} at a time, {} s per run",
        files.len(),
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        SWEEP_TIMEOUT.as_secs()
    );
    let started = Instant::now();
    let total = files.len();
    let swept = parallel_map(
        &files,
        SWEEP_JOBS,
        |(path, kind)| {
            let asked = root.map_or_else(|| path.clone(), |root| root.inside(path));
            Swept {
                path: path.clone(),
                kind: *kind,
                glibc: answers(root, &glibc_asked, &asked),
                ld_rs: answers(root, &ld_rs_asked, &asked),
            }
        },
        |done| {
            if done % 250 == 0 || done == total {
                eprintln!("  {done}/{total} ({} s)", started.elapsed().as_secs());
            }
        },
    );
    let report = SweepReport::new(&ld_rs, &roots, &skipped, &swept, started.elapsed());
    let name = match suite {
        Some(suite) => format!("list-sweep-{suite}.txt"),
        None => "list-sweep.txt".to_owned(),
    };
    let path = conformance_dir()?.join(name);
    write_report(&path, &report.full())?;
    print!("{}", report.summary());
    println!("report: {}", path.display());
    if report.unexplained() == 0 {
        Ok(())
    } else {
        Err(Failed)
    }
}

/// A kind of difference, and whether glibc's own failure explains it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Symptom {
    /// glibc crashed, hung or refused: there is no reference answer to match.
    glibc_fails: bool,
    text: String,
}

/// Whether a `--list` line is the loader's own (glibc names itself after the program's
/// `PT_INTERP`, or after its `argv[0]` when the file has none; ld-rs's own name is `ld-rs.so`).
fn is_loader_line(line: &str) -> bool {
    let line = line.trim_start();
    [GLIBC_LOADER, "ld-linux-x86-64.so.2", "ld-rs.so", "ld-rs "]
        .iter()
        .any(|name| line.starts_with(&format!("{name} (")) || line.starts_with(&format!("{name} =>")))
}

/// What kind of `--list` line this is, to name it in a symptom.
fn line_kind(line: &str) -> &'static str {
    let line = line.trim_start();
    if line.starts_with("linux-vdso.so.1") {
        "the vDSO line"
    } else if is_loader_line(line) {
        "the loader's line"
    } else if line.contains("=> not found") {
        "a `=> not found` line"
    } else if line == "statically linked" {
        "`statically linked`"
    } else if line.contains(" => ") {
        "a library line"
    } else {
        "another line"
    }
}

/// Names what differs between two `--list` listings that exited the same way.
fn listing_difference(glibc: &str, ld_rs: &str) -> String {
    let g: Vec<&str> = glibc.lines().collect();
    let r: Vec<&str> = ld_rs.lines().collect();
    let without_loader = |lines: &[&str]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| !is_loader_line(l))
            .map(|l| (*l).to_owned())
            .collect()
    };
    let loader = |lines: &[&str]| -> Vec<(usize, String)> {
        lines
            .iter()
            .enumerate()
            .filter(|(_, l)| is_loader_line(l))
            .map(|(i, l)| (i, l.trim().to_owned()))
            .collect()
    };
    let (g_rest, r_rest) = (without_loader(&g), without_loader(&r));
    let (g_loader, r_loader) = (loader(&g), loader(&r));
    if g_rest == r_rest && g_loader.len() == 1 && r_loader.len() == 1 {
        let ((g_at, g_line), (r_at, r_line)) = (&g_loader[0], &r_loader[0]);
        let placement = if g_at == r_at {
            ""
        } else if *r_at + 1 == r.len() {
            "; ld-rs puts it last, glibc where the breadth-first search reached it"
        } else {
            "; ld-rs puts it elsewhere"
        };
        if g_line == r_line {
            return format!("--list: only the loader's line is elsewhere{placement}");
        }
        return format!("--list: the loader's line names it otherwise: glibc `{g_line}`, ld-rs `{r_line}`{placement}");
    }
    let mut g_sorted = g.clone();
    let mut r_sorted = r.clone();
    g_sorted.sort_unstable();
    r_sorted.sort_unstable();
    if g_sorted == r_sorted {
        let moved = g
            .iter()
            .zip(&r)
            .find(|(a, b)| a != b)
            .map(|(a, _)| line_kind(a))
            .unwrap_or("a line");
        return format!("--list prints the same lines in another order (first out of place: {moved})");
    }
    let only = |a: &[&str], b: &[&str]| -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = a
            .iter()
            .filter(|l| b.binary_search(l).is_err())
            .map(|l| line_kind(l))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    };
    let only_glibc = only(&g_sorted, &r_sorted);
    let only_ld_rs = only(&r_sorted, &g_sorted);
    let mut text = String::from("--list prints other lines:");
    if !only_glibc.is_empty() {
        let _ = write!(text, " only glibc prints {}", only_glibc.join(", "));
    }
    if !only_ld_rs.is_empty() {
        if !only_glibc.is_empty() {
            text.push(';');
        }
        let _ = write!(text, " only ld-rs prints {}", only_ld_rs.join(", "));
    }
    text
}

/// The first line of a loader's message with file names and symbol names taken out, so
/// that messages of one kind group together: `FILE: error while loading shared libraries:
/// libfoo.so.1: cannot open shared object file: No such file or directory` becomes
/// `error while loading shared libraries: …: cannot open shared object file: No such file
/// or directory`.
fn message_kind(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return "no message".to_owned();
    };
    let first = first.trim();
    let rest = match first.find("error while loading shared libraries:") {
        Some(at) => &first[at..],
        None => first,
    };
    // Keep the words, drop the names: every ": "-separated field that looks like a path,
    // a library or a symbol is replaced with `…`.
    let fields: Vec<String> = rest
        .split(": ")
        .map(|field| {
            let looks_like_name = field.contains('/')
                || field.contains(".so")
                || (!field.contains(' ') && field.len() > 1 && field != "error");
            if looks_like_name {
                "…".to_owned()
            } else {
                field.to_owned()
            }
        })
        .collect();
    let mut joined = fields.join(": ");
    if let Some(at) = joined.find("symbol lookup error") {
        joined.truncate(at + "symbol lookup error".len());
    }
    if let Some(at) = joined.find("undefined symbol") {
        joined.truncate(at + "undefined symbol".len());
    }
    if let Some(at) = joined.find("version `") {
        joined.truncate(at + "version".len());
    }
    joined
}

fn list_symptom(glibc: &Outcome, ld_rs: &Outcome) -> Option<Symptom> {
    if glibc == ld_rs {
        return None;
    }
    if glibc.end.is_failure() {
        return Some(Symptom {
            glibc_fails: true,
            text: format!("--list: glibc fails: {}; ld-rs: {}", glibc.end, ld_rs.end),
        });
    }
    if ld_rs.end.is_failure() {
        return Some(Symptom {
            glibc_fails: false,
            text: format!("--list: ld-rs fails: {}; glibc: {}", ld_rs.end, glibc.end),
        });
    }
    if glibc.end != ld_rs.end {
        let (g, r) = (message_kind(&glibc.stderr), message_kind(&ld_rs.stderr));
        return Some(Symptom {
            glibc_fails: false,
            text: format!(
                "--list: exit status differs: glibc {} ({}), ld-rs {} ({})",
                glibc.end,
                if glibc.stderr.is_empty() {
                    "no message".to_owned()
                } else {
                    g
                },
                ld_rs.end,
                if ld_rs.stderr.is_empty() {
                    "no message".to_owned()
                } else {
                    r
                },
            ),
        });
    }
    if glibc.stdout != ld_rs.stdout {
        return Some(Symptom {
            glibc_fails: false,
            text: listing_difference(&glibc.stdout_text(), &ld_rs.stdout_text()),
        });
    }
    Some(Symptom {
        glibc_fails: false,
        text: format!(
            "--list: stderr differs (same stdout and status): glibc says {:?}, ld-rs says {:?}",
            message_kind(&glibc.stderr),
            message_kind(&ld_rs.stderr)
        ),
    })
}

fn verify_symptom(glibc: &Outcome, ld_rs: &Outcome) -> Option<Symptom> {
    if glibc.end == ld_rs.end {
        return None;
    }
    Some(Symptom {
        glibc_fails: glibc.end.is_failure(),
        text: format!(
            "--verify: {}glibc {}, ld-rs {}",
            if glibc.end.is_failure() { "glibc fails: " } else { "" },
            glibc.end,
            ld_rs.end
        ),
    })
}

/// What is known about a category, for the report: why glibc behaves as it does, and what
/// ld-rs does differently. (glibc's behaviour as in its `elf/rtld.c`, `dl_main`.)
fn explain(symptom: &Symptom) -> Option<&'static str> {
    let text = symptom.text.as_str();
    let known: &[(&str, &str)] = &[
        (
            "glibc fails",
            "glibc's ld.so itself crashes or does not finish (e.g. `--list` on a shared library \
             that is not meant to be a main program): there is no reference answer to match.",
        ),
        (
            "--list: only the loader's line is elsewhere",
            "glibc inserts its own link map into the chain \"in symbol search order because gdb \
             uses the chain's order as its symbol search order\" (rtld.c), i.e. where the \
             breadth-first dependency search reached ld-linux-x86-64.so.2 (as libc.so.6's \
             DT_NEEDED, for most programs), so libraries first needed by later objects are \
             listed after it; ld-rs always lists itself last. (gdb's `info sharedlibrary` on a \
             running curl shows the same order under both loaders.)",
        ),
        (
            "--list: the loader's line names it otherwise",
            "For a file without PT_INTERP (a shared library), glibc names its own link map after \
             its argv[0] (here /lib64/ld-linux-x86-64.so.2, as ldd passes it); ld-rs names \
             itself `ld-rs.so` whatever its argv[0]. For programs both print the PT_INTERP \
             string. Where the line is also placed elsewhere, see `only the loader's line is \
             elsewhere`.",
        ),
        (
            "only glibc prints `statically linked`",
            "The file has no DT_NEEDED entry: glibc then prints `\\tstatically linked` instead \
             of the listing (rtld.c: `else if (! main_map->l_info[DT_NEEDED])`), even for a \
             shared library or ld.so itself; ld-rs lists the vDSO.",
        ),
        (
            "--verify: glibc exit status 2, ld-rs exit status 0",
            "glibc's `--verify` maps the file only (no dependency is loaded) and exits 0 if it has \
             a PT_INTERP (a program), 2 if not (a shared library: loadable, but not a program \
             using this interpreter), 1 if it cannot be mapped or has no PT_DYNAMIC. ld-rs exits \
             0 for shared libraries too. (ldd accepts 0 and 2 alike, so ldd is unaffected.)",
        ),
        (
            "ld-rs exit status 127",
            "glibc's `--verify` maps the file only and loads none of its dependencies; ld-rs \
             loads them and fails with 127 when one cannot be found (here: a library found only \
             through the RUNPATH of the programs that use it, or one not installed). ldd, which \
             accepts only 0, 1 and 2, then stops with `ldd: … exited with unknown exit code \
             (127)` instead of listing the libraries with `=> not found`.",
        ),
        (
            "--verify: glibc exit status 1",
            "glibc's `--verify` exits 1, without a message, for a file it cannot map (not ELF, \
             wrong class, no PT_DYNAMIC) where `--list` reports the error with status 127 \
             (ldd then says `not a dynamic executable`).",
        ),
    ];
    known.iter().find(|(key, _)| text.contains(key)).map(|(_, why)| *why)
}

/// The sweep's results, grouped, and the report built from them.
struct SweepReport<'a> {
    header: String,
    swept: &'a [Swept],
    list_groups: BTreeMap<Symptom, Vec<usize>>,
    verify_groups: BTreeMap<Symptom, Vec<usize>>,
}

impl<'a> SweepReport<'a> {
    fn new(
        ld_rs: &Path,
        roots: &[PathBuf],
        skipped: &BTreeMap<Skip, usize>,
        swept: &'a [Swept],
        elapsed: Duration,
    ) -> Self {
        let mut list_groups: BTreeMap<Symptom, Vec<usize>> = BTreeMap::new();
        let mut verify_groups: BTreeMap<Symptom, Vec<usize>> = BTreeMap::new();
        for (i, s) in swept.iter().enumerate() {
            if let Some(symptom) = list_symptom(&s.glibc.list, &s.ld_rs.list) {
                list_groups.entry(symptom).or_default().push(i);
            }
            if let Some(symptom) = verify_symptom(&s.glibc.verify, &s.ld_rs.verify) {
                verify_groups.entry(symptom).or_default().push(i);
            }
        }
        let total = swept.len();
        let count = |kind| swept.iter().filter(|s| s.kind == kind).count();
        let both = swept.iter().filter(|s| s.list_matches() && s.verify_matches()).count();
        let list = swept.iter().filter(|s| s.list_matches()).count();
        let verify = swept.iter().filter(|s| s.verify_matches()).count();
        let glibc_fails = swept
            .iter()
            .filter(|s| s.glibc.list.end.is_failure() || s.glibc.verify.end.is_failure())
            .count();
        let mut header = String::new();
        let _ = writeln!(
            header,
            "ld-rs list sweep: `ld-rs --list FILE` and `ld-rs --verify FILE` against glibc's ld.so"
        );
        let _ = writeln!(
            header,
            "  ld-rs: {}; glibc: {GLIBC_LOADER}; both with argv[0] {GLIBC_LOADER} (as ldd runs it), an \
             empty environment, stdin /dev/null, {} s per run; `0x` + 16 hex digits normalized to 0xADDR",
            ld_rs.display(),
            SWEEP_TIMEOUT.as_secs()
        );
        let _ = writeln!(
            header,
            "  --list: stdout, stderr and exit status compared; --verify: exit status compared"
        );
        let _ = writeln!(
            header,
            "  swept (recursively, no symbolic links followed): {}",
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            header,
            "  {total} files compared ({} executables with PT_INTERP, {} shared libraries) in {} s",
            count(FileKind::Executable),
            count(FileKind::SharedLibrary),
            elapsed.as_secs()
        );
        for (skip, n) in skipped {
            let _ = writeln!(header, "  skipped: {n} {}", skip.name());
        }
        let _ = writeln!(header);
        let _ = writeln!(header, "matches: {both}/{total} (--list and --verify both identical)");
        let _ = writeln!(header, "  --list identical:   {list}/{total}");
        let _ = writeln!(header, "  --verify identical: {verify}/{total}");
        let _ = writeln!(header, "  glibc itself fails (crash or timeout) on {glibc_fails} files");
        SweepReport {
            header,
            swept,
            list_groups,
            verify_groups,
        }
    }

    /// Differences that glibc's failure does not explain.
    fn unexplained(&self) -> usize {
        self.swept
            .iter()
            .filter(|s| {
                list_symptom(&s.glibc.list, &s.ld_rs.list).is_some_and(|x| !x.glibc_fails)
                    || verify_symptom(&s.glibc.verify, &s.ld_rs.verify).is_some_and(|x| !x.glibc_fails)
            })
            .count()
    }

    fn categories(&self) -> String {
        let mut text = String::new();
        for (title, groups) in [("--list", &self.list_groups), ("--verify", &self.verify_groups)] {
            let _ = writeln!(text, "\n{title} differences by symptom (files):");
            if groups.is_empty() {
                let _ = writeln!(text, "  none");
            }
            // Largest groups first; glibc's failures after ld-rs's differences.
            let mut sorted: Vec<_> = groups.iter().collect();
            sorted.sort_by_key(|(symptom, files)| (symptom.glibc_fails, std::cmp::Reverse(files.len())));
            for (symptom, files) in sorted {
                let tag = if symptom.glibc_fails { " [glibc fails]" } else { "" };
                let _ = writeln!(text, "  {:5}  {}{tag}", files.len(), symptom.text);
                if let Some(why) = explain(symptom) {
                    let _ = writeln!(text, "         ({})", why);
                }
                for &i in files.iter().take(3) {
                    let _ = writeln!(text, "         e.g. {}", self.swept[i].path.display());
                }
            }
        }
        let _ = writeln!(
            text,
            "\n{} files differ in a way glibc's own failure does not explain",
            self.unexplained()
        );
        text
    }

    fn summary(&self) -> String {
        format!("{}{}", self.header, self.categories())
    }

    fn full(&self) -> String {
        let mut text = self.summary();
        for (_, groups, show_verify) in [
            ("--list", &self.list_groups, false),
            ("--verify", &self.verify_groups, true),
        ] {
            let mut sorted: Vec<_> = groups.iter().collect();
            sorted.sort_by_key(|(symptom, files)| (symptom.glibc_fails, std::cmp::Reverse(files.len())));
            for (symptom, files) in sorted {
                let _ = writeln!(text, "\n{}", "=".repeat(100));
                let _ = writeln!(text, "{} ({} files)", symptom.text, files.len());
                if let Some(why) = explain(symptom) {
                    let _ = writeln!(text, "{why}");
                }
                let _ = writeln!(text, "{}", "=".repeat(100));
                for &i in files {
                    let s = &self.swept[i];
                    let (g, r) = if show_verify {
                        (&s.glibc.verify, &s.ld_rs.verify)
                    } else {
                        (&s.glibc.list, &s.ld_rs.list)
                    };
                    let _ = writeln!(
                        text,
                        "\n--- {} ({}; differs in: {})",
                        s.path.display(),
                        s.kind.name(),
                        g.differences(r)
                    );
                    let _ = write!(text, "  glibc: {}", g.show("    ", usize::MAX).trim_start());
                    let _ = write!(text, "  ld-rs: {}", r.show("    ", usize::MAX).trim_start());
                }
            }
        }
        text
    }
}

// ---------------------------------------------------------------------------------------------
// cargo xtask programs
// ---------------------------------------------------------------------------------------------

/// How long one program may run.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(10);

/// The system-wide wrapper (as in the test harness's `Way::SystemWide`): `sh -c SCRIPT sh
/// LD-RS TARGET PROGRAM ARGS…` under `unshare -m`; glibc's run goes through the same
/// `unshare -m sh` without the mount, so both runs have the same processes.
const SYSTEM_WIDE_MOUNT: &str = r#"mount --bind "$1" "$2" && shift 2 && exec "$@""#;
const SYSTEM_WIDE_PLAIN: &str = r#"exec "$@""#;

/// What is normalized in a program's output before the comparison. Only what genuinely
/// differs from run to run, whichever the loader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Normalize {
    /// Nothing: the output is deterministic.
    Nothing,
    /// `0x` + 16 hex digits → `0xADDR`: load addresses, which ASLR picks anew in every run.
    Addresses,
    /// valgrind's `==PID==` line prefixes → `==PID==`: process ids.
    ValgrindPids,
}

impl Normalize {
    fn apply(self, text: &[u8]) -> Vec<u8> {
        match self {
            Normalize::Nothing => text.to_vec(),
            Normalize::Addresses => normalize_addresses(text),
            Normalize::ValgrindPids => normalize_valgrind_pids(text),
        }
    }

    fn describe(self) -> Option<&'static str> {
        match self {
            Normalize::Nothing => None,
            Normalize::Addresses => Some("0x + 16 hex digits (load addresses, ASLR)"),
            Normalize::ValgrindPids => Some("valgrind's ==PID== prefixes (process ids)"),
        }
    }
}

/// Replaces each `==` + digits + `==` (valgrind's line prefix) with `==PID==`.
fn normalize_valgrind_pids(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(b"==") {
            let digits = text[i + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 && text[i + 2 + digits..].starts_with(b"==") {
                out.extend_from_slice(b"==PID==");
                i += 4 + digits;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// One entry of the curated list.
struct Program {
    /// A unique label, also the name of its working directory.
    name: &'static str,
    /// The command line; `argv[0]` is found on the run's `PATH`.
    argv: &'static [&'static str],
    /// What the program reads on stdin (`/dev/null` if `None`).
    stdin: Option<&'static str>,
    /// Commands besides `argv[0]` that must exist (those a `sh -c` script runs).
    needs: &'static [&'static str],
    /// Variables added to the run's environment.
    env: &'static [(&'static str, &'static str)],
    normalize: Normalize,
}

/// A program run with `argv`, stdin `/dev/null`, output compared as is.
const fn program(name: &'static str, argv: &'static [&'static str]) -> Program {
    Program {
        name,
        argv,
        stdin: None,
        needs: &[],
        env: &[],
        normalize: Normalize::Nothing,
    }
}

impl Program {
    const fn stdin(mut self, text: &'static str) -> Self {
        self.stdin = Some(text);
        self
    }

    const fn needs(mut self, commands: &'static [&'static str]) -> Self {
        self.needs = commands;
        self
    }

    const fn env(mut self, vars: &'static [(&'static str, &'static str)]) -> Self {
        self.env = vars;
        self
    }

    const fn normalize(mut self, normalize: Normalize) -> Self {
        self.normalize = normalize;
        self
    }
}

/// The curated list. Every run starts in an empty working directory of its own
/// (`<target>/conformance/programs/<name>/`, also `$TMPDIR`), with stdin `/dev/null` unless
/// the entry gives a text, a fixed environment (`PATH` of the system's directories and the
/// cargo bin directory, `HOME`, `LANG=C.UTF-8`, `TZ=UTC`, `TERM=dumb`) and nothing that
/// changes the system: the only files written are in that directory. Nothing is normalized
/// unless the entry says so (`.normalize(…)`), with the reason.
fn program_list() -> Vec<Program> {
    use Normalize::{Addresses, ValgrindPids};
    vec![
        // bash: readline/libtinfo, a builtin and a child process.
        program("bash", &["bash", "-c", "echo hi; /bin/echo child"]),
        // dash: the smallest shell (libc only), arithmetic expansion and a child process.
        program("dash", &["dash", "-c", "echo $((6 * 7)); /bin/echo child"]),
        // A pipeline of five coreutils processes started by sh, each under ld-rs.
        program("coreutils-pipeline", &["sh", "-c", "seq 1 20 | tr 0-9 a-j | sort -r | uniq | head -5"])
            .needs(&["seq", "tr", "sort", "uniq", "head"]),
        // ls: libselinux and libpcre2 (a DT_NEEDED chain), a directory listing.
        program("ls", &["ls", "-1", "/"]),
        // cat: the smallest libc program reading a file.
        program("cat", &["cat", "/etc/os-release"]),
        // sort on stdin: locale-aware collation (the C.UTF-8 locale's files).
        program("sort", &["sort"]).stdin("pear\napple\nfig\n"),
        // wc on stdin: multibyte-aware counting of lines, words and bytes.
        program("wc", &["wc"]).stdin("one two\nthree\n"),
        // date: time zone files (TZ=UTC) and strftime.
        program("date", &["date", "-d", "@0", "-u"]),
        // sha256sum on stdin: coreutils' own SHA-256 (CPU-feature dispatch).
        program("sha256sum", &["sha256sum"]).stdin("abc"),
        // md5sum: reading a file and hashing it.
        program("md5sum", &["md5sum", "/etc/os-release"]),
        // base64 on stdin: encoding, buffered stdio.
        program("base64", &["base64"]).stdin("hello, world\n"),
        // stat: statx and format directives.
        program("stat", &["stat", "-c", "%n %F", "/etc/os-release"]),
        // id -u: a system call and number formatting, no NSS.
        program("id", &["id", "-u"]),
        // uname: the utsname system call.
        program("uname", &["uname", "-s"]),
        // expr: arbitrary-precision arithmetic with libgmp.
        program("expr", &["expr", "6", "*", "7"]),
        // od on stdin: formatted dumps.
        program("od", &["od", "-An", "-tx1"]).stdin("ld-rs\n"),
        // tar: its version, then an archive created on a pipe and listed (three processes).
        program("tar", &["sh", "-c", "tar --version | head -1 && tar cf - -C /etc os-release | tar tf -"])
            .needs(&["tar", "head"]),
        // find: directory walking (fts), libselinux.
        program("find", &["find", "/usr/share/doc", "-maxdepth", "0"]),
        // grep -P: libpcre2-8 with its JIT.
        program("grep", &["grep", "-P", "-c", "^a\\w+$"]).stdin("apple\nbanana\navocado\n"),
        // sed: POSIX regular expressions from libc.
        program("sed", &["sed", "-n", "s/a/A/gp"]).stdin("banana\nkiwi\n"),
        // awk (mawk or gawk): its own interpreter, libm and floating-point formatting.
        program("awk", &["awk", "BEGIN { printf \"%.3f\\n\", atan2(0, -1) }"]),
        // perl: libperl, libcrypt.
        program("perl", &["perl", "-e", "print 1+1, qq(\\n)"]),
        // perl with XS modules: POSIX.so and List/Util.so dlopened by DynaLoader.
        program("perl-xs", &["perl", "-MPOSIX", "-MList::Util=sum", "-e", "print sum(1..10), q( ), POSIX::floor(2.5), qq(\\n)"]),
        // python3 (Debian's, libpython linked in): extension modules dlopened (json, hashlib
        // with OpenSSL, sqlite3, ctypes with libffi), a thread, libc called through ctypes.
        program(
            "python3",
            &[
                "/usr/bin/python3",
                "-c",
                "import json, hashlib, sqlite3, ctypes, threading\n\
                 t = threading.Thread(target=print, args=('thread',)); t.start(); t.join()\n\
                 print(json.dumps([1, 2]), hashlib.sha256(b'x').hexdigest()[:8],\n\
                 sqlite3.connect(':memory:').execute('select 6*7').fetchone()[0],\n\
                 ctypes.CDLL(None).abs(-5))",
            ],
        ),
        // tclsh with a script on stdin: libtcl, the Tcl interpreter.
        program("tclsh", &["tclsh"]).stdin("puts [expr {6 * 7}]\nputs [string toupper ld-rs]\n"),
        // sqlite3: the CLI with libsqlite3 and libreadline, an in-memory database.
        program("sqlite3", &["sqlite3", ":memory:", "select 1, sqlite_version() is not null;"]),
        // bc: arbitrary precision, a query on stdin.
        program("bc", &["bc"]).stdin("2^100\n"),
        // jq: libjq and libonig (oniguruma regular expressions).
        program("jq", &["jq", "-c", ".a, (.b | test(\"^x+$\"))"]).stdin("{\"a\": [1, 2], \"b\": \"xxx\"}\n"),
        // make --version: GNU make (libdl).
        program("make", &["make", "--version"]),
        // make with a makefile on stdin: a recipe run through /bin/sh (a child process).
        program("make-recipe", &["make", "-s", "-f", "-"]).stdin("all:\n\t@echo made $$((1 + 1))\n"),
        // gcc: compiles and runs a C hello world in the working directory; gcc, cc1, as,
        // collect2, ld and the program itself all run under ld-rs.
        program(
            "gcc",
            &["sh", "-c", "printf '#include <stdio.h>\\nint main(void) { puts(\"hello, C\"); return 0; }\\n' > hello.c && gcc -O1 -o hello hello.c && ./hello"],
        )
        .needs(&["gcc"]),
        // g++: the same in C++ (cc1plus; libstdc++ iostreams at run time).
        program(
            "g++",
            &["sh", "-c", "printf '#include <iostream>\\nint main() { std::cout << \"hello, C++\" << std::endl; }\\n' > hello.cpp && g++ -O1 -o hello hello.cpp && ./hello"],
        )
        .needs(&["g++"]),
        // cpp: the preprocessor alone, on stdin.
        program("cpp", &["cpp", "-P"]).stdin("#define X (6 * 7)\nX\n"),
        // readelf: binutils' ELF reader (libctf-nobfd, libsframe, libz, libzstd).
        program("readelf", &["readelf", "-h", "/bin/true"]),
        // objdump --version: libbfd and libopcodes.
        program("objdump", &["objdump", "--version"]),
        // objdump -f: libbfd reading an ELF file.
        program("objdump-f", &["objdump", "-f", "/bin/true"]),
        // nm -D: libbfd's dynamic symbol table, piped into grep.
        program("nm", &["sh", "-c", "nm -D /bin/true | grep -c ' U '"]).needs(&["nm", "grep"]),
        // ld --version: the BFD linker (libbfd, libctf, libjansson).
        program("ld", &["ld", "--version"]),
        // as --version: the GNU assembler (libopcodes).
        program("as", &["as", "--version"]),
        // gdb: a large program (libpython embedded, libdebuginfod, libipt, …).
        program("gdb", &["gdb", "-nx", "-batch", "-ex", "print 1+1"]),
        // gdb's embedded python interpreter.
        program("gdb-python", &["gdb", "-nx", "-batch", "-ex", "python print(6 * 7)"]),
        // git --version: libpcre2, libz.
        program("git", &["git", "--version"]),
        // git hash-object on stdin: SHA-1 of a blob, no repository touched.
        program("git-hash-object", &["git", "hash-object", "--stdin"]).stdin("hello\n"),
        // rustc through rustup's proxy: rustup execs the toolchain's rustc, whose
        // librustc_driver is a very large shared library with many relocations.
        program("rustc", &["rustc", "--version"]),
        // cargo through rustup's proxy: the toolchain's cargo (libgcc_s, librt, libpthread).
        program("cargo", &["cargo", "--version"]),
        // rustc compiling and running a program: LLVM, threads, cc as the linker.
        program("rustc-hello", &["sh", "-c", "echo 'fn main() { println!(\"hello, Rust\") }' > hello.rs && rustc -O hello.rs && ./hello"])
            .needs(&["rustc"]),
        // node: V8 (JIT) and libuv linked in, worker threads, libstdc++.
        program("node", &["node", "-e", "console.log(1, [1, 2].map(x => x * 21))"]),
        // java: the launcher dlopens libjvm.so and many libraries, many threads, signals.
        program("java", &["java", "-version"]),
        // psql: Debian's pg_wrapper (perl) execs the real psql (libpq).
        program("psql", &["psql", "--version"]),
        // openssl version: libssl and libcrypto.
        program("openssl", &["openssl", "version"]),
        // openssl dgst on stdin: providers loaded at run time, assembly dispatched on CPU features.
        program("openssl-dgst", &["openssl", "dgst", "-sha256"]).stdin("abc"),
        // curl --version: libcurl and its many DT_NEEDED (nghttp2, ssh2, ldap, kerberos, …).
        program("curl", &["curl", "--version"]),
        // curl fetching a file: URL (no network).
        program("curl-file", &["curl", "-s", "file:///etc/os-release"]),
        // wget: GnuTLS or OpenSSL, libpsl, libidn2.
        program("wget", &["wget", "--version"]),
        // valgrind --version: the launcher script and valgrind's launcher binary.
        program("valgrind", &["valgrind", "--version"]),
        // valgrind running a program: memcheck loads /bin/true and its PT_INTERP (ld-rs, under
        // the bind mount) on its synthetic CPU, and calls libc's __libc_freeres at exit, which
        // frees the loader's lists in _rtld_global (GL(dl_all_dirs) up to
        // GLRO(dl_init_all_dirs)). Normalized: valgrind's ==PID== prefixes, should it print.
        program("valgrind-run", &["valgrind", "-q", "/bin/true"]).normalize(ValgrindPids),
        // xz --version: liblzma.
        program("xz", &["xz", "--version"]),
        // xz compressing and decompressing through a pipe (threads in liblzma).
        program("xz-roundtrip", &["sh", "-c", "echo hello | xz | xz -d"]).needs(&["xz"]),
        // zstd --version: libzstd, liblz4, liblzma.
        program("zstd", &["zstd", "--version"]),
        // zstd compressing and decompressing through a pipe.
        program("zstd-roundtrip", &["sh", "-c", "echo hello | zstd -q | zstd -dq"]).needs(&["zstd"]),
        // gzip and bzip2 (libbz2) round trips through four processes.
        program("gzip-bzip2", &["sh", "-c", "echo hello | gzip | bzip2 | bunzip2 | gunzip"]).needs(&["gzip", "bzip2"]),
        // ssh -V: the OpenSSH client (libcrypto, GSSAPI); prints its version on stderr.
        program("ssh", &["ssh", "-V"]),
        // strace -V: libunwind (three libraries), liblzma.
        program("strace", &["strace", "-V"]),
        // strace tracing a child (which also runs under ld-rs) and decoding its write.
        program("strace-trace", &["strace", "-qq", "-e", "trace=write", "/bin/echo", "traced"]),
        // file: libmagic and its compiled database.
        program("file", &["file", "/bin/true"]),
        // ldd: a bash script running the loader's --verify and its listing (under ld-rs:
        // ld-rs's own). Normalized: the load addresses in parentheses (ASLR).
        program("ldd", &["ldd", "/bin/true"]).normalize(Addresses),
        // ldd of a program whose libraries' libraries come after ld.so in the breadth-first
        // order (glibc lists itself where the search reached it). Normalized: load addresses.
        program("ldd-order", &["ldd", "/usr/bin/curl"]).normalize(Addresses),
        // ldd of a shared library (no PT_INTERP): the loader names itself after its argv[0].
        // Normalized: load addresses.
        program("ldd-library", &["ldd", "/usr/lib/x86_64-linux-gnu/libz.so.1"]).normalize(Addresses),
        // iconv: gconv modules dlopened from /usr/lib/x86_64-linux-gnu/gconv.
        program("iconv", &["sh", "-c", "printf 'h\\303\\251' | iconv -f UTF-8 -t UTF-16LE | od -An -tx1"])
            .needs(&["iconv", "od"]),
        // getent: NSS (nsswitch.conf, the files service), the passwd database.
        program("getent", &["getent", "passwd", "root"]),
        // locale: the locale archive.
        program("locale", &["locale", "charmap"]),
        // tput: ncurses' terminfo database.
        program("tput", &["tput", "-T", "xterm", "cols"]),
        // vim --version: libsodium, libgpm, libacl, libselinux, libpcre2, libtinfo.
        program("vim", &["vim", "--version"]),
        // less --version: libtinfo.
        program("less", &["less", "--version"]),
        // xxd on stdin: a small program (from vim).
        program("xxd", &["xxd"]).stdin("ld-rs"),
        // hexdump -C on stdin: util-linux.
        program("hexdump", &["hexdump", "-C"]).stdin("ld-rs"),
        // zip and unzip: zlib and libbz2, an archive built in the working directory and read.
        program("zip", &["sh", "-c", "echo hi > a.txt && zip -q -X a.zip a.txt && unzip -p a.zip"])
            .needs(&["zip", "unzip"]),
        // gpg: libgcrypt, libassuan; its home is the working directory (nothing written to ~).
        program("gpg", &["gpg", "--version"]).env(&[("GNUPGHOME", ".")]),
    ]
}

/// Whether `command` is found on `path` (a file there with an execute bit, as `command -v`).
fn find_command(command: &str, path: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let is_exe = |p: &Path| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if command.contains('/') {
        let p = PathBuf::from(command);
        return is_exe(&p).then_some(p);
    }
    std::env::split_paths(path).map(|d| d.join(command)).find(|p| is_exe(p))
}

/// The `PATH` of every run: the system's directories, then cargo's bin (rustup's proxies).
/// `/usr/local` is left out: what is there is not the distribution's.
fn programs_path() -> String {
    let mut dirs = vec![
        "/usr/sbin".to_owned(),
        "/usr/bin".to_owned(),
        "/sbin".to_owned(),
        "/bin".to_owned(),
    ];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(bin) = cargo_home.map(|h| h.join("bin")).filter(|b| b.is_dir()) {
        dirs.push(bin.display().to_string());
    }
    dirs.join(":")
}

/// One program's runs.
enum Verdict {
    /// Both runs printed and ended the same (this).
    Pass(Outcome),
    Fail {
        glibc: Outcome,
        ld_rs: Outcome,
    },
    /// glibc's own run failed (crash, timeout): the entry is broken, not ld-rs.
    Broken {
        glibc: Outcome,
    },
    Skipped(String),
}

/// The packages of Debian 13 that give the programs of [`program_list`] (`programs --root
/// trixie` installs them into the root filesystem; what none provides is skipped and counted).
const TRIXIE_PROGRAM_PACKAGES: &[&str] = &[
    "perl",
    "tcl",
    "sqlite3",
    "bc",
    "jq",
    "make",
    "gdb",
    "git",
    "openssl",
    "curl",
    "wget",
    "valgrind",
    "xz-utils",
    "zstd",
    "bzip2",
    "openssh-client",
    "strace",
    "file",
    "ncurses-bin",
    "vim",
    "less",
    "xxd",
    "bsdextrautils",
    "zip",
    "unzip",
    "gpg",
    "nodejs",
    "rustc",
    "cargo",
    "default-jre-headless",
    "postgresql-client",
    "locales",
];

/// Where `programs` runs the programs.
enum Place {
    /// This machine: ld-rs (the real file, not the `ld-rs.so` link: that is what is
    /// bind-mounted) over `loader`, glibc's loader resolved.
    Host { ld_rs: PathBuf, loader: PathBuf },
    /// Inside a root filesystem, against its own loader (ld-rs mounted over it by the root
    /// harness, [`Root::command`]).
    Root(&'static Root),
}

/// `cargo xtask programs [--root SUITE]`: builds ld-rs, runs every program of
/// [`program_list`] plainly and system-wide under ld-rs, prints PASS/FAIL per program and the
/// total, writes `<target>/conformance/programs.txt` (`programs-SUITE.txt`); fails if a
/// program fails. With `--root SUITE` the programs are those of that root filesystem (its
/// packages for them installed first), run inside it against its own loader.
pub fn programs(options: &[&str]) -> Result<(), Failed> {
    let suite = match options {
        [] => None,
        ["--root", suite] => Some(crate::rootfs::known_suite(suite)?),
        _ => {
            eprintln!("xtask: usage: cargo xtask programs [--root SUITE]");
            return Err(Failed);
        }
    };
    let ld_rs = linker()?.canonicalize().map_err(|e| {
        eprintln!("xtask: cannot find the built ld-rs: {e}");
        Failed
    })?;
    let (place, path, home, report_name) = match suite {
        None => {
            let loader = Path::new(GLIBC_LOADER).canonicalize().map_err(|e| {
                eprintln!("xtask: cannot resolve {GLIBC_LOADER}: {e}");
                Failed
            })?;
            let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
            let place = Place::Host {
                ld_rs: ld_rs.clone(),
                loader,
            };
            (place, programs_path(), home, "programs.txt".to_owned())
        }
        Some(suite) => {
            crate::rootfs::ensure_with(suite, TRIXIE_PROGRAM_PACKAGES)?;
            // The harness's view of the root: it names ld-rs by $LD_RS or the release build,
            // as linker() did.
            std::env::set_var("LD_RS", &ld_rs);
            let root = ld_rs_tests::root::root(suite).ok_or(Failed)?;
            let path = "/usr/sbin:/usr/bin:/sbin:/bin".to_owned();
            (
                Place::Root(root),
                path,
                "/root".to_owned(),
                format!("programs-{suite}.txt"),
            )
        }
    };
    let work = conformance_dir()?.join("programs");

    // Check that the system-wide way really puts ld-rs in place: in the namespace, the
    // mounted-over loader is the very file ld-rs is (compared by cmp, itself under ld-rs).
    let check = match &place {
        Place::Host { ld_rs, loader } => {
            let mut check = Command::new("unshare");
            check
                .args(["-m", "sh", "-c", SYSTEM_WIDE_MOUNT, "sh"])
                .arg(ld_rs)
                .arg(loader)
                .args(["cmp", "-s"])
                .arg(ld_rs)
                .arg(loader);
            check
        }
        Place::Root(root) => {
            let inside = Path::new(ld_rs_tests::root::LD_RS_INSIDE);
            let mut check = root.command(Path::new("/usr/bin/cmp"), Path::new("/"), Some(inside));
            check
                .arg("-s")
                .arg(inside)
                .arg(ld_rs_tests::root::LOADER_INSIDE)
                .env_clear();
            check
        }
    };
    match run_with_timeout(check, None, PROGRAM_TIMEOUT) {
        Ok(outcome) if outcome.end == End::Code(0) => {}
        Ok(outcome) => {
            eprintln!(
                "xtask: cannot put ld-rs in place system-wide (private mount namespaces and bind mounts need root):\n{}",
                outcome.show("  ", 20)
            );
            return Err(Failed);
        }
        Err(message) => {
            eprintln!("xtask: {message}");
            return Err(Failed);
        }
    }

    let list = program_list();
    let how = match &place {
        Place::Host { ld_rs, loader } => format!(
            "ld-rs: {} bind-mounted over {} in `unshare -m`; glibc's run through the same `unshare -m sh`",
            ld_rs.display(),
            loader.display()
        ),
        Place::Root(root) => format!(
            "inside {} (chroot, private mount namespace, fresh /tmp as cwd and TMPDIR); ld-rs: {} bind-mounted over its {}",
            root.dir().display(),
            ld_rs.display(),
            ld_rs_tests::root::LOADER_INSIDE
        ),
    };
    println!(
        "programs: {} programs, each plainly (glibc) and system-wide under ld-rs, {} s each\n  {how}",
        list.len(),
        PROGRAM_TIMEOUT.as_secs()
    );
    let cwd = match place {
        Place::Host { .. } => format!("{}/<name>", work.display()),
        Place::Root(_) => "/tmp".to_owned(),
    };
    let mut report = String::new();
    let _ = writeln!(
        report,
        "ld-rs programs: each program run plainly (glibc's ld.so) and system-wide under ld-rs\n  \
         {how}\n  \
         PATH={path}; HOME={home}; LANG=C.UTF-8; TZ=UTC; TERM=dumb; TMPDIR and cwd: {cwd}; {} s per run\n",
        PROGRAM_TIMEOUT.as_secs()
    );
    let (mut passed, mut failed, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for program in &list {
        let verdict = match &place {
            Place::Host { ld_rs, loader } => run_program(program, ld_rs, loader, &work, &path, &home),
            Place::Root(root) => run_program_in(root, program, &path, &home),
        };
        let line = match &verdict {
            Verdict::Pass(_) => {
                passed.push(program.name);
                format!("PASS  {}", program.name)
            }
            Verdict::Fail { glibc, ld_rs } => {
                failed.push(program.name);
                format!("FAIL  {} ({} differ)", program.name, ld_rs.differences(glibc))
            }
            Verdict::Broken { glibc } => {
                failed.push(program.name);
                format!(
                    "FAIL  {} (glibc's own run: {}; the entry is broken)",
                    program.name, glibc.end
                )
            }
            Verdict::Skipped(why) => {
                skipped.push(program.name);
                format!("SKIP  {} ({why})", program.name)
            }
        };
        println!("{line}");
        let _ = writeln!(report, "{line}");
        let _ = writeln!(report, "      $ {}", shell_words(program.argv));
        if let Some(stdin) = program.stdin {
            let _ = writeln!(report, "      stdin: {stdin:?}");
        }
        if let Some(what) = program.normalize.describe() {
            let _ = writeln!(report, "      normalized: {what}");
        }
        match &verdict {
            Verdict::Fail { glibc, ld_rs } => {
                let first = first_difference(glibc, ld_rs);
                println!("      {first}");
                let _ = writeln!(report, "      {first}");
                let _ = write!(report, "  glibc: {}", glibc.show("    ", usize::MAX).trim_start());
                let _ = write!(report, "  ld-rs: {}", ld_rs.show("    ", usize::MAX).trim_start());
            }
            Verdict::Broken { glibc } => {
                let _ = write!(report, "  glibc: {}", glibc.show("    ", usize::MAX).trim_start());
            }
            Verdict::Pass(outcome) => {
                let _ = write!(report, "  both: {}", outcome.show("    ", 10).trim_start());
            }
            Verdict::Skipped(_) => {}
        }
    }
    let summary = format!(
        "\n{} passed, {} failed, {} skipped (of {}){}\n",
        passed.len(),
        failed.len(),
        skipped.len(),
        list.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!("; failed: {}", failed.join(", "))
        }
    );
    print!("{summary}");
    if !failed.is_empty() {
        println!("(both runs of every failure are in the report)");
    }
    report.push_str(&summary);
    let report_path = conformance_dir()?.join(report_name);
    write_report(&report_path, &report)?;
    println!("report: {}", report_path.display());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failed)
    }
}

/// Points at the first difference between two runs: the status, or the first line of
/// stdout or stderr that differs.
fn first_difference(glibc: &Outcome, ld_rs: &Outcome) -> String {
    if glibc.end != ld_rs.end {
        return format!("first difference: status: glibc {}, ld-rs {}", glibc.end, ld_rs.end);
    }
    for (name, a, b) in [
        ("stdout", &glibc.stdout, &ld_rs.stdout),
        ("stderr", &glibc.stderr, &ld_rs.stderr),
    ] {
        if a == b {
            continue;
        }
        let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        let n = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        return format!(
            "first difference: {name} line {}: glibc {:?}, ld-rs {:?}",
            n + 1,
            a.get(n).copied().unwrap_or("(no such line)"),
            b.get(n).copied().unwrap_or("(no such line)")
        );
    }
    "no difference".to_owned()
}

/// A command line as one would type it (arguments with spaces or quotes quoted).
fn shell_words(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
                (*a).to_owned()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One program inside a root filesystem: plainly, then with ld-rs over the root's loader;
/// each run in a fresh private mount namespace whose `/tmp` (a new tmpfs) is its working
/// directory.
fn run_program_in(root: &Root, program: &Program, path: &str, home: &str) -> Verdict {
    for command in program.argv.iter().take(1).chain(program.needs) {
        // Asked inside the root: its symbolic links (/etc/alternatives) resolve there.
        let mut lookup = root.command(Path::new("/bin/sh"), Path::new("/"), None);
        lookup
            .args(["-c", "command -v \"$1\"", "sh", command])
            .env_clear()
            .env("PATH", path);
        match run_with_timeout(lookup, None, PROGRAM_TIMEOUT) {
            Ok(outcome) if outcome.end == End::Code(0) => {}
            Ok(_) => return Verdict::Skipped(format!("`{command}` not found on PATH in {}", root.suite())),
            Err(message) => return Verdict::Skipped(message),
        }
    }
    let run = |with_ld_rs: bool| -> Result<Outcome, String> {
        let loader = with_ld_rs.then_some(Path::new(ld_rs_tests::root::LD_RS_INSIDE));
        let mut command = root.command(Path::new("/usr/bin/env"), Path::new("/tmp"), loader);
        command
            .args(program.argv)
            .env_clear()
            .env("PATH", path)
            .env("HOME", home)
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .env("TERM", "dumb")
            .env("TMPDIR", "/tmp")
            .envs(program.env.iter().copied());
        let mut outcome = run_with_timeout(command, program.stdin.map(str::as_bytes), PROGRAM_TIMEOUT)?;
        outcome.stdout = program.normalize.apply(&outcome.stdout);
        outcome.stderr = program.normalize.apply(&outcome.stderr);
        Ok(outcome)
    };
    compare_runs(run)
}

/// glibc's run, then ld-rs's, compared; a failing glibc run makes the entry broken.
fn compare_runs(run: impl Fn(bool) -> Result<Outcome, String>) -> Verdict {
    let glibc = match run(false) {
        Ok(outcome) => outcome,
        Err(message) => return Verdict::Skipped(message),
    };
    if glibc.end.is_failure() {
        return Verdict::Broken { glibc };
    }
    let ld_rs = match run(true) {
        Ok(outcome) => outcome,
        Err(message) => return Verdict::Skipped(message),
    };
    if glibc == ld_rs {
        Verdict::Pass(glibc)
    } else {
        Verdict::Fail { glibc, ld_rs }
    }
}

fn run_program(program: &Program, ld_rs: &Path, target: &Path, work: &Path, path: &str, home: &str) -> Verdict {
    for command in program.argv.iter().take(1).chain(program.needs) {
        if find_command(command, path).is_none() {
            return Verdict::Skipped(format!("`{command}` not found on PATH"));
        }
    }
    let dir = work.join(program.name);
    let run = |with_ld_rs: bool| -> Result<Outcome, String> {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut command = Command::new("unshare");
        command.args(["-m", "sh", "-c"]);
        if with_ld_rs {
            command.arg(SYSTEM_WIDE_MOUNT).arg("sh").arg(ld_rs).arg(target);
        } else {
            command.arg(SYSTEM_WIDE_PLAIN).arg("sh");
        }
        command
            .args(program.argv)
            .current_dir(&dir)
            .env_clear()
            .env("PATH", path)
            .env("HOME", home)
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .env("TERM", "dumb")
            .env("TMPDIR", &dir)
            .envs(program.env.iter().copied());
        let mut outcome = run_with_timeout(command, program.stdin.map(str::as_bytes), PROGRAM_TIMEOUT)?;
        outcome.stdout = program.normalize.apply(&outcome.stdout);
        outcome.stderr = program.normalize.apply(&outcome.stderr);
        Ok(outcome)
    };
    let verdict = compare_runs(run);
    let _ = fs::remove_dir_all(&dir);
    verdict
}
