//! The emulator under abuse: hostile framing, out-of-range control values, idle and slow
//! connections, too many connections and too many buffered bytes. Every test talks raw
//! TCP to an emulator started in-process and checks that it answers as documented in
//! tests/emulator/README.md and keeps serving afterwards.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use clerk_emulator::Emulator;

/// The most any single wait in these tests may take before it counts as a failure.
const MARGIN: Duration = Duration::from_secs(10);

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connects");
    stream.set_read_timeout(Some(MARGIN)).unwrap();
    stream.set_write_timeout(Some(MARGIN)).unwrap();
    stream
}

/// Reads until the emulator closes the connection (or `MARGIN` passes, which fails).
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            // A reset after the answer still ends the connection.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the emulator did not close the connection: {e}; got so far: {}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Sends `request` on a new connection, half-closes, returns everything the emulator
/// sent until it closed.
fn exchange(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = connect(address);
    stream.write_all(request).unwrap();
    let _ = stream.shutdown(Shutdown::Write);
    read_until_closed(&mut stream)
}

/// Polls `condition` every 10 ms for at most `MARGIN`.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < MARGIN, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn status_of(response: &str) -> u16 {
    response
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 response: {response:?}"))
}

/// A normal authenticated request still gets 200 over a fresh connection.
fn assert_still_serving(emulator: &Emulator) {
    let request = format!(
        "GET /v1/users/count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        emulator.secret_key()
    );
    let response = exchange(emulator.address(), request.as_bytes());
    assert_eq!(status_of(&response), 200, "{response}");
}

fn chunked_post(emulator: &Emulator, chunks: &str) -> String {
    format!(
        "POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}",
        emulator.secret_key()
    )
}

#[test]
fn chunk_size_overflow_gets_400_and_releases_the_connection() {
    let emulator = Emulator::start().unwrap();
    // One byte, then a chunk size that makes `body length + size` overflow.
    let request = chunked_post(&emulator, "1\r\n{\r\nffffffffffffffff\r\n");
    let response = exchange(emulator.address(), request.as_bytes());
    assert_eq!(status_of(&response), 400, "{response}");
    assert!(response.contains("chunk size"), "{response}");
    eventually("the connection is no longer counted as open", || {
        emulator.counters().open_connections == 0
    });
    assert_eq!(emulator.counters().connections, 1);
    assert_still_serving(&emulator);
}

fn post_faults(emulator: &Emulator, body: &str) -> support::Answer {
    support::into_answer(
        support::agent()
            .post(format!("{}/__emulator/faults", emulator.api_url()))
            .header("Content-Type", "application/json")
            .send(body)
            .unwrap(),
    )
}

/// Every out-of-range value, as `(fault JSON, field named in the error, range text)`.
const OUT_OF_RANGE: &[(&str, &str, &str)] = &[
    (
        r#"{"path":"/v1/users","action":"oversized","body_bytes":100000000000}"#,
        "body_bytes",
        "from 16 to 1073741824",
    ),
    (
        r#"{"path":"/v1/users","action":"oversized","body_bytes":15}"#,
        "body_bytes",
        "from 16 to 1073741824",
    ),
    (
        r#"{"path":"/v1/users","action":"oversized","body_bytes":-1}"#,
        "body_bytes",
        "from 16 to 1073741824",
    ),
    (
        r#"{"path":"/v1/users","action":"oversized","body_bytes":1e30}"#,
        "body_bytes",
        "from 16 to 1073741824",
    ),
    (
        r#"{"path":"/v1/users","delay_ms":120001}"#,
        "delay_ms",
        "from 0 to 120000",
    ),
    (
        r#"{"path":"/v1/users","delay_ms":18446744073709551615}"#,
        "delay_ms",
        "from 0 to 120000",
    ),
    (
        r#"{"path":"/v1/users","delay_ms":1.5}"#,
        "delay_ms",
        "from 0 to 120000",
    ),
    (
        r#"{"path":"/v1/users","times":0}"#,
        "times",
        "from 1 to 1000000",
    ),
    (
        r#"{"path":"/v1/users","times":1000001}"#,
        "times",
        "from 1 to 1000000",
    ),
    (
        r#"{"path":"/v1/users","times":"2"}"#,
        "times",
        "from 1 to 1000000",
    ),
    (
        r#"{"path":"/v1/users","status":0}"#,
        "status",
        "from 400 to 599",
    ),
    (
        r#"{"path":"/v1/users","status":204}"#,
        "status",
        "from 400 to 599",
    ),
    (
        r#"{"path":"/v1/users","status":600}"#,
        "status",
        "from 400 to 599",
    ),
    (
        r#"{"path":"/v1/users","status":70000}"#,
        "status",
        "from 400 to 599",
    ),
    (
        r#"{"path":"/v1/users","status":503,"retry_after":"86401"}"#,
        "retry_after",
        "from 0 to 86400",
    ),
    (
        r#"{"path":"/v1/users","status":503,"retry_after":"99999999999999999999999"}"#,
        "retry_after",
        "from 0 to 86400",
    ),
    (
        r#"{"path":"/v1/users","status":503,"retry_after":"1\r\nX-Injected: yes"}"#,
        "retry_after",
        "printable ASCII",
    ),
    (
        r#"{"path":"/v1/users","status":503,"retry_after":""}"#,
        "retry_after",
        "printable ASCII",
    ),
    (
        r#"{"path":"/v1/users","status":503,"retry_after":5}"#,
        "retry_after",
        "printable ASCII",
    ),
    (r#"{"path":"users"}"#, "path", "starting with /"),
    (
        r#"{"method":"GET / HTTP/1.1","path":"/v1/users"}"#,
        "method",
        "1 to 16 ASCII letters",
    ),
];

#[test]
fn out_of_range_fault_values_get_400_naming_the_allowed_range() {
    let emulator = Emulator::start().unwrap();
    for (fault, field, range) in OUT_OF_RANGE {
        let answer = post_faults(&emulator, fault);
        support::assert_clerk_error(&answer, 400, "emulator_control_invalid");
        let message = answer.body["errors"][0]["long_message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            message.contains(field) && message.contains(range),
            "{fault}: the error names {field} and its range ({range}): {message}"
        );
        // The library call refuses the same value (when it fits the Rust type at all).
        if let Ok(parsed) = serde_json::from_str::<clerk_emulator::Fault>(fault) {
            let refused = emulator.try_inject_fault(parsed);
            assert!(refused.is_err(), "{fault}: try_inject_fault refuses it");
            assert!(refused.unwrap_err().to_string().contains(field));
        }
    }
    let path = format!("/{}", "x".repeat(2048));
    let answer = post_faults(&emulator, &format!(r#"{{"path":"{path}"}}"#));
    support::assert_clerk_error(&answer, 400, "emulator_control_invalid");
    assert!(
        answer.text.contains("at most 2048 bytes"),
        "{}",
        answer.text
    );

    // Nothing was added, and the emulator serves the next request normally.
    let pending = support::into_answer(
        support::agent()
            .get(format!("{}/__emulator/faults", emulator.api_url()))
            .call()
            .unwrap(),
    );
    assert_eq!(pending.body, serde_json::json!([]), "no fault was added");
    assert_still_serving(&emulator);
    assert_still_serving(&emulator);
}

#[test]
fn an_array_with_one_bad_fault_adds_none_and_pending_faults_are_capped() {
    let emulator = Emulator::start().unwrap();
    let answer = post_faults(
        &emulator,
        r#"[{"path":"/v1/users","status":503},{"path":"/v1/users","action":"oversized","body_bytes":100000000000}]"#,
    );
    support::assert_clerk_error(&answer, 400, "emulator_control_invalid");
    assert!(answer.text.contains("fault 1"), "{}", answer.text);
    assert_still_serving(&emulator);

    let thousand: Vec<String> = (0..1000)
        .map(|_| r#"{"path":"/v1/nothing"}"#.to_string())
        .collect();
    let answer = post_faults(&emulator, &format!("[{}]", thousand.join(",")));
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["added"], 1000);
    let answer = post_faults(&emulator, r#"{"path":"/v1/nothing"}"#);
    support::assert_clerk_error(&answer, 400, "emulator_control_invalid");
    assert!(
        answer.text.contains("at most 1000 pending faults"),
        "{}",
        answer.text
    );
    let refused = emulator.try_inject_fault(clerk_emulator::Fault {
        path: "/v1/nothing".into(),
        ..Default::default()
    });
    assert!(refused.is_err(), "the library call is capped too");
    assert_still_serving(&emulator);
}

#[test]
fn in_range_boundary_fault_values_are_accepted_and_work() {
    let emulator = Emulator::start().unwrap();
    let answer = post_faults(
        &emulator,
        r#"[{"path":"/v1/users","action":"oversized","body_bytes":16},
            {"path":"/v1/users","status":599,"retry_after":"86400"},
            {"path":"/v1/users","status":400,"retry_after":"Wed, 21 Oct 2015 07:28:00 GMT","times":1}]"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    let api = support::Api {
        emulator,
        agent: support::agent(),
    };
    let key = api.emulator.secret_key().to_string();
    let oversized = api.call_with_key(Some(&key), "GET", "/v1/users", None);
    assert_eq!(oversized.text.len(), 16, "{}", oversized.text);
    assert!(oversized.body.is_object(), "{}", oversized.text);
    let slow_down = api.call("GET", "/v1/users", None);
    assert_eq!(slow_down.status, 599);
    assert_eq!(slow_down.retry_after.as_deref(), Some("86400"));
    let dated = api.call("GET", "/v1/users", None);
    assert_eq!(dated.status, 400);
    assert_eq!(
        dated.retry_after.as_deref(),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(api.call("GET", "/v1/users", None).status, 200);
}

#[test]
#[should_panic(expected = "body_bytes must be an integer from 16 to 1073741824")]
fn inject_fault_panics_on_an_out_of_range_value() {
    let emulator = Emulator::start().unwrap();
    emulator.inject_fault(clerk_emulator::Fault {
        path: "/v1/users".into(),
        action: Some(clerk_emulator::FaultAction::Oversized),
        body_bytes: Some(100_000_000_000),
        ..Default::default()
    });
}
