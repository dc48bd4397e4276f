//! Where things are, and running other programs: cargo, gcc, and the program under each loader.
//!
//! A failure is reported where it happens, on stderr, and travels up as [`Failed`], which
//! `main` turns into a non-zero exit status.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A step failed; what went wrong has already been printed.
#[derive(Debug)]
pub struct Failed;

/// The cargo workspace root (the parent of this package).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the workspace root) if set,
/// else `<workspace>/target`, as the test harness has it.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Runs `cargo ARGS` in the workspace root with inherited stdio (the cargo that started us,
/// if cargo started us).
pub fn cargo(args: &[&str]) -> Result<(), Failed> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(workspace_root());
    status(&mut command, &format!("cargo {}", args.join(" ")))
}

/// Runs a command to completion with inherited stdio; `what` names it in error messages.
pub fn status(command: &mut Command, what: &str) -> Result<(), Failed> {
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => {
            eprintln!("xtask: `{what}` failed ({status})");
            Err(Failed)
        }
        Err(err) => {
            eprintln!("xtask: cannot run `{what}`: {err}");
            Err(Failed)
        }
    }
}

/// Runs `argv` in the workspace root with empty stdin, capturing what it prints and how it ends.
pub fn capture(argv: &[OsString]) -> Result<Output, Failed> {
    let (program, args) = argv.split_first().expect("a command line names a program");
    Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .output()
        .map_err(|err| {
            eprintln!("xtask: cannot run {}: {err}", program.to_string_lossy());
            Failed
        })
}
