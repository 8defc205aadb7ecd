//! Errors keep their cause: a transport error's `source()` is the underlying error, and
//! `JwksFetchError` is a `std::error::Error` with a readable message.

use std::error::Error as _;

use clerk_core::verify::JwksFetchError;
use clerk_core::{Client, Error, ErrorKind, RetryPolicy};

#[test]
fn a_refused_connection_is_a_transport_error_with_its_source() {
    // A port that was just free on loopback: nothing listens there any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .secret_key("sk_test_source")
        .api_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = client
        .call("users.list", &serde_json::json!({}))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    let source = error.source().expect("the underlying error");
    assert!(!source.to_string().is_empty());
    assert!(error.to_string().contains(&source.to_string()), "{error}");
}

#[test]
fn jwks_fetch_errors_display_and_are_errors() {
    let refused = JwksFetchError::SecretKeyInvalid("bad key".into());
    assert_eq!(refused.to_string(), "the secret key was refused: bad key");
    let failed: Box<dyn std::error::Error> = Box::new(JwksFetchError::Failed("down".into()));
    assert_eq!(failed.to_string(), "down");
}
