//! `LD_DEBUG` and `LD_DEBUG_OUTPUT`: the loader's trace of what it does, in glibc's format.
//!
//! Debug lines start with the process id (`     12345:\t`), which is normalized to `PID:`;
//! load addresses (`0x` and 16 hex digits) to `0xADDR`; ld-rs's own path (which the
//! `PT_INTERP` copies name) to glibc's; and the cycle counts and percentages of
//! `statistics` to `N`. Everything else (search paths with their glibc-hwcaps and legacy
//! subdirectories, symbol bindings, version checks, scopes, relocation counts, blank lines)
//! is compared exactly.

use ld_rs_tests::run::{normalize_addresses, normalize_pids};
use ld_rs_tests::{both_ways, fixtures, Exit, Loader, Outcome, Run, Way, GLIBC_LOADER};
use std::fs;
use std::path::{Path, PathBuf};

/// A path in the `iface_basic` output directory.
fn path(name: &str) -> PathBuf {
    fixtures::iface_basic().path(name)
}

/// ld-rs's path replaced by glibc's. A loader started explicitly names itself by its
/// `argv[0]` where that differs from the `PT_INTERP` name libc.so.6 needs (glibc's `--list`
/// prints `/lib64/ld-linux-x86-64.so.2 => ARGV0`); started as ld-rs's path, that arrow
/// is normalized away too, as glibc started as `/lib64/ld-linux-x86-64.so.2` prints none.
fn loader_path(text: &[u8]) -> Vec<u8> {
    let ld_rs = ld_rs_tests::ld_rs().display().to_string();
    String::from_utf8_lossy(text)
        .replace(&format!("{GLIBC_LOADER} => {ld_rs}"), GLIBC_LOADER)
        .replace(&ld_rs, GLIBC_LOADER)
        .into_bytes()
}

/// `N cycles` and `(N.N%)` (or `(.N%)`, `(%)`) of `LD_DEBUG=statistics` replaced by `N`:
/// timings differ from run to run.
fn cycles(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if !line.contains(" cycles") {
            out.push_str(line);
            continue;
        }
        // Replace each run of digits (and a decimal point inside one) with N.
        let mut prev_digit = false;
        for c in line.chars() {
            if c.is_ascii_digit() || (prev_digit && c == '.') {
                if !prev_digit {
                    out.push('N');
                }
                prev_digit = true;
            } else {
                prev_digit = false;
                out.push(c);
            }
        }
    }
    // glibc writes a per-cent under one as ".N" and 100% as nothing: each loader's
    // timing decides which form a run shows, so the three forms count as one.
    let out = out.replace("(.N%)", "(N%)").replace("(%)", "(N%)");
    // The pid prefix was normalized before, so "PID" holds no digits to mangle.
    out.into_bytes()
}

/// `main` (libiface.so from `a/`) with `LD_DEBUG=value`, normalized.
fn debug(program: &str, value: &str) -> Run {
    Run::new(path(program))
        .env("LD_LIBRARY_PATH", path("a"))
        .env("LD_DEBUG", value)
        .normalize_addresses()
        .normalize(normalize_pids)
        .normalize(loader_path)
}

/// `main_unused` with `LD_DEBUG=unused`, libiface.so from `a/`, libpre1.so from the top.
fn debug_unused() -> Run {
    Run::new(path("main_unused"))
        .env(
            "LD_LIBRARY_PATH",
            format!("{}:{}", path("a").display(), path("").display()),
        )
        .env("LD_DEBUG", "unused")
        .normalize_addresses()
        .normalize(normalize_pids)
        .normalize(loader_path)
}

/// glibc's `LD_DEBUG=help` text (on stdout; the program does not run; status 0).
const HELP: &str = "\
Valid options for the LD_DEBUG environment variable are:

  libs        display library search paths
  reloc       display relocation processing
  files       display progress for input file
  symbols     display symbol table processing
  bindings    display information about symbol binding
  versions    display version dependencies
  scopes      display scope information
  all         all previous options combined
  statistics  display relocation statistics
  unused      determined unused DSOs
  help        display this help message and exit

To direct the debugging output into a file instead of standard output
a filename can be specified using the LD_DEBUG_OUTPUT environment variable.
";

both_ways! {
    /// `LD_DEBUG=help`: the help text on stdout, status 0, the program not run.
    fn help() -> Run {
        debug("main", "help")
            .expect_exit(Exit::Code(0))
            .expect_stdout(HELP)
    }

    /// `help` among other options still prints only the help.
    fn help_among_others() -> Run {
        debug("main", "libs,help").expect_exit(Exit::Code(0)).expect_stdout(HELP)
    }

    /// An unknown option: one warning line on stderr, then the program runs.
    fn unknown_option() -> Run {
        debug("main", "foo")
            .expect_exit(Exit::Code(0))
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains("warning: debug option `foo' unknown; try LD_DEBUG=help\n")
    }

    /// Options are case-sensitive: `LIBS` is unknown.
    fn option_case_sensitive() -> Run {
        debug("main", "LIBS")
            .expect_exit(Exit::Code(0))
            .expect_stderr_contains("warning: debug option `LIBS' unknown; try LD_DEBUG=help\n")
    }












    /// `unused` outside `ldd -u`: nothing.
    fn unused() -> Run {
        debug("main", "unused").expect_exit(Exit::Code(0))
    }


    /// `unused` without tracing: nothing, even with an unused dependency.
    fn unused_untraced() -> Run {
        debug_unused()
            .expect_exit(Exit::Code(0))
            .expect_stdout("pre1: constructor\nmain: name=libiface where=a\n")
    }


    /// `LD_DEBUGX=libs` is not `LD_DEBUG`: no debug output.
    fn exact_name() -> Run {
        Run::new(path("main"))
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_DEBUGX", "libs")
            .expect_exit(Exit::Code(0))
            .expect_stdout("main: name=libiface where=a\n")
    }
}

// LD_DEBUG_OUTPUT: each loader's run gets its own directory; the files written there are
// compared after the run.

/// A fresh directory for one loader's run of one test.
fn output_dir(test: &str, loader: Loader, way: Way) -> PathBuf {
    let dir = path("debug-output").join(format!("{test}-{way:?}-{loader:?}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files in `dir`, as (name with every digit replaced by `N`, normalized content).
fn files_in(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let name: String = name
                .chars()
                .map(|c| if c.is_ascii_digit() { 'N' } else { c })
                .collect::<String>();
            // Collapse a run of N's into one: pids differ in length.
            let mut short = String::new();
            for c in name.chars() {
                if !(c == 'N' && short.ends_with('N')) {
                    short.push(c);
                }
            }
            let text = fs::read(entry.path()).unwrap();
            let text = loader_path(&normalize_pids(&normalize_addresses(&text)));
            (short, String::from_utf8_lossy(&text).into_owned())
        })
        .collect();
    files.sort();
    files
}

/// Runs `main` under both loaders with `LD_DEBUG_OUTPUT=<dir>/dbg` (and `LD_DEBUG=debug`
/// if given), compares the runs and the files each left; returns glibc's outcome and files.
fn debug_output(test: &str, way: Way, debug: Option<&str>) -> (Outcome, Vec<(String, String)>) {
    let mut results = Vec::new();
    for loader in [Loader::Glibc, Loader::LdRs] {
        let dir = output_dir(test, loader, way);
        let mut run = Run::new(path("main"))
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_DEBUG_OUTPUT", dir.join("dbg"));
        if let Some(value) = debug {
            run = run.env("LD_DEBUG", value);
        }
        let out = run.run(loader, way);
        results.push((out, files_in(&dir)));
    }
    let (ldrs, ldrs_files) = results.pop().unwrap();
    let (glibc, glibc_files) = results.pop().unwrap();
    let same = glibc.exit == ldrs.exit && glibc.stdout == ldrs.stdout && glibc.stderr == ldrs.stderr;
    if !same || glibc_files != ldrs_files {
        panic!(
            "ld-rs differs from glibc ({way:?} way):\n--- glibc\n{glibc}  files: \
             {glibc_files:#?}\n--- ld-rs\n{ldrs}  files: {ldrs_files:#?}"
        );
    }
    (glibc, glibc_files)
}

/// `LD_DEBUG=libs LD_DEBUG_OUTPUT=FILE`: the output goes to `FILE.PID`, nothing to stderr.
fn debug_output_to_file(way: Way) {
    let (glibc, files) = debug_output("to-file", way, Some("libs"));
    assert_eq!(glibc.exit, Exit::Code(0), "{glibc}");
    assert!(glibc.stderr.is_empty(), "glibc wrote to stderr:\n{glibc}");
    assert_eq!(files.len(), 1, "glibc left {files:?}");
    assert_eq!(files[0].0, "dbg.N", "glibc left {files:?}");
    assert!(
        files[0].1.contains("find library=libiface.so [0]; searching"),
        "{files:?}"
    );
}

/// `LD_DEBUG_OUTPUT` alone does not enable debugging: no file, no debug output.
fn debug_output_alone(way: Way) {
    let (glibc, files) = debug_output("alone", way, None);
    assert_eq!(glibc.stdout_text(), "main: name=libiface where=a\n", "{glibc}");
    assert!(glibc.stderr.is_empty(), "{glibc}");
    assert!(files.is_empty(), "glibc left {files:?}");
}

/// `LD_DEBUG=help` with `LD_DEBUG_OUTPUT`: the help still goes to stdout.
fn debug_output_help(way: Way) {
    let (glibc, files) = debug_output("help", way, Some("help"));
    assert_eq!(glibc.stdout_text(), HELP, "{glibc}");
    assert!(files.is_empty(), "glibc left {files:?}");
}

mod output_to_file {
    use super::*;

    #[test]
    fn explicit() {
        debug_output_to_file(Way::Explicit);
    }

    #[test]
    fn interp() {
        debug_output_to_file(Way::Interp);
    }
}

mod output_alone_does_not_enable {
    use super::*;

    #[test]
    fn explicit() {
        debug_output_alone(Way::Explicit);
    }

    #[test]
    fn interp() {
        debug_output_alone(Way::Interp);
    }
}

mod output_with_help {
    use super::*;

    #[test]
    fn explicit() {
        debug_output_help(Way::Explicit);
    }

    #[test]
    fn interp() {
        debug_output_help(Way::Interp);
    }
}

both_ways! {
    /// `bindings`: one line per symbol binding, at startup and lazily at first calls.
    fn bindings() -> Run {
        debug("main", "bindings").expect_exit(Exit::Code(0))
    }

    /// `bindings` with a preloaded library interposing `iface_name`.
    fn bindings_preload() -> Run {
        debug("main", "bindings")
            .env("LD_PRELOAD", path("libpre1.so"))
            .expect_exit(Exit::Code(0))
    }








    /// Several options, separated by commas, colons and spaces.
    fn several_options() -> Run {
        debug("main", "versions,scopes:reloc statistics")
            .normalize(cycles)
            .expect_exit(Exit::Code(0))
    }

    /// `statistics`: startup time and relocation counts (cycle counts normalized).
    fn statistics() -> Run {
        debug("main", "statistics").normalize(cycles).expect_exit(Exit::Code(0))
    }


}

both_ways! {
    /// `unused` while tracing (what `ldd -u` sets): the direct dependencies no symbol was
    /// bound to are listed, and the status is 1.
    fn unused_traced() -> Run {
        debug_unused()
            .env("LD_TRACE_LOADED_OBJECTS", "1")
            .expect_exit(Exit::Code(1))
    }

    /// `files`: each object's link map (dynamic, base, size, entry, phdr, phnum), who
    /// needed it, and the initializer/finalizer lines.
    fn files() -> Run {
        debug("main", "files").expect_exit(Exit::Code(0))
    }

    /// `reloc`: each object's relocation processing (lazy or not).
    fn reloc() -> Run {
        debug("main", "reloc").expect_exit(Exit::Code(0))
    }

    /// `reloc` with `LD_BIND_NOW`: no "(lazy)".
    fn reloc_bind_now() -> Run {
        debug("main", "reloc").env("LD_BIND_NOW", "1").expect_exit(Exit::Code(0))
    }

    /// `scopes`: each object's lookup scopes.
    fn scopes() -> Run {
        debug("main", "scopes").expect_exit(Exit::Code(0))
    }

    /// `versions`: each version requirement checked.
    fn versions() -> Run {
        debug("main", "versions").expect_exit(Exit::Code(0))
    }

    /// `libs`: each library search (search paths with their hwcaps subdirectories, each file
    /// tried, the cache), then the initializers and finalizers called, and the transfer of
    /// control.
    fn libs() -> Run {
        debug("main", "libs").expect_exit(Exit::Code(0))
    }

    /// `libs` for a library found nowhere: the whole search, then the error.
    fn libs_missing_library() -> Run {
        Run::new(path("main"))
            .env("LD_DEBUG", "libs")
            .normalize_addresses()
            .normalize(normalize_pids)
            .normalize(loader_path)
            .expect_exit(Exit::Code(127))
    }

    /// `libs` for a library found through the program's own DT_RUNPATH: the list is said to
    /// come from the program, named by its `argv[0]` (`(RUNPATH from file PROGRAM)`).
    fn libs_program_runpath() -> Run {
        Run::new(path("main_abs"))
            .env("LD_DEBUG", "libs")
            .normalize_addresses()
            .normalize(normalize_pids)
            .normalize(loader_path)
            .expect_exit(Exit::Code(0))
    }

    /// Likewise through the program's DT_RPATH (`(RPATH from file PROGRAM)`).
    fn libs_program_rpath() -> Run {
        debug("main_rpath", "libs").expect_exit(Exit::Code(0))
    }

    /// `libs` for a library found through another library's DT_RPATH
    /// (`(RPATH from file …)`).
    fn libs_rpath() -> Run {
        debug("main_mid", "libs")
            .env("LD_LIBRARY_PATH", format!("{}:{}", path("mid").display(), path("a").display()))
            .expect_exit(Exit::Code(0))
    }
}
