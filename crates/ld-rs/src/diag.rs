//! Diagnostics: building one line of output without `core::fmt`, and the
//! fatal start-up errors in glibc's words.
//!
//! glibc reports a start-up failure as one line,
//! `PROGRAM: OCCASION: OBJECT: MESSAGE[: strerror]`, and exits with status
//! 127.  People search the web for those exact words, so ld-rs prints the same
//! ones; anything it says beyond them is opt-in.

use alloc::vec::Vec;

use crate::sys;

/// A line of output under construction.
#[derive(Default)]
pub struct Msg {
    buf: Vec<u8>,
}

impl Msg {
    pub fn new() -> Msg {
        Msg {
            buf: Vec::with_capacity(128),
        }
    }

    pub fn s(mut self, bytes: &[u8]) -> Msg {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// `n` in decimal.
    pub fn dec(mut self, mut n: u64) -> Msg {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&digits[i..]);
        self
    }

    /// `n` in lower-case hexadecimal, zero-padded to `width` digits.
    /// ` [N]`: the namespace an object belongs to, as glibc's `LD_DEBUG`
    /// lines show it after a name.
    pub fn ns(self, ns: usize) -> Msg {
        self.s(b" [").dec(ns as u64).s(b"]")
    }

    pub fn hex(mut self, n: u64, width: usize) -> Msg {
        let mut digits = [0u8; 16];
        let mut i = digits.len();
        let mut v = n;
        loop {
            i -= 1;
            digits[i] = b"0123456789abcdef"[(v & 15) as usize];
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        for _ in (digits.len() - i)..width {
            self.buf.push(b'0');
        }
        self.buf.extend_from_slice(&digits[i..]);
        self
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Writes the line (adding the newline) to `fd` in one system call.
    pub fn write_line(mut self, fd: i32) {
        self.buf.push(b'\n');
        sys::write_all(fd, &self.buf);
    }
}

/// The name start-up errors are prefixed with: the program's argv[0], as
/// glibc's `_dl_argv[0]` (set once the command line is read).
static mut PROGNAME: &[u8] = b"ld-rs.so";

/// Sets the prefix of fatal messages.
pub fn set_progname(name: &'static [u8]) {
    // SAFETY: written only during single-threaded start-up, before any reader
    // can run concurrently.
    unsafe { *core::ptr::addr_of_mut!(PROGNAME) = name };
}

pub fn progname() -> &'static [u8] {
    // SAFETY: see set_progname; after start-up the value never changes.
    unsafe { *core::ptr::addr_of!(PROGNAME) }
}

/// A loader error: what failed, on which object, and why.
#[derive(Clone)]
pub struct LoadError {
    /// The occasion, e.g. "error while loading shared libraries" or "symbol lookup error".
    pub occasion: &'static [u8],
    /// The object it concerns (may be empty).
    pub object: Vec<u8>,
    /// What went wrong.
    pub message: Vec<u8>,
    /// The errno behind it, if any (printed as glibc's strerror text).
    pub errno: Option<sys::Errno>,
    /// The exit status glibc uses for this error.
    pub status: i32,
    /// What `LD_RS_EXPLAIN` needs to explain it (`explain.rs`); boxed, as
    /// errors travel by value and most have none.
    pub context: Option<alloc::boxed::Box<Context>>,
}

/// The facts behind an error that its one line does not hold.
#[derive(Clone)]
pub enum Context {
    /// A library not found, named by a `DT_NEEDED` entry of this object.
    Missing { from: crate::dso::DsoId },
    /// An undefined symbol referenced by this object.
    Undefined {
        from: crate::dso::DsoId,
        name: Vec<u8>,
        version: Option<Vec<u8>>,
    },
}

pub const LOADING: &[u8] = b"error while loading shared libraries";
pub const SYMBOL_LOOKUP: &[u8] = b"symbol lookup error";

impl LoadError {
    pub fn new(occasion: &'static [u8], object: &[u8], message: &[u8]) -> LoadError {
        LoadError {
            occasion,
            object: object.to_vec(),
            message: message.to_vec(),
            errno: None,
            status: 127,
            context: None,
        }
    }

    pub fn with_context(mut self, context: Context) -> LoadError {
        self.context = Some(alloc::boxed::Box::new(context));
        self
    }

    pub fn with_errno(mut self, errno: sys::Errno) -> LoadError {
        self.errno = Some(errno);
        self
    }

    /// Prints the error as glibc's `fatal_error` does and exits.
    pub fn die(&self) -> ! {
        let mut m = Msg::new()
            .s(progname())
            .s(b": ")
            .s(self.occasion)
            .s(b": ")
            .s(&self.object);
        if !self.object.is_empty() {
            m = m.s(b": ");
        }
        m = m.s(&self.message);
        if let Some(e) = self.errno {
            m = match e.text() {
                Some(text) => m.s(b": ").s(text),
                None => m.s(b": Error ").dec(e.0 as u64),
            };
        }
        m.write_line(2);
        crate::explain::after(self);
        sys::exit(self.status)
    }
}

/// `LD_SHOW_AUXV`: the auxiliary vector, one entry a line, in glibc's format
/// (a label padded to 22 columns, the value in the entry's own base).
pub fn show_auxv(st: &crate::start::Startup) {
    #[derive(Clone, Copy)]
    enum Kind {
        Dec,
        Hex,
        /// Hexadecimal without the `0x` (glibc prints AT_HWCAP this way).
        HexBare,
        Str,
    }
    use Kind::*;
    let describe = |key: usize| -> Option<(&'static [u8], Kind)> {
        Some(match key {
            2 => (b"EXECFD:", Dec),
            3 => (b"PHDR:", Hex),
            4 => (b"PHENT:", Dec),
            5 => (b"PHNUM:", Dec),
            6 => (b"PAGESZ:", Dec),
            7 => (b"BASE:", Hex),
            8 => (b"FLAGS:", Hex),
            9 => (b"ENTRY:", Hex),
            10 => (b"NOTELF:", HexBare),
            11 => (b"UID:", Dec),
            12 => (b"EUID:", Dec),
            13 => (b"GID:", Dec),
            14 => (b"EGID:", Dec),
            15 => (b"PLATFORM:", Str),
            16 => (b"HWCAP:", HexBare),
            17 => (b"CLKTCK:", Dec),
            18 => (b"FPUCW:", HexBare),
            19 => (b"DCACHEBSIZE:", Hex),
            20 => (b"ICACHEBSIZE:", Hex),
            21 => (b"UCACHEBSIZE:", Hex),
            23 => (b"SECURE:", Dec),
            24 => (b"BASE_PLATFORM:", Str),
            25 => (b"RANDOM:", Hex),
            26 => (b"HWCAP2:", Hex),
            31 => (b"EXECFN:", Str),
            32 => (b"SYSINFO:", Hex),
            33 => (b"SYSINFO_EHDR:", Hex),
            51 => (b"MINSIGSTKSZ:", Dec),
            _ => return None,
        })
    };
    let mut out = Msg::new();
    let mut p = st.auxv;
    // SAFETY: the auxiliary vector on the initial stack, terminated by AT_NULL.
    unsafe {
        while (*p)[0] != 0 {
            let [key, val] = *p;
            p = p.add(1);
            let Some((label, kind)) = describe(key) else {
                out = out
                    .s(b"AT_??? (0x")
                    .hex(key as u64, 0)
                    .s(b"): 0x")
                    .hex(val as u64, 0)
                    .s(b"\n");
                continue;
            };
            out = out.s(b"AT_").s(label);
            for _ in 3 + label.len()..22 {
                out = out.s(b" ");
            }
            out = match kind {
                Dec => out.dec(val as u64),
                Hex => out.s(b"0x").hex(val as u64, 0),
                HexBare => out.hex(val as u64, 0),
                Str if val != 0 => out.s(crate::start::cstr(val as *const u8)),
                Str => out,
            };
            out = out.s(b"\n");
        }
    }
    crate::sys::write_all(1, out.bytes());
}
