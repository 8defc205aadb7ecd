//! Helpers shared by the verification tests: keys, clocks, a fake JWKS source and a
//! scripted loopback server (the emulator's scripted mode).
#![allow(dead_code)]

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

/// A scripted emulator answering every request with a fixed status and body, and
/// recording what it received.
pub struct LoopbackServer {
    pub url: String,
    server: clerk_emulator::Emulator,
}

impl LoopbackServer {
    pub fn start(status: u16, body: &str) -> LoopbackServer {
        let server = clerk_emulator::Emulator::start_scripted().expect("start the emulator");
        server.script_fallback(Some(clerk_emulator::Reply::json(status, body)));
        LoopbackServer {
            url: server.api_url(),
            server,
        }
    }

    pub fn requests(&self) -> Vec<clerk_emulator::Recorded> {
        self.server.requests()
    }
}
