//! `clerk verify`, `clerk webhook verify`, `clerk token mint`.

use std::io::{BufRead, Read, Write};

use clerk_core::Client;
use clerk_core::jsonl::{CaseOptions, jsonl_case, result_line, seconds_to_ms, verify_case};
use clerk_core::testing::{TestKey, mint_session_token_at};
use clerk_core::verify::Verifier;
use clerk_core::webhooks::Webhook;
use serde_json::{Value, json};

const USAGE: &str = "usage:
  clerk verify TOKEN [--jwt-key FILE] [--authorized-party P]... [--audience A]... [--issuer I]...
                     [--now SECONDS] [--clock-skew-ms N]
  clerk verify --jsonl   (JSON lines on stdin: {token, jwtKey, authorizedParties, now,
                          clockSkewInMs, audience, issuer}; one result line each)
  clerk webhook verify --secret whsec_... --header 'svix-id: ...' ... [--now SECONDS] [BODY_FILE]
  clerk webhook sign --secret whsec_... --id MSG_ID --timestamp SECONDS [BODY_FILE]
                     (prints the svix-signature header value, for testing receivers)
  clerk token mint --key PRIVATE_KEY_PEM_FILE --kid KID [--claims JSON] [--header JSON] [--now SECONDS]
Without --jwt-key, CLERK_JWT_KEY or (with CLERK_SECRET_KEY) the instance JWKS is used.";

/// A command-line mistake: exit code 2 with this message.
struct UsageError(String);

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Runs one of the verification subcommands; returns the process exit code.
pub fn run(command: &str, args: &[String]) -> i32 {
    let result = match command {
        "verify" => verify(args),
        "webhook" => match args.first().map(String::as_str) {
            Some("verify") => webhook_verify(&args[1..]),
            Some("sign") => webhook_sign(&args[1..]),
            _ => Err(usage(
                "expected `clerk webhook verify ...` or `clerk webhook sign ...`",
            )),
        },
        "token" => match args.first().map(String::as_str) {
            Some("mint") => token_mint(&args[1..]),
            _ => Err(usage("expected `clerk token mint ...`")),
        },
        other => Err(usage(format!("unknown command {other:?}"))),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("clerk {command}: {message}\n{USAGE}");
            2
        }
    }
}

/// Splits `--name value` options (repeatable) from positional arguments.
struct Args {
    options: Vec<(String, String)>,
    flags: Vec<String>,
    positional: Vec<String>,
}

impl Args {
    fn parse(args: &[String], with_value: &[&str], flags: &[&str]) -> Result<Args, UsageError> {
        let mut parsed = Args {
            options: Vec::new(),
            flags: Vec::new(),
            positional: Vec::new(),
        };
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(name) = arg.strip_prefix("--") {
                let (name, inline) = match name.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_owned())),
                    None => (name, None),
                };
                if flags.contains(&name) {
                    parsed.flags.push(name.to_owned());
                } else if with_value.contains(&name) {
                    let value = match inline {
                        Some(value) => value,
                        None => iter
                            .next()
                            .cloned()
                            .ok_or_else(|| usage(format!("--{name} needs a value")))?,
                    };
                    parsed.options.push((name.to_owned(), value));
                } else {
                    return Err(usage(format!("unknown option --{name}")));
                }
            } else {
                parsed.positional.push(arg.clone());
            }
        }
        Ok(parsed)
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.options
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn one(&self, name: &str) -> Result<Option<String>, UsageError> {
        let values = self.all(name);
        if values.len() > 1 {
            return Err(usage(format!("--{name} given more than once")));
        }
        Ok(values.into_iter().next())
    }

    fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}

fn read_file(path: &str) -> Result<String, UsageError> {
    std::fs::read_to_string(path).map_err(|e| usage(format!("cannot read {path}: {e}")))
}

fn parse_seconds(text: &str) -> Result<f64, UsageError> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .ok_or_else(|| usage(format!("--now {text:?} is not a number of seconds")))
}

/// The verifier used when no PEM key is given: the JWKS of `Client::from_env()` when
/// `CLERK_SECRET_KEY` is set (one cache for the whole run).
fn env_verifier() -> Result<Verifier, UsageError> {
    let mut builder = Verifier::builder();
    if let Ok(pem) = std::env::var("CLERK_JWT_KEY") {
        builder = builder.pem_key(pem);
    }
    if std::env::var("CLERK_SECRET_KEY").is_ok_and(|k| !k.is_empty()) {
        let client =
            Client::from_env().map_err(|e| usage(format!("CLERK_SECRET_KEY client: {e}")))?;
        builder = builder.client(client);
    }
    builder
        .build_lenient()
        .map_err(|e| usage(format!("verifier from the environment: {e}")))
}

fn verify(args: &[String]) -> Result<i32, UsageError> {
    let args = Args::parse(
        args,
        &[
            "jwt-key",
            "authorized-party",
            "audience",
            "issuer",
            "now",
            "clock-skew-ms",
        ],
        &["jsonl"],
    )?;
    let base = env_verifier()?;
    if args.flag("jsonl") {
        if !args.positional.is_empty() || !args.options.is_empty() {
            return Err(usage("--jsonl takes no other arguments"));
        }
        return verify_jsonl(&base);
    }
    let [token] = args.positional.as_slice() else {
        return Err(usage("expected exactly one TOKEN"));
    };
    let options = CaseOptions {
        jwt_key: args
            .one("jwt-key")?
            .map(|path| read_file(&path))
            .transpose()?,
        authorized_parties: args.all("authorized-party"),
        audience: args.all("audience"),
        issuer: args.all("issuer"),
        now_ms: args
            .one("now")?
            .map(|now| parse_seconds(&now))
            .transpose()?
            .map(seconds_to_ms),
        clock_skew_ms: args
            .one("clock-skew-ms")?
            .map(|n| {
                n.parse::<u64>()
                    .map_err(|_| usage(format!("--clock-skew-ms {n:?} is not a whole number")))
            })
            .transpose()?,
    };
    if let Some(pem) = &options.jwt_key {
        if let Err(error) = Verifier::from_pem(pem) {
            return Err(usage(format!("--jwt-key: {error}")));
        }
    }
    let (line, ok) = result_line(verify_case(token, options, &base));
    println!("{line}");
    Ok(if ok { 0 } else { 1 })
}

fn verify_jsonl(base: &Verifier) -> Result<i32, UsageError> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| usage(format!("reading stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let (result, _) = result_line(jsonl_case(&line, base));
        writeln!(out, "{result}").map_err(|e| usage(format!("writing stdout: {e}")))?;
    }
    out.flush()
        .map_err(|e| usage(format!("writing stdout: {e}")))?;
    Ok(0)
}

fn webhook_verify(args: &[String]) -> Result<i32, UsageError> {
    let args = Args::parse(args, &["secret", "header", "now"], &[])?;
    let secret = match args.one("secret")? {
        Some(secret) => secret,
        None => std::env::var("CLERK_WEBHOOK_SECRET")
            .map_err(|_| usage("--secret (or CLERK_WEBHOOK_SECRET) is required"))?,
    };
    let webhook = Webhook::new(&secret).map_err(|e| usage(format!("--secret: {e}")))?;
    let mut headers = Vec::new();
    for header in args.all("header") {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| usage(format!("--header {header:?} is not 'name: value'")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let body = read_body(&args.positional)?;
    let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let result = match args.one("now")? {
        Some(now) => webhook.verify_at(&body, pairs, parse_seconds(&now)?.trunc() as i64),
        None => webhook.verify(&body, pairs),
    };
    match result {
        Ok(event) => {
            println!("{}", json!({"ok": true, "event": event}));
            Ok(0)
        }
        Err(error) => {
            println!(
                "{}",
                json!({"ok": false, "reason": error.reason, "message": error.message})
            );
            Ok(1)
        }
    }
}

fn read_body(positional: &[String]) -> Result<Vec<u8>, UsageError> {
    match positional {
        [] => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|e| usage(format!("reading stdin: {e}")))?;
            Ok(body)
        }
        [path] => std::fs::read(path).map_err(|e| usage(format!("cannot read {path}: {e}"))),
        _ => Err(usage("at most one BODY_FILE")),
    }
}

fn webhook_sign(args: &[String]) -> Result<i32, UsageError> {
    let args = Args::parse(args, &["secret", "id", "timestamp"], &[])?;
    let secret = args
        .one("secret")?
        .ok_or_else(|| usage("--secret is required"))?;
    let webhook = Webhook::new(&secret).map_err(|e| usage(format!("--secret: {e}")))?;
    let id = args.one("id")?.ok_or_else(|| usage("--id is required"))?;
    let timestamp = args
        .one("timestamp")?
        .ok_or_else(|| usage("--timestamp is required"))?;
    let timestamp: i64 = timestamp
        .parse()
        .map_err(|_| usage(format!("--timestamp {timestamp:?} is not whole seconds")))?;
    let body = read_body(&args.positional)?;
    println!("v1,{}", webhook.sign(&id, timestamp, &body));
    Ok(0)
}

fn parse_json_arg(name: &str, text: Option<String>) -> Result<Value, UsageError> {
    match text {
        None => Ok(Value::Null),
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| usage(format!("--{name} is not JSON: {e}")))
        }
    }
}

fn token_mint(args: &[String]) -> Result<i32, UsageError> {
    let args = Args::parse(args, &["key", "kid", "claims", "header", "now"], &[])?;
    if !args.positional.is_empty() {
        return Err(usage("token mint takes no positional arguments"));
    }
    let key_path = args.one("key")?.ok_or_else(|| usage("--key is required"))?;
    let kid = args.one("kid")?.ok_or_else(|| usage("--kid is required"))?;
    let key = TestKey::from_pem(&kid, &read_file(&key_path)?)
        .map_err(|e| usage(format!("--key: {e}")))?;
    let claims = parse_json_arg("claims", args.one("claims")?)?;
    let header = parse_json_arg("header", args.one("header")?)?;
    let now = match args.one("now")? {
        Some(now) => parse_seconds(&now)?.trunc() as i64,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    let token = if header.is_null() {
        mint_session_token_at(&key, &claims, now)
    } else {
        clerk_core::testing::mint_with_header_at(&key, &header, &claims, now)
    }
    .map_err(|e| usage(e.to_string()))?;
    println!("{token}");
    Ok(0)
}
