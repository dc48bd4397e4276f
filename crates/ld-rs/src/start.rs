//! Start-up stages 1 and 2: self-relocation, then reading the initial stack.
//!
//! # The first instructions of a process
//! The kernel maps the program and its `PT_INTERP` (us), builds the initial
//! stack — argc, the argv pointers, a NULL, the envp pointers, a NULL, then
//! the auxiliary vector of (type, value) pairs ending with `AT_NULL` — and
//! jumps to our entry.  Nothing of ours is relocated at that point: every
//! static that holds an address (a vtable, a `&'static str` in a static, a
//! function pointer table) still holds its link-time value, which is wrong by
//! our load address.
//!
//! **Stage 1** (`relocate_self`) may therefore touch only the stack, its
//! arguments and memory it computes from PC-relative addresses.  It must not
//! panic (the panic machinery uses vtables) and must not format anything.
//! It applies our own `R_X86_64_RELATIVE` relocations (from `DT_RELA` and
//! `DT_RELR`; the link flags in build.rs guarantee there are no others) and
//! from then on Rust is Rust.
//!
//! **Stage 2** (`Startup::read`) decodes the initial stack into a `Startup`
//! record that the rest of the linker reads instead of raw pointers.
//!
//! # Safety
//! This module reads the initial stack through raw pointers: the kernel's
//! layout (execve, fs/binfmt_elf.c `create_elf_tables`) is the invariant.

use crate::arch;
use elf::consts::*;

/// What `_start` needs to start the program: where to jump, and the stack
/// pointer to jump with (returned in %rax:%rdx).
#[repr(C)]
pub struct Handover {
    pub entry: usize,
    pub sp: usize,
}

/// The Rust side of the entry point, called from `arch::_start` with the
/// initial stack pointer.
///
/// # Safety
/// `sp` must be the stack pointer the kernel started the process with.
pub unsafe extern "C" fn rtld_start(sp: *mut usize) -> Handover {
    // SAFETY: we are the first code to run; nothing has read a relocated static yet.
    unsafe { relocate_self() };
    // SAFETY: `sp` is the kernel's initial stack pointer (our caller's contract).
    let startup = unsafe { Startup::read(sp) };
    crate::rtld::run(startup)
}

/// Stage 1: applies our own relative relocations.
///
/// # Safety
/// Must run exactly once, before anything reads a pointer-holding static.
#[inline(never)]
unsafe fn relocate_self() {
    // Our first PT_LOAD has p_vaddr 0 (we are linked -shared), so the address
    // of our ELF header is our load bias.
    let base = arch::own_ehdr();
    let mut dynp = arch::own_dynamic() as *const [u64; 2];
    let (mut rela, mut relasz, mut relr, mut relrsz) = (0u64, 0u64, 0u64, 0u64);
    loop {
        // SAFETY: `_DYNAMIC` is our own mapped dynamic section, terminated by DT_NULL.
        let [tag, val] = unsafe { dynp.read() };
        // An if-chain, not a `match`: a jump table would be read from .rodata
        // through addresses we are about to relocate.
        if tag == DT_NULL as u64 {
            break;
        } else if tag == DT_RELA as u64 {
            rela = val;
        } else if tag == DT_RELASZ as u64 {
            relasz = val;
        } else if tag == DT_RELR as u64 {
            relr = val;
        } else if tag == DT_RELRSZ as u64 {
            relrsz = val;
        }
        // SAFETY: still inside the dynamic section, which ends with DT_NULL.
        dynp = unsafe { dynp.add(1) };
    }

    let mut r = (base + rela as usize) as *const [u64; 3];
    let end = (base + (rela + relasz) as usize) as *const [u64; 3];
    while r < end {
        // SAFETY: r walks our own .rela.dyn, mapped read-only at base + DT_RELA.
        let [offset, info, addend] = unsafe { r.read() };
        if info as u32 != R_X86_64_RELATIVE {
            // build.rs links with -Bsymbolic and exports nothing, so no other
            // type can be here; if the build ever changes that, stop loudly.
            // SAFETY: ud2 raises SIGILL; it touches no memory.
            unsafe { core::arch::asm!("ud2", options(noreturn)) }
        }
        // SAFETY: the static linker only emits relocations inside our writable segments.
        unsafe { ((base + offset as usize) as *mut usize).write(base.wrapping_add(addend as usize)) };
        // SAFETY: bounded by `end`.
        r = unsafe { r.add(1) };
    }

    // DT_RELR (a compact RELATIVE list): an even entry is the address of a word
    // to relocate and the new cursor; an odd entry is a bitmap of which of the
    // next 63 words after the cursor need relocating.
    let mut e = (base + relr as usize) as *const u64;
    let end = (base + (relr + relrsz) as usize) as *const u64;
    let mut cursor = 0usize;
    while e < end {
        // SAFETY: e walks our own .relr.dyn, bounded by DT_RELRSZ.
        let entry = unsafe { e.read() } as usize;
        if entry & 1 == 0 {
            let word = (base + entry) as *mut usize;
            // SAFETY: a RELR address entry names a word in our writable segments.
            unsafe { word.write(word.read().wrapping_add(base)) };
            cursor = base + entry + 8;
        } else {
            // Straight from one set bit to the next: our bitmaps are sparse
            // (about 440 words in 1,400 bit positions), and a test of every
            // bit cost three times the relocations themselves.
            let mut bits = entry >> 1;
            while bits != 0 {
                let word = (cursor as *mut usize).wrapping_add(bits.trailing_zeros() as usize);
                // SAFETY: bitmap bits name words after the cursor in our writable segments.
                unsafe { word.write(word.read().wrapping_add(base)) };
                bits &= bits - 1;
            }
            cursor += 63 * 8;
        }
        // SAFETY: bounded by `end`.
        e = unsafe { e.add(1) };
    }
}

/// The auxiliary vector entries the linker uses (0 when absent).
#[derive(Clone, Copy, Default)]
pub struct Aux {
    pub phdr: usize,
    pub phent: usize,
    pub phnum: usize,
    pub pagesz: usize,
    pub base: usize,
    pub entry: usize,
    pub secure: usize,
    pub random: usize,
    pub execfn: usize,
    pub sysinfo_ehdr: usize,
    pub platform: usize,
    pub hwcap: usize,
    pub hwcap2: usize,
    pub clktck: usize,
    pub minsigstksz: usize,
    pub uid: usize,
    pub euid: usize,
    pub gid: usize,
    pub egid: usize,
}

/// Stage 2's result: the process's initial stack, decoded.
pub struct Startup {
    /// The stack pointer the kernel gave us; the program gets the same one.
    pub sp: *mut usize,
    pub argc: usize,
    pub argv: *mut *const u8,
    pub envp: *mut *const u8,
    pub auxv: *mut [usize; 2],
    pub aux: Aux,
}

impl Startup {
    /// Decodes the initial stack.
    ///
    /// # Safety
    /// `sp` must point at argc of a kernel-built initial stack.
    pub unsafe fn read(sp: *mut usize) -> Startup {
        // SAFETY: the kernel's layout: argc, argv[argc], NULL, envp..., NULL, auxv.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *mut *const u8;
            let envp = argv.add(argc + 1);
            let mut p = envp;
            while !(*p).is_null() {
                p = p.add(1);
            }
            let auxv = p.add(1) as *mut [usize; 2];
            let aux = read_aux(auxv);
            Startup {
                sp,
                argc,
                argv,
                envp,
                auxv,
                aux,
            }
        }
    }

    /// argv[i] as bytes (without the NUL).
    pub fn arg(&self, i: usize) -> &'static [u8] {
        if i >= self.argc {
            return b"";
        }
        // SAFETY: i < argc, and argv[i] is a NUL-terminated string the kernel placed on the stack.
        unsafe { cstr(*self.argv.add(i)) }
    }

    /// Removes from the environment every entry whose name `drop` selects,
    /// moving the later entries down (the program sees the environment
    /// without them; the auxiliary vector stays where it is).
    pub fn remove_env(&mut self, drop: impl Fn(&[u8]) -> bool) {
        let mut from = self.envp;
        let mut to = self.envp;
        // SAFETY: envp is the kernel's NULL-terminated array on our stack;
        // `to` never passes `from`, so every write lands inside the array.
        unsafe {
            while !(*from).is_null() {
                let entry = cstr(*from);
                let name = entry.split(|&c| c == b'=').next().unwrap_or(entry);
                if !drop(name) {
                    *to = *from;
                    to = to.add(1);
                }
                from = from.add(1);
            }
            while to <= from {
                *to = core::ptr::null();
                to = to.add(1);
            }
        }
    }

    /// The environment strings, `NAME=value`.
    pub fn env(&self) -> EnvIter {
        EnvIter {
            p: self.envp,
            prefix: b"",
        }
    }

    /// The environment's entries that start with `prefix` (`LD_`): the
    /// others are passed over at their first differing byte, unmeasured.
    pub fn env_starting(&self, prefix: &'static [u8]) -> EnvIter {
        EnvIter { p: self.envp, prefix }
    }

    /// Removes the first `n` argv entries, as a kernel would have laid out the
    /// stack had it started the program directly: argc shrinks, and argv's
    /// tail, envp and auxv all move down `n` words, so the stack pointer (and
    /// its 16-byte alignment) stays where the kernel put it.
    ///
    /// # Safety
    /// Nothing may hold a pointer into the moved part of the stack.
    pub unsafe fn drop_args(&mut self, n: usize) {
        if n == 0 || n > self.argc {
            return;
        }
        // SAFETY: the region from argv[n] to the end of auxv is the kernel's stack;
        // we copy it down n words (overlapping, hence memmove semantics of `copy`).
        unsafe {
            let mut end = self.auxv;
            while (*end)[0] != AT_NULL as usize {
                end = end.add(1);
            }
            let end = end.add(1) as *mut usize;
            let from = self.argv.add(n) as *mut usize;
            let words = end.offset_from(from) as usize;
            core::ptr::copy(from, self.argv as *mut usize, words);
            self.argc -= n;
            *self.sp = self.argc;
            self.envp = self.envp.sub(n);
            self.auxv = (self.auxv as *mut usize).sub(n) as *mut [usize; 2];
        }
    }

    /// Rewrites the auxv entry of type `key` (if present) to `value`.
    pub fn set_aux(&mut self, key: u64, value: usize) {
        let mut p = self.auxv;
        // SAFETY: auxv is the kernel's, terminated by AT_NULL; we own the stack.
        unsafe {
            while (*p)[0] != AT_NULL as usize {
                if (*p)[0] == key as usize {
                    (*p)[1] = value;
                }
                p = p.add(1);
            }
        }
    }
}

/// Walks the environment block.
pub struct EnvIter {
    p: *mut *const u8,
    /// Only the entries that start with it.
    prefix: &'static [u8],
}

impl Iterator for EnvIter {
    type Item = &'static [u8];
    fn next(&mut self) -> Option<&'static [u8]> {
        // SAFETY: envp is NULL-terminated and each entry a NUL-terminated string.
        unsafe {
            loop {
                let s = *self.p;
                if s.is_null() {
                    return None;
                }
                self.p = self.p.add(1);
                if starts_with(s, self.prefix) {
                    return Some(cstr(s));
                }
            }
        }
    }
}

/// # Safety
/// `auxv` must point at a kernel auxiliary vector ending with AT_NULL.
unsafe fn read_aux(auxv: *const [usize; 2]) -> Aux {
    let mut aux = Aux::default();
    let mut p = auxv;
    loop {
        // SAFETY: within the vector until AT_NULL (caller's contract).
        let [key, val] = unsafe { *p };
        match key as u64 {
            AT_NULL => break,
            AT_PHDR => aux.phdr = val,
            AT_PHENT => aux.phent = val,
            AT_PHNUM => aux.phnum = val,
            AT_PAGESZ => aux.pagesz = val,
            AT_BASE => aux.base = val,
            AT_ENTRY => aux.entry = val,
            AT_SECURE => aux.secure = val,
            AT_RANDOM => aux.random = val,
            AT_EXECFN => aux.execfn = val,
            AT_SYSINFO_EHDR => aux.sysinfo_ehdr = val,
            AT_PLATFORM => aux.platform = val,
            AT_HWCAP => aux.hwcap = val,
            AT_HWCAP2 => aux.hwcap2 = val,
            AT_CLKTCK => aux.clktck = val,
            AT_MINSIGSTKSZ => aux.minsigstksz = val,
            AT_UID => aux.uid = val,
            AT_EUID => aux.euid = val,
            AT_GID => aux.gid = val,
            AT_EGID => aux.egid = val,
            _ => {}
        }
        // SAFETY: not yet at AT_NULL, so the next pair exists.
        p = unsafe { p.add(1) };
    }
    if aux.pagesz == 0 {
        aux.pagesz = 4096;
    }
    aux
}

/// True when the NUL-terminated string at `s` starts with `prefix` (which
/// holds no NUL): read only as far as the first byte that differs, so an
/// environment entry of no interest is passed over without being measured.
///
/// # Safety
/// `s` must point at a NUL-terminated string.
pub unsafe fn starts_with(s: *const u8, prefix: &[u8]) -> bool {
    // SAFETY: a byte of `s` is read only while the bytes before it equal
    // `prefix`'s, none of which is NUL: never past the string's NUL.
    prefix.iter().enumerate().all(|(i, &c)| unsafe { *s.add(i) } == c)
}

/// The bytes of a NUL-terminated string, without the NUL.
///
/// # Safety
/// `s` must point at a NUL-terminated string that lives for the rest of the process.
pub unsafe fn cstr(s: *const u8) -> &'static [u8] {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated (caller's contract).
    unsafe {
        while *s.add(n) != 0 {
            n += 1;
        }
        core::slice::from_raw_parts(s, n)
    }
}
