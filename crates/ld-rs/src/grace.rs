//! Freeing what other threads may still be reading: read sections, a grace
//! period, and a list of retired allocations.
//!
//! # The problem
//! `dlopen` and `dlclose` change the linker's tables under the C library's
//! load lock, but some readers cannot take that lock: a lazily bound PLT
//! call may happen in any thread at any time, including while `dlopen`
//! runs constructors that wait for that thread (glibc's lazy binding takes
//! no lock for the same reason), and the unwinder's `_dl_find_object` must
//! not block.  Those readers walk object records, scope lists and the
//! published address table; `dlclose` must not free or unmap any of that
//! while a reader might be inside it.
//!
//! # The scheme: two reader counters and a grace period
//! A lock-free reader brackets its work with [`read`]: it increments one of
//! two counters, chosen by the low bit of `EPOCH`, and decrements the same
//! one when done.  A writer never frees in place: it first unpublishes the
//! thing (replaces the pointer or removes the record from every table
//! under the load lock), hands it to [`retire`], and at the end of its
//! `dlopen`/`dlclose` calls [`reclaim`], which waits for a *grace period*
//! and then frees everything retired before it.
//!
//! The grace period flips `EPOCH` and waits for the counter readers used
//! before the flip to drain to zero, then flips again and waits for the
//! other one.  Why that is enough: a reader that can hold a retired thing
//! loaded its pointer before the writer unpublished it.  All the counter
//! updates, the pointer loads and stores and the writer's counter reads are
//! sequentially consistent, so that reader's increment comes before the
//! unpublishing, which comes before the writer reads the counters.  A
//! counter the writer then sees at zero therefore includes that reader's
//! increment *and* its decrement (each reader decrements after its own
//! increment, in the counter's single modification order), so the reader
//! is done.  The writer waits for both counters, because it cannot know
//! which one the reader picked.  Flipping first keeps the wait bounded:
//! readers that start after a flip use the other counter, so only readers
//! already inside (one per thread at most) are waited for.
//!
//! A reader must not call anything that could `dlopen` or `dlclose` while it
//! is inside a section (the grace period would wait for itself): lazy
//! binding leaves its section before calling an IFUNC resolver, as glibc's
//! `_dl_fixup` resets its scope flag first.
//!
//! # After `fork`
//! A child process has one thread, so no reader can be inside a section in
//! it, but the counters it inherited may count readers of the parent's other
//! threads, which will never leave.  A writer that has waited a while checks
//! whether its process has one thread; if so, the counts are stale and are
//! cleared.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use crate::sys;

/// Which counter new readers use (the low bit).
static EPOCH: AtomicUsize = AtomicUsize::new(0);
/// Readers inside a section, by the epoch bit they entered with.
static READERS: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

/// Runs `f` as a lock-free reader: nothing retired after `f` started is
/// freed before `f` returns.
#[inline]
pub fn read<R>(f: impl FnOnce() -> R) -> R {
    let side = EPOCH.load(SeqCst) & 1;
    READERS[side].fetch_add(1, SeqCst);
    let r = f();
    READERS[side].fetch_sub(1, SeqCst);
    r
}

/// Anything whose drop frees memory or a mapping that readers may still use.
trait Garbage {}
impl<T> Garbage for T {}

/// Retired allocations waiting for a grace period; taken under `LIST_LOCK`.
struct Retired(core::cell::UnsafeCell<Vec<Box<dyn Garbage>>>);
// SAFETY: the list is only touched with LIST_LOCK held (see `with_list`).
unsafe impl Sync for Retired {}
static RETIRED: Retired = Retired(core::cell::UnsafeCell::new(Vec::new()));
static LIST_LOCK: AtomicBool = AtomicBool::new(false);

fn with_list<R>(f: impl FnOnce(&mut Vec<Box<dyn Garbage>>) -> R) -> R {
    while LIST_LOCK
        .compare_exchange_weak(false, true, SeqCst, core::sync::atomic::Ordering::Relaxed)
        .is_err()
    {
        core::hint::spin_loop();
    }
    // SAFETY: LIST_LOCK is held, so this is the only reference to the list.
    let r = f(unsafe { &mut *RETIRED.0.get() });
    LIST_LOCK.store(false, SeqCst);
    r
}

/// Hands `thing`, already unreachable for new readers, to the next
/// [`reclaim`], which drops it once no reader can hold it.
pub fn retire<T: 'static>(thing: T) {
    let boxed: Box<dyn Garbage> = Box::new(thing);
    with_list(|l| l.push(boxed));
}

/// Waits for a grace period, then drops everything retired before it.
/// Called by writers (under the load lock), never inside [`read`].
pub fn reclaim() {
    let garbage = with_list(core::mem::take);
    if garbage.is_empty() {
        return;
    }
    synchronize();
    drop(garbage);
}

/// Returns once every reader that was inside a section when it was called
/// has left it.
fn synchronize() {
    for _ in 0..2 {
        let old = EPOCH.fetch_add(1, SeqCst) & 1;
        let mut spins = 0u32;
        while READERS[old].load(SeqCst) != 0 {
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                sys::sched_yield();
            }
            // A forked child: only this thread exists, so the count is stale.
            if spins.is_multiple_of(4096) && sys::thread_count() == Some(1) {
                READERS[old].store(0, SeqCst);
            }
            core::hint::spin_loop();
        }
    }
}

/// A value lock-free readers load while writers replace it: a writer never
/// changes it in place but publishes a new one and retires the old, which
/// stays valid for readers inside a [`read`] section that loaded it.
pub struct Published<T: 'static> {
    ptr: core::sync::atomic::AtomicPtr<T>,
}

impl<T: 'static> Published<T> {
    pub fn new(value: T) -> Self {
        Published {
            ptr: core::sync::atomic::AtomicPtr::new(Box::into_raw(Box::new(value))),
        }
    }

    /// The current value.  A reader that is not the writer must be inside
    /// [`read`] for as long as it uses it.
    pub fn load(&self) -> &T {
        // SAFETY: the pointer always comes from `Box::into_raw` (new or
        // `set`); a value replaced by `set` is retired, so it stays valid
        // until every reader that could have loaded it left its section.
        unsafe { &*self.ptr.load(SeqCst) }
    }

    /// Publishes `value`; the old one is freed after a grace period.
    /// Writers only (the load lock, or single-threaded start-up).
    pub fn set(&self, value: T) {
        let old = self.ptr.swap(Box::into_raw(Box::new(value)), SeqCst);
        // SAFETY: `old` came from `Box::into_raw` and is no longer published.
        retire(unsafe { Box::from_raw(old) });
    }
}

impl<T: 'static> core::ops::Deref for Published<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.load()
    }
}

impl<T: 'static> Drop for Published<T> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::into_raw`; the owner is being
        // dropped, which for a record happens only after its own grace period.
        drop(unsafe { Box::from_raw(*self.ptr.get_mut()) });
    }
}

impl<T: Default + 'static> Default for Published<T> {
    fn default() -> Self {
        Published::new(T::default())
    }
}

/// A small spin lock, for a table that lock-free readers may also change
/// (the `STB_GNU_UNIQUE` bindings): held only for a search and a push.
pub struct SpinLock<T> {
    locked: AtomicBool,
    value: core::cell::UnsafeCell<T>,
}

// SAFETY: `value` is only reached through `with`, which holds `locked`.
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T: Default> Default for SpinLock<T> {
    fn default() -> Self {
        SpinLock::new(T::default())
    }
}

impl<T> SpinLock<T> {
    pub const fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            value: core::cell::UnsafeCell::new(value),
        }
    }

    /// Runs `f` with the value, the lock held.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        while self
            .locked
            .compare_exchange_weak(false, true, SeqCst, core::sync::atomic::Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference.
        let r = f(unsafe { &mut *self.value.get() });
        self.locked.store(false, SeqCst);
        r
    }
}
