//! `LD_RS_EXPLAIN`: after a fatal loader error, what helps fix it.
//!
//! glibc's one line stays exactly as it is (people search the web for it);
//! with `LD_RS_EXPLAIN` set (not in secure mode) ld-rs adds lines of its
//! own after it, each prefixed `ld-rs: `:
//! - a library not found: which object needed it, every place the search
//!   tried in order and why, files of that name it could not use, and
//!   directories this process knows of (another object's `DT_RUNPATH`,
//!   say) that hold one but were not searched;
//! - a missing symbol version: the versions the library does define, and
//!   whether the program was built against a newer glibc;
//! - an undefined symbol: the objects searched, in order, and the
//!   libraries in `/etc/ld.so.cache` that define it.
//!
//! None of this costs anything when the variable is unset: the search
//! records what it tries only under it (`search::Failed`), and everything
//! else runs only here, on the way out.

use alloc::vec::Vec;

use crate::diag::{Context, LoadError, Msg};
use crate::dso::{Dso, DsoId, Kind};
use crate::lookup::{Class, Query, VersionReq};
use crate::rtld::Linker;
use crate::search::Why;
use crate::{map, sys};

/// At most this many `/etc/ld.so.cache` entries are opened when looking
/// for a definition of an undefined symbol (a distribution has ~2,000).
const CACHE_SCAN_LIMIT: usize = 8192;
/// At most this many defining libraries are named.
const DEFINERS_SHOWN: usize = 3;

/// The lines being written: each starts with `ld-rs: `.
struct Out(Msg);

impl Out {
    fn new() -> Out {
        Out(Msg::new())
    }

    fn line(&mut self, parts: &[&[u8]]) {
        let mut m = core::mem::take(&mut self.0).s(b"ld-rs: ");
        for p in parts {
            m = m.s(p);
        }
        self.0 = m.s(b"\n");
    }

    fn write(self) {
        sys::write_all(2, self.0.bytes());
    }
}

/// Called by `LoadError::die` right after glibc's line.  The process exits
/// next, so the caller's view of the linker state (a lazy binding's, say)
/// is never used again while this thread updates the search state and maps
/// the cache.
pub fn after(e: &LoadError) {
    let Some(context) = &e.context else { return };
    let Some(ld) = crate::rtld::linker() else { return };
    if !ld.config.explain {
        return;
    }
    match &**context {
        Context::Missing { from } => missing_library(ld, &e.object, *from),
        Context::Undefined { from, name, version } => undefined_symbol(ld, *from, name, version.as_deref()),
    }
}

/// "OBJECT" for a library, "the program (PATH)" for the program.
fn who(ld: &Linker, id: DsoId) -> Vec<u8> {
    let d = &ld.objs[id];
    if d.kind == Kind::Main {
        [&b"the program ("[..], d.display_name(), b")"].concat()
    } else {
        d.display_name().to_vec()
    }
}

/// A library not found: who needed it and where it was looked for.
fn missing_library(ld: &mut Linker, name: &[u8], from: DsoId) {
    let mut out = Out::new();
    out.line(&[name, b" is needed by ", &who(ld, from)]);
    let failed = ld.paths.as_mut().and_then(|p| p.failed.take());
    if let Some(failed) = &failed {
        out.line(&[b"searched, in order:"]);
        for t in &failed.tried {
            let owner = |id: DsoId| who(ld, id);
            let why: Vec<u8> = match &t.why {
                Why::Rpath(id) => [&b"RPATH of "[..], &owner(*id)].concat(),
                Why::LibraryPath => b"LD_LIBRARY_PATH".to_vec(),
                Why::Runpath(id) => [&b"RUNPATH of "[..], &owner(*id)].concat(),
                Why::System => b"system directory".to_vec(),
                Why::Cache(None) => {
                    out.line(&[b"  /etc/ld.so.cache (no entry for ", name, b")"]);
                    continue;
                }
                Why::Cache(Some(path)) => {
                    out.line(&[b"  /etc/ld.so.cache (its entry, ", path, b", could not be used)"]);
                    continue;
                }
            };
            let missing: &[u8] = if t.exists { b"" } else { b"; no such directory" };
            out.line(&[b"  ", &t.dir, b" (", &why, missing, b")"]);
        }
        if !failed.tried.iter().any(|t| matches!(t.why, Why::Cache(_))) && ld.config.inhibit_cache {
            out.line(&[b"/etc/ld.so.cache was not used (--inhibit-cache)"]);
        }
        for (path, why) in &failed.unusable {
            out.line(&[b"found ", path, b", but it is ", why]);
        }
    }
    // Restore what was taken, so `elsewhere` can tell what was tried.
    if let Some(p) = ld.paths.as_mut() {
        p.failed = failed;
    }
    let elsewhere = ld.paths.as_ref().map(|p| p.elsewhere(name)).unwrap_or_default();
    for (dir, what, owner) in elsewhere {
        // Lists name their object by path; the program's may be empty.
        let owner: Vec<u8> = match owner {
            Some(o) if o.is_empty() || o == ld.objs[0].name => who(ld, 0),
            Some(o) => o,
            None => Vec::new(),
        };
        let mut line: Vec<&[u8]> = alloc::vec![b"a file of that name is in ", &dir, b", which is on the ", what];
        if !owner.is_empty() {
            line.extend_from_slice(&[b" of ", &owner]);
        }
        line.push(b" but was not searched");
        if what == b"RUNPATH" {
            line.push(b": a DT_RUNPATH applies only to the DT_NEEDED entries of the object that has it");
        } else if what == b"RPATH" {
            line.push(b": an object with a DT_RUNPATH of its own ignores every DT_RPATH");
        }
        out.line(&line);
    }
    // The cache's entries of that name for another ABI.
    if let Some(cache) = ld.cache() {
        for (flags, key, value) in cache.entries() {
            if key == name && flags != elf::cache::FLAG_X8664_LIBC6 {
                let abi: &[u8] = match flags {
                    0x0003 => b"libc6, 32-bit x86",
                    0x0803 => b"libc6, x32",
                    _ => b"another ABI",
                };
                out.line(&[
                    b"/etc/ld.so.cache lists ",
                    value,
                    b" (",
                    abi,
                    b"), which this program cannot use",
                ]);
            }
        }
    }
    out.write();
}

/// A missing version: what the library does provide, newest last.
pub fn missing_version(ld: &Linker, dep: DsoId, want: &[u8], required_by: &[u8]) {
    if !ld.config.explain {
        return;
    }
    let target = &ld.objs[dep];
    let mut defined: Vec<Ranked> = target
        .versions
        .iter()
        .filter(|v| v.file.is_empty() && !v.name.is_empty())
        .enumerate()
        .map(|(i, v)| match version_number(v.name) {
            Some((prefix, nums)) => (0, prefix.to_vec(), nums, i, v.name),
            None => (1, Vec::new(), Vec::new(), i, v.name),
        })
        .collect();
    defined.sort();
    let mut out = Out::new();
    let mut line: Vec<&[u8]> = alloc::vec![target.display_name(), b" provides "];
    if defined.is_empty() {
        line.push(b"no versions");
    }
    for (i, d) in defined.iter().enumerate() {
        if i > 0 {
            line.push(b", ");
        }
        line.push(d.4);
    }
    out.line(&line);
    if let Some((b"GLIBC", wanted)) = version_number(want) {
        let newest = defined
            .iter()
            .filter(|d| d.0 == 0 && d.1 == b"GLIBC")
            .max_by(|a, b| a.2.cmp(&b.2));
        if let Some(newest) = newest.filter(|n| wanted > n.2) {
            out.line(&[
                required_by,
                b" was built against a newer glibc (",
                want,
                b") than this system has (",
                newest.4,
                b")",
            ]);
        }
    }
    out.write();
}

/// A version name with its sort key: numbered names (`GLIBC_2.36`) first,
/// by prefix and number, then the others in table order.
type Ranked<'a> = (u8, Vec<u8>, Vec<u32>, usize, &'a [u8]);

/// `PREFIX_1.2.3` as (`PREFIX`, [1, 2, 3]).
fn version_number(name: &[u8]) -> Option<(&[u8], Vec<u32>)> {
    let us = name.iter().rposition(|&c| c == b'_')?;
    let (prefix, rest) = (&name[..us], &name[us + 1..]);
    let mut nums = Vec::new();
    for part in rest.split(|&c| c == b'.') {
        if part.is_empty() || part.len() > 9 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        nums.push(part.iter().fold(0u32, |n, &c| n * 10 + (c - b'0') as u32));
    }
    Some((prefix, nums))
}

/// An undefined symbol: the scope searched, and who defines it elsewhere.
fn undefined_symbol(ld: &mut Linker, from: DsoId, name: &[u8], version: Option<&[u8]>) {
    let mut out = Out::new();
    let scope = ld.scope_of(from);
    let mut line: Vec<&[u8]> = alloc::vec![b"searched, in order:"];
    let mut seen: Vec<DsoId> = Vec::new();
    for &id in &scope {
        if !seen.contains(&id) {
            seen.push(id);
            line.extend_from_slice(&[b" ", ld.objs[id].display_name()]);
        }
    }
    out.line(&line);
    let definers = cache_definers(ld, name, version);
    if definers.is_empty() {
        out.line(&[b"no library in /etc/ld.so.cache defines it"]);
    }
    for (soname, path) in &definers {
        out.line(&[soname, b" (", path, b") defines it; is it missing from DT_NEEDED?"]);
    }
    out.write();
}

/// The x86-64 libraries of `/etc/ld.so.cache` whose dynamic symbol table
/// defines `name` (at `version`, if given): (soname, path), at most
/// `DEFINERS_SHOWN`.  Each is opened and mapped as a dependency would be,
/// looked into and unmapped.
fn cache_definers(ld: &mut Linker, name: &[u8], version: Option<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let page = ld.page;
    let Some(cache) = ld.cache() else {
        return Vec::new();
    };
    let q = Query {
        name,
        gnu_hash: elf::gnu_hash(name),
        version: version.map(|v| VersionReq {
            name: v,
            hash: elf::sysv_hash(v),
            hidden: false,
        }),
        class: Class::Data,
        newest: false,
    };
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut opened: Vec<&[u8]> = Vec::new();
    // A library is often listed under several names (libz.so, libz.so.1):
    // it is named once, by its first entry.
    let mut files: Vec<(u64, u64)> = Vec::new();
    for (flags, key, path) in cache.entries().take(CACHE_SCAN_LIMIT) {
        if flags != elf::cache::FLAG_X8664_LIBC6 || opened.contains(&path) {
            continue;
        }
        opened.push(path);
        let Some(file) = defines(path, &q, page) else { continue };
        if !files.contains(&file) {
            files.push(file);
            found.push((key.to_vec(), path.to_vec()));
            if found.len() == DEFINERS_SHOWN {
                break;
            }
        }
    }
    found
}

/// The file (device, inode) when the library at `path` defines `q`
/// (mapped, looked up, unmapped).
fn defines(path: &[u8], q: &Query, page: usize) -> Option<(u64, u64)> {
    let file = map::open_verify(path).ok()?;
    if file.ehdr.e_type != elf::consts::ET_DYN {
        return None;
    }
    let mapped = map::map_segments(&file, page).ok()?;
    let (lo, hi) = crate::dso::span(mapped.phdrs);
    let hit = match Dso::new(
        Kind::Library,
        path.to_vec(),
        path.to_vec(),
        mapped.base,
        mapped.phdrs,
        mapped.image,
    ) {
        Ok(dso) => dso.find_symbol(q).is_some_and(|s| s.st_shndx != elf::consts::SHN_UNDEF),
        Err(_) => false,
    };
    // SAFETY: the mapping was made above for this look only; the record
    // that pointed into it was dropped with the match.
    let _ = unsafe { sys::munmap(mapped.base.wrapping_add(lo as usize), (hi - lo) as usize) };
    hit.then_some((file.dev, file.ino))
}
