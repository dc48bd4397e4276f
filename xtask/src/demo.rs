//! `cargo xtask demo`: the main job of ld-rs — python3 under ld-rs, next to python3 under
//! glibc's ld.so.
//!
//! The demo builds the linker and runs `python3 xtask/demo/demo.py` twice, with the loader
//! named on the command line: under ld-rs and under glibc's ld.so, the reference. The script
//! imports extension modules (each a `dlopen`), runs threads, calls C through ctypes and
//! starts a copy of itself under the same loader; it prints only deterministic results, so
//! the two runs must print the same bytes and exit the same way. The demo prints ld-rs's run
//! and whether the two are identical, and fails if they are not.

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd::{self, cargo, Failed};
use crate::compare::{self, shown, Run, GLIBC_LOADER};

/// The python used when there is none on `PATH`: Debian's.
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// `cargo xtask demo`: builds ld-rs, runs the python demo under ld-rs and glibc's ld.so and
/// compares.
pub fn run() -> Result<(), Failed> {
    let ld_rs = build_ld_rs()?;
    let python = find_python();
    let script = shown(&cmd::workspace_root().join("xtask").join("demo").join("demo.py"));
    println!(
        "ld-rs demo: {} running {} — extension modules, threads, ctypes and a subprocess\n",
        python.display(),
        script.to_string_lossy()
    );
    let python = OsString::from(python);
    compare::run_and_compare(&[
        Run {
            how: "ld-rs, named on its command line",
            argv: vec![shown(&ld_rs), python.clone(), script.clone()],
        },
        Run {
            how: "glibc's ld.so, named on its command line",
            argv: vec![GLIBC_LOADER.into(), python, script],
        },
    ])
}

/// Builds the linker (`cargo build --release -p ld-rs`) and returns the path programs give
/// it by: `<target>/release/ld-rs.so`.
pub fn build_ld_rs() -> Result<PathBuf, Failed> {
    cargo(&["build", "--release", "-p", "ld-rs"])?;
    // Absolute (the target directory is), and not canonicalized: `ld-rs.so` is the name
    // programs are to give in PT_INTERP, not the `ld-rs` file the symbolic link points to.
    let ld_rs = cmd::target_dir().join("release").join("ld-rs.so");
    if !ld_rs.exists() {
        eprintln!("xtask: the build left no linker at {}", ld_rs.display());
        return Err(Failed);
    }
    Ok(ld_rs)
}

/// The python3 to run: the first `python3` on `PATH`, else [`SYSTEM_PYTHON`].
///
/// A loader runs ELF programs only, and the `python3` on `PATH` may be a launcher script
/// (pyenv's shims are); then the interpreter is the one the launcher starts, which is what
/// it reports as `sys.executable`.
fn find_python() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("python3"))
        .find(|candidate| is_executable(candidate));
    let Some(found) = on_path else {
        return SYSTEM_PYTHON.into();
    };
    if is_elf(&found) {
        return found;
    }
    let reported = Command::new(&found)
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim_end()));
    match reported {
        Some(python) if is_elf(&python) => python,
        _ => SYSTEM_PYTHON.into(),
    }
}

/// Whether `path` is a regular file someone may execute.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether `path` starts with the ELF magic number.
fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\x7fELF"
}
