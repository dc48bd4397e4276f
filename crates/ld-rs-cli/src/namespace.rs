//! A private mount namespace where ld-rs is the system's loader.
//!
//! The kernel starts a dynamically linked program by opening the path in its `PT_INTERP`,
//! `/lib64/ld-linux-x86-64.so.2`, a symbolic link to glibc's loader. Bind-mounting ld-rs over
//! the file that link resolves to, in a mount namespace of our own, replaces the loader for
//! every process started in that namespace and for no other. `/` is made private first, so
//! the mount cannot propagate back to the namespace we came from.
//!
//! Mounting needs `CAP_SYS_ADMIN` over the mount namespace. Root has it and only needs a new
//! mount namespace. Anyone else can get it in a new user namespace, which owns the new mount
//! namespace: the process maps its own user and group ids to themselves (the only mapping an
//! unprivileged process may write, after giving up `setgroups`), so files, `id` and `$HOME`
//! look as before. What differs in there: a set-user-ID or set-group-ID program runs
//! without its privileges (the kernel ignores the bit when the file's owner is not mapped
//! in the namespace, and root is not), supplementary groups show as the overflow group
//! (`nogroup`, though access checks still use them), and `setgroups` fails.

use crate::{os_text, Error};
use std::ffi::CString;
use std::io::Error as IoError;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Every program's `PT_INTERP` on x86_64.
pub const PT_INTERP: &str = "/lib64/ld-linux-x86-64.so.2";

/// The file glibc's loader is, which the bind mount covers
/// (`/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2` on Debian 12).
pub fn glibc_loader() -> Result<PathBuf, Error> {
    std::fs::canonicalize(PT_INTERP).map_err(|err| Error::new(format!("cannot resolve {PT_INTERP}: {}", os_text(&err))))
}

/// Moves this process into a new mount namespace (inside a new user namespace unless it is
/// root) and bind-mounts `linker` over glibc's loader there. Every program it then executes
/// runs under ld-rs, and so do their children.
pub fn enter(linker: &Path) -> Result<(), Error> {
    let target = glibc_loader()?;
    // SAFETY: geteuid and getegid cannot fail and touch no memory of ours.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let mut root_failure = None;
    if uid == 0 {
        // SAFETY: unshare only changes this process's namespaces; the process is
        // single-threaded (nothing here starts a thread), as CLONE_NEWUSER would require.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } == 0 {
            return mount_over(linker, &target);
        }
        root_failure = Some(IoError::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) } != 0 {
        return Err(no_namespace(&IoError::last_os_error(), root_failure.as_ref()));
    }
    map_self(uid, gid)?;
    mount_over(linker, &target)
}

/// Maps `uid` and `gid` to themselves in the new user namespace.
fn map_self(uid: libc::uid_t, gid: libc::gid_t) -> Result<(), Error> {
    let write = |file: &str, text: String| -> Result<(), Error> {
        match std::fs::write(file, text) {
            Ok(()) => Ok(()),
            // Kernels before 3.19 have no setgroups file and need no "deny".
            Err(err) if file.ends_with("setgroups") && err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(Error::new(format!(
                "cannot set up the user namespace: writing {file}: {}",
                os_text(&err)
            ))),
        }
    };
    // An unprivileged process may map its group only after denying itself setgroups.
    write("/proc/self/setgroups", "deny".to_owned())?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))
}

/// Makes every mount of the new namespace private, then bind-mounts `linker` over `target`.
fn mount_over(linker: &Path, target: &Path) -> Result<(), Error> {
    let c = |path: &Path| CString::new(path.as_os_str().as_bytes()).expect("a path from the file system has no NUL");
    let (root, source, dest) = (c(Path::new("/")), c(linker), c(target));
    // SAFETY: every pointer is a NUL-terminated string alive across the call, or null where
    // mount(2) allows it for a propagation change.
    let private = unsafe {
        libc::mount(
            std::ptr::null(),
            root.as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    };
    if private != 0 {
        return Err(Error::new(format!(
            "cannot make the mounts of the new namespace private (mount --make-rprivate /): {}",
            os_text(&IoError::last_os_error())
        )));
    }
    // SAFETY: as above; a bind mount ignores the file system type and data.
    let bound = unsafe {
        libc::mount(
            source.as_ptr(),
            dest.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if bound != 0 {
        return Err(Error::new(format!(
            "cannot bind-mount {} over {}: {}",
            linker.display(),
            target.display(),
            os_text(&IoError::last_os_error())
        )));
    }
    Ok(())
}

/// The error when no user namespace could be made, with what this system says about why.
fn no_namespace(err: &IoError, root_failure: Option<&IoError>) -> Error {
    let read = |file: &str| std::fs::read_to_string(file).ok().map(|s| s.trim().to_owned());
    let mut causes = Vec::new();
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        causes.push(
            "unprivileged user namespaces are disabled: /proc/sys/kernel/unprivileged_userns_clone \
             is 0 (root can allow them: sysctl -w kernel.unprivileged_userns_clone=1)"
                .to_owned(),
        );
    }
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        causes.push(
            "AppArmor restricts unprivileged user namespaces: \
             /proc/sys/kernel/apparmor_restrict_unprivileged_userns is 1"
                .to_owned(),
        );
    }
    match read("/proc/sys/user/max_user_namespaces").as_deref() {
        Some("0") => causes.push(
            "user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0 \
             (root can allow them: sysctl -w user.max_user_namespaces=10000)"
                .to_owned(),
        ),
        Some(max) if err.raw_os_error() == Some(libc::ENOSPC) => causes.push(format!(
            "the limit of user namespaces is reached (/proc/sys/user/max_user_namespaces is {max})"
        )),
        _ => {}
    }
    if !Path::new("/proc/self/ns/user").exists() {
        causes.push("this kernel has no user namespaces (there is no /proc/self/ns/user)".to_owned());
    }
    if causes.is_empty() {
        causes.push("the system does not say why (a container's seccomp filter? a chroot?)".to_owned());
    }
    let who = match root_failure {
        Some(root) => format!("as root, unshare(CLONE_NEWNS) failed ({})", os_text(root)),
        None => "not root".to_owned(),
    };
    Error::new(format!(
        "cannot put ld-rs in place of the system's loader: {who}, and unshare(CLONE_NEWUSER) \
         failed: {}: {}.\nRun it as root, or name the linker on the command line for one \
         program (its children will not run under ld-rs): $(ld-rs which) PROGRAM [ARG]...",
        os_text(err),
        causes.join("; ")
    ))
}
