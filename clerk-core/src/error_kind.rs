//! The one table of error kinds: what every front end (the C library, the bindings, the
//! CLI) calls an error, and which fields its JSON object carries.

use std::fmt;

use serde::{Serialize, Serializer};

/// The kind of an error: the `kind` field of every error JSON object, and what the C
/// library derives its result code from.
///
/// One table for the Rust errors ([`Error`](crate::Error),
/// [`VerifyError`](crate::verify::VerifyError),
/// [`WebhookError`](crate::webhooks::WebhookError)) and for the errors a front end detects
/// itself (a NULL argument, invalid UTF-8 or JSON, a caught panic). The strings are stable:
/// a kind is added, never renamed.
///
/// Deliberately not `#[non_exhaustive]`: a front end maps every kind with an exhaustive
/// `match`, so a new kind fails to compile there until it is given a result code, instead
/// of reaching callers as "unexpected".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The Backend API answered with a non-2xx status (`status`, `errors`,
    /// `clerk_trace_id`, `retry_after_ms`).
    Api,
    /// The request did not complete: DNS, connect, TLS or I/O failure.
    Transport,
    /// A connect, read or overall deadline passed.
    Timeout,
    /// The response could not be decoded.
    Decode,
    /// The response body was larger than the configured maximum.
    ResponseTooLarge,
    /// The parameters do not fit the operation.
    InvalidParams,
    /// No operation has the name asked for.
    UnknownOperation,
    /// The configuration is invalid.
    Config,
    /// A session or machine token was refused (`reason`: a [`Reason`](crate::verify::Reason)
    /// code such as `token-expired`).
    Verification,
    /// A webhook did not verify (`reason`: a
    /// [`WebhookReason`](crate::webhooks::WebhookReason) code such as
    /// `no-matching-signature`).
    Webhook,
    /// Front ends: a required argument was missing (NULL).
    NullParameter,
    /// Front ends: a string argument was not valid UTF-8.
    InvalidUtf8,
    /// Front ends: a JSON argument did not parse or had the wrong JSON type.
    InvalidJson,
    /// Front ends: a panic was caught at the boundary (a bug in libclerk).
    Panic,
    /// Anything else (a bug, or an error this front end has no dedicated kind for).
    Unexpected,
}

impl ErrorKind {
    /// Every kind, in table order.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::Api,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::Decode,
        ErrorKind::ResponseTooLarge,
        ErrorKind::InvalidParams,
        ErrorKind::UnknownOperation,
        ErrorKind::Config,
        ErrorKind::Verification,
        ErrorKind::Webhook,
        ErrorKind::NullParameter,
        ErrorKind::InvalidUtf8,
        ErrorKind::InvalidJson,
        ErrorKind::Panic,
        ErrorKind::Unexpected,
    ];

    /// The stable snake_case name: the `kind` field of the error JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Api => "api",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Decode => "decode",
            ErrorKind::ResponseTooLarge => "response_too_large",
            ErrorKind::InvalidParams => "invalid_params",
            ErrorKind::UnknownOperation => "unknown_operation",
            ErrorKind::Config => "config",
            ErrorKind::Verification => "verification",
            ErrorKind::Webhook => "webhook",
            ErrorKind::NullParameter => "null_parameter",
            ErrorKind::InvalidUtf8 => "invalid_utf8",
            ErrorKind::InvalidJson => "invalid_json",
            ErrorKind::Panic => "panic",
            ErrorKind::Unexpected => "unexpected",
        }
    }

    /// The kind with this `kind` string, if any.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// The fields an error object of this kind may carry besides `kind` and `message`
    /// (each present when known).
    pub const fn fields(self) -> &'static [&'static str] {
        match self {
            ErrorKind::Api => &["status", "errors", "clerk_trace_id", "retry_after_ms"],
            ErrorKind::Verification | ErrorKind::Webhook => &["reason"],
            ErrorKind::Transport
            | ErrorKind::Timeout
            | ErrorKind::Decode
            | ErrorKind::ResponseTooLarge
            | ErrorKind::InvalidParams
            | ErrorKind::UnknownOperation
            | ErrorKind::Config
            | ErrorKind::NullParameter
            | ErrorKind::InvalidUtf8
            | ErrorKind::InvalidJson
            | ErrorKind::Panic
            | ErrorKind::Unexpected => &[],
        }
    }

    /// The error object of a kind that has nothing but a message, `{"kind", "message"}`:
    /// for errors a front end detects itself (see [`fields`](Self::fields)).
    pub fn to_json(self, message: impl Into<String>) -> serde_json::Value {
        error_object(self, message.into(), None)
    }
}

/// The error object every error type writes: `kind`, `message`, then `reason` when given
/// (further fields are appended by the caller).
pub(crate) fn error_object(
    kind: ErrorKind,
    message: String,
    reason: Option<&'static str>,
) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    out.insert("kind".into(), kind.as_str().into());
    out.insert("message".into(), message.into());
    if let Some(reason) = reason {
        out.insert("reason".into(), reason.into());
    }
    serde_json::Value::Object(out)
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Compares with a `kind` string, e.g. `error.kind() == "timeout"`.
impl PartialEq<str> for ErrorKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// Compares with a `kind` string, e.g. `assert_eq!(error.kind(), "timeout")`.
impl PartialEq<&str> for ErrorKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_snake_case_name_that_parses_back() {
        let mut names = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let name = kind.as_str();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            assert!(names.insert(name), "duplicate kind {name}");
            assert_eq!(ErrorKind::from_name(name), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
            assert_eq!(kind.to_string(), name);
        }
        assert_eq!(ErrorKind::from_name("no_such_kind"), None);
    }

    #[test]
    fn a_message_only_object_has_kind_and_message_and_nothing_else() {
        for kind in ErrorKind::ALL {
            let json = kind.to_json("what happened");
            let object = json.as_object().unwrap();
            assert_eq!(object.len(), 2, "{json}");
            assert_eq!(json["kind"], kind.as_str());
            assert_eq!(json["message"], "what happened");
        }
    }

    /// Checks an error object against the table: `kind` and `message` are strings, every
    /// other field is one of the kind's [`fields`](ErrorKind::fields).
    fn assert_fits_the_table(json: &serde_json::Value, kind: ErrorKind) {
        let object = json.as_object().expect("an object");
        assert_eq!(json["kind"], kind.as_str(), "{json}");
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{json}"
        );
        for key in object.keys() {
            assert!(
                key == "kind" || key == "message" || kind.fields().contains(&key.as_str()),
                "{key} is not a field of {kind}: {json}"
            );
        }
    }

    #[test]
    fn every_core_error_writes_its_kind_and_only_the_fields_of_the_table() {
        use crate::error::{ApiError, ClerkError, Error};
        let api = ApiError {
            status: 429,
            errors: vec![ClerkError {
                code: "too_many_requests".into(),
                message: "slow down".into(),
                ..ClerkError::default()
            }],
            clerk_trace_id: Some("trace_1".into()),
            retry_after: Some(std::time::Duration::from_millis(1500)),
            ..ApiError::default()
        };
        let errors = [
            (Error::Api(Box::new(api)), ErrorKind::Api),
            (
                Error::Transport {
                    message: "refused".into(),
                    not_sent: true,
                    source: None,
                },
                ErrorKind::Transport,
            ),
            (
                Error::Timeout {
                    message: "read".into(),
                },
                ErrorKind::Timeout,
            ),
            (Error::decode("bad", b"{"), ErrorKind::Decode),
            (
                Error::ResponseTooLarge { limit: 10 },
                ErrorKind::ResponseTooLarge,
            ),
            (Error::invalid_params("limit"), ErrorKind::InvalidParams),
            (
                Error::UnknownOperation { name: "x.y".into() },
                ErrorKind::UnknownOperation,
            ),
            (Error::config("no key"), ErrorKind::Config),
        ];
        for (error, kind) in &errors {
            assert_eq!(error.kind(), *kind);
            assert_fits_the_table(&error.to_json(), *kind);
        }
        let api = errors[0].0.to_json();
        assert_eq!(api["status"], 429);
        assert_eq!(api["errors"][0]["code"], "too_many_requests");
        assert_eq!(api["clerk_trace_id"], "trace_1");
        assert_eq!(api["retry_after_ms"], 1500);
    }

    #[test]
    fn verification_and_webhook_errors_write_kind_message_and_reason() {
        use crate::verify::{Reason, VerifyError};
        let refused = VerifyError::new(Reason::TokenExpired, "JWT is expired.");
        assert_eq!(refused.kind(), ErrorKind::Verification);
        let json = refused.to_json();
        assert_fits_the_table(&json, ErrorKind::Verification);
        assert_eq!(json["reason"], "token-expired");
        assert_eq!(json["message"], "JWT is expired.");

        let webhook = crate::webhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap()
            .verify(b"{}", [("svix-id", "msg_1")])
            .unwrap_err();
        assert_eq!(webhook.kind(), ErrorKind::Webhook);
        let json = webhook.to_json();
        assert_fits_the_table(&json, ErrorKind::Webhook);
        assert_eq!(json["reason"], "missing-headers");
    }
}
