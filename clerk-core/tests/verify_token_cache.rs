//! The verified-token cache: hits skip the signature but re-check the key and the dates;
//! decisions and messages are the same with the cache on and off; bounds hold under
//! floods of distinct valid and of invalid tokens.
mod verify_common;

use std::sync::Arc;
use std::time::Duration;

use clerk_core::testing::{TestKey, mint_with_header_at};
use clerk_core::verify::{
    FixedClock, MAX_TOKEN_CACHE_SIZE, Reason, SessionClaims, Verifier, VerifyError,
};
use serde_json::{Value, json};
use verify_common::{FakeSource, N, jwks_of, key_a, key_b};

fn token(key: &TestKey, claims: Value) -> String {
    mint_with_header_at(key, &Value::Null, &claims, N).unwrap()
}

fn jwks_verifier(source: Arc<FakeSource>, clock: Arc<FixedClock>, cache: usize) -> Verifier {
    Verifier::builder()
        .jwks_source(source)
        .clock(clock)
        .token_cache_size(cache)
        .build()
        .unwrap()
}

fn pem_verifier(clock: Arc<FixedClock>, cache: usize) -> Verifier {
    Verifier::builder()
        .pem_key(key_a().public_key_pem())
        .authorized_parties(["http://localhost:3000"])
        .clock(clock)
        .token_cache_size(cache)
        .build()
        .unwrap()
}

/// Compares two results fully: the claims (payload and exp) or the reason and message.
fn same(a: &Result<SessionClaims, VerifyError>, b: &Result<SessionClaims, VerifyError>) {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b);
            assert_eq!(a.sub, b.sub);
            assert_eq!(a.organization(), b.organization());
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("decisions differ: {a:?} vs {b:?}"),
    }
}

#[test]
fn a_repeat_is_a_hit_with_the_same_claims() {
    let clock = Arc::new(FixedClock::new(N * 1000));
    let cached = pem_verifier(clock.clone(), 64);
    let uncached = pem_verifier(clock, 0);
    let t = token(
        key_a(),
        json!({"o": {"id": "org_1", "rol": "admin", "per": "read", "fpm": "1"}, "fea": "o:x"}),
    );
    let first = cached.verify(&t);
    let second = cached.verify(&t);
    let third = cached.verify(&t);
    same(&first, &uncached.verify(&t));
    same(&first, &second);
    same(&first, &third);
    let stats = cached.token_cache_stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (2, 1, 1));
    assert_eq!(stats.capacity, 64);
    assert_eq!(uncached.token_cache_stats().capacity, 0);
    assert_eq!(uncached.token_cache_stats().hits, 0);
}

#[test]
fn hits_check_the_dates_again_with_the_same_messages() {
    let clock = Arc::new(FixedClock::new(N * 1000));
    let cached = pem_verifier(clock.clone(), 64);
    let uncached = pem_verifier(clock.clone(), 0);
    // exp N+60, nbf/iat N-10 by default; an iat-only token too.
    let t = token(key_a(), json!({}));
    let iat_only = token(key_a(), json!({"nbf": null, "iat": N + 3}));
    cached.verify(&t).unwrap();
    cached.verify(&iat_only).unwrap();
    // Expired (beyond the 5 s skew), not yet active (clock set back), in the future.
    for (at_ms, reason) in [
        ((N + 65) * 1000, Some(Reason::TokenExpired)),
        ((N + 64) * 1000 + 999, None),
        ((N - 16) * 1000, Some(Reason::TokenNotActiveYet)),
        ((N - 15) * 1000, None),
        (N * 1000, None),
    ] {
        clock.set(at_ms);
        let hit = cached.verify(&t);
        same(&hit, &uncached.verify(&t));
        assert_eq!(hit.err().map(|e| e.reason), reason, "at {at_ms}");
        // Re-verified in full after a refusal (a refusal drops the entry), then cached.
        cached.verify(&t).ok();
    }
    clock.set((N - 3) * 1000);
    let hit = cached.verify(&iat_only);
    same(&hit, &uncached.verify(&iat_only));
    assert_eq!(hit.unwrap_err().reason, Reason::TokenIatInTheFuture);
    assert!(cached.token_cache_stats().hits >= 5);
}

#[test]
fn only_successes_are_cached_and_altered_tokens_never_hit() {
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = pem_verifier(clock, 64);
    let good = token(key_a(), json!({}));
    v.verify(&good).unwrap();
    // A flood of refused tokens: wrong key, wrong azp, expired, altered signature.
    let wrong_key = token(key_b(), json!({}));
    let wrong_azp = token(key_a(), json!({"azp": "https://evil.example.test"}));
    let expired = token(key_a(), json!({"exp": N - 100}));
    let mut altered = good.clone().into_bytes();
    let last = altered.len() - 3;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for _ in 0..20 {
        for bad in [&wrong_key, &wrong_azp, &expired, &altered] {
            v.verify(bad).unwrap_err();
        }
    }
    assert_eq!(
        v.verify(&altered).unwrap_err().reason,
        Reason::TokenInvalidSignature
    );
    // The payload of a good token with another token's signature: refused.
    let (good_input, _) = good.rsplit_once('.').unwrap();
    let (_, other_sig) = wrong_azp.rsplit_once('.').unwrap();
    let spliced = format!("{good_input}.{other_sig}");
    assert_eq!(
        v.verify(&spliced).unwrap_err().reason,
        Reason::TokenInvalidSignature
    );
    let stats = v.token_cache_stats();
    assert_eq!(stats.entries, 1, "only the good token is cached");
    assert_eq!(stats.hits, 0);
    // Padded variants verify (the reference allows padding) but are not cached.
    let padded = format!("{good}=");
    v.verify(&padded).unwrap();
    v.verify(&padded).unwrap();
    assert_eq!(v.token_cache_stats().entries, 1);
    assert_eq!(v.token_cache_stats().hits, 0);
}

#[test]
fn a_flood_of_distinct_valid_tokens_stays_within_the_bound() {
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = pem_verifier(clock, 8);
    let hot = token(key_a(), json!({"sub": "user_hot"}));
    v.verify(&hot).unwrap();
    for i in 0..60 {
        v.verify(&token(key_a(), json!({"sub": format!("user_{i}")})))
            .unwrap();
        // The hot token is used all along: CLOCK keeps it.
        v.verify(&hot).unwrap();
        let stats = v.token_cache_stats();
        assert!(stats.entries <= stats.capacity, "{stats:?}");
        assert!(stats.capacity <= 8, "{stats:?}");
    }
    let stats = v.token_cache_stats();
    assert_eq!(stats.entries, stats.capacity);
    assert!(stats.hits >= 55, "the hot token stayed cached: {stats:?}");
}

#[test]
fn tokens_longer_than_the_bound_are_verified_but_not_cached() {
    let v = pem_verifier(Arc::new(FixedClock::new(N * 1000)), 8);
    let big = token(key_a(), json!({"filler": "x".repeat(4000)}));
    assert!(big.len() > clerk_core::verify::MAX_CACHED_TOKEN_BYTES);
    v.verify(&big).unwrap();
    v.verify(&big).unwrap();
    assert_eq!(v.token_cache_stats().entries, 0);
}

#[test]
fn a_key_removed_from_the_jwks_refuses_its_cached_tokens_at_once() {
    let source = FakeSource::serving(&[key_a(), key_b()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = jwks_verifier(source.clone(), clock.clone(), 64);
    let long_lived_a = token(key_a(), json!({"exp": N + 86_400}));
    v.verify(&long_lived_a).unwrap();
    v.verify(&long_lived_a).unwrap();
    assert_eq!(v.token_cache_stats().hits, 1);
    source.set(Ok(jwks_of(&[key_b()])));
    // Within the TTL the cached key set serves, as without the cache.
    v.verify(&long_lived_a).unwrap();
    // The refresh at the TTL drops key a: the cached token goes with it.
    clock.advance(Duration::from_secs(5 * 60));
    let refused = v.verify(&long_lived_a).unwrap_err();
    assert_eq!(refused.reason, Reason::JwkKidMismatch);
    assert_eq!(source.count(), 2);
    // And stays refused (the entry was dropped, the full path refuses too).
    assert_eq!(
        v.verify(&long_lived_a).unwrap_err().reason,
        Reason::JwkKidMismatch
    );
}

#[test]
fn a_kid_that_now_names_another_key_is_verified_again() {
    // Key b's material served under key a's kid: the cached token (signed by a) must
    // be checked against the new key, and fail its signature.
    let source = FakeSource::serving(&[key_a()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = jwks_verifier(source.clone(), clock.clone(), 64);
    let t = token(key_a(), json!({"exp": N + 86_400}));
    v.verify(&t).unwrap();
    let mut jwk = key_b().public_jwk();
    jwk["kid"] = json!(key_a().kid());
    source.set(Ok(json!({ "keys": [jwk] }).to_string()));
    clock.advance(Duration::from_secs(5 * 60));
    assert_eq!(
        v.verify(&t).unwrap_err().reason,
        Reason::TokenInvalidSignature
    );
}

#[test]
fn cache_on_and_off_agree_across_clock_moves_and_rotation() {
    let source_on = FakeSource::serving(&[key_a(), key_b()]);
    let source_off = FakeSource::serving(&[key_a(), key_b()]);
    let clock = Arc::new(FixedClock::new(N * 1000));
    let on = jwks_verifier(source_on.clone(), clock.clone(), 16);
    let off = jwks_verifier(source_off.clone(), clock.clone(), 0);
    let tokens: Vec<String> = vec![
        token(key_a(), json!({})),
        token(key_b(), json!({"exp": N + 600})),
        token(key_a(), json!({"nbf": N + 30})),
        token(key_a(), json!({"iat": N + 20, "nbf": null})),
        token(
            key_b(),
            json!({"exp": N + 3, "fea": "o:a", "o": {"id": "org_1"}}),
        ),
        mint_with_header_at(key_a(), &json!({"kid": "kid_unknown"}), &json!({}), N).unwrap(),
    ];
    // Bounded walk of the clock, back and forth, with a rotation in the middle.
    let steps: [i64; 12] = [0, 2, 9, 30, -20, 40, 301, 301, 5, -40, 700, 0];
    for (i, step) in steps.iter().enumerate() {
        clock.set(clock_now(&clock) + step * 1000);
        if i == 6 {
            source_on.set(Ok(jwks_of(&[key_b()])));
            source_off.set(Ok(jwks_of(&[key_b()])));
        }
        for t in &tokens {
            for _ in 0..2 {
                same(&on.verify(t), &off.verify(t));
            }
        }
    }
    assert!(
        on.token_cache_stats().hits > 10,
        "{:?}",
        on.token_cache_stats()
    );
    assert_eq!(source_on.count(), source_off.count());
}

fn clock_now(clock: &FixedClock) -> i64 {
    use clerk_core::verify::Clock;
    clock.now_ms()
}

#[test]
fn two_threads_share_the_cache() {
    let clock = Arc::new(FixedClock::new(N * 1000));
    let v = pem_verifier(clock, 64);
    let tokens: Vec<String> = (0..4)
        .map(|i| token(key_a(), json!({"sub": format!("user_{i}")})))
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for round in 0..50 {
                    let t = &tokens[round % tokens.len()];
                    let claims = v.verify(t).unwrap();
                    assert_eq!(claims.sub, format!("user_{}", round % tokens.len()));
                }
            });
        }
    });
    let stats = v.token_cache_stats();
    assert_eq!(stats.entries, 4);
    assert!(stats.hits >= 92, "{stats:?}");
}

#[test]
fn the_size_is_bounded_and_zero_turns_the_cache_off() {
    assert!(
        Verifier::builder()
            .pem_key(key_a().public_key_pem())
            .token_cache_size(MAX_TOKEN_CACHE_SIZE + 1)
            .build()
            .unwrap_err()
            .to_string()
            .contains("token_cache_size")
    );
    let v = pem_verifier(Arc::new(FixedClock::new(N * 1000)), 0);
    let t = token(key_a(), json!({}));
    v.verify(&t).unwrap();
    v.verify(&t).unwrap();
    assert_eq!(v.token_cache_stats(), Default::default());
    // On by default.
    let default = Verifier::from_pem(&key_a().public_key_pem()).unwrap();
    assert_eq!(
        default.token_cache_stats().capacity,
        clerk_core::verify::DEFAULT_TOKEN_CACHE_SIZE
    );
}
