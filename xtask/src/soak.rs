//! `cargo xtask soak`: a process that loads and unloads libraries for a long time, under
//! glibc's ld.so and under ld-rs, with the growth of its memory reported side by side.
//!
//! Three workloads, each run under both loaders (named on the command line) and compared:
//! - 20,000 dlopen/dlclose cycles of a C++ library with constructors, statics and TLS
//!   (`tests/fixtures/lifetime/cycle.cpp`, driven by `load.c`) in one thread;
//! - the same 20,000 cycles shared by eight threads at once;
//! - 1,000 distinct TLS libraries (copies of `xtask/soak/libmany.c`) open at once, their TLS
//!   used in five threads, then all closed; three rounds (`xtask/soak/many.c`).
//!
//! Each program prints what it saw (which must be the same under both loaders) and, on
//! stderr, how much VmRSS and VmSize grew over the measured part (after a warm-up; for the
//! 1,000 libraries, from the end of the first round to the end of the last). The report is
//! a table of those figures; the command fails if the outputs differ or if ld-rs's resident
//! set grew more than 1 MiB beyond glibc's.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cmd::{self, Failed};
use crate::compare::GLIBC_LOADER;

/// How much more than glibc's the resident set may grow under ld-rs, in KiB.
const RSS_BOUND_KB: i64 = 1024;

/// `cargo xtask soak [--cycles N] [--libraries N]`.
pub fn run(options: &[&str]) -> Result<(), Failed> {
    let mut cycles = 20_000u32;
    let mut libraries = 1_000u32;
    let mut rest = options;
    while let [option, value, tail @ ..] = rest {
        let slot = match *option {
            "--cycles" => &mut cycles,
            "--libraries" => &mut libraries,
            _ => break,
        };
        *slot = value.parse().map_err(|_| {
            eprintln!("xtask soak: {option} takes a number, not {value:?}");
            Failed
        })?;
        rest = tail;
    }
    if !rest.is_empty() {
        eprintln!("xtask soak: unknown options {rest:?} (usage: soak [--cycles N] [--libraries N])");
        return Err(Failed);
    }
    let ld_rs = crate::demo::build_ld_rs()?;
    let dir = build(libraries)?;
    let dir_arg: OsString = dir.clone().into();
    let workloads: Vec<(String, Vec<OsString>)> = vec![
        (
            format!("{cycles} cycles, 1 thread"),
            vec![
                dir.join("load").into(),
                dir_arg.clone(),
                cycles.to_string().into(),
                "1".into(),
            ],
        ),
        (
            format!("{cycles} cycles, 8 threads"),
            vec![
                dir.join("load").into(),
                dir_arg.clone(),
                (cycles / 8).to_string().into(),
                "8".into(),
            ],
        ),
        (
            format!("{libraries} TLS libraries at once, 3 rounds"),
            vec![
                dir.join("many").into(),
                dir.join("many-libs").into(),
                libraries.to_string().into(),
                "3".into(),
            ],
        ),
    ];
    let mut failed = false;
    let mut table =
        String::from("workload                                   loader  VmRSS growth  VmSize growth  wall time\n");
    for (name, argv) in &workloads {
        let mut figures = Vec::new();
        let mut outputs = Vec::new();
        for (loader, loader_path) in [("glibc", Path::new(GLIBC_LOADER)), ("ld-rs", ld_rs.as_path())] {
            let mut full: Vec<OsString> = vec![loader_path.into()];
            full.extend(argv.iter().cloned());
            let start = Instant::now();
            let out = cmd::capture(&full)?;
            let wall = start.elapsed();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let growth = parse_growth(&stderr);
            if !out.status.success() || growth.is_none() {
                eprintln!(
                    "xtask soak: {name} under {loader} failed ({}):\n{stdout}{stderr}",
                    out.status
                );
                failed = true;
            }
            let (rss, size) = growth.unwrap_or((0, 0));
            table.push_str(&format!(
                "{name:<42} {loader:<6} {rss:>8} KiB  {size:>9} KiB  {:>7.2} s\n",
                wall.as_secs_f64()
            ));
            figures.push((rss, size));
            outputs.push((out.status.code(), stdout));
        }
        if outputs[0] != outputs[1] {
            eprintln!(
                "xtask soak: {name}: ld-rs's output differs from glibc's:\n--- glibc\n{}--- ld-rs\n{}",
                outputs[0].1, outputs[1].1
            );
            failed = true;
        }
        if figures[1].0 > figures[0].0 + RSS_BOUND_KB {
            eprintln!(
                "xtask soak: {name}: ld-rs's resident set grew {} KiB, glibc's {} KiB",
                figures[1].0, figures[0].0
            );
            failed = true;
        }
    }
    print!("{table}");
    let report = cmd::target_dir().join("soak").join("report.txt");
    let _ = fs::write(&report, &table);
    println!("(also in {})", report.display());
    if failed {
        Err(Failed)
    } else {
        Ok(())
    }
}

/// `growth RSS SIZE [...]` from a program's stderr, in KiB.
fn parse_growth(stderr: &str) -> Option<(i64, i64)> {
    let line = stderr.lines().find_map(|l| l.strip_prefix("growth "))?;
    let mut nums = line.split_whitespace().map(|n| n.parse::<i64>());
    Some((nums.next()?.ok()?, nums.next()?.ok()?))
}

/// Builds the programs and libraries in `target/soak/`; returns that directory.
fn build(libraries: u32) -> Result<PathBuf, Failed> {
    let root = cmd::workspace_root();
    let lifetime = root.join("tests").join("fixtures").join("lifetime");
    let soak = root.join("xtask").join("soak");
    let dir = cmd::target_dir().join("soak");
    let many = dir.join("many-libs");
    let _ = fs::remove_dir_all(&many);
    fs::create_dir_all(&many).map_err(|err| {
        eprintln!("xtask soak: cannot create {}: {err}", many.display());
        Failed
    })?;
    // The fixtures' shared headers (proc_status.h).
    let include = cmd::workspace_root().join("tests/fixtures/include");
    let gcc = |args: &[&str], out: &Path| -> Result<(), Failed> {
        let mut command = std::process::Command::new("gcc");
        command
            .args(["-O2", "-g", "-Wall", "-Wextra"])
            .arg(format!("-I{}", include.display()))
            .args(args)
            .arg("-o")
            .arg(out);
        cmd::status(&mut command, &format!("gcc {}", args.join(" ")))
    };
    let path = |p: PathBuf| p.to_string_lossy().into_owned();
    gcc(
        &["-shared", "-fPIC", &path(lifetime.join("cycle.cpp")), "-lstdc++"],
        &dir.join("libcycle.so"),
    )?;
    gcc(
        &[&path(lifetime.join("load.c")), "-rdynamic", "-pthread"],
        &dir.join("load"),
    )?;
    gcc(&[&path(soak.join("many.c")), "-pthread"], &dir.join("many"))?;
    let one = dir.join("libmany.so");
    gcc(&["-shared", "-fPIC", &path(soak.join("libmany.c"))], &one)?;
    for i in 0..libraries {
        let copy = many.join(format!("libmany-{i:04}.so"));
        fs::copy(&one, &copy).map_err(|err| {
            eprintln!("xtask soak: cannot copy {} to {}: {err}", one.display(), copy.display());
            Failed
        })?;
    }
    Ok(dir)
}
