//! Failure injection (the `fail-inject` feature; never in a release build):
//! makes the N-th call of one system call fail, so tests can check that
//! every failure the kernel may give the loader ends cleanly.
//!
//! `LD_RS_FAIL=SYSCALL:N` fails the N-th call (from 1) of `SYSCALL` that
//! the linker makes from start-up on; `LD_RS_FAIL=SYSCALL:+N` counts only
//! the calls made once the program runs (inside `dlopen`, `dlclose`, lazy
//! binding, ...).  `SYSCALL` is one of `mmap`, `openat`, `read` (the
//! linker reads with `pread64`), `fstat`, `stat` (`newfstatat`) and
//! `mprotect`; an optional `:ERRNO` (a number) replaces the default error,
//! which is what the kernel gives when resources run out (`ENOMEM` for the
//! memory calls, `EMFILE` for `openat`, `EIO` for the others).
//!
//! When the failure is injected, one line on stderr says so
//! (`ld-rs.so: fail-inject: mmap #7 fails`), so a test can tell a run
//! whose N is past the last call from one that coped with the failure.
//! The variable is read once, before the first counted call of start-up
//! that it can reach (the kernel's loading of the program and of ld-rs is
//! not ours to fail).

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::sys::Errno;

/// The system call to fail (`usize::MAX`: none).
static NR: AtomicUsize = AtomicUsize::new(usize::MAX);
/// Which of its calls fails (1 = the first counted).
static NTH: AtomicUsize = AtomicUsize::new(0);
/// The error it fails with.
static ERRNO: AtomicUsize = AtomicUsize::new(0);
/// Count only once the program runs (`+N`).
static AFTER_START: AtomicBool = AtomicBool::new(false);
/// The program runs: start-up is over.
static STARTED: AtomicBool = AtomicBool::new(false);
/// The calls of `NR` counted so far.
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// The names `LD_RS_FAIL` takes, with their system call numbers and default errors.
const CALLS: &[(&[u8], usize, i32)] = &[
    (b"mmap", 9, 12),
    (b"openat", 257, 24),
    (b"read", 17, 5),
    (b"fstat", 5, 5),
    (b"stat", 262, 5),
    (b"mprotect", 10, 12),
];

/// True when `LD_RS_FAIL` named a call to fail: the launch cache stays
/// off, so the calls counted are a normal start's.
pub fn armed() -> bool {
    NR.load(Ordering::Relaxed) != usize::MAX
}

/// Reads `LD_RS_FAIL` from the environment (`NAME=value` strings).  A
/// value it cannot parse is reported and ignored.
pub fn arm(env: impl Iterator<Item = &'static [u8]>) {
    for entry in env {
        let Some(value) = entry.strip_prefix(b"LD_RS_FAIL=") else {
            continue;
        };
        match parse(value) {
            Some((nr, nth, errno, after)) => {
                ERRNO.store(errno as usize, Ordering::Relaxed);
                NTH.store(nth, Ordering::Relaxed);
                AFTER_START.store(after, Ordering::Relaxed);
                NR.store(nr, Ordering::Release);
            }
            None => crate::sys::write_all(
                2,
                b"ld-rs.so: fail-inject: LD_RS_FAIL wants SYSCALL:N, SYSCALL:+N or SYSCALL:N:ERRNO\n",
            ),
        }
    }
}

fn parse(value: &[u8]) -> Option<(usize, usize, i32, bool)> {
    let mut parts = value.split(|&c| c == b':');
    let name = parts.next()?;
    let &(_, nr, default_errno) = CALLS.iter().find(|(n, _, _)| *n == name)?;
    let count = parts.next()?;
    let (after, count) = match count.strip_prefix(b"+") {
        Some(rest) => (true, rest),
        None => (false, count),
    };
    let nth = number(count).filter(|&n| n > 0)?;
    let errno = match parts.next() {
        Some(e) => i32::try_from(number(e)?).ok().filter(|&e| e > 0 && e < 4096)?,
        None => default_errno,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((nr, nth, errno, after))
}

fn number(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &c| {
        c.is_ascii_digit().then_some(())?;
        n.checked_mul(10)?.checked_add((c - b'0') as usize)
    })
}

/// Start-up is over; `+N` counting begins.
pub fn program_starts() {
    STARTED.store(true, Ordering::Release);
}

/// Called before system call `nr` is made: the error to return instead,
/// if this is the call chosen to fail.
pub fn inject(nr: usize) -> Option<Errno> {
    if NR.load(Ordering::Acquire) != nr {
        return None;
    }
    if AFTER_START.load(Ordering::Relaxed) && !STARTED.load(Ordering::Acquire) {
        return None;
    }
    let n = COUNT.fetch_add(1, Ordering::Relaxed) + 1;
    if n != NTH.load(Ordering::Relaxed) {
        return None;
    }
    let name = CALLS.iter().find(|c| c.1 == nr).map_or(&b"?"[..], |c| c.0);
    let mut line = [0u8; 96];
    let mut len = 0;
    for part in [&b"ld-rs.so: fail-inject: "[..], name, b" #"] {
        line[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for part in [&digits[i..], b" fails\n"] {
        line[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    crate::sys::write_all(2, &line[..len]);
    Some(Errno(ERRNO.load(Ordering::Relaxed) as i32))
}
