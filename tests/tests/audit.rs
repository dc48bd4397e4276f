//! The run-time linker auditing interface (`rtld-audit(7)`): `LD_AUDIT` and `--audit`
//! load a module that is told of every object searched for, opened and closed, the
//! namespace's activity and the program's start. The module (`fixtures/audit/auditor.c`)
//! logs every callback it receives on stderr, without addresses; the logs of both loaders
//! must agree.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// `main` under the audit module `module`, named by `LD_AUDIT`.
fn audited(module: &str) -> Run {
    let built = fixtures::audit();
    Run::new(built.path("main"))
        .arg(built.path("libaudited.so"))
        .env("LD_AUDIT", built.path(module))
        .current_dir(built.dir())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
        .expect_stdout("value 42\n")
}

both_ways! {
    /// Every callback, bindings included: those of start-up (the program's `malloc`
    /// family and the loader's four error functions, as glibc's loader binds them; libc's
    /// lazily bound calls into the loader), the program's lazily bound calls, and `dlsym`'s
    /// (`LA_SYMB_DLSYM`).
    fn every_event() -> Run {
        audited("libauditor.so").expect_stderr_contains("audit: la_symbind64 audited_value from=1 to=5 flags=0x8")
    }

    /// Start-up (the program, the loader, the vDSO, libc searched and opened, the
    /// namespace consistent, preinit), a dlopen (searched, added, opened, consistent), its
    /// dlclose (closed, deleted, consistent) and exit (every object closed) under a module
    /// without `la_symbind64`.
    fn every_event_but_bindings() -> Run {
        audited("libauditor_nosymbind.so").expect_stderr_contains("audit: la_objopen libaudited.so")
    }
}

both_ways! {
    /// A module that cannot be loaded is reported in glibc's words (without the error
    /// number's text) and the program runs without it.
    fn missing_module_is_reported_and_ignored() -> Run {
        audited("libnot-there.so").expect_stderr_contains("cannot be loaded as audit interface")
    }
}
