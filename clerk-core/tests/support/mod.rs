//! The scripted emulator as the transport tests use it: replies come from a queue, then
//! `200 {}`; every request is logged with its connection. A test that ends with an
//! unexpected request (one a reply's `expect` did not match) fails when its server
//! drops.
#![allow(dead_code)]

use std::sync::Arc;

use clerk_core::testing::RecordingClock;
pub use clerk_emulator::{Recorded as Seen, Reply};

pub struct Server {
    emulator: clerk_emulator::Emulator,
    pub url: String,
}

impl Server {
    /// A scripted server answering `200 {}` once its queue is empty.
    pub fn start() -> Server {
        let server = Server::strict();
        server
            .emulator
            .script_fallback(Some(Reply::json(200, "{}")));
        server
    }

    /// A scripted server whose every request must have a queued reply.
    pub fn strict() -> Server {
        let emulator = clerk_emulator::Emulator::start_scripted().expect("start the emulator");
        let url = emulator.api_url();
        Server { emulator, url }
    }

    /// Queues a reply; replies answer in order.
    pub fn push(&self, reply: Reply) {
        self.emulator.script(reply);
    }

    /// The requests received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.emulator.requests()
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.emulator.counters().connections as usize
    }

    /// Queued replies not used yet.
    pub fn pending(&self) -> usize {
        self.emulator.pending_replies()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let unexpected = self.emulator.unexpected();
            assert!(unexpected.is_empty(), "unexpected requests: {unexpected:?}");
        }
    }
}

/// A retry clock that records the waits instead of sleeping (jitter 0).
pub fn recording_clock() -> Arc<RecordingClock> {
    Arc::new(RecordingClock::new())
}
