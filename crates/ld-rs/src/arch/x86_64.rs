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

// The profiling trampoline: GOT[2] of every object whose PLT calls audit
// modules watch (`la_x86_64_gnu_pltenter`, `la_x86_64_gnu_pltexit`;
// rtld-audit(7), glibc's <bits/link.h>).  Entered as the lazy one is, with
//     [rsp] = object index, [rsp+8] = relocation index, [rsp+16] = return address
// it fills a `La_x86_64_regs` (the argument registers, %rbp, the caller's
// stack pointer, %xmm0-7, and with AVX or AVX-512 the whole %ymm/%zmm0-7 in
// `lr_vector`) and calls `profile_enter`, which binds, lets the modules see
// and change the block, and returns the address to call and, in the word at
// 16(%rbx), how many bytes of stack arguments to copy for a call to be
// followed by `la_pltexit` (-1: none).  The registers are reloaded from the
// block: a vector register whose %xmm part a module changed in `lr_xmm`
// takes that value (upper part zero), else the whole `lr_vector` entry.
//
// Without an exit to report it jumps to the function, the stack as the
// caller left it.  Otherwise it copies that many bytes of the caller's stack
// arguments below its frame (rounded as glibc rounds, (size + 8) & -16)
// and calls the function, fills a
// `La_x86_64_retval` (%rax, %rdx, %xmm0-1, the two top x87 registers, the
// wide %ymm/%zmm0-1) for `profile_exit`, reloads the return registers from it
// (as above for the vectors) and returns to the caller.  %rbx holds the
// frame, so unwinding through the call finds the caller (the CFI says so).
//
// Frame, from %rbx: 0 saved %rbx, 8 %rax, 16 frame size, 24 the block's
// address, 32 object index, 40 relocation index, 48 return address, 56 the
// caller's stack arguments.  The register block (768 bytes, then a copy of
// %xmm0-7 to see what a module changed) is 64-byte aligned; the return block
// (240 bytes, then a copy of %xmm0-1) lies under it with its vectors aligned
// the same way.
//
// One trampoline per vector width, chosen once by what the CPU and kernel
// support (`profile_trampoline`), as glibc chooses among its three.
global_asm!(
    ".macro LDRS_VSAVE vec, at",
    "  .if \\vec == 1",
    "    .irp i, 0,1,2,3,4,5,6,7",
    "      vmovdqu %ymm\\i, (\\at + 64*\\i)(%rsp)",
    "    .endr",
    "  .elseif \\vec == 2",
    "    .irp i, 0,1,2,3,4,5,6,7",
    "      vmovdqu64 %zmm\\i, (\\at + 64*\\i)(%rsp)",
    "    .endr",
    "  .endif",
    ".endm",
    // Reloads vector register \i: from the xmm slot at \x if it differs from
    // the copy at \c, else the whole register from the vector slot at \v; the
    // other slot is made to agree.
    ".macro LDRS_VLOAD vec, i, x, c, v",
    "  .if \\vec == 0",
    "    movaps \\x(%rsp), %xmm\\i",
    "  .else",
    "    mov \\x(%rsp), %rsi",
    "    cmp \\c(%rsp), %rsi",
    "    jne 1f",
    "    mov (\\x + 8)(%rsp), %rsi",
    "    cmp (\\c + 8)(%rsp), %rsi",
    "    jne 1f",
    "    .if \\vec == 1",
    "      vmovdqu \\v(%rsp), %ymm\\i",
    "    .else",
    "      vmovdqu64 \\v(%rsp), %zmm\\i",
    "    .endif",
    "    vmovdqu %xmm\\i, \\x(%rsp)",
    "    jmp 2f",
    "1:  vmovdqu \\x(%rsp), %xmm\\i",
    "    vmovdqu %xmm\\i, \\v(%rsp)",
    "2:",
    "  .endif",
    ".endm",
    ".macro LDRS_PROFILE name, vec",
    ".globl \\name",
    ".hidden \\name",
    ".type \\name, @function",
    "\\name:",
    "  .cfi_startproc",
    "  .cfi_adjust_cfa_offset 16",
    "  sub $32, %rsp",
    "  .cfi_adjust_cfa_offset 32",
    "  mov %rbx, 0(%rsp)",
    "  .cfi_rel_offset %rbx, 0",
    "  mov %rax, 8(%rsp)",
    "  mov %rsp, %rbx",
    "  .cfi_def_cfa_register %rbx",
    "  and $-64, %rsp",
    "  sub $896, %rsp",
    "  mov %rsp, 24(%rbx)",
    "  mov %rdx, 0(%rsp)",
    "  mov %r8, 8(%rsp)",
    "  mov %r9, 16(%rsp)",
    "  mov %rcx, 24(%rsp)",
    "  mov %rsi, 32(%rsp)",
    "  mov %rdi, 40(%rsp)",
    "  mov %rbp, 48(%rsp)",
    "  lea 48(%rbx), %rax",
    "  mov %rax, 56(%rsp)",
    "  .irp i, 0,1,2,3,4,5,6,7",
    "    movaps %xmm\\i, (64 + 16*\\i)(%rsp)",
    "    movaps %xmm\\i, (768 + 16*\\i)(%rsp)",
    "  .endr",
    "  LDRS_VSAVE \\vec, 192",
    "  mov 32(%rbx), %rdi",
    "  mov 40(%rbx), %rsi",
    "  mov %rsp, %rdx",
    "  lea 16(%rbx), %rcx",
    "  call {enter}",
    "  mov %rax, %r11",
    "  .irp i, 0,1,2,3,4,5,6,7",
    "    LDRS_VLOAD \\vec, \\i, (64 + 16*\\i), (768 + 16*\\i), (192 + 64*\\i)",
    "  .endr",
    "  mov 0(%rsp), %rdx",
    "  mov 8(%rsp), %r8",
    "  mov 16(%rsp), %r9",
    "  mov 8(%rbx), %rax",
    "  mov 16(%rbx), %rcx",
    "  test %rcx, %rcx",
    "  jns \\name\\()_exit",
    "  mov 24(%rsp), %rcx",
    "  mov 32(%rsp), %rsi",
    "  mov 40(%rsp), %rdi",
    "  .cfi_remember_state",
    "  mov %rbx, %rsp",
    "  .cfi_def_cfa_register %rsp",
    "  mov 0(%rsp), %rbx",
    "  .cfi_restore %rbx",
    "  add $48, %rsp",
    "  .cfi_adjust_cfa_offset -48",
    "  jmp *%r11",
    "\\name\\()_exit:",
    "  .cfi_restore_state",
    "  add $8, %rcx",
    "  and $-16, %rcx",
    "  lea 56(%rbx), %rsi",
    "  sub %rcx, %rsp",
    "  mov %rsp, %rdi",
    "  rep movsb",
    "  mov 24(%rdi), %rcx",
    "  mov 32(%rdi), %rsi",
    "  mov 40(%rdi), %rdi",
    "  call *%r11",
    "  mov 24(%rbx), %rsp",
    "  sub $272, %rsp",
    "  mov %rax, 0(%rsp)",
    "  mov %rdx, 8(%rsp)",
    "  movaps %xmm0, 16(%rsp)",
    "  movaps %xmm1, 32(%rsp)",
    "  movaps %xmm0, 240(%rsp)",
    "  movaps %xmm1, 256(%rsp)",
    "  .if \\vec == 1",
    "    vmovdqu %ymm0, 80(%rsp)",
    "    vmovdqu %ymm1, 144(%rsp)",
    "  .elseif \\vec == 2",
    "    vmovdqu64 %zmm0, 80(%rsp)",
    "    vmovdqu64 %zmm1, 144(%rsp)",
    "  .endif",
    "  fstpt 48(%rsp)",
    "  fstpt 64(%rsp)",
    "  mov 32(%rbx), %rdi",
    "  mov 40(%rbx), %rsi",
    "  mov 24(%rbx), %rdx",
    "  mov %rsp, %rcx",
    "  call {exit}",
    "  mov 0(%rsp), %rax",
    "  mov 8(%rsp), %rdx",
    "  LDRS_VLOAD \\vec, 0, 16, 240, 80",
    "  LDRS_VLOAD \\vec, 1, 32, 256, 144",
    // What glibc's trampoline leaves in %rsi after its vector compare: a
    // program cannot rely on it, but tracers print it (sotruss shows three
    // argument registers of every call, whatever the function takes).
    "  .if \\vec != 0",
    "    xor %esi, %esi",
    "  .endif",
    "  fldt 64(%rsp)",
    "  fldt 48(%rsp)",
    "  mov %rbx, %rsp",
    "  .cfi_def_cfa_register %rsp",
    "  mov 0(%rsp), %rbx",
    "  .cfi_restore %rbx",
    "  add $48, %rsp",
    "  .cfi_adjust_cfa_offset -48",
    "  ret",
    "  .cfi_endproc",
    ".size \\name, . - \\name",
    ".endm",
    "LDRS_PROFILE ldrs_profile_sse, 0",
    "LDRS_PROFILE ldrs_profile_avx, 1",
    "LDRS_PROFILE ldrs_profile_avx512, 2",
    enter = sym crate::lazy::profile_enter,
    exit = sym crate::lazy::profile_exit,
    options(att_syntax)
);

/// The names of the audit modules' PLT hooks on this architecture.
pub const LA_PLTENTER: &[u8] = b"la_x86_64_gnu_pltenter";
pub const LA_PLTEXIT: &[u8] = b"la_x86_64_gnu_pltexit";

/// The vector registers a call may pass arguments in, as far as the CPU and
/// the kernel (XCR0) let programs use them: 0 %xmm, 1 %ymm (AVX), 2 %zmm
/// (AVX-512F).  Asked once: CPUID is slow under a hypervisor.
fn vector_width() -> u8 {
    use core::sync::atomic::{AtomicU8, Ordering};
    static WIDTH: AtomicU8 = AtomicU8::new(u8::MAX);
    let known = WIDTH.load(Ordering::Relaxed);
    if known != u8::MAX {
        return known;
    }
    let leaf1 = core::arch::x86_64::__cpuid(1);
    let osxsave = leaf1.ecx & (1 << 27) != 0;
    let avx = leaf1.ecx & (1 << 28) != 0;
    let width = if !osxsave || !avx {
        0
    } else {
        let (lo, _hi): (u32, u32);
        // SAFETY: XGETBV with ECX = 0 is valid when CPUID says OSXSAVE.
        unsafe {
            asm!("xgetbv", in("ecx") 0u32, out("eax") lo, out("edx") _hi, options(nostack, nomem, preserves_flags));
        }
        let leaf7 = core::arch::x86_64::__cpuid_count(7, 0);
        if lo & 0x6 != 0x6 {
            0
        } else if leaf7.ebx & (1 << 16) != 0 && lo & 0xe0 == 0xe0 {
            2
        } else {
            1
        }
    };
    WIDTH.store(width, Ordering::Relaxed);
    width
}

/// The address of the profiling trampoline for this CPU, for GOT[2].
pub fn profile_trampoline() -> usize {
    let addr: usize;
    // SAFETY: `lea` only computes an address.
    unsafe {
        match vector_width() {
            0 => {
                asm!("lea ldrs_profile_sse(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags))
            }
            1 => {
                asm!("lea ldrs_profile_avx(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags))
            }
            _ => {
                asm!("lea ldrs_profile_avx512(%rip), {}", out(reg) addr, options(att_syntax, nostack, pure, nomem, preserves_flags))
            }
        }
    }
    addr
}

/// The thread pointer (%fs base), read through the word the psABI's TLS
/// layout puts at its address: the address itself.  Only once the thread
/// pointer is set.
pub fn thread_pointer() -> usize {
    let tp: usize;
    // SAFETY: %fs:0 holds the thread pointer once TLS is set up (x86_64 psABI,
    // "Thread-Local Storage"); callers run after start-up set it.
    unsafe {
        asm!("mov %fs:0, {}", out(reg) tp, options(att_syntax, nostack, readonly, preserves_flags));
    }
    tp
}

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

// A catch frame for glibc's loader exceptions (`_dl_catch_exception`, in
// glibc/exports.rs): `ldrs_catch(env, operate, arg)` records the callee-saved
// registers, the stack pointer and its return address in `env` (8 words),
// calls `operate(arg)` and returns 0; `ldrs_throw(env)` restores them and
// returns 1 from that `ldrs_catch`, abandoning every frame above it.  Its
// caller sees an ordinary call that returned once, with the callee-saved
// registers it had, so nothing of its own frame is lost; what is lost is the
// frames of `operate` and its callees, which is why throwing is allowed only
// where no value with a destructor is live in them (see `glibc/dl.rs`).
global_asm!(
    ".globl ldrs_catch",
    ".hidden ldrs_catch",
    ".type ldrs_catch, @function",
    "ldrs_catch:",
    ".cfi_startproc",
    "    mov %rbx, 0(%rdi)",
    "    mov %rbp, 8(%rdi)",
    "    mov %r12, 16(%rdi)",
    "    mov %r13, 24(%rdi)",
    "    mov %r14, 32(%rdi)",
    "    mov %r15, 40(%rdi)",
    "    lea 8(%rsp), %rax",
    "    mov %rax, 48(%rdi)",
    "    mov (%rsp), %rax",
    "    mov %rax, 56(%rdi)",
    "    sub $8, %rsp",
    ".cfi_adjust_cfa_offset 8",
    "    mov %rdx, %rdi",
    "    call *%rsi",
    "    add $8, %rsp",
    ".cfi_adjust_cfa_offset -8",
    "    xor %eax, %eax",
    "    ret",
    ".cfi_endproc",
    ".size ldrs_catch, . - ldrs_catch",
    ".globl ldrs_throw",
    ".hidden ldrs_throw",
    ".type ldrs_throw, @function",
    "ldrs_throw:",
    "    mov 0(%rdi), %rbx",
    "    mov 8(%rdi), %rbp",
    "    mov 16(%rdi), %r12",
    "    mov 24(%rdi), %r13",
    "    mov 32(%rdi), %r14",
    "    mov 40(%rdi), %r15",
    "    mov 48(%rdi), %rsp",
    "    mov $1, %eax",
    "    jmp *56(%rdi)",
    ".size ldrs_throw, . - ldrs_throw",
    options(att_syntax)
);

/// What [`catch`] saves: enough to come back to its caller.
#[repr(C)]
pub struct CatchEnv([usize; 8]);

impl CatchEnv {
    pub const fn new() -> Self {
        CatchEnv([0; 8])
    }
}

extern "C" {
    fn ldrs_catch(env: *mut CatchEnv, operate: unsafe extern "C" fn(*mut u8), arg: *mut u8) -> i32;
    fn ldrs_throw(env: *const CatchEnv) -> !;
}

/// Calls `operate(arg)` with a catch frame in `env`: false if it returned,
/// true if something called [`throw`] with `env` meanwhile.
///
/// # Safety
/// `operate` may be called with `arg`.  `env` stays where it is until this
/// returns, and is thrown to only by the thread that runs `operate`.
pub unsafe fn catch(env: *mut CatchEnv, operate: unsafe extern "C" fn(*mut u8), arg: *mut u8) -> bool {
    // SAFETY: the caller's contract; ldrs_catch returns once, with the callee-saved
    // registers of this frame as they were at the call.
    unsafe { ldrs_catch(env, operate, arg) != 0 }
}

/// Returns to the [`catch`] that set up `env`, which returns true.
///
/// # Safety
/// `env` is the frame of a [`catch`] of this thread still running; no value
/// with a destructor is live in the frames between it and here.
pub unsafe fn throw(env: *const CatchEnv) -> ! {
    // SAFETY: the caller's contract.
    unsafe { ldrs_throw(env) }
}

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
// which libc would provide.  Short ranges (most: names, paths, small
// records) are copied by two possibly overlapping loads and stores of the
// largest width that fits, with no loop; longer ones by `rep movsq`/`rep
// stosq` and one overlapping word for the tail — in assembly or through
// fixed-width accesses, so the compiler cannot turn the body back into a
// call to itself.  (Callgrind counts each iteration of a `rep` instruction:
// eight bytes per iteration rather than one is what the benchmark sees.)

/// Copies `n` bytes, `size_of::<T>() <= n <= 2 * size_of::<T>()`, by one
/// unaligned `T` from each end (overlapping in the middle); both loads come
/// before the stores.
///
/// # Safety
/// Both ranges valid for `n` bytes, `n` within those bounds.
#[inline(always)]
unsafe fn copy_ends<T: Copy>(dest: *mut u8, src: *const u8, n: usize) {
    let w = core::mem::size_of::<T>();
    // SAFETY: `0 + w <= n` and `(n - w) + w = n`: both accesses lie in the
    // ranges the caller guarantees; unaligned accesses are used.
    unsafe {
        let (a, b) = (
            src.cast::<T>().read_unaligned(),
            src.add(n - w).cast::<T>().read_unaligned(),
        );
        dest.cast::<T>().write_unaligned(a);
        dest.add(n - w).cast::<T>().write_unaligned(b);
    }
}

/// # Safety
/// As C's `memcpy`: both ranges valid for `n` bytes and not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    use core::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_storeu_si128};
    // SAFETY: for every access below, the caller guarantees both ranges for
    // `n` bytes; each access lies inside them (its offset plus width is at
    // most `n`, by the size class it is in), and unaligned accesses are used.
    unsafe {
        if n <= 16 {
            if n >= 8 {
                copy_ends::<u64>(dest, src, n);
            } else if n >= 4 {
                copy_ends::<u32>(dest, src, n);
            } else if n >= 2 {
                copy_ends::<u16>(dest, src, n);
            } else if n == 1 {
                *dest = *src;
            }
        } else if n <= 32 {
            let a = _mm_loadu_si128(src.cast::<__m128i>());
            let b = _mm_loadu_si128(src.add(n - 16).cast::<__m128i>());
            _mm_storeu_si128(dest.cast::<__m128i>(), a);
            _mm_storeu_si128(dest.add(n - 16).cast::<__m128i>(), b);
        } else {
            // Whole words from the start, then the last eight bytes, read
            // first: `memmove` copies forward through here also when the
            // destination starts below an overlapping source.
            let tail = src.add(n - 8).cast::<u64>().read_unaligned();
            asm!("rep movsq", inout("rcx") n / 8 => _, inout("rdi") dest => _, inout("rsi") src => _,
                 options(nostack, preserves_flags));
            dest.add(n - 8).cast::<u64>().write_unaligned(tail);
        }
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
    let word = u64::from(c as u8) * 0x0101_0101_0101_0101;
    // SAFETY: for every store below, the caller guarantees the range for
    // `n` bytes; each store lies inside it (its offset plus width is at most
    // `n`, by the size class it is in), and unaligned stores are used.
    unsafe {
        if n >= 16 {
            dest.add(n - 8).cast::<u64>().write_unaligned(word);
            asm!("rep stosq", inout("rcx") n / 8 => _, inout("rdi") dest => _, in("rax") word,
                 options(nostack, preserves_flags));
        } else if n >= 8 {
            dest.cast::<u64>().write_unaligned(word);
            dest.add(n - 8).cast::<u64>().write_unaligned(word);
        } else if n >= 4 {
            dest.cast::<u32>().write_unaligned(word as u32);
            dest.add(n - 4).cast::<u32>().write_unaligned(word as u32);
        } else if n >= 2 {
            dest.cast::<u16>().write_unaligned(word as u16);
            dest.add(n - 2).cast::<u16>().write_unaligned(word as u16);
        } else if n == 1 {
            *dest = c as u8;
        }
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

/// C's `strcmp`, which the loader itself does not call: valgrind (3.20 and later) refuses to
/// start a program unless the object with the loader's soname defines `strcmp` in its
/// symbol table (it replaces the loader's string functions with its own); build.rs keeps it
/// through the linker's garbage collection.
///
/// # Safety
/// As C's `strcmp`: `a` and `b` point at NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn strcmp(a: *const u8, b: *const u8) -> i32 {
    let mut i = 0;
    loop {
        // SAFETY: both strings are NUL-terminated and the loop stops at the first NUL of
        // either (a difference or a common NUL), so every byte read is inside both.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y || x == 0 {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
}

/// # Safety
/// As C's `bcmp`: both ranges valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}
