//! Scripted mode: a queue of canned replies and a log of the requests received, so that
//! a test can drive a client against exact answers (statuses, headers, bodies, delays,
//! resets, truncations) and afterwards check exactly what the client sent.
//!
//! In a scripted emulator ([`crate::Emulator::start_scripted`]) every API request (any
//! path outside `/__emulator/`) takes the next queued [`Reply`]; nothing is routed and no
//! secret key is checked. When the queue is empty the fallback reply answers, if one is
//! set; otherwise, and when a reply that names the request it expects gets another one,
//! the answer is `599 emulator_unscripted` and the request is recorded as unexpected
//! ([`crate::Emulator::unexpected`]), which a test asserts is empty. In a stateful
//! emulator a queued reply answers the next API request before routing, and the log is
//! kept all the same.

use std::collections::VecDeque;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::{Value, json};

use crate::faults::{DELAY_MS, METHOD_MAX_LEN, PATH_MAX_LEN};
use crate::http::Request;

/// The most replies queued at once.
pub const MAX_QUEUED: usize = 10_000;
/// The most requests the log keeps; beyond it the oldest are dropped (and counted), so
/// that a long-running emulator does not grow without bound.
pub const MAX_LOGGED: usize = 10_000;
/// The most body bytes the log holds in all; beyond it the oldest requests are dropped
/// (and counted), and a body larger than this alone is logged cut to this size.
pub const MAX_LOGGED_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The status of the answer to an unexpected request.
pub const UNSCRIPTED_STATUS: u16 = 599;

/// What a reply does to the connection instead of (or besides) answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyAction {
    /// Close the connection without answering.
    Reset,
    /// Announce the full `Content-Length`, send half the body, close.
    Truncate,
}

/// One scripted answer. Build it with [`Reply::json`], [`Reply::text`],
/// [`Reply::status`] or [`Reply::reset`] and the methods after them.
///
/// Its JSON form (for `POST /__emulator/script`) is
/// `{"status": 429, "headers": {"Retry-After": "1"}, "body": {...} | "body_text": "...",
///   "delay_ms": 100, "action": "reset" | "truncate", "method": "GET", "path": "/v1/users"}`;
/// every field is optional (status 200, no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) delay: Duration,
    pub(crate) action: Option<ReplyAction>,
    pub(crate) expect: Option<(Option<String>, String)>,
}

impl Reply {
    /// A reply with this status, no headers and no body.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            action: None,
            expect: None,
        }
    }

    /// `status` with `Content-Type: application/json` and `body` as given (sent as it is,
    /// so a test can send JSON that is broken on purpose).
    pub fn json(status: u16, body: impl AsRef<str>) -> Reply {
        Reply::status(status)
            .header("Content-Type", "application/json")
            .body(body.as_ref().as_bytes())
    }

    /// `status` with `Content-Type: text/plain` and `body`.
    pub fn text(status: u16, body: impl AsRef<str>) -> Reply {
        Reply::status(status)
            .header("Content-Type", "text/plain")
            .body(body.as_ref().as_bytes())
    }

    /// No answer: the connection is closed as soon as the request is read.
    pub fn reset() -> Reply {
        Reply {
            action: Some(ReplyAction::Reset),
            ..Reply::status(200)
        }
    }

    /// Adds a header (`Content-Length` and `Connection` are added when written).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body bytes.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// Waits this long after reading the request before answering (or resetting).
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Sends the head with the full `Content-Length` and half the body, then closes.
    pub fn truncated(mut self) -> Reply {
        self.action = Some(ReplyAction::Truncate);
        self
    }

    /// Answers only a request with this method and (percent-decoded, query-less) path;
    /// any other request that meets this reply gets `599` and is recorded as unexpected.
    pub fn expect(mut self, method: &str, path: &str) -> Reply {
        self.expect = Some((Some(method.to_ascii_uppercase()), path.to_owned()));
        self
    }

    /// Like [`Reply::expect`], for any method.
    pub fn expect_path(mut self, path: &str) -> Reply {
        self.expect = Some((None, path.to_owned()));
        self
    }

    /// The status.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// Checks the values a test cannot mean: a status outside 200..=599 (1xx would break
    /// the framing), a body on 204 or 304, a delay beyond two minutes, header names or
    /// values that would break the head.
    pub fn check(&self) -> Result<(), String> {
        if !(200..=599).contains(&self.status) {
            return Err(format!(
                "status must be from 200 to 599, got {}",
                self.status
            ));
        }
        if matches!(self.status, 204 | 304) && !self.body.is_empty() {
            return Err(format!("a {} reply cannot have a body", self.status));
        }
        if self.delay > Duration::from_millis(DELAY_MS.1) {
            return Err(format!(
                "delay_ms must be from {} to {}, got {}",
                DELAY_MS.0,
                DELAY_MS.1,
                self.delay.as_millis()
            ));
        }
        for (name, value) in &self.headers {
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token || value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(format!("invalid header {name:?}: {value:?}"));
            }
        }
        if let Some((method, path)) = &self.expect {
            if method.as_ref().is_some_and(|m| {
                m.is_empty()
                    || m.len() > METHOD_MAX_LEN
                    || !m.bytes().all(|b| b.is_ascii_alphabetic())
            }) {
                return Err(format!(
                    "method must be 1 to {METHOD_MAX_LEN} ASCII letters"
                ));
            }
            if !path.starts_with('/') || path.len() > PATH_MAX_LEN {
                return Err(format!(
                    "path must start with / and be at most {PATH_MAX_LEN} bytes, got {path:?}"
                ));
            }
        }
        Ok(())
    }

    /// Parses the JSON form (see [`Reply`]) and checks it.
    pub fn from_json(value: &Value) -> Result<Reply, String> {
        let Some(object) = value.as_object() else {
            return Err(format!("a reply must be a JSON object, got {value}"));
        };
        for key in object.keys() {
            if !matches!(
                key.as_str(),
                "status"
                    | "headers"
                    | "body"
                    | "body_text"
                    | "delay_ms"
                    | "action"
                    | "method"
                    | "path"
            ) {
                return Err(format!("unknown reply field {key:?}"));
            }
        }
        let number = |name: &str| -> Result<Option<u64>, String> {
            match object.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("{name} must be a non-negative integer, got {v}")),
            }
        };
        let status = number("status")?.unwrap_or(200);
        let mut reply = Reply::status(u16::try_from(status).unwrap_or(u16::MAX));
        match object.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (name, value) in map {
                    let value = value
                        .as_str()
                        .ok_or_else(|| format!("header {name} must be a string"))?;
                    reply = reply.header(name, value);
                }
            }
            Some(Value::Array(pairs)) => {
                for pair in pairs {
                    let (Some(name), Some(value)) = (pair[0].as_str(), pair[1].as_str()) else {
                        return Err(format!("a header must be [name, value], got {pair}"));
                    };
                    reply = reply.header(name, value);
                }
            }
            Some(other) => return Err(format!("headers must be an object or pairs, got {other}")),
        }
        match (object.get("body"), object.get("body_text")) {
            (Some(_), Some(_)) => return Err("give body or body_text, not both".into()),
            (Some(body), None) => {
                reply = reply.body(body.to_string());
                if !reply
                    .headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                {
                    reply = reply.header("Content-Type", "application/json");
                }
            }
            (None, Some(Value::String(text))) => reply = reply.body(text.as_bytes()),
            (None, Some(other)) => return Err(format!("body_text must be a string, got {other}")),
            (None, None) => {}
        }
        if let Some(delay) = number("delay_ms")? {
            reply = reply.delay(Duration::from_millis(delay));
        }
        match object.get("action").and_then(Value::as_str) {
            None => {}
            Some("reset") => reply.action = Some(ReplyAction::Reset),
            Some("truncate") => reply.action = Some(ReplyAction::Truncate),
            Some(other) => {
                return Err(format!(
                    "action must be \"reset\" or \"truncate\", got {other:?}"
                ));
            }
        }
        let method = object.get("method").and_then(Value::as_str);
        match (method, object.get("path").and_then(Value::as_str)) {
            (Some(method), Some(path)) => reply = reply.expect(method, path),
            (None, Some(path)) => reply = reply.expect_path(path),
            (Some(_), None) => return Err("method needs a path".into()),
            (None, None) => {}
        }
        reply.check()?;
        Ok(reply)
    }

    /// The JSON form, as `GET /__emulator/script` shows pending replies.
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "status": self.status,
            "headers": self.headers,
            "body_text": String::from_utf8_lossy(&self.body),
            "delay_ms": self.delay.as_millis() as u64,
        });
        if let Some(action) = self.action {
            value["action"] = json!(action);
        }
        if let Some((method, path)) = &self.expect {
            value["method"] = json!(method);
            value["path"] = json!(path);
        }
        value
    }
}

/// One request as the emulator received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// Its place among all requests recorded since the start (or the last reset), from 0.
    pub seq: u64,
    /// The connection it came on, served connections numbered from 0 in accept order:
    /// equal ids mean the client reused a connection.
    pub connection: u64,
    /// The method, upper case.
    pub method: String,
    /// The request target exactly as sent, still percent-encoded (`/v1/users?limit=2`).
    pub target: String,
    /// The percent-decoded path, without the query.
    pub path: String,
    /// The query parameters in order, percent-decoded.
    pub query: Vec<(String, String)>,
    /// The HTTP version (`HTTP/1.1`).
    pub version: String,
    /// The headers in order, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked (cut to [`MAX_LOGGED_BODY_BYTES`]).
    #[serde(serialize_with = "body_as_text")]
    pub body: Vec<u8>,
}

fn body_as_text<S: serde::Serializer>(body: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(body))
}

impl Recorded {
    fn new(seq: u64, connection: u64, req: &Request) -> Recorded {
        Recorded {
            seq,
            connection,
            method: req.method.clone(),
            target: req.target.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            version: req.version.clone(),
            headers: req.headers.clone(),
            body: req.body.clone(),
        }
    }

    /// The first header with this name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request line as sent: `GET /v1/users?limit=2 HTTP/1.1`.
    pub fn request_line(&self) -> String {
        format!("{} {} {}", self.method, self.target, self.version)
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// When it is not JSON (the message shows it).
    pub fn body_json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body of {} is not JSON ({e}): {}",
                self.request_line(),
                self.body_text()
            )
        })
    }

    /// The JSON form for `GET /__emulator/requests`; the body also as base64.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        value["body_base64"] = json!(STANDARD.encode(&self.body));
        value
    }
}

/// The script and the log.
#[derive(Debug, Default)]
pub(crate) struct Script {
    /// Answer every API request from the script (no routing, no auth).
    pub scripted: bool,
    pub queue: VecDeque<Reply>,
    pub fallback: Option<Reply>,
    pub log: VecDeque<Recorded>,
    /// Body bytes held by `log`.
    pub log_bytes: usize,
    pub next_seq: u64,
    pub dropped: u64,
    pub unexpected: Vec<String>,
}

/// What the script says about one request.
pub(crate) enum Decision {
    /// Not scripted: route it as usual.
    Route,
    /// Answer with this reply.
    Reply(Reply),
}

impl Script {
    /// Logs the request and takes its reply.
    pub fn take(&mut self, req: &Request, connection: u64) -> Decision {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut recorded = Recorded::new(seq, connection, req);
        recorded.body.truncate(MAX_LOGGED_BODY_BYTES);
        while self.log.len() >= MAX_LOGGED
            || self.log_bytes + recorded.body.len() > MAX_LOGGED_BODY_BYTES
        {
            let Some(oldest) = self.log.pop_front() else {
                break;
            };
            self.log_bytes -= oldest.body.len();
            self.dropped += 1;
        }
        self.log_bytes += recorded.body.len();
        self.log.push_back(recorded);
        let describe = || {
            format!(
                "request {seq} ({} {} on connection {connection})",
                req.method, req.target
            )
        };
        let reply = match self.queue.pop_front() {
            Some(reply) => reply,
            None if !self.scripted => return Decision::Route,
            None => match &self.fallback {
                Some(fallback) => return Decision::Reply(fallback.clone()),
                None => {
                    let message = format!("{}: no scripted reply left", describe());
                    return Decision::Reply(self.unexpected(message));
                }
            },
        };
        if let Some((method, path)) = &reply.expect {
            let method_ok = method.as_ref().is_none_or(|m| *m == req.method);
            if !method_ok || *path != req.path {
                let message = format!(
                    "{}: the scripted reply expected {} {path}",
                    describe(),
                    method.as_deref().unwrap_or("any method")
                );
                return Decision::Reply(self.unexpected(message));
            }
        }
        Decision::Reply(reply)
    }

    fn unexpected(&mut self, message: String) -> Reply {
        let body = json!({"errors": [{
            "code": "emulator_unscripted",
            "message": "unexpected request",
            "long_message": message,
        }]});
        self.unexpected.push(message);
        Reply::json(UNSCRIPTED_STATUS, body.to_string())
    }

    /// Forgets the queue, the fallback, the log and the unexpected requests (the mode
    /// stays).
    pub fn clear(&mut self) {
        let scripted = self.scripted;
        *self = Script {
            scripted,
            ..Script::default()
        };
    }

    /// The body of `GET /__emulator/requests`.
    pub fn log_json(&self) -> Value {
        json!({
            "requests": self.log.iter().map(Recorded::to_json).collect::<Vec<_>>(),
            "dropped": self.dropped,
            "unexpected": self.unexpected,
        })
    }

    /// The body of `GET /__emulator/script`.
    pub fn script_json(&self) -> Value {
        json!({
            "scripted": self.scripted,
            "pending": self.queue.iter().map(Reply::to_json).collect::<Vec<_>>(),
            "fallback": self.fallback.as_ref().map(Reply::to_json),
        })
    }

    /// Applies `POST /__emulator/script`: a reply, an array of replies, or
    /// `{"replies": [...], "fallback": reply | null, "scripted": bool}`. All or nothing.
    pub fn apply_json(&mut self, body: &[u8]) -> Result<Value, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("invalid script JSON: {e}"))?;
        let is_envelope = value.as_object().is_some_and(|o| {
            o.contains_key("replies") || o.contains_key("fallback") || o.contains_key("scripted")
        });
        let (items, fallback, scripted) = if is_envelope {
            let object = value.as_object().cloned().unwrap_or_default();
            for key in object.keys() {
                if !matches!(key.as_str(), "replies" | "fallback" | "scripted") {
                    return Err(format!("unknown script field {key:?}"));
                }
            }
            let items = match object.get("replies") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.clone(),
                Some(other) => return Err(format!("replies must be an array, got {other}")),
            };
            let fallback = match object.get("fallback") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(reply) => Some(Some(
                    Reply::from_json(reply).map_err(|e| format!("fallback: {e}"))?,
                )),
            };
            let scripted = match object.get("scripted") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(on)) => Some(*on),
                Some(other) => return Err(format!("scripted must be true or false, got {other}")),
            };
            (items, fallback, scripted)
        } else {
            match value {
                Value::Array(items) => (items, None, None),
                one => (vec![one], None, None),
            }
        };
        let replies = items
            .iter()
            .enumerate()
            .map(|(index, item)| Reply::from_json(item).map_err(|e| format!("reply {index}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        self.check_room(replies.len())?;
        let added = replies.len();
        self.queue.extend(replies);
        if let Some(fallback) = fallback {
            self.fallback = fallback;
        }
        if let Some(scripted) = scripted {
            self.scripted = scripted;
        }
        Ok(json!({"added": added, "pending": self.queue.len(), "scripted": self.scripted}))
    }

    /// Refuses to queue more than [`MAX_QUEUED`] replies.
    pub fn check_room(&self, adding: usize) -> Result<(), String> {
        if self.queue.len().saturating_add(adding) > MAX_QUEUED {
            return Err(format!(
                "at most {MAX_QUEUED} queued replies: {} queued, {adding} more sent",
                self.queue.len()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Vec<u8>) -> Request {
        Request {
            method: "POST".into(),
            target: "/v1/users".into(),
            version: "HTTP/1.1".into(),
            path: "/v1/users".into(),
            segments: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body,
            keep_alive: true,
        }
    }

    #[test]
    fn the_log_is_bounded_in_count_and_bytes() {
        let mut script = Script::default();
        for _ in 0..MAX_LOGGED + 5 {
            assert!(matches!(
                script.take(&request(b"{}".to_vec()), 0),
                Decision::Route
            ));
        }
        assert_eq!(script.log.len(), MAX_LOGGED);
        assert_eq!(script.dropped, 5);
        assert_eq!(script.log[0].seq, 5, "the oldest went first");
        assert_eq!(script.log_bytes, 2 * MAX_LOGGED);

        // One body over the byte bound pushes out everything older and is cut to it.
        script.take(&request(vec![b'x'; MAX_LOGGED_BODY_BYTES + 10]), 1);
        assert_eq!(script.log.len(), 1);
        assert_eq!(script.log[0].body.len(), MAX_LOGGED_BODY_BYTES);
        assert_eq!(script.log_bytes, MAX_LOGGED_BODY_BYTES);
        assert_eq!(script.dropped, 5 + MAX_LOGGED as u64);
        script.take(&request(b"{}".to_vec()), 1);
        assert_eq!(script.log.len(), 1, "the big one made room");
        assert_eq!(script.log_bytes, 2);
        script.clear();
        assert_eq!(
            (script.log.len(), script.log_bytes, script.next_seq),
            (0, 0, 0)
        );
    }
}
