//! Session verification, request authentication, machine tokens, webhooks and test
//! token minting.

use std::ffi::c_char;
use std::time::Duration;

use clerk_core::verify::{AuthenticateOptions, RequestInfo, Verifier, authenticate_request};
use clerk_core::webhooks::Webhook;
use serde::Deserialize;
use serde_json::Value;

use crate::boundary::{
    FfiError, Output, boundary, bytes, free_handle, from_object, guard, handle, json_result,
    json_type_name, object_or_empty, optional_str, required_str, write_handle,
};
use crate::client::clerk_client;
use crate::result::clerk_result;

/// A session token verifier: its key (PEM, or a JWKS cache fed by a client) and its
/// claim rules.
///
/// Thread safety: one verifier may be used from any number of threads at once; share it
/// (its JWKS cache is shared too).
pub struct clerk_verifier {
    verifier: Verifier,
}

/// Every option of `clerk_core::verify::VerifierBuilder`, durations in milliseconds.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VerifierConfig {
    /// PEM public key for networkless verification (takes precedence over the JWKS).
    jwt_key: Option<String>,
    #[serde(default)]
    authorized_parties: Vec<String>,
    #[serde(default)]
    audience: Vec<String>,
    #[serde(default)]
    issuer: Vec<String>,
    clock_skew_ms: Option<u64>,
    jwks_ttl_ms: Option<u64>,
    kid_refetch_interval_ms: Option<u64>,
    max_stale_ms: Option<u64>,
}

fn build_verifier(
    config: Option<&str>,
    client: Option<&clerk_client>,
) -> Result<Verifier, FfiError> {
    let blank = config.is_none_or(|text| text.trim().is_empty());
    if blank && client.is_none() {
        return Ok(Verifier::from_env()?);
    }
    let config: VerifierConfig =
        from_object(object_or_empty(config, "config_json")?, "config_json")?;
    let mut builder = Verifier::builder()
        .authorized_parties(config.authorized_parties)
        .audience(config.audience)
        .issuer(config.issuer);
    if let Some(client) = client {
        builder = builder.client(client.client.clone());
    }
    if let Some(pem) = config.jwt_key {
        builder = builder.pem_key(pem);
    }
    if let Some(ms) = config.clock_skew_ms {
        builder = builder.clock_skew(Duration::from_millis(ms));
    }
    if let Some(ms) = config.jwks_ttl_ms {
        builder = builder.jwks_ttl(Duration::from_millis(ms));
    }
    if let Some(ms) = config.kid_refetch_interval_ms {
        builder = builder.kid_refetch_interval(Duration::from_millis(ms));
    }
    if let Some(ms) = config.max_stale_ms {
        builder = builder.max_stale(Duration::from_millis(ms));
    }
    Ok(builder.build()?)
}

/// Makes a session token verifier.
///
/// `config_json` is NULL, `""`, or a JSON object (every key optional):
/// `{"jwt_key": "-----BEGIN PUBLIC KEY-----...", "authorized_parties": [...],
///   "audience": [...], "issuer": [...], "clock_skew_ms": 5000, "jwks_ttl_ms": 300000,
///   "kid_refetch_interval_ms": 10000, "max_stale_ms": 3600000}`.
/// Ranges (anything else is `CLERK_RESULT_CONFIG` naming the setting): `clock_skew_ms`
/// 0..=300000 (5 minutes), `jwks_ttl_ms` 100..=86400000, `kid_refetch_interval_ms` and
/// `max_stale_ms` 0..=86400000 (24 hours). A successful JWKS fetch replaces the whole key
/// set: a key that left the instance's JWKS stops verifying at once.
/// With `jwt_key` tokens are verified against that PEM key without any network; otherwise
/// keys come from the JWKS of `client` (fetched once, then cached). `client` may be NULL
/// with a `jwt_key`; the verifier keeps its own reference to the client, which may be freed
/// first. It is also used for opaque machine tokens. NULL/`""` config with a NULL client
/// read the environment (`CLERK_JWT_KEY`, else `CLERK_SECRET_KEY` and `CLERK_API_URL`).
/// A verifier with neither key source refuses every token with `jwk-failed-to-resolve`.
///
/// On success `*verifier_out` receives the verifier and `*json_out` is set to NULL; on
/// failure (unparsable PEM key, bad config) `*verifier_out` is untouched and `*json_out`
/// receives an error object.
///
/// Ownership: the caller owns the verifier (free it with `clerk_verifier_free`) and any
/// string put in `*json_out`. The arguments are only read during the call.
/// Thread safety: safe to call from any thread.
///
/// # Safety
/// `config_json` is NULL or NUL-terminated; `client` is NULL or a live client;
/// `verifier_out` and `json_out` are NULL or point to writable pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_verifier_new(
    config_json: *const c_char,
    client: *const clerk_client,
    verifier_out: *mut *mut clerk_verifier,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        if verifier_out.is_null() {
            return Err(FfiError::null("verifier_out"));
        }
        // SAFETY: the caller passes NULL or a NUL-terminated string, and NULL or a live
        // client, valid during the call.
        let (config, client) =
            unsafe { (optional_str(config_json, "config_json")?, client.as_ref()) };
        let verifier = build_verifier(config, client)?;
        // SAFETY: verifier_out was checked non-NULL; the caller guarantees it is writable.
        unsafe { write_handle(verifier_out, clerk_verifier { verifier }) };
        Ok((clerk_result::Ok, Output::Nothing))
    })
}

/// Frees a verifier. NULL is a no-op.
///
/// Ownership: takes ownership of `verifier`; it must not be used afterwards.
/// Thread safety: no other thread may be using `verifier` during or after this call.
///
/// # Safety
/// `verifier` is NULL or a live verifier from `clerk_verifier_new`, freed only once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_verifier_free(verifier: *mut clerk_verifier) {
    // SAFETY: the caller passes NULL or a live verifier, freed once, unused elsewhere.
    guard((), || unsafe { free_handle(verifier) })
}

/// Verifies a session token (the `__session` cookie or the `Authorization: Bearer` value).
///
/// On success `*json_out` receives the claims: `{"sub", "sid", "azp", "iss", "exp", "iat",
/// "nbf", "sts", "act", "fva", "version", "organization": {"id", "slug", "role",
/// "permissions"}, "features", "plans", "raw": {every claim}}` (absent claims omitted).
/// A refused token returns `CLERK_RESULT_VERIFICATION` with
/// `{"kind": "verification", "reason", "message"}` where `reason` is the reference's
/// kebab-case code (`token-expired`, `token-invalid-signature`, `jwk-kid-mismatch`, ...).
/// Once the JWKS is cached, verification is local (no network).
///
/// Ownership: the caller owns the string put in `*json_out` (free it with
/// `clerk_string_free`).
/// Thread safety: safe to call concurrently on one verifier from any number of threads.
///
/// # Safety
/// `verifier` is NULL or a live verifier; `token` is NULL or NUL-terminated; `json_out` is
/// NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_verifier_verify(
    verifier: *const clerk_verifier,
    token: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or a live verifier and NULL or a NUL-terminated
        // string, valid during the call.
        let (verifier, token) =
            unsafe { (handle(verifier, "verifier")?, required_str(token, "token")?) };
        let claims = verifier.verifier.verify(token)?;
        json_result(&claims)
    })
}

/// Verifies a machine token: an opaque API key (`ak_`), M2M token (`mt_`) or OAuth access
/// token (`oat_`) through the Backend API with the verifier's client, or a JWT machine
/// token locally with the verifier's keys.
///
/// On success `*json_out` receives `{"token_type": "api_key" | "m2m_token" |
/// "oauth_token", "data": {...}}`; a refused token returns `CLERK_RESULT_VERIFICATION`
/// with `reason` (`token-invalid`, `secret-key-invalid`, `unexpected-error`, ...).
///
/// Ownership and thread safety as for `clerk_verifier_verify`.
///
/// # Safety
/// As for `clerk_verifier_verify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_verifier_verify_machine_token(
    verifier: *const clerk_verifier,
    token: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or a live verifier and NULL or a NUL-terminated
        // string, valid during the call.
        let (verifier, token) =
            unsafe { (handle(verifier, "verifier")?, required_str(token, "token")?) };
        let machine = verifier.verifier.verify_machine_token(token, None)?;
        json_result(&machine)
    })
}

/// Authenticates an incoming HTTP request from its method and headers.
///
/// `request_json` is `{"method": "GET", "headers": {"Authorization": "Bearer ...",
/// "Cookie": "...", ...}, "options": {"publishable_key", "authorized_parties": [...],
/// "accepts_token": ["session_token", "api_key", "m2m_token", "oauth_token"]}}`
/// (`method` defaults to GET, `options` may be omitted; header names in any case).
///
/// Returns `CLERK_RESULT_OK` with the state in `*json_out` whatever the outcome:
/// `{"status": "signed-in", "token_type", "claims": {...}}` (or `"machine"` for machine
/// tokens), `{"status": "signed-out", "token_type", "reason", "message"}` or
/// `{"status": "handshake", "reason", "message"}` (a browser page load must be redirected
/// to Clerk's handshake). Only malformed arguments give other codes.
///
/// Ownership and thread safety as for `clerk_verifier_verify`.
///
/// # Safety
/// `verifier` is NULL or a live verifier; `request_json` is NULL or NUL-terminated;
/// `json_out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_authenticate_request(
    verifier: *const clerk_verifier,
    request_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or a live verifier and NULL or a NUL-terminated
        // string, valid during the call.
        let (verifier, request) = unsafe {
            (
                handle(verifier, "verifier")?,
                required_str(request_json, "request_json")?,
            )
        };
        let mut request = object_or_empty(Some(request), "request_json")?;
        let options: AuthenticateOptions = match request.remove("options") {
            None | Some(Value::Null) => AuthenticateOptions::default(),
            Some(Value::Object(options)) => from_object(options, "request_json.options")?,
            Some(other) => {
                return Err(FfiError::invalid_json(
                    "request_json",
                    format!(
                        "`options` must be an object, not {}",
                        json_type_name(&other)
                    ),
                ));
            }
        };
        if let Some(key) = request
            .keys()
            .find(|key| !matches!(key.as_str(), "method" | "headers"))
        {
            return Err(FfiError::invalid_json(
                "request_json",
                format!("unknown key `{key}` (expected method, headers, options)"),
            ));
        }
        let request: RequestInfo = from_object(request, "request_json")?;
        let state = authenticate_request(&verifier.verifier, &request, &options, None);
        json_result(&state)
    })
}

/// Header pairs from `{"name": "value"}` or `[["name", "value"], ...]`.
fn header_pairs(headers_json: &str) -> Result<Vec<(String, String)>, FfiError> {
    let value: Value = serde_json::from_str(headers_json)
        .map_err(|error| FfiError::invalid_json("headers_json", error))?;
    let shape_error = || {
        FfiError::invalid_json(
            "headers_json",
            "expected {\"name\": \"value\", ...} or [[\"name\", \"value\"], ...]",
        )
    };
    match value {
        Value::Object(map) => map
            .into_iter()
            .map(|(name, value)| match value {
                Value::String(value) => Ok((name, value)),
                _ => Err(shape_error()),
            })
            .collect(),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Array(pair) => match <[Value; 2]>::try_from(pair) {
                    Ok([Value::String(name), Value::String(value)]) => Ok((name, value)),
                    _ => Err(shape_error()),
                },
                _ => Err(shape_error()),
            })
            .collect(),
        _ => Err(shape_error()),
    }
}

/// Verifies a webhook delivery (Svix signing): `secret` is the endpoint's `whsec_...`
/// secret, `headers_json` the request headers (`{"svix-id": ..., "svix-timestamp": ...,
/// "svix-signature": ...}`, or an array of `[name, value]` pairs; other headers are
/// ignored) and `body_ptr`/`body_len` the raw body bytes exactly as received.
///
/// On success `*json_out` receives `{"type", "data", "timestamp", "instance_id",
/// "message_id", "signed_at", "raw"}`; a refused delivery returns `CLERK_RESULT_WEBHOOK`
/// with `{"kind": "webhook", "reason", "message"}` (`reason`: `invalid-secret`,
/// `missing-headers`, `invalid-timestamp`, `timestamp-too-old`, `timestamp-too-new`,
/// `no-matching-signature`, `invalid-payload`).
///
/// Ownership: the caller owns the string put in `*json_out`; the arguments are only read
/// during the call.
/// Thread safety: safe to call from any thread.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `body_ptr` points to `body_len` readable
/// bytes (or is NULL with `body_len` 0); `json_out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_webhook_verify(
    secret: *const c_char,
    headers_json: *const c_char,
    body_ptr: *const u8,
    body_len: usize,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or NUL-terminated strings and `body_len` readable
        // bytes at `body_ptr`, valid during the call.
        let (secret, headers, body) = unsafe {
            (
                required_str(secret, "secret")?,
                required_str(headers_json, "headers_json")?,
                bytes(body_ptr, body_len, "body_ptr")?,
            )
        };
        let headers = header_pairs(headers)?;
        let event = Webhook::new(secret)?.verify(
            body,
            headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        )?;
        json_result(&event)
    })
}

/// For tests: signs a webhook body as Clerk (Svix) would, giving the `svix-signature`
/// header value (`v1,<base64>`) for `message_id` and `timestamp` (Unix seconds).
///
/// On success `*signature_out` receives the header value and `*json_out` is set to NULL; on
/// failure (`invalid-secret`) `*json_out` receives an error object.
///
/// Ownership: the caller owns the strings put in `*signature_out` and `*json_out` (free
/// them with `clerk_string_free`).
/// Thread safety: safe to call from any thread.
///
/// # Safety
/// As for `clerk_webhook_verify`, and `signature_out` is NULL or points to a writable
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_testing_sign_webhook(
    secret: *const c_char,
    message_id: *const c_char,
    timestamp: i64,
    body_ptr: *const u8,
    body_len: usize,
    signature_out: *mut *mut c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        if signature_out.is_null() {
            return Err(FfiError::null("signature_out"));
        }
        // SAFETY: the caller passes NULL or NUL-terminated strings and `body_len` readable
        // bytes at `body_ptr`, valid during the call.
        let (secret, message_id, body) = unsafe {
            (
                required_str(secret, "secret")?,
                required_str(message_id, "message_id")?,
                bytes(body_ptr, body_len, "body_ptr")?,
            )
        };
        let signature = Webhook::new(secret)?.sign(message_id, timestamp, body);
        // SAFETY: signature_out was checked non-NULL; the caller guarantees it is writable.
        unsafe { *signature_out = crate::boundary::into_c_string(format!("v1,{signature}")) };
        Ok((clerk_result::Ok, Output::Nothing))
    })
}

/// For tests: mints an RS256 session token signed with `private_key_pem` (PKCS#8 or
/// PKCS#1 RSA private key) whose header carries `kid`.
///
/// The claims are defaults for a session issued now (`sub` `user_test`, `sid`, `sts`
/// active, `v` 2, `iat`/`nbf` 10 s ago, `exp` in 60 s, `iss`, `azp`
/// `http://localhost:3000`) overlaid with `claims_json` (NULL for none; a `null` value
/// removes a claim); `header_json` likewise overlays the header (`alg` RS256/RS384/RS512,
/// `typ`, `kid`, `cat`).
///
/// On success `*token_out` receives the token and `*json_out` is set to NULL; on failure
/// `*json_out` receives an error object.
///
/// Ownership: the caller owns the strings put in `*token_out` and `*json_out` (free them
/// with `clerk_string_free`).
/// Thread safety: safe to call from any thread.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `token_out` and `json_out` are NULL or
/// point to writable pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_testing_mint_session_token(
    private_key_pem: *const c_char,
    kid: *const c_char,
    claims_json: *const c_char,
    header_json: *const c_char,
    token_out: *mut *mut c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        if token_out.is_null() {
            return Err(FfiError::null("token_out"));
        }
        // SAFETY: the caller passes NULL or NUL-terminated strings valid during the call.
        let (pem, kid, claims, header) = unsafe {
            (
                required_str(private_key_pem, "private_key_pem")?,
                required_str(kid, "kid")?,
                optional_str(claims_json, "claims_json")?,
                optional_str(header_json, "header_json")?,
            )
        };
        let claims = Value::Object(object_or_empty(claims, "claims_json")?);
        let header = Value::Object(object_or_empty(header, "header_json")?);
        let key = clerk_core::testing::TestKey::from_pem(kid, pem)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64);
        let token = clerk_core::testing::mint_with_header_at(&key, &header, &claims, now)?;
        // SAFETY: token_out was checked non-NULL; the caller guarantees it is writable.
        unsafe { *token_out = crate::boundary::into_c_string(token) };
        Ok((clerk_result::Ok, Output::Nothing))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_come_as_an_object_or_as_pairs() {
        let from_object = header_pairs(r#"{"svix-id": "a", "svix-timestamp": "1"}"#).unwrap();
        assert_eq!(from_object.len(), 2);
        let from_pairs = header_pairs(r#"[["svix-id", "a"], ["Svix-Id", "b"]]"#).unwrap();
        assert_eq!(from_pairs[1], ("Svix-Id".to_owned(), "b".to_owned()));
        for bad in [r#"{"a": 1}"#, r#"[["a"]]"#, r#"[1]"#, r#""x""#, "{"] {
            assert_eq!(
                header_pairs(bad).unwrap_err().code,
                clerk_result::InvalidJson,
                "{bad}"
            );
        }
    }

    #[test]
    fn verification_and_webhook_errors_carry_their_code_kind_and_reason() {
        let error = FfiError::from(clerk_core::verify::VerifyError::new(
            clerk_core::verify::Reason::TokenExpired,
            "expired",
        ));
        assert_eq!(error.code, clerk_result::Verification);
        assert_eq!(error.json["reason"], "token-expired");
        assert_eq!(error.json["kind"], "verification");
        assert_eq!(error.json["message"], "expired");

        let refused = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap()
            .verify(b"{}", std::iter::empty())
            .unwrap_err();
        let error = FfiError::from(refused);
        assert_eq!(error.code, clerk_result::Webhook);
        assert_eq!(error.json["kind"], "webhook");
        assert_eq!(error.json["reason"], "missing-headers");
        assert!(error.json["message"].is_string());
    }
}
