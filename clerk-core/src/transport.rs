//! One `ureq` agent behind every request: headers, timeouts, retries, body limits and
//! error mapping live here and nowhere else.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use ureq::http;

use crate::bounds::{
    MAX_ATTEMPTS_LIMIT, MAX_BACKOFF_LIMIT, MAX_INITIAL_BACKOFF, MAX_TIMEOUT, MIN_TIMEOUT,
    check_range, show,
};
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
///
/// Built with [`RetryPolicy::builder`], which checks every value against its range, so
/// a policy in hand is always valid:
///
/// ```
/// use std::time::Duration;
/// use clerk_core::RetryPolicy;
/// let policy = RetryPolicy::builder()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(200))
///     .max_elapsed(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(policy.max_backoff(), RetryPolicy::default().max_backoff());
/// assert!(RetryPolicy::builder().max_attempts(0).build().is_err());
/// # Ok::<(), clerk_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
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
    /// A builder starting from [`RetryPolicy::default`].
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: RetryPolicy::default(),
        }
    }

    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included; `1` means no retries.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before the first retry, before jitter.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest wait between two attempts (also the longest `Retry-After` honoured).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The total time budget of a call: all its attempts and waits.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The jittered wait before retry number `retry` (1-based), from a random `random`.
    fn backoff(&self, retry: u32, random: u64) -> Duration {
        let exponent = retry.saturating_sub(1).min(16);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // Full jitter: uniform in [ceiling/2, ceiling], so waits never collapse to zero.
        let half = ceiling / 2;
        let spread = half.as_nanos() as u64;
        let jitter = if spread == 0 { 0 } else { random % spread };
        half + Duration::from_nanos(jitter)
    }
}

/// Builds a [`RetryPolicy`]; every setting starts at its default.
#[derive(Debug, Clone)]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Attempts in all, the first included; `1` disables retries. Default 3; 1..=10.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// The wait before the first retry, before jitter. Default 500 ms; 0 ..= 1 min.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.policy.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts (also caps `Retry-After`: a longer one ends
    /// the retries). Default 10 s; 0 ..= 5 min, and not below `initial_backoff`.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.policy.max_backoff = backoff;
        self
    }

    /// The total time budget for all attempts and waits. Default 30 s; 1 ms ..= 10 min.
    /// Every attempt is capped at what is left of it, so a call ends with
    /// [`Error::Timeout`] once it is spent, even in the middle of an attempt.
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.policy.max_elapsed = budget;
        self
    }

    /// Checks every value against its range: out of it, an [`Error::Config`] naming the
    /// setting and the range (`retry max_attempts must be between 1 and 10, got 0`).
    pub fn build(self) -> Result<RetryPolicy> {
        check_retry_policy(&self.policy)?;
        Ok(self.policy)
    }
}

/// Where the retry loop reads the time, waits between attempts and draws its jitter.
/// Without one the client uses the monotonic clock, `std::thread::sleep` and a random
/// number; a test supplies its own (`clerk_core::testing::RecordingClock`) to assert the
/// exact waits requested instead of measuring wall time. Not a stable interface.
#[doc(hidden)]
pub trait RetryClock: Send + Sync {
    /// The time now; deadlines are measured against it.
    fn now(&self) -> Instant;
    /// Waits `duration` between two attempts.
    fn sleep(&self, duration: Duration);
    /// A random number for the jitter of a backoff.
    fn random(&self) -> u64;
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
    /// `None`: the real clock, sleep and jitter (no indirection in normal use).
    clock: Option<Arc<dyn RetryClock>>,
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
    pub clock: Option<Arc<dyn RetryClock>>,
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
            clock: config.clock,
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

    fn now(&self) -> Instant {
        match &self.clock {
            Some(clock) => clock.now(),
            None => Instant::now(),
        }
    }

    fn sleep(&self, duration: Duration) {
        match &self.clock {
            Some(clock) => clock.sleep(duration),
            None => std::thread::sleep(duration),
        }
    }

    fn random(&self) -> u64 {
        match &self.clock {
            Some(clock) => clock.random(),
            None => random_u64(),
        }
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
        let started = self.now();
        let budget = match call_timeout {
            Some(timeout) if timeout < self.retry.max_elapsed => Budget::Call(timeout),
            _ => Budget::Client(self.retry.max_elapsed),
        };
        let deadline = started + budget.duration();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(self.now());
            let result = if left.is_zero() {
                Err(budget.exhausted(attempt - 1))
            } else {
                self.attempt(outgoing, left, &budget, attempt)
            };
            let wait = match &result {
                Ok(_) => None,
                Err(error) => self.retry_wait(outgoing.method, error, attempt),
            };
            let wait = wait.filter(|wait| self.now() + *wait < deadline);
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
                    self.sleep(wait);
                }
                None => {
                    let elapsed = self.now().saturating_duration_since(started);
                    self.log_outcome(outgoing, &result, attempt, elapsed);
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
        let backoff = self.retry.backoff(attempt, self.random());
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
        let builder = self.request_builder(outgoing);
        let sent = match &outgoing.body {
            Some((_, bytes)) => {
                let request = builder.body(bytes.as_slice()).map_err(unbuildable)?;
                self.run(request, left)
            }
            // A method that carries a body carries a Content-Length, 0 for none: ureq would
            // send a body-less POST as `Transfer-Encoding: chunked`, which proxies and WAFs
            // answer with 411.
            None if matches!(outgoing.method, Method::Post | Method::Put | Method::Patch) => {
                let request = builder.body(&[][..]).map_err(unbuildable)?;
                self.run(request, left)
            }
            None => {
                let request = builder.body(()).map_err(unbuildable)?;
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
        let retry_after = header_value(&response, "retry-after")
            .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now()));
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
    /// Method, URL and headers of the request, less the agent's own (`User-Agent`,
    /// `Accept`, `Content-Length`): the one place they are set, shared by
    /// [`attempt`](Self::attempt) and [`http_request`](Self::http_request).
    fn request_builder(&self, outgoing: &Outgoing<'_>) -> http::request::Builder {
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
        if let Some((content_type, _)) = &outgoing.body {
            builder = builder.header("Content-Type", content_type);
        }
        builder
    }

    /// The request [`send`](Self::send) would put on the wire, built but not sent (for
    /// the fuzz tests, which check every built request is well-formed).
    pub(crate) fn http_request(&self, outgoing: &Outgoing<'_>) -> Result<http::Request<Vec<u8>>> {
        let body = outgoing
            .body
            .as_ref()
            .map(|(_, bytes)| bytes.clone())
            .unwrap_or_default();
        self.request_builder(outgoing)
            .body(body)
            .map_err(|e| Error::config(format!("cannot build request: {e}")))
    }

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
            // Name the server: "Connection refused" alone does not say which URL was tried.
            other => match map_ureq_error(other) {
                Error::Transport {
                    message,
                    not_sent,
                    source,
                } => Error::Transport {
                    message: format!(
                        "{}: {message}",
                        self.base_url.strip_suffix("/v1").unwrap_or(&self.base_url)
                    ),
                    not_sent,
                    source,
                },
                mapped => mapped,
            },
        }
    }
}

/// A request the HTTP layer cannot represent. Header names and values are checked when
/// the client is built, so what is left is the URI made from the caller's parameters
/// (beyond 64 KiB, say): a parameter error, not a configuration one.
fn unbuildable(error: http::Error) -> Error {
    Error::InvalidParams {
        message: format!("cannot build the request from these parameters: {error}"),
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

/// `Retry-After` as delay-seconds (fractions tolerated) or as an HTTP-date (RFC 9110
/// section 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms), measured
/// against `now`. Either form is capped at one day; a date in the past means "now" (0).
/// Anything else is ignored, and the backoff then applies.
fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    const CAP_SECONDS: u64 = 86_400;
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(CAP_SECONDS as f64)));
    }
    let at = parse_http_date(value)?;
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let seconds = at.saturating_sub(now).clamp(0, CAP_SECONDS as i64);
    Some(Duration::from_secs(seconds as u64))
}

/// An HTTP-date as seconds since the Unix epoch, or `None` when it is none of the three
/// forms RFC 9110 section 5.6.7 names (which recipients must all accept):
/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`,
/// `Sun Nov  6 08:49:37 1994`. The weekday is not checked against the date.
fn parse_http_date(value: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = |name: &str| MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1);
    let number = |text: &str, digits: std::ops::RangeInclusive<usize>| -> Option<u32> {
        (digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let time = |text: &str| -> Option<(u32, u32, u32)> {
        let mut parts = text.split(':');
        let hms = (
            number(parts.next()?, 2..=2)?,
            number(parts.next()?, 2..=2)?,
            number(parts.next()?, 2..=2)?,
        );
        // 60 is a leap second, which the format allows.
        (parts.next().is_none() && hms.0 < 24 && hms.1 < 60 && hms.2 <= 60).then_some(hms)
    };
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let (year, month, day, (hour, minute, second)) = match fields.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [weekday, day, mon, year, hms, "GMT"] if weekday.ends_with(',') => (
            number(year, 4..=4)?,
            month(mon)?,
            number(day, 2..=2)?,
            time(hms)?,
        ),
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (a two-digit year below 70 is 20xx).
        [weekday, date, hms, "GMT"] if weekday.ends_with(',') => {
            let mut parts = date.split('-');
            let (day, mon, yy) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            let yy = number(yy, 2..=2)?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            (year, month(mon)?, number(day, 2..=2)?, time(hms)?)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_weekday, mon, day, hms, year] => (
            number(year, 4..=4)?,
            month(mon)?,
            number(day, 1..=2)?,
            time(hms)?,
        ),
        _ => return None,
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
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

/// The retry policy's ranges: 1..=10 attempts, a first backoff of at most 1 min, a
/// longest wait of at most 5 min and not below the first, a total budget of 1 ms..=10 min.
fn check_retry_policy(retry: &RetryPolicy) -> Result<()> {
    if !(1..=MAX_ATTEMPTS_LIMIT).contains(&retry.max_attempts()) {
        return Err(Error::config(format!(
            "retry max_attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}, got {}",
            retry.max_attempts()
        )));
    }
    check_range(
        "retry initial_backoff",
        retry.initial_backoff(),
        Duration::ZERO,
        MAX_INITIAL_BACKOFF,
    )?;
    check_range(
        "retry max_backoff",
        retry.max_backoff(),
        Duration::ZERO,
        MAX_BACKOFF_LIMIT,
    )?;
    if retry.max_backoff() < retry.initial_backoff() {
        return Err(Error::config(format!(
            "retry max_backoff ({}) must not be shorter than initial_backoff ({})",
            show(retry.max_backoff()),
            show(retry.initial_backoff())
        )));
    }
    check_range(
        "retry max_elapsed",
        retry.max_elapsed(),
        MIN_TIMEOUT,
        MAX_TIMEOUT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_bounds() {
        let policy = RetryPolicy::builder()
            .max_attempts(10)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(800))
            .max_elapsed(Duration::from_secs(60))
            .build()
            .unwrap();
        for retry in 1..10 {
            let ceiling =
                (Duration::from_millis(100) * (1 << (retry - 1))).min(Duration::from_millis(800));
            // The jitter source's extremes give the ends of [ceiling/2, ceiling).
            assert_eq!(policy.backoff(retry, 0), ceiling / 2, "retry {retry}");
            let spread = (ceiling / 2).as_nanos() as u64;
            assert_eq!(
                policy.backoff(retry, spread - 1),
                ceiling - Duration::from_nanos(1),
                "retry {retry}"
            );
            assert_eq!(
                policy.backoff(retry, spread),
                ceiling / 2,
                "wraps, retry {retry}"
            );
            for _ in 0..20 {
                let wait = policy.backoff(retry, random_u64());
                assert!(
                    wait >= ceiling / 2 && wait < ceiling,
                    "retry {retry}: {wait:?}"
                );
            }
        }
        let none = RetryPolicy::builder()
            .initial_backoff(Duration::ZERO)
            .build()
            .unwrap();
        assert_eq!(none.backoff(1, u64::MAX), Duration::ZERO);
    }

    /// 2015-10-21T07:28:00Z, the instant of the RFC examples below.
    fn at(seconds_after: i64) -> std::time::SystemTime {
        let base = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        if seconds_after >= 0 {
            base + Duration::from_secs(seconds_after as u64)
        } else {
            base - Duration::from_secs(seconds_after.unsigned_abs())
        }
    }

    #[test]
    fn retry_after_parses_seconds() {
        let now = at(0);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        assert_eq!(
            parse_retry_after("1e9", now),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retry_after_parses_every_http_date_form_against_now() {
        // Wed, 21 Oct 2015 07:28:00 GMT is `at(0)`; asked from 10 s before it, 10 s.
        let before = at(-10);
        for form in [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
        ] {
            assert_eq!(
                parse_retry_after(form, before),
                Some(Duration::from_secs(10)),
                "{form}"
            );
        }
        assert_eq!(
            parse_retry_after("Wed Oct  1 07:28:00 2015", at(-20 * 86_400 - 5)),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:60 GMT"),
            Some(1_835_481_600)
        );
    }

    #[test]
    fn retry_after_date_in_the_past_is_zero_and_far_future_is_capped() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at(3_600)),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", at(0)),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn retry_after_refuses_malformed_dates() {
        let now = at(0);
        for bad in [
            "Wed, 21 Oct 2015 07:28:00 UTC",
            "Wed, 21 Oct 2015 07:28 GMT",
            "Wed, 21 Okt 2015 07:28:00 GMT",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            "Wed, 29 Feb 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 24:00:00 GMT",
            "Wed, 21 Oct 15 07:28:00 GMT",
            "Wed 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-2015 07:28:00 GMT",
            "Wed Oct 21 07:28:00",
            "2015-10-21T07:28:00Z",
            "",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
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
