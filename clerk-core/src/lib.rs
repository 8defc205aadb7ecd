//! A blocking client for Clerk's Backend API.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod generated;
pub mod operation;
pub mod pagination;

pub use client::{Client, ClientBuilder};
pub use error::{ApiError, ClerkError, Error, Result};
pub use operation::{Method, Operation};
