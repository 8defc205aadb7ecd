//! Sessions and tokens (RS256 checked against the served JWKS), key rotation, faults,
//! counters, raw HTTP framing, and the binary.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_emulator::{Fault, FaultAction};
use serde_json::{Value, json};
use support::{Api, assert_clerk_error, verify_with_jwks};

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A user who administers an organization, and an active session on that organization.
fn signed_in(api: &Api) -> (String, String, String) {
    let user = api.ok(
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["s@example.com"], "first_name": "Sam"})),
    );
    let user_id = user["id"].as_str().unwrap().to_string();
    let org = api.ok(
        "POST",
        "/v1/organizations",
        Some(json!({"name": "Token Org", "created_by": user_id})),
    );
    let org_id = org["id"].as_str().unwrap().to_string();
    let session = api.ok(
        "POST",
        "/v1/sessions",
        Some(json!({"user_id": user_id, "active_organization_id": org_id})),
    );
    assert_eq!(session["status"], "active");
    (user_id, org_id, session["id"].as_str().unwrap().to_string())
}

#[test]
fn sessions_and_clients_round_trip() {
    let api = Api::start();
    let (user_id, _, session_id) = signed_in(&api);
    assert!(session_id.starts_with("sess_"));
    let session = api.ok("GET", &format!("/v1/sessions/{session_id}"), None);
    let client_id = session["client_id"].as_str().unwrap();
    api.error("GET", "/v1/sessions", None, 422, "form_param_missing");
    let listed = api.ok("GET", &format!("/v1/sessions?user_id={user_id}"), None);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let key = api.emulator.secret_key().to_string();
    let paged = api.call_with_key(
        Some(&key),
        "GET",
        &format!("/v1/sessions?user_id={user_id}&paginated=true"),
        None,
    );
    assert_eq!(
        paged.body["total_count"], 1,
        "paginated=true gives Clerk's data/total_count shape"
    );
    let client = api.ok("GET", &format!("/v1/clients/{client_id}"), None);
    assert_eq!(client["sessions"][0]["id"], session_id.as_str());
    assert_eq!(
        api.ok("GET", "/v1/clients", None).as_array().unwrap().len(),
        1
    );
    assert!(api.ok("GET", &format!("/v1/users/{user_id}"), None)["last_sign_in_at"].is_i64());

    let revoked = api.ok("POST", &format!("/v1/sessions/{session_id}/revoke"), None);
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(
        api.ok(
            "GET",
            &format!("/v1/sessions?user_id={user_id}&status=revoked"),
            None
        )
        .as_array()
        .unwrap()
        .len(),
        1
    );
    api.error(
        "POST",
        &format!("/v1/sessions/{session_id}/tokens"),
        None,
        404,
        "resource_not_found",
    );
    api.error(
        "GET",
        "/v1/sessions/sess_missing",
        None,
        404,
        "resource_not_found",
    );
    api.error(
        "POST",
        "/v1/sessions",
        Some(json!({"user_id": "user_missing"})),
        404,
        "resource_not_found",
    );
}

#[test]
fn session_tokens_are_rs256_with_v2_claims() {
    let api = Api::start();
    let (user_id, org_id, session_id) = signed_in(&api);
    let token = api.ok("POST", &format!("/v1/sessions/{session_id}/tokens"), None);
    assert_eq!(token["object"], "token");
    let jwt = token["jwt"].as_str().unwrap();
    let jwks = api.ok("GET", "/v1/jwks", None);
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["use"].as_str(),
            key["kty"].as_str(),
            key["alg"].as_str(),
            key["e"].as_str()
        ),
        (Some("sig"), Some("RSA"), Some("RS256"), Some("AQAB"))
    );
    let claims = verify_with_jwks(jwt, &jwks).expect("the token verifies against the served JWKS");
    let (header, _, _, _) = support::split_jwt(jwt);
    assert_eq!(header["kid"], key["kid"]);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["v"], 2);
    assert_eq!(claims["sid"], session_id.as_str());
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["sts"], "active");
    assert_eq!(claims["iss"], api.emulator.issuer());
    assert_eq!(claims["azp"], api.emulator.authorized_party());
    let iat = claims["iat"].as_i64().unwrap();
    assert!((iat - now_s()).abs() <= 2);
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 60);
    assert_eq!(claims["nbf"].as_i64().unwrap(), iat - 10);
    let org_claim = &claims["o"];
    assert_eq!(org_claim["id"], org_id.as_str());
    assert_eq!(org_claim["slg"], "token-org");
    assert_eq!(org_claim["rol"], "admin");
    assert_eq!(org_claim["per"], "manage,delete,read");
    assert_eq!(org_claim["fpm"], "3,5,5");
    assert_eq!(
        claims["fea"],
        "o:sys_profile,o:sys_memberships,o:sys_domains"
    );

    // The public JWKS URL serves the same keys without a secret key.
    let public = support::into_answer(api.agent.get(api.emulator.jwks_url()).call().unwrap());
    assert_eq!(public.body, jwks);
    // A token whose claims were swapped does not verify.
    let parts: Vec<&str> = jwt.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(json!({"sub": "user_forged", "v": 2}).to_string());
    let tampered = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert_eq!(
        verify_with_jwks(&tampered, &jwks).unwrap_err(),
        "bad signature"
    );

    let longer = api.ok(
        "POST",
        &format!("/v1/sessions/{session_id}/tokens"),
        Some(json!({"expires_in_seconds": 600})),
    );
    let claims = verify_with_jwks(longer["jwt"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );

    api.ok("POST", "/v1/jwt_templates", Some(json!({"name": "api", "claims": {"email": "{{user.primary_email_address}}", "name": "{{user.first_name}}", "org": "{{org.slug}}"}, "lifetime": 300})));
    let templated = api.ok(
        "POST",
        &format!("/v1/sessions/{session_id}/tokens/api"),
        None,
    );
    let claims = verify_with_jwks(templated["jwt"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(
        (
            claims["email"].as_str(),
            claims["name"].as_str(),
            claims["org"].as_str()
        ),
        (Some("s@example.com"), Some("Sam"), Some("token-org"))
    );
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    api.error(
        "POST",
        &format!("/v1/sessions/{session_id}/tokens/missing"),
        None,
        404,
        "resource_not_found",
    );

    let refreshed = api.ok(
        "POST",
        &format!("/v1/sessions/{session_id}/refresh"),
        Some(json!({"expired_token": jwt, "refresh_token": "r", "request_origin": "http://localhost:3000"})),
    );
    let cookies = api.ok(
        "POST",
        &format!("/v1/sessions/{session_id}/refresh"),
        Some(json!({"expired_token": jwt, "refresh_token": "r", "request_origin": "http://localhost:3000", "format": "cookie"})),
    );
    assert!(
        cookies["cookies"][0]
            .as_str()
            .unwrap()
            .starts_with("__session=ey")
    );
    api.error(
        "POST",
        &format!("/v1/sessions/{session_id}/refresh"),
        Some(json!({"expired_token": "not-a-jwt", "refresh_token": "r", "request_origin": "o"})),
        400,
        "form_param_format_invalid",
    );
    assert_eq!(
        verify_with_jwks(refreshed["jwt"].as_str().unwrap(), &jwks).unwrap()["sid"],
        session_id.as_str()
    );
}

#[test]
fn key_rotation_changes_the_kid() {
    let api = Api::start();
    let (_, _, session_id) = signed_in(&api);
    let before = api.ok("GET", "/v1/jwks", None);
    let old_token = api.ok("POST", &format!("/v1/sessions/{session_id}/tokens"), None)["jwt"]
        .as_str()
        .unwrap()
        .to_string();
    let rotated = support::into_answer(
        api.agent
            .post(format!("{}/__emulator/rotate_key", api.emulator.api_url()))
            .send_empty()
            .unwrap(),
    );
    assert_eq!(rotated.status, 200);
    let new_kid = rotated.body["kid"].as_str().unwrap();
    assert_ne!(before["keys"][0]["kid"], new_kid);
    let after = api.ok("GET", "/v1/jwks", None);
    assert_eq!(after["keys"][0]["kid"], new_kid);
    let new_token = api.ok("POST", &format!("/v1/sessions/{session_id}/tokens"), None)["jwt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(verify_with_jwks(&new_token, &after).is_ok());
    assert!(
        verify_with_jwks(&new_token, &before)
            .unwrap_err()
            .contains("not in the JWKS")
    );
    assert!(verify_with_jwks(&old_token, &after).is_err());
    // The library method cycles the committed keys, so the first key comes back.
    assert_eq!(
        api.emulator.rotate_key(),
        before["keys"][0]["kid"].as_str().unwrap()
    );
}

#[test]
fn committed_key_gives_reproducible_kids() {
    let first = clerk_emulator::Emulator::start().unwrap();
    let second = clerk_emulator::Emulator::start().unwrap();
    assert_eq!(first.kid(), second.kid());
    let claims = json!({"sub": "user_1", "iat": 1});
    assert_eq!(first.sign_claims(&claims), second.sign_claims(&claims));
    assert!(
        first
            .public_key_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
}

#[test]
fn status_faults_with_retry_after_then_success() {
    let api = Api::start();
    let added = support::into_answer(
        api.agent
            .post(format!("{}/__emulator/faults", api.emulator.api_url()))
            .header("Content-Type", "application/json")
            .send(json!({"method": "GET", "path": "/v1/users", "times": 2, "status": 503, "retry_after": "1"}).to_string())
            .unwrap(),
    );
    assert_eq!(added.body["added"], 1);
    for _ in 0..2 {
        let answer = api.call("GET", "/v1/users", None);
        assert_clerk_error(&answer, 503, "service_unavailable");
        assert_eq!(answer.retry_after.as_deref(), Some("1"));
        assert!(answer.trace_id.is_some());
    }
    assert_eq!(api.call("GET", "/v1/users", None).status, 200);

    // Templates match every concrete path; other methods are untouched.
    api.emulator.inject_fault(Fault {
        method: Some("GET".into()),
        path: "/v1/users/{user_id}".into(),
        status: Some(429),
        ..Fault::default()
    });
    assert_eq!(api.call("POST", "/v1/users", None).status, 200);
    assert_clerk_error(
        &api.call("GET", "/v1/users/user_abc", None),
        429,
        "too_many_requests",
    );
    assert_clerk_error(
        &api.call("GET", "/v1/users/user_abc", None),
        404,
        "resource_not_found",
    );
}

#[test]
fn delay_fault_slows_a_normal_answer() {
    let api = Api::start();
    api.emulator.inject_fault(Fault {
        path: "/v1/users".into(),
        delay_ms: Some(1000),
        ..Fault::default()
    });
    let started = Instant::now();
    assert_eq!(api.call("GET", "/v1/users", None).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(1000));
    let started = Instant::now();
    api.call("GET", "/v1/users", None);
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "the fault applied once"
    );
}

#[test]
fn connection_faults() {
    let api = Api::start();
    api.emulator.inject_fault(Fault {
        path: "/v1/users".into(),
        action: Some(FaultAction::Reset),
        ..Fault::default()
    });
    let key = api.emulator.secret_key().to_string();
    let url = format!("{}/v1/users", api.emulator.api_url());
    let reset = support::agent()
        .get(&url)
        .header("Authorization", format!("Bearer {key}"))
        .call();
    assert!(reset.is_err(), "a reset connection is a transport error");

    api.emulator.inject_fault(Fault {
        path: "/v1/users".into(),
        action: Some(FaultAction::Truncate),
        ..Fault::default()
    });
    let truncated = support::agent()
        .post(&url)
        .header("Authorization", format!("Bearer {key}"))
        .send(json!({"first_name": "Trunc"}).to_string())
        .unwrap()
        .body_mut()
        .read_to_string();
    assert!(truncated.is_err(), "a truncated body is an error");
    let users = api.ok("GET", "/v1/users", None);
    assert_eq!(
        users[0]["first_name"], "Trunc",
        "a truncated request was still processed"
    );

    api.emulator.inject_fault(Fault {
        path: "/v1/users".into(),
        action: Some(FaultAction::InvalidJson),
        ..Fault::default()
    });
    let answer = api.call_with_key(Some(&key), "GET", "/v1/users", None);
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_str::<Value>(&answer.text).is_err());

    api.emulator.inject_fault(Fault {
        path: "/v1/users".into(),
        action: Some(FaultAction::Oversized),
        body_bytes: Some(100_000),
        ..Fault::default()
    });
    let answer = api.call_with_key(Some(&key), "GET", "/v1/users", None);
    assert_eq!(answer.text.len(), 100_000);
    assert!(answer.body.is_object(), "the oversized body is valid JSON");
    assert_eq!(
        api.call("GET", "/v1/users", None).status,
        200,
        "all faults used up"
    );
}

#[test]
fn keep_alive_requests_share_one_connection_and_are_counted() {
    let api = Api::start();
    for _ in 0..25 {
        api.ok("GET", "/v1/users", None);
    }
    api.call("GET", "/v1/users/user_1", None);
    let counters = api.emulator.counters();
    assert_eq!(counters.connections, 1, "{counters:?}");
    assert_eq!(counters.route("GET /v1/users"), 25);
    assert_eq!(counters.route("GET /v1/users/{user_id}"), 1);
    let over_http = support::into_answer(
        api.agent
            .get(format!("{}/__emulator/counters", api.emulator.api_url()))
            .call()
            .unwrap(),
    );
    assert_eq!(over_http.body["routes"]["GET /v1/users"], 25);
    assert_eq!(over_http.body["connections"], 1);
    assert_eq!(
        over_http.body["requests"], 26,
        "control requests are not counted"
    );

    // Each new agent opens its own connection.
    for _ in 0..3 {
        let answer = api.call_with_key_on(&support::agent(), "GET", "/v1/users/count");
        assert_eq!(answer.status, 200);
    }
    assert_eq!(api.emulator.counters().connections, 4);
    assert_eq!(api.emulator.counters().route("GET /v1/users/count"), 3);

    let reset = support::into_answer(
        api.agent
            .post(format!("{}/__emulator/reset", api.emulator.api_url()))
            .send_empty()
            .unwrap(),
    );
    assert_eq!(reset.status, 200);
    assert_eq!(api.emulator.counters().route("GET /v1/users"), 0);
}

#[test]
fn reset_forgets_resources() {
    let api = Api::start();
    api.ok("POST", "/v1/users", None);
    api.emulator.reset();
    assert_eq!(api.ok("GET", "/v1/users", None), json!([]));
}

fn raw_exchange(api: &Api, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(api.emulator.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn chunked_bodies_and_pipelined_keep_alive() {
    let api = Api::start();
    let key = api.emulator.secret_key();
    let body = r#"{"first_name":"Chunky"}"#;
    let (a, b) = body.split_at(10);
    let request = format!(
        "POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\nGET /v1/users/count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n",
        a.len(),
        b.len()
    );
    let text = raw_exchange(&api, request.as_bytes());
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert!(text.contains("\"first_name\":\"Chunky\""));
    assert!(text.contains("\"total_count\":1"));
    assert_eq!(api.emulator.counters().connections, 1);

    let malformed = raw_exchange(&api, b"NONSENSE\r\n\r\n");
    assert!(malformed.starts_with("HTTP/1.1 400"), "{malformed}");
}

#[test]
fn binary_prints_its_json_line_and_serves() {
    let seed_path =
        std::env::temp_dir().join(format!("clerk-emulator-seed-{}.json", std::process::id()));
    std::fs::write(
        &seed_path,
        json!([
            {"method": "POST", "path": "/v1/users", "body": {"id": "user_seeded", "email_address": ["seed@example.com"]}},
            {"method": "POST", "path": "/v1/organizations", "body": {"id": "org_seeded", "name": "Seeded", "created_by": "user_seeded"}}
        ])
        .to_string(),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-emulator"))
        .args(["--port", "0", "--secret-key", "sk_test_from_cli", "--seed"])
        .arg(&seed_path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let api_url = info["api_url"].as_str().unwrap().to_string();
    assert!(api_url.starts_with("http://127.0.0.1:"));
    assert_eq!(info["secret_key"], "sk_test_from_cli");
    assert!(
        info["publishable_key"]
            .as_str()
            .unwrap()
            .starts_with("pk_test_")
    );
    assert_eq!(info["jwks_url"], format!("{api_url}/.well-known/jwks.json"));

    let agent = support::agent();
    let answer = support::into_answer(
        agent
            .get(format!("{api_url}/v1/users/user_seeded"))
            .header("Authorization", "Bearer sk_test_from_cli")
            .call()
            .unwrap(),
    );
    let memberships = support::into_answer(
        agent
            .get(format!(
                "{api_url}/v1/users/user_seeded/organization_memberships"
            ))
            .header("Authorization", "Bearer sk_test_from_cli")
            .call()
            .unwrap(),
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_file(&seed_path);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.body["email_addresses"][0]["email_address"],
        "seed@example.com"
    );
    assert_eq!(
        memberships.body["data"][0]["organization"]["id"],
        "org_seeded"
    );
}

#[test]
fn stop_closes_the_port() {
    let emulator = clerk_emulator::Emulator::start().unwrap();
    let address = emulator.address();
    emulator.stop();
    let agent = support::agent();
    assert!(
        agent
            .get(format!("http://{address}/v1/users"))
            .call()
            .is_err()
    );
}

#[test]
fn control_rejects_bad_fault_json() {
    let api = Api::start();
    let answer = support::into_answer(
        api.agent
            .post(format!("{}/__emulator/faults", api.emulator.api_url()))
            .send("{\"path\": 5}")
            .unwrap(),
    );
    assert_clerk_error(&answer, 400, "emulator_control_invalid");
}

#[test]
fn concurrent_clients_share_consistent_state() {
    let api = Api::start();
    let created: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let api = &api;
                scope.spawn(move || {
                    let agent = support::agent();
                    (0..25)
                        .map(|n| {
                            let request = ureq::http::Request::builder()
                                .method("POST")
                                .uri(format!("{}/v1/users", api.emulator.api_url()))
                                .header("Authorization", format!("Bearer {}", api.emulator.secret_key()))
                                .header("Content-Type", "application/json")
                                .body(json!({"email_address": [format!("w{worker}n{n}@example.com")]}).to_string())
                                .unwrap();
                            let answer = support::into_answer(agent.run(request).unwrap());
                            assert_eq!(answer.status, 200, "{}", answer.text);
                            answer.body["id"].as_str().unwrap().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let unique: std::collections::HashSet<&String> = created.iter().collect();
    assert_eq!(unique.len(), 200);
    assert_eq!(api.ok("GET", "/v1/users/count", None)["total_count"], 200);
    let counters = api.emulator.counters();
    assert_eq!(counters.route("POST /v1/users"), 200);
    assert_eq!(
        counters.connections, 9,
        "one keep-alive connection per worker, plus the checker's"
    );
}

#[test]
fn reset_after_headers_slow_body_and_dated_retry_after() {
    let api = Api::start();
    let key = api.emulator.secret_key().to_string();
    let url = format!("{}/v1/users", api.emulator.api_url());

    // The head arrives (the request was processed), then the connection closes.
    api.emulator.inject_fault(Fault {
        method: Some("POST".into()),
        path: "/v1/users".into(),
        action: Some(FaultAction::ResetAfterHeaders),
        ..Fault::default()
    });
    let mut answer = support::agent()
        .post(&url)
        .header("Authorization", format!("Bearer {key}"))
        .send(json!({"first_name": "Headless"}).to_string())
        .expect("the head arrives");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(
        answer.body_mut().read_to_string().is_err(),
        "no body follows"
    );
    assert_eq!(
        api.ok("GET", "/v1/users", None)[0]["first_name"],
        "Headless"
    );

    // Half the body, a pause of delay_ms, the rest: whole, and late.
    api.emulator.inject_fault(Fault {
        method: Some("GET".into()),
        path: "/v1/users".into(),
        action: Some(FaultAction::SlowBody),
        delay_ms: Some(400),
        ..Fault::default()
    });
    let started = Instant::now();
    let slow = api.ok("GET", "/v1/users", None);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(slow[0]["first_name"], "Headless");

    // Retry-After as an IMF-fixdate 30 s ahead.
    api.emulator.inject_fault(Fault {
        path: "/v1/users".into(),
        status: Some(429),
        retry_after_date_in: Some(30),
        ..Fault::default()
    });
    let answer = support::agent()
        .get(&url)
        .header("Authorization", format!("Bearer {key}"))
        .call()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 429);
    let date = answer.headers()["retry-after"].to_str().unwrap().to_owned();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");

    // Out of range: refused, naming the field.
    let refused = Fault {
        path: "/v1/users".into(),
        status: Some(429),
        retry_after_date_in: Some(86_401),
        ..Fault::default()
    };
    let error = api.emulator.try_inject_fault(refused).unwrap_err();
    assert!(error.to_string().contains("retry_after_date_in"), "{error}");
}
