//! Session verification, request authentication, machine tokens, webhooks and test
//! token minting.

use std::ffi::c_char;

use clerk_core::ErrorKind;
use clerk_core::verify::{AuthenticateOptions, Check, RequestInfo, Verifier, authenticate_request};
use clerk_core::webhooks::Webhook;
use serde_json::Value;

use crate::boundary::{
    FfiError, Output, boundary, bytes, free_handle, from_object, guard, handle, json_result,
    json_type_name, object_or_empty, optional_str, required_str, write_handle,
};
use crate::client::clerk_client;
use crate::config::build_verifier;
use crate::result::clerk_result;

/// A session token verifier: its key (PEM, or a JWKS cache fed by a client) and its
/// claim rules.
///
/// Thread safety: one verifier may be used from any number of threads at once; share it
/// (its JWKS cache is shared too).
pub struct clerk_verifier {
    verifier: Verifier,
}

/// Makes a session token verifier.
///
/// `config_json` is NULL, `""`, or a JSON object (every key optional):
/// `{"jwt_key": "-----BEGIN PUBLIC KEY-----...", "authorized_parties": [...],
///   "audience": [...], "issuer": [...], "clock_skew_ms": 5000, "jwks_ttl_ms": 300000,
///   "kid_refetch_interval_ms": 10000, "max_stale_ms": 3600000, "token_cache_size": 1024,
///   "from_env": false}`
/// (the core's `VerifierConfig`; unknown keys and wrong JSON types are
/// `CLERK_RESULT_INVALID_JSON`, the message naming the key and the accepted keys).
/// `"from_env": true` starts from the environment (`CLERK_JWT_KEY`, and with a NULL
/// `client` the JWKS of `CLERK_SECRET_KEY`) and applies the other keys on top.
/// Ranges (anything else is `CLERK_RESULT_CONFIG` naming the setting): `clock_skew_ms`
/// 0..=300000 (5 minutes), `jwks_ttl_ms` 100..=86400000, `kid_refetch_interval_ms` and
/// `max_stale_ms` 0..=86400000 (24 hours), `token_cache_size` 0..=65536. A successful
/// JWKS fetch replaces the whole key set: a key that left the instance's JWKS stops
/// verifying at once.
/// `token_cache_size` bounds the verified-token cache (default 1024 entries, 0 turns it
/// off): a token that verified before skips the signature, while the key (still in the
/// current key set) and `exp`/`nbf`/`iat` are checked again on every hit, so decisions
/// are the same as without it. Each entry is at most ~10.5 KiB (tokens over 4 KiB are
/// not cached): at most ~10.5 MiB at the default size, typically ~2.5 MiB.
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
        let verifier = build_verifier(config, client.map(|c| c.client.clone()))?;
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

/// Authenticates an incoming HTTP request as `@clerk/backend`'s `authenticateRequest`.
///
/// `request_json` is `{"method": "GET", "url": "https://app.example.com/page?x=1",
/// "headers": {"Authorization": "Bearer ...", "Cookie": "...", "Sec-Fetch-Dest":
/// "document", ...}, "options": {...}, "has": [check, ...],
/// "treat_pending_as_signed_out": true}`. `method` defaults to GET; `url` (absolute;
/// `x-forwarded-host`/`-proto` and `host` override its origin) defaults to
/// `http://localhost/` and is needed for handshake redirects; header names in any case.
///
/// `options` (all optional; an unknown key is `CLERK_RESULT_INVALID_JSON` naming it):
/// - `publishable_key`: the instance's `pk_test_...`/`pk_live_...` key: Frontend API of
///   the handshake redirect, development or production, suffixed cookie names;
/// - `secret_key`: tells development secret keys apart for satellite checks (the
///   verifier holds the keys that verify);
/// - `machine_secret_key`: the key that verifies opaque M2M tokens (`mt_...`);
/// - `jwt_key`: accepted for symmetry with the CLI; the verifier's keys are used;
/// - `authorized_parties` (list), `audience` (string or list), `clock_skew_ms` (at most
///   300000): override the verifier's;
/// - `domain`, `is_satellite`, `satellite_auto_sync`: satellite applications;
/// - `proxy_url`: a Frontend API proxy, absolute or relative to the request origin;
/// - `sign_in_url`, `sign_up_url`: development satellites redirect to the sign-in URL;
/// - `accepts_token`: `"session_token"` (default), `"api_key"`, `"m2m_token"`,
///   `"oauth_token"`, `"any"`, or a list of types;
/// - `organization_sync_options`: `{"organization_patterns": ["/orgs/:slug", ...],
///   "personal_account_patterns": ["/me", ...]}`.
///
/// `has` lists authorization checks evaluated on the result, as the reference's
/// `auth.has(...)`: `{"role"}`, `{"permission"}`, `{"feature"}`, `{"plan"}`,
/// `{"reverification": "strict" | {"level", "after_minutes"}}`, combinable; a pending
/// session fails them unless `treat_pending_as_signed_out` is false.
///
/// Returns `CLERK_RESULT_OK` with the state in `*json_out`:
/// `{"status": "signed-in", "token_type", "claims": {...}}` (or `"machine"` for machine
/// tokens), `{"status": "signed-out", "token_type", "reason", "message"}` or
/// `{"status": "handshake", "reason", "message"}`, each with `"headers"` to set on the
/// response: `{"location": ..., "cache-control": ..., "set-cookie": [...],
/// "x-clerk-auth-status": ..., ...}`; on `handshake` the host redirects (307) to
/// `headers.location` with those headers, and a resolved `__clerk_handshake` token's
/// cookies arrive as `set-cookie`. With `has`, `"has": [true, false, ...]` in order. A
/// configuration the reference refuses (an invalid publishable key, a satellite without
/// `domain` or `proxy_url`, an unusable `sign_in_url`, a development handshake token that
/// does not verify) is `CLERK_RESULT_CONFIG` with `{"kind": "config", "message"}`.
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
        let checks: Vec<Check> = match request.remove("has") {
            None | Some(Value::Null) => Vec::new(),
            Some(checks) => serde_json::from_value(checks)
                .map_err(|error| FfiError::invalid_json("request_json.has", error))?,
        };
        let treat_pending = match request.remove("treat_pending_as_signed_out") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(flag)) => flag,
            Some(_) => {
                return Err(FfiError::invalid_json(
                    "request_json",
                    "`treat_pending_as_signed_out` must be a boolean",
                ));
            }
        };
        if let Some(key) = request
            .keys()
            .find(|key| !matches!(key.as_str(), "method" | "url" | "headers"))
        {
            return Err(FfiError::invalid_json(
                "request_json",
                format!(
                    "unknown key `{key}` (expected method, url, headers, options, has, treat_pending_as_signed_out)"
                ),
            ));
        }
        let request: RequestInfo = from_object(request, "request_json")?;
        let state = authenticate_request(&verifier.verifier, &request, &options, None)
            .map_err(|error| FfiError::new(ErrorKind::Config, error.message))?;
        let mut json = serde_json::to_value(&state)
            .map_err(|error| FfiError::new(ErrorKind::Unexpected, error.to_string()))?;
        if !checks.is_empty() {
            let results: Vec<bool> = checks
                .iter()
                .map(|check| state.has(check, treat_pending))
                .collect();
            json["has"] = Value::from(results);
        }
        json_result(&json)
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
