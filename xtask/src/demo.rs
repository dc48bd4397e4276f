//! `cargo xtask demo`: ld-rs running a program, next to glibc's ld.so running the same one.
//!
//! The demo builds the linker, prepares the *main job* — the program that shows best what
//! ld-rs can do today — and runs it three ways: under ld-rs named on its command line, under
//! ld-rs started by the kernel as the program's `PT_INTERP`, and under glibc's ld.so, the
//! reference. It prints each run and then whether all three printed the same thing and ended
//! the same way; if not, it fails.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cmd::{self, cargo, Failed};

/// glibc's program interpreter: the reference every run is compared with.
const GLIBC_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// One program to run under each loader.
struct Job {
    /// What the program is, in one line.
    title: String,
    /// The program, as a loader named on the command line runs it.
    program: PathBuf,
    /// The same program with a `PT_INTERP` that names ld-rs, for the kernel to start ld-rs.
    /// (A program linked with `--dynamic-linker`, or a copy made with `patchelf
    /// --set-interpreter`; it may be `program` itself.)
    interp_program: PathBuf,
    /// Its arguments.
    args: Vec<OsString>,
}

/// The main job of ld-rs: what `cargo xtask demo` runs.
///
/// Today it is a `-nostdlib` program and library built from `xtask/demo/`, because ld-rs
/// cannot yet run programs linked with glibc (`libc.so.6` needs the private contract glibc's
/// own ld.so keeps with it). When it can, the main job becomes **python3 under ld-rs**: this
/// function then returns a [`Job`] whose `program` is `/usr/bin/python3` with a `-c` script as
/// `args`, and whose `interp_program` is a copy of python3 made by `patchelf --set-interpreter
/// <ld_rs>` into `target/demo/`. Nothing else in this file needs to change.
fn main_job(ld_rs: &Path) -> Result<Job, Failed> {
    let program = build_demo(ld_rs)?;
    Ok(Job {
        title: "a -nostdlib program and library: a constructor, data shared through a COPY \
                relocation, lazy PLT binding, symbol versions and an IFUNC"
            .to_owned(),
        program: program.clone(),
        interp_program: program,
        args: Vec::new(),
    })
}

/// `cargo xtask demo`: builds ld-rs, runs the main job three ways and compares.
pub fn run() -> Result<(), Failed> {
    cargo(&["build", "--release", "-p", "ld-rs"])?;
    // Absolute (the target directory is), and not canonicalized: `ld-rs.so` is the name
    // programs are to give in PT_INTERP, not the `ld-rs` file the symbolic link points to.
    let ld_rs = cmd::target_dir().join("release").join("ld-rs.so");
    if !ld_rs.exists() {
        eprintln!("xtask: the build left no linker at {}", ld_rs.display());
        return Err(Failed);
    }
    let job = main_job(&ld_rs)?;
    println!("ld-rs demo: {}\n", job.title);

    let with_args = |argv: Vec<OsString>| -> Vec<OsString> { argv.into_iter().chain(job.args.clone()).collect() };
    let runs = [
        (
            "ld-rs, named on its command line",
            with_args(vec![shown(&ld_rs), shown(&job.program)]),
        ),
        (
            "ld-rs, started by the kernel as PT_INTERP",
            with_args(vec![shown(&job.interp_program)]),
        ),
        (
            "glibc's ld.so, named on its command line",
            with_args(vec![GLIBC_LOADER.into(), shown(&job.program)]),
        ),
    ];
    let mut outputs = Vec::new();
    for (how, argv) in &runs {
        let output = cmd::capture(argv)?;
        print_run(how, argv, &output);
        outputs.push(output);
    }

    let reference = outputs.last().expect("there is a reference run");
    let same =
        |o: &Output| o.stdout == reference.stdout && o.stderr == reference.stderr && o.status == reference.status;
    if outputs.iter().all(same) {
        println!("Identical: both ways into ld-rs print the same stdout and stderr and exit as glibc's ld.so does.");
        Ok(())
    } else {
        for ((how, _), output) in runs.iter().zip(&outputs).filter(|(_, o)| !same(o)) {
            println!(
                "DIFFERENT: {how} does not match glibc's ld.so ({}).",
                differences(output, reference)
            );
        }
        Err(Failed)
    }
}

/// Builds `target/demo/libdemo.so` and `target/demo/demo` from `xtask/demo/`, the program
/// with ld-rs as its `PT_INTERP` and `$ORIGIN` in its `DT_RUNPATH`, so it finds its library
/// however it is started. Returns the program's path.
fn build_demo(ld_rs: &Path) -> Result<PathBuf, Failed> {
    let src = cmd::workspace_root().join("xtask").join("demo");
    let out = cmd::target_dir().join("demo");
    fs::create_dir_all(&out).map_err(|err| {
        eprintln!("xtask: cannot create {}: {err}", out.display());
        Failed
    })?;
    // No C library: no start files, no stack protector (its canary lives in TLS), no calls to
    // memcpy and friends that the compiler might invent and nothing would define.
    let common = [
        "-O2",
        "-g",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-nostdlib",
        "-fno-stack-protector",
        "-fno-builtin",
        "-fno-tree-loop-distribute-patterns",
    ];
    gcc(
        &out,
        &common,
        &[
            "-shared".into(),
            "-fPIC".into(),
            arg("-Wl,--version-script=", &src.join("libdemo.map")),
            "-Wl,-z,defs".into(),
            "-o".into(),
            "libdemo.so".into(),
            src.join("libdemo.c").into(),
        ],
    )?;
    gcc(
        &out,
        &common,
        &[
            "-fPIE".into(),
            "-pie".into(),
            // Leave the PLT to be bound on first call (some toolchains default to -z now).
            "-Wl,-z,lazy".into(),
            arg("-Wl,--dynamic-linker=", ld_rs),
            "-Wl,-rpath,$ORIGIN".into(),
            "-o".into(),
            "demo".into(),
            src.join("start.S").into(),
            src.join("demo.c").into(),
            "-L.".into(),
            "-ldemo".into(),
        ],
    )?;
    Ok(out.join("demo"))
}

/// Runs gcc in `dir` with the common flags, then the step's own.
fn gcc(dir: &Path, common: &[&str], args: &[OsString]) -> Result<(), Failed> {
    let mut command = Command::new("gcc");
    command.current_dir(dir).args(common).args(args);
    let line = std::iter::once("gcc".into())
        .chain(command.get_args().map(|a| a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    cmd::status(&mut command, &line)
}

/// `prefix` followed by a path, as one argument.
fn arg(prefix: &str, path: &Path) -> OsString {
    let mut arg = OsString::from(prefix);
    arg.push(path);
    arg
}

/// A path as it is shown and passed: relative to the workspace root (where the runs start)
/// when it is inside it, so the command lines read as a user would type them.
fn shown(path: &Path) -> OsString {
    path.strip_prefix(cmd::workspace_root()).unwrap_or(path).into()
}

/// Prints one run: how the program was started, the command, what it printed, how it ended.
fn print_run(how: &str, argv: &[OsString], output: &Output) {
    let line: Vec<_> = argv.iter().map(|a| a.to_string_lossy()).collect();
    println!("── {how}: $ {}", line.join(" "));
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
