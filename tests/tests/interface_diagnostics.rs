//! `ld.so --list-diagnostics`: the loader's report on its configuration, the environment,
//! the auxiliary vector, the kernel and the CPU, compared line by line with glibc's.
//!
//! Both loaders run in the same environment, pinned to the same CPU (leaf 1 of CPUID carries
//! the APIC id of the CPU that ran it, and the report prints the raw CPUID words). What still
//! differs is normalized, and only in the auxiliary vector: the kernel maps the loader named
//! on the command line as the program, so `AT_PHDR`, `AT_ENTRY` (addresses, randomized) and
//! `AT_PHNUM` (each loader's own program header count) describe two different files,
//! `AT_EXECFN` is the path each loader was started by, and `AT_SYSINFO_EHDR` (the vDSO) and
//! `AT_RANDOM` (on the stack) are randomized per process. Every other line — `path.rtld`
//! included, which is the installed loader's path glibc was configured with, not the path of
//! the running file — must be byte-identical.

use ld_rs_tests::{fixtures, Exit, Run, Way};

/// The auxiliary vector entries whose values differ from run to run or by design (see the
/// module comment): `AT_PHDR`, `AT_PHNUM`, `AT_ENTRY`, `AT_RANDOM`, `AT_EXECFN`,
/// `AT_SYSINFO_EHDR`.
const VARYING_AUXV: [&str; 6] = ["0x3", "0x5", "0x9", "0x19", "0x1f", "0x21"];

/// Replaces the value of each `auxv[i].a_val` line whose `a_type` is in `VARYING_AUXV`, and
/// of its `auxv[i].a_val_string` line (glibc 2.41 prints string values too: `AT_EXECFN`'s).
fn normalize_auxv(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut varying = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let s = String::from_utf8_lossy(line);
        if s.starts_with("auxv[") {
            if let Some((label, value)) = s.trim_end().split_once('=') {
                if label.ends_with(".a_type") {
                    varying = VARYING_AUXV.contains(&value);
                } else if (label.ends_with(".a_val") || label.ends_with(".a_val_string")) && varying {
                    out.extend_from_slice(format!("{label}=<varies>\n").as_bytes());
                    continue;
                }
            }
        }
        out.extend_from_slice(line);
    }
    out
}

/// Pins this thread (and so the loaders it starts) to the first CPU it may run on.
fn pin_to_one_cpu() {
    extern "C" {
        fn sched_getaffinity(pid: i32, size: usize, mask: *mut u64) -> i32;
        fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
    }
    let mut mask = [0u64; 16];
    let size = std::mem::size_of_val(&mask);
    // SAFETY: the kernel writes at most `size` bytes into `mask`.
    assert_eq!(
        unsafe { sched_getaffinity(0, size, mask.as_mut_ptr()) },
        0,
        "sched_getaffinity"
    );
    let (word, bits) = mask
        .iter()
        .enumerate()
        .find(|(_, &w)| w != 0)
        .expect("some CPU is allowed");
    let mut one = [0u64; 16];
    one[word] = 1 << bits.trailing_zeros();
    // SAFETY: the kernel reads `size` bytes from `one`.
    assert_eq!(
        unsafe { sched_setaffinity(0, size, one.as_ptr()) },
        0,
        "sched_setaffinity"
    );
}

/// `ld.so --list-diagnostics` with these loader options, in an environment that exercises
/// the report: variables shown and filtered, quoting, a tunable that changes a CPU field,
/// `LD_PROFILE_OUTPUT`.
fn diagnostics<const N: usize>(run: Run, options: [&str; N]) -> Run {
    run.loader_args(options)
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env("HOME", "/root")
        .env("SECRET_TOKEN", "not-printed")
        .env("MALLOC_ARENA_MAX", "2")
        .env("LD_PROFILE_OUTPUT", "/tmp/profile")
        .env("GLIBC_TUNABLES", "glibc.cpu.x86_rep_movsb_threshold=4096")
        .env("LC_QUOTED", "a\"b\\c\u{1}\u{7f}\u{e9}")
        .normalize(normalize_auxv)
}

/// The whole report, line by line, and status 0.
#[test]
fn report_matches_glibc() {
    pin_to_one_cpu();
    let glibc = diagnostics(Run::new("unused").without_program(), ["--list-diagnostics"])
        .expect_exit(Exit::Code(0))
        .compare(Way::Explicit);
    // The oracle printed every part (a fixture with an empty report would prove nothing).
    // The environment's order is the harness's, so entries are found by their ends.
    let text = glibc.stdout_text();
    let has = |prefix: &str, suffix: &str| text.lines().any(|l| l.starts_with(prefix) && l.ends_with(suffix));
    for (prefix, suffix) in [
        ("dl_hwcaps_subdirs=", ""),
        ("env[", "]=\"PATH=/usr/bin:/bin\""),
        ("env_filtered[", "]=\"SECRET_TOKEN\""),
        ("env[", "]=\"LC_QUOTED=a\\\"b\\\\c\\001\\117\\773\\661\""),
        ("dl_profile_output=\"/tmp/profile\"", ""),
        ("path.rtld=", ""),
        ("auxv[0x0].a_type=", ""),
        ("uname.release=", ""),
        ("x86.cpu_features.features[0x0].cpuid[0x1]=", ""),
        ("x86.cpu_features.preferred.I686=", ""),
        ("x86.cpu_features.rep_movsb_threshold=0x1000", ""),
        ("x86.cpu_features.level4_cache_size=", ""),
    ] {
        assert!(has(prefix, suffix), "glibc's report lacks {prefix}…{suffix}:\n{text}");
    }
}

/// A program after the option is not run: the report, status 0.
#[test]
fn program_after_option_is_not_run() {
    pin_to_one_cpu();
    diagnostics(Run::new(fixtures::iface_basic().path("main")), ["--list-diagnostics"])
        .expect_exit(Exit::Code(0))
        .compare(Way::Explicit);
}

/// The options are all read before the report: a bad one after it is a usage error.
#[test]
fn bad_option_after_it_is_a_usage_error() {
    diagnostics(Run::new("unused").without_program(), ["--list-diagnostics", "--bogus"])
        .expect_exit(Exit::Code(1))
        .expect_stderr_contains("ld.so: unrecognized option '--bogus'\n")
        .compare(Way::Explicit);
}

/// The CPU part under the tunables that feed glibc's cache thresholds and preferences
/// (2.41's `x86_memset_non_temporal_threshold`, `prefer_map_32bit_exec` and the rule that
/// only a set `x86_rep_stosb_threshold` overrides the vendor's default; 2.36 ignores the
/// names it does not have, as both loaders must): the whole report, as glibc prints it.
#[test]
fn report_under_cache_tunables() {
    pin_to_one_cpu();
    for tunables in [
        "glibc.cpu.x86_rep_stosb_threshold=100",
        "glibc.cpu.x86_memset_non_temporal_threshold=0x100000:glibc.cpu.x86_non_temporal_threshold=0x200000",
        "glibc.cpu.hwcaps=-ERMS,-AVX2:glibc.cpu.prefer_map_32bit_exec=1",
        "glibc.cpu.x86_shared_cache_size=1000000:glibc.cpu.x86_data_cache_size=4096",
    ] {
        let glibc = diagnostics(Run::new("unused").without_program(), ["--list-diagnostics"])
            .env("GLIBC_TUNABLES", tunables)
            .expect_exit(Exit::Code(0))
            .compare(Way::Explicit);
        let text = glibc.stdout_text();
        let shown = format!("]=\"GLIBC_TUNABLES={tunables}\"");
        assert!(
            text.lines().any(|l| l.starts_with("env[") && l.ends_with(&shown))
                && text
                    .lines()
                    .any(|l| l.starts_with("x86.cpu_features.rep_stosb_threshold=")),
            "glibc's report lacks the tunables or the thresholds:\n{text}"
        );
    }
}
