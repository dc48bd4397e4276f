//! Which `ld-rs.so` the front end puts in place, found from where the front end itself is.
//!
//! Two layouts: installed (`cargo xtask install`), `PREFIX/bin/ld-rs` with the linker at
//! `PREFIX/lib/ld-rs/ld-rs.so`; and a cargo build tree, `target/release/ld-rs` beside
//! `target/release/ld-rs.so`. Both are found from the front end's own file
//! (`/proc/self/exe`, symbolic links resolved), so the working directory does not matter
//! and a symbolic link to the front end elsewhere (`~/bin/ld-rs`) still finds its linker.
//! `$LD_RS` (or `--linker`) names another linker, as `$LD_RS` does for the test suite.

use crate::{os_text, Error};
use std::ffi::CString;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The linker's path, absolute (its last component not resolved: the build tree's
/// `ld-rs.so` is a symbolic link, and that is the name to show).
pub fn find() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("LD_RS").filter(|p| !p.is_empty()) {
        return named(&path, "$LD_RS");
    }
    let exe = std::env::current_exe()
        .map_err(|err| Error::new(format!("cannot find my own file (/proc/self/exe): {}", os_text(&err))))?;
    let dir = exe.parent().unwrap_or(Path::new("/"));
    let installed = normalize(&dir.join("../lib/ld-rs/ld-rs.so"));
    let build_tree = dir.join("ld-rs.so");
    for candidate in [&installed, &build_tree] {
        if fs::metadata(candidate).is_ok() {
            return Ok(candidate.clone());
        }
    }
    Err(Error::new(format!(
        "no linker: neither {} (installed) nor {} (a build tree) exists; \
         `cargo build --release` or `cargo xtask install` puts it there, or set $LD_RS",
        installed.display(),
        build_tree.display()
    )))
}

/// The linker at `path` (made absolute), which `how` (`--linker`, `$LD_RS`) named.
pub fn named(path: &std::ffi::OsStr, how: &str) -> Result<PathBuf, Error> {
    let path = std::path::absolute(PathBuf::from(path))
        .map_err(|err| Error::new(format!("cannot make {how} absolute: {}", os_text(&err))))?;
    match fs::metadata(&path) {
        Ok(_) => Ok(path),
        Err(err) => Err(Error::new(format!("{how} names {}: {}", path.display(), os_text(&err)))),
    }
}

/// `dir/../x` spelled without the `..` (`dir` is free of symbolic links: it comes from
/// `/proc/self/exe`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Checks, before anything is mounted, that every program could start with `path` as its
/// loader: an ELF file the user may read and execute. Otherwise every program of the
/// namespace, the shell included, would fail with a puzzling error.
pub fn check_usable(path: &Path) -> Result<(), Error> {
    let mut magic = [0u8; 4];
    let read = fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
    if let Err(err) = read {
        return Err(Error::new(format!(
            "cannot read the linker {}: {}",
            path.display(),
            os_text(&err)
        )));
    }
    if magic != *b"\x7fELF" {
        return Err(Error::new(format!("the linker {} is not an ELF file", path.display())));
    }
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::new(format!("the linker's path {} holds a NUL byte", path.display())))?;
    // SAFETY: `c_path` is a NUL-terminated string that lives across the call; access only
    // reads it.
    let ok = unsafe { libc::access(c_path.as_ptr(), libc::R_OK | libc::X_OK) } == 0;
    if !ok {
        let err = std::io::Error::last_os_error();
        return Err(Error::new(format!(
            "the linker {} is not readable and executable by you: {} (every program would \
             fail to start; install it where you can read it: cargo xtask install)",
            path.display(),
            os_text(&err)
        )));
    }
    Ok(())
}
