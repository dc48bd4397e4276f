//! Everything that is x86_64 assembly: the entry point, the hand-over to the
//! program, raw system calls and the memory primitives the compiler expects.
//!
//! # Safety
//! The functions here are the boundary between Rust and the machine; each one
//! documents the contract its callers must keep.

use core::arch::{asm, global_asm};

// The kernel enters `_start` with %rsp pointing at argc (x86_64 psABI §3.4.1,
// "Initial Stack and Register State"), %rdx holding a function to register
// with atexit (0 from the kernel) and every other register unspecified.  We
// pass the stack pointer to Rust in %rdi, realign the stack to 16 bytes as
// the C ABI requires at a call, and clear %rbp so backtraces end here.
//
// `rtld_start` returns the program's entry point in %rax and the stack pointer
// to start it with in %rdx (a two-word struct is returned in %rax:%rdx).  We
// switch to that stack, put our fini routine in %rdx as the psABI asks of the
// dynamic linker, and jump.
global_asm!(
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "    xor %ebp, %ebp",
    "    mov %rsp, %rdi",
    "    and $-16, %rsp",
    "    call {start}",
    "    mov %rdx, %rsp",
    "    lea {fini}(%rip), %rdx",
    "    jmp *%rax",
    "    ud2",
    ".size _start, . - _start",
    start = sym crate::start::rtld_start,
    fini = sym crate::init::rtld_fini,
    options(att_syntax)
);

// The lazy-binding trampoline.  An object's PLT0 pushes GOT[1] (which we
// set to the object's index) and jumps to GOT[2] (this code); the PLT entry
// before it pushed the relocation index.  So on entry:
//     [rsp] = object index, [rsp+8] = relocation index, [rsp+16] = return address
// and every argument register still holds the caller's arguments for the
// function being bound.  We save them all — the six integer argument
// registers, %rax (the vector-register count of a variadic call) and the
// eight vector argument registers — call `lazy_fixup`, restore them, drop the
// two pushed words and jump to the function as if the caller had called it.
//
// Only %xmm0-7 are saved: ld-rs is compiled for baseline x86_64 (SSE2), and
// legacy SSE instructions leave the upper halves of %ymm/%zmm untouched, so
// the callee still receives any wider vector arguments intact.
global_asm!(
    ".globl ldrs_lazy_trampoline",
    ".hidden ldrs_lazy_trampoline",
    ".type ldrs_lazy_trampoline, @function",
    "ldrs_lazy_trampoline:",
    "    push %rbx",
    "    mov %rsp, %rbx",
    "    and $-16, %rsp",
    "    sub $192, %rsp",
    "    mov %rax, 0(%rsp)",
    "    mov %rcx, 8(%rsp)",
    "    mov %rdx, 16(%rsp)",
    "    mov %rsi, 24(%rsp)",
    "    mov %rdi, 32(%rsp)",
    "    mov %r8, 40(%rsp)",
    "    mov %r9, 48(%rsp)",
    "    movdqa %xmm0, 64(%rsp)",
    "    movdqa %xmm1, 80(%rsp)",
    "    movdqa %xmm2, 96(%rsp)",
    "    movdqa %xmm3, 112(%rsp)",
    "    movdqa %xmm4, 128(%rsp)",
    "    movdqa %xmm5, 144(%rsp)",
    "    movdqa %xmm6, 160(%rsp)",
    "    movdqa %xmm7, 176(%rsp)",
    "    mov 8(%rbx), %rdi",
    "    mov 16(%rbx), %rsi",
    "    call {fixup}",
    "    mov %rax, %r11",
    "    mov 0(%rsp), %rax",
    "    mov 8(%rsp), %rcx",
    "    mov 16(%rsp), %rdx",
    "    mov 24(%rsp), %rsi",
    "    mov 32(%rsp), %rdi",
    "    mov 40(%rsp), %r8",
    "    mov 48(%rsp), %r9",
    "    movdqa 64(%rsp), %xmm0",
    "    movdqa 80(%rsp), %xmm1",
    "    movdqa 96(%rsp), %xmm2",
    "    movdqa 112(%rsp), %xmm3",
    "    movdqa 128(%rsp), %xmm4",
    "    movdqa 144(%rsp), %xmm5",
    "    movdqa 160(%rsp), %xmm6",
    "    movdqa 176(%rsp), %xmm7",
    "    mov %rbx, %rsp",
    "    pop %rbx",
    "    add $16, %rsp",
    "    jmp *%r11",
    ".size ldrs_lazy_trampoline, . - ldrs_lazy_trampoline",
    fixup = sym crate::lazy::lazy_fixup,
    options(att_syntax)
);

// The TLS-descriptor resolver for a variable in a static TLS block
// (psABI §"TLS descriptors"; glibc's `_dl_tlsdesc_return`).  Code compiled with
// `-mtls-dialect=gnu2` calls the descriptor's first word with %rax pointing
// at the descriptor and expects the variable's offset from the thread pointer
// back in %rax, every other register preserved.  For a static block that
// offset is a constant, kept in the descriptor's second word.
global_asm!(
    ".globl ldrs_tlsdesc_return",
    ".hidden ldrs_tlsdesc_return",
    ".type ldrs_tlsdesc_return, @function",
    "ldrs_tlsdesc_return:",
    ".cfi_startproc",
    "    mov 8(%rax), %rax",
    "    ret",
    ".cfi_endproc",
    ".size ldrs_tlsdesc_return, . - ldrs_tlsdesc_return",
    options(att_syntax)
);

/// The address of the static-block TLS-descriptor resolver.
pub fn tlsdesc_return() -> usize {
    let addr: usize;
    // SAFETY: `lea` only computes an address.
    unsafe {
        asm!("lea ldrs_tlsdesc_return(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags));
    }
    addr
}

/// The address of the lazy-binding trampoline, for GOT[2].
pub fn lazy_trampoline() -> usize {
    let addr: usize;
    // SAFETY: `lea` only computes an address.
    unsafe {
        asm!("lea ldrs_lazy_trampoline(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags));
    }
    addr
}

/// The address of our own ELF header, computed PC-relatively: valid before
/// self-relocation because it needs no relocated data.
#[inline(always)]
pub fn own_ehdr() -> usize {
    let addr: usize;
    // SAFETY: `lea` only computes an address; `__ehdr_start` is defined by the
    // static linker for every ELF output whose first PT_LOAD maps the header.
    unsafe {
        asm!("lea __ehdr_start(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags));
    }
    addr
}

/// The time-stamp counter (`rdtsc`), for `LD_DEBUG=statistics`.
#[inline(always)]
pub fn cycles() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: `rdtsc` only reads the time-stamp counter.
    unsafe {
        asm!("rdtsc", out("eax") lo, out("edx") hi, options(nostack, nomem, preserves_flags));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// The address of our own entry point, `_start`.
#[inline(always)]
pub fn own_entry() -> usize {
    let addr: usize;
    // SAFETY: `lea` only computes an address.
    unsafe {
        asm!("lea _start(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags));
    }
    addr
}

/// The address of our own dynamic section, computed PC-relatively.
#[inline(always)]
pub fn own_dynamic() -> usize {
    let addr: usize;
    // SAFETY: as in `own_ehdr`; `_DYNAMIC` is defined by the static linker
    // for every output with a dynamic section, and ours has one (-shared).
    unsafe {
        asm!("lea _DYNAMIC(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags));
    }
    addr
}

/// A system call with up to six arguments; returns the raw kernel result
/// (negative errno on failure).
///
/// # Safety
/// The arguments must be valid for system call `nr`: pointers must point to
/// memory of the size and mutability the kernel will use.
#[inline(always)]
pub unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the caller vouches for the arguments; the `syscall` instruction
    // clobbers only %rcx, %r11 and %rax, which are declared.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
            in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack)
        );
    }
    ret
}

/// Calls a function that takes no arguments and returns an address: an IFUNC
/// resolver (psABI §5.2 says x86_64 resolvers get no arguments).
///
/// # Safety
/// `f` must be the address of such a function, in mapped and relocated code.
pub unsafe fn call_resolver(f: usize) -> usize {
    // SAFETY: the caller vouches that `f` is a resolver with this signature.
    let resolver: extern "C" fn() -> usize = unsafe { core::mem::transmute(f) };
    resolver()
}

/// Calls an initializer or finalizer: `DT_INIT_ARRAY` entries get
/// `(argc, argv, envp)` as glibc passes them; `DT_FINI_ARRAY` entries ignore them.
///
/// # Safety
/// `f` must be the address of a function in mapped and relocated code.
pub unsafe fn call_init(f: usize, argc: usize, argv: *const *const u8, envp: *const *const u8) {
    // SAFETY: the caller vouches that `f` is an init/fini function; passing
    // extra arguments to a function that takes none is harmless in the SysV ABI.
    let init: extern "C" fn(usize, *const *const u8, *const *const u8) = unsafe { core::mem::transmute(f) };
    init(argc, argv, envp);
}

// The compiler lowers struct copies and zeroing to calls to these symbols,
// which libc would provide.  `rep movsb`/`rep stosb` are fast on every CPU
// with ERMS and are written in assembly so the compiler cannot turn the body
// back into a call to itself.

/// # Safety
/// As C's `memcpy`: both ranges valid for `n` bytes and not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees the ranges; `rep movsb` copies forward.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dest => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
    }
    dest
}

/// # Safety
/// As C's `memmove`: both ranges valid for `n` bytes; they may overlap.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize).wrapping_sub(src as usize) >= n {
        // SAFETY: a forward copy is correct when dest does not start inside src.
        return unsafe { memcpy(dest, src, n) };
    }
    // SAFETY: copying backwards (direction flag set for the duration of the
    // instruction and cleared after, as the ABI requires) handles the overlap.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rcx") n => _,
             inout("rdi") dest.add(n).wrapping_sub(1) => _,
             inout("rsi") src.add(n).wrapping_sub(1) => _,
             options(nostack));
    }
    dest
}

/// # Safety
/// As C's `memset`: the range valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees the range.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dest => _, in("al") c as u8,
             options(nostack, preserves_flags));
    }
    dest
}

/// # Safety
/// As C's `memcmp`: both ranges valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // Eight bytes at a time (symbol names compared on the lookup path are
    // long and mostly equal); the last eight, or for a short range the last
    // four, read overlapping what was already found equal, so no range ends
    // in a byte loop.  In a differing word the first differing byte, the
    // lowest in memory, is the lowest set byte of the xor (little-endian).
    #[inline(always)]
    fn first_difference(x: u64, y: u64) -> i32 {
        let shift = (x ^ y).trailing_zeros() & !7;
        i32::from((x >> shift) as u8) - i32::from((y >> shift) as u8)
    }
    let word = |k: usize| {
        // SAFETY: every use below passes k + 8 <= n, and the caller
        // guarantees n readable bytes at both.
        unsafe {
            (
                (a.add(k) as *const u64).read_unaligned(),
                (b.add(k) as *const u64).read_unaligned(),
            )
        }
    };
    let half = |k: usize| {
        // SAFETY: every use below passes k + 4 <= n, and the caller
        // guarantees n readable bytes at both.
        unsafe {
            (
                u64::from((a.add(k) as *const u32).read_unaligned()),
                u64::from((b.add(k) as *const u32).read_unaligned()),
            )
        }
    };
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            let (x, y) = word(i);
            if x != y {
                return first_difference(x, y);
            }
            i += 8;
        }
        let (x, y) = word(n - 8);
        return if x != y { first_difference(x, y) } else { 0 };
    }
    if n >= 4 {
        for k in [0, n - 4] {
            let (x, y) = half(k);
            if x != y {
                return first_difference(x, y);
            }
        }
        return 0;
    }
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, and the caller guarantees n readable bytes at both.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// # Safety
/// As C's `strlen`: `s` points at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let rest: usize;
    // SAFETY: `repne scasb` scans forward until it finds the NUL the caller
    // guarantees; %rcx counts down from -1, so the length is !rcx - 1.
    unsafe {
        asm!("repne scasb", inout("rcx") usize::MAX => rest, inout("rdi") s => _, in("al") 0u8,
             options(nostack, readonly));
    }
    !rest - 1
}

/// # Safety
/// As C's `bcmp`: both ranges valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}
