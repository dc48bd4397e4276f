//! Lazy binding preserves the argument registers, under threads.
//!
//! `iface_lazy/regs` calls eight library functions taking 8 doubles (xmm0-xmm7) and 6 ints
//! (rdi, rsi, rdx, rcx, r8, r9) through lazy PLT slots (-z lazy); eight threads meet at a
//! barrier and make their first calls at once, so the loader's lazy resolver runs in
//! several threads together and must hand every register on untouched. `regs_avx` does the
//! same with `__m256` arguments (ymm0-ymm7: the resolver must keep the upper halves), and
//! runs only on CPUs with AVX. Each program checks every result against the same arithmetic
//! done locally and prints per-thread checksums.
//!
//! Each runs with `LD_BIND_NOW` unset (the resolver's path) and set (no resolver).

use ld_rs_tests::elf::{assert_relocations, readelf};
use ld_rs_tests::{fixtures, Exit, Run, Way};
use std::time::Duration;

/// What `regs` prints (the same with and without `LD_BIND_NOW`).
const REGS_STDOUT: &str = "\
thread 0: checksum 118446.0 mismatches 0
thread 1: checksum 4672446.0 mismatches 0
thread 2: checksum 9226446.0 mismatches 0
thread 3: checksum 13780446.0 mismatches 0
thread 4: checksum 18334446.0 mismatches 0
thread 5: checksum 22888446.0 mismatches 0
thread 6: checksum 27442446.0 mismatches 0
thread 7: checksum 31996446.0 mismatches 0
all calls returned what their arguments say
";

/// What `regs_avx` prints.
const REGS_AVX_STDOUT: &str = "\
thread 0: checksum 1160256.0 mismatches 0
thread 1: checksum 10964256.0 mismatches 0
thread 2: checksum 20768256.0 mismatches 0
thread 3: checksum 30572256.0 mismatches 0
thread 4: checksum 40376256.0 mismatches 0
thread 5: checksum 50180256.0 mismatches 0
thread 6: checksum 59984256.0 mismatches 0
thread 7: checksum 69788256.0 mismatches 0
all calls returned what their arguments say
";

/// Whether this CPU has AVX (the `avx` flag in /proc/cpuinfo).
fn has_avx() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| {
            info.lines()
                .filter(|l| l.starts_with("flags"))
                .any(|l| l.split_whitespace().any(|flag| flag == "avx"))
        })
        .unwrap_or(false)
}

/// A run of `program`, with `LD_BIND_NOW=1` if `now`.
fn regs(program: &str, now: bool, stdout: &str) -> Run {
    let built = fixtures::iface_lazy();
    let mut run = Run::new(built.path(program))
        .env("LD_LIBRARY_PATH", built.dir())
        .timeout(Duration::from_secs(20))
        .expect_exit(Exit::Code(0))
        .expect_stdout(stdout);
    if now {
        run = run.env("LD_BIND_NOW", "1");
    }
    run
}

/// Guards the meaning of the tests: the programs call the functions through lazy PLT slots
/// (JUMP_SLOT relocations, no BIND_NOW / DF_1_NOW).
#[test]
fn programs_use_lazy_plt_slots() {
    let built = fixtures::iface_lazy();
    for program in ["regs", "regs_avx"] {
        let path = built.path(program);
        assert_relocations(&[&path], &["R_X86_64_JUMP_SLOT"]);
        let dynamic = readelf("-d", &path);
        assert!(
            !dynamic.contains("BIND_NOW") && !dynamic.contains(" NOW"),
            "{program} binds now:\n{dynamic}"
        );
        let relocs = readelf("-r", &path);
        let name = if program == "regs" { "regs_0" } else { "avx_0" };
        assert!(
            relocs
                .lines()
                .any(|l| l.contains("R_X86_64_JUMP_SLOT") && l.contains(name)),
            "{program} has no JUMP_SLOT for {name}:\n{relocs}"
        );
    }
}

/// The same run five times over: the race is in the timing.
fn repeat(run: Run, way: Way) {
    for _ in 0..5 {
        run.compare(way);
    }
}

mod doubles_lazy {
    use super::*;

    #[test]
    fn explicit() {
        repeat(regs("regs", false, REGS_STDOUT), Way::Explicit);
    }

    #[test]
    fn interp() {
        repeat(regs("regs", false, REGS_STDOUT), Way::Interp);
    }
}

mod doubles_bind_now {
    use super::*;

    #[test]
    fn explicit() {
        repeat(regs("regs", true, REGS_STDOUT), Way::Explicit);
    }

    #[test]
    fn interp() {
        repeat(regs("regs", true, REGS_STDOUT), Way::Interp);
    }
}

/// Runs the AVX variant (the CPU must have AVX).
fn avx(now: bool, way: Way) {
    if !ld_rs_tests::prerequisite(has_avx(), "a CPU with AVX") {
        return;
    }
    repeat(regs("regs_avx", now, REGS_AVX_STDOUT), way);
}

mod avx_lazy {
    use super::*;

    #[test]
    fn explicit() {
        avx(false, Way::Explicit);
    }

    #[test]
    fn interp() {
        avx(false, Way::Interp);
    }
}

mod avx_bind_now {
    use super::*;

    #[test]
    fn explicit() {
        avx(true, Way::Explicit);
    }

    #[test]
    fn interp() {
        avx(true, Way::Interp);
    }
}
