//! glibc's tunables: the `GLIBC_TUNABLES` environment variable, the older
//! environment aliases (`MALLOC_ARENA_MAX`, `LD_HWCAP_MASK`, ...), and
//! `__tunable_get_val`, through which libc reads them.
//!
//! # What glibc 2.36 does, and so what this module does
//! ld.so owns a table of 37 tunables (this build's `dl-tunable-list.h`,
//! contract §10.1): each has a type (32-bit int, 64-bit unsigned, `size_t`
//! or string), bounds, a default, a security level and maybe an alias.  At
//! start-up, before anything else reads the environment, `__tunables_init`
//! (elf/dl-tunables.c) walks `envp`:
//! * `GLIBC_TUNABLES=name=value:name=value...` is parsed; a name must match a
//!   tunable exactly, anything else (unknown names, pieces without `=`) is
//!   skipped.  A number is read by `_dl_strtoul` (decimal, `0x` hex, `0`
//!   octal, a sign, overflow saturating) and kept only if it lies within the
//!   tunable's bounds, compared signed for int32 and unsigned otherwise; a
//!   string is kept as a pointer into the original environment string, which
//!   is cut with a NUL after each recognised value.  The environment entry
//!   itself is replaced by a copy of the untouched text (in `AT_SECURE` mode,
//!   by the text with only the tunables that are not `SXID_ERASE` left), so
//!   the program still sees the whole variable.  This follows Debian's
//!   2.36, which carries the CVE-2023-4911 fix (the parse stops at the end of
//!   the string even after a `name=` with no value).
//! * `ALIAS=value` initialises a tunable that has that alias unless it was
//!   already set.
//! * In `AT_SECURE` mode only `NONE` tunables are read; aliases of
//!   `SXID_ERASE` tunables are removed from the environment.
//!   `glibc.malloc.check` becomes `NONE` if `/etc/suid-debug` exists.
//!
//! `__tunable_get_val(id, valp, cb)` stores the current value with the
//! tunable's own width and calls `cb(&val)` only for a tunable that was set
//! (from the environment, or by ld.so itself: `dl_init_cacheinfo` records the
//! cache sizes and thresholds it settled on with `TUNABLE_SET_WITH_BOUNDS`,
//! which [`set_with_bounds`] mirrors).  `tunable_val_t` in 2.36 is the 8-byte
//! union `{ intmax_t numval; const char *strval; }` (pahole on the libc6-dbg
//! symbols of this ld.so).
//!
//! # What glibc 2.41 does differently ([`init_2_41`])
//! Nothing at all is read in `AT_SECURE` mode (the loader then drops
//! `GLIBC_TUNABLES` and the aliases from the environment itself).  Each
//! `GLIBC_TUNABLES` is checked whole before anything is applied: a name
//! without a value at its end, or a value holding `=`, and the text is
//! ignored with a warning on stderr.  Its tunables are then applied in the
//! table's order, the last of a name winning; a number must be the whole
//! value (else a warning names it), one out of bounds is ignored quietly.
//! `glibc.rtld.enable_secure=1` applies nothing else and makes the process
//! secure as if it were privileged ([`enable_secure_asked`]).  The aliases
//! come after, for the tunables still unset.  The environment is never
//! changed: a string value is a pointer into it and a length.  Because of
//! the warnings and of `enable_secure`, 2.41's tunables are read first
//! thing at start-up, as glibc reads them (`Runtime::read_settings`).
//!
//! The x86 CPU tunables are applied by cpu_features.rs (see [`cpu`]).
//!
//! # Safety
//! The table is written only during single-threaded start-up (and by
//! [`set_with_bounds`], also at start-up) and only read afterwards, as glibc
//! keeps it in RELRO.  The environment walk rewrites `envp` entries and
//! string bytes of the kernel's initial stack, as glibc does.

use core::cell::UnsafeCell;

use alloc::vec::Vec;

use super::layouts;

/// A tunable's type (`tunable_type_code_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    I32,
    U64,
    Size,
    Str,
}

/// `tunable_seclevel_t`: what `AT_SECURE` mode does with the tunable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Security {
    /// Not read, and dropped from the environment children inherit.
    SxidErase,
    /// Not read, but passed on.
    SxidIgnore,
    /// Read.
    None,
}

/// The most tunables a supported release has (the size of the value table).
pub const COUNT: usize = max(
    layouts::glibc_2_36_deb12::TUNABLES.len(),
    layouts::glibc_2_41_deb13::TUNABLES.len(),
);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// The names of the tunables ld-rs reads itself (their ids differ between
/// releases: 2.40 sorted `tunable_id_t` by name).  A tunable the running
/// release lacks reads as 0.
pub mod id {
    pub const CPU_HWCAPS: &[u8] = b"glibc.cpu.hwcaps";
    pub const CPU_HWCAP_MASK: &[u8] = b"glibc.cpu.hwcap_mask";
    pub const CPU_X86_DATA_CACHE_SIZE: &[u8] = b"glibc.cpu.x86_data_cache_size";
    pub const CPU_X86_SHARED_CACHE_SIZE: &[u8] = b"glibc.cpu.x86_shared_cache_size";
    pub const CPU_X86_NON_TEMPORAL_THRESHOLD: &[u8] = b"glibc.cpu.x86_non_temporal_threshold";
    pub const CPU_X86_MEMSET_NON_TEMPORAL_THRESHOLD: &[u8] = b"glibc.cpu.x86_memset_non_temporal_threshold";
    pub const CPU_PREFER_MAP_32BIT_EXEC: &[u8] = b"glibc.cpu.prefer_map_32bit_exec";
    pub const CPU_X86_REP_MOVSB_THRESHOLD: &[u8] = b"glibc.cpu.x86_rep_movsb_threshold";
    pub const CPU_X86_REP_STOSB_THRESHOLD: &[u8] = b"glibc.cpu.x86_rep_stosb_threshold";
    pub const MALLOC_CHECK: &[u8] = b"glibc.malloc.check";
    pub const RTLD_DYNAMIC_SORT: &[u8] = b"glibc.rtld.dynamic_sort";
    pub const PTHREAD_RSEQ: &[u8] = b"glibc.pthread.rseq";
    pub const RTLD_NNS: &[u8] = b"glibc.rtld.nns";
    pub const RTLD_ENABLE_SECURE: &[u8] = b"glibc.rtld.enable_secure";
    pub const RTLD_OPTIONAL_STATIC_TLS: &[u8] = b"glibc.rtld.optional_static_tls";
}

/// A name held in the row itself rather than behind a pointer: a table of
/// pointers would need a relocation per pointer at start-up, which puts the
/// table in RELRO and makes its pages private dirty memory; inline bytes keep
/// the table in `.rodata`, shared with every other process.
#[derive(Clone, Copy)]
struct Inline<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> Inline<N> {
    const fn new(text: &[u8]) -> Self {
        assert!(text.len() <= N);
        let mut bytes = [0; N];
        let mut i = 0;
        while i < text.len() {
            bytes[i] = text[i];
            i += 1;
        }
        Inline {
            bytes,
            len: text.len() as u8,
        }
    }

    const fn get(&self) -> &[u8] {
        self.bytes.split_at(self.len as usize).0
    }
}

/// One row of glibc's `tunable_list`, as this module uses it.
struct Def {
    name: Inline<44>,
    ty: Type,
    min: i64,
    max: i64,
    default: i64,
    security: Security,
    /// Empty for none.
    alias: Inline<24>,
}

impl Def {
    const fn name(&self) -> &[u8] {
        self.name.get()
    }

    const fn alias(&self) -> &[u8] {
        self.alias.get()
    }
}

/// A release's tunables by id, from its generated table (bounds, defaults,
/// security levels, aliases read from `tunable_list` in libc6-dbg).
const fn defs<const N: usize>(list: &[layouts::Tunable]) -> [Def; N] {
    const NONE: Def = Def {
        name: Inline::new(b""),
        ty: Type::I32,
        min: 0,
        max: 0,
        default: 0,
        security: Security::SxidErase,
        alias: Inline::new(b""),
    };
    assert!(list.len() == N);
    let mut defs = [NONE; N];
    let mut i = 0;
    while i < N {
        let row = &list[i];
        defs[i] = Def {
            name: Inline::new(row.name),
            ty: match row.ty {
                layouts::Ty::I32 => Type::I32,
                layouts::Ty::U64 => Type::U64,
                layouts::Ty::Size => Type::Size,
                layouts::Ty::Str => Type::Str,
            },
            min: row.min,
            max: row.max,
            default: row.default,
            security: match row.security {
                Some(layouts::Sec::SxidIgnore) => Security::SxidIgnore,
                Some(layouts::Sec::None) => Security::None,
                Some(layouts::Sec::SxidErase) => Security::SxidErase,
                // 2.39 dropped the levels: GLIBC_TUNABLES is not read at all
                // in a privileged process, and the aliases are erased.
                None => Security::SxidErase,
            },
            alias: Inline::new(row.alias),
        };
        i += 1;
    }
    defs
}

const DEFS_2_36: [Def; layouts::glibc_2_36_deb12::TUNABLES.len()] = defs(layouts::glibc_2_36_deb12::TUNABLES);
const DEFS_2_41: [Def; layouts::glibc_2_41_deb13::TUNABLES.len()] = defs(layouts::glibc_2_41_deb13::TUNABLES);

/// The running release's tunables, by id.
fn defs_now() -> &'static [Def] {
    if super::layout::cur().minor >= 41 {
        &DEFS_2_41
    } else {
        &DEFS_2_36
    }
}

/// glibc's `tunable_val_t`: what `__tunable_get_val`'s callback receives.
#[repr(C)]
#[derive(Clone, Copy)]
pub union TunableVal {
    pub numval: i64,
    pub strval: StrVal,
}

/// A string tunable's value: where it starts in `GLIBC_TUNABLES`, and (2.41's
/// `struct tunable_str_t`) how long it is; 2.36's readers see the pointer only.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct StrVal {
    pub str: *const u8,
    pub len: usize,
}

const _: () = assert!(core::mem::size_of::<TunableVal>() == 16);

/// The mutable part of a tunable: its value, current bounds and state.
struct Entry {
    val: TunableVal,
    min: i64,
    max: i64,
    initialized: bool,
    security: Security,
}

struct Table(UnsafeCell<[Entry; COUNT]>);

// SAFETY: written only during single-threaded start-up, read-only afterwards
// (module docs).
unsafe impl Sync for Table {}

static TABLE: Table = Table(UnsafeCell::new(initial_table()));

const fn initial_table() -> [Entry; COUNT] {
    const E: Entry = Entry {
        val: TunableVal { numval: 0 },
        min: 0,
        max: 0,
        initialized: false,
        security: Security::SxidErase,
    };
    let mut t = [E; COUNT];
    let mut i = 0;
    while i < DEFS_2_36.len() {
        let d = &DEFS_2_36[i];
        t[i] = Entry {
            val: TunableVal { numval: d.default },
            min: d.min,
            max: d.max,
            initialized: false,
            security: d.security,
        };
        i += 1;
    }
    t
}

/// `GLIBC_TUNABLES`'s text as the kernel passed it, kept by the first
/// [`init`] in case the release turns out to be another (then `init` runs
/// again with that release's table).
static mut PRISTINE: Option<&'static [u8]> = None;

/// Every tunable back at the running release's default.
///
/// # Safety
/// Single-threaded start-up, no other reference into the table live.
unsafe fn reset() {
    // SAFETY: the caller's contract.
    let t = unsafe { table_mut() };
    for (e, d) in t.iter_mut().zip(defs_now()) {
        *e = Entry {
            val: TunableVal { numval: d.default },
            min: d.min,
            max: d.max,
            initialized: false,
            security: d.security,
        };
    }
}

/// The table, for reading.
fn table() -> &'static [Entry; COUNT] {
    // SAFETY: after start-up nothing writes it; during start-up there is one
    // thread and no `&mut` is held across this call (module docs).
    unsafe { &*TABLE.0.get() }
}

/// The table, for writing.
///
/// # Safety
/// Single-threaded start-up, no other reference into the table live.
unsafe fn table_mut() -> &'static mut [Entry; COUNT] {
    // SAFETY: the caller's contract.
    unsafe { &mut *TABLE.0.get() }
}

/// glibc's `_dl_strtoul` on the NUL-terminated (or slice-ended) text `s`:
/// blanks, a sign, then decimal, `0x` hex or `0` octal digits up to the
/// first that does not fit; `UINT64_MAX` on overflow (whatever the sign).
pub fn strtoul(s: &[u8]) -> u64 {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while at(i) == b' ' || at(i) == b'\t' {
        i += 1;
    }
    let mut positive = true;
    if at(i) == b'-' {
        positive = false;
        i += 1;
    } else if at(i) == b'+' {
        i += 1;
    }
    if !at(i).is_ascii_digit() {
        return 0;
    }
    let (mut base, mut max_digit) = (10u64, b'9');
    if at(i) == b'0' {
        if at(i + 1) == b'x' || at(i + 1) == b'X' {
            base = 16;
            i += 2;
        } else {
            base = 8;
            max_digit = b'7';
        }
    }
    let mut result: u64 = 0;
    loop {
        let c = at(i);
        let digit = if (b'0'..=max_digit).contains(&c) {
            u64::from(c - b'0')
        } else if base == 16 && c.is_ascii_hexdigit() {
            u64::from(c.to_ascii_lowercase() - b'a' + 10)
        } else {
            break;
        };
        if result >= (u64::MAX - digit) / base {
            return u64::MAX;
        }
        result = result * base + digit;
        i += 1;
    }
    if positive {
        result
    } else {
        result.wrapping_neg()
    }
}

fn lt(a: i64, b: i64, unsigned: bool) -> bool {
    if unsigned {
        (a as u64) < (b as u64)
    } else {
        a < b
    }
}

/// glibc's `do_tunable_update_val`: a string is taken as is; a number only
/// within the bounds, which `minp`/`maxp` may narrow (never widen).
///
/// # Safety
/// As [`table_mut`].
unsafe fn update_val(i: usize, val: TunableVal, minp: Option<i64>, maxp: Option<i64>) {
    let ty = defs_now()[i].ty;
    // SAFETY: the caller's contract.
    let e = unsafe { &mut table_mut()[i] };
    if ty == Type::Str {
        e.val = val;
        e.initialized = true;
        return;
    }
    let unsigned = ty != Type::I32;
    // SAFETY: numeric tunables always hold `numval`.
    let v = unsafe { val.numval };
    let mut min = minp.unwrap_or(e.min);
    let mut max = maxp.unwrap_or(e.max);
    if lt(min, e.min, unsigned) {
        min = e.min;
    }
    if lt(e.max, max, unsigned) {
        max = e.max;
    }
    if lt(max, min, unsigned) {
        min = e.min;
        max = e.max;
    }
    if lt(v, min, unsigned) || lt(max, v, unsigned) {
        return;
    }
    e.val = TunableVal { numval: v };
    e.min = min;
    e.max = max;
    e.initialized = true;
}

/// glibc's `tunable_initialize`: tunable `i` from the NUL-terminated text at `value`.
///
/// # Safety
/// As [`table_mut`]; `value` is NUL-terminated and lives for the process.
unsafe fn initialize(i: usize, value: *const u8) {
    let val = if defs_now()[i].ty == Type::Str {
        // SAFETY: the caller's contract: the value is NUL-terminated.
        let len = unsafe { crate::start::cstr(value) }.len();
        TunableVal {
            strval: StrVal { str: value, len },
        }
    } else {
        // SAFETY: the caller's contract.
        let text = unsafe { crate::start::cstr(value) };
        TunableVal {
            numval: strtoul(text) as i64,
        }
    };
    // SAFETY: the caller's contract.
    unsafe { update_val(i, val, None, None) }
}

/// glibc's `__tunable_set_val` with bounds (`TUNABLE_SET_WITH_BOUNDS`).
///
/// # Safety
/// Single-threaded start-up.
pub unsafe fn set_with_bounds(name: &[u8], val: u64, min: u64, max: u64) {
    if let Some(i) = by_name(name) {
        // SAFETY: the caller's contract.
        unsafe { update_val(i, TunableVal { numval: val as i64 }, Some(min as i64), Some(max as i64)) }
    }
}

/// The tunable whose full name is `name`.
fn by_name(name: &[u8]) -> Option<usize> {
    defs_now().iter().position(|d| d.name() == name)
}

/// glibc's `parse_tunables` (release/2.36 branch).  `tunestr` is our copy of
/// the value, `valstring` the original on the stack; both end with the
/// value's NUL, so they have the same length.  Recognised values are cut
/// with a NUL in `valstring` and string tunables point into it.  In secure
/// mode `tunestr` is rewritten to the tunables children may see.
///
/// # Safety
/// As [`table_mut`]; `valstring` points at `tunestr.len()` writable bytes
/// that live for the process.
unsafe fn parse(tunestr: &mut [u8], valstring: *mut u8, secure: bool) {
    let at = |t: &[u8], i: usize| t.get(i).copied().unwrap_or(0);
    if at(tunestr, 0) == 0 {
        return;
    }
    let mut p = 0usize;
    let mut off = 0usize;
    loop {
        let name = p;
        let mut len = 0;
        while !matches!(at(tunestr, p + len), b'=' | b':' | 0) {
            len += 1;
        }
        // A name without a value at the end: done.
        if at(tunestr, p + len) == 0 {
            break;
        }
        // A name without a value before a colon: skip it.
        if at(tunestr, p + len) == b':' {
            p += len + 1;
            continue;
        }
        let name_end = p + len;
        p += len + 1;
        let value = p;
        len = 0;
        while !matches!(at(tunestr, p + len), b':' | 0) {
            len += 1;
        }
        if let Some(i) = by_name(&tunestr[name..name_end]) {
            let security = table()[i].security;
            let mut apply = true;
            if secure {
                if security != Security::SxidErase {
                    if off > 0 {
                        tunestr[off] = b':';
                        off += 1;
                    }
                    // Never past `p + len`: the text written is as long as
                    // what was read.
                    for &b in defs_now()[i].name().iter().chain(b"=") {
                        tunestr[off] = b;
                        off += 1;
                    }
                    for j in value..value + len {
                        // SAFETY: within the value (caller's contract).
                        tunestr[off] = unsafe { *valstring.add(j) };
                        off += 1;
                    }
                }
                apply = security == Security::None;
            }
            if apply {
                // SAFETY: the caller's contract: `value + len` is at most the
                // index of the final NUL; the text from `value` is then
                // NUL-terminated and lives for the process.
                unsafe {
                    *valstring.add(value + len) = 0;
                    initialize(i, valstring.add(value));
                }
            }
        }
        if at(tunestr, p + len) == 0 {
            break;
        }
        p += len + 1;
    }
    if secure {
        if let Some(b) = tunestr.get_mut(off) {
            *b = 0;
        }
    }
}

/// `faccessat(AT_FDCWD, path, F_OK) == 0`.
fn exists(path: &core::ffi::CStr) -> bool {
    const NR_FACCESSAT: usize = 269;
    const AT_FDCWD: isize = -100;
    // SAFETY: a path syscall on a NUL-terminated string; it writes no memory.
    let ret = unsafe { crate::arch::syscall6(NR_FACCESSAT, [AT_FDCWD as usize, path.as_ptr() as usize, 0, 0, 0, 0]) };
    ret == 0
}

/// `init` looks up aliases only for `MALLOC_…` and `LD_…` variables: every
/// alias must start so, which this checks at compile time.
const _: () = {
    const fn has_prefix(s: &[u8], p: &[u8]) -> bool {
        if s.len() < p.len() {
            return false;
        }
        let mut i = 0;
        while i < p.len() {
            if s[i] != p[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let mut i = 0;
    while i < DEFS_2_36.len() {
        let a = DEFS_2_36[i].alias();
        assert!(a.is_empty() || has_prefix(a, b"MALLOC_") || has_prefix(a, b"LD_"));
        i += 1;
    }
    let mut i = 0;
    while i < DEFS_2_41.len() {
        let a = DEFS_2_41[i].alias();
        assert!(a.is_empty() || has_prefix(a, b"MALLOC_") || has_prefix(a, b"LD_"));
        i += 1;
    }
};

/// glibc's `__tunables_init`: reads `GLIBC_TUNABLES` and the aliases from
/// the environment at `envp`, as described in the module docs.
///
/// # Safety
/// Single-threaded start-up, once; `envp` is the process's NULL-terminated
/// environment array on the initial stack, whose strings live for the process.
pub unsafe fn init(envp: *mut *const u8, secure: bool) {
    if super::layout::cur().minor >= 41 {
        // SAFETY: the caller's contract.
        return unsafe { init_2_41(envp, secure) };
    }
    // SAFETY: the caller's contract throughout: start-up, the kernel's envp.
    unsafe {
        reset();
        if secure && exists(c"/etc/suid-debug") {
            if let Some(i) = by_name(id::MALLOC_CHECK) {
                table_mut()[i].security = Security::None;
            }
        }
        let mut ep = envp;
        while !(*ep).is_null() {
            let prev = ep;
            let s = *ep;
            ep = ep.add(1);
            // Every alias is `MALLOC_…` or `LD_…`: other variables (most of
            // the environment) need no look through the table, nor measuring.
            let wanted = |prefix: &[u8]| crate::start::starts_with(s, prefix);
            if !(wanted(b"GLIBC_TUNABLES=") || wanted(b"LD_") || wanted(b"MALLOC_")) {
                continue;
            }
            let line = crate::start::cstr(s);
            let Some(eq) = line.iter().position(|&b| b == b'=') else {
                continue;
            };
            let name = &line[..eq];
            if name == b"GLIBC_TUNABLES" {
                // The entry becomes a copy; the original's value is cut up
                // (values NUL-terminated in place, as glibc does).  A second
                // `init`, for another release's table, reads the text as the
                // kernel passed it from a copy kept by the first.
                let pristine = &mut *core::ptr::addr_of_mut!(PRISTINE);
                let values = match pristine {
                    None => {
                        *pristine = Some(line[eq + 1..].to_vec().leak());
                        s.add(eq + 1) as *mut u8
                    }
                    Some(text) => {
                        let mut v = text.to_vec();
                        v.push(0);
                        v.leak().as_mut_ptr()
                    }
                };
                let text: &[u8] = pristine.as_deref().unwrap_or_default();
                let mut copy: Vec<u8> = Vec::with_capacity(eq + text.len() + 2);
                copy.extend_from_slice(&line[..eq + 1]);
                copy.extend_from_slice(text);
                copy.push(0);
                let copy = copy.leak();
                parse(&mut copy[eq + 1..], values, secure);
                *prev = copy.as_ptr();
                continue;
            }
            for (i, d) in defs_now().iter().enumerate() {
                if table()[i].initialized || d.alias().is_empty() || d.alias() != name {
                    continue;
                }
                let security = table()[i].security;
                if secure {
                    if security == Security::SxidErase {
                        // Remove every `ALIAS=` entry from here on, and read
                        // the environment again from this slot.
                        let mut e = prev;
                        while !(*e).is_null() {
                            let l = crate::start::cstr(*e);
                            if l.len() > d.alias().len() && l.starts_with(d.alias()) && l[d.alias().len()] == b'=' {
                                let mut dp = e;
                                loop {
                                    *dp = *dp.add(1);
                                    if (*dp).is_null() {
                                        break;
                                    }
                                    dp = dp.add(1);
                                }
                            } else {
                                e = e.add(1);
                            }
                        }
                        ep = prev;
                    }
                    if security != Security::None {
                        continue;
                    }
                }
                initialize(i, s.add(eq + 1));
                break;
            }
        }
    }
}

/// glibc 2.41's `__tunables_init` (elf/dl-tunables.c, rewritten after
/// CVE-2023-4911): nothing at all in `AT_SECURE` mode; each `GLIBC_TUNABLES`
/// checked whole first (a name without `=` at its end, or a value holding
/// `=`, and the whole text is ignored with a warning), its tunables then
/// applied in table order, the last of a name winning, unless it sets
/// `glibc.rtld.enable_secure=1` (then none is, nor any alias); then the
/// aliases (the last of each) of the tunables still unset.  A number must
/// be the whole value (else a warning names it); one out of bounds is
/// ignored quietly.  The environment is not changed: a string value is a
/// pointer into it and a length.
///
/// # Safety
/// As [`init`].
unsafe fn init_2_41(envp: *mut *const u8, secure: bool) {
    // SAFETY: the caller's contract.
    unsafe { reset() };
    if secure {
        return;
    }
    let count = defs_now().len();
    let mut aliases: Vec<Option<&'static [u8]>> = alloc::vec![None; count];
    let mut enable_secure = false;
    // SAFETY: single-threaded start-up.
    unsafe { *core::ptr::addr_of_mut!(ENABLE_SECURE) = false };
    let mut ep = envp;
    // SAFETY: the caller's contract: a NULL-terminated array of strings
    // that live for the process.
    unsafe {
        while !(*ep).is_null() {
            let s = *ep;
            ep = ep.add(1);
            let wanted = |prefix: &[u8]| crate::start::starts_with(s, prefix);
            if !(wanted(b"GLIBC_TUNABLES=") || wanted(b"LD_") || wanted(b"MALLOC_")) {
                continue;
            }
            let line = crate::start::cstr(s);
            let Some(eq) = line.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (name, value) = (&line[..eq], &line[eq + 1..]);
            if name == b"GLIBC_TUNABLES" {
                enable_secure |= parse_2_41(value);
                continue;
            }
            if let Some(i) = defs_now()
                .iter()
                .position(|d| !d.alias().is_empty() && d.alias() == name)
            {
                aliases[i] = Some(value);
            }
        }
        if enable_secure {
            *core::ptr::addr_of_mut!(ENABLE_SECURE) = true;
            return;
        }
        for (i, value) in aliases.into_iter().enumerate() {
            if let Some(value) = value {
                if !table()[i].initialized {
                    initialize_2_41(i, value);
                }
            }
        }
    }
}

/// Whether 2.41's `GLIBC_TUNABLES` asked for secure mode
/// (`glibc.rtld.enable_secure=1`), which glibc then applies to the whole
/// process as if it were privileged.
static mut ENABLE_SECURE: bool = false;

/// See [`ENABLE_SECURE`]; after [`init`].
pub fn enable_secure_asked() -> bool {
    // SAFETY: written only during single-threaded start-up.
    unsafe { *core::ptr::addr_of!(ENABLE_SECURE) }
}

/// glibc 2.41's `parse_tunables` on one `GLIBC_TUNABLES` value; true if it
/// set `glibc.rtld.enable_secure` to 1 (then nothing else was applied).
///
/// # Safety
/// As [`table_mut`]; `text` lives for the process.
unsafe fn parse_2_41(text: &'static [u8]) -> bool {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let count = defs_now().len();
    let mut toset: Vec<Option<&'static [u8]>> = alloc::vec![None; count];
    let mut p = 0;
    let mut done = text.is_empty();
    while !done {
        let name = p;
        while !matches!(at(p), b'=' | b':' | 0) {
            p += 1;
        }
        match at(p) {
            // The end before a name's value: the whole text is refused.
            0 => {
                warn(&[b"WARNING: ld.so: invalid GLIBC_TUNABLES `", text, b"': ignored.\n"]);
                return false;
            }
            b':' => {
                p += 1;
                continue;
            }
            _ => {}
        }
        let name_text = &text[name..p];
        p += 1;
        let value = p;
        while !matches!(at(p), b'=' | b':' | 0) {
            p += 1;
        }
        if at(p) == b'=' {
            warn(&[b"WARNING: ld.so: invalid GLIBC_TUNABLES `", text, b"': ignored.\n"]);
            return false;
        }
        done = at(p) == 0;
        if let Some(i) = defs_now().iter().position(|d| d.name() == name_text) {
            toset[i] = Some(&text[value..p]);
        }
    }
    if let Some(v) = by_name(id::RTLD_ENABLE_SECURE).and_then(|i| toset[i]) {
        match number_2_41(v) {
            None => warn_value(v, id::RTLD_ENABLE_SECURE),
            Some(1) => return true,
            Some(_) => {}
        }
    }
    for (i, value) in toset.into_iter().enumerate() {
        if let Some(value) = value {
            // SAFETY: the caller's contract.
            unsafe { initialize_2_41(i, value) };
        }
    }
    false
}

/// glibc 2.41's `tunable_initialize`: tunable `i` from `value` (a slice of
/// the environment), with a warning if a number is not the whole value.
///
/// # Safety
/// As [`table_mut`]; `value` lives for the process.
unsafe fn initialize_2_41(i: usize, value: &'static [u8]) {
    let d = &defs_now()[i];
    let val = if d.ty == Type::Str {
        TunableVal {
            strval: StrVal {
                str: value.as_ptr(),
                len: value.len(),
            },
        }
    } else {
        match number_2_41(value) {
            Some(n) => TunableVal { numval: n as i64 },
            None => return warn_value(value, d.name()),
        }
    };
    // SAFETY: the caller's contract.
    unsafe { update_val(i, val, None, None) }
}

/// `_dl_strtoul` over the whole of `value`, or `None` if it stops short
/// (2.41's `tunable_parse_num`): what follows the value in the environment
/// (`:` or its end) stops the digits as the end of the slice does.
fn number_2_41(value: &[u8]) -> Option<u64> {
    let at = |i: usize| value.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while at(i) == b' ' || at(i) == b'\t' {
        i += 1;
    }
    let mut positive = true;
    if at(i) == b'-' {
        positive = false;
        i += 1;
    } else if at(i) == b'+' {
        i += 1;
    }
    if !at(i).is_ascii_digit() {
        return (i == value.len()).then_some(0);
    }
    let mut base = 10u64;
    if at(i) == b'0' {
        if matches!(at(i + 1), b'x' | b'X') {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let (cutoff, cutlim) = (u64::MAX / base, u64::MAX % base);
    let mut result = 0u64;
    while let Some(digit) = (at(i) as char).to_digit(base as u32) {
        let digit = u64::from(digit);
        if result > cutoff || (result == cutoff && digit > cutlim) {
            // Stops at the digit that overflows: never the whole value.
            return None;
        }
        result = result * base + digit;
        i += 1;
    }
    (i == value.len()).then_some(if positive { result } else { result.wrapping_neg() })
}

/// The warning for a value that is not a number.
fn warn_value(value: &[u8], name: &[u8]) {
    warn(&[
        b"WARNING: ld.so: invalid GLIBC_TUNABLES value `",
        value,
        b"' for option `",
        name,
        b"': ignored.\n",
    ]);
}

/// One line on stderr.
fn warn(parts: &[&[u8]]) {
    crate::sys::write_all(2, &parts.concat());
}

/// `--list-tunables`: every tunable in the table's order with its value and
/// bounds, as glibc 2.36's `__tunables_print` writes them — 32-bit ints in
/// decimal, 64-bit and `size_t` ones in hexadecimal, strings as they are
/// (the name alone when unset).  The CPU's features must have been computed
/// first: they set the cache tunables and narrow their bounds.
pub fn print() {
    let mut out = crate::diag::Msg::new();
    for (d, e) in defs_now().iter().zip(table().iter()) {
        out = out.s(d.name()).s(b":");
        out = match d.ty {
            Type::Str => {
                // SAFETY: a string tunable holds `strval`: null, or a
                // NUL-terminated value in the environment's strings.
                let p = unsafe { e.val.strval.str };
                if p.is_null() {
                    out.s(b"\n")
                } else if super::layout::cur().minor >= 41 {
                    // SAFETY: 2.41's values are `len` bytes of the environment.
                    out.s(b" ")
                        .s(unsafe { core::slice::from_raw_parts(p, e.val.strval.len) })
                        .s(b"\n")
                } else {
                    // SAFETY: as above.
                    out.s(b" ").s(unsafe { crate::start::cstr(p) }).s(b"\n")
                }
            }
            Type::I32 => {
                // SAFETY: numeric tunables hold `numval`.
                let v = unsafe { e.val.numval };
                out.s(b" ")
                    .s(signed(v as i32).bytes())
                    .s(b" (min: ")
                    .s(signed(e.min as i32).bytes())
                    .s(b", max: ")
                    .s(signed(e.max as i32).bytes())
                    .s(b")\n")
            }
            Type::U64 | Type::Size => {
                // SAFETY: numeric tunables hold `numval`.
                let v = unsafe { e.val.numval };
                out.s(b" 0x")
                    .hex(v as u64, 0)
                    .s(b" (min: 0x")
                    .hex(e.min as u64, 0)
                    .s(b", max: 0x")
                    .hex(e.max as u64, 0)
                    .s(b")\n")
            }
        };
    }
    crate::sys::write_all(1, out.bytes());
}

/// `%d`.
fn signed(v: i32) -> crate::diag::Msg {
    let m = crate::diag::Msg::new();
    if v < 0 {
        m.s(b"-").dec(u64::from(v.unsigned_abs()))
    } else {
        m.dec(v as u64)
    }
}

/// The current value of numeric tunable `i` (as `__tunable_get_val` would
/// store it, widened), or 0 for a string or unknown id.
pub fn num(name: &[u8]) -> i64 {
    let Some(i) = by_name(name) else { return 0 };
    match defs_now().get(i).map(|d| d.ty) {
        // SAFETY: numeric tunables hold `numval`.
        Some(Type::I32) => i64::from(unsafe { table()[i].val.numval } as i32),
        // SAFETY: as above.
        Some(Type::U64 | Type::Size) => unsafe { table()[i].val.numval },
        _ => 0,
    }
}

/// Whether tunable `i` was set (from the environment or by ld.so).
#[allow(dead_code)]
pub fn is_set(i: usize) -> bool {
    table().get(i).is_some_and(|e| e.initialized)
}

/// The bytes `glibc.cpu.hwcaps`'s callback walks, if the tunable was set:
/// from the value on through the following strings of the stack until the
/// callback's loop would stop (glibc's loop steps over each NUL and goes on
/// while the next byte is not NUL, so it also reads what follows the value).
pub fn hwcaps_scan() -> Option<&'static [u8]> {
    let e = &table()[by_name(id::CPU_HWCAPS)?];
    if !e.initialized {
        return None;
    }
    // SAFETY: a string tunable holds `strval`, set from the environment.
    let (start, len) = unsafe { (e.val.strval.str, e.val.strval.len) };
    if start.is_null() {
        return None;
    }
    if super::layout::cur().minor >= 41 {
        // 2.41 reads the value's own bytes, by its length.
        // SAFETY: the value is `len` bytes of the environment's strings.
        return Some(unsafe { core::slice::from_raw_parts(start, len) });
    }
    let mut q = 0usize;
    // SAFETY: `start` is in the string area of the initial stack, which ends
    // with the program's file name and a zero word at the top of the stack:
    // a NUL follows every byte read here, and the loop stops at a NUL that
    // follows a terminator at the latest in that zero word.
    unsafe {
        loop {
            while !matches!(*start.add(q), b',' | 0) {
                q += 1;
            }
            q += 1;
            if *start.add(q) == 0 {
                break;
            }
        }
        Some(core::slice::from_raw_parts(start, q))
    }
}

/// `__tunable_get_val(id, valp, callback)`: stores tunable `id` into `*valp`
/// with its type's width (int32, uint64, size_t or `const char *`) and, if
/// the tunable was set, calls `callback(&value)`.
///
/// # Safety
/// `valp` points at storage of the tunable's type; `callback` is NULL or a
/// function taking a `tunable_val_t *`.
#[no_mangle]
pub unsafe extern "C" fn __tunable_get_val(
    id: u32,
    valp: *mut u8,
    callback: Option<unsafe extern "C" fn(*mut TunableVal)>,
) {
    let i = id as usize;
    let Some(d) = defs_now().get(i) else { return };
    let e = &table()[i];
    // SAFETY: the caller passes storage of the tunable's own type; the union
    // field read is the one the type uses.
    unsafe {
        match d.ty {
            Type::I32 => (valp as *mut i32).write_unaligned(e.val.numval as i32),
            Type::U64 | Type::Size => (valp as *mut u64).write_unaligned(e.val.numval as u64),
            // 2.36 gives the string, 2.41 its `struct tunable_str_t`.
            Type::Str if super::layout::cur().minor >= 41 => {
                (valp as *mut *const TunableVal).write_unaligned(core::ptr::addr_of!(e.val))
            }
            Type::Str => (valp as *mut *const u8).write_unaligned(e.val.strval.str),
        }
    }
    if let (true, Some(cb)) = (e.initialized, callback) {
        // SAFETY: glibc passes its table entry's value; the entry is not
        // changed after start-up, and callbacks only read it.
        unsafe { cb(core::ptr::addr_of!(e.val) as *mut TunableVal) };
    }
}

/// The `glibc.cpu.*` tunables cpu_features.rs applies.
/// `__tunable_is_initialized` (2.41): whether the tunable was set from the
/// environment (libc's malloc asks before it trusts `mmap_threshold`).
#[no_mangle]
pub extern "C" fn __tunable_is_initialized(id: u32) -> bool {
    (id as usize) < defs_now().len() && table().get(id as usize).is_some_and(|e| e.initialized)
}

pub mod cpu {
    use super::{id, num};

    /// What `init_cpu_features` reads through `TUNABLE_GET`.
    pub fn tunables() -> crate::glibc::cpu_features::CpuTunables<'static> {
        crate::glibc::cpu_features::CpuTunables {
            hwcaps: super::hwcaps_scan(),
            x86_data_cache_size: num(id::CPU_X86_DATA_CACHE_SIZE) as u64,
            x86_shared_cache_size: num(id::CPU_X86_SHARED_CACHE_SIZE) as u64,
            x86_non_temporal_threshold: num(id::CPU_X86_NON_TEMPORAL_THRESHOLD) as u64,
            x86_rep_movsb_threshold: num(id::CPU_X86_REP_MOVSB_THRESHOLD) as u64,
            x86_rep_stosb_threshold: num(id::CPU_X86_REP_STOSB_THRESHOLD) as u64,
            x86_rep_stosb_threshold_set: super::by_name(id::CPU_X86_REP_STOSB_THRESHOLD)
                .is_some_and(|i| super::table()[i].initialized),
            x86_memset_non_temporal_threshold: num(id::CPU_X86_MEMSET_NON_TEMPORAL_THRESHOLD) as u64,
            prefer_map_32bit_exec: num(id::CPU_PREFER_MAP_32BIT_EXEC) != 0,
            release_2_41: crate::glibc::layout::cur().minor >= 41,
            hwcap2: 0,
        }
    }

    /// `dl_init_cacheinfo`'s `TUNABLE_SET_WITH_BOUNDS` calls.
    ///
    /// # Safety
    /// Single-threaded start-up.
    pub unsafe fn record(c: &crate::glibc::cpu_features::CacheTunables) {
        for (i, b) in [
            (id::CPU_X86_DATA_CACHE_SIZE, c.data_cache_size),
            (id::CPU_X86_SHARED_CACHE_SIZE, c.shared_cache_size),
            (id::CPU_X86_NON_TEMPORAL_THRESHOLD, c.non_temporal_threshold),
            (id::CPU_X86_REP_MOVSB_THRESHOLD, c.rep_movsb_threshold),
            (id::CPU_X86_REP_STOSB_THRESHOLD, c.rep_stosb_threshold),
        ] {
            // SAFETY: the caller's contract.
            unsafe { super::set_with_bounds(i, b.value, b.min, b.max) };
        }
        if let Some(b) = c.memset_non_temporal_threshold {
            // SAFETY: the caller's contract.
            unsafe { super::set_with_bounds(id::CPU_X86_MEMSET_NON_TEMPORAL_THRESHOLD, b.value, b.min, b.max) };
        }
    }
}
