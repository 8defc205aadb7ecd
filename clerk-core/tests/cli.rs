//! The `clerk` tool's documented behaviour: `ops`, `call`, `pages`, `request`, exit codes.

mod support;

use std::process::{Command, Output};

use serde_json::Value;
use support::{Reply, Server};

fn clerk(server: Option<&Server>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clerk"));
    command.args(args).env_remove("CLERK_API_VERSION");
    match server {
        Some(server) => command
            .env("CLERK_SECRET_KEY", "sk_test_cli")
            .env("CLERK_API_URL", &server.url),
        None => command
            .env_remove("CLERK_SECRET_KEY")
            .env_remove("CLERK_API_URL"),
    };
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn ops_prints_one_json_line_per_operation() {
    let output = clerk(None, &["ops"]);
    assert!(output.status.success());
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 249);
    let list = lines
        .iter()
        .find(|l| l["operation_id"] == "GetUserList")
        .unwrap();
    assert_eq!(list["name"], "users.list");
    assert_eq!(list["method"], "GET");
    assert_eq!(list["path"], "/users");
    let full = clerk(None, &["ops", "--full"]);
    let first: Value = serde_json::from_str(stdout(&full).lines().next().unwrap()).unwrap();
    assert!(first["params"].is_array(), "{first}");
}

#[test]
fn call_prints_the_body_or_an_error_json() {
    let server = Server::start();
    server.push(Reply::json(200, r#"{"object":"user","id":"user_1"}"#));
    let output = clerk(
        Some(&server),
        &["call", "GetUser", r#"{"user_id":"user_1"}"#],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout(&output).trim(), r#"{"object":"user","id":"user_1"}"#);
    assert_eq!(server.seen()[0].target, "/v1/users/user_1");

    server.push(Reply::json(
        404,
        r#"{"errors":[{"code":"resource_not_found","message":"not found"}],"clerk_trace_id":"t1"}"#,
    ));
    let output = clerk(
        Some(&server),
        &["call", "users.get", r#"{"user_id":"nope"}"#],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["kind"], "api");
    assert_eq!(error["status"], 404);
    assert_eq!(error["errors"][0]["code"], "resource_not_found");
    assert_eq!(error["clerk_trace_id"], "t1");

    let output = clerk(Some(&server), &["call", "users.get", r#"{"user_idd":"x"}"#]);
    assert_eq!(output.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["kind"], "invalid_params");
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn call_without_a_secret_key_is_a_config_error() {
    let output = clerk(None, &["call", "GetUserList"]);
    assert_eq!(output.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["kind"], "config");
}

#[test]
fn pages_and_request() {
    let server = Server::start();
    server.push(Reply::json(
        200,
        r#"{"data":[{"id":"a"},{"id":"b"}],"total_count":3}"#,
    ));
    server.push(Reply::json(200, r#"{"data":[{"id":"c"}],"total_count":3}"#));
    let output = clerk(
        Some(&server),
        &["pages", "organizations.list", r#"{"limit":2}"#],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout(&output).lines().count(), 2);
    let seen = server.seen();
    assert_eq!(seen[0].target, "/v1/organizations?limit=2&offset=0");
    assert_eq!(seen[1].target, "/v1/organizations?limit=2&offset=2");

    let output = clerk(
        Some(&server),
        &[
            "request",
            "post",
            "/invitations/bulk",
            "--query",
            r#"{"x":["1","2"]}"#,
            "--body",
            r#"[{"email_address":"a@x.io"}]"#,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let seen = server.seen();
    let last = seen.last().unwrap();
    assert_eq!(last.method, "POST");
    assert_eq!(last.target, "/v1/invitations/bulk?x=1&x=2");
    assert_eq!(last.body, br#"[{"email_address":"a@x.io"}]"#);
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &["bogus"][..],
        &[][..],
        &["call"][..],
        &["request", "FETCH", "/x"][..],
    ] {
        let output = clerk(None, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

/// Regression: `clerk verify` answered `unexpected-error` (serde_json's recursion limit)
/// for a validly signed token with deeply nested custom claims, which the library (and
/// the C ABI) return fine. The CLI prints what the library returns.
#[test]
fn verify_prints_deeply_nested_claims() {
    let key = clerk_core::testing::TestKey::generate("kid_deep").unwrap();
    let mut deep = serde_json::json!({"leaf": true});
    for _ in 0..300 {
        deep = serde_json::json!({ "n": deep });
    }
    let token = clerk_core::testing::mint_session_token(&key, &serde_json::json!({ "deep": deep }))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("clerk-cli-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("key.pub.pem");
    std::fs::write(&pem, key.public_key_pem()).unwrap();

    let output = clerk(
        None,
        &["verify", &token, "--jwt-key", pem.to_str().unwrap()],
    );
    let line = stdout(&output);
    assert!(output.status.success(), "{line} {output:?}");
    assert!(line.starts_with(r#"{"claims":{"#), "{line}");
    assert!(line.trim_end().ends_with(r#","ok":true}"#), "{line}");
    assert_eq!(line.matches(r#"{"n":"#).count(), 300, "{line}");
    assert!(line.contains(r#"{"leaf":true}"#));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn request_refuses_dot_segments() {
    let server = Server::start();
    let output = clerk(Some(&server), &["request", "DELETE", "/users/%2E%2e/x"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["kind"], "invalid_params");
    assert!(
        error["message"].as_str().unwrap().contains("dot-segment"),
        "{error}"
    );
    assert!(server.seen().is_empty());
}
