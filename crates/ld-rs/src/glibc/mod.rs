//! Everything that exists only because glibc's `libc.so.6` expects it.
//!
//! # The private contract
//! glibc's C library and its dynamic linker are built together and share
//! state that no standard describes: libc imports `GLIBC_PRIVATE` symbols
//! from `ld-linux-x86-64.so.2` — the `_rtld_global` and `_rtld_global_ro`
//! structures, TLS allocation functions, error hooks — and reads fields of
//! those structures at fixed offsets: the CPU features its IFUNC resolvers
//! choose string functions by, the TLS sizes `pthread_create` allocates,
//! the list of loaded objects `dl_iterate_phdr` walks, the function
//! pointers behind `dlopen`.  To run unmodified glibc programs, ld-rs plays
//! that part: it exports the same symbols under the same version nodes and
//! keeps glibc-shaped records of its own state.
//!
//! The rest of the linker knows nothing of this module's shapes: it calls
//! the `Runtime` hooks (rtld.rs) at fixed points of start-up, and this module
//! translates the linker's state (objects, TLS modules, scopes) into glibc's.
//! `layout.rs` is the table of offsets for glibc 2.36; another glibc build
//! means another table.
//!
//! # Safety
//! The exported statics are shared with C code that reads and writes them
//! without Rust's knowledge.  ld-rs writes them during single-threaded
//! start-up, before any libc code runs, and afterwards only under the locks
//! libc itself uses, or not at all.

mod builds;
pub mod cpu_features;
mod diagnostics;
pub mod layout;
pub mod layouts;

use layout::{cur, Members, RDebug, RtldGlobal, RtldGlobalRo};

/// `_rtld_global@@GLIBC_PRIVATE`.
#[no_mangle]
pub static mut _rtld_global: RtldGlobal = unsafe_zeroed_gl();
/// `_rtld_global_ro@@GLIBC_PRIVATE`: written during start-up only, then
/// read-only with the rest of ld-rs's `PT_GNU_RELRO` (glibc's
/// `elf/tst-relro-ldso` wants it there: libc trusts its function pointers).
#[no_mangle]
#[link_section = ".data.rel.ro"]
pub static mut _rtld_global_ro: RtldGlobalRo = unsafe_zeroed_glro();
/// `__libc_stack_end@@GLIBC_2.2.5`: the initial stack pointer (&argc).
#[no_mangle]
pub static mut __libc_stack_end: usize = 0;
/// `__libc_enable_secure@@GLIBC_PRIVATE`: the `AT_SECURE` value.
#[no_mangle]
pub static mut __libc_enable_secure: i32 = 0;
/// `_dl_argv@@GLIBC_PRIVATE`: argv after ld.so's own options are removed.
#[no_mangle]
pub static mut _dl_argv: usize = 0;
/// `__rseq_size@@GLIBC_2.35`: how much of the thread's rseq area the kernel
/// fills, 0 if none is registered (`rseq.rs`).  Like glibc's three, written
/// at start-up only and read-only afterwards.
#[no_mangle]
#[link_section = ".data.rel.ro"]
pub static mut __rseq_size: u32 = 0;
/// `__rseq_offset@@GLIBC_2.35`: where the rseq area is from the thread pointer.
#[no_mangle]
#[link_section = ".data.rel.ro"]
pub static mut __rseq_offset: i64 = 0;
/// `__rseq_flags@@GLIBC_2.35`: always 0.
#[no_mangle]
#[link_section = ".data.rel.ro"]
pub static mut __rseq_flags: u32 = 0;
/// `_r_debug@@GLIBC_2.2.5`: the debugger's view of the link map (`<link.h>`).
#[no_mangle]
pub static mut _r_debug: RDebug = unsafe_zeroed_rdebug();
/// `__nptl_initial_report_events@@GLIBC_PRIVATE` (libthread_db sets it).
#[no_mangle]
pub static mut __nptl_initial_report_events: u8 = 0;

const fn unsafe_zeroed_gl() -> RtldGlobal {
    // SAFETY: every field is an integer, an array of them or a raw pointer: all-zero is valid.
    unsafe { core::mem::zeroed() }
}
const fn unsafe_zeroed_glro() -> RtldGlobalRo {
    // SAFETY: as above.
    unsafe { core::mem::zeroed() }
}
const fn unsafe_zeroed_rdebug() -> RDebug {
    // SAFETY: as above.
    unsafe { core::mem::zeroed() }
}

/// `_rtld_global`, for code in this module.
///
/// # Safety
/// Start-up only (single-threaded), or under the lock that guards the field used.
pub unsafe fn gl() -> &'static mut RtldGlobal {
    // SAFETY: the caller upholds exclusivity (see above).
    unsafe { &mut *core::ptr::addr_of_mut!(_rtld_global) }
}

/// `_rtld_global_ro`, for code in this module.
///
/// # Safety
/// Writes only during single-threaded start-up.
pub unsafe fn glro() -> &'static mut RtldGlobalRo {
    // SAFETY: the caller upholds exclusivity (see above).
    unsafe { &mut *core::ptr::addr_of_mut!(_rtld_global_ro) }
}

pub mod dl;
pub mod exports;
pub mod link_map;
pub mod namespace;
mod rseq;
pub mod tls;
pub mod tunables;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, Ordering};
use elf::consts::*;

use crate::diag::LoadError;
use crate::dso::{DsoId, Kind};
use crate::lookup::{Class, Query, VersionReq};
use crate::namespace::{NsId, BASE, MAX_NAMESPACES};
use crate::rtld::{Linker, Runtime};
use crate::start::Startup;
use crate::tls::StaticLayout;
use layout::LinkMap;

/// What the glibc layer keeps after start-up: the link-map records, and
/// the address ranges run-time queries (`_dl_find_object`, `dladdr`) search.
struct State {
    maps: Vec<*mut LinkMap>,
    /// Each namespace's stand-in record for ld-rs (`link_map::proxy`), NULL
    /// for the base one and for one that has none.
    proxies: [*mut LinkMap; MAX_NAMESPACES],
    /// (map start, map end, record, run-time address of PT_GNU_EH_FRAME or 0)
    ranges: Vec<(usize, usize, *mut LinkMap, usize)>,
}

static STATE: AtomicPtr<State> = AtomicPtr::new(core::ptr::null_mut());

/// Publishes a new table of records and address ranges.  The old one is
/// retired: `_dl_find_object` and `_dl_find_dso_for_object` read the table
/// without the load lock (inside `grace::read`), so it is freed only after
/// a grace period.
fn publish(ld: &Linker, maps: Vec<*mut LinkMap>, proxies: [*mut LinkMap; MAX_NAMESPACES]) {
    let ranges = ld
        .objs
        .enumerate()
        .filter(|(id, _)| maps.get(*id).is_some_and(|m| !m.is_null()))
        .map(|(id, d)| {
            let eh = d
                .phdrs
                .iter()
                .find(|p| p.p_type == PT_GNU_EH_FRAME)
                .map_or(0, |p| d.base.wrapping_add(p.p_vaddr as usize));
            (d.map_start, d.map_end, maps[id], eh)
        })
        .collect();
    let state = alloc::boxed::Box::into_raw(alloc::boxed::Box::new(State { maps, proxies, ranges }));
    let old = STATE.swap(state, Ordering::SeqCst);
    if !old.is_null() {
        // SAFETY: `old` came from `Box::into_raw` above and is no longer published.
        crate::grace::retire(unsafe { alloc::boxed::Box::from_raw(old) });
    }
}

/// After a `dlopen` relocated objects `new` into namespace `ns`, with root
/// `root` and its search list `local`: records for them, their TLS
/// modules, the namespace counters, and the debugger told.
pub fn register_new(ld: &Linker, root: DsoId, new: &[DsoId], local: &[DsoId], ns: NsId) {
    // SAFETY: STATE is published at start-up and only replaced here.
    let Some(state) = (unsafe { STATE.load(Ordering::Acquire).as_ref() }) else {
        return;
    };
    let mut maps = state.maps.clone();
    let mut proxies = state.proxies;
    // SAFETY: under the load lock (dl.rs).
    unsafe { namespace::debug_state(ns, namespace::RT_ADD) };
    dl::write_lock(true);
    let mut records = link_map::Records {
        maps: &mut maps,
        proxies: &mut proxies,
        ns,
    };
    // SAFETY: under the load lock and the write lock.
    let added = unsafe { link_map::add(ld, &mut records, root, new, local) };
    dl::write_lock(false);
    let mut modules = Vec::new();
    for &id in new {
        if let Some(t) = ld.objs[id].tls {
            // SAFETY: our record; dlopen holds the TLS lock; the module is relocated.
            unsafe {
                if t.offset != 0 {
                    tls::place_static(&t, maps[id]);
                }
            }
            modules.push((t.modid, maps[id]));
        }
    }
    sync_static_tls(ld, &maps);
    // SAFETY: under the TLS lock, which guards these fields.
    unsafe {
        gl().set(cur().gl.dl_tls_static_used, ld.tls.static_used);
        gl().set(cur().gl.dl_tls_static_optional, ld.tls.static_optional);
    }
    // SAFETY: as above.
    if !unsafe { tls::add_modules(&modules) } {
        // glibc raises "cannot create TLS data structures" before relocating;
        // out of memory this late is fatal.
        crate::sys::write_all(2, b"cannot create TLS data structures\n");
        crate::sys::exit(127);
    }
    // SAFETY: namespace counters, changed under the load lock (dl.rs).
    unsafe { gl().dl_load_adds += added as u64 };
    publish(ld, maps, proxies);
    // SAFETY: as above.
    unsafe { namespace::debug_state(ns, namespace::RT_CONSISTENT) };
}

/// Modules loaded before that relocation just placed in static TLS (the
/// initial-exec code of a `dlopen`ed library refers to their variables):
/// their records say so and their blocks are initialized in every thread
/// (glibc's `_dl_try_allocate_static_tls` for a relocated module).  Also
/// after a `dlopen` that failed later: the placement stands, as in glibc.
pub fn sync_static_tls(ld: &Linker, maps: &[*mut LinkMap]) {
    for (id, d) in ld.objs.enumerate() {
        let Some(t) = d.tls.filter(|t| t.offset != 0) else {
            continue;
        };
        let Some(&map) = maps.get(id).filter(|m| !m.is_null()) else {
            continue;
        };
        // SAFETY: one of our records, relocated; dlopen holds the TLS lock.
        unsafe {
            if (*map).get(cur().lm.l_tls_offset) <= 0 {
                tls::place_static(&t, map);
            }
        }
    }
}

/// `sync_static_tls` after a `dlopen` that failed while relocating, over
/// the records as they stand (the failed objects have none).
pub fn sync_static_tls_after_failure(ld: &Linker) {
    // SAFETY: STATE is published at start-up and only replaced under the load lock (dl.rs).
    if let Some(state) = unsafe { STATE.load(Ordering::Acquire).as_ref() } {
        sync_static_tls(ld, &state.maps);
    }
}

/// Before `dlclose` unloads objects `gone`: their records leave their
/// namespaces' lists, the other records' scopes and the address table, and
/// the debugger is told (their TLS modules are released by
/// `Linker::remove_objects`, which follows).  A namespace left with nothing
/// but ld-rs's stand-in loses that too, and is empty.  The records are
/// retired, to be freed after a grace period.
pub fn unregister(ld: &Linker, gone: &[DsoId]) {
    // SAFETY: STATE is published at start-up and only replaced under the load lock (dl.rs).
    let Some(state) = (unsafe { STATE.load(Ordering::Acquire).as_ref() }) else {
        return;
    };
    let mut maps = state.maps.clone();
    let mut proxies = state.proxies;
    let mut spaces: Vec<NsId> = gone.iter().map(|&id| ld.objs[id].ns).collect();
    spaces.sort_unstable();
    spaces.dedup();
    let mut dead: Vec<*mut LinkMap> = gone
        .iter()
        .filter_map(|&id| maps.get_mut(id).map(|m| core::mem::replace(m, core::ptr::null_mut())))
        .filter(|m| !m.is_null())
        .collect();
    // SAFETY: our records; the lists are changed only here and in `register_new`,
    // under the load lock, and walked by libc under the write lock taken here.
    unsafe {
        for &ns in &spaces {
            namespace::debug_state(ns, namespace::RT_DELETE);
        }
        dl::write_lock(true);
        let unlink = |m: *mut LinkMap| {
            let ns = (*m).l_ns as NsId;
            let slot = &mut gl().dl_ns[ns];
            let (prev, next) = ((*m).l_prev, (*m).l_next);
            if prev.is_null() {
                slot.ns_loaded = next;
            } else {
                (*prev).l_next = next;
            }
            if !next.is_null() {
                (*next).l_prev = prev;
            }
            slot.ns_nloaded = slot.ns_nloaded.saturating_sub(1);
            if slot.libc_map == m {
                slot.libc_map = core::ptr::null_mut();
            }
        };
        for &m in &dead {
            unlink(m);
        }
        // A namespace whose only record left is ld-rs's stand-in is empty.
        for &ns in &spaces {
            let p = proxies[ns];
            if ns != BASE && !p.is_null() && gl().dl_ns[ns].ns_nloaded == 1 {
                unlink(p);
                proxies[ns] = core::ptr::null_mut();
                dead.push(p);
            }
        }
        // What the survivors pointed at in the dead records: their loader,
        // and the search lists of the dead roots among their scopes.
        for &m in maps.iter().chain(proxies.iter()).filter(|m| !m.is_null()) {
            link_map::forget_dead(m, &dead);
        }
        // A global scope may have shrunk: it is its namespace's first
        // record's search list.
        for &ns in &spaces {
            let global = ld.global(ns);
            let Some(&first) = global.iter().find(|id| !gone.contains(id)) else {
                continue;
            };
            let head = gl().dl_ns[ns].ns_loaded;
            if head.is_null() || maps[first] != head {
                continue;
            }
            let records = link_map::Records {
                maps: &mut maps,
                proxies: &mut proxies,
                ns,
            };
            let list = global
                .iter()
                .filter(|id| !gone.contains(id))
                .map(|&id| records.of(ld, id))
                .filter(|m| !m.is_null())
                .collect();
            link_map::set_searchlist(head, list);
        }
        dl::write_lock(false);
    }
    publish(ld, maps, proxies);
    for &m in &dead {
        // SAFETY: unlinked from the lists, the scopes, the TLS slots and the table.
        unsafe { link_map::free_record(m) };
    }
    for &ns in &spaces {
        // SAFETY: the namespace is consistent again.
        unsafe { namespace::debug_state(ns, namespace::RT_CONSISTENT) };
    }
}

/// Brings the records' state bits up to date with the linker's.
pub fn sync(ld: &Linker) {
    // SAFETY: STATE is published once start-up built the records.
    if let Some(state) = unsafe { STATE.load(Ordering::Acquire).as_ref() } {
        link_map::sync_state(ld, &state.maps);
    }
}

/// Our link-map record for object `id` (NULL before start-up built them).
/// Under the load lock: the table changes only under it.
pub fn map_of(id: DsoId) -> *mut LinkMap {
    // SAFETY: STATE is replaced only under the load lock, which the caller holds.
    let Some(state) = (unsafe { STATE.load(Ordering::Acquire).as_ref() }) else {
        return core::ptr::null_mut();
    };
    state.maps.get(id).copied().unwrap_or(core::ptr::null_mut())
}

/// The record of object `id` as namespace `ns` lists it: its own, or for
/// ld-rs outside the base namespace, the namespace's stand-in.
pub fn map_in(id: DsoId, ns: NsId) -> *mut LinkMap {
    // One a `dlopen` is making, given to audit modules as it maps objects.
    if let Some(m) = link_map::early(id, ns) {
        return m;
    }
    let map = map_of(id);
    if ns == BASE || map.is_null() {
        return map;
    }
    // SAFETY: as in `map_of`.
    let Some(state) = (unsafe { STATE.load(Ordering::Acquire).as_ref() }) else {
        return map;
    };
    let proxy = state.proxies[ns];
    // SAFETY: a stand-in lives while its namespace has it, under the load lock.
    if !proxy.is_null() && unsafe { (*proxy).l_real } == map {
        proxy
    } else {
        map
    }
}

/// The record and eh_frame of the object whose mapping contains `addr`.
/// Lock-free: the unwinder calls it from any thread at any time.
pub fn map_containing(addr: usize) -> Option<(*mut LinkMap, usize)> {
    crate::grace::read(|| {
        // SAFETY: a published table is freed only after a grace period, and
        // this reader is inside `grace::read` while it uses it.
        let state = unsafe { STATE.load(Ordering::SeqCst).as_ref()? };
        state
            .ranges
            .iter()
            .find(|r| r.0 <= addr && addr < r.1)
            .map(|r| (r.2, r.3))
    })
}

/// The glibc personality of the linker: start-up hooks that build glibc's
/// view of the process.
#[derive(Default)]
pub struct Glibc {
    tp: usize,
}

impl Runtime for Glibc {
    fn before_relocation(&mut self, ld: &mut Linker, st: &Startup, tls_layout: StaticLayout) -> Result<(), LoadError> {
        // The release whose contract runs, from the libc.so.6 loaded: chosen
        // here, before anything of glibc's is written.
        check_libc_version(ld)?;
        tls::select_release();
        // SAFETY: single-threaded start-up; no libc code has run.
        unsafe { write_vdso_pointers(ld) };
        // SAFETY: single-threaded start-up; no libc code has run.
        unsafe {
            __libc_stack_end = st.sp as usize;
            __libc_enable_secure = (st.aux.secure != 0) as i32;
            _dl_argv = st.argv as usize;
            features();
            ld.config.original_sort = tunables::num(tunables::id::RTLD_DYNAMIC_SORT) == 1;
            ld.config.fini_first = layout::cur().fini_first;
            ld.config.audit_rules = layout::cur().audit;
            fill_glro(ld, st);
        }
        // The audit modules mapped so far are completed later, each as its
        // namespace's first `dlmopen` (`audit.rs`), which does this for them.
        let everything: Vec<DsoId> = ld
            .objs
            .ids()
            .into_iter()
            .filter(|&id| !ld.audit_ns(ld.objs[id].ns))
            .collect();
        link_map::relocate_dynamic(ld, &everything);
        let (maps, order) = link_map::build(ld);
        // SAFETY: as above.
        unsafe { fill_namespace(ld, &maps, &order) };

        let modules: Vec<crate::tls::TlsModule> = ld.tls_modules().collect();
        // The surplus has room for one namespace per audit module named
        // (by `LD_AUDIT`, `--audit` or the program's dynamic section).
        let names = ld.audit_list(ld.program());
        let naudit = names.split(|&c| c == b':').filter(|n| !n.is_empty()).count();
        let surplus = tls::static_surplus(naudit).unwrap_or_else(|supported| {
            crate::diag::Msg::new()
                .s(b"Failed loading ")
                .dec(naudit as u64)
                .s(b" audit modules, ")
                .dec(supported as u64)
                .s(b" are supported.")
                .write_line(2);
            crate::sys::exit(127)
        });
        // 2.41's rseq area is a block of static TLS (rseq.rs).
        let rseq_block = match cur().pd_rseq_area {
            Some(_) => None,
            // SAFETY: the kernel's auxiliary vector; fill_glro read the tunables.
            None => Some(unsafe { rseq::ExtraBlock::glibc_2_41(st.auxv) }),
        };
        // SAFETY: single-threaded start-up; nothing uses %fs yet.
        self.tp = unsafe { tls::setup_initial_thread(&modules, tls_layout, st.aux.random, rseq_block, surplus) }
            .map_err(|e| LoadError::new(crate::diag::LOADING, b"", e.as_bytes()))?;
        // The static TLS area libc reserves per thread, less the TCB: what
        // `dlopen`ed initial-exec code may still get a block in.
        // SAFETY: start-up; setup_initial_thread filled the field.
        ld.tls.static_limit =
            unsafe { glro().get(cur().glro.dl_tls_static_size) }.saturating_sub(layout::pthread::SIZE);
        // SAFETY: as above.
        ld.tls.static_align = unsafe { glro().get(cur().glro.dl_tls_static_align) };
        // SAFETY: as above.
        ld.tls.static_optional = unsafe { gl().get(cur().gl.dl_tls_static_optional) };
        // What the initial thread's static area holds: the modules' blocks and,
        // in 2.41, the rseq area after them.
        // SAFETY: as above.
        ld.tls.static_used = unsafe { gl().get(cur().gl.dl_tls_static_used) };
        ld.tls.runtime = Some(crate::tls::TlsRuntime {
            forced_dynamic: tls::forced_dynamic,
            dynamic_desc: tls::dynamic_desc,
            release: tls::remove_modules,
        });
        for (id, dso) in ld.objs.enumerate() {
            if let Some(t) = dso.tls {
                // SAFETY: start-up; the slot table was built by setup_initial_thread.
                unsafe { tls::set_slot_map(t.modid, maps[id]) };
            }
        }

        publish(ld, maps, [core::ptr::null_mut(); MAX_NAMESPACES]);
        Ok(())
    }

    fn vdso_loaded(&mut self, ld: &Linker) {
        let Some(v) = ld.objs.position(|d| d.kind == Kind::Vdso) else {
            return;
        };
        // The vDSO's fast paths, which libc calls instead of the system calls
        // (glibc's setup_vdso_pointers, which runs this early).  They are
        // written into `_rtld_global_ro` once the release is known
        // (`write_vdso_pointers`): its layout decides where.
        let vdso = |name: &[u8]| ld.bind_symbol(v, &[v], name, b"LINUX_2.6").unwrap_or(0);
        let found = [
            vdso(b"__vdso_clock_gettime"),
            vdso(b"__vdso_gettimeofday"),
            vdso(b"__vdso_time"),
            vdso(b"__vdso_getcpu"),
            vdso(b"__vdso_clock_getres"),
        ];
        // SAFETY: single-threaded start-up.
        unsafe { *core::ptr::addr_of_mut!(VDSO) = found };
    }

    fn relocated(&mut self, ld: &Linker) {
        // glibc's loader now trades its start-up allocator for the program's
        // `malloc` family, looked up in the global scope so that a `malloc`
        // the program or a library interposes is the one used
        // (`__rtld_malloc_init_real`).  ld-rs keeps its own heap for its
        // own bookkeeping, but what glibc's loader allocates for libc and
        // the program to see — TLS blocks and DTVs, which libc frees with
        // its `free` (contract §10.3) — comes from there from now on, all
        // four switched at once.  (Not yet the records of objects loaded
        // later, which glibc's loader allocates there too.)
        if !ld.objs.iter().any(|d| d.soname == Some(b"libc.so.6") && d.ns == BASE) {
            return;
        }
        let mut found = [0usize; 4];
        for (slot, name) in found.iter_mut().zip([&b"calloc"[..], b"free", b"malloc", b"realloc"]) {
            *slot = ld
                .bind_symbol(ld.program(), ld.global(BASE), name, b"GLIBC_2.2.5")
                .unwrap_or(0);
        }
        // glibc's loader tells audit modules of these four, as `dlsym` does.
        for name in [&b"calloc"[..], b"free", b"malloc", b"realloc"] {
            audit_binding(ld, ld.program(), name, b"GLIBC_2.2.5", true);
        }
        let [calloc, free, malloc, realloc] = found;
        if found.iter().all(|&f| f != 0) {
            // SAFETY: the program's malloc family, relocated with everything
            // else; start-up has one thread.
            unsafe { tls::set_libc_allocator(calloc, free, malloc, realloc) };
        }
    }

    fn before_init(&mut self, ld: &mut Linker, _st: &Startup) -> Result<(), LoadError> {
        // SAFETY: STATE was published in before_relocation.
        let state = unsafe { &*STATE.load(Ordering::Acquire) };
        link_map::sync_state(ld, &state.maps);
        // SAFETY: every object is relocated, so the TLS images hold final values.
        unsafe { tls::init_static_blocks(self.tp) };

        let Some(libc) = ld.objs.position(|d| d.soname == Some(b"libc.so.6") && d.ns == BASE) else {
            return Ok(());
        };
        // SAFETY: start-up; libc is relocated.
        unsafe {
            gl().dl_ns[0].libc_map = state.maps[libc];
            // glibc's loader binds its references to four error functions to
            // libc's copies (relocating itself last, in the global scope);
            // the same lookups here, from our record.  Two are used:
            // dlerror's catch, libc's own `_dl_catch_error` (contract §8.1),
            // and its `_dl_signal_error`.
            // The other two are looked up only to be reported.
            let plt = cur().loader_binds_error_functions;
            let reported =
                plt && crate::debug::on(crate::debug::BINDINGS | crate::debug::SYMBOLS | crate::debug::STATISTICS);
            let interp = ld.objs.position(|d| d.kind == Kind::Interpreter).unwrap_or(libc);
            // glibc's loader binds these through its own PLT slots, relocated
            // with libc's in the global scope: audit modules see the four.
            for name in [
                &b"_dl_catch_exception"[..],
                b"_dl_signal_exception",
                b"_dl_signal_error",
                b"_dl_catch_error",
            ] {
                if plt {
                    audit_binding(ld, interp, name, b"GLIBC_PRIVATE", false);
                }
            }
            let bind = |name: &[u8]| {
                ld.bind_symbol(interp, ld.global(BASE), name, b"GLIBC_PRIVATE")
                    .or_else(|| private_function(ld, libc, name))
            };
            if reported {
                let _ = bind(b"_dl_catch_exception");
                let _ = bind(b"_dl_signal_exception");
            }
            if plt {
                // Bound for the report, as glibc's loader binds it; errors are
                // raised through `_dl_signal_exception` (dl.rs `raise`).
                let _ = bind(b"_dl_signal_error");
                // Without the PLT (2.37 on) dlerror's catch stays ours.
                if let Some(f) = bind(b"_dl_catch_error") {
                    glro().set(cur().glro.dl_catch_error, f);
                }
            }
            // 2.36's libc raises through its own copy; from 2.37 on libc
            // has none and uses ours (exports.rs).
            let signal = private_function(ld, libc, b"_dl_signal_exception")
                .unwrap_or(exports::_dl_signal_exception as *const () as usize);
            dl::SIGNAL_EXCEPTION.store(signal, Ordering::Release);
            // The load locks are pthread mutexes, taken through libc (contract §9).
            for (name, slot) in [
                (&b"pthread_mutex_lock"[..], &dl::MUTEX_LOCK),
                (b"pthread_mutex_unlock", &dl::MUTEX_UNLOCK),
            ] {
                if let Some(f) = versioned_function(ld, libc, name, b"GLIBC_2.2.5") {
                    slot.store(f, Ordering::Release);
                }
            }
        }
        ld.load_lock = dl::load_lock;
        ld.record_mapped = |ld, id, ns| link_map::record_mapped(ld, id, ns, map_of(id));
        // GLRO(dl_naudit): libc tells the loader of its `dlsym` bindings and
        // the program's start only when it is not 0; the modules loaded count
        // (one that declines in `la_version` later is no harm: nothing calls it).
        // SAFETY: start-up, before our RELRO is protected.
        unsafe { glro().set(cur().glro.dl_naudit, ld.audit_candidates.len() as u32) };
        // libc's own start-up hook, run before any initializer (contract §7 step 9).
        if let Some(f) = private_function(ld, libc, b"__libc_early_init") {
            // SAFETY: `__libc_early_init(_Bool initial)` of the relocated libc.
            let early_init: extern "C" fn(bool) = unsafe { core::mem::transmute(f) };
            early_init(true);
        }
        // SAFETY: start-up; the debugger interface now describes a consistent map.
        unsafe {
            let r = &mut *core::ptr::addr_of_mut!(_r_debug);
            r.r_state = 0;
        }
        exports::_dl_debug_state();
        Ok(())
    }

    fn check_object(&self, ld: &Linker, id: DsoId) -> Result<(), &'static [u8]> {
        // glibc 2.36 (elf/dl-version.c): an object with DT_RELR that names
        // versions and needs libc must require GLIBC_ABI_DT_RELR, the marker
        // that its C library applies DT_RELR; the static linker adds it.
        let d = &ld.objs[id];
        if d.dynamic.get(DT_RELR).is_none() || d.dynamic.verneed.is_none() || d.dynamic.needed_count == 0 {
            return Ok(());
        }
        const HASH: u32 = 0x00fd_0e42; // elf_hash("GLIBC_ABI_DT_RELR")
        if d.needed_versions()
            .iter()
            .any(|(v, _)| v.hash == HASH && v.name == b"GLIBC_ABI_DT_RELR")
        {
            return Ok(());
        }
        if d.needed_names().any(|n| n.starts_with(b"libc.so.")) {
            return Err(b"DT_RELR without GLIBC_ABI_DT_RELR dependency");
        }
        Ok(())
    }

    fn search_caps(&mut self, st: &Startup) -> crate::search::CapsFn {
        // SAFETY: single-threaded start-up.
        unsafe { *core::ptr::addr_of_mut!(ENVIRONMENT) = (st.envp as usize, st.aux.secure != 0, st.aux.hwcap2 as u64) };
        search_caps
    }

    fn read_settings(&mut self, st: &Startup) -> bool {
        // glibc reads its tunables first thing, and 2.41's warns about bad
        // ones and may ask for secure mode (`glibc.rtld.enable_secure=1`):
        // under 2.41 they are read now, before anything else.
        // SAFETY: single-threaded start-up.
        unsafe { *core::ptr::addr_of_mut!(ENVIRONMENT) = (st.envp as usize, st.aux.secure != 0, st.aux.hwcap2 as u64) };
        if !RELEASE_CHOSEN.load(core::sync::atomic::Ordering::Relaxed) {
            select_system_release();
        }
        if layout::cur().minor < 41 {
            return false;
        }
        // SAFETY: single-threaded start-up.
        unsafe { features() };
        tunables::enable_secure_asked()
    }

    fn unsecure_env(&self) -> fn(&[u8]) -> bool {
        if layout::cur().minor >= 41 {
            |name| UNSECURE_2_41.split(|&c| c == 0).any(|n| n == name)
        } else {
            crate::config::is_unsecure
        }
    }

    fn examine_cpu(&mut self, st: &Startup) {
        // SAFETY: single-threaded start-up; the features are computed once.
        unsafe {
            *core::ptr::addr_of_mut!(ENVIRONMENT) = (st.envp as usize, st.aux.secure != 0, st.aux.hwcap2 as u64);
            features();
        }
    }

    fn launch_inputs(&mut self, st: &Startup) -> Vec<u8> {
        // The tunables can change the capability subdirectories searched
        // and the static TLS set-up; the rest of what libc reads at start-up
        // is the CPU (its hwcaps level is an input of the loader's own).
        let mut out = Vec::new();
        for entry in st.env() {
            if let Some(value) = entry.strip_prefix(b"GLIBC_TUNABLES=") {
                out.extend_from_slice(b"GLIBC_TUNABLES=");
                out.extend_from_slice(value);
                out.push(0);
            }
        }
        out
    }

    fn help_caps(&mut self, st: &Startup, prepend: Option<&[u8]>, mask: Option<&[u8]>, platform: &[u8]) -> Vec<u8> {
        select_system_release();
        // SAFETY: single-threaded start-up; the features are computed once.
        let cf = unsafe {
            *core::ptr::addr_of_mut!(ENVIRONMENT) = (st.envp as usize, st.aux.secure != 0, st.aux.hwcap2 as u64);
            features()
        };
        help_caps(&cf, prepend, mask, platform)
    }

    fn link_map_of(&self) -> fn(DsoId, NsId) -> usize {
        |id, ns| map_in(id, ns) as usize
    }

    fn open_audit_module(&mut self, ld: &mut Linker, root: DsoId) -> Result<Vec<DsoId>, Vec<u8>> {
        dl::open_audit_module(ld, root)
    }

    fn close_audit_module(&mut self, ld: &mut Linker, root: DsoId) {
        dl::close_audit_module(ld, root);
    }

    fn list_diagnostics(&mut self, st: &Startup) {
        select_system_release();
        // SAFETY: single-threaded start-up; nothing else has read the CPU yet.
        let cf = unsafe {
            *core::ptr::addr_of_mut!(ENVIRONMENT) = (st.envp as usize, st.aux.secure != 0, st.aux.hwcap2 as u64);
            features()
        };
        diagnostics::print(st, &cf);
    }

    fn list_tunables(&mut self, st: &Startup) {
        select_system_release();
        // SAFETY: single-threaded start-up; nothing else has read the CPU yet.
        unsafe {
            *core::ptr::addr_of_mut!(ENVIRONMENT) = (st.envp as usize, st.aux.secure != 0, st.aux.hwcap2 as u64);
            features();
        }
        tunables::print();
    }
}

/// `--help`'s two sections on capability subdirectories (2.41: the first
/// only), as glibc 2.36's
/// `print_hwcaps_subdirectories` and `print_legacy_hwcap_directories`
/// (elf/dl-usage.c) write them: the `glibc-hwcaps` names (those prepended,
/// then the x86-64 levels, each marked supported by the CPU, masked by
/// `--glibc-hwcaps-mask`, searched), then the legacy names (the platform,
/// `tls`, and the hardware-capability bits glibc deems important, marked
/// against `glibc.cpu.hwcap_mask`).
fn help_caps(cf: &cpu_features::CpuFeatures, prepend: Option<&[u8]>, mask: Option<&[u8]>, platform: &[u8]) -> Vec<u8> {
    fn names(l: Option<&[u8]>) -> Vec<&[u8]> {
        l.map(|l| l.split(|&c| c == b':').filter(|n| !n.is_empty()).collect())
            .unwrap_or_default()
    }
    let marks = |out: crate::diag::Msg, marks: &[(bool, &[u8])]| {
        let mut out = out;
        let mut first = true;
        for &(on, label) in marks {
            if on {
                out = out.s(if first { b" (" } else { b", " }).s(label);
                first = false;
            }
        }
        out.s(if first { &b"\n"[..] } else { b")\n" })
    };
    let mut out = crate::diag::Msg::new().s(b"\nSubdirectories of glibc-hwcaps directories, in priority order:\n");
    for name in names(prepend) {
        out = marks(out.s(b"  ").s(name), &[(true, b"searched")]);
    }
    let masked = names(mask);
    for (bit, name) in [
        (cpu_features::ISA_1_V4, &b"x86-64-v4"[..]),
        (cpu_features::ISA_1_V3, b"x86-64-v3"),
        (cpu_features::ISA_1_V2, b"x86-64-v2"),
    ] {
        let supported = active_levels(cf) & bit != 0;
        let listed = mask.is_none() || masked.contains(&name);
        out = marks(
            out.s(b"  ").s(name),
            &[
                (supported, b"supported"),
                (!listed, b"masked"),
                (supported && listed, b"searched"),
            ],
        );
    }
    if !layout::cur().legacy_hwcaps {
        // 2.37 removed them.
        return out.bytes().to_vec();
    }
    out = out.s(b"\nLegacy HWCAP subdirectories under library search path directories:\n");
    let platform = cpu_features::platform(cf).map_or(platform, |p| p.strip_suffix(b"\0").unwrap_or(p));
    if !platform.is_empty() {
        out = out.s(b"  ").s(platform).s(b" (AT_PLATFORM; supported, searched)\n");
    }
    out = out.s(b"  tls (supported, searched)\n");
    let hwcap = cpu_features::hwcap_value(cf);
    let hwcap_mask = tunables::num(tunables::id::CPU_HWCAP_MASK) as u64;
    for (bit, name) in [
        (cpu_features::HWCAP_X86_AVX512_1, &b"avx512_1"[..]),
        (cpu_features::HWCAP_X86_64, b"x86_64"),
    ] {
        out = marks(
            out.s(b"  ").s(name),
            &[
                (hwcap & bit != 0, b"supported"),
                (hwcap_mask & bit == 0, b"masked"),
                (hwcap & hwcap_mask & bit != 0, b"searched"),
            ],
        );
    }
    out.bytes().to_vec()
}

/// The CPU's features as glibc computes them, after `GLIBC_TUNABLES`
/// (`features`), and what computing them needs: the environment and
/// whether the process is privileged.
static mut FEATURES: Option<cpu_features::CpuFeatures> = None;
static mut ENVIRONMENT: (usize, bool, u64) = (0, false, 0);

/// The tunables read and the CPU's features computed, once: by whichever
/// needs them first — the library search (its glibc-hwcaps subdirectories)
/// or `fill_glro` — because CPUID traps to the hypervisor in a virtual
/// machine, where each costs microseconds.
///
/// # Safety
/// Single-threaded start-up, after `Runtime::search_caps`.
unsafe fn features() -> cpu_features::CpuFeatures {
    // SAFETY: the caller's contract: nothing else touches these statics.
    unsafe {
        let slot = &mut *core::ptr::addr_of_mut!(FEATURES);
        if let Some(f) = *slot {
            return f;
        }
        let (envp, secure, hwcap2) = *core::ptr::addr_of!(ENVIRONMENT);
        tunables::init(envp as *mut *const u8, secure);
        let f = cpu_features::init_cpu_features(hwcap2);
        *slot = Some(f);
        f
    }
}

/// The library search's capability subdirectory names, from the CPU as
/// glibc sees it: the `glibc-hwcaps` levels, best first, and the legacy names.
fn search_caps(platform: &[u8]) -> crate::search::Caps {
    {
        // The first search (for libc.so.6 itself, usually) runs before the
        // release is known from the libc loaded: the system's decides it
        // until then.
        if !RELEASE_CHOSEN.load(core::sync::atomic::Ordering::Relaxed) {
            select_system_release();
        }
        // SAFETY: the library search runs in start-up or under the load lock.
        let cf = unsafe { features() };
        let active = active_levels(&cf);
        let mut hwcaps: Vec<&'static [u8]> = Vec::new();
        for (bit, name) in [
            (cpu_features::ISA_1_V4, &b"x86-64-v4"[..]),
            (cpu_features::ISA_1_V3, b"x86-64-v3"),
            (cpu_features::ISA_1_V2, b"x86-64-v2"),
        ] {
            if active & bit != 0 {
                hwcaps.push(name);
            }
        }
        if !layout::cur().legacy_hwcaps {
            // Only the glibc-hwcaps subdirectories, and only the cache's
            // entries for them or for no capability.
            return crate::search::Caps {
                hwcaps,
                legacy: Vec::new(),
                no_legacy_dirs: true,
                isa_levels: cf.isa_1,
                legacy_allowed: 0,
                platform_mask: 0,
                platform: 0,
            };
        }
        // The legacy names: the hardware capabilities glibc deems important
        // (`HWCAP_IMPORTANT`), lowest bit first, then the platform.
        let mut legacy: Vec<Vec<u8>> = Vec::new();
        let hwcap = cpu_features::hwcap_value(&cf);
        if hwcap & cpu_features::HWCAP_X86_64 != 0 {
            legacy.push(b"x86_64".to_vec());
        }
        if hwcap & cpu_features::HWCAP_X86_AVX512_1 != 0 {
            legacy.push(b"avx512_1".to_vec());
        }
        let platform = match cpu_features::platform(&cf) {
            Some(p) => p.strip_suffix(b"\0").unwrap_or(p),
            None => platform,
        };
        legacy.push(platform.to_vec());
        // The cache's legacy entries (elf/dl-cache.c `search_cache`): one may
        // have the important capability bits `glibc.cpu.hwcap_mask` keeps,
        // `tls` and platform bits, and a platform's must be the running one
        // (sysdeps/x86/dl-procinfo.h: "haswell" and "xeon_phi" from bit 50;
        // any other platform has no bit, so no platform entry matches it).
        let mask = tunables::num(tunables::id::CPU_HWCAP_MASK) as u64;
        let platform_mask = 0xf << CACHE_FIRST_PLATFORM;
        let platform = [&b"haswell"[..], b"xeon_phi"]
            .iter()
            .position(|&p| p == platform)
            .map_or(u64::MAX, |i| 1 << (CACHE_FIRST_PLATFORM + 2 + i));
        crate::search::Caps {
            hwcaps,
            legacy,
            no_legacy_dirs: false,
            isa_levels: cf.isa_1,
            legacy_allowed: (hwcap & mask) | platform_mask | CACHE_HWCAP_TLS,
            platform_mask,
            platform,
        }
    }
}

/// The x86-64 levels whose `glibc-hwcaps` subdirectories are searched, as
/// `isa_1` bits: judged by the features usable after `glibc.cpu.hwcaps`, as
/// glibc's `_dl_hwcaps_subdirs_active` judges them (`isa_1` itself keeps the
/// level from before the tunables), and cumulative — a level counts only
/// with every lower one.
fn active_levels(cf: &cpu_features::CpuFeatures) -> u32 {
    let isa = cpu_features::isa_level(cf);
    let mut active = 0;
    for bit in [cpu_features::ISA_1_V2, cpu_features::ISA_1_V3, cpu_features::ISA_1_V4] {
        if isa & bit == 0 {
            break;
        }
        active |= bit;
    }
    active
}

/// `_DL_FIRST_PLATFORM` (x86): the cache's platform bits start here, four of them.
const CACHE_FIRST_PLATFORM: usize = 48;
/// The cache's `tls` capability bit (`_DL_HWCAP_TLS_MASK`).
const CACHE_HWCAP_TLS: u64 = 1 << 63;

/// glibc 2.41's `UNSECURE_ENVVARS` (sysdeps/generic/unsecvars.h): 2.36's
/// list without `LD_HWCAP_MASK`, with `GLIBC_TUNABLES`, the `MALLOC_…`
/// aliases (which 2.36's tunables erased themselves) and four `LD_…`.
// One blob of NUL-separated names, not an array of slices: an array of
// pointers is relocated at start-up, which makes its page private dirty memory.
const UNSECURE_2_41: &[u8] = b"GCONV_PATH\0\
    GETCONF_DIR\0\
    GLIBC_TUNABLES\0\
    HOSTALIASES\0\
    LD_AUDIT\0\
    LD_BIND_NOT\0\
    LD_BIND_NOW\0\
    LD_DEBUG\0\
    LD_DEBUG_OUTPUT\0\
    LD_DYNAMIC_WEAK\0\
    LD_LIBRARY_PATH\0\
    LD_ORIGIN_PATH\0\
    LD_PRELOAD\0\
    LD_PROFILE\0\
    LD_SHOW_AUXV\0\
    LD_VERBOSE\0\
    LD_WARN\0\
    LOCALDOMAIN\0\
    LOCPATH\0\
    MALLOC_ARENA_MAX\0\
    MALLOC_ARENA_TEST\0\
    MALLOC_MMAP_MAX_\0\
    MALLOC_MMAP_THRESHOLD_\0\
    MALLOC_PERTURB_\0\
    MALLOC_TOP_PAD_\0\
    MALLOC_TRACE\0\
    MALLOC_TRIM_THRESHOLD_\0\
    NIS_PATH\0\
    NLSPATH\0\
    RESOLV_HOST_CONF\0\
    RES_OPTIONS\0\
    TMPDIR\0\
    TZDIR";

/// Whether the release was chosen: from the system's `libc.so.6`
/// ([`select_system_release`]) or from the one loaded ([`check_libc_version`]).
static RELEASE_CHOSEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Without a program, or before its libc.so.6 is loaded, the release is the
/// system's (`builds::system_contract`): the release of the loader ld-rs
/// stands in for.
fn select_system_release() {
    RELEASE_CHOSEN.store(true, core::sync::atomic::Ordering::Relaxed);
    if let Some(c) = builds::system_contract() {
        select_release(c.layout);
    }
}

/// Makes `l` the release; what start-up computed with another release's
/// tables (the tunables, the CPU features) is computed again when next asked.
fn select_release(l: &'static layout::Layout) {
    if l.minor != layout::cur().minor {
        layout::select(l);
        // SAFETY: single-threaded start-up; nothing holds the cached value.
        unsafe { *core::ptr::addr_of_mut!(FEATURES) = None };
    }
}

/// Refuses a `libc.so.6` that is not a build ld-rs has the layout table of ([`builds`]).
/// libc's newest version node names its release.
fn check_libc_version(ld: &Linker) -> Result<(), LoadError> {
    let Some(libc) = ld.objs.iter().find(|d| d.soname == Some(b"libc.so.6")) else {
        return Ok(());
    };
    // The newest public version node: "GLIBC_2.N" with the largest N.
    let minor = |name: &[u8]| -> Option<u32> {
        let rest = name.strip_prefix(b"GLIBC_2.")?;
        let mut n = 0u32;
        for &c in rest {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n.checked_mul(10)?.checked_add((c - b'0') as u32)?;
        }
        Some(n)
    };
    let newest = libc
        .versions
        .iter()
        .filter(|v| v.file.is_empty())
        .filter_map(|v| minor(v.name).map(|m| (m, v.name)))
        .max();
    let Some((_, release)) = newest else { return Ok(()) };
    let contract = builds::select(libc, release)?;
    RELEASE_CHOSEN.store(true, core::sync::atomic::Ordering::Relaxed);
    // What start-up computed so far (the tunables, the CPU features) with
    // another release's tables is computed again, with this one's.
    select_release(contract.layout);
    Ok(())
}

/// A binding glibc's own loader makes at start-up from object `from` to
/// `name@version` in the global scope, told to the audit modules (as a
/// `dlsym`, or as a PLT slot bound at relocation).
fn audit_binding(ld: &Linker, from: DsoId, name: &[u8], version: &[u8], dlsym: bool) {
    let Some(audit) = ld.audit.as_deref() else { return };
    let q = Query {
        name,
        gnu_hash: elf::gnu_hash(name),
        version: Some(VersionReq {
            name: version,
            hash: elf::sysv_hash(version),
            hidden: false,
        }),
        class: Class::Plt,
        newest: false,
    };
    if let Some(f) = ld.lookup(ld.global(BASE), &q, None) {
        let value = ld.symbol_address(f.dso, f.sym);
        let via = if dlsym {
            crate::audit::Via::Dlsym
        } else {
            crate::audit::Via::PltNow
        };
        let _ = audit.symbind(ld, from, f.dso, f.sym, value, via);
    }
}

/// The address of `name@GLIBC_PRIVATE` defined in object `id`.
fn private_function(ld: &Linker, id: DsoId, name: &[u8]) -> Option<usize> {
    versioned_function(ld, id, name, b"GLIBC_PRIVATE")
}

/// The address of `name@version` defined in object `id`.
fn versioned_function(ld: &Linker, id: DsoId, name: &[u8], version: &[u8]) -> Option<usize> {
    let version = VersionReq {
        name: version,
        hash: elf::sysv_hash(version),
        hidden: false,
    };
    let q = Query {
        name,
        gnu_hash: elf::gnu_hash(name),
        version: Some(version),
        class: Class::Plt,
        newest: false,
    };
    let sym = ld.objs[id].find_symbol(&q)?;
    Some(ld.symbol_address(id, sym))
}

/// Fills `_rtld_global_ro` from the auxiliary vector and the CPU.
///
/// # Safety
/// Single-threaded start-up.
unsafe fn fill_glro(ld: &Linker, st: &Startup) {
    // SAFETY: the caller's contract.
    let ro = unsafe { glro() };
    ro.dl_debug_mask = crate::debug::mask() as i32;
    if st.aux.platform != 0 {
        ro.dl_platform = st.aux.platform as *const u8;
        // SAFETY: AT_PLATFORM is a NUL-terminated string on the stack.
        ro.dl_platformlen = unsafe { crate::start::cstr(ro.dl_platform) }.len();
    }
    ro.dl_pagesize = st.aux.pagesz;
    ro.dl_clktck = st.aux.clktck as i32;
    ro.dl_debug_fd = crate::debug::fd();
    ro.dl_lazy = (!ld.config.bind_now) as i32;
    ro.dl_bind_not = ld.config.bind_not as i32;
    ro.dl_fpu_control = 0x37f;
    let l = &cur().glro;
    ro.set(l.dl_hwcap2, st.aux.hwcap2 as u64);
    ro.dl_auxv = st.auxv as usize;
    // GLIBC_TUNABLES and its aliases first: the CPU features depend on them.
    // SAFETY: start-up (the caller's contract).
    let features = unsafe { features() };
    // glibc's x86 code reports its own HWCAP_X86_* bits rather than the kernel's AT_HWCAP.
    ro.dl_hwcap = cpu_features::hwcap_value(&features);
    if let Some(platform) = cpu_features::platform(&features) {
        ro.dl_platform = platform.as_ptr();
        ro.dl_platformlen = platform.len().saturating_sub(1);
    }
    features.write(ro);
    ro.dl_minsigstacksize = if st.aux.minsigstksz != 0 {
        st.aux.minsigstksz
    } else {
        cpu_features::minsigstacksize(&features)
    };
    ro.set(
        l.dl_x86_hwcap_flags,
        [*b"sse2\0\0\0\0\0", *b"x86_64\0\0\0", *b"avx512_1\0"],
    );
    if let Some(m) = cur().dl_x86_platforms {
        ro.set(
            m,
            [*b"i586\0\0\0\0\0", *b"i686\0\0\0\0\0", *b"haswell\0\0", *b"xeon_phi\0"],
        );
    }
    // libc only checks that this is not NULL (`rtld_active()`).
    ro.set(l.dl_init_all_dirs, core::ptr::addr_of!(INIT_ALL_DIRS) as usize);
    // libc's `__libc_freeres` frees the list from GL(dl_all_dirs) up to
    // that marker: with both equal there is nothing to free.
    // SAFETY: start-up, single-threaded.
    unsafe { gl().dl_all_dirs = ro.get(l.dl_init_all_dirs) };
    // glibc's `enum dso_sort_algorithm`: 0 the original, 1 the DFS (its tunable says 1 or 2).
    ro.set(l.dl_dso_sort_algo, u32::from(!ld.config.original_sort));
    ro.set(l.dl_debug_printf, exports::ldrs_debug_printf as *const () as usize);
    ro.set(l.dl_mcount, exports::_dl_mcount as *const () as usize);
    ro.set(l.dl_lookup_symbol_x, dl::dl_lookup_symbol_x as *const () as usize);
    ro.set(l.dl_open, dl::dl_open as *const () as usize);
    ro.set(l.dl_close, dl::dl_close as *const () as usize);
    ro.set(l.dl_catch_error, exports::_dl_catch_error as *const () as usize);
    ro.set(l.dl_error_free, exports::dl_error_free as *const () as usize);
    ro.set(l.dl_tls_get_addr_soft, tls::tls_get_addr_soft as *const () as usize);
    ro.set(l.dl_libc_freeres, exports::dl_libc_freeres as *const () as usize);
    ro.set(l.dl_find_object, exports::dl_find_object as *const () as usize);
    if st.aux.sysinfo_ehdr != 0 {
        ro.set(l.dl_sysinfo_dso, st.aux.sysinfo_ehdr);
    }
}

/// The vDSO functions `vdso_loaded` found: `clock_gettime`, `gettimeofday`,
/// `time`, `getcpu`, `clock_getres` (0 for none).
static mut VDSO: [usize; 5] = [0; 5];

/// Writes the vDSO's functions into `_rtld_global_ro` where the running
/// release has them.
///
/// # Safety
/// Single-threaded start-up, after the release is chosen.
unsafe fn write_vdso_pointers(ld: &Linker) {
    // SAFETY: the caller's contract.
    let (ro, found) = unsafe { (glro(), *core::ptr::addr_of!(VDSO)) };
    let l = &cur().glro;
    ro.set(l.dl_vdso_clock_gettime64, found[0]);
    ro.set(l.dl_vdso_gettimeofday, found[1]);
    ro.set(l.dl_vdso_time, found[2]);
    ro.set(l.dl_vdso_getcpu, found[3]);
    ro.set(l.dl_vdso_clock_getres_time64, found[4]);
    // 2.41: the vDSO's getrandom, which libc uses when it is there (looked
    // up only for 2.41, whose loader does; 2.36's does not).
    if let (Some(m), Some(v)) = (cur().dl_vdso_getrandom, ld.objs.position(|d| d.kind == Kind::Vdso)) {
        ro.set(
            m,
            ld.bind_symbol(v, &[v], b"__vdso_getrandom", b"LINUX_2.6").unwrap_or(0),
        );
    }
}

/// A stand-in for glibc's list of search directories: libc only tests it for NULL.
static INIT_ALL_DIRS: [usize; 4] = [0; 4];

/// Fills namespace 0 of `_rtld_global` and the debugger's `_r_debug`.
///
/// # Safety
/// Single-threaded start-up.
unsafe fn fill_namespace(ld: &Linker, maps: &[*mut LinkMap], order: &[DsoId]) {
    // SAFETY: the caller's contract.
    let (g, ro) = unsafe { (gl(), glro()) };
    let main = maps[order[0]];
    g.dl_nns = 1;
    g.dl_ns[0].ns_loaded = main;
    g.dl_ns[0].ns_nloaded = order.len() as u32;
    g.dl_ns[0].ns_main_searchlist = cur().lm.l_searchlist.ptr(main);
    g.dl_load_adds = order.len() as u64;
    g.dl_load_lock = layout::RecursiveLock::new();
    g.dl_load_write_lock = layout::RecursiveLock::new();
    g.dl_load_tls_lock = layout::RecursiveLock::new();
    // PF_R|PF_W, plus PF_X if the program or a library loaded with it asked
    // for an executable stack (libc gives new threads' stacks the same).
    let exec = ld.global(BASE).iter().any(|&id| ld.objs[id].needs_exec_stack());
    g.set(cur().gl.dl_stack_flags, PF_R | PF_W | if exec { PF_X } else { 0 });
    // SAFETY: `main` is a live record.
    ro.dl_initial_searchlist = unsafe { (*main).get(cur().lm.l_searchlist) };
    if let Some(v) = ld.objs.position(|d| d.kind == Kind::Vdso) {
        ro.set(cur().glro.dl_sysinfo_map, maps[v]);
    }
    // The debugger interface (`<link.h>`): r_brk is where gdb breaks.
    // SAFETY: the caller's contract.
    let r = unsafe { &mut *core::ptr::addr_of_mut!(_r_debug) };
    r.r_version = 1;
    r.r_map = main;
    r.r_brk = exports::_dl_debug_state as *const () as usize;
    r.r_state = 0;
    r.r_ldbase = crate::arch::own_ehdr();
    // DT_DEBUG in the program's dynamic section points debuggers at `_r_debug`.
    let prog = &ld.objs[order[0]];
    for d in prog.dynv {
        if d.d_tag == DT_NULL {
            break;
        }
        if d.d_tag == DT_DEBUG {
            let slot = core::ptr::addr_of!(d.d_val) as usize;
            if prog.writable(slot, 8) {
                // SAFETY: the entry lies in a writable segment of the program (checked).
                unsafe { (slot as *mut usize).write(r as *mut layout::RDebug as usize) };
            }
        }
    }
}
