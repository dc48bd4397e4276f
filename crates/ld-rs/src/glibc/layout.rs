//! The layouts of glibc 2.36's private structures, as this build
//! (Debian 2.36-9+deb12u14, x86_64) lays them out.
//!
//! This file is the table of the contract: every offset libc relies on is a
//! field here, and a compile-time assertion pins it to the offset `pahole`
//! reports for the build (`pahole -C rtld_global_ro <ld.so debug file>`).
//! A different glibc build gets a new copy of this file, regenerated from
//! its own `pahole` output; nothing outside `glibc/` depends on these shapes.
//!
//! Fields that ld-rs never touches are kept as opaque padding, named after
//! the range they cover, so the structures stay readable.

use core::mem::{offset_of, size_of};

/// `struct r_scope_elem`: a search list (`r_list[0..r_nlist]`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ScopeElem {
    pub r_list: *mut *mut LinkMap,
    pub r_nlist: u32,
    pub _pad: u32,
}

/// `list_t`: glibc's circular doubly-linked list node.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ListHead {
    pub next: *mut ListHead,
    pub prev: *mut ListHead,
}

/// `pthread_mutex_t` as `__rtld_lock_recursive_t` (40 bytes; `__kind` at 16).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RecursiveLock {
    pub lock: i32,
    pub count: u32,
    pub owner: i32,
    pub nusers: u32,
    pub kind: i32,
    pub spins: i32,
    pub list: [usize; 2],
}

/// `PTHREAD_MUTEX_RECURSIVE_NP`.
pub const MUTEX_RECURSIVE: i32 = 1;

impl RecursiveLock {
    pub const fn new() -> Self {
        RecursiveLock {
            lock: 0,
            count: 0,
            owner: 0,
            nusers: 0,
            kind: MUTEX_RECURSIVE,
            spins: 0,
            list: [0; 2],
        }
    }
}

/// `struct r_debug_extended` (the debugger interface, `<link.h>` plus `r_next`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RDebug {
    pub r_version: i32,
    pub _pad: u32,
    pub r_map: *mut LinkMap,
    pub r_brk: usize,
    pub r_state: i32,
    pub _pad2: u32,
    pub r_ldbase: usize,
    pub r_next: usize,
}

/// `struct link_namespaces` (160 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Namespace {
    pub ns_loaded: *mut LinkMap,
    pub ns_nloaded: u32,
    pub _pad: u32,
    pub ns_main_searchlist: *mut ScopeElem,
    pub ns_global_scope_alloc: u32,
    pub ns_global_scope_pending_adds: u32,
    pub libc_map: *mut LinkMap,
    /// `_ns_unique_sym_table`: a recursive lock, then the table (unused: ld-rs keeps its own).
    pub ns_unique_sym_table: [u64; 9],
    pub ns_debug: RDebug,
}

/// `struct rtld_global` (4336 bytes): `_rtld_global`, writable.
#[repr(C, align(8))]
pub struct RtldGlobal {
    pub dl_ns: [Namespace; 16],
    pub dl_nns: usize,
    pub dl_load_lock: RecursiveLock,
    pub dl_load_write_lock: RecursiveLock,
    pub dl_load_tls_lock: RecursiveLock,
    pub dl_load_adds: u64,
    pub dl_initfirst: usize,
    pub dl_profile_map: usize,
    pub dl_num_relocations: u64,
    pub dl_num_cache_relocations: u64,
    pub dl_all_dirs: usize,
    /// `_dl_rtld_map`: glibc's own link map lives here; ld-rs's is allocated like the others.
    pub dl_rtld_map: [u8; 1192],
    pub dl_rtld_auditstate: [u8; 256],
    pub dl_x86_feature_1: u32,
    pub dl_x86_feature_control: u32,
    pub dl_stack_flags: u32,
    pub dl_tls_dtv_gaps: u8,
    pub _pad0: [u8; 3],
    pub dl_tls_max_dtv_idx: usize,
    pub dl_tls_dtv_slotinfo_list: usize,
    pub dl_tls_static_nelem: usize,
    pub dl_tls_static_used: usize,
    pub dl_tls_static_optional: usize,
    pub dl_initial_dtv: usize,
    pub dl_tls_generation: usize,
    pub dl_scope_free_list: usize,
    pub dl_stack_used: ListHead,
    pub dl_stack_user: ListHead,
    pub dl_stack_cache: ListHead,
    pub dl_stack_cache_actsize: usize,
    pub dl_in_flight_stack: usize,
    pub dl_stack_cache_lock: i32,
    pub _pad1: u32,
}

/// `struct rtld_global_ro` (896 bytes): `_rtld_global_ro`, read-only after start-up.
#[repr(C, align(8))]
pub struct RtldGlobalRo {
    pub dl_debug_mask: i32,
    pub _pad0: u32,
    pub dl_platform: *const u8,
    pub dl_platformlen: usize,
    pub dl_pagesize: usize,
    pub dl_minsigstacksize: usize,
    pub dl_inhibit_cache: i32,
    pub _pad1: u32,
    pub dl_initial_searchlist: ScopeElem,
    pub dl_clktck: i32,
    pub dl_verbose: i32,
    pub dl_debug_fd: i32,
    pub dl_lazy: i32,
    pub dl_bind_not: i32,
    pub dl_dynamic_weak: i32,
    pub dl_fpu_control: u16,
    pub _pad2: [u8; 6],
    pub dl_hwcap: u64,
    pub dl_auxv: usize,
    /// `struct cpu_features` (see `cpu_features.rs`), 480 bytes.
    pub dl_x86_cpu_features: [u64; 60],
    pub dl_x86_hwcap_flags: [[u8; 9]; 3],
    pub dl_x86_platforms: [[u8; 9]; 4],
    pub _pad3: u8,
    pub dl_inhibit_rpath: usize,
    pub dl_origin_path: usize,
    pub dl_tls_static_size: usize,
    pub dl_tls_static_align: usize,
    pub dl_tls_static_surplus: usize,
    pub dl_profile: usize,
    pub dl_profile_output: usize,
    pub dl_init_all_dirs: usize,
    pub dl_sysinfo_dso: usize,
    pub dl_sysinfo_map: *mut LinkMap,
    pub dl_vdso_clock_gettime64: usize,
    pub dl_vdso_gettimeofday: usize,
    pub dl_vdso_time: usize,
    pub dl_vdso_getcpu: usize,
    pub dl_vdso_clock_getres_time64: usize,
    pub dl_hwcap2: u64,
    pub dl_dso_sort_algo: u32,
    pub _pad4: u32,
    pub dl_debug_printf: usize,
    pub dl_mcount: usize,
    pub dl_lookup_symbol_x: usize,
    pub dl_open: usize,
    pub dl_close: usize,
    pub dl_catch_error: usize,
    pub dl_error_free: usize,
    pub dl_tls_get_addr_soft: usize,
    pub dl_libc_freeres: usize,
    pub dl_find_object: usize,
    pub dl_dlfcn_hook: usize,
    pub dl_audit: usize,
    pub dl_naudit: u32,
    pub _pad5: u32,
}

/// Number of `l_info` slots: the DT_NUM tags, then the processor-specific,
/// `DT_VERSYM`-range, extra and `DT_VALRNG`/`DT_ADDRRNG` groups.
pub const L_INFO_SLOTS: usize = 80;
/// `l_info` index of `DT_GNU_HASH` (ADDRRNG group, last slot).
pub const L_INFO_GNU_HASH: usize = 79;
/// `l_info` index of a tag in the `DT_VERSYM` range (0x6ffffff0..=0x6fffffff).
pub const fn l_info_versym_range(tag: i64) -> usize {
    38 + (0x6fff_ffff - tag) as usize
}
/// `l_info` index of a tag in the `DT_ADDRRNG` range (0x6ffffe00..=0x6ffffeff):
/// after DT_NUM (38), the 16 version tags, 3 extra tags and 12 DT_VALRNG tags.
pub const fn l_info_addrrng(tag: i64) -> usize {
    38 + 16 + 3 + 12 + (0x6fff_feff - tag) as usize
}

const _: () = assert!(l_info_addrrng(0x6fff_fef5) == L_INFO_GNU_HASH);

/// `struct link_map` (1192 bytes): the record glibc keeps per object.
#[repr(C, align(8))]
pub struct LinkMap {
    pub l_addr: usize,
    pub l_name: *const u8,
    pub l_ld: usize,
    pub l_next: *mut LinkMap,
    pub l_prev: *mut LinkMap,
    pub l_real: *mut LinkMap,
    pub l_ns: i64,
    pub l_libname: usize,
    pub l_info: [usize; L_INFO_SLOTS],
    pub l_phdr: usize,
    pub l_entry: usize,
    pub l_phnum: u16,
    pub l_ldnum: u16,
    pub _pad0: u32,
    pub l_searchlist: ScopeElem,
    pub l_symbolic_searchlist: ScopeElem,
    pub l_loader: *mut LinkMap,
    pub l_versions: usize,
    pub l_nversions: u32,
    pub l_nbuckets: u32,
    pub l_gnu_bitmask_idxbits: u32,
    pub l_gnu_shift: u32,
    pub l_gnu_bitmask: usize,
    pub l_gnu_buckets: usize,
    pub l_gnu_chain_zero: usize,
    pub l_direct_opencount: u32,
    /// The bit-field word: `l_type` bits 0-1, `l_relocated` 3, `l_init_called` 4,
    /// `l_global` 5, `l_main_map` 8, `l_contiguous` 19, `l_ld_readonly` 21.
    pub l_bits: u32,
    pub l_property: u32,
    pub l_x86_feature_1_and: u32,
    pub l_x86_isa_1_needed: u32,
    pub l_1_needed: u32,
    pub l_rpath_dirs: [usize; 2],
    pub l_reloc_result: usize,
    pub l_versyms: usize,
    pub l_origin: *const u8,
    pub l_map_start: usize,
    pub l_map_end: usize,
    pub l_text_end: usize,
    pub l_scope_mem: [*mut ScopeElem; 4],
    pub l_scope_max: usize,
    pub l_scope: *mut *mut ScopeElem,
    pub l_local_scope: [*mut ScopeElem; 2],
    pub l_file_id: [u64; 2],
    pub l_runpath_dirs: [usize; 2],
    pub l_initfini: usize,
    pub l_init_called_next: usize,
    pub l_reldeps: usize,
    pub l_reldepsmax: u32,
    pub l_used: u32,
    pub l_feature_1: u32,
    pub l_flags_1: u32,
    pub l_flags: u32,
    pub l_idx: i32,
    pub l_mach: [usize; 3],
    pub l_lookup_cache: [usize; 4],
    pub l_tls_initimage: usize,
    pub l_tls_initimage_size: usize,
    pub l_tls_blocksize: usize,
    pub l_tls_align: usize,
    pub l_tls_firstbyte_offset: usize,
    pub l_tls_offset: isize,
    pub l_tls_modid: usize,
    pub l_tls_dtor_count: usize,
    pub l_relro_addr: usize,
    pub l_relro_size: usize,
    pub l_serial: u64,
}

pub mod lbits {
    //! Bits of `LinkMap::l_bits`.
    pub const TYPE_EXECUTABLE: u32 = 0;
    pub const TYPE_LIBRARY: u32 = 1;
    pub const TYPE_LOADED: u32 = 2;
    pub const RELOCATED: u32 = 1 << 3;
    pub const INIT_CALLED: u32 = 1 << 4;
    pub const GLOBAL: u32 = 1 << 5;
    pub const MAIN_MAP: u32 = 1 << 8;
    pub const CONTIGUOUS: u32 = 1 << 19;
    pub const LD_READONLY: u32 = 1 << 21;
}

/// `struct pthread` (2368 bytes, 64-aligned): offsets of the fields ld-rs sets
/// for the initial thread.  The thread pointer (%fs base) points at its start.
pub mod pthread {
    pub const SIZE: usize = 2368;
    pub const ALIGN: usize = 64;
    pub const HEADER_TCB: usize = 0;
    pub const HEADER_DTV: usize = 8;
    pub const HEADER_SELF: usize = 16;
    pub const STACK_GUARD: usize = 40;
    pub const POINTER_GUARD: usize = 48;
    pub const LIST: usize = 704;
    pub const TID: usize = 720;
    pub const ROBUST_PREV: usize = 728;
    pub const ROBUST_HEAD: usize = 736;
    pub const ROBUST_FUTEX_OFFSET: usize = 744;
    pub const SPECIFIC_1STBLOCK: usize = 784;
    pub const SPECIFIC: usize = 1296;
    pub const REPORT_EVENTS: usize = 1553;
    pub const USER_STACK: usize = 1554;
    pub const STACKBLOCK: usize = 1680;
    pub const STACKBLOCK_SIZE: usize = 1688;
    pub const RSEQ_AREA: usize = 2336;
    pub const RSEQ_CPU_ID: usize = 2340;
}

/// `struct dl_find_object` (96 bytes).
#[repr(C)]
pub struct DlFindObject {
    pub dlfo_flags: u64,
    pub dlfo_map_start: usize,
    pub dlfo_map_end: usize,
    pub dlfo_link_map: *mut LinkMap,
    pub dlfo_eh_frame: usize,
    pub _reserved: [u64; 7],
}

/// `struct dl_exception`: what an error carries across libc's catch.
#[repr(C)]
pub struct DlException {
    pub objname: *const u8,
    pub errstring: *const u8,
    pub message_buffer: *mut u8,
}

// The table, checked against pahole's output for this build.
const _: () = {
    assert!(size_of::<Namespace>() == 160);
    assert!(offset_of!(Namespace, ns_debug) == 112);
    assert!(size_of::<RtldGlobal>() == 4336);
    assert!(offset_of!(RtldGlobal, dl_nns) == 2560);
    assert!(offset_of!(RtldGlobal, dl_load_lock) == 2568);
    assert!(offset_of!(RtldGlobal, dl_load_write_lock) == 2608);
    assert!(offset_of!(RtldGlobal, dl_load_tls_lock) == 2648);
    assert!(offset_of!(RtldGlobal, dl_load_adds) == 2688);
    assert!(offset_of!(RtldGlobal, dl_rtld_map) == 2736);
    assert!(offset_of!(RtldGlobal, dl_rtld_auditstate) == 3928);
    assert!(offset_of!(RtldGlobal, dl_x86_feature_1) == 4184);
    assert!(offset_of!(RtldGlobal, dl_stack_flags) == 4192);
    assert!(offset_of!(RtldGlobal, dl_tls_dtv_gaps) == 4196);
    assert!(offset_of!(RtldGlobal, dl_tls_max_dtv_idx) == 4200);
    assert!(offset_of!(RtldGlobal, dl_tls_dtv_slotinfo_list) == 4208);
    assert!(offset_of!(RtldGlobal, dl_tls_static_used) == 4224);
    assert!(offset_of!(RtldGlobal, dl_initial_dtv) == 4240);
    assert!(offset_of!(RtldGlobal, dl_tls_generation) == 4248);
    assert!(offset_of!(RtldGlobal, dl_stack_used) == 4264);
    assert!(offset_of!(RtldGlobal, dl_stack_user) == 4280);
    assert!(offset_of!(RtldGlobal, dl_stack_cache) == 4296);
    assert!(offset_of!(RtldGlobal, dl_stack_cache_lock) == 4328);

    assert!(size_of::<RtldGlobalRo>() == 896);
    assert!(offset_of!(RtldGlobalRo, dl_pagesize) == 24);
    assert!(offset_of!(RtldGlobalRo, dl_minsigstacksize) == 32);
    assert!(offset_of!(RtldGlobalRo, dl_initial_searchlist) == 48);
    assert!(offset_of!(RtldGlobalRo, dl_clktck) == 64);
    assert!(offset_of!(RtldGlobalRo, dl_fpu_control) == 88);
    assert!(offset_of!(RtldGlobalRo, dl_hwcap) == 96);
    assert!(offset_of!(RtldGlobalRo, dl_auxv) == 104);
    assert!(offset_of!(RtldGlobalRo, dl_x86_cpu_features) == 112);
    assert!(offset_of!(RtldGlobalRo, dl_x86_hwcap_flags) == 592);
    assert!(offset_of!(RtldGlobalRo, dl_x86_platforms) == 619);
    assert!(offset_of!(RtldGlobalRo, dl_inhibit_rpath) == 656);
    assert!(offset_of!(RtldGlobalRo, dl_tls_static_size) == 672);
    assert!(offset_of!(RtldGlobalRo, dl_init_all_dirs) == 712);
    assert!(offset_of!(RtldGlobalRo, dl_sysinfo_map) == 728);
    assert!(offset_of!(RtldGlobalRo, dl_hwcap2) == 776);
    assert!(offset_of!(RtldGlobalRo, dl_debug_printf) == 792);
    assert!(offset_of!(RtldGlobalRo, dl_lookup_symbol_x) == 808);
    assert!(offset_of!(RtldGlobalRo, dl_open) == 816);
    assert!(offset_of!(RtldGlobalRo, dl_catch_error) == 832);
    assert!(offset_of!(RtldGlobalRo, dl_tls_get_addr_soft) == 848);
    assert!(offset_of!(RtldGlobalRo, dl_find_object) == 864);
    assert!(offset_of!(RtldGlobalRo, dl_dlfcn_hook) == 872);
    assert!(offset_of!(RtldGlobalRo, dl_naudit) == 888);

    assert!(size_of::<LinkMap>() == 1192);
    assert!(offset_of!(LinkMap, l_real) == 40);
    assert!(offset_of!(LinkMap, l_info) == 64);
    assert!(offset_of!(LinkMap, l_phdr) == 704);
    assert!(offset_of!(LinkMap, l_phnum) == 720);
    assert!(offset_of!(LinkMap, l_searchlist) == 728);
    assert!(offset_of!(LinkMap, l_loader) == 760);
    assert!(offset_of!(LinkMap, l_versions) == 768);
    assert!(offset_of!(LinkMap, l_nbuckets) == 780);
    assert!(offset_of!(LinkMap, l_gnu_bitmask) == 792);
    assert!(offset_of!(LinkMap, l_gnu_buckets) == 800);
    assert!(offset_of!(LinkMap, l_gnu_chain_zero) == 808);
    assert!(offset_of!(LinkMap, l_direct_opencount) == 816);
    assert!(offset_of!(LinkMap, l_bits) == 820);
    assert!(offset_of!(LinkMap, l_x86_feature_1_and) == 828);
    assert!(offset_of!(LinkMap, l_rpath_dirs) == 840);
    assert!(offset_of!(LinkMap, l_origin) == 872);
    assert!(offset_of!(LinkMap, l_map_start) == 880);
    assert!(offset_of!(LinkMap, l_scope_mem) == 904);
    assert!(offset_of!(LinkMap, l_scope) == 944);
    assert!(offset_of!(LinkMap, l_local_scope) == 952);
    assert!(offset_of!(LinkMap, l_file_id) == 968);
    assert!(offset_of!(LinkMap, l_initfini) == 1000);
    assert!(offset_of!(LinkMap, l_flags_1) == 1036);
    assert!(offset_of!(LinkMap, l_mach) == 1048);
    assert!(offset_of!(LinkMap, l_lookup_cache) == 1072);
    assert!(offset_of!(LinkMap, l_tls_initimage) == 1104);
    assert!(offset_of!(LinkMap, l_tls_offset) == 1144);
    assert!(offset_of!(LinkMap, l_tls_modid) == 1152);
    assert!(offset_of!(LinkMap, l_tls_dtor_count) == 1160);
    assert!(offset_of!(LinkMap, l_serial) == 1184);

    assert!(size_of::<DlFindObject>() == 96);
};
