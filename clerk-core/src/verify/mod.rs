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
//! - machine tokens are verified at the spec's paths below `/v1` (see [`machine`]).
//!
//! Request authentication ([`authenticate_request`]) covers the header and cookie flows
//! and the handshake decision; satellite domains, dev-browser sync and token refresh are
//! out of scope (see [`request`]).
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

pub mod claims;
mod jwks;
mod jwt;
pub(crate) mod keys;
pub mod machine;
pub mod request;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub use claims::{Organization, ScopedNames, SessionClaims};
pub use jwks::{JwksFetchError, JwksSource};
pub use machine::{MachineBackend, MachineToken, MachineTokenType};
pub use request::{AuthState, AuthenticateOptions, RequestInfo, TokenType, authenticate_request};

use crate::{Client, Error};
use jwks::{CacheTiming, JwksCache};
use keys::{Algorithm, RsaKey, SignatureError};

/// Why a token was refused: the kebab-case codes of the reference SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// Not a well-formed JWT, a machine-category token, or a bad `typ`.
    TokenInvalid,
    /// `alg` is not RS256, RS384 or RS512.
    TokenInvalidAlgorithm,
    /// The signature does not verify.
    TokenInvalidSignature,
    /// A claim has the wrong type or value, or the key cannot be used.
    TokenVerificationFailed,
    /// `azp` is missing or not one of the authorized parties.
    TokenInvalidAuthorizedParties,
    /// `iss` is not the expected issuer.
    TokenInvalidIssuer,
    /// `exp` has passed (beyond the clock skew).
    TokenExpired,
    /// `nbf` is still in the future (beyond the clock skew).
    TokenNotActiveYet,
    /// `iat` is in the future (beyond the clock skew).
    TokenIatInTheFuture,
    /// Neither a PEM key nor a JWKS source is configured.
    JwkFailedToResolve,
    /// The JWKS could not be fetched, or held no keys.
    JwkRemoteFailedToLoad,
    /// No key in the JWKS has the token's `kid`.
    JwkKidMismatch,
    /// Clerk refused the secret key.
    SecretKeyInvalid,
    /// A machine token verification failed in an unexpected way.
    UnexpectedError,
}

impl Reason {
    /// The kebab-case code, e.g. `token-expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::TokenInvalid => "token-invalid",
            Reason::TokenInvalidAlgorithm => "token-invalid-algorithm",
            Reason::TokenInvalidSignature => "token-invalid-signature",
            Reason::TokenVerificationFailed => "token-verification-failed",
            Reason::TokenInvalidAuthorizedParties => "token-invalid-authorized-parties",
            Reason::TokenInvalidIssuer => "token-invalid-issuer",
            Reason::TokenExpired => "token-expired",
            Reason::TokenNotActiveYet => "token-not-active-yet",
            Reason::TokenIatInTheFuture => "token-iat-in-the-future",
            Reason::JwkFailedToResolve => "jwk-failed-to-resolve",
            Reason::JwkRemoteFailedToLoad => "jwk-remote-failed-to-load",
            Reason::JwkKidMismatch => "jwk-kid-mismatch",
            Reason::SecretKeyInvalid => "secret-key-invalid",
            Reason::UnexpectedError => "unexpected-error",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused token: the reason code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyError {
    /// The machine-readable reason.
    pub reason: Reason,
    /// What exactly was wrong.
    pub message: String,
}

impl VerifyError {
    /// A new error.
    pub fn new(reason: Reason, message: impl Into<String>) -> VerifyError {
        VerifyError {
            reason,
            message: message.into(),
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

impl std::error::Error for VerifyError {}

/// The time source of a verifier (milliseconds since the Unix epoch); injectable for tests.
pub trait Clock: Send + Sync {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// A clock that stays where it is set; for tests and for verifying "as of" a time.
#[derive(Debug, Default)]
pub struct FixedClock(std::sync::atomic::AtomicI64);

impl FixedClock {
    /// A clock at `now_ms`.
    pub fn new(now_ms: i64) -> FixedClock {
        FixedClock(std::sync::atomic::AtomicI64::new(now_ms))
    }

    /// Moves the clock to `now_ms`.
    pub fn set(&self, now_ms: i64) {
        self.0.store(now_ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(by, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The claim checks, shared by the verifier and per-request overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClaimRules {
    pub(crate) authorized_parties: Vec<String>,
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: Vec<String>,
}

#[derive(Clone)]
enum KeySource {
    /// A networkless PEM key, or why it cannot be used (reported like the reference:
    /// as `token-verification-failed` at the signature step).
    Pem(Arc<Result<RsaKey, String>>),
    Jwks(Arc<JwksCache>),
    Unconfigured,
}

struct Inner {
    keys: KeySource,
    rules: ClaimRules,
    clock_skew_ms: i64,
    clock: Arc<dyn Clock>,
    client: Option<Client>,
}

/// Verifies Clerk session tokens. Cheap to clone (shared state); `Send + Sync`. Each
/// verifier built from a client has its own JWKS cache.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.inner.keys {
            KeySource::Pem(_) => "pem",
            KeySource::Jwks(_) => "jwks",
            KeySource::Unconfigured => "none",
        };
        f.debug_struct("Verifier")
            .field("keys", &keys)
            .field("authorized_parties", &self.inner.rules.authorized_parties)
            .field("audience", &self.inner.rules.audience)
            .field("issuer", &self.inner.rules.issuer)
            .field("clock_skew_ms", &self.inner.clock_skew_ms)
            .finish_non_exhaustive()
    }
}

/// Builder of [`Verifier`].
pub struct VerifierBuilder {
    shared_keys: Option<KeySource>,
    pem: Option<String>,
    client: Option<Client>,
    source: Option<Arc<dyn JwksSource>>,
    rules: ClaimRules,
    clock_skew: Duration,
    timing: CacheTiming,
    clock: Arc<dyn Clock>,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            shared_keys: None,
            pem: None,
            client: None,
            source: None,
            rules: ClaimRules::default(),
            clock_skew: Duration::from_secs(5),
            timing: CacheTiming {
                ttl: Duration::from_secs(5 * 60),
                min_refetch_interval: Duration::from_secs(10),
                max_stale: Duration::from_secs(60 * 60),
            },
            clock: Arc::new(SystemClock),
        }
    }
}

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items
        .into_iter()
        .map(Into::into)
        .filter(|s: &String| !s.is_empty())
        .collect()
}

impl VerifierBuilder {
    /// Verifies against a PEM public key, without any network (`CLERK_JWT_KEY`). Takes
    /// precedence over a client's JWKS.
    pub fn pem_key(mut self, pem: impl Into<String>) -> Self {
        self.pem = Some(pem.into()).filter(|p: &String| !p.trim().is_empty());
        self
    }

    /// Uses the keys (PEM key or JWKS cache) and client of an existing verifier, so that
    /// verifiers with different claim rules share one cache.
    pub fn keys_from(mut self, verifier: &Verifier) -> Self {
        self.shared_keys = Some(verifier.inner.keys.clone());
        self.client = verifier.inner.client.clone();
        self
    }

    /// Fetches keys from this client's instance (`GET /v1/jwks`); the client also
    /// verifies opaque machine tokens.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Fetches keys from a custom source (tests, or keys from elsewhere).
    pub fn jwks_source(mut self, source: Arc<dyn JwksSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// Origins allowed in `azp`; an empty list (the default) skips the check. Kept as
    /// given: a list holding only `""` refuses every token, as in the reference.
    pub fn authorized_parties<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        parties: I,
    ) -> Self {
        self.rules.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// Accepted audiences, checked when the token has a non-empty `aud`.
    pub fn audience<I: IntoIterator<Item = S>, S: Into<String>>(mut self, audience: I) -> Self {
        self.rules.audience = strings(audience);
        self
    }

    /// Accepted issuers (`iss`); empty (the default) skips the check.
    pub fn issuer<I: IntoIterator<Item = S>, S: Into<String>>(mut self, issuer: I) -> Self {
        self.rules.issuer = strings(issuer);
        self
    }

    /// Tolerance for `exp`, `nbf` and `iat` (default 5 s; zero is honoured; at most
    /// [`MAX_CLOCK_SKEW`], 5 minutes, else [`build`](Self::build) fails).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// How long fetched JWKS keys stay fresh (default 5 minutes; 100 ms ..= 24 h).
    pub fn jwks_ttl(mut self, ttl: Duration) -> Self {
        self.timing.ttl = ttl;
        self
    }

    /// Minimum time between JWKS refetches caused by unknown `kid`s or failed refreshes
    /// (default 10 s; 0 ..= 24 h; zero lets every unknown `kid` cause a fetch: tests only).
    pub fn kid_refetch_interval(mut self, interval: Duration) -> Self {
        self.timing.min_refetch_interval = interval;
        self
    }

    /// How long past the TTL cached keys keep serving while refreshes fail (default 1 h;
    /// 0 ..= 24 h). A successful fetch always replaces the whole key set.
    pub fn max_stale(mut self, bound: Duration) -> Self {
        self.timing.max_stale = bound;
        self
    }

    /// The time source (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the verifier. Fails when a setting is out of its documented range or a PEM
    /// key is given and cannot be parsed; a verifier with no key source builds and refuses
    /// every token with `jwk-failed-to-resolve`, as the reference does.
    pub fn build(self) -> Result<Verifier, Error> {
        let verifier = self.build_lenient()?;
        if let KeySource::Pem(key) = &verifier.inner.keys {
            if let Err(message) = key.as_ref() {
                return Err(Error::Config {
                    message: format!("CLERK_JWT_KEY / PEM key: {message}"),
                });
            }
        }
        Ok(verifier)
    }

    /// Builds the verifier even when the PEM key is unusable: tokens are then refused with
    /// `token-verification-failed` at the signature step, exactly where the reference
    /// fails (used by the CLI's batch mode to mirror the reference case by case). Settings
    /// out of range still fail.
    pub fn build_lenient(self) -> Result<Verifier, Error> {
        self.check_ranges()?;
        Ok(self.assemble())
    }

    /// Refuses settings outside their documented ranges: an unbounded clock skew would
    /// accept any expired token, a zero TTL would fetch the JWKS for every token.
    fn check_ranges(&self) -> Result<(), Error> {
        check_range(
            "clock_skew",
            self.clock_skew,
            Duration::ZERO,
            MAX_CLOCK_SKEW,
        )?;
        check_range("jwks_ttl", self.timing.ttl, MIN_JWKS_TTL, MAX_CACHE_SETTING)?;
        check_range(
            "kid_refetch_interval",
            self.timing.min_refetch_interval,
            Duration::ZERO,
            MAX_CACHE_SETTING,
        )?;
        check_range(
            "max_stale",
            self.timing.max_stale,
            Duration::ZERO,
            MAX_CACHE_SETTING,
        )
    }

    fn assemble(self) -> Verifier {
        let keys = if let Some(shared) = self.shared_keys {
            shared
        } else if let Some(pem) = &self.pem {
            KeySource::Pem(Arc::new(RsaKey::from_pem(pem)))
        } else if let Some(source) = self.source {
            KeySource::Jwks(Arc::new(JwksCache::new(source, self.timing)))
        } else if let Some(client) = self.client.as_ref().filter(|c| c.secret_key().is_some()) {
            KeySource::Jwks(Arc::new(JwksCache::new(
                Arc::new(client.clone()),
                self.timing,
            )))
        } else {
            KeySource::Unconfigured
        };
        Verifier {
            inner: Arc::new(Inner {
                keys,
                rules: self.rules,
                // In range (at most minutes), so the conversion cannot truncate.
                clock_skew_ms: i64::try_from(self.clock_skew.as_millis()).unwrap_or(i64::MAX),
                clock: self.clock,
                client: self.client,
            }),
        }
    }
}

/// The largest clock skew a verifier accepts (5 minutes): tolerance for clock drift
/// between Clerk and this server, not a way to extend token lifetimes.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// The shortest JWKS TTL (100 ms): shorter would refetch for nearly every token.
pub const MIN_JWKS_TTL: Duration = Duration::from_millis(100);
/// The longest JWKS TTL, kid refetch interval and stale bound (24 hours).
pub const MAX_CACHE_SETTING: Duration = Duration::from_secs(24 * 60 * 60);

fn check_range(name: &str, value: Duration, min: Duration, max: Duration) -> Result<(), Error> {
    if value < min || value > max {
        return Err(Error::Config {
            message: format!(
                "verifier setting {name} ({name}_ms) is {} ms; it must be within {} ..= {} ms",
                value.as_millis(),
                min.as_millis(),
                max.as_millis()
            ),
        });
    }
    Ok(())
}

/// The Unix seconds of 9999-12-31T23:59:59Z and 0001-01-01T00:00:00Z: dates outside are
/// refused (the reference's date arithmetic breaks on them and never expires the token).
const MAX_DATE_SECONDS: f64 = 253_402_300_799.0;
const MIN_DATE_SECONDS: f64 = -62_135_596_800.0;

impl Verifier {
    /// A builder with the defaults (skew 5 s, JWKS TTL 5 min, kid refetch interval 10 s).
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// A verifier for this client's instance, keys from its JWKS.
    pub fn from_client(client: Client) -> Verifier {
        // The defaults are in range.
        Verifier::builder().client(client).assemble()
    }

    /// A networkless verifier for a PEM public key.
    pub fn from_pem(pem: &str) -> Result<Verifier, Error> {
        Verifier::builder().pem_key(pem).build()
    }

    /// From the environment: `CLERK_JWT_KEY` (PEM, networkless) when set, else the JWKS
    /// of [`Client::from_env`] when `CLERK_SECRET_KEY` is set.
    pub fn from_env() -> Result<Verifier, Error> {
        Verifier::builder_from_env()?.build()
    }

    /// A builder preset from the environment, as [`from_env`](Self::from_env) reads it,
    /// for adding further settings (or building leniently).
    pub fn builder_from_env() -> Result<VerifierBuilder, Error> {
        let mut builder = Verifier::builder();
        if let Ok(pem) = std::env::var("CLERK_JWT_KEY") {
            builder = builder.pem_key(pem);
        }
        if std::env::var("CLERK_SECRET_KEY").is_ok_and(|k| !k.is_empty()) {
            builder = builder.client(Client::from_env()?);
        }
        Ok(builder)
    }

    /// The client this verifier was built with, if any (used for machine tokens).
    pub fn client(&self) -> Option<&Client> {
        self.inner.client.as_ref()
    }

    /// Verifies a session token with the verifier's own rules.
    pub fn verify(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        self.verify_with(token, &self.inner.rules)
    }

    /// Verifies with other authorized parties than the verifier's (when non-empty).
    pub(crate) fn verify_for_parties(
        &self,
        token: &str,
        authorized_parties: &[String],
    ) -> Result<SessionClaims, VerifyError> {
        if authorized_parties.is_empty() {
            return self.verify(token);
        }
        let rules = ClaimRules {
            authorized_parties: authorized_parties.to_vec(),
            ..self.inner.rules.clone()
        };
        self.verify_with(token, &rules)
    }

    fn verify_with(&self, token: &str, rules: &ClaimRules) -> Result<SessionClaims, VerifyError> {
        self.verify_kind(token, rules, TokenKind::Session)
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
        let claims = self.verify_kind(token, &self.inner.rules, kind)?;
        Ok(serde_json::from_str(&claims.raw).unwrap_or_default())
    }

    fn verify_kind(
        &self,
        token: &str,
        rules: &ClaimRules,
        kind: TokenKind,
    ) -> Result<SessionClaims, VerifyError> {
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
        let key = match &self.inner.keys {
            KeySource::Pem(key) => key.clone(),
            KeySource::Jwks(cache) => {
                let kid = header.kid.and_then(jwt::as_str);
                cache.key(kid.as_deref(), self.inner.clock.as_ref())?
            }
            KeySource::Unconfigured => {
                return Err(VerifyError::new(
                    Reason::JwkFailedToResolve,
                    "Failed to resolve JWK during verification: set a PEM key (CLERK_JWT_KEY) or a secret key.",
                ));
            }
        };

        // 4. Header.
        check_typ(header.typ, kind)?;
        let algorithm = header
            .alg
            .and_then(jwt::as_str)
            .and_then(|name| Algorithm::from_name(&name))
            .ok_or_else(|| {
                VerifyError::new(
                    Reason::TokenInvalidAlgorithm,
                    format!(
                        "Invalid JWT algorithm {}. Supported: RS256,RS384,RS512.",
                        header.alg.map_or("undefined", RawValue::get)
                    ),
                )
            })?;

        // 5. Signature, before any claim is trusted.
        let key = key.as_ref().as_ref().map_err(|message| {
            VerifyError::new(
                Reason::TokenVerificationFailed,
                format!("Error verifying JWT signature: the key cannot be used: {message}"),
            )
        })?;
        key.verify(
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
        let exp = self.check_claims(&payload, rules, kind)?;
        let mut claims = SessionClaims::from_payload(&payload, &decoded.payload_json, exp);
        claims.raw = decoded.payload_json;
        Ok(claims)
    }

    /// Runs the claim checks in the reference's order; returns `exp` in whole seconds.
    fn check_claims(
        &self,
        payload: &jwt::Payload<'_>,
        rules: &ClaimRules,
        kind: TokenKind,
    ) -> Result<i64, VerifyError> {
        let failed = |message: String| VerifyError::new(Reason::TokenVerificationFailed, message);
        let shown = |raw: Option<&RawValue>| raw.map_or("undefined", RawValue::get).to_owned();

        if payload.sub.and_then(jwt::as_str).is_none() {
            return Err(failed(format!(
                "Subject claim (sub) is required and must be a string. Received {}.",
                shown(payload.sub)
            )));
        }
        if kind != TokenKind::OauthJwt {
            check_audience(payload.aud, &rules.audience)?;
        }
        if kind == TokenKind::Session && !rules.authorized_parties.is_empty() {
            let azp = payload.azp.and_then(jwt::as_str);
            if !azp.is_some_and(|azp| {
                !azp.is_empty() && rules.authorized_parties.iter().any(|p| *p == *azp)
            }) {
                return Err(VerifyError::new(
                    Reason::TokenInvalidAuthorizedParties,
                    format!(
                        "Invalid JWT Authorized party claim (azp) {}. Expected \"{}\".",
                        shown(payload.azp),
                        rules.authorized_parties.join(",")
                    ),
                ));
            }
        }
        if !rules.issuer.is_empty() {
            let iss = payload.iss.and_then(jwt::as_str);
            if !iss.is_some_and(|iss| rules.issuer.iter().any(|i| *i == *iss)) {
                return Err(VerifyError::new(
                    Reason::TokenInvalidIssuer,
                    format!(
                        "Invalid JWT issuer claim (iss) {}. Expected \"{}\".",
                        shown(payload.iss),
                        rules.issuer.join(",")
                    ),
                ));
            }
        }

        let now_ms = self.inner.clock.now_ms();
        let skew_ms = self.inner.clock_skew_ms;
        let exp = match payload.exp {
            Some(raw) => date_seconds("exp", raw)?,
            None => {
                return Err(failed(
                    "Invalid JWT expiry date claim (exp) undefined. Expected number.".to_owned(),
                ));
            }
        };
        if exp.saturating_mul(1000) <= now_ms.saturating_sub(skew_ms) {
            return Err(VerifyError::new(
                Reason::TokenExpired,
                format!(
                    "JWT is expired. Expiry date: {exp} (seconds), current date: {now_ms} (ms)."
                ),
            ));
        }
        if let Some(raw) = payload.nbf {
            let nbf = date_seconds("nbf", raw)?;
            if nbf.saturating_mul(1000) > now_ms.saturating_add(skew_ms) {
                return Err(VerifyError::new(
                    Reason::TokenNotActiveYet,
                    format!(
                        "JWT cannot be used prior to not before date claim (nbf) {nbf}; current date: {now_ms} (ms)."
                    ),
                ));
            }
        }
        if let Some(raw) = payload.iat {
            let iat = date_seconds("iat", raw)?;
            if iat.saturating_mul(1000) > now_ms.saturating_add(skew_ms) {
                return Err(VerifyError::new(
                    Reason::TokenIatInTheFuture,
                    format!(
                        "JWT issued at date claim (iat) {iat} is in the future; current date: {now_ms} (ms)."
                    ),
                ));
            }
        }
        if kind == TokenKind::OauthJwt {
            check_oauth_audience(payload.aud, &rules.audience)?;
        }
        Ok(exp)
    }
}

/// What kind of JWT is being verified: the rules differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Session,
    M2mJwt,
    OauthJwt,
}

/// The `typ` values of OAuth access tokens (RFC 9068).
pub(crate) const OAUTH_TOKEN_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// `typ`: for session and M2M tokens absent passes, otherwise exactly `JWT`; OAuth access
/// tokens must say `at+jwt` or `application/at+jwt`.
fn check_typ(typ: Option<&RawValue>, kind: TokenKind) -> Result<(), VerifyError> {
    let typ_text = typ.and_then(jwt::as_str);
    let ok = match kind {
        TokenKind::OauthJwt => typ_text.is_some_and(|t| OAUTH_TOKEN_TYPES.contains(&t.as_ref())),
        _ => typ.is_none() || typ_text.as_deref() == Some("JWT"),
    };
    if ok {
        return Ok(());
    }
    Err(VerifyError::new(
        Reason::TokenInvalid,
        format!(
            "Invalid JWT type {}.",
            typ.map_or("undefined", RawValue::get)
        ),
    ))
}

/// OAuth access tokens: with an audience configured, `aud` must be a non-empty string or
/// array of non-empty strings, one of them configured.
fn check_oauth_audience(aud: Option<&RawValue>, audience: &[String]) -> Result<(), VerifyError> {
    if audience.is_empty() {
        return Ok(());
    }
    let values: Option<Vec<String>> = aud.and_then(|raw| match jwt::as_str(raw) {
        Some(single) => Some(vec![single.into_owned()]),
        None => serde_json::from_str::<Vec<String>>(raw.get()).ok(),
    });
    let Some(values) = values.filter(|v| !v.is_empty() && v.iter().all(|a| !a.is_empty())) else {
        return Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            "Invalid OAuth audience claim (aud). Expected a non-empty string or a non-empty array of non-empty strings.",
        ));
    };
    if values.iter().any(|v| audience.contains(v)) {
        Ok(())
    } else {
        Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "OAuth audience mismatch: expected one of {audience:?}, the token has {values:?}."
            ),
        ))
    }
}

/// `aud`: checked only when an audience is configured and the token's `aud` is non-empty.
fn check_audience(aud: Option<&RawValue>, audience: &[String]) -> Result<(), VerifyError> {
    let Some(raw) = aud.filter(|raw| jwt::is_truthy(raw)) else {
        return Ok(());
    };
    if audience.is_empty() {
        return Ok(());
    }
    let failed = || {
        VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT audience claim (aud) {}. Is not included in \"{:?}\".",
                raw.get(),
                audience
            ),
        )
    };
    if let Some(single) = jwt::as_str(raw) {
        return if audience.iter().any(|a| *a == *single) {
            Ok(())
        } else {
            Err(failed())
        };
    }
    match serde_json::from_str::<Vec<serde_json::Value>>(raw.get()) {
        // An array with only falsy members counts as empty, as in the reference.
        Ok(items)
            if items.iter().all(|i| {
                matches!(i, serde_json::Value::Null) || i == "" || i == 0 || i == false
            }) =>
        {
            Ok(())
        }
        Ok(items) if items.iter().all(serde_json::Value::is_string) => {
            if items.iter().any(|i| audience.iter().any(|a| i == a)) {
                Ok(())
            } else {
                Err(failed())
            }
        }
        // Deviation: wrong types are refused (the reference lets them through).
        _ => Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT audience claim (aud) {}: expected a string or an array of strings.",
                raw.get()
            ),
        )),
    }
}

/// A date claim in whole seconds (the reference truncates fractions). Non-numbers and
/// dates outside 0001..=9999 are `token-verification-failed`.
fn date_seconds(name: &str, raw: &RawValue) -> Result<i64, VerifyError> {
    let value = match jwt::as_number(raw) {
        Some(Ok(value)) => value.trunc(),
        Some(Err(())) => f64::INFINITY,
        None => {
            return Err(VerifyError::new(
                Reason::TokenVerificationFailed,
                format!("Invalid JWT {name} claim {}. Expected number.", raw.get()),
            ));
        }
    };
    if !(MIN_DATE_SECONDS..=MAX_DATE_SECONDS).contains(&value) {
        return Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT {name} claim {}: outside the years 0001 to 9999.",
                raw.get()
            ),
        ));
    }
    Ok(value as i64)
}
