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
    sort(ld, list, false)
}

/// The order for finalizers, reversed: as `init_order`, but an object's
/// relocation dependencies (`reldeps`) count as dependencies too, as in
/// glibc's sort for `dlclose` (`_dl_sort_maps` with `for_fini`).
pub fn fini_order(ld: &Linker, list: &[DsoId]) -> Vec<DsoId> {
    sort(ld, list, true)
}

fn sort(ld: &Linker, list: &[DsoId], with_reldeps: bool) -> Vec<DsoId> {
    let mut visited = vec![false; ld.objs.bound()];
    let mut order = Vec::with_capacity(list.len());
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
            let dep = match d.needed.get(*next) {
                Some(&dep) => Some(dep),
                None if with_reldeps => d.reldeps.get(*next - d.needed.len()).copied(),
                None => None,
            };
            if let Some(dep) = dep {
                *next += 1;
                if !visited[dep] && ld.objs[dep].kind != Kind::Main {
                    visited[dep] = true;
                    stack.push((dep, 0));
                }
            } else {
                stack.pop();
                order.push(id);
            }
        }
    }
    order
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
    /// computed afresh over every object still loaded — the program first,
    /// then the others in load order — so objects from separate `dlopen`
    /// calls are finalized by their dependencies, not by when they came.
    fn run_finis(&mut self) {
        // glibc's link-map order: the start-up objects in search order
        // (which places its own record where the search reached it), then
        // the objects loaded later.
        let list: Vec<DsoId> = self
            .global
            .iter()
            .copied()
            .chain(self.objs.ids().into_iter().filter(|id| !self.global.contains(id)))
            .collect();
        let order = init_order(self, &list);
        for &id in order.iter().rev() {
            self.run_fini_of(id);
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
            let line = crate::diag::Msg::new().s(b"\ncalling fini: ").s(dso.l_name());
            crate::debug::print(line.s(b" [0]\n\n").bytes());
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
