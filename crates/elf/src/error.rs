//! The crate's one error type: a static message, cheap to copy and to compare.
//!
//! Parse errors have to travel through code that runs before relocation, where there is no
//! allocator and no `core::fmt`. A `&'static str` is all such code can carry, and it is enough:
//! the linker adds the object's name when it reports the error, the way glibc's
//! `_dl_signal_error` pairs an object name with a fixed message. Where glibc has a message for
//! the same failure, the text here is glibc's, so users see the words they already know.

/// A parse failure, described by a static message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(pub &'static str);

/// The result of every fallible operation in this crate.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The file is for another machine. glibc's `open_verify` does not report this: it skips
    /// the file and keeps searching the library path, so callers must be able to tell this error
    /// from the others without comparing strings.
    pub const WRONG_MACHINE: Error = Error("ELF file is for another machine");

    /// A 32-bit object. A library search skips it too, but reports it if nothing else is found.
    pub const WRONG_CLASS: Error = Error("wrong ELF class: ELFCLASS32");

    /// Returns the message.
    #[inline]
    pub const fn message(self) -> &'static str {
        self.0
    }
}
