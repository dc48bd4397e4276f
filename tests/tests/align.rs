//! `PT_LOAD` segments whose `p_align` exceeds the page size: glibc 2.36 maps an `ET_DYN`
//! object at a multiple of the largest power-of-two `p_align` of its segments, so a
//! variable declared with that alignment is aligned at run time (`elf/tst-align3`,
//! `tst-p_align1`, `tst-p_align2`), in the program named on the loader's command line,
//! in a library it needs and in one it opens.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};

both_ways! {
    /// A program, a needed library and an opened one, all linked `-z max-page-size=2M`.
    fn large_p_align() -> Run {
        let built = fixtures::align();
        Run::new(built.path("main"))
            .arg(built.dir())
            .expect_exit(Exit::Code(0))
            .expect_stdout("program: aligned\nneeded library: aligned\nopened library: aligned\n")
    }
}
