//! ELF helpers for tests: corrupt copies of built files, and `readelf` assertions on fixtures.
//!
//! Corrupt copies are written next to a temporary name and renamed into place, so tests in
//! other processes never see a half-written file.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `e_ident[EI_CLASS]`: 1 = ELFCLASS32, 2 = ELFCLASS64.
pub const EI_CLASS: u64 = 4;
/// `e_machine` (u16) in the ELF header.
pub const E_MACHINE: u64 = 18;
/// `p_type` value of a loadable segment.
pub const PT_LOAD: u32 = 1;
/// `p_offset` (u64) within an Elf64_Phdr.
pub const P_OFFSET: u64 = 8;
/// `p_filesz` (u64) within an Elf64_Phdr.
pub const P_FILESZ: u64 = 32;

/// Copies `src` to `dst` (creating its directory) with `bytes` written at each offset.
///
/// # Panics
/// On I/O errors, or if a patch lies beyond the end of the file.
pub fn patch_copy(src: &Path, dst: &Path, patches: &[(u64, &[u8])]) {
    let mut bytes = read(src);
    for &(offset, patch) in patches {
        let start = usize::try_from(offset).expect("offset fits in usize");
        let end = start + patch.len();
        assert!(
            end <= bytes.len(),
            "patch at {offset} runs past the end of {}",
            src.display()
        );
        bytes[start..end].copy_from_slice(patch);
    }
    write_atomically(dst, &bytes);
}

/// Copies the first `len` bytes of `src` to `dst` (creating its directory).
///
/// # Panics
/// On I/O errors, or if `src` is shorter than `len`.
pub fn truncate_copy(src: &Path, dst: &Path, len: usize) {
    let bytes = read(src);
    assert!(len <= bytes.len(), "{} is shorter than {len}", src.display());
    write_atomically(dst, &bytes[..len]);
}

/// The file size of `path`.
pub fn file_len(path: &Path) -> u64 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("cannot stat {}: {e}", path.display()))
        .len()
}

/// The file offset of the `nth` (from 0) program header of type `p_type` in an ELF64
/// little-endian file, or `None` if there are not that many.
pub fn phdr_offset(path: &Path, p_type: u32, nth: usize) -> Option<u64> {
    let bytes = read(path);
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let phoff = usize::try_from(u64_at(32)).ok()?;
    let phentsize = usize::from(u16_at(54));
    let phnum = usize::from(u16_at(56));
    (0..phnum)
        .map(|i| phoff + i * phentsize)
        .filter(|&at| u32_at(at) == p_type)
        .nth(nth)
        .map(|at| at as u64)
}

/// The output of `readelf <flag> -W <path>`.
pub fn readelf(flag: &str, path: &Path) -> String {
    let output = Command::new("readelf")
        .arg(flag)
        .arg("-W")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run readelf ({e}); is binutils installed?"));
    assert!(
        output.status.success(),
        "readelf {flag} -W {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts that each relocation type (e.g. `"R_X86_64_COPY"`) appears in `readelf -rW` of
/// at least one of the files.
pub fn assert_relocations(files: &[&Path], types: &[&str]) {
    let listing: String = files.iter().map(|f| readelf("-r", f)).collect();
    let missing: Vec<&str> = types
        .iter()
        .copied()
        .filter(|ty| !listing.split_whitespace().any(|word| word == *ty))
        .collect();
    assert!(
        missing.is_empty(),
        "relocation types {missing:?} missing from {files:?}:\n{listing}"
    );
}

/// Asserts that each dynamic tag (e.g. `"RELR"`, `"RUNPATH"`) appears in `readelf -dW`.
pub fn assert_dynamic_tags(file: &Path, tags: &[&str]) {
    let listing = readelf("-d", file);
    let missing: Vec<&str> = tags
        .iter()
        .copied()
        .filter(|tag| !listing.contains(&format!("({tag})")))
        .collect();
    assert!(
        missing.is_empty(),
        "dynamic tags {missing:?} missing from {}:\n{listing}",
        file.display()
    );
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn write_atomically(dst: &Path, bytes: &[u8]) {
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    // Unique per process and per call: tests of one process may write the same file at once.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let mut tmp = dst.as_os_str().to_owned();
    tmp.push(format!(
        ".tmp{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::write(&tmp, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e:?}", dst.display()));
    fs::rename(&tmp, dst).unwrap_or_else(|e| panic!("cannot rename to {}: {e}", dst.display()));
}
