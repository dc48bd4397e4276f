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
//! `AT_RSEQ_FEATURE_SIZE`, [`ExtraBlock`]), and `__rseq_size` reports the
//! kernel's feature size (28 on Linux 6.3 and later); the registration
//! ([`register_initial_thread`]) is the same.
//!
//! # Safety
//! Start-up only: the area is in the initial thread's descriptor, which
//! lives for the whole process, and the three statics are written before any
//! other code can read them.

use core::ptr::addr_of_mut;

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

/// `struct pthread`'s `rseq_area` in glibc 2.36 (from the generated table).
const RSEQ_AREA_2_36: usize = super::layouts::glibc_2_36_deb12::pthread::RSEQ_AREA.offset;

/// glibc 2.36: `struct pthread`'s `rseq_area`, registered with the original
/// ABI's length (`RSEQ_AREA_SIZE_INITIAL`), of which 20 bytes are used
/// (`RSEQ_AREA_SIZE_INITIAL_USED`).
pub const GLIBC_2_36: Area = Area {
    offset: RSEQ_AREA_2_36 as isize,
    registered_len: 32,
    used_size: 20,
};
const _: () =
    assert!(RSEQ_AREA_2_36.is_multiple_of(32) && super::layouts::glibc_2_36_deb12::pthread::RSEQ_AREA.size == 32);

/// `RSEQ_AREA_SIZE_INITIAL`: the least the `rseq` system call accepts.
const AREA_SIZE_INITIAL: usize = 32;
/// `RSEQ_AREA_SIZE_INITIAL_USED`: the original ABI's used part.
const AREA_SIZE_INITIAL_USED: usize = 20;
/// `RSEQ_MIN_ALIGN`.
const MIN_ALIGN: usize = 32;
/// `AT_RSEQ_FEATURE_SIZE` and `AT_RSEQ_ALIGN` (Linux 6.3).
const AT_RSEQ_FEATURE_SIZE: usize = 27;
const AT_RSEQ_ALIGN: usize = 28;

/// glibc 2.41's rseq area: an extra block of static TLS the loader reserves
/// after every module's block (sysdeps/unix/sysv/linux/dl-extra_tls.h),
/// sized from what the kernel says it fills.
#[derive(Clone, Copy)]
pub struct ExtraBlock {
    pub size: usize,
    pub align: usize,
    /// `_rseq_size`: the feature size the kernel reports, at least 20.
    feature_size: usize,
}

impl ExtraBlock {
    /// The block for this process: `roundup (MAX (_rseq_size, 32),
    /// _rseq_align)` bytes aligned to `_rseq_align` when rseq is wanted,
    /// the least area (32 bytes, 32-aligned) otherwise, because programs may
    /// still read its `cpu_id` (dl-parse_auxv.h, dl-extra_tls.h).
    ///
    /// # Safety
    /// `auxv` is the kernel's auxiliary vector, ending with `AT_NULL`; after
    /// the tunables are read.
    pub unsafe fn glibc_2_41(auxv: *const [usize; 2]) -> ExtraBlock {
        let (mut feature_size, mut align) = (0, 0);
        let mut p = auxv;
        // SAFETY: the caller's contract; the walk stops at AT_NULL.
        unsafe {
            while (*p)[0] != 0 {
                match (*p)[0] {
                    AT_RSEQ_FEATURE_SIZE => feature_size = (*p)[1],
                    AT_RSEQ_ALIGN => align = (*p)[1],
                    _ => {}
                }
                p = p.add(1);
            }
        }
        let feature_size = feature_size.max(AREA_SIZE_INITIAL_USED);
        let align = if align.is_power_of_two() {
            align.max(MIN_ALIGN)
        } else {
            MIN_ALIGN
        };
        if tunables::num(tunables::id::PTHREAD_RSEQ) != 0 {
            ExtraBlock {
                size: feature_size.max(AREA_SIZE_INITIAL).next_multiple_of(align),
                align,
                feature_size,
            }
        } else {
            ExtraBlock {
                size: AREA_SIZE_INITIAL,
                align: MIN_ALIGN,
                feature_size,
            }
        }
    }

    /// The area, once placed at `offset` from the thread pointer: registered
    /// with the feature size (at least 32 bytes), which `__rseq_size` reports.
    pub fn area(self, offset: isize) -> Area {
        Area {
            offset,
            registered_len: self.feature_size.max(AREA_SIZE_INITIAL),
            used_size: self.feature_size as u32,
        }
    }
}

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
