//! `LD_DEBUG`: the loader's trace of what it does, in glibc's format.
//!
//! Every line goes to standard error (or to `$LD_DEBUG_OUTPUT.PID`) and
//! starts with the process id right-aligned in ten columns, a colon and a
//! tab, as glibc's `_dl_debug_printf` writes it (elf/dl-printf.c).  The
//! categories are glibc's bits (`DL_DEBUG_*` in sysdeps/generic/ldsodefs.h),
//! because libc reads the same mask from `_rtld_global_ro` and prints its own
//! lines (`initialize program:`, `transferring control:`) when it is set.
//!
//! When `LD_DEBUG` is unset the whole cost is one load and test of the mask
//! at each place that could print: callers write `if debug::on(BIT) { … }`
//! and build their line only inside.

use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use crate::sys;

/// `libs`: library searches.
pub const LIBS: u32 = 1 << 0;
/// Implicit calls: initializers, finalizers, the transfer of control.
pub const IMPCALLS: u32 = 1 << 1;
/// `bindings`: each symbol binding.
pub const BINDINGS: u32 = 1 << 2;
/// `symbols`: each symbol table searched.
pub const SYMBOLS: u32 = 1 << 3;
/// `versions`: each version requirement checked.
pub const VERSIONS: u32 = 1 << 4;
/// `reloc`: each object's relocation.
pub const RELOC: u32 = 1 << 5;
/// `files`: each object's link map.
pub const FILES: u32 = 1 << 6;
/// `statistics`: relocation counts and start-up time.
pub const STATISTICS: u32 = 1 << 7;
/// `unused`: direct dependencies nothing was bound to (`ldd -u`).
pub const UNUSED: u32 = 1 << 8;
/// `scopes`: each object's lookup scopes.
pub const SCOPES: u32 = 1 << 9;
/// `help`: the list of options.
pub const HELP: u32 = 1 << 10;

/// The `LD_DEBUG` words and their bits, in glibc's order (elf/rtld.c `debopts`).
pub const OPTIONS: [(&[u8], u32); 11] = [
    (b"libs", LIBS | IMPCALLS),
    (b"reloc", RELOC | IMPCALLS),
    (b"files", FILES | IMPCALLS),
    (b"symbols", SYMBOLS | IMPCALLS),
    (b"bindings", BINDINGS | IMPCALLS),
    (b"versions", VERSIONS | IMPCALLS),
    (b"scopes", SCOPES),
    (
        b"all",
        LIBS | RELOC | FILES | SYMBOLS | BINDINGS | VERSIONS | IMPCALLS | SCOPES,
    ),
    (b"statistics", STATISTICS),
    (b"unused", UNUSED),
    (b"help", HELP),
];

static MASK: AtomicU32 = AtomicU32::new(0);
/// `statistics`: symbol lookups made for relocations, and those a
/// relocation's one-entry cache answered (glibc's `dl_num_relocations`,
/// `dl_num_cache_relocations`).
pub static LOOKUPS: AtomicU64 = AtomicU64::new(0);
pub static CACHED: AtomicU64 = AtomicU64::new(0);
static FD: AtomicI32 = AtomicI32::new(2);

/// True when any of `bits` was asked for.
#[inline(always)]
pub fn on(bits: u32) -> bool {
    MASK.load(Ordering::Relaxed) & bits != 0
}

/// The whole mask (for `GLRO(dl_debug_mask)`).
pub fn mask() -> u32 {
    MASK.load(Ordering::Relaxed)
}

/// Where the lines go (for `GLRO(dl_debug_fd)`).
pub fn fd() -> i32 {
    FD.load(Ordering::Relaxed)
}

/// Turns debugging on.  With `output` (`LD_DEBUG_OUTPUT`), the lines go to
/// the file `OUTPUT.PID`, appended to and created if need be, never through
/// a symbolic link; if it cannot be opened, to standard output (glibc's
/// `process_envvars`).
pub fn start(mask: u32, output: Option<&[u8]>) {
    MASK.store(mask, Ordering::Relaxed);
    let Some(base) = output else { return };
    let mut path = alloc::vec::Vec::with_capacity(base.len() + 12);
    path.extend_from_slice(base);
    path.push(b'.');
    path.extend_from_slice(crate::diag::Msg::new().dec(sys::getpid() as u64).bytes());
    path.push(0);
    let fd = sys::CPath::new(&path)
        .and_then(|p| {
            sys::open(
                &p,
                sys::O_WRONLY | sys::O_APPEND | sys::O_CREAT | sys::O_NOFOLLOW,
                0o666,
            )
            .ok()
        })
        .map_or(1, |fd| fd.leak());
    FD.store(fd, Ordering::Relaxed);
}

/// A recoverable loader error as glibc reports it under any option but
/// `statistics` (`_dl_signal_cerror`): `OBJECT: error: OCCASION: MESSAGE
/// (continued)` when start-up goes on regardless (a missing version, `ldd
/// -r`), `(fatal)` when it is about to stop.
pub fn error(object: &[u8], occasion: &[u8], message: &[u8], continued: bool) {
    if MASK.load(Ordering::Relaxed) & !STATISTICS == 0 {
        return;
    }
    let line = crate::diag::Msg::new()
        .s(object)
        .s(b": error: ")
        .s(occasion)
        .s(b": ")
        .s(message)
        .s(if continued {
            &b" (continued)\n"[..]
        } else {
            b" (fatal)\n"
        });
    print(line.bytes());
}

/// Counts one lookup (or, `cached`, one answered by the cache) when
/// statistics were asked for.
#[inline(always)]
pub fn count(cached: bool) {
    if on(STATISTICS) {
        let c = if cached { &CACHED } else { &LOOKUPS };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// `part` as a per-cent of `total` with one decimal, written as glibc's
/// `print_statistics_item` writes it.
pub fn percent(part: u64, total: u64) -> crate::diag::Msg {
    let permille = (1000u128 * part as u128).checked_div(total as u128).unwrap_or(0) as u64;
    // glibc (elf/rtld.c `print_statistics_item`) inserts the decimal point
    // into the permille's digits: one digit gives ".N" (no leading zero),
    // two or three "N.N" / "NN.N", and four (100% or more) nothing at all.
    match permille {
        0..=9 => crate::diag::Msg::new().s(b".").dec(permille),
        10..=999 => crate::diag::Msg::new().dec(permille / 10).s(b".").dec(permille % 10),
        _ => crate::diag::Msg::new(),
    }
}

/// Writes `text`, each line tagged with the process id (glibc's
/// `_dl_debug_printf`).
pub fn print(text: &[u8]) {
    emit(text, true);
}

fn emit(text: &[u8], mut tag: bool) {
    let mut pid = [b' '; 12];
    let mut n = sys::getpid();
    let mut i = 10;
    loop {
        i -= 1;
        pid[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    pid[10] = b':';
    pid[11] = b'\t';
    let mut out = alloc::vec::Vec::with_capacity(text.len() + 48);
    let mut rest = text;
    while !rest.is_empty() {
        if tag {
            out.extend_from_slice(&pid);
            tag = false;
        }
        let end = match rest.iter().position(|&c| c == b'\n') {
            Some(nl) => {
                tag = true;
                nl + 1
            }
            None => rest.len(),
        };
        out.extend_from_slice(&rest[..end]);
        rest = &rest[end..];
    }
    sys::write_all(fd(), &out);
}
