//! Backend API call throughput from Rust (a benchmark for `bench/run.sh`: prints, asserts
//! nothing). Against a Clerk emulator on 127.0.0.1 (never a real instance: the calls are
//! many and fast):
//!
//! - `api_bench URL SECRET get N USER_ID`: N sequential `client.users().get(USER_ID)`;
//! - `api_bench URL SECRET list TOTAL PAGE`: `client.users().list_all` with `limit = PAGE`
//!   until TOTAL users (or the end), each user decoded into `models::User`.
//!
//! Prints one JSON line: calls made by this program's loop (the emulator counts them too),
//! items, wall seconds and the CPU seconds of the calling thread (the blocking client does
//! its I/O on it; `/proc/thread-self/schedstat`, nanoseconds), taken around the loop only.
use std::time::Instant;

use clerk_core::Client;
use clerk_core::params::UsersListParams;
use serde_json::json;

/// CPU seconds this thread has run (Linux `/proc/thread-self/schedstat`, nanoseconds).
fn thread_cpu_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns: f64 = text
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .unwrap_or(0.0);
    ns / 1e9
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: api_bench URL SECRET get N USER_ID | list TOTAL PAGE");
        std::process::exit(2);
    }
    let client = Client::builder()
        .api_url(&args[1])
        .secret_key(&args[2])
        .build()?;
    let mode = args[3].as_str();
    let n: u64 = args[4].parse()?;
    let (wall, cpu) = (Instant::now(), thread_cpu_seconds());
    let (calls, items) = match mode {
        "get" => {
            for _ in 0..n {
                let user = client.users().get(&args[5])?;
                std::hint::black_box(user);
            }
            (n, n)
        }
        "list" => {
            let page: u64 = args[5].parse()?;
            let mut items = 0u64;
            let params = UsersListParams::new().limit(page as i64);
            for user in client.users().list_all(&params).take(n as usize) {
                std::hint::black_box(user?);
                items += 1;
            }
            (items.div_ceil(page), items)
        }
        _ => return Err(format!("unknown mode {mode}").into()),
    };
    let line = json!({
        "bench": "api", "impl": "rust", "mode": mode, "calls": calls, "items": items,
        "wall_s": wall.elapsed().as_secs_f64(), "cpu_s": thread_cpu_seconds() - cpu,
    });
    println!("{line}");
    Ok(())
}
