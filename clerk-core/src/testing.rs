//! Minting session tokens for tests (feature `testing`): sign with your own RSA key.
//!
//! ```
//! use clerk_core::testing::{TestKey, mint_session_token};
//! let key = TestKey::generate("kid_1")?;
//! let token = mint_session_token(&key, &serde_json::json!({"sub": "user_1"}))?;
//! let verifier = clerk_core::verify::Verifier::from_pem(&key.public_key_pem())?;
//! assert_eq!(verifier.verify(&token)?.sub, "user_1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{
    KeyPair as _, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RsaEncoding,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::Error;
use crate::verify::keys::pem_to_der;

/// An RSA signing key with its `kid`.
pub struct TestKey {
    kid: String,
    pair: KeyPair,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn config(message: impl Into<String>) -> Error {
    Error::Config {
        message: message.into(),
    }
}

/// Wraps DER in PEM armour with 64-column lines.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

impl TestKey {
    /// A fresh RSA-2048 key.
    pub fn generate(kid: &str) -> Result<TestKey, Error> {
        TestKey::generate_bits(kid, 2048)
    }

    /// A fresh RSA key of 2048, 3072, 4096 or 8192 bits.
    pub fn generate_bits(kid: &str, bits: usize) -> Result<TestKey, Error> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            other => return Err(config(format!("unsupported RSA key size {other}"))),
        };
        let pair = KeyPair::generate(size)
            .map_err(|e| config(format!("RSA key generation failed: {e}")))?;
        Ok(TestKey {
            kid: kid.to_owned(),
            pair,
        })
    }

    /// From a PEM private key: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    pub fn from_pem(kid: &str, pem: &str) -> Result<TestKey, Error> {
        if crate::verify::keys::pem_kind(pem) == Some(crate::verify::keys::PemKind::Public) {
            return Err(config(
                "expects a PRIVATE key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY); this is a \
                 public key, which can verify tokens but not sign them",
            ));
        }
        let der = pem_to_der(pem).map_err(config)?;
        let pair = KeyPair::from_pkcs8(&der)
            .or_else(|_| KeyPair::from_der(&der))
            .map_err(|e| config(format!("not an RSA private key (PKCS#8 or PKCS#1): {e}")))?;
        Ok(TestKey {
            kid: kid.to_owned(),
            pair,
        })
    }

    /// The key id put in minted tokens' headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private key as PKCS#8 PEM.
    pub fn private_key_pem(&self) -> String {
        let der = self
            .pair
            .as_der()
            .map(|d| d.as_ref().to_vec())
            .unwrap_or_default();
        pem_encode("PRIVATE KEY", &der)
    }

    /// The public key as SubjectPublicKeyInfo PEM (what `CLERK_JWT_KEY` holds).
    pub fn public_key_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.public_spki_der())
    }

    /// The public key as SubjectPublicKeyInfo DER (the body of [`TestKey::public_key_pem`]).
    pub fn public_spki_der(&self) -> Vec<u8> {
        // The key pair's public key is PKCS#1; re-encode it as SPKI.
        aws_lc_rs::rsa::PublicKey::from_der(self.pair.public_key().as_ref())
            .ok()
            .and_then(|public| public.as_der().ok())
            .map(|der| der.as_ref().to_vec())
            .unwrap_or_default()
    }

    /// The public key as one JWK (`kty`, `kid`, `alg` RS256, `use` sig, `n`, `e`).
    pub fn public_jwk(&self) -> Value {
        let spki = self.public_spki_der();
        let (n, e) = rsa_public_numbers(&spki).unwrap_or_default();
        json!({
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(n),
            "e": URL_SAFE_NO_PAD.encode(e),
        })
    }

    /// A JWKS document holding this key.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.public_jwk()] })
    }

    /// Signs `header` and `claims` exactly as given (no defaults): for tests of odd tokens.
    /// `alg` in the header picks the hash (RS256 when absent or not RS384/RS512).
    pub fn sign_raw(&self, header: &Value, claims: &Value) -> Result<String, Error> {
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let signing_input = format!("{}.{}", encode(header), encode(claims));
        let encoding: &'static dyn RsaEncoding = match header.get("alg").and_then(Value::as_str) {
            Some("RS384") => &RSA_PKCS1_SHA384,
            Some("RS512") => &RSA_PKCS1_SHA512,
            _ => &RSA_PKCS1_SHA256,
        };
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                encoding,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|e| config(format!("signing failed: {e}")))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// Reads (n, e) from SPKI DER.
fn rsa_public_numbers(spki: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    crate::verify::keys::rsa_numbers(spki)
}

/// Unix seconds now.
fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The default claims of a v2 session token issued now: `iat`/`nbf` 10 s ago, `exp` in
/// 60 s, plus `sid`, `sts`, `v`, `fva`, `iss`, `azp` placeholders.
pub fn default_claims(now: i64) -> Map<String, Value> {
    let value = json!({
        "sub": "user_test",
        "sid": "sess_test",
        "iss": "https://clerk.example.test",
        "azp": "http://localhost:3000",
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 60,
        "sts": "active",
        "v": 2,
        "fva": [0, -1],
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Mints an RS256 session token: the default claims overlaid with `extra` (an object;
/// a `null` value removes a default claim). Header: `alg`, `typ` JWT, `kid`,
/// session category.
pub fn mint_session_token(key: &TestKey, extra: &Value) -> Result<String, Error> {
    mint_session_token_at(key, extra, now_seconds())
}

/// [`mint_session_token`] as of `now` (Unix seconds).
pub fn mint_session_token_at(key: &TestKey, extra: &Value, now: i64) -> Result<String, Error> {
    mint_with_header_at(key, &Value::Null, extra, now)
}

/// Like [`mint_session_token_at`], also overlaying the default header (`alg` RS256, `typ`
/// JWT, `kid`, session `cat`) with `header` (a `null` value removes a field). The
/// signature follows the resulting `alg` (RS384/RS512, else RS256).
pub fn mint_with_header_at(
    key: &TestKey,
    header: &Value,
    extra: &Value,
    now: i64,
) -> Result<String, Error> {
    let mut claims = default_claims(now);
    overlay(&mut claims, extra, "extra claims")?;
    let mut full_header = Map::new();
    full_header.insert("alg".into(), json!("RS256"));
    full_header.insert("typ".into(), json!("JWT"));
    full_header.insert("kid".into(), json!(key.kid));
    full_header.insert("cat".into(), json!("cl_B7d4PD111AAA"));
    overlay(&mut full_header, header, "header")?;
    key.sign_raw(&Value::Object(full_header), &Value::Object(claims))
}

/// Overlays `extra` (an object, or null for nothing) on `base`; null values remove.
fn overlay(base: &mut Map<String, Value>, extra: &Value, what: &str) -> Result<(), Error> {
    match extra {
        Value::Null => Ok(()),
        Value::Object(extra) => {
            for (name, value) in extra {
                if value.is_null() {
                    base.remove(name);
                } else {
                    base.insert(name.clone(), value.clone());
                }
            }
            Ok(())
        }
        _ => Err(Error::InvalidParams {
            message: format!("{what} must be a JSON object"),
        }),
    }
}

/// A retry clock for tests ([`ClientBuilder::retry_clock`](crate::ClientBuilder)): it
/// records every wait the retry loop asks for and returns at once, moving its own time
/// forward by the wait, and it draws the jitter from a fixed number (default 0: every
/// backoff is the lower end of its range, half the exponential ceiling).
///
/// Its time is the monotonic clock plus every recorded wait, so the time an attempt
/// really takes still counts against the call's budget, while the waits cost no wall
/// time. Tests assert on [`RecordingClock::sleeps`] rather than on elapsed time.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use clerk_core::testing::RecordingClock;
/// let clock = Arc::new(RecordingClock::new());
/// let client = clerk_core::Client::builder()
///     .secret_key("sk_test_x")
///     .api_url("http://127.0.0.1:1")
///     .retry_clock(clock.clone())
///     .build()?;
/// // A connection refused is retried (it never reached a server): 2 waits, 250 ms, 500 ms.
/// assert!(client.request(clerk_core::Method::Post, "/users", &[], None).is_err());
/// assert_eq!(clock.sleeps(), [Duration::from_millis(250), Duration::from_millis(500)]);
/// # Ok::<(), clerk_core::Error>(())
/// ```
#[derive(Debug)]
pub struct RecordingClock {
    sleeps: std::sync::Mutex<Vec<std::time::Duration>>,
    random: std::sync::atomic::AtomicU64,
}

impl Default for RecordingClock {
    fn default() -> Self {
        RecordingClock::new()
    }
}

impl RecordingClock {
    /// A clock with no waits recorded and jitter 0.
    pub fn new() -> RecordingClock {
        RecordingClock {
            sleeps: std::sync::Mutex::new(Vec::new()),
            random: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Draws the jitter from `random` from now on (the backoff adds `random` modulo half
    /// its ceiling, in nanoseconds, to that half).
    pub fn with_random(self, random: u64) -> RecordingClock {
        self.random
            .store(random, std::sync::atomic::Ordering::SeqCst);
        self
    }

    /// Every wait asked for, in order.
    pub fn sleeps(&self) -> Vec<std::time::Duration> {
        self.sleeps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The sum of the waits.
    pub fn slept(&self) -> std::time::Duration {
        self.sleeps().iter().sum()
    }
}

impl crate::RetryClock for RecordingClock {
    fn now(&self) -> std::time::Instant {
        std::time::Instant::now() + self.slept()
    }

    fn sleep(&self, duration: std::time::Duration) {
        self.sleeps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(duration);
    }

    fn random(&self) -> u64 {
        self.random.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The operation name that makes [`Client::call`](crate::Client::call) panic inside the
/// core, for the tests that check a panic never crosses the C boundary (it becomes
/// `CLERK_RESULT_PANIC`, an `InternalError` in Python, an error in Go) and leaves the
/// client usable.
///
/// Only builds with the `testing` feature honour it (the C library has that feature, for
/// its token-minting helpers). It is harmless there: no real operation has a `$` in its
/// name, so only a caller who asks for it by name reaches it; through the C library the
/// panic is caught at the boundary; and the client holds no state a panic could leave
/// half-changed (its locks recover from poisoning). Not a stable API.
#[doc(hidden)]
pub const PANIC_OPERATION: &str = "$testing.panic";

/// Panics when `name` is [`PANIC_OPERATION`]; a no-op for every other name.
#[doc(hidden)]
pub fn panic_hook(name: &str) {
    if name == PANIC_OPERATION {
        panic!("forced panic ({PANIC_OPERATION}, a test hook)");
    }
}
