//! A blocking client for Clerk's Backend API, with local session verification.
//!
//! Every operation of Clerk's OpenAPI spec is reachable three ways, all through one
//! engine:
//! - typed: `client.users().get("user_123")`, with path parameters as arguments, a
//!   params struct for the rest ([`params`]) and a typed answer ([`models`]); see
//!   [`resources`];
//! - by name with JSON: `client.call("users.list", &json!({"limit": 5}))` (or by
//!   operationId, `"GetUserList"`), with the flat params object of
//!   [the params contract](#the-params-contract); every operation is in [`operations`];
//! - raw: `client.request(Method::Get, "/users", &[], None)` (a JSON query object becomes
//!   its pairs through [`query_from_json`], the one meaning every front end shares).
//!
//! Multipart uploads take the file's bytes as they are ([`Client::call_with_files`] with
//! [`FilePart`]s). The client's and the verifier's settings exist as data too:
//! [`ClientConfig`] and [`VerifierConfig`] are the JSON the C library, the bindings and the
//! `clerk` tool use, one serde type per builder, refusing unknown keys.
//!
//! ```no_run
//! use clerk_core::Client;
//! use clerk_core::params::{UsersCreateParams, UsersListParams, UsersUpdateParams};
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
//!
//! Each item has one path: the client, its errors and paging at the root; the typed API
//! in [`models`], [`params`] and [`resources`]; the operation table in [`operations`];
//! session and machine-token verification in [`verify`]; webhooks in [`webhooks`]; token
//! minting for tests in `testing` (feature `testing`).
//!
//! # The params contract
//!
//! The contract, shared by Rust, C, Python and Go: params are ONE JSON object whose keys
//! are the operation's path parameters, query parameters and body fields, each by its
//! spec name. Two reserved keys complete it:
//! - `"$body"`: the whole request body, sent as given (for the operations whose body is an
//!   array or a free-form object, or to take full control of an object body);
//! - `"$extra_body"`: an object of fields merged into the JSON body without checking them
//!   against the spec (the opt-in door for fields newer or older than the spec).
//!
//! Path values are percent-encoded (everything but RFC 3986 unreserved characters), so a
//! `/`, `?` or `#` in an id stays data. An empty value, `.` or `..` is refused: those would
//! be empty or dot-segments, which a normalising hop removes or resolves
//! (`/memberships/..` becomes the parent path). Encoding the dots as `%2E` would not help
//! (RFC 3986 normalisation decodes `%2E` before resolving dot-segments, and many servers
//! do), and encoding every `.` would change ordinary ids such as `user.name@x.io` on the
//! wire; so these three values are refused and every other value is sent as is.
//!
//! Any other key the operation does not know is an error that names it. Values are checked
//! against the parameter's JSON type; `null` is accepted where the spec allows it and, for
//! path and query parameters, means "absent".
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bounds;
mod client;
mod config;
mod error;
mod error_kind;
mod generated;
mod json_params;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod jsonl;
mod nullable;
mod operation;
mod pagination;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;
mod typed;
pub mod verify;
pub mod webhooks;

pub use client::{
    CallOptions, Client, ClientBuilder, DEFAULT_API_URL, DEFAULT_API_VERSION,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_CONNECT, DEFAULT_TIMEOUT_REQUEST, MAX_CALL_TIMEOUT,
    Response, RootCertificates, library_user_agent,
};
pub use config::{ClientConfig, RetryConfig, RootStore, VerifierConfig};
pub use error::{ApiError, ClerkError, Error, Result};
pub use error_kind::ErrorKind;
pub use generated::{SPEC_VERSION, models, params, resources};
pub use json_params::query_from_json;
pub use nullable::Nullable;
pub use operation::{File, FilePart, Method, Operation};
pub use pagination::{Pages, Paginator};
#[doc(hidden)]
pub use transport::RetryClock;
pub use transport::{RetryPolicy, RetryPolicyBuilder};

/// The operation table: every operation of the spec, by name or operationId ([`find`](operations::find),
/// [`all`](operations::all)) or as a constant (`operations::GET_USER`), and the descriptor types.
pub mod operations {
    pub use crate::generated::operations::*;
    pub use crate::operation::{Body, Location, Pagination, Param, ParamType, all, find, suggest};
}

// Not public API: helpers the sibling targets (the `clerk` CLI, clerk-ffi, the contract
// tests) call so that they behave exactly like the core.
#[doc(hidden)]
pub use client::parse_params;
#[cfg(feature = "contract")]
#[doc(hidden)]
pub use generated::contract;
#[doc(hidden)]
pub use json_params::json_type_name;
