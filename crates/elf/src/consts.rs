//! The numbers of the gABI, the GNU extensions, the x86-64 psABI and the Linux auxiliary vector,
//! under their specification names (glibc's `elf/elf.h` spells them the same way).

// ---- e_ident and the file header (gABI "ELF Header") ----

/// `e_ident[EI_CLASS]`: 32-bit objects.
pub const ELFCLASS32: u8 = 1;
/// `e_ident[EI_CLASS]`: 64-bit objects.
pub const ELFCLASS64: u8 = 2;
/// `e_ident[EI_DATA]`: two's complement, little-endian.
pub const ELFDATA2LSB: u8 = 1;
/// `e_ident[EI_VERSION]` and `e_version`: the current (and only) version.
pub const EV_CURRENT: u8 = 1;
/// `e_ident[EI_OSABI]`: no extensions, "UNIX System V".
pub const ELFOSABI_SYSV: u8 = 0;
/// `e_ident[EI_OSABI]`: GNU extensions (`STB_GNU_UNIQUE`, `STT_GNU_IFUNC`); also "Linux".
pub const ELFOSABI_GNU: u8 = 3;
/// `e_type`: an executable with a fixed load address.
pub const ET_EXEC: u16 = 2;
/// `e_type`: a shared object or position-independent executable.
pub const ET_DYN: u16 = 3;
/// `e_machine`: AMD x86-64.
pub const EM_X86_64: u16 = 62;

// ---- Program headers (gABI "Program Header") ----

/// Unused entry.
pub const PT_NULL: u32 = 0;
/// A loadable segment.
pub const PT_LOAD: u32 = 1;
/// The dynamic section.
pub const PT_DYNAMIC: u32 = 2;
/// The program interpreter's path.
pub const PT_INTERP: u32 = 3;
/// Notes.
pub const PT_NOTE: u32 = 4;
/// The program header table itself.
pub const PT_PHDR: u32 = 6;
/// The thread-local storage initialisation image.
pub const PT_TLS: u32 = 7;
/// `.eh_frame_hdr`, for unwinders.
pub const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
/// Stack permissions (`PF_X` requests an executable stack).
pub const PT_GNU_STACK: u32 = 0x6474_e551;
/// Range to make read-only after relocation.
pub const PT_GNU_RELRO: u32 = 0x6474_e552;
/// `.note.gnu.property` (CET and ISA-level markers).
pub const PT_GNU_PROPERTY: u32 = 0x6474_e553;
/// Segment is executable.
pub const PF_X: u32 = 1;
/// Segment is writable.
pub const PF_W: u32 = 2;
/// Segment is readable.
pub const PF_R: u32 = 4;

// ---- Dynamic section tags (gABI "Dynamic Section") ----

/// Marks the end of the dynamic array.
pub const DT_NULL: i64 = 0;
/// String table offset of a needed library's name.
pub const DT_NEEDED: i64 = 1;
/// Size in bytes of the PLT relocations.
pub const DT_PLTRELSZ: i64 = 2;
/// Address of the PLT's GOT (`_GLOBAL_OFFSET_TABLE_`).
pub const DT_PLTGOT: i64 = 3;
/// Address of the SysV symbol hash table.
pub const DT_HASH: i64 = 4;
/// Address of the dynamic string table.
pub const DT_STRTAB: i64 = 5;
/// Address of the dynamic symbol table.
pub const DT_SYMTAB: i64 = 6;
/// Address of the `Rela` relocations.
pub const DT_RELA: i64 = 7;
/// Size in bytes of the `Rela` relocations.
pub const DT_RELASZ: i64 = 8;
/// Size of one `Rela` entry.
pub const DT_RELAENT: i64 = 9;
/// Size in bytes of the dynamic string table.
pub const DT_STRSZ: i64 = 10;
/// Size of one symbol table entry.
pub const DT_SYMENT: i64 = 11;
/// Address of the legacy initialisation function.
pub const DT_INIT: i64 = 12;
/// Address of the legacy termination function.
pub const DT_FINI: i64 = 13;
/// String table offset of the object's shared object name.
pub const DT_SONAME: i64 = 14;
/// String table offset of the legacy library search path.
pub const DT_RPATH: i64 = 15;
/// Search this object first for its own references (legacy form of `DF_SYMBOLIC`).
pub const DT_SYMBOLIC: i64 = 16;
/// Address of the `Rel` relocations (not used on x86-64).
pub const DT_REL: i64 = 17;
/// Size in bytes of the `Rel` relocations.
pub const DT_RELSZ: i64 = 18;
/// Size of one `Rel` entry.
pub const DT_RELENT: i64 = 19;
/// Type of the PLT relocations (`DT_RELA` on x86-64).
pub const DT_PLTREL: i64 = 20;
/// For debuggers (`r_debug`).
pub const DT_DEBUG: i64 = 21;
/// Relocations may write to read-only segments (legacy form of `DF_TEXTREL`).
pub const DT_TEXTREL: i64 = 22;
/// Address of the PLT relocations.
pub const DT_JMPREL: i64 = 23;
/// Bind all symbols at load time (legacy form of `DF_BIND_NOW`).
pub const DT_BIND_NOW: i64 = 24;
/// Address of the array of initialisation functions.
pub const DT_INIT_ARRAY: i64 = 25;
/// Address of the array of termination functions.
pub const DT_FINI_ARRAY: i64 = 26;
/// Size in bytes of `DT_INIT_ARRAY`.
pub const DT_INIT_ARRAYSZ: i64 = 27;
/// Size in bytes of `DT_FINI_ARRAY`.
pub const DT_FINI_ARRAYSZ: i64 = 28;
/// String table offset of the library search path.
pub const DT_RUNPATH: i64 = 29;
/// `DF_*` flags.
pub const DT_FLAGS: i64 = 30;
/// Start of the encoded range (tags from here on follow the even/odd `d_ptr`/`d_val` rule).
pub const DT_ENCODING: i64 = 32;
/// Address of the array of pre-initialisation functions (executables only).
pub const DT_PREINIT_ARRAY: i64 = 32;
/// Size in bytes of `DT_PREINIT_ARRAY`.
pub const DT_PREINIT_ARRAYSZ: i64 = 33;
/// Address of the `SHT_SYMTAB_SHNDX` section.
pub const DT_SYMTAB_SHNDX: i64 = 34;
/// Size in bytes of the `DT_RELR` table.
pub const DT_RELRSZ: i64 = 35;
/// Address of the relative relocations in compact `Relr` form.
pub const DT_RELR: i64 = 36;
/// Size of one `Relr` entry.
pub const DT_RELRENT: i64 = 37;
/// Number of the gABI's small tags: those below it are stored by index in `DynamicInfo::tags`.
pub const DT_NUM: usize = 38;
/// Address of the GNU-style symbol hash table.
pub const DT_GNU_HASH: i64 = 0x6fff_fef5;
/// Address of the PLT entry used for lazy TLS descriptors.
pub const DT_TLSDESC_PLT: i64 = 0x6fff_fef6;
/// Address of the GOT entry used for lazy TLS descriptors.
pub const DT_TLSDESC_GOT: i64 = 0x6fff_fef7;
/// Address of the symbol version table (one `u16` per dynamic symbol).
pub const DT_VERSYM: i64 = 0x6fff_fff0;
/// Number of `R_X86_64_RELATIVE` relocations at the start of `DT_RELA`.
pub const DT_RELACOUNT: i64 = 0x6fff_fff9;
/// Number of relative relocations at the start of `DT_REL`.
pub const DT_RELCOUNT: i64 = 0x6fff_fffa;
/// `DF_1_*` flags.
pub const DT_FLAGS_1: i64 = 0x6fff_fffb;
/// Address of the version definitions.
pub const DT_VERDEF: i64 = 0x6fff_fffc;
/// Number of version definitions.
pub const DT_VERDEFNUM: i64 = 0x6fff_fffd;
/// Address of the version dependencies.
pub const DT_VERNEED: i64 = 0x6fff_fffe;
/// Number of version dependencies.
pub const DT_VERNEEDNUM: i64 = 0x6fff_ffff;
/// String table offset of a library whose definitions take precedence (auxiliary filter).
pub const DT_AUXILIARY: i64 = 0x7fff_fffd;
/// String table offset of a library that provides the definitions (standard filter).
pub const DT_FILTER: i64 = 0x7fff_ffff;

/// `DT_FLAGS`: the object uses `$ORIGIN`.
pub const DF_ORIGIN: u64 = 0x1;
/// `DT_FLAGS`: resolve the object's own references in the object first.
pub const DF_SYMBOLIC: u64 = 0x2;
/// `DT_FLAGS`: relocations may write to read-only segments.
pub const DF_TEXTREL: u64 = 0x4;
/// `DT_FLAGS`: bind all symbols at load time.
pub const DF_BIND_NOW: u64 = 0x8;
/// `DT_FLAGS`: uses the static TLS model, cannot be loaded with `dlopen` if space is short.
pub const DF_STATIC_TLS: u64 = 0x10;
/// `DT_FLAGS_1`: bind all symbols at load time.
pub const DF_1_NOW: u64 = 0x1;
/// `DT_FLAGS_1`: make the object's symbols global (`RTLD_GLOBAL`).
pub const DF_1_GLOBAL: u64 = 0x2;
/// `DT_FLAGS_1`: never unload the object.
pub const DF_1_NODELETE: u64 = 0x8;
/// Do not search the default directories (nor the cache) for this object's dependencies.
pub const DF_1_NODEFLIB: u64 = 0x800;
/// `DT_FLAGS_1`: run the object's initialisers before all others.
pub const DF_1_INITFIRST: u64 = 0x20;
/// `DT_FLAGS_1`: the object may not be opened with `dlopen`.
pub const DF_1_NOOPEN: u64 = 0x40;
/// `DT_FLAGS_1`: the object uses `$ORIGIN`.
pub const DF_1_ORIGIN: u64 = 0x80;
/// `DT_FLAGS_1`: the object is a position-independent executable.
pub const DF_1_PIE: u64 = 0x0800_0000;

// ---- Symbols (gABI "Symbol Table") ----

/// Binding: not visible outside the object.
pub const STB_LOCAL: u8 = 0;
/// Binding: visible everywhere.
pub const STB_GLOBAL: u8 = 1;
/// Binding: global, but lower precedence and may stay undefined.
pub const STB_WEAK: u8 = 2;
/// Binding (GNU): one definition per process, whatever the lookup scope.
pub const STB_GNU_UNIQUE: u8 = 10;
/// Type: unspecified.
pub const STT_NOTYPE: u8 = 0;
/// Type: a data object.
pub const STT_OBJECT: u8 = 1;
/// Type: a function.
pub const STT_FUNC: u8 = 2;
/// Type: a section.
pub const STT_SECTION: u8 = 3;
/// Type: a source file name.
pub const STT_FILE: u8 = 4;
/// Type: an uninitialised common block.
pub const STT_COMMON: u8 = 5;
/// Type: a thread-local variable; `st_value` is an offset in the TLS block.
pub const STT_TLS: u8 = 6;
/// Type (GNU): a resolver returning the function's address.
pub const STT_GNU_IFUNC: u8 = 10;
/// Visibility: as the binding says.
pub const STV_DEFAULT: u8 = 0;
/// Visibility: processor-specific hidden.
pub const STV_INTERNAL: u8 = 1;
/// Visibility: not visible outside the object.
pub const STV_HIDDEN: u8 = 2;
/// Visibility: visible, but cannot be preempted.
pub const STV_PROTECTED: u8 = 3;
/// Section index of an undefined symbol.
pub const SHN_UNDEF: u16 = 0;
/// Section index of an absolute symbol: `st_value` is not relocated.
pub const SHN_ABS: u16 = 0xfff1;

// ---- Symbol versioning (LSB "Symbol Versioning") ----

/// Version index: the symbol is local to the object.
pub const VER_NDX_LOCAL: u16 = 0;
/// Version index: the symbol is global and unversioned (the base definition).
pub const VER_NDX_GLOBAL: u16 = 1;
/// `vd_flags`: this definition names the file itself.
pub const VER_FLG_BASE: u16 = 0x1;
/// `vd_flags` / `vna_flags`: a weak version; a missing one is a warning, not an error.
pub const VER_FLG_WEAK: u16 = 0x2;
/// `DT_VERSYM` bit: the symbol is hidden, only references to its exact version may bind to it.
pub const VERSYM_HIDDEN: u16 = 0x8000;
/// `DT_VERSYM` mask: the version index.
pub const VERSYM_VERSION: u16 = 0x7fff;

// ---- x86-64 relocations (psABI "Relocation Types") ----

/// Declares the relocation constants and their names from one list, so they cannot disagree.
macro_rules! relocation_types {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        $($(#[$doc])* pub const $name: u32 = $value;)*

        /// The psABI name of relocation type `t`, such as `"R_X86_64_PC16"`, for diagnostics.
        pub fn reloc_type_name(t: u32) -> Option<&'static str> {
            match t {
                $($value => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

relocation_types! {
    /// No relocation.
    R_X86_64_NONE = 0;
    /// S + A, 64 bits.
    R_X86_64_64 = 1;
    /// S + A - P, 32 bits, sign-extended.
    R_X86_64_PC32 = 2;
    /// G + A, 32 bits.
    R_X86_64_GOT32 = 3;
    /// L + A - P, 32 bits.
    R_X86_64_PLT32 = 4;
    /// Copy the symbol's initial value into the executable's own storage.
    R_X86_64_COPY = 5;
    /// S: a GOT entry.
    R_X86_64_GLOB_DAT = 6;
    /// S: a PLT GOT entry, possibly bound lazily.
    R_X86_64_JUMP_SLOT = 7;
    /// B + A.
    R_X86_64_RELATIVE = 8;
    /// G + GOT + A - P, 32 bits.
    R_X86_64_GOTPCREL = 9;
    /// S + A, 32 bits, zero-extended.
    R_X86_64_32 = 10;
    /// S + A, 32 bits, sign-extended.
    R_X86_64_32S = 11;
    /// S + A, 16 bits.
    R_X86_64_16 = 12;
    /// S + A - P, 16 bits.
    R_X86_64_PC16 = 13;
    /// S + A, 8 bits.
    R_X86_64_8 = 14;
    /// S + A - P, 8 bits.
    R_X86_64_PC8 = 15;
    /// Module ID of the symbol's TLS block.
    R_X86_64_DTPMOD64 = 16;
    /// Offset of the symbol in its module's TLS block.
    R_X86_64_DTPOFF64 = 17;
    /// Offset of the symbol from the thread pointer (static TLS).
    R_X86_64_TPOFF64 = 18;
    /// PC-relative offset to a GD-model `tls_index` GOT pair.
    R_X86_64_TLSGD = 19;
    /// PC-relative offset to an LD-model `tls_index` GOT pair.
    R_X86_64_TLSLD = 20;
    /// Offset in the TLS block, 32 bits.
    R_X86_64_DTPOFF32 = 21;
    /// PC-relative offset to a GOT entry holding a TP offset.
    R_X86_64_GOTTPOFF = 22;
    /// Offset from the thread pointer, 32 bits.
    R_X86_64_TPOFF32 = 23;
    /// S + A - P, 64 bits.
    R_X86_64_PC64 = 24;
    /// S + A - GOT, 64 bits.
    R_X86_64_GOTOFF64 = 25;
    /// GOT + A - P, 32 bits.
    R_X86_64_GOTPC32 = 26;
    /// G + A, 64 bits.
    R_X86_64_GOT64 = 27;
    /// G + GOT - P + A, 64 bits.
    R_X86_64_GOTPCREL64 = 28;
    /// GOT - P + A, 64 bits.
    R_X86_64_GOTPC64 = 29;
    /// Like `R_X86_64_GOT64`, and a PLT entry is needed.
    R_X86_64_GOTPLT64 = 30;
    /// L - GOT + A, 64 bits.
    R_X86_64_PLTOFF64 = 31;
    /// Z + A, 32 bits: the symbol's size.
    R_X86_64_SIZE32 = 32;
    /// Z + A, 64 bits: the symbol's size.
    R_X86_64_SIZE64 = 33;
    /// PC-relative offset to a TLS descriptor in the GOT.
    R_X86_64_GOTPC32_TLSDESC = 34;
    /// Marks the call through a TLS descriptor.
    R_X86_64_TLSDESC_CALL = 35;
    /// A TLS descriptor (two words: resolver and argument).
    R_X86_64_TLSDESC = 36;
    /// Call the resolver at B + A and store its result.
    R_X86_64_IRELATIVE = 37;
    /// B + A, 64 bits (ILP32 only).
    R_X86_64_RELATIVE64 = 38;
    /// G + GOT + A - P, relaxable `mov`/`call`/`jmp` through the GOT.
    R_X86_64_GOTPCRELX = 41;
    /// G + GOT + A - P, relaxable REX-prefixed instruction through the GOT.
    R_X86_64_REX_GOTPCRELX = 42;
}

// ---- The auxiliary vector (Linux `include/uapi/linux/auxvec.h`, glibc `elf/elf.h`) ----

/// End of the vector.
pub const AT_NULL: u64 = 0;
/// Entry to ignore.
pub const AT_IGNORE: u64 = 1;
/// File descriptor of the program (when the kernel did not map it).
pub const AT_EXECFD: u64 = 2;
/// Address of the program's program headers.
pub const AT_PHDR: u64 = 3;
/// Size of one program header.
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// System page size.
pub const AT_PAGESZ: u64 = 6;
/// Load address of the interpreter (0 when it was run directly).
pub const AT_BASE: u64 = 7;
/// Flags (unused).
pub const AT_FLAGS: u64 = 8;
/// Entry point of the program.
pub const AT_ENTRY: u64 = 9;
/// The program is not ELF.
pub const AT_NOTELF: u64 = 10;
/// Real user ID.
pub const AT_UID: u64 = 11;
/// Effective user ID.
pub const AT_EUID: u64 = 12;
/// Real group ID.
pub const AT_GID: u64 = 13;
/// Effective group ID.
pub const AT_EGID: u64 = 14;
/// Address of a string naming the platform (`"x86_64"`).
pub const AT_PLATFORM: u64 = 15;
/// Machine-dependent capability bits (CPUID leaf 1 EDX on x86).
pub const AT_HWCAP: u64 = 16;
/// Frequency of `times()`.
pub const AT_CLKTCK: u64 = 17;
/// FPU control word (SuperH).
pub const AT_FPUCW: u64 = 18;
/// Data cache block size (PowerPC).
pub const AT_DCACHEBSIZE: u64 = 19;
/// Instruction cache block size (PowerPC).
pub const AT_ICACHEBSIZE: u64 = 20;
/// Unified cache block size (PowerPC).
pub const AT_UCACHEBSIZE: u64 = 21;
/// Entry to ignore (PowerPC).
pub const AT_IGNOREPPC: u64 = 22;
/// Nonzero for set-user-ID and similar "secure" executions.
pub const AT_SECURE: u64 = 23;
/// Address of a string naming the real platform.
pub const AT_BASE_PLATFORM: u64 = 24;
/// Address of 16 random bytes (stack protector and pointer guard).
pub const AT_RANDOM: u64 = 25;
/// More machine-dependent capability bits.
pub const AT_HWCAP2: u64 = 26;
/// Size of the rseq area the kernel supports.
pub const AT_RSEQ_FEATURE_SIZE: u64 = 27;
/// Alignment the kernel requires for the rseq area.
pub const AT_RSEQ_ALIGN: u64 = 28;
/// Address of the program's file name.
pub const AT_EXECFN: u64 = 31;
/// Address of the vsyscall entry (i386).
pub const AT_SYSINFO: u64 = 32;
/// Address of the vDSO's ELF header.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// L1 instruction cache shape.
pub const AT_L1I_CACHESHAPE: u64 = 34;
/// L1 data cache shape.
pub const AT_L1D_CACHESHAPE: u64 = 35;
/// L2 cache shape.
pub const AT_L2_CACHESHAPE: u64 = 36;
/// L3 cache shape.
pub const AT_L3_CACHESHAPE: u64 = 37;
/// L1 instruction cache size.
pub const AT_L1I_CACHESIZE: u64 = 40;
/// L1 instruction cache geometry.
pub const AT_L1I_CACHEGEOMETRY: u64 = 41;
/// L1 data cache size.
pub const AT_L1D_CACHESIZE: u64 = 42;
/// L1 data cache geometry.
pub const AT_L1D_CACHEGEOMETRY: u64 = 43;
/// L2 cache size.
pub const AT_L2_CACHESIZE: u64 = 44;
/// L2 cache geometry.
pub const AT_L2_CACHEGEOMETRY: u64 = 45;
/// L3 cache size.
pub const AT_L3_CACHESIZE: u64 = 46;
/// L3 cache geometry.
pub const AT_L3_CACHEGEOMETRY: u64 = 47;
/// Minimal stack size for signal delivery.
pub const AT_MINSIGSTKSZ: u64 = 51;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relocation_names() {
        assert_eq!(reloc_type_name(R_X86_64_PC16), Some("R_X86_64_PC16"));
        assert_eq!(reloc_type_name(0), Some("R_X86_64_NONE"));
        assert_eq!(reloc_type_name(42), Some("R_X86_64_REX_GOTPCRELX"));
        // 39 and 40 were R_X86_64_PC32_BND and R_X86_64_PLT32_BND, withdrawn from the psABI.
        assert_eq!(reloc_type_name(39), None);
        assert_eq!(reloc_type_name(43), None);
    }
}
