//! RSA public keys, parsed once into aws-lc-rs form and kept parsed.
//!
//! Keys come from three places: a PEM text (SubjectPublicKeyInfo `PUBLIC KEY` or
//! PKCS#1 `RSA PUBLIC KEY`), a JWK (`n`, `e` in base64url) from the instance JWKS, and
//! (for tests) a private key. All end up as modulus + exponent and then as one
//! [`ParsedPublicKey`] per supported algorithm, so verifying a token never re-parses.

use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Smallest RSA modulus we accept (the reference accepts only this size in PEM mode).
const MIN_RSA_BITS: usize = 2048;
/// Largest modulus aws-lc-rs verifies with the PKCS#1 v1.5 parameters we use.
const MAX_RSA_BITS: usize = 8192;

/// The JWS algorithms a session token may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Rs256,
    Rs384,
    Rs512,
}

impl Algorithm {
    /// Parses a JOSE `alg` value; anything but the three RSA PKCS#1 v1.5 names is refused.
    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "RS256" => Some(Algorithm::Rs256),
            "RS384" => Some(Algorithm::Rs384),
            "RS512" => Some(Algorithm::Rs512),
            _ => None,
        }
    }

    /// The JOSE name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
        }
    }
}

/// An RSA public key ready to verify RS256/RS384/RS512 signatures.
pub(crate) struct RsaKey {
    rs256: ParsedPublicKey,
    rs384: ParsedPublicKey,
    rs512: ParsedPublicKey,
    /// The JWK's `alg`, when it named one: a token must then use exactly that algorithm
    /// (WebCrypto refuses to import a JWK for another hash, so the reference fails too).
    required_algorithm: Option<Algorithm>,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaKey")
            .field("required_algorithm", &self.required_algorithm)
            .finish_non_exhaustive()
    }
}

impl RsaKey {
    /// Builds a key from big-endian modulus and exponent bytes.
    pub(crate) fn from_components(n: &[u8], e: &[u8]) -> Result<RsaKey, String> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(format!(
                "RSA key of {bits} bits is outside the supported range {MIN_RSA_BITS}..={MAX_RSA_BITS}"
            ));
        }
        if e.is_empty() {
            return Err("RSA public exponent is zero".to_owned());
        }
        // Parsed from DER rather than through `RsaPublicKeyComponents`: measured ~10%
        // faster per verification (the DER path caches more of the key setup).
        let der = pkcs1_der(n, e);
        let parse = |params| {
            ParsedPublicKey::new(params, &der).map_err(|e| format!("RSA public key rejected: {e}"))
        };
        Ok(RsaKey {
            rs256: parse(&RSA_PKCS1_2048_8192_SHA256)?,
            rs384: parse(&RSA_PKCS1_2048_8192_SHA384)?,
            rs512: parse(&RSA_PKCS1_2048_8192_SHA512)?,
            required_algorithm: None,
        })
    }

    /// Parses a PEM public key: `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY`
    /// (PKCS#1). Literal `\n` sequences (as env files often hold) count as line breaks.
    pub(crate) fn from_pem(pem: &str) -> Result<RsaKey, String> {
        if pem_kind(pem) == Some(PemKind::Private) {
            return Err(PRIVATE_GIVEN.to_owned());
        }
        let der = pem_to_der(pem)?;
        if pem_kind(pem).is_none() && der_is_private_key(&der) {
            return Err(PRIVATE_GIVEN.to_owned());
        }
        let (n, e) = rsa_components_from_der(&der)?;
        RsaKey::from_components(n, e)
    }

    /// Builds a key from one JWK of a JWKS document.
    pub(crate) fn from_jwk(jwk: &Jwk) -> Result<RsaKey, String> {
        if jwk.kty.as_deref() != Some("RSA") {
            return Err(format!("JWK kty {:?} is not RSA", jwk.kty));
        }
        if let Some(usage) = jwk.usage.as_deref().filter(|u| *u != "sig") {
            return Err(format!("JWK use {usage:?} is not sig"));
        }
        let required_algorithm = match jwk.alg.as_deref() {
            None => None,
            Some(name) => Some(
                Algorithm::from_name(name)
                    .ok_or_else(|| format!("JWK alg {name:?} is not an RSA PKCS#1 algorithm"))?,
            ),
        };
        let decode = |field: &str, value: &Option<String>| {
            let text = value
                .as_deref()
                .ok_or_else(|| format!("JWK has no {field}"))?;
            URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|e| format!("JWK {field} is not base64url: {e}"))
        };
        let n = decode("n", &jwk.n)?;
        let e = decode("e", &jwk.e)?;
        let mut key = RsaKey::from_components(&n, &e)?;
        key.required_algorithm = required_algorithm;
        Ok(key)
    }

    /// Checks `signature` over `message`. `Err(Unusable)` when the key may not be used
    /// with this algorithm, `Err(BadSignature)` when the signature does not verify.
    pub(crate) fn verify(
        &self,
        algorithm: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        if self
            .required_algorithm
            .is_some_and(|required| required != algorithm)
        {
            return Err(SignatureError::Unusable(format!(
                "the key is for {} but the token uses {}",
                self.required_algorithm.map_or("", Algorithm::name),
                algorithm.name()
            )));
        }
        let key = match algorithm {
            Algorithm::Rs256 => &self.rs256,
            Algorithm::Rs384 => &self.rs384,
            Algorithm::Rs512 => &self.rs512,
        };
        key.verify_sig(message, signature)
            .map_err(|_| SignatureError::BadSignature)
    }
}

/// Why a signature check failed.
#[derive(Debug)]
pub(crate) enum SignatureError {
    /// The key cannot be used for this token (maps to `token-verification-failed`).
    Unusable(String),
    /// The signature is wrong (maps to `token-invalid-signature`).
    BadSignature,
}

/// One JSON Web Key, as far as RSA signature keys need it.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct Jwk {
    #[serde(default)]
    pub(crate) kty: Option<String>,
    #[serde(default)]
    pub(crate) alg: Option<String>,
    #[serde(default, rename = "use")]
    pub(crate) usage: Option<String>,
    #[serde(default)]
    pub(crate) n: Option<String>,
    #[serde(default)]
    pub(crate) e: Option<String>,
}

/// A JWKS document (`{"keys": [...]}`).
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct JwkSet {
    #[serde(default)]
    pub(crate) keys: Vec<serde_json::Value>,
}

/// DER of a PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e } (both unsigned,
/// without leading zeros on input).
fn pkcs1_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
        out.push(tag);
        let len = value.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let first = bytes
                .iter()
                .position(|b| *b != 0)
                .unwrap_or(bytes.len() - 1);
            out.push(0x80 | (bytes.len() - first) as u8);
            out.extend_from_slice(&bytes[first..]);
        }
        out.extend_from_slice(value);
    }
    fn integer(value: &[u8]) -> Vec<u8> {
        // A set top bit would make the INTEGER negative: prefix a zero byte.
        let mut out = Vec::with_capacity(value.len() + 1);
        if value.first().is_some_and(|b| b & 0x80 != 0) {
            out.push(0);
        }
        out.extend_from_slice(value);
        out
    }
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    push_tlv(&mut body, 0x02, &integer(n));
    push_tlv(&mut body, 0x02, &integer(e));
    let mut der = Vec::with_capacity(body.len() + 8);
    push_tlv(&mut der, 0x30, &body);
    der
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn bit_length(unsigned_be: &[u8]) -> usize {
    match unsigned_be.first() {
        None => 0,
        Some(top) => unsigned_be.len() * 8 - top.leading_zeros() as usize,
    }
}

/// Extracts the DER body of the first PEM block (any label), or treats the whole text as
/// base64 DER when there is no `-----BEGIN` line.
pub(crate) fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let text = pem.replace("\\n", "\n");
    let body = match text.find("-----BEGIN") {
        Some(start) => {
            let after_begin = &text[start..];
            let header_end = after_begin[10..]
                .find("-----")
                .map(|i| i + 15)
                .ok_or("PEM BEGIN line is not terminated")?;
            let rest = &after_begin[header_end..];
            let end = rest.find("-----END").ok_or("PEM has no END line")?;
            &rest[..end]
        }
        None => text.as_str(),
    };
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err("the PEM key is empty".to_owned());
    }
    STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("the PEM key is not valid base64: {e}"))
}

/// The message for a private key given where a public key is expected (`CLERK_JWT_KEY`,
/// `jwt_key`, `clerk verify --jwt-key`): say what it is and what to give instead.
const PRIVATE_GIVEN: &str = "expects a PUBLIC key (BEGIN PUBLIC KEY); this is a private key: \
    give its public half (`openssl pkey -in KEY.pem -pubout`), or the instance's PEM public \
    key from the Clerk dashboard";

/// Which kind of key a PEM text's `BEGIN` line announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PemKind {
    /// `PUBLIC KEY`, `RSA PUBLIC KEY`.
    Public,
    /// `PRIVATE KEY`, `RSA PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`.
    Private,
}

/// The key kind of the first `-----BEGIN ...-----` line, if there is one that names a key.
pub(crate) fn pem_kind(pem: &str) -> Option<PemKind> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let label = &pem[start..];
    let label = &label[..label.find("-----")?];
    if label.ends_with("PRIVATE KEY") {
        Some(PemKind::Private)
    } else if label.ends_with("PUBLIC KEY") {
        Some(PemKind::Public)
    } else {
        None
    }
}

/// Whether DER without a PEM label is a private key: PKCS#1 `RSAPrivateKey` and PKCS#8
/// `PrivateKeyInfo` both open with `INTEGER 0` (the version), which no public key does.
fn der_is_private_key(der: &[u8]) -> bool {
    read_tlv(der, 0x30)
        .and_then(|(outer, _)| read_tlv(outer, 0x02))
        .is_some_and(|(version, _)| version == [0])
}

/// DER encoding of the rsaEncryption object identifier 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// (modulus, exponent) of an RSA public key in SubjectPublicKeyInfo or PKCS#1 DER.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn rsa_numbers(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (n, e) = rsa_components_from_der(der).ok()?;
    Some((
        strip_leading_zeros(n).to_vec(),
        strip_leading_zeros(e).to_vec(),
    ))
}

/// Reads (modulus, exponent) from SubjectPublicKeyInfo or PKCS#1 RSAPublicKey DER.
fn rsa_components_from_der(der: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let (outer, rest) = read_tlv(der, 0x30).ok_or("the key is not a DER SEQUENCE")?;
    if !rest.is_empty() {
        return Err("trailing bytes after the DER key".to_owned());
    }
    // PKCS#1: SEQUENCE { INTEGER n, INTEGER e }
    if let Some((n, after_n)) = read_tlv(outer, 0x02) {
        let (e, end) = read_tlv(after_n, 0x02).ok_or("PKCS#1 key has no exponent")?;
        if !end.is_empty() {
            return Err("trailing data in PKCS#1 key".to_owned());
        }
        return Ok((n, e));
    }
    // SPKI: SEQUENCE { SEQUENCE { OID, params }, BIT STRING { RSAPublicKey } }
    let (algorithm, after_algorithm) =
        read_tlv(outer, 0x30).ok_or("SubjectPublicKeyInfo has no algorithm")?;
    let (oid, _) = read_tlv(algorithm, 0x06).ok_or("SubjectPublicKeyInfo has no OID")?;
    if oid != RSA_ENCRYPTION_OID {
        return Err("the public key is not an RSA key".to_owned());
    }
    let (bits, end) =
        read_tlv(after_algorithm, 0x03).ok_or("SubjectPublicKeyInfo has no key bits")?;
    if !end.is_empty() {
        return Err("trailing data in SubjectPublicKeyInfo".to_owned());
    }
    let (unused_bits, pkcs1) = bits.split_first().ok_or("empty key bit string")?;
    if *unused_bits != 0 {
        return Err("key bit string has unused bits".to_owned());
    }
    rsa_components_from_der(pkcs1)
}

/// Reads one DER TLV with the expected tag; returns (value, rest).
fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first_len, mut rest) = rest.split_first()?;
    let len = if first_len < 0x80 {
        usize::from(first_len)
    } else {
        let count = usize::from(first_len & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[count..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A private key where a public one belongs is named as such, labelled or not; and
    /// a public key where a private one belongs (token minting) likewise.
    #[cfg(feature = "testing")]
    #[test]
    fn key_kinds_given_the_wrong_way_round_are_named() {
        let key = crate::testing::TestKey::generate("kid").unwrap();
        let private = key.private_key_pem();
        let error = RsaKey::from_pem(&private).unwrap_err();
        assert!(error.starts_with("expects a PUBLIC key"), "{error}");
        let unlabelled: String = private
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let error = RsaKey::from_pem(&unlabelled).unwrap_err();
        assert!(error.contains("this is a private key"), "{error}");
        assert!(RsaKey::from_pem(&key.public_key_pem()).is_ok());
        let error = crate::testing::TestKey::from_pem("kid", &key.public_key_pem()).unwrap_err();
        assert!(
            error.to_string().contains("expects a PRIVATE key"),
            "{error}"
        );
        assert_eq!(
            pem_kind("-----BEGIN RSA PRIVATE KEY-----\n"),
            Some(PemKind::Private)
        );
        assert_eq!(pem_kind("-----BEGIN CERTIFICATE-----\n"), None);
    }

    #[test]
    fn der_lengths_are_bounded() {
        assert!(read_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1], 0x30).is_none());
        assert!(read_tlv(&[0x30, 0x02, 1], 0x30).is_none());
        assert_eq!(
            read_tlv(&[0x02, 0x01, 7, 9], 0x02),
            Some((&[7u8][..], &[9u8][..]))
        );
    }

    #[test]
    fn pkcs1_der_round_trips() {
        let n: Vec<u8> = (0..256)
            .map(|i| if i == 0 { 0xc1 } else { i as u8 })
            .collect();
        let der = pkcs1_der(&n, &[1, 0, 1]);
        let (parsed_n, parsed_e) = rsa_components_from_der(&der).unwrap();
        assert_eq!(strip_leading_zeros(parsed_n), &n[..]);
        assert_eq!(parsed_e, &[1, 0, 1]);
    }

    #[test]
    fn keys_below_2048_bits_are_unusable() {
        let n = vec![0xc1; 128];
        assert!(
            RsaKey::from_components(&n, &[1, 0, 1])
                .unwrap_err()
                .contains("1024 bits")
        );
    }

    #[test]
    fn bit_length_ignores_leading_zero_bits() {
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(bit_length(&[0x80]), 8);
        assert_eq!(bit_length(&[]), 0);
    }

    #[test]
    fn garbage_pem_is_refused() {
        assert!(
            RsaKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err()
        );
        assert!(RsaKey::from_pem("").is_err());
    }

    #[test]
    fn algorithm_names_round_trip() {
        for name in ["RS256", "RS384", "RS512"] {
            assert_eq!(Algorithm::from_name(name).map(Algorithm::name), Some(name));
        }
        assert_eq!(Algorithm::from_name("rs256"), None);
        assert_eq!(Algorithm::from_name("PS256"), None);
    }
}
