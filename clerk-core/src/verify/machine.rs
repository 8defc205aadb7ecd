//! Machine tokens: opaque `ak_` / `mt_` / `oat_` tokens verified by one Backend API
//! call each, and JWT-format M2M and OAuth tokens verified locally.
//!
//! One difference from the reference client: it posts to the API root
//! (`{api_url}/api_keys/verify`); we use the spec's paths below `/v1`
//! (`{api_url}/v1/api_keys/verify`), which is what our client and emulator speak.

use serde::{Deserialize, Serialize};

use super::{Reason, Verifier, VerifyError, jwt};
use crate::generated::{operations, params};
use crate::{Client, Error};

/// The kind of a machine token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MachineTokenType {
    /// An API key (`ak_...`).
    ApiKey,
    /// A machine-to-machine token (`mt_...` or a JWT whose `sub` starts `mch_`).
    M2mToken,
    /// An OAuth access token (`oat_...` or a JWT with `typ` `at+jwt`).
    OauthToken,
}

impl MachineTokenType {
    /// The reference's name: `api_key`, `m2m_token`, `oauth_token`.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineTokenType::ApiKey => "api_key",
            MachineTokenType::M2mToken => "m2m_token",
            MachineTokenType::OauthToken => "oauth_token",
        }
    }
}

/// A verified machine token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineToken {
    /// What kind of token it was.
    pub token_type: MachineTokenType,
    /// The Backend API's answer (opaque tokens) or the JWT claims (JWT tokens).
    pub data: serde_json::Value,
}

/// Verifies opaque machine tokens; [`Client`] implements it with the Backend API.
pub trait MachineBackend: Send + Sync {
    /// Posts the token to the verify operation of its type; returns the response body.
    fn verify_opaque(&self, token_type: MachineTokenType, token: &str) -> Result<String, Error>;
}

impl MachineBackend for Client {
    /// One call of the spec's verify operation of the token's type (`POST /v1/...`),
    /// through the generated operation table and typed params: a spec change that renames
    /// the operation or its token field fails to compile here instead of failing at run time.
    fn verify_opaque(&self, token_type: MachineTokenType, token: &str) -> Result<String, Error> {
        match token_type {
            MachineTokenType::ApiKey => self.typed_text(
                &operations::VERIFY_API_KEY,
                &[],
                &params::ApiKeysVerifyParams::new(token),
            ),
            MachineTokenType::M2mToken => self.typed_text(
                &operations::VERIFY_M2_M_TOKEN,
                &[],
                &params::M2mTokensVerifyParams::new(token),
            ),
            MachineTokenType::OauthToken => self.typed_text(
                &operations::VERIFY_OAUTH_ACCESS_TOKEN,
                &[],
                &params::OauthAccessTokensVerifyParams::new().access_token(token),
            ),
        }
    }
}

/// The type of an opaque token, by prefix.
pub fn opaque_token_type(token: &str) -> Option<MachineTokenType> {
    if token.starts_with("mt_") {
        Some(MachineTokenType::M2mToken)
    } else if token.starts_with("oat_") {
        Some(MachineTokenType::OauthToken)
    } else if token.starts_with("ak_") {
        Some(MachineTokenType::ApiKey)
    } else {
        None
    }
}

/// Whether the text has the compact-JWT shape (three base64url segments, no padding).
fn is_jwt_format(token: &str) -> bool {
    let mut count = 0;
    for segment in token.split('.') {
        count += 1;
        if segment.is_empty()
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
    }
    count == 3
}

/// The machine type of a JWT-format token: OAuth (`typ` `at+jwt`) or M2M (`sub` starting
/// `mch_`); `None` for anything else (including session tokens).
pub fn machine_jwt_type(token: &str) -> Option<MachineTokenType> {
    if !is_jwt_format(token) {
        return None;
    }
    let decoded = jwt::decode(token)?;
    let header: jwt::Header<'_> = serde_json::from_slice(&decoded.header_json).ok()?;
    let payload: jwt::Payload<'_> = serde_json::from_str(&decoded.payload_json).ok()?;
    // M2M first, as the reference's `getMachineTokenType` and `verifyMachineAuthToken`.
    if payload
        .sub
        .and_then(jwt::as_str)
        .is_some_and(|sub| sub.starts_with("mch_"))
    {
        return Some(MachineTokenType::M2mToken);
    }
    header
        .typ
        .and_then(jwt::as_str)
        .filter(|typ| super::OAUTH_TOKEN_TYPES.contains(&typ.as_ref()))
        .map(|_| MachineTokenType::OauthToken)
}

/// A client like `base` (same API URL and version) that authenticates with another key:
/// the machine secret key that verifies M2M tokens.
pub(crate) fn client_with_key(base: Option<&Client>, key: &str) -> Option<Client> {
    let mut builder = Client::builder().secret_key(key);
    if let Some(base) = base {
        builder = builder
            .api_url(base.api_url())
            .api_version(base.api_version());
    }
    builder.build().ok()
}

/// The reference's `MachineTokenVerificationError.getFullMessage()` (without the HTTP
/// status, which the core does not keep).
pub(crate) fn full_message(error: &VerifyError) -> String {
    format!("{} (code={}, status=n/a)", error.message, error.reason)
}

/// The machine type of any token (opaque prefix or JWT form).
pub fn machine_token_type(token: &str) -> Option<MachineTokenType> {
    opaque_token_type(token).or_else(|| machine_jwt_type(token))
}

/// Whether a JWT's header carries a category other than the session ones.
pub(crate) fn has_non_session_category(token: &str) -> bool {
    let Some(decoded) = jwt::decode(token) else {
        return false;
    };
    let Ok(header) = serde_json::from_slice::<jwt::Header<'_>>(&decoded.header_json) else {
        return false;
    };
    match header.cat {
        None => false,
        Some(raw) => !matches!(
            jwt::as_str(raw).as_deref(),
            Some(jwt::SESSION_CATEGORY) | Some(jwt::IGNORED_CATEGORY)
        ),
    }
}

/// Maps a Backend API failure the way the reference does: 401 → `secret-key-invalid`,
/// 404 → `token-invalid`, anything else → `unexpected-error`.
pub(crate) fn map_backend_error(token_type: MachineTokenType, error: &Error) -> VerifyError {
    match error {
        Error::Api(api) if api.status == 401 => VerifyError::new(
            Reason::SecretKeyInvalid,
            api.errors
                .first()
                .map(|e| e.message.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "Invalid secret key".to_owned()),
        ),
        Error::Api(api) if api.status == 404 => {
            let what = match token_type {
                MachineTokenType::ApiKey => "API key",
                MachineTokenType::M2mToken => "M2M token",
                MachineTokenType::OauthToken => "OAuth token",
            };
            VerifyError::new(Reason::TokenInvalid, format!("{what} not found"))
        }
        other => VerifyError::new(
            Reason::UnexpectedError,
            format!("Unexpected error: {other}"),
        ),
    }
}

/// Verifies an opaque machine token through a backend.
pub(crate) fn verify_opaque(
    backend: &dyn MachineBackend,
    token: &str,
) -> Result<MachineToken, VerifyError> {
    let token_type = opaque_token_type(token).ok_or_else(|| {
        VerifyError::new(
            Reason::TokenInvalid,
            "Not a machine token: expected an ak_, mt_ or oat_ prefix.",
        )
    })?;
    let body = backend
        .verify_opaque(token_type, token)
        .map_err(|error| map_backend_error(token_type, &error))?;
    let data = serde_json::from_str(&body).map_err(|e| {
        VerifyError::new(
            Reason::UnexpectedError,
            format!("Unexpected error: undecodable answer: {e}"),
        )
    })?;
    Ok(MachineToken { token_type, data })
}

impl Verifier {
    /// Verifies any machine token: opaque ones through `backend` (the verifier's client
    /// when `None`), JWT ones locally with this verifier's keys.
    pub fn verify_machine_token(
        &self,
        token: &str,
        backend: Option<&dyn MachineBackend>,
    ) -> Result<MachineToken, VerifyError> {
        if opaque_token_type(token).is_some() {
            let backend = match backend {
                Some(backend) => backend,
                None => self
                    .client()
                    .map(|c| c as &dyn MachineBackend)
                    .ok_or_else(|| {
                        VerifyError::new(
                            Reason::UnexpectedError,
                            "Machine token verification requires a client with a secret key.",
                        )
                    })?,
            };
            return verify_opaque(backend, token);
        }
        let token_type = machine_jwt_type(token)
            .ok_or_else(|| VerifyError::new(Reason::TokenInvalid, "Not a machine token."))?;
        let data = self.verify_machine_jwt(token, token_type)?;
        Ok(MachineToken { token_type, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_route_to_operations() {
        assert_eq!(opaque_token_type("ak_x"), Some(MachineTokenType::ApiKey));
        assert_eq!(opaque_token_type("mt_x"), Some(MachineTokenType::M2mToken));
        assert_eq!(
            opaque_token_type("oat_x"),
            Some(MachineTokenType::OauthToken)
        );
        assert_eq!(opaque_token_type("sk_x"), None);
    }

    #[test]
    fn opaque_tokens_are_verified_at_the_spec_paths_below_v1() {
        // The module docs promise the spec's paths; the operations are the generated ones.
        assert_eq!(operations::VERIFY_API_KEY.path, "/api_keys/verify");
        assert_eq!(operations::VERIFY_M2_M_TOKEN.path, "/m2m_tokens/verify");
        assert_eq!(
            operations::VERIFY_OAUTH_ACCESS_TOKEN.path,
            "/oauth_applications/access_tokens/verify"
        );
        assert_eq!(operations::GET_JWKS.path, "/jwks");
    }

    #[test]
    fn jwt_format() {
        assert!(is_jwt_format("a.b.c"));
        assert!(!is_jwt_format("a.b"));
        assert!(!is_jwt_format("a.b.c="));
        assert!(!is_jwt_format("a..c"));
    }
}
