//! `cargo xtask install` and `uninstall`: the linker and the front end under a prefix.
//!
//! The layout is the one the front end looks for (crates/ld-rs-cli/src/linker.rs):
//! `PREFIX/bin/ld-rs` and `PREFIX/lib/ld-rs/ld-rs.so`, both plain copies (the build tree's
//! `ld-rs.so` symbolic link resolved), so nothing installed refers to the repository.
//! Each file is written under a temporary name and renamed into place: a running `ld-rs`
//! or a mounted `ld-rs.so` keeps its old file, and a reader never sees half a file.

use crate::cmd::{cargo, target_dir, Failed};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const USAGE: &str = "usage: cargo xtask install [--prefix DIR] [--no-build]\n       \
                     cargo xtask uninstall [--prefix DIR]\n(DIR defaults to ~/.local)";

/// What install and uninstall are told.
struct Options {
    prefix: PathBuf,
    build: bool,
}

fn parse(options: &[&str], allow_no_build: bool) -> Result<Options, Failed> {
    let mut prefix = None;
    let mut build = true;
    let mut rest = options.iter();
    while let Some(&option) = rest.next() {
        match option {
            "--prefix" => match rest.next() {
                Some(dir) => prefix = Some(PathBuf::from(dir)),
                None => return Err(usage("--prefix needs a directory")),
            },
            "--no-build" if allow_no_build => build = false,
            other => return Err(usage(&format!("unknown option {other}"))),
        }
    }
    let prefix = match prefix {
        Some(dir) => dir,
        None => match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => Path::new(&home).join(".local"),
            None => return Err(usage("$HOME is not set: name the prefix with --prefix")),
        },
    };
    // Absolute, so the paths printed (and the layout the front end finds) do not depend on
    // where the command ran.
    let prefix = std::path::absolute(&prefix).map_err(|err| {
        eprintln!("xtask: cannot make {} absolute: {err}", prefix.display());
        Failed
    })?;
    Ok(Options { prefix, build })
}

fn usage(what: &str) -> Failed {
    eprintln!("xtask: {what}\n{USAGE}");
    Failed
}

/// The installed files: (what the build leaves, where it goes under the prefix).
fn files(prefix: &Path) -> [(PathBuf, PathBuf); 2] {
    let release = target_dir().join("release");
    [
        (release.join("ld-rs.so"), prefix.join("lib/ld-rs/ld-rs.so")),
        (release.join("ld-rs"), prefix.join("bin/ld-rs")),
    ]
}

/// `cargo xtask install [--prefix DIR] [--no-build]`: builds the linker and the front end
/// (unless `--no-build`: then what the last `cargo build --release` left) and copies them
/// under the prefix.
pub fn install(options: &[&str]) -> Result<(), Failed> {
    let options = parse(options, true)?;
    if options.build {
        cargo(&["build", "--release", "-p", "ld-rs", "-p", "ld-rs-cli"])?;
    }
    for (from, to) in files(&options.prefix) {
        copy(&from, &to)?;
        println!("installed {}", to.display());
    }
    let bin = options.prefix.join("bin");
    let on_path = std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir == bin));
    if !on_path {
        println!(
            "({} is not on PATH: run {}/ld-rs, or add the directory to PATH)",
            bin.display(),
            bin.display()
        );
    }
    Ok(())
}

/// Copies `from` (following a symbolic link) to `to`, mode 0755, through a temporary file in
/// the destination directory.
fn copy(from: &Path, to: &Path) -> Result<(), Failed> {
    let fail = |what: &str, path: &Path, err: std::io::Error| {
        eprintln!("xtask: cannot {what} {}: {err}", path.display());
        Failed
    };
    if !from.exists() {
        eprintln!(
            "xtask: {} does not exist: run `cargo build --release` (or install without --no-build)",
            from.display()
        );
        return Err(Failed);
    }
    let dir = to.parent().expect("an installed file is inside the prefix");
    fs::create_dir_all(dir).map_err(|e| fail("create", dir, e))?;
    let mut tmp = to.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::copy(from, &tmp).map_err(|e| fail("write", &tmp, e))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).map_err(|e| fail("chmod", &tmp, e))?;
    fs::rename(&tmp, to).map_err(|e| fail("rename into", to, e))
}

/// `cargo xtask uninstall [--prefix DIR]`: removes what install put there (and the
/// `lib/ld-rs` directory if that leaves it empty).
pub fn uninstall(options: &[&str]) -> Result<(), Failed> {
    let options = parse(options, false)?;
    let mut removed = 0;
    for (_, installed) in files(&options.prefix) {
        match fs::remove_file(&installed) {
            Ok(()) => {
                println!("removed {}", installed.display());
                removed += 1;
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                eprintln!("xtask: cannot remove {}: {err}", installed.display());
                return Err(Failed);
            }
        }
    }
    let _ = fs::remove_dir(options.prefix.join("lib/ld-rs"));
    if removed == 0 {
        println!(
            "nothing to remove: ld-rs is not installed under {}",
            options.prefix.display()
        );
    }
    Ok(())
}

/// `cargo xtask deb`: a Debian package of the same two files, installed as
/// `/usr/bin/ld-rs` and `/usr/lib/ld-rs/ld-rs.so` (the front end finds the linker the same
/// way under `/usr` as under any prefix), built with `dpkg-deb` into `<target>/debian/`.
/// It depends on the one glibc release ld-rs works with.
pub fn deb(options: &[&str]) -> Result<(), Failed> {
    let build = match options {
        [] => true,
        ["--no-build"] => false,
        _ => return Err(usage("usage: cargo xtask deb [--no-build]")),
    };
    if build {
        cargo(&["build", "--release", "-p", "ld-rs", "-p", "ld-rs-cli"])?;
    }
    let version = env!("CARGO_PKG_VERSION");
    let out = target_dir().join("debian");
    let root = out.join(format!("ld-rs_{version}_amd64"));
    let _ = fs::remove_dir_all(&root);
    for (from, to) in files(&root.join("usr")) {
        copy(&from, &to)?;
    }
    let control = format!(
        "Package: ld-rs\n\
         Version: {version}\n\
         Architecture: amd64\n\
         Maintainer: ld-rs maintainers <maintainers@users.noreply.h-seed-683b3969.example>\n\
         Depends: libc6 (>= 2.36), libc6 (<< 2.37)\n\
         Section: utils\n\
         Priority: optional\n\
         Description: dynamic linker for x86_64 Linux in memory-safe Rust\n \
         ld-rs replaces glibc 2.36's ld-linux-x86-64.so.2 and behaves as it does.\n \
         `ld-rs run COMMAND` runs a command and every process it starts under it.\n"
    );
    let debian = root.join("DEBIAN");
    fs::create_dir_all(&debian).map_err(|err| {
        eprintln!("xtask: cannot create {}: {err}", debian.display());
        Failed
    })?;
    fs::write(debian.join("control"), control).map_err(|err| {
        eprintln!("xtask: cannot write the control file: {err}");
        Failed
    })?;
    let package = out.join(format!("ld-rs_{version}_amd64.deb"));
    crate::cmd::status(
        std::process::Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&root)
            .arg(&package),
        "dpkg-deb --build",
    )?;
    println!("(install it with: apt-get install {})", package.display());
    Ok(())
}
