//! Secure mode (`AT_SECURE`): a set-user-ID program run by an unprivileged user.
//!
//! Each test copies an `iface_basic` program into its own directory under the case's output
//! directory (every component of which is traversable by others), owned by root and mode
//! 4755, or 0755 for the "plain" twin; glibc's copy keeps glibc's `PT_INTERP`, ld-rs's is
//! patched to name ld-rs. The copy for glibc is run first, then replaced (at the same path,
//! so messages that name the program compare equal) by ld-rs's; each copy is removed
//! after its run. Each run is
//! `setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/env -i VARS… PROGRAM`: the
//! variables are set by `env`, after the change of user, so that only the program (and not
//! setpriv, which runs as root) sees them.
//!
//! In secure mode glibc ignores `LD_LIBRARY_PATH`, preloads only bare names found in the
//! system directories that are themselves set-user-ID, ignores `LD_SHOW_AUXV`, `LD_DEBUG`
//! (without `/etc/suid-debug`) and refuses `LD_TRACE_LOADED_OBJECTS` (status 5). The plain
//! copies show that the same variables are honoured otherwise.
//!
//! These tests need root (to make a set-user-ID-root file and to drop to nobody); run as
//! another user they fail saying so (or count as skipped with `LD_RS_TESTS_ALLOW_SKIP=1`).

use ld_rs_tests::run::normalize_addresses;
use ld_rs_tests::{
    fixtures, install_root_copy, need_root, prerequisite, Exit, Loader, Outcome, Run, Way, GLIBC_LOADER,
};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// nobody / nogroup.
const NOBODY: u32 = 65534;

/// A path in the `iface_basic` output directory.
fn path(name: &str) -> PathBuf {
    fixtures::iface_basic().path(name)
}

/// Puts `loader`'s copy of `program` at `dir/name`, owned by root, mode 4755 if `setuid`
/// (else 0755), replacing what was there.
fn install(program: &str, loader: Loader, dir: &Path, name: &str, setuid: bool) -> PathBuf {
    let copy = dir.join(name);
    install_root_copy(&path(program), loader, &copy, if setuid { 0o4755 } else { 0o755 });
    copy
}

/// Runs `program` (an `iface_basic` output) as nobody, with `vars`, as a set-user-ID-root
/// copy if `setuid`, under both loaders; compares (addresses and ld-rs's path normalized);
/// returns glibc's outcome, or `None` if the test cannot run here.
fn compare_as_nobody(test: &str, program: &str, setuid: bool, vars: &[(&str, String)]) -> Option<Outcome> {
    if !need_root("to make a set-user-ID-root program and run it as nobody") {
        return None;
    }
    let dir = path("secure").join(test);
    fs::create_dir_all(&dir).unwrap();
    for d in [path("secure"), dir.clone()] {
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut outs = Vec::new();
    for loader in [Loader::Glibc, Loader::LdRs] {
        let copy = install(program, loader, &dir, program, setuid);
        let mut run = Run::new("/usr/bin/setpriv")
            .arg(format!("--reuid={NOBODY}"))
            .arg(format!("--regid={NOBODY}"))
            .arg("--clear-groups")
            .arg("/usr/bin/env")
            .arg("-i");
        for (key, value) in vars {
            run = run.arg(format!("{key}={value}"));
        }
        // Loader::Glibc in the interp way: setpriv itself, as installed, started with an
        // empty environment; the loader under comparison is the copy's PT_INTERP.
        let mut out = run.arg(&copy).run(Loader::Glibc, Way::Interp);
        // Leave no set-user-ID-root file behind.
        let _ = fs::remove_file(&copy);
        for stream in [&mut out.stdout, &mut out.stderr] {
            *stream = loader_path(&normalize_addresses(stream));
        }
        outs.push(out);
    }
    let ldrs = outs.pop().unwrap();
    let glibc = outs.pop().unwrap();
    if glibc.exit != ldrs.exit || glibc.stdout != ldrs.stdout || glibc.stderr != ldrs.stderr {
        panic!(
            "ld-rs differs from glibc ({} copy run as nobody):\n--- glibc\n{glibc}--- ld-rs\n{ldrs}",
            if setuid { "set-user-ID-root" } else { "plain" }
        );
    }
    Some(glibc)
}

/// ld-rs's path replaced by glibc's (a traced program lists its loader).
fn loader_path(text: &[u8]) -> Vec<u8> {
    let ld_rs = ld_rs_tests::ld_rs().display().to_string();
    String::from_utf8_lossy(text).replace(&ld_rs, GLIBC_LOADER).into_bytes()
}

fn llp(dir: &str) -> (&'static str, String) {
    ("LD_LIBRARY_PATH", path(dir).display().to_string())
}

fn preload(value: String) -> (&'static str, String) {
    ("LD_PRELOAD", value)
}

fn abs_pre1() -> String {
    path("libpre1.so").display().to_string()
}

/// Asserts glibc's outcome (when the test ran).
fn expect(glibc: Option<Outcome>, exit: Exit, stdout: &str, stderr_contains: &str) {
    if let Some(glibc) = glibc {
        assert!(
            glibc.exit == exit && glibc.stdout_text() == stdout && glibc.stderr_text().contains(stderr_contains),
            "the oracle (glibc) did not behave as the test expects:\n{glibc}"
        );
    }
}

/// Guards the meaning of `main_abs`: its DT_RUNPATH is absolute (no `$ORIGIN`, which secure
/// mode would restrict).
#[test]
fn main_abs_has_absolute_runpath() {
    let dynamic = ld_rs_tests::elf::readelf("-d", &path("main_abs"));
    let line = dynamic
        .lines()
        .find(|l| l.contains("RUNPATH"))
        .expect("main_abs has a RUNPATH");
    assert!(line.contains("[/") && !line.contains("$ORIGIN"), "{line}");
}

/// The plain copy, run by nobody, honours `LD_LIBRARY_PATH` and `LD_PRELOAD`.
#[test]
fn plain_honours_library_path_and_preload() {
    let glibc = compare_as_nobody("plain-main", "main", false, &[llp("a"), preload(abs_pre1())]);
    expect(glibc, Exit::Code(0), "pre1: constructor\nmain: name=pre1 where=a\n", "");
}

/// The set-user-ID copy ignores `LD_LIBRARY_PATH`: libiface.so (found nowhere else) is not
/// found.
#[test]
fn setuid_ignores_library_path() {
    let glibc = compare_as_nobody("setuid-main", "main", true, &[llp("a"), preload(abs_pre1())]);
    expect(
        glibc,
        Exit::Code(127),
        "",
        "error while loading shared libraries: libiface.so: cannot open shared object file: No such file or directory\n",
    );
}

/// The plain copy of `main_abs` (absolute DT_RUNPATH `b/`): `LD_LIBRARY_PATH` (`a/`) comes
/// first, and the preloaded library interposes.
#[test]
fn plain_main_abs_honours_both() {
    let glibc = compare_as_nobody("plain-main-abs", "main_abs", false, &[llp("a"), preload(abs_pre1())]);
    expect(glibc, Exit::Code(0), "pre1: constructor\nmain: name=pre1 where=a\n", "");
}

/// The set-user-ID copy of `main_abs`: its absolute DT_RUNPATH holds, `LD_LIBRARY_PATH` is
/// ignored, and a preload given as a path is dropped silently.
#[test]
fn setuid_ignores_preload_path() {
    let glibc = compare_as_nobody("setuid-main-abs", "main_abs", true, &[llp("a"), preload(abs_pre1())]);
    expect(glibc, Exit::Code(0), "main: name=libiface where=b\n", "");
    // Silently: nothing on stderr.
}

/// A preload given as a bare name is searched only in the system directories (not
/// `LD_LIBRARY_PATH`): not found, with glibc's warning.
#[test]
fn setuid_preload_name_not_from_library_path() {
    let glibc = compare_as_nobody(
        "setuid-preload-name",
        "main_abs",
        true,
        &[llp(""), preload("libpre1.so".to_owned())],
    );
    expect(
        glibc,
        Exit::Code(0),
        "main: name=libiface where=b\n",
        "ERROR: ld.so: object 'libpre1.so' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.\n",
    );
}

/// A bare name that is in the system directories but not set-user-ID (libc.so.6) is
/// refused too.
#[test]
fn setuid_preload_system_library_not_setuid() {
    let glibc = compare_as_nobody(
        "setuid-preload-libc",
        "main_abs",
        true,
        &[preload("libc.so.6".to_owned())],
    );
    expect(
        glibc,
        Exit::Code(0),
        "main: name=libiface where=b\n",
        "ERROR: ld.so: object 'libc.so.6' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.\n",
    );
}

/// `LD_SHOW_AUXV` is ignored in secure mode.
#[test]
fn setuid_ignores_show_auxv() {
    let glibc = compare_as_nobody("setuid-auxv", "main_abs", true, &[("LD_SHOW_AUXV", "1".to_owned())]);
    expect(glibc, Exit::Code(0), "main: name=libiface where=b\n", "");
}

/// `LD_DEBUG` is ignored in secure mode (unless `/etc/suid-debug` exists).
#[test]
fn setuid_ignores_debug() {
    if !prerequisite(
        !Path::new("/etc/suid-debug").exists(),
        "no /etc/suid-debug (with it, glibc honours LD_DEBUG in secure mode)",
    ) {
        return;
    }
    let glibc = compare_as_nobody("setuid-debug", "main_abs", true, &[("LD_DEBUG", "libs".to_owned())]);
    expect(glibc, Exit::Code(0), "main: name=libiface where=b\n", "");
}

/// `LD_TRACE_LOADED_OBJECTS` is refused in secure mode: status 5, nothing printed.
#[test]
fn setuid_refuses_trace() {
    let glibc = compare_as_nobody(
        "setuid-trace",
        "main_abs",
        true,
        &[("LD_TRACE_LOADED_OBJECTS", "1".to_owned())],
    );
    expect(glibc, Exit::Code(5), "", "");
}

/// The plain copy traces as usual.
#[test]
fn plain_traces() {
    let glibc = compare_as_nobody(
        "plain-trace",
        "main_abs",
        false,
        &[("LD_TRACE_LOADED_OBJECTS", "1".to_owned())],
    );
    if let Some(glibc) = glibc {
        assert_eq!(glibc.exit, Exit::Code(0), "{glibc}");
    }
}

/// What a set-user-ID program passes on: glibc removes its list of unsafe
/// variables (`LD_PRELOAD`, `LD_LIBRARY_PATH`, `TMPDIR`, `LOCPATH`, ...)
/// from the environment; the others stay.
#[test]
fn setuid_environment_is_filtered() {
    let names = [
        "GCONV_PATH",
        "GETCONF_DIR",
        "HOSTALIASES",
        "LD_AUDIT",
        "LD_BIND_NOT",
        "LD_BIND_NOW",
        "LD_DEBUG",
        "LD_DEBUG_OUTPUT",
        "LD_DYNAMIC_WEAK",
        "LD_HWCAP_MASK",
        "LD_LIBRARY_PATH",
        "LD_ORIGIN_PATH",
        "LD_PRELOAD",
        "LD_PROFILE",
        "LD_SHOW_AUXV",
        "LD_USE_LOAD_BIAS",
        "LD_WARN",
        "LOCALDOMAIN",
        "LOCPATH",
        "MALLOC_TRACE",
        "NIS_PATH",
        "NLSPATH",
        "RESOLV_HOST_CONF",
        "RES_OPTIONS",
        "TMPDIR",
        "TZDIR",
        "HOME",
        "LANG",
        "PATH",
        "TZ",
    ];
    let vars: Vec<(&str, String)> = names.iter().map(|n| (*n, "/nonexistent".to_owned())).collect();
    let glibc = compare_as_nobody("setuid-env", "envdump", true, &vars);
    if let Some(glibc) = glibc {
        assert!(glibc.stdout_text().contains("HOME\n"), "{glibc}");
        assert!(!glibc.stdout_text().contains("LD_PRELOAD\n"), "{glibc}");
    }
}

/// The same environment reaches a plain program whole.
#[test]
fn plain_environment_is_whole() {
    let vars = vec![
        ("LD_PRELOAD", String::new()),
        ("TMPDIR", "/tmp".to_owned()),
        ("HOME", "/".to_owned()),
    ];
    let glibc = compare_as_nobody("plain-env", "envdump", false, &vars);
    if let Some(glibc) = glibc {
        assert_eq!(glibc.stdout_text(), "HOME\nLD_PRELOAD\nTMPDIR\n", "{glibc}");
    }
}
