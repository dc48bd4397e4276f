//! gdb on a program whose `PT_INTERP` is ld-rs: a breakpoint in a shared library, a backtrace
//! and the list of shared libraries.
//!
//! A debugger learns about a process's libraries from its loader, through the SVR4 debugger
//! interface. gdb 13 (Debian 12) first looks for glibc's SystemTap probes (`init_start`,
//! `init_complete`, …) in the file `PT_INTERP` names; Debian's ld.so has none, nor has ld-rs,
//! so with both loaders it falls back to a breakpoint on the interpreter's `_dl_debug_state`,
//! found by that name in the interpreter's symbol table before the process runs (and equal to
//! `_r_debug.r_brk`). At each stop it reads the link map from `_r_debug.r_map`, and it finds
//! `_r_debug` only through the program's `DT_DEBUG` entry, which the loader fills in: gdb's
//! fallback to a symbol named `_r_debug` looks in the main program only (static programs). A
//! copy of the program whose `DT_DEBUG` tag is overwritten lists no library but the
//! interpreter and stops in `puts@plt` rather than libc's `puts`, under glibc and ld-rs alike.
//! The test runs
//!
//! ```text
//! gdb -nx -batch -ex 'break puts' -ex run -ex bt -ex 'info sharedlibrary' PROGRAM
//! ```
//!
//! on the `libc_basic` fixture's `hello` (which calls `printf`, then `puts`) as built, under
//! glibc's loader, and on a copy whose `PT_INTERP` names ld-rs. Both runs must stop in `puts`,
//! show `main` in the backtrace and list the same libraries, compared by name, the
//! interpreter itself (glibc's or ld-rs) counting as one name. When ld-rs's run fails, the
//! message includes what gdb needs and what it found (`set debug solib 1`, `_r_debug`,
//! `DT_DEBUG`, `r_brk`).

use ld_rs_tests::{fixtures, ld_rs, target_dir, GLIBC_LOADER};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// gdb's commands: stop in puts, then show where and with which libraries.
const COMMANDS: &[&str] = &["break puts", "run", "bt", "info sharedlibrary"];

/// A gdb Python command printing the program's `DT_DEBUG` entry as the loader left it in
/// memory (the program's `.dynamic`, the first listed by `info files`).
const READ_DT_DEBUG: &str = "python
import gdb, struct
files = gdb.execute('info files', to_string=True)
dyn = int([l for l in files.splitlines() if l.endswith(' is .dynamic')][0].split()[0], 16)
inf = gdb.selected_inferior()
for i in range(256):
    tag, val = struct.unpack('<qQ', bytes(inf.read_memory(dyn + 16 * i, 16)))
    if tag == 21:
        print('DT_DEBUG in memory: %#x' % val)
    if tag == 0:
        break
";

/// How long one gdb run may take, in seconds (`timeout -k 5`).
const TIMEOUT_SECS: &str = "60";

/// What one gdb run printed.
struct GdbRun {
    command: String,
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl GdbRun {
    fn show(&self) -> String {
        format!(
            "  $ {}\n  status: {:?}\n  stdout:\n{}  stderr:\n{}",
            self.command,
            self.status,
            indent(&self.stdout),
            indent(&self.stderr)
        )
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    | {l}\n")).collect()
}

/// Runs gdb in batch mode with `commands` (each an `-ex`) on `program`; no init files, no
/// debuginfod, no inherited loader variables.
fn gdb(program: &Path, commands: &[&str]) -> GdbRun {
    let mut command = Command::new("timeout");
    command.args(["-k", "5", TIMEOUT_SECS, "gdb", "-nx", "-batch"]);
    for ex in commands {
        command.args(["-ex", ex]);
    }
    command
        .arg(program)
        .env_remove("DEBUGINFOD_URLS")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD")
        .env_remove("LD_BIND_NOW")
        .stdin(Stdio::null());
    let shown = format!(
        "gdb -nx -batch {}{}",
        commands.iter().map(|c| format!("-ex '{c}' ")).collect::<String>(),
        program.display()
    );
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    GdbRun {
        command: shown,
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A copy of `program` in `<target>/fixtures/gdb/` whose `PT_INTERP` names ld-rs, made
/// atomically (another test process may be running the previous copy).
fn ld_rs_copy(program: &Path) -> PathBuf {
    let dir = target_dir().join("fixtures").join("gdb");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let name = program.file_name().expect("the program has a file name");
    let copy = dir.join(name);
    let tmp = dir.join(format!("{}.tmp{}", name.to_string_lossy(), std::process::id()));
    fs::copy(program, &tmp).unwrap_or_else(|e| panic!("cannot copy {}: {e}", program.display()));
    let output = Command::new("patchelf")
        .arg("--set-interpreter")
        .arg(ld_rs())
        .arg(&tmp)
        .output()
        .unwrap_or_else(|e| panic!("cannot run patchelf ({e}): apt-get install -y patchelf"));
    assert!(
        output.status.success(),
        "patchelf failed on {}:\n{}",
        tmp.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    fs::rename(&tmp, &copy).unwrap_or_else(|e| panic!("cannot rename {}: {e}", tmp.display()));
    copy
}

/// What a gdb run showed, checked.
#[derive(Debug)]
struct Findings {
    /// The "Breakpoint 1, FUNCTION (…)" line, if the breakpoint was hit.
    stop: Option<String>,
    /// Whether a backtrace frame is `main`.
    reaches_main: bool,
    /// The libraries of `info sharedlibrary`, by file name; the interpreter as `<interpreter>`.
    libraries: Vec<String>,
}

impl Findings {
    fn of(run: &GdbRun, interpreter: &Path) -> Findings {
        let lines: Vec<&str> = run.stdout.lines().collect();
        let stop = lines
            .iter()
            .find(|l| l.starts_with("Breakpoint 1, "))
            .map(|l| (*l).to_owned());
        let reaches_main = lines
            .iter()
            .any(|l| l.starts_with('#') && (l.contains(" main (") || l.contains(" in main ")));
        let interpreter = interpreter.canonicalize().ok();
        let libraries = lines
            .iter()
            .skip_while(|l| !l.starts_with("From"))
            .skip(1)
            .take_while(|l| l.starts_with("0x") || l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().last())
            .map(|path| {
                if Path::new(path).canonicalize().ok() == interpreter {
                    "<interpreter>".to_owned()
                } else {
                    Path::new(path)
                        .file_name()
                        .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
                }
            })
            .collect();
        Findings {
            stop,
            reaches_main,
            libraries,
        }
    }

    /// What is wrong with the run, if anything.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match &self.stop {
            None => problems.push("the breakpoint on puts was not hit".to_owned()),
            Some(line) if !line.contains("puts") => problems.push(format!("stopped elsewhere: {line}")),
            Some(_) => {}
        }
        if !self.reaches_main {
            problems.push("the backtrace does not reach main".to_owned());
        }
        if !self.libraries.iter().any(|l| l == "libc.so.6") {
            problems.push(format!(
                "`info sharedlibrary` does not list libc.so.6 (it lists {:?})",
                self.libraries
            ));
        }
        problems
    }
}

/// What gdb needs from the loader, and what it found, for a failure message: gdb's own
/// account (`set debug solib 1`), the loader's symbols, and the debugger structures read in
/// the stopped process.
fn diagnose(program: &Path) -> String {
    let mut commands = vec!["set debug solib 1"];
    commands.extend(COMMANDS);
    let run = gdb(program, &commands);
    let symbols = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(ld_rs())
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.contains("_r_debug") || l.contains("_dl_debug_state"))
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        })
        .unwrap_or_default();
    let dynamic = Command::new("readelf")
        .arg("-d")
        .arg(program)
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.contains("(DEBUG)"))
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        })
        .unwrap_or_default();
    // In the process stopped at main: `_r_debug` (r_version, r_map, r_brk, r_state,
    // r_ldbase), what r_brk points at, and the program's DT_DEBUG entry in memory.
    let structures = gdb(
        program,
        &[
            "break main",
            "run",
            "x/5gx &_r_debug",
            "info symbol *(long *)((char *)&_r_debug + 16)",
            READ_DT_DEBUG,
        ],
    );
    format!(
        "\n--- what gdb needs: a breakpoint on the loader's _dl_debug_state (found by that name in \
         the PT_INTERP file; SystemTap probes would be used instead if the loader had them), and \
         _r_debug (r_map: the link map, r_brk, r_state) found through the program's DT_DEBUG \
         entry, which the loader must fill in.\n\
         ld-rs's dynamic symbols:\n{symbols}\
         the program's DT_DEBUG entry (file):\n{dynamic}\
         --- gdb with `set debug solib 1`:\n{}\
         --- at main: _r_debug (r_version, r_map, r_brk, r_state, r_ldbase), r_brk's symbol, \
         DT_DEBUG:\n{}",
        run.show(),
        structures.show()
    )
}

/// gdb stops in `puts`, backtraces to `main` and lists libc.so.6 and the same libraries as
/// under glibc, for a program whose interpreter is ld-rs.
#[test]
fn break_backtrace_and_shared_libraries() {
    if !ld_rs_tests::need_program("gdb", "apt-get install -y gdb") {
        return;
    }
    let program = fixtures::libc_basic().path("hello");

    let glibc = gdb(&program, COMMANDS);
    let glibc_found = Findings::of(&glibc, Path::new(GLIBC_LOADER));
    let problems = glibc_found.problems();
    assert!(
        problems.is_empty(),
        "gdb does not work with glibc's own loader here (ptrace not permitted? gdb too old?), \
         so nothing can be said about ld-rs: {}\n{}",
        problems.join("; "),
        glibc.show()
    );

    let copy = ld_rs_copy(&program);
    let ldrs = gdb(&copy, COMMANDS);
    let ldrs_found = Findings::of(&ldrs, &ld_rs());
    let mut problems = ldrs_found.problems();
    if ldrs_found.libraries != glibc_found.libraries {
        problems.push(format!(
            "`info sharedlibrary` lists {:?} under ld-rs, {:?} under glibc",
            ldrs_found.libraries, glibc_found.libraries
        ));
    }
    if !problems.is_empty() {
        panic!(
            "gdb on a program run by ld-rs: {}\n--- ld-rs\n{}--- glibc\n{}{}",
            problems.join("; "),
            ldrs.show(),
            glibc.show(),
            diagnose(&copy)
        );
    }
}

/// gdb lists the objects of every namespace: after `dlmopen` made two, it follows `_r_debug`'s
/// `r_next` chain (`r_version` 2) and shows each namespace's copy of libc.so.6 and ld.so, the
/// same list under ld-rs as under glibc's loader.
#[test]
fn dlmopen_namespaces_in_shared_libraries() {
    if !ld_rs_tests::need_program("gdb", "apt-get install -y gdb") {
        return;
    }
    let built = fixtures::dlmopen();
    let program = built.path("main");
    let run = format!("run {} rdebug", built.dir().display());
    // The second stop is after two `dlmopen`s: namespaces 1 (libother.so, libstate.so, a
    // libc.so.6, ld.so) and 2 (libtiny.so).
    let commands = ["break show_chain", run.as_str(), "continue", "info sharedlibrary"];
    let libraries = |run: &GdbRun, interpreter: &Path| {
        let found = Findings::of(run, interpreter);
        let stops = run.stdout.lines().filter(|l| l.starts_with("Breakpoint 1, ")).count();
        (stops, found.libraries)
    };

    let glibc = gdb(&program, &commands);
    let (stops, glibc_libraries) = libraries(&glibc, Path::new(GLIBC_LOADER));
    let count = |l: &[String], name: &str| l.iter().filter(|n| *n == name).count();
    assert!(
        stops == 2 && count(&glibc_libraries, "libc.so.6") == 2 && count(&glibc_libraries, "libtiny.so") == 1,
        "gdb does not show the namespaces under glibc's own loader here (gdb too old to follow \
         r_next?), so nothing can be said about ld-rs: {glibc_libraries:?}\n{}",
        glibc.show()
    );

    let copy = ld_rs_copy(&program);
    let ldrs = gdb(&copy, &commands);
    let (stops, ldrs_libraries) = libraries(&ldrs, &ld_rs());
    assert!(
        stops == 2 && ldrs_libraries == glibc_libraries,
        "gdb on a program run by ld-rs that used dlmopen: {stops} stops, `info sharedlibrary` lists \
         {ldrs_libraries:?} under ld-rs, {glibc_libraries:?} under glibc\n--- ld-rs\n{}--- glibc\n{}",
        ldrs.show(),
        glibc.show()
    );
}
