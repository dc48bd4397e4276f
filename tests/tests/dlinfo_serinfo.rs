//! `dlinfo(RTLD_DI_SERINFOSIZE)` and `dlinfo(RTLD_DI_SERINFO)`: the directories a library
//! search on behalf of an object goes through, in glibc's order (the `DT_RPATH` chain, the
//! program's `DT_RPATH`, `LD_LIBRARY_PATH`, the object's `DT_RUNPATH`, the system
//! directories), and the sizes programs allocate from — compared with glibc's ld.so.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

fn serinfo(objects: &[&str]) -> Run {
    let built = fixtures::serinfo();
    let mut run = Run::new(built.path("main")).expect_exit(Exit::Code(0));
    for o in objects {
        run = if *o == "-" {
            run.arg("-")
        } else {
            run.arg(built.path(o))
        };
    }
    run
}

both_ways! {
    /// The program itself, a library with a `DT_RPATH` (one entry the root directory), one
    /// with a `DT_RUNPATH`, one linked `-z nodefaultlib`.
    fn each_kind_of_object() -> Run {
        serinfo(&["-", "librpath.so", "librunpath.so", "libnodeflib.so"])
    }

    /// `LD_LIBRARY_PATH` with an empty entry (the current directory) and a trailing slash.
    fn with_library_path() -> Run {
        serinfo(&["-", "librpath.so", "librunpath.so"])
            .env("LD_LIBRARY_PATH", "/opt/serinfo/env/::/usr/lib/")
    }
}
