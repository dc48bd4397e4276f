//! The run-time linker auditing interface (`rtld-audit(7)`, version 2):
//! modules named by `LD_AUDIT` or `--audit` that the linker tells about
//! every object it searches for, opens and closes, and about the program's
//! start.
//!
//! glibc loads each module into a namespace of its own (`dlmopen`), with its
//! own copy of the C library.  ld-rs has no namespaces yet: a module and what
//! it needs are loaded next to the program, outside its global scope, so no
//! symbol of theirs ever interposes on the program's; the C library they
//! need is the program's own.  That one C library only works once
//! start-up has relocated it, so the events of start-up (the searches and
//! opens made before that) are recorded and delivered, in their order,
//! once the modules can run: what a module returns for them cannot steer
//! start-up (a renamed search, say), only later `dlopen`s.

use alloc::boxed::Box;
use alloc::vec::Vec;

use core::cell::UnsafeCell;
use elf::Sym;

use crate::diag::Msg;
use crate::dso::{DsoId, Kind};
use crate::grace::SpinLock;
use crate::lookup::{Class, Query};
use crate::rtld::Linker;

/// The interface version ld-rs speaks (`LAV_CURRENT` of glibc 2.36).
pub const LAV_CURRENT: u32 = 2;

/// `la_activity` flags.
pub const LA_ACT_CONSISTENT: u32 = 0;
pub const LA_ACT_ADD: u32 = 1;
pub const LA_ACT_DELETE: u32 = 2;

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
}

/// An event of start-up, kept until the modules can run.
enum Event {
    Search(Vec<u8>, DsoId, u32),
    Open(DsoId),
    Activity(u32),
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
    /// A `dlopen`'s events held until the C library has records of the new
    /// objects (a module is given those): its activity and opens.
    deferred: Vec<Event>,
    /// The C library's record of an object (the `struct link_map *` a module
    /// is given), from the runtime.
    map_of: fn(DsoId) -> usize,
    /// The program, whose cookie `la_activity` gets (the namespace's head).
    head: DsoId,
}

/// A C string copy of `s`.
fn c_string(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() + 1);
    v.extend_from_slice(s);
    v.push(0);
    v
}

impl Audit {
    fn state(&mut self, id: DsoId, m: usize) -> *mut State {
        let n = self.modules.len();
        if self.states.len() <= id {
            self.states.resize_with(id + 1, || None);
        }
        let map = (self.map_of)(id);
        let states = self.states[id].get_or_insert_with(|| {
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
        // SAFETY: `state` returns a pointer into a live boxed slice.
        unsafe { core::ptr::addr_of_mut!((*self.state(id, m)).cookie) }
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
            let r = f(current.as_ptr(), cookie, flag);
            if r.is_null() {
                return None;
            }
            // SAFETY: a module returns a C string (rtld-audit(7)).
            current = c_string(unsafe { crate::start::cstr(r) });
        }
        current.pop();
        Some(current)
    }

    /// `la_activity(flag)` on the namespace's cookie, by every module.
    pub fn activity(&mut self, flag: u32) {
        if self.recording(Event::Activity(flag)).is_none() {
            return;
        }
        for m in 0..self.modules.len() {
            let f = self.modules[m].activity;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_activity`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(*mut usize, u32) = unsafe { core::mem::transmute(f) };
            let cookie = self.cookie(self.head, m);
            f(cookie, flag);
        }
    }

    /// `la_objopen` of object `id`, by every module; the flags each returns
    /// are kept for `la_symbind64`.
    pub fn open(&mut self, id: DsoId) {
        if self.recording(Event::Open(id)).is_none() {
            return;
        }
        // A fresh record: an id may be reused after an unload.
        if let Some(s) = self.states.get_mut(id) {
            *s = None;
        }
        let map = (self.map_of)(id);
        for m in 0..self.modules.len() {
            let f = self.modules[m].objopen;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_objopen`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(usize, i64, *mut usize) -> u32 = unsafe { core::mem::transmute(f) };
            let state = self.state(id, m);
            // SAFETY: `state` points into a live boxed slice.
            let flags = f(map, 0, unsafe { core::ptr::addr_of_mut!((*state).cookie) });
            // SAFETY: as above.
            unsafe { (*state).bindflags = flags };
        }
    }

    /// Object `id` was just mapped: opened for the modules (at once, or
    /// when `opened` says its record exists), after the namespace's
    /// `LA_ACT_ADD` if it is the first of a `dlopen`.
    pub fn mapped(&mut self, id: DsoId) {
        if self.pending.is_some() {
            self.open(id);
            return;
        }
        if self.deferred.is_empty() {
            self.deferred.push(Event::Activity(LA_ACT_ADD));
        }
        self.deferred.push(Event::Open(id));
    }

    /// A `dlopen` is done loading and the C library has its records: the
    /// held events, then `LA_ACT_CONSISTENT` if it added anything.
    pub fn opened(&mut self) {
        let events = core::mem::take(&mut self.deferred);
        if events.is_empty() {
            return;
        }
        for e in events {
            match e {
                Event::Open(id) => self.open(id),
                Event::Activity(flag) => self.activity(flag),
                Event::Search(..) => {}
            }
        }
        self.activity(LA_ACT_CONSISTENT);
    }

    /// A `dlopen` failed: what it loaded is gone, unseen by the modules.
    pub fn discard(&mut self) {
        self.deferred.clear();
    }

    /// `la_objclose` of object `id`, by every module (its record stays until
    /// the id is opened again: the program's cookie is read after).
    pub fn close(&mut self, id: DsoId) {
        // Never opened for the modules (a module itself, or what it needs).
        if self.states.get(id).is_none_or(|s| s.is_none()) {
            return;
        }
        for m in 0..self.modules.len() {
            let f = self.modules[m].objclose;
            if f == 0 {
                continue;
            }
            // SAFETY: the module's `la_objclose`, by rtld-audit(7)'s signature.
            let f: extern "C" fn(*mut usize) -> u32 = unsafe { core::mem::transmute(f) };
            f(self.cookie(id, m));
        }
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
        if self.pending.is_some() {
            self.binds.with(|b| {
                b.push(Bind {
                    from,
                    def,
                    sym,
                    value,
                    via,
                })
            });
            return value;
        }
        if !self.any(from) && !self.any(def) {
            return value;
        }
        let d = &ld.objs[def];
        let ndx = (sym as *const Sym as usize).wrapping_sub(d.symtab.as_ptr() as usize) / core::mem::size_of::<Sym>();
        let name = d.str_at(sym.st_name as u64).unwrap_or(b"\0");
        let mut shown = *sym;
        shown.st_value = value as u64;
        let mut flags = 0;
        for m in 0..self.modules.len() {
            let f = self.modules[m].symbind;
            let (Some(fs), Some(ds)) = (self.cell(from, m), self.cell(def, m)) else {
                continue;
            };
            // SAFETY: live cells (see `states`).
            let (bind_from, bind_to) = unsafe {
                (
                    (*fs).bindflags & LA_FLG_BINDFROM != 0,
                    (*ds).bindflags & LA_FLG_BINDTO != 0,
                )
            };
            let dlsym = via == Via::Dlsym;
            let wanted = if dlsym {
                bind_from || bind_to
            } else {
                bind_from && bind_to
            };
            if f == 0 || !wanted {
                continue;
            }
            if dlsym {
                flags = (flags & LA_SYMB_ALTVALUE) | LA_SYMB_DLSYM;
            } else if via == Via::PltNow {
                flags |= LA_SYMB_NOPLTENTER | LA_SYMB_NOPLTEXIT;
            }
            type SymBind = extern "C" fn(*mut Sym, u32, *mut usize, *mut usize, *mut u32, *const u8) -> usize;
            // SAFETY: the module's `la_symbind64`, by rtld-audit(7)'s signature.
            let f: SymBind = unsafe { core::mem::transmute(f) };
            let mut copy = shown;
            // SAFETY: live cells; the name is NUL-terminated in its string table.
            let new = unsafe {
                f(
                    &mut copy,
                    ndx as u32,
                    core::ptr::addr_of_mut!((*fs).cookie),
                    core::ptr::addr_of_mut!((*ds).cookie),
                    &mut flags,
                    name.as_ptr(),
                )
            };
            if new != shown.st_value as usize {
                flags |= LA_SYMB_ALTVALUE;
                shown.st_value = new as u64;
            }
        }
        shown.st_value as usize
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
            f(self.cookie(self.head, m));
        }
    }
}

impl Linker {
    /// Relocates the audit modules `audited`, each in its own scope (what it
    /// needs), bound at once so that no later lookup of theirs walks the
    /// program's global scope; returns them in initialization order.
    pub fn relocate_audit_modules(&mut self, audited: &[DsoId]) -> Vec<DsoId> {
        if audited.is_empty() {
            return Vec::new();
        }
        let order = crate::init::init_order(self, audited);
        let bind_now = core::mem::replace(&mut self.config.bind_now, true);
        for (_, _, closure) in self.audit_candidates.clone() {
            for &id in order.iter().filter(|id| closure.contains(id) && audited.contains(id)) {
                if let Err(e) = self.relocate(id, &closure) {
                    e.die();
                }
            }
        }
        self.config.bind_now = bind_now;
        order.into_iter().filter(|id| audited.contains(id)).collect()
    }

    /// Runs the audit modules' initializers (`order`, from
    /// `relocate_audit_modules`), then delivers start-up's events and
    /// `LA_ACT_CONSISTENT`; `la_preinit` comes later, from the C library,
    /// once every initializer has run.  Nothing without audit modules.
    ///
    /// # Safety
    /// As `run_inits`: every object in `order` is mapped and relocated, and
    /// `args` are the process's (argc, argv, envp).
    pub unsafe fn init_audit_modules(
        &mut self,
        order: &[DsoId],
        main: DsoId,
        map_of: fn(DsoId) -> usize,
        args: (usize, *const *const u8, *const *const u8),
    ) {
        if self.audit.is_none() {
            return;
        }
        // SAFETY: the caller's contract.
        unsafe { self.run_inits(order, args.0, args.1, args.2) };
        self.start_auditing(main, map_of);
        if let Some(a) = self.audit.as_deref_mut() {
            a.activity(LA_ACT_CONSISTENT);
        }
    }

    /// Loads the audit modules named by `list` (colon-separated) for the
    /// program `main`, each with what it needs, outside the global scope;
    /// returns the objects to relocate with the rest of start-up.  A module
    /// that cannot be loaded is reported and skipped, as glibc skips it.
    pub fn load_audit_modules(&mut self, list: &[u8], main: DsoId) -> Vec<DsoId> {
        let mut all = Vec::new();
        for name in list.split(|&c| c == b':').filter(|n| !n.is_empty()) {
            // A privileged program takes no module named by path.
            if self.config.secure && name.contains(&b'/') {
                continue;
            }
            let before = self.objs.ids();
            let loaded = self.load_one(name, main, crate::namespace::BASE).and_then(|id| {
                let mut closure = alloc::vec![id];
                self.load_closure(&mut closure).map(|()| (id, closure))
            });
            match loaded {
                Ok((id, closure)) => {
                    for &o in &closure {
                        if !before.contains(&o) && !all.contains(&o) {
                            all.push(o);
                        }
                    }
                    self.audit_candidates.push((name.to_vec(), id, closure));
                }
                Err(e) => {
                    // The message alone: glibc leaves the error number's text out.
                    Msg::new()
                        .s(b"ERROR: ld.so: object '")
                        .s(name)
                        .s(b"' cannot be loaded as audit interface: ")
                        .s(&e.message)
                        .s(b"; ignored.")
                        .write_line(2);
                }
            }
        }
        all
    }

    /// Start-up is relocated and the C library initialized: each module's
    /// `la_version` is asked, its callbacks looked up, and the events of
    /// start-up delivered.
    pub fn start_auditing(&mut self, main: DsoId, map_of: fn(DsoId) -> usize) {
        let candidates = core::mem::take(&mut self.audit_candidates);
        let mut modules = Vec::new();
        for (name, id, closure) in candidates {
            let find = |sym: &[u8]| -> usize {
                let q = Query {
                    name: sym,
                    gnu_hash: elf::gnu_hash(sym),
                    version: None,
                    class: Class::Plt,
                    newest: false,
                };
                self.lookup(&closure, &q, None)
                    .map_or(0, |f| self.symbol_address(f.dso, f.sym))
            };
            let version = find(b"la_version");
            if version == 0 {
                Msg::new()
                    .s(b"ERROR: ld.so: object '")
                    .s(&name)
                    .s(b"' cannot be loaded as audit interface: ")
                    .s(self.objs[id].l_name())
                    .s(b": undefined symbol: la_version; ignored.")
                    .write_line(2);
                continue;
            }
            // SAFETY: the module's `la_version`, by rtld-audit(7)'s signature.
            let version: extern "C" fn(u32) -> u32 = unsafe { core::mem::transmute(version) };
            let v = version(LAV_CURRENT);
            if v == 0 {
                if crate::debug::on(crate::debug::FILES) {
                    let line = Msg::new()
                        .s(b"file=")
                        .s(self.objs[id].l_name())
                        .s(b" [0]; audit interface function la_version returned zero; ignored.\n");
                    crate::debug::print(line.bytes());
                }
                continue;
            }
            if v > LAV_CURRENT {
                let line = Msg::new()
                    .s(b"ERROR: audit interface '")
                    .s(&name)
                    .s(b"' requires version ")
                    .dec(v as u64)
                    .s(b" (maximum supported version ")
                    .dec(LAV_CURRENT as u64)
                    .s(b"); ignored.\n");
                crate::debug::print(line.bytes());
                continue;
            }
            modules.push(Module {
                objsearch: find(b"la_objsearch"),
                activity: find(b"la_activity"),
                objopen: find(b"la_objopen"),
                objclose: find(b"la_objclose"),
                preinit: find(b"la_preinit"),
                symbind: find(b"la_symbind64"),
            });
        }
        let Some(mut audit) = self.audit.take() else { return };
        let events = audit.pending.take().unwrap_or_default();
        if modules.is_empty() {
            return;
        }
        audit.modules = modules;
        audit.map_of = map_of;
        audit.head = main;
        for e in events {
            match e {
                Event::Search(name, from, flag) => {
                    let _ = audit.deliver_search(&name, from, flag);
                }
                Event::Open(id) => audit.open(id),
                Event::Activity(flag) => audit.activity(flag),
            }
        }
        // The bindings of start-up came after every load.
        for b in audit.binds.with(core::mem::take) {
            let _ = audit.symbind(self, b.from, b.def, b.sym, b.value, b.via);
        }
        self.audit = Some(audit);
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
            map_of: |_| 0,
            head: main,
        }));
        let interp = self.objs.position(|d| d.kind == Kind::Interpreter);
        if let Some(a) = self.audit.as_deref_mut() {
            a.open(main);
            if let Some(i) = interp {
                a.open(i);
            }
            a.activity(LA_ACT_ADD);
        }
    }
}

impl Linker {
    /// A PLT slot of object `id` for its symbol `idx` is bound to `value`
    /// (`plt_now`: at relocation, else lazily): what the audit modules
    /// make of it.  Called only with modules loaded.
    pub fn audit_bind(&self, id: DsoId, idx: u32, value: usize, plt_now: bool) -> usize {
        let Some(audit) = self.audit.as_deref() else {
            return value;
        };
        let dso = &self.objs[id];
        let Some(sym) = dso.symtab.get(idx as usize) else {
            return value;
        };
        if idx == 0 || sym.st_bind() == elf::consts::STB_LOCAL {
            return value;
        }
        let Ok((name, gnu_hash)) = dso.strtab.get_with_gnu_hash(sym.st_name) else {
            return value;
        };
        let q = Query {
            name,
            gnu_hash,
            version: self.version_req(id, idx),
            class: Class::Plt,
            newest: false,
        };
        let scope = self.scope_of(id);
        match self.lookup_from(id, &scope, &q, None) {
            Some(f) => audit.symbind(
                self,
                id,
                f.dso,
                f.sym,
                value,
                if plt_now { Via::PltNow } else { Via::Lazy },
            ),
            None => value,
        }
    }
}
