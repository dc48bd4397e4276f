//! The layouts of glibc 2.36's private structures, as this build
//! (Debian 2.36-9+deb12u14, x86_64) lays them out.
//!
//! The structures below are what the glibc layer reads and writes; every
//! member ld-rs names is pinned at compile time (`pinned!`) to the offset and
//! size of glibc's member in the table generated from this build's debug info
//! (`layouts/glibc_2_36_deb12.rs`, by `cargo xtask glibc-layout /`), and the
//! offsets ld-rs uses without a structure (`pthread`, the `l_bits` flags) are
//! taken from that table.  A build whose layout differs does not compile
//! against these structures: it gets its own table, and code paths of its own
//! where glibc's behaviour changed.
//!
//! Fields that ld-rs never touches are kept as opaque padding, named after
//! the range they cover, so the structures stay readable.

use core::mem::{offset_of, size_of};

use super::layouts::glibc_2_36_deb12 as t;

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
    //! Bits of `LinkMap::l_bits`, where the generated table puts them.
    use super::t::link_map as m;
    pub const TYPE_EXECUTABLE: u32 = 0;
    pub const TYPE_LIBRARY: u32 = 1;
    pub const TYPE_LOADED: u32 = 2;
    pub const RELOCATED: u32 = m::L_RELOCATED.flag();
    pub const INIT_CALLED: u32 = m::L_INIT_CALLED.flag();
    pub const GLOBAL: u32 = m::L_GLOBAL.flag();
    pub const MAIN_MAP: u32 = m::L_MAIN_MAP.flag();
    pub const CONTIGUOUS: u32 = m::L_CONTIGUOUS.flag();
    pub const LD_READONLY: u32 = m::L_LD_READONLY.flag();
}

/// `struct pthread` (64-aligned): offsets of the fields ld-rs sets for the initial thread, from
/// the generated table.  The thread pointer (%fs base) points at its start.
pub mod pthread {
    use super::t::{pthread as p, tcbhead as h};
    pub const SIZE: usize = p::SIZE;
    pub const ALIGN: usize = p::ALIGN;
    pub const HEADER_TCB: usize = p::HEADER.offset + h::TCB.offset;
    pub const HEADER_DTV: usize = p::HEADER.offset + h::DTV.offset;
    pub const HEADER_SELF: usize = p::HEADER.offset + h::SELF.offset;
    pub const STACK_GUARD: usize = p::HEADER.offset + h::STACK_GUARD.offset;
    pub const POINTER_GUARD: usize = p::HEADER.offset + h::POINTER_GUARD.offset;
    pub const LIST: usize = p::LIST.offset;
    pub const TID: usize = p::TID.offset;
    pub const ROBUST_PREV: usize = p::ROBUST_PREV.offset;
    pub const ROBUST_HEAD: usize = p::ROBUST_HEAD.offset;
    /// `robust_head.futex_offset`: the kernel's `struct robust_list_head` (list, then offset).
    pub const ROBUST_FUTEX_OFFSET: usize = p::ROBUST_HEAD.offset + 8;
    pub const SPECIFIC_1STBLOCK: usize = p::SPECIFIC_1STBLOCK.offset;
    pub const SPECIFIC: usize = p::SPECIFIC.offset;
    pub const REPORT_EVENTS: usize = p::REPORT_EVENTS.offset;
    pub const USER_STACK: usize = p::USER_STACK.offset;
    pub const STACKBLOCK: usize = p::STACKBLOCK.offset;
    pub const STACKBLOCK_SIZE: usize = p::STACKBLOCK_SIZE.offset;
    pub const RSEQ_AREA: usize = p::RSEQ_AREA.offset;
    /// `rseq_area.cpu_id`: the kernel's `struct rseq` (`cpu_id_start`, then `cpu_id`).
    pub const RSEQ_CPU_ID: usize = p::RSEQ_AREA.offset + 4;

    // The values the hand-written table had before it was generated.
    const _: () = assert!(SIZE == 2368 && HEADER_DTV == 8 && STACK_GUARD == 40 && POINTER_GUARD == 48);
    const _: () = assert!(TID == 720 && ROBUST_HEAD == 736 && SPECIFIC == 1296 && RSEQ_AREA == 2336);
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

/// The size of the member `ptr` points to (for [`pinned!`]).
pub const fn size_of_pointee<T>(_: *const T) -> usize {
    size_of::<T>()
}

/// Asserts at compile time that each named member of a `#[repr(C)]` structure has the offset
/// and size the generated table `t` (in scope where it is used) gives glibc's member
/// (`Rust member => TABLE::MEMBER`).
macro_rules! pinned {
    ($ty:ty, $table:ident: $($field:ident => $member:ident),* $(,)?) => {
        assert!(core::mem::size_of::<$ty>() == t::$table::SIZE);
        $(
            assert!(core::mem::offset_of!($ty, $field) == t::$table::$member.offset);
            assert!(
                {
                    let value = core::mem::MaybeUninit::<$ty>::uninit();
                    // SAFETY: only the member's address is taken (no read, no reference), inside
                    // the uninitialised value, which is what `&raw const` is for.
                    $crate::glibc::layout::size_of_pointee(unsafe { &raw const (*value.as_ptr()).$field })
                } == t::$table::$member.size
            );
        )*
    };
}

pub(crate) use pinned;

// Every member ld-rs names, pinned to the table generated from this build's debug info; the
// `_pad` members are the holes between them.
const _: () = {
    pinned!(ScopeElem, r_scope_elem: r_list => R_LIST, r_nlist => R_NLIST);
    pinned!(
        Namespace, link_namespaces:
        ns_loaded => NS_LOADED, ns_nloaded => NS_NLOADED, ns_main_searchlist => NS_MAIN_SEARCHLIST,
        ns_global_scope_alloc => NS_GLOBAL_SCOPE_ALLOC,
        ns_global_scope_pending_adds => NS_GLOBAL_SCOPE_PENDING_ADDS, libc_map => LIBC_MAP,
        ns_unique_sym_table => NS_UNIQUE_SYM_TABLE, ns_debug => NS_DEBUG,
    );
    assert!(size_of::<RDebug>() == t::r_debug_extended::SIZE);
    assert!(offset_of!(RDebug, r_next) == t::r_debug_extended::R_NEXT.offset);
    pinned!(
        RtldGlobal, rtld_global:
        dl_ns => DL_NS, dl_nns => DL_NNS, dl_load_lock => DL_LOAD_LOCK,
        dl_load_write_lock => DL_LOAD_WRITE_LOCK, dl_load_tls_lock => DL_LOAD_TLS_LOCK,
        dl_load_adds => DL_LOAD_ADDS, dl_initfirst => DL_INITFIRST, dl_profile_map => DL_PROFILE_MAP,
        dl_num_relocations => DL_NUM_RELOCATIONS, dl_num_cache_relocations => DL_NUM_CACHE_RELOCATIONS,
        dl_all_dirs => DL_ALL_DIRS, dl_rtld_map => DL_RTLD_MAP, dl_rtld_auditstate => DL_RTLD_AUDITSTATE,
        dl_x86_feature_1 => DL_X86_FEATURE_1, dl_x86_feature_control => DL_X86_FEATURE_CONTROL,
        dl_stack_flags => DL_STACK_FLAGS, dl_tls_dtv_gaps => DL_TLS_DTV_GAPS,
        dl_tls_max_dtv_idx => DL_TLS_MAX_DTV_IDX, dl_tls_dtv_slotinfo_list => DL_TLS_DTV_SLOTINFO_LIST,
        dl_tls_static_nelem => DL_TLS_STATIC_NELEM, dl_tls_static_used => DL_TLS_STATIC_USED,
        dl_tls_static_optional => DL_TLS_STATIC_OPTIONAL, dl_initial_dtv => DL_INITIAL_DTV,
        dl_tls_generation => DL_TLS_GENERATION, dl_scope_free_list => DL_SCOPE_FREE_LIST,
        dl_stack_used => DL_STACK_USED, dl_stack_user => DL_STACK_USER, dl_stack_cache => DL_STACK_CACHE,
        dl_stack_cache_actsize => DL_STACK_CACHE_ACTSIZE, dl_in_flight_stack => DL_IN_FLIGHT_STACK,
        dl_stack_cache_lock => DL_STACK_CACHE_LOCK,
    );
    pinned!(
        RtldGlobalRo, rtld_global_ro:
        dl_debug_mask => DL_DEBUG_MASK, dl_platform => DL_PLATFORM, dl_platformlen => DL_PLATFORMLEN,
        dl_pagesize => DL_PAGESIZE, dl_minsigstacksize => DL_MINSIGSTACKSIZE,
        dl_inhibit_cache => DL_INHIBIT_CACHE, dl_initial_searchlist => DL_INITIAL_SEARCHLIST,
        dl_clktck => DL_CLKTCK, dl_verbose => DL_VERBOSE, dl_debug_fd => DL_DEBUG_FD, dl_lazy => DL_LAZY,
        dl_bind_not => DL_BIND_NOT, dl_dynamic_weak => DL_DYNAMIC_WEAK, dl_fpu_control => DL_FPU_CONTROL,
        dl_hwcap => DL_HWCAP, dl_auxv => DL_AUXV, dl_x86_cpu_features => DL_X86_CPU_FEATURES,
        dl_x86_hwcap_flags => DL_X86_HWCAP_FLAGS, dl_x86_platforms => DL_X86_PLATFORMS,
        dl_inhibit_rpath => DL_INHIBIT_RPATH, dl_origin_path => DL_ORIGIN_PATH,
        dl_tls_static_size => DL_TLS_STATIC_SIZE, dl_tls_static_align => DL_TLS_STATIC_ALIGN,
        dl_tls_static_surplus => DL_TLS_STATIC_SURPLUS, dl_profile => DL_PROFILE,
        dl_profile_output => DL_PROFILE_OUTPUT, dl_init_all_dirs => DL_INIT_ALL_DIRS,
        dl_sysinfo_dso => DL_SYSINFO_DSO, dl_sysinfo_map => DL_SYSINFO_MAP,
        dl_vdso_clock_gettime64 => DL_VDSO_CLOCK_GETTIME64, dl_vdso_gettimeofday => DL_VDSO_GETTIMEOFDAY,
        dl_vdso_time => DL_VDSO_TIME, dl_vdso_getcpu => DL_VDSO_GETCPU,
        dl_vdso_clock_getres_time64 => DL_VDSO_CLOCK_GETRES_TIME64, dl_hwcap2 => DL_HWCAP2,
        dl_dso_sort_algo => DL_DSO_SORT_ALGO, dl_debug_printf => DL_DEBUG_PRINTF, dl_mcount => DL_MCOUNT,
        dl_lookup_symbol_x => DL_LOOKUP_SYMBOL_X, dl_open => DL_OPEN, dl_close => DL_CLOSE,
        dl_catch_error => DL_CATCH_ERROR, dl_error_free => DL_ERROR_FREE,
        dl_tls_get_addr_soft => DL_TLS_GET_ADDR_SOFT, dl_libc_freeres => DL_LIBC_FREERES,
        dl_find_object => DL_FIND_OBJECT, dl_dlfcn_hook => DL_DLFCN_HOOK, dl_audit => DL_AUDIT,
        dl_naudit => DL_NAUDIT,
    );
    pinned!(
        LinkMap, link_map:
        l_addr => L_ADDR, l_name => L_NAME, l_ld => L_LD, l_next => L_NEXT, l_prev => L_PREV,
        l_real => L_REAL, l_ns => L_NS, l_libname => L_LIBNAME, l_info => L_INFO, l_phdr => L_PHDR,
        l_entry => L_ENTRY, l_phnum => L_PHNUM, l_ldnum => L_LDNUM, l_searchlist => L_SEARCHLIST,
        l_symbolic_searchlist => L_SYMBOLIC_SEARCHLIST, l_loader => L_LOADER, l_versions => L_VERSIONS,
        l_nversions => L_NVERSIONS, l_nbuckets => L_NBUCKETS,
        l_gnu_bitmask_idxbits => L_GNU_BITMASK_IDXBITS, l_gnu_shift => L_GNU_SHIFT,
        l_gnu_bitmask => L_GNU_BITMASK, l_gnu_buckets => L_GNU_BUCKETS,
        l_gnu_chain_zero => L_GNU_CHAIN_ZERO, l_direct_opencount => L_DIRECT_OPENCOUNT,
        l_x86_feature_1_and => L_X86_FEATURE_1_AND, l_x86_isa_1_needed => L_X86_ISA_1_NEEDED,
        l_1_needed => L_1_NEEDED, l_rpath_dirs => L_RPATH_DIRS, l_reloc_result => L_RELOC_RESULT,
        l_versyms => L_VERSYMS, l_origin => L_ORIGIN, l_map_start => L_MAP_START, l_map_end => L_MAP_END,
        l_text_end => L_TEXT_END, l_scope_mem => L_SCOPE_MEM, l_scope_max => L_SCOPE_MAX,
        l_scope => L_SCOPE, l_local_scope => L_LOCAL_SCOPE, l_file_id => L_FILE_ID,
        l_runpath_dirs => L_RUNPATH_DIRS, l_initfini => L_INITFINI,
        l_init_called_next => L_INIT_CALLED_NEXT, l_reldeps => L_RELDEPS, l_reldepsmax => L_RELDEPSMAX,
        l_used => L_USED, l_feature_1 => L_FEATURE_1, l_flags_1 => L_FLAGS_1, l_flags => L_FLAGS,
        l_idx => L_IDX, l_mach => L_MACH, l_lookup_cache => L_LOOKUP_CACHE,
        l_tls_initimage => L_TLS_INITIMAGE, l_tls_initimage_size => L_TLS_INITIMAGE_SIZE,
        l_tls_blocksize => L_TLS_BLOCKSIZE, l_tls_align => L_TLS_ALIGN,
        l_tls_firstbyte_offset => L_TLS_FIRSTBYTE_OFFSET, l_tls_offset => L_TLS_OFFSET,
        l_tls_modid => L_TLS_MODID, l_tls_dtor_count => L_TLS_DTOR_COUNT,
        l_relro_addr => L_RELRO_ADDR, l_relro_size => L_RELRO_SIZE, l_serial => L_SERIAL,
    );
    // The bit-field words: `l_bits` holds `l_type` and the flags of `lbits`, `l_property`
    // starts the next word.
    assert!(offset_of!(LinkMap, l_bits) == t::link_map::L_TYPE.word);
    assert!(offset_of!(LinkMap, l_bits) == t::link_map::L_RELOCATED.word);
    assert!(offset_of!(LinkMap, l_bits) == t::link_map::L_LD_READONLY.word);
    assert!(offset_of!(LinkMap, l_property) == t::link_map::L_PROPERTY.word);
    assert!(t::link_map::L_TYPE.bit == 0 && t::link_map::L_TYPE.width == 2);
    assert!(t::link_map::L_INFO.size == L_INFO_SLOTS * 8);

    pinned!(
        DlFindObject, dl_find_object:
        dlfo_flags => DLFO_FLAGS, dlfo_map_start => DLFO_MAP_START, dlfo_map_end => DLFO_MAP_END,
        dlfo_link_map => DLFO_LINK_MAP, dlfo_eh_frame => DLFO_EH_FRAME, _reserved => DFLO_RESERVED,
    );
    pinned!(
        DlException, dl_exception:
        objname => OBJNAME, errstring => ERRSTRING, message_buffer => MESSAGE_BUFFER,
    );
};
