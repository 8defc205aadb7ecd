//! How a verifier is built: its settings, their ranges and defaults, and which key source
//! they select.

use std::sync::Arc;
use std::time::Duration;

use super::checks::ClaimRules;
use super::clock::{Clock, SystemClock};
use super::jwks::{CacheTiming, JwksCache, JwksSource};
use super::key_source::KeySource;
use super::keys::RsaKey;
use super::pipeline::{Inner, Verifier};
use super::token_cache::TokenCache;
use crate::{Client, Error};

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
    token_cache_size: usize,
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
            token_cache_size: DEFAULT_TOKEN_CACHE_SIZE,
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

    /// How many verified session tokens [`Verifier::verify`] remembers (default
    /// [`DEFAULT_TOKEN_CACHE_SIZE`], 1024; 0 turns the cache off; at most
    /// [`MAX_TOKEN_CACHE_SIZE`], else [`build`](Self::build) fails).
    ///
    /// A repeated token then skips decoding and the RSA signature (measured ~40x faster);
    /// the key (still in the current key set, and the same key) and `exp`/`nbf`/`iat`
    /// are checked again on every hit, so decisions do not change. Only successes are
    /// stored, tokens longer than [`MAX_CACHED_TOKEN_BYTES`](super::MAX_CACHED_TOKEN_BYTES)
    /// (4 KiB) or with `=` padding are not, and a hit compares the whole token.
    ///
    /// Memory: each entry holds the token and its claims (the payload text and the
    /// string claims, which together are under 1.5 times the token's length) plus about
    /// 0.4 KiB of bookkeeping: at most ~10.5 KiB per entry, ~2.5 KiB for a typical
    /// 1 KiB token; 1024 entries are at most ~10.5 MiB (typically ~2.5 MiB). Eviction is
    /// CLOCK (second chance) within 16 shards, O(1) amortised, so a flood of distinct
    /// valid tokens cycles through the bound without growing it.
    pub fn token_cache_size(mut self, entries: usize) -> Self {
        self.token_cache_size = entries;
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
    /// fails. Settings out of range still fail. Not public API: only the CLI's batch mode
    /// (which mirrors the reference case by case for the differential test) and tests use
    /// it, so it is hidden from the docs and may change without notice.
    #[doc(hidden)]
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
        )?;
        if self.token_cache_size > MAX_TOKEN_CACHE_SIZE {
            return Err(Error::Config {
                message: format!(
                    "verifier setting token_cache_size is {}; it must be within 0 ..= {MAX_TOKEN_CACHE_SIZE}",
                    self.token_cache_size
                ),
            });
        }
        Ok(())
    }

    fn assemble(self) -> Verifier {
        let keys = if let Some(shared) = self.shared_keys {
            shared
        } else if let Some(pem) = &self.pem {
            KeySource::Pem(Arc::new(RsaKey::from_pem(pem)))
        } else if let Some(source) = self.source {
            KeySource::Jwks(Arc::new(JwksCache::new(source, self.timing)))
        } else if let Some(client) = self.client.as_ref().filter(|c| c.has_secret_key()) {
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
                token_cache: (self.token_cache_size > 0)
                    .then(|| TokenCache::new(self.token_cache_size)),
            }),
        }
    }
}

/// The largest clock skew a verifier accepts (5 minutes): tolerance for clock drift
/// between Clerk and this server, not a way to extend token lifetimes.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// The verified-token cache's default size (entries): see
/// [`VerifierBuilder::token_cache_size`].
pub const DEFAULT_TOKEN_CACHE_SIZE: usize = 1024;
/// The largest verified-token cache (entries; at most ~680 MiB of worst-case tokens).
pub const MAX_TOKEN_CACHE_SIZE: usize = 65_536;
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

impl Verifier {
    /// A builder with the defaults (skew 5 s, JWKS TTL 5 min, kid refetch interval 10 s,
    /// verified-token cache of 1024 entries).
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
}
