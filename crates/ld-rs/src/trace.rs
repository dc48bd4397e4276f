//! `ldd` and `--list` (`LD_TRACE_LOADED_OBJECTS`): the report start-up
//! gives instead of running the program, in glibc's format, with its
//! variants (`ldd -u`, `-d`/`-r`, `-v`, and ld-rs's `--tree`).

use crate::namespace::BASE;
use alloc::vec::Vec;
use elf::consts::*;

use crate::debug;
use crate::diag::Msg;
use crate::dso::{DsoId, Kind};
use crate::rtld::Linker;
use crate::sys;

impl Linker {
    /// `LD_TRACE_LOADED_OBJECTS` (`ldd`) or `--list`: the report, then exit.
    /// As glibc: missing versions are reported but the listing goes on;
    /// `ldd -u` lists unused dependencies instead; `ldd -d`/`-r` resolve
    /// every object's references, reporting the undefined ones; `ldd -v`
    /// adds the version information.
    pub fn trace(&mut self) -> ! {
        let _ = self.check_versions_of(self.global(BASE));
        if debug::on(debug::UNUSED) {
            self.print_unused();
        }
        if self.config.tree {
            self.print_tree();
        } else {
            self.print_list();
        }
        if self.config.warn {
            let lazy = !self.config.bind_now;
            let scope = self.global(BASE).to_vec();
            for id in crate::init::init_order(self, &scope) {
                if self.objs[id].kind != Kind::Interpreter {
                    self.trace_relocate(id, lazy, &mut []);
                }
            }
        }
        if self.config.verbose {
            self.print_version_info();
        }
        sys::exit(0)
    }

    /// `--list` / `LD_TRACE_LOADED_OBJECTS`: one line per dependency, glibc's format.
    ///
    /// Objects are listed in link-map order: the vDSO, then the dependencies
    /// breadth-first, then the interpreter if anything needs it.  An object
    /// known by its path alone prints as `\tPATH (0xADDR)`, any other as
    /// `\tNAME => PATH (0xADDR)`, the address being where its mapping starts.
    fn print_list(&self) {
        let vdso = self.objs.position(|d| d.kind == Kind::Vdso);
        let mut out = Msg::new();
        let line = |out: Msg, id: DsoId| {
            let d = &self.objs[id];
            let mut out = out.s(b"\t").s(&d.requested);
            if d.requested != d.name {
                out = out.s(b" => ").s(&d.name);
            }
            out.s(b" (0x").hex(d.map_start as u64, 16).s(b")\n")
        };
        let missing = |out: Msg, at: &dyn Fn(usize) -> bool| {
            self.trace_missing
                .iter()
                .filter(|(pos, _)| at(*pos))
                .fold(out, |o, (_, name)| o.s(b"\t").s(name).s(b" => not found\n"))
        };
        // An object that needs nothing is reported the way glibc does.
        if self.global(BASE).len() == 1 && self.trace_missing.is_empty() {
            sys::write_all(1, b"\tstatically linked\n");
            return;
        }
        // glibc links its own record in right after the object that precedes
        // it in the search order; the vDSO's comes right after the program's.
        // So the loader's line comes first when the program itself needs it
        // directly first (as libc.so.6 does), else where the breadth-first
        // search reached it.
        let interp_first = self
            .global(BASE)
            .get(1)
            .is_some_and(|&id| self.objs[id].kind == Kind::Interpreter);
        if interp_first {
            out = line(out, self.global(BASE)[1]);
        }
        if let Some(v) = vdso {
            out = line(out, v);
        }
        for (i, &id) in self
            .global(BASE)
            .iter()
            .enumerate()
            .skip(if interp_first { 2 } else { 1 })
        {
            out = missing(out, &|pos| pos == i);
            out = line(out, id);
        }
        out = missing(out, &|pos| pos >= self.global(BASE).len());
        sys::write_all(1, out.bytes());
    }

    /// `ldd -u` (`LD_DEBUG=unused` while tracing): resolves the program's
    /// references, then lists its `DT_NEEDED` objects that defined none of
    /// them and exits 1 if there are any, 0 if not (glibc's `dl_main`).
    fn print_unused(&mut self) -> ! {
        let main = self.global(BASE)[0];
        let mut used = alloc::vec![false; self.objs.bound()];
        self.trace_relocate(main, !self.config.bind_now, &mut used);
        let mut out = Msg::new();
        let mut any = false;
        // Each DT_NEEDED entry in order; one not found is unused by definition
        // and named as it was asked for (glibc walks its stand-in records).
        let names: Vec<&'static [u8]> = self.objs[main].needed_names().collect();
        for name in names {
            let unused: Option<&[u8]> = match self.find_loaded(name, BASE) {
                Some(dep) if used[dep] => None,
                Some(dep) => Some(&self.objs[dep].name),
                None => Some(name),
            };
            if let Some(shown) = unused {
                if !any {
                    out = out.s(b"Unused direct dependencies:\n");
                    any = true;
                }
                out = out.s(b"\t").s(shown).s(b"\n");
            }
        }
        sys::write_all(1, out.bytes());
        sys::exit(any as i32)
    }

    /// `ldd -v` (`LD_VERBOSE` while tracing): for each object that requires
    /// versions, each requirement and the file that satisfies it.
    fn print_version_info(&self) {
        let mut out = Msg::new();
        let mut first = true;
        for id in self.link_map_order(BASE) {
            let d = &self.objs[id];
            if d.dynamic.verneed.is_none() {
                continue;
            }
            if first {
                out = out.s(b"\n\tVersion information:\n");
                first = false;
            }
            out = out.s(b"\t").s(d.display_name()).s(b":\n");
            for &(v, flags) in d.needed_versions() {
                let target = self.global(BASE).iter().copied().find(|&t| {
                    let o = &self.objs[t];
                    o.name == v.file || o.requested == v.file || o.soname == Some(v.file)
                });
                let has = |t: DsoId| {
                    self.objs[t]
                        .versions
                        .iter()
                        .any(|x| x.file.is_empty() && x.name == v.name)
                };
                out = out.s(b"\t\t").s(v.file).s(b" (").s(v.name).s(b") ");
                if flags & VER_FLG_WEAK != 0 {
                    out = out.s(b"[WEAK] ");
                }
                out = match target.filter(|&t| has(t)) {
                    Some(t) => out.s(b"=> ").s(&self.objs[t].name).s(b"\n"),
                    None => out.s(b"=> not found\n"),
                };
            }
        }
        sys::write_all(1, out.bytes());
    }
}
