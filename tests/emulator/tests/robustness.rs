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
