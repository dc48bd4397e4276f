//! Relocation tables: the compact relative relocations of `DT_RELR`.
//!
//! A position-independent object needs one `R_X86_64_RELATIVE` for every pointer it stores, and
//! big programs store hundreds of thousands; as `Rela` entries that is 24 bytes each. `DT_RELR`
//! (proposed for the gABI by Rahul Chaudhry in 2017; glibc applies it since 2.36,
//! `elf/dynamic-link.h`) encodes the same information in about one bit per pointer, relying on
//! relative relocations being addends stored in place (`*where += load_bias`) and on their
//! addresses clustering:
//!
//! * an **even** entry is an address: relocate the word there, and the next word becomes the
//!   base of the following bitmap;
//! * an **odd** entry is a bitmap: bit `i` (for `i` in 1..=63) set means "relocate the word at
//!   base + (i - 1) * 8"; afterwards the base moves on by 63 words.
//!
//! This module only decodes addresses (link-time virtual addresses, to which the caller adds the
//! load bias after checking them against the object's writable segments).

/// Iterator over the addresses encoded in a `DT_RELR` table; see [`relr`].
#[derive(Clone, Debug)]
pub struct RelrIter<'a> {
    entries: core::slice::Iter<'a, u64>,
    /// The unconsumed bits of the current bitmap, marker bit shifted out: bit `i` is `base + 8i`.
    bits: u64,
    /// The address bit 0 of `bits` stands for.
    base: u64,
    /// The address the next bitmap's first bit will stand for.
    next_base: u64,
}

/// Decodes a `DT_RELR` table (`DT_RELRSZ / 8` entries).
#[inline]
pub fn relr(entries: &[u64]) -> RelrIter<'_> {
    RelrIter {
        entries: entries.iter(),
        bits: 0,
        base: 0,
        next_base: 0,
    }
}

/// Bytes covered by one bitmap entry: 63 words.
const BITMAP_SPAN: u64 = 63 * 8;

impl Iterator for RelrIter<'_> {
    type Item = u64;

    #[inline]
    fn next(&mut self) -> Option<u64> {
        // Each pass either yields or consumes an entry, so the loop is bounded by the table.
        loop {
            if self.bits != 0 {
                let bit = u64::from(self.bits.trailing_zeros());
                self.bits &= self.bits - 1;
                // Addresses wrap rather than panic: they come from the file, and the caller
                // checks every one against the object's segments before writing.
                return Some(self.base.wrapping_add(bit * 8));
            }
            let entry = *self.entries.next()?;
            if entry & 1 == 0 {
                self.next_base = entry.wrapping_add(8);
                return Some(entry);
            }
            self.bits = entry >> 1;
            self.base = self.next_base;
            self.next_base = self.next_base.wrapping_add(BITMAP_SPAN);
        }
    }
}

/// Iterator over a `DT_RELR` table a word group at a time; see [`relr_groups`].
#[derive(Clone, Debug)]
pub struct RelrGroups<'a> {
    entries: core::slice::Iter<'a, u64>,
    /// The address the next bitmap's first bit will stand for.
    next_base: u64,
}

/// Decodes a `DT_RELR` table into `(base, bits)` groups: bit `i` of `bits` set means the word
/// at `base + 8i` is relocated. An address entry is the group `(address, 1)`; a bitmap entry,
/// its 63 bits (never 0 for an address, possibly 0 for an empty bitmap). The addresses are
/// those [`relr`] yields, in the same order; a caller that checks a group's lowest and highest
/// word against a range then knows every word of the group lies in it.
#[inline]
pub fn relr_groups(entries: &[u64]) -> RelrGroups<'_> {
    RelrGroups {
        entries: entries.iter(),
        next_base: 0,
    }
}

impl Iterator for RelrGroups<'_> {
    type Item = (u64, u64);

    #[inline]
    fn next(&mut self) -> Option<(u64, u64)> {
        let entry = *self.entries.next()?;
        if entry & 1 == 0 {
            self.next_base = entry.wrapping_add(8);
            return Some((entry, 1));
        }
        let base = self.next_base;
        self.next_base = base.wrapping_add(BITMAP_SPAN);
        Some((base, entry >> 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_addresses_and_bitmaps() {
        let table = [
            0x1000,                  // 0x1000; bitmaps start at 0x1008
            (1 << 1) | (1 << 3) | 1, // 0x1008, 0x1018
            (1 << 63) | 1,           // 0x1008 + 63 * 8 + 62 * 8 = 0x13f0
            0x2000,                  // a new address resets the base
            0b1,                     // an empty bitmap still advances
            (1 << 1) | 1,            // 0x2008 + 63 * 8 = 0x2200
        ];
        let got: Vec<u64> = relr(&table).collect();
        assert_eq!(got, [0x1000, 0x1008, 0x1018, 0x13f0, 0x2000, 0x2200]);
    }

    #[test]
    fn full_bitmap_covers_63_words() {
        let table = [0x100, u64::MAX];
        let got: Vec<u64> = relr(&table).collect();
        assert_eq!(got.len(), 64);
        assert_eq!(got.last(), Some(&(0x108 + 62 * 8)));
        assert!(got.windows(2).all(|w| w[1] == w[0] + 8));
    }

    #[test]
    fn groups_name_the_same_words() {
        let tables: [&[u64]; 3] = [
            &[
                0x1000,
                (1 << 1) | (1 << 3) | 1,
                (1 << 63) | 1,
                0x2000,
                0b1,
                (1 << 1) | 1,
            ],
            &[0x100, u64::MAX],
            &[u64::MAX - 1, u64::MAX, u64::MAX],
        ];
        for table in tables {
            let mut words = Vec::new();
            for (base, mut bits) in relr_groups(table) {
                while bits != 0 {
                    words.push(base.wrapping_add(u64::from(bits.trailing_zeros()) * 8));
                    bits &= bits - 1;
                }
            }
            assert_eq!(words, relr(table).collect::<Vec<u64>>());
        }
    }

    #[test]
    fn hostile_tables_do_not_panic() {
        assert_eq!(relr(&[]).count(), 0);
        let table = [u64::MAX - 1, u64::MAX, u64::MAX];
        assert_eq!(relr(&table).count(), 1 + 63 + 63);
    }
}
