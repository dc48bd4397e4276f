//! `LD_RS_EXPLAIN`, ld-rs's own advice after a fatal loader error.  glibc has
//! no such output, so each test checks two things: ld-rs's first stderr line
//! is exactly glibc's whole stderr (glibc run without the variable), and the
//! `ld-rs:` lines that follow are exactly the advice expected, with the
//! fixture directory written `$FIXTURES`.  Without the variable, ld-rs's
//! run must be glibc's byte for byte.

use ld_rs_tests::elf::{patch_copy, EI_CLASS};
use ld_rs_tests::{fixtures, install_root_copy, need_root, Exit, Loader, Run, Way};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// Runs `run` under glibc as it is and under ld-rs with `LD_RS_EXPLAIN=1`,
/// both ways; checks the exit status, glibc's line, and the advice.
fn check(run: Run, exit: Exit, advice: &str) {
    let fixtures = fixtures::explain().dir().display().to_string();
    for way in [Way::Explicit, Way::Interp] {
        let glibc = run.run(Loader::Glibc, way);
        let ldrs = run.clone().env("LD_RS_EXPLAIN", "1").run(Loader::LdRs, way);
        assert_eq!(glibc.exit, exit, "glibc ({way:?}):\n{glibc}");
        assert_eq!(ldrs.exit, exit, "ld-rs ({way:?}):\n{ldrs}");
        assert_eq!(ldrs.stdout, glibc.stdout, "stdout ({way:?}):\n{glibc}{ldrs}");
        let stderr = ldrs.stderr_text();
        let glibc_err = glibc.stderr_text();
        assert!(
            stderr.starts_with(&glibc_err),
            "ld-rs's stderr must start with glibc's ({way:?}):\n{glibc}{ldrs}"
        );
        let rest = stderr[glibc_err.len()..].replace(&fixtures, "$FIXTURES");
        assert_eq!(rest, advice, "the advice ({way:?}):\n{ldrs}");
    }
}

/// A library found only through the program's RUNPATH, needed by a library
/// without one: the search, and where the file is.
#[test]
fn missing_library_needed_by_a_library() {
    let built = fixtures::explain();
    let run = Run::new(built.path("main")).env("LD_LIBRARY_PATH", built.path("env"));
    check(
        run,
        Exit::Code(127),
        "ld-rs: libleaf.so is needed by $FIXTURES/lib/libmid.so\n\
         ld-rs: searched, in order:\n\
         ld-rs:   $FIXTURES/env (LD_LIBRARY_PATH; no such directory)\n\
         ld-rs:   /etc/ld.so.cache (no entry for libleaf.so)\n\
         ld-rs:   /lib/x86_64-linux-gnu (system directory)\n\
         ld-rs:   /usr/lib/x86_64-linux-gnu (system directory)\n\
         ld-rs:   /lib (system directory)\n\
         ld-rs:   /usr/lib (system directory)\n\
         ld-rs: a file of that name is in $FIXTURES/lib, which is on the RUNPATH of the program \
         ($FIXTURES/main) but was not searched: a DT_RUNPATH applies only to the DT_NEEDED \
         entries of the object that has it\n",
    );
}

/// A library the program needs, with an RPATH directory that does not exist.
#[test]
fn missing_library_needed_by_the_program() {
    let built = fixtures::explain();
    check(
        Run::new(built.path("main_rpath")),
        Exit::Code(127),
        "ld-rs: libmid.so is needed by the program ($FIXTURES/main_rpath)\n\
         ld-rs: searched, in order:\n\
         ld-rs:   $FIXTURES/nowhere (RPATH of the program ($FIXTURES/main_rpath); no such directory)\n\
         ld-rs:   /etc/ld.so.cache (no entry for libmid.so)\n\
         ld-rs:   /lib/x86_64-linux-gnu (system directory)\n\
         ld-rs:   /usr/lib/x86_64-linux-gnu (system directory)\n\
         ld-rs:   /lib (system directory)\n\
         ld-rs:   /usr/lib (system directory)\n",
    );
}

/// A version named like glibc's, newer than the newest the library has.
#[test]
fn missing_glibc_version() {
    let built = fixtures::explain();
    let run = Run::new(built.path("main_fakec")).env("LD_LIBRARY_PATH", built.path("old"));
    check(
        run,
        Exit::Code(1),
        "ld-rs: $FIXTURES/old/libfakec.so provides GLIBC_2.2.5, GLIBC_2.34, GLIBC_2.36, GLIBC_PRIVATE\n\
         ld-rs: $FIXTURES/main_fakec was built against a newer glibc (GLIBC_2.38) than this \
         system has (GLIBC_2.36)\n",
    );
}

/// Any other missing version: what the library provides.
#[test]
fn missing_version() {
    let built = fixtures::versions();
    let run = Run::new(built.path("main_bar")).env("LD_LIBRARY_PATH", built.dir());
    let dir = built.dir().display().to_string();
    for way in [Way::Explicit, Way::Interp] {
        let glibc = run.run(Loader::Glibc, way);
        let ldrs = run.clone().env("LD_RS_EXPLAIN", "1").run(Loader::LdRs, way);
        assert_eq!((glibc.exit, ldrs.exit), (Exit::Code(1), Exit::Code(1)), "{glibc}{ldrs}");
        let expected = format!("{}ld-rs: {dir}/libver.so provides V1, V2\n", glibc.stderr_text());
        assert_eq!(ldrs.stderr_text(), expected, "({way:?})");
    }
}

/// The path `ldconfig -p` gives for an x86-64 library (the cache as glibc's
/// own tool reads it).
fn cached_path(soname: &str) -> String {
    let out = Command::new("/sbin/ldconfig")
        .arg("-p")
        .output()
        .expect("ldconfig runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let (left, path) = l.trim().split_once(" => ")?;
            (left.starts_with(&format!("{soname} (")) && left.contains("x86-64")).then(|| path.to_string())
        })
        .unwrap_or_else(|| panic!("{soname} is not in /etc/ld.so.cache"))
}

/// An undefined symbol that a library in the cache defines.
#[test]
fn undefined_symbol() {
    let built = fixtures::explain();
    let run = Run::new(built.path("main_zlib")).env("LD_LIBRARY_PATH", built.dir());
    let advice = format!(
        "ld-rs: searched, in order: $FIXTURES/main_zlib $FIXTURES/libzstub.so\n\
         ld-rs: libz.so.1 ({}) defines it; is it missing from DT_NEEDED?\n",
        cached_path("libz.so.1")
    );
    check(run, Exit::Code(127), &advice);
}

/// Without the variable (or with a longer name), stderr is exactly glibc's.
#[test]
fn unset_is_glibc() {
    let built = fixtures::explain();
    let runs = [
        Run::new(built.path("main")).env("LD_LIBRARY_PATH", built.path("env")),
        Run::new(built.path("main_rpath")).env("LD_RS_EXPLAIN_X", "1"),
        Run::new(built.path("main_fakec")).env("LD_LIBRARY_PATH", built.path("old")),
        Run::new(built.path("main_zlib")).env("LD_LIBRARY_PATH", built.dir()),
    ];
    for run in runs {
        for way in [Way::Explicit, Way::Interp] {
            run.compare(way);
        }
    }
}

/// An undefined function found at its first call (lazy binding): the advice
/// comes after what the program printed before the call.
#[test]
fn undefined_symbol_lazy() {
    let built = fixtures::greet();
    let run = Run::new(built.path("main_extra_lazy")).env("LD_LIBRARY_PATH", built.dir());
    let dir = built.dir().display().to_string();
    for way in [Way::Explicit, Way::Interp] {
        let glibc = run.run(Loader::Glibc, way);
        let ldrs = run.clone().env("LD_RS_EXPLAIN", "1").run(Loader::LdRs, way);
        assert_eq!(
            (glibc.exit, ldrs.exit),
            (Exit::Code(127), Exit::Code(127)),
            "{glibc}{ldrs}"
        );
        assert_eq!(ldrs.stdout, glibc.stdout, "{glibc}{ldrs}");
        let expected = format!(
            "{}ld-rs: searched, in order: {dir}/main_extra_lazy {dir}/libgreet.so\n\
             ld-rs: no library in /etc/ld.so.cache defines it\n",
            glibc.stderr_text()
        );
        assert_eq!(ldrs.stderr_text(), expected, "({way:?})");
    }
}

/// In secure mode the variable is ignored: a set-user-ID-root copy of
/// `main_rpath` run as nobody with `LD_RS_EXPLAIN=1` prints glibc's line
/// alone.  Needs root (to make the set-user-ID-root copy).
#[test]
fn ignored_in_secure_mode() {
    if !need_root("to make a set-user-ID-root program and run it as nobody") {
        return;
    }
    let built = fixtures::explain();
    let dir = built.path("secure");
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("main_rpath");
    let mut results = Vec::new();
    for loader in [Loader::Glibc, Loader::LdRs] {
        install_root_copy(&built.path("main_rpath"), loader, &copy, 0o4755);
        let out = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/env",
                "-i",
                "LD_RS_EXPLAIN=1",
            ])
            .arg(&copy)
            .output()
            .expect("setpriv runs");
        let _ = fs::remove_file(&copy);
        results.push((out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    assert_eq!(results[0].0, Some(127), "glibc: {:?}", results[0]);
    assert!(
        results[0].1.contains("libmid.so: cannot open shared object file"),
        "glibc: {:?}",
        results[0]
    );
    assert_eq!(results[1], results[0], "ld-rs (second) against glibc (first)");
}

/// Only a 32-bit file of that name (glibc's "wrong ELF class"): the search,
/// and the file it could not use.
#[test]
fn only_a_32_bit_library() {
    let greet = fixtures::greet();
    let dir = fixtures::explain().path("class32");
    fs::create_dir_all(&dir).unwrap();
    patch_copy(
        &greet.path("libgreet.so"),
        &dir.join("libgreet.so"),
        &[(EI_CLASS, &[1])],
    );
    let run = Run::new(greet.path("main")).env("LD_LIBRARY_PATH", &dir);
    let advice = format!(
        "ld-rs: libgreet.so is needed by the program ({main})\n\
         ld-rs: searched, in order:\n\
         ld-rs:   $FIXTURES/class32 (LD_LIBRARY_PATH)\n\
         ld-rs:   /etc/ld.so.cache (no entry for libgreet.so)\n\
         ld-rs:   /lib/x86_64-linux-gnu (system directory)\n\
         ld-rs:   /usr/lib/x86_64-linux-gnu (system directory)\n\
         ld-rs:   /lib (system directory)\n\
         ld-rs:   /usr/lib (system directory)\n\
         ld-rs: found $FIXTURES/class32/libgreet.so, but it is a 32-bit object (ELFCLASS32)\n",
        main = greet.path("main").display()
    );
    check(run, Exit::Code(127), &advice);
}
