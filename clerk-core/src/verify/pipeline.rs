//! The verification pipeline: decode, category, key, header, signature, then the claims.

use std::fmt;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::checks::{ClaimRules, TokenKind, check_claims, check_typ};
use super::claims::SessionClaims;
use super::clock::Clock;
use super::jwt;
use super::key_source::KeySource;
use super::keys::{Algorithm, SignatureError};
use super::machine::MachineTokenType;
use super::reason::{Reason, VerifyError};
use crate::Client;

pub(super) struct Inner {
    pub(super) keys: KeySource,
    pub(super) rules: ClaimRules,
    pub(super) clock_skew_ms: i64,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) client: Option<Client>,
}

/// Verifies Clerk session tokens. Cheap to clone (shared state); `Send + Sync`. Each
/// verifier built from a client has its own JWKS cache.
#[derive(Clone)]
pub struct Verifier {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.inner.keys.name())
            .field("authorized_parties", &self.inner.rules.authorized_parties)
            .field("audience", &self.inner.rules.audience)
            .field("issuer", &self.inner.rules.issuer)
            .field("clock_skew_ms", &self.inner.clock_skew_ms)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// The client this verifier was built with, if any (used for machine tokens).
    pub fn client(&self) -> Option<&Client> {
        self.inner.client.as_ref()
    }

    /// Verifies a session token with the verifier's own rules.
    pub fn verify(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        self.verify_with(token, &self.inner.rules)
    }

    fn verify_with(&self, token: &str, rules: &ClaimRules) -> Result<SessionClaims, VerifyError> {
        self.verify_kind(token, rules, TokenKind::Session)
    }

    /// Verifies a JWT-format machine token (M2M: `sub` starting `mch_`; OAuth access
    /// token: `typ` `at+jwt`), returning its claims.
    pub(crate) fn verify_machine_jwt(
        &self,
        token: &str,
        token_type: MachineTokenType,
    ) -> Result<serde_json::Value, VerifyError> {
        let kind = match token_type {
            MachineTokenType::OauthToken => TokenKind::OauthJwt,
            _ => TokenKind::M2mJwt,
        };
        let claims = self.verify_kind(token, &self.inner.rules, kind)?;
        Ok(serde_json::from_str(&claims.raw).unwrap_or_default())
    }

    fn verify_kind(
        &self,
        token: &str,
        rules: &ClaimRules,
        kind: TokenKind,
    ) -> Result<SessionClaims, VerifyError> {
        // 1. Decode.
        let decoded = jwt::decode(token).ok_or_else(|| {
            VerifyError::new(
                Reason::TokenInvalid,
                "Invalid JWT form. A JWT consists of three parts separated by dots, with JSON object header and payload.",
            )
        })?;
        let header: jwt::Header<'_> =
            serde_json::from_slice(&decoded.header_json).map_err(|_| {
                VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid JWT form. The header could not be decoded.",
                )
            })?;
        let payload: jwt::Payload<'_> =
            serde_json::from_str(&decoded.payload_json).map_err(|_| {
                VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid JWT form. The payload could not be decoded.",
                )
            })?;

        // 2. Category.
        let category = header.cat.map(|raw| jwt::as_str(raw).unwrap_or_default());
        match kind {
            TokenKind::Session if category.as_deref() == Some(jwt::M2M_CATEGORY) => {
                return Err(VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid session token category.",
                ));
            }
            TokenKind::M2mJwt if category.as_deref().is_some_and(|c| c != jwt::M2M_CATEGORY) => {
                return Err(VerifyError::new(
                    Reason::TokenInvalid,
                    "Invalid M2M JWT category.",
                ));
            }
            _ => {}
        }

        // 3. Key selection.
        let key = self.inner.keys.key(header.kid, self.inner.clock.as_ref())?;

        // 4. Header.
        check_typ(header.typ, kind)?;
        let algorithm = header
            .alg
            .and_then(jwt::as_str)
            .and_then(|name| Algorithm::from_name(&name))
            .ok_or_else(|| {
                VerifyError::new(
                    Reason::TokenInvalidAlgorithm,
                    format!(
                        "Invalid JWT algorithm {}. Supported: RS256,RS384,RS512.",
                        header.alg.map_or("undefined", RawValue::get)
                    ),
                )
            })?;

        // 5. Signature, before any claim is trusted.
        let key = key.as_ref().as_ref().map_err(|message| {
            VerifyError::new(
                Reason::TokenVerificationFailed,
                format!("Error verifying JWT signature: the key cannot be used: {message}"),
            )
        })?;
        key.verify(
            algorithm,
            decoded.signing_input.as_bytes(),
            &decoded.signature,
        )
        .map_err(|error| match error {
            SignatureError::BadSignature => {
                VerifyError::new(Reason::TokenInvalidSignature, "JWT signature is invalid.")
            }
            SignatureError::Unusable(message) => VerifyError::new(
                Reason::TokenVerificationFailed,
                format!("Error verifying JWT signature: {message}"),
            ),
        })?;

        // 6. Claims.
        let exp = check_claims(
            &payload,
            rules,
            kind,
            self.inner.clock.now_ms(),
            self.inner.clock_skew_ms,
        )?;
        let mut claims = SessionClaims::from_payload(&payload, &decoded.payload_json, exp);
        claims.raw = decoded.payload_json;
        Ok(claims)
    }
}
