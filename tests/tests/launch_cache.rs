//! The launch cache (`LD_RS_CACHE=DIR`, crates/ld-rs/src/launch.rs): its validity and
//! safety rules, one input changed at a time.
//!
//! Each test works in a sandbox of its own: copies of the `search` fixture's program and
//! libraries (each `libwhere.so` prints the directory it was built into, and the copies
//! have the same size) and a private cache directory. Every ld-rs run is compared with
//! glibc's run of the same program (stdout and status), and its `LD_DEBUG=statistics` line
//! says whether the record was used; a start that should be cold must say why, and the
//! next start must be warm again (the record was rewritten).
//!
//! The whole differential suite also runs with the cache: `LD_RS_TESTS_CACHE=1 cargo test`
//! runs every ld-rs start twice, cold then warm (tests/src/run.rs).

use ld_rs_tests::{fixtures, install_root_copy, need_root, Exit, Loader, Outcome, Run, Way};
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// nobody / nogroup.
const NOBODY: u32 = 65534;

/// A test's own copies of the `search` fixture and cache directory.
struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    fn new(test: &str) -> Sandbox {
        let built = fixtures::search();
        let root = built.path("launch").join(test);
        let _ = fs::remove_dir_all(&root);
        for sub in ["a", "b", "lib", "env", "cache"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        for d in [built.path("launch"), root.clone()] {
            fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        }
        fs::set_permissions(root.join("cache"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::copy(built.path("main_plain"), root.join("main_plain")).unwrap();
        fs::copy(built.path("main_runpath"), root.join("main_runpath")).unwrap();
        for d in ["lib", "env"] {
            fs::copy(built.path(d).join("libwhere.so"), root.join(d).join("libwhere.so")).unwrap();
        }
        Sandbox { root }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.join(p)
    }

    fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// The record files in the cache directory.
    fn records(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(self.cache()).unwrap().map(|e| e.unwrap().path()).collect();
        v.sort();
        v
    }

    /// Runs `program` with `vars` under glibc, then under ld-rs with the cache and
    /// `LD_DEBUG=statistics`; checks that both print the same and end the same way, and that
    /// glibc's run printed `expect`. Returns ld-rs's `launch cache:` verdict.
    fn start(&self, program: &str, vars: &[(&str, OsString)], expect: &str) -> String {
        let mut run = Run::new(self.path(program));
        for (k, v) in vars {
            run = run.env(k, v);
        }
        let glibc = run.run(Loader::Glibc, Way::Explicit);
        assert_eq!(glibc.stdout_text(), expect, "glibc's run:\n{glibc}");
        let ldrs = run
            .env("LD_RS_CACHE", self.cache())
            .env("LD_DEBUG", "statistics")
            .run(Loader::LdRs, Way::Explicit);
        assert_eq!(
            (&ldrs.stdout, ldrs.exit),
            (&glibc.stdout, glibc.exit),
            "ld-rs differs:\n{ldrs}"
        );
        verdict(&ldrs)
    }

    /// `start` of `main_plain` finding `libwhere.so` through `LD_LIBRARY_PATH=path`.
    fn plain(&self, path: &str, expect: &str) -> String {
        let lp = path
            .split(':')
            .map(|d| self.path(d).into_os_string())
            .collect::<Vec<_>>()
            .join(&OsString::from(":"));
        self.start("main_plain", &[("LD_LIBRARY_PATH", lp)], expect)
    }
}

/// The text after `launch cache: ` in ld-rs's statistics.
fn verdict(out: &Outcome) -> String {
    let text = out.stderr_text();
    let line = text
        .lines()
        .find_map(|l| l.split_once("launch cache: ").map(|(_, v)| v.to_owned()));
    line.unwrap_or_else(|| panic!("no launch cache line in ld-rs's statistics:\n{out}"))
}

const FROM_ENV: &str = "libwhere: from env\n";
const FROM_LIB: &str = "libwhere: from lib\n";

/// The first start records, the second replays; both print what glibc's run prints.
#[test]
fn second_start_is_warm() {
    let s = Sandbox::new("warm");
    assert_eq!(s.plain("env", FROM_ENV), "not used (no record)");
    assert_eq!(s.records().len(), 1, "one record written");
    assert_eq!(s.plain("env", FROM_ENV), "used");
    assert_eq!(s.plain("env", FROM_ENV), "used");
}

/// A library whose modification time changed (`touch`) is a changed input.
#[test]
fn touched_library() {
    let s = Sandbox::new("touch");
    s.plain("env", FROM_ENV);
    assert_eq!(s.plain("env", FROM_ENV), "used");
    let lib = fs::File::options().write(true).open(s.path("env/libwhere.so")).unwrap();
    lib.set_modified(SystemTime::now() + Duration::from_secs(5)).unwrap();
    drop(lib);
    assert_eq!(s.plain("env", FROM_ENV), "not used (a library has changed)");
    assert_eq!(s.plain("env", FROM_ENV), "used");
}

/// A library replaced by another file of the same size: in place (same inode), or renamed
/// over it (a new inode).  The start is cold and runs the new library.
#[test]
fn replaced_library_same_size() {
    let s = Sandbox::new("replace");
    let (env, lib) = (s.path("env/libwhere.so"), s.path("lib/libwhere.so"));
    assert_eq!(fs::metadata(&env).unwrap().len(), fs::metadata(&lib).unwrap().len());
    s.plain("env", FROM_ENV);
    assert_eq!(s.plain("env", FROM_ENV), "used");
    // In place: the same inode, new contents.
    fs::write(&env, fs::read(&lib).unwrap()).unwrap();
    assert_eq!(s.plain("env", FROM_LIB), "not used (a library has changed)");
    assert_eq!(s.plain("env", FROM_LIB), "used");
    // Renamed over: a new inode.
    fs::copy(s.path("lib/libwhere.so"), s.path("a/tmp.so")).unwrap();
    let built = fixtures::search();
    fs::copy(built.path("env/libwhere.so"), s.path("a/tmp.so")).unwrap();
    fs::rename(s.path("a/tmp.so"), &env).unwrap();
    // The rename changed the directory too, which is checked first.
    assert_eq!(s.plain("env", FROM_ENV), "not used (a directory searched has changed)");
    assert_eq!(s.plain("env", FROM_ENV), "used");
}

/// Another `LD_LIBRARY_PATH` is another search.
#[test]
fn library_path_changed() {
    let s = Sandbox::new("libpath");
    s.plain("env", FROM_ENV);
    assert_eq!(s.plain("env", FROM_ENV), "used");
    assert_eq!(
        s.plain("lib", FROM_LIB),
        "not used (LD_LIBRARY_PATH or --library-path changed)"
    );
    assert_eq!(s.plain("lib", FROM_LIB), "used");
}

/// A library added to a directory searched before the one it was found in: the directory
/// changed, and the new library wins.
#[test]
fn library_added_to_earlier_directory() {
    let s = Sandbox::new("added");
    s.plain("a:env", FROM_ENV);
    assert_eq!(s.plain("a:env", FROM_ENV), "used");
    fs::copy(s.path("lib/libwhere.so"), s.path("a/libwhere.so")).unwrap();
    assert_eq!(
        s.plain("a:env", FROM_LIB),
        "not used (a directory searched has changed)"
    );
    assert_eq!(s.plain("a:env", FROM_LIB), "used");
}

/// A capability subdirectory (`glibc-hwcaps/…`, searched first) created after the record:
/// its library wins.
#[test]
fn capability_subdirectory_created() {
    let s = Sandbox::new("hwcaps");
    s.plain("env", FROM_ENV);
    assert_eq!(s.plain("env", FROM_ENV), "used");
    let sub = s.path("env/tls");
    fs::create_dir_all(&sub).unwrap();
    fs::copy(s.path("lib/libwhere.so"), sub.join("libwhere.so")).unwrap();
    assert_eq!(s.plain("env", FROM_LIB), "not used (a directory searched has changed)");
    assert_eq!(s.plain("env", FROM_LIB), "used");
}

/// `GLIBC_TUNABLES` is an input.
#[test]
fn tunables_changed() {
    let s = Sandbox::new("tunables");
    let lp = s.path("env").into_os_string();
    let vars = |t: &str| vec![("LD_LIBRARY_PATH", lp.clone()), ("GLIBC_TUNABLES", OsString::from(t))];
    s.start("main_plain", &vars("glibc.malloc.check=0"), FROM_ENV);
    assert_eq!(s.start("main_plain", &vars("glibc.malloc.check=0"), FROM_ENV), "used");
    assert_eq!(
        s.start("main_plain", &vars("glibc.malloc.tcache_count=3"), FROM_ENV),
        "not used (the C library's settings (GLIBC_TUNABLES) changed)"
    );
    assert_eq!(
        s.start("main_plain", &vars("glibc.malloc.tcache_count=3"), FROM_ENV),
        "used"
    );
}

/// A record cut short, with bytes changed in the middle, or another program's, is ignored
/// and rewritten.
#[test]
fn damaged_or_foreign_record() {
    let s = Sandbox::new("damaged");
    s.plain("env", FROM_ENV);
    let record = s.records().pop().unwrap();
    let good = fs::read(&record).unwrap();
    // Cut short.
    fs::write(&record, &good[..good.len() / 2]).unwrap();
    assert_eq!(s.plain("env", FROM_ENV), "not used (the record is damaged)");
    assert_eq!(s.plain("env", FROM_ENV), "used");
    // Cut to a length that is not a whole word, and empty.
    fs::write(&record, &good[..good.len() - 3]).unwrap();
    assert_eq!(s.plain("env", FROM_ENV), "not used (the record is damaged)");
    fs::write(&record, b"").unwrap();
    assert_ne!(s.plain("env", FROM_ENV), "used");
    // Random bytes over the middle (the checksum catches them).
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    for (i, b) in bad[mid..mid + 16].iter_mut().enumerate() {
        *b ^= 0x5a ^ i as u8;
    }
    fs::write(&record, &bad).unwrap();
    assert_eq!(s.plain("env", FROM_ENV), "not used (the record is damaged)");
    assert_eq!(s.plain("env", FROM_ENV), "used");
    // Not a record at all.
    fs::write(&record, vec![0x17u8; good.len()]).unwrap();
    assert_eq!(
        s.plain("env", FROM_ENV),
        "not used (the record is not one (or of another version))"
    );
    // Another program's record under this program's name.
    let lp = s.path("lib").into_os_string();
    s.start("main_runpath", &[("LD_LIBRARY_PATH", lp)], FROM_LIB);
    let other = s.records().into_iter().find(|r| *r != record).unwrap();
    fs::copy(&other, &record).unwrap();
    assert_eq!(s.plain("env", FROM_ENV), "not used (the program changed)");
    assert_eq!(s.plain("env", FROM_ENV), "used");
}

/// A cache directory others can write to, or that is not the user's, is not used: nothing
/// is read or written.  Nor is a record others can write to.
#[test]
fn unsafe_directory_or_record() {
    if !need_root("to give the cache directory to another user") {
        return;
    }
    let s = Sandbox::new("unsafe");
    let cache = s.cache();
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o770)).unwrap();
    let why = "not used (the directory is not the user's own, or others can write to it)";
    assert_eq!(s.plain("env", FROM_ENV), why);
    assert!(s.records().is_empty(), "nothing written to a group-writable directory");
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o707)).unwrap();
    assert_eq!(s.plain("env", FROM_ENV), why);
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&cache, Some(NOBODY), Some(NOBODY)).unwrap();
    assert_eq!(s.plain("env", FROM_ENV), why);
    assert!(s.records().is_empty(), "nothing written to another user's directory");
    std::os::unix::fs::chown(&cache, Some(0), Some(0)).unwrap();
    assert_eq!(s.plain("env", FROM_ENV), "not used (no record)");
    assert_eq!(s.plain("env", FROM_ENV), "used");
    let record = s.records().pop().unwrap();
    fs::set_permissions(&record, fs::Permissions::from_mode(0o622)).unwrap();
    assert_eq!(
        s.plain("env", FROM_ENV),
        "not used (the record is not the user's own, or others can write to it)"
    );
    std::os::unix::fs::chown(&record, Some(NOBODY), Some(NOBODY)).unwrap();
    fs::set_permissions(&record, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        s.plain("env", FROM_ENV),
        "not used (the record is not the user's own, or others can write to it)"
    );
}

/// A set-user-ID program never reads or writes a record, even in a directory its real
/// user owns; the same program without the bit, run the same way, writes one (so the test
/// can fail).
#[test]
fn setuid_program_never_uses_the_cache() {
    if !need_root("to make a set-user-ID-root program and run it as nobody") {
        return;
    }
    let s = Sandbox::new("setuid");
    let cache = s.cache();
    std::os::unix::fs::chown(&cache, Some(NOBODY), Some(NOBODY)).unwrap();
    let mut outs = Vec::new();
    for (name, mode) in [("plain", 0o755), ("setuid", 0o4755)] {
        let copy = s.path(name);
        // A program whose RUNPATH is absolute (secure mode ignores $ORIGIN).
        install_root_copy(&fixtures::iface_basic().path("main_abs"), Loader::LdRs, &copy, mode);
        let out = Run::new("/usr/bin/setpriv")
            .arg(format!("--reuid={NOBODY}"))
            .arg(format!("--regid={NOBODY}"))
            .arg("--clear-groups")
            .arg("/usr/bin/env")
            .arg("-i")
            .arg(format!("LD_RS_CACHE={}", cache.display()))
            .arg(&copy)
            .run(Loader::Glibc, Way::Interp);
        let _ = fs::remove_file(&copy);
        assert_eq!(out.exit, Exit::Code(0), "{out}");
        let records: Vec<Vec<u8>> = s.records().iter().map(|r| fs::read(r).unwrap()).collect();
        outs.push((out.stdout, records));
    }
    assert_eq!(outs[1].0, outs[0].0, "both copies print the same");
    assert_eq!(outs[0].1.len(), 1, "the plain copy wrote a record");
    assert_eq!(outs[1].1, outs[0].1, "the set-user-ID copy wrote none");
    for r in s.records() {
        assert_eq!(
            fs::metadata(&r).unwrap().uid(),
            NOBODY,
            "{} is the plain run's",
            r.display()
        );
    }
}

/// `LD_DEBUG` (but statistics) and `--list` bypass the cache: their output, with a valid
/// record present, is glibc's.
#[test]
fn debug_and_list_bypass() {
    let s = Sandbox::new("bypass");
    s.plain("env", FROM_ENV);
    assert_eq!(s.plain("env", FROM_ENV), "used");
    let before = fs::read(s.records().pop().unwrap()).unwrap();
    let run = || {
        Run::new(s.path("main_plain"))
            .env("LD_LIBRARY_PATH", s.path("env"))
            .env("LD_RS_CACHE", s.cache())
    };
    run()
        .env("LD_DEBUG", "bindings,libs")
        .normalize(ld_rs_tests::run::normalize_pids)
        .compare(Way::Explicit);
    run()
        .loader_args(["--list"])
        .normalize_addresses()
        .compare(Way::Explicit);
    assert_eq!(
        fs::read(s.records().pop().unwrap()).unwrap(),
        before,
        "the record is untouched"
    );
}

/// `--cache-info PROGRAM` says whether each of the program's records is valid, and why not.
#[test]
fn cache_info() {
    let s = Sandbox::new("info");
    let info = || {
        let out = Run::new(s.path("main_plain"))
            .env("LD_LIBRARY_PATH", s.path("env"))
            .env("LD_RS_CACHE", s.cache())
            .loader_args(["--cache-info"])
            .run(Loader::LdRs, Way::Explicit);
        assert_eq!(out.exit, Exit::Code(0), "{out}");
        let text = out.stdout_text();
        let verdicts: Vec<String> = text
            .lines()
            .map(|l| l.rsplit_once(": ").map_or(l, |(_, v)| v).to_owned())
            .collect();
        verdicts
    };
    assert_eq!(info(), ["no record", "no record"]);
    s.plain("env", FROM_ENV);
    assert_eq!(info(), ["valid", "no record"]);
    let lib = fs::File::options().write(true).open(s.path("env/libwhere.so")).unwrap();
    lib.set_modified(SystemTime::now() + Duration::from_secs(5)).unwrap();
    drop(lib);
    assert_eq!(info(), ["a library has changed", "no record"]);
    let out = Run::new(s.path("main_plain"))
        .loader_args(["--cache-info"])
        .run(Loader::LdRs, Way::Explicit);
    assert_eq!(
        out.stdout_text(),
        format!(
            "{}: no launch cache: LD_RS_CACHE is not set\n",
            s.path("main_plain").display()
        )
    );
}

/// `LD_RS_CACHE_CHECK=1` (what `cargo xtask bench` runs): a warm start of a program linked
/// with libc also looks every replayed binding up, and none differs.
#[test]
fn check_mode_compares_every_binding() {
    let s = Sandbox::new("check");
    let program = fixtures::dynld().path("main_libc");
    let run = Run::new(&program)
        .env("LD_LIBRARY_PATH", fixtures::dynld().path(""))
        .env("LD_RS_CACHE", s.cache());
    let glibc = run.run(Loader::Glibc, Way::Explicit);
    run.run(Loader::LdRs, Way::Explicit);
    let warm = run
        .env("LD_RS_CACHE_CHECK", "1")
        .env("LD_DEBUG", "statistics")
        .run(Loader::LdRs, Way::Explicit);
    assert_eq!((&warm.stdout, warm.exit), (&glibc.stdout, glibc.exit), "{warm}");
    let v = verdict(&warm);
    let n: u64 = v
        .strip_prefix("used; ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a checked warm start: {v}"));
    assert!(n > 10, "only {n} bindings checked: {v}");
    assert!(v.ends_with(" bindings checked against lookups, 0 differ"), "{v}");
}

/// A warm start applies an object's relative relocations from the record's word that they
/// are all plain (no check each): the tables of pointers they fill, in `.data.rel.ro` and
/// `.data`, hold what a cold start puts there, and what glibc's does.
#[test]
fn relative_relocations_replayed() {
    let built = fixtures::relptrs();
    let root = built.path("launch");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("cache")).unwrap();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(root.join("cache"), fs::Permissions::from_mode(0o700)).unwrap();
    for f in ["main", "libptrs.so"] {
        fs::copy(built.path(f), root.join(f)).unwrap();
    }
    let names = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
        "xi", "omicron", "pi",
    ];
    let numbers = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597];
    let mut expect: String = names.iter().zip(numbers).map(|(n, v)| format!("{n}{v}\n")).collect();
    expect.push_str("reversed first1597\n");
    let run = Run::new(root.join("main"));
    let glibc = run.run(Loader::Glibc, Way::Explicit);
    assert_eq!(glibc.stdout_text(), expect, "glibc's run:\n{glibc}");
    for want in ["not used (no record)", "used", "used"] {
        let ldrs = run
            .clone()
            .env("LD_RS_CACHE", root.join("cache"))
            .env("LD_DEBUG", "statistics")
            .run(Loader::LdRs, Way::Explicit);
        assert_eq!(
            (&ldrs.stdout, ldrs.exit),
            (&glibc.stdout, glibc.exit),
            "ld-rs differs:\n{ldrs}"
        );
        assert_eq!(verdict(&ldrs), want);
    }
}
