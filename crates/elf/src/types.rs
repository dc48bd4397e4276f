//! The ELF64 records, laid out and named as in the gABI ("System V ABI", chapter 4 and 5) and
//! the GNU symbol-versioning extension (the LSB "Symbol Versioning" chapter).
//!
//! Field names keep their prefixes (`st_value`, `p_vaddr`, `vd_ndx`) so that every use reads like
//! the specification. All records are `#[repr(C)]` without padding and implement [`crate::Pod`]
//! (in `pod.rs`, the crate's only unsafe file), so they can be viewed in place.

use core::mem::size_of;

/// The ELF file header (`Elf64_Ehdr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Ehdr {
    /// Magic, class, data encoding, version, OS ABI, ABI version and padding.
    pub e_ident: [u8; 16],
    /// Object file type (`ET_*`).
    pub e_type: u16,
    /// Machine (`EM_*`).
    pub e_machine: u16,
    /// Object file version (`EV_CURRENT`).
    pub e_version: u32,
    /// Entry point virtual address.
    pub e_entry: u64,
    /// File offset of the program header table.
    pub e_phoff: u64,
    /// File offset of the section header table.
    pub e_shoff: u64,
    /// Processor-specific flags.
    pub e_flags: u32,
    /// Size of this header.
    pub e_ehsize: u16,
    /// Size of one program header.
    pub e_phentsize: u16,
    /// Number of program headers.
    pub e_phnum: u16,
    /// Size of one section header.
    pub e_shentsize: u16,
    /// Number of section headers.
    pub e_shnum: u16,
    /// Section header index of the section name string table.
    pub e_shstrndx: u16,
}

/// A program header (`Elf64_Phdr`): one segment of the process image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Phdr {
    /// Segment type (`PT_*`).
    pub p_type: u32,
    /// Segment permissions (`PF_*`).
    pub p_flags: u32,
    /// File offset of the segment's first byte.
    pub p_offset: u64,
    /// Link-time virtual address of the segment's first byte.
    pub p_vaddr: u64,
    /// Physical address (unused).
    pub p_paddr: u64,
    /// Bytes of the segment present in the file.
    pub p_filesz: u64,
    /// Bytes of the segment in memory; the excess over `p_filesz` is zero-filled (bss).
    pub p_memsz: u64,
    /// Alignment; `p_vaddr` and `p_offset` are congruent modulo it.
    pub p_align: u64,
}

/// A dynamic section entry (`Elf64_Dyn`). `d_val` is also read as `d_ptr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Dyn {
    /// Entry type (`DT_*`).
    pub d_tag: i64,
    /// Integer value or link-time virtual address, depending on `d_tag`.
    pub d_val: u64,
}

/// A symbol table entry (`Elf64_Sym`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Sym {
    /// Offset of the name in the associated string table.
    pub st_name: u32,
    /// Binding (high nibble) and type (low nibble).
    pub st_info: u8,
    /// Visibility (low two bits).
    pub st_other: u8,
    /// Section index, or `SHN_UNDEF` / `SHN_ABS`.
    pub st_shndx: u16,
    /// Value: a link-time virtual address for defined symbols.
    pub st_value: u64,
    /// Size of the object or function.
    pub st_size: u64,
}

impl Sym {
    /// The binding (`STB_*`), `ELF64_ST_BIND`.
    #[inline]
    pub const fn st_bind(&self) -> u8 {
        self.st_info >> 4
    }

    /// The type (`STT_*`), `ELF64_ST_TYPE`.
    #[inline]
    pub const fn st_type(&self) -> u8 {
        self.st_info & 0xf
    }

    /// The visibility (`STV_*`), `ELF64_ST_VISIBILITY`.
    #[inline]
    pub const fn st_visibility(&self) -> u8 {
        self.st_other & 0x3
    }
}

/// A relocation with an explicit addend (`Elf64_Rela`), the only kind x86-64 uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Rela {
    /// Link-time virtual address of the storage unit to relocate.
    pub r_offset: u64,
    /// Symbol index (high 32 bits) and relocation type (low 32 bits).
    pub r_info: u64,
    /// Constant addend.
    pub r_addend: i64,
}

impl Rela {
    /// The relocation type (`R_X86_64_*`), `ELF64_R_TYPE`.
    #[inline]
    pub const fn r_type(&self) -> u32 {
        self.r_info as u32
    }

    /// The symbol table index, `ELF64_R_SYM`.
    #[inline]
    pub const fn r_sym(&self) -> u32 {
        (self.r_info >> 32) as u32
    }
}

/// A version definition (`Elf64_Verdef`), an entry of `DT_VERDEF`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Verdef {
    /// Structure revision, 1.
    pub vd_version: u16,
    /// `VER_FLG_BASE` for the entry naming the file itself, `VER_FLG_WEAK`.
    pub vd_flags: u16,
    /// The index `DT_VERSYM` entries use for this version.
    pub vd_ndx: u16,
    /// Number of `Verdaux` entries (the name, then the parents).
    pub vd_cnt: u16,
    /// `sysv_hash` of the version name.
    pub vd_hash: u32,
    /// Byte offset from this entry to its first `Verdaux`.
    pub vd_aux: u32,
    /// Byte offset from this entry to the next one, 0 for the last.
    pub vd_next: u32,
}

/// A version definition name (`Elf64_Verdaux`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Verdaux {
    /// Offset of the name in the dynamic string table.
    pub vda_name: u32,
    /// Byte offset from this entry to the next one, 0 for the last.
    pub vda_next: u32,
}

/// A version dependency on one file (`Elf64_Verneed`), an entry of `DT_VERNEED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Verneed {
    /// Structure revision, 1.
    pub vn_version: u16,
    /// Number of `Vernaux` entries.
    pub vn_cnt: u16,
    /// Offset of the needed file's name (its `DT_NEEDED` string) in the dynamic string table.
    pub vn_file: u32,
    /// Byte offset from this entry to its first `Vernaux`.
    pub vn_aux: u32,
    /// Byte offset from this entry to the next one, 0 for the last.
    pub vn_next: u32,
}

/// One version required from a file (`Elf64_Vernaux`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Vernaux {
    /// `sysv_hash` of the version name.
    pub vna_hash: u32,
    /// `VER_FLG_WEAK` if a missing version is only worth a warning.
    pub vna_flags: u16,
    /// The index `DT_VERSYM` entries use for this version.
    pub vna_other: u16,
    /// Offset of the version name in the dynamic string table.
    pub vna_name: u32,
    /// Byte offset from this entry to the next one, 0 for the last.
    pub vna_next: u32,
}

/// `sizeof(Elf64_Ehdr)`.
pub const EHDR_SIZE: usize = size_of::<Ehdr>();
/// `sizeof(Elf64_Phdr)`, the only `e_phentsize` accepted.
pub const PHDR_SIZE: usize = size_of::<Phdr>();
/// `sizeof(Elf64_Dyn)`.
pub const DYN_SIZE: usize = size_of::<Dyn>();
/// `sizeof(Elf64_Sym)`, the expected `DT_SYMENT`.
pub const SYM_SIZE: usize = size_of::<Sym>();
/// `sizeof(Elf64_Rela)`, the expected `DT_RELAENT`.
pub const RELA_SIZE: usize = size_of::<Rela>();
/// `sizeof(Elf64_Relr)`, the expected `DT_RELRENT`.
pub const RELR_SIZE: usize = size_of::<u64>();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_split_packed_fields() {
        let sym = Sym {
            st_name: 0,
            st_info: 0x1a, // STB_GLOBAL, STT_GNU_IFUNC
            st_other: 0x12,
            st_shndx: 0,
            st_value: 0,
            st_size: 0,
        };
        assert_eq!(sym.st_bind(), crate::STB_GLOBAL);
        assert_eq!(sym.st_type(), crate::STT_GNU_IFUNC);
        assert_eq!(sym.st_visibility(), crate::STV_HIDDEN);
        let rela = Rela {
            r_offset: 0,
            r_info: (7 << 32) | 6,
            r_addend: 0,
        };
        assert_eq!(rela.r_sym(), 7);
        assert_eq!(rela.r_type(), crate::R_X86_64_GLOB_DAT);
        assert_eq!((EHDR_SIZE, PHDR_SIZE, SYM_SIZE, RELA_SIZE), (64, 56, 24, 24));
    }
}
