//! The initial thread's restartable-sequences area, registered with the
//! kernel as glibc's loader registers it, and the three `__rseq_*` variables
//! that tell programs where it is.
//!
//! # What rseq is, and who owns the area
//! A restartable sequence is a short piece of code the kernel restarts at an
//! abort handler if the thread was preempted, migrated or signalled inside
//! it: per-CPU data without atomics.  To use it a thread hands the kernel a
//! `struct rseq` (Linux `include/uapi/linux/rseq.h`: `cpu_id_start`,
//! `cpu_id`, `rseq_cs`, `flags`, 32 bytes, 32-aligned) with the `rseq`
//! system call; from then on the kernel keeps `cpu_id` current at every
//! return to user space, which is what makes glibc's `sched_getcpu` a plain
//! load.  A thread can register only one area, so the C library owns it and
//! publishes where it is: `__rseq_offset` (its distance from the thread
//! pointer), `__rseq_size` (how much of it the kernel fills; 0 when nothing
//! is registered) and `__rseq_flags` (always 0), exported by ld.so at
//! `GLIBC_2.35` (`<sys/rseq.h>`).
//!
//! # What glibc 2.36 does
//! Its loader registers the initial thread while it finishes the thread
//! descriptor (`__tls_init_tp`, sysdeps/nptl/dl-tls_init_tp.c, with
//! sysdeps/unix/sysv/linux/rseq-internal.h), unless the tunable
//! `glibc.pthread.rseq` is 0: the area is the `rseq_area` member of
//! `struct pthread`, set to `cpu_id = -1` (uninitialised) and zeros, and
//! registered with length 32 and glibc's signature `0x53053053`.  On success
//! `__rseq_size` becomes 20 (the size of the original ABI's used part:
//! Debian 12's build carries the fix that reports it rather than 32); on
//! failure or when disabled `cpu_id` is set to -2 ("registration failed")
//! and `__rseq_size` stays 0.  `__rseq_offset` is set either way.
//!
//! libc takes it from there: `pthread_create` registers each new thread
//! *iff* the creating thread's `cpu_id` is not negative, and treats a
//! failure then as fatal; a thread's area lives in its descriptor on its
//! stack, which outlives the thread, so nobody unregisters.  Hence a
//! registration here is all-or-nothing for the process, and the -2 is what
//! keeps libc from trying when we did not register.
//!
//! glibc 2.41 moved the area out of `struct pthread` into a block of static
//! TLS below the thread pointer (negative `__rseq_offset`, sized from
//! `AT_RSEQ_FEATURE_SIZE`); that release gets an [`Area`] of its own, and
//! [`register_initial_thread`] stays the same.
//!
//! # Safety
//! Start-up only: the area is in the initial thread's descriptor, which
//! lives for the whole process, and the three statics are written before any
//! other code can read them.

use core::ptr::addr_of_mut;

use super::layout::pthread;
use super::tunables;
use crate::arch::syscall6;

/// `__NR_rseq` on x86_64.
const NR_RSEQ: usize = 334;
/// `RSEQ_SIG`: the signature glibc registers with (x86), which the kernel
/// checks before each abort handler; programs that define their own
/// sequences put it before their handlers, so it must be glibc's.
const RSEQ_SIG: usize = 0x5305_3053;
/// `RSEQ_CPU_ID_UNINITIALIZED`: the kernel has not filled `cpu_id` yet.
const CPU_ID_UNINITIALIZED: i32 = -1;
/// `RSEQ_CPU_ID_REGISTRATION_FAILED`: no area is registered for the thread.
const CPU_ID_REGISTRATION_FAILED: i32 = -2;

/// Offsets in the kernel's `struct rseq`.
const CPU_ID_START: usize = 0;
const CPU_ID: usize = 4;
const RSEQ_CS: usize = 8;
const FLAGS: usize = 16;

/// Where a release keeps the thread's rseq area and what it tells the kernel
/// and programs about it.
#[derive(Clone, Copy)]
pub struct Area {
    /// The area's distance from the thread pointer (`__rseq_offset`).
    pub offset: isize,
    /// The length passed to the `rseq` system call.
    pub registered_len: usize,
    /// `__rseq_size` once registered.
    pub used_size: u32,
}

/// glibc 2.36: `struct pthread`'s `rseq_area`, registered with the original
/// ABI's length (`RSEQ_AREA_SIZE_INITIAL`), of which 20 bytes are used
/// (`RSEQ_AREA_SIZE_INITIAL_USED`).
pub const GLIBC_2_36: Area = Area {
    offset: pthread::RSEQ_AREA as isize,
    registered_len: 32,
    used_size: 20,
};
const _: () = assert!(pthread::RSEQ_AREA.is_multiple_of(32) && pthread::RSEQ_CPU_ID == pthread::RSEQ_AREA + CPU_ID);

/// Registers the initial thread's rseq area unless `glibc.pthread.rseq` is
/// 0, and sets `__rseq_size`, `__rseq_offset` and `__rseq_flags` as glibc's
/// loader leaves them.  Returns whether the kernel accepted the area.
///
/// # Safety
/// Single-threaded start-up, after the tunables are read; `tp` is this
/// thread's thread pointer and `tp + area.offset` is 32 writable, 32-aligned
/// bytes that live as long as the thread.
pub unsafe fn register_initial_thread(tp: usize, area: Area) -> bool {
    let at = tp.wrapping_add_signed(area.offset);
    let wanted = tunables::num(tunables::id::PTHREAD_RSEQ) != 0;
    // SAFETY: the caller's contract: `at` is the thread's own area, and the
    // statics have no reader yet.
    unsafe {
        let registered = wanted && {
            put(at, CPU_ID_START, 0u32);
            put(at, CPU_ID, CPU_ID_UNINITIALIZED);
            put(at, RSEQ_CS, 0u64);
            put(at, FLAGS, 0u32);
            syscall6(NR_RSEQ, [at, area.registered_len, 0, RSEQ_SIG, 0, 0]) == 0
        };
        if !registered {
            put(at, CPU_ID, CPU_ID_REGISTRATION_FAILED);
        }
        *addr_of_mut!(super::__rseq_size) = if registered { area.used_size } else { 0 };
        *addr_of_mut!(super::__rseq_offset) = area.offset as i64;
        *addr_of_mut!(super::__rseq_flags) = 0;
        registered
    }
}

/// Writes a field of the area.
///
/// # Safety
/// `base + off` is writable and aligned for `T`.
unsafe fn put<T>(base: usize, off: usize, v: T) {
    // SAFETY: the caller's contract.
    unsafe { ((base + off) as *mut T).write_volatile(v) }
}
