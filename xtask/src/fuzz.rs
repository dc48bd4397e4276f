//! `cargo xtask fuzz`: the `elf` crate's parsers under a coverage-guided fuzzer.
//!
//! The linker reads every header of every file it loads before it trusts it, and it must not
//! panic on any of them: there is nothing to catch a panic in a program interpreter. The fuzz
//! targets in `fuzz/fuzz_targets/` feed arbitrary bytes to each parser of `crates/elf` —
//! `header` (the ELF header and program header table), `object` (a file laid out as the loader
//! maps it, then its dynamic section, strings, GNU and SysV hash tables with lookups, version
//! definitions and requirements, packed relative relocations) and `cache`
//! (`/etc/ld.so.cache`). A panic, a hang (10 s per input) or an allocation over 2 GiB is a
//! failure, and the input that caused it is kept in `target/fuzz/artifacts/TARGET/`.
//!
//! The fuzzer is libFuzzer, through the `libfuzzer-sys` crate, on the machine's stable
//! toolchain: rustc's SanitizerCoverage pass (`-Cpasses=sancov-module`) instruments the code
//! for coverage without any nightly-only sanitizer. The targets are built with debug assertions
//! and overflow checks, so an arithmetic overflow is a crash too. `--target` keeps the flags
//! off build scripts and off the linker itself, which is never built here.
//!
//! The seed corpus lives in the repository (`fuzz/corpus/TARGET/`, minimized with libFuzzer's
//! merge); each run works on a copy under `target/fuzz/corpus/TARGET/`, to which the files of
//! this machine (`/bin/true`, `libz.so.1`, `/etc/ld.so.cache`) are added as further seeds.
//! `--update-corpus` merges what a run found back into the repository's corpus.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Failed};

const USAGE: &str = "\
usage: cargo xtask fuzz [TARGET...] [--runs N | --seconds S] [--update-corpus]

Targets: header, object, cache (default: all). Each runs N executions (default 1,000,000)
or S seconds; a panic, a hang (10 s per input) or a 2 GiB allocation fails the command and
keeps the input in target/fuzz/artifacts/TARGET/.";

const TARGETS: &[&str] = &["header", "object", "cache"];

/// The flags that make libFuzzer's coverage instrumentation on stable rustc.
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

const HOST: &str = "x86_64-unknown-linux-gnu";

pub fn run(args: &[&str]) -> Result<(), Failed> {
    let mut targets: Vec<&str> = Vec::new();
    let mut budget = Budget::Runs(1_000_000);
    let mut update = false;
    let mut it = args.iter();
    while let Some(&a) = it.next() {
        match a {
            "--runs" | "--seconds" => {
                let Some(n) = it.next().and_then(|n| n.replace(',', "").parse::<u64>().ok()) else {
                    eprintln!("xtask fuzz: {a} needs a number\n{USAGE}");
                    return Err(Failed);
                };
                budget = if a == "--runs" {
                    Budget::Runs(n)
                } else {
                    Budget::Seconds(n)
                };
            }
            "--update-corpus" => update = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            t if TARGETS.contains(&t) => targets.push(t),
            _ => {
                eprintln!("xtask fuzz: unknown argument {a}\n{USAGE}");
                return Err(Failed);
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let bin_dir = build()?;
    let mut failed = false;
    let mut lines = Vec::new();
    for target in targets {
        match fuzz_one(&bin_dir, target, budget, update) {
            Ok(line) => lines.push(line),
            Err(Failed) => {
                failed = true;
                lines.push(format!("{target}: FAILED (see above)"));
            }
        }
    }
    println!("\nfuzz summary:");
    for line in &lines {
        println!("  {line}");
    }
    if failed {
        Err(Failed)
    } else {
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Budget {
    Runs(u64),
    Seconds(u64),
}

fn fuzz_dir() -> PathBuf {
    cmd::workspace_root().join("fuzz")
}

/// Builds the fuzz targets with coverage instrumentation; returns where the binaries are.
fn build() -> Result<PathBuf, Failed> {
    let target_dir = cmd::target_dir().join("fuzz");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut c = Command::new(cargo);
    c.args(["build", "--release", "--bins", "--target", HOST])
        .current_dir(fuzz_dir())
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("RUSTFLAGS", RUSTFLAGS)
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd::status(&mut c, "cargo build (fuzz targets)")?;
    Ok(target_dir.join(HOST).join("release"))
}

/// Runs one target; returns its summary line.
fn fuzz_one(bin_dir: &Path, target: &str, budget: Budget, update: bool) -> Result<String, Failed> {
    let work = cmd::target_dir().join("fuzz/corpus").join(target);
    let artifacts = cmd::target_dir().join("fuzz/artifacts").join(target);
    let repo_corpus = fuzz_dir().join("corpus").join(target);
    for dir in [&work, &artifacts, &repo_corpus] {
        fs::create_dir_all(dir).map_err(|e| fail(&format!("{}: {e}", dir.display())))?;
    }
    for seed in machine_seeds(target) {
        if let (Ok(bytes), Some(name)) = (fs::read(&seed), seed.file_name()) {
            let _ = fs::write(work.join(name), bytes);
        }
    }
    let mut c = Command::new(bin_dir.join(target));
    c.arg(&work)
        .arg(&repo_corpus)
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        .arg("-malloc_limit_mb=2048")
        .arg("-max_len=262144")
        .arg("-print_final_stats=1");
    match budget {
        Budget::Runs(n) => c.arg(format!("-runs={n}")),
        Budget::Seconds(s) => c.arg(format!("-max_total_time={s}")),
    };
    println!("── fuzz {target}");
    let out = c
        .output()
        .map_err(|e| fail(&format!("cannot run {}: {e}", bin_dir.join(target).display())))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let log_path = cmd::target_dir().join(format!("fuzz/{target}.log"));
    let _ = fs::write(&log_path, log.as_bytes());
    let stat = |name: &str| -> Option<u64> {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .and_then(|v| v.trim().parse().ok())
    };
    let execs = stat("number_of_executed_units").unwrap_or(0);
    let seconds = log
        .lines()
        .find_map(|l| l.strip_prefix("Done ").and_then(|r| r.split(" runs in ").nth(1)))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|s| s.parse::<u64>().ok());
    let cov = log
        .lines()
        .rev()
        .find_map(|l| l.split("cov: ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("?")
        .to_string();
    if !out.status.success() {
        for line in log
            .lines()
            .filter(|l| !l.starts_with('#'))
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .iter()
            .rev()
        {
            eprintln!("  {line}");
        }
        return Err(fail(&format!(
            "{target}: the fuzzer found a failure ({}); inputs in {}, log {}",
            out.status,
            artifacts.display(),
            log_path.display()
        )));
    }
    if update {
        merge_into_repo(bin_dir, target, &work, &repo_corpus)?;
    }
    let time = seconds.map_or(String::new(), |s| format!(" in {s} s"));
    Ok(format!(
        "{target}: {execs} executions{time}, coverage {cov} edges, no crash, panic or hang"
    ))
}

/// The files of this machine each target starts from, beside the repository's corpus.
fn machine_seeds(target: &str) -> Vec<PathBuf> {
    let candidates: &[&str] = match target {
        "header" | "object" => &["/bin/true", "/lib/x86_64-linux-gnu/libz.so.1"],
        "cache" => &["/etc/ld.so.cache"],
        _ => &[],
    };
    candidates.iter().map(PathBuf::from).filter(|p| p.is_file()).collect()
}

/// libFuzzer's merge: the inputs of `work` that add coverage to the repository's corpus.
fn merge_into_repo(bin_dir: &Path, target: &str, work: &Path, repo: &Path) -> Result<(), Failed> {
    fs::create_dir_all(repo).map_err(|e| fail(&format!("{}: {e}", repo.display())))?;
    let mut c = Command::new(bin_dir.join(target));
    // Only inputs up to 32 KiB go into the repository: what a bigger file adds, this
    // machine's own files (the run-time seeds) bring anyway.
    c.arg("-merge=1").arg("-max_len=32768").arg(repo).arg(work);
    let out = c.output().map_err(|e| fail(&format!("merge: {e}")))?;
    if !out.status.success() {
        return Err(fail(&format!("{target}: corpus merge failed")));
    }
    println!("   corpus merged into {}", repo.display());
    Ok(())
}

fn fail(msg: &str) -> Failed {
    eprintln!("xtask fuzz: {msg}");
    Failed
}
