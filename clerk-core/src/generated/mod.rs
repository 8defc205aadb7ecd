//! Placeholder until `cargo xtask codegen` runs.
#![allow(missing_docs)]
pub mod operations {
    pub static OPERATIONS: &[crate::operation::Operation] = &[];
}
