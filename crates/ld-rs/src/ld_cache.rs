//! `/etc/ld.so.cache` as the linker holds it: read when a search first
//! needs it, and let go again so that a `dlopen` sees what `ldconfig` wrote
//! since.
//!
//! # When the file is read
//! glibc's loader maps the cache on its first lookup and unmaps it at the
//! end of start-up and at the end of every `dlopen`, successful or not
//! (elf/rtld.c, elf/dl-open.c `_dl_unload_cache`): `ldconfig` replaces the
//! file by renaming a new one over it, so a mapping kept for the process's
//! life would go on answering from the old file, and a library installed
//! and registered after start-up could never be found through the cache.
//! A cache that was missing or unusable at its first lookup is never looked
//! for again, though: glibc remembers that failure for good, and so does
//! this record.
//!
//! The format and the choice among a soname's entries are `elf::cache`'s.

use crate::sys;

/// The cache file's state.
#[derive(Default)]
pub enum CacheFile {
    /// Not read since start-up began or since the last release.
    #[default]
    Unread,
    /// Missing or unusable at its first lookup: not looked for again.
    Unusable,
    /// Mapped (private, read-only) at `addr`, `len` bytes, and parsed.
    Mapped { addr: usize, len: usize },
}

impl CacheFile {
    /// The cache, read now if it is not mapped.
    pub fn get(&mut self) -> Option<elf::Cache<'_>> {
        if let CacheFile::Unread = self {
            *self = map().unwrap_or(CacheFile::Unusable);
        }
        let CacheFile::Mapped { addr, len } = *self else {
            return None;
        };
        // SAFETY: the mapping covers `len` bytes and stays until `release`,
        // which needs `&mut self` and so cannot run while the slice lives.
        let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, len) };
        elf::Cache::parse(bytes).ok()
    }

    /// Unmaps the cache, so that the next lookup reads the file again (the
    /// end of start-up and of each `dlopen`).  A cache found unusable stays so.
    pub fn release(&mut self) {
        if let CacheFile::Mapped { addr, len } = *self {
            // SAFETY: our own mapping; nothing borrows it (`&mut self`), and
            // lookups copy the paths they return.
            let _ = unsafe { sys::munmap(addr, len) };
            *self = CacheFile::Unread;
        }
    }
}

/// Maps the file and checks that it parses; `None` if it is missing, empty,
/// unreadable or not a cache glibc would use.
fn map() -> Option<CacheFile> {
    let file = sys::CPath::new(b"/etc/ld.so.cache\0")?;
    let fd = sys::open(&file, sys::O_RDONLY, 0).ok()?;
    let len = fd.stat().ok()?.st_size as usize;
    if len == 0 {
        return None;
    }
    // SAFETY: a new private read-only mapping of the whole file.
    let addr = unsafe { sys::mmap(0, len, sys::PROT_READ, sys::MAP_PRIVATE, fd.raw(), 0) }.ok()?;
    // SAFETY: the mapping covers `len` bytes.
    let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, len) };
    if elf::Cache::parse(bytes).is_err() {
        // SAFETY: our own mapping, not referenced by anything.
        let _ = unsafe { sys::munmap(addr, len) };
        return None;
    }
    Some(CacheFile::Mapped { addr, len })
}
