//! Compact JWS decoding with minimal work: base64url into small buffers, JSON into
//! borrowed raw values, each claim interpreted only when a check needs it.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// The machine-to-machine token category: never a session token.
pub(crate) const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";
/// The session token category.
pub(crate) const SESSION_CATEGORY: &str = "cl_B7d4PD111AAA";
/// The category Clerk uses for tokens that carry no category meaning.
pub(crate) const IGNORED_CATEGORY: &str = "cl_I7d4PD111III";

/// A token split and decoded, not yet verified.
pub(crate) struct DecodedJwt<'t> {
    /// `header.payload` exactly as in the token: the signed bytes.
    pub(crate) signing_input: &'t str,
    pub(crate) header_json: Vec<u8>,
    /// The payload JSON text (checked to be UTF-8, so JSON parsing skips that work and
    /// the text can become the claims' `raw` without a copy).
    pub(crate) payload_json: String,
    pub(crate) signature: Vec<u8>,
}

/// Decodes base64url, tolerating any number of trailing `=` (as the reference's loose
/// mode does) but refusing non-zero trailing bits and other characters.
pub(crate) fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()
}

/// Splits a compact JWS into its three decoded parts; `None` when it is malformed.
pub(crate) fn decode(token: &str) -> Option<DecodedJwt<'_>> {
    // Byte searches (memchr) rather than a char pattern: this runs on every token.
    let bytes = token.as_bytes();
    let first_dot = bytes.iter().position(|b| *b == b'.')?;
    let second_dot = first_dot + 1 + bytes[first_dot + 1..].iter().position(|b| *b == b'.')?;
    if bytes[second_dot + 1..].contains(&b'.') {
        return None;
    }
    let (header, payload, signature) = (
        &token[..first_dot],
        &token[first_dot + 1..second_dot],
        &token[second_dot + 1..],
    );
    let signing_input = &token[..header.len() + 1 + payload.len()];
    let decoded = DecodedJwt {
        signing_input,
        header_json: decode_segment(header)?,
        payload_json: String::from_utf8(decode_segment(payload)?).ok()?,
        signature: decode_segment(signature)?,
    };
    // Header and payload must be JSON objects (checked again, fully, when parsed).
    if !starts_object(&decoded.header_json) || !starts_object(decoded.payload_json.as_bytes()) {
        return None;
    }
    Some(decoded)
}

fn starts_object(json: &[u8]) -> bool {
    json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Deserializes a present field (even `null`) as `Some(raw)`, so that "absent" and
/// "null" stay distinct, as they are in JavaScript.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// The header fields the checks read.
#[derive(Deserialize, Default)]
pub(crate) struct Header<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) alg: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) typ: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) kid: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) cat: Option<&'a RawValue>,
}

/// The payload fields the checks and the claim normalisation read.
#[derive(Deserialize, Default)]
pub(crate) struct Payload<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) sub: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) aud: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) azp: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) iss: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) exp: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) nbf: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) iat: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) sid: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) sts: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) act: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) fva: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) v: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) o: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) fea: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) pla: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) org_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) org_role: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) org_slug: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) org_permissions: Option<&'a RawValue>,
}

/// The JSON string a raw value holds, if it is a string.
pub(crate) fn as_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    // A raw value is exactly one valid JSON token, so a string without escapes is the
    // text between its quotes: no second parse on the hot path.
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.as_bytes().contains(&b'\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// The number a raw value holds, if it is a JSON number (all JSON numbers are doubles
/// to the reference). `Err(())` for a number too large for a double.
pub(crate) fn as_number(raw: &RawValue) -> Option<Result<f64, ()>> {
    let text = raw.get();
    let first = text.as_bytes().first()?;
    if *first != b'-' && !first.is_ascii_digit() {
        return None;
    }
    // Integers (the usual dates) are exact as doubles below 2^53: skip float parsing.
    if text.len() <= 15
        && text
            .bytes()
            .skip(usize::from(*first == b'-'))
            .all(|b| b.is_ascii_digit())
    {
        if let Ok(integer) = text.parse::<i64>() {
            return Some(Ok(integer as f64));
        }
    }
    Some(text.parse::<f64>().map_err(|_| ()).and_then(|value| {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(())
        }
    }))
}

/// Whether a raw value is JavaScript-truthy (`""`, `0`, `false`, `null` are not).
pub(crate) fn is_truthy(raw: &RawValue) -> bool {
    match raw.get() {
        "null" | "false" | "\"\"" => false,
        text => match as_number(raw) {
            Some(Ok(n)) => n != 0.0,
            _ => !text.is_empty(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_wrong_segment_counts_and_non_objects() {
        assert!(decode("a.b").is_none());
        assert!(decode("a.b.c.d").is_none());
        // "[]" and "1" are JSON but not objects.
        assert!(decode("W10.e30.").is_none());
        assert!(decode("e30.MQ.").is_none());
        let ok = decode("e30.e30.").expect("{} . {} . empty");
        assert_eq!(ok.signing_input, "e30.e30");
        assert!(ok.signature.is_empty());
    }

    #[test]
    fn padding_is_tolerated_but_trailing_bits_are_not() {
        assert_eq!(decode_segment("e30="), Some(b"{}".to_vec()));
        assert_eq!(decode_segment("e30==="), Some(b"{}".to_vec()));
        // "e31" has non-zero trailing bits.
        assert_eq!(decode_segment("e31"), None);
        assert_eq!(decode_segment("e3+0"), None);
    }

    #[test]
    fn null_and_absent_stay_distinct() {
        let payload: Payload<'_> = serde_json::from_str(r#"{"nbf":null}"#).unwrap();
        assert_eq!(payload.nbf.map(RawValue::get), Some("null"));
        assert!(payload.iat.is_none());
    }

    #[test]
    fn scalar_helpers() {
        let raw = |s: &str| RawValue::from_string(s.to_owned()).unwrap();
        assert_eq!(as_str(&raw(r#""a\"b""#)).as_deref(), Some("a\"b"));
        assert_eq!(as_str(&raw("5")), None);
        assert_eq!(as_number(&raw("1.5e3")), Some(Ok(1500.0)));
        assert_eq!(as_number(&raw("1e400")), Some(Err(())));
        assert_eq!(as_number(&raw("\"5\"")), None);
        assert!(!is_truthy(&raw("0")));
        assert!(!is_truthy(&raw("\"\"")));
        assert!(is_truthy(&raw("[]")));
        assert!(is_truthy(&raw("\"x\"")));
    }
}
