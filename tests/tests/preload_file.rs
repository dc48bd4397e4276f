//! `/etc/ld.so.preload`: the system's own preload list, read at every start after
//! `LD_PRELOAD` and `--preload` (names separated by white space or colons, `#` comments, a
//! missing object reported and skipped), compared with glibc's ld.so.
//!
//! The file is system-wide, so each run gets its own: in a private mount namespace an
//! overlay over `/etc` (the real `/etc` below, a fresh directory above) takes the test's
//! `ld.so.preload`, and nothing outside the namespace sees it. That needs root.

use ld_rs_tests::{fixtures, need_root, GLIBC_LOADER};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `LOADER main` (explicit, with `env`) with `contents` as `/etc/ld.so.preload`.
fn run(loader: &Path, contents: &str, env: &[(&str, String)]) -> Output {
    let built = fixtures::preload_file();
    let scratch = tempdir();
    let script = r#"set -e
mkdir "$1/upper" "$1/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc
printf '%s' "$2" > /etc/ld.so.preload
shift 2
exec "$@""#;
    let mut command = Command::new("unshare");
    command
        .args(["-m", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(&scratch)
        .arg(contents)
        .arg(loader)
        .arg(built.path("main"))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)));
    let out = command.output().expect("unshare runs");
    let _ = std::fs::remove_dir_all(&scratch);
    out
}

fn tempdir() -> PathBuf {
    ld_rs_tests::scratch_dir("preload-file")
}

/// The same preload file (and environment) under glibc's ld.so and ld-rs: the same stdout,
/// stderr and exit status; `expect` must be in glibc's stdout (the case tests what it says).
fn same(contents: &str, env: &[(&str, String)], expect: &str) {
    if !need_root("mounts an overlay over /etc in a private mount namespace") {
        return;
    }
    let glibc = run(Path::new(GLIBC_LOADER), contents, env);
    let ours = run(&ld_rs_tests::ld_rs(), contents, env);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        text(&glibc.stdout).contains(expect),
        "the oracle did not print {expect:?}; the test is wrong:\n{}{}",
        text(&glibc.stdout),
        text(&glibc.stderr)
    );
    assert_eq!(
        (text(&ours.stdout), text(&ours.stderr), ours.status.code()),
        (text(&glibc.stdout), text(&glibc.stderr), glibc.status.code()),
        "ld-rs (left) and glibc's ld.so (right) differ for /etc/ld.so.preload {contents:?}"
    );
}

fn lib(name: &str) -> String {
    fixtures::preload_file().path(name).display().to_string()
}

#[test]
fn one_path() {
    same(
        &format!("{}\n", lib("libfile.so")),
        &[],
        "who: file\n  libfile.so\n  libbase.so\n",
    );
}

/// Comments, every separator, a missing object (reported, skipped) and a last name with
/// no newline after it.
#[test]
fn comments_separators_and_a_missing_object() {
    let contents = format!(
        "# the administrator's list\n{}:{}\t# more after a tab\n  {}",
        lib("libnope.so"),
        lib("libfile.so"),
        lib("libfile2.so")
    );
    same(&contents, &[], "who: file\n  libfile.so\n  libfile2.so\n  libbase.so\n");
}

/// `LD_PRELOAD` comes first: its library interposes on the file's.
#[test]
fn after_ld_preload() {
    let env = [("LD_PRELOAD", lib("libpre.so"))];
    same(
        &format!("{}\n", lib("libfile.so")),
        &env,
        "who: pre\n  libpre.so\n  libfile.so\n",
    );
}

/// A name without a slash is searched for (here through `LD_LIBRARY_PATH`); the same object
/// twice is loaded once.
#[test]
fn searched_name_and_duplicate() {
    let dir = fixtures::preload_file().dir().display().to_string();
    let env = [("LD_LIBRARY_PATH", dir)];
    same(
        &format!("libfile.so {}\n", lib("libfile.so")),
        &env,
        "who: file\n  libfile.so\n  libbase.so\n",
    );
}

/// An empty file, and one of comments only, preload nothing.
#[test]
fn empty_and_comments_only() {
    same("", &[], "who: base\n");
    same("# nothing here\n#\n", &[], "who: base\n");
}
