//! `RTLD_DEEPBIND`: the objects a `dlopen` with it loads search their own search list before
//! the global scope, so they bind to each other rather than to the program's definitions of
//! the same names, and fall back on the global scope for the rest (glibc's `elf/tst-deep1`);
//! `dlsym(RTLD_DEFAULT)` from such an object follows the same order; objects opened without it
//! keep the usual order. Lazily and eagerly bound, and as `LD_DEBUG=scopes` shows the scopes.

use ld_rs_tests::run::{normalize_loader, normalize_pids};
use ld_rs_tests::{both_ways, fixtures, Exit, Run};

/// What both the lazy and the eager runs print.
const REACHED: &str = "\
./libdeep.so: which -> library, dependency's which -> library, dependency's back -> program's back, \
RTLD_DEFAULT which -> library
./libshallow.so: which -> program, dependency's which -> program, dependency's back -> program's back, \
RTLD_DEFAULT which -> program
program: which -> program
";

fn main_run() -> Run {
    let built = fixtures::deepbind();
    Run::new(built.path("main")).arg(built.dir())
}

both_ways! {
    /// Bound lazily (the libraries are linked `-z lazy`).
    fn deepbind_lazy() -> Run {
        main_run().expect_exit(Exit::Code(0)).expect_stdout(REACHED)
    }

    /// Bound at load time.
    fn deepbind_now() -> Run {
        main_run().env("LD_BIND_NOW", "1").expect_exit(Exit::Code(0)).expect_stdout(REACHED)
    }

    /// The scopes `LD_DEBUG=scopes` shows for the objects each `dlopen` loads.
    fn deepbind_scopes() -> Run {
        main_run()
            .env("LD_DEBUG", "scopes")
            .normalize_addresses()
            .normalize(normalize_pids)
            .normalize(normalize_loader)
            .expect_exit(Exit::Code(0))
            .expect_stderr_contains(" scope 0: ./libdeep.so")
    }
}
