//! Symbol lookup: finding the definition a reference binds to.
//!
//! # How a name becomes an address
//! A relocation names a symbol of its own object's `.dynsym`.  Unless that
//! symbol is local, the definition is searched for through a *scope*: the
//! objects of the global search list in load order (executable first, then
//! its dependencies breadth-first), and the first object that defines the name
//! wins.  That is what makes interposition work: a definition in the
//! executable or an earlier library hides the same name further down.
//!
//! Within one object the GNU hash table answers "not here" almost always
//! without touching the symbol table: a 64-bit Bloom filter word, selected
//! by the name's hash, has two bits that must both be set; only then does the
//! lookup walk a hash chain, comparing 31 bits of hash before any string.
//!
//! A candidate with the right name must also be a definition in the sense the
//! relocation needs (glibc elf/dl-lookup.c `check_match`):
//! - `st_value == 0` is undefined (unless it is `SHN_ABS` or a TLS symbol);
//! - an undefined symbol with a value is the executable's canonical PLT entry
//!   for a function: it defines the function's *address* for data references
//!   (`GLOB_DAT`, `64`), so all objects agree on one pointer, but cannot
//!   satisfy a call through the PLT (`JUMP_SLOT`), which would call itself;
//! - its type must be data, code, common, TLS or IFUNC;
//! - its version must match (see `version_ok`).
//!
//! A weak undefined reference that finds nothing resolves to 0.  An
//! `STB_GNU_UNIQUE` definition is bound once per process: the first one
//! found is used by everybody after.

use alloc::vec::Vec;
use elf::consts::*;
use elf::Sym;

use crate::dso::{Dso, DsoId, Version};
use crate::rtld::Linker;

/// What kind of reference is being resolved (glibc's `ELF_RTYPE_CLASS_*`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Data or address references: a canonical PLT entry is a definition.
    Data,
    /// PLT and TLS references: a canonical PLT entry is not.
    Plt,
    /// `R_X86_64_COPY`: the executable itself is skipped.
    Copy,
}

/// The version a reference asks for.
#[derive(Clone, Copy)]
pub struct VersionReq<'a> {
    pub name: &'a [u8],
    pub hash: u32,
    pub hidden: bool,
}

/// A symbol to look up.
pub struct Query<'a> {
    pub name: &'a [u8],
    pub gnu_hash: u32,
    pub version: Option<VersionReq<'a>>,
    pub class: Class,
    /// For an unversioned query, prefer the default (newest) version over
    /// the oldest, as `dlsym` does (glibc's `DL_LOOKUP_RETURN_NEWEST`).
    pub newest: bool,
}

/// A definition found.
#[derive(Clone, Copy)]
pub struct Found {
    pub dso: DsoId,
    pub sym: &'static Sym,
}

const ALLOWED_TYPES: u32 =
    1 << STT_NOTYPE | 1 << STT_OBJECT | 1 << STT_FUNC | 1 << STT_COMMON | 1 << STT_TLS | 1 << STT_GNU_IFUNC;

impl Dso {
    /// Looks `q` up in this object's own symbol table.
    ///
    /// The Bloom filter test, which answers "not here" for most objects of a
    /// scope, is inlined into the caller's loop; only an object that may
    /// define the name pays for a call into the chain walk.
    #[inline(always)]
    pub fn find_symbol(&self, q: &Query) -> Option<&'static Sym> {
        if let Some(h) = &self.gnu_hash {
            if !h.may_contain(q.gnu_hash) {
                return None;
            }
        }
        self.find_symbol_in_table(q)
    }

    /// `find_symbol` past the Bloom filter: the hash chain, the name and the version.
    #[inline(never)]
    fn find_symbol_in_table(&self, q: &Query) -> Option<&'static Sym> {
        // A definition of a newer version than an unversioned reference asks
        // for is taken only if it is the only one.
        let mut versioned = Versioned { first: None, count: 0 };
        if let Some(h) = &self.gnu_hash {
            for idx in h.candidates(q.gnu_hash) {
                if let Some(sym) = self.visit(idx, q, &mut versioned) {
                    return Some(sym);
                }
            }
        } else if let Some(h) = &self.sysv_hash {
            for idx in h.candidates(elf::sysv_hash(q.name)) {
                if let Some(sym) = self.visit(idx, q, &mut versioned) {
                    return Some(sym);
                }
            }
        }
        if versioned.count == 1 {
            versioned.first
        } else {
            None
        }
    }

    /// One candidate of a chain walk: the symbol if it is the definition,
    /// else `None`, counting a newer version an unversioned reference may
    /// take in `versioned` (inlined into the walk: a call per candidate
    /// showed in every lookup).
    #[inline(always)]
    fn visit(&self, idx: u32, q: &Query, versioned: &mut Versioned) -> Option<&'static Sym> {
        let (sym, verdict) = self.candidate(idx, q)?;
        match verdict {
            Verdict::Yes => return Some(sym),
            Verdict::No => {}
            Verdict::OnlyIfUnique => {
                versioned.count += 1;
                versioned.first.get_or_insert(sym);
            }
        }
        None
    }

    /// Whether symbol `idx` is a definition of `q`'s name of a type and
    /// kind the reference accepts, and how its version fits.
    #[inline(always)]
    fn candidate(&self, idx: u32, q: &Query) -> Option<(&'static Sym, Verdict)> {
        let sym = self.symtab.get(idx as usize)?;
        let stt = sym.st_type();
        if (sym.st_value == 0 && sym.st_shndx != SHN_ABS && stt != STT_TLS)
            || ALLOWED_TYPES & (1 << (stt & 31)) == 0
            || (q.class == Class::Plt && sym.st_shndx == SHN_UNDEF)
        {
            return None;
        }
        if !self.strtab.matches(sym.st_name, q.name) {
            return None;
        }
        Some((sym, self.version_ok(idx, q.version, q.newest)))
    }

    /// Decides whether symbol `idx` of this object satisfies the version a
    /// reference asks for (glibc's rules; the contract doc §1.4).
    fn version_ok(&self, idx: u32, want: Option<VersionReq>, newest: bool) -> Verdict {
        let Some(versym) = self.versym else {
            return Verdict::Yes;
        };
        let Some(&raw) = versym.get(idx as usize) else {
            return Verdict::Yes;
        };
        let ndx = (raw & VERSYM_VERSION) as usize;
        let hidden = raw & VERSYM_HIDDEN != 0;
        match want {
            Some(want) => {
                let have = self.versions.get(ndx).copied().unwrap_or(Version::default());
                if have.hash == want.hash && have.name == want.name {
                    Verdict::Yes
                } else if want.hidden || have.hash != 0 || hidden {
                    Verdict::No
                } else {
                    Verdict::Yes
                }
            }
            None => {
                // An unversioned reference (an old binary, or dlsym) takes the
                // base or oldest definition at once; a newer versioned one only
                // if it is the only one.
                if ndx >= if newest { 2 } else { 3 } {
                    if hidden {
                        Verdict::No
                    } else {
                        Verdict::OnlyIfUnique
                    }
                } else {
                    Verdict::Yes
                }
            }
        }
    }
}

/// The definitions of newer versions an unversioned reference met in a chain.
struct Versioned {
    first: Option<&'static Sym>,
    count: usize,
}

enum Verdict {
    Yes,
    No,
    OnlyIfUnique,
}

/// One object of a scope as the scope loop needs it, kept in an array
/// built once for a run of lookups through the same scope (an object's
/// relocations): its Bloom filter and shift side by side, so that an
/// object the filter rules out costs neither the object table's two
/// indirections nor the record's optional hash table.
#[derive(Clone, Copy)]
pub struct View {
    bloom: &'static [u64],
    /// `bloom.len() - 1`, `bloom.len()` being a power of two.
    mask: u32,
    shift: u32,
    id: DsoId,
}

/// The Bloom filter of an object without a GNU hash table: one word with
/// every bit set, so that its (SysV) table is always searched.
static PASS: [u64; 1] = [u64::MAX];

impl Linker {
    /// The views of `scope`'s objects, in its order (see `View`).
    pub fn views(&self, scope: &[DsoId]) -> Vec<View> {
        scope
            .iter()
            .map(|&id| {
                // An id without an object (never in a scope) is searched as
                // before, through the table, which reports it.
                let hash = self.objs.get(id).and_then(|d| d.gnu_hash.as_ref());
                let (bloom, shift) = hash.map_or((&PASS[..], 0), |h| h.bloom());
                // The table's parser refuses a filter whose size is not a
                // power of two; checked again here, where `search_views`
                // relies on it.
                let bloom = if bloom.len().is_power_of_two() && bloom.len() <= 1 << 31 {
                    bloom
                } else {
                    &PASS[..]
                };
                let mask = (bloom.len() - 1) as u32;
                View { bloom, mask, shift, id }
            })
            .collect()
    }

    /// `lookup` through the views of a scope, with no object to skip and no
    /// tracing: the same search, the same answer.
    #[inline(always)]
    pub fn search_views(&self, views: &[View], q: &Query) -> Option<Found> {
        let hash = q.gnu_hash;
        let (word, low) = ((hash / 64) as usize, 1u64 << (hash % 64));
        for v in views {
            let bits = low | 1u64 << ((hash >> v.shift) % 64);
            // SAFETY: `mask` is `bloom.len() - 1` and the length a power of
            // two (`views`), so `word & mask` is an index inside `bloom`.
            let w = unsafe { *v.bloom.get_unchecked(word & v.mask as usize) };
            if w & bits != bits {
                continue;
            }
            let Some(sym) = self.objs[v.id].find_symbol_in_table(q) else {
                continue;
            };
            match sym.st_bind() {
                STB_GLOBAL | STB_WEAK => return Some(Found { dso: v.id, sym }),
                STB_GNU_UNIQUE => return Some(self.bind_unique(q.name, Found { dso: v.id, sym })),
                _ => continue,
            }
        }
        None
    }
}

impl Linker {
    /// Searches `scope` in order for the definition of `q`.  With `skip`,
    /// the search starts after that object (the executable, for COPY
    /// relocations; the caller, for `dlsym(RTLD_NEXT)`).
    pub fn lookup(&self, scope: &[DsoId], q: &Query, skip: Option<DsoId>) -> Option<Found> {
        if crate::debug::on(crate::debug::SYMBOLS) {
            self.lookup_in::<true>(scope, q, skip)
        } else {
            self.lookup_in::<false>(scope, q, skip)
        }
    }

    /// `lookup`, with `TRACE` naming each object searched (`LD_DEBUG=symbols`).
    #[inline(always)]
    fn lookup_in<const TRACE: bool>(&self, scope: &[DsoId], q: &Query, skip: Option<DsoId>) -> Option<Found> {
        match skip {
            // Nearly every lookup: no object to skip, so no test per object.
            None => self.search_scope::<TRACE, false>(scope, q, usize::MAX),
            Some(s) => {
                let start = scope.iter().position(|&id| id == s).map_or(0, |i| i + 1);
                self.search_scope::<TRACE, true>(&scope[start..], q, s)
            }
        }
    }

    /// The scope loop of `lookup_in`: with `SKIP`, object `skip` is passed over.
    #[inline(always)]
    fn search_scope<const TRACE: bool, const SKIP: bool>(
        &self,
        scope: &[DsoId],
        q: &Query,
        skip: DsoId,
    ) -> Option<Found> {
        for &id in scope {
            if SKIP && id == skip {
                continue;
            }
            if TRACE {
                let line = crate::diag::Msg::new()
                    .s(b"symbol=")
                    .s(q.name)
                    .s(b";  lookup in file=")
                    .s(self.objs[id].display_name())
                    .ns(self.objs[id].ns);
                crate::debug::print(line.s(b"\n").bytes());
            }
            let Some(sym) = self.objs[id].find_symbol(q) else {
                continue;
            };
            match sym.st_bind() {
                STB_GLOBAL | STB_WEAK => return Some(Found { dso: id, sym }),
                STB_GNU_UNIQUE => return Some(self.bind_unique(q.name, Found { dso: id, sym })),
                _ => continue,
            }
        }
        None
    }

    /// The first `STB_GNU_UNIQUE` definition of a name wins for its whole
    /// namespace; its object, if `dlopen` loaded it, becomes NODELETE (as in
    /// glibc), since every later user of the name binds to it.
    pub fn bind_unique(&self, name: &[u8], found: Found) -> Found {
        let ns = self.objs[found.dso].ns;
        let first = self.namespaces[ns].unique.with(|unique| {
            if let Some((_, f)) = unique.iter().find(|(n, _)| n.as_slice() == name) {
                return Err(*f);
            }
            unique.push((name.to_vec(), found));
            Ok(found)
        });
        let found = match first {
            Ok(f) => f,
            Err(f) => return f,
        };
        let d = &self.objs[found.dso];
        if d.dlopened && !d.nodelete.any() {
            if crate::debug::on(crate::debug::BINDINGS) {
                let line = crate::diag::Msg::new().s(b"marking ").s(&d.name).ns(d.ns);
                crate::debug::print(line.s(b" as NODELETE due to unique symbol\n").bytes());
            }
            d.nodelete
                .mark(self.relocating.load(core::sync::atomic::Ordering::Relaxed));
        }
        found
    }

    /// The version requirement of symbol `idx` in object `id`, if any.
    pub fn version_req(&self, id: DsoId, idx: u32) -> Option<VersionReq<'static>> {
        let dso = &self.objs[id];
        let raw = *dso.versym?.get(idx as usize)?;
        let v = dso.versions.get((raw & VERSYM_VERSION) as usize)?;
        (v.hash != 0).then_some(VersionReq {
            name: v.name,
            hash: v.hash,
            hidden: v.hidden,
        })
    }
}

/// A namespace's table of unique symbols.
pub type UniqueTable = Vec<(Vec<u8>, Found)>;
