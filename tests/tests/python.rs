//! Python under ld-rs: two CPython 3.11 builds and Debian 13's CPython 3.13, each entered in
//! all three ways ([`Way`]).
//!
//! - `/usr/bin/python3.11`, Debian's, with libpython linked in statically;
//! - pyenv's `/root/.pyenv/versions/3.11.7/bin/python3.11` (`python3` on PATH), which needs
//!   `libpython3.11.so.1.0` through its RUNPATH `/root/.pyenv/versions/3.11.7/lib`;
//! - Debian 13's `/usr/bin/python3.13` inside the root filesystem of `cargo xtask rootfs
//!   trixie` (glibc 2.41, whose own loader is the oracle there; see [`ld_rs_tests::root`]).
//!
//! Each test runs a script of `tests/fixtures/python/` (or `-c`) that prints only
//! deterministic text. The scripts load most of what a python process loads: every extension
//! module of lib-dynload (with their libraries: OpenSSL, sqlite, libffi, ncurses, …),
//! libraries dlopened by ctypes, threads, and child processes — which under
//! [`Way::SystemWide`] run under ld-rs too (subprocess, multiprocessing's fork and spawn).
//!
//! The [`Way::Interp`] copies live in `<target>/fixtures/python/interp/` rather than next to
//! the real programs (nothing is written into /usr/bin or pyenv's tree); they are started
//! with the real program's path as `argv[0]`, from which python derives `sys.executable` and
//! its prefix, and the environment of every run names the python's home (`PYTHONHOME`)
//! anyway. So in the interp way, as in the explicit one, the children a script starts through
//! `sys.executable` run the real program, under glibc: only [`Way::SystemWide`] runs them
//! under ld-rs (see `system_wide_children_run_under_ld_rs`).

use ld_rs_tests::root::{self, Root};
use ld_rs_tests::{ld_rs, need_way, prerequisite, target_dir, Built, Exit, Fixture, Loader, Run, Way};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Python runs take well under a second; multiprocessing's spawn starts several pythons.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The pyenv CPython's installation prefix.
const PYENV_HOME: &str = "/root/.pyenv/versions/3.11.7";

/// One of the pythons under test.
#[derive(Clone, Copy, Debug)]
enum Python {
    /// `/usr/bin/python3.11`.
    UsrBin,
    /// pyenv's 3.11.7, with a shared libpython.
    Pyenv,
    /// Debian 13's `/usr/bin/python3.13` (libpython linked in statically), run inside the
    /// root filesystem of `cargo xtask rootfs trixie` with glibc 2.41 and its loader as the
    /// oracle ([`ld_rs_tests::root`]).
    Trixie,
}

impl Python {
    /// The program (for [`Python::Trixie`], its path inside the root).
    fn program(self) -> PathBuf {
        match self {
            Python::UsrBin => PathBuf::from("/usr/bin/python3.11"),
            Python::Pyenv => PathBuf::from(PYENV_HOME).join("bin/python3.11"),
            Python::Trixie => PathBuf::from("/usr/bin/python3.13"),
        }
    }

    fn home(self) -> &'static str {
        match self {
            Python::UsrBin | Python::Trixie => "/usr",
            Python::Pyenv => PYENV_HOME,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Python::UsrBin => "usr_bin",
            Python::Pyenv => "pyenv",
            Python::Trixie => "trixie",
        }
    }

    /// The root filesystem it runs in, if not this machine's.
    fn root(self) -> Option<&'static Root> {
        match self {
            Python::UsrBin | Python::Pyenv => None,
            Python::Trixie => Some(root::trixie().expect("have(Python::Trixie) was checked")),
        }
    }

    /// Where its fixtures go.
    fn fixtures_dir(self) -> PathBuf {
        match self.root() {
            Some(root) => root.fixtures_dir(),
            None => target_dir().join("fixtures"),
        }
    }
}

/// Whether `python` is installed, as a [`prerequisite`].
fn have(python: Python) -> bool {
    let what = match python {
        Python::UsrBin => "Debian's /usr/bin/python3.11 (apt-get install -y python3.11)".to_owned(),
        Python::Pyenv => format!(
            "pyenv's CPython 3.11.7 at {PYENV_HOME} (pyenv install 3.11.7, as root: the tests \
             name that path)"
        ),
        Python::Trixie => {
            let Some(root) = root::trixie() else { return false };
            return prerequisite(
                root.outside(&python.program()).exists(),
                "python3.13 in the trixie root filesystem (cargo xtask rootfs trixie installs it)",
            );
        }
    };
    prerequisite(python.program().exists(), &what)
}

/// A run of `python` with the environment every python test uses: its home, no bytecode
/// written into the source tree, a fixed hash seed, no user site directory.
fn python(python: Python) -> Run {
    let run = Run::new(python.program())
        .env("PYTHONHOME", python.home())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONNOUSERSITE", "1")
        .interp_copies_in(python.fixtures_dir().join("python").join("interp").join(python.tag()))
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0));
    match python.root() {
        Some(root) => run.in_root(root),
        None => run,
    }
}

/// A run of one script of `tests/fixtures/python/`.
fn script(py: Python, name: &str) -> Run {
    python(py).arg(ld_rs_tests::build::fixtures_src().join("python").join(name))
}

/// The extension modules of `extension.py`, built against pyenv's headers (the same 3.11
/// ABI as Debian's): `pypresent.so`, needing `dep/libextdep.so` through RUNPATH
/// `$ORIGIN/dep`, and `pymissing.so`, needing `libextgone.so`, which was linked from `gone/`
/// and is on no search path at run time. For [`Python::Trixie`], built inside the root
/// against Debian 13's python3.13 headers (libpython3.13-dev).
fn extensions(py: Python) -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    static BUILT_IN_ROOT: OnceLock<Built> = OnceLock::new();
    let Some(root) = py.root() else {
        return BUILT.get_or_init(|| extension_fixture(&format!("{PYENV_HOME}/include/python3.11"), None));
    };
    BUILT_IN_ROOT.get_or_init(|| extension_fixture("/usr/include/python3.13", Some(root)))
}

/// The recipe of [`extensions`] with the headers in `headers` (inside `root`, if given).
fn extension_fixture(headers: &str, root: Option<&Root>) -> Built {
    {
        let outside = match root {
            Some(root) => root.outside(std::path::Path::new(headers)),
            None => PathBuf::from(headers),
        };
        assert!(
            outside.join("Python.h").exists(),
            "missing prerequisite: the python headers at {} (the extension modules are built \
             against them)",
            outside.display()
        );
        let include = format!("-I{headers}");
        let lib =
            |answer: &'static str, soname: &'static str| -> [&'static str; 4] { ["-shared", "-fPIC", answer, soname] };
        let fixture = Fixture::new("python")
            .libc_exe(
                "dep/libextdep.so",
                &["extdep.c"],
                &lib("-DANSWER=42", "-Wl,-soname,libextdep.so"),
            )
            .libc_exe(
                "gone/libextgone.so",
                &["extdep.c"],
                &lib("-DANSWER=7", "-Wl,-soname,libextgone.so"),
            )
            .libc_exe(
                "pypresent.so",
                &["extmod.c"],
                &[
                    "-shared",
                    "-fPIC",
                    "-DMODULE=pypresent",
                    &include,
                    "-Ldep",
                    "-lextdep",
                    "-Wl,-rpath,$ORIGIN/dep",
                ],
            )
            .libc_exe(
                "pymissing.so",
                &["extmod.c"],
                &[
                    "-shared",
                    "-fPIC",
                    "-DMODULE=pymissing",
                    &include,
                    "-Lgone",
                    "-lextgone",
                ],
            );
        match root {
            Some(root) => fixture.build_in(root),
            None => fixture.build(),
        }
    }
}

/// What the scripts whose output does not depend on the python print.
const CTYPES_STDOUT: &str = "\
strlen: 13
cos(0): 1.0
cos(pi): -1.000000000000
global strlen: 3
getpid is libc's: True
qsort: [1, 2, 3, 5, 7, 9]
";

/// What `ctypes_errors.py` prints: dlerror()'s messages (the last names the program, as
/// glibc's `_dl_argv[0]`).
fn ctypes_errors_stdout(py: Python) -> String {
    format!(
        "missing library: libdoes-not-exist.so.7: cannot open shared object file: No such file or directory\n\
         missing symbol: /lib/x86_64-linux-gnu/libc.so.6: undefined symbol: no_such_function_in_libc\n\
         missing global symbol: {}: undefined symbol: no_such_function_anywhere\n",
        py.program().display()
    )
}

const SQLITE3_STDOUT: &str = "\
(3, 'GAMMA!')
(2, 'BETA!')
(1, 'ALPHA!')
(3, 14)
sqlite version is a string: True
";

const SSL_STDOUT: &str = "\
verify_mode: 2
check_hostname: True
has TLSv1.3: True
ciphers > 0: True
openssl: OpenSSL
hmac: 6e9ef29b75fffc5b7abae527d58fdadb2fe42e7219011976917343065f58ed4a
client hello bytes > 0: True
";

const HASHLIB_STDOUT: &str = "\
md5 9e107d9d372bb6826bd81d3542a419d6
sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12
sha224 730e109bd7a8a32b1cb9d9a09aa2325d2430587ddbc0c38bad911525
sha256 d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592
sha384 ca737f1014a48f4c0b6dd43cb177b0afd9e5169367544c494011e3317dbf9a509cb1e5dc1e85a941bbee3d7f2afbc9b1
sha512 07e547d9586f6a73f73fbac0435ed76951218fb7d0c8d788a309d785436bbb642e93a252a954f23912547d1e8a3b5ed6e1bfd7097821233fa0538f3db854fee6
sha3_256 69070dda01975c8c120c3aada1b282394e7f032fa9cf32f4cb2259a0897dfc04
blake2b a8add4bdddfd93e4877d2746e62817b116364a1fa7bc148d95090bc7333b3673f82401cf7aa2e4cb1ecd90296e3f14cb5413f8ed77be73045b13914cdcd6a918
blake2s 606beeec743ccbeff6cbcdf5d5302aa855c256c29b88c8ed331ea1a6bf3c8812
shake_128 f4202e3c5852f9182a0430fd8144f0a7
pbkdf2 632c2812e46d4604102ba7618e9d6d7d2f8128f6266b4a03264d2a0460b7dcb3
guaranteed: ['blake2b', 'blake2s', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha3_224', 'sha3_256', 'sha3_384', 'sha3_512', 'sha512', 'shake_128', 'shake_256']
";

const COMPRESSION_STDOUT: &str = "\
zlib crc32: 3960983242 adler32: 15437665
zlib round trip: True smaller: True
bz2 round trip: True smaller: True
lzma round trip: True smaller: True
zlib level 9 size: 5146
lzma xz check: True
";

const DECIMAL_STDOUT: &str = "\
C implementation (libmpdec): True
1/7 = 0.14285714285714285714285714285714285714285714285714
sqrt(2) = 1.4142135623730950488016887242096980785696718753769
exp(1) = 2.7182818284590452353602874713526624977572470937000
0.1 + 0.2 = 0.3
quantize: 3.14
trap: DivisionByZero
2**200 = 1.606938044258990275541962092E+60
";

const UUID_STDOUT: &str = "\
uuid3: 6fa459ea-ee8a-3ca4-894e-db77e160355e
uuid5: b43c171a-4802-5e43-8bfd-1e58c83c2b1f
uuid1 version: 1 variant: specified in RFC 4122
uuid4 version: 4 length: 36
UUID from bytes: 00010203-0405-0607-0809-0a0b0c0d0e0f
";

const THREADS_STDOUT: &str = "\
thread 0 (0, '68ae60ee56c6422f', 909, 1)
thread 1 (1, 'da747aef2f353990', 909, 2)
thread 2 (2, '096df06c54f18303', 909, 3)
thread 3 (3, '8e7cf044f08e1329', 909, 4)
thread 4 (4, 'bf244dda85213ed0', 909, 5)
thread 5 (5, '397fe58a42d363cf', 909, 6)
thread 6 (6, '191b0e37102141fc', 909, 7)
thread 7 (7, 'b5998d9781d1f82e', 909, 8)
main's local has no index: True
";

const SUBPROCESS_STDOUT: &str = "\
child stdout: child 3392463684
child stderr: 
child status: 3
child has the same prefix: True
";

/// What `multiprocessing_pool.py METHOD` prints.
fn multiprocessing_stdout(method: &str) -> String {
    format!(
        "{method} [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n{method} apply: 6\n\
         {method} queue: ('from child', 42)\n{method} exitcode: 0\n"
    )
}

const TIMED_WAITS_STDOUT: &str = "\
lock acquire: False True
event wait: False True
condition wait: False True
queue get: Empty True
sleep: None True
faulthandler watchdog quiet: True
";

/// For each run description `fn name(py) -> Run`, a module `name` with the modules
/// `usr_bin`, `pyenv` and `trixie`, each holding the tests `explicit`, `interp` and
/// `system_wide`.
macro_rules! python_tests {
    ($($(#[$doc:meta])* fn $name:ident($py:ident) -> Run $body:block)*) => {$(
        $(#[$doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($py: Python) -> Run $body

            python_tests!(@ways usr_bin, Python::UsrBin);
            python_tests!(@ways pyenv, Python::Pyenv);
            python_tests!(@ways trixie, Python::Trixie);
        }
    )*};
    (@ways $module:ident, $python:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn explicit() {
                if have($python) {
                    run($python).compare(Way::Explicit);
                }
            }

            #[test]
            fn interp() {
                if have($python) {
                    run($python).compare(Way::Interp);
                }
            }

            #[test]
            fn system_wide() {
                if have($python) && need_way(Way::SystemWide) {
                    run($python).compare(Way::SystemWide);
                }
            }
        }
    };
}

python_tests! {
    /// `python -c 'print(1)'`: the interpreter starts, finds its standard library and exits.
    fn print_one(py) -> Run {
        python(py).arg("-c").arg("print(1)").expect_stdout("1\n")
    }

    /// Where the interpreter found its standard library: the same in every way (the
    /// `interp` copies live elsewhere, and PYTHONHOME brings them home).
    fn stdlib_paths(py) -> Run {
        python(py)
            .arg("-c")
            .arg("import sys, os; print(sys.prefix, sys.exec_prefix); print(sys.path[1:]); print(os.__file__)")
    }

    /// Every extension module of lib-dynload imports, or fails with the same message.
    fn lib_dynload(py) -> Run {
        script(py, "lib_dynload.py")
    }

    /// ctypes: dlopen of libc and libm, strlen and cos, dlsym of the global scope, a libffi
    /// closure called back from qsort.
    fn ctypes(py) -> Run {
        script(py, "use_ctypes.py").expect_stdout(CTYPES_STDOUT)
    }

    /// ctypes' errors carry dlerror()'s text: a missing library (dlopen), a missing symbol
    /// in a library and in the global scope (dlsym).
    fn ctypes_errors(py) -> Run {
        script(py, "ctypes_errors.py").expect_stdout(&ctypes_errors_stdout(py))
    }

    /// sqlite3 with a python function called from SQL.
    fn sqlite3(py) -> Run {
        script(py, "use_sqlite3.py").expect_stdout(SQLITE3_STDOUT)
    }

    /// ssl: a default context, an HMAC, the first flight of a handshake.
    fn ssl(py) -> Run {
        script(py, "use_ssl.py").expect_stdout(SSL_STDOUT)
    }

    /// hashlib's OpenSSL and builtin digests.
    fn hashlib(py) -> Run {
        script(py, "use_hashlib.py").expect_stdout(HASHLIB_STDOUT)
    }

    /// zlib, bz2 and lzma round trips.
    fn compression(py) -> Run {
        script(py, "use_compression.py").expect_stdout(COMPRESSION_STDOUT)
    }

    /// decimal's C implementation.
    fn decimal(py) -> Run {
        script(py, "use_decimal.py").expect_stdout(DECIMAL_STDOUT)
    }

    /// uuid, with _uuid's libuuid.
    fn uuid(py) -> Run {
        script(py, "use_uuid.py").expect_stdout(UUID_STDOUT)
    }

    /// 8 threads hashing, compressing and calling libc, with a threading.local.
    fn threads(py) -> Run {
        script(py, "threads.py").expect_stdout(THREADS_STDOUT)
    }

    /// The threads script again with LD_BIND_NOW=1: every PLT slot of the program, libpython
    /// and the libraries (and of the modules python dlopens) bound before it runs.
    fn bind_now(py) -> Run {
        script(py, "threads.py").env("LD_BIND_NOW", "1").expect_stdout(THREADS_STDOUT)
    }

    /// The python runs itself (sys.executable) as a child process.
    fn subprocess_self(py) -> Run {
        script(py, "subprocess_self.py").expect_stdout(SUBPROCESS_STDOUT)
    }

    /// Timed waits (locks, events, conditions, queues, sleep, faulthandler's watchdog) last
    /// until their deadline: libc's futex waits with an absolute deadline.
    fn timed_waits(py) -> Run {
        script(py, "timed_waits.py").expect_stdout(TIMED_WAITS_STDOUT)
    }

    /// multiprocessing with fork: a pool of 2, a Process and a Queue.
    fn multiprocessing_fork(py) -> Run {
        script(py, "multiprocessing_pool.py")
            .arg("fork")
            .expect_stdout(&multiprocessing_stdout("fork"))
    }

    /// multiprocessing with spawn: the workers are new pythons (sys.executable).
    fn multiprocessing_spawn(py) -> Run {
        script(py, "multiprocessing_pool.py")
            .arg("spawn")
            .expect_stdout(&multiprocessing_stdout("spawn"))
    }

    /// Extension modules of our own: one whose library is found through its RUNPATH, one
    /// whose library is missing (the ImportError carries the loader's message).
    fn extension_modules(py) -> Run {
        script(py, "extension.py")
            .env("PYTHONPATH", extensions(py).dir())
            .expect_stdout(
                "pypresent ok: 42\n\
                 pymissing ImportError: libextgone.so: cannot open shared object file: No such file or directory\n\
                 pymissing name: pymissing\n",
            )
    }
}

/// Guards the meaning of the `system_wide` tests: the processes python starts there really run
/// under the linker under test (the loader `/lib64/ld-linux-x86-64.so.2` they find says it is).
#[test]
fn system_wide_children_run_under_ld_rs() {
    if !(have(Python::UsrBin) && have(Python::Pyenv) && need_way(Way::SystemWide)) {
        return;
    }
    children_run_under_ld_rs(&[Python::UsrBin, Python::Pyenv]);
}

/// The same in Debian 13's root filesystem: there the linker under test is mounted over the
/// root's own loader, which python's children find.
#[test]
fn trixie_system_wide_children_run_under_ld_rs() {
    if have(Python::Trixie) {
        children_run_under_ld_rs(&[Python::Trixie]);
    }
}

fn children_run_under_ld_rs(pythons: &[Python]) {
    let version = Command::new(ld_rs())
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} --version: {e}", ld_rs().display()));
    let version = String::from_utf8_lossy(&version.stdout);
    let expected = format!("{}\n", version.lines().next().unwrap_or_default());
    for &py in pythons {
        let run = python(py).arg("-c").arg(
            "import subprocess; \
             out = subprocess.run(['/lib64/ld-linux-x86-64.so.2', '--version'], capture_output=True, text=True); \
             print(out.stdout.splitlines()[0])",
        );
        let out = run.run(Loader::LdRs, Way::SystemWide);
        assert_eq!(
            out.stdout_text(),
            expected,
            "python's child did not run the linker under test:\n{out}"
        );
    }
}
