//! `--tree`, ld-rs's own dependency view.  glibc has no such output, so the
//! oracle is built here from other sources: each object's `DT_NEEDED`
//! entries as `readelf -d` prints them and where each name resolves as
//! glibc's `ld.so --list` says, walked depth first as the tree promises.

use ld_rs_tests::{fixtures, GLIBC_LOADER};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

/// The `DT_NEEDED` names of an object, in order, from readelf.
fn needed(path: &str) -> Vec<String> {
    let out = Command::new("readelf")
        .args(["-dW", path])
        .output()
        .expect("readelf runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split('[').nth(1)?.trim_end_matches(']').to_string()))
        .collect()
}

/// Where each name resolves, from glibc's `--list` or `ldd` listing (`name => path` lines, and
/// the loader's own line, which names no separate path).
fn resolved(program: &Path, env: &[(&str, &Path)]) -> HashMap<String, String> {
    let mut cmd = Command::new(GLIBC_LOADER);
    // Under `ldd`'s variable the listing goes on past a library not found.
    if !env.iter().any(|(k, _)| *k == "LD_TRACE_LOADED_OBJECTS") {
        cmd.arg("--list");
    }
    cmd.arg(program).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("glibc's ld.so runs");
    let mut map = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let line = line.trim();
        let line = line.rsplit_once(" (0x").map_or(line, |(l, _)| l);
        match line.split_once(" => ") {
            Some((name, path)) => map.insert(name.to_string(), path.to_string()),
            None => map.insert(line.to_string(), line.to_string()),
        };
    }
    map
}

/// The tree `--tree` must print, built from readelf and glibc's resolution.
fn expected_tree(program: &Path, env: &[(&str, &Path)]) -> String {
    let paths = resolved(program, env);
    let mut out = format!("{}\n", program.display());
    let mut shown = HashSet::new();
    walk(&program.display().to_string(), &paths, &mut shown, "", &mut out);
    out
}

fn walk(object: &str, paths: &HashMap<String, String>, shown: &mut HashSet<String>, prefix: &str, out: &mut String) {
    let names = needed(object);
    for (i, name) in names.iter().enumerate() {
        let last = i + 1 == names.len();
        out.push_str(prefix);
        out.push_str(if last { "└── " } else { "├── " });
        let path = paths.get(name).cloned().unwrap_or_else(|| name.clone());
        // The dynamic linker is known by its PT_INTERP name in the listing.
        let shown_name = if name == "ld-linux-x86-64.so.2" {
            GLIBC_LOADER.to_string()
        } else {
            name.clone()
        };
        out.push_str(&shown_name);
        if path == "not found" {
            out.push_str(" => not found\n");
            continue;
        }
        if !shown.insert(path.clone()) {
            out.push_str(" (listed above)\n");
            continue;
        }
        if name == "ld-linux-x86-64.so.2" {
            out.push_str(" (the dynamic linker)\n");
            continue;
        }
        out.push_str(&format!(" => {path}\n"));
        let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
        walk(&path, paths, shown, &deeper, out);
    }
}

/// The diamond (program → top_a, top_b → bottom) linked with libc: shared
/// dependencies appear once in full, then as `(listed above)`.
#[test]
fn tree_of_the_diamond() {
    let built = fixtures::diamond();
    let program = built.path("main_libc");
    let env = [("LD_LIBRARY_PATH", built.dir())];
    let expected = expected_tree(&program, &env);
    let out = Command::new(ld_rs_tests::ld_rs())
        .arg("--tree")
        .arg(&program)
        .env_clear()
        .env("LD_LIBRARY_PATH", built.dir())
        .output()
        .expect("ld-rs runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

/// Under `ldd` (`LD_TRACE_LOADED_OBJECTS`), a library not found is listed, and in the tree
/// in its `DT_NEEDED` place: the diamond without its directory misses `libtop_a.so` and
/// `libtop_b.so`, needed before libc.so.6.
#[test]
fn tree_with_missing_libraries_in_needed_order() {
    let built = fixtures::diamond();
    let program = built.path("main_libc");
    let trace = [("LD_TRACE_LOADED_OBJECTS", Path::new("1"))];
    // glibc's ldd listing names the missing libraries `=> not found`.
    let expected = expected_tree(&program, &trace);
    assert!(
        expected.contains("├── libtop_a.so => not found\n"),
        "the fixture must miss a library that is not the last needed:\n{expected}"
    );
    let out = Command::new(ld_rs_tests::ld_rs())
        .arg(&program)
        .env_clear()
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .env("LD_RS_TREE", "1")
        .output()
        .expect("ld-rs runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
