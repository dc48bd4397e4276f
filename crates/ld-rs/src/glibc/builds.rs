//! Which glibc builds ld-rs runs, known by identity.
//!
//! Every offset the glibc layer writes comes from a table generated from one build's debug
//! info (`layouts/`). A `libc.so.6` is therefore run only if its `NT_GNU_BUILD_ID` is one a
//! table in use lists: a security update that moved a field gets a new build id and is refused
//! with one line that names its release, its build id and the command that adds it, instead of
//! being run with offsets that are no longer true. This is checked before anything of glibc's is
//! touched, and the release's contract chosen ([`select`]).

use super::layout::{Layout, GLIBC_2_36, GLIBC_2_41};
use super::layouts::{self, Build};
use crate::diag::{LoadError, Msg, LOADING};
use crate::dso::Dso;

/// A glibc release ld-rs knows: its generated table, and whether the glibc layer has the code
/// paths it needs. The contract is chosen here, at start-up, from the `libc.so.6` being loaded,
/// before anything of glibc's is touched.
pub struct Contract {
    pub release: &'static [u8],
    /// The builds its table covers.
    pub builds: &'static [Build],
    /// The table's file under `glibc/layouts/`.
    pub table: &'static [u8],
    /// Whether ld-rs runs this release.
    pub runs: bool,
    /// Its layouts and behaviour (layout.rs).
    pub layout: &'static Layout,
}

/// The releases ld-rs knows.
const CONTRACTS: &[Contract] = &[
    Contract {
        release: layouts::glibc_2_36_deb12::RELEASE,
        builds: layouts::glibc_2_36_deb12::BUILDS,
        table: b"glibc_2_36_deb12.rs",
        runs: true,
        layout: &GLIBC_2_36,
    },
    // Debian 13.
    Contract {
        release: layouts::glibc_2_41_deb13::RELEASE,
        builds: layouts::glibc_2_41_deb13::BUILDS,
        table: b"glibc_2_41_deb13.rs",
        runs: true,
        layout: &GLIBC_2_41,
    },
];

/// The contract of the `libc.so.6` being loaded, known by its build id; any other build is
/// refused. `release` is libc's newest `GLIBC_2.N` version.
pub fn select(libc: &Dso, release: &[u8]) -> Result<&'static Contract, LoadError> {
    let id = libc.build_id();
    let known = id.and_then(|id| {
        CONTRACTS
            .iter()
            .find_map(|c| Some((c, c.builds.iter().find(|b| b.libc == id)?)))
    });
    let runs = |mut msg: Msg| {
        msg = msg.s(b": ld-rs runs ");
        for (i, c) in CONTRACTS.iter().filter(|c| c.runs).enumerate() {
            msg = msg.s(if i == 0 { b"" } else { b", " }).s(c.release);
        }
        msg
    };
    let msg = match known {
        Some((contract, _)) if contract.runs => return Ok(contract),
        Some((contract, build)) => {
            let msg = with_id(Msg::new().s(b"glibc release ").s(contract.release).s(b" (build id "), id)
                .s(b": ")
                .s(build.origin.as_bytes())
                .s(b", layout table ")
                .s(contract.table)
                .s(b") is not supported yet");
            runs(msg)
        }
        None if CONTRACTS.iter().any(|c| c.runs && c.release == release) => {
            with_id(Msg::new().s(b"unknown ").s(release).s(b" build (build id "), id)
                .s(b"): ld-rs runs only glibc builds whose layout it has; add this one with `cargo xtask glibc-layout ROOT` (a root filesystem with this libc6 and its libc6-dbg)")
        }
        None => runs(
            with_id(Msg::new().s(b"glibc release ").s(release).s(b" (build id "), id)
                .s(b") is not supported"),
        ),
    };
    Err(LoadError::new(LOADING, &libc.name, msg.bytes()))
}

fn with_id(mut msg: Msg, id: Option<&[u8]>) -> Msg {
    match id {
        Some(id) => {
            for &b in id {
                msg = msg.hex(b as u64, 2);
            }
            msg
        }
        None => msg.s(b"none"),
    }
}

/// Where the system's `libc.so.6` is (Debian's `path.system_dirs`, in the
/// default search's order).
const SYSTEM_LIBC: [&[u8]; 4] = [
    b"/lib/x86_64-linux-gnu/libc.so.6\0",
    b"/usr/lib/x86_64-linux-gnu/libc.so.6\0",
    b"/lib/libc.so.6\0",
    b"/usr/lib/libc.so.6\0",
];

/// The contract of the system's `libc.so.6`, for what ld-rs does without a
/// program (`--list-diagnostics`, `--list-tunables`): glibc's own loader
/// speaks for its release, ld-rs for the one installed beside it.  `None`
/// if no build ld-rs runs is there.
pub fn system_contract() -> Option<&'static Contract> {
    let fd = SYSTEM_LIBC
        .iter()
        .find_map(|p| crate::sys::CPath::new(p).and_then(|p| crate::sys::open(&p, 0, 0).ok()))?;
    // The headers and the notes are in the file's first kilobyte (both
    // Debian releases: the build id's note ends before 0x400); this runs at
    // every start, so the read is small and on the stack, aligned for the
    // program headers.
    #[repr(C, align(8))]
    struct Head([u8; 2048]);
    let mut head = Head([0; 2048]);
    let n = fd.pread_full(&mut head.0, 0).ok()?;
    let head = &head.0[..n];
    let ehdr = elf::header::parse_ehdr(head).ok()?;
    let phdrs = elf::header::phdrs(head, ehdr).ok()?;
    let id = phdrs
        .iter()
        .filter(|p| p.p_type == elf::consts::PT_NOTE)
        .filter_map(|p| {
            let start = usize::try_from(p.p_offset).ok()?;
            head.get(start..start.checked_add(usize::try_from(p.p_filesz).ok()?)?)
        })
        .find_map(crate::dso::note_build_id)?;
    CONTRACTS
        .iter()
        .find(|c| c.runs && c.builds.iter().any(|b| b.libc == id))
}

/// The version script ld-rs.so is linked with.
const VERSION_SCRIPT: &[u8] = include_bytes!("../../ld-rs.map");

/// Whether `hay[from..to]` contains `needle`.
const fn contains(hay: &[u8], from: usize, to: usize, needle: &[u8]) -> bool {
    let mut i = from;
    while i + needle.len() <= to {
        let mut j = 0;
        while j < needle.len() && hay[i + j] == needle[j] {
            j += 1;
        }
        if j == needle.len() {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether the version script gives `name` the version node `version`: the name, followed by
/// `;`, inside the block `version {` ... `}`.
const fn exported(name: &[u8], version: &[u8]) -> bool {
    let script = VERSION_SCRIPT;
    let mut start = 0;
    // The block starts at a line that is the node's name, a space and `{`.
    while start + version.len() + 2 <= script.len() {
        let at_line = start == 0 || script[start - 1] == b'\n';
        let mut j = 0;
        while at_line && j < version.len() && script[start + j] == version[j] {
            j += 1;
        }
        if at_line && j == version.len() && script[start + j] == b' ' && script[start + j + 1] == b'{' {
            let mut end = start;
            while end < script.len() && script[end] != b'}' {
                end += 1;
            }
            // Each name is preceded by a space and followed by `;`.
            let mut i = start;
            while i + name.len() + 1 < end {
                if script[i] == b' '
                    && contains(script, i + 1, i + 1 + name.len(), name)
                    && script[i + 1 + name.len()] == b';'
                {
                    return true;
                }
                i += 1;
            }
            return false;
        }
        start += 1;
    }
    false
}

// Every symbol the libc.so.6 of a table in use imports from its loader is one ld-rs.so
// exports under the same version.
const _: () = {
    // The checker itself: a name under its node, the same name under another, a prefix.
    assert!(exported(b"_dl_argv", b"GLIBC_PRIVATE"));
    assert!(!exported(b"_dl_argv", b"GLIBC_2.3"));
    assert!(!exported(b"_dl_arg", b"GLIBC_PRIVATE"));
    let releases = [
        layouts::glibc_2_36_deb12::LIBC_IMPORTS,
        layouts::glibc_2_41_deb13::LIBC_IMPORTS,
    ];
    let mut r = 0;
    while r < releases.len() {
        let imports = releases[r];
        let mut i = 0;
        while i < imports.len() {
            assert!(
                exported(imports[i].name, imports[i].version),
                "a symbol libc imports is missing from ld-rs.map"
            );
            i += 1;
        }
        r += 1;
    }
};
