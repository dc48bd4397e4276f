//! The run-time linker auditing interface (`rtld-audit(7)`, version 2):
//! modules named by `LD_AUDIT` or `--audit` that the linker tells about
//! every object it searches for, opens and closes, and about the program's
//! start.
//!
//! # Namespaces
//! As glibc's loader does, each module is loaded into a namespace of its own
//! (`dlmopen` with `LM_ID_NEWLM`), with its own copy of what it needs — its
//! own C library above all, started as a secondary one — so that nothing of
//! a module's interposes on the program, and no two modules share state.  A
//! module is told of the objects of every namespace but its own and those of
//! the modules after it: the modules registered before it see its objects
//! open (with its namespace's number) and its namespace become consistent,
//! as glibc's loader reports them while it loads the module; after that its
//! namespace is silent (no activity, open or close reaches any module, and
//! its objects' bindings and calls are never watched).  The namespaces are
//! glibc's (16 in all, the base one included): a module for which none is
//! left is refused with glibc's "no more namespaces available for
//! dlmopen()".  At exit the modules' namespaces are finalized last.
//!
//! Unlike glibc's, ld-rs's modules run only once the program's libraries
//! are loaded and relocated and its C library started (ld-rs sets up the
//! thread pointer and the C library's records then): each module is mapped
//! into its namespace before the program's libraries, but what it needs is
//! loaded, relocated and initialized, and its `la_version` called, after
//! them.  So the events of start-up (the searches and opens made before
//! that) are recorded and delivered, in their order, once the modules are
//! loaded: what a module returns for them cannot steer start-up (a renamed
//! search, say), only later `dlopen`s.  A module's callbacks are marked
//! (`IN_CALLBACK`) so that no PLT call made while one runs is reported.

//! # Watching calls: `la_pltenter` and `la_pltexit`
//! A module that defines them sees every call through a PLT, not only the
//! first (which binds the slot, `la_symbind64`).  So, as in glibc, every
//! object's PLT is bound lazily (`-z now` or not; only `LD_BIND_NOW` and
//! `RTLD_NOW` bind at once, and then the modules are told
//! `LA_SYMB_NOPLTENTER|LA_SYMB_NOPLTEXIT`), its GOT[2] is the architecture's
//! profiling trampoline, and its slots are never written: each call comes
//! back to `Linker::profile_enter`, which finds the binding the first call
//! made in the object's `PltRecord`s, lets the modules see and change the
//! argument registers and the target, and says whether to follow the call
//! to its return (`la_pltexit`) and with how many bytes of stack arguments
//! copied (the "frame size" a module asks for).  What `la_symbind64` and
//! `la_pltenter` return in their flags (`LA_SYMB_NOPLTENTER`,
//! `LA_SYMB_NOPLTEXIT`) stops those calls, per module and for all, with
//! glibc 2.36's arithmetic quirks kept (see `bind` and `plt_exit`).
//!
//! # Searches
//! glibc maps the modules first and looks for what they need before the
//! program's libraries: the capability subdirectories of the search path
//! found missing then are never tried, nor reported to `la_objsearch`, for
//! the program.  ld-rs maps the modules first too, and looks for what they
//! need as glibc does (`prime_search`), loading it after the program's.

use alloc::boxed::Box;
use alloc::vec::Vec;

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use elf::Sym;

use crate::diag::Msg;
use crate::dso::{DsoId, Kind};
use crate::grace::SpinLock;
use crate::lookup::{Class, Query};
use crate::namespace::{NsId, BASE, MAX_NAMESPACES};
use crate::rtld::Linker;

/// Dynamic-section tags naming audit modules (GNU extensions).
const DT_AUDIT: i64 = 0x6fff_fefc;
const DT_DEPAUDIT: i64 = 0x6fff_fefb;

/// The interface version ld-rs speaks (`LAV_CURRENT` of glibc 2.36).
pub const LAV_CURRENT: u32 = 2;

/// `la_activity` flags.
pub const LA_ACT_CONSISTENT: u32 = 0;
pub const LA_ACT_ADD: u32 = 1;
pub const LA_ACT_DELETE: u32 = 2;

/// What the audit modules are told around `dlopen` and `dlclose` where
/// releases of the C library differ; the runtime chooses at start-up
/// (`Config::audit_rules`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rules {
    /// When `dlclose` sends `LA_ACT_DELETE`.
    pub delete: DeleteNotice,
    /// Whether a `dlopen` that loads nothing new sends `LA_ACT_CONSISTENT`
    /// (without `LA_ACT_ADD`) when it opens an object as a root for the
    /// first time — one loaded until then only as a dependency (glibc 2.36;
    /// 2.41 sends it only after an `LA_ACT_ADD`).
    pub consistent_alone: bool,
    /// Whether the loader's own record in a namespace other than the base
    /// one (made when a library there first needs the loader) is opened
    /// for the modules, with the namespace's `LA_ACT_ADD` when it starts a
    /// change (glibc 2.41: commit 8f36b14696, bug 31985; 2.36 adds it
    /// unannounced).
    pub loader_record_opened: bool,
    /// Whether a `dlopen`'s `LA_ACT_CONSISTENT` follows the relocation of
    /// what it loaded, and precedes the closes when it fails (glibc 2.41:
    /// commits 43db5e2c06, e096b7a189, bug 31986), or follows the mapping
    /// (2.36).
    pub consistent_after_relocation: bool,
}

/// When `dlclose` tells the audit modules that a namespace shrinks
/// (`LA_ACT_DELETE`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DeleteNotice {
    /// After the last unloaded object's `la_objclose` (glibc 2.36).
    AfterCloses,
    /// Before the first unloaded object's `la_objclose`, once its finalizers
    /// have run: the order of exit (glibc 2.41).
    BeforeCloses,
}

/// `la_objsearch` flags: where the name came from.
pub const LA_SER_ORIG: u32 = 0x01;
pub const LA_SER_LIBPATH: u32 = 0x02;
pub const LA_SER_RUNPATH: u32 = 0x04;
pub const LA_SER_CONFIG: u32 = 0x08;
pub const LA_SER_DEFAULT: u32 = 0x40;

/// `la_objopen` results: audit bindings to / from this object.
pub const LA_FLG_BINDTO: u32 = 0x01;
pub const LA_FLG_BINDFROM: u32 = 0x02;

/// `la_symbind64` flags.
pub const LA_SYMB_NOPLTENTER: u32 = 0x01;
pub const LA_SYMB_NOPLTEXIT: u32 = 0x02;
pub const LA_SYMB_DLSYM: u32 = 0x08;
pub const LA_SYMB_ALTVALUE: u32 = 0x10;

/// One module's callbacks (0 where it defines none).
struct Module {
    objsearch: usize,
    activity: usize,
    objopen: usize,
    objclose: usize,
    preinit: usize,
    symbind: usize,
    pltenter: usize,
    pltexit: usize,
}

/// What the modules made of one PLT slot of an object whose calls are
/// profiled (glibc's `struct reloc_result`): the slot is never written, so
/// every call comes back through the profiling trampoline, which finds the
/// binding here after the first.  Written once, by the first call's thread
/// (others racing it compute the same values); `init` publishes the rest.
#[derive(Default)]
pub struct PltRecord {
    init: AtomicU32,
    /// The address bound, as `la_symbind64` left it.
    addr: AtomicUsize,
    /// The defining object and the symbol's index in its table.
    def: AtomicUsize,
    ndx: AtomicU32,
    /// Bits 0-1: `LA_SYMB_NOPLTENTER`/`NOPLTEXIT` as every interested module
    /// agreed in `la_symbind64`; bits 2m+2, 2m+3: module m's own.
    enterexit: AtomicU32,
    /// The flags `la_symbind64` left, the start of `la_pltenter`'s.
    flags: AtomicU32,
}

/// The two bits of module `m` in `PltRecord::enterexit`.
const fn module_bits(bits: u32, m: usize) -> u32 {
    bits << (2 * (m + 1))
}

/// What `la_symbind64` decided for a PLT binding.
struct Binding {
    value: usize,
    enterexit: u32,
    flags: u32,
}

/// Threads running a module's callback: what the code a callback calls
/// does through a watched PLT on the module's behalf is not the program's
/// doing, so it is neither reported to the modules nor recursed into.
/// Keyed by thread pointer; a full table leaves a thread unmarked.
static IN_CALLBACK: [AtomicUsize; 64] = [const { AtomicUsize::new(0) }; 64];

/// Marks the current thread as inside a module's callback while it lives.
struct Callback(Option<&'static AtomicUsize>);

impl Callback {
    fn enter() -> Callback {
        let tp = crate::arch::thread_pointer();
        Callback(
            IN_CALLBACK
                .iter()
                .find(|s| s.compare_exchange(0, tp, Ordering::AcqRel, Ordering::Relaxed).is_ok()),
        )
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        if let Some(s) = self.0 {
            s.store(0, Ordering::Release);
        }
    }
}

/// Whether the current thread is inside a module's callback.
pub fn in_callback() -> bool {
    let tp = crate::arch::thread_pointer();
    IN_CALLBACK.iter().any(|s| s.load(Ordering::Acquire) == tp)
}

/// Calls `f` as a module's callback (see `IN_CALLBACK`).
fn callback<R>(f: impl FnOnce() -> R) -> R {
    let _mark = Callback::enter();
    f()
}

/// What one module knows of one object: the cookie it may change, and the
/// flags its `la_objopen` returned.
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub struct State {
    pub cookie: usize,
    pub bindflags: u32,
}

/// How a binding is made, for `la_symbind64`'s flags.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `dlsym` (or glibc's loader looking up as `dlsym` does).
    Dlsym,
    /// A PLT slot bound at relocation, before any call.
    PltNow,
    /// A PLT slot bound at its first call.
    Lazy,
}

/// A binding of start-up, kept until the modules can run.
struct Bind {
    from: DsoId,
    def: DsoId,
    sym: &'static Sym,
    value: usize,
    via: Via,
    /// The PLT slot bound (0: none), to write what a module returns.
    slot: usize,
}

/// An event of start-up, kept until the modules can run.
enum Event {
    Search(Vec<u8>, DsoId, u32),
    /// An object opened, and its namespace.
    Open(DsoId, NsId),
    /// A namespace's activity, by its head (whose cookie names it).
    Activity(DsoId, u32),
}

/// The loaded modules and their view of every object.
pub struct Audit {
    modules: Vec<Module>,
    /// Per object id: one `State` per module.  Boxed so the cookie
    /// pointers a module holds stay put while the table grows.
    /// In cells: a binding made by a reading thread (lazily) hands the
    /// module pointers to them.
    states: Vec<Option<Box<[UnsafeCell<State>]>>>,
    /// Bindings made during start-up, kept as `pending` is.
    binds: SpinLock<Vec<Bind>>,
    /// Start-up events not delivered yet (`None` once they are).
    pending: Option<Vec<Event>>,
    /// An audit module's load's events, held until the C library has
    /// records of its objects: its searches and opens.
    deferred: Vec<Event>,
    /// The namespace a `dlopen` is adding objects to, by its head, once
    /// `LA_ACT_ADD` was sent: `LA_ACT_CONSISTENT` is owed.
    adding: Option<DsoId>,
    /// The modules were told of objects of the current `dlopen`: should it
    /// fail, they see them close.
    told: bool,
    /// The loader's records in the namespaces other than the base one, per
    /// module (when `Rules::loader_record_opened`), indexed by namespace.
    loader_states: [Option<Box<[UnsafeCell<State>]>>; MAX_NAMESPACES],
    /// The loader's object.
    loader: Option<DsoId>,
    /// The C library's record of an object in a namespace (the `struct
    /// link_map *` a module is given), from the runtime.
    map_of: fn(DsoId, NsId) -> usize,
    /// The program, the base namespace's head (`la_preinit` gets its cookie).
    head: DsoId,
    /// A module defines `la_pltenter` or `la_pltexit`: every PLT call goes
    /// through the profiling trampoline (known when the modules are
    /// loaded, before anything is relocated).
    pub profile: bool,
    /// The modules have been told of start-up and receive events as they come.
    live: bool,
    /// How many modules may be registered (those named): the length of
    /// every object's `states`, fixed so that the cookies stay put.
    capacity: usize,
    /// The modules' namespaces, and the first object of each (which names
    /// it): their events are for the modules loaded before, and only while
    /// the module is being loaded (glibc's `l_auditing`).
    module_ns: Vec<(NsId, DsoId)>,
    /// The namespace of the module being loaded, if one is.
    loading: Option<NsId>,
    /// Modules named for which no namespace was left, reported once the
    /// others are loaded (the count of modules is checked before, as glibc
    /// checks it before loading any).
    refused: Vec<Vec<u8>>,
}

/// Reports an audit module that cannot be loaded, with the loader's
/// message alone (glibc leaves the error number's text out).
fn report_unloadable(name: &[u8], message: &[u8]) {
    Msg::new()
        .s(b"ERROR: ld.so: object '")
        .s(name)
        .s(b"' cannot be loaded as audit interface: ")
        .s(message)
        .s(b"; ignored.")
        .write_line(2);
}

/// The `DT_NEEDED` names of an ELF file that is open but not mapped, read
/// from its dynamic section through the `PT_LOAD` holding its string table;
/// none if anything is out of place.
fn needed_of_file(file: &crate::map::Opened) -> Vec<Vec<u8>> {
    use elf::consts::{DT_NEEDED, DT_NULL, DT_STRTAB, PT_DYNAMIC, PT_LOAD};
    let mut names = Vec::new();
    let Some(dynamic) = file.phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
        return names;
    };
    let size = (dynamic.p_filesz as usize).min(64 * 1024);
    let mut bytes = alloc::vec![0u8; size];
    let Ok(n) = file.fd.pread_full(&mut bytes, dynamic.p_offset) else {
        return names;
    };
    let word = |b: &[u8], i: usize| -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let entries: Vec<(i64, u64)> = (0..n / 16)
        .map(|k| (word(&bytes, 16 * k) as i64, word(&bytes, 16 * k + 8)))
        .take_while(|&(tag, _)| tag != DT_NULL)
        .collect();
    let Some(&(_, strtab)) = entries.iter().find(|&&(tag, _)| tag == DT_STRTAB) else {
        return names;
    };
    // The string table's file offset, through the segment that maps it.
    let Some(load) = file
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_LOAD && strtab >= p.p_vaddr && strtab - p.p_vaddr < p.p_filesz)
    else {
        return names;
    };
    let base = strtab - load.p_vaddr + load.p_offset;
    for &(_, off) in entries.iter().filter(|&&(tag, _)| tag == DT_NEEDED) {
        let mut name = [0u8; 256];
        let Ok(got) = file.fd.pread_full(&mut name, base.saturating_add(off)) else {
            continue;
        };
        if let Some(end) = name[..got].iter().position(|&c| c == 0) {
            names.push(name[..end].to_vec());
        }
    }
    names
}

/// A C string copy of `s`.
fn c_string(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() + 1);
    v.extend_from_slice(s);
    v.push(0);
    v
}

impl Audit {
    /// Where the modules' states of object `id` as namespace `ns` lists it
    /// are kept: its own, or the loader's record there.
    fn states_of(&mut self, id: DsoId, ns: NsId) -> &mut Option<Box<[UnsafeCell<State>]>> {
        if ns != BASE && Some(id) == self.loader {
            return &mut self.loader_states[ns];
        }
        if self.states.len() <= id {
            self.states.resize_with(id + 1, || None);
        }
        &mut self.states[id]
    }

    fn state_in(&mut self, id: DsoId, ns: NsId, m: usize) -> *mut State {
        let n = self.modules.len().max(self.capacity);
        let map = (self.map_of)(id, ns);
        let states = self.states_of(id, ns).get_or_insert_with(|| {
            // A cookie starts as the address of the object's record, as glibc's.
            (0..n)
                .map(|_| {
                    UnsafeCell::new(State {
                        cookie: map,
                        bindflags: 0,
                    })
                })
                .collect()
        });
        states[m].get()
    }

    fn cookie(&mut self, id: DsoId, m: usize) -> *mut usize {
        self.cookie_in(id, BASE, m)
    }

    fn cookie_in(&mut self, id: DsoId, ns: NsId, m: usize) -> *mut usize {
        // SAFETY: `state_in` returns a pointer into a live boxed slice.
        unsafe { core::ptr::addr_of_mut!((*self.state_in(id, ns, m)).cookie) }
    }

    /// Whether the events of namespace `ns` are no module's business: it
    /// holds an audit module, which is not being loaded.
    fn silent(&self, ns: NsId) -> bool {
        self.loading != Some(ns) && self.module_ns.iter().any(|&(n, _)| n == ns)
    }

    /// Whether `head` names a namespace whose events are no module's business.
    fn silent_head(&self, head: DsoId) -> bool {
        self.module_ns
            .iter()
            .any(|&(n, h)| h == head && self.loading != Some(n))
    }

    /// True while start-up events are only recorded.
    fn recording(&mut self, e: Event) -> Option<Event> {
        match self.pending.as_mut() {
            Some(p) => {
                p.push(e);
                None
            }
            None => Some(e),
        }
    }

    /// `la_objsearch` by every module in turn, each given what the one
    /// before returned.  `None` if one returned NULL: the name is not to be
    /// loaded.
    pub fn search(&mut self, name: &[u8], from: DsoId, flag: u32) -> Option<Vec<u8>> {
        if self.recording(Event::Search(name.to_vec(), from, flag)).is_none() {
            return Some(name.to_vec());
        }
        // An audit module's searches are told in their place among its
        // namespace's opens, once the C library has records of them (which
        // the searching object's cookie names): they cannot be renamed.
        if self.loading.is_some() {
            self.deferred.push(Event::Search(name.to_vec(), from, flag));
            return Some(name.to_vec());
        }
        self.deliver_search(name, from, flag)
    }

    fn deliver_search(&mut self, name: &[u8], from: DsoId, flag: u32) -> Option<Vec<u8>> {
        let mut current = c_string(name);
        for m in 0..self.modules.len() {
            let f = self.modules[m].objsearch;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_objsearch`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(*const u8, *mut usize, u32) -> *const u8 = unsafe { core::mem::transmute(f) };
            let cookie = self.cookie(from, m);
            let r = callback(|| f(current.as_ptr(), cookie, flag));
            if r.is_null() {
                return None;
            }
            // SAFETY: a module returns a C string (rtld-audit(7)).
            current = c_string(unsafe { crate::start::cstr(r) });
        }
        current.pop();
        Some(current)
    }

    /// `la_activity(flag)` of the namespace whose first object is `head`
    /// (its cookie names the namespace), by every module.
    pub fn activity(&mut self, head: DsoId, flag: u32) {
        if self.silent_head(head) {
            return;
        }
        if self.recording(Event::Activity(head, flag)).is_none() {
            return;
        }
        for m in 0..self.modules.len() {
            let f = self.modules[m].activity;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_activity`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(*mut usize, u32) = unsafe { core::mem::transmute(f) };
            let cookie = self.cookie(head, m);
            callback(|| f(cookie, flag));
        }
    }

    /// `la_objopen` of object `id` of namespace `ns`, by every module; the
    /// flags each returns are kept for `la_symbind64`.
    pub fn open(&mut self, id: DsoId, ns: NsId) {
        if self.silent(ns) {
            return;
        }
        if self.recording(Event::Open(id, ns)).is_none() {
            return;
        }
        // A fresh record: an id may be reused after an unload.
        *self.states_of(id, ns) = None;
        let map = (self.map_of)(id, ns);
        for m in 0..self.modules.len() {
            let f = self.modules[m].objopen;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_objopen`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(usize, i64, *mut usize) -> u32 = unsafe { core::mem::transmute(f) };
            let state = self.state_in(id, ns, m);
            // SAFETY: `state` points into a live boxed slice.
            let flags = callback(|| f(map, ns as i64, unsafe { core::ptr::addr_of_mut!((*state).cookie) }));
            // SAFETY: as above.
            unsafe { (*state).bindflags = flags };
        }
    }

    /// Object `id` was just mapped into namespace `ns`, whose first object
    /// is `head`, and the C library has a record of it: opened for the
    /// modules, after the namespace's `LA_ACT_ADD` if it is the first of a
    /// `dlopen` — as glibc's loader tells them, before what the object needs
    /// is searched for.  (At start-up the events wait for the modules; an
    /// audit module's own load tells them when `opened` says it is done.)
    pub fn mapped(&mut self, id: DsoId, ns: NsId, head: DsoId) {
        if self.pending.is_some() {
            self.open(id, ns);
            return;
        }
        if self.loading.is_some() {
            self.deferred.push(Event::Open(id, ns));
            return;
        }
        if self.adding.is_none() && !self.told {
            self.adding = Some(head);
            self.activity(head, LA_ACT_ADD);
        }
        self.told = true;
        self.open(id, ns);
    }

    /// Whether an audit module is being loaded (its events are held until
    /// it is relocated: `opened`).
    pub fn loading_module(&self) -> bool {
        self.loading.is_some()
    }

    /// A `dlopen` has mapped what it needs (not yet relocated):
    /// `LA_ACT_CONSISTENT` if it added anything — or alone, naming the
    /// namespace by `alone`, if given.  For an audit module's load, at its
    /// end: the held events first.
    pub fn opened(&mut self, alone: Option<DsoId>) {
        let events = core::mem::take(&mut self.deferred);
        // An audit module's namespace grows unannounced (glibc loads it in
        // its auditing mode, which says nothing of the start), but the
        // modules before it see the module open (mapped when start-up
        // was not ready to tell), what it needs, and the end.
        if let Some(ns) = self.loading {
            let root = self.module_ns.iter().find(|&&(n, _)| n == ns).map(|&(_, h)| h);
            if let Some(r) = root {
                self.open(r, ns);
            }
            for e in events {
                match e {
                    Event::Open(id, ns) => self.open(id, ns),
                    Event::Search(name, from, flag) => {
                        let _ = self.deliver_search(&name, from, flag);
                    }
                    Event::Activity(..) => {}
                }
            }
            if let Some(r) = root {
                self.activity(r, LA_ACT_CONSISTENT);
            }
            return;
        }
        if let Some(head) = self.adding.take().or(alone) {
            self.activity(head, LA_ACT_CONSISTENT);
        }
    }

    /// A `dlopen` begins, or one that failed is done with: nothing held
    /// or owed from before.
    pub fn discard(&mut self) {
        self.deferred.clear();
        self.adding = None;
        self.told = false;
    }

    /// A `dlopen` failed: the modules see the objects they were told of
    /// close (`closing`, in finalizer order, each with its namespace, and
    /// the loader's records of emptied namespaces), with the namespace's
    /// `LA_ACT_DELETE` by the `delete` rule and `LA_ACT_CONSISTENT` after
    /// unless the namespace is `emptied`, as glibc's loader unloads them;
    /// the namespace is named by `head`.
    pub fn failed(&mut self, closing: &[(DsoId, NsId)], head: DsoId, rules: Rules, emptied: bool) {
        self.deferred.clear();
        let owed = self.adding.take();
        if !core::mem::take(&mut self.told) || self.loading.is_some() {
            return;
        }
        if let Some(h) = owed.filter(|_| rules.consistent_after_relocation) {
            self.activity(h, LA_ACT_CONSISTENT);
        }
        let delete = rules.delete;
        if delete == DeleteNotice::BeforeCloses {
            self.activity(head, LA_ACT_DELETE);
        }
        for &(id, ns) in closing {
            if ns != BASE && Some(id) == self.loader {
                self.close_loader_record(id, ns);
            } else {
                self.close(id, ns);
            }
        }
        if delete == DeleteNotice::AfterCloses {
            self.activity(head, LA_ACT_DELETE);
        }
        if !emptied {
            self.activity(head, LA_ACT_CONSISTENT);
        }
    }

    /// `la_objclose` of object `id` of namespace `ns`, by every module (its
    /// record stays until the id is opened again: the program's cookie is
    /// read after).
    pub fn close(&mut self, id: DsoId, ns: NsId) {
        // Never opened for the modules, or in an audit module's namespace.
        if self.silent(ns) || self.states_of(id, ns).is_none() {
            return;
        }
        for m in 0..self.modules.len() {
            let f = self.modules[m].objclose;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_objclose`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(*mut usize) -> u32 = unsafe { core::mem::transmute(f) };
            let cookie = self.cookie_in(id, ns, m);
            callback(|| f(cookie));
        }
    }

    /// `la_objclose` of the loader's record in namespace `ns` (the loader
    /// being object `id`), which its namespace loses when emptied: by every
    /// module, opened for them or not (its cookie then the record's address,
    /// as glibc's loader tells of every record it frees).
    pub fn close_loader_record(&mut self, id: DsoId, ns: NsId) {
        if self.silent(ns) {
            return;
        }
        for m in 0..self.modules.len() {
            let f = self.modules[m].objclose;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_objclose`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(*mut usize) -> u32 = unsafe { core::mem::transmute(f) };
            let cookie = self.cookie_in(id, ns, m);
            callback(|| f(cookie));
        }
        self.loader_states[ns] = None;
    }

    /// Object `id`'s record for module `m`, if it was opened.
    fn cell(&self, id: DsoId, m: usize) -> Option<*mut State> {
        self.states.get(id)?.as_ref()?.get(m).map(|c| c.get())
    }

    /// Whether some module asked for bindings of `id` (glibc's `l_audit_any_plt`).
    fn any(&self, id: DsoId) -> bool {
        self.states.get(id).and_then(|s| s.as_ref()).is_some_and(|s| {
            s.iter().any(|c| {
                // SAFETY: a live cell; flags change only in `open`, under the load lock.
                unsafe { (*c.get()).bindflags != 0 }
            })
        })
    }

    /// `la_symbind64` of a binding from object `from` to `sym` of `def`,
    /// at `value`: by each module that asked for bindings from `from`
    /// and to `def` (`Via::PltNow`: a PLT slot bound before any call, which
    /// no `la_pltenter` can see), or for `dlsym` by each that asked for either
    /// (glibc's `_dl_audit_symbind_alt`).  The value to use.
    pub fn symbind(&self, ld: &Linker, from: DsoId, def: DsoId, sym: &'static Sym, value: usize, via: Via) -> usize {
        self.symbind_slot(ld, from, def, sym, value, via, 0)
    }

    /// `symbind` of the binding of PLT slot `slot` (0: none).  Made during
    /// start-up, it is told to the modules once they run, and the slot then
    /// takes the value they return (`start_auditing`).
    #[allow(clippy::too_many_arguments)]
    fn symbind_slot(
        &self,
        ld: &Linker,
        from: DsoId,
        def: DsoId,
        sym: &'static Sym,
        value: usize,
        via: Via,
        slot: usize,
    ) -> usize {
        // An audit module's objects bind unwatched.
        if ld.audit_ns(ld.objs[from].ns) {
            return value;
        }
        if self.pending.is_some() {
            self.binds.with(|b| {
                b.push(Bind {
                    from,
                    def,
                    sym,
                    value,
                    via,
                    slot,
                })
            });
            return value;
        }
        self.bind(ld, from, def, sym, value, via).value
    }

    /// `symbind`'s work, with what the modules said of the calls to come
    /// (see `PltRecord::enterexit`).
    fn bind(&self, ld: &Linker, from: DsoId, def: DsoId, sym: &'static Sym, value: usize, via: Via) -> Binding {
        let no_calls = LA_SYMB_NOPLTENTER | LA_SYMB_NOPLTEXIT;
        if (!self.any(from) && !self.any(def)) || ld.audit_ns(ld.objs[from].ns) {
            // Nobody is interested: no module sees the calls either.
            return Binding {
                value,
                enterexit: u32::MAX,
                flags: 0,
            };
        }
        let d = &ld.objs[def];
        let ndx = (sym as *const Sym as usize).wrapping_sub(d.symtab.as_ptr() as usize) / core::mem::size_of::<Sym>();
        let name = d.str_at(sym.st_name as u64).unwrap_or(b"\0");
        let mut shown = *sym;
        shown.st_value = value as u64;
        let mut flags = 0;
        let mut enterexit = no_calls;
        for m in 0..self.modules.len() {
            let f = self.modules[m].symbind;
            let cells = (self.cell(from, m), self.cell(def, m));
            // SAFETY: live cells (see `states`).
            let (bind_from, bind_to) = unsafe {
                match cells {
                    (Some(fs), Some(ds)) => (
                        (*fs).bindflags & LA_FLG_BINDFROM != 0,
                        (*ds).bindflags & LA_FLG_BINDTO != 0,
                    ),
                    _ => (false, false),
                }
            };
            let dlsym = via == Via::Dlsym;
            let wanted = if dlsym {
                bind_from || bind_to
            } else {
                bind_from && bind_to
            };
            let (Some(fs), Some(ds), true) = (cells.0, cells.1, wanted) else {
                // Not this module's business: it sees no call.
                enterexit |= module_bits(no_calls, m);
                continue;
            };
            if f != 0 {
                if dlsym {
                    flags = (flags & LA_SYMB_ALTVALUE) | LA_SYMB_DLSYM;
                } else if via == Via::PltNow {
                    flags |= no_calls;
                }
                type SymBind = extern "C" fn(*mut Sym, u32, *mut usize, *mut usize, *mut u32, *const u8) -> usize;
                // SAFETY: the module's `la_symbind64`, by rtld-audit(7)'s signature.
                let f: SymBind = unsafe { core::mem::transmute(f) };
                let mut copy = shown;
                // SAFETY: live cells; the name is NUL-terminated in its string table.
                let new = callback(|| unsafe {
                    f(
                        &mut copy,
                        ndx as u32,
                        core::ptr::addr_of_mut!((*fs).cookie),
                        core::ptr::addr_of_mut!((*ds).cookie),
                        &mut flags,
                        name.as_ptr(),
                    )
                });
                if new != shown.st_value as usize {
                    flags |= LA_SYMB_ALTVALUE;
                    shown.st_value = new as u64;
                }
            }
            // The calls are seen unless every interested module declines
            // (bits 0-1).  As in glibc 2.36, an interested module also
            // clears what the modules before it said for themselves.
            enterexit &= flags & no_calls;
            enterexit |= module_bits(flags & no_calls, m);
        }
        Binding {
            value: shown.st_value as usize,
            enterexit,
            flags,
        }
    }

    /// Whether the modules are told of events as they come (start-up is
    /// over, and some module is loaded).
    pub fn live(&self) -> bool {
        self.live
    }

    /// A profiled PLT call from object `from` through `rec`, bound on its first
    /// call (`bound`: the defining object and symbol, and the address found)
    /// to what `la_symbind64` makes of it; then `la_pltenter` by each module
    /// that wants the call, which may change its arguments (`regs`, the
    /// architecture's register block), where it goes (returned), and ask for
    /// `la_pltexit` with `*framesize` bytes of stack arguments copied
    /// (glibc's `_dl_audit_pltenter`).  `-1` in `*framesize`: no exit call.
    ///
    /// # Safety
    /// `regs` points at a register block as the architecture's trampoline
    /// fills it, `framesize` at a writable word.
    pub unsafe fn plt_enter(
        &self,
        ld: &Linker,
        from: DsoId,
        rec: &PltRecord,
        bound: impl FnOnce() -> (usize, Option<(DsoId, &'static Sym)>),
        regs: *mut u8,
        framesize: *mut isize,
    ) -> usize {
        let mut value;
        if rec.init.load(Ordering::Acquire) == 0 {
            // A binding without a definition to show (a local symbol) is no
            // module's business.
            let (found, def) = bound();
            let Some((def, sym)) = def else {
                return found;
            };
            let d = &ld.objs[def];
            let ndx =
                (sym as *const Sym as usize).wrapping_sub(d.symtab.as_ptr() as usize) / core::mem::size_of::<Sym>();
            let b = self.bind(ld, from, def, sym, found, Via::Lazy);
            value = b.value;
            rec.addr.store(b.value, Ordering::Relaxed);
            rec.def.store(def, Ordering::Relaxed);
            rec.ndx.store(ndx as u32, Ordering::Relaxed);
            rec.enterexit.store(b.enterexit, Ordering::Relaxed);
            rec.flags.store(b.flags, Ordering::Relaxed);
            if !ld.config.bind_not {
                rec.init.store(1, Ordering::Release);
            }
        } else {
            value = rec.addr.load(Ordering::Relaxed);
        }
        if rec.enterexit.load(Ordering::Relaxed) & LA_SYMB_NOPLTENTER != 0 {
            return value;
        }
        let (def, ndx) = (rec.def.load(Ordering::Relaxed), rec.ndx.load(Ordering::Relaxed));
        let d = &ld.objs[def];
        let Some(defsym) = d.symtab.get(ndx as usize) else {
            return value;
        };
        let name = d.str_at(defsym.st_name as u64).unwrap_or(b"\0");
        let mut sym = *defsym;
        sym.st_value = value as u64;
        let mut flags = rec.flags.load(Ordering::Relaxed);
        for m in 0..self.modules.len() {
            let f = self.modules[m].pltenter;
            let mine = |bits| rec.enterexit.load(Ordering::Relaxed) & module_bits(bits, m) != 0;
            if f == 0 || mine(LA_SYMB_NOPLTENTER) {
                continue;
            }
            let (Some(fs), Some(ds)) = (self.cell(from, m), self.cell(def, m)) else {
                continue;
            };
            type PltEnter =
                extern "C" fn(*mut Sym, u32, *mut usize, *mut usize, *mut u8, *mut u32, *const u8, *mut isize) -> usize;
            // SAFETY: the module's `la_pltenter`, by rtld-audit(7)'s signature for this architecture.
            let f: PltEnter = unsafe { core::mem::transmute(f) };
            let mut wanted: isize = -1;
            // SAFETY: live cells; the name is NUL-terminated in its string
            // table; `regs` as the caller promises.
            let new = callback(|| unsafe {
                f(
                    &mut sym,
                    ndx,
                    core::ptr::addr_of_mut!((*fs).cookie),
                    core::ptr::addr_of_mut!((*ds).cookie),
                    regs,
                    &mut flags,
                    name.as_ptr(),
                    &mut wanted,
                )
            });
            if new != sym.st_value as usize {
                flags |= LA_SYMB_ALTVALUE;
                sym.st_value = new as u64;
            }
            rec.enterexit.fetch_or(
                module_bits(flags & (LA_SYMB_NOPLTENTER | LA_SYMB_NOPLTEXIT), m),
                Ordering::Relaxed,
            );
            // SAFETY: the caller's contract.
            let size = unsafe { &mut *framesize };
            if !mine(LA_SYMB_NOPLTEXIT) && wanted != -1 && *size != -2 {
                // The largest frame any module asks for.
                *size = if *size == -1 { wanted } else { (*size).max(wanted) };
            }
        }
        value = sym.st_value as usize;
        value
    }

    /// The call through `rec` from object `from` returned: `la_pltexit` by
    /// each module that wants it, given the registers the call was made with
    /// (`inregs`) and those it returned (`outregs`), which it may change.
    ///
    /// glibc 2.36 tests the first module's interest in the bit where every
    /// module's agreement is kept (bit 1), and no bit at all for the others,
    /// who are all called: so is it done here, for the same calls.
    ///
    /// # Safety
    /// `inregs` and `outregs` point at register blocks as the architecture's
    /// trampoline fills them.
    pub unsafe fn plt_exit(&self, ld: &Linker, from: DsoId, rec: &PltRecord, inregs: *const u8, outregs: *mut u8) {
        let (def, ndx) = (rec.def.load(Ordering::Relaxed), rec.ndx.load(Ordering::Relaxed));
        let d = &ld.objs[def];
        let Some(defsym) = d.symtab.get(ndx as usize) else {
            return;
        };
        let name = d.str_at(defsym.st_name as u64).unwrap_or(b"\0");
        let mut sym = *defsym;
        sym.st_value = rec.addr.load(Ordering::Relaxed) as u64;
        let enterexit = rec.enterexit.load(Ordering::Relaxed);
        for m in 0..self.modules.len() {
            let f = self.modules[m].pltexit;
            if f == 0 || m == 0 && enterexit & LA_SYMB_NOPLTEXIT != 0 {
                continue;
            }
            let (Some(fs), Some(ds)) = (self.cell(from, m), self.cell(def, m)) else {
                continue;
            };
            type PltExit = extern "C" fn(*mut Sym, u32, *mut usize, *mut usize, *const u8, *mut u8, *const u8) -> u32;
            // SAFETY: the module's `la_pltexit`, by rtld-audit(7)'s signature for this architecture.
            let f: PltExit = unsafe { core::mem::transmute(f) };
            // SAFETY: live cells; the name is NUL-terminated in its string
            // table; the registers as the caller promises.
            callback(|| unsafe {
                f(
                    &mut sym,
                    ndx,
                    core::ptr::addr_of_mut!((*fs).cookie),
                    core::ptr::addr_of_mut!((*ds).cookie),
                    inregs,
                    outregs,
                    name.as_ptr(),
                )
            });
        }
    }

    /// `la_preinit` on the program's cookie, by every module.
    pub fn preinit(&mut self) {
        for m in 0..self.modules.len() {
            let f = self.modules[m].preinit;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_preinit`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(*mut usize) = unsafe { core::mem::transmute(f) };
            let cookie = self.cookie(self.head, m);
            callback(|| f(cookie));
        }
    }
}

impl Linker {
    /// Loads the audit modules mapped at start-up (`map_audit_modules`),
    /// each into its namespace, then delivers start-up's events and
    /// `LA_ACT_CONSISTENT`; `la_preinit` comes later, from the C library,
    /// once every initializer has run.  Nothing without audit modules.
    ///
    /// As glibc's `dlmopen` of each, in the order named: what the module
    /// needs is loaded into its namespace (a C library of its own among
    /// them, initialized as a secondary one), relocated and initialized,
    /// and its `la_version` asked; the modules registered before it are
    /// told of its objects (`la_objopen` with its namespace's number, then
    /// `LA_ACT_CONSISTENT`), none after.  A module that cannot be loaded,
    /// has no `la_version` or declines is unloaded and skipped.
    ///
    /// The program's objects are relocated and its C library started by
    /// then, but not initialized: the modules' callbacks use their own.
    pub fn init_audit_modules(&mut self, main: DsoId, runtime: &mut dyn crate::rtld::Runtime) {
        let Some(mut audit) = self.audit.take() else { return };
        audit.map_of = runtime.link_map_of();
        audit.head = main;
        // The program's events wait until every module is loaded.
        let events = audit.pending.take().unwrap_or_default();
        let candidates = core::mem::take(&mut self.audit_candidates);
        self.audit = Some(audit);
        for (name, root) in candidates {
            // The namespace of a module unloaded before goes to the next, as
            // glibc's loader reuses it.
            let mut ns = self.objs[root].ns;
            if let Some(free) = self.free_namespace().filter(|&free| free < ns) {
                self.namespaces[ns].audit.store(false, Ordering::Relaxed);
                self.namespaces[free].audit.store(true, Ordering::Relaxed);
                self.objs[root].ns = free;
                ns = free;
            }
            if let Some(a) = self.audit.as_deref_mut() {
                a.module_ns.push((ns, root));
                a.loading = Some(ns);
            }
            self.set_audit_search(true);
            let loaded = runtime.open_audit_module(self, root);
            self.set_audit_search(false);
            if let Some(a) = self.audit.as_deref_mut() {
                a.loading = None;
            }
            let local = match loaded {
                Ok(local) => local,
                Err(message) => {
                    self.namespaces[ns].audit.store(false, Ordering::Relaxed);
                    report_unloadable(&name, &message);
                    continue;
                }
            };
            match self.register_module(&name, root, &local) {
                Some(module) => {
                    if let Some(a) = self.audit.as_deref_mut() {
                        a.modules.push(module);
                    }
                }
                None => {
                    runtime.close_audit_module(self, root);
                    self.namespaces[ns].audit.store(false, Ordering::Relaxed);
                }
            }
        }
        let Some(mut audit) = self.audit.take() else { return };
        for name in core::mem::take(&mut audit.refused) {
            report_unloadable(&name, b"no more namespaces available for dlmopen()");
        }
        if audit.modules.is_empty() {
            return;
        }
        audit.live = true;
        for e in events {
            match e {
                Event::Search(name, from, flag) => {
                    let _ = audit.deliver_search(&name, from, flag);
                }
                Event::Open(id, ns) => audit.open(id, ns),
                Event::Activity(head, flag) => audit.activity(head, flag),
            }
        }
        // The bindings of start-up came after every load.
        // A slot bound then takes what the modules return, as glibc's
        // relocation writes it: the program has not run yet.
        for b in audit.binds.with(core::mem::take) {
            let value = audit.symbind(self, b.from, b.def, b.sym, b.value, b.via);
            if value != b.value && b.slot != 0 {
                self.rewrite_slot(b.from, b.slot, value);
            }
        }
        audit.activity(main, LA_ACT_CONSISTENT);
        self.audit = Some(audit);
    }

    /// Module `root` (named `name`), loaded with what it needs (`local`):
    /// its `la_version` asked and its callbacks looked up, or `None` if it
    /// is to be unloaded, with glibc's message.
    fn register_module(&mut self, name: &[u8], root: DsoId, local: &[DsoId]) -> Option<Module> {
        // Each callback looked up as glibc's loader looks them up, whose
        // failed lookups `LD_DEBUG` reports.
        let find = |sym: &[u8]| {
            let f = self.find_in(local, sym);
            if f == 0 {
                let message = Msg::new().s(b"undefined symbol: ").s(sym);
                crate::debug::error(
                    self.objs[root].l_name(),
                    crate::diag::SYMBOL_LOOKUP,
                    message.bytes(),
                    false,
                );
            }
            f
        };
        let version = find(b"la_version");
        if version == 0 {
            // The lookup's error text alone, without the object's name.
            Msg::new()
                .s(b"ERROR: ld.so: object '")
                .s(name)
                .s(b"' cannot be loaded as audit interface: undefined symbol: la_version; ignored.")
                .write_line(2);
            return None;
        }
        // SAFETY: the module's `la_version`, by rtld-audit(7)'s signature.
        let version: extern "C" fn(u32) -> u32 = unsafe { core::mem::transmute(version) };
        let v = version(LAV_CURRENT);
        if v == 0 {
            if crate::debug::on(crate::debug::FILES) {
                let line = Msg::new()
                    .s(b"file=")
                    .s(self.objs[root].l_name())
                    .s(b" [")
                    .dec(self.objs[root].ns as u64)
                    .s(b"]; audit interface function la_version returned zero; ignored.\n");
                crate::debug::print(line.bytes());
            }
            return None;
        }
        if v > LAV_CURRENT {
            let line = Msg::new()
                .s(b"ERROR: audit interface '")
                .s(name)
                .s(b"' requires version ")
                .dec(v as u64)
                .s(b" (maximum supported version ")
                .dec(LAV_CURRENT as u64)
                .s(b"); ignored.\n");
            crate::debug::print(line.bytes());
            return None;
        }
        // In glibc's order.
        let activity = find(b"la_activity");
        let objsearch = find(b"la_objsearch");
        let objopen = find(b"la_objopen");
        let preinit = find(b"la_preinit");
        let symbind = find(b"la_symbind64");
        let pltenter = find(crate::arch::LA_PLTENTER);
        let pltexit = find(crate::arch::LA_PLTEXIT);
        let objclose = find(b"la_objclose");
        Some(Module {
            objsearch,
            activity,
            objopen,
            objclose,
            preinit,
            symbind,
            pltenter,
            pltexit,
        })
    }

    /// The audit modules to load for the program `main`, colon-separated:
    /// those `LD_AUDIT` and `--audit` name, then those the program's own
    /// dynamic section names (`DT_AUDIT`, then `DT_DEPAUDIT`, as glibc
    /// reads them: the program's only).
    pub fn audit_list(&self, main: DsoId) -> Vec<u8> {
        let mut list = self.config.audit.clone();
        let program = &self.objs[main];
        for tag in [DT_AUDIT, DT_DEPAUDIT] {
            let named = program
                .dynv
                .iter()
                .take_while(|d| d.d_tag != elf::consts::DT_NULL)
                .find(|d| d.d_tag == tag)
                .and_then(|d| program.str_at(d.d_val));
            if let Some(names) = named {
                list.extend_from_slice(names);
                list.push(b':');
            }
        }
        list
    }

    /// Whether the program `main` is to be audited.
    pub fn wants_audit(&self, main: DsoId) -> bool {
        self.audit_list(main).iter().any(|&c| c != b':')
    }

    /// Maps the audit modules (`audit_list`) for the program `main`, before
    /// the program's libraries, as glibc loads them first: each into a
    /// namespace of its own (glibc's `dlmopen` with `LM_ID_NEWLM`).  What a
    /// module needs is only looked for now (`prime_search`), and loaded
    /// once the program's libraries are relocated (`init_audit_modules`).
    /// A module that cannot be loaded is reported and skipped, as glibc
    /// skips it.  No event of the program's.
    pub fn map_audit_modules(&mut self, main: DsoId) {
        let Some(mut audit) = self.audit.take() else { return };
        let list = self.audit_list(main);
        // glibc opens them on its own behalf: `$ORIGIN` is the loader's
        // directory, and the search follows the loader's (empty) paths.
        let loader = self.objs.position(|d| d.kind == Kind::Interpreter).unwrap_or(main);
        let names: Vec<&[u8]> = list.split(|&c| c == b':').filter(|n| !n.is_empty()).collect();
        audit.capacity = names.len();
        for name in names {
            // A privileged program takes no module named by path.
            if self.config.secure && name.contains(&b'/') {
                continue;
            }
            let Some(ns) = self.free_namespace() else {
                audit.refused.push(name.to_vec());
                continue;
            };
            self.set_audit_search(true);
            self.loading_root = true;
            self.root_uncalled = name.contains(&b'/') && !name.contains(&b'$');
            let loaded = self.load_one(name, loader, ns);
            self.loading_root = false;
            self.root_uncalled = false;
            self.set_audit_search(false);
            match loaded {
                Ok(id) => {
                    self.namespaces[ns].audit.store(true, Ordering::Relaxed);
                    self.prime_search(id);
                    self.audit_candidates.push((name.to_vec(), id));
                }
                Err(e) => report_unloadable(name, &e.message),
            }
        }
        // Whether PLT calls are to be profiled is known before anything is
        // relocated (glibc knows it from the modules' symbols too).
        audit.profile = self.audit_candidates.iter().any(|&(_, id)| {
            [crate::arch::LA_PLTENTER, crate::arch::LA_PLTEXIT]
                .iter()
                .any(|name| self.find_in(&[id], name) != 0)
        });
        self.audit = Some(audit);
    }

    /// glibc looks for what an audit module needs before the program's own
    /// libraries, in the directories a search on the program's behalf would
    /// try too: the capability subdirectories found missing then are never
    /// tried (nor reported to `la_objsearch`) for the program.  So are they
    /// here: the module's `DT_NEEDED` names and theirs, breadth-first, are
    /// looked for as glibc looks for them, and nothing is loaded.
    fn prime_search(&mut self, module: DsoId) {
        let mut names: Vec<Vec<u8>> = self.objs[module].needed_names().map(|n| n.to_vec()).collect();
        let mut next = 0;
        while next < names.len() && names.len() < 64 {
            let name = names[next].clone();
            next += 1;
            if let Some((_, file)) = self.search_for_audit(&name, module) {
                for dep in needed_of_file(&file) {
                    if !names.contains(&dep) {
                        names.push(dep);
                    }
                }
            }
        }
    }

    /// The address of function `sym` in the first object of `closure` that
    /// defines it, 0 if none does.
    fn find_in(&self, closure: &[DsoId], sym: &[u8]) -> usize {
        let q = Query {
            name: sym,
            gnu_hash: elf::gnu_hash(sym),
            version: None,
            class: Class::Plt,
            newest: false,
        };
        self.lookup(closure, &q, None)
            .map_or(0, |f| self.symbol_address(f.dso, f.sym))
    }

    /// Starts recording the events of start-up for modules still to load:
    /// the program's and the loader's `la_objopen`, then the activity.
    pub fn begin_audit(&mut self, main: DsoId) {
        self.audit = Some(Box::new(Audit {
            modules: Vec::new(),
            states: Vec::new(),
            binds: SpinLock::new(Vec::new()),
            pending: Some(Vec::new()),
            deferred: Vec::new(),
            adding: None,
            told: false,
            map_of: |_, _| 0,
            loader_states: [const { None }; MAX_NAMESPACES],
            loader: None,
            head: main,
            profile: false,
            live: false,
            capacity: 0,
            module_ns: Vec::new(),
            loading: None,
            refused: Vec::new(),
        }));
        let interp = self.objs.position(|d| d.kind == Kind::Interpreter);
        if let Some(a) = self.audit.as_deref_mut() {
            a.loader = interp;
            a.open(main, BASE);
            if let Some(i) = interp {
                a.open(i, BASE);
            }
            a.activity(main, LA_ACT_ADD);
        }
    }
}

impl Linker {
    /// PLT slot `slot` of object `id` for its symbol `idx` is bound to
    /// `value` (`plt_now`: at relocation, else lazily): what the audit
    /// modules make of it.  Called only with modules loaded.
    pub fn audit_bind(&self, id: DsoId, idx: u32, value: usize, plt_now: bool, slot: usize) -> usize {
        let Some(audit) = self.audit.as_deref() else {
            return value;
        };
        let via = if plt_now { Via::PltNow } else { Via::Lazy };
        match self.plt_definition(id, idx) {
            Some((def, sym)) => audit.symbind_slot(self, id, def, sym, value, via, slot),
            None => value,
        }
    }

    /// Writes `value` into PLT slot `slot` of object `id` after start-up's
    /// relocation, through its RELRO protection if it lies there (`-z now`
    /// puts the GOT under it).
    fn rewrite_slot(&self, id: DsoId, slot: usize, value: usize) {
        let dso = &self.objs[id];
        if !dso.writable(slot, 8) {
            return;
        }
        let page = slot & !(self.page - 1);
        let relro = dso
            .phdrs
            .iter()
            .filter(|p| p.p_type == elf::consts::PT_GNU_RELRO)
            .any(|p| {
                let start = dso.base.wrapping_add(p.p_vaddr as usize) & !(self.page - 1);
                let end = dso.base.wrapping_add(p.p_vaddr.wrapping_add(p.p_memsz) as usize) & !(self.page - 1);
                (start..end).contains(&page)
            });
        let rw = crate::sys::PROT_READ | crate::sys::PROT_WRITE;
        // SAFETY: the page holds the slot, inside a writable PT_LOAD of the
        // object (checked above); only its RELRO protection is lifted, for
        // this one write, before the program runs.
        unsafe {
            if relro && crate::sys::mprotect(page, self.page, rw).is_err() {
                return;
            }
            (slot as *mut usize).write(value);
            if relro {
                let _ = crate::sys::mprotect(page, self.page, crate::sys::PROT_READ);
            }
        }
    }

    /// The definition a PLT reference to symbol `idx` of object `id` binds
    /// to, for the audit modules: none for a local symbol.
    pub fn plt_definition(&self, id: DsoId, idx: u32) -> Option<(DsoId, &'static Sym)> {
        let dso = &self.objs[id];
        let sym = dso.symtab.get(idx as usize)?;
        if idx == 0 || sym.st_bind() == elf::consts::STB_LOCAL {
            return None;
        }
        let (name, gnu_hash) = dso.strtab.get_with_gnu_hash(sym.st_name).ok()?;
        let q = Query {
            name,
            gnu_hash,
            version: self.version_req(id, idx),
            class: Class::Plt,
            newest: false,
        };
        let scope = self.scope_of(id);
        self.lookup_from(id, &scope, &q, None).map(|f| (f.dso, f.sym))
    }
}
