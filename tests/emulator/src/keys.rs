//! The emulator's RSA signing keys: committed test keys, so tokens are reproducible.

use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// The committed RSA-2048 test keys (PKCS#8 PEM); rotation cycles through them.
const KEY_PEMS: [&str; 2] = [
    include_str!("../fixtures/signing_key_1.pem"),
    include_str!("../fixtures/signing_key_2.pem"),
];

/// One signing key with its JWK form.
pub struct SigningKey {
    key_pair: RsaKeyPair,
    /// The key id, derived from the public key so it is stable across runs.
    pub kid: String,
    /// Base64url of the public modulus.
    pub n: String,
    /// Base64url of the public exponent.
    pub e: String,
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

fn pem_body(pem: &str) -> Vec<u8> {
    let base64_text: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD
        .decode(base64_text.trim())
        .expect("committed key fixture is valid base64")
}

/// Encodes a DER length.
fn der_length(length: usize) -> Vec<u8> {
    if length < 0x80 {
        vec![length as u8]
    } else {
        let bytes: Vec<u8> = length
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        let mut out = vec![0x80 | bytes.len() as u8];
        out.extend(bytes);
        out
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_length(content.len()));
    out.extend_from_slice(content);
    out
}

fn der_unsigned_integer(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(bytes);
    der(0x02, &content)
}

/// Builds a SubjectPublicKeyInfo PEM from the modulus and exponent.
fn public_key_pem(n: &[u8], e: &[u8]) -> String {
    let mut rsa_public_key = der_unsigned_integer(n);
    rsa_public_key.extend(der_unsigned_integer(e));
    let rsa_public_key = der(0x30, &rsa_public_key);
    // AlgorithmIdentifier { rsaEncryption, NULL }
    let algorithm: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit_string = vec![0u8];
    bit_string.extend(rsa_public_key);
    let mut spki = algorithm.to_vec();
    spki.extend(der(0x03, &bit_string));
    let spki = der(0x30, &spki);
    let encoded = STANDARD.encode(spki);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in encoded.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

impl SigningKey {
    /// Loads committed key number `index` (modulo the number of keys).
    pub fn committed(index: usize) -> SigningKey {
        let der = pem_body(KEY_PEMS[index % KEY_PEMS.len()]);
        let key_pair =
            RsaKeyPair::from_pkcs8(&der).expect("committed key fixture is a valid RSA PKCS#8 key");
        let components: PublicKeyComponents<Vec<u8>> = key_pair.public_key().into();
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key_pair.public_key().as_ref());
        // Clerk's kids look like `ins_<27 base62 chars>`; derive ours from the key itself.
        let kid = format!("ins_{}", crate::ids::base62_from_bytes(digest.as_ref(), 27));
        SigningKey {
            n: URL_SAFE_NO_PAD.encode(&components.n),
            e: URL_SAFE_NO_PAD.encode(&components.e),
            public_pem: public_key_pem(&components.n, &components.e),
            kid,
            key_pair,
        }
    }

    /// The public JWK, as `GET /jwks` serves it.
    pub fn jwk(&self) -> Value {
        json!({"use": "sig", "kty": "RSA", "kid": self.kid, "alg": "RS256", "n": self.n, "e": self.e})
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub fn sign_jwt(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut signature = vec![0; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing with a valid key does not fail");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};

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
        assert_eq!(first.sign_jwt(&claims), TOKEN_0);
        assert_eq!(second.sign_jwt(&claims), TOKEN_1);
    }

    #[test]
    fn signed_token_verifies_with_the_published_components() {
        let key = SigningKey::committed(0);
        let token = key.sign_jwt(&json!({"sub": "user_1"}));
        let (input, signature) = token.rsplit_once('.').unwrap();
        let public = RsaPublicKeyComponents {
            n: URL_SAFE_NO_PAD.decode(&key.n).unwrap(),
            e: URL_SAFE_NO_PAD.decode(&key.e).unwrap(),
        };
        public
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .unwrap();
        assert_eq!(key.e, "AQAB");
    }

    #[test]
    fn keys_have_distinct_stable_kids() {
        let first = SigningKey::committed(0);
        assert_eq!(first.kid, SigningKey::committed(0).kid);
        assert_ne!(first.kid, SigningKey::committed(1).kid);
        assert_eq!(first.kid.len(), 4 + 27);
    }

    #[test]
    fn public_pem_wraps_the_modulus() {
        let key = SigningKey::committed(1);
        assert!(
            key.public_pem
                .starts_with("-----BEGIN PUBLIC KEY-----\nMIIBIjAN")
        );
    }
}
