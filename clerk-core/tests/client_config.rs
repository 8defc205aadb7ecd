//! Every setting of `ClientBuilder` is checked when the client is built: a value that
//! would only fail at the first call (or never make sense) is a configuration error that
//! names the setting.

use std::time::Duration;

use clerk_core::{Client, ClientBuilder, Error, RetryPolicy, RetryPolicyBuilder, RootCertificates};

/// A self-signed test CA (its key was discarded): a certificate that parses.
const TEST_CA: &[u8] = include_bytes!("fixtures/test_ca.pem");

/// Builds and expects a configuration error whose message contains `setting`.
#[track_caller]
fn refused(builder: ClientBuilder, setting: &str) -> String {
    match builder.build() {
        Err(Error::Config { message }) => {
            assert!(
                message.contains(setting),
                "the message should name {setting}: {message}"
            );
            message
        }
        Err(other) => panic!("expected a config error naming {setting}, got {other:?}"),
        Ok(client) => panic!("expected a config error naming {setting}, got {client:?}"),
    }
}

#[track_caller]
fn accepted(builder: ClientBuilder) {
    if let Err(error) = builder.build() {
        panic!("expected a client, got {error}");
    }
}

/// Builds a retry policy and expects a configuration error naming `setting`.
#[track_caller]
fn refused_policy(builder: RetryPolicyBuilder, setting: &str) {
    match builder.build() {
        Err(Error::Config { message }) => assert!(
            message.contains(setting),
            "the message should name {setting}: {message}"
        ),
        other => panic!("expected a config error naming {setting}, got {other:?}"),
    }
}

/// Builds a retry policy and a client with it.
#[track_caller]
fn accepted_policy(builder: RetryPolicyBuilder) -> RetryPolicy {
    let policy = builder
        .build()
        .unwrap_or_else(|e| panic!("expected a policy, got {e}"));
    accepted(Client::builder().retry_policy(policy.clone()));
    policy
}

#[test]
fn api_urls_must_parse_as_a_bare_origin() {
    for bad in [
        "http://[::1",
        "http://[::1]x",
        "http://[not-ip]:80",
        "http://::1",
        "http://127.0.0.1:1?x",
        "https://api.clerk.com?x=1",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0",
        "http://127.0.0.1:",
        "http://127.0.0.1:8o",
        "https://api.clerk.com#fragment",
        "https://api.clerk.com/#",
        "https://user@api.clerk.com",
        "https://user:password@api.clerk.com",
        "https://api clerk.com",
        "https://api.clerk.com\\@evil",
        "https://",
        "https://:443",
        "https://api.clerk.com/v1",
    ] {
        refused(Client::builder().api_url(bad), "api_url");
    }
    let message = refused(
        Client::builder().api_url("https://user:hunter2@api.clerk.com"),
        "userinfo",
    );
    assert!(
        !message.contains("hunter2"),
        "the password is not echoed: {message}"
    );
    for good in [
        "https://api.clerk.com",
        "https://api.clerk.com/",
        "https://api.clerk.com:443",
        "https://clerk.internal-proxy_1.example",
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
        "http://[::1]",
        "http://127.0.0.1:65535",
    ] {
        accepted(Client::builder().api_url(good));
    }
}

#[test]
fn root_certificates_must_hold_parsable_certificates() {
    let garbage_block = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let key_only = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    for pem in [
        &b"garbage"[..],
        &b""[..],
        &garbage_block[..],
        &key_only[..],
        &b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"[..],
    ] {
        refused(
            Client::builder().root_certificates(RootCertificates::Pem(pem.to_vec())),
            "root_certificates",
        );
    }
    // One bad certificate among good ones spoils the set.
    let mut mixed = TEST_CA.to_vec();
    mixed.extend_from_slice(garbage_block);
    refused(
        Client::builder().root_certificates(RootCertificates::Pem(mixed)),
        "root_certificates",
    );
    accepted(Client::builder().root_certificates(RootCertificates::Pem(TEST_CA.to_vec())));
}

#[test]
fn timeouts_are_bounded() {
    let ms = Duration::from_millis;
    for bad in [
        Duration::ZERO,
        Duration::from_secs(600) + ms(1),
        Duration::MAX,
    ] {
        let message = refused(Client::builder().timeout_connect(bad), "timeout_connect");
        assert!(
            message.contains("1 ms") && message.contains("10 min"),
            "{message}"
        );
        refused(Client::builder().timeout_request(bad), "timeout_request");
    }
    for good in [ms(1), Duration::from_secs(600)] {
        accepted(
            Client::builder()
                .timeout_connect(good)
                .timeout_request(good),
        );
    }
}

#[test]
fn retry_policy_values_are_bounded() {
    let ms = Duration::from_millis;
    let policy = RetryPolicy::builder;
    refused_policy(
        policy().max_attempts(0),
        "max_attempts must be between 1 and 10, got 0",
    );
    refused_policy(policy().max_attempts(11), "max_attempts");
    refused_policy(policy().initial_backoff(ms(60_001)), "initial_backoff");
    refused_policy(policy().max_backoff(ms(300_001)), "max_backoff");
    refused_policy(
        policy().initial_backoff(ms(200)).max_backoff(ms(100)),
        "max_backoff",
    );
    refused_policy(policy().max_elapsed(Duration::ZERO), "max_elapsed");
    refused_policy(
        policy().max_elapsed(Duration::from_secs(600) + ms(1)),
        "max_elapsed",
    );
    assert_eq!(
        accepted_policy(policy().max_attempts(10)).max_attempts(),
        10
    );
    let smallest = accepted_policy(
        policy()
            .initial_backoff(Duration::ZERO)
            .max_backoff(Duration::ZERO)
            .max_elapsed(ms(1)),
    );
    assert_eq!(
        (
            smallest.initial_backoff(),
            smallest.max_backoff(),
            smallest.max_elapsed()
        ),
        (Duration::ZERO, Duration::ZERO, ms(1))
    );
    accepted_policy(
        policy()
            .initial_backoff(ms(60_000))
            .max_backoff(ms(300_000))
            .max_elapsed(Duration::from_secs(600)),
    );
    accepted(Client::builder().retry_policy(RetryPolicy::disabled()));
    assert_eq!(RetryPolicy::disabled().max_attempts(), 1);
    // The builder starts from the defaults, and builds them unchanged.
    assert_eq!(policy().build().unwrap(), RetryPolicy::default());
    let default = RetryPolicy::default();
    assert_eq!(
        (
            default.max_attempts(),
            default.initial_backoff(),
            default.max_backoff(),
            default.max_elapsed()
        ),
        (3, ms(500), Duration::from_secs(10), Duration::from_secs(30))
    );
}

#[test]
fn the_response_size_limit_is_bounded() {
    refused(
        Client::builder().max_response_bytes(0),
        "max_response_bytes",
    );
    refused(
        Client::builder().max_response_bytes((1 << 30) + 1),
        "max_response_bytes",
    );
    accepted(Client::builder().max_response_bytes(1));
    accepted(Client::builder().max_response_bytes(1 << 30));
}

#[test]
fn extra_headers_must_be_valid_and_not_ours() {
    for (name, value) in [
        ("X-Trace", "a\r\nInjected: yes"),
        ("X-Trace", "a\nb"),
        ("X-Trace", "nul\0"),
        ("Bad Name", "v"),
        ("X-Trace:", "v"),
        ("", "v"),
        ("Authorization", "Bearer other"),
        ("content-length", "5"),
        ("Transfer-Encoding", "chunked"),
        ("Host", "elsewhere"),
    ] {
        refused(Client::builder().header(name, value), "header");
    }
    accepted(Client::builder().header("X-Trace", "abc\tdef"));
    refused(Client::builder().user_agent("app\r\n"), "user_agent");
}

mod support;

/// The JSON configuration (`ClientConfig`, what the C library and the bindings take)
/// reaches the wire: extra headers are sent with every request, the user agent leads.
#[test]
fn client_config_json_headers_reach_the_wire() {
    let server = support::Server::start();
    server.push(support::Reply::json(200, "[]"));
    let config = clerk_core::ClientConfig::from_json(&format!(
        r#"{{"secret_key": "sk_test_cfg", "api_url": "{}", "user_agent": "cfg-test/1",
            "retry": {{"max_attempts": 1}}, "headers": {{"X-Gateway": "edge-1", "X-Trace": "t1"}}}}"#,
        server.url
    ))
    .unwrap();
    let client = config.build().unwrap();
    client.call("users.list", &serde_json::json!({})).unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.header("x-gateway"), Some("edge-1"));
    assert_eq!(seen.header("x-trace"), Some("t1"));
    assert_eq!(seen.header("authorization"), Some("Bearer sk_test_cfg"));
    assert!(
        seen.header("user-agent")
            .unwrap()
            .starts_with("cfg-test/1 ")
    );
}

/// Unknown keys are refused at every level with the accepted keys named, for both types.
#[test]
fn config_json_refuses_unknown_keys_naming_the_accepted_ones() {
    for (json, named) in [
        (r#"{"timeout_ms": 5}"#, "`timeout_request_ms`"),
        (r#"{"retry": {"max_attempt": 5}}"#, "`max_attempts`"),
        (r#"{"headers": {"X-A": true}}"#, "`headers`"),
    ] {
        let error = clerk_core::ClientConfig::from_json(json).unwrap_err();
        assert!(matches!(error, Error::Config { .. }), "{json}");
        assert!(error.to_string().contains(named), "{json}: {error}");
    }
    let error = clerk_core::VerifierConfig::from_json(r#"{"audiences": ["a"]}"#).unwrap_err();
    assert!(error.to_string().contains("`audience`"), "{error}");
}
