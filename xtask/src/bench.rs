//! `cargo xtask bench`: how much work ld-rs does next to glibc's ld.so on the same start-ups.
//!
//! Speed is measured here, in a report, never in timed tests. The project's goal is that ld-rs
//! spends at most half the instructions glibc's loader spends on the same start-up. Each
//! workload (a real program: python3, perl, gdb, rustc, `/bin/true`) runs under both
//! loaders, named on the command line (`LOADER PROGRAM ARGS`, so both also map the program
//! themselves), and the report gives four measurements:
//!
//! 1. **Loader instructions**, counted by `valgrind --tool=callgrind` (deterministic, unlike
//!    time). The profile (`target/bench/<workload>.<loader>.callgrind`) is read here, not
//!    through `callgrind_annotate`: its per-function lines key functions by source file, lose
//!    the object of a called function and so mix up same-named functions of different objects
//!    (ld-rs and libc both have a `memcpy`). Every cost line of the file belongs to one
//!    function of one object (`ob=`, `fn=`); a cost line after `calls=` is instead the
//!    inclusive cost of a call, whose callee is `cfn=` in `cob=` (the caller's object when
//!    absent — `cob=` holds for the next call only).
//!
//!    The method: **loader instructions = the self cost of every function of the loader
//!    object, minus what string functions of the loader (`mem*`, `str*`, `bcmp`, …) spent
//!    when called from another object.** That counts, over the whole run, start-up
//!    (mapping, relocation, symbol lookup, TLS set-up) and all the loader does for the
//!    program later — lazy-binding fixups (the PLT trampoline is in the loader), `dlopen`,
//!    `dlsym`, `__tls_get_addr`, `_dl_find_object`, exit-time finalization — and not the
//!    constructors and destructors the loader calls (their code is in other objects). The
//!    exclusion is there because the loader's string functions are a program's only if
//!    something bound the program's `memcpy` to them (or valgrind redirected a call); that
//!    is not loader work (and the report shows it, as "excluded", so a binding that sends
//!    the program's string calls into ld-rs does not go unnoticed). Callgrind counts every
//!    iteration of `rep movsb` / `rep stosb` as one instruction, so ld-rs's `rep`-based
//!    `memcpy` and `memset` weigh more here than on the CPU.
//!
//!    Not counted on either side: what the loader has other objects do for it — after
//!    start-up glibc's ld.so allocates with libc's `malloc` (ld-rs has its own heap, which is
//!    counted). Valgrind runs with `--run-libc-freeres=no`, so no clean-up valgrind alone
//!    asks for is counted, but it preloads its own `vgpreload_core` library into both runs.
//!
//!    Symbol lookups are the calls of glibc's `_dl_lookup_symbol_x` and of ld-rs's
//!    [`LD_RS_LOOKUP`] in the same profiles; the relocation counts are glibc's
//!    (`LD_DEBUG=statistics`: symbolic relocations including those resolved from its
//!    one-entry cache, lazy fixups and `dlopen`s; relative relocations at start-up).
//!
//! 2. **Wall time**: the workload run natively (no valgrind) under glibc's ld.so, under
//!    ld-rs and under ld-rs warm (`LD_RS_CACHE`, a directory of its own whose record the
//!    warm-up run writes) in turn, in rounds whose order rotates, after one warm-up run of
//!    each; the report gives each one's median and the medians of the per-round ratios
//!    ld-rs/glibc and ld-rs warm/glibc.
//!
//! 3. **Warm starts** (the launch cache, `LD_RS_CACHE`, crates/ld-rs/src/launch.rs): ld-rs
//!    runs the workload once under callgrind with a new cache directory, which writes the
//!    program's launch record, then once more, measured as above. Both runs are under
//!    valgrind, whose preloaded library is one of the record's inputs. Before the measured
//!    run, a check run (`valgrind --tool=none`, `LD_RS_CACHE_CHECK=1`) replays the record and
//!    also looks every binding up: the workload fails unless the record was used and every
//!    replayed binding is the one the lookup finds.
//! 4. **Memory**, from one run of the workload under gdb per loader (skipped without gdb):
//!    stopped at libc's `__libc_start_main` — the program's first call, once the loader has
//!    handed over — the `Private_Dirty` of the loader's own mappings in `/proc/PID/smaps`
//!    (its file's mappings that are not executable, and the anonymous mapping right after
//!    them, its `.bss`; executable ones are left out because gdb's breakpoints are written
//!    into the text and copy its pages) and of the whole process (which also holds the
//!    loader's heap and TLS, and what the libraries' initializers wrote, the same under
//!    both loaders); then, at the `exit_group` system call, the peak resident set size
//!    (`VmHWM` in `/proc/PID/status`). Both runs carry the same gdb breakpoints.
//!
//! Options: `--quick` (three workloads, 5 pairs), `--no-wall` (instructions only),
//! `--no-memory` (no gdb runs), `--pairs N`, `--top N` (functions listed per workload). The
//! command fails only if a workload does not run (a non-zero exit status under either
//! loader); a slow ld-rs is reported, not failed.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{self, Failed};
use crate::compare::GLIBC_LOADER;
use crate::demo::build_ld_rs;

/// ld-rs's symbol lookup entry point (one call per symbol looked up), as callgrind names it.
const LD_RS_LOOKUP: &str = "ld_rs_interp::lookup::<impl ld_rs_interp::rtld::Linker>::lookup";
/// glibc's.
const GLIBC_LOOKUP: &str = "_dl_lookup_symbol_x";
/// Debian's python, always there on the machines the project targets.
const SYSTEM_PYTHON: &str = "/usr/bin/python3.11";
/// What the import workload imports: extension modules, each a `dlopen` with its libraries.
const IMPORTS: &str = "import json, ssl, sqlite3, decimal, zlib, bz2, lzma, hashlib, ctypes, uuid";

const USAGE: &str = "usage: cargo xtask bench [--quick] [--no-wall] [--no-memory] [--pairs N] [--top N]";

/// `cargo xtask bench --help`.
const HELP: &str = "\
Runs each workload (python3.11 -c pass and with imports, the python3 on PATH, /bin/true,
perl -e 1, gdb --version, rustc --version) under glibc's ld.so and under ld-rs, named on the
command line, and reports the instructions each loader spends (valgrind's callgrind; needs
valgrind), unless --no-wall the wall time of runs in alternating pairs, and unless
--no-memory (or without gdb) the loader's private dirty memory and the peak RSS, from a run
under gdb. Profiles go to target/bench/.
Fails only if a workload does not run under either loader; a slow ld-rs is reported.

  --quick      three workloads and 5 pairs instead of 20
  --no-wall    count instructions only, no timed runs
  --no-memory  no memory figures (they need gdb: one run per workload and loader)
  --pairs N    timed runs per loader (interleaved pairs)
  --top N      list the N functions of each loader that cost most (default 10)
  -h, --help   print this help and exit";

struct Options {
    quick: bool,
    wall: bool,
    memory: bool,
    pairs: usize,
    top: usize,
}

/// One program run under both loaders.
struct Workload {
    /// Short name, also the file name stem of its profiles.
    name: String,
    /// The program and its arguments (the loader goes before them).
    argv: Vec<OsString>,
}

/// Which loader a run is under.
#[derive(Clone, Copy, PartialEq)]
enum Loader {
    Glibc,
    LdRs,
}

impl Loader {
    fn label(self) -> &'static str {
        match self {
            Loader::Glibc => "glibc",
            Loader::LdRs => "ld-rs",
        }
    }
}

/// What one profile says about the loader.
struct LoaderCost {
    /// Instructions in the loader's functions, less the excluded ones.
    instructions: u64,
    /// Instructions of the loader's string functions called from other objects.
    excluded: u64,
    /// Instructions of the whole run.
    total: u64,
    /// Calls of the symbol lookup function, if the profile has it.
    lookups: Option<u64>,
    /// The loader's functions by their (counted) cost, most expensive first.
    functions: Vec<(String, u64)>,
    /// The loader's functions other objects call (lazy-binding trampoline, `dlopen`'s
    /// worker, `__tls_get_addr`, …) and how often, most called first. (Not their inclusive
    /// cost: that holds the constructors `dlopen` runs, and callgrind takes a trampoline's
    /// jump to the function it bound for a call, so the program's code can land in it.)
    entries: Vec<(String, u64)>,
}

/// Results for one workload.
struct Row {
    name: String,
    glibc: LoaderCost,
    ld_rs: LoaderCost,
    /// glibc's `LD_DEBUG=statistics` counts: symbolic relocations, relative relocations.
    relocations: Option<(u64, u64)>,
    /// Median glibc time, median ld-rs time, median of the per-pair ratios.
    wall: Option<(Duration, Duration, f64)>,
    /// Warm (`LD_RS_CACHE`): median ld-rs time, median of the per-round ratios to glibc.
    wall_warm: Option<(Duration, f64)>,
    /// ld-rs's warm start from its launch record.
    warm: Warm,
    /// What each loader's run held in memory (glibc's, ld-rs's), when measured.
    memory: Option<(Memory, Memory)>,
}

/// One run's memory, in KiB (see the module comment, 4.).
#[derive(Clone, Copy)]
struct Memory {
    /// `Private_Dirty` of the loader's non-executable mappings, when the program starts.
    loader_dirty: u64,
    /// `Private_Dirty` of the whole process then.
    process_dirty: u64,
    /// `VmHWM` at exit: the peak resident set size.
    peak_rss: u64,
}

/// A warm start: its cost, and the check run's count of bindings compared with lookups.
struct Warm {
    cost: LoaderCost,
    checked: u64,
}

/// `cargo xtask bench [OPTIONS]`.
pub fn run(args: &[&str]) -> Result<(), Failed> {
    if args.iter().any(|a| matches!(*a, "-h" | "--help")) {
        println!("{USAGE}\n\n{HELP}");
        return Ok(());
    }
    let options = parse_options(args)?;
    check_valgrind()?;
    let ld_rs = build_ld_rs()?;
    let out_dir = cmd::target_dir().join("bench");
    fs::create_dir_all(&out_dir).map_err(|err| {
        eprintln!("xtask: cannot create {}: {err}", out_dir.display());
        Failed
    })?;

    let workloads = workloads(options.quick);
    println!("ld-rs: {} ({})", ld_rs.display(), provenance());
    println!(
        "ld-rs bench: {} workloads, loader instructions by callgrind{}; profiles in {}\n",
        workloads.len(),
        if options.wall {
            format!(", wall time over {} interleaved pairs", options.pairs)
        } else {
            String::new()
        },
        out_dir.display()
    );

    let mut rows = Vec::new();
    let mut failed = false;
    for workload in &workloads {
        println!("── {}: $ LOADER {}", workload.name, show_argv(&workload.argv));
        match bench_workload(workload, &ld_rs, &out_dir, &options) {
            Ok(row) => rows.push(row),
            Err(Failed) => failed = true,
        }
    }

    println!();
    print_instruction_table(&rows);
    println!();
    print_warm_table(&rows);
    if options.wall {
        println!();
        print_wall_table(&rows);
    }
    if rows.iter().any(|r| r.memory.is_some()) {
        println!();
        print_memory_table(&rows);
    }
    print_top_functions(&rows, options.top);
    println!("\nMethod: see xtask/src/bench.rs (loader-object self cost from callgrind, loader string functions called by other objects excluded).");
    if failed {
        eprintln!("xtask: some workloads failed to run (see above)");
        return Err(Failed);
    }
    Ok(())
}

fn parse_options(args: &[&str]) -> Result<Options, Failed> {
    let mut options = Options {
        quick: false,
        wall: true,
        memory: true,
        pairs: 0,
        top: 10,
    };
    let mut pairs = None;
    let mut iter = args.iter();
    while let Some(&arg) = iter.next() {
        let mut number = |what: &str| -> Result<usize, Failed> {
            match iter.next().and_then(|n| n.parse().ok()) {
                Some(n) => Ok(n),
                None => {
                    eprintln!("xtask: {what} needs a number\n{USAGE}");
                    Err(Failed)
                }
            }
        };
        match arg {
            "--quick" => options.quick = true,
            "--no-wall" => options.wall = false,
            "--no-memory" => options.memory = false,
            "--pairs" => pairs = Some(number("--pairs")?.max(1)),
            "--top" => options.top = number("--top")?,
            _ => {
                eprintln!("xtask: unknown bench option {arg:?}\n{USAGE}");
                return Err(Failed);
            }
        }
    }
    options.pairs = pairs.unwrap_or(if options.quick { 5 } else { 20 });
    Ok(options)
}

fn check_valgrind() -> Result<(), Failed> {
    match Command::new("valgrind").arg("--version").stdout(Stdio::null()).status() {
        Ok(status) if status.success() => Ok(()),
        _ => {
            eprintln!("xtask: bench needs valgrind (callgrind) on PATH");
            Err(Failed)
        }
    }
}

/// Which sources the measured ld-rs was built from: the commit, and whether the linker's
/// sources differ from it (read-only git commands; "unknown" outside a git checkout).
fn provenance() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(cmd::workspace_root())
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => match git(&["status", "--porcelain", "--", "crates"]) {
            Some(changes) if !changes.is_empty() => format!("commit {commit} with uncommitted changes in crates/"),
            _ => format!("commit {commit}"),
        },
        None => "commit unknown".to_string(),
    }
}

/// The workloads whose programs are installed (a missing one is skipped, with a note).
fn workloads(quick: bool) -> Vec<Workload> {
    let mut list = Vec::new();
    let mut add = |name: &str, program: Option<PathBuf>, args: &[&str]| match program {
        Some(program) => {
            let mut argv = vec![program.into_os_string()];
            argv.extend(args.iter().map(OsString::from));
            list.push(Workload {
                name: name.to_string(),
                argv,
            });
        }
        None => println!("(skipping {name}: program not found)"),
    };
    let system_python = Some(PathBuf::from(SYSTEM_PYTHON)).filter(|p| is_elf(p));
    add("python3.11 -c pass", system_python.clone(), &["-c", "pass"]);
    if !quick {
        // The python3 on PATH, when it is another interpreter than Debian's (pyenv's is).
        let path_python = path_python().filter(|p| !same_file(p, Path::new(SYSTEM_PYTHON)));
        if let Some(python) = path_python {
            add("PATH python3 -c pass", Some(python), &["-c", "pass"]);
        }
    }
    add("python3.11 imports", system_python, &["-c", IMPORTS]);
    if !quick {
        // The smallest start-ups: the loader's fixed costs, and perl's few libraries.
        add("/bin/true", Some(PathBuf::from("/bin/true")).filter(|p| is_elf(p)), &[]);
        add("perl -e 1", find_on_path("perl"), &["-e", "1"]);
    }
    if !quick {
        add("gdb --version", find_on_path("gdb"), &["--version"]);
    }
    add("rustc --version", real_rustc(), &["--version"]);
    list
}

/// The interpreter the `python3` on `PATH` runs: `sys.executable`, as a launcher script (a
/// pyenv shim) starts another program.
fn path_python() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim_end())).filter(|p| is_elf(p))
}

/// The rustc binary itself, not rustup's proxy of the same name: `$(rustc --print
/// sysroot)/bin/rustc`.
fn real_rustc() -> Option<PathBuf> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim_end());
    Some(sysroot.join("bin").join("rustc")).filter(|p| is_elf(p))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| is_elf(p))
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\x7fELF"
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
}

fn show_argv(argv: &[OsString]) -> String {
    argv.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn loader_path(loader: Loader, ld_rs: &Path) -> PathBuf {
    match loader {
        Loader::Glibc => PathBuf::from(GLIBC_LOADER),
        Loader::LdRs => ld_rs.to_path_buf(),
    }
}

/// Profiles a workload under both loaders (the two callgrind runs side by side), then
/// times it.
fn bench_workload(workload: &Workload, ld_rs: &Path, out_dir: &Path, options: &Options) -> Result<Row, Failed> {
    let slug: String = workload
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
        .collect();
    let (glibc, ld_rs_cost) = std::thread::scope(|scope| {
        let glibc = scope.spawn(|| profile(workload, Loader::Glibc, ld_rs, out_dir, &slug));
        let ld_rs_cost = profile(workload, Loader::LdRs, ld_rs, out_dir, &slug);
        (glibc.join().expect("the profiling thread does not panic"), ld_rs_cost)
    });
    let (glibc, ld_rs_cost) = (glibc?, ld_rs_cost?);
    let warm = bench_warm(workload, ld_rs, out_dir, &slug)?;
    let relocations = relocation_statistics(workload);
    let (wall, wall_warm) = if options.wall {
        let (g, l, r, w, wr) = wall_time(workload, ld_rs, out_dir, &slug, options.pairs)?;
        (Some((g, l, r)), Some((w, wr)))
    } else {
        (None, None)
    };
    let memory = match (options.memory, find_on_path("gdb")) {
        (true, Some(gdb)) => Some((
            memory(workload, Loader::Glibc, ld_rs, &gdb, out_dir)?,
            memory(workload, Loader::LdRs, ld_rs, &gdb, out_dir)?,
        )),
        _ => None,
    };
    println!(
        "   loader instructions: glibc {}, ld-rs {} ({:.2}×){}",
        group(glibc.instructions),
        group(ld_rs_cost.instructions),
        ratio(ld_rs_cost.instructions, glibc.instructions),
        match (wall, wall_warm) {
            (Some((g, l, r)), Some((w, wr))) => {
                format!(
                    "; wall: glibc {}, ld-rs {} ({r:.2}×), warm {} ({wr:.2}×)",
                    ms(g),
                    ms(l),
                    ms(w)
                )
            }
            _ => String::new(),
        }
    );
    println!(
        "   warm start (launch cache): ld-rs {} ({:.2}× glibc, {:.2}× cold); {} bindings of the record checked against lookups",
        group(warm.cost.instructions),
        ratio(warm.cost.instructions, glibc.instructions),
        ratio(warm.cost.instructions, ld_rs_cost.instructions),
        group(warm.checked)
    );
    Ok(Row {
        name: workload.name.clone(),
        glibc,
        ld_rs: ld_rs_cost,
        relocations,
        wall,
        wall_warm,
        warm,
        memory,
    })
}

/// ld-rs's warm start: records the launch record under callgrind, checks it (every replayed
/// binding against a lookup), then profiles the start that replays it.
fn bench_warm(workload: &Workload, ld_rs: &Path, out_dir: &Path, slug: &str) -> Result<Warm, Failed> {
    use std::os::unix::fs::PermissionsExt;
    let cache = out_dir.join(format!("{slug}.cache"));
    let _ = fs::remove_dir_all(&cache);
    fs::create_dir_all(&cache)
        .and_then(|()| fs::set_permissions(&cache, fs::Permissions::from_mode(0o700)))
        .map_err(|err| {
            eprintln!("xtask: cannot create {}: {err}", cache.display());
            Failed
        })?;
    let run = |tool: &str, out_file: Option<&Path>, check: bool| -> Result<Output, Failed> {
        let mut command = Command::new("valgrind");
        command.arg(format!("--tool={tool}")).arg("--quiet");
        if let Some(out_file) = out_file {
            let _ = fs::remove_file(out_file);
            command
                .args(["--run-libc-freeres=no", "--run-cxx-freeres=no"])
                .arg(format!("--callgrind-out-file={}", out_file.display()));
        }
        command.arg(ld_rs).args(&workload.argv).env("LD_RS_CACHE", &cache);
        if check {
            command.env("LD_RS_CACHE_CHECK", "1").env("LD_DEBUG", "statistics");
        }
        let output = command
            .current_dir(cmd::workspace_root())
            .stdin(Stdio::null())
            .output()
            .map_err(|err| {
                eprintln!("xtask: cannot run valgrind: {err}");
                Failed
            })?;
        check_ran(&output, workload, Loader::LdRs, "with its launch cache")?;
        Ok(output)
    };
    let record_file = out_dir.join(format!("{slug}.ld-rs-record.callgrind"));
    run("callgrind", Some(&record_file), false)?;
    let _ = fs::remove_file(&record_file);
    // The check: the record must be used, and every binding agree with a lookup.
    let output = run("none", None, true)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let verdict = stderr
        .lines()
        .find_map(|l| l.split_once("launch cache: ").map(|(_, v)| v.to_string()))
        .unwrap_or_else(|| "no verdict printed".into());
    let counts: Vec<u64> = verdict
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let checked = match (verdict.starts_with("used;"), counts.as_slice()) {
        (true, [n, 0]) => *n,
        _ => {
            eprintln!(
                "xtask: {}: the warm start's check failed: launch cache: {verdict}\n{stderr}",
                workload.name
            );
            return Err(Failed);
        }
    };
    let out_file = out_dir.join(format!("{slug}.ld-rs-warm.callgrind"));
    run("callgrind", Some(&out_file), false)?;
    let profile = Profile::read(&out_file)?;
    let cost = profile.loader_cost(ld_rs, LD_RS_LOOKUP).map_err(|err| {
        eprintln!("xtask: {}: {err}", out_file.display());
        Failed
    })?;
    Ok(Warm { cost, checked })
}

/// The gdb Python script of the memory measurement (module comment, 4.): `LOADER` (the
/// loader's canonical path) is set before it runs; it prints one line,
/// `LD-RS-BENCH-MEMORY LOADER_DIRTY PROCESS_DIRTY PEAK_RSS`, in KiB.
const MEMORY_SCRIPT: &str = r#"
import gdb

def smaps(pid):
    vmas = []
    for line in open('/proc/%d/smaps' % pid):
        f = line.split()
        if f and not f[0].endswith(':'):
            lo, hi = (int(x, 16) for x in f[0].split('-'))
            vmas.append({'lo': lo, 'hi': hi, 'perms': f[1], 'path': f[5] if len(f) > 5 else '', 'kb': {}})
        elif len(f) >= 2 and f[1].isdigit():
            vmas[-1]['kb'][f[0][:-1]] = int(f[1])
    return vmas

def status(pid, key):
    for line in open('/proc/%d/status' % pid):
        if line.startswith(key + ':'):
            return int(line.split()[1])
    return 0

for setting in ('pagination off', 'confirm off', 'breakpoint pending on', 'startup-with-shell off'):
    gdb.execute('set ' + setting)
gdb.execute('break __libc_start_main', to_string=True)
gdb.execute('run', to_string=True)
pid = gdb.selected_inferior().pid
vmas = smaps(pid)
own = set(i for i, v in enumerate(vmas) if v['path'] == LOADER)
if own:
    after = max(own) + 1
    if after < len(vmas) and vmas[after]['path'] == '' and vmas[after]['lo'] == vmas[after - 1]['hi']:
        own.add(after)
loader = sum(vmas[i]['kb'].get('Private_Dirty', 0) for i in own if 'x' not in vmas[i]['perms'])
process = sum(v['kb'].get('Private_Dirty', 0) for v in vmas)
gdb.execute('delete', to_string=True)
gdb.execute('catch syscall exit_group', to_string=True)
gdb.execute('continue', to_string=True)
print('LD-RS-BENCH-MEMORY %d %d %d' % (loader if own else -1, process, status(pid, 'VmHWM')))
gdb.execute('kill', to_string=True)
"#;

/// Runs the workload under gdb with `MEMORY_SCRIPT` and reads its line.
fn memory(workload: &Workload, loader: Loader, ld_rs: &Path, gdb: &Path, out_dir: &Path) -> Result<Memory, Failed> {
    let script = out_dir.join("memory.py");
    fs::write(&script, MEMORY_SCRIPT).map_err(|err| {
        eprintln!("xtask: cannot write {}: {err}", script.display());
        Failed
    })?;
    let loader_path = loader_path(loader, ld_rs);
    let canonical = fs::canonicalize(&loader_path).unwrap_or_else(|_| loader_path.clone());
    let mut define = OsString::from("python LOADER = ");
    define.push(format!("{:?}", canonical.to_string_lossy()));
    let output = Command::new(gdb)
        .args(["-nx", "-batch", "-ex"])
        .arg(define)
        .arg("-x")
        .arg(&script)
        .arg("--args")
        .arg(&loader_path)
        .args(&workload.argv)
        .current_dir(cmd::workspace_root())
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(o) => o,
        Err(err) => {
            eprintln!("xtask: cannot run gdb: {err}");
            return Err(Failed);
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let figures: Option<Vec<i64>> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LD-RS-BENCH-MEMORY "))
        .map(|rest| rest.split_whitespace().filter_map(|n| n.parse().ok()).collect());
    match figures.as_deref() {
        Some(&[loader_dirty, process_dirty, peak_rss]) if loader_dirty >= 0 => Ok(Memory {
            loader_dirty: loader_dirty as u64,
            process_dirty: process_dirty as u64,
            peak_rss: peak_rss as u64,
        }),
        _ => {
            eprintln!(
                "xtask: {}: no memory figures from gdb under {} (the loader {} not among its mappings, or gdb failed)\n{}{}",
                workload.name,
                loader.label(),
                canonical.display(),
                stdout,
                String::from_utf8_lossy(&output.stderr)
            );
            Err(Failed)
        }
    }
}

/// Runs the workload under callgrind and reads what the loader cost.
fn profile(
    workload: &Workload,
    loader: Loader,
    ld_rs: &Path,
    out_dir: &Path,
    slug: &str,
) -> Result<LoaderCost, Failed> {
    let loader_path = loader_path(loader, ld_rs);
    let out_file = out_dir.join(format!("{slug}.{}.callgrind", loader.label()));
    let _ = fs::remove_file(&out_file);
    let mut argv: Vec<OsString> = vec![
        "valgrind".into(),
        "--tool=callgrind".into(),
        "--quiet".into(),
        "--run-libc-freeres=no".into(),
        "--run-cxx-freeres=no".into(),
    ];
    let mut out_arg = OsString::from("--callgrind-out-file=");
    out_arg.push(&out_file);
    argv.push(out_arg);
    argv.push(loader_path.clone().into_os_string());
    argv.extend(workload.argv.iter().cloned());
    let output = cmd::capture(&argv)?;
    check_ran(&output, workload, loader, "under callgrind")?;
    let profile = Profile::read(&out_file)?;
    let lookup = match loader {
        Loader::Glibc => GLIBC_LOOKUP,
        Loader::LdRs => LD_RS_LOOKUP,
    };
    profile.loader_cost(&loader_path, lookup).map_err(|err| {
        eprintln!("xtask: {}: {err}", out_file.display());
        Failed
    })
}

/// Fails, showing what it printed, if a run did not exit successfully.
fn check_ran(output: &Output, workload: &Workload, loader: Loader, how: &str) -> Result<(), Failed> {
    if output.status.success() {
        return Ok(());
    }
    eprintln!(
        "xtask: {} failed under {} {how} ({})\n{}{}",
        workload.name,
        loader.label(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Err(Failed)
}

/// glibc's own counts (`LD_DEBUG=statistics`, printed on stderr, once after start-up and
/// once at exit): symbolic relocations (the final count plus those served from the lookup
/// cache) and relative relocations.
fn relocation_statistics(workload: &Workload) -> Option<(u64, u64)> {
    let output = Command::new(GLIBC_LOADER)
        .args(&workload.argv)
        .env("LD_DEBUG", "statistics")
        .current_dir(cmd::workspace_root())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let find = |label: &str| {
        stderr
            .lines()
            .filter_map(|line| line.split_once(label)?.1.trim().parse::<u64>().ok())
            .next_back()
    };
    let symbolic = find("final number of relocations:")? + find("final number of relocations from cache:").unwrap_or(0);
    let relative = find("number of relative relocations:").unwrap_or(0);
    Some((symbolic, relative))
}

/// Runs the workload natively under each loader, alternating, and returns the median glibc
/// time, the median ld-rs time and the median of the per-pair ratios ld-rs/glibc.
fn wall_time(
    workload: &Workload,
    ld_rs: &Path,
    out_dir: &Path,
    slug: &str,
    pairs: usize,
) -> Result<(Duration, Duration, f64, Duration, f64), Failed> {
    use std::os::unix::fs::PermissionsExt;
    // The warm runs' cache: a record made natively (a record made under valgrind is not
    // valid outside it), written by the warm-up run.
    let cache = out_dir.join(format!("{slug}.wall-cache"));
    let _ = fs::remove_dir_all(&cache);
    fs::create_dir_all(&cache)
        .and_then(|()| fs::set_permissions(&cache, fs::Permissions::from_mode(0o700)))
        .map_err(|err| {
            eprintln!("xtask: cannot create {}: {err}", cache.display());
            Failed
        })?;
    // 0: glibc, 1: ld-rs, 2: ld-rs warm.
    let time = |which: usize| -> Result<Duration, Failed> {
        let loader = if which == 0 { Loader::Glibc } else { Loader::LdRs };
        let mut command = Command::new(loader_path(loader, ld_rs));
        command
            .args(&workload.argv)
            .current_dir(cmd::workspace_root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if which == 2 {
            command.env("LD_RS_CACHE", &cache);
        }
        let start = Instant::now();
        let status = command.status();
        let elapsed = start.elapsed();
        match status {
            Ok(status) if status.success() => Ok(elapsed),
            Ok(status) => {
                eprintln!("xtask: {} failed under {} ({status})", workload.name, loader.label());
                Err(Failed)
            }
            Err(err) => {
                eprintln!("xtask: cannot run {} under {}: {err}", workload.name, loader.label());
                Err(Failed)
            }
        }
    };
    // Warm-up: page cache, the first run of a program after a build is slower, and the
    // warm runs' record.
    for which in 0..3 {
        time(which)?;
    }
    if fs::read_dir(&cache).map_or(0, |d| d.count()) == 0 {
        eprintln!(
            "xtask: {}: the warm-up run wrote no launch record in {}",
            workload.name,
            cache.display()
        );
        return Err(Failed);
    }
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut ratios: [Vec<f64>; 2] = Default::default();
    for i in 0..pairs {
        let mut round = [Duration::ZERO; 3];
        for k in 0..3 {
            let which = (i + k) % 3;
            round[which] = time(which)?;
        }
        for (which, t) in round.iter().enumerate() {
            times[which].push(*t);
        }
        ratios[0].push(round[1].as_secs_f64() / round[0].as_secs_f64());
        ratios[1].push(round[2].as_secs_f64() / round[0].as_secs_f64());
    }
    times.iter_mut().for_each(|t| t.sort());
    ratios.iter_mut().for_each(|r| r.sort_by(f64::total_cmp));
    let _ = fs::remove_dir_all(&cache);
    Ok((
        median(&times[0]),
        median(&times[1]),
        median_f64(&ratios[0]),
        median(&times[2]),
        median_f64(&ratios[1]),
    ))
}

fn median(sorted: &[Duration]) -> Duration {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

fn median_f64(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

// ─── Reading a callgrind profile ───────────────────────────────────────────────────────

/// A function: (object id, name without callgrind's `'N` recursion-depth suffix).
type Func = (u32, String);

/// The parts of a callgrind profile the report needs.
#[derive(Default)]
struct Profile {
    /// Object names by id.
    objects: HashMap<u32, String>,
    /// Self cost (Ir) of each function.
    self_cost: HashMap<Func, u64>,
    /// Calls between functions: (caller, callee) → (count, inclusive Ir).
    calls: HashMap<(Func, Func), (u64, u64)>,
    /// Ir of the whole run (`totals:` / `summary:`, else the sum of self costs).
    total: u64,
}

impl Profile {
    /// Reads a callgrind output file (format version 1, any `positions:`, with or without
    /// name compression).
    fn read(path: &Path) -> Result<Profile, Failed> {
        let file = fs::File::open(path).map_err(|err| {
            eprintln!("xtask: cannot read the profile {}: {err}", path.display());
            Failed
        })?;
        let bad = |line: usize, what: &str| {
            eprintln!("xtask: {}:{line}: {what}", path.display());
            Failed
        };
        let mut profile = Profile::default();
        let mut fn_names: HashMap<u32, String> = HashMap::new();
        let mut positions = 1usize;
        let mut ir_index = 0usize;
        let mut declared_total = None;
        let (mut ob, mut func): (u32, Option<String>) = (0, None);
        // Pending call: callee object (None: the caller's), callee name, count.
        let mut cob: Option<u32> = None;
        let mut cfn: Option<String> = None;
        let mut pending_calls: Option<u64> = None;
        let mut next_anon_ob = u32::MAX;

        for (number, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|err| bad(number + 1, &err.to_string()))?;
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let first = line.as_bytes()[0];
            if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'*') {
                // A cost line: positions, then counts in `events:` order.
                let ir = line
                    .split_ascii_whitespace()
                    .nth(positions + ir_index)
                    .map(|n| n.parse::<u64>().map_err(|_| bad(number + 1, "bad cost")))
                    .transpose()?
                    .unwrap_or(0);
                let caller = (
                    ob,
                    func.clone().ok_or_else(|| bad(number + 1, "cost outside a function"))?,
                );
                if let Some(count) = pending_calls.take() {
                    let callee_name = cfn.clone().ok_or_else(|| bad(number + 1, "calls= without cfn="))?;
                    let callee = (cob.take().unwrap_or(ob), callee_name);
                    let entry = profile.calls.entry((caller, callee)).or_insert((0, 0));
                    entry.0 += count;
                    entry.1 += ir;
                } else {
                    *profile.self_cost.entry(caller).or_insert(0) += ir;
                }
                continue;
            }
            let Some((key, value)) = line.split_once(['=', ':']) else {
                return Err(bad(number + 1, "unexpected line"));
            };
            match key {
                "ob" => {
                    ob = name_id(value, &mut profile.objects, &mut next_anon_ob);
                }
                "cob" => cob = Some(name_id(value, &mut profile.objects, &mut next_anon_ob)),
                "fn" => func = Some(fn_name(value, &mut fn_names)),
                "cfn" => cfn = Some(fn_name(value, &mut fn_names)),
                "calls" => {
                    let count = value.split_ascii_whitespace().next().and_then(|n| n.parse().ok());
                    pending_calls = Some(count.ok_or_else(|| bad(number + 1, "bad calls="))?);
                }
                "positions" => positions = value.split_ascii_whitespace().count().max(1),
                "events" => {
                    ir_index = value.split_ascii_whitespace().position(|e| e == "Ir").unwrap_or(0);
                }
                "totals" | "summary" => {
                    declared_total = value
                        .split_ascii_whitespace()
                        .nth(ir_index)
                        .and_then(|n| n.parse().ok());
                }
                // File names (fl, fi, fe, cfi, cfl, jfi), jumps, and header lines.
                _ => {}
            }
        }
        profile.total = declared_total.unwrap_or_else(|| profile.self_cost.values().sum());
        Ok(profile)
    }

    /// What the loader at `loader` cost in this run, by the method in the module comment.
    fn loader_cost(&self, loader: &Path, lookup: &str) -> Result<LoaderCost, String> {
        let canonical = fs::canonicalize(loader).unwrap_or_else(|_| loader.to_path_buf());
        let loader_objects: HashSet<u32> = self
            .objects
            .iter()
            .filter(|(_, name)| fs::canonicalize(name).is_ok_and(|p| p == canonical) || Path::new(name) == canonical)
            .map(|(&id, _)| id)
            .collect();
        if loader_objects.is_empty() {
            return Err(format!(
                "no object in the profile is the loader {}",
                canonical.display()
            ));
        }
        let in_loader = |f: &Func| loader_objects.contains(&f.0);

        let mut by_name: HashMap<&str, i128> = HashMap::new();
        for (f, &cost) in &self.self_cost {
            if in_loader(f) {
                *by_name.entry(f.1.as_str()).or_insert(0) += i128::from(cost);
            }
        }
        let mut excluded = 0u64;
        let mut lookups = None;
        let mut entries: HashMap<&str, u64> = HashMap::new();
        for ((caller, callee), &(count, inclusive)) in &self.calls {
            if in_loader(callee) && !in_loader(caller) {
                if is_string_function(&callee.1) {
                    excluded += inclusive;
                    *by_name.entry(callee.1.as_str()).or_insert(0) -= i128::from(inclusive);
                } else {
                    *entries.entry(callee.1.as_str()).or_insert(0) += count;
                }
            }
            if in_loader(callee) && callee.1 == lookup && caller.1 != lookup {
                *lookups.get_or_insert(0) += count;
            }
        }
        let mut functions: Vec<(String, u64)> = by_name
            .into_iter()
            .map(|(name, cost)| (name.to_string(), u64::try_from(cost).unwrap_or(0)))
            .filter(|&(_, cost)| cost > 0)
            .collect();
        functions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut entries: Vec<(String, u64)> = entries.into_iter().map(|(name, n)| (name.to_string(), n)).collect();
        entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(LoaderCost {
            instructions: functions.iter().map(|(_, cost)| cost).sum(),
            excluded,
            total: self.total,
            lookups,
            functions,
            entries,
        })
    }
}

/// The id of a compressed object name (`(id) name` defines, `(id)` refers), defining it;
/// an uncompressed name gets a fresh id.
fn name_id(value: &str, names: &mut HashMap<u32, String>, next_anon: &mut u32) -> u32 {
    match parse_compressed(value) {
        (Some(id), Some(name)) => {
            names.insert(id, name.to_string());
            id
        }
        (Some(id), None) => id,
        (None, name) => {
            let name = name.unwrap_or("???");
            if let Some((&id, _)) = names.iter().find(|(_, n)| n.as_str() == name) {
                return id;
            }
            *next_anon -= 1;
            names.insert(*next_anon, name.to_string());
            *next_anon
        }
    }
}

/// A function's name, resolving and recording compression, without callgrind's recursion
/// suffix (`f'2` is `f` called from itself).
fn fn_name(value: &str, names: &mut HashMap<u32, String>) -> String {
    let name = match parse_compressed(value) {
        (Some(id), Some(name)) => {
            names.insert(id, name.to_string());
            name.to_string()
        }
        (Some(id), None) => names.get(&id).cloned().unwrap_or_else(|| format!("({id})")),
        (None, name) => name.unwrap_or("???").to_string(),
    };
    match name.rsplit_once('\'') {
        Some((base, depth)) if !depth.is_empty() && depth.bytes().all(|b| b.is_ascii_digit()) => base.to_string(),
        _ => name,
    }
}

/// Splits `(id) name`, `(id)` or `name`.
fn parse_compressed(value: &str) -> (Option<u32>, Option<&str>) {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('(') {
        if let Some((id, name)) = rest.split_once(')') {
            if let Ok(id) = id.parse() {
                let name = name.trim();
                return (Some(id), (!name.is_empty()).then_some(name));
            }
        }
    }
    (None, (!value.is_empty()).then_some(value))
}

/// Whether a function is one of the C string and memory functions (which the program
/// should never reach in the loader).
fn is_string_function(name: &str) -> bool {
    let base = name.trim_start_matches('_');
    ["mem", "str", "stp", "wcs", "wmem", "bcmp", "bzero", "index", "rindex"]
        .iter()
        .any(|p| base.starts_with(p))
}

// ─── The report ────────────────────────────────────────────────────────────────────────

fn print_instruction_table(rows: &[Row]) {
    println!("Loader instructions (callgrind Ir in the loader object, whole run):");
    println!(
        "{:<22} {:>14} {:>14} {:>7}  {:>9} {:>9}  {:>11} {:>9}  {:>9}",
        "workload", "glibc ld.so", "ld-rs", "ratio", "lookups", "lookups", "sym relocs", "relative", "excluded"
    );
    println!(
        "{:<22} {:>14} {:>14} {:>7}  {:>9} {:>9}  {:>11} {:>9}  {:>9}",
        "", "", "", "", "glibc", "ld-rs", "(glibc)", "(glibc)", "ld-rs"
    );
    for row in rows {
        let (symbolic, relative) = match row.relocations {
            Some((s, r)) => (group(s), group(r)),
            None => ("?".into(), "?".into()),
        };
        println!(
            "{:<22} {:>14} {:>14} {:>6.2}×  {:>9} {:>9}  {:>11} {:>9}  {:>9}",
            row.name,
            group(row.glibc.instructions),
            group(row.ld_rs.instructions),
            ratio(row.ld_rs.instructions, row.glibc.instructions),
            row.glibc.lookups.map_or("-".into(), group),
            row.ld_rs.lookups.map_or("-".into(), group),
            symbolic,
            relative,
            group(row.ld_rs.excluded),
        );
    }
    if rows.iter().any(|r| r.glibc.excluded > 0) {
        for row in rows.iter().filter(|r| r.glibc.excluded > 0) {
            println!(
                "  ({}: {} glibc ld.so string-function instructions excluded)",
                row.name,
                group(row.glibc.excluded)
            );
        }
    }
    println!("Goal: ratio ≤ 0.50. Whole-run Ir for scale: {}.", {
        let parts: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {} / {}", r.name, group(r.glibc.total), group(r.ld_rs.total)))
            .collect();
        parts.join("; ")
    });
}

fn print_warm_table(rows: &[Row]) {
    println!("Cold and warm starts (warm: ld-rs replaying its launch record, LD_RS_CACHE):");
    println!(
        "{:<22} {:>14} {:>14} {:>14} {:>7} {:>7}  {:>9}  {:>9}",
        "workload", "glibc ld.so", "ld-rs cold", "ld-rs warm", "cold", "warm", "lookups", "checked"
    );
    println!(
        "{:<22} {:>14} {:>14} {:>14} {:>7} {:>7}  {:>9}  {:>9}",
        "", "", "", "", "/glibc", "/glibc", "warm", "bindings"
    );
    for row in rows {
        println!(
            "{:<22} {:>14} {:>14} {:>14} {:>6.2}× {:>6.2}×  {:>9}  {:>9}",
            row.name,
            group(row.glibc.instructions),
            group(row.ld_rs.instructions),
            group(row.warm.cost.instructions),
            ratio(row.ld_rs.instructions, row.glibc.instructions),
            ratio(row.warm.cost.instructions, row.glibc.instructions),
            row.warm.cost.lookups.map_or("-".into(), group),
            group(row.warm.checked),
        );
    }
    println!("Goal (warm): ratio ≤ 0.30 on PATH python3, the imports, gdb and rustc.");
}

fn print_wall_table(rows: &[Row]) {
    let pairs_note = "medians; ratio = median of the per-round ratios to glibc";
    println!("Wall time (native runs, loader named on the command line; {pairs_note}):");
    println!(
        "{:<22} {:>12} {:>12} {:>7} {:>12} {:>7}",
        "workload", "glibc ld.so", "ld-rs", "ratio", "ld-rs warm", "ratio"
    );
    for row in rows {
        if let (Some((g, l, r)), Some((w, wr))) = (row.wall, row.wall_warm) {
            println!(
                "{:<22} {:>12} {:>12} {:>6.2}× {:>12} {:>6.2}×",
                row.name,
                ms(g),
                ms(l),
                r,
                ms(w),
                wr
            );
        }
    }
    println!("Goal: ratio ≤ 1.00 cold and below 1.00 warm.");
}

fn print_memory_table(rows: &[Row]) {
    println!("Memory (KiB; under gdb, at the program's first call and at exit; see xtask/src/bench.rs):");
    println!(
        "{:<22} {:>21} {:>21} {:>21}",
        "", "loader private dirty", "process private dirty", "peak RSS"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "workload", "glibc", "ld-rs", "glibc", "ld-rs", "glibc", "ld-rs"
    );
    for row in rows {
        if let Some((g, l)) = row.memory {
            println!(
                "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
                row.name,
                group(g.loader_dirty),
                group(l.loader_dirty),
                group(g.process_dirty),
                group(l.process_dirty),
                group(g.peak_rss),
                group(l.peak_rss)
            );
        }
    }
}

fn print_top_functions(rows: &[Row], top: usize) {
    if top == 0 {
        return;
    }
    for row in rows {
        println!(
            "\nTop loader functions, {} (self Ir, % of that loader's count):",
            row.name
        );
        for (label, cost) in [("ld-rs", &row.ld_rs), ("glibc", &row.glibc)] {
            let n = if label == "ld-rs" { top } else { top.div_ceil(2) };
            for (name, ir) in cost.functions.iter().take(n) {
                let share = 100.0 * *ir as f64 / cost.instructions.max(1) as f64;
                println!("  {label} {:>12} {share:5.1}%  {}", group(*ir), shorten(name, 96));
            }
        }
        println!("  called from other objects (number of calls):");
        for (label, cost) in [("ld-rs", &row.ld_rs), ("glibc", &row.glibc)] {
            let shown: Vec<String> = cost
                .entries
                .iter()
                .take(5)
                .map(|(name, count)| format!("{} ×{}", shorten(name, 48), group(*count)))
                .collect();
            println!("  {label} {}", shown.join("; "));
        }
    }
}

fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        let tail: String = name
            .chars()
            .rev()
            .take(max - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    a as f64 / b.max(1) as f64
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_calls_and_objects() {
        let text = "# callgrind format\nversion: 1\npositions: line\nevents: Ir\nsummary: 100\n\n\
            ob=(1) /lib/loader\nfl=(1) a.c\nfn=(1) _dl_start\n10 40\ncfn=(2) memcpy\ncalls=2 5\n* 7\n\
            ob=(2) /lib/libc\nfl=(2) b.c\nfn=(3) main\n1 30\ncob=(1)\ncfi=(1)\ncfn=(2)\ncalls=1 5\n* 20\n\
            cfn=(4) helper'2\ncalls=1 3\n* 3\n\nob=(1)\nfl=(1)\nfn=(2)\n5 27\n";
        let path = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        fs::write(&path, text).unwrap();
        let profile = Profile::read(&path).unwrap();
        fs::remove_file(&path).unwrap();
        assert_eq!(profile.total, 100);
        let f = |ob: u32, name: &str| (ob, name.to_string());
        assert_eq!(profile.calls[&(f(1, "_dl_start"), f(1, "memcpy"))], (2, 7));
        assert_eq!(profile.calls[&(f(2, "main"), f(1, "memcpy"))], (1, 20));
        // No cob= for the second call of main: the callee is in main's object.
        assert_eq!(profile.calls[&(f(2, "main"), f(2, "helper"))], (1, 3));
        let cost = profile.loader_cost(Path::new("/lib/loader"), "x").unwrap();
        // 40 + 27 in the loader, less the 20 memcpy spent for libc's main.
        assert_eq!(cost.instructions, 47);
        assert_eq!(cost.excluded, 20);
    }
}
