//! Building C fixtures with gcc into `<target>/fixtures/<case>/`, once, safely under parallelism.
//!
//! A [`Fixture`] is a recipe: an ordered list of gcc invocations, each producing one shared
//! library or executable from sources in `tests/fixtures/<case>/`. Outputs go to the target
//! directory, never to the source tree. gcc runs with the output directory as its working
//! directory, so flags such as `-L.` or `-Lgen1` name sibling outputs, and `{src}` in a flag
//! is replaced by the case's source directory (for version scripts).
//!
//! Concurrency: a process builds a case at most once (callers keep the [`Built`] in a
//! `OnceLock`, see [`crate::fixtures`]), and processes exclude each other with a lock file
//! in the case's output directory. A stamp file records the recipe; when it is unchanged and
//! newer than every source, the build is skipped, so the test binaries that share a case
//! build it once between them.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// Flags for every `-nostdlib` object: no libc, no start files, no stack protector (its
/// canary lives in TLS, which a libc-less process may not have), no implicit calls to
/// memcpy/memset that nothing would define.
const NOLIBC_FLAGS: &[&str] = &[
    "-O1",
    "-g",
    "-fno-stack-protector",
    "-fno-builtin",
    "-fno-tree-loop-distribute-patterns",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-nostdlib",
];

/// Flags for objects that use glibc (the programs of later rungs of the test ladder).
const LIBC_FLAGS: &[&str] = &["-O1", "-g", "-Wall", "-Wextra", "-Werror"];

/// What one gcc invocation produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A `-shared -fPIC` library, `-nostdlib`.
    Lib,
    /// A `-nostdlib` executable started by `fixtures/include/start.S`.
    Exe,
    /// An executable linked with glibc (crt1.o, libc.so.6).
    LibcExe,
}

#[derive(Clone, Debug)]
struct Step {
    kind: Kind,
    output: String,
    sources: Vec<String>,
    flags: Vec<String>,
}

/// A recipe for the outputs of one fixture case.
#[derive(Clone, Debug)]
pub struct Fixture {
    case: String,
    steps: Vec<Step>,
}

/// The outputs of a built [`Fixture`].
#[derive(Clone, Debug)]
pub struct Built {
    dir: PathBuf,
}

impl Built {
    /// The output directory of the case (`<target>/fixtures/<case>`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of one output, e.g. `path("main")` or `path("gen1/libver.so")`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The directory holding the C sources of all cases.
pub fn fixtures_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

impl Fixture {
    /// A new, empty recipe for the case whose sources are in `tests/fixtures/<case>/`.
    pub fn new(case: &str) -> Self {
        Fixture {
            case: case.to_owned(),
            steps: Vec::new(),
        }
    }

    /// Adds a `-nostdlib -shared -fPIC` library. `output` may name a subdirectory
    /// (`"lib/libwhere.so"`); flags come after the sources, so `-L`/`-l` work.
    pub fn lib(self, output: &str, sources: &[&str], flags: &[&str]) -> Self {
        self.step(Kind::Lib, output, sources, flags)
    }

    /// Adds a `-nostdlib` executable entered through `start.S`. PIE unless the flags say
    /// `-no-pie` (the toolchain's default).
    pub fn exe(self, output: &str, sources: &[&str], flags: &[&str]) -> Self {
        self.step(Kind::Exe, output, sources, flags)
    }

    /// Adds an executable linked with glibc, for behaviours only libc can show (destructors
    /// run by `exit`, which calls the loader's fini function).
    pub fn libc_exe(self, output: &str, sources: &[&str], flags: &[&str]) -> Self {
        self.step(Kind::LibcExe, output, sources, flags)
    }

    fn step(mut self, kind: Kind, output: &str, sources: &[&str], flags: &[&str]) -> Self {
        self.steps.push(Step {
            kind,
            output: output.to_owned(),
            sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            flags: flags.iter().map(|s| (*s).to_owned()).collect(),
        });
        self
    }

    /// Builds every output unless an up-to-date build is already there.
    ///
    /// # Panics
    /// If gcc fails (with its command line and diagnostics) or the output directory cannot
    /// be written.
    /// Inside the root filesystem `$LD_RS_TESTS_ROOT` names, if any ([`Fixture::build_in`]).
    pub fn build(&self) -> Built {
        match crate::root::selected() {
            Some(root) => self.build_in(root),
            None => self.build_with(None),
        }
    }

    /// Builds every output with the compiler and the libraries of a root filesystem (its gcc
    /// run inside it, see [`crate::root`]), into `<target>/fixtures-SUITE/<case>/`.
    pub fn build_in(&self, root: &crate::root::Root) -> Built {
        self.build_with(Some(root))
    }

    fn build_with(&self, root: Option<&crate::root::Root>) -> Built {
        let dir = match root {
            Some(root) => root.fixtures_dir().join(&self.case),
            None => crate::target_dir().join("fixtures").join(&self.case),
        };
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let lock = File::create(dir.join(".lock"))
            .unwrap_or_else(|e| panic!("cannot create the lock in {}: {e}", dir.display()));
        lock.lock()
            .unwrap_or_else(|e| panic!("cannot lock {}: {e}", dir.display()));

        let sources = match root {
            Some(root) => root.inside(&fixtures_src()),
            None => fixtures_src(),
        };
        let commands: Vec<Vec<String>> = self.steps.iter().map(|s| self.command(s, &sources)).collect();
        let recipe = commands.iter().fold(String::new(), |mut text, argv| {
            let _ = writeln!(text, "{}", argv.join(" "));
            text
        });
        let stamp = dir.join(".stamp");
        if !self.is_fresh(&dir, &stamp, &recipe) {
            let _ = fs::remove_file(&stamp);
            for (step, argv) in self.steps.iter().zip(&commands) {
                if let Some(parent) = Path::new(&step.output).parent() {
                    fs::create_dir_all(dir.join(parent))
                        .unwrap_or_else(|e| panic!("cannot create a dir in {}: {e}", dir.display()));
                }
                run_gcc(&dir, argv, root);
            }
            fs::write(&stamp, &recipe).unwrap_or_else(|e| panic!("cannot write {}: {e}", stamp.display()));
        }
        Built { dir }
    }

    /// The gcc command line of one step (without the program name's path).
    fn command(&self, step: &Step, sources: &Path) -> Vec<String> {
        let src = sources.join(&self.case);
        let include = sources.join("include");
        let mut argv = vec!["gcc".to_owned()];
        let base = if step.kind == Kind::LibcExe {
            LIBC_FLAGS
        } else {
            NOLIBC_FLAGS
        };
        argv.extend(base.iter().map(|f| (*f).to_owned()));
        argv.push(format!("-I{}", include.display()));
        if step.kind == Kind::Lib {
            argv.extend(["-shared".to_owned(), "-fPIC".to_owned()]);
        }
        argv.extend(["-o".to_owned(), step.output.clone()]);
        for source in &step.sources {
            argv.push(src.join(source).display().to_string());
        }
        if step.kind == Kind::Exe {
            argv.push(include.join("start.S").display().to_string());
        }
        if step.kind != Kind::Lib {
            // Let ld find the dependencies of libraries (diamond, cycle) among the outputs;
            // unlike -rpath, this leaves nothing in the program.
            argv.push("-Wl,-rpath-link,.".to_owned());
        }
        let src = src.display().to_string();
        argv.extend(step.flags.iter().map(|f| f.replace("{src}", &src)));
        argv
    }

    /// Whether the stamp records this very recipe and is newer than every source file of the
    /// case and of the shared include directory, and every output exists.
    fn is_fresh(&self, dir: &Path, stamp: &Path, recipe: &str) -> bool {
        let Ok(recorded) = fs::read_to_string(stamp) else {
            return false;
        };
        let Ok(built_at) = fs::metadata(stamp).and_then(|m| m.modified()) else {
            return false;
        };
        let newest_source = [fixtures_src().join(&self.case), fixtures_src().join("include")]
            .iter()
            .filter_map(|d| fs::read_dir(d).ok())
            .flatten()
            .filter_map(|entry| entry.ok()?.metadata().ok()?.modified().ok())
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        recorded == recipe && newest_source <= built_at && self.steps.iter().all(|s| dir.join(&s.output).exists())
    }
}

/// Runs one gcc command in `dir` (inside `root`, if given, with the root's own gcc).
fn run_gcc(dir: &Path, argv: &[String], root: Option<&crate::root::Root>) {
    let mut command = match root {
        Some(root) => {
            let mut command = root.command(Path::new("/usr/bin").join(&argv[0]).as_path(), &root.inside(dir), None);
            command.env_clear().env("PATH", "/usr/bin:/bin");
            command
        }
        None => {
            let mut command = Command::new(&argv[0]);
            command.current_dir(dir);
            command
        }
    };
    let output = command
        .args(&argv[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run gcc ({e}); is it installed?"));
    if !output.status.success() {
        panic!(
            "fixture build failed in {}:\n  {}\n{}{}",
            dir.display(),
            argv.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
