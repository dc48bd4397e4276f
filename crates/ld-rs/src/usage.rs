//! What the loader says about itself when run as a command: `--help`,
//! `--version`, and `LD_DEBUG=help`.

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
pub const HELP: &[u8] = concat!(
    "Usage: ld-rs.so [OPTION]... EXECUTABLE-FILE [ARGS-FOR-PROGRAM...]\n",
    "You have invoked 'ld-rs.so', a program interpreter for dynamically-linked\n",
    "ELF programs (a replacement for glibc's ld.so).\n",
    "\n",
    "  --list                list all dependencies and how they are resolved\n",
    "  --tree                the same as a tree of which object needed which\n",
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
    "  --preload LIST        preload objects named in LIST\n",
    "  --argv0 STRING        set argv[0] to STRING before running\n",
    "  --list-diagnostics    list diagnostics information\n",
    "  --help                display this help and exit\n",
    "  --version             output version information and exit\n",
    "\n",
    "Shared library search path:\n",
    "  (libraries located via /etc/ld.so.cache)\n",
    "  /lib/x86_64-linux-gnu (system search path)\n",
    "  /usr/lib/x86_64-linux-gnu (system search path)\n",
    "  /lib (system search path)\n",
    "  /usr/lib (system search path)\n",
)
.as_bytes();
