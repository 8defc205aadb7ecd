//! How often the verifier goes to the network: verifies one session token many times
//! against the built-in emulator's JWKS and prints the number of JWKS fetches the
//! emulator counted (expected: exactly 1, whatever the count).
//!
//! Run: `cargo run --release -p clerk-core --example jwks_fetch_count [VERIFICATIONS]`
//! (default 100000).

use std::error::Error;
use std::time::Instant;

use clerk_core::Client;
use clerk_core::verify::Verifier;
use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn Error>> {
    let verifications: u64 = match std::env::args().nth(1) {
        Some(count) => count.parse()?,
        None => 100_000,
    };
    let emulator = clerk_emulator::Emulator::start()?;
    let client = Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .build()?;
    let call = |name: &str, params: Value| -> Result<Value, Box<dyn Error>> {
        Ok(serde_json::from_str(&client.call(name, &params)?.body)?)
    };
    let user = call(
        "users.create",
        json!({"email_address": ["bench@example.com"]}),
    )?;
    let session = call("sessions.create", json!({"user_id": user["id"]}))?;
    let token = call(
        "sessions.create_token",
        json!({"session_id": session["id"]}),
    )?;
    let jwt = token["jwt"]
        .as_str()
        .ok_or("the emulator returned no jwt")?;

    let verifier = Verifier::builder()
        .client(client.clone())
        .authorized_parties([emulator.authorized_party()])
        .build()?;
    let started = Instant::now();
    for _ in 0..verifications {
        verifier.verify(jwt)?;
    }
    let elapsed = started.elapsed();
    let fetches = emulator
        .counters()
        .routes
        .get("GET /v1/jwks")
        .copied()
        .unwrap_or(0);
    println!(
        "{verifications} verifications in {:.2} s ({:.0} tokens/s); JWKS fetches counted by the emulator: {fetches} (expected 1)",
        elapsed.as_secs_f64(),
        verifications as f64 / elapsed.as_secs_f64()
    );
    if fetches != 1 {
        return Err(
            format!("expected exactly 1 JWKS fetch, the emulator counted {fetches}").into(),
        );
    }
    Ok(())
}
