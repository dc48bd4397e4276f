//! The functions ld-rs exports because libc imports them from
//! `ld-linux-x86-64.so.2` (contract §1.1), and the function pointers it
//! publishes in `_rtld_global_ro` for libc's `dl*` entry points.
//!
//! Their names are glibc's, so each keeps the C name (`#[no_mangle]`); the
//! version script `ld-rs.map` assigns each its version node.
//!
//! # Safety
//! These functions are called by C code with C's contracts: each states what
//! the caller guarantees about its pointer arguments.

use alloc::vec::Vec;
use core::arch::global_asm;

use super::layout::{cur, DlException, DlFindObject, LinkMap, Members};
use crate::sys;

/// A block from our heap that C code frees through `dl_error_free`: the
/// size lives in the word before the returned pointer, so freeing needs no
/// layout from the caller.
fn alloc_c(len: usize) -> *mut u8 {
    let Ok(layout) = core::alloc::Layout::from_size_align(len + 8, 8) else {
        return core::ptr::null_mut();
    };
    // SAFETY: a non-zero-sized layout.
    let p = unsafe { alloc::alloc::alloc(layout) };
    if p.is_null() {
        return p;
    }
    // SAFETY: the block has room for the size word, then `len` bytes.
    unsafe {
        (p as *mut usize).write(len + 8);
        p.add(8)
    }
}

/// Frees a block from `alloc_c` (NULL is ignored).
///
/// # Safety
/// `p` is NULL or came from `alloc_c` and is not used again.
pub unsafe extern "C" fn dl_error_free(p: *mut u8) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` came from alloc_c, so the size word precedes it.
    unsafe {
        let base = p.sub(8);
        let size = (base as *const usize).read();
        alloc::alloc::dealloc(base, core::alloc::Layout::from_size_align_unchecked(size, 8));
    }
}

/// # Safety
/// `s` is a NUL-terminated string.
unsafe fn c_bytes<'a>(s: *const u8) -> &'a [u8] {
    if s.is_null() {
        return b"";
    }
    // SAFETY: the caller's contract; the string outlives this call.
    unsafe { crate::start::cstr(s) }
}

/// `_dl_exception_create(exc, objname, errstring)`: one buffer holding
/// "errstring\0objname\0", which libc frees through `GLRO(dl_error_free)`.
///
/// # Safety
/// `exc` points at a writable `struct dl_exception`; the strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn _dl_exception_create(exc: *mut DlException, objname: *const u8, errstring: *const u8) {
    // SAFETY: the caller's contract.
    let (obj, msg) = unsafe { (c_bytes(objname), c_bytes(errstring)) };
    let buf = alloc_c(msg.len() + obj.len() + 2);
    // SAFETY: `exc` is writable (caller); `buf` has room for both strings and NULs.
    unsafe {
        if buf.is_null() {
            (*exc).objname = c"".as_ptr() as *const u8;
            (*exc).errstring = c"out of memory".as_ptr() as *const u8;
            (*exc).message_buffer = core::ptr::null_mut();
            return;
        }
        core::ptr::copy_nonoverlapping(msg.as_ptr(), buf, msg.len());
        *buf.add(msg.len()) = 0;
        let o = buf.add(msg.len() + 1);
        core::ptr::copy_nonoverlapping(obj.as_ptr(), o, obj.len());
        *o.add(obj.len()) = 0;
        (*exc).errstring = buf;
        (*exc).objname = o;
        (*exc).message_buffer = buf;
    }
}

// `_dl_exception_create_format(exc, objname, fmt, ...)` is variadic: this shim
// lays the three register arguments after the format just below the caller's
// stack arguments (the return address moved out of the way), so the Rust half
// reads every integer argument from one array, and puts the return address
// back before returning to it.
global_asm!(
    ".globl _dl_exception_create_format",
    ".type _dl_exception_create_format, @function",
    "_dl_exception_create_format:",
    "    pop %r10",
    "    push %r9",
    "    push %r8",
    "    push %rcx",
    "    mov %rsp, %rcx",
    "    push %r10",
    "    call {imp}",
    "    pop %r10",
    "    add $24, %rsp",
    "    push %r10",
    "    ret",
    ".size _dl_exception_create_format, . - _dl_exception_create_format",
    imp = sym exception_create_format,
    options(att_syntax)
);

/// The Rust half of `_dl_exception_create_format`: the message formatted as
/// glibc's, which knows `%s`, `%%`, `%x` (an `unsigned int`, eight hex digits)
/// and `%lx`/`%zx` (sixteen), zero-padded; any other conversion is a fatal
/// error, as in glibc.
///
/// # Safety
/// As `_dl_exception_create`; `args` holds at least as many integer arguments
/// as `fmt` converts, each `%s` one a NUL-terminated string.
unsafe extern "C" fn exception_create_format(
    exc: *mut DlException,
    objname: *const u8,
    fmt: *const u8,
    args: *const u64,
) {
    // SAFETY: the caller's contract.
    let fmt = unsafe { c_bytes(fmt) };
    let mut next = 0;
    let mut arg = || {
        // SAFETY: the caller passed an argument for every conversion.
        let value = unsafe { args.add(next).read() };
        next += 1;
        value
    };
    let mut msg = alloc::vec::Vec::with_capacity(fmt.len() + 1);
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            msg.push(c);
            continue;
        }
        let conversion = fmt.get(i).copied().unwrap_or(0);
        i += 1;
        match conversion {
            // SAFETY: a `%s` argument is a NUL-terminated string (caller).
            b's' => msg.extend_from_slice(unsafe { c_bytes(arg() as usize as *const u8) }),
            b'%' => msg.push(b'%'),
            b'x' => push_hex(&mut msg, arg() & 0xffff_ffff, 8),
            b'l' | b'z' if fmt.get(i) == Some(&b'x') => {
                i += 1;
                push_hex(&mut msg, arg(), 16);
            }
            _ => {
                sys::write_all(2, b"Fatal error: invalid format in exception string\n");
                sys::exit(127)
            }
        }
    }
    msg.push(0);
    // SAFETY: `msg` is NUL-terminated; the rest is the caller's contract.
    unsafe { _dl_exception_create(exc, objname, msg.as_ptr()) }
}

/// Appends `value` in lowercase hexadecimal, zero-padded to `digits`.
fn push_hex(out: &mut alloc::vec::Vec<u8>, value: u64, digits: u32) {
    for shift in (0..digits).rev() {
        out.push(b"0123456789abcdef"[(value >> (shift * 4)) as usize & 0xf]);
    }
}

/// `_dl_exception_free`: releases the message and clears the record.
///
/// # Safety
/// `exc` points at a record filled by `_dl_exception_create`.
#[no_mangle]
pub unsafe extern "C" fn _dl_exception_free(exc: *mut DlException) {
    // SAFETY: the caller's contract; message_buffer came from alloc_c or is NULL.
    unsafe {
        dl_error_free((*exc).message_buffer);
        (*exc).objname = core::ptr::null();
        (*exc).errstring = core::ptr::null();
        (*exc).message_buffer = core::ptr::null_mut();
    }
}

// `_dl_fatal_printf(fmt, ...)` is variadic, which stable Rust cannot define:
// this shim spills the five register arguments after the format into an
// array and hands the array to Rust.  libc passes only `%s` conversions.
global_asm!(
    ".globl _dl_fatal_printf",
    ".type _dl_fatal_printf, @function",
    "_dl_fatal_printf:",
    "    sub $56, %rsp",
    "    mov %rsi, 0(%rsp)",
    "    mov %rdx, 8(%rsp)",
    "    mov %rcx, 16(%rsp)",
    "    mov %r8, 24(%rsp)",
    "    mov %r9, 32(%rsp)",
    "    mov %rsp, %rsi",
    "    call {imp}",
    "    ud2",
    ".size _dl_fatal_printf, . - _dl_fatal_printf",
    imp = sym fatal_printf,
    options(att_syntax)
);

/// The Rust half of `_dl_fatal_printf`: prints to stderr and exits 127.
///
/// # Safety
/// As `format`.
unsafe extern "C" fn fatal_printf(fmt: *const u8, args: *const usize) -> ! {
    // SAFETY: the caller's contract.
    let out = unsafe { format(fmt, args) };
    sys::write_all(2, out.bytes());
    sys::exit(127)
}

// `GLRO(dl_debug_printf)(fmt, ...)`, which libc calls for its own `LD_DEBUG`
// lines (`initialize program:`, `transferring control:`): the same spill as
// above, but it returns.
global_asm!(
    ".globl ldrs_debug_printf",
    ".hidden ldrs_debug_printf",
    ".type ldrs_debug_printf, @function",
    "ldrs_debug_printf:",
    "    sub $56, %rsp",
    "    mov %rsi, 0(%rsp)",
    "    mov %rdx, 8(%rsp)",
    "    mov %rcx, 16(%rsp)",
    "    mov %r8, 24(%rsp)",
    "    mov %r9, 32(%rsp)",
    "    mov %rsp, %rsi",
    "    call {imp}",
    "    add $56, %rsp",
    "    ret",
    ".size ldrs_debug_printf, . - ldrs_debug_printf",
    imp = sym debug_printf,
    options(att_syntax)
);

extern "C" {
    /// The variadic entry above (never called from Rust: its address goes to libc).
    pub fn ldrs_debug_printf();
}

/// The Rust half of `GLRO(dl_debug_printf)`: one tagged debug message.
///
/// # Safety
/// As `format`.
unsafe extern "C" fn debug_printf(fmt: *const u8, args: *const usize) {
    // SAFETY: the caller's contract.
    let out = unsafe { format(fmt, args) };
    crate::debug::print(out.bytes());
}

/// Formats a C format string with `%s`, `%d`, `%u`, `%x`, `%p` (with an
/// optional `l`/`z`), as glibc's `_dl_printf` family does.
///
/// # Safety
/// `fmt` is NUL-terminated; `args` holds five words, the `%s` ones pointing
/// at NUL-terminated strings.
unsafe fn format(fmt: *const u8, args: *const usize) -> crate::diag::Msg {
    // SAFETY: the caller's contract.
    let fmt = unsafe { c_bytes(fmt) };
    let mut out = crate::diag::Msg::new();
    let mut next = 0usize;
    let mut arg = || {
        // SAFETY: `args` has five words; beyond them we print nothing.
        let v = if next < 5 { unsafe { *args.add(next) } } else { 0 };
        next += 1;
        v
    };
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' || i >= fmt.len() {
            out = out.s(&[c]);
            continue;
        }
        while i < fmt.len() && matches!(fmt[i], b'l' | b'z' | b'0'..=b'9' | b'.' | b'*') {
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else { break };
        i += 1;
        out = match conv {
            // SAFETY: a %s argument is a NUL-terminated string (caller's contract).
            b's' => out.s(unsafe { c_bytes(arg() as *const u8) }),
            b'd' | b'i' => {
                let v = arg() as i64;
                if v < 0 {
                    out.s(b"-").dec(v.unsigned_abs())
                } else {
                    out.dec(v as u64)
                }
            }
            b'u' => out.dec(arg() as u64),
            b'x' | b'p' => out.hex(arg() as u64, 0),
            b'%' => out.s(b"%"),
            other => out.s(&[b'%', other]),
        };
    }
    out
}

// # Exceptions
// A loader error (a `dlopen` that cannot find its file, a `dlsym` of a missing
// name) is raised with `_dl_signal_error` or `_dl_signal_exception` and caught
// by the innermost `_dl_catch_exception` of the thread, which set up a catch
// frame around the operation that failed; dlerror's `_dl_catch_error` is one
// of those.  glibc 2.36's libc has its own copies of these functions, which
// interpose ours (before_init binds libc's), so in 2.36 ours are reached only
// by a direct reference.  From 2.37 on only the loader has them and libc
// imports them: the active frame is the thread's `struct pthread.rtld_catch`
// (elf/dl-catch.c).  `struct rtld_catch` is the loader's own business, so its
// shape here is ours.

/// A catch frame: where the exception goes and where to come back to.
#[repr(C)]
struct RtldCatch {
    exception: *mut DlException,
    errcode: i32,
    env: crate::arch::CatchEnv,
}

/// The calling thread's `rtld_catch` slot, if the running release has one.
fn catch_slot() -> Option<*mut *mut RtldCatch> {
    let off = cur().pd_rtld_catch?;
    // SAFETY: libc calls these functions from threads it set up, whose %fs
    // points at their descriptor (ld-rs set up the initial thread's).
    let pd = unsafe { super::tls::thread_self() };
    Some(pd.wrapping_add(off) as *mut *mut RtldCatch)
}

/// glibc's `fatal_error`: an exception nobody catches ends the process.
fn fatal_error(errcode: i32, objname: &[u8], occasion: &[u8], errstring: &[u8]) -> ! {
    let occ: &[u8] = if occasion.is_empty() {
        crate::diag::LOADING
    } else {
        occasion
    };
    let mut m = crate::diag::Msg::new()
        .s(crate::diag::progname())
        .s(b": ")
        .s(occ)
        .s(b": ")
        .s(objname);
    if !objname.is_empty() {
        m = m.s(b": ");
    }
    m = m.s(errstring);
    if errcode != 0 {
        m = match sys::Errno(errcode).text() {
            Some(t) => m.s(b": ").s(t),
            None => m.s(b": Error ").dec(errcode as u64),
        };
    }
    m.write_line(2);
    sys::exit(127)
}

/// `_dl_signal_error`: raises `objname`/`errstring` to the thread's active
/// catch, or ends the process if there is none.
///
/// # Safety
/// The strings are NUL-terminated or NULL; no value with a destructor is live
/// in the frames between the caller and the catch.
#[no_mangle]
pub unsafe extern "C" fn _dl_signal_error(
    errcode: i32,
    objname: *const u8,
    occasion: *const u8,
    errstring: *const u8,
) -> ! {
    let errstring = if errstring.is_null() {
        c"DYNAMIC LINKER BUG!!!".as_ptr() as *const u8
    } else {
        errstring
    };
    if let Some(slot) = catch_slot() {
        // SAFETY: the slot is NULL or the frame of a `_dl_catch_exception` of
        // this thread still running (it restores the slot before returning).
        unsafe {
            let c = *slot;
            if !c.is_null() {
                _dl_exception_create((*c).exception, objname, errstring);
                (*c).errcode = errcode;
                crate::arch::throw(core::ptr::addr_of!((*c).env));
            }
        }
    }
    // SAFETY: the caller's contract.
    let (obj, occ, msg) = unsafe { (c_bytes(objname), c_bytes(occasion), c_bytes(errstring)) };
    fatal_error(errcode, obj, occ, msg)
}

/// `_dl_signal_exception`: as `_dl_signal_error`, with the message in a
/// record (which the catch receives as it is).
///
/// # Safety
/// `exc` points at a filled `struct dl_exception`; as `_dl_signal_error`.
#[no_mangle]
pub unsafe extern "C" fn _dl_signal_exception(errcode: i32, exc: *const DlException, occasion: *const u8) -> ! {
    if let Some(slot) = catch_slot() {
        // SAFETY: as in `_dl_signal_error`; `exc` is readable (the caller's contract).
        unsafe {
            let c = *slot;
            if !c.is_null() {
                core::ptr::copy_nonoverlapping(exc, (*c).exception, 1);
                (*c).errcode = errcode;
                crate::arch::throw(core::ptr::addr_of!((*c).env));
            }
        }
    }
    // SAFETY: the caller's contract.
    let (obj, occ, msg) = unsafe { (c_bytes((*exc).objname), c_bytes(occasion), c_bytes((*exc).errstring)) };
    fatal_error(errcode, obj, occ, msg)
}

/// `_dl_catch_error`: `_dl_catch_exception`, the exception given back as
/// its strings (`malloced` if the message is a heap block the caller frees
/// through `GLRO(dl_error_free)`).
///
/// # Safety
/// `operate` may be called with `args`; the out-pointers are writable.
#[no_mangle]
pub unsafe extern "C" fn _dl_catch_error(
    objname: *mut *const u8,
    errstring: *mut *const u8,
    malloced: *mut bool,
    operate: unsafe extern "C" fn(*mut u8),
    args: *mut u8,
) -> i32 {
    let mut exc = DlException {
        objname: core::ptr::null(),
        errstring: core::ptr::null(),
        message_buffer: core::ptr::null_mut(),
    };
    // SAFETY: the caller's contract.
    let err = unsafe { _dl_catch_exception(&mut exc, operate, args) };
    // SAFETY: the caller's out-pointers are writable.
    unsafe {
        *objname = exc.objname;
        *errstring = exc.errstring;
        *malloced = !exc.message_buffer.is_null() && core::ptr::eq(exc.message_buffer, exc.errstring);
    }
    err
}

/// `_dl_catch_exception`: runs `operate(args)`; an exception raised meanwhile
/// by this thread lands in `exc` and its error code is returned (0 and a
/// cleared `exc` if none).  With `exc` NULL, exceptions inside are fatal.
///
/// # Safety
/// `operate` may be called with `args`; `exc` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn _dl_catch_exception(
    exc: *mut DlException,
    operate: unsafe extern "C" fn(*mut u8),
    args: *mut u8,
) -> i32 {
    let Some(slot) = catch_slot() else {
        // 2.36: nothing raised through ld.so's functions returns.
        // SAFETY: the caller's contract.
        unsafe { operate(args) };
        if !exc.is_null() {
            // SAFETY: the caller's out-pointer is writable.
            unsafe {
                core::ptr::write(
                    exc,
                    DlException {
                        objname: core::ptr::null(),
                        errstring: core::ptr::null(),
                        message_buffer: core::ptr::null_mut(),
                    },
                )
            };
        }
        return 0;
    };
    // SAFETY: the slot is this thread's; the frames installed in it are
    // restored before this function returns, so it never holds a dead frame.
    unsafe {
        let old = *slot;
        if exc.is_null() {
            *slot = core::ptr::null_mut();
            operate(args);
            *slot = old;
            return 0;
        }
        let mut frame = RtldCatch {
            exception: exc,
            errcode: 0,
            env: crate::arch::CatchEnv::new(),
        };
        let f: *mut RtldCatch = &mut frame;
        *slot = f;
        let thrown = crate::arch::catch(core::ptr::addr_of_mut!((*f).env), operate, args);
        *slot = old;
        if thrown {
            // The thrower wrote the exception and the code through `f`.
            return core::ptr::read_volatile(core::ptr::addr_of!((*f).errcode));
        }
        core::ptr::write(
            exc,
            DlException {
                objname: core::ptr::null(),
                errstring: core::ptr::null(),
                message_buffer: core::ptr::null_mut(),
            },
        );
        0
    }
}

/// `_dl_find_dso_for_object(addr)`: the link map of the object containing `addr`.
#[no_mangle]
pub extern "C" fn _dl_find_dso_for_object(addr: usize) -> *mut LinkMap {
    super::map_containing(addr).map_or(core::ptr::null_mut(), |(map, _)| map)
}

/// `_dl_find_object(pc, result)` behind `GLRO(dl_find_object)`: the object
/// containing `pc` and its `PT_GNU_EH_FRAME`, for the unwinder.
///
/// # Safety
/// `result` points at a writable `struct dl_find_object`.
pub unsafe extern "C" fn dl_find_object(pc: usize, result: *mut DlFindObject) -> i32 {
    let Some((map, eh_frame)) = super::map_containing(pc) else {
        return -1;
    };
    // SAFETY: `map` is one of our live records; `result` is writable (caller).
    unsafe {
        (*result).dlfo_flags = 0;
        (*result).dlfo_map_start = (*map).get(cur().lm.l_map_start);
        (*result).dlfo_map_end = (*map).get(cur().lm.l_map_end);
        (*result).dlfo_link_map = map;
        (*result).dlfo_eh_frame = eh_frame;
    }
    0
}

/// `Dl_serinfo`'s header (`<dlfcn.h>`): `dls_size`, `dls_cnt`, then
/// `dls_cnt` `Dl_serpath` records (`char *dls_name; unsigned dls_flags`, 16
/// bytes each) and the strings they point at.
const SERINFO_HEADER: usize = 16;
const SERPATH_SIZE: usize = 16;

/// `_dl_rtld_di_serinfo(map, info, counting)`: `dlinfo`'s
/// `RTLD_DI_SERINFOSIZE` (`counting`: how many directories and how many
/// bytes the answer takes) and `RTLD_DI_SERINFO` (the directories, written
/// into the caller's buffer of that size), for a search on behalf of `map`.
///
/// The figures follow glibc's exactly, as programs size their buffers from
/// them: a directory's name is stored without its trailing slash (`.` for
/// the current directory, `/` for the root) and counted with its NUL; every
/// `dls_flags` is 0, as glibc leaves it.
///
/// # Safety
/// `map` is one of our records; `info` points at a `Dl_serinfo` whose
/// `dls_cnt` and `dls_size` (when not `counting`) describe the buffer the
/// caller allocated after a counting call, as libc's `dlinfo` passes them.
#[no_mangle]
pub unsafe extern "C" fn _dl_rtld_di_serinfo(map: *mut LinkMap, info: *mut u8, counting: bool) {
    // SAFETY: `map` is NULL or one of our records (the caller's contract).
    let Some(id) = (unsafe { super::dl::dso_of(map) }) else {
        return;
    };
    let Some(ld) = crate::rtld::linker() else {
        return;
    };
    if ld.objs.get(id).is_none() {
        return;
    }
    // Each directory as reported: without its trailing slash, `/` for the
    // root and `.` for the current directory.
    let dirs: Vec<Vec<u8>> = ld
        .search_dirs(id)
        .into_iter()
        .map(|d| match d.len() {
            0 => b".".to_vec(),
            1 => b"/".to_vec(),
            n => d[..n - 1].to_vec(),
        })
        .collect();
    let size_at = info as *mut usize;
    let count_at = info.wrapping_add(8) as *mut u32;
    if counting {
        let strings: usize = dirs.iter().map(|d| d.len() + 1).sum();
        // SAFETY: `info` points at a writable `Dl_serinfo` header (caller).
        unsafe {
            size_at.write_unaligned(strings + SERINFO_HEADER + SERPATH_SIZE * dirs.len());
            count_at.write_unaligned(dirs.len() as u32);
        }
        return;
    }
    // The strings go after as many records as the caller counted.
    // SAFETY: as above.
    let counted = unsafe { count_at.read_unaligned() } as usize;
    let mut next = info.wrapping_add(SERINFO_HEADER + SERPATH_SIZE * counted);
    for (i, text) in dirs.iter().enumerate().take(counted) {
        let record = info.wrapping_add(SERINFO_HEADER + SERPATH_SIZE * i);
        // SAFETY: the caller's buffer holds `counted` records and the strings
        // counted for them (the figures of the counting call, computed from
        // the same directories).
        unsafe {
            (record as *mut usize).write_unaligned(next as usize);
            (record.wrapping_add(8) as *mut u32).write_unaligned(0);
            core::ptr::copy_nonoverlapping(text.as_ptr(), next, text.len());
            next.wrapping_add(text.len()).write(0);
        }
        next = next.wrapping_add(text.len() + 1);
    }
}

/// `_dl_audit_preinit`: libc's start, every initializer run, about to call
/// `main`: the audit modules' `la_preinit`.
#[no_mangle]
pub extern "C" fn _dl_audit_preinit(_main: *mut LinkMap) {
    if let Some(a) = crate::rtld::linker().and_then(|ld| ld.audit.as_deref_mut()) {
        a.preinit();
    }
}

/// `_dl_audit_symbind_alt`: `dlsym` found `sym` (of `result`'s symbol
/// table) for object `l`: the audit modules' `la_symbind64`, flagged
/// `LA_SYMB_DLSYM`; `*value` becomes what they return.
///
/// # Safety
/// `l` and `result` are link maps of ours (or null), `sym` a symbol of
/// `result`'s table and `value` writable, as libc's `dlsym` passes them.
#[no_mangle]
pub unsafe extern "C" fn _dl_audit_symbind_alt(
    l: *mut LinkMap,
    sym: *const elf::Sym,
    value: *mut usize,
    result: *mut LinkMap,
) {
    let Some(ld) = crate::rtld::linker() else { return };
    let Some(audit) = ld.audit.as_deref() else { return };
    // SAFETY: the caller's contract.
    let (Some(from), Some(def)) = (unsafe { super::dl::dso_of(l) }, unsafe { super::dl::dso_of(result) }) else {
        return;
    };
    if value.is_null() || sym.is_null() || ld.objs.get(from).is_none() || ld.objs.get(def).is_none() {
        return;
    }
    // SAFETY: the caller's contract.
    // SAFETY: the caller's contract: a symbol of the definer's table, which
    // lives as long as the definer.
    let sym: &'static elf::Sym = unsafe { &*sym };
    // SAFETY: the caller's contract.
    unsafe { *value = audit.symbind(ld, from, def, sym, *value, crate::audit::Via::Dlsym) };
}

/// `_dl_debug_state`: an empty function debuggers put a breakpoint on
/// (`r_brk`), called after each change to the link map.
#[no_mangle]
#[inline(never)]
pub extern "C" fn _dl_debug_state() {
    // SAFETY: an empty asm statement: it keeps this function's body distinct.
    unsafe { core::arch::asm!("", options(nomem, nostack, preserves_flags)) };
}

/// `_dl_mcount`: profiling is not supported.
#[no_mangle]
pub extern "C" fn _dl_mcount(_from: usize, _to: usize) {}

/// `_dl_x86_get_cpu_features`: the CPU features record in `_rtld_global_ro`.
#[no_mangle]
pub extern "C" fn _dl_x86_get_cpu_features() -> *const u8 {
    let ro = core::ptr::addr_of_mut!(super::_rtld_global_ro);
    // Only the member's address is taken.
    cur()
        .dl_x86_cpu_features
        .nth(0)
        .map_or(core::ptr::null(), |m| m.ptr(ro) as *const u8)
}

/// `__rtld_version_placeholder@GLIBC_2.34`: gives that version node a symbol.
#[no_mangle]
pub extern "C" fn __rtld_version_placeholder() {}

/// `GLRO(dl_libc_freeres)`: nothing to free at `__libc_freeres`.
pub extern "C" fn dl_libc_freeres() {}
