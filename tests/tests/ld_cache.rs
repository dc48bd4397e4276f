//! `/etc/ld.so.cache`'s entries for `glibc-hwcaps` subdirectories, chosen as glibc's loader
//! chooses them (the best-ranked name among those searched whose ISA level the CPU has), and
//! the cache read again by a `dlopen` after `ldconfig` rewrote it — compared with glibc's
//! ld.so.
//!
//! The cache is system-wide, so each run gets its own: in a private mount namespace an overlay
//! over `/etc` takes an `ld.so.conf` that adds the fixture's `lib/`, and `ldconfig` writes the
//! cache there; nothing outside the namespace sees either. That needs root.

use ld_rs_tests::{fixtures, need_root, GLIBC_LOADER};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `LOADER LOADER_ARGS... main PROGRAM_ARGS...` (with `env` only) after `ldconfig` has
/// registered the fixture's `lib/` in a private `/etc`.
fn run(loader: &Path, loader_args: &[&str], program_args: &[String], env: &[(&str, &str)]) -> Output {
    let built = fixtures::ld_cache();
    let scratch = tempdir();
    let script = r#"set -e
mkdir "$1/upper" "$1/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc
conf=$(cat /etc/ld.so.conf)
printf '%s\n%s\n' "$conf" "$2/lib" > /etc/ld.so.conf
ldconfig -X
shift 2
exec "$@""#;
    let mut command = Command::new("unshare");
    command
        .args(["-m", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(&scratch)
        .arg(built.dir())
        .arg(loader)
        .args(loader_args)
        .arg(built.path("main"))
        .args(program_args)
        .env_clear()
        .envs(env.iter().copied());
    let out = command.output().expect("unshare runs");
    let _ = std::fs::remove_dir_all(&scratch);
    out
}

fn tempdir() -> PathBuf {
    ld_rs_tests::scratch_dir("ld-cache")
}

/// The same run under glibc's ld.so and ld-rs: the same stdout, stderr and exit status;
/// `expect` must be in glibc's stdout (the case tests what it says).
fn same(loader_args: &[&str], program_args: &[String], env: &[(&str, &str)], expect: &str) {
    if !need_root("mounts an overlay over /etc in a private mount namespace") {
        return;
    }
    let glibc = run(Path::new(GLIBC_LOADER), loader_args, program_args, env);
    let ours = run(&ld_rs_tests::ld_rs(), loader_args, program_args, env);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        text(&glibc.stdout).contains(expect),
        "the oracle did not print {expect:?}; the test is wrong (or this CPU lacks x86-64-v3):\n{}{}",
        text(&glibc.stdout),
        text(&glibc.stderr)
    );
    assert_eq!(
        (text(&ours.stdout), text(&ours.stderr), ours.status.code()),
        (text(&glibc.stdout), text(&glibc.stderr), glibc.status.code()),
        "ld-rs (left) and glibc's ld.so (right) differ (loader arguments {loader_args:?}, env {env:?})"
    );
}

/// The best level the CPU has wins, for a DT_NEEDED library and a dlopened one; the
/// x86-64-v4 variant needs an ISA level beyond any CPU's and is skipped even where
/// x86-64-v4 is searched.
#[test]
fn best_supported_level() {
    same(&[], &[], &[], "DT_NEEDED libmark.so: v3\ndlopen libdl_mark.so: dl-v3\n");
}

/// `--glibc-hwcaps-prepend` names rank before the CPU's levels.
#[test]
fn prepended_name_first() {
    same(
        &["--glibc-hwcaps-prepend", "mine"],
        &[],
        &[],
        "DT_NEEDED libmark.so: mine\ndlopen libdl_mark.so: dl-mine\n",
    );
}

/// `--glibc-hwcaps-mask` leaves only the levels it names; a name masked off is not used
/// even if the cache has it.
#[test]
fn masked_levels() {
    same(
        &["--glibc-hwcaps-mask", "x86-64-v2"],
        &[],
        &[],
        "DT_NEEDED libmark.so: v2\ndlopen libdl_mark.so: dl-v2\n",
    );
    same(
        &["--glibc-hwcaps-mask", "none"],
        &[],
        &[],
        "DT_NEEDED libmark.so: base\ndlopen libdl_mark.so: dl-base\n",
    );
}

/// A feature disabled with `glibc.cpu.hwcaps` takes the levels that need it out of the
/// search (without AVX2, x86-64-v3 and above), whatever the CPU has.
#[test]
fn levels_after_the_hwcaps_tunable() {
    same(
        &[],
        &[],
        &[("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2")],
        "DT_NEEDED libmark.so: v2\ndlopen libdl_mark.so: dl-v2\n",
    );
}

/// A library registered by `ldconfig` after start-up is found by the next `dlopen` (glibc
/// reads the cache again for each), in its best variant.
#[test]
fn dlopen_reads_the_rewritten_cache() {
    let later = fixtures::ld_cache().path("later");
    let command = format!("printf '%s\\n' {} >> /etc/ld.so.conf && ldconfig -X", later.display());
    same(
        &[],
        &[command],
        &[],
        "dlopen libnew.so: libnew.so: cannot open shared object file: No such file or directory\n\
         dlopen libnew.so: new-v2\n",
    );
}
