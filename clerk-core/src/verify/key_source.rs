//! Where a verifier gets its keys: a PEM key, a JWKS cache, or nothing configured.

use std::sync::Arc;

use serde_json::value::RawValue;

use super::clock::Clock;
use super::jwks::{CachedKey, JwksCache};
use super::jwt;
use super::keys::RsaKey;
use super::reason::{Reason, VerifyError};

/// The keys of a verifier; shared (cheaply cloned) between verifiers built with
/// [`keys_from`](super::VerifierBuilder::keys_from).
#[derive(Clone)]
pub(super) enum KeySource {
    /// A networkless PEM key, or why it cannot be used (reported like the reference:
    /// as `token-verification-failed` at the signature step).
    Pem(Arc<Result<RsaKey, String>>),
    Jwks(Arc<JwksCache>),
    Unconfigured,
}

impl KeySource {
    /// The key for a token whose header has this `kid`, or why there is none.
    pub(super) fn key(
        &self,
        kid: Option<&RawValue>,
        clock: &dyn Clock,
    ) -> Result<CachedKey, VerifyError> {
        match self {
            KeySource::Pem(key) => Ok(key.clone()),
            KeySource::Jwks(cache) => {
                let kid = kid.and_then(jwt::as_str);
                cache.key(kid.as_deref(), clock)
            }
            KeySource::Unconfigured => Err(VerifyError::new(
                Reason::JwkFailedToResolve,
                "Failed to resolve JWK during verification: set a PEM key (CLERK_JWT_KEY) or a secret key.",
            )),
        }
    }

    /// What kind of source this is, for `Debug`.
    pub(super) fn name(&self) -> &'static str {
        match self {
            KeySource::Pem(_) => "pem",
            KeySource::Jwks(_) => "jwks",
            KeySource::Unconfigured => "none",
        }
    }
}
