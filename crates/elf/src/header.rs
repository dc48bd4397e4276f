//! The ELF file header and the program header table: deciding whether a file can be loaded at
//! all, before anything is mapped.
//!
//! The checks follow glibc's `open_verify` (glibc 2.36 `elf/dl-load.c`) in its order and with its
//! messages, because users and test suites know these texts ("invalid ELF header", "wrong ELF
//! class: ELFCLASS32") and because the order decides which message a doubly-broken file gets.
//! The OS ABI rules are those of glibc's `sysdeps/gnu/ldsodefs.h`: `ELFOSABI_GNU` is accepted
//! next to `ELFOSABI_SYSV`, and a GNU object may ask for an ABI version up to the last feature
//! this loader implements (see [`LIBC_ABI_MAX`]).
//!
//! One outcome is not an error to report: a file for another machine is skipped silently by the
//! library search, as glibc does, so it gets the distinct value [`Error::WRONG_MACHINE`].

use crate::consts::{
    ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFOSABI_GNU, ELFOSABI_SYSV, EM_X86_64, ET_DYN, ET_EXEC, EV_CURRENT,
};
use crate::error::{Error, Result};
use crate::pod;
use crate::types::{Ehdr, Phdr, EHDR_SIZE, PHDR_SIZE};

/// The four magic bytes, `"\x7fELF"`.
const ELFMAG: [u8; 4] = *b"\x7fELF";
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
const EI_VERSION: usize = 6;
const EI_OSABI: usize = 7;
const EI_ABIVERSION: usize = 8;
const EI_PAD: usize = 9;

/// One past the highest `EI_ABIVERSION` an `ELFOSABI_GNU` object may request on x86-64.
///
/// glibc numbers the ABI features it added after the SysV baseline in its `libc-abis` file:
/// 1 = `STB_GNU_UNIQUE`, 2 = `STT_GNU_IFUNC` (x86-64 has it), 3 = working `SHN_ABS` symbols.
/// A linker tags an object with the highest feature it relies on; ld-rs implements all three.
pub const LIBC_ABI_MAX: u8 = 4;

/// Validates `e_ident` and the file header the way glibc's `open_verify` does, in its order,
/// with its texts, and returns the header.
///
/// `bytes` is the start of the file and must be 8-byte aligned (read it into a `[u64; N]`
/// buffer, see [`pod::as_bytes_mut`]). A file for another machine yields
/// [`Error::WRONG_MACHINE`], which a library search should treat as "not found here".
pub fn parse_ehdr(bytes: &[u8]) -> Result<&Ehdr> {
    // glibc says "cannot read file data" when read(2) itself failed; that is the caller's to say.
    if bytes.len() < EHDR_SIZE {
        return Err(Error("file too short"));
    }
    let ehdr: &Ehdr = pod::read(bytes, 0)?;
    check_ident(&ehdr.e_ident)?;
    if ehdr.e_version != u32::from(EV_CURRENT) {
        return Err(Error("ELF file version does not match current one"));
    }
    if ehdr.e_machine != EM_X86_64 {
        return Err(Error::WRONG_MACHINE);
    }
    if ehdr.e_type != ET_DYN && ehdr.e_type != ET_EXEC {
        return Err(Error("only ET_DYN and ET_EXEC can be loaded"));
    }
    if usize::from(ehdr.e_phentsize) != PHDR_SIZE {
        return Err(Error("ELF file's phentsize not the expected size"));
    }
    Ok(ehdr)
}

/// Checks `e_ident`, reporting the first wrong field in glibc's order.
fn check_ident(ident: &[u8; 16]) -> Result<()> {
    if ident[..4] != ELFMAG {
        return Err(Error("invalid ELF header"));
    }
    match ident[EI_CLASS] {
        ELFCLASS64 => {}
        // glibc's search skips a 32-bit file and, if nothing else turns up, reports this text.
        ELFCLASS32 => return Err(Error::WRONG_CLASS),
        _ => return Err(Error("invalid ELF header")),
    }
    if ident[EI_DATA] != ELFDATA2LSB {
        return Err(Error("ELF file data encoding not little-endian"));
    }
    if ident[EI_VERSION] != EV_CURRENT {
        return Err(Error("ELF file version ident does not match current one"));
    }
    let osabi = ident[EI_OSABI];
    if osabi != ELFOSABI_SYSV && osabi != ELFOSABI_GNU {
        return Err(Error("ELF file OS ABI invalid"));
    }
    let abiversion = ident[EI_ABIVERSION];
    if abiversion != 0 && !(osabi == ELFOSABI_GNU && abiversion < LIBC_ABI_MAX) {
        return Err(Error("ELF file ABI version invalid"));
    }
    if ident[EI_PAD..].iter().any(|&b| b != 0) {
        return Err(Error("nonzero padding in e_ident"));
    }
    Ok(())
}

/// The file range `(offset, length)` of the program header table, so that a caller whose first
/// read did not reach it can `pread` exactly that much. Fails only if the range overflows.
pub fn phdr_range(ehdr: &Ehdr) -> Result<(usize, usize)> {
    const OVERFLOW: Error = Error("program header table out of range");
    let offset = usize::try_from(ehdr.e_phoff).map_err(|_| OVERFLOW)?;
    let len = usize::from(ehdr.e_phnum).checked_mul(PHDR_SIZE).ok_or(OVERFLOW)?;
    offset.checked_add(len).ok_or(OVERFLOW)?;
    Ok((offset, len))
}

/// The program headers, which must lie inside `bytes` (the start of the file, 8-byte aligned).
///
/// When the first read did not reach them (glibc reads 832 bytes first), `pread` the
/// [`phdr_range`] into an aligned buffer and view it with `pod::read_slice(buf, 0, e_phnum)`.
///
/// `e_phnum` is taken as is: `PN_XNUM` extended numbering is not honoured, as in glibc.
pub fn phdrs<'a>(bytes: &'a [u8], ehdr: &Ehdr) -> Result<&'a [Phdr]> {
    let (offset, len) = phdr_range(ehdr)?;
    pod::read_slice(bytes, offset, len / PHDR_SIZE).map_err(|_| Error("program headers not within the bytes read"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::aligned;

    /// A valid x86-64 ET_DYN header with two program headers right after it.
    fn good() -> Vec<u8> {
        let mut h = vec![0u8; 64 + 2 * 56];
        h[..4].copy_from_slice(b"\x7fELF");
        h[EI_CLASS] = ELFCLASS64;
        h[EI_DATA] = ELFDATA2LSB;
        h[EI_VERSION] = 1;
        h[16..18].copy_from_slice(&ET_DYN.to_le_bytes());
        h[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        h[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        h[56..58].copy_from_slice(&2u16.to_le_bytes()); // e_phnum
        h[64..68].copy_from_slice(&crate::PT_LOAD.to_le_bytes());
        h
    }

    fn check(edit: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        let mut h = good();
        edit(&mut h);
        let buf = aligned(&h);
        parse_ehdr(buf.bytes()).map(|_| ())
    }

    #[test]
    fn accepts_a_good_header() {
        let buf = aligned(&good());
        let ehdr = parse_ehdr(buf.bytes()).unwrap();
        let phdrs = phdrs(buf.bytes(), ehdr).unwrap();
        assert_eq!(phdrs.len(), 2);
        assert_eq!(phdrs[0].p_type, crate::PT_LOAD);
        assert_eq!(phdr_range(ehdr), Ok((64, 112)));
    }

    #[test]
    fn reports_each_error_with_glibc_text() {
        let e = |s| Err(Error(s));
        assert_eq!(check(|h| h.truncate(63)), e("file too short"));
        assert_eq!(check(|h| h[1] = b'e'), e("invalid ELF header"));
        assert_eq!(check(|h| h[4] = 1), e("wrong ELF class: ELFCLASS32"));
        assert_eq!(check(|h| h[4] = 3), e("invalid ELF header"));
        assert_eq!(check(|h| h[5] = 2), e("ELF file data encoding not little-endian"));
        assert_eq!(
            check(|h| h[6] = 2),
            e("ELF file version ident does not match current one")
        );
        assert_eq!(check(|h| h[7] = 9), e("ELF file OS ABI invalid"));
        assert_eq!(check(|h| h[8] = 1), e("ELF file ABI version invalid"));
        assert_eq!(check(|h| h[15] = 1), e("nonzero padding in e_ident"));
        assert_eq!(check(|h| h[20] = 2), e("ELF file version does not match current one"));
        assert_eq!(check(|h| h[18] = 3), Err(Error::WRONG_MACHINE));
        assert_eq!(check(|h| h[16] = 1), e("only ET_DYN and ET_EXEC can be loaded"));
        assert_eq!(check(|h| h[54] = 32), e("ELF file's phentsize not the expected size"));
    }

    #[test]
    fn checks_come_in_glibc_order() {
        // Bad magic wins over everything; the class is checked before the data encoding.
        assert_eq!(
            check(|h| {
                h[0] = 0;
                h[4] = 1;
            }),
            Err(Error("invalid ELF header"))
        );
        assert_eq!(
            check(|h| {
                h[4] = 1;
                h[5] = 2;
            }),
            Err(Error("wrong ELF class: ELFCLASS32"))
        );
        // The machine is checked before the type.
        assert_eq!(
            check(|h| {
                h[18] = 3;
                h[16] = 1;
            }),
            Err(Error::WRONG_MACHINE)
        );
    }

    #[test]
    fn gnu_osabi_may_request_known_abi_features() {
        assert_eq!(
            check(|h| {
                h[7] = ELFOSABI_GNU;
                h[8] = 3;
            }),
            Ok(())
        );
        assert_eq!(
            check(|h| {
                h[7] = ELFOSABI_GNU;
                h[8] = 4;
            }),
            Err(Error("ELF file ABI version invalid"))
        );
    }

    #[test]
    fn phdrs_outside_the_buffer_are_an_error() {
        let mut h = good();
        h[56..58].copy_from_slice(&3u16.to_le_bytes());
        let buf = aligned(&h);
        let ehdr = parse_ehdr(buf.bytes()).unwrap();
        assert!(phdrs(buf.bytes(), ehdr).is_err());
        assert_eq!(phdr_range(ehdr), Ok((64, 168)));
    }

    #[test]
    fn prefixes_of_libc_never_panic() {
        let file = std::fs::read("/lib/x86_64-linux-gnu/libc.so.6").unwrap();
        let head = aligned(&file[..4096]);
        for len in 0..=4096 {
            let bytes = &head.bytes()[..len];
            if let Ok(ehdr) = parse_ehdr(bytes) {
                let _ = phdrs(bytes, ehdr);
            }
        }
        // And a full prefix gives the real table.
        let ehdr = parse_ehdr(head.bytes()).unwrap();
        assert!(phdrs(head.bytes(), ehdr).unwrap().len() > 4);
    }
}
