//! The verification pipeline: decode, category, key, header, signature, then the claims.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::checks::{ClaimRules, Dates, TokenKind, check_alg, check_claims, check_typ};
use super::claims::SessionClaims;
use super::clock::Clock;
use super::jwks::CachedKey;
use super::jwt;
use super::key_source::KeySource;
use super::keys::SignatureError;
use super::machine::MachineTokenType;
use super::reason::{Reason, VerifyError};
use super::token_cache::{Entry, TokenCache, TokenCacheStats};
use crate::Client;

pub(super) struct Inner {
    pub(super) keys: KeySource,
    pub(super) rules: ClaimRules,
    pub(super) clock_skew_ms: i64,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) client: Option<Client>,
    /// Verified session tokens of this verifier (its rules are fixed, so its successes
    /// stay successes but for the key and the dates, which a hit checks again). `None`:
    /// off. A verifier built with other rules must get its own cache (or none).
    pub(super) token_cache: Option<TokenCache>,
}

/// What a successful verification used, for the verified-token cache.
struct Verified {
    claims: SessionClaims,
    key: CachedKey,
    key_generation: u64,
    /// The header's `kid` (owned only when the token may be cached).
    kid: Option<Box<str>>,
    dates: Dates,
}

/// A cache hit whose key must be looked up again (outside the shard lock: the lookup may
/// fetch the JWKS).
#[allow(clippy::large_enum_variant)] // short-lived, returned once per hit: no boxing
enum Hit {
    Done(Result<SessionClaims, VerifyError>),
    KeyRecheck(Option<Box<str>>),
}

/// Verifies Clerk session tokens. Cheap to clone (shared state); `Send + Sync`. Each
/// verifier built from a client has its own JWKS cache.
#[derive(Clone)]
pub struct Verifier {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.inner.keys.name())
            .field("authorized_parties", &self.inner.rules.authorized_parties)
            .field("audience", &self.inner.rules.audience)
            .field("issuer", &self.inner.rules.issuer)
            .field("clock_skew_ms", &self.inner.clock_skew_ms)
            .field("token_cache", &self.token_cache_stats().capacity)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// The client this verifier was built with, if any (used for machine tokens).
    pub fn client(&self) -> Option<&Client> {
        self.inner.client.as_ref()
    }

    /// Verifies a session token with the verifier's own rules.
    ///
    /// With the verified-token cache on (the default, see
    /// [`VerifierBuilder::token_cache_size`](super::VerifierBuilder::token_cache_size)), a
    /// token that verified before skips decoding and the signature: the key (still in the
    /// current key set, the same key) and `exp`/`nbf`/`iat` are checked again, so the
    /// decision is the one a full verification would make now.
    pub fn verify(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        let Some(cache) = &self.inner.token_cache else {
            return self.verify_with(token, &self.inner.rules);
        };
        if !TokenCache::admits(token) {
            return self.verify_with(token, &self.inner.rules);
        }
        if let Some(result) = self.verify_cached(cache, token) {
            return result;
        }
        let verified = self.verify_kind(token, &self.inner.rules, TokenKind::Session, true)?;
        cache.insert(Entry::new(
            token,
            verified.kid.as_deref(),
            &verified.key,
            verified.key_generation,
            verified.dates,
            verified.claims.clone(),
        ));
        Ok(verified.claims)
    }

    /// The verified-token cache's size and counters (all zero when it is off).
    pub fn token_cache_stats(&self) -> TokenCacheStats {
        self.inner
            .token_cache
            .as_ref()
            .map(TokenCache::stats)
            .unwrap_or_default()
    }

    /// Answers from the cache: `None` when the token is not there (or its key changed),
    /// so the caller verifies it fully.
    fn verify_cached(
        &self,
        cache: &TokenCache,
        token: &str,
    ) -> Option<Result<SessionClaims, VerifyError>> {
        let inner = &*self.inner;
        let now_ms = inner.clock.now_ms();
        let hit = cache.with_entry(token, |entry| {
            if !inner
                .keys
                .unchanged(entry.key_generation.load(Ordering::Relaxed), now_ms)
            {
                return Hit::KeyRecheck(entry.kid.clone());
            }
            Hit::Done(
                entry
                    .dates
                    .check(now_ms, inner.clock_skew_ms)
                    .map(|()| entry.claims.clone()),
            )
        })?;
        let result = match hit {
            Hit::Done(result) => result,
            Hit::KeyRecheck(kid) => {
                // As the full pipeline would: the key source's answer for this kid now
                // (which may refresh the JWKS), then the dates.
                let (key, generation) =
                    match inner.keys.key_for(kid.as_deref(), inner.clock.as_ref()) {
                        Ok(found) => found,
                        Err(error) => {
                            cache.remove(token);
                            return Some(Err(error));
                        }
                    };
                let now_ms = inner.clock.now_ms();
                let checked = cache.with_entry(token, |entry| {
                    if !entry.same_key(&key) {
                        return None;
                    }
                    entry.key_generation.store(generation, Ordering::Relaxed);
                    Some(
                        entry
                            .dates
                            .check(now_ms, inner.clock_skew_ms)
                            .map(|()| entry.claims.clone()),
                    )
                });
                match checked.flatten() {
                    Some(result) => result,
                    None => {
                        // Another key now serves this kid (or the entry went meanwhile):
                        // verify in full against it.
                        cache.remove(token);
                        return None;
                    }
                }
            }
        };
        if result.is_err() {
            // Refused now; a later success (clock set back) verifies in full again.
            cache.remove(token);
        }
        Some(result)
    }

    fn verify_with(&self, token: &str, rules: &ClaimRules) -> Result<SessionClaims, VerifyError> {
        self.verify_kind(token, rules, TokenKind::Session, false)
            .map(|verified| verified.claims)
    }

    /// Verifies a JWT-format machine token (M2M: `sub` starting `mch_`; OAuth access
    /// token: `typ` `at+jwt`), returning its claims.
    pub(crate) fn verify_machine_jwt(
        &self,
        token: &str,
        token_type: MachineTokenType,
    ) -> Result<serde_json::Value, VerifyError> {
        let kind = match token_type {
            MachineTokenType::OauthToken => TokenKind::OauthJwt,
            _ => TokenKind::M2mJwt,
        };
        let verified = self.verify_kind(token, &self.inner.rules, kind, false)?;
        Ok(serde_json::from_str(&verified.claims.raw).unwrap_or_default())
    }

    /// The full pipeline. `keep_kid`: the result will be cached, so keep the `kid`.
    fn verify_kind(
        &self,
        token: &str,
        rules: &ClaimRules,
        kind: TokenKind,
        keep_kid: bool,
    ) -> Result<Verified, VerifyError> {
        // 1. Decode.
        let decoded = jwt::decode(token).ok_or_else(|| {
            VerifyError::new(
                Reason::TokenInvalid,
                "Invalid JWT form. A JWT consists of three parts separated by dots, with JSON object header and payload.",
            )
        })?;
        let header: jwt::Header<'_> =
            serde_json::from_slice(&decoded.header_json).map_err(|_| {
                VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid JWT form. The header could not be decoded.",
                )
            })?;
        let payload: jwt::Payload<'_> =
            serde_json::from_str(&decoded.payload_json).map_err(|_| {
                VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid JWT form. The payload could not be decoded.",
                )
            })?;

        // 2. Category.
        let category = header.cat.map(|raw| jwt::as_str(raw).unwrap_or_default());
        match kind {
            TokenKind::Session if category.as_deref() == Some(jwt::M2M_CATEGORY) => {
                return Err(VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid session token category.",
                ));
            }
            TokenKind::M2mJwt if category.as_deref().is_some_and(|c| c != jwt::M2M_CATEGORY) => {
                return Err(VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid M2M JWT category.",
                ));
            }
            _ => {}
        }

        // 3. Key selection.
        let kid = header.kid.and_then(jwt::as_str);
        let (key, key_generation) = self
            .inner
            .keys
            .key_for(kid.as_deref(), self.inner.clock.as_ref())?;

        // 4. Header.
        check_typ(header.typ, kind)?;
        let algorithm = check_alg(header.alg)?;

        // 5. Signature, before any claim is trusted.
        let usable = key.as_ref().as_ref().map_err(|message| {
            VerifyError::new(
                Reason::TokenVerificationFailed,
                format!("Error verifying JWT signature: the key cannot be used: {message}"),
            )
        })?;
        usable
            .verify(
                algorithm,
                decoded.signing_input.as_bytes(),
                &decoded.signature,
            )
            .map_err(|error| match error {
                SignatureError::BadSignature => {
                    VerifyError::new(Reason::TokenInvalidSignature, "JWT signature is invalid.")
                }
                SignatureError::Unusable(message) => VerifyError::new(
                    Reason::TokenVerificationFailed,
                    format!("Error verifying JWT signature: {message}"),
                ),
            })?;

        // 6. Claims.
        let dates = check_claims(
            &payload,
            rules,
            kind,
            self.inner.clock.now_ms(),
            self.inner.clock_skew_ms,
        )?;
        let mut claims = SessionClaims::from_payload(&payload, &decoded.payload_json, dates.exp);
        let kid = if keep_kid {
            kid.map(|kid| kid.as_ref().into())
        } else {
            None
        };
        claims.raw = decoded.payload_json;
        Ok(Verified {
            claims,
            key,
            key_generation,
            kid,
            dates,
        })
    }
}
