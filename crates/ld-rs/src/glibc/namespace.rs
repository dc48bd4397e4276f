//! glibc's records of link-map namespaces: `_rtld_global._dl_ns[]`, the
//! debugger's chain of `r_debug` records, and the second C library a new
//! namespace gets.
//!
//! # What libc and gdb read
//! Each namespace has a slot in `GL(dl_ns)` (`struct link_namespaces`):
//! `_ns_loaded`, the head of its list of `struct link_map` records (linked
//! by `l_next`/`l_prev`, each with `l_ns` naming the namespace), and
//! `_ns_nloaded`, their number.  `GL(dl_nns)` is one past the highest slot
//! ever used; `dl_iterate_phdr` walks every slot below it to find the
//! caller's namespace and reports that namespace's list, `dlinfo`'s
//! `RTLD_DI_LMID` returns `l_ns`.  A namespace other than the base one
//! lists ld-rs through a stand-in record whose `l_real` is the real one
//! (`link_map::proxy`).
//!
//! Debuggers find the lists through `_r_debug` (`DT_DEBUG` points at it).
//! Since glibc 2.35 it is a `struct r_debug_extended`: the base namespace's
//! record, with `r_next` chaining the records of the other namespaces (each
//! in its slot's `_ns_debug`).  Once a second namespace exists `_r_debug`'s
//! `r_version` is 2, which tells gdb to follow `r_next`.  A record joins
//! the chain the first time its namespace is used and never leaves it: an
//! emptied namespace has `r_map` NULL (glibc's `_dl_debug_initialize`).
//!
//! # The second libc
//! A `libc.so.6` loaded into a new namespace is a separate copy with its
//! own data: its `__libc_early_init` is called with `false` before any
//! initializer, so it knows it is not the process's first C library — it
//! leaves `__libc_single_threaded` false and its `malloc` does not extend
//! the heap with `sbrk`, which belongs to the first (glibc's
//! elf/libc_early_init.c and `__libc_initial`).  The slot's `libc_map`
//! names it.

use super::layout::RDebug;
use super::{exports, gl};
use crate::dso::DsoId;
use crate::namespace::{NsId, BASE, MAX_NAMESPACES};
use crate::rtld::Linker;

/// `dlmopen`'s namespace arguments (`<dlfcn.h>`): the program's namespace,
/// a new one, and (libc's private value for `dlopen`) the caller's.
pub const LM_ID_BASE: i64 = 0;
pub const LM_ID_NEWLM: i64 = -1;
pub const LM_ID_CALLER: i64 = -2;

/// `r_state` values (`<link.h>`).
pub const RT_CONSISTENT: i32 = 0;
pub const RT_ADD: i32 = 1;
pub const RT_DELETE: i32 = 2;

/// The namespace a `dlopen` or `dlmopen` works in, as glibc's `_dl_open`
/// chooses it: the caller's (`LM_ID_CALLER`), a namespace that holds nothing
/// (`LM_ID_NEWLM`, which also makes it known to libc and the debugger), or
/// one in use.  The error text is glibc's.
///
/// # Safety
/// Under the load lock.
pub unsafe fn target(ld: &Linker, nsid: i64, caller: DsoId) -> Result<NsId, &'static [u8]> {
    // SAFETY: the caller holds the load lock, which guards these fields.
    let g = unsafe { gl() };
    match nsid {
        LM_ID_CALLER => Ok(ld.objs[caller].ns),
        LM_ID_NEWLM => {
            let ns = ld
                .free_namespace()
                .ok_or(&b"no more namespaces available for dlmopen()"[..])?;
            // SAFETY: as above.
            unsafe { open_slot(ns) };
            Ok(ns)
        }
        LM_ID_BASE => Ok(BASE),
        n if n < 0 || n as usize >= g.dl_nns.min(MAX_NAMESPACES) || g.dl_ns[n as usize].ns_nloaded == 0 => {
            Err(b"invalid target namespace in dlmopen()")
        }
        n => Ok(n as NsId),
    }
}

/// Makes namespace `ns`, which holds nothing of libc's yet, known to libc
/// and the debugger (glibc's `_dl_open` for `LM_ID_NEWLM`).
///
/// # Safety
/// Under the load lock; `0 < ns < MAX_NAMESPACES`.
pub unsafe fn open_slot(ns: NsId) {
    // SAFETY: the caller's contract.
    let g = unsafe { gl() };
    g.dl_nns = g.dl_nns.max(ns + 1);
    g.dl_ns[ns].libc_map = core::ptr::null_mut();
    // SAFETY: as above.
    unsafe { (*debug_initialize(ns)).r_state = RT_CONSISTENT };
}

/// The debugger's record of namespace `ns`: `_r_debug` for the base one,
/// the slot's `_ns_debug` for another.
///
/// # Safety
/// Under the load lock (or single-threaded start-up); `ns < MAX_NAMESPACES`.
pub unsafe fn debug_of(ns: NsId) -> *mut RDebug {
    if ns == BASE {
        core::ptr::addr_of_mut!(super::_r_debug)
    } else {
        // SAFETY: the caller's contract; only an address is taken.
        unsafe { core::ptr::addr_of_mut!(gl().dl_ns[ns].ns_debug) }
    }
}

/// Namespace `ns`'s debugger record, made ready as glibc's
/// `_dl_debug_initialize` makes it: the first time, another namespace's
/// record gets version 2, the loader's base address and breakpoint, and is
/// appended to the chain from `_r_debug` (whose version becomes 2); its
/// `r_map` follows the namespace's list head when it has none.
///
/// # Safety
/// Under the load lock; `ns < MAX_NAMESPACES`.
pub unsafe fn debug_initialize(ns: NsId) -> *mut RDebug {
    // SAFETY: the caller's contract: these records change under the load lock only.
    unsafe {
        let base = &mut *debug_of(BASE);
        let r = &mut *debug_of(ns);
        if ns != BASE && r.r_brk == 0 {
            r.r_version = 2;
            r.r_ldbase = base.r_ldbase;
            r.r_brk = exports::_dl_debug_state as *const () as usize;
            r.r_next = 0;
            r.r_map = gl().dl_ns[ns].ns_loaded;
            // The end of the chain; a debugger may be walking it, so the
            // new record is complete before it is linked.
            let mut last: *mut RDebug = base;
            while (*last).r_next != 0 {
                last = (*last).r_next as *mut RDebug;
            }
            core::sync::atomic::fence(core::sync::atomic::Ordering::Release);
            (*last).r_next = r as *mut RDebug as usize;
            base.r_version = 2;
        }
        if r.r_map.is_null() {
            r.r_map = gl().dl_ns[ns].ns_loaded;
        }
        r
    }
}

/// Tells the debugger, through namespace `ns`'s record, that the list is
/// changing (`RT_ADD`, `RT_DELETE`) or consistent again.
///
/// # Safety
/// Under the load lock; `ns < MAX_NAMESPACES`.
pub unsafe fn debug_state(ns: NsId, state: i32) {
    // SAFETY: the caller's contract.
    unsafe {
        let r = &mut *debug_initialize(ns);
        r.r_map = gl().dl_ns[ns].ns_loaded;
        r.r_state = state;
    }
    exports::_dl_debug_state();
}

/// After a `dlopen` relocated objects `new` into namespace `ns`: if they
/// include the namespace's first `libc.so.6`, it becomes the slot's
/// `libc_map` and is initialized as a secondary C library
/// (`__libc_early_init(false)`), before any initializer runs.
///
/// # Safety
/// Under the load lock; the objects are relocated.
pub unsafe fn start_libc(ld: &Linker, ns: NsId, new: &[DsoId]) {
    let Some(&libc) = new.iter().find(|&&id| ld.objs[id].soname == Some(b"libc.so.6")) else {
        return;
    };
    // SAFETY: the caller's contract.
    let slot = unsafe { &mut gl().dl_ns[ns] };
    if !slot.libc_map.is_null() {
        return;
    }
    slot.libc_map = super::map_of(libc);
    // Only start-up initializes the process's first C library (`true`).
    if let Some(f) = super::private_function(ld, libc, b"__libc_early_init") {
        // SAFETY: `__libc_early_init(_Bool initial)` of a relocated libc.
        let early_init: extern "C" fn(bool) = unsafe { core::mem::transmute(f) };
        early_init(false);
    }
}
