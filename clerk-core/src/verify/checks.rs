//! The claim checks, in the reference's order: `sub`, `aud`, `azp`, `iss`, then the dates.

use serde_json::value::RawValue;

use super::jwt;
use super::keys::Algorithm;
use super::reason::{Reason, VerifyError};

/// The claim checks, shared by the verifier and per-request overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClaimRules {
    pub(crate) authorized_parties: Vec<String>,
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: Vec<String>,
}

/// What kind of JWT is being verified: the rules differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    Session,
    M2mJwt,
    OauthJwt,
}

/// The `typ` values of OAuth access tokens (RFC 9068).
pub(crate) const OAUTH_TOKEN_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// Runs the claim checks in the reference's order; returns the dates in whole seconds.
/// `now_ms` and `skew_ms` are the verifier's clock reading and tolerance.
pub(super) fn check_claims(
    payload: &jwt::Payload<'_>,
    rules: &ClaimRules,
    kind: TokenKind,
    now_ms: i64,
    skew_ms: i64,
) -> Result<Dates, VerifyError> {
    let failed = |message: String| VerifyError::new(Reason::TokenVerificationFailed, message);
    let shown = |raw: Option<&RawValue>| raw.map_or("undefined", RawValue::get).to_owned();

    if payload.sub.and_then(jwt::as_str).is_none() {
        return Err(failed(format!(
            "Subject claim (sub) is required and must be a string. Received {}.",
            shown(payload.sub)
        )));
    }
    if kind != TokenKind::OauthJwt {
        check_audience(payload.aud, &rules.audience)?;
    }
    if kind == TokenKind::Session && !rules.authorized_parties.is_empty() {
        let azp = payload.azp.and_then(jwt::as_str);
        if !azp.is_some_and(|azp| {
            !azp.is_empty() && rules.authorized_parties.iter().any(|p| *p == *azp)
        }) {
            return Err(VerifyError::new(
                Reason::TokenInvalidAuthorizedParties,
                format!(
                    "Invalid JWT Authorized party claim (azp) {}. Expected \"{}\".",
                    shown(payload.azp),
                    rules.authorized_parties.join(",")
                ),
            ));
        }
    }
    if !rules.issuer.is_empty() {
        let iss = payload.iss.and_then(jwt::as_str);
        if !iss.is_some_and(|iss| rules.issuer.iter().any(|i| *i == *iss)) {
            return Err(VerifyError::new(
                Reason::TokenInvalidIssuer,
                format!(
                    "Invalid JWT issuer claim (iss) {}. Expected \"{}\".",
                    shown(payload.iss),
                    rules.issuer.join(",")
                ),
            ));
        }
    }

    let exp = match payload.exp {
        Some(raw) => date_seconds("exp", raw)?,
        None => {
            return Err(failed(
                "Invalid JWT expiry date claim (exp) undefined. Expected number.".to_owned(),
            ));
        }
    };
    check_expiry(exp, now_ms, skew_ms)?;
    let nbf = match payload.nbf {
        Some(raw) => {
            let nbf = date_seconds("nbf", raw)?;
            check_not_before(nbf, now_ms, skew_ms)?;
            Some(nbf)
        }
        None => None,
    };
    let iat = match payload.iat {
        Some(raw) => {
            let iat = date_seconds("iat", raw)?;
            check_issued_at(iat, now_ms, skew_ms)?;
            Some(iat)
        }
        None => None,
    };
    if kind == TokenKind::OauthJwt {
        check_oauth_audience(payload.aud, &rules.audience)?;
    }
    Ok(Dates { exp, nbf, iat })
}

/// A verified token's dates in whole seconds: what a verified-token cache hit checks
/// again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dates {
    pub(super) exp: i64,
    pub(super) nbf: Option<i64>,
    pub(super) iat: Option<i64>,
}

impl Dates {
    /// The date checks of [`check_claims`], in its order, for dates that already parsed.
    pub(super) fn check(&self, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
        check_expiry(self.exp, now_ms, skew_ms)?;
        if let Some(nbf) = self.nbf {
            check_not_before(nbf, now_ms, skew_ms)?;
        }
        if let Some(iat) = self.iat {
            check_issued_at(iat, now_ms, skew_ms)?;
        }
        Ok(())
    }
}

fn check_expiry(exp: i64, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
    if exp.saturating_mul(1000) <= now_ms.saturating_sub(skew_ms) {
        return Err(VerifyError::new(
            Reason::TokenExpired,
            format!("JWT is expired. Expiry date: {exp} (seconds), current date: {now_ms} (ms)."),
        ));
    }
    Ok(())
}

fn check_not_before(nbf: i64, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
    if nbf.saturating_mul(1000) > now_ms.saturating_add(skew_ms) {
        return Err(VerifyError::new(
            Reason::TokenNotActiveYet,
            format!(
                "JWT cannot be used prior to not before date claim (nbf) {nbf}; current date: {now_ms} (ms)."
            ),
        ));
    }
    Ok(())
}

fn check_issued_at(iat: i64, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
    if iat.saturating_mul(1000) > now_ms.saturating_add(skew_ms) {
        return Err(VerifyError::new(
            Reason::TokenIatInTheFuture,
            format!(
                "JWT issued at date claim (iat) {iat} is in the future; current date: {now_ms} (ms)."
            ),
        ));
    }
    Ok(())
}

/// The header's `alg`, one of the RSA algorithms the reference accepts.
pub(super) fn check_alg(alg: Option<&RawValue>) -> Result<Algorithm, VerifyError> {
    alg.and_then(jwt::as_str)
        .and_then(|name| Algorithm::from_name(&name))
        .ok_or_else(|| {
            VerifyError::new(
                Reason::TokenInvalidAlgorithm,
                format!(
                    "Invalid JWT algorithm {}. Supported: RS256,RS384,RS512.",
                    alg.map_or("undefined", RawValue::get)
                ),
            )
        })
}

/// `typ`: for session and M2M tokens absent passes, otherwise exactly `JWT`; OAuth access
/// tokens must say `at+jwt` or `application/at+jwt`.
pub(super) fn check_typ(typ: Option<&RawValue>, kind: TokenKind) -> Result<(), VerifyError> {
    let typ_text = typ.and_then(jwt::as_str);
    let ok = match kind {
        TokenKind::OauthJwt => typ_text.is_some_and(|t| OAUTH_TOKEN_TYPES.contains(&t.as_ref())),
        _ => typ.is_none() || typ_text.as_deref() == Some("JWT"),
    };
    if ok {
        return Ok(());
    }
    Err(VerifyError::new(
        Reason::TokenInvalid,
        format!(
            "Invalid JWT type {}.",
            typ.map_or("undefined", RawValue::get)
        ),
    ))
}

/// OAuth access tokens: with an audience configured, `aud` must be a non-empty string or
/// array of non-empty strings, one of them configured.
fn check_oauth_audience(aud: Option<&RawValue>, audience: &[String]) -> Result<(), VerifyError> {
    if audience.is_empty() {
        return Ok(());
    }
    let values: Option<Vec<String>> = aud.and_then(|raw| match jwt::as_str(raw) {
        Some(single) => Some(vec![single.into_owned()]),
        None => serde_json::from_str::<Vec<String>>(raw.get()).ok(),
    });
    let Some(values) = values.filter(|v| !v.is_empty() && v.iter().all(|a| !a.is_empty())) else {
        return Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            "Invalid OAuth audience claim (aud). Expected a non-empty string or a non-empty array of non-empty strings.",
        ));
    };
    if values.iter().any(|v| audience.contains(v)) {
        Ok(())
    } else {
        Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "OAuth audience mismatch: expected one of {audience:?}, the token has {values:?}."
            ),
        ))
    }
}

/// `aud`: checked only when an audience is configured and the token's `aud` is non-empty.
fn check_audience(aud: Option<&RawValue>, audience: &[String]) -> Result<(), VerifyError> {
    let Some(raw) = aud.filter(|raw| jwt::is_truthy(raw)) else {
        return Ok(());
    };
    if audience.is_empty() {
        return Ok(());
    }
    let failed = || {
        VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT audience claim (aud) {}. Is not included in \"{:?}\".",
                raw.get(),
                audience
            ),
        )
    };
    if let Some(single) = jwt::as_str(raw) {
        return if audience.iter().any(|a| *a == *single) {
            Ok(())
        } else {
            Err(failed())
        };
    }
    match serde_json::from_str::<Vec<serde_json::Value>>(raw.get()) {
        // An array with only falsy members counts as empty, as in the reference.
        Ok(items)
            if items.iter().all(|i| {
                matches!(i, serde_json::Value::Null) || i == "" || i == 0 || i == false
            }) =>
        {
            Ok(())
        }
        Ok(items) if items.iter().all(serde_json::Value::is_string) => {
            if items.iter().any(|i| audience.iter().any(|a| i == a)) {
                Ok(())
            } else {
                Err(failed())
            }
        }
        // Deviation: wrong types are refused (the reference lets them through).
        _ => Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT audience claim (aud) {}: expected a string or an array of strings.",
                raw.get()
            ),
        )),
    }
}

/// A date claim in whole seconds (the reference truncates fractions). Non-numbers and
/// dates outside 0001..=9999 are `token-verification-failed`.
fn date_seconds(name: &str, raw: &RawValue) -> Result<i64, VerifyError> {
    let value = match jwt::as_number(raw) {
        Some(Ok(value)) => value.trunc(),
        Some(Err(())) => f64::INFINITY,
        None => {
            return Err(VerifyError::new(
                Reason::TokenVerificationFailed,
                format!("Invalid JWT {name} claim {}. Expected number.", raw.get()),
            ));
        }
    };
    if !(MIN_DATE_SECONDS..=MAX_DATE_SECONDS).contains(&value) {
        return Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT {name} claim {}: outside the years 0001 to 9999.",
                raw.get()
            ),
        ));
    }
    Ok(value as i64)
}

/// The Unix seconds of 9999-12-31T23:59:59Z and 0001-01-01T00:00:00Z: dates outside are
/// refused (the reference's date arithmetic breaks on them and never expires the token).
const MAX_DATE_SECONDS: f64 = 253_402_300_799.0;
const MIN_DATE_SECONDS: f64 = -62_135_596_800.0;
