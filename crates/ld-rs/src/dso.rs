//! The record of one loaded object (a "DSO" — the executable, a shared
//! library, or ld-rs itself), and the decoding of its dynamic section.
//!
//! Everything the linker needs about an object is computed once, when the
//! object is added, from its program headers and `PT_DYNAMIC`: the symbol
//! table and its hash tables, the version tables, the search paths.  The
//! later phases only read this record.

use alloc::vec::Vec;
use elf::{Dyn, DynamicInfo, GnuHash, Image, Phdr, StrTab, Sym, SysvHash};

use elf::consts::*;

use crate::grace::Published;

/// An object's slot in the table of loaded objects (`Linker::objs`,
/// `table.rs`): reused after the object is unloaded, never kept past it.
pub type DsoId = usize;

/// How the object came to be loaded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// The program: mapped by the kernel, or by us when run explicitly.
    Main,
    /// A shared library we mapped.
    Library,
    /// ld-rs itself.
    Interpreter,
    /// The kernel's vDSO (`linux-vdso.so.1`).
    Vdso,
}

/// One entry of an object's version table (`versym` index → version):
/// the versions it defines (`DT_VERDEF`) and the ones it requires (`DT_VERNEED`).
#[derive(Clone, Copy, Default)]
pub struct Version {
    pub name: &'static [u8],
    /// The ELF hash of `name`; 0 for an empty slot.
    pub hash: u32,
    /// From `DT_VERNEED`: the hidden bit of the requirement.
    pub hidden: bool,
    /// From `DT_VERNEED`: the file the version is expected in (`vn_file`).
    pub file: &'static [u8],
}

/// A loaded object.
pub struct Dso {
    /// `l_name`: the path it was loaded from ("" for a kernel-loaded program, as glibc).
    pub name: Vec<u8>,
    /// The name it was asked for by (a `DT_NEEDED` string or a path).
    pub requested: Vec<u8>,
    pub kind: Kind,
    /// The namespace it was loaded in (`namespace.rs`).
    pub ns: crate::namespace::NsId,
    /// Load bias: run-time address minus link-time address (`l_addr`).
    pub base: usize,
    pub phdrs: &'static [Phdr],
    pub image: Image<'static>,
    pub dynv: &'static [Dyn],
    pub dynamic: DynamicInfo,
    pub strtab: StrTab<'static>,
    pub symtab: &'static [Sym],
    pub gnu_hash: Option<GnuHash<'static>>,
    pub sysv_hash: Option<SysvHash<'static>>,
    pub versym: Option<&'static [u16]>,
    pub versions: Vec<Version>,
    /// The versions it requires (`DT_VERNEED`) in file order, with their
    /// `vna_flags` (see `needed_versions`).
    pub needs: Vec<(Version, u16)>,
    pub soname: Option<&'static [u8]>,
    /// Directory the object was loaded from, for `$ORIGIN`.
    pub origin: Option<Vec<u8>>,
    /// Its `DT_NEEDED` dependencies, resolved, in order, with the filtees
    /// among them.
    pub needed: Vec<DsoId>,
    /// The objects its `DT_FILTER` and `DT_AUXILIARY` entries named that
    /// were loaded (also in `needed`): every search list holding it holds
    /// them just before it (see `Linker::load_closure`).
    pub filtees: Vec<DsoId>,
    /// For an object loaded by `dlopen`: its local scope (the opened object
    /// and its dependencies, breadth-first), searched after the global scope.
    /// Lazy binding reads it without a lock: replaced, never changed in place.
    pub local_scope: Published<Vec<DsoId>>,
    /// For an object loaded by `dlopen`: the local scopes of objects opened
    /// later whose closure includes it, searched after its own (glibc adds
    /// each new search list to the scopes of the initialized objects in it).
    pub extra_scopes: Published<Vec<Vec<DsoId>>>,
    /// The object whose `DT_NEEDED` brought it in (for the `DT_RPATH` chain).
    pub loader: Option<DsoId>,
    /// Identity of the file, to load each file once.
    pub dev: u64,
    pub ino: u64,
    /// The whole identity of the file it was mapped from (zero when ld-rs
    /// did not map it), which the launch cache records (`launch.rs`).
    pub file_id: crate::sys::FileId,
    /// The entry point (run-time address; the program's only).
    pub entry: usize,
    /// The mapped range.
    pub map_start: usize,
    pub map_end: usize,
    /// Its `PT_LOAD` segments as (start, end, `p_flags`) in link-time
    /// addresses: the relocation bounds check runs for every relocation.
    pub loads: Vec<(u64, u64, u32)>,
    /// Its `PT_TLS` segment, as a TLS module (ids and offsets assigned later).
    pub tls: Option<crate::tls::TlsModule>,
    /// Loaded by `dlopen` (not at start-up), so `dlclose` may unload it.
    pub dlopened: bool,
    /// Loaded by a `dlopen` with `RTLD_DEEPBIND`: its local scope (its
    /// root's search list) comes before the global scope, so it and its
    /// dependencies bind to each other before to the program.
    pub deepbind: bool,
    /// `dlopen` calls not yet matched by `dlclose` (glibc's
    /// `l_direct_opencount`: the program starts with one).
    pub open_count: usize,
    /// Never unloaded: `DF_1_NODELETE`, `RTLD_NODELETE`, or marked by a
    /// binding (see `Nodelete`).  Lazy binding may mark it, hence atomic.
    pub nodelete: Nodelete,
    /// Objects loaded by other `dlopen` calls that this one's references
    /// were bound to (glibc's `l_reldeps`): kept loaded while it is.
    /// Changed under the load lock; read by lazy binding without it.
    pub reldeps: Published<Vec<DsoId>>,
    /// For an object a `dlopen` opened (as the object asked for): its search
    /// list in the order its initializers were sorted into, itself left
    /// out (glibc's `l_initfini`), which later sorts follow in place of its
    /// `DT_NEEDED` entries.
    pub initfini: Option<Vec<DsoId>>,
    /// A number no other object of the process has had: tells whether an id
    /// seen by a lock-free reader still names the same object.
    pub serial: u64,
    /// The copy of the program headers `phdrs` points into, when they are
    /// not in the mapped image; freed with the record.
    pub phdr_copy: Option<crate::map::PhdrCopy>,
    /// The object has text relocations (`DT_TEXTREL`): read-only segments are
    /// made writable while it is relocated.
    pub textrel: bool,
    /// Its `DT_JMPREL` table as `reloc::rela_tables` reads it, kept when it
    /// is relocated for lazy binding to find each call's relocation in
    /// (`reloc::plt_entry`); empty before.
    pub jmprel: &'static [elf::Rela],
    pub relocated: bool,
    pub init_called: bool,
    /// With its PLT calls profiled for audit modules: what they made of
    /// each PLT slot (`audit.rs`), by relocation index; else empty.
    pub plt_audit: alloc::boxed::Box<[crate::audit::PltRecord]>,
}

/// Whether an object may be unloaded (glibc's `l_nodelete_active` and
/// `l_nodelete_pending`).  A binding made while `dlopen` relocates marks its
/// target *pending*: if that `dlopen` fails the mark is dropped, if it
/// succeeds the mark becomes final.
#[derive(Default)]
pub struct Nodelete(core::sync::atomic::AtomicU8);

impl Nodelete {
    const PENDING: u8 = 1;
    const ACTIVE: u8 = 2;

    /// Final: the object is never unloaded.
    pub fn active(&self) -> bool {
        self.0.load(core::sync::atomic::Ordering::Acquire) == Self::ACTIVE
    }

    /// Final or pending.
    pub fn any(&self) -> bool {
        self.0.load(core::sync::atomic::Ordering::Acquire) != 0
    }

    /// Marks it final, or pending (`pending`) unless it is final already.
    pub fn mark(&self, pending: bool) {
        let v = if pending { Self::PENDING } else { Self::ACTIVE };
        self.0.fetch_max(v, core::sync::atomic::Ordering::AcqRel);
    }

    /// The `dlopen` that made the pending mark succeeded (`keep`) or failed.
    pub fn settle(&self, keep: bool) {
        let v = self.0.load(core::sync::atomic::Ordering::Acquire);
        if v == Self::PENDING {
            let to = if keep { Self::ACTIVE } else { 0 };
            self.0.store(to, core::sync::atomic::Ordering::Release);
        }
    }
}

/// Why an object's dynamic section could not be decoded.
pub type DecodeError = elf::Error;

/// `NT_GNU_BUILD_ID`: the note the static linker writes (`--build-id`).
const NT_GNU_BUILD_ID: u32 = 3;

/// The `NT_GNU_BUILD_ID` descriptor among the notes of one `PT_NOTE` segment.
pub fn note_build_id(mut notes: &[u8]) -> Option<&[u8]> {
    // Each note: namesz, descsz, type, then the name and the descriptor, each padded
    // to 4 bytes (the alignment of these segments on x86_64).
    while notes.len() >= 12 {
        let word = |i: usize| u32::from_ne_bytes([notes[i], notes[i + 1], notes[i + 2], notes[i + 3]]);
        let (namesz, descsz, kind) = (word(0) as usize, word(4) as usize, word(8));
        if namesz > notes.len() || descsz > notes.len() {
            break;
        }
        let name_end = 12 + namesz.next_multiple_of(4);
        let desc_end = name_end.checked_add(descsz.next_multiple_of(4))?;
        if desc_end > notes.len() {
            break;
        }
        if kind == NT_GNU_BUILD_ID && &notes[12..12 + namesz] == b"GNU\0" {
            return Some(&notes[name_end..name_end + descsz]);
        }
        notes = &notes[desc_end..];
    }
    None
}

impl Dso {
    /// The object's `NT_GNU_BUILD_ID` note, read from its mapped `PT_NOTE`
    /// segments.
    pub fn build_id(&self) -> Option<&'static [u8]> {
        self.phdrs
            .iter()
            .filter(|p| p.p_type == PT_NOTE)
            .filter_map(|ph| self.image.bytes_at(ph.p_vaddr, ph.p_memsz).ok())
            .find_map(note_build_id)
    }

    /// Builds the record for an object whose segments are mapped at `base`.
    /// `image` covers the mapped span (link-time addresses).  The record is
    /// boxed from the start: it is large, and each move on its way into the
    /// table of objects was a copy of it.
    pub fn new(
        kind: Kind,
        name: Vec<u8>,
        requested: Vec<u8>,
        base: usize,
        phdrs: &'static [Phdr],
        image: Image<'static>,
    ) -> Result<alloc::boxed::Box<Dso>, DecodeError> {
        let dyn_ph = phdrs
            .iter()
            .find(|p| p.p_type == PT_DYNAMIC)
            .ok_or(elf::Error("object file has no dynamic section"))?;
        let dynv = dynamic_array(&image, dyn_ph.p_vaddr)?;
        // A library whose dynamic section says nothing cannot be linked.
        if kind == Kind::Library && dynv.first().is_none_or(|d| d.d_tag == DT_NULL) {
            return Err(elf::Error("object file has no dynamic section"));
        }
        let dynamic = DynamicInfo::parse(dynv)?;

        // glibc never reads DT_STRSZ: strings run to their NUL, which must
        // come before the end of the string table's segment.
        let strtab = match dynamic.get(DT_STRTAB) {
            Some(addr) => StrTab::new(image.rest_of_segment(addr)?),
            None => StrTab::new(&[]),
        };
        // A GNU hash table without buckets makes the object define nothing
        // (glibc skips it in every lookup); it still hides any DT_HASH.
        let no_buckets = dynamic
            .gnu_hash
            .is_some_and(|addr| image.read::<u32>(addr).is_ok_and(|&n| n == 0));
        let gnu_hash = match dynamic.gnu_hash {
            Some(addr) if !no_buckets => Some(GnuHash::parse(&image, addr)?),
            _ => None,
        };
        let sysv_hash = match dynamic.get(DT_HASH) {
            Some(addr) if dynamic.gnu_hash.is_none() => Some(SysvHash::parse(&image, addr)?),
            _ => None,
        };
        let hashed = match (&gnu_hash, &sysv_hash) {
            (Some(h), _) => h.symbol_count()? as u64,
            (None, Some(h)) => h.symbol_count() as u64,
            (None, None) => 0,
        };
        let (symtab, nsyms) = match dynamic.get(DT_SYMTAB) {
            Some(addr) => {
                let n = symbol_count(&image, addr, dynamic.get(DT_STRTAB), hashed)?;
                (image.slice::<Sym>(addr, n)?, n)
            }
            None => (&[][..], 0),
        };
        let versym = match dynamic.versym {
            Some(addr) if nsyms > 0 => {
                let n = nsyms.min(image.rest_of_segment(addr)?.len() as u64 / 2);
                Some(image.slice::<u16>(addr, n)?)
            }
            _ => None,
        };
        // glibc reads a DT_SONAME only when it compares names: one that is
        // out of range makes the object nameless, not unloadable.
        let soname = dynamic.get(DT_SONAME).and_then(|off| strtab.get(off).ok());
        // The names the search reads must all be there.
        for d in dynv
            .iter()
            .filter(|d| matches!(d.d_tag, DT_NEEDED | DT_FILTER | DT_AUXILIARY | DT_RPATH | DT_RUNPATH))
        {
            strtab.get(d.d_val)?;
        }
        // Initializers and finalizers: their arrays lie inside the object.
        for (array, size) in [
            (DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ),
            (DT_INIT_ARRAY, DT_INIT_ARRAYSZ),
            (DT_FINI_ARRAY, DT_FINI_ARRAYSZ),
        ] {
            if let Some(addr) = dynamic.get(array) {
                let len = dynamic.get(size).unwrap_or(0);
                if len > 0 && image.bytes_at(addr, len).is_err() {
                    return Err(elf::Error(
                        "initializer or finalizer array outside the loadable segments",
                    ));
                }
            }
        }
        // DT_INIT and DT_FINI are called: they lie in the object's code.
        for tag in [DT_INIT, DT_FINI] {
            if let Some(addr) = dynamic.get(tag) {
                if !in_code(phdrs, addr) {
                    return Err(elf::Error("DT_INIT or DT_FINI outside the executable segments"));
                }
            }
        }
        // A symbol's version index names an entry of the version table.
        let versions = (dynamic.verdef.is_some() || dynamic.verneed.is_some()).then_some(());
        let mut dso = alloc::boxed::Box::new(Dso {
            name,
            requested,
            kind,
            base,
            phdrs,
            image,
            dynv,
            dynamic,
            strtab,
            symtab,
            gnu_hash,
            sysv_hash,
            versym,
            versions: Vec::new(),
            needs: Vec::new(),
            soname,
            origin: None,
            needed: Vec::new(),
            filtees: Vec::new(),
            local_scope: Published::default(),
            extra_scopes: Published::default(),
            loader: None,
            dev: 0,
            ino: 0,
            file_id: crate::sys::FileId::default(),
            entry: 0,
            map_start: 0,
            map_end: 0,
            tls: None,
            loads: phdrs
                .iter()
                .filter(|p| p.p_type == PT_LOAD)
                .map(|p| (p.p_vaddr, p.p_vaddr.saturating_add(p.p_memsz), p.p_flags))
                .collect(),
            dlopened: false,
            ns: crate::namespace::BASE,
            deepbind: false,
            open_count: (kind == Kind::Main) as usize,
            nodelete: Nodelete::default(),
            reldeps: Published::default(),
            initfini: None,
            serial: 0,
            phdr_copy: None,
            textrel: false,
            jmprel: &[],
            relocated: false,
            init_called: false,
            plt_audit: alloc::boxed::Box::default(),
        });
        dso.textrel = dso.dynamic.get(DT_TEXTREL).is_some() || dso.dynamic.get(DT_FLAGS).unwrap_or(0) & DF_TEXTREL != 0;
        dso.read_versions()?;
        // (Only the symbols a hash table reaches are known to be symbols:
        // the table's true length is not recorded anywhere.)
        if let (Some(versym), Some(())) = (dso.versym, versions) {
            let known = dso.versions.len().max(2);
            let reached = &versym[..versym.len().min(hashed as usize)];
            // The highest index, as a maximum of 15-bit values taken as
            // signed (a reduction the compiler does eight lanes at a time):
            // librustc_driver's table has tens of thousands of entries.
            let highest = reached.iter().map(|&v| (v & VERSYM_VERSION) as i16).max().unwrap_or(0);
            if highest as usize >= known {
                return Err(elf::Error("symbol version index out of range"));
            }
        }
        dso.tls = match phdrs.iter().find(|p| p.p_type == PT_TLS && p.p_memsz > 0) {
            Some(p) => Some(tls_module(&image, base, p)?),
            None => None,
        };
        // RELRO is made read-only with `mprotect`: a range outside the
        // object would change the protection of whatever lies there.
        if let Some(p) = phdrs.iter().find(|p| p.p_type == PT_GNU_RELRO) {
            let end = p.p_vaddr.checked_add(p.p_memsz);
            if !end.is_some_and(|end| covered_by_loads(phdrs, p.p_vaddr, end)) {
                return Err(elf::Error("PT_GNU_RELRO segment outside the loadable segments"));
            }
        }
        let (lo, hi) = span(phdrs);
        dso.map_start = base.wrapping_add(lo as usize);
        dso.map_end = base.wrapping_add(hi as usize);
        Ok(dso)
    }

    /// Fills `versions`, indexed by versym index, from `DT_VERDEF` and
    /// `DT_VERNEED`, and `needs`, the requirements in file order: both
    /// tables are walked once, here.
    fn read_versions(&mut self) -> Result<(), DecodeError> {
        // Indices are nearly always 2, 3, … in file order: room for one per
        // record (the base definition's slot stays empty) spares the regrowth.
        let records = self
            .dynamic
            .verdefnum
            .saturating_add(self.dynamic.verneednum.saturating_mul(8));
        let mut table: Vec<Version> = Vec::with_capacity(records.min(256) as usize + 2);
        let mut put = |ndx: u16, v: Version| {
            let i = ndx as usize;
            if table.len() <= i {
                table.resize(i + 1, Version::default());
            }
            table[i] = v;
        };
        if let Some(addr) = self.dynamic.verdef {
            for def in elf::VerDefIter::parse(&self.image, addr, self.dynamic.verdefnum) {
                let def = def?;
                // The base definition names the file itself; index 1 in a
                // versym table means "no version", not that name.
                if def.flags & VER_FLG_BASE != 0 {
                    continue;
                }
                let name = self.strtab.get(def.name as u64)?;
                put(
                    def.ndx & VERSYM_VERSION,
                    Version {
                        name,
                        hash: def.hash,
                        hidden: false,
                        file: b"",
                    },
                );
            }
        }
        let mut needs = Vec::new();
        if let Some(addr) = self.dynamic.verneed {
            for need in elf::VerNeedIter::parse(&self.image, addr, self.dynamic.verneednum) {
                let (need, auxes) = need?;
                let file = self.strtab.get(need.file as u64)?;
                for aux in auxes {
                    let aux = aux?;
                    let name = self.strtab.get(aux.name as u64)?;
                    let hidden = aux.other & VERSYM_HIDDEN != 0;
                    let v = Version {
                        name,
                        hash: aux.hash,
                        hidden,
                        file,
                    };
                    put(aux.other & VERSYM_VERSION, v);
                    needs.push((v, aux.flags));
                }
            }
        }
        self.versions = table;
        self.needs = needs;
        Ok(())
    }

    /// The versions this object requires (`DT_VERNEED`), in file order,
    /// each with its `vna_flags`.
    pub fn needed_versions(&self) -> &[(Version, u16)] {
        &self.needs
    }

    /// glibc's `l_name` as its debug lines print it raw: the program's is
    /// empty however it was started.
    pub fn l_name(&self) -> &[u8] {
        if self.kind == Kind::Main {
            b""
        } else {
            &self.name
        }
    }

    /// The name to print for this object in messages: its path, or for the
    /// program, the name it was started as.
    pub fn display_name(&self) -> &[u8] {
        if self.name.is_empty() {
            crate::diag::progname()
        } else {
            &self.name
        }
    }

    /// A string from the dynamic string table.
    pub fn str_at(&self, off: u64) -> Option<&'static [u8]> {
        self.strtab.get(off).ok()
    }

    /// The `DT_NEEDED` names, in order.
    pub fn needed_names(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        elf::needed(self.dynv).filter_map(move |off| self.str_at(off))
    }

    /// The objects it names for loading, in the order of its dynamic
    /// section: `DT_NEEDED`, `DT_FILTER` and `DT_AUXILIARY`, each with its tag.
    pub fn dependency_names(&self) -> impl Iterator<Item = (i64, &'static [u8])> + '_ {
        self.dynv
            .iter()
            .take_while(|d| d.d_tag != DT_NULL)
            .filter(|d| matches!(d.d_tag, DT_NEEDED | DT_FILTER | DT_AUXILIARY))
            .filter_map(move |d| Some((d.d_tag, self.str_at(d.d_val)?)))
    }

    /// True when `[addr, addr+len)` lies inside one writable `PT_LOAD` (run-time addresses).
    pub fn writable(&self, addr: usize, len: usize) -> bool {
        self.segment_of(addr, len, PF_W)
    }

    /// True when `[addr, addr+len)` lies inside one `PT_LOAD` with all of `flags`.
    #[inline]
    fn segment_of(&self, addr: usize, len: usize, flags: u32) -> bool {
        let vaddr = addr.wrapping_sub(self.base) as u64;
        let Some(end) = vaddr.checked_add(len as u64) else {
            return false;
        };
        self.loads
            .iter()
            .any(|&(start, stop, f)| f & flags == flags && vaddr >= start && end <= stop)
    }

    /// The writable `PT_LOAD` containing the 8 bytes at run-time address `addr`.
    pub fn writable_segment(&self, addr: usize) -> Option<crate::reloc::Segment> {
        let vaddr = addr.wrapping_sub(self.base) as u64;
        let end = vaddr.checked_add(8)?;
        self.loads
            .iter()
            .find(|&&(start, stop, f)| f & PF_W != 0 && vaddr >= start && end <= stop)
            .map(|&(start, stop, _)| crate::reloc::Segment {
                start: self.base.wrapping_add(start as usize),
                end: self.base.wrapping_add(stop as usize),
            })
    }

    /// True when `[addr, addr+len)` lies inside one `PT_LOAD` (run-time addresses).
    pub fn inside_load(&self, addr: usize, len: usize) -> bool {
        self.segment_of(addr, len, 0)
    }

    /// True for a `DT_SYMBOLIC` (`DF_SYMBOLIC`) library, whose own
    /// definitions come first for its references: its scope starts with
    /// itself (SysV's rule; for the program it changes nothing).
    pub fn symbolic(&self) -> bool {
        // Under RTLD_DEEPBIND glibc adds no scope of its own for DT_SYMBOLIC.
        self.kind != Kind::Main
            && !self.deepbind
            && (self.dynamic.get(DT_SYMBOLIC).is_some() || self.dynamic.get(DT_FLAGS).unwrap_or(0) & DF_SYMBOLIC != 0)
    }

    /// True when the object needs an executable stack: its `PT_GNU_STACK`
    /// says `X`, or it has none (the x86_64 default glibc assumes).
    pub fn needs_exec_stack(&self) -> bool {
        match self.phdrs.iter().find(|p| p.p_type == PT_GNU_STACK) {
            Some(p) => p.p_flags & PF_X != 0,
            None => true,
        }
    }

    /// True for `DF_BIND_NOW` / `DF_1_NOW` objects.
    pub fn bind_now(&self) -> bool {
        self.dynamic.get(DT_FLAGS).unwrap_or(0) & DF_BIND_NOW != 0 || self.dynamic.flags_1 & DF_1_NOW != 0
    }
}

/// The dynamic array at link-time address `vaddr`, up to and including its
/// `DT_NULL` (or to the end of its segment).  glibc reads it up to `DT_NULL`
/// whatever `p_memsz` says; so do we, but never past the segment.
fn dynamic_array(image: &Image<'static>, vaddr: u64) -> Result<&'static [Dyn], DecodeError> {
    let size = core::mem::size_of::<Dyn>() as u64;
    let room = image.rest_of_segment(vaddr)?.len() as u64 / size;
    let all: &'static [Dyn] = image.slice(vaddr, room)?;
    match all.iter().position(|d| d.d_tag == DT_NULL) {
        Some(i) => Ok(&all[..=i]),
        None if all.is_empty() => Err(elf::Error("object file has no dynamic section")),
        None => Ok(all),
    }
}

/// The TLS module of a `PT_TLS` segment, once its initialization image is
/// known to lie inside the object (it is copied into every thread's block).
fn tls_module(image: &Image<'static>, base: usize, p: &Phdr) -> Result<crate::tls::TlsModule, DecodeError> {
    if p.p_filesz > p.p_memsz {
        return Err(elf::Error("PT_TLS segment has a file size larger than its memory size"));
    }
    if p.p_align > 1 && !p.p_align.is_power_of_two() {
        return Err(elf::Error("PT_TLS segment alignment is not a power of two"));
    }
    if p.p_filesz > 0 && image.bytes_at(p.p_vaddr, p.p_filesz).is_err() {
        return Err(elf::Error("PT_TLS segment outside the loadable segments"));
    }
    let (Ok(memsz), Ok(align)) = (usize::try_from(p.p_memsz), usize::try_from(p.p_align.max(1))) else {
        return Err(elf::Error("PT_TLS segment too large"));
    };
    Ok(crate::tls::TlsModule {
        image: base.wrapping_add(p.p_vaddr as usize),
        filesz: p.p_filesz as usize,
        memsz,
        align,
        firstbyte_offset: p.p_vaddr as usize & (align - 1),
        ..Default::default()
    })
}

/// True when link-time address `addr` lies in an executable `PT_LOAD`.
pub fn in_code(phdrs: &[Phdr], addr: u64) -> bool {
    phdrs
        .iter()
        .any(|p| p.p_type == PT_LOAD && p.p_flags & PF_X != 0 && p.p_vaddr <= addr && addr - p.p_vaddr < p.p_memsz)
}

/// True when `PT_LOAD` segments cover every byte of `[start, end)` (adjacent
/// segments may share the range).  Each step moves to the end of a segment,
/// so the walk takes at most one step per segment.
pub fn covered_by_loads(phdrs: &[Phdr], start: u64, end: u64) -> bool {
    let mut at = start;
    for _ in 0..=phdrs.len() {
        if at >= end {
            return true;
        }
        let next = phdrs
            .iter()
            .filter(|p| p.p_type == PT_LOAD)
            .filter_map(|p| Some((p.p_vaddr, p.p_vaddr.checked_add(p.p_memsz)?)))
            .find(|&(lo, hi)| lo <= at && at < hi);
        match next {
            Some((_, hi)) => at = hi,
            None => return false,
        }
    }
    at >= end
}

/// How many entries `DT_SYMTAB` has.  ELF does not record it: the hash
/// table covers only the symbols it can find (a GNU hash table leaves out
/// every undefined symbol below `symoffset`, and may understate even that),
/// while relocations may name any symbol.  So the count is bounded by what
/// the file can hold: the rest of the symbol table's segment, or the start of
/// the string table when (as the static linker lays them out) it follows the
/// symbol table — and never less than the hash table implies.
fn symbol_count(image: &Image, symtab: u64, strtab: Option<u64>, hashed: u64) -> Result<u64, DecodeError> {
    let size = core::mem::size_of::<Sym>() as u64;
    let room = image.rest_of_segment(symtab)?.len() as u64 / size;
    let mut n = room;
    if let Some(str_addr) = strtab.filter(|&s| s > symtab) {
        n = n.min((str_addr - symtab) / size);
    }
    Ok(n.max(hashed).min(room))
}

/// The link-time span `[lowest p_vaddr, highest p_vaddr + p_memsz)` of the
/// `PT_LOAD` segments, page-aligned.
pub fn span(phdrs: &[Phdr]) -> (u64, u64) {
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    for p in phdrs.iter().filter(|p| p.p_type == PT_LOAD) {
        lo = lo.min(p.p_vaddr);
        hi = hi.max(p.p_vaddr.saturating_add(p.p_memsz));
    }
    if lo > hi {
        return (0, 0);
    }
    (lo & !4095, hi.saturating_add(4095) & !4095)
}
