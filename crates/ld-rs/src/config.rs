//! What the user asked for: `LD_*` environment variables and the options of
//! an explicit `ld-rs.so [OPTIONS] PROGRAM` command line.
//!
//! Variables are matched by their exact name (`LD_DEBUG` must not match
//! `LD_DEBUG_OUTPUT`).  In secure mode (`AT_SECURE`: a setuid, setgid or
//! file-capability program) the variables that could make a privileged
//! program load code of the user's choosing are ignored, as in glibc.

use alloc::vec::Vec;

use crate::start::Startup;

/// What an explicit invocation asks to do with the program.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Run it (the normal case).
    Run,
    /// `--list` / `LD_TRACE_LOADED_OBJECTS`: print the dependencies, do not run.
    List,
    /// `--verify`: only say whether it is an object we can handle.
    Verify,
}

pub struct Config {
    pub mode: Mode,
    pub secure: bool,
    /// `LD_LIBRARY_PATH` or `--library-path`.
    pub library_path: Option<Vec<u8>>,
    /// `LD_BIND_NOW`: resolve every PLT slot at start-up.
    pub bind_now: bool,
    /// `LD_BIND_NOT`: resolve PLT calls but never write the slot back.
    pub bind_not: bool,
    /// `--inhibit-cache`.
    pub inhibit_cache: bool,
    /// `--inhibit-rpath LIST`: objects whose RPATH/RUNPATH are ignored.
    pub inhibit_rpath: Option<Vec<u8>>,
    /// `LD_PRELOAD`: objects loaded before the program's dependencies.
    pub preload: Option<Vec<u8>>,
    /// `LD_AUDIT` then `--audit`: the audit modules, colon-separated.
    pub audit: Vec<u8>,
    /// `--preload LIST`, loaded after `LD_PRELOAD`'s.
    pub preload_arg: Option<Vec<u8>>,
    /// The listing mode came from `LD_TRACE_LOADED_OBJECTS` (`ldd`), where a
    /// missing library is listed as "not found" rather than fatal.
    pub trace_env: bool,
    /// `--tree` / `LD_RS_TREE`: list the dependencies as a tree (ld-rs's own).
    pub tree: bool,
    /// `LD_RS_EXPLAIN`: after a fatal loader error, say what helps fix it
    /// (ld-rs's own, `explain.rs`; ignored in secure mode).
    pub explain: bool,
    /// `LD_DEBUG`: the categories asked for (`debug.rs` bits).
    pub debug: u32,
    /// `LD_DEBUG_OUTPUT`: the file (less its `.PID`) debug lines go to.
    pub debug_output: Option<Vec<u8>>,
    /// `LD_VERBOSE` (`ldd -v`): list version information when tracing.
    pub verbose: bool,
    /// `LD_WARN` (`ldd -d`/`-r`): report undefined symbols when tracing.
    pub warn: bool,
    /// `--argv0 STRING`.
    pub argv0: Option<&'static [u8]>,
    /// `--glibc-hwcaps-prepend LIST`: `glibc-hwcaps` subdirectories tried
    /// before the CPU's own.
    pub hwcaps_prepend: Option<Vec<u8>>,
    /// `--glibc-hwcaps-mask LIST`: the CPU's `glibc-hwcaps` subdirectories
    /// to keep.
    pub hwcaps_mask: Option<Vec<u8>>,
    /// What `$PLATFORM` expands to (`AT_PLATFORM`).
    pub platform: Vec<u8>,
    /// `LD_RS_CACHE`: the directory of the launch cache (`launch.rs`);
    /// never in secure mode.
    pub launch_cache: Option<Vec<u8>>,
    /// `--cache-info`: say whether the program's launch records are valid.
    pub cache_info: bool,
    /// Initializers and finalizers ordered by the older algorithm
    /// (`init.rs`), which glibc 2.36 still offers as
    /// `glibc.rtld.dynamic_sort=1`; set by the runtime before relocation.
    pub original_sort: bool,
    /// Which object a sort for finalizers keeps in front (`init.rs`): a
    /// rule that changed between releases of the C library; set by the
    /// runtime before relocation.
    pub fini_first: crate::init::FiniFirst,
    /// What the audit modules are told around `dlopen` and `dlclose`
    /// (`audit.rs`): likewise rules of the C library's release, set by the
    /// runtime.
    pub audit_rules: crate::audit::Rules,
}

impl Config {
    /// Reads the environment.
    pub fn from_env(st: &Startup) -> Config {
        let secure = st.aux.secure != 0;
        let platform = if st.aux.platform != 0 {
            // SAFETY: AT_PLATFORM points at a NUL-terminated string the kernel put on the stack.
            unsafe { crate::start::cstr(st.aux.platform as *const u8) }.to_vec()
        } else {
            b"x86_64".to_vec()
        };
        let mut cfg = Config {
            mode: Mode::Run,
            secure,
            library_path: None,
            bind_now: false,
            bind_not: false,
            inhibit_cache: false,
            inhibit_rpath: None,
            argv0: None,
            hwcaps_prepend: None,
            hwcaps_mask: None,
            preload: None,
            explain: false,
            tree: false,
            trace_env: false,
            debug: 0,
            debug_output: None,
            verbose: false,
            warn: false,
            preload_arg: None,
            audit: Vec::new(),
            platform,
            launch_cache: None,
            cache_info: false,
            original_sort: false,
            fini_first: crate::init::FiniFirst::BaseHead,
            audit_rules: crate::audit::Rules {
                delete: crate::audit::DeleteNotice::AfterCloses,
                consistent_alone: false,
                loader_record_opened: false,
                consistent_after_relocation: false,
            },
        };
        for entry in st.env_starting(b"LD_") {
            let Some(eq) = entry.iter().position(|&c| c == b'=') else {
                continue;
            };
            let (name, value) = (&entry[..eq], &entry[eq + 1..]);
            match name {
                // An empty value is no path at all (an empty *entry* is the current directory).
                b"LD_LIBRARY_PATH" if !secure && !value.is_empty() => cfg.library_path = Some(value.to_vec()),
                b"LD_PRELOAD" if !value.is_empty() => cfg.preload = Some(value.to_vec()),
                b"LD_AUDIT" if !value.is_empty() => {
                    cfg.audit.extend_from_slice(value);
                    cfg.audit.push(b':');
                }
                b"LD_BIND_NOW" if !value.is_empty() => cfg.bind_now = true,
                b"LD_BIND_NOT" if !value.is_empty() => cfg.bind_not = true,
                // Present at all means trace (what `ldd` sets).
                b"LD_TRACE_LOADED_OBJECTS" => {
                    cfg.mode = Mode::List;
                    cfg.trace_env = true;
                }
                // Printed as the variable is read, as glibc's `process_envvars`
                // does: before anything is loaded, and in the explicit way with
                // what the kernel said about the loader itself.
                b"LD_SHOW_AUXV" if !secure => crate::diag::show_auxv(st),
                b"LD_RS_TREE" if !value.is_empty() => cfg.tree = true,
                b"LD_RS_CACHE" if !secure && !value.is_empty() => cfg.launch_cache = Some(value.to_vec()),
                b"LD_RS_EXPLAIN" if !secure && !value.is_empty() => cfg.explain = true,
                // Read even in secure mode (its warnings and `help` too), and
                // dropped below unless /etc/suid-debug exists, as in glibc.
                b"LD_DEBUG" => {
                    for word in value
                        .split(|&c| c == b',' || c == b':' || c == b' ')
                        .filter(|w| !w.is_empty())
                    {
                        match crate::debug::OPTIONS.iter().find(|(name, _)| *name == word) {
                            Some(&(_, bits)) => cfg.debug |= bits,
                            None => crate::diag::Msg::new()
                                .s(b"warning: debug option `")
                                .s(word)
                                .s(b"' unknown; try LD_DEBUG=help")
                                .write_line(2),
                        }
                    }
                    // `help` ends the process here, before the variables after it.
                    if cfg.debug & crate::debug::HELP != 0 {
                        crate::sys::write_all(1, crate::usage::DEBUG_HELP);
                        crate::sys::exit(0);
                    }
                }
                b"LD_DEBUG_OUTPUT" if !secure => cfg.debug_output = Some(value.to_vec()),
                b"LD_VERBOSE" => cfg.verbose = !value.is_empty(),
                b"LD_WARN" => cfg.warn = !value.is_empty(),
                _ => {}
            }
        }
        if secure && cfg.debug != 0 {
            let allowed =
                crate::sys::CPath::new(b"/etc/suid-debug\0").is_some_and(|p| crate::sys::stat_path(&p).is_ok());
            if !allowed {
                cfg.debug = 0;
            }
        }
        // `unused` must see every binding, the PLT's too (glibc turns lazy
        // binding off for it).
        if cfg.debug & crate::debug::UNUSED != 0 {
            cfg.bind_now = true;
        }
        cfg
    }

    /// True when `--inhibit-rpath` lists the object, by its exact name (the
    /// path it was loaded from; the program's is empty), as glibc compares.
    pub fn inhibit_rpath(&self, object: &[u8]) -> bool {
        match &self.inhibit_rpath {
            Some(list) if !self.secure => list.split(|&c| c == b':').any(|n| n == object),
            _ => false,
        }
    }
}

/// The variables glibc removes from a privileged program's environment
/// (its `UNSECURE_ENVVARS`): each could make the loader or libc of the
/// program, or of the programs it starts, load or trust something the
/// user chose.
// One blob of NUL-separated names, not an array of slices: an array of
// pointers is relocated at start-up, which makes its page private dirty memory.
const UNSECURE: &[u8] = b"GCONV_PATH\0\
    GETCONF_DIR\0\
    HOSTALIASES\0\
    LD_AUDIT\0\
    LD_DEBUG\0\
    LD_DEBUG_OUTPUT\0\
    LD_DYNAMIC_WEAK\0\
    LD_HWCAP_MASK\0\
    LD_LIBRARY_PATH\0\
    LD_ORIGIN_PATH\0\
    LD_PRELOAD\0\
    LD_PROFILE\0\
    LD_SHOW_AUXV\0\
    LOCALDOMAIN\0\
    LOCPATH\0\
    MALLOC_TRACE\0\
    NIS_PATH\0\
    NLSPATH\0\
    RESOLV_HOST_CONF\0\
    RES_OPTIONS\0\
    TMPDIR\0\
    TZDIR";

/// True for a variable a privileged program must not pass on.
pub fn is_unsecure(name: &[u8]) -> bool {
    UNSECURE.split(|&c| c == 0).any(|n| n == name)
}

/// The result of reading an explicit command line.
pub enum Command {
    /// Run (or list, or verify) the program at argv[index].
    Program { index: usize },
    /// `--list-diagnostics`: print the report on the process and exit 0,
    /// whether or not a program follows the options.
    Diagnostics,
    /// `--list-tunables`: print the C library's tunables and exit 0, whether
    /// or not a program follows the options.
    Tunables,
    /// `--help`: print the help, with the program at argv[index] mapped
    /// first if there is one, and exit 0.
    Help { index: Option<usize> },
    /// Print this text on stdout and exit 0 (`--version`).
    Print(&'static [u8]),
    /// A usage error: message on stderr, exit 1.
    Usage(Vec<u8>),
}

/// Parses `ld-rs.so [OPTIONS] PROGRAM ARGS...`, updating `cfg`.
pub fn parse_command_line(st: &Startup, cfg: &mut Config) -> Command {
    // `--list-diagnostics` / `--list-tunables`: glibc's mode, which a later
    // mode option replaces.
    let mut report: Option<Command> = None;
    let mut help = false;
    let mut i = 1;
    while i < st.argc {
        let arg = st.arg(i);
        let next = |i: usize| (i + 1 < st.argc).then(|| st.arg(i + 1));
        match arg {
            // A mode option replaces an earlier `--list-diagnostics`, as in glibc.
            b"--list" => (cfg.mode, report) = (Mode::List, None),
            // ld-rs's own: the listing as a tree of who needed whom.
            b"--tree" => {
                (cfg.mode, report) = (Mode::List, None);
                cfg.tree = true;
            }
            b"--verify" => (cfg.mode, report) = (Mode::Verify, None),
            // ld-rs's own: whether the program's launch records are valid.
            b"--cache-info" => cfg.cache_info = true,
            b"--inhibit-cache" => cfg.inhibit_cache = true,
            b"--list-diagnostics" => (report, help) = (Some(Command::Diagnostics), false),
            b"--list-tunables" => (report, help) = (Some(Command::Tunables), false),
            b"--library-path"
            | b"--inhibit-rpath"
            | b"--argv0"
            | b"--preload"
            | b"--audit"
            | b"--glibc-hwcaps-prepend"
            | b"--glibc-hwcaps-mask" => {
                let Some(value) = next(i) else {
                    let mut m = Vec::new();
                    m.extend_from_slice(b"unrecognized option '");
                    m.extend_from_slice(arg);
                    m.extend_from_slice(b"'");
                    return Command::Usage(m);
                };
                match arg {
                    b"--library-path" => cfg.library_path = Some(value.to_vec()),
                    b"--inhibit-rpath" => cfg.inhibit_rpath = Some(value.to_vec()),
                    b"--argv0" => cfg.argv0 = Some(value),
                    b"--preload" => cfg.preload_arg = Some(value.to_vec()),
                    b"--audit" => {
                        cfg.audit.extend_from_slice(value);
                        cfg.audit.push(b':');
                    }
                    b"--glibc-hwcaps-prepend" => cfg.hwcaps_prepend = Some(value.to_vec()),
                    b"--glibc-hwcaps-mask" => cfg.hwcaps_mask = Some(value.to_vec()),
                    _ => {}
                }
                i += 1;
            }
            // glibc reads the options after it too (a hwcaps option changes
            // the text) and loads a program named after them, if it can.
            b"--help" => (report, help) = (None, true),
            b"--version" => return Command::Print(crate::usage::VERSION),
            _ if arg.starts_with(b"--") => {
                let mut m = Vec::new();
                m.extend_from_slice(b"unrecognized option '");
                m.extend_from_slice(arg);
                m.extend_from_slice(b"'");
                return Command::Usage(m);
            }
            _ if help && report.is_none() => return Command::Help { index: Some(i) },
            _ => return report.unwrap_or(Command::Program { index: i }),
        }
        i += 1;
    }
    if let Some(report) = report {
        return report;
    }
    if help {
        return Command::Help { index: None };
    }
    Command::Usage(b"missing program name".to_vec())
}
