//! Dynamic TLS for as long as a process lives: module ids reused after `dlclose`, the slot
//! table and every thread's DTV grown on demand, generations that make other threads free
//! the blocks of unloaded modules, static-surplus space given back, TLS descriptors that
//! fall back to dynamic TLS when the surplus is gone, and initial-exec code refused for a
//! variable already in dynamic TLS.
//!
//! One program (`fixtures/tls_life/prog.c`) in several modes; it prints values, module ids
//! relative to the first library's, dlerror texts and whether a block is static — never an
//! address — so glibc's run and ld-rs's must be identical.

use ld_rs_tests::{both_ways, fixtures, Built, Exit, Run};
use std::fs;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The fixture with its copies made: `many/lib000.so`... (300 copies of libgd.so),
/// `desc/` and `ie/` (20 copies of libdesc.so and libie.so), `gaps/{a,b,c,d}.so`. Copies
/// are distinct files, so each is a library of its own with a module of its own.
fn built() -> &'static Built {
    static READY: OnceLock<()> = OnceLock::new();
    let built = fixtures::tls_life();
    READY.get_or_init(|| {
        copies(built, "libgd.so", "many", 300);
        copies(built, "libdesc.so", "desc", 20);
        copies(built, "libie.so", "ie", 20);
        let gaps = built.path("gaps");
        fs::create_dir_all(&gaps).unwrap();
        for name in ["a", "b", "c", "d"] {
            copy(&built.path("libgd.so"), &gaps.join(format!("{name}.so")));
        }
    });
    built
}

fn copies(built: &Built, lib: &str, sub: &str, n: usize) {
    let dir = built.path(sub);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    for i in 0..n {
        copy(&built.path(lib), &dir.join(format!("lib{i:03}.so")));
    }
}

/// Copies unless an identical copy is there (another test process may be running it).
fn copy(from: &Path, to: &Path) {
    let want = fs::read(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    if fs::read(to).is_ok_and(|have| have == want) {
        return;
    }
    let tmp = to.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, &want).unwrap_or_else(|e| panic!("cannot write {}: {e}", tmp.display()));
    fs::rename(&tmp, to).unwrap_or_else(|e| panic!("cannot rename to {}: {e}", to.display()));
}

fn prog(mode: &str, n: usize) -> Run {
    let built = built();
    Run::new(built.path("prog"))
        .arg(mode)
        .arg(built.dir())
        .arg(n.to_string())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
}

both_ways! {
    /// 1,000 dlopen/dlclose cycles of a library with a general-dynamic variable: fresh (7)
    /// each time. Under ld-rs before module ids were reused, the 63rd dlopen got a
    /// NULL-based block.
    fn cycles_general_dynamic() -> Run {
        prog("cycle", 1000).expect_stdout("cycle: 0 failures\n")
    }

    /// The same with initial-exec code: each load takes a block of the static surplus,
    /// which dlclose gives back (glibc's tst-tls13).
    fn cycles_initial_exec() -> Run {
        prog("cycle-ie", 1000).expect_stdout("cycle-ie: 0 failures\n")
    }

    /// Four threads each cycling a library of its own at the same time: loads and unloads
    /// interleave, each taking whichever module id another thread just freed, and every
    /// thread sees its variable fresh each time and its own writes, never a freed block.
    fn cycles_in_threads() -> Run {
        prog("cycle-threads", 1000).expect_stdout("cycle-threads: 0 failures\n")
    }

    /// 300 distinct TLS libraries open at once (the slot table grows past its first 62
    /// spare slots, DTVs grow): every variable fresh and private in the main thread, in a
    /// thread that was running while they were loaded, and in a new thread.
    fn three_hundred_libraries() -> Run {
        prog("many", 300).expect_stdout(
            "300 libraries open\nmain thread: 0 bad\nrunning thread: 0 bad\nnew thread: 0 bad\n\
             main thread again: 0 bad\nmany: 0 failures\n",
        )
    }

    /// 100 rounds of: 20 libraries opened (partly others than the round before), four
    /// threads that check and set every variable, the libraries closed. libc hands the
    /// exited threads' stacks, with their DTVs, to the next round's threads, asking the
    /// loader to set them up again (glibc's nptl/tst-stack4 in small).
    fn thread_stacks_reused_across_loads() -> Run {
        prog("stack-reuse", 100).expect_stdout("stack-reuse: 0 failures\n")
    }

    /// A, B, C open; B closed; D takes B's module id; the values of A, C and D right in
    /// the main thread and in a thread that existed throughout; after closing everything
    /// the lowest id comes back.
    fn module_ids_reused() -> Run {
        prog("gaps", 0).expect_stdout(
            "A, B, C: module ids 1, 2, 3\nD after closing B: module id 2 (B's: 1)\n\
             main: A 10, C 30, D 7\nthread: lib 0: 7\nthread: lib 1: 7\nthread: lib 2: 7\n\
             main: A 10, C 30, D 40\nB again after closing all: module id 1, value 7\n\
             gaps: 0 failures\n",
        )
    }

    /// TLS-descriptor libraries take the optional part of the static surplus while it
    /// lasts (two 204-byte blocks of 512 bytes), then get dynamic descriptors that find
    /// each thread's block through its DTV.
    fn tlsdesc_beyond_the_surplus() -> Run {
        let mut want = String::from("lib000: static\nlib001: static\n");
        for i in 2..20 {
            want.push_str(&format!("lib{i:03}: dynamic\n"));
        }
        want.push_str("main thread: 0 bad\nnew thread: 0 bad\nmain thread again: 0 bad\ndesc: 0 failures\n");
        prog("desc", 20).expect_stdout(&want)
    }

    /// Initial-exec libraries fill the static surplus until dlopen fails with glibc's
    /// text; closing them gives back what glibc gives back.
    fn initial_exec_until_the_surplus_is_gone() -> Run {
        prog("ie-exhaust", 20).expect_stdout(
            "dlopen ie/lib008.so failed: lib008.so: cannot allocate memory in static TLS block\n\
             8 opened\nmain thread: 0 bad\n\
             dlopen ie/lib001.so failed: lib001.so: cannot allocate memory in static TLS block\n\
             1 opened again (as many: 0)\nie-exhaust: 0 failures\n",
        )
    }

    /// A variable already reached through __tls_get_addr lives in dynamic TLS: a library
    /// whose initial-exec code refers to it is refused (glibc's tst-tls16), and the
    /// variable keeps its value.
    fn initial_exec_refused_for_dynamic_tls() -> Run {
        prog("ie-refused", 0).expect_stdout(
            "dlopen libieuse.so: refused, libgd.so: cannot allocate memory in static TLS block\n\
             variable still 55\nie-refused: 0 failures\n",
        )
    }

    /// A dlopen that fails after giving the library a module id (and, for initial-exec
    /// code, a static block) gives both back: after 100 failures the next library gets
    /// the next id and initial-exec libraries still load (glibc's tst-tls20 relies on it).
    fn failed_dlopen_gives_back_its_module() -> Run {
        prog("failed", 0).expect_stdout(
            "last error: libiebad.so: undefined symbol: missing_symbol\n\
             next module id after the failures: +1\nfailed: 0 failures\n",
        )
    }

    /// A variable of a loaded library not yet reached through __tls_get_addr can still
    /// move to static TLS when a new library's initial-exec code refers to it: its block is
    /// set up in every thread, and both ways of reaching it agree.
    fn initial_exec_moves_an_unused_variable_to_static_tls() -> Run {
        prog("ie-late", 0).expect_stdout(
            "main: initial-exec and dynamic agree: 1, value 7, static: 1\n\
             main: after a write through initial-exec: 8\n\
             running thread: initial-exec and dynamic agree: 1, value 7, static: 1\n\
             running thread: after a write through initial-exec: 8\nie-late: 0 failures\n",
        )
    }

    /// Blocks allocated after start-up come from the program's malloc — here an
    /// interposed one that itself uses general-dynamic TLS, so __tls_get_addr is re-entered
    /// from inside a DTV update (glibc's tst-recursive-tls): no endless recursion, no
    /// double free, and the interposed malloc sees the loader's calls.
    fn tls_memory_from_the_programs_malloc() -> Run {
        let built = built();
        Run::new(built.path("recursive"))
            .arg(built.dir())
            .timeout(TIMEOUT)
            .expect_exit(Exit::Code(0))
            .expect_stdout("bad values: 0\nmalloc calls counted: yes\n")
    }
}
