//! `cargo xtask demo-c`: the first demo, a `-nostdlib` C program and library under ld-rs.
//!
//! Before ld-rs could run programs linked with glibc, this was its main job, and it still
//! shows the core linker alone, with no C library: a constructor, data shared through a
//! `COPY` relocation, lazy PLT binding, symbol versions and an IFUNC. The program is built
//! from `xtask/demo/*.c` with ld-rs as its `PT_INTERP` and run three ways: under ld-rs named
//! on its command line, under ld-rs started by the kernel, and under glibc's ld.so, the
//! reference; all three must print the same thing and exit the same way.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Failed};
use crate::compare::{self, shown, Run, GLIBC_LOADER};
use crate::demo::build_ld_rs;

/// `cargo xtask demo-c`: builds ld-rs and the C demo, runs it three ways and compares.
pub fn run() -> Result<(), Failed> {
    let ld_rs = build_ld_rs()?;
    let program = shown(&build_demo(&ld_rs)?);
    println!(
        "ld-rs demo-c: a -nostdlib program and library: a constructor, data shared through a COPY \
         relocation, lazy PLT binding, symbol versions and an IFUNC\n"
    );
    compare::run_and_compare(&[
        Run {
            how: "ld-rs, named on its command line",
            argv: vec![shown(&ld_rs), program.clone()],
        },
        Run {
            how: "ld-rs, started by the kernel as PT_INTERP",
            argv: vec![program.clone()],
        },
        Run {
            how: "glibc's ld.so, named on its command line",
            argv: vec![GLIBC_LOADER.into(), program],
        },
    ])
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
