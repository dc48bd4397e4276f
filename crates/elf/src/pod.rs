//! The crate's only unsafe code: viewing checked byte ranges as plain-old-data records.
//!
//! # Safety
//!
//! An ELF file is an array of C structs. Reading one field at a time with `from_le_bytes` would
//! be safe but slow and noisy; instead this module hands out `&T` pointing straight into the
//! caller's bytes, which is what makes the crate zero-copy. That is sound when three things hold,
//! and this module is the only place that has to get them right:
//!
//! 1. `T` accepts every bit pattern and has no padding — the [`Pod`] contract, implemented below
//!    only for integers and for the `#[repr(C)]` records of [`crate::types`], whose sizes are
//!    checked at compile time to equal the sum of their fields;
//! 2. the whole range `offset .. offset + size_of::<T>() * count` lies inside the slice,
//!    checked with overflow-checked arithmetic;
//! 3. the first byte is aligned for `T`, checked on the actual address, because ELF offsets are
//!    only *supposed* to be aligned.
//!
//! The returned references borrow the input slice, so the borrow checker keeps them from
//! outliving it. The target is little-endian x86-64, as is every file this crate accepts, so the
//! in-memory and the on-disk byte order agree.

use core::mem::{align_of, size_of};

use crate::error::{Error, Result};
use crate::types::{Dyn, Ehdr, Phdr, Rela, Sym, Verdaux, Verdef, Vernaux, Verneed};

/// A type that may be read from arbitrary bytes.
///
/// # Safety
///
/// Implementors must be `#[repr(C)]` (or primitive), valid for every bit pattern, and free of
/// padding bytes, so that both `&[u8] -> &T` and `&T -> &[u8]` are sound.
pub unsafe trait Pod: Copy + 'static {}

// SAFETY: primitive integers are valid for every bit pattern and have no padding.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for u16 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for u64 {}
// SAFETY: as above.
unsafe impl Pod for i32 {}
// SAFETY: as above.
unsafe impl Pod for i64 {}
// SAFETY: `Ehdr` is `#[repr(C)]` with integer fields only; the assertion below proves it has no
// padding. The same argument holds for every record in this list.
unsafe impl Pod for Ehdr {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Phdr {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Dyn {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Sym {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Rela {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Verdef {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Verdaux {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Verneed {}
// SAFETY: `#[repr(C)]`, integer fields only, no padding (asserted below).
unsafe impl Pod for Vernaux {}

// No padding: each size is the sum of the field sizes in the gABI's ELF64 layout.
const _: () = assert!(size_of::<Ehdr>() == 16 + 2 + 2 + 4 + 8 + 8 + 8 + 4 + 6 * 2);
const _: () = assert!(size_of::<Phdr>() == 4 + 4 + 6 * 8);
const _: () = assert!(size_of::<Dyn>() == 8 + 8);
const _: () = assert!(size_of::<Sym>() == 4 + 1 + 1 + 2 + 8 + 8);
const _: () = assert!(size_of::<Rela>() == 8 + 8 + 8);
const _: () = assert!(size_of::<Verdef>() == 4 * 2 + 3 * 4);
const _: () = assert!(size_of::<Verdaux>() == 4 + 4);
const _: () = assert!(size_of::<Verneed>() == 2 * 2 + 3 * 4);
const _: () = assert!(size_of::<Vernaux>() == 4 + 2 * 2 + 4 + 4);

const OUT_OF_BOUNDS: Error = Error("offset out of bounds");
const MISALIGNED: Error = Error("misaligned data");

/// Checks that `count` values of `T` fit at `offset` in `bytes`, aligned, and returns the
/// checked byte range.
#[inline]
fn check<T: Pod>(bytes: &[u8], offset: usize, count: usize) -> Result<&[u8]> {
    let len = size_of::<T>().checked_mul(count).ok_or(OUT_OF_BOUNDS)?;
    let end = offset.checked_add(len).ok_or(OUT_OF_BOUNDS)?;
    let range = bytes.get(offset..end).ok_or(OUT_OF_BOUNDS)?;
    if !(range.as_ptr() as usize).is_multiple_of(align_of::<T>()) {
        return Err(MISALIGNED);
    }
    Ok(range)
}

/// A reference to the `T` at `offset` in `bytes`, which must be in bounds and aligned.
#[inline]
pub fn read<T: Pod>(bytes: &[u8], offset: usize) -> Result<&T> {
    let range = check::<T>(bytes, offset, 1)?;
    // SAFETY: `check` proved that `range` holds `size_of::<T>()` bytes starting at an address
    // aligned for `T`; `T: Pod` makes any bit pattern a valid `T`; the lifetime is the input's.
    Ok(unsafe { &*range.as_ptr().cast::<T>() })
}

/// A slice of `count` values of `T` at `offset` in `bytes`, which must be in bounds and aligned.
#[inline]
pub fn read_slice<T: Pod>(bytes: &[u8], offset: usize, count: usize) -> Result<&[T]> {
    let range = check::<T>(bytes, offset, count)?;
    // SAFETY: `check` proved that `range` is aligned for `T` and holds exactly
    // `count * size_of::<T>()` bytes (the product did not overflow, so it is at most
    // `isize::MAX`, being the length of a real slice); `T: Pod` makes any bytes valid `T`s.
    Ok(unsafe { core::slice::from_raw_parts(range.as_ptr().cast::<T>(), count) })
}

/// A copy of the `T` at `offset` in `bytes`, which must be in bounds but need not be aligned.
#[inline]
pub fn read_copy<T: Pod>(bytes: &[u8], offset: usize) -> Result<T> {
    let end = offset.checked_add(size_of::<T>()).ok_or(OUT_OF_BOUNDS)?;
    let range = bytes.get(offset..end).ok_or(OUT_OF_BOUNDS)?;
    // SAFETY: `range` holds `size_of::<T>()` readable bytes; `read_unaligned` has no alignment
    // requirement; `T: Pod` makes any bit pattern a valid `T`.
    Ok(unsafe { range.as_ptr().cast::<T>().read_unaligned() })
}

/// The bytes of a slice of `Pod` values — for example a `[u64; N]` buffer, which gives the
/// alignment [`read`] needs to a buffer that a file is read into.
#[inline]
pub fn as_bytes<T: Pod>(values: &[T]) -> &[u8] {
    // SAFETY: `values` is a live slice of `size_of_val(values)` bytes; `T: Pod` has no padding,
    // so every byte is initialised; `u8` has alignment 1.
    unsafe { core::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values)) }
}

/// The bytes of a mutable slice of `Pod` values, for filling an aligned buffer with `read(2)`.
#[inline]
pub fn as_bytes_mut<T: Pod>(values: &mut [T]) -> &mut [u8] {
    let len = size_of_val(values);
    // SAFETY: as in `as_bytes`; in addition any bytes written through the result leave a valid
    // `T` behind because `T: Pod` accepts every bit pattern, and the unique borrow of `values`
    // is carried over to the result.
    unsafe { core::slice::from_raw_parts_mut(values.as_mut_ptr().cast::<u8>(), len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_checks_bounds() {
        let words = [0x1122_3344_5566_7788u64, 0x99];
        let bytes = as_bytes(&words);
        assert_eq!(*read::<u64>(bytes, 0).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(*read::<u64>(bytes, 8).unwrap(), 0x99);
        assert_eq!(read::<u64>(bytes, 9), Err(OUT_OF_BOUNDS));
        assert_eq!(read::<u64>(bytes, 16), Err(OUT_OF_BOUNDS));
        assert_eq!(read::<u64>(bytes, usize::MAX), Err(OUT_OF_BOUNDS));
        assert_eq!(*read::<u32>(bytes, 4).unwrap(), 0x1122_3344);
    }

    #[test]
    fn read_checks_alignment() {
        let words = [0u64; 2];
        let bytes = as_bytes(&words);
        assert_eq!(read::<u64>(bytes, 4), Err(MISALIGNED));
        assert_eq!(read::<u32>(bytes, 2), Err(MISALIGNED));
        assert!(read::<u16>(bytes, 2).is_ok());
        assert_eq!(read_slice::<u64>(bytes, 1, 1), Err(MISALIGNED));
    }

    #[test]
    fn read_slice_checks_length() {
        let words = [1u32, 2, 3, 4];
        let bytes = as_bytes(&words);
        assert_eq!(read_slice::<u32>(bytes, 4, 3).unwrap(), &[2, 3, 4]);
        assert_eq!(read_slice::<u32>(bytes, 4, 4), Err(OUT_OF_BOUNDS));
        assert_eq!(read_slice::<u32>(bytes, 0, usize::MAX), Err(OUT_OF_BOUNDS));
        assert_eq!(read_slice::<u32>(bytes, 16, 0).unwrap(), &[] as &[u32]);
    }

    #[test]
    fn read_copy_allows_unaligned() {
        let words = [0x0403_0201u32, 0x0807_0605];
        let bytes = as_bytes(&words);
        assert_eq!(read_copy::<u32>(bytes, 1).unwrap(), 0x0504_0302);
        assert_eq!(read_copy::<u32>(bytes, 5), Err(OUT_OF_BOUNDS));
        assert_eq!(read_copy::<u64>(bytes, usize::MAX), Err(OUT_OF_BOUNDS));
    }

    #[test]
    fn as_bytes_mut_round_trips() {
        let mut words = [0u16; 2];
        as_bytes_mut(&mut words)[2] = 0x34;
        as_bytes_mut(&mut words)[3] = 0x12;
        assert_eq!(words, [0, 0x1234]);
    }
}
