//! Loading objects at run time (`dlopen`): the same phases as start-up —
//! load the closure, check versions, relocate dependencies first, protect
//! RELRO, initialize — applied to the objects a call brings in.
//!
//! # Scopes
//! Each call works in one namespace (`namespace.rs`): the caller's for
//! `dlopen`, the one asked for by `dlmopen`.  An object loaded at start-up
//! resolves its symbols in the global scope.
//! One loaded by `dlopen` resolves them in the global scope and then in its
//! own *local* scope: itself and its dependencies, breadth-first.  With
//! `RTLD_GLOBAL` its local scope is also appended to the global scope, so
//! objects loaded later (and `dlsym(RTLD_DEFAULT)`) see its symbols.
//!
//! With `RTLD_DEEPBIND` the objects the call loads search their local scope
//! *before* the global one (glibc's `_dl_new_object` puts the root's search
//! list first in their `l_scope`): a library and its dependencies bind to
//! each other even where the program or an earlier library defines the same
//! names.  Objects that were loaded already keep their scopes.

use alloc::vec::Vec;

use crate::diag::{LoadError, Msg};
use crate::dso::{DsoId, Kind};
use crate::namespace::{NsId, BASE};
use crate::rtld::Linker;

/// `dlopen` mode bits (`<dlfcn.h>`).
pub mod mode {
    pub const RTLD_LAZY: i32 = 0x1;
    pub const RTLD_NOW: i32 = 0x2;
    /// `RTLD_LAZY | RTLD_NOW`: a `dlopen` must ask for one.
    pub const RTLD_BINDING_MASK: i32 = 0x3;
    pub const RTLD_NOLOAD: i32 = 0x4;
    pub const RTLD_DEEPBIND: i32 = 0x8;
    pub const RTLD_GLOBAL: i32 = 0x100;
    pub const RTLD_NODELETE: i32 = 0x1000;
}

/// What a `dlopen` loaded.
pub struct Opened {
    /// The object asked for.
    pub root: DsoId,
    /// The objects this call loaded, in load order (empty if `root` was loaded already).
    pub new: Vec<DsoId>,
    /// `root`'s search list: itself and what it needs, breadth-first.
    pub local: Vec<DsoId>,
}

impl Linker {
    /// Loads `name` (and what it needs) into namespace `ns` on behalf of
    /// object `caller`; does not relocate or initialize.  `Ok(None)` for
    /// `RTLD_NOLOAD` of an object that is not loaded.  A namespace that held
    /// nothing gets its global scope from this first object (`namespace.rs`).
    pub fn dl_load(&mut self, name: &[u8], flags: i32, caller: DsoId, ns: NsId) -> Result<Option<Opened>, LoadError> {
        self.created.clear();
        let root = match self.find_loaded(name, ns) {
            Some(id) => id,
            // Not loaded under that name: as glibc, the file is looked for
            // (a name found nowhere is an error) and matched by identity
            // with the objects loaded, which it may be under another name.
            None if flags & mode::RTLD_NOLOAD != 0 => {
                let found = self.search_file(name, caller)?;
                match self.loaded_file(&found, ns) {
                    Some(id) => id,
                    None => return Ok(None),
                }
            }
            None => {
                self.loading_root = true;
                let loaded = self.load_one(name, caller, ns);
                self.loading_root = false;
                match loaded {
                    Ok(id) => id,
                    Err(e) => return Err(self.dl_discard(e)),
                }
            }
        };
        // An audit module, mapped by start-up into its namespace and
        // completed here (`audit.rs`), is new to this load.
        if !self.objs[root].relocated && self.audit_ns(ns) && !self.created.contains(&root) {
            self.created.push(root);
        }
        let mut local = alloc::vec![root];
        if let Err(e) = self.load_closure(&mut local) {
            return Err(self.dl_discard(e));
        }
        let new: Vec<DsoId> = self.created.clone();
        if let Err(e) = self.check_versions_of(&new) {
            return Err(self.dl_discard(e));
        }
        for &id in &new {
            let dso = &mut self.objs[id];
            dso.local_scope.set(local.clone());
            dso.dlopened = true;
            dso.deepbind = flags & mode::RTLD_DEEPBIND != 0;
            if dso.dynamic.flags_1 & elf::consts::DF_1_NODELETE != 0 {
                // Final once the `dlopen` succeeds, as glibc activates it.
                dso.nodelete.mark(true);
            }
        }
        if ns != BASE && self.global(ns).is_empty() {
            self.set_global(ns, local.clone());
        }
        let global = self.global(ns);
        if crate::debug::on(crate::debug::SCOPES) {
            let r = &self.objs[root];
            let own = [root];
            let first: &[DsoId] = if r.symbolic() { &own } else { &[] };
            if new.contains(&root) && r.deepbind {
                self.debug_scope(root, &[&local, global]);
            } else if new.contains(&root) {
                self.debug_scope(root, &[first, global, &local]);
            } else if !r.dlopened && r.open_count == 0 && r.kind != crate::dso::Kind::Main {
                // A start-up library opened for the first time: glibc builds
                // its search list now and shows the scopes of its members.
                self.debug_scope(root, &[first, global]);
                self.debug_scopes_of(&local, &[], global);
            }
        }
        let root_dso = &mut self.objs[root];
        root_dso.open_count += 1;
        if flags & mode::RTLD_NODELETE != 0 {
            root_dso.nodelete.mark(true);
        }
        let global = &self.namespaces[ns].global;
        if flags & mode::RTLD_GLOBAL != 0 && local.iter().any(|id| !global.contains(id)) {
            let mut extended = global.to_vec();
            extended.extend(local.iter().copied().filter(|id| !global.contains(id)));
            self.set_global(ns, extended);
        }
        self.assign_dynamic_tls(&new);
        Ok(Some(Opened { root, new, local }))
    }

    /// Relocates the objects a `dl_load` brought in, dependencies first.
    pub fn dl_relocate(&mut self, opened: &Opened) -> Result<(), LoadError> {
        let new = &opened.new[..];
        let bind_now = self.config.bind_now;
        // Dependencies first; the walk may pass through objects loaded
        // before, which are relocated already and must not be again.
        let order: Vec<DsoId> = crate::init::init_order(self, new)
            .into_iter()
            .filter(|d| new.contains(d))
            .collect();
        // NODELETE marks made by these relocations stay pending until all
        // of them succeed (glibc's `l_nodelete_pending`).
        self.relocating.store(true, core::sync::atomic::Ordering::Relaxed);
        let mut result = Ok(());
        for &id in &order {
            let scope = self.scope_of(id);
            result = self.relocate(id, &scope);
            if result.is_err() {
                break;
            }
        }
        // Relocated, each object's RELRO becomes read-only; a failure
        // fails the `dlopen` (as glibc's `_dl_protect_relro`).
        if result.is_ok() {
            result = new.iter().try_for_each(|&id| self.protect_relro(id));
        }
        self.relocating.store(false, core::sync::atomic::Ordering::Relaxed);
        for d in self.objs.iter() {
            d.nodelete.settle(result.is_ok());
        }
        result?;
        self.config.bind_now = bind_now;
        if crate::debug::on(crate::debug::FILES) {
            for &id in new
                .iter()
                .filter(|&&id| self.objs[id].dynamic.flags_1 & elf::consts::DF_1_NODELETE != 0)
            {
                let line = Msg::new()
                    .s(b"activating NODELETE for ")
                    .s(&self.objs[id].name)
                    .ns(self.objs[id].ns);
                crate::debug::print(line.s(b"\n").bytes());
            }
        }
        // Relocated, the new objects join their closure's scopes.  Objects
        // opened before, and initialized, that the closure holds gain its
        // search list as one more scope — whenever an object is opened as
        // the root of a `dlopen` for the first time, as glibc's
        // `update_scopes` adds the new `l_searchlist`: an object loaded as a
        // dependency of a root closed since keeps finding its own symbols
        // through the search list of any later root that holds it.
        let local = &opened.local;
        if self.objs[opened.root].initfini.is_none() {
            for &id in local {
                let d = &self.objs[id];
                if d.dlopened && d.init_called && !new.contains(&id) && !d.extra_scopes.contains(local) {
                    let mut extra = d.extra_scopes.to_vec();
                    extra.push(local.clone());
                    d.extra_scopes.set(extra);
                }
            }
        }
        // glibc shows each member's scopes (the objects `dlopen` just made
        // global only become so later).
        if !new.is_empty() && crate::debug::on(crate::debug::SCOPES) {
            let global: Vec<DsoId> = self
                .global_of(opened.root)
                .iter()
                .copied()
                .filter(|d| !new.contains(d))
                .collect();
            self.debug_scopes_of(local, new, &global);
        }
        Ok(())
    }

    /// `dlopen(NULL)`: one more reference to the program, which is already
    /// loaded and initialized.
    pub fn dl_open_program(&mut self) -> DsoId {
        let main = self.program();
        let d = &mut self.objs[main];
        d.open_count += 1;
        if crate::debug::on(crate::debug::FILES) {
            let line = Msg::new()
                .s(b"opening file=")
                .s(d.l_name())
                .ns(d.ns)
                .s(b"; direct_opencount=");
            crate::debug::print(line.dec(d.open_count as u64).s(b"\n\n").bytes());
        }
        main
    }

    /// Runs the initializers of the objects a `dlopen` brought in.
    ///
    /// # Safety
    /// The objects are relocated.
    pub unsafe fn dl_init(&mut self, root: DsoId, local: &[DsoId]) {
        let closure = local;
        let first_time = self.objs[root].initfini.is_none() && self.objs[root].kind != crate::dso::Kind::Main;
        let fresh_root = first_time && !self.objs[root].init_called;
        let order = crate::init::dlopen_init_order(self, root, closure, fresh_root);
        if first_time {
            // Later sorts follow what glibc keeps as the root's `l_initfini`.
            let initfini = order.iter().rev().copied().filter(|&d| d != root).collect();
            self.objs[root].initfini = Some(initfini);
        }
        let fresh: Vec<DsoId> = order.iter().copied().filter(|&d| !self.objs[d].init_called).collect();
        let (argc, argv, envp) = self.argv;
        // SAFETY: the caller's contract.
        unsafe { self.run_inits(&fresh, argc, argv as *const *const u8, envp as *const *const u8) };
        if crate::debug::on(crate::debug::FILES) {
            let d = &self.objs[root];
            let line = Msg::new()
                .s(b"opening file=")
                .s(d.l_name())
                .ns(d.ns)
                .s(b"; direct_opencount=");
            crate::debug::print(line.dec(d.open_count as u64).s(b"\n\n").bytes());
        }
    }

    /// `LD_DEBUG=scopes` after a `dlopen`: the scopes of each member of the
    /// opened object's closure `local` (glibc's `update_scopes`): the objects
    /// it loaded (`new`) have the global one and `local`, start-up objects
    /// the global one.
    fn debug_scopes_of(&self, local: &[DsoId], new: &[DsoId], global: &[DsoId]) {
        for &id in local {
            let d = &self.objs[id];
            let own = [id];
            let first: &[DsoId] = if d.symbolic() { &own } else { &[] };
            if new.contains(&id) && d.deepbind {
                self.debug_scope(id, &[local, global]);
            } else if new.contains(&id) {
                self.debug_scope(id, &[first, global, local]);
            } else if !d.dlopened {
                self.debug_scope(id, &[first, global]);
            } else if d.extra_scopes.last().is_some_and(|l| l == local) && d.init_called {
                // Only the scope it just gained, numbered after the others.
                let n = first.len() + 2 + d.extra_scopes.len() - 1;
                let out = local
                    .iter()
                    .fold(
                        Msg::new()
                            .s(b"object=")
                            .s(d.display_name())
                            .ns(d.ns)
                            .s(b"\n scope ")
                            .dec(n as u64)
                            .s(b":"),
                        |o, &m| o.s(b" ").s(self.objs[m].display_name()),
                    )
                    .s(b"\n\n");
                crate::debug::print(out.bytes());
            } else {
                // Already holding this search list: shown whole.
                let extra: Vec<&[DsoId]> = d.extra_scopes.iter().map(|v| &v[..]).collect();
                let mut scopes: Vec<&[DsoId]> = if d.deepbind {
                    alloc::vec![&d.local_scope, global]
                } else {
                    alloc::vec![first, global, &d.local_scope]
                };
                scopes.extend(extra);
                self.debug_scope(id, &scopes);
            }
        }
    }

    /// `LD_DEBUG=scopes`: object `id` and its lookup scopes (glibc's `_dl_show_scope`).
    fn debug_scope(&self, id: DsoId, scopes: &[&[DsoId]]) {
        let d = &self.objs[id];
        let mut out = Msg::new().s(b"object=").s(d.display_name()).ns(d.ns).s(b"\n");
        // The loader's own record has no scope of its own.
        let scopes = if self.objs[id].kind == crate::dso::Kind::Interpreter {
            out = out.s(b" no scope\n");
            &[]
        } else {
            scopes
        };
        for (n, list) in scopes.iter().filter(|l| !l.is_empty()).enumerate() {
            out = out.s(b" scope ").dec(n as u64).s(b":");
            for &d in list.iter() {
                out = out.s(b" ").s(self.objs[d].display_name());
            }
            out = out.s(b"\n");
        }
        crate::debug::print(out.s(b"\n").bytes());
    }

    /// `dlclose` of object `root`: one reference fewer.  True when none is
    /// left and the caller should now unload what nothing holds any more
    /// (`collect_unused`).  `Err` if the object is not open.
    pub fn dl_close(&mut self, root: DsoId) -> Result<bool, ()> {
        let dso = &mut self.objs[root];
        if dso.open_count == 0 {
            return Err(());
        }
        dso.open_count -= 1;
        if (dso.open_count > 0 || !dso.dlopened) && crate::debug::on(crate::debug::FILES) {
            let line = Msg::new()
                .s(b"\nclosing file=")
                .s(dso.l_name())
                .s(b"; direct_opencount=");
            crate::debug::print(line.dec(dso.open_count as u64).s(b"\n").bytes());
        }
        if dso.open_count > 0 || !dso.dlopened {
            return Ok(false);
        }
        if self.closing {
            // A finalizer closed it: the collection running now goes round
            // once more when its finalizers are done (glibc's `rerun`).
            self.close_again = true;
            return Ok(false);
        }
        Ok(true)
    }

    /// Finds every object loaded by `dlopen` that nothing holds any more
    /// and runs its finalizers, each object's followed by its `la_objclose`
    /// (and `LA_ACT_DELETE` once); returns them, in finalizer order, for the
    /// caller to take out of its own tables before `remove_objects`.
    ///
    /// As glibc's `_dl_close_worker`, the whole namespace is examined, not
    /// only what the closed object needed: an object is *held* if it was
    /// loaded at start-up, is open, is NODELETE, or is `pinned` (the C
    /// library still has work for it: glibc counts pending `thread_local`
    /// destructors in `l_tls_dtor_count`); whatever a held object needs
    /// (`DT_NEEDED`) or was bound to (`reldeps`) is held too.  An object
    /// kept once because it was pinned goes at a later `dlclose`.
    ///
    /// `closed` is the object whose `dlclose` asked for this collection
    /// (`None` when a finalizer's `dlclose` asked for one more): under
    /// [`FiniFirst::Closed`](crate::init::FiniFirst) its finalizers run first.
    pub fn collect_unused(&mut self, pinned: &dyn Fn(DsoId) -> bool, closed: Option<DsoId>) -> Vec<DsoId> {
        let mut held = alloc::vec![false; self.objs.bound()];
        let mut work: Vec<DsoId> = Vec::new();
        for (id, d) in self.objs.enumerate() {
            if !d.dlopened || d.open_count > 0 || d.nodelete.any() || pinned(id) {
                held[id] = true;
                work.push(id);
            }
        }
        while let Some(id) = work.pop() {
            let d = &self.objs[id];
            for &n in d.needed.iter().chain(d.reldeps.iter()) {
                if !held[n] {
                    held[n] = true;
                    work.push(n);
                }
            }
        }
        let doomed: Vec<DsoId> = self.objs.ids().into_iter().filter(|&d| !held[d]).collect();
        if doomed.is_empty() {
            return doomed;
        }
        let (order, loader_records) = self.closing_order(&doomed, closed);
        // Each object's finalizers, then the audit modules see it close; that
        // its namespace shrinks they learn before the first close or after
        // the last, by the runtime's rule.  A namespace is named by its first
        // object.
        let head = order.first().and_then(|&d| self.namespace_head(self.objs[d].ns));
        let notice = self.config.audit_rules.delete;
        let delete = |ld: &mut Linker| {
            if let (Some(a), Some(h)) = (ld.audit.as_deref_mut(), head) {
                a.activity(h, crate::audit::LA_ACT_DELETE);
            }
        };
        self.closing = true;
        let loader = self.objs.position(|d| d.kind == Kind::Interpreter);
        for (i, &id) in order.iter().enumerate() {
            self.run_fini_of(id);
            if i == 0 && notice == crate::audit::DeleteNotice::BeforeCloses {
                delete(self);
            }
            let ns = self.objs[id].ns;
            if let Some(a) = self.audit.as_deref_mut() {
                a.close(id, ns);
                for &(_, ns) in loader_records.iter().filter(|&&(after, _)| after == i) {
                    if let Some(l) = loader {
                        a.close_loader_record(l, ns);
                    }
                }
            }
        }
        self.closing = false;
        if notice == crate::audit::DeleteNotice::AfterCloses {
            delete(self);
        }
        order
    }

    /// The objects of `doomed` in the order glibc's `dlclose` finalizes
    /// them: each namespace's link map sorted for finalization
    /// (`fini_order`), the doomed taken in that order; which object stays in
    /// front is the runtime's rule (`closed`: the object `dlclose` was
    /// called on).  Also, for each namespace emptied, the loader's record
    /// there, which goes last (every object there needs it through libc):
    /// as the position in the order after which it is closed.
    fn closing_order(&self, doomed: &[DsoId], closed: Option<DsoId>) -> (Vec<DsoId>, Vec<(usize, NsId)>) {
        let mut order: Vec<DsoId> = Vec::with_capacity(doomed.len());
        let loader = self.objs.position(|d| d.kind == Kind::Interpreter);
        let mut loader_records: Vec<(usize, NsId)> = Vec::new();
        for ns in self.namespaces_in_use() {
            if !doomed.iter().any(|&d| self.objs[d].ns == ns) {
                continue;
            }
            let mut list = self.link_map_order(ns);
            let keep_first = match self.config.fini_first {
                crate::init::FiniFirst::BaseHead => ns == BASE,
                crate::init::FiniFirst::Closed => {
                    // The closed object trades places with the list's first.
                    match closed.and_then(|c| list.iter().position(|&d| d == c)) {
                        Some(at) => {
                            list.swap(0, at);
                            true
                        }
                        None => false,
                    }
                }
            };
            let sorted = crate::init::fini_order(self, &list, keep_first, Some(doomed));
            order.extend(sorted.into_iter().filter(|d| doomed.contains(d)));
            let emptied = ns != BASE && self.objs.enumerate().all(|(id, d)| d.ns != ns || doomed.contains(&id));
            if emptied && loader.is_some_and(|l| self.objs.iter().any(|d| d.ns == ns && d.needed.contains(&l))) {
                loader_records.push((order.len() - 1, ns));
            }
        }
        (order, loader_records)
    }

    /// A reference of object `from` was bound to a definition in object
    /// `def` (glibc's `add_dependency`): if `def` came from another `dlopen`
    /// and could be unloaded before `from`, `from` now holds it — as a
    /// relocation dependency (`reldeps`), or, when `from` is never unloaded
    /// (a start-up object), by making `def` NODELETE.  Under the load lock.
    #[inline]
    pub fn note_binding(&self, from: DsoId, def: DsoId) {
        // Nearly every binding, and all of start-up's: to itself, or to an
        // object no `dlclose` can unload.
        if from == def || !self.objs[def].dlopened {
            return;
        }
        self.note_dlopened_binding(from, def);
    }

    /// `note_binding` of a definition in an object `dlopen` loaded.
    #[inline(never)]
    fn note_dlopened_binding(&self, from: DsoId, def: DsoId) {
        let (f, d) = (&self.objs[from], &self.objs[def]);
        let relocating = self.relocating.load(core::sync::atomic::Ordering::Relaxed);
        if !d.dlopened || d.nodelete.active() || (relocating && d.nodelete.any()) {
            return;
        }
        // Already held: a direct dependency, a member of its own search list
        // if it was opened as a root (glibc's `l_initfini`), or recorded.
        // Not its first root's search list: that root may go before it.
        if f.needed.contains(&def) || f.initfini.as_ref().is_some_and(|l| l.contains(&def)) || f.reldeps.contains(&def)
        {
            return;
        }
        if !f.dlopened {
            if crate::debug::on(crate::debug::BINDINGS) {
                let mut line = Msg::new()
                    .s(b"marking ")
                    .s(&d.name)
                    .ns(d.ns)
                    .s(b" as NODELETE due to reference ");
                line = if f.kind == crate::dso::Kind::Main {
                    line.s(b"from main program")
                } else {
                    line.s(b"from ").s(&f.name).ns(f.ns)
                };
                crate::debug::print(line.s(b"\n").bytes());
            }
            d.nodelete.mark(relocating);
            return;
        }
        let mut reldeps = f.reldeps.to_vec();
        reldeps.push(def);
        f.reldeps.set(reldeps);
    }

    /// Takes objects `gone` out of the linker: their ids leave every list
    /// that held them (so the slots can be reused), their mappings and
    /// records are retired, to be unmapped and freed once no lock-free
    /// reader can be inside them (`grace.rs`).
    pub fn remove_objects(&mut self, gone: &[DsoId]) {
        if gone.is_empty() {
            return;
        }
        // Their TLS modules go first: no thread may start setting up a
        // block from an image that is about to disappear.
        self.release_tls(gone);
        let keep = |d: &DsoId| !gone.contains(d);
        for (ns, space) in self.namespaces.iter().enumerate() {
            let global = &space.global;
            if global.iter().all(keep) {
                continue;
            }
            // Another namespace's global scope is its first object's search
            // list, which goes with that object (as glibc's does).
            if ns != BASE && global.first().is_some_and(|f| !keep(f)) {
                self.set_global(ns, Vec::new());
            } else {
                self.set_global(ns, global.iter().copied().filter(keep).collect());
            }
            space.unique.with(|u| u.retain(|(_, f)| keep(&f.dso)));
        }
        if self
            .objs
            .iter()
            .any(|d| d.initfini.as_ref().is_some_and(|l| !l.iter().all(keep)))
        {
            self.objs.for_each_mut(|_, d| {
                if let Some(l) = d.initfini.as_mut() {
                    l.retain(keep);
                }
            });
        }
        self.objs.for_each_mut(|id, d| {
            if !keep(&id) {
                return;
            }
            d.needed.retain(keep);
            if !d.reldeps.iter().all(keep) {
                d.reldeps.set(d.reldeps.iter().copied().filter(keep).collect());
            }
            if d.loader.is_some_and(|l| !keep(&l)) {
                d.loader = None;
            }
            // A scope is the search list of the object a `dlopen` opened,
            // which holds all of it: one with a member gone is the list of
            // a root that is gone, and goes with it.  As glibc's
            // `_dl_close_worker`, a survivor that loses its first root's
            // list gets a search list of its own in its place: itself and
            // its direct dependencies.
            if !d.local_scope.iter().all(keep) {
                let own = core::iter::once(id)
                    .chain(d.needed.iter().copied().filter(keep))
                    .collect();
                d.local_scope.set(own);
            }
            if !d.extra_scopes.iter().all(|l| l.iter().all(keep)) {
                let extra = d.extra_scopes.iter().filter(|l| l.iter().all(keep)).cloned().collect();
                d.extra_scopes.set(extra);
            }
        });
        let touched: Vec<NsId> = gone.iter().filter_map(|&id| self.objs.get(id).map(|d| d.ns)).collect();
        for &id in gone {
            let Some(removed) = self.objs.remove(id) else { continue };
            let d = removed.dso();
            if crate::debug::on(crate::debug::FILES) {
                let line = Msg::new().s(b"\nfile=").s(&d.name).s(b" [").dec(d.ns as u64);
                crate::debug::print(line.s(b"];  destroying link map\n").bytes());
            }
            let start = d.map_start & !(self.page - 1);
            crate::grace::retire(crate::map::Unmap {
                start,
                len: d.map_end.saturating_sub(start),
            });
            crate::grace::retire(removed);
        }
        // A namespace left empty loses the record of ld-rs that glibc's
        // loader keeps there, last.
        for (i, &ns) in touched.iter().enumerate() {
            if ns == BASE || touched[..i].contains(&ns) || self.namespace_in_use(ns) {
                continue;
            }
            self.namespaces[ns].loader_record.clear();
            let file = core::mem::take(&mut self.namespaces[ns].loader_file);
            if !file.is_empty() && crate::debug::on(crate::debug::FILES) {
                let line = Msg::new().s(b"\nfile=").s(&file).s(b" [").dec(ns as u64);
                crate::debug::print(line.s(b"];  destroying link map\n").bytes());
            }
        }
    }

    /// Undoes a `dl_load` that failed: every object it loaded is unmapped
    /// and forgotten.  Returns the error, for the caller to pass on.
    pub fn dl_discard(&mut self, e: LoadError) -> LoadError {
        let created = core::mem::take(&mut self.created);
        self.tell_discarded(&created);
        self.remove_objects(&created);
        e
    }

    /// The audit modules, told of the objects of a `dlopen` as they were
    /// mapped, see them closed when it fails, as glibc's loader unloads
    /// them (its `dlclose` of the new root).
    fn tell_discarded(&mut self, created: &[DsoId]) {
        if self.audit.is_none() {
            return;
        }
        let (order, loader_records) = self.closing_order(created, created.first().copied());
        let loader = self.objs.position(|d| d.kind == Kind::Interpreter);
        let mut closing: Vec<(DsoId, NsId)> = Vec::with_capacity(order.len() + loader_records.len());
        for (i, &id) in order.iter().enumerate() {
            closing.push((id, self.objs[id].ns));
            for &(_, ns) in loader_records.iter().filter(|&&(after, _)| after == i) {
                closing.extend(loader.map(|l| (l, ns)));
            }
        }
        let ns = order.first().map_or(BASE, |&d| self.objs[d].ns);
        let head = self.namespace_head(ns);
        let emptied = ns != BASE && self.objs.enumerate().all(|(id, d)| d.ns != ns || created.contains(&id));
        let rules = self.config.audit_rules;
        if let (Some(a), Some(h)) = (self.audit.as_deref_mut(), head) {
            a.failed(&closing, h, rules, emptied);
        } else if let Some(a) = self.audit.as_deref_mut() {
            a.discard();
        }
    }

    /// The scope object `id`'s symbol references are resolved in: its
    /// namespace's global scope, then its local one whole (as glibc's two
    /// scope elements; an object in both is searched twice when nothing
    /// matches, which `LD_DEBUG=symbols` shows).  In a namespace `dlmopen`
    /// made, the objects of its first closure have only the one: their local
    /// scope is the global scope.
    pub fn scope_of(&self, id: DsoId) -> Vec<DsoId> {
        let dso = &self.objs[id];
        let global = self.global(dso.ns);
        let mut scope = Vec::with_capacity(1 + global.len() + dso.local_scope.len());
        // A DT_SYMBOLIC object searches itself first; an RTLD_DEEPBIND one
        // its local scope.
        if dso.symbolic() {
            scope.push(id);
        }
        let first_closure = dso.ns != BASE && !global.is_empty() && dso.local_scope.first() == global.first();
        if dso.deepbind && !first_closure {
            scope.extend_from_slice(&dso.local_scope);
            scope.extend_from_slice(global);
        } else {
            scope.extend_from_slice(global);
            if !first_closure {
                scope.extend_from_slice(&dso.local_scope);
            }
        }
        for extra in self.objs[id].extra_scopes.iter() {
            scope.extend_from_slice(extra);
        }
        scope
    }

    /// Gives TLS module ids to newly loaded objects, the lowest free ones
    /// first.  Their blocks are allocated per thread on first use
    /// (`__tls_get_addr`), or placed in the static surplus by relocation.
    fn assign_dynamic_tls(&mut self, new: &[DsoId]) {
        for &id in new {
            if self.objs[id].tls.is_some() {
                let modid = self.next_tls_modid();
                if let Some(t) = self.objs[id].tls.as_mut() {
                    t.modid = modid;
                    t.offset = 0;
                }
            }
        }
    }
}
