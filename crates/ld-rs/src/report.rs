//! `LD_DEBUG`'s reports on start-up as a whole, in glibc's layout: each
//! new object's link map (`files`), the initial scopes (`scopes`), the
//! loader's own relocation (`reloc`) and the totals (`statistics`).  The
//! per-event lines are printed where the events happen.

use crate::namespace::BASE;
use elf::consts::*;

use crate::debug;
use crate::diag::Msg;
use crate::dso::{Dso, DsoId, Kind};
use crate::rtld::Linker;

impl Linker {
    /// `LD_DEBUG=scopes` at start-up: each object's lookup scopes (glibc's
    /// `_dl_show_scope`): the global one, and for the vDSO its own too;
    /// the loader's record has none.
    pub fn debug_scopes(&self) {
        let mut out = Msg::new().s(b"\nInitial object scopes\n");
        let scope_line = |out: Msg, n: u64, list: &[DsoId]| {
            let out = list.iter().fold(out.s(b" scope ").dec(n).s(b":"), |o, &id| {
                o.s(b" ").s(self.objs[id].display_name())
            });
            out.s(b"\n")
        };
        for id in self.link_map_order(BASE) {
            let d = &self.objs[id];
            out = out.s(b"object=").s(d.display_name()).s(b" [0]\n");
            match d.kind {
                Kind::Interpreter => out = out.s(b" no scope\n"),
                Kind::Vdso => {
                    out = scope_line(out, 0, self.global(BASE));
                    out = scope_line(out, 1, &[id]);
                }
                _ if d.symbolic() => {
                    out = scope_line(out, 0, &[id]);
                    out = scope_line(out, 1, self.global(BASE));
                }
                _ => out = scope_line(out, 0, self.global(BASE)),
            }
            out = out.s(b"\n");
        }
        debug::print(out.bytes());
    }

    /// `LD_DEBUG=reloc`: glibc relocates its own record last, in the global
    /// scope, so that libc may interpose on it; ld-rs is relocated already,
    /// but says so at the same point.
    pub fn debug_self_relocation(&self) {
        if let Some(&interp) = self
            .global(BASE)
            .iter()
            .find(|&&id| self.objs[id].kind == Kind::Interpreter)
        {
            let line = Msg::new().s(b"\nrelocation processing: ").s(&self.objs[interp].name);
            debug::print(line.s(b"\n").bytes());
        }
    }

    /// `LD_DEBUG=statistics` at the end of start-up, in glibc's words
    /// (elf/rtld.c `print_statistics`): the time spent, the symbol lookups
    /// made for relocations, and the relative relocations counted by
    /// `DT_RELACOUNT` in objects not loaded at their link-time address.
    pub fn print_statistics(&self, total: u64, reloc: u64, load: u64) {
        let relative: u64 = self
            .global(BASE)
            .iter()
            .map(|&id| &self.objs[id])
            .filter(|d| d.base != 0)
            .map(|d| d.dynamic.relacount)
            .sum();
        let out = Msg::new()
            .s(b"\nruntime linker statistics:\n  total startup time in dynamic loader: ")
            .dec(total)
            .s(b" cycles\n            time needed for relocation: ")
            .dec(reloc)
            .s(b" cycles (")
            .s(debug::percent(reloc, total).bytes())
            .s(b"%)\n                 number of relocations: ")
            .dec(debug::LOOKUPS.load(core::sync::atomic::Ordering::Relaxed))
            .s(b"\n      number of relocations from cache: ")
            .dec(debug::CACHED.load(core::sync::atomic::Ordering::Relaxed))
            .s(b"\n        number of relative relocations: ")
            .dec(relative)
            .s(b"\n           time needed to load objects: ")
            .dec(load)
            .s(b" cycles (")
            .s(debug::percent(load, total).bytes())
            .s(b"%)\n");
        debug::print(out.bytes());
        // ld-rs's own: whether the launch cache gave this start (`launch.rs`).
        if let Some(l) = self.launch.as_deref() {
            let line = Msg::new().s(b"                          launch cache: ");
            let line = if l.replaying() && l.misses.get() == 0 {
                line.s(b"used")
            } else if l.replaying() {
                line.s(b"used, ")
                    .dec(l.misses.get() as u64)
                    .s(b" objects' bindings looked up")
            } else {
                line.s(b"not used (").s(l.verdict).s(b")")
            };
            let line = match l.checked() {
                Some((n, bad)) => line
                    .s(b"; ")
                    .dec(n)
                    .s(b" bindings checked against lookups, ")
                    .dec(bad)
                    .s(b" differ"),
                None => line,
            };
            debug::print(line.s(b"\n").bytes());
        }
    }
}

/// `LD_DEBUG=files`: a new object's link map, in glibc's layout.
pub fn debug_link_map(dso: &Dso, entry: usize, phdr: usize) {
    let dynamic = dso
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_DYNAMIC)
        .map_or(0, |p| dso.base.wrapping_add(p.p_vaddr as usize));
    let phnum = Msg::new().dec(dso.phdrs.len() as u64);
    let mut line = Msg::new()
        .s(b"  dynamic: 0x")
        .hex(dynamic as u64, 16)
        .s(b"  base: 0x")
        .hex(dso.base as u64, 16)
        .s(b"   size: 0x")
        .hex((dso.map_end - dso.map_start) as u64, 16)
        .s(b"\n    entry: 0x")
        .hex(entry as u64, 16)
        .s(b"  phdr: 0x")
        .hex(phdr as u64, 16)
        .s(b"  phnum:   ");
    for _ in phnum.bytes().len()..16 {
        line = line.s(b" ");
    }
    debug::print(line.s(phnum.bytes()).s(b"\n\n").bytes());
}
