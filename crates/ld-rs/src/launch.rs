//! The launch cache (`LD_RS_CACHE=DIR`): a start-up's search and symbol
//! binding, computed once, checked cheaply and replayed.
//!
//! # Why
//! Most of what a dynamic linker does at start-up is the same every time a
//! given program starts: the same `DT_NEEDED` names are looked for in the
//! same directories and found in the same files, and every symbolic
//! relocation is bound, after a walk of the same scope, to the same
//! definition.  Apple's dyld 3 called the result a *launch closure* and
//! stopped recomputing it.  This module does the same for ld-rs: after a
//! start-up that succeeded it writes down what it found (a *record*), and the
//! next start of the same program, if nothing that could change the answer
//! has changed, takes the answers from the record instead of searching and
//! looking up.  Everything that depends on the process rather than on the
//! files still happens every time: mapping (addresses are random), relative
//! relocations, IFUNC resolvers (they ask the CPU), TLS set-up, lazy PLT
//! slots (left lazy: a function that is undefined still fails only when it
//! is first called), initializers.
//!
//! # What a record holds
//! One file per program in `DIR`, named after the program file's device and
//! inode and the way ld-rs was started (`.x` for `ld-rs.so PROGRAM`, `.i`
//! as the program's interpreter).  Every field is a 64-bit little-endian
//! word; a byte string is its length in bytes, then its bytes padded with
//! zeros to a whole word.
//!
//! | field      | contents |
//! |------------|----------|
//! | header     | the magic `LDRSLC02`; the record's length in words; a checksum of every word after it |
//! | inputs     | a byte string: this start's inputs (below), compared whole |
//! | directories| count; each: its path, 1 and its identity (7 words) or 0 and 7 zeros for one that does not exist |
//! | objects    | count; each library mapped, in load order: its id, the id of the object that needed it, the name asked for, the path found, the file's identity |
//! | needed     | count; each object: its id, its `DT_NEEDED` (and filter) objects' ids, then its filtees' ids |
//! | scope      | the global scope's ids, in order |
//! | dropped    | count; each `DT_RPATH`/`DT_RUNPATH` list the searches dropped (none of its directories exists): the object's id, the tag |
//! | bindings   | count; each object: its id, then one word per symbol lookup its relocations made, in the order they made them: the defining object's id in the low half and the symbol's index in its `.dynsym` in the high half, or `u32::MAX` and the name's GNU hash for a reference left undefined (weak) |
//! | relatives  | count; the ids of the objects whose `DT_RELACOUNT` relative relocations were all `R_X86_64_RELATIVE` with places in writable segments (no text relocations): a replay applies them without a check each |
//!
//! A file's *identity* is its device, inode, size, and modification and
//! change times, seconds and nanoseconds (`sys::FileId`).  Object ids are
//! the linker's own (`DsoId`), which start-up hands out in a fixed order:
//! the program, ld-rs, the vDSO, then each library as it is mapped.
//!
//! # Why a valid record gives the cold start's answer
//! A start-up's search and bindings are a function of: the files read (the
//! program, each library, `/etc/ld.so.cache`, `/etc/ld.so.preload`), the
//! directories searched (which names they hold), the configuration
//! (`LD_LIBRARY_PATH`, `LD_PRELOAD`, `LD_BIND_NOW`, `LD_BIND_NOT`, the command
//! line's `--library-path`, `--preload`, `--inhibit-cache`,
//! `--inhibit-rpath`, `--glibc-hwcaps-*`), the capability subdirectories the
//! CPU selects, where `$ORIGIN` points, what the C library adds
//! (`Runtime::launch_inputs`: glibc's `GLIBC_TUNABLES`), and ld-rs itself
//! (its build id).  The record is used only when all of them are as they
//! were:
//! - the *inputs* string holds the configuration, ld-rs's build id, the
//!   program's identity and `$ORIGIN`, the identities of the two files in
//!   `/etc` and the capability subdirectory names, and must be equal byte for
//!   byte;
//! - every directory a search looked in (each capability subdirectory too)
//!   must have the identity it had — adding, removing or renaming a file in
//!   a directory changes its modification time — and one that did not exist
//!   must still not exist;
//! - every library is opened by the path the search found, and the file
//!   opened must have the recorded identity.
//!
//! Then every search would find what it found (the same names in the same
//! directories, and the same cache), the same files are mapped, and every
//! lookup walks the same scope over the same symbol tables, so it would
//! return the recorded definition.  Replaying a binding still checks that
//! the recorded symbol has the name looked for; a word that fails the check
//! (a record damaged in a way the checksum missed) makes the rest of that
//! object's lookups real ones, so a bad record costs time, never a wrong
//! binding.  Anything else wrong — no record, a short or corrupt one,
//! another program's, a changed input — means a normal start that writes a
//! new record.
//!
//! # Safety
//! A privileged (secure-mode) process never reads or writes a record.  The
//! directory and the record must belong to the real user and be writable by
//! nobody else, or the cache is not used: otherwise another user could make
//! the program bind where they like.  A record is written to a temporary
//! name and renamed over the old one, so a crash or a concurrent start
//! leaves a whole record or none; it is at most `MAX_WORDS` words.
//!
//! # Transparency
//! `LD_DEBUG` (but `statistics`, which says whether the cache was used),
//! `ldd` and `--list`, `LD_AUDIT` and `LD_RS_EXPLAIN` turn the cache off for
//! the run: their output is a normal start's.  `ld-rs.so --cache-info
//! PROGRAM` says whether a valid record exists and, if not, why.

use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use elf::consts::*;

use crate::diag::{LoadError, Msg};
use crate::dso::DsoId;
use crate::lookup::{Found, Query};
use crate::map;
use crate::namespace::BASE;
use crate::rtld::Linker;
use crate::search::Found as FoundFile;
use crate::start::Startup;
use crate::sys::{self, FileId};

/// The first word of a record: `LDRSLC02`, the format's version last.
const MAGIC: u64 = u64::from_le_bytes(*b"LDRSLC02");
/// The largest record read or written (16 MiB).
const MAX_WORDS: usize = 2 << 20;
/// A binding word's object half for a reference left undefined.
const UNDEFINED: u32 = u32::MAX;

/// The cache's state for this start.
pub struct Launch {
    /// `DIR/NAME` of this program's record, with a NUL.
    file: Vec<u8>,
    /// This start's inputs, serialized as in a record.
    inputs: Vec<u8>,
    mode: Mode,
    /// Why the record was not used, or that it was.
    pub verdict: &'static [u8],
    /// Something happened that a replay would not repeat (a preload that
    /// could not be loaded printed a warning): no record is written.
    pub spoiled: bool,
    /// The object whose relocations are being processed: its lookups are
    /// recorded or replayed; `None` outside relocation.
    current: Cell<Option<DsoId>>,
    /// Recording: each object's binding words.
    log: RefCell<Vec<(DsoId, Vec<u64>)>>,
    /// Replaying: the current object's words, the next one to use, and
    /// whether a word failed its check (the rest are looked up).
    words: Cell<(usize, usize)>,
    cursor: Cell<usize>,
    diverged: Cell<bool>,
    /// Replaying: the words that failed their check, over the whole start.
    pub misses: Cell<usize>,
    /// Recording: the objects whose relative relocations the record vouches
    /// for (`Linker::relocate`).
    relatives: RefCell<Vec<DsoId>>,
    /// `LD_RS_CACHE_CHECK=1`: each replayed binding is also looked up, and
    /// the two compared (a test of the cache, `cargo xtask bench`):
    /// (bindings checked, bindings that differ).
    check: Option<Cell<(u64, u64)>>,
}

enum Mode {
    /// The cache is on but unusable (the directory is unsafe): nothing is
    /// read or written.
    Off,
    /// No valid record: this start records what it does.
    Record,
    /// A valid record is being replayed.
    Replay(Record),
}

/// A parsed, validated record.
struct Record {
    words: Vec<u64>,
    /// Each library to map: (id, needed by, name asked for, file opened).
    objects: Vec<(DsoId, DsoId, Vec<u8>, FoundFile)>,
    needed: Vec<(DsoId, Vec<DsoId>, Vec<DsoId>)>,
    scope: Vec<DsoId>,
    dropped: Vec<(DsoId, i64)>,
    /// Each object's binding words: (id, first word, count).
    bindings: Vec<(DsoId, usize, usize)>,
    /// The objects whose relative relocations are vouched for.
    relatives: Vec<DsoId>,
}

/// Why the cache is bypassed for this start, if it is.
fn bypassed(ld: &Linker) -> bool {
    let c = &ld.config;
    c.secure
        || c.mode != crate::config::Mode::Run
        || c.trace_env
        || c.tree
        || c.explain
        || ld.audit.is_some()
        || crate::debug::mask() & !crate::debug::STATISTICS != 0
        || fail_inject_armed()
}

#[cfg(feature = "fail-inject")]
fn fail_inject_armed() -> bool {
    crate::fail::armed()
}

#[cfg(not(feature = "fail-inject"))]
fn fail_inject_armed() -> bool {
    false
}

/// Sets up the cache for this start, after the program, ld-rs and the vDSO
/// are recorded and before any library is looked for: `None` when it is
/// off; otherwise a replay if a valid record exists, else a recording.
pub fn begin(ld: &mut Linker, st: &Startup, explicit: bool, program: &[u8]) -> Option<alloc::boxed::Box<Launch>> {
    let dir = ld.config.launch_cache.clone()?;
    if bypassed(ld) {
        return None;
    }
    if !explicit {
        // The kernel mapped the program: its identity is the executable's.
        ld.objs[0].file_id = stat_id(b"/proc/self/exe")?;
    }
    let mut launch = alloc::boxed::Box::new(Launch {
        file: record_path(&dir, &ld.objs[0].file_id, explicit),
        inputs: Vec::new(),
        mode: Mode::Off,
        verdict: b"",
        spoiled: false,
        current: Cell::new(None),
        log: RefCell::new(Vec::new()),
        words: Cell::new((0, 0)),
        cursor: Cell::new(0),
        diverged: Cell::new(false),
        misses: Cell::new(0),
        relatives: RefCell::new(Vec::new()),
        check: st.env().any(|e| e == b"LD_RS_CACHE_CHECK=1").then(|| Cell::new((0, 0))),
    });
    if let Err(why) = safe_dir(&dir) {
        launch.verdict = why;
        return Some(launch);
    }
    launch.inputs = inputs(ld, st, explicit, program);
    launch.mode = match read_record(ld, &launch.file, &launch.inputs) {
        Ok(r) => {
            launch.verdict = b"used";
            Mode::Replay(r)
        }
        Err(why) => {
            launch.verdict = why;
            Mode::Record
        }
    };
    Some(launch)
}

/// The record's path: `DIR/ldrs-DEV-INO.x` (or `.i`), with a NUL.
fn record_path(dir: &[u8], program: &FileId, explicit: bool) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(b"ldrs-");
    push_hex(&mut p, program.dev);
    p.push(b'-');
    push_hex(&mut p, program.ino);
    p.extend_from_slice(if explicit { b".x" } else { b".i" });
    p.push(0);
    p
}

fn push_hex(out: &mut Vec<u8>, v: u64) {
    let digits = (64 - v.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        out.push(b"0123456789abcdef"[(v >> (i * 4)) as usize & 15]);
    }
}

/// The directory must exist, belong to the real user and be writable by
/// nobody else.
fn safe_dir(dir: &[u8]) -> Result<(), &'static [u8]> {
    let c = [dir, b"\0"].concat();
    let st = sys::CPath::new(&c)
        .and_then(|p| sys::stat_path(&p).ok())
        .ok_or(&b"the directory cannot be read"[..])?;
    if st.st_mode & sys::S_IFMT != sys::S_IFDIR {
        return Err(b"not a directory");
    }
    safe_owner(&st).map_err(|_| &b"the directory is not the user's own, or others can write to it"[..])
}

fn safe_owner(st: &sys::Stat) -> Result<(), ()> {
    if st.st_uid != sys::getuid() || st.st_mode & 0o022 != 0 {
        return Err(());
    }
    Ok(())
}

/// Words and byte strings, as a record lays them out.
#[derive(Default)]
struct Writer {
    words: Vec<u64>,
}

impl Writer {
    fn put(&mut self, w: u64) {
        self.words.push(w);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.put(b.len() as u64);
        for chunk in b.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.put(u64::from_le_bytes(w));
        }
    }
    fn opt(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => {
                self.put(1);
                self.bytes(b);
            }
            None => self.put(0),
        }
    }
    fn id(&mut self, f: Option<FileId>) {
        match f {
            Some(f) => {
                self.put(1);
                self.words.extend_from_slice(&f.words());
            }
            None => self.words.extend_from_slice(&[0; 8]),
        }
    }
}

/// Reads words and byte strings back, every read bounds-checked.
struct Reader<'a> {
    words: &'a [u64],
    at: usize,
}

impl<'a> Reader<'a> {
    fn get(&mut self) -> Option<u64> {
        let w = *self.words.get(self.at)?;
        self.at += 1;
        Some(w)
    }
    fn count(&mut self) -> Option<usize> {
        let n = self.get()? as usize;
        (n <= self.words.len() - self.at).then_some(n)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u64]> {
        let s = self.words.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.get()? as usize;
        let words = self.take(len.div_ceil(8))?;
        Some(&elf::pod::as_bytes(words)[..len])
    }
    fn id(&mut self) -> Option<Option<FileId>> {
        let present = self.get()?;
        let w = self.take(7)?;
        Some((present == 1).then(|| FileId {
            dev: w[0],
            ino: w[1],
            size: w[2],
            mtime: [w[3], w[4]],
            ctime: [w[5], w[6]],
        }))
    }
}

/// A checksum of the words (a multiply-rotate mix, a few instructions a
/// word): it catches a damaged record, not a forged one (the directory's
/// owner alone can write it).
fn checksum(words: &[u64]) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3;
    for &w in words {
        h = (h.rotate_left(23) ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    h ^ (h >> 29)
}

/// The identity of the file at `path` (followed through links), if it exists.
fn stat_id(path: &[u8]) -> Option<FileId> {
    let c = [path, b"\0"].concat();
    let p = sys::CPath::new(&c)?;
    sys::stat_path(&p).ok().map(|st| st.file_id())
}

/// This start's inputs (see the module doc), as one byte string whose
/// fields are named, so that `--cache-info` can say which one changed.
fn inputs(ld: &Linker, st: &Startup, explicit: bool, program: &[u8]) -> Vec<u8> {
    let c = &ld.config;
    let own = ld
        .objs
        .iter()
        .find(|d| d.kind == crate::dso::Kind::Interpreter)
        .and_then(|d| d.build_id());
    let main = &ld.objs[0];
    let program_id = main.file_id.words();
    let etc: Vec<Option<[u64; 7]>> = [&b"/etc/ld.so.cache"[..], b"/etc/ld.so.preload"]
        .iter()
        .map(|p| stat_id(p).map(|f| f.words()))
        .collect();
    // The capability subdirectories the search would try (the CPU's
    // glibc-hwcaps levels and the legacy names).
    let mut caps = Vec::new();
    if let Some(f) = ld.search_caps {
        let found = f(&c.platform);
        for n in found.hwcaps.iter().copied().chain(found.legacy.iter().map(|v| &v[..])) {
            caps.extend_from_slice(n);
            caps.push(b':');
        }
    }
    let runtime = crate::rtld::Runtime::launch_inputs(&mut crate::runtime(), st);
    let values: [Option<&[u8]>; INPUTS.len()] = [
        own,
        Some(elf::pod::as_bytes(&program_id)),
        explicit.then_some(program),
        main.origin.as_deref(),
        c.library_path.as_deref(),
        c.preload.as_deref(),
        c.preload_arg.as_deref(),
        c.inhibit_cache.then_some(b""),
        c.inhibit_rpath.as_deref(),
        c.bind_now.then_some(b""),
        c.bind_not.then_some(b""),
        c.hwcaps_prepend.as_deref(),
        c.hwcaps_mask.as_deref(),
        Some(&c.platform),
        etc[0].as_ref().map(|f| elf::pod::as_bytes(f)),
        etc[1].as_ref().map(|f| elf::pod::as_bytes(f)),
        Some(&caps),
        Some(&runtime),
    ];
    let mut w = Writer::default();
    for (name, value) in INPUTS.iter().zip(values) {
        w.bytes(name);
        w.opt(value);
    }
    elf::pod::as_bytes(&w.words).to_vec()
}

/// Why a record made with inputs `old` is not valid with inputs `new`:
/// the first input that differs.
fn changed_input(old: &[u8], new: &[u8]) -> &'static [u8] {
    let words = |b: &[u8]| -> Vec<u64> {
        b.chunks(8)
            .map(|c| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(w)
            })
            .collect()
    };
    let (a, b) = (words(old), words(new));
    let (mut ra, mut rb) = (Reader { words: &a, at: 0 }, Reader { words: &b, at: 0 });
    for name in INPUTS {
        let (na, nb) = (ra.bytes(), rb.bytes());
        let (pa, pb) = (ra.get(), rb.get());
        let va = if pa == Some(1) { ra.bytes() } else { None };
        let vb = if pb == Some(1) { rb.bytes() } else { None };
        if na != nb || pa != pb || va != vb {
            return name;
        }
    }
    b"the inputs changed"
}

/// The inputs, in the order `inputs` writes them, each named by what a
/// difference in it means.
const INPUTS: [&[u8]; 18] = [
    b"ld-rs changed (its build id)",
    b"the program changed",
    b"the program's path changed",
    b"the program's directory ($ORIGIN) changed",
    b"LD_LIBRARY_PATH or --library-path changed",
    b"LD_PRELOAD changed",
    b"--preload changed",
    b"--inhibit-cache changed",
    b"--inhibit-rpath changed",
    b"LD_BIND_NOW changed",
    b"LD_BIND_NOT changed",
    b"--glibc-hwcaps-prepend changed",
    b"--glibc-hwcaps-mask changed",
    b"the platform changed",
    b"/etc/ld.so.cache changed",
    b"/etc/ld.so.preload changed",
    b"the CPU's capability subdirectories changed",
    b"the C library's settings (GLIBC_TUNABLES) changed",
];

/// Reads, checks and validates the record at `path` (with its NUL) against
/// this start: the record, or why it cannot be used.
fn read_record(ld: &Linker, path: &[u8], inputs: &[u8]) -> Result<Record, &'static [u8]> {
    let words = read_words(path)?;
    let corrupt: &'static [u8] = b"the record is damaged";
    if words.len() < 3 || words[0] != MAGIC {
        return Err(b"the record is not one (or of another version)");
    }
    if words[1] != words.len() as u64 || checksum(&words[3..]) != words[2] {
        return Err(corrupt);
    }
    let mut r = Reader { words: &words, at: 3 };
    let old = r.bytes().ok_or(corrupt)?;
    if old != inputs {
        return Err(changed_input(old, inputs));
    }
    // Directories: as they were.
    for _ in 0..r.count().ok_or(corrupt)? {
        let dir = r.bytes().ok_or(corrupt)?;
        let id = r.id().ok_or(corrupt)?;
        if stat_id(dir) != id {
            return Err(b"a directory searched has changed");
        }
    }
    // Objects: each file opened by its path is the one recorded.
    let mut objects = Vec::new();
    let mut next = ld.objs.bound();
    for _ in 0..r.count().ok_or(corrupt)? {
        let id = r.get().ok_or(corrupt)? as usize;
        let from = r.get().ok_or(corrupt)? as usize;
        let name = r.bytes().ok_or(corrupt)?.to_vec();
        let file = r.bytes().ok_or(corrupt)?.to_vec();
        let want = r.id().ok_or(corrupt)?;
        if id != next || from >= id || want.is_none() {
            return Err(corrupt);
        }
        next += 1;
        let opened = map::open_verify(&file).map_err(|_| &b"a library cannot be opened"[..])?;
        if Some(opened.id) != want {
            return Err(b"a library has changed");
        }
        objects.push((
            id,
            from,
            name,
            FoundFile {
                path: file,
                file: opened,
            },
        ));
    }
    let ids = |r: &mut Reader, n: usize| -> Option<Vec<DsoId>> {
        let s = r.take(n)?;
        s.iter()
            .all(|&i| (i as usize) < next)
            .then(|| s.iter().map(|&i| i as usize).collect())
    };
    let mut needed = Vec::new();
    for _ in 0..r.count().ok_or(corrupt)? {
        let id = r.get().ok_or(corrupt)? as usize;
        let n = r.count().ok_or(corrupt)?;
        let list = ids(&mut r, n).ok_or(corrupt)?;
        let n = r.count().ok_or(corrupt)?;
        let filtees = ids(&mut r, n).ok_or(corrupt)?;
        if id >= next {
            return Err(corrupt);
        }
        needed.push((id, list, filtees));
    }
    let n = r.count().ok_or(corrupt)?;
    let scope = ids(&mut r, n).ok_or(corrupt)?;
    let mut dropped = Vec::new();
    for _ in 0..r.count().ok_or(corrupt)? {
        let id = r.get().ok_or(corrupt)? as usize;
        let tag = r.get().ok_or(corrupt)? as i64;
        if id >= next {
            return Err(corrupt);
        }
        dropped.push((id, tag));
    }
    let mut bindings = Vec::new();
    for _ in 0..r.count().ok_or(corrupt)? {
        let id = r.get().ok_or(corrupt)? as usize;
        let n = r.count().ok_or(corrupt)?;
        bindings.push((id, r.at, n));
        r.take(n).ok_or(corrupt)?;
    }
    let n = r.count().ok_or(corrupt)?;
    let relatives = ids(&mut r, n).ok_or(corrupt)?;
    if r.at != words.len() {
        return Err(corrupt);
    }
    Ok(Record {
        words,
        objects,
        needed,
        scope,
        dropped,
        bindings,
        relatives,
    })
}

/// The words of the record file at `path` (with its NUL), if it is safe to
/// read: a regular file of the real user's that nobody else can write, of
/// at most `MAX_WORDS` words.
fn read_words(path: &[u8]) -> Result<Vec<u64>, &'static [u8]> {
    let c = sys::CPath::new(path).ok_or(&b"no record"[..])?;
    let fd = sys::open(&c, sys::O_RDONLY | sys::O_NOFOLLOW, 0).map_err(|_| &b"no record"[..])?;
    let st = fd.stat().map_err(|_| &b"the record cannot be read"[..])?;
    if st.st_mode & sys::S_IFMT != 0o100000 || safe_owner(&st).is_err() {
        return Err(b"the record is not the user's own, or others can write to it");
    }
    let size = st.st_size as usize;
    if !size.is_multiple_of(8) || size / 8 > MAX_WORDS {
        return Err(b"the record is damaged");
    }
    let mut words = alloc::vec![0u64; size / 8];
    let n = fd
        .pread_full(elf::pod::as_bytes_mut(&mut words), 0)
        .map_err(|_| &b"the record cannot be read"[..])?;
    if n != size {
        return Err(b"the record is damaged");
    }
    Ok(words)
}

impl Launch {
    /// Under `LD_RS_CACHE_CHECK=1`: how many replayed bindings were checked
    /// against a lookup, and how many differed.
    pub fn checked(&self) -> Option<(u64, u64)> {
        self.check.as_ref().map(|c| c.get())
    }

    /// Under `LD_RS_CACHE_CHECK=1`, compares a replayed answer with a real
    /// lookup's, reporting a difference on stderr.
    pub fn check_against(
        &self,
        ld: &Linker,
        from: DsoId,
        q: &Query,
        replayed: Option<Found>,
        looked_up: Option<Found>,
    ) {
        let Some(c) = &self.check else { return };
        let same = match (replayed, looked_up) {
            (None, None) => true,
            (Some(a), Some(b)) => a.dso == b.dso && core::ptr::eq(a.sym, b.sym),
            _ => false,
        };
        let (n, bad) = c.get();
        c.set((n + 1, bad + u64::from(!same)));
        if !same {
            let name = |f: Option<Found>| f.map_or(&b"(undefined)"[..], |f| ld.objs[f.dso].display_name());
            Msg::new()
                .s(b"ld-rs: launch cache: the record binds ")
                .s(q.name)
                .s(b" for ")
                .s(ld.objs[from].display_name())
                .s(b" to ")
                .s(name(replayed))
                .s(b", a lookup to ")
                .s(name(looked_up))
                .write_line(2);
        }
    }

    /// True when a valid record is being replayed.
    pub fn replaying(&self) -> bool {
        matches!(self.mode, Mode::Replay(_))
    }

    /// True when the record being replayed vouches for the relative
    /// relocations of object `id`, whose relocations are being processed:
    /// when it was recorded, the file (whose identity is unchanged) had its
    /// `DT_RELACOUNT` first relocations all `R_X86_64_RELATIVE`, with their
    /// places in its writable segments.
    pub fn relatives_vouched(&self, id: DsoId) -> bool {
        let Mode::Replay(r) = &self.mode else { return false };
        self.current.get() == Some(id) && r.relatives.contains(&id)
    }

    /// Recording: object `id`'s relative relocations were as
    /// `relatives_vouched` describes.
    pub fn note_relatives(&self, id: DsoId) {
        if matches!(self.mode, Mode::Record) && self.current.get() == Some(id) {
            self.relatives.borrow_mut().push(id);
        }
    }

    /// Relocation of object `id` begins (`None`: it ended): its lookups are
    /// recorded or replayed.
    pub fn enter(&self, id: Option<DsoId>) {
        self.current.set(id);
        self.cursor.set(0);
        self.diverged.set(false);
        match (&self.mode, id) {
            (Mode::Replay(r), Some(id)) => {
                let (at, n) = r
                    .bindings
                    .iter()
                    .find(|b| b.0 == id)
                    .map_or((0, 0), |&(_, at, n)| (at, n));
                self.words.set((at, n));
            }
            (Mode::Record, Some(id)) => self.log.borrow_mut().push((id, Vec::new())),
            _ => {}
        }
    }

    /// For a lookup on behalf of object `from`: the recorded answer, when
    /// one is being replayed for it and passes its check (`Some(None)`: the
    /// reference stays undefined).  `None`: look it up.
    #[inline]
    pub fn replayed(&self, ld: &Linker, from: DsoId, q: &Query) -> Option<Option<Found>> {
        let Mode::Replay(r) = &self.mode else { return None };
        if self.current.get() != Some(from) || self.diverged.get() {
            return None;
        }
        let (at, n) = self.words.get();
        let i = self.cursor.get();
        let found = (i < n).then(|| check(ld, r.words[at + i], q)).flatten();
        if found.is_none() {
            self.diverged.set(true);
            self.misses.set(self.misses.get() + 1);
            return None;
        }
        self.cursor.set(i + 1);
        found
    }

    /// The fast replay of `Linker::resolve_value`: for symbol `sym` of object
    /// `from`, the recorded definition, checked only by comparing the two
    /// names (no hash, no version, no search).  `None` sends the reference
    /// down the ordinary path (which replays the same word with its full
    /// check): an undefined reference, a unique or another object's
    /// protected symbol (whose rules that path applies), the check mode, or
    /// a word that does not fit.
    #[inline]
    pub fn replay_fast(&self, ld: &Linker, from: DsoId, sym: &elf::Sym) -> Option<Found> {
        let Mode::Replay(r) = &self.mode else { return None };
        if self.check.is_some() || self.current.get() != Some(from) || self.diverged.get() {
            return None;
        }
        let (at, n) = self.words.get();
        let i = self.cursor.get();
        if i >= n {
            return None;
        }
        let word = r.words[at + i];
        let (def, idx) = (word as u32, (word >> 32) as u32);
        if def == UNDEFINED {
            return None;
        }
        let d = ld.objs.get(def as usize)?;
        let dsym = d.symtab.get(idx as usize)?;
        if (dsym.st_other & 3 == STV_PROTECTED && def as usize != from) || dsym.st_bind() == STB_GNU_UNIQUE {
            return None;
        }
        let mine = ld.objs[from].strtab.bytes().get(sym.st_name as usize..)?;
        let theirs = d.strtab.bytes().get(dsym.st_name as usize..)?;
        if !same_name(mine, theirs) {
            return None;
        }
        self.cursor.set(i + 1);
        if crate::debug::on(crate::debug::STATISTICS) {
            crate::debug::count(false);
        }
        Some(Found {
            dso: def as usize,
            sym: dsym,
        })
    }

    /// Records the answer a lookup for object `from` gave.
    #[inline]
    pub fn note(&self, from: DsoId, q: &Query, found: Option<Found>, ld: &Linker) {
        if !matches!(self.mode, Mode::Record) || self.current.get() != Some(from) {
            return;
        }
        let word = match found {
            Some(f) => {
                let table = ld.objs[f.dso].symtab;
                let idx = (f.sym as *const elf::Sym as usize).wrapping_sub(table.as_ptr() as usize)
                    / core::mem::size_of::<elf::Sym>();
                f.dso as u64 | (idx as u64) << 32
            }
            None => UNDEFINED as u64 | (q.gnu_hash as u64) << 32,
        };
        if let Some(last) = self.log.borrow_mut().last_mut() {
            last.1.push(word);
        }
    }
}

/// True when the NUL-terminated names at the starts of `a` and `b` are the
/// same, compared eight bytes at a time: the two words are equal up to and
/// including a NUL (found with the usual has-a-zero-byte test), or to their
/// first difference, which must come after a NUL both share.
#[inline]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i..i + 8), b.get(i..i + 8)) {
        let x = u64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]);
        let y = u64::from_le_bytes([y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]]);
        // The lowest set bit marks the first NUL of `x` exactly.
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if x != y {
            let diff = (x ^ y).trailing_zeros() / 8;
            return zero != 0 && zero.trailing_zeros() / 8 < diff;
        }
        if zero != 0 {
            return true;
        }
        i += 8;
    }
    // Near the end of a table: byte by byte.
    let (a, b) = (&a[i.min(a.len())..], &b[i.min(b.len())..]);
    for k in 0.. {
        match (a.get(k), b.get(k)) {
            (Some(0), Some(0)) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
    false
}

/// A binding word's definition, if it answers `q`: the symbol exists and
/// has the name looked for (or, for an undefined reference, the name's hash).
fn check(ld: &Linker, word: u64, q: &Query) -> Option<Option<Found>> {
    let (def, idx) = (word as u32, (word >> 32) as u32);
    if def == UNDEFINED {
        return (idx == q.gnu_hash).then_some(None);
    }
    let dso = ld.objs.get(def as usize)?;
    let sym = dso.symtab.get(idx as usize)?;
    if !dso.strtab.matches(sym.st_name, q.name) {
        return None;
    }
    let found = Found { dso: def as usize, sym };
    // A unique symbol is bound once per process: the table learns it here
    // as it would from a lookup.
    Some(Some(if sym.st_bind() == STB_GNU_UNIQUE {
        ld.bind_unique(q.name, found)
    } else {
        found
    }))
}

impl Linker {
    /// Maps the libraries of a valid record and sets up the global scope as
    /// the recorded start did, instead of `load_deps`' search; `false` when
    /// there is no record being replayed.
    pub fn load_recorded(&mut self) -> Result<bool, LoadError> {
        let Some(Mode::Replay(r)) = self.launch.as_deref_mut().map(|l| &mut l.mode) else {
            return Ok(false);
        };
        let objects = core::mem::take(&mut r.objects);
        let needed = core::mem::take(&mut r.needed);
        let scope = core::mem::take(&mut r.scope);
        let dropped = core::mem::take(&mut r.dropped);
        for (want, from, name, found) in objects {
            let id = self.map_library(&name, found, from, BASE)?;
            if id != want {
                // Ids are handed out in order from where validation began;
                // nothing else maps at start-up.
                return Err(LoadError::new(b"", b"ld-rs", b"launch cache: object ids out of step"));
            }
        }
        for (id, list, filtees) in needed {
            if self.objs.get(id).is_some() {
                self.objs[id].needed = list;
                self.objs[id].filtees = filtees;
            }
        }
        self.set_global(BASE, scope);
        for (id, tag) in dropped {
            self.forget_list(id, tag);
        }
        Ok(true)
    }

    /// After a start-up that succeeded: writes this start's record, if it
    /// was recorded.  A failure to write is silent (the next start is cold).
    pub fn finish_launch(&mut self) {
        let Some(l) = self.launch.as_deref() else { return };
        if !matches!(l.mode, Mode::Record) || l.spoiled {
            return;
        }
        let words = self.record_words(l);
        if words.len() <= MAX_WORDS {
            let _ = write_record(&l.file, &words);
        }
    }

    fn record_words(&self, l: &Launch) -> Vec<u64> {
        let mut w = Writer::default();
        w.words.extend_from_slice(&[MAGIC, 0, 0]);
        w.bytes(&l.inputs);
        let dirs = self.paths.as_ref().map(|p| p.probed()).unwrap_or_default();
        w.put(dirs.len() as u64);
        for d in &dirs {
            w.bytes(d);
            w.id(stat_id(d));
        }
        let libs: Vec<DsoId> = self
            .objs
            .enumerate()
            .filter(|(_, d)| d.kind == crate::dso::Kind::Library)
            .map(|(id, _)| id)
            .collect();
        w.put(libs.len() as u64);
        for &id in &libs {
            let d = &self.objs[id];
            w.put(id as u64);
            w.put(d.loader.unwrap_or(0) as u64);
            w.bytes(&d.requested);
            w.bytes(&d.name);
            w.id(Some(d.file_id));
        }
        let with_needed: Vec<(DsoId, &[DsoId], &[DsoId])> = self
            .objs
            .enumerate()
            .filter(|(_, d)| !d.needed.is_empty() || !d.filtees.is_empty())
            .map(|(id, d)| (id, &d.needed[..], &d.filtees[..]))
            .collect();
        w.put(with_needed.len() as u64);
        for (id, list, filtees) in with_needed {
            w.put(id as u64);
            for l in [list, filtees] {
                w.put(l.len() as u64);
                w.words.extend(l.iter().map(|&i| i as u64));
            }
        }
        w.put(self.global(BASE).len() as u64);
        w.words.extend(self.global(BASE).iter().map(|&i| i as u64));
        let dropped = self.dropped_lists();
        w.put(dropped.len() as u64);
        for (id, tag) in dropped {
            w.put(id as u64);
            w.put(tag as u64);
        }
        let log = l.log.borrow();
        w.put(log.len() as u64);
        for (id, words) in log.iter() {
            w.put(*id as u64);
            w.put(words.len() as u64);
            w.words.extend_from_slice(words);
        }
        let relatives = l.relatives.borrow();
        w.put(relatives.len() as u64);
        w.words.extend(relatives.iter().map(|&i| i as u64));
        let n = w.words.len();
        w.words[1] = n as u64;
        w.words[2] = checksum(&w.words[3..]);
        w.words
    }
}

/// Writes `words` to a temporary file beside `path` (with its NUL) and
/// renames it over `path`: a reader sees the old record or the new one.
fn write_record(path: &[u8], words: &[u64]) -> Result<(), sys::Errno> {
    let mut tmp = path[..path.len() - 1].to_vec();
    tmp.extend_from_slice(b".tmp.");
    push_hex(&mut tmp, sys::getpid() as u64);
    tmp.push(0);
    let t = sys::CPath::new(&tmp).ok_or(sys::Errno::ENOENT)?;
    let to = sys::CPath::new(path).ok_or(sys::Errno::ENOENT)?;
    let fd = sys::open(&t, sys::O_WRONLY | sys::O_CREAT | sys::O_EXCL | sys::O_NOFOLLOW, 0o600)?;
    let written = sys::write_fully(&fd, elf::pod::as_bytes(words));
    drop(fd);
    match written.and_then(|_| sys::rename(&t, &to)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = sys::unlink(&t);
            Err(e)
        }
    }
}

/// `ld-rs.so --cache-info PROGRAM`: whether each of the program's records
/// (for `ld-rs.so PROGRAM` and for a start as its interpreter) is valid for
/// this environment, and why not.  Exits 0.
pub fn info(ld: &mut Linker, st: &Startup, program: &[u8]) -> ! {
    let out = |what: &[u8], verdict: &[u8]| {
        Msg::new()
            .s(program)
            .s(b": launch record ")
            .s(what)
            .s(b": ")
            .s(verdict)
            .write_line(1);
    };
    let off = |why: &[u8]| -> ! {
        Msg::new().s(program).s(b": no launch cache: ").s(why).write_line(1);
        sys::exit(0)
    };
    let Some(dir) = ld.config.launch_cache.clone() else {
        off(b"LD_RS_CACHE is not set")
    };
    if ld.config.secure {
        off(b"never used in secure mode");
    }
    if let Err(why) = safe_dir(&dir) {
        off(why);
    }
    // A start as the program's interpreter sees its `$ORIGIN` as the
    // kernel resolved the program's path (`/proc/self/exe`).
    let real_dir = {
        let c = [program, b"\0"].concat();
        let fd = sys::CPath::new(&c).and_then(|p| sys::open(&p, sys::O_RDONLY, 0).ok());
        let mut buf = [0u8; 4096];
        let mut link = b"/proc/self/fd/".to_vec();
        let n = fd.as_ref().map_or(0, |f| f.raw() as u64);
        let mut digits = Vec::new();
        let mut v = n;
        loop {
            digits.push(b'0' + (v % 10) as u8);
            v /= 10;
            if v == 0 {
                break;
            }
        }
        digits.reverse();
        link.extend_from_slice(&digits);
        link.push(0);
        match (fd, sys::readlink(&link, &mut buf)) {
            (Some(_), Ok(n)) => {
                let p = &buf[..n];
                let cut = p.iter().rposition(|&c| c == b'/').unwrap_or(0).max(1);
                Some(p[..cut].to_vec())
            }
            _ => None,
        }
    };
    let explicit_origin = ld.objs[0].origin.clone();
    for explicit in [true, false] {
        let file = record_path(&dir, &ld.objs[0].file_id, explicit);
        ld.objs[0].origin = if explicit {
            explicit_origin.clone()
        } else {
            real_dir.clone()
        };
        let inputs = inputs(ld, st, explicit, program);
        let what = Msg::new().s(&file[..file.len() - 1]).s(if explicit {
            &b" (ld-rs.so PROGRAM)"[..]
        } else {
            b" (as its interpreter)"
        });
        match read_record(ld, &file, &inputs) {
            Ok(_) => out(what.bytes(), b"valid"),
            Err(why) => out(what.bytes(), Msg::new().s(b"not valid: ").s(why).bytes()),
        }
    }
    sys::exit(0)
}
