//! `--tree` (or `LD_RS_TREE=1` with `ldd`): the dependency listing as a
//! tree — which object pulled in which — in the manner of `libtree`.
//!
//! `--list` answers "what is loaded, from where"; the tree answers "why":
//! walking the `DT_NEEDED` entries depth first, in order, each object is
//! shown in full (with where it was found) the first time it is met, and by
//! name only, marked `(listed above)`, every later time — so the tree stays
//! about as long as the list.  This is ld-rs's own view; glibc has no such
//! output.

use crate::namespace::BASE;
use alloc::vec;
use alloc::vec::Vec;

use crate::diag::Msg;
use crate::dso::{DsoId, Kind};
use crate::rtld::Linker;
use crate::sys;

impl Linker {
    /// Prints the dependency tree of the program to stdout.
    pub fn print_tree(&self) {
        let root = self.global(BASE)[0];
        let mut out = Msg::new().s(self.objs[root].display_name()).s(b"\n");
        // An object's children are the objects it was the first to need.
        let mut shown = vec![false; self.objs.bound()];
        shown[root] = true;
        let mut prefix: Vec<u8> = Vec::new();
        out = self.subtree(root, &mut shown, &mut prefix, out);
        sys::write_all(1, out.bytes());
    }

    fn subtree(&self, id: DsoId, shown: &mut Vec<bool>, prefix: &mut Vec<u8>, mut out: Msg) -> Msg {
        let children = self.children(id);
        for (i, child) in children.iter().enumerate() {
            let last = i + 1 == children.len();
            out = out.s(prefix).s(if last {
                "└── ".as_bytes()
            } else {
                "├── ".as_bytes()
            });
            let dep = match *child {
                Child::Missing(name) => {
                    out = out.s(name).s(b" => not found\n");
                    continue;
                }
                Child::Found(dep) => dep,
            };
            let d = &self.objs[dep];
            out = out.s(&d.requested);
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
        out
    }

    /// An object's children in its `DT_NEEDED` order, the libraries not
    /// found (under `ldd`) in their places.  `needed` holds the objects
    /// found, in that order; a name that matches none of them is one not
    /// found, or names the next one under another name (found by file).
    fn children(&self, id: DsoId) -> Vec<Child<'_>> {
        let mut found = self.objs[id].needed.iter().copied().peekable();
        let mut children = Vec::new();
        for name in self.objs[id].needed_names() {
            let answers = |d: DsoId| {
                let o = &self.objs[d];
                o.requested == name || o.name == name || o.soname == Some(name)
            };
            if found.peek().is_some_and(|&d| answers(d)) {
                children.extend(found.next().map(Child::Found));
            } else if self.trace_missing.iter().any(|(_, n)| n.as_slice() == name) {
                if !children.iter().any(|c| matches!(c, Child::Missing(n) if *n == name)) {
                    children.push(Child::Missing(name));
                }
            } else if !children.iter().any(|c| matches!(c, Child::Found(d) if answers(*d))) {
                children.extend(found.next().map(Child::Found));
            }
        }
        children.extend(found.map(Child::Found));
        children
    }
}

/// One line under an object in the tree.
enum Child<'a> {
    Found(DsoId),
    Missing(&'a [u8]),
}
