//! The table of loaded objects: numbered slots that lock-free readers index
//! while `dlopen` and `dlclose` fill and empty them.
//!
//! # Ids
//! A `DsoId` is a slot number.  `dlclose` empties an object's slot and a
//! later `dlopen` reuses it, so a process that loads and unloads libraries
//! for hours keeps a table as large as the most objects it ever held at
//! once, not as large as all it ever loaded.  An id is never kept past its
//! object: when an object is removed, the linker deletes its id from every
//! list that held it (scopes, dependencies, the finalizer order) before
//! the slot can be reused, and the C library's handles are the link-map
//! records, which die with the object.  So no generation count is needed
//! to tell an old id from a new one: an old id does not exist.
//!
//! # Concurrency
//! The slots never move: they live in fixed chunks, allocated on first use
//! and never freed, so a reader may index the table without a lock while a
//! writer (under the load lock) fills or empties another slot.  A removed
//! record is not freed here but handed back to the caller, which retires it
//! (`grace.rs`) so that a reader still inside it finishes first.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::dso::{Dso, DsoId};

/// Slots per chunk, and chunks: at most 65,536 objects at once.
const CHUNK: usize = 256;
const CHUNKS: usize = 256;

type Chunk = [AtomicPtr<Dso>; CHUNK];

/// Every loaded object, by id, and in load order.
pub struct Objects {
    chunks: [AtomicPtr<Chunk>; CHUNKS],
    /// The live objects' ids in load order (the link map's order).
    order: Vec<DsoId>,
    /// Emptied slots, reused before new ones.
    free: Vec<DsoId>,
    /// One past the highest slot ever used.
    bound: usize,
    /// The last serial number given to a record.
    serial: u64,
}

impl Default for Objects {
    fn default() -> Self {
        Objects {
            chunks: [const { AtomicPtr::new(core::ptr::null_mut()) }; CHUNKS],
            order: Vec::new(),
            free: Vec::new(),
            bound: 0,
            serial: 0,
        }
    }
}

impl Objects {
    /// The slot of `id`, if its chunk exists.
    fn slot(&self, id: DsoId) -> Option<&AtomicPtr<Dso>> {
        let chunk = self.chunks.get(id / CHUNK)?.load(Ordering::Acquire);
        // SAFETY: a non-null chunk pointer comes from `Box::into_raw` in
        // `insert` and is never freed.
        let chunk = unsafe { chunk.as_ref()? };
        Some(&chunk[id % CHUNK])
    }

    /// Adds a record; returns its id (a reused slot if one is free).
    /// Under the load lock (or during start-up).
    pub fn insert(&mut self, mut dso: Box<Dso>) -> DsoId {
        self.serial += 1;
        dso.serial = self.serial;
        let id = self.free.pop().unwrap_or(self.bound);
        let Some(c) = self.chunks.get(id / CHUNK) else { full() };
        if c.load(Ordering::Acquire).is_null() {
            let fresh: Box<Chunk> = Box::new([const { AtomicPtr::new(core::ptr::null_mut()) }; CHUNK]);
            c.store(Box::into_raw(fresh), Ordering::Release);
        }
        let slot = self.slot(id).unwrap_or_else(|| full());
        slot.store(Box::into_raw(dso), Ordering::SeqCst);
        self.bound = self.bound.max(id + 1);
        self.order.push(id);
        id
    }

    /// Takes `id` out of the table (load order, free slots) and returns its
    /// record, which stays in its slot until the returned guard is dropped:
    /// a lock-free reader holding `id` from an older published scope still
    /// finds it there.  The caller retires the guard (`grace.rs`).
    pub fn remove(&mut self, id: DsoId) -> Option<Removed> {
        let slot = self.slot(id)? as *const AtomicPtr<Dso>;
        // SAFETY: chunks are never freed, so the slot outlives the guard.
        let p = unsafe { &*slot }.load(Ordering::SeqCst);
        if p.is_null() {
            return None;
        }
        self.order.retain(|&o| o != id);
        self.free.push(id);
        Some(Removed { slot, record: p })
    }

    /// The record of `id`, if it is loaded.
    pub fn get(&self, id: DsoId) -> Option<&Dso> {
        let p = self.slot(id)?.load(Ordering::SeqCst);
        // SAFETY: a non-null slot points at a live record: removal empties the
        // slot before the record is retired, and a retired record is freed
        // only after every reader that could have loaded it has finished.
        unsafe { p.as_ref() }
    }

    fn get_mut(&mut self, id: DsoId) -> Option<&mut Dso> {
        let p = self.slot(id)?.load(Ordering::SeqCst);
        // SAFETY: as `get`; the writer holds the table exclusively.
        unsafe { p.as_mut() }
    }

    /// One past the highest id: the size of a table indexed by id.
    pub fn bound(&self) -> usize {
        self.bound
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The ids of the loaded objects, in load order.
    pub fn ids(&self) -> Vec<DsoId> {
        self.order.clone()
    }

    /// The loaded objects, in load order.
    pub fn iter(&self) -> impl Iterator<Item = &Dso> + '_ {
        self.order.iter().filter_map(|&id| self.get(id))
    }

    /// The loaded objects with their ids, in load order.
    pub fn enumerate(&self) -> impl Iterator<Item = (DsoId, &Dso)> + '_ {
        self.order.iter().filter_map(|&id| self.get(id).map(|d| (id, d)))
    }

    /// The first object in load order that satisfies `pred`.
    pub fn position(&self, mut pred: impl FnMut(&Dso) -> bool) -> Option<DsoId> {
        self.order
            .iter()
            .copied()
            .find(|&id| self.get(id).is_some_and(&mut pred))
    }

    /// The loaded objects, mutably, in load order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Dso> + '_ {
        let chunks = &self.chunks;
        self.order.iter().filter_map(move |&id| {
            let chunk = chunks.get(id / CHUNK)?.load(Ordering::Acquire);
            // SAFETY: chunks are never freed (see `slot`); each id appears once
            // in `order`, so the records handed out are distinct, and the
            // caller holds the table exclusively.
            unsafe { chunk.as_ref()?[id % CHUNK].load(Ordering::SeqCst).as_mut() }
        })
    }

    /// Applies `f` to every loaded object, in load order.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(DsoId, &mut Dso)) {
        for id in self.order.clone() {
            if let Some(d) = self.get_mut(id) {
                f(id, d);
            }
        }
    }
}

impl core::ops::Index<DsoId> for Objects {
    type Output = Dso;
    fn index(&self, id: DsoId) -> &Dso {
        self.get(id).unwrap_or_else(|| gone(id))
    }
}

impl core::ops::IndexMut<DsoId> for Objects {
    fn index_mut(&mut self, id: DsoId) -> &mut Dso {
        match self.get_mut(id) {
            Some(d) => d,
            None => gone(id),
        }
    }
}

/// An id used after its object was removed: a bug in ld-rs.
#[cold]
fn gone(_id: DsoId) -> ! {
    panic!("object record used after removal")
}

/// More objects at once than the table has slots.
#[cold]
fn full() -> ! {
    crate::sys::write_all(2, b"ld-rs.so: more than 65536 objects loaded at once\n");
    crate::sys::exit(127)
}

/// A record taken out of the table: it is freed, and its slot emptied unless
/// a new record took it, when this is dropped (after a grace period).
pub struct Removed {
    slot: *const AtomicPtr<Dso>,
    record: *mut Dso,
}

impl Removed {
    /// The record.
    pub fn dso(&self) -> &Dso {
        // SAFETY: the record is alive until this guard is dropped.
        unsafe { &*self.record }
    }
}

impl Drop for Removed {
    fn drop(&mut self) {
        // SAFETY: the slot lives in a chunk that is never freed; the record
        // came from `Box::into_raw` in `insert` and is freed only here.
        unsafe {
            let _ =
                (*self.slot).compare_exchange(self.record, core::ptr::null_mut(), Ordering::SeqCst, Ordering::SeqCst);
            drop(Box::from_raw(self.record));
        }
    }
}
