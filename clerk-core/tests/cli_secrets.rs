//! The `clerk` tool never prints a secret when something fails: no secret key (a refused
//! one included), session token or webhook secret on stdout or stderr, for every command
//! that takes one.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use clerk_core::testing::{TestKey, mint_session_token_at};
use serde_json::json;

const WRONG_KEY: &str = "sk_test_WrongKeyWrongKeyWrong0123456789";
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn clerk(env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clerk"));
    command
        .args(args)
        .env_remove("CLERK_SECRET_KEY")
        .env_remove("CLERK_API_URL")
        .env_remove("CLERK_API_VERSION")
        .env_remove("CLERK_JWT_KEY")
        .env_remove("CLERK_WEBHOOK_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn failing_commands_print_no_secret() {
    let emulator = clerk_emulator::Emulator::start().unwrap();
    let api_url = emulator.api_url();
    let key = TestKey::generate("kid_cli").unwrap();
    let dir = std::env::temp_dir().join(format!("clerk-cli-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem_path = dir.join("key.pem");
    std::fs::write(&pem_path, key.public_key_pem()).unwrap();
    let pem_path = pem_path.to_str().unwrap();
    let expired = mint_session_token_at(&key, &json!({}), now() - 3600).unwrap();
    let valid = mint_session_token_at(&key, &json!({}), now()).unwrap();
    let forged = format!("{}.AAAA", valid.rsplit_once('.').unwrap().0);
    let mut secrets = vec![
        emulator.secret_key().to_owned(),
        WRONG_KEY.to_owned(),
        WEBHOOK_SECRET.to_owned(),
        expired.clone(),
        expired.rsplit_once('.').unwrap().1.to_owned(),
        valid.rsplit_once('.').unwrap().1.to_owned(),
    ];
    let tails: Vec<String> = secrets
        .iter()
        .map(|s| s[s.len().saturating_sub(16)..].to_owned())
        .collect();
    secrets.extend(tails);

    let wrong = [
        ("CLERK_SECRET_KEY", WRONG_KEY),
        ("CLERK_API_URL", api_url.as_str()),
    ];
    let jsonl = format!(
        "{}\n{}\nnot json\n",
        json!({"token": expired, "jwtKey": key.public_key_pem()}),
        json!({"token": forged, "jwtKey": key.public_key_pem()})
    );
    let stale = (now() - 3600).to_string();
    let runs: Vec<(&str, Output, i32)> = vec![
        (
            "call with a refused key",
            clerk(&wrong, &["call", "users.list"], ""),
            1,
        ),
        (
            "raw request with a refused key",
            clerk(&wrong, &["request", "GET", "/users"], ""),
            1,
        ),
        (
            "pages with a refused key",
            clerk(&wrong, &["pages", "users.list"], ""),
            1,
        ),
        (
            "secret key with a space",
            clerk(
                &[
                    ("CLERK_SECRET_KEY", &format!("{WRONG_KEY} x")),
                    ("CLERK_API_URL", &api_url),
                ],
                &["call", "users.list"],
                "",
            ),
            1,
        ),
        (
            "verify an expired token",
            clerk(&[], &["verify", &expired, "--jwt-key", pem_path], ""),
            1,
        ),
        (
            "verify a forged token",
            clerk(&[], &["verify", &forged, "--jwt-key", pem_path], ""),
            1,
        ),
        (
            "verify --jsonl",
            clerk(&[], &["verify", "--jsonl"], &jsonl),
            0,
        ),
        (
            "verify with the JWKS of a refused key",
            clerk(&wrong, &["verify", &valid], ""),
            1,
        ),
        (
            "webhook with a wrong signature",
            clerk(
                &[],
                &[
                    "webhook",
                    "verify",
                    "--secret",
                    WEBHOOK_SECRET,
                    "--header",
                    "svix-id: msg_1",
                    "--header",
                    &format!("svix-timestamp: {}", now()),
                    "--header",
                    "svix-signature: v1,AAAA",
                ],
                "{}",
            ),
            1,
        ),
        (
            "webhook with an old timestamp",
            clerk(
                &[("CLERK_WEBHOOK_SECRET", WEBHOOK_SECRET)],
                &[
                    "webhook",
                    "verify",
                    "--header",
                    "svix-id: msg_1",
                    "--header",
                    &format!("svix-timestamp: {stale}"),
                    "--header",
                    "svix-signature: v1,AAAA",
                ],
                "{}",
            ),
            1,
        ),
        (
            "webhook secret that is no base64",
            clerk(
                &[],
                &[
                    "webhook",
                    "verify",
                    "--secret",
                    &format!("{WEBHOOK_SECRET}!"),
                ],
                "{}",
            ),
            2,
        ),
    ];
    for (what, output, code) in &runs {
        let out = String::from_utf8_lossy(&output.stdout);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(*code),
            "{what}: stdout {out} stderr {err}"
        );
        assert!(
            !out.is_empty() || !err.is_empty(),
            "{what}: printed nothing"
        );
        for secret in &secrets {
            assert!(
                !out.contains(secret.as_str()),
                "{what}: stdout shows {secret:?}: {out}"
            );
            assert!(
                !err.contains(secret.as_str()),
                "{what}: stderr shows {secret:?}: {err}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
