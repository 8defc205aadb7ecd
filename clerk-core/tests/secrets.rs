//! Secrets never leak: secret keys (`sk_test_...`), session tokens and webhook secrets
//! (`whsec_...`) appear in no `Debug` output, no log record of any target at trace level
//! (bar `ureq_proto`, ureq's documented wire dump, which shows what is sent), no error
//! message and no error JSON, whatever the failure.
//!
//! One test drives every path against the local emulator with a capturing logger
//! installed, then checks all the text it collected.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use clerk_core::testing::{TestKey, mint_session_token_at};
use clerk_core::verify::{
    AuthenticateOptions, FixedClock, JwksFetchError, JwksSource, RequestInfo, Verifier,
    authenticate_request,
};
use clerk_core::webhooks::Webhook;
use clerk_core::{CallOptions, Client, Method, RetryPolicy, RootCertificates};
use serde_json::json;

/// Every log record, as `target level message`.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("ureq_proto") {
            return;
        }
        let line = format!("{} {} {}", record.target(), record.level(), record.args());
        self.0.lock().unwrap().push(line);
    }

    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(capture).expect("the only logger of this test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

const WRONG_KEY: &str = "sk_test_WrongKeyWrongKeyWrong0123456789";
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PROXY_PASSWORD: &str = "hunter2ProxyPassword";

/// What must never show: each secret whole and its distinctive tail (a prefix-stripped
/// or re-encoded copy still leaks).
struct Secrets(Vec<String>);

impl Secrets {
    fn add(&mut self, secret: &str) {
        self.0.push(secret.to_owned());
        let tail = &secret[secret.len().saturating_sub(20)..];
        self.0.push(tail.to_owned());
    }

    fn assert_absent(&self, what: &str, text: &str) {
        for secret in &self.0 {
            assert!(
                !text.contains(secret.as_str()),
                "{what} shows the secret {secret:?}: {text}"
            );
        }
    }
}

struct Jwks(String);

impl JwksSource for Jwks {
    fn fetch_jwks(&self) -> Result<String, JwksFetchError> {
        Ok(self.0.clone())
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn secrets_never_appear_in_debug_logs_errors_or_error_json() {
    let capture = capture();
    let emulator = clerk_emulator::Emulator::start().unwrap();
    let secret = emulator.secret_key().to_owned();
    let key = TestKey::generate("kid_secrets").unwrap();
    let other_key = TestKey::generate("kid_other").unwrap();
    let token = emulator.sign_claims(
        &json!({"sub": "user_1", "sid": "sess_1", "exp": now() + 60, "iat": now(), "nbf": now()}),
    );
    let expired = mint_session_token_at(&key, &json!({}), now() - 3600).unwrap();
    let foreign = mint_session_token_at(&other_key, &json!({}), now()).unwrap();
    let mut secrets = Secrets(Vec::new());
    secrets.add(&secret);
    secrets.add(WRONG_KEY);
    secrets.add(WEBHOOK_SECRET);
    secrets.add(PROXY_PASSWORD);
    for jwt in [&token, &expired, &foreign] {
        secrets.add(jwt);
        secrets.add(jwt.rsplit_once('.').unwrap().1); // the signature alone
    }
    // Everything shown to a person or a log, collected here and checked at the end.
    let mut shown: Vec<(String, String)> = Vec::new();
    let mut show = |what: &str, text: String| shown.push((what.to_owned(), text));

    // Debug of the configuration types.
    let builder = Client::builder()
        .secret_key(&secret)
        .api_url(emulator.api_url())
        .header("X-Gateway-Token", PROXY_PASSWORD)
        .proxy(format!("http://user:{PROXY_PASSWORD}@127.0.0.1:9"))
        .root_certificates(RootCertificates::WebPki)
        .retry_policy(RetryPolicy::default());
    show("Debug of ClientBuilder", format!("{builder:?}"));
    let client = Client::builder()
        .secret_key(&secret)
        .api_url(emulator.api_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    show("Debug of Client", format!("{client:?}"));
    show("Debug of CallOptions", format!("{:?}", CallOptions::new()));
    let wrong = Client::builder()
        .secret_key(WRONG_KEY)
        .api_url(emulator.api_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    show("Debug of Client (wrong key)", format!("{wrong:?}"));
    let webhook = Webhook::new(WEBHOOK_SECRET).unwrap();
    show("Debug of Webhook", format!("{webhook:?}"));
    show("Debug of TestKey", format!("{key:?}"));
    let verifier = Verifier::builder().client(client.clone()).build().unwrap();
    show("Debug of Verifier (JWKS)", format!("{verifier:?}"));
    let pem_verifier = Verifier::builder()
        .pem_key(key.public_key_pem())
        .clock(Arc::new(FixedClock::new(now() * 1000)))
        .build()
        .unwrap();
    show("Debug of Verifier (PEM)", format!("{pem_verifier:?}"));

    // Configuration errors that are handed a secret.
    for (what, result) in [
        (
            "secret key with a space",
            Client::builder()
                .secret_key(format!("{WRONG_KEY} x"))
                .build(),
        ),
        (
            "api_url with userinfo",
            Client::builder()
                .api_url(format!("https://user:{PROXY_PASSWORD}@api.clerk.com"))
                .build(),
        ),
        (
            "invalid proxy with a password",
            Client::builder()
                .proxy(format!("http://user:{PROXY_PASSWORD}@[::1"))
                .build(),
        ),
        (
            "header value with a newline",
            Client::builder()
                .header("X-Token", format!("{PROXY_PASSWORD}\n"))
                .build(),
        ),
    ] {
        let error = result.expect_err(what);
        show(what, format!("{error} / {error:?} / {}", error.to_json()));
    }

    // API errors: a refused key (401), an unknown resource (404), invalid params.
    let unauthorized = wrong.call("users.list", &json!({})).unwrap_err();
    assert_eq!(unauthorized.status(), Some(401));
    show(
        "401 error",
        format!(
            "{unauthorized} / {unauthorized:?} / {}",
            unauthorized.to_json()
        ),
    );
    let missing = client
        .call("users.get", &json!({"user_id": "user_missing"}))
        .unwrap_err();
    show(
        "404 error",
        format!("{missing} / {missing:?} / {}", missing.to_json()),
    );
    let raw = wrong.request(Method::Get, "/users", &[], None).unwrap_err();
    show(
        "raw 401 error",
        format!("{raw} / {raw:?} / {}", raw.to_json()),
    );
    let params = client
        .call("users.get", &json!({"user_id": "..", "x": WRONG_KEY}))
        .unwrap_err();
    show(
        "invalid params error",
        format!("{params} / {params:?} / {}", params.to_json()),
    );
    client.call("users.list", &json!({"limit": 1})).unwrap();
    // A transport failure (nothing listens on port 9) and a timeout.
    let unreachable = Client::builder()
        .secret_key(&secret)
        .api_url("http://127.0.0.1:9")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
        .call("users.list", &json!({}))
        .unwrap_err();
    show(
        "transport error",
        format!(
            "{unreachable} / {unreachable:?} / {}",
            unreachable.to_json()
        ),
    );

    // Verification: JWKS fetched with the key, then refusals of every kind.
    verifier.verify(&token).unwrap();
    for (what, candidate) in [
        ("expired token", expired.as_str()),
        ("token of another key", foreign.as_str()),
        ("malformed token", "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.AAAA"),
        (
            "token with a bad signature",
            &format!("{}.AAAA", token.rsplit_once('.').unwrap().0),
        ),
    ] {
        for v in [&verifier, &pem_verifier] {
            let error = v.verify(candidate).unwrap_err();
            show(
                what,
                format!(
                    "{error} / {error:?} / {}",
                    serde_json::to_string(&error).unwrap()
                ),
            );
        }
    }
    // A JWKS verifier with a refused key (the JWKS fetch fails with 401).
    let refused = Verifier::builder().client(wrong.clone()).build().unwrap();
    let error = refused.verify(&token).unwrap_err();
    show(
        "JWKS fetch with a wrong key",
        format!("{error} / {error:?}"),
    );
    let bad_jwks = Verifier::builder()
        .jwks_source(Arc::new(Jwks(format!("{{\"keys\": \"{WRONG_KEY}\"}}"))))
        .build()
        .unwrap();
    let error = bad_jwks.verify(&token).unwrap_err();
    show("unreadable JWKS", format!("{error} / {error:?}"));
    // Machine tokens through the emulator (an unknown opaque token).
    for opaque in [
        "mt_0123456789abcdefSecretPart",
        "ak_0123456789abcdefSecretPart",
    ] {
        secrets.add(opaque);
        let error = verifier.verify_machine_token(opaque, None).unwrap_err();
        show("opaque machine token", format!("{error} / {error:?}"));
    }

    // Request authentication: the token in a header and in a cookie, refused.
    for request in [
        RequestInfo::new(
            "GET",
            [("Authorization", format!("Bearer {expired}").as_str())],
        ),
        RequestInfo::new(
            "GET",
            [
                (
                    "Cookie",
                    format!("__session={foreign}; __client_uat=1").as_str(),
                ),
                ("Accept", "text/html"),
            ],
        ),
    ] {
        let state = authenticate_request(
            &pem_verifier,
            &request,
            &AuthenticateOptions::default(),
            None,
        );
        show(
            "signed-out state",
            format!("{state:?} / {}", serde_json::to_string(&state).unwrap()),
        );
    }

    // Webhooks: every refusal.
    let body = br#"{"type":"user.created","data":{}}"#;
    let signature = format!("v1,{}", webhook.sign("msg_1", now(), body));
    let timestamp = now().to_string();
    for (what, headers) in [
        ("missing headers", vec![("svix-id", "msg_1")]),
        (
            "wrong signature",
            vec![
                ("svix-id", "msg_1"),
                ("svix-timestamp", timestamp.as_str()),
                ("svix-signature", "v1,AAAA"),
            ],
        ),
        (
            "old timestamp",
            vec![
                ("svix-id", "msg_1"),
                ("svix-timestamp", "1"),
                ("svix-signature", signature.as_str()),
            ],
        ),
    ] {
        let error = webhook.verify(body, headers).unwrap_err();
        show(
            what,
            format!(
                "{error} / {error:?} / {}",
                serde_json::to_string(&error).unwrap()
            ),
        );
    }
    for bad in [format!("{WEBHOOK_SECRET}!"), "whsec_".to_owned()] {
        let error = Webhook::new(&bad).unwrap_err();
        show("invalid webhook secret", format!("{error} / {error:?}"));
    }

    // Give ureq's connection threads a moment to finish logging, then check everything.
    std::thread::sleep(Duration::from_millis(50));
    let logs = capture.0.lock().unwrap().clone();
    assert!(
        logs.iter().any(|line| line.starts_with("clerk ")),
        "the capture saw no record of the library: {logs:?}"
    );
    for (what, text) in &shown {
        secrets.assert_absent(what, text);
    }
    for line in &logs {
        secrets.assert_absent("a log record", line);
    }
    let mut targets: Vec<&str> = logs
        .iter()
        .filter_map(|line| line.split_once(' '))
        .map(|(target, _)| target)
        .collect();
    targets.sort_unstable();
    targets.dedup();
    // ureq's own records (connection, request and response lines at debug and trace)
    // must be among those checked, not only the library's.
    assert!(
        targets.iter().any(|target| target.starts_with("ureq")),
        "no record of ureq was captured: {targets:?}"
    );
    println!(
        "{} texts and {} log records (targets {targets:?}) checked",
        shown.len(),
        logs.len()
    );
}
