//! What the loader says about itself when run as a command: `--help`,
//! `--version`, and `LD_DEBUG=help`.

use crate::diag::Msg;
use crate::rtld::Linker;
use crate::sys;

/// `LD_DEBUG=help`, in glibc's words.
pub const DEBUG_HELP: &[u8] = concat!(
    "Valid options for the LD_DEBUG environment variable are:\n",
    "\n",
    "  libs        display library search paths\n",
    "  reloc       display relocation processing\n",
    "  files       display progress for input file\n",
    "  symbols     display symbol table processing\n",
    "  bindings    display information about symbol binding\n",
    "  versions    display version dependencies\n",
    "  scopes      display scope information\n",
    "  all         all previous options combined\n",
    "  statistics  display relocation statistics\n",
    "  unused      determined unused DSOs\n",
    "  help        display this help message and exit\n",
    "\n",
    "To direct the debugging output into a file instead of standard output\n",
    "a filename can be specified using the LD_DEBUG_OUTPUT environment variable.\n",
)
.as_bytes();

pub const VERSION: &[u8] = b"ld-rs.so (ld-rs) version 0.1.0, a dynamic linker for x86_64 Linux.\n";
/// `--help`: glibc's text first (its usage line names the loader as it
/// was invoked), then what ld-rs adds.
const HELP_GLIBC: &[u8] = concat!(
    " [OPTION]... EXECUTABLE-FILE [ARGS-FOR-PROGRAM...]\n",
    "You have invoked 'ld.so', the program interpreter for dynamically-linked\n",
    "ELF programs.  Usually, the program interpreter is invoked automatically\n",
    "when a dynamically-linked executable is started.\n",
    "\n",
    "You may invoke the program interpreter program directly from the command\n",
    "line to load and run an ELF executable file; this is like executing that\n",
    "file itself, but always uses the program interpreter you invoked,\n",
    "instead of the program interpreter specified in the executable file you\n",
    "run.  Invoking the program interpreter directly provides access to\n",
    "additional diagnostics, and changing the dynamic linker behavior without\n",
    "setting environment variables (which would be inherited by subprocesses).\n",
    "\n",
    "  --list                list all dependencies and how they are resolved\n",
    "  --verify              verify that given object really is a dynamically linked\n",
    "                        object we can handle\n",
    "  --inhibit-cache       Do not use /etc/ld.so.cache\n",
    "  --library-path PATH   use given PATH instead of content of the environment\n",
    "                        variable LD_LIBRARY_PATH\n",
    "  --glibc-hwcaps-prepend LIST\n",
    "                        search glibc-hwcaps subdirectories in LIST\n",
    "  --glibc-hwcaps-mask LIST\n",
    "                        only search built-in subdirectories if in LIST\n",
    "  --inhibit-rpath LIST  ignore RUNPATH and RPATH information in object names\n",
    "                        in LIST\n",
    "  --audit LIST          use objects named in LIST as auditors\n",
    "  --preload LIST        preload objects named in LIST\n",
    "  --argv0 STRING        set argv[0] to STRING before running\n",
    "  --list-tunables       list all tunables with minimum and maximum values\n",
    "  --list-diagnostics    list diagnostics information\n",
    "  --help                display this help and exit\n",
    "  --version             output version information and exit\n",
    "\n",
    "This program interpreter self-identifies as: /lib64/ld-linux-x86-64.so.2\n",
)
.as_bytes();

/// What ld-rs adds after glibc's text: its own option and variables.
const HELP_LD_RS: &[u8] = concat!(
    "\n",
    "This is ld-rs, a replacement for glibc's ld.so.  Its own additions:\n",
    "  --tree                list the dependencies as a tree of which object\n",
    "                        needed which\n",
    "  LD_RS_TREE=1          the same under ldd (LD_TRACE_LOADED_OBJECTS)\n",
    "  LD_RS_EXPLAIN=1       after a loader error, explain what was searched and\n",
    "                        what would fix it (ignored in secure mode)\n",
    "  LD_RS_CACHE=DIR       keep launch records in DIR: a start whose inputs are\n",
    "                        unchanged replays the last one's search and symbol\n",
    "                        bindings (ignored in secure mode)\n",
    "  --cache-info          say whether PROGRAM's launch records are valid\n",
)
.as_bytes();

impl Linker {
    /// `--help`: glibc's text, the library search path as the program (if
    /// one was named and could be mapped) would see it, the C library's
    /// capability subdirectories (`caps`), then ld-rs's own additions.
    pub fn print_help(&mut self, argv0: &[u8], caps: &[u8]) -> ! {
        let mut out = Msg::new().s(b"Usage: ").s(argv0).s(HELP_GLIBC);
        out = out.s(b"\nShared library search path:\n");
        for line in self.search_path_for_help() {
            out = match line {
                Some((dir, what)) => out.s(b"  ").s(&dir).s(b" (").s(what).s(b")\n"),
                None => out.s(b"  (libraries located via /etc/ld.so.cache)\n"),
            };
        }
        out = out.s(caps).s(HELP_LD_RS);
        sys::write_all(1, out.bytes());
        sys::exit(0)
    }
}
