//! `ld-rs status`: whether the process running it was started by ld-rs.
//!
//! The loader of a process is the file mapped at `AT_BASE`, the address the kernel loaded
//! the program interpreter at. `/proc/self/maps` names that mapping by the path it was opened
//! under, which in `ld-rs run`'s namespace is glibc's path (ld-rs is mounted over it); its
//! device and inode numbers are those of the file really mapped, so they are what is
//! compared with the linker's. When the process was started by naming its loader on the
//! command line (`ld-rs.so ld-rs status`), there is no `AT_BASE` and the loader is the
//! executable itself.

use crate::{os_text, Error};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A mapped file's identity as `/proc/PID/maps` shows it: device (major, minor) and inode.
#[derive(Debug, PartialEq, Eq)]
struct FileId {
    major: u64,
    minor: u64,
    inode: u64,
}

/// Prints whether this process's loader is `linker`; fails with status 1 (after saying
/// which loader it is) when it is not.
pub fn report(linker: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(linker)
        .map_err(|err| Error::new(format!("cannot stat {}: {}", linker.display(), os_text(&err))))?;
    let want = FileId {
        major: libc::major(meta.dev()) as u64,
        minor: libc::minor(meta.dev()) as u64,
        inode: meta.ino(),
    };
    let (have, shown) = own_loader()?;
    if have == want {
        println!(
            "under ld-rs: this process's loader is {} (mapped as {shown})",
            linker.display()
        );
        Ok(())
    } else {
        println!(
            "not under ld-rs: this process's loader is {shown}, not {}",
            linker.display()
        );
        Err(Error {
            message: String::new(),
            status: 1,
        })
    }
}

/// The identity of this process's loader, and its path as the process sees it.
fn own_loader() -> Result<(FileId, String), Error> {
    // SAFETY: getauxval reads the auxiliary vector the kernel gave the process; it has no
    // preconditions.
    let base = unsafe { libc::getauxval(libc::AT_BASE) };
    if base == 0 {
        let meta = std::fs::metadata("/proc/self/exe")
            .map_err(|err| Error::new(format!("cannot stat /proc/self/exe: {}", os_text(&err))))?;
        let id = FileId {
            major: libc::major(meta.dev()) as u64,
            minor: libc::minor(meta.dev()) as u64,
            inode: meta.ino(),
        };
        let path = std::fs::read_link("/proc/self/exe")
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        return Ok((id, format!("{path} (named on the command line)")));
    }
    let maps = std::fs::read_to_string("/proc/self/maps")
        .map_err(|err| Error::new(format!("cannot read /proc/self/maps: {}", os_text(&err))))?;
    maps.lines().find_map(|line| parse_mapping(line, base)).ok_or_else(|| {
        Error::new(format!(
            "no mapping at the loader's address {base:#x} in /proc/self/maps"
        ))
    })
}

/// The identity and path of a `/proc/self/maps` line if its range holds `addr`.
fn parse_mapping(line: &str, addr: u64) -> Option<(FileId, String)> {
    let mut fields = line.split_ascii_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let (start, end) = (u64::from_str_radix(start, 16).ok()?, u64::from_str_radix(end, 16).ok()?);
    if !(start..end).contains(&addr) {
        return None;
    }
    let _perms = fields.next()?;
    let _offset = fields.next()?;
    let (major, minor) = fields.next()?.split_once(':')?;
    let inode = fields.next()?.parse().ok()?;
    let path = fields.collect::<Vec<_>>().join(" ");
    let id = FileId {
        major: u64::from_str_radix(major, 16).ok()?,
        minor: u64::from_str_radix(minor, 16).ok()?,
        inode,
    };
    Some((id, path))
}
