//! The line readers of the `clerk` tool's batch modes (`clerk verify --jsonl`), in the
//! library so the fuzz targets in `fuzz/` reach the exact code the tool runs. Feature
//! `cli` only; not a stable API.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::verify::{FixedClock, Reason, SessionClaims, Verifier, VerifyError};

/// Seconds (maybe fractional) to whole milliseconds, truncated as JavaScript's Date does.
pub fn seconds_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).trunc() as i64
}

/// The per-case options of one verification.
#[derive(Default)]
pub struct CaseOptions {
    /// A PEM key for this case; empty or absent: the base verifier's keys.
    pub jwt_key: Option<String>,
    /// Accepted `azp` values.
    pub authorized_parties: Vec<String>,
    /// Accepted audiences.
    pub audience: Vec<String>,
    /// Accepted issuers.
    pub issuer: Vec<String>,
    /// The clock, in ms since the epoch (default: now).
    pub now_ms: Option<i64>,
    /// The clock skew in ms.
    pub clock_skew_ms: Option<u64>,
    /// How many times to verify with one verifier (`--jsonl` `repeat`; 0 and 1 mean once):
    /// with the token cache on, every verification after an accepted first one must be a
    /// cache hit and give the same result, else the case fails as `unexpected-error`.
    pub repeat: u32,
}

/// `CLERK_TOKEN_CACHE_SIZE`: the verified-token cache size, when set.
fn token_cache_size() -> Result<Option<usize>, VerifyError> {
    match std::env::var("CLERK_TOKEN_CACHE_SIZE") {
        Err(_) => Ok(None),
        Ok(text) => text.trim().parse().map(Some).map_err(|_| {
            VerifyError::new(
                Reason::UnexpectedError,
                format!("CLERK_TOKEN_CACHE_SIZE {text:?} is not a whole number"),
            )
        }),
    }
}

/// Verifies one token with the case's options over `base`'s keys.
pub fn verify_case(
    token: &str,
    options: CaseOptions,
    base: &Verifier,
) -> Result<SessionClaims, VerifyError> {
    let mut builder = Verifier::builder();
    builder = match &options.jwt_key {
        Some(pem) if !pem.is_empty() => builder.pem_key(pem.clone()),
        _ => builder.keys_from(base),
    };
    builder = builder
        .authorized_parties(options.authorized_parties)
        .audience(options.audience)
        .issuer(options.issuer);
    if let Some(now_ms) = options.now_ms {
        builder = builder.clock(Arc::new(FixedClock::new(now_ms)));
    }
    if let Some(skew) = options.clock_skew_ms {
        builder = builder.clock_skew(Duration::from_millis(skew));
    }
    if let Some(size) = token_cache_size()? {
        builder = builder.token_cache_size(size);
    }
    let verifier = builder
        .build_lenient()
        .map_err(|e| VerifyError::new(Reason::UnexpectedError, e.to_string()))?;
    let first = verifier.verify(token);
    for round in 1..options.repeat.max(1) {
        let again = verifier.verify(token);
        let same = match (&first, &again) {
            (Ok(a), Ok(b)) => {
                a == b && serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
            }
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if !same {
            return Err(VerifyError::new(
                Reason::UnexpectedError,
                format!(
                    "verification {} differs from the first: {first:?} then {again:?}",
                    round + 1
                ),
            ));
        }
        let stats = verifier.token_cache_stats();
        // The cache stores tokens up to 4 KiB without `=` padding (Clerk never pads).
        let cacheable =
            token.len() <= crate::verify::MAX_CACHED_TOKEN_BYTES && !token.contains('=');
        if first.is_ok() && cacheable && stats.capacity > 0 && stats.hits != u64::from(round) {
            return Err(VerifyError::new(
                Reason::UnexpectedError,
                format!(
                    "verification {} was not a token cache hit: {stats:?}",
                    round + 1
                ),
            ));
        }
    }
    first
}

/// A refusal line: `{"ok": false}` followed by the core's error object (`kind`,
/// `message`, `reason`), the same object the C library returns.
pub fn refused(error: serde_json::Value) -> serde_json::Value {
    let mut line = serde_json::Map::new();
    line.insert("ok".into(), false.into());
    if let serde_json::Value::Object(fields) = error {
        line.extend(fields);
    }
    serde_json::Value::Object(line)
}

/// One result line: `{"ok":true,"claims":{...}}` or
/// `{"ok":false,"kind":"verification","message","reason"}`.
/// The claims are serialized straight from what the library returned (never re-parsed
/// into a `Value`, whose recursion limit deeply nested custom claims would hit).
pub fn result_line(result: Result<SessionClaims, VerifyError>) -> (String, bool) {
    #[derive(Serialize)]
    struct Verified<'a> {
        claims: &'a SessionClaims,
        ok: bool,
    }
    match result {
        Ok(claims) => match serde_json::to_string(&Verified {
            claims: &claims,
            ok: true,
        }) {
            Ok(line) => (line, true),
            Err(e) => result_line(Err(VerifyError::new(
                Reason::UnexpectedError,
                format!("cannot serialize the claims: {e}"),
            ))),
        },
        Err(error) => (refused(error.to_json()).to_string(), false),
    }
}

/// A string or a list of strings (as the reference's options accept).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonlCase {
    token: String,
    #[serde(default)]
    jwt_key: Option<String>,
    #[serde(default)]
    authorized_parties: Option<Vec<String>>,
    #[serde(default)]
    now: Option<f64>,
    #[serde(default)]
    clock_skew_in_ms: Option<f64>,
    #[serde(default)]
    audience: Option<OneOrMany>,
    #[serde(default)]
    issuer: Option<OneOrMany>,
    #[serde(default)]
    repeat: Option<u32>,
}

/// Parses one input line of `clerk verify --jsonl` and verifies its token.
pub fn jsonl_case(line: &str, base: &Verifier) -> Result<SessionClaims, VerifyError> {
    let case: JsonlCase = serde_json::from_str(line).map_err(|e| {
        VerifyError::new(Reason::UnexpectedError, format!("invalid input line: {e}"))
    })?;
    let clock_skew_ms = match case.clock_skew_in_ms {
        None => None,
        Some(skew) if skew >= 0.0 && skew.fract() == 0.0 => Some(skew as u64),
        Some(skew) => {
            return Err(VerifyError::new(
                Reason::UnexpectedError,
                format!("clockSkewInMs {skew} must be a non-negative whole number"),
            ));
        }
    };
    let options = CaseOptions {
        jwt_key: case.jwt_key,
        authorized_parties: case.authorized_parties.unwrap_or_default(),
        audience: case.audience.map(OneOrMany::into_vec).unwrap_or_default(),
        issuer: case.issuer.map(OneOrMany::into_vec).unwrap_or_default(),
        now_ms: case.now.map(seconds_to_ms),
        clock_skew_ms,
        repeat: case.repeat.unwrap_or(1),
    };
    verify_case(&case.token, options, base)
}

/// One output line of `clerk verify --jsonl` for one input line: the result JSON and
/// whether the token verified.
pub fn verify_line(line: &str, base: &Verifier) -> (String, bool) {
    result_line(jsonl_case(line, base))
}
