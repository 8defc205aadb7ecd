//! Helpers shared by the verification tests: keys, clocks, a fake JWKS source and a tiny
//! loopback HTTP server.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use clerk_core::testing::TestKey;
use clerk_core::verify::{FixedClock, JwksFetchError, JwksSource};

/// "Now" in the tests, in seconds.
pub const N: i64 = 1_700_000_000;

/// One RSA-2048 key per test binary (generation takes a moment).
pub fn key_a() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| TestKey::generate("kid_a").expect("key generation"))
}

/// A second key, for wrong-key and rotation cases.
pub fn key_b() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| TestKey::generate("kid_b").expect("key generation"))
}

/// A clock at `N` seconds.
pub fn clock_at_n() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(N * 1000))
}

/// A JWKS source that counts fetches and answers what it is told.
pub struct FakeSource {
    pub fetches: AtomicUsize,
    pub answer: Mutex<Result<String, JwksFetchError>>,
    pub delay: Duration,
}

impl FakeSource {
    pub fn serving(keys: &[&TestKey]) -> Arc<FakeSource> {
        Arc::new(FakeSource {
            fetches: AtomicUsize::new(0),
            answer: Mutex::new(Ok(jwks_of(keys))),
            delay: Duration::ZERO,
        })
    }

    pub fn slow(keys: &[&TestKey], delay: Duration) -> Arc<FakeSource> {
        Arc::new(FakeSource {
            fetches: AtomicUsize::new(0),
            answer: Mutex::new(Ok(jwks_of(keys))),
            delay,
        })
    }

    pub fn set(&self, answer: Result<String, JwksFetchError>) {
        *self.answer.lock().unwrap() = answer;
    }

    pub fn count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksSource for FakeSource {
    fn fetch_jwks(&self) -> Result<String, JwksFetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        self.answer.lock().unwrap().clone()
    }
}

pub fn jwks_of(keys: &[&TestKey]) -> String {
    let keys: Vec<_> = keys.iter().map(|k| k.public_jwk()).collect();
    serde_json::json!({ "keys": keys }).to_string()
}

/// One request the loopback server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 server answering every request with a fixed status and body, and
/// recording what it received. Serves until the test process ends (bounded by `max`).
pub struct LoopbackServer {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl LoopbackServer {
    pub fn start(status: u16, body: &str, max: usize) -> LoopbackServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let body = body.to_owned();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(max) {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':') {
                        let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.parse().unwrap_or(0);
                        }
                        headers.push((name, value));
                    }
                }
                let mut request_body = vec![0; length];
                let _ = reader.read_exact(&mut request_body);
                log.lock().unwrap().push(Received {
                    request_line: request_line.trim_end().to_owned(),
                    headers,
                    body: String::from_utf8_lossy(&request_body).into_owned(),
                });
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        LoopbackServer { url, received }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
