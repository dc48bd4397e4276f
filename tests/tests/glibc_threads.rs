//! Threads in glibc-linked programs: the loader's TLS must serve every thread libpthread
//! (inside libc.so.6) creates (static TLS blocks, DTVs, __tls_get_addr), and cancellation and
//! pthread_exit unwind with libgcc_s.so.1, which libc dlopens (and which finds unwind tables
//! with _dl_find_object).
//!
//! Programs report per thread index, or sorted, so output never depends on scheduling.

use ld_rs_tests::{both_ways, fixtures, Exit, Run};
use std::time::Duration;

/// These programs finish in milliseconds; a loader that hangs should not hold the suite.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A run of one `libc_threads` program (LD_LIBRARY_PATH for libthrtls.so).
fn threads(program: &str) -> Run {
    let built = fixtures::libc_threads();
    Run::new(built.path(program))
        .env("LD_LIBRARY_PATH", built.dir())
        .timeout(TIMEOUT)
        .expect_exit(Exit::Code(0))
}

/// What `cancel` prints after its first line.
const CANCELLED: &str = "\
thread: cleanup handler, arg=cleanup-arg
main: pthread_cancel=0 pthread_join=0
main: result is PTHREAD_CANCELED=1
";

both_ways! {
    /// 8 threads each increment their own __thread counter 1000 times and a shared atomic:
    /// every thread starts from the initial image, the main thread's copy is untouched, and
    /// the copies are distinct.
    fn thread_local_counters() -> Run {
        threads("counter").expect_stdout(
            "thread 0: initial=77000 final+index=1000\nthread 1: initial=77000 final+index=1001\n\
             thread 2: initial=77000 final+index=1002\nthread 3: initial=77000 final+index=1003\n\
             thread 4: initial=77000 final+index=1004\nthread 5: initial=77000 final+index=1005\n\
             thread 6: initial=77000 final+index=1006\nthread 7: initial=77000 final+index=1007\n\
             shared=8000 main's counter=5 distinct addresses=1\n",
        )
    }

    /// pthread_key_create destructors run at thread exit with each thread's value (not for
    /// a NULL value), and again while a destructor sets a value.
    fn key_destructors() -> Run {
        threads("keys").expect_stdout(
            "again destructor: round 1\nagain destructor: round 2\nagain destructor: round 3\n\
             destructor: thread 0\ndestructor: thread 1\ndestructor: thread 3\n\
             main's value is NULL=1\npthread_key_delete=0\n",
        )
    }

    /// pthread_cancel of a thread blocked in pause(): its cleanup handler runs (forced
    /// unwinding through libgcc_s) and join returns PTHREAD_CANCELED.
    fn cancel_thread_in_pause() -> Run {
        threads("cancel")
            .arg("pause")
            .expect_stdout(&format!("thread: going to pause\n{CANCELLED}"))
    }

    /// The same, with the thread blocked in sleep() (nanosleep).
    fn cancel_thread_in_sleep() -> Run {
        threads("cancel")
            .arg("sleep")
            .expect_stdout(&format!("thread: going to sleep\n{CANCELLED}"))
    }

    /// pthread_exit from nested frames of a thread (cleanup handlers innermost first, the
    /// value reaches join), then from the main thread (the process ends with the last
    /// thread, status 0).
    fn pthread_exit_unwinds() -> Run {
        threads("exit").expect_stdout(
            "thread: cleanup inner\nthread: cleanup outer\nmain: thread returned 42\n\
             main: calling pthread_exit\nsurvivor: joined main=0 result=7\n",
        )
    }

    /// A library's global-dynamic __thread variables used from 6 threads: each starts from
    /// the library's initial image and sees only its own changes.
    fn library_tls_in_threads() -> Run {
        threads("thrtls").expect_stdout(
            "thread 0: label unnamed -> worker-0, counter 100 -> 101\n\
             thread 1: label unnamed -> worker-1, counter 100 -> 111\n\
             thread 2: label unnamed -> worker-2, counter 100 -> 121\n\
             thread 3: label unnamed -> worker-3, counter 100 -> 131\n\
             thread 4: label unnamed -> worker-4, counter 100 -> 141\n\
             thread 5: label unnamed -> worker-5, counter 100 -> 151\n\
             main: label unnamed counter 1100\n",
        )
    }

    /// A program that interposes calloc sees its calloc called for a new thread's DTV in
    /// pthread_create's caller, as glibc's loader allocates DTVs with the program's malloc
    /// family once start-up is done (a debugging malloc that sets itself up on its first call
    /// relies on that call coming from one thread); the threads run and are joined.  The
    /// second round's threads reuse the first round's cached stacks, and their DTVs with them.
    fn thread_dtv_from_programs_calloc() -> Run {
        threads("allocs").expect_stdout(
            "round 0: calloc(n, 16) in pthread_create's caller: yes, sum 26\n\
             round 1: calloc(n, 16) in pthread_create's caller: no, sum 26\n\
             main: mine=5\n",
        )
    }

    /// The initial thread's rseq area, registered by the loader as glibc's registers it by
    /// default: `__rseq_size` 20 at `__rseq_offset` 2336 (`struct pthread`'s `rseq_area`), the
    /// kernel holding that very area and keeping its `cpu_id` equal to `sched_getcpu()`; libc
    /// then registers new threads, and a forked child inherits it.
    fn rseq_registered() -> Run {
        threads("rseq").expect_stdout(
            "__rseq_size=20 __rseq_offset=2336 __rseq_flags=0\n\
             main: cpu_id=sched_getcpu(), kernel: registered\n\
             thread: cpu_id=sched_getcpu(), kernel: registered\n\
             child: cpu_id=sched_getcpu(), kernel: registered\n\
             child status 0\n",
        )
        // glibc 2.41: the area is an extra static-TLS block below the thread pointer, its size
        // the kernel's AT_RSEQ_FEATURE_SIZE (28 here).
        .expect_stdout_in(
            "trixie",
            "__rseq_size=28 __rseq_offset=-192 __rseq_flags=0\n\
             main: cpu_id=sched_getcpu(), kernel: registered\n\
             thread: cpu_id=sched_getcpu(), kernel: registered\n\
             child: cpu_id=sched_getcpu(), kernel: registered\n\
             child status 0\n",
        )
    }

    /// `GLIBC_TUNABLES=glibc.pthread.rseq=0`: nothing registered, `__rseq_size` 0 (the offset
    /// still set), `cpu_id` -2 in every thread, so libc registers none either.
    fn rseq_disabled_by_tunable() -> Run {
        threads("rseq").env("GLIBC_TUNABLES", "glibc.pthread.rseq=0").expect_stdout(
            "__rseq_size=0 __rseq_offset=2336 __rseq_flags=0\n\
             main: cpu_id=-2 (registration failed), kernel: unregistered\n\
             thread: cpu_id=-2 (registration failed), kernel: unregistered\n\
             child: cpu_id=-2 (registration failed), kernel: unregistered\n\
             child status 0\n",
        )
        .expect_stdout_in(
            "trixie",
            "__rseq_size=0 __rseq_offset=-192 __rseq_flags=0\n\
             main: cpu_id=-2 (registration failed), kernel: unregistered\n\
             thread: cpu_id=-2 (registration failed), kernel: unregistered\n\
             child: cpu_id=-2 (registration failed), kernel: unregistered\n\
             child status 0\n",
        )
    }
}
