//! The emulator's RSA signing keys: committed test keys, so tokens are reproducible.
//! Parsing, the public PEM and JWK, and RS256 signing are clerk-core's `TestKey`.

use std::sync::{Arc, OnceLock};

use clerk_core::testing::TestKey;
use serde_json::{Value, json};

/// The committed RSA-2048 test keys (PKCS#8 PEM); rotation cycles through them.
const KEY_PEMS: [&str; 2] = [
    include_str!("../fixtures/signing_key_1.pem"),
    include_str!("../fixtures/signing_key_2.pem"),
];

/// One signing key with its kid and public PEM.
pub struct SigningKey {
    key: TestKey,
    /// The key id, derived from the public key so it is stable across runs.
    pub kid: String,
    /// The public key as PEM (SubjectPublicKeyInfo), for networkless verification.
    pub public_pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Clerk's kids look like `ins_<27 base62 chars>`; ours are the SHA-256 of the key's
/// PKCS#1 `RSAPublicKey` DER, in base62.
fn derived_kid(key: &TestKey) -> String {
    let public = aws_lc_rs::rsa::PublicKey::from_der(&key.public_spki_der())
        .expect("a TestKey's public key is valid SPKI DER");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, public.as_ref());
    format!("ins_{}", crate::ids::base62_from_bytes(digest.as_ref(), 27))
}

impl SigningKey {
    /// Committed key number `index` (modulo the number of keys), loaded once per process.
    pub fn committed(index: usize) -> Arc<SigningKey> {
        static KEYS: OnceLock<Vec<Arc<SigningKey>>> = OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            KEY_PEMS
                .iter()
                .map(|pem| Arc::new(SigningKey::load(pem)))
                .collect()
        });
        Arc::clone(&keys[index % keys.len()])
    }

    fn load(pem: &str) -> SigningKey {
        let load = |kid: &str| {
            TestKey::from_pem(kid, pem).expect("committed key fixture is a valid RSA PKCS#8 key")
        };
        // A TestKey takes its kid when made, and ours comes from the key: load it twice.
        let kid = derived_kid(&load(""));
        let key = load(&kid);
        SigningKey {
            public_pem: key.public_key_pem(),
            kid,
            key,
        }
    }

    /// The public JWK, as `GET /jwks` serves it.
    pub fn jwk(&self) -> Value {
        self.key.public_jwk()
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub fn sign_jwt(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        self.key
            .sign_raw(&header, claims)
            .expect("RSA signing with a valid key does not fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the committed keys produced before the emulator signed with clerk-core's
    /// `TestKey`: kids users may have pinned, and tokens byte for byte (RS256 with
    /// PKCS#1 v1.5 padding is deterministic).
    const KID_0: &str = "ins_K9HAwJEPSQZyXOt1ydo5kKT1Udf";
    const KID_1: &str = "ins_6SbpVXoVsJezlFSjE339bMtgyjA";
    const N_0: &str = "uuXkDOfN-LowMGumdkXSKJD50okSFopxoiblNGW5kkj3Rmx8WI8sEkr5u9TnTJvxXOKDc_DEWWM1e_ALaQceVjvATUSN8dZ7i_jqnsju1iugy7STfj2F1TyAIbuFRXMZNoJBMDsJz2-pSOAVeZY3PbEe9nvbQsGHhkggY-QOzTQqe9H_wSJwyF08aP-h3NZ6YGbV_C6pvTboAFDmzTAfnjg_lVluc5yb8MLQte9npXYqCOP1f0FsEslA16upLX-7GxflzToC0fh4ZHe4ICo4-QoRw7YMdcwNCBvtgEmSN1GfVT4Nzn_5b4tUZzBcq2vEu-0_yYJSADFOFb00NI9AxQ";
    const PEM_0: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuuXkDOfN+LowMGumdkXS
KJD50okSFopxoiblNGW5kkj3Rmx8WI8sEkr5u9TnTJvxXOKDc/DEWWM1e/ALaQce
VjvATUSN8dZ7i/jqnsju1iugy7STfj2F1TyAIbuFRXMZNoJBMDsJz2+pSOAVeZY3
PbEe9nvbQsGHhkggY+QOzTQqe9H/wSJwyF08aP+h3NZ6YGbV/C6pvTboAFDmzTAf
njg/lVluc5yb8MLQte9npXYqCOP1f0FsEslA16upLX+7GxflzToC0fh4ZHe4ICo4
+QoRw7YMdcwNCBvtgEmSN1GfVT4Nzn/5b4tUZzBcq2vEu+0/yYJSADFOFb00NI9A
xQIDAQAB
-----END PUBLIC KEY-----
";
    const TOKEN_0: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc19LOUhBd0pFUFNRWnlYT3QxeWRvNWtLVDFVZGYiLCJ0eXAiOiJKV1QifQ.eyJleHAiOjE3MDAwMDAwNjAsImlhdCI6MTcwMDAwMDAwMCwic2lkIjoic2Vzc19nb2xkZW4iLCJzdWIiOiJ1c2VyX2dvbGRlbiIsInYiOjJ9.WDHeuxMM61vd-PfJAc-SXIaqoqKkln-987HJIbDlpzn3259qiWo_yQGaO09sw9KimAJEdZtWJN4kGvUZkASCjcOOBaE3zobYXfXJgAE01HjJf80TmQJfeq6OpV9IsmxCU7OsNJptyomx74Wrko-iUFJnZDFObk6OWuyjw8Z2vnru8Lgvh-w3SSRywCqYW-2euRSOQHPXH8Xa0z19tzydo3-S2InMOUfksI9Qfnz7bsiu2ZBgDCFspt2FhOlSEcOTZYyPaCj6zYaUUOz_BGojQ7wgk2lRLsQWpBLDgCKrUhW_XxM5fNPI2c1P4jAI0pXZ8h3t77W3XHS5N2Qgu31CSg";
    const TOKEN_1: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc182U2JwVlhvVnNKZXpsRlNqRTMzOWJNdGd5akEiLCJ0eXAiOiJKV1QifQ.eyJleHAiOjE3MDAwMDAwNjAsImlhdCI6MTcwMDAwMDAwMCwic2lkIjoic2Vzc19nb2xkZW4iLCJzdWIiOiJ1c2VyX2dvbGRlbiIsInYiOjJ9.C94-w4DVzd50EFPd_5WEYN59khqDo9EzUGGqx-eOrI_-t621Iopk8lErTwT6krOsZdMm6dOpp9mxapT_m5_pndpp7gm4jt6g-LnV6lPTddZxaH6x2OsEkosTZflFJuKdq8RAgZpb2YohylEfSCVJzZVMRPfZKN4_KwhggW5BVHWGl0-fbgEgGc2UWHGNze8dqIVXxXyMX0RxRsDMF9I3sAj3EroxAOECp6XGXQW2GsNc8q9dktbKg994NpUkdn02RVfF-TyB7ATRhAzMSh3m2zKtvJTGNUX-xEIUDmQZVufXsiO-2zqO7Bq4ajxFI97VezY6T0EfsqY96TZZqpNl_g";

    #[test]
    fn committed_keys_keep_their_kids_pems_jwks_and_tokens() {
        let claims = json!({
            "sub": "user_golden",
            "sid": "sess_golden",
            "iat": 1_700_000_000,
            "exp": 1_700_000_060,
            "v": 2,
        });
        let first = SigningKey::committed(0);
        let second = SigningKey::committed(1);
        assert_eq!(first.kid, KID_0);
        assert_eq!(second.kid, KID_1);
        assert_eq!(first.public_pem, PEM_0);
        assert_eq!(
            first.jwk(),
            json!({"use": "sig", "kty": "RSA", "kid": KID_0, "alg": "RS256", "n": N_0, "e": "AQAB"})
        );
        // Field order inside the JSON depends on serde_json's `preserve_order`, which a
        // workspace build turns on (xtask): compare the decoded parts, and check that each
        // token verifies with its key.
        for (key, pinned) in [(&first, TOKEN_0), (&second, TOKEN_1)] {
            let token = key.sign_jwt(&claims);
            assert_eq!(json_parts(&token), json_parts(pinned));
            let verifier = clerk_core::verify::Verifier::builder()
                .pem_key(key.public_pem.clone())
                .clock(std::sync::Arc::new(clerk_core::verify::FixedClock::new(
                    1_700_000_000_000,
                )))
                .build()
                .unwrap();
            verifier.verify(&token).unwrap();
            verifier.verify(pinned).unwrap();
        }
    }

    /// The header and payload of a JWT as JSON values.
    fn json_parts(token: &str) -> (Value, Value) {
        use base64::Engine;
        let decode = |part: &str| -> Value {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        };
        let mut parts = token.split('.');
        (decode(parts.next().unwrap()), decode(parts.next().unwrap()))
    }

    #[test]
    fn keys_have_distinct_stable_kids() {
        let first = SigningKey::committed(0);
        assert_eq!(first.kid, SigningKey::committed(0).kid);
        assert_ne!(first.kid, SigningKey::committed(1).kid);
        assert_eq!(first.kid.len(), 4 + 27);
    }
}
