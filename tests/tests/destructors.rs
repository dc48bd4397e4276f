//! Destructors and their order, with programs linked with glibc (libc's exit calls the fini
//! function the loader passed in %rdx; -nostdlib programs cannot, see fixtures/include/start.S).

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

both_ways! {
    /// The dynld program with libc: the library's destructor runs at exit and sees the
    /// program's COPY of `counter`.
    fn library_destructor_at_exit() -> Run {
        let built = fixtures::dynld();
        Run::new(built.path("main_libc"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_exit(Exit::Code(42))
            .expect_stdout(
                "libdyn: constructor counter=40\nmain: counter=40\nlibdyn: bump counter=41\n\
                 libdyn: bump counter=42\nmain: counter after two bumps=42\n\
                 main: counter_ptr is &counter=1\nmain: *hidden_ptr=7\n\
                 main: report through the library=1\nlibdyn: destructor counter=42\n",
            )
    }

    /// Diamond: destructors in the reverse of constructor order, the shared bottom last.
    fn diamond_destructor_order() -> Run {
        let built = fixtures::diamond();
        Run::new(built.path("main_libc"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_stdout(
                "bottom: constructor\ntop_b: constructor\ntop_a: constructor\nmain: start\n\
                 top_a: hello\nbottom: hello\ntop_b: hello\nbottom: hello\nmain: end\n\
                 top_a: destructor\ntop_b: destructor\nbottom: destructor\n",
            )
    }

    /// Cycle: each destructor runs once, in glibc's order.
    fn cycle_destructor_order() -> Run {
        let built = fixtures::cycle();
        Run::new(built.path("main_libc"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_stdout(
                "ping: constructor\npong: constructor\nmain: start\nping: hello\npong: leaf\n\
                 main: end\npong: destructor\nping: destructor\n",
            )
    }
}
