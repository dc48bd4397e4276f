//! `/etc/ld.so.cache`: the soname-to-path index that `ldconfig` writes and the linker consults
//! before searching the default directories.
//!
//! # The file format
//!
//! The format (glibc 2.36 `sysdeps/generic/dl-cache.h`, read by `elf/dl-cache.c`, written by
//! `elf/cache.c`) has two generations, and a file may hold both:
//!
//! ```text
//! old (libc5, glibc < 2.2)          new (glibc >= 2.2), 48-byte header
//! "ld.so-1.7.0"  11 bytes + pad 1   "glibc-ld.so.cache" "1.1"   20 bytes
//! nlibs          u32                nlibs, len_strings          u32, u32
//! entries        nlibs * 12 bytes   flags (endianness), pad      u8, 3 bytes
//!   flags i32, key u32, value u32   extension_offset            u32
//! strings                           unused                      3 * u32
//!                                   entries                     nlibs * 24 bytes
//!                                     flags i32, key u32, value u32,
//!                                     osversion u32, hwcap u64
//!                                   strings
//! ```
//!
//! From glibc 2.2 to 2.31 `ldconfig` wrote the old table followed, at the next 8-byte boundary,
//! by the new one, so that both generations of loader could read the file; since 2.32 it writes
//! the new format alone. A loader prefers the new table whenever it finds one. In the new table
//! `key` and `value` are offsets from the start of the *new header*; in the old one, from the end
//! of the old entries.
//!
//! Each entry maps a `key` (a soname such as `libc.so.6`) to a `value` (the path to load). The
//! `flags` say what kind of library it is: the low byte the type (3 = ELF, built for glibc), the
//! next byte the ABI — 0x03 = x86-64 — so the only entries an x86-64 linker may use carry exactly
//! `0x0303` (glibc `sysdeps/unix/sysv/linux/x86_64/dl-cache.h`). A nonzero `hwcap` marks an
//! optimised variant from a `glibc-hwcaps/` subdirectory (x86-64-v3 and so on), which glibc
//! weighs against the CPU; ld-rs does not choose variants and skips them, which is always safe
//! because the baseline entry for the same soname follows them.
//!
//! The entries are sorted by soname in *descending* order of glibc's `_dl_cache_libcmp`, which
//! compares runs of digits as numbers (so `libfoo.so.10` sorts after `libfoo.so.9`) and other
//! bytes as signed `char`s. A lookup is a binary search under that same order; a different order
//! would find nothing, so [`libcmp`] reproduces it exactly.
//!
//! # Trust
//!
//! The cache is written by root, but it is still a file that can be truncated or corrupt. Every
//! count is checked against the file's size, every string offset against the string table, and
//! the search is a plain bounded binary search: a corrupt file yields an error or "not found".

use core::cmp::Ordering;

use crate::error::{Error, Result};
use crate::pod;

const MAGIC_OLD: &[u8] = b"ld.so-1.7.0";
const MAGIC_NEW: &[u8] = b"glibc-ld.so.cache1.1";
/// `sizeof (struct cache_file)`: the old magic padded to 12 bytes, then `nlibs`.
const OLD_HEADER: usize = 16;
/// `sizeof (struct file_entry)`.
const OLD_ENTRY: usize = 12;
/// `sizeof (struct cache_file_new)`.
const NEW_HEADER: usize = 48;
/// `sizeof (struct file_entry_new)`.
const NEW_ENTRY: usize = 24;
/// Offset of the endianness byte in the new header.
const NEW_FLAGS: usize = 28;
/// `FLAG_ELF_LIBC6 | FLAG_X8664_LIB64`: the only entry kind an x86-64 loader uses.
pub const FLAG_X8664_LIBC6: i32 = 0x0303;

const CORRUPT: Error = Error("corrupt ld.so.cache");

/// A parsed `ld.so.cache`.
#[derive(Clone, Copy, Debug)]
pub struct Cache<'a> {
    /// The bytes string offsets are relative to, up to the end of the file.
    strings: &'a [u8],
    /// Exactly `nlibs` entries of `entry_size` bytes.
    entries: &'a [u8],
    /// `NEW_ENTRY` or `OLD_ENTRY`.
    entry_size: usize,
}

/// One decoded entry.
struct Entry {
    flags: i32,
    key: u32,
    value: u32,
    hwcap: u64,
}

impl<'a> Cache<'a> {
    /// Parses a cache file: new format, old format, or old followed by new (then the new table
    /// is used, as glibc does).
    pub fn parse(bytes: &'a [u8]) -> Result<Cache<'a>> {
        if bytes.starts_with(MAGIC_NEW) {
            return Self::parse_new(bytes);
        }
        if !bytes.starts_with(MAGIC_OLD) {
            return Err(Error("not an ld.so.cache file"));
        }
        let nlibs = count(bytes, OLD_HEADER - 4)?;
        let entries_len = nlibs.checked_mul(OLD_ENTRY).ok_or(CORRUPT)?;
        let entries_end = OLD_HEADER.checked_add(entries_len).ok_or(CORRUPT)?;
        let entries = bytes.get(OLD_HEADER..entries_end).ok_or(CORRUPT)?;
        // The new table, if present, starts at the next multiple of 8 (the alignment of its
        // 64-bit hwcap field) after the old entries.
        let new_start = entries_end.checked_next_multiple_of(8).ok_or(CORRUPT)?;
        match bytes.get(new_start..) {
            Some(new) if new.starts_with(MAGIC_NEW) => Self::parse_new(new),
            _ => Ok(Cache {
                strings: bytes.get(entries_end..).ok_or(CORRUPT)?,
                entries,
                entry_size: OLD_ENTRY,
            }),
        }
    }

    /// Parses a new-format table starting at `bytes[0]` and running to the end of the file.
    fn parse_new(bytes: &'a [u8]) -> Result<Cache<'a>> {
        let nlibs = count(bytes, MAGIC_NEW.len())?;
        let endian = *bytes.get(NEW_FLAGS).ok_or(CORRUPT)?;
        // 0: written before ldconfig recorded endianness; 2: little-endian. Otherwise the file
        // was written for another machine (3) or marked invalid (1).
        if endian != 0 && endian & 3 != 2 {
            return Err(Error("ld.so.cache has the wrong endianness"));
        }
        let entries_len = nlibs.checked_mul(NEW_ENTRY).ok_or(CORRUPT)?;
        let entries_end = NEW_HEADER.checked_add(entries_len).ok_or(CORRUPT)?;
        let entries = bytes.get(NEW_HEADER..entries_end).ok_or(CORRUPT)?;
        Ok(Cache {
            strings: bytes,
            entries,
            entry_size: NEW_ENTRY,
        })
    }

    /// The number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len() / self.entry_size
    }

    /// Whether the cache has no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`, which must be below [`Self::len`].
    fn entry(&self, i: usize) -> Option<Entry> {
        let at = i.checked_mul(self.entry_size)?;
        let raw = self.entries.get(at..at.checked_add(self.entry_size)?)?;
        Some(Entry {
            flags: pod::read_copy(raw, 0).ok()?,
            key: pod::read_copy(raw, 4).ok()?,
            value: pod::read_copy(raw, 8).ok()?,
            hwcap: if self.entry_size == NEW_ENTRY {
                pod::read_copy(raw, 16).ok()?
            } else {
                0
            },
        })
    }

    /// The NUL-terminated string at `offset` in the string table, without its NUL.
    fn string(&self, offset: u32) -> Option<&'a [u8]> {
        let rest = self.strings.get(usize::try_from(offset).ok()?..)?;
        Some(&rest[..rest.iter().position(|&b| b == 0)?])
    }

    /// The key of entry `i`, or `None` if the entry or its string is corrupt.
    fn key(&self, i: usize) -> Option<&'a [u8]> {
        self.string(self.entry(i)?.key)
    }

    /// The path recorded for `soname` for x86-64 glibc (`flags == 0x0303`), skipping
    /// `glibc-hwcaps` variants (`hwcap != 0`). Like glibc, the first usable entry for the name
    /// wins, and a corrupt string offset met during the search ends it with `None`.
    pub fn lookup(&self, soname: &[u8]) -> Option<&'a [u8]> {
        // Binary search for any entry whose key compares equal; the order is descending.
        let (mut lo, mut hi) = (0, self.len());
        let found = loop {
            if lo >= hi {
                return None;
            }
            let mid = lo + (hi - lo) / 2;
            match libcmp(soname, self.key(mid)?) {
                Ordering::Equal => break mid,
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
            }
        };
        // Equal keys are adjacent: back up to the first, then take the first usable one.
        let same = |i: usize| self.key(i).is_some_and(|k| libcmp(soname, k) == Ordering::Equal);
        let first = (0..found).rev().take_while(|&i| same(i)).last().unwrap_or(found);
        (first..self.len())
            .take_while(|&i| same(i))
            .filter_map(|i| self.entry(i))
            .filter(|e| e.flags == FLAG_X8664_LIBC6 && e.hwcap == 0)
            .find_map(|e| self.string(e.value))
    }

    /// Every entry as `(flags, key, value)`, in file order. Entries whose strings are out of
    /// range are left out.
    pub fn entries(&self) -> impl Iterator<Item = (i32, &'a [u8], &'a [u8])> + '_ {
        (0..self.len()).filter_map(|i| {
            let e = self.entry(i)?;
            Some((e.flags, self.string(e.key)?, self.string(e.value)?))
        })
    }
}

/// The `u32` entry count at `offset`.
fn count(bytes: &[u8], offset: usize) -> Result<usize> {
    let n: u32 = pod::read_copy(bytes, offset).map_err(|_| CORRUPT)?;
    usize::try_from(n).map_err(|_| CORRUPT)
}

/// glibc's `_dl_cache_libcmp`, the order `ldconfig` sorts by: runs of decimal digits compare as
/// numbers and sort after any other byte at the same position; other bytes compare as C `char`,
/// which is signed on x86-64. The ends of the slices act as NUL terminators.
pub fn libcmp(a: &[u8], b: &[u8]) -> Ordering {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0, 0);
    // Every pass advances `i` by at least one, so the loop ends within `a.len()` passes.
    loop {
        let (c1, c2) = (at(a, i), at(b, j));
        if c1 == 0 {
            return 0i8.cmp(&(c2 as i8));
        }
        match (c1.is_ascii_digit(), c2.is_ascii_digit()) {
            (true, true) => {
                let (n1, next_i) = number(a, i);
                let (n2, next_j) = number(b, j);
                if n1 != n2 {
                    return n1.cmp(&n2);
                }
                (i, j) = (next_i, next_j);
            }
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) if c1 != c2 => return (c1 as i8).cmp(&(c2 as i8)),
            (false, false) => (i, j) = (i + 1, j + 1),
        }
    }
}

/// The decimal number starting at `s[i]` and the index after it. Absurdly long digit runs
/// saturate instead of overflowing (glibc's `int` would overflow; no real soname gets close).
fn number(s: &[u8], i: usize) -> (u64, usize) {
    let digits = s.get(i..).unwrap_or(&[]);
    let len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    let value = digits[..len]
        .iter()
        .fold(0u64, |n, &c| n.saturating_mul(10).saturating_add(u64::from(c - b'0')));
    (value, i + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "/etc/ld.so.cache";

    #[test]
    fn libcmp_orders_numbers_numerically() {
        use Ordering::*;
        assert_eq!(libcmp(b"libc.so.6", b"libc.so.6"), Equal);
        assert_eq!(libcmp(b"libfoo.so.10", b"libfoo.so.9"), Greater);
        assert_eq!(libcmp(b"libfoo.so.01", b"libfoo.so.1"), Equal);
        assert_eq!(libcmp(b"liba.so", b"liba.so.1"), Less);
        assert_eq!(libcmp(b"liba.so.1", b"liba.so"), Greater);
        assert_eq!(libcmp(b"lib1", b"libx"), Greater); // digits sort after other bytes
        assert_eq!(libcmp(b"libx", b"lib1"), Less);
        assert_eq!(libcmp(b"lib\xc3", b"liba"), Less); // signed char
        assert_eq!(libcmp(b"", b""), Equal);
        assert_eq!(libcmp(b"9".repeat(40).as_slice(), b"9".repeat(41).as_slice()), Equal);
    }

    #[test]
    fn real_cache_finds_libc() {
        let bytes = std::fs::read(REAL).unwrap();
        let cache = Cache::parse(&bytes).unwrap();
        assert_eq!(
            cache.lookup(b"libc.so.6"),
            Some(&b"/lib/x86_64-linux-gnu/libc.so.6"[..])
        );
        assert_eq!(cache.lookup(b"libdoes-not-exist.so.1"), None);
        assert_eq!(cache.lookup(b""), None);
        assert!(cache.entries().count() == cache.len());
        // The file really is sorted in descending libcmp order, and every usable entry is found.
        let keys: Vec<&[u8]> = cache.entries().map(|(_, k, _)| k).collect();
        assert!(keys.windows(2).all(|w| libcmp(w[0], w[1]) != Ordering::Less));
        for (flags, key, _) in cache.entries() {
            if flags == FLAG_X8664_LIBC6 {
                assert!(cache.lookup(key).is_some(), "{}", String::from_utf8_lossy(key));
            }
        }
    }

    /// A new-format cache with the given `(flags, key, value, hwcap)` entries.
    fn synthetic(entries: &[(i32, &str, &str, u64)]) -> Vec<u8> {
        let strings_at = NEW_HEADER + entries.len() * NEW_ENTRY;
        let mut strings = Vec::new();
        let mut put = |s: &str| {
            let at = strings_at + strings.len();
            strings.extend_from_slice(s.as_bytes());
            strings.push(0);
            at as u32
        };
        let mut table = Vec::new();
        for &(flags, key, value, hwcap) in entries {
            table.extend_from_slice(&flags.to_le_bytes());
            table.extend_from_slice(&put(key).to_le_bytes());
            table.extend_from_slice(&put(value).to_le_bytes());
            table.extend_from_slice(&0u32.to_le_bytes());
            table.extend_from_slice(&hwcap.to_le_bytes());
        }
        let mut file = MAGIC_NEW.to_vec();
        file.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        file.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        file.push(2); // little-endian
        file.resize(NEW_HEADER, 0);
        file.extend_from_slice(&table);
        file.extend_from_slice(&strings);
        file
    }

    #[test]
    fn skips_hwcaps_and_foreign_entries() {
        let file = synthetic(&[
            (0x0303, "libz.so.1", "/z", 0),
            (0x0303, "libm.so.6", "/hwcaps/v3/libm.so.6", 1 << 62),
            (0x0803, "libm.so.6", "/x32/libm.so.6", 0),
            (0x0303, "libm.so.6", "/lib/libm.so.6", 0),
            (0x0303, "libm.so.6", "/second/libm.so.6", 0),
            (0x0303, "libc.so.6", "/lib/libc.so.6", 0),
            (0x0303, "liba.so.1", "/a", 0),
        ]);
        let cache = Cache::parse(&file).unwrap();
        assert_eq!(cache.lookup(b"libm.so.6"), Some(&b"/lib/libm.so.6"[..]));
        assert_eq!(cache.lookup(b"libc.so.6"), Some(&b"/lib/libc.so.6"[..]));
        assert_eq!(cache.lookup(b"libz.so.1"), Some(&b"/z"[..]));
        assert_eq!(cache.lookup(b"liba.so.1"), Some(&b"/a"[..]));
        assert_eq!(cache.lookup(b"libb.so.1"), None);
        assert_eq!(cache.entries().count(), 7);
    }

    #[test]
    fn old_format_and_old_followed_by_new() {
        // Old table: one entry, strings after it.
        let mut old = MAGIC_OLD.to_vec();
        old.push(0);
        old.extend_from_slice(&1u32.to_le_bytes());
        let strings = b"libq.so.1\0/old/libq.so.1\0";
        for v in [0x0303i32, 0, 10] {
            old.extend_from_slice(&v.to_le_bytes());
        }
        let mut only_old = old.clone();
        only_old.extend_from_slice(strings);
        let cache = Cache::parse(&only_old).unwrap();
        assert_eq!(cache.lookup(b"libq.so.1"), Some(&b"/old/libq.so.1"[..]));

        // Old table, padding to 8, then a new table: the new one wins.
        let mut both = old;
        both.resize(both.len().next_multiple_of(8), 0);
        both.extend_from_slice(&synthetic(&[(0x0303, "libq.so.1", "/new/libq.so.1", 0)]));
        let cache = Cache::parse(&both).unwrap();
        assert_eq!(cache.lookup(b"libq.so.1"), Some(&b"/new/libq.so.1"[..]));
    }

    #[test]
    fn corrupt_files_fail_cleanly() {
        let good = synthetic(&[(0x0303, "libc.so.6", "/libc", 0), (0x0303, "liba.so", "/a", 0)]);
        assert!(Cache::parse(b"").is_err());
        assert!(Cache::parse(b"garbage garbage garbage").is_err());
        // nlibs too large for the file.
        let mut bad = good.clone();
        bad[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Cache::parse(&bad).err(), Some(CORRUPT));
        // Big-endian marker.
        let mut bad = good.clone();
        bad[NEW_FLAGS] = 3;
        assert!(Cache::parse(&bad).is_err());
        // Key offsets out of range: not found, no panic.
        let mut bad = good.clone();
        bad[NEW_HEADER + 4..NEW_HEADER + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        bad[NEW_HEADER + 28..NEW_HEADER + 32].copy_from_slice(&u32::MAX.to_le_bytes());
        let cache = Cache::parse(&bad).unwrap();
        assert_eq!(cache.lookup(b"libc.so.6"), None);
        assert_eq!(cache.entries().count(), 0);
        // Value offset out of range: the entry is unusable.
        let mut bad = good.clone();
        bad[NEW_HEADER + 8..NEW_HEADER + 12].copy_from_slice(&0xffffu32.to_le_bytes());
        let cache = Cache::parse(&bad).unwrap();
        assert_eq!(cache.lookup(b"libc.so.6"), None);
        assert_eq!(cache.lookup(b"liba.so"), Some(&b"/a"[..]));
        // A string table without a final NUL.
        let mut bad = good.clone();
        bad.pop();
        let cache = Cache::parse(&bad).unwrap();
        assert_eq!(cache.lookup(b"liba.so"), None);
    }

    #[test]
    fn every_truncation_of_the_real_cache_is_safe() {
        let bytes = std::fs::read(REAL).unwrap();
        for len in 0..=bytes.len() {
            if let Ok(cache) = Cache::parse(&bytes[..len]) {
                let _ = cache.lookup(b"libc.so.6");
                let _ = cache.lookup(b"libzstd.so.1");
                let _ = cache.entries().count();
            }
        }
    }
}
