//! The loader's environment variables, as users set them: `LD_LIBRARY_PATH` (separators,
//! empty entries), `LD_PRELOAD` (lists, interposition, failures), `LD_BIND_NOW`,
//! `LD_BIND_NOT`, `LD_TRACE_LOADED_OBJECTS` (with `ldd`'s `LD_WARN` and `LD_VERBOSE`),
//! and that every variable is recognised by its exact name only.
//!
//! Every behaviour is compared in both ways (explicit and `PT_INTERP`). Where the loader
//! prints its own path (`LD_TRACE_LOADED_OBJECTS` lists it), ld-rs's path is normalized to
//! glibc's: in the `PT_INTERP` way each loader names the file the program's `PT_INTERP`
//! names, which differs by construction.

use ld_rs_tests::{both_ways, fixtures, Exit, Run, GLIBC_LOADER};
use std::path::PathBuf;

/// A path in the `iface_basic` output directory.
fn path(name: &str) -> PathBuf {
    fixtures::iface_basic().path(name)
}

/// Directories (or files) joined with `sep`.
fn join(paths: &[PathBuf], sep: &str) -> String {
    paths
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

/// A run of one `iface_basic` program.
fn basic(program: &str) -> Run {
    Run::new(path(program))
}

/// `main` with `LD_LIBRARY_PATH` set to `list`, started in `a/` (so an empty entry, which
/// means the current directory, finds `a/libiface.so`).
fn llp(list: &str) -> Run {
    basic("main")
        .env("LD_LIBRARY_PATH", list)
        .current_dir(path("a"))
        .expect_exit(Exit::Code(0))
}

/// `main` with `a/` in `LD_LIBRARY_PATH` and `LD_PRELOAD` set to `list`.
fn preload(list: &str) -> Run {
    basic("main")
        .env("LD_LIBRARY_PATH", path("a"))
        .env("LD_PRELOAD", list)
        .expect_exit(Exit::Code(0))
}

/// `bind` (lazy PLT, libiface.so from `a/`) with one more variable.
fn bind(key: &str, value: &str) -> Run {
    basic("bind")
        .env("LD_LIBRARY_PATH", path("a"))
        .env(key, value)
        .expect_exit(Exit::Code(0))
}

/// What `bind` prints when the slot is bound at the first call (lazy binding).
const BIND_LAZY: &str = "\
bind: before the first call the slot points into the program
bind: iface_where() = a
bind: after the first call the slot points into the library
bind: after the second call the slot points into the library
";

/// What `bind` prints when the slot is bound before `main` (immediate binding).
const BIND_NOW: &str = "\
bind: before the first call the slot points into the library
bind: iface_where() = a
bind: after the first call the slot points into the library
bind: after the second call the slot points into the library
";

/// What `bind` prints when calls are resolved but the slot is never written.
const BIND_NOT: &str = "\
bind: before the first call the slot points into the program
bind: iface_where() = a
bind: after the first call the slot points into the program
bind: after the second call the slot points into the program
";

/// ld-rs's path replaced by glibc's. A loader started explicitly names itself by its
/// `argv[0]` where that differs from the `PT_INTERP` name libc.so.6 needs (glibc's `--list`
/// prints `/lib64/ld-linux-x86-64.so.2 => ARGV0`); started as ld-rs's path, that arrow
/// is normalized away too, as glibc started as `/lib64/ld-linux-x86-64.so.2` prints none.
fn loader_path(text: &[u8]) -> Vec<u8> {
    let ld_rs = ld_rs_tests::ld_rs().display().to_string();
    String::from_utf8_lossy(text)
        .replace(&format!("{GLIBC_LOADER} => {ld_rs}"), GLIBC_LOADER)
        .replace(&ld_rs, GLIBC_LOADER)
        .into_bytes()
}

/// `main` traced (`LD_TRACE_LOADED_OBJECTS`), addresses and the loader's path normalized.
fn trace(program: &str, value: &str) -> Run {
    basic(program)
        .env("LD_TRACE_LOADED_OBJECTS", value)
        .normalize_addresses()
        .normalize(loader_path)
}

// LD_LIBRARY_PATH

both_ways! {
    /// A colon-separated list: a missing directory is skipped, the first holding the library
    /// wins.
    fn library_path_colons() -> Run {
        llp(&join(&[path("nope"), path("b"), path("a")], ":"))
            .expect_stdout("main: name=libiface where=b\n")
    }

    /// Semicolons separate entries too.
    fn library_path_semicolons() -> Run {
        llp(&join(&[path("nope"), path("b"), path("a")], ";"))
            .expect_stdout("main: name=libiface where=b\n")
    }

    /// Both separators in one list.
    fn library_path_mixed_separators() -> Run {
        let list = format!("{}:{};{}", path("nope").display(), path("nope2").display(), path("b").display());
        llp(&list).expect_stdout("main: name=libiface where=b\n")
    }

    /// A leading empty entry is the current directory (`a/`), searched first.
    fn library_path_empty_entry_first() -> Run {
        llp(&format!(":{}", path("b").display())).expect_stdout("main: name=libiface where=a\n")
    }

    /// A trailing empty entry is the current directory.
    fn library_path_empty_entry_last() -> Run {
        llp(&format!("{}:", path("nope").display())).expect_stdout("main: name=libiface where=a\n")
    }

    /// An empty entry between two colons is the current directory, searched in its place.
    fn library_path_empty_entry_middle() -> Run {
        llp(&format!("{}::{}", path("nope").display(), path("b").display()))
            .expect_stdout("main: name=libiface where=a\n")
    }

    /// An empty entry between two semicolons too.
    fn library_path_empty_entry_semicolons() -> Run {
        llp(&format!("{};;{}", path("nope").display(), path("b").display()))
            .expect_stdout("main: name=libiface where=a\n")
    }

    /// A relative entry is relative to the current directory.
    fn library_path_relative_entry() -> Run {
        llp("../b").expect_stdout("main: name=libiface where=b\n")
    }

    /// An empty value, however, is no list at all (not the current directory): libiface.so
    /// is not found.
    fn library_path_empty_value() -> Run {
        basic("main")
            .env("LD_LIBRARY_PATH", "")
            .current_dir(path("a"))
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("libiface.so: cannot open shared object file")
    }
}

// LD_PRELOAD

both_ways! {
    /// A preloaded library's definition interposes on the program's library's, and its
    /// constructor runs.
    fn preload_interposes() -> Run {
        preload(path("libpre1.so").to_str().unwrap())
            .expect_stdout("pre1: constructor\nmain: name=pre1 where=a\n")
    }

    /// A space-separated list: the first one interposes; constructors run in reverse.
    fn preload_space_separated() -> Run {
        preload(&join(&[path("libpre1.so"), path("libpre2.so")], " "))
            .expect_stdout("pre2: constructor\npre1: constructor\nmain: name=pre1 where=a\n")
    }

    /// A colon-separated list.
    fn preload_colon_separated() -> Run {
        preload(&join(&[path("libpre2.so"), path("libpre1.so")], ":"))
            .expect_stdout("pre1: constructor\npre2: constructor\nmain: name=pre2 where=a\n")
    }

    /// Empty entries and runs of separators are skipped.
    fn preload_empty_entries() -> Run {
        preload(&format!(": {}  ::{} ", path("libpre2.so").display(), path("libpre1.so").display()))
            .expect_stdout("pre1: constructor\npre2: constructor\nmain: name=pre2 where=a\n")
    }

    /// The same library twice is loaded once.
    fn preload_duplicate() -> Run {
        preload(&join(&[path("libpre1.so"), path("libpre1.so")], " "))
            .expect_stdout("pre1: constructor\nmain: name=pre1 where=a\n")
    }

    /// A bare name is searched like a DT_NEEDED entry (here through `LD_LIBRARY_PATH`).
    fn preload_by_name() -> Run {
        basic("main")
            .env("LD_LIBRARY_PATH", join(&[path("a"), path("")], ":"))
            .env("LD_PRELOAD", "libpre1.so")
            .expect_stdout("pre1: constructor\nmain: name=pre1 where=a\n")
    }

    /// A name found nowhere: glibc's one-line warning, then the rest of the list and the
    /// program as usual.
    fn preload_missing_name() -> Run {
        preload(&format!("libnope.so {}", path("libpre1.so").display()))
            .expect_stdout("pre1: constructor\nmain: name=pre1 where=a\n")
            .expect_stderr_contains(
                "ERROR: ld.so: object 'libnope.so' from LD_PRELOAD cannot be preloaded (cannot \
                 open shared object file): ignored.\n",
            )
    }

    /// A path that does not exist: the same warning, with the path.
    fn preload_missing_path() -> Run {
        preload(path("nope/libnope.so").to_str().unwrap())
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains("/nope/libnope.so' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.\n")
    }

    /// A file too short to be ELF: the reason is "file too short".
    fn preload_short_file() -> Run {
        let file = path("short.txt");
        std::fs::write(&file, "not elf\n").unwrap();
        preload(file.to_str().unwrap())
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains("(file too short): ignored.\n")
    }

    /// A longer file that is not ELF: "invalid ELF header".
    fn preload_not_elf() -> Run {
        let file = path("not-elf-long.txt");
        // Written aside and renamed into place: the test's two ways run at once, and a
        // loader must never read the file half written ("file too short").
        let tmp = path(&format!("not-elf-long.txt.{:?}", std::thread::current().id()));
        std::fs::write(&tmp, "this is not an ELF file. ".repeat(10)).unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        preload(file.to_str().unwrap())
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains("(invalid ELF header): ignored.\n")
    }

    /// A directory: "cannot read file data".
    fn preload_directory() -> Run {
        preload(path("a").to_str().unwrap())
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains("(cannot read file data): ignored.\n")
    }

    /// A position-independent executable cannot be preloaded.
    fn preload_pie_executable() -> Run {
        preload(path("main_rpath").to_str().unwrap())
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains("(cannot dynamically load position-independent executable): ignored.\n")
    }

    /// A static executable cannot be preloaded.
    fn preload_static_executable() -> Run {
        preload(path("static").to_str().unwrap())
            .expect_stdout("main: name=libiface where=a\n")
            .expect_stderr_contains("(cannot dynamically load executable): ignored.\n")
    }

    /// Preloaded objects are listed by `LD_TRACE_LOADED_OBJECTS`, by path, first.
    fn preload_traced() -> Run {
        trace("main", "1")
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_PRELOAD", path("libpre1.so"))
            .expect_exit(Exit::Code(0))
    }
}

// LD_BIND_NOW, LD_BIND_NOT

both_ways! {
    /// Without either variable, a lazy PLT slot is written at the first call.
    fn bind_lazy_by_default() -> Run {
        basic("bind").env("LD_LIBRARY_PATH", path("a")).expect_stdout(BIND_LAZY)
    }

    /// `LD_BIND_NOW=1`: every slot is bound before `main`.
    fn bind_now() -> Run {
        bind("LD_BIND_NOW", "1").expect_stdout(BIND_NOW)
    }

    /// Any non-empty value counts, even `0`.
    fn bind_now_zero() -> Run {
        bind("LD_BIND_NOW", "0").expect_stdout(BIND_NOW)
    }

    /// An empty value does not.
    fn bind_now_empty() -> Run {
        bind("LD_BIND_NOW", "").expect_stdout(BIND_LAZY)
    }

    /// `LD_BIND_NOT=1`: calls are resolved, but the slot is never written.
    fn bind_not() -> Run {
        bind("LD_BIND_NOT", "1").expect_stdout(BIND_NOT)
    }

    /// `LD_BIND_NOT` with an empty value has no effect.
    fn bind_not_empty() -> Run {
        bind("LD_BIND_NOT", "").expect_stdout(BIND_LAZY)
    }

    /// `LD_BIND_NOW` and `LD_BIND_NOT` together: bound at startup.
    fn bind_now_and_not() -> Run {
        bind("LD_BIND_NOT", "1").env("LD_BIND_NOW", "1").expect_stdout(BIND_NOW)
    }

    /// `LD_BIND_NOW=1` on a lazily linked program with an undefined function: the error comes
    /// before `main` prints anything.
    fn bind_now_reports_undefined_before_main() -> Run {
        let built = fixtures::greet();
        Run::new(built.path("main_extra_lazy"))
            .env("LD_LIBRARY_PATH", built.dir())
            .env("LD_BIND_NOW", "1")
            .expect_exit(Exit::Code(127))
            .expect_stdout("")
            .expect_stderr_contains(": undefined symbol: greet_extra\n")
    }
}

// LD_TRACE_LOADED_OBJECTS (what `ldd` sets), with LD_WARN (`ldd -r`) and LD_VERBOSE
// (`ldd -v`).

both_ways! {
    /// A glibc program: vDSO, libiface.so, libc.so.6 and the loader, with addresses.
    fn trace_program() -> Run {
        trace("main", "1").env("LD_LIBRARY_PATH", path("a")).expect_exit(Exit::Code(0))
    }

    /// A library found nowhere is listed as `=> not found`; the status is still 0.
    fn trace_missing_library() -> Run {
        trace("main", "1").expect_exit(Exit::Code(0))
    }

    /// The value does not matter: `0` traces too.
    fn trace_value_zero() -> Run {
        trace("main", "0").env("LD_LIBRARY_PATH", path("a")).expect_exit(Exit::Code(0))
    }

    /// An empty value traces too.
    fn trace_empty_value() -> Run {
        trace("main", "").env("LD_LIBRARY_PATH", path("a")).expect_exit(Exit::Code(0))
    }

    /// A dependency's own DT_RPATH, through libmid.so.
    fn trace_library_rpath() -> Run {
        trace("main_mid", "1")
            .env("LD_LIBRARY_PATH", join(&[path("mid"), path("a")], ":"))
            .expect_exit(Exit::Code(0))
    }


    /// `ldd -d`: `LD_WARN=yes` without `LD_BIND_NOW` checks data relocations only.
    fn trace_warn_lazy() -> Run {
        let built = fixtures::greet();
        Run::new(built.path("main_extra_lazy"))
            .env("LD_LIBRARY_PATH", built.dir())
            .env("LD_TRACE_LOADED_OBJECTS", "1")
            .env("LD_WARN", "yes")
            .normalize_addresses()
            .normalize(loader_path)
            .expect_exit(Exit::Code(0))
    }

}

// Exact names: a variable whose name only starts with a loader variable's name is not it.

both_ways! {
    /// `LD_LIBRARY_PATHX` is not `LD_LIBRARY_PATH`: libiface.so is not found.
    fn exact_name_library_path() -> Run {
        basic("main")
            .env("LD_LIBRARY_PATHX", path("a"))
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("libiface.so: cannot open shared object file")
    }

    /// `LD_LIBRARY_PAT` (a prefix) is not `LD_LIBRARY_PATH` either.
    fn exact_name_library_path_prefix() -> Run {
        basic("main")
            .env("LD_LIBRARY_PAT", path("a"))
            .expect_exit(Exit::Code(127))
    }

    /// `LD_PRELOADX` preloads nothing.
    fn exact_name_preload() -> Run {
        basic("main")
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_PRELOADX", path("libpre1.so"))
            .expect_stdout("main: name=libiface where=a\n")
    }

    /// `LD_BIND_NOWX=1` leaves binding lazy.
    fn exact_name_bind_now() -> Run {
        bind("LD_BIND_NOWX", "1").expect_stdout(BIND_LAZY)
    }

    /// `LD_BIND_NOTX=1` leaves slots written.
    fn exact_name_bind_not() -> Run {
        bind("LD_BIND_NOTX", "1").expect_stdout(BIND_LAZY)
    }

    /// `LD_TRACE_LOADED_OBJECTSX=1` runs the program.
    fn exact_name_trace() -> Run {
        basic("main")
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_TRACE_LOADED_OBJECTSX", "1")
            .expect_stdout("main: name=libiface where=a\n")
    }

    /// `LD_SHOW_AUXVX=1` shows nothing.
    fn exact_name_show_auxv() -> Run {
        basic("main")
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_SHOW_AUXVX", "1")
            .expect_stdout("main: name=libiface where=a\n")
    }

    /// `XLD_PRELOAD` (the name inside another) preloads nothing.
    fn exact_name_embedded() -> Run {
        basic("main")
            .env("LD_LIBRARY_PATH", path("a"))
            .env("XLD_PRELOAD", path("libpre1.so"))
            .expect_stdout("main: name=libiface where=a\n")
    }
}

both_ways! {
    /// `ldd -v`: `LD_VERBOSE=yes` adds the version information of every object.
    fn trace_verbose_versions() -> Run {
        trace("main", "1")
            .env("LD_LIBRARY_PATH", path("a"))
            .env("LD_VERBOSE", "yes")
            .expect_exit(Exit::Code(0))
    }

    /// `ldd -r`: with `LD_WARN=yes` and `LD_BIND_NOW=yes`, undefined functions are reported
    /// (on stderr: `undefined symbol: NAME\t(PROGRAM)`), and the status is still 0.
    fn trace_warn_undefined_bind_now() -> Run {
        let built = fixtures::greet();
        Run::new(built.path("main_extra_lazy"))
            .env("LD_LIBRARY_PATH", built.dir())
            .env("LD_TRACE_LOADED_OBJECTS", "1")
            .env("LD_WARN", "yes")
            .env("LD_BIND_NOW", "yes")
            .normalize_addresses()
            .normalize(loader_path)
            .expect_exit(Exit::Code(0))
            .expect_stderr_contains("undefined symbol: greet_extra\t(")
    }
}
