//! The system's `ldd` script with ld-rs as the loader.
//!
//! `/usr/bin/ldd` never reads the program's `PT_INTERP`: it tries each loader of its
//! `RTLDLIST` (`/lib/ld-linux.so.2 /lib64/ld-linux-x86-64.so.2 /libx32/…`), keeps the first
//! that runs `--version` successfully and whose `--verify PROGRAM` exits 0 or 2, then runs
//! `LD_TRACE_LOADED_OBJECTS=1 LD_WARN=… LD_BIND_NOW=… LD_LIBRARY_VERSION=… LD_VERBOSE=…
//! LOADER PROGRAM` (the explicit way). Running ldd on a copy of the program patched to name
//! ld-rs would therefore test glibc's loader only. Two setups make ld-rs the loader ldd
//! runs:
//!
//! - [`Way::SystemWide`]: ld-rs bind-mounted over `/lib64/ld-linux-x86-64.so.2` in a private
//!   mount namespace, so ldd (and the bash running it) find ld-rs under glibc's name;
//! - copies of the script whose `RTLDLIST` names one loader (`ldd-rtld/glibc/ldd` naming
//!   glibc's, `ldd-rtld/ld-rs/ldd` naming ld-rs), both run by the system's bash and glibc, so
//!   that only the traced program runs under the loader being compared.
//!
//! Addresses are normalized; in the second setup ld-rs's path is normalized to glibc's.

use ld_rs_tests::{fixtures, Exit, Loader, Outcome, Run, Way, GLIBC_LOADER};
use std::fs;
use std::path::{Path, PathBuf};

const LDD: &str = "/usr/bin/ldd";

/// A path in the `iface_basic` output directory.
fn path(name: &str) -> PathBuf {
    fixtures::iface_basic().path(name)
}

/// The `LD_LIBRARY_PATH` of every ldd run: `a/`, the top and `mid/` of `iface_basic`, and
/// the `greet` case.
fn library_path() -> String {
    format!(
        "{}:{}:{}:{}",
        path("a").display(),
        path("").display(),
        path("mid").display(),
        fixtures::greet().dir().display()
    )
}

/// `ldd ARGS… PROGRAM` with [`library_path`].
fn ldd(args: &[&str], program: &Path) -> Run {
    let mut run = Run::new(LDD);
    for arg in args {
        run = run.arg(arg);
    }
    run.arg(program)
        .env("LD_LIBRARY_PATH", library_path())
        .normalize_addresses()
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

/// The copy of `/usr/bin/ldd` whose `RTLDLIST` names only `loader`'s file.
fn ldd_copy(loader: Loader) -> PathBuf {
    let (sub, rtld) = match loader {
        Loader::Glibc => ("glibc", PathBuf::from(GLIBC_LOADER)),
        Loader::LdRs => ("ld-rs", ld_rs_tests::ld_rs()),
    };
    let script = fs::read_to_string(LDD).expect("the system has /usr/bin/ldd");
    let line = script
        .lines()
        .find(|l| l.starts_with("RTLDLIST="))
        .expect("ldd sets RTLDLIST");
    let patched = script.replace(line, &format!("RTLDLIST=\"{}\"", rtld.display()));
    let dir = path("ldd-rtld").join(sub);
    fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("ldd");
    let tmp = dir.join(format!("ldd.tmp{}", std::process::id()));
    fs::write(&tmp, patched).unwrap();
    let mut perms = fs::metadata(&tmp).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&tmp, perms).unwrap();
    fs::rename(&tmp, &copy).unwrap();
    copy
}

/// Runs `ldd ARGS… PROGRAM` through each loader's `RTLDLIST` copy and compares the two;
/// returns glibc's outcome (normalized).
fn compare_rtldlist(args: &[&str], program: &Path) -> Outcome {
    let mut outs = Vec::new();
    for loader in [Loader::Glibc, Loader::LdRs] {
        let mut run = Run::new(ldd_copy(loader));
        for arg in args {
            run = run.arg(arg);
        }
        let run = run.arg(program).env("LD_LIBRARY_PATH", library_path());
        // Loader::Glibc in the interp way: the script itself, unmodified, run by the kernel
        // (and the system's bash); the loader under comparison is the one its RTLDLIST names.
        let mut out = run.run(Loader::Glibc, Way::Interp);
        out.stdout = loader_path(&ld_rs_tests::run::normalize_addresses(&out.stdout));
        out.stderr = loader_path(&ld_rs_tests::run::normalize_addresses(&out.stderr));
        outs.push(out);
    }
    let ldrs = outs.pop().unwrap();
    let glibc = outs.pop().unwrap();
    if glibc.exit != ldrs.exit || glibc.stdout != ldrs.stdout || glibc.stderr != ldrs.stderr {
        panic!("ldd with ld-rs in RTLDLIST differs from ldd with glibc's:\n--- glibc\n{glibc}--- ld-rs\n{ldrs}");
    }
    glibc
}

/// Declares, for one ldd command, `system_wide` ([`Way::SystemWide`]) and `rtldlist` (the
/// script copies) tests, with a check on glibc's outcome.
macro_rules! ldd_tests {
    ($($(#[$doc:meta])* fn $name:ident($args:expr, $program:expr, $exit:expr);)*) => {$(
        $(#[$doc])*
        mod $name {
            use super::*;

            #[test]
            fn system_wide() {
                if !ld_rs_tests::need_way(Way::SystemWide) {
                    return;
                }
                let glibc = ldd($args, &$program).expect_exit($exit).compare(Way::SystemWide);
                assert!(!glibc.stdout.is_empty() || !glibc.stderr.is_empty(), "{glibc}");
            }

            #[test]
            fn rtldlist() {
                let glibc = compare_rtldlist($args, &$program);
                assert_eq!(glibc.exit, $exit, "glibc's ldd:\n{glibc}");
            }
        }
    )*};
}

ldd_tests! {
    /// `ldd PROGRAM`: the vDSO, libiface.so (from `LD_LIBRARY_PATH`), libc.so.6, the loader.
    fn program(&[], path("main"), Exit::Code(0));

    /// A library found nowhere (`search/main_plain` needs libwhere.so, which is only in
    /// `search/env/`): `libwhere.so => not found`, status 0.
    fn missing_library(&[], fixtures::search().path("main_plain"), Exit::Code(0));

    /// A dependency's DT_RPATH (libmid.so's `$ORIGIN/../b`, searched before
    /// `LD_LIBRARY_PATH`, so libiface.so comes from `b/`).
    fn library_rpath(&[], path("main_mid"), Exit::Code(0));

    /// A shared library (`--verify` says 2): its dependencies.
    fn shared_library(&[], path("libpre1.so"), Exit::Code(0));

    /// A static program (`--verify` says 1): "not a dynamic executable", status 1.
    fn static_program(&[], path("static"), Exit::Code(1));

    /// `ldd -v`: with the version information.
    fn verbose(&["-v"], path("main"), Exit::Code(0));

    /// `ldd -u`: the unused direct dependency (libpre1.so), status 1.
    fn unused(&["-u"], path("main_unused"), Exit::Code(1));

    /// `ldd -r` on a program with an undefined function: reported, status 0.
    fn relocations(&["-r"], fixtures::greet().path("main_extra_lazy"), Exit::Code(0));

    /// `ldd -d` on the same program: only data relocations are checked.
    fn data_relocations(&["-d"], fixtures::greet().path("main_extra_lazy"), Exit::Code(0));
}
