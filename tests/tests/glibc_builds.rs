//! Builds known by identity: a `libc.so.6` of the right release whose build id no layout table
//! lists is refused before any of it runs, with one line that names it and the command that
//! adds it; glibc's own loader runs the same copy.
//!
//! Inside a root filesystem (`LD_RS_TESTS_ROOT=trixie`), the same with that root's libc.so.6
//! (glibc 2.41) and its loader.

use ld_rs_tests::root::{self, Root};
use ld_rs_tests::{fixtures, Exit, Loader, Run, Way};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The machine's libc.so.6 (the build ld-rs's table covers), as a path inside the root the
/// tests run in, if any.
const SYSTEM_LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

/// The root filesystem the tests run in (`$LD_RS_TESTS_ROOT`), if any.
fn in_root() -> Option<&'static Root> {
    root::selected()
}

/// [`SYSTEM_LIBC`] on this machine.
fn system_libc() -> PathBuf {
    match in_root() {
        Some(root) => root.outside(Path::new(SYSTEM_LIBC)),
        None => PathBuf::from(SYSTEM_LIBC),
    }
}

/// The glibc release of [`SYSTEM_LIBC`], as ld-rs names it.
fn release() -> &'static str {
    match in_root().map(Root::suite) {
        Some("trixie") => "GLIBC_2.41",
        Some(suite) => panic!("no glibc release written down for {suite}"),
        None => "GLIBC_2.36",
    }
}

/// How the process under test sees `path` (inside the root, if any).
fn seen(path: &Path) -> PathBuf {
    match in_root() {
        Some(root) => root.inside(path),
        None => path.to_owned(),
    }
}

/// A directory holding a copy of the system's libc.so.6 whose `NT_GNU_BUILD_ID` bytes are all
/// inverted, and that build id in hex.
fn unknown_build() -> &'static (PathBuf, String) {
    static COPY: OnceLock<(PathBuf, String)> = OnceLock::new();
    COPY.get_or_init(|| {
        let dir = fixtures::libc_basic().dir().join("unknown_libc_build");
        std::fs::create_dir_all(&dir).expect("make the directory of the copy");
        let mut bytes = std::fs::read(system_libc()).expect("read the system's libc.so.6");
        // The note header: namesz 4, descsz 20, NT_GNU_BUILD_ID, "GNU\0"; the id follows.
        let header: Vec<u8> = [4u32, 20, 3]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .chain(*b"GNU\0")
            .collect();
        let at = bytes
            .windows(header.len())
            .position(|w| w == header)
            .expect("libc.so.6 has a GNU build id note")
            + header.len();
        let mut hex = String::new();
        for b in &mut bytes[at..at + 20] {
            *b = !*b;
            hex.push_str(&format!("{b:02x}"));
        }
        let tmp = dir.join(format!("libc.so.6.{}", std::process::id()));
        std::fs::write(&tmp, &bytes).expect("write the copy");
        std::fs::rename(&tmp, dir.join("libc.so.6")).expect("rename the copy into place");
        (dir, hex)
    })
}

/// glibc's loader runs `hello` with the copy (it is a working libc: only its identity
/// changed); ld-rs refuses it with the line below and status 127, and `hello` prints nothing.
#[test]
fn unknown_libc_build_is_refused() {
    let (dir, hex) = unknown_build();
    let hello = fixtures::libc_basic().path("hello");
    let plain = Run::new(&hello).run(Loader::Glibc, Way::Explicit);
    assert_eq!(plain.exit, Exit::Code(0), "hello under glibc's loader:\n{plain}");
    let run = Run::new(&hello).env("LD_LIBRARY_PATH", dir);
    let glibc = run.run(Loader::Glibc, Way::Explicit);
    assert_eq!(glibc.exit, Exit::Code(0), "glibc's loader with the copy:\n{glibc}");
    assert_eq!(glibc.stdout, plain.stdout, "glibc's loader with the copy:\n{glibc}");

    let ldrs = run.run(Loader::LdRs, Way::Explicit);
    let expected = format!(
        "{}: error while loading shared libraries: {}/libc.so.6: unknown {} \
         build (build id {hex}): ld-rs runs only glibc builds whose layout it has; add this one \
         with `cargo xtask glibc-layout ROOT` (a root filesystem with this libc6 and its libc6-dbg)\n",
        seen(&hello).display(),
        seen(dir).display(),
        release()
    );
    assert_eq!(ldrs.stderr_text(), expected, "ld-rs with the copy:\n{ldrs}");
    assert_eq!(ldrs.exit, Exit::Code(127), "ld-rs with the copy:\n{ldrs}");
    assert!(ldrs.stdout.is_empty(), "hello ran under ld-rs with the copy:\n{ldrs}");
}

/// The system's own libc.so.6, found the same way through LD_LIBRARY_PATH, runs under both
/// (the refusal above is about the build id, not the path).
#[test]
fn known_libc_build_runs() {
    let dir = fixtures::libc_basic().dir().join("known_libc_build");
    std::fs::create_dir_all(&dir).expect("make the directory of the copy");
    let tmp = dir.join(format!("libc.so.6.{}", std::process::id()));
    std::fs::copy(system_libc(), &tmp).expect("copy libc.so.6");
    std::fs::rename(&tmp, dir.join("libc.so.6")).expect("rename the copy into place");
    let hello = fixtures::libc_basic().path("hello");
    Run::new(hello)
        .env("LD_LIBRARY_PATH", dir)
        .expect_exit(Exit::Code(0))
        .compare(Way::Explicit);
}
