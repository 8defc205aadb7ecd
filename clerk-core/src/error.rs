//! The one error type of the library.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error_kind::{ErrorKind, error_object};

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One entry of a Clerk error body (`{"errors": [...]}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClerkError {
    /// A short machine-readable code, e.g. `resource_not_found`.
    #[serde(default)]
    pub code: String,
    /// A short human-readable message.
    #[serde(default)]
    pub message: String,
    /// A longer human-readable message, when Clerk gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_message: Option<String>,
    /// Extra detail, e.g. `{"param_name": "email_address"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

/// An error answer from the Backend API (any non-2xx status).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// Every error Clerk listed, in order (empty when the body was not a Clerk error body).
    pub errors: Vec<ClerkError>,
    /// Clerk's trace id, from the body's `clerk_trace_id` or the `x-clerk-trace-id` header.
    pub clerk_trace_id: Option<String>,
    /// The `Retry-After` delay the server asked for, if any.
    pub retry_after: Option<Duration>,
    /// A short excerpt of the body when it was not a Clerk error body.
    pub body_excerpt: Option<String>,
    /// Every response header, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    /// The first value of a response header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The first error's code, if any.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        match self.errors.first() {
            Some(first) => {
                write!(f, " {}: {}", first.code, first.message)?;
                if let Some(long) = first
                    .long_message
                    .as_deref()
                    .filter(|l| *l != first.message)
                {
                    write!(f, " ({long})")?;
                }
                if self.errors.len() > 1 {
                    write!(f, " (+{} more)", self.errors.len() - 1)?;
                }
            }
            None => {
                if let Some(excerpt) = &self.body_excerpt {
                    write!(f, ": {excerpt}")?;
                }
            }
        }
        if let Some(trace) = &self.clerk_trace_id {
            write!(f, " [trace {trace}]")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in this library.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The Backend API answered with a non-2xx status.
    Api(Box<ApiError>),
    /// The request did not complete: DNS, connect, TLS or I/O failure.
    Transport {
        /// What failed.
        message: String,
        /// Whether the request provably never reached the server (safe to retry any method).
        not_sent: bool,
        /// The underlying I/O, TLS or HTTP error, also given by
        /// [`source`](std::error::Error::source).
        source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// A connect, read or overall deadline passed.
    Timeout {
        /// Which timeout fired.
        message: String,
    },
    /// The response could not be decoded into the expected shape.
    Decode {
        /// What did not parse.
        message: String,
        /// The first bytes of the body, for diagnosis.
        body_excerpt: String,
    },
    /// The response body was larger than the configured maximum.
    ResponseTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The caller's parameters do not fit the operation.
    InvalidParams {
        /// What is wrong, naming the parameters concerned.
        message: String,
    },
    /// No operation has this name.
    UnknownOperation {
        /// The name asked for.
        name: String,
    },
    /// The client is misconfigured (bad URL, missing secret key, unreadable certificate...).
    Config {
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }

    /// The API error, when this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The kind of the error (its `kind` string, e.g. `"timeout"`, is shared with the C
    /// library's error JSON and the bindings).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api(_) => ErrorKind::Api,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Error::InvalidParams { .. } => ErrorKind::InvalidParams,
            Error::UnknownOperation { .. } => ErrorKind::UnknownOperation,
            Error::Config { .. } => ErrorKind::Config,
        }
    }

    /// The error as the JSON object the C library, the bindings and the CLI expose:
    /// `{"kind", "message", "status"?, "errors"?, "clerk_trace_id"?, "retry_after_ms"?}`
    /// (the fields of [`ErrorKind::fields`], present when known).
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = error_object(self.kind(), self.to_string(), None);
        if let (Error::Api(api), Some(out)) = (self, json.as_object_mut()) {
            out.insert("status".into(), api.status.into());
            out.insert(
                "errors".into(),
                serde_json::to_value(&api.errors).unwrap_or_default(),
            );
            if let Some(trace) = &api.clerk_trace_id {
                out.insert("clerk_trace_id".into(), trace.clone().into());
            }
            if let Some(wait) = api.retry_after {
                out.insert("retry_after_ms".into(), (wait.as_millis() as u64).into());
            }
        }
        json
    }

    pub(crate) fn invalid_params(message: impl Into<String>) -> Error {
        Error::InvalidParams {
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
        }
    }

    pub(crate) fn decode(message: impl fmt::Display, body: &[u8]) -> Error {
        Error::Decode {
            message: message.to_string(),
            body_excerpt: excerpt(body),
        }
    }
}

/// The first value of a header, by case-insensitive name (headers of an [`ApiError`] and
/// of a response alike).
pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The first 200 characters of a body, lossily decoded, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_CHARS * 4)]);
    let mut out: String = text.chars().take(MAX_CHARS).collect();
    if out.len() < text.len() || body.len() > MAX_CHARS * 4 {
        out.push('…');
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(api) => api.fmt(f),
            Error::Transport { message, .. } => write!(f, "transport error: {message}"),
            Error::Timeout { message } => write!(f, "timeout: {message}"),
            Error::Decode {
                message,
                body_excerpt,
            } => write!(f, "cannot decode response: {message}; body: {body_excerpt}"),
            Error::ResponseTooLarge { limit } => {
                write!(f, "response body exceeds the limit of {limit} bytes")
            }
            Error::InvalidParams { message } => write!(f, "invalid parameters: {message}"),
            Error::UnknownOperation { name } => {
                write!(f, "unknown operation: {name}")?;
                let near = crate::operation::suggest(name);
                if !near.is_empty() {
                    write!(f, " (did you mean {}?)", near.join(", "))?;
                }
                Ok(())
            }
            Error::Config { message } => write!(f, "configuration error: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            _ => None,
        }
    }
}
