//! The client and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::bounds::{MAX_TIMEOUT, MIN_TIMEOUT, check_range};
use crate::error::{Error, Result};
use crate::json_params;
use crate::operation::{self, FilePart, Method, Operation};
use crate::transport::{RetryClock, RetryPolicy, Transport, TransportConfig};

pub use crate::transport::Response;

/// The Backend API host used when none is configured.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";
/// The API version this library was generated from, sent as `Clerk-API-Version`.
pub const DEFAULT_API_VERSION: &str = crate::generated::SPEC_VERSION;
/// Connect timeout used when none is configured.
pub const DEFAULT_TIMEOUT_CONNECT: Duration = Duration::from_secs(10);
/// Per-attempt timeout for a whole request (send and receive) used when none is configured.
pub const DEFAULT_TIMEOUT_REQUEST: Duration = Duration::from_secs(30);
/// Largest response body accepted when no limit is configured (16 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// The longest per-call timeout [`CallOptions::timeout`] accepts (10 min).
pub const MAX_CALL_TIMEOUT: Duration = Duration::from_secs(600);

/// Options for one call: [`Client::call_with`], [`Client::request_with`],
/// [`Client::pages_with`] and [`Pages::next_with`](crate::Pages::next_with).
///
/// Its JSON form, shared by the C library (`options_json`) and the bindings, is an object
/// with every key optional and unknown keys refused: `{"timeout_ms": N}` with `N` an
/// integer in `1..=600000`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CallOptions {
    /// The call's total time budget, all attempts and waits included (JSON key
    /// `timeout_ms`). The call gets the shorter of this and the client's
    /// [`RetryPolicy::max_elapsed`]; every attempt is capped at what is left of it, and a
    /// spent budget is [`Error::Timeout`]. `None`: the client's budget alone.
    #[serde(
        rename = "timeout_ms",
        default,
        deserialize_with = "deserialize_timeout_ms"
    )]
    pub timeout: Option<Duration>,
}

impl CallOptions {
    /// No options: the call runs as [`Client::call`] would run it.
    pub fn new() -> CallOptions {
        CallOptions::default()
    }

    /// Bounds the whole call (1 ms ..= 10 min; the call refuses other values with
    /// [`Error::InvalidParams`]). Go's context deadlines map onto this.
    pub fn timeout(mut self, timeout: Duration) -> CallOptions {
        self.timeout = Some(timeout);
        self
    }

    /// The per-call timeout, checked against its range.
    pub(crate) fn checked_timeout(&self) -> Result<Option<Duration>> {
        match self.timeout {
            Some(timeout) if timeout.is_zero() || timeout > MAX_CALL_TIMEOUT => {
                Err(Error::invalid_params(format!(
                    "the call timeout must be between 1 ms and 10 min (timeout_ms 1..=600000), got {} ms",
                    timeout.as_millis()
                )))
            }
            timeout => Ok(timeout),
        }
    }
}

/// `timeout_ms`: `null` or an integer number of milliseconds in `1..=600000`.
fn deserialize_timeout_ms<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Duration>, D::Error> {
    let max = MAX_CALL_TIMEOUT.as_millis() as u64;
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        Value::Number(number) if number.as_u64().is_some_and(|ms| (1..=max).contains(&ms)) => {
            Ok(number.as_u64().map(Duration::from_millis))
        }
        other => Err(serde::de::Error::custom(format!(
            "timeout_ms must be an integer number of milliseconds in 1..={max}, got {other}"
        ))),
    }
}

/// Which certificate authorities the client trusts for `https` API URLs.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum RootCertificates {
    /// Mozilla's root store, compiled in (the default; independent of the machine).
    #[default]
    WebPki,
    /// The operating system's trust store (needed behind TLS-intercepting proxies whose
    /// CA is installed on the machine). Loaded once, when the client is built.
    System,
    /// Exactly these PEM-encoded certificates.
    Pem(Vec<u8>),
}

impl fmt::Debug for RootCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootCertificates::WebPki => f.write_str("WebPki"),
            RootCertificates::System => f.write_str("System"),
            RootCertificates::Pem(pem) => write!(f, "Pem({} bytes)", pem.len()),
        }
    }
}

/// A blocking Backend API client.
///
/// Cheap to clone and safe to share between threads: clones share one connection pool,
/// so sequential calls reuse one connection.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    api_url: String,
    api_version: String,
    secret_key: Option<String>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.inner.api_url)
            .field("api_version", &self.inner.api_version)
            .field("secret_key", &self.inner.secret_key.as_deref().map(redact))
            .finish()
    }
}

/// A secret key as it may be shown: its kind prefix only.
pub(crate) fn redact(secret: &str) -> String {
    let prefix: String = secret.chars().take_while(|c| *c != '_').take(8).collect();
    let kind = secret
        .split('_')
        .nth(1)
        .filter(|kind| matches!(*kind, "test" | "live"))
        .map(|kind| format!("_{kind}_"))
        .unwrap_or_else(|| "_".to_owned());
    format!("{prefix}{kind}[redacted]")
}

/// Configures and builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    secret_key: Option<String>,
    api_url: String,
    api_version: String,
    timeout_connect: Duration,
    timeout_request: Duration,
    retry: RetryPolicy,
    user_agent: Option<String>,
    root_certificates: RootCertificates,
    proxy: Option<String>,
    proxy_from_env: bool,
    max_response_bytes: u64,
    extra_headers: Vec<(String, String)>,
    retry_clock: Option<Arc<dyn RetryClock>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("secret_key", &self.secret_key.as_deref().map(redact))
            .field("api_url", &self.api_url)
            .field("api_version", &self.api_version)
            .field("timeout_connect", &self.timeout_connect)
            .field("timeout_request", &self.timeout_request)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("root_certificates", &self.root_certificates)
            .field("proxy", &self.proxy.as_ref().map(|_| "[set]"))
            .field("proxy_from_env", &self.proxy_from_env)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry_clock", &self.retry_clock.as_ref().map(|_| "[set]"))
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            secret_key: None,
            api_url: DEFAULT_API_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            timeout_connect: DEFAULT_TIMEOUT_CONNECT,
            timeout_request: DEFAULT_TIMEOUT_REQUEST,
            retry: RetryPolicy::default(),
            user_agent: None,
            root_certificates: RootCertificates::WebPki,
            proxy: None,
            proxy_from_env: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            extra_headers: Vec::new(),
            retry_clock: None,
        }
    }
}

impl ClientBuilder {
    /// The secret key (`sk_live_...` / `sk_test_...`) sent as `Authorization: Bearer`.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(secret_key.into());
        self
    }

    /// The API host, e.g. `https://api.clerk.com` (the client adds `/v1`). `http` is
    /// accepted only for loopback hosts (a local emulator). It must be a bare
    /// `scheme://host[:port]` (a trailing `/` is dropped): no path, query, fragment or
    /// userinfo, an IPv6 host in brackets, a port in 1..=65535.
    pub fn api_url(mut self, api_url: impl Into<String>) -> Self {
        self.api_url = api_url.into();
        self
    }

    /// The `Clerk-API-Version` header; defaults to the spec version this library was
    /// generated from.
    pub fn api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// How long to wait for a TCP + TLS connection (default 10 s; 1 ms ..= 10 min).
    pub fn timeout_connect(mut self, timeout: Duration) -> Self {
        self.timeout_connect = timeout;
        self
    }

    /// How long one attempt of a request may take in all (default 30 s; 1 ms ..= 10 min).
    /// An attempt never
    /// gets more than what is left of the call's total budget
    /// ([`RetryPolicy::max_elapsed`]).
    pub fn timeout_request(mut self, timeout: Duration) -> Self {
        self.timeout_request = timeout;
        self
    }

    /// When failed requests are retried (default: [`RetryPolicy::default`]); build one
    /// with [`RetryPolicy::builder`], which checks its ranges.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the clock, the sleep between attempts and the jitter source of the retry
    /// loop, for tests that assert the exact waits (`clerk_core::testing::RecordingClock`).
    /// Not a stable interface.
    #[doc(hidden)]
    pub fn retry_clock(mut self, clock: Arc<dyn RetryClock>) -> Self {
        self.retry_clock = Some(clock);
        self
    }

    /// Your application's name, sent before this library's own `User-Agent` token (no
    /// control characters).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Which certificate authorities to trust (default: compiled-in Mozilla roots). PEM data
    /// must hold at least one certificate, and every certificate in it must parse.
    pub fn root_certificates(mut self, roots: RootCertificates) -> Self {
        self.root_certificates = roots;
        self
    }

    /// An explicit proxy, e.g. `http://proxy.internal:3128` or `socks5://...`.
    pub fn proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxy = Some(proxy.into());
        self
    }

    /// Honour `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` from the environment (off by
    /// default, so a stray variable never reroutes the secret key). An explicit
    /// [`proxy`](Self::proxy) wins.
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.proxy_from_env = enabled;
        self
    }

    /// The largest response body accepted, in bytes (default 16 MiB; 1 ..= 1 GiB).
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// An additional header sent with every request (e.g. for a gateway or tracing). The
    /// name must be a valid HTTP field name and the value hold no CR, LF or other control
    /// character (tab is fine). `Authorization`, `Clerk-API-Version`, `User-Agent`,
    /// `Content-Type`, `Content-Length`, `Transfer-Encoding` and `Host` are set by the
    /// client and cannot be given here.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.into(), value.into()));
        self
    }

    /// Validates every setting and builds the client: a value out of its documented range,
    /// an API URL that is no bare `scheme://host[:port]`, unparsable root certificates or an
    /// invalid header is an [`Error::Config`] naming the setting, never a failure at the
    /// first call.
    pub fn build(self) -> Result<Client> {
        let api_url = self.api_url.trim_end_matches('/').to_owned();
        check_api_url(&api_url)?;
        if let Some(key) = &self.secret_key {
            if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::config(
                    "secret_key is empty or contains whitespace or control characters",
                ));
            }
        }
        if self.api_version.is_empty() || !self.api_version.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::config(
                "api_version must be non-empty printable ASCII",
            ));
        }
        check_range(
            "timeout_connect",
            self.timeout_connect,
            MIN_TIMEOUT,
            MAX_TIMEOUT,
        )?;
        check_range(
            "timeout_request",
            self.timeout_request,
            MIN_TIMEOUT,
            MAX_TIMEOUT,
        )?;
        if !(1..=MAX_RESPONSE_BYTES_LIMIT).contains(&self.max_response_bytes) {
            return Err(Error::config(format!(
                "max_response_bytes must be between 1 and {MAX_RESPONSE_BYTES_LIMIT} (1 GiB), got {}",
                self.max_response_bytes
            )));
        }
        let proxy = match (&self.proxy, self.proxy_from_env) {
            (Some(proxy), _) => Some(
                ureq::Proxy::new(proxy)
                    .map_err(|e| Error::config(format!("proxy is invalid: {e}")))?,
            ),
            (None, true) => ureq::Proxy::try_from_env(),
            (None, false) => None,
        };
        for (name, value) in &self.extra_headers {
            check_extra_header(name, value)?;
        }
        let root_certs = load_roots(&self.root_certificates)?;
        let user_agent = match &self.user_agent {
            Some(app) if app.chars().any(char::is_control) => {
                return Err(Error::config(
                    "user_agent must not contain control characters",
                ));
            }
            Some(app) => format!("{app} {}", library_user_agent()),
            None => library_user_agent(),
        };
        let transport = Transport::new(TransportConfig {
            base_url: format!("{api_url}/v1"),
            secret_key: self.secret_key.clone(),
            api_version: self.api_version.clone(),
            user_agent,
            retry: self.retry,
            clock: self.retry_clock,
            max_response_bytes: self.max_response_bytes,
            timeout_connect: self.timeout_connect,
            timeout_request: self.timeout_request,
            root_certs,
            proxy,
            extra_headers: self.extra_headers,
        });
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                api_url,
                api_version: self.api_version,
                secret_key: self.secret_key,
            }),
        })
    }
}

/// `libclerk/<version>`: this library's `User-Agent` token.
pub fn library_user_agent() -> String {
    format!("libclerk/{}", env!("CARGO_PKG_VERSION"))
}

/// The largest `max_response_bytes` (1 GiB).
const MAX_RESPONSE_BYTES_LIMIT: u64 = 1 << 30;

/// An extra header must be a valid HTTP field, and none the client sets or frames the
/// request with.
fn check_extra_header(name: &str, value: &str) -> Result<()> {
    use ureq::http::{HeaderName, HeaderValue};
    if name.is_empty() || HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(Error::config(format!(
            "header name {name:?} is not a valid HTTP field name"
        )));
    }
    if HeaderValue::from_str(value).is_err() {
        return Err(Error::config(format!(
            "header {name:?}: the value must not contain CR, LF or other control characters"
        )));
    }
    const RESERVED: [&str; 7] = [
        "authorization",
        "clerk-api-version",
        "user-agent",
        "content-type",
        "content-length",
        "transfer-encoding",
        "host",
    ];
    if RESERVED
        .iter()
        .any(|reserved| name.eq_ignore_ascii_case(reserved))
    {
        return Err(Error::config(format!(
            "the {name} header is set by the client and cannot be overridden"
        )));
    }
    Ok(())
}

/// Requires a bare origin, `scheme://host[:port]` (no path, query, fragment or userinfo),
/// with `https`, or `http` for loopback hosts only.
fn check_api_url(api_url: &str) -> Result<()> {
    // Userinfo may hold a password: never echo it.
    let shown = match api_url.split_once("://") {
        Some((scheme, rest)) if rest.contains('@') => {
            let after = rest.rsplit_once('@').map_or("", |(_, after)| after);
            format!("{scheme}://[redacted]@{after}")
        }
        _ => api_url.to_owned(),
    };
    let bad = |why: &str| Error::config(format!("api_url {shown:?} {why}"));
    let (scheme, authority) = api_url
        .split_once("://")
        .ok_or_else(|| bad("has no scheme: give https://host"))?;
    if let Some(c) = authority
        .chars()
        .find(|c| matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace() || c.is_control())
    {
        return Err(bad(match c {
            '/' => "must be a host only, without a path (the client adds /v1)",
            '?' => "must not have a query",
            '#' => "must not have a fragment",
            '@' => "must not carry userinfo (user:password@)",
            _ => "holds a character no host has (whitespace, control or backslash)",
        }));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (inside, after) = bracketed
                .split_once(']')
                .ok_or_else(|| bad("has an unclosed \"[\" in its host"))?;
            if inside.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("has no valid IPv6 address inside [...]"));
            }
            let port = match after {
                "" => None,
                after => Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("has text after the \"]\" of its host"))?,
                ),
            };
            (inside, port)
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if !authority.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(bad(
            "has an invalid host (an IPv6 address goes in brackets: http://[::1]:8080)",
        ));
    }
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(1..) if port.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return Err(bad("has an invalid port: it must be a number in 1..=65535")),
        }
    }
    if let Err(error) = format!("{api_url}/v1").parse::<ureq::http::Uri>() {
        return Err(bad(&format!("is not a valid URL: {error}")));
    }
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err(bad(
            "uses http: only https is allowed, except for loopback hosts",
        )),
        other => Err(bad(&format!("has the unsupported scheme {other:?}"))),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn load_roots(roots: &RootCertificates) -> Result<ureq::tls::RootCerts> {
    use ureq::tls::{Certificate, RootCerts};
    match roots {
        RootCertificates::WebPki => Ok(RootCerts::WebPki),
        RootCertificates::System => {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                return Err(Error::config(format!(
                    "root_certificates: no system root certificates found{}",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", why.join("; "))
                    }
                )));
            }
            Ok(RootCerts::new_with_certs(
                &found
                    .certs
                    .iter()
                    .map(|der| Certificate::from_der(der.as_ref()).to_owned())
                    .collect::<Vec<_>>(),
            ))
        }
        RootCertificates::Pem(pem) => {
            let certs = parse_pem_certificates(pem)?;
            Ok(RootCerts::new_with_certs(&certs))
        }
    }
}

/// Every certificate of the PEM data, each checked to parse as a trust anchor now (not at
/// the first TLS handshake).
fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<ureq::tls::Certificate<'static>>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::config(format!("root_certificates: invalid PEM data: {e}")))?;
    if certs.is_empty() {
        return Err(Error::config(
            "root_certificates: the PEM data holds no CERTIFICATE block",
        ));
    }
    let mut store = rustls::RootCertStore::empty();
    for (index, der) in certs.iter().enumerate() {
        store.add(der.clone()).map_err(|e| {
            Error::config(format!(
                "root_certificates: certificate {} of the PEM data does not parse: {e}",
                index + 1
            ))
        })?;
    }
    Ok(certs
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
        .collect())
}

impl Client {
    /// A builder with the defaults (no secret key, `https://api.clerk.com`).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `CLERK_SECRET_KEY` (required),
    /// `CLERK_API_URL` (default `https://api.clerk.com`) and `CLERK_API_VERSION`
    /// (default the spec version).
    pub fn from_env() -> Result<Client> {
        Self::builder_from_env()?.build()
    }

    /// A builder preset from the environment, as [`from_env`](Self::from_env) reads it,
    /// for adding further settings.
    pub fn builder_from_env() -> Result<ClientBuilder> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let secret_key =
            var("CLERK_SECRET_KEY").ok_or_else(|| Error::config("CLERK_SECRET_KEY is not set"))?;
        let mut builder = Client::builder().secret_key(secret_key.trim());
        if let Some(url) = var("CLERK_API_URL") {
            builder = builder.api_url(url.trim());
        }
        if let Some(version) = var("CLERK_API_VERSION") {
            builder = builder.api_version(version.trim());
        }
        Ok(builder)
    }

    /// The API host, without `/v1`.
    pub fn api_url(&self) -> &str {
        &self.inner.api_url
    }

    /// The `Clerk-API-Version` this client sends.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// Whether a secret key is configured (a verifier fetches the JWKS only then). The key
    /// itself is never handed out.
    pub fn has_secret_key(&self) -> bool {
        self.inner.secret_key.is_some()
    }

    /// The `User-Agent` header this client sends.
    pub fn user_agent(&self) -> &str {
        self.inner.transport.user_agent()
    }

    /// Calls an operation by `operationId` (`GetUserList`) or `resource.method` name
    /// (`users.list`) with the flat params object (see [the params contract](crate#the-params-contract) for the
    /// contract), returning the response body as the server sent it.
    pub fn call(&self, name: &str, params: &Value) -> Result<Response> {
        self.call_with(name, params, &CallOptions::default())
    }

    /// [`call`](Self::call) with options for this call, e.g. a timeout:
    /// `client.call_with("users.list", &params, &CallOptions::new().timeout(d))`.
    pub fn call_with(&self, name: &str, params: &Value, options: &CallOptions) -> Result<Response> {
        #[cfg(feature = "testing")]
        crate::testing::panic_hook(name);
        let op = operation::find(name).ok_or_else(|| Error::UnknownOperation {
            name: name.to_owned(),
        })?;
        self.call_operation_with(op, params, options)
    }

    /// [`call`](Self::call) for a multipart operation with its file parameters given as
    /// bytes, e.g. `client.call_with_files("users.set_profile_image", &json!({"user_id":
    /// id}), &[FilePart::new("file", "me.png", &bytes).with_content_type("image/png")])`.
    /// Each file names a file parameter of the operation that is not also in `params`
    /// (else [`Error::InvalidParams`]); nothing is base64-encoded on the way.
    pub fn call_with_files(
        &self,
        name: &str,
        params: &Value,
        files: &[FilePart<'_>],
    ) -> Result<Response> {
        let op = operation::find(name).ok_or_else(|| Error::UnknownOperation {
            name: name.to_owned(),
        })?;
        let outgoing = json_params::build_request_with_files(op, params, files)?;
        self.inner.transport.send(&outgoing, None)
    }

    /// [`call`](Self::call) with the params given as JSON text (empty text means `{}`).
    pub fn call_json(&self, name: &str, params_json: &str) -> Result<Response> {
        let params = parse_params(params_json)?;
        self.call(name, &params)
    }

    /// Calls the given operation with the flat params object.
    pub fn call_operation(&self, op: &'static Operation, params: &Value) -> Result<Response> {
        self.call_operation_with(op, params, &CallOptions::default())
    }

    /// [`call_operation`](Self::call_operation) with options for this call.
    pub fn call_operation_with(
        &self,
        op: &'static Operation,
        params: &Value,
        options: &CallOptions,
    ) -> Result<Response> {
        let timeout = options.checked_timeout()?;
        let outgoing = json_params::build_request(op, params)?;
        self.inner.transport.send(&outgoing, timeout)
    }

    /// The HTTP request [`call`](Self::call) would send for `name` and `params`, built
    /// but not sent: method, URL, the client's headers and the body (the agent adds
    /// `User-Agent`, `Accept` and `Content-Length` when sending). For tests that check
    /// requests offline (the fuzz targets in `fuzz/`); not a stable API.
    #[doc(hidden)]
    pub fn prepare_request(
        &self,
        name: &str,
        params: &Value,
    ) -> Result<ureq::http::Request<Vec<u8>>> {
        let op = operation::find(name).ok_or_else(|| Error::UnknownOperation {
            name: name.to_owned(),
        })?;
        let outgoing = json_params::build_request(op, params)?;
        self.inner.transport.http_request(&outgoing)
    }

    /// Calls an operation with typed params and decodes the response into `R`.
    pub fn call_typed<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        op: &'static Operation,
        params: &P,
    ) -> Result<R> {
        let params = to_params(params)?;
        self.call_operation(op, &params)?.json()
    }

    /// The raw escape hatch: any method and path below the API root (`{api_url}/v1`),
    /// e.g. `client.request(Method::Get, "/users", &[("limit".into(), "5".into())], None)`.
    /// The path is sent as given (encode ids yourself); query values are encoded here. A
    /// path with a dot-segment (`/users/../x`, also `%2E`-encoded) is refused with
    /// [`Error::InvalidParams`]: a normalising hop would turn it into another path.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Response> {
        self.request_with(method, path, query, body, &CallOptions::default())
    }

    /// [`request`](Self::request) with options for this call.
    pub fn request_with(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        options: &CallOptions,
    ) -> Result<Response> {
        let timeout = options.checked_timeout()?;
        json_params::check_request_path(path)?;
        let mut path_and_query = path.to_owned();
        let mut encoded = String::new();
        for (name, value) in query {
            json_params::append_query(&mut encoded, name, &Value::String(value.clone()));
        }
        if !encoded.is_empty() {
            path_and_query.push(if path.contains('?') { '&' } else { '?' });
            path_and_query.push_str(&encoded);
        }
        let body = match body {
            Some(body) => Some((
                "application/json".to_owned(),
                serde_json::to_vec(body).map_err(|e| Error::invalid_params(e.to_string()))?,
            )),
            None => None,
        };
        self.inner.transport.send(
            &crate::transport::Outgoing {
                method,
                path_template: "(raw request)",
                path_and_query,
                body,
            },
            timeout,
        )
    }

    /// The full URL below which every operation path is appended (`{api_url}/v1`).
    pub fn base_url(&self) -> &str {
        self.inner.transport.base_url()
    }
}

/// Parses params JSON text; empty or blank text means `{}`. Not public API: shared with
/// the `clerk` CLI (a sibling target) so that both read params text alike.
#[doc(hidden)]
pub fn parse_params(params_json: &str) -> Result<Value> {
    if params_json.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(params_json)
        .map_err(|e| Error::invalid_params(format!("params are not valid JSON: {e}")))
}

pub(crate) fn to_params<P: Serialize + ?Sized>(params: &P) -> Result<Value> {
    serde_json::to_value(params)
        .map_err(|e| Error::invalid_params(format!("cannot serialise params: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_refused_except_for_loopback() {
        for ok in [
            "https://api.clerk.com",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "https://api.clerk.com/",
        ] {
            assert!(Client::builder().api_url(ok).build().is_ok(), "{ok}");
        }
        for bad in [
            "http://api.clerk.com",
            "http://10.0.0.1",
            "ftp://x",
            "api.clerk.com",
            "https://api.clerk.com/v1",
            "https://user@host",
        ] {
            let error = Client::builder().api_url(bad).build().unwrap_err();
            assert_eq!(error.kind(), "config", "{bad}: {error}");
        }
    }

    #[test]
    fn secret_key_is_redacted_in_debug() {
        let secret = "sk_test_SuperSecretValue123";
        let builder = Client::builder().secret_key(secret);
        assert!(!format!("{builder:?}").contains("SuperSecret"));
        let client = builder.build().unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("SuperSecret"), "{shown}");
        assert!(shown.contains("sk_test_[redacted]"), "{shown}");
    }

    #[test]
    fn bad_settings_are_config_errors() {
        assert!(Client::builder().secret_key("sk_test_a b").build().is_err());
        assert!(Client::builder().api_version("").build().is_err());
        assert!(Client::builder().proxy("::not a proxy::").build().is_err());
        assert!(
            Client::builder()
                .root_certificates(RootCertificates::Pem(b"not pem".to_vec()))
                .build()
                .is_err()
        );
        let zero = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
        assert_eq!(zero.kind(), "config", "{zero}");
    }
}
