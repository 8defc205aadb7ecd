//! One `ureq` agent behind every request: headers, timeouts, retries, body limits and
//! error mapping live here and nowhere else.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use ureq::http;

use crate::error::{ApiError, ClerkError, Error, Result, find_header};
use crate::operation::Method;

/// When and how often a failed request is tried again.
///
/// Retried: `429` and `503` for every method (honouring `Retry-After`); `500`, `502`,
/// `504` and connection failures only for idempotent methods (`GET`, `PUT`, `DELETE`);
/// a `POST` or `PATCH` is retried after a transport failure only when the request
/// provably never reached the server (DNS or connect failure). Waits grow
/// exponentially from `initial_backoff` up to `max_backoff`, with full jitter. No new
/// attempt starts once `max_elapsed` has passed since the first one, and a
/// `Retry-After` longer than the time left ends the retries at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; `1` disables retries. Default 3; 1..=10.
    pub max_attempts: u32,
    /// The wait before the first retry, before jitter. Default 500 ms; 0 ..= 1 min.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts (also caps `Retry-After`). Default 10 s;
    /// 0 ..= 5 min, and not below `initial_backoff`.
    pub max_backoff: Duration,
    /// The total time budget for all attempts and waits. Default 30 s; 1 ms ..= 10 min.
    /// Every attempt is
    /// capped at what is left of it, so a call ends with [`Error::Timeout`] once it is
    /// spent, even in the middle of an attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The jittered wait before retry number `retry` (1-based).
    fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(16);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // Full jitter: uniform in [ceiling/2, ceiling], so waits never collapse to zero.
        let half = ceiling / 2;
        let spread = half.as_nanos() as u64;
        let jitter = if spread == 0 {
            0
        } else {
            random_u64() % spread
        };
        half + Duration::from_nanos(jitter)
    }
}

/// A random number from the standard library's per-process hash keys: good enough for
/// jitter, and it needs no extra dependency.
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// A successful (2xx) answer of the Backend API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The body as the server sent it (JSON text; `null` when the body was empty).
    pub body: String,
    /// Clerk's trace id from the `x-clerk-trace-id` header, if present.
    pub clerk_trace_id: Option<String>,
    /// Every response header, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Parses the body into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.body).map_err(|e| Error::decode(e, self.body.as_bytes()))
    }
}

/// A request ready to send: everything but the shared headers.
pub(crate) struct Outgoing<'a> {
    pub method: Method,
    /// The path template, for logs (never holds ids or secrets).
    pub path_template: &'a str,
    /// The path and query below the API root, already encoded.
    pub path_and_query: String,
    /// Content type and bytes of the body, if any.
    pub body: Option<(String, Vec<u8>)>,
}

pub(crate) struct Transport {
    agent: ureq::Agent,
    /// `{api_url}/v1`, without a trailing slash.
    base_url: String,
    authorization: Option<String>,
    api_version: String,
    user_agent: String,
    retry: RetryPolicy,
    max_response_bytes: u64,
    extra_headers: Vec<(String, String)>,
    timeout_connect: Duration,
    timeout_request: Duration,
}

/// The time budget of one call: all its attempts and waits.
enum Budget {
    /// The client's own, [`RetryPolicy::max_elapsed`].
    Client(Duration),
    /// A shorter one given for this call.
    Call(Duration),
}

impl Budget {
    fn duration(&self) -> Duration {
        match self {
            Budget::Client(budget) | Budget::Call(budget) => *budget,
        }
    }

    /// The error of a call whose budget ran out after `attempts` attempts.
    fn exhausted(&self, attempts: u32) -> Error {
        let plural = if attempts == 1 { "" } else { "s" };
        let which = match self {
            Budget::Client(_) => "the total time budget",
            Budget::Call(_) => "the per-call timeout",
        };
        let setting = match self {
            Budget::Client(_) => " (retry policy max_elapsed)",
            Budget::Call(_) => "",
        };
        Error::Timeout {
            message: format!(
                "{which} of {} ms{setting} ran out after {attempts} attempt{plural}",
                self.duration().as_millis()
            ),
        }
    }
}

/// Settings the transport is built from (the builder's validated values).
pub(crate) struct TransportConfig {
    pub base_url: String,
    pub secret_key: Option<String>,
    pub api_version: String,
    pub user_agent: String,
    pub retry: RetryPolicy,
    pub max_response_bytes: u64,
    pub timeout_connect: Duration,
    pub timeout_request: Duration,
    pub root_certs: ureq::tls::RootCerts,
    pub proxy: Option<ureq::Proxy>,
    pub extra_headers: Vec<(String, String)>,
}

impl Transport {
    pub(crate) fn new(config: TransportConfig) -> Transport {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(config.root_certs)
            .unversioned_rustls_crypto_provider(provider)
            .build();
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .proxy(config.proxy)
            .timeout_connect(Some(config.timeout_connect))
            // Per attempt; each request also gets a global timeout: the call's budget left.
            .timeout_per_call(Some(config.timeout_request))
            // Redirects would resend the secret key elsewhere; the API never redirects.
            .max_redirects(0)
            .user_agent(config.user_agent.as_str())
            .accept("application/json")
            .build();
        Transport {
            agent: ureq::Agent::new_with_config(agent_config),
            base_url: config.base_url,
            authorization: config.secret_key.map(|key| format!("Bearer {key}")),
            api_version: config.api_version,
            user_agent: config.user_agent,
            retry: config.retry,
            max_response_bytes: config.max_response_bytes,
            extra_headers: config.extra_headers,
            timeout_connect: config.timeout_connect,
            timeout_request: config.timeout_request,
        }
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Sends the request, retrying as the policy allows, and returns the 2xx answer.
    ///
    /// The whole call (every attempt, every wait) fits in one budget: the policy's
    /// `max_elapsed`, or `call_timeout` when that is shorter. Each attempt is capped at
    /// the time left in it (connect, send, headers and body read), so the call never
    /// outlives the budget by more than scheduling noise.
    pub(crate) fn send(
        &self,
        outgoing: &Outgoing<'_>,
        call_timeout: Option<Duration>,
    ) -> Result<Response> {
        let started = Instant::now();
        let budget = match call_timeout {
            Some(timeout) if timeout < self.retry.max_elapsed => Budget::Call(timeout),
            _ => Budget::Client(self.retry.max_elapsed),
        };
        let deadline = started + budget.duration();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            let result = if left.is_zero() {
                Err(budget.exhausted(attempt - 1))
            } else {
                self.attempt(outgoing, left, &budget, attempt)
            };
            let wait = match &result {
                Ok(_) => None,
                Err(error) => self.retry_wait(outgoing.method, error, attempt),
            };
            let wait = wait.filter(|wait| Instant::now() + *wait < deadline);
            match wait {
                Some(wait) => {
                    log::debug!(
                        target: "clerk",
                        "{} {} attempt {attempt} failed ({}); retrying in {} ms",
                        outgoing.method,
                        outgoing.path_template,
                        result.as_ref().err().map(|e| e.kind().as_str()).unwrap_or_default(),
                        wait.as_millis()
                    );
                    std::thread::sleep(wait);
                }
                None => {
                    self.log_outcome(outgoing, &result, attempt, started.elapsed());
                    return result;
                }
            }
        }
    }

    fn log_outcome(
        &self,
        outgoing: &Outgoing<'_>,
        result: &Result<Response>,
        attempts: u32,
        elapsed: Duration,
    ) {
        let (status, trace) = match result {
            Ok(response) => (response.status.to_string(), response.clerk_trace_id.clone()),
            Err(Error::Api(api)) => (api.status.to_string(), api.clerk_trace_id.clone()),
            Err(other) => (other.kind().to_string(), None),
        };
        log::info!(
            target: "clerk",
            "{} {} -> {status} attempts={attempts} duration_ms={} trace_id={}",
            outgoing.method,
            outgoing.path_template,
            elapsed.as_millis(),
            trace.as_deref().unwrap_or("-")
        );
    }

    /// How long to wait before trying again, or `None` when this error is final.
    fn retry_wait(&self, method: Method, error: &Error, attempt: u32) -> Option<Duration> {
        if attempt >= self.retry.max_attempts {
            return None;
        }
        let backoff = self.retry.backoff(attempt);
        match error {
            Error::Api(api) => match api.status {
                429 | 503 => match api.retry_after {
                    Some(asked) if asked > self.retry.max_backoff => None,
                    Some(asked) => Some(asked),
                    None => Some(backoff),
                },
                500 | 502 | 504 if method.is_idempotent() => Some(backoff),
                _ => None,
            },
            Error::Transport { not_sent, .. } if *not_sent || method.is_idempotent() => {
                Some(backoff)
            }
            Error::Timeout { .. } if method.is_idempotent() => Some(backoff),
            _ => None,
        }
    }

    /// One attempt, given at most `left` in all (connect, send, headers, body).
    fn attempt(
        &self,
        outgoing: &Outgoing<'_>,
        left: Duration,
        budget: &Budget,
        attempt: u32,
    ) -> Result<Response> {
        let map_error = |error: ureq::Error| self.map_error(error, budget, attempt);
        let url = format!("{}{}", self.base_url, outgoing.path_and_query);
        let mut builder = http::Request::builder()
            .method(outgoing.method.as_str())
            .uri(&url)
            .header("Clerk-API-Version", &self.api_version);
        for (name, value) in &self.extra_headers {
            builder = builder.header(name, value);
        }
        if let Some(authorization) = &self.authorization {
            builder = builder.header("Authorization", authorization);
        }
        let sent = match &outgoing.body {
            Some((content_type, bytes)) => {
                let request = builder
                    .header("Content-Type", content_type)
                    .body(bytes.as_slice())
                    .map_err(|e| Error::config(format!("cannot build request: {e}")))?;
                self.run(request, left)
            }
            // A method that carries a body carries a Content-Length, 0 for none: ureq would
            // send a body-less POST as `Transfer-Encoding: chunked`, which proxies and WAFs
            // answer with 411.
            None if matches!(outgoing.method, Method::Post | Method::Put | Method::Patch) => {
                let request = builder
                    .body(&[][..])
                    .map_err(|e| Error::config(format!("cannot build request: {e}")))?;
                self.run(request, left)
            }
            None => {
                let request = builder
                    .body(())
                    .map_err(|e| Error::config(format!("cannot build request: {e}")))?;
                self.run(request, left)
            }
        };
        let mut response = sent.map_err(map_error)?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let trace_header = header_value(&response, "x-clerk-trace-id");
        let retry_after =
            header_value(&response, "retry-after").and_then(|v| parse_retry_after(&v));
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(map_error)?;
        if (200..300).contains(&status) {
            let body = if body.iter().all(u8::is_ascii_whitespace) {
                "null".to_owned()
            } else {
                String::from_utf8(body)
                    .map_err(|e| Error::decode("body is not UTF-8", e.as_bytes()))?
            };
            return Ok(Response {
                status,
                body,
                clerk_trace_id: trace_header,
                headers,
            });
        }
        let mut error = parse_api_error(status, &body, trace_header, retry_after);
        error.headers = headers;
        Err(Error::Api(Box::new(error)))
    }
}

impl Transport {
    /// Runs one request with at most `left` for all of it.
    fn run(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
        left: Duration,
    ) -> std::result::Result<http::Response<ureq::Body>, ureq::Error> {
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(left))
            .build();
        self.agent.run(request)
    }

    /// Maps ureq's error to ours, naming the timeout that fired.
    fn map_error(&self, error: ureq::Error, budget: &Budget, attempt: u32) -> Error {
        let millis = |duration: Duration| duration.as_millis();
        match error {
            ureq::Error::Timeout(ureq::Timeout::Global) => budget.exhausted(attempt),
            ureq::Error::Timeout(ureq::Timeout::PerCall) => Error::Timeout {
                message: format!(
                    "attempt {attempt} took longer than timeout_request ({} ms)",
                    millis(self.timeout_request)
                ),
            },
            ureq::Error::Timeout(ureq::Timeout::Connect) => Error::Timeout {
                message: format!(
                    "no connection within timeout_connect ({} ms)",
                    millis(self.timeout_connect)
                ),
            },
            other => map_ureq_error(other),
        }
    }
}

fn header_value(response: &http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `Retry-After` as delay-seconds (fractions tolerated). An HTTP-date is ignored: the
/// backoff then applies.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

#[derive(Deserialize)]
struct ErrorBody {
    errors: Vec<ClerkError>,
    #[serde(default)]
    clerk_trace_id: Option<String>,
}

/// Builds the API error from a non-2xx answer, keeping everything Clerk said.
pub(crate) fn parse_api_error(
    status: u16,
    body: &[u8],
    trace_header: Option<String>,
    retry_after: Option<Duration>,
) -> ApiError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => ApiError {
            status,
            errors: parsed.errors,
            clerk_trace_id: parsed.clerk_trace_id.or(trace_header),
            retry_after,
            body_excerpt: None,
            headers: Vec::new(),
        },
        Err(_) => ApiError {
            status,
            errors: Vec::new(),
            clerk_trace_id: trace_header,
            retry_after,
            body_excerpt: (!body.is_empty()).then(|| crate::error::excerpt(body)),
            headers: Vec::new(),
        },
    }
}

/// Maps ureq's error to ours, deciding whether the request provably never left.
fn map_ureq_error(error: ureq::Error) -> Error {
    use ureq::Timeout as T;
    let not_sent = match &error {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(T::Resolve | T::Connect) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::ConnectionRefused | io::ErrorKind::AddrNotAvailable
        ),
        _ => false,
    };
    match error {
        ureq::Error::Timeout(which) => Error::Timeout {
            message: format!("{which} timeout"),
        },
        ureq::Error::BodyExceedsLimit(limit) => Error::ResponseTooLarge { limit },
        other => Error::Transport {
            message: other.to_string(),
            not_sent,
            source: Some(std::sync::Arc::new(other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_bounds() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(800),
            max_elapsed: Duration::from_secs(60),
        };
        for retry in 1..10 {
            let ceiling =
                (Duration::from_millis(100) * (1 << (retry - 1))).min(Duration::from_millis(800));
            let wait = policy.backoff(retry);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "retry {retry}: {wait:?}"
            );
        }
    }

    #[test]
    fn retry_after_parses_seconds_only() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn api_error_keeps_every_field() {
        let body = br#"{"errors":[{"code":"form_identifier_exists","message":"taken","long_message":"That email address is taken.","meta":{"param_name":"email_address"}}],"clerk_trace_id":"trace_body"}"#;
        let error = parse_api_error(422, body, Some("trace_header".into()), None);
        assert_eq!(error.errors.len(), 1);
        assert_eq!(error.code(), Some("form_identifier_exists"));
        assert_eq!(
            error.errors[0].meta.as_ref().unwrap()["param_name"],
            "email_address"
        );
        assert_eq!(error.clerk_trace_id.as_deref(), Some("trace_body"));
        let plain = parse_api_error(502, b"<html>bad gateway</html>", Some("t".into()), None);
        assert!(plain.errors.is_empty());
        assert_eq!(plain.clerk_trace_id.as_deref(), Some("t"));
        assert_eq!(
            plain.body_excerpt.as_deref(),
            Some("<html>bad gateway</html>")
        );
    }
}
