//! The dl* family in programs linked with glibc: libc's dlopen, dlsym, dlvsym, dlclose,
//! dlerror, dladdr, dladdr1, dlinfo and dl_iterate_phdr reach the loader through
//! `_rtld_global_ro` (dl_open, dl_close, dl_lookup_symbol_x, ...) and read its link maps; C++
//! unwinding finds dlopened objects; libc dlopens NSS and gconv modules itself.
//!
//! Each program (`fixtures/libc_dl/`) takes the case's directory as its first argument and
//! changes into it, so libraries are opened as `./libX.so` and dlerror() texts, printed
//! verbatim, name them the same way under both loaders. Each expected text is glibc's
//! observed behaviour, checked on glibc's run first.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::time::Duration;

/// These programs finish in milliseconds; a loader that hangs should not hold the suite.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A run of one `libc_dl` program in one mode.
fn dl(program: &str, mode: &str) -> Run {
    let built = fixtures::libc_dl();
    Run::new(built.path(program))
        .arg(built.dir())
        .arg(mode)
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
}

/// libplain.so's constructor and destructor lines.
const PLAIN_CTOR: &str = "libplain: constructor (counter=0)\n";

both_ways! {
    /// dlopen(RTLD_LAZY) of a library: constructor, a function and data through dlsym,
    /// destructor at exit.
    fn open_lazy() -> Run {
        dl("open", "lazy").expect_stdout(
            "libplain: constructor (counter=0)\nRTLD_LAZY: plain_value()=42 plain_data=7\n\
             libplain: destructor (counter=0)\n",
        )
    }

    /// The same with RTLD_NOW.
    fn open_now() -> Run {
        dl("open", "now").expect_stdout(
            "libplain: constructor (counter=0)\nRTLD_NOW: plain_value()=42 plain_data=7\n\
             libplain: destructor (counter=0)\n",
        )
    }

    /// RTLD_LAZY of a library with an unresolvable PLT call that is never made: it loads.
    fn open_lazy_with_undefined_function() -> Run {
        dl("open", "lazy-undefined").expect_stdout("RTLD_LAZY: dlopen succeeded, lazy_ok()=11\n")
    }

    /// RTLD_NOW of the same library fails with glibc's text; nothing stays loaded, and a
    /// later RTLD_LAZY dlopen of it succeeds.
    fn open_now_with_undefined_function_fails() -> Run {
        dl("open", "now-undefined").expect_stdout(
            "RTLD_NOW: dlopen failed: ./liblazy.so: undefined symbol: missing_function\n\
             RTLD_NOW: liblazy.so loaded after the failure: 0\n\
             then RTLD_LAZY: dlopen succeeded, lazy_ok()=11\n",
        )
    }

    /// RTLD_NOLOAD: NULL (and no error) before the object is loaded, its handle after.
    fn open_noload() -> Run {
        dl("open", "noload").expect_stdout(
            "NOLOAD before: NULL, dlerror: (none)\nlibplain: constructor (counter=0)\n\
             NOLOAD after: handle, same handle: 1\nlibplain: destructor (counter=0)\n",
        )
    }

    /// RTLD_NODELETE: dlclose leaves the object loaded with its data; its destructor runs
    /// at exit.
    fn open_nodelete() -> Run {
        dl("open", "nodelete").expect_stdout(
            "libplain: constructor (counter=0)\ncounter before dlclose: 2\ndlclose: 0\n\
             NOLOAD after dlclose: handle, same handle: 1\ncounter after dlclose: 3\n\
             libplain: destructor (counter=3)\n",
        )
    }

    /// dlopen(NULL): the program's handle; dlsym on it finds the program's exports, libc's
    /// functions and RTLD_GLOBAL objects' symbols, not RTLD_LOCAL ones.
    fn open_null_is_the_program() -> Run {
        dl("open", "self").expect_stdout(
            "dlsym(self, program_value) is &program_value: 1, value 5\ndlsym(self, puts) is puts: 1\n\
             dlopen(NULL) twice gives the same handle: 1\n\
             dlsym(self) sees a RTLD_LOCAL object's symbol: 0\nlibplain: constructor (counter=0)\n\
             dlsym(self) sees a RTLD_GLOBAL object's symbol: 1, plain_value()=42\n\
             libplain: destructor (counter=0)\n",
        )
    }

    /// Opened twice (one object, one constructor run), closed once: still loaded, its
    /// functions and data still usable.
    fn open_twice_close_once() -> Run {
        dl("open", "refcount").expect_stdout(
            "libplain: constructor (counter=0)\nsame handle: 1\ndlclose once: 0\nstill loaded: 1\n\
             plain_bump()=2 through the old pointer, 3 through a new dlsym\n\
             libplain: destructor (counter=3)\n",
        )
    }

    /// One file opened by a relative and by an absolute path (no soname to match): glibc
    /// recognises the same file (device and inode) and returns the same handle.
    fn open_same_file_by_two_paths() -> Run {
        dl("open", "same-file").expect_stdout(
            "libplain: constructor (counter=0)\nsame handle: 1\nplain_bump()=1 then 2\n\
             libplain: destructor (counter=2)\n",
        )
    }

    /// RTLD_LOCAL: the object's symbols are reachable through its handle only, not through
    /// RTLD_DEFAULT nor by a library dlopened later (whose RTLD_NOW load then fails).
    fn scope_local() -> Run {
        dl("scope", "local").expect_stdout(
            "dlsym(handle, provider_value)()=99\ndlsym(RTLD_DEFAULT, provider_value): NULL\n\
             dlopen(libuser.so, RTLD_NOW) failed: ./libuser.so: undefined symbol: provider_value\n",
        )
    }

    /// RTLD_GLOBAL: the object's symbols are found by RTLD_DEFAULT and bind a library
    /// dlopened later.
    fn scope_global() -> Run {
        dl("scope", "global").expect_stdout(
            "dlsym(RTLD_DEFAULT, provider_value): libprovider's\n\
             dlopen(libuser.so, RTLD_NOW) succeeded, user_call()=100\n",
        )
    }

    /// An object opened RTLD_LOCAL, then again with RTLD_NOLOAD | RTLD_GLOBAL, joins the
    /// global scope.
    fn scope_promoted_to_global() -> Run {
        dl("scope", "promote").expect_stdout(
            "RTLD_NOLOAD | RTLD_GLOBAL gives the same handle: 1\n\
             dlsym(RTLD_DEFAULT, provider_value): libprovider's\n\
             dlopen(libuser.so, RTLD_NOW) succeeded, user_call()=100\n",
        )
    }

    /// A dlopened object's DT_NEEDED closure (a diamond, found through its RUNPATH $ORIGIN)
    /// is loaded with it, in its local scope: dlsym on its handle finds a dependency's
    /// symbol, RTLD_DEFAULT does not.
    fn deps_loaded_with_the_object() -> Run {
        dl("deps", "loaded").expect_stdout(
            "before: libdep_base.so=0 libdep_left.so=0 libdep_right.so=0 libdep_top.so=0\n\
             libdep_base: constructor\nlibdep_right: constructor\nlibdep_left: constructor\n\
             libdep_top: constructor\n\
             after: libdep_base.so=1 libdep_left.so=1 libdep_right.so=1 libdep_top.so=1\n\
             top_value()=112\ndlsym(top, base_value)()=1\ndlsym(RTLD_DEFAULT, base_value) found: 0\n\
             libdep_left.so's l_name basename: libdep_left.so\nlibdep_top: destructor\n\
             libdep_left: destructor\nlibdep_right: destructor\nlibdep_base: destructor\n",
        )
    }

    /// Constructors of a dlopened object and its dependencies run dependencies first (in
    /// glibc's order), once; destructors run at exit in the reverse order.
    fn deps_constructor_order() -> Run {
        dl("deps", "ctors").expect_stdout(
            "main: dlopen libdep_top.so\nlibdep_base: constructor\nlibdep_right: constructor\n\
             libdep_left: constructor\nlibdep_top: constructor\nmain: dlopen libdep_left.so again\n\
             main: top_value()=112, returning\nlibdep_top: destructor\nlibdep_left: destructor\n\
             libdep_right: destructor\nlibdep_base: destructor\n",
        )
    }

    /// Part of the closure already loaded by an earlier dlopen: only the new objects'
    /// constructors run.
    fn deps_partly_loaded_already() -> Run {
        dl("deps", "partial").expect_stdout(
            "main: dlopen libdep_left.so\nlibdep_base: constructor\nlibdep_left: constructor\n\
             main: dlopen libdep_top.so\nlibdep_right: constructor\nlibdep_top: constructor\n\
             main: top_value()=112, returning\nlibdep_top: destructor\nlibdep_left: destructor\n\
             libdep_right: destructor\nlibdep_base: destructor\n",
        )
    }

    /// dlsym(RTLD_DEFAULT): libc's functions, the program's exports, and a RTLD_GLOBAL
    /// object's symbols once it is loaded.
    fn dlsym_default() -> Run {
        dl("sym", "default").expect_stdout(
            "puts: 1\nprogram_value: 1\nplain_value before dlopen: 0\nlibplain: constructor (counter=0)\n\
             plain_value after RTLD_GLOBAL dlopen: 1, is the handle's: 1, value 42\n\
             libplain: destructor (counter=0)\n",
        )
    }

    /// dlsym(handle) searches the object and its dependencies only: libc's puts is found
    /// through libplain.so, the program's export is not.
    fn dlsym_handle_scope() -> Run {
        dl("sym", "handle").expect_stdout(
            "libplain: constructor (counter=0)\ndlsym(plain, plain_value)()=42\n\
             dlsym(plain, puts) is puts (libc is its dependency): 1\n\
             dlsym(plain, program_value) (not in its scope): NULL\n\
             dlsym(libc handle, getenv) is getenv: 1\nlibplain: destructor (counter=0)\n",
        )
    }

    /// dlsym of a dlopened object's __thread variables (dynamic TLS) from the main thread and
    /// four others: each thread gets its own block with the initial image, zeroed .tbss and
    /// 64-byte alignment, the same address the library computes.
    fn dlsym_tls_from_threads() -> Run {
        dl("sym", "tls").expect_stdout(
            "main: library's view=1 initial=100 name=initial zeroed=0 aligned=1 after=101\n\
             thread 0: library's view=1 initial=100 name=initial zeroed=0 aligned=1 after=110\n\
             thread 1: library's view=1 initial=100 name=initial zeroed=0 aligned=1 after=120\n\
             thread 2: library's view=1 initial=100 name=initial zeroed=0 aligned=1 after=130\n\
             thread 3: library's view=1 initial=100 name=initial zeroed=0 aligned=1 after=140\n\
             every thread has its own tls_counter: 1\nmain's tls_counter is still 101\n",
        )
    }

    /// dlsym of an IFUNC symbol returns the function its resolver picked, the value in the
    /// library's own GOT; libc's strlen through dlsym equals the program's GOT entry.
    fn dlsym_ifunc() -> Run {
        dl("sym", "ifunc").expect_stdout(
            "choice()=2 through dlsym\ndlsym(choice) is the library's GOT value: 1\n\
             dlsym(choice) is not the resolver: 1\n\
             libc strlen through dlsym: 11, same as the program's GOT: 1\n",
        )
    }

    /// dlvsym picks ver_foo@V1 and ver_foo@V2, dlsym the default; a missing version is an
    /// error with glibc's text; libc's two memcpy versions are both found.
    fn dlvsym_versions() -> Run {
        dl("sym", "vsym").expect_stdout(
            "ver_foo@V1()=1 ver_foo@V2()=2 dlsym: 2\n\
             ver_foo@V3: NULL, dlerror: ./libdlver.so: undefined symbol: ver_foo, version V3\n\
             memcpy@GLIBC_2.2.5 and memcpy@GLIBC_2.14 found: 1, copied \"oldnew\"\n",
        )
    }

    /// RTLD_NEXT walks the global scope from the caller's object: program > libnext_a >
    /// libnext_b > none; from the program, puts is libc's.
    fn dlsym_next_chain() -> Run {
        dl("next", "chain").expect_stdout(
            "chain: program > a > b > end\ndlsym(RTLD_NEXT, puts) from the program is libc's puts: 1\n",
        )
    }

    /// The program interposes malloc and free and forwards to dlsym(RTLD_NEXT) (libc's);
    /// its calls and libc's internal ones (strdup) go through the interposer.
    fn dlsym_next_malloc_interposer() -> Run {
        dl("next_malloc", "count").expect_stdout(
            "real malloc and free found: 1\nreal malloc is libc's: 1\n\
             the program's mallocs counted: 3, frees counted: 3\nstrdup: duplicate, counted: 1\n",
        )
    }

    /// The last dlclose runs the destructor (before dlclose returns) and unloads the object.
    fn dlclose_runs_destructor() -> Run {
        dl("close", "dtor").expect_stdout(
            "libplain: constructor (counter=0)\nmain: dlclose\nlibplain: destructor (counter=0)\n\
             main: dlclose returned 0\nmain: still loaded: 0\nmain: returning\n",
        )
    }

    /// dlclose of an object with dependencies: their destructors run too, top first, and
    /// they are unloaded.
    fn dlclose_unloads_dependencies() -> Run {
        dl("close", "deps").expect_stdout(
            "libdep_base: constructor\nlibdep_right: constructor\nlibdep_left: constructor\n\
             libdep_top: constructor\nmain: dlclose\nlibdep_top: destructor\nlibdep_left: destructor\n\
             libdep_right: destructor\nlibdep_base: destructor\nmain: dlclose returned 0\n\
             main: libdep_base.so still loaded: 0\nmain: returning\n",
        )
    }

    /// An object closed and opened again is mapped afresh: its constructor runs again and its
    /// data has its initial value.
    fn dlclose_then_reopen() -> Run {
        dl("close", "reopen").expect_stdout(
            "libplain: constructor (counter=0)\nmain: counter=3, dlclose\n\
             libplain: destructor (counter=3)\nmain: dlopen again\nlibplain: constructor (counter=0)\n\
             main: counter=1 after reopening\nmain: returning\nlibplain: destructor (counter=1)\n",
        )
    }

    /// dlerror texts for a name found nowhere and a path that does not exist; dlerror is
    /// NULL when there is no error and after it has been read.
    fn dlerror_missing_file() -> Run {
        dl("errors", "missing-file").expect_stdout(
            "dlerror with no error: (none)\n\
             libdoes-not-exist.so: cannot open shared object file: No such file or directory\n\
             ./nowhere/libplain.so: cannot open shared object file: No such file or directory\n\
             dlerror after reading it: (none)\n",
        )
    }

    /// dlerror texts for files that are not ELF objects: text, an empty file, a directory.
    fn dlerror_not_elf() -> Run {
        dl("errors", "not-elf").expect_stdout(
            "./.stamp: invalid ELF header\n./.lock: file too short\n\
             ./: cannot read file data: Is a directory\n",
        )
    }

    /// dlsym of an undefined name in a handle: NULL and glibc's text, once.
    fn dlerror_missing_symbol() -> Run {
        dl("errors", "missing-symbol").expect_stdout(&format!(
            "{PLAIN_CTOR}dlsym: NULL\ndlerror: ./libplain.so: undefined symbol: no_such_symbol\n\
             dlerror again: (none)\na successful dlsym leaves no error: 1 (none)\n\
             libplain: destructor (counter=0)\n"
        ))
    }

    /// dlsym(RTLD_DEFAULT) of an undefined name: the text names the program (argv[0]).
    fn dlerror_missing_symbol_default() -> Run {
        let program = fixtures::libc_dl().path("errors");
        dl("errors", "missing-default").expect_stdout(&format!(
            "dlsym: NULL\ndlerror: {}: undefined symbol: no_such_symbol\n",
            program.display()
        ))
    }

    /// dlclose of a handle that is not open (a zeroed link map): -1, "shared object not open".
    fn dlerror_dlclose_bad_handle() -> Run {
        dl("errors", "bad-close").expect_stdout("dlclose: -1\ndlerror: shared object not open\n")
    }

    /// dladdr on libc functions (exact and inside), on the program's and a dlopened
    /// library's symbols, and on an address in no object.
    fn dladdr_names() -> Run {
        let mut expected = String::new();
        for name in ["puts", "strtol", "qsort", "getenv", "malloc", "pthread_create"] {
            expected.push_str(&format!(
                "{name}: dli_sname={name} dli_fname basename=libc.so.6 exact=1\n\
                 {name}+1: dli_sname={name} dli_fname basename=libc.so.6 exact=0\n"
            ));
        }
        expected.push_str(
            "program_function: dli_sname=program_function dli_fname basename=addr exact=1\n\
             libplain: constructor (counter=0)\n\
             plain_value: dli_sname=plain_value dli_fname basename=libplain.so exact=1\n\
             plain_data: dli_sname=plain_data dli_fname basename=libplain.so exact=1\n\
             a stack address: dladdr found nothing\nlibplain: destructor (counter=0)\n",
        );
        dl("addr", "dladdr").expect_stdout(&expected)
    }

    /// dladdr1 with RTLD_DL_LINKMAP (the map is the object's handle) and RTLD_DL_SYMENT.
    fn dladdr1_linkmap_and_syment() -> Run {
        dl("addr", "dladdr1").expect_stdout(
            "getenv: link map libc.so.6, is libc's handle: 1\n\
             getenv: symbol entry type FUNC=1, sized=1, value matches=1\n\
             libplain: constructor (counter=0)\nplain_data: link map libplain.so, is the handle: 1\n\
             plain_data: symbol entry type OBJECT=1 size=4\nlibplain: destructor (counter=0)\n",
        )
    }

    /// dlinfo: RTLD_DI_LINKMAP (the handle), RTLD_DI_ORIGIN (glibc's "<cwd>/." for
    /// "./libplain.so"), RTLD_DI_TLS_MODID and RTLD_DI_TLS_DATA (NULL until the thread uses
    /// the block).
    fn dlinfo_linkmap_origin_tls() -> Run {
        dl("addr", "dlinfo").expect_stdout(
            "libplain: constructor (counter=0)\nRTLD_DI_LINKMAP: 0\n\
             l_name basename: libplain.so, map is the handle: 1\nRTLD_DI_ORIGIN: 0\norigin: <cwd>/.\n\
             libplain.so RTLD_DI_TLS_MODID: 0 modid=99\nlibdltls.so has a TLS module id: 1\n\
             libdltls.so RTLD_DI_TLS_DATA (not yet used by this thread): 0 NULL\n\
             after dlsym of a TLS variable: allocated, tls_counter at offset 32 of it\n\
             libplain: destructor (counter=0)\n",
        )
    }

    /// The link-map list in glibc's order: program, vDSO, libc, loader, then dlopened objects.
    fn link_map_chain_order() -> Run {
        dl("addr", "chain").expect_stdout(
            "libplain: constructor (counter=0)\nlink maps: <main> <vdso> libc.so.6 <loader> libplain.so\n\
             libplain: destructor (counter=0)\n",
        )
    }

    /// The dynamic sections of loaded objects hold relocated pointers (glibc adjusts DT_SYMTAB,
    /// DT_STRTAB, ... in place by l_addr), as programs walking l_ld expect.
    fn link_map_dynamic_relocated() -> Run {
        dl("addr", "l_ld").expect_stdout(
            "libc.so.6: DT_STRTAB relocated=1 DT_SYMTAB relocated=1 DT_GNU_HASH relocated=1\n\
             libc.so.6: dynamic string table names libc.so.6: 1\n",
        )
    }

    /// dl_iterate_phdr: every object once, the program first; names (sorted), header counts
    /// and TLS. The loader and the vDSO are shown by role.
    fn dl_iterate_phdr_list() -> Run {
        dl("phdr", "list").expect_stdout(
            "objects: 4, the first is the program: 1\n  <loader>\n  <main> tls=0\n  <vdso>\n  \
             libc.so.6 phnum=14 tls=1\n",
        )
        // Debian 13's libc.so.6 has one more program header (a third PT_NOTE).
        .expect_stdout_in(
            "trixie",
            "objects: 4, the first is the program: 1\n  <loader>\n  <main> tls=0\n  <vdso>\n  \
             libc.so.6 phnum=15 tls=1\n",
        )
    }

    /// dl_iterate_phdr after a dlopen: one more object, last, with TLS; dlpi_adds counts the
    /// load, dlpi_subs does not change.
    fn dl_iterate_phdr_after_dlopen() -> Run {
        dl("phdr", "dlopen").expect_stdout(
            "objects: 1 more; dlpi_adds: 1 more; dlpi_subs: 0 more\nlast: libdltls.so phnum=10 tls=1\n",
        )
    }

    /// C++ exceptions thrown out of a dlopened library, caught in the program by type
    /// (std::runtime_error, int, a class whose typeinfo both define), and one thrown by the
    /// program through the library's frames (whose destructor runs).
    fn cxx_exception_from_dlopened_library() -> Run {
        dl("throw", "cxx").expect_stdout(
            "caught std::runtime_error: runtime_error from the dlopened library\ncaught int 42\n\
             caught DlError: DlError from the dlopened library code=7\n\
             libdlthrow: guard destroyed during unwinding\n\
             caught through the library: thrown by the program code=99\n",
        )
    }

    /// A C program dlopens the C++ library, which brings libstdc++ (and its TLS) in at run
    /// time; an exception thrown and caught inside the library.
    fn cxx_runtime_loaded_by_dlopen() -> Run {
        dl("throw_c", "c").expect_stdout(
            "libstdc++ loaded before: 0\nlibstdc++ loaded after: 1\n\
             dl_catch_inside: 25 \"caught inside the library\"\n",
        )
    }

    /// getpwnam/getpwuid/getgrgid of root through NSS's files service (built into libc).
    fn nss_root() -> Run {
        dl("nss", "root").expect_stdout("getpwnam(root): root uid=0 dir=/root\ngetpwuid(0): root\ngetgrgid(0): root\n")
    }

    /// getpwnam of an unknown user falls through to the "systemd" service, whose module
    /// libc dlopens itself (__libc_dlopen_mode).
    fn nss_module_dlopened_by_libc() -> Run {
        dl("nss", "missing").expect_stdout(
            "getpwnam(ld-rs-no-such-user): NULL\nlibnss_systemd.so.2 loaded: 1\n\
             getpwnam(root) afterwards: /root\n",
        )
    }

    /// getprotobyname/getservbyname: the "db" service's module does not exist (libc's
    /// dlopen fails, quietly), then "files" answers.
    fn nss_missing_module() -> Run {
        dl("nss", "protocol").expect_stdout("getprotobyname(tcp): tcp 6\ngetservbyname(ssh, tcp): 22\n")
    }

    /// iconv_open of charsets converted by gconv modules, which libc dlopens; an unknown
    /// charset fails with EINVAL.
    fn iconv_gconv_modules() -> Run {
        dl("iconv", "convert").expect_stdout(
            "UTF-8 -> ISO-8859-2: module ISO8859-2.so loaded before: 0\n  iconv: 0, bytes: 5a 61 bf f3 b3 e6\n  \
             module loaded after: 1, iconv_close: 0\nUTF-8 -> EBCDIC-US: module EBCDIC-US.so loaded before: 0\n  \
             iconv: 0, bytes: c9 c2 d4\n  module loaded after: 1, iconv_close: 0\n\
             ISO-8859-2 -> UTF-16LE: module ISO8859-2.so loaded before: 1\n  iconv: 0, bytes: 05 01 5b 01\n  \
             module loaded after: 1, iconv_close: 0\niconv_open(NO-SUCH-CHARSET): Invalid argument\n",
        )
    }

    /// The loader's `_dl_exception_create_format` (GLIBC_PRIVATE; glibc's
    /// elf/tst-create_format1): `%s`, `%%`, `%x` padded to 8 digits, `%lx` and `%zx` to 16,
    /// NULL object names as "", arguments passed on the stack.
    fn exception_create_format() -> Run {
        dl("exc_format", "formats").expect_stdout(
            "[text] []\n[text-after] [libobj.so]\n[100% sure%] []\n[0000007b] [obj]\n\
             [deadbeef-00000000] []\n[fffffffffffffffd|fffffffffffffffe] []\n\
             [a bb ccc last 00000001 0000123456789abc 0000000000000007 ffffffff] [o]\n\
             [no conversion at all] []\n[] []\n",
        )
    }

    /// A conversion it does not know is a fatal error: one line, status 127.
    fn exception_create_format_invalid() -> Run {
        dl("exc_format", "invalid")
            .expect_stdout("child exited with 127\n")
            .expect_stderr_contains("Fatal error: invalid format in exception string\n")
    }

    /// RTLD_NOLOAD matches the objects loaded by file identity, as glibc (elf/noload): another
    /// path or a symbolic link to a loaded library finds it; a library found but not loaded
    /// gives NULL without an error; a name found nowhere is an error.
    fn noload_by_file_identity() -> Run {
        dl("noload", "identity").expect_stdout(
            "RTLD_NOLOAD ./libplain.so: NULL, dlerror: (none)\n\
             libplain: constructor (counter=0)\n\
             RTLD_NOLOAD ./libplain.so: found, dlerror: (none)\n\
             RTLD_NOLOAD ../libc_dl/libplain.so: found, dlerror: (none)\n\
             RTLD_NOLOAD through a symbolic link: found, same handle: 1\n\
             RTLD_NOLOAD ./liblazy.so: NULL, dlerror: (none)\n\
             RTLD_NOLOAD libdoes-not-exist.so: NULL, dlerror: libdoes-not-exist.so: cannot open shared \
             object file: No such file or directory\n\
             libplain: destructor (counter=0)\n",
        )
    }
}
