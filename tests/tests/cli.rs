//! `ld-rs`, the command (crates/ld-rs-cli): `ld-rs run` puts ld-rs in place of glibc's
//! loader for a command and every process it starts.
//!
//! A run under `ld-rs run` is compared with the same command run plainly (under glibc's
//! loader): same stdout, stderr and exit status. That alone would also hold if `ld-rs run`
//! ran nothing under ld-rs, so each test also proves where the processes ran: they print
//! their own `/proc/self/maps`, and the file mapped as the loader
//! (`/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`, the path every program's `PT_INTERP`
//! resolves to) must have ld-rs's device and inode numbers — and glibc's when run plainly,
//! so the check can tell the two apart.
//!
//! The unprivileged tests run as nobody (dropped to with `setpriv` when the tests run as
//! root, else as the user running them), with an empty environment but `PATH`, from `/`,
//! using a copy installed by `xtask install --no-build` under a directory of /tmp that
//! every user can read (the repository may not be). They test the build tree's linker,
//! not `$LD_RS`.

use ld_rs_tests::{front_end, install_root_copy, is_root, need_root, target_dir, workspace_root};
use ld_rs_tests::{Exit, Loader, Outcome, Run, Way, GLIBC_LOADER};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// nobody / nogroup.
const NOBODY: u32 = 65534;

/// A python that imports modules whose libraries it loads (OpenSSL, sqlite, libffi) and
/// prints its own memory map.
const PYTHON_MAPS: &str = "import ssl, sqlite3, ctypes, sys; sys.stdout.write(open('/proc/self/maps').read())";

/// bash, then a python and a perl it starts, each printing its memory map after a header.
const BASH_MAPS: &str = r#"echo "== bash"; cat /proc/$$/maps; echo "== python"; python3.11 -c "import sys; sys.stdout.write(open('/proc/self/maps').read())"; echo "== perl"; perl -e 'open(M, "/proc/self/maps") or die; print <M>'"#;

/// A directory of this worktree's own under /tmp, readable by everyone.
fn base() -> PathBuf {
    // FNV-1a of the workspace path: one directory per checkout, stable across runs.
    let hash = workspace_root()
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf29ce484222325u64, |h, &b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
    let dir = std::env::temp_dir().join(format!("ld-rs-cli-tests-{hash:016x}"));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Runs `xtask install --no-build --prefix prefix` (what the last `cargo build --release`
/// left), replacing what was there.
fn install(prefix: &Path) {
    let xtask = target_dir().join("release").join("xtask");
    let out = Command::new(&xtask)
        .arg("install")
        .arg("--no-build")
        .arg("--prefix")
        .arg(prefix)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (cargo build --release builds it): {e}", xtask.display()));
    assert!(
        out.status.success(),
        "xtask install failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The prefix installed once for this test binary.
fn installed() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let prefix = base().join("prefix");
        install(&prefix);
        prefix
    })
}

/// A run of `argv` as an unprivileged user (nobody if we are root), from `/`, with only
/// `PATH` set.
fn unprivileged(argv: &[&str]) -> Run {
    let mut run = if is_root() {
        Run::new("/usr/bin/setpriv")
            .arg(format!("--reuid={NOBODY}"))
            .arg(format!("--regid={NOBODY}"))
            .arg("--clear-groups")
            .arg("/usr/bin/env")
    } else {
        Run::new("/usr/bin/env")
    };
    run = run.arg("PATH=/usr/bin:/bin");
    for arg in argv {
        run = run.arg(arg);
    }
    run.current_dir("/").timeout(Duration::from_secs(60))
}

/// Starts a run as is: `Loader::Glibc` in the interp way is the program as installed (setpriv,
/// env, ld-rs), under whatever loader its namespace has.
fn start(run: Run) -> Outcome {
    run.run(Loader::Glibc, Way::Interp)
}

/// A file's device (major, minor) and inode, as `/proc/PID/maps` shows them.
fn file_id(path: &Path) -> (u64, u64, u64) {
    let meta = fs::metadata(path).unwrap_or_else(|e| panic!("cannot stat {}: {e}", path.display()));
    let dev = meta.dev();
    // The kernel's encoding of dev_t (new_decode_dev).
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor, meta.ino())
}

/// The distinct (device, inode) of the mappings of the loader's path in a maps dump.
fn loader_ids(maps: &str) -> Vec<(u64, u64, u64)> {
    let loader = Path::new(GLIBC_LOADER).canonicalize().unwrap();
    let loader = loader.to_str().unwrap();
    let mut ids = Vec::new();
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 6 || fields[5] != loader {
            continue;
        }
        let (major, minor) = fields[3].split_once(':').expect("maps: MAJOR:MINOR");
        let id = (
            u64::from_str_radix(major, 16).unwrap(),
            u64::from_str_radix(minor, 16).unwrap(),
            fields[4].parse().unwrap(),
        );
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Asserts that every `== NAME` section of `out` (or the whole of it, if it has none) maps
/// exactly `linker` as its loader, and names the sections found.
fn assert_loader(out: &Outcome, linker: &Path, sections: &[&str]) {
    assert_eq!(out.exit, Exit::Code(0), "{out}");
    let text = out.stdout_text();
    let want = file_id(linker);
    let mut found = Vec::new();
    for section in text.split("== ").filter(|s| !s.is_empty()) {
        let (name, maps) = match section.split_once('\n') {
            Some((name, maps)) if sections.contains(&name) => (name, maps),
            _ => ("(whole output)", section),
        };
        assert_eq!(
            loader_ids(maps),
            vec![want],
            "{name}: the loader mapped is not {} (device, inode {want:?}):\n{out}",
            linker.display()
        );
        found.push(name);
    }
    if !sections.is_empty() {
        assert_eq!(found, sections, "sections of the output:\n{out}");
    }
}

/// Asserts that two runs printed the same and ended the same way.
fn assert_same(plain: &Outcome, under: &Outcome) {
    assert!(
        plain.exit == under.exit && plain.stdout == under.stdout && plain.stderr == under.stderr,
        "`ld-rs run` differs from the plain run:\n--- plain\n{plain}--- ld-rs run\n{under}"
    );
}

/// As nobody: python imports extension modules under ld-rs, as it does plainly.
#[test]
fn python_imports_as_nobody() {
    let prefix = installed();
    let ld_rs = prefix.join("bin/ld-rs");
    let ld_rs = ld_rs.to_str().unwrap();
    let command = ["python3.11", "-c", "import ssl, sqlite3, ctypes"];
    let plain = start(unprivileged(&command));
    assert_eq!(plain.exit, Exit::Code(0), "the plain run fails:\n{plain}");
    let under = start(unprivileged(&[&[ld_rs, "run"], &command[..]].concat()));
    assert_same(&plain, &under);

    let proof = start(unprivileged(&[ld_rs, "run", "python3.11", "-c", PYTHON_MAPS]));
    assert_loader(&proof, &prefix.join("lib/ld-rs/ld-rs.so"), &[]);
    for library in ["libssl.so", "libsqlite3.so", "libffi.so"] {
        assert!(proof.stdout_text().contains(library), "{library} not mapped:\n{proof}");
    }
    let glibc = start(unprivileged(&["python3.11", "-c", PYTHON_MAPS]));
    assert_loader(&glibc, Path::new(GLIBC_LOADER), &[]);
}

/// As nobody: bash, and the python and perl it starts, all run under ld-rs.
#[test]
fn bash_and_its_children_as_nobody() {
    let prefix = installed();
    let ld_rs = prefix.join("bin/ld-rs");
    let ld_rs = ld_rs.to_str().unwrap();
    let command = ["bash", "-c", "python3.11 -c pass; perl -e 1"];
    let plain = start(unprivileged(&command));
    assert_eq!(plain.exit, Exit::Code(0), "the plain run fails:\n{plain}");
    let under = start(unprivileged(&[&[ld_rs, "run"], &command[..]].concat()));
    assert_same(&plain, &under);

    let sections = ["bash", "python", "perl"];
    let proof = start(unprivileged(&[ld_rs, "run", "bash", "-c", BASH_MAPS]));
    assert_loader(&proof, &prefix.join("lib/ld-rs/ld-rs.so"), &sections);
    let glibc = start(unprivileged(&["bash", "-c", BASH_MAPS]));
    assert_loader(&glibc, Path::new(GLIBC_LOADER), &sections);
}

/// As nobody: `ld-rs shell -c …` is `$SHELL -c …` under ld-rs.
#[test]
fn shell_as_nobody() {
    let prefix = installed();
    let ld_rs = prefix.join("bin/ld-rs");
    let proof = start(unprivileged(&[
        "SHELL=/bin/bash",
        ld_rs.to_str().unwrap(),
        "shell",
        "-c",
        BASH_MAPS,
    ]));
    assert_loader(&proof, &prefix.join("lib/ld-rs/ld-rs.so"), &["bash", "python", "perl"]);
}

/// `--linker` chooses what is mounted: glibc's own loader (which the harness's system-wide
/// way uses for glibc's runs) or a given ld-rs.
#[test]
fn linker_option_chooses_the_loader() {
    let ld_rs = installed().join("bin/ld-rs");
    let ld_rs = ld_rs.to_str().unwrap();
    let built = target_dir().join("release/ld-rs.so");
    // The build tree may not be readable by nobody: a copy beside the installed one.
    let copy = base().join("other-ld-rs.so");
    fs::copy(&built, &copy).unwrap();
    for linker in [Path::new(GLIBC_LOADER), &copy] {
        let out = start(unprivileged(&[
            ld_rs,
            "run",
            "--linker",
            linker.to_str().unwrap(),
            "--",
            "python3.11",
            "-c",
            PYTHON_MAPS,
        ]));
        assert_loader(&out, linker, &[]);
    }
}

/// As root, from the build tree: a mount namespace alone (no user namespace: root stays
/// root), and the processes of the command run under the build tree's linker.
#[test]
fn root_from_the_build_tree() {
    if !need_root("ld-rs run as root") {
        return;
    }
    let script = format!("{BASH_MAPS}; echo \"== id\"; id -u");
    let out = start(
        Run::new(front_end())
            .arg("run")
            .arg("bash")
            .arg("-c")
            .arg(&script)
            .env("PATH", "/usr/bin:/bin")
            .current_dir("/"),
    );
    let text = out.stdout_text();
    let (maps, id) = text
        .split_once("== id\n")
        .unwrap_or_else(|| panic!("no id section:\n{out}"));
    assert_eq!(id, "0\n", "root is not root in the namespace:\n{out}");
    let maps = Outcome {
        stdout: maps.as_bytes().to_vec(),
        ..out.clone()
    };
    assert_loader(
        &maps,
        &target_dir().join("release/ld-rs.so"),
        &["bash", "python", "perl"],
    );
}

/// `which`, `--version` and `status`, from the build tree and installed, from `/`; the
/// front end's own errors.
#[test]
fn which_version_status_and_errors() {
    let prefix = installed();
    let ld_rs = prefix.join("bin/ld-rs");
    let ld_rs = ld_rs.to_str().unwrap();
    let linker = prefix.join("lib/ld-rs/ld-rs.so");

    let which = start(unprivileged(&[ld_rs, "which"]));
    assert_eq!(which.stdout_text(), format!("{}\n", linker.display()), "{which}");
    let built = start(Run::new(front_end()).arg("which").current_dir("/"));
    assert_eq!(
        built.stdout_text(),
        format!("{}\n", target_dir().join("release/ld-rs.so").display()),
        "{built}"
    );
    let version = start(unprivileged(&[ld_rs, "--version"]));
    assert!(
        version
            .stdout_text()
            .contains(&format!("linker: {}\n", linker.display())),
        "{version}"
    );

    let outside = start(unprivileged(&[ld_rs, "status"]));
    assert_eq!(outside.exit, Exit::Code(1), "{outside}");
    assert!(outside.stdout_text().starts_with("not under ld-rs"), "{outside}");
    let inside = start(unprivileged(&[ld_rs, "run", ld_rs, "status"]));
    assert_eq!(inside.exit, Exit::Code(0), "{inside}");
    assert!(inside.stdout_text().starts_with("under ld-rs"), "{inside}");

    let missing = start(unprivileged(&[ld_rs, "run", "/nonexistent/program"]));
    assert_eq!(missing.exit, Exit::Code(127), "{missing}");
    assert_eq!(
        missing.stderr_text(),
        "ld-rs: cannot run /nonexistent/program: No such file or directory\n",
        "{missing}"
    );
    let no_command = start(unprivileged(&[ld_rs, "run"]));
    assert_eq!(no_command.exit, Exit::Code(125), "{no_command}");
    assert!(
        no_command.stderr_text().starts_with("ld-rs: `run` needs a command\n"),
        "{no_command}"
    );
    let no_linker = start(unprivileged(&["LD_RS=/nonexistent/ld-rs.so", ld_rs, "run", "true"]));
    assert_eq!(no_linker.exit, Exit::Code(125), "{no_linker}");
    assert_eq!(
        no_linker.stderr_text(),
        "ld-rs: $LD_RS names /nonexistent/ld-rs.so: No such file or directory\n",
        "{no_linker}"
    );
}

/// In the user namespace, a set-user-ID-root program runs without its privileges (root is
/// not mapped there, so the kernel ignores the bit): `id` prints what it prints for nobody
/// from an ordinary copy, where outside the namespace the same copy has `euid=0(root)`.
#[test]
fn setuid_programs_gain_no_privileges_in_the_user_namespace() {
    if !need_root("to make a set-user-ID-root copy of id and run it as nobody") {
        return;
    }
    let prefix = installed();
    let ld_rs = prefix.join("bin/ld-rs");
    let dir = base().join("setuid");
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("id");
    install_root_copy(Path::new("/usr/bin/id"), Loader::Glibc, &copy, 0o4755);
    let copy_str = copy.to_str().unwrap();
    let privileged = start(unprivileged(&[copy_str]));
    let plain = start(unprivileged(&["/usr/bin/id"]));
    let under = start(unprivileged(&[ld_rs.to_str().unwrap(), "run", copy_str]));
    let _ = fs::remove_file(&copy);
    assert!(
        privileged.stdout_text().contains(" euid=0(root) "),
        "the set-user-ID copy does not run as root outside the namespace; the test cannot \
         tell:\n{privileged}"
    );
    assert!(!plain.stdout_text().contains("euid="), "{plain}");
    assert_same(&plain, &under);
}

/// An installed copy, moved elsewhere, works with the repository (and the target directory)
/// hidden under empty file systems.
#[test]
fn installed_copy_runs_without_the_repository() {
    if !need_root("to hide the repository in a mount namespace") {
        return;
    }
    let (first, moved) = (base().join("moving"), base().join("moved"));
    for dir in [&first, &moved] {
        let _ = fs::remove_dir_all(dir);
    }
    install(&first);
    fs::rename(&first, &moved).unwrap();
    let ld_rs = moved.join("bin/ld-rs");
    // Hide the target directory, then the repository (the target directory may be inside).
    let hide =
        r#"mount -t tmpfs none "$2" && mount -t tmpfs none "$1" && test ! -e "$1/Cargo.toml" && shift 2 && exec "$@""#;
    let mut run = Run::new("/usr/bin/unshare")
        .arg("-m")
        .arg("sh")
        .arg("-c")
        .arg(hide)
        .arg("sh")
        .arg(workspace_root())
        .arg(target_dir())
        .arg("/usr/bin/setpriv")
        .arg(format!("--reuid={NOBODY}"))
        .arg(format!("--regid={NOBODY}"))
        .arg("--clear-groups")
        .arg("/usr/bin/env")
        .arg("PATH=/usr/bin:/bin")
        .arg(&ld_rs)
        .arg("run")
        .current_dir("/")
        .timeout(Duration::from_secs(60));
    for arg in ["python3.11", "-c", PYTHON_MAPS] {
        run = run.arg(arg);
    }
    let out = start(run);
    assert_loader(&out, &moved.join("lib/ld-rs/ld-rs.so"), &[]);
    let _ = fs::remove_dir_all(&moved);
}

/// Where no user namespace can be made (here: a namespace whose
/// `/proc/sys/user/max_user_namespaces` is 0), `ld-rs run` says so, naming the setting,
/// and exits 125.
#[test]
fn no_user_namespace_names_the_cause() {
    if !need_root("to make a user namespace that allows no user namespaces") {
        return;
    }
    let ld_rs = installed().join("bin/ld-rs");
    // The outer shell waits until its uid and gid maps are written, then starts a second
    // one, which (now root of the namespace) may set the limit.
    let inner = format!(
        "echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --reuid={NOBODY} \
         --regid={NOBODY} --clear-groups env -i PATH=/usr/bin:/bin \"$0\" run true"
    );
    let mut child = Command::new("unshare")
        .arg("-U")
        .arg("sh")
        .arg("-c")
        .arg(r#"read _ && exec sh -c "$1" "$0""#)
        .arg(&ld_rs)
        .arg(&inner)
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare runs");
    let pid = child.id();
    let ours = fs::read_link("/proc/self/ns/user").unwrap();
    let mut waited = 0;
    while fs::read_link(format!("/proc/{pid}/ns/user")).is_ok_and(|ns| ns == ours) {
        assert!(waited < 2000, "unshare -U did not make a user namespace");
        std::thread::sleep(Duration::from_millis(5));
        waited += 5;
    }
    let map = format!("0 0 1\n{NOBODY} {NOBODY} 1\n");
    for file in ["uid_map", "gid_map"] {
        fs::write(format!("/proc/{pid}/{file}"), &map).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert!(
        stderr.starts_with("ld-rs: cannot put ld-rs in place of the system's loader: not root, and unshare(CLONE_NEWUSER) failed: No space left on device: user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0"),
        "{stderr}"
    );
}

/// `xtask deb`'s package, unpacked anywhere, finds its linker under its `usr` and runs
/// programs under it.
#[test]
fn debian_package_unpacked() {
    if !ld_rs_tests::need_program("dpkg-deb", "apt-get install -y dpkg") {
        return;
    }
    let xtask = target_dir().join("release").join("xtask");
    let out = Command::new(&xtask)
        .args(["deb", "--no-build"])
        .output()
        .expect("xtask runs");
    assert!(
        out.status.success(),
        "xtask deb failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let package = target_dir().join(format!("debian/ld-rs_{}_amd64.deb", env!("CARGO_PKG_VERSION")));
    let dir = base().join("deb");
    let _ = fs::remove_dir_all(&dir);
    let unpacked = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&package)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(unpacked.success(), "dpkg-deb -x {}", package.display());
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let ld_rs = dir.join("usr/bin/ld-rs");
    let linker = dir.join("usr/lib/ld-rs/ld-rs.so");
    let which = start(unprivileged(&[ld_rs.to_str().unwrap(), "which"]));
    assert_eq!(which.stdout_text(), format!("{}\n", linker.display()), "{which}");
    let out = start(unprivileged(&[
        ld_rs.to_str().unwrap(),
        "run",
        "python3.11",
        "-c",
        PYTHON_MAPS,
    ]));
    assert_loader(&out, &linker, &[]);
    let _ = fs::remove_dir_all(&dir);
}
