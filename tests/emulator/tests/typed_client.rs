//! The generated typed API (`client.users().create(...)`, models, auto-paging) against
//! the emulator: every answer must deserialize into the spec's generated model.

use clerk_core::Client;
use clerk_core::generated::params::*;
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
            .create(&CreateUserParams {
                email_address: Some(vec![format!("typed{n}@example.com")]),
                first_name: Some(format!("Typed {n}")),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            user.email_addresses[0].email_address,
            format!("typed{n}@example.com")
        );
        ids.push(user.id);
    }
    let fetched = client
        .users()
        .get(&GetUserParams {
            user_id: ids[0].clone(),
        })
        .unwrap();
    assert_eq!(fetched.first_name.as_deref(), Some("Typed 0"));
    let page = client
        .users()
        .list(&GetUserListParams {
            limit: Some(3),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.len(), 3);
    let all: Vec<_> = client
        .users()
        .list_all(&GetUserListParams {
            limit: Some(2),
            ..Default::default()
        })
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 7, "auto-paging walks every page");
    assert_eq!(
        client
            .users()
            .count(&GetUsersCountParams::default())
            .unwrap()
            .total_count,
        7
    );

    let org = client
        .organizations()
        .create(&CreateOrganizationParams {
            name: "Typed Org".into(),
            created_by: Some(ids[0].clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(org.slug, "typed-org");
    client
        .organization_memberships()
        .create(&CreateOrganizationMembershipParams {
            organization_id: org.id.clone(),
            user_id: ids[1].clone(),
            role: "org:member".into(),
            ..Default::default()
        })
        .unwrap();
    let members = client
        .organization_memberships()
        .list(&ListOrganizationMembershipsParams {
            organization_id: org.id.clone(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(members.total_count, 2);
    let organizations = client
        .organizations()
        .list(&ListOrganizationsParams::default())
        .unwrap();
    assert_eq!(organizations.total_count, 1);

    let session = client
        .sessions()
        .create(&CreateSessionParams {
            user_id: ids[0].clone(),
            active_organization_id: Some(org.id.clone()),
            ..Default::default()
        })
        .unwrap();
    let sessions = client
        .sessions()
        .list(&GetSessionListParams {
            user_id: Some(ids[0].clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(sessions[0].id, session.id);
    let token = client
        .sessions()
        .create_token(&CreateSessionTokenParams {
            session_id: session.id.clone(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(token["object"], "token");
    let jwks = client.jwks().get_jwks().unwrap();
    assert_eq!(jwks.keys.as_ref().map(Vec::len), Some(1));

    let deleted = client
        .users()
        .delete(&DeleteUserParams {
            user_id: ids[6].clone(),
        })
        .unwrap();
    assert!(deleted.deleted);
    match client.users().get(&GetUserParams {
        user_id: ids[6].clone(),
    }) {
        Err(clerk_core::Error::Api(api)) => {
            assert_eq!(api.status, 404);
            assert_eq!(api.errors[0].code, "resource_not_found");
            assert!(api.clerk_trace_id.is_some());
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}
