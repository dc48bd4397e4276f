//! A statically linked program named on the loader's command line: glibc hands it to the
//! kernel (`execve`, with `--argv0` applied), and says why in one line if the kernel refuses
//! (`elf/tst-rtld-run-static`). Only the explicit way exists: such a program has no
//! `PT_INTERP`.

use ld_rs_tests::{fixtures, Exit, Run, Way};

const OUTPUT: &str = "argv[1] = one\nargv[2] = two\n";

/// `ld.so --argv0 NAME PROGRAM one two` for a static program.
fn run_static(name: &str) {
    let program = fixtures::static_programs().path(name);
    let glibc = Run::new(&program)
        .loader_args(["--argv0", "renamed"])
        .arg("one")
        .arg("two")
        .expect_exit(Exit::Code(3))
        .expect_stdout(&format!("argv[0] = renamed\n{OUTPUT}"))
        .compare(Way::Explicit);
    assert!(glibc.stderr.is_empty(), "{glibc}");
}

#[test]
fn static_program_runs() {
    run_static("args");
}

#[test]
fn static_pie_runs() {
    run_static("args_pie");
}

/// A copy without execute permission: the kernel says EACCES (to root too, since no execute
/// bit is set), and the loader says so.
#[test]
fn static_program_not_executable() {
    use std::os::unix::fs::PermissionsExt;
    let built = fixtures::static_programs();
    let copy = built.path("args-noexec");
    let tmp = built.path(format!("args-noexec.tmp{}", std::process::id()).as_str());
    std::fs::copy(built.path("args"), &tmp).expect("copy the program");
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::rename(&tmp, &copy).expect("rename into place");
    Run::new(&copy)
        .expect_exit(Exit::Code(127))
        .expect_stderr_contains(&format!(
            "ld-linux-x86-64.so.2: cannot execute {}: EACCES\n",
            copy.display()
        ))
        .compare(Way::Explicit);
}
