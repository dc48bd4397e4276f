//! Executable stacks: a library `dlopen`ed at run time that needs one (`-z execstack`) makes
//! every thread's stack executable, those of threads started before and after, as glibc 2.36
//! does (`elf/tst-execstack`, `nptl/tst-execstack`); a program that needs one gets one when
//! named on the loader's command line too (`elf/tst-execstack-prog`).
//!
//! glibc 2.41 (Debian 13, `LD_RS_TESTS_ROOT=trixie`) no longer changes the stacks of a running
//! process: the `dlopen` fails with EINVAL and every stack stays as it was; a program that needs
//! one still gets it at start-up.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

both_ways! {
    /// `dlopen` of a library that needs an executable stack.
    fn dlopen_needs_exec_stack() -> Run {
        let built = fixtures::execstack();
        let lib = built.path("libexec.so");
        let mut run = Run::new(built.path("stack"))
            .arg(&lib)
            .expect_exit(Exit::Code(0))
            .expect_stdout(
                "initial thread: not executable\nopened\ninitial thread: executable\n\
                 thread started before: executable\nthread started after: executable\n",
            );
        // glibc 2.41: refused, in the words and with the errno of a load error.
        if let Some(root) = ld_rs_tests::root::selected() {
            let refused = format!(
                "initial thread: not executable\ndlopen: {}: cannot enable executable stack as shared \
                 object requires: Invalid argument\ninitial thread: not executable\n\
                 thread started before: not executable\nthread started after: not executable\n",
                root.inside(&lib).display()
            );
            run = run.expect_stdout_in("trixie", &refused);
        }
        run
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
