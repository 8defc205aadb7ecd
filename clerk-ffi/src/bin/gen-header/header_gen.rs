//! Header generation shared by the `gen-header` tool and the drift test.

use std::path::{Path, PathBuf};

/// The committed header's path.
pub fn header_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/clerk.h")
}

/// The header cbindgen generates from the crate's current source and `cbindgen.toml`.
pub fn generate() -> Result<Vec<u8>, String> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|error| format!("cannot read cbindgen.toml: {error}"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .map_err(|error| format!("cbindgen failed: {error}"))?;
    let mut header = Vec::new();
    bindings.write(&mut header);
    Ok(header)
}
