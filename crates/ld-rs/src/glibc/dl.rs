//! The run-time entry points libc's `dl*` functions reach through
//! `_rtld_global_ro`: symbol lookup (`dlsym`, `dlvsym`, and libc's own
//! look-ups in the vDSO), translated from glibc's link-map world into the
//! linker's objects and back.

use alloc::vec::Vec;

use super::layout::{LinkMap, ScopeElem};
use crate::dso::DsoId;
use crate::lookup::{Class, Query, VersionReq};
use elf::Sym;

/// glibc's `struct r_found_version`: a version a lookup asks for.
#[repr(C)]
pub struct FoundVersion {
    pub name: *const u8,
    pub hash: u32,
    pub hidden: i32,
    pub filename: *const u8,
}

/// `DL_LOOKUP_RETURN_NEWEST`: an unversioned `dlsym` wants the default version.
const RETURN_NEWEST: i32 = 2;
/// `ELF_RTYPE_CLASS_PLT` and `ELF_RTYPE_CLASS_COPY`.
const CLASS_PLT: i32 = 1;
const CLASS_COPY: i32 = 2;

/// The object id behind one of our link-map records (we store it in `l_serial`).
///
/// # Safety
/// `map` is NULL or one of our records.
unsafe fn dso_of(map: *const LinkMap) -> Option<DsoId> {
    // SAFETY: the caller's contract.
    unsafe { map.as_ref().map(|m| m.l_serial as DsoId) }
}

/// `GLRO(dl_lookup_symbol_x)`: looks `name` up in each scope of the
/// NULL-terminated `scope` array, in order, skipping `skip`; stores the
/// definition in `*ref_` and returns its object's record, or stores NULL
/// and returns NULL.
///
/// # Safety
/// The pointers are libc's: `name` NUL-terminated, `scope` a NULL-terminated
/// array of our scope records, `version` NULL or a valid record, `ref_` writable.
pub unsafe extern "C" fn dl_lookup_symbol_x(
    name: *const u8,
    _undef_map: *mut LinkMap,
    ref_: *mut *const Sym,
    scope: *const *const ScopeElem,
    version: *const FoundVersion,
    type_class: i32,
    flags: i32,
    skip: *mut LinkMap,
) -> *mut LinkMap {
    // SAFETY: the caller's contract for every pointer below.
    unsafe {
        *ref_ = core::ptr::null();
        let Some(ld) = crate::rtld::linker() else {
            return core::ptr::null_mut();
        };
        let name = crate::start::cstr(name);
        let version = version.as_ref().filter(|v| !v.name.is_null()).map(|v| VersionReq {
            name: crate::start::cstr(v.name),
            hash: v.hash,
            hidden: v.hidden != 0,
        });
        let class = match type_class {
            CLASS_PLT => Class::Plt,
            CLASS_COPY => Class::Copy,
            _ => Class::Data,
        };
        let q = Query {
            name,
            gnu_hash: elf::gnu_hash(name),
            version,
            class,
            newest: flags & RETURN_NEWEST != 0,
        };
        let skip = dso_of(skip);
        let mut ids: Vec<DsoId> = Vec::new();
        let mut s = scope;
        while !s.is_null() && !(*s).is_null() {
            let elem = &**s;
            for i in 0..elem.r_nlist as usize {
                if let Some(id) = dso_of(*elem.r_list.add(i)) {
                    ids.push(id);
                }
            }
            s = s.add(1);
        }
        match ld.lookup(&ids, &q, skip) {
            Some(found) => {
                *ref_ = found.sym;
                super::map_of(found.dso)
            }
            None => core::ptr::null_mut(),
        }
    }
}
