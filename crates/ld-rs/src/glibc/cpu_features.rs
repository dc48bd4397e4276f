//! glibc's `struct cpu_features`: what this CPU can do, as libc's IFUNC
//! resolvers expect ld.so to have measured it.
//!
//! # What it is and who reads it
//! glibc's C library does not ask the CPU which instructions it has.  Every
//! string, memory and maths function with several implementations (memcpy
//! in SSE2, AVX2, AVX-512 and ERMS flavours, strlen, `sin` with or without
//! FMA...) is an IFUNC whose resolver reads one record that the dynamic
//! linker filled in before it relocated anything:
//! `_rtld_global_ro._dl_x86_cpu_features`, 480 bytes at offset 112 of
//! `_rtld_global_ro`.  The record holds the raw CPUID words of nine leaves,
//! the subset of those bits the operating system lets a program use
//! ("active"), a word of per-model tuning preferences, the x86-64 ISA level,
//! the XSAVE area size, and the cache geometry from which libc derives the
//! sizes at which memcpy switches to `rep movsb` and to non-temporal stores
//! (`__x86_cacheinfo_ifunc` copies them out; `sysconf(_SC_LEVEL1_DCACHE_SIZE)`
//! and friends read them too).
//!
//! # Why byte for byte
//! A program run under ld-rs must behave exactly as under glibc's own ld.so,
//! and the functions libc picks are part of that behaviour: a different
//! `preferred` bit or cache size silently selects another memcpy, with other
//! performance, other alignment faults on odd hardware, other results for
//! overlapping-copy bugs in the program.  Some values are worse than
//! different: a zero non-temporal threshold makes memcpy crash.  So this
//! module re-derives every field with the same rules as glibc 2.36 as
//! shipped by Debian (the upstream `release/2.36/master` branch: it carries
//! the 2023 non-temporal threshold rework, the leaf-2 fix of BZ #30643 and
//! BMI1/BMI2 in x86-64-v3), including its reading of the `glibc.cpu.*`
//! tunables (`GLIBC_TUNABLES`, parsed by tunables.rs): `hwcaps`
//! (sysdeps/x86/cpu-tunables.c) and the cache sizes and thresholds.
//! The rules live in glibc's `sysdeps/x86/cpu-features.c`
//! (`init_cpu_features`, `update_active`), `sysdeps/x86/dl-cacheinfo.h`
//! (`dl_init_cacheinfo`), `sysdeps/x86/get-isa-level.h` and
//! `sysdeps/unix/sysv/linux/x86/dl-minsigstacksize.h`; the code below is
//! written from reading them, and says where each rule comes from.
//!
//! Deliberate differences, all about inputs glibc would hang or trap on:
//! loops over CPUID leaves 4 and 11 are bounded (glibc loops until the CPU
//! says "no more"), and a CPUID-reported associativity of zero yields 0
//! instead of a division fault.
//!
//! Two side effects of glibc's `init_cpu_features` live outside the record;
//! [`hwcap_value`], [`platform`] and [`minsigstacksize`] compute them for the
//! caller to store in `_rtld_global_ro`.

// The module spells out glibc's full vocabulary (every preferred bit, every
// feature the start-up code names, the hwcap/platform/minsigstacksize side
// effects) so it can be read against glibc's source; ld-rs uses a subset.
#![allow(dead_code)]

use core::arch::x86_64::__cpuid_count;

/// One CPUID result: the four registers, in glibc's order.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuidRegisters {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
}

/// `struct cpu_features_basic` (20 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuFeaturesBasic {
    /// `enum cpu_features_kind`: one of the `KIND_*` constants.
    pub kind: u32,
    /// CPUID leaf 0 EAX (a C `int`).
    pub max_cpuid: i32,
    pub family: u32,
    pub model: u32,
    pub stepping: u32,
}

/// `struct cpuid_feature_internal` (32 bytes): what CPUID says, then what
/// may be used.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuidFeature {
    pub cpuid: CpuidRegisters,
    pub active: CpuidRegisters,
}

/// Number of CPUID leaves recorded (`CPUID_INDEX_MAX`): nine in 2.36, ten
/// in 2.41 (leaf 0x24, AVX10); each release's record has its own count
/// (layout.rs), this model has room for the most.
pub const CPUID_INDEX_MAX: usize = 10;

/// glibc's `struct cpu_features`, every field of every supported release:
/// the model ld-rs computes, which [`CpuFeatures::write`] lays out as the
/// running release does.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuFeatures {
    pub basic: CpuFeaturesBasic,
    /// Indexed by the `INDEX_*` constants.
    pub features: [CpuidFeature; CPUID_INDEX_MAX],
    /// The `PREFERRED_*` bits.
    pub preferred: [u32; 1],
    /// `GNU_PROPERTY_X86_ISA_1_*` bits: 1 baseline, 2 v2, 4 v3, 8 v4.
    pub isa_1: u32,
    _hole0: u32,
    /// Stack bytes `_dl_runtime_resolve` reserves for XSAVE(C) plus 64 bytes
    /// of saved integer registers.
    pub xsave_state_size: u64,
    /// The same for plain XSAVE.
    pub xsave_state_full_size: u32,
    _hole1: u32,
    pub data_cache_size: u64,
    pub shared_cache_size: u64,
    pub non_temporal_threshold: u64,
    pub rep_movsb_threshold: u64,
    pub rep_movsb_stop_threshold: u64,
    pub rep_stosb_threshold: u64,
    pub level1_icache_size: u64,
    pub level1_icache_linesize: u64,
    pub level1_dcache_size: u64,
    pub level1_dcache_assoc: u64,
    pub level1_dcache_linesize: u64,
    pub level2_cache_size: u64,
    pub level2_cache_assoc: u64,
    pub level2_cache_linesize: u64,
    pub level3_cache_size: u64,
    pub level3_cache_assoc: u64,
    pub level3_cache_linesize: u64,
    pub level4_cache_size: u64,
    /// 2.41: where memset switches to non-temporal stores.
    pub memset_non_temporal_threshold: u64,
    /// 2.41: the share of the shared cache the non-temporal threshold is.
    pub cachesize_non_temporal_divisor: u64,
    /// 2.41's `_dl_x86_features_tlsdesc_state_size` (not in the record).
    pub tlsdesc_state_size: u64,
}

// The layout, pinned member by member to the table generated from Debian's libc6-dbg
// 2.36-9+deb12u14 (`layouts/glibc_2_36_deb12.rs`); the `_hole*` members fill its two holes.
const _: () = {
    use super::layout::pinned;
    use super::layouts::glibc_2_36_deb12 as t;
    pinned!(CpuidRegisters, cpuid_registers: eax => EAX, ebx => EBX, ecx => ECX, edx => EDX);
    pinned!(
        CpuFeaturesBasic, cpu_features_basic:
        kind => KIND, max_cpuid => MAX_CPUID, family => FAMILY, model => MODEL, stepping => STEPPING,
    );
    pinned!(CpuidFeature, cpuid_feature_internal: cpuid => CPUID, active => ACTIVE);
};

/// `enum cpu_features_kind` values.
pub const KIND_UNKNOWN: u32 = 0;
pub const KIND_INTEL: u32 = 1;
pub const KIND_AMD: u32 = 2;
pub const KIND_ZHAOXIN: u32 = 3;
pub const KIND_OTHER: u32 = 4;
/// glibc 2.41 gave Hygon a kind of its own, before "other" (which became 5).
pub const KIND_HYGON_2_41: u32 = 4;
pub const KIND_OTHER_2_41: u32 = 5;

/// Which CPUID leaf each `features[i]` holds (glibc's `CPUID_INDEX_*`,
/// sysdeps/x86/bits/platform/x86.h).
pub const INDEX_1: usize = 0;
pub const INDEX_7: usize = 1;
pub const INDEX_80000001: usize = 2;
pub const INDEX_D_ECX_1: usize = 3;
pub const INDEX_80000007: usize = 4;
pub const INDEX_80000008: usize = 5;
pub const INDEX_7_ECX_1: usize = 6;
pub const INDEX_19: usize = 7;
pub const INDEX_14_ECX_0: usize = 8;
pub const INDEX_24_ECX_0: usize = 9;

/// The `preferred[0]` bits, in the order of glibc's
/// sysdeps/x86/include/cpu-features-preferred_feature_index_1.def.
pub mod pref {
    pub const FAST_REP_STRING: u32 = 1 << 0;
    pub const FAST_COPY_BACKWARD: u32 = 1 << 1;
    pub const SLOW_BSF: u32 = 1 << 2;
    pub const FAST_UNALIGNED_LOAD: u32 = 1 << 3;
    pub const PREFER_PMINUB_FOR_STRINGOP: u32 = 1 << 4;
    pub const FAST_UNALIGNED_COPY: u32 = 1 << 5;
    pub const I586: u32 = 1 << 6;
    pub const I686: u32 = 1 << 7;
    pub const SLOW_SSE4_2: u32 = 1 << 8;
    pub const AVX_FAST_UNALIGNED_LOAD: u32 = 1 << 9;
    pub const PREFER_NO_VZEROUPPER: u32 = 1 << 10;
    pub const PREFER_ERMS: u32 = 1 << 11;
    pub const PREFER_NO_AVX512: u32 = 1 << 12;
    pub const MATHVEC_PREFER_NO_AVX512: u32 = 1 << 13;
    pub const PREFER_FSRM: u32 = 1 << 14;
    pub const AVOID_SHORT_DISTANCE_REP_MOVSB: u32 = 1 << 15;
    // 2.41's, numbered here after 2.36's (see `preferred_bits`).
    pub const AVOID_NON_TEMPORAL_MEMSET: u32 = 1 << 16;
    pub const AVOID_STOSB: u32 = 1 << 17;
    pub const PREFER_MAP_32BIT_EXEC: u32 = 1 << 18;
}

/// The `preferred` word as release `2.minor` numbers its bits (this model
/// numbers 2.36's first, then 2.41's additions): 2.41 put
/// `Prefer_MAP_32BIT_EXEC` back at bit 10, moving the ones above it up by
/// one, and added `Avoid_Non_Temporal_Memset` and `Avoid_STOSB` after them
/// (sysdeps/x86/include/cpu-features-preferred_feature_index_1.def).
pub fn preferred_bits(bits: u32, minor: u32) -> u32 {
    let old = bits & ((1 << 16) - 1);
    if minor < 41 {
        return old;
    }
    let low = old & ((1 << 10) - 1);
    let high = old & !((1 << 10) - 1);
    let mut out = low | (high << 1);
    for (model, bit) in [
        (pref::PREFER_MAP_32BIT_EXEC, 10),
        (pref::AVOID_NON_TEMPORAL_MEMSET, 17),
        (pref::AVOID_STOSB, 18),
    ] {
        if bits & model != 0 {
            out |= 1 << bit;
        }
    }
    out
}

/// `GNU_PROPERTY_X86_ISA_1_*` (elf.h).
pub const ISA_1_BASELINE: u32 = 1 << 0;
pub const ISA_1_V2: u32 = 1 << 1;
pub const ISA_1_V3: u32 = 1 << 2;
pub const ISA_1_V4: u32 = 1 << 3;

/// One of the four CPUID output registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    Eax,
    Ebx,
    Ecx,
    Edx,
}

impl CpuidRegisters {
    const ZERO: Self = Self {
        eax: 0,
        ebx: 0,
        ecx: 0,
        edx: 0,
    };

    fn reg(&self, r: Reg) -> u32 {
        match r {
            Reg::Eax => self.eax,
            Reg::Ebx => self.ebx,
            Reg::Ecx => self.ecx,
            Reg::Edx => self.edx,
        }
    }

    fn reg_mut(&mut self, r: Reg) -> &mut u32 {
        match r {
            Reg::Eax => &mut self.eax,
            Reg::Ebx => &mut self.ebx,
            Reg::Ecx => &mut self.ecx,
            Reg::Edx => &mut self.edx,
        }
    }
}

/// Where a feature's bit lives: `features[index]`, register `reg`, bit `mask`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    pub index: usize,
    pub reg: Reg,
    pub mask: u32,
}

const fn feat(index: usize, reg: Reg, bit: u32) -> Feature {
    Feature {
        index,
        reg,
        mask: 1 << bit,
    }
}

/// The features glibc's start-up code tests or activates (bit positions from
/// sysdeps/x86/include/cpu-features.h).
pub mod feature {
    use super::Reg::{Eax, Ebx, Ecx, Edx};
    use super::*;

    // Leaf 1 ECX.
    pub const SSE3: Feature = feat(INDEX_1, Ecx, 0);
    pub const PCLMULQDQ: Feature = feat(INDEX_1, Ecx, 1);
    pub const SSSE3: Feature = feat(INDEX_1, Ecx, 9);
    pub const FMA: Feature = feat(INDEX_1, Ecx, 12);
    pub const CMPXCHG16B: Feature = feat(INDEX_1, Ecx, 13);
    pub const SSE4_1: Feature = feat(INDEX_1, Ecx, 19);
    pub const SSE4_2: Feature = feat(INDEX_1, Ecx, 20);
    pub const MOVBE: Feature = feat(INDEX_1, Ecx, 22);
    pub const POPCNT: Feature = feat(INDEX_1, Ecx, 23);
    pub const AES: Feature = feat(INDEX_1, Ecx, 25);
    pub const XSAVE: Feature = feat(INDEX_1, Ecx, 26);
    pub const OSXSAVE: Feature = feat(INDEX_1, Ecx, 27);
    pub const AVX: Feature = feat(INDEX_1, Ecx, 28);
    pub const F16C: Feature = feat(INDEX_1, Ecx, 29);
    pub const RDRAND: Feature = feat(INDEX_1, Ecx, 30);
    // Leaf 1 EDX.
    pub const FPU: Feature = feat(INDEX_1, Edx, 0);
    pub const TSC: Feature = feat(INDEX_1, Edx, 4);
    pub const CX8: Feature = feat(INDEX_1, Edx, 8);
    pub const CMOV: Feature = feat(INDEX_1, Edx, 15);
    pub const CLFSH: Feature = feat(INDEX_1, Edx, 19);
    pub const MMX: Feature = feat(INDEX_1, Edx, 23);
    pub const FXSR: Feature = feat(INDEX_1, Edx, 24);
    pub const SSE: Feature = feat(INDEX_1, Edx, 25);
    pub const SSE2: Feature = feat(INDEX_1, Edx, 26);
    pub const HTT: Feature = feat(INDEX_1, Edx, 28);
    // Leaf 7 EBX.
    pub const BMI1: Feature = feat(INDEX_7, Ebx, 3);
    pub const HLE: Feature = feat(INDEX_7, Ebx, 4);
    pub const AVX2: Feature = feat(INDEX_7, Ebx, 5);
    pub const BMI2: Feature = feat(INDEX_7, Ebx, 8);
    pub const ERMS: Feature = feat(INDEX_7, Ebx, 9);
    pub const RTM: Feature = feat(INDEX_7, Ebx, 11);
    pub const AVX512F: Feature = feat(INDEX_7, Ebx, 16);
    pub const FSGSBASE: Feature = feat(INDEX_7, Ebx, 0);
    // Leaf 7 subleaf 1, new in 2.41's list.
    pub const RAO_INT: Feature = feat(INDEX_7_ECX_1, Eax, 3);
    pub const CMPCCXADD: Feature = feat(INDEX_7_ECX_1, Eax, 7);
    pub const AMX_FP16: Feature = feat(INDEX_7_ECX_1, Eax, 21);
    pub const AVX_IFMA: Feature = feat(INDEX_7_ECX_1, Eax, 23);
    pub const AVX_VNNI_INT8: Feature = feat(INDEX_7_ECX_1, Edx, 4);
    pub const AVX_NE_CONVERT: Feature = feat(INDEX_7_ECX_1, Edx, 5);
    pub const AMX_COMPLEX: Feature = feat(INDEX_7_ECX_1, Edx, 8);
    pub const PREFETCHI: Feature = feat(INDEX_7_ECX_1, Edx, 14);
    pub const AVX10: Feature = feat(INDEX_7_ECX_1, Edx, 19);
    pub const APX_F: Feature = feat(INDEX_7_ECX_1, Edx, 21);
    // Leaf 0x24 subleaf 0 EBX: the vector lengths AVX10 has.
    pub const AVX10_XMM: Feature = feat(INDEX_24_ECX_0, Ebx, 16);
    pub const AVX10_YMM: Feature = feat(INDEX_24_ECX_0, Ebx, 17);
    pub const AVX10_ZMM: Feature = feat(INDEX_24_ECX_0, Ebx, 18);
    pub const AVX512DQ: Feature = feat(INDEX_7, Ebx, 17);
    pub const RDSEED: Feature = feat(INDEX_7, Ebx, 18);
    pub const ADX: Feature = feat(INDEX_7, Ebx, 19);
    pub const AVX512_IFMA: Feature = feat(INDEX_7, Ebx, 21);
    pub const CLFLUSHOPT: Feature = feat(INDEX_7, Ebx, 23);
    pub const CLWB: Feature = feat(INDEX_7, Ebx, 24);
    pub const AVX512PF: Feature = feat(INDEX_7, Ebx, 26);
    pub const AVX512ER: Feature = feat(INDEX_7, Ebx, 27);
    pub const AVX512CD: Feature = feat(INDEX_7, Ebx, 28);
    pub const SHA: Feature = feat(INDEX_7, Ebx, 29);
    pub const AVX512BW: Feature = feat(INDEX_7, Ebx, 30);
    pub const AVX512VL: Feature = feat(INDEX_7, Ebx, 31);
    // Leaf 7 ECX.
    pub const PREFETCHWT1: Feature = feat(INDEX_7, Ecx, 0);
    pub const AVX512_VBMI: Feature = feat(INDEX_7, Ecx, 1);
    pub const PKU: Feature = feat(INDEX_7, Ecx, 3);
    pub const OSPKE: Feature = feat(INDEX_7, Ecx, 4);
    pub const WAITPKG: Feature = feat(INDEX_7, Ecx, 5);
    pub const AVX512_VBMI2: Feature = feat(INDEX_7, Ecx, 6);
    pub const SHSTK: Feature = feat(INDEX_7, Ecx, 7);
    pub const GFNI: Feature = feat(INDEX_7, Ecx, 8);
    pub const VAES: Feature = feat(INDEX_7, Ecx, 9);
    pub const VPCLMULQDQ: Feature = feat(INDEX_7, Ecx, 10);
    pub const AVX512_VNNI: Feature = feat(INDEX_7, Ecx, 11);
    pub const AVX512_BITALG: Feature = feat(INDEX_7, Ecx, 12);
    pub const AVX512_VPOPCNTDQ: Feature = feat(INDEX_7, Ecx, 14);
    pub const RDPID: Feature = feat(INDEX_7, Ecx, 22);
    pub const KL: Feature = feat(INDEX_7, Ecx, 23);
    pub const CLDEMOTE: Feature = feat(INDEX_7, Ecx, 25);
    pub const MOVDIRI: Feature = feat(INDEX_7, Ecx, 27);
    pub const MOVDIR64B: Feature = feat(INDEX_7, Ecx, 28);
    // Leaf 7 EDX.
    pub const AVX512_4VNNIW: Feature = feat(INDEX_7, Edx, 2);
    pub const AVX512_4FMAPS: Feature = feat(INDEX_7, Edx, 3);
    pub const FSRM: Feature = feat(INDEX_7, Edx, 4);
    pub const AVX512_VP2INTERSECT: Feature = feat(INDEX_7, Edx, 8);
    pub const RTM_ALWAYS_ABORT: Feature = feat(INDEX_7, Edx, 11);
    pub const SERIALIZE: Feature = feat(INDEX_7, Edx, 14);
    pub const TSXLDTRK: Feature = feat(INDEX_7, Edx, 16);
    pub const IBT: Feature = feat(INDEX_7, Edx, 20);
    pub const AMX_BF16: Feature = feat(INDEX_7, Edx, 22);
    pub const AVX512_FP16: Feature = feat(INDEX_7, Edx, 23);
    pub const AMX_TILE: Feature = feat(INDEX_7, Edx, 24);
    pub const AMX_INT8: Feature = feat(INDEX_7, Edx, 25);
    // Leaf 0x80000001 ECX and EDX.
    pub const LAHF64_SAHF64: Feature = feat(INDEX_80000001, Ecx, 0);
    pub const LZCNT: Feature = feat(INDEX_80000001, Ecx, 5);
    pub const SSE4A: Feature = feat(INDEX_80000001, Ecx, 6);
    pub const PREFETCHW: Feature = feat(INDEX_80000001, Ecx, 8);
    pub const XOP: Feature = feat(INDEX_80000001, Ecx, 11);
    pub const FMA4: Feature = feat(INDEX_80000001, Ecx, 16);
    pub const TBM: Feature = feat(INDEX_80000001, Ecx, 21);
    pub const RDTSCP: Feature = feat(INDEX_80000001, Edx, 27);
    // Leaf 0xd subleaf 1 EAX.
    pub const XSAVEOPT: Feature = feat(INDEX_D_ECX_1, Eax, 0);
    pub const XSAVEC: Feature = feat(INDEX_D_ECX_1, Eax, 1);
    pub const XGETBV_ECX_1: Feature = feat(INDEX_D_ECX_1, Eax, 2);
    pub const XSAVES: Feature = feat(INDEX_D_ECX_1, Eax, 3);
    pub const XFD: Feature = feat(INDEX_D_ECX_1, Eax, 4);
    // Leaf 0x80000008 EBX.
    pub const WBNOINVD: Feature = feat(INDEX_80000008, Ebx, 9);
    // Leaf 7 subleaf 1 EAX.
    pub const AVX_VNNI: Feature = feat(INDEX_7_ECX_1, Eax, 4);
    pub const AVX512_BF16: Feature = feat(INDEX_7_ECX_1, Eax, 5);
    pub const FZLRM: Feature = feat(INDEX_7_ECX_1, Eax, 10);
    pub const FSRS: Feature = feat(INDEX_7_ECX_1, Eax, 11);
    pub const FSRCS: Feature = feat(INDEX_7_ECX_1, Eax, 12);
    // Leaf 0x19 EBX.
    pub const AESKLE: Feature = feat(INDEX_19, Ebx, 0);
    pub const WIDE_KL: Feature = feat(INDEX_19, Ebx, 2);
    // Leaf 0x14 subleaf 0 EBX.
    pub const PTWRITE: Feature = feat(INDEX_14_ECX_0, Ebx, 4);
}

use feature as f;

impl CpuFeatures {
    /// The all-zero record (`kind` = unknown), as `_rtld_global_ro` starts.
    pub const fn zeroed() -> Self {
        const E: CpuidFeature = CpuidFeature {
            cpuid: CpuidRegisters::ZERO,
            active: CpuidRegisters::ZERO,
        };
        Self {
            basic: CpuFeaturesBasic {
                kind: KIND_UNKNOWN,
                max_cpuid: 0,
                family: 0,
                model: 0,
                stepping: 0,
            },
            features: [E; CPUID_INDEX_MAX],
            preferred: [0],
            isa_1: 0,
            _hole0: 0,
            xsave_state_size: 0,
            xsave_state_full_size: 0,
            _hole1: 0,
            data_cache_size: 0,
            shared_cache_size: 0,
            non_temporal_threshold: 0,
            rep_movsb_threshold: 0,
            rep_movsb_stop_threshold: 0,
            rep_stosb_threshold: 0,
            level1_icache_size: 0,
            level1_icache_linesize: 0,
            level1_dcache_size: 0,
            level1_dcache_assoc: 0,
            level1_dcache_linesize: 0,
            level2_cache_size: 0,
            level2_cache_assoc: 0,
            level2_cache_linesize: 0,
            level3_cache_size: 0,
            level3_cache_assoc: 0,
            level3_cache_linesize: 0,
            level4_cache_size: 0,
            memset_non_temporal_threshold: 0,
            cachesize_non_temporal_divisor: 0,
            tlsdesc_state_size: 0,
        }
    }

    /// Writes the record into `_rtld_global_ro` as the running release lays
    /// it out (layout.rs): the leaves it has, its preferred bits, its fields.
    pub fn write(&self, ro: &mut super::layout::RtldGlobalRo) {
        use super::layout::{cur, CpuFeaturesRecord, Members};
        let l = cur();
        let mut rec = CpuFeaturesRecord::zeroed();
        let b = &self.basic;
        rec.set(l.cpu.basic, [b.kind, b.max_cpuid as u32, b.family, b.model, b.stepping]);
        for (i, f) in self.features.iter().enumerate() {
            if let Some(at) = l.cpu_leaves.nth(i) {
                let (c, a) = (f.cpuid, f.active);
                rec.set(at, [c.eax, c.ebx, c.ecx, c.edx, a.eax, a.ebx, a.ecx, a.edx]);
            }
        }
        rec.set(l.cpu.preferred, preferred_bits(self.preferred[0], l.minor));
        rec.set(l.cpu.isa_1, self.isa_1);
        rec.set(l.cpu.xsave_state_size, self.xsave_state_size);
        rec.set(l.cpu.xsave_state_full_size, self.xsave_state_full_size);
        rec.set(l.cpu.data_cache_size, self.data_cache_size);
        rec.set(l.cpu.shared_cache_size, self.shared_cache_size);
        rec.set(l.cpu.non_temporal_threshold, self.non_temporal_threshold);
        rec.set(l.cpu.rep_movsb_threshold, self.rep_movsb_threshold);
        rec.set(l.cpu.rep_movsb_stop_threshold, self.rep_movsb_stop_threshold);
        rec.set(l.cpu.rep_stosb_threshold, self.rep_stosb_threshold);
        rec.set(l.cpu.level1_icache_size, self.level1_icache_size);
        rec.set(l.cpu.level1_icache_linesize, self.level1_icache_linesize);
        rec.set(l.cpu.level1_dcache_size, self.level1_dcache_size);
        rec.set(l.cpu.level1_dcache_assoc, self.level1_dcache_assoc);
        rec.set(l.cpu.level1_dcache_linesize, self.level1_dcache_linesize);
        rec.set(l.cpu.level2_cache_size, self.level2_cache_size);
        rec.set(l.cpu.level2_cache_assoc, self.level2_cache_assoc);
        rec.set(l.cpu.level2_cache_linesize, self.level2_cache_linesize);
        rec.set(l.cpu.level3_cache_size, self.level3_cache_size);
        rec.set(l.cpu.level3_cache_assoc, self.level3_cache_assoc);
        rec.set(l.cpu.level3_cache_linesize, self.level3_cache_linesize);
        rec.set(l.cpu.level4_cache_size, self.level4_cache_size);
        if let Some(at) = l.memset_non_temporal_threshold {
            rec.set(at, self.memset_non_temporal_threshold);
        }
        if let Some(at) = l.cachesize_non_temporal_divisor {
            rec.set(at, self.cachesize_non_temporal_divisor);
        }
        let bytes = rec.bytes(l.dl_x86_cpu_features.len() * 8);
        let Some(first) = l.dl_x86_cpu_features.nth(0) else {
            return;
        };
        let dst = first.ptr(ro).cast::<u8>();
        // SAFETY: `_dl_x86_cpu_features` is that many bytes of `ro` in this
        // release (its `Array`), borrowed exclusively through `ro`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
    }

    /// `CPU_FEATURE_CPU_P`: CPUID reports the feature.
    pub fn has(&self, ft: Feature) -> bool {
        self.features
            .get(ft.index)
            .is_some_and(|e| e.cpuid.reg(ft.reg) & ft.mask != 0)
    }

    /// `CPU_FEATURE_USABLE_P`: the feature's active bit is set.
    pub fn usable(&self, ft: Feature) -> bool {
        self.features
            .get(ft.index)
            .is_some_and(|e| e.active.reg(ft.reg) & ft.mask != 0)
    }

    /// `CPU_FEATURE_PREFERRED_P` for a `pref::*` bit.
    pub fn prefers(&self, bit: u32) -> bool {
        self.preferred[0] & bit != 0
    }

    /// glibc's `CPU_FEATURE_SET_ACTIVE`: copy the CPUID bit into `active`.
    fn activate(&mut self, ft: Feature) {
        if let Some(e) = self.features.get_mut(ft.index) {
            let bit = e.cpuid.reg(ft.reg) & ft.mask;
            *e.active.reg_mut(ft.reg) |= bit;
        }
    }

    /// glibc's `CPU_FEATURE_SET`: set the active bit whatever CPUID says.
    fn force(&mut self, ft: Feature) {
        if let Some(e) = self.features.get_mut(ft.index) {
            *e.active.reg_mut(ft.reg) |= ft.mask;
        }
    }

    /// glibc's `CPU_FEATURE_UNSET`.
    fn clear(&mut self, ft: Feature) {
        if let Some(e) = self.features.get_mut(ft.index) {
            *e.active.reg_mut(ft.reg) &= !ft.mask;
        }
    }

    fn leaf_mut(&mut self, index: usize) -> Option<&mut CpuidRegisters> {
        self.features.get_mut(index).map(|e| &mut e.cpuid)
    }
}

impl Default for CpuFeatures {
    fn default() -> Self {
        Self::zeroed()
    }
}

/// Where CPUID and XGETBV answers come from: the real CPU ([`HostCpu`]), or
/// a recorded one in tests.
pub trait CpuidSource {
    /// CPUID with EAX = `leaf`, ECX = `subleaf`.
    fn cpuid(&mut self, leaf: u32, subleaf: u32) -> CpuidRegisters;
    /// XCR0 (XGETBV with ECX = 0).  Only asked for after CPUID.1:ECX.OSXSAVE
    /// was seen set.
    fn xgetbv0(&mut self) -> u64;
}

/// The CPU this code runs on.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostCpu;

impl CpuidSource for HostCpu {
    // `__cpuid_count` saves and restores RBX around the instruction, which
    // LLVM reserves (inline asm could not name it).  It is an unsafe fn in
    // older Rust releases and safe in newer ones, hence the allow.
    #[allow(unused_unsafe)]
    fn cpuid(&mut self, leaf: u32, subleaf: u32) -> CpuidRegisters {
        // SAFETY: CPUID exists on every x86_64 CPU, takes any leaf (unknown
        // leaves return zeros or the highest basic leaf) and only writes
        // the four registers the intrinsic declares.
        let r = unsafe { __cpuid_count(leaf, subleaf) };
        CpuidRegisters {
            eax: r.eax,
            ebx: r.ebx,
            ecx: r.ecx,
            edx: r.edx,
        }
    }

    fn xgetbv0(&mut self) -> u64 {
        // XGETBV faults (#UD) unless the OS set CR4.OSXSAVE, which CPUID
        // reports as leaf 1 ECX bit 27: check it here so this stays safe.
        if self.cpuid(1, 0).ecx & f::OSXSAVE.mask == 0 {
            return 0;
        }
        let (lo, hi): (u32, u32);
        // SAFETY: CR4.OSXSAVE is set (checked above), so XGETBV with ECX = 0
        // (XCR0, always readable) cannot fault; it reads no memory and
        // writes only EAX and EDX.
        unsafe {
            core::arch::asm!(
                "xgetbv",
                in("ecx") 0u32,
                out("eax") lo,
                out("edx") hi,
                options(nomem, nostack, preserves_flags),
            );
        }
        (u64::from(hi) << 32) | u64::from(lo)
    }
}

/// glibc's `init_cpu_features` + `dl_init_cacheinfo` for the CPU we run on,
/// with the `glibc.cpu.*` tunables read at start-up (tunables.rs): the record
/// `_rtld_global_ro._dl_x86_cpu_features` must hold.  Like glibc, it records
/// the cache sizes and thresholds it settled on back into the tunables.
///
/// # Safety
/// Single-threaded start-up, after `tunables::init`.
pub unsafe fn init_cpu_features(hwcap2: u64) -> CpuFeatures {
    let tunables = CpuTunables {
        hwcap2,
        ..super::tunables::cpu::tunables()
    };
    let (cf, cache) = init_cpu_features_tuned(&mut HostCpu, &tunables);
    // SAFETY: the caller's contract.
    unsafe { super::tunables::cpu::record(&cache) };
    cf
}

/// The `glibc.cpu.*` tunables `init_cpu_features` and `dl_init_cacheinfo`
/// read, as `TUNABLE_GET` returns them.
#[derive(Clone, Copy, Debug)]
pub struct CpuTunables<'a> {
    /// `glibc.cpu.hwcaps` if it was set: the bytes its callback walks
    /// (see `tunables::hwcaps_scan`).
    pub hwcaps: Option<&'a [u8]>,
    pub x86_data_cache_size: u64,
    pub x86_shared_cache_size: u64,
    pub x86_non_temporal_threshold: u64,
    pub x86_rep_movsb_threshold: u64,
    pub x86_rep_stosb_threshold: u64,
    /// Whether `glibc.cpu.x86_rep_stosb_threshold` was set (2.41 asks).
    pub x86_rep_stosb_threshold_set: bool,
    /// 2.41's `glibc.cpu.x86_memset_non_temporal_threshold`.
    pub x86_memset_non_temporal_threshold: u64,
    /// 2.41's `glibc.cpu.prefer_map_32bit_exec`.
    pub prefer_map_32bit_exec: bool,
    /// The release whose rules apply: 2.41's (`true`) or 2.36's.
    pub release_2_41: bool,
    /// `AT_HWCAP2` (2.41 reads FSGSBASE from it).
    pub hwcap2: u64,
}

impl Default for CpuTunables<'_> {
    /// The defaults of dl-tunables.list.
    fn default() -> Self {
        Self {
            hwcaps: None,
            x86_data_cache_size: 0,
            x86_shared_cache_size: 0,
            x86_non_temporal_threshold: 0,
            x86_rep_movsb_threshold: 0,
            x86_rep_stosb_threshold: 2048,
            x86_rep_stosb_threshold_set: false,
            x86_memset_non_temporal_threshold: 0,
            prefer_map_32bit_exec: false,
            release_2_41: false,
            hwcap2: 0,
        }
    }
}

/// A value with the bounds `TUNABLE_SET_WITH_BOUNDS` gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounded {
    pub value: u64,
    pub min: u64,
    pub max: u64,
}

/// What `dl_init_cacheinfo` writes back into the cache tunables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheTunables {
    pub data_cache_size: Bounded,
    pub shared_cache_size: Bounded,
    pub non_temporal_threshold: Bounded,
    pub rep_movsb_threshold: Bounded,
    pub rep_stosb_threshold: Bounded,
    /// 2.41 only.
    pub memset_non_temporal_threshold: Option<Bounded>,
}

// XCR0 state-component bits (cpu-features.h, "XCR0 Feature flags").
const XSTATE_XMM: u64 = 1 << 1;
const XSTATE_YMM: u64 = 1 << 2;
const XSTATE_OPMASK: u64 = 1 << 5;
const XSTATE_ZMM0_15: u64 = 1 << 6;
const XSTATE_ZMM16_31: u64 = 1 << 7;
const XSTATE_XTILECFG: u64 = 1 << 17;
const XSTATE_XTILEDATA: u64 = 1 << 18;
const XSTATE_APX_F: u64 = 1 << 19;

/// The vendor strings of leaf 0, as (EBX, ECX, EDX).
const GENUINE_INTEL: (u32, u32, u32) = (0x756e_6547, 0x6c65_746e, 0x4965_6e69);
const AUTHENTIC_AMD: (u32, u32, u32) = (0x6874_7541, 0x444d_4163, 0x6974_6e65);
const HYGON_GENUINE: (u32, u32, u32) = (0x6f67_7948, 0x656e_6975, 0x6e65_476e);
const CENTAUR_HAULS: (u32, u32, u32) = (0x746e_6543, 0x736c_7561, 0x4872_7561);
const SHANGHAI: (u32, u32, u32) = (0x6853_2020, 0x2020_6961, 0x6867_6e61);

/// Family, model, extended model (already shifted into bits 4-7) and
/// stepping, decoded from leaf 1 EAX the way glibc does: the extended family
/// and model count only for family 0xf; Intel and Zhaoxin add the extended
/// model for family 6 themselves.
struct Signature {
    family: u32,
    model: u32,
    extended_model: u32,
    stepping: u32,
}

/// `init_cpu_features` (sysdeps/x86/cpu-features.c), then
/// `dl_init_cacheinfo`, with CPUID and XGETBV answered by `cpu` and default
/// tunables.
pub fn init_cpu_features_with<C: CpuidSource>(cpu: &mut C) -> CpuFeatures {
    init_cpu_features_tuned(cpu, &CpuTunables::default()).0
}

/// `init_cpu_features` with CPUID and XGETBV answered by `cpu` and the
/// tunables `t`; also what it records back into the cache tunables.
pub fn init_cpu_features_tuned<C: CpuidSource>(cpu: &mut C, t: &CpuTunables) -> (CpuFeatures, CacheTunables) {
    let mut cf = CpuFeatures::zeroed();
    if t.release_2_41 {
        // 2.41 avoids non-temporal memset unless the vendor's branch says
        // otherwise, and starts from a quarter of the shared cache.
        cf.preferred[0] |= pref::AVOID_NON_TEMPORAL_MEMSET;
        cf.cachesize_non_temporal_divisor = 4;
    }
    let l0 = cpu.cpuid(0, 0);
    cf.basic.max_cpuid = l0.eax as i32;
    let vendor = (l0.ebx, l0.ecx, l0.edx);

    let kind;
    let mut family = 0;
    let mut model = 0;
    let mut stepping = 0;
    if vendor == GENUINE_INTEL {
        kind = KIND_INTEL;
        let sig = read_common_leaves(&mut cf, cpu, true);
        read_extended_leaves(&mut cf, cpu);
        update_active(&mut cf, cpu, t);
        family = sig.family;
        model = sig.model;
        stepping = sig.stepping;
        if t.release_2_41 {
            // Non-temporal memset pays on Intel (2.41 avoids it elsewhere).
            cf.preferred[0] &= !pref::AVOID_NON_TEMPORAL_MEMSET;
        }
        if family == 6 {
            model += sig.extended_model;
        }
        if t.release_2_41 {
            intel_tuning_2_41(&mut cf, family, model, stepping);
        } else if family == 6 {
            intel_model_quirks(&mut cf, model, stepping);
        }
        intel_avx512_preferences(&mut cf);
    } else if vendor == HYGON_GENUINE && t.release_2_41 {
        // 2.41: Hygon is not AMD any more; only the common leaves and
        // non-temporal memset.
        kind = KIND_HYGON_2_41;
        let sig = read_common_leaves(&mut cf, cpu, true);
        read_extended_leaves(&mut cf, cpu);
        update_active(&mut cf, cpu, t);
        family = sig.family;
        model = sig.model;
        stepping = sig.stepping;
        cf.preferred[0] &= !pref::AVOID_NON_TEMPORAL_MEMSET;
    } else if vendor == AUTHENTIC_AMD || vendor == HYGON_GENUINE {
        kind = KIND_AMD;
        let sig = read_common_leaves(&mut cf, cpu, true);
        read_extended_leaves(&mut cf, cpu);
        update_active(&mut cf, cpu, t);
        family = sig.family;
        model = sig.model;
        stepping = sig.stepping;
        if t.release_2_41 {
            cf.preferred[0] &= !pref::AVOID_NON_TEMPORAL_MEMSET;
        }
        // FMA4 lives in leaf 0x80000001 but needs the AVX state.
        if cf.usable(f::AVX) {
            cf.activate(f::FMA4);
        }
        // Excavator: unaligned loads are fast, 256-bit ones are not.
        if family == 0x15 && (0x60..=0x7f).contains(&model) {
            cf.preferred[0] |= pref::FAST_UNALIGNED_LOAD | pref::FAST_COPY_BACKWARD;
            cf.preferred[0] &= !pref::AVX_FAST_UNALIGNED_LOAD;
        }
    } else if vendor == CENTAUR_HAULS || vendor == SHANGHAI {
        kind = KIND_ZHAOXIN;
        let sig = read_common_leaves(&mut cf, cpu, true);
        read_extended_leaves(&mut cf, cpu);
        update_active(&mut cf, cpu, t);
        family = sig.family;
        // glibc adds the extended model unconditionally here (on top of the
        // family-0xf rule), and its Zhaoxin branch declares a local
        // `stepping` that shadows the one stored in `basic`: the recorded
        // stepping stays 0.
        model = sig.model + sig.extended_model;
        zhaoxin_model_quirks(&mut cf, family, model);
        // 2.41: Yongfeng and Shijidadao prefer the SSE2 string functions,
        // and Yongfeng non-temporal stores from half the shared cache.
        if t.release_2_41 && family == 7 && matches!(model, 0x5b | 0x6b) {
            if model == 0x5b {
                cf.cachesize_non_temporal_divisor = 2;
            }
            cf.preferred[0] &= !pref::AVX_FAST_UNALIGNED_LOAD;
            cf.preferred[0] |= pref::PREFER_NO_VZEROUPPER | pref::FAST_UNALIGNED_LOAD;
        }
    } else {
        // Unknown vendor: glibc reads neither leaf 1 nor the extended
        // leaves, so their words stay zero.
        kind = if t.release_2_41 { KIND_OTHER_2_41 } else { KIND_OTHER };
        read_common_leaves(&mut cf, cpu, false);
        update_active(&mut cf, cpu, t);
    }

    if cf.has(f::CX8) {
        cf.preferred[0] |= pref::I586;
    }
    if cf.has(f::CMOV) {
        cf.preferred[0] |= pref::I686;
    }
    // 2.41: without ERMS, memset avoids `rep stosb`.
    if t.release_2_41 && !cf.usable(f::ERMS) {
        cf.preferred[0] |= pref::AVOID_STOSB;
    }

    cf.basic.kind = kind;
    cf.basic.family = family;
    cf.basic.model = model;
    cf.basic.stepping = stepping;

    let cache = init_cacheinfo(&mut cf, cpu, t);
    // glibc.cpu.hwcaps, after the cache sizes (which it therefore does not
    // change) and before the XSAVE clean-up (which it may trigger).
    if let Some(hwcaps) = t.hwcaps {
        apply_hwcaps(&mut cf, hwcaps);
    }
    if t.release_2_41 && t.prefer_map_32bit_exec {
        cf.preferred[0] |= pref::PREFER_MAP_32BIT_EXEC;
    }
    drop_unsupported_xsave_features(&mut cf);
    (cf, cache)
}

/// The `glibc.cpu.hwcaps` callback (`set_hwcaps`, sysdeps/x86/cpu-tunables.c):
/// a comma-separated list where `-NAME` makes a CPU feature unusable and
/// `NAME`/`-NAME` sets/clears a preferred bit (some only when the feature
/// they need is usable).  Names are case-sensitive and must match exactly;
/// others are ignored.  Like glibc's loop, this one goes on past the value's
/// NUL while the next byte is not NUL: `s` is what it walks, and its end
/// reads as NUL.
pub fn apply_hwcaps(cf: &mut CpuFeatures, s: &[u8]) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut p = 0usize;
    loop {
        let mut c = p;
        while at(c) != b',' && at(c) != 0 {
            c += 1;
        }
        let disable = at(p) == b'-';
        let n = if disable { p + 1 } else { p };
        let name = s.get(n..c.min(s.len())).unwrap_or(&[]);
        apply_hwcap(cf, name, disable);
        p = c + 1;
        if at(p) == 0 {
            break;
        }
    }
}

/// One item of `glibc.cpu.hwcaps`.
fn apply_hwcap(cf: &mut CpuFeatures, name: &[u8], disable: bool) {
    if disable {
        let feature = match name {
            b"AVX" => Some(f::AVX),
            b"CX8" => Some(f::CX8),
            b"FMA" => Some(f::FMA),
            b"HTT" => Some(f::HTT),
            b"IBT" => Some(f::IBT),
            b"RTM" => Some(f::RTM),
            b"AVX2" => Some(f::AVX2),
            b"BMI1" => Some(f::BMI1),
            b"BMI2" => Some(f::BMI2),
            b"CMOV" => Some(f::CMOV),
            b"ERMS" => Some(f::ERMS),
            b"FMA4" => Some(f::FMA4),
            b"SSE2" => Some(f::SSE2),
            b"LZCNT" => Some(f::LZCNT),
            b"MOVBE" => Some(f::MOVBE),
            b"SHSTK" => Some(f::SHSTK),
            b"SSSE3" => Some(f::SSSE3),
            b"XSAVE" => Some(f::XSAVE),
            b"POPCNT" => Some(f::POPCNT),
            b"SSE4_1" => Some(f::SSE4_1),
            b"SSE4_2" => Some(f::SSE4_2),
            b"AVX512F" => Some(f::AVX512F),
            b"OSXSAVE" => Some(f::OSXSAVE),
            b"AVX512CD" => Some(f::AVX512CD),
            b"AVX512BW" => Some(f::AVX512BW),
            b"AVX512DQ" => Some(f::AVX512DQ),
            b"AVX512ER" => Some(f::AVX512ER),
            b"AVX512PF" => Some(f::AVX512PF),
            b"AVX512VL" => Some(f::AVX512VL),
            b"I586" | b"I686" => {
                cf.preferred[0] &= if name == b"I586" { !pref::I586 } else { !pref::I686 };
                return;
            }
            b"XSAVEC" => {
                // Without XSAVEC, _dl_runtime_resolve saves with XSAVE.
                cf.xsave_state_size = u64::from(cf.xsave_state_full_size);
                cf.clear(f::XSAVEC);
                return;
            }
            _ => None,
        };
        if let Some(ft) = feature {
            cf.clear(ft);
            return;
        }
    }
    // Preferred bits, with the feature (if any) needed to turn them on.
    let (bit, need) = match name {
        b"Slow_BSF" => (pref::SLOW_BSF, None),
        b"Prefer_ERMS" => (pref::PREFER_ERMS, None),
        b"Prefer_FSRM" => (pref::PREFER_FSRM, None),
        // 2.41's name for its own bit.
        b"Avoid_STOSB" if super::layout::cur().minor >= 41 => (pref::AVOID_STOSB, None),
        b"Slow_SSE4_2" => (pref::SLOW_SSE4_2, Some(f::SSE4_2)),
        b"Fast_Rep_String" => (pref::FAST_REP_STRING, None),
        b"Prefer_No_AVX512" => (pref::PREFER_NO_AVX512, Some(f::AVX512F)),
        b"Fast_Copy_Backward" => (pref::FAST_COPY_BACKWARD, None),
        b"Fast_Unaligned_Load" => (pref::FAST_UNALIGNED_LOAD, None),
        b"Fast_Unaligned_Copy" => (pref::FAST_UNALIGNED_COPY, None),
        b"Prefer_No_VZEROUPPER" => (pref::PREFER_NO_VZEROUPPER, Some(f::AVX)),
        b"AVX_Fast_Unaligned_Load" => (pref::AVX_FAST_UNALIGNED_LOAD, Some(f::AVX)),
        b"MathVec_Prefer_No_AVX512" => (pref::MATHVEC_PREFER_NO_AVX512, Some(f::AVX512F)),
        b"Prefer_PMINUB_for_stringop" => (pref::PREFER_PMINUB_FOR_STRINGOP, Some(f::SSE2)),
        _ => return,
    };
    if disable {
        cf.preferred[0] &= !bit;
    } else if need.is_none_or(|ft| cf.usable(ft)) {
        cf.preferred[0] |= bit;
    }
}

/// glibc's `get_common_indices`: leaf 1 (only if `with_leaf1`), 7.0, 7.1,
/// 0xd.1, 0x14.0 and 0x19, each only if leaf 0 says it exists.
fn read_common_leaves<C: CpuidSource>(cf: &mut CpuFeatures, cpu: &mut C, with_leaf1: bool) -> Signature {
    let mut sig = Signature {
        family: 0,
        model: 0,
        extended_model: 0,
        stepping: 0,
    };
    if with_leaf1 {
        let r = cpu.cpuid(1, 0);
        if let Some(l) = cf.leaf_mut(INDEX_1) {
            *l = r;
        }
        sig.family = (r.eax >> 8) & 0x0f;
        sig.model = (r.eax >> 4) & 0x0f;
        sig.extended_model = (r.eax >> 12) & 0xf0;
        sig.stepping = r.eax & 0x0f;
        if sig.family == 0x0f {
            sig.family += (r.eax >> 20) & 0xff;
            sig.model += sig.extended_model;
        }
    }
    let max = cf.basic.max_cpuid;
    let leaves: [(i32, u32, u32, usize); 5] = [
        (7, 7, 0, INDEX_7),
        (7, 7, 1, INDEX_7_ECX_1),
        (0xd, 0xd, 1, INDEX_D_ECX_1),
        (0x14, 0x14, 0, INDEX_14_ECX_0),
        (0x19, 0x19, 0, INDEX_19),
    ];
    for (needed, leaf, sub, index) in leaves {
        if max >= needed {
            let r = cpu.cpuid(leaf, sub);
            if let Some(l) = cf.leaf_mut(index) {
                *l = r;
            }
        }
    }
    sig
}

/// glibc's `get_extended_indices`: 0x80000001, 0x80000007 and 0x80000008,
/// as far as leaf 0x80000000 says they exist.
fn read_extended_leaves<C: CpuidSource>(cf: &mut CpuFeatures, cpu: &mut C) {
    let max = cpu.cpuid(0x8000_0000, 0).eax;
    for (leaf, index) in [
        (0x8000_0001, INDEX_80000001),
        (0x8000_0007, INDEX_80000007),
        (0x8000_0008, INDEX_80000008),
    ] {
        if max >= leaf {
            let r = cpu.cpuid(leaf, 0);
            if let Some(l) = cf.leaf_mut(index) {
                *l = r;
            }
        }
    }
}

/// Features usable as soon as CPUID reports them: no register state for the
/// OS to save (`update_active`'s first list).
const ALWAYS_USABLE: [Feature; 52] = [
    f::SSE3,
    f::PCLMULQDQ,
    f::SSSE3,
    f::CMPXCHG16B,
    f::SSE4_1,
    f::SSE4_2,
    f::MOVBE,
    f::POPCNT,
    f::AES,
    f::OSXSAVE,
    f::TSC,
    f::CX8,
    f::CMOV,
    f::CLFSH,
    f::MMX,
    f::FXSR,
    f::SSE,
    f::SSE2,
    f::HTT,
    f::BMI1,
    f::HLE,
    f::BMI2,
    f::ERMS,
    f::RDSEED,
    f::ADX,
    f::CLFLUSHOPT,
    f::CLWB,
    f::SHA,
    f::PREFETCHWT1,
    f::OSPKE,
    f::WAITPKG,
    f::GFNI,
    f::RDPID,
    f::RDRAND,
    f::CLDEMOTE,
    f::MOVDIRI,
    f::MOVDIR64B,
    f::FSRM,
    f::RTM_ALWAYS_ABORT,
    f::SERIALIZE,
    f::TSXLDTRK,
    f::LAHF64_SAHF64,
    f::LZCNT,
    f::SSE4A,
    f::PREFETCHW,
    f::TBM,
    f::RDTSCP,
    f::WBNOINVD,
    f::FZLRM,
    f::FSRS,
    f::FSRCS,
    f::PTWRITE,
];

/// Usable once AVX is (the YMM state is enabled and CPUID has AVX).
const NEED_AVX: [Feature; 6] = [f::AVX_VNNI, f::FMA, f::VAES, f::VPCLMULQDQ, f::XOP, f::F16C];

/// Usable once AVX512F is (opmask and both ZMM halves enabled too).
const NEED_AVX512F: [Feature; 17] = [
    f::AVX512CD,
    f::AVX512ER,
    f::AVX512PF,
    f::AVX512VL,
    f::AVX512DQ,
    f::AVX512BW,
    f::AVX512_4FMAPS,
    f::AVX512_4VNNIW,
    f::AVX512_BITALG,
    f::AVX512_IFMA,
    f::AVX512_VBMI,
    f::AVX512_VBMI2,
    f::AVX512_VNNI,
    f::AVX512_VPOPCNTDQ,
    f::AVX512_VP2INTERSECT,
    f::AVX512_BF16,
    f::AVX512_FP16,
];

/// Usable once the tile state is enabled.
const NEED_AMX_STATE: [Feature; 3] = [f::AMX_BF16, f::AMX_TILE, f::AMX_INT8];

/// Usable once OSXSAVE is (besides XSAVE itself, which is forced on).
const NEED_OSXSAVE: [Feature; 4] = [f::XSAVEOPT, f::XSAVEC, f::XGETBV_ECX_1, f::XFD];

/// Cleared when neither XSAVE nor XSAVEC is usable: without them
/// `_dl_runtime_resolve` could not preserve the vector registers
/// (cpu-features.c, the `disable_xsave_features` block).
const NEED_XSAVE: [Feature; 30] = [
    f::AVX,
    f::AVX2,
    f::AVX_VNNI,
    f::FMA,
    f::VAES,
    f::VPCLMULQDQ,
    f::XOP,
    f::F16C,
    f::AVX512F,
    f::AVX512CD,
    f::AVX512ER,
    f::AVX512PF,
    f::AVX512VL,
    f::AVX512DQ,
    f::AVX512BW,
    f::AVX512_4FMAPS,
    f::AVX512_4VNNIW,
    f::AVX512_BITALG,
    f::AVX512_IFMA,
    f::AVX512_VBMI,
    f::AVX512_VBMI2,
    f::AVX512_VNNI,
    f::AVX512_VPOPCNTDQ,
    f::AVX512_VP2INTERSECT,
    f::AVX512_BF16,
    f::AVX512_FP16,
    f::AMX_BF16,
    f::AMX_TILE,
    f::AMX_INT8,
    f::FMA4,
];

/// The 64 bytes `_dl_runtime_resolve` keeps below the XSAVE area for the
/// seven argument/return registers, rounded to 16 (sysdeps/x86/sysdep.h
/// `STATE_SAVE_OFFSET`).
const STATE_SAVE_OFFSET: u32 = 8 * 7 + 8;
/// The XSAVE components the trampoline saves: SSE, AVX, MPX bounds, opmask
/// and both ZMM halves (sysdeps/x86/sysdep.h `STATE_SAVE_MASK`).
const STATE_SAVE_MASK: u32 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 7);

/// 2.41's `TLSDESC_CALL_REGISTER_SAVE_AREA` adds the three registers
/// `_dl_tlsdesc_dynamic` saves in the red zone (sysdeps/x86/sysdep.h).
const TLSDESC_EXTRA: u32 = 24;
/// XSAVE component numbers (sysdeps/x86/sysdep.h `X86_XSTATE_*_ID`).
const XSTATE_TILECFG_ID: u32 = 17;
const XSTATE_TILEDATA_ID: u32 = 18;
const XSTATE_APX_F_ID: u32 = 19;
/// 2.41's `STATE_SAVE_MASK`: 2.36's and the APX registers.
const STATE_SAVE_MASK_2_41: u32 = STATE_SAVE_MASK | (1 << XSTATE_APX_F_ID);
/// `AMX_STATE_SAVE_MASK`: the tile configuration and data.
const AMX_STATE_SAVE_MASK: u32 = (1 << XSTATE_TILECFG_ID) | (1 << XSTATE_TILEDATA_ID);

/// `ALIGN_UP` in C `unsigned int` arithmetic.
fn align_up_u32(x: u32, a: u32) -> u32 {
    x.wrapping_add(a - 1) & !(a - 1)
}

/// glibc's `update_active` (cpu-features.c): which reported features the OS
/// lets us use, the XSAVE sizes, and the ISA level.
fn update_active<C: CpuidSource>(cf: &mut CpuFeatures, cpu: &mut C, t: &CpuTunables) {
    let v41 = t.release_2_41;
    for ft in ALWAYS_USABLE {
        cf.activate(ft);
    }
    if v41 {
        for ft in [f::RAO_INT, f::CMPCCXADD, f::PREFETCHI] {
            cf.activate(ft);
        }
    }
    // RTM is usable unless the CPU says every transaction aborts.
    if !cf.has(f::RTM_ALWAYS_ABORT) {
        cf.activate(f::RTM);
    }
    // IBT and SHSTK: glibc (built with CET) activates them here and clears
    // them again at the end of init_cpu_features unless the kernel reports
    // CET enabled through arch_prctl(ARCH_CET_STATUS), which no upstream
    // kernel implements; the net effect is that they are never active.

    if cf.has(f::OSXSAVE) {
        // 2.41: the vector lengths the OS saves, for AVX10's.
        let (mut ymm, mut zmm_state) = (false, false);
        if v41 {
            cf.activate(f::AVX10);
        }
        let xcr0 = cpu.xgetbv0();
        if xcr0 & (XSTATE_YMM | XSTATE_XMM) == XSTATE_YMM | XSTATE_XMM {
            if cf.has(f::AVX) {
                ymm = true;
                cf.force(f::AVX);
                if cf.has(f::AVX2) {
                    cf.force(f::AVX2);
                    // 256-bit unaligned loads are fast on every CPU with AVX2.
                    cf.preferred[0] |= pref::AVX_FAST_UNALIGNED_LOAD;
                }
                for ft in NEED_AVX {
                    cf.activate(ft);
                }
                if v41 {
                    for ft in [f::AVX_IFMA, f::AVX_NE_CONVERT, f::AVX_VNNI_INT8] {
                        cf.activate(ft);
                    }
                }
            }
            let zmm = XSTATE_OPMASK | XSTATE_ZMM0_15 | XSTATE_ZMM16_31;
            zmm_state = xcr0 & zmm == zmm;
            if xcr0 & zmm == zmm && cf.has(f::AVX512F) {
                cf.force(f::AVX512F);
                for ft in NEED_AVX512F {
                    cf.activate(ft);
                }
            }
        }
        // 2.41: leaf 0x24 says which vector lengths AVX10 has; each is
        // usable if the OS saves registers that long.
        if v41 && cf.has(f::AVX10) && cf.basic.max_cpuid >= 0x24 {
            let r = cpu.cpuid(0x24, 0);
            if let Some(l) = cf.leaf_mut(INDEX_24_ECX_0) {
                *l = r;
            }
            cf.activate(f::AVX10_XMM);
            if ymm {
                cf.activate(f::AVX10_YMM);
            }
            if zmm_state {
                cf.activate(f::AVX10_ZMM);
            }
        }
        let tiles = XSTATE_XTILECFG | XSTATE_XTILEDATA;
        if xcr0 & tiles == tiles {
            for ft in NEED_AMX_STATE {
                cf.activate(ft);
            }
            if v41 {
                cf.activate(f::AMX_FP16);
                cf.activate(f::AMX_COMPLEX);
            }
        }
        if v41 && xcr0 & XSTATE_APX_F != 0 {
            cf.activate(f::APX_F);
        }
        cf.force(f::XSAVE);
        for ft in NEED_OSXSAVE {
            cf.activate(ft);
        }
        if cf.basic.max_cpuid >= 0xd {
            compute_xsave_sizes(cf, cpu, v41);
        }
    }

    if cf.has(f::OSPKE) {
        cf.force(f::PKU);
    }
    // Key Locker.
    if cf.has(f::AESKLE) {
        cf.force(f::AESKLE);
        cf.activate(f::KL);
        cf.activate(f::WIDE_KL);
    }
    // 2.41's `dl_check_hwcap2`: the kernel lets user space use FSGSBASE.
    const HWCAP2_FSGSBASE: u64 = 1 << 1;
    if v41 && t.hwcap2 & HWCAP2_FSGSBASE != 0 {
        cf.activate(f::FSGSBASE);
    }
    cf.isa_1 = isa_level(cf);
}

/// The stack space `_dl_runtime_resolve` needs to save the vector state:
/// the standard XSAVE layout size from leaf 0xd.0 EBX, and, with XSAVEC,
/// the compacted size of the components saved, each 64-aligned where leaf
/// 0xd.i ECX bit 1 asks for it.  All in C `unsigned int` arithmetic, as
/// glibc does.  2.41 saves 24 more bytes of registers, counts the APX state
/// (component 19) and computes the size with the AMX tiles for
/// `_dl_tlsdesc_dynamic`, then leaves them out of `xsave_state_size`.
fn compute_xsave_sizes<C: CpuidSource>(cf: &mut CpuFeatures, cpu: &mut C, v41: bool) {
    let (save_area, mask, max_id) = if v41 {
        (
            STATE_SAVE_OFFSET + TLSDESC_EXTRA,
            STATE_SAVE_MASK_2_41 | AMX_STATE_SAVE_MASK,
            XSTATE_APX_F_ID,
        )
    } else {
        (STATE_SAVE_OFFSET, STATE_SAVE_MASK, 31)
    };
    let standard = cpu.cpuid(0xd, 0).ebx;
    if standard == 0 {
        return;
    }
    let full = align_up_u32(standard.wrapping_add(save_area), 64);
    cf.xsave_state_size = u64::from(full);
    cf.xsave_state_full_size = full;
    if v41 {
        cf.tlsdesc_state_size = u64::from(full);
    }
    if !cf.has(f::XSAVEC) {
        return;
    }
    // Component 0 (x87, 160 bytes) and 1 (SSE, 256) sit in the legacy
    // area; component 2 starts after the 512-byte legacy area and the
    // 64-byte header.
    let mut offsets = [0u32; 33];
    let mut prev_size: u32 = 0;
    for i in 2..=max_id {
        let (size, aligned) = if mask & (1 << i) != 0 {
            let r = cpu.cpuid(0xd, i);
            (r.eax, r.ecx & (1 << 1) != 0)
        } else {
            (0, false)
        };
        offsets[i as usize] = if i > 2 {
            let o = offsets[i as usize - 1].wrapping_add(prev_size);
            if aligned {
                align_up_u32(o, 64)
            } else {
                o
            }
        } else {
            576
        };
        prev_size = size;
    }
    let compacted = offsets[max_id as usize].wrapping_add(prev_size);
    if compacted != 0 {
        let mut size = align_up_u32(compacted.wrapping_add(save_area), 64);
        if v41 {
            cf.tlsdesc_state_size = u64::from(size);
            // The tiles, from TILECFG's start to the end of TILEDATA (the
            // next component's offset), are not saved by the trampoline.
            size = size.wrapping_sub(
                offsets[XSTATE_TILEDATA_ID as usize + 1].wrapping_sub(offsets[XSTATE_TILECFG_ID as usize]),
            );
        }
        cf.xsave_state_size = u64::from(size);
        cf.force(f::XSAVEC);
    }
}

/// glibc's `get_isa_level` (sysdeps/x86/get-isa-level.h, with the 2.36
/// branch's BMI1/BMI2 requirement for v3).
pub fn isa_level(cf: &CpuFeatures) -> u32 {
    let all = |fs: &[Feature]| fs.iter().all(|&ft| cf.usable(ft));
    // FPU is tested on the CPUID word, the rest on the active one.
    if !(cf.has(f::FPU) && all(&[f::CMOV, f::CX8, f::FXSR, f::MMX, f::SSE, f::SSE2])) {
        return 0;
    }
    let mut level = ISA_1_BASELINE;
    if !all(&[
        f::CMPXCHG16B,
        f::LAHF64_SAHF64,
        f::POPCNT,
        f::SSE3,
        f::SSSE3,
        f::SSE4_1,
        f::SSE4_2,
    ]) {
        return level;
    }
    level |= ISA_1_V2;
    if !all(&[f::AVX, f::AVX2, f::BMI1, f::BMI2, f::F16C, f::FMA, f::LZCNT, f::MOVBE]) {
        return level;
    }
    level |= ISA_1_V3;
    if all(&[f::AVX512F, f::AVX512BW, f::AVX512CD, f::AVX512DQ, f::AVX512VL]) {
        level |= ISA_1_V4;
    }
    level
}

/// Intel family 6 tuning by model (cpu-features.c): Atom's slow BSF, the
/// Silvermont/Goldmont/Tremont string preferences, the Core i3/i5/i7 ones
/// (assumed for any unknown model with AVX), and the TSX errata.
fn intel_model_quirks(cf: &mut CpuFeatures, model: u32, stepping: u32) {
    const CORE: u32 = pref::FAST_REP_STRING
        | pref::FAST_UNALIGNED_LOAD
        | pref::FAST_UNALIGNED_COPY
        | pref::PREFER_PMINUB_FOR_STRINGOP;
    const SILVERMONT: u32 =
        pref::FAST_UNALIGNED_LOAD | pref::FAST_UNALIGNED_COPY | pref::PREFER_PMINUB_FOR_STRINGOP | pref::SLOW_SSE4_2;
    match model {
        // Atom (Bonnell/Saltwell).
        0x1c | 0x26 => cf.preferred[0] |= pref::SLOW_BSF,
        // Knights Landing, Goldmont (Plus), Airmont, Silvermont.
        0x57 | 0x7a | 0x5c | 0x5f | 0x4c | 0x5a | 0x75 | 0x37 | 0x4a | 0x4d | 0x5d => cf.preferred[0] |= SILVERMONT,
        // Tremont.
        0x86 | 0x96 | 0x9c => cf.preferred[0] |= SILVERMONT | pref::FAST_REP_STRING,
        // Nehalem/Westmere.
        0x1a | 0x1e | 0x1f | 0x25 | 0x2c | 0x2e | 0x2f => cf.preferred[0] |= CORE,
        _ => {
            if cf.has(f::AVX) {
                cf.preferred[0] |= CORE;
            }
        }
    }

    // Processors whose TSX microcode fix may be missing.
    let disable_tsx = match model {
        0x55 => stepping <= 5,
        0x8e | 0x9e => stepping <= 0xc,
        0x4e | 0x5e => true,
        _ => false,
    };
    if disable_tsx {
        cf.clear(f::HLE);
        cf.clear(f::RTM);
        cf.force(f::RTM_ALWAYS_ABORT);
    }
    // Haswell's broken RTM (Xeon E7 v3 from stepping 4 is fine).
    let haswell_rtm = match model {
        0x3f => stepping < 4,
        0x3c | 0x45 | 0x46 => true,
        _ => false,
    };
    if haswell_rtm {
        cf.clear(f::RTM);
    }
}

/// Intel tuning as glibc 2.41 does it (cpu-features.c): family 6 models
/// named by micro-architecture (`intel_get_fam6_microarch`), the same TSX
/// errata as 2.36, string preferences by micro-architecture for every
/// family, and the divisor of the shared cache that gives the non-temporal
/// threshold (8 for Nehalem to Broadwell, 2 for Skylake and later, 4
/// otherwise); Skylake servers avoid non-temporal memset.
fn intel_tuning_2_41(cf: &mut CpuFeatures, family: u32, model: u32, stepping: u32) {
    #[derive(PartialEq, Clone, Copy)]
    enum Arch {
        Bonnell,
        Silvermont,
        Tremont,
        Nehalem,
        OldBig,
        Skx,
        NewBig,
        Other,
    }
    const CORE: u32 = pref::FAST_REP_STRING
        | pref::FAST_UNALIGNED_LOAD
        | pref::FAST_UNALIGNED_COPY
        | pref::PREFER_PMINUB_FOR_STRINGOP;
    const SILVERMONT: u32 =
        pref::FAST_UNALIGNED_LOAD | pref::FAST_UNALIGNED_COPY | pref::PREFER_PMINUB_FOR_STRINGOP | pref::SLOW_SSE4_2;
    let arch = match (family, model) {
        (6, 0x1c | 0x26 | 0x27 | 0x35 | 0x36) => Arch::Bonnell,
        // Silvermont, Airmont, Goldmont (Plus), Knights Landing.
        (6, 0x37 | 0x4a | 0x4d | 0x5d | 0x4c | 0x5a | 0x75 | 0x5c | 0x5f | 0x7a | 0x57) => Arch::Silvermont,
        (6, 0x86 | 0x96 | 0x9c) => Arch::Tremont,
        // Nehalem, Westmere.
        (6, 0x1a | 0x1e | 0x1f | 0x2e | 0x25 | 0x2c | 0x2f) => Arch::Nehalem,
        // Sandy Bridge, Ivy Bridge, Haswell, Broadwell.
        (6, 0x2a | 0x2d | 0x3a | 0x3e | 0x3c | 0x3f | 0x45 | 0x46 | 0x3d | 0x47 | 0x4f | 0x56) => Arch::OldBig,
        // Skylake-avx512 (with Cascade and Cooper Lake), Cannon Lake.
        (6, 0x55 | 0x66) => Arch::Skx,
        // Skylake, Kaby/Coffee/Whiskey/Amber Lake, Comet Lake, Ice Lake,
        // Tiger Lake, Rocket Lake, Sapphire/Emerald/Granite Rapids, Raptor,
        // Meteor, Lunar, Arrow, Panther, Wildcat Lake; Lakefield, Alder Lake.
        (
            6,
            0x4e | 0x5e | 0x8e | 0x9e | 0xa5 | 0xa6 | 0x6a | 0x6c | 0x7d | 0x7e | 0x9d | 0x8c | 0x8d | 0xa7 | 0x8f
            | 0xb7 | 0xba | 0xbf | 0xcf | 0xaa | 0xac | 0xbd | 0xb5 | 0xc5 | 0xc6 | 0xcc | 0xd5 | 0xad | 0xae
            | 0x8a | 0x97 | 0x9a | 0xbe,
        )
        // Nova Lake, Diamond Rapids.
        | (18, 0x01 | 0x03)
        | (19, 0x01) => Arch::NewBig,
        _ => Arch::Other,
    };
    if family == 6 {
        // The TSX errata, by the models 2.36 names them with.
        let disable_tsx = match model {
            0x55 => stepping <= 5,
            0x8e | 0x9e => stepping <= 0xc,
            0x4e | 0x5e => true,
            _ => false,
        };
        if disable_tsx {
            cf.clear(f::HLE);
            cf.clear(f::RTM);
            cf.force(f::RTM_ALWAYS_ABORT);
        }
        if matches!(model, 0x3c | 0x3f | 0x45 | 0x46) && !(model == 0x3f && stepping >= 4) {
            cf.clear(f::RTM);
        }
    }
    let core_if_avx = |cf: &mut CpuFeatures| {
        if cf.has(f::AVX) {
            cf.preferred[0] |= CORE;
        }
    };
    match arch {
        Arch::Bonnell => cf.preferred[0] |= pref::SLOW_BSF,
        Arch::Silvermont => cf.preferred[0] |= SILVERMONT,
        Arch::Tremont => cf.preferred[0] |= SILVERMONT | pref::FAST_REP_STRING,
        Arch::Nehalem => {
            cf.cachesize_non_temporal_divisor = 8;
            cf.preferred[0] |= CORE;
        }
        Arch::OldBig => {
            cf.cachesize_non_temporal_divisor = 8;
            core_if_avx(cf);
        }
        Arch::Skx | Arch::NewBig => {
            if arch == Arch::Skx {
                cf.preferred[0] |= pref::AVOID_NON_TEMPORAL_MEMSET;
            }
            cf.cachesize_non_temporal_divisor = 2;
            core_if_avx(cf);
        }
        Arch::Other => core_if_avx(cf),
    }
}

/// Intel (any family): vzeroupper and AVX-512 preferences, and the short
/// `rep movsb` avoidance on FSRM parts (cpu-features.c).
fn intel_avx512_preferences(cf: &mut CpuFeatures) {
    if cf.has(f::AVX512ER) {
        // Xeon Phi.
        cf.preferred[0] |= pref::PREFER_NO_VZEROUPPER;
    } else {
        // 512-bit stores lower the clock except on parts that also have
        // AVX-VNNI.
        if !cf.has(f::AVX_VNNI) {
            cf.preferred[0] |= pref::PREFER_NO_AVX512;
        }
        // VZEROUPPER aborts RTM transactions.
        if cf.usable(f::RTM) {
            cf.preferred[0] |= pref::PREFER_NO_VZEROUPPER;
        }
    }
    if cf.has(f::FSRM) {
        cf.preferred[0] |= pref::AVOID_SHORT_DISTANCE_REP_MOVSB;
    }
}

/// Zhaoxin models on which AVX is slower than SSE (cpu-features.c).
fn zhaoxin_model_quirks(cf: &mut CpuFeatures, family: u32, model: u32) {
    let (no_avx, slow_sse42) = match (family, model) {
        (6, 0xf) | (6, 0x19) | (7, 0x1b) => (true, true),
        (7, 0x3b) => (true, false),
        _ => (false, false),
    };
    if no_avx {
        cf.clear(f::AVX);
        cf.clear(f::AVX2);
        if slow_sse42 {
            cf.preferred[0] |= pref::SLOW_SSE4_2;
        }
        cf.preferred[0] &= !pref::AVX_FAST_UNALIGNED_LOAD;
    }
}

/// The tail of `init_cpu_features` under `HAVE_TUNABLES`: without OSXSAVE
/// the XSAVE family is unusable, and without XSAVE or XSAVEC nothing with
/// wide register state is.  Runs after the cache sizes, as in glibc.
fn drop_unsupported_xsave_features(cf: &mut CpuFeatures) {
    let mut disable = false;
    if !cf.usable(f::OSXSAVE) {
        for ft in [f::XSAVE, f::XSAVEOPT, f::XSAVEC, f::XGETBV_ECX_1, f::XFD] {
            cf.clear(ft);
        }
        disable = true;
    }
    if disable || (!cf.usable(f::XSAVE) && !cf.usable(f::XSAVEC)) {
        cf.xsave_state_size = 0;
        for ft in NEED_XSAVE {
            cf.clear(ft);
        }
    }
}

// ---------------------------------------------------------------------------
// Cache geometry (sysdeps/x86/dl-cacheinfo.h).
// ---------------------------------------------------------------------------

/// A cache parameter, as its `_SC_LEVEL*` name minus `_SC_LEVEL1_ICACHE_SIZE`
/// (glibc's `M(name)`): names come in (size, assoc, linesize) triples per
/// cache, and the code relies on that order.
type CacheParam = u32;
const L1I_SIZE: CacheParam = 0;
const L1I_LINESIZE: CacheParam = 2;
const L1D_SIZE: CacheParam = 3;
const L1D_ASSOC: CacheParam = 4;
const L1D_LINESIZE: CacheParam = 5;
const L2_SIZE: CacheParam = 6;
const L2_ASSOC: CacheParam = 7;
const L2_LINESIZE: CacheParam = 8;
const L3_SIZE: CacheParam = 9;
const L3_ASSOC: CacheParam = 10;
const L3_LINESIZE: CacheParam = 11;
const L4_SIZE: CacheParam = 12;

/// The first parameter of the triple `p` belongs to.
fn cache_of(p: CacheParam) -> CacheParam {
    p / 3 * 3
}

/// An entry of Intel's CPUID leaf 2 descriptor table: descriptor byte,
/// associativity, line size, which cache (`L*_SIZE`), size in bytes.
struct Leaf2Descriptor {
    byte: u8,
    assoc: u8,
    linesize: u8,
    cache: u8,
    size: u32,
}

const fn d(byte: u8, assoc: u8, linesize: u8, cache: CacheParam, size: u32) -> Leaf2Descriptor {
    Leaf2Descriptor {
        byte,
        assoc,
        linesize,
        cache: cache as u8,
        size,
    }
}

/// The leaf 2 cache descriptors glibc knows (Intel SDM, CPUID leaf 2),
/// sorted by descriptor byte.
static LEAF2_DESCRIPTORS: [Leaf2Descriptor; 68] = [
    d(0x06, 4, 32, L1I_SIZE, 8192),
    d(0x08, 4, 32, L1I_SIZE, 16384),
    d(0x09, 4, 32, L1I_SIZE, 32768),
    d(0x0a, 2, 32, L1D_SIZE, 8192),
    d(0x0c, 4, 32, L1D_SIZE, 16384),
    d(0x0d, 4, 64, L1D_SIZE, 16384),
    d(0x0e, 6, 64, L1D_SIZE, 24576),
    d(0x21, 8, 64, L2_SIZE, 262144),
    d(0x22, 4, 64, L3_SIZE, 524288),
    d(0x23, 8, 64, L3_SIZE, 1048576),
    d(0x25, 8, 64, L3_SIZE, 2097152),
    d(0x29, 8, 64, L3_SIZE, 4194304),
    d(0x2c, 8, 64, L1D_SIZE, 32768),
    d(0x30, 8, 64, L1I_SIZE, 32768),
    d(0x39, 4, 64, L2_SIZE, 131072),
    d(0x3a, 6, 64, L2_SIZE, 196608),
    d(0x3b, 2, 64, L2_SIZE, 131072),
    d(0x3c, 4, 64, L2_SIZE, 262144),
    d(0x3d, 6, 64, L2_SIZE, 393216),
    d(0x3e, 4, 64, L2_SIZE, 524288),
    d(0x3f, 2, 64, L2_SIZE, 262144),
    d(0x41, 4, 32, L2_SIZE, 131072),
    d(0x42, 4, 32, L2_SIZE, 262144),
    d(0x43, 4, 32, L2_SIZE, 524288),
    d(0x44, 4, 32, L2_SIZE, 1048576),
    d(0x45, 4, 32, L2_SIZE, 2097152),
    d(0x46, 4, 64, L3_SIZE, 4194304),
    d(0x47, 8, 64, L3_SIZE, 8388608),
    d(0x48, 12, 64, L2_SIZE, 3145728),
    d(0x49, 16, 64, L2_SIZE, 4194304),
    d(0x4a, 12, 64, L3_SIZE, 6291456),
    d(0x4b, 16, 64, L3_SIZE, 8388608),
    d(0x4c, 12, 64, L3_SIZE, 12582912),
    d(0x4d, 16, 64, L3_SIZE, 16777216),
    d(0x4e, 24, 64, L2_SIZE, 6291456),
    d(0x60, 8, 64, L1D_SIZE, 16384),
    d(0x66, 4, 64, L1D_SIZE, 8192),
    d(0x67, 4, 64, L1D_SIZE, 16384),
    d(0x68, 4, 64, L1D_SIZE, 32768),
    d(0x78, 8, 64, L2_SIZE, 1048576),
    d(0x79, 8, 64, L2_SIZE, 131072),
    d(0x7a, 8, 64, L2_SIZE, 262144),
    d(0x7b, 8, 64, L2_SIZE, 524288),
    d(0x7c, 8, 64, L2_SIZE, 1048576),
    d(0x7d, 8, 64, L2_SIZE, 2097152),
    d(0x7f, 2, 64, L2_SIZE, 524288),
    d(0x80, 8, 64, L2_SIZE, 524288),
    d(0x82, 8, 32, L2_SIZE, 262144),
    d(0x83, 8, 32, L2_SIZE, 524288),
    d(0x84, 8, 32, L2_SIZE, 1048576),
    d(0x85, 8, 32, L2_SIZE, 2097152),
    d(0x86, 4, 64, L2_SIZE, 524288),
    d(0x87, 8, 64, L2_SIZE, 1048576),
    d(0xd0, 4, 64, L3_SIZE, 524288),
    d(0xd1, 4, 64, L3_SIZE, 1048576),
    d(0xd2, 4, 64, L3_SIZE, 2097152),
    d(0xd6, 8, 64, L3_SIZE, 1048576),
    d(0xd7, 8, 64, L3_SIZE, 2097152),
    d(0xd8, 8, 64, L3_SIZE, 4194304),
    d(0xdc, 12, 64, L3_SIZE, 2097152),
    d(0xdd, 12, 64, L3_SIZE, 4194304),
    d(0xde, 12, 64, L3_SIZE, 8388608),
    d(0xe2, 16, 64, L3_SIZE, 2097152),
    d(0xe3, 16, 64, L3_SIZE, 4194304),
    d(0xe4, 16, 64, L3_SIZE, 8388608),
    d(0xea, 24, 64, L3_SIZE, 12582912),
    d(0xeb, 24, 64, L3_SIZE, 18874368),
    d(0xec, 24, 64, L3_SIZE, 25165824),
];

/// More subleaves than any CPU has caches or topology levels: glibc walks
/// leaves 4 and 11 until the CPU says stop, we stop here at the latest.
const SUBLEAF_LIMIT: u32 = 64;

/// Walks CPUID leaf 4 (deterministic cache parameters) for `p`.  `None` if
/// the list ends without the cache; level 4 is considered only for Intel.
fn leaf4_lookup<C: CpuidSource>(cpu: &mut C, p: CacheParam, with_level4: bool) -> Option<i64> {
    let cache = cache_of(p);
    for sub in 0..SUBLEAF_LIMIT {
        let r = cpu.cpuid(4, sub);
        let ty = r.eax & 0x1f; // 0 none, 1 data, 2 instruction, 3 unified
        if ty == 0 {
            return None;
        }
        let level = (r.eax >> 5) & 0x7;
        let hit = (level == 1 && ty == 1 && cache == L1D_SIZE)
            || (level == 1 && ty == 2 && cache == L1I_SIZE)
            || (level == 2 && cache == L2_SIZE)
            || (level == 3 && cache == L3_SIZE)
            || (with_level4 && level == 4 && cache == L4_SIZE);
        if hit {
            // The size is ways * partitions * line size * sets, computed in
            // 32 bits as glibc does.
            let ways = (r.ebx >> 22) + 1;
            let linesize = (r.ebx & 0xfff) + 1;
            let v = match p - cache {
                0 => ways
                    .wrapping_mul(((r.ebx >> 12) & 0x3ff) + 1)
                    .wrapping_mul(linesize)
                    .wrapping_mul(r.ecx.wrapping_add(1)),
                1 => ways,
                _ => linesize,
            };
            return Some(i64::from(v));
        }
    }
    None
}

/// State shared by the four register scans of one `handle_intel` call.
struct Leaf2Scan {
    no_level_2_or_3: bool,
}

/// glibc's `intel_check_word`: look for `p` in the four descriptor bytes of
/// one leaf 2 register.  Descriptor 0xff means "see leaf 4".
fn intel_check_word<C: CpuidSource>(
    cpu: &mut C,
    cf: &CpuFeatures,
    mut p: CacheParam,
    mut value: u32,
    scan: &mut Leaf2Scan,
) -> i64 {
    // Bit 31 set: the register holds no descriptors.
    if value & 0x8000_0000 != 0 {
        return 0;
    }
    let mut cache = cache_of(p);
    while value != 0 {
        let byte = (value & 0xff) as u8;
        if byte == 0x40 {
            // "No L2, or no L3 if there is an L2."
            scan.no_level_2_or_3 = true;
            if cache == L3_SIZE {
                break;
            }
        } else if byte == 0xff {
            // Leaf 4 describes everything; nothing else to look at.
            return leaf4_lookup(cpu, p, true).unwrap_or(-1);
        } else {
            // Descriptor 0x49 is the L3 on family 15 model 6 and the L2
            // elsewhere: there, ask the table for the L2 entry (and keep
            // asking about L2 for the following bytes, as glibc does).
            if byte == 0x49 && cache == L3_SIZE && cf.basic.family == 15 && cf.basic.model == 6 {
                p = L2_SIZE + (p - L3_SIZE);
                cache = L2_SIZE;
            }
            if let Ok(i) = LEAF2_DESCRIPTORS.binary_search_by_key(&byte, |e| e.byte) {
                if let Some(e) = LEAF2_DESCRIPTORS.get(i) {
                    if u32::from(e.cache) == cache {
                        return match p - cache {
                            0 => i64::from(e.size),
                            1 => i64::from(e.assoc),
                            _ => i64::from(e.linesize),
                        };
                    }
                }
            }
        }
        value >>= 8;
    }
    0
}

/// glibc's `handle_intel`: one cache parameter from leaf 2, or leaf 4 when
/// leaf 2's first byte is not the expected 1 (BZ #30643).
fn handle_intel<C: CpuidSource>(cpu: &mut C, cf: &CpuFeatures, p: CacheParam) -> i64 {
    if (cf.basic.max_cpuid as u32) < 2 {
        return -1;
    }
    let mut scan = Leaf2Scan { no_level_2_or_3: false };
    let r = cpu.cpuid(2, 0);
    if r.eax & 0xff != 1 {
        return intel_check_word(cpu, cf, p, 0xff, &mut scan);
    }
    for word in [r.eax & 0xffff_ff00, r.ebx, r.ecx, r.edx] {
        let v = intel_check_word(cpu, cf, p, word, &mut scan);
        if v != 0 {
            return v;
        }
    }
    if (L2_SIZE..=L3_LINESIZE).contains(&p) && scan.no_level_2_or_3 {
        return -1;
    }
    0
}

/// The associativity code of AMD leaf 0x80000006 (bits 12-15) as a way
/// count; 15 means "compute from size / line size" (`size_and_line`).
fn amd_assoc(code: u32, size: u32, line: u32) -> i64 {
    let v = match code {
        0 | 1 | 2 | 4 => code,
        6 => 8,
        8 => 16,
        10 => 32,
        11 => 48,
        12 => 64,
        13 => 96,
        14 => 128,
        15 => size.checked_div(line).unwrap_or(0),
        _ => 0,
    };
    i64::from(v)
}

/// glibc's `handle_amd`: one cache parameter from leaves 0x80000005 (L1)
/// and 0x80000006 (L2, L3).  There is no L4.
fn handle_amd<C: CpuidSource>(cpu: &mut C, p: CacheParam) -> i64 {
    let max_ext = cpu.cpuid(0x8000_0000, 0).eax;
    if p > L3_LINESIZE {
        return 0;
    }
    let leaf = if p >= L2_SIZE { 0x8000_0006 } else { 0x8000_0005 };
    if max_ext < leaf {
        return 0;
    }
    let r = cpu.cpuid(leaf, 0);
    amd_cache_value(p, r.ecx, r.edx)
}

/// The subleaf of leaf 0x8000001D (and of Intel's leaf 4) that describes
/// the cache of parameter `p`: 1 the L1 instruction cache, 0 the L1 data
/// cache, 2 the L2, 3 the L3.
fn cache_subleaf(p: CacheParam) -> u32 {
    match p {
        _ if p >= L3_SIZE => 3,
        _ if p >= L2_SIZE => 2,
        _ if p >= L1D_SIZE => 0,
        _ => 1,
    }
}

/// One parameter from a leaf 0x8000001D answer: ways, line size, or their
/// product with the set count (in C `unsigned int`).
fn cache_from_8000001d(p: CacheParam, r: CpuidRegisters) -> i64 {
    let ways = ((r.ebx >> 22) & 0x3ff) + 1;
    let line = (r.ebx & 0xfff) + 1;
    i64::from(match (p - L1I_SIZE) % 3 {
        0 => ways.wrapping_mul(line).wrapping_mul(r.ecx.wrapping_add(1)),
        1 => ways,
        _ => line,
    })
}

/// glibc 2.41's `handle_amd`: leaf 0x8000001D when the CPU has it and it
/// describes the cache; else leaves 0x80000005/6 as before, but the L3 as
/// one thread's share (`(0x80000008 ECX & 0xff) + 1` threads, or leaf 1's
/// count), times the threads of a CCX on Zen (family 0x17 and later).
fn handle_amd_2_41<C: CpuidSource>(cpu: &mut C, family: u32, p: CacheParam) -> i64 {
    if p > L3_LINESIZE {
        return 0;
    }
    let max_ext = cpu.cpuid(0x8000_0000, 0).eax;
    if max_ext >= 0x8000_001d {
        let r = cpu.cpuid(0x8000_001d, cache_subleaf(p));
        if r.ecx != 0 {
            return cache_from_8000001d(p, r);
        }
    }
    let leaf = if p >= L2_SIZE { 0x8000_0006 } else { 0x8000_0005 };
    if max_ext < leaf {
        return 0;
    }
    let r = cpu.cpuid(leaf, 0);
    if p != L3_SIZE {
        return amd_cache_value(p, r.ecx, r.edx);
    }
    if r.edx & 0xf000 == 0 {
        return 0;
    }
    let total = i64::from((r.edx & 0x3ffc_0000) << 1);
    let mut threads = 0;
    if max_ext >= 0x8000_0008 {
        threads = (cpu.cpuid(0x8000_0008, 0).ecx & 0xff) + 1;
    }
    if threads == 0 {
        let r1 = cpu.cpuid(1, 0);
        if r1.edx & (1 << 28) != 0 {
            threads = (r1.ebx >> 16) & 0xff;
        }
    }
    let per_thread = if threads > 0 { total / i64::from(threads) } else { 0 };
    if family >= 0x17 {
        let per_ccx = ((cpu.cpuid(0x8000_001d, 3).eax >> 14) & 0xfff) + 1;
        return per_thread.wrapping_mul(i64::from(per_ccx));
    }
    per_thread
}

/// glibc 2.41's `handle_hygon`: leaf 0x8000001D only.
fn handle_hygon<C: CpuidSource>(cpu: &mut C, p: CacheParam) -> i64 {
    let r = cpu.cpuid(0x8000_001d, cache_subleaf(p));
    cache_from_8000001d(p, r)
}

/// Decodes an AMD cache parameter from ECX/EDX of leaf 0x80000005 (L1:
/// ECX data, EDX instruction) or 0x80000006 (ECX L2, EDX L3).
fn amd_cache_value(p: CacheParam, ecx: u32, edx: u32) -> i64 {
    // The instruction cache uses the data-cache decoding on EDX.
    let (p, ecx) = if p < L1D_SIZE { (p + 3, edx) } else { (p, ecx) };
    let v = match p {
        L1D_SIZE => (ecx >> 14) & 0x3fc00,
        L1D_ASSOC => {
            let a = ecx >> 16;
            if a & 0xff == 0xff {
                // Fully associative.
                (a << 2) & 0x3fc00
            } else {
                a & 0xff
            }
        }
        L1D_LINESIZE => ecx & 0xff,
        L2_SIZE if ecx & 0xf000 == 0 => 0,
        L2_SIZE => (ecx >> 6) & 0x3ff_fc00,
        L2_ASSOC => return amd_assoc((ecx >> 12) & 0xf, (ecx >> 6) & 0x3ff_fc00, ecx & 0xff),
        L2_LINESIZE if ecx & 0xf000 == 0 => 0,
        L2_LINESIZE => ecx & 0xff,
        L3_SIZE if edx & 0xf000 == 0 => 0,
        L3_SIZE => (edx & 0x3ffc_0000) << 1,
        L3_ASSOC => return amd_assoc((edx >> 12) & 0xf, (edx & 0x3ffc_0000) << 1, edx & 0xff),
        L3_LINESIZE if edx & 0xf000 == 0 => 0,
        L3_LINESIZE => edx & 0xff,
        _ => 0,
    };
    i64::from(v)
}

/// glibc's `handle_zhaoxin`: leaf 4 only, no L4.
fn handle_zhaoxin<C: CpuidSource>(cpu: &mut C, p: CacheParam) -> i64 {
    leaf4_lookup(cpu, p, false).unwrap_or(0)
}

/// `bsr`-based mask glibc applies to leaf 4 sharing counts: all bits up to
/// and including the highest set bit of `x`.
fn count_mask(x: i32) -> i32 {
    if x == 0 {
        return 0;
    }
    let top = 31 - (x as u32).leading_zeros();
    if top >= 31 {
        -1
    } else {
        !(-1i32 << (top + 1))
    }
}

/// glibc's `get_common_cache_info` (Intel and Zhaoxin): how many threads
/// share the highest cache level, from leaf 4 (and leaf 11 to turn
/// "addressable IDs" into real counts), giving the per-thread share of it.
/// Takes and returns (shared, shared_per_thread, threads).
fn common_cache_info<C: CpuidSource>(
    cpu: &mut C,
    cf: &CpuFeatures,
    shared_in: i64,
    shared_per_thread_in: i64,
    threads_in: u32,
    core: i64,
) -> (i64, i64, u32) {
    let max_cpuid = cf.basic.max_cpuid;
    let family = cf.basic.family;
    let model = cf.basic.model;
    let intel = cf.basic.kind == KIND_INTEL;
    let mut shared = shared_in;
    let mut shared_per_thread = shared_per_thread_in;
    let mut threads = threads_in;
    let mut inclusive_cache = true;
    // Zhaoxin family 6 leaf 4 counts are real counts already.
    let support_count_mask = !(cf.basic.kind == KIND_ZHAOXIN && family == 6);

    // Use the L3; without one, the L2.
    let (level, mut threads_l2, mut threads_l3): (u32, i32, i32) = if shared <= 0 {
        shared = core;
        shared_per_thread = core;
        (2, 0, -1)
    } else {
        (3, 0, 0)
    };

    // Without HTT there is a single logical processor: nothing to share.
    if cf.has(f::HTT) {
        // Some Pentium D stop enumerating leaf 4 early; glibc then assumes
        // all logical processors share the cache (`intel_bug_no_cache_info`).
        let mut no_cache_info = max_cpuid < 4;
        if !no_cache_info {
            let mut check: u32 = 0x1 | (u32::from(threads_l3 == 0) << 1);
            let mut sub = 0;
            while check != 0 && sub < SUBLEAF_LIMIT {
                let r = cpu.cpuid(4, sub);
                sub += 1;
                if intel && r.eax & 0x1f == 0 {
                    no_cache_info = true;
                    break;
                }
                match (r.eax >> 5) & 0x7 {
                    2 if check & 0x1 != 0 => {
                        threads_l2 = ((r.eax >> 14) & 0x3ff) as i32;
                        check &= !0x1;
                    }
                    3 if check & 0x2 != 0 => {
                        threads_l3 = ((r.eax >> 14) & 0x3ff) as i32;
                        inclusive_cache = r.edx & 0x2 != 0;
                        check &= !0x2;
                    }
                    _ => {}
                }
            }
        }
        if !no_cache_info {
            // With leaf 11, leaf 4's numbers are counts of addressable IDs:
            // mask them with the logical processors really shipped per core
            // (SMT level) or per package (core level).
            if max_cpuid >= 11 && support_count_mask {
                let mut count: u32 = u32::from(threads_l2 > 0 && level == 3)
                    | (u32::from(threads_l3 > 0 || (threads_l2 > 0 && level == 2)) << 1);
                let mut sub = 0;
                while count != 0 && sub < SUBLEAF_LIMIT {
                    let r = cpu.cpuid(11, sub);
                    sub += 1;
                    let shipped = (r.ebx & 0xff) as i32;
                    let ty = r.ecx & 0xff00;
                    if shipped == 0 || ty == 0 {
                        break;
                    } else if ty == 0x100 {
                        if count & 0x1 != 0 {
                            threads_l2 = (shipped - 1) & count_mask(threads_l2);
                            count &= !0x1;
                        }
                    } else if ty == 0x200 && count & 0x2 != 0 {
                        if level == 2 {
                            threads_l2 = (shipped - 1) & count_mask(threads_l2);
                        } else {
                            threads_l3 = (shipped - 1) & count_mask(threads_l3);
                        }
                        count &= !0x2;
                    }
                }
            }
            if threads_l2 > 0 {
                threads_l2 += 1;
            }
            if threads_l3 > 0 {
                threads_l3 += 1;
            }
            if level == 2 {
                if threads_l2 != 0 {
                    threads = threads_l2 as u32;
                    // Silvermont's L2 is shared by two cores.
                    if intel && threads > 2 && family == 6 && matches!(model, 0x37 | 0x4a | 0x4d | 0x5a | 0x5d) {
                        threads = 2;
                    }
                }
            } else if threads_l3 != 0 {
                threads = threads_l3 as u32;
            }
        } else {
            threads = (cf.features[INDEX_1].cpuid.ebx >> 16) & 0xff;
        }
        if shared_per_thread > 0 && threads > 0 {
            shared_per_thread /= i64::from(threads);
        }
    }

    // A non-inclusive L3 adds the L2 to what a thread can use.
    if !inclusive_cache {
        let core_per_thread = if threads_l2 > 0 {
            core / i64::from(threads_l2)
        } else {
            core
        };
        shared_per_thread = shared_per_thread.wrapping_add(core_per_thread);
        shared = shared.wrapping_add(core);
    }
    (shared, shared_per_thread, threads)
}

/// glibc's `dl_init_cacheinfo` with the tunables `t`: the cache geometry
/// fields and the memcpy/memset thresholds derived from them; returns what
/// it records back into the tunables.
fn init_cacheinfo<C: CpuidSource>(cf: &mut CpuFeatures, cpu: &mut C, t: &CpuTunables) -> CacheTunables {
    // glibc keeps these as C `long` with -1 meaning "unknown"; the record
    // stores them as `unsigned long`.
    let mut data: i64 = -1;
    let mut shared: i64 = -1;
    let mut shared_per_thread: i64 = -1;
    let mut core: i64 = -1;
    let mut threads: u32 = 0;
    // L1I size, L1I line, L1D size, L1D assoc, L1D line, L2 size, assoc,
    // line, L3 size, assoc, line, L4 size.
    let mut levels: [i64; 12] = [-1; 12];
    const ORDER: [CacheParam; 12] = [
        L1I_SIZE,
        L1I_LINESIZE,
        L1D_SIZE,
        L1D_ASSOC,
        L1D_LINESIZE,
        L2_SIZE,
        L2_ASSOC,
        L2_LINESIZE,
        L3_SIZE,
        L3_ASSOC,
        L3_LINESIZE,
        L4_SIZE,
    ];

    match cf.basic.kind {
        KIND_INTEL => {
            data = handle_intel(cpu, cf, L1D_SIZE);
            core = handle_intel(cpu, cf, L2_SIZE);
            shared = handle_intel(cpu, cf, L3_SIZE);
            shared_per_thread = shared;
            for (slot, p) in levels.iter_mut().zip(ORDER) {
                *slot = match p {
                    L1D_SIZE => data,
                    L2_SIZE => core,
                    L3_SIZE => shared,
                    _ => handle_intel(cpu, cf, p),
                };
            }
            (shared, shared_per_thread, threads) = common_cache_info(cpu, cf, shared, shared_per_thread, threads, core);
        }
        KIND_ZHAOXIN => {
            data = handle_zhaoxin(cpu, L1D_SIZE);
            core = handle_zhaoxin(cpu, L2_SIZE);
            shared = handle_zhaoxin(cpu, L3_SIZE);
            shared_per_thread = shared;
            for (slot, p) in levels.iter_mut().zip(ORDER) {
                *slot = match p {
                    L1D_SIZE => data,
                    L2_SIZE => core,
                    L3_SIZE => shared,
                    // glibc does not ask Zhaoxin about an L4.
                    L4_SIZE => -1,
                    _ => handle_zhaoxin(cpu, p),
                };
            }
            (shared, shared_per_thread, threads) = common_cache_info(cpu, cf, shared, shared_per_thread, threads, core);
        }
        KIND_AMD if t.release_2_41 => {
            let family = cf.basic.family;
            data = handle_amd_2_41(cpu, family, L1D_SIZE);
            core = handle_amd_2_41(cpu, family, L2_SIZE);
            shared = handle_amd_2_41(cpu, family, L3_SIZE);
            for (slot, p) in levels.iter_mut().zip(ORDER) {
                *slot = match p {
                    L1D_SIZE => data,
                    L2_SIZE => core,
                    L3_SIZE => shared,
                    _ => handle_amd_2_41(cpu, family, p),
                };
            }
            if shared <= 0 {
                // No L3: the L2 is all there is.
                shared = core;
            } else if family < 0x17 {
                // Older AMD caches are exclusive: L2 and L3 add up.
                shared = shared.wrapping_add(core);
            }
            shared_per_thread = shared;
        }
        KIND_HYGON_2_41 if t.release_2_41 => {
            data = handle_hygon(cpu, L1D_SIZE);
            core = handle_hygon(cpu, L2_SIZE);
            shared = handle_hygon(cpu, L3_SIZE);
            shared_per_thread = shared;
            for (slot, p) in levels.iter_mut().zip(ORDER) {
                *slot = match p {
                    L1D_SIZE => data,
                    L2_SIZE => core,
                    L3_SIZE => shared,
                    // glibc does not ask Hygon about an L4.
                    L4_SIZE => -1,
                    _ => handle_hygon(cpu, p),
                };
            }
        }
        KIND_AMD => {
            data = handle_amd(cpu, L1D_SIZE);
            core = handle_amd(cpu, L2_SIZE);
            shared = handle_amd(cpu, L3_SIZE);
            shared_per_thread = shared;
            for (slot, p) in levels.iter_mut().zip(ORDER) {
                *slot = match p {
                    L1D_SIZE => data,
                    L2_SIZE => core,
                    L3_SIZE => shared,
                    // glibc does not ask AMD about an L4.
                    L4_SIZE => -1,
                    _ => handle_amd(cpu, p),
                };
            }
            let max_ext = cpu.cpuid(0x8000_0000, 0).eax;
            if shared <= 0 {
                // No L3: the L2 is all there is.
                shared = core;
                shared_per_thread = core;
            } else {
                // Threads sharing the L3: 2^(APIC ID width) from 0x80000008,
                // or, when that is absent or on Zen (family 0x17 and later),
                // the logical processor count of leaf 1.
                if max_ext >= 0x8000_0008 {
                    let r = cpu.cpuid(0x8000_0008, 0);
                    threads = 1 << ((r.ecx >> 12) & 0x0f);
                }
                if threads == 0 || cf.basic.family >= 0x17 {
                    let r = cpu.cpuid(1, 0);
                    if r.edx & (1 << 28) != 0 {
                        threads = (r.ebx >> 16) & 0xff;
                    }
                }
                if threads > 0 {
                    shared_per_thread /= i64::from(threads);
                }
                if cf.basic.family >= 0x17 {
                    // Zen: the L3 is per CCX; leaf 0x8000001D subleaf 3 says
                    // how many threads share it.
                    let r = cpu.cpuid(0x8000_001d, 3);
                    let threads_per_ccx = ((r.eax >> 14) & 0xfff) + 1;
                    shared_per_thread = shared_per_thread.wrapping_mul(i64::from(threads_per_ccx));
                } else {
                    // Older AMD caches are exclusive: L2 and L3 add up.
                    shared = shared.wrapping_add(core);
                    shared_per_thread = shared_per_thread.wrapping_add(core);
                }
            }
        }
        _ => {}
    }
    // glibc works out the sharing thread count only to divide by it; the
    // record keeps the sizes, not the count.
    let _ = threads;

    let [l1i_size, l1i_line, l1d_size, l1d_assoc, l1d_line, l2_size, l2_assoc, l2_line, l3_size, l3_assoc, l3_line, l4_size] =
        levels;
    cf.level1_icache_size = l1i_size as u64;
    cf.level1_icache_linesize = l1i_line as u64;
    cf.level1_dcache_size = l1d_size as u64;
    cf.level1_dcache_assoc = l1d_assoc as u64;
    cf.level1_dcache_linesize = l1d_line as u64;
    cf.level2_cache_size = l2_size as u64;
    cf.level2_cache_assoc = l2_assoc as u64;
    cf.level2_cache_linesize = l2_line as u64;
    cf.level3_cache_size = l3_size as u64;
    cf.level3_cache_assoc = l3_assoc as u64;
    cf.level3_cache_linesize = l3_line as u64;
    cf.level4_cache_size = l4_size as u64;

    // Non-temporal stores from a quarter of the whole shared cache, but not
    // below 3/4 of one thread's share (the pre-2023 rule, kept as a floor
    // for doubtful cache data), and only the latter without ERMS.  Signed
    // C `long` arithmetic, then `unsigned long`.
    // 2.41 divides by a per-micro-architecture divisor (4 by default), in
    // `unsigned long`.
    let v41 = t.release_2_41;
    let mut non_temporal_threshold = if v41 {
        (shared as u64) / cf.cachesize_non_temporal_divisor.max(1)
    } else {
        (shared / 4) as u64
    };
    let lowbound = (shared_per_thread.wrapping_mul(3) / 4) as u64;
    if non_temporal_threshold < lowbound {
        non_temporal_threshold = lowbound;
    }
    // 2.41 makes an exception of Zhaoxin.
    if !(cf.usable(f::ERMS) || v41 && cf.basic.kind == KIND_ZHAOXIN) {
        non_temporal_threshold = lowbound;
    }
    // memmove shifts the threshold left by 4; the 4x-unrolled large loops
    // need at least 0x4040 bytes (2.41 takes a value below that for missing
    // cache data, and uses 64 MiB).  (Not `clamp`, which carries a panic path.)
    #[allow(clippy::manual_clamp)]
    if non_temporal_threshold < 0x4040 {
        non_temporal_threshold = if v41 { 64 << 20 } else { 0x4040 };
    } else if non_temporal_threshold > u64::MAX >> 4 {
        non_temporal_threshold = u64::MAX >> 4;
    }

    // `rep movsb` from 4096 * (vector size / 16) bytes (2048 for SSE2), or
    // 2112 with fast short rep movsb; a tunable must exceed 8 vectors.
    let (mut rep_movsb_threshold, minimum_rep_movsb_threshold): (u64, u64) =
        if cf.usable(f::AVX512F) && !cf.prefers(pref::PREFER_NO_AVX512) {
            (4096 * (64 / 16), 64 * 8)
        } else if cf.prefers(pref::AVX_FAST_UNALIGNED_LOAD) {
            (4096 * (32 / 16), 32 * 8)
        } else {
            (2048, 16 * 8)
        };
    if cf.usable(f::FSRM) {
        rep_movsb_threshold = 2112;
    }
    // 2.41: on AMD (Zen 3 and later) `rep movsb` is often slower than the
    // vector loop, up to the non-temporal threshold.
    if v41 && cf.basic.kind == KIND_AMD {
        rep_movsb_threshold = non_temporal_threshold;
    }

    // The tunables: a cache size of 0 means "not set"; the thresholds count
    // only within their bounds (compared as C `unsigned long`); the stosb
    // threshold is the tunable's value, default 2048.
    if t.x86_data_cache_size != 0 {
        data = t.x86_data_cache_size as i64;
    }
    if t.x86_shared_cache_size != 0 {
        shared = t.x86_shared_cache_size as i64;
    }
    // 2.41: memset goes non-temporal from the same size as memmove, unless
    // the CPU is one where that does not pay.
    let mut memset_non_temporal_threshold = if cf.prefers(pref::AVOID_NON_TEMPORAL_MEMSET) {
        u64::MAX
    } else {
        non_temporal_threshold
    };
    if t.x86_non_temporal_threshold > 0x4040 && t.x86_non_temporal_threshold <= u64::MAX >> 4 {
        non_temporal_threshold = t.x86_non_temporal_threshold;
    }
    if t.x86_memset_non_temporal_threshold > 0x4040 && t.x86_memset_non_temporal_threshold <= u64::MAX >> 4 {
        memset_non_temporal_threshold = t.x86_memset_non_temporal_threshold;
    }
    if t.x86_rep_movsb_threshold > minimum_rep_movsb_threshold {
        rep_movsb_threshold = t.x86_rep_movsb_threshold;
    }
    let mut rep_stosb_threshold = t.x86_rep_stosb_threshold;
    if v41 && cf.basic.kind == KIND_AMD && !t.x86_rep_stosb_threshold_set {
        // Zen 3 and later: the vector loop beats `rep stosb`.
        rep_stosb_threshold = u64::MAX;
    }
    if v41 && cf.prefers(pref::AVOID_STOSB) {
        // Then `rep stosb` is reached only for non-temporal sizes.
        rep_stosb_threshold = memset_non_temporal_threshold;
    }
    let bounded = |value: u64, min: u64, max: u64| Bounded { value, min, max };
    let recorded = CacheTunables {
        data_cache_size: bounded(data as u64, 0, u64::MAX),
        shared_cache_size: bounded(shared as u64, 0, u64::MAX),
        non_temporal_threshold: bounded(non_temporal_threshold, 0x4040, u64::MAX >> 4),
        rep_movsb_threshold: bounded(rep_movsb_threshold, minimum_rep_movsb_threshold, u64::MAX),
        rep_stosb_threshold: bounded(rep_stosb_threshold, 1, u64::MAX),
        memset_non_temporal_threshold: v41.then(|| bounded(memset_non_temporal_threshold, 0x4040, u64::MAX)),
    };

    // On AMD (Zen 3 and later) `rep movsb` is slow beyond the L2 (2.36; 2.41
    // stops at the non-temporal threshold everywhere).
    let rep_movsb_stop_threshold = if cf.basic.kind == KIND_AMD && !v41 {
        core as u64
    } else {
        non_temporal_threshold
    };

    cf.data_cache_size = data as u64;
    cf.shared_cache_size = shared as u64;
    cf.non_temporal_threshold = non_temporal_threshold;
    cf.rep_movsb_threshold = rep_movsb_threshold;
    cf.rep_stosb_threshold = rep_stosb_threshold;
    cf.rep_movsb_stop_threshold = rep_movsb_stop_threshold;
    if v41 {
        cf.memset_non_temporal_threshold = memset_non_temporal_threshold;
    }
    recorded
}

// ---------------------------------------------------------------------------
// Side effects of init_cpu_features outside the record.
// ---------------------------------------------------------------------------

/// `HWCAP_X86_64` (sysdeps/x86/dl-hwcap.h).
pub const HWCAP_X86_64: u64 = 1 << 1;
/// `HWCAP_X86_AVX512_1`.
pub const HWCAP_X86_AVX512_1: u64 = 1 << 2;

/// What glibc stores in `GLRO(dl_hwcap)` (and so what `getauxval(AT_HWCAP)`
/// returns): not the kernel's AT_HWCAP but `HWCAP_X86_64`, plus
/// `HWCAP_X86_AVX512_1` on Intel CPUs with usable AVX512CD, BW, DQ and VL
/// and no AVX512ER.
pub fn hwcap_value(cf: &CpuFeatures) -> u64 {
    let mut hwcap = HWCAP_X86_64;
    if cf.basic.kind == KIND_INTEL
        && cf.usable(f::AVX512CD)
        && !cf.usable(f::AVX512ER)
        && cf.usable(f::AVX512BW)
        && cf.usable(f::AVX512DQ)
        && cf.usable(f::AVX512VL)
    {
        hwcap |= HWCAP_X86_AVX512_1;
    }
    hwcap
}

/// The `GLRO(dl_platform)` glibc substitutes for AT_PLATFORM, as a
/// NUL-terminated string: "xeon_phi" or "haswell" on Intel CPUs with the
/// matching features, otherwise `None` (keep AT_PLATFORM, "x86_64").
/// glibc's rtld then sets `dl_platformlen` to its `strlen`.
pub fn platform(cf: &CpuFeatures) -> Option<&'static [u8]> {
    if cf.basic.kind != KIND_INTEL {
        return None;
    }
    if cf.usable(f::AVX512CD) && cf.usable(f::AVX512ER) && cf.usable(f::AVX512PF) {
        return Some(b"xeon_phi\0");
    }
    let haswell = [f::AVX2, f::FMA, f::BMI1, f::BMI2, f::LZCNT, f::MOVBE, f::POPCNT];
    if haswell.iter().all(|&ft| cf.usable(ft)) {
        return Some(b"haswell\0");
    }
    None
}

/// `MINSIGSTKSZ` for x86_64 (<bits/sigstack.h>).
pub const MINSIGSTKSZ: usize = 2048;

/// `GLRO(dl_minsigstacksize)` when the kernel passed no AT_MINSIGSTKSZ
/// (sysdeps/unix/sysv/linux/x86/dl-minsigstacksize.h): the kernel's signal
/// frame (`rt_sigframe` + return address, 448 bytes, 16-aligned after 15
/// bytes of alignment slack, plus 48 to 64-align the XSAVE buffer), the
/// XSAVE buffer for the enabled state (leaf 0xd.0 EBX) and the 4-byte
/// `FP_XSTATE_MAGIC2`.  Without XSAVE, the constant `MINSIGSTKSZ`.
/// When AT_MINSIGSTKSZ is present glibc uses it unchanged.
pub fn minsigstacksize(cf: &CpuFeatures) -> usize {
    minsigstacksize_with(cf, &mut HostCpu)
}

/// [`minsigstacksize`] with CPUID answered by `cpu`.
pub fn minsigstacksize_with<C: CpuidSource>(cf: &CpuFeatures, cpu: &mut C) -> usize {
    if cf.basic.max_cpuid >= 0xd && cf.has(f::OSXSAVE) {
        let frame = align_up_u32(440 + 8 + 15, 16) + (64 - 16);
        let xsave = cpu.cpuid(0xd, 0).ebx;
        frame.wrapping_add(xsave).wrapping_add(4) as usize
    } else {
        MINSIGSTKSZ
    }
}
