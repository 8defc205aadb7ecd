//! Authenticating an incoming HTTP request: header token or session cookies, into
//! signed-in, signed-out or handshake.
//!
//! Simplifications against the reference (documented): no satellite domains, dev-browser
//! or handshake-token resolution, no token refresh; suffixed cookies are used when either
//! suffixed cookie is present.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde::{Deserialize, Serialize};

use super::machine::{self, MachineBackend, MachineTokenType};
use super::{Reason, SessionClaims, Verifier, VerifyError, jwt};

/// The parts of a request that authentication reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestInfo {
    /// The HTTP method (default `GET`).
    #[serde(default = "default_method")]
    pub method: String,
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
            headers: headers
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    /// A header by case-insensitive name; empty values count as absent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// A cookie by exact name (the first occurrence), percent-decoding left as is.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let header = self.header("cookie")?;
        header
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().trim_matches('"'))
            .filter(|value| !value.is_empty())
    }
}

/// The token types a caller accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenType {
    /// A Clerk session token (JWT).
    SessionToken,
    /// An API key.
    ApiKey,
    /// A machine-to-machine token.
    M2mToken,
    /// An OAuth access token.
    OauthToken,
}

impl From<MachineTokenType> for TokenType {
    fn from(kind: MachineTokenType) -> TokenType {
        match kind {
            MachineTokenType::ApiKey => TokenType::ApiKey,
            MachineTokenType::M2mToken => TokenType::M2mToken,
            MachineTokenType::OauthToken => TokenType::OauthToken,
        }
    }
}

/// Options of [`authenticate_request`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthenticateOptions {
    /// The instance's publishable key: selects the suffixed cookies (`__session_<suffix>`).
    #[serde(alias = "publishableKey")]
    pub publishable_key: Option<String>,
    /// Origins allowed in `azp` (overrides the verifier's when non-empty).
    #[serde(alias = "authorizedParties")]
    pub authorized_parties: Vec<String>,
    /// Which token types to accept (default: session tokens only).
    #[serde(alias = "acceptsToken")]
    pub accepts_token: Vec<TokenType>,
}

impl Default for AuthenticateOptions {
    fn default() -> Self {
        AuthenticateOptions {
            publishable_key: None,
            authorized_parties: Vec::new(),
            accepts_token: vec![TokenType::SessionToken],
        }
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
    },
    /// Not authenticated.
    SignedOut {
        /// The token type the outcome concerns.
        token_type: TokenType,
        /// The kebab-case reason, e.g. `token-expired` or `session-token-and-uat-missing`.
        reason: String,
        /// A human-readable message (may be empty).
        message: String,
    },
    /// The browser must be redirected to Clerk's handshake endpoint to refresh its session.
    Handshake {
        /// Why, e.g. `session-token-expired-refresh-non-eligible-no-cookie`.
        reason: String,
        /// A human-readable message (may be empty).
        message: String,
    },
}

impl AuthState {
    /// Whether the request is authenticated.
    pub fn is_signed_in(&self) -> bool {
        matches!(self, AuthState::SignedIn { .. })
    }

    fn signed_out(token_type: TokenType, reason: &str, message: impl Into<String>) -> AuthState {
        AuthState::SignedOut {
            token_type,
            reason: reason.to_owned(),
            message: message.into(),
        }
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

/// Whether a failed session should send a browser to the handshake: GET page loads only.
fn eligible_for_handshake(request: &RequestInfo) -> bool {
    if request.method != "GET" {
        return false;
    }
    match request.header("sec-fetch-dest") {
        Some(dest) => dest == "document" || dest == "iframe",
        None => request
            .header("accept")
            .is_some_and(|accept| accept.starts_with("text/html")),
    }
}

fn maybe_handshake(request: &RequestInfo, reason: &str, message: &str) -> AuthState {
    if eligible_for_handshake(request) {
        AuthState::Handshake {
            reason: reason.to_owned(),
            message: message.to_owned(),
        }
    } else {
        AuthState::signed_out(TokenType::SessionToken, reason, message)
    }
}

/// A session verification failure: time-based ones may become a handshake.
fn session_error(request: &RequestInfo, error: VerifyError) -> AuthState {
    let handshake_reason = match error.reason {
        Reason::TokenExpired => {
            let refresh = if request.method != "GET" {
                "non-eligible-non-get"
            } else {
                "non-eligible-no-cookie"
            };
            Some(format!("session-token-expired-refresh-{refresh}"))
        }
        Reason::TokenNotActiveYet => Some("session-token-nbf".to_owned()),
        Reason::TokenIatInTheFuture => Some("session-token-iat-in-the-future".to_owned()),
        _ => None,
    };
    match handshake_reason {
        Some(reason) if eligible_for_handshake(request) => AuthState::Handshake {
            reason,
            message: error.message,
        },
        _ => AuthState::signed_out(
            TokenType::SessionToken,
            error.reason.as_str(),
            error.message,
        ),
    }
}

fn signed_in_session(claims: SessionClaims) -> AuthState {
    AuthState::SignedIn {
        token_type: TokenType::SessionToken,
        claims: Some(Box::new(claims)),
        machine: None,
    }
}

/// Authenticates a request with the verifier's keys (and its client, or `backend`, for
/// opaque machine tokens). A request carrying its token in the `Authorization` header is
/// answered locally (bar opaque machine tokens) and never yields a handshake unless it
/// is a browser page load.
pub fn authenticate_request(
    verifier: &Verifier,
    request: &RequestInfo,
    options: &AuthenticateOptions,
    backend: Option<&dyn MachineBackend>,
) -> AuthState {
    let accepts: &[TokenType] = if options.accepts_token.is_empty() {
        &[TokenType::SessionToken]
    } else {
        &options.accepts_token
    };
    let accepts_session = accepts.contains(&TokenType::SessionToken);
    let first_accepted = accepts[0];

    if let Some(token) = request.header("authorization").and_then(token_in_header) {
        // Session-only callers (the default) treat an opaque `ak_`/`mt_`/`oat_` value as a
        // malformed session token (`token-invalid`), as the reference does.
        let machine_type = if accepts == [TokenType::SessionToken] {
            machine::machine_jwt_type(token)
        } else {
            machine::machine_token_type(token)
        };
        if let Some(machine_type) = machine_type {
            if !accepts.contains(&machine_type.into()) {
                let reported = if accepts.len() == 1 {
                    first_accepted
                } else {
                    machine_type.into()
                };
                return AuthState::signed_out(reported, "token-type-mismatch", "");
            }
            return match verifier.verify_machine_token(token, backend) {
                Ok(verified) => AuthState::SignedIn {
                    token_type: verified.token_type.into(),
                    claims: None,
                    machine: Some(verified.data),
                },
                Err(error) => {
                    AuthState::signed_out(machine_type.into(), error.reason.as_str(), error.message)
                }
            };
        }
        if !accepts_session || machine::has_non_session_category(token) {
            return AuthState::signed_out(
                if accepts_session {
                    TokenType::SessionToken
                } else {
                    first_accepted
                },
                "token-type-mismatch",
                "",
            );
        }
        return match verifier.verify_for_parties(token, &options.authorized_parties) {
            Ok(claims) => signed_in_session(claims),
            Err(error) => session_error(request, error),
        };
    }

    if !accepts_session {
        return AuthState::signed_out(first_accepted, "token-missing", "No token in header.");
    }

    // Cookie flow.
    let suffixed = options
        .publishable_key
        .as_deref()
        .filter(|key| !key.is_empty())
        .map(cookie_suffix)
        .filter(|suffix| {
            request.cookie(&format!("__session_{suffix}")).is_some()
                || request.cookie(&format!("__client_uat_{suffix}")).is_some()
        });
    let (session_name, uat_name) = match &suffixed {
        Some(suffix) => (
            format!("__session_{suffix}"),
            format!("__client_uat_{suffix}"),
        ),
        None => ("__session".to_owned(), "__client_uat".to_owned()),
    };
    let session = request.cookie(&session_name);
    // Like the reference: parseInt, where 0 or garbage means "no active client".
    let client_uat = request.cookie(&uat_name).map(parse_int_prefix).unwrap_or(0);

    match (session, client_uat != 0) {
        (None, false) => {
            AuthState::signed_out(TokenType::SessionToken, "session-token-and-uat-missing", "")
        }
        (Some(_), false) => maybe_handshake(request, "session-token-but-no-client-uat", ""),
        (None, true) => maybe_handshake(request, "client-uat-but-no-session-token", ""),
        (Some(token), true) => {
            let Some(decoded) = jwt::decode(token) else {
                return AuthState::signed_out(
                    TokenType::SessionToken,
                    Reason::TokenInvalid.as_str(),
                    "Invalid JWT form.",
                );
            };
            if machine::machine_jwt_type(token).is_some()
                || machine::has_non_session_category(token)
            {
                return AuthState::signed_out(TokenType::SessionToken, "token-type-mismatch", "");
            }
            let iat = serde_json::from_str::<jwt::Payload<'_>>(&decoded.payload_json)
                .ok()
                .and_then(|payload| payload.iat.and_then(jwt::as_number))
                .and_then(Result::ok);
            if iat.is_some_and(|iat| iat < client_uat as f64) {
                return maybe_handshake(request, "session-token-iat-before-client-uat", "");
            }
            match verifier.verify_for_parties(token, &options.authorized_parties) {
                Ok(claims) => signed_in_session(claims),
                Err(error) => session_error(request, error),
            }
        }
    }
}

/// JavaScript's `parseInt(text) || 0` for cookie values: leading decimal digits (after an
/// optional sign), 0 when there are none.
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
    fn client_uat_parsing() {
        assert_eq!(parse_int_prefix("1700000000"), 1_700_000_000);
        assert_eq!(parse_int_prefix("12abc"), 12);
        assert_eq!(parse_int_prefix("abc"), 0);
        assert_eq!(parse_int_prefix(""), 0);
    }

    #[test]
    fn cookies_and_headers_are_found() {
        let request = RequestInfo::new("GET", [("Cookie", "a=1; __session=tok; __client_uat=5")]);
        assert_eq!(request.cookie("__session"), Some("tok"));
        assert_eq!(request.cookie("__client_uat"), Some("5"));
        assert_eq!(request.cookie("b"), None);
        assert_eq!(
            request.header("COOKIE"),
            Some("a=1; __session=tok; __client_uat=5")
        );
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
    fn handshake_eligibility() {
        assert!(eligible_for_handshake(&RequestInfo::new(
            "GET",
            [("sec-fetch-dest", "document")]
        )));
        assert!(eligible_for_handshake(&RequestInfo::new(
            "GET",
            [("accept", "text/html,*/*")]
        )));
        assert!(!eligible_for_handshake(&RequestInfo::new(
            "POST",
            [("sec-fetch-dest", "document")]
        )));
        assert!(!eligible_for_handshake(&RequestInfo::new(
            "GET",
            [("sec-fetch-dest", "empty"), ("accept", "text/html")]
        )));
        assert!(!eligible_for_handshake(&RequestInfo::new(
            "GET",
            [("accept", "application/json")]
        )));
    }
}
