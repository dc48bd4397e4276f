//! C++ programs (libstdc++.so.6, libgcc_s.so.1): static initialization of iostreams,
//! exceptions across library boundaries (unwind tables found through the loader), thread_local
//! destructors (__cxa_thread_atexit_impl), and vague-linkage typeinfo unified by symbol
//! resolution.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::time::Duration;

/// These programs finish in milliseconds; a loader that hangs should not hold the suite.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A run of one `libc_cxx` program (LD_LIBRARY_PATH for its libraries).
fn cxx(program: &str) -> Run {
    let built = fixtures::libc_cxx();
    Run::new(built.path(program))
        .env("LD_LIBRARY_PATH", built.dir())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
}

both_ways! {
    /// std::cout and std::cerr with manipulators.
    fn iostream_hello() -> Run {
        cxx("hello")
            .expect_stdout("hello from iostream 42 3.142\nff 1 true\n")
            .expect_stderr_contains("hello on cerr\n")
    }

    /// Exceptions thrown in libthrow.so caught in the program by exact type, by base class
    /// and by catch-all-then-rethrow; one thrown by the program through a library frame
    /// (whose local destructor runs during unwinding).
    fn exception_from_library() -> Run {
        cxx("catch").expect_stdout(
            "caught LibError: error from the library code=17\n\
             caught as std::runtime_error: error from the library\n\
             caught as std::exception: plain runtime_error\ncaught int 5\n\
             libthrow: guard destroyed during unwinding\n\
             caught through the library: thrown by the program code=99\nrethrowing\n\
             caught rethrown: code=1\n",
        )
    }

    /// A thread_local object with a destructor: constructed on first use in each thread,
    /// destroyed when a std::thread ends (before join returns) and when main's thread exits.
    fn thread_local_destructor() -> Run {
        cxx("thread_local").expect_stdout(
            "Noisy: constructed\nworker: uses=2 counter=5\n\
             Noisy: destroyed, owner=worker uses=2\nmain: joined\nNoisy: constructed\n\
             main: uses=1 counter=4\nidle: counter=3\nmain: returning\n\
             Noisy: destroyed, owner=main uses=1\n",
        )
    }

    /// Objects made in one library, dynamic_cast in another and in the program; the weak
    /// typeinfo copies are one object after symbol resolution; an exception of such a class
    /// thrown in a library is caught by base class in the program.
    fn typeinfo_across_libraries() -> Run {
        cxx("typeinfo").expect_stdout(
            "circle: name=circle is_circle_b=1 dynamic_cast in main=1 typeid==Circle=1\n\
             square: name=square is_circle_b=0 dynamic_cast in main=0 typeid==Circle=0\n\
             shape: name=shape is_circle_b=0 dynamic_cast in main=0 typeid==Circle=0\n\
             typeid(Circle) equal across libraries=1\n\
             typeid(Circle) identical across libraries=1\nname=6Circle\n\
             caught a Shape from libshape_b: circle\n",
        )
    }

    /// std::string, std::vector, std::map, streams, shared_ptr.
    fn string_vector_map() -> Run {
        cxx("containers").expect_stdout(
            "size=43 find(fox)=16 substr=quick long size=1043\n\
             words=brown,dog,fox,jumps,lazy,over,quick,the\n  brown -> 5\n  dog -> 3\n  \
             fox -> 3\n  jumps -> 5\n  lazy -> 4\n  over -> 4\n  quick -> 5\n  the -> 3\n\
             sum=6850 max=100\nuse_count=2 front=7\nformatted 1.5 -3\n",
        )
    }
}
