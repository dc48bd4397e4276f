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

    /// A library that needs libc opened into a new namespace (`dlmopen(LM_ID_NEWLM)`) and
    /// closed: each object opened as it is mapped, before what it needs is searched for
    /// (with its cookie), the namespace's own libc.so.6, and the namespace's record of the
    /// loader, which glibc 2.39 on opens for the modules too (2.36 adds it unannounced);
    /// every binding of the new objects' relocation.
    fn every_event_of_a_new_namespace() -> Run {
        let built = fixtures::audit();
        Run::new(built.path("main"))
            .arg(built.path("libaudited_libc.so"))
            .arg("newlm")
            .env("LD_AUDIT", built.path("libauditor.so"))
            .current_dir(built.dir())
            .timeout(TIMEOUT)
            .expect_exit(Exit::Code(0))
            .expect_stdout("value 42\n")
            .expect_stderr_contains("audit: la_objopen libaudited_libc.so lmid=2")
            .expect_stderr_contains("audit: la_objopen libc.so.6 lmid=2")
    }
}

both_ways! {
    /// A module the program names in its dynamic section (`-Wl,--audit`, `DT_AUDIT`), by
    /// a name found in the program's `DT_RUNPATH`, as glibc looks for audit modules.
    fn module_named_by_dt_audit() -> Run {
        let built = fixtures::audit();
        Run::new(built.path("main_audit_tag"))
            .arg(built.path("libaudited.so"))
            .current_dir(built.dir())
            .timeout(TIMEOUT)
            .expect_exit(Exit::Code(0))
            .expect_stdout("value 42\n")
            .expect_stderr_contains("audit: la_symbind64 audited_value from=1 to=5 flags=0x8")
    }

    /// `-Wl,--depaudit` (`DT_DEPAUDIT`): glibc reads it from the program too.
    fn module_named_by_dt_depaudit() -> Run {
        let built = fixtures::audit();
        Run::new(built.path("main_depaudit_tag"))
            .arg(built.path("libaudited.so"))
            .current_dir(built.dir())
            .timeout(TIMEOUT)
            .expect_exit(Exit::Code(0))
            .expect_stdout("value 42\n")
            .expect_stderr_contains("audit: la_objopen libaudited.so")
    }

    /// A module that cannot be loaded is reported in glibc's words (without the error
    /// number's text) and the program runs without it.
    fn missing_module_is_reported_and_ignored() -> Run {
        audited("libnot-there.so").expect_stderr_contains("cannot be loaded as audit interface")
    }
}

/// `main` under the two namespace-showing modules (`fixtures/audit/nsauditor.c`), named
/// by `LD_AUDIT` in the order given.
fn two_modules(first: &str, second: &str) -> Run {
    let built = fixtures::audit();
    Run::new(built.path("main"))
        .arg(built.path("libaudited.so"))
        .env(
            "LD_AUDIT",
            format!("{}:{}", built.path(first).display(), built.path(second).display()),
        )
        .current_dir(built.dir())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
        .expect_stdout("value 42\n")
}

both_ways! {
    /// Each module in a namespace of its own, as glibc loads them: `dlinfo(RTLD_DI_LMID)`
    /// and `dladdr1` on its own symbols name its namespace (1, then 2) and itself; the first
    /// module sees the second one's objects open in namespace 2 (its own `libc.so.6` among
    /// them) and that namespace become consistent, the second sees nothing of the first's;
    /// both see the program's namespace; and each has its own C library (`errno` set in
    /// `la_version` reads back in `la_preinit` as each module set it).
    fn modules_in_namespaces_of_their_own() -> Run {
        two_modules("libnsaudit1.so", "libnsaudit2.so")
            .expect_stderr_contains("audit1: la_objopen libc.so.6 lmid=2 cookie=2")
            .expect_stderr_contains("audit2: la_version 2 lmid=2 self=libnsaudit2.so sym=la_version")
            .expect_stderr_contains(" errno=100\n")
    }

    /// A module that logs every event (searches included) before the namespace-showing
    /// one: it sees the second module's search for what it needs, in its place among the
    /// opens of that module's namespace, down to the loader's own name, which glibc looks
    /// for in a namespace that needs it before it knows itself in the file found.
    fn searches_of_a_later_module() -> Run {
        two_modules("libauditor_nosymbind.so", "libnsaudit2.so")
            .expect_stderr_contains("audit: la_objsearch <loader> flag=0x1 cookie=2")
    }

    /// Two modules that decline (`la_version` returning 0, silently; none at all, in glibc's
    /// words) are unloaded, and the namespace each had goes to the next: the module after
    /// them lives in namespace 1.
    fn declining_modules_free_their_namespaces() -> Run {
        let built = fixtures::audit();
        let names = ["libdeclines_zero.so", "libdeclines_none.so", "libnsaudit2.so"]
            .map(|m| built.path(m).display().to_string())
            .join(":");
        Run::new(built.path("main"))
            .arg(built.path("libaudited.so"))
            .env("LD_AUDIT", names)
            .current_dir(built.dir())
            .timeout(TIMEOUT)
            .expect_exit(Exit::Code(0))
            .expect_stdout("value 42\n")
            .expect_stderr_contains("audit2: la_version 2 lmid=1 self=libnsaudit2.so")
    }

    /// The same module twice (one file): glibc loads it again, into a second namespace.
    fn one_module_twice() -> Run {
        two_modules("libnsaudit1.so", "libnsaudit1.so")
            .expect_stderr_contains("audit1: la_version 2 lmid=2 self=libnsaudit1.so sym=la_version")
    }
}

/// `main` under module `module` named `count` times by `LD_AUDIT`.
fn many_modules(module: &str, count: usize) -> Run {
    let built = fixtures::audit();
    let one = built.path(module).display().to_string();
    Run::new(built.path("main"))
        .arg(built.path("libaudited.so"))
        .env("LD_AUDIT", vec![one; count].join(":"))
        .current_dir(built.dir())
        .timeout(TIMEOUT)
}

both_ways! {
    /// Twelve modules, each in its namespace (1 to 12): as many as glibc 2.36's static TLS
    /// surplus has room for with its default `glibc.rtld.nns` (4 of its 16 namespaces
    /// kept for `dlmopen`); each module sees those after it load.
    fn twelve_modules() -> Run {
        many_modules("libnsaudit1.so", 12)
            .expect_exit(Exit::Code(0))
            .expect_stdout("value 42\n")
            .expect_stderr_contains("audit1: la_objopen libnsaudit1.so lmid=12 cookie=1")
    }

    /// One more is refused before any is loaded, in glibc's words.
    fn thirteen_modules_are_too_many() -> Run {
        many_modules("libnsaudit1.so", 13)
            .expect_exit(Exit::Code(127))
            .expect_stderr_contains("Failed loading 13 audit modules, 12 are supported.")
    }
}

/// `calls` (or `calls_now`, linked `-z now`) under the module watching PLT calls.
fn plt_audited(program: &str) -> Run {
    let built = fixtures::audit();
    let once = "int6 1121\ndouble2 7.5\nstack8 204\nnoexit 42\nredirected -7\nswapped -9\nunwatched 15\n";
    Run::new(built.path(program))
        .env("LD_AUDIT", built.path("libauditor_plt.so"))
        .current_dir(built.dir())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
        .expect_stdout(&once.repeat(2))
}

both_ways! {
    /// `la_pltenter` and `la_pltexit`: every PLT call of the program goes through the
    /// profiling trampoline, bound on its first call (`la_symbind64` then) and told to the
    /// module each time with its argument registers, which the module changes (an integer
    /// argument, a `double`), with a frame of stack arguments copied for the call
    /// (`calls_stack8`'s two, read back in `la_pltexit`), its return value changed in
    /// `la_pltexit`, an exit declined in `la_pltenter` (`LA_SYMB_NOPLTEXIT`), a call sent
    /// elsewhere by `la_symbind64` and by `la_pltenter` (`LA_SYMB_ALTVALUE`), and one never
    /// watched (`LA_SYMB_NOPLTENTER` from `la_symbind64`). Calls made by the C library are
    /// not asked for (its `la_objopen` says `LA_FLG_BINDTO` only).
    fn plt_enter_and_exit() -> Run {
        plt_audited("calls").expect_stderr_contains("audit: la_pltexit calls_int6 from=1 to=4")
    }

    /// The same with the program linked `-z now`: watching PLT calls makes them lazy all
    /// the same, as glibc does.
    fn plt_enter_and_exit_linked_now() -> Run {
        plt_audited("calls_now").expect_stderr_contains("audit: la_pltenter calls_stack8 from=1 to=4")
    }
}

/// `calls` (or `calls_now`) under the module without PLT hooks: bindings only, one of them
/// sent elsewhere by `la_symbind64`.
fn bind_audited(program: &str) -> Run {
    let built = fixtures::audit();
    let once = "int6 21\ndouble2 4.75\nstack8 204\nnoexit 42\nredirected -7\nswapped 9\nunwatched 15\n";
    Run::new(built.path(program))
        .env("LD_AUDIT", built.path("libauditor.so"))
        .current_dir(built.dir())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
        .expect_stdout(&once.repeat(2))
}

both_ways! {
    /// A lazily bound call sent elsewhere by `la_symbind64` (at its first call).
    fn symbind_redirects_lazy_binding() -> Run {
        bind_audited("calls").expect_stderr_contains("audit: la_symbind64 calls_redirected from=1 to=4 flags=0 ")
    }

    /// A call bound at start-up (`-z now`, `LA_SYMB_NOPLTENTER|LA_SYMB_NOPLTEXIT`) sent
    /// elsewhere by `la_symbind64`: the slot holds what the module returned before the
    /// program runs, as glibc's relocation writes it.
    fn symbind_redirects_binding_at_start_up() -> Run {
        bind_audited("calls_now").expect_stderr_contains("audit: la_symbind64 calls_redirected from=1 to=4 flags=0x3 ")
    }
}

/// Replaces each `0x` and 8 or more hex digits (an address, or what a register not used
/// for an argument held) with `0xADDR`: sotruss prints three argument registers of every
/// call, whatever the function takes.
fn normalize_sotruss(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let digits = if text[i..].starts_with(b"0x") {
            text[i + 2..].iter().take_while(|c| c.is_ascii_hexdigit()).count()
        } else {
            0
        };
        if digits >= 8 {
            out.extend_from_slice(b"0xADDR");
            i += 2 + digits;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// Debian's `sotruss` (the script, and glibc's `sotruss-lib.so` audit module) tracing
/// `calls`, with ld-rs in place of the system's loader for the script and the program.
fn sotruss(args: &[&str]) -> Run {
    let built = fixtures::audit();
    let mut run = Run::new("/usr/bin/sotruss");
    for a in args {
        run = run.arg(a);
    }
    run.arg(built.path("calls"))
        .current_dir(built.dir())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
        .normalize(normalize_sotruss)
}

mod sotruss {
    use super::*;
    use ld_rs_tests::Way;

    fn need_sotruss() -> bool {
        ld_rs_tests::need_program("sotruss", "apt-get install -y libc-dev-bin")
    }

    /// Every call from the program, with its first three argument registers.
    #[test]
    fn calls() {
        if !ld_rs_tests::need_way(Way::SystemWide) || !need_sotruss() {
            return;
        }
        sotruss(&[])
            .expect_stderr_contains("calls -> libcalls.so    :*calls_int6(0x1, 0x2, 0x3)")
            .compare(Way::SystemWide);
    }

    /// `-e`: returns too. sotruss-lib asks for no stack arguments (frame size 0), so
    /// `calls_stack8` gets the two words under the register block as its stack arguments
    /// under glibc: so it must under ld-rs.
    #[test]
    fn calls_and_returns() {
        if !ld_rs_tests::need_way(Way::SystemWide) || !need_sotruss() {
            return;
        }
        sotruss(&["-e"])
            .expect_stderr_contains("calls -> libcalls.so    : calls_stack8 - 0x98")
            .compare(Way::SystemWide);
    }

    /// `-T libcalls.so`: only calls into the library named.
    #[test]
    fn calls_to_one_library() {
        if !ld_rs_tests::need_way(Way::SystemWide) || !need_sotruss() {
            return;
        }
        sotruss(&["-T", "libcalls.so"])
            .expect_stderr_contains(":*calls_unwatched(0x5,")
            .compare(Way::SystemWide);
    }
}
