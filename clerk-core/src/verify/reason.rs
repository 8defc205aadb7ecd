//! Why a token was refused: the reason codes and the error carrying them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error_kind::{ErrorKind, error_object};

/// Why a token was refused: the kebab-case codes of the reference SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// Not a well-formed JWT, a machine-category token, or a bad `typ`.
    TokenInvalid,
    /// `alg` is not RS256, RS384 or RS512.
    TokenInvalidAlgorithm,
    /// The signature does not verify.
    TokenInvalidSignature,
    /// A claim has the wrong type or value, or the key cannot be used.
    TokenVerificationFailed,
    /// `azp` is missing or not one of the authorized parties.
    TokenInvalidAuthorizedParties,
    /// `iss` is not the expected issuer.
    TokenInvalidIssuer,
    /// `exp` has passed (beyond the clock skew).
    TokenExpired,
    /// `nbf` is still in the future (beyond the clock skew).
    TokenNotActiveYet,
    /// `iat` is in the future (beyond the clock skew).
    TokenIatInTheFuture,
    /// Neither a PEM key nor a JWKS source is configured.
    JwkFailedToResolve,
    /// The JWKS could not be fetched, or held no keys.
    JwkRemoteFailedToLoad,
    /// No key in the JWKS has the token's `kid`.
    JwkKidMismatch,
    /// Clerk refused the secret key.
    SecretKeyInvalid,
    /// A machine token verification failed in an unexpected way.
    UnexpectedError,
}

impl Reason {
    /// The kebab-case code, e.g. `token-expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::TokenInvalid => "token-invalid",
            Reason::TokenInvalidAlgorithm => "token-invalid-algorithm",
            Reason::TokenInvalidSignature => "token-invalid-signature",
            Reason::TokenVerificationFailed => "token-verification-failed",
            Reason::TokenInvalidAuthorizedParties => "token-invalid-authorized-parties",
            Reason::TokenInvalidIssuer => "token-invalid-issuer",
            Reason::TokenExpired => "token-expired",
            Reason::TokenNotActiveYet => "token-not-active-yet",
            Reason::TokenIatInTheFuture => "token-iat-in-the-future",
            Reason::JwkFailedToResolve => "jwk-failed-to-resolve",
            Reason::JwkRemoteFailedToLoad => "jwk-remote-failed-to-load",
            Reason::JwkKidMismatch => "jwk-kid-mismatch",
            Reason::SecretKeyInvalid => "secret-key-invalid",
            Reason::UnexpectedError => "unexpected-error",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused token: the reason code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyError {
    /// The machine-readable reason.
    pub reason: Reason,
    /// What exactly was wrong.
    pub message: String,
}

impl VerifyError {
    /// A new error.
    pub fn new(reason: Reason, message: impl Into<String>) -> VerifyError {
        VerifyError {
            reason,
            message: message.into(),
        }
    }
}

impl VerifyError {
    /// Always [`ErrorKind::Verification`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Verification
    }

    /// The error as the JSON object the C library, the bindings and the CLI expose:
    /// `{"kind": "verification", "message", "reason"}`.
    pub fn to_json(&self) -> serde_json::Value {
        error_object(
            self.kind(),
            self.message.clone(),
            Some(self.reason.as_str()),
        )
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

impl std::error::Error for VerifyError {}
