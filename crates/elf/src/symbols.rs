//! The dynamic string table (`DT_STRTAB`/`DT_STRSZ`): symbol, library, version and path names.
//!
//! Names are bytes, not UTF-8: the gABI says nothing about encodings, and a linker that decoded
//! them could be made to fail on a valid file. A name is the bytes from its offset up to the next
//! NUL, which must lie inside the table (`DT_STRSZ` bounds it, so a name cannot run off into
//! whatever follows).

use crate::consts::{DT_STRSZ, DT_STRTAB};
use crate::dynamic::DynamicInfo;
use crate::error::{Error, Result};
use crate::image::Image;

const BAD_OFFSET: Error = Error("string offset out of range");

/// `33^k` for k = 0..=8, in the GNU hash's 32-bit arithmetic.
const POW33: [u32; 9] = {
    let mut p = [1u32; 9];
    let mut k = 1;
    while k < 9 {
        p[k] = p[k - 1].wrapping_mul(33);
        k += 1;
    }
    p
};

/// A string table: `DT_STRSZ` bytes of NUL-terminated names.
#[derive(Clone, Copy, Debug)]
pub struct StrTab<'a>(&'a [u8]);

impl<'a> StrTab<'a> {
    /// A string table over `bytes`.
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Self {
        StrTab(bytes)
    }

    /// The object's dynamic string table, from `DT_STRTAB` and `DT_STRSZ` (both required).
    pub fn from_dynamic(image: &Image<'a>, info: &DynamicInfo) -> Result<Self> {
        let (Some(vaddr), Some(size)) = (info.get(DT_STRTAB), info.get(DT_STRSZ)) else {
            return Err(Error("no DT_STRTAB or DT_STRSZ in dynamic section"));
        };
        Ok(StrTab(image.bytes_at(vaddr, size)?))
    }

    /// The table's bytes.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The name at `offset` (an `st_name`, `vna_name`, `DT_NEEDED` value...), without its NUL.
    #[inline]
    pub fn get(&self, offset: impl Into<u64>) -> Result<&'a [u8]> {
        let rest = self.tail(offset.into()).ok_or(BAD_OFFSET)?;
        let len = nul_at(rest).ok_or(Error("unterminated string"))?;
        Ok(&rest[..len])
    }

    /// The name at `offset` and its GNU hash, in one pass over the bytes:
    /// a symbol lookup needs both, and names (C++ and Rust ones especially)
    /// are long enough for a second pass to show.
    ///
    /// The hash, `h = h * 33 + c` from 5381, is taken eight bytes at a time
    /// while those eight hold no NUL: `h * 33^8 + c0 * 33^7 + ... + c7`, one
    /// word load and one test for the eight instead of a test per byte.  The
    /// word holding the NUL is taken whole too, when the table has eight
    /// bytes there: its `k` bytes before the NUL shifted to the top lanes,
    /// `h * 33^k + c0 * 33^(k-1) + ... + c(k-1)` (the bytes from the NUL on
    /// shifted out).
    #[inline(always)]
    pub fn get_with_gnu_hash(&self, offset: impl Into<u64>) -> Result<(&'a [u8], u32)> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        // The eight terms of a word summed in lanes (byte k is bits 8k..8k+8):
        // pairs c0*33 + c1 in 16-bit lanes (at most 8,670), then quads
        // pair0*33^2 + pair1 in 32-bit lanes (at most 9,450,300), so no
        // lane carries into the next.
        fn lanes(w: u64) -> u32 {
            const BYTES: u64 = 0x00ff_00ff_00ff_00ff;
            const HALVES: u64 = 0x0000_ffff_0000_ffff;
            let pairs = (w & BYTES) * 33 + ((w >> 8) & BYTES);
            let quads = (pairs & HALVES) * u64::from(POW33[2]) + ((pairs >> 16) & HALVES);
            (quads as u32).wrapping_mul(POW33[4]).wrapping_add((quads >> 32) as u32)
        }
        let rest = self.tail(offset.into()).ok_or(BAD_OFFSET)?;
        let mut h = 5381u32;
        let mut i = 0;
        while let Some(b) = rest.get(i..).and_then(|r| r.first_chunk::<8>()) {
            let w = u64::from_le_bytes(*b);
            // Nonzero exactly when one of the eight bytes is 0; its lowest
            // set bit is in the first zero byte.
            let zero = w.wrapping_sub(ONES) & !w & HIGHS;
            if zero != 0 {
                let k = (zero.trailing_zeros() / 8) as usize;
                if k > 0 {
                    h = h.wrapping_mul(POW33[k]).wrapping_add(lanes(w << (8 * (8 - k))));
                }
                return Ok((&rest[..i + k], h));
            }
            h = h.wrapping_mul(POW33[8]).wrapping_add(lanes(w));
            i += 8;
        }
        while let Some(&c) = rest.get(i) {
            if c == 0 {
                return Ok((&rest[..i], h));
            }
            h = h.wrapping_mul(33).wrapping_add(u32::from(c));
            i += 1;
        }
        Err(Error("unterminated string"))
    }

    /// Whether the name at `offset` is exactly `name`. This is the comparison on the lookup
    /// path: it reads `name.len() + 1` bytes at most instead of first measuring the table entry.
    #[inline]
    pub fn matches(&self, offset: impl Into<u64>, name: &[u8]) -> bool {
        self.tail(offset.into())
            .and_then(|rest| rest.get(..=name.len()))
            .is_some_and(|s| s[name.len()] == 0 && &s[..name.len()] == name)
    }

    #[inline]
    fn tail(&self, offset: u64) -> Option<&'a [u8]> {
        self.0.get(usize::try_from(offset).ok()?..)
    }
}

/// The index of the first NUL in `bytes`, looked for eight bytes at a time:
/// in a word, `(w - 0x01…01) & !w & 0x80…80` is nonzero exactly when one of
/// its bytes is 0, and its lowest set bit is in the first such byte (a
/// borrow only reaches the bytes above a zero one).
#[inline]
pub fn nul_at(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(b) = bytes.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*b);
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| b == 0).map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_at_finds_the_first_nul() {
        for len in 0..40 {
            for nul in 0..=len {
                let mut bytes: Vec<u8> = (0..len).map(|i| 0x80 | (i as u8 + 1)).collect();
                if nul < len {
                    bytes[nul] = 0;
                    // A byte 0x01 right after the NUL (a borrow there must not count).
                    if nul + 1 < len {
                        bytes[nul + 1] = 1;
                    }
                }
                let want = bytes.iter().position(|&b| b == 0);
                assert_eq!(nul_at(&bytes), want, "len {len} nul {nul}");
            }
        }
    }

    #[test]
    fn name_and_hash_in_one_pass() {
        let strtab = StrTab::new(b"\0printf\0tail");
        assert_eq!(
            strtab.get_with_gnu_hash(1u32),
            Ok((&b"printf"[..], crate::gnu_hash(b"printf")))
        );
        assert!(strtab.get_with_gnu_hash(8u32).is_err());
    }

    #[test]
    fn hash_of_every_length_and_position() {
        for len in 0..40 {
            for start in 0..9 {
                for after in 0..10 {
                    // High bytes and 0x01 bytes too, around the NUL.
                    let name: Vec<u8> = (0..len).map(|i| [0x80, 1, b'a', 0xff, b'_'][i % 5]).collect();
                    let mut table = vec![b'x'; start];
                    table.extend_from_slice(&name);
                    table.push(0);
                    table.extend((0..after).map(|i| [1u8, 0, 0xff][i % 3]));
                    let strtab = StrTab::new(&table);
                    assert_eq!(
                        strtab.get_with_gnu_hash(start as u64),
                        Ok((&name[..], crate::gnu_hash(&name))),
                        "len {len} start {start} after {after}"
                    );
                }
            }
        }
    }

    #[test]
    fn hash_by_words_equals_hash_by_bytes() {
        let mut bytes = b"\0".to_vec();
        let names: [&[u8]; 8] = [
            b"",
            b"a",
            b"1234567",
            b"12345678",
            b"123456789",
            b"_ZN4core3fmt9Formatter9write_str17h0123456789abcdefE",
            b"\xff\x80\x7f\x01high bytes and low ones\xfe",
            &[0xff; 24],
        ];
        let mut offsets = [0u32; 8];
        for (n, o) in names.iter().zip(offsets.iter_mut()) {
            *o = bytes.len() as u32;
            bytes.extend_from_slice(n);
            bytes.push(0);
        }
        let strtab = StrTab::new(&bytes);
        for (n, &o) in names.iter().zip(offsets.iter()) {
            assert_eq!(strtab.get_with_gnu_hash(o), Ok((*n, crate::gnu_hash(n))));
            // The same name without its NUL at the end of the table: unterminated.
            let cut = StrTab::new(&bytes[..o as usize + n.len()]);
            assert!(cut.get_with_gnu_hash(o).is_err());
        }
    }

    #[test]
    fn names_are_nul_terminated_inside_the_table() {
        let strtab = StrTab::new(b"\0libc.so.6\0printf\0tail");
        assert_eq!(strtab.get(0u32), Ok(&b""[..]));
        assert_eq!(strtab.get(1u32), Ok(&b"libc.so.6"[..]));
        assert_eq!(strtab.get(5u64), Ok(&b".so.6"[..])); // suffix sharing is legal
        assert_eq!(strtab.get(11u32), Ok(&b"printf"[..]));
        assert!(strtab.get(18u32).is_err()); // "tail" has no NUL
        assert!(strtab.get(23u32).is_err());
        assert!(strtab.get(u64::MAX).is_err());
        assert!(strtab.matches(11u32, b"printf"));
        assert!(!strtab.matches(11u32, b"print"));
        assert!(!strtab.matches(11u32, b"printf\0"));
        assert!(!strtab.matches(18u32, b"tail"));
        assert!(strtab.matches(0u32, b""));
        assert!(!strtab.matches(99u32, b""));
    }
}
