//! Placeholder until `cargo xtask codegen` runs.
#![allow(missing_docs)]
pub const SPEC_VERSION: &str = "2026-05-12";
pub mod operations {
    pub static OPERATIONS: &[crate::operation::Operation] = &[];
}
