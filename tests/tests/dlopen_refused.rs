//! Files `dlopen` refuses with glibc's words: the program itself (a position-independent
//! one or not), by the name it was started as and by its real path (`elf/tst-dlopen-self`,
//! `tst-dlopen-self-pie`). A library linked `-z nodlopen` and a debug-info file without a
//! dynamic section are among the mutations of `tests/malformed.rs` (`noopen`,
//! `dynamic_empty`; glibc's `elf/nodlopen`, `tst-debug1`).

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

/// The run of `name`, which prints one refusal per way of naming itself.
fn refused(name: &str, why: &str) -> Run {
    let path = fixtures::refused().path(name);
    let line = format!("{}: {why}\n", path.display());
    Run::new(&path)
        .expect_exit(Exit::Code(0))
        .expect_stdout(&line.repeat(2))
}

both_ways! {
    /// `dlopen` of a PIE program from inside it.
    fn program_pie() -> Run {
        refused("self_pie", "cannot dynamically load position-independent executable")
    }

    /// `dlopen` of a fixed-address program from inside it.
    fn program_fixed() -> Run {
        refused("self_nopie", "cannot dynamically load executable")
    }
}
