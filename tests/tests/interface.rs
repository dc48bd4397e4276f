//! The user's interface: listing dependencies the way `ldd` and `ld.so --list` show them.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

both_ways! {
    /// `LD_TRACE_LOADED_OBJECTS=1` lists the vDSO and every dependency, breadth-first, with
    /// where each was found, instead of running the program.
    fn trace_loaded_objects_diamond() -> Run {
        let built = fixtures::diamond();
        Run::new(built.path("main"))
            .env("LD_LIBRARY_PATH", built.dir())
            .env("LD_TRACE_LOADED_OBJECTS", "1")
            .normalize_addresses()
            .expect_exit(Exit::Code(0))
    }

    /// The same for libraries found through `DT_RUNPATH` with `$ORIGIN`.
    fn trace_loaded_objects_runpath() -> Run {
        let built = fixtures::search();
        Run::new(built.path("main_runpath"))
            .env("LD_TRACE_LOADED_OBJECTS", "1")
            .normalize_addresses()
            .expect_exit(Exit::Code(0))
    }
}
