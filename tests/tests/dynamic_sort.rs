//! The order of initializers and finalizers by glibc 2.36's two algorithms: the depth-first
//! one (the default, `glibc.rtld.dynamic_sort=2`) and the original one it replaced
//! (`GLIBC_TUNABLES=glibc.rtld.dynamic_sort=1`), which break dependency cycles differently
//! (glibc's `elf/tst-bz15311`, `tst-bz28937`, the `tst-dso-ordering*` family); and a
//! `DT_NEEDED` name that is the program's `DT_SONAME` naming the program.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

fn sorted(program: &str, algorithm: &str) -> Run {
    let built = fixtures::dynamic_sort();
    Run::new(built.path(program))
        .arg(built.dir())
        .env("GLIBC_TUNABLES", format!("glibc.rtld.dynamic_sort={algorithm}"))
        .expect_exit(Exit::Code(0))
}

both_ways! {
    /// A program needing two libraries that need each other, by the original algorithm.
    fn start_up_cycle_original() -> Run {
        sorted("cycle", "1").expect_stdout("cyc_b>cyc_a>main <cyc_a<cyc_b")
    }

    /// The same by the depth-first one.
    fn start_up_cycle_dfs() -> Run {
        sorted("cycle", "2").expect_stdout("cyc_a>cyc_b>main <cyc_b<cyc_a")
    }

    /// `dlopen`, `dlclose`, a cycle and a relocation dependency, by the original algorithm.
    fn dlopen_original() -> Run {
        sorted("dl", "1").expect_stdout("p2>p1>p>q1>q><q<q1r><p<p2<r<p1")
    }

    /// The same by the depth-first one.
    fn dlopen_dfs() -> Run {
        sorted("dl", "2").expect_stdout("p2>p1>p>q1>q><q<q1r><p2<p<r<p1")
    }

    /// A library needing the program by its `DT_SONAME` gets the program, not a file of that
    /// name (`elf/tst-dso-ordering10`), by the original algorithm. (By the depth-first one
    /// glibc's finalizer order here depends on how the program was started: its dynamic
    /// loader enters the program's record as a dependency, which its sort means to skip.)
    fn program_by_soname_original() -> Run {
        sorted("soname", "1").expect_stdout("sn_b>sn_a>main <sn_a<sn_b")
    }
}
