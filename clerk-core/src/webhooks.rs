//! Webhook signature verification (Svix / Standard Webhooks signing).
//!
//! ```no_run
//! use clerk_core::webhooks::Webhook;
//! let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! # let (raw_body, headers): (&[u8], Vec<(String, String)>) = (b"", vec![]);
//! let event = webhook.verify(raw_body, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
//! println!("{} {}", event.event_type, event.data);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{constant_time, hmac};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error_kind::{ErrorKind, error_object};

/// How far a webhook timestamp may be from now, either way.
pub const TOLERANCE_SECONDS: i64 = 300;

/// How many entries of the signature header are considered (Svix sends one per active
/// signing secret, a handful during a rotation); later entries are ignored.
pub const MAX_SIGNATURES: usize = 16;

/// Why a webhook was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum WebhookReason {
    /// The signing secret is not `whsec_<base64>`.
    InvalidSecret,
    /// `svix-id`, `svix-timestamp` or `svix-signature` is missing.
    MissingHeaders,
    /// `svix-timestamp` is not an integer.
    InvalidTimestamp,
    /// The timestamp is more than the tolerance in the past.
    TimestampTooOld,
    /// The timestamp is more than the tolerance in the future.
    TimestampTooNew,
    /// No `v1` signature matches.
    NoMatchingSignature,
    /// The signature matched but the body is not a JSON event.
    InvalidPayload,
}

impl WebhookReason {
    /// The kebab-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookReason::InvalidSecret => "invalid-secret",
            WebhookReason::MissingHeaders => "missing-headers",
            WebhookReason::InvalidTimestamp => "invalid-timestamp",
            WebhookReason::TimestampTooOld => "timestamp-too-old",
            WebhookReason::TimestampTooNew => "timestamp-too-new",
            WebhookReason::NoMatchingSignature => "no-matching-signature",
            WebhookReason::InvalidPayload => "invalid-payload",
        }
    }
}

/// A refused webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookError {
    /// Why, machine-readable.
    pub reason: WebhookReason,
    /// Details.
    pub message: String,
}

impl WebhookError {
    fn new(reason: WebhookReason, message: impl Into<String>) -> WebhookError {
        WebhookError {
            reason,
            message: message.into(),
        }
    }
}

impl WebhookError {
    /// Always [`ErrorKind::Webhook`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Webhook
    }

    /// The error as the JSON object the C library, the bindings and the CLI expose:
    /// `{"kind": "webhook", "message", "reason"}`.
    pub fn to_json(&self) -> serde_json::Value {
        error_object(
            self.kind(),
            self.message.clone(),
            Some(self.reason.as_str()),
        )
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.as_str(), self.message)
    }
}

impl std::error::Error for WebhookError {}

/// A verified webhook event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    /// The event type, e.g. `user.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's `data` object.
    pub data: serde_json::Value,
    /// The event's own `timestamp` (ms), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// The instance the event concerns (`instance_id`), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The `svix-id` header: a unique message id, for idempotency.
    pub message_id: String,
    /// The `svix-timestamp` header (seconds).
    pub signed_at: i64,
    /// The whole event object.
    pub raw: serde_json::Value,
}

/// A webhook endpoint's signing secret.
#[derive(Clone)]
pub struct Webhook {
    key: hmac::Key,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Webhook { key: <redacted> }")
    }
}

impl Webhook {
    /// From a `whsec_<base64>` secret (a bare base64 secret is accepted too).
    pub fn new(secret: &str) -> Result<Webhook, WebhookError> {
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
        let key = STANDARD.decode(encoded).map_err(|e| {
            WebhookError::new(
                WebhookReason::InvalidSecret,
                format!("the secret is not base64: {e}"),
            )
        })?;
        if key.is_empty() {
            return Err(WebhookError::new(
                WebhookReason::InvalidSecret,
                "the secret is empty",
            ));
        }
        Ok(Webhook {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
        })
    }

    /// The base64 signature of `{id}.{timestamp}.{body}`.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        STANDARD.encode(self.tag(message_id, &timestamp.to_string(), body).as_ref())
    }

    /// The HMAC-SHA256 of `{id}.{timestamp}.{body}`, streamed (the body is not copied).
    fn tag(&self, message_id: &str, timestamp: &str, body: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(message_id.as_bytes());
        context.update(b".");
        context.update(timestamp.as_bytes());
        context.update(b".");
        context.update(body);
        context.sign()
    }

    /// Verifies against the current time.
    pub fn verify<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<WebhookEvent, WebhookError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.verify_at(body, headers, now)
    }

    /// Verifies as of `now` (Unix seconds). Header names are case-insensitive; values
    /// are trimmed.
    pub fn verify_at<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        let (mut id, mut timestamp, mut signatures) = (None, None, None);
        for (name, value) in headers {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name.trim().to_ascii_lowercase().as_str() {
                "svix-id" | "webhook-id" => id = Some(value),
                "svix-timestamp" | "webhook-timestamp" => timestamp = Some(value),
                "svix-signature" | "webhook-signature" => signatures = Some(value),
                _ => {}
            }
        }
        let (Some(id), Some(timestamp), Some(signatures)) = (id, timestamp, signatures) else {
            return Err(WebhookError::new(
                WebhookReason::MissingHeaders,
                "svix-id, svix-timestamp and svix-signature are all required",
            ));
        };
        let signed_at: i64 = timestamp.parse().map_err(|_| {
            WebhookError::new(
                WebhookReason::InvalidTimestamp,
                format!("svix-timestamp {timestamp:?} is not an integer"),
            )
        })?;
        if signed_at < now.saturating_sub(TOLERANCE_SECONDS) {
            return Err(WebhookError::new(
                WebhookReason::TimestampTooOld,
                "message timestamp too old",
            ));
        }
        if signed_at > now.saturating_add(TOLERANCE_SECONDS) {
            return Err(WebhookError::new(
                WebhookReason::TimestampTooNew,
                "message timestamp too new",
            ));
        }

        // One HMAC over the body, whatever the number of entries; each entry is compared
        // against it in constant time, and only the first few entries count, so a header
        // stuffed with signatures costs no more than an honest one.
        let expected = self.tag(id, timestamp, body);
        let matched = signatures
            .split(' ')
            .filter(|entry| !entry.is_empty())
            .take(MAX_SIGNATURES)
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, signature)| STANDARD.decode(signature).ok())
            .any(|signature| {
                constant_time::verify_slices_are_equal(expected.as_ref(), &signature).is_ok()
            });
        if !matched {
            return Err(WebhookError::new(
                WebhookReason::NoMatchingSignature,
                "no matching signature found",
            ));
        }

        let raw: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            WebhookError::new(
                WebhookReason::InvalidPayload,
                format!("the body is not JSON: {e}"),
            )
        })?;
        Ok(WebhookEvent {
            event_type: raw
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_owned(),
            data: raw.get("data").cloned().unwrap_or(serde_json::Value::Null),
            timestamp: raw.get("timestamp").and_then(serde_json::Value::as_i64),
            instance_id: raw
                .get("instance_id")
                .and_then(|i| i.as_str())
                .map(str::to_owned),
            message_id: id.to_owned(),
            signed_at,
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers(signature: &str) -> Vec<(&'static str, String)> {
        vec![
            ("svix-id", ID.to_owned()),
            ("svix-timestamp", TIMESTAMP.to_string()),
            ("svix-signature", signature.to_owned()),
        ]
    }

    fn check(signature: &str, body: &[u8], now: i64) -> Result<WebhookEvent, WebhookError> {
        let headers = headers(signature);
        Webhook::new(SECRET).unwrap().verify_at(
            body,
            headers.iter().map(|(n, v)| (*n, v.as_str())),
            now,
        )
    }

    #[test]
    fn standard_webhooks_test_vector() {
        assert_eq!(
            Webhook::new(SECRET).unwrap().sign(ID, TIMESTAMP, BODY),
            &SIGNATURE[3..]
        );
        let event = check(SIGNATURE, BODY, TIMESTAMP).expect("the published vector verifies");
        assert_eq!(event.raw["test"], 2_432_232_314_u64);
        assert_eq!(event.message_id, ID);
    }

    #[test]
    fn other_entries_are_skipped_and_any_v1_match_counts() {
        let list = format!("v2,AAAA v1,bm90IGl0 {SIGNATURE}");
        assert!(check(&list, BODY, TIMESTAMP).is_ok());
        assert_eq!(
            check("v1,bm90IGl0", BODY, TIMESTAMP).unwrap_err().reason,
            WebhookReason::NoMatchingSignature
        );
        assert_eq!(
            check(&SIGNATURE.replace("v1,", "v2,"), BODY, TIMESTAMP)
                .unwrap_err()
                .reason,
            WebhookReason::NoMatchingSignature
        );
    }

    /// Regression: every `v1,` entry used to recompute the HMAC over the whole body (10 MB
    /// with 200 bad entries took 1.5 s). Only the first MAX_SIGNATURES entries count now.
    #[test]
    fn only_the_first_entries_are_considered() {
        let filler = |n: usize| vec!["v1,bm90IGl0"; n].join(" ");
        let last_counted = format!("{} {SIGNATURE}", filler(MAX_SIGNATURES - 1));
        assert!(check(&last_counted, BODY, TIMESTAMP).is_ok());
        let past_the_bound = format!("{} {SIGNATURE}", filler(MAX_SIGNATURES));
        assert_eq!(
            check(&past_the_bound, BODY, TIMESTAMP).unwrap_err().reason,
            WebhookReason::NoMatchingSignature
        );
        let stuffed = format!("{} {SIGNATURE}", filler(200));
        assert_eq!(
            check(&stuffed, BODY, TIMESTAMP).unwrap_err().reason,
            WebhookReason::NoMatchingSignature
        );
        // Extra spaces between entries are not entries.
        let spaced = format!("{}   {SIGNATURE}", filler(MAX_SIGNATURES - 1));
        assert!(check(&spaced, BODY, TIMESTAMP).is_ok());
    }

    #[test]
    fn tampered_body_fails() {
        let err = check(SIGNATURE, br#"{"test": 2432232315}"#, TIMESTAMP).unwrap_err();
        assert_eq!(err.reason, WebhookReason::NoMatchingSignature);
    }

    #[test]
    fn tolerance_is_300_seconds_each_way() {
        assert!(check(SIGNATURE, BODY, TIMESTAMP + 300).is_ok());
        assert_eq!(
            check(SIGNATURE, BODY, TIMESTAMP + 301).unwrap_err().reason,
            WebhookReason::TimestampTooOld
        );
        assert!(check(SIGNATURE, BODY, TIMESTAMP - 300).is_ok());
        assert_eq!(
            check(SIGNATURE, BODY, TIMESTAMP - 301).unwrap_err().reason,
            WebhookReason::TimestampTooNew
        );
    }

    #[test]
    fn missing_headers_and_bad_secret() {
        let webhook = Webhook::new(SECRET).unwrap();
        let err = webhook
            .verify_at(BODY, [("svix-id", ID)], TIMESTAMP)
            .unwrap_err();
        assert_eq!(err.reason, WebhookReason::MissingHeaders);
        assert_eq!(
            Webhook::new("whsec_!!").unwrap_err().reason,
            WebhookReason::InvalidSecret
        );
        let trimmed = webhook
            .verify_at(
                BODY,
                [
                    ("SVIX-ID", " msg_p5jXN8AQM9LWM0D4loKWxJek "),
                    ("svix-timestamp", "1614265330"),
                    ("svix-signature", SIGNATURE),
                ],
                TIMESTAMP,
            )
            .expect("names are case-insensitive, values trimmed");
        assert_eq!(trimmed.message_id, ID);
    }
}
