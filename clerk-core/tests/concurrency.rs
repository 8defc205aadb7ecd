//! Eight threads share one `Client` and one `Verifier` (keys from the emulator's JWKS)
//! for a bounded number of iterations of mixed API calls and verifications, while a
//! ninth thread rotates the emulator's signing key every 300 ms. Every result is
//! checked: API calls return the data written; a token signed by the current key
//! verifies; a token whose key was rotated out is refused once the verifier has
//! refreshed. The figures printed here are quoted in tests/RELIABILITY.md (also run
//! under ThreadSanitizer there).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use clerk_core::verify::{Reason, Verifier};
use clerk_core::{Client, RetryPolicy};
use clerk_emulator::Emulator;
use serde_json::{Value, json};

const THREADS: usize = 8;
/// Iterations per worker: at least this many...
const MIN_ITERATIONS: usize = 30;
/// ...and on until the rotator has rotated `MIN_ROTATIONS` times, at most this many.
const MAX_ITERATIONS: usize = 400;
const MIN_ROTATIONS: u64 = 4;
const ROTATE_EVERY: Duration = Duration::from_millis(300);
/// The rotator stops after this many rotations whatever happens (bounded).
const MAX_ROTATIONS: u64 = 200;

#[derive(Default)]
struct Figures {
    api_calls: AtomicU64,
    verified: AtomicU64,
    /// A token whose key rotated out between signing and verifying, refused.
    refused_after_rotation: AtomicU64,
    /// A token whose key rotated out between signing and verifying, still accepted
    /// because the verifier had not refreshed yet (allowed until the next refresh).
    accepted_before_refresh: AtomicU64,
    /// A current-key token refused because a fetch begun before the rotation answered
    /// first; the next try must verify.
    retried_after_racing_fetch: AtomicU64,
    old_key_refused: AtomicU64,
    rotations: AtomicU64,
    wrong: AtomicU64,
}

/// The emulator's key generation: bumped by the rotator under the write lock, so a
/// worker that signs under the read lock knows which generation signed its token.
struct Keys {
    generation: u64,
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn session(sub: &str) -> Value {
    let mut claims = clerk_core::testing::default_claims(now_s());
    claims.insert("sub".into(), json!(sub));
    Value::Object(claims)
}

fn fail(figures: &Figures, what: String) {
    figures.wrong.fetch_add(1, Ordering::Relaxed);
    eprintln!("WRONG: {what}");
}

fn api_round(client: &Client, figures: &Figures, thread: usize, iteration: usize) {
    let email = format!("t{thread}i{iteration}@example.com");
    let created = client.call("users.create", &json!({"email_address": [email]}));
    let user: Value = match created.and_then(|r| r.json()) {
        Ok(user) => user,
        Err(error) => return fail(figures, format!("create {email}: {error}")),
    };
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    let got = client
        .call("users.get", &json!({"user_id": id}))
        .and_then(|r| r.json::<Value>());
    match got {
        Ok(got)
            if got["id"] == id.as_str() && got["email_addresses"][0]["email_address"] == email => {}
        other => fail(figures, format!("get {id}: {other:?}")),
    }
    let name = format!("T{thread}I{iteration}");
    let updated = client
        .call("users.update", &json!({"user_id": id, "first_name": name}))
        .and_then(|r| r.json::<Value>());
    match updated {
        Ok(updated) if updated["first_name"] == name.as_str() => {}
        other => fail(figures, format!("update {id}: {other:?}")),
    }
    let listed = client
        .call("users.list", &json!({"email_address": [email]}))
        .and_then(|r| r.json::<Value>());
    match listed {
        Ok(Value::Array(users)) if users.len() == 1 && users[0]["id"] == id.as_str() => {}
        other => fail(figures, format!("list by {email}: {other:?}")),
    }
    figures.api_calls.fetch_add(4, Ordering::Relaxed);
}

fn verify_round(
    emulator: &Emulator,
    verifier: &Verifier,
    keys: &RwLock<Keys>,
    figures: &Figures,
    sub: &str,
) {
    let (generation, token) = {
        let keys = keys.read().unwrap();
        (keys.generation, emulator.sign_claims(&session(sub)))
    };
    let current = || keys.read().unwrap().generation;
    match verifier.verify(&token) {
        Ok(claims) if claims.sub == sub => {
            if current() != generation {
                figures
                    .accepted_before_refresh
                    .fetch_add(1, Ordering::Relaxed);
            } else {
                figures.verified.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(claims) => fail(figures, format!("verified as {} not {sub}", claims.sub)),
        Err(error) if error.reason == Reason::JwkKidMismatch => {
            if current() != generation {
                figures
                    .refused_after_rotation
                    .fetch_add(1, Ordering::Relaxed);
                return;
            }
            // Still the current key: a fetch that began before the rotation answered
            // this verification. Any fetch from now on began after it, so the next try
            // must verify, unless the key rotated again meanwhile.
            match verifier.verify(&token) {
                Ok(claims) if claims.sub == sub => {
                    figures
                        .retried_after_racing_fetch
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(error) if error.reason == Reason::JwkKidMismatch && current() != generation => {
                    figures
                        .refused_after_rotation
                        .fetch_add(1, Ordering::Relaxed);
                }
                other => fail(
                    figures,
                    format!("current-key token refused twice: {error:?}, then {other:?}"),
                ),
            }
        }
        Err(error) => fail(figures, format!("verify: {error:?}")),
    }
}

/// Rotates, then checks with the shared verifier that the new key verifies and that
/// the previous key's token, once the verifier has refreshed, is refused.
fn rotate_round(emulator: &Emulator, verifier: &Verifier, keys: &RwLock<Keys>, figures: &Figures) {
    let old_token = emulator.sign_claims(&session("user_rotator"));
    {
        let mut keys = keys.write().unwrap();
        emulator.rotate_key();
        keys.generation += 1;
    }
    figures.rotations.fetch_add(1, Ordering::Relaxed);
    let new_token = emulator.sign_claims(&session("user_rotator"));
    // The new kid is unknown to the cache: a miss refetches (interval 0). A fetch begun
    // before the rotation may answer the first try; the second must see the new key.
    let first = verifier.verify(&new_token);
    let verified = first.is_ok() || verifier.verify(&new_token).is_ok();
    if !verified {
        return fail(figures, format!("new key not picked up: {first:?}"));
    }
    // The cache now holds the set fetched after the rotation: the old key is gone.
    match verifier.verify(&old_token) {
        Err(error) if error.reason == Reason::JwkKidMismatch => {
            figures.old_key_refused.fetch_add(1, Ordering::Relaxed);
        }
        other => fail(figures, format!("rotated-out key after refresh: {other:?}")),
    }
}

#[test]
fn eight_threads_share_a_client_and_a_verifier_under_key_rotation() {
    let emulator = Emulator::start().unwrap();
    let client = Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .retry_policy(
            RetryPolicy::builder()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_secs(1))
                .max_elapsed(Duration::from_secs(20))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    // Every unknown kid refetches (interval 0, the tests-only setting), so a rotation is
    // seen at the first token of the new key.
    let verifier = Verifier::builder()
        .client(client.clone())
        .kid_refetch_interval(Duration::ZERO)
        .build()
        .unwrap();
    let keys = RwLock::new(Keys { generation: 0 });
    let figures = Arc::new(Figures::default());
    let done = AtomicBool::new(false);
    let started = Instant::now();

    std::thread::scope(|scope| {
        let rotator = scope.spawn(|| {
            while !done.load(Ordering::Relaxed)
                && figures.rotations.load(Ordering::Relaxed) < MAX_ROTATIONS
            {
                std::thread::sleep(ROTATE_EVERY);
                rotate_round(&emulator, &verifier, &keys, &figures);
            }
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (client, verifier, keys, figures, emulator) =
                    (&client, &verifier, &keys, &figures, &emulator);
                scope.spawn(move || {
                    let sub = format!("user_thread_{thread}");
                    let mut iterations = 0;
                    while iterations < MAX_ITERATIONS
                        && (iterations < MIN_ITERATIONS
                            || figures.rotations.load(Ordering::Relaxed) < MIN_ROTATIONS)
                    {
                        api_round(client, figures, thread, iterations);
                        verify_round(emulator, verifier, keys, figures, &sub);
                        // A garbage token is refused whatever the keys are doing.
                        match verifier.verify("not.a.token") {
                            Err(error) if error.reason == Reason::TokenInvalid => {}
                            other => fail(figures, format!("garbage token: {other:?}")),
                        }
                        iterations += 1;
                    }
                    iterations
                })
            })
            .collect();
        let iterations: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        done.store(true, Ordering::Relaxed);
        rotator.join().unwrap();
        let f = &figures;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        println!(
            "concurrency: {THREADS} threads, {iterations} iterations in {} ms; {} API calls; \
             {} verified with the current key, {} retried after a fetch raced a rotation, \
             {} refused after their key rotated out, {} accepted before the refresh; \
             {} rotations, each new key picked up and {} old keys refused after it; \
             {} wrong; {} JWKS fetches",
            started.elapsed().as_millis(),
            load(&f.api_calls),
            load(&f.verified),
            load(&f.retried_after_racing_fetch),
            load(&f.refused_after_rotation),
            load(&f.accepted_before_refresh),
            load(&f.rotations),
            load(&f.old_key_refused),
            load(&f.wrong),
            emulator.counters().route("GET /v1/jwks"),
        );
        assert_eq!(load(&f.wrong), 0, "wrong results (see stderr)");
        assert!(load(&f.rotations) >= 1, "the key rotated");
        assert_eq!(load(&f.old_key_refused), load(&f.rotations));
        assert_eq!(
            load(&f.api_calls),
            4 * iterations as u64,
            "every API round counted"
        );
    });
}
