//! Compact JWS decoding with minimal work: base64url into small buffers, JSON into
//! borrowed raw values, each claim interpreted only when a check needs it.

use std::borrow::Cow;

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
    /// The header JSON (on the stack unless unusually long).
    pub(crate) header_json: Buf<HEADER_INLINE>,
    /// The payload JSON text (checked to be UTF-8, so JSON parsing skips that work and
    /// the text can become the claims' `raw` without a copy).
    pub(crate) payload_json: String,
    /// The signature (on the stack for keys up to 8192 bits).
    pub(crate) signature: Buf<SIGNATURE_INLINE>,
}

/// Header bytes kept on the stack (Clerk's headers are under 150 bytes).
const HEADER_INLINE: usize = 512;
/// Signature bytes kept on the stack: an RSA-8192 signature.
const SIGNATURE_INLINE: usize = 1024;

/// Decoded bytes: inline when they fit, else on the heap. Derefs to the bytes.
pub(crate) enum Buf<const N: usize> {
    Inline([u8; N], usize),
    Heap(Vec<u8>),
}

impl<const N: usize> std::ops::Deref for Buf<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Buf::Inline(bytes, len) => &bytes[..*len],
            Buf::Heap(bytes) => bytes,
        }
    }
}

impl<const N: usize> Buf<N> {
    /// Decodes base64url `segment` (trailing `=` trimmed) into a new buffer.
    fn decode(segment: &str) -> Option<Buf<N>> {
        let segment = segment.trim_end_matches('=').as_bytes();
        let len = decoded_len(segment.len())?;
        if len <= N {
            let mut bytes = [0u8; N];
            decode_into(segment, &mut bytes[..len])?;
            Some(Buf::Inline(bytes, len))
        } else {
            let mut bytes = vec![0u8; len];
            decode_into(segment, &mut bytes)?;
            Some(Buf::Heap(bytes))
        }
    }
}

/// Marks a byte outside the base64url alphabet.
const INVALID: u8 = 0xff;

/// base64url symbol -> 6-bit value, `INVALID` for anything else.
static DECODE_TABLE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The decoded length of `symbols` base64 symbols without padding; `None` for a length
/// no encoding produces (one symbol past a multiple of four).
fn decoded_len(symbols: usize) -> Option<usize> {
    let tail = match symbols % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return None,
    };
    Some(symbols / 4 * 3 + tail)
}

/// Decodes unpadded base64url into `out` (exactly `decoded_len` bytes): one pass, four
/// symbols at a time. Refuses symbols outside the alphabet and non-zero trailing bits,
/// as the `base64` crate's URL_SAFE_NO_PAD engine does (checked against it in tests).
fn decode_into(symbols: &[u8], out: &mut [u8]) -> Option<()> {
    let value = |b: u8| u32::from(DECODE_TABLE[usize::from(b)]);
    let mut chunks = symbols.chunks_exact(4);
    let mut outs = out.chunks_exact_mut(3);
    for (chunk, dest) in (&mut chunks).zip(&mut outs) {
        let (a, b, c, d) = (
            value(chunk[0]),
            value(chunk[1]),
            value(chunk[2]),
            value(chunk[3]),
        );
        if (a | b | c | d) & 0x80 != 0 {
            return None;
        }
        let n = (a << 18) | (b << 12) | (c << 6) | d;
        dest[0] = (n >> 16) as u8;
        dest[1] = (n >> 8) as u8;
        dest[2] = n as u8;
    }
    let rest = chunks.remainder();
    let dest = outs.into_remainder();
    match rest.len() {
        0 => {}
        2 => {
            let (a, b) = (value(rest[0]), value(rest[1]));
            if (a | b) & 0x80 != 0 || b & 0x0f != 0 {
                return None;
            }
            dest[0] = ((a << 2) | (b >> 4)) as u8;
        }
        3 => {
            let (a, b, c) = (value(rest[0]), value(rest[1]), value(rest[2]));
            if (a | b | c) & 0x80 != 0 || c & 0x03 != 0 {
                return None;
            }
            let n = (a << 18) | (b << 12) | (c << 6);
            dest[0] = (n >> 16) as u8;
            dest[1] = (n >> 8) as u8;
        }
        _ => return None,
    }
    Some(())
}

/// Decodes base64url, tolerating any number of trailing `=` (as the reference's loose
/// mode does) but refusing non-zero trailing bits and other characters.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    let symbols = segment.trim_end_matches('=').as_bytes();
    let mut out = vec![0u8; decoded_len(symbols.len())?];
    decode_into(symbols, &mut out)?;
    Some(out)
}

/// Splits a compact JWS into its three decoded parts; `None` when it is malformed.
pub(crate) fn decode(token: &str) -> Option<DecodedJwt<'_>> {
    // `str::find` with a char uses memchr: this runs on every token.
    let first_dot = token.find('.')?;
    let second_dot = first_dot + 1 + token[first_dot + 1..].find('.')?;
    if token.as_bytes()[second_dot + 1..].contains(&b'.') {
        return None;
    }
    let (header, payload, signature) = (
        &token[..first_dot],
        &token[first_dot + 1..second_dot],
        &token[second_dot + 1..],
    );
    let signing_input = &token[..second_dot];
    let payload_json = {
        let symbols = payload.trim_end_matches('=').as_bytes();
        let mut bytes = vec![0u8; decoded_len(symbols.len())?];
        decode_into(symbols, &mut bytes)?;
        String::from_utf8(bytes).ok()?
    };
    let decoded = DecodedJwt {
        signing_input,
        header_json: Buf::decode(header)?,
        payload_json,
        signature: Buf::decode(signature)?,
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

    /// The decoder against the `base64` crate (what decoding used before): every string
    /// of up to 5 symbols over an alphabet with valid, invalid, padding and edge symbols,
    /// and longer pseudo-random ones.
    #[test]
    fn decoding_matches_the_base64_crate() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let reference = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
        let alphabet = [b'A', b'B', b'Q', b'g', b'-', b'_', b'/', b'=', b'.', b'9'];
        let mut checked = 0;
        for len in 0..=5u32 {
            for mut n in 0..alphabet.len().pow(len) {
                let mut text = String::new();
                for _ in 0..len {
                    text.push(char::from(alphabet[n % alphabet.len()]));
                    n /= alphabet.len();
                }
                assert_eq!(decode_segment(&text), reference(&text), "{text:?}");
                checked += 1;
            }
        }
        assert!(checked > 100_000);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 700) as usize;
            let mut text: String = (0..len)
                .map(|i| {
                    let symbols =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                    char::from(symbols[((seed >> (i % 50)) as usize + i * 7) % 64])
                })
                .collect();
            if seed % 5 == 0 {
                text.push('+');
            }
            assert_eq!(decode_segment(&text), reference(&text), "{text:?}");
        }
    }

    #[test]
    fn long_headers_and_signatures_go_to_the_heap() {
        let big = "A".repeat(HEADER_INLINE * 2);
        let buf = Buf::<HEADER_INLINE>::decode(&big).unwrap();
        assert!(matches!(buf, Buf::Heap(_)));
        assert_eq!(buf.len(), HEADER_INLINE * 3 / 2);
        let small = Buf::<HEADER_INLINE>::decode("e30").unwrap();
        assert!(matches!(small, Buf::Inline(..)));
        assert_eq!(&*small, b"{}");
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
