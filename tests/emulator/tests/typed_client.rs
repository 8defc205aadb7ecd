//! The generated typed API (`client.users().create(...)`, models, auto-paging) against
//! the emulator: every answer must deserialize into the spec's generated model.

use clerk_core::Client;
use clerk_core::params::*;
use clerk_emulator::Emulator;

fn client_for(emulator: &Emulator) -> Client {
    Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .build()
        .expect("client builds")
}

#[test]
fn typed_resources_round_trip_through_generated_models() {
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
        assert_eq!(
            user.email_addresses[0].email_address,
            format!("typed{n}@example.com")
        );
        ids.push(user.id);
    }
    let fetched = client.users().get(&ids[0]).unwrap();
    assert_eq!(fetched.first_name.as_deref(), Some("Typed 0"));
    let page = client
        .users()
        .list(&UsersListParams::new().limit(3))
        .unwrap();
    assert_eq!(page.len(), 3);
    let all: Vec<_> = client
        .users()
        .list_all(&UsersListParams::new().limit(2))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 7, "auto-paging walks every page");
    assert_eq!(
        client
            .users()
            .count(&UsersCountParams::default())
            .unwrap()
            .total_count,
        7
    );

    let org = client
        .organizations()
        .create(&OrganizationsCreateParams::new("Typed Org").created_by(ids[0].clone()))
        .unwrap();
    assert_eq!(org.slug, "typed-org");
    client
        .organization_memberships()
        .create(
            &org.id,
            &OrganizationMembershipsCreateParams::new(ids[1].clone(), "org:member"),
        )
        .unwrap();
    let members = client
        .organization_memberships()
        .list(&org.id, &OrganizationMembershipsListParams::default())
        .unwrap();
    assert_eq!(members.total_count, 2);
    let organizations = client
        .organizations()
        .list(&OrganizationsListParams::default())
        .unwrap();
    assert_eq!(organizations.total_count, 1);

    let session = client
        .sessions()
        .create(&SessionsCreateParams::new(ids[0].clone()).active_organization_id(org.id.clone()))
        .unwrap();
    let sessions = client
        .sessions()
        .list(&SessionsListParams::new().user_id(ids[0].clone()))
        .unwrap();
    assert_eq!(sessions[0].id, session.id);
    let token = client
        .sessions()
        .create_token(&session.id, &SessionsCreateTokenParams::default())
        .unwrap();
    assert_eq!(token.object.as_deref(), Some("token"));
    assert!(token.jwt.is_some_and(|jwt| jwt.split('.').count() == 3));
    let jwks = client.jwks().get().unwrap();
    assert_eq!(jwks.keys.as_ref().map(Vec::len), Some(1));

    let deleted = client.users().delete(&ids[6]).unwrap();
    assert!(deleted.deleted);
    match client.users().get(&ids[6]) {
        Err(clerk_core::Error::Api(api)) => {
            assert_eq!(api.status, 404);
            assert_eq!(api.errors[0].code, "resource_not_found");
            assert!(api.clerk_trace_id.is_some());
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}
