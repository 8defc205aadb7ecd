//! Session token verification, request authentication and machine tokens.
//!
//! Behaviour follows Clerk's own server SDK (`@clerk/backend` 3.25): the same checks in
//! the same order with the same kebab-case [`Reason`] codes (checked case by case by
//! `tests/differential/run.sh`). Deliberate deviations:
//! - PEM keys: any RSA key of 2048 to 8192 bits (SubjectPublicKeyInfo or PKCS#1), and
//!   RS384/RS512 are honoured; text that is not an RSA key is refused as unusable
//!   (`token-verification-failed`) where the reference may turn it into a tiny
//!   "modulus" and report `token-invalid-signature`;
//! - unknown `kid`s refetch the JWKS at most once per interval (default 10 s), and
//!   cached keys keep serving while refreshes fail, up to a bound (stale-if-error); a
//!   successful fetch replaces the whole key set, so a key that left the JWKS stops
//!   verifying at once;
//! - the clock skew is at most [`MAX_CLOCK_SKEW`] (5 minutes) and the cache settings are
//!   bounded (see [`VerifierBuilder`]): out of range is a configuration error;
//! - `exp`/`nbf`/`iat` outside the years 0001..=9999 are `token-verification-failed`
//!   (the reference's date arithmetic breaks and such a token never expires);
//! - an `aud` of the wrong JSON type is `token-verification-failed` when an audience is
//!   configured (the reference lets it through);
//! - a header or payload that is JSON but not an object is `token-invalid`;
//! - machine tokens are verified at the spec's paths below `/v1`
//!   ([`Verifier::verify_machine_token`]).
//!
//! Request authentication ([`authenticate_request`]) follows the reference's
//! `authenticateRequest`: header and cookie flows, handshake redirects and handshake
//! tokens, satellites, proxies, dev-browser tokens and organization sync (deviations in
//! [`authenticate_request`]'s docs); [`SessionClaims::has`] is its `auth.has(...)`.
//!
//! ```no_run
//! use clerk_core::verify::Verifier;
//! let verifier = Verifier::builder()
//!     .client(clerk_core::Client::from_env()?)
//!     .authorized_parties(["https://example.com"])
//!     .build()?;
//! match verifier.verify("eyJ...") {
//!     Ok(claims) => println!("signed in as {}", claims.sub),
//!     Err(error) => println!("rejected: {} ({})", error.reason, error.message),
//! }
//! # Ok::<(), clerk_core::Error>(())
//! ```

mod authorization;
mod builder;
mod checks;
mod claims;
mod clock;
mod handshake;
mod jwks;
mod jwt;
mod key_source;
pub(crate) mod keys;
mod machine;
mod options;
mod org_sync;
mod pipeline;
mod reason;
mod request;
mod token_cache;
mod url;

pub use authorization::{Check, Reverification};
pub use builder::{
    DEFAULT_TOKEN_CACHE_SIZE, MAX_CACHE_SETTING, MAX_CLOCK_SKEW, MAX_TOKEN_CACHE_SIZE,
    MIN_JWKS_TTL, VerifierBuilder,
};
pub use claims::{Organization, ScopedNames, SessionClaims, org_permissions};
pub use clock::{Clock, FixedClock, SystemClock};
pub use jwks::{JwksFetchError, JwksSource};
pub use machine::{
    MachineBackend, MachineToken, MachineTokenType, machine_jwt_type, machine_token_type,
    opaque_token_type,
};
pub use options::{
    AcceptsToken, AuthenticateOptions, InstanceType, OrganizationSyncOptions, PublishableKey,
    TokenType, parse_publishable_key,
};
pub use pipeline::Verifier;
pub use reason::{Reason, VerifyError};
pub use request::{
    AuthState, RequestAuthError, RequestInfo, ResponseHeaders, authenticate_request, cookie_suffix,
};
pub use token_cache::{MAX_CACHED_TOKEN_BYTES, TokenCacheStats};

pub(crate) use checks::OAUTH_TOKEN_TYPES;
