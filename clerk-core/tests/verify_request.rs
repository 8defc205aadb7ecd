//! Request authentication (header and cookie flows, handshake) and machine tokens.
mod verify_common;

use std::sync::{Arc, Mutex};

use clerk_core::testing::mint_with_header_at;
use clerk_core::verify::cookie_suffix;
use clerk_core::verify::{
    AcceptsToken, AuthState, AuthenticateOptions, FixedClock, Reason, RequestInfo, TokenType,
    Verifier, authenticate_request,
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
    authenticate_request(&verifier(), &request, options, None).expect("a valid configuration")
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
    // Not a page load: signed out, with the reason a page load would have had (as the
    // reference's handleMaybeHandshakeStatus).
    let api = auth(&[("authorization", &bearer), ("accept", "application/json")]);
    assert_eq!(
        signed_out_reason(&api),
        "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    );
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
        "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    );
    let html = auth(&[
        ("authorization", &bearer),
        ("accept", "text/html,application/xhtml+xml"),
    ]);
    assert_eq!(
        handshake_reason(&html),
        "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    );
    let post = auth_with(
        "POST",
        &[("authorization", &bearer), ("sec-fetch-dest", "document")],
        &Default::default(),
    );
    assert_eq!(
        signed_out_reason(&post),
        "session-token-expired-refresh-non-eligible-non-get"
    );
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
    // Verification failures after the cookie checks carry the handshake reason.
    let expired = session(json!({"exp": N - 100, "iat": N - 10}));
    assert_eq!(
        signed_out_reason(&api(cookie(&[
            ("__session", &expired),
            ("__client_uat", &uat_ok)
        ]))),
        "session-token-expired-refresh-non-eligible-no-refresh-cookie"
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
    let publishable_key = "pk_live_Y2xlcmsuZXhhbXBsZS50ZXN0JA";
    let suffix = cookie_suffix(publishable_key);
    let token = session(json!({"iat": N - 10, "iss": "https://clerk.example.test"}));
    // The unsuffixed session belongs to another instance: the suffixed cookies are read.
    let other = session(json!({"iss": "https://clerk.other.test"}));
    let cookie = format!(
        "__session_{suffix}={token}; __client_uat_{suffix}={}; __session={other}",
        N - 20
    );
    let options = AuthenticateOptions::new().publishable_key(publishable_key);
    assert!(auth_with("GET", &[("cookie", &cookie)], &options).is_signed_in());
}

#[test]
fn authorized_parties_from_options_apply() {
    let token = session(json!({"azp": "https://app.example.test"}));
    let bearer = format!("Bearer {token}");
    let options = AuthenticateOptions::new().authorized_parties(["https://other.example.test"]);
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
        json!({"authorized_parties": [], "accepts_token": ["session_token", "api_key"]}),
    )
    .unwrap();
    let state = authenticate_request(&verifier(), &request, &options, None).unwrap();
    let json = serde_json::to_value(&state).unwrap();
    assert_eq!(json["status"], "signed-in");
    assert_eq!(json["token_type"], "session_token");
    assert_eq!(json["claims"]["sub"], "user_test");
    let out = serde_json::to_value(auth(&[])).unwrap();
    assert_eq!(
        out,
        json!({"status": "signed-out", "token_type": "session_token", "reason": "session-token-and-uat-missing", "message": "",
            "headers": {"x-clerk-auth-reason": "session-token-and-uat-missing", "x-clerk-auth-status": "signed-out"}})
    );
    // The reference's camelCase names are unknown keys, refused by name.
    let error = serde_json::from_value::<AuthenticateOptions>(json!({"acceptsToken": "any"}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("acceptsToken"), "{error}");
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
    let options = AuthenticateOptions::new().accepts_token(AcceptsToken::List(accepts));
    authenticate_request(&verifier(), &request, &options, Some(backend)).unwrap()
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
    let server = LoopbackServer::start(200, r#"{"object":"api_key","id":"ak_id"}"#);
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
        requests[0].request_line(),
        "POST /v1/api_keys/verify HTTP/1.1"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&requests[0].body).unwrap(),
        json!({"secret": "ak_secret"})
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk_test_loopback")
    );

    let missing = LoopbackServer::start(
        404,
        r#"{"errors":[{"code":"resource_not_found","message":"not found"}]}"#,
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
        missing.requests()[0].request_line(),
        "POST /v1/oauth_applications/access_tokens/verify HTTP/1.1"
    );
}

// ---- handshake, dev-browser, satellite, proxy, organization sync, authorization ----

const PK_LIVE: &str = "pk_live_Y2xlcmsuZXhhbXBsZS50ZXN0JA"; // clerk.example.test
const PK_TEST: &str = "pk_test_Y2xlcmsuZXhhbXBsZS50ZXN0JA";

fn options(json: Value) -> AuthenticateOptions {
    serde_json::from_value(json).unwrap()
}

fn page(url: &str, cookie: &str, options: &AuthenticateOptions) -> AuthState {
    let request =
        RequestInfo::new("GET", [("sec-fetch-dest", "document"), ("cookie", cookie)]).with_url(url);
    authenticate_request(&verifier(), &request, options, None).unwrap()
}

#[test]
fn handshake_carries_the_redirect_and_headers() {
    let token = session(json!({"iat": N - 10, "iss": "https://clerk.example.test"}));
    let state = page(
        "https://app.example.test/dash?x=1",
        &format!("__session={token}"),
        &options(json!({"publishable_key": PK_LIVE})),
    );
    assert_eq!(handshake_reason(&state), "session-token-but-no-client-uat");
    let location = state.location().unwrap();
    assert!(
        location.starts_with(
            "https://clerk.example.test/v1/client/handshake?redirect_url=https%3A%2F%2Fapp.example.test%2Fdash%3Fx%3D1&__clerk_api_version=2026-05-12&suffixed_cookies=false&__clerk_hs_reason=session-token-but-no-client-uat&format=nonce&__session="
        ),
        "{location}"
    );
    let headers = state.headers();
    assert_eq!(headers.get("cache-control"), Some("no-store"));
    assert_eq!(
        headers.set_cookies().collect::<Vec<_>>(),
        ["__clerk_redirect_count=1; SameSite=Lax; HttpOnly; Max-Age=2"]
    );
    assert_eq!(headers.get("x-clerk-auth-status"), Some("handshake"));
    // Three redirects in a row: the loop guard signs out instead.
    let looped = page(
        "https://app.example.test/dash",
        &format!("__session={token}; __clerk_redirect_count=3"),
        &options(json!({"publishable_key": PK_LIVE})),
    );
    assert_eq!(
        signed_out_reason(&looped),
        "session-token-but-no-client-uat"
    );
    assert_eq!(looped.location(), None);
}

#[test]
fn proxy_urls_and_development_instances_shape_the_handshake() {
    let uat = format!("__client_uat={}", N - 20);
    let proxied = page(
        "https://app.example.test/p",
        &uat,
        &options(json!({"publishable_key": PK_LIVE, "proxy_url": "/__clerk"})),
    );
    assert!(
        proxied
            .location()
            .unwrap()
            .starts_with("https://app.example.test/__clerk/v1/client/handshake?"),
        "{proxied:?}"
    );
    // Development: the dev-browser token is required, and travels with the handshake.
    let missing = page(
        "https://app.example.test/p",
        &uat,
        &options(json!({"publishable_key": PK_TEST})),
    );
    assert_eq!(handshake_reason(&missing), "dev-browser-missing");
    let with_token = page(
        "https://app.example.test/p",
        &format!("{uat}; __clerk_db_jwt=dvb_1"),
        &options(json!({"publishable_key": PK_TEST})),
    );
    assert_eq!(
        handshake_reason(&with_token),
        "client-uat-but-no-session-token"
    );
    assert!(
        with_token
            .location()
            .unwrap()
            .ends_with("&format=nonce&__clerk_db_jwt=dvb_1"),
        "{with_token:?}"
    );
    let sync = page(
        "https://app.example.test/p?__clerk_db_jwt=dvb_q",
        "",
        &options(json!({"publishable_key": PK_TEST})),
    );
    assert_eq!(handshake_reason(&sync), "dev-browser-sync");
    // The dev-browser token is dropped from the redirect URL.
    assert!(
        sync.location()
            .unwrap()
            .contains("redirect_url=https%3A%2F%2Fapp.example.test%2Fp&"),
        "{sync:?}"
    );
}

fn handshake_token(directives: &[String]) -> String {
    mint_with_header_at(key_a(), &Value::Null, &json!({"handshake": directives}), N).unwrap()
}

#[test]
fn handshake_tokens_resolve_to_cookies() {
    let token = session(json!({"sub": "user_hs"}));
    let directives = vec![
        format!("__session={token}; Path=/; Secure"),
        format!("__client_uat={N}; Path=/"),
    ];
    let url = format!(
        "https://app.example.test/p?a=1&__clerk_handshake={}",
        handshake_token(&directives)
    );
    let prod = page(&url, "", &options(json!({"publishable_key": PK_LIVE})));
    match &prod {
        AuthState::SignedIn {
            claims, headers, ..
        } => {
            assert_eq!(claims.as_ref().unwrap().sub, "user_hs");
            assert_eq!(headers.set_cookies().collect::<Vec<_>>(), directives);
            assert_eq!(
                headers.get("access-control-allow-credentials"),
                Some("true")
            );
            assert_eq!(headers.location(), None);
        }
        other => panic!("{other:?}"),
    }
    // Development instances also redirect to the URL without the handshake token.
    let dev = page(
        &url,
        "__clerk_db_jwt=dvb_1",
        &options(json!({"publishable_key": PK_TEST})),
    );
    assert!(dev.is_signed_in());
    assert_eq!(
        dev.headers().location(),
        Some("https://app.example.test/p?a=1")
    );
    // No session cookie inside: signed out, cookies still set.
    let empty = page(
        &format!(
            "https://app.example.test/p?__clerk_handshake={}",
            handshake_token(&["__client_uat=0".to_owned()])
        ),
        "",
        &options(json!({"publishable_key": PK_LIVE})),
    );
    assert_eq!(signed_out_reason(&empty), "session-token-missing");
    assert_eq!(empty.headers().set_cookies().count(), 1);
    // A forged handshake token: production goes on with the cookies, development refuses.
    let real = handshake_token(&directives);
    let other = handshake_token(&[]);
    let forged = format!(
        "{}.{}",
        real.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );
    let url = format!("https://app.example.test/p?__clerk_handshake={forged}");
    assert_eq!(
        signed_out_reason(&page(
            &url,
            "",
            &options(json!({"publishable_key": PK_LIVE}))
        )),
        "session-token-and-uat-missing"
    );
    let request = RequestInfo::new("GET", [("cookie", "__clerk_db_jwt=dvb_1")]).with_url(url);
    let error = authenticate_request(
        &verifier(),
        &request,
        &options(json!({"publishable_key": PK_TEST})),
        None,
    )
    .unwrap_err();
    assert!(error.message.contains("invalid signature"), "{error}");
}

#[test]
fn satellites_sync_with_the_primary() {
    let satellite = options(json!({
        "publishable_key": PK_LIVE, "is_satellite": true, "domain": "sat.test",
        "sign_in_url": "https://app.example.test/sign-in",
    }));
    // A first visit without cookies stays signed out unless auto-sync is on.
    let first = page("https://sat.test/p", "", &satellite);
    assert_eq!(signed_out_reason(&first), "session-token-and-uat-missing");
    let synced = page("https://sat.test/p?__clerk_synced=false", "", &satellite);
    assert_eq!(handshake_reason(&synced), "satellite-needs-syncing");
    assert!(
        synced
            .location()
            .unwrap()
            .starts_with("https://clerk.sat.test/v1/client/handshake?"),
        "{synced:?}"
    );
    // Development satellites go through the primary's sign-in page.
    let dev = options(json!({
        "publishable_key": PK_TEST, "is_satellite": true, "domain": "sat.test",
        "sign_in_url": "https://app.example.test/sign-in", "satellite_auto_sync": true,
    }));
    let state = page("https://sat.test/p", "__clerk_db_jwt=dvb_1", &dev);
    assert_eq!(
        state.location(),
        Some("https://app.example.test/sign-in?__clerk_redirect_url=https%3A%2F%2Fsat.test%2Fp")
    );
    // The primary answers with the dev-browser token and the sync flag.
    let primary = page(
        "https://app.example.test/sign-in?__clerk_redirect_url=https%3A%2F%2Fsat.test%2Fp",
        "__clerk_db_jwt=dvb_1",
        &options(json!({"publishable_key": PK_TEST})),
    );
    assert_eq!(handshake_reason(&primary), "primary-responds-to-syncing");
    assert_eq!(
        primary.location(),
        Some("https://sat.test/p?__clerk_db_jwt=dvb_1&__clerk_synced=true")
    );
    // Configurations the reference refuses.
    let request = RequestInfo::new("GET", [("origin", "https://sat.test")]);
    for bad in [
        json!({"publishable_key": PK_LIVE, "is_satellite": true, "sign_in_url": "https://a.test/x"}),
        json!({"publishable_key": PK_TEST, "secret_key": "sk_test_x", "is_satellite": true, "domain": "sat.test"}),
        json!({"publishable_key": PK_LIVE, "is_satellite": true, "domain": "sat.test", "sign_in_url": "https://sat.test/in"}),
        json!({"publishable_key": "pk_live_bm9wZQ"}),
        json!({"organization_sync_options": {"organization_patterns": ["/orgs/:"]}}),
    ] {
        assert!(
            authenticate_request(&verifier(), &request, &options(bad.clone()), None).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn organization_sync_hands_over_to_a_handshake() {
    let token = session(json!({
        "iat": N - 10, "o": {"id": "org_1", "slg": "acme", "rol": "admin"},
    }));
    let cookie = format!("__session={token}; __client_uat={}", N - 20);
    let sync = options(json!({
        "publishable_key": PK_LIVE,
        "organization_sync_options": {"organization_patterns": ["/orgs/:slug", "/orgs/:slug/(.*)"],
                                      "personal_account_patterns": ["/me"]},
    }));
    assert!(page("https://app.example.test/orgs/acme", &cookie, &sync).is_signed_in());
    let other = page("https://app.example.test/orgs/other/x", &cookie, &sync);
    assert_eq!(handshake_reason(&other), "active-organization-mismatch");
    assert!(
        other
            .location()
            .unwrap()
            .ends_with("&organization_id=other"),
        "{other:?}"
    );
    let personal = page("https://app.example.test/me", &cookie, &sync);
    assert!(personal.location().unwrap().ends_with("&organization_id="));
}

#[test]
fn authorization_helpers_follow_the_reference() {
    use clerk_core::verify::{Check, Reverification};
    let token = session(json!({
        "o": {"id": "org_1", "rol": "admin", "per": "read,manage", "fpm": "3"},
        "fea": "o:read,o:manage,u:export", "pla": "u:pro", "fva": [3, -1],
    }));
    let state = auth(&[("authorization", &format!("Bearer {token}"))]);
    let claims = state.session(true).unwrap();
    assert!(claims.has_role("org:admin") && claims.has_role("admin"));
    assert!(!claims.has_role("org:member"));
    assert!(claims.has_permission("org:read:read") || claims.has_permission("org:read"));
    assert!(claims.has(&Check::feature("export")) && claims.has(&Check::feature("u:export")));
    assert!(!claims.has(&Check::feature("o:export")));
    assert!(claims.has(&Check::plan("pro")) && !claims.has(&Check::plan("team:pro")));
    assert!(claims.is_reverified(&Reverification::Preset("strict".into())));
    assert!(!claims.is_reverified(&Reverification::Custom {
        level: "first_factor".into(),
        after_minutes: 2.0
    }));
    assert!(!claims.has(&Check::default()));
    let check: Check = serde_json::from_value(json!({"role": "admin", "plan": "pro"})).unwrap();
    assert!(state.has(&check, true));
    // Pending sessions are signed out for authorization unless the caller opts in.
    let pending = session(json!({"sts": "pending", "o": {"id": "org_1", "rol": "admin"}}));
    let state = auth(&[("authorization", &format!("Bearer {pending}"))]);
    assert!(state.is_signed_in());
    assert!(state.session(true).is_none());
    assert!(!state.has(&Check::role("admin"), true));
    assert!(state.has(&Check::role("admin"), false));
}
