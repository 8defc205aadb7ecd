//! The fault matrix: every fault the emulator can inject, against a GET, a POST and a
//! PATCH, with the outcome each must have written down in [`matrix`] (tried again and
//! then answered, or a typed error of one kind after a known number of attempts), and
//! every call's wall time bounded by the configured deadline. tests/RELIABILITY.md
//! quotes the table and the counts this test prints.
//!
//! Idempotency, as the core's retry policy (`RetryPolicy` docs) and DESIGN.md's
//! "state that outlives a call" rule decide it: a `POST` or `PATCH` is tried again only
//! after an answer that says the request was not processed (429 or 503) or when the
//! request provably never left (connection refused). A reset, before or after the
//! answer's head, a truncated body and a timeout leave the client unable to know
//! whether the server acted, so they are final for a `POST` or `PATCH` (a reset after
//! headers is the plainest case: the emulator did create or update the user).

use std::time::{Duration, Instant};

use clerk_core::{Client, Error, RetryPolicy};
use clerk_emulator::{Emulator, Fault, FaultAction};
use serde_json::{Value, json};

/// The whole budget of one call (all attempts and waits).
const DEADLINE: Duration = Duration::from_secs(3);
/// How far past the deadline a call may end: a bound on hangs, not a speed goal.
const MARGIN: Duration = Duration::from_secs(2);
/// The body limit of the client, below the oversized fault's body.
const MAX_RESPONSE_BYTES: u64 = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
    Patch,
}

impl Verb {
    fn method(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Patch => "PATCH",
        }
    }

    /// The spec template the fault matches, as the emulator's counters name it.
    fn path(self) -> &'static str {
        match self {
            Verb::Post => "/v1/users",
            Verb::Get | Verb::Patch => "/v1/users/{user_id}",
        }
    }
}

/// What one fault must lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The call succeeds after this many attempts (the faulty ones included).
    Ok { attempts: u64 },
    /// The call fails with `Error::kind() == kind` (and, for `api`, this status) after
    /// this many attempts; `None` attempts for faults where the connection never
    /// reaches the emulator.
    Err {
        kind: &'static str,
        status: Option<u16>,
        attempts: Option<u64>,
    },
}

const fn ok(attempts: u64) -> Expect {
    Expect::Ok { attempts }
}

const fn err(kind: &'static str, attempts: u64) -> Expect {
    Expect::Err {
        kind,
        status: None,
        attempts: Some(attempts),
    }
}

const fn api(status: u16, attempts: u64) -> Expect {
    Expect::Err {
        kind: "api",
        status: Some(status),
        attempts: Some(attempts),
    }
}

/// One row: a fault, the outcome for GET, POST and PATCH, and the least time the call
/// must take (a `Retry-After` honoured).
struct Case {
    name: &'static str,
    fault: fn() -> Fault,
    get: Expect,
    post: Expect,
    patch: Expect,
    at_least: Duration,
}

fn status(code: u16) -> Fault {
    Fault {
        status: Some(code),
        ..Fault::default()
    }
}

fn action(action: FaultAction) -> Fault {
    Fault {
        action: Some(action),
        ..Fault::default()
    }
}

/// The expected outcomes. `times` is 1 unless said: the fault hits the first attempt.
fn matrix() -> Vec<Case> {
    let none = Duration::ZERO;
    vec![
        Case {
            name: "429 Retry-After: 1 (seconds)",
            fault: || Fault {
                retry_after: Some("1".into()),
                ..status(429)
            },
            get: ok(2),
            post: ok(2),
            patch: ok(2),
            at_least: Duration::from_millis(950),
        },
        Case {
            // The date has whole seconds: 2 s from the emulator's clock is 1 to 2 s away.
            name: "429 Retry-After: HTTP-date 2 s ahead",
            fault: || Fault {
                retry_after_date_in: Some(2),
                ..status(429)
            },
            get: ok(2),
            post: ok(2),
            patch: ok(2),
            at_least: Duration::from_millis(900),
        },
        Case {
            name: "429 Retry-After: HTTP-date in the past (retry at once)",
            fault: || Fault {
                retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
                ..status(429)
            },
            get: ok(2),
            post: ok(2),
            patch: ok(2),
            at_least: none,
        },
        Case {
            name: "429 Retry-After: RFC 850 date 2 s ahead is honoured like IMF-fixdate",
            fault: || Fault {
                retry_after: Some(rfc850_in(2)),
                ..status(429)
            },
            get: ok(2),
            post: ok(2),
            patch: ok(2),
            at_least: Duration::from_millis(900),
        },
        Case {
            name: "429 Retry-After: 3600 (beyond max_backoff: final)",
            fault: || Fault {
                retry_after: Some("3600".into()),
                ..status(429)
            },
            get: api(429, 1),
            post: api(429, 1),
            patch: api(429, 1),
            at_least: none,
        },
        Case {
            name: "429 three times (attempts exhausted)",
            fault: || Fault {
                times: Some(3),
                retry_after: Some("0".into()),
                ..status(429)
            },
            get: api(429, 3),
            post: api(429, 3),
            patch: api(429, 3),
            at_least: none,
        },
        Case {
            name: "500",
            fault: || status(500),
            get: ok(2),
            post: api(500, 1),
            patch: api(500, 1),
            at_least: none,
        },
        Case {
            name: "502",
            fault: || status(502),
            get: ok(2),
            post: api(502, 1),
            patch: api(502, 1),
            at_least: none,
        },
        Case {
            name: "503",
            fault: || status(503),
            get: ok(2),
            post: ok(2),
            patch: ok(2),
            at_least: none,
        },
        Case {
            name: "504",
            fault: || status(504),
            get: ok(2),
            post: api(504, 1),
            patch: api(504, 1),
            at_least: none,
        },
        Case {
            name: "connection reset before headers",
            fault: || action(FaultAction::Reset),
            get: ok(2),
            post: err("transport", 1),
            patch: err("transport", 1),
            at_least: none,
        },
        Case {
            name: "connection reset after headers (request processed)",
            fault: || action(FaultAction::ResetAfterHeaders),
            get: ok(2),
            post: err("transport", 1),
            patch: err("transport", 1),
            at_least: none,
        },
        Case {
            name: "truncated body",
            fault: || action(FaultAction::Truncate),
            get: ok(2),
            post: err("transport", 1),
            patch: err("transport", 1),
            at_least: none,
        },
        Case {
            name: "invalid JSON body (200)",
            fault: || action(FaultAction::InvalidJson),
            get: err("decode", 1),
            post: err("decode", 1),
            patch: err("decode", 1),
            at_least: none,
        },
        Case {
            name: "oversized body (1 MiB > max_response_bytes)",
            fault: || Fault {
                body_bytes: Some(1 << 20),
                ..action(FaultAction::Oversized)
            },
            get: err("response_too_large", 1),
            post: err("response_too_large", 1),
            patch: err("response_too_large", 1),
            at_least: none,
        },
        Case {
            name: "slow headers past the deadline",
            fault: || Fault {
                delay_ms: Some(millis(DEADLINE) + 1_000),
                ..Fault::default()
            },
            get: err("timeout", 1),
            post: err("timeout", 1),
            patch: err("timeout", 1),
            at_least: DEADLINE.saturating_sub(Duration::from_millis(50)),
        },
        Case {
            name: "slow body past the deadline",
            fault: || Fault {
                delay_ms: Some(millis(DEADLINE) + 1_000),
                ..action(FaultAction::SlowBody)
            },
            get: err("timeout", 1),
            post: err("timeout", 1),
            patch: err("timeout", 1),
            at_least: DEADLINE.saturating_sub(Duration::from_millis(50)),
        },
        Case {
            name: "slow headers within the deadline (answered)",
            fault: || Fault {
                delay_ms: Some(300),
                ..Fault::default()
            },
            get: ok(1),
            post: ok(1),
            patch: ok(1),
            at_least: Duration::from_millis(290),
        },
    ]
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis() as u64
}

/// An RFC 850 date `seconds` from now (`Sunday, 06-Nov-94 08:49:37 GMT`), built from the
/// emulator's IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn rfc850_in(seconds: u64) -> String {
    let imf = imf_fixdate_in(seconds);
    let parts: Vec<&str> = imf.split(' ').collect();
    let weekday = match parts[0] {
        "Mon," => "Monday,",
        "Tue," => "Tuesday,",
        "Wed," => "Wednesday,",
        "Thu," => "Thursday,",
        "Fri," => "Friday,",
        "Sat," => "Saturday,",
        _ => "Sunday,",
    };
    format!(
        "{weekday} {}-{}-{} {} GMT",
        parts[1],
        parts[2],
        &parts[3][2..],
        parts[4]
    )
}

/// What the emulator sends for `retry_after_date_in`, read back from its answer.
fn imf_fixdate_in(seconds: u64) -> String {
    let emulator = Emulator::start().unwrap();
    emulator.inject_fault(Fault {
        method: Some("GET".into()),
        path: "/v1/jwks".into(),
        retry_after_date_in: Some(seconds),
        ..status(429)
    });
    let client = client_for(&emulator, RetryPolicy::disabled());
    let error = client.call("jwks.get_jwks", &json!({})).unwrap_err();
    let api = error.api().expect("an API error");
    api.headers
        .iter()
        .find(|(name, _)| name == "retry-after")
        .map(|(_, value)| value.clone())
        .expect("a Retry-After header")
}

fn policy() -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(20))
        .max_backoff(Duration::from_secs(5))
        .max_elapsed(DEADLINE)
        .build()
        .unwrap()
}

fn client_for(emulator: &Emulator, retry: RetryPolicy) -> Client {
    Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .retry_policy(retry)
        .max_response_bytes(MAX_RESPONSE_BYTES)
        .build()
        .unwrap()
}

/// Runs `verb` once through the typed path (the body is decoded as JSON, so a body that
/// is not JSON is an error), returning the user object.
fn run(client: &Client, verb: Verb, user_id: &str, serial: usize) -> Result<Value, Error> {
    let (name, params) = match verb {
        Verb::Get => ("users.get", json!({"user_id": user_id})),
        Verb::Post => (
            "users.create",
            json!({"email_address": [format!("matrix{serial}@example.com")]}),
        ),
        Verb::Patch => (
            "users.update",
            json!({"user_id": user_id, "first_name": format!("Run{serial}")}),
        ),
    };
    let op = clerk_core::operations::find(name).expect("operation exists");
    client.call_typed::<Value, Value>(op, &params)
}

fn check(
    case: &Case,
    verb: Verb,
    expect: Expect,
    result: &Result<Value, Error>,
    attempts: u64,
    elapsed: Duration,
) -> Result<(), String> {
    if elapsed > DEADLINE + MARGIN {
        return Err(format!(
            "took {elapsed:?}, beyond the deadline {DEADLINE:?} + {MARGIN:?}"
        ));
    }
    if elapsed < case.at_least {
        return Err(format!(
            "took {elapsed:?}, less than {:?} (Retry-After or delay not honoured)",
            case.at_least
        ));
    }
    match (expect, result) {
        (Expect::Ok { attempts: want }, Ok(user)) => {
            if user["object"] != "user" || !user["id"].is_string() {
                return Err(format!("answered, but not a user: {user}"));
            }
            if verb == Verb::Patch && !user["first_name"].as_str().unwrap_or("").starts_with("Run")
            {
                return Err(format!("PATCH answered without the update: {user}"));
            }
            if attempts != want {
                return Err(format!(
                    "answered after {attempts} attempts, expected {want}"
                ));
            }
            Ok(())
        }
        (
            Expect::Err {
                kind,
                status,
                attempts: want,
            },
            Err(error),
        ) => {
            if error.kind() != kind || error.status() != status {
                return Err(format!(
                    "expected {kind} {status:?}, got {} {:?}: {error}",
                    error.kind(),
                    error.status()
                ));
            }
            if want.is_some_and(|want| want != attempts) {
                return Err(format!(
                    "failed after {attempts} attempts, expected {want:?}: {error}"
                ));
            }
            Ok(())
        }
        (expect, got) => Err(format!("expected {expect:?}, got {got:?}")),
    }
}

#[test]
fn every_fault_against_get_post_and_patch() {
    let emulator = Emulator::start().unwrap();
    let client = client_for(&emulator, policy());
    let user = client
        .call(
            "users.create",
            &json!({"email_address": ["target@example.com"]}),
        )
        .unwrap()
        .json::<Value>()
        .unwrap();
    let user_id = user["id"].as_str().unwrap().to_owned();

    let mut tried = 0;
    let mut failures = Vec::new();
    let mut serial = 0;
    let mut slowest = Duration::ZERO;
    for case in matrix() {
        for (verb, expect) in [
            (Verb::Get, case.get),
            (Verb::Post, case.post),
            (Verb::Patch, case.patch),
        ] {
            serial += 1;
            tried += 1;
            emulator.clear_faults();
            let route = format!("{} {}", verb.method(), verb.path());
            let before = emulator.counters().route(&route);
            emulator.inject_fault(Fault {
                method: Some(verb.method().into()),
                path: verb.path().into(),
                ..(case.fault)()
            });
            let started = Instant::now();
            let result = run(&client, verb, &user_id, serial);
            let elapsed = started.elapsed();
            slowest = slowest.max(elapsed);
            let attempts = emulator.counters().route(&route) - before;
            let outcome = check(&case, verb, expect, &result, attempts, elapsed);
            println!(
                "{:<4} {:<5} {:<70} {:>5} ms  {} attempt(s)  {}",
                if outcome.is_ok() { "ok" } else { "FAIL" },
                verb.method(),
                case.name,
                elapsed.as_millis(),
                attempts,
                match &result {
                    Ok(_) => "answered".to_owned(),
                    Err(error) => format!("{} error", error.kind()),
                }
            );
            if let Err(why) = outcome {
                failures.push(format!("{} x {}: {why}", case.name, verb.method()));
            }
        }
    }
    let passed = tried - failures.len();
    println!(
        "fault matrix: {passed} passed, {} failed ({tried} cases, slowest {} ms, deadline {} ms)",
        failures.len(),
        slowest.as_millis(),
        DEADLINE.as_millis()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The server gone: nothing listens any more, so the connection is refused. The request
/// provably never left, so every method is tried again, and the call ends with a
/// transport error well within the deadline.
#[test]
fn server_gone_is_a_transport_error_for_every_method() {
    let emulator = Emulator::start().unwrap();
    let client = client_for(&emulator, policy());
    let user = client
        .call(
            "users.create",
            &json!({"email_address": ["gone@example.com"]}),
        )
        .unwrap()
        .json::<Value>()
        .unwrap();
    let user_id = user["id"].as_str().unwrap().to_owned();
    emulator.stop();
    for (serial, verb) in [Verb::Get, Verb::Post, Verb::Patch].into_iter().enumerate() {
        let started = Instant::now();
        let result = run(&client, verb, &user_id, serial);
        let elapsed = started.elapsed();
        println!(
            "server gone x {}: {} in {} ms",
            verb.method(),
            result
                .as_ref()
                .map_or_else(|e| e.to_string(), |_| "answered".into()),
            elapsed.as_millis()
        );
        match result {
            Err(Error::Transport { not_sent, .. }) => {
                assert!(
                    not_sent,
                    "{verb:?}: a refused connection never sent the request"
                )
            }
            other => panic!("{verb:?}: expected a transport error, got {other:?}"),
        }
        assert!(elapsed <= DEADLINE + MARGIN, "{verb:?} took {elapsed:?}");
    }
}

/// A per-call timeout shorter than the client's budget bounds the call the same way.
#[test]
fn a_per_call_timeout_bounds_a_slow_answer() {
    let emulator = Emulator::start().unwrap();
    let client = client_for(&emulator, policy());
    emulator.inject_fault(Fault {
        method: Some("GET".into()),
        path: "/v1/users".into(),
        delay_ms: Some(2_000),
        ..Fault::default()
    });
    let started = Instant::now();
    let error = client
        .call_with(
            "users.list",
            &json!({}),
            &clerk_core::CallOptions::new().timeout(Duration::from_millis(500)),
        )
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(
        elapsed <= Duration::from_millis(500) + MARGIN,
        "{elapsed:?}"
    );
}

/// Why a reset after headers is final for a `POST`: the emulator did create the user,
/// so trying again would create a second one. One user more, not two, and one attempt.
#[test]
fn a_post_reset_after_headers_was_processed_and_is_not_sent_again() {
    let emulator = Emulator::start().unwrap();
    let client = client_for(&emulator, policy());
    let count = |client: &Client| {
        client
            .call("users.count", &json!({}))
            .unwrap()
            .json::<Value>()
            .unwrap()["total_count"]
            .as_u64()
            .unwrap()
    };
    let before = count(&client);
    emulator.inject_fault(Fault {
        method: Some("POST".into()),
        path: "/v1/users".into(),
        ..action(FaultAction::ResetAfterHeaders)
    });
    let error = run(&client, Verb::Post, "", 0).unwrap_err();
    assert_eq!(error.kind(), "transport", "{error}");
    assert_eq!(emulator.counters().route("POST /v1/users"), 1);
    assert_eq!(count(&client), before + 1);
}
