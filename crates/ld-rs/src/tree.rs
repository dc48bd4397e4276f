//! `--tree` (or `LD_RS_TREE=1` with `ldd`): the dependency listing as a
//! tree — which object pulled in which — in the manner of `libtree`.
//!
//! `--list` answers "what is loaded, from where"; the tree answers "why":
//! walking the `DT_NEEDED` entries depth first, in order, each object is
//! shown in full (with where it was found) the first time it is met, and by
//! name only, marked `(listed above)`, every later time — so the tree stays
//! about as long as the list.  This is ld-rs's own view; glibc has no such
//! output.

use alloc::vec;
use alloc::vec::Vec;

use crate::diag::Msg;
use crate::dso::{DsoId, Kind};
use crate::rtld::Linker;
use crate::sys;

impl Linker {
    /// Prints the dependency tree of the program to stdout.
    pub fn print_tree(&self) {
        let root = self.global[0];
        let mut out = Msg::new().s(self.objs[root].display_name()).s(b"\n");
        // An object's children are the objects it was the first to need.
        let mut shown = vec![false; self.objs.bound()];
        shown[root] = true;
        let mut prefix: Vec<u8> = Vec::new();
        out = self.subtree(root, &mut shown, &mut prefix, out);
        sys::write_all(1, out.bytes());
    }

    fn subtree(&self, id: DsoId, shown: &mut Vec<bool>, prefix: &mut Vec<u8>, mut out: Msg) -> Msg {
        let needed = &self.objs[id].needed;
        let missing: Vec<&[u8]> = self
            .trace_missing
            .iter()
            .filter(|(_, name)| self.objs[id].needed_names().any(|n| n == name.as_slice()))
            .map(|(_, name)| name.as_slice())
            .collect();
        let total = needed.len() + missing.len();
        for (i, &dep) in needed.iter().enumerate() {
            let last = i + 1 == total;
            let d = &self.objs[dep];
            out = out
                .s(prefix)
                .s(if last {
                    "└── ".as_bytes()
                } else {
                    "├── ".as_bytes()
                })
                .s(&d.requested);
            if shown[dep] {
                out = out.s(b" (listed above)\n");
                continue;
            }
            shown[dep] = true;
            out = match d.kind {
                Kind::Interpreter => out.s(b" (the dynamic linker)\n"),
                _ if d.requested != d.name => out.s(b" => ").s(&d.name).s(b"\n"),
                _ => out.s(b"\n"),
            };
            let len = prefix.len();
            prefix.extend_from_slice(if last { "    ".as_bytes() } else { "│   ".as_bytes() });
            out = self.subtree(dep, shown, prefix, out);
            prefix.truncate(len);
        }
        for (i, name) in missing.iter().enumerate() {
            let last = needed.len() + i + 1 == total;
            out = out
                .s(prefix)
                .s(if last {
                    "└── ".as_bytes()
                } else {
                    "├── ".as_bytes()
                })
                .s(name)
                .s(b" => not found\n");
        }
        out
    }
}
