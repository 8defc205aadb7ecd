//! The emulator's session tokens through the library's own verifier
//! (`clerk_core::verify`): JWKS through the client, PEM (networkless), key rotation.

use std::time::Duration;

use clerk_core::Client;
use clerk_core::verify::{Reason, Verifier};
use clerk_emulator::Emulator;
use serde_json::{Value, json};

fn call(client: &Client, name: &str, params: Value) -> Value {
    serde_json::from_str(&client.call(name, &params).unwrap().body).unwrap()
}

#[test]
fn emulator_tokens_verify_with_the_library() {
    let emulator = Emulator::start().unwrap();
    let client = Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .build()
        .unwrap();
    let user = call(
        &client,
        "users.create",
        json!({"email_address": ["v@example.com"]}),
    );
    let user_id = user["id"].as_str().unwrap();
    let org = call(
        &client,
        "organizations.create",
        json!({"name": "V Org", "created_by": user_id}),
    );
    let session = call(
        &client,
        "sessions.create",
        json!({"user_id": user_id, "active_organization_id": org["id"]}),
    );
    let mint = || {
        call(
            &client,
            "sessions.create_token",
            json!({"session_id": session["id"]}),
        )["jwt"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let token = mint();

    let verifier = Verifier::builder()
        .client(client.clone())
        .authorized_parties([emulator.authorized_party()])
        .issuer([emulator.issuer()])
        // Refetch at once on an unknown kid, so the rotation below is seen immediately.
        .kid_refetch_interval(Duration::ZERO)
        .build()
        .unwrap();
    let claims = verifier.verify(&token).unwrap();
    assert_eq!(claims.sub, user_id);
    assert_eq!(claims.sid.as_deref(), session["id"].as_str());
    let organization = claims
        .organization()
        .expect("the session has an active organization");
    assert_eq!(organization.slug.as_deref(), Some("v-org"));
    assert_eq!(organization.role.as_deref(), Some("org:admin"));
    let mut permissions = organization.permissions.clone();
    permissions.sort();
    assert_eq!(
        permissions,
        [
            "org:sys_domains:manage",
            "org:sys_domains:read",
            "org:sys_memberships:manage",
            "org:sys_memberships:read",
            "org:sys_profile:delete",
            "org:sys_profile:manage",
        ]
    );

    // Networkless: the PEM public key the handle exposes.
    let pem_verifier = Verifier::from_pem(&emulator.public_key_pem()).unwrap();
    assert_eq!(pem_verifier.verify(&token).unwrap().sub, user_id);
    let wrong_party = Verifier::builder()
        .pem_key(emulator.public_key_pem())
        .authorized_parties(["https://elsewhere.example"])
        .build()
        .unwrap();
    assert_eq!(
        wrong_party.verify(&token).unwrap_err().reason,
        Reason::TokenInvalidAuthorizedParties
    );

    // Rotation: a token under the new kid makes the verifier refetch the JWKS.
    emulator.rotate_key();
    let rotated = mint();
    assert_eq!(verifier.verify(&rotated).unwrap().sub, user_id);
    assert_eq!(
        pem_verifier.verify(&rotated).unwrap_err().reason,
        Reason::TokenInvalidSignature
    );
}
