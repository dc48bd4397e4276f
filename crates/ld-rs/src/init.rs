//! Initializers and finalizers, in glibc's order.
//!
//! # The order
//! An object's constructors may call into its dependencies, so dependencies
//! are initialized first.  glibc 2.36 computes the order by a depth-first
//! walk (elf/dl-sort-maps.c, the default "dfs" algorithm): the objects are
//! taken from the end of the load list towards its front, each one's
//! `DT_NEEDED` dependencies are visited (in their order) before the object is
//! itself finished, and the finishing order is the initialization order.
//! With a cycle, the walk simply does not revisit an object it has entered,
//! which decides who goes first.  Finalizers run in the exact reverse order.
//!
//! glibc 2.36 still has its older algorithm, chosen with the tunable
//! `glibc.rtld.dynamic_sort=1` (`Config::original_sort`): the list in load
//! order is repaired in place — each object, front to back, is moved just
//! behind the last object that depends on it, and a counter per position
//! stops the moves that a cycle would repeat forever.  Without cycles both
//! orders respect every dependency; with them (and with relocation
//! dependencies, which only finalization counts) they differ.
//!
//! Finalizers follow the same sorts over what is unloaded, with one object
//! kept in front whatever the sort found; which one is a rule that changed
//! between glibc releases ([`FiniFirst`]): glibc 2.36 keeps the program in
//! front (in the base namespace only, and not when relocation dependencies
//! took part), glibc 2.39 and later keep the object `dlclose` was called on
//! (taken to the front of its namespace's list before the sort, in any
//! namespace), so its finalizers run first even before those of an object
//! unloaded with it that depends on it.
//!
//! The executable's `DT_PREINIT_ARRAY` runs before everything; its own
//! `DT_INIT`/`DT_INIT_ARRAY` are left to the program's start-up code (glibc's
//! libc runs them from `__libc_start_main`), but its finalizers are run here
//! at exit, as glibc's `_dl_fini` does.
//!
//! # Safety
//! Calling initializers runs foreign code: the objects must be mapped and
//! fully relocated.

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use elf::consts::*;

use crate::arch;
use crate::dso::{DsoId, Kind};
use crate::rtld::{self, Linker};

/// The initialization order of the objects in `list` (load order, program
/// first), by glibc's depth-first rule.
pub fn init_order(ld: &Linker, list: &[DsoId]) -> Vec<DsoId> {
    let mut order = if ld.config.original_sort {
        sort_original(ld, list, true, None)
    } else {
        sort(ld, list, false, None)
    };
    order.reverse();
    order
}

/// The initialization order of what `dlopen` of `root` brought in (`list`:
/// `root`'s search list, breadth-first), as glibc 2.36 computes it: the same
/// walk, except that a `root` loaded by this very call (`fresh`) has no
/// dependency list yet (glibc sorts before it fills one in), and `root`
/// comes last whatever the walk found.  With a dependency cycle back to
/// `root` this decides who goes first.
pub fn dlopen_init_order(ld: &Linker, root: DsoId, list: &[DsoId], fresh: bool) -> Vec<DsoId> {
    if ld.config.original_sort {
        // The root first (before any filtee of it), and kept there.
        let list: Vec<DsoId> = core::iter::once(root)
            .chain(list.iter().copied().filter(|&d| d != root))
            .collect();
        let mut order = sort_original(ld, &list, true, None);
        order.reverse();
        return order;
    }
    let mut order = sort(ld, list, false, fresh.then_some(root));
    order.retain(|&d| d != root);
    order.insert(0, root);
    order.reverse();
    order
}

/// Which object a sort for finalizers keeps in front of the others (glibc
/// changed this rule between releases; the runtime chooses it at start-up).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FiniFirst {
    /// The first object of the base namespace (the program), at exit and at
    /// `dlclose` alike; other namespaces' lists keep no object in front, and
    /// a sort in which relocation dependencies took part is left as its
    /// second walk made it (glibc 2.36).
    BaseHead,
    /// At `dlclose`, the closed object: swapped with the first object of its
    /// namespace's list before the sort and kept in front after it, in any
    /// namespace and after relocation dependencies' second walk too; a
    /// collection that a finalizer's own `dlclose` asked for keeps nothing in
    /// front.  At exit, the program, as before (glibc 2.39 and later).
    Closed,
}

/// The order finalizers run in, over `list` (link-map order), as glibc's
/// `_dl_fini` and `_dl_close_worker` sort (`for_fini`): relocation
/// dependencies count as dependencies too, and if there are any, a second
/// walk over the result with `DT_NEEDED` links alone has the last word, so
/// static dependencies win over relocation ones in a cycle.  With
/// `keep_first`, `list[0]` is put back in front afterwards (under
/// [`FiniFirst::BaseHead`], unless relocation dependencies took part).  With
/// `doomed` (a `dlclose`), the older algorithm moves only those objects.
pub fn fini_order(ld: &Linker, list: &[DsoId], keep_first: bool, doomed: Option<&[DsoId]>) -> Vec<DsoId> {
    if ld.config.original_sort {
        let movable = |d: DsoId| doomed.is_none_or(|doomed| doomed.contains(&d));
        return sort_original(ld, list, keep_first, Some(&movable));
    }
    let mut saw_reldeps = false;
    let mut order = sort_walk(ld, list, Some(&mut saw_reldeps), None);
    if saw_reldeps {
        order = sort_walk(ld, &order, None, None);
        if ld.config.fini_first == FiniFirst::BaseHead {
            return order;
        }
    }
    if let (true, Some(&head)) = (keep_first, list.first()) {
        if order.first() != Some(&head) {
            order.retain(|&d| d != head);
            order.insert(0, head);
        }
    }
    order
}

/// glibc's original sort (elf/dl-sort-maps.c, `glibc.rtld.dynamic_sort=1`),
/// every object before its dependencies; with `keep_first`, `list[0]` (the
/// program, a `dlopen` root, the closed object) stays first.  For finalizers (`fini`: which objects may
/// move), an object's relocation dependencies count too, unless a
/// `DT_NEEDED` link runs the other way.
fn sort_original(ld: &Linker, list: &[DsoId], keep_first: bool, fini: Option<&dyn Fn(DsoId) -> bool>) -> Vec<DsoId> {
    let mut maps = list.to_vec();
    let skip = usize::from(keep_first).min(maps.len());
    let m = &mut maps[skip..];
    let n = m.len();
    if n <= 1 {
        return maps;
    }
    let deps = |id: DsoId| -> &[DsoId] {
        let d = &ld.objs[id];
        d.initfini.as_deref().unwrap_or(&d.needed)
    };
    // `seen[i]`: how often the object now at position i was examined there
    // since position i last changed hands; it moves with its object.
    let mut seen = vec![0usize; n];
    let mut i = 0;
    loop {
        seen[i] += 1;
        let this = m[i];
        // The last object depending on `this`, if `this` may move.
        let mut behind = None;
        if fini.is_none_or(|movable| movable(this)) {
            for k in (i + 1..n).rev() {
                let other = m[k];
                let needs = deps(other).contains(&this)
                    || (fini.is_some() && ld.objs[other].reldeps.contains(&this) && !deps(this).contains(&other));
                if needs {
                    behind = Some(k);
                    break;
                }
            }
        }
        match behind {
            Some(k) => {
                m[i..=k].rotate_left(1);
                // The object that took position i was examined too often
                // already: a cycle; leave it there and go on.
                if seen[i + 1] > n - i {
                    i += 1;
                    seen[i..].fill(0);
                    continue;
                }
                seen[i..=k].rotate_left(1);
            }
            None => {
                i += 1;
                if i == n {
                    break;
                }
                seen[i..].fill(0);
            }
        }
    }
    maps
}

/// glibc's depth-first sort (elf/dl-sort-maps.c, the default "dfs"): `list`
/// walked from its end, each object after the objects it depends on, the
/// result in reverse post-order — every object before its dependencies.
fn sort(ld: &Linker, list: &[DsoId], with_reldeps: bool, leaf: Option<DsoId>) -> Vec<DsoId> {
    let mut saw = false;
    sort_walk(ld, list, with_reldeps.then_some(&mut saw), leaf)
}

/// The walk behind `sort`.  An object's dependencies are its search list if
/// it was opened as a `dlopen` root (glibc's `l_initfini`), else its
/// `DT_NEEDED` objects; with `reldeps`, its relocation dependencies follow
/// (and `reldeps` is set if there were any).  The program is never entered,
/// nor `leaf` left.
fn sort_walk(ld: &Linker, list: &[DsoId], mut reldeps: Option<&mut bool>, leaf: Option<DsoId>) -> Vec<DsoId> {
    let mut visited = vec![false; ld.objs.bound()];
    let mut post = Vec::with_capacity(list.len());
    // An explicit stack of (object, next dependency to visit), so a long
    // dependency chain cannot overflow the program's stack.
    let mut stack: Vec<(DsoId, usize)> = Vec::new();
    for &root in list.iter().rev() {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        stack.push((root, 0));
        while let Some(&mut (id, ref mut next)) = stack.last_mut() {
            let d = &ld.objs[id];
            let deps: &[DsoId] = d.initfini.as_deref().unwrap_or(&d.needed);
            let dep = match deps.get(*next) {
                _ if Some(id) == leaf => None,
                Some(&dep) => Some(dep),
                None => match reldeps.as_deref_mut() {
                    Some(saw) => {
                        // Relocation dependencies last one first, as glibc walks them.
                        let r = (d.reldeps.len() + deps.len())
                            .checked_sub(*next + 1)
                            .and_then(|i| d.reldeps.get(i))
                            .copied();
                        *saw |= r.is_some();
                        r
                    }
                    None => None,
                },
            };
            if let Some(dep) = dep {
                *next += 1;
                if !visited[dep] && ld.objs[dep].kind != Kind::Main {
                    visited[dep] = true;
                    stack.push((dep, 0));
                }
            } else {
                stack.pop();
                post.push(id);
            }
        }
    }
    post.reverse();
    post
}

impl Linker {
    /// Runs the program's `DT_PREINIT_ARRAY`, which comes before every other initializer.
    ///
    /// # Safety
    /// The program must be mapped and relocated.
    pub unsafe fn run_preinit(&mut self, argc: usize, argv: *const *const u8, envp: *const *const u8) {
        if let Some(main) = self.objs.position(|d| d.kind == Kind::Main) {
            for f in self.array(main, DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ) {
                // SAFETY: relocated pointers to the program's pre-initializers (caller's contract).
                unsafe { arch::call_init(f, argc, argv, envp) };
            }
        }
    }

    /// Runs the initializers of the objects in `order` that have not run yet.
    ///
    /// # Safety
    /// Every object in `order` must be mapped and relocated.
    pub unsafe fn run_inits(&mut self, order: &[DsoId], argc: usize, argv: *const *const u8, envp: *const *const u8) {
        for &id in order {
            if self.objs[id].init_called {
                continue;
            }
            self.objs[id].init_called = true;
            if self.objs[id].kind == Kind::Main {
                continue;
            }
            if crate::debug::on(crate::debug::IMPCALLS) {
                let line = crate::diag::Msg::new().s(b"\ncalling init: ").s(&self.objs[id].name);
                crate::debug::print(line.s(b"\n\n").bytes());
            }
            if let Some(init) = self.objs[id].dynamic.get(DT_INIT) {
                let f = self.objs[id].base.wrapping_add(init as usize);
                // SAFETY: DT_INIT of a relocated object (caller's contract).
                unsafe { arch::call_init(f, argc, argv, envp) };
            }
            for f in self.array(id, DT_INIT_ARRAY, DT_INIT_ARRAYSZ) {
                // SAFETY: relocated DT_INIT_ARRAY entries (caller's contract).
                unsafe { arch::call_init(f, argc, argv, envp) };
            }
        }
    }

    /// The entries of an init/fini array, already relocated.
    fn array(&self, id: DsoId, tag: i64, size_tag: i64) -> Vec<usize> {
        let dso = &self.objs[id];
        let (Some(addr), Some(size)) = (dso.dynamic.get(tag), dso.dynamic.get(size_tag)) else {
            return Vec::new();
        };
        match dso.image.slice::<u64>(addr, size / 8) {
            Ok(entries) => entries
                .iter()
                .map(|&e| e as usize)
                .filter(|&e| e != 0 && e != usize::MAX)
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Runs every finalizer at exit.  As glibc's `_dl_fini`, the order is
    /// computed afresh over every object still loaded, in link-map order,
    /// so objects from separate `dlopen` calls are finalized by their
    /// dependencies (and relocation dependencies), not by when they came.
    fn run_finis(&mut self) {
        // As glibc's `_dl_fini`: the order is computed under the load lock,
        // and each object gets one more reference, so a `dlclose` in another
        // thread cannot unload it while its finalizers wait their turn.
        (self.load_lock)(true);
        // Namespace by namespace, the base one last (glibc's `_dl_fini`);
        // each namespace's own objects only (its list also reaches ld-rs,
        // which belongs to the base namespace), with the first of them,
        // which names the namespace for the audit modules.
        let order: Vec<(Option<DsoId>, Vec<DsoId>)> = self
            .namespaces_in_use()
            .into_iter()
            .map(|ns| {
                // The program stays in front; other namespaces keep nothing
                // there.
                let mut own = fini_order(self, &self.link_map_order(ns), ns == crate::namespace::BASE, None);
                own.retain(|&id| self.objs[id].ns == ns);
                (self.namespace_head(ns), own)
            })
            .collect();
        for &id in order.iter().flat_map(|(_, ids)| ids) {
            self.objs[id].open_count += 1;
        }
        (self.load_lock)(false);
        // The modules see each namespace shrink, each object close after
        // its finalizers (the vDSO has none and is not closed), and the
        // namespace settle.
        for (head, ids) in order {
            let audit_head = head.filter(|_| self.audit.is_some());
            if let (Some(a), Some(h)) = (self.audit.as_deref_mut(), audit_head) {
                a.activity(h, crate::audit::LA_ACT_DELETE);
            }
            for id in ids {
                self.run_fini_of(id);
                if self.objs[id].kind != crate::dso::Kind::Vdso {
                    let ns = self.objs[id].ns;
                    if let Some(a) = self.audit.as_deref_mut() {
                        a.close(id, ns);
                    }
                }
            }
            if let (Some(a), Some(h)) = (self.audit.as_deref_mut(), audit_head) {
                a.activity(h, crate::audit::LA_ACT_CONSISTENT);
            }
        }
        if crate::debug::on(crate::debug::STATISTICS) {
            use core::sync::atomic::Ordering::Relaxed;
            let out = crate::diag::Msg::new()
                .s(b"\nruntime linker statistics:\n           final number of relocations: ")
                .dec(crate::debug::LOOKUPS.load(Relaxed))
                .s(b"\nfinal number of relocations from cache: ")
                .dec(crate::debug::CACHED.load(Relaxed))
                .s(b"\n");
            crate::debug::print(out.bytes());
        }
    }

    /// Runs object `id`'s `DT_FINI_ARRAY` (backwards) and `DT_FINI`, once.
    pub fn run_fini_of(&mut self, id: DsoId) {
        if !self.objs[id].init_called {
            return;
        }
        self.objs[id].init_called = false;
        let dso = &self.objs[id];
        if crate::debug::on(crate::debug::IMPCALLS) {
            let line = crate::diag::Msg::new()
                .s(b"\ncalling fini: ")
                .s(dso.l_name())
                .ns(dso.ns);
            crate::debug::print(line.s(b"\n\n").bytes());
        }
        for f in self.array(id, DT_FINI_ARRAY, DT_FINI_ARRAYSZ).into_iter().rev() {
            // SAFETY: relocated DT_FINI_ARRAY entries of a still-mapped object.
            unsafe { arch::call_init(f, 0, core::ptr::null(), core::ptr::null()) };
        }
        if let Some(fini) = self.objs[id].dynamic.get(DT_FINI) {
            let f = self.objs[id].base.wrapping_add(fini as usize);
            // SAFETY: DT_FINI of a still-mapped, relocated object.
            unsafe { arch::call_init(f, 0, core::ptr::null(), core::ptr::null()) };
        }
    }
}

/// The function the program receives in `%rdx` and registers with `atexit`:
/// runs the finalizers of every object.
pub extern "C" fn rtld_fini() {
    // Finalizers run once, even if the program calls this twice.
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::AcqRel) {
        return;
    }
    if let Some(ld) = rtld::linker() {
        ld.run_finis();
    }
}
