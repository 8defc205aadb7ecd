//! The bodies of the fuzz targets, as plain functions of the input bytes.
//!
//! `fuzz_targets/*.rs` hand them to libFuzzer (`cargo +nightly fuzz run NAME`), and
//! `tests/replay.rs` runs every committed input of `corpus/NAME/` through them on the
//! stable toolchain. Each body panics (a crash for libFuzzer, a failed test on stable)
//! when the code under test panics or breaks one of the target's invariants: above all,
//! that nothing not signed with the fixture keys is ever accepted.
//!
//! Nothing here touches the network: verifiers use a PEM key or an in-memory JWKS, the
//! flat-params target builds requests without sending them, and the one client the C
//! target calls through points at `127.0.0.1:1` (connection refused at once).

pub mod seeds;

use std::ffi::{CString, c_char};
use std::sync::{Arc, OnceLock};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RsaEncoding, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clerk_core::Method;
use clerk_core::operations::{self as operation, Body};
use clerk_core::testing::TestKey;
use clerk_core::verify::{
    AuthState, AuthenticateOptions, FixedClock, JwksFetchError, JwksSource, RequestInfo, Verifier,
    authenticate_request as authenticate,
};
use clerk_core::webhooks::Webhook;
use clerk_core::{Client, jsonl};
use serde_json::Value;

/// The fixed clock of every verifier here (2026-01-01T00:00:00Z), so seed tokens minted
/// for it stay valid forever.
pub const NOW_SECONDS: i64 = 1_767_225_600;
/// The `kid` of the fixture key in the JWKS.
pub const KID: &str = "kid_fuzz";
/// The emulator's committed test signing key (PKCS#8 PEM): the only key whose
/// signatures may ever verify here.
pub const SIGNING_KEY_PEM: &str = include_str!("../../tests/emulator/fixtures/signing_key_1.pem");
/// The webhook secret of the Standard Webhooks test vector.
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// "Now" for webhook verification: the test vector's timestamp.
pub const WEBHOOK_NOW: i64 = 1_614_265_330;
/// The test vector's message id, body and signature (the `fixed headers` mode).
pub const WEBHOOK_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
/// The body signed by [`WEBHOOK_SIGNATURE`].
pub const WEBHOOK_BODY: &[u8] = br#"{"test": 2432232314}"#;
/// The signature header value of the test vector.
pub const WEBHOOK_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
/// The secret key of the client the targets use (never sent anywhere).
pub const SECRET_KEY: &str = "sk_test_fuzzFuzzFuzzFuzzFuzzFuzz";

/// Inputs longer than this are skipped: libFuzzer's `-max_len` keeps them shorter
/// anyway, and the replay must not depend on the corpus staying small.
const MAX_INPUT: usize = 64 * 1024;

struct Fixtures {
    key: TestKey,
    pair: RsaKeyPair,
    pem_verifier: Verifier,
    jwks_verifier: Verifier,
    jwks_text: String,
    client: Client,
}

struct StaticJwks(String);

impl JwksSource for StaticJwks {
    fn fetch_jwks(&self) -> Result<String, JwksFetchError> {
        Ok(self.0.clone())
    }
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(NOW_SECONDS * 1000))
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let key = TestKey::from_pem(KID, SIGNING_KEY_PEM).expect("the fixture key parses");
        let der = pem_body(SIGNING_KEY_PEM);
        let pair = RsaKeyPair::from_pkcs8(&der).expect("the fixture key is PKCS#8 RSA");
        let pem_verifier = Verifier::builder()
            .pem_key(key.public_key_pem())
            .clock(clock())
            .build()
            .expect("PEM verifier");
        let jwks_text = key.jwks().to_string();
        let jwks_verifier = Verifier::builder()
            .jwks_source(Arc::new(StaticJwks(jwks_text.clone())))
            .clock(clock())
            .build()
            .expect("JWKS verifier");
        let client = Client::builder()
            .secret_key(SECRET_KEY)
            .api_url("http://127.0.0.1:1")
            .build()
            .expect("client");
        Fixtures {
            key,
            pair,
            pem_verifier,
            jwks_verifier,
            jwks_text,
            client,
        }
    })
}

/// The DER inside a PEM block.
fn pem_body(pem: &str) -> Vec<u8> {
    let base64: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(base64.trim()).expect("PEM base64")
}

/// The fixture key, for minting seed tokens.
pub fn fixture_key() -> &'static TestKey {
    &fixtures().key
}

/// Panics unless `token`'s signature is exactly what the fixture key produces for its
/// `header.payload` (RSASSA-PKCS1-v1_5 is deterministic): the forgery check of every
/// accepted token, computed with aws-lc-rs directly, not through the verifier.
fn assert_really_signed(token: &str, what: &str) {
    let (signing_input, signature) = token
        .rsplit_once('.')
        .unwrap_or_else(|| panic!("{what}: an accepted token without dots: {token:?}"));
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("{what}: accepted signature is no base64url ({e}): {token:?}"));
    let pair = &fixtures().pair;
    let encodings: [&'static dyn RsaEncoding; 3] =
        [&RSA_PKCS1_SHA256, &RSA_PKCS1_SHA384, &RSA_PKCS1_SHA512];
    let rng = SystemRandom::new();
    let genuine = encodings.iter().any(|encoding| {
        let mut expected = vec![0; pair.public_modulus_len()];
        pair.sign(*encoding, &rng, signing_input.as_bytes(), &mut expected)
            .expect("signing with the fixture key");
        expected == signature
    });
    assert!(
        genuine,
        "{what}: accepted a token the fixture key never signed: {token:?}"
    );
}

fn text(data: &[u8]) -> Option<&str> {
    if data.len() > MAX_INPUT {
        return None;
    }
    std::str::from_utf8(data).ok()
}

/// Token decoding and verification. The first byte picks the mode:
/// 0 the rest is a token for the PEM verifier, 1 for the JWKS verifier (each also as a
/// machine token); 2 the rest is a PEM key and 3 a JWKS document, each verifying a
/// genuine token. Any accepted token must carry the fixture key's own signature.
pub fn verify_token(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some(rest) = text(rest) else {
        return;
    };
    let fixtures = fixtures();
    match mode % 4 {
        0 | 1 => {
            let (verifier, what) = if mode % 4 == 0 {
                (&fixtures.pem_verifier, "PEM verifier")
            } else {
                (&fixtures.jwks_verifier, "JWKS verifier")
            };
            if let Ok(claims) = verifier.verify(rest) {
                assert_really_signed(rest, what);
                // The claims must serialise (the C library and the CLI print them).
                serde_json::to_string(&claims).expect("claims serialise");
            }
            if verifier.verify_machine_token(rest, None).is_ok() {
                assert_really_signed(rest, what);
            }
        }
        2 => {
            let verifier = Verifier::builder()
                .pem_key(rest)
                .clock(clock())
                .build_lenient();
            if let Ok(verifier) = verifier {
                let _ = verifier.verify(&seeds::valid_token());
            }
        }
        _ => {
            let verifier = Verifier::builder()
                .jwks_source(Arc::new(StaticJwks(rest.to_owned())))
                .clock(clock())
                .build()
                .expect("default settings are in range");
            let accepted = verifier.verify(&seeds::valid_token()).is_ok();
            // The fixture's own JWKS must keep verifying (a sanity check of the mode).
            if rest == fixtures.jwks_text {
                assert!(accepted, "the fixture JWKS stopped verifying its own token");
            }
        }
    }
}

/// The flat-params call, built but not sent: `NAME\nPARAMS_JSON`. An unknown name picks
/// an operation by the name's bytes, so every input exercises one. Every request built
/// must be well-formed: method as the operation's, a URL below `/v1` with exactly the
/// template's segments and no dot-segment, no body where the operation takes none (never
/// on a GET or DELETE), a JSON body that parses, header values without control characters.
pub fn params_request(data: &[u8]) {
    let Some(input) = text(data) else {
        return;
    };
    let (name, params) = input.split_once('\n').unwrap_or((input, ""));
    let op = operation::find(name).unwrap_or_else(|| {
        let all = operation::all();
        let pick = name
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31) ^ b as usize);
        &all[pick % all.len()]
    });
    let params = if params.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        match serde_json::from_str::<Value>(params) {
            Ok(params) => params,
            Err(_) => return,
        }
    };
    let Ok(request) = fixtures().client.prepare_request(op.name, &params) else {
        return;
    };
    assert_eq!(request.method().as_str(), op.method.as_str(), "{}", op.name);
    let uri = request.uri();
    assert_eq!(uri.scheme_str(), Some("http"), "{uri}");
    assert_eq!(
        uri.authority().map(|a| a.as_str()),
        Some("127.0.0.1:1"),
        "{uri}"
    );
    let path = uri.path();
    let below = path
        .strip_prefix("/v1/")
        .unwrap_or_else(|| panic!("{}: path {path:?} is not below /v1/", op.name));
    let segments: Vec<&str> = below.split('/').collect();
    let template: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
    assert_eq!(
        segments.len(),
        template.len(),
        "{}: path {path:?} does not have the segments of {}",
        op.name,
        op.path
    );
    for segment in &segments {
        let decoded = segment.replace("%2E", ".").replace("%2e", ".");
        assert!(
            !segment.is_empty() && decoded != "." && decoded != "..",
            "{}: empty or dot-segment in {path:?}",
            op.name
        );
    }
    if let Some(query) = uri.query() {
        assert!(
            query.bytes().all(|b| b.is_ascii_graphic() && b != b'#'),
            "{}: query {query:?} holds a raw character",
            op.name
        );
    }
    let body = request.body();
    let content_type = request.headers().get("content-type");
    // No body on a GET or DELETE (none of the spec's takes one), nor on any operation
    // whose spec has no request body.
    if matches!(op.method, Method::Get | Method::Delete) || matches!(op.body, Body::None) {
        assert!(
            body.is_empty() && content_type.is_none(),
            "{}: a body on an operation that takes none",
            op.name
        );
    }
    if !body.is_empty() {
        let content_type = content_type
            .unwrap_or_else(|| panic!("{}: a body without Content-Type", op.name))
            .to_str()
            .expect("content type is ASCII");
        if content_type == "application/json" {
            serde_json::from_slice::<Value>(body)
                .unwrap_or_else(|e| panic!("{}: the JSON body does not parse: {e}", op.name));
        } else {
            assert!(
                content_type.starts_with("multipart/form-data; boundary="),
                "{}: unexpected content type {content_type:?}",
                op.name
            );
        }
    }
    for (name, value) in request.headers() {
        assert!(
            !value
                .as_bytes()
                .iter()
                .any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "{}: header {name} holds CR, LF or NUL",
            op.name
        );
    }
    assert_eq!(
        request.headers().get("authorization").map(|v| v.as_bytes()),
        Some(format!("Bearer {SECRET_KEY}").as_bytes())
    );
}

/// Header pairs from `{"name": "value"}` or `[["name", "value"], ...]` (the C library's
/// shapes); `None` for anything else.
fn header_pairs(json: &str) -> Option<Vec<(String, String)>> {
    match serde_json::from_str::<Value>(json).ok()? {
        Value::Object(map) => map
            .into_iter()
            .map(|(name, value)| Some((name, value.as_str()?.to_owned())))
            .collect(),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Array(pair) if pair.len() == 2 => {
                    Some((pair[0].as_str()?.to_owned(), pair[1].as_str()?.to_owned()))
                }
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Webhook verification. The first byte picks the mode: 0 `HEADERS_JSON\nBODY` with the
/// test vector's secret (an accepted delivery must carry the real HMAC of
/// `id.timestamp.body`, computed here independently); 1 the rest is the body under the
/// test vector's headers (only its own body may pass); 2 the rest is a secret (if it is
/// accepted, its own signature must verify).
pub fn webhook_verify(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if rest.len() > MAX_INPUT {
        return;
    }
    let webhook = Webhook::new(WEBHOOK_SECRET).expect("the test vector's secret");
    match mode % 3 {
        0 => {
            let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let Ok(headers) = std::str::from_utf8(&rest[..split]) else {
                return;
            };
            let body = rest.get(split + 1..).unwrap_or_default();
            let Some(headers) = header_pairs(headers) else {
                return;
            };
            let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            if let Ok(event) = webhook.verify_at(body, pairs, WEBHOOK_NOW) {
                // The same header choice as the verifier: the last non-empty value wins.
                let (mut id, mut timestamp, mut signatures) = (None, None, None);
                for (name, value) in &headers {
                    let value = value.trim();
                    if value.is_empty() {
                        continue;
                    }
                    match name.trim().to_ascii_lowercase().as_str() {
                        "svix-id" | "webhook-id" => id = Some(value),
                        "svix-timestamp" | "webhook-timestamp" => timestamp = Some(value),
                        "svix-signature" | "webhook-signature" => signatures = Some(value),
                        _ => {}
                    }
                }
                let (id, timestamp, signatures) = (
                    id.expect("accepted without an id"),
                    timestamp.expect("accepted without a timestamp"),
                    signatures.expect("accepted without signatures"),
                );
                assert_eq!(event.message_id, id);
                let key = hmac::Key::new(
                    hmac::HMAC_SHA256,
                    &STANDARD.decode(&WEBHOOK_SECRET[6..]).unwrap(),
                );
                let mut signed = format!("{id}.{timestamp}.").into_bytes();
                signed.extend_from_slice(body);
                let expected = hmac::sign(&key, &signed);
                let genuine = signatures
                    .split(' ')
                    .filter_map(|entry| entry.strip_prefix("v1,"))
                    .filter_map(|signature| STANDARD.decode(signature).ok())
                    .any(|signature| signature == expected.as_ref());
                assert!(genuine, "accepted a delivery without its real signature");
                serde_json::to_string(&event).expect("events serialise");
            }
        }
        1 => {
            let headers = [
                ("svix-id", WEBHOOK_ID),
                ("svix-timestamp", "1614265330"),
                ("svix-signature", WEBHOOK_SIGNATURE),
            ];
            if webhook.verify_at(rest, headers, WEBHOOK_NOW).is_ok() {
                assert_eq!(rest, WEBHOOK_BODY, "a body the vector never signed passed");
            }
        }
        _ => {
            let Ok(secret) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(webhook) = Webhook::new(secret) {
                let signature = format!("v1,{}", webhook.sign("msg_1", WEBHOOK_NOW, b"{}"));
                let headers = [
                    ("svix-id", "msg_1"),
                    ("svix-timestamp", "1614265330"),
                    ("svix-signature", signature.as_str()),
                ];
                webhook
                    .verify_at(b"{}", headers, WEBHOOK_NOW)
                    .expect("a secret's own signature verifies");
            }
        }
    }
}

/// Every run of base64url-and-dot characters (and the value of each `name=value` run)
/// with exactly two dots: the JWT candidates a request carries in its headers and cookies.
fn jwt_candidates(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
        // A cookie pair `name=value`: the value too.
        .flat_map(|piece| [Some(piece), piece.split_once('=').map(|(_, value)| value)])
        .flatten()
        .filter(|piece| piece.matches('.').count() == 2)
}

/// `authenticate_request`'s header and cookie parsing. The first byte picks the input
/// form: 0 a JSON request `{"method", "headers", "options"}` (the C library's shape), 1
/// raw `Name: value` header lines. A signed-in session must come from a token somewhere
/// in the request that really verifies.
pub fn authenticate_request(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some(rest) = text(rest) else {
        return;
    };
    let (request, options) = if mode % 2 == 0 {
        let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(rest) else {
            return;
        };
        let options = match object.remove("options") {
            None | Some(Value::Null) => AuthenticateOptions::default(),
            Some(options) => match serde_json::from_value(options) {
                Ok(options) => options,
                Err(_) => return,
            },
        };
        let Ok(request) = serde_json::from_value::<RequestInfo>(Value::Object(object)) else {
            return;
        };
        (request, options)
    } else {
        let headers = rest
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim(), value.trim()));
        (
            RequestInfo::new("GET", headers),
            AuthenticateOptions::default(),
        )
    };
    let verifier = &fixtures().pem_verifier;
    // A configuration the reference refuses is an error, not a state: nothing to check.
    let Ok(state) = authenticate(verifier, &request, &options, None) else {
        return;
    };
    serde_json::to_string(&state).expect("auth states serialise");
    if let AuthState::SignedIn {
        claims: Some(_), ..
    } = &state
    {
        let genuine = request
            .headers
            .values()
            .flat_map(|value| jwt_candidates(value))
            .find(|token| verifier.verify(token).is_ok());
        let token = genuine.expect("signed in without a genuine token in the request");
        assert_really_signed(token, "authenticate_request");
    }
}

/// The line reader of `clerk verify --jsonl`: each line of the input is one case over a
/// base verifier with the fixture's PEM key. Each answer is one line of JSON with `ok`
/// matching the outcome; a case that verified without its own `jwtKey` must carry the
/// fixture key's signature.
pub fn cli_jsonl(data: &[u8]) {
    let Some(input) = text(data) else {
        return;
    };
    let base = &fixtures().pem_verifier;
    for line in input
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(16)
    {
        let (out, ok) = jsonl::verify_line(line, base);
        assert!(!out.contains('\n'), "a result spans lines: {out:?}");
        let answer: Value = serde_json::from_str(&out).expect("a result line is JSON");
        assert_eq!(answer["ok"], Value::Bool(ok), "{out}");
        if ok {
            let case: Value = serde_json::from_str(line).expect("a verified line is JSON");
            let own_key = case["jwtKey"].as_str().is_some_and(|key| !key.is_empty());
            if !own_key {
                let token = case["token"].as_str().expect("a verified line has a token");
                assert_really_signed(token, "clerk verify --jsonl");
            }
        }
    }
}

/// Handles the C target shares across inputs.
struct CHandles {
    client: *mut clerk::clerk_client,
    verifier: *mut clerk::clerk_verifier,
}

// SAFETY: the handles are documented as safe to share across threads, and they live for
// the whole process (never freed).
unsafe impl Send for CHandles {}
// SAFETY: as above.
unsafe impl Sync for CHandles {}

fn c_handles() -> &'static CHandles {
    static HANDLES: OnceLock<CHandles> = OnceLock::new();
    HANDLES.get_or_init(|| {
        let config = CString::new(format!(
            r#"{{"secret_key":"{SECRET_KEY}","api_url":"http://127.0.0.1:1","retry":{{"max_attempts":1}},"timeout_connect_ms":1000}}"#
        ))
        .unwrap();
        let mut client = std::ptr::null_mut();
        let mut json = std::ptr::null_mut();
        // SAFETY: a NUL-terminated config and writable out-pointers.
        let code = unsafe { clerk::clerk_client_new(config.as_ptr(), &mut client, &mut json) };
        assert_eq!(code, clerk::clerk_result::Ok);
        let config = CString::new(
            serde_json::json!({"jwt_key": fixture_key().public_key_pem()}).to_string(),
        )
        .unwrap();
        let mut verifier = std::ptr::null_mut();
        // SAFETY: as above; a NULL client is allowed with a jwt_key.
        let code = unsafe {
            clerk::clerk_verifier_new(config.as_ptr(), std::ptr::null(), &mut verifier, &mut json)
        };
        assert_eq!(code, clerk::clerk_result::Ok);
        CHandles { client, verifier }
    })
}

/// Frees a string the library returned (NULL is fine) after checking it is UTF-8 and,
/// for error codes, a JSON object with a `kind`.
fn take(pointer: *mut c_char, code: clerk::clerk_result) {
    if pointer.is_null() {
        return;
    }
    // SAFETY: a string the library returned and nobody freed yet.
    let text = unsafe { std::ffi::CStr::from_ptr(pointer) }
        .to_str()
        .expect("the library returns UTF-8")
        .to_owned();
    // SAFETY: as above; freed exactly once, here.
    unsafe { clerk::clerk_string_free(pointer) };
    if !matches!(code, clerk::clerk_result::Ok | clerk::clerk_result::Done) {
        let error: Value = serde_json::from_str(&text).expect("error JSON parses");
        assert!(error["kind"].is_string(), "error without a kind: {text}");
        assert_ne!(
            code,
            clerk::clerk_result::Panic,
            "the library panicked: {text}"
        );
    }
}

/// The exported C functions with arbitrary bytes. Input: a selector byte, then up to
/// five NUL-separated string fields and a raw byte buffer (after the fifth NUL). The
/// selector's low nibble picks the function, its high nibble replaces fields 0..=3 with
/// NULL. Every string and handle returned is freed; a panic caught at the boundary
/// (`CLERK_RESULT_PANIC`) counts as a crash, and so does a leak under libFuzzer's
/// LeakSanitizer.
pub fn c_abi(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if rest.len() > MAX_INPUT {
        return;
    }
    let mut parts = rest.splitn(6, |b| *b == 0);
    let fields: Vec<CString> = (0..5)
        .map(|_| CString::new(parts.next().unwrap_or_default()).expect("split on NUL"))
        .collect();
    let bytes = parts.next().unwrap_or_default();
    let nulls = selector >> 4;
    let field = |i: usize| -> *const c_char {
        if i < 4 && nulls & (1 << i) != 0 {
            std::ptr::null()
        } else {
            fields[i].as_ptr()
        }
    };
    let number = fields[2]
        .to_str()
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    let handles = c_handles();
    let (client, verifier) = (handles.client.cast_const(), handles.verifier.cast_const());
    let mut json: *mut c_char = std::ptr::null_mut();
    // SAFETY (every call below): the strings are NUL-terminated CStrings (or NULL), the
    // byte buffer is `bytes`, the handles are live, and the out-pointers are writable
    // locals; everything returned is freed through the library's own functions.
    unsafe {
        let code = match selector & 0x0f {
            0 => {
                let mut made = std::ptr::null_mut();
                let code = clerk::clerk_client_new(field(0), &mut made, &mut json);
                clerk::clerk_client_free(made);
                // from_env without CLERK_SECRET_KEY, bad settings: errors, not crashes.
                code
            }
            1 => clerk::clerk_client_call(client, field(0), field(1), &mut json),
            2 => clerk::clerk_client_call_with_options(
                client,
                field(0),
                field(1),
                field(2),
                &mut json,
            ),
            3 => clerk::clerk_client_call_multipart(
                client,
                field(0),
                field(1),
                field(2),
                field(3),
                field(4),
                bytes.as_ptr(),
                bytes.len(),
                &mut json,
            ),
            4 | 5 => {
                let mut status = 0u16;
                if selector & 0x0f == 4 {
                    clerk::clerk_client_request(
                        client,
                        field(0),
                        field(1),
                        field(2),
                        field(3),
                        &mut status,
                        &mut json,
                    )
                } else {
                    clerk::clerk_client_request_with_options(
                        client,
                        field(0),
                        field(1),
                        field(2),
                        field(3),
                        &mut status,
                        field(4),
                        &mut json,
                    )
                }
            }
            6 => {
                let mut pager = std::ptr::null_mut();
                let code =
                    clerk::clerk_pager_new(client, field(0), field(1), &mut pager, &mut json);
                take(json, code);
                json = std::ptr::null_mut();
                if code == clerk::clerk_result::Ok {
                    for _ in 0..2 {
                        let mut page = std::ptr::null_mut();
                        let code = clerk::clerk_pager_next_with_options(pager, field(2), &mut page);
                        take(page, code);
                    }
                }
                clerk::clerk_pager_free(pager);
                code
            }
            7 => {
                let mut made = std::ptr::null_mut();
                let code =
                    clerk::clerk_verifier_new(field(0), std::ptr::null(), &mut made, &mut json);
                if code == clerk::clerk_result::Ok {
                    let mut out = std::ptr::null_mut();
                    let verified = clerk::clerk_verifier_verify(made, field(1), &mut out);
                    take(out, verified);
                }
                clerk::clerk_verifier_free(made);
                code
            }
            8 => {
                let code = clerk::clerk_verifier_verify(verifier, field(0), &mut json);
                if code == clerk::clerk_result::Ok {
                    let token = fields[0].to_str().expect("a verified token is UTF-8");
                    assert_really_signed(token, "clerk_verifier_verify");
                }
                code
            }
            9 => clerk::clerk_verifier_verify_machine_token(verifier, field(0), &mut json),
            10 => clerk::clerk_authenticate_request(verifier, field(0), &mut json),
            11 => clerk::clerk_webhook_verify(
                field(0),
                field(1),
                bytes.as_ptr(),
                bytes.len(),
                &mut json,
            ),
            12 => {
                let mut signature = std::ptr::null_mut();
                let code = clerk::clerk_testing_sign_webhook(
                    field(0),
                    field(1),
                    number,
                    bytes.as_ptr(),
                    bytes.len(),
                    &mut signature,
                    &mut json,
                );
                take(signature, clerk::clerk_result::Ok);
                code
            }
            13 => {
                let mut token = std::ptr::null_mut();
                let code = clerk::clerk_testing_mint_session_token(
                    field(0),
                    field(1),
                    field(2),
                    field(3),
                    &mut token,
                    &mut json,
                );
                take(token, clerk::clerk_result::Ok);
                code
            }
            14 => {
                let name = clerk::clerk_result_name(number as u32);
                assert!(!name.is_null());
                assert!(!clerk::clerk_version().is_null());
                clerk::clerk_operations_json(&mut json)
            }
            _ => {
                // A NULL json_out: refused before anything runs, nothing to free.
                let code = match nulls % 4 {
                    0 => clerk::clerk_client_call(client, field(0), field(1), std::ptr::null_mut()),
                    1 => clerk::clerk_verifier_verify(verifier, field(0), std::ptr::null_mut()),
                    2 => {
                        clerk::clerk_authenticate_request(verifier, field(0), std::ptr::null_mut())
                    }
                    _ => clerk::clerk_webhook_verify(
                        field(0),
                        field(1),
                        bytes.as_ptr(),
                        bytes.len(),
                        std::ptr::null_mut(),
                    ),
                };
                assert_eq!(code, clerk::clerk_result::NullParameter);
                code
            }
        };
        take(json, code);
    }
}

/// [`assert_really_signed`] for the replay test's check that the oracle catches a forgery.
#[doc(hidden)]
pub fn assert_accepted_is_genuine_for_tests(token: &str) {
    assert_really_signed(token, "test");
}
