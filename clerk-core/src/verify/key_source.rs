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
    #[allow(dead_code)] // the pipeline uses `key_for`; kept for the other token checks
    pub(super) fn key(
        &self,
        kid: Option<&RawValue>,
        clock: &dyn Clock,
    ) -> Result<CachedKey, VerifyError> {
        let kid = kid.and_then(jwt::as_str);
        self.key_for(kid.as_deref(), clock).map(|(key, _)| key)
    }

    /// The key for this `kid` (`None`: absent or not a string), or why there is none;
    /// with the generation of the key set it came from (always 0 for a PEM key, which
    /// never changes).
    pub(super) fn key_for(
        &self,
        kid: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<(CachedKey, u64), VerifyError> {
        match self {
            KeySource::Pem(key) => Ok((key.clone(), 0)),
            KeySource::Jwks(cache) => cache.key_with_generation(kid, clock),
            KeySource::Unconfigured => Err(VerifyError::new(
                Reason::JwkFailedToResolve,
                "Failed to resolve JWK during verification: set a PEM key (CLERK_JWT_KEY) or a secret key.",
            )),
        }
    }

    /// Whether a key found under `generation` is still what [`key`](Self::key) would
    /// return now, known without locking (PEM: always; JWKS: the same key set, fresh).
    /// `false` means "ask `key` again", not "gone".
    pub(super) fn unchanged(&self, generation: u64, now_ms: i64) -> bool {
        match self {
            KeySource::Pem(_) => true,
            KeySource::Jwks(cache) => cache.unchanged_and_fresh(generation, now_ms),
            KeySource::Unconfigured => false,
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
