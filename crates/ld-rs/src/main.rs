//! ld-rs: a program interpreter (`ld.so`) for x86_64 Linux, without libc.
//!
//! The journey of a process through this crate, in order:
//! `arch::_start` → `start` (stage 1: relocate ourselves; stage 2: read the
//! initial stack) → `rtld::run` (the driver: `config`, `map`, `search`,
//! `dso`, `lookup`, `reloc`, `init`) → the program's entry point, and at exit
//! `init::rtld_fini`.  What start-up prints sits apart from that mechanism:
//! `usage` (`--help`, `--version`), `trace` and `tree` (`ldd`, `--list`),
//! `report` and `debug` (`LD_DEBUG`), `diag` and `explain` (errors).
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

extern crate alloc;

#[path = "arch/x86_64.rs"]
mod arch;
mod audit;
mod config;
mod debug;
mod diag;
mod dl;
mod dso;
mod explain;
#[cfg(feature = "fail-inject")]
mod fail;
mod glibc;
mod grace;
#[path = "alloc.rs"]
mod heap;
mod init;
mod launch;
mod lazy;
mod ld_cache;
mod lookup;
mod map;
mod namespace;
mod reloc;
mod report;
mod rtld;
mod search;
mod start;
mod sys;
mod table;
mod tls;
mod trace;
mod tree;
mod usage;

/// The C library personality: glibc's private contract.
fn runtime() -> glibc::Glibc {
    glibc::Glibc::default()
}

/// A panic is a bug in ld-rs (input errors are `Result`s): say so in one line
/// and exit with the loader's failure status, never unwind into the program.
/// The one panic that is not a bug is an allocation the kernel had no memory
/// for: that is glibc's "cannot allocate memory", written without allocating.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    if heap::OUT_OF_MEMORY.load(core::sync::atomic::Ordering::Relaxed) {
        sys::write_all(2, diag::progname());
        sys::write_all(2, b": error while loading shared libraries: cannot allocate memory\n");
    } else {
        sys::write_all(2, b"ld-rs.so: internal error (a bug in ld-rs)\n");
    }
    sys::exit(127)
}

/// The precompiled `alloc` crate was built for unwinding and names a
/// personality routine in its unwind tables.  With `panic = "abort"` nothing
/// ever unwinds, so the routine is never called; it only has to exist.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
