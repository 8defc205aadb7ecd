//! Session token verification: every rule, order and boundary of the reference, with a
//! PEM key and a fixed clock.
mod verify_common;

use std::sync::Arc;
use std::time::Duration;

use clerk_core::testing::{TestKey, mint_with_header_at};
use clerk_core::verify::{
    FixedClock, Reason, SessionClaims, Verifier, VerifierBuilder, VerifyError,
};
use serde_json::{Value, json};
use verify_common::{N, key_a, key_b};

fn builder() -> VerifierBuilder {
    Verifier::builder()
        .pem_key(key_a().public_key_pem())
        .clock(Arc::new(FixedClock::new(N * 1000)))
}

fn verifier() -> Verifier {
    builder().build().expect("PEM key parses")
}

/// A token from key A with header/claim overlays (`null` removes a default).
fn token(header: Value, claims: Value) -> String {
    mint_with_header_at(key_a(), &header, &claims, N).expect("mint")
}

fn claims(extra: Value) -> String {
    token(Value::Null, extra)
}

fn reason(result: Result<SessionClaims, VerifyError>) -> Reason {
    match result {
        Ok(claims) => panic!("expected a rejection, got claims for {}", claims.sub),
        Err(error) => {
            assert!(!error.message.is_empty(), "errors carry a message");
            error.reason
        }
    }
}

fn with_signature_of(token: &str, other: &str) -> String {
    let (head, _) = token.rsplit_once('.').unwrap();
    let (_, signature) = other.rsplit_once('.').unwrap();
    format!("{head}.{signature}")
}

#[test]
fn verifier_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Verifier>();
}

#[test]
fn a_valid_token_yields_typed_claims() {
    let claims = verifier()
        .verify(&claims(
            json!({"sub": "user_9", "act": {"sub": "user_admin"}}),
        ))
        .unwrap();
    assert_eq!(claims.sub, "user_9");
    assert_eq!(claims.sid.as_deref(), Some("sess_test"));
    assert_eq!(claims.exp, N + 60);
    assert_eq!(claims.version, Some(2));
    assert_eq!(claims.act(), Some(&json!({"sub": "user_admin"})));
    assert_eq!(claims.raw_claims()["sub"], "user_9");
}

#[test]
fn decode_failures_are_token_invalid() {
    let v = verifier();
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "!!.e30.",
        "e30.e30.***",
        "bm90IGpzb24.e30.",
        "MQ.e30.",
        "e30.W10.",
    ] {
        assert_eq!(reason(v.verify(bad)), Reason::TokenInvalid, "{bad:?}");
    }
}

#[test]
fn padding_is_tolerated() {
    let t = claims(json!({}));
    let (head, signature) = t.rsplit_once('.').unwrap();
    assert!(verifier().verify(&format!("{head}.{signature}==")).is_ok());
}

#[test]
fn machine_category_is_refused_other_categories_pass() {
    let v = verifier();
    assert_eq!(
        reason(v.verify(&token(json!({"cat": "cl_B7d4PD333AAA"}), Value::Null))),
        Reason::TokenInvalid
    );
    // The category is checked before the algorithm.
    assert_eq!(
        reason(v.verify(&token(
            json!({"cat": "cl_B7d4PD333AAA", "alg": "none"}),
            Value::Null
        ))),
        Reason::TokenInvalid
    );
    assert!(
        v.verify(&token(json!({"cat": "cl_other"}), Value::Null))
            .is_ok()
    );
    assert!(v.verify(&token(json!({"cat": null}), Value::Null)).is_ok());
}

#[test]
fn typ_absent_or_exactly_jwt() {
    let v = verifier();
    assert!(v.verify(&token(json!({"typ": null}), Value::Null)).is_ok());
    for typ in [json!("jwt"), json!("at+jwt"), json!(5)] {
        assert_eq!(
            reason(v.verify(&token(json!({ "typ": typ }), Value::Null))),
            Reason::TokenInvalid
        );
    }
}

#[test]
fn only_rsa_pkcs1_algorithms() {
    let v = verifier();
    for alg in ["none", "HS256", "PS256", "ES256", "rs256"] {
        assert_eq!(
            reason(v.verify(&token(json!({ "alg": alg }), Value::Null))),
            Reason::TokenInvalidAlgorithm,
            "{alg}"
        );
    }
    // Deviation: RS384 and RS512 work with a PEM key.
    assert!(
        v.verify(&token(json!({"alg": "RS384"}), Value::Null))
            .is_ok()
    );
    assert!(
        v.verify(&token(json!({"alg": "RS512"}), Value::Null))
            .is_ok()
    );
}

#[test]
fn signature_is_checked_before_claims() {
    let v = verifier();
    let expired = claims(json!({"exp": N - 100}));
    let other = mint_with_header_at(key_b(), &Value::Null, &json!({"exp": N - 100}), N).unwrap();
    assert_eq!(reason(v.verify(&other)), Reason::TokenInvalidSignature);
    assert_eq!(
        reason(v.verify(&with_signature_of(&expired, &claims(json!({}))))),
        Reason::TokenInvalidSignature
    );
    let (head, _) = expired.rsplit_once('.').unwrap();
    assert_eq!(
        reason(v.verify(&format!("{head}."))),
        Reason::TokenInvalidSignature
    );
}

#[test]
fn sub_must_be_a_string() {
    let v = verifier();
    for sub in [Value::Null, json!(5), json!(["a"])] {
        let t = if sub.is_null() {
            claims(json!({"sub": null}))
        } else {
            claims(json!({ "sub": sub }))
        };
        assert_eq!(reason(v.verify(&t)), Reason::TokenVerificationFailed);
    }
    assert!(v.verify(&claims(json!({"sub": ""}))).is_ok());
}

#[test]
fn audience_rules() {
    let v = builder().audience(["api"]).build().unwrap();
    assert!(v.verify(&claims(json!({"aud": "api"}))).is_ok());
    assert!(v.verify(&claims(json!({"aud": ["web", "api"]}))).is_ok());
    assert!(
        v.verify(&claims(json!({"aud": ""}))).is_ok(),
        "an empty aud is not checked"
    );
    assert!(v.verify(&claims(json!({"aud": []}))).is_ok());
    assert!(v.verify(&claims(json!({}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"aud": "web"})))),
        Reason::TokenVerificationFailed
    );
    assert_eq!(
        reason(v.verify(&claims(json!({"aud": ["web"]})))),
        Reason::TokenVerificationFailed
    );
    // Deviation: a wrongly typed aud is refused.
    assert_eq!(
        reason(v.verify(&claims(json!({"aud": 5})))),
        Reason::TokenVerificationFailed
    );
    // Without an audience option, aud is ignored.
    assert!(verifier().verify(&claims(json!({"aud": "web"}))).is_ok());
}

#[test]
fn authorized_parties_match_exactly() {
    let v = builder()
        .authorized_parties(["https://app.example.test"])
        .build()
        .unwrap();
    assert!(
        v.verify(&claims(json!({"azp": "https://app.example.test"})))
            .is_ok()
    );
    for azp in [
        json!("https://app.example.test/"),
        json!("https://evil.test"),
        json!(""),
        json!(5),
    ] {
        assert_eq!(
            reason(v.verify(&claims(json!({ "azp": azp })))),
            Reason::TokenInvalidAuthorizedParties
        );
    }
    assert_eq!(
        reason(v.verify(&claims(json!({"azp": null})))),
        Reason::TokenInvalidAuthorizedParties
    );
    // azp is checked before exp.
    assert_eq!(
        reason(v.verify(&claims(json!({"azp": "x", "exp": N - 100})))),
        Reason::TokenInvalidAuthorizedParties
    );
}

#[test]
fn issuer_rules() {
    let v = builder()
        .issuer(["https://clerk.example.test"])
        .build()
        .unwrap();
    assert!(v.verify(&claims(json!({}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"iss": "https://other"})))),
        Reason::TokenInvalidIssuer
    );
    assert_eq!(
        reason(v.verify(&claims(json!({"iss": null})))),
        Reason::TokenInvalidIssuer
    );
    assert_eq!(
        reason(v.verify(&claims(json!({"iss": 5})))),
        Reason::TokenInvalidIssuer
    );
}

#[test]
fn expiry_boundaries_with_default_skew() {
    let v = verifier();
    assert!(v.verify(&claims(json!({"exp": N - 4}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"exp": N - 5})))),
        Reason::TokenExpired
    );
    // Fractional exp counts in whole seconds (truncated).
    assert!(v.verify(&claims(json!({"exp": (N as f64) - 3.1}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"exp": (N as f64) - 4.5})))),
        Reason::TokenExpired
    );
}

/// Regression: `clock_skew(u64::MAX ms)` used to build, after which a token with `exp=1`
/// verified. Every duration setting is bounded; out of range is a configuration error
/// naming the setting.
#[test]
fn out_of_range_settings_are_refused_at_build() {
    let huge = Duration::from_millis(u64::MAX);
    let cases: [(clerk_core::verify::VerifierBuilder, &str); 7] = [
        (builder().clock_skew(huge), "clock_skew"),
        (
            builder().clock_skew(Duration::from_millis(300_001)),
            "clock_skew",
        ),
        (builder().jwks_ttl(Duration::ZERO), "jwks_ttl"),
        (builder().jwks_ttl(Duration::from_millis(99)), "jwks_ttl"),
        (builder().jwks_ttl(huge), "jwks_ttl"),
        (builder().kid_refetch_interval(huge), "kid_refetch_interval"),
        (builder().max_stale(huge), "max_stale"),
    ];
    for (candidate, setting) in cases {
        match candidate.build() {
            Err(clerk_core::Error::Config { message }) => {
                assert!(message.contains(setting), "{message}");
                assert!(message.contains("must be within"), "{message}");
            }
            other => panic!("{setting}: expected a configuration error, got {other:?}"),
        }
    }
    // The lenient build (the CLI's batch mode) refuses them too.
    assert!(builder().clock_skew(huge).build_lenient().is_err());
    // The bounds themselves are accepted, and the largest skew is honoured, no more.
    let v = builder()
        .clock_skew(clerk_core::verify::MAX_CLOCK_SKEW)
        .jwks_ttl(Duration::from_millis(100))
        .build()
        .unwrap();
    assert!(v.verify(&claims(json!({"exp": N - 299}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"exp": N - 300})))),
        Reason::TokenExpired
    );
    assert_eq!(
        reason(v.verify(&claims(json!({"exp": 1})))),
        Reason::TokenExpired
    );
}

#[test]
fn expiry_boundaries_with_zero_skew() {
    let v = builder().clock_skew(Duration::ZERO).build().unwrap();
    assert_eq!(
        reason(v.verify(&claims(json!({"exp": N})))),
        Reason::TokenExpired
    );
    assert!(v.verify(&claims(json!({"exp": N + 1}))).is_ok());
    assert!(v.verify(&claims(json!({"nbf": N}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"nbf": N + 1})))),
        Reason::TokenNotActiveYet
    );
}

#[test]
fn not_before_and_issued_at_boundaries() {
    let v = verifier();
    assert!(v.verify(&claims(json!({"nbf": N + 5}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"nbf": N + 6})))),
        Reason::TokenNotActiveYet
    );
    assert!(v.verify(&claims(json!({"iat": N + 5}))).is_ok());
    assert_eq!(
        reason(v.verify(&claims(json!({"iat": N + 6})))),
        Reason::TokenIatInTheFuture
    );
    assert!(
        v.verify(&claims(json!({"nbf": null, "iat": null}))).is_ok(),
        "absent nbf/iat pass"
    );
    // Order: exp, then nbf, then iat.
    assert_eq!(
        reason(v.verify(&claims(json!({"exp": N - 100, "nbf": N + 100})))),
        Reason::TokenExpired
    );
    assert_eq!(
        reason(v.verify(&claims(json!({"nbf": N + 100, "iat": N + 100})))),
        Reason::TokenNotActiveYet
    );
}

#[test]
fn wrong_date_types_and_out_of_range_dates() {
    let v = verifier();
    for bad in [
        json!({"exp": null}),
        json!({"exp": "1"}),
        json!({"nbf": "x"}),
        json!({"iat": [1]}),
    ] {
        assert_eq!(
            reason(v.verify(&claims(bad.clone()))),
            Reason::TokenVerificationFailed,
            "{bad}"
        );
    }
    // A JSON null nbf is present-but-wrong (as in JavaScript), unlike an absent one.
    let raw_null_nbf = {
        let header = json!({"alg": "RS256", "typ": "JWT"});
        key_a()
            .sign_raw(&header, &json!({"sub": "u", "exp": N + 60, "nbf": null}))
            .unwrap()
    };
    assert_eq!(
        reason(v.verify(&raw_null_nbf)),
        Reason::TokenVerificationFailed
    );
    // Deviation: beyond year 9999 is refused instead of never expiring.
    assert_eq!(
        reason(v.verify(&claims(json!({"exp": 1e13})))),
        Reason::TokenVerificationFailed
    );
    assert_eq!(
        reason(v.verify(&claims(json!({"nbf": 253_402_300_800_i64})))),
        Reason::TokenVerificationFailed
    );
    assert!(
        v.verify(&claims(json!({"exp": 253_402_300_799_i64})))
            .is_ok()
    );
}

#[test]
fn status_sid_and_version_are_not_checked() {
    let v = verifier();
    let pending = v.verify(&claims(json!({"sts": "pending"}))).unwrap();
    assert!(pending.is_pending());
    assert!(v.verify(&claims(json!({"sid": 5, "v": "x"}))).is_ok());
}

#[test]
fn no_key_configured() {
    let v = Verifier::builder().build().unwrap();
    assert_eq!(
        reason(v.verify(&claims(json!({})))),
        Reason::JwkFailedToResolve
    );
    // Decoding still comes first.
    assert_eq!(reason(v.verify("a.b")), Reason::TokenInvalid);
}

#[test]
fn pem_formats_and_sizes() {
    let t = claims(json!({}));
    // PKCS#1 public key PEM and literal "\n" (as env files hold) are accepted.
    let pem = key_a().public_key_pem().replace('\n', "\\n");
    assert!(
        Verifier::builder()
            .pem_key(pem)
            .clock(Arc::new(FixedClock::new(N * 1000)))
            .build()
            .unwrap()
            .verify(&t)
            .is_ok()
    );
    let big = TestKey::generate_bits("big", 3072).unwrap();
    let v = Verifier::builder()
        .pem_key(big.public_key_pem())
        .clock(Arc::new(FixedClock::new(N * 1000)))
        .build()
        .unwrap();
    assert!(
        v.verify(&mint_with_header_at(&big, &Value::Null, &json!({}), N).unwrap())
            .is_ok()
    );
    assert!(
        Verifier::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err()
    );
    // A lenient build reports the unusable key at the signature step.
    let lenient = Verifier::builder()
        .pem_key("garbage")
        .build_lenient()
        .unwrap();
    assert_eq!(reason(lenient.verify(&t)), Reason::TokenVerificationFailed);
    assert_eq!(
        reason(lenient.verify(&token(json!({"alg": "HS256"}), Value::Null))),
        Reason::TokenInvalidAlgorithm
    );
}

#[test]
fn private_key_formats_mint_the_same_verifiable_tokens() {
    let pkcs8 = key_a().private_key_pem();
    let reloaded = TestKey::from_pem("kid_a", &pkcs8).unwrap();
    assert!(
        verifier()
            .verify(&mint_with_header_at(&reloaded, &Value::Null, &json!({}), N).unwrap())
            .is_ok()
    );
}

#[test]
fn claims_serialize_to_json_with_v2_organization() {
    let c = verifier()
        .verify(&claims(json!({
            "fea": "o:dash,o:billing,u:export",
            "pla": "u:free",
            "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3,2"}
        })))
        .unwrap();
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["organization"]["role"], "org:admin");
    assert_eq!(
        json["organization"]["permissions"],
        json!(["org:dash:read", "org:dash:manage", "org:billing:manage"])
    );
    assert_eq!(json["features"]["user"], json!(["export"]));
    assert_eq!(json["plans"]["user"], json!(["free"]));
    assert_eq!(json["raw"]["o"]["slg"], "acme");
    assert_eq!(json["fva"], json!([0, -1]));
}

#[test]
fn v1_organization_claims() {
    let c = verifier()
        .verify(&claims(json!({"v": null, "org_id": "org_1", "org_role": "org:admin", "org_slug": "acme", "org_permissions": ["org:a:read"]})))
        .unwrap();
    let org = c.organization().unwrap();
    assert_eq!(
        (org.id.as_str(), org.role.as_deref()),
        ("org_1", Some("org:admin"))
    );
    assert_eq!(org.permissions, vec!["org:a:read".to_owned()]);
}

#[test]
fn concurrent_verification_on_one_verifier() {
    let v = verifier();
    let t = claims(json!({}));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..50 {
                    assert!(v.verify(&t).is_ok());
                }
            });
        }
    });
}
