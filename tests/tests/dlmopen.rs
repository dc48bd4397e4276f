//! `dlmopen` and link-map namespaces: a library opened in a new namespace gets its own copy of
//! everything it needs (a second C library included), resolves its symbols among its
//! namespace's objects only, and is numbered, listed and shown to debuggers per namespace.
//!
//! The program (`fixtures/dlmopen/main.c`) takes the case's directory and a mode; each mode
//! prints what it observed, and each expected text is glibc's loader's output.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::time::Duration;

/// These programs finish in milliseconds; a loader that hangs should not hold the suite.
const TIMEOUT: Duration = Duration::from_secs(20);

fn dlmopen(mode: &str) -> Run {
    let built = fixtures::dlmopen();
    Run::new(built.path("main"))
        .arg(built.dir())
        .arg(mode)
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
}

/// ld-rs's path replaced by glibc's (the loader names itself in `LD_DEBUG`'s lines).
fn loader_path(text: &[u8]) -> Vec<u8> {
    let ld_rs = ld_rs_tests::ld_rs().display().to_string();
    String::from_utf8_lossy(text)
        .replace(&ld_rs, ld_rs_tests::GLIBC_LOADER)
        .into_bytes()
}

both_ways! {
    /// `LD_DEBUG=files,libs` of `separate`: each library named by its path into a namespace
    /// given is loaded with no line naming a caller (glibc's `dlmopen` has none for such a
    /// name), ld-rs itself is looked for by name the first time a new namespace's C library
    /// needs it, as glibc's loader looks for itself there, and the record it keeps of itself
    /// there by the file found is destroyed with the namespace's last object.
    fn debug_files_and_libs() -> Run {
        dlmopen("separate")
            .env("LD_DEBUG", "files,libs")
            .normalize_addresses()
            .normalize(ld_rs_tests::run::normalize_pids)
            .normalize(loader_path)
            .expect_stderr_contains("find library=ld-linux-x86-64.so.2 [1]; searching")
    }
}

both_ways! {
    /// The same library in the base namespace and in two new ones: three copies, each with its
    /// own data and its own C library (errno in its own TLS, `__libc_single_threaded` set in
    /// the first C library only), numbered 0, 1 and 2 by `dlinfo(RTLD_DI_LMID)`.
    fn separate_copies() -> Run {
        dlmopen("separate").expect_stdout(
            "namespaces: 0 1 2\n\
             distinct handles: 1 1\n\
             counters: 1 2 3\n\
             errno: the base one is the program's 1, the others their own 1 1\n\
             printf of the first new namespace is not the program's: 1\n\
             __libc_single_threaded: base 1, new 0\n\
             dlclose: 0 0 0\n",
        )
    }

    /// A new namespace does not see the program's symbols: `dlsym(RTLD_DEFAULT)` from inside
    /// finds its own objects' definitions only.
    fn symbol_isolation() -> Run {
        dlmopen("isolation").expect_stdout(
            "RTLD_DEFAULT from the base namespace finds main_only_symbol: 1\n\
             RTLD_DEFAULT from a new namespace finds main_only_symbol: 0\n\
             RTLD_DEFAULT from a new namespace finds its own bump: 1\n\
             dlsym(new handle, main_only_symbol): (nil), ./libstate.so: undefined symbol: main_only_symbol\n",
        )
    }

    /// `dlmopen` into a namespace in use shares the objects already there; `dlopen` from a
    /// library of a namespace opens into that namespace; `LM_ID_BASE` is the program's.
    fn existing_namespace() -> Run {
        dlmopen("existing").expect_stdout(
            "libother joined namespace 1\n\
             bump 1, then through libother 2\n\
             libother in the base namespace: 0, its bump 1\n\
             dlopen from inside namespace 1: the same object 1, namespace 1\n\
             dlmopen(LM_ID_BASE): namespace 0, the base copy 1\n",
        )
    }

    /// glibc's texts for a namespace that is not in use, out of range or negative, for a
    /// `NULL` file or `RTLD_GLOBAL` with `LM_ID_NEWLM`, and for a mode with neither
    /// `RTLD_LAZY` nor `RTLD_NOW`; a failed `dlmopen` leaves its new namespace free.
    fn refused_arguments() -> Run {
        dlmopen("errors").expect_stdout(
            "dlmopen(1, ./libtiny.so, 0x2): NULL, ./libtiny.so: invalid target namespace in dlmopen(): Invalid argument\n\
             dlmopen(7, ./libtiny.so, 0x2): NULL, ./libtiny.so: invalid target namespace in dlmopen(): Invalid argument\n\
             dlmopen(-5, ./libtiny.so, 0x2): NULL, ./libtiny.so: invalid target namespace in dlmopen(): Invalid argument\n\
             dlmopen(100, ./libtiny.so, 0x2): NULL, ./libtiny.so: invalid target namespace in dlmopen(): Invalid argument\n\
             dlmopen(-1, NULL, 0x2): NULL, invalid namespace: Invalid argument\n\
             dlmopen(-1, ./libtiny.so, 0x102): NULL, invalid mode: Invalid argument\n\
             dlmopen(-1, ./libtiny.so, 0): NULL, ./libtiny.so: invalid mode for dlopen(): Invalid argument\n\
             dlmopen(-1, ./libmissing.so, 0x2): NULL, ./libmissing.so: cannot open shared object file: No such file or directory\n\
             the namespace after a failed dlmopen: 1\n\
             dlmopen(1, ./libmissing.so, 0x1): NULL, ./libmissing.so: cannot open shared object file: No such file or directory\n",
        )
    }

    /// `dlclose` of a namespace's last object empties it: it refuses `dlmopen` into it, and
    /// the next `LM_ID_NEWLM` takes its number again.
    fn emptied_namespace_reused() -> Run {
        dlmopen("reuse").expect_stdout(
            "namespaces 1 2\n\
             dlclose of the first: 0\n\
             dlmopen(1, ./libtiny.so, 0x2): NULL, ./libtiny.so: invalid target namespace in dlmopen(): Invalid argument\n\
             the next new namespace: 1\n\
             into namespace 2 again: the same object 1\n\
             all closed, the next new namespace: 1\n",
        )
    }

    /// `dl_iterate_phdr` lists the caller's namespace (the loader through its stand-in there);
    /// `dladdr` and `dladdr1` find objects of any namespace.
    fn iterate_and_dladdr() -> Run {
        dlmopen("iterate").expect_stdout(
            "dl_iterate_phdr from namespace 1: libother.so libstate.so libc.so.6 <loader>\n\
             dl_iterate_phdr from namespace 0: <main> linux-vdso.so.1 libc.so.6 <loader> libstate.so\n\
             dladdr1(bump of namespace 1): libstate.so bump, its map is the handle 1, address 1\n\
             dladdr(printf of namespace 1): libc.so.6 _IO_printf, not the program's libc 1\n",
        )
    }

    /// Sixteen namespaces at most, the base one included; closing them frees them all.
    fn at_most_sixteen() -> Run {
        dlmopen("exhaust").expect_stdout(
            "new namespaces: 15, the last 15; then: ./libtiny.so: no more namespaces available for dlmopen(): Invalid argument\n\
             after closing them all: 1\n",
        )
    }

    /// The debugger's view through `DT_DEBUG`: `r_version` 1 with one namespace, 2 once there
    /// are more, with one `r_debug` per namespace chained by `r_next`, each listing its
    /// namespace's objects; an emptied namespace stays in the chain with no objects.
    fn r_debug_chain() -> Run {
        dlmopen("rdebug").expect_stdout(
            "r_version 1\n\
             \x20 r_state 0, r_brk is the base one's 1, r_ldbase 1: <main> linux-vdso.so.1 libc.so.6 <loader>\n\
             r_version 2\n\
             \x20 r_state 0, r_brk is the base one's 1, r_ldbase 1: <main> linux-vdso.so.1 libc.so.6 <loader>\n\
             \x20 r_state 0, r_brk is the base one's 1, r_ldbase 1: libother.so libstate.so libc.so.6 <loader>\n\
             \x20 r_state 0, r_brk is the base one's 1, r_ldbase 1: libtiny.so\n\
             r_version 2\n\
             \x20 r_state 0, r_brk is the base one's 1, r_ldbase 1: <main> linux-vdso.so.1 libc.so.6 <loader>\n\
             \x20 r_state 0, r_brk is the base one's 1, r_ldbase 1: libother.so libstate.so libc.so.6 <loader>\n\
             \x20 r_state 0, r_brk is the base one's 1, r_ldbase 1: (empty)\n",
        )
    }

    /// With the default tunables, eleven namespaces with a C library of their own fit: each
    /// libc needs room for its initial-exec TLS in the static TLS surplus, and the twelfth
    /// finds none (glibc's error).
    fn static_tls_for_libcs() -> Run {
        dlmopen("libcs").expect_stdout(
            "C libraries in new namespaces: 11, then: /lib/x86_64-linux-gnu/libc.so.6: cannot allocate \
             memory in static TLS block\n",
        )
    }

    /// `glibc.rtld.nns=8` makes the surplus larger: all fifteen fit.
    fn static_tls_sized_by_nns() -> Run {
        dlmopen("libcs")
            .env("GLIBC_TUNABLES", "glibc.rtld.nns=8")
            .expect_stdout("C libraries in new namespaces: all 15\n")
    }

    /// `glibc.rtld.optional_static_tls=0` makes it smaller: eight fit.
    fn static_tls_sized_by_optional() -> Run {
        dlmopen("libcs")
            .env("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=0")
            .expect_stdout(
                "C libraries in new namespaces: 8, then: /lib/x86_64-linux-gnu/libc.so.6: cannot allocate \
                 memory in static TLS block\n",
            )
    }

    /// The program's `DT_RPATH` is searched for what an object of any namespace needs, though
    /// `RTLD_DI_SERINFO` lists it for the base namespace only; the `DT_RPATH` chain of what a
    /// `dlopen`ed object needs does not lead back to its caller.
    fn program_rpath_in_every_namespace() -> Run {
        let built = fixtures::dlmopen();
        Run::new(built.path("rpath"))
            .arg(built.dir())
            .timeout(TIMEOUT)
            .expect_exit(Exit::Code(0))
            .expect_stdout(
                "new namespace: loaded, (none)\n\
                 RTLD_DI_SERINFO in the new namespace: 4 directories\n\
                 base namespace: loaded, (none)\n\
                 RTLD_DI_SERINFO in the base namespace: 5 directories\n",
            )
    }
}
