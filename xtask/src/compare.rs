//! Running one program under several loaders and comparing the runs, as both demos do.
//!
//! The last run is the reference — glibc's ld.so — and every other run must print the same
//! stdout and stderr and end with the same exit status. The first run's output is printed in
//! full; the others are identical to it when all is well, so only their command lines are
//! shown, unless they differ.

use std::ffi::OsString;
use std::path::Path;
use std::process::Output;

use crate::cmd::{self, Failed};

/// glibc's program interpreter: the reference every run is compared with.
pub const GLIBC_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// One way of running the program.
pub struct Run {
    /// How the program is started, e.g. "ld-rs, named on its command line".
    pub how: &'static str,
    /// The command line, run in the workspace root.
    pub argv: Vec<OsString>,
}

/// Runs each of `runs` (the reference last), prints them and says whether they all match the
/// reference; fails if one does not.
pub fn run_and_compare(runs: &[Run]) -> Result<(), Failed> {
    let outputs = runs
        .iter()
        .map(|run| cmd::capture(&run.argv))
        .collect::<Result<Vec<Output>, Failed>>()?;
    let reference = outputs.last().expect("there is a reference run");
    let same =
        |o: &Output| o.stdout == reference.stdout && o.stderr == reference.stderr && o.status == reference.status;

    for (i, (run, output)) in runs.iter().zip(&outputs).enumerate() {
        print_command(run);
        // The first output, and any that differs from the reference (and then the reference).
        let differs_here = !same(output) || (i + 1 == runs.len() && !outputs.iter().all(same));
        if i == 0 || differs_here {
            print_output(output);
        }
    }

    let other_runs = &runs[..runs.len() - 1];
    if outputs.iter().all(same) {
        let subject = match other_runs {
            [_] => "ld-rs printed",
            _ => "every run of ld-rs printed",
        };
        println!("Identical: {subject} the same stdout and stderr and exited as glibc's ld.so does.");
        Ok(())
    } else {
        for (run, output) in other_runs.iter().zip(&outputs).filter(|(_, o)| !same(o)) {
            println!(
                "DIFFERENT: {} does not match glibc's ld.so ({}).",
                run.how,
                differences(output, reference)
            );
        }
        Err(Failed)
    }
}

/// A path as it is shown and passed: relative to the workspace root (where the runs start)
/// when it is inside it, so the command lines read as a user would type them.
pub fn shown(path: &Path) -> OsString {
    path.strip_prefix(cmd::workspace_root()).unwrap_or(path).into()
}

/// Prints how a run was started and its command line.
fn print_command(run: &Run) {
    let line: Vec<_> = run.argv.iter().map(|a| a.to_string_lossy()).collect();
    println!("── {}: $ {}", run.how, line.join(" "));
}

/// Prints what a run printed (stderr marked as such) and how it ended.
fn print_output(output: &Output) {
    print!("{}", String::from_utf8_lossy(&output.stdout));
    if !output.stderr.is_empty() {
        println!("[stderr]");
        print!("{}", String::from_utf8_lossy(&output.stderr));
    }
    println!("[{}]\n", output.status);
}

/// What differs between a run and the reference, e.g. "stdout, exit status".
fn differences(output: &Output, reference: &Output) -> String {
    let parts = [
        ("stdout", output.stdout != reference.stdout),
        ("stderr", output.stderr != reference.stderr),
        ("exit status", output.status != reference.status),
    ];
    let differing: Vec<&str> = parts.iter().filter(|(_, d)| *d).map(|(what, _)| *what).collect();
    differing.join(", ")
}
