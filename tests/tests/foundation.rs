//! Foundation: -nostdlib programs and libraries; relocation types, DT_NEEDED graphs, IFUNC, RELR.
//!
//! Every behaviour is compared under glibc's ld.so and ld-rs, in both ways in ([`both_ways!`]).
//! The expected texts are glibc's observed behaviour, checked on glibc's run first so that a
//! broken fixture is not mistaken for a linker bug.

use ld_rs_tests::elf::{assert_dynamic_tags, assert_relocations};
use ld_rs_tests::{both_ways, fixtures, Exit, Run};

/// What `dynld/main.c` prints when every relocation was applied correctly.
const DYNLD_STDOUT: &str = "\
libdyn: constructor counter=40
main: counter=40
libdyn: bump counter=41
libdyn: bump counter=42
main: counter after two bumps=42
main: counter_ptr is &counter=1
main: *hidden_ptr=7
main: report through the library=1
";

/// A run of one `dynld` program, with its library found through LD_LIBRARY_PATH.
fn dynld(program: &str) -> Run {
    let built = fixtures::dynld();
    Run::new(built.path(program))
        .env("LD_LIBRARY_PATH", built.dir())
        .expect_stdout(DYNLD_STDOUT)
        .expect_exit(Exit::Code(42))
}

/// Guards the meaning of the dynld tests: the fixture really has every relocation type the
/// foundation must apply (a toolchain change could silently turn one into another).
#[test]
fn dynld_has_every_foundation_relocation_type() {
    let built = fixtures::dynld();
    assert_relocations(
        &[&built.path("main_nopie"), &built.path("libdyn.so")],
        &[
            "R_X86_64_RELATIVE",
            "R_X86_64_64",
            "R_X86_64_GLOB_DAT",
            "R_X86_64_JUMP_SLOT",
            "R_X86_64_COPY",
        ],
    );
}

/// Guards the meaning of the RELR tests: the library really carries DT_RELR.
#[test]
fn relr_library_has_dt_relr() {
    assert_dynamic_tags(&fixtures::relr().path("librelr.so"), &["RELR", "RELRSZ", "RELRENT"]);
}

/// Guards the meaning of the IFUNC tests: the library has an IRELATIVE relocation (the local
/// IFUNC) besides the JUMP_SLOT against the exported one.
#[test]
fn ifunc_library_has_irelative() {
    assert_relocations(
        &[&fixtures::ifunc().path("libifunc.so")],
        &["R_X86_64_IRELATIVE", "R_X86_64_JUMP_SLOT"],
    );
}

both_ways! {
    /// Non-PIE program: its read of `counter` is an R_X86_64_COPY, and the library's GOT
    /// entry (GLOB_DAT) and pointer (R_X86_64_64) must then point at the program's copy.
    fn copy_relocation_nonpie() -> Run {
        dynld("main_nopie")
    }

    /// The same program as a PIE: data through the GOT, calls through the PLT.
    fn data_and_calls_pie() -> Run {
        dynld("main_pie")
    }

    /// argc, argv (with the arguments as given) and envp reach the program's entry.
    fn arguments_and_environment() -> Run {
        Run::new(fixtures::entry().path("args"))
            .arg("first")
            .arg("with space")
            .arg("")
            .env("FIXTURE_VAR", "value=with=equals")
            .expect_exit(Exit::Code(0))
    }

    /// The entry point receives a fini function in %rdx (psABI), not 0.
    fn fini_function_in_rdx() -> Run {
        Run::new(fixtures::entry().path("fini"))
            .expect_stdout("fini function passed=1\n")
    }

    /// The loader leaves the executable's own constructors to libc (glibc >= 2.34), so a
    /// program without libc never runs them.
    fn executable_constructors_left_to_libc() -> Run {
        Run::new(fixtures::entry().path("ctor")).expect_stdout("exe: main\n")
    }

    /// Three DT_NEEDED libraries: all loaded, constructors in glibc's order.
    fn three_needed_libraries() -> Run {
        let built = fixtures::needed();
        Run::new(built.path("main"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_stdout(
                "three: constructor\ntwo: constructor\none: constructor\nmain: start\n\
                 one: hello\ntwo: hello\nthree: hello\nmain: end\n",
            )
    }

    /// A diamond: the shared bottom is loaded once and initialized before both sides.
    fn diamond_constructor_order() -> Run {
        let built = fixtures::diamond();
        Run::new(built.path("main"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_stdout(
                "bottom: constructor\ntop_b: constructor\ntop_a: constructor\nmain: start\n\
                 top_a: hello\nbottom: hello\ntop_b: hello\nbottom: hello\nmain: end\n",
            )
    }

    /// A dependency cycle (libping <-> libpong): loading terminates, constructors run once,
    /// in glibc's order.
    fn cycle_constructor_order() -> Run {
        let built = fixtures::cycle();
        Run::new(built.path("main"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_stdout(
                "ping: constructor\npong: constructor\nmain: start\nping: hello\npong: leaf\n\
                 main: end\n",
            )
    }

    /// IFUNC: the program's and the library's calls reach the resolver's choice, and the
    /// local IFUNC (IRELATIVE) too.
    fn ifunc_calls() -> Run {
        let built = fixtures::ifunc();
        Run::new(built.path("main"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_stdout(
                "answer()=42\nanswer_from_library()=142\nlocal_answer_from_library()=242\n",
            )
    }

    /// DT_RELR: dense, sparse and distant pointers in a library, all relocated.
    fn relr_pointers() -> Run {
        let built = fixtures::relr();
        Run::new(built.path("main"))
            .env("LD_LIBRARY_PATH", built.dir())
            .expect_stdout(
                "sum of pointed-to values=300\nalpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\n\
                 theta\nfar\n",
            )
    }
}
