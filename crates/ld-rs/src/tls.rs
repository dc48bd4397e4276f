//! Thread-local storage: module ids and the static TLS layout (psABI variant II).
//!
//! # How TLS is laid out on x86_64
//! Each object with a `PT_TLS` segment is a TLS *module*: its segment is the
//! initialization image of a block that every thread gets its own copy of.
//! Modules are numbered from 1 in load order (the executable first, because
//! its local-exec code hard-codes its block's position).  A module loaded by
//! `dlopen` takes the lowest id free at that time: ids of unloaded modules
//! are reused, so a process may load and unload for ever.
//!
//! On x86_64 the thread pointer (`%fs` base) points at the thread control
//! block, and the static blocks of the modules loaded at start-up sit just
//! *below* it ("variant II"): module m's block starts at `tp - offset[m]`.
//! Offsets are assigned in module order, each block placed at the next
//! position that satisfies its alignment, counting from the thread pointer
//! downwards; an alignment gap large enough for a later, smaller block is
//! reused (glibc elf/dl-tls.c `_dl_determine_tlsoffset`, whose placement we
//! follow so that offsets match glibc's).
//!
//! Code reaches a variable as `tp - offset + st_value` (initial-exec and
//! local-exec, through `R_X86_64_TPOFF64`) or through `__tls_get_addr`
//! with a (module id, offset-in-block) pair (`R_X86_64_DTPMOD64`,
//! `R_X86_64_DTPOFF64`).  Allocating the blocks and the thread control block
//! itself is the C library's business; see `glibc/tls.rs`.

use crate::dso::DsoId;
use crate::rtld::Linker;

/// One TLS module: an object's `PT_TLS`, and where its block goes.
#[derive(Clone, Copy, Debug, Default)]
pub struct TlsModule {
    /// The module id (1-based), 0 until assigned.
    pub modid: usize,
    /// Run-time address of the initialization image.
    pub image: usize,
    /// Bytes of the image to copy into each block.
    pub filesz: usize,
    /// The block size (the rest is zeroed).
    pub memsz: usize,
    /// The block's alignment (at least 1).
    pub align: usize,
    /// `p_vaddr % align`: where in an aligned unit the block must start.
    pub firstbyte_offset: usize,
    /// Static TLS: the block is at `tp - offset`.  0 if not (yet) placed.
    pub offset: usize,
}

/// What the C library's TLS run-time does for the linker after start-up
/// (`glibc/tls.rs` for glibc).
#[derive(Clone, Copy)]
pub struct TlsRuntime {
    /// Whether module `modid` (of object `def`) already has a dynamic block
    /// in some thread, so that it cannot be given a static one.
    pub forced_dynamic: fn(modid: usize, def: DsoId) -> bool,
    /// A TLS descriptor `(resolver, argument)` for offset `offset` in module
    /// `modid`'s block, wherever each thread has it (no static block left):
    /// made for object `owner` and freed when `owner` is released.
    pub dynamic_desc: fn(owner: DsoId, modid: usize, offset: usize) -> Option<(usize, usize)>,
    /// Objects `gone` are being unloaded, taking their modules `modids`
    /// (and what the runtime made for them) with them; `static_used` is what
    /// is left in use of the static area.
    pub release: fn(gone: &[DsoId], modids: &[usize], static_used: usize),
}

/// The linker's TLS bookkeeping after start-up.
#[derive(Clone, Copy, Default)]
pub struct TlsState {
    /// How many modules start-up numbered (ids 1..=static_nelem never change).
    pub static_nelem: usize,
    /// Static TLS bytes in use below the thread pointer.
    pub static_used: usize,
    /// How many bytes below the thread pointer the C library reserved
    /// (start-up blocks plus a surplus for `dlopen`).
    pub static_limit: usize,
    /// The static area's alignment: a block aligned more cannot go there.
    pub static_align: usize,
    /// What TLS descriptors may still take of the surplus.
    pub static_optional: usize,
    /// The C library's hooks, once it has set them.
    pub runtime: Option<TlsRuntime>,
}

/// The static TLS layout of the start-up modules.
#[derive(Clone, Copy, Debug, Default)]
pub struct StaticLayout {
    /// Bytes below the thread pointer used by the start-up modules.
    pub used: usize,
    /// The largest alignment among them (at least 1).
    pub max_align: usize,
    /// The highest module id assigned.
    pub max_modid: usize,
}

impl Linker {
    /// Numbers the TLS modules among the loaded objects and gives each a
    /// static offset.
    pub fn layout_static_tls(&mut self) -> StaticLayout {
        let mut layout = StaticLayout {
            used: 0,
            max_align: 1,
            max_modid: 0,
        };
        // Space freed by alignment gaps: [free_top, free_bottom) in offsets.
        let (mut free_top, mut free_bottom) = (0usize, 0usize);
        let mut offset = 0usize;
        for dso in self.objs.iter_mut() {
            let Some(tls) = dso.tls.as_mut() else { continue };
            layout.max_modid += 1;
            tls.modid = layout.max_modid;
            let align = tls.align.max(1);
            layout.max_align = layout.max_align.max(align);
            let firstbyte = tls.firstbyte_offset.wrapping_neg() & (align - 1);
            let size = tls.memsz;
            if free_bottom - free_top >= size {
                let off = round_up(free_top + size - firstbyte.min(free_top + size), align) + firstbyte;
                if off <= free_bottom {
                    free_top = off;
                    tls.offset = off;
                    continue;
                }
            }
            let off = round_up(offset + size - firstbyte.min(offset + size), align) + firstbyte;
            if off > offset + size + (free_bottom - free_top) {
                free_top = offset;
                free_bottom = off - size;
            }
            offset = off;
            tls.offset = off;
        }
        layout.used = offset;
        layout
    }

    /// The lowest module id no live object holds, for an object loaded by
    /// `dlopen`: ids freed by `dlclose` (or a failed `dlopen`) are reused
    /// before the range grows, as glibc fills `dl_tls_dtv_gaps` first, so a
    /// process that keeps loading and unloading never runs out of ids.
    pub fn next_tls_modid(&self) -> usize {
        let mut used: alloc::vec::Vec<usize> = self
            .objs
            .iter()
            .filter_map(|d| d.tls.map(|t| t.modid))
            .filter(|&m| m > self.tls.static_nelem)
            .collect();
        used.sort_unstable();
        let mut next = self.tls.static_nelem + 1;
        for m in used {
            if m == next {
                next += 1;
            } else if m > next {
                break;
            }
        }
        next
    }

    /// The static offset of object `def`'s TLS block, placing a block loaded
    /// by `dlopen` in the static surplus if it needs one (initial-exec code,
    /// `DF_STATIC_TLS`, TLS descriptors) and room is left.  0: none.
    ///
    /// `optional`: a TLS descriptor asks, which could do with dynamic TLS;
    /// it may only use the "optional" part of the surplus (glibc's
    /// `_dl_try_allocate_static_tls`, whose placement this follows: the
    /// block goes as high in the free space as its alignment allows).  A
    /// block some thread already reached through `__tls_get_addr` lives in
    /// dynamic TLS for good and cannot move (glibc's "cannot allocate memory
    /// in static TLS block").
    pub fn static_tls_offset(&mut self, def: DsoId, optional: bool) -> usize {
        let Some(tls) = self.objs[def].tls else { return 0 };
        if tls.offset != 0 || !self.started {
            return tls.offset;
        }
        if self.tls.runtime.is_some_and(|rt| (rt.forced_dynamic)(tls.modid, def)) {
            return 0;
        }
        let align = tls.align.max(1);
        if align > self.tls.static_align.max(1) {
            return 0;
        }
        let st = &mut self.tls;
        let Some(free) = st.static_limit.checked_sub(st.static_used) else {
            return 0;
        };
        let firstbyte = tls.firstbyte_offset;
        let Some(block) = tls.memsz.checked_add(firstbyte).filter(|&b| b <= free) else {
            return 0;
        };
        let n = (free - block) / align;
        let used = free - n * align - firstbyte;
        if optional {
            if used > st.static_optional {
                return 0;
            }
            st.static_optional -= used;
        }
        let off = st.static_used + used;
        st.static_used = off;
        if let Some(t) = self.objs[def].tls.as_mut() {
            t.offset = off;
        }
        off
    }

    /// Objects `gone` are being unloaded (by `dlclose`, or by a `dlopen`
    /// that failed after giving them module ids): their TLS modules are
    /// released.  The C library's side (the slot table, the generation that
    /// makes other threads free their blocks) through the runtime's hook;
    /// here, static-surplus space given back when it is at the end of the
    /// used area, as glibc's `_dl_close_worker` reclaims it: the blocks of
    /// the unloaded objects that form one contiguous run are collected, and
    /// the run is given back if nothing was placed below it since.
    pub fn release_tls(&mut self, gone: &[DsoId]) {
        let mut modids = alloc::vec::Vec::new();
        // [start, end) in offsets from the thread pointer; 0 = none.
        let (mut start, mut end) = (0usize, 0usize);
        for &id in gone {
            let Some(t) = self.objs[id].tls else { continue };
            if t.modid != 0 {
                modids.push(t.modid);
            }
            if t.offset == 0 {
                continue;
            }
            let (lo, hi) = (t.offset - t.memsz.min(t.offset), t.offset);
            if start == 0 && end == 0 || hi == start {
                start = lo;
                if end == 0 {
                    end = hi;
                }
            } else if lo == end {
                end = hi;
            } else if end == self.tls.static_used {
                self.tls.static_used = start;
                (start, end) = (lo, hi);
            } else if hi == self.tls.static_used {
                self.tls.static_used = lo;
            } else if end < hi {
                (start, end) = (lo, hi);
            }
        }
        if end != 0 && end == self.tls.static_used {
            self.tls.static_used = start;
        }
        if let Some(rt) = self.tls.runtime {
            (rt.release)(gone, &modids, self.tls.static_used);
        }
    }

    /// The TLS modules, in module-id order.
    pub fn tls_modules(&self) -> impl Iterator<Item = TlsModule> + '_ {
        self.objs.iter().filter_map(|d| d.tls)
    }
}

pub fn round_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}
