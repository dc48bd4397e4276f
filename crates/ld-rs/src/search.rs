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
//!
//! # Capability subdirectories
//! A directory of a list is not searched alone.  Before it, glibc tries a
//! subdirectory for each level of the x86-64 psABI the CPU supports, best
//! first (`glibc-hwcaps/x86-64-v4/` … `-v2/`), so a distribution can ship a
//! library built for newer CPUs beside the baseline one; then the older
//! scheme's subdirectories, every combination of `tls`, the platform name and
//! the hardware-capability names (`tls/x86_64/x86_64/` … `x86_64/`).  Each is
//! really opened, and `LD_DEBUG=libs` lists them all (elf/dl-hwcaps.c).
//!
//! That would make every search a dozen failed `open`s per directory, so a
//! directory record remembers, per subdirectory, whether it exists: the first
//! failed open in it is followed by a `stat` of the subdirectory, and one
//! found missing is never tried again, by any list that names the same
//! directory (records are shared).  A `DT_RPATH`/`DT_RUNPATH` list none of
//! whose directories exists is dropped altogether (glibc's `open_path`).
//! Relative directories are never written off: the current directory may
//! change.

use alloc::vec::Vec;
use elf::consts::*;

use crate::debug;
use crate::diag::Msg;
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

/// Computes, for a platform name, the capability names (see `capability_dirs`)
/// and what the cache's entries for particular hardware are matched against.
pub type CapsFn = fn(&[u8]) -> Caps;

/// What the C library's loader would search for this CPU.
#[derive(Default)]
pub struct Caps {
    /// The `glibc-hwcaps` names the CPU supports, best first.
    pub hwcaps: Vec<&'static [u8]>,
    /// The legacy capability and platform names.
    pub legacy: Vec<Vec<u8>>,
    /// No legacy subdirectory at all, not even `tls/` (the runtime's
    /// loader searches only the `glibc-hwcaps` ones).
    pub no_legacy_dirs: bool,
    /// For `/etc/ld.so.cache` (see `elf::cache::Select`): the ISA levels
    /// supported, the legacy capability bits allowed, the bits that name a
    /// platform and the running platform's.
    pub isa_levels: u32,
    pub legacy_allowed: u64,
    pub platform_mask: u64,
    pub platform: u64,
}

/// The capabilities every search uses, computed once (`Linker::caps`).
pub struct Capabilities {
    /// The subdirectories tried in each directory, best first, each ending
    /// in a slash; the last is empty (the directory itself).  Moved to the
    /// search state (`Paths::caps`) by the first search.
    dirs: Vec<Vec<u8>>,
    /// The `glibc-hwcaps` names searched, best first: those of
    /// `--glibc-hwcaps-prepend`, then the CPU's that `--glibc-hwcaps-mask`
    /// keeps.  The cache's variants are ranked by them.
    hwcaps: Vec<Vec<u8>>,
    caps: Caps,
}

/// What `open_path` learned of one directory with one capability subdirectory appended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Unknown,
    Missing,
    Present,
}

/// One directory of a search list (glibc's `r_search_path_elem`).  Every
/// list that names the same directory shares the record, so what one search
/// learns — that `DIR/tls/` does not exist — spares every later search the
/// attempt, and the debug output prints only what is still worth trying.
struct Dir {
    /// The directory with a trailing slash (empty: the current directory).
    name: Vec<u8>,
    /// The list it was first seen in (`RPATH`, `LD_LIBRARY_PATH`, …).
    what: &'static [u8],
    /// For `RPATH`/`RUNPATH`: the object whose list it is.
    from: Option<Vec<u8>>,
    /// One status per capability subdirectory (`init` for those not yet set).
    status: Vec<Status>,
    init: Status,
    /// The name holds no NUL (nearly always: see `open_path`).
    clean: bool,
}

impl Dir {
    fn status(&self, c: usize) -> Status {
        self.status.get(c).copied().unwrap_or(self.init)
    }

    fn set_status(&mut self, c: usize, st: Status) {
        if self.status.len() <= c {
            self.status.resize(c + 1, self.init);
        }
        self.status[c] = st;
    }
}

/// The search state: every directory seen so far, and the lists over them.
pub struct Paths {
    /// The subdirectories tried in each directory, best first, each ending
    /// in a slash; the last is empty (the directory itself).  Computed when
    /// a directory is first searched.
    caps: Vec<Vec<u8>>,
    /// No subdirectory name holds a NUL (see `open_path`).
    caps_clean: bool,
    dirs: Vec<Dir>,
    system: Vec<usize>,
    env: Vec<usize>,
    /// Decomposed `DT_RPATH`/`DT_RUNPATH` lists: (object, tag, directories).
    lists: Vec<(DsoId, i64, Vec<usize>)>,
    /// Under `LD_RS_EXPLAIN`: what the last failed search tried (see `Tried`).
    pub failed: Option<Failed>,
    /// The directories of paths `/etc/ld.so.cache` named that could not be
    /// opened (the launch cache watches them, see `probed`).
    cache_misses: Vec<Vec<u8>>,
    /// Searches are for audit modules and what they need (see `search`).
    pub for_audit: bool,
}

/// Why a place was searched, in the words `LD_RS_EXPLAIN` prints.
#[derive(Clone)]
pub enum Why {
    Rpath(DsoId),
    LibraryPath,
    Runpath(DsoId),
    /// `/etc/ld.so.cache`, with the path it named, if any.
    Cache(Option<Vec<u8>>),
    System,
}

/// One place a failed search looked in (recorded only under `LD_RS_EXPLAIN`).
pub struct Tried {
    /// The directory, without its trailing slash ("" for the cache).
    pub dir: Vec<u8>,
    pub why: Why,
    /// False for a directory known not to exist.
    pub exists: bool,
}

/// What a failed search saw: every place in order, and the files of that
/// name it found but could not use (path, reason).
#[derive(Default)]
pub struct Failed {
    pub tried: Vec<Tried>,
    pub unusable: Vec<(Vec<u8>, &'static [u8])>,
}

/// The capability subdirectories glibc tries in each directory
/// (elf/dl-hwcaps.c `_dl_important_hwcaps`): first `glibc-hwcaps/NAME/` for
/// each supported level, best first; then the legacy power set of the
/// hardware capability names, the platform and `tls` — every subset, the
/// components joined in reverse order, from the full set down to the empty
/// one.
pub fn capability_dirs(hwcaps: &[&[u8]], legacy: &[&[u8]]) -> Vec<Vec<u8>> {
    // The components, `tls` last, at most eight of them.
    let mut parts: [&[u8]; 8] = [b""; 8];
    let mut n = 0;
    for part in legacy.iter().copied().chain([&b"tls"[..]]).take(8) {
        parts[n] = part;
        n += 1;
    }
    let mut caps: Vec<Vec<u8>> = Vec::with_capacity(hwcaps.len() + (1 << n));
    caps.extend(hwcaps.iter().map(|h| [&b"glibc-hwcaps/"[..], h, b"/"].concat()));
    // Each name is made at its final size (no regrowth).
    for mask in (0..1usize << n).rev() {
        let len = (0..n)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| parts[i].len() + 1)
            .sum();
        let mut dir = Vec::with_capacity(len);
        for i in (0..n).rev().filter(|i| mask & (1 << i) != 0) {
            dir.extend_from_slice(parts[i]);
            dir.push(b'/');
        }
        caps.push(dir);
    }
    caps
}

impl Linker {
    /// Sets up the search state as glibc's `_dl_init_paths` does: the system
    /// directories, then the program's own RUNPATH or RPATH, then
    /// `LD_LIBRARY_PATH` (the order decides which list a shared directory is
    /// reported under).
    fn init_paths(&mut self) {
        let mut paths = Paths {
            caps: Vec::new(),
            caps_clean: false,
            dirs: Vec::new(),
            system: Vec::new(),
            env: Vec::new(),
            lists: Vec::new(),
            failed: None,
            cache_misses: Vec::new(),
            for_audit: false,
        };
        for dir in SYSTEM_DIRS {
            let i = paths.add(dir, b"system search path", None);
            paths.system.push(i);
        }
        self.paths = Some(paths);
        if !self.objs.is_empty() {
            if self.objs[0].dynamic.get(DT_RUNPATH).is_some() {
                self.list_of(0, DT_RUNPATH);
            } else {
                self.list_of(0, DT_RPATH);
            }
        }
        // Taken out while the search state is built from it (no copy), and
        // each directory copied once, by `add` (expanded first if need be).
        if let Some(list) = self.config.library_path.take() {
            let mut env = Vec::new();
            for dir in list.split(|&c| c == b':' || c == b';') {
                let expanded;
                let dir = if dir.contains(&b'$') {
                    expanded = self.expand_dst(dir, 0);
                    &expanded[..]
                } else {
                    dir
                };
                if let Some(paths) = self.paths.as_mut() {
                    let i = paths.add(dir, b"LD_LIBRARY_PATH", None);
                    if !env.contains(&i) {
                        env.push(i);
                    }
                }
            }
            if let Some(paths) = self.paths.as_mut() {
                paths.env = env;
            }
            self.config.library_path = Some(list);
        }
    }

    /// The directories a search on behalf of object `from` looks in, in the
    /// order `dlinfo(RTLD_DI_SERINFO)` reports them (glibc's
    /// `_dl_rtld_di_serinfo`): the `DT_RPATH` chain up the loaders unless
    /// `from` has a `DT_RUNPATH`, then the program's `DT_RPATH` (listed again
    /// when the chain already passed it, as glibc lists it), `LD_LIBRARY_PATH`,
    /// `from`'s `DT_RUNPATH`, and the system directories unless `from` is
    /// `-z nodefaultlib`.  `/etc/ld.so.cache` is no directory and is not
    /// listed.  Each name ends in a slash; the current directory is empty.
    pub fn search_dirs(&mut self, from: DsoId) -> Vec<Vec<u8>> {
        if self.paths.is_none() {
            self.init_paths();
        }
        let mut lists: Vec<Vec<usize>> = Vec::new();
        if self.objs[from].dynamic.get(DT_RUNPATH).is_none() {
            let mut at = Some(from);
            while let Some(id) = at {
                lists.push(self.list_of(id, DT_RPATH));
                at = self.objs[id].loader;
            }
            if from != 0 && !self.objs.is_empty() && self.objs[from].ns == crate::namespace::BASE {
                lists.push(self.list_of(0, DT_RPATH));
            }
        }
        let (env, system) = match &self.paths {
            Some(p) => (p.env.clone(), p.system.clone()),
            None => (Vec::new(), Vec::new()),
        };
        lists.push(env);
        lists.push(self.list_of(from, DT_RUNPATH));
        if self.objs[from].dynamic.flags_1 & DF_1_NODEFLIB == 0 {
            lists.push(system);
        }
        let Some(paths) = &self.paths else {
            return Vec::new();
        };
        lists
            .iter()
            .flatten()
            .filter_map(|&i| paths.dirs.get(i).map(|d| d.name.clone()))
            .collect()
    }

    /// `--help`'s library search path, in the order a search for the
    /// program's libraries tries it (glibc's `print_search_path_for_help`):
    /// the program's `DT_RPATH` (when it has no `DT_RUNPATH`),
    /// `LD_LIBRARY_PATH`, the program's `DT_RUNPATH`, the cache (`None`),
    /// the system directories.  Each directory is named as in `LD_DEBUG`
    /// (no trailing slash, `.` for the current directory) with the list it
    /// was first seen in.
    pub fn search_path_for_help(&mut self) -> Vec<Option<(Vec<u8>, &'static [u8])>> {
        if self.paths.is_none() {
            self.init_paths();
        }
        let mut lists: Vec<Option<Vec<usize>>> = Vec::new();
        let runpath = !self.objs.is_empty() && self.objs[0].dynamic.get(DT_RUNPATH).is_some();
        if !self.objs.is_empty() && !runpath {
            lists.push(Some(self.list_of(0, DT_RPATH)));
        }
        lists.push(self.paths.as_ref().map(|p| p.env.clone()));
        if runpath {
            lists.push(Some(self.list_of(0, DT_RUNPATH)));
        }
        lists.push(None);
        lists.push(self.paths.as_ref().map(|p| p.system.clone()));
        let Some(paths) = self.paths.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for list in lists {
            let Some(list) = list else {
                out.push(None);
                continue;
            };
            for d in list {
                let dir = &paths.dirs[d];
                let name = match dir.name.len() {
                    0 => &b"."[..],
                    1 => &dir.name[..],
                    n => &dir.name[..n - 1],
                };
                out.push(Some((name.to_vec(), dir.what)));
            }
        }
        out
    }

    /// The `DT_RPATH`/`DT_RUNPATH` lists the searches dropped because none
    /// of their directories exists: (object, tag).  `dlinfo`'s
    /// `RTLD_DI_SERINFO` shows them as dropped, so a start from the launch
    /// cache, which searches nothing, drops them too (`forget_list`).
    pub fn dropped_lists(&self) -> Vec<(DsoId, i64)> {
        let Some(paths) = &self.paths else {
            return Vec::new();
        };
        paths
            .lists
            .iter()
            .filter(|(id, tag, l)| l.is_empty() && self.objs.get(*id).is_some_and(|d| d.dynamic.get(*tag).is_some()))
            .map(|&(id, tag, _)| (id, tag))
            .collect()
    }

    /// Drops object `id`'s `DT_RPATH` or `DT_RUNPATH` list, as a search
    /// that found none of its directories does.
    pub fn forget_list(&mut self, id: DsoId, tag: i64) {
        if self.paths.is_none() {
            self.init_paths();
        }
        if let Some(p) = self.paths.as_mut() {
            match p.lists.iter_mut().find(|(i, t, _)| *i == id && *t == tag) {
                Some(entry) => entry.2.clear(),
                None => p.lists.push((id, tag, Vec::new())),
            }
        }
    }

    /// Object `id`'s `DT_RPATH` or `DT_RUNPATH` as directories (decomposed once).
    fn list_of(&mut self, id: DsoId, tag: i64) -> Vec<usize> {
        if let Some(paths) = &self.paths {
            if let Some((_, _, l)) = paths.lists.iter().find(|(i, t, _)| *i == id && *t == tag) {
                return l.clone();
            }
        }
        let mut result = Vec::new();
        let listed_as: Vec<u8> = if self.objs[id].kind == crate::dso::Kind::Main {
            Vec::new()
        } else {
            self.objs[id].name.clone()
        };
        let list = self.objs[id].dynamic.get(tag).and_then(|off| self.objs[id].str_at(off));
        if let Some(list) = list.filter(|_| !self.config.inhibit_rpath(&listed_as)) {
            let what: &'static [u8] = if tag == DT_RPATH { b"RPATH" } else { b"RUNPATH" };
            for dir in list.split(|&c| c == b':') {
                // A privileged program must not load from a directory relative to
                // a file an attacker may have linked anywhere.
                if self.config.secure && dir.windows(7).any(|w| w == b"$ORIGIN" || w == b"{ORIGIN") {
                    continue;
                }
                let expanded = self.expand_dst(dir, id);
                if !dir.is_empty() && expanded.is_empty() {
                    continue;
                }
                let from = self.objs[id].name.clone();
                if let Some(paths) = self.paths.as_mut() {
                    let i = paths.add(&expanded, what, Some(from));
                    if !result.contains(&i) {
                        result.push(i);
                    }
                }
            }
        }
        if let Some(paths) = self.paths.as_mut() {
            paths.lists.push((id, tag, result.clone()));
        }
        result
    }

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
        if self.paths.is_none() {
            self.init_paths();
        }
        if let Some(paths) = self.paths.as_mut().filter(|_| self.config.explain) {
            // What an earlier search (a preload's, say) tried is not this one's.
            paths.failed = None;
        }
        if debug::on(debug::LIBS) {
            let line = Msg::new().s(b"find library=").s(name).ns(self.objs[from].ns);
            debug::print(line.s(b"; searching\n").bytes());
        }
        let audit = self.paths.as_ref().is_some_and(|p| p.for_audit);
        let found = self.search(name, from, audit);
        if debug::on(debug::LIBS) {
            debug::print(b"\n");
        }
        found
    }

    /// Looks for `name` as glibc looks for what an audit module needs: on
    /// behalf of object `from`, with the program's `DT_RUNPATH` searched
    /// too (after the `DT_RPATH`s).  Only what the search learns of the
    /// directories is kept (see `audit.rs`); the path found is returned.
    pub fn search_for_audit(&mut self, name: &[u8], from: DsoId) -> Option<(Vec<u8>, Opened)> {
        self.set_audit_search(true);
        let found = self.search_for_audit_inner(name, from);
        self.set_audit_search(false);
        found
    }

    /// While `on`, `find_library` looks for audit modules and what they
    /// need: the program's `DT_RUNPATH` is searched too (glibc).
    pub fn set_audit_search(&mut self, on: bool) {
        if self.paths.is_none() {
            self.init_paths();
        }
        if let Some(p) = self.paths.as_mut() {
            p.for_audit = on;
        }
    }

    fn search_for_audit_inner(&mut self, name: &[u8], from: DsoId) -> Option<(Vec<u8>, Opened)> {
        if name.contains(&b'/') {
            return None;
        }
        if self.paths.is_none() {
            self.init_paths();
        }
        self.search(name, from, true).ok().map(|f| (f.path, f.file))
    }

    /// `ld.so NAME`, a program named without a slash: looked for as glibc's
    /// loader looks for it.  glibc maps the program before it has set up
    /// its search paths, so neither `LD_LIBRARY_PATH` nor the system
    /// directories are searched yet: only `/etc/ld.so.cache` (unless
    /// `--inhibit-cache`) can name it (`ld.so libc.so.6` runs libc).  Not
    /// found, the error carries no error number (`Errno(0)`), as glibc's.
    pub fn find_program(&mut self, name: &[u8]) -> Result<Found, SearchError> {
        if debug::on(debug::LIBS) {
            debug::print(Msg::new().s(b"find library=").s(name).s(b" [0]; searching\n").bytes());
        }
        let mut state = Attempt::default();
        let mut found = Ok(None);
        if !self.config.inhibit_cache {
            if debug::on(debug::LIBS) {
                debug::print(b" search cache=/etc/ld.so.cache\n");
            }
            if let Some(path) = self.cache_lookup(name) {
                if debug::on(debug::LIBS) {
                    debug::print(Msg::new().s(b"  trying file=").s(&path).s(b"\n").bytes());
                }
                found = try_path(path, &mut state);
            }
        }
        if debug::on(debug::LIBS) {
            debug::print(b"\n");
        }
        match found? {
            Some(f) => Ok(f),
            None if state.wrong_class => Err(SearchError::WrongClass),
            None => Err(SearchError::NotFound(state.last_errno.unwrap_or(Errno(0)))),
        }
    }

    /// The search proper, in glibc's order (see the top of this file).
    fn search(&mut self, name: &[u8], from: DsoId, audit: bool) -> Result<Found, SearchError> {
        // Recording costs one test per directory, and only when asked for.
        let mut state = Attempt {
            record: self.config.explain.then(Failed::default),
            ..Attempt::default()
        };

        // 1. DT_RPATH up the loader chain, if the requester has no DT_RUNPATH.
        if self.objs[from].dynamic.get(DT_RUNPATH).is_none() {
            let mut at = Some(from);
            let mut did_main = false;
            while let Some(id) = at {
                let list = self.list_of(id, DT_RPATH);
                if !list.is_empty() {
                    if let Some(found) =
                        self.open_path(name, from, &list, Some((id, DT_RPATH)), Why::Rpath(id), &mut state)?
                    {
                        return Ok(found);
                    }
                    did_main |= id == 0;
                }
                at = self.objs[id].loader;
            }
            // The program's own DT_RPATH, whatever the namespace (glibc's
            // `_dl_map_object`; `RTLD_DI_SERINFO` shows it for the base
            // namespace only, `search_dirs`).
            if !did_main && !self.objs.is_empty() {
                let list = self.list_of(0, DT_RPATH);
                if let Some(found) =
                    self.open_path(name, from, &list, Some((0, DT_RPATH)), Why::Rpath(0), &mut state)?
                {
                    return Ok(found);
                }
                // For an audit module, the program's DT_RUNPATH too (glibc).
                let list = if audit { self.list_of(0, DT_RUNPATH) } else { Vec::new() };
                if let Some(found) =
                    self.open_path(name, from, &list, Some((0, DT_RUNPATH)), Why::Runpath(0), &mut state)?
                {
                    return Ok(found);
                }
            }
        }
        // 2. LD_LIBRARY_PATH.
        let env = self.paths.as_ref().map(|p| p.env.clone()).unwrap_or_default();
        if let Some(found) = self.open_path(name, from, &env, None, Why::LibraryPath, &mut state)? {
            return Ok(found);
        }
        // 3. The requester's DT_RUNPATH.
        let list = self.list_of(from, DT_RUNPATH);
        if let Some(found) = self.open_path(
            name,
            from,
            &list,
            Some((from, DT_RUNPATH)),
            Why::Runpath(from),
            &mut state,
        )? {
            return Ok(found);
        }
        let nodeflib = self.objs[from].dynamic.flags_1 & DF_1_NODEFLIB != 0;
        // 4. /etc/ld.so.cache.
        if !nodeflib && !self.config.inhibit_cache {
            if debug::on(debug::LIBS) {
                debug::print(b" search cache=/etc/ld.so.cache\n");
            }
            let path = self.cache_lookup(name);
            if let Some(r) = state.record.as_mut() {
                r.tried.push(Tried {
                    dir: Vec::new(),
                    why: Why::Cache(path.clone()),
                    exists: true,
                });
            }
            let path = match (path, self.audit.as_deref_mut()) {
                (Some(p), Some(a)) => a.search(&p, from, crate::audit::LA_SER_CONFIG),
                (p, _) => p,
            };
            if let Some(path) = path {
                if debug::on(debug::LIBS) {
                    debug::print(Msg::new().s(b"  trying file=").s(&path).s(b"\n").bytes());
                }
                let dir = path[..path.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1)].to_vec();
                if let Some(found) = try_path(path, &mut state)? {
                    return Ok(found);
                }
                if let Some(p) = self.paths.as_mut() {
                    p.cache_misses.push(dir);
                }
            }
        }
        // 5. The system directories.
        if !nodeflib {
            let system = self.paths.as_ref().map(|p| p.system.clone()).unwrap_or_default();
            if let Some(found) = self.open_path(name, from, &system, None, Why::System, &mut state)? {
                return Ok(found);
            }
        }
        if let (Some(failed), Some(paths)) = (state.record.take(), self.paths.as_mut()) {
            paths.failed = Some(failed);
        }
        Err(state.into_error())
    }

    /// Tries `name` in each directory of `list` and each of its capability
    /// subdirectories not known to be missing (glibc's `open_path`).
    /// A `DT_RPATH`/`DT_RUNPATH` list (`owner`) none of whose directories
    /// exists is dropped, as glibc drops it.
    fn open_path(
        &mut self,
        name: &[u8],
        from: DsoId,
        list: &[usize],
        owner: Option<(DsoId, i64)>,
        why: Why,
        state: &mut Attempt,
    ) -> Step {
        if list.is_empty() {
            return Ok(None);
        }
        if self.paths.as_ref().is_some_and(|p| p.caps.is_empty()) {
            // The list moves to the search state, its only user (searched
            // once `init_paths` has made that state, which lasts).
            self.caps();
            let dirs = self
                .caps
                .as_mut()
                .map(|c| core::mem::take(&mut c.dirs))
                .unwrap_or_default();
            if let Some(paths) = self.paths.as_mut() {
                paths.caps_clean = dirs.iter().all(|c| !c.contains(&0));
                paths.caps = dirs;
            }
        }
        let Some(paths) = self.paths.as_mut() else {
            return Ok(None);
        };
        let mut current: Option<&'static [u8]> = None;
        let mut any = false;
        // Every candidate is built in this one buffer: DIR/SUBDIR/NAME and its NUL.
        let mut buf: Vec<u8> = Vec::with_capacity(256);
        // A path must not hold a NUL before its end.  None of its parts can
        // (they come from C strings and NUL-terminated tables), and each is
        // checked once — the directory when it was added, the subdirectories
        // when they were computed, the name here — not every path made of them.
        let name_clean = paths.caps_clean && !name.contains(&0);
        for (k, &d) in list.iter().enumerate() {
            if debug::on(debug::LIBS) && current != Some(paths.dirs[d].what) {
                current = Some(paths.dirs[d].what);
                paths.print_search_path(&list[k..]);
            }
            // The directory's part of every candidate is written once; each
            // candidate rewrites what follows it (the buffer then holds
            // DIR/SUBDIR/ for the directory test too, see below).  An audit
            // module's renaming replaces the whole, which is written again.
            let mut prefix = false;
            // One status per subdirectory, set in order below: room for all.
            if paths.dirs[d].status.is_empty() {
                paths.dirs[d].status.reserve_exact(paths.caps.len());
            }
            for c in 0..paths.caps.len() {
                let dir = &paths.dirs[d];
                if dir.status(c) == Status::Missing {
                    continue;
                }
                if prefix {
                    buf.truncate(dir.name.len());
                } else {
                    buf.clear();
                    buf.extend_from_slice(&dir.name);
                    prefix = true;
                }
                buf.extend_from_slice(&paths.caps[c]);
                let sub_end = buf.len();
                buf.extend_from_slice(name);
                // audit: each path tried, as the modules rename it.
                if let Some(a) = self.audit.as_deref_mut() {
                    let flag = match why {
                        Why::LibraryPath => crate::audit::LA_SER_LIBPATH,
                        Why::System => crate::audit::LA_SER_DEFAULT,
                        _ => crate::audit::LA_SER_RUNPATH,
                    };
                    match a.search(&buf, from, flag) {
                        Some(p) => {
                            buf.clear();
                            buf.extend_from_slice(&p);
                            prefix = false;
                        }
                        None => continue,
                    }
                }
                if debug::on(debug::LIBS) {
                    debug::print(Msg::new().s(b"  trying file=").s(&buf).s(b"\n").bytes());
                }
                buf.push(0);
                // An audit module's name is a C string too, but checked.
                let clean = name_clean && paths.dirs[d].clean && self.audit.is_none();
                let step = try_cpath(&buf, clean, state);
                let found = matches!(step, Ok(Some(_)));
                if paths.dirs[d].status(c) == Status::Unknown {
                    let clean = paths.caps_clean && paths.dirs[d].clean;
                    let mut exists = || {
                        if prefix {
                            is_dir_prefix(&mut buf, sub_end, clean)
                        } else {
                            is_dir(&paths.dirs[d].name, &paths.caps[c], &mut buf, clean)
                        }
                    };
                    let st = if found || exists() {
                        Status::Present
                    } else {
                        Status::Missing
                    };
                    paths.dirs[d].set_status(c, st);
                }
                any |= paths.dirs[d].status(c) != Status::Missing;
                if let Some(found) = step? {
                    return Ok(Some(found));
                }
            }
            if let Some(r) = state.record.as_mut() {
                let dir = &paths.dirs[d];
                let last = paths.caps.len().saturating_sub(1);
                r.tried.push(Tried {
                    dir: shown_dir(&dir.name).to_vec(),
                    why: why.clone(),
                    exists: dir.status(last) != Status::Missing,
                });
            }
        }
        if let (false, Some((id, tag))) = (any, owner) {
            if let Some(entry) = paths.lists.iter_mut().find(|(i, t, _)| *i == id && *t == tag) {
                entry.2.clear();
            }
        }
        Ok(None)
    }

    /// The capabilities the searches use, computed on first use.
    fn caps(&mut self) -> &Capabilities {
        let caps = match self.caps.take() {
            Some(c) => c,
            None => self.compute_caps(),
        };
        self.caps.insert(caps)
    }

    fn compute_caps(&self) -> Capabilities {
        let caps = self.search_caps.map(|f| f(&self.config.platform)).unwrap_or_default();
        let legacy: Vec<&[u8]> = caps.legacy.iter().map(|v| &v[..]).collect();
        // --glibc-hwcaps-prepend names come first; --glibc-hwcaps-mask
        // keeps only the CPU's levels it names.
        let list = |l: &Option<Vec<u8>>| -> Option<Vec<Vec<u8>>> {
            l.as_ref().map(|l| {
                l.split(|&c| c == b':')
                    .filter(|n| !n.is_empty())
                    .map(|n| n.to_vec())
                    .collect()
            })
        };
        let mut hwcaps = list(&self.config.hwcaps_prepend).unwrap_or_default();
        let mask = list(&self.config.hwcaps_mask);
        hwcaps.extend(
            caps.hwcaps
                .iter()
                .filter(|n| mask.as_ref().is_none_or(|m| m.iter().any(|k| k == *n)))
                .map(|n| n.to_vec()),
        );
        let names: Vec<&[u8]> = hwcaps.iter().map(|n| &n[..]).collect();
        let mut dirs = capability_dirs(&names, &legacy);
        if caps.no_legacy_dirs {
            // The glibc-hwcaps subdirectories, then the directory itself.
            dirs.drain(names.len()..dirs.len() - 1);
        }
        Capabilities { dirs, hwcaps, caps }
    }

    /// What `/etc/ld.so.cache` names for `name`: among its entries, the
    /// variant for the `glibc-hwcaps` subdirectory that ranks best among
    /// those searched (and whose ISA level the CPU has), else the first
    /// other usable one, as glibc chooses (elf/dl-cache.c).
    fn cache_lookup(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        self.caps();
        let caps = self.caps.as_ref()?;
        let hwcaps: Vec<&[u8]> = caps.hwcaps.iter().map(|n| &n[..]).collect();
        let c = &caps.caps;
        let select = elf::cache::Select {
            hwcaps: &hwcaps,
            isa_levels: c.isa_levels,
            legacy_allowed: c.legacy_allowed,
            platform_mask: c.platform_mask,
            platform: c.platform,
        };
        let cache = self.cache.get()?;
        cache.lookup(name, &select).map(|p| p.to_vec())
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

impl Paths {
    /// Every directory the searches so far looked in, each capability
    /// subdirectory apart, tried or found missing (a relative directory,
    /// which is never written off, in every subdirectory): a file added to
    /// or removed from any of them could change what a search finds.  The
    /// launch cache records their identities (`launch.rs`).
    pub fn probed(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for d in &self.dirs {
            for (c, cap) in self.caps.iter().enumerate() {
                if d.status(c) != Status::Unknown {
                    let mut p = [&d.name[..], cap].concat();
                    if p.is_empty() {
                        p.push(b'.');
                    }
                    out.push(p);
                }
            }
        }
        out.extend(self.cache_misses.iter().cloned());
        out
    }

    /// The record for directory `dir` (as written in a list), added if new.
    fn add(&mut self, dir: &[u8], what: &'static [u8], from: Option<Vec<u8>>) -> usize {
        // Room for the slash added (no regrowth).
        let mut name = Vec::with_capacity(dir.len() + 1);
        name.extend_from_slice(dir);
        // Trailing slashes go (but "/" stays), then one is added.
        while name.len() > 1 && name.ends_with(b"/") {
            name.pop();
        }
        if !name.is_empty() && !name.ends_with(b"/") {
            name.push(b'/');
        }
        if let Some(i) = self.dirs.iter().position(|d| d.name == name) {
            return i;
        }
        // A relative directory is never written off: the current directory
        // may change.
        let init = if name.first() == Some(&b'/') {
            Status::Unknown
        } else {
            Status::Present
        };
        let clean = !name.contains(&0);
        self.dirs.push(Dir {
            name,
            what,
            from,
            status: Vec::new(),
            init,
            clean,
        });
        self.dirs.len() - 1
    }

    /// ` search path=DIR:DIR…\t\t(WHAT)` for the run of `list` that shares
    /// its first directory's origin, each directory with every capability
    /// subdirectory not known to be missing (glibc's `print_search_path`).
    fn print_search_path(&self, list: &[usize]) {
        let what = self.dirs[list[0]].what;
        let mut line = Msg::new().s(b" search path=");
        let mut first = true;
        for &d in list.iter().take_while(|&&d| self.dirs[d].what == what) {
            let dir = &self.dirs[d];
            for (c, cap) in self.caps.iter().enumerate() {
                if dir.status(c) == Status::Missing {
                    continue;
                }
                let full = [&dir.name[..], cap].concat();
                let shown = if full.is_empty() || full == b"/" {
                    &full[..]
                } else {
                    &full[..full.len() - 1]
                };
                if !first {
                    line = line.s(b":");
                }
                line = line.s(shown);
                first = false;
            }
        }
        line = match &self.dirs[list[0]].from {
            // The program's record has no name when the kernel mapped it:
            // glibc names it by its `argv[0]` (`DSO_FILENAME`).
            Some(from) => {
                let from: &[u8] = if from.is_empty() { crate::diag::progname() } else { from };
                line.s(b"\t\t(").s(what).s(b" from file ").s(from).s(b")\n")
            }
            None => line.s(b"\t\t(").s(what).s(b")\n"),
        };
        debug::print(line.bytes());
    }
}

/// True when `dir` followed by `sub` (together ending in a slash, or empty)
/// names an existing directory; `buf` is scratch space for the C string.
fn is_dir(dir: &[u8], sub: &[u8], buf: &mut Vec<u8>, clean: bool) -> bool {
    buf.clear();
    buf.extend_from_slice(dir);
    buf.extend_from_slice(sub);
    if buf.is_empty() {
        buf.push(b'.');
    }
    buf.push(0);
    let path = if clean {
        crate::sys::CPath::from_clean_parts(buf)
    } else {
        crate::sys::CPath::new(buf)
    };
    match path {
        Some(p) => crate::sys::stat_path(&p).is_ok_and(|st| st.st_mode & crate::sys::S_IFMT == crate::sys::S_IFDIR),
        None => false,
    }
}

/// `is_dir` of the directory `buf[..end]` (DIR/SUBDIR/, or empty: the
/// current directory) that `buf` already begins with; `buf` is cut there.
fn is_dir_prefix(buf: &mut Vec<u8>, end: usize, clean: bool) -> bool {
    buf.truncate(end);
    if buf.is_empty() {
        buf.push(b'.');
    }
    buf.push(0);
    let path = if clean {
        crate::sys::CPath::from_clean_parts(buf)
    } else {
        crate::sys::CPath::new(buf)
    };
    path.is_some_and(|p| {
        crate::sys::stat_path(&p).is_ok_and(|st| st.st_mode & crate::sys::S_IFMT == crate::sys::S_IFDIR)
    })
}

/// What the search saw so far, to pick the final error (and, under
/// `LD_RS_EXPLAIN`, everything it tried).
#[derive(Default)]
struct Attempt {
    wrong_class: bool,
    last_errno: Option<Errno>,
    record: Option<Failed>,
}

/// A directory not searched that holds the file: (directory, the list it
/// came from, the path of the object whose list it is).
pub type Elsewhere = (Vec<u8>, &'static [u8], Option<Vec<u8>>);

/// A directory record's name as printed: no trailing slash ("." for the
/// current directory).
fn shown_dir(name: &[u8]) -> &[u8] {
    match name {
        b"" => b".",
        b"/" => b"/",
        _ => name.strip_suffix(b"/").unwrap_or(name),
    }
}

impl Paths {
    /// The directories this process knows of (from any list) that were not
    /// tried by the last failed search and hold a file called `name`.
    pub fn elsewhere(&self, name: &[u8]) -> Vec<Elsewhere> {
        let tried = |dir: &[u8]| {
            self.failed
                .as_ref()
                .is_some_and(|f| f.tried.iter().any(|t| t.dir == dir))
        };
        let mut out = Vec::new();
        for d in &self.dirs {
            let dir = shown_dir(&d.name);
            if tried(dir) {
                continue;
            }
            let mut path = [&d.name[..], name, b"\0"].concat();
            if d.name.is_empty() {
                path = [name, b"\0"].concat();
            }
            let exists = crate::sys::CPath::new(&path).is_some_and(|p| crate::sys::stat_path(&p).is_ok());
            if exists {
                out.push((dir.to_vec(), d.what, d.from.clone()));
            }
        }
        out
    }
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

/// Opens a candidate.  A missing file, or one for another class or machine,
/// means "keep looking"; a file that is there but corrupt ends the search
/// with its error, as in glibc's `open_verify`.
fn try_path(mut path: Vec<u8>, state: &mut Attempt) -> Step {
    path.push(0);
    try_cpath(&path, false, state)
}

/// `try_path` of a path given with its final NUL; the path is copied only
/// when it is found or recorded.
fn try_cpath(cpath: &[u8], clean: bool, state: &mut Attempt) -> Step {
    let path = || cpath[..cpath.len().saturating_sub(1)].to_vec();
    let opened = match (clean, crate::sys::CPath::from_clean_parts(cpath)) {
        (true, Some(c)) => map::open_verify_cpath(&c),
        _ => map::open_verify_c(cpath),
    };
    match opened {
        Ok(file) => Ok(Some(Found { path: path(), file })),
        Err(OpenError::WrongClass) => {
            state.wrong_class = true;
            if let Some(r) = state.record.as_mut() {
                r.unusable.push((path(), b"a 32-bit object (ELFCLASS32)"));
            }
            Ok(None)
        }
        Err(OpenError::Sys(e)) => {
            state.last_errno = Some(e);
            Ok(None)
        }
        Err(OpenError::WrongMachine) => {
            if let Some(r) = state.record.as_mut() {
                r.unusable.push((path(), b"built for another machine"));
            }
            Ok(None)
        }
        Err(OpenError::Bad(why)) => Err(SearchError::Bad(path(), why)),
        Err(OpenError::Read(e)) => Err(SearchError::Read(path(), e)),
    }
}
