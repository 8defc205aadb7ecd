//! `clerk-emulator`: a stateful local stand-in for Clerk's Backend API, for tests and
//! examples.
//!
//! It serves `/v1` over plain HTTP on 127.0.0.1 with Clerk's shapes, error codes and
//! pagination for the resources servers use most, mints RS256 session tokens with a
//! committed test key, serves the JWKS, and offers a control surface for fault
//! injection and request/connection counters (`/__emulator/...` over HTTP, or the
//! methods of [`Emulator`]). Every spec operation it does not implement answers
//! 501 `emulator_unsupported`; unknown paths answer 404 `resource_not_found`.
//!
//! In scripted mode ([`Emulator::start_scripted`]) it routes nothing: every request takes
//! the next queued [`Reply`], every request is logged ([`Emulator::requests`]) and one
//! that finds no reply is answered 599 and recorded ([`Emulator::unexpected`]).
//!
//! It bounds what any client can hold (idle and request deadlines, a connection cap,
//! per-request and total body limits: see [`EmulatorBuilder::idle_timeout`] and the
//! methods after it) and refuses ambiguous HTTP framing, so that it is never the thing
//! in a CI run that falls over.
//!
//! ```no_run
//! let emulator = clerk_emulator::Emulator::start().unwrap();
//! println!("CLERK_API_URL={} CLERK_SECRET_KEY={}", emulator.api_url(), emulator.secret_key());
//! ```
#![warn(missing_docs)]
// The `json!` literal of a full user object is deeper than the default limit allows.
#![recursion_limit = "256"]

mod api;
mod errors;
mod faults;
mod http;
mod ids;
mod instance;
mod keys;
mod machine;
pub mod multipart;
mod organizations;
mod routes;
mod script;
mod sessions;
mod state;
mod users;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Ctx, Env};
use crate::errors::ApiError;
use crate::http::{Request, Response};
use crate::keys::SigningKey;
use crate::state::State;

pub use crate::faults::InvalidFault;
pub use crate::script::{
    MAX_LOGGED, MAX_LOGGED_BODY_BYTES, MAX_QUEUED, Recorded, Reply, ReplyAction, UNSCRIPTED_STATUS,
};

/// The secret key the emulator accepts unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "sk_test_clerk_emulator_secret_key";
/// The `azp` claim of minted session tokens unless told otherwise.
pub const DEFAULT_AUTHORIZED_PARTY: &str = "http://localhost:3000";

/// What a fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Close the connection without answering (the request is not processed).
    Reset,
    /// Process the request, announce the full `Content-Length`, send half the body, close.
    Truncate,
    /// Answer 200 with a body that is not JSON (the request is not processed).
    InvalidJson,
    /// Answer 200 with a valid JSON body of `body_bytes` bytes (default 2 MiB), streamed.
    Oversized,
    /// Process the request, send the answer's head (status and headers, the full
    /// `Content-Length`), then close before any body byte.
    ResetAfterHeaders,
    /// Process the request, send the head and half the body at once, then the other half
    /// after `delay_ms` (which, for this action, is not spent before answering).
    SlowBody,
}

/// A fault to inject into matching requests.
///
/// JSON form (for `POST /__emulator/faults`):
/// `{"method":"GET","path":"/v1/users","times":2,"status":503,"retry_after":"1",
///   "delay_ms":100,"action":"reset","body_bytes":4096}`.
/// `path` matches a concrete path (`/v1/users/user_123`) or a spec template
/// (`/v1/users/{user_id}`); `method` absent matches any method; `times` absent means once.
/// With `status`, the request is not processed and a Clerk error with that status is
/// sent (plus `Retry-After` when given). `delay_ms` alone delays a normal answer.
///
/// Every value has an allowed range ([`Fault::check`]; `times` 1..=1000000, `status`
/// 400..=599, `delay_ms` 0..=120000, `body_bytes` 16..=1 GiB, `retry_after` up to 64
/// printable ASCII characters and at most 86400 as delta-seconds; at most 1000 faults
/// pending); out-of-range faults are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// HTTP method to match; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Path or path template to match, including `/v1`.
    pub path: String,
    /// How many matching requests it affects (1..=1000000); once when absent.
    #[serde(default)]
    pub times: Option<u32>,
    /// Answer with this status (400..=599) and a Clerk error body.
    #[serde(default)]
    pub status: Option<u16>,
    /// `Retry-After` header value for a status fault: 1 to 64 printable ASCII characters,
    /// at most 86400 when it is delta-seconds.
    #[serde(default)]
    pub retry_after: Option<String>,
    /// `Retry-After` for a status fault as an HTTP-date (IMF-fixdate) this many seconds
    /// (0..=86400) after the moment of the answer; `retry_after` wins when both are set.
    #[serde(default)]
    pub retry_after_date_in: Option<u64>,
    /// Sleep this long before answering (0..=120000).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// A connection-level misbehaviour.
    #[serde(default)]
    pub action: Option<FaultAction>,
    /// Body size for [`FaultAction::Oversized`] (16..=1073741824).
    #[serde(default)]
    pub body_bytes: Option<usize>,
}

impl Fault {
    /// Checks every value against its allowed range; the error names the field and the
    /// range.
    pub fn check(&self) -> Result<(), InvalidFault> {
        faults::check(self)
    }
}

/// Request and connection counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// TCP connections accepted (refused ones included).
    pub connections: u64,
    /// TCP connections open right now (not zeroed by a reset: it is a live gauge).
    #[serde(default)]
    pub open_connections: u64,
    /// Connections refused with 503 because `max_connections` were open.
    #[serde(default)]
    pub refused_connections: u64,
    /// Request-body bytes buffered right now across connections (a live gauge).
    #[serde(default)]
    pub buffered_bytes: u64,
    /// API requests read (every path except the `/__emulator/` control surface).
    pub requests: u64,
    /// Requests per route: `"GET /v1/users/{user_id}"` (method + spec template), or
    /// method + raw path for paths that match no operation.
    pub routes: BTreeMap<String, u64>,
}

impl Counters {
    /// The count for one route key (`"POST /v1/users"`), 0 when never hit.
    pub fn route(&self, key: &str) -> u64 {
        self.routes.get(key).copied().unwrap_or(0)
    }
}

/// Options for [`Emulator`]; see [`Emulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    port: u16,
    secret_key: String,
    authorized_party: String,
    seed: Option<Value>,
    limits: Limits,
    scripted: bool,
}

/// Connection and buffering limits; see the builder methods.
#[derive(Debug, Clone, Copy)]
struct Limits {
    idle_timeout: Duration,
    request_timeout: Duration,
    max_connections: usize,
    max_body_bytes: usize,
    max_buffered_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_connections: 256,
            max_body_bytes: 16 * 1024 * 1024,
            max_buffered_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The allowed range of each limit (the README lists the same).
const TIMEOUT_RANGE_MS: (u128, u128) = (1, 3_600_000);
const MAX_CONNECTIONS_RANGE: (usize, usize) = (1, 4096);
const MAX_BODY_BYTES_RANGE: (u64, u64) = (1, 1 << 30);
const MAX_BUFFERED_BYTES_HIGH: u64 = 1 << 34;
/// Refused connections waiting for their 503 (beyond it they are closed unanswered), and
/// answered ones lingering at once.
const REFUSAL_QUEUE: usize = 64;
/// How long an answered refused connection is drained before it is closed.
const REFUSAL_LINGER: Duration = Duration::from_millis(500);
/// How many bytes it is drained of at most.
const REFUSAL_LINGER_BYTES: usize = 64 * 1024;

impl Limits {
    fn check(&self) -> Result<(), String> {
        for (name, timeout) in [
            ("idle_timeout", self.idle_timeout),
            ("request_timeout", self.request_timeout),
        ] {
            let ms = timeout.as_millis();
            if !(TIMEOUT_RANGE_MS.0..=TIMEOUT_RANGE_MS.1).contains(&ms) {
                return Err(format!(
                    "{name} must be from {} ms to {} ms, got {ms} ms",
                    TIMEOUT_RANGE_MS.0, TIMEOUT_RANGE_MS.1
                ));
            }
        }
        let (low, high) = MAX_CONNECTIONS_RANGE;
        if !(low..=high).contains(&self.max_connections) {
            return Err(format!(
                "max_connections must be from {low} to {high}, got {}",
                self.max_connections
            ));
        }
        let body = self.max_body_bytes as u64;
        let (low, high) = MAX_BODY_BYTES_RANGE;
        if !(low..=high).contains(&body) {
            return Err(format!(
                "max_body_bytes must be from {low} to {high}, got {body}"
            ));
        }
        let buffered = self.max_buffered_bytes as u64;
        if !(body..=MAX_BUFFERED_BYTES_HIGH).contains(&buffered) {
            return Err(format!(
                "max_buffered_bytes must be from max_body_bytes ({body}) to \
                 {MAX_BUFFERED_BYTES_HIGH}, got {buffered}"
            ));
        }
        Ok(())
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            port: 0,
            secret_key: DEFAULT_SECRET_KEY.to_string(),
            authorized_party: DEFAULT_AUTHORIZED_PARTY.to_string(),
            seed: None,
            limits: Limits::default(),
            scripted: false,
        }
    }
}

impl EmulatorBuilder {
    /// Scripted mode (see [`Emulator::start_scripted`]): every API request is answered
    /// from the queue of [`Reply`]s, none is routed and no secret key is checked.
    pub fn scripted(mut self, scripted: bool) -> Self {
        self.scripted = scripted;
        self
    }

    /// The port to bind on 127.0.0.1; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The secret key requests must carry.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = secret_key.into();
        self
    }

    /// The `azp` claim of minted session tokens.
    pub fn authorized_party(mut self, origin: impl Into<String>) -> Self {
        self.authorized_party = origin.into();
        self
    }

    /// Requests replayed at start-up: a JSON array of
    /// `{"method":"POST","path":"/v1/users","query":{...}?,"body":{...}?}`. Create
    /// bodies may carry an `"id"` to fix the new resource's id (users, organizations,
    /// sessions), so later entries can refer to it.
    pub fn seed(mut self, requests: Value) -> Self {
        self.seed = Some(requests);
        self
    }

    /// How long a kept-alive connection may wait for its next request before it is
    /// closed (default 30 s; 1 ms..=1 h).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// The deadline for a whole request to arrive once its first byte has, and again
    /// for its answer to be written (default 30 s; 1 ms..=1 h). A request cut off
    /// gets 408 and its connection is closed.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.limits.request_timeout = timeout;
        self
    }

    /// Connections served at once (default 256; 1..=4096). Beyond it a new connection
    /// is answered 503 `emulator_busy` with `Retry-After: 1` and closed.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections;
        self
    }

    /// The largest request body (default 16 MiB; 1..=1 GiB); a larger one gets 413.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_body_bytes = bytes;
        self
    }

    /// Request-body bytes buffered at once across all connections (default 64 MiB;
    /// from `max_body_bytes` to 16 GiB). A request whose body does not fit gets 503
    /// `emulator_busy` with `Retry-After: 1`.
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_buffered_bytes = bytes;
        self
    }

    /// Binds, replays the seed and starts serving in background threads. Fails with
    /// `InvalidInput` when a limit is out of its range.
    pub fn start(self) -> std::io::Result<Emulator> {
        self.limits
            .check()
            .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidInput, message))?;
        // Resolve the routes against the operation table now, not on the first request.
        routes::routes();
        let listener = TcpListener::bind(("127.0.0.1", self.port))?;
        let address = listener.local_addr()?;
        let issuer = format!("http://{address}");
        let shared = Arc::new(Shared {
            secret_key: self.secret_key,
            env: Env {
                issuer: issuer.clone(),
                authorized_party: self.authorized_party,
            },
            state: Mutex::new(State::new(&issuer)),
            faults: Mutex::new(Vec::new()),
            counters: Mutex::new(Counters::default()),
            key_index: AtomicU64::new(0),
            key: Mutex::new(SigningKey::committed(0)),
            open_streams: Mutex::new(HashMap::new()),
            open_connections: AtomicU64::new(0),
            next_stream_id: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            limits: self.limits,
            budget: http::Budget::new(self.limits.max_buffered_bytes),
            script: Mutex::new(script::Script {
                scripted: self.scripted,
                ..Default::default()
            }),
        });
        if let Some(seed) = &self.seed {
            shared.replay_seed(seed).map_err(std::io::Error::other)?;
        }
        let accept_shared = Arc::clone(&shared);
        let accept_thread = std::thread::Builder::new()
            .name("clerk-emulator-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))?;
        Ok(Emulator {
            address,
            shared,
            accept_thread: Some(accept_thread),
        })
    }
}

/// State shared by the server threads and the handle.
struct Shared {
    secret_key: String,
    env: Env,
    state: Mutex<State>,
    faults: Mutex<Vec<Fault>>,
    counters: Mutex<Counters>,
    key_index: AtomicU64,
    key: Mutex<Arc<SigningKey>>,
    open_streams: Mutex<HashMap<u64, TcpStream>>,
    open_connections: AtomicU64,
    next_stream_id: AtomicU64,
    stopping: AtomicBool,
    limits: Limits,
    /// Request-body bytes buffered across connections.
    budget: http::Budget,
    /// Scripted replies and the request log.
    script: Mutex<script::Script>,
}

/// Locks a mutex, recovering from a panicked holder (the data stays usable for tests).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What to do with the connection after a request.
enum Outcome {
    Respond(Response),
    Reset,
    Truncate(Response),
    /// The head of this answer, then close.
    ResetAfterHeaders(Response),
    /// Head and half the body, a pause, the rest.
    SlowBody(Response, Duration),
    /// 200 with a JSON body of this many bytes, written in pieces.
    Oversized(usize),
}

/// The `operationId`s the emulator implements (every other spec operation answers 501).
pub fn implemented_operations() -> impl Iterator<Item = (&'static str, &'static str, &'static str)>
{
    routes::routes().iter().map(|r| {
        let op = r.operation;
        (op.operation_id, op.method.as_str(), op.path)
    })
}

/// Decodes a JWT's payload without checking its signature (the emulator's own tokens).
pub fn decode_jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Shared {
    fn trace_id() -> String {
        ids::random_base62(32)
    }

    fn count(&self, key: String) {
        let mut counters = lock(&self.counters);
        counters.requests += 1;
        *counters.routes.entry(key).or_insert(0) += 1;
    }

    /// Takes one use of the first fault matching the request, if any.
    fn take_fault(&self, req: &Request, template: Option<&str>) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|fault| {
            fault
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
                && (fault.path == req.path
                    || template.is_some_and(|t| fault.path == format!("/v1{t}")))
        })?;
        let fault = faults[index].clone();
        let remaining = fault.times.unwrap_or(1).saturating_sub(1);
        if remaining == 0 {
            faults.remove(index);
        } else {
            faults[index].times = Some(remaining);
        }
        Some(fault)
    }

    fn handle(&self, req: &Request, connection: u64) -> Outcome {
        if req.path.starts_with("/__emulator/") {
            // Control traffic is not API traffic: it is not counted (its connection is).
            return Outcome::Respond(self.control(req));
        }
        let decision = lock(&self.script).take(req, connection);
        if let script::Decision::Reply(reply) = decision {
            // Scripted answers count under method + raw path: nothing was routed.
            self.count(format!("{} {}", req.method, req.path));
            return scripted_outcome(reply);
        }
        let trace_id = Self::trace_id();
        let api_segments: Option<&[String]> = match req.segments.split_first() {
            Some((first, rest)) if first == "v1" => Some(rest),
            _ => None,
        };
        let route = api_segments.and_then(|segments| api::find_route(&req.method, segments));
        let spec_operation = match (&route, api_segments) {
            (None, Some(segments)) => api::find_spec_operation(&req.method, segments),
            _ => None,
        };
        // The spec template below /v1 (`/users/{user_id}`) for operations, else none.
        let template: Option<&str> = route
            .as_ref()
            .map(|(r, _)| r.operation.path)
            .or(spec_operation.map(|op| op.path));
        let counter_key = match template {
            Some(t) => format!("{} /v1{t}", req.method),
            None => format!("{} {}", req.method, req.path),
        };
        self.count(counter_key);

        let fault = self.take_fault(req, template);
        // A slow body spends its delay between the two halves of the body instead.
        if let Some(delay) = fault
            .as_ref()
            .filter(|f| f.action != Some(FaultAction::SlowBody))
            .and_then(|f| f.delay_ms)
        {
            std::thread::sleep(Duration::from_millis(delay));
        }
        if let Some(fault) = &fault {
            match fault.action {
                Some(FaultAction::Reset) => return Outcome::Reset,
                Some(FaultAction::InvalidJson) => {
                    return Outcome::Respond(Response {
                        status: 200,
                        headers: vec![("Content-Type".into(), "application/json".into())],
                        body: b"{\"object\": \"user\", \"id\": ".to_vec(),
                    });
                }
                Some(FaultAction::Oversized) => {
                    // Range-checked when added; clamped again so a size can never
                    // underflow the padding arithmetic.
                    let size = fault
                        .body_bytes
                        .unwrap_or(2 * 1024 * 1024)
                        .clamp(faults::BODY_BYTES.0 as usize, faults::BODY_BYTES.1 as usize);
                    return Outcome::Oversized(size);
                }
                Some(
                    FaultAction::Truncate | FaultAction::ResetAfterHeaders | FaultAction::SlowBody,
                )
                | None => {}
            }
            if let Some(status) = fault.status {
                let code = match status {
                    429 => "too_many_requests",
                    503 => "service_unavailable",
                    _ => "emulator_injected_fault",
                };
                let error = ApiError::new(
                    status,
                    code,
                    "injected fault",
                    "This error was injected by clerk-emulator.",
                );
                let mut response = Response::json(status, &error.body(&trace_id))
                    .with_header("X-Clerk-Trace-Id", &trace_id);
                if let Some(retry_after) = &fault.retry_after {
                    response = response.with_header("Retry-After", retry_after);
                } else if let Some(seconds) = fault.retry_after_date_in {
                    let at = SystemTime::now() + Duration::from_secs(seconds);
                    response = response.with_header("Retry-After", &faults::imf_fixdate(at));
                }
                return Outcome::Respond(response);
            }
        }

        let response = self.route(req, api_segments, route, spec_operation, &trace_id);
        let response = response.with_header("X-Clerk-Trace-Id", &trace_id);
        match fault.as_ref().and_then(|f| f.action) {
            Some(FaultAction::Truncate) => Outcome::Truncate(response),
            Some(FaultAction::ResetAfterHeaders) => Outcome::ResetAfterHeaders(response),
            Some(FaultAction::SlowBody) => Outcome::SlowBody(
                response,
                Duration::from_millis(fault.and_then(|f| f.delay_ms).unwrap_or(0)),
            ),
            _ => Outcome::Respond(response),
        }
    }

    fn route(
        &self,
        req: &Request,
        api_segments: Option<&[String]>,
        route: Option<(&'static api::Route, HashMap<&'static str, String>)>,
        spec_operation: Option<&'static clerk_core::Operation>,
        trace_id: &str,
    ) -> Response {
        if req.method == "GET" && req.path == "/.well-known/jwks.json" {
            return Response::json(200, &json!({"keys": [lock(&self.key).jwk()]}));
        }
        if api_segments.is_none() {
            return Response::json(404, &errors::not_found("resource").body(trace_id));
        }
        if let Err(error) = self.authenticate(req) {
            return Response::json(error.status, &error.body(trace_id));
        }
        let Some((route, path)) = route else {
            let error = match spec_operation {
                Some(op) => ApiError::new(
                    501,
                    "emulator_unsupported",
                    "not supported by clerk-emulator",
                    format!(
                        "{} ({} {}) is a Clerk Backend API operation that clerk-emulator does not implement.",
                        op.operation_id, op.method, op.path
                    ),
                )
                .meta_operation(op.operation_id),
                None => errors::not_found("resource"),
            };
            return Response::json(error.status, &error.body(trace_id));
        };
        let result = api::parse_body(req).and_then(|(body, parts)| {
            let mut state = lock(&self.state);
            let mut ctx = Ctx {
                req,
                path,
                body,
                parts,
                state: &mut state,
                env: &self.env,
                key: Arc::clone(&lock(&self.key)),
                seeding: false,
            };
            (route.handler)(&mut ctx)
        });
        api::to_response(result, trace_id)
    }

    fn authenticate(&self, req: &Request) -> Result<(), ApiError> {
        let header = req
            .header("authorization")
            .ok_or_else(errors::authentication_invalid)?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(errors::authentication_invalid)?;
        if token != self.secret_key {
            return Err(errors::clerk_key_invalid());
        }
        Ok(())
    }

    fn control(&self, req: &Request) -> Response {
        let reply = |result: Result<Value, String>| match result {
            Ok(body) => Response::json(200, &body),
            Err(message) => Response::json(
                400,
                &ApiError::new(
                    400,
                    "emulator_control_invalid",
                    "invalid control request",
                    message,
                )
                .body(&Self::trace_id()),
            ),
        };
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/__emulator/faults") => reply(
                faults::parse_request(&req.body)
                    .and_then(|faults| self.add_faults(faults))
                    .map(|count| json!({"added": count}))
                    .map_err(|e| e.to_string()),
            ),
            ("GET", "/__emulator/faults") => reply(Ok(json!(*lock(&self.faults)))),
            ("DELETE", "/__emulator/faults") => {
                lock(&self.faults).clear();
                reply(Ok(json!({"cleared": true})))
            }
            ("GET", "/__emulator/counters") => reply(Ok(json!(self.counters()))),
            ("POST", "/__emulator/reset") => {
                self.reset();
                reply(Ok(json!({"reset": true})))
            }
            ("POST", "/__emulator/script") => reply(lock(&self.script).apply_json(&req.body)),
            ("GET", "/__emulator/script") => reply(Ok(lock(&self.script).script_json())),
            ("DELETE", "/__emulator/script") => {
                lock(&self.script).clear();
                reply(Ok(json!({"cleared": true})))
            }
            ("GET", "/__emulator/requests") => reply(Ok(lock(&self.script).log_json())),
            ("POST", "/__emulator/rotate_key") => {
                let kid = self.rotate_key();
                reply(Ok(json!({"kid": kid})))
            }
            _ => Response::json(
                404,
                &errors::not_found("control endpoint").body(&Self::trace_id()),
            ),
        }
    }

    /// Adds checked faults if they fit next to the pending ones; all or none.
    fn add_faults(&self, new: Vec<Fault>) -> Result<usize, InvalidFault> {
        let mut pending = lock(&self.faults);
        faults::check_room(pending.len(), new.len())?;
        let count = new.len();
        pending.extend(new);
        Ok(count)
    }

    /// A snapshot of the counters, with the live gauges filled in.
    fn counters(&self) -> Counters {
        let mut counters = lock(&self.counters).clone();
        counters.open_connections = self.open_connections.load(Ordering::SeqCst);
        counters.buffered_bytes = self.budget.used() as u64;
        counters
    }

    fn reset(&self) {
        *lock(&self.state) = State::new(&self.env.issuer);
        lock(&self.faults).clear();
        // Counters restart from zero; connections already open stay open and are not
        // counted again.
        *lock(&self.counters) = Counters::default();
        self.key_index.store(0, Ordering::SeqCst);
        *lock(&self.key) = SigningKey::committed(0);
        lock(&self.script).clear();
    }

    fn rotate_key(&self) -> String {
        let next = self.key_index.fetch_add(1, Ordering::SeqCst) + 1;
        let key = SigningKey::committed(next as usize);
        let kid = key.kid.clone();
        *lock(&self.key) = key;
        kid
    }

    fn replay_seed(&self, seed: &Value) -> Result<(), String> {
        let entries = seed
            .as_array()
            .ok_or("the seed must be a JSON array of requests")?;
        for (index, entry) in entries.iter().enumerate() {
            let method = entry["method"]
                .as_str()
                .unwrap_or("POST")
                .to_ascii_uppercase();
            let path = entry["path"]
                .as_str()
                .ok_or(format!("seed entry {index} has no path"))?;
            let segments: Vec<String> = path
                .trim_start_matches("/v1")
                .split('/')
                .skip(1)
                .map(str::to_string)
                .collect();
            let (route, params) = api::find_route(&method, &segments).ok_or(format!(
                "seed entry {index}: {method} {path} is not an implemented operation"
            ))?;
            let query = entry["query"]
                .as_object()
                .map(|q| {
                    q.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
                        .collect()
                })
                .unwrap_or_default();
            let req = Request {
                method: method.clone(),
                target: path.to_string(),
                version: "HTTP/1.1".into(),
                path: path.to_string(),
                segments: Vec::new(),
                query,
                headers: Vec::new(),
                body: Vec::new(),
                keep_alive: false,
            };
            let mut state = lock(&self.state);
            let mut ctx = Ctx {
                req: &req,
                path: params,
                body: entry.get("body").cloned().unwrap_or(Value::Null),
                parts: Vec::new(),
                state: &mut state,
                env: &self.env,
                key: Arc::clone(&lock(&self.key)),
                seeding: true,
            };
            (route.handler)(&mut ctx).map_err(|e| {
                format!(
                    "seed entry {index} ({method} {path}) failed: {} {}",
                    e.code, e.long_message
                )
            })?;
        }
        Ok(())
    }
}

impl ApiError {
    fn meta_operation(mut self, operation_id: &str) -> ApiError {
        self.meta = Some(Box::new(json!({ "operation_id": operation_id })));
        self
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // One thread answers the connections beyond the cap, so refusing costs no thread
    // per connection; when its queue is full, further ones are closed unanswered.
    let (refusals, queue) = std::sync::mpsc::sync_channel::<TcpStream>(REFUSAL_QUEUE);
    let refuser = std::thread::Builder::new()
        .name("clerk-emulator-refuse".into())
        .spawn(move || refusal_loop(&queue))
        .ok();
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(_) => {
                // E.g. out of file descriptors: do not spin.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        lock(&shared.counters).connections += 1;
        let open = shared.open_connections.load(Ordering::SeqCst);
        if open >= shared.limits.max_connections as u64 {
            lock(&shared.counters).refused_connections += 1;
            let _ = refusals.try_send(stream);
            continue;
        }
        spawn_connection(&shared, stream, serve_connection);
    }
    drop(refusals);
    if let Some(refuser) = refuser {
        let _ = refuser.join();
    }
}

/// Answers each connection beyond `max_connections` with 503 at once, then lingers on
/// all of them together (non-blocking, polled every 10 ms) so that a peer still sending
/// its request reads the 503 instead of a reset; each is closed at its peer's EOF, after
/// `REFUSAL_LINGER`, after `REFUSAL_LINGER_BYTES`, or when `REFUSAL_QUEUE` newer ones wait.
fn refusal_loop(queue: &std::sync::mpsc::Receiver<TcpStream>) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut lingering: std::collections::VecDeque<(TcpStream, Instant, usize)> =
        std::collections::VecDeque::new();
    let mut scratch = [0u8; 8192];
    loop {
        let next = if lingering.is_empty() {
            match queue.recv() {
                Ok(stream) => Some(stream),
                Err(_) => return,
            }
        } else {
            match queue.recv_timeout(Duration::from_millis(10)) {
                Ok(stream) => Some(stream),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        if let Some(stream) = next {
            let refusal = http::Refusal {
                status: 503,
                code: "emulator_busy",
                message: "the emulator serves its maximum number of connections \
                          (max_connections); retry"
                    .into(),
            };
            let written = stream.try_clone().and_then(|clone| {
                let mut writer = http::TimedStream::new(clone);
                writer.deadline = Instant::now() + Duration::from_secs(1);
                http::write_response(&mut writer, &refusal_response(&refusal), false)
            });
            if written.is_ok()
                && stream.shutdown(Shutdown::Write).is_ok()
                && stream.set_nonblocking(true).is_ok()
            {
                if lingering.len() >= REFUSAL_QUEUE {
                    lingering.pop_front();
                }
                lingering.push_back((stream, Instant::now() + REFUSAL_LINGER, 0));
            }
        }
        let now = Instant::now();
        lingering.retain_mut(|(stream, deadline, drained)| {
            loop {
                match std::io::Read::read(stream, &mut scratch) {
                    Ok(0) => return false,
                    Ok(n) => {
                        *drained += n;
                        if *drained > REFUSAL_LINGER_BYTES {
                            return false;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        return now < *deadline;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return false,
                }
            }
        });
    }
}

/// The Clerk error answer to a refused request (`Retry-After: 1` when it is transient).
fn refusal_response(refusal: &http::Refusal) -> Response {
    let message = match refusal.status {
        400 => "malformed request",
        408 => "request timeout",
        413 => "request too large",
        431 => "request head too large",
        501 => "not implemented",
        503 => "emulator busy",
        505 => "HTTP version not supported",
        _ => "request refused",
    };
    let error = ApiError::new(
        refusal.status,
        refusal.code,
        message,
        refusal.message.clone(),
    );
    let trace_id = Shared::trace_id();
    let response = Response::json(refusal.status, &error.body(&trace_id))
        .with_header("X-Clerk-Trace-Id", &trace_id);
    if refusal.status == 503 {
        response.with_header("Retry-After", "1")
    } else {
        response
    }
}

/// The bookkeeping of one open connection. Its `Drop` undoes it, so a connection thread
/// that ends in any way (returns, panics, or is never spawned) still closes its socket
/// and leaves the open-connection gauge and the stream registry right.
struct ConnectionGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl ConnectionGuard {
    fn register(shared: &Arc<Shared>, stream: &TcpStream) -> ConnectionGuard {
        let id = shared.next_stream_id.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.open_streams).insert(id, clone);
        }
        shared.open_connections.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard {
            shared: Arc::clone(shared),
            id,
        }
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if let Some(stream) = lock(&self.shared.open_streams).remove(&self.id) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.shared.open_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `stream` on its own thread with `serve`, under a [`ConnectionGuard`].
fn spawn_connection(shared: &Arc<Shared>, stream: TcpStream, serve: fn(TcpStream, &Shared, u64)) {
    let guard = ConnectionGuard::register(shared, &stream);
    // If the spawn fails, the closure (and with it the guard and the stream) is dropped.
    let _ = std::thread::Builder::new()
        .name("clerk-emulator-conn".into())
        .spawn(move || {
            let guard = guard;
            serve(stream, &guard.shared, guard.id);
        });
}

fn serve_connection(stream: TcpStream, shared: &Shared, connection: u64) {
    let _ = stream.set_nodelay(true);
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let limits = shared.limits;
    let mut writer = http::TimedStream::new(writer);
    let mut reader = BufReader::new(http::TimedStream::new(stream));
    loop {
        // Idle: wait for the first byte of the next request, at most idle_timeout.
        reader.get_mut().deadline = Instant::now() + limits.idle_timeout;
        match reader.fill_buf() {
            Ok([]) | Err(_) => return,
            Ok(_) => {}
        }
        // The whole request must arrive within request_timeout from here.
        reader.get_mut().deadline = Instant::now() + limits.request_timeout;
        writer.deadline = reader.get_ref().deadline;
        let (req, reservation) = match http::read_request(
            &mut reader,
            &mut writer,
            limits.max_body_bytes,
            &shared.budget,
        ) {
            Ok(read) => read,
            Err(error) => {
                let refusal = match error {
                    http::ReadError::Refused(refusal) => refusal,
                    http::ReadError::TimedOut => http::Refusal {
                        status: 408,
                        code: "request_timeout",
                        message: format!(
                            "the request did not arrive within {} ms (request_timeout)",
                            limits.request_timeout.as_millis()
                        ),
                    },
                    http::ReadError::Closed | http::ReadError::Io => return,
                };
                writer.deadline = Instant::now() + limits.request_timeout;
                let _ = http::write_response(&mut writer, &refusal_response(&refusal), false);
                http::linger_close(&mut reader);
                return;
            }
        };
        let outcome = shared.handle(&req, connection);
        // The body is no longer needed: give its bytes back before writing.
        let keep_alive = req.keep_alive;
        drop(req);
        drop(reservation);
        writer.deadline = Instant::now() + limits.request_timeout;
        match outcome {
            Outcome::Respond(response) => {
                if http::write_response(&mut writer, &response, keep_alive).is_err() || !keep_alive
                {
                    return;
                }
            }
            Outcome::Reset => {
                let _ = writer.get_ref().shutdown(Shutdown::Both);
                return;
            }
            Outcome::Oversized(size) => {
                if write_padded_json(&mut writer, size, keep_alive).is_err() || !keep_alive {
                    return;
                }
            }
            Outcome::Truncate(response) => {
                let mut bytes = http::head_bytes(&response, response.body.len(), true);
                bytes.extend_from_slice(&response.body[..response.body.len() / 2]);
                let _ = writer.write_all(&bytes);
                let _ = writer.flush();
                let _ = writer.get_ref().shutdown(Shutdown::Both);
                return;
            }
            Outcome::ResetAfterHeaders(response) => {
                let _ = writer.write_all(&http::head_bytes(&response, response.body.len(), true));
                let _ = writer.flush();
                let _ = writer.get_ref().shutdown(Shutdown::Both);
                return;
            }
            Outcome::SlowBody(response, pause) => {
                let half = response.body.len() / 2;
                let mut bytes = http::head_bytes(&response, response.body.len(), keep_alive);
                bytes.extend_from_slice(&response.body[..half]);
                if writer
                    .write_all(&bytes)
                    .and_then(|()| writer.flush())
                    .is_err()
                {
                    return;
                }
                std::thread::sleep(pause);
                // The pause may outlast the write deadline set before it.
                writer.deadline = Instant::now() + limits.request_timeout;
                let rest = writer
                    .write_all(&response.body[half..])
                    .and_then(|()| writer.flush());
                if rest.is_err() || !keep_alive {
                    return;
                }
            }
        }
    }
}

/// What a scripted reply does to the connection (its delay is served here, on the
/// connection's own thread).
fn scripted_outcome(reply: Reply) -> Outcome {
    if !reply.delay.is_zero() {
        std::thread::sleep(reply.delay);
    }
    let response = Response {
        status: reply.status,
        headers: reply.headers,
        body: reply.body,
    };
    match reply.action {
        Some(ReplyAction::Reset) => Outcome::Reset,
        Some(ReplyAction::Truncate) => Outcome::Truncate(response),
        None => Outcome::Respond(response),
    }
}

/// Writes a 200 answer whose body is `{"padding":"xxx..."}` of exactly `size` bytes
/// (at least 16), in pieces, so that its size costs no memory.
fn write_padded_json(
    writer: &mut impl Write,
    size: usize,
    keep_alive: bool,
) -> std::io::Result<()> {
    const OPEN: &[u8] = b"{\"padding\":\"";
    const CLOSE: &[u8] = b"\"}";
    let head = Response::empty(200).with_header("Content-Type", "application/json");
    writer.write_all(&http::head_bytes(&head, size, keep_alive))?;
    writer.write_all(OPEN)?;
    let piece = [b'x'; 64 * 1024];
    let mut left = size.saturating_sub(OPEN.len() + CLOSE.len());
    while left > 0 {
        let n = left.min(piece.len());
        writer.write_all(&piece[..n])?;
        left -= n;
    }
    writer.write_all(CLOSE)?;
    writer.flush()
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("api_url", &self.api_url())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator with default options on a free port.
    pub fn start() -> std::io::Result<Emulator> {
        EmulatorBuilder::default().start()
    }

    /// Starts a scripted emulator on a free port: every API request takes the next
    /// queued [`Reply`] ([`Emulator::script`]) or, when none is left, the fallback
    /// ([`Emulator::script_fallback`]); without one it is answered `599
    /// emulator_unscripted` and recorded in [`Emulator::unexpected`]. Every request is
    /// logged ([`Emulator::requests`]). Nothing is routed and no secret key is checked.
    ///
    /// ```
    /// use clerk_emulator::{Emulator, Reply};
    /// let server = Emulator::start_scripted().unwrap();
    /// server.script(Reply::json(503, "{}").header("Retry-After", "0"));
    /// server.script(Reply::json(200, r#"{"id":"user_1"}"#).expect("GET", "/v1/users/user_1"));
    /// // ... drive a client against server.api_url() ...
    /// # let _ = ureq::get(format!("{}/v1/users/user_1", server.api_url())).call();
    /// # let _ = ureq::get(format!("{}/v1/users/user_1", server.api_url())).call();
    /// assert_eq!(server.requests().len(), 2);
    /// server.assert_script_done();
    /// ```
    pub fn start_scripted() -> std::io::Result<Emulator> {
        EmulatorBuilder::default().scripted(true).start()
    }

    /// Options: port, secret key, authorized party, seed.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The value for `CLERK_API_URL`: `http://127.0.0.1:PORT` (clients append `/v1`).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The socket address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The secret key requests must carry.
    pub fn secret_key(&self) -> &str {
        &self.shared.secret_key
    }

    /// `pk_test_` + base64 of `<host>$`, the shape of Clerk's publishable keys.
    pub fn publishable_key(&self) -> String {
        format!("pk_test_{}", STANDARD.encode(format!("{}$", self.address)))
    }

    /// The public JWKS (no auth), like the frontend API's `/.well-known/jwks.json`.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.address)
    }

    /// The `iss` claim of minted session tokens.
    pub fn issuer(&self) -> &str {
        &self.shared.env.issuer
    }

    /// The `azp` claim of minted session tokens.
    pub fn authorized_party(&self) -> &str {
        &self.shared.env.authorized_party
    }

    /// The current signing key's id.
    pub fn kid(&self) -> String {
        lock(&self.shared.key).kid.clone()
    }

    /// The current signing key's public key as PEM (for networkless verification).
    pub fn public_key_pem(&self) -> String {
        lock(&self.shared.key).public_pem.clone()
    }

    /// Signs arbitrary claims with the current key (for tests of rejected tokens).
    pub fn sign_claims(&self, claims: &Value) -> String {
        lock(&self.shared.key).sign_jwt(claims)
    }

    /// The start-up line the binary prints.
    pub fn info(&self) -> Value {
        json!({
            "api_url": self.api_url(),
            "secret_key": self.secret_key(),
            "publishable_key": self.publishable_key(),
            "jwks_url": self.jwks_url(),
            "issuer": self.issuer(),
            "kid": self.kid(),
        })
    }

    /// Adds a fault (see [`Fault`]).
    ///
    /// # Panics
    ///
    /// If a value is out of its range or 1000 faults are already pending (the message
    /// says which); [`Emulator::try_inject_fault`] returns the error instead.
    pub fn inject_fault(&self, fault: Fault) {
        if let Err(error) = self.try_inject_fault(fault) {
            panic!("clerk-emulator refused the fault: {error}");
        }
    }

    /// Adds a fault after checking every value against its range ([`Fault::check`]).
    pub fn try_inject_fault(&self, fault: Fault) -> Result<(), InvalidFault> {
        fault.check()?;
        self.shared.add_faults(vec![fault]).map(|_| ())
    }

    /// Removes all pending faults.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters()
    }

    /// Forgets all resources and faults, zeroes the counters (connections already open
    /// are not counted again) and returns to the first signing key.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Queues a scripted reply (see [`Emulator::start_scripted`]); replies answer in
    /// order. In a stateful emulator a queued reply answers the next API request
    /// before routing.
    ///
    /// # Panics
    ///
    /// If the reply is invalid ([`Reply::check`]) or [`MAX_QUEUED`] are queued.
    pub fn script(&self, reply: Reply) {
        if let Err(error) = reply.check() {
            panic!("clerk-emulator refused the reply: {error}");
        }
        let mut script = lock(&self.shared.script);
        if let Err(error) = script.check_room(1) {
            panic!("clerk-emulator refused the reply: {error}");
        }
        script.queue.push_back(reply);
    }

    /// Queues several replies, in order.
    pub fn script_all(&self, replies: impl IntoIterator<Item = Reply>) {
        for reply in replies {
            self.script(reply);
        }
    }

    /// The reply for requests that find the queue empty (scripted mode); `None` makes
    /// them unexpected again.
    ///
    /// # Panics
    ///
    /// If the reply is invalid ([`Reply::check`]).
    pub fn script_fallback(&self, reply: Option<Reply>) {
        if let Some(Err(error)) = reply.as_ref().map(Reply::check) {
            panic!("clerk-emulator refused the fallback reply: {error}");
        }
        lock(&self.shared.script).fallback = reply;
    }

    /// Queued replies not yet used.
    pub fn pending_replies(&self) -> usize {
        lock(&self.shared.script).queue.len()
    }

    /// The API requests received, oldest first (at most [`MAX_LOGGED`], the newest).
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.script).log.iter().cloned().collect()
    }

    /// What was wrong with each unexpected request: none left in the script, or not the
    /// one a reply expected. A test asserts this is empty ([`Emulator::assert_script_done`]).
    pub fn unexpected(&self) -> Vec<String> {
        lock(&self.shared.script).unexpected.clone()
    }

    /// Panics, listing them, if any request was unexpected or a queued reply is unused.
    pub fn assert_script_done(&self) {
        let script = lock(&self.shared.script);
        assert!(
            script.unexpected.is_empty(),
            "clerk-emulator got unexpected requests:\n{}",
            script.unexpected.join("\n")
        );
        assert!(
            script.queue.is_empty(),
            "clerk-emulator has {} scripted replies left unused: {:?}",
            script.queue.len(),
            script.queue
        );
    }

    /// Forgets the queued replies, the fallback, the request log and the unexpected
    /// requests ([`Emulator::reset`] does too).
    pub fn clear_script(&self) {
        lock(&self.shared.script).clear();
    }

    /// Switches to the next committed signing key; returns its kid.
    pub fn rotate_key(&self) -> String {
        self.shared.rotate_key()
    }

    /// Stops serving and closes open connections.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(accept_thread) = self.accept_thread.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        let _ = accept_thread.join();
        for stream in lock(&self.shared.open_streams).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn panics(_stream: TcpStream, _shared: &Shared, _connection: u64) {
        panic!("a connection thread panics (injected by the test)");
    }

    #[test]
    fn a_panicking_connection_thread_still_closes_its_socket_and_is_uncounted() {
        let emulator = Emulator::start().unwrap();
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (server_side, _) = listener.accept().unwrap();
        spawn_connection(&emulator.shared, server_side, panics);
        let mut byte = [0u8; 1];
        let read = client.read(&mut byte);
        assert!(
            matches!(read, Ok(0)),
            "the panicked connection's socket is closed (not left open): {read:?}"
        );
        let started = std::time::Instant::now();
        while emulator.counters().open_connections != 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the open-connection gauge returns to 0"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(lock(&emulator.shared.open_streams).is_empty());
    }
}
