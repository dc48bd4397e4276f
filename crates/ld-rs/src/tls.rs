//! Thread-local storage: module ids and the static TLS layout (psABI variant II).
//!
//! # How TLS is laid out on x86_64
//! Each object with a `PT_TLS` segment is a TLS *module*: its segment is the
//! initialization image of a block that every thread gets its own copy of.
//! Modules are numbered from 1 in load order (the executable first, because
//! its local-exec code hard-codes its block's position).
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

    /// The static offset of object `def`'s TLS block, placing a block loaded
    /// by `dlopen` in the static surplus if it needs one (initial-exec code,
    /// `DF_STATIC_TLS`, TLS descriptors) and room is left.  0: none.
    pub fn static_tls_offset(&mut self, def: DsoId) -> usize {
        let Some(tls) = self.objs[def].tls else { return 0 };
        if tls.offset != 0 || !self.started {
            return tls.offset;
        }
        let align = tls.align.max(1);
        let firstbyte = tls.firstbyte_offset.wrapping_neg() & (align - 1);
        let off = round_up(
            self.tls_static_used + tls.memsz - firstbyte.min(self.tls_static_used + tls.memsz),
            align,
        ) + firstbyte;
        if off > self.tls_static_limit {
            return 0;
        }
        self.tls_static_used = off;
        if let Some(t) = self.objs[def].tls.as_mut() {
            t.offset = off;
        }
        off
    }

    /// The TLS modules, in module-id order.
    pub fn tls_modules(&self) -> impl Iterator<Item = TlsModule> + '_ {
        self.objs.iter().filter_map(|d| d.tls)
    }
}

pub fn round_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}
