//! Symbol versioning: `DT_VERSYM`, `DT_VERDEF` and `DT_VERNEED`.
//!
//! # How the three tables fit together
//!
//! GNU symbol versioning (Solaris's scheme, extended for glibc 2.1; described in the LSB
//! "Symbol Versioning" chapter and implemented in glibc's `elf/dl-version.c` and
//! `elf/dl-lookup.c`) lets one library carry several definitions of a name — `memcpy@GLIBC_2.2.5`
//! and `memcpy@@GLIBC_2.14` — so old binaries keep the behaviour they were linked against.
//! Three tables, all reached from `PT_DYNAMIC`, make it work, tied together by small integers,
//! the *version indices*:
//!
//! * **`DT_VERDEF`** lists the versions an object *defines*. Each `Verdef` carries its index
//!   (`vd_ndx`), the SysV hash of its name (`vd_hash`), flags, and `Verdaux` records whose first
//!   one names the version. The entry with `VER_FLG_BASE` (index 1) names the file itself — its
//!   soname — and is not a real version.
//! * **`DT_VERNEED`** lists the versions an object *requires*, grouped by the library expected to
//!   provide them: a `Verneed` per file (`vn_file`, its `DT_NEEDED` name), with a `Vernaux` per
//!   version (`vna_name`, `vna_hash`) and the index this object uses for it (`vna_other`). Indices
//!   are private to each object; defined and needed versions share one numbering space in it.
//! * **`DT_VERSYM`** runs parallel to `DT_SYMTAB`: one `u16` per dynamic symbol. For a *defined*
//!   symbol it is the `vd_ndx` of the version that symbol belongs to; for an *undefined* one, the
//!   `vna_other` of the version the reference requires. Index 0 (`VER_NDX_LOCAL`) marks a local
//!   symbol, 1 (`VER_NDX_GLOBAL`) an unversioned one. The top bit (`VERSYM_HIDDEN`) marks a
//!   non-default definition (`name@VER` rather than `name@@VER`): it satisfies references to that
//!   exact version only, never an unversioned reference.
//!
//! To bind a reference, the linker takes the referencing symbol's versym index, finds the
//! `Vernaux` with that `vna_other` to learn the version's name and hash, then accepts a candidate
//! definition only if the defining object's `Verdef` with the candidate's versym index has the
//! same hash and name. At load time, before any binding, every `Vernaux` must be matched by a
//! `Verdef` of the named library, or the load fails with glibc's "version `GLIBC_2.34' not
//! found"; the `VER_FLG_WEAK` flag turns that into a warning.
//!
//! # Walking the records
//!
//! All three lists are linked by byte offsets relative to the current record (`vd_next`,
//! `vd_aux`, `vn_next`, `vn_aux`, `vna_next`), with 0 ending a list, and their lengths are also
//! given as counts (`DT_VERDEFNUM`, `DT_VERNEEDNUM`, `vn_cnt`). The iterators here stop at
//! whichever end comes first, so a hostile file can make them neither loop (offsets are
//! unsigned and nonzero, so every step moves forward, and the count bounds the steps anyway)
//! nor read outside the object's readable segments.

use crate::error::{Error, Result};
use crate::image::{Image, Window};
use crate::types::{Verdaux, Verdef, Vernaux, Verneed};

const OUT_OF_RANGE: Error = Error("version record out of range");

/// One version definition, from a `Verdef` and its first `Verdaux`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerDef {
    /// `vd_ndx`: the index `DT_VERSYM` entries use for this version.
    pub ndx: u16,
    /// `vd_flags`: `VER_FLG_BASE`, `VER_FLG_WEAK`.
    pub flags: u16,
    /// `vd_hash`: the SysV hash of the name.
    pub hash: u32,
    /// `vda_name` of the first `Verdaux`: the name's offset in the dynamic string table.
    pub name: u32,
}

/// Iterator over `DT_VERDEF`.
#[derive(Clone, Debug)]
pub struct VerDefIter<'a> {
    image: Image<'a>,
    vaddr: u64,
    remaining: u64,
    /// The segment the last record was read from (records are nearly always in one).
    window: Window<'a>,
}

impl<'a> VerDefIter<'a> {
    /// The definitions at `vaddr` (`DT_VERDEF`), at most `count` (`DT_VERDEFNUM`) of them.
    #[inline]
    pub fn parse(image: &Image<'a>, vaddr: u64, count: u64) -> Self {
        VerDefIter {
            image: *image,
            vaddr,
            remaining: count,
            window: Window::default(),
        }
    }

    fn read(&mut self) -> Result<VerDef> {
        let def: &Verdef = self.image.read_near(self.vaddr, &mut self.window)?;
        if def.vd_version != 1 {
            // glibc's text includes the number, which a static message cannot.
            return Err(Error("unsupported version of Verdef record"));
        }
        let aux_at = self.vaddr.checked_add(u64::from(def.vd_aux));
        let aux: &Verdaux = self.image.read_near(aux_at.ok_or(OUT_OF_RANGE)?, &mut self.window)?;
        self.vaddr = advance(self.vaddr, def.vd_next, &mut self.remaining)?;
        Ok(VerDef {
            ndx: def.vd_ndx,
            flags: def.vd_flags,
            hash: def.vd_hash,
            name: aux.vda_name,
        })
    }
}

impl Iterator for VerDefIter<'_> {
    type Item = Result<VerDef>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let item = self.read();
        if item.is_err() {
            self.remaining = 0; // an error ends the walk
        }
        Some(item)
    }
}

/// Moves a list cursor on by a `*_next` offset, counting one step; a zero offset ends the list.
#[inline]
fn advance(vaddr: u64, next: u32, remaining: &mut u64) -> Result<u64> {
    *remaining = if next == 0 { 0 } else { remaining.saturating_sub(1) };
    vaddr.checked_add(u64::from(next)).ok_or(OUT_OF_RANGE)
}

/// One file a `DT_VERNEED` entry requires versions from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerNeed {
    /// `vn_file`: the file's name (as in its `DT_NEEDED`) in the dynamic string table.
    pub file: u32,
}

/// One version required from a file, from a `Vernaux`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerNaux {
    /// `vna_hash`: the SysV hash of the version name.
    pub hash: u32,
    /// `vna_flags`: `VER_FLG_WEAK`.
    pub flags: u16,
    /// `vna_other`: the index `DT_VERSYM` entries use for this version.
    pub other: u16,
    /// `vna_name`: the version name's offset in the dynamic string table.
    pub name: u32,
}

/// Iterator over `DT_VERNEED`, yielding each file with an iterator over its versions.
#[derive(Clone, Debug)]
pub struct VerNeedIter<'a> {
    image: Image<'a>,
    vaddr: u64,
    remaining: u64,
    /// The segment the last record was read from (records are nearly always in one).
    window: Window<'a>,
}

impl<'a> VerNeedIter<'a> {
    /// The dependencies at `vaddr` (`DT_VERNEED`), at most `count` (`DT_VERNEEDNUM`) of them.
    #[inline]
    pub fn parse(image: &Image<'a>, vaddr: u64, count: u64) -> Self {
        VerNeedIter {
            image: *image,
            vaddr,
            remaining: count,
            window: Window::default(),
        }
    }

    fn read(&mut self) -> Result<(VerNeed, VerNauxIter<'a>)> {
        let need: &Verneed = self.image.read_near(self.vaddr, &mut self.window)?;
        if need.vn_version != 1 {
            // glibc's text includes the number, which a static message cannot.
            return Err(Error("unsupported version of Verneed record"));
        }
        let aux_at = self.vaddr.checked_add(u64::from(need.vn_aux));
        let auxes = VerNauxIter {
            image: self.image,
            vaddr: aux_at.ok_or(OUT_OF_RANGE)?,
            remaining: u64::from(need.vn_cnt),
            window: self.window,
        };
        self.vaddr = advance(self.vaddr, need.vn_next, &mut self.remaining)?;
        Ok((VerNeed { file: need.vn_file }, auxes))
    }
}

impl<'a> Iterator for VerNeedIter<'a> {
    type Item = Result<(VerNeed, VerNauxIter<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let item = self.read();
        if item.is_err() {
            self.remaining = 0;
        }
        Some(item)
    }
}

/// Iterator over the `Vernaux` records of one `Verneed`.
#[derive(Clone, Debug)]
pub struct VerNauxIter<'a> {
    image: Image<'a>,
    vaddr: u64,
    remaining: u64,
    /// The segment the last record was read from (records are nearly always in one).
    window: Window<'a>,
}

impl VerNauxIter<'_> {
    fn read(&mut self) -> Result<VerNaux> {
        let aux: &Vernaux = self.image.read_near(self.vaddr, &mut self.window)?;
        self.vaddr = advance(self.vaddr, aux.vna_next, &mut self.remaining)?;
        Ok(VerNaux {
            hash: aux.vna_hash,
            flags: aux.vna_flags,
            other: aux.vna_other,
            name: aux.vna_name,
        })
    }
}

impl Iterator for VerNauxIter<'_> {
    type Item = Result<VerNaux>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let item = self.read();
        if item.is_err() {
            self.remaining = 0;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::{DT_SYMTAB, VERSYM_VERSION, VER_FLG_BASE};
    use crate::hash::{gnu_hash, sysv_hash, GnuHash};
    use crate::testutil::{map_file, LIBC};
    use crate::types::Sym;

    #[test]
    fn libc_version_definitions() {
        let libc = map_file(LIBC);
        let (image, info, strtab) = (libc.image(), libc.info(), libc.strtab());
        let defs: Vec<VerDef> = VerDefIter::parse(&image, info.verdef.unwrap(), info.verdefnum)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(defs.len() as u64, info.verdefnum);
        assert_eq!(defs[0].flags & VER_FLG_BASE, VER_FLG_BASE);
        assert_eq!(strtab.get(defs[0].name), Ok(&b"libc.so.6"[..]));
        for def in &defs {
            assert_eq!(def.hash, sysv_hash(strtab.get(def.name).unwrap()));
        }
        assert!(defs.iter().any(|d| strtab.get(d.name) == Ok(b"GLIBC_2.2.5")));

        // printf's versym index names its version: printf@@GLIBC_2.2.5.
        let symtab = info.get(DT_SYMTAB).unwrap();
        let table = GnuHash::parse(&image, info.gnu_hash.unwrap()).unwrap();
        let index = table
            .candidates(gnu_hash(b"printf"))
            .find(|&i| {
                let sym: &Sym = image.read(symtab + u64::from(i) * 24).unwrap();
                strtab.matches(sym.st_name, b"printf")
            })
            .unwrap();
        let versym: &u16 = image.read(info.versym.unwrap() + u64::from(index) * 2).unwrap();
        let def = defs.iter().find(|d| d.ndx == versym & VERSYM_VERSION).unwrap();
        assert_eq!(strtab.get(def.name), Ok(&b"GLIBC_2.2.5"[..]));
    }

    #[test]
    fn libc_version_requirements() {
        let libc = map_file(LIBC);
        let (image, info, strtab) = (libc.image(), libc.info(), libc.strtab());
        let mut files = 0;
        let mut found = false;
        for need in VerNeedIter::parse(&image, info.verneed.unwrap(), info.verneednum) {
            let (need, auxes) = need.unwrap();
            files += 1;
            for aux in auxes {
                let aux = aux.unwrap();
                let name = strtab.get(aux.name).unwrap();
                assert_eq!(aux.hash, sysv_hash(name));
                assert!(aux.other > 1);
                if strtab.get(need.file) == Ok(b"ld-linux-x86-64.so.2") && name == b"GLIBC_2.3" {
                    found = true;
                }
            }
        }
        assert_eq!(files, info.verneednum);
        assert!(found, "libc needs ld-linux-x86-64.so.2 (GLIBC_2.3)");
    }

    #[test]
    fn hostile_records_end_the_walk() {
        let libc = map_file(LIBC);
        let (image, info) = (libc.image(), libc.info());
        // A huge count is cut at vd_next == 0.
        let n = VerDefIter::parse(&image, info.verdef.unwrap(), u64::MAX).count();
        assert_eq!(n as u64, info.verdefnum);
        // Records at a bad address yield one error, then nothing.
        let mut bad = VerNeedIter::parse(&image, u64::MAX - 3, 5);
        assert!(bad.next().unwrap().is_err());
        assert!(bad.next().is_none());
        // Misaligned records are refused rather than misread.
        let mut bad = VerDefIter::parse(&image, info.verdef.unwrap() + 1, 5);
        assert!(bad.next().unwrap().is_err());
        assert!(bad.next().is_none());
    }
}
