//! Load-time errors: missing, unsuitable and corrupt libraries, undefined symbols, missing
//! versions, and programs that are not there or not ELF.
//!
//! glibc's messages and exit statuses are the oracle. Where glibc has no usable answer (it
//! maps segments that lie beyond the end of the file and dies of SIGBUS when touching them),
//! ld-rs alone is run and held to the contract of every load error: exit status 127, nothing
//! on stdout, exactly one line on stderr, naming the library.

use ld_rs_tests::elf::{
    file_len, patch_copy, phdr_offset, truncate_copy, EI_CLASS, E_MACHINE, PT_LOAD, P_FILESZ, P_OFFSET,
};
use ld_rs_tests::{both_ways, fixtures, run_ldrs_only, Exit, Loader, Run, Way};
use std::path::PathBuf;

/// SIGBUS on x86_64 Linux.
const SIGBUS: i32 = 7;

/// The directory `corrupt/<name>/` of the greet case, holding a corrupted libgreet.so made
/// by `corrupt(original, copy)`.
fn corrupt_lib(name: &str, corrupt: impl FnOnce(&PathBuf, &PathBuf)) -> PathBuf {
    let built = fixtures::greet();
    let dir = built.path("corrupt").join(name);
    corrupt(&built.path("libgreet.so"), &dir.join("libgreet.so"));
    dir
}

/// `main` (which needs libgreet.so) with LD_LIBRARY_PATH set to `dir` only.
fn greet_with_path(dir: impl Into<PathBuf>) -> Run {
    Run::new(fixtures::greet().path("main")).env("LD_LIBRARY_PATH", dir.into())
}

/// Patches the u64 field at `field` of the `nth` PT_LOAD header of libgreet.so.
fn patch_load(nth: usize, field: u64, value: u64) -> impl FnOnce(&PathBuf, &PathBuf) {
    move |src, dst| {
        let phdr = phdr_offset(src, PT_LOAD, nth).expect("libgreet.so has this PT_LOAD");
        patch_copy(src, dst, &[(phdr + field, &value.to_le_bytes())]);
    }
}

both_ways! {
    /// A DT_NEEDED library found nowhere.
    fn missing_library() -> Run {
        Run::new(fixtures::greet().path("main"))
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains(
                ": error while loading shared libraries: libgreet.so: cannot open shared \
                 object file: No such file or directory\n",
            )
    }

    /// A symbol no library defines, in a program linked -z now and run with LD_BIND_NOW=1:
    /// reported before main runs.
    fn undefined_symbol_bind_now() -> Run {
        let built = fixtures::greet();
        Run::new(built.path("main_extra_now"))
            .env("LD_LIBRARY_PATH", built.dir())
            .env("LD_BIND_NOW", "1")
            .expect_exit(Exit::Code(127))
            .expect_stdout("")
            .expect_stderr_contains(": symbol lookup error: ")
            .expect_stderr_contains(": undefined symbol: greet_extra\n")
    }

    /// The same symbol with lazy binding: reported at the first call, after main printed.
    fn undefined_symbol_lazy() -> Run {
        let built = fixtures::greet();
        Run::new(built.path("main_extra_lazy"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_exit(Exit::Code(127))
            .expect_stdout("main: start\nlibgreet: hello\n")
            .expect_stderr_contains(": undefined symbol: greet_extra\n")
    }

    /// A program needing version V3 of libver.so, run against a build without it. glibc's
    /// version check exits with status 1, not 127.
    fn missing_version() -> Run {
        let built = fixtures::versions();
        Run::new(built.path("main_bar"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_exit(Exit::Code(1))
            .expect_stderr_contains("/libver.so: version `V3' not found (required by ")
    }

    /// A library whose EI_CLASS says ELFCLASS32: reported, not skipped.
    fn wrong_elf_class() -> Run {
        greet_with_path(corrupt_lib("class", |src, dst| patch_copy(src, dst, &[(EI_CLASS, &[1])])))
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("libgreet.so: wrong ELF class: ELFCLASS32\n")
    }

    /// The first PT_LOAD's p_filesz runs 1 MiB past the end of the file (and past its
    /// p_memsz). glibc rejects it, with a message about alignment.
    fn segment_filesz_beyond_file() -> Run {
        greet_with_path(corrupt_lib("filesz", patch_load(0, P_FILESZ, 0x10_0000)))
            .expect_exit(Exit::Code(127))
            .expect_stdout("")
            .expect_stderr_contains(
                "libgreet.so: ELF load command address/offset not page-aligned\n",
            )
    }

    /// A library for another machine (e_machine = EM_386): glibc skips it during the search,
    /// so the library is reported as not found.
    fn wrong_machine() -> Run {
        greet_with_path(corrupt_lib("machine", |src, dst| {
            patch_copy(src, dst, &[(E_MACHINE, &3u16.to_le_bytes())])
        }))
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains(
            "libgreet.so: cannot open shared object file: No such file or directory\n",
        )
    }
}

/// `ld.so /bin/does-not-exist` (only the explicit way exists for a missing program).
#[test]
fn explicit_program_does_not_exist() {
    Run::new("/bin/does-not-exist")
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains(
            "/bin/does-not-exist: error while loading shared libraries: /bin/does-not-exist: \
             cannot open shared object file: No such file or directory\n",
        )
        .compare(Way::Explicit);
}

/// `ld.so /etc/passwd`: a program that is not ELF.
#[test]
fn explicit_program_not_elf() {
    Run::new("/etc/passwd")
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains("/etc/passwd: error while loading shared libraries: /etc/passwd: invalid ELF header\n")
        .compare(Way::Explicit);
}

/// Runs `main` against a corrupt libgreet.so in `dir` both ways: glibc must die of SIGBUS
/// (else the case belongs with the compared ones), and ld-rs must report a load error.
fn assert_ldrs_rejects(dir: PathBuf, way: Way) {
    let run = greet_with_path(dir);
    let glibc = run.run(Loader::Glibc, way);
    assert_eq!(
        glibc.exit,
        Exit::Signal(SIGBUS),
        "glibc no longer dies of SIGBUS here; compare with it instead:\n{glibc}"
    );
    let ldrs = run_ldrs_only(&run, way);
    let stderr = ldrs.stderr_text();
    assert!(
        ldrs.exit == Exit::Code(127)
            && ldrs.stdout.is_empty()
            && stderr.ends_with('\n')
            && stderr.matches('\n').count() == 1
            && stderr.contains("libgreet.so"),
        "expected status 127, no stdout and one stderr line naming libgreet.so:\n{ldrs}"
    );
}

/// Declares an explicit and an interp test of [`assert_ldrs_rejects`] for one corruption.
macro_rules! ldrs_rejects {
    ($($(#[$doc:meta])* fn $name:ident() $dir:block)*) => {$(
        $(#[$doc])*
        mod $name {
            use super::*;

            #[test]
            fn explicit() {
                assert_ldrs_rejects($dir, Way::Explicit);
            }

            #[test]
            fn interp() {
                assert_ldrs_rejects($dir, Way::Interp);
            }
        }
    )*};
}

ldrs_rejects! {
    /// The text PT_LOAD's p_offset moved 1 MiB past the end of the file (alignment kept).
    fn segment_offset_beyond_file() {
        corrupt_lib("offset", patch_load(1, P_OFFSET, 0x10_1000))
    }

    /// The library cut to 1000 bytes: headers intact, segments gone.
    fn truncated_to_1000_bytes() {
        corrupt_lib("truncated-1000", |src, dst| truncate_copy(src, dst, 1000))
    }

    /// The library cut to half its size.
    fn truncated_to_half() {
        corrupt_lib("truncated-half", |src, dst| {
            let half = usize::try_from(file_len(src) / 2).expect("small file");
            truncate_copy(src, dst, half)
        })
    }
}

/// A directory of the greet case's build for the errno cases, made afresh.
fn errno_dir(name: &str) -> PathBuf {
    let dir = fixtures::greet().path("errno").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the build directory is writable");
    dir
}

/// The loader names only a few errors (ENOENT, EACCES, ENOMEM, EINVAL, EPERM, EIO); every
/// other one is `Error N` in its messages (glibc's loader carries its own small strerror).
/// ENOTDIR: the program's path goes through a file.
#[test]
fn explicit_program_errno_not_a_directory() {
    Run::new("/etc/passwd/x")
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains("/etc/passwd/x: cannot open shared object file: Error 20\n")
        .compare(Way::Explicit);
}

/// EISDIR: the program is a directory (opened, then not readable).
#[test]
fn explicit_program_errno_is_a_directory() {
    Run::new("/etc")
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains("/etc: cannot read file data: Error 21\n")
        .compare(Way::Explicit);
}

/// ELOOP: the program is a symbolic link to itself.
#[test]
fn explicit_program_errno_symlink_loop() {
    let dir = errno_dir("loop");
    std::os::unix::fs::symlink("prog", dir.join("prog")).expect("a symlink can be made");
    Run::new(dir.join("prog"))
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains("/prog: cannot open shared object file: Error 40\n")
        .compare(Way::Explicit);
}

/// ENAMETOOLONG: a path component longer than NAME_MAX.
#[test]
fn explicit_program_errno_name_too_long() {
    Run::new(format!("/tmp/{}", "n".repeat(300)))
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains(": cannot open shared object file: Error 36\n")
        .compare(Way::Explicit);
}
