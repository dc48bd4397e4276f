//! Malformed objects: a small library and a small program, corrupted one way at a time, run
//! under both loaders.
//!
//! Each mutation is made here, in Rust, from the fixtures the test builds (`libmal.so`, its
//! program `main`, and `dlmain`, which `dlopen`s a path): truncations at many offsets, bad ELF
//! and program headers, bad dynamic tags, strings, symbols, relocations, hash tables and
//! version chains out of range or looping, overlapping segments, huge counts. A corrupted
//! library is loaded three times: as a program's dependency (the loader named on the command
//! line, and started by the kernel) and by `dlopen`; a corrupted program is named on the
//! loader's command line.
//!
//! The oracle is glibc's run of the same file:
//! * where glibc ends without a signal, ld-rs must give exactly its output and status (its
//!   error line, or the program's output when glibc runs it);
//! * where glibc dies of a signal (it trusts many of these headers), ld-rs must refuse the
//!   object cleanly: for a load, status 127, nothing on stdout and one line on stderr; for a
//!   `dlopen`, one `dlerror` line and the program's own status 0.
//!
//! glibc's failed internal assertions (`Inconsistency detected by ld.so: ...`) count as
//! crashes: they name glibc's source lines, not the file's fault.
//!
//! A few mutations say otherwise, each with a note: [`Expect::Refused`] where glibc runs a
//! file that breaks a rule of the gABI (or `mprotect`s memory that is not the object's) and
//! ld-rs refuses it; [`Expect::Runs`] where glibc crashes on a mistake ld-rs reads past
//! correctly (its output must then be the unmutated file's); [`Expect::NoCrash`] where the
//! fault only shows when a symbol is looked up by name.

use ld_rs_tests::{fixtures, Exit, Loader, Outcome, Run, Way};
use std::path::{Path, PathBuf};

/// Program header types and dynamic tags the mutations name (gABI values).
const PT_NULL: u32 = 0;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_TLS: u32 = 7;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const DT_NULL: i64 = 0;
const DT_NEEDED: i64 = 1;
const DT_PLTRELSZ: i64 = 2;
const DT_STRTAB: i64 = 5;
const DT_SYMTAB: i64 = 6;
const DT_RELA: i64 = 7;
const DT_RELASZ: i64 = 8;
const DT_RELAENT: i64 = 9;
const DT_STRSZ: i64 = 10;
const DT_SYMENT: i64 = 11;
const DT_SONAME: i64 = 14;
const DT_REL: i64 = 17;
const DT_PLTREL: i64 = 20;
const DT_JMPREL: i64 = 23;
const DT_INIT: i64 = 12;
const DT_INIT_ARRAY: i64 = 25;
const DT_INIT_ARRAYSZ: i64 = 27;
const DT_GNU_HASH: i64 = 0x6fff_fef5;
const DT_VERSYM: i64 = 0x6fff_fff0;
const DT_RELACOUNT: i64 = 0x6fff_fff9;
const DT_FLAGS_1: i64 = 0x6fff_fffb;
const DT_VERDEF: i64 = 0x6fff_fffc;
const DT_VERNEED: i64 = 0x6fff_fffe;
const DT_VERNEEDNUM: i64 = 0x6fff_ffff;
const DF_1_NOOPEN: u64 = 0x40;

/// Offsets of `Elf64_Phdr` fields.
const P_TYPE: usize = 0;
const P_FLAGS: usize = 4;
const P_OFFSET: usize = 8;
const P_VADDR: usize = 16;
const P_FILESZ: usize = 32;
const P_MEMSZ: usize = 40;
const P_ALIGN: usize = 48;

/// An address no object of the fixtures comes near.
const FAR: u64 = 0x1000_0000;

/// An ELF64 little-endian file being corrupted, with just enough reading to find what to
/// corrupt. Every helper panics when the fixture lacks what it looks for: a mutation that
/// changes nothing would test nothing.
struct Elf {
    bytes: Vec<u8>,
}

impl Elf {
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.bytes[at..at + 2].try_into().unwrap())
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap())
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes[at..at + 8].try_into().unwrap())
    }
    fn put16(&mut self, at: usize, v: u16) {
        self.bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn put32(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn put64(&mut self, at: usize, v: u64) {
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// File offsets of the program headers.
    fn phdrs(&self) -> Vec<usize> {
        let phoff = self.u64(32) as usize;
        (0..self.u16(56) as usize).map(|i| phoff + i * 56).collect()
    }

    /// File offset of the `nth` program header of type `p_type`.
    fn ph(&self, p_type: u32, nth: usize) -> usize {
        let found = self
            .phdrs()
            .into_iter()
            .filter(|&at| self.u32(at + P_TYPE) == p_type)
            .nth(nth);
        found.unwrap_or_else(|| panic!("the fixture has no program header {p_type:#x} #{nth}"))
    }

    fn set_ph(&mut self, p_type: u32, nth: usize, field: usize, v: u64) {
        let at = self.ph(p_type, nth) + field;
        match field {
            P_TYPE | P_FLAGS => self.put32(at, v as u32),
            _ => self.put64(at, v),
        }
    }

    fn ph_field(&self, p_type: u32, nth: usize, field: usize) -> u64 {
        self.u64(self.ph(p_type, nth) + field)
    }

    /// File offset of the segment holding link-time address `vaddr`.
    fn off(&self, vaddr: u64) -> usize {
        for at in self.phdrs().into_iter().filter(|&at| self.u32(at) == PT_LOAD) {
            let (start, size) = (self.u64(at + P_VADDR), self.u64(at + P_FILESZ));
            if start <= vaddr && vaddr < start + size {
                return (vaddr - start + self.u64(at + P_OFFSET)) as usize;
            }
        }
        panic!("address {vaddr:#x} is not in the file");
    }

    /// File offsets of the dynamic entries, up to and including `DT_NULL`.
    fn dyns(&self) -> Vec<usize> {
        let start = self.ph_field(PT_DYNAMIC, 0, P_OFFSET) as usize;
        let mut out = Vec::new();
        for at in (start..).step_by(16) {
            out.push(at);
            if self.u64(at) as i64 == DT_NULL {
                break;
            }
        }
        out
    }

    /// File offset of the `nth` entry with `tag`.
    fn dyn_at(&self, tag: i64, nth: usize) -> usize {
        let found = self
            .dyns()
            .into_iter()
            .filter(|&at| self.u64(at) as i64 == tag)
            .nth(nth);
        found.unwrap_or_else(|| panic!("the fixture has no dynamic tag {tag:#x} #{nth}"))
    }

    fn dyn_val(&self, tag: i64) -> u64 {
        self.u64(self.dyn_at(tag, 0) + 8)
    }

    fn set_dyn(&mut self, tag: i64, v: u64) {
        let at = self.dyn_at(tag, 0) + 8;
        self.put64(at, v);
    }

    /// Adds an entry in the spare room after `DT_NULL` that static linkers leave.
    fn add_dyn(&mut self, tag: i64, v: u64) {
        let null = *self.dyns().last().expect("a dynamic section");
        let room = self.ph_field(PT_DYNAMIC, 0, P_OFFSET) + self.ph_field(PT_DYNAMIC, 0, P_FILESZ);
        assert!(null as u64 + 32 <= room, "no spare dynamic entry");
        self.put64(null, tag as u64);
        self.put64(null + 8, v);
        self.put64(null + 16, DT_NULL as u64);
        self.put64(null + 24, 0);
    }

    /// Changes the tag of the first entry with `tag`.
    fn retag(&mut self, tag: i64, new: i64) {
        let at = self.dyn_at(tag, 0);
        self.put64(at, new as u64);
    }

    /// File offset of the dynamic string `name` (a whole string of `DT_STRTAB`).
    fn dynstr(&self, name: &str) -> u64 {
        let table = self.off(self.dyn_val(DT_STRTAB));
        let size = self.dyn_val(DT_STRSZ) as usize;
        let strings = &self.bytes[table..table + size];
        let mut needle = vec![0];
        needle.extend_from_slice(name.as_bytes());
        needle.push(0);
        let at = strings.windows(needle.len()).position(|w| w == needle);
        at.map(|i| i as u64 + 1)
            .unwrap_or_else(|| panic!("no string {name} in .dynstr"))
    }

    /// File offset of the dynamic symbol `name`.
    fn sym(&self, name: &str) -> usize {
        let name_off = self.dynstr(name) as u32;
        let table = self.off(self.dyn_val(DT_SYMTAB));
        let end = self.off(self.dyn_val(DT_STRTAB));
        (table..end)
            .step_by(24)
            .find(|&at| self.u32(at) == name_off)
            .unwrap_or_else(|| panic!("no symbol {name}"))
    }

    /// File offset of the `nth` `DT_RELA` entry of relocation type `ty`.
    fn rela(&self, ty: u32, nth: usize) -> usize {
        let table = self.off(self.dyn_val(DT_RELA));
        let count = self.dyn_val(DT_RELASZ) as usize / 24;
        let found = (0..count)
            .map(|i| table + 24 * i)
            .filter(|&at| self.u32(at + 8) == ty)
            .nth(nth);
        found.unwrap_or_else(|| panic!("no relocation of type {ty} #{nth}"))
    }

    /// File offset of the `DT_RELA` entry that relocates link-time address `place`.
    fn rela_at(&self, place: u64) -> usize {
        let table = self.off(self.dyn_val(DT_RELA));
        let count = self.dyn_val(DT_RELASZ) as usize / 24;
        let found = (0..count).map(|i| table + 24 * i).find(|&at| self.u64(at) == place);
        found.unwrap_or_else(|| panic!("no relocation at {place:#x}"))
    }

    /// File offset of the GNU hash table.
    fn gnu_hash(&self) -> usize {
        self.off(self.dyn_val(DT_GNU_HASH))
    }

    /// File offset of the first `Elf64_Verneed`.
    fn verneed(&self) -> usize {
        self.off(self.dyn_val(DT_VERNEED))
    }

    /// File offset of the `Elf64_Vernaux` naming version `name`.
    fn vernaux(&self, name: &str) -> usize {
        let want = self.dynstr(name) as u32;
        let mut need = self.verneed();
        for _ in 0..self.dyn_val(DT_VERNEEDNUM) {
            let mut aux = need + self.u32(need + 8) as usize;
            for _ in 0..self.u16(need + 2) {
                if self.u32(aux + 8) == want {
                    return aux;
                }
                aux += self.u32(aux + 12) as usize;
            }
            need += self.u32(need + 12) as usize;
        }
        panic!("no version requirement {name}");
    }

    /// File offset of the first `Elf64_Verdef`.
    fn verdef(&self) -> usize {
        self.off(self.dyn_val(DT_VERDEF))
    }
}

/// Which file a mutation corrupts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `libmal.so`: loaded as `main`'s dependency, and by `dlmain`.
    Lib,
    /// `relr/libmal.so`, the same with `DT_RELR`, loaded the same ways.
    RelrLib,
    /// `main` itself, named on the loader's command line.
    Prog,
}

/// What is required of ld-rs beyond never dying of a signal or hanging.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// glibc's result where glibc has one (no signal), a clean refusal where it crashes.
    Glibc,
    /// A clean refusal, whatever glibc does (which the note explains).
    Refused(&'static str),
    /// The unmutated file's result, where glibc crashes (the note says why).
    Runs(&'static str),
    /// Any ending but a signal (the note says why).
    NoCrash(&'static str),
}

/// Writes the mutated copy of the target and returns its path.
fn mutate(name: &str, target: Target, f: impl FnOnce(&mut Elf)) -> PathBuf {
    let built = fixtures::malformed();
    let (src, file) = match target {
        Target::Lib => (built.path("libmal.so"), "libmal.so"),
        Target::RelrLib => (built.path("relr/libmal.so"), "libmal.so"),
        Target::Prog => (built.path("main"), "main"),
    };
    let mut elf = Elf {
        bytes: std::fs::read(&src).expect("read the fixture"),
    };
    f(&mut elf);
    let dir = built.path("mutations").join(name);
    std::fs::create_dir_all(&dir).expect("create the mutation's directory");
    let path = dir.join(file);
    let tmp = dir.join(format!("{file}.tmp{}", std::process::id()));
    std::fs::write(&tmp, &elf.bytes).expect("write the mutation");
    if target == Target::Prog {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    std::fs::rename(&tmp, &path).expect("rename the mutation into place");
    path
}

/// Checks one pair of runs: `dlopen` runs report errors on stdout with status 0. `pristine`
/// is glibc's run of the same command on the unmutated files.
fn check(name: &str, expect: Expect, dlopen: bool, glibc: &Outcome, ldrs: &Outcome, pristine: &Outcome) {
    let show = || format!("mutation {name}:\n--- glibc\n{glibc}--- ld-rs\n{ldrs}");
    assert!(matches!(ldrs.exit, Exit::Code(_)), "ld-rs died of a signal\n{}", show());
    let same = |a: &Outcome, b: &Outcome| a.exit == b.exit && a.stdout == b.stdout && a.stderr == b.stderr;
    let assertion = glibc.stderr_text().contains("Inconsistency detected by ld.so");
    let glibc_answers = matches!(glibc.exit, Exit::Code(_)) && !assertion;
    match expect {
        Expect::Glibc if glibc_answers => {
            assert!(same(glibc, ldrs), "ld-rs differs from glibc\n{}", show());
            return;
        }
        Expect::Runs(why) => {
            assert!(
                same(pristine, ldrs),
                "ld-rs must run this file as the unmutated one ({why})\n--- unmutated\n{pristine}{}",
                show()
            );
            return;
        }
        Expect::NoCrash(_) => return,
        Expect::Glibc | Expect::Refused(_) => {}
    }
    let stdout = ldrs.stdout_text();
    if dlopen {
        assert!(
            ldrs.exit == Exit::Code(0)
                && stdout.lines().count() == 1
                && stdout.starts_with("dlopen: ")
                && ldrs.stderr.is_empty(),
            "a malformed library must give one dlerror line\n{}",
            show()
        );
    } else {
        let stderr = ldrs.stderr_text();
        assert!(
            ldrs.exit == Exit::Code(127) && stdout.is_empty() && stderr.lines().count() == 1,
            "a malformed object must be refused with one line and status 127\n{}",
            show()
        );
    }
}

/// Runs `run` under both loaders, explicitly, and checks the pair against each other and
/// against glibc's run of `original` (the same command on the unmutated files).
fn compare(name: &str, expect: Expect, dlopen: bool, run: &Run, original: &Run, way: Way) {
    let glibc = run.run(Loader::Glibc, way);
    let ldrs = run.run(Loader::LdRs, way);
    let pristine = original.run(Loader::Glibc, way);
    assert_eq!(pristine.exit, Exit::Code(0), "the unmutated fixture fails:\n{pristine}");
    check(name, expect, dlopen, &glibc, &ldrs, &pristine);
}

/// Makes the mutation and runs every case of its target.
fn case(name: &str, target: Target, expect: Expect, f: impl FnOnce(&mut Elf)) {
    let path = mutate(name, target, f);
    let built = fixtures::malformed();
    let timeout = std::time::Duration::from_secs(10);
    match target {
        Target::Lib | Target::RelrLib => {
            let original = match target {
                Target::Lib => built.path("libmal.so"),
                _ => built.path("relr/libmal.so"),
            };
            let original_dir = original.parent().expect("the original is in a directory");
            let dir = path.parent().expect("the copy is in a directory");
            let load = |dir: &Path| {
                Run::new(built.path("main"))
                    .env("LD_LIBRARY_PATH", dir)
                    .timeout(timeout)
            };
            // As a dependency: the loader named on the command line, and the
            // loader the kernel starts (where no argument of ours is involved).
            for way in [Way::Explicit, Way::Interp] {
                compare(name, expect, false, &load(dir), &load(original_dir), way);
            }
            let open = |lib: &Path| Run::new(built.path("dlmain")).arg(lib).timeout(timeout);
            compare(name, expect, true, &open(&path), &open(&original), Way::Explicit);
        }
        Target::Prog => {
            let run = |prog: &Path| Run::new(prog).env("LD_LIBRARY_PATH", built.dir()).timeout(timeout);
            compare(
                name,
                expect,
                false,
                &run(&path),
                &run(&built.path("main")),
                Way::Explicit,
            );
        }
    }
}

/// Declares one test per mutation: `name: target, expect, |elf| change`.
macro_rules! mutations {
    ($($(#[$doc:meta])* $name:ident: $target:ident, $expect:expr, $f:expr;)*) => {$(
        $(#[$doc])*
        #[test]
        fn $name() {
            case(stringify!($name), Target::$target, $expect, $f);
        }
    )*};
}

/// The file cut at `len` bytes (from the end when negative).
fn cut(len: isize) -> impl FnOnce(&mut Elf) {
    move |e| {
        let n = if len < 0 { e.bytes.len() as isize + len } else { len };
        e.bytes.truncate(n as usize);
    }
}

use Expect::{Glibc, NoCrash, Refused, Runs};

mutations! {
    // The unmutated files, so that every other result is read against a working pair.
    pristine_lib: Lib, Glibc, |_| {};
    pristine_prog: Prog, Glibc, |_| {};

    // Truncations: inside the ELF header, the program headers, the tables, the data.
    lib_cut_0: Lib, Glibc, cut(0);
    lib_cut_3: Lib, Glibc, cut(3);
    lib_cut_16: Lib, Glibc, cut(16);
    lib_cut_63: Lib, Glibc, cut(63);
    lib_cut_64: Lib, Glibc, cut(64);
    lib_cut_200: Lib, Glibc, cut(200);
    lib_cut_1000: Lib, Glibc, cut(1000);
    lib_cut_4096: Lib, Glibc, cut(4096);
    lib_cut_8192: Lib, Glibc, cut(8192);
    lib_cut_last_page: Lib, Glibc, |e| { let n = e.bytes.len() - 4096; e.bytes.truncate(n) };
    lib_cut_last_byte: Lib, Glibc, cut(-1);
    prog_cut_0: Prog, Glibc, cut(0);
    prog_cut_40: Prog, Glibc, cut(40);
    prog_cut_100: Prog, Glibc, cut(100);
    prog_cut_4096: Prog, Glibc, cut(4096);
    prog_cut_last_page: Prog, Glibc, |e| { let n = e.bytes.len() - 4096; e.bytes.truncate(n) };

    // The ELF header.
    bad_magic: Lib, Glibc, |e| e.bytes[1] = b'X';
    class_32: Lib, Glibc, |e| e.bytes[4] = 1;
    class_none: Lib, Glibc, |e| e.bytes[4] = 9;
    big_endian: Lib, Glibc, |e| e.bytes[5] = 2;
    ident_version_0: Lib, Glibc, |e| e.bytes[6] = 0;
    type_rel: Lib, Glibc, |e| e.put16(16, 1);
    type_exec_lib: Lib, Glibc, |e| e.put16(16, 2);
    type_core: Lib, Glibc, |e| e.put16(16, 4);
    machine_386: Lib, Glibc, |e| e.put16(18, 3);
    phentsize_32: Lib, Glibc, |e| e.put16(54, 32);
    phnum_0: Lib, Glibc, |e| e.put16(56, 0);
    phnum_max: Lib, Glibc, |e| e.put16(56, 0xffff);
    phoff_past_end: Lib, Glibc, |e| { let n = e.bytes.len() as u64; e.put64(32, n + 64) };
    phoff_misaligned: Lib, Glibc, |e| e.put64(32, 65);
    prog_type_rel: Prog, Glibc, |e| e.put16(16, 1);
    prog_phnum_0: Prog, Glibc, |e| e.put16(56, 0);
    prog_phoff_huge: Prog, Refused("glibc's e_phoff + size wraps: it reads headers from before its buffer"), |e| e.put64(32, u64::MAX - 8);

    // Program headers.
    load_misaligned: Lib, Glibc, |e| { let v = e.ph_field(PT_LOAD, 1, P_OFFSET); e.set_ph(PT_LOAD, 1, P_OFFSET, v + 1) };
    load_filesz_past_eof: Lib, Glibc, |e| { e.set_ph(PT_LOAD, 1, P_FILESZ, 0x10_0000); e.set_ph(PT_LOAD, 1, P_MEMSZ, 0x10_0000) };
    load_filesz_over_memsz: Lib, Refused("glibc 2.36 maps the file bytes and ignores p_memsz"), |e| { let v = e.ph_field(PT_LOAD, 3, P_MEMSZ); e.set_ph(PT_LOAD, 3, P_FILESZ, v + 8) };
    load_bss_1tib: Lib, Glibc, |e| e.set_ph(PT_LOAD, 3, P_MEMSZ, 1 << 40);
    load_vaddr_wraps: Lib, Glibc, |e| e.set_ph(PT_LOAD, 3, P_VADDR, u64::MAX - 0xfff);
    load_overlap: Lib, Glibc, |e| { let v = e.ph_field(PT_LOAD, 1, P_VADDR); let o = e.ph_field(PT_LOAD, 2, P_OFFSET); e.set_ph(PT_LOAD, 2, P_VADDR, v + (o & 0xfff)) };
    no_loads: Lib, Glibc, |e| { for _ in 0..4 { e.set_ph(PT_LOAD, 0, P_TYPE, PT_NULL as u64) } };
    tables_unreadable: Lib, Glibc, |e| e.set_ph(PT_LOAD, 0, P_FLAGS, 0);
    no_dynamic: Lib, Glibc, |e| e.set_ph(PT_DYNAMIC, 0, P_TYPE, PT_NULL as u64);
    dynamic_empty: Lib, Glibc, |e| { e.set_ph(PT_DYNAMIC, 0, P_FILESZ, 0); e.set_ph(PT_DYNAMIC, 0, P_MEMSZ, 0) };
    dynamic_outside: Lib, Glibc, |e| e.set_ph(PT_DYNAMIC, 0, P_VADDR, FAR);
    dynamic_misaligned: Lib, Glibc, |e| { let v = e.ph_field(PT_DYNAMIC, 0, P_VADDR); e.set_ph(PT_DYNAMIC, 0, P_VADDR, v + 4) };
    tls_outside: Lib, Glibc, |e| e.set_ph(PT_TLS, 0, P_VADDR, FAR);
    tls_image_too_big: Lib, Glibc, |e| { e.set_ph(PT_TLS, 0, P_FILESZ, 0x10_0000); e.set_ph(PT_TLS, 0, P_MEMSZ, 0x10_0000) };
    tls_filesz_over_memsz: Lib, Refused("glibc copies p_filesz bytes into a block of p_memsz"), |e| { e.set_ph(PT_TLS, 0, P_FILESZ, 8); e.set_ph(PT_TLS, 0, P_MEMSZ, 4) };
    tls_align_3: Lib, Refused("the gABI wants a power of two; glibc lays the block out anyway"), |e| e.set_ph(PT_TLS, 0, P_ALIGN, 3);
    relro_outside: Lib, Refused("glibc mprotects whatever lies at that address"), |e| e.set_ph(PT_GNU_RELRO, 0, P_VADDR, FAR);
    relro_huge: Lib, Glibc, |e| e.set_ph(PT_GNU_RELRO, 0, P_MEMSZ, 1 << 40);
    prog_bss_1tib: Prog, Glibc, |e| e.set_ph(PT_LOAD, 3, P_MEMSZ, 1 << 40);
    prog_no_dynamic: Prog, Glibc, |e| e.set_ph(PT_DYNAMIC, 0, P_TYPE, PT_NULL as u64);
    prog_dynamic_empty: Prog, Glibc, |e| { e.set_ph(PT_DYNAMIC, 0, P_FILESZ, 0); e.set_ph(PT_DYNAMIC, 0, P_MEMSZ, 0) };
    prog_relro_outside: Prog, Refused("glibc mprotects whatever lies at that address"), |e| e.set_ph(PT_GNU_RELRO, 0, P_VADDR, FAR);

    // Dynamic tags: tables out of range, entry sizes, counts.
    strtab_outside: Lib, Glibc, |e| e.set_dyn(DT_STRTAB, FAR);
    strsz_huge: Lib, Glibc, |e| e.set_dyn(DT_STRSZ, 1 << 40);
    strsz_0: Lib, Glibc, |e| e.set_dyn(DT_STRSZ, 0);
    symtab_outside: Lib, Glibc, |e| e.set_dyn(DT_SYMTAB, FAR);
    syment_16: Lib, Glibc, |e| e.set_dyn(DT_SYMENT, 16);
    relaent_16: Lib, Glibc, |e| e.set_dyn(DT_RELAENT, 16);
    rela_outside: Lib, Glibc, |e| e.set_dyn(DT_RELA, FAR);
    relasz_huge: Lib, Glibc, |e| e.set_dyn(DT_RELASZ, 1 << 40);
    relasz_plus_1: Lib, Runs("glibc applies the PLT's first relocation twice"), |e| { let v = e.dyn_val(DT_RELASZ); e.set_dyn(DT_RELASZ, v + 1) };
    relasz_minus_1: Lib, Glibc, |e| { let v = e.dyn_val(DT_RELASZ); e.set_dyn(DT_RELASZ, v - 1) };
    pltrelsz_minus_1: Lib, Glibc, |e| { let v = e.dyn_val(DT_PLTRELSZ); e.set_dyn(DT_PLTRELSZ, v - 1) };
    jmprel_at_header: Lib, Glibc, |e| e.set_dyn(DT_JMPREL, 0);
    jmprel_at_header_2: Lib, Glibc, |e| { e.set_dyn(DT_JMPREL, 0); e.set_dyn(DT_PLTRELSZ, 48) };
    jmprel_outside: Lib, Glibc, |e| e.set_dyn(DT_JMPREL, FAR);
    pltrel_rel: Lib, Glibc, |e| e.set_dyn(DT_PLTREL, DT_REL as u64);
    rela_as_rel: Lib, Glibc, |e| e.retag(DT_RELA, DT_REL);
    needed_offset_huge: Lib, Glibc, |e| e.set_dyn(DT_NEEDED, 1 << 40);
    needed_missing: Lib, Glibc, |e| { let s = e.dynstr("mal_value"); e.set_dyn(DT_NEEDED, s) };
    soname_offset_huge: Lib, Runs("glibc reads the name when it compares names, ld-rs drops it"), |e| e.set_dyn(DT_SONAME, 1 << 40);
    gnu_hash_outside: Lib, Glibc, |e| e.set_dyn(DT_GNU_HASH, FAR);
    dynamic_starts_with_null: Lib, Glibc, |e| { let at = e.dyns()[0]; e.put64(at, DT_NULL as u64) };
    init_array_outside: Lib, Glibc, |e| e.set_dyn(DT_INIT_ARRAY, FAR);
    init_arraysz_huge: Lib, Glibc, |e| e.set_dyn(DT_INIT_ARRAYSZ, 0x10_0000);
    versym_outside: Lib, Glibc, |e| e.set_dyn(DT_VERSYM, FAR);
    verneed_outside: Lib, Glibc, |e| e.set_dyn(DT_VERNEED, FAR);
    verneednum_huge: Lib, Glibc, |e| e.set_dyn(DT_VERNEEDNUM, u64::from(u32::MAX));
    verdef_outside: Lib, Glibc, |e| e.set_dyn(DT_VERDEF, FAR);
    noopen: Lib, Glibc, |e| e.add_dyn(DT_FLAGS_1, DF_1_NOOPEN);

    // The GNU hash table.
    hash_no_buckets: Lib, Glibc, |e| { let h = e.gnu_hash(); e.put32(h, 0) };
    hash_buckets_huge: Lib, Glibc, |e| { let h = e.gnu_hash(); e.put32(h, u32::MAX) };
    hash_symoffset_huge: Lib, Glibc, |e| { let h = e.gnu_hash(); e.put32(h + 4, u32::MAX) };
    hash_bloom_empty: Lib, Glibc, |e| { let h = e.gnu_hash(); e.put32(h + 8, 0) };
    hash_bloom_not_power_of_2: Lib, Glibc, |e| { let h = e.gnu_hash(); e.put32(h + 8, 3) };
    hash_bloom_huge: Lib, Glibc, |e| { let h = e.gnu_hash(); e.put32(h + 8, u32::MAX) };
    hash_chains_endless: Lib, Refused("glibc walks the last chain into what follows the table"), |e| {
        let h = e.gnu_hash();
        let (nbuckets, bloom) = (e.u32(h) as usize, e.u32(h + 8) as usize);
        let chains = h + 16 + 8 * bloom + 4 * nbuckets;
        let end = e.off(e.dyn_val(DT_STRTAB)).min(e.sym("mal_value"));
        for at in (chains..end.max(chains)).step_by(4).take(64) {
            let v = e.u32(at);
            e.put32(at, v & !1);
        }
    };

    // Version chains.
    verneed_next_huge: Lib, Glibc, |e| { let v = e.verneed(); e.put32(v + 12, u32::MAX - 15) };
    verneed_aux_huge: Lib, Glibc, |e| { let v = e.verneed(); e.put32(v + 8, FAR as u32) };
    verneed_file_huge: Lib, Glibc, |e| { let v = e.verneed(); e.put32(v + 4, u32::MAX) };
    vernaux_next_loops: Lib, Runs("vn_cnt ends the list; glibc follows vna_next past it"), |e| { let v = e.verneed(); let aux = v + e.u32(v + 8) as usize; e.put32(aux + 12, u32::MAX - 15) };
    vernaux_name_huge: Lib, Glibc, |e| { let v = e.verneed(); let aux = v + e.u32(v + 8) as usize; e.put32(aux + 8, u32::MAX) };
    verdef_next_huge: Lib, Glibc, |e| { let v = e.verdef(); e.put32(v + 16, FAR as u32) };
    verdef_aux_huge: Lib, Glibc, |e| { let v = e.verdef(); let next = v + e.u32(v + 16) as usize; e.put32(next + 12, FAR as u32) };
    versym_index_huge: Lib, Refused("glibc indexes its version table out of bounds when it binds the symbol"), |e| {
        let sym = e.sym("mal_value");
        let index = (sym - e.off(e.dyn_val(DT_SYMTAB))) / 24;
        let at = e.off(e.dyn_val(DT_VERSYM)) + 2 * index;
        e.put16(at, 0x7ff0);
    };

    // Symbols and relocations.
    symbol_name_huge: Lib, NoCrash("glibc reads the name only when looking the symbol up"), |e| { let s = e.sym("mal_value"); e.put32(s, u32::MAX) };
    reloc_symbol_huge: Lib, Glibc, |e| { let r = e.rela(6, 0); e.put32(r + 12, 0x00ff_ffff) };
    reloc_type_0x40: Lib, Glibc, |e| { let r = e.rela(6, 0); e.put32(r + 8, 0x40) };
    reloc_type_huge: Lib, Glibc, |e| { let r = e.rela(6, 0); e.put32(r + 8, 0x1234) };
    reloc_target_readonly: Lib, Glibc, |e| { let r = e.rela(8, 0); e.put64(r, 0x100) };
    reloc_target_outside: Lib, Glibc, |e| { let r = e.rela(8, 0); e.put64(r, FAR) };

    // What is called: DT_INIT outside the code; an initializer its relocation points at
    // data; a DT_RELACOUNT that counts relocations that are not RELATIVE.
    init_outside_code: Lib, Glibc, |e| e.set_dyn(DT_INIT, 0x100);
    init_array_entry_at_data: Lib, Glibc, |e| { let r = e.rela_at(e.dyn_val(DT_INIT_ARRAY)); e.put64(r + 16, 0x100) };
    relacount_too_big: Lib, Runs("glibc asserts that DT_RELACOUNT counts RELATIVE relocations only"), |e| {
        let all = e.dyn_val(DT_RELASZ) / 24;
        e.set_dyn(DT_RELACOUNT, all);
    };

    // glibc's own rule: an object with DT_RELR requires GLIBC_ABI_DT_RELR of libc (here
    // the requirement is made a second GLIBC_2.2.5, name and hash).
    relr_without_abi_marker: RelrLib, Glibc, |e| {
        let marker = e.vernaux("GLIBC_ABI_DT_RELR");
        let other = e.vernaux("GLIBC_2.2.5");
        let (hash, name) = (e.u32(other), e.u32(other + 8));
        e.put32(marker, hash);
        e.put32(marker + 8, name);
    };
    relr_pristine: RelrLib, Glibc, |_| {};
}

/// `ld.so ld.so`: a loader named as the program is refused with glibc's line (ld-rs given
/// itself, and ld-rs given glibc's loader, which has the same soname).
#[test]
fn loader_cannot_load_itself() {
    let ld_rs = ld_rs_tests::ld_rs();
    for program in [Path::new(ld_rs_tests::GLIBC_LOADER), ld_rs.as_path()] {
        let run = Run::new(program)
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("ld-linux-x86-64.so.2: loader cannot load itself\n");
        run.compare(Way::Explicit);
    }
}

/// The modes of glibc's `elf/tst-rtld-load-self`: a loader given itself lists (status 0),
/// verifies (status 2) and traces (status 0) as glibc's does.
#[test]
fn loader_given_itself_lists_verifies_and_traces() {
    let ld_rs = ld_rs_tests::ld_rs();
    let runs = [
        (Run::new(&ld_rs).loader_args(["--list"]), Exit::Code(0)),
        (Run::new(&ld_rs).loader_args(["--verify"]), Exit::Code(2)),
        (Run::new(&ld_rs).env("LD_TRACE_LOADED_OBJECTS", "1"), Exit::Code(0)),
    ];
    for (run, exit) in runs {
        run.expect_exit(exit).compare(Way::Explicit);
    }
}

/// A copy of a position-independent program (`/bin/true`) whose `e_type` says `ET_EXEC`:
/// glibc maps it at its link-time addresses, from 0, and (as root) runs it.
#[test]
fn pie_labelled_exec() {
    let built = fixtures::malformed();
    let mut elf = Elf {
        bytes: std::fs::read("/bin/true").expect("/bin/true is there"),
    };
    assert_eq!(elf.u16(16), 3, "/bin/true is position-independent (ET_DYN)");
    elf.put16(16, 2);
    let dir = built.path("mutations/pie_labelled_exec");
    std::fs::create_dir_all(&dir).expect("create the directory");
    let path = dir.join("true");
    let tmp = dir.join(format!("true.tmp{}", std::process::id()));
    std::fs::write(&tmp, &elf.bytes).expect("write the copy");
    std::fs::rename(&tmp, &path).expect("rename the copy into place");
    let exit = if ld_rs_tests::is_root() { 0 } else { 127 };
    Run::new(&path).expect_exit(Exit::Code(exit)).compare(Way::Explicit);
}
