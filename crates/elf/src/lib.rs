//! The `elf` crate: safe, zero-copy views over ELF64 x86-64 objects and `/etc/ld.so.cache`.
//!
//! This is the parsing half of ld-rs. It never maps, allocates or relocates anything; it only
//! answers questions about bytes the linker already holds, and it answers them without trusting
//! a single header field. Every offset is bounds-checked, every count is bounded, every loop
//! terminates even on a hostile file (GNU and SysV hash chains can be made cyclic), and every
//! failure is a small `Copy` [`Error`] instead of a panic — the linker runs before anything could
//! catch one.
//!
//! The crate is layered the way the ELF specification is:
//!
//! * [`pod`] is the one unsafe primitive: it reinterprets checked byte ranges as `#[repr(C)]`
//!   records. Everything above it is safe code over `&[u8]`.
//! * [`types`] and [`consts`] spell the gABI and the x86-64 psABI records and numbers with their
//!   own names (`Phdr`, `st_value`, `DT_NEEDED`, `R_X86_64_JUMP_SLOT`) so that this code and the
//!   specifications can be read side by side.
//! * [`header`] checks a file before it is mapped, with the diagnostics glibc's `open_verify`
//!   gives; [`image`] addresses a mapped object by link-time virtual address and confines every
//!   access to one readable `PT_LOAD`.
//! * [`dynamic`], [`hash`], [`symbols`], [`version`] and [`relocs`] decode what `PT_DYNAMIC`
//!   points at; [`cache`] reads the file `ldconfig` writes.
//!
//! A symbol lookup in one loaded object, from its program headers to a `Sym`:
//!
//! ```no_run
//! use elf::{gnu_hash, DynamicInfo, GnuHash, Image, Phdr, StrTab, Sym, DT_SYMTAB, PT_DYNAMIC};
//!
//! fn find<'a>(
//!     memory: &'a [u8],
//!     start: u64,
//!     phdrs: &'a [Phdr],
//!     name: &[u8],
//! ) -> elf::Result<Option<&'a Sym>> {
//!     let image = Image::new(memory, start, phdrs);
//!     let Some(dynamic) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
//!         return Ok(None);
//!     };
//!     let dyns = image.slice(dynamic.p_vaddr, dynamic.p_memsz / elf::DYN_SIZE as u64)?;
//!     let info = DynamicInfo::parse(dyns)?;
//!     let strtab = StrTab::from_dynamic(&image, &info)?;
//!     let (Some(hash_at), Some(symtab_at)) = (info.gnu_hash, info.get(DT_SYMTAB)) else {
//!         return Ok(None);
//!     };
//!     let table = GnuHash::parse(&image, hash_at)?;
//!     let symtab: &[Sym] = image.slice(symtab_at, u64::from(table.symbol_count()?))?;
//!     let found = table.find(gnu_hash(name), |&i| {
//!         symtab.get(i as usize).is_some_and(|s| strtab.matches(s.st_name, name))
//!     });
//!     Ok(found.and_then(|i| symtab.get(i as usize)))
//! }
//! ```
//!
//! Only ELF64 little-endian x86-64 is supported: ld-rs is a program interpreter for one machine,
//! and generic 32/64-bit code would make every reader pay for a case that never happens.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code, unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

pub mod cache;
pub mod consts;
pub mod dynamic;
pub mod error;
pub mod hash;
pub mod header;
pub mod image;
#[allow(unsafe_code)]
pub mod pod;
pub mod relocs;
pub mod symbols;
pub mod types;
pub mod version;

#[cfg(test)]
mod testutil;

pub use cache::{libcmp, Cache};
pub use consts::*;
pub use dynamic::{needed, DynamicInfo, DT_NUM_TAGS};
pub use error::{Error, Result};
pub use hash::{gnu_hash, sysv_hash, GnuCandidates, GnuHash, SysvCandidates, SysvHash};
pub use header::{parse_ehdr, phdr_range, phdrs};
pub use image::{Image, Window};
pub use pod::Pod;
pub use relocs::{relr, relr_groups, RelrGroups, RelrIter};
pub use symbols::StrTab;
pub use types::*;
pub use version::{VerDef, VerDefIter, VerNaux, VerNauxIter, VerNeed, VerNeedIter};
