//! The hand-picked seed inputs of each target, written to `corpus/<target>/seed-*` by
//! `cargo test --manifest-path fuzz/Cargo.toml --test replay -- --ignored write_seeds`
//! (the committed files are what the replay and the fuzzer start from; libFuzzer adds
//! what it finds to the same folders during a run, and `cargo fuzz cmin` minimises them).

use std::sync::OnceLock;

use clerk_core::operations::{self as operation, Body, Location, ParamType};
use clerk_core::testing::mint_with_header_at;
use serde_json::{Map, Value, json};

use crate::{NOW_SECONDS, WEBHOOK_BODY, WEBHOOK_ID, WEBHOOK_SIGNATURE, fixture_key};

fn mint(header: Value, claims: Value) -> String {
    mint_with_header_at(fixture_key(), &header, &claims, NOW_SECONDS).expect("minting")
}

/// A session token the fixture key signed, valid at [`NOW_SECONDS`].
pub fn valid_token() -> String {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN
        .get_or_init(|| {
            mint(
                Value::Null,
                json!({"sub": "user_fuzz", "sid": "sess_fuzz", "azp": "https://example.com",
                       "o": {"id": "org_1", "rol": "admin", "slg": "acme", "per": "read,write", "fpm": "3"},
                       "fea": "o:read,u:write", "v": 2}),
            )
        })
        .clone()
}

/// Tokens worth starting from: genuine ones of every algorithm and failing ones of every
/// reason the verifier knows.
fn tokens() -> Vec<(&'static str, String)> {
    let valid = valid_token();
    let (signing_input, _) = valid.rsplit_once('.').unwrap();
    vec![
        ("rs256", valid.clone()),
        (
            "rs384",
            mint(json!({"alg": "RS384"}), json!({"sub": "user_384"})),
        ),
        (
            "rs512",
            mint(json!({"alg": "RS512"}), json!({"sub": "user_512"})),
        ),
        (
            "expired",
            mint(Value::Null, json!({"exp": NOW_SECONDS - 3600})),
        ),
        (
            "nbf-future",
            mint(Value::Null, json!({"nbf": NOW_SECONDS + 3600})),
        ),
        ("unknown-kid", mint(json!({"kid": "kid_other"}), json!({}))),
        ("no-kid", mint(json!({"kid": null}), json!({}))),
        (
            "m2m",
            mint(
                json!({"cat": "cl_B7d4PD333AAA"}),
                json!({"sub": "mch_1", "scopes": "mch_2"}),
            ),
        ),
        (
            "oauth",
            mint(
                json!({"typ": "at+jwt", "cat": null}),
                json!({"sub": "user_1", "client_id": "oa_1"}),
            ),
        ),
        ("alg-none", format!("{signing_input}.")),
        ("bad-signature", format!("{signing_input}.AAAA")),
        ("opaque-m2m", "mt_0123456789abcdef".to_owned()),
        ("garbage", "eyJ.eyJ.x".to_owned()),
    ]
}

fn with_mode(mode: u8, text: &str) -> Vec<u8> {
    let mut bytes = vec![mode];
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// A placeholder value of a parameter's type.
fn placeholder(ty: ParamType) -> Value {
    match ty {
        ParamType::String | ParamType::Any => json!("x_1"),
        ParamType::Integer | ParamType::Number => json!(1),
        ParamType::Boolean => json!(true),
        ParamType::Array => json!(["a"]),
        ParamType::Object => json!({"k": "v"}),
        ParamType::File => {
            json!({"filename": "a.png", "content_base64": "iVBORw0KGgo=", "content_type": "image/png"})
        }
        // A type added to the table later: a string, as for `Any`.
        _ => json!("x_1"),
    }
}

/// For one operation of each method and body kind: its params with every parameter set.
fn operation_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seen = std::collections::HashSet::new();
    let mut seeds = Vec::new();
    for op in operation::all() {
        let kind = match op.body {
            Body::None => "none",
            Body::Object { .. } => "object",
            Body::Whole { .. } => "whole",
            Body::Multipart { .. } => "multipart",
        };
        let query = op.params.iter().any(|p| p.location == Location::Query);
        if !seen.insert((op.method, kind, query)) {
            continue;
        }
        let mut params = Map::new();
        for param in op.params {
            params.insert(param.name.to_owned(), placeholder(param.ty));
        }
        if kind == "whole" {
            params.insert("$body".to_owned(), json!([{"a": 1}]));
        }
        seeds.push((
            format!("op-{}", op.name),
            format!("{}\n{}", op.name, Value::Object(params)).into_bytes(),
        ));
    }
    seeds
}

/// Every seed: (target, file name, bytes).
pub fn all() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut seeds: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let key = fixture_key();
    let valid = valid_token();

    for (name, token) in tokens() {
        seeds.push(("verify_token", format!("pem-{name}"), with_mode(0, &token)));
        seeds.push(("verify_token", format!("jwks-{name}"), with_mode(1, &token)));
    }
    let pem = key.public_key_pem();
    seeds.push(("verify_token", "key-pem".into(), with_mode(2, &pem)));
    seeds.push((
        "verify_token",
        "key-pem-truncated".into(),
        with_mode(2, &pem[..pem.len() / 2]),
    ));
    seeds.push((
        "verify_token",
        "key-not-pem".into(),
        with_mode(2, "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"),
    ));
    seeds.push((
        "verify_token",
        "jwks".into(),
        with_mode(3, &key.jwks().to_string()),
    ));
    seeds.push((
        "verify_token",
        "jwks-empty".into(),
        with_mode(3, r#"{"keys":[]}"#),
    ));
    seeds.push((
        "verify_token",
        "jwks-odd-keys".into(),
        with_mode(3, r#"{"keys":[{"kid":"kid_fuzz","kty":"RSA","n":"AQAB","e":"AQAB"},{"kid":"x","kty":"EC"},{"kty":"RSA"}]}"#),
    ));

    for (name, bytes) in operation_seeds() {
        seeds.push(("params_request", name, bytes));
    }
    for (name, text) in [
        (
            "users-list",
            "users.list\n{\"limit\":5,\"offset\":0,\"email_address\":[\"a@b.c\",\"d@e.f\"],\"order_by\":\"-created_at\"}",
        ),
        (
            "users-get-slash",
            "users.get\n{\"user_id\":\"a/b?c#d e%2E\"}",
        ),
        ("users-get-dotdot", "users.get\n{\"user_id\":\"..\"}"),
        (
            "users-get-encoded-dot",
            "users.get\n{\"user_id\":\"%2e%2E\"}",
        ),
        (
            "users-update-extra",
            "users.update\n{\"user_id\":\"user_1\",\"first_name\":null,\"$extra_body\":{\"x\":[1,{}]}}",
        ),
        (
            "users-create-body",
            "users.create\n{\"$body\":{\"email_address\":[\"a@b.c\"]}}",
        ),
        ("unknown-key", "users.list\n{\"nope\":1}"),
        ("by-operation-id", "GetUserList\n{\"limit\":1}"),
        ("null-params", "users.list\nnull"),
        ("array-params", "users.list\n[1,2]"),
    ] {
        seeds.push(("params_request", name.to_owned(), text.as_bytes().to_vec()));
    }

    let vector_headers = json!({"svix-id": WEBHOOK_ID, "svix-timestamp": "1614265330", "svix-signature": WEBHOOK_SIGNATURE});
    let body = std::str::from_utf8(WEBHOOK_BODY).unwrap();
    for (name, headers) in [
        ("vector", vector_headers.to_string()),
        (
            "pairs-webhook-names",
            json!([["webhook-id", WEBHOOK_ID], ["webhook-timestamp", "1614265330"], ["webhook-signature", WEBHOOK_SIGNATURE]]).to_string(),
        ),
        (
            "many-signatures",
            json!({"svix-id": WEBHOOK_ID, "svix-timestamp": "1614265330", "svix-signature": format!("v1,AAAA v2,x {WEBHOOK_SIGNATURE} v1,!!")}).to_string(),
        ),
        ("missing", json!({"svix-id": WEBHOOK_ID}).to_string()),
        (
            "old",
            json!({"svix-id": WEBHOOK_ID, "svix-timestamp": "1", "svix-signature": WEBHOOK_SIGNATURE}).to_string(),
        ),
    ] {
        seeds.push(("webhook_verify", format!("headers-{name}"), with_mode(0, &format!("{headers}\n{body}"))));
    }
    seeds.push(("webhook_verify", "body-vector".into(), with_mode(1, body)));
    seeds.push((
        "webhook_verify",
        "body-other".into(),
        with_mode(1, "{\"test\": 1}"),
    ));
    seeds.push((
        "webhook_verify",
        "secret".into(),
        with_mode(2, crate::WEBHOOK_SECRET),
    ));
    seeds.push((
        "webhook_verify",
        "secret-bare".into(),
        with_mode(2, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ));
    seeds.push((
        "webhook_verify",
        "secret-bad".into(),
        with_mode(2, "whsec_!!"),
    ));

    let auth = |headers: Value, options: Value| {
        let mut request = json!({"method": "GET", "headers": headers});
        if !options.is_null() {
            request["options"] = options;
        }
        request.to_string()
    };
    for (name, request) in [
        (
            "bearer",
            auth(
                json!({"Authorization": format!("Bearer {valid}")}),
                Value::Null,
            ),
        ),
        (
            "bearer-lower",
            auth(
                json!({"authorization": format!("bearer {valid}")}),
                Value::Null,
            ),
        ),
        (
            "cookie",
            auth(
                json!({"Cookie": format!("__client_uat=1767225500; __session={valid}"), "Accept": "text/html", "Sec-Fetch-Dest": "document"}),
                Value::Null,
            ),
        ),
        (
            "cookie-suffixed",
            auth(
                json!({"cookie": format!("__session_Y2xlcms=x; __session={valid}; __client_uat_Y2xlcms=0")}),
                json!({"publishableKey": "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "authorizedParties": ["https://example.com"]}),
            ),
        ),
        (
            "no-token-browser",
            auth(
                json!({"Accept": "text/html", "Sec-Fetch-Dest": "document", "Cookie": "__client_uat=1767225500"}),
                Value::Null,
            ),
        ),
        (
            "machine-accepted",
            auth(
                json!({"Authorization": "Bearer mt_0123"}),
                json!({"acceptsToken": ["machine_token", "session_token"]}),
            ),
        ),
    ] {
        seeds.push((
            "authenticate_request",
            format!("json-{name}"),
            with_mode(0, &request),
        ));
    }
    seeds.push((
        "authenticate_request",
        "lines-cookie".into(),
        with_mode(
            1,
            &format!("Cookie: __session={valid}; __client_uat=1\nAccept: text/html\n"),
        ),
    ));
    seeds.push((
        "authenticate_request",
        "lines-bearer".into(),
        with_mode(1, &format!("Authorization: Bearer {valid}\n")),
    ));

    let lines = [
        json!({"token": valid}),
        json!({"token": valid, "now": NOW_SECONDS as f64 + 0.5, "clockSkewInMs": 1000, "authorizedParties": ["https://example.com"]}),
        json!({"token": valid, "audience": "aud", "issuer": ["https://clerk.example.com"]}),
        json!({"token": valid, "jwtKey": pem}),
        json!({"token": "x", "clockSkewInMs": -1}),
        json!({"token": valid, "now": 1e300}),
    ];
    let all_lines: Vec<String> = lines.iter().map(Value::to_string).collect();
    seeds.push((
        "cli_jsonl",
        "lines".into(),
        format!("{}\n\nnot json\n{{}}\n", all_lines.join("\n")).into_bytes(),
    ));
    for (index, line) in all_lines.iter().enumerate() {
        seeds.push((
            "cli_jsonl",
            format!("line-{index}"),
            line.clone().into_bytes(),
        ));
    }

    let c = |selector: u8, fields: &[&str], bytes: &[u8]| {
        let mut input = vec![selector];
        for field in fields {
            input.extend_from_slice(field.as_bytes());
            input.push(0);
        }
        input.extend(std::iter::repeat_n(0, 5usize.saturating_sub(fields.len())));
        input.extend_from_slice(bytes);
        input
    };
    let headers = vector_headers.to_string();
    let verifier_config =
        json!({"jwt_key": pem, "authorized_parties": ["https://example.com"]}).to_string();
    let request = auth(
        json!({"Authorization": format!("Bearer {valid}")}),
        Value::Null,
    );
    let claims = json!({"sub": "user_1"}).to_string();
    let private = crate::SIGNING_KEY_PEM;
    for (name, input) in [
        (
            "client-new",
            c(
                0,
                &[
                    r#"{"secret_key":"sk_test_x","api_url":"http://127.0.0.1:1","retry":{"max_attempts":1}}"#,
                ],
                b"",
            ),
        ),
        (
            "client-new-bad",
            c(0, &[r#"{"api_url":"ftp://x","nope":1}"#], b""),
        ),
        (
            "call-invalid",
            c(1, &["users.get", r#"{"user_id":".."}"#], b""),
        ),
        ("call-unknown", c(1, &["users.nope", "{}"], b"")),
        (
            "call-options",
            c(
                2,
                &["users.list", r#"{"limit":"x"}"#, r#"{"timeout_ms":0}"#],
                b"",
            ),
        ),
        (
            "call-multipart",
            c(
                3,
                &[
                    "users.set_profile_image",
                    r#"{"user_id":"user_1"}"#,
                    "file",
                    "a.png",
                    "image/png",
                ],
                b"\x89PNG\0\x01",
            ),
        ),
        (
            "request",
            c(4, &["GET", "/users/../x", r#"{"a":[1,"b",null]}"#, ""], b""),
        ),
        (
            "request-options",
            c(
                5,
                &["BREW", "/users", "", "[1]", r#"{"timeout_ms":"x"}"#],
                b"",
            ),
        ),
        (
            "pager",
            c(
                6,
                &["users.list", r#"{"limit":1000}"#, r#"{"nope":1}"#],
                b"",
            ),
        ),
        ("verifier-new", c(7, &[&verifier_config, &valid], b"")),
        (
            "verifier-new-bad",
            c(7, &[r#"{"clock_skew_ms":999999999}"#, "x"], b""),
        ),
        ("verify", c(8, &[&valid], b"")),
        ("verify-machine", c(9, &["mt_0123"], b"")),
        ("authenticate", c(10, &[&request], b"")),
        (
            "webhook",
            c(11, &[crate::WEBHOOK_SECRET, &headers], WEBHOOK_BODY),
        ),
        (
            "sign-webhook",
            c(
                12,
                &[crate::WEBHOOK_SECRET, WEBHOOK_ID, "1614265330"],
                WEBHOOK_BODY,
            ),
        ),
        (
            "mint",
            c(13, &[private, "kid_1", &claims, r#"{"alg":"RS384"}"#], b""),
        ),
        (
            "mint-bad-key",
            c(
                13,
                &[
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                    "k",
                    "[1]",
                    "",
                ],
                b"",
            ),
        ),
        ("static", c(14, &["", "", "100"], b"")),
        ("null-json-out", c(15, &["users.list", "{}"], b"")),
        ("nulls", c(0xf1, &["users.list", "{}"], b"")),
        ("invalid-utf8", c(8, &["\u{fffd}"], b"")),
    ] {
        seeds.push(("c_abi", name.to_owned(), input));
    }
    let mut invalid_utf8 = vec![8u8, 0xff, 0xfe, b'.', 0];
    invalid_utf8.extend_from_slice(&[0, 0, 0, 0]);
    seeds.push(("c_abi", "invalid-utf8-bytes".into(), invalid_utf8));
    seeds
}
