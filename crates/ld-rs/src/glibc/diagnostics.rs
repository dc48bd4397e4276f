//! `ld.so --list-diagnostics`: glibc 2.36's report on the loader's build,
//! the process, the kernel and the CPU, in its format.
//!
//! The report is for bug reports and for scripts that compare machines, so
//! it reproduces glibc's byte for byte: one `label=value` a line, numbers in
//! hexadecimal with `0x`, strings in double quotes with control and
//! non-ASCII bytes as backslash escapes.  Its parts, in glibc's order
//! (elf/dl-diagnostics.c, sysdeps/unix/sysv/linux/dl-diagnostics-kernel.c,
//! sysdeps/x86/dl-diagnostics-cpu.c):
//!
//! - `dl_*`: the loader's view of the hardware (`GLRO(dl_hwcap)`, the
//!   `glibc-hwcaps` subdirectories and which of them the CPU can use, the
//!   platform name);
//! - `dso.*`, `path.*`, `version.*`: how glibc 2.36 was configured — the
//!   constants of the build ld-rs replaces, since ld-rs is installed as its
//!   `/lib64/ld-linux-x86-64.so.2` and serves its `libc.so.6`;
//! - `env[i]` / `env_filtered[i]`: every environment entry, the value shown
//!   only for variables on glibc's list of ones that cannot hold secrets;
//! - `auxv[i]`: the kernel's auxiliary vector as the kernel laid it out;
//! - `uname.*`: the kernel's `uname(2)` fields;
//! - `x86.cpu_features.*`: the `struct cpu_features` libc's IFUNC resolvers
//!   read, field by field (cpu_features.rs computes it as glibc does).

use alloc::vec::Vec;
use elf::consts::{AT_BASE_PLATFORM, AT_EXECFN, AT_NULL, AT_PLATFORM};

use super::cpu_features::{self, CpuFeatures, CpuidSource};
use crate::start::Startup;

/// Prints the report on stdout.  `cf` is the CPU as glibc sees it (after
/// `GLIBC_TUNABLES`).
pub fn print(st: &Startup, cf: &CpuFeatures) {
    let mut r = Report::default();
    loader(&mut r, st, cf);
    environment(&mut r, st);
    configuration(&mut r);
    auxv(&mut r, st);
    uname(&mut r);
    cpu(&mut r, cf);
    crate::sys::write_all(1, &r.out);
}

/// The report being built, written out at once at the end.
#[derive(Default)]
struct Report {
    out: Vec<u8>,
}

impl Report {
    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// `0x` and `v` in lower-case hexadecimal, no padding.
    fn hex(&mut self, v: u64) -> &mut Self {
        let m = crate::diag::Msg::new().s(b"0x").hex(v, 0);
        self.raw(m.bytes())
    }

    /// `LABEL=0xVALUE`.
    fn value(&mut self, label: &[u8], v: u64) {
        self.raw(label).raw(b"=").hex(v).raw(b"\n");
    }

    /// `LABEL="STRING"`, or `LABEL=0x0` for a null pointer.
    fn string(&mut self, label: &[u8], s: Option<&[u8]>) {
        self.raw(label).raw(b"=").quoted_or_null(s).raw(b"\n");
    }

    /// `LABEL[0xI]=`.
    fn indexed(&mut self, label: &[u8], i: usize) -> &mut Self {
        self.raw(label).raw(b"[").hex(i as u64).raw(b"]=")
    }

    fn quoted_or_null(&mut self, s: Option<&[u8]>) -> &mut Self {
        match s {
            Some(s) => self.quoted(s),
            None => self.raw(b"0x0"),
        }
    }

    /// `s` in double quotes: `"` and `\` escaped by a backslash, bytes
    /// outside printable ASCII as a backslash and three octal digits.
    ///
    /// The digits are glibc 2.36's, quirk included: it takes the byte as a
    /// signed `char` and prints its top octal digit where the middle one
    /// belongs (0x01 is `\001`, 0x7f `\117`, 0xc3 `\773`).  Whoever diffs
    /// the two loaders' reports must see the same bytes.
    fn quoted(&mut self, s: &[u8]) -> &mut Self {
        self.out.push(b'"');
        for &b in s {
            if !(b' '..=b'~').contains(&b) {
                let top = b'0' + (((b as i8) >> 6) & 7) as u8;
                self.out.extend_from_slice(&[b'\\', top, top, b'0' + (b & 7)]);
            } else {
                if b == b'\\' || b == b'"' {
                    self.out.push(b'\\');
                }
                self.out.push(b);
            }
        }
        self.raw(b"\"")
    }
}

/// `HWCAP_IMPORTANT` (sysdeps/x86/dl-hwcap.h): the `GLRO(dl_hwcap)` bits
/// that name legacy search subdirectories.
const HWCAP_IMPORTANT: u64 = cpu_features::HWCAP_X86_64 | cpu_features::HWCAP_X86_AVX512_1;

/// The `glibc-hwcaps` subdirectories of x86-64, best first
/// (sysdeps/x86_64/dl-hwcaps-subdirs.c).
const HWCAPS_SUBDIRS: &[u8] = b"x86-64-v4:x86-64-v3:x86-64-v2";

/// The platform names `_dl_string_platform` knows, and the number of the
/// first (`_DL_FIRST_PLATFORM`, sysdeps/x86/dl-procinfo.h).
const PLATFORMS: [&[u8]; 4] = [b"i586", b"i686", b"haswell", b"xeon_phi"];
const FIRST_PLATFORM: u64 = 48;

/// The `dl_*` lines and `dso.*`.
fn loader(r: &mut Report, st: &Startup, cf: &CpuFeatures) {
    r.string(b"dl_dst_lib", Some(b"lib/x86_64-linux-gnu"));
    r.value(b"dl_hwcap", cpu_features::hwcap_value(cf));
    // 2.41 has no legacy capability subdirectories, and reads two more
    // capability words.
    let v41 = super::layout::cur().minor >= 41;
    if !v41 {
        r.value(b"dl_hwcap_important", HWCAP_IMPORTANT);
    }
    r.value(b"dl_hwcap2", st.aux.hwcap2 as u64);
    if v41 {
        r.value(b"dl_hwcap3", aux_value(st, AT_HWCAP3));
        r.value(b"dl_hwcap4", aux_value(st, AT_HWCAP4));
    }
    r.string(b"dl_hwcaps_subdirs", Some(HWCAPS_SUBDIRS));
    r.value(b"dl_hwcaps_subdirs_active", hwcaps_subdirs_active(cf));
    r.value(b"dl_pagesize", st.aux.pagesz as u64);
    // glibc's own platform name for the CPUs it has one for, else the kernel's.
    let platform = match cpu_features::platform(cf) {
        Some(p) => Some(p.strip_suffix(b"\0").unwrap_or(p)),
        // SAFETY: AT_PLATFORM points at a NUL-terminated string on the initial stack.
        None if st.aux.platform != 0 => Some(unsafe { crate::start::cstr(st.aux.platform as *const u8) }),
        None => None,
    };
    r.string(b"dl_platform", platform);
    r.string(b"dl_profile_output", Some(profile_output(st)));
    let number = platform
        .and_then(|p| PLATFORMS.iter().position(|&known| known == p))
        .map_or(u64::MAX, |i| FIRST_PLATFORM + i as u64);
    if !v41 {
        r.value(b"dl_string_platform", number);
    }
    r.string(b"dso.ld", Some(b"ld-linux-x86-64.so.2"));
    r.string(b"dso.libc", Some(b"libc.so.6"));
}

/// Which of `HWCAPS_SUBDIRS` the CPU can use, as a bit mask whose highest
/// bit is the first name: the levels are cumulative, so the usable ones are
/// always a run ending with `x86-64-v2`.  Judged by the features usable now,
/// after `glibc.cpu.hwcaps` (glibc's `_dl_hwcaps_subdirs_active` recomputes
/// the level; `isa_1` keeps the one from before the tunables).
fn hwcaps_subdirs_active(cf: &CpuFeatures) -> u64 {
    let levels = [cpu_features::ISA_1_V2, cpu_features::ISA_1_V3, cpu_features::ISA_1_V4];
    let isa = cpu_features::isa_level(cf);
    let usable = levels.iter().take_while(|&&bit| isa & bit != 0).count();
    let all = (1u64 << levels.len()) - 1;
    all ^ ((1u64 << (levels.len() - usable)) - 1)
}

/// Where `LD_PROFILE` output would go: `LD_PROFILE_OUTPUT` if set and not
/// empty (and the process is not privileged), else glibc's default.
fn profile_output(st: &Startup) -> &'static [u8] {
    let secure = st.aux.secure != 0;
    let mut dir: &'static [u8] = if secure { b"/var/profile" } else { b"/var/tmp" };
    if !secure {
        for entry in st.env() {
            if let Some(value) = entry.strip_prefix(b"LD_PROFILE_OUTPUT=") {
                if !value.is_empty() {
                    dir = value;
                }
            }
        }
    }
    dir
}

/// The variables whose values glibc prints (besides `LC_*`, `LD_*` and
/// `MALLOC_*`): those its own code reads, which configure it and are not
/// expected to hold anything private.
// One blob of NUL-separated names, not an array of slices: an array of
// pointers is relocated at start-up, which makes its page private dirty memory.
const SHOWN: &[u8] = b"DATEMSK\0\
    GCONV_PATH\0\
    GETCONF_DIR\0\
    GLIBC_TUNABLES\0\
    GMON_OUTPUT_PREFIX\0\
    HESIOD_CONFIG\0\
    HES_DOMAIN\0\
    HOSTALIASES\0\
    I18NPATH\0\
    IFS\0\
    LANG\0\
    LOCALDOMAIN\0\
    LOCPATH\0\
    MSGVERB\0\
    NIS_DEFAULTS\0\
    NIS_GROUP\0\
    NIS_PATH\0\
    NLSPATH\0\
    PATH\0\
    POSIXLY_CORRECT\0\
    RESOLV_HOST_CONF\0\
    RES_OPTIONS\0\
    SEV_LEVEL\0\
    TMPDIR\0\
    TZ\0\
    TZDIR";

/// `env[i]="NAME=value"` for the variables whose value may be shown, and
/// `env_filtered[i]="NAME"` for the others.  An entry without `=` is shown
/// whole.
fn environment(r: &mut Report, st: &Startup) {
    for (i, entry) in st.env().enumerate() {
        let shown = match entry.iter().position(|&c| c == b'=') {
            None => true,
            Some(eq) => {
                entry.starts_with(b"LC_")
                    || entry.starts_with(b"LD_")
                    || entry.starts_with(b"MALLOC_")
                    || SHOWN.split(|&c| c == 0).any(|n| n == &entry[..eq])
            }
        };
        if shown {
            r.indexed(b"env", i).quoted(entry).raw(b"\n");
        } else {
            let name = entry.split(|&c| c == b'=').next().unwrap_or(entry);
            r.indexed(b"env_filtered", i).quoted(name).raw(b"\n");
        }
    }
}

/// `path.*` and `version.*`: Debian's configuration of glibc 2.36.
fn configuration(r: &mut Report) {
    r.string(b"path.prefix", Some(b"/usr"));
    r.string(b"path.rtld", Some(b"/lib64/ld-linux-x86-64.so.2"));
    r.string(b"path.sysconfdir", Some(b"/etc"));
    let system_dirs: [&[u8]; 4] = [
        b"/lib/x86_64-linux-gnu/",
        b"/usr/lib/x86_64-linux-gnu/",
        b"/lib/",
        b"/usr/lib/",
    ];
    for (i, dir) in system_dirs.iter().enumerate() {
        r.indexed(b"path.system_dirs", i).quoted(dir).raw(b"\n");
    }
    r.string(b"version.release", Some(b"stable"));
    let version: &[u8] = if super::layout::cur().minor >= 41 {
        b"2.41"
    } else {
        b"2.36"
    };
    r.string(b"version.version", Some(version));
}

/// `auxv[i].a_type` and `auxv[i].a_val`, in the kernel's order; the three
/// entries that point at strings print the strings.
fn auxv(r: &mut Report, st: &Startup) {
    let mut p = st.auxv;
    let mut i = 0;
    loop {
        // SAFETY: `st.auxv` is the kernel's vector, read up to its AT_NULL
        // entry (Startup::read walked it already); the stack is never freed.
        let [a_type, a_val] = unsafe { *p };
        if a_type as u64 == AT_NULL {
            break;
        }
        r.raw(b"auxv[").hex(i).raw(b"].a_type=").hex(a_type as u64).raw(b"\n");
        let string = matches!(a_type as u64, AT_EXECFN | AT_PLATFORM | AT_BASE_PLATFORM);
        // 2.41 names the string entries' values apart.
        let label: &[u8] = if string && super::layout::cur().minor >= 41 {
            b"].a_val_string="
        } else {
            b"].a_val="
        };
        r.raw(b"auxv[").hex(i).raw(label);
        if string {
            // SAFETY: these entries point at NUL-terminated strings the
            // kernel put on the initial stack (or are 0).
            let s = (a_val != 0).then(|| unsafe { crate::start::cstr(a_val as *const u8) });
            r.quoted_or_null(s);
        } else {
            r.hex(a_val as u64);
        }
        r.raw(b"\n");
        i += 1;
        // SAFETY: not at AT_NULL, so another pair follows.
        p = unsafe { p.add(1) };
    }
}

/// `AT_HWCAP3` and `AT_HWCAP4` (Linux 6.16).
const AT_HWCAP3: usize = 29;
const AT_HWCAP4: usize = 30;

/// The value of auxiliary vector entry `key`, 0 if absent.
fn aux_value(st: &Startup, key: usize) -> u64 {
    let mut p = st.auxv;
    loop {
        // SAFETY: the kernel's vector, read up to its AT_NULL entry.
        let [a_type, a_val] = unsafe { *p };
        if a_type as u64 == AT_NULL {
            return 0;
        }
        if a_type == key {
            return a_val as u64;
        }
        // SAFETY: not at AT_NULL, so another pair follows.
        p = unsafe { p.add(1) };
    }
}

/// `uname.*`, if `uname(2)` answers.
fn uname(r: &mut Report) {
    const UNAME: usize = 63;
    const FIELD: usize = 65;
    let mut uts = [0u8; 6 * FIELD];
    // SAFETY: uname writes six NUL-terminated fields of 65 bytes, exactly
    // the buffer given.
    let ret = unsafe { crate::arch::syscall6(UNAME, [uts.as_mut_ptr() as usize, 0, 0, 0, 0, 0]) };
    if ret != 0 {
        return;
    }
    let labels: [&[u8]; 6] = [
        b"uname.sysname",
        b"uname.nodename",
        b"uname.release",
        b"uname.version",
        b"uname.machine",
        b"uname.domainname",
    ];
    for (label, field) in labels.iter().zip(uts.chunks_exact(FIELD)) {
        let len = field.iter().position(|&c| c == 0).unwrap_or(FIELD);
        r.string(label, Some(&field[..len]));
    }
}

/// The `preferred` bits by their names in glibc
/// (sysdeps/x86/include/cpu-features-preferred_feature_index_1.def).
const PREFERRED: [(&[u8], u32); 16] = {
    use cpu_features::pref::*;
    [
        (b"Fast_Rep_String", FAST_REP_STRING),
        (b"Fast_Copy_Backward", FAST_COPY_BACKWARD),
        (b"Slow_BSF", SLOW_BSF),
        (b"Fast_Unaligned_Load", FAST_UNALIGNED_LOAD),
        (b"Prefer_PMINUB_for_stringop", PREFER_PMINUB_FOR_STRINGOP),
        (b"Fast_Unaligned_Copy", FAST_UNALIGNED_COPY),
        (b"I586", I586),
        (b"I686", I686),
        (b"Slow_SSE4_2", SLOW_SSE4_2),
        (b"AVX_Fast_Unaligned_Load", AVX_FAST_UNALIGNED_LOAD),
        (b"Prefer_No_VZEROUPPER", PREFER_NO_VZEROUPPER),
        (b"Prefer_ERMS", PREFER_ERMS),
        (b"Prefer_No_AVX512", PREFER_NO_AVX512),
        (b"MathVec_Prefer_No_AVX512", MATHVEC_PREFER_NO_AVX512),
        (b"Prefer_FSRM", PREFER_FSRM),
        (b"Avoid_Short_Distance_REP_MOVSB", AVOID_SHORT_DISTANCE_REP_MOVSB),
    ]
};

/// glibc 2.41's `preferred` bits by name, in its order (the new ones are
/// numbered after 2.36's in cpu_features.rs's model).
const PREFERRED_2_41: [(&[u8], u32); 19] = {
    use cpu_features::pref::*;
    [
        (b"Fast_Rep_String", FAST_REP_STRING),
        (b"Fast_Copy_Backward", FAST_COPY_BACKWARD),
        (b"Slow_BSF", SLOW_BSF),
        (b"Fast_Unaligned_Load", FAST_UNALIGNED_LOAD),
        (b"Prefer_PMINUB_for_stringop", PREFER_PMINUB_FOR_STRINGOP),
        (b"Fast_Unaligned_Copy", FAST_UNALIGNED_COPY),
        (b"I586", I586),
        (b"I686", I686),
        (b"Slow_SSE4_2", SLOW_SSE4_2),
        (b"AVX_Fast_Unaligned_Load", AVX_FAST_UNALIGNED_LOAD),
        (b"Prefer_MAP_32BIT_EXEC", PREFER_MAP_32BIT_EXEC),
        (b"Prefer_No_VZEROUPPER", PREFER_NO_VZEROUPPER),
        (b"Prefer_ERMS", PREFER_ERMS),
        (b"Prefer_No_AVX512", PREFER_NO_AVX512),
        (b"MathVec_Prefer_No_AVX512", MATHVEC_PREFER_NO_AVX512),
        (b"Prefer_FSRM", PREFER_FSRM),
        (b"Avoid_Short_Distance_REP_MOVSB", AVOID_SHORT_DISTANCE_REP_MOVSB),
        (b"Avoid_Non_Temporal_Memset", AVOID_NON_TEMPORAL_MEMSET),
        (b"Avoid_STOSB", AVOID_STOSB),
    ]
};

/// `x86.cpu_features.*`: every field of `struct cpu_features` of the
/// release, in order, but the `preferred` word, which is printed bit by bit.
fn cpu(r: &mut Report, cf: &CpuFeatures) {
    let v41 = super::layout::cur().minor >= 41;
    let field = |r: &mut Report, name: &[u8], v: u64| {
        r.raw(b"x86.cpu_features.").value(name, v);
    };
    field(r, b"basic.kind", cf.basic.kind as u64);
    // A C `int`, widened with its sign as glibc's printing function takes it.
    field(r, b"basic.max_cpuid", cf.basic.max_cpuid as i64 as u64);
    field(r, b"basic.family", cf.basic.family as u64);
    field(r, b"basic.model", cf.basic.model as u64);
    field(r, b"basic.stepping", cf.basic.stepping as u64);
    let leaves = super::layout::cur().cpu_leaves.len();
    for (i, leaf) in cf.features.iter().enumerate().take(leaves) {
        for (kind, regs) in [(&b"cpuid"[..], &leaf.cpuid), (b"active", &leaf.active)] {
            for (reg, v) in [regs.eax, regs.ebx, regs.ecx, regs.edx].into_iter().enumerate() {
                r.raw(b"x86.cpu_features.features[").hex(i as u64).raw(b"].");
                r.raw(kind)
                    .raw(b"[")
                    .hex(reg as u64)
                    .raw(b"]=")
                    .hex(v as u64)
                    .raw(b"\n");
            }
        }
    }
    let names: &[(&[u8], u32)] = if v41 { &PREFERRED_2_41 } else { &PREFERRED };
    for &(name, bit) in names {
        r.raw(b"x86.cpu_features.preferred.")
            .value(name, (cf.preferred[0] & bit != 0) as u64);
    }
    field(r, b"isa_1", cf.isa_1 as u64);
    field(r, b"xsave_state_size", cf.xsave_state_size);
    field(r, b"xsave_state_full_size", cf.xsave_state_full_size as u64);
    if v41 {
        field(r, b"tlsdesc_state_full_size", cf.tlsdesc_state_size);
    }
    for (name, v) in [
        (&b"data_cache_size"[..], cf.data_cache_size),
        (b"shared_cache_size", cf.shared_cache_size),
        (b"non_temporal_threshold", cf.non_temporal_threshold),
    ] {
        field(r, name, v);
    }
    if v41 {
        field(r, b"memset_non_temporal_threshold", cf.memset_non_temporal_threshold);
    }
    for (name, v) in [
        (&b"rep_movsb_threshold"[..], cf.rep_movsb_threshold),
        (b"rep_movsb_stop_threshold", cf.rep_movsb_stop_threshold),
        (b"rep_stosb_threshold", cf.rep_stosb_threshold),
        (b"level1_icache_size", cf.level1_icache_size),
        (b"level1_icache_linesize", cf.level1_icache_linesize),
        (b"level1_dcache_size", cf.level1_dcache_size),
        (b"level1_dcache_assoc", cf.level1_dcache_assoc),
        (b"level1_dcache_linesize", cf.level1_dcache_linesize),
        (b"level2_cache_size", cf.level2_cache_size),
        (b"level2_cache_assoc", cf.level2_cache_assoc),
        (b"level2_cache_linesize", cf.level2_cache_linesize),
        (b"level3_cache_size", cf.level3_cache_size),
        (b"level3_cache_assoc", cf.level3_cache_assoc),
        (b"level3_cache_linesize", cf.level3_cache_linesize),
        (b"level4_cache_size", cf.level4_cache_size),
    ] {
        field(r, name, v);
    }
    if v41 {
        field(r, b"cachesize_non_temporal_divisor", cf.cachesize_non_temporal_divisor);
        cpuid_dump(r, cf);
    }
}

/// 2.41's `x86.processor[i].*`: the raw CPUID answers of every CPU the
/// process may run on (sysdeps/x86/dl-diagnostics-cpu.c).  The thread moves
/// to each CPU of its affinity mask in turn, asks every basic and extended
/// leaf for its subleaves, and prints, for the first CPU, every non-zero
/// answer, for each later one only what differs from the CPU before it.
/// Runs of subleaves with the same answer are printed once, with
/// `until_ecx`; so are runs whose answers differ only in ECX's low byte,
/// which echoes the subleaf asked (`ecx_query_mask=0xff`).
fn cpuid_dump(r: &mut Report, cf: &CpuFeatures) {
    let mut cpus = CpuWalk::start();
    // The CPU before the current one; before the first, nothing (all zero).
    let mut previous = Collected::default();
    let mut current = Collected::default();
    while cpus.next() {
        current.collect(cf);
        report(r, &cpus, &current, &previous);
        core::mem::swap(&mut previous, &mut current);
    }
}

/// One CPUID query (a leaf, a run of subleaves) and the first answer of the run.
#[derive(Clone, Copy, Default)]
struct Query {
    eax: u32,
    ecx_first: u32,
    ecx_last: u32,
    /// The answer's ECX low byte is the subleaf asked, through the run.
    echoes_subleaf: bool,
    answer: cpu_features::CpuidRegisters,
}

impl Query {
    /// The order of queries: by leaf, then by first subleaf.
    fn key(&self) -> u64 {
        (u64::from(self.eax) << 32) | u64::from(self.ecx_first)
    }
}

/// The most queries kept for one CPU: 128 leaves of each range with 32
/// subleaves each, the bound of glibc's second, limited pass.
const MAX_QUERIES: usize = 128 * 2 * 32;
/// Subleaves asked per leaf on the first pass, and on the limited one.
const SUBLEAVES_FIRST: u32 = 512;
const SUBLEAVES_LIMITED: u32 = 32;
/// Leaves asked per range on the limited pass.
const LEAVES_LIMITED: u32 = 128;
const EXTENDED: u32 = 0x8000_0000;

/// What one CPU answered.
#[derive(Default)]
struct Collected {
    queries: Vec<Query>,
    /// The last subleaf asked of each leaf.
    ecx_limit: u32,
    /// XCR0, or 0 without OSXSAVE.
    xcr0: u64,
}

impl Collected {
    /// Asks this CPU everything: first with 512 subleaves a leaf; if that
    /// does not fit, again with the limits.
    fn collect(&mut self, cf: &CpuFeatures) {
        let mut cpu = cpu_features::HostCpu;
        if !self.collect_pass(&mut cpu, false) {
            self.collect_pass(&mut cpu, true);
        }
        self.xcr0 = if cf.has(cpu_features::feature::OSXSAVE) {
            cpu.xgetbv0()
        } else {
            0
        };
    }

    /// One pass; false if the queries did not fit.
    fn collect_pass(&mut self, cpu: &mut cpu_features::HostCpu, limited: bool) -> bool {
        self.queries.clear();
        self.queries.reserve(MAX_QUERIES);
        self.ecx_limit = if limited { SUBLEAVES_LIMITED } else { SUBLEAVES_FIRST } - 1;
        self.ask(cpu, 0, 0);
        let Some(first) = self.queries.first() else {
            // CPUID answered all zeros: nothing to report.
            return true;
        };
        let mut max = first.answer.eax;
        if limited && max >= LEAVES_LIMITED {
            max = LEAVES_LIMITED - 1;
        }
        if !self.ask_leaves(cpu, 1, max) || !self.ask(cpu, EXTENDED, 0) {
            return false;
        }
        // The highest extended leaf, from the last answer kept (which is
        // leaf 0x80000000's unless it answered zeros).
        let mut max = self.queries.last().map_or(0, |q| q.answer.eax);
        if max < EXTENDED {
            return true;
        }
        if limited && max - EXTENDED >= LEAVES_LIMITED {
            max = EXTENDED + LEAVES_LIMITED - 1;
        }
        self.ask_leaves(cpu, EXTENDED + 1, max)
    }

    /// Leaves `from..=to`, each with its subleaves up to the limit.
    fn ask_leaves(&mut self, cpu: &mut cpu_features::HostCpu, from: u32, to: u32) -> bool {
        let mut eax = from;
        while eax <= to {
            for ecx in 0..=self.ecx_limit {
                if !self.ask(cpu, eax, ecx) {
                    return false;
                }
            }
            // `to` may be u32::MAX: stop before wrapping.
            let Some(next) = eax.checked_add(1) else { break };
            eax = next;
        }
        true
    }

    /// Asks one query and keeps its answer: folded into the previous run
    /// when it continues it, dropped when all zero.  False when full.
    fn ask(&mut self, cpu: &mut cpu_features::HostCpu, eax: u32, ecx: u32) -> bool {
        if self.queries.len() >= MAX_QUERIES {
            return false;
        }
        let a = cpu.cpuid(eax, ecx);
        if let Some(last) = self.queries.last_mut() {
            if last.eax == eax && last.ecx_last.wrapping_add(1) == ecx {
                // The same answer (a run that echoed the subleaf only
                // counts if it is one query long so far).
                if (!last.echoes_subleaf || last.ecx_first == last.ecx_last) && last.answer == a {
                    last.ecx_last = ecx;
                    last.echoes_subleaf = false;
                    return true;
                }
                let p = last.answer;
                if last.echoes_subleaf
                    && ecx & 0xff == a.ecx & 0xff
                    && (a.eax, a.ebx, a.ecx & !0xff, a.edx) == (p.eax, p.ebx, p.ecx & !0xff, p.edx)
                {
                    last.ecx_last = ecx;
                    return true;
                }
            }
        }
        if a == cpu_features::CpuidRegisters::default() {
            return true;
        }
        self.queries.push(Query {
            eax,
            ecx_first: ecx,
            ecx_last: ecx,
            echoes_subleaf: ecx & 0xff == a.ecx & 0xff,
            answer: a,
        });
        true
    }

    /// Prints query `i` with the registers `a` (its own, or zeros for one
    /// the current CPU lacks).  A query is a subleaf one when its subleaf
    /// matters: not 0, a run short of the whole range, or a leaf with other
    /// queries beside it.
    fn print(&self, r: &mut Report, cpu: u32, i: usize, a: &cpu_features::CpuidRegisters) {
        let q = &self.queries[i];
        let subleaf = q.ecx_first > 0
            || (q.ecx_first != q.ecx_last && !(q.ecx_first == 0 && q.ecx_last == self.ecx_limit))
            || (i > 0 && self.queries[i - 1].eax == q.eax)
            || self.queries.get(i + 1).is_some_and(|n| n.eax == q.eax);
        let head = |r: &mut Report| {
            r.raw(b"x86.processor[").hex(u64::from(cpu)).raw(b"].cpuid.");
            if subleaf {
                r.raw(b"subleaf_eax[")
                    .hex(u64::from(q.eax))
                    .raw(b"].ecx[")
                    .hex(u64::from(q.ecx_first))
                    .raw(b"].");
            } else {
                r.raw(b"eax[").hex(u64::from(q.eax)).raw(b"].");
            }
        };
        for (name, v) in [(&b"eax"[..], a.eax), (b"ebx", a.ebx), (b"ecx", a.ecx), (b"edx", a.edx)] {
            head(r);
            r.value(name, u64::from(v));
        }
        if subleaf && q.ecx_first != q.ecx_last {
            head(r);
            r.value(b"until_ecx", u64::from(q.ecx_last));
            if q.echoes_subleaf {
                head(r);
                r.value(b"ecx_query_mask", 0xff);
            }
        }
    }
}

/// Prints what CPU `cpus.index` answered: where it ran, then each query
/// whose answer (or run) differs from the CPU before (zeros for a query it
/// lacks, its answer for one the CPU before lacked), then XCR0 if it differs.
fn report(r: &mut Report, cpus: &CpuWalk, current: &Collected, previous: &Collected) {
    let index = u64::from(cpus.index);
    let line = |r: &mut Report, name: &[u8], v: u64| {
        r.raw(b"x86.processor[").hex(index).raw(b"].").value(name, v);
    };
    if cpus.requested >= 0 {
        line(r, b"requested", cpus.requested as u64);
    }
    if let Some((cpu, node)) = cpus.observed {
        line(r, b"observed", u64::from(cpu));
        line(r, b"observed_node", u64::from(node));
    }
    line(r, b"cpuid_leaves", current.queries.len() as u64);
    line(r, b"ecx_limit", u64::from(current.ecx_limit));
    let zero = cpu_features::CpuidRegisters::default();
    let mut b = 0;
    for (i, q) in current.queries.iter().enumerate() {
        while b < previous.queries.len() && previous.queries[b].key() < q.key() {
            previous.print(r, cpus.index, b, &zero);
            b += 1;
        }
        match previous.queries.get(b) {
            Some(p) if p.key() == q.key() => {
                if p.ecx_last != q.ecx_last || p.answer != q.answer {
                    current.print(r, cpus.index, i, &q.answer);
                }
                b += 1;
            }
            _ => current.print(r, cpus.index, i, &q.answer),
        }
    }
    if current.xcr0 != previous.xcr0 {
        line(r, b"xgetbv.ecx[0x0]", current.xcr0);
    }
}

/// The walk over the CPUs of the affinity mask (glibc's `dl_iterate_cpu`):
/// the thread is moved to each in turn; without a mask, one step where it is.
struct CpuWalk {
    /// The mask as the kernel gave it (room for 8192 CPUs).
    mask: [u64; 128],
    /// How many bytes of it the kernel wrote; 0 or less: no mask.
    mask_len: isize,
    /// 0 for the first step.
    index: u32,
    /// The CPU asked for, -1 if none.
    requested: i32,
    /// `getcpu`'s CPU and node, if it answered.
    observed: Option<(u32, u32)>,
}

const SCHED_SETAFFINITY: usize = 203;
const SCHED_GETAFFINITY: usize = 204;
const GETCPU: usize = 309;

impl CpuWalk {
    fn start() -> Self {
        let mut mask = [0u64; 128];
        // SAFETY: the kernel writes at most the size given into `mask`.
        let mask_len = unsafe {
            crate::arch::syscall6(
                SCHED_GETAFFINITY,
                [0, core::mem::size_of_val(&mask), mask.as_mut_ptr() as usize, 0, 0, 0],
            )
        };
        CpuWalk {
            mask,
            mask_len,
            index: u32::MAX,
            requested: -1,
            observed: None,
        }
    }

    /// Moves to the next CPU; false when all were visited.  A move the
    /// kernel refuses ends the walk, but the first step still reports.
    fn next(&mut self) -> bool {
        self.index = self.index.wrapping_add(1);
        if self.mask_len > 0 {
            loop {
                self.requested += 1;
                let word = self.requested as usize / 64;
                let bit = 1u64 << (self.requested as usize % 64);
                if (word * 8) as isize >= self.mask_len {
                    return false;
                }
                if self.mask[word] & bit != 0 {
                    let mut one = [0u64; 128];
                    one[word] = bit;
                    // SAFETY: the kernel reads `(word + 1) * 8` bytes of `one`.
                    let ret = unsafe {
                        crate::arch::syscall6(SCHED_SETAFFINITY, [0, (word + 1) * 8, one.as_ptr() as usize, 0, 0, 0])
                    };
                    if ret < 0 {
                        self.mask_len = -1;
                        if self.index > 0 {
                            return false;
                        }
                    }
                    break;
                }
            }
        } else if self.index > 0 {
            return false;
        }
        let (mut cpu, mut node) = (0u32, 0u32);
        // SAFETY: getcpu writes one `unsigned int` to each pointer.
        let ret = unsafe {
            crate::arch::syscall6(
                GETCPU,
                [
                    core::ptr::addr_of_mut!(cpu) as usize,
                    core::ptr::addr_of_mut!(node) as usize,
                    0,
                    0,
                    0,
                    0,
                ],
            )
        };
        self.observed = (ret >= 0).then_some((cpu, node));
        true
    }
}
