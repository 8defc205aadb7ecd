//! `clerk-emulator [--port N] [--secret-key sk_test_...] [--seed FILE] [limits]`
//!
//! Binds 127.0.0.1, prints one JSON line (`api_url`, `secret_key`, `publishable_key`,
//! `jwks_url`, ...) and serves until killed. The limits (`--idle-timeout-ms`,
//! `--request-timeout-ms`, `--max-connections`, `--max-body-bytes`,
//! `--max-buffered-bytes`) are those of `EmulatorBuilder`; out of range, they are a
//! usage error (exit code 2).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: clerk-emulator [--port N] [--secret-key sk_test_...] [--authorized-party ORIGIN] [--seed FILE]
                      [--idle-timeout-ms MS] [--request-timeout-ms MS] [--max-connections N]
                      [--max-body-bytes N] [--max-buffered-bytes N]";

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: not a non-negative integer: {value}\n{USAGE}"))
}

fn parse_args() -> Result<clerk_emulator::EmulatorBuilder, String> {
    let mut builder = clerk_emulator::Emulator::builder();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        builder = match flag.as_str() {
            "--port" => builder.port(
                value
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {value}"))?,
            ),
            "--secret-key" => builder.secret_key(value),
            "--authorized-party" => builder.authorized_party(value),
            "--idle-timeout-ms" => {
                builder.idle_timeout(Duration::from_millis(number(&flag, &value)?))
            }
            "--request-timeout-ms" => {
                builder.request_timeout(Duration::from_millis(number(&flag, &value)?))
            }
            "--max-connections" => builder.max_connections(number(&flag, &value)?),
            "--max-body-bytes" => builder.max_body_bytes(number(&flag, &value)?),
            "--max-buffered-bytes" => builder.max_buffered_bytes(number(&flag, &value)?),
            "--seed" => {
                let text =
                    std::fs::read_to_string(&value).map_err(|e| format!("--seed {value}: {e}"))?;
                let seed = serde_json::from_str(&text)
                    .map_err(|e| format!("--seed {value}: invalid JSON: {e}"))?;
                builder.seed(seed)
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        };
    }
    Ok(builder)
}

fn main() -> ExitCode {
    let builder = match parse_args() {
        Ok(builder) => builder,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let emulator = match builder.start() {
        Ok(emulator) => emulator,
        Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("clerk-emulator: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("clerk-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // One line, flushed, so a parent process can read it and start calling.
    if writeln!(stdout, "{}", emulator.info())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    loop {
        std::thread::park();
    }
}
