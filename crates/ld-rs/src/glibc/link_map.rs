//! glibc-shaped `struct link_map` records for ld-rs's objects, and the
//! namespace list libc walks (`dl_iterate_phdr`, `dladdr`, `__libc_start_main`).
//!
//! Each object ld-rs loads gets one zeroed 1192-byte record that mirrors
//! what libc reads of glibc's own: the public head (`l_addr`, `l_name`,
//! `l_ld`, `l_next`, `l_prev`, as `<link.h>` and debuggers know it), `l_real`
//! pointing at itself, the `l_info` table of pointers into the object's
//! dynamic section, program headers, scopes, the GNU hash geometry `dladdr`
//! walks, and the TLS fields.  The records are chained in glibc's order:
//! the program, the vDSO, the libraries breadth-first, ld.so last.
//!
//! As glibc, we add the load bias to the address-valued entries of a
//! writable dynamic section (programs walk `_DYNAMIC` expecting run-time
//! addresses) and mark the others `l_ld_readonly`, for which libc adds
//! `l_addr` itself when it reads them.

use alloc::boxed::Box;
use alloc::vec::Vec;
use elf::consts::*;

use super::layout::{cur, lbits, LinkMap, Members, ScopeElem};
use crate::dso::{DsoId, Kind};
use crate::namespace::{NsId, BASE, MAX_NAMESPACES};
use crate::rtld::Linker;

/// glibc's `struct libname_list`: the names an object answers to.
#[repr(C)]
struct LibName {
    name: *const u8,
    next: *mut LibName,
    dont_free: i32,
}

/// One object's record as one allocation: the `struct link_map` libc sees
/// (first, so a record pointer is a `LinkMap` pointer) and everything of ours
/// it points to, freed together when the object is unloaded.
#[repr(C)]
struct Record {
    map: LinkMap,
    libname: LibName,
    /// `l_name`, `l_origin` and `libname.name`, NUL-terminated.
    strings: [Vec<u8>; 3],
    /// The array `l_searchlist.r_list` points at.
    searchlist: Vec<*mut LinkMap>,
}

/// A NUL-terminated copy of `s`.
fn cstr(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() + 1);
    v.extend_from_slice(s);
    v.push(0);
    v
}

/// The dynamic tags whose `d_ptr` glibc rewrites to run-time addresses in
/// a writable dynamic section (elf/get-dynamic-info.h).
const REWRITTEN_TAGS: [i64; 10] = [
    DT_HASH,
    DT_PLTGOT,
    DT_STRTAB,
    DT_SYMTAB,
    DT_RELA,
    DT_REL,
    DT_JMPREL,
    DT_RELR,
    DT_VERSYM,
    DT_GNU_HASH,
];

/// Whether glibc would have rewritten this object's dynamic section in
/// place: a program or library whose `PT_DYNAMIC` is in a writable segment.
fn rewrites_dynamic(dso: &crate::dso::Dso) -> bool {
    matches!(dso.kind, Kind::Main | Kind::Library)
        && dso.writable(dso.dynv.as_ptr() as usize, core::mem::size_of_val(dso.dynv))
}

/// Adds the load bias to the address-valued entries of each object's
/// dynamic section, as glibc does, because programs that walk `_DYNAMIC`
/// or `l_ld` expect run-time addresses there.  ld-rs itself has already
/// decoded the section, so nothing of ours reads these values again.
/// Must run while the sections are still writable (before RELRO).
pub fn relocate_dynamic(ld: &Linker, ids: &[DsoId]) {
    for &id in ids {
        let dso = &ld.objs[id];
        if dso.base == 0 || !rewrites_dynamic(dso) {
            continue;
        }
        for d in dso.dynv {
            if d.d_tag == DT_NULL {
                break;
            }
            if REWRITTEN_TAGS.contains(&d.d_tag) {
                let slot = core::ptr::addr_of!(d.d_val) as *mut u64;
                // SAFETY: the entry lies in a writable segment of the object
                // (checked by rewrites_dynamic), not yet write-protected.
                unsafe { slot.write(slot.read().wrapping_add(dso.base as u64)) };
            }
        }
    }
}

/// A new record for object `id`: everything but the list links and scopes.
fn record(ld: &Linker, id: DsoId) -> *mut LinkMap {
    let dso = &ld.objs[id];
    let rec = Box::new(Record {
        // SAFETY: every field of LinkMap is an integer, array or raw pointer: all-zero is valid.
        map: unsafe { core::mem::zeroed::<LinkMap>() },
        libname: LibName {
            name: core::ptr::null(),
            next: core::ptr::null_mut(),
            dont_free: 1,
        },
        strings: [
            cstr(if dso.kind == Kind::Main { b"" } else { &dso.name }),
            dso.origin.as_deref().map(cstr).unwrap_or_default(),
            // The program answers to no name, even when named on the command
            // line (glibc's `_dl_new_object` drops it; sotruss prints it).
            cstr(if dso.kind == Kind::Main { b"" } else { &dso.requested }),
        ],
        searchlist: Vec::new(),
    });
    // SAFETY: the record was just allocated; it stays where it is until
    // `free_record` (a Box's contents never move), so pointers into it hold.
    let rec: &'static mut Record = unsafe { &mut *Box::into_raw(rec) };
    rec.libname.name = rec.strings[2].as_ptr();
    let map = &mut rec.map;
    map.l_name = rec.strings[0].as_ptr();
    map.set(
        cur().lm.l_origin,
        match &dso.origin {
            Some(_) => rec.strings[1].as_ptr(),
            None => usize::MAX as *const u8,
        },
    );
    map.l_libname = &mut rec.libname as *mut LibName as usize;
    fill(map, ld, id);
    map
}

/// Record `map`'s fields from object `id` (all but its names, list links
/// and scopes): again when a record made as the object was mapped is
/// registered, as its TLS placement is known only then.
fn fill(map: &mut LinkMap, ld: &Linker, id: DsoId) {
    let dso = &ld.objs[id];
    let (l, b) = (&cur().lm, &cur().lbits);
    map.l_addr = dso.base;
    map.l_ld = dso.dynv.as_ptr() as usize;
    map.l_real = map;
    for d in dso.dynv {
        if d.d_tag == DT_NULL {
            break;
        }
        if let Some(slot) = cur().l_info_index(d.d_tag).and_then(|i| cur().l_info.nth(i)) {
            map.set(slot, d as *const elf::Dyn as usize);
        }
    }
    let phdr_vaddr = dso.phdrs.iter().find(|p| p.p_type == PT_PHDR).map(|p| p.p_vaddr);
    map.set(
        l.l_phdr,
        match phdr_vaddr {
            Some(v) => dso.base.wrapping_add(v as usize),
            None => dso.phdrs.as_ptr() as usize,
        },
    );
    map.set(l.l_phnum, dso.phdrs.len() as u16);
    map.set(l.l_ldnum, dso.dynv.len() as u16);
    map.set(l.l_entry, dso.entry);
    map.set(l.l_map_start, dso.map_start);
    map.set(l.l_map_end, dso.map_end);
    let kind = match dso.kind {
        Kind::Main => lbits::TYPE_EXECUTABLE | b.main_map,
        _ => lbits::TYPE_LIBRARY,
    };
    // glibc's convention: a writable dynamic section holds run-time
    // addresses (see `relocate_dynamic`), a read-only one link-time values.
    let readonly = if rewrites_dynamic(dso) { 0 } else { b.ld_readonly };
    // 2.41's `l_tls_in_slotinfo`: the module is in the slotinfo list (set by
    // its registration, which follows for every object with TLS).
    let in_slotinfo = if dso.tls.is_some() { b.tls_in_slotinfo } else { 0 };
    map.set(cur().l_bits, kind | b.contiguous | readonly | b.global | in_slotinfo);
    map.set(l.l_flags, dso.dynamic.get(DT_FLAGS).unwrap_or(0) as u32);
    map.set(l.l_flags_1, dso.dynamic.flags_1 as u32);
    map.set(l.l_versyms, dso.versym.map_or(0, |v| v.as_ptr() as usize));
    fill_gnu_hash(map, dso);
    if let Some(tls) = dso.tls {
        map.set(l.l_tls_initimage, tls.image);
        map.set(l.l_tls_initimage_size, tls.filesz);
        map.set(l.l_tls_blocksize, tls.memsz);
        map.set(l.l_tls_align, tls.align);
        map.set(l.l_tls_firstbyte_offset, tls.firstbyte_offset);
        map.set(l.l_tls_offset, tls.offset as isize);
        map.set(l.l_tls_modid, tls.modid);
    }
    if let Some(p) = dso.phdrs.iter().find(|p| p.p_type == PT_GNU_RELRO) {
        map.set(l.l_relro_addr, dso.base.wrapping_add(p.p_vaddr as usize));
        map.set(l.l_relro_size, p.p_memsz as usize);
    }
    map.set(l.l_file_id, [dso.dev, dso.ino]);
    map.set(l.l_serial, id as u64);
    map.l_ns = dso.ns as i64;
}

/// Records made as a `dlopen` maps its objects (`record_mapped`), with
/// each object's id and, for ld-rs's stand-in, its namespace (`BASE` for
/// an object's own record), until the `dlopen` registers them (`add`) or
/// fails (`drop_early`).
static EARLY: crate::grace::SpinLock<Vec<(DsoId, NsId, usize)>> = crate::grace::SpinLock::new(Vec::new());

/// Makes the record of object `id`, just mapped into namespace `ns` by a
/// `dlopen`, now — for ld-rs itself outside the base namespace, that
/// namespace's stand-in — as glibc's loader makes its record on mapping:
/// an audit module is given it in `la_objopen` before the object's
/// dependencies are searched for.  `real` is ld-rs's own record.
pub fn record_mapped(ld: &Linker, id: DsoId, ns: NsId, real: *mut LinkMap) {
    let (map, stand_in) = if ns != BASE && ld.objs[id].kind == Kind::Interpreter {
        if real.is_null() {
            return;
        }
        (proxy(real, ns, &ld.namespaces[ns].loader_record), ns)
    } else {
        (record(ld, id), BASE)
    };
    EARLY.with(|e| e.push((id, stand_in, map as usize)));
}

/// The record made early for object `id` as namespace `ns` lists it, if
/// any: its own, or ld-rs's stand-in there.
pub fn early(id: DsoId, ns: NsId) -> Option<*mut LinkMap> {
    EARLY.with(|e| {
        let found = e.iter().find(|&&(i, n, _)| i == id && n == ns);
        found
            .or_else(|| e.iter().find(|&&(i, n, _)| i == id && n == BASE))
            .map(|&(_, _, m)| m as *mut LinkMap)
    })
}

/// Takes the record made early for object `id` (`stand_in`: ld-rs's in
/// that namespace; `BASE`: the object's own).
fn take_early(id: DsoId, stand_in: NsId) -> Option<*mut LinkMap> {
    EARLY.with(|e| {
        let at = e.iter().position(|&(i, n, _)| i == id && n == stand_in)?;
        Some(e.swap_remove(at).2 as *mut LinkMap)
    })
}

/// Frees the records made early that no `dlopen` registered (it failed).
///
/// # Safety
/// Under the load lock; the records are in no list (modules told of them
/// were told they closed).
pub unsafe fn drop_early() {
    for (_, _, m) in EARLY.with(core::mem::take) {
        // SAFETY: the caller's contract; made by `record` or `proxy`.
        unsafe { free_record(m as *mut LinkMap) };
    }
}

/// Gives record `map` a new search list (`l_searchlist`): the old array is
/// retired, not freed, as a lookup may be walking it.
///
/// # Safety
/// `map` is one of our records; the caller holds the load lock (or is
/// single-threaded start-up).
pub unsafe fn set_searchlist(map: *mut LinkMap, list: Vec<*mut LinkMap>) {
    // SAFETY: the caller's contract: `map` is the head of a live `Record`.
    let rec = unsafe { &mut *(map as *mut Record) };
    let old = core::mem::replace(&mut rec.searchlist, list);
    let (ptr, n) = (rec.searchlist.as_mut_ptr(), rec.searchlist.len() as u32);
    // A reader pairing one field's old value with the other's new one must
    // see no more entries than the array it reads has: a longer list is
    // installed before its count, a shorter count before its list.
    let elem = rec.map.field(cur().lm.l_searchlist);
    use core::sync::atomic::{fence, Ordering::SeqCst};
    if n >= elem.r_nlist {
        elem.r_list = ptr;
        fence(SeqCst);
        elem.r_nlist = n;
    } else {
        elem.r_nlist = n;
        fence(SeqCst);
        elem.r_list = ptr;
    }
    crate::grace::retire(old);
}

/// Retires record `map` of an unloaded object, with its names and search
/// list: freed once no reader can hold it (`grace.rs`).
///
/// # Safety
/// `map` is one of our records, already unlinked from every list and table.
pub unsafe fn free_record(map: *mut LinkMap) {
    // SAFETY: the caller's contract: `map` came from `Box::into_raw` in `record`.
    crate::grace::retire(unsafe { Box::from_raw(map as *mut Record) });
}

/// Record `map` survives the unloading of records `dead`: it forgets them
/// as its loader and drops their search lists from its scopes (which stay
/// NULL-terminated, as libc walks them), its own search list taking the
/// place of the first one dropped.
///
/// # Safety
/// `map` is one of our live records; under the load lock.
pub unsafe fn forget_dead(map: *mut LinkMap, dead: &[*mut LinkMap]) {
    // SAFETY: the caller's contract; the dead records are still allocated.
    unsafe {
        let l = &cur().lm;
        let own = l.l_searchlist.ptr(map);
        let m = &mut *map;
        if dead.contains(&m.get(l.l_loader)) {
            m.set(l.l_loader, core::ptr::null_mut());
        }
        let lists: Vec<*mut ScopeElem> = dead.iter().map(|&d| l.l_searchlist.ptr(d)).collect();
        // The first dead list is replaced by the survivor's own search list
        // (itself and its dependencies), as glibc's `_dl_close_worker` does.
        let scopes = m.field(l.l_scope_mem);
        let mut own_added = scopes.contains(&own);
        let mut kept = 0;
        for i in 0..scopes.len() {
            let s = scopes[i];
            if s.is_null() {
                continue;
            }
            if !lists.contains(&s) {
                scopes[kept] = s;
                kept += 1;
            } else if !own_added {
                scopes[kept] = own;
                kept += 1;
                own_added = true;
            }
        }
        for s in scopes.iter_mut().skip(kept) {
            *s = core::ptr::null_mut();
        }
    }
}

/// Builds one record per object and links them in glibc's order.  Returns the
/// records indexed by `DsoId`, and the list order.
pub fn build(ld: &Linker) -> (Vec<*mut LinkMap>, Vec<DsoId>) {
    let mut maps: Vec<*mut LinkMap> = alloc::vec![core::ptr::null_mut(); ld.objs.bound()];
    for id in ld.objs.ids() {
        maps[id] = record(ld, id);
    }

    // The list: program, vDSO, libraries in load (breadth-first) order, ld.so last.
    let interp = ld.objs.position(|d| d.kind == Kind::Interpreter);
    let vdso = ld.objs.position(|d| d.kind == Kind::Vdso);
    let mut order: Vec<DsoId> = Vec::new();
    let global = ld.global(BASE);
    order.push(global[0]);
    order.extend(vdso);
    order.extend(global.iter().copied().skip(1).filter(|&id| Some(id) != interp));
    order.extend(interp);
    for (i, &id) in order.iter().enumerate() {
        // SAFETY: the records were just leaked and are exclusively ours during start-up.
        let map = unsafe { &mut *maps[id] };
        map.l_prev = if i == 0 {
            core::ptr::null_mut()
        } else {
            maps[order[i - 1]]
        };
        map.l_next = order.get(i + 1).map_or(core::ptr::null_mut(), |&n| maps[n]);
        map.set(cur().lm.l_idx, i as i32);
    }

    // Scopes: every start-up object looks symbols up in the global scope,
    // which is the program's search list.
    let main_map = maps[global[0]];
    for (id, dso) in ld.objs.enumerate() {
        let list: Vec<*mut LinkMap> = if id == global[0] {
            global.iter().map(|&id| maps[id]).collect()
        } else {
            core::iter::once(maps[id])
                .chain(dso.needed.iter().map(|&d| maps[d]))
                .collect()
        };
        // SAFETY: our record; start-up is single-threaded.
        unsafe { set_searchlist(maps[id], list) };
        // SAFETY: as above.
        let map = unsafe { &mut *maps[id] };
        let l = &cur().lm;
        // SAFETY: our records; start-up is single-threaded.
        unsafe { set_scopes(map, &[l.l_searchlist.ptr(main_map)]) };
        map.set(l.l_loader, dso.loader.map_or(core::ptr::null_mut(), |l| maps[l]));
    }
    (maps, order)
}

/// The records of one namespace as `dlopen` extends it: the table indexed
/// by `DsoId`, and the namespace's own record of ld-rs (`proxies`).
pub struct Records<'a> {
    pub maps: &'a mut Vec<*mut LinkMap>,
    pub proxies: &'a mut [*mut LinkMap; MAX_NAMESPACES],
    pub ns: NsId,
}

impl Records<'_> {
    /// The record that stands for object `id` in this namespace's lists:
    /// its own, or for ld-rs outside the base namespace, the namespace's
    /// stand-in.
    pub fn of(&self, ld: &Linker, id: DsoId) -> *mut LinkMap {
        if self.ns != BASE && ld.objs[id].kind == Kind::Interpreter {
            self.proxies[self.ns]
        } else {
            self.maps.get(id).copied().unwrap_or(core::ptr::null_mut())
        }
    }
}

/// A stand-in record for ld-rs in namespace `ns`: there is one dynamic
/// linker per process, so a library of another namespace that needs it
/// gets this record, which points at the real one (`l_real`) for
/// everything but the list it is linked in — as glibc's `_dl_map_object_from_fd`
/// makes one for `ld.so`, named by the file the namespace's search found
/// (`file`; the real record's name if none).
fn proxy(real: *mut LinkMap, ns: NsId, file: &[u8]) -> *mut LinkMap {
    // SAFETY: `real` is ld-rs's own record, which lives for the process.
    let (name, requested, id, addr, ld_) = unsafe {
        let r = &*real;
        let libname = &*(r.l_libname as *const LibName);
        (
            crate::start::cstr(r.l_name),
            crate::start::cstr(libname.name),
            r.get(cur().lm.l_serial),
            r.l_addr,
            r.l_ld,
        )
    };
    let rec = Box::new(Record {
        // SAFETY: every field of LinkMap is an integer, array or raw pointer: all-zero is valid.
        map: unsafe { core::mem::zeroed::<LinkMap>() },
        libname: LibName {
            name: core::ptr::null(),
            next: core::ptr::null_mut(),
            dont_free: 1,
        },
        strings: [
            cstr(if file.is_empty() { name } else { file }),
            Vec::new(),
            cstr(requested),
        ],
        searchlist: Vec::new(),
    });
    // SAFETY: as in `record`: the box's contents never move until `free_record`.
    let rec: &'static mut Record = unsafe { &mut *Box::into_raw(rec) };
    rec.libname.name = rec.strings[2].as_ptr();
    let map = &mut rec.map;
    map.l_name = rec.strings[0].as_ptr();
    map.l_libname = &mut rec.libname as *mut LibName as usize;
    map.set(cur().lm.l_origin, usize::MAX as *const u8);
    // gdb reads these two from every record of a list.
    map.l_addr = addr;
    map.l_ld = ld_;
    map.l_real = real;
    map.l_ns = ns as i64;
    map.set(cur().lm.l_serial, id);
    let b = &cur().lbits;
    map.set(cur().l_bits, lbits::TYPE_LIBRARY | b.relocated | b.init_called);
    // SAFETY: the record was just made and is ours alone.
    unsafe { set_scopes(map, &[]) };
    map
}

/// Records for objects `new` that `dlopen` loaded into namespace `r.ns`
/// with root `root` (whose search list is `local`), appended to the end of
/// the namespace's list in load order, with ld-rs's stand-in where the
/// namespace first needs it.  Returns how many records the list gained.
///
/// # Safety
/// Under the load lock and the write lock (libc walks the list under it).
pub unsafe fn add(ld: &Linker, r: &mut Records, root: DsoId, new: &[DsoId], local: &[DsoId]) -> u32 {
    let ns = r.ns;
    r.maps.resize(r.maps.len().max(ld.objs.bound()), core::ptr::null_mut());
    for &id in new {
        r.maps[id] = match take_early(id, BASE) {
            Some(map) => {
                // SAFETY: our record, in no list yet.
                fill(unsafe { &mut *map }, ld, id);
                map
            }
            None => record(ld, id),
        };
    }
    // Linked in load order, except that glibc links a filtee loaded with
    // its filter just before it.
    let mut appended: Vec<*mut LinkMap> = Vec::new();
    for &id in local {
        for &f in ld.objs[id].filtees.iter().chain([&id]) {
            if new.contains(&f) {
                if !appended.contains(&r.maps[f]) {
                    appended.push(r.maps[f]);
                }
            } else if ns != BASE && ld.objs[f].kind == Kind::Interpreter && r.proxies[ns].is_null() {
                r.proxies[ns] =
                    take_early(f, ns).unwrap_or_else(|| proxy(r.maps[f], ns, &ld.namespaces[ns].loader_record));
                appended.push(r.proxies[ns]);
            }
        }
    }
    for &id in new {
        if !appended.contains(&r.maps[id]) {
            appended.push(r.maps[id]);
        }
    }
    // SAFETY: our records; the lists are only changed here and in
    // `unregister`, under the caller's locks.
    unsafe {
        let slot = &mut super::gl().dl_ns[ns];
        let mut last = slot.ns_loaded;
        while !last.is_null() && !(*last).l_next.is_null() {
            last = (*last).l_next;
        }
        let l = &cur().lm;
        for &map in &appended {
            let m = &mut *map;
            if m.l_real == map {
                let bits = m.field(cur().l_bits);
                *bits = (*bits & !3) | lbits::TYPE_LOADED;
            }
            m.l_prev = last;
            if last.is_null() {
                slot.ns_loaded = map;
                m.set(l.l_idx, 0);
            } else {
                (*last).l_next = map;
                m.set(l.l_idx, (*last).get(l.l_idx) + 1);
            }
            last = map;
        }
        // The namespace's global scope is its first record's search list.
        let head = slot.ns_loaded;
        let global = ld.global(ns);
        let head_is_global = !head.is_null() && global.first().is_some_and(|&g| r.maps.get(g) == Some(&head));
        if head_is_global {
            set_searchlist(head, global.iter().map(|&id| r.of(ld, id)).collect());
        }
        let global_list = if head_is_global {
            l.l_searchlist.ptr(head)
        } else {
            core::ptr::null_mut()
        };
        let root_list = l.l_searchlist.ptr(r.maps[root]);
        for &id in new {
            let dso = &ld.objs[id];
            let map = &mut *r.maps[id];
            let list: Vec<*mut LinkMap> = if id == root {
                dso.local_scope.iter().map(|&d| r.of(ld, d)).collect()
            } else {
                core::iter::once(r.maps[id])
                    .chain(dso.needed.iter().map(|&d| r.of(ld, d)))
                    .collect()
            };
            if r.maps[id] != head || !head_is_global {
                set_searchlist(map, list);
            }
            // The global scope, then the root's search list unless that is
            // it; under RTLD_DEEPBIND the root's first.
            let (first, second) = if dso.deepbind && root_list != global_list {
                (root_list, global_list)
            } else {
                (global_list, root_list)
            };
            let mut scopes: Vec<*mut ScopeElem> = Vec::new();
            for list in [first, second] {
                if !list.is_null() && (scopes.is_empty() || list != scopes[0]) {
                    scopes.push(list);
                }
            }
            set_scopes(map, &scopes);
            map.set(l.l_loader, dso.loader.map_or(core::ptr::null_mut(), |l| r.of(ld, l)));
        }
        // ld-rs's stand-in looks up in the namespace's global scope, as
        // glibc's does (nothing calls through it).
        if ns != BASE && !r.proxies[ns].is_null() && (*r.proxies[ns]).get(l.l_scope_mem)[0].is_null() {
            (*r.proxies[ns]).field(l.l_scope_mem)[0] = global_list;
        }
        slot.ns_nloaded += appended.len() as u32;
    }
    appended.len() as u32
}

/// The GNU hash geometry `dladdr` walks on its own.
fn fill_gnu_hash(map: &mut LinkMap, dso: &crate::dso::Dso) {
    let Some(addr) = dso.dynamic.gnu_hash else { return };
    let Ok(head) = dso.image.slice::<u32>(addr, 4) else {
        return;
    };
    let (nbuckets, symoffset, bloom_size, shift) = (head[0], head[1], head[2], head[3]);
    let start = dso.base.wrapping_add(addr as usize);
    let bloom = start + 16;
    let buckets = bloom + 8 * bloom_size as usize;
    let chains = buckets + 4 * nbuckets as usize;
    let l = &cur().lm;
    map.set(l.l_nbuckets, nbuckets);
    map.set(l.l_gnu_bitmask_idxbits, bloom_size.wrapping_sub(1));
    map.set(l.l_gnu_shift, shift);
    map.set(l.l_gnu_bitmask, bloom);
    map.set(l.l_gnu_buckets, buckets);
    map.set(l.l_gnu_chain_zero, chains.wrapping_sub(4 * symoffset as usize));
}

/// Marks records as relocated and initialized to match the linker's state.
pub fn sync_state(ld: &Linker, maps: &[*mut LinkMap]) {
    for (id, dso) in ld.objs.enumerate() {
        let Some(&m) = maps.get(id).filter(|m| !m.is_null()) else {
            continue;
        };
        // SAFETY: our own records; libc does not run concurrently during start-up.
        let map = unsafe { &mut *m };
        if dso.relocated || matches!(dso.kind, Kind::Main | Kind::Vdso) {
            *map.field(cur().l_bits) |= cur().lbits.relocated;
        }
        if dso.init_called {
            *map.field(cur().l_bits) |= cur().lbits.init_called;
        }
    }
}

/// Record `map`'s scopes: its local scope is its own search list, and it
/// looks symbols up in `scopes` (at most four), in order.
///
/// # Safety
/// `map` and the search lists are live records of ours; the caller holds
/// the load lock (or is single-threaded start-up).
unsafe fn set_scopes(map: *mut LinkMap, scopes: &[*mut ScopeElem]) {
    let l = &cur().lm;
    let own = l.l_searchlist.ptr(map);
    let first = l.l_scope_mem.ptr(map).cast::<*mut ScopeElem>();
    // SAFETY: the caller's contract: nobody else writes this record now.
    let m = unsafe { &mut *map };
    m.set(l.l_local_scope, [own, core::ptr::null_mut()]);
    let mut mem = [core::ptr::null_mut(); 4];
    for (slot, &s) in mem.iter_mut().zip(scopes) {
        *slot = s;
    }
    m.set(l.l_scope_mem, mem);
    m.set(l.l_scope_max, 4);
    m.set(l.l_scope, first);
}
