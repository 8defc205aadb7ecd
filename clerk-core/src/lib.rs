//! A blocking client for Clerk's Backend API, with local session verification.
//!
//! Every operation of Clerk's OpenAPI spec is reachable three ways, all through one
//! engine:
//! - typed: `client.users().list(&GetUserListParams { limit: Some(5), ..Default::default() })`;
//! - by name with JSON: `client.call("users.list", &json!({"limit": 5}))` (or by
//!   operationId, `"GetUserList"`); the params contract is described in [`params`];
//! - raw: `client.request(Method::Get, "/users", &[], None)`.
//!
//! ```no_run
//! let client = clerk_core::Client::from_env()?;
//! let users = client.call("users.list", &serde_json::json!({"limit": 5}))?;
//! println!("{}", users.body);
//! # Ok::<(), clerk_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod generated;
pub mod operation;
pub mod pagination;
pub mod params;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;
pub mod verify;
pub mod webhooks;

pub use client::{CallOptions, Client, ClientBuilder, Response, RootCertificates};
pub use error::{ApiError, ClerkError, Error, Result};
pub use operation::{File, Method, Operation};
pub use pagination::{Pages, Paginator};
pub use transport::RetryPolicy;
