//! Library search: DT_RUNPATH with $ORIGIN, DT_RPATH, LD_LIBRARY_PATH, and their precedence.
//!
//! Each copy of `libwhere.so` prints the directory it was built into, so the output names
//! the directory the search chose.

use ld_rs_tests::elf::assert_dynamic_tags;
use ld_rs_tests::run::normalize_pids;
use ld_rs_tests::{both_ways, fixtures, Run};

/// Of the `LD_DEBUG=libs` lines (`PID:` once normalized), those that trace a search (the others
/// name the loader by its path); the program's own lines stay.
fn search_lines(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let searching = ["find library=", "search path=", "trying file=", "search cache="];
    text.split_inclusive('\n')
        .filter(|l| !l.starts_with("PID:") || searching.iter().any(|s| l.contains(s)))
        .collect::<String>()
        .into_bytes()
}

/// A run of one `search` program.
fn search(program: &str) -> Run {
    Run::new(fixtures::search().path(program))
}

/// Guards the meaning of the tests below: which program carries which tag.
#[test]
fn programs_carry_their_search_tags() {
    let built = fixtures::search();
    assert_dynamic_tags(&built.path("main_runpath"), &["RUNPATH"]);
    assert_dynamic_tags(&built.path("main_rpath"), &["RPATH"]);
}

both_ways! {
    /// DT_RUNPATH `$ORIGIN/lib`: $ORIGIN is the program's directory.
    fn runpath_origin() -> Run {
        search("main_runpath").expect_stdout("libwhere: from lib\n")
    }

    /// DT_RPATH `$ORIGIN/rpath` (linked with --disable-new-dtags).
    fn rpath_origin() -> Run {
        search("main_rpath").expect_stdout("libwhere: from rpath\n")
    }

    /// No RPATH/RUNPATH: LD_LIBRARY_PATH finds the library.
    fn ld_library_path() -> Run {
        search("main_plain")
            .env("LD_LIBRARY_PATH", fixtures::search().path("env"))
            .expect_stdout("libwhere: from env\n")
    }

    /// DT_RPATH is searched before LD_LIBRARY_PATH.
    fn rpath_before_ld_library_path() -> Run {
        search("main_rpath")
            .env("LD_LIBRARY_PATH", fixtures::search().path("env"))
            .expect_stdout("libwhere: from rpath\n")
    }

    /// LD_LIBRARY_PATH is searched before DT_RUNPATH.
    fn ld_library_path_before_runpath() -> Run {
        search("main_runpath")
            .env("LD_LIBRARY_PATH", fixtures::search().path("env"))
            .expect_stdout("libwhere: from env\n")
    }

    /// The legacy capability subdirectories (`x86_64/`, `tls/`, the platform …): glibc 2.36
    /// searches them, first, in each directory; 2.37 removed them, so Debian 13's loader takes
    /// the directory's own copy.
    fn legacy_capability_subdirectory() -> Run {
        search("main_plain")
            .env("LD_LIBRARY_PATH", fixtures::search().path("legacy"))
            .expect_stdout("libwhere: from legacy/x86_64\n")
            .expect_stdout_in("trixie", "libwhere: from legacy\n")
    }

    /// The same search as `LD_DEBUG=libs` shows it: the subdirectories tried, in order (the
    /// lines of the search only, without the process id).
    fn legacy_capability_subdirectories_traced() -> Run {
        search("main_plain")
            .env("LD_LIBRARY_PATH", fixtures::search().path("legacy"))
            .env("LD_DEBUG", "libs")
            .normalize(normalize_pids)
            .normalize(search_lines)
            .expect_stdout("libwhere: from legacy/x86_64\n")
            .expect_stdout_in("trixie", "libwhere: from legacy\n")
    }

    /// LD_LIBRARY_PATH with an empty element and a directory that does not exist first.
    fn ld_library_path_skips_missing_dirs() -> Run {
        let built = fixtures::search();
        let mut path = built.path("no-such-dir").into_os_string();
        path.push("::");
        path.push(built.path("env"));
        search("main_plain")
            .env("LD_LIBRARY_PATH", path)
            .expect_stdout("libwhere: from env\n")
    }
}
