//! The linker's own heap: size-class free lists over memory from `mmap`.
//!
//! The loader allocates little (one record per object, search paths, a few
//! tables) and frees less, so a simple design serves: requests up to 4 KiB
//! are rounded to a power of two and served from a free list of that class,
//! refilled from 64 KiB chunks; larger ones get pages of their own.  A spin
//! lock makes it usable from `dlopen` in any thread later; at start-up there
//! is only one thread and the lock is never contended.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::sys;

const PAGE: usize = 4096;
const CHUNK: usize = 64 * 1024;
/// Classes 16, 32, ..., 4096 bytes.
const CLASSES: usize = 9;
const MIN_SHIFT: u32 = 4;

struct State {
    free: [usize; CLASSES],
    bump: usize,
    bump_end: usize,
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
            return map_pages(pages(layout.size()));
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
                let chunk = map_pages(CHUNK);
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
