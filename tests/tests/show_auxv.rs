//! `LD_SHOW_AUXV`: the auxiliary vector as the loader received it, in glibc's format, printed
//! while the environment is read — so before anything is loaded, and before a loader error.
//!
//! Nothing is blanked where the loaders could differ. Values that change from run to run
//! (the vDSO's and `AT_RANDOM`'s addresses, the load base of the file executed) are replaced
//! by what they must be: `AT_PHDR`, `AT_ENTRY`, `AT_PHNUM` and `AT_EXECFN` are checked
//! against the ELF file the kernel executed (in the explicit way the loader itself, in the
//! `PT_INTERP` way the program) and then written as that fact, so a loader that shows the
//! program's values where glibc shows its own fails. Every other value is compared as it is.

use ld_rs_tests::{fixtures, Exit, Loader, Outcome, Run, Way, GLIBC_LOADER};
use std::fs;
use std::path::{Path, PathBuf};

/// A path in the `iface_basic` output directory.
fn path(name: &str) -> PathBuf {
    fixtures::iface_basic().path(name)
}

/// What the kernel put in the auxiliary vector about the file it executed.
struct Executed {
    path: PathBuf,
    phnum: u64,
    /// Where the program headers are, relative to the load base.
    phdr: u64,
    entry: u64,
}

fn u16_at(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes(b[at..at + 2].try_into().expect("two bytes")))
}

fn u32_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[at..at + 4].try_into().expect("four bytes")))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

/// Reads the facts from an ELF64 file: `e_phnum`, `e_entry`, and the program headers' address
/// (`PT_PHDR`'s, or within the `PT_LOAD` that maps `e_phoff`, as the kernel computes it).
fn executed(path: PathBuf) -> Executed {
    let b = fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let (entry, phoff, phnum) = (u64_at(&b, 24), u64_at(&b, 32), u16_at(&b, 56));
    let ph = |i: u64| (phoff + i * 56) as usize;
    let mut phdr = None;
    for i in 0..phnum {
        let (p_type, p_offset, p_vaddr, p_filesz) = (
            u32_at(&b, ph(i)),
            u64_at(&b, ph(i) + 8),
            u64_at(&b, ph(i) + 16),
            u64_at(&b, ph(i) + 32),
        );
        if p_type == 6 {
            phdr = Some(p_vaddr);
            break;
        }
        if p_type == 1 && phdr.is_none() && p_offset <= phoff && phoff < p_offset + p_filesz {
            phdr = Some(p_vaddr + phoff - p_offset);
        }
    }
    Executed {
        path,
        phnum,
        phdr: phdr.expect("the executed file's program headers are mapped"),
        entry,
    }
}

/// The file the kernel executed for this run: the loader (explicit), or the program — for
/// ld-rs the harness's copy whose `PT_INTERP` names ld-rs (interp).
fn executed_file(loader: Loader, way: Way, program: &Path) -> Executed {
    executed(match (way, loader) {
        (Way::Explicit, Loader::Glibc) => PathBuf::from(GLIBC_LOADER),
        (Way::Explicit, Loader::LdRs) => ld_rs_tests::ld_rs(),
        (_, Loader::Glibc) => program.to_owned(),
        (_, Loader::LdRs) => PathBuf::from(format!("{}.ld-rs", program.display())),
    })
}

fn hex(value: &str) -> Option<u64> {
    u64::from_str_radix(value.strip_prefix("0x")?, 16).ok()
}

/// The output with run-to-run values replaced by the facts they were checked against.
fn facts(text: &[u8], file: &Executed) -> String {
    let text = String::from_utf8_lossy(text);
    let values: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect();
    let get = |key: &str| values.iter().find(|(k, _)| k == key).and_then(|(_, v)| hex(v));
    // The load base the headers imply, if the entry point agrees and it is page-aligned.
    let base = match (get("AT_PHDR"), get("AT_ENTRY")) {
        (Some(phdr), Some(entry)) => phdr
            .checked_sub(file.phdr)
            .filter(|b| b % 4096 == 0 && b.wrapping_add(file.entry) == entry),
        _ => None,
    };
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let Some((key, value)) = line.split_once(':') else {
            out.push_str(line);
            continue;
        };
        let v = value.trim();
        let fact = match key {
            "AT_SYSINFO_EHDR" | "AT_RANDOM" if hex(v).is_some_and(|a| a > 0xffff) => Some("an address".to_owned()),
            "AT_BASE" if hex(v).is_some_and(|a| a > 0xffff && a % 4096 == 0) => {
                Some("a page-aligned address".to_owned())
            }
            "AT_PHDR" if base.is_some() => Some("the executed file's program headers".to_owned()),
            "AT_ENTRY" if base.is_some() => Some("the executed file's entry point".to_owned()),
            "AT_PHNUM" if v.parse() == Ok(file.phnum) => Some("the executed file's e_phnum".to_owned()),
            "AT_EXECFN" if Path::new(v) == file.path => Some("the executed file's path".to_owned()),
            _ => None,
        };
        match fact {
            Some(fact) => out.push_str(&format!("{key}: <{fact}>\n")),
            None => out.push_str(line),
        }
    }
    out
}

/// Runs under both loaders and compares, each run's output reduced to facts about its own
/// executed file.
fn compare(run: &Run, way: Way) -> Outcome {
    let mut outs = Vec::new();
    for loader in [Loader::Glibc, Loader::LdRs] {
        let mut out = run.run(loader, way);
        let file = executed_file(loader, way, run.program());
        out.stdout = facts(&out.stdout, &file).into_bytes();
        out.stderr = facts(&out.stderr, &file).into_bytes();
        outs.push(out);
    }
    let (glibc, ldrs) = (&outs[0], &outs[1]);
    assert!(
        !glibc.stdout_text().contains("AT_PHDR:")
            || glibc
                .stdout_text()
                .contains("AT_PHDR: <the executed file's program headers>"),
        "glibc's AT_PHDR does not describe the executed file; the test is wrong:\n{glibc}"
    );
    assert!(
        glibc.exit == ldrs.exit && glibc.stdout == ldrs.stdout && glibc.stderr == ldrs.stderr,
        "ld-rs differs from glibc ({way:?} way):\n--- glibc\n{glibc}--- ld-rs\n{ldrs}"
    );
    outs.swap_remove(0)
}

/// `main` with libiface.so from `a/` and `LD_SHOW_AUXV=value`.
fn show(value: &str) -> Run {
    Run::new(path("main"))
        .env("LD_LIBRARY_PATH", path("a"))
        .env("LD_SHOW_AUXV", value)
}

macro_rules! both_ways_auxv {
    ($($(#[$doc:meta])* fn $name:ident() -> ($run:expr, $exit:expr))*) => {$(
        $(#[$doc])*
        mod $name {
            use super::*;

            #[test]
            fn explicit() {
                assert_eq!(compare(&$run, Way::Explicit).exit, $exit);
            }

            #[test]
            fn interp() {
                assert_eq!(compare(&$run, Way::Interp).exit, $exit);
            }
        }
    )*};
}

both_ways_auxv! {
    /// `LD_SHOW_AUXV=1`: the vector on stdout, then the program. Started explicitly, glibc
    /// shows what the kernel told it about itself: the loader's headers, entry point and
    /// path, not the program's.
    fn show_auxv() -> (show("1"), Exit::Code(0))

    /// Any value, even empty, shows it.
    fn show_auxv_empty_value() -> (show(""), Exit::Code(0))

    /// Shown while the environment is read: before the library search, so also before the
    /// error for a library not found.
    fn show_auxv_before_missing_library() -> (
        Run::new(path("main")).env("LD_SHOW_AUXV", "1"),
        Exit::Code(127)
    )
}

/// Started explicitly with a program that does not exist: the vector, then the error.
#[test]
fn show_auxv_before_missing_program() {
    let out = compare(
        &Run::new(path("does-not-exist"))
            .env("LD_SHOW_AUXV", "1")
            .expect_exit(Exit::Code(127)),
        Way::Explicit,
    );
    assert_eq!(out.exit, Exit::Code(127));
}

/// `LD_DEBUG=help` ends the process where the environment scan reads it: the environment
/// is sorted (`LD_DEBUG` before `LD_SHOW_AUXV`), so the help is printed and the vector not.
#[test]
fn debug_help_ends_the_scan_before_show_auxv() {
    let out = compare(&show("1").env("LD_DEBUG", "help"), Way::Explicit);
    assert_eq!(out.exit, Exit::Code(0));
}
