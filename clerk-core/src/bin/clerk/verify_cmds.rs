//! `clerk verify`, `clerk webhook verify`, `clerk token mint`.

use std::io::{BufRead, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use clerk_core::Client;
use clerk_core::testing::{TestKey, mint_session_token_at};
use clerk_core::verify::{FixedClock, Reason, SessionClaims, Verifier, VerifyError};
use clerk_core::webhooks::Webhook;
use serde::{Deserialize, Serialize};
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

/// Seconds (maybe fractional) to whole milliseconds, truncated as JavaScript's Date does.
fn seconds_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).trunc() as i64
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

/// The per-case options of one verification.
#[derive(Default)]
struct CaseOptions {
    jwt_key: Option<String>,
    authorized_parties: Vec<String>,
    audience: Vec<String>,
    issuer: Vec<String>,
    now_ms: Option<i64>,
    clock_skew_ms: Option<u64>,
}

fn verify_case(
    token: &str,
    options: CaseOptions,
    base: &Verifier,
) -> Result<SessionClaims, VerifyError> {
    let mut builder = Verifier::builder();
    builder = match &options.jwt_key {
        Some(pem) if !pem.is_empty() => builder.pem_key(pem.clone()),
        _ => builder.keys_from(base),
    };
    builder = builder
        .authorized_parties(options.authorized_parties)
        .audience(options.audience)
        .issuer(options.issuer);
    if let Some(now_ms) = options.now_ms {
        builder = builder.clock(Arc::new(FixedClock::new(now_ms)));
    }
    if let Some(skew) = options.clock_skew_ms {
        builder = builder.clock_skew(Duration::from_millis(skew));
    }
    let verifier = builder
        .build_lenient()
        .map_err(|e| VerifyError::new(Reason::UnexpectedError, e.to_string()))?;
    verifier.verify(token)
}

/// A refusal line: `{"ok": false}` followed by the core's error object (`kind`,
/// `message`, `reason`), the same object the C library returns.
fn refused(error: Value) -> Value {
    let mut line = serde_json::Map::new();
    line.insert("ok".into(), false.into());
    if let Value::Object(fields) = error {
        line.extend(fields);
    }
    Value::Object(line)
}

/// One result line: `{"ok":true,"claims":{...}}` or
/// `{"ok":false,"kind":"verification","message","reason"}`.
/// The claims are serialized straight from what the library returned (never re-parsed
/// into a `Value`, whose recursion limit deeply nested custom claims would hit).
fn result_line(result: Result<SessionClaims, VerifyError>) -> (String, bool) {
    #[derive(Serialize)]
    struct Verified<'a> {
        claims: &'a SessionClaims,
        ok: bool,
    }
    match result {
        Ok(claims) => match serde_json::to_string(&Verified {
            claims: &claims,
            ok: true,
        }) {
            Ok(line) => (line, true),
            Err(e) => result_line(Err(VerifyError::new(
                Reason::UnexpectedError,
                format!("cannot serialize the claims: {e}"),
            ))),
        },
        Err(error) => (refused(error.to_json()).to_string(), false),
    }
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

/// A string or a list of strings (as the reference's options accept).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonlCase {
    token: String,
    #[serde(default)]
    jwt_key: Option<String>,
    #[serde(default)]
    authorized_parties: Option<Vec<String>>,
    #[serde(default)]
    now: Option<f64>,
    #[serde(default)]
    clock_skew_in_ms: Option<f64>,
    #[serde(default)]
    audience: Option<OneOrMany>,
    #[serde(default)]
    issuer: Option<OneOrMany>,
}

fn jsonl_case(line: &str, base: &Verifier) -> Result<SessionClaims, VerifyError> {
    let case: JsonlCase = serde_json::from_str(line).map_err(|e| {
        VerifyError::new(Reason::UnexpectedError, format!("invalid input line: {e}"))
    })?;
    let clock_skew_ms = match case.clock_skew_in_ms {
        None => None,
        Some(skew) if skew >= 0.0 && skew.fract() == 0.0 => Some(skew as u64),
        Some(skew) => {
            return Err(VerifyError::new(
                Reason::UnexpectedError,
                format!("clockSkewInMs {skew} must be a non-negative whole number"),
            ));
        }
    };
    let options = CaseOptions {
        jwt_key: case.jwt_key,
        authorized_parties: case.authorized_parties.unwrap_or_default(),
        audience: case.audience.map(OneOrMany::into_vec).unwrap_or_default(),
        issuer: case.issuer.map(OneOrMany::into_vec).unwrap_or_default(),
        now_ms: case.now.map(seconds_to_ms),
        clock_skew_ms,
    };
    verify_case(&case.token, options, base)
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
            println!("{}", refused(error.to_json()));
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
