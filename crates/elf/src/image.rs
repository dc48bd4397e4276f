//! A loaded object's memory, addressed by link-time virtual address and confined to its
//! readable `PT_LOAD` segments.
//!
//! Everything `PT_DYNAMIC` points at — symbol tables, hash tables, version records, strings — is
//! named by a link-time address (`d_ptr`, `st_name` offsets into `DT_STRTAB`, ...). Once an object
//! is mapped those addresses are `load_bias + vaddr`, but an address taken from the file is only
//! as trustworthy as the file. A hostile `DT_SYMTAB` could point into the hole between two
//! segments (unmapped: a fault) or into a segment mapped without `PROT_READ`; both would crash
//! the linker instead of failing the load. So every access through an [`Image`] must fall wholly
//! inside one `PT_LOAD` that has `PF_R` — its file-backed part or its zero-filled bss tail, both
//! of which the loader has mapped — and inside the bytes the caller handed over. A range that
//! straddles two segments is refused even if they happen to be adjacent: no well-formed table
//! does that, and refusing keeps the rule simple.

use core::mem::size_of;

use crate::consts::{PF_R, PT_LOAD};
use crate::error::{Error, Result};
use crate::pod::{self, Pod};
use crate::types::Phdr;

const OUTSIDE: Error = Error("address outside the object's loadable segments");
const UNTERMINATED: Error = Error("unterminated string");

/// A view of a mapped object.
///
/// `bytes` covers `[span_start, span_start + bytes.len())` in link-time virtual addresses;
/// `loads` are the object's program headers, of which only readable `PT_LOAD` entries count.
#[derive(Clone, Copy, Debug)]
pub struct Image<'a> {
    bytes: &'a [u8],
    span_start: u64,
    loads: &'a [Phdr],
}

/// What [`Image::read_near`] remembers between reads: the bytes from `start` to the end of
/// the readable segment (and of the bytes held) it was found in.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window<'a> {
    start: u64,
    bytes: &'a [u8],
}

impl<'a> Image<'a> {
    /// A view of `bytes`, which holds the object's memory from link-time address `span_start`
    /// on. All of `phdrs` may be passed: entries other than `PT_LOAD` are ignored at access time.
    #[inline]
    pub fn new(bytes: &'a [u8], span_start: u64, phdrs: &'a [Phdr]) -> Self {
        Image {
            bytes,
            span_start,
            loads: phdrs,
        }
    }

    /// The readable `PT_LOAD` containing `vaddr`, as `(p_vaddr, p_vaddr + p_memsz)`.
    #[inline]
    fn segment(&self, vaddr: u64) -> Result<(u64, u64)> {
        self.loads
            .iter()
            .filter(|p| p.p_type == PT_LOAD && p.p_flags & PF_R != 0)
            .find_map(|p| {
                let end = p.p_vaddr.checked_add(p.p_memsz)?;
                (p.p_vaddr <= vaddr && vaddr < end).then_some((p.p_vaddr, end))
            })
            .ok_or(OUTSIDE)
    }

    /// The bytes `[vaddr, end)`, where `end` must not pass the segment's end.
    #[inline]
    fn span(&self, vaddr: u64, end: u64) -> Result<&'a [u8]> {
        let start = vaddr.checked_sub(self.span_start).ok_or(OUTSIDE)?;
        let end = end.checked_sub(self.span_start).ok_or(OUTSIDE)?;
        let start = usize::try_from(start).map_err(|_| OUTSIDE)?;
        let end = usize::try_from(end).map_err(|_| OUTSIDE)?;
        self.bytes.get(start..end).ok_or(OUTSIDE)
    }

    /// The `len` bytes at `vaddr`, which must lie inside one readable `PT_LOAD`.
    ///
    /// A zero-length range is accepted anywhere inside a readable segment.
    #[inline]
    pub fn bytes_at(&self, vaddr: u64, len: u64) -> Result<&'a [u8]> {
        let end = vaddr.checked_add(len).ok_or(OUTSIDE)?;
        let (_, segment_end) = self.segment(vaddr)?;
        if end > segment_end {
            return Err(OUTSIDE);
        }
        self.span(vaddr, end)
    }

    /// Everything from `vaddr` to the end of its readable `PT_LOAD` (bounded by the bytes held).
    ///
    /// For tables whose length the file does not state, such as the chains of `DT_GNU_HASH`.
    #[inline]
    pub fn rest_of_segment(&self, vaddr: u64) -> Result<&'a [u8]> {
        let (_, segment_end) = self.segment(vaddr)?;
        let held_end = self.span_start.checked_add(self.bytes.len() as u64).ok_or(OUTSIDE)?;
        self.span(vaddr, segment_end.min(held_end))
    }

    /// A reference to the `T` at `vaddr`, which must be aligned for `T` in memory.
    #[inline]
    pub fn read<T: Pod>(&self, vaddr: u64) -> Result<&'a T> {
        let bytes = self.bytes_at(vaddr, size_of::<T>() as u64)?;
        pod::read(bytes, 0)
    }

    /// [`Self::read`] for a walk over linked records (the version tables): `window` holds the
    /// rest of the segment the last record was found in, and a record inside it is read from
    /// there without looking for its segment again. The window starts empty
    /// ([`Window::default`]); the result is `read`'s.
    #[inline]
    pub fn read_near<T: Pod>(&self, vaddr: u64, window: &mut Window<'a>) -> Result<&'a T> {
        let size = size_of::<T>();
        let held = vaddr
            .checked_sub(window.start)
            .and_then(|off| usize::try_from(off).ok())
            .and_then(|off| window.bytes.get(off..)?.get(..size));
        if let Some(bytes) = held {
            return pod::read(bytes, 0);
        }
        let rest = self.rest_of_segment(vaddr)?;
        *window = Window {
            start: vaddr,
            bytes: rest,
        };
        pod::read(rest.get(..size).ok_or(OUTSIDE)?, 0)
    }

    /// `count` values of `T` at `vaddr`, which must be aligned for `T` in memory.
    #[inline]
    pub fn slice<T: Pod>(&self, vaddr: u64, count: u64) -> Result<&'a [T]> {
        let len = count
            .checked_mul(size_of::<T>() as u64)
            .ok_or(Error("table size overflows"))?;
        let bytes = self.bytes_at(vaddr, len)?;
        let count = usize::try_from(count).map_err(|_| OUTSIDE)?;
        pod::read_slice(bytes, 0, count)
    }

    /// The NUL-terminated string at `vaddr`, without its NUL; the NUL must come before the end
    /// of the containing segment.
    #[inline]
    pub fn cstr(&self, vaddr: u64) -> Result<&'a [u8]> {
        let rest = self.rest_of_segment(vaddr)?;
        let len = crate::symbols::nul_at(rest).ok_or(UNTERMINATED)?;
        Ok(&rest[..len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::{PF_W, PF_X, PT_DYNAMIC};

    fn load(p_vaddr: u64, p_filesz: u64, p_memsz: u64, p_flags: u32) -> Phdr {
        Phdr {
            p_type: PT_LOAD,
            p_flags,
            p_offset: p_vaddr,
            p_vaddr,
            p_paddr: p_vaddr,
            p_filesz,
            p_memsz,
            p_align: 0x10,
        }
    }

    #[test]
    fn accesses_stay_inside_one_readable_segment() {
        let words = [0u64; 16]; // 128 bytes from vaddr 0x1000
        let bytes = pod::as_bytes(&words);
        let phdrs = [
            load(0x1000, 0x20, 0x30, PF_R),        // 0x1000..0x1030 (bss from 0x1020)
            load(0x1040, 0x10, 0x10, PF_X),        // 0x1040..0x1050, not readable
            load(0x1050, 0x30, 0x30, PF_R | PF_W), // 0x1050..0x1080
            Phdr {
                p_type: PT_DYNAMIC,
                ..load(0x1030, 0x10, 0x10, PF_R)
            },
        ];
        let image = Image::new(bytes, 0x1000, &phdrs);
        assert!(image.bytes_at(0x1000, 0x30).is_ok());
        assert_eq!(image.bytes_at(0x1000, 0x31), Err(OUTSIDE));
        assert_eq!(image.bytes_at(0x1030, 1), Err(OUTSIDE)); // gap (PT_DYNAMIC is no PT_LOAD)
        assert_eq!(image.bytes_at(0x1040, 1), Err(OUTSIDE)); // not PF_R
        assert_eq!(image.bytes_at(0x1020, 0x40), Err(OUTSIDE)); // straddles
        assert_eq!(image.bytes_at(0xfff, 1), Err(OUTSIDE));
        assert_eq!(image.bytes_at(u64::MAX, 2), Err(OUTSIDE));
        assert_eq!(image.read::<u64>(0x1078).copied(), Ok(0));
        assert_eq!(image.read::<u64>(0x1079).copied(), Err(OUTSIDE));
        assert_eq!(image.read::<u64>(0x1054).copied(), Err(Error("misaligned data")));
        assert_eq!(image.slice::<u32>(0x1050, 12).map(|s| s.len()), Ok(12));
        assert_eq!(image.slice::<u32>(0x1050, 13).map(|s| s.len()), Err(OUTSIDE));
        assert!(image.slice::<u64>(0x1050, u64::MAX).is_err());
        assert_eq!(image.rest_of_segment(0x1070).map(|s| s.len()), Ok(0x10));
    }

    #[test]
    fn reads_near_the_last_one_answer_as_read() {
        let words = [7u64; 16]; // 128 bytes from vaddr 0x1000
        let phdrs = [
            load(0x1000, 0x20, 0x30, PF_R),
            load(0x1040, 0x10, 0x10, PF_X),
            load(0x1050, 0x30, 0x30, PF_R | PF_W),
        ];
        let image = Image::new(pod::as_bytes(&words), 0x1000, &phdrs);
        let mut window = Window::default();
        // In one order and back, so that every read meets a window from another one.
        let mut at: Vec<u64> = (0x0ff8..0x1088).collect();
        at.extend((0x0ff8..0x1088).rev());
        at.extend([u64::MAX - 3, 0x1008, 0x1050, 0x1010]);
        for vaddr in at {
            let near = image.read_near::<u32>(vaddr, &mut window).copied();
            assert_eq!(near, image.read::<u32>(vaddr).copied(), "at {vaddr:#x}");
        }
    }

    #[test]
    fn segment_larger_than_the_bytes_held_is_cut_at_the_bytes() {
        let words = [0u64; 2];
        let phdrs = [load(0, 0x100, 0x100, PF_R)];
        let image = Image::new(pod::as_bytes(&words), 0, &phdrs);
        assert_eq!(image.rest_of_segment(8).map(|s| s.len()), Ok(8));
        assert_eq!(image.bytes_at(8, 9), Err(OUTSIDE));
    }

    #[test]
    fn strings_end_inside_their_segment() {
        let mut words = [0u64; 4];
        pod::as_bytes_mut(&mut words)[..8].copy_from_slice(b"abc\0defg");
        pod::as_bytes_mut(&mut words)[16..24].copy_from_slice(b"xyzxyzxy");
        let phdrs = [load(0, 8, 8, PF_R), load(16, 8, 8, PF_R)];
        let image = Image::new(pod::as_bytes(&words), 0, &phdrs);
        assert_eq!(image.cstr(0), Ok(&b"abc"[..]));
        assert_eq!(image.cstr(3), Ok(&b""[..]));
        assert_eq!(image.cstr(4), Err(UNTERMINATED)); // runs into the segment's end
        assert_eq!(image.cstr(16), Err(UNTERMINATED));
        assert_eq!(image.cstr(8), Err(OUTSIDE));
    }
}
