//! `cargo xtask glibc-tests`: glibc's own test suite as the oracle for ld-rs.
//!
//! glibc tests its loader with its own suite, so a drop-in replacement must pass it too. The
//! suite is Debian's glibc source package for the installed `libc6`, configured as Debian
//! configures its `libc6` build and built out of tree once (under `target/glibc`, or
//! `$LD_RS_GLIBC_DIR`); its struct layouts are Debian's, so ld-rs runs it as it is.
//!
//! glibc's harness runs each dynamically linked test as `BUILD/elf/ld-linux-x86-64.so.2
//! --library-path … TEST` (container tests through the copy of the loader installed in
//! `BUILD/testroot.pristine`). So the suite runs twice: once as built, with glibc's own
//! freshly built loader, and once with ld-rs copied over that loader (its modification time
//! kept, so make relinks nothing); the original is put back afterwards, also after a failure
//! or an interrupted run (the next run restores it first). Each test leaves a
//! `.test-result` file (`PASS: elf/tst-tls6`, `FAIL: …`, `UNSUPPORTED: …`, …); the two runs'
//! results are compared test by test.
//!
//! **The ratchet.** ld-rs does not yet pass every test glibc's loader passes. The tests it
//! fails are listed, each with a reason, in `xtask/glibc-known-failures.txt`; the command
//! fails on any pass under glibc that fails under ld-rs and is not listed, and also when a
//! listed test now passes (the entry must go, so the list only shrinks). The report prints
//! the listed failures every time: they are counted, never hidden.
//!
//! **Vacuous passes.** Some tests pass under a loader that ignores what they test: an audit
//! test whose audit module never runs still exits 0 when nothing checks the module's output,
//! and a `dlmopen` test is satisfied by the base namespace. A test whose name is marked
//! `vacuous` in the known-failures file is counted as failed under ld-rs whatever its status,
//! until the feature it tests exists (and the mark is removed). Beyond the list, an audit test
//! (`tst-audit*`) passes under ld-rs only if its output shows as many audit-callback lines
//! (`la_…`) as under glibc's loader.
//!
//! The run holds an exclusive lock on the glibc directory: several worktrees may share one
//! build, but only one run may swap its loader at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::cmd::{self, Failed};
use crate::demo::build_ld_rs;

const USAGE: &str = "\
usage: cargo xtask glibc-tests [--all] [--loader PATH] [--rerun-glibc] [SUBDIR|SUBDIR/TEST]...

Builds Debian's glibc (the installed libc6's source package) once under target/glibc (or
$LD_RS_GLIBC_DIR), runs its tests under glibc's freshly built ld.so and under ld-rs, and
compares them test by test. Default subdirectories: elf dlfcn. --all: every subdirectory.
Report: target/glibc-tests/report.txt. Fails on a pass->fail not listed in
xtask/glibc-known-failures.txt, and on a listed test that now passes.";

/// The subdirectories run by default: the loader's own tests.
const DEFAULT_SUBDIRS: &[&str] = &["elf", "dlfcn"];

/// Debian's configuration of its `libc6` build (debian/sysdeps/linux.mk and debian/rules.d),
/// as far as it shapes the loader's contract: the same options give the same struct layouts.
const CONFIGURE: &[&str] = &[
    "--prefix=/usr",
    "--enable-stack-protector=strong",
    "--enable-stackguard-randomization",
    "--enable-multi-arch",
    "--enable-kernel=3.2",
    "--disable-crypt",
    "--without-selinux",
    "--disable-werror",
];

struct Options {
    subdirs: Vec<String>,
    tests: Vec<String>,
    loader: Option<PathBuf>,
    rerun_glibc: bool,
}

fn parse(args: &[&str]) -> Result<Options, Failed> {
    let mut o = Options {
        subdirs: Vec::new(),
        tests: Vec::new(),
        loader: None,
        rerun_glibc: false,
    };
    let mut all = false;
    let mut it = args.iter();
    while let Some(&a) = it.next() {
        match a {
            "--all" => all = true,
            "--rerun-glibc" => o.rerun_glibc = true,
            "--loader" => match it.next() {
                Some(p) => o.loader = Some(PathBuf::from(p)),
                None => return usage("--loader needs a path"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ if a.starts_with('-') => return usage(&format!("unknown option {a}")),
            _ if a.contains('/') => o.tests.push(a.trim_end_matches(".out").to_string()),
            _ => o.subdirs.push(a.to_string()),
        }
    }
    if all {
        o.subdirs = vec!["*".to_string()];
    } else if o.subdirs.is_empty() && o.tests.is_empty() {
        o.subdirs = DEFAULT_SUBDIRS.iter().map(|s| s.to_string()).collect();
    }
    Ok(o)
}

fn usage(msg: &str) -> Result<Options, Failed> {
    eprintln!("xtask glibc-tests: {msg}\n{USAGE}");
    Err(Failed)
}

/// Where the build lives.
struct Tree {
    /// The build directory (the source is its sibling).
    build: PathBuf,
}

pub fn run(args: &[&str]) -> Result<(), Failed> {
    let o = parse(args)?;
    let started = Instant::now();
    let root = match std::env::var_os("LD_RS_GLIBC_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => cmd::target_dir().join("glibc"),
    };
    fs::create_dir_all(&root).map_err(|e| fail(&format!("cannot create {}: {e}", root.display())))?;
    let lock = fs::File::create(root.join(".lock")).map_err(|e| fail(&format!("lock file: {e}")))?;
    if lock.try_lock().is_err() {
        eprintln!(
            "xtask glibc-tests: {} is in use by another run; waiting",
            root.display()
        );
        lock.lock().map_err(|e| fail(&format!("lock: {e}")))?;
    }
    let tree = prepare(&root)?;
    // ld-rs runs only glibc builds its layout tables list: this rebuild of Debian's source has
    // Debian's layout but its own build ids, which are added to Debian's table (before ld-rs
    // is built) if they are not there yet.
    if crate::glibc_layout::register_build(&tree.build)? && o.loader.is_some() {
        eprintln!(
            "xtask glibc-tests: {} was registered just now: a --loader built before does not \
             accept it",
            tree.build.display()
        );
    }
    let loader = match &o.loader {
        Some(p) => p.canonicalize().map_err(|e| fail(&format!("{}: {e}", p.display())))?,
        None => build_ld_rs()?,
    };
    let prepared = started.elapsed();
    let t_glibc = Instant::now();
    let glibc = results_under(&tree, &o, None)?;
    let glibc_time = t_glibc.elapsed();
    let t_ldrs = Instant::now();
    let ldrs = results_under(&tree, &o, Some(&loader))?;
    let ldrs_time = t_ldrs.elapsed();
    let known = read_known()?;
    let verdict = compare(&tree, &glibc, &ldrs, &known);
    println!(
        "glibc-tests: build ready after {:.0} s; glibc's ld.so run {:.0} s, ld-rs run {:.0} s",
        prepared.as_secs_f64(),
        glibc_time.as_secs_f64(),
        ldrs_time.as_secs_f64()
    );
    verdict
}

fn fail(msg: &str) -> Failed {
    eprintln!("xtask glibc-tests: {msg}");
    Failed
}

/// The installed `libc6`'s Debian version, e.g. `2.36-9+deb12u14`.
fn libc_version() -> Result<String, Failed> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "libc6"])
        .output()
        .map_err(|e| fail(&format!("dpkg-query: {e}")))?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if v.is_empty() {
        return Err(fail("cannot tell the installed libc6 version (dpkg-query -W libc6)"));
    }
    Ok(v)
}

/// Fetches, configures and builds glibc unless done before (each step leaves a stamp).
fn prepare(root: &Path) -> Result<Tree, Failed> {
    let version = libc_version()?;
    let upstream = version.split('-').next().unwrap_or(&version).to_string();
    let src = root.join(format!("glibc-{upstream}"));
    let build = root.join("build");
    let tree = Tree { build: build.clone() };
    if !src.join("configure").exists() {
        fetch_source(root, &version)?;
    }
    fs::create_dir_all(&build).map_err(|e| fail(&format!("{}: {e}", build.display())))?;
    if !build.join("config.status").exists() {
        println!("glibc-tests: configuring glibc {version} in {}", build.display());
        fs::write(
            build.join("configparms"),
            "rtlddir=/lib64\nslibdir=/lib/x86_64-linux-gnu\n",
        )
        .map_err(|e| fail(&format!("configparms: {e}")))?;
        let mut c = Command::new(src.join("configure"));
        c.args(CONFIGURE).current_dir(&build);
        quiet(&mut c, &build.join("configure.log"), "configure")?;
    }
    let stamp = build.join(".ld-rs-built");
    if !stamp.exists() {
        println!(
            "glibc-tests: building glibc (make -j{}; ~10 minutes on 2 cores)",
            jobs()
        );
        let mut m = Command::new("make");
        m.arg(format!("-j{}", jobs())).current_dir(&build);
        quiet(&mut m, &build.join("make.log"), "make")?;
        fs::write(&stamp, &version).map_err(|e| fail(&format!("{}: {e}", stamp.display())))?;
    }
    Ok(tree)
}

fn jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs `c` with its output in `log`; on failure, says where the log is and prints its end.
fn quiet(c: &mut Command, log: &Path, what: &str) -> Result<(), Failed> {
    let file = fs::File::create(log).map_err(|e| fail(&format!("{}: {e}", log.display())))?;
    let err = file.try_clone().map_err(|e| fail(&format!("{e}")))?;
    let status = c
        .stdout(file)
        .stderr(err)
        .status()
        .map_err(|e| fail(&format!("cannot run {what}: {e}")))?;
    if status.success() {
        return Ok(());
    }
    let text = fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(20).collect();
    for line in tail.iter().rev() {
        eprintln!("  {line}");
    }
    Err(fail(&format!("{what} failed ({status}); log: {}", log.display())))
}

/// `apt-get source glibc=VERSION` into `root`, adding a `deb-src` entry derived from the
/// system's own sources when there is none, and the tools the build needs.
fn fetch_source(root: &Path, version: &str) -> Result<(), Failed> {
    let missing: Vec<&str> = [("gawk", "gawk"), ("bison", "bison"), ("dpkg-source", "dpkg-dev")]
        .into_iter()
        .filter(|(tool, _)| !on_path(tool))
        .map(|(_, package)| package)
        .collect();
    let have_src = fs::read_dir("/etc/apt/sources.list.d")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| fs::read_to_string(e.path()).is_ok_and(|t| t.contains("deb-src")))
        || fs::read_to_string("/etc/apt/sources.list").is_ok_and(|t| t.lines().any(|l| l.starts_with("deb-src")));
    if !have_src {
        let system = fs::read_to_string("/etc/apt/sources.list.d/debian.sources").map_err(|e| {
            fail(&format!(
                "no deb-src entry and no debian.sources to derive one from: {e}"
            ))
        })?;
        let derived = system.replace("Types: deb\n", "Types: deb-src\n");
        let path = "/etc/apt/sources.list.d/ld-rs-deb-src.sources";
        println!("glibc-tests: adding {path} (the system's sources as deb-src)");
        fs::write(path, derived).map_err(|e| fail(&format!("{path}: {e} (needs root)")))?;
    }
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    cmd::status(&mut update, "apt-get update")?;
    if !missing.is_empty() {
        let mut install = Command::new("apt-get");
        install
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd::status(&mut install, "apt-get install")?;
    }
    println!("glibc-tests: fetching Debian's glibc {version} source");
    let mut source = Command::new("apt-get");
    source
        .args(["source", "-qq", &format!("glibc={version}")])
        .current_dir(root);
    cmd::status(&mut source, "apt-get source glibc")
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// Test name (`elf/tst-tls6`) → result word (`PASS`, `FAIL`, `UNSUPPORTED`, …).
type Results = BTreeMap<String, String>;

/// Runs the selected tests with the build's own loader (`ld_rs` None) or ld-rs in its place.
/// glibc's results are kept in `target/glibc-tests/` and reused unless the build changed.
fn results_under(tree: &Tree, o: &Options, ld_rs: Option<&Path>) -> Result<Results, Failed> {
    let out_dir = cmd::target_dir().join("glibc-tests");
    fs::create_dir_all(&out_dir).map_err(|e| fail(&format!("{}: {e}", out_dir.display())))?;
    let key = selection_key(o);
    let cache = out_dir.join(format!("glibc.{key}.results"));
    let build_id = format!(
        "{} {}",
        fs::read_to_string(tree.build.join(".ld-rs-built"))
            .unwrap_or_default()
            .trim(),
        mtime(&tree.build.join("elf/ld.so"))
    );
    if ld_rs.is_none() && !o.rerun_glibc {
        if let Some(r) = read_cached(&cache, &build_id) {
            println!("glibc-tests: glibc's results reused ({})", cache.display());
            return Ok(r);
        }
    }
    let swap = match ld_rs {
        Some(path) => Some(Swap::install(tree, path)?),
        None => None,
    };
    let who = if ld_rs.is_some() { "ld-rs" } else { "glibc's ld.so" };
    let log = out_dir.join(if ld_rs.is_some() {
        "make-ld-rs.log"
    } else {
        "make-glibc.log"
    });
    println!("glibc-tests: running the tests under {who} (log {})", log.display());
    let run = run_make(tree, o, &log);
    let results = collect(tree, o);
    drop(swap);
    run?;
    let results = results?;
    if ld_rs.is_none() {
        // The audit tests' outputs, for the evidence check (the ld-rs run overwrites them).
        let saved = out_dir.join("glibc-out");
        for t in results.keys().filter(|t| t.contains("audit")) {
            let to = saved.join(format!("{t}.out"));
            if let Some(parent) = to.parent() {
                let _ = fs::create_dir_all(parent);
            }
            let _ = fs::copy(tree.build.join(format!("{t}.out")), to);
        }
        let mut text = format!("{build_id}\n");
        for (t, r) in &results {
            text.push_str(&format!("{r}\t{t}\n"));
        }
        let _ = fs::write(&cache, text);
    }
    Ok(results)
}

fn selection_key(o: &Options) -> String {
    let mut parts: Vec<String> = o
        .subdirs
        .iter()
        .chain(&o.tests)
        .map(|s| s.replace(['/', '*'], "_"))
        .collect();
    parts.sort();
    let key = parts.join("+");
    if key.len() > 80 {
        format!("{:x}", fnv(&key))
    } else {
        key
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn mtime(p: &Path) -> u128 {
    fs::metadata(p)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// glibc's results saved by an earlier run of the same selection on the same build: the
/// first line is the build's identity, then `RESULT<TAB>TEST` lines.
fn read_cached(path: &Path, build_id: &str) -> Option<Results> {
    let text = fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != build_id {
        return None;
    }
    let mut r = Results::new();
    for line in lines {
        let (result, test) = line.split_once('\t')?;
        r.insert(test.to_string(), result.to_string());
    }
    (!r.is_empty()).then_some(r)
}

/// `make` in the build directory, as the tree was built. A tree copied from where it was
/// built (the helpers' copies) still names that place: its `Makefile`'s `srcdir`, and the
/// objdir compiled into `support/test-container`, which mounts it into each container
/// test's root — so from the copy every container test would fail under both loaders and
/// count for nothing. As root, make then runs in a private mount namespace where the copy is
/// bind-mounted over the place it was built in (nothing outside the namespace sees it).
fn make_command(tree: &Tree) -> Command {
    let built_at = fs::read_to_string(tree.build.join("Makefile"))
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("srcdir = ").map(|d| PathBuf::from(d.trim())))
        })
        .and_then(|src| src.parent().map(Path::to_path_buf));
    let root = tree.build.parent().map(Path::to_path_buf);
    let is_root = fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    match (built_at, root) {
        (Some(orig), Some(root)) if is_root && orig != root && orig.join("build").is_dir() => {
            let mut c = Command::new("unshare");
            c.args(["-m", "--propagation", "private", "sh", "-c"])
                .arg(r#"mount --bind "$1" "$2" && cd "$2/build" && shift 2 && exec make "$@""#)
                .arg("sh")
                .arg(root)
                .arg(orig);
            c
        }
        _ => {
            let mut c = Command::new("make");
            c.current_dir(&tree.build);
            c
        }
    }
}

/// Removes the selected tests' old outputs and runs them with make.
fn run_make(tree: &Tree, o: &Options, log: &Path) -> Result<(), Failed> {
    let mut make = make_command(tree);
    make.arg(format!("-j{}", jobs()));
    if o.subdirs.iter().any(|s| s == "*") {
        clean(tree, None)?;
        make.arg("check");
    } else if !o.subdirs.is_empty() {
        clean(tree, Some(&o.subdirs))?;
        make.arg(format!("subdirs={}", o.subdirs.join(" "))).arg("check");
        // A failing test makes `make check` exit non-zero; that is the result, not an error.
        let _ = quiet(&mut make, log, "make check");
        make = make_command(tree);
        make.arg(format!("-j{}", jobs()));
    }
    for t in &o.tests {
        let _ = fs::remove_file(tree.build.join(format!("{t}.out")));
        let _ = fs::remove_file(tree.build.join(format!("{t}.test-result")));
        let mut one = make_command(tree);
        one.arg("test").arg(format!("t={t}"));
        let _ = quiet(
            &mut one,
            &log.with_extension(format!("{}.log", t.replace('/', "_"))),
            "make test",
        );
    }
    if o.subdirs.iter().any(|s| s == "*") {
        let _ = quiet(&mut make, log, "make check");
    }
    Ok(())
}

/// Removes the `.out` and `.test-result` files of the chosen subdirectories (all: None), so
/// make runs those tests again.
fn clean(tree: &Tree, subdirs: Option<&[String]>) -> Result<(), Failed> {
    let dirs: Vec<PathBuf> = match subdirs {
        Some(list) => list.iter().map(|s| tree.build.join(s)).collect(),
        None => fs::read_dir(&tree.build)
            .map_err(|e| fail(&format!("{}: {e}", tree.build.display())))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() && !p.ends_with("testroot.pristine"))
            .collect(),
    };
    for dir in dirs {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(test) = name.strip_suffix(".test-result") {
                let _ = fs::remove_file(&p);
                let out = dir.join(format!("{test}.out"));
                if out.exists() {
                    let _ = fs::remove_file(out);
                } else {
                    // A test whose product is the file it is named after (a message catalog
                    // gencat writes, conform's symbol lists): make runs it again only if that
                    // file is gone, so under the second loader it would otherwise have no
                    // result at all.
                    let _ = fs::remove_file(dir.join(test));
                }
            }
        }
    }
    Ok(())
}

/// Reads every `.test-result` of the selection: `PASS: elf/tst-tls6` on the first line.
fn collect(tree: &Tree, o: &Options) -> Result<Results, Failed> {
    let mut r = Results::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let dirs: Vec<PathBuf> = if o.subdirs.iter().any(|s| s == "*") {
        fs::read_dir(&tree.build)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() && !p.ends_with("testroot.pristine"))
            .collect()
    } else {
        o.subdirs.iter().map(|s| tree.build.join(s)).collect()
    };
    for d in dirs {
        for e in fs::read_dir(d).into_iter().flatten().flatten() {
            if e.path().extension().is_some_and(|x| x == "test-result") {
                files.push(e.path());
            }
        }
    }
    for t in &o.tests {
        files.push(tree.build.join(format!("{t}.test-result")));
    }
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else {
            continue;
        };
        if let Some((result, test)) = text.lines().next().and_then(|l| l.split_once(": ")) {
            r.insert(test.trim().to_string(), result.trim().to_string());
        }
    }
    if r.is_empty() {
        return Err(fail(&format!(
            "no test results were produced (see the make log under {})",
            cmd::target_dir().join("glibc-tests").display()
        )));
    }
    Ok(r)
}

/// ld-rs in the place of the build's loader for as long as this value lives.
struct Swap {
    /// (the loader file, where its original was saved, its modification time)
    files: Vec<(PathBuf, PathBuf, fs::FileTimes)>,
}

impl Swap {
    fn install(tree: &Tree, ld_rs: &Path) -> Result<Swap, Failed> {
        restore_leftovers(tree);
        let mut targets = vec![tree.build.join("elf/ld.so")];
        targets.extend(pristine_loaders(&tree.build.join("testroot.pristine")));
        let mut swap = Swap { files: Vec::new() };
        for target in targets {
            let saved = saved_name(&target);
            let meta = fs::metadata(&target).map_err(|e| fail(&format!("{}: {e}", target.display())))?;
            let times = fs::FileTimes::new()
                .set_modified(meta.modified().map_err(|e| fail(&format!("{e}")))?)
                .set_accessed(meta.accessed().map_err(|e| fail(&format!("{e}")))?);
            fs::rename(&target, &saved).map_err(|e| fail(&format!("saving {}: {e}", target.display())))?;
            swap.files.push((target.clone(), saved, times));
            fs::copy(ld_rs, &target).map_err(|e| fail(&format!("copying ld-rs to {}: {e}", target.display())))?;
            let f = fs::File::options()
                .write(true)
                .open(&target)
                .map_err(|e| fail(&format!("{e}")))?;
            f.set_times(times).map_err(|e| fail(&format!("{e}")))?;
        }
        Ok(swap)
    }
}

impl Drop for Swap {
    fn drop(&mut self) {
        for (target, saved, _) in &self.files {
            if let Err(e) = fs::rename(saved, target) {
                eprintln!(
                    "xtask glibc-tests: could not put back {} from {}: {e}",
                    target.display(),
                    saved.display()
                );
            }
        }
    }
}

fn saved_name(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".glibc-original");
    PathBuf::from(s)
}

/// Puts back originals a run that was killed left aside.
fn restore_leftovers(tree: &Tree) {
    let mut candidates = vec![tree.build.join("elf/ld.so")];
    candidates.extend(pristine_loaders(&tree.build.join("testroot.pristine")));
    for target in candidates {
        let saved = saved_name(&target);
        if saved.exists() {
            eprintln!("glibc-tests: restoring {} left by an interrupted run", target.display());
            let _ = fs::rename(&saved, &target);
        }
    }
}

/// The loader files (not symbolic links) of the container tests' root, if it was made.
fn pristine_loaders(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if (name == "ld-linux-x86-64.so.2" || name == "ld.so") && !name.ends_with(".glibc-original") {
                    found.push(p);
                }
            }
        }
    }
    found
}

/// One entry of `xtask/glibc-known-failures.txt`.
struct Known {
    reason: String,
    /// Counted as failed under ld-rs whatever its status: it passes without what it tests.
    vacuous: bool,
}

fn known_path() -> PathBuf {
    cmd::workspace_root().join("xtask/glibc-known-failures.txt")
}

/// `TEST  REASON` per line (`vacuous:` before the reason marks a vacuous pass); `#` comments.
fn read_known() -> Result<BTreeMap<String, Known>, Failed> {
    let text = fs::read_to_string(known_path()).unwrap_or_default();
    let mut known = BTreeMap::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (test, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let reason = reason.trim();
        let (vacuous, reason) = match reason.strip_prefix("vacuous:") {
            Some(r) => (true, r.trim()),
            None => (false, reason),
        };
        known.insert(
            test.to_string(),
            Known {
                reason: reason.to_string(),
                vacuous,
            },
        );
    }
    Ok(known)
}

/// The number of audit-callback lines (`la_…`) in a test's output.
fn audit_lines(text: &str) -> usize {
    text.lines().filter(|l| l.contains("la_")).count()
}

fn compare(tree: &Tree, glibc: &Results, ldrs: &Results, known: &BTreeMap<String, Known>) -> Result<(), Failed> {
    let report_path = cmd::target_dir().join("glibc-tests/report.txt");
    let mut report = String::new();
    let mut new_failures = Vec::new();
    let mut known_failing = Vec::new();
    let mut now_passing = Vec::new();
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let tests: BTreeSet<&String> = glibc.keys().chain(ldrs.keys()).collect();
    report.push_str("glibc-tests: per test, the result under glibc's ld.so, then under ld-rs\n");
    for t in &tests {
        let g = glibc.get(*t).map_or("-", String::as_str);
        let raw = ldrs.get(*t).map_or("-", String::as_str);
        let mut l = raw;
        let mut note = String::new();
        if let Some(k) = known.get(t.as_str()).filter(|k| k.vacuous) {
            if l == "PASS" {
                l = "FAIL";
                note = format!("  (passes vacuously: {})", k.reason);
            }
        } else if l == "PASS" && g == "PASS" && t.contains("audit") {
            // Evidence: the audit module's callbacks printed as much as under glibc.
            let ours = fs::read_to_string(tree.build.join(format!("{t}.out"))).unwrap_or_default();
            let saved = cmd::target_dir().join(format!("glibc-tests/glibc-out/{t}.out"));
            let theirs = fs::read_to_string(saved).unwrap_or_default();
            if audit_lines(&ours) < audit_lines(&theirs) {
                l = "FAIL";
                note = format!(
                    "  (vacuous: {} audit callback lines, glibc's loader printed {})",
                    audit_lines(&ours),
                    audit_lines(&theirs)
                );
            }
        }
        *counts.entry(("glibc", g)).or_default() += 1;
        *counts.entry(("ld-rs", l)).or_default() += 1;
        report.push_str(&format!("{g:<12} {l:<12} {t}{note}\n"));
        let pass_to_fail = g == "PASS" && l != "PASS";
        match (pass_to_fail, known.get(t.as_str())) {
            (true, Some(k)) => known_failing.push(format!("{t}  ({})", k.reason)),
            (true, None) => new_failures.push(t.to_string()),
            (false, Some(_)) if g == "PASS" && l == "PASS" => now_passing.push(t.to_string()),
            _ => {}
        }
    }
    let mut summary = String::new();
    let total = |who: &str| -> String {
        let mut parts: Vec<String> = counts
            .iter()
            .filter(|((w, _), _)| *w == who)
            .map(|((_, r), n)| format!("{n} {r}"))
            .collect();
        parts.sort();
        parts.join(", ")
    };
    summary.push_str(&format!("\n{} tests\n", tests.len()));
    summary.push_str(&format!("  glibc's ld.so: {}\n", total("glibc")));
    summary.push_str(&format!("  ld-rs:         {}\n", total("ld-rs")));
    summary.push_str(&format!(
        "  pass under glibc, fail under ld-rs: {} ({} listed in xtask/glibc-known-failures.txt, {} not)\n",
        known_failing.len() + new_failures.len(),
        known_failing.len(),
        new_failures.len()
    ));
    if !known_failing.is_empty() {
        summary.push_str("\nKnown failures (listed, still failing):\n");
        for k in &known_failing {
            summary.push_str(&format!("  {k}\n"));
        }
    }
    if !new_failures.is_empty() {
        summary.push_str("\nNEW pass->fail (not listed):\n");
        for t in &new_failures {
            summary.push_str(&format!("  {t}: {}\n", glibc[t]));
            let out = fs::read_to_string(tree.build.join(format!("{t}.out"))).unwrap_or_default();
            for line in out.lines().take(10) {
                summary.push_str(&format!("    | {line}\n"));
            }
        }
    }
    if !now_passing.is_empty() {
        summary.push_str("\nListed as known failures but passing now (remove them from the list):\n");
        for t in &now_passing {
            summary.push_str(&format!("  {t}\n"));
        }
    }
    report.push_str(&summary);
    let _ = fs::File::create(&report_path).and_then(|mut f| f.write_all(report.as_bytes()));
    print!("{summary}");
    println!("report: {}", report_path.display());
    if new_failures.is_empty() && now_passing.is_empty() {
        Ok(())
    } else {
        Err(Failed)
    }
}
