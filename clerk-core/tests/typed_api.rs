//! The typed API as a script would use it, against the emulator: positional ids,
//! `&Default::default()` for optional params, `new(required...)` plus setters, a
//! tri-state `null` in an update, typed answers (inline ones too) and auto-paging.

use clerk_core::params::{
    OrganizationMembershipsCreateParams, OrganizationsCreateParams, OrganizationsGetParams,
    SessionsCreateParams, SessionsListParams, UsersCreateParams, UsersListParams,
    UsersUpdateParams,
};
use clerk_core::{Client, Nullable, models};
use clerk_emulator::Emulator;

fn client_for(emulator: &Emulator) -> Client {
    Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .build()
        .expect("client builds")
}

#[test]
fn users_get_update_list_and_delete() {
    let emulator = Emulator::start().unwrap();
    let client = client_for(&emulator);
    let created: models::User = client
        .users()
        .create(
            &UsersCreateParams::new()
                .email_address(["ada@example.com"])
                .first_name("Ada")
                .external_id("crm-1"),
        )
        .unwrap();
    assert_eq!(created.external_id.as_deref(), Some("crm-1"));

    let fetched = client.users().get(&created.id).unwrap();
    assert_eq!(fetched.first_name.as_deref(), Some("Ada"));
    assert_eq!(fetched.email_addresses[0].email_address, "ada@example.com");

    // Tri-state: `last_name` is left out, `external_id` is sent as null (cleared).
    let update = UsersUpdateParams::new()
        .clear_external_id()
        .last_name("Lovelace");
    assert_eq!(update.external_id, Nullable::Null);
    let updated = client.users().update(&created.id, &update).unwrap();
    assert_eq!(updated.external_id, None, "external_id was cleared");
    assert_eq!(updated.first_name.as_deref(), Some("Ada"), "untouched");
    assert_eq!(updated.last_name.as_deref(), Some("Lovelace"));
    let again = client.users().get(&created.id).unwrap();
    assert_eq!(again.external_id, None);

    let users = client.users().list(&Default::default()).unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id, created.id);

    let deleted = client.users().delete(&created.id).unwrap();
    assert!(deleted.deleted);
    match client.users().get(&created.id) {
        Err(clerk_core::Error::Api(api)) => {
            assert_eq!(api.status, 404);
            assert_eq!(api.errors[0].code, "resource_not_found");
            assert!(api.clerk_trace_id.is_some());
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    assert!(client.users().list(&Default::default()).unwrap().is_empty());
}

#[test]
fn organizations_memberships_sessions_and_paging() {
    let emulator = Emulator::start().unwrap();
    let client = client_for(&emulator);
    let mut ids = Vec::new();
    for n in 0..7 {
        let user = client
            .users()
            .create(
                &UsersCreateParams::new()
                    .email_address([format!("typed{n}@example.com")])
                    .first_name(format!("Typed {n}")),
            )
            .unwrap();
        ids.push(user.id);
    }
    let page = client
        .users()
        .list(&UsersListParams::new().limit(3))
        .unwrap();
    assert_eq!(page.len(), 3);
    let all: Vec<models::User> = client
        .users()
        .list_all(&UsersListParams::new().limit(2))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 7, "auto-paging walks every page");
    assert_eq!(
        client
            .users()
            .count(&Default::default())
            .unwrap()
            .total_count,
        7
    );

    let org = client
        .organizations()
        .create(&OrganizationsCreateParams::new("Typed Org").created_by(&ids[0]))
        .unwrap();
    assert_eq!(org.slug, "typed-org");
    assert_eq!(
        client
            .organizations()
            .list(&Default::default())
            .unwrap()
            .total_count,
        1
    );
    // By id or by slug, without building params; options through `get_with`.
    assert_eq!(client.organizations().get(&org.id).unwrap().id, org.id);
    assert_eq!(client.organizations().get("typed-org").unwrap().id, org.id);
    let counted = client
        .organizations()
        .get_with(
            "typed-org",
            &OrganizationsGetParams::new().include_members_count(true),
        )
        .unwrap();
    assert_eq!(counted.members_count, Some(1));

    client
        .organization_memberships()
        .create(
            &org.id,
            &OrganizationMembershipsCreateParams::new(&ids[1], "org:member"),
        )
        .unwrap();
    let members = client
        .organization_memberships()
        .list(&org.id, &Default::default())
        .unwrap();
    assert_eq!(members.total_count, 2);
    let removed = client
        .organization_memberships()
        .delete(&org.id, &ids[1])
        .unwrap();
    assert_eq!(
        removed.public_user_data.map(|u| u.user_id),
        Some(ids[1].clone())
    );
    assert_eq!(
        client
            .organization_memberships()
            .list(&org.id, &Default::default())
            .unwrap()
            .total_count,
        1
    );

    let session = client
        .sessions()
        .create(&SessionsCreateParams::new(&ids[0]).active_organization_id(&org.id))
        .unwrap();
    let sessions = client
        .sessions()
        .list(&SessionsListParams::new().user_id(&ids[0]))
        .unwrap();
    assert_eq!(sessions[0].id, session.id);
    // An inline answer of the spec, with a type of its own.
    let token: models::SessionsCreateTokenResponse = client
        .sessions()
        .create_token(&session.id, &Default::default())
        .unwrap();
    assert_eq!(token.object.as_deref(), Some("token"));
    assert_eq!(token.jwt.map(|jwt| jwt.split('.').count()), Some(3));

    let jwks = client.jwks().get().unwrap();
    let keys = jwks.keys.unwrap();
    assert_eq!(keys.len(), 1);
    match &keys[0] {
        models::JWKSKeysItem::RsaPublicKey(key) => assert_eq!(key.kid, emulator.kid()),
        other => panic!("the emulator serves one RSA public key, got {other:?}"),
    }
}
