//! Link flags that turn a `no_std` Rust binary into a program interpreter.
//!
//! A program interpreter is an ELF shared object with an entry point: the
//! kernel maps it anywhere, jumps to `e_entry`, and the code there must
//! relocate itself before it can use any pointer it did not compute.

use std::path::PathBuf;

/// The binary cargo links; `ld-rs.so` is its other name.
const BIN: &str = "ld-rs-interp";

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let script = dir.join("ld-rs.map");
    let flags = [
        // No C start files (crt1.o, crti.o): `_start` is ours, in arch/x86_64.rs.
        "-nostartfiles".to_string(),
        // No libc, no libgcc: the interpreter must not depend on the libraries it loads.
        "-nostdlib".to_string(),
        // An ET_DYN object with no PT_INTERP, like every ld.so (this overrides rustc's -pie).
        "-shared".to_string(),
        // Where the kernel jumps in.
        "-Wl,-e,_start".to_string(),
        // Bind our own references to our own definitions at link time, so the only
        // dynamic relocations left are R_X86_64_RELATIVE ones (stage 1 handles no other).
        "-Wl,-Bsymbolic".to_string(),
        // Any unresolved symbol is a link error, not a DT_NEEDED or a runtime lookup.
        "-Wl,-z,defs".to_string(),
        // Pack the relative relocations into DT_RELR (smaller, and exercises stage 1's RELR path).
        "-Wl,-z,pack-relative-relocs".to_string(),
        // The symbols we export, with glibc's version nodes (see ld-rs.map).
        format!("-Wl,--version-script={}", script.display()),
        // The name libc.so.6's DT_NEEDED and version requirements use for its
        // dynamic linker, so they resolve to us.
        "-Wl,-soname,ld-linux-x86-64.so.2".to_string(),
        // GNU hash only: that is what we look symbols up with.
        "-Wl,--hash-style=gnu".to_string(),
        // valgrind insists on finding `strcmp` in the loader's symbol table (arch/x86_64.rs);
        // nothing calls it, so keep it from the linker's garbage collection.
        "-Wl,--undefined=strcmp".to_string(),
        // A build id, so debuggers and `file` can identify the build.
        "-Wl,--build-id".to_string(),
        // Our stack is the program's stack: it must not be executable.
        "-Wl,-z,noexecstack".to_string(),
        // Start each writable segment (RELRO, then .data/.bss) on a page boundary in
        // the file as in memory: lld otherwise starts them at the file offset's place
        // within a page, and a segment that starts near a page's end spans one page more,
        // every page of it private dirty memory (relocated or written) in every process.
        "-Wl,-z,separate-loadable-segments".to_string(),
    ];
    for flag in &flags {
        println!("cargo:rustc-link-arg-bin={BIN}={flag}");
    }
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
    name_artifact();
}

/// Makes `target/<profile>/ld-rs.so` a symbolic link to the binary that cargo
/// is about to link, so `cargo build --release` leaves the linker under the
/// name users give to `PT_INTERP`.  The link is relative and dangles only
/// until the link step of this very build finishes.  A link left by an older
/// build that named the binary otherwise is replaced.
fn name_artifact() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/ld-rs-<hash>/out.
    let Some(profile_dir) = out.ancestors().nth(3) else {
        return;
    };
    let link = profile_dir.join("ld-rs.so");
    if std::fs::read_link(&link).is_ok_and(|target| target == std::path::Path::new(BIN)) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    let _ = std::os::unix::fs::symlink(BIN, &link);
}
