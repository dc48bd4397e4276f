//! Executable stacks: a library `dlopen`ed at run time that needs one (`-z execstack`) makes
//! every thread's stack executable, those of threads started before and after, as glibc 2.36
//! does (`elf/tst-execstack`, `nptl/tst-execstack`); a program that needs one gets one when
//! named on the loader's command line too (`elf/tst-execstack-prog`).

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

both_ways! {
    /// `dlopen` of a library that needs an executable stack.
    fn dlopen_needs_exec_stack() -> Run {
        let built = fixtures::execstack();
        Run::new(built.path("stack"))
            .arg(built.path("libexec.so"))
            .expect_exit(Exit::Code(0))
            .expect_stdout(
                "initial thread: not executable\nopened\ninitial thread: executable\n\
                 thread started before: executable\nthread started after: executable\n",
            )
    }

    /// A program that needs an executable stack, with nothing loaded later.
    fn program_needs_exec_stack() -> Run {
        let built = fixtures::execstack();
        Run::new(built.path("stack_exec"))
            .expect_exit(Exit::Code(0))
            .expect_stdout(
                "initial thread: executable\nthread started before: executable\n\
                 thread started after: executable\n",
            )
    }
}
