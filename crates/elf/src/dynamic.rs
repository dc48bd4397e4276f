//! The dynamic section (`PT_DYNAMIC`), decoded once into a flat table indexed by tag.
//!
//! The dynamic array is the linker's table of contents for an object: where the symbols, strings,
//! hash tables and relocations are, which libraries it needs, how it wants to be bound. The
//! linker asks about it constantly, so it is walked once, as glibc's `elf_get_dynamic_info`
//! (`elf/get-dynamic-info.h`) does, into [`DynamicInfo`]: a fixed array for the gABI's small
//! tags plus named fields for the GNU extensions ld-rs uses. Tags it does not know are skipped,
//! which is what the gABI asks of a loader.
//!
//! Two glibc behaviours are kept on purpose. When a tag repeats, the last entry wins (glibc
//! overwrites its `l_info` slot). And the entry sizes glibc `assert`s on (`DT_RELAENT`,
//! `DT_RELRENT`, `DT_PLTREL`) are checked here, so a malformed object fails the load with an
//! error instead of being misread (glibc 2.36 never reads `DT_SYMENT`, nor do we); x86-64 has no `Rel` relocations at all
//! (`ELF_MACHINE_NO_REL`), so `DT_REL` is refused too. What `DT_RUNPATH` does to `DT_RPATH`, and
//! what `DT_FLAGS` implies for the legacy tags, is left to the linker: this table is a faithful
//! copy of the file, not an interpretation of it.

use crate::consts::{
    DT_FLAGS_1, DT_GNU_HASH, DT_NEEDED, DT_NULL, DT_NUM, DT_PLTREL, DT_REL, DT_RELA, DT_RELACOUNT, DT_RELAENT, DT_RELR,
    DT_RELRENT, DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM, DT_VERSYM,
};
use crate::error::{Error, Result};
use crate::types::{Dyn, RELA_SIZE, RELR_SIZE};

/// Number of tags stored by index in [`DynamicInfo::tags`]: `DT_NULL ..= DT_RELRENT`.
pub const DT_NUM_TAGS: usize = DT_NUM;

/// The dynamic section, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DynamicInfo {
    /// `d_val`/`d_ptr` of each tag below [`DT_NUM_TAGS`], indexed by tag; 0 when absent.
    /// When a tag repeats the last entry wins, as in glibc (so `tags[DT_NEEDED]` is the last
    /// one; use [`needed`] for all of them).
    pub tags: [u64; DT_NUM_TAGS],
    /// Bit `i` is set when tag `i` appeared.
    pub present: u64,
    /// `DT_GNU_HASH`.
    pub gnu_hash: Option<u64>,
    /// `DT_VERSYM`.
    pub versym: Option<u64>,
    /// `DT_VERDEF`.
    pub verdef: Option<u64>,
    /// `DT_VERDEFNUM`, 0 when absent.
    pub verdefnum: u64,
    /// `DT_VERNEED`.
    pub verneed: Option<u64>,
    /// `DT_VERNEEDNUM`, 0 when absent.
    pub verneednum: u64,
    /// `DT_FLAGS_1`, 0 when absent.
    pub flags_1: u64,
    /// `DT_RELACOUNT`, 0 when absent.
    pub relacount: u64,
    /// Number of `DT_NEEDED` entries.
    pub needed_count: usize,
}

impl DynamicInfo {
    /// Decodes `dyns` up to the first `DT_NULL` (or the end of the slice, whichever is first).
    pub fn parse(dyns: &[Dyn]) -> Result<DynamicInfo> {
        let mut info = DynamicInfo {
            tags: [0; DT_NUM_TAGS],
            present: 0,
            gnu_hash: None,
            versym: None,
            verdef: None,
            verdefnum: 0,
            verneed: None,
            verneednum: 0,
            flags_1: 0,
            relacount: 0,
            needed_count: 0,
        };
        for d in dyns.iter().take_while(|d| d.d_tag != DT_NULL) {
            match d.d_tag {
                tag @ DT_NULL..=DT_RELRENT => {
                    // The pattern bounds `tag` to 0..DT_NUM_TAGS, the length of `tags`.
                    let i = tag as usize;
                    info.tags[i] = d.d_val;
                    info.present |= 1 << i;
                    if tag == DT_NEEDED {
                        info.needed_count += 1;
                    }
                }
                DT_GNU_HASH => info.gnu_hash = Some(d.d_val),
                DT_VERSYM => info.versym = Some(d.d_val),
                DT_VERDEF => info.verdef = Some(d.d_val),
                DT_VERDEFNUM => info.verdefnum = d.d_val,
                DT_VERNEED => info.verneed = Some(d.d_val),
                DT_VERNEEDNUM => info.verneednum = d.d_val,
                DT_FLAGS_1 => info.flags_1 = d.d_val,
                DT_RELACOUNT => info.relacount = d.d_val,
                _ => {}
            }
        }
        info.validate()?;
        Ok(info)
    }

    /// The checks glibc makes with `assert` after decoding.
    fn validate(&self) -> Result<()> {
        if self.get(DT_REL).is_some() {
            return Err(Error("DT_REL relocations are not used on x86-64"));
        }
        if self.get(DT_PLTREL).is_some_and(|v| v != DT_RELA as u64) {
            return Err(Error("DT_PLTREL is not DT_RELA"));
        }
        if self.get(DT_RELA).is_some() && self.get(DT_RELAENT).unwrap_or(0) != RELA_SIZE as u64 {
            return Err(Error("DT_RELAENT does not match the size of Elf64_Rela"));
        }
        if self.get(DT_RELR).is_some() && self.get(DT_RELRENT).unwrap_or(0) != RELR_SIZE as u64 {
            return Err(Error("DT_RELRENT does not match the size of Elf64_Relr"));
        }
        Ok(())
    }

    /// The value of `tag` (one of the gABI's small tags, below [`DT_NUM_TAGS`]), or `None` if
    /// it is absent or not such a tag.
    #[inline]
    pub fn get(&self, tag: i64) -> Option<u64> {
        let i = usize::try_from(tag).ok().filter(|&i| i < DT_NUM_TAGS)?;
        (self.present & (1 << i) != 0).then_some(self.tags[i])
    }
}

/// The `DT_NEEDED` string offsets, in file order, up to the first `DT_NULL`.
///
/// The order matters: it is the order of the breadth-first dependency search.
pub fn needed(dyns: &[Dyn]) -> impl Iterator<Item = u64> + '_ {
    dyns.iter()
        .take_while(|d| d.d_tag != DT_NULL)
        .filter(|d| d.d_tag == DT_NEEDED)
        .map(|d| d.d_val)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::{DT_RPATH, DT_RUNPATH, DT_STRTAB, DT_SYMENT};

    fn d(d_tag: i64, d_val: u64) -> Dyn {
        Dyn { d_tag, d_val }
    }

    #[test]
    fn decodes_tags_and_stops_at_null() {
        let dyns = [
            d(DT_NEEDED, 1),
            d(DT_STRTAB, 0x400),
            d(DT_NEEDED, 9),
            d(DT_RUNPATH, 20),
            d(DT_GNU_HASH, 0x300),
            d(DT_VERNEEDNUM, 2),
            d(DT_FLAGS_1, 0x0800_0001),
            d(-5, 1),            // unknown: skipped
            d(0x7000_0001, 1),   // processor-specific: skipped
            d(DT_STRTAB, 0x500), // repeats: the last one wins
            d(DT_NULL, 0),
            d(DT_RPATH, 30), // after DT_NULL: ignored
            d(DT_NEEDED, 40),
        ];
        let info = DynamicInfo::parse(&dyns).unwrap();
        assert_eq!(info.needed_count, 2);
        assert_eq!(info.get(DT_NEEDED), Some(9));
        assert_eq!(info.get(DT_STRTAB), Some(0x500));
        assert_eq!(info.get(DT_RUNPATH), Some(20));
        assert_eq!(info.get(DT_RPATH), None);
        assert_eq!(info.tags[DT_RPATH as usize], 0);
        assert_eq!(info.get(DT_GNU_HASH), None); // not a small tag
        assert_eq!(info.gnu_hash, Some(0x300));
        assert_eq!(info.verneednum, 2);
        assert_eq!(info.flags_1, 0x0800_0001);
        assert_eq!(info.get(-1), None);
        assert_eq!(needed(&dyns).collect::<Vec<_>>(), [1, 9]);
    }

    #[test]
    fn no_null_entry_is_bounded_by_the_slice() {
        let dyns = [d(DT_NEEDED, 3)];
        assert_eq!(DynamicInfo::parse(&dyns).unwrap().needed_count, 1);
        assert_eq!(needed(&dyns).count(), 1);
    }

    #[test]
    fn entry_sizes_are_checked() {
        let bad = |dyns: &[Dyn]| DynamicInfo::parse(dyns).is_err();
        assert!(bad(&[d(DT_REL, 0x100)]));
        assert!(bad(&[d(DT_PLTREL, DT_REL as u64)]));
        assert!(bad(&[d(DT_RELA, 0x100), d(DT_RELAENT, 16)]));
        assert!(bad(&[d(DT_RELA, 0x100)]));
        assert!(bad(&[d(DT_RELR, 0x100), d(DT_RELRENT, 4)]));
        // glibc 2.36 never reads DT_SYMENT: symbols are 24 bytes whatever it says.
        assert!(!bad(&[d(DT_SYMENT, 16)]));
        assert!(!bad(&[
            d(DT_RELA, 0x100),
            d(DT_RELAENT, 24),
            d(DT_PLTREL, DT_RELA as u64),
            d(DT_SYMENT, 24),
            d(DT_RELR, 0x200),
            d(DT_RELRENT, 8),
        ]));
    }
}
