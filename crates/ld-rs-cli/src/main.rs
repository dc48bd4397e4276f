//! `ld-rs`, the command: runs a program, and every process it starts, under ld-rs.
//!
//! Every dynamically linked program names its loader in `PT_INTERP`
//! (`/lib64/ld-linux-x86-64.so.2`), and the kernel opens that path at each `execve`. So
//! replacing the file at that path, for one process tree only, puts every program of the
//! tree under ld-rs without touching a program or the system: `ld-rs run` gives itself a
//! private mount namespace, bind-mounts ld-rs over glibc's loader there, and then executes
//! the command, which inherits the namespace, as do its children. As root the mount
//! namespace alone will do; anyone else gets it inside a user namespace that maps the user
//! to itself ([`namespace`]). The linker is the `ld-rs.so` installed next to this program,
//! or the one of the build tree it was built in ([`linker`]).
//!
//! This program is an ordinary `std` one, started by glibc's loader like any other; only
//! what it executes runs under ld-rs.

mod linker;
mod namespace;
mod status;

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

/// A failure of the front end itself: one line on stderr, and an exit status in the
/// convention of `env` and `chroot` (125 the front end failed, 126 the command could not
/// be executed, 127 it was not found), so that a shell script can tell them from the
/// command's own.
#[derive(Debug)]
pub struct Error {
    /// What went wrong and, where it helps, how to fix it (may span lines).
    pub message: String,
    /// The exit status.
    pub status: u8,
}

impl Error {
    /// A failure of the front end (status 125).
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            status: 125,
        }
    }
}

/// An `io::Error` as text, without std's ` (os error N)` suffix.
pub fn os_text(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

const USAGE: &str = "\
Usage: ld-rs run [--linker PATH] [--] COMMAND [ARG]...
                                        run COMMAND, and every process it starts, under ld-rs
       ld-rs shell [--linker PATH] [ARG]...
                                        the same with $SHELL (else /bin/sh)
       ld-rs status                     whether this very process runs under ld-rs
       ld-rs which                      the path of the linker that `run` and `shell` use
       ld-rs --version | --help

`run` and `shell` put ld-rs in place of glibc's loader in a private mount namespace, which
needs root or unprivileged user namespaces. In a user namespace you keep your user and
group ids, but set-user-ID and set-group-ID programs run without their privileges and
supplementary groups show as nogroup. The rest of the system does not see ld-rs.

The linker is the one --linker names, else $LD_RS if set, else PREFIX/lib/ld-rs/ld-rs.so
for this program at PREFIX/bin/ld-rs, else ld-rs.so beside this program (a cargo build
tree).
Exit status: the command's; 125 if ld-rs failed, 126 if the command could not be
executed, 127 if it was not found.
";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if !err.message.is_empty() {
                eprintln!("ld-rs: {}", err.message);
            }
            ExitCode::from(err.status)
        }
    }
}

fn run(args: &[OsString]) -> Result<(), Error> {
    let words: Vec<&str> = args.iter().map(|a| a.to_str().unwrap_or("")).collect();
    match words.first().copied() {
        Some(command @ ("run" | "shell")) => {
            // Options: `--linker PATH`, and for `run` a `--` that ends them.
            let mut rest = &args[1..];
            let mut chosen = None;
            loop {
                match rest.first().and_then(|a| a.to_str()) {
                    Some("--linker") => {
                        let Some(path) = rest.get(1) else {
                            return Err(usage("--linker needs a path"));
                        };
                        chosen = Some(path.clone());
                        rest = &rest[2..];
                    }
                    Some("--") if command == "run" => {
                        rest = &rest[1..];
                        break;
                    }
                    _ => break,
                }
            }
            let linker = match chosen {
                Some(path) => linker::named(&path, "--linker")?,
                None => linker::find()?,
            };
            if command == "shell" {
                let shell = std::env::var_os("SHELL")
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "/bin/sh".into());
                return exec_under(&linker, shell, rest);
            }
            let Some((program, program_args)) = rest.split_first() else {
                return Err(usage("`run` needs a command"));
            };
            exec_under(&linker, program.clone(), program_args)
        }
        Some("which") if args.len() == 1 => {
            println!("{}", linker::find()?.display());
            Ok(())
        }
        Some("status") if args.len() == 1 => status::report(&linker::find()?),
        Some("--version" | "-V") if args.len() == 1 => {
            println!("ld-rs {}", env!("CARGO_PKG_VERSION"));
            let found = linker::find()?;
            println!("linker: {}", found.display());
            println!(
                "replaces: {} (in the namespace of `ld-rs run` and `ld-rs shell`)",
                namespace::glibc_loader()?.display()
            );
            Ok(())
        }
        Some("--help" | "-h" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        None => Err(usage("missing command")),
        Some(_) => Err(usage(&format!(
            "unrecognized command line: {}",
            args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
        ))),
    }
}

fn usage(what: &str) -> Error {
    Error::new(format!("{what}\nTry 'ld-rs --help' for more information."))
}

/// Enters a namespace where `linker` is the system's loader and executes `program` there
/// (searched in `PATH`); returns only on failure.
fn exec_under(linker: &std::path::Path, program: OsString, args: &[OsString]) -> Result<(), Error> {
    linker::check_usable(linker)?;
    namespace::enter(linker)?;
    let err = Command::new(&program).args(args).exec();
    let status = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    Err(Error {
        message: format!("cannot run {}: {}", program.to_string_lossy(), os_text(&err)),
        status,
    })
}
