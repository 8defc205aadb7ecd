//! `clerk verify`, `clerk webhook verify|sign`, `clerk token mint`.

use std::io::{BufRead, Read};

use clap::{Args, Subcommand};
use clerk_core::VerifierConfig;
use clerk_core::jsonl::{
    CaseOptions, jsonl_case, refused, result_line, seconds_to_ms, verify_case,
};
use clerk_core::testing::{TestKey, mint_session_token_at};
use clerk_core::verify::Verifier;
use clerk_core::webhooks::Webhook;
use serde_json::{Value, json};

use crate::{Failure, Outcome, print_line, usage};

/// `clerk verify`: one token, or JSON lines on stdin.
#[derive(Args)]
#[command(
    after_help = "Without --jwt-key the key comes from CLERK_JWT_KEY or, with \
    CLERK_SECRET_KEY, from the instance's JWKS (one cache for the whole run).\n\
    Prints {\"ok\":true,\"claims\":{...}} (exit 0) or \
    {\"ok\":false,\"reason\":\"token-expired\",\"message\":\"...\"} (exit 1).\n\
    --jsonl reads one {\"token\", \"jwtKey\", \"authorizedParties\", \"now\", \
    \"clockSkewInMs\", \"audience\", \"issuer\", \"repeat\"} object per line and prints one result \
    line each (exit 0)."
)]
pub struct VerifyArgs {
    /// The session token (the __session cookie or the Bearer value).
    #[arg(required_unless_present = "jsonl", conflicts_with = "jsonl")]
    token: Option<String>,
    /// Verify JSON lines from stdin, one result line each.
    #[arg(long)]
    jsonl: bool,
    /// A PEM PUBLIC key file (BEGIN PUBLIC KEY) to verify against, networkless.
    #[arg(long, value_name = "FILE", conflicts_with = "jsonl")]
    jwt_key: Option<String>,
    /// An origin allowed in azp (repeatable).
    #[arg(long = "authorized-party", value_name = "P", conflicts_with = "jsonl")]
    authorized_parties: Vec<String>,
    /// An accepted audience (repeatable).
    #[arg(long, value_name = "A", conflicts_with = "jsonl")]
    audience: Vec<String>,
    /// An accepted issuer (repeatable).
    #[arg(long, value_name = "I", conflicts_with = "jsonl")]
    issuer: Vec<String>,
    /// The time to verify at, in Unix seconds (default: now).
    #[arg(long, value_name = "SECONDS", conflicts_with = "jsonl")]
    now: Option<String>,
    /// Tolerance for exp/nbf/iat in milliseconds (default 5000; at most 300000).
    #[arg(long, value_name = "N", conflicts_with = "jsonl")]
    clock_skew_ms: Option<u64>,
}

/// `clerk webhook ...`.
#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Verify one delivery: prints {"ok":true,"event":{...}} (exit 0) or
    /// {"ok":false,"reason","message"} (exit 1).
    Verify {
        /// The endpoint's signing secret (whsec_...); default CLERK_WEBHOOK_SECRET.
        #[arg(long, value_name = "whsec_...")]
        secret: Option<String>,
        /// A request header 'name: value' (repeatable): svix-id, svix-timestamp,
        /// svix-signature.
        #[arg(long = "header", value_name = "'NAME: VALUE'")]
        headers: Vec<String>,
        /// The time to check the timestamp against, in Unix seconds (default: now).
        #[arg(long, value_name = "SECONDS")]
        now: Option<String>,
        /// The raw body file (default: stdin).
        body_file: Option<String>,
    },
    /// Sign a body as Clerk (Svix) would: prints the svix-signature header value
    /// (v1,...), for testing webhook receivers.
    Sign {
        /// The endpoint's signing secret (whsec_...).
        #[arg(long, value_name = "whsec_...")]
        secret: String,
        /// The message id (the svix-id header).
        #[arg(long, value_name = "MSG_ID")]
        id: String,
        /// The Unix seconds of the svix-timestamp header.
        #[arg(long, value_name = "SECONDS")]
        timestamp: i64,
        /// The raw body file (default: stdin).
        body_file: Option<String>,
    },
}

/// `clerk token ...`.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Mint an RS256 session token signed with a PRIVATE key, for tests.
    Mint {
        /// A PEM PRIVATE key file (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY).
        #[arg(long, value_name = "PRIVATE_KEY_PEM_FILE")]
        key: String,
        /// The kid put in the token's header.
        #[arg(long)]
        kid: String,
        /// Claims as a JSON object (merged over sensible defaults).
        #[arg(long, value_name = "JSON")]
        claims: Option<String>,
        /// The whole JOSE header as a JSON object.
        #[arg(long, value_name = "JSON")]
        header: Option<String>,
        /// The minting time in Unix seconds (default: now).
        #[arg(long, value_name = "SECONDS")]
        now: Option<String>,
    },
}

fn read_file(path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| usage(format!("cannot read {path}: {e}")))
}

fn parse_seconds(text: &str) -> Result<f64, Failure> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .ok_or_else(|| usage(format!("--now {text:?} is not a number of seconds")))
}

/// The verifier used when no PEM key is given: the core's environment configuration
/// (`CLERK_JWT_KEY`, else the JWKS of `CLERK_SECRET_KEY`), built leniently so that an
/// unusable `CLERK_JWT_KEY` is reported per token, as the reference does.
fn env_verifier() -> Result<Verifier, Failure> {
    Ok(VerifierConfig::from_env().builder(None)?.build_lenient()?)
}

/// `clerk verify`.
pub fn verify(args: VerifyArgs) -> Outcome {
    let base = env_verifier()?;
    if args.jsonl {
        return verify_jsonl(&base);
    }
    let Some(token) = args.token else {
        return Err(usage("expected a TOKEN (or --jsonl)"));
    };
    let jwt_key = args.jwt_key.as_deref().map(read_file).transpose()?;
    if let Some(pem) = &jwt_key {
        if let Err(error) = Verifier::from_pem(pem) {
            let message = match error {
                clerk_core::Error::Config { message } => message,
                other => other.to_string(),
            };
            let message = message
                .strip_prefix("CLERK_JWT_KEY / PEM key: ")
                .unwrap_or(&message)
                .to_owned();
            return Err(usage(format!("--jwt-key {message}")));
        }
    }
    let options = CaseOptions {
        jwt_key,
        authorized_parties: args.authorized_parties,
        audience: args.audience,
        issuer: args.issuer,
        now_ms: args
            .now
            .as_deref()
            .map(parse_seconds)
            .transpose()?
            .map(seconds_to_ms),
        clock_skew_ms: args.clock_skew_ms,
        repeat: 1,
    };
    let (line, ok) = result_line(verify_case(&token, options, &base));
    print_line(&line)?;
    Ok(if ok { 0 } else { 1 })
}

fn verify_jsonl(base: &Verifier) -> Outcome {
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| usage(format!("reading stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let (result, _) = result_line(jsonl_case(&line, base));
        print_line(&result)?;
    }
    Ok(0)
}

/// `clerk webhook verify|sign`.
pub fn webhook(command: WebhookCommand) -> Outcome {
    match command {
        WebhookCommand::Verify {
            secret,
            headers,
            now,
            body_file,
        } => webhook_verify(secret, &headers, now.as_deref(), body_file.as_deref()),
        WebhookCommand::Sign {
            secret,
            id,
            timestamp,
            body_file,
        } => {
            let webhook = Webhook::new(&secret).map_err(|e| usage(format!("--secret: {e}")))?;
            let body = read_body(body_file.as_deref())?;
            print_line(&format!("v1,{}", webhook.sign(&id, timestamp, &body)))?;
            Ok(0)
        }
    }
}

fn webhook_verify(
    secret: Option<String>,
    header_args: &[String],
    now: Option<&str>,
    body_file: Option<&str>,
) -> Outcome {
    let secret = match secret {
        Some(secret) => secret,
        None => std::env::var("CLERK_WEBHOOK_SECRET")
            .map_err(|_| usage("--secret (or CLERK_WEBHOOK_SECRET) is required"))?,
    };
    let webhook = Webhook::new(&secret).map_err(|e| usage(format!("--secret: {e}")))?;
    let mut headers = Vec::new();
    for header in header_args {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| usage(format!("--header {header:?} is not 'name: value'")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let body = read_body(body_file)?;
    let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let result = match now {
        Some(now) => webhook.verify_at(&body, pairs, parse_seconds(now)?.trunc() as i64),
        None => webhook.verify(&body, pairs),
    };
    match result {
        Ok(event) => {
            print_line(&json!({"ok": true, "event": event}).to_string())?;
            Ok(0)
        }
        Err(error) => {
            print_line(&refused(error.to_json()).to_string())?;
            Ok(1)
        }
    }
}

fn read_body(body_file: Option<&str>) -> Result<Vec<u8>, Failure> {
    match body_file {
        None => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|e| usage(format!("reading stdin: {e}")))?;
            Ok(body)
        }
        Some(path) => std::fs::read(path).map_err(|e| usage(format!("cannot read {path}: {e}"))),
    }
}

fn parse_json_arg(name: &str, text: Option<&str>) -> Result<Value, Failure> {
    match text {
        None => Ok(Value::Null),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            usage(format!(
                "--{name} is not valid JSON ({e}); give a JSON object such as '{{\"sub\": \"user_1\"}}'"
            ))
        }),
    }
}

/// `clerk token mint`.
pub fn token(command: TokenCommand) -> Outcome {
    let TokenCommand::Mint {
        key,
        kid,
        claims,
        header,
        now,
    } = command;
    let key = TestKey::from_pem(&kid, &read_file(&key)?).map_err(|e| {
        let message = match e {
            clerk_core::Error::Config { message } => message,
            other => other.to_string(),
        };
        usage(format!("--key {message}"))
    })?;
    let claims = parse_json_arg("claims", claims.as_deref())?;
    let header = parse_json_arg("header", header.as_deref())?;
    let now = match now {
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
    print_line(&token)?;
    Ok(0)
}
