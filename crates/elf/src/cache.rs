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
//! `0x0303` (glibc `sysdeps/unix/sysv/linux/x86_64/dl-cache.h`).
//!
//! # Entries for particular hardware
//!
//! A nonzero `hwcap` marks a variant of a library built for better hardware than the baseline,
//! in one of two ways (glibc `elf/dl-cache.c` `search_cache`, `elf/cache.c`):
//!
//! - **`glibc-hwcaps` subdirectories** (glibc 2.33 and later): bit 62 set, the low 32 bits an
//!   index into the *hwcaps extension* — an array of string offsets naming the subdirectories
//!   (`x86-64-v3`, …) — and bits 32–41 the ISA level the library needs, which the CPU must
//!   support (x86: level `n` is bit `n` of glibc's `isa_1`). The loader ranks the names it
//!   searches (`--glibc-hwcaps-prepend`'s first, then the CPU's levels, best first) and takes,
//!   among a soname's entries, the one whose name ranks best; an entry whose name it does not
//!   search is not used. The extension sits at `extension_offset` (from the start of the file):
//!   a magic number, a count, then `{tag, flags, offset, size}` sections; tag 1 is the hwcaps
//!   array.
//! - **legacy hardware-capability subdirectories** (`tls/`, `x86_64/`, a platform name): the
//!   bits of the capabilities the directory names. Such an entry is used only if the loader
//!   allows every bit it has, and, if it names a platform, that is the running platform.
//!
//! `ldconfig` lists a soname's variants before its baseline entry, so the baseline is the
//! fallback, and a search stops at the first usable entry that is neither.
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
/// Offset of `extension_offset` in the new header.
const NEW_EXTENSION_OFFSET: usize = 32;
/// `cache_extension_magic`.
const EXTENSION_MAGIC: u32 = -358_342_284i32 as u32;
/// `sizeof (struct cache_extension)`: magic and count.
const EXTENSION_HEADER: usize = 8;
/// `sizeof (struct cache_extension_section)`.
const EXTENSION_SECTION: usize = 16;
/// `cache_extension_tag_glibc_hwcaps`.
const TAG_GLIBC_HWCAPS: u32 = 1;
/// `DL_CACHE_HWCAP_EXTENSION`: the entry is for a `glibc-hwcaps` subdirectory.
const HWCAP_EXTENSION: u64 = 1 << 62;
/// `DL_CACHE_HWCAP_ISA_LEVEL_MASK`: bits 32.. of such an entry hold its ISA level.
const HWCAP_ISA_LEVEL_MASK: u64 = (1 << 10) - 1;
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
    /// The `glibc-hwcaps` extension's array of string offsets (from the start of `file`), if
    /// the file has a well-formed one.
    hwcaps: &'a [u8],
    /// The whole file, which the extension's offsets are relative to.
    file: &'a [u8],
    /// One past the last NUL of `strings` (0 without one): a string starting before it ends
    /// inside the file.
    nul_end: usize,
}

/// What a lookup may choose among a soname's entries for particular hardware (see the module
/// documentation). [`Select::default`] chooses none: only baseline entries are used.
#[derive(Clone, Copy, Debug, Default)]
pub struct Select<'s> {
    /// The `glibc-hwcaps` subdirectory names the loader searches, best first.
    pub hwcaps: &'s [&'s [u8]],
    /// The ISA levels the CPU supports: bit `n` set, an entry needing level `n` may be used.
    pub isa_levels: u32,
    /// The legacy capability bits an entry may have; one with any other bit is skipped.
    pub legacy_allowed: u64,
    /// The bits of a legacy entry's `hwcap` that name a platform.
    pub platform_mask: u64,
    /// The running platform's bit among them (all ones: a platform the cache cannot name).
    pub platform: u64,
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
            return Self::parse_new(bytes, bytes);
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
            Some(new) if new.starts_with(MAGIC_NEW) => Self::parse_new(new, bytes),
            _ => {
                let strings = bytes.get(entries_end..).ok_or(CORRUPT)?;
                Ok(Cache {
                    strings,
                    entries,
                    entry_size: OLD_ENTRY,
                    hwcaps: &[],
                    file: bytes,
                    nul_end: nul_end(strings),
                })
            }
        }
    }

    /// Parses a new-format table starting at `bytes[0]` and running to the end of `file`.
    fn parse_new(bytes: &'a [u8], file: &'a [u8]) -> Result<Cache<'a>> {
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
            hwcaps: hwcaps_extension(bytes, file).unwrap_or(&[]),
            file,
            nul_end: nul_end(bytes),
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
        Some(&rest[..crate::symbols::nul_at(rest)?])
    }

    /// The key of entry `i`, or `None` if the entry or its string is corrupt.
    fn key(&self, i: usize) -> Option<&'a [u8]> {
        self.string(self.entry(i)?.key)
    }

    /// The key of entry `i` as `libcmp` compares it: when it starts before `nul_end` (one past
    /// the last NUL of the strings, so a NUL ends it) the bytes from its offset on,
    /// unmeasured, which `libcmp` reads only up to that NUL; otherwise the key, measured (and
    /// `None` without one).
    #[inline]
    fn key_to_compare(&self, i: usize, nul_end: usize) -> Option<&'a [u8]> {
        let offset = usize::try_from(self.entry(i)?.key).ok()?;
        if offset < nul_end {
            self.strings.get(offset..)
        } else {
            self.key(i)
        }
    }

    /// The path recorded for `soname` for x86-64 glibc (`flags == 0x0303`): the best-ranked
    /// `glibc-hwcaps` variant `select` allows, else the first usable other entry (a legacy
    /// variant `select` allows, or the baseline), as glibc's `search_cache` chooses. A corrupt
    /// string offset met during the binary search ends it with `None`.
    pub fn lookup(&self, soname: &[u8], select: &Select) -> Option<&'a [u8]> {
        // Binary search for any entry whose key compares equal; the order is descending.
        let nul_end = self.nul_end;
        let (mut lo, mut hi) = (0, self.len());
        let found = loop {
            if lo >= hi {
                return None;
            }
            let mid = lo + (hi - lo) / 2;
            match libcmp(soname, self.key_to_compare(mid, nul_end)?) {
                Ordering::Equal => break mid,
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
            }
        };
        // Equal keys are adjacent: back up to the first, then take the first usable one.
        let same = |i: usize| {
            self.key_to_compare(i, nul_end)
                .is_some_and(|k| libcmp(soname, k) == Ordering::Equal)
        };
        let first = (0..found).rev().take_while(|&i| same(i)).last().unwrap_or(found);
        let mut best: Option<(&'a [u8], usize)> = None;
        for e in (first..self.len())
            .take_while(|&i| same(i))
            .filter_map(|i| self.entry(i))
        {
            if e.flags != FLAG_X8664_LIBC6 {
                continue;
            }
            let Some(path) = self.string(e.value) else { continue };
            let named = self.entry_size == NEW_ENTRY && is_hwcaps_entry(e.hwcap);
            if named && !isa_level_supported(e.hwcap, select.isa_levels) {
                continue;
            }
            if !named && best.is_some() {
                // The variants come first: the best of them beats every later entry.
                break;
            }
            if !named && e.hwcap & !select.legacy_allowed != 0 {
                continue;
            }
            let platform = e.hwcap & select.platform_mask;
            if platform != 0 && platform != select.platform {
                continue;
            }
            if named {
                // Rank 0 is best; a name the loader does not search has none.
                let Some(rank) = self.hwcaps_rank(e.hwcap as u32, select) else {
                    continue;
                };
                if best.is_some_and(|(_, r)| rank >= r) {
                    continue;
                }
                best = Some((path, rank));
            } else {
                return Some(path);
            }
        }
        best.map(|(path, _)| path)
    }

    /// Where the `glibc-hwcaps` subdirectory at `index` of the extension ranks among those
    /// `select` searches (0: best), or `None` if it is not one of them.
    fn hwcaps_rank(&self, index: u32, select: &Select) -> Option<usize> {
        let at = usize::try_from(index).ok()?.checked_mul(4)?;
        let offset: u32 = pod::read_copy(self.hwcaps, at).ok()?;
        let rest = self.file.get(usize::try_from(offset).ok()?..)?;
        let name = &rest[..crate::symbols::nul_at(rest)?];
        select.hwcaps.iter().position(|&n| n == name)
    }

    /// The `glibc-hwcaps` subdirectory names the file's extension lists, in its order.
    pub fn hwcaps_names(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.hwcaps.chunks_exact(4).filter_map(|c| {
            let offset = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            let rest = self.file.get(usize::try_from(offset).ok()?..)?;
            Some(&rest[..crate::symbols::nul_at(rest)?])
        })
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

/// Whether an entry's `hwcap` marks a `glibc-hwcaps` subdirectory: bit 62 and, besides it,
/// nothing in the upper half but the ISA level.
fn is_hwcaps_entry(hwcap: u64) -> bool {
    (hwcap >> 32) & !HWCAP_ISA_LEVEL_MASK == HWCAP_EXTENSION >> 32
}

/// Whether the ISA level a `glibc-hwcaps` entry needs is one the CPU supports.
fn isa_level_supported(hwcap: u64, isa_levels: u32) -> bool {
    let level = (hwcap >> 32) & HWCAP_ISA_LEVEL_MASK;
    1u32.checked_shl(level as u32)
        .is_some_and(|bit| isa_levels & bit == bit)
}

/// The `glibc-hwcaps` section of the extension directory of the new-format table at `table`
/// (offsets relative to the start of `file`), checked as glibc checks it: the directory and
/// every section inside the file, the hwcaps section non-empty, 4-aligned and a multiple of 4
/// bytes. `None` when there is no usable one.
fn hwcaps_extension<'a>(table: &'a [u8], file: &'a [u8]) -> Option<&'a [u8]> {
    let at: u32 = pod::read_copy(table, NEW_EXTENSION_OFFSET).ok()?;
    let at = usize::try_from(at).ok()?;
    if at == 0 || at % 4 != 0 {
        return None;
    }
    let magic: u32 = pod::read_copy(file, at).ok()?;
    if magic != EXTENSION_MAGIC {
        return None;
    }
    let count: u32 = pod::read_copy(file, at.checked_add(4)?).ok()?;
    let first = at.checked_add(EXTENSION_HEADER)?;
    let end = usize::try_from(count)
        .ok()?
        .checked_mul(EXTENSION_SECTION)?
        .checked_add(first)?;
    let sections = file.get(first..end)?;
    let mut hwcaps = None;
    for s in sections.chunks_exact(EXTENSION_SECTION) {
        let word = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]) as usize;
        let (tag, offset, size) = (word(0), word(8), word(12));
        // One section outside the file makes the whole directory unusable.
        let data = file.get(offset..offset.checked_add(size)?)?;
        if tag == TAG_GLIBC_HWCAPS as usize {
            hwcaps = Some((offset, data));
        }
    }
    let (offset, data) = hwcaps?;
    (!data.is_empty() && offset % 4 == 0 && data.len() % 4 == 0).then_some(data)
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
    // The bytes both share compare equal, but for a number running on past them ("9" and
    // "91", "1" and "01"): the comparison starts at the first byte that differs, backed up
    // to the start of the run of digits it is in.
    let mut start = a.iter().zip(b).take_while(|&(x, y)| x == y && *x != 0).count();
    while start > 0 && a[start - 1].is_ascii_digit() {
        start -= 1;
    }
    let (mut i, mut j) = (start, start);
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

/// One past the last NUL of `bytes`, 0 without one. The file ends with ldconfig's name and
/// version, unterminated, so the search from the end looks at eight bytes at a time: in a word,
/// `!(((w & 0x7f…7f) + 0x7f…7f) | w | 0x7f…7f)` has exactly the top bit of each zero byte set
/// (no carry crosses a byte), and the highest is the last NUL.
fn nul_end(bytes: &[u8]) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut end = bytes.len();
    while let Some(chunk) = end
        .checked_sub(8)
        .and_then(|start| bytes[start..end].first_chunk::<8>())
    {
        let w = u64::from_le_bytes(*chunk);
        let zeros = !(((w & LOW7).wrapping_add(LOW7)) | w | LOW7);
        if zeros != 0 {
            return end - 8 + (63 - zeros.leading_zeros() as usize) / 8 + 1;
        }
        end -= 8;
    }
    bytes[..end].iter().rposition(|&b| b == 0).map_or(0, |p| p + 1)
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
    /// A lookup that uses baseline entries only.
    const BASE: Select = Select {
        hwcaps: &[],
        isa_levels: 0,
        legacy_allowed: 0,
        platform_mask: 0,
        platform: 0,
    };

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
        // A shared prefix that ends inside a number.
        assert_eq!(libcmp(b"x91", b"x900"), Less);
        assert_eq!(libcmp(b"x12a", b"x123"), Less);
        assert_eq!(libcmp(b"lib.so.10", b"lib.so.010"), Equal);
        assert_eq!(libcmp(b"lib.so.10x", b"lib.so.010y"), Less);
        // A key read past its NUL (see `key_to_compare`).
        assert_eq!(libcmp(b"libc.so.6", b"libc.so.6\0libm"), Equal);
        assert_eq!(libcmp(b"libc.so", b"libc.so.6\0"), Less);
        assert_eq!(libcmp(b"libc.so.6", b"libc.so\0.6"), Greater);
        assert_eq!(libcmp(b"9".repeat(40).as_slice(), b"9".repeat(41).as_slice()), Equal);
    }

    /// `libcmp` from the first byte, as glibc's `_dl_cache_libcmp` compares.
    fn libcmp_from_the_start(a: &[u8], b: &[u8]) -> Ordering {
        let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
        let (mut i, mut j) = (0, 0);
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

    #[test]
    fn libcmp_skips_the_shared_prefix_without_changing_the_order() {
        let alphabet = [b'a', b'0', b'1', b'9', b'.', 0];
        let mut words: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=4 {
            let mut all = Vec::new();
            for k in 0..alphabet.len().pow(len) {
                let mut w = Vec::new();
                let mut x = k;
                for _ in 0..len {
                    w.push(alphabet[x % alphabet.len()]);
                    x /= alphabet.len();
                }
                all.push(w);
            }
            words.extend(all);
        }
        for a in &words {
            for b in &words {
                assert_eq!(libcmp(a, b), libcmp_from_the_start(a, b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn nul_end_finds_the_last_nul() {
        for len in 0..40 {
            for nul in (0..len).chain([usize::MAX]) {
                for second in (0..len).chain([usize::MAX]) {
                    let mut bytes: Vec<u8> = (0..len).map(|i| [1, 0x80, 0xff, b'a'][i % 4]).collect();
                    for at in [nul, second] {
                        if let Some(b) = bytes.get_mut(at) {
                            *b = 0;
                        }
                    }
                    let want = bytes.iter().rposition(|&b| b == 0).map_or(0, |p| p + 1);
                    assert_eq!(nul_end(&bytes), want, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn real_cache_finds_libc() {
        let bytes = std::fs::read(REAL).unwrap();
        let cache = Cache::parse(&bytes).unwrap();
        assert_eq!(
            cache.lookup(b"libc.so.6", &BASE),
            Some(&b"/lib/x86_64-linux-gnu/libc.so.6"[..])
        );
        assert_eq!(cache.lookup(b"libdoes-not-exist.so.1", &BASE), None);
        assert_eq!(cache.lookup(b"", &BASE), None);
        assert!(cache.entries().count() == cache.len());
        // The file really is sorted in descending libcmp order, and every usable entry is found.
        let keys: Vec<&[u8]> = cache.entries().map(|(_, k, _)| k).collect();
        assert!(keys.windows(2).all(|w| libcmp(w[0], w[1]) != Ordering::Less));
        for (flags, key, _) in cache.entries() {
            if flags == FLAG_X8664_LIBC6 {
                assert!(cache.lookup(key, &BASE).is_some(), "{}", String::from_utf8_lossy(key));
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

    /// [`synthetic`] with a `glibc-hwcaps` extension naming `names` (in that order) appended.
    fn with_hwcaps(entries: &[(i32, &str, &str, u64)], names: &[&str]) -> Vec<u8> {
        let mut file = synthetic(entries);
        let mut offsets = Vec::new();
        for n in names {
            offsets.push(file.len() as u32);
            file.extend_from_slice(n.as_bytes());
            file.push(0);
        }
        file.resize(file.len().next_multiple_of(4), 0);
        let array_at = file.len() as u32;
        for o in &offsets {
            file.extend_from_slice(&o.to_le_bytes());
        }
        let ext_at = file.len() as u32;
        file.extend_from_slice(&EXTENSION_MAGIC.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        for v in [TAG_GLIBC_HWCAPS, 0, array_at, 4 * names.len() as u32] {
            file.extend_from_slice(&v.to_le_bytes());
        }
        file[NEW_EXTENSION_OFFSET..NEW_EXTENSION_OFFSET + 4].copy_from_slice(&ext_at.to_le_bytes());
        file
    }

    /// The `hwcap` of an entry for hwcaps subdirectory `index` needing ISA level `level`.
    fn named(index: u64, level: u64) -> u64 {
        HWCAP_EXTENSION | level << 32 | index
    }

    #[test]
    fn hwcaps_entries_ranked_by_the_loaders_names() {
        // As ldconfig writes them: the names sorted, a soname's variants before its baseline.
        let file = with_hwcaps(
            &[
                (0x0303, "libz.so.1", "/z", 0),
                (0x0303, "libm.so.6", "/v2/libm.so.6", named(1, 2)),
                (0x0303, "libm.so.6", "/v4/libm.so.6", named(3, 4)),
                (0x0303, "libm.so.6", "/v3/libm.so.6", named(2, 3)),
                (0x0303, "libm.so.6", "/mine/libm.so.6", named(0, 0)),
                (0x0303, "libm.so.6", "/lib/libm.so.6", 0),
            ],
            &["mine", "x86-64-v2", "x86-64-v3", "x86-64-v4"],
        );
        let cache = Cache::parse(&file).unwrap();
        assert_eq!(
            cache.hwcaps_names().collect::<Vec<_>>(),
            [&b"mine"[..], b"x86-64-v2", b"x86-64-v3", b"x86-64-v4"]
        );
        let v3_cpu = 0b1111; // baseline, v2, v3, v4 bits of isa_1: levels 0-3
        let select = |names: &'static [&'static [u8]], isa_levels| Select {
            hwcaps: names,
            isa_levels,
            ..BASE
        };
        let lookup = |s: &Select| cache.lookup(b"libm.so.6", s);
        // Best first: the first name searched that has an entry wins, wherever it is.
        let all: &[&[u8]] = &[b"x86-64-v4", b"x86-64-v3", b"x86-64-v2"];
        assert_eq!(lookup(&select(all, v3_cpu | 1 << 4)), Some(&b"/v4/libm.so.6"[..]));
        // The v4 entry needs level 4, which this CPU lacks, even if the name is searched.
        assert_eq!(lookup(&select(all, v3_cpu)), Some(&b"/v3/libm.so.6"[..]));
        let v2: &[&[u8]] = &[b"x86-64-v2"];
        assert_eq!(lookup(&select(v2, v3_cpu)), Some(&b"/v2/libm.so.6"[..]));
        // A prepended name ranks first; names not searched are never used.
        let prepended: &[&[u8]] = &[b"mine", b"x86-64-v3"];
        assert_eq!(lookup(&select(prepended, v3_cpu)), Some(&b"/mine/libm.so.6"[..]));
        let other: &[&[u8]] = &[b"elsewhere"];
        assert_eq!(lookup(&select(other, v3_cpu)), Some(&b"/lib/libm.so.6"[..]));
        assert_eq!(lookup(&BASE), Some(&b"/lib/libm.so.6"[..]));
        assert_eq!(cache.lookup(b"libz.so.1", &select(all, v3_cpu)), Some(&b"/z"[..]));

        // Without a usable extension no variant ranks: the baseline is used.
        let mut broken = file.clone();
        let at = broken.len() - 24;
        broken[at..at + 4].copy_from_slice(&0u32.to_le_bytes()); // the magic
        let cache = Cache::parse(&broken).unwrap();
        assert_eq!(
            cache.lookup(b"libm.so.6", &select(all, v3_cpu)),
            Some(&b"/lib/libm.so.6"[..])
        );
        assert_eq!(cache.hwcaps_names().count(), 0);
    }

    #[test]
    fn legacy_entries_need_allowed_bits_and_the_platform() {
        const TLS: u64 = 1 << 63;
        const X86_64: u64 = 1 << 1;
        const HASWELL: u64 = 1 << 50;
        let file = synthetic(&[
            (0x0303, "liba.so.1", "/haswell/liba.so.1", HASWELL),
            (0x0303, "liba.so.1", "/tls/x86_64/liba.so.1", TLS | X86_64),
            (0x0303, "liba.so.1", "/lib/liba.so.1", 0),
        ]);
        let cache = Cache::parse(&file).unwrap();
        let select = |allowed: u64, platform: u64| Select {
            legacy_allowed: allowed | TLS | 0xf << 48,
            platform_mask: 0xf << 48,
            platform,
            ..BASE
        };
        let lookup = |s: &Select| cache.lookup(b"liba.so.1", s);
        assert_eq!(lookup(&select(X86_64, HASWELL)), Some(&b"/haswell/liba.so.1"[..]));
        assert_eq!(lookup(&select(X86_64, u64::MAX)), Some(&b"/tls/x86_64/liba.so.1"[..]));
        assert_eq!(lookup(&select(0, u64::MAX)), Some(&b"/lib/liba.so.1"[..]));
        assert_eq!(lookup(&BASE), Some(&b"/lib/liba.so.1"[..]));
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
        assert_eq!(cache.lookup(b"libm.so.6", &BASE), Some(&b"/lib/libm.so.6"[..]));
        assert_eq!(cache.lookup(b"libc.so.6", &BASE), Some(&b"/lib/libc.so.6"[..]));
        assert_eq!(cache.lookup(b"libz.so.1", &BASE), Some(&b"/z"[..]));
        assert_eq!(cache.lookup(b"liba.so.1", &BASE), Some(&b"/a"[..]));
        assert_eq!(cache.lookup(b"libb.so.1", &BASE), None);
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
        assert_eq!(cache.lookup(b"libq.so.1", &BASE), Some(&b"/old/libq.so.1"[..]));

        // Old table, padding to 8, then a new table: the new one wins.
        let mut both = old;
        both.resize(both.len().next_multiple_of(8), 0);
        both.extend_from_slice(&synthetic(&[(0x0303, "libq.so.1", "/new/libq.so.1", 0)]));
        let cache = Cache::parse(&both).unwrap();
        assert_eq!(cache.lookup(b"libq.so.1", &BASE), Some(&b"/new/libq.so.1"[..]));
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
        assert_eq!(cache.lookup(b"libc.so.6", &BASE), None);
        assert_eq!(cache.entries().count(), 0);
        // Value offset out of range: the entry is unusable.
        let mut bad = good.clone();
        bad[NEW_HEADER + 8..NEW_HEADER + 12].copy_from_slice(&0xffffu32.to_le_bytes());
        let cache = Cache::parse(&bad).unwrap();
        assert_eq!(cache.lookup(b"libc.so.6", &BASE), None);
        assert_eq!(cache.lookup(b"liba.so", &BASE), Some(&b"/a"[..]));
        // A string table without a final NUL.
        let mut bad = good.clone();
        bad.pop();
        let cache = Cache::parse(&bad).unwrap();
        assert_eq!(cache.lookup(b"liba.so", &BASE), None);
    }

    #[test]
    fn every_truncation_of_the_real_cache_is_safe() {
        let bytes = std::fs::read(REAL).unwrap();
        for len in 0..=bytes.len() {
            if let Ok(cache) = Cache::parse(&bytes[..len]) {
                let _ = cache.lookup(b"libc.so.6", &BASE);
                let _ = cache.lookup(b"libzstd.so.1", &BASE);
                let _ = cache.entries().count();
            }
        }
    }
}
