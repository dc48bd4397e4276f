//! `STV_PROTECTED` symbols: an object's references to its own protected definitions bind to
//! them, whatever another object defines under the same name (glibc's `elf/ifuncmain1vis`,
//! `ifuncmain1vispic`, `ifuncmain1vispie`, `ifuncmain3`); an executable's copy relocation
//! against a library's protected data gets glibc 2.36's warning, and `LD_DEBUG=bindings`
//! calls a binding "protected" by the referencing symbol's visibility. (Today's static
//! linker refuses to make a canonical PLT entry for a protected function, so glibc's other
//! warning, "direct reference to protected function", is not tested here.)

use ld_rs_tests::run::{normalize_loader, normalize_pids};
use ld_rs_tests::{both_ways, fixtures, Exit, Run};

both_ways! {
    /// The program defines the names too: the library still reaches its own.
    fn own_definitions_win() -> Run {
        Run::new(fixtures::protected().path("own"))
            .expect_exit(Exit::Code(0))
            .expect_stdout(
                "library: prot_fn -> library, through its address -> library, prot_data = 10\n\
                 program: prot_fn -> program, prot_data = 20\n",
            )
    }

    /// A copy relocation against protected data: warned about; the library keeps its own.
    fn copy_relocation_warned() -> Run {
        Run::new(fixtures::protected().path("copy"))
            .expect_exit(Exit::Code(0))
            .expect_stdout("library: prot_fn -> library, through its address -> library, prot_data = 10\n\
                 program: prot_data = 30\n")
            .expect_stderr_contains("warning: copy relocation against non-copyable protected symbol `prot_data' in `")
    }

    /// Which bindings `LD_DEBUG=bindings` calls protected.
    fn bindings_named_protected() -> Run {
        Run::new(fixtures::protected().path("own"))
            .env("LD_DEBUG", "bindings")
            .normalize_addresses()
            .normalize(normalize_pids)
            .normalize(normalize_loader)
            .expect_exit(Exit::Code(0))
            .expect_stderr_contains("to /")
    }
}
