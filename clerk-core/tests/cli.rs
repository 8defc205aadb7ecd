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

// ---- The tool as people script it (issue 9, item 10): one test per case. ----

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn error_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stderr)
        .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}): {}", stderr(output)))
}

/// Runs `clerk ARGS`, reads one line of its stdout and closes the pipe, as `| head -1`
/// does; returns the exit status and stderr. The output is larger than a pipe buffer
/// (64 KiB), so the tool must meet the closed pipe while writing.
fn first_line_then_close(server: Option<&Server>, args: &[&str]) -> (Option<i32>, String) {
    use std::io::{BufRead, BufReader, Read};
    let mut command = Command::new(env!("CARGO_BIN_EXE_clerk"));
    command
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(server) = server {
        command
            .env("CLERK_SECRET_KEY", "sk_test_cli")
            .env("CLERK_API_URL", &server.url);
    }
    let mut child = command.spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with('{'), "{line}");
    drop(reader);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_closed_pipe_ends_the_tool_quietly_with_0() {
    let (code, err) = first_line_then_close(None, &["ops", "--full"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "{err}");

    let server = Server::start();
    let big = format!(
        r#"{{"data":[{{"id":"{}"}}],"total_count":9}}"#,
        "x".repeat(100_000)
    );
    for _ in 0..3 {
        server.push(Reply::json(200, &big));
    }
    let (code, err) = first_line_then_close(
        Some(&server),
        &["pages", "organizations.list", r#"{"limit":1}"#],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_operation_typo_suggests_the_nearest_names() {
    let server = Server::start();
    let output = clerk(Some(&server), &["call", "users.lst"]);
    assert_eq!(output.status.code(), Some(1));
    let error = error_json(&output);
    assert_eq!(error["kind"], "unknown_operation");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("did you mean users.list"), "{message}");
    let output = clerk(Some(&server), &["pages", "GetUserLst"]);
    assert!(
        error_json(&output)["message"]
            .as_str()
            .unwrap()
            .contains("GetUserList")
    );
    assert!(server.seen().is_empty());
    // A subcommand typo is a usage error with clap's suggestion.
    let output = clerk(None, &["cal", "users.list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("'call'"), "{}", stderr(&output));
}

#[test]
fn invalid_json_says_what_is_wrong_once_and_what_to_give() {
    let server = Server::start();
    let output = clerk(Some(&server), &["call", "users.list", "{limit: 5}"]);
    assert_eq!(output.status.code(), Some(1));
    let error = error_json(&output);
    assert_eq!(error["kind"], "invalid_params");
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.contains("invalid parameters: invalid parameters"),
        "{message}"
    );
    assert!(
        message.contains("PARAMS_JSON is not valid JSON"),
        "{message}"
    );
    assert!(message.contains("user_id"), "{message}");
    let output = clerk(
        Some(&server),
        &["request", "GET", "/users", "--query", "[1"],
    );
    let message = error_json(&output)["message"].as_str().unwrap().to_owned();
    assert!(message.contains("--query is not valid JSON"), "{message}");
    assert!(server.seen().is_empty());
}

#[test]
fn every_command_has_its_own_help() {
    for (args, expect) in [
        (&["verify", "--help"][..], "--jwt-key"),
        (&["webhook", "sign", "--help"][..], "--timestamp"),
        (&["webhook", "verify", "--help"][..], "--header"),
        (&["token", "mint", "--help"][..], "--kid"),
        (&["request", "--help"][..], "--query"),
        (&["call", "--help"][..], "--file"),
        (&["--help"][..], "Exit codes"),
    ] {
        let output = clerk(None, args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert!(
            stdout(&output).contains(expect),
            "{args:?}: {}",
            stdout(&output)
        );
    }
    let output = clerk(None, &["--version"]);
    assert!(stdout(&output).starts_with("clerk "), "{output:?}");
}

#[test]
fn a_key_of_the_wrong_kind_is_named_as_such() {
    let key = clerk_core::testing::TestKey::generate("kid_kinds").unwrap();
    let dir = std::env::temp_dir().join(format!("clerk-cli-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let private = dir.join("private.pem");
    let public = dir.join("public.pem");
    std::fs::write(&private, key.private_key_pem()).unwrap();
    std::fs::write(&public, key.public_key_pem()).unwrap();
    let token = clerk_core::testing::mint_session_token(&key, &serde_json::json!({})).unwrap();

    let output = clerk(
        None,
        &["verify", &token, "--jwt-key", private.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("--jwt-key expects a PUBLIC key (BEGIN PUBLIC KEY); this is a private key"),
        "{err}"
    );
    assert!(err.contains("-pubout"), "{err}");

    let output = clerk(
        None,
        &[
            "token",
            "mint",
            "--key",
            public.to_str().unwrap(),
            "--kid",
            "k",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("--key expects a PRIVATE key"), "{err}");
    assert!(err.contains("this is a public key"), "{err}");
    assert!(!err.contains("UnexpectedError"), "{err}");

    // The right way round works.
    let output = clerk(
        None,
        &[
            "token",
            "mint",
            "--key",
            private.to_str().unwrap(),
            "--kid",
            "k",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let output = clerk(
        None,
        &["verify", &token, "--jwt-key", public.to_str().unwrap()],
    );
    assert!(output.status.success(), "{output:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn connection_refused_names_the_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let output = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["call", "users.list"])
        .env("CLERK_SECRET_KEY", "sk_test_cli")
        .env("CLERK_API_URL", &url)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let error = error_json(&output);
    assert_eq!(error["kind"], "transport");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(&url), "{message}");
}

#[test]
fn a_404_on_a_v1_path_hints_that_the_tool_adds_v1() {
    let server = Server::start();
    server.push(Reply::json(
        404,
        r#"{"errors":[{"code":"resource_not_found","message":"not found"}]}"#,
    ));
    let output = clerk(Some(&server), &["request", "GET", "/v1/users"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(server.seen()[0].target, "/v1/v1/users");
    let error = error_json(&output);
    assert_eq!(error["status"], 404);
    let hint = error["hint"].as_str().unwrap();
    assert!(hint.contains("adds /v1"), "{hint}");
    assert!(hint.contains("clerk request GET /users"), "{hint}");
    // No hint on other paths.
    server.push(Reply::json(404, r#"{"errors":[]}"#));
    let output = clerk(Some(&server), &["request", "GET", "/users/none"]);
    assert!(error_json(&output).get("hint").is_none());
}

#[test]
fn webhook_sign_output_verifies() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let dir = std::env::temp_dir().join(format!("clerk-cli-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("body.json");
    std::fs::write(&body, r#"{"type":"user.created","data":{"id":"user_1"}}"#).unwrap();
    let body = body.to_str().unwrap();
    let output = clerk(
        None,
        &[
            "webhook",
            "sign",
            "--secret",
            secret,
            "--id",
            "msg_1",
            "--timestamp",
            "1700000000",
            body,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let signature = stdout(&output).trim().to_owned();
    assert!(signature.starts_with("v1,"), "{signature}");
    let verify = |signature: &str| {
        clerk(
            None,
            &[
                "webhook",
                "verify",
                "--secret",
                secret,
                "--now",
                "1700000010",
                "--header",
                "svix-id: msg_1",
                "--header",
                "svix-timestamp: 1700000000",
                "--header",
                &format!("svix-signature: {signature}"),
                body,
            ],
        )
    };
    let output = verify(&signature);
    assert!(output.status.success(), "{output:?}");
    let line: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(line["event"]["type"], "user.created");
    let output = verify("v1,AAAA");
    assert_eq!(output.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rust_log_prints_the_core_logs_to_stderr() {
    let server = Server::start();
    server.push(Reply::json(200, "[]"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_clerk"));
    command
        .args(["call", "users.list"])
        .env("CLERK_SECRET_KEY", "sk_test_cli_secret")
        .env("CLERK_API_URL", &server.url)
        .env("RUST_LOG", "clerk=debug");
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let err = stderr(&output);
    assert!(err.contains("GET /users -> 200"), "{err}");
    assert!(!err.contains("sk_test_cli_secret"), "{err}");
    // Without RUST_LOG, stderr stays empty on success.
    server.push(Reply::json(200, "[]"));
    let output = clerk(Some(&server), &["call", "users.list"]);
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
}

#[test]
fn call_sends_file_bytes_as_they_are() {
    let server = Server::start();
    server.push(Reply::json(200, r#"{"id":"user_1"}"#));
    let dir = std::env::temp_dir().join(format!("clerk-cli-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("me.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\x00binary").unwrap();
    let spec = format!("file={}:image/png", png.to_str().unwrap());
    let output = clerk(
        Some(&server),
        &[
            "call",
            "users.set_profile_image",
            r#"{"user_id":"user_1"}"#,
            "--file",
            &spec,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let seen = &server.seen()[0];
    assert_eq!(seen.target, "/v1/users/user_1/profile_image");
    let needle =
        b"filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\x00binary\r\n";
    assert!(
        seen.body.windows(needle.len()).any(|w| w == needle),
        "{:?}",
        String::from_utf8_lossy(&seen.body)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn request_query_has_the_one_core_meaning() {
    let server = Server::start();
    server.push(Reply::json(200, "[]"));
    let output = clerk(
        Some(&server),
        &[
            "request",
            "GET",
            "/users",
            "--query",
            r#"{"a":null,"b":[1,true,null],"c":"x y"}"#,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(server.seen()[0].target, "/v1/users?b=1&b=true&c=x%20y");
    // Nested values are refused before anything is sent, naming the key.
    let output = clerk(
        Some(&server),
        &["request", "GET", "/users", "--query", r#"{"n":{"x":1}}"#],
    );
    assert_eq!(output.status.code(), Some(1));
    let error = error_json(&output);
    assert_eq!(error["kind"], "invalid_params");
    assert!(
        error["message"].as_str().unwrap().contains("`n`"),
        "{error}"
    );
    assert_eq!(server.seen().len(), 1);
}
