//! Applying an object's dynamic relocations (x86_64 psABI §4.4).
//!
//! # What a relocation is
//! Code is shared and read-only, so every address that depends on where
//! things were loaded lives in writable data — the GOT, vtables, pointer
//! initializers — and the object carries a list of fix-ups for it: at
//! `r_offset` store a value computed from the symbol `S`, the addend `A`,
//! the object's load bias `B` and the place `P` itself:
//!
//! | type        | value            | notes                                          |
//! |-------------|------------------|------------------------------------------------|
//! | `RELATIVE`  | B + A            | no symbol: most relocations; `DT_RELR` packs them |
//! | `64`        | S + A            | a pointer to a symbol                          |
//! | `GLOB_DAT`  | S                | a GOT entry                                    |
//! | `JUMP_SLOT` | S                | a PLT's GOT entry (bound now, or lazily)       |
//! | `PC32`      | S + A − P        | 32-bit PC-relative (text relocations)          |
//! | `COPY`      | copy *S          | the executable owns a copy of library data     |
//! | `IRELATIVE` | resolver(B + A)  | a local IFUNC; applied after all the others    |
//!
//! Objects are relocated dependencies first, the executable last, so that a
//! COPY relocation copies data its library has already relocated and an
//! IFUNC resolver runs in an object that is ready.

use crate::namespace::BASE;
use alloc::vec::Vec;
use elf::consts::*;
use elf::Rela;

use crate::arch;
use crate::diag::{self, LoadError};
use crate::dso::DsoId;
use crate::lookup::{Class, Query, View};
use crate::rtld::Linker;

/// A writable range of run-time addresses, `[start, end)`.
#[derive(Clone, Copy, Default)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
}

impl Segment {
    /// True when the 8 bytes at `place` lie inside.
    #[inline(always)]
    pub fn holds(&self, place: usize) -> bool {
        let (lo, n) = self.window();
        place.wrapping_sub(lo) < n
    }

    /// (start, n) such that an 8-byte place `p` lies inside exactly when
    /// `p - start < n` in unsigned arithmetic: `n` counts the places, and is
    /// 0 for a segment too small for one (or empty), which holds nothing.
    #[inline(always)]
    pub fn window(&self) -> (usize, usize) {
        match self.end.checked_sub(self.start).and_then(|n| n.checked_sub(7)) {
            Some(n) => (self.start, n),
            None => (0, 0),
        }
    }
}

/// The last symbol resolved, reused when consecutive relocations name the
/// same symbol (common: a symbol used from several places).
struct Cache<'v> {
    /// The views of the scope relocated through (`lookup::View`).
    views: &'v [View],
    sym: u32,
    class: Class,
    value: Option<usize>,
    /// For a TLS reference: the defining object and the symbol's offset.
    tls: Option<(DsoId, usize)>,
}

/// An object's `DT_RELA` and `DT_JMPREL` tables, as glibc reads them.
///
/// A tag that is present names an address even when its value is 0 (the
/// ELF header: glibc reads relocations there).  glibc walks a table while
/// an entry *starts* before its end, so a size that is not a multiple of 24
/// counts its last, partial entry whole; and when the static linker counted
/// the PLT's relocations in `DT_RELASZ` too, they are applied once.  A
/// `DT_RELA` table reaching into the PLT's stops where the PLT's starts.
pub fn rela_tables(dso: &crate::dso::Dso) -> Result<(&'static [Rela], &'static [Rela]), elf::Error> {
    let entsize = core::mem::size_of::<Rela>() as u64;
    let d = &dso.dynamic;
    let plt = d.get(DT_JMPREL).map(|a| (a, d.get(DT_PLTRELSZ).unwrap_or(0)));
    let rela = d.get(DT_RELA).map(|a| {
        let mut size = d.get(DT_RELASZ).unwrap_or(0);
        if let Some((p, psz)) = plt {
            if a.checked_add(size).is_some_and(|end| Some(end) == p.checked_add(psz)) && p >= a {
                size -= psz;
            }
            // Only a partial last entry may reach into the PLT's table.
            if a < p && p - a < size && size - (p - a) < entsize {
                size = p - a;
            }
        }
        (a, size)
    });
    let table = |t: Option<(u64, u64)>| match t {
        // The partial entry is read whole only where the segment holds it
        // (glibc reads on into whatever follows).
        Some((addr, size)) => dso
            .image
            .slice::<Rela>(addr, size.div_ceil(entsize))
            .or_else(|_| dso.image.slice::<Rela>(addr, size / entsize)),
        None => Ok(&[][..]),
    };
    Ok((table(rela)?, table(plt)?))
}

/// Entry `index` of the object's `DT_JMPREL` table, as `rela_tables` reads
/// it: what lazy binding needs on every call, from the table kept when the
/// object was relocated (read again if it was not: a PLT bound lazily is
/// always relocated first, so only a corrupt index gets that far).
pub fn plt_entry(dso: &crate::dso::Dso, index: usize) -> Option<&'static Rela> {
    match dso.jmprel.get(index) {
        Some(r) => Some(r),
        None => rela_tables(dso).ok()?.1.get(index),
    }
}

/// True when `table` lies over the object's ELF header, as a `DT_JMPREL`
/// of 0 does: there are no relocations there, and glibc, reading the
/// header's bytes as some, fails or leaves the PLT unbound.
fn over_header(dso: &crate::dso::Dso, table: &[Rela]) -> bool {
    let Some(p) = dso.phdrs.iter().find(|p| p.p_type == PT_LOAD && p.p_offset == 0) else {
        return false;
    };
    let lo = dso.base.wrapping_add(p.p_vaddr as usize);
    let hi = lo.wrapping_add(core::mem::size_of::<elf::Ehdr>());
    let r = table.as_ptr_range();
    !table.is_empty() && (r.start as usize) < hi && lo < r.end as usize
}

/// Applies the `R_X86_64_RELATIVE` relocations that open `relas` (B + A at
/// B + `r_offset`) while each place lies in the writable window `lo`, `n`
/// (see `Segment::window`), and returns how many it applied: it stops at the
/// first entry of another type or outside the window.  The loop is what a
/// quarter million relocations of `librustc_driver` run through, so it is
/// unrolled by four and checks each place with one comparison of its
/// link-time offset.
#[inline(always)]
fn relative_run(relas: &[Rela], base: usize, lo: usize, n: usize) -> usize {
    // place - lo == r_offset + (base - lo), in wrapping arithmetic.
    let bias = base.wrapping_sub(lo);
    let apply = |r: &Rela| -> bool {
        let offset = r.r_offset as usize;
        if r.r_type() != R_X86_64_RELATIVE || offset.wrapping_add(bias) >= n {
            return false;
        }
        let place = base.wrapping_add(offset);
        // SAFETY: `place - lo < n`, so the 8 bytes at `place` lie in the
        // writable window the caller found (`Segment::window`).
        unsafe { (place as *mut usize).write_unaligned(base.wrapping_add(r.r_addend as usize)) };
        true
    };
    let mut chunks = relas.chunks_exact(4);
    let mut done = 0;
    for c in &mut chunks {
        if !apply(&c[0]) {
            return done;
        }
        if !apply(&c[1]) {
            return done + 1;
        }
        if !apply(&c[2]) {
            return done + 2;
        }
        if !apply(&c[3]) {
            return done + 3;
        }
        done += 4;
    }
    for r in chunks.remainder() {
        if !apply(r) {
            return done;
        }
        done += 1;
    }
    done
}

/// Applies every relocation of `relas` as an `R_X86_64_RELATIVE` one (B + A
/// at B + `r_offset`), with no check of type or place: a launch record
/// vouches for them (`launch.rs`, `Launch::relatives_vouched`).  The load,
/// add and store each, unrolled by eight: the quarter million relative
/// relocations of rustc's libraries are most of its warm start.
#[inline(always)]
fn relative_vouched(relas: &[Rela], base: usize) {
    let apply = |r: &Rela| {
        let place = base.wrapping_add(r.r_offset as usize);
        // SAFETY: the launch record vouches, for this very file (its
        // identity unchanged since it was recorded, so the same table over
        // the same segments), that every entry is a RELATIVE relocation
        // whose place lies in a writable segment of the object: the
        // recording start checked each (`relative_run`,
        // `relocation_segment`); the caller checked the first and last again.
        unsafe { (place as *mut usize).write_unaligned(base.wrapping_add(r.r_addend as usize)) };
    };
    let mut chunks = relas.chunks_exact(8);
    for c in &mut chunks {
        c.iter().for_each(apply);
    }
    chunks.remainder().iter().for_each(apply);
}

/// glibc's words for a relocation type it does not apply (`plt`: met in a
/// lazily bound PLT): `unexpected reloc type 0x` and two hex digits, eight
/// for a type above 0xff.
fn bad_type(ty: u32, plt: bool) -> diag::Msg {
    let msg = diag::Msg::new().s(if plt {
        &b"unexpected PLT reloc type 0x"[..]
    } else {
        b"unexpected reloc type 0x"
    });
    msg.hex(ty as u64, if ty > 0xff { 8 } else { 2 })
}

impl Linker {
    /// Applies every relocation of object `id`.
    pub fn relocate(&mut self, id: DsoId, scope: &[DsoId]) -> Result<(), LoadError> {
        // A DT_SYMBOLIC object searches itself first.
        let own;
        let scope = if self.objs[id].symbolic() && scope.first() != Some(&id) {
            own = [&[id][..], scope].concat();
            &own[..]
        } else {
            scope
        };
        let dso = &self.objs[id];
        let base = dso.base;
        let img = dso.image;
        let bad = |what: &[u8]| LoadError::new(diag::LOADING, dso.display_name(), what);
        // Audit modules watching PLT calls (`la_pltenter`, `la_pltexit`) get
        // every object's calls, `-z now` or not; only LD_BIND_NOW and
        // RTLD_NOW bind them at once (as glibc's profiling does).
        // An audit module's own objects are never watched (glibc relocates
        // them in its auditing mode).
        let profile = self.audit.as_deref().is_some_and(|a| a.profile) && !self.audit_ns(dso.ns);
        let linked_now = !profile && dso.bind_now();
        if crate::debug::on(crate::debug::RELOC) {
            let lazy = !(self.config.bind_now || linked_now || !profile && dso.dynamic.get(DT_BIND_NOW).is_some());
            let line = diag::Msg::new().s(b"\nrelocation processing: ").s(dso.display_name());
            let line = if lazy { line.s(b" (lazy)\n") } else { line.s(b"\n") };
            crate::debug::print(line.bytes());
        }

        // An object with text relocations gets its read-only segments
        // writable (never losing their execute permission: an IFUNC resolver
        // may run from them) for all of its relocations, packed ones included.
        let textrel = dso.textrel;
        if textrel {
            self.set_text_writable(id, true);
        }

        // DT_RELR: relative relocations, packed.  Every place is checked to
        // lie in a writable segment (any segment of an object with text
        // relocations); the segment last found is remembered, because
        // consecutive relocations nearly always share one.  A bitmap's words
        // lie between its lowest and its highest: when both are in the
        // segment, so are the rest, and they are applied with no check each
        // (libc's 1,200 relocations, 35 entries: about half the instructions).
        let mut seg = Segment::default();
        if let Some(addr) = dso.dynamic.get(DT_RELR) {
            let size = dso.dynamic.get(DT_RELRSZ).unwrap_or(0);
            let entries: &[u64] = img.slice(addr, size / 8).map_err(|e| bad(e.0.as_bytes()))?;
            let (mut lo, mut n) = seg.window();
            let relocate = |place: usize| {
                // SAFETY: the callers below checked that `place..place+8` is inside a writable
                // PT_LOAD of this object, or one made writable above for text relocations.
                unsafe {
                    (place as *mut usize).write_unaligned(base.wrapping_add((place as *const usize).read_unaligned()))
                };
            };
            for (start, mut bits) in elf::relr_groups(entries) {
                if bits == 0 {
                    continue;
                }
                let start = base.wrapping_add(start as usize);
                let first = start.wrapping_add(bits.trailing_zeros() as usize * 8);
                let last = start.wrapping_add((63 - bits.leading_zeros()) as usize * 8);
                let (f, l) = (first.wrapping_sub(lo), last.wrapping_sub(lo));
                if f <= l && l < n {
                    // Every word is `first + 8k` for some k, at most `last`: inside the window.
                    while bits != 0 {
                        relocate(start.wrapping_add(bits.trailing_zeros() as usize * 8));
                        bits &= bits - 1;
                    }
                    continue;
                }
                while bits != 0 {
                    let place = start.wrapping_add(bits.trailing_zeros() as usize * 8);
                    bits &= bits - 1;
                    if place.wrapping_sub(lo) >= n {
                        seg = match dso.writable_segment(place) {
                            Some(s) => s,
                            None if textrel && dso.inside_load(place, 8) => Segment {
                                start: place,
                                end: place + 8,
                            },
                            None => return Err(bad(b"RELR relocation outside a writable segment")),
                        };
                        (lo, n) = seg.window();
                    }
                    relocate(place);
                }
            }
        }

        // DT_RELA and DT_JMPREL (the PLT's), the latter kept for lazy binding
        // (before anything is applied: an IFUNC resolver may call through the PLT).
        let (relas, plts) = rela_tables(dso).map_err(|e| bad(e.0.as_bytes()))?;
        self.objs[id].jmprel = plts;
        let dso = &self.objs[id];
        let bad = |what: &[u8]| LoadError::new(diag::LOADING, dso.display_name(), what);

        // PLT slots are bound on first call unless binding now was asked
        // for; a lazy PLT holds only the types glibc accepts there.
        let want_lazy = !(self.config.bind_now || linked_now || plts.is_empty());
        // Whether the PLT holds anything but JUMP_SLOTs (nearly never): a
        // lazy PLT of JUMP_SLOTs only has nothing left to apply now.
        let mut others_in_plt = false;
        if want_lazy {
            for r in plts {
                match r.r_type() {
                    R_X86_64_JUMP_SLOT => {}
                    R_X86_64_IRELATIVE | R_X86_64_TLSDESC => others_in_plt = true,
                    ty => return Err(bad(bad_type(ty, true).bytes())),
                }
            }
        }
        let lazy = want_lazy && self.prepare_lazy(id, plts, profile);

        // The scope's objects as the scope loop reads them, built once for
        // all of this object's lookups.
        let views = self.views(scope);
        let mut cache = Cache {
            views: &views,
            sym: 0,
            class: Class::Data,
            value: None,
            tls: None,
        };
        // DT_RELACOUNT says how many RELATIVE relocations open DT_RELA (the
        // static linker sorts them first): `relative_run` applies them with
        // nothing but the type and bounds checks and the store, and stops
        // where a place leaves the segment last found, to find the next one.
        let mut relcount = (self.objs[id].dynamic.relacount as usize).min(relas.len());
        let mut done = 0;
        // launch: a start replaying its record applies the run the record
        // vouches for (every entry RELATIVE, every place in a writable
        // segment) without a check each; a recording start notes a run that
        // was so (below).
        let launch = self.launch.as_deref();
        if let (Some(l), Some(first), Some(last)) = (launch, relas.first(), relcount.checked_sub(1).map(|i| &relas[i]))
        {
            let dso = &self.objs[id];
            let writable = |r: &Rela| dso.writable_segment(base.wrapping_add(r.r_offset as usize)).is_some();
            if !textrel && l.relatives_vouched(id) && writable(first) && writable(last) {
                relative_vouched(&relas[..relcount], base);
                done = relcount;
            }
        }
        loop {
            let (lo, n) = seg.window();
            done += relative_run(&relas[done..relcount], base, lo, n);
            let Some(r) = relas[..relcount].get(done) else {
                break;
            };
            // A count that runs past the RELATIVE ones ends there (glibc
            // asserts); the rest are applied by type below.
            if r.r_type() != R_X86_64_RELATIVE {
                relcount = done;
                break;
            }
            seg = self.relocation_segment(id, base.wrapping_add(r.r_offset as usize))?;
        }
        // Every one was RELATIVE, in a writable segment (`relative_run`
        // stops at any other, and `relocation_segment` fails the start).
        if !textrel && relcount > 0 && relcount == (self.objs[id].dynamic.relacount as usize).min(relas.len()) {
            if let Some(l) = self.launch.as_deref() {
                l.note_relatives(id);
            }
        }
        let relas = &relas[relcount..];

        let mut irelative: Vec<&Rela> = Vec::new();
        // Audit modules see each PLT binding (`apply`); without them a
        // JUMP_SLOT takes the short path below.
        let audited = self.audit.is_some();
        let plts_now = if lazy && !others_in_plt { &[][..] } else { plts };
        for (table, in_plt) in [(relas, false), (plts_now, true)] {
            // A lazily bound PLT leaves its JUMP_SLOTs to `lazy.rs`; its other
            // relocations (IRELATIVE, TLSDESC) are applied now all the same.
            let skip_slots = in_plt && lazy;
            for r in table {
                let ty = r.r_type();
                let place = base.wrapping_add(r.r_offset as usize);
                // R_X86_64_RELATIVE is most of an object's relocations (a quarter
                // million in librustc_driver): it gets the short path.
                if ty == R_X86_64_RELATIVE {
                    if !seg.holds(place) {
                        seg = self.relocation_segment(id, place)?;
                    }
                    // SAFETY: `place..place+8` is inside a writable PT_LOAD of this object (checked above).
                    unsafe { (place as *mut usize).write_unaligned(base.wrapping_add(r.r_addend as usize)) };
                    continue;
                }
                if ty == R_X86_64_JUMP_SLOT && skip_slots {
                    continue;
                }
                // The symbolic relocations nearly all are: a symbol's address,
                // plus the addend for `64`, at a place in the segment last
                // found (anything else goes through `apply`, which checks more).
                let short = match ty {
                    R_X86_64_GLOB_DAT | R_X86_64_64 => Some(Class::Data),
                    R_X86_64_JUMP_SLOT if !audited => Some(Class::Plt),
                    _ => None,
                };
                if let (Some(class), true) = (short, seg.holds(place)) {
                    let s = self.symbol_value(id, r.r_sym(), class, scope, &mut cache)?;
                    let value = if ty == R_X86_64_64 {
                        s.wrapping_add(r.r_addend as usize)
                    } else {
                        s
                    };
                    // SAFETY: `place..place+8` is inside a writable PT_LOAD of this object (checked above).
                    unsafe { (place as *mut usize).write_unaligned(value) };
                    continue;
                }
                if ty == R_X86_64_IRELATIVE {
                    irelative.push(r);
                    continue;
                }
                self.apply(id, r, scope, &mut cache, &mut seg)?;
            }
        }
        for r in irelative {
            self.apply(id, r, scope, &mut cache, &mut seg)?;
        }
        if textrel {
            self.set_text_writable(id, false);
        }
        // Checked last, so that the relocations read there fail first with
        // glibc's message where glibc has one.
        let dso = &self.objs[id];
        if over_header(dso, relas) || over_header(dso, plts) {
            return Err(LoadError::new(
                diag::LOADING,
                dso.display_name(),
                b"relocation table overlaps the ELF header",
            ));
        }
        // Every initializer and finalizer is called: once relocated, each
        // must lie in the code of a loaded object (glibc jumps wherever
        // they point and dies of a signal).
        for (array, size) in [
            (DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ),
            (DT_INIT_ARRAY, DT_INIT_ARRAYSZ),
            (DT_FINI_ARRAY, DT_FINI_ARRAYSZ),
        ] {
            let (Some(addr), Some(size)) = (dso.dynamic.get(array), dso.dynamic.get(size)) else {
                continue;
            };
            let entries: &[u64] = dso.image.slice(addr, size / 8).unwrap_or(&[]);
            if entries.iter().any(|&f| {
                // Its own code first: where nearly every entry points.
                let own = crate::dso::in_code(dso.phdrs, (f as usize).wrapping_sub(dso.base) as u64);
                f != 0 && f != u64::MAX && !own && !self.is_code(f as usize)
            }) {
                return Err(LoadError::new(
                    diag::LOADING,
                    dso.display_name(),
                    b"initializer or finalizer outside the executable segments",
                ));
            }
        }
        self.objs[id].relocated = true;
        Ok(())
    }

    /// Resolves every symbol reference of object `id` without applying
    /// anything or calling IFUNC resolvers, as glibc relocates under `ldd -d`,
    /// `-r` and `-u`: each definition found marks its object in `used` (if
    /// long enough), each undefined reference is reported on stderr as
    /// `undefined symbol: NAME\t(OBJECT)` and the walk goes on.  With `lazy`,
    /// PLT slots are left alone (`ldd -d`).
    pub fn trace_relocate(&self, id: DsoId, lazy: bool, used: &mut [bool]) {
        let dso = &self.objs[id];
        // An object linked `-z now` is never lazy.
        let lazy = lazy && !(dso.bind_now() || dso.dynamic.get(DT_BIND_NOW).is_some());
        let (relas, plts) = rela_tables(dso).unwrap_or((&[], &[]));
        let mut last: Option<(u32, Class)> = None;
        for (r, in_plt) in relas.iter().map(|r| (r, false)).chain(plts.iter().map(|r| (r, true))) {
            let ty = r.r_type();
            let idx = r.r_sym();
            if idx == 0 || matches!(ty, R_X86_64_NONE | R_X86_64_RELATIVE | R_X86_64_IRELATIVE) {
                continue;
            }
            if in_plt && lazy && ty == R_X86_64_JUMP_SLOT {
                continue;
            }
            let Some(sym) = dso.symtab.get(idx as usize) else {
                continue;
            };
            if sym.st_bind() == STB_LOCAL {
                continue;
            }
            let class = match ty {
                R_X86_64_COPY => Class::Copy,
                R_X86_64_JUMP_SLOT | R_X86_64_DTPMOD64 | R_X86_64_DTPOFF64 | R_X86_64_TPOFF64 | R_X86_64_TLSDESC => {
                    Class::Plt
                }
                _ => Class::Data,
            };
            // glibc's one-entry cache: the same symbol again is not looked up again.
            if last == Some((idx, class)) {
                continue;
            }
            last = Some((idx, class));
            let name = dso.str_at(sym.st_name as u64).unwrap_or(b"");
            let q = Query {
                name,
                gnu_hash: elf::gnu_hash(name),
                version: self.version_req(id, idx),
                class,
                newest: false,
            };
            let skip = (class == Class::Copy).then_some(id);
            match self.lookup(self.global(BASE), &q, skip) {
                Some(f) => {
                    if let Some(u) = used.get_mut(f.dso) {
                        *u = true;
                    }
                }
                None if sym.st_bind() == STB_WEAK || crate::debug::on(crate::debug::UNUSED) => {}
                None => {
                    let e = self.undefined_error(id, name, q.version.map(|v| v.name));
                    crate::debug::error(&e.object, e.occasion, &e.message, true);
                    diag::Msg::new()
                        .s(&e.message)
                        .s(b"\t(")
                        .s(dso.display_name())
                        .s(b")")
                        .write_line(2);
                }
            }
        }
    }

    /// True when run-time address `f` lies in an executable segment of a
    /// loaded object.
    fn is_code(&self, f: usize) -> bool {
        self.objs
            .iter()
            .any(|d| crate::dso::in_code(d.phdrs, f.wrapping_sub(d.base) as u64))
    }

    /// The writable segment of object `id` holding the 8 bytes at `place`
    /// (any segment, for an object with text relocations).
    #[cold]
    fn relocation_segment(&self, id: DsoId, place: usize) -> Result<Segment, LoadError> {
        let dso = &self.objs[id];
        match dso.writable_segment(place) {
            Some(s) => Ok(s),
            None if dso.textrel && dso.inside_load(place, 8) => Ok(Segment {
                start: place,
                end: place + 8,
            }),
            None => Err(LoadError::new(
                diag::LOADING,
                dso.display_name(),
                b"relocation target outside a writable segment",
            )),
        }
    }

    /// Applies one relocation.  `seg` is the segment last found writable
    /// (for an object with text relocations, possibly a place inside a
    /// read-only one): a place inside it needs no search of the segments.
    fn apply(
        &mut self,
        id: DsoId,
        r: &Rela,
        scope: &[DsoId],
        cache: &mut Cache,
        seg: &mut Segment,
    ) -> Result<(), LoadError> {
        let dso = &self.objs[id];
        let base = dso.base;
        let place = base.wrapping_add(r.r_offset as usize);
        let ty = r.r_type();
        let addend = r.r_addend as usize;
        // The type is checked first, as glibc does (it never checks the place).
        let width = match ty {
            R_X86_64_NONE => return Ok(()),
            R_X86_64_PC32 | R_X86_64_32 | R_X86_64_32S => 4,
            R_X86_64_RELATIVE | R_X86_64_IRELATIVE | R_X86_64_64 | R_X86_64_GLOB_DAT | R_X86_64_JUMP_SLOT
            | R_X86_64_COPY | R_X86_64_TLSDESC | R_X86_64_DTPMOD64 | R_X86_64_DTPOFF64 | R_X86_64_TPOFF64 => 8,
            _ => {
                return Err(LoadError::new(
                    diag::LOADING,
                    dso.display_name(),
                    bad_type(ty, false).bytes(),
                ))
            }
        };
        if !seg.holds(place) {
            if !(dso.writable(place, width) || dso.textrel && dso.inside_load(place, width)) {
                return Err(LoadError::new(
                    diag::LOADING,
                    dso.display_name(),
                    b"relocation target outside a writable segment",
                ));
            }
            if let Some(s) = dso.writable_segment(place) {
                *seg = s;
            }
        }
        let write = |value: usize| {
            // SAFETY: `place..place+8` is inside a writable PT_LOAD of this object (checked above).
            unsafe { (place as *mut usize).write_unaligned(value) }
        };
        match ty {
            R_X86_64_RELATIVE => write(base.wrapping_add(addend)),
            R_X86_64_IRELATIVE => {
                // SAFETY: B + A is this object's IFUNC resolver, and the object is
                // fully relocated but for its other IRELATIVEs (applied last).
                let value = unsafe { arch::call_resolver(base.wrapping_add(addend)) };
                write(value);
            }
            R_X86_64_64 | R_X86_64_GLOB_DAT | R_X86_64_JUMP_SLOT | R_X86_64_PC32 | R_X86_64_32 | R_X86_64_32S => {
                let class = if ty == R_X86_64_JUMP_SLOT {
                    Class::Plt
                } else {
                    Class::Data
                };
                let s = self.symbol_value(id, r.r_sym(), class, scope, cache)?;
                match ty {
                    R_X86_64_64 => write(s.wrapping_add(addend)),
                    R_X86_64_GLOB_DAT => write(s),
                    // Told to the audit modules, if any (`audit.rs`).
                    R_X86_64_JUMP_SLOT if self.audit.is_some() => write(self.audit_bind(id, r.r_sym(), s, true, place)),
                    R_X86_64_JUMP_SLOT => write(s),
                    _ => {
                        let v = if ty == R_X86_64_PC32 {
                            s.wrapping_add(addend).wrapping_sub(place)
                        } else {
                            s.wrapping_add(addend)
                        };
                        let fits = match ty {
                            R_X86_64_32 => v <= u32::MAX as usize,
                            _ => (v as isize) >= i32::MIN as isize && (v as isize) <= i32::MAX as isize,
                        };
                        if !fits {
                            let name = elf::reloc_type_name(ty).unwrap_or("R_X86_64_?");
                            let msg = diag::Msg::new().s(name.as_bytes()).s(b" relocation out of range");
                            return Err(LoadError::new(diag::LOADING, self.objs[id].display_name(), msg.bytes()));
                        }
                        // SAFETY: checked writable for 4 bytes above.
                        unsafe { (place as *mut u32).write_unaligned(v as u32) };
                    }
                }
            }
            R_X86_64_COPY => self.copy_reloc(id, r, scope)?,
            R_X86_64_TLSDESC => {
                // A TLS descriptor: {resolver, argument}.  A variable in a
                // static block (every start-up module's, or one `dlopen` could
                // place in the surplus) is at a fixed offset from the thread
                // pointer; otherwise the C library's resolver finds each
                // thread's block (glibc's `_dl_make_tlsdesc_dynamic`).
                let (def, value) = self.resolve_tls(id, r.r_sym(), scope, cache)?;
                let offset = self.static_tls_offset(def, true);
                let no_room = || {
                    LoadError::new(
                        diag::LOADING,
                        self.objs[id].display_name(),
                        b"cannot allocate memory in static TLS block",
                    )
                };
                if !self.objs[id].writable(place, 16) {
                    return Err(no_room());
                }
                let (resolver, arg) = if offset != 0 {
                    (arch::tlsdesc_return(), value.wrapping_add(addend).wrapping_sub(offset))
                } else {
                    let modid = self.objs[def].tls.map_or(0, |t| t.modid);
                    self.tls
                        .runtime
                        .and_then(|rt| (rt.dynamic_desc)(id, modid, value.wrapping_add(addend)))
                        .ok_or_else(no_room)?
                };
                write(resolver);
                // SAFETY: the descriptor's second word is inside the writable range checked above.
                unsafe { ((place + 8) as *mut usize).write_unaligned(arg) };
            }
            _ => {
                // TLS: the symbol's module and its offset in that module's block.
                let (def, value) = self.resolve_tls(id, r.r_sym(), scope, cache)?;
                let Some(tls) = self.objs[def].tls else {
                    return Err(LoadError::new(
                        diag::LOADING,
                        self.objs[id].display_name(),
                        b"TLS relocation against an object without a TLS segment",
                    ));
                };
                let v = match ty {
                    R_X86_64_DTPMOD64 => tls.modid,
                    R_X86_64_DTPOFF64 => value.wrapping_add(addend),
                    _ => {
                        let offset = self.static_tls_offset(def, false);
                        if offset == 0 {
                            // glibc names the object whose block has no room.
                            return Err(LoadError::new(
                                diag::LOADING,
                                self.objs[def].display_name(),
                                b"cannot allocate memory in static TLS block",
                            ));
                        }
                        value.wrapping_add(addend).wrapping_sub(offset)
                    }
                };
                write(v);
            }
        }
        Ok(())
    }

    /// The address symbol `idx` of object `id` resolves to, through the one-entry cache.
    #[inline(always)]
    fn symbol_value(
        &self,
        id: DsoId,
        idx: u32,
        class: Class,
        scope: &[DsoId],
        cache: &mut Cache,
    ) -> Result<usize, LoadError> {
        if let Some(value) = cache.value {
            if cache.sym == idx && cache.class == class {
                crate::debug::count(true);
                return Ok(value);
            }
        }
        self.symbol_value_uncached(id, idx, class, scope, cache)
    }

    /// `symbol_value` when the cache holds another symbol: resolve, and remember.
    #[inline(never)]
    fn symbol_value_uncached(
        &self,
        id: DsoId,
        idx: u32,
        class: Class,
        scope: &[DsoId],
        cache: &mut Cache,
    ) -> Result<usize, LoadError> {
        let (addr, ifunc, _) = self.resolve_value(id, idx, class, scope, cache.views, true)?;
        let value = if ifunc { call_ifunc(addr) } else { addr };
        *cache = Cache {
            views: cache.views,
            sym: idx,
            class,
            value: Some(value),
            tls: None,
        };
        Ok(value)
    }

    /// Resolves symbol `idx` of object `id` through `scope` (0 for a weak
    /// undefined reference), without calling an IFUNC resolver: the address, whether it
    /// is a resolver to call (lazy binding calls it after leaving its read
    /// section, see `grace.rs`), and the defining object.
    ///
    /// `views` are `scope`'s (`lookup::View`), or none.  With `note`, the
    /// caller holds the load lock and the binding is recorded
    /// (`note_binding`); lazy binding records it itself.  Inlined into its
    /// two callers, relocation and lazy binding (a call cost both more).
    #[inline(always)]
    pub fn resolve_value(
        &self,
        id: DsoId,
        idx: u32,
        class: Class,
        scope: &[DsoId],
        views: &[View],
        note: bool,
    ) -> Result<(usize, bool, Option<DsoId>), LoadError> {
        let dso = &self.objs[id];
        let Some(sym) = dso.symtab.get(idx as usize) else {
            return Err(LoadError::new(
                diag::LOADING,
                dso.display_name(),
                b"relocation refers to a symbol index outside the symbol table",
            ));
        };
        if idx == 0 {
            return Ok((0, false, None));
        }
        // A local symbol is its own definition.
        if sym.st_bind() == STB_LOCAL {
            let (addr, ifunc) = self.symbol_addr(id, sym);
            return Ok((addr, ifunc, None));
        }
        // launch: a start replaying its record takes the recorded
        // definition, without hashing the name or searching (`launch.rs`).
        if let Some(f) = self.launch.as_deref().and_then(|l| l.replay_fast(self, id, sym)) {
            let (addr, ifunc) = self.symbol_addr(f.dso, f.sym);
            return Ok((addr, ifunc, Some(f.dso)));
        }
        let (name, gnu_hash) = dso.strtab.get_with_gnu_hash(sym.st_name).unwrap_or((b"", 5381));
        let q = Query {
            name,
            gnu_hash,
            version: self.version_req(id, idx),
            class,
            newest: false,
        };
        match self.lookup_for_in(id, scope, views, &q, None, Some(sym)) {
            Some(f) => {
                if note {
                    self.note_binding(id, f.dso);
                }
                let (addr, ifunc) = self.symbol_addr(f.dso, f.sym);
                Ok((addr, ifunc, Some(f.dso)))
            }
            // Under LD_DEBUG=unused glibc lets every reference go unresolved.
            None if sym.st_bind() == STB_WEAK || crate::debug::on(crate::debug::UNUSED) => Ok((0, false, None)),
            None => Err(self.undefined(id, name, q.version.map(|v| v.name))),
        }
    }

    /// For a TLS relocation: the object defining symbol `idx` of object `id`
    /// and the symbol's offset in that object's TLS block (symbol 0 is the
    /// object's own module).
    fn resolve_tls(
        &mut self,
        id: DsoId,
        idx: u32,
        scope: &[DsoId],
        cache: &mut Cache,
    ) -> Result<(DsoId, usize), LoadError> {
        let local = self.objs[id]
            .symtab
            .get(idx as usize)
            .is_some_and(|s| s.st_bind() == STB_LOCAL);
        if idx == 0 || local {
            return self.resolve_tls_uncached(id, idx, scope);
        }
        // TLS references share the one-entry cache (glibc's class for them is the PLT's).
        if let Some(found) = cache.tls {
            if cache.sym == idx && cache.class == Class::Plt {
                crate::debug::count(true);
                return Ok(found);
            }
        }
        let found = self.resolve_tls_uncached(id, idx, scope)?;
        *cache = Cache {
            views: cache.views,
            sym: idx,
            class: Class::Plt,
            value: None,
            tls: Some(found),
        };
        Ok(found)
    }

    fn resolve_tls_uncached(&self, id: DsoId, idx: u32, scope: &[DsoId]) -> Result<(DsoId, usize), LoadError> {
        if idx == 0 {
            return Ok((id, 0));
        }
        let dso = &self.objs[id];
        let Some(sym) = dso.symtab.get(idx as usize) else {
            return Err(LoadError::new(
                diag::LOADING,
                dso.display_name(),
                b"relocation refers to a symbol index outside the symbol table",
            ));
        };
        if sym.st_bind() == STB_LOCAL {
            return Ok((id, sym.st_value as usize));
        }
        let name = dso.str_at(sym.st_name as u64).unwrap_or(b"");
        let q = Query {
            name,
            gnu_hash: elf::gnu_hash(name),
            version: self.version_req(id, idx),
            class: Class::Plt,
            newest: false,
        };
        match self.lookup_for(id, scope, &q, None, Some(sym)) {
            Some(f) => {
                self.note_binding(id, f.dso);
                Ok((f.dso, f.sym.st_value as usize))
            }
            None => Err(self.undefined(id, name, q.version.map(|v| v.name))),
        }
    }

    /// `lookup` on behalf of a reference in object `from`, counted for
    /// `LD_DEBUG=statistics` and reported for `LD_DEBUG=bindings`.
    pub fn lookup_from(
        &self,
        from: DsoId,
        scope: &[DsoId],
        q: &Query,
        skip: Option<DsoId>,
    ) -> Option<crate::lookup::Found> {
        self.lookup_for(from, scope, q, skip, None)
    }

    /// `lookup_from` for a relocation of object `from` whose symbol is
    /// `reference`.
    ///
    /// # Protected symbols
    /// A symbol an object defines with `STV_PROTECTED` visibility cannot be
    /// preempted: the object's own references to it bind to its own
    /// definition, whatever the scope finds first (an executable's function
    /// of the same name, say).  glibc 2.36 (elf/dl-lookup.c) decides it after
    /// the normal search: a PLT or TLS reference takes its own definition
    /// whenever the search found another object's; any other reference does
    /// when a second search, which accepts no canonical PLT entry, finds
    /// another object's definition — so a data reference still meets the
    /// executable's canonical PLT entry for the function, keeping one address
    /// per function.  And when the executable's own reference meets another
    /// object's protected symbol through a copy relocation, or through a
    /// canonical PLT entry, glibc warns that the object will not see the
    /// executable's copy or address (since 2.35 it no longer makes the object
    /// use them).
    #[inline(always)]
    pub fn lookup_for(
        &self,
        from: DsoId,
        scope: &[DsoId],
        q: &Query,
        skip: Option<DsoId>,
        reference: Option<&'static elf::Sym>,
    ) -> Option<crate::lookup::Found> {
        self.lookup_for_in(from, scope, &[], q, skip, reference)
    }

    /// `lookup_for` with the views of `scope` (`lookup::View`), or none.
    #[inline(always)]
    fn lookup_for_in(
        &self,
        from: DsoId,
        scope: &[DsoId],
        views: &[View],
        q: &Query,
        skip: Option<DsoId>,
        reference: Option<&'static elf::Sym>,
    ) -> Option<crate::lookup::Found> {
        // Nearly every lookup: no launch record, nothing to count or print.
        if self.launch.is_none() && !crate::debug::on(crate::debug::STATISTICS | crate::debug::BINDINGS) {
            let found = self.search_for(from, scope, views, q, skip, reference);
            if let Some(f) = found {
                if f.sym.st_other & 3 == STV_PROTECTED && f.dso != from {
                    self.warn_protected(from, q, reference, f.dso);
                }
            }
            return found;
        }
        self.lookup_for_noted(from, scope, views, q, skip, reference)
    }

    /// `lookup_for` with a launch record to replay or write, or the lookup
    /// counted (`LD_DEBUG=statistics`) or reported (`LD_DEBUG=bindings`).
    #[inline(never)]
    fn lookup_for_noted(
        &self,
        from: DsoId,
        scope: &[DsoId],
        views: &[View],
        q: &Query,
        skip: Option<DsoId>,
        reference: Option<&'static elf::Sym>,
    ) -> Option<crate::lookup::Found> {
        // launch: at start-up with LD_RS_CACHE, the recorded answer (or
        // this answer recorded); see `launch.rs`.
        let found = match self.launch.as_deref() {
            None => self.search_for(from, scope, views, q, skip, reference),
            Some(l) => match l.replayed(self, from, q) {
                Some(found) => {
                    if l.checked().is_some() {
                        l.check_against(
                            self,
                            from,
                            q,
                            found,
                            self.search_for(from, scope, views, q, skip, reference),
                        );
                    }
                    found
                }
                None => {
                    let found = self.search_for(from, scope, views, q, skip, reference);
                    l.note(from, q, found, self);
                    found
                }
            },
        };
        if let Some(f) = found {
            if f.sym.st_other & 3 == STV_PROTECTED && f.dso != from {
                self.warn_protected(from, q, reference, f.dso);
            }
        }
        let protected = reference.is_some_and(|r| r.st_other & 3 == STV_PROTECTED);
        if crate::debug::on(crate::debug::STATISTICS | crate::debug::BINDINGS) {
            crate::debug::count(false);
            if let (Some(f), true) = (found, crate::debug::on(crate::debug::BINDINGS)) {
                let mut line = diag::Msg::new()
                    .s(b"binding file ")
                    .s(self.objs[from].display_name())
                    .ns(self.objs[from].ns)
                    .s(b" to ")
                    .s(self.objs[f.dso].display_name())
                    .ns(self.objs[f.dso].ns)
                    .s(if protected {
                        &b": protected symbol `"[..]
                    } else {
                        b": normal symbol `"
                    })
                    .s(q.name)
                    .s(b"'");
                if let Some(v) = q.version {
                    line = line.s(b" [").s(v.name).s(b"]");
                }
                crate::debug::print(line.s(b"\n").bytes());
            }
        }
        found
    }

    /// The search of `lookup_for`, with the protected-symbol rule applied.
    #[inline]
    fn search_for(
        &self,
        from: DsoId,
        scope: &[DsoId],
        views: &[View],
        q: &Query,
        skip: Option<DsoId>,
        reference: Option<&'static elf::Sym>,
    ) -> Option<crate::lookup::Found> {
        // The views, when the caller has them for this scope, unless an
        // object is skipped or each object searched is traced.
        let lookup = |q: &Query| {
            if !views.is_empty() && skip.is_none() && !crate::debug::on(crate::debug::SYMBOLS) {
                self.search_views(views, q)
            } else {
                self.lookup(scope, q, skip)
            }
        };
        let found = lookup(q);
        let own = reference.filter(|r| r.st_other & 3 == STV_PROTECTED);
        if let (Some(f), Some(own)) = (found, own) {
            let elsewhere = if q.class == Class::Plt {
                f.dso != from
            } else {
                let plt = Query {
                    class: Class::Plt,
                    ..*q
                };
                lookup(&plt).is_some_and(|g| g.dso != from)
            };
            if elsewhere {
                return Some(crate::lookup::Found { dso: from, sym: own });
            }
        }
        found
    }

    /// glibc's warnings for an executable's reference that meets object
    /// `def`'s protected symbol: by a copy relocation (the object keeps
    /// using its own data, not the copy), or from a canonical PLT entry (the
    /// object's own address for the function differs from the program's).
    fn warn_protected(&self, from: DsoId, q: &Query, reference: Option<&'static elf::Sym>, def: DsoId) {
        if self.objs[from].kind != crate::dso::Kind::Main {
            return;
        }
        let canonical_plt = reference.is_some_and(|r| r.st_value != 0 && r.st_shndx == SHN_UNDEF);
        let (before, after): (&[u8], &[u8]) = match q.class {
            Class::Copy => (
                b"warning: copy relocation against non-copyable protected symbol `",
                b"'",
            ),
            Class::Plt if canonical_plt => (
                b"warning: direct reference to protected function `",
                b"' may break pointer equality",
            ),
            _ => return,
        };
        diag::Msg::new()
            .s(before)
            .s(q.name)
            .s(b"' in `")
            .s(&self.objs[def].name)
            .s(after)
            .write_line(2);
    }

    /// The address of `name@version` for a reference from object `from`,
    /// looked up in `scope` as a relocation would (counted and reported as
    /// one): what the C library's personality binds on the loader's behalf.
    pub fn bind_symbol(&self, from: DsoId, scope: &[DsoId], name: &[u8], version: &[u8]) -> Option<usize> {
        let q = Query {
            name,
            gnu_hash: elf::gnu_hash(name),
            version: Some(crate::lookup::VersionReq {
                name: version,
                hash: elf::sysv_hash(version),
                hidden: false,
            }),
            class: Class::Data,
            newest: false,
        };
        let f = self.lookup_from(from, scope, &q, None)?;
        Some(self.symbol_address(f.dso, f.sym))
    }

    /// The run-time address of a defined symbol, calling an IFUNC's resolver.
    pub fn symbol_address(&self, id: DsoId, sym: &elf::Sym) -> usize {
        match self.symbol_addr(id, sym) {
            (addr, true) => call_ifunc(addr),
            (addr, false) => addr,
        }
    }

    /// The run-time address of a defined symbol, and whether it is an IFUNC
    /// resolver to call for the real one.
    pub fn symbol_addr(&self, id: DsoId, sym: &elf::Sym) -> (usize, bool) {
        let dso = &self.objs[id];
        let addr = if sym.st_shndx == SHN_ABS {
            sym.st_value as usize
        } else {
            dso.base.wrapping_add(sym.st_value as usize)
        };
        (addr, sym.st_type() == STT_GNU_IFUNC && sym.st_shndx != SHN_UNDEF)
    }

    /// glibc's "undefined symbol" error, naming the object that needs it
    /// (and reported at once under `LD_DEBUG`, as a fatal one).
    pub fn undefined(&self, id: DsoId, name: &[u8], version: Option<&[u8]>) -> LoadError {
        let e = self.undefined_error(id, name, version);
        crate::debug::error(&e.object, e.occasion, &e.message, false);
        e
    }

    fn undefined_error(&self, id: DsoId, name: &[u8], version: Option<&[u8]>) -> LoadError {
        let mut msg = diag::Msg::new().s(b"undefined symbol: ").s(name);
        if let Some(v) = version {
            msg = msg.s(b", version ").s(v);
        }
        LoadError::new(diag::SYMBOL_LOOKUP, self.objs[id].display_name(), msg.bytes()).with_context(
            diag::Context::Undefined {
                from: id,
                name: name.to_vec(),
                version: version.map(|v| v.to_vec()),
            },
        )
    }

    /// `R_X86_64_COPY`: copy the initial value of a library's data object into
    /// the executable's own copy (which the library then uses too, because the
    /// executable comes first in the scope).
    fn copy_reloc(&mut self, id: DsoId, r: &Rela, scope: &[DsoId]) -> Result<(), LoadError> {
        let dso = &self.objs[id];
        let Some(refsym) = dso.symtab.get(r.r_sym() as usize) else {
            return Err(LoadError::new(
                diag::LOADING,
                dso.display_name(),
                b"relocation refers to a symbol index outside the symbol table",
            ));
        };
        let name = dso.str_at(refsym.st_name as u64).unwrap_or(b"");
        let q = Query {
            name,
            gnu_hash: elf::gnu_hash(name),
            version: self.version_req(id, r.r_sym()),
            class: Class::Copy,
            newest: false,
        };
        let Some(f) = self.lookup_for(id, scope, &q, Some(id), Some(refsym)) else {
            return Err(self.undefined(id, name, q.version.map(|v| v.name)));
        };
        let def = &self.objs[f.dso];
        let size = refsym.st_size.min(f.sym.st_size) as usize;
        let src = def.base.wrapping_add(f.sym.st_value as usize);
        let dst = self.objs[id].base.wrapping_add(r.r_offset as usize);
        let readable = def.image.bytes_at(f.sym.st_value, size as u64).is_ok();
        if !readable || !self.objs[id].writable(dst, size) {
            return Err(LoadError::new(
                diag::LOADING,
                self.objs[id].display_name(),
                b"copy relocation outside its segments",
            ));
        }
        // SAFETY: the source lies in a readable segment of the defining object,
        // the destination in a writable one of the executable (both checked),
        // and they belong to different objects so cannot overlap.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, size) };
        Ok(())
    }

    /// Makes the non-writable segments of an object with text relocations
    /// writable for the duration of relocation, and back.
    fn set_text_writable(&self, id: DsoId, on: bool) {
        let dso = &self.objs[id];
        for p in dso
            .phdrs
            .iter()
            .filter(|p| p.p_type == PT_LOAD && p.p_flags & PF_W == 0)
        {
            let start = dso.base.wrapping_add(p.p_vaddr as usize) & !4095;
            let end = (dso.base.wrapping_add((p.p_vaddr + p.p_memsz) as usize) + 4095) & !4095;
            let mut prot = crate::map::prot_of(p.p_flags);
            if on {
                prot |= crate::sys::PROT_WRITE;
            }
            // SAFETY: the object's own segment; only its protection changes.
            let _ = unsafe { crate::sys::mprotect(start, end - start, prot) };
        }
    }
}

/// Calls the IFUNC resolver at `addr` for the function's address.
fn call_ifunc(addr: usize) -> usize {
    // SAFETY: `addr` is an IFUNC symbol's value, its resolver; its object was
    // relocated before its dependents (we relocate dependencies first).
    unsafe { arch::call_resolver(addr) }
}
