//! `cargo xtask glibc-layout ROOT`: the private layouts of a glibc build, read from its debug
//! info, written as a Rust table under `crates/ld-rs/src/glibc/layouts/`.
//!
//! ROOT is a root filesystem (`/`, or one made by `cargo xtask rootfs`) with `libc6-dbg`
//! installed. Its `ld-linux-x86-64.so.2` and `libc.so.6` are found under
//! `usr/lib/x86_64-linux-gnu/`, their debug files under `usr/lib/debug/.build-id/` by their
//! build ids, and gdb (with the script `glibc_dump.py`) reads from the debug info every structure
//! the glibc layer touches — offsets, sizes and bit-field positions of every member — and the
//! loader's `tunable_list` (ids, types, bounds, defaults, security levels, aliases). readelf
//! gives the symbols ld.so exports and those libc imports from it. The structures are read from
//! both debug files where both describe them, and must agree.
//!
//! The table's first part lists the builds it covers (build ids of libc.so.6 and ld.so, and
//! where each came from); the rest, the layout itself, is the build's fingerprint.
//! `--register-build DIR` reads a glibc build tree (`DIR/libc.so`, `DIR/elf/ld.so`, which carry
//! their own debug info), and if its layout is exactly that of a table already in the repository
//! it adds the build's ids to that table (this is how the rebuild of Debian's source that
//! `cargo xtask glibc-tests` uses is accepted); a build whose layout matches no table is refused.
//! `--check ROOT` regenerates the table and fails if it differs from the committed one.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{workspace_root, Failed};

/// The gdb script that prints the facts.
const DUMP_PY: &str = include_str!("glibc_dump.py");

/// The C types read from the debug info, and the module each becomes in the table.
const TYPES: &[(&str, &str)] = &[
    ("struct rtld_global", "rtld_global"),
    ("struct rtld_global_ro", "rtld_global_ro"),
    ("struct link_namespaces", "link_namespaces"),
    ("struct r_scope_elem", "r_scope_elem"),
    ("struct r_debug_extended", "r_debug_extended"),
    ("struct link_map", "link_map"),
    ("struct pthread", "pthread"),
    ("tcbhead_t", "tcbhead"),
    ("struct cpu_features", "cpu_features"),
    ("struct cpu_features_basic", "cpu_features_basic"),
    ("struct cpuid_feature_internal", "cpuid_feature_internal"),
    ("struct cpuid_registers", "cpuid_registers"),
    ("struct dl_find_object", "dl_find_object"),
    ("struct dl_exception", "dl_exception"),
    ("struct _tunable", "tunable"),
];

const MULTIARCH: &str = "usr/lib/x86_64-linux-gnu";

fn fail(message: impl std::fmt::Display) -> Failed {
    eprintln!("xtask: glibc-layout: {message}");
    Failed
}

/// `cargo xtask glibc-layout [--check] ROOT` / `--register-build DIR`.
pub fn run(options: &[&str]) -> Result<(), Failed> {
    match options {
        [root] if !root.starts_with('-') => generate(Path::new(root), false),
        ["--check", root] => generate(Path::new(root), true),
        ["--register-build", dir] => register_build(Path::new(dir)).map(|_| ()),
        _ => Err(fail(
            "usage: cargo xtask glibc-layout [--check] ROOT | --register-build GLIBC_BUILD_DIR",
        )),
    }
}

/// The directory of the tables.
fn layouts_dir() -> PathBuf {
    workspace_root().join("crates/ld-rs/src/glibc/layouts")
}

/// One build a table covers.
struct Build {
    libc: String,
    ld_so: String,
    origin: String,
}

impl Build {
    fn render(&self) -> String {
        format!(
            "    Build {{\n        libc: {},\n        ld_so: {},\n        origin: {:?},\n    }},\n",
            hex_bytes(&self.libc),
            hex_bytes(&self.ld_so),
            self.origin
        )
    }
}

const BUILDS_START: &str = "pub const BUILDS: &[Build] = &[\n";
const BUILDS_END: &str = "];\n\n// The layout: everything below is this release's fingerprint";

/// Regenerates (or with `check`, verifies) the table of ROOT's glibc.
fn generate(root: &Path, check: bool) -> Result<(), Failed> {
    let lib = root.join(MULTIARCH);
    let (ld_so, libc) = (lib.join("ld-linux-x86-64.so.2"), lib.join("libc.so.6"));
    let ld_id = build_id(&ld_so)?;
    let libc_id = build_id(&libc)?;
    let debug_file = |id: &str| {
        root.join("usr/lib/debug/.build-id")
            .join(&id[..2])
            .join(format!("{}.debug", &id[2..]))
    };
    for (file, id) in [(&ld_so, &ld_id), (&libc, &libc_id)] {
        if !debug_file(id).is_file() {
            return Err(fail(format_args!(
                "{} (build id {id}) has no debug file {}: install libc6-dbg in {}",
                file.display(),
                debug_file(id).display(),
                root.display()
            )));
        }
    }
    let package = dpkg_version(root)?;
    let release = release(&libc)?;
    let body = body(&release, &ld_so, &libc, Some(&root.join("usr/lib/debug")))?;
    let name = format!(
        "{}_{}.rs",
        release.to_lowercase().replace('.', "_"),
        debian_tag(&package)
    );
    let path = layouts_dir().join(&name);
    let mut builds = vec![Build {
        libc: libc_id,
        ld_so: ld_id,
        origin: format!("Debian libc6 {package} (amd64)"),
    }];
    // Builds registered with --register-build stay as long as the layout is the same.
    if let Ok(old) = fs::read_to_string(&path) {
        let (old_builds, old_body) =
            split(&old).ok_or_else(|| fail(format_args!("{}: not a table", path.display())))?;
        for b in old_builds.into_iter().skip(1) {
            if old_body == body {
                builds.push(b);
            } else {
                eprintln!(
                    "xtask: glibc-layout: the layout changed: dropping registered build {}",
                    b.origin
                );
            }
        }
    }
    let text = render(&release, &package, root, &builds, &body);
    if check {
        let old = fs::read_to_string(&path).map_err(|err| fail(format_args!("{}: {err}", path.display())))?;
        if old != text {
            let new_path = std::env::temp_dir().join(&name);
            let _ = fs::write(&new_path, &text);
            return Err(fail(format_args!(
                "{} differs from what {} gives (regenerated: {}; run `cargo xtask glibc-layout {}`)",
                path.display(),
                root.display(),
                new_path.display(),
                root.display()
            )));
        }
        println!("{} matches {}'s debug info", path.display(), root.display());
        return Ok(());
    }
    fs::create_dir_all(layouts_dir()).map_err(fail)?;
    fs::write(&path, text).map_err(|err| fail(format_args!("{}: {err}", path.display())))?;
    println!("{}", path.display());
    Ok(())
}

/// `--register-build DIR`: adds a glibc build tree's ids to the table whose layout it has;
/// whether it was not there yet.
pub fn register_build(dir: &Path) -> Result<bool, Failed> {
    let (mut ld_so, libc) = (dir.join("elf/ld.so"), dir.join("libc.so"));
    // While `cargo xtask glibc-tests` runs ld-rs in the tree, glibc's loader waits under this
    // name.
    let original = dir.join("elf/ld.so.glibc-original");
    if original.is_file() {
        ld_so = original;
    }
    let release = release(&libc)?;
    let body = body(&release, &ld_so, &libc, None)?;
    let (libc_id, ld_id) = (build_id(&libc)?, build_id(&ld_so)?);
    let mut tables: Vec<PathBuf> = fs::read_dir(layouts_dir())
        .map_err(fail)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("mod.rs"))
        .collect();
    tables.sort();
    for path in tables {
        let old = fs::read_to_string(&path).map_err(|err| fail(format_args!("{}: {err}", path.display())))?;
        let Some((mut builds, old_body)) = split(&old) else {
            continue;
        };
        if old_body != body {
            continue;
        }
        if builds.iter().any(|b| b.libc == libc_id) {
            println!(
                "{}: already covers {} (libc.so.6 build id {libc_id})",
                path.display(),
                dir.display()
            );
            return Ok(false);
        }
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        builds.push(Build {
            libc: libc_id.clone(),
            ld_so: ld_id.clone(),
            origin: format!("registered: the glibc build tree {}", canonical.display()),
        });
        let head_end = old.find(BUILDS_START).expect("split found it");
        let tail_start = old.find(BUILDS_END).expect("split found it");
        let mut text = old[..head_end + BUILDS_START.len()].to_owned();
        builds.iter().for_each(|b| text.push_str(&b.render()));
        text.push_str(&old[tail_start..]);
        fs::write(&path, text).map_err(|err| fail(format_args!("{}: {err}", path.display())))?;
        println!(
            "{}: now also covers {} (libc.so.6 build id {libc_id})",
            path.display(),
            dir.display()
        );
        return Ok(true);
    }
    Err(fail(format_args!(
        "{}'s layout ({release}) matches no table in {}: generate one from a root filesystem with its libc6-dbg",
        dir.display(),
        layouts_dir().display()
    )))
}

/// A table's builds and its layout part.
fn split(text: &str) -> Option<(Vec<Build>, String)> {
    let start = text.find(BUILDS_START)? + BUILDS_START.len();
    let end = text.find(BUILDS_END)?;
    let mut builds = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text[start..end].lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("libc: ") {
            current = Some((unhex(v), String::new()));
        } else if let Some(v) = line.strip_prefix("ld_so: ") {
            current.as_mut()?.1 = unhex(v);
        } else if let Some(v) = line.strip_prefix("origin: ") {
            let (libc, ld_so) = current.take()?;
            let origin = v.trim_end_matches(',').trim_matches('"').replace("\\\"", "\"");
            builds.push(Build { libc, ld_so, origin });
        }
    }
    Some((builds, text[end..].to_owned()))
}

fn render(release: &str, package: &str, root: &Path, builds: &[Build], body: &str) -> String {
    let mut text = format!(
        "//! glibc {} for x86_64 as Debian's libc6 {package} builds it: the private layouts, tunables and\n\
         //! symbols of its loader contract, read from libc6-dbg's debug info.\n\
         //!\n\
         //! Generated by `cargo xtask glibc-layout {}`; do not edit. `--check` verifies it.\n\n\
         #[allow(unused_imports)]\n\
         use super::{{Bits, Build, Field, Sec, Symbol, Tunable, Ty}};\n\n\
         /// The builds of libc.so.6 (with their ld.so) this table describes.\n",
        release.trim_start_matches("GLIBC_"),
        // Relative to the workspace when inside it, so the header (and `--check`) does not
        // depend on where the repository or the target directory lives.
        root.strip_prefix(workspace_root()).unwrap_or(root).display()
    );
    text.push_str(BUILDS_START);
    builds.iter().for_each(|b| text.push_str(&b.render()));
    text.push_str(body);
    text
}

/// The layout part of a table: release, structures, tunables, symbols.
fn body(release: &str, ld_so: &Path, libc: &Path, debug_dir: Option<&Path>) -> Result<String, Failed> {
    let ld_facts = gdb_facts(ld_so, debug_dir, true)?;
    let libc_facts = gdb_facts(libc, debug_dir, false)?;
    let ld = parse(&ld_facts)?;
    let lc = parse(&libc_facts)?;
    // Where both objects describe a structure they must agree; ld.so's is used.
    for (module, s) in &lc.structs {
        if let Some(other) = ld.structs.get(module) {
            if other != s {
                return Err(fail(format_args!(
                    "struct {module} differs between ld.so's and libc's debug info"
                )));
            }
        }
    }
    let mut structs = ld.structs.clone();
    for (module, s) in lc.structs {
        structs.entry(module).or_insert(s);
    }
    let mut out = String::new();
    out.push_str(BUILDS_END);
    out.push_str(" (`--register-build` compares it).\n\n");
    writeln!(out, "/// The release: libc.so.6's newest `GLIBC_2.N` version.").unwrap();
    writeln!(out, "pub const RELEASE: &[u8] = b\"{release}\";\n").unwrap();
    for (c_type, module) in TYPES {
        let Some(s) = structs.get(*module) else {
            writeln!(out, "// {c_type}: not in this build's debug info.\n").unwrap();
            continue;
        };
        writeln!(out, "/// `{c_type}`.").unwrap();
        writeln!(out, "pub mod {module} {{").unwrap();
        writeln!(out, "    #[allow(unused_imports)]\n    use super::{{Bits, Field}};").unwrap();
        writeln!(out, "    pub const SIZE: usize = {};", s.size).unwrap();
        writeln!(out, "    pub const ALIGN: usize = {};", s.align).unwrap();
        let mut seen = std::collections::BTreeSet::from(["SIZE".to_owned(), "ALIGN".to_owned()]);
        for f in &s.fields {
            let ident = f.name.trim_start_matches('_').to_uppercase();
            if !seen.insert(ident.clone()) {
                return Err(fail(format_args!("{module}: two members named {ident}")));
            }
            if f.bitsize == 0 {
                assert!(f.bitpos % 8 == 0, "a member that is not a bit-field is byte-aligned");
                writeln!(
                    out,
                    "    pub const {ident}: Field = Field {{ offset: {}, size: {} }};",
                    f.bitpos / 8,
                    f.size
                )
                .unwrap();
            } else {
                let unit = f.size * 8;
                writeln!(
                    out,
                    "    pub const {ident}: Bits = Bits {{ word: {}, word_size: {}, bit: {}, width: {} }};",
                    f.bitpos / unit * f.size,
                    f.size,
                    f.bitpos % unit,
                    f.bitsize
                )
                .unwrap();
            }
        }
        writeln!(out, "}}\n").unwrap();
    }
    if ld.tunables.is_empty() {
        return Err(fail(format_args!(
            "{}: no tunable_list in the debug info",
            ld_so.display()
        )));
    }
    writeln!(out, "/// `tunable_list`, indexed by `tunable_id_t`.").unwrap();
    writeln!(out, "pub const TUNABLES: &[Tunable] = &[").unwrap();
    for t in &ld.tunables {
        let ty = match t.ty.as_str() {
            "TUNABLE_TYPE_INT_32" => "Ty::I32",
            "TUNABLE_TYPE_UINT_64" => "Ty::U64",
            "TUNABLE_TYPE_SIZE_T" => "Ty::Size",
            "TUNABLE_TYPE_STRING" => "Ty::Str",
            other => return Err(fail(format_args!("tunable type {other}"))),
        };
        let security = match t.security.as_str() {
            "TUNABLE_SECLEVEL_SXID_ERASE" => "Some(Sec::SxidErase)",
            "TUNABLE_SECLEVEL_SXID_IGNORE" => "Some(Sec::SxidIgnore)",
            "TUNABLE_SECLEVEL_NONE" => "Some(Sec::None)",
            "-" => "None",
            other => return Err(fail(format_args!("tunable security level {other}"))),
        };
        let alias = if t.alias == "-" { "" } else { &t.alias };
        writeln!(
            out,
            "    Tunable {{ name: b\"{}\", ty: {ty}, min: {}, max: {}, default: {}, security: {security}, alias: b\"{alias}\" }},",
            t.name, t.min, t.max, t.default
        )
        .unwrap();
    }
    writeln!(out, "];\n").unwrap();
    let exports = dynamic_symbols(ld_so, true)?;
    let imports = dynamic_symbols(libc, false)?;
    for (what, name, list) in [
        (
            "The symbols ld.so exports (name, version, `FUNC`/`OBJECT`).",
            "LD_SO_EXPORTS",
            exports,
        ),
        (
            "The versioned symbols libc.so.6 imports (all from ld.so).",
            "LIBC_IMPORTS",
            imports,
        ),
    ] {
        writeln!(out, "/// {what}").unwrap();
        writeln!(out, "pub const {name}: &[Symbol] = &[").unwrap();
        for (sym, version, kind) in list {
            writeln!(
                out,
                "    Symbol {{ name: b\"{sym}\", version: b\"{version}\", function: {} }},",
                kind == "FUNC"
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
        if name == "LD_SO_EXPORTS" {
            out.push('\n');
        }
    }
    Ok(out)
}

#[derive(Clone, PartialEq, Debug)]
struct Member {
    name: String,
    bitpos: u64,
    bitsize: u64,
    size: u64,
}

#[derive(Clone, PartialEq, Debug)]
struct Struct {
    size: u64,
    align: u64,
    fields: Vec<Member>,
}

struct TunableRow {
    name: String,
    ty: String,
    min: i64,
    max: i64,
    default: i64,
    security: String,
    alias: String,
}

#[derive(Default)]
struct Facts {
    structs: BTreeMap<String, Struct>,
    tunables: Vec<TunableRow>,
}

fn parse(text: &str) -> Result<Facts, Failed> {
    let mut facts = Facts::default();
    let bad = |line: &str| fail(format_args!("unexpected line from gdb: {line}"));
    for line in text.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let num = |i: usize| {
            words
                .get(i)
                .and_then(|w| w.parse::<i64>().ok())
                .ok_or_else(|| bad(line))
        };
        match words[0] {
            "struct" => {
                facts.structs.insert(
                    words[1].to_owned(),
                    Struct {
                        size: num(2)? as u64,
                        align: num(3)? as u64,
                        fields: Vec::new(),
                    },
                );
            }
            "field" => {
                let s = facts.structs.get_mut(words[1]).ok_or_else(|| bad(line))?;
                s.fields.push(Member {
                    name: words[2].to_owned(),
                    bitpos: num(3)? as u64,
                    bitsize: num(4)? as u64,
                    size: num(5)? as u64,
                });
            }
            "tunable" => {
                if num(1)? as usize != facts.tunables.len() || words.len() != 9 {
                    return Err(bad(line));
                }
                facts.tunables.push(TunableRow {
                    name: words[2].to_owned(),
                    ty: words[3].to_owned(),
                    min: num(4)?,
                    max: num(5)?,
                    default: num(6)?,
                    security: words[7].to_owned(),
                    alias: words[8].to_owned(),
                });
            }
            "missing" => {}
            _ => return Err(bad(line)),
        }
    }
    Ok(facts)
}

/// Runs the dump script in gdb over `file` (its debug info found under `debug_dir` by build
/// id, or in the file itself).
fn gdb_facts(file: &Path, debug_dir: Option<&Path>, tunables: bool) -> Result<String, Failed> {
    let script = std::env::temp_dir().join(format!("ld-rs-glibc-dump-{}.py", std::process::id()));
    fs::write(&script, DUMP_PY).map_err(|err| fail(format_args!("{}: {err}", script.display())))?;
    let types: Vec<String> = TYPES.iter().map(|(c, m)| format!("{c}={m}")).collect();
    let mut gdb = Command::new("gdb");
    gdb.args(["-batch", "-nx"]);
    if let Some(dir) = debug_dir {
        gdb.arg("-ex")
            .arg(format!("set debug-file-directory {}", dir.display()));
    }
    gdb.arg("-ex")
        .arg(format!("file {}", file.display()))
        .arg("-ex")
        .arg(format!("set $ldrs_types = \"{}\"", types.join(",")))
        .arg("-ex")
        .arg(format!("set $ldrs_tunables = {}", tunables as u8))
        .arg("-x")
        .arg(&script);
    let output = gdb
        .output()
        .map_err(|err| fail(format_args!("cannot run gdb: {err} (apt-get install gdb)")));
    let _ = fs::remove_file(&script);
    let output = output?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || stderr.contains("Error") || stderr.contains("Traceback") {
        return Err(fail(format_args!("gdb over {} failed:\n{stderr}", file.display())));
    }
    if !stdout.lines().any(|l| l.starts_with("struct ")) {
        return Err(fail(format_args!(
            "gdb found no debug info for {}:\n{stderr}",
            file.display()
        )));
    }
    Ok(stdout)
}

fn readelf(args: &[&str], file: &Path) -> Result<String, Failed> {
    let output = Command::new("readelf")
        .args(args)
        .arg(file)
        .output()
        .map_err(|err| fail(format_args!("cannot run readelf: {err}")))?;
    if !output.status.success() {
        return Err(fail(format_args!("readelf {args:?} {} failed", file.display())));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The file's `NT_GNU_BUILD_ID`, in hex.
fn build_id(file: &Path) -> Result<String, Failed> {
    readelf(&["-n"], file)?
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: "))
        .map(str::to_owned)
        .ok_or_else(|| fail(format_args!("{} has no build id note", file.display())))
}

/// libc's newest `GLIBC_2.N` version definition.
fn release(libc: &Path) -> Result<String, Failed> {
    let text = readelf(&["-V", "-W"], libc)?;
    let defs = text.split("Version needs section").next().unwrap_or("");
    defs.split_whitespace()
        .filter_map(|w| Some((w.strip_prefix("GLIBC_2.")?.parse::<u32>().ok()?, w)))
        .max()
        .map(|(_, w)| w.to_owned())
        .ok_or_else(|| fail(format_args!("{} defines no GLIBC_2.N version", libc.display())))
}

/// `(name, version, type)` of the dynamic symbols: defined ones (`exports`) or undefined
/// versioned ones, sorted.
fn dynamic_symbols(file: &Path, exports: bool) -> Result<Vec<(String, String, String)>, Failed> {
    let mut list = Vec::new();
    for line in readelf(&["--dyn-syms", "-W"], file)?.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 8 || !w[0].ends_with(':') || w[0] == "Num:" {
            continue;
        }
        let (kind, bind, ndx, name) = (w[3], w[4], w[6], w[7]);
        if bind == "LOCAL" || (ndx == "UND") == exports || (exports && ndx == "ABS") {
            continue;
        }
        let Some((sym, version)) = name.split_once('@') else {
            continue;
        };
        list.push((
            sym.to_owned(),
            version.trim_start_matches('@').to_owned(),
            kind.to_owned(),
        ));
    }
    list.sort();
    Ok(list)
}

/// The installed libc6's Debian version in ROOT.
fn dpkg_version(root: &Path) -> Result<String, Failed> {
    let output = Command::new("dpkg-query")
        .arg(format!("--admindir={}", root.join("var/lib/dpkg").display()))
        .args(["-W", "-f", "${Version}", "libc6"])
        .output()
        .map_err(|err| fail(format_args!("cannot run dpkg-query: {err}")))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || version.is_empty() {
        return Err(fail(format_args!("libc6 is not installed in {}", root.display())));
    }
    Ok(version)
}

/// `deb12` from `2.36-9+deb12u14`; the whole version, made an identifier, otherwise.
fn debian_tag(package: &str) -> String {
    match package.split_once("+deb") {
        Some((_, rest)) => format!(
            "deb{}",
            rest.chars().take_while(char::is_ascii_digit).collect::<String>()
        ),
        None => package
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect(),
    }
}

fn hex_bytes(hex: &str) -> String {
    let bytes: Vec<String> = (0..hex.len() / 2)
        .map(|i| format!("0x{}", &hex[2 * i..2 * i + 2]))
        .collect();
    format!("&[{}]", bytes.join(", "))
}

fn unhex(list: &str) -> String {
    list.trim_end_matches(',')
        .trim_start_matches("&[")
        .trim_end_matches(']')
        .split(", ")
        .map(|b| b.trim_start_matches("0x"))
        .collect()
}
