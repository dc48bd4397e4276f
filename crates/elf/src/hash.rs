//! Symbol hash tables: `DT_GNU_HASH`, which every modern object has, and the classic SysV
//! `DT_HASH`, kept for old objects.
//!
//! # Why symbol lookup needs to be fast
//!
//! To bind a reference the linker searches the global scope — the executable, then its
//! libraries in breadth-first order — and stops at the first object that defines the name. So
//! nearly every probe is a *miss*: an object asked about a symbol it does not define. A large
//! C++ or Rust program makes tens of thousands of references against dozens of libraries, and
//! start-up time is dominated by how cheaply a miss can be answered.
//!
//! # The SysV table
//!
//! `DT_HASH` is `nbucket`, `nchain`, `bucket[nbucket]`, `chain[nchain]`. The symbol indices with
//! hash `h` are threaded through `chain`, starting at `bucket[h % nbucket]` and ending at index 0
//! (`STN_UNDEF`). Every link of the chain costs a load from the symbol table and a string
//! comparison, both likely cache misses, and a miss walks the whole chain. `nchain` equals the
//! number of dynamic symbols, which is how a loader learns the size of `DT_SYMTAB`.
//!
//! # The GNU table
//!
//! `DT_GNU_HASH` (introduced by Jakub Jelinek in 2006 for binutils and glibc 2.5; glibc reads
//! it in `elf/dl-setup_hash.c` and `elf/dl-lookup.c`) is laid out as
//!
//! ```text
//! u32 nbuckets, symoffset, bloom_size, bloom_shift
//! u64 bloom[bloom_size]            (bloom_size a power of two)
//! u32 buckets[nbuckets]            (first symbol index of each bucket, 0 if empty)
//! u32 chains[...]                  (one per symbol from symoffset on)
//! ```
//!
//! and makes a miss cheap in three steps:
//!
//! 1. **A Bloom filter.** Each symbol sets two bits, chosen by `h % 64` and `(h >> bloom_shift)
//!    % 64`, in the word `bloom[(h / 64) % bloom_size]`. If either bit is clear the symbol is
//!    certainly absent: most misses cost one load from a small, hot array, and never touch the
//!    symbol table or the strings.
//! 2. **Sorted symbols.** The static linker sorts the hashed symbols (those from `symoffset` on;
//!    locals and undefined symbols stay before it, unhashed) by bucket, so a bucket's chain is a
//!    contiguous run of `chains` — one sequential scan, no pointer chasing — and no `next`
//!    links are needed.
//! 3. **Stored hashes.** `chains[i - symoffset]` holds symbol `i`'s own 32-bit hash with the
//!    lowest bit replaced by an end-of-run marker. A candidate is only compared by name when 31
//!    bits of its hash match, so a string comparison almost always succeeds.
//!
//! The hash function itself is Bernstein's `h * 33 + c`, cheaper than the SysV function.
//!
//! The table does not record how many symbols it covers; [`GnuHash::symbol_count`] recovers that
//! from the last bucket that is not empty, as every loader must, since nothing else gives
//! `DT_SYMTAB`'s size.
//!
//! # Hostile tables
//!
//! glibc trusts these tables. Here every slice is bounded by its segment, a SysV chain is cut
//! after `nchain` steps (links can form a cycle), and a GNU chain cannot run past the end of its
//! segment. The hash values are computed once by the caller ([`gnu_hash`], [`sysv_hash`]) and
//! passed in, because one name is looked up in many objects.

use crate::error::{Error, Result};
use crate::image::Image;

/// The GNU symbol hash (Bernstein's `h = h * 33 + c`, starting at 5381), over the name's bytes.
#[inline]
pub fn gnu_hash(name: &[u8]) -> u32 {
    name.iter()
        .fold(5381u32, |h, &c| h.wrapping_mul(33).wrapping_add(u32::from(c)))
}

/// The SysV ELF symbol hash (gABI "Hash Table"), also used for version names (`vd_hash`).
#[inline]
pub fn sysv_hash(name: &[u8]) -> u32 {
    name.iter().fold(0u32, |h, &c| {
        let h = (h << 4).wrapping_add(u32::from(c));
        let high = h & 0xf000_0000;
        // Fold the top nibble back in and clear it, so the result always fits in 28 bits.
        (h ^ (high >> 24)) & !high
    })
}

/// A parsed `DT_GNU_HASH` table.
#[derive(Clone, Copy, Debug)]
pub struct GnuHash<'a> {
    nbuckets: u32,
    symoffset: u32,
    bloom_shift: u32,
    bloom: &'a [u64],
    buckets: &'a [u32],
    chains: &'a [u32],
}

impl<'a> GnuHash<'a> {
    /// Reads the table at `vaddr` (the `DT_GNU_HASH` value). The chain array has no stated
    /// length, so it runs to the end of the containing segment.
    pub fn parse(image: &Image<'a>, vaddr: u64) -> Result<Self> {
        let header: &[u32] = image.slice(vaddr, 4)?;
        let (nbuckets, symoffset, bloom_size, bloom_shift) = (header[0], header[1], header[2], header[3]);
        if nbuckets == 0 {
            return Err(Error("DT_GNU_HASH has no buckets"));
        }
        // glibc asserts the power of two; it turns the modulo into a mask.
        if !bloom_size.is_power_of_two() {
            return Err(Error("DT_GNU_HASH bloom filter size is not a power of two"));
        }
        if bloom_shift >= 32 {
            return Err(Error("DT_GNU_HASH bloom shift out of range"));
        }
        const LAYOUT: Error = Error("DT_GNU_HASH table out of range");
        let bloom_at = vaddr.checked_add(16).ok_or(LAYOUT)?;
        let bloom: &[u64] = image.slice(bloom_at, u64::from(bloom_size))?;
        let buckets_at = bloom_at.checked_add(u64::from(bloom_size) * 8).ok_or(LAYOUT)?;
        let buckets: &[u32] = image.slice(buckets_at, u64::from(nbuckets))?;
        let chains_at = buckets_at.checked_add(u64::from(nbuckets) * 4).ok_or(LAYOUT)?;
        // No chains at all is legal (an object exporting nothing) and then `chains_at` is one
        // past the segment's end, which `rest_of_segment` refuses: read that as "no chains".
        // Any bucket pointing into them is then caught by `symbol_count` and `candidates`.
        let rest = image.rest_of_segment(chains_at).unwrap_or(&[]);
        let whole_words = rest.len() / 4;
        // Symbol indices must fit in u32, which `candidates` relies on.
        let max_words = (u32::MAX - symoffset) as usize;
        let chains: &[u32] = crate::pod::read_slice(rest, 0, whole_words.min(max_words))?;
        Ok(GnuHash {
            nbuckets,
            symoffset,
            bloom_shift,
            bloom,
            buckets,
            chains,
        })
    }

    /// The index of the first hashed symbol; symbols below it are not in the table.
    #[inline]
    pub fn symoffset(&self) -> u32 {
        self.symoffset
    }

    /// The number of dynamic symbols the table implies, which is the size of `DT_SYMTAB`:
    /// one past the end of the chain of the highest-numbered bucket.
    ///
    /// The static linker sorts the hashed symbols by bucket, so that bucket is the last one
    /// that is not empty, found from the end in a step or two (not the greatest value of all
    /// buckets, a pass over a thousand of them for each library). A table that is not sorted
    /// so only implies fewer symbols: every index read through it is still checked against
    /// the symbol table.
    pub fn symbol_count(&self) -> Result<u32> {
        let highest = self
            .buckets
            .iter()
            .rev()
            .copied()
            .find(|&b| b >= self.symoffset)
            .unwrap_or(0);
        if highest < self.symoffset {
            // Every bucket is empty: only the unhashed symbols exist.
            return Ok(self.symoffset);
        }
        let start = (highest - self.symoffset) as usize;
        let tail = self.chains.get(start..).unwrap_or(&[]);
        let run = tail
            .iter()
            .position(|&h| h & 1 != 0)
            .ok_or(Error("DT_GNU_HASH chain runs past the end of its segment"))?;
        // `chains` was clamped in `parse` so that symoffset + its length fits in u32.
        Ok(self.symoffset + (start + run) as u32 + 1)
    }

    /// The Bloom filter's words (a nonzero power of two of them) and its second shift, for a
    /// caller that keeps them at hand to test many tables in a row as [`Self::may_contain`] does.
    #[inline]
    pub fn bloom(&self) -> (&'a [u64], u32) {
        (self.bloom, self.bloom_shift)
    }

    /// The Bloom filter test: `false` means no symbol with this GNU hash is in the table.
    #[inline]
    pub fn may_contain(&self, hash: u32) -> bool {
        // `bloom.len()` is a nonzero power of two (checked in `parse`), so the mask is exact.
        let word = (hash / 64) as usize & (self.bloom.len() - 1);
        let bits = (1u64 << (hash % 64)) | (1u64 << ((hash >> self.bloom_shift) % 64));
        self.bloom.get(word).is_some_and(|&w| w & bits == bits)
    }

    /// The whole lookup: the Bloom filter, then the chain, returning the first candidate index
    /// for which `is_match` (the caller's name and version check) holds.
    #[inline]
    pub fn find(&self, hash: u32, is_match: impl FnMut(&u32) -> bool) -> Option<u32> {
        if !self.may_contain(hash) {
            return None;
        }
        self.candidates(hash).find(is_match)
    }

    /// The symbol indices in `hash`'s bucket whose stored hash matches `hash` (ignoring the low
    /// bit). The caller still compares names, and should test [`Self::may_contain`] first.
    #[inline]
    pub fn candidates(&self, hash: u32) -> GnuCandidates<'a> {
        // Bucket values below symoffset (0 is the usual "empty") start no chain.
        let bucket = self.buckets.get((hash % self.nbuckets) as usize);
        let start = bucket.and_then(|b| b.checked_sub(self.symoffset));
        GnuCandidates {
            chains: self.chains,
            symoffset: self.symoffset,
            // Past the end when the bucket is empty, so that `next` yields nothing.
            pos: start.map_or(usize::MAX, |s| s as usize),
            hash,
        }
    }
}

/// Iterator over one `DT_GNU_HASH` chain, see [`GnuHash::candidates`].
#[derive(Clone, Debug)]
pub struct GnuCandidates<'a> {
    chains: &'a [u32],
    symoffset: u32,
    pos: usize,
    hash: u32,
}

impl Iterator for GnuCandidates<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        // Each step advances `pos`, so the loop ends at the end-of-run bit or the slice's end.
        while let Some(&stored) = self.chains.get(self.pos) {
            let index = self.pos;
            self.pos = if stored & 1 != 0 { usize::MAX } else { index + 1 };
            if (stored ^ self.hash) >> 1 == 0 {
                // `parse` clamped `chains` so that this sum cannot overflow.
                return Some(self.symoffset + index as u32);
            }
        }
        None
    }
}

/// A parsed SysV `DT_HASH` table.
#[derive(Clone, Copy, Debug)]
pub struct SysvHash<'a> {
    buckets: &'a [u32],
    chains: &'a [u32],
}

impl<'a> SysvHash<'a> {
    /// Reads the table at `vaddr` (the `DT_HASH` value).
    pub fn parse(image: &Image<'a>, vaddr: u64) -> Result<Self> {
        let header: &[u32] = image.slice(vaddr, 2)?;
        let (nbucket, nchain) = (header[0], header[1]);
        if nbucket == 0 {
            return Err(Error("DT_HASH has no buckets"));
        }
        const LAYOUT: Error = Error("DT_HASH table out of range");
        let buckets_at = vaddr.checked_add(8).ok_or(LAYOUT)?;
        let buckets = image.slice(buckets_at, u64::from(nbucket))?;
        let chains_at = buckets_at.checked_add(u64::from(nbucket) * 4).ok_or(LAYOUT)?;
        let chains = image.slice(chains_at, u64::from(nchain))?;
        Ok(SysvHash { buckets, chains })
    }

    /// `nchain`, which equals the number of dynamic symbols.
    #[inline]
    pub fn symbol_count(&self) -> u32 {
        // `chains` was read with nchain entries, so its length is nchain.
        self.chains.len() as u32
    }

    /// The first index on `hash`'s chain for which `is_match` (the caller's name and version
    /// check) holds.
    #[inline]
    pub fn find(&self, hash: u32, is_match: impl FnMut(&u32) -> bool) -> Option<u32> {
        self.candidates(hash).find(is_match)
    }

    /// The symbol indices on `hash`'s chain (names unchecked), at most `nchain` of them even if
    /// the chain is cyclic.
    #[inline]
    pub fn candidates(&self, hash: u32) -> SysvCandidates<'a> {
        // `parse` refused nbucket == 0, so the modulo is defined and in range.
        let bucket = hash % self.buckets.len() as u32;
        let first = self.buckets.get(bucket as usize).copied().unwrap_or(0);
        SysvCandidates {
            chains: self.chains,
            next: first,
            steps_left: self.chains.len(),
        }
    }
}

/// Iterator over one `DT_HASH` chain, see [`SysvHash::candidates`].
#[derive(Clone, Debug)]
pub struct SysvCandidates<'a> {
    chains: &'a [u32],
    next: u32,
    steps_left: usize,
}

impl Iterator for SysvCandidates<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        // Index 0 (STN_UNDEF) ends a chain; an index past nchain is corrupt and ends it too.
        let index = self.next;
        if index == 0 || self.steps_left == 0 {
            return None;
        }
        let next = *self.chains.get(index as usize)?;
        self.steps_left -= 1;
        self.next = next;
        Some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::{PF_R, PT_LOAD};
    use crate::pod;
    use crate::types::Phdr;

    #[test]
    fn known_hash_values() {
        assert_eq!(gnu_hash(b""), 5381);
        assert_eq!(gnu_hash(b"printf"), 0x156b_2bb8);
        assert_eq!(sysv_hash(b""), 0);
        assert_eq!(sysv_hash(b"printf"), 0x0779_05a6);
        // Version names are hashed with the SysV function: the vd_hash of GLIBC_2.2.5.
        assert_eq!(sysv_hash(b"GLIBC_2.2.5"), 0x0969_1a75);
        // Long names exercise the fold of the top nibble.
        assert_eq!(sysv_hash(b"abcdefghijklmnopqrstuvwxyz") & 0xf000_0000, 0);
    }

    /// An image over a copy of `words` in 8-byte aligned storage, leaked for the test's sake.
    fn image_of(words: &[u32], phdrs: &'static [Phdr]) -> Image<'static> {
        let buf = Box::leak(Box::new(crate::testutil::aligned(pod::as_bytes(words))));
        Image::new(buf.bytes(), 0, phdrs)
    }

    fn whole(len: u64) -> &'static [Phdr] {
        Box::leak(Box::new([Phdr {
            p_type: PT_LOAD,
            p_flags: PF_R,
            p_offset: 0,
            p_vaddr: 0,
            p_paddr: 0,
            p_filesz: len,
            p_memsz: len,
            p_align: 8,
        }]))
    }

    /// A GNU table with symoffset 1, two buckets, symbols 1..=3; bucket 0 holds 1 and 2,
    /// bucket 1 holds 3. The bloom filter is all ones.
    fn gnu_table(hashes: [u32; 3]) -> Vec<u32> {
        let mut t = vec![2, 1, 1, 0, u32::MAX, u32::MAX, 1, 3];
        t.extend_from_slice(&[hashes[0] & !1, hashes[1] | 1, hashes[2] | 1]);
        t
    }

    #[test]
    fn gnu_chain_walk() {
        let t = gnu_table([4, 6, 9]); // 4, 6 -> bucket 0; 9 -> bucket 1
        let image = image_of(&t, whole(t.len() as u64 * 4));
        let table = GnuHash::parse(&image, 0).unwrap();
        assert_eq!(table.symbol_count(), Ok(4));
        assert_eq!(table.candidates(4).collect::<Vec<_>>(), [1]);
        assert_eq!(table.candidates(6).collect::<Vec<_>>(), [2]);
        assert_eq!(table.candidates(9).collect::<Vec<_>>(), [3]);
        assert_eq!(table.candidates(2).count(), 0);
        assert!(table.may_contain(12345));
        let mut t = t;
        t[4] = 1 << 4; // bloom word: only bit 4 set
        t[5] = 0;
        let image = image_of(&t, whole(t.len() as u64 * 4));
        let table = GnuHash::parse(&image, 0).unwrap();
        assert!(table.may_contain(4)); // both bits are bit 4 with bloom_shift 0
        assert!(!table.may_contain(5));
    }

    #[test]
    fn gnu_unterminated_chain_is_bounded() {
        let mut t = gnu_table([4, 6, 9]);
        t[10] &= !1; // the last run no longer ends
        let image = image_of(&t, whole(t.len() as u64 * 4));
        let table = GnuHash::parse(&image, 0).unwrap();
        assert!(table.symbol_count().is_err());
        assert_eq!(table.candidates(9).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn gnu_bad_headers() {
        let parse = |t: &[u32]| GnuHash::parse(&image_of(t, whole(t.len() as u64 * 4)), 0).err();
        let mut t = gnu_table([4, 6, 9]);
        t[0] = 0;
        assert!(parse(&t).is_some());
        let mut t = gnu_table([4, 6, 9]);
        t[2] = 3;
        assert!(parse(&t).is_some());
        let mut t = gnu_table([4, 6, 9]);
        t[3] = 32;
        assert!(parse(&t).is_some());
        let mut t = gnu_table([4, 6, 9]);
        t[0] = u32::MAX; // buckets past the segment
        assert!(parse(&t).is_some());
        let mut t = gnu_table([4, 6, 9]);
        t[1] = u32::MAX; // symoffset so high that no chain fits
        t[6] = u32::MAX;
        t[7] = u32::MAX;
        let image = image_of(&t, whole(t.len() as u64 * 4));
        let table = GnuHash::parse(&image, 0).unwrap();
        assert_eq!(table.candidates(4).count(), 0);
        assert!(table.symbol_count().is_err());
    }

    #[test]
    fn sysv_chains_are_bounded_even_when_cyclic() {
        // nbucket 1, nchain 4: bucket -> 3 -> 2 -> 3 -> ... (a cycle).
        let t = [1u32, 4, 3, 0, 0, 3, 2];
        let image = image_of(&t, whole(t.len() as u64 * 4));
        let table = SysvHash::parse(&image, 0).unwrap();
        assert_eq!(table.symbol_count(), 4);
        assert_eq!(table.candidates(0).collect::<Vec<_>>(), [3, 2, 3, 2]);
        // An out-of-range link ends the chain.
        let t = [1u32, 3, 2, 0, 0, 99];
        let image = image_of(&t, whole(t.len() as u64 * 4));
        let table = SysvHash::parse(&image, 0).unwrap();
        assert_eq!(table.candidates(0).collect::<Vec<_>>(), [2]);
    }

    /// The `.dynsym` entry count from the section headers, as an independent oracle.
    fn dynsym_count(path: &str) -> u64 {
        const SHT_DYNSYM: u32 = 11;
        let file = std::fs::read(path).unwrap();
        let u = |at: usize, n: usize| {
            let mut v = [0u8; 8];
            v[..n].copy_from_slice(&file[at..at + n]);
            u64::from_le_bytes(v)
        };
        let (shoff, shnum) = (u(0x28, 8) as usize, u(0x3c, 2) as usize);
        (0..shnum)
            .map(|i| shoff + i * 64)
            .find(|&sh| u(sh + 4, 4) == u64::from(SHT_DYNSYM))
            .map(|sh| u(sh + 32, 8) / u(sh + 56, 8))
            .unwrap()
    }

    #[test]
    fn libc_gnu_hash_finds_every_symbol() {
        use crate::consts::DT_SYMTAB;
        use crate::testutil::{map_file, LIBC};
        use crate::types::Sym;

        let libc = map_file(LIBC);
        let (image, info, strtab) = (libc.image(), libc.info(), libc.strtab());
        let table = GnuHash::parse(&image, info.gnu_hash.unwrap()).unwrap();
        let count = table.symbol_count().unwrap();
        assert_eq!(u64::from(count), dynsym_count(LIBC));
        let symtab: &[Sym] = image.slice(info.get(DT_SYMTAB).unwrap(), u64::from(count)).unwrap();

        let find = |name: &[u8]| {
            let hash = gnu_hash(name);
            if !table.may_contain(hash) {
                return None;
            }
            table
                .candidates(hash)
                .find(|&i| strtab.matches(symtab[i as usize].st_name, name))
        };
        let printf = find(b"printf").unwrap();
        let by_find = table.find(gnu_hash(b"printf"), |&i| {
            strtab.matches(symtab[i as usize].st_name, b"printf")
        });
        assert_eq!(by_find, Some(printf));
        assert_ne!(symtab[printf as usize].st_value, 0);
        assert_eq!(find(b"no_such_symbol_in_libc"), None);

        // Every hashed symbol is found through the table.
        for (i, sym) in symtab.iter().enumerate().skip(table.symoffset() as usize) {
            let name = strtab.get(sym.st_name).unwrap();
            let hash = gnu_hash(name);
            assert!(table.may_contain(hash));
            assert!(table.candidates(hash).any(|c| c as usize == i));
        }
    }
}
