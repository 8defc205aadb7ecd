//! The JWKS cache: fetch once, TTL, kid-miss rate limit, single-flight, stale-if-error,
//! error mapping, and one real `Client` against a loopback server.
mod verify_common;

use std::sync::Arc;
use std::time::Duration;

use clerk_core::testing::mint_with_header_at;
use clerk_core::verify::{FixedClock, JwksFetchError, Reason, Verifier};
use clerk_core::{Client, RetryPolicy};
use serde_json::{Value, json};
use verify_common::{FakeSource, LoopbackServer, N, jwks_of, key_a, key_b};

fn token_a() -> String {
    mint_with_header_at(key_a(), &Value::Null, &json!({}), N).unwrap()
}

fn token_b() -> String {
    mint_with_header_at(key_b(), &Value::Null, &json!({}), N).unwrap()
}

/// Valid for a day from `N`, so the clock can move across many TTLs.
fn long_lived(key: &clerk_core::testing::TestKey) -> String {
    mint_with_header_at(key, &Value::Null, &json!({"exp": N + 86_400}), N).unwrap()
}

fn long_lived_a() -> String {
    long_lived(key_a())
}

fn token_with_kid(kid: Value) -> String {
    mint_with_header_at(key_a(), &json!({ "kid": kid }), &json!({}), N).unwrap()
}

fn verifier(source: Arc<FakeSource>, clock: Arc<FixedClock>) -> Verifier {
    Verifier::builder()
        .jwks_source(source)
        .clock(clock)
        .build()
        .unwrap()
}

fn reason_of(
    result: Result<clerk_core::verify::SessionClaims, clerk_core::verify::VerifyError>,
) -> Reason {
    result.expect_err("expected a rejection").reason
}

#[test]
fn keys_are_fetched_once_and_reused_until_the_ttl() {
    let source = FakeSource::serving(&[key_a()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = verifier(source.clone(), clock.clone());
    for _ in 0..5 {
        v.verify(&token_a()).unwrap();
    }
    assert_eq!(source.count(), 1);
    // Clones share the cache.
    v.clone().verify(&token_a()).unwrap();
    assert_eq!(source.count(), 1);
    // Past the 5-minute TTL, one refresh.
    clock.advance(Duration::from_secs(5 * 60));
    v.verify(&mint_with_header_at(key_a(), &Value::Null, &json!({}), N + 300).unwrap())
        .unwrap();
    assert_eq!(source.count(), 2);
}

#[test]
fn separate_verifiers_have_separate_caches() {
    let source = FakeSource::serving(&[key_a()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    verifier(source.clone(), clock.clone())
        .verify(&token_a())
        .unwrap();
    verifier(source.clone(), clock).verify(&token_a()).unwrap();
    assert_eq!(source.count(), 2);
}

#[test]
fn unknown_kid_refetches_at_most_once_per_interval() {
    let source = FakeSource::serving(&[key_a()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = verifier(source.clone(), clock.clone());
    v.verify(&token_a()).unwrap();
    assert_eq!(source.count(), 1);

    // Right after a fetch, an unknown kid is answered from the cache.
    assert_eq!(
        reason_of(v.verify(&token_with_kid(json!("kid_unknown_1")))),
        Reason::JwkKidMismatch
    );
    assert_eq!(source.count(), 1);
    // A spray of unknown kids costs nothing.
    for i in 0..20 {
        assert_eq!(
            reason_of(v.verify(&token_with_kid(json!(format!("spray_{i}"))))),
            Reason::JwkKidMismatch
        );
    }
    assert_eq!(source.count(), 1);
    // After the interval, one refetch; a key added meanwhile (rotation) is found.
    source.set(Ok(jwks_of(&[key_a(), key_b()])));
    clock.advance(Duration::from_secs(10));
    v.verify(&token_b()).unwrap();
    assert_eq!(source.count(), 2);
    // Both keys now verify from the cache.
    v.verify(&token_a()).unwrap();
    v.verify(&token_b()).unwrap();
    assert_eq!(source.count(), 2);
}

/// Regression: a refetch while the cache was fresh used to merge the old keys into the new
/// set and reset the TTL, so a spray of unknown-kid tokens (one per refetch interval)
/// kept a key that had left the JWKS trusted forever.
#[test]
fn a_key_removed_from_the_jwks_is_refused_at_once_despite_a_kid_spray() {
    // The default verifier: verified-token cache on.
    removed_key_despite_a_kid_spray(None);
}

/// The same with the verified-token cache explicitly on (the refused token was a cache
/// entry, hit before the rotation) and off.
#[test]
fn a_key_removed_from_the_jwks_is_refused_at_once_cache_on_and_off() {
    removed_key_despite_a_kid_spray(Some(16));
    removed_key_despite_a_kid_spray(Some(0));
}

fn removed_key_despite_a_kid_spray(token_cache: Option<usize>) {
    let source = FakeSource::serving(&[key_a()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = match token_cache {
        None => verifier(source.clone(), clock.clone()),
        Some(size) => Verifier::builder()
            .jwks_source(source.clone())
            .clock(clock.clone())
            .token_cache_size(size)
            .build()
            .unwrap(),
    };
    v.verify(&long_lived_a()).unwrap();
    v.verify(&long_lived_a()).unwrap();
    if token_cache != Some(0) {
        assert_eq!(v.token_cache_stats().hits, 1, "the second was a cache hit");
    }

    // Clerk rotates: the JWKS now holds only key b.
    source.set(Ok(jwks_of(&[key_b()])));
    // An unknown kid once per refetch interval, across six TTLs (30 minutes).
    for i in 0..180 {
        clock.advance(Duration::from_secs(10));
        assert_eq!(
            reason_of(v.verify(&token_with_kid(json!(format!("junk_{i}"))))),
            Reason::JwkKidMismatch
        );
        // The first refetch already dropped key a.
        let refused = v.verify(&long_lived_a()).expect_err("key a left the JWKS");
        assert_eq!(refused.reason, Reason::JwkKidMismatch, "round {i}");
    }
    // The new key works; the spray was rate-limited (one fetch per interval at most).
    v.verify(&long_lived(key_b())).unwrap();
    assert!(source.count() <= 1 + 180, "fetches: {}", source.count());
}

#[test]
fn a_key_removed_from_the_jwks_is_refused_after_the_ttl_refresh() {
    let source = FakeSource::serving(&[key_a(), key_b()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = verifier(source.clone(), clock.clone());
    v.verify(&long_lived_a()).unwrap();
    source.set(Ok(jwks_of(&[key_b()])));
    // Within the TTL the cached set serves (that is what the TTL promises)...
    v.verify(&long_lived_a()).unwrap();
    // ...and the refresh at the TTL replaces it: key a is gone.
    clock.advance(Duration::from_secs(5 * 60));
    assert_eq!(reason_of(v.verify(&long_lived_a())), Reason::JwkKidMismatch);
    v.verify(&long_lived(key_b())).unwrap();
    assert_eq!(source.count(), 2);
}

/// The same against the emulator over HTTP: rotate its signing key, spray unknown kids
/// across several (short) TTLs, and a token signed with the old key is refused.
#[test]
fn emulator_rotation_with_a_kid_spray_refuses_the_old_key() {
    let emulator = clerk_emulator::Emulator::start().unwrap();
    let client = Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .build()
        .unwrap();
    let v = Verifier::builder()
        .client(client)
        .jwks_ttl(Duration::from_millis(300))
        .kid_refetch_interval(Duration::from_millis(20))
        .build()
        .unwrap();
    let old_kid = emulator.kid();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let session = || Value::Object(clerk_core::testing::default_claims(now()));
    let old_token = emulator.sign_claims(&session());
    v.verify(&old_token).unwrap();

    let new_kid = emulator.rotate_key();
    assert_ne!(new_kid, old_kid);
    let unknown = |i: usize| {
        mint_with_header_at(
            key_a(),
            &json!({"kid": format!("junk_{i}")}),
            &json!({}),
            now(),
        )
        .unwrap()
    };
    // About 1.5 s: five TTLs of 300 ms, an unknown kid every 30 ms (bounded loop).
    for i in 0..50 {
        std::thread::sleep(Duration::from_millis(30));
        let _ = v.verify(&unknown(i));
    }
    let refused = v
        .verify(&old_token)
        .expect_err("the rotated-out key is refused");
    assert_eq!(
        refused.reason,
        Reason::JwkKidMismatch,
        "{}",
        refused.message
    );
    v.verify(&emulator.sign_claims(&session())).unwrap();
}

#[test]
fn a_missing_or_non_string_kid_is_a_kid_mismatch() {
    let source = FakeSource::serving(&[key_a()]);
    let v = verifier(source, Arc::new(FixedClock::new(N * 1000)));
    assert_eq!(
        reason_of(v.verify(&token_with_kid(Value::Null))),
        Reason::JwkKidMismatch
    );
    assert_eq!(
        reason_of(v.verify(&token_with_kid(json!(5)))),
        Reason::JwkKidMismatch
    );
}

#[test]
fn the_refetch_interval_is_configurable() {
    let source = FakeSource::serving(&[key_a()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = Verifier::builder()
        .jwks_source(source.clone())
        .clock(clock.clone())
        .kid_refetch_interval(Duration::from_secs(1))
        .build()
        .unwrap();
    v.verify(&token_a()).unwrap();
    clock.advance(Duration::from_millis(999));
    let _ = v.verify(&token_with_kid(json!("nope")));
    assert_eq!(source.count(), 1);
    clock.advance(Duration::from_millis(1));
    let _ = v.verify(&token_with_kid(json!("nope")));
    assert_eq!(source.count(), 2);
}

#[test]
fn concurrent_misses_share_one_fetch() {
    let source = FakeSource::slow(&[key_a()], Duration::from_millis(200));
    let v = verifier(source.clone(), Arc::new(FixedClock::new(N * 1000)));
    let token = token_a();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| v.verify(&token).map(|c| c.sub)))
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap().unwrap(), "user_test");
        }
    });
    assert_eq!(
        source.count(),
        1,
        "single-flight: one fetch for eight concurrent misses"
    );
}

#[test]
fn stale_keys_keep_serving_while_refreshes_fail() {
    let source = FakeSource::serving(&[key_a()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = Verifier::builder()
        .jwks_source(source.clone())
        .clock(clock.clone())
        .max_stale(Duration::from_secs(600))
        .build()
        .unwrap();
    v.verify(&long_lived_a()).unwrap();
    source.set(Err(JwksFetchError::Failed("503 from upstream".into())));

    clock.advance(Duration::from_secs(301));
    v.verify(&long_lived_a())
        .expect("stale key served after a failed refresh");
    assert_eq!(source.count(), 2);
    // Within the refetch interval, no new attempt against the failing source.
    v.verify(&long_lived_a()).unwrap();
    assert_eq!(source.count(), 2);
    clock.advance(Duration::from_secs(10));
    v.verify(&long_lived_a()).unwrap();
    assert_eq!(source.count(), 3);

    // Beyond TTL + max stale, the failure surfaces.
    clock.set((N + 300 + 600) * 1000);
    assert_eq!(
        reason_of(v.verify(&long_lived_a())),
        Reason::JwkRemoteFailedToLoad
    );

    // Recovery.
    source.set(Ok(jwks_of(&[key_a()])));
    clock.advance(Duration::from_secs(10));
    v.verify(&long_lived_a()).unwrap();
}

#[test]
fn fetch_errors_map_to_reasons() {
    let clock = Arc::new(FixedClock::new(N * 1000));
    let cases = [
        (
            Err(JwksFetchError::SecretKeyInvalid("bad key".into())),
            Reason::SecretKeyInvalid,
        ),
        (
            Err(JwksFetchError::Failed("boom".into())),
            Reason::JwkRemoteFailedToLoad,
        ),
        (
            Ok(r#"{"keys": []}"#.to_owned()),
            Reason::JwkRemoteFailedToLoad,
        ),
        (Ok("not json".to_owned()), Reason::JwkRemoteFailedToLoad),
    ];
    for (answer, expected) in cases {
        let source = FakeSource::serving(&[]);
        source.set(answer);
        assert_eq!(
            reason_of(verifier(source, clock.clone()).verify(&token_a())),
            expected
        );
    }
}

#[test]
fn a_jwk_for_another_algorithm_cannot_be_used() {
    // The JWK says RS256; a token claiming RS384 must not verify with it.
    let source = FakeSource::serving(&[key_a()]);
    let v = verifier(source, Arc::new(FixedClock::new(N * 1000)));
    let rs384 = mint_with_header_at(key_a(), &json!({"alg": "RS384"}), &json!({}), N).unwrap();
    assert_eq!(reason_of(v.verify(&rs384)), Reason::TokenVerificationFailed);
}

#[test]
fn header_checks_come_after_key_selection_in_jwks_mode() {
    let source = FakeSource::serving(&[key_a()]);
    let v = verifier(source, Arc::new(FixedClock::new(N * 1000)));
    let none_unknown = mint_with_header_at(
        key_a(),
        &json!({"alg": "none", "kid": "zzz"}),
        &json!({}),
        N,
    )
    .unwrap();
    assert_eq!(reason_of(v.verify(&none_unknown)), Reason::JwkKidMismatch);
    let none_known = mint_with_header_at(key_a(), &json!({"alg": "none"}), &json!({}), N).unwrap();
    assert_eq!(
        reason_of(v.verify(&none_known)),
        Reason::TokenInvalidAlgorithm
    );
}

fn loopback_client(url: &str) -> Client {
    Client::builder()
        .secret_key("sk_test_loopback")
        .api_url(url)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[test]
fn a_real_client_fetches_v1_jwks_with_the_secret_key() {
    let server = LoopbackServer::start(200, &jwks_of(&[key_a()]));
    let v = Verifier::builder()
        .client(loopback_client(&server.url))
        .clock(Arc::new(FixedClock::new(N * 1000)))
        .build()
        .unwrap();
    v.verify(&token_a()).unwrap();
    v.verify(&token_a()).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].request_line(), "GET /v1/jwks HTTP/1.1");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk_test_loopback")
    );
}

#[test]
fn a_real_client_maps_clerk_key_invalid() {
    let body = r#"{"errors":[{"code":"clerk_key_invalid","message":"Secret key is invalid","long_message":"x"}]}"#;
    let server = LoopbackServer::start(401, body);
    let v = Verifier::builder()
        .client(loopback_client(&server.url))
        .clock(Arc::new(FixedClock::new(N * 1000)))
        .build()
        .unwrap();
    let error = v.verify(&token_a()).unwrap_err();
    assert_eq!(error.reason, Reason::SecretKeyInvalid);
    assert_eq!(error.message, "Secret key is invalid");

    let failing = LoopbackServer::start(500, r#"{"errors":[]}"#);
    let v = Verifier::builder()
        .client(loopback_client(&failing.url))
        .clock(Arc::new(FixedClock::new(N * 1000)))
        .build()
        .unwrap();
    assert_eq!(
        reason_of(v.verify(&token_a())),
        Reason::JwkRemoteFailedToLoad
    );
}

#[test]
fn a_client_without_secret_key_cannot_resolve_keys() {
    let client = Client::builder()
        .api_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let v = Verifier::from_client(client);
    assert_eq!(reason_of(v.verify(&token_a())), Reason::JwkFailedToResolve);
}
