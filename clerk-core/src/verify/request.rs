//! Authenticating an incoming HTTP request as `@clerk/backend` 3.25's
//! `authenticateRequest` does: the header and cookie flows, the handshake (its redirect
//! location and response headers, and the resolution of a `__clerk_handshake` token),
//! development instances' dev-browser token, satellite domains, proxy URLs, the
//! redirect-loop guard, cross-origin referrers, organization sync and machine tokens.
//!
//! Deliberate deviations (asserted by `tests/differential/requests.mjs`):
//! - without a publishable key the core still authenticates (the reference throws): the
//!   instance counts as production, unsuffixed cookies are read and handshake states
//!   carry no location; without a secret key likewise (the verifier holds the keys).
//!   [`AuthenticateOptions::check_reference_keys`] restores the reference's checks;
//! - no token refresh (`__refresh` cookie): an expired session is reported as the
//!   reference reports it without an API client
//!   (`session-token-expired-refresh-missing-api-client`);
//! - a handshake nonce (`__clerk_handshake_nonce`) is not exchanged (the spec has no
//!   operation for it): it resolves like the reference without an API client, to no
//!   cookies;
//! - Vercel's automatic proxy (read from environment variables) is not applied;
//! - URLs are parsed by a small WHATWG subset (see `url.rs`): no IDNA or path
//!   normalisation.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::checks::ClaimRules;
use super::handshake::{self, HandshakeParams};
use super::machine::{self, MachineBackend, MachineTokenType};
use super::options::{
    AcceptsToken, AuthenticateOptions, InstanceType, TokenType, parse_publishable_key,
};
use super::org_sync::{OrganizationMatcher, SyncTarget};
use super::pipeline::Inner;
use super::url::{Url, percent_decode};
use super::{Reason, SessionClaims, Verifier, VerifyError, jwt};

/// The parts of a request that authentication reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInfo {
    /// The HTTP method (default `GET`).
    #[serde(default = "default_method")]
    pub method: String,
    /// The absolute request URL (default `http://localhost/`); `x-forwarded-host`,
    /// `x-forwarded-proto` and `host` override its origin, as in the reference.
    #[serde(default)]
    pub url: Option<String>,
    /// Header names (any case) to values; `Cookie` included.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn default_method() -> String {
    "GET".to_owned()
}

impl RequestInfo {
    /// A request from a method and header pairs.
    pub fn new<'a>(
        method: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> RequestInfo {
        RequestInfo {
            method: method.to_owned(),
            url: None,
            headers: headers
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    /// The same request at a URL.
    pub fn with_url(mut self, url: impl Into<String>) -> RequestInfo {
        self.url = Some(url.into());
        self
    }

    /// A header by case-insensitive name; empty values count as absent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// A cookie by exact name (the first occurrence), parsed as the reference's `cookie`
    /// package does (quotes removed, percent-decoded).
    pub fn cookie(&self, name: &str) -> Option<String> {
        parse_cookies(self.header("cookie").unwrap_or_default())
            .remove(name)
            .filter(|value| !value.is_empty())
    }
}

/// `cookie.parse`: the first occurrence of each name wins.
fn parse_cookies(header: &str) -> BTreeMap<String, String> {
    let mut cookies = BTreeMap::new();
    for pair in header.split(';') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || cookies.contains_key(key) {
            continue;
        }
        let mut value = value.trim();
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            value = &value[1..value.len() - 1];
        }
        let value = if value.contains('%') {
            percent_decode(value)
        } else {
            value.to_owned()
        };
        cookies.insert(key.to_owned(), value);
    }
    cookies
}

/// The response headers a state asks the host to set, in order (lowercase names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHeaders(Vec<(String, String)>);

impl ResponseHeaders {
    /// The redirect target (`location`), on handshake states.
    pub fn location(&self) -> Option<&str> {
        self.get("location")
    }

    /// The `Set-Cookie` values, one each.
    pub fn set_cookies(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(name, _)| name == "set-cookie")
            .map(|(_, value)| value.as_str())
    }

    /// A header's first value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every `(name, value)` pair in order; `set-cookie` may repeat.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter().position(|(key, _)| key == name) {
            Some(index) => {
                self.0[index].1 = value;
                let mut seen = false;
                self.0.retain(|(key, _)| {
                    if key != name {
                        return true;
                    }
                    let keep = !seen;
                    seen = true;
                    keep
                });
            }
            None => self.0.push((name.to_owned(), value)),
        }
    }

    fn append(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        if name != "set-cookie" {
            // `Headers.append` joins repeated values of other headers.
            if let Some(entry) = self.0.iter_mut().find(|(key, _)| key == name) {
                entry.1 = format!("{}, {value}", entry.1);
                return;
            }
        }
        self.0.push((name.to_owned(), value));
    }
}

impl Serialize for ResponseHeaders {
    /// `{"name": "value", ..., "set-cookie": ["...", ...]}`, names sorted.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sorted: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, value) in &self.0 {
            if name != "set-cookie" {
                sorted.insert(name, value);
            }
        }
        let cookies: Vec<&str> = self.set_cookies().collect();
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in sorted {
            map.serialize_entry(name, value)?;
        }
        if !cookies.is_empty() {
            map.serialize_entry("set-cookie", &cookies)?;
        }
        map.end()
    }
}

/// The outcome of authenticating a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AuthState {
    /// Authenticated.
    SignedIn {
        /// What kind of token authenticated the request.
        token_type: TokenType,
        /// The session claims (session tokens).
        #[serde(skip_serializing_if = "Option::is_none")]
        claims: Option<Box<SessionClaims>>,
        /// The machine token data (machine tokens).
        #[serde(skip_serializing_if = "Option::is_none")]
        machine: Option<serde_json::Value>,
        /// Headers to set (the cookies of a resolved handshake).
        headers: ResponseHeaders,
    },
    /// Not authenticated.
    SignedOut {
        /// The token type the outcome concerns (`None` when a list of accepted types
        /// refused the request outright).
        token_type: Option<TokenType>,
        /// The reason, e.g. `token-expired` or `session-token-and-uat-missing`.
        reason: String,
        /// A human-readable message (may be empty).
        message: String,
        /// Headers to set (`x-clerk-auth-*`, and those of a resolved handshake).
        headers: ResponseHeaders,
    },
    /// The browser must be redirected (to `headers.location`: the Frontend API handshake
    /// or a satellite sync URL) with these headers set.
    Handshake {
        /// Why, e.g. `session-token-expired-refresh-non-eligible-no-refresh-cookie`.
        reason: String,
        /// A human-readable message (may be empty).
        message: String,
        /// `location`, `cache-control`, `set-cookie` (`__clerk_redirect_count`),
        /// `x-clerk-auth-*`.
        headers: ResponseHeaders,
    },
}

impl AuthState {
    /// Whether the request is authenticated (a pending session counts; see
    /// [`session`](Self::session)).
    pub fn is_signed_in(&self) -> bool {
        matches!(self, AuthState::SignedIn { .. })
    }

    /// The response headers of the state.
    pub fn headers(&self) -> &ResponseHeaders {
        match self {
            AuthState::SignedIn { headers, .. }
            | AuthState::SignedOut { headers, .. }
            | AuthState::Handshake { headers, .. } => headers,
        }
    }

    /// The redirect location of a handshake state.
    pub fn location(&self) -> Option<&str> {
        match self {
            AuthState::Handshake { headers, .. } => headers.location(),
            _ => None,
        }
    }

    /// The verified session, as the reference's `toAuth()`: `None` when not signed in
    /// with a session token, and, when `treat_pending_as_signed_out` (the reference's
    /// default), for a `pending` session too.
    pub fn session(&self, treat_pending_as_signed_out: bool) -> Option<&SessionClaims> {
        match self {
            AuthState::SignedIn {
                claims: Some(claims),
                ..
            } if !(treat_pending_as_signed_out && claims.is_pending()) => Some(claims),
            _ => None,
        }
    }

    /// `toAuth().has(check)`; `false` when signed out, for machine tokens and, when
    /// `treat_pending_as_signed_out`, for pending sessions.
    pub fn has(
        &self,
        check: &super::authorization::Check,
        treat_pending_as_signed_out: bool,
    ) -> bool {
        self.session(treat_pending_as_signed_out)
            .is_some_and(|claims| claims.has(check))
    }
}

/// A configuration the reference refuses (it throws): the message says what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestAuthError {
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RequestAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RequestAuthError {}

fn config_error(message: impl Into<String>) -> RequestAuthError {
    RequestAuthError {
        message: message.into(),
    }
}

/// The `_<suffix>` of suffixed cookie names: the first 8 characters of
/// base64url(SHA-1(publishable key)).
pub fn cookie_suffix(publishable_key: &str) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        publishable_key.as_bytes(),
    );
    URL_SAFE.encode(digest.as_ref()).chars().take(8).collect()
}

/// The bearer token of an `Authorization` header, as the reference parses it: `Bearer
/// <token>`, or a bare value without a space; other schemes give none.
fn token_in_header(authorization: &str) -> Option<&str> {
    let mut parts = authorization.split(' ');
    let scheme = parts.next()?;
    match parts.next() {
        None | Some("") => Some(scheme).filter(|s| !s.is_empty()),
        Some(token) if scheme == "Bearer" => Some(token),
        Some(_) => None,
    }
}

/// The machine type the reference's `getMachineTokenType` gives: M2M (`mt_` or a JWT
/// whose `sub` starts `mch_`) before OAuth (`oat_` or `typ` `at+jwt`) before API keys.
fn reference_machine_type(token: &str) -> Option<MachineTokenType> {
    machine::opaque_token_type(token).or_else(|| machine::machine_jwt_type(token))
}

/// JavaScript's `parseInt(text) || 0` for cookie values.
fn parse_int_prefix(text: &str) -> i64 {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| sign * n)
}

/// JavaScript's `Number(text) || 0` (the redirect counter).
fn js_number(text: &str) -> f64 {
    let text = text.trim();
    if text.is_empty() {
        return 0.0;
    }
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && !n.is_nan())
        .unwrap_or(0.0)
}

/// A JWT's payload as JSON, when it decodes (no verification).
fn payload_of(token: &str) -> Option<serde_json::Value> {
    let decoded = jwt::decode(token)?;
    serde_json::from_str(&decoded.payload_json).ok()
}

/// The state of one authentication: the reference's `AuthenticateContext`.
struct Context<'a> {
    verifier: Verifier,
    request: &'a RequestInfo,
    options: &'a AuthenticateOptions,
    clerk_url: Url,
    cookies: BTreeMap<String, String>,
    suffix: String,
    instance: InstanceType,
    frontend_api: String,
    original_frontend_api: String,
    token_in_header: Option<String>,
    session_token_in_cookie: Option<String>,
    refresh_token_in_cookie: Option<String>,
    client_uat: i64,
    dev_browser_token: Option<String>,
    handshake_token: Option<String>,
    handshake_nonce: Option<String>,
    redirect_count: f64,
    organizations: OrganizationMatcher,
}

impl Context<'_> {
    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn suffixed_cookie(&self, name: &str) -> Option<&str> {
        self.cookie(&format!("{name}_{}", self.suffix))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.request.header(name)
    }

    fn method(&self) -> &str {
        &self.request.method
    }

    fn is_development(&self) -> bool {
        self.instance == InstanceType::Development
    }

    fn is_satellite(&self) -> bool {
        self.options.is_satellite == Some(true)
    }

    fn sec_fetch_dest(&self) -> Option<&str> {
        self.header("sec-fetch-dest")
    }

    fn query(&self, name: &str) -> Option<String> {
        self.clerk_url.query_get(name).filter(|v| !v.is_empty())
    }

    /// The reference's `usesSuffixedCookies`.
    fn uses_suffixed_cookies(&self) -> bool {
        if self.suffix.is_empty() {
            return false;
        }
        let suffixed_uat = self.suffixed_cookie("__client_uat");
        let uat = self.cookie("__client_uat");
        let suffixed_session = self.suffixed_cookie("__session").unwrap_or_default();
        let session = self.cookie("__session").unwrap_or_default();
        if !session.is_empty() && !self.token_has_issuer(session) {
            return false;
        }
        if !session.is_empty() && !self.token_belongs_to_instance(session) {
            return true;
        }
        if suffixed_uat.is_none() && suffixed_session.is_empty() {
            return false;
        }
        let iat = |token: &str| {
            payload_of(token)
                .and_then(|p| p.get("iat").and_then(serde_json::Value::as_f64))
                .unwrap_or(0.0)
        };
        let suffixed_payload = payload_of(suffixed_session);
        if suffixed_uat != Some("0") && uat != Some("0") && iat(session) > iat(suffixed_session) {
            return false;
        }
        if suffixed_uat == Some("0") && uat != Some("0") {
            return false;
        }
        if self.instance != InstanceType::Production {
            let now_s = (self.verifier.inner.clock.now_ms() / 1000) as f64;
            let expired = suffixed_payload.as_ref().is_some_and(|p| {
                p.get("exp")
                    .and_then(serde_json::Value::as_f64)
                    .is_some_and(|exp| exp <= now_s)
            });
            if suffixed_uat != Some("0") && uat == Some("0") && expired {
                return false;
            }
        }
        if suffixed_uat.is_none() && !suffixed_session.is_empty() {
            return false;
        }
        true
    }

    fn token_has_issuer(&self, token: &str) -> bool {
        payload_of(token).is_some_and(|p| match p.get("iss") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::String(s)) => !s.is_empty(),
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(_) => true,
        })
    }

    fn token_belongs_to_instance(&self, token: &str) -> bool {
        let Some(payload) = payload_of(token) else {
            return false;
        };
        let Some(iss) = payload.get("iss").and_then(serde_json::Value::as_str) else {
            return false;
        };
        strip_schemes(iss) == self.original_frontend_api
    }

    fn suffixed_or_unsuffixed(&self, name: &str, uses_suffixed: bool) -> Option<String> {
        if uses_suffixed {
            self.suffixed_cookie(name).map(str::to_owned)
        } else {
            self.cookie(name).map(str::to_owned)
        }
    }

    /// `sessionTokenInCookie || tokenInHeader`.
    fn session_token(&self) -> Option<&str> {
        self.session_token_in_cookie
            .as_deref()
            .or(self.token_in_header.as_deref())
    }

    fn referrer(&self) -> Option<&str> {
        self.header("referer")
    }

    fn is_cross_origin_referrer(&self) -> bool {
        let Some(referrer) = self.referrer() else {
            return false;
        };
        Url::parse(referrer).is_some_and(|r| r.origin() != self.clerk_url.origin())
    }

    fn is_known_clerk_referrer(&self) -> bool {
        let Some(referrer) = self.referrer().and_then(Url::parse) else {
            return false;
        };
        let host = referrer.hostname();
        if !self.frontend_api.is_empty() {
            let fapi_host = if self.frontend_api.starts_with("http") {
                Url::parse(&self.frontend_api).map(|u| u.hostname().to_owned())
            } else {
                Some(self.frontend_api.clone())
            };
            if fapi_host.as_deref() == Some(host) {
                return true;
            }
        }
        if self.instance != InstanceType::Production {
            let legacy = [".lcl.dev", ".lclstage.dev", ".lclclerk.com"]
                .iter()
                .any(|s| host.starts_with("accounts.") && host.ends_with(s));
            let current = [
                ".accounts.dev",
                ".accountsstage.dev",
                ".accounts.lclclerk.com",
            ]
            .iter()
            .any(|s| host.ends_with(s) && !host.ends_with(&format!(".clerk{s}")));
            if legacy || current {
                return true;
            }
        }
        if !self.frontend_api.is_empty() {
            let accounts = format!("https://{}", accounts_host(&self.frontend_api));
            if Url::parse(&accounts).is_some_and(|a| a.origin() == referrer.origin()) {
                return true;
            }
        }
        false
    }

    fn eligible_for_handshake(&self) -> bool {
        if self.method() != "GET" {
            return false;
        }
        match self.sec_fetch_dest() {
            Some("document") | Some("iframe") => true,
            Some(_) => false,
            None => self
                .header("accept")
                .is_some_and(|accept| accept.starts_with("text/html")),
        }
    }

    fn organization_sync_id(&self) -> Option<String> {
        match self.organizations.find_target(self.clerk_url.path())? {
            SyncTarget::PersonalAccount => Some(String::new()),
            SyncTarget::OrganizationId(id) => Some(id),
            SyncTarget::OrganizationSlug(slug) => Some(slug),
        }
    }

    fn redirect_to_handshake(&self, reason: &str) -> ResponseHeaders {
        let organization = self.organization_sync_id();
        let location = handshake::handshake_location(&HandshakeParams {
            frontend_api: &self.frontend_api,
            redirect_url: &self.clerk_url,
            suffixed_cookies: self.uses_suffixed_cookies(),
            reason,
            session_token: self.session_token(),
            dev_browser_token: self
                .dev_browser_token
                .as_deref()
                .filter(|_| self.is_development()),
            organization_id: organization.as_deref(),
        });
        let mut headers = ResponseHeaders::default();
        if let Some(location) = location {
            headers.set("location", location);
        }
        headers
    }

    fn signed_out(
        &self,
        token_type: Option<TokenType>,
        reason: &str,
        message: &str,
        headers: ResponseHeaders,
    ) -> AuthState {
        AuthState::SignedOut {
            token_type,
            reason: reason.to_owned(),
            message: message.to_owned(),
            headers: with_debug_headers(headers, "signed-out", reason, message),
        }
    }

    fn signed_out_session(&self, reason: &str, message: &str) -> AuthState {
        self.signed_out(
            Some(TokenType::SessionToken),
            reason,
            message,
            ResponseHeaders::default(),
        )
    }

    /// The reference's `handleMaybeHandshakeStatus`.
    fn maybe_handshake(
        &self,
        reason: &str,
        message: &str,
        headers: Option<ResponseHeaders>,
    ) -> AuthState {
        if !self.eligible_for_handshake() {
            return self.signed_out_session(reason, message);
        }
        let mut headers = headers.unwrap_or_else(|| self.redirect_to_handshake(reason));
        if headers.location().is_some() {
            headers.set("cache-control", "no-store");
        }
        if self.redirect_count == 3.0 {
            log::info!("Clerk: the handshake for {reason} resulted in a redirect loop");
            return self.signed_out_session(reason, message);
        }
        headers.append(
            "set-cookie",
            format!(
                "__clerk_redirect_count={}; SameSite=Lax; HttpOnly; Max-Age=2",
                self.redirect_count + 1.0
            ),
        );
        AuthState::Handshake {
            reason: reason.to_owned(),
            message: message.to_owned(),
            headers: with_debug_headers(headers, "handshake", reason, message),
        }
    }

    fn signed_in_session(&self, claims: SessionClaims, headers: ResponseHeaders) -> AuthState {
        AuthState::SignedIn {
            token_type: TokenType::SessionToken,
            claims: Some(Box::new(claims)),
            machine: None,
            headers,
        }
    }

    /// The reference's `handleSessionTokenError`.
    fn session_error(&self, error: VerifyError, carrier: &str) -> AuthState {
        let message = full_message(&error, carrier);
        let handshake_reason = match error.reason {
            Reason::TokenExpired => {
                let refresh = if self.refresh_token_in_cookie.is_some() && self.method() == "GET" {
                    "missing-api-client"
                } else if self.method() != "GET" {
                    "non-eligible-non-get"
                } else if self.refresh_token_in_cookie.is_none() {
                    "non-eligible-no-refresh-cookie"
                } else {
                    "null"
                };
                Some(format!("session-token-expired-refresh-{refresh}"))
            }
            Reason::TokenNotActiveYet => Some("session-token-nbf".to_owned()),
            Reason::TokenIatInTheFuture => Some("session-token-iat-in-the-future".to_owned()),
            _ => None,
        };
        match handshake_reason {
            Some(reason) => self.maybe_handshake(&reason, &message, None),
            None => self.signed_out_session(error.reason.as_str(), &message),
        }
    }

    fn verify_session(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        self.verifier.verify(token)
    }
}

/// `getFullMessage()` of the reference's token errors.
fn full_message(error: &VerifyError, carrier: &str) -> String {
    format!(
        "{} (reason={}, token-carrier={carrier})",
        error.message, error.reason
    )
}

fn strip_schemes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    while i < text.len() {
        if lower[i..].starts_with("https://") {
            i += 8;
        } else if lower[i..].starts_with("http://") {
            i += 7;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

/// `buildAccountsBaseUrl` without the scheme.
fn accounts_host(frontend_api: &str) -> String {
    let frontend_api = frontend_api.replacen("clerk.accountsstage.", "accountsstage.", 1);
    let frontend_api = frontend_api.as_str();
    let first = [("clerk.accounts.", "accounts."), ("clerk.", "accounts.")]
        .iter()
        .filter_map(|(from, to)| frontend_api.find(from).map(|at| (at, *from, *to)))
        .min_by_key(|(at, from, _)| (*at, std::cmp::Reverse(from.len())));
    match first {
        Some((at, from, to)) => format!(
            "{}{to}{}",
            &frontend_api[..at],
            &frontend_api[at + from.len()..]
        ),
        None => frontend_api.to_owned(),
    }
}

/// The reference's `withDebugHeaders` (signed-out and handshake states).
fn with_debug_headers(
    mut headers: ResponseHeaders,
    status: &str,
    reason: &str,
    message: &str,
) -> ResponseHeaders {
    // Header values cannot hold line breaks or non-Latin-1 text: such a message is left
    // out, as the reference's `Headers.set` refuses it.
    if !message.is_empty()
        && message
            .chars()
            .all(|c| c != '\r' && c != '\n' && c != '\0' && (c as u32) < 256)
    {
        headers.set("x-clerk-auth-message", message.trim());
    }
    if !reason.is_empty() {
        headers.set("x-clerk-auth-reason", reason);
    }
    headers.set("x-clerk-auth-status", status);
    headers
}

/// The request URL as the reference's `ClerkRequest` derives it: forwarded host and
/// protocol (first values), else `host`, replace the origin.
fn clerk_url(request: &RequestInfo) -> Result<Url, RequestAuthError> {
    let raw = request.url.as_deref().unwrap_or("http://localhost/");
    let initial = Url::parse(raw).ok_or_else(|| {
        config_error(format!(
            "Invalid URL: {raw:?} (expected an absolute http or https URL)"
        ))
    })?;
    let first =
        |value: Option<&str>| value.map(|v| v.split(',').next().unwrap_or_default().to_owned());
    let host = first(request.header("x-forwarded-host"))
        .or_else(|| request.header("host").map(str::to_owned));
    let scheme = initial.origin();
    let scheme = scheme.split("://").next().unwrap_or("http").to_owned();
    let proto = first(request.header("x-forwarded-proto")).unwrap_or(scheme);
    let Some(host) = host.filter(|h| !h.is_empty()).filter(|_| !proto.is_empty()) else {
        return Ok(initial);
    };
    let origin = format!("{proto}://{host}");
    if origin == initial.origin() {
        return Ok(initial);
    }
    match Url::parse(&origin) {
        Some(base) if base.path() == "/" => Ok(base.with_path(&initial.path_and_search())),
        _ => Ok(initial),
    }
}

/// A verifier with the request's overrides (parties, audience, clock skew), sharing
/// the keys, clock and client of `base`.
fn derived_verifier(
    base: &Verifier,
    options: &AuthenticateOptions,
    skew_ms: Option<i64>,
) -> Verifier {
    let inherit = options.authorized_parties.is_empty()
        && options.audience.is_empty()
        && options.clock_skew_ms.is_none()
        && skew_ms.is_none();
    if inherit {
        return base.clone();
    }
    let mut rules: ClaimRules = base.inner.rules.clone();
    if !options.authorized_parties.is_empty() {
        rules.authorized_parties = options.authorized_parties.clone();
    }
    if !options.audience.is_empty() {
        rules.audience = options.audience.clone();
    }
    let clock_skew_ms = skew_ms
        .or(options
            .clock_skew_ms
            .map(|ms| i64::try_from(ms.min(super::MAX_CLOCK_SKEW.as_millis() as u64)).unwrap_or(0)))
        .unwrap_or(base.inner.clock_skew_ms);
    Verifier {
        inner: Arc::new(Inner {
            keys: base.inner.keys.clone(),
            rules,
            clock_skew_ms,
            clock: base.inner.clock.clone(),
            client: base.inner.client.clone(),
            // Other rules: the base verifier's cached decisions do not carry over, and a
            // cache of its own would live for one request only.
            token_cache: None,
        }),
    }
}

/// Authenticates a request with the verifier's keys (and its client, or `backend`, for
/// opaque machine tokens), as `@clerk/backend`'s `authenticateRequest`. A configuration
/// the reference refuses (an invalid publishable key, a satellite without domain or
/// proxy URL, an unusable sign-in URL, an invalid organization pattern, a development
/// handshake token that does not verify) is an error.
pub fn authenticate_request(
    verifier: &Verifier,
    request: &RequestInfo,
    options: &AuthenticateOptions,
    backend: Option<&dyn MachineBackend>,
) -> Result<AuthState, RequestAuthError> {
    if let Some(skew) = options.clock_skew_ms {
        if u128::from(skew) > super::MAX_CLOCK_SKEW.as_millis() {
            return Err(config_error(format!(
                "clock_skew_ms {skew} is out of range (at most {} ms)",
                super::MAX_CLOCK_SKEW.as_millis()
            )));
        }
    }
    let accepts = &options.accepts_token;
    let machine_only = matches!(
        accepts,
        AcceptsToken::One(TokenType::M2mToken) | AcceptsToken::One(TokenType::ApiKey)
    );
    let clerk_url = clerk_url(request)?;
    let publishable_key = options.publishable_key.as_deref().filter(|k| !k.is_empty());

    // Publishable key, Frontend API and instance type.
    let mut instance = InstanceType::Production;
    let mut frontend_api = String::new();
    let mut original_frontend_api = String::new();
    let mut suffix = String::new();
    let proxy_url = options
        .proxy_url
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with('/') {
                format!("{}{p}", clerk_url.origin())
            } else {
                p.to_owned()
            }
        });
    if let Some(key) = publishable_key {
        suffix = cookie_suffix(key);
        if !machine_only {
            let parsed = parse_publishable_key(key).map_err(config_error)?;
            instance = parsed.instance_type;
            let satellite_domain = options
                .domain
                .as_deref()
                .filter(|d| !d.is_empty() && options.is_satellite == Some(true))
                .filter(|_| instance != InstanceType::Development);
            original_frontend_api = match satellite_domain {
                Some(domain) => format!("clerk.{domain}"),
                None => parsed.frontend_api.clone(),
            };
            frontend_api = match &proxy_url {
                Some(proxy) => proxy.clone(),
                None => original_frontend_api.clone(),
            };
        }
    }

    // The reference's configuration assertions.
    let development_secret = match options.secret_key.as_deref() {
        Some(key) => key.starts_with("sk_test_") || key.starts_with("test_"),
        None => instance == InstanceType::Development && publishable_key.is_some(),
    };
    if *accepts != AcceptsToken::One(TokenType::M2mToken) && options.is_satellite == Some(true) {
        let sign_in = options.sign_in_url.as_deref().filter(|s| !s.is_empty());
        if sign_in.is_none() && development_secret {
            return Err(config_error(
                "Missing signInUrl. Pass a signInUrl for dev instances if an app is satellite",
            ));
        }
        if let (Some(sign_in), Some(origin)) = (sign_in, request.header("origin")) {
            let sign_in = Url::parse(sign_in).ok_or_else(|| {
                config_error("The signInUrl needs to have a absolute url format.")
            })?;
            if sign_in.origin() == origin {
                return Err(config_error(
                    "The signInUrl needs to be on a different origin than your satellite application.",
                ));
            }
        }
        if proxy_url.is_none() && options.domain.as_deref().is_none_or(str::is_empty) {
            return Err(config_error(
                "Missing domain and proxyUrl. A satellite application needs to specify a domain or a proxyUrl",
            ));
        }
    }
    let organizations = OrganizationMatcher::new(options.organization_sync_options.as_ref())
        .map_err(config_error)?;

    let verifier = derived_verifier(verifier, options, None);
    let mut context = Context {
        verifier,
        request,
        options,
        clerk_url,
        cookies: parse_cookies(request.header("cookie").unwrap_or_default()),
        suffix,
        instance,
        frontend_api,
        original_frontend_api,
        token_in_header: request
            .header("authorization")
            .and_then(token_in_header)
            .map(str::to_owned),
        session_token_in_cookie: None,
        refresh_token_in_cookie: None,
        client_uat: 0,
        dev_browser_token: None,
        handshake_token: None,
        handshake_nonce: None,
        redirect_count: 0.0,
        organizations,
    };
    if !machine_only {
        let suffixed = context.uses_suffixed_cookies();
        context.session_token_in_cookie = context.suffixed_or_unsuffixed("__session", suffixed);
        context.refresh_token_in_cookie = if context.suffix.is_empty() {
            None
        } else {
            context.suffixed_cookie("__refresh").map(str::to_owned)
        };
        context.client_uat = context
            .suffixed_or_unsuffixed("__client_uat", suffixed)
            .map_or(0, |uat| parse_int_prefix(&uat));
        context.dev_browser_token = context
            .query("__clerk_db_jwt")
            .or_else(|| context.suffixed_or_unsuffixed("__clerk_db_jwt", suffixed));
        context.handshake_token = context
            .query("__clerk_handshake")
            .or_else(|| context.cookie("__clerk_handshake").map(str::to_owned));
        context.redirect_count = context
            .cookie("__clerk_redirect_count")
            .map_or(0.0, js_number);
        context.handshake_nonce = context
            .query("__clerk_handshake_nonce")
            .or_else(|| context.cookie("__clerk_handshake_nonce").map(str::to_owned));
    }

    if let AcceptsToken::List(_) = accepts {
        let parsed = match context.token_in_header.as_deref() {
            Some(token) => reference_machine_type(token)
                .map(TokenType::from)
                .unwrap_or(TokenType::SessionToken),
            None => TokenType::SessionToken,
        };
        if !accepts.accepts(parsed) {
            return Ok(AuthState::SignedOut {
                token_type: None,
                reason: "token-type-mismatch".to_owned(),
                message: String::new(),
                headers: with_debug_headers(
                    ResponseHeaders::default(),
                    "signed-out",
                    "token-type-mismatch",
                    "",
                ),
            });
        }
    }

    if let Some(token) = context.token_in_header.clone() {
        return Ok(match accepts {
            AcceptsToken::Any | AcceptsToken::List(_) => any_in_header(&context, &token, backend),
            AcceptsToken::One(TokenType::SessionToken) => session_in_header(&context, &token),
            AcceptsToken::One(one) => machine_in_header(&context, &token, *one, backend),
        });
    }
    if let AcceptsToken::One(
        one @ (TokenType::OauthToken | TokenType::ApiKey | TokenType::M2mToken),
    ) = accepts
    {
        return Ok(context.signed_out(
            Some(*one),
            "No token in header",
            "",
            ResponseHeaders::default(),
        ));
    }
    cookie_flow(&context)
}

fn session_in_header(context: &Context<'_>, token: &str) -> AuthState {
    if machine::machine_jwt_type(token).is_some() || machine::has_non_session_category(token) {
        return context.signed_out_session("token-type-mismatch", "");
    }
    match context.verify_session(token) {
        Ok(claims) => context.signed_in_session(claims, ResponseHeaders::default()),
        Err(error) => context.session_error(error, "header"),
    }
}

fn verify_machine(
    context: &Context<'_>,
    token: &str,
    backend: Option<&dyn MachineBackend>,
) -> AuthState {
    let kind = reference_machine_type(token).unwrap_or(MachineTokenType::OauthToken);
    let machine_client;
    let backend = match (backend, context.options.machine_secret_key.as_deref()) {
        (None, Some(key)) if kind == MachineTokenType::M2mToken && !key.is_empty() => {
            machine_client = machine::client_with_key(context.verifier.client(), key);
            machine_client.as_ref().map(|c| c as &dyn MachineBackend)
        }
        (backend, _) => backend,
    };
    match context.verifier.verify_machine_token(token, backend) {
        Ok(verified) => AuthState::SignedIn {
            token_type: verified.token_type.into(),
            claims: None,
            machine: Some(verified.data),
            headers: ResponseHeaders::default(),
        },
        Err(error) => {
            let message = machine::full_message(&error);
            context.signed_out(
                Some(kind.into()),
                error.reason.as_str(),
                &message,
                ResponseHeaders::default(),
            )
        }
    }
}

fn machine_in_header(
    context: &Context<'_>,
    token: &str,
    accepted: TokenType,
    backend: Option<&dyn MachineBackend>,
) -> AuthState {
    let Some(kind) = reference_machine_type(token) else {
        return context.signed_out(
            Some(accepted),
            "token-type-mismatch",
            "",
            ResponseHeaders::default(),
        );
    };
    if TokenType::from(kind) != accepted {
        return context.signed_out(
            Some(accepted),
            "token-type-mismatch",
            "",
            ResponseHeaders::default(),
        );
    }
    verify_machine(context, token, backend)
}

fn any_in_header(
    context: &Context<'_>,
    token: &str,
    backend: Option<&dyn MachineBackend>,
) -> AuthState {
    if let Some(kind) = reference_machine_type(token) {
        if !context.options.accepts_token.accepts(kind.into()) {
            return context.signed_out(
                Some(kind.into()),
                "token-type-mismatch",
                "",
                ResponseHeaders::default(),
            );
        }
        return verify_machine(context, token, backend);
    }
    if machine::has_non_session_category(token) {
        return context.signed_out_session("token-type-mismatch", "");
    }
    match context.verify_session(token) {
        Ok(claims) => context.signed_in_session(claims, ResponseHeaders::default()),
        Err(error) => context.session_error(error, "header"),
    }
}

/// Resolves a handshake token: `Ok(Some(state))` when it settles the request,
/// `Ok(None)` when the reference logs the failure and goes on with the cookies, `Err`
/// when it throws (development instances, a token that does not verify).
fn resolve_handshake(context: &Context<'_>) -> Result<Option<AuthState>, RequestAuthError> {
    let directives = if context.handshake_nonce.is_some() {
        // No API client to exchange the nonce: no cookies, as the reference without one.
        Vec::new()
    } else if let Some(token) = context.handshake_token.as_deref() {
        match handshake::verify_handshake_token(&context.verifier, token) {
            Ok(directives) => directives,
            Err(error) if context.is_development() => {
                let message = if error.reason == Reason::TokenInvalidSignature {
                    "Clerk: Handshake token verification failed due to an invalid signature. If you have switched Clerk keys locally, clear your cookies and try again.".to_owned()
                } else {
                    format!(
                        "Clerk: Handshake token verification failed: {}.",
                        full_message(&error, "undefined")
                    )
                };
                return Err(config_error(message));
            }
            Err(error) => {
                log::warn!("Clerk: unable to resolve handshake: {error}");
                return Ok(None);
            }
        }
    } else {
        Vec::new()
    };
    let mut headers = ResponseHeaders::default();
    headers.set("access-control-allow-origin", "null");
    headers.set("access-control-allow-credentials", "true");
    let mut session_token = String::new();
    for directive in &directives {
        headers.append("set-cookie", directive.clone());
        let (name, value) = handshake::cookie_directive(directive);
        if name.starts_with("__session") {
            session_token = value.to_owned();
        }
    }
    if context.is_development() {
        let mut url = context.clerk_url.clone();
        url.query_delete(&[
            "__clerk_handshake",
            "__clerk_help",
            "__clerk_db_jwt",
            "__clerk_handshake_nonce",
        ]);
        headers.append("location", url.to_string());
        headers.set("cache-control", "no-store");
    }
    if session_token.is_empty() {
        return Ok(Some(context.signed_out(
            Some(TokenType::SessionToken),
            "session-token-missing",
            "",
            headers,
        )));
    }
    match context.verify_session(&session_token) {
        Ok(claims) => Ok(Some(context.signed_in_session(claims, headers))),
        Err(error)
            if context.is_development()
                && matches!(
                    error.reason,
                    Reason::TokenExpired | Reason::TokenNotActiveYet | Reason::TokenIatInTheFuture
                ) =>
        {
            // The reference retries with a day of clock skew in development.
            let lenient = derived_verifier(&context.verifier, context.options, Some(86_400_000));
            match lenient.verify(&session_token) {
                Ok(claims) => Ok(Some(context.signed_in_session(claims, headers))),
                Err(retry) => {
                    log::warn!("Clerk: unable to resolve handshake: {retry}");
                    Ok(None)
                }
            }
        }
        Err(error) => {
            log::warn!("Clerk: unable to resolve handshake: {error}");
            Ok(None)
        }
    }
}

/// The reference's `authenticateRequestWithTokenInCookie`.
fn cookie_flow(context: &Context<'_>) -> Result<AuthState, RequestAuthError> {
    let has_active_client = context.client_uat != 0;
    let has_session_token = context.session_token_in_cookie.is_some();
    let has_dev_browser_token = context.dev_browser_token.is_some();

    if context.handshake_nonce.is_some() || context.handshake_token.is_some() {
        if let Some(state) = resolve_handshake(context)? {
            return Ok(state);
        }
    }

    let multi_domain_sync = context.is_satellite()
        && context.sec_fetch_dest() == Some("document")
        && context.method() == "GET";
    let synced = context.clerk_url.query_get("__clerk_synced");
    let needs_sync = synced.as_deref() == Some("false");
    let sync_completed = synced.as_deref() == Some("true");
    let has_cookies = has_session_token || has_active_client;
    let skip_satellite_handshake =
        context.options.satellite_auto_sync != Some(true) && !has_cookies && !needs_sync;
    if multi_domain_sync && !sync_completed {
        if skip_satellite_handshake {
            return Ok(context.signed_out_session("session-token-and-uat-missing", ""));
        }
        if !has_cookies || needs_sync {
            if !context.is_development() {
                return Ok(context.maybe_handshake("satellite-needs-syncing", "", None));
            }
            let sign_in = context.options.sign_in_url.as_deref().unwrap_or_default();
            let mut redirect = Url::parse(sign_in)
                .ok_or_else(|| config_error(format!("Invalid URL: signInUrl {sign_in:?}")))?;
            redirect.query_append("__clerk_redirect_url", &context.clerk_url.to_string());
            let mut headers = ResponseHeaders::default();
            headers.set("location", redirect.to_string());
            return Ok(context.maybe_handshake("satellite-needs-syncing", "", Some(headers)));
        }
    }

    let redirect_url = context
        .clerk_url
        .query_get("__clerk_redirect_url")
        .filter(|u| !u.is_empty());
    if context.is_development() && !context.is_satellite() {
        if let Some(redirect_url) = redirect_url {
            let mut back = Url::parse(&redirect_url).ok_or_else(|| {
                config_error(format!(
                    "Invalid URL: __clerk_redirect_url {redirect_url:?}"
                ))
            })?;
            if let Some(token) = &context.dev_browser_token {
                back.query_append("__clerk_db_jwt", token);
            }
            back.query_set("__clerk_synced", "true");
            let mut headers = ResponseHeaders::default();
            headers.set("location", back.to_string());
            return Ok(context.maybe_handshake("primary-responds-to-syncing", "", Some(headers)));
        }
    }
    if context.is_development() && context.clerk_url.query_has("__clerk_db_jwt") {
        return Ok(context.maybe_handshake("dev-browser-sync", "", None));
    }
    if context.is_development() && !has_dev_browser_token {
        return Ok(context.maybe_handshake("dev-browser-missing", "", None));
    }
    let session = match (&context.session_token_in_cookie, has_active_client) {
        (None, false) => return Ok(context.signed_out_session("session-token-and-uat-missing", "")),
        (Some(_), false) => {
            return Ok(context.maybe_handshake("session-token-but-no-client-uat", "", None));
        }
        (None, true) => {
            return Ok(context.maybe_handshake("client-uat-but-no-session-token", "", None));
        }
        (Some(token), true) => token.as_str(),
    };
    let Some(payload) = payload_of(session) else {
        let error = VerifyError::new(
            Reason::TokenInvalid,
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        );
        return Ok(context.session_error(error, "cookie"));
    };
    if machine::machine_jwt_type(session).is_some() || machine::has_non_session_category(session) {
        return Ok(context.signed_out_session("token-type-mismatch", ""));
    }
    // `payload.iat < clientUat`: JavaScript compares numbers (a missing or non-numeric
    // `iat` compares false).
    if payload
        .get("iat")
        .and_then(serde_json::Value::as_f64)
        .is_some_and(|iat| iat < context.client_uat as f64)
    {
        return Ok(context.maybe_handshake("session-token-iat-before-client-uat", "", None));
    }
    let claims = match context.verify_session(session) {
        Ok(claims) => claims,
        Err(error) => return Ok(context.session_error(error, "cookie")),
    };
    let cross_domain = !context.is_satellite()
        && context.method() == "GET"
        && context.sec_fetch_dest() == Some("document")
        && context.is_cross_origin_referrer()
        && !context.is_known_clerk_referrer()
        && context.redirect_count == 0.0;
    if cross_domain {
        return Ok(context.maybe_handshake(
            "primary-domain-cross-origin-sync",
            "Cross-origin request from satellite domain requires handshake",
            None,
        ));
    }
    if !claims.sub.is_empty() && !claims.is_pending() {
        if let Some(state) = organization_sync(context, &claims) {
            return Ok(state);
        }
    }
    Ok(context.signed_in_session(claims, ResponseHeaders::default()))
}

/// The reference's `handleMaybeOrganizationSyncHandshake`.
fn organization_sync(context: &Context<'_>, claims: &SessionClaims) -> Option<AuthState> {
    let target = context
        .organizations
        .find_target(context.clerk_url.path())?;
    let organization = claims.organization();
    let must_activate = match &target {
        SyncTarget::OrganizationSlug(slug) => {
            organization.and_then(|o| o.slug.as_deref()) != Some(slug.as_str())
        }
        SyncTarget::OrganizationId(id) => organization.map(|o| o.id.as_str()) != Some(id.as_str()),
        SyncTarget::PersonalAccount => organization.is_some_and(|o| !o.id.is_empty()),
    };
    if !must_activate || context.redirect_count >= 3.0 {
        return None;
    }
    let state = context.maybe_handshake("active-organization-mismatch", "", None);
    matches!(state, AuthState::Handshake { .. }).then_some(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_parsing_matches_the_reference() {
        assert_eq!(token_in_header("Bearer abc"), Some("abc"));
        assert_eq!(token_in_header("abc"), Some("abc"));
        assert_eq!(token_in_header("Basic abc"), None);
        assert_eq!(token_in_header("bearer abc"), None);
        assert_eq!(token_in_header("Bearer abc def"), Some("abc"));
    }

    #[test]
    fn client_uat_and_counter_parsing() {
        assert_eq!(parse_int_prefix("1700000000"), 1_700_000_000);
        assert_eq!(parse_int_prefix("12abc"), 12);
        assert_eq!(parse_int_prefix("abc"), 0);
        assert_eq!(parse_int_prefix(""), 0);
        assert_eq!(js_number("2"), 2.0);
        assert_eq!(js_number("x"), 0.0);
        assert_eq!(js_number(" 3 "), 3.0);
    }

    #[test]
    fn cookies_and_headers_are_found() {
        let request = RequestInfo::new(
            "GET",
            [(
                "Cookie",
                "a=1; __session=tok; __client_uat=5; q=\"x%20y\"; a=2",
            )],
        );
        assert_eq!(request.cookie("__session").as_deref(), Some("tok"));
        assert_eq!(request.cookie("__client_uat").as_deref(), Some("5"));
        assert_eq!(request.cookie("q").as_deref(), Some("x y"));
        assert_eq!(request.cookie("a").as_deref(), Some("1"));
        assert_eq!(request.cookie("b"), None);
    }

    #[test]
    fn cookie_suffix_is_eight_base64url_chars() {
        let suffix = cookie_suffix("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k");
        assert_eq!(suffix.len(), 8);
        assert!(
            suffix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn accounts_portal_hosts() {
        assert_eq!(accounts_host("clerk.example.com"), "accounts.example.com");
        assert_eq!(
            accounts_host("foo-bar-13.clerk.accounts.dev"),
            "foo-bar-13.accounts.dev"
        );
        assert_eq!(
            strip_schemes("https://clerk.example.com"),
            "clerk.example.com"
        );
    }

    #[test]
    fn forwarded_headers_set_the_origin() {
        let request = RequestInfo::new(
            "GET",
            [
                ("x-forwarded-host", "app.example.com, proxy"),
                ("x-forwarded-proto", "https"),
            ],
        )
        .with_url("http://10.0.0.1:3000/path?x=1");
        assert_eq!(
            clerk_url(&request).unwrap().to_string(),
            "https://app.example.com/path?x=1"
        );
    }
}
