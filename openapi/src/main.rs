//! Writes the service's OpenAPI document to `openapi/openapi.json` (or the path given).
//!
//! `cargo run -p openapi` after changing a handler or DTO; a test fails while the committed file
//! differs from what the server serves.

use std::path::PathBuf;

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json"));
    std::fs::write(&path, api::http::openapi::json()).with_context(|| format!("Failed to write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
