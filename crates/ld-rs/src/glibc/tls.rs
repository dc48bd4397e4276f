//! The TLS run-time glibc's libc expects from its dynamic linker: the initial
//! thread's TCB, static TLS area and DTV, the slotinfo list, `__tls_get_addr`,
//! and the allocation hooks `pthread_create` calls (`_dl_allocate_tls` & co.).
//!
//! # Variant II, from the thread pointer down
//! On x86_64 the thread pointer (`%fs` base, "tp") points at the thread's
//! control block, and the static TLS blocks of the modules loaded at start-up
//! lie just *below* it (psABI "variant II"; Drepper, "ELF Handling For
//! Thread-Local Storage", §3.4.2).  glibc makes the control block its whole
//! thread descriptor, `struct pthread` (2368 bytes, 64-aligned), so one
//! allocation holds both:
//!
//! ```text
//!   low                                                       high
//!   | surplus ... | block m | ... | block 1 |  struct pthread  |
//!                 ^ tp - off[m]   ^ tp - off[1]  ^ tp = pd = %fs base
//!   |<------------- dl_tls_static_size ------------------------>|
//! ```
//!
//! `dl_tls_static_size` is `roundup(used + surplus, align) + 2368`: the
//! blocks in use, a *surplus* for libraries `dlopen`ed later that use the
//! initial-exec model (glibc 2.36 reserves 1664 bytes with default tunables,
//! of which 512 are "optional", see `_dl_tls_static_surplus_init`), then the
//! descriptor.  libc's `pthread_create` carves exactly that much from the top
//! of every new stack and puts `pd` at the top minus 2368, so new threads get
//! the same layout without asking us where things go.
//!
//! The first words of `struct pthread` are glibc's `tcbhead_t`: `tcb` (tp
//! itself: `%fs:0` is how code learns the thread pointer), `dtv`, `self`
//! (`pthread_self()` reads `%fs:0x10`), then the stack-protector canary at
//! `%fs:0x28` and the pointer-mangling guard at `%fs:0x30`, which compiled
//! code reads at those fixed offsets.
//!
//! # The DTV and generations
//! Code in the general- and local-dynamic models does not know where a
//! module's block is: it calls `__tls_get_addr(&{module id, offset})`, which
//! looks the block up in the thread's *dynamic thread vector*.  glibc's DTV
//! is an array of 16-byte entries whose address, one entry in, is stored at
//! `%fs:8`: `dtv[-1]` holds the capacity, `dtv[0]` the *generation* the
//! vector is up to date with, and `dtv[m] = {val, to_free}` module m's block
//! (`val == -1`: not allocated yet; `to_free`: what to pass to `free`).
//!
//! Every `dlopen` that adds TLS modules stamps their slots in the global
//! *slotinfo list* with the next generation and bumps
//! `GL(dl_tls_generation)`; every `dlclose` that removes some empties their
//! slots, stamps them with the next generation and bumps it too.  A thread's
//! DTV is brought up to date lazily: `__tls_get_addr`'s fast path only
//! checks `dtv[0] == GL(dl_tls_generation)` and `dtv[m] != -1`; otherwise
//! the slow path walks the slotinfo list and, for every slot stamped since
//! the DTV's generation, frees the block the entry held (a module since
//! unloaded, or the previous holder of a reused id) and resets it, growing
//! the vector first if the id lies beyond it; then it allocates the block
//! asked for (a copy of the module's init image, the rest zeroed).
//! Start-up modules get generation 1 and static blocks, so for them the
//! fast path always hits.
//!
//! # For as long as the process lives
//! Module ids are reused: the linker gives a new module the lowest id no
//! loaded object holds (`Linker::next_tls_modid`; glibc fills the gaps
//! `dl_tls_dtv_gaps` records the same way), so `dl_tls_max_dtv_idx` stays
//! near the number of modules open at once however many come and go.  The
//! slotinfo list starts with room for 62 more modules than start-up had
//! and grows by elements of 62 slots, each linked in with a release store
//! so that a reader walking it without the lock sees a complete element;
//! elements are never freed while the process runs (readers hold no lock),
//! and libc's `__libc_freeres` frees the empty ones after the first with
//! its `free` — so they come from libc's `malloc`.  A block a `dlopen`ed
//! module gets in the static surplus goes back when it is unloaded if it
//! is at the end of the used part (glibc's rule, which leaks a block freed
//! out of order: so does glibc).  A TLS descriptor whose module has no
//! static block left gets a *dynamic* descriptor, whose resolver looks the
//! block up in the DTV and calls `__tls_get_addr` when it is not there.
//!
//! libc reads and writes these structures itself (contract §6.4/6.5): when it
//! reuses a cached thread stack it `free()`s every `dtv[1..=cap].to_free`
//! with *its* `free`, zeroes the vector and calls `_dl_allocate_tls_init`.
//! Hence the invariant kept here: **a non-NULL `to_free` always came from
//! libc's `malloc`** — the program's `malloc`, found in the global scope
//! once start-up has relocated everything, as glibc's loader switches to
//! it.  Blocks taken from ld-rs's own heap (before [`set_libc_allocator`]
//! is called) keep `to_free = NULL` and are never freed.  Every DTV but the
//! initial one comes from the same `calloc`/`realloc` once they are known,
//! as glibc's loader allocates them: an interposed allocator sees a new
//! thread's DTV allocated in `pthread_create`'s caller, and a debugging
//! `malloc` that sets itself up on its first call is first called there,
//! by one thread.  Only our `_dl_deallocate_tls` and `_dl_resize_dtv`
//! free or resize a DTV (glibc `elf/dl-tls.c`, `nptl/allocatestack.c`).
//!
//! # Why `__tls_get_addr` realigns the stack
//! The x86_64 psABI requires `%rsp` to be 16-byte aligned at every call, but
//! GCC emitted general-dynamic TLS sequences (`data16 lea; data16 data16 rex64
//! call __tls_get_addr`) without making sure of it, because it did not treat
//! the sequence as a call when laying out the frame (GCC PR58066).  Binaries
//! built that way are still around, so glibc's `__tls_get_addr` keeps its fast
//! path in assembly that needs no alignment and realigns `%rsp` before calling
//! the C slow path, which may use aligned SSE spills and calls `malloc`.
//! ld-rs does the same: `__tls_get_addr` below is a small `global_asm!`
//! function (fast path, then `and $-16, %rsp` around a call to the Rust slow
//! path).  It lives here rather than in `arch/x86_64.rs` because its fast path
//! hard-codes glibc's DTV layout and the offset of `_dl_tls_generation`.
//!
//! # Locking
//! `GL(dl_load_tls_lock)` (a recursive pthread mutex, taken through libc's
//! `pthread_mutex_lock`, see `glibc/dl.rs`) is held where glibc holds it:
//! by `dlopen` from loading through publishing the new modules (so a
//! module's static-or-dynamic decision cannot race with relocation placing
//! it in static TLS), by `dlclose` while it empties slots, by
//! `_dl_allocate_tls_init` while it reads the whole list for a new thread,
//! and by `__tls_get_addr` when it decides, once per module, that a block
//! is dynamic for good.  The fast and update paths take no lock: slots are
//! word-sized, written with atomic stores, and a slot changed after the
//! generation the reader acquired is left for its next update (glibc's
//! "CONCURRENCY NOTES" in `_dl_update_slotinfo`).  While an update calls
//! `malloc` or `free`, `THREADS_IN_UPDATE` is raised: an interposed `malloc`
//! using general-dynamic TLS re-enters `__tls_get_addr`, which then serves
//! start-up modules from the DTV as it is rather than updating it again.
//!
//! # Safety
//! The exported functions are called by libc with the arguments glibc's own
//! ld.so would receive (a `struct pthread *` for the TCB, a `tls_index *`);
//! they trust those pointers as glibc does.  Start-up functions run
//! single-threaded before any libc code.  Run-time paths read the shared
//! `_rtld_global` fields through raw pointers (relaxed atomic loads), never
//! through a `&mut` that another thread could alias, and touch only the
//! calling thread's DTV or a thread that is not running yet.

use core::alloc::Layout;
use core::arch::{asm, global_asm};
use core::ptr::{self, addr_of, addr_of_mut, null_mut};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::layout::{cur, pthread, LinkMap, ListHead, Members, RtldGlobal, RtldGlobalRo, MUTEX_RECURSIVE};
use super::{gl, glro};
use crate::arch::syscall6;
use crate::dso::DsoId;
use crate::sys;
use crate::tls::{StaticLayout, TlsModule};

/// `TLS_TCB_SIZE`: `sizeof (struct pthread)`.
const TLS_TCB_SIZE: usize = pthread::SIZE;
/// `TCB_ALIGNMENT`: the least static TLS alignment (sysdeps/x86_64/nptl/tls.h).
const TCB_ALIGNMENT: usize = pthread::ALIGN;
/// Spare DTV entries allocated beyond the highest module id (ldsodefs.h).
const DTV_SURPLUS: usize = 14;
/// Spare slotinfo entries allocated at start-up (ldsodefs.h).
const TLS_SLOTINFO_SURPLUS: usize = 62;
/// `TLS_DTV_UNALLOCATED`: a DTV entry whose block is not allocated yet.
const UNALLOCATED: usize = usize::MAX;
/// `l_tls_offset` of a module with no static block (yet).
const NO_TLS_OFFSET: isize = 0;
/// `l_tls_offset` of a module forced to dynamic TLS for good.
const FORCED_DYNAMIC_TLS_OFFSET: isize = -1;

// The static TLS surplus, as elf/dl-tls.c's `_dl_tls_static_surplus_init`
// computes it: room for libc's initial-exec TLS in every namespace but the
// first (a `dlmopen`ed libc uses initial-exec TLS too), for other
// initial-exec TLS in every namespace, the optional part, and a legacy
// remainder that keeps the historic total of 1664 with the default tunables
// (rtld.nns = 4, rtld.optional_static_tls = 512).  Each audit module counts
// as one more namespace.
const LIBC_IE_TLS: usize = 144;
const OTHER_IE_TLS: usize = 144;
const DEFAULT_NNS: usize = 4;
const OPTIONAL_TLS: usize = 512;
const fn tls_static_surplus(nns: usize, opt_tls: usize) -> usize {
    (nns - 1) * LIBC_IE_TLS + nns * OTHER_IE_TLS + opt_tls
}
const LEGACY_TLS: usize = 1664 - tls_static_surplus(DEFAULT_NNS, OPTIONAL_TLS);
const STATIC_SURPLUS: usize = tls_static_surplus(DEFAULT_NNS, OPTIONAL_TLS) + LEGACY_TLS;
const _: () = assert!(STATIC_SURPLUS == 1664);

/// A member of `_rtld_global` in the running release, as a raw pointer.
macro_rules! gl_at {
    ($f:ident) => {
        cur().gl.$f.ptr(gl_ptr())
    };
}
/// A member of `_rtld_global_ro` in the running release, as a raw pointer.
macro_rules! glro_at {
    ($f:ident) => {
        cur().glro.$f.ptr(glro_ptr() as *mut RtldGlobalRo)
    };
}

/// The static TLS surplus and its optional part for `naudit` audit modules,
/// from the tunables `glibc.rtld.nns` (namespaces expected to use static
/// TLS, at most 16) and `glibc.rtld.optional_static_tls`; `Err` with the
/// number of audit modules supported when there are more (glibc's fatal
/// error: each takes a namespace).
pub fn static_surplus(naudit: usize) -> Result<(usize, usize), usize> {
    let nns =
        (super::tunables::num(super::tunables::id::RTLD_NNS).max(1) as usize).min(crate::namespace::MAX_NAMESPACES);
    let opt_tls = super::tunables::num(super::tunables::id::RTLD_OPTIONAL_STATIC_TLS).max(0) as usize;
    let room = crate::namespace::MAX_NAMESPACES - nns;
    if naudit > room {
        return Err(room);
    }
    Ok((tls_static_surplus(nns + naudit, opt_tls) + LEGACY_TLS, opt_tls))
}
/// `sizeof (struct robust_list_head)`.
const ROBUST_LIST_HEAD_SIZE: usize = 24;
/// `offsetof(pthread_mutex_t, __data.__lock) - offsetof(.., __data.__list.__next)`.
const ROBUST_FUTEX_OFFSET: i64 = -32;

mod nr {
    pub const ARCH_PRCTL: usize = 158;
    pub const SET_TID_ADDRESS: usize = 218;
    pub const SET_ROBUST_LIST: usize = 273;
}
const ARCH_SET_FS: usize = 0x1002;

/// A DTV entry (`dtv_t`): `{val, to_free}`, or `counter` in `val`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Dtv {
    val: usize,
    to_free: usize,
}

/// `struct dtv_slotinfo`.
#[repr(C)]
struct SlotInfo {
    gen: usize,
    map: *mut LinkMap,
}

/// `struct dtv_slotinfo_list`; `len` `SlotInfo`s follow the header.
#[repr(C)]
struct SlotInfoList {
    len: usize,
    next: *mut SlotInfoList,
}

/// `tls_index`, the argument of `__tls_get_addr`.
#[repr(C)]
pub struct TlsIndex {
    pub module: usize,
    pub offset: usize,
}

/// What a DTV needs to know about one module, from its link map or, until
/// the maps are registered, from the start-up table.
struct Block {
    image: usize,
    filesz: usize,
    memsz: usize,
    align: usize,
    /// `l_tls_offset`: > 0 static (block at tp - offset), or one of
    /// `NO_TLS_OFFSET` / `FORCED_DYNAMIC_TLS_OFFSET`.
    offset: isize,
    ns: i64,
}

/// The start-up modules, kept so that blocks can be set up even for a
/// module whose link map has not been registered with [`set_slot_map`].
struct Startup {
    modules: Vec<TlsModule>,
}
static STARTUP: AtomicPtr<Startup> = AtomicPtr::new(null_mut());

/// The address of `GL(dl_tls_generation)` in the running release, for
/// `__tls_get_addr`'s fast path (set by [`select_release`]).
static GENERATION: AtomicPtr<usize> = AtomicPtr::new(null_mut());

/// Points `__tls_get_addr` at the running release's `GL(dl_tls_generation)`.
/// Start-up, after the release is chosen and before any TLS access.
pub fn select_release() {
    GENERATION.store(gl_at!(dl_tls_generation), Ordering::Relaxed);
}

/// libc's `malloc`, `free`, `calloc` and `realloc`, once libc can serve
/// them (0 before; all four are set together).
static LIBC_MALLOC: AtomicUsize = AtomicUsize::new(0);
static LIBC_FREE: AtomicUsize = AtomicUsize::new(0);
static LIBC_CALLOC: AtomicUsize = AtomicUsize::new(0);
static LIBC_REALLOC: AtomicUsize = AtomicUsize::new(0);

/// How many threads are inside a TLS update that calls `malloc` or `free`
/// (glibc's `_dl_tls_threads_in_update`).  An interposed `malloc` that uses
/// general-dynamic TLS re-enters `__tls_get_addr` from there; while this is
/// non-zero such a call for a start-up module (whose DTV entry never
/// changes) is served from the DTV as it is instead of updating it again.
static THREADS_IN_UPDATE: AtomicUsize = AtomicUsize::new(0);
/// Module ids below this are start-up modules (glibc's
/// `_dl_tls_initial_modid_limit`).
static INITIAL_MODID_LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` counted in [`THREADS_IN_UPDATE`].
fn in_update<R>(f: impl FnOnce() -> R) -> R {
    THREADS_IN_UPDATE.fetch_add(1, Ordering::Relaxed);
    let r = f();
    THREADS_IN_UPDATE.fetch_sub(1, Ordering::Relaxed);
    r
}

// ---------------------------------------------------------------------------
// The exported function `__tls_get_addr`.
//
// Fast path (no stack use, so alignment does not matter):
//     dtv = %fs:8; if dtv[0] == GL(dl_tls_generation) && dtv[m].val != -1
//         return dtv[m].val + ti->offset
// Slow path: save %rbp, align %rsp to 16, call `tls_get_addr_slow(ti)`
// (%rdi is still `ti`), restore %rsp and return its result.  The CFI
// directives let unwinders and debuggers walk through the realigned frame.
// ---------------------------------------------------------------------------
global_asm!(
    ".globl __tls_get_addr",
    ".type __tls_get_addr, @function",
    ".p2align 4",
    "__tls_get_addr:",
    ".cfi_startproc",
    "    mov %fs:{dtv}, %rdx",
    "    mov {gen}(%rip), %rax",
    "    mov (%rax), %rax",
    "    cmp %rax, (%rdx)",
    "    jne 1f",
    "    mov (%rdi), %rax",
    "    shl $4, %rax",
    "    mov (%rdx,%rax), %rax",
    "    cmp $-1, %rax",
    "    je 1f",
    "    add 8(%rdi), %rax",
    "    ret",
    "1:",
    "    push %rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset %rbp, -16",
    "    mov %rsp, %rbp",
    ".cfi_def_cfa_register %rbp",
    "    and $-16, %rsp",
    "    call {slow}",
    "    mov %rbp, %rsp",
    "    pop %rbp",
    ".cfi_def_cfa %rsp, 8",
    "    ret",
    ".cfi_endproc",
    ".size __tls_get_addr, . - __tls_get_addr",
    dtv = const pthread::HEADER_DTV,
    gen = sym GENERATION,
    slow = sym tls_get_addr_slow,
    options(att_syntax)
);

// ---------------------------------------------------------------------------
// The dynamic TLS descriptor resolver, for a variable of a module with no
// static block (glibc's `_dl_tlsdesc_dynamic`).  Code compiled with
// `-mtls-dialect=gnu2` calls the descriptor's first word with %rax pointing
// at the descriptor and expects %rax = variable - tp back, every other
// register preserved.  The argument is a `DescArg`: {module, offset,
// generation}.
//
// Fast path: dtv = %fs:8; if dtv[0] >= arg.gen && dtv[m].val != -1, the
// answer is dtv[m].val + offset - tp, using only %rsi and %rdi, saved in the
// red zone.  Slow path: below those two words, save the other call-clobbered
// integer registers and the SSE state (fxsave: the Rust slow path and libc's
// malloc may use %xmm registers; glibc 2.36 saved only the integer ones),
// align %rsp and call `tls_get_addr_any(arg)`.
// ---------------------------------------------------------------------------
global_asm!(
    ".globl ldrs_tlsdesc_dynamic",
    ".hidden ldrs_tlsdesc_dynamic",
    ".type ldrs_tlsdesc_dynamic, @function",
    ".p2align 4",
    "ldrs_tlsdesc_dynamic:",
    ".cfi_startproc",
    "    mov %rsi, -16(%rsp)",
    "    mov %fs:{dtv}, %rsi",
    "    mov %rdi, -8(%rsp)",
    "    mov 8(%rax), %rdi",
    "    mov (%rsi), %rax",
    "    cmp %rax, 16(%rdi)",
    "    ja 2f",
    "    mov (%rdi), %rax",
    "    shl $4, %rax",
    "    mov (%rax,%rsi), %rax",
    "    cmp $-1, %rax",
    "    je 2f",
    "    add 8(%rdi), %rax",
    "1:",
    "    mov -16(%rsp), %rsi",
    "    sub %fs:0, %rax",
    "    mov -8(%rsp), %rdi",
    "    ret",
    "2:",
    "    sub $16, %rsp",
    ".cfi_adjust_cfa_offset 16",
    "    push %rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_offset %rbp, -32",
    "    mov %rsp, %rbp",
    ".cfi_def_cfa_register %rbp",
    "    and $-64, %rsp",
    "    sub $576, %rsp",
    "    fxsave64 (%rsp)",
    "    mov %rdx, 512(%rsp)",
    "    mov %rcx, 520(%rsp)",
    "    mov %r8, 528(%rsp)",
    "    mov %r9, 536(%rsp)",
    "    mov %r10, 544(%rsp)",
    "    mov %r11, 552(%rsp)",
    "    call {slow}",
    "    mov 512(%rsp), %rdx",
    "    mov 520(%rsp), %rcx",
    "    mov 528(%rsp), %r8",
    "    mov 536(%rsp), %r9",
    "    mov 544(%rsp), %r10",
    "    mov 552(%rsp), %r11",
    "    fxrstor64 (%rsp)",
    "    mov %rbp, %rsp",
    "    pop %rbp",
    ".cfi_def_cfa %rsp, 24",
    "    add $16, %rsp",
    ".cfi_adjust_cfa_offset -16",
    "    jmp 1b",
    ".cfi_endproc",
    ".size ldrs_tlsdesc_dynamic, . - ldrs_tlsdesc_dynamic",
    dtv = const pthread::HEADER_DTV,
    slow = sym tls_get_addr_any,
    options(att_syntax)
);

/// The argument of a dynamic TLS descriptor (glibc's `struct
/// tlsdesc_dynamic_arg`): the variable, and the generation a thread's DTV
/// must have reached for its entry of the module to be trusted.
#[repr(C)]
struct DescArg {
    index: TlsIndex,
    gen: usize,
}

/// The dynamic descriptors' arguments, with the object whose relocation
/// made each: freed when that object is unloaded.  Changed only under the
/// TLS lock (relocation by `dlopen`, release by `dlclose`).
struct Descs(core::cell::UnsafeCell<Vec<(DsoId, *mut DescArg)>>);
// SAFETY: every access happens under the TLS lock (see above).
unsafe impl Sync for Descs {}
static DESCS: Descs = Descs(core::cell::UnsafeCell::new(Vec::new()));

/// A TLS descriptor `(resolver, argument)` for `offset` in module `modid`,
/// which has no static block: each thread's block is found through its DTV
/// (glibc's `_dl_make_tlsdesc_dynamic`).  Made for object `owner`.
pub fn dynamic_desc(owner: DsoId, modid: usize, offset: usize) -> Option<(usize, usize)> {
    if modid == 0 {
        return None;
    }
    // SAFETY: relocation by dlopen runs under the TLS lock, so the slot
    // table and DESCS are ours to read and change.
    unsafe {
        // The module's own generation once registered; a module being loaded
        // now gets the next one.
        let gen = match find_slot(modid) {
            Some(slot) if !(*slot).map.is_null() => (*slot).gen,
            _ => generation() + 1,
        };
        let arg = Box::into_raw(Box::new(DescArg {
            index: TlsIndex { module: modid, offset },
            gen,
        }));
        (*DESCS.0.get()).push((owner, arg));
        let resolver: usize;
        asm!("lea ldrs_tlsdesc_dynamic(%rip), {}", out(reg) resolver, options(att_syntax, nostack, pure, nomem, preserves_flags));
        Some((resolver, arg as usize))
    }
}

/// Frees the dynamic descriptors made for object `owner`.
///
/// # Safety
/// Under the TLS lock; `owner`'s code can no longer run.
unsafe fn free_descs_of(owner: DsoId) {
    // SAFETY: the caller's contract.
    let descs = unsafe { &mut *DESCS.0.get() };
    descs.retain(|&(o, arg)| {
        if o == owner {
            // SAFETY: made by Box::into_raw in dynamic_desc and no longer reachable.
            drop(unsafe { Box::from_raw(arg) });
        }
        o != owner
    });
}

// ---------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------

/// Builds the TLS state glibc's ld.so builds in `init_tls` and
/// `__tls_init_tp`: the static TLS sizes in `_rtld_global(_ro)`, the slotinfo
/// list, the initial thread's static TLS area, `struct pthread` and DTV,
/// `%fs`, the thread's kernel registrations and the stack lists.  Returns the
/// thread pointer.
///
/// Start-up modules are stamped with generation 1 and
/// `GL(dl_tls_generation)` is set to 1, the values glibc has once it has
/// relocated the start-up objects.  The blocks themselves are filled by
/// [`init_static_blocks`] after relocation.
///
/// # Safety
/// Single-threaded start-up, before any libc code runs and before anything
/// uses `%fs`.  `__libc_stack_end` must already be set (it becomes the
/// thread's `stackblock_size`).  `at_random` is `AT_RANDOM`: 16 readable bytes.
pub unsafe fn setup_initial_thread(
    modules: &[TlsModule],
    layout: StaticLayout,
    at_random: usize,
    rseq_block: Option<super::rseq::ExtraBlock>,
    (surplus, optional): (usize, usize),
) -> Result<usize, &'static str> {
    if at_random == 0 {
        return Err("the kernel passed no AT_RANDOM bytes for the stack guard");
    }
    check_layout(modules, &layout)?;
    const NO_MEMORY: &str = "cannot allocate TLS data structures for initial thread";
    let max_modid = layout.max_modid;
    let mut align = layout.max_align.max(TCB_ALIGNMENT);
    // glibc 2.41 keeps each thread's rseq area out of `struct pthread`: the
    // loader reserves it as an extra block after the modules' blocks (the
    // lowest addresses of the static area), and `__rseq_offset` is its
    // negative offset from the thread pointer (elf/dl-tls.c,
    // `_dl_determine_tlsoffset`).
    let mut used = layout.used;
    let rseq = match rseq_block {
        None => super::rseq::GLIBC_2_36,
        Some(block) => {
            used = checked_round_up(used, block.align)
                .and_then(|n| n.checked_add(block.size))
                .ok_or("static TLS too large")?;
            align = align.max(block.align);
            block.area(-(used as isize))
        }
    };
    let static_size = used
        .checked_add(surplus)
        .and_then(|n| checked_round_up(n, align))
        .and_then(|n| n.checked_add(TLS_TCB_SIZE))
        .ok_or("static TLS too large")?;
    let generation = if max_modid > 0 { 1 } else { 0 };

    // The slotinfo list: one element, room for every start-up module and
    // TLS_SLOTINFO_SURPLUS more (slot 0 is never used).
    let nelem = max_modid
        .checked_add(1 + TLS_SLOTINFO_SURPLUS)
        .ok_or("too many TLS modules")?;
    let list = alloc_slotinfo_list(nelem).ok_or(NO_MEMORY)?;

    // SAFETY: single-threaded start-up (the caller's contract); nothing else
    // holds references into `_rtld_global(_ro)` now.
    let (g, ro) = unsafe { (gl(), glro()) };
    let (l, lo) = (&cur().gl, &cur().glro);
    g.set(l.dl_tls_dtv_slotinfo_list, list as usize);
    g.set(l.dl_tls_dtv_gaps, 0);
    g.set(l.dl_tls_max_dtv_idx, max_modid);
    g.set(l.dl_tls_static_nelem, max_modid);
    g.set(l.dl_tls_static_used, used);
    g.set(l.dl_tls_static_optional, optional);
    g.set(l.dl_tls_generation, generation);
    ro.set(lo.dl_tls_static_surplus, surplus);
    ro.set(lo.dl_tls_static_size, static_size);
    ro.set(lo.dl_tls_static_align, align);
    for m in modules {
        // SAFETY: the list was just published in GL and holds slots up to
        // max_modid + 62 (check_layout bounds every modid by max_modid).
        if let Some(slot) = unsafe { find_slot(m.modid) } {
            // SAFETY: `slot` points into the list allocated above.
            unsafe { (*slot).gen = generation };
        }
    }
    INITIAL_MODID_LIMIT.store(max_modid + 1, Ordering::Relaxed);
    let startup = Box::new(Startup {
        modules: modules.to_vec(),
    });
    STARTUP.store(Box::leak(startup), Ordering::Release);

    // One mapping, never freed: alignment slack, the static area ending with
    // struct pthread, the word glibc keeps after it (the pointer to free),
    // then the initial DTV: capacity + 2 entries.
    let capacity = max_modid.checked_add(DTV_SURPLUS).ok_or("too many TLS modules")?;
    let dtv_bytes = capacity
        .checked_add(2)
        .and_then(|n| n.checked_mul(16))
        .ok_or("too many TLS modules")?;
    let total = align
        .checked_add(static_size)
        .and_then(|n| n.checked_add(16))
        .and_then(|n| n.checked_add(dtv_bytes))
        .ok_or("static TLS too large")?;
    // SAFETY: a fresh anonymous mapping at an address the kernel chooses.
    let mem = unsafe {
        sys::mmap(
            0,
            total,
            sys::PROT_READ | sys::PROT_WRITE,
            sys::MAP_PRIVATE | sys::MAP_ANONYMOUS,
            -1,
            0,
        )
    }
    .map_err(|_| NO_MEMORY)?;
    let aligned = checked_round_up(mem, align).ok_or(NO_MEMORY)?;
    // In bounds: aligned - mem < align, and static_size + 16 + dtv_bytes follow.
    let pd = aligned + static_size - TLS_TCB_SIZE;
    let dtv_array = (pd + TLS_TCB_SIZE + 16) as *mut Dtv;
    // SAFETY: every address written below lies in the fresh, zero-filled,
    // writable mapping [mem, mem + total) (see the size computation above);
    // pd is `align`-aligned, so each static block (offset <= used, checked)
    // lies inside the static area below it.
    unsafe {
        put(pd, TLS_TCB_SIZE, mem);
        (*dtv_array).val = capacity;
        let dtv = dtv_array.add(1);
        (*dtv).val = generation;
        for m in modules {
            *dtv.add(m.modid) = Dtv {
                val: pd - m.offset,
                to_free: 0,
            };
        }
        g.set(l.dl_initial_dtv, dtv as usize);
        put(pd, pthread::HEADER_TCB, pd);
        put(pd, pthread::HEADER_DTV, dtv as usize);
        put(pd, pthread::HEADER_SELF, pd);
    }

    // SAFETY: pd is a complete, 64-aligned TCB that lives for the process;
    // nothing in ld-rs uses %fs before this point.
    let r = unsafe { syscall6(nr::ARCH_PRCTL, [ARCH_SET_FS, pd, 0, 0, 0, 0]) };
    if r < 0 {
        return Err("cannot set %fs base address for thread-local storage");
    }
    // SAFETY: start-up; pd is the live descriptor of this thread, and
    // at_random points at 16 bytes (the caller's contract).
    unsafe {
        init_stack_lists(g, pd);
        init_thread_pointer_fields(pd, rseq);
        init_guards(pd, at_random);
    }
    for lock in [&mut g.dl_load_lock, &mut g.dl_load_write_lock, &mut g.dl_load_tls_lock] {
        if lock.kind == 0 {
            lock.kind = MUTEX_RECURSIVE;
        }
    }
    Ok(pd)
}

/// Rejects a layout whose blocks would not fit where the DTV says they are.
fn check_layout(modules: &[TlsModule], layout: &StaticLayout) -> Result<(), &'static str> {
    if !layout.max_align.is_power_of_two() {
        return Err("TLS alignment is not a power of two");
    }
    for m in modules {
        let ok = m.modid >= 1
            && m.modid <= layout.max_modid
            && m.align.is_power_of_two()
            && m.filesz <= m.memsz
            && m.offset >= m.memsz
            && m.offset <= layout.used;
        if !ok {
            return Err("inconsistent static TLS layout");
        }
    }
    Ok(())
}

/// `__tls_pre_init_tp` + the list part of `__tls_init_tp`: the three
/// stack lists empty, then the initial thread in `dl_stack_user`.
///
/// # Safety
/// Start-up; `pd + pthread::LIST` is writable.
unsafe fn init_stack_lists(g: &mut RtldGlobal, pd: usize) {
    let l = &cur().gl;
    for head in [l.dl_stack_used.ptr(g), l.dl_stack_user.ptr(g), l.dl_stack_cache.ptr(g)] {
        // SAFETY: `head` points into `_rtld_global`, borrowed exclusively by `g`.
        unsafe { *head = ListHead { next: head, prev: head } };
    }
    let head = l.dl_stack_user.ptr(g);
    let node = (pd + pthread::LIST) as *mut ListHead;
    // SAFETY: list_add(node, head) on an empty list; both are writable.
    unsafe { *node = ListHead { next: head, prev: head } };
    // SAFETY: as above.
    unsafe { *head = ListHead { next: node, prev: node } };
}

/// The rest of `__tls_init_tp` for the initial thread (contract §6.1, §6.2).
///
/// # Safety
/// Start-up; `pd` is this thread's descriptor and `%fs` points at it.
unsafe fn init_thread_pointer_fields(pd: usize, rseq: super::rseq::Area) {
    // SAFETY: every offset is inside the 2368-byte descriptor (layout.rs,
    // pahole), which is writable; the syscalls receive addresses inside it
    // that stay valid for the life of the thread.
    unsafe {
        // The kernel clears and wakes `tid` at thread exit; its return value is the tid.
        let tid = syscall6(nr::SET_TID_ADDRESS, [pd + pthread::TID, 0, 0, 0, 0, 0]);
        put(pd, pthread::TID, tid as i32);
        put(pd, pthread::SPECIFIC, pd + pthread::SPECIFIC_1STBLOCK);
        put(pd, pthread::USER_STACK, 1u8);
        put(
            pd,
            pthread::REPORT_EVENTS,
            *addr_of!(super::__nptl_initial_report_events),
        );

        let head = pd + pthread::ROBUST_HEAD;
        put(pd, pthread::ROBUST_PREV, head);
        put(pd, pthread::ROBUST_HEAD, head);
        put(pd, pthread::ROBUST_FUTEX_OFFSET, ROBUST_FUTEX_OFFSET);
        put(pd, pthread::ROBUST_LIST_PENDING, 0usize);
        // A failure only means robust mutexes are not cleaned up by the kernel.
        let _ = syscall6(nr::SET_ROBUST_LIST, [head, ROBUST_LIST_HEAD_SIZE, 0, 0, 0, 0]);

        // The rseq area, registered unless glibc.pthread.rseq=0 (rseq.rs);
        // libc's pthread_create registers new threads only if this did.
        super::rseq::register_initial_thread(pd, rseq);

        // The initial thread's "stack block" runs from 0 up to __libc_stack_end.
        put(pd, pthread::STACKBLOCK, 0usize);
        put(pd, pthread::STACKBLOCK_SIZE, *addr_of!(super::__libc_stack_end));
    }
}

/// `security_init`: the canary at `%fs:0x28` (AT_RANDOM bytes 0-7, low byte
/// zeroed so string overflows stop at it) and the pointer guard at `%fs:0x30`
/// (bytes 8-15); glibc's `_dl_setup_stack_chk_guard`/`_dl_setup_pointer_guard`.
///
/// # Safety
/// `pd` is a writable descriptor; `at_random` points at 16 readable bytes.
unsafe fn init_guards(pd: usize, at_random: usize) {
    // SAFETY: the caller's contract; AT_RANDOM has no alignment guarantee.
    let (lo, hi) = unsafe {
        (
            (at_random as *const u64).read_unaligned(),
            ((at_random + 8) as *const u64).read_unaligned(),
        )
    };
    // SAFETY: both fields are inside the descriptor.
    unsafe {
        put(pd, pthread::STACK_GUARD, lo & !0xff);
        put(pd, pthread::POINTER_GUARD, hi);
    }
}

/// Records the link map of module `modid` in the slotinfo list (glibc's
/// `_dl_add_to_slotinfo` for start-up objects, generation already stamped).
///
/// # Safety
/// Start-up, after [`setup_initial_thread`]; `map` is a live link map whose
/// `l_tls_*` fields describe module `modid`.
pub unsafe fn set_slot_map(modid: usize, map: *mut LinkMap) {
    // SAFETY: the caller's contract: the list exists and nobody reads it concurrently.
    if let Some(slot) = unsafe { find_slot(modid) } {
        // SAFETY: `slot` points into the list.
        unsafe { (*slot).map = map };
    }
}

/// Copies a module's initialization image into its static block in every
/// thread libc knows of (the `dl_stack_used` and `dl_stack_user` lists),
/// for a module `dlopen` placed in the static surplus (glibc's
/// `_dl_init_static_tls`).  The lists are walked under
/// `GL(dl_stack_cache_lock)`, which `pthread_create` and thread exit hold
/// while they link and unlink threads.
///
/// # Safety
/// Under the TLS lock, after the module is relocated.
unsafe fn init_static_block_in_all_threads(module: &TlsModule) {
    // SAFETY: the caller's contract; list nodes are embedded in live
    // `struct pthread`s, which stay listed while we hold the stack lock.
    unsafe {
        let lock = gl_at!(dl_stack_cache_lock);
        lll_lock(lock);
        for head in [gl_at!(dl_stack_used), gl_at!(dl_stack_user)] {
            let mut node = (*head).next;
            let mut guard = 0usize;
            while !node.is_null() && node != head && guard < 1 << 20 {
                let pd = (node as usize).wrapping_sub(pthread::LIST);
                let dest = pd.wrapping_sub(module.offset);
                core::ptr::copy_nonoverlapping(module.image as *const u8, dest as *mut u8, module.filesz);
                core::ptr::write_bytes(
                    (dest + module.filesz) as *mut u8,
                    0,
                    module.memsz.saturating_sub(module.filesz),
                );
                node = (*node).next;
                guard += 1;
            }
        }
        lll_unlock(lock);
    }
}

mod futex {
    pub const NR: usize = 202;
    pub const WAIT_PRIVATE: usize = 128;
    pub const WAKE_PRIVATE: usize = 129;
}

/// glibc's `lll_lock` on a private low-level lock: 0 free, 1 taken, 2 taken
/// with waiters (the protocol libc's side of the lock follows).
///
/// # Safety
/// `lock` is a valid, aligned lock word shared with libc.
unsafe fn lll_lock(lock: *mut i32) {
    use core::sync::atomic::AtomicI32;
    // SAFETY: the caller's contract.
    let word = unsafe { AtomicI32::from_ptr(lock) };
    if word
        .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
    {
        return;
    }
    while word.swap(2, Ordering::Acquire) != 0 {
        // SAFETY: FUTEX_WAIT on the lock word while it is 2; spurious wake-ups loop.
        unsafe { syscall6(futex::NR, [lock as usize, futex::WAIT_PRIVATE, 2, 0, 0, 0]) };
    }
}

/// glibc's `lll_unlock`: releases the lock, waking one waiter if any.
///
/// # Safety
/// As `lll_lock`, and the caller holds the lock.
unsafe fn lll_unlock(lock: *mut i32) {
    use core::sync::atomic::AtomicI32;
    // SAFETY: the caller's contract.
    let word = unsafe { AtomicI32::from_ptr(lock) };
    if word.swap(0, Ordering::Release) == 2 {
        // SAFETY: FUTEX_WAKE of one waiter on the lock word.
        unsafe { syscall6(futex::NR, [lock as usize, futex::WAKE_PRIVATE, 1, 0, 0, 0]) };
    }
}

/// Registers the modules a `dlopen` loaded, `(module id, record)`: each
/// slot gets its record and the next generation, then the generation is
/// published, so each thread's DTV learns of them on its next
/// `__tls_get_addr` and allocates their blocks then (glibc's
/// `_dl_add_to_slotinfo` and `update_tls_slotinfo`).  The slot table grows
/// by one more element of 62 slots whenever an id falls beyond it.  False
/// when out of memory for that.
///
/// # Safety
/// Under the TLS lock; each record's `l_tls_*` fields describe its module.
pub unsafe fn add_modules(modules: &[(usize, *mut LinkMap)]) -> bool {
    if modules.is_empty() {
        return true;
    }
    // SAFETY: the caller's contract: the slot list exists and we hold the lock.
    unsafe {
        let gen = generation() + 1;
        for &(modid, map) in modules {
            let Some(slot) = slot_or_grow(modid) else { return false };
            store_relaxed(addr_of_mut!((*slot).map) as *mut usize, map as usize);
            store_relaxed(addr_of_mut!((*slot).gen), gen);
            if modid > max_dtv_idx() {
                store_relaxed(gl_at!(dl_tls_max_dtv_idx), modid);
            }
        }
        *gl_at!(dl_tls_dtv_gaps) = has_gaps() as u8;
        AtomicUsize::from_ptr(gl_at!(dl_tls_generation)).store(gen, Ordering::Release);
    }
    true
}

/// `dlclose` (or a failed `dlopen`) unloads objects `gone`, and with them
/// modules `modids`: their slots are emptied and stamped with the next
/// generation, which is then published, so every thread frees its blocks of
/// them on its next update and the ids can be given to other objects
/// (glibc's `remove_slotinfo` and the generation bump of
/// `_dl_close_worker`).  The highest id in use and the gap flag follow;
/// `static_used` is the static area's use after the release; dynamic
/// descriptors made for the objects are freed.
pub fn remove_modules(gone: &[DsoId], modids: &[usize], static_used: usize) {
    super::dl::tls_lock(true);
    // SAFETY: under the TLS lock, the only writer of these fields and of DESCS;
    // the objects' code can no longer run.
    unsafe {
        for &owner in gone {
            free_descs_of(owner);
        }
        if modids.is_empty() {
            super::dl::tls_lock(false);
            return;
        }
        let gen = generation() + 1;
        for &modid in modids {
            let Some(slot) = find_slot(modid) else { continue };
            // A module that failed to load may never have been added.
            if (*slot).map.is_null() {
                continue;
            }
            store_relaxed(addr_of_mut!((*slot).gen), gen);
            store_relaxed(addr_of_mut!((*slot).map) as *mut usize, 0);
        }
        let nelem = *gl_at!(dl_tls_static_nelem);
        let mut max = nelem;
        for modid in (nelem + 1..=max_dtv_idx()).rev() {
            if find_slot(modid).is_some_and(|s| !(*s).map.is_null()) {
                max = modid;
                break;
            }
        }
        store_relaxed(gl_at!(dl_tls_max_dtv_idx), max);
        *gl_at!(dl_tls_dtv_gaps) = has_gaps() as u8;
        *gl_at!(dl_tls_static_used) = static_used;
        AtomicUsize::from_ptr(gl_at!(dl_tls_generation)).store(gen, Ordering::Release);
    }
    super::dl::tls_lock(false);
}

/// Whether an id below the highest in use has no module.
///
/// # Safety
/// Under the TLS lock.
unsafe fn has_gaps() -> bool {
    // SAFETY: the caller's contract.
    unsafe {
        let nelem = *gl_at!(dl_tls_static_nelem);
        (nelem + 1..max_dtv_idx()).any(|m| find_slot(m).is_none_or(|s| (*s).map.is_null()))
    }
}

/// The slot of module `modid`, adding an element to the slot list if the
/// id is just beyond its end.
///
/// # Safety
/// Under the TLS lock.
unsafe fn slot_or_grow(modid: usize) -> Option<*mut SlotInfo> {
    // SAFETY: the caller's contract: the list is well formed and only we change it.
    unsafe {
        let mut list = *gl_at!(dl_tls_dtv_slotinfo_list) as *mut SlotInfoList;
        let mut idx = modid;
        for _ in 0..=modid {
            if list.is_null() {
                return None;
            }
            let len = (*list).len;
            if idx < len {
                return Some((list.add(1) as *mut SlotInfo).add(idx));
            }
            idx -= len;
            let mut next = (*list).next;
            if next.is_null() {
                // libc frees the elements after the first with its own
                // `free` (`__libc_freeres`), so they come from its `malloc`.
                next = alloc_slotinfo_element(TLS_SLOTINFO_SURPLUS)?;
                AtomicUsize::from_ptr(addr_of_mut!((*list).next) as *mut usize).store(next as usize, Ordering::Release);
            }
            list = next;
        }
        None
    }
}

/// Where a module `dlopen` placed in the static surplus now has its block
/// (`offset`): every live thread has the space already and needs it
/// initialized now, and the record must say so, so that no thread gives the
/// module a dynamic block later (glibc's `dl_init_static_tls`).  Also for a
/// module loaded earlier that a new object's initial-exec code moved there.
///
/// # Safety
/// Under the TLS lock, after the module is relocated; `map` is its record.
pub unsafe fn place_static(module: &TlsModule, map: *mut LinkMap) {
    // SAFETY: the caller's contract.
    unsafe {
        if !map.is_null() {
            (*map).set(cur().lm.l_tls_offset, module.offset as isize);
        }
        init_static_block_in_all_threads(module);
    }
}

/// Whether object `def`'s module (id `modid`) already has a dynamic block
/// in some thread, so that initial-exec code cannot reach it.
pub fn forced_dynamic(_modid: usize, def: DsoId) -> bool {
    let map = super::map_of(def);
    // SAFETY: NULL or one of our live records; the field is written under the TLS lock, which dlopen holds.
    !map.is_null() && unsafe { (*map).get(cur().lm.l_tls_offset) } == FORCED_DYNAMIC_TLS_OFFSET
}

/// Copies every start-up module's init image into the initial thread's
/// static block and zeroes the rest: glibc's `_dl_allocate_tls_init(tcbp,
/// false)` after relocation, when the images hold their final values.
///
/// # Safety
/// Start-up, after relocation; `tp` is what [`setup_initial_thread`] returned.
pub unsafe fn init_static_blocks(tp: usize) {
    // SAFETY: the caller's contract; tp's DTV holds every start-up module.
    unsafe { allocate_tls_init(tp, false) };
}

/// From now on, TLS blocks allocated on demand and every DTV but the
/// initial one come from the program's `malloc` family and are freed with
/// its `free` (contract §10.3), as glibc's loader allocates them once
/// start-up has relocated everything.  Until this is called they come from
/// ld-rs's heap.  A DTV of the calling thread taken from ld-rs's heap
/// before (a resize while audit modules ran) moves to the program's heap,
/// so that every DTV but the initial one has one origin.
///
/// # Safety
/// The four are libc's (or the program's interposed ones), relocated and
/// callable from any thread; called once, by the only thread there is.
pub unsafe fn set_libc_allocator(calloc: usize, free: usize, malloc: usize, realloc: usize) {
    // SAFETY: start-up, one thread; its DTV is live.
    unsafe {
        let dtv = thread_dtv();
        if !dtv.is_null() && dtv as usize != load_relaxed(gl_at!(dl_initial_dtv)) {
            let cap = capacity(dtv);
            let Some(layout) = dtv_layout(cap) else { return };
            // SAFETY: the caller's contract: the program's `malloc`.
            let malloc_fn: unsafe extern "C" fn(usize) -> *mut u8 = core::mem::transmute(malloc);
            let p = malloc_fn(layout.size());
            if p.is_null() {
                // Keep ld-rs's heap for everything: still consistent.
                return;
            }
            ptr::copy_nonoverlapping(dtv.sub(1) as *const u8, p, layout.size());
            put(thread_self(), pthread::HEADER_DTV, p as usize + 16);
            alloc::alloc::dealloc(dtv.sub(1) as *mut u8, layout);
        }
    }
    LIBC_CALLOC.store(calloc, Ordering::Release);
    LIBC_REALLOC.store(realloc, Ordering::Release);
    LIBC_FREE.store(free, Ordering::Release);
    LIBC_MALLOC.store(malloc, Ordering::Release);
}

// ---------------------------------------------------------------------------
// Exported to libc
// ---------------------------------------------------------------------------

/// The slow path of `__tls_get_addr`, entered from the assembly above with a
/// 16-byte aligned stack (glibc's `__tls_get_addr_slow`).
///
/// # Safety
/// `ti` is a valid `tls_index`; called on a thread whose TCB and DTV were
/// set up here or by libc through `_dl_allocate_tls`.
unsafe extern "C" fn tls_get_addr_slow(ti: *const TlsIndex) -> *mut u8 {
    // SAFETY: the caller's contract; %fs is this thread's TCB.
    unsafe {
        let dtv = thread_dtv();
        let gen = AtomicUsize::from_ptr(gl_at!(dl_tls_generation)).load(Ordering::Acquire);
        let module = (*ti).module;
        // Re-entered from malloc or free called by an update: a start-up
        // module's entry is valid whatever the DTV's generation.
        let reentered =
            THREADS_IN_UPDATE.load(Ordering::Relaxed) > 0 && module < INITIAL_MODID_LIMIT.load(Ordering::Relaxed);
        if (*dtv).val != gen && !reentered {
            return update_get_addr(ti, gen);
        }
        if module != 0 && module <= capacity(dtv) {
            let p = (*dtv.add(module)).val;
            if p != UNALLOCATED {
                return p.wrapping_add((*ti).offset) as *mut u8;
            }
        }
        tls_get_addr_tail(ti, dtv, null_mut())
    }
}

/// `__tls_get_addr` in full, for callers that did not check the fast path
/// (the dynamic TLS descriptor's slow path).
///
/// # Safety
/// As `tls_get_addr_slow`.
unsafe extern "C" fn tls_get_addr_any(ti: *const TlsIndex) -> *mut u8 {
    // SAFETY: the caller's contract.
    unsafe {
        let dtv = thread_dtv();
        let module = (*ti).module;
        if (*dtv).val == generation() && module != 0 && module <= capacity(dtv) {
            let p = (*dtv.add(module)).val;
            if p != UNALLOCATED {
                return p.wrapping_add((*ti).offset) as *mut u8;
            }
        }
        tls_get_addr_slow(ti)
    }
}

/// Brings the DTV up to generation `gen`, then finds or allocates the block.
///
/// # Safety
/// As `tls_get_addr_slow`.
unsafe fn update_get_addr(ti: *const TlsIndex, gen: usize) -> *mut u8 {
    // SAFETY: the caller's contract.
    unsafe {
        let module = (*ti).module;
        let map = update_slotinfo(module, gen);
        let dtv = thread_dtv();
        if module == 0 || capacity(dtv) < module {
            fatal(b"__tls_get_addr: the DTV does not cover this module");
        }
        let p = (*dtv.add(module)).val;
        if p == UNALLOCATED {
            return tls_get_addr_tail(ti, dtv, map);
        }
        p.wrapping_add((*ti).offset) as *mut u8
    }
}

/// glibc's `_dl_update_slotinfo`: brings the calling thread's DTV from its
/// generation up to `new_gen`.  Every slot stamped in between was added or
/// emptied since: its entry's old block (a module since unloaded, or an
/// earlier holder of a reused id) is freed and the entry reset, the DTV
/// grown first if the id lies beyond it.  Slots stamped later are being
/// changed concurrently and are left for the next update.  Returns
/// `req_modid`'s record if its entry was reset.
///
/// # Safety
/// As `tls_get_addr_slow`; `new_gen` was read with acquire ordering.
unsafe fn update_slotinfo(req_modid: usize, new_gen: usize) -> *mut LinkMap {
    let mut the_map = null_mut();
    // SAFETY: the caller's contract: this thread's DTV, the live slotinfo list.
    unsafe {
        let mut dtv = thread_dtv();
        if (*dtv).val >= new_gen {
            return the_map;
        }
        let max_modid = max_dtv_idx();
        if req_modid == 0 || req_modid > max_modid {
            fatal(b"__tls_get_addr: no TLS module with this id");
        }
        let old_gen = (*dtv).val;
        let mut list = load_relaxed(gl_at!(dl_tls_dtv_slotinfo_list)) as *mut SlotInfoList;
        let mut base = 0usize;
        'walk: while !list.is_null() {
            let len = (*list).len;
            let slots = list.add(1) as *mut SlotInfo;
            for i in usize::from(base == 0)..len {
                let modid = base + i;
                if modid > max_modid {
                    break 'walk;
                }
                let slot = slots.add(i);
                let gen = load_relaxed(addr_of!((*slot).gen));
                if gen > new_gen || gen <= old_gen {
                    continue;
                }
                let map = load_relaxed(addr_of!((*slot).map) as *const usize) as *mut LinkMap;
                if capacity(dtv) < modid {
                    if map.is_null() {
                        continue;
                    }
                    dtv = resize_dtv(dtv, max_modid);
                    put(thread_self(), pthread::HEADER_DTV, dtv as usize);
                }
                let entry = dtv.add(modid);
                let to_free = (*entry).to_free;
                if to_free != 0 {
                    in_update(|| libc_free(to_free));
                }
                *entry = Dtv {
                    val: UNALLOCATED,
                    to_free: 0,
                };
                if modid == req_modid {
                    the_map = map;
                }
            }
            base += len;
            list = load_acquire(addr_of!((*list).next) as *const usize) as *mut SlotInfoList;
        }
        (*dtv).val = new_gen;
    }
    the_map
}

/// glibc's `tls_get_addr_tail`: the module's block is not allocated in this
/// thread.  A module with a static block gets it; others get a fresh block.
///
/// # Safety
/// As `tls_get_addr_slow`; `dtv` is this thread's current DTV.
unsafe fn tls_get_addr_tail(ti: *const TlsIndex, dtv: *mut Dtv, the_map: *mut LinkMap) -> *mut u8 {
    // SAFETY: the caller's contract; link maps in the slotinfo list are live.
    unsafe {
        let (module, offset) = ((*ti).module, (*ti).offset);
        let map = if the_map.is_null() {
            find_slot(module).map_or(null_mut(), |s| (*s).map)
        } else {
            the_map
        };
        let Some(block) = block_of(module, map) else {
            fatal(b"__tls_get_addr: no TLS module with this id");
        };
        if module == 0 || capacity(dtv) < module {
            fatal(b"__tls_get_addr: the DTV does not cover this module");
        }
        let entry = dtv.add(module);
        // Where the block goes is decided once per module, under the TLS
        // lock: a `dlopen` running in parallel may be placing the module in
        // static TLS (then its block is there in every thread), else it
        // becomes dynamic for good.
        if block.offset != FORCED_DYNAMIC_TLS_OFFSET && !map.is_null() {
            super::dl::tls_lock(true);
            let offset_now = (*map).get(cur().lm.l_tls_offset);
            if offset_now == NO_TLS_OFFSET {
                (*map).set(cur().lm.l_tls_offset, FORCED_DYNAMIC_TLS_OFFSET);
            }
            super::dl::tls_lock(false);
            if offset_now > 0 {
                let p = thread_self().wrapping_sub(offset_now as usize);
                *entry = Dtv { val: p, to_free: 0 };
                return p.wrapping_add(offset) as *mut u8;
            }
        } else if block.offset > 0 {
            let p = thread_self().wrapping_sub(block.offset as usize);
            *entry = Dtv { val: p, to_free: 0 };
            return p.wrapping_add(offset) as *mut u8;
        }
        let Some((val, to_free)) = allocate_block(&block) else {
            fatal(b"cannot allocate memory for thread-local data: ABORT");
        };
        *entry = Dtv { val, to_free };
        val.wrapping_add(offset) as *mut u8
    }
}

/// `_dl_tls_get_addr_soft` (GLRO(dl_tls_get_addr_soft)): the calling
/// thread's block of `map`'s module, or NULL if it has none or it is not
/// allocated yet.  Never allocates, never locks.
///
/// # Safety
/// `map` is NULL or a live link map; %fs is a TCB set up here or by libc.
pub unsafe extern "C" fn tls_get_addr_soft(map: *mut LinkMap) -> *mut u8 {
    if map.is_null() {
        return null_mut();
    }
    // SAFETY: the caller's contract; only this thread's DTV is read.
    unsafe {
        let modid = (*map).get(cur().lm.l_tls_modid);
        if modid == 0 {
            return null_mut();
        }
        let dtv = thread_dtv();
        if modid > capacity(dtv) {
            return null_mut();
        }
        if (*dtv).val != generation() {
            // The DTV is behind; it may still cover this module.
            let Some(slot) = find_slot(modid) else {
                return null_mut();
            };
            if (*dtv).val < load_relaxed(addr_of!((*slot).gen)) {
                return null_mut();
            }
        }
        match (*dtv.add(modid)).val {
            UNALLOCATED => null_mut(),
            p => p as *mut u8,
        }
    }
}

/// `_dl_allocate_tls`: with `mem` (libc's case: a `struct pthread` at the
/// top of a new stack, static blocks below it) install a fresh DTV and
/// initialize the blocks; with NULL also allocate the static area + TCB.
/// Returns the TCB, or NULL when out of memory.
///
/// # Safety
/// `mem` is NULL or a zeroed, writable `struct pthread` preceded by
/// `dl_tls_static_size - 2368` writable bytes, not in use by a running thread.
#[no_mangle]
pub unsafe extern "C" fn _dl_allocate_tls(mem: *mut u8) -> *mut u8 {
    // SAFETY: the caller's contract.
    unsafe {
        let tcb = if mem.is_null() {
            allocate_tls_storage()
        } else if allocate_dtv(mem as usize) {
            mem as usize
        } else {
            0
        };
        if tcb == 0 {
            return null_mut();
        }
        allocate_tls_init(tcb, true) as *mut u8
    }
}

/// `_dl_allocate_tls_init`: resets `tcb`'s DTV for the current module set
/// and copies the init images into its static blocks.  libc calls it when it
/// reuses a cached stack, after freeing the old blocks and zeroing the DTV.
///
/// # Safety
/// `tcb` is NULL or a TCB with a DTV from `_dl_allocate_tls`, whose thread is
/// not running.
#[no_mangle]
pub unsafe extern "C" fn _dl_allocate_tls_init(tcb: *mut u8, flag: bool) -> *mut u8 {
    // The same call, the opposite meaning: 2.36's flag is `init_tls` (libc
    // passes true), 2.41's `main_thread` (libc passes false).
    let init_tls = if cur().allocate_tls_init_main_thread {
        !flag
    } else {
        flag
    };
    // SAFETY: the caller's contract.
    unsafe { allocate_tls_init(tcb as usize, init_tls) as *mut u8 }
}

/// `_dl_deallocate_tls`: frees the dynamic blocks (libc's `free`), the DTV
/// unless it is the initial one, and with `dealloc_tcb` the storage that
/// `_dl_allocate_tls(NULL)` allocated.
///
/// # Safety
/// `tcb` is a TCB set up by `_dl_allocate_tls` whose thread has exited
/// (libc passes `dealloc_tcb = false` for its stacks).
#[no_mangle]
pub unsafe extern "C" fn _dl_deallocate_tls(tcb: *mut u8, dealloc_tcb: bool) {
    if tcb.is_null() {
        return;
    }
    let tcb = tcb as usize;
    // SAFETY: the caller's contract: the DTV and storage are ours and unused.
    unsafe {
        let dtv = get_dtv(tcb);
        if !dtv.is_null() {
            let cap = capacity(dtv);
            for m in 1..=cap {
                libc_free((*dtv.add(m)).to_free);
            }
            if dtv as usize != load_relaxed(gl_at!(dl_initial_dtv)) {
                if LIBC_FREE.load(Ordering::Acquire) != 0 {
                    libc_free(dtv.sub(1) as usize);
                } else if let Some(layout) = dtv_layout(cap) {
                    alloc::alloc::dealloc(dtv.sub(1) as *mut u8, layout);
                }
            }
        }
        if dealloc_tcb {
            let original: usize = get(tcb, TLS_TCB_SIZE);
            if let Some(layout) = storage_layout() {
                if original != 0 {
                    alloc::alloc::dealloc(original as *mut u8, layout);
                }
            }
        }
    }
}

/// `_dl_get_tls_static_info`: the static TLS size and alignment (used by
/// GCC's sanitizers).
///
/// # Safety
/// Each pointer is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn _dl_get_tls_static_info(size: *mut usize, align: *mut usize) {
    // SAFETY: the fields are written only at start-up; the caller's contract.
    unsafe {
        if !size.is_null() {
            *size = *glro_at!(dl_tls_static_size);
        }
        if !align.is_null() {
            *align = *glro_at!(dl_tls_static_align);
        }
    }
}

/// `__nptl_change_stack_perm`: makes a thread's stack (above its guard)
/// executable, for `pthread_create` when a loaded object needs an executable
/// stack.  Returns 0 or an errno value.
///
/// # Safety
/// `pd` is a `struct pthread` whose `stackblock`/`guardsize` describe a
/// mapping libc owns.
#[no_mangle]
pub unsafe extern "C" fn __nptl_change_stack_perm(pd: *mut u8) -> i32 {
    let pd = pd as usize;
    // SAFETY: the caller's contract; adding permissions breaks no reference.
    unsafe {
        let block: usize = get(pd, pthread::STACKBLOCK);
        let size: usize = get(pd, pthread::STACKBLOCK_SIZE);
        let guard: usize = get(pd, pthread::GUARDSIZE);
        let prot = sys::PROT_READ | sys::PROT_WRITE | sys::PROT_EXEC;
        match sys::mprotect(block.wrapping_add(guard), size.saturating_sub(guard), prot) {
            Ok(_) => 0,
            Err(e) => e.0,
        }
    }
}

// ---------------------------------------------------------------------------
// DTV and static blocks
// ---------------------------------------------------------------------------

/// The common part of `_dl_allocate_tls_init` and start-up: one DTV entry
/// per module in the slotinfo list, static blocks pointed at and filled.
/// Returns `tcb`, or 0 if `tcb` is 0.
///
/// # Safety
/// `tcb` is 0 or a TCB with a DTV installed, whose thread is the caller or
/// not running; its static area is writable.
unsafe fn allocate_tls_init(tcb: usize, init_tls: bool) -> usize {
    if tcb == 0 {
        return 0;
    }
    // SAFETY: the caller's contract.
    unsafe {
        let mut dtv = get_dtv(tcb);
        if dtv.is_null() {
            return 0;
        }
        // The slot table is read whole: no dlopen or dlclose may change it meanwhile.
        super::dl::tls_lock(true);
        let max_modid = max_dtv_idx();
        if capacity(dtv) < max_modid {
            dtv = resize_dtv(dtv, max_modid);
            put(tcb, pthread::HEADER_DTV, dtv as usize);
        }
        let mut maxgen = 0;
        for modid in 1..=max_modid {
            let Some(slot) = find_slot(modid) else { break };
            let Some(block) = block_of(modid, (*slot).map) else {
                continue;
            };
            maxgen = maxgen.max((*slot).gen);
            let entry = dtv.add(modid);
            *entry = Dtv {
                val: UNALLOCATED,
                to_free: 0,
            };
            if block.offset <= 0 || (block.offset as usize) < block.memsz {
                continue;
            }
            let dest = tcb.wrapping_sub(block.offset as usize);
            (*entry).val = dest;
            if block.ns != 0 && !init_tls {
                continue;
            }
            fill_block(dest, &block);
        }
        super::dl::tls_lock(false);
        (*dtv).val = maxgen;
    }
    tcb
}

/// Copies a module's init image to `dest` and zeroes the rest of the block.
///
/// # Safety
/// `dest` has `block.memsz` writable bytes; the image is readable.
unsafe fn fill_block(dest: usize, block: &Block) {
    let filesz = block.filesz.min(block.memsz);
    // SAFETY: the caller's contract.
    unsafe {
        ptr::copy_nonoverlapping(block.image as *const u8, dest as *mut u8, filesz);
        ptr::write_bytes(dest.wrapping_add(filesz) as *mut u8, 0, block.memsz - filesz);
    }
}

/// A module's TLS parameters: from its link map when registered, else from
/// the start-up table.  None for an unused slot.
///
/// # Safety
/// `map` is NULL or a live link map.
unsafe fn block_of(modid: usize, map: *mut LinkMap) -> Option<Block> {
    if !map.is_null() {
        // SAFETY: the caller's contract.
        let m = unsafe { &*map };
        let l = &cur().lm;
        return Some(Block {
            image: m.get(l.l_tls_initimage),
            filesz: m.get(l.l_tls_initimage_size),
            memsz: m.get(l.l_tls_blocksize),
            align: m.get(l.l_tls_align).max(1),
            offset: m.get(l.l_tls_offset),
            ns: m.l_ns,
        });
    }
    // SAFETY: STARTUP is published once, fully built, and never freed.
    let startup = unsafe { STARTUP.load(Ordering::Acquire).as_ref()? };
    let m = startup.modules.iter().find(|m| m.modid == modid)?;
    Some(Block {
        image: m.image,
        filesz: m.filesz,
        memsz: m.memsz,
        align: m.align.max(1),
        offset: m.offset as isize,
        ns: 0,
    })
}

/// A dynamic block for `block`: `(val, to_free)`.  From libc's `malloc`
/// once known (to_free set, as libc will `free` it), else from our heap
/// (to_free NULL: never freed).  The block is initialized.
///
/// # Safety
/// The module's image is readable.
unsafe fn allocate_block(block: &Block) -> Option<(usize, usize)> {
    let (size, align) = (block.memsz, block.align);
    if !align.is_power_of_two() {
        return None;
    }
    let malloc = LIBC_MALLOC.load(Ordering::Acquire);
    // Blocks aligned beyond malloc's 16 get `align` extra bytes (glibc's
    // `allocate_dtv_entry`).
    let extra = if align <= 16 { 0 } else { align };
    let total = size.checked_add(extra)?;
    let (start, to_free) = if malloc != 0 {
        // SAFETY: set_libc_allocator's contract: libc's `malloc`.
        let malloc: unsafe extern "C" fn(usize) -> *mut u8 = unsafe { core::mem::transmute(malloc) };
        // SAFETY: plain call.
        let p = in_update(|| unsafe { malloc(total) }) as usize;
        (p, p)
    } else {
        let layout = Layout::from_size_align(total.max(1), 16).ok()?;
        // SAFETY: the layout has a non-zero size.
        (unsafe { alloc::alloc::alloc(layout) } as usize, 0)
    };
    if start == 0 {
        return None;
    }
    let val = checked_round_up(start, align)?;
    // SAFETY: [val, val + size) lies in the fresh allocation of size + extra bytes.
    unsafe { fill_block(val, block) };
    Some((val, to_free))
}

/// glibc's `allocate_dtv`: a zeroed DTV of capacity `max_modid + 14`,
/// installed in `tcb`.  False when out of memory.
///
/// # Safety
/// `tcb` is a writable TCB.
unsafe fn allocate_dtv(tcb: usize) -> bool {
    // SAFETY: GL is only read.
    let cap = unsafe { max_dtv_idx() }.saturating_add(DTV_SURPLUS);
    let Some(layout) = dtv_layout(cap) else { return false };
    let calloc = LIBC_CALLOC.load(Ordering::Acquire);
    let a = if calloc != 0 {
        // SAFETY: set_libc_allocator's contract: the program's `calloc`.
        let calloc: unsafe extern "C" fn(usize, usize) -> *mut u8 = unsafe { core::mem::transmute(calloc) };
        // SAFETY: plain call.
        unsafe { calloc(layout.size() / 16, 16) }
    } else {
        // SAFETY: the layout has a non-zero size.
        unsafe { alloc::alloc::alloc_zeroed(layout) }
    } as *mut Dtv;
    if a.is_null() {
        return false;
    }
    // SAFETY: `a` has cap + 2 entries; tcb is writable (the caller's contract).
    unsafe {
        (*a).val = cap;
        put(tcb, pthread::HEADER_DTV, a.add(1) as usize);
    }
    true
}

/// glibc's `_dl_resize_dtv`: a DTV with capacity `max_modid + 14` holding
/// the old entries (the initial DTV is copied and abandoned, others are
/// reallocated).  Returns the new `&dtv[0]`; out of memory is fatal, as in
/// glibc.
///
/// # Safety
/// `dtv` is a live DTV not used concurrently.
unsafe fn resize_dtv(dtv: *mut Dtv, max_modid: usize) -> *mut Dtv {
    // SAFETY: the caller's contract.
    let old = unsafe { capacity(dtv) };
    let new = max_modid.saturating_add(DTV_SURPLUS).max(old);
    let (Some(old_layout), Some(new_layout)) = (dtv_layout(old), dtv_layout(new)) else {
        fatal(b"cannot allocate memory for thread-local data: ABORT");
    };
    // SAFETY: GL is only read.
    let initial = unsafe { load_relaxed(gl_at!(dl_initial_dtv)) };
    let (malloc, realloc) = (
        LIBC_MALLOC.load(Ordering::Acquire),
        LIBC_REALLOC.load(Ordering::Acquire),
    );
    // SAFETY: the old array spans old + 2 entries from dtv - 1; a
    // non-initial DTV came from the program's heap once it is known
    // (set_libc_allocator), else from ours with `old_layout`.
    let p = unsafe {
        if malloc != 0 {
            // SAFETY: set_libc_allocator's contract: the program's functions.
            let malloc: unsafe extern "C" fn(usize) -> *mut u8 = core::mem::transmute(malloc);
            let realloc: unsafe extern "C" fn(*mut u8, usize) -> *mut u8 = core::mem::transmute(realloc);
            in_update(|| {
                if dtv as usize == initial {
                    let p = malloc(new_layout.size());
                    if !p.is_null() {
                        ptr::copy_nonoverlapping(dtv.sub(1) as *const u8, p, old_layout.size());
                    }
                    p
                } else {
                    realloc(dtv.sub(1) as *mut u8, new_layout.size())
                }
            })
        } else if dtv as usize == initial {
            let p = alloc::alloc::alloc(new_layout);
            if !p.is_null() {
                ptr::copy_nonoverlapping(dtv.sub(1) as *const u8, p, old_layout.size());
            }
            p
        } else {
            alloc::alloc::realloc(dtv.sub(1) as *mut u8, old_layout, new_layout.size())
        }
    } as *mut Dtv;
    if p.is_null() {
        fatal(b"cannot allocate memory for thread-local data: ABORT");
    }
    // SAFETY: p has new + 2 entries, of which old + 2 were copied.
    unsafe {
        (*p).val = new;
        ptr::write_bytes(p.add(2 + old), 0, new - old);
        p.add(1)
    }
}

/// glibc's `_dl_allocate_tls_storage`: static area + TCB from our heap,
/// aligned, the TCB zeroed, the original pointer after it, and a DTV.
///
/// # Safety
/// Start-up is complete (GLRO's static size and alignment are set).
unsafe fn allocate_tls_storage() -> usize {
    // SAFETY: written only at start-up.
    let (size, align) = unsafe { (*glro_at!(dl_tls_static_size), *glro_at!(dl_tls_static_align)) };
    if size < TLS_TCB_SIZE {
        return 0;
    }
    let Some(layout) = storage_layout() else { return 0 };
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { alloc::alloc::alloc(layout) } as usize;
    if p == 0 {
        return 0;
    }
    let Some(aligned) = checked_round_up(p, align) else {
        return 0;
    };
    let tcb = aligned + size - TLS_TCB_SIZE;
    // SAFETY: [aligned, tcb + TLS_TCB_SIZE + 8) lies in the allocation of
    // size + align + 8 bytes (aligned - p < align).
    unsafe {
        ptr::write_bytes(tcb as *mut u8, 0, TLS_TCB_SIZE);
        put(tcb, TLS_TCB_SIZE, p);
        if !allocate_dtv(tcb) {
            alloc::alloc::dealloc(p as *mut u8, layout);
            return 0;
        }
    }
    tcb
}

/// The layout `allocate_tls_storage` allocates with.
fn storage_layout() -> Option<Layout> {
    // SAFETY: written only at start-up.
    let (size, align) = unsafe { (*glro_at!(dl_tls_static_size), *glro_at!(dl_tls_static_align)) };
    Layout::from_size_align(size.checked_add(align)?.checked_add(8)?, 16).ok()
}

/// The layout of a DTV array of capacity `cap` (cap + 2 entries).
fn dtv_layout(cap: usize) -> Option<Layout> {
    Layout::from_size_align(cap.checked_add(2)?.checked_mul(16)?, 16).ok()
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// The slot of module `modid` in the slotinfo list.
///
/// # Safety
/// The list in GL is NULL or well formed.
unsafe fn find_slot(modid: usize) -> Option<*mut SlotInfo> {
    let mut idx = modid;
    // SAFETY: the caller's contract.
    let mut list = unsafe { load_relaxed(gl_at!(dl_tls_dtv_slotinfo_list)) } as *mut SlotInfoList;
    // Bounded: each element holds at least one slot, so no valid id needs
    // more elements than its own value.
    for _ in 0..=modid.min(1 << 20) {
        if list.is_null() {
            return None;
        }
        // SAFETY: a list element: a header followed by `len` slots.
        unsafe {
            let len = (*list).len;
            if idx < len {
                return Some((list.add(1) as *mut SlotInfo).add(idx));
            }
            idx -= len;
            list = load_acquire(addr_of!((*list).next) as *const usize) as *mut SlotInfoList;
        }
    }
    None
}

/// A zeroed slotinfo list element with `nelem` slots, from our heap (libc's
/// `free_mem` frees only the elements after the first).
fn alloc_slotinfo_list(nelem: usize) -> Option<*mut SlotInfoList> {
    let size = nelem.checked_mul(16)?.checked_add(16)?;
    let layout = Layout::from_size_align(size, 16).ok()?;
    // SAFETY: the layout has a non-zero size.
    let list = unsafe { alloc::alloc::alloc_zeroed(layout) } as *mut SlotInfoList;
    if list.is_null() {
        return None;
    }
    // SAFETY: freshly allocated, large enough for the header.
    unsafe { (*list).len = nelem };
    Some(list)
}

/// A zeroed slot list element with `nelem` slots for growing the list:
/// from libc's `malloc` once known (libc may free it), else from our heap.
fn alloc_slotinfo_element(nelem: usize) -> Option<*mut SlotInfoList> {
    let malloc = LIBC_MALLOC.load(Ordering::Acquire);
    if malloc == 0 {
        return alloc_slotinfo_list(nelem);
    }
    let size = nelem.checked_mul(16)?.checked_add(16)?;
    // SAFETY: set_libc_allocator's contract: libc's `malloc`.
    let malloc: unsafe extern "C" fn(usize) -> *mut u8 = unsafe { core::mem::transmute(malloc) };
    // SAFETY: plain call.
    let list = in_update(|| unsafe { malloc(size) }) as *mut SlotInfoList;
    if list.is_null() {
        return None;
    }
    // SAFETY: a fresh allocation of `size` bytes.
    unsafe {
        ptr::write_bytes(list as *mut u8, 0, size);
        (*list).len = nelem;
    }
    Some(list)
}

/// glibc's `_dl_make_stacks_executable`, for a `dlopen`ed object that needs
/// an executable stack: the initial thread's stack (from `__libc_stack_end`
/// down, `PROT_GROWSDOWN`), then every other thread's and every cached
/// stack (`__nptl_change_stack_perm`), under `GL(dl_stack_cache_lock)`;
/// `GL(dl_stack_flags)` gains `PF_X`, so libc makes new threads' stacks
/// executable too.  Returns 0 or an errno value.
///
/// # Safety
/// Under the load lock, after start-up (libc's thread lists exist).
pub unsafe fn make_stacks_executable() -> i32 {
    const PROT_GROWSDOWN: usize = 0x0100_0000;
    // SAFETY: the caller's contract; list nodes are embedded in `struct
    // pthread`s that stay listed while we hold the stack lock, and adding
    // execute permission to a stack breaks no reference.
    unsafe {
        let page = (*glro_ptr()).dl_pagesize.max(4096);
        let end = *addr_of!(super::__libc_stack_end);
        let prot = sys::PROT_READ | sys::PROT_WRITE | sys::PROT_EXEC | PROT_GROWSDOWN;
        if let Err(e) = sys::mprotect(end & !(page - 1), page, prot) {
            return e.0;
        }
        *gl_at!(dl_stack_flags) |= elf::consts::PF_X;
        let lock = gl_at!(dl_stack_cache_lock);
        lll_lock(lock);
        let mut err = 0;
        for head in [gl_at!(dl_stack_used), gl_at!(dl_stack_cache)] {
            let mut node = (*head).next;
            let mut guard = 0usize;
            while err == 0 && !node.is_null() && node != head && guard < 1 << 20 {
                err = __nptl_change_stack_perm((node as usize).wrapping_sub(pthread::LIST) as *mut u8);
                node = (*node).next;
                guard += 1;
            }
        }
        lll_unlock(lock);
        err
    }
}

/// `_rtld_global`, as a raw pointer for run-time readers.
fn gl_ptr() -> *mut RtldGlobal {
    addr_of_mut!(super::_rtld_global)
}

/// `_rtld_global_ro`, as a raw pointer for run-time readers.
fn glro_ptr() -> *const RtldGlobalRo {
    addr_of!(super::_rtld_global_ro)
}

/// `GL(dl_tls_generation)`.
///
/// # Safety
/// None beyond the module's: the field is only written at start-up (and,
/// later, under the TLS lock).
unsafe fn generation() -> usize {
    // SAFETY: see above.
    unsafe { load_relaxed(gl_at!(dl_tls_generation)) }
}

/// `GL(dl_tls_max_dtv_idx)`.
///
/// # Safety
/// As `generation`.
unsafe fn max_dtv_idx() -> usize {
    // SAFETY: see above.
    unsafe { load_relaxed(gl_at!(dl_tls_max_dtv_idx)) }
}

/// A relaxed atomic load of a word shared with other threads.
///
/// # Safety
/// `p` is valid and aligned; concurrent writers use atomic stores.
unsafe fn load_relaxed(p: *const usize) -> usize {
    // SAFETY: the caller's contract.
    unsafe { AtomicUsize::from_ptr(p as *mut usize).load(Ordering::Relaxed) }
}

/// A relaxed atomic store of a word other threads read.
///
/// # Safety
/// `p` is valid and aligned.
unsafe fn store_relaxed(p: *mut usize, v: usize) {
    // SAFETY: the caller's contract.
    unsafe { AtomicUsize::from_ptr(p).store(v, Ordering::Relaxed) }
}

/// An acquire load (the slotinfo `next` links, published with release).
///
/// # Safety
/// As `load_relaxed`.
unsafe fn load_acquire(p: *const usize) -> usize {
    // SAFETY: the caller's contract.
    unsafe { AtomicUsize::from_ptr(p as *mut usize).load(Ordering::Acquire) }
}

/// `THREAD_SELF`: the calling thread's descriptor (`%fs:0x10`).
///
/// # Safety
/// `%fs` has been set up (after `setup_initial_thread`, or in a libc thread).
pub(super) unsafe fn thread_self() -> usize {
    let pd: usize;
    // SAFETY: the caller's contract: %fs:16 is the descriptor's `self` field.
    unsafe {
        asm!("mov %fs:16, {}", out(reg) pd, options(att_syntax, nostack, readonly, preserves_flags));
    }
    pd
}

/// `THREAD_DTV()`: the calling thread's `&dtv[0]` (`%fs:8`).
///
/// # Safety
/// As `thread_self`.
unsafe fn thread_dtv() -> *mut Dtv {
    let dtv: usize;
    // SAFETY: the caller's contract: %fs:8 is the descriptor's `dtv` field.
    unsafe {
        asm!("mov %fs:8, {}", out(reg) dtv, options(att_syntax, nostack, readonly, preserves_flags));
    }
    dtv as *mut Dtv
}

/// `GET_DTV(tcb)`.
///
/// # Safety
/// `tcb` is a readable TCB.
unsafe fn get_dtv(tcb: usize) -> *mut Dtv {
    // SAFETY: the caller's contract.
    unsafe { get::<usize>(tcb, pthread::HEADER_DTV) as *mut Dtv }
}

/// `dtv[-1].counter`: how many module entries the DTV has.
///
/// # Safety
/// `dtv` is a live DTV.
unsafe fn capacity(dtv: *mut Dtv) -> usize {
    // SAFETY: the caller's contract: the array starts one entry before dtv.
    unsafe { (*dtv.sub(1)).val }
}

/// Frees a `to_free` pointer with libc's `free` (every non-NULL one came
/// from libc's `malloc`).
///
/// # Safety
/// `p` is 0 or a block from libc's `malloc` not in use any more.
unsafe fn libc_free(p: usize) {
    let free = LIBC_FREE.load(Ordering::Acquire);
    if p == 0 || free == 0 {
        return;
    }
    // SAFETY: set_libc_allocator's contract: libc's `free`.
    let free: unsafe extern "C" fn(*mut u8) = unsafe { core::mem::transmute(free) };
    // SAFETY: the caller's contract.
    unsafe { free(p as *mut u8) };
}

/// Writes a field of a descriptor at `base + off`.
///
/// # Safety
/// The address is writable and aligned for `T`.
unsafe fn put<T>(base: usize, off: usize, v: T) {
    // SAFETY: the caller's contract.
    unsafe { ((base + off) as *mut T).write(v) }
}

/// Reads a field of a descriptor at `base + off`.
///
/// # Safety
/// The address is readable and aligned for `T`.
unsafe fn get<T: Copy>(base: usize, off: usize) -> T {
    // SAFETY: the caller's contract.
    unsafe { ((base + off) as *const T).read() }
}

/// `n` rounded up to a power-of-two `align`, or None on overflow.
fn checked_round_up(n: usize, align: usize) -> Option<usize> {
    if !align.is_power_of_two() {
        return None;
    }
    Some(n.checked_add(align - 1)? & !(align - 1))
}

/// Ends the process with one of glibc's fatal TLS messages.
fn fatal(msg: &[u8]) -> ! {
    sys::write_all(2, msg);
    sys::write_all(2, b"\n");
    sys::exit(127)
}
