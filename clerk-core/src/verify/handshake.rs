//! The handshake: the redirect to the Frontend API that refreshes a browser's session,
//! and the `__clerk_handshake` token it comes back with.

use serde_json::Value;
use serde_json::value::RawValue;

use super::checks;
use super::key_source::KeySource;
use super::keys::SignatureError;
use super::url::Url;
use super::{Reason, Verifier, VerifyError, jwt};

/// The Backend API version the handshake asks for (the reference's
/// `SUPPORTED_BAPI_VERSION`).
pub(crate) const HANDSHAKE_API_VERSION: &str = "2026-05-12";

/// The Frontend API handshake URL: `{frontend_api}/v1/client/handshake` with the
/// reference's parameters, in its order.
pub(crate) struct HandshakeParams<'a> {
    pub(crate) frontend_api: &'a str,
    pub(crate) redirect_url: &'a Url,
    pub(crate) suffixed_cookies: bool,
    pub(crate) reason: &'a str,
    pub(crate) session_token: Option<&'a str>,
    pub(crate) dev_browser_token: Option<&'a str>,
    pub(crate) organization_id: Option<&'a str>,
}

/// Builds the handshake location; `None` when the Frontend API is not known (no
/// publishable key) or does not form a URL.
pub(crate) fn handshake_location(params: &HandshakeParams<'_>) -> Option<String> {
    if params.frontend_api.is_empty() {
        return None;
    }
    let base = if params.frontend_api.starts_with("http") {
        params.frontend_api.to_owned()
    } else {
        format!("https://{}", params.frontend_api)
    };
    let base = format!("{}/", base.trim_end_matches('/'));
    let mut url = Url::parse(&format!("{base}v1/client/handshake"))?;
    let mut redirect = params.redirect_url.clone();
    redirect.query_delete(&["__clerk_db_jwt", "__dev_session"]);
    url.query_append("redirect_url", &redirect.to_string());
    url.query_append("__clerk_api_version", HANDSHAKE_API_VERSION);
    url.query_append(
        "suffixed_cookies",
        if params.suffixed_cookies {
            "true"
        } else {
            "false"
        },
    );
    url.query_append("__clerk_hs_reason", params.reason);
    url.query_append("format", "nonce");
    if let Some(token) = params.session_token {
        url.query_append("__session", token);
    }
    if let Some(token) = params.dev_browser_token {
        url.query_append("__clerk_db_jwt", token);
    }
    if let Some(organization) = params.organization_id {
        url.query_append("organization_id", organization);
    }
    Some(url.to_string())
}

/// Verifies a handshake token as the reference does: the header (`typ`, `alg`, category)
/// and the signature, but no claim (a handshake token carries no expiry). Returns the
/// cookie directives of its `handshake` claim.
pub(crate) fn verify_handshake_token(
    verifier: &Verifier,
    token: &str,
) -> Result<Vec<String>, VerifyError> {
    let decoded = jwt::decode(token).ok_or_else(|| {
        VerifyError::new(
            Reason::TokenInvalid,
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        )
    })?;
    let header: jwt::Header<'_> = serde_json::from_slice(&decoded.header_json).map_err(|_| {
        VerifyError::new(
            Reason::TokenInvalid,
            "Invalid JWT form. The header could not be decoded.",
        )
    })?;
    let key = match &verifier.inner.keys {
        KeySource::Pem(key) => key.clone(),
        KeySource::Jwks(cache) => {
            let kid = header.kid.and_then(jwt::as_str);
            cache.key(kid.as_deref(), verifier.inner.clock.as_ref())?
        }
        KeySource::Unconfigured => {
            return Err(VerifyError::new(
                Reason::JwkFailedToResolve,
                "Failed to resolve JWK during handshake verification.",
            ));
        }
    };
    let typ = header.typ;
    if typ.is_some() && typ.and_then(jwt::as_str).as_deref() != Some("JWT") {
        return Err(VerifyError::new(
            Reason::TokenInvalid,
            format!(
                "Invalid JWT type {}. Expected \"JWT\".",
                typ.map_or("undefined", RawValue::get)
            ),
        ));
    }
    let algorithm = checks::check_alg(header.alg)?;
    if let Some(category) = header.cat {
        let category = jwt::as_str(category).unwrap_or_default();
        if category != jwt::SESSION_CATEGORY && category != jwt::IGNORED_CATEGORY {
            return Err(VerifyError::new(
                Reason::TokenInvalid,
                "Invalid handshake token category.",
            ));
        }
    }
    let key = key.as_ref().as_ref().map_err(|message| {
        VerifyError::new(
            Reason::TokenVerificationFailed,
            format!("Error verifying handshake token. {message}"),
        )
    })?;
    key.verify(
        algorithm,
        decoded.signing_input.as_bytes(),
        &decoded.signature,
    )
    .map_err(|error| match error {
        SignatureError::BadSignature => VerifyError::new(
            Reason::TokenInvalidSignature,
            "Handshake signature is invalid.",
        ),
        SignatureError::Unusable(message) => VerifyError::new(
            Reason::TokenVerificationFailed,
            format!("Error verifying handshake token. {message}"),
        ),
    })?;
    let payload: Value = serde_json::from_str(&decoded.payload_json).unwrap_or(Value::Null);
    Ok(match payload.get("handshake") {
        // Non-string directives are kept as the reference's `Headers.append` would print
        // them.
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// A `Set-Cookie` directive's name and value (`name=value; ...`), as the reference's
/// `getCookieName` / `getCookieValue` read them.
pub(crate) fn cookie_directive(directive: &str) -> (&str, &str) {
    let first = directive.split(';').next().unwrap_or_default();
    let mut parts = first.split('=');
    (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    )
}
