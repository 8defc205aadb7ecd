//! Scripted mode: queued replies answer in order, every request is logged with its
//! connection, unexpected requests answer 599 and are recorded; the same over the
//! `/__emulator/script` and `/__emulator/requests` control endpoints.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use clerk_emulator::{Emulator, Reply, UNSCRIPTED_STATUS};
use serde_json::{Value, json};

/// One keep-alive connection speaking raw HTTP/1.1.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// A response read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

impl Conn {
    fn open(emulator: &Emulator) -> Conn {
        let stream = TcpStream::connect(emulator.address()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    /// Sends a request (with a body when given) and reads the answer; `None` when the
    /// connection closed before any answer.
    fn send(&mut self, method: &str, target: &str, body: Option<&str>) -> Option<Answer> {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n");
        if let Some(body) = body {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body.unwrap_or_default());
        self.writer.write_all(request.as_bytes()).ok()?;
        self.read_answer()
    }

    fn read_answer(&mut self) -> Option<Answer> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let status = line.split(' ').nth(1)?.parse().ok()?;
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            self.reader.read_line(&mut header).ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':')?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = Vec::new();
        (&mut self.reader)
            .take(length as u64)
            .read_to_end(&mut body)
            .ok()?;
        Some(Answer {
            status,
            headers,
            body,
        })
    }
}

#[test]
fn replies_answer_in_order_and_every_request_is_logged() {
    let emulator = Emulator::start_scripted().unwrap();
    emulator.script(Reply::json(201, r#"{"id":"user_1"}"#).header("X-Clerk-Trace-Id", "t1"));
    emulator.script(Reply::text(503, "busy").header("Retry-After", "2"));
    emulator.script(Reply::status(204));
    assert_eq!(emulator.pending_replies(), 3);

    let mut conn = Conn::open(&emulator);
    let first = conn
        .send(
            "POST",
            "/v1/users?tag=a%20b&tag=c",
            Some(r#"{"first_name":"Ada"}"#),
        )
        .unwrap();
    assert_eq!(first.status, 201);
    assert_eq!(first.body, br#"{"id":"user_1"}"#);
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.header("x-clerk-trace-id"), Some("t1"));
    let second = conn.send("GET", "/v1/users/user_%2F1", None).unwrap();
    assert_eq!((second.status, second.body.as_slice()), (503, &b"busy"[..]));
    assert_eq!(second.header("retry-after"), Some("2"));
    // A second connection: its requests carry another connection id.
    let mut other = Conn::open(&emulator);
    let third = other.send("DELETE", "/v1/users/user_1", None).unwrap();
    assert_eq!((third.status, third.body.len()), (204, 0));

    let log = emulator.requests();
    assert_eq!(log.len(), 3);
    let request = &log[0];
    assert_eq!(request.seq, 0);
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/users?tag=a%20b&tag=c");
    assert_eq!(request.path, "/v1/users");
    assert_eq!(
        request.query,
        [
            ("tag".to_owned(), "a b".to_owned()),
            ("tag".into(), "c".into())
        ]
    );
    assert_eq!(request.query_value("tag"), Some("a b"));
    assert_eq!(request.header("X-TEST"), Some("yes"));
    assert_eq!(request.body_json(), json!({"first_name": "Ada"}));
    assert_eq!(
        request.request_line(),
        "POST /v1/users?tag=a%20b&tag=c HTTP/1.1"
    );
    assert_eq!(log[1].path, "/v1/users/user_/1", "the decoded path");
    assert_eq!(log[1].target, "/v1/users/user_%2F1", "the raw target");
    assert_eq!(
        log[0].connection, log[1].connection,
        "one kept-alive connection"
    );
    assert_ne!(log[1].connection, log[2].connection);
    assert_eq!(log[2].seq, 2);
    // Scripted answers count as API requests, keyed by method and path.
    let counters = emulator.counters();
    assert_eq!(counters.requests, 3);
    assert_eq!(counters.route("DELETE /v1/users/user_1"), 1);
    assert_eq!(counters.connections, 2);
    emulator.assert_script_done();
}

#[test]
fn an_unscripted_request_answers_599_and_is_recorded() {
    let emulator = Emulator::start_scripted().unwrap();
    let mut conn = Conn::open(&emulator);
    let answer = conn.send("GET", "/v1/users", None).unwrap();
    assert_eq!(answer.status, UNSCRIPTED_STATUS);
    assert_eq!(answer.json()["errors"][0]["code"], "emulator_unscripted");
    let unexpected = emulator.unexpected();
    assert_eq!(unexpected.len(), 1);
    assert!(
        unexpected[0].contains("GET /v1/users") && unexpected[0].contains("no scripted reply left"),
        "{unexpected:?}"
    );
    assert_eq!(emulator.requests().len(), 1, "it is logged too");
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        emulator.assert_script_done()
    }))
    .unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("no scripted reply left"), "{message}");

    // A fallback answers instead, and nothing is unexpected any more.
    emulator.clear_script();
    emulator.script_fallback(Some(Reply::json(200, "{}")));
    for _ in 0..3 {
        assert_eq!(conn.send("GET", "/anything", None).unwrap().status, 200);
    }
    assert!(emulator.unexpected().is_empty());
    assert_eq!(emulator.requests().len(), 3);
    emulator.assert_script_done();
}

#[test]
fn a_reply_can_name_the_request_it_expects() {
    let emulator = Emulator::start_scripted().unwrap();
    emulator.script(Reply::json(200, "[]").expect("get", "/v1/users"));
    emulator.script(Reply::json(200, "{}").expect("POST", "/v1/users"));
    emulator.script(Reply::json(200, "{}").expect_path("/v1/jwks"));
    let mut conn = Conn::open(&emulator);
    assert_eq!(
        conn.send("GET", "/v1/users?limit=1", None).unwrap().status,
        200,
        "the query is not part of the match"
    );
    let wrong = conn.send("GET", "/v1/users", None).unwrap();
    assert_eq!(wrong.status, UNSCRIPTED_STATUS);
    assert_eq!(conn.send("PUT", "/v1/jwks", Some("")).unwrap().status, 200);
    let unexpected = emulator.unexpected();
    assert_eq!(unexpected.len(), 1);
    assert!(
        unexpected[0].contains("request 1 (GET /v1/users")
            && unexpected[0].contains("expected POST /v1/users"),
        "{unexpected:?}"
    );
}

#[test]
fn resets_truncations_and_delays() {
    let emulator = Emulator::start_scripted().unwrap();
    emulator.script(Reply::reset());
    emulator.script(Reply::json(200, r#"{"a":"0123456789"}"#).truncated());
    emulator.script(Reply::json(200, "{}").delay(Duration::from_millis(300)));

    let mut conn = Conn::open(&emulator);
    assert!(conn.send("GET", "/v1/users", None).is_none(), "reset");

    let mut conn = Conn::open(&emulator);
    conn.writer
        .write_all(b"GET /v1/users HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    conn.reader.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.contains("Content-Length: 18\r\n"), "{raw}");
    assert!(
        raw.ends_with("\r\n\r\n{\"a\":\"012"),
        "half the body, then closed: {raw}"
    );

    // The delay holds the answer: a client giving up after 50 ms sees no byte of it.
    let mut conn = Conn::open(&emulator);
    conn.writer
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    conn.writer
        .write_all(b"GET /v1/users HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut byte = [0u8; 1];
    let early = conn.reader.get_mut().read(&mut byte);
    assert!(early.is_err(), "{early:?}");
    conn.writer
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(conn.read_answer().unwrap().status, 200);
    assert_eq!(emulator.requests().len(), 3);
    emulator.assert_script_done();
}

#[test]
fn invalid_replies_are_refused() {
    for (reply, message) in [
        (Reply::status(101), "status must be from 200 to 599"),
        (Reply::json(204, "{}"), "a 204 reply cannot have a body"),
        (
            Reply::status(200).delay(Duration::from_secs(121)),
            "delay_ms",
        ),
        (Reply::status(200).header("Bad Name", "x"), "invalid header"),
        (Reply::status(200).header("X", "a\r\nb"), "invalid header"),
    ] {
        assert!(
            reply.check().unwrap_err().contains(message),
            "{reply:?}: {message}"
        );
    }
    let emulator = Emulator::start_scripted().unwrap();
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        emulator.script(Reply::status(600))
    }))
    .unwrap_err();
    assert!(
        refused
            .downcast_ref::<String>()
            .unwrap()
            .contains("refused the reply"),
    );
    assert_eq!(emulator.pending_replies(), 0);
}

#[test]
fn the_control_endpoints_script_and_read_the_log() {
    // A stateful emulator switched to scripted mode over HTTP, as another language would.
    let emulator = Emulator::start().unwrap();
    let mut control = Conn::open(&emulator);
    let script = json!({
        "scripted": true,
        "replies": [
            {"status": 429, "headers": {"Retry-After": "1"}, "body": {"errors": []}},
            {"status": 200, "body_text": "plain", "headers": [["Content-Type", "text/plain"]],
             "method": "POST", "path": "/v1/users"},
            {"action": "reset"}
        ],
        "fallback": {"status": 202}
    });
    let added = control
        .send("POST", "/__emulator/script", Some(&script.to_string()))
        .unwrap();
    assert_eq!(
        added.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&added.body)
    );
    assert_eq!(
        added.json(),
        json!({"added": 3, "pending": 3, "scripted": true})
    );
    let shown = control
        .send("GET", "/__emulator/script", None)
        .unwrap()
        .json();
    assert_eq!(shown["pending"].as_array().unwrap().len(), 3);
    assert_eq!(shown["pending"][1]["method"], "POST");
    assert_eq!(shown["fallback"]["status"], 202);

    let mut api = Conn::open(&emulator);
    let limited = api.send("GET", "/v1/users", None).unwrap();
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.json(), json!({"errors": []}));
    assert_eq!(limited.header("content-type"), Some("application/json"));
    let plain = api.send("POST", "/v1/users", Some("{}")).unwrap();
    assert_eq!((plain.status, plain.body.as_slice()), (200, &b"plain"[..]));
    assert!(api.send("GET", "/v1/users", None).is_none(), "reset");
    let mut api = Conn::open(&emulator);
    assert_eq!(api.send("GET", "/v1/users", None).unwrap().status, 202);

    let log = control
        .send("GET", "/__emulator/requests", None)
        .unwrap()
        .json();
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 4, "control requests are not logged");
    assert_eq!(requests[1]["method"], "POST");
    assert_eq!(requests[1]["body"], "{}");
    assert_eq!(requests[1]["body_base64"], "e30=");
    assert_eq!(requests[0]["headers"][1], json!(["x-test", "yes"]));
    assert_eq!(requests[0]["connection"], requests[1]["connection"]);
    assert_eq!(log["unexpected"], json!([]));
    assert_eq!(log["dropped"], 0);

    // Bad scripts are refused whole, naming the problem.
    for (bad, message) in [
        (json!([{"status": 200}, {"status": 99}]), "reply 1: status"),
        (json!({"statuss": 200}), "unknown reply field"),
        (json!({"replies": [], "mode": 1}), "unknown script field"),
        (json!({"body": {}, "body_text": ""}), "not both"),
        (json!({"method": "GET"}), "method needs a path"),
        (json!({"action": "explode"}), "action must be"),
    ] {
        let answer = control
            .send("POST", "/__emulator/script", Some(&bad.to_string()))
            .unwrap();
        assert_eq!(answer.status, 400, "{bad}");
        let text = answer.json()["errors"][0]["long_message"].to_string();
        assert!(text.contains(message), "{bad}: {text}");
    }
    assert_eq!(emulator.pending_replies(), 0);

    // Scripted mode off again: the stateful API answers (and checks the key).
    control
        .send(
            "POST",
            "/__emulator/script",
            Some(r#"{"scripted": false, "fallback": null}"#),
        )
        .unwrap();
    assert_eq!(api.send("GET", "/v1/users", None).unwrap().status, 401);
    let cleared = control.send("DELETE", "/__emulator/script", None).unwrap();
    assert_eq!(cleared.status, 200);
    assert!(emulator.requests().is_empty());
}

#[test]
fn a_stateful_emulator_takes_queued_replies_before_routing() {
    let emulator = Emulator::start().unwrap();
    let key = emulator.secret_key().to_owned();
    emulator.script(Reply::json(503, "{}").header("Retry-After", "0"));
    let client = clerk_core::Client::builder()
        .secret_key(&key)
        .api_url(emulator.api_url())
        .build()
        .unwrap();
    let created = client
        .call("users.create", &json!({"first_name": "Ada"}))
        .unwrap();
    assert_eq!(created.status, 200);
    let log = emulator.requests();
    assert_eq!(log.len(), 2, "the scripted 503, then the real create");
    assert_eq!(log[1].body_json()["first_name"], "Ada");
    // Nothing left in the queue: routing answers, and the log goes on.
    let listed = client.call("users.list", &json!({})).unwrap();
    assert!(listed.body.contains("Ada"), "{}", listed.body);
    assert_eq!(emulator.requests().len(), 3);
    emulator.reset();
    assert!(emulator.requests().is_empty(), "reset clears the log");
    emulator.assert_script_done();
}
