//! Session verification throughput: the verifier against raw RSA verification.
//!
//! Run: `cargo run --release -p clerk-core --example verify_bench --features testing`
//!
//! Prints tokens/s, per CPU-second of the measuring thread (robust on a shared machine)
//! and by wall clock, for:
//! - raw: aws-lc-rs verifying the same RS256 signature with a pre-parsed key (the floor
//!   any verifier pays);
//! - first-time verify: `Verifier::verify` on a typical v2 session token with the key
//!   cached (PEM key, JWKS-cached key) and the verified-token cache off, and with the
//!   cache on but more distinct tokens than it holds (every call a miss and an insert);
//! - repeated-token verify: the same token again, the cache on (every call a hit);
//! - the ratios to raw, and each on 2 threads sharing one verifier (scaling against 1
//!   thread; the 2-thread CPU figure is the sum of both threads' per-CPU-second rates).
//!
//! With `CLERK_BENCH_TOKEN_FILE` and `CLERK_BENCH_PUBLIC_KEY` set (as `bench/run.sh` does,
//! so that every contestant verifies one token) it runs one round instead: raw aws-lc-rs
//! and `Verifier::verify` with that PEM key, each on 1 and 2 threads for
//! `CLERK_BENCH_SECONDS` (default 1), and prints one JSON line per measurement (count,
//! wall seconds, CPU seconds of the measuring threads).
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clerk_core::testing::{TestKey, mint_with_header_at};
use clerk_core::verify::{FixedClock, JwksFetchError, JwksSource, Verifier};
use serde_json::json;

const NOW: i64 = 1_700_000_000;
const RUN: Duration = Duration::from_secs(1);
/// Interleaved rounds; the best of each is kept (a loaded machine only ever slows a run).
const ROUNDS: usize = 4;

/// CPU time this thread has run, from Linux's `/proc/thread-self/schedstat` (ns); `None`
/// elsewhere. Other processes on a shared machine steal wall time, not this.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Operations per second: by wall clock, and per CPU-second of the measuring thread.
#[derive(Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: Option<f64>,
}

impl Rate {
    /// The figure to compare: per CPU-second when known (robust on a loaded machine).
    fn best(self) -> f64 {
        self.cpu.unwrap_or(self.wall)
    }
}

/// Calls `work` repeatedly for about `RUN`.
fn rate(mut work: impl FnMut()) -> Rate {
    for _ in 0..200 {
        work();
    }
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let mut done = 0u64;
    while start.elapsed() < RUN {
        for _ in 0..100 {
            work();
        }
        done += 100;
    }
    let wall = done as f64 / start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some(done as f64 / ((b - a) as f64 / 1e9)),
        _ => None,
    };
    Rate { wall, cpu }
}

struct StaticJwks(String);

impl JwksSource for StaticJwks {
    fn fetch_jwks(&self) -> Result<String, JwksFetchError> {
        Ok(self.0.clone())
    }
}

fn main() {
    if let (Ok(token), Ok(public)) = (
        std::env::var("CLERK_BENCH_TOKEN_FILE"),
        std::env::var("CLERK_BENCH_PUBLIC_KEY"),
    ) {
        return one_round(&token, &public);
    }
    let key = TestKey::generate("ins_bench").expect("key");
    let token = mint_with_header_at(
        &key,
        &serde_json::Value::Null,
        &json!({
            "sub": "user_2abcdefghijklmnopqrstuvwx",
            "sid": "sess_2abcdefghijklmnopqrstuvwx",
            "iss": "https://clerk.example.test",
            "azp": "https://app.example.test",
            "fea": "o:dashboard,o:billing,u:export",
            "pla": "u:free_user,o:pro",
            "o": {"id": "org_2abcdefghijklmnopqrstuvwx", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3,2"},
        }),
        NOW,
    )
    .expect("mint");
    println!("token: {} bytes", token.len());

    // The raw baseline: the same signature, a pre-parsed key, nothing else.
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let spki: Vec<u8> = {
        let pem = key.public_key_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        STANDARD.decode(body).unwrap()
    };
    let parsed = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki).unwrap();
    parsed
        .verify_sig(signing_input.as_bytes(), &signature)
        .expect("raw verify");

    let clock = Arc::new(FixedClock::new(NOW * 1000));
    let jwks = || Arc::new(StaticJwks(key.jwks().to_string()));
    let build = |cache: usize| {
        Verifier::builder()
            .jwks_source(jwks())
            .authorized_parties(["https://app.example.test"])
            .clock(clock.clone())
            .token_cache_size(cache)
            .build()
            .unwrap()
    };
    let pem_verifier = Verifier::builder()
        .pem_key(key.public_key_pem())
        .authorized_parties(["https://app.example.test"])
        .clock(clock.clone())
        .token_cache_size(0)
        .build()
        .unwrap();
    // First-time verification: the cache off, or on with more distinct tokens than it
    // holds (every verification a miss plus an insert).
    let uncached = build(0);
    let cached = build(1024);
    let churn = build(16);
    let distinct: Vec<String> = (0..64)
        .map(|i| {
            mint_with_header_at(
                &key,
                &serde_json::Value::Null,
                &json!({"sub": format!("user_{i}"), "azp": "https://app.example.test"}),
                NOW,
            )
            .unwrap()
        })
        .collect();
    let second = distinct[1].clone();
    for v in [&pem_verifier, &uncached, &cached] {
        v.verify(&token).expect("verifies");
    }
    cached.verify(&second).expect("verifies");
    let mut next = 0usize;

    // Interleave the measurements so that frequency drift hits all alike; keep the best.
    let mut best = [0f64; 5];
    let mut best_wall = [0f64; 5];
    for _ in 0..ROUNDS {
        let rates = [
            rate(|| {
                black_box(
                    parsed.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature)),
                )
                .unwrap();
            }),
            rate(|| {
                black_box(pem_verifier.verify(black_box(&token))).unwrap();
            }),
            rate(|| {
                black_box(uncached.verify(black_box(&token))).unwrap();
            }),
            rate(|| {
                next = (next + 1) % distinct.len();
                black_box(churn.verify(black_box(&distinct[next]))).unwrap();
            }),
            rate(|| {
                black_box(cached.verify(black_box(&token))).unwrap();
            }),
        ];
        for (i, r) in rates.iter().enumerate() {
            best[i] = best[i].max(r.best());
            best_wall[i] = best_wall[i].max(r.wall);
        }
    }
    let [raw, pem, first, misses, repeated] = best;
    let unit = if thread_cpu_ns().is_some() {
        "tokens per CPU-second of the measuring thread"
    } else {
        "tokens/s (wall)"
    };
    println!("({unit}; best of {ROUNDS} interleaved runs of {RUN:?}; wall figures in brackets)");
    let line = |name: &str, i: usize| {
        println!(
            "{name:<52} {:>10.0}  ratio {:>6.3}  [wall {:>9.0}, ratio {:.3}]",
            best[i],
            best[i] / raw,
            best_wall[i],
            best_wall[i] / best_wall[0]
        );
    };
    line("raw RSA-2048 verify (aws-lc-rs, pre-parsed key)", 0);
    line("first-time verify, PEM key, cache off", 1);
    line("first-time verify, JWKS-cached key, cache off", 2);
    line("first-time verify, distinct tokens, cache on (miss)", 3);
    line("repeated-token verify, cache on (hit)", 4);
    let _ = (pem, first, misses, repeated);

    // Two threads on one verifier, and the raw baseline on two threads to show what the
    // machine allows right now (other load on the cores shows up there).
    println!("2 threads (sum of both; scaling = 2-thread rate / 1-thread rate):");
    let two_line = |name: &str, two: Rate, one: f64, one_wall: f64| {
        println!(
            "{name:<52} {:>10.0}  scaling {:>5.2}x  [wall {:>9.0}, scaling {:.2}x]",
            two.cpu.map_or(f64::NAN, |cpu| 2.0 * cpu),
            two.cpu.map_or(f64::NAN, |cpu| 2.0 * cpu / one),
            two.wall,
            two.wall / one_wall
        );
    };
    let raw_two = two_threads(|_| {
        black_box(parsed.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature)))
            .unwrap();
    });
    two_line("raw RSA verify", raw_two, raw, best_wall[0]);
    let first_two = two_threads(|_| {
        black_box(uncached.verify(black_box(&token))).unwrap();
    });
    two_line(
        "first-time verify, cache off",
        first_two,
        first,
        best_wall[2],
    );
    let same_two = two_threads(|_| {
        black_box(cached.verify(black_box(&token))).unwrap();
    });
    two_line(
        "repeated-token verify, same token on both",
        same_two,
        repeated,
        best_wall[4],
    );
    let own_two = two_threads(|thread| {
        let t = if thread == 0 { &token } else { &second };
        black_box(cached.verify(black_box(t))).unwrap();
    });
    two_line(
        "repeated-token verify, a token per thread",
        own_two,
        repeated,
        best_wall[4],
    );
    let stats = cached.token_cache_stats();
    println!(
        "cache: {} of {} entries, {} hits, {} misses",
        stats.entries, stats.capacity, stats.hits, stats.misses
    );
}

/// `work` (given the thread's index) on two threads at once for about `RUN`: total wall
/// rate, and the mean rate per CPU-second of the two threads.
fn two_threads(work: impl Fn(usize) + Sync) -> Rate {
    let start = Instant::now();
    let results: Vec<(u64, Option<u64>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|thread| {
                let work = &work;
                scope.spawn(move || {
                    let cpu_start = thread_cpu_ns();
                    let mut done = 0u64;
                    while start.elapsed() < RUN {
                        for _ in 0..100 {
                            work(thread);
                        }
                        done += 100;
                    }
                    let cpu = cpu_start
                        .zip(thread_cpu_ns())
                        .map(|(a, b)| b.saturating_sub(a));
                    (done, cpu)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: u64 = results.iter().map(|(done, _)| done).sum();
    let cpu_ns: Option<u64> = results.iter().map(|(_, cpu)| *cpu).sum();
    Rate {
        wall: total as f64 / start.elapsed().as_secs_f64(),
        cpu: cpu_ns
            .filter(|ns| *ns > 0)
            .map(|ns| total as f64 / (ns as f64 / 1e9)),
    }
}

/// One measurement on `threads` threads: count, wall seconds and CPU seconds.
fn measure_jsonl(name: &str, threads: usize, run: Duration, work: impl Fn() + Sync) {
    for _ in 0..200 {
        work();
    }
    let start = Instant::now();
    let results: Vec<(u64, Option<u64>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let cpu_start = thread_cpu_ns();
                    let mut done = 0u64;
                    // Bounded by time and by count.
                    while start.elapsed() < run && done < 100_000_000 {
                        for _ in 0..64 {
                            work();
                        }
                        done += 64;
                    }
                    let cpu = cpu_start
                        .zip(thread_cpu_ns())
                        .map(|(a, b)| b.saturating_sub(a));
                    (done, cpu)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = start.elapsed().as_secs_f64();
    let count: u64 = results.iter().map(|(done, _)| done).sum();
    let cpu_ns: Option<u64> = results.iter().map(|(_, cpu)| *cpu).sum();
    let line = json!({
        "bench": "verify", "impl": name, "threads": threads, "count": count,
        "wall_s": wall, "cpu_s": cpu_ns.map(|ns| ns as f64 / 1e9),
    });
    println!("{line}");
}

/// `bench/run.sh`'s round: raw aws-lc-rs and the verifier on one token from a file.
fn one_round(token_file: &str, public_key_file: &str) {
    let token = std::fs::read_to_string(token_file).expect("token file");
    let token = token.trim();
    let pem = std::fs::read_to_string(public_key_file).expect("public key file");
    let run = std::env::var("CLERK_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(RUN, Duration::from_secs_f64);
    let (signing_input, signature) = token.rsplit_once('.').expect("a JWT");
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .expect("base64url signature");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let spki = STANDARD.decode(body).expect("PEM body");
    let parsed = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki).expect("RSA key");
    parsed
        .verify_sig(signing_input.as_bytes(), &signature)
        .expect("raw verify");
    let verifier = Verifier::builder()
        .pem_key(pem.clone())
        .build()
        .expect("verifier");
    verifier.verify(token).expect("verifies");
    for threads in [1, 2] {
        measure_jsonl("aws-lc-rs-raw", threads, run, || {
            black_box(
                parsed.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature)),
            )
            .unwrap();
        });
        measure_jsonl("rust-verifier", threads, run, || {
            black_box(verifier.verify(black_box(token))).unwrap();
        });
    }
}
