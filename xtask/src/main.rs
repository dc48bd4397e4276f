//! `cargo xtask`: the project's developer commands, written in Rust so they need nothing but cargo.
//!
//! The alias in `.cargo/config.toml` turns `cargo xtask ARGS` into `cargo run -p xtask -- ARGS`.
//! Each subcommand is one function below or a module: [`demo`] is the main demo (python3 under
//! ld-rs), [`demo_c`] the first one (a `-nostdlib` C program); [`compare`] runs a program
//! under several loaders and compares the runs; [`bench`] measures ld-rs against glibc's
//! ld.so; [`regrtest`] runs CPython's regression suite under both; [`soak`] loads and unloads
//! libraries for long under both, reporting memory growth; [`cmd`] holds the helpers
//! that run other programs.

mod bench;
mod cmd;
mod compare;
mod conformance;
mod demo;
mod demo_c;
mod fuzz;
mod glibc_layout;
mod glibc_tests;
mod install;
mod prerequisites;
mod regrtest;
mod rootfs;
mod soak;

use std::process::ExitCode;

use cmd::{cargo, Failed};

const USAGE: &str = "\
Usage: cargo xtask [COMMAND]

Commands:
  demo    build ld-rs, run python3 on a demo script under ld-rs and glibc's ld.so, compare
          (the default)
  demo-c  the same with a -nostdlib C program, also started by the kernel as PT_INTERP
  test [--trixie]
          build everything and run every test, and `glibc-layout --check`; --trixie: only
          the Debian 13 themes (the glibc themes again inside Debian 13's root filesystem,
          made first if missing, and python3.13's tests), which `test` will run too once
          ld-rs runs glibc 2.41
  list-sweep [--root SUITE]
          compare ld-rs --list/--verify with glibc's on every ELF file of /usr/bin,
          /usr/sbin, /usr/lib/x86_64-linux-gnu and the Rust toolchain (minutes; report in
          target/conformance/list-sweep.txt); --root trixie: every ELF file of Debian 13's
          root filesystem, inside it, against its glibc 2.41 loader (list-sweep-trixie.txt)
  programs [--root SUITE]
          run 78 real programs system-wide under ld-rs and plainly, compare (needs root;
          report in target/conformance/programs.txt); --root trixie: the same programs of
          Debian 13 (their packages installed into its root filesystem first), inside it,
          against its glibc 2.41 loader (programs-trixie.txt)
  install [--prefix DIR] [--no-build]
          build the linker and the `ld-rs` command and install them as DIR/bin/ld-rs and
          DIR/lib/ld-rs/ld-rs.so (DIR defaults to ~/.local)
  uninstall [--prefix DIR]
          remove what install put there
  deb [--no-build]
          a Debian package of both (/usr/bin/ld-rs, /usr/lib/ld-rs/ld-rs.so), in target/debian
  prerequisites
          check what building, the demo and the tests need; say what is missing
  check   cargo fmt --check and cargo clippy -D warnings
  bench   loader instructions (callgrind) and wall time, ld-rs against glibc's ld.so
          [--quick] [--no-wall] [--pairs N] [--top N]
  regrtest
          CPython 3.11.7's regression suite (pyenv's python3.11 -m test) under glibc's
          ld.so and system-wide under ld-rs, compared testcase by testcase (needs root;
          report in target/regrtest/report.txt); --root trixie: Debian 13's python3.13
          and its libpython3.13-testsuite inside that root filesystem, against glibc 2.41
          [-j N] [--timeout SECS] [--compare-only] [--root SUITE] [--ci | TEST…]
  soak [--cycles N] [--libraries N]
          a process loading and unloading libraries for long, under glibc's ld.so and
          ld-rs: 20,000 dlopen/dlclose cycles of a C++ library with constructors, statics
          and TLS in 1 thread and in 8; 1,000 distinct TLS libraries open at once; VmRSS
          and VmSize growth side by side (report in target/soak/report.txt)
  glibc-tests [--all] [--loader PATH] [--rerun-glibc] [SUBDIR|SUBDIR/TEST]...
          glibc's own test suite (Debian's source for the installed libc6, built once under
          target/glibc) under its freshly built ld.so and under ld-rs, compared test by
          test (default: elf dlfcn; report in target/glibc-tests/report.txt); fails on a
          pass->fail not listed in xtask/glibc-known-failures.txt
  fuzz [TARGET...] [--runs N | --seconds S] [--update-corpus]
          the elf crate's parsers (header, object, cache) under libFuzzer, 1,000,000
          executions each by default; fails on a panic, a hang or a huge allocation
  glibc-layout [--check] ROOT | --register-build GLIBC_BUILD_DIR
          write the Rust table of a glibc build's private layouts (read from ROOT's libc6-dbg
          with gdb) to crates/ld-rs/src/glibc/layouts/; --check compares instead; a glibc
          build tree with the layout of a known table is added to that table
  rootfs SUITE
          a Debian root filesystem (trixie: Debian 13, glibc 2.41) made with debootstrap,
          with python3, libc6-dbg and gcc inside, cached under target/rootfs/SUITE (needs
          root); prints its path
  help    print this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] | ["demo"] => demo::run(),
        ["demo-c"] => demo_c::run(),
        ["test", ref options @ ..] => test(options),
        ["check"] => check(),
        ["prerequisites"] => prerequisites::run(),
        ["install", ref options @ ..] => install::install(options),
        ["uninstall", ref options @ ..] => install::uninstall(options),
        ["deb", ref options @ ..] => install::deb(options),
        ["list-sweep", ref options @ ..] => conformance::list_sweep(options),
        ["programs", ref options @ ..] => conformance::programs(options),
        ["bench", ref options @ ..] => bench::run(options),
        ["regrtest", ref options @ ..] => regrtest::run(options),
        ["soak", ref options @ ..] => soak::run(options),
        ["glibc-tests", ref options @ ..] => glibc_tests::run(options),
        ["fuzz", ref options @ ..] => fuzz::run(options),
        ["glibc-layout", ref options @ ..] => glibc_layout::run(options),
        ["rootfs", ref options @ ..] => rootfs::run(options),
        ["help" | "-h" | "--help"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => {
            eprint!("xtask: unknown command line {args:?}\n\n{USAGE}");
            Err(Failed)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed) => ExitCode::FAILURE,
    }
}

/// The test binaries whose themes also run inside Debian 13's root filesystem
/// (`LD_RS_TESTS_ROOT=trixie`, see tests/src/root.rs): the programs linked with glibc, whose
/// contract with the loader is what changes between releases, the refusal of an unknown
/// build, and `--list-diagnostics`. Their fixtures are built there with trixie's gcc and run
/// under glibc 2.41's loader and ld-rs, in the three ways.
const TRIXIE_THEMES: &[&str] = &[
    "glibc_c",
    "glibc_cxx",
    "glibc_dl",
    "glibc_errors",
    "glibc_ifunc",
    "glibc_threads",
    "tls_lifetime",
    "lifetime",
    "destructors",
    "dlinfo_serinfo",
    "glibc_builds",
    "interface_diagnostics",
    "execstack",
    "search",
    "glibc_tunables",
    "audit",
];

/// Tests of [`TRIXIE_THEMES`] that do not apply inside the root filesystem, and why.
const TRIXIE_LEFT_OUT: &[(&str, &str)] = &[(
    "nss_module_dlopened_by_libc",
    "trixie's minimal base has no NSS module for libc to dlopen (no libnss-systemd; \
     files and dns are built into libc since 2.34)",
)];

/// Whether `cargo xtask test` runs the Debian 13 themes ([`TRIXIE_THEMES`] in the root
/// filesystem) after the Debian 12 run, which then holds python3.13's tests too (they name
/// the root filesystem themselves); `cargo xtask test --trixie` runs both alone.
const TRIXIE_IN_TEST: bool = true;

/// `cargo xtask test [--trixie]`: builds the linker and the front end (the tests run the
/// release build), makes Debian 13's root filesystem if [`TRIXIE_IN_TEST`] and it is missing
/// (`cargo xtask rootfs trixie`, cached under target/: python3.13's tests in the package run
/// there), runs the unit tests and the differential tests of every package, then, if
/// [`TRIXIE_IN_TEST`], the Debian 13 themes ([`trixie_tests`]), all of them even if some
/// fail; ends with one total line, `N passed, M failed` (`, K skipped` when
/// `LD_RS_TESTS_ALLOW_SKIP=1` let tests whose prerequisites are missing pass as skipped: they
/// are not counted as passed, and what they lacked is listed above the total); then checks the
/// generated glibc layout tables against this machine's debug info (and the root filesystem's,
/// when it is there). `--trixie` runs the Debian 13 themes and python3.13's tests alone.
fn test(options: &[&str]) -> Result<(), Failed> {
    let trixie_only = match options {
        [] => false,
        ["--trixie"] => true,
        _ => {
            eprintln!("xtask: usage: cargo xtask test [--trixie]");
            return Err(Failed);
        }
    };
    cargo(&["build", "--release"])?;
    let skips = cmd::target_dir().join("test-skips");
    let _ = std::fs::remove_dir_all(&skips);
    let mut result = Ok(());
    let mut totals = cmd::TestTotals::default();
    let mut trixie = rootfs::made("trixie");
    if trixie_only || TRIXIE_IN_TEST {
        trixie = Some(rootfs::ensure("trixie")?);
    }
    if !trixie_only {
        let (all, all_totals) = cmd::cargo_test(&["test", "--workspace", "--release", "--no-fail-fast"]);
        result = all;
        totals = all_totals;
    }
    let mut in_trixie = 0;
    if trixie_only || TRIXIE_IN_TEST {
        // The Debian 12 run held python3.13's tests already, unless there was none.
        let (themes, theme_totals) = trixie_tests(trixie_only);
        result = result.and(themes);
        in_trixie = theme_totals.passed + theme_totals.failed;
        totals.passed += theme_totals.passed;
        totals.failed += theme_totals.failed;
        totals.ignored += theme_totals.ignored;
    }
    let mut reasons: Vec<String> = std::fs::read_dir(&skips)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            std::fs::read_to_string(entry.path())
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect();
    let skipped = reasons.len();
    let mut line = format!(
        "{} passed, {} failed",
        totals.passed.saturating_sub(skipped),
        totals.failed
    );
    if skipped > 0 {
        reasons.sort();
        println!("skipped ({skipped}, allowed by LD_RS_TESTS_ALLOW_SKIP=1), for want of:");
        let mut rest = &reasons[..];
        while let Some(first) = rest.first() {
            let same = rest.iter().take_while(|r| *r == first).count();
            println!("  {same:>4}  {first}");
            rest = &rest[same..];
        }
        line.push_str(&format!(", {skipped} skipped"));
    }
    if totals.ignored > 0 {
        line.push_str(&format!(", {} ignored", totals.ignored));
    }
    if in_trixie > 0 {
        line.push_str(&format!(" ({in_trixie} of them inside Debian 13's root filesystem)"));
    }
    println!("{line}");
    // The glibc layout table in use, regenerated from this machine's libc6-dbg, must be the
    // committed one (layout.rs pins its structures to that table at compile time); Debian 13's
    // too, from the root filesystem's, where it is there.
    let mut layout = if trixie_only {
        Ok(())
    } else {
        glibc_layout::run(&["--check", "/"])
    };
    if let Some(trixie) = trixie {
        let trixie = trixie.to_string_lossy().into_owned();
        layout = layout.and(glibc_layout::run(&["--check", &trixie]));
    }
    result.and(layout)
}

/// The Debian 13 themes: [`TRIXIE_THEMES`] again inside the root filesystem
/// (`LD_RS_TESTS_ROOT=trixie`, but [`TRIXIE_LEFT_OUT`]), then, with `python`, python's tests
/// of Debian 13's python3.13 (those whose names say trixie).
fn trixie_tests(python: bool) -> (Result<(), Failed>, cmd::TestTotals) {
    let mut args = vec!["test", "--release", "--no-fail-fast", "-p", "ld-rs-tests"];
    for theme in TRIXIE_THEMES {
        args.extend(["--test", theme]);
    }
    args.push("--");
    for (test, why) in TRIXIE_LEFT_OUT {
        println!("xtask: test: in trixie, without {test}: {why}");
        args.extend(["--skip", test]);
    }
    let (themes, mut totals) = cmd::cargo_test_with(&args, &[("LD_RS_TESTS_ROOT", "trixie")]);
    if !python {
        return (themes, totals);
    }
    let python_args = [
        "test",
        "--release",
        "--no-fail-fast",
        "-p",
        "ld-rs-tests",
        "--test",
        "python",
        "--",
        "trixie",
    ];
    let (python, python_totals) = cmd::cargo_test(&python_args);
    totals.passed += python_totals.passed;
    totals.failed += python_totals.failed;
    totals.ignored += python_totals.ignored;
    (themes.and(python), totals)
}

/// `cargo xtask check`: formatting and lints, as a reviewer would ask for them.
fn check() -> Result<(), Failed> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    // The fuzz targets are a workspace of their own (libFuzzer): checked here so a change of
    // the elf crate's interface cannot leave them behind unnoticed until CI fuzzes.
    cargo(&["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--manifest-path",
        "fuzz/Cargo.toml",
        "--all-targets",
        "--target-dir",
        "target/fuzz",
        "--",
        "-D",
        "warnings",
    ])?;
    // The test-only failure-injection build (tests/fail_inject.rs), in the
    // target directory that test builds it in.
    cargo(&[
        "clippy",
        "-p",
        "ld-rs",
        "--features",
        "fail-inject",
        "--target-dir",
        "target/fail-inject",
        "--",
        "-D",
        "warnings",
    ])
}
