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

/// The sums of libtest's `test result:` lines.
#[derive(Debug, Default)]
pub struct TestTotals {
    pub passed: usize,
    pub failed: usize,
    pub ignored: usize,
}

/// Runs `cargo ARGS` (a `cargo test`) like [`cargo`], passing its stdout through while
/// adding up the `test result: ok. N passed; M failed; I ignored; …` lines.
pub fn cargo_test(args: &[&str]) -> (Result<(), Failed>, TestTotals) {
    cargo_test_with(args, &[])
}

/// [`cargo_test`] with variables added to the environment.
pub fn cargo_test_with(args: &[&str], env: &[(&str, &str)]) -> (Result<(), Failed>, TestTotals) {
    use std::io::{BufRead, Write};
    let mut totals = TestTotals::default();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut what = String::new();
    for (key, value) in env {
        what.push_str(&format!("{key}={value} "));
    }
    what.push_str(&format!("cargo {}", args.join(" ")));
    let mut child = match Command::new(cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(workspace_root())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => {
            eprintln!("xtask: cannot run `{what}`: {err}");
            return (Err(Failed), totals);
        }
    };
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut out = std::io::stdout().lock();
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let _ = writeln!(out, "{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(kind), Some(count)) = (words.next(), words.next()) else {
                    continue;
                };
                let Ok(count) = count.parse::<usize>() else { continue };
                match kind {
                    "passed" => totals.passed += count,
                    "failed" => totals.failed += count,
                    "ignored" => totals.ignored += count,
                    _ => {}
                }
            }
        }
    }
    drop(out);
    let result = match child.wait() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => {
            eprintln!("xtask: `{what}` failed ({status})");
            Err(Failed)
        }
        Err(err) => {
            eprintln!("xtask: cannot wait for `{what}`: {err}");
            Err(Failed)
        }
    };
    (result, totals)
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
