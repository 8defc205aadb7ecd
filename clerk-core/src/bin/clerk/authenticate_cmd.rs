//! `clerk authenticate --jsonl`: request authentication driven by JSON lines, for
//! scripts and the differential test against `@clerk/backend`'s `authenticateRequest`.
//!
//! In, one object a line: `{"method", "url", "headers": {name: value}, "options": {...},
//! "now"?: unix ms, "has"?: [check, ...], "treat_pending_as_signed_out"?: bool}`, the
//! options being [`AuthenticateOptions`]'s snake_case keys (unknown keys refused). Out,
//! one object a line: `{"state": "signed-in" | "signed-out" | "handshake", "reason"?,
//! "message"?, "token_type"?, "claims"?, "headers"?: {"location"?, "set-cookie"?: [...],
//! ...}, "has"?: [bool, ...]}`, or `{"state": "error", "message"}` for a configuration
//! the reference refuses. `claims` are the session claims, or the machine token's data.
//! Without `jwt_key`, keys come from the JWKS of `secret_key` at `CLERK_API_URL`.

use std::io::{BufRead, Write};
use std::sync::Arc;

use clerk_core::Client;
use clerk_core::verify::{
    AuthState, AuthenticateOptions, Check, FixedClock, RequestInfo, Verifier, authenticate_request,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

const USAGE: &str = "usage: clerk authenticate --jsonl   (JSON lines on stdin: {method, url, headers, options, now?, has?}; one result line each)";

/// One input line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    options: Option<Value>,
    #[serde(default)]
    now: Option<f64>,
    #[serde(default)]
    has: Vec<Check>,
    #[serde(default)]
    treat_pending_as_signed_out: Option<bool>,
}

/// Runs `clerk authenticate ARGS`; returns the exit code (0, or 2 for usage errors).
pub fn run(args: &[String]) -> i32 {
    if args != ["--jsonl"] {
        eprintln!("clerk authenticate: expected --jsonl\n{USAGE}");
        return 2;
    }
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            eprintln!("clerk authenticate: cannot read stdin");
            return 1;
        };
        if line.trim().is_empty() {
            continue;
        }
        let result = authenticate_line(&line)
            .unwrap_or_else(|message| json!({"state": "error", "message": message}));
        if writeln!(out, "{result}").is_err() {
            return 1;
        }
    }
    if out.flush().is_err() {
        return 1;
    }
    0
}

fn authenticate_line(line: &str) -> Result<Value, String> {
    let line: Line = serde_json::from_str(line).map_err(|e| format!("invalid input line: {e}"))?;
    let options: AuthenticateOptions = match line.options {
        None | Some(Value::Null) => AuthenticateOptions::default(),
        Some(options) => {
            serde_json::from_value(options).map_err(|e| format!("invalid options: {e}"))?
        }
    };
    options.check_reference_keys()?;
    let verifier = verifier_for(&options, line.now)?;
    let request = RequestInfo {
        method: line.method.unwrap_or_else(|| "GET".to_owned()),
        url: line.url,
        headers: line.headers,
    };
    let state =
        authenticate_request(&verifier, &request, &options, None).map_err(|error| error.message)?;
    let treat_pending = line.treat_pending_as_signed_out.unwrap_or(true);
    let mut out = state_json(&state)?;
    if !line.has.is_empty() {
        let results: Vec<bool> = line
            .has
            .iter()
            .map(|check| state.has(check, treat_pending))
            .collect();
        out.insert("has".to_owned(), json!(results));
    }
    Ok(Value::Object(out))
}

/// The verifier of one line: the PEM key, else the secret key's JWKS (at
/// `CLERK_API_URL`), with the line's clock. Settings out of range are the core's
/// business (`build_lenient` mirrors the reference for unusable PEM keys).
fn verifier_for(options: &AuthenticateOptions, now_ms: Option<f64>) -> Result<Verifier, String> {
    let mut builder = Verifier::builder();
    if let Some(pem) = options.jwt_key.as_deref().filter(|p| !p.is_empty()) {
        builder = builder.pem_key(pem);
    }
    // The client verifies opaque machine tokens; with only a machine secret key, that key.
    let secret = options
        .secret_key
        .as_deref()
        .filter(|s| !s.is_empty())
        .or(options
            .machine_secret_key
            .as_deref()
            .filter(|s| !s.is_empty()));
    if let Some(secret) = secret {
        let mut client = Client::builder().secret_key(secret);
        if let Ok(url) = std::env::var("CLERK_API_URL") {
            client = client.api_url(url);
        }
        builder = builder.client(client.build().map_err(|e| e.to_string())?);
    }
    if let Some(now) = now_ms {
        builder = builder.clock(Arc::new(FixedClock::new(now.trunc() as i64)));
    }
    builder.build_lenient().map_err(|e| e.to_string())
}

fn state_json(state: &AuthState) -> Result<Map<String, Value>, String> {
    let value = serde_json::to_value(state).map_err(|e| e.to_string())?;
    let Value::Object(mut fields) = value else {
        return Err("unexpected state shape".to_owned());
    };
    let mut out = Map::new();
    if let Some(status) = fields.remove("status") {
        out.insert("state".to_owned(), status);
    }
    if matches!(state, AuthState::Handshake { .. }) {
        // A handshake concerns a session, as the reference's `tokenType` says.
        out.insert("token_type".to_owned(), json!("session_token"));
    }
    for key in ["reason", "message", "token_type"] {
        if let Some(value) = fields.remove(key).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), value);
        }
    }
    if let Some(claims) = fields.remove("claims").or_else(|| fields.remove("machine")) {
        out.insert("claims".to_owned(), claims);
    }
    if let Some(headers) = fields
        .remove("headers")
        .filter(|h| h.as_object().is_some_and(|m| !m.is_empty()))
    {
        out.insert("headers".to_owned(), headers);
    }
    Ok(out)
}
