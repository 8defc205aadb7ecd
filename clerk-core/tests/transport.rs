//! The engine against the scripted emulator: headers, retries, timeouts, error
//! parsing, limits, parameter encoding, multipart, redaction and connection reuse.
//!
//! Retry waits go through a recording clock, so the tests assert the exact waits asked
//! for instead of measuring wall time; only the socket-level timeouts really wait.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_core::testing::RecordingClock;
use clerk_core::{CallOptions, Client, ClientBuilder, Error, File, Method, RetryPolicy};
use serde_json::json;
use support::{Reply, Server, recording_clock};

const SECRET: &str = "sk_test_DoNotLeakThisSecretKey0123456789";

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn policy(attempts: u32, initial: Duration, max: Duration, elapsed: Duration) -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(attempts)
        .initial_backoff(initial)
        .max_backoff(max)
        .max_elapsed(elapsed)
        .build()
        .unwrap()
}

fn builder_for(server: &Server) -> ClientBuilder {
    Client::builder().secret_key(SECRET).api_url(&server.url)
}

/// 3 attempts, 20 ms first backoff, 2 s longest wait, 10 s budget; waits recorded.
fn client_with_clock(server: &Server, clock: &Arc<RecordingClock>) -> Client {
    builder_for(server)
        .retry_policy(policy(
            3,
            ms(20),
            Duration::from_secs(2),
            Duration::from_secs(10),
        ))
        .retry_clock(clock.clone())
        .build()
        .unwrap()
}

fn client_for(server: &Server) -> Client {
    client_with_clock(server, &recording_clock())
}

#[test]
fn every_request_carries_auth_version_and_user_agent() {
    let server = Server::start();
    let client = client_for(&server);
    client.request(Method::Get, "/jwks", &[], None).unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.target, "/v1/jwks");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_eq!(seen.header("clerk-api-version"), Some("2026-05-12"));
    let agent = seen.header("user-agent").unwrap();
    assert!(
        agent.starts_with(&format!("libclerk/{}", env!("CARGO_PKG_VERSION"))),
        "{agent}"
    );
}

#[test]
fn sequential_calls_reuse_one_connection() {
    let server = Server::start();
    let client = client_for(&server);
    for _ in 0..10 {
        client.request(Method::Get, "/users", &[], None).unwrap();
    }
    let clone = client.clone();
    clone.request(Method::Get, "/users", &[], None).unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 11);
    assert_eq!(server.connections(), 1);
    assert!(
        seen.iter()
            .all(|request| request.connection == seen[0].connection)
    );
}

#[test]
fn rate_limit_is_retried_after_the_asked_delay() {
    let server = Server::start();
    server.push(
        Reply::json(
            429,
            r#"{"errors":[{"code":"too_many_requests","message":"slow down"}]}"#,
        )
        .header("Retry-After", "1"),
    );
    let clock = recording_clock();
    let client = client_with_clock(&server, &clock);
    let response = client
        .request(Method::Post, "/users", &[], Some(&json!({})))
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(clock.sleeps(), [Duration::from_secs(1)], "the asked delay");
    assert_eq!(server.seen().len(), 2, "a POST is retried on 429");
}

/// A fractional `Retry-After` is honoured to the millisecond; one longer than the
/// policy's longest wait ends the retries at once, without waiting.
#[test]
fn retry_after_is_exact_and_capped_by_max_backoff() {
    let server = Server::start();
    server.push(Reply::json(503, "{}").header("Retry-After", "0.25"));
    server.push(Reply::json(429, "{}").header("Retry-After", "1.5"));
    let clock = recording_clock();
    let client = client_with_clock(&server, &clock);
    client.request(Method::Get, "/users", &[], None).unwrap();
    assert_eq!(clock.sleeps(), [ms(250), ms(1500)]);
    assert_eq!(server.seen().len(), 3);

    server.push(Reply::json(429, "{}").header("Retry-After", "3"));
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(
        error.api().unwrap().retry_after,
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        clock.sleeps().len(),
        2,
        "3 s is beyond max_backoff (2 s): no wait"
    );
    assert_eq!(server.seen().len(), 4);
}

/// The backoff doubles from `initial_backoff` up to `max_backoff`, jittered within the
/// upper half of each step by the injected random source.
#[test]
fn backoff_doubles_up_to_the_cap_with_injected_jitter() {
    let server = Server::start();
    for _ in 0..5 {
        server.push(Reply::json(502, "bad gateway"));
    }
    let clock = recording_clock();
    let client = builder_for(&server)
        .retry_policy(policy(6, ms(100), ms(500), Duration::from_secs(60)))
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    client.request(Method::Get, "/users", &[], None).unwrap();
    // Ceilings 100, 200, 400, 500, 500 ms; with jitter 0, half of each.
    assert_eq!(clock.sleeps(), [ms(50), ms(100), ms(200), ms(250), ms(250)]);
    assert_eq!(server.seen().len(), 6);

    // 30 ms of jitter in nanoseconds adds 30 ms to each half (every spread is larger).
    let clock = Arc::new(RecordingClock::new().with_random(30_000_000));
    let client = builder_for(&server)
        .retry_policy(policy(4, ms(100), ms(500), Duration::from_secs(60)))
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    for _ in 0..3 {
        server.push(Reply::json(504, "timeout"));
    }
    client.request(Method::Get, "/users", &[], None).unwrap();
    assert_eq!(clock.sleeps(), [ms(80), ms(130), ms(230)]);
}

/// No retry starts once its wait would run past the budget: the waits that fit are
/// taken, the first that does not ends the call with the last error.
#[test]
fn a_backoff_past_the_budget_ends_the_retries() {
    let server = Server::start();
    for _ in 0..10 {
        server.push(Reply::json(503, "{}"));
    }
    let clock = recording_clock();
    let client = builder_for(&server)
        .retry_policy(policy(
            10,
            ms(300),
            Duration::from_secs(2),
            Duration::from_secs(1),
        ))
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    // 150 + 300 ms fit in 1 s; the next 600 ms would not.
    assert_eq!(clock.sleeps(), [ms(150), ms(300)]);
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn post_is_not_retried_on_500_but_get_is() {
    let server = Server::start();
    server.push(Reply::json(
        500,
        r#"{"errors":[{"code":"internal","message":"boom"}]}"#,
    ));
    let clock = recording_clock();
    let client = client_with_clock(&server, &clock);
    let error = client
        .request(Method::Post, "/users", &[], Some(&json!({})))
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(server.seen().len(), 1);
    assert!(clock.sleeps().is_empty());

    server.push(Reply::json(502, "bad gateway"));
    server.push(Reply::json(504, "timeout"));
    let response = client.request(Method::Get, "/users", &[], None).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(server.seen().len(), 4);
    assert_eq!(
        clock.sleeps(),
        [ms(10), ms(20)],
        "backoff 20 ms, doubled, jitter 0"
    );

    // A reset connection is retried for a GET, not for a POST (it may have arrived).
    server.push(Reply::reset());
    client.request(Method::Get, "/users", &[], None).unwrap();
    assert_eq!(server.seen().len(), 6);
    server.push(Reply::reset());
    let error = client
        .request(Method::Post, "/users", &[], Some(&json!({})))
        .unwrap_err();
    assert_eq!(error.kind(), "transport", "{error}");
    assert_eq!(server.seen().len(), 7);
    assert_eq!(clock.sleeps(), [ms(10), ms(20), ms(10)]);
}

#[test]
fn attempts_and_total_time_are_bounded() {
    let server = Server::start();
    for _ in 0..10 {
        server.push(Reply::json(503, "{}"));
    }
    let clock = recording_clock();
    let client = client_with_clock(&server, &clock);
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.seen().len(), 3, "max_attempts = 3");
    assert_eq!(
        clock.sleeps(),
        [ms(10), ms(20)],
        "no wait after the last attempt"
    );

    // A total budget of 600 ms leaves room for no 1 s Retry-After.
    let server = Server::start();
    for _ in 0..10 {
        server.push(Reply::json(503, "{}").header("Retry-After", "1"));
    }
    let clock = recording_clock();
    let client = builder_for(&server)
        .retry_policy(policy(10, ms(10), Duration::from_secs(5), ms(600)))
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert!(clock.sleeps().is_empty(), "{:?}", clock.sleeps());
    assert_eq!(server.seen().len(), 1);
    assert_eq!(server.pending(), 9);

    // Retries can be disabled.
    let server = Server::start();
    server.push(Reply::json(429, "{}"));
    let clock = recording_clock();
    let client = builder_for(&server)
        .retry_policy(RetryPolicy::disabled())
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(
        client
            .request(Method::Get, "/users", &[], None)
            .unwrap_err()
            .status(),
        Some(429)
    );
    assert_eq!(server.seen().len(), 1);
    assert!(clock.sleeps().is_empty());
}

/// A real socket-level timeout: the server answers only after 5 s, the attempt's
/// `timeout_request` fires first (the only kind of test here that truly waits).
#[test]
fn a_slow_server_times_out() {
    let server = Server::start();
    server.push(Reply::json(200, "{}").delay(Duration::from_secs(5)));
    server.push(Reply::json(200, "{}").delay(Duration::from_secs(5)));
    let clock = recording_clock();
    let client = builder_for(&server)
        .timeout_request(ms(200))
        .retry_policy(policy(
            2,
            ms(20),
            Duration::from_secs(2),
            Duration::from_secs(10),
        ))
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    match &error {
        Error::Timeout { message } => {
            assert!(message.contains("attempt 2"), "{message}");
            assert!(message.contains("timeout_request (200 ms)"), "{message}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    // A GET that timed out is retried once, after the backoff.
    assert_eq!(server.seen().len(), 2);
    assert_eq!(clock.sleeps(), [ms(10)]);
}

#[test]
fn api_errors_keep_every_field_and_read_well() {
    let server = Server::start();
    server.push(
        Reply::json(
            422,
            r#"{"errors":[{"code":"form_identifier_exists","message":"taken","long_message":"That email address is taken. Please try another.","meta":{"param_name":"email_address"}},{"code":"form_param_missing","message":"missing"}],"clerk_trace_id":"trace_in_body"}"#,
        )
        .header("X-Clerk-Trace-Id", "trace_in_header"),
    );
    server.push(Reply::json(404, "not json").header("X-Clerk-Trace-Id", "trace_h"));
    let client = client_for(&server);
    let error = client
        .request(Method::Post, "/users", &[], Some(&json!({})))
        .unwrap_err();
    let api = error.api().expect("an API error");
    assert_eq!(api.status, 422);
    assert_eq!(api.errors.len(), 2);
    assert_eq!(api.errors[0].code, "form_identifier_exists");
    assert_eq!(
        api.errors[0].long_message.as_deref(),
        Some("That email address is taken. Please try another.")
    );
    assert_eq!(
        api.errors[0].meta,
        Some(json!({"param_name": "email_address"}))
    );
    assert_eq!(api.clerk_trace_id.as_deref(), Some("trace_in_body"));
    assert_eq!(
        error.to_string(),
        "422 form_identifier_exists: taken (That email address is taken. Please try another.) (+1 more) [trace trace_in_body]"
    );
    let as_json = error.to_json();
    assert_eq!(as_json["kind"], "api");
    assert_eq!(as_json["status"], 422);
    assert_eq!(as_json["clerk_trace_id"], "trace_in_body");
    assert_eq!(as_json["errors"][1]["code"], "form_param_missing");

    let error = client
        .request(Method::Get, "/users/x", &[], None)
        .unwrap_err();
    let api = error.api().unwrap();
    assert_eq!(api.clerk_trace_id.as_deref(), Some("trace_h"));
    assert_eq!(api.body_excerpt.as_deref(), Some("not json"));
}

#[test]
fn oversized_responses_are_refused() {
    let server = Server::start();
    server.push(Reply::json(200, format!("\"{}\"", "x".repeat(5000))));
    let client = Client::builder()
        .secret_key(SECRET)
        .api_url(&server.url)
        .max_response_bytes(1000)
        .build()
        .unwrap();
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 1000 }),
        "{error:?}"
    );
}

#[test]
fn undecodable_bodies_carry_an_excerpt() {
    let server = Server::start();
    server.push(Reply::json(200, "{\"object\": \"user\", truncated"));
    let client = client_for(&server);
    let error = client
        .call_typed::<_, serde_json::Value>(
            clerk_core::operations::find("GetUser").unwrap(),
            &json!({"user_id": "user_1"}),
        )
        .unwrap_err();
    match error {
        Error::Decode { body_excerpt, .. } => {
            assert!(body_excerpt.contains("truncated"), "{body_excerpt}")
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn query_arrays_repeat_and_path_values_are_escaped() {
    let server = Server::start();
    let client = client_for(&server);
    server.push(Reply::json(200, "[]"));
    client
        .call(
            "GetUserList",
            &json!({"email_address": ["a@x.io", "b+1@x.io"], "limit": 5}),
        )
        .unwrap();
    server.push(Reply::json(200, "{}"));
    client
        .call("users.get", &json!({"user_id": "user_1/../../jwks?x=1#f"}))
        .unwrap();
    let seen = server.seen();
    assert_eq!(
        seen[0].target,
        "/v1/users?email_address=a%40x.io&email_address=b%2B1%40x.io&limit=5"
    );
    assert_eq!(
        seen[1].target,
        "/v1/users/user_1%2F..%2F..%2Fjwks%3Fx%3D1%23f"
    );
}

#[test]
fn json_bodies_and_unknown_keys() {
    let server = Server::start();
    let client = client_for(&server);
    client
        .call(
            "CreateUser",
            &json!({"email_address": ["a@x.io"], "first_name": "Ada", "$extra_body": {"enhanced_email_deliverability": true}}),
        )
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(
        body,
        json!({"email_address": ["a@x.io"], "first_name": "Ada", "enhanced_email_deliverability": true})
    );

    let error = client
        .call("CreateUser", &json!({"first_nme": "typo"}))
        .unwrap_err();
    assert_eq!(error.kind(), "invalid_params");
    assert!(error.to_string().contains("first_nme"), "{error}");
    let error = client.call("NoSuchOperation", &json!({})).unwrap_err();
    assert!(matches!(error, Error::UnknownOperation { .. }), "{error:?}");
    assert_eq!(
        server.seen().len(),
        1,
        "invalid calls never reach the server"
    );
}

#[test]
fn multipart_uploads_send_the_file() {
    let server = Server::start();
    let client = client_for(&server);
    let file = File::new("me \"quoted\".png", vec![0x89, b'P', b'N', b'G', 0, 1, 2])
        .with_content_type("image/png");
    client
        .call(
            "SetUserProfileImage",
            &json!({"user_id": "user_1", "file": serde_json::to_value(&file).unwrap()}),
        )
        .unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.target, "/v1/users/user_1/profile_image");
    let content_type = seen.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect(content_type);
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me %22quoted%22.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(&[0x89, b'P', b'N', b'G', 0, 1, 2]);
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(seen.body, expected);
}

/// Captures every log record so the test can look for the secret in them.
struct Capture(Arc<Mutex<Vec<String>>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        // The HTTP layer hexdumps raw wire bytes at trace level (documented in the
        // README: cap `ureq_proto` at debug in production); everything else is checked.
        if record.level() == log::Level::Trace && record.target().starts_with("ureq_proto") {
            return;
        }
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {}", record.target(), record.args()));
    }
    fn flush(&self) {}
}

#[test]
fn the_secret_key_never_leaks() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    log::set_logger(Box::leak(Box::new(Capture(lines.clone())))).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let server = Server::start();
    server.push(Reply::json(
        401,
        r#"{"errors":[{"code":"authentication_invalid","message":"bad key"}]}"#,
    ));
    server.push(Reply::json(503, "{}"));
    let client = client_for(&server);
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    let mut shown = vec![
        format!("{error}"),
        format!("{error:?}"),
        error.to_json().to_string(),
        format!("{client:?}"),
    ];
    client.request(Method::Get, "/users", &[], None).unwrap();
    let clock = recording_clock();
    let unreachable = Client::builder()
        .secret_key(SECRET)
        .api_url("http://127.0.0.1:1")
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    let error = unreachable
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    // Refused connections are retried with the default policy: 250 ms, then 500 ms.
    assert_eq!(clock.sleeps(), [ms(250), ms(500)]);
    shown.push(format!("{error} {error:?}"));
    let logged = lines.lock().unwrap().clone();
    assert!(
        logged
            .iter()
            .any(|line| line.contains("GET (raw request) -> 401")),
        "{logged:?}"
    );
    for text in shown.iter().chain(logged.iter()) {
        assert!(!text.contains("DoNotLeak"), "secret in {text}");
    }
}

/// The total budget is a deadline: an attempt started late in it gets only what is left,
/// so a hang after an early 503 ends at the budget, not a whole per-attempt timeout later.
///
/// The waits count against the budget too: after 400 ms of (recorded) waiting, the
/// third attempt gets only the rest of a 500 ms budget.
#[test]
fn the_total_budget_caps_every_attempt() {
    let server = Server::start();
    server.push(Reply::json(503, "{}").header("Retry-After", "0.2"));
    server.push(Reply::json(503, "{}").header("Retry-After", "0.2"));
    server.push(Reply::json(200, "{}").delay(Duration::from_secs(10)));
    let clock = recording_clock();
    let client = builder_for(&server)
        .timeout_request(Duration::from_secs(30))
        .retry_policy(policy(4, ms(10), Duration::from_secs(2), ms(500)))
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    let error = client
        .request(Method::Get, "/users", &[], None)
        .unwrap_err();
    match &error {
        // The per-call budget fired, not the 30 s timeout_request: the attempt was capped.
        Error::Timeout { message } => assert_eq!(
            message,
            "the total time budget of 500 ms (retry policy max_elapsed) ran out after 3 attempts"
        ),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(server.seen().len(), 3, "the 503s were retried");
    assert_eq!(clock.sleeps(), [ms(200), ms(200)]);
}

/// A per-call timeout shortens the client's budget for that call only, with the same
/// capping of every attempt; a longer one cannot extend the client's budget.
#[test]
fn a_per_call_timeout_bounds_one_call() {
    let server = Server::start();
    let clock = recording_clock();
    let client = client_with_clock(&server, &clock); // budget 10 s, timeout_request 30 s
    let options = CallOptions::new().timeout(ms(200));

    server.push(Reply::json(200, "[]").delay(Duration::from_secs(5)));
    let error = client
        .call_with("users.list", &json!({"limit": 1}), &options)
        .unwrap_err();
    match &error {
        Error::Timeout { message } => assert_eq!(
            message,
            "the per-call timeout of 200 ms ran out after 1 attempt"
        ),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        clock.sleeps().is_empty(),
        "no time left to wait for a retry"
    );

    // The raw request takes the same options.
    server.push(Reply::json(200, "{}").delay(Duration::from_secs(5)));
    let error = client
        .request_with(Method::Get, "/jwks", &[], None, &options)
        .unwrap_err();
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(
        error.to_string().contains("per-call timeout of 200 ms"),
        "{error}"
    );

    // A timeout longer than the client's budget leaves the client's budget in charge.
    let short = builder_for(&server)
        .retry_policy(RetryPolicy::builder().max_elapsed(ms(200)).build().unwrap())
        .retry_clock(clock.clone())
        .build()
        .unwrap();
    server.push(Reply::json(200, "{}").delay(Duration::from_secs(5)));
    let error = short
        .call_with(
            "users.get",
            &json!({"user_id": "user_1"}),
            &CallOptions::new().timeout(Duration::from_secs(60)),
        )
        .unwrap_err();
    match &error {
        Error::Timeout { message } => assert!(message.contains("max_elapsed"), "{message}"),
        other => panic!("expected a timeout, got {other:?}"),
    }

    // Default options behave like the plain call.
    server.push(Reply::json(200, r#"{"id":"user_1"}"#));
    let response = client
        .call_with(
            "users.get",
            &json!({"user_id": "user_1"}),
            &CallOptions::new(),
        )
        .unwrap();
    assert_eq!(response.body, r#"{"id":"user_1"}"#);

    // Out-of-range timeouts are refused before anything is sent.
    let before = server.seen().len();
    for bad in [Duration::ZERO, Duration::from_secs(601)] {
        let error = client
            .call_with(
                "users.get",
                &json!({"user_id": "user_1"}),
                &CallOptions::new().timeout(bad),
            )
            .unwrap_err();
        assert_eq!(error.kind(), "invalid_params", "{error}");
        assert!(error.to_string().contains("timeout"), "{error}");
    }
    assert_eq!(server.seen().len(), before);
}

/// Pages take options for every page fetch, and one fetch can take its own.
#[test]
fn pages_take_a_timeout_per_page() {
    let server = Server::start();
    let client = client_for(&server);
    let options = CallOptions::new().timeout(ms(200));
    let page = |n: usize| {
        let items: Vec<String> = (0..n).map(|i| format!("{{\"id\":\"user_{i}\"}}")).collect();
        format!("[{}]", items.join(","))
    };

    server.push(Reply::json(200, page(2)));
    server.push(Reply::json(200, page(2)).delay(Duration::from_secs(5)));
    let mut pages = client
        .pages_with("users.list", &json!({"limit": 2}), &options)
        .unwrap();
    assert!(pages.next().unwrap().is_ok());
    let error = pages.next().unwrap().unwrap_err();
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(
        error.to_string().contains("per-call timeout of 200 ms"),
        "{error}"
    );
    assert!(pages.next().is_none(), "an error ends the paging");

    // Without options, one fetch can still be bounded on its own.
    server.push(Reply::json(200, page(2)).delay(Duration::from_secs(5)));
    let mut pages = client.pages("users.list", &json!({"limit": 2})).unwrap();
    let error = pages.next_with(&options).unwrap().unwrap_err();
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(
        error.to_string().contains("per-call timeout of 200 ms"),
        "{error}"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].target, "/v1/users?limit=2&offset=2");
    assert_eq!(seen[2].target, "/v1/users?limit=2&offset=0");
}

/// The JSON form of the options, shared by the C library and the bindings.
#[test]
fn call_options_parse_from_json_strictly() {
    let parse = |text: &str| serde_json::from_str::<CallOptions>(text);
    assert_eq!(parse("{}").unwrap(), CallOptions::new());
    assert_eq!(
        parse(r#"{"timeout_ms": null}"#).unwrap(),
        CallOptions::new()
    );
    assert_eq!(
        parse(r#"{"timeout_ms": 1500}"#).unwrap(),
        CallOptions::new().timeout(Duration::from_millis(1500))
    );
    assert_eq!(
        parse(r#"{"timeout_ms": 600000}"#).unwrap().timeout,
        Some(Duration::from_secs(600))
    );
    for bad in [
        r#"{"timeout_ms": 0}"#,
        r#"{"timeout_ms": 600001}"#,
        r#"{"timeout_ms": -1}"#,
        r#"{"timeout_ms": 1.5}"#,
        r#"{"timeout_ms": "100"}"#,
    ] {
        let error = parse(bad).unwrap_err().to_string();
        assert!(error.contains("timeout_ms"), "{bad}: {error}");
        assert!(error.contains("1..=600000"), "{bad}: {error}");
    }
    let error = parse(r#"{"timeout": 100}"#).unwrap_err().to_string();
    assert!(error.contains("unknown field `timeout`"), "{error}");
}

/// `.` and `..` are dot-segments: sent as a path value they would climb the path at any
/// RFC 3986-normalising hop (`DELETE /v1/organizations/org_1/memberships/..` becomes
/// `DELETE /v1/organizations/org_1/`). They are refused, naming the parameter.
#[test]
fn dot_segment_path_values_are_refused() {
    let server = Server::start();
    let client = client_for(&server);
    for value in ["..", "."] {
        let error = client
            .call(
                "DeleteOrganizationMembership",
                &json!({"organization_id": "org_1", "user_id": value}),
            )
            .unwrap_err();
        assert_eq!(error.kind(), "invalid_params", "{value}: {error}");
        let message = error.to_string();
        assert!(message.contains("user_id"), "{message}");
        assert!(message.contains("dot-segment"), "{message}");
    }
    let error = client
        .call(
            "DeleteOrganizationMembership",
            &json!({"organization_id": "", "user_id": "user_1"}),
        )
        .unwrap_err();
    assert!(error.to_string().contains("organization_id"), "{error}");
    assert!(server.seen().is_empty(), "nothing was sent");

    // Dots inside a value are data, sent as they are.
    for value in ["...", "a.b", ".hidden", "user.name@x.io"] {
        client
            .call("users.get", &json!({"user_id": value}))
            .unwrap();
    }
    let targets: Vec<String> = server.seen().into_iter().map(|seen| seen.target).collect();
    assert_eq!(
        targets,
        [
            "/v1/users/...",
            "/v1/users/a.b",
            "/v1/users/.hidden",
            "/v1/users/user.name%40x.io"
        ]
    );
}

/// The raw request refuses dot-segments in its path, plain or percent-encoded (`%2E`,
/// any case), since a normalising hop decodes them and climbs.
#[test]
fn raw_request_paths_with_dot_segments_are_refused() {
    let server = Server::start();
    let client = client_for(&server);
    for path in [
        "/users/../x",
        "/users/./x",
        "/users/..",
        "/users/.",
        "/..",
        "/users/%2e%2E/x",
        "/users/.%2e",
        "/users/%2E.",
        "/users/%2e",
        "/users/..?limit=1",
        "/users/%2E%2e#x",
    ] {
        let error = client.request(Method::Get, path, &[], None).unwrap_err();
        assert_eq!(error.kind(), "invalid_params", "{path}: {error}");
        let message = error.to_string();
        assert!(message.contains("dot-segment"), "{path}: {message}");
        assert!(message.contains(path), "{path}: {message}");
    }
    assert!(server.seen().is_empty(), "nothing was sent");

    // Dots that are no whole segment, and dots in the query, are fine.
    for path in [
        "/users/a..b",
        "/users/...",
        "/users/.hidden",
        "/users/%2e%2e%2Fx",
        "/users?email_address=a..b@x.io&p=../..",
    ] {
        client.request(Method::Get, path, &[], None).unwrap();
    }
    assert_eq!(server.seen().len(), 5);
}

/// Every request with a body carries its `Content-Length`, never `Transfer-Encoding:
/// chunked` (proxies and WAFs answer 411 to a chunked POST); a body-less POST says
/// `Content-Length: 0`; a body-less DELETE or GET has neither.
#[test]
fn bodies_carry_content_length_never_chunked() {
    let server = Server::start();
    let client = client_for(&server);
    let file = File::new("a.png", vec![1, 2, 3]).with_content_type("image/png");
    client.call("testing_tokens.create", &json!({})).unwrap();
    client
        .call("CreateUser", &json!({"first_name": "Ada"}))
        .unwrap();
    client
        .call(
            "SetUserProfileImage",
            &json!({"user_id": "user_1", "file": serde_json::to_value(&file).unwrap()}),
        )
        .unwrap();
    client
        .call(
            "UpdateUser",
            &json!({"user_id": "user_1", "last_name": "L"}),
        )
        .unwrap();
    client
        .call("UpdateUser", &json!({"user_id": "user_1"}))
        .unwrap();
    client
        .call("DeleteUser", &json!({"user_id": "user_1"}))
        .unwrap();
    client.request(Method::Post, "/x", &[], None).unwrap();
    client.request(Method::Put, "/x", &[], None).unwrap();
    client.request(Method::Get, "/x", &[], None).unwrap();

    let seen = server.seen();
    let methods: Vec<&str> = seen.iter().map(|s| s.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "POST", "POST", "POST", "PATCH", "PATCH", "DELETE", "POST", "PUT", "GET"
        ]
    );
    for request in &seen {
        assert_eq!(
            request.header("transfer-encoding"),
            None,
            "{} {}",
            request.method,
            request.target
        );
    }
    let length = |i: usize| seen[i].header("content-length").map(str::to_owned);
    assert_eq!(length(0).as_deref(), Some("0"), "body-less POST");
    assert_eq!(seen[0].header("content-type"), None, "no body, no type");
    for (i, what) in [
        (1, "JSON POST"),
        (2, "multipart POST"),
        (3, "PATCH"),
        (4, "empty PATCH"),
    ] {
        assert_eq!(
            length(i),
            Some(seen[i].body.len().to_string()),
            "{what}: {:?}",
            seen[i].headers
        );
        assert!(!seen[i].body.is_empty(), "{what}");
    }
    assert_eq!(seen[4].body, b"{}", "an object body is {{}} when empty");
    assert_eq!(length(5), None, "body-less DELETE");
    assert_eq!(length(6).as_deref(), Some("0"), "raw body-less POST");
    assert_eq!(length(7).as_deref(), Some("0"), "raw body-less PUT");
    assert_eq!(length(8), None, "GET");
}
