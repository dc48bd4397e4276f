//! The run-time entry points libc's `dl*` functions reach through
//! `_rtld_global_ro`: symbol lookup (`dlsym`, `dlvsym`, and libc's own
//! look-ups in the vDSO), translated from glibc's link-map world into the
//! linker's objects and back.

use alloc::vec::Vec;

use super::layout::{cur, LinkMap, Members, ScopeElem};
use crate::dso::DsoId;
use crate::lookup::{Class, Query, VersionReq};
use elf::Sym;

/// glibc's `struct r_found_version`: a version a lookup asks for.
#[repr(C)]
pub struct FoundVersion {
    pub name: *const u8,
    pub hash: u32,
    pub hidden: i32,
    pub filename: *const u8,
}

/// `EINVAL`, the error number of a bad namespace argument.
const EINVAL: i32 = 22;

/// `DL_LOOKUP_RETURN_NEWEST`: an unversioned `dlsym` wants the default version.
const RETURN_NEWEST: i32 = 2;
/// `DL_LOOKUP_ADD_DEPENDENCY`: the caller depends on what the lookup finds.
const ADD_DEPENDENCY: i32 = 1;
/// `ELF_RTYPE_CLASS_PLT` and `ELF_RTYPE_CLASS_COPY`.
const CLASS_PLT: i32 = 1;
const CLASS_COPY: i32 = 2;

/// The object id behind one of our link-map records (we store it in `l_serial`).
///
/// # Safety
/// `map` is NULL or one of our records.
pub(super) unsafe fn dso_of(map: *const LinkMap) -> Option<DsoId> {
    // SAFETY: the caller's contract.
    unsafe { map.as_ref().map(|m| m.get(cur().lm.l_serial) as DsoId) }
}

/// `GLRO(dl_lookup_symbol_x)`: looks `name` up in each scope of the
/// NULL-terminated `scope` array, in order, skipping `skip`; stores the
/// definition in `*ref_` and returns its object's record.  When nothing is
/// found and the reference is not weak — `dlsym` passes no reference at all
/// — it raises glibc's "undefined symbol" error through libc, which is how
/// `dlsym` returns NULL with a `dlerror()` text.
///
/// # Safety
/// The pointers are libc's: `name` NUL-terminated, `scope` a NULL-terminated
/// array of our scope records, `version` NULL or a valid record, `ref_` writable.
pub unsafe extern "C" fn dl_lookup_symbol_x(
    name: *const u8,
    undef_map: *mut LinkMap,
    ref_: *mut *const Sym,
    scope: *const *const ScopeElem,
    version: *const FoundVersion,
    type_class: i32,
    flags: i32,
    skip: *mut LinkMap,
) -> *mut LinkMap {
    // SAFETY: the caller's contract.
    let result = unsafe { lookup(name, undef_map, ref_, scope, version, type_class, flags, skip) };
    match result {
        Ok(map) => map,
        // SAFETY: `raise` long-jumps to libc's catch; nothing of ours is left to drop.
        Err(raised) => unsafe { raise(raised, c"symbol lookup error".as_ptr() as *const u8) },
    }
}

/// The body of `dl_lookup_symbol_x`, with the error returned rather than raised.
///
/// # Safety
/// As `dl_lookup_symbol_x`.
#[allow(clippy::too_many_arguments, reason = "glibc's signature")]
unsafe fn lookup(
    name: *const u8,
    undef_map: *mut LinkMap,
    ref_: *mut *const Sym,
    scope: *const *const ScopeElem,
    version: *const FoundVersion,
    type_class: i32,
    flags: i32,
    skip: *mut LinkMap,
) -> Result<*mut LinkMap, Raised> {
    // SAFETY: the caller's contract for every pointer below.
    unsafe {
        let weak_ref = (*ref_).as_ref().is_some_and(|s| s.st_bind() == elf::consts::STB_WEAK);
        *ref_ = core::ptr::null();
        let Some(ld) = crate::rtld::linker() else {
            return Ok(core::ptr::null_mut());
        };
        let name = crate::start::cstr(name);
        let version = version.as_ref().filter(|v| !v.name.is_null()).map(|v| VersionReq {
            name: crate::start::cstr(v.name),
            hash: v.hash,
            hidden: v.hidden != 0,
        });
        let class = match type_class {
            CLASS_PLT => Class::Plt,
            CLASS_COPY => Class::Copy,
            _ => Class::Data,
        };
        let q = Query {
            name,
            gnu_hash: elf::gnu_hash(name),
            version,
            class,
            newest: flags & RETURN_NEWEST != 0,
        };
        let skip = dso_of(skip);
        let mut ids: Vec<DsoId> = Vec::new();
        let mut s = scope;
        while !s.is_null() && !(*s).is_null() {
            let elem = &**s;
            for i in 0..elem.r_nlist as usize {
                if let Some(id) = dso_of(*elem.r_list.add(i)) {
                    ids.push(id);
                }
            }
            s = s.add(1);
        }
        // Counted and reported (`LD_DEBUG`) on behalf of the object asking.
        // libc's `dlsym` holds the load lock, but not every caller does.
        let from = dso_of(undef_map);
        let found = crate::grace::read(|| match from {
            Some(from) => ld.lookup_from(from, &ids, &q, skip),
            None => ld.lookup(&ids, &q, skip),
        });
        // `dlsym(RTLD_DEFAULT)` and `RTLD_NEXT` (under the load lock): the
        // caller now depends on the object that defined the symbol.
        if let (Some(from), Some(f)) = (from, found) {
            if flags & ADD_DEPENDENCY != 0 {
                ld.note_binding(from, f.dso);
            }
        }
        if let Some(found) = found {
            *ref_ = found.sym;
            return Ok(super::map_of(found.dso));
        }
        if weak_ref {
            return Ok(core::ptr::null_mut());
        }
        let referrer = match undef_map.as_ref() {
            Some(m) if !m.l_name.is_null() && *m.l_name != 0 => crate::start::cstr(m.l_name),
            _ => crate::diag::progname(),
        };
        let mut msg = crate::diag::Msg::new().s(b"undefined symbol: ").s(name);
        if let Some(v) = q.version {
            msg = msg.s(b", version ").s(v.name);
        }
        crate::debug::error(referrer, crate::diag::SYMBOL_LOOKUP, msg.bytes(), false);
        Err(Raised::new(0, referrer, msg.bytes()))
    }
}

/// Raises an error through libc's `_dl_signal_exception`, which long-jumps
/// to the catch frame libc set up around the `dl*` call; returns only if
/// libc's function is not known (then the caller gets NULL).
///
/// The message goes into an exception record made by our
/// `_dl_exception_create` (one heap block, which libc frees through
/// `GLRO(dl_error_free)` when `dlerror` is done with it), and `raised`'s own
/// strings are dropped before the jump: a failed `dlopen` or `dlsym` leaves
/// nothing behind, however often a program probes.
///
/// # Safety
/// No Rust value with a destructor may be live in any frame between here and
/// libc's catch: the jump skips them.  Callers pass only what they own.
unsafe fn raise(raised: Raised, occasion: *const u8) -> *mut LinkMap {
    let f = SIGNAL_EXCEPTION.load(core::sync::atomic::Ordering::Acquire);
    if f == 0 {
        return core::ptr::null_mut();
    }
    let mut exc = super::layout::DlException {
        objname: core::ptr::null(),
        errstring: core::ptr::null(),
        message_buffer: core::ptr::null_mut(),
    };
    let errcode = raised.errcode;
    // SAFETY: both strings are NUL-terminated; `exc` is writable.
    unsafe { super::exports::_dl_exception_create(&mut exc, raised.objname.as_ptr(), raised.errstring.as_ptr()) };
    drop(raised);
    // SAFETY: libc's `_dl_signal_exception(int, struct dl_exception *, const char *)`,
    // which copies the record and does not return (the caller's contract covers
    // the frames it skips; nothing of this frame needs dropping any more).
    let signal: extern "C" fn(i32, *mut super::layout::DlException, *const u8) -> ! =
        unsafe { core::mem::transmute(f) };
    signal(errcode, &mut exc, occasion)
}

/// libc's `_dl_signal_exception`, through which a failed `dlopen` or `dlsym`
/// is reported (contract §8.1): it long-jumps to the catch frame libc set up
/// around the call, so it must be called with no Rust value left to drop.
pub static SIGNAL_EXCEPTION: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// libc's `pthread_mutex_lock` and `pthread_mutex_unlock`, for the load lock.
pub static MUTEX_LOCK: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
pub static MUTEX_UNLOCK: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Takes (`true`) or releases `GL(dl_load_lock)`, a recursive pthread mutex,
/// through libc's own functions, as glibc's ld.so does once libc is relocated:
/// `dlopen` from a constructor running under `dlopen` re-enters it.
pub fn load_lock(take: bool) {
    // SAFETY: only the lock's address is taken.
    lock(
        unsafe { core::ptr::addr_of_mut!(super::_rtld_global.dl_load_lock) },
        take,
    );
}

/// Takes or releases `GL(dl_load_write_lock)`, which `dl_iterate_phdr`
/// holds while it walks the object list: held while records are linked in
/// or out.
pub fn write_lock(take: bool) {
    // SAFETY: only the lock's address is taken.
    lock(
        unsafe { core::ptr::addr_of_mut!(super::_rtld_global.dl_load_write_lock) },
        take,
    );
}

/// Takes or releases `GL(dl_load_tls_lock)`, which guards the TLS state
/// shared by all threads (the slot table, the static area's use, each
/// module's static-or-dynamic decision): held by `dlopen` from loading
/// through publishing the new modules, by `dlclose` while it releases them,
/// by `pthread_create`'s `_dl_allocate_tls_init`, and by `__tls_get_addr`
/// when it first decides where a module's block goes (glibc's rules).
pub fn tls_lock(take: bool) {
    // SAFETY: only the lock's address is taken.
    lock(
        unsafe { core::ptr::addr_of_mut!(super::_rtld_global.dl_load_tls_lock) },
        take,
    );
}

fn lock(mutex: *mut super::layout::RecursiveLock, take: bool) {
    let f = if take { &MUTEX_LOCK } else { &MUTEX_UNLOCK }.load(core::sync::atomic::Ordering::Acquire);
    if f == 0 {
        return;
    }
    // SAFETY: libc's `int pthread_mutex_lock/unlock(pthread_mutex_t *)` on a
    // lock object in `_rtld_global`, which start-up initialized as recursive.
    unsafe {
        let f: extern "C" fn(*mut super::layout::RecursiveLock) -> i32 = core::mem::transmute(f);
        f(mutex);
    }
}

/// A loader error: the NUL-terminated strings of the exception it becomes.
struct Raised {
    errcode: i32,
    objname: Vec<u8>,
    errstring: Vec<u8>,
}

impl Raised {
    fn new(errcode: i32, objname: &[u8], errstring: &[u8]) -> Raised {
        let cstr = |s: &[u8]| {
            let mut v = Vec::with_capacity(s.len() + 1);
            v.extend_from_slice(s);
            v.push(0);
            v
        };
        Raised {
            errcode,
            objname: cstr(objname),
            errstring: cstr(errstring),
        }
    }

    fn from(e: crate::diag::LoadError) -> Raised {
        Raised::new(e.errno.map_or(0, |n| n.0), &e.object, &e.message)
    }
}

/// `GLRO(dl_open)`: `dlopen(file, mode)` (namespace `LM_ID_CALLER`),
/// `dlmopen(nsid, file, mode)` and libc's internal `__libc_dlopen_mode`.
/// Returns the object's record, NULL for `RTLD_NOLOAD` of an object not
/// loaded, or raises the error through libc.
///
/// # Safety
/// `file` is NUL-terminated; called by libc with its dlopen contract.
pub unsafe extern "C" fn dl_open(
    file: *const u8,
    mode: i32,
    caller: usize,
    nsid: i64,
    _argc: i32,
    _argv: *mut *mut u8,
    _env: *mut *mut u8,
) -> *mut LinkMap {
    load_lock(true);
    // SAFETY: the caller's contract.
    let result = unsafe { open(file, mode, caller, nsid) };
    // The cache is read again by the next dlopen that needs it, as glibc's
    // loader rereads it (`ld_cache.rs`), whether this one succeeded or not.
    if let Some(ld) = crate::rtld::linker() {
        ld.cache.release();
    }
    // What a failed load retired is freed now, not at the next change.
    crate::grace::reclaim();
    // Released before any error is raised: the long jump must not skip it.
    load_lock(false);
    match result {
        Ok(map) => map,
        // SAFETY: every Rust value of this call has been dropped; `raise` long-jumps to libc.
        Err(raised) => unsafe { raise(raised, core::ptr::null()) },
    }
}

/// The body of `dl_open`, with every error returned rather than raised.
///
/// # Safety
/// As `dl_open`.
unsafe fn open(file: *const u8, flags: i32, caller: usize, nsid: i64) -> Result<*mut LinkMap, Raised> {
    let Some(ld) = crate::rtld::linker() else {
        return Ok(core::ptr::null_mut());
    };
    // SAFETY: the caller's contract.
    let name = unsafe { crate::start::cstr(file) };
    // One of RTLD_LAZY and RTLD_NOW is required (glibc's `_dl_open`).
    if flags & crate::dl::mode::RTLD_BINDING_MASK == 0 {
        return Err(Raised::new(EINVAL, name, b"invalid mode for dlopen()"));
    }
    if name.is_empty() {
        // dlopen(NULL) / dlopen(""): the program itself.
        return Ok(super::map_of(ld.dl_open_program()));
    }
    // Memory for the bookkeeping even if the kernel refuses some later
    // (`alloc.rs`): without it, fail before anything is loaded.
    if !crate::heap::replenish() {
        return Err(Raised::new(0, name, b"cannot allocate memory"));
    }
    crate::heap::take_shortage();
    let caller = super::map_containing(caller)
        // SAFETY: records from our table.
        .and_then(|(m, _)| unsafe { dso_of(m) })
        .unwrap_or(ld.program());
    // SAFETY: `dl_open` holds the load lock.
    let ns = unsafe { super::namespace::target(ld, nsid, caller) }.map_err(|why| Raised::new(EINVAL, name, why))?;
    // Loading, relocating and publishing the new TLS modules under the TLS
    // lock (glibc's `dl_open_worker`); initializers run without it.
    tls_lock(true);
    ld.root_uncalled = nsid != super::namespace::LM_ID_CALLER && name.contains(&b'/') && !name.contains(&b'$');
    let loaded = load_and_relocate(ld, name, flags, caller, ns);
    ld.root_uncalled = false;
    tls_lock(false);
    let opened = match loaded? {
        Some(o) => o,
        None => return Ok(core::ptr::null_mut()),
    };
    // SAFETY: the new objects are relocated; under the load lock.
    unsafe {
        super::namespace::start_libc(ld, ns, &opened.new);
        ld.dl_init(opened.root, &opened.local);
    }
    super::sync(ld);
    let map = super::map_of(opened.root);
    // SAFETY: one of our records.
    unsafe { (*map).set(cur().lm.l_direct_opencount, ld.objs[opened.root].open_count as u32) };
    Ok(map)
}

/// The part of `open` under the TLS lock: the objects loaded, relocated
/// and registered with libc.  `None` for `RTLD_NOLOAD` of an object not loaded.
fn load_and_relocate(
    ld: &mut crate::rtld::Linker,
    name: &[u8],
    flags: i32,
    caller: DsoId,
    ns: crate::namespace::NsId,
) -> Result<Option<crate::dl::Opened>, Raised> {
    if let Some(a) = ld.audit.as_deref_mut() {
        a.discard();
    }
    let loaded = load_relocate_register(ld, name, flags, caller, ns);
    if loaded.is_err() {
        // SAFETY: under the load lock; the modules saw these records close.
        unsafe { super::link_map::drop_early() };
        if let Some(a) = ld.audit.as_deref_mut() {
            a.discard();
        }
    }
    loaded
}

/// `load_and_relocate`'s work.
fn load_relocate_register(
    ld: &mut crate::rtld::Linker,
    name: &[u8],
    flags: i32,
    caller: DsoId,
    ns: crate::namespace::NsId,
) -> Result<Option<crate::dl::Opened>, Raised> {
    let opened = match ld.dl_load(name, flags, caller, ns) {
        Ok(Some(o)) => o,
        Ok(None) => return Ok(None),
        Err(e) => return Err(Raised::from(e)),
    };
    // Everything mapped: the namespace is consistent again, which the
    // modules hear before anything is relocated, or after (by the
    // release's rule).  An object opened as a root for the first time (one
    // loaded so far only as a dependency: the root of a dlopen, and the
    // program, have their search list) some releases report even when
    // nothing was added.
    let first_root = ld.objs[opened.root].initfini.is_none() && ld.objs[opened.root].kind != crate::dso::Kind::Main;
    let alone = (ld.config.audit_rules.consistent_alone && first_root)
        .then(|| ld.namespace_head(ns))
        .flatten();
    let after_relocation = ld.config.audit_rules.consistent_after_relocation;
    if let Some(a) = ld
        .audit
        .as_deref_mut()
        .filter(|a| !a.loading_module() && !after_relocation)
    {
        a.opened(alone);
    }
    // A new object that needs an executable stack gets one, in every
    // thread, as glibc 2.36 gives it (or the load fails in glibc's words);
    // glibc 2.41 no longer changes the stacks of a running process: the
    // load fails with EINVAL.
    // SAFETY: one of our records, under the load lock.
    let exec = unsafe { super::gl().get(cur().gl.dl_stack_flags) } & elf::consts::PF_X != 0;
    if let Some(&id) = opened.new.iter().find(|&&id| !exec && ld.objs[id].needs_exec_stack()) {
        const EINVAL: i32 = 22;
        let err = if cur().dlopen_makes_stacks_executable {
            // SAFETY: under the load lock, after start-up.
            unsafe { super::tls::make_stacks_executable() }
        } else {
            EINVAL
        };
        if err != 0 {
            let e = crate::diag::LoadError::new(
                crate::diag::LOADING,
                &ld.objs[id].requested,
                b"cannot enable executable stack as shared object requires",
            )
            .with_errno(crate::sys::Errno(err));
            return Err(Raised::from(ld.dl_discard(e)));
        }
    }
    super::link_map::relocate_dynamic(ld, &opened.new);
    let bind_now = ld.config.bind_now;
    if flags & crate::dl::mode::RTLD_NOW != 0 {
        ld.config.bind_now = true;
    }
    let relocated = ld.dl_relocate(&opened);
    ld.config.bind_now = bind_now;
    if let Err(e) = relocated {
        super::sync_static_tls_after_failure(ld);
        return Err(Raised::from(ld.dl_discard(e)));
    }
    // The kernel refused memory and the heap's reserve stood in: the load
    // is undone, as glibc's fails when its malloc does.
    if crate::heap::take_shortage() && !opened.new.is_empty() {
        super::sync_static_tls_after_failure(ld);
        let e = crate::diag::LoadError::new(crate::diag::LOADING, name, b"cannot allocate memory");
        return Err(Raised::from(ld.dl_discard(e)));
    }
    super::register_new(ld, opened.root, &opened.new, &opened.local, ns);
    // An audit module's load tells the modules before it once its records
    // are complete.
    if let Some(a) = ld
        .audit
        .as_deref_mut()
        .filter(|a| a.loading_module() || after_relocation)
    {
        a.opened(alone);
    }
    Ok(Some(opened))
}

/// Completes the load of audit module `root`, mapped by start-up into a
/// namespace of its own, as glibc's loader `dlmopen`s it (`audit.rs`):
/// what it needs loaded into that namespace, everything relocated, the
/// namespace's C library started as a secondary one and the initializers
/// run.  Returns the module's search list, or the error's text.
pub fn open_audit_module(ld: &mut crate::rtld::Linker, root: DsoId) -> Result<Vec<DsoId>, Vec<u8>> {
    let ns = ld.objs[root].ns;
    let name = ld.objs[root].requested.clone();
    let caller = ld
        .objs
        .position(|d| d.kind == crate::dso::Kind::Interpreter)
        .unwrap_or(ld.program());
    load_lock(true);
    // SAFETY: under the load lock; the namespace was free when start-up
    // mapped the module into it.
    unsafe { super::namespace::open_slot(ns) };
    tls_lock(true);
    let loaded = load_and_relocate(ld, &name, crate::dl::mode::RTLD_LAZY, caller, ns);
    tls_lock(false);
    let result = match loaded {
        Ok(Some(opened)) => {
            // SAFETY: the new objects are relocated; under the load lock.
            unsafe {
                super::namespace::start_libc(ld, ns, &opened.new);
                ld.dl_init(opened.root, &opened.local);
            }
            super::sync(ld);
            let map = super::map_of(opened.root);
            // SAFETY: one of our records.
            unsafe { (*map).set(cur().lm.l_direct_opencount, ld.objs[opened.root].open_count as u32) };
            Ok(opened.local)
        }
        Ok(None) => Err(b"cannot open shared object file".to_vec()),
        Err(mut raised) => {
            raised.errstring.pop();
            Err(raised.errstring)
        }
    };
    ld.cache.release();
    crate::grace::reclaim();
    load_lock(false);
    result
}

/// Unloads audit module `root` (opened by `open_audit_module`), which
/// declined, with what it alone needed: glibc's loader closes it.
pub fn close_audit_module(ld: &mut crate::rtld::Linker, root: DsoId) {
    load_lock(true);
    if let Ok(mut again) = ld.dl_close(root) {
        let mut closed = Some(root);
        while again {
            let unloaded = ld.collect_unused(&pinned, closed.take());
            if !unloaded.is_empty() {
                super::unregister(ld, &unloaded);
                ld.remove_objects(&unloaded);
            }
            again = core::mem::take(&mut ld.close_again);
        }
    }
    crate::grace::reclaim();
    load_lock(false);
}

/// Whether libc still has work for object `id`: `thread_local` destructors
/// registered through `__cxa_thread_atexit_impl`, which counts them in the
/// record's `l_tls_dtor_count` (and decrements it as they run).  The object
/// stays loaded until they have run.
fn pinned(id: DsoId) -> bool {
    let map = super::map_of(id);
    // SAFETY: one of our live records (under the load lock); libc changes the
    // count atomically, so it is read atomically.
    !map.is_null()
        && unsafe {
            (*(cur().lm.l_tls_dtor_count.ptr(map) as *const core::sync::atomic::AtomicUsize))
                .load(core::sync::atomic::Ordering::Acquire)
        } != 0
}

/// `GLRO(dl_close)`: `dlclose(handle)`.  Raises "shared object not open"
/// through libc for a handle with no open reference left.
///
/// # Safety
/// `map` is a handle `dl_open` returned.
pub unsafe extern "C" fn dl_close(map: *mut u8) {
    let map = map as *mut LinkMap;
    let Some(ld) = crate::rtld::linker() else { return };
    // SAFETY: the caller's contract.
    let Some(id) = (unsafe { dso_of(map) }) else { return };
    load_lock(true);
    // A handle that is not one of our records (say, zeroed memory, whose
    // serial number names the program) is not open.
    let ours = super::map_of(id) == map;
    let closed = match if ours { ld.dl_close(id) } else { Err(()) } {
        Ok(collect) => {
            // SAFETY: one of our records, not freed before `reclaim` below.
            unsafe { (*map).set(cur().lm.l_direct_opencount, ld.objs[id].open_count as u32) };
            let mut again = collect;
            // The object closed here; a collection a finalizer's dlclose
            // asks for is glibc's rerun, which has none.
            let mut closed = Some(id);
            while again {
                let unloaded = ld.collect_unused(&pinned, closed.take());
                if !unloaded.is_empty() {
                    // The modules saw each object close and the namespace
                    // shrink (collect_unused); now it settles.  A namespace
                    // is named by its first object; one left empty gets no
                    // LA_ACT_CONSISTENT (it has no name).
                    let ns = ld.objs[unloaded[0]].ns;
                    super::unregister(ld, &unloaded);
                    ld.remove_objects(&unloaded);
                    let head = ld.namespace_head(ns);
                    if let (Some(a), Some(h)) = (ld.audit.as_deref_mut(), head) {
                        a.activity(h, crate::audit::LA_ACT_CONSISTENT);
                    }
                }
                again = core::mem::take(&mut ld.close_again);
            }
            true
        }
        Err(()) => false,
    };
    // The unloaded objects' records and mappings, once no reader can hold them.
    crate::grace::reclaim();
    // Released before any error is raised: the long jump must not skip it.
    load_lock(false);
    if !closed {
        // SAFETY: what the caller passed as a handle: its name field is NULL
        // (zeroed memory, which is not open) or a C string.
        let objname = unsafe {
            (*map)
                .l_name
                .as_ref()
                .map_or(&b""[..], |_| crate::start::cstr((*map).l_name))
        };
        let raised = Raised::new(0, objname, b"shared object not open");
        // SAFETY: nothing of ours is left to drop; `raise` long-jumps to libc's catch.
        unsafe { raise(raised, core::ptr::null()) };
    }
}
