//! The layouts of glibc's private structures, for every release ld-rs runs,
//! taken from the tables generated from each build's debug info
//! (`layouts/`).
//!
//! # Two kinds of members
//! A structure member whose offset and size are the same in every supported
//! release is a field of a `#[repr(C)]` structure below, pinned at compile time
//! (`pinned!`) to every table: the public head of `struct link_map`
//! (`<link.h>`), the namespaces at the start of `_rtld_global`, the first words
//! of `_rtld_global_ro`, the small records (`r_scope_elem`, `r_debug`,
//! `dl_find_object`, ...).  A member that moved between releases is reached
//! through an [`At`]: its offset in the release that runs, chosen once at
//! start-up ([`select`]) from the generated table of the `libc.so.6` being
//! loaded.  No offset below is typed by hand: every number comes from a table.
//!
//! The storage of a structure whose size changed (`RtldGlobal`, `RtldGlobalRo`,
//! `LinkMap`) is as large as its largest release, so every `At` of every
//! release stays inside it (checked at compile time).

use crate::audit::{DeleteNotice, Rules as AuditRules};
use crate::init::FiniFirst;
use core::marker::PhantomData;
use core::mem::{align_of, offset_of, size_of};
use core::sync::atomic::{AtomicPtr, Ordering};

use super::layouts::{glibc_2_36_deb12, glibc_2_41_deb13, Bits, Field};

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
    /// `_ns_debug` (2.36), unused since 2.41 (`_ns_debug_unused`).
    pub ns_debug: RDebug,
}

/// The largest `struct rtld_global` of the supported releases.
const GL_SIZE: usize = max(glibc_2_36_deb12::rtld_global::SIZE, glibc_2_41_deb13::rtld_global::SIZE);
/// Where the members that moved between releases start (after `_dl_all_dirs`).
const GL_HEAD: usize = 2736;

/// `struct rtld_global`: `_rtld_global`, writable.  The namespaces and the
/// locks are at the same place in every release; the rest (TLS sizes, stack
/// lists) is reached through [`GlLayout`].
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
    rest: [u8; GL_SIZE - GL_HEAD],
}

/// The largest `struct rtld_global_ro` of the supported releases.
const GLRO_SIZE: usize = max(
    glibc_2_36_deb12::rtld_global_ro::SIZE,
    glibc_2_41_deb13::rtld_global_ro::SIZE,
);
/// Where the members that moved between releases start (`_dl_x86_cpu_features`).
const GLRO_HEAD: usize = 112;

/// `struct rtld_global_ro`: `_rtld_global_ro`, read-only after start-up.  Its
/// first members are the same in every release; the rest (the CPU features,
/// TLS sizes, the function pointers libc calls) is reached through
/// [`GlroLayout`].
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
    rest: [u8; GLRO_SIZE - GLRO_HEAD],
}

/// The largest `struct link_map` of the supported releases.
pub const LINK_MAP_SIZE: usize = max(glibc_2_36_deb12::link_map::SIZE, glibc_2_41_deb13::link_map::SIZE);
/// Where the members that moved between releases start (`l_info`).
const LINK_MAP_HEAD: usize = 64;

/// `struct link_map`: the record glibc keeps per object.  The head is the
/// public `struct link_map` of `<link.h>` (and `l_real`, `l_ns`,
/// `l_libname`), the same in every release; everything from `l_info` on is
/// reached through [`LinkMapLayout`].
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
    rest: [u8; LINK_MAP_SIZE - LINK_MAP_HEAD],
}

/// The largest `struct cpu_features` of the supported releases.
pub const CPU_FEATURES_SIZE: usize = max(
    glibc_2_36_deb12::cpu_features::SIZE,
    glibc_2_41_deb13::cpu_features::SIZE,
);

/// `struct cpu_features`, as bytes laid out by [`CpuLayout`] (`cpu_features.rs`
/// computes the values).
#[repr(C, align(8))]
pub struct CpuFeaturesRecord {
    bytes: [u8; CPU_FEATURES_SIZE],
}

impl CpuFeaturesRecord {
    pub const fn zeroed() -> Self {
        CpuFeaturesRecord {
            bytes: [0; CPU_FEATURES_SIZE],
        }
    }

    /// The record's first `len` bytes (the running release's size).
    pub fn bytes(&self, len: usize) -> &[u8] {
        &self.bytes[..len.min(CPU_FEATURES_SIZE)]
    }
}

// `_rtld_global_ro._dl_x86_cpu_features` is the whole `struct cpu_features`.
const _: () = assert!(
    glibc_2_36_deb12::rtld_global_ro::DL_X86_CPU_FEATURES.size == glibc_2_36_deb12::cpu_features::SIZE
        && glibc_2_41_deb13::rtld_global_ro::DL_X86_CPU_FEATURES.size == glibc_2_41_deb13::cpu_features::SIZE
);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// The values a member may hold: plain integers, raw pointers and records of
/// them, for which every bit pattern is valid and which have no destructor.
///
/// # Safety
/// Implement only for types every bit pattern of whose size is a valid value of.
pub unsafe trait Pod: Copy {}
// SAFETY: integers and raw pointers: every bit pattern is a value.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for u16 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for i32 {}
// SAFETY: as above.
unsafe impl Pod for u64 {}
// SAFETY: as above.
unsafe impl Pod for i64 {}
// SAFETY: as above.
unsafe impl Pod for usize {}
// SAFETY: as above.
unsafe impl Pod for isize {}
// SAFETY: as above.
unsafe impl<T> Pod for *mut T {}
// SAFETY: as above.
unsafe impl<T> Pod for *const T {}
// SAFETY: an array of Pod values is Pod.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}
// SAFETY: repr(C) records of pointers and integers, padding explicit.
unsafe impl Pod for ScopeElem {}
// SAFETY: as above.
unsafe impl Pod for ListHead {}
// SAFETY: as above.
unsafe impl Pod for RecursiveLock {}

/// A structure whose storage holds every supported release's layout of it.
///
/// # Safety
/// `SIZE` is the size of the implementing type, and at least the size of
/// the structure in every release's table.
pub unsafe trait Record {
    const SIZE: usize;
}
// SAFETY: sized from the largest release (see the constants above).
unsafe impl Record for RtldGlobal {
    const SIZE: usize = GL_SIZE;
}
// SAFETY: as above.
unsafe impl Record for RtldGlobalRo {
    const SIZE: usize = GLRO_SIZE;
}
// SAFETY: as above.
unsafe impl Record for LinkMap {
    const SIZE: usize = LINK_MAP_SIZE;
}
// SAFETY: as above.
unsafe impl Record for CpuFeaturesRecord {
    const SIZE: usize = CPU_FEATURES_SIZE;
}

/// A member of record `R`, of type `T`, at its offset in one release.
pub struct At<R, T> {
    off: usize,
    _t: PhantomData<fn(R) -> T>,
}

impl<R, T> Clone for At<R, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R, T> Copy for At<R, T> {}

impl<R: Record, T: Pod> At<R, T> {
    /// The member a generated table describes; the table's structure is
    /// `size` bytes.  Checked at compile time: `T` has the member's size, the
    /// offset suits `T`'s alignment, and the member lies inside the storage.
    pub const fn of(f: Field, size: usize) -> Self {
        assert!(f.size == size_of::<T>());
        assert!(f.offset.is_multiple_of(align_of::<T>()));
        assert!(f.offset + f.size <= size && size <= R::SIZE);
        At {
            off: f.offset,
            _t: PhantomData,
        }
    }

    /// The member inside the record at `base` (no access is made).
    pub fn ptr(self, base: *mut R) -> *mut T {
        base.cast::<u8>().wrapping_add(self.off).cast::<T>()
    }
}

/// An array member of record `R` whose length may differ between releases.
pub struct Array<R, T> {
    first: At<R, T>,
    len: usize,
}

impl<R, T> Clone for Array<R, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R, T> Copy for Array<R, T> {}

impl<R: Record, T: Pod> Array<R, T> {
    /// The array member a generated table describes (see [`At::of`]).
    pub const fn of(f: Field, size: usize) -> Self {
        assert!(f.size.is_multiple_of(size_of::<T>()) && f.size > 0);
        Array {
            first: At::of(
                Field {
                    offset: f.offset,
                    size: size_of::<T>(),
                },
                size,
            ),
            len: f.size / size_of::<T>(),
        }
    }

    /// How many elements the array has in this release.
    pub const fn len(self) -> usize {
        self.len
    }

    /// Element `i`, if the array has it.
    pub const fn nth(self, i: usize) -> Option<At<R, T>> {
        if i >= self.len {
            return None;
        }
        Some(At {
            off: self.first.off + i * size_of::<T>(),
            _t: PhantomData,
        })
    }
}

/// Typed access to the members of a [`Record`] through [`At`]s.
pub trait Members: Record + Sized {
    /// The member's value.
    fn get<T: Pod>(&self, m: At<Self, T>) -> T {
        // SAFETY: `At::of` checked that the member lies inside the record's
        // storage and is aligned for `T`; `T` is Pod, so any bytes are a value.
        unsafe { (self as *const Self).cast::<u8>().add(m.off).cast::<T>().read() }
    }
    /// Sets the member.
    fn set<T: Pod>(&mut self, m: At<Self, T>, v: T) {
        // SAFETY: as in `get`; `&mut self` gives exclusive access.
        unsafe { (self as *mut Self).cast::<u8>().add(m.off).cast::<T>().write(v) }
    }
    /// The member, borrowed.
    fn field<T: Pod>(&mut self, m: At<Self, T>) -> &mut T {
        // SAFETY: as in `set`; the borrow is tied to `&mut self`.
        unsafe { &mut *(self as *mut Self).cast::<u8>().add(m.off).cast::<T>() }
    }
}
impl<R: Record> Members for R {}

/// The bits of `l_type` and the flags ld-rs sets, in the bit-field word.
#[derive(Clone, Copy)]
pub struct LBits {
    pub relocated: u32,
    pub init_called: u32,
    pub global: u32,
    pub main_map: u32,
    pub contiguous: u32,
    pub ld_readonly: u32,
    /// `l_tls_in_slotinfo` (2.41; 0 before).
    pub tls_in_slotinfo: u32,
}

/// `l_type`'s values (the low two bits of the bit-field word in every release).
pub mod lbits {
    pub const TYPE_EXECUTABLE: u32 = 0;
    pub const TYPE_LIBRARY: u32 = 1;
    pub const TYPE_LOADED: u32 = 2;
}

/// Defines the layout record `$layout` (one `At` per member) and, for each release, the constant built from that
/// release's generated table `$t::$table`.
macro_rules! members {
    ($(#[$doc:meta])* $layout:ident of $rec:ty = $table:ident for [$($t:ident => $c:ident),*] $fields:tt) => {
        members!(@struct $(#[$doc])* $layout $rec $fields);
        $( members!(@const $c $layout $table $t $fields); )*
    };
    (@struct $(#[$doc:meta])* $layout:ident $rec:ty { $($field:ident: $ty:ty = $m:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $layout {
            $(pub $field: At<$rec, $ty>,)*
        }
    };
    (@const $c:ident $layout:ident $table:ident $t:ident { $($field:ident: $ty:ty = $m:ident),* $(,)? }) => {
        const $c: $layout = $layout {
            $($field: At::of($t::$table::$m, $t::$table::SIZE),)*
        };
    };
}

members! {
    /// The members of `struct rtld_global` after `_dl_all_dirs`.
    GlLayout of RtldGlobal = rtld_global for [glibc_2_36_deb12 => GL_2_36, glibc_2_41_deb13 => GL_2_41] {
        dl_stack_flags: u32 = DL_STACK_FLAGS,
        dl_tls_dtv_gaps: u8 = DL_TLS_DTV_GAPS,
        dl_tls_max_dtv_idx: usize = DL_TLS_MAX_DTV_IDX,
        dl_tls_dtv_slotinfo_list: usize = DL_TLS_DTV_SLOTINFO_LIST,
        dl_tls_static_nelem: usize = DL_TLS_STATIC_NELEM,
        dl_tls_static_used: usize = DL_TLS_STATIC_USED,
        dl_tls_static_optional: usize = DL_TLS_STATIC_OPTIONAL,
        dl_initial_dtv: usize = DL_INITIAL_DTV,
        dl_tls_generation: usize = DL_TLS_GENERATION,
        dl_stack_used: ListHead = DL_STACK_USED,
        dl_stack_user: ListHead = DL_STACK_USER,
        dl_stack_cache: ListHead = DL_STACK_CACHE,
        dl_stack_cache_lock: i32 = DL_STACK_CACHE_LOCK,
    }
}

members! {
    /// The members of `struct rtld_global_ro` from `_dl_x86_cpu_features` on.
    GlroLayout of RtldGlobalRo = rtld_global_ro for [glibc_2_36_deb12 => GLRO_2_36, glibc_2_41_deb13 => GLRO_2_41] {
        dl_x86_hwcap_flags: [[u8; 9]; 3] = DL_X86_HWCAP_FLAGS,
        dl_tls_static_size: usize = DL_TLS_STATIC_SIZE,
        dl_tls_static_align: usize = DL_TLS_STATIC_ALIGN,
        dl_tls_static_surplus: usize = DL_TLS_STATIC_SURPLUS,
        dl_init_all_dirs: usize = DL_INIT_ALL_DIRS,
        dl_sysinfo_dso: usize = DL_SYSINFO_DSO,
        dl_sysinfo_map: *mut LinkMap = DL_SYSINFO_MAP,
        dl_vdso_clock_gettime64: usize = DL_VDSO_CLOCK_GETTIME64,
        dl_vdso_gettimeofday: usize = DL_VDSO_GETTIMEOFDAY,
        dl_vdso_time: usize = DL_VDSO_TIME,
        dl_vdso_getcpu: usize = DL_VDSO_GETCPU,
        dl_vdso_clock_getres_time64: usize = DL_VDSO_CLOCK_GETRES_TIME64,
        dl_hwcap2: u64 = DL_HWCAP2,
        dl_dso_sort_algo: u32 = DL_DSO_SORT_ALGO,
        dl_debug_printf: usize = DL_DEBUG_PRINTF,
        dl_mcount: usize = DL_MCOUNT,
        dl_lookup_symbol_x: usize = DL_LOOKUP_SYMBOL_X,
        dl_open: usize = DL_OPEN,
        dl_close: usize = DL_CLOSE,
        dl_catch_error: usize = DL_CATCH_ERROR,
        dl_error_free: usize = DL_ERROR_FREE,
        dl_tls_get_addr_soft: usize = DL_TLS_GET_ADDR_SOFT,
        dl_libc_freeres: usize = DL_LIBC_FREERES,
        dl_find_object: usize = DL_FIND_OBJECT,
        dl_naudit: u32 = DL_NAUDIT,
    }
}

members! {
    /// The members of `struct link_map` from `l_info` on.
    LinkMapLayout of LinkMap = link_map for [glibc_2_36_deb12 => LM_2_36, glibc_2_41_deb13 => LM_2_41] {
        l_phdr: usize = L_PHDR,
        l_entry: usize = L_ENTRY,
        l_phnum: u16 = L_PHNUM,
        l_ldnum: u16 = L_LDNUM,
        l_searchlist: ScopeElem = L_SEARCHLIST,
        l_loader: *mut LinkMap = L_LOADER,
        l_nbuckets: u32 = L_NBUCKETS,
        l_gnu_bitmask_idxbits: u32 = L_GNU_BITMASK_IDXBITS,
        l_gnu_shift: u32 = L_GNU_SHIFT,
        l_gnu_bitmask: usize = L_GNU_BITMASK,
        l_gnu_buckets: usize = L_GNU_BUCKETS,
        l_gnu_chain_zero: usize = L_GNU_CHAIN_ZERO,
        l_direct_opencount: u32 = L_DIRECT_OPENCOUNT,
        l_versyms: usize = L_VERSYMS,
        l_origin: *const u8 = L_ORIGIN,
        l_map_start: usize = L_MAP_START,
        l_map_end: usize = L_MAP_END,
        l_scope_mem: [*mut ScopeElem; 4] = L_SCOPE_MEM,
        l_scope_max: usize = L_SCOPE_MAX,
        l_scope: *mut *mut ScopeElem = L_SCOPE,
        l_local_scope: [*mut ScopeElem; 2] = L_LOCAL_SCOPE,
        l_file_id: [u64; 2] = L_FILE_ID,
        l_flags_1: u32 = L_FLAGS_1,
        l_flags: u32 = L_FLAGS,
        l_idx: i32 = L_IDX,
        l_tls_initimage: usize = L_TLS_INITIMAGE,
        l_tls_initimage_size: usize = L_TLS_INITIMAGE_SIZE,
        l_tls_blocksize: usize = L_TLS_BLOCKSIZE,
        l_tls_align: usize = L_TLS_ALIGN,
        l_tls_firstbyte_offset: usize = L_TLS_FIRSTBYTE_OFFSET,
        l_tls_offset: isize = L_TLS_OFFSET,
        l_tls_modid: usize = L_TLS_MODID,
        l_tls_dtor_count: usize = L_TLS_DTOR_COUNT,
        l_relro_addr: usize = L_RELRO_ADDR,
        l_relro_size: usize = L_RELRO_SIZE,
        l_serial: u64 = L_SERIAL,
    }
}

members! {
    /// The members of `struct cpu_features` (`features` is its first leaf).
    CpuLayout of CpuFeaturesRecord = cpu_features for [glibc_2_36_deb12 => CPU_2_36, glibc_2_41_deb13 => CPU_2_41] {
        basic: [u32; 5] = BASIC,
        preferred: u32 = PREFERRED,
        isa_1: u32 = ISA_1,
        xsave_state_size: u64 = XSAVE_STATE_SIZE,
        xsave_state_full_size: u32 = XSAVE_STATE_FULL_SIZE,
        data_cache_size: u64 = DATA_CACHE_SIZE,
        shared_cache_size: u64 = SHARED_CACHE_SIZE,
        non_temporal_threshold: u64 = NON_TEMPORAL_THRESHOLD,
        rep_movsb_threshold: u64 = REP_MOVSB_THRESHOLD,
        rep_movsb_stop_threshold: u64 = REP_MOVSB_STOP_THRESHOLD,
        rep_stosb_threshold: u64 = REP_STOSB_THRESHOLD,
        level1_icache_size: u64 = LEVEL1_ICACHE_SIZE,
        level1_icache_linesize: u64 = LEVEL1_ICACHE_LINESIZE,
        level1_dcache_size: u64 = LEVEL1_DCACHE_SIZE,
        level1_dcache_assoc: u64 = LEVEL1_DCACHE_ASSOC,
        level1_dcache_linesize: u64 = LEVEL1_DCACHE_LINESIZE,
        level2_cache_size: u64 = LEVEL2_CACHE_SIZE,
        level2_cache_assoc: u64 = LEVEL2_CACHE_ASSOC,
        level2_cache_linesize: u64 = LEVEL2_CACHE_LINESIZE,
        level3_cache_size: u64 = LEVEL3_CACHE_SIZE,
        level3_cache_assoc: u64 = LEVEL3_CACHE_ASSOC,
        level3_cache_linesize: u64 = LEVEL3_CACHE_LINESIZE,
        level4_cache_size: u64 = LEVEL4_CACHE_SIZE,
    }
}

/// The release whose contract runs: the layouts of its structures and the
/// facts about its behaviour that code elsewhere in `glibc/` branches on.
pub struct Layout {
    /// libc.so.6's newest `GLIBC_2.N` (`N`).
    pub minor: u32,
    pub gl: GlLayout,
    pub glro: GlroLayout,
    pub lm: LinkMapLayout,
    pub cpu: CpuLayout,
    /// `_rtld_global_ro._dl_x86_cpu_features`, the whole `struct cpu_features`.
    pub dl_x86_cpu_features: Array<RtldGlobalRo, u64>,
    /// `cpu_features.features[]`: one `cpuid_feature_internal` per CPUID leaf.
    pub cpu_leaves: Array<CpuFeaturesRecord, [u32; 8]>,
    /// 2.41: the memset threshold and the divisor of the shared cache.
    pub memset_non_temporal_threshold: Option<At<CpuFeaturesRecord, u64>>,
    pub cachesize_non_temporal_divisor: Option<At<CpuFeaturesRecord, u64>>,
    /// 2.36: `_dl_x86_platforms`, the legacy platform names.
    pub dl_x86_platforms: Option<At<RtldGlobalRo, [[u8; 9]; 4]>>,
    /// 2.41: `_dl_vdso_getrandom`.
    pub dl_vdso_getrandom: Option<At<RtldGlobalRo, usize>>,
    /// `l_info`: 80 + `DT_THISPROCNUM` slots.
    pub l_info: Array<LinkMap, usize>,
    /// The bit-field word of `struct link_map` and ld-rs's bits in it.
    pub l_bits: At<LinkMap, u32>,
    pub lbits: LBits,
    /// 2.36: the thread's rseq area inside `struct pthread`.
    pub pd_rseq_area: Option<usize>,
    /// 2.41: the thread's active `_dl_catch_exception` frame.
    pub pd_rtld_catch: Option<usize>,
    /// 2.41: `_dl_allocate_tls_init`'s flag is `main_thread` (2.36: `init_tls`).
    pub allocate_tls_init_main_thread: bool,
    /// Which object the finalizer sorts keep in front: the program (2.36), or
    /// the object `dlclose` was called on (2.39 on: glibc commit 849274d48f,
    /// bug 30981).
    pub fini_first: FiniFirst,
    /// What the audit modules are told: `LA_ACT_DELETE` at dlclose after the
    /// last `la_objclose` (2.36) or before the first (2.41: glibc commit
    /// 495b96e064, bug 32066); `LA_ACT_CONSISTENT` at a dlopen that adds
    /// nothing (2.36) or not (2.41: e096b7a189).
    pub audit: AuditRules,
    /// 2.36: `dlopen` of an object that needs an executable stack makes every
    /// thread's stack executable (2.41 refuses the object).
    pub dlopen_makes_stacks_executable: bool,
    /// 2.36: the legacy capability subdirectories (`tls/`, the platform,
    /// `x86_64/` …) are searched and the cache's legacy entries used; 2.37
    /// removed both (2.41's cache lookup skips those entries).
    pub legacy_hwcaps: bool,
    /// 2.36: the loader calls four error functions through its own PLT
    /// (`_dl_catch_exception`, `_dl_signal_exception`, `_dl_signal_error`,
    /// `_dl_catch_error`), bound with libc's copies in the global scope, so
    /// audit modules and `LD_DEBUG=bindings` see those bindings; from 2.37 on
    /// libc has no copies and the loader no PLT.
    pub loader_binds_error_functions: bool,
}

/// The dynamic tags before the processor-specific ones (`DT_NUM`).
const DT_NUM: usize = 38;
/// `l_info` slots after `DT_NUM` and the processor's: 16 `DT_VERSYM`-range
/// tags, 3 extra, 12 `DT_VALRNG` and 11 `DT_ADDRRNG` tags.
const L_INFO_FIXED: usize = DT_NUM + 16 + 3 + 12 + 11;

const fn lbits_of(m: &[Bits; 7]) -> LBits {
    LBits {
        relocated: m[0].flag(),
        init_called: m[1].flag(),
        global: m[2].flag(),
        main_map: m[3].flag(),
        contiguous: m[4].flag(),
        ld_readonly: m[5].flag(),
        tls_in_slotinfo: m[6].flag(),
    }
}

/// glibc 2.36 (Debian 12).
pub const GLIBC_2_36: Layout = {
    use glibc_2_36_deb12 as t;
    Layout {
        minor: 36,
        gl: GL_2_36,
        glro: GLRO_2_36,
        lm: LM_2_36,
        cpu: CPU_2_36,
        dl_x86_cpu_features: Array::of(t::rtld_global_ro::DL_X86_CPU_FEATURES, t::rtld_global_ro::SIZE),
        cpu_leaves: Array::of(t::cpu_features::FEATURES, t::cpu_features::SIZE),
        memset_non_temporal_threshold: None,
        cachesize_non_temporal_divisor: None,
        dl_x86_platforms: Some(At::of(t::rtld_global_ro::DL_X86_PLATFORMS, t::rtld_global_ro::SIZE)),
        dl_vdso_getrandom: None,
        l_info: Array::of(t::link_map::L_INFO, t::link_map::SIZE),
        l_bits: At::of(
            Field {
                offset: t::link_map::L_TYPE.word,
                size: t::link_map::L_TYPE.word_size,
            },
            t::link_map::SIZE,
        ),
        lbits: {
            use t::link_map as m;
            let mut b = lbits_of(&[
                m::L_RELOCATED,
                m::L_INIT_CALLED,
                m::L_GLOBAL,
                m::L_MAIN_MAP,
                m::L_CONTIGUOUS,
                m::L_LD_READONLY,
                m::L_LD_READONLY,
            ]);
            b.tls_in_slotinfo = 0;
            b
        },
        pd_rseq_area: Some(t::pthread::RSEQ_AREA.offset),
        pd_rtld_catch: None,
        allocate_tls_init_main_thread: false,
        fini_first: FiniFirst::BaseHead,
        audit: AuditRules {
            delete: DeleteNotice::AfterCloses,
            consistent_alone: true,
            loader_record_opened: false,
            consistent_after_relocation: false,
        },
        dlopen_makes_stacks_executable: true,
        legacy_hwcaps: true,
        loader_binds_error_functions: true,
    }
};

/// glibc 2.41 (Debian 13).
pub const GLIBC_2_41: Layout = {
    use glibc_2_41_deb13 as t;
    Layout {
        minor: 41,
        gl: GL_2_41,
        glro: GLRO_2_41,
        lm: LM_2_41,
        cpu: CPU_2_41,
        dl_x86_cpu_features: Array::of(t::rtld_global_ro::DL_X86_CPU_FEATURES, t::rtld_global_ro::SIZE),
        cpu_leaves: Array::of(t::cpu_features::FEATURES, t::cpu_features::SIZE),
        memset_non_temporal_threshold: Some(At::of(
            t::cpu_features::MEMSET_NON_TEMPORAL_THRESHOLD,
            t::cpu_features::SIZE,
        )),
        cachesize_non_temporal_divisor: Some(At::of(
            t::cpu_features::CACHESIZE_NON_TEMPORAL_DIVISOR,
            t::cpu_features::SIZE,
        )),
        dl_x86_platforms: None,
        dl_vdso_getrandom: Some(At::of(t::rtld_global_ro::DL_VDSO_GETRANDOM, t::rtld_global_ro::SIZE)),
        l_info: Array::of(t::link_map::L_INFO, t::link_map::SIZE),
        l_bits: At::of(
            Field {
                offset: t::link_map::L_TYPE.word,
                size: t::link_map::L_TYPE.word_size,
            },
            t::link_map::SIZE,
        ),
        lbits: {
            use t::link_map as m;
            lbits_of(&[
                m::L_RELOCATED,
                m::L_INIT_CALLED,
                m::L_GLOBAL,
                m::L_MAIN_MAP,
                m::L_CONTIGUOUS,
                m::L_LD_READONLY,
                m::L_TLS_IN_SLOTINFO,
            ])
        },
        pd_rseq_area: None,
        pd_rtld_catch: Some(t::pthread::RTLD_CATCH.offset),
        allocate_tls_init_main_thread: true,
        fini_first: FiniFirst::Closed,
        audit: AuditRules {
            delete: DeleteNotice::BeforeCloses,
            consistent_alone: false,
            loader_record_opened: true,
            consistent_after_relocation: true,
        },
        dlopen_makes_stacks_executable: false,
        legacy_hwcaps: false,
        loader_binds_error_functions: false,
    }
};

/// The release that runs: 2.36 until start-up has seen libc.so.6.
static CURRENT: AtomicPtr<Layout> = AtomicPtr::new(&GLIBC_2_36 as *const Layout as *mut Layout);

/// The layout of the release that runs.
pub fn cur() -> &'static Layout {
    // SAFETY: CURRENT only ever holds the address of one of the constants above
    // (promoted to statics), which live for the program.
    unsafe { &*CURRENT.load(Ordering::Relaxed) }
}

/// Chooses the release, once, during single-threaded start-up, before
/// anything of glibc's is written.
pub fn select(layout: &'static Layout) {
    CURRENT.store(layout as *const Layout as *mut Layout, Ordering::Relaxed);
}

impl Layout {
    /// `DT_THISPROCNUM`: the processor-specific `l_info` slots.
    pub const fn thisprocnum(&self) -> usize {
        self.l_info.len() - L_INFO_FIXED
    }

    /// Where a dynamic tag's entry goes in `l_info` (elf/get-dynamic-info.h's
    /// `DT_VERSIONTAGIDX`, `DT_EXTRATAGIDX`, `DT_VALTAGIDX`, `DT_ADDRTAGIDX`,
    /// after `DT_NUM` and the processor's tags), if glibc keeps it there.
    pub const fn l_info_index(&self, tag: i64) -> Option<usize> {
        let proc = self.thisprocnum();
        let versions = DT_NUM + proc;
        match tag {
            0..=37 => Some(tag as usize),
            0x7000_0000..=0x7fff_ffff if ((tag - 0x7000_0000) as usize) < proc => {
                Some(DT_NUM + (tag - 0x7000_0000) as usize)
            }
            0x6fff_fff0..=0x6fff_ffff => Some(versions + (0x6fff_ffff - tag) as usize),
            0x6fff_fe00..=0x6fff_feff if 0x6fff_feff - tag < 11 => {
                Some(versions + 16 + 3 + 12 + (0x6fff_feff - tag) as usize)
            }
            _ => None,
        }
    }
}

// `DT_GNU_HASH`'s slot, which libc's `dladdr` reads (`ADDRIDX (DT_GNU_HASH)`), in each release.
const _: () = assert!(matches!(GLIBC_2_36.l_info_index(0x6fff_fef5), Some(79)));
const _: () = assert!(matches!(GLIBC_2_41.l_info_index(0x6fff_fef5), Some(83)));
const _: () = assert!(GLIBC_2_36.thisprocnum() == 0 && GLIBC_2_41.thisprocnum() == 4);

/// `struct pthread` (64-aligned): offsets of the fields ld-rs sets for the
/// initial thread, the same in every supported release (checked below).
/// The thread pointer (%fs base) points at its start.
pub mod pthread {
    use super::glibc_2_36_deb12::{pthread as p, tcbhead as h};
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
    /// `robust_head.list_op_pending`.
    pub const ROBUST_LIST_PENDING: usize = p::ROBUST_HEAD.offset + 16;
    pub const SPECIFIC_1STBLOCK: usize = p::SPECIFIC_1STBLOCK.offset;
    pub const SPECIFIC: usize = p::SPECIFIC.offset;
    pub const REPORT_EVENTS: usize = p::REPORT_EVENTS.offset;
    pub const USER_STACK: usize = p::USER_STACK.offset;
    pub const STACKBLOCK: usize = p::STACKBLOCK.offset;
    pub const STACKBLOCK_SIZE: usize = p::STACKBLOCK_SIZE.offset;
    pub const GUARDSIZE: usize = p::GUARDSIZE.offset;

    // The values the hand-written table had before it was generated.
    const _: () = assert!(SIZE == 2368 && HEADER_DTV == 8 && STACK_GUARD == 40 && POINTER_GUARD == 48);
    const _: () = assert!(TID == 720 && ROBUST_HEAD == 736 && SPECIFIC == 1296 && ROBUST_LIST_PENDING == 752);
    const _: () = assert!(GUARDSIZE == 1696);

    // Every one of them at the same place in 2.41.
    const _: () = {
        use super::glibc_2_41_deb13::{pthread as q, tcbhead as i};
        assert!(q::SIZE == SIZE && q::ALIGN == ALIGN);
        assert!(q::HEADER.offset == p::HEADER.offset);
        assert!(i::TCB.offset == h::TCB.offset && i::DTV.offset == h::DTV.offset && i::SELF.offset == h::SELF.offset);
        assert!(i::STACK_GUARD.offset == h::STACK_GUARD.offset && i::POINTER_GUARD.offset == h::POINTER_GUARD.offset);
        assert!(q::LIST.offset == LIST && q::TID.offset == TID && q::ROBUST_PREV.offset == ROBUST_PREV);
        assert!(q::ROBUST_HEAD.offset == ROBUST_HEAD && q::SPECIFIC_1STBLOCK.offset == SPECIFIC_1STBLOCK);
        assert!(q::SPECIFIC.offset == SPECIFIC && q::REPORT_EVENTS.offset == REPORT_EVENTS);
        assert!(q::USER_STACK.offset == USER_STACK && q::STACKBLOCK.offset == STACKBLOCK);
        assert!(q::STACKBLOCK_SIZE.offset == STACKBLOCK_SIZE && q::GUARDSIZE.offset == GUARDSIZE);
    };
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

/// The members every release keeps at the same place, pinned to release `t`'s table.
macro_rules! pin_common {
    ($t:ident, $ns_debug:ident) => {
        const _: () = {
            use $t as t;
    pinned!(ScopeElem, r_scope_elem: r_list => R_LIST, r_nlist => R_NLIST);
            assert!(size_of::<ScopeElem>() == t::r_scope_elem::SIZE);
            pinned!(
                Namespace, link_namespaces:
                ns_loaded => NS_LOADED, ns_nloaded => NS_NLOADED, ns_main_searchlist => NS_MAIN_SEARCHLIST,
                ns_global_scope_alloc => NS_GLOBAL_SCOPE_ALLOC,
                ns_global_scope_pending_adds => NS_GLOBAL_SCOPE_PENDING_ADDS, libc_map => LIBC_MAP,
                ns_unique_sym_table => NS_UNIQUE_SYM_TABLE, ns_debug => $ns_debug,
            );
            assert!(size_of::<Namespace>() == t::link_namespaces::SIZE);
            assert!(size_of::<RDebug>() == t::r_debug_extended::SIZE);
            assert!(offset_of!(RDebug, r_next) == t::r_debug_extended::R_NEXT.offset);
            pinned!(
                RtldGlobal, rtld_global:
                dl_ns => DL_NS, dl_nns => DL_NNS, dl_load_lock => DL_LOAD_LOCK,
                dl_load_write_lock => DL_LOAD_WRITE_LOCK, dl_load_tls_lock => DL_LOAD_TLS_LOCK,
                dl_load_adds => DL_LOAD_ADDS, dl_initfirst => DL_INITFIRST, dl_profile_map => DL_PROFILE_MAP,
                dl_num_relocations => DL_NUM_RELOCATIONS, dl_num_cache_relocations => DL_NUM_CACHE_RELOCATIONS,
                dl_all_dirs => DL_ALL_DIRS,
            );
            assert!(offset_of!(RtldGlobal, rest) == GL_HEAD);
            assert!(t::rtld_global::DL_ALL_DIRS.offset + 8 == GL_HEAD);
            pinned!(
                RtldGlobalRo, rtld_global_ro:
                dl_debug_mask => DL_DEBUG_MASK, dl_platform => DL_PLATFORM, dl_platformlen => DL_PLATFORMLEN,
                dl_pagesize => DL_PAGESIZE, dl_minsigstacksize => DL_MINSIGSTACKSIZE,
                dl_inhibit_cache => DL_INHIBIT_CACHE, dl_initial_searchlist => DL_INITIAL_SEARCHLIST,
                dl_clktck => DL_CLKTCK, dl_verbose => DL_VERBOSE, dl_debug_fd => DL_DEBUG_FD, dl_lazy => DL_LAZY,
                dl_bind_not => DL_BIND_NOT, dl_dynamic_weak => DL_DYNAMIC_WEAK, dl_fpu_control => DL_FPU_CONTROL,
                dl_hwcap => DL_HWCAP, dl_auxv => DL_AUXV,
            );
            assert!(offset_of!(RtldGlobalRo, rest) == GLRO_HEAD);
            assert!(t::rtld_global_ro::DL_X86_CPU_FEATURES.offset == GLRO_HEAD);
            pinned!(
                LinkMap, link_map:
                l_addr => L_ADDR, l_name => L_NAME, l_ld => L_LD, l_next => L_NEXT, l_prev => L_PREV,
                l_real => L_REAL, l_ns => L_NS, l_libname => L_LIBNAME,
            );
            assert!(offset_of!(LinkMap, rest) == LINK_MAP_HEAD);
            assert!(t::link_map::L_INFO.offset == LINK_MAP_HEAD);
            // `l_type` is the low two bits of the bit-field word.
            assert!(t::link_map::L_TYPE.bit == 0 && t::link_map::L_TYPE.width == 2);
            pinned!(
                DlFindObject, dl_find_object:
                dlfo_flags => DLFO_FLAGS, dlfo_map_start => DLFO_MAP_START, dlfo_map_end => DLFO_MAP_END,
                dlfo_link_map => DLFO_LINK_MAP, dlfo_eh_frame => DLFO_EH_FRAME, _reserved => DFLO_RESERVED,
            );
            assert!(size_of::<DlFindObject>() == t::dl_find_object::SIZE);
            pinned!(
                DlException, dl_exception:
                objname => OBJNAME, errstring => ERRSTRING, message_buffer => MESSAGE_BUFFER,
            );
            assert!(size_of::<DlException>() == t::dl_exception::SIZE);
            assert!(t::cpuid_feature_internal::SIZE == 32);
        };
    };
}

pin_common!(glibc_2_36_deb12, NS_DEBUG);
pin_common!(glibc_2_41_deb13, NS_DEBUG_UNUSED);
