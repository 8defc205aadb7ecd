//! The JWKS cache: one per verifier (that is, per API URL + secret key), keys parsed
//! once, single-flight refetches, a rate limit on unknown-`kid` refetches and
//! stale-if-error.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::keys::{JwkSet, RsaKey};
use super::{Clock, Reason, VerifyError};
use crate::generated::operations;
use crate::{Client, Error};

/// Where a verifier gets the instance's JSON Web Key Set.
///
/// [`Client`] implements it with `GET /v1/jwks` (the spec's `GetJWKS`); tests implement it
/// with fakes.
pub trait JwksSource: Send + Sync {
    /// Fetches the JWKS document (`{"keys": [...]}`) as JSON text.
    fn fetch_jwks(&self) -> Result<String, JwksFetchError>;
}

/// Why a JWKS fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksFetchError {
    /// Clerk refused the secret key (error code `clerk_key_invalid`).
    SecretKeyInvalid(String),
    /// Any other failure: transport, timeout, non-2xx status, undecodable body.
    Failed(String),
}

impl std::fmt::Display for JwksFetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksFetchError::SecretKeyInvalid(message) => {
                write!(f, "the secret key was refused: {message}")
            }
            JwksFetchError::Failed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for JwksFetchError {}

impl JwksSource for Client {
    fn fetch_jwks(&self) -> Result<String, JwksFetchError> {
        // Through the generated operation table, so a spec change to the JWKS operation
        // fails to compile here.
        match self.typed_text(&operations::GET_JWKS, &[], &()) {
            Ok(body) => Ok(body),
            Err(Error::Api(api)) => match api.errors.iter().find(|e| e.code == "clerk_key_invalid")
            {
                Some(invalid) => Err(JwksFetchError::SecretKeyInvalid(invalid.message.clone())),
                None => Err(JwksFetchError::Failed(format!(
                    "Error loading Clerk JWKS from {}/jwks with code={}",
                    self.base_url(),
                    api.status
                ))),
            },
            Err(other) => Err(JwksFetchError::Failed(format!(
                "Error loading Clerk JWKS from {}/jwks: {other}",
                self.base_url()
            ))),
        }
    }
}

/// Timing of the cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CacheTiming {
    /// How long fetched keys count as fresh.
    pub(crate) ttl: Duration,
    /// Minimum time between two fetches caused by unknown `kid`s or failed refreshes.
    pub(crate) min_refetch_interval: Duration,
    /// How long past `ttl` cached keys keep serving while refreshes fail.
    pub(crate) max_stale: Duration,
}

/// A parsed key, or why the JWK cannot be used (reported when a token needs it).
pub(crate) type CachedKey = Arc<Result<RsaKey, String>>;

#[derive(Default)]
struct State {
    /// kid -> (the JWK's JSON text, its parsed key). The text lets a refetch skip
    /// re-parsing keys that did not change.
    keys: HashMap<String, (String, CachedKey)>,
    /// When the last successful fetch finished (clock ms).
    fetched_at_ms: Option<i64>,
    /// When the last fetch attempt finished, and how it failed if it did.
    last_attempt_ms: Option<i64>,
    last_error: Option<VerifyError>,
    /// Counts fetch attempts, so a thread that waited for another's fetch can tell.
    attempts: u64,
    /// Counts successful fetches (each replaces the key set): a key found under one
    /// generation is still the key for its `kid` while the generation is unchanged.
    generation: u64,
}

/// The cache of one verifier.
pub(crate) struct JwksCache {
    source: Arc<dyn JwksSource>,
    timing: CacheTiming,
    state: RwLock<State>,
    /// Held for the whole of a fetch: concurrent misses wait and reuse its result.
    fetch_lock: Mutex<()>,
    /// Copies of `State::generation` and `State::fetched_at_ms` (`i64::MIN`: never),
    /// written under the state lock, so that a verified-token cache hit can tell without
    /// taking the lock that the key set it was verified under still serves, fresh.
    published_generation: AtomicU64,
    published_fetched_at_ms: AtomicI64,
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl JwksCache {
    pub(crate) fn new(source: Arc<dyn JwksSource>, timing: CacheTiming) -> JwksCache {
        JwksCache {
            source,
            timing,
            state: RwLock::new(State::default()),
            fetch_lock: Mutex::new(()),
            published_generation: AtomicU64::new(0),
            published_fetched_at_ms: AtomicI64::new(i64::MIN),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_fresh(&self, state: &State, now_ms: i64) -> bool {
        state
            .fetched_at_ms
            .is_some_and(|at| self.fresh_since(at, now_ms))
    }

    fn fresh_since(&self, fetched_at_ms: i64, now_ms: i64) -> bool {
        now_ms.saturating_sub(fetched_at_ms) < ms(self.timing.ttl)
    }

    /// Whether the key set is still the one of `generation` and fresh at `now_ms`: then
    /// [`key`](Self::key) would answer from the cache, as it did under that generation.
    /// Lock-free (two loads), for cache hits.
    pub(crate) fn unchanged_and_fresh(&self, generation: u64, now_ms: i64) -> bool {
        // Written generation first, then time: a new time seen here implies the new
        // generation is seen too, so a replaced set is never taken for fresh.
        let fetched_at = self.published_fetched_at_ms.load(Ordering::Acquire);
        fetched_at != i64::MIN
            && self.published_generation.load(Ordering::Acquire) == generation
            && self.fresh_since(fetched_at, now_ms)
    }

    fn within_stale_bound(&self, state: &State, now_ms: i64) -> bool {
        state.fetched_at_ms.is_some_and(|at| {
            now_ms.saturating_sub(at)
                < ms(self.timing.ttl).saturating_add(ms(self.timing.max_stale))
        })
    }

    fn recently_attempted(&self, state: &State, now_ms: i64) -> bool {
        state
            .last_attempt_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < ms(self.timing.min_refetch_interval))
    }

    /// The key for `kid` (`None`: the token has no usable `kid`).
    #[allow(dead_code)] // for checks that need no generation (handshake tokens)
    pub(crate) fn key(
        &self,
        kid: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<CachedKey, VerifyError> {
        self.key_with_generation(kid, clock).map(|(key, _)| key)
    }

    /// [`key`](Self::key), with the generation of the key set it came from.
    pub(crate) fn key_with_generation(
        &self,
        kid: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<(CachedKey, u64), VerifyError> {
        let now_ms = clock.now_ms();
        let seen_attempts = {
            let state = self.read();
            let cached = kid
                .and_then(|kid| state.keys.get(kid))
                .map(|(_, key)| key.clone());
            match cached {
                Some(key) if self.is_fresh(&state, now_ms) => return Ok((key, state.generation)),
                // Stale key and the last refresh failed recently: serve it, don't hammer.
                Some(key)
                    if state.last_error.is_some()
                        && self.recently_attempted(&state, now_ms)
                        && self.within_stale_bound(&state, now_ms) =>
                {
                    return Ok((key, state.generation));
                }
                _ => {}
            }
            if self.recently_attempted(&state, now_ms)
                && (cached.is_none() || state.last_error.is_some())
            {
                // Unknown kid (or failing source) and we fetched moments ago: answer
                // from what we have rather than letting a token spray become a fetch storm.
                return Err(self.miss_error(&state, kid));
            }
            state.attempts
        };

        let _fetching = self
            .fetch_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        {
            let state = self.read();
            if state.attempts != seen_attempts {
                // Another thread fetched while we waited: use its result.
                return self.lookup_after_fetch(&state, kid, now_ms);
            }
        }
        let fetched = self.source.fetch_jwks();
        let finished_ms = clock.now_ms();
        let mut state = self.write();
        state.attempts += 1;
        state.last_attempt_ms = Some(finished_ms);
        match fetched
            .map_err(fetch_error)
            .and_then(|body| parse_key_set(&body))
        {
            Ok(fetched_keys) => {
                // The served set is the truth: a key missing from it is gone at once,
                // whatever the cache held (merging would let unknown-kid refetches keep a
                // revoked key alive). Unchanged keys keep their parsed form.
                let previous = std::mem::take(&mut state.keys);
                state.keys = fetched_keys
                    .into_iter()
                    .map(|(kid, text)| {
                        let key = previous
                            .get(&kid)
                            .filter(|(old_text, _)| *old_text == text)
                            .map(|(_, key)| key.clone())
                            .unwrap_or_else(|| Arc::new(parse_jwk(&text)));
                        (kid, (text, key))
                    })
                    .collect();
                state.fetched_at_ms = Some(finished_ms);
                state.last_error = None;
                state.generation += 1;
                self.published_generation
                    .store(state.generation, Ordering::Release);
                self.published_fetched_at_ms
                    .store(finished_ms, Ordering::Release);
            }
            Err(error) => {
                log::warn!("JWKS refresh failed: {}", error.message);
                state.last_error = Some(error);
            }
        }
        self.lookup_after_fetch(&state, kid, finished_ms)
    }

    fn lookup_after_fetch(
        &self,
        state: &State,
        kid: Option<&str>,
        now_ms: i64,
    ) -> Result<(CachedKey, u64), VerifyError> {
        let cached = kid
            .and_then(|kid| state.keys.get(kid))
            .map(|(_, key)| key.clone());
        match cached {
            Some(key) if state.last_error.is_none() || self.within_stale_bound(state, now_ms) => {
                Ok((key, state.generation))
            }
            _ => Err(self.miss_error(state, kid)),
        }
    }

    fn miss_error(&self, state: &State, kid: Option<&str>) -> VerifyError {
        match &state.last_error {
            Some(error) => error.clone(),
            None => VerifyError::new(
                Reason::JwkKidMismatch,
                format!(
                    "Unable to find a signing key in JWKS that matches the kid='{}' of the provided session token.",
                    kid.unwrap_or("undefined")
                ),
            ),
        }
    }
}

fn fetch_error(error: JwksFetchError) -> VerifyError {
    match error {
        JwksFetchError::SecretKeyInvalid(message) => {
            VerifyError::new(Reason::SecretKeyInvalid, message)
        }
        JwksFetchError::Failed(message) => VerifyError::new(Reason::JwkRemoteFailedToLoad, message),
    }
}

/// Splits a JWKS document into (kid, JWK JSON text) pairs; keys without a `kid` are
/// skipped since no token could select them.
fn parse_key_set(body: &str) -> Result<Vec<(String, String)>, VerifyError> {
    // Where it broke, not serde's message: that quotes the offending value, and an
    // error message never echoes what a server sent.
    let set: JwkSet = serde_json::from_str(body).map_err(|e| {
        VerifyError::new(
            Reason::JwkRemoteFailedToLoad,
            format!(
                "The JWKS response is not a key set ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })?;
    let keys: Vec<(String, String)> = set
        .keys
        .iter()
        .filter_map(|jwk| Some((jwk.get("kid")?.as_str()?.to_owned(), jwk.to_string())))
        .collect();
    if keys.is_empty() {
        return Err(VerifyError::new(
            Reason::JwkRemoteFailedToLoad,
            "The JWKS endpoint did not contain any signing keys.",
        ));
    }
    Ok(keys)
}

fn parse_jwk(text: &str) -> Result<RsaKey, String> {
    let jwk = serde_json::from_str(text).map_err(|e| format!("unreadable JWK: {e}"))?;
    RsaKey::from_jwk(&jwk)
}
