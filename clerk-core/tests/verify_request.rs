//! Request authentication (header and cookie flows, handshake) and machine tokens.
mod verify_common;

use std::sync::{Arc, Mutex};

use clerk_core::testing::mint_with_header_at;
use clerk_core::verify::cookie_suffix;
use clerk_core::verify::{
    AuthState, AuthenticateOptions, FixedClock, Reason, RequestInfo, TokenType, Verifier,
    authenticate_request,
};
use clerk_core::verify::{MachineBackend, MachineTokenType};
use clerk_core::{ApiError, ClerkError, Client, Error, RetryPolicy};
use serde_json::{Value, json};
use verify_common::{LoopbackServer, N, key_a};

fn verifier() -> Verifier {
    Verifier::builder()
        .pem_key(key_a().public_key_pem())
        .clock(Arc::new(FixedClock::new(N * 1000)))
        .build()
        .unwrap()
}

fn session(claims: Value) -> String {
    mint_with_header_at(key_a(), &Value::Null, &claims, N).unwrap()
}

fn auth(headers: &[(&str, &str)]) -> AuthState {
    auth_with("GET", headers, &AuthenticateOptions::default())
}

fn auth_with(method: &str, headers: &[(&str, &str)], options: &AuthenticateOptions) -> AuthState {
    let request = RequestInfo::new(method, headers.iter().copied());
    authenticate_request(&verifier(), &request, options, None)
}

fn signed_out_reason(state: &AuthState) -> &str {
    match state {
        AuthState::SignedOut { reason, .. } => reason,
        other => panic!("expected signed-out, got {other:?}"),
    }
}

fn handshake_reason(state: &AuthState) -> &str {
    match state {
        AuthState::Handshake { reason, .. } => reason,
        other => panic!("expected handshake, got {other:?}"),
    }
}

#[test]
fn bearer_and_bare_tokens_sign_in() {
    let token = session(json!({"sub": "user_h"}));
    for header in [format!("Bearer {token}"), token.clone()] {
        match auth(&[("Authorization", &header)]) {
            AuthState::SignedIn {
                token_type, claims, ..
            } => {
                assert_eq!(token_type, TokenType::SessionToken);
                assert_eq!(claims.unwrap().sub, "user_h");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn other_schemes_fall_through_to_cookies() {
    let token = session(json!({}));
    let state = auth(&[("authorization", &format!("Basic {token}"))]);
    assert_eq!(signed_out_reason(&state), "session-token-and-uat-missing");
}

#[test]
fn header_flow_refuses_machine_jwts_and_foreign_categories() {
    let m2m = session(json!({"sub": "mch_123"}));
    assert_eq!(
        signed_out_reason(&auth(&[("authorization", &format!("Bearer {m2m}"))])),
        "token-type-mismatch"
    );
    let oauth = mint_with_header_at(key_a(), &json!({"typ": "at+jwt"}), &json!({}), N).unwrap();
    assert_eq!(
        signed_out_reason(&auth(&[("authorization", &format!("Bearer {oauth}"))])),
        "token-type-mismatch"
    );
    let foreign = mint_with_header_at(key_a(), &json!({"cat": "cl_other"}), &json!({}), N).unwrap();
    assert_eq!(
        signed_out_reason(&auth(&[("authorization", &format!("Bearer {foreign}"))])),
        "token-type-mismatch"
    );
}

#[test]
fn header_failures_are_local_and_api_requests_never_handshake() {
    let expired = session(json!({"exp": N - 100}));
    let bearer = format!("Bearer {expired}");
    let api = auth(&[("authorization", &bearer), ("accept", "application/json")]);
    assert_eq!(signed_out_reason(&api), "token-expired");
    let bad = auth(&[("authorization", "Bearer not.a.jwt")]);
    assert_eq!(signed_out_reason(&bad), "token-invalid");
    // An opaque machine token when only sessions are accepted is a malformed session token.
    assert_eq!(
        signed_out_reason(&auth(&[("authorization", "Bearer ak_123")])),
        "token-invalid"
    );
}

#[test]
fn expired_token_on_a_page_navigation_is_a_handshake() {
    let bearer = format!("Bearer {}", session(json!({"exp": N - 100})));
    let page = auth(&[("authorization", &bearer), ("sec-fetch-dest", "document")]);
    assert_eq!(
        handshake_reason(&page),
        "session-token-expired-refresh-non-eligible-no-cookie"
    );
    let html = auth(&[
        ("authorization", &bearer),
        ("accept", "text/html,application/xhtml+xml"),
    ]);
    assert_eq!(
        handshake_reason(&html),
        "session-token-expired-refresh-non-eligible-no-cookie"
    );
    let post = auth_with(
        "POST",
        &[("authorization", &bearer), ("sec-fetch-dest", "document")],
        &Default::default(),
    );
    assert_eq!(signed_out_reason(&post), "token-expired");
    let early = format!("Bearer {}", session(json!({"nbf": N + 100})));
    assert_eq!(
        handshake_reason(&auth(&[
            ("authorization", &early),
            ("sec-fetch-dest", "iframe")
        ])),
        "session-token-nbf"
    );
}

#[test]
fn cookie_flow_in_order() {
    let token = session(json!({"iat": N - 10}));
    let uat_ok = (N - 20).to_string();
    let cookie = |parts: &[(&str, &str)]| {
        parts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let api = |cookie: String| auth(&[("cookie", &cookie), ("sec-fetch-dest", "empty")]);

    assert_eq!(
        signed_out_reason(&auth(&[])),
        "session-token-and-uat-missing"
    );
    assert_eq!(
        signed_out_reason(&api(cookie(&[("__client_uat", "0")]))),
        "session-token-and-uat-missing"
    );
    assert_eq!(
        signed_out_reason(&api(cookie(&[("__session", &token)]))),
        "session-token-but-no-client-uat"
    );
    assert_eq!(
        signed_out_reason(&api(cookie(&[("__client_uat", &uat_ok)]))),
        "client-uat-but-no-session-token"
    );
    let late_uat = (N - 5).to_string();
    assert_eq!(
        signed_out_reason(&api(cookie(&[
            ("__session", &token),
            ("__client_uat", &late_uat)
        ]))),
        "session-token-iat-before-client-uat"
    );
    assert!(api(cookie(&[("__session", &token), ("__client_uat", &uat_ok)])).is_signed_in());
    // Verification failures after the cookie checks carry the verification reason.
    let expired = session(json!({"exp": N - 100, "iat": N - 10}));
    assert_eq!(
        signed_out_reason(&api(cookie(&[
            ("__session", &expired),
            ("__client_uat", &uat_ok)
        ]))),
        "token-expired"
    );
    // On a page load the cookie-state problems become handshakes.
    let page = auth(&[
        ("cookie", &cookie(&[("__session", &token)])),
        ("sec-fetch-dest", "document"),
    ]);
    assert_eq!(handshake_reason(&page), "session-token-but-no-client-uat");
}

#[test]
fn suffixed_cookies_follow_the_publishable_key() {
    let publishable_key = "pk_test_Y2xlcmsuZXhhbXBsZS50ZXN0JA";
    let suffix = cookie_suffix(publishable_key);
    let token = session(json!({"iat": N - 10}));
    let cookie = format!(
        "__session_{suffix}={token}; __client_uat_{suffix}={}; __session=junk",
        N - 20
    );
    let options = AuthenticateOptions {
        publishable_key: Some(publishable_key.to_owned()),
        ..Default::default()
    };
    assert!(auth_with("GET", &[("cookie", &cookie)], &options).is_signed_in());
}

#[test]
fn authorized_parties_from_options_apply() {
    let token = session(json!({"azp": "https://app.example.test"}));
    let bearer = format!("Bearer {token}");
    let options = AuthenticateOptions {
        authorized_parties: vec!["https://other.example.test".into()],
        ..Default::default()
    };
    assert_eq!(
        signed_out_reason(&auth_with("GET", &[("authorization", &bearer)], &options)),
        "token-invalid-authorized-parties"
    );
}

#[test]
fn request_and_options_come_from_json_and_the_state_goes_back() {
    let token = session(json!({}));
    let request: RequestInfo = serde_json::from_value(
        json!({"method": "GET", "headers": {"Authorization": format!("Bearer {token}")}}),
    )
    .unwrap();
    let options: AuthenticateOptions = serde_json::from_value(
        json!({"authorizedParties": [], "acceptsToken": ["session_token", "api_key"]}),
    )
    .unwrap();
    let state = authenticate_request(&verifier(), &request, &options, None);
    let json = serde_json::to_value(&state).unwrap();
    assert_eq!(json["status"], "signed-in");
    assert_eq!(json["token_type"], "session_token");
    assert_eq!(json["claims"]["sub"], "user_test");
    let out = serde_json::to_value(auth(&[])).unwrap();
    assert_eq!(
        out,
        json!({"status": "signed-out", "token_type": "session_token", "reason": "session-token-and-uat-missing", "message": ""})
    );
}

/// What a fake backend answers.
type Answer = fn() -> Result<String, Error>;

/// A backend that records calls and answers a fixed result.
struct FakeBackend {
    calls: Mutex<Vec<(MachineTokenType, String)>>,
    answer: Answer,
}

impl MachineBackend for FakeBackend {
    fn verify_opaque(&self, token_type: MachineTokenType, token: &str) -> Result<String, Error> {
        self.calls
            .lock()
            .unwrap()
            .push((token_type, token.to_owned()));
        (self.answer)()
    }
}

fn api_error(status: u16) -> Error {
    Error::Api(Box::new(ApiError {
        status,
        errors: vec![ClerkError {
            code: "x".into(),
            message: format!("status {status}"),
            ..Default::default()
        }],
        ..Default::default()
    }))
}

fn machine_auth(token: &str, accepts: Vec<TokenType>, backend: &FakeBackend) -> AuthState {
    let request = RequestInfo::new(
        "GET",
        [("authorization", format!("Bearer {token}").as_str())],
    );
    let options = AuthenticateOptions {
        accepts_token: accepts,
        ..Default::default()
    };
    authenticate_request(&verifier(), &request, &options, Some(backend))
}

#[test]
fn opaque_machine_tokens_route_by_prefix() {
    let backend = FakeBackend {
        calls: Mutex::new(Vec::new()),
        answer: || Ok(r#"{"id":"ak_id","subject":"user_1"}"#.into()),
    };
    let all = vec![
        TokenType::ApiKey,
        TokenType::M2mToken,
        TokenType::OauthToken,
    ];
    for (token, kind) in [
        ("ak_1", MachineTokenType::ApiKey),
        ("mt_1", MachineTokenType::M2mToken),
        ("oat_1", MachineTokenType::OauthToken),
    ] {
        match machine_auth(token, all.clone(), &backend) {
            AuthState::SignedIn {
                token_type,
                machine,
                ..
            } => {
                assert_eq!(token_type, TokenType::from(kind));
                assert_eq!(machine.unwrap()["subject"], "user_1");
            }
            other => panic!("{other:?}"),
        }
    }
    let calls = backend.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![
            (MachineTokenType::ApiKey, "ak_1".to_owned()),
            (MachineTokenType::M2mToken, "mt_1".to_owned()),
            (MachineTokenType::OauthToken, "oat_1".to_owned()),
        ]
    );
    // A type the caller does not accept never reaches the backend.
    let state = machine_auth("mt_2", vec![TokenType::ApiKey], &backend);
    assert_eq!(signed_out_reason(&state), "token-type-mismatch");
    assert_eq!(backend.calls.lock().unwrap().len(), 3);
}

#[test]
fn machine_backend_errors_map_like_the_reference() {
    let cases: [(Answer, &str); 4] = [
        (|| Err(api_error(401)), "secret-key-invalid"),
        (|| Err(api_error(404)), "token-invalid"),
        (|| Err(api_error(500)), "unexpected-error"),
        (
            || {
                Err(Error::Timeout {
                    message: "read".into(),
                })
            },
            "unexpected-error",
        ),
    ];
    for (answer, expected) in cases {
        let backend = FakeBackend {
            calls: Mutex::new(Vec::new()),
            answer,
        };
        assert_eq!(
            signed_out_reason(&machine_auth("ak_1", vec![TokenType::ApiKey], &backend)),
            expected
        );
    }
}

#[test]
fn jwt_machine_tokens_verify_locally() {
    let v = verifier();
    let m2m = mint_with_header_at(
        key_a(),
        &json!({"cat": "cl_B7d4PD333AAA"}),
        &json!({"sub": "mch_1"}),
        N,
    )
    .unwrap();
    let verified = v.verify_machine_token(&m2m, None).unwrap();
    assert_eq!(verified.token_type, MachineTokenType::M2mToken);
    assert_eq!(verified.data["sub"], "mch_1");
    // The session category on an M2M JWT is refused.
    let wrong_cat =
        mint_with_header_at(key_a(), &Value::Null, &json!({"sub": "mch_1"}), N).unwrap();
    assert_eq!(
        v.verify_machine_token(&wrong_cat, None).unwrap_err().reason,
        Reason::TokenInvalid
    );

    let oauth = mint_with_header_at(
        key_a(),
        &json!({"typ": "at+jwt"}),
        &json!({"aud": ["api"]}),
        N,
    )
    .unwrap();
    assert_eq!(
        v.verify_machine_token(&oauth, None).unwrap().token_type,
        MachineTokenType::OauthToken
    );
    let strict = Verifier::builder()
        .pem_key(key_a().public_key_pem())
        .clock(Arc::new(FixedClock::new(N * 1000)))
        .audience(["web"])
        .build()
        .unwrap();
    assert_eq!(
        strict
            .verify_machine_token(&oauth, None)
            .unwrap_err()
            .reason,
        Reason::TokenVerificationFailed
    );
    let no_aud = mint_with_header_at(key_a(), &json!({"typ": "at+jwt"}), &json!({}), N).unwrap();
    assert_eq!(
        strict
            .verify_machine_token(&no_aud, None)
            .unwrap_err()
            .reason,
        Reason::TokenVerificationFailed
    );
    // Accepted through authenticate_request too.
    let backend = FakeBackend {
        calls: Mutex::new(Vec::new()),
        answer: || Ok("{}".into()),
    };
    assert!(machine_auth(&m2m, vec![TokenType::M2mToken], &backend).is_signed_in());
    assert!(
        backend.calls.lock().unwrap().is_empty(),
        "JWT machine tokens never call the backend"
    );
}

#[test]
fn a_real_client_posts_to_the_spec_paths() {
    let server = LoopbackServer::start(200, r#"{"object":"api_key","id":"ak_id"}"#, 4);
    let client = Client::builder()
        .secret_key("sk_test_loopback")
        .api_url(&server.url)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let v = Verifier::builder().client(client).build().unwrap();
    let verified = v.verify_machine_token("ak_secret", None).unwrap();
    assert_eq!(verified.data["id"], "ak_id");
    let requests = server.requests();
    assert_eq!(
        requests[0].request_line,
        "POST /v1/api_keys/verify HTTP/1.1"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&requests[0].body).unwrap(),
        json!({"secret": "ak_secret"})
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk_test_loopback")
    );

    let missing = LoopbackServer::start(
        404,
        r#"{"errors":[{"code":"resource_not_found","message":"not found"}]}"#,
        4,
    );
    let client = Client::builder()
        .secret_key("sk_test_loopback")
        .api_url(&missing.url)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let v = Verifier::builder().client(client).build().unwrap();
    assert_eq!(
        v.verify_machine_token("oat_x", None).unwrap_err().reason,
        Reason::TokenInvalid
    );
    assert_eq!(
        missing.requests()[0].request_line,
        "POST /v1/oauth_applications/access_tokens/verify HTTP/1.1"
    );
}
