//! Lazy binding: resolving a PLT slot the first time it is called.
//!
//! # Why and how
//! Most of the functions a program imports are never called in a given run,
//! so glibc binds `R_X86_64_JUMP_SLOT`s on first use rather than at start-up.
//! The static linker prepares for this: each PLT entry jumps through its GOT
//! slot, whose initial content is the address of the entry's own second half,
//! which pushes the entry's relocation index and jumps to PLT0; PLT0 pushes
//! GOT[1] and jumps through GOT[2].  At start-up we only add the load bias to
//! each slot and fill GOT[1] (the object's index in our link map) and GOT[2]
//! (`arch::ldrs_lazy_trampoline`).  The trampoline saves the argument
//! registers and calls `lazy_fixup`, which resolves the symbol, writes the
//! slot — so later calls go straight to the function — and returns its
//! address for the trampoline to jump to.
//!
//! `LD_BIND_NOW`, `-z now` (`DF_BIND_NOW`, `DF_1_NOW`) turn this off: every
//! slot is resolved at start-up and an undefined function is an error before
//! the program runs, instead of when it is first called.

use elf::consts::*;
use elf::Rela;

use crate::arch;
use crate::dso::DsoId;
use crate::lookup::{Class, View};
use crate::rtld::{self, Linker};

impl Linker {
    /// Prepares the PLT slots of object `id` for lazy binding: relocates the
    /// slots' initial values and fills GOT[1] and GOT[2] — with the
    /// profiling trampoline when audit modules watch PLT calls (`profile`).
    pub fn prepare_lazy(&mut self, id: DsoId, plts: &[Rela], profile: bool) -> bool {
        let dso = &self.objs[id];
        let Some(pltgot) = dso.dynamic.get(DT_PLTGOT) else {
            return false;
        };
        let got = dso.base.wrapping_add(pltgot as usize);
        if !dso.writable(got, 24) {
            return false;
        }
        // One pass: each slot is checked against the segment that held the
        // last one (they are consecutive), only otherwise searched for, and
        // relocated.  A slot outside every writable segment ends it: the
        // PLT is then bound now, which writes every slot whatever it held,
        // and fails on that one.
        let base = dso.base;
        let (mut lo, mut n) = crate::reloc::Segment::default().window();
        for r in plts {
            let place = base.wrapping_add(r.r_offset as usize);
            if place.wrapping_sub(lo) >= n {
                match dso.writable_segment(place) {
                    Some(s) => (lo, n) = s.window(),
                    None => return false,
                }
            }
            if r.r_type() == R_X86_64_JUMP_SLOT {
                // SAFETY: the slot lies in a writable segment of this object (checked above).
                unsafe {
                    (place as *mut usize).write_unaligned((place as *const usize).read_unaligned().wrapping_add(base))
                };
            }
        }
        let got = got as *mut usize;
        let trampoline = if profile {
            arch::profile_trampoline()
        } else {
            arch::lazy_trampoline()
        };
        // SAFETY: GOT[0..3] lie in a writable segment of this object (checked above).
        unsafe {
            got.add(1).write(id);
            got.add(2).write(trampoline);
        }
        if profile {
            self.objs[id].plt_audit = (0..plts.len()).map(|_| Default::default()).collect();
        }
        true
    }

    /// Binds PLT relocation `index` of object `id` and returns the target.
    ///
    /// Any thread may get here while another `dlopen`s or `dlclose`s, so
    /// the lookup runs as a lock-free reader (`grace.rs`): nothing it walks
    /// is freed before it is done.  The object `id` itself is not unloaded
    /// under a thread calling its code.  An IFUNC resolver is called after
    /// the section, because it may itself load or unload objects.
    fn fixup(&self, id: DsoId, index: usize) -> usize {
        let (value, slot, sym) = self.bind_plt(id, index);
        // Told to the audit modules, if any (`audit.rs`).
        let value = if self.audit.is_some() {
            self.audit_bind(id, sym, value, false, 0)
        } else {
            value
        };
        if !self.config.bind_not {
            // SAFETY: `prepare_lazy` checked that every PLT slot is writable.
            unsafe { slot.write(value) };
        }
        value
    }

    /// Resolves PLT relocation `index` of object `id`: the address, the
    /// slot, and the symbol's index in the object's table.
    fn bind_plt(&self, id: DsoId, index: usize) -> (usize, *mut usize, u32) {
        let (addr, ifunc, slot, note, sym) = crate::grace::read(|| {
            let dso = &self.objs[id];
            let r = match crate::reloc::plt_entry(dso, index) {
                Some(r) if r.r_type() == R_X86_64_JUMP_SLOT => *r,
                _ => crate::diag::LoadError::new(
                    crate::diag::LOADING,
                    dso.display_name(),
                    b"lazy binding of an invalid PLT relocation",
                )
                .die(),
            };
            // Start-up objects resolve in the global scope; only objects from
            // `dlopen` have local scopes to add (their first root's, which may be
            // gone, and those of roots opened since), and DT_SYMBOLIC ones themselves.
            // The global scope comes with its views (`lookup::View`).
            let local;
            let (scope, views): (&[DsoId], &[View]) =
                if dso.local_scope.is_empty() && dso.extra_scopes.is_empty() && !dso.symbolic() {
                    let space = &self.namespaces[dso.ns];
                    // The views, published before the scope, are as new as
                    // it or newer: either way a whole scope whose objects
                    // outlive this read section (`set_global`).
                    let scope = space.global.load();
                    (scope, space.global_views.load())
                } else {
                    local = self.scope_of(id);
                    (&local, &[])
                };
            // Views of another length than the scope (a `dlopen` or
            // `dlclose` between the two reads) are not used.
            let views = if views.len() == scope.len() { views } else { &[] };
            let (addr, ifunc, def) = self
                .resolve_value(id, r.r_sym(), Class::Plt, scope, views, false)
                .unwrap_or_else(|e| e.die());
            // Whether the binding must be recorded (`note_binding`), which
            // takes the load lock: the cheap checks here, the rest under it.
            let note = def.filter(|&d| {
                let def = &self.objs[d];
                d != id && def.dlopened && !def.nodelete.active() && !dso.reldeps.contains(&d)
            });
            let note = note.map(|d| (d, self.objs[d].serial));
            (
                addr,
                ifunc,
                dso.base.wrapping_add(r.r_offset as usize) as *mut usize,
                note,
                r.r_sym(),
            )
        });
        if let Some((def, serial)) = note {
            // Outside the read section: a writer holding the load lock may
            // be waiting for it.  Under the lock, the definer is still the
            // object found if its slot holds the same serial number.
            (self.load_lock)(true);
            if self.objs.get(def).is_some_and(|d| d.serial == serial) {
                self.note_binding(id, def);
            }
            (self.load_lock)(false);
        }
        let value = if ifunc {
            // SAFETY: an IFUNC definition's value is its resolver, in an
            // object relocated before its dependents.
            unsafe { arch::call_resolver(addr) }
        } else {
            addr
        };
        (value, slot, sym)
    }

    /// A PLT call of object `id` through relocation `index` under audit
    /// modules that watch calls (the profiling trampoline, `arch`): bound as
    /// `fixup` binds but never written to the slot, so the next call comes
    /// back here; told to the modules (`Audit::plt_enter`).  Calls made while
    /// the modules cannot hear them — during start-up, or on a module's
    /// behalf inside one of its callbacks — are only bound.
    ///
    /// # Safety
    /// As `Audit::plt_enter`.
    unsafe fn profile_enter(&self, id: DsoId, index: usize, regs: *mut u8, framesize: *mut isize) -> usize {
        let audit = self.audit.as_deref().filter(|a| a.live());
        let rec = self.objs[id].plt_audit.get(index);
        let (Some(audit), Some(rec)) = (audit, rec) else {
            return self.bind_plt(id, index).0;
        };
        if crate::audit::in_callback() {
            return self.bind_plt(id, index).0;
        }
        let bound = || {
            let (value, _, sym) = self.bind_plt(id, index);
            (value, self.plt_definition(id, sym))
        };
        // SAFETY: the caller's contract.
        unsafe { audit.plt_enter(self, id, rec, bound, regs, framesize) }
    }
}

/// Called by the profiling trampoline with the two words PLT0 and the PLT
/// entry pushed, the register block it filled and where to put the size of
/// the stack arguments to copy for a call to be followed by `la_pltexit`.
///
/// # Safety
/// `regs` points at the trampoline's register block, `framesize` at a
/// writable word of its frame.
pub unsafe extern "C" fn profile_enter(id: usize, index: usize, regs: *mut u8, framesize: *mut isize) -> usize {
    // SAFETY: the caller's contract.
    unsafe { framesize.write(-1) };
    let Some(ld) = rtld::linker() else {
        crate::sys::write_all(2, b"ld-rs.so: lazy binding before start-up finished\n");
        crate::sys::exit(127)
    };
    // SAFETY: the caller's contract.
    unsafe { ld.profile_enter(id, index, regs, framesize) }
}

/// Called by the profiling trampoline when a call `profile_enter` asked to
/// follow returned: `la_pltexit` with the registers it was made with and
/// those it returned.
///
/// # Safety
/// `inregs` and `outregs` point at the trampoline's register blocks.
pub unsafe extern "C" fn profile_exit(id: usize, index: usize, inregs: *const u8, outregs: *mut u8) {
    let Some(ld) = rtld::linker() else { return };
    let (Some(audit), Some(rec)) = (ld.audit.as_deref(), ld.objs[id].plt_audit.get(index)) else {
        return;
    };
    // SAFETY: the caller's contract.
    unsafe { audit.plt_exit(ld, id, rec, inregs, outregs) };
}

/// Called by the trampoline with the two words PLT0 and the PLT entry pushed.
pub extern "C" fn lazy_fixup(id: usize, index: usize) -> usize {
    let Some(ld) = rtld::linker() else {
        crate::sys::write_all(2, b"ld-rs.so: lazy binding before start-up finished\n");
        crate::sys::exit(127)
    };
    ld.fixup(id, index)
}
