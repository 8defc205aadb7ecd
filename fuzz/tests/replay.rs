//! Replays every committed input of `corpus/<target>/` (seeds, inputs the fuzzer found,
//! and the regression inputs of fixed crashes, `corpus/<target>/regression-*`) through
//! the target's body on the stable toolchain: a crash found once stays fixed.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, body: fn(&[u8])) {
    let files = corpus(target);
    let seeds = files
        .iter()
        .filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
        })
        .count();
    assert!(seeds > 0, "{target}: no seed-* inputs in corpus/{target}");
    for file in &files {
        let data = std::fs::read(file).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(
            outcome.is_ok(),
            "{target}: input {} crashes",
            file.display()
        );
    }
    println!("{target}: {} inputs replayed ({seeds} seeds)", files.len());
}

#[test]
fn verify_token() {
    replay("verify_token", clerk_fuzz::verify_token);
}

#[test]
fn params_request() {
    replay("params_request", clerk_fuzz::params_request);
}

#[test]
fn webhook_verify() {
    replay("webhook_verify", clerk_fuzz::webhook_verify);
}

#[test]
fn authenticate_request() {
    replay("authenticate_request", clerk_fuzz::authenticate_request);
}

#[test]
fn cli_jsonl() {
    replay("cli_jsonl", clerk_fuzz::cli_jsonl);
}

#[test]
fn c_abi() {
    replay("c_abi", clerk_fuzz::c_abi);
}

/// The genuine seeds must really pass, or the targets would only ever see refusals.
#[test]
fn genuine_seeds_verify() {
    let token = clerk_fuzz::seeds::valid_token();
    let verifier = clerk_core::verify::Verifier::builder()
        .pem_key(clerk_fuzz::fixture_key().public_key_pem())
        .clock(std::sync::Arc::new(clerk_core::verify::FixedClock::new(
            clerk_fuzz::NOW_SECONDS * 1000,
        )))
        .build()
        .unwrap();
    assert_eq!(verifier.verify(&token).unwrap().sub, "user_fuzz");
}

/// The invariants catch what they claim to: a target body panics on a forged token.
#[test]
#[should_panic(expected = "never signed")]
fn a_forged_token_is_caught() {
    let token = clerk_fuzz::seeds::valid_token();
    let (input, _) = token.rsplit_once('.').unwrap();
    clerk_fuzz::assert_accepted_is_genuine_for_tests(&format!("{input}.AAAA"));
}

/// Writes the seed inputs (run by hand: `--ignored write_seeds`).
#[test]
#[ignore]
fn write_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, name, bytes) in clerk_fuzz::seeds::all() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
}
