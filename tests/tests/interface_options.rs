//! The loader's own command line (`ld.so [OPTION]... PROGRAM [ARGS]...`): `--list`,
//! `--verify`, `--library-path`, `--inhibit-cache`, `--inhibit-rpath`, `--preload`,
//! `--argv0`, and its usage errors. These exist only in the explicit way; the loader's
//! `argv[0]` is `ld.so` under both loaders, so the usage messages that print it compare equal.
//!
//! `--help` and `--version` describe each loader and differ by design: only their exit status
//! and that they print something are compared.

use ld_rs_tests::{fixtures, Exit, Loader, Outcome, Run, Way};
use std::path::PathBuf;

/// A run of one `iface_basic` program, explicitly, with these loader options.
fn basic<const N: usize>(program: &str, options: [&str; N]) -> Run {
    Run::new(fixtures::iface_basic().path(program)).loader_args(options)
}

/// A path in the `iface_basic` output directory.
fn path(name: &str) -> PathBuf {
    fixtures::iface_basic().path(name)
}

/// Directories joined into a search list with `sep`.
fn join(dirs: &[PathBuf], sep: &str) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

fn explicit(run: Run) -> Outcome {
    run.compare(Way::Explicit)
}

// --list

/// `--list` lists the dependencies as `LD_TRACE_LOADED_OBJECTS` does, and exits 0.
#[test]
fn list_prints_dependencies() {
    let glibc = explicit(
        basic("main", ["--list"])
            .env("LD_LIBRARY_PATH", path("a"))
            .normalize_addresses()
            .expect_exit(Exit::Code(0)),
    );
    assert!(glibc.stdout_text().contains("libiface.so => "), "{glibc}");
}

/// `--list` with a library found nowhere: unlike `LD_TRACE_LOADED_OBJECTS` (which prints
/// `=> not found`), glibc reports the load error and exits 127.
#[test]
fn list_missing_library_is_an_error() {
    explicit(
        basic("main", ["--list"])
            .normalize_addresses()
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("libiface.so: cannot open shared object file"),
    );
}

/// `--list` with `--library-path`: the listed paths come from the option.
#[test]
fn list_with_library_path() {
    explicit(
        basic("main", ["--list", "--library-path", path("b").to_str().unwrap()])
            .env("LD_LIBRARY_PATH", path("a"))
            .normalize_addresses()
            .expect_exit(Exit::Code(0)),
    );
}

// --verify

/// `--verify` on a dynamically linked program: status 0, nothing printed.
#[test]
fn verify_dynamic_program() {
    explicit(basic("main", ["--verify"]).expect_exit(Exit::Code(0)).expect_stdout(""));
}

/// `--verify` on a statically linked program: status 1, nothing printed.
#[test]
fn verify_static_program() {
    explicit(
        basic("static", ["--verify"])
            .expect_exit(Exit::Code(1))
            .expect_stdout(""),
    );
}

/// `--verify` on a shared library (ET_DYN without an interpreter): status 2, which `ldd`
/// takes as "dynamic, can be traced".
#[test]
fn verify_shared_library() {
    explicit(
        basic("libpre1.so", ["--verify"])
            .expect_exit(Exit::Code(2))
            .expect_stdout(""),
    );
}

/// `--verify` on a text file: status 1, nothing printed.
#[test]
fn verify_non_elf_file() {
    let text = path("not-elf.txt");
    std::fs::write(&text, "this is not an ELF file\n").unwrap();
    explicit(
        Run::new(text)
            .loader_args(["--verify"])
            .expect_exit(Exit::Code(1))
            .expect_stdout(""),
    );
}

/// A copy of fixture `name` whose `PT_DYNAMIC` has no bytes in the file (`p_filesz` 0), as in
/// the separate debug files `objcopy --only-keep-debug` makes (libc6-dbg's .debug files).
fn without_dynamic_contents(name: &str) -> std::path::PathBuf {
    let mut bytes = std::fs::read(path(name)).unwrap();
    let word = |b: &[u8], at: usize, n: usize| b[at..at + n].iter().rev().fold(0u64, |v, &x| v << 8 | u64::from(x));
    let (phoff, phentsize, phnum) = (
        word(&bytes, 0x20, 8) as usize,
        word(&bytes, 0x36, 2) as usize,
        word(&bytes, 0x38, 2) as usize,
    );
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        if word(&bytes, at, 4) == 2 {
            bytes[at + 0x20..at + 0x28].fill(0);
        }
    }
    let copy = path(&format!("{name}.no-dynamic-contents"));
    std::fs::write(&copy, bytes).unwrap();
    copy
}

/// `--verify` on a shared library whose dynamic section has no contents in the file (a
/// separate debug file): glibc cannot map it ("object file has no dynamic section"), status 1.
#[test]
fn verify_library_without_dynamic_contents() {
    explicit(
        Run::new(without_dynamic_contents("libpre1.so"))
            .loader_args(["--verify"])
            .expect_exit(Exit::Code(1))
            .expect_stdout(""),
    );
}

/// The same for a program (`PT_INTERP`): status 1, not 0.
#[test]
fn verify_program_without_dynamic_contents() {
    explicit(
        Run::new(without_dynamic_contents("main"))
            .loader_args(["--verify"])
            .expect_exit(Exit::Code(1))
            .expect_stdout(""),
    );
}

/// `--verify` on a file that does not exist: status 1, silently.
#[test]
fn verify_missing_file() {
    explicit(
        Run::new(path("does-not-exist"))
            .loader_args(["--verify"])
            .expect_exit(Exit::Code(1))
            .expect_stdout(""),
    );
}

/// `--verify` does not load the program's libraries: a missing one does not matter.
#[test]
fn verify_ignores_missing_libraries() {
    explicit(basic("main", ["--verify"]).expect_exit(Exit::Code(0)));
}

/// Of `--list` and `--verify`, the last one given decides: `--list --verify` verifies.
#[test]
fn verify_after_list_wins() {
    explicit(
        basic("main", ["--list", "--verify"])
            .expect_exit(Exit::Code(0))
            .expect_stdout(""),
    );
}

/// ... and `--verify --list` lists (and fails on the missing library).
#[test]
fn list_after_verify_wins() {
    explicit(
        basic("main", ["--verify", "--list"])
            .normalize_addresses()
            .expect_exit(Exit::Code(127)),
    );
}

// --library-path

/// `--library-path DIR` finds the program's libraries in DIR.
#[test]
fn library_path_option() {
    explicit(
        basic("main", ["--library-path", path("b").to_str().unwrap()])
            .expect_exit(Exit::Code(0))
            .expect_stdout("main: name=libiface where=b\n"),
    );
}

/// `--library-path` replaces `LD_LIBRARY_PATH` (which is not searched at all).
#[test]
fn library_path_option_replaces_environment() {
    explicit(
        basic("main", ["--library-path", path("b").to_str().unwrap()])
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_stdout("main: name=libiface where=b\n"),
    );
}

/// `--library-path` with a list: the first directory holding the library wins; a missing
/// directory is skipped.
#[test]
fn library_path_option_list() {
    let list = join(&[path("nope"), path("a"), path("b")], ":");
    explicit(basic("main", ["--library-path", &list]).expect_stdout("main: name=libiface where=a\n"));
}

/// `--library-path` as the last argument, with no value: glibc calls it unrecognized.
#[test]
fn library_path_without_value() {
    explicit(
        Run::new("unused")
            .without_program()
            .loader_args(["--library-path"])
            .expect_exit(Exit::Code(1))
            .expect_stderr_contains("unrecognized option '--library-path'"),
    );
}

// --inhibit-cache

/// `--inhibit-cache`: libc.so.6 is still found (in the default directories) and the
/// program runs as usual.
#[test]
fn inhibit_cache_runs() {
    explicit(
        basic("main", ["--inhibit-cache"])
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_exit(Exit::Code(0))
            .expect_stdout("main: name=libiface where=a\n"),
    );
}

/// `--inhibit-cache --list`: the paths found without the cache.
#[test]
fn inhibit_cache_list() {
    explicit(
        basic("main", ["--inhibit-cache", "--list"])
            .env("LD_LIBRARY_PATH", path("a"))
            .normalize_addresses()
            .expect_exit(Exit::Code(0)),
    );
}

// --inhibit-rpath

/// The baseline of the `--inhibit-rpath` tests: libmid.so's DT_RPATH (`$ORIGIN/../b`) is
/// searched before `LD_LIBRARY_PATH` (`mid/:a/`).
#[test]
fn inhibit_rpath_baseline() {
    explicit(
        Run::new(path("main_mid"))
            .env("LD_LIBRARY_PATH", join(&[path("mid"), path("a")], ":"))
            .expect_stdout("mid: name=libiface where=b\n"),
    );
}

/// `--inhibit-rpath` naming libmid.so by the path it was loaded from: its RPATH is ignored,
/// and libiface.so comes from `LD_LIBRARY_PATH`.
#[test]
fn inhibit_rpath_library() {
    let libmid = path("mid/libmid.so");
    explicit(
        basic("main_mid", ["--inhibit-rpath", libmid.to_str().unwrap()])
            .env("LD_LIBRARY_PATH", join(&[path("mid"), path("a")], ":"))
            .expect_stdout("mid: name=libiface where=a\n"),
    );
}

/// `--inhibit-rpath` with a colon-separated list holding the path among other names.
#[test]
fn inhibit_rpath_list() {
    let list = format!("libfoo.so:{}:libbar.so", path("mid/libmid.so").display());
    explicit(
        basic("main_mid", ["--inhibit-rpath", &list])
            .env("LD_LIBRARY_PATH", join(&[path("mid"), path("a")], ":"))
            .expect_stdout("mid: name=libiface where=a\n"),
    );
}

/// Names are compared with the object's name (the path it was loaded from), not its soname:
/// `--inhibit-rpath libmid.so` leaves the RPATH in force.
#[test]
fn inhibit_rpath_soname_does_not_match() {
    explicit(
        basic("main_mid", ["--inhibit-rpath", "libmid.so"])
            .env("LD_LIBRARY_PATH", join(&[path("mid"), path("a")], ":"))
            .expect_stdout("mid: name=libiface where=b\n"),
    );
}

/// The program's own name is empty for `--inhibit-rpath`: naming its path does not inhibit
/// its DT_RPATH (`$ORIGIN/b`)...
#[test]
fn inhibit_rpath_program_path_does_not_match() {
    let program = path("main_rpath");
    explicit(
        basic("main_rpath", ["--inhibit-rpath", program.to_str().unwrap()])
            .expect_stdout("main: name=libiface where=b\n"),
    );
}

/// ... while an empty list (which matches the empty name) does: libiface.so is then found
/// nowhere.
#[test]
fn inhibit_rpath_empty_name_matches_program() {
    explicit(
        basic("main_rpath", ["--inhibit-rpath", ""])
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("libiface.so: cannot open shared object file"),
    );
}

// --preload

/// `--preload` with a space-separated list: both are loaded before the program's
/// libraries; the first one's `iface_name` interposes; constructors run last-loaded first.
#[test]
fn preload_option_space_separated() {
    let list = format!("{} {}", path("libpre1.so").display(), path("libpre2.so").display());
    explicit(
        basic("main", ["--preload", &list])
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_stdout("pre2: constructor\npre1: constructor\nmain: name=pre1 where=a\n"),
    );
}

/// `--preload` with a colon-separated list.
#[test]
fn preload_option_colon_separated() {
    let list = format!("{}:{}", path("libpre2.so").display(), path("libpre1.so").display());
    explicit(
        basic("main", ["--preload", &list])
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_stdout("pre1: constructor\npre2: constructor\nmain: name=pre2 where=a\n"),
    );
}

/// `--preload` with a bare name: searched like a DT_NEEDED entry (here via
/// `LD_LIBRARY_PATH`).
#[test]
fn preload_option_by_name() {
    explicit(
        basic("main", ["--preload", "libpre2.so"])
            .env("LD_LIBRARY_PATH", join(&[path("a"), path("")], ":"))
            .expect_stdout("pre2: constructor\nmain: name=pre2 where=a\n"),
    );
}

/// A `--preload` object found nowhere: a warning naming the option, then the program runs.
#[test]
fn preload_option_missing() {
    explicit(
        basic("main", ["--preload", "libnope.so"])
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_exit(Exit::Code(0))
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains(
                "ERROR: ld.so: object 'libnope.so' from --preload cannot be preloaded (cannot \
                 open shared object file): ignored.\n",
            ),
    );
}

/// `LD_PRELOAD` and `--preload` together: the variable's objects come first.
#[test]
fn preload_option_after_environment() {
    explicit(
        basic("main", ["--preload", path("libpre2.so").to_str().unwrap()])
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_PRELOAD", path("libpre1.so"))
            .expect_stdout("pre2: constructor\npre1: constructor\nmain: name=pre1 where=a\n"),
    );
}

// --argv0

/// Without `--argv0`, the program's `argv[0]` is its path as given to the loader.
#[test]
fn argv0_default_is_program_path() {
    let program = path("main");
    explicit(
        basic("main", [])
            .arg("argv0")
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_stdout(&format!(
                "main: argv[0]={}\nmain: name=libiface where=a\n",
                program.display()
            )),
    );
}

/// `--argv0 STRING` sets the program's `argv[0]`.
#[test]
fn argv0_option() {
    explicit(
        basic("main", ["--argv0", "renamed"])
            .arg("argv0")
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_stdout("main: argv[0]=renamed\nmain: name=libiface where=a\n"),
    );
}

/// `--argv0` also renames the program in the loader's own messages.
#[test]
fn argv0_option_in_load_error() {
    explicit(
        basic("main", ["--argv0", "renamed"])
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("renamed: error while loading shared libraries: libiface.so"),
    );
}

// Usage errors

/// An unknown option: glibc's two-line message and status 1.
#[test]
fn unknown_option() {
    explicit(
        basic("main", ["--frobnicate"])
            .expect_exit(Exit::Code(1))
            .expect_stdout("")
            .expect_stderr_contains(
                "ld.so: unrecognized option '--frobnicate'\nTry 'ld.so --help' for more \
                 information.\n",
            ),
    );
}

/// `--` is not an end-of-options marker for ld.so: it is an unrecognized option.
#[test]
fn double_dash_is_unrecognized() {
    explicit(
        basic("main", ["--"])
            .expect_exit(Exit::Code(1))
            .expect_stderr_contains("ld.so: unrecognized option '--'\n"),
    );
}

/// No program at all: glibc's two-line message and status 1.
#[test]
fn no_program() {
    explicit(
        Run::new("unused")
            .without_program()
            .expect_exit(Exit::Code(1))
            .expect_stdout("")
            .expect_stderr_contains("ld.so: missing program name\nTry 'ld.so --help' for more information.\n"),
    );
}

/// Options but no program.
#[test]
fn options_without_program() {
    explicit(
        Run::new("unused")
            .without_program()
            .loader_args(["--list"])
            .expect_exit(Exit::Code(1))
            .expect_stderr_contains("ld.so: missing program name\n"),
    );
}

/// An option after the program belongs to the program: the loader runs it normally.
#[test]
fn options_after_program_are_the_programs() {
    explicit(
        basic("main", [])
            .arg("--list")
            .env("LD_LIBRARY_PATH", path("a"))
            .expect_exit(Exit::Code(0))
            .expect_stdout("main: name=libiface where=a\n"),
    );
}

// --help, --version: compared loosely.

/// Runs `ld.so OPTION` under both loaders; both must exit 0 and print something on stdout.
fn informational(option: &str) {
    let run = Run::new("unused").without_program().loader_args([option]);
    for loader in [Loader::Glibc, Loader::LdRs] {
        let out = run.run(loader, Way::Explicit);
        assert!(
            out.exit == Exit::Code(0) && !out.stdout.is_empty(),
            "{loader:?}: `ld.so {option}` must exit 0 and print on stdout:\n{out}"
        );
    }
}

/// `--help`: status 0, text on stdout.
#[test]
fn help_option() {
    informational("--help");
}

/// `--version`: status 0, text on stdout.
#[test]
fn version_option() {
    informational("--version");
}

// A program named without a slash

/// `ld.so main` in the directory that holds `main`: glibc does not take it from the current
/// directory. It looks the name up as a library before its search paths exist, so only
/// `/etc/ld.so.cache` could name it; not found, it fails with 127 and no error number.
#[test]
fn program_without_slash_is_not_taken_from_the_current_directory() {
    explicit(
        Run::new("main")
            .loader_args(["main"])
            .without_program()
            .current_dir(path("."))
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("main: cannot open shared object file\n"),
    );
}

/// Nor from `LD_LIBRARY_PATH` or `--library-path`, which are not set up yet.
#[test]
fn program_without_slash_is_not_taken_from_the_library_path() {
    explicit(
        Run::new("main")
            .loader_args(["--library-path", path(".").to_str().expect("a UTF-8 path"), "main"])
            .env("LD_LIBRARY_PATH", path("."))
            .without_program()
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("main: cannot open shared object file\n"),
    );
}

/// A name the cache knows runs: `ld.so libc.so.6` is libc's own banner.
#[test]
fn program_without_slash_is_found_in_the_cache() {
    explicit(
        Run::new("libc.so.6")
            .loader_args(["libc.so.6"])
            .without_program()
            .expect_exit(Exit::Code(0)),
    );
}

/// With `--inhibit-cache` nothing can name it; `LD_DEBUG=libs` shows the one search made.
#[test]
fn program_without_slash_search_traced() {
    explicit(
        Run::new("libc.so.6")
            .loader_args(["--inhibit-cache", "libc.so.6"])
            .env("LD_DEBUG", "libs")
            .without_program()
            .normalize(ld_rs_tests::run::normalize_pids)
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("find library=libc.so.6 [0]; searching\n"),
    );
}

// --list-tunables

/// `--list-tunables` (glibc's elf/tst-rtld-list-tunables): every tunable with its value and
/// bounds, in glibc's table order, then exit 0. The cache sizes and thresholds and their
/// bounds are the CPU's, as glibc computes them at start-up.
#[test]
fn list_tunables() {
    let glibc = explicit(
        Run::new("unused")
            .loader_args(["--list-tunables"])
            .without_program()
            .expect_exit(Exit::Code(0)),
    );
    assert!(glibc
        .stdout_text()
        .contains("glibc.rtld.nns: 0x4 (min: 0x1, max: 0x10)\n"));
    assert!(glibc.stdout_text().contains("glibc.malloc.check: 0 (min: 0, max: 3)\n"));
}

/// Values set through `GLIBC_TUNABLES` and an alias (`MALLOC_ARENA_MAX`) are shown; one out
/// of bounds is not taken; a string tunable shows its value.
#[test]
fn list_tunables_shows_values_set() {
    let glibc = explicit(
        Run::new("unused")
            .loader_args(["--list-tunables"])
            .env(
                "GLIBC_TUNABLES",
                "glibc.malloc.check=2:glibc.malloc.perturb=999:glibc.cpu.x86_rep_movsb_threshold=4096:glibc.cpu.hwcaps=-AVX512F",
            )
            .env("MALLOC_ARENA_MAX", "3")
            .without_program()
            .expect_exit(Exit::Code(0)),
    );
    assert!(glibc.stdout_text().contains("glibc.malloc.check: 2 (min: 0, max: 3)\n"));
    assert!(glibc.stdout_text().contains("glibc.malloc.arena_max: 0x3 "));
}

/// With a program after it, the list is printed and the program is not run; a later mode
/// option (`--list`) replaces it.
#[test]
fn list_tunables_with_a_program_does_not_run_it() {
    let glibc = explicit(basic("main", ["--list-tunables"]).expect_exit(Exit::Code(0)));
    assert!(!glibc.stdout_text().contains("main:"));
    let glibc = explicit(
        basic("main", ["--list-tunables", "--list"])
            .env("LD_LIBRARY_PATH", path("a"))
            .normalize_addresses()
            .expect_exit(Exit::Code(0)),
    );
    assert!(glibc.stdout_text().contains("libiface.so => "));
}

// --help

/// `--help` under both loaders: ld-rs prints glibc's text exactly (its usage line names the
/// loader as invoked; the search path; the glibc-hwcaps and legacy subdirectories as this
/// CPU supports them), then only its own additions, which name its own option and variables.
fn help_compared(run: Run) {
    let glibc = run.run(Loader::Glibc, Way::Explicit);
    let ldrs = run.run(Loader::LdRs, Way::Explicit);
    assert_eq!(glibc.exit, Exit::Code(0), "{glibc}");
    assert!(glibc.stdout_text().contains("\nLegacy HWCAP subdirectories"), "{glibc}");
    assert_eq!(ldrs.exit, glibc.exit, "{ldrs}");
    assert_eq!(ldrs.stderr, glibc.stderr, "{ldrs}");
    let (g, l) = (glibc.stdout_text(), ldrs.stdout_text());
    let Some(added) = l.strip_prefix(g.as_str()) else {
        panic!("ld-rs's --help does not start with glibc's:\n--- glibc\n{glibc}--- ld-rs\n{ldrs}");
    };
    for own in ["--tree", "LD_RS_TREE", "LD_RS_EXPLAIN"] {
        assert!(added.contains(own), "ld-rs's additions do not mention {own}:\n{added}");
    }
}

/// `ld.so --help`.
#[test]
fn help_text() {
    help_compared(Run::new("unused").loader_args(["--help"]).without_program());
}

/// Invoked by another name, the usage line names it.
#[test]
fn help_names_the_loader_as_invoked() {
    let run = Run::new("unused").loader_args(["--help"]).without_program();
    let ldrs = run.run(Loader::LdRs, Way::Explicit);
    assert!(ldrs.stdout_text().starts_with("Usage: ld.so [OPTION]..."), "{ldrs}");
}

/// The hwcaps options (before or after `--help`) and `LD_LIBRARY_PATH` change the text.
#[test]
fn help_with_hwcaps_options_and_library_path() {
    help_compared(
        Run::new("unused")
            .loader_args([
                "--glibc-hwcaps-prepend",
                "mine:other",
                "--help",
                "--glibc-hwcaps-mask",
                "x86-64-v2",
            ])
            .env(
                "LD_LIBRARY_PATH",
                format!("{}:/lib/x86_64-linux-gnu::", path("a").display()),
            )
            .without_program(),
    );
}

/// With a program named after it, glibc maps it and shows its `DT_RUNPATH` too (the program
/// is not run); a program that cannot be mapped is left out.
#[test]
fn help_with_a_program() {
    help_compared(basic("main_abs", ["--help"]));
    help_compared(basic("main_rpath", ["--help"]));
    help_compared(Run::new("/nonexistent").loader_args(["--help"]));
}
