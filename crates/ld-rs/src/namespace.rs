//! Link-map namespaces: independent worlds of loaded objects in one process.
//!
//! # What a namespace is
//! Every object belongs to one namespace (`Dso::ns`).  The program and what
//! start-up loads form the *base* namespace; `dlmopen` can open a library in
//! a new one, where it gets its own copy of everything it needs — a second
//! `libc.so.6`, mapped again, with its own data, its own TLS module and its
//! own initializers — and where its symbol references are resolved among
//! the namespace's own objects only.  Each namespace has its own global
//! scope and its own table of `STB_GNU_UNIQUE` bindings.  Only ld-rs itself
//! is shared: a library in any namespace that needs the dynamic linker gets
//! the one that is running (there is one loader per process, whatever the
//! namespace).
//!
//! A namespace other than the base one lives while it holds objects: when
//! `dlclose` unloads the last of them, its id is free again for the next
//! `dlmopen` that asks for a new namespace.
//!
//! # Global scopes
//! In the base namespace the global scope is the program's search list,
//! extended by `RTLD_GLOBAL`.  A namespace opened by `dlmopen` has no
//! program: as in glibc, its global scope is the search list of the first
//! object opened in it (that object and what it needs, breadth-first),
//! which every object later loaded into the namespace searches first.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::dso::{DsoId, Kind};
use crate::grace::{Published, SpinLock};
use crate::lookup::UniqueTable;
use crate::rtld::Linker;
use crate::search::Found;

/// A namespace's number (glibc's `Lmid_t`): an index into `Linker::namespaces`.
pub type NsId = usize;

/// The program's namespace (`LM_ID_BASE`).
pub const BASE: NsId = 0;

/// How many namespaces a process may have at once, the base one included:
/// glibc's `DL_NNS`, whose records a C library built for it reads.  The
/// table is fixed because lazy binding reads the global scopes in it without
/// a lock: it never moves.
pub const MAX_NAMESPACES: usize = 16;

/// One namespace's shared state.
#[derive(Default)]
pub struct Namespace {
    /// The global scope: every object loaded in the namespace searches it
    /// first.  Read by lazy binding without a lock.
    pub global: Published<Vec<DsoId>>,
    /// The views of the global scope's objects, in its order
    /// (`lookup::View`), for lazy binding: published with it
    /// (`Linker::set_global`).
    pub global_views: Published<Vec<crate::lookup::View>>,
    /// `STB_GNU_UNIQUE` bindings made so far: one definition per name and
    /// namespace.
    pub unique: SpinLock<UniqueTable>,
    /// The namespace holds an audit module and what it needs (`audit.rs`):
    /// its objects are relocated and bound without the modules' callbacks,
    /// and finalized after every other namespace's.
    pub audit: AtomicBool,
    /// The file the search for ld-rs's own name found when the namespace
    /// first needed it (`Linker::load_one`): glibc's loader keeps a record
    /// of itself by that name there, destroyed with the namespace's last
    /// object (`LD_DEBUG=files` says so).
    pub loader_file: Vec<u8>,
    /// The name of that record (`Linker::loader_record_name`).
    pub loader_record: Vec<u8>,
}

impl Linker {
    /// The global scope of namespace `ns`.
    pub fn global(&self, ns: NsId) -> &Published<Vec<DsoId>> {
        &self.namespaces[ns].global
    }

    /// Publishes `ids` as namespace `ns`'s global scope, and its views.
    /// Writers only, as `Published::set`.
    pub fn set_global(&self, ns: NsId, ids: Vec<DsoId>) {
        let space = &self.namespaces[ns];
        // The views first: a lazy binding that reads them with the old
        // scope searches objects that are all still there (an object
        // leaves the table only after both are replaced).
        space.global_views.set(self.views(&ids));
        space.global.set(ids);
    }

    /// The global scope that object `id` searches: its namespace's.
    pub fn global_of(&self, id: DsoId) -> &Published<Vec<DsoId>> {
        self.global(self.objs[id].ns)
    }

    /// Whether namespace `ns` was made for an audit module.
    pub fn audit_ns(&self, ns: NsId) -> bool {
        self.namespaces[ns].audit.load(Ordering::Relaxed)
    }

    /// The program (the first object of the base namespace's global scope).
    pub fn program(&self) -> DsoId {
        self.global(BASE)[0]
    }

    /// Whether namespace `ns` holds any object (ld-rs itself belongs to the
    /// base namespace only).
    pub fn namespace_in_use(&self, ns: NsId) -> bool {
        ns == BASE || (ns < MAX_NAMESPACES && self.objs.iter().any(|d| d.ns == ns))
    }

    /// The lowest namespace other than the base one that holds nothing, for
    /// `dlmopen`'s "a new namespace"; `None` when all are in use.
    pub fn free_namespace(&self) -> Option<NsId> {
        (1..MAX_NAMESPACES).find(|&ns| !self.namespace_in_use(ns))
    }

    /// An object of namespace `ns` that answers to `name`: by the name it
    /// was asked for, its path, or its `DT_SONAME` — the program by its
    /// `DT_SONAME` only (glibc compares every loaded object's, the
    /// program's too: a library needing that name gets the program).
    pub fn find_loaded(&self, name: &[u8], ns: NsId) -> Option<DsoId> {
        // ld-rs itself belongs to every namespace.
        self.objs.position(|d| {
            (d.ns == ns || d.kind == Kind::Interpreter)
                && match d.kind {
                    Kind::Main => d.soname == Some(name),
                    _ => d.requested == name || d.name == name || d.soname == Some(name),
                }
        })
    }

    /// The object of namespace `ns` mapped from the file `found` names (by
    /// device and inode).  The program is no library (glibc refuses to
    /// `dlopen` it); ld-rs itself is found by name only.
    pub fn loaded_file(&self, found: &Found, ns: NsId) -> Option<DsoId> {
        self.objs.position(|d| {
            d.ns == ns
                && d.dev == found.file.dev
                && d.ino == found.file.ino
                && !matches!(d.kind, Kind::Interpreter | Kind::Main)
        })
    }

    /// Namespace `ns`'s objects in glibc's link-map order.  For the base
    /// namespace: the program, the vDSO, the rest of the global scope in
    /// search order (glibc links its own record where the search reached
    /// it), then anything else in load order.  For another: its objects in
    /// load order.  Either way, each object after its filtees.
    pub fn link_map_order(&self, ns: NsId) -> Vec<DsoId> {
        let in_ns = |id: &DsoId| self.objs[*id].ns == ns;
        let global = self.global(BASE);
        let mut order: Vec<DsoId> = Vec::new();
        if ns == BASE {
            order.extend(global.first().copied());
            order.extend(self.objs.position(|d| d.kind == Kind::Vdso));
        }
        // Start-up objects in search order; what `dlopen` loaded (even if
        // made global since) in load order.
        let startup = global
            .iter()
            .skip(1)
            .copied()
            .filter(|&id| ns == BASE && !self.objs[id].dlopened);
        let mut seen = alloc::vec![false; self.objs.bound()];
        for &id in &order {
            seen[id] = true;
        }
        for id in startup.chain(self.objs.ids().into_iter().filter(in_ns)) {
            if seen[id] {
                continue;
            }
            // glibc links a filtee loaded with its filter just before it.
            for &f in &self.objs[id].filtees {
                if !core::mem::replace(&mut seen[f], true) {
                    order.push(f);
                }
            }
            seen[id] = true;
            order.push(id);
        }
        order
    }

    /// Namespace `ns`'s first object in link-map order (the one whose
    /// audit cookie names the namespace); `None` when it is empty.
    pub fn namespace_head(&self, ns: NsId) -> Option<DsoId> {
        if ns == BASE {
            return self.global(BASE).first().copied();
        }
        self.link_map_order(ns).first().copied()
    }

    /// The namespaces in use, highest first: the order glibc's `_dl_fini`
    /// finalizes them in (the base namespace, which holds the C library
    /// the others' objects may still call, last) — those of the audit
    /// modules after all the others, as the modules watch them close.
    pub fn namespaces_in_use(&self) -> Vec<NsId> {
        let in_use = (0..MAX_NAMESPACES).rev().filter(|&ns| self.namespace_in_use(ns));
        let (audit, mut rest): (Vec<NsId>, Vec<NsId>) = in_use.partition(|&ns| self.audit_ns(ns));
        rest.extend(audit);
        rest
    }
}
