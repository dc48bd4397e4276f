//! The linker's own heap: size-class free lists over memory from `mmap`.
//!
//! The loader allocates little (one record per object, search paths, a few
//! tables) and frees less, so a simple design serves: requests up to 4 KiB
//! are rounded to a power of two and served from a free list of that class,
//! refilled from 64 KiB chunks; larger ones get pages of their own.  A spin
//! lock makes it usable from `dlopen` in any thread later; at start-up there
//! is only one thread and the lock is never contended.
//!
//! # When the kernel has no memory
//! Rust's collections cannot report a failed allocation: it ends the
//! process.  At start-up that is right (glibc's loader gives up too, with
//! one line and status 127: see the panic handler in `main.rs`), but a
//! `dlopen` must return NULL instead and leave the process running.  So
//! `dlopen` first makes sure the heap holds a *reserve* (`replenish`): pages
//! mapped in advance, from which an allocation the kernel refuses is served
//! instead, noting the shortage.  The `dlopen` then finishes its bookkeeping
//! and, seeing the shortage (`take_shortage`), undoes its load and fails with
//! "cannot allocate memory", as glibc's would.  The reserve is mapped but
//! never touched until needed, so it costs address space, not memory.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::sys;

const PAGE: usize = 4096;
const CHUNK: usize = 64 * 1024;
/// Classes 16, 32, ..., 4096 bytes.
const CLASSES: usize = 9;
const MIN_SHIFT: u32 = 4;

/// The reserve `dlopen` keeps for allocations the kernel refuses.
const RESERVE: usize = 128 * 1024;

struct State {
    free: [usize; CLASSES],
    bump: usize,
    bump_end: usize,
    /// The reserve's pages not handed out yet: `[reserve, reserve_end)`.
    reserve: usize,
    reserve_end: usize,
}

pub struct Heap {
    lock: AtomicBool,
    state: UnsafeCell<State>,
}

// SAFETY: `state` is only touched while `lock` is held.
unsafe impl Sync for Heap {}

#[global_allocator]
static HEAP: Heap = Heap {
    lock: AtomicBool::new(false),
    state: UnsafeCell::new(State {
        free: [0; CLASSES],
        bump: 0,
        bump_end: 0,
        reserve: 0,
        reserve_end: 0,
    }),
};

fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let class = (usize::BITS - (size - 1).leading_zeros()).saturating_sub(MIN_SHIFT) as usize;
    (class < CLASSES).then_some(class)
}

fn pages(n: usize) -> usize {
    (n + PAGE - 1) & !(PAGE - 1)
}

impl Heap {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference to the state.
        let r = f(unsafe { &mut *self.state.get() });
        self.lock.store(false, Ordering::Release);
        r
    }
}

/// Set when the kernel refused the heap memory: the allocation failure that
/// follows ends the process with a loader error (see `main.rs`'s panic
/// handler), not as a bug.
pub static OUT_OF_MEMORY: AtomicBool = AtomicBool::new(false);

/// Set when an allocation came from the reserve (`take_shortage`).
static SHORTAGE: AtomicBool = AtomicBool::new(false);

/// Pages mapped for a request of `len` bytes (a multiple of the page size),
/// or taken from the reserve when the kernel refuses them; null if neither.
fn map_or_reserve(st: &mut State, len: usize) -> *mut u8 {
    let p = map_pages(len);
    if !p.is_null() {
        return p;
    }
    if st.reserve_end - st.reserve < len {
        OUT_OF_MEMORY.store(true, Ordering::Relaxed);
        return p;
    }
    let p = st.reserve;
    st.reserve += len;
    SHORTAGE.store(true, Ordering::Relaxed);
    p as *mut u8
}

/// Makes sure a whole reserve is mapped; false if the kernel has no memory
/// for it (the caller fails at once).  A partly used reserve is given back
/// and a new one mapped.
pub fn replenish() -> bool {
    HEAP.with(|st| {
        if st.reserve_end - st.reserve == RESERVE {
            return true;
        }
        let fresh = map_pages(RESERVE);
        if fresh.is_null() {
            return false;
        }
        if st.reserve_end > st.reserve {
            // SAFETY: the reserve's unused pages: nothing was handed out from them.
            let _ = unsafe { sys::munmap(st.reserve, st.reserve_end - st.reserve) };
        }
        st.reserve = fresh as usize;
        st.reserve_end = fresh as usize + RESERVE;
        true
    })
}

/// Whether an allocation came from the reserve since the last call.
pub fn take_shortage() -> bool {
    SHORTAGE.swap(false, Ordering::Relaxed)
}

fn map_pages(len: usize) -> *mut u8 {
    // SAFETY: a fresh anonymous private mapping at an address of the kernel's choosing.
    let r = unsafe {
        sys::mmap(
            0,
            len,
            sys::PROT_READ | sys::PROT_WRITE,
            sys::MAP_PRIVATE | sys::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    match r {
        Ok(addr) => addr as *mut u8,
        Err(_) => core::ptr::null_mut(),
    }
}

// SAFETY: blocks handed out are disjoint (free lists and the bump region never
// overlap), sized and aligned for the class (a class block is aligned to its
// size up to 4 KiB, which covers every alignment it was chosen for).
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(&layout) else {
            return self.with(|st| map_or_reserve(st, pages(layout.size())));
        };
        let size = 1usize << (class as u32 + MIN_SHIFT);
        self.with(|st| {
            let head = st.free[class];
            if head != 0 {
                // SAFETY: a free block's first word links to the next free block.
                st.free[class] = unsafe { *(head as *const usize) };
                return head as *mut u8;
            }
            let mut start = (st.bump + size - 1) & !(size - 1);
            if st.bump == 0 || start + size > st.bump_end {
                let chunk = map_or_reserve(st, CHUNK);
                if chunk.is_null() {
                    return chunk;
                }
                st.bump = chunk as usize;
                st.bump_end = chunk as usize + CHUNK;
                start = st.bump;
            }
            st.bump = start + size;
            start as *mut u8
        })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(&layout) else {
            // SAFETY: large blocks are whole mappings of exactly this rounded size.
            let _ = unsafe { sys::munmap(ptr as usize, pages(layout.size())) };
            return;
        };
        self.with(|st| {
            // SAFETY: the block is ours and free now; its first word becomes the link.
            unsafe { *(ptr as *mut usize) = st.free[class] };
            st.free[class] = ptr as usize;
        })
    }
}
