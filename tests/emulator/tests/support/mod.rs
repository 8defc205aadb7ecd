//! Test helpers: an HTTP client for the emulator that checks every 2xx answer against
//! the response schema the OpenAPI spec gives for the operation.

#![allow(dead_code)]

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_emulator::Emulator;
use serde_json::{Value, json};

/// The spec, read from `../shared/openapi/` beside the repository (never committed).
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/openapi/clerk-bapi-2026-05-12.json"
        );
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("reading the spec at {path}: {e}"));
        serde_json::from_str(&text).expect("the spec is JSON")
    })
}

fn resolve(value: &Value) -> &Value {
    let mut current = value;
    while let Some(reference) = current.get("$ref").and_then(Value::as_str) {
        current = spec()
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    current
}

/// Checks `value` against an OpenAPI 3.0 schema; returns the violations.
pub fn check_schema(value: &Value, schema: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema);
    if value.is_null() {
        if schema.get("nullable") == Some(&Value::Bool(true))
            || schema.as_object().is_some_and(|s| s.is_empty())
        {
            return;
        }
        // A nullable $ref wrapped in allOf/oneOf carries nullable on a member.
        let members = ["allOf", "oneOf", "anyOf"]
            .iter()
            .filter_map(|k| schema.get(*k).and_then(Value::as_array))
            .flatten();
        if members
            .clone()
            .any(|m| resolve(m).get("nullable") == Some(&Value::Bool(true)))
        {
            return;
        }
        errors.push(format!("{at}: null is not allowed"));
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for member in all {
            check_schema(value, member, at, errors);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            let matches = members.iter().any(|m| {
                let mut member_errors = Vec::new();
                check_schema(value, m, at, &mut member_errors);
                member_errors.is_empty()
            });
            if !matches {
                errors.push(format!("{at}: matches no member of {key}"));
            }
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let Some(ty) = schema.get("type").and_then(Value::as_str) else {
        return;
    };
    let type_ok = match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    if !type_ok {
        errors.push(format!("{at}: expected {ty}, got {value}"));
        return;
    }
    if let Some(items) = schema.get("items")
        && let Some(array) = value.as_array()
    {
        for (index, item) in array.iter().enumerate() {
            check_schema(item, items, &format!("{at}[{index}]"), errors);
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = required.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                errors.push(format!("{at}: required field {name} missing"));
            }
        }
        for (key, field) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(field_schema) => {
                    check_schema(field, field_schema, &format!("{at}.{key}"), errors)
                }
                None => {
                    // allOf members list their own properties; only flag unknown keys
                    // when this schema alone forbids them.
                    if schema.get("additionalProperties") == Some(&Value::Bool(false))
                        && schema.get("allOf").is_none()
                    {
                        errors.push(format!("{at}: unexpected field {key}"));
                    }
                }
            }
        }
    }
}

/// The spec operation for a method and concrete path below `/v1`, most specific first.
pub fn spec_operation(method: &str, path: &str) -> Option<(String, &'static Value)> {
    let segments: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .skip(1)
        .collect();
    let mut best: Option<(usize, String, &'static Value)> = None;
    for (template, item) in spec()["paths"].as_object().expect("paths") {
        let Some(operation) = item.get(method.to_ascii_lowercase()) else {
            continue;
        };
        let pattern: Vec<&str> = template.split('/').skip(1).collect();
        if pattern.len() != segments.len() {
            continue;
        }
        let mut literals = 0;
        let matched = pattern.iter().zip(&segments).all(|(p, s)| {
            if p.starts_with('{') {
                !s.is_empty()
            } else {
                literals += usize::from(p == s);
                p == s
            }
        });
        if matched && best.as_ref().is_none_or(|(score, _, _)| literals > *score) {
            best = Some((literals, template.clone(), operation));
        }
    }
    best.map(|(_, template, operation)| (template, operation))
}

/// Checks a 2xx body against the spec's schema for that status; panics on violations.
pub fn assert_matches_spec(method: &str, path: &str, status: u16, body: &Value) {
    let (template, operation) = spec_operation(method, path)
        .unwrap_or_else(|| panic!("{method} {path} is not in the spec"));
    let response = operation["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {template}: the spec documents no {status} response"));
    let response = resolve(response);
    let Some(schema) = response.pointer("/content/application~1json/schema") else {
        assert!(
            body.is_null(),
            "{method} {template}: the spec documents no body for {status}, got {body}"
        );
        return;
    };
    let mut errors = Vec::new();
    check_schema(body, schema, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{method} {template} {status} does not match the spec:\n{}\nbody: {body}",
        errors.join("\n")
    );
}

/// An answer: status, headers, parsed body (`Null` when empty or not JSON), raw text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub retry_after: Option<String>,
    pub trace_id: Option<String>,
}

/// A client for one emulator.
pub struct Api {
    pub emulator: Emulator,
    pub agent: ureq::Agent,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(20)))
        .build()
        .into()
}

impl Api {
    pub fn start() -> Api {
        Api {
            emulator: Emulator::start().expect("emulator starts"),
            agent: agent(),
        }
    }

    /// Sends a request with the emulator's secret key; checks 2xx bodies against the spec.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let key = self.emulator.secret_key().to_string();
        let answer = self.call_with_key(Some(&key), method, path, body);
        if (200..300).contains(&answer.status) && path.starts_with("/v1/") {
            assert_matches_spec(method, &path["/v1".len()..], answer.status, &answer.body);
        }
        answer
    }

    /// Sends a request, asserts the status, returns the body.
    pub fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let answer = self.call(method, path, body);
        assert_eq!(answer.status, 200, "{method} {path}: {}", answer.text);
        answer.body
    }

    /// Sends a request, asserts a Clerk error with this status and code, returns the error.
    pub fn error(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
        code: &str,
    ) -> Value {
        let answer = self.call(method, path, body);
        assert_clerk_error(&answer, status, code);
        answer.body["errors"][0].clone()
    }

    /// A request with the secret key through another agent (another connection pool).
    pub fn call_with_key_on(&self, agent: &ureq::Agent, method: &str, path: &str) -> Answer {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.emulator.api_url()))
            .header(
                "Authorization",
                format!("Bearer {}", self.emulator.secret_key()),
            )
            .body(())
            .expect("valid request");
        into_answer(agent.run(request).expect("the emulator answers"))
    }

    pub fn call_with_key(
        &self,
        key: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.emulator.api_url()));
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let response = match body {
            Some(body) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .expect("valid request"),
            ),
            None => self.agent.run(request.body(()).expect("valid request")),
        };
        into_answer(response.expect("the emulator answers"))
    }
}

pub fn into_answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let trace_id = response
        .headers()
        .get("x-clerk-trace-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("body readable");
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        retry_after,
        trace_id,
    }
}

/// Asserts a Clerk error body: status, code, message fields, trace id.
pub fn assert_clerk_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    let errors = answer.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("not a Clerk error: {}", answer.text));
    assert_eq!(errors[0]["code"], code, "{}", answer.text);
    assert!(errors[0]["message"].is_string() && errors[0]["long_message"].is_string());
    assert!(answer.body["clerk_trace_id"].is_string());
    if let Some(header) = &answer.trace_id {
        assert_eq!(
            answer.body["clerk_trace_id"],
            header.as_str(),
            "header and body trace ids agree"
        );
    }
    let mut violations = Vec::new();
    check_schema(
        &answer.body,
        &json!({"$ref": "#/components/schemas/ClerkErrors"}),
        "$",
        &mut violations,
    );
    assert!(violations.is_empty(), "{violations:?}");
}

/// Decodes a JWT into (header, claims, signing input, signature).
pub fn split_jwt(token: &str) -> (Value, Value, String, Vec<u8>) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    (
        decode(parts[0]),
        decode(parts[1]),
        format!("{}.{}", parts[0], parts[1]),
        URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
    )
}

/// Verifies an RS256 JWT against a JWKS document; returns the claims.
pub fn verify_with_jwks(token: &str, jwks: &Value) -> Result<Value, String> {
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
    let (header, claims, input, signature) = split_jwt(token);
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    let key = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kid"] == header["kid"])
        .ok_or_else(|| format!("kid {} not in the JWKS", header["kid"]))?;
    let component = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(key[name].as_str().unwrap_or_default())
            .unwrap()
    };
    RsaPublicKeyComponents {
        n: component("n"),
        e: component("e"),
    }
    .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &signature)
    .map_err(|_| "bad signature".to_string())?;
    Ok(claims)
}

/// Builds a multipart body with one file part (and extra text fields).
pub fn multipart_body(
    boundary: &str,
    fields: &[(&str, &str)],
    file_field: &str,
    file: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"img.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

impl Api {
    /// Sends a multipart request; checks a 2xx body against the spec.
    pub fn multipart(
        &self,
        method: &str,
        path: &str,
        fields: &[(&str, &str)],
        file: &[u8],
    ) -> Answer {
        let boundary = "emulatorTestBoundary7MA4YWxk";
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.emulator.api_url()))
            .header(
                "Authorization",
                format!("Bearer {}", self.emulator.secret_key()),
            )
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(multipart_body(boundary, fields, "file", file))
            .expect("valid request");
        let answer = into_answer(self.agent.run(request).expect("the emulator answers"));
        if answer.status == 200 {
            assert_matches_spec(method, &path["/v1".len()..], 200, &answer.body);
        }
        answer
    }
}
