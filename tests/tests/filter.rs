//! Filters: an object with `DT_FILTER` or `DT_AUXILIARY` entries has its filtees placed just
//! before it in every search list that holds it, so their definitions win over its own
//! (glibc's `elf/filter`, `tst-filterobj`, `tst-filterobj-dlopen`, `tst-auxobj`,
//! `tst-auxobj-dlopen`); a missing auxiliary filtee is ignored, a missing standard one is
//! an error; filtees are initialized first and linked before their filter in the link map;
//! `LD_DEBUG=libs` says "load auxiliary object=… requested by file=…" for each.

use ld_rs_tests::run::{normalize_loader, normalize_pids};
use ld_rs_tests::{both_ways, fixtures, Exit, Run};

/// `main`, which needs a filter and opens three more.
fn main_run() -> Run {
    let built = fixtures::filter();
    Run::new(built.path("main")).arg(built.dir())
}

both_ways! {
    /// What each call reaches, the initializers' order and the link map's.
    fn filters_and_filtees() -> Run {
        main_run().expect_exit(Exit::Code(0)).expect_stdout(
            "init filtee\ninit filter\nget_text: from filtee\nonly_in_filter: only in filter\n\
             init filtee2\ninit auxiliary filter\n\
             ./libaux.so: get_text from filtee2, only_in_filter only in auxiliary filter\n\
             init lone auxiliary filter\n\
             ./libaux_gone.so: get_text from lone auxiliary filter, only_in_filter only in lone auxiliary filter\n\
             ./libflt_gone.so: libnowhere.so: cannot open shared object file: No such file or directory\n\
             link map: libfiltee.so libflt.so libfiltee2.so libaux.so libaux_gone.so\n",
        )
    }

    /// The same under `LD_DEBUG=libs`: the search for each filtee, announced.
    fn filters_debug_libs() -> Run {
        main_run()
            .env("LD_DEBUG", "libs")
            .normalize_addresses()
            .normalize(normalize_pids)
            .normalize(normalize_loader)
            .expect_exit(Exit::Code(0))
            .expect_stderr_contains("load auxiliary object=libfiltee.so requested by file=")
    }
}

both_ways! {
    /// A program needing a filter whose `DT_FILTER` filtee is missing does not start.
    fn missing_filtee() -> Run {
        Run::new(fixtures::filter().path("main_gone"))
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("libnowhere.so: cannot open shared object file")
    }

    /// `ldd` lists each missing filtee just before its filter.
    fn missing_filtees_traced() -> Run {
        Run::new(fixtures::filter().path("main_gone"))
            .env("LD_TRACE_LOADED_OBJECTS", "1")
            .normalize_addresses()
            .normalize(normalize_loader)
            .expect_exit(Exit::Code(0))
    }
}
