//! A fixed number of verifications for instruction counting (no timing).
//!
//! ```text
//! cargo build --release -p clerk-core --example verify_profile --features testing
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/examples/verify_profile MODE [COUNT]
//! ```
//!
//! `MODE` is `raw` (aws-lc-rs on a pre-parsed key), `verify` (the verifier, token cache
//! off), `cached` (the verifier, the same token again: cache hits) or `decode` (the
//! verifier on a token whose signature fails: decode and header work only, no claims).
//! Only `measured` is collected, so key generation and minting do not count: divide the
//! instruction total by `COUNT` (default 1000) for a per-verification figure.
use std::hint::black_box;
use std::sync::Arc;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_core::testing::{TestKey, mint_with_header_at};
use clerk_core::verify::{FixedClock, JwksFetchError, JwksSource, Verifier};
use serde_json::json;

const NOW: i64 = 1_700_000_000;

struct StaticJwks(String);

impl JwksSource for StaticJwks {
    fn fetch_jwks(&self) -> Result<String, JwksFetchError> {
        Ok(self.0.clone())
    }
}

/// The only collected function: `count` calls of `work`.
#[inline(never)]
fn measured(count: usize, mut work: impl FnMut()) {
    for _ in 0..count {
        work();
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "verify".to_owned());
    let count: usize = args.next().and_then(|c| c.parse().ok()).unwrap_or(1000);
    let key = TestKey::generate("ins_bench").expect("key");
    // The same typical v2 session token as examples/verify_bench.rs.
    let token = mint_with_header_at(
        &key,
        &serde_json::Value::Null,
        &json!({
            "sub": "user_2abcdefghijklmnopqrstuvwx",
            "sid": "sess_2abcdefghijklmnopqrstuvwx",
            "iss": "https://clerk.example.test",
            "azp": "https://app.example.test",
            "fea": "o:dashboard,o:billing,u:export",
            "pla": "u:free_user,o:pro",
            "o": {"id": "org_2abcdefghijklmnopqrstuvwx", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3,2"},
        }),
        NOW,
    )
    .expect("mint");
    let clock = Arc::new(FixedClock::new(NOW * 1000));
    let build = |cache: usize| {
        Verifier::builder()
            .jwks_source(Arc::new(StaticJwks(key.jwks().to_string())))
            .authorized_parties(["https://app.example.test"])
            .clock(clock.clone())
            .token_cache_size(cache)
            .build()
            .unwrap()
    };
    match mode.as_str() {
        "raw" => {
            let (signing_input, signature) = token.rsplit_once('.').unwrap();
            let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
            let parsed =
                ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_spki_der()).unwrap();
            measured(count, || {
                black_box(
                    parsed.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature)),
                )
                .unwrap();
            });
        }
        "verify" | "cached" => {
            let verifier = build(if mode == "cached" { 64 } else { 0 });
            verifier.verify(&token).expect("verifies");
            measured(count, || {
                black_box(verifier.verify(black_box(&token))).unwrap();
            });
        }
        "decode" => {
            let verifier = build(0);
            verifier.verify(&token).expect("verifies");
            // Same length, one signature character changed: everything but the claims.
            let mut bad = token.clone().into_bytes();
            let last = bad.len() - 2;
            bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
            let bad = String::from_utf8(bad).unwrap();
            measured(count, || {
                black_box(verifier.verify(black_box(&bad))).unwrap_err();
            });
        }
        other => {
            eprintln!("unknown mode {other:?}: raw, verify, cached or decode");
            std::process::exit(2);
        }
    }
}
