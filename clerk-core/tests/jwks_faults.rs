//! JWKS faults against the emulator over HTTP, with fetches counted by the emulator's
//! own counters (`GET /v1/jwks`) and time moved by a fixed clock, so every bound is
//! exact: a failing refresh keeps serving cached keys only within the staleness bound;
//! 10,000 random `kid`s cause no more fetches than the refetch interval allows; a key
//! rotation is picked up and the rotated-out key refused. tests/RELIABILITY.md quotes
//! the figures printed here.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_core::verify::{FixedClock, Reason, Verifier};
use clerk_core::{Client, RetryPolicy};
use clerk_emulator::{Emulator, Fault};
use serde_json::{Value, json};

const TTL: Duration = Duration::from_secs(300);
const MAX_STALE: Duration = Duration::from_secs(600);
const INTERVAL: Duration = Duration::from_secs(10);
const JWKS: &str = "GET /v1/jwks";

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Setup {
    emulator: Emulator,
    clock: Arc<FixedClock>,
    verifier: Verifier,
    start_s: i64,
}

impl Setup {
    fn new() -> Setup {
        let emulator = Emulator::start().unwrap();
        // One attempt per fetch, so the emulator's count is the verifier's fetch count.
        let client = Client::builder()
            .secret_key(emulator.secret_key())
            .api_url(emulator.api_url())
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap();
        let start_s = now_s();
        let clock = Arc::new(FixedClock::new(start_s * 1000));
        let verifier = Verifier::builder()
            .client(client)
            .clock(clock.clone())
            .jwks_ttl(TTL)
            .max_stale(MAX_STALE)
            .kid_refetch_interval(INTERVAL)
            .build()
            .unwrap();
        Setup {
            emulator,
            clock,
            verifier,
            start_s,
        }
    }

    /// A session token of the emulator's current key, valid for two days of clock time.
    fn token(&self) -> String {
        let mut claims = clerk_core::testing::default_claims(self.start_s);
        claims.insert("exp".into(), json!(self.start_s + 2 * 86_400));
        self.emulator.sign_claims(&Value::Object(claims))
    }

    fn fetches(&self) -> u64 {
        self.emulator.counters().route(JWKS)
    }

    fn at(&self, seconds: u64) {
        self.clock.set((self.start_s + seconds as i64) * 1000);
    }
}

/// `token` with its header's `kid` replaced (the signature then no longer matches, but
/// in JWKS mode the key is selected by `kid` before any signature check, which is what
/// a spray of forged tokens exercises).
fn with_kid(token: &str, kid: &str) -> String {
    let (_header, rest) = token.split_once('.').unwrap();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string();
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header))
}

/// A small xorshift generator: random-looking kids without a dependency, reproducible.
fn kids(count: usize) -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("ins_{state:016x}")
        })
        .collect()
}

#[test]
fn a_failing_refresh_serves_cached_keys_only_within_the_staleness_bound() {
    let s = Setup::new();
    let token = s.token();
    s.verifier.verify(&token).unwrap();
    assert_eq!(s.fetches(), 1);

    // Every JWKS fetch from now on fails.
    s.emulator.inject_fault(Fault {
        method: Some("GET".into()),
        path: "/v1/jwks".into(),
        status: Some(503),
        times: Some(1_000_000),
        ..Fault::default()
    });
    let mut served_stale = 0;
    // Just past the TTL: one refresh tried, it fails, the cached key still serves.
    s.at(TTL.as_secs() + 1);
    s.verifier.verify(&token).expect("stale key served");
    served_stale += 1;
    assert_eq!(s.fetches(), 2);
    // Every 10 s (the refetch interval) up to just inside TTL + MAX_STALE: one failed
    // refresh each, the key still serving.
    let last_inside = TTL.as_secs() + MAX_STALE.as_secs() - 1;
    let mut second = TTL.as_secs() + 1;
    let mut expected_fetches = 2;
    while second + INTERVAL.as_secs() <= last_inside {
        second += INTERVAL.as_secs();
        s.at(second);
        s.verifier.verify(&token).expect("stale key served");
        served_stale += 1;
        expected_fetches += 1;
        // Within the interval, no new attempt against the failing source.
        s.verifier.verify(&token).expect("stale key served");
        served_stale += 1;
    }
    assert_eq!(s.fetches(), expected_fetches);

    // One second inside the bound it still serves; at TTL + MAX_STALE exactly the
    // failure surfaces, and stays.
    s.at(last_inside);
    s.verifier
        .verify(&token)
        .expect("stale key served 1 s inside the bound");
    served_stale += 1;
    s.at(TTL.as_secs() + MAX_STALE.as_secs());
    let refused = s.verifier.verify(&token).expect_err("at the stale bound");
    assert_eq!(
        refused.reason,
        Reason::JwkRemoteFailedToLoad,
        "{}",
        refused.message
    );
    s.at(TTL.as_secs() + MAX_STALE.as_secs() + INTERVAL.as_secs());
    let refused = s
        .verifier
        .verify(&token)
        .expect_err("beyond the stale bound");
    assert_eq!(
        refused.reason,
        Reason::JwkRemoteFailedToLoad,
        "{}",
        refused.message
    );
    let refused = s
        .verifier
        .verify(&token)
        .expect_err("still beyond the bound");
    assert_eq!(refused.reason, Reason::JwkRemoteFailedToLoad);

    // The JWKS answers again: the next refresh recovers.
    s.emulator.clear_faults();
    s.at(TTL.as_secs() + MAX_STALE.as_secs() + 3 * INTERVAL.as_secs());
    s.verifier.verify(&token).expect("recovered");
    println!(
        "jwks stale-if-error: {served_stale} verifications served from stale keys, \
         {} fetches (ttl {} s, max_stale {} s, interval {} s), refused beyond the bound, recovered",
        s.fetches(),
        TTL.as_secs(),
        MAX_STALE.as_secs(),
        INTERVAL.as_secs()
    );
}

#[test]
fn ten_thousand_random_kids_fetch_no_more_than_the_interval_allows() {
    let s = Setup::new();
    let token = s.token();
    s.verifier.verify(&token).unwrap();
    let before = s.fetches();
    let sprayed = kids(10_000);
    // 10,000 tokens over 100 s of clock time (10 ms apart): at most one fetch per
    // started interval, that is 100 s / 10 s = 10, plus one for the first miss.
    let step_ms = 10;
    let span_ms = step_ms * sprayed.len() as i64;
    let allowed = (span_ms / INTERVAL.as_millis() as i64) as u64 + 1;
    let mut refused = 0;
    for (i, kid) in sprayed.iter().enumerate() {
        s.clock.set(s.start_s * 1000 + i as i64 * step_ms);
        let error = s
            .verifier
            .verify(&with_kid(&token, kid))
            .expect_err("an unknown kid is refused");
        assert_eq!(error.reason, Reason::JwkKidMismatch, "{}", error.message);
        refused += 1;
    }
    let fetched = s.fetches() - before;
    println!(
        "jwks kid spray: {refused} random kids refused, {fetched} JWKS fetches over {} s of clock \
         (allowed at most {allowed} with a {} s interval)",
        span_ms / 1000,
        INTERVAL.as_secs()
    );
    assert!(
        fetched <= allowed,
        "{fetched} fetches for the spray, at most {allowed} allowed"
    );
    // Still verifying the real key through it all (it was cached and fresh).
    s.verifier.verify(&token).unwrap();
}

#[test]
fn a_rotation_is_picked_up_and_the_old_key_refused() {
    let s = Setup::new();
    let old = s.token();
    s.verifier.verify(&old).unwrap();
    let old_kid = s.emulator.kid();
    let new_kid = s.emulator.rotate_key();
    assert_ne!(old_kid, new_kid);
    let new = s.token();
    // Within the refetch interval of the first fetch, the new kid is not fetched yet.
    s.at(1);
    let early = s.verifier.verify(&new).expect_err("not fetched yet");
    assert_eq!(early.reason, Reason::JwkKidMismatch);
    assert_eq!(s.fetches(), 1);
    // After the interval, the unknown kid causes one fetch, which brings the new key
    // and drops the old one.
    s.at(INTERVAL.as_secs() + 1);
    s.verifier
        .verify(&new)
        .expect("the rotated-in key verifies");
    assert_eq!(s.fetches(), 2);
    let refused = s.verifier.verify(&old).expect_err("the rotated-out key");
    assert_eq!(
        refused.reason,
        Reason::JwkKidMismatch,
        "{}",
        refused.message
    );
    // And without any token asking, the TTL refresh picks up a second rotation too.
    let newest_kid = s.emulator.rotate_key();
    let newest = s.token();
    s.at(INTERVAL.as_secs() + 1 + TTL.as_secs() + 1);
    s.verifier.verify(&newest).expect("picked up at the TTL");
    assert_eq!(s.fetches(), 3);
    assert!(
        s.verifier.verify(&new).is_err(),
        "{newest_kid}: old keys gone"
    );
}
