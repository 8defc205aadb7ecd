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

/// A POST /v1/users head with these framing header lines (and no final blank line).
fn post_head(emulator: &Emulator, version: &str, framing: &str) -> String {
    format!(
        "POST /v1/users {version}\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n{framing}",
        emulator.secret_key()
    )
}

/// The same request pipelined after every case: it must never be answered after a
/// refusal.
fn pipelined_get(emulator: &Emulator) -> String {
    format!(
        "GET /v1/users/count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        emulator.secret_key()
    )
}

#[test]
fn ambiguous_or_invalid_framing_is_refused_and_closes_the_connection() {
    let emulator = Emulator::start().unwrap();
    let long_extension = format!("2;{}\r\n{{}}\r\n0\r\n\r\n", "a".repeat(5000));
    let many_extensions = format!(
        "{}0\r\n\r\n",
        format!("1;{}\r\n \r\n", "e".repeat(50)).repeat(100)
    );
    // (what, framing header lines, what follows the blank line, expected status)
    let cases: Vec<(&str, &str, String, u16)> = vec![
        (
            "Content-Length and Transfer-Encoding",
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "Transfer-Encoding and Content-Length",
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "Content-Length +2",
            "Content-Length: +2\r\n",
            "{}".into(),
            400,
        ),
        (
            "Content-Length -1",
            "Content-Length: -1\r\n",
            "{}".into(),
            400,
        ),
        (
            "Content-Length in hex",
            "Content-Length: 0x2\r\n",
            "{}".into(),
            400,
        ),
        (
            "Content-Length with inner space",
            "Content-Length: 2 2\r\n",
            "{}".into(),
            400,
        ),
        (
            "Content-Length with inner tab",
            "Content-Length: 2\t2\r\n",
            "{}".into(),
            400,
        ),
        (
            "empty Content-Length",
            "Content-Length: \r\n",
            "{}".into(),
            400,
        ),
        (
            "non-ASCII digits",
            "Content-Length: \u{ff12}\r\n",
            "{}".into(),
            400,
        ),
        (
            "differing Content-Length list",
            "Content-Length: 2, 3\r\n",
            "{}".into(),
            400,
        ),
        (
            "differing Content-Length lines",
            "Content-Length: 2\r\nContent-Length: 3\r\n",
            "{}".into(),
            400,
        ),
        (
            "space before the colon",
            "Content-Length : 2\r\n",
            "{}".into(),
            400,
        ),
        (
            "obsolete line folding",
            "Content-Length: 2\r\n 2\r\n",
            "{}".into(),
            400,
        ),
        (
            "bare CR in a header",
            "X-Note: a\rb\r\nContent-Length: 2\r\n",
            "{}".into(),
            400,
        ),
        (
            "Content-Length beyond any limit",
            "Content-Length: 99999999999999999999999\r\n",
            "{}".into(),
            413,
        ),
        (
            "gzip before chunked",
            "Transfer-Encoding: gzip, chunked\r\n",
            "2\r\n{}\r\n0\r\n\r\n".into(),
            501,
        ),
        (
            "chunked not last",
            "Transfer-Encoding: chunked, gzip\r\n",
            "2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunked twice",
            "Transfer-Encoding: chunked, chunked\r\n",
            "2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunked on two lines",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "identity",
            "Transfer-Encoding: identity\r\n",
            "{}".into(),
            400,
        ),
        (
            "empty Transfer-Encoding",
            "Transfer-Encoding: \r\n",
            "{}".into(),
            400,
        ),
        (
            "chunk size 0x2",
            "Transfer-Encoding: chunked\r\n",
            "0x2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk size -2",
            "Transfer-Encoding: chunked\r\n",
            "-2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk size +2",
            "Transfer-Encoding: chunked\r\n",
            "+2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk size with leading space",
            "Transfer-Encoding: chunked\r\n",
            " 2\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk size with trailing space",
            "Transfer-Encoding: chunked\r\n",
            "2 \r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "empty chunk size",
            "Transfer-Encoding: chunked\r\n",
            "\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk size not hex",
            "Transfer-Encoding: chunked\r\n",
            "g\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk size of 17 hex digits",
            "Transfer-Encoding: chunked\r\n",
            "10000000000000000\r\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk size beyond the body limit",
            "Transfer-Encoding: chunked\r\n",
            "ffffffffffffffff\r\n{}\r\n0\r\n\r\n".into(),
            413,
        ),
        (
            "one 5000-byte chunk extension",
            "Transfer-Encoding: chunked\r\n",
            long_extension,
            400,
        ),
        (
            "5000 bytes of chunk extensions",
            "Transfer-Encoding: chunked\r\n",
            many_extensions,
            400,
        ),
        (
            "bare LF after a chunk size",
            "Transfer-Encoding: chunked\r\n",
            "2\n{}\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunk data without CRLF",
            "Transfer-Encoding: chunked\r\n",
            "2\r\n{}XX0\r\n\r\n".into(),
            400,
        ),
        (
            "a trailer that is no field",
            "Transfer-Encoding: chunked\r\n",
            "2\r\n{}\r\n0\r\nnot a field\r\n\r\n".into(),
            400,
        ),
    ];
    for (what, framing, body, expected) in &cases {
        let request = format!(
            "{}\r\n{body}{}",
            post_head(&emulator, "HTTP/1.1", framing),
            pipelined_get(&emulator)
        );
        let response = exchange(emulator.address(), request.as_bytes());
        assert_eq!(status_of(&response), *expected, "{what}: {response}");
        assert_eq!(
            response.matches("HTTP/1.1 ").count(),
            1,
            "{what}: exactly one answer, the pipelined request is not served: {response}"
        );
        assert!(response.contains("Connection: close"), "{what}: {response}");
    }
    let http10 = format!(
        "{}\r\n2\r\n{{}}\r\n0\r\n\r\n",
        post_head(&emulator, "HTTP/1.0", "Transfer-Encoding: chunked\r\n")
    );
    let response = exchange(emulator.address(), http10.as_bytes());
    assert_eq!(status_of(&response), 400, "chunked in HTTP/1.0: {response}");
    let http2 = format!(
        "{}Content-Length: 0\r\n\r\n",
        post_head(&emulator, "HTTP/2.0", "")
    );
    let response = exchange(emulator.address(), http2.as_bytes());
    assert_eq!(status_of(&response), 505, "{response}");

    // None of them reached a handler.
    let counters = emulator.counters();
    assert_eq!(counters.route("POST /v1/users"), 0, "{counters:?}");
    assert_eq!(counters.route("GET /v1/users/count"), 0, "{counters:?}");
    eventually("every refused connection is closed", || {
        emulator.counters().open_connections == 0
    });
    assert_still_serving(&emulator);
}

#[test]
fn unambiguous_framing_variants_are_still_accepted() {
    let emulator = Emulator::start().unwrap();
    let cases: Vec<(&str, &str, &str)> = vec![
        (
            "identical Content-Length lines",
            "Content-Length: 2\r\nContent-Length: 2\r\n",
            "{}",
        ),
        (
            "identical Content-Length list",
            "Content-Length: 2, 2\r\n",
            "{}",
        ),
        (
            "whitespace around the value",
            "Content-Length: \t 2 \t\r\n",
            "{}",
        ),
        (
            "a chunk extension",
            "Transfer-Encoding: chunked\r\n",
            "2;name=\"value\"\r\n{}\r\n0\r\n\r\n",
        ),
        (
            "whitespace before a chunk extension",
            "Transfer-Encoding: chunked\r\n",
            "2 ;x\r\n{}\r\n0\r\n\r\n",
        ),
        (
            "leading zeros and upper-case hex",
            "Transfer-Encoding: Chunked\r\n",
            "00000000000000000002\r\n{}\r\n0\r\n\r\n",
        ),
        (
            "a trailer field",
            "Transfer-Encoding: chunked\r\n",
            "1\r\n{\r\n1\r\n}\r\n0\r\nX-Trailer: yes\r\n\r\n",
        ),
    ];
    for (what, framing, body) in &cases {
        let request = format!(
            "{}\r\n{body}{}",
            post_head(&emulator, "HTTP/1.1", framing),
            pipelined_get(&emulator)
        );
        let response = exchange(emulator.address(), request.as_bytes());
        assert_eq!(
            response.matches("HTTP/1.1 200 OK").count(),
            2,
            "{what}: both requests are answered: {response}"
        );
    }
    assert_eq!(
        emulator.counters().route("POST /v1/users"),
        cases.len() as u64
    );
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let emulator = Emulator::builder()
        .idle_timeout(Duration::from_millis(200))
        .start()
        .unwrap();
    let started = Instant::now();
    let mut idle: Vec<TcpStream> = (0..5).map(|_| connect(emulator.address())).collect();
    // One connection serves a request first, then idles in keep-alive.
    let request = format!(
        "GET /v1/users/count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        emulator.secret_key()
    );
    idle[0].write_all(request.as_bytes()).unwrap();
    for stream in &mut idle {
        // read_until_closed fails the test if a connection stays open for MARGIN.
        let _ = read_until_closed(stream);
    }
    assert!(started.elapsed() < Duration::from_millis(200) + MARGIN);
    eventually("idle connections are released", || {
        emulator.counters().open_connections == 0
    });
    assert_eq!(emulator.counters().route("GET /v1/users/count"), 1);
    assert_still_serving(&emulator);
}

#[test]
fn a_request_trickling_in_is_cut_off_at_the_request_deadline() {
    let emulator = Emulator::builder()
        .request_timeout(Duration::from_millis(400))
        .start()
        .unwrap();
    let mut stream = connect(emulator.address());
    stream.write_all(b"GET /v1/users HTTP/1.1\r\n").unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    // One header byte every ~50 ms: every single read is fast, the request never ends.
    let mut answer = Vec::new();
    let mut sent = 0;
    for _ in 0..200 {
        if stream
            .write_all(b"X-Slow-Loris-Header: x\r\n"[sent % 24..][..1].as_ref())
            .is_err()
        {
            break;
        }
        sent += 1;
        let mut buffer = [0u8; 4096];
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buffer[..n]);
                break;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    assert!(
        sent < 200,
        "the emulator cut the request off before the trickle ended"
    );
    stream.set_read_timeout(Some(MARGIN)).unwrap();
    let rest = read_until_closed(&mut stream);
    let answer = format!("{}{rest}", String::from_utf8_lossy(&answer));
    assert_eq!(status_of(&answer), 408, "{answer}");

    // A declared body that never fully arrives is cut off the same way.
    let mut stream = connect(emulator.address());
    let head = post_head(&emulator, "HTTP/1.1", "Content-Length: 10\r\n");
    stream
        .write_all(format!("{head}\r\n{{}}").as_bytes())
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream);
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(started.elapsed() < Duration::from_millis(400) + MARGIN);
    eventually("the slow connections are released", || {
        emulator.counters().open_connections == 0
    });
    assert_still_serving(&emulator);
}

#[test]
fn connections_beyond_the_cap_get_503_and_the_emulator_keeps_serving() {
    let emulator = Emulator::builder().max_connections(3).start().unwrap();
    let mut held: Vec<TcpStream> = (0..3).map(|_| connect(emulator.address())).collect();
    eventually("three connections are open", || {
        emulator.counters().open_connections == 3
    });
    let request = pipelined_get(&emulator);
    let refused = exchange(emulator.address(), request.as_bytes());
    assert_eq!(status_of(&refused), 503, "{refused}");
    assert!(refused.contains("Retry-After: 1"), "{refused}");
    assert!(refused.contains("emulator_busy"), "{refused}");
    let counters = emulator.counters();
    assert_eq!(counters.refused_connections, 1, "{counters:?}");
    assert_eq!(counters.open_connections, 3, "{counters:?}");
    assert_eq!(counters.connections, 4, "{counters:?}");
    assert_eq!(counters.route("GET /v1/users/count"), 0, "{counters:?}");

    // Refused clients that keep their side open (and send nothing) get the 503 too.
    let mut waiting: Vec<TcpStream> = (0..5).map(|_| connect(emulator.address())).collect();
    for stream in &mut waiting {
        let answer = read_until_closed(stream);
        assert_eq!(status_of(&answer), 503, "{answer}");
    }
    drop(waiting);
    assert_eq!(emulator.counters().refused_connections, 6);

    // A held connection still works, and closing one makes room for a new one.
    held[0].write_all(request.as_bytes()).unwrap();
    assert_eq!(status_of(&read_until_closed(&mut held[0])), 200);
    eventually("the closed connection is released", || {
        emulator.counters().open_connections == 2
    });
    assert_still_serving(&emulator);
    drop(held);
    eventually("all connections are released", || {
        emulator.counters().open_connections == 0
    });
}

#[test]
fn request_bodies_are_capped_per_request_and_in_total() {
    let emulator = Emulator::builder()
        .max_body_bytes(64 * 1024)
        .max_buffered_bytes(128 * 1024)
        .start()
        .unwrap();
    let too_long = post_head(&emulator, "HTTP/1.1", "Content-Length: 65537\r\n");
    let response = exchange(emulator.address(), format!("{too_long}\r\n").as_bytes());
    assert_eq!(status_of(&response), 413, "{response}");
    let chunked = post_head(&emulator, "HTTP/1.1", "Transfer-Encoding: chunked\r\n");
    let response = exchange(
        emulator.address(),
        format!("{chunked}\r\n10001\r\n").as_bytes(),
    );
    assert_eq!(status_of(&response), 413, "{response}");

    // Two requests declare the whole per-request limit and withhold most of it.
    let declared = post_head(&emulator, "HTTP/1.1", "Content-Length: 65536\r\n");
    let mut withholding: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = connect(emulator.address());
            stream
                .write_all(format!("{declared}\r\n{{\"padding\":\"").as_bytes())
                .unwrap();
            stream
        })
        .collect();
    eventually("both bodies are reserved", || {
        emulator.counters().buffered_bytes == 128 * 1024
    });
    let small = format!(
        "{}\r\n{{}}",
        post_head(
            &emulator,
            "HTTP/1.1",
            "Content-Length: 2\r\nConnection: close\r\n"
        )
    );
    let busy = exchange(emulator.address(), small.as_bytes());
    assert_eq!(status_of(&busy), 503, "the total is used up: {busy}");
    assert!(busy.contains("Retry-After: 1"), "{busy}");
    assert_still_serving(&emulator); // a request without a body needs no budget

    withholding.clear();
    eventually("the withheld bodies are released", || {
        emulator.counters().buffered_bytes == 0
    });
    let created = exchange(emulator.address(), small.as_bytes());
    assert_eq!(status_of(&created), 200, "{created}");
    assert_eq!(emulator.counters().route("POST /v1/users"), 1);
}

#[test]
fn limits_out_of_range_are_refused_at_start() {
    let cases = [
        ("max_connections", Emulator::builder().max_connections(0)),
        (
            "idle_timeout",
            Emulator::builder().idle_timeout(Duration::ZERO),
        ),
        (
            "request_timeout",
            Emulator::builder().request_timeout(Duration::from_secs(7200)),
        ),
        ("max_body_bytes", Emulator::builder().max_body_bytes(0)),
        (
            "max_buffered_bytes",
            Emulator::builder()
                .max_body_bytes(1024)
                .max_buffered_bytes(1023),
        ),
    ];
    for (what, builder) in cases {
        let error = builder.start().expect_err(what);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{what}");
        assert!(error.to_string().contains(what), "{what}: {error}");
    }
}

#[test]
fn the_binary_takes_the_limits_as_flags() {
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-emulator"))
        .args(["--max-connections", "0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("max_connections"));

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clerk-emulator"))
        .args([
            "--idle-timeout-ms",
            "200",
            "--request-timeout-ms",
            "5000",
            "--max-connections",
            "8",
            "--max-body-bytes",
            "1048576",
            "--max-buffered-bytes",
            "8388608",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    let address: SocketAddr = info["api_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut idle = connect(address);
    let closed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_until_closed(&mut idle)
    }));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        closed.ok().as_deref(),
        Some(""),
        "the idle connection is closed"
    );
}
