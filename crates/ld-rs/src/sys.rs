//! Typed wrappers over the Linux system calls the linker makes.
//!
//! Each wrapper turns the kernel's "negative errno" convention into a
//! `Result<usize, Errno>`.  Pointers go in as slices or references wherever the
//! kernel reads or writes a bounded buffer, so the wrappers are safe; the
//! memory-mapping calls stay `unsafe` because they change which addresses are
//! valid behind Rust's back.

use crate::arch::syscall6;

/// A kernel error number (`ENOENT`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    pub const ENOENT: Errno = Errno(2);
    pub const EINTR: Errno = Errno(4);

    /// The text glibc's loader gives this error in its messages, or `None`
    /// for `Error N`.  Its own small `strerror` (elf/dl-minimal.c) names
    /// only these six, so that the loader need not carry libc's whole list;
    /// libc's full texts appear only once libc formats an error (`dlerror`).
    pub fn text(self) -> Option<&'static [u8]> {
        Some(match self.0 {
            1 => b"Operation not permitted",
            2 => b"No such file or directory",
            5 => b"Input/output error",
            12 => b"Cannot allocate memory",
            13 => b"Permission denied",
            22 => b"Invalid argument",
            _ => return None,
        })
    }

    /// glibc's `strerrorname_np` for the errors `execve` gives, or `None`.
    pub fn name(self) -> Option<&'static [u8]> {
        Some(match self.0 {
            1 => b"EPERM",
            2 => b"ENOENT",
            5 => b"EIO",
            7 => b"E2BIG",
            8 => b"ENOEXEC",
            12 => b"ENOMEM",
            13 => b"EACCES",
            14 => b"EFAULT",
            20 => b"ENOTDIR",
            21 => b"EISDIR",
            22 => b"EINVAL",
            23 => b"ENFILE",
            24 => b"EMFILE",
            26 => b"ETXTBSY",
            36 => b"ENAMETOOLONG",
            40 => b"ELOOP",
            _ => return None,
        })
    }
}

pub type Result<T> = core::result::Result<T, Errno>;

mod nr {
    pub const WRITE: usize = 1;
    pub const CLOSE: usize = 3;
    pub const FSTAT: usize = 5;
    pub const MMAP: usize = 9;
    pub const MPROTECT: usize = 10;
    pub const MUNMAP: usize = 11;
    pub const PREAD64: usize = 17;
    pub const SCHED_YIELD: usize = 24;
    pub const GETPID: usize = 39;
    pub const GETCWD: usize = 79;
    pub const RENAME: usize = 82;
    pub const UNLINK: usize = 87;
    pub const GETUID: usize = 102;
    pub const EXECVE: usize = 59;
    pub const READLINK: usize = 89;
    pub const EXIT_GROUP: usize = 231;
    pub const OPENAT: usize = 257;
    pub const NEWFSTATAT: usize = 262;
}

fn check(ret: isize) -> Result<usize> {
    if (-4095..0).contains(&ret) {
        Err(Errno(-ret as i32))
    } else {
        Ok(ret as usize)
    }
}

fn call(nr: usize, a: [usize; 6]) -> Result<usize> {
    #[cfg(feature = "fail-inject")]
    if let Some(e) = crate::fail::inject(nr) {
        return Err(e);
    }
    // SAFETY: every caller in this module passes arguments valid for `nr`
    // (buffers come from live slices of the stated length).
    check(unsafe { syscall6(nr, a) })
}

pub const O_RDONLY: usize = 0;
pub const O_CLOEXEC: usize = 0o2000000;
pub const O_WRONLY: usize = 0o1;
pub const O_CREAT: usize = 0o100;
pub const O_APPEND: usize = 0o2000;
pub const O_NOFOLLOW: usize = 0o400000;
pub const O_EXCL: usize = 0o200;
const AT_FDCWD: isize = -100;

/// Opens a NUL-terminated path.
pub fn open(path: &CPath, flags: usize, mode: usize) -> Result<Fd> {
    call(
        nr::OPENAT,
        [AT_FDCWD as usize, path.as_ptr() as usize, flags | O_CLOEXEC, mode, 0, 0],
    )
    .map(|fd| Fd(fd as i32))
}

/// A NUL-terminated path: the bytes include the final NUL.
pub struct CPath<'a>(&'a [u8]);

impl<'a> CPath<'a> {
    /// A path put together from parts each known to hold no NUL (checked
    /// once, where they were made), with its final NUL: only that is checked.
    #[inline]
    pub fn from_clean_parts(bytes: &'a [u8]) -> Option<Self> {
        (bytes.last() == Some(&0)).then_some(CPath(bytes))
    }

    /// `bytes` must end with a NUL and contain no other.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        // `contains` on bytes is a word-at-a-time search (core's memchr).
        let (&last, rest) = bytes.split_last()?;
        (last == 0 && !rest.contains(&0)).then_some(CPath(bytes))
    }
    fn as_ptr(&self) -> *const u8 {
        self.0.as_ptr()
    }
}

/// `stat(2)` of a NUL-terminated path (following symbolic links).
pub fn stat_path(path: &CPath) -> Result<Stat> {
    let mut st = Stat::default();
    call(
        nr::NEWFSTATAT,
        [
            AT_FDCWD as usize,
            path.as_ptr() as usize,
            &mut st as *mut Stat as usize,
            0,
            0,
            0,
        ],
    )?;
    Ok(st)
}

/// `getpid(2)`.
pub fn getpid() -> u32 {
    call(nr::GETPID, [0; 6]).unwrap_or(0) as u32
}

/// `sched_yield(2)`: lets another thread run.
pub fn sched_yield() {
    let _ = call(nr::SCHED_YIELD, [0; 6]);
}

/// How many threads the process has (`num_threads` of `/proc/self/stat`),
/// or `None` if that cannot be read.
pub fn thread_count() -> Option<usize> {
    let path = CPath::new(b"/proc/self/stat\0")?;
    let fd = open(&path, O_RDONLY, 0).ok()?;
    let mut buf = [0u8; 1024];
    let n = fd.pread_full(&mut buf, 0).ok()?;
    // The command name (field 2) may hold anything but ends at the last ')';
    // `num_threads` is field 20, the 18th after it.
    let rest = &buf[buf[..n].iter().rposition(|&c| c == b')')? + 1..n];
    let field = rest.split(|&c| c == b' ').filter(|f| !f.is_empty()).nth(17)?;
    let mut count = 0usize;
    for &c in field {
        if !c.is_ascii_digit() {
            return None;
        }
        count = count.checked_mul(10)?.checked_add((c - b'0') as usize)?;
    }
    Some(count)
}

/// An open file descriptor, closed on drop.
pub struct Fd(pub i32);

impl Fd {
    pub fn raw(&self) -> i32 {
        self.0
    }

    /// Keeps the descriptor open for the rest of the process; returns it.
    pub fn leak(self) -> i32 {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }

    /// Reads at `offset` until `buf` is full or the file ends; returns the count.
    pub fn pread_full(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            match call(
                nr::PREAD64,
                [
                    self.0 as usize,
                    rest.as_mut_ptr() as usize,
                    rest.len(),
                    offset as usize + done,
                    0,
                    0,
                ],
            ) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    pub fn stat(&self) -> Result<Stat> {
        let mut st = Stat::default();
        call(nr::FSTAT, [self.0 as usize, &mut st as *mut Stat as usize, 0, 0, 0, 0])?;
        Ok(st)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        let _ = call(nr::CLOSE, [self.0 as usize, 0, 0, 0, 0, 0]);
    }
}

/// The kernel's `struct stat` for x86_64 (arch/x86/include/uapi/asm/stat.h).
#[repr(C)]
#[derive(Default)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    _pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    /// atime, mtime and ctime, each as seconds then nanoseconds.
    times: [u64; 6],
    _reserved: [i64; 3],
}

impl Stat {
    /// What tells one version of a file from another: where it is (device,
    /// inode), how long it is, and when its contents and its inode last
    /// changed.  Replacing a file, or writing it, changes at least one of
    /// these (the change time cannot be set by a user).
    pub fn file_id(&self) -> FileId {
        FileId {
            dev: self.st_dev,
            ino: self.st_ino,
            size: self.st_size as u64,
            mtime: [self.times[2], self.times[3]],
            ctime: [self.times[4], self.times[5]],
        }
    }
}

/// A file's identity ([`Stat::file_id`]).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: [u64; 2],
    pub ctime: [u64; 2],
}

impl FileId {
    /// The identity as seven words, in the order of its fields.
    pub fn words(&self) -> [u64; 7] {
        [
            self.dev,
            self.ino,
            self.size,
            self.mtime[0],
            self.mtime[1],
            self.ctime[0],
            self.ctime[1],
        ]
    }
}

pub const S_IFMT: u32 = 0o170000;
pub const S_IFDIR: u32 = 0o040000;

/// Writes all of `buf` to `fd` (short writes retried, errors ignored: there
/// is nobody left to report a failing stderr to).
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        match call(nr::WRITE, [fd as usize, buf.as_ptr() as usize, buf.len(), 0, 0, 0]) {
            Ok(0) => return,
            Ok(n) => buf = &buf[n.min(buf.len())..],
            Err(Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

/// `readlink(2)` of a NUL-terminated path; returns the length written.
pub fn readlink(path: &[u8], buf: &mut [u8]) -> Result<usize> {
    let Some(p) = CPath::new(path) else {
        return Err(Errno::ENOENT);
    };
    call(
        nr::READLINK,
        [p.as_ptr() as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

/// `execve(2)`: returns only if it fails.
///
/// # Safety
/// `argv` and `envp` are NULL-terminated arrays of NUL-terminated strings.
pub unsafe fn execve(path: &CPath, argv: *const *const u8, envp: *const *const u8) -> Errno {
    match call(
        nr::EXECVE,
        [path.as_ptr() as usize, argv as usize, envp as usize, 0, 0, 0],
    ) {
        Err(e) => e,
        Ok(_) => Errno(0),
    }
}

/// `getcwd(2)`; returns the length of the path (without its NUL).
pub fn getcwd(buf: &mut [u8]) -> Result<usize> {
    let n = call(nr::GETCWD, [buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0, 0])?;
    Ok(n.saturating_sub(1))
}

/// `rename(2)` of two NUL-terminated paths.
pub fn rename(from: &CPath, to: &CPath) -> Result<()> {
    call(nr::RENAME, [from.as_ptr() as usize, to.as_ptr() as usize, 0, 0, 0, 0]).map(|_| ())
}

/// `unlink(2)` of a NUL-terminated path.
pub fn unlink(path: &CPath) -> Result<()> {
    call(nr::UNLINK, [path.as_ptr() as usize, 0, 0, 0, 0, 0]).map(|_| ())
}

/// `getuid(2)`: the real user id.
pub fn getuid() -> u32 {
    call(nr::GETUID, [0; 6]).unwrap_or(u32::MAX as usize) as u32
}

/// `write(2)` of all of `buf`, reporting the first error.
pub fn write_fully(fd: &Fd, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        match call(nr::WRITE, [fd.0 as usize, buf.as_ptr() as usize, buf.len(), 0, 0, 0]) {
            Ok(0) => return Err(Errno(28)),
            Ok(n) => buf = &buf[n.min(buf.len())..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Ends the process at once, with every thread.
pub fn exit(status: i32) -> ! {
    loop {
        // SAFETY: exit_group takes a plain integer and does not return.
        unsafe {
            syscall6(nr::EXIT_GROUP, [status as usize, 0, 0, 0, 0, 0]);
        }
    }
}

pub const PROT_NONE: usize = 0;
pub const PROT_READ: usize = 1;
pub const PROT_WRITE: usize = 2;
pub const PROT_EXEC: usize = 4;
pub const MAP_PRIVATE: usize = 0x02;
pub const MAP_FIXED: usize = 0x10;
pub const MAP_ANONYMOUS: usize = 0x20;
pub const MAP_FIXED_NOREPLACE: usize = 0x100000;

/// `mmap(2)`.
///
/// # Safety
/// With `MAP_FIXED` the range is replaced: the caller must own it (it must
/// not hold anything Rust references).
pub unsafe fn mmap(addr: usize, len: usize, prot: usize, flags: usize, fd: i32, off: u64) -> Result<usize> {
    call(nr::MMAP, [addr, len, prot, flags, fd as isize as usize, off as usize])
}

/// `munmap(2)`.
///
/// # Safety
/// The range must not hold anything still referenced.
pub unsafe fn munmap(addr: usize, len: usize) -> Result<usize> {
    call(nr::MUNMAP, [addr, len, 0, 0, 0, 0])
}

/// `mprotect(2)`.
///
/// # Safety
/// Removing access must not break live references into the range.
pub unsafe fn mprotect(addr: usize, len: usize, prot: usize) -> Result<usize> {
    call(nr::MPROTECT, [addr, len, prot, 0, 0, 0])
}
