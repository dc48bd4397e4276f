//! Which implementation glibc's IFUNC resolvers pick under each loader.
//!
//! libc's and libm's resolvers choose from the CPU features the loader computes for them
//! (`_rtld_global_ro._dl_x86_cpu_features`, adjusted by `GLIBC_TUNABLES`). The variants
//! (`__memmove_avx512_unaligned_erms`, `__sin_fma`, ...) are local symbols, invisible to
//! dladdr, so `libc_ifunc/resolve.c` prints each resolved address as an offset from its
//! object's base: on one machine, with one libc file, it names the variant, and it must be
//! the same under both loaders. The output is machine-specific, so it is not written down
//! here; [`glibc_picks_named_variants`] checks, with libc6-dbg's symbols where installed,
//! that glibc's offsets really are the expected variants.

use ld_rs_tests::{both_ways, fixtures, Exit, Loader, Run, Way};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A run of one `libc_ifunc` program.
fn resolve(program: &str) -> Run {
    Run::new(fixtures::libc_ifunc().path(program))
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
}

/// The functions `resolve.c` prints, with the object each is defined in.
const FUNCTIONS: &[(&str, &str)] = &[
    ("memcpy", "libc.so.6"),
    ("memmove", "libc.so.6"),
    ("memset", "libc.so.6"),
    ("strlen", "libc.so.6"),
    ("strchr", "libc.so.6"),
    ("memcmp", "libc.so.6"),
    ("strcmp", "libc.so.6"),
    ("strrchr", "libc.so.6"),
    ("memchr", "libc.so.6"),
    ("strncmp", "libc.so.6"),
    ("strcpy", "libc.so.6"),
    ("stpcpy", "libc.so.6"),
    ("strnlen", "libc.so.6"),
    ("strcasecmp", "libc.so.6"),
    ("strstr", "libc.so.6"),
    ("wcslen", "libc.so.6"),
    ("wmemset", "libc.so.6"),
    ("rawmemchr", "libc.so.6"),
    ("sin", "libm.so.6"),
    ("cos", "libm.so.6"),
    ("exp", "libm.so.6"),
    ("log", "libm.so.6"),
    ("pow", "libm.so.6"),
    ("atan", "libm.so.6"),
    ("floor", "libm.so.6"),
    ("rint", "libm.so.6"),
    ("sinf", "libm.so.6"),
    ("expf", "libm.so.6"),
];

both_ways! {
    /// A PIE with DT_TEXTREL whose text relocation is packed in DT_RELR (glibc's
    /// elf/tst-ifunc-textrel, built with -z pack-relative-relocs): the read-only segment is
    /// writable for the packed relocations too, and stays executable for its IFUNC resolver.
    fn text_relocation_in_relr_with_ifunc() -> Run {
        resolve("textrel_relr").expect_stdout("text pointer relocated: 1\nanswer through the IFUNC: 42\n")
    }

    /// The same with the text relocation in DT_RELA.
    fn text_relocation_in_rela_with_ifunc() -> Run {
        resolve("textrel_rela").expect_stdout("text pointer relocated: 1\nanswer through the IFUNC: 42\n")
    }
}

both_ways! {
    /// A PIE program: dlsym(RTLD_DEFAULT), the program's GOT (GLOB_DAT) and its data
    /// (R_X86_64_64) all hold the implementation libc's and libm's resolvers picked, the
    /// same one under both loaders; libc's and libm's own IRELATIVE slots too.
    fn pie_sees_the_same_variants() -> Run {
        resolve("resolve")
    }

    /// A non-PIE program: its PLT entries are the functions' canonical addresses, so dlsym
    /// returns those (the executable's undefined symbols with a value); libc's and libm's
    /// IRELATIVE slots still hold the variants.
    fn nopie_canonical_plt_addresses() -> Run {
        resolve("resolve_nopie")
    }

    /// GLIBC_TUNABLES=glibc.cpu.hwcaps masking AVX-512 and AVX2: the loader applies the
    /// mask to the features libc's resolvers read, so they pick older variants.
    fn tunables_mask_avx() -> Run {
        resolve("resolve").env("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX2")
    }

    /// GLIBC_TUNABLES=glibc.cpu.hwcaps=Prefer_ERMS: memcpy, memmove and memset become the
    /// `rep movsb`/`rep stosb` variants.
    fn tunables_prefer_erms() -> Run {
        resolve("resolve").env("GLIBC_TUNABLES", "glibc.cpu.hwcaps=Prefer_ERMS")
    }
}

/// `function -> (object, offset)` from `resolve`'s output.
fn offsets(stdout: &str) -> BTreeMap<String, (String, u64)> {
    let mut map = BTreeMap::new();
    for line in stdout.lines() {
        let Some((name, rest)) = line.split_once(": ") else {
            continue;
        };
        let Some(place) = rest.split(' ').next() else { continue };
        let Some((object, offset)) = place.split_once("+0x") else {
            continue;
        };
        if let Ok(offset) = u64::from_str_radix(offset, 16) {
            map.insert(name.to_owned(), (object.to_owned(), offset));
        }
    }
    map
}

/// Where the libraries and their debug files are: `/`, or the root filesystem the tests run
/// in (`$LD_RS_TESTS_ROOT`).
fn system_root() -> PathBuf {
    ld_rs_tests::root::selected().map_or_else(|| PathBuf::from("/"), |root| root.dir().to_owned())
}

/// The libc6-dbg symbol file of a library, from its build id, if installed.
fn debug_file(library: &Path) -> Option<PathBuf> {
    let notes = Command::new("readelf").arg("-n").arg(library).output().ok()?;
    let notes = String::from_utf8_lossy(&notes.stdout);
    let id = notes
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: "))?
        .trim()
        .to_owned();
    let path = system_root().join(format!("usr/lib/debug/.build-id/{}/{}.debug", &id[..2], &id[2..]));
    path.exists().then_some(path)
}

/// `offset -> names` of the FUNC symbols (local ones included) in a symbol file.
fn functions_by_offset(file: &Path) -> BTreeMap<u64, Vec<String>> {
    let out = Command::new("readelf")
        .args(["-sW", "--demangle=none"])
        .arg(file)
        .output()
        .expect("readelf runs");
    let mut map: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() >= 8 && fields[3] == "FUNC" {
            if let Ok(value) = u64::from_str_radix(fields[1], 16) {
                map.entry(value).or_default().push(fields[7].to_owned());
            }
        }
    }
    map
}

/// Guards the meaning of the comparisons: under glibc, every function resolves in the object
/// that defines it, the program's GOT and data agree with dlsym, and (with libc6-dbg) each
/// offset is a variant of that function (`__memmove_*` for memcpy, `__sin_fma` for sin, ...),
/// not its resolver. (In 2.36, libm's exp, log and pow are not IFUNCs themselves: they
/// resolve to `__exp` etc., which dispatch through libm's IRELATIVE slots, also printed.)
#[test]
fn glibc_picks_named_variants() {
    let glibc = resolve("resolve").run(Loader::Glibc, Way::Interp);
    let stdout = glibc.stdout_text();
    assert_eq!(glibc.exit, Exit::Code(0), "resolve failed under glibc:\n{glibc}");
    for line in stdout.lines().filter(|l| l.contains(" got=")) {
        assert!(line.contains("got=same data=same"), "under glibc: {line}");
    }
    let found = offsets(&stdout);
    let libraries = [
        ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
        ("libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6"),
    ];
    let mut symbols = BTreeMap::new();
    for (soname, path) in libraries {
        if let Some(file) = debug_file(&system_root().join(&path[1..])) {
            symbols.insert(soname, functions_by_offset(&file));
        }
    }
    let mut report = String::new();
    for (function, object) in FUNCTIONS {
        let (seen_object, offset) = found
            .get(*function)
            .unwrap_or_else(|| panic!("resolve printed no line for {function}:\n{stdout}"));
        assert_eq!(seen_object, object, "{function} resolved in the wrong object");
        let Some(names) = symbols.get(object) else { continue };
        let names = names.get(offset).cloned().unwrap_or_default();
        report.push_str(&format!("{function}: {object}+{offset:#x} {names:?}\n"));
        let stem = match *function {
            "memcpy" => "memmove",
            "strcasecmp" => "strcasecmp",
            "wmemset" => "wmemset",
            other => other,
        };
        assert!(
            names.iter().any(|n| n.starts_with("__") && n.contains(stem)),
            "{function} resolved to {object}+{offset:#x} {names:?}, not a variant of {stem}\n{report}"
        );
    }
    eprint!("{report}");
}
