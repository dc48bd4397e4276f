//! What the fuzz targets share: the input copied into 8-byte-aligned memory, as the linker
//! holds a file it read (`elf::parse_ehdr` and the `Pod` views require that alignment).

/// `data` copied into a buffer of `u64`s, viewed as bytes.
pub fn aligned(data: &[u8]) -> Vec<u64> {
    let mut words = vec![0u64; data.len().div_ceil(8)];
    elf::pod::as_bytes_mut(&mut words)[..data.len()].copy_from_slice(data);
    words
}
