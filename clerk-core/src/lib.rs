//! A blocking client for Clerk's Backend API, with local session verification.
//!
//! Every operation of Clerk's OpenAPI spec is reachable three ways, all through one
//! engine:
//! - typed: `client.users().get("user_123")`, with path parameters as arguments, a
//!   params struct for the rest ([`generated::params`]) and a typed answer
//!   ([`models`]); see [`generated::resources`];
//! - by name with JSON: `client.call("users.list", &json!({"limit": 5}))` (or by
//!   operationId, `"GetUserList"`); the params contract is described in [`params`];
//! - raw: `client.request(Method::Get, "/users", &[], None)`.
//!
//! ```no_run
//! use clerk_core::Client;
//! use clerk_core::generated::params::{UsersCreateParams, UsersListParams, UsersUpdateParams};
//!
//! let client = Client::from_env()?;
//! let user: clerk_core::models::User = client.users().get("user_123")?;
//! let org = client.organizations().get("acme")?; // by id or slug
//! let users = client.users().list(&Default::default())?;
//! let ada = client.users().create(
//!     &UsersCreateParams::new().email_address(["ada@example.com"]).first_name("Ada"),
//! )?;
//! // Left out, set, or null: `clear_*` sends `"external_id": null`, which clears it.
//! client.users().update(&ada.id, &UsersUpdateParams::new().clear_external_id().last_name("Lovelace"))?;
//! for user in client.users().list_all(&UsersListParams::new().limit(100)) {
//!     println!("{}", user?.id); // pages fetched lazily, one at a time
//! }
//! client.users().delete(&ada.id)?;
//! # let _ = (user, org, users);
//!
//! // The same by name, with the flat JSON params object other languages use:
//! let users = client.call("users.list", &serde_json::json!({"limit": 5}))?;
//! println!("{}", users.body);
//! # Ok::<(), clerk_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod error;
mod error_kind;
pub mod generated;
mod nullable;
pub mod operation;
pub mod pagination;
pub mod params;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;
mod typed;
pub mod verify;
pub mod webhooks;

pub use client::{CallOptions, Client, ClientBuilder, Response, RootCertificates};
pub use error::{ApiError, ClerkError, Error, Result};
pub use error_kind::ErrorKind;
pub use generated::models;
pub use nullable::Nullable;
pub use operation::{File, Method, Operation};
pub use pagination::{Pages, Paginator};
pub use transport::RetryPolicy;
