//! Symbol versions: a library defining foo@V1 and foo@@V2, used by programs linked against
//! older, unversioned and current builds of it.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

/// A run of one `versions` program against the current libver.so (foo@V1, foo@@V2).
fn against_current(program: &str) -> Run {
    let built = fixtures::versions();
    Run::new(built.path(program))
        .env("LD_LIBRARY_PATH", built.dir())
        .expect_exit(Exit::Code(0))
}

both_ways! {
    /// A program linked when the library only had V1 still gets foo@V1.
    fn old_program_binds_old_version() -> Run {
        against_current("main_v1").expect_stdout("foo()=1\n")
    }

    /// A program linked against the current library gets the default version foo@@V2.
    fn new_program_binds_default_version() -> Run {
        against_current("main_v2").expect_stdout("foo()=2\n")
    }

    /// An unversioned reference (linked against a build without versions) binds to the
    /// oldest version, foo@V1 (index 2), as glibc's check_match does, not to foo@@V2.
    fn unversioned_reference_binds_oldest_version() -> Run {
        against_current("main_unversioned").expect_stdout("foo()=1\n")
    }
}
