//! Finding a library file for a `DT_NEEDED` name, in glibc's order.
//!
//! A name containing a slash is a path and is opened as it is.  Any other name
//! is looked for, in this order (ld.so(8), glibc elf/dl-load.c `_dl_map_object`):
//! 1. the `DT_RPATH` of the requesting object and of each object up the chain
//!    that loaded it, then of the executable — but only when the requesting
//!    object has no `DT_RUNPATH` (RUNPATH was invented to let
//!    `LD_LIBRARY_PATH` override it);
//! 2. `LD_LIBRARY_PATH` (or `--library-path`);
//! 3. the requesting object's own `DT_RUNPATH`;
//! 4. `/etc/ld.so.cache`, unless the object is marked `DF_1_NODEFLIB`;
//! 5. the system directories, likewise.
//!
//! Path lists may use the dynamic string tokens `$ORIGIN` (the directory of
//! the object that holds the list), `$LIB` and `$PLATFORM`.

use alloc::vec::Vec;
use elf::consts::*;

use crate::dso::DsoId;
use crate::map::{self, OpenError, Opened};
use crate::rtld::Linker;
use crate::sys::Errno;

/// The system directories, searched last (Debian's multiarch layout first).
pub const SYSTEM_DIRS: [&[u8]; 4] = [
    b"/lib/x86_64-linux-gnu",
    b"/usr/lib/x86_64-linux-gnu",
    b"/lib",
    b"/usr/lib",
];

/// What `$LIB` expands to on Debian's multiarch glibc.
const DST_LIB: &[u8] = b"lib/x86_64-linux-gnu";

/// A found and verified library file.
pub struct Found {
    pub path: Vec<u8>,
    pub file: Opened,
}

/// Why a library could not be found or used.
pub enum SearchError {
    /// Not found anywhere (or only unusable files were).
    NotFound(Errno),
    /// Found only 32-bit objects of that name.
    WrongClass,
    /// A file was found but could not be read.
    Read(Vec<u8>, Errno),
    /// A file was found but is not an object we can load.
    Bad(Vec<u8>, &'static str),
}

impl Linker {
    /// Looks for `name` on behalf of object `from`.
    pub fn find_library(&mut self, name: &[u8], from: DsoId) -> Result<Found, SearchError> {
        if name.contains(&b'/') {
            let path = self.expand_dst(name, from);
            return match map::open_verify(&path) {
                Ok(file) => Ok(Found { path, file }),
                Err(OpenError::Sys(e)) => Err(SearchError::NotFound(e)),
                Err(OpenError::Bad(why)) => Err(SearchError::Bad(path, why)),
                Err(OpenError::Read(e)) => Err(SearchError::Read(path, e)),
                Err(OpenError::WrongClass) => Err(SearchError::Bad(path, "wrong ELF class: ELFCLASS32")),
                Err(OpenError::WrongMachine) => Err(SearchError::NotFound(Errno::ENOENT)),
            };
        }
        let mut state = Attempt::default();

        // 1. DT_RPATH up the loader chain, if the requester has no DT_RUNPATH.
        if self.objs[from].dynamic.get(DT_RUNPATH).is_none() {
            let mut at = Some(from);
            let mut saw_main = false;
            while let Some(id) = at {
                saw_main |= id == 0;
                if let Some(found) = self.try_list(DT_RPATH, id, name, &mut state)? {
                    return Ok(found);
                }
                at = self.objs[id].loader;
            }
            if !saw_main && !self.objs.is_empty() {
                if let Some(found) = self.try_list(DT_RPATH, 0, name, &mut state)? {
                    return Ok(found);
                }
            }
        }
        // 2. LD_LIBRARY_PATH.
        if let Some(list) = self.config.library_path.clone() {
            for dir in split_path(&list) {
                if let Some(found) = try_dir(dir, name, &mut state)? {
                    return Ok(found);
                }
            }
        }
        // 3. The requester's DT_RUNPATH.
        if let Some(found) = self.try_list(DT_RUNPATH, from, name, &mut state)? {
            return Ok(found);
        }
        let nodeflib = self.objs[from].dynamic.flags_1 & DF_1_NODEFLIB != 0;
        // 4. /etc/ld.so.cache.
        if !nodeflib && !self.config.inhibit_cache {
            if let Some(path) = self.cache_lookup(name) {
                if let Some(found) = try_path(path, &mut state)? {
                    return Ok(found);
                }
            }
        }
        // 5. The system directories.
        if !nodeflib {
            for dir in SYSTEM_DIRS {
                if let Some(found) = try_dir(dir, name, &mut state)? {
                    return Ok(found);
                }
            }
        }
        Err(state.into_error())
    }

    /// Tries each directory of object `id`'s `DT_RPATH` or `DT_RUNPATH`.
    fn try_list(&mut self, tag: i64, id: DsoId, name: &[u8], state: &mut Attempt) -> Step {
        let Some(list) = self.objs[id].dynamic.get(tag).and_then(|off| self.objs[id].str_at(off)) else {
            return Ok(None);
        };
        let listed_as: &[u8] = if self.objs[id].kind == crate::dso::Kind::Main {
            b""
        } else {
            &self.objs[id].name
        };
        if self.config.inhibit_rpath(listed_as) {
            return Ok(None);
        }
        for dir in split_path(list) {
            // A privileged program must not load from a directory relative to
            // a file an attacker may have linked anywhere.
            if self.config.secure && dir.windows(7).any(|w| w == b"$ORIGIN" || w == b"{ORIGIN") {
                continue;
            }
            let dir = self.expand_dst(dir, id);
            if dir.is_empty() {
                continue;
            }
            if let Some(found) = try_dir(&dir, name, state)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    fn cache_lookup(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        let cache = self.cache()?;
        cache.lookup(name).map(|p| p.to_vec())
    }

    /// Replaces `$ORIGIN`, `$LIB` and `$PLATFORM` (also in `${...}` form) in `s`.
    pub fn expand_dst(&mut self, s: &[u8], id: DsoId) -> Vec<u8> {
        if !s.contains(&b'$') {
            return s.to_vec();
        }
        let mut out = Vec::with_capacity(s.len() + 32);
        let mut i = 0;
        while i < s.len() {
            if s[i] != b'$' {
                out.push(s[i]);
                i += 1;
                continue;
            }
            let rest = &s[i + 1..];
            let (token, used) = if let Some(body) = rest.strip_prefix(b"{") {
                match body.iter().position(|&c| c == b'}') {
                    Some(end) => (&body[..end], end + 2),
                    None => (&b""[..], 0),
                }
            } else {
                let end = rest
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .unwrap_or(rest.len());
                (&rest[..end], end)
            };
            match token {
                b"ORIGIN" => {
                    let origin = self.origin_of(id);
                    out.extend_from_slice(&origin);
                }
                b"LIB" => out.extend_from_slice(DST_LIB),
                b"PLATFORM" => out.extend_from_slice(&self.config.platform),
                _ => {
                    out.push(b'$');
                    i += 1;
                    continue;
                }
            }
            i += 1 + used;
        }
        out
    }
}

/// Splits a `:`-separated list (glibc also accepts `;` in `LD_LIBRARY_PATH`).
/// An empty element means the current directory, as in glibc.
pub fn split_path(list: &[u8]) -> impl Iterator<Item = &[u8]> {
    list.split(|&c| c == b':' || c == b';')
        .map(|d| if d.is_empty() { &b"."[..] } else { d })
}

/// What the search saw so far, to pick the final error.
#[derive(Default)]
struct Attempt {
    wrong_class: bool,
    last_errno: Option<Errno>,
}

impl Attempt {
    fn into_error(self) -> SearchError {
        if self.wrong_class {
            SearchError::WrongClass
        } else {
            SearchError::NotFound(Errno::ENOENT)
        }
    }
}

/// One probe's outcome: found, not here (keep looking), or a fatal error.
type Step = Result<Option<Found>, SearchError>;

fn try_dir(dir: &[u8], name: &[u8], state: &mut Attempt) -> Step {
    let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
    path.extend_from_slice(dir);
    if !dir.ends_with(b"/") {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    try_path(path, state)
}

/// Opens a candidate.  A missing file, or one for another class or machine,
/// means "keep looking"; a file that is there but corrupt ends the search
/// with its error, as in glibc's `open_verify`.
fn try_path(path: Vec<u8>, state: &mut Attempt) -> Step {
    match map::open_verify(&path) {
        Ok(file) => Ok(Some(Found { path, file })),
        Err(OpenError::WrongClass) => {
            state.wrong_class = true;
            Ok(None)
        }
        Err(OpenError::Sys(e)) => {
            state.last_errno = Some(e);
            Ok(None)
        }
        Err(OpenError::WrongMachine) => Ok(None),
        Err(OpenError::Bad(why)) => Err(SearchError::Bad(path, why)),
        Err(OpenError::Read(e)) => Err(SearchError::Read(path, e)),
    }
}
