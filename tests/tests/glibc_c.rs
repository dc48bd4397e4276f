//! C programs linked with glibc (libc.so.6, libm): the loader must run libc itself — its
//! TLS and TCB, its IRELATIVE/IFUNC string functions, its `_rtld_global(_ro)` interface, the
//! program's and libraries' constructors and destructors through libc's start and exit.
//!
//! Every program prints only deterministic text (no addresses, pids or timings); each
//! expected text is glibc's observed behaviour, checked on glibc's run first.

use ld_rs_tests::elf::{assert_relocations, readelf};
use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::time::Duration;

/// These programs finish in milliseconds; a loader that hangs should not hold the suite.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A run of one `libc_basic` program.
fn basic(program: &str) -> Run {
    Run::new(fixtures::libc_basic().path(program)).timeout(TIMEOUT)
}

/// A run of one `libc_dso` program, with libdata.so found through LD_LIBRARY_PATH.
fn dso(program: &str) -> Run {
    let built = fixtures::libc_dso();
    Run::new(built.path(program))
        .env("LD_LIBRARY_PATH", built.dir())
        .timeout(TIMEOUT)
}

/// What `libc_dso/main.c` prints (the same as a PIE and as a non-PIE program).
const DSO_STDOUT: &str = "\
libdata: constructor value=10 name=libdata
main: constructor value=10
main: value=10 name=libdata label=table label
main: library reads value=20
main: after bump value=25 entries[3]=104 sum=110
main: lib_value_ptr is &lib_value=1
main: destructor value=25
libdata: destructor value=25 sum=110
";

/// A run of `libc_tls/main` against one build of libtls.so (`gd`, `desc` or `ie`).
fn tls_library(variant: &str) -> Run {
    let built = fixtures::libc_tls();
    Run::new(built.path("main"))
        .env("LD_LIBRARY_PATH", built.path(variant))
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
        .expect_stdout(TLS_LIBRARY_STDOUT)
}

/// What `libc_tls/main.c` prints, whichever TLS model the library was built with.
const TLS_LIBRARY_STDOUT: &str = "\
main: lib_tls=7 name=lib-init bss=0 main_tls=21
main: &lib_tls is the library's=1
library: lib_tls=7 name=lib-init bss=0 hidden=1000 aligned=3 aligned ok=1
library after bump: lib_tls=8 name=lib-bumped bss=2 hidden=1001 aligned=3 aligned ok=1
main: lib_tls=108 name=lib-bumped bss=5 main_tls=22
library after main's writes: lib_tls=108 name=lib-bumped bss=5 hidden=1001 aligned=3 aligned ok=1
";

/// Guards the meaning of the COPY test: the non-PIE program really copies libdata's data.
#[test]
fn nonpie_program_has_copy_relocations() {
    assert_relocations(&[&fixtures::libc_dso().path("main_nopie")], &["R_X86_64_COPY"]);
}

/// Guards the meaning of the TLS tests: each libtls.so build uses the access model it is
/// named after, and the program reaches the library's variables with TPOFF64 (initial-exec).
#[test]
fn tls_libraries_use_their_models() {
    let built = fixtures::libc_tls();
    assert_relocations(
        &[&built.path("gd/libtls.so")],
        &["R_X86_64_DTPMOD64", "R_X86_64_DTPOFF64"],
    );
    assert_relocations(&[&built.path("desc/libtls.so")], &["R_X86_64_TLSDESC"]);
    assert_relocations(&[&built.path("ie/libtls.so")], &["R_X86_64_TPOFF64"]);
    let dynamic = readelf("-d", &built.path("ie/libtls.so"));
    assert!(
        dynamic.contains("STATIC_TLS"),
        "ie/libtls.so lacks DF_STATIC_TLS:\n{dynamic}"
    );
    assert_relocations(&[&built.path("main")], &["R_X86_64_TPOFF64"]);
}

both_ways! {
    /// printf and puts on stdout (a pipe: fully buffered, flushed at exit), fputs on stderr.
    fn hello_printf_puts() -> Run {
        basic("hello")
            .expect_exit(Exit::Code(0))
            .expect_stdout("hello from printf: 42 text 2.50\nhello from puts\n")
            .expect_stderr_contains("hello on stderr")
    }

    /// exit(3): the status reaches the parent, stdout is flushed.
    fn exit_status_from_exit() -> Run {
        basic("status")
            .arg("exit")
            .expect_exit(Exit::Code(3))
            .expect_stdout("calling exit(3)\n")
    }

    /// Returning 5 from main: __libc_start_main passes it to exit.
    fn exit_status_from_main_return() -> Run {
        basic("status")
            .expect_exit(Exit::Code(5))
            .expect_stdout("returning 5 from main\n")
    }

    /// atexit handlers run after main returns, last registered first.
    fn atexit_handlers_in_reverse_order() -> Run {
        basic("atexit").expect_stdout(
            "main: returning\natexit: third registered\natexit: second registered\n\
             atexit: first registered\n",
        )
    }

    /// environ holds exactly the variables set for the run, envp is environ, getenv and
    /// setenv work.
    fn environ_and_getenv() -> Run {
        basic("env")
            .env("FIXTURE_GREETING", "bonjour")
            .env("FIXTURE_OTHER", "a=b=c")
            .expect_stdout(
                "environ has 2 entries, envp is environ=1\n  FIXTURE_GREETING=bonjour\n  \
                 FIXTURE_OTHER=a=b=c\ngetenv(FIXTURE_GREETING)=bonjour\n\
                 getenv(FIXTURE_MISSING)=(null)\nafter setenv: added\n",
            )
    }

    /// getauxval: AT_PAGESZ, AT_PHDR/AT_PHNUM/AT_PHENT describe the program (also as the
    /// first object of dl_iterate_phdr), AT_ENTRY and AT_RANDOM set, AT_SECURE 0.
    fn auxv_values_are_plausible() -> Run {
        basic("auxv").expect_stdout(
            "AT_PAGESZ is a power of two >= 4096: 1\nAT_PAGESZ equals sysconf(_SC_PAGESIZE): 1\n\
             AT_PHNUM is between 4 and 64: 1\nAT_PHDR holds PT_LOADs and one PT_PHDR: 1\n\
             AT_PHENT is sizeof(Elf64_Phdr): 1\n\
             the first object of dl_iterate_phdr is the program: 1\nAT_ENTRY is set: 1\n\
             AT_RANDOM is set: 1\nAT_SECURE is 0: 1\n",
        )
    }

    /// argc and argv reach main (an empty argument and one with a space included).
    fn argv_echo() -> Run {
        basic("argv")
            .arg("first")
            .arg("with space")
            .arg("")
            .arg("-x")
            .expect_stdout(
                "argc=5\nargv[0] basename=argv\nargv[1]=[first]\nargv[2]=[with space]\n\
                 argv[3]=[]\nargv[4]=[-x]\nargv[argc] is NULL: 1\n",
            )
    }

    /// libm.so.6 (a second glibc library, with its own IFUNCs): sin, cos, exp, log, sqrt,
    /// pow, atan2, floor/ceil, sinf/expf.
    fn libm_functions() -> Run {
        basic("math").expect_stdout(
            "sin(0.5)=0.479426\ncos(0.5)=0.877583\nexp(0.5)=1.648721\nlog(10)=2.302585\n\
             sqrt(2)=1.414214\npow(2, 0.5)=1.414214\npow(1.5, 10)=57.665039\n\
             atan2(1, 1)=0.785398\nfloor(-2.5)=-3.000000 ceil(-2.5)=-2.000000\n\
             sinf(0.25)=0.247404 expf(0.25)=1.284025\n",
        )
    }

    /// setjmp/longjmp out of deep frames, sigsetjmp/siglongjmp (pointer mangling uses the
    /// pointer guard in the TCB).
    fn setjmp_longjmp() -> Run {
        basic("jmp").expect_stdout(
            "setjmp returned 0 (round 0)\nsetjmp returned 7 (round 1)\n\
             setjmp returned 7 (round 2)\nsetjmp returned 7 (round 3)\nsigsetjmp returned 0\n\
             siglongjmp(0) made sigsetjmp return nonzero\n",
        )
    }

    /// raise with a signal() handler, sigaction with SA_SIGINFO, a blocked signal delivered
    /// on unblock, and death by SIGTERM.
    fn signals_and_handlers() -> Run {
        basic("signals")
            .expect_exit(Exit::Signal(15))
            .expect_stdout(
                "SIGUSR1 handled 2 times\nsigaction: 0\n\
                 SIGUSR2 info: signo=12 si_code is SI_TKILL=1 si_pid is self=1\n\
                 while blocked: handled 2 times, pending=1\nafter unblock: handled 3 times\n\
                 old action has SA_SIGINFO and SA_RESTORER: 1\n",
            )
    }

    /// fork: the child (with a copy of the parent's TLS) prints and exits 9; the parent
    /// collects the status with waitpid.
    fn fork_and_waitpid() -> Run {
        basic("fork").expect_stdout(
            "parent: before fork\nchild: running, tls_value=12\n\
             parent: child exited=1 status=9\n",
        )
    }

    /// posix_spawn of /bin/echo (clone + exec from libc).
    fn posix_spawn_echo() -> Run {
        basic("spawn").expect_stdout("spawned echo\nposix_spawn: child exited=1 status=0\n")
    }

    /// system("echo hi") and system("exit 4") through /bin/sh.
    fn system_echo() -> Run {
        basic("spawn")
            .arg("system")
            .expect_stdout("hi\nsystem: exited=1 status=0\nsystem(exit 4): status=4\n")
    }

    /// The program's own constructors (by priority) before main, its destructors after the
    /// atexit handler, in reverse: libc runs them (glibc >= 2.34), not the loader.
    fn executable_constructors_and_destructors() -> Run {
        basic("ctor").expect_stdout(
            "ctor: priority 101\nctor: priority 200\nctor: no priority\nmain\natexit handler\n\
             dtor: no priority\ndtor: priority 200\ndtor: priority 101\n",
        )
    }

    /// A non-PIE program reading a glibc-linked library's data: COPY relocations, the
    /// library's own accesses and pointers redirected to the copies; library constructor
    /// before the program's, destructors in reverse.
    fn library_data_copy_relocation_nonpie() -> Run {
        dso("main_nopie").expect_stdout(DSO_STDOUT)
    }

    /// The same program as a PIE (data through the GOT).
    fn library_data_pie() -> Run {
        dso("main_pie").expect_stdout(DSO_STDOUT)
    }

    /// The program's own __thread variables: initial image, zeroed part, 64-byte alignment.
    fn tls_in_executable() -> Run {
        Run::new(fixtures::libc_tls().path("exe_tls"))
            .timeout(TIMEOUT)
            .expect_stdout(
                "counter=5 name=initial image aligned=99\nzeroed sum=0\n\
                 aligned is 64-byte aligned=1\ncounter=15 name=changed zeroed[3]=7\n",
            )
    }

    /// A library's __thread variables, reached by the library through __tls_get_addr
    /// (global-dynamic and local-dynamic) and by the program directly (initial-exec).
    fn tls_library_global_dynamic() -> Run {
        tls_library("gd")
    }

    /// The same library built with -mtls-dialect=gnu2: its accesses go through TLS
    /// descriptors (R_X86_64_TLSDESC).
    fn tls_library_tlsdesc() -> Run {
        tls_library("desc")
    }

    /// The same library built initial-exec (DF_STATIC_TLS): TPOFF64 in the library too.
    fn tls_library_initial_exec() -> Run {
        tls_library("ie")
    }

    /// malloc of 400 sizes (up to mmap'd chunks), realloc up and down, scrambled free,
    /// calloc zeroing.
    fn malloc_realloc_free() -> Run {
        basic("malloc").expect_stdout(
            "blocks=400 misaligned=0 corrupted=0\ntotal bytes=12610254 \
             checksum=6236056263046005376\ncalloc nonzero bytes=0\n",
        )
    }

    /// stdio to a file in the fixture directory, read back with fgets and fscanf, removed.
    fn stdio_file_roundtrip() -> Run {
        let built = fixtures::libc_basic();
        basic("file").arg(built.dir()).expect_stdout(
            "fclose after writing: 0\nread: line 1: 1 squared is 1\nread: line 2: 2 squared is 4\n\
             read: line 3: 3 squared is 9\nread: line 4: 4 squared is 16\n\
             read: line 5: 5 squared is 25\nread: last line without newline\nlines=6 eof=1\n\
             size=142\nfscanf matched 3: 1 1 1\nremove: 0\nfopen after remove fails: 1\n",
        )
    }

    /// qsort, bsearch, strtol in several bases (with ERANGE), snprintf with truncation and
    /// many conversions.
    fn qsort_strtol_snprintf() -> Run {
        basic("misc").expect_stdout(
            "sorted: -250 -7 0 3 3 8 17 42 99 1000\nbsearch 99 at index 8\n\
             words: apple apricot banana cherry fig pear\n\
             strtol(\"123\", 10)=123 rest=\"\" erange=0\n\
             strtol(\"-0x1f\", 16)=-31 rest=\"\" erange=0\n\
             strtol(\"0777\", 0)=511 rest=\"\" erange=0\n\
             strtol(\"z\", 36)=35 rest=\"\" erange=0\n\
             strtol(\"  +42abc\", 10)=42 rest=\"abc\" erange=0\n\
             strtol(\"9223372036854775808\", 10)=9223372036854775807 rest=\"\" erange=1\n\
             strtoul(ff, 16)=255 strtod(2.5e3)=2500.0 atoi(-12)=-12\n\
             snprintf wanted 18, got \"truncated-00042\"\n\
             [ab    |    cd|+5|1.234568e+04|0.0001|010|z|%|-9223372036854775808]\n",
        )
    }

    /// glibc's IFUNC-selected string functions (chosen from the CPU features the loader
    /// hands to libc) on every length up to 300 at 32 alignments, and at a page's end.
    fn ifunc_string_functions() -> Run {
        basic("strings").expect_stdout(
            "strlen sum=1444800\nstrchr sum=122176 strrchr sum=1323584 memchr sum=122240\n\
             memcmp signs=-1012 strcmp weighted signs=-16148 strncmp signs=-66\n\
             memcpy errors=0 memmove errors=0 memset errors=0\npage-end strings sum=5143\n\
             strcmp(\"abc\",\"abd\")<0=1 strcmp equal=1 memcmp(\"\\xff\",\"\\x01\")>0=1\n",
        )
    }
}
