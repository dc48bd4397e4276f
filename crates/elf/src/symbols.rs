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
        let len = rest.iter().position(|&b| b == 0).ok_or(Error("unterminated string"))?;
        Ok(&rest[..len])
    }

    /// The name at `offset` and its GNU hash, in one pass over the bytes:
    /// a symbol lookup needs both, and names (C++ and Rust ones especially)
    /// are long enough for a second pass to show.
    #[inline]
    pub fn get_with_gnu_hash(&self, offset: impl Into<u64>) -> Result<(&'a [u8], u32)> {
        let rest = self.tail(offset.into()).ok_or(BAD_OFFSET)?;
        let mut h = 5381u32;
        for (i, &c) in rest.iter().enumerate() {
            if c == 0 {
                return Ok((&rest[..i], h));
            }
            h = h.wrapping_mul(33).wrapping_add(u32::from(c));
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

#[cfg(test)]
mod tests {
    use super::*;

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
