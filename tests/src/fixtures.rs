//! The recipe of every fixture case, each built at most once per test process.
//!
//! A case has exactly one recipe, here, whichever test binaries use it: the build stamp
//! (see [`crate::build`]) then lets them share one build.

use crate::{Built, Fixture};
use std::sync::OnceLock;

/// Defines `pub fn $name() -> &'static Built`, building the recipe on first use.
macro_rules! case {
    ($($(#[$doc:meta])* fn $name:ident() $recipe:block)*) => {$(
        $(#[$doc])*
        pub fn $name() -> &'static Built {
            static BUILT: OnceLock<Built> = OnceLock::new();
            BUILT.get_or_init(|| $recipe.build())
        }
    )*};
}

case! {
    /// `libdyn.so` (data, PLT calls, a constructor) and its program as `main_pie` and
    /// `main_nopie` (whose read of `counter` is an R_X86_64_COPY), plus `main_libc` (linked
    /// with glibc, so `exit` runs the library's destructor).
    fn dynld() {
        Fixture::new("dynld")
            .lib("libdyn.so", &["libdyn.c"], &[])
            .exe("main_pie", &["main.c"], &["-pie", "-fPIE", "-L.", "-ldyn"])
            .exe("main_nopie", &["main.c"], &["-no-pie", "-fno-pic", "-L.", "-ldyn"])
            .libc_exe("main_libc", &["main.c"], &["-L.", "-ldyn"])
    }

    /// Programs without libraries that print what the loader hands to the entry point:
    /// `args` (argv, envp), `fini` (%rdx), `ctor` (an executable constructor).
    fn entry() {
        Fixture::new("entry")
            .exe("args", &["args.c"], &[])
            .exe("fini", &["fini.c"], &[])
            .exe("ctor", &["ctor.c"], &[])
    }

    /// `main` with three independent DT_NEEDED entries: libone, libtwo, libthree.
    fn needed() {
        Fixture::new("needed")
            .lib("libone.so", &["one.c"], &[])
            .lib("libtwo.so", &["two.c"], &[])
            .lib("libthree.so", &["three.c"], &[])
            .exe("main", &["main.c"], &["-L.", "-lone", "-ltwo", "-lthree"])
    }

    /// main -> libtop_a, libtop_b; both -> libbottom. `main_libc` is the glibc-linked twin.
    fn diamond() {
        let deps = ["-L.", "-ltop_a", "-ltop_b"];
        Fixture::new("diamond")
            .lib("libbottom.so", &["bottom.c"], &[])
            .lib("libtop_a.so", &["top_a.c"], &["-L.", "-lbottom"])
            .lib("libtop_b.so", &["top_b.c"], &["-L.", "-lbottom"])
            .exe("main", &["main.c"], &deps)
            .libc_exe("main_libc", &["main.c"], &deps)
    }

    /// main -> libping <-> libpong. libpong is linked twice: first alone (its reference to
    /// libping's symbol left undefined), then against libping, which needed it.
    fn cycle() {
        Fixture::new("cycle")
            .lib("libpong.so", &["pong.c"], &[])
            .lib("libping.so", &["ping.c"], &["-L.", "-lpong"])
            .lib("libpong.so", &["pong.c"], &["-L.", "-lping"])
            .exe("main", &["main.c"], &["-L.", "-lping"])
            .libc_exe("main_libc", &["main.c"], &["-L.", "-lping"])
    }

    /// `libptrs.so`, whose tables of pointers are relative relocations in `.data.rel.ro`
    /// and `.data`, and `main`, which prints them (the launch cache's unchecked replay of
    /// relative relocations).
    fn relptrs() {
        Fixture::new("relptrs")
            .lib("libptrs.so", &["ptrs.c"], &[])
            .exe("main", &["main.c"], &["-L.", "-lptrs", "-Wl,--enable-new-dtags,-rpath,$ORIGIN"])
    }

    /// Three copies of `libwhere.so` (in `lib/`, `rpath/`, `env/`, each printing its
    /// directory) and three programs: `main_runpath` (DT_RUNPATH `$ORIGIN/lib`),
    /// `main_rpath` (DT_RPATH `$ORIGIN/rpath`) and `main_plain` (neither); `legacy/` has a
    /// copy and one in the legacy capability subdirectory `x86_64/`.
    fn search() {
        Fixture::new("search")
            .lib("lib/libwhere.so", &["where.c"], &["-DWHERE=\"lib\"", "-Wl,-soname,libwhere.so"])
            .lib("rpath/libwhere.so", &["where.c"], &["-DWHERE=\"rpath\"", "-Wl,-soname,libwhere.so"])
            .lib("env/libwhere.so", &["where.c"], &["-DWHERE=\"env\"", "-Wl,-soname,libwhere.so"])
            .lib("legacy/libwhere.so", &["where.c"], &["-DWHERE=\"legacy\"", "-Wl,-soname,libwhere.so"])
            .lib(
                "legacy/x86_64/libwhere.so",
                &["where.c"],
                &["-DWHERE=\"legacy/x86_64\"", "-Wl,-soname,libwhere.so"],
            )
            .exe(
                "main_runpath",
                &["main.c"],
                &["-Llib", "-lwhere", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib"],
            )
            .exe(
                "main_rpath",
                &["main.c"],
                &["-Lrpath", "-lwhere", "-Wl,--disable-new-dtags,-rpath,$ORIGIN/rpath"],
            )
            .exe("main_plain", &["main.c"], &["-Lenv", "-lwhere"])
    }

    /// `libver.so` generations (see `ver.c`): the current one (foo@V1, foo@@V2) at the top,
    /// older and newer ones in `gen0/`, `gen1/`, `gen3/`. Programs linked against each:
    /// `main_unversioned` (gen0), `main_v1` (gen1), `main_v2` (current), `main_bar` (gen3,
    /// needs version V3). All are meant to run against the current one.
    fn versions() {
        let soname = "-Wl,-soname,libver.so";
        Fixture::new("versions")
            .lib("gen0/libver.so", &["ver.c"], &["-DGENERATION=0", soname])
            .lib("gen1/libver.so", &["ver.c"], &["-DGENERATION=1", soname, "-Wl,--version-script={src}/v1.map"])
            .lib("libver.so", &["ver.c"], &["-DGENERATION=2", soname, "-Wl,--version-script={src}/v2.map"])
            .lib("gen3/libver.so", &["ver.c"], &["-DGENERATION=3", soname, "-Wl,--version-script={src}/v3.map"])
            .exe("main_unversioned", &["main.c"], &["-Lgen0", "-lver"])
            .exe("main_v1", &["main.c"], &["-Lgen1", "-lver"])
            .exe("main_v2", &["main.c"], &["-L.", "-lver"])
            .exe("main_bar", &["main_bar.c"], &["-Lgen3", "-lver"])
    }

    /// `libifunc.so` with an exported and a local IFUNC, and `main` calling them.
    fn ifunc() {
        Fixture::new("ifunc")
            .lib("libifunc.so", &["libifunc.c"], &[])
            .exe("main", &["main.c"], &["-L.", "-lifunc"])
    }

    /// `librelr.so`, whose RELATIVE relocations are packed into DT_RELR, and `main`.
    fn relr() {
        Fixture::new("relr")
            .lib("librelr.so", &["librelr.c"], &["-Wl,-z,pack-relative-relocs"])
            .exe("main", &["main.c"], &["-L.", "-lrelr"])
    }

    /// `libgreet.so` (plain, at the top) and `extra/libgreet.so` (also defining greet_extra);
    /// `main` needs the plain one; `main_extra_now` (-z now) and `main_extra_lazy` (-z lazy)
    /// were linked against the extra one. No program has a RUNPATH.
    fn greet() {
        Fixture::new("greet")
            .lib("libgreet.so", &["greet.c"], &[])
            .lib("extra/libgreet.so", &["greet.c"], &["-DEXTRA"])
            .exe("main", &["main.c"], &["-L.", "-lgreet"])
            .exe("main_extra_now", &["main_extra.c"], &["-Lextra", "-lgreet", "-Wl,-z,now"])
            .exe("main_extra_lazy", &["main_extra.c"], &["-Lextra", "-lgreet", "-Wl,-z,lazy"])
    }
}

// Programs linked with glibc (libc.so.6, libm, libstdc++): the rung above the foundation.
// Their libraries are built with `libc_exe` plus `-shared -fPIC`, so that gcc links them
// with glibc and its start files like any ordinary library; C++ sources are compiled by gcc
// (by their extension) and linked with `-lstdc++`.
case! {
    /// Small glibc programs, one behaviour each: `hello`, `status`, `atexit`, `env`, `auxv`,
    /// `argv`, `math` (-lm), `jmp`, `signals`, `fork`, `spawn`, `ctor`, `malloc`, `file`,
    /// `misc` and `strings` (built -fno-builtin, so its string calls reach libc's IFUNCs).
    fn libc_basic() {
        let mut fixture = Fixture::new("libc_basic");
        for name in [
            "hello", "status", "atexit", "env", "auxv", "argv", "jmp", "signals", "fork", "spawn",
            "ctor", "malloc", "file", "misc",
        ] {
            fixture = fixture.libc_exe(name, &[&format!("{name}.c")], &[]);
        }
        fixture
            .libc_exe("math", &["math.c"], &["-lm"])
            .libc_exe("strings", &["strings.c"], &["-fno-builtin"])
    }

    /// `libdata.so` (glibc-linked: constructor, destructor, global data) and its program as
    /// `main_nopie` (COPY relocations for the data it reads) and `main_pie`.
    fn libc_dso() {
        Fixture::new("libc_dso")
            .libc_exe("libdata.so", &["libdata.c"], &["-shared", "-fPIC"])
            .libc_exe("main_nopie", &["main.c"], &["-no-pie", "-fno-pic", "-L.", "-ldata"])
            .libc_exe("main_pie", &["main.c"], &["-pie", "-fPIE", "-L.", "-ldata"])
    }

    /// Thread-local storage: `exe_tls` (the program's own), and `libtls.so` built three ways
    /// (`gd/`: -ftls-model=global-dynamic, `desc/`: -mtls-dialect=gnu2, `ie/`:
    /// -ftls-model=initial-exec), all with soname libtls.so, used by `main` (linked against
    /// the gd one; pick one with LD_LIBRARY_PATH).
    fn libc_tls() {
        let shared = ["-shared", "-fPIC", "-Wl,-soname,libtls.so"];
        let with = |extra: &'static str| -> Vec<&'static str> {
            let mut flags = shared.to_vec();
            flags.push(extra);
            flags
        };
        Fixture::new("libc_tls")
            .libc_exe("exe_tls", &["exe_tls.c"], &[])
            .libc_exe("gd/libtls.so", &["libtls.c"], &with("-ftls-model=global-dynamic"))
            .libc_exe("desc/libtls.so", &["libtls.c"], &with("-mtls-dialect=gnu2"))
            .libc_exe("ie/libtls.so", &["libtls.c"], &with("-ftls-model=initial-exec"))
            .libc_exe("main", &["main.c"], &["-Lgd", "-ltls"])
    }

    /// Threads: `counter`, `keys`, `cancel` (argument `pause` or `sleep`), `exit`, and
    /// `thrtls` using `libthrtls.so`'s global-dynamic thread-locals.
    fn libc_threads() {
        Fixture::new("libc_threads")
            .libc_exe("counter", &["counter.c"], &["-pthread"])
            .libc_exe("keys", &["keys.c"], &["-pthread"])
            .libc_exe("cancel", &["cancel.c"], &["-pthread"])
            .libc_exe("exit", &["exit.c"], &["-pthread"])
            .libc_exe(
                "libthrtls.so",
                &["libthrtls.c"],
                &["-shared", "-fPIC", "-ftls-model=global-dynamic", "-pthread"],
            )
            .libc_exe("thrtls", &["thrtls.c"], &["-pthread", "-L.", "-lthrtls"])
            .libc_exe("rseq", &["rseq.c"], &["-pthread"])
            .libc_exe("allocs", &["allocs.c"], &["-pthread"])
    }

    /// `/etc/ld.so.cache`'s variants: `libmark.so` and `libdl_mark.so` in `lib/` (the
    /// baseline) and in `lib/glibc-hwcaps/{x86-64-v2,x86-64-v3,mine}/`, and a `libmark.so` in
    /// `lib/glibc-hwcaps/x86-64-v4/` that needs an ISA level no CPU has; `libnew.so` in
    /// `later/` and `later/glibc-hwcaps/x86-64-v2/`. Each `which()` names its variant.
    /// `main` needs `libmark.so` and dlopens the others.
    fn ld_cache() {
        let mut f = Fixture::new("ld_cache");
        let variants = [
            ("lib", "libmark.so", "base"),
            ("lib", "libdl_mark.so", "dl-base"),
            ("later", "libnew.so", "new-base"),
            ("lib/glibc-hwcaps/x86-64-v2", "libmark.so", "v2"),
            ("lib/glibc-hwcaps/x86-64-v2", "libdl_mark.so", "dl-v2"),
            ("later/glibc-hwcaps/x86-64-v2", "libnew.so", "new-v2"),
            ("lib/glibc-hwcaps/x86-64-v3", "libmark.so", "v3"),
            ("lib/glibc-hwcaps/x86-64-v3", "libdl_mark.so", "dl-v3"),
            ("lib/glibc-hwcaps/mine", "libmark.so", "mine"),
            ("lib/glibc-hwcaps/mine", "libdl_mark.so", "dl-mine"),
        ];
        for (dir, name, which) in variants {
            let define = format!("-DWHICH=\"{which}\"");
            let soname = format!("-Wl,-soname,{name}");
            f = f.lib(&format!("{dir}/{name}"), &["mark.c"], &[&define, &soname]);
        }
        f.lib(
            "lib/glibc-hwcaps/x86-64-v4/libmark.so",
            &["mark.c", "isa_beyond_v4.S"],
            &["-DWHICH=\"v4-beyond\"", "-Wl,-soname,libmark.so"],
        )
        .libc_exe("main", &["main.c"], &["-Llib", "-lmark", "-ldl"])
    }

    /// C++: `hello` (iostream), `catch` with `libthrow.so`, `thread_local`, `typeinfo` with
    /// `libshape_a.so` and `libshape_b.so` (inline-only classes: weak typeinfo in both),
    /// `containers`.
    fn libc_cxx() {
        let lib = ["-shared", "-fPIC", "-lstdc++"];
        Fixture::new("libc_cxx")
            .libc_exe("hello", &["hello.cpp"], &["-lstdc++"])
            .libc_exe("libthrow.so", &["libthrow.cpp"], &lib)
            .libc_exe("catch", &["catch.cpp"], &["-L.", "-lthrow", "-lstdc++"])
            .libc_exe("thread_local", &["thread_local.cpp"], &["-pthread", "-lstdc++"])
            .libc_exe("libshape_a.so", &["shape_a.cpp"], &lib)
            .libc_exe("libshape_b.so", &["shape_b.cpp"], &lib)
            .libc_exe("typeinfo", &["typeinfo.cpp"], &["-L.", "-lshape_a", "-lshape_b", "-lstdc++"])
            .libc_exe("containers", &["containers.cpp"], &["-lstdc++"])
    }

    /// `libauditor.so`, an audit module logging every callback (`libauditor_nosymbind.so`
    /// without `la_symbind64`, `libauditor_plt.so` with `la_pltenter`/`la_pltexit`);
    /// `main` dlopens and dlcloses `libaudited.so` (or `libaudited_libc.so`, which needs
    /// libc, into a namespace of its own: `main LIB newlm`); `calls` calls `libcalls.so`'s
    /// functions through its PLT (lazily bound), `calls_now` the same linked `-z now`;
    /// `main_audit_tag` and `main_depaudit_tag` name their module in their dynamic section
    /// (`DT_AUDIT`, `DT_DEPAUDIT`), found through their `DT_RUNPATH`.
    fn audit() {
        let lib = ["-shared", "-fPIC"];
        Fixture::new("audit")
            .libc_exe("libauditor.so", &["auditor.c"], &lib)
            .libc_exe("libauditor_nosymbind.so", &["auditor.c"], &[lib[0], lib[1], "-DNO_SYMBIND"])
            .libc_exe("libauditor_plt.so", &["auditor.c"], &[lib[0], lib[1], "-DPLT"])
            .libc_exe("libaudited.so", &["lib.c"], &lib)
            .libc_exe("libaudited_libc.so", &["libc_user.c"], &lib)
            .libc_exe("libnsaudit1.so", &["nsauditor.c"], &[lib[0], lib[1], "-DTAG=1"])
            .libc_exe("libnsaudit2.so", &["nsauditor.c"], &[lib[0], lib[1], "-DTAG=2"])
            .libc_exe("libdeclines_zero.so", &["declines.c"], &[lib[0], lib[1], "-DZERO"])
            .libc_exe("libdeclines_none.so", &["declines.c"], &lib)
            .libc_exe("libcalls.so", &["calls.c"], &lib)
            .libc_exe("main", &["main.c"], &[])
            .libc_exe("calls", &["calls_main.c"], &["-L.", "-lcalls", "-Wl,-rpath,$ORIGIN", "-Wl,-z,lazy"])
            .libc_exe("calls_now", &["calls_main.c"], &["-L.", "-lcalls", "-Wl,-rpath,$ORIGIN", "-Wl,-z,now"])
            .libc_exe("main_audit_tag", &["main.c"], &["-Wl,--audit=libauditor.so", "-Wl,-rpath,$ORIGIN"])
            .libc_exe(
                "main_depaudit_tag",
                &["main.c"],
                &["-Wl,--depaudit=libauditor_nosymbind.so", "-Wl,-rpath,$ORIGIN"],
            )
    }
}

// The dl* family (dlopen, dlsym, dlclose, dladdr, dlinfo, dl_iterate_phdr) and libc's own
// run-time loading (NSS, iconv). Every program takes the case's output directory as its
// first argument and changes into it, so it opens libraries as `./libX.so` and the object
// names in dlerror() texts are the same under both loaders.
case! {
    /// Libraries: `libplain.so` (constructor, destructor, data, a counter), `liblazy.so`
    /// (-z lazy, an unresolvable PLT call never made), `libprovider.so` and `libuser.so`
    /// (-z lazy, uses provider_value without needing libprovider.so), the diamond
    /// `libdep_top.so` -> `libdep_left.so`, `libdep_right.so` -> `libdep_base.so` (sonames,
    /// RUNPATH $ORIGIN), `libnext_a.so` and `libnext_b.so` (RTLD_NEXT chain), `libdltls.so`
    /// (TLS), `libdlifunc.so` (an IFUNC), `libdlver.so` (ver_foo@V1, ver_foo@@V2) and
    /// `libdlthrow.so` (C++ exceptions). Programs, each with modes: `open`, `scope`, `deps`,
    /// `sym`, `next`, `next_malloc`, `close`, `errors`, `addr`, `phdr`, `throw` (C++),
    /// `throw_c`, `nss`, `iconv`, `exc_format`, `noload`.
    fn libc_dl() {
        let lib = ["-shared", "-fPIC"];
        let lazy_lib = ["-shared", "-fPIC", "-Wl,-z,lazy"];
        let dep = "-Wl,-rpath,$ORIGIN";
        Fixture::new("libc_dl")
            .libc_exe("libplain.so", &["plain.c"], &lib)
            .libc_exe("liblazy.so", &["lazy.c"], &lazy_lib)
            .libc_exe("libprovider.so", &["provider.c"], &lib)
            .libc_exe("libuser.so", &["user.c"], &lazy_lib)
            .libc_exe("libdep_base.so", &["dep_base.c"], &[lib[0], lib[1], dep, "-Wl,-soname,libdep_base.so"])
            .libc_exe(
                "libdep_left.so",
                &["dep_left.c"],
                &[lib[0], lib[1], dep, "-Wl,-soname,libdep_left.so", "-L.", "-ldep_base"],
            )
            .libc_exe(
                "libdep_right.so",
                &["dep_right.c"],
                &[lib[0], lib[1], dep, "-Wl,-soname,libdep_right.so", "-L.", "-ldep_base"],
            )
            .libc_exe(
                "libdep_top.so",
                &["dep_top.c"],
                &[lib[0], lib[1], dep, "-Wl,-soname,libdep_top.so", "-L.", "-ldep_left", "-ldep_right"],
            )
            .libc_exe("libnext_a.so", &["next_a.c"], &lib)
            .libc_exe("libnext_b.so", &["next_b.c"], &lib)
            .libc_exe("libdltls.so", &["dltls.c"], &["-shared", "-fPIC", "-ftls-model=global-dynamic"])
            .libc_exe("libdlifunc.so", &["dlifunc.c"], &lib)
            .libc_exe("libdlver.so", &["dlver.c"], &["-shared", "-fPIC", "-Wl,--version-script={src}/dlver.map"])
            .libc_exe("libdlthrow.so", &["dlthrow.cpp"], &["-shared", "-fPIC", "-lstdc++"])
            .libc_exe("open", &["open.c"], &["-rdynamic"])
            .libc_exe("scope", &["scope.c"], &[])
            .libc_exe("deps", &["deps.c"], &[])
            .libc_exe("sym", &["sym.c"], &["-rdynamic", "-pthread", "-fno-builtin"])
            .libc_exe(
                "next",
                &["next.c"],
                &["-rdynamic", "-Wl,--no-as-needed", "-L.", "-lnext_a", "-lnext_b", "-Wl,-rpath,$ORIGIN"],
            )
            .libc_exe("next_malloc", &["next_malloc.c"], &["-rdynamic", "-fno-builtin"])
            .libc_exe("close", &["close.c"], &[])
            .libc_exe("errors", &["errors.c"], &[])
            .libc_exe("addr", &["addr.c"], &["-rdynamic"])
            .libc_exe("phdr", &["phdr.c"], &[])
            .libc_exe("throw", &["throw.cpp"], &["-lstdc++"])
            .libc_exe("throw_c", &["throw_c.c"], &[])
            .libc_exe("nss", &["nss.c"], &[])
            .libc_exe("iconv", &["iconv.c"], &[])
            // Linked against the loader itself for its GLIBC_PRIVATE functions.
            .libc_exe("exc_format", &["exc_format.c"], &["/lib64/ld-linux-x86-64.so.2"])
            .libc_exe("noload", &["noload.c"], &[])
    }

    /// `dlmopen` namespaces: `libstate.so` (a counter, its C library's errno and
    /// single-threaded flag, `dlsym(RTLD_DEFAULT)`, `dlopen`, `dlinfo` and `dl_iterate_phdr`
    /// called from inside), `libother.so` (needs libstate.so, RUNPATH $ORIGIN), `libtiny.so`
    /// (no C library) and `main` (-rdynamic, one mode per behaviour, see main.c); `rpath`
    /// (DT_RPATH `$ORIGIN/rpathdir`, holding `libdep.so`, which `libneeds.so` needs).
    fn dlmopen() {
        Fixture::new("dlmopen")
            .libc_exe("libstate.so", &["state.c"], &["-shared", "-fPIC"])
            .libc_exe(
                "libother.so",
                &["other.c"],
                &["-shared", "-fPIC", "-Wl,-rpath,$ORIGIN", "-L.", "-lstate"],
            )
            .lib("libtiny.so", &["tiny.c"], &[])
            .lib("rpathdir/libdep.so", &["dep.c"], &["-Wl,-soname,libdep.so"])
            .lib("libneeds.so", &["needs.c"], &["-Lrpathdir", "-ldep"])
            .libc_exe("main", &["main.c"], &["-rdynamic"])
            .libc_exe("rpath", &["rpath.c"], &["-Wl,--disable-new-dtags,-rpath,$ORIGIN/rpathdir"])
    }
}

// Which implementations glibc's IFUNCs select under each loader.
case! {
    /// `resolve` (PIE) and `resolve_nopie` (-no-pie -fno-pic), built -fno-builtin with -lm,
    /// print where libc's and libm's IFUNC symbols resolved (offsets from the defining
    /// object's base) and where libc's and libm's IRELATIVE slots point. `textrel_relr` and
    /// `textrel_rela`: PIEs with a text relocation (packed in DT_RELR, or in DT_RELA) and an
    /// IFUNC whose resolver runs from the text made writable for it.
    fn libc_ifunc() {
        Fixture::new("libc_ifunc")
            .libc_exe("resolve", &["resolve.c"], &["-fno-builtin", "-lm"])
            .libc_exe("resolve_nopie", &["resolve.c"], &["-fno-builtin", "-no-pie", "-fno-pic", "-lm"])
            .libc_exe("textrel_relr", &["textrel.c"], &["-fPIC", "-pie", "-Wl,-z,pack-relative-relocs"])
            .libc_exe("textrel_rela", &["textrel.c"], &["-fPIC", "-pie", "-Wl,-z,nopack-relative-relocs"])
    }
}

// The user's interface: ld.so's options, the LD_* variables, secure mode, lazy binding.
case! {
    /// `libiface.so` (soname libiface.so; `iface_name` says "libiface", `iface_where` says
    /// where it was built) at the top ("top"), in `a/` ("a") and in `b/` ("b");
    /// `libpre1.so` and `libpre2.so` (interpose `iface_name`: "pre1"/"pre2", and print from
    /// a constructor). Programs (argument `argv0`: also print argv[0]): `main` (linked
    /// against `a/`, no RPATH/RUNPATH), `main_rpath` (DT_RPATH `$ORIGIN/b`), `main_abs`
    /// (DT_RUNPATH `<out>/b`, absolute, so it holds in secure mode too), `main_mid` (needs
    /// only `mid/libmid.so`, which needs libiface.so and has DT_RPATH `$ORIGIN/../b`; its
    /// `mid_report` prints what it sees), `bind` (-z lazy, linked against `a/`: prints where
    /// its PLT slot for `iface_where` points before and after the first calls),
    /// `main_unused` (also needs libpre1.so, whose definitions all lose to libiface.so's:
    /// an unused dependency) and `static` (-static).
    fn iface_basic() {
        let lib = |where_: &str| -> Vec<String> {
            vec![
                "-shared".into(),
                "-fPIC".into(),
                format!("-DWHERE=\"{where_}\""),
                "-Wl,-soname,libiface.so".into(),
            ]
        };
        let (top, a, b) = (lib("top"), lib("a"), lib("b"));
        let abs_runpath = format!(
            "-Wl,--enable-new-dtags,-rpath,{}",
            crate::target_dir().join("fixtures").join("iface_basic").join("b").display()
        );
        fn strs(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        Fixture::new("iface_basic")
            .libc_exe("envdump", &["envdump.c"], &[])
            .libc_exe("libiface.so", &["libiface.c"], &strs(&top))
            .libc_exe("a/libiface.so", &["libiface.c"], &strs(&a))
            .libc_exe("b/libiface.so", &["libiface.c"], &strs(&b))
            .libc_exe("libpre1.so", &["pre.c"], &["-shared", "-fPIC", "-DNAME=\"pre1\""])
            .libc_exe("libpre2.so", &["pre.c"], &["-shared", "-fPIC", "-DNAME=\"pre2\""])
            .libc_exe("main", &["main.c"], &["-La", "-liface"])
            .libc_exe("main_rpath", &["main.c"], &["-La", "-liface", "-Wl,--disable-new-dtags,-rpath,$ORIGIN/b"])
            .libc_exe("main_abs", &["main.c"], &["-La", "-liface", &abs_runpath])
            .libc_exe(
                "mid/libmid.so",
                &["mid.c"],
                &["-shared", "-fPIC", "-Wl,-soname,libmid.so", "-La", "-liface", "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../b"],
            )
            .libc_exe("main_mid", &["main_mid.c"], &["-Lmid", "-lmid", "-Wl,-rpath-link,a"])
            .libc_exe("bind", &["bind.c"], &["-La", "-liface", "-Wl,-z,lazy"])
            .libc_exe("main_unused", &["main.c"], &["-Wl,--no-as-needed", "-La", "-liface", "-L.", "-lpre1"])
            .libc_exe("static", &["static.c"], &["-static"])
    }

    /// Lazy binding under threads: `libregs.so` (regs_0..regs_7: 8 doubles + 6 ints) and
    /// `regs` (-z lazy, 8 threads making their first calls at once); `libregs_avx.so`
    /// (avx_0..avx_7: 8 `__m256` + 6 ints, -mavx) and `regs_avx` (-mavx, -z lazy).
    fn iface_lazy() {
        Fixture::new("iface_lazy")
            .libc_exe("libregs.so", &["regs.c"], &["-shared", "-fPIC"])
            .libc_exe("libregs_avx.so", &["regs_avx.c"], &["-shared", "-fPIC", "-mavx"])
            .libc_exe("regs", &["main.c"], &["-pthread", "-Wl,-z,lazy", "-L.", "-lregs"])
            .libc_exe(
                "regs_avx",
                &["main.c"],
                &["-DUSE_AVX", "-mavx", "-pthread", "-Wl,-z,lazy", "-L.", "-lregs_avx"],
            )
    }
}

// LD_RS_EXPLAIN: the errors it explains, each with what the explanation should point at.
case! {
    /// `main` (DT_RUNPATH `$ORIGIN/lib:$ORIGIN/nowhere`) needs `lib/libmid.so`, which needs
    /// `lib/libleaf.so` and has no search path: libleaf.so is found only through a RUNPATH
    /// that does not apply to it. `main_rpath` (DT_RPATH `$ORIGIN/nowhere`) needs libmid.so
    /// too. `main_fakec` needs fakec_new@GLIBC_2.38 of `new/libfakec.so`; `old/libfakec.so`
    /// provides GLIBC_2.2.5 to GLIBC_2.36 and GLIBC_PRIVATE. `main_zlib` (-z now) was linked
    /// against `full/libzstub.so`, which defines zlibVersion; `libzstub.so` does not.
    fn explain() {
        Fixture::new("explain")
            .lib("lib/libleaf.so", &["leaf.c"], &["-Wl,-soname,libleaf.so"])
            .lib("lib/libmid.so", &["mid.c"], &["-Wl,-soname,libmid.so", "-Llib", "-lleaf"])
            .exe(
                "main",
                &["main.c"],
                &["-Llib", "-lmid", "-Wl,-rpath-link,lib", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib:$ORIGIN/nowhere"],
            )
            .exe(
                "main_rpath",
                &["main.c"],
                &["-Llib", "-lmid", "-Wl,-rpath-link,lib", "-Wl,--disable-new-dtags,-rpath,$ORIGIN/nowhere"],
            )
            .lib("old/libfakec.so", &["fakec.c"], &["-Wl,-soname,libfakec.so", "-Wl,--version-script={src}/old.map"])
            .lib(
                "new/libfakec.so",
                &["fakec.c"],
                &["-DNEW", "-Wl,-soname,libfakec.so", "-Wl,--version-script={src}/new.map"],
            )
            .exe("main_fakec", &["main_fakec.c"], &["-Lnew", "-lfakec"])
            .lib("libzstub.so", &["zstub.c"], &["-Wl,-soname,libzstub.so"])
            .lib("full/libzstub.so", &["zstub.c"], &["-DFULL", "-Wl,-soname,libzstub.so"])
            .exe("main_zlib", &["main_zlib.c"], &["-Lfull", "-lzstub", "-Wl,-z,now"])
    }
}

// Hostile input: the originals that tests/tests/malformed.rs corrupts.
case! {
    /// `libmal.so` (TLS, data relocations, a PLT call, a version, a constructor), the same
    /// with its relative relocations in DT_RELR (`relr/`), `main` calling it, and `dlmain`,
    /// which `dlopen`s each path it is given.
    fn malformed() {
        Fixture::new("malformed")
            .libc_exe(
                "libmal.so",
                &["mal.c"],
                &["-shared", "-fPIC", "-Wl,-soname,libmal.so", "-Wl,--version-script={src}/mal.map"],
            )
            .libc_exe(
                "relr/libmal.so",
                &["mal.c"],
                &[
                    "-shared",
                    "-fPIC",
                    "-Wl,-soname,libmal.so",
                    "-Wl,--version-script={src}/mal.map",
                    "-Wl,-z,pack-relative-relocs",
                ],
            )
            .libc_exe("main", &["main.c"], &["-L.", "-lmal"])
            .libc_exe("dlmain", &["dlmain.c"], &[])
    }
}

// Hardening: what a process under the loader may and may not map.
case! {
    /// `relro` (reads /proc/self/maps: W+X mappings, every object's RELRO, the loader's
    /// `_rtld_global_ro`) and `libhard.so`, which it `dlopen`s when named.
    fn hardening() {
        Fixture::new("hardening")
            .libc_exe("libhard.so", &["libhard.c"], &["-shared", "-fPIC"])
            .libc_exe("relro", &["relro.c"], &["-ldl"])
    }
}

// dlinfo's search-path report, RTLD_DI_SERINFO (tests/dlinfo_serinfo.rs).
case! {
    /// `main` (with a `DT_RPATH`) prints `dlinfo`'s search path of each object it opens:
    /// `librpath.so` (a `DT_RPATH`), `librunpath.so` (a `DT_RUNPATH` with `$ORIGIN`),
    /// `libnodeflib.so` (`-z nodefaultlib`).
    fn serinfo() {
        Fixture::new("serinfo")
            .libc_exe("librpath.so", &["lib.c"], &["-shared", "-fPIC", "-Wl,--disable-new-dtags,-rpath,/opt/serinfo/rpath:/"])
            .libc_exe("librunpath.so", &["lib.c"], &["-shared", "-fPIC", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/sub"])
            .libc_exe("libnodeflib.so", &["lib.c"], &["-shared", "-fPIC", "-Wl,-z,nodefaultlib"])
            .libc_exe("main", &["main.c"], &["-Wl,--disable-new-dtags,-rpath,/opt/serinfo/main"])
    }
}

// The system's preload list, /etc/ld.so.preload (tests/preload_file.rs).
case! {
    /// `main` (linked with `libbase.so`) prints whose `who()` it calls and its link map;
    /// `libpre.so`, `libfile.so` and `libfile2.so` define `who()` too.
    fn preload_file() {
        Fixture::new("preload_file")
            .lib("libbase.so", &["who.c"], &["-DNAME=\"base\""])
            .lib("libpre.so", &["who.c"], &["-DNAME=\"pre\""])
            .lib("libfile.so", &["who.c"], &["-DNAME=\"file\""])
            .lib("libfile2.so", &["who.c"], &["-DNAME=\"file2\""])
            .libc_exe("main", &["main.c"], &["-L.", "-lbase", "-Wl,-rpath,$ORIGIN"])
    }
}

// Executable stacks asked for by a program or a library (tests/execstack.rs).
case! {
    /// `stack` (prints whether each thread's stack is executable, before and after
    /// `dlopen`ing the library it is given), `stack_exec` (the same program linked
    /// `-z execstack`) and `libexec.so` (`-z execstack`).
    fn execstack() {
        Fixture::new("execstack")
            .libc_exe("libexec.so", &["libexec.c"], &["-shared", "-fPIC", "-Wl,-z,execstack"])
            .libc_exe("stack", &["stack.c"], &["-pthread", "-Wl,-z,noexecstack"])
            .libc_exe("stack_exec", &["stack.c"], &["-pthread", "-Wl,-z,execstack"])
    }
}

// Objects dlopen refuses (tests/dlopen_refused.rs).
case! {
    /// `self_pie` and `self_nopie`: the same program, which `dlopen`s itself.
    fn refused() {
        Fixture::new("refused")
            .libc_exe("self_pie", &["self.c"], &["-pie", "-fPIE"])
            .libc_exe("self_nopie", &["self.c"], &["-no-pie", "-fno-pie"])
    }
}

// Statically linked programs named on the loader's command line (tests/static_programs.rs).
case! {
    /// `args` (prints its arguments, exits 3) linked `-static` and `-static-pie`.
    fn static_programs() {
        Fixture::new("static")
            .libc_exe("args", &["args.c"], &["-static"])
            .libc_exe("args_pie", &["args.c"], &["-static-pie"])
    }
}

// Regression fixtures: one program per bug found by the conformance commands.
case! {
    /// `freeres`: calls libc's `__libc_freeres` as valgrind does at exit.
    fn regress() {
        Fixture::new("regress").libc_exe("freeres", &["freeres.c"], &[])
    }
}

// TLS for a process's whole life (tests/tls_lifetime.rs).
case! {
    /// `prog` (its modes are listed in `prog.c`) and the libraries it loads: `libgd.so`
    /// (general-dynamic, soname libgd.so), `libie.so` (initial-exec, 204-byte block),
    /// `libdesc.so` (TLS descriptors, 204-byte block), `libieuse.so` (an initial-exec
    /// reference to libgd.so's variable), `libbad.so` and `libiebad.so` (general-dynamic and
    /// initial-exec, with an undefined function: RTLD_NOW fails), `libcount.so` (a malloc family counting its calls
    /// in general-dynamic TLS) and `recursive`, which runs with it. The test makes the many
    /// copies some modes open.
    fn tls_life() {
        let lib = |extra: &'static [&'static str]| -> Vec<&'static str> {
            let mut flags = vec!["-shared", "-fPIC"];
            flags.extend_from_slice(extra);
            flags
        };
        Fixture::new("tls_life")
            .libc_exe("libgd.so", &["libvar.c"], &lib(&["-ftls-model=global-dynamic", "-Wl,-soname,libgd.so"]))
            .libc_exe("libie.so", &["libvar.c"], &lib(&["-ftls-model=initial-exec", "-DPAD=200"]))
            .libc_exe("libdesc.so", &["libvar.c"], &lib(&["-mtls-dialect=gnu2", "-DPAD=200"]))
            .libc_exe("libieuse.so", &["libieuse.c"], &lib(&["-Wl,-rpath,$ORIGIN", "-L.", "-lgd"]))
            .libc_exe("libbad.so", &["libvar.c"], &lib(&["-DMISSING"]))
            .libc_exe("libiebad.so", &["libvar.c"], &lib(&["-DMISSING", "-ftls-model=initial-exec", "-DPAD=200"]))
            .libc_exe("prog", &["prog.c"], &["-pthread"])
            .libc_exe("libcount.so", &["libcount.c"], &lib(&["-ftls-model=global-dynamic"]))
            .libc_exe("recursive", &["recursive.c"], &["-Wl,-rpath,$ORIGIN", "-L.", "-lcount"])
    }
}

// Libraries loaded and unloaded for as long as a process lives.
case! {
    /// `load` cycles `libcycle.so` (C++: a static object counted by the program, TLS with
    /// an image) through dlopen/dlclose; `semantics` checks what dlclose unloads:
    /// `libprovider.so` and `libuser.so` (binds to it without needing it, -z lazy),
    /// `libunique.so` (an STB_GNU_UNIQUE symbol), `libnodelete.so` (-z nodelete),
    /// `libtlsdtor.so` (a thread_local with a destructor), `libneeds_missing.so` (needs
    /// libprovider.so and an undefined function), `libcloser.so` (its destructor dlcloses),
    /// and a dependency cycle `libcyc_a.so` -> `libcyc_b.so` -> (`libcyc_c.so` ->
    /// `libcyc_a.so`, `libcyc_d.so`), each member printing its constructor and destructor,
    /// as do the members of a diamond `libdia_top.so` -> (`libdia_l.so`, `libdia_r.so`) ->
    /// `libdia_bot.so` and `librd_y.so`, which needs `librd_x.so`, whose constructor calls
    /// into librd_y.so; `libcloser_cyc.so` (libcloser.so's code, closing libcyc_c.so);
    /// `libauditclose.so`, an audit module reporting objects opened and closed;
    /// `stress` makes `liblazyres.so`'s lazily bound calls into `liblazyprov.so` while
    /// other threads open and close `libchurn.so`; `libroot1.so` and `libroot2.so` both
    /// need `libshared.so` (-z lazy), which calls into itself and into libroot2.so;
    /// `libr5a.so` and `libr5b.so` need `libr5dep.so`, which calls libr5a.so's `foo`;
    /// `libsurv_root.so` needs `libsurv_dep.so` and `libsurv_keeper.so` (-z nodelete, its
    /// constructor calls into libsurv_dep.so).
    fn lifetime() {
        let lib = ["-shared", "-fPIC"];
        let cyc_deps = |extra: &[&'static str]| -> Vec<&'static str> {
            let mut flags = vec!["-shared", "-fPIC", "-Wl,--no-as-needed", "-L.", "-Wl,-rpath,$ORIGIN"];
            flags.extend_from_slice(extra);
            flags
        };
        let cyc = |name: &str, deps: &[&'static str]| -> Vec<&'static str> {
            let define: &'static str = Box::leak(format!("-DNAME=\"{name}\"").into_boxed_str());
            let mut flags = vec!["-shared", "-fPIC", define, "-Wl,--no-as-needed", "-L.", "-Wl,-rpath,$ORIGIN"];
            flags.extend_from_slice(deps);
            flags
        };
        Fixture::new("lifetime")
            .libc_exe("libcycle.so", &["cycle.cpp"], &["-shared", "-fPIC", "-O2", "-lstdc++"])
            .libc_exe("libprovider.so", &["provider.c"], &lib)
            .libc_exe("libuser.so", &["user.c"], &["-shared", "-fPIC", "-Wl,-z,lazy"])
            .libc_exe("libunique.so", &["unique.cpp"], &["-shared", "-fPIC", "-lstdc++"])
            .libc_exe("libnodelete.so", &["nodelete.c"], &["-shared", "-fPIC", "-Wl,-z,nodelete"])
            .libc_exe("libtlsdtor.so", &["tlsdtor.cpp"], &["-shared", "-fPIC", "-lstdc++"])
            .libc_exe(
                "libneeds_missing.so",
                &["needs_missing.c"],
                &["-shared", "-fPIC", "-Wl,--no-as-needed", "-L.", "-lprovider", "-Wl,-rpath,$ORIGIN"],
            )
            // libprovider.so's copy where no search finds it: libneeds_gone.so needs it and
            // loads with that dependency missing.
            .libc_exe("gone/libgone.so", &["provider.c"], &lib)
            .libc_exe(
                "libneeds_gone.so",
                &["needs_missing.c"],
                &["-shared", "-fPIC", "-Wl,--no-as-needed", "-L.", "-lprovider", "-Lgone", "-lgone", "-Wl,-rpath,$ORIGIN"],
            )
            .libc_exe("libcloser.so", &["closer.c"], &lib)
            // The cycle a -> b -> {c, d}, c -> a: c is built twice, first as the
            // placeholder a is linked against.
            .libc_exe("libcyc_d.so", &["member.c"], &["-shared", "-fPIC", "-DNAME=\"d\""])
            .libc_exe("libcyc_c.so", &["member.c"], &["-shared", "-fPIC", "-DNAME=\"c\""])
            .libc_exe("libcyc_b.so", &["member.c"], &cyc("b", &["-lcyc_c", "-lcyc_d"]))
            .libc_exe("libcyc_a.so", &["member.c"], &cyc("a", &["-lcyc_b"]))
            .libc_exe("libcyc_c.so", &["member.c"], &cyc("c", &["-lcyc_a"]))
            // A diamond: top -> {l, r} -> bot.
            .libc_exe("libdia_bot.so", &["member.c"], &cyc("bot", &[]))
            .libc_exe("libdia_l.so", &["member.c"], &cyc("l", &["-ldia_bot"]))
            .libc_exe("libdia_r.so", &["member.c"], &cyc("r", &["-ldia_bot"]))
            .libc_exe("libdia_top.so", &["member.c"], &cyc("top", &["-ldia_l", "-ldia_r"]))
            // y needs x, whose constructor calls into y: a relocation dependency against
            // the DT_NEEDED link.
            .libc_exe("librd_x.so", &["member.c"], &cyc("x", &["-DCALLS=rd_y_value"]))
            .libc_exe("librd_y.so", &["member.c"], &cyc("y", &["-DDEFINES=rd_y_value", "-lrd_x"]))
            .libc_exe(
                "libcloser_cyc.so",
                &["closer.c"],
                &["-shared", "-fPIC", "-DTARGET=\"./libcyc_c.so\"", "-DLABEL=\"libcyc_c\""],
            )
            .libc_exe("libauditclose.so", &["auditclose.c"], &lib)
            .libc_exe("libshared.so", &["shared.c"], &["-shared", "-fPIC", "-Wl,-z,lazy"])
            .libc_exe("libroot1.so", &["root.c"], &cyc_deps(&["-lshared"]))
            .libc_exe("libroot2.so", &["root.c"], &cyc_deps(&["-DROOT2", "-lshared"]))
            .libc_exe("libr5dep.so", &["r5.c"], &["-shared", "-fPIC", "-Wl,-z,lazy", "-DR5DEP"])
            .libc_exe("libr5a.so", &["r5.c"], &cyc_deps(&["-DR5A", "-lr5dep"]))
            .libc_exe("libr5b.so", &["r5.c"], &cyc_deps(&["-Wl,-z,lazy", "-lr5dep"]))
            .libc_exe("libsurv_dep.so", &["surv.c"], &["-shared", "-fPIC", "-Wl,-z,lazy", "-DSURV_DEP"])
            .libc_exe("libsurv_keeper.so", &["surv.c"], &["-shared", "-fPIC", "-Wl,-z,lazy,-z,nodelete", "-DSURV_KEEPER"])
            .libc_exe("libsurv_root.so", &["surv.c"], &cyc_deps(&["-lsurv_dep", "-lsurv_keeper"]))
            .libc_exe("liblazyprov.so", &["lazyprov.c"], &lib)
            .libc_exe("liblazyres.so", &["lazyres.c"], &["-shared", "-fPIC", "-Wl,-z,lazy"])
            .libc_exe("libchurn.so", &["churn.c"], &lib)
            .libc_exe("stress", &["stress.c"], &["-pthread"])
            .libc_exe("load", &["load.c"], &["-rdynamic", "-pthread"])
            .libc_exe("semantics", &["semantics.c"], &["-pthread"])
    }
}

// Failure injection (tests/fail_inject.rs).
case! {
    /// `libfi.so` (needs `libfidep.so` through `$ORIGIN`; TLS, a constructor, RELRO) and
    /// `libfidep.so`; `prog`, started with them; `opener LIB`, which `dlopen`s LIB twice,
    /// checking that a failed first one leaves no mapping or descriptor behind.
    fn failinject() {
        Fixture::new("failinject")
            .libc_exe("libfidep.so", &["libfidep.c"], &["-shared", "-fPIC"])
            .libc_exe(
                "libfi.so",
                &["libfi.c"],
                &["-shared", "-fPIC", "-Wl,-z,relro", "-L.", "-lfidep", "-Wl,-rpath,$ORIGIN"],
            )
            .libc_exe("prog", &["prog.c"], &["-L.", "-lfi", "-Wl,-rpath,$ORIGIN"])
            .libc_exe("opener", &["opener.c"], &[])
    }
}

// PT_LOAD segments aligned to more than a page (tests/align.rs).
case! {
    /// `libalign.so` (needed) and `libdl_align.so` (opened), each with a variable aligned
    /// to 2 MiB and linked `-z max-page-size=0x200000`, and `main`, a PIE linked the same
    /// way with one of its own; `main` takes the case's directory.
    fn align() {
        let big = "-Wl,-z,max-page-size=0x200000";
        Fixture::new("align")
            .libc_exe("libalign.so", &["lib.c"], &["-shared", "-fPIC", big])
            .libc_exe("libdl_align.so", &["dl.c"], &["-shared", "-fPIC", big])
            .libc_exe("main", &["main.c"], &["-pie", "-fPIE", big, "-L.", "-lalign", "-Wl,-rpath,$ORIGIN"])
    }
}

// Filters: DT_FILTER and DT_AUXILIARY (tests/filter.rs).
case! {
    /// `libflt.so` (DT_FILTER `libfiltee.so`), `libaux.so` (DT_AUXILIARY `libfiltee2.so`),
    /// `libaux_gone.so` and `libflt_gone.so` (naming `libnowhere.so`, which does not
    /// exist); each filter defines `get_text` and `only_in_filter`, each filtee `get_text`
    /// (all print their name from a constructor). `main` needs `libflt.so` and opens the
    /// others; it takes the case's directory. `main_gone` needs `libaux_gone.so` and
    /// `libflt_gone.so`.
    fn filter() {
        let lib = |name: &'static str, filter: &'static str| -> [String; 5] {
            [
                "-shared".into(),
                "-fPIC".into(),
                format!("-DNAME=\"{name}\""),
                "-Wl,-rpath,$ORIGIN".into(),
                format!("-Wl,{filter}"),
            ]
        };
        let flags = |v: &[String; 5]| -> Vec<String> { v.to_vec() };
        let libs = [
            ("libfiltee.so", "filtee.c", lib("filtee", "--as-needed")),
            ("libfiltee2.so", "filtee.c", lib("filtee2", "--as-needed")),
            ("libflt.so", "filter.c", lib("filter", "--filter=libfiltee.so")),
            ("libaux.so", "filter.c", lib("auxiliary filter", "--auxiliary=libfiltee2.so")),
            ("libaux_gone.so", "filter.c", lib("lone auxiliary filter", "--auxiliary=libnowhere.so")),
            ("libflt_gone.so", "filter.c", lib("lone filter", "--filter=libnowhere.so")),
        ];
        let mut fixture = Fixture::new("filter");
        for (out, src, l) in &libs {
            let f = flags(l);
            let f: Vec<&str> = f.iter().map(String::as_str).collect();
            fixture = fixture.libc_exe(out, &[src], &f);
        }
        fixture
            .libc_exe("main", &["main.c"], &["-L.", "-lflt", "-Wl,-rpath,$ORIGIN"])
            .libc_exe(
                "main_gone",
                &["gone.c"],
                &["-Wl,--no-as-needed", "-L.", "-laux_gone", "-lflt_gone", "-Wl,-rpath,$ORIGIN"],
            )
    }
}

// Protected symbols (tests/protected.rs).
case! {
    /// `libprot.so` defines `prot_fn` (an IFUNC) and `prot_data` with `STV_PROTECTED` and
    /// reports what its own references to them reach; `own` (PIE) defines both names
    /// itself; `copy` (-no-pie -fno-pic) writes `prot_data` through a copy relocation (it is
    /// linked against `stub/libprot.so`, where the data is not protected).
    fn protected() {
        Fixture::new("protected")
            .libc_exe("libprot.so", &["lib.c"], &["-shared", "-fPIC", "-Wl,-soname,libprot.so"])
            .libc_exe("stub/libprot.so", &["stub.c"], &["-shared", "-fPIC", "-Wl,-soname,libprot.so"])
            .libc_exe("own", &["own.c"], &["-L.", "-lprot", "-Wl,-rpath,$ORIGIN"])
            .libc_exe("copy", &["copy.c"], &["-no-pie", "-fno-pic", "-Lstub", "-lprot", "-Wl,-rpath,$ORIGIN"])
    }
}

// RTLD_DEEPBIND (tests/deepbind.rs).
case! {
    /// `libdeep.so` and `libshallow.so` (the same source: `which`, `entry`), each needing its
    /// own copy of the dependency (`libdeepdep.so`, `libshallowdep.so`: `dep_which`,
    /// `dep_back`), and `main` (-rdynamic: `which`, `back`), which opens the first with
    /// `RTLD_DEEPBIND` and the second without; it takes the case's directory.
    fn deepbind() {
        let lib = ["-shared", "-fPIC", "-Wl,-z,lazy", "-Wl,-rpath,$ORIGIN", "-L."];
        let with = |extra: &'static str| -> Vec<&'static str> {
            let mut v = lib.to_vec();
            v.push(extra);
            v
        };
        Fixture::new("deepbind")
            .libc_exe("libdeepdep.so", &["dep.c"], &lib)
            .libc_exe("libshallowdep.so", &["dep.c"], &lib)
            .libc_exe("libdeep.so", &["lib.c"], &with("-ldeepdep"))
            .libc_exe("libshallow.so", &["lib.c"], &with("-lshallowdep"))
            .libc_exe("main", &["main.c"], &["-rdynamic"])
    }
}

// The two algorithms for initialization and finalization order (tests/dynamic_sort.rs).
case! {
    /// Libraries that print `NAME>` when initialized and `<NAME` when finalized:
    /// `libcyc_a.so` and `libcyc_b.so` (each needs the other) for `cycle`, which needs both;
    /// `libp.so` (needs `libp1.so`, `libp2.so`; `libp2.so` needs `libp.so`), `libq.so`
    /// (needs `libq1.so`) and `libr.so` (needs `libp1.so`, calls `fn_p1` from `call`) for
    /// `dl`, which opens them (its argument: the case's directory); `soname` (DT_SONAME
    /// `libsoname_c.so`) needs `libsn_a.so`, which needs `libsn_b.so`, which needs
    /// `libsoname_c.so`: the program itself, though a library of that name exists.
    fn dynamic_sort() {
        fn lib(name: &str, needs: &[&str], calls: Option<&str>) -> Vec<String> {
            let mut v: Vec<String> = vec![
                "-shared".into(),
                "-fPIC".into(),
                format!("-DNAME=\"{name}\""),
                format!("-DFN=fn_{name}"),
                "-Wl,-rpath,$ORIGIN".into(),
                "-L.".into(),
                "-Wl,--no-as-needed".into(),
            ];
            v.extend(needs.iter().map(|n| format!("-l{n}")));
            if let Some(c) = calls {
                v.push(format!("-DCALLS={c}"));
            }
            v
        }
        let steps: Vec<(&str, Vec<String>)> = vec![
            ("libcyc_b.so", lib("cyc_b", &[], None)),
            ("libcyc_a.so", lib("cyc_a", &["cyc_b"], None)),
            ("libcyc_b.so", lib("cyc_b", &["cyc_a"], None)),
            ("libp1.so", lib("p1", &[], None)),
            ("libp2.so", lib("p2", &[], None)),
            ("libp.so", lib("p", &["p1", "p2"], None)),
            ("libp2.so", lib("p2", &["p"], None)),
            ("libq1.so", lib("q1", &[], None)),
            ("libq.so", lib("q", &["q1"], None)),
            ("libr.so", lib("r", &["p1"], Some("fn_p1"))),
            ("libsoname_c.so", lib("c", &[], None)),
            ("libsn_b.so", lib("sn_b", &["soname_c"], None)),
            ("libsn_a.so", lib("sn_a", &["sn_b"], None)),
        ];
        let mut fixture = Fixture::new("dynamic_sort");
        for (out, flags) in &steps {
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            fixture = fixture.libc_exe(out, &["lib.c"], &flags);
        }
        fixture
            .libc_exe(
                "cycle",
                &["cycle.c"],
                &["-L.", "-Wl,--no-as-needed", "-lcyc_a", "-lcyc_b", "-Wl,-rpath,$ORIGIN"],
            )
            .libc_exe("dl", &["dl.c"], &[])
            .libc_exe(
                "soname",
                &["cycle.c"],
                &["-L.", "-Wl,--no-as-needed", "-lsn_a", "-Wl,-rpath,$ORIGIN", "-Wl,-soname,libsoname_c.so"],
            )
    }
}
