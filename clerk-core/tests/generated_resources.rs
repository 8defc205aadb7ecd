//! The generated typed methods against a scripted HTTP server on 127.0.0.1: the request
//! each one sends (method, path, query, body) and the typed value it returns, for each
//! way a method takes its arguments (path only, path plus optional params, params
//! struct, whole body) and each kind of answer (model, inline type, union, none, text).

use clerk_core::params;
use clerk_core::{Client, Nullable, models};
use clerk_emulator::{Emulator, Recorded, Reply};
use serde_json::{Value, json};

/// The requests a scripted emulator received, taken one at a time in order.
struct Seen {
    server: Emulator,
    next: usize,
}

impl Seen {
    /// The next request received.
    fn recv(&mut self) -> Recorded {
        let request = self
            .server
            .requests()
            .get(self.next)
            .cloned()
            .unwrap_or_else(|| panic!("no request {} was received", self.next));
        self.next += 1;
        request
    }
}

impl Drop for Seen {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            // Every scripted answer was asked for, and no request went unscripted.
            self.server.assert_script_done();
        }
    }
}

/// A scripted emulator answering one canned `(status, body)` per request, in order (a
/// request beyond them fails the test).
fn serve(responses: Vec<(u16, String)>) -> (String, Seen) {
    let server = Emulator::start_scripted().unwrap();
    for (status, body) in responses {
        server.script(Reply::json(status, body));
    }
    (server.api_url(), Seen { server, next: 0 })
}

fn client(url: &str) -> Client {
    Client::builder()
        .secret_key("sk_test_generated")
        .api_url(url)
        .build()
        .unwrap()
}

fn identifier(id: &str) -> Value {
    json!({"object": "allowlist_identifier", "id": id, "identifier": format!("{id}@example.com"),
           "identifier_type": "email_address", "created_at": 1, "updated_at": 2})
}

#[test]
fn list_sends_query_params_and_returns_typed_items() {
    let page = json!([identifier("a"), identifier("b")]).to_string();
    let (url, mut seen) = serve(vec![(200, page)]);
    let items = client(&url)
        .allowlist_identifiers()
        .list(
            &params::AllowlistIdentifiersListParams::new()
                .limit(2)
                .offset(4),
        )
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].id.as_deref(), Some("b"));
    let request = seen.recv();
    assert!(
        request
            .request_line()
            .starts_with("GET /v1/allowlist_identifiers?"),
        "{request:?}"
    );
    assert!(request.request_line().contains("limit=2"), "{request:?}");
    assert!(request.request_line().contains("offset=4"), "{request:?}");
}

#[test]
fn list_all_pages_until_a_short_page() {
    let first = json!([identifier("a"), identifier("b")]).to_string();
    let second = json!([identifier("c")]).to_string();
    let (url, mut seen) = serve(vec![(200, first), (200, second)]);
    let ids: Vec<String> = client(&url)
        .allowlist_identifiers()
        .list_all(&params::AllowlistIdentifiersListParams {
            limit: Some(2),
            ..Default::default()
        })
        .map(|item| item.unwrap().id.unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let first = seen.recv();
    let second = seen.recv();
    assert!(first.request_line().contains("limit=2"), "{first:?}");
    assert!(second.request_line().contains("offset=2"), "{second:?}");
}

#[test]
fn create_sends_required_and_optional_fields_and_extra_body() {
    let (url, mut seen) = serve(vec![(200, identifier("new").to_string())]);
    let mut extra = serde_json::Map::new();
    extra.insert("not_in_spec".into(), json!(7));
    let created = client(&url)
        .allowlist_identifiers()
        .create(
            &params::AllowlistIdentifiersCreateParams::new("new@example.com")
                .notify(true)
                .extra_body(extra),
        )
        .unwrap();
    assert_eq!(created.identifier.as_deref(), Some("new@example.com"));
    let request = seen.recv();
    assert!(
        request
            .request_line()
            .starts_with("POST /v1/allowlist_identifiers "),
        "{request:?}"
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"identifier": "new@example.com", "notify": true, "not_in_spec": 7})
    );
}

#[test]
fn path_parameters_are_positional_in_path_order() {
    let deleted = json!({"object": "user", "id": "user_1", "deleted": true}).to_string();
    let membership_deleted =
        json!({"object": "organization_membership", "id": "orgmem_1", "deleted": true});
    let (url, mut seen) = serve(vec![
        (200, deleted),
        (200, membership_deleted.to_string()),
        (404, json!({"errors": []}).to_string()),
    ]);
    let client = client(&url);
    let result = client.users().delete("user_1").unwrap();
    assert!(result.deleted);
    assert_eq!(
        seen.recv().request_line(),
        "DELETE /v1/users/user_1 HTTP/1.1"
    );
    // Two path parameters: organization, then user, as in the path.
    let _ = client.organization_memberships().delete("org_1", "user_2");
    assert_eq!(
        seen.recv().request_line(),
        "DELETE /v1/organizations/org_1/memberships/user_2 HTTP/1.1"
    );
    // A path value is one segment, whatever it holds.
    let _ = client.users().get("a/../b?c");
    assert_eq!(
        seen.recv().request_line(),
        "GET /v1/users/a%2F..%2Fb%3Fc HTTP/1.1"
    );
}

#[test]
fn a_lookup_takes_its_id_and_its_options_through_with() {
    let org = json!({"object": "organization", "id": "org_1", "name": "Acme", "slug": "acme",
        "has_image": false, "max_allowed_memberships": 5, "admin_delete_enabled": true,
        "public_metadata": {}, "created_at": 1, "updated_at": 2});
    let (url, mut seen) = serve(vec![(200, org.to_string()), (200, org.to_string())]);
    let client = client(&url);
    let found = client.organizations().get("acme").unwrap();
    assert_eq!(found.id, "org_1");
    assert_eq!(
        seen.recv().request_line(),
        "GET /v1/organizations/acme HTTP/1.1"
    );
    client
        .organizations()
        .get_with(
            "acme",
            &params::OrganizationsGetParams::new().include_members_count(true),
        )
        .unwrap();
    assert_eq!(
        seen.recv().request_line(),
        "GET /v1/organizations/acme?include_members_count=true HTTP/1.1"
    );
}

#[test]
fn an_update_can_set_leave_out_or_null_a_field() {
    let user = json!({"object": "user", "id": "user_1"}).to_string();
    let (url, mut seen) = serve(vec![(200, user.clone()), (200, user)]);
    let client = client(&url);
    let update = params::UsersUpdateParams::new()
        .clear_external_id()
        .first_name("Ada");
    assert_eq!(update.external_id, Nullable::Null);
    assert!(update.last_name.is_absent());
    let _ = client.users().update("user_1", &update);
    let request = seen.recv();
    assert_eq!(request.request_line(), "PATCH /v1/users/user_1 HTTP/1.1");
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, json!({"external_id": null, "first_name": "Ada"}));

    let literal = params::UsersUpdateParams {
        external_id: Nullable::Value("crm-7".into()),
        ..Default::default()
    };
    let _ = client.users().update("user_1", &literal);
    let body: Value = serde_json::from_slice(&seen.recv().body).unwrap();
    assert_eq!(body, json!({"external_id": "crm-7"}));
}

#[test]
fn bulk_operations_take_their_items() {
    let (url, mut seen) = serve(vec![(
        200,
        json!({"data": [], "total_count": 0}).to_string(),
    )]);
    let invitations = client(&url)
        .organization_invitations()
        .bulk_create(
            "org_1",
            &[
                params::OrganizationInvitationsBulkCreateItem::new("a@example.com", "org:member"),
                params::OrganizationInvitationsBulkCreateItem::new("b@example.com", "org:admin")
                    .inviter_user_id("user_1"),
            ],
        )
        .unwrap();
    assert_eq!(invitations.total_count, 0);
    let request = seen.recv();
    assert_eq!(
        request.request_line(),
        "POST /v1/organizations/org_1/invitations/bulk HTTP/1.1"
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!([{"email_address": "a@example.com", "role": "org:member"},
               {"email_address": "b@example.com", "role": "org:admin", "inviter_user_id": "user_1"}])
    );
}

#[test]
fn no_params_operations_take_none_and_unions_are_typed() {
    let rsa = json!({"kid": "ins_1", "alg": "RS256", "use": "sig", "kty": "RSA", "n": "AQAB", "e": "AQAB"});
    let future = json!({"kid": "k2", "alg": "ML-DSA-65", "use": "sig", "kty": "AKP", "pub": "x"});
    let jwks = json!({"keys": [rsa, future]}).to_string();
    let (url, mut seen) = serve(vec![(200, jwks)]);
    let jwks = client(&url).jwks().get().unwrap();
    assert_eq!(seen.recv().request_line(), "GET /v1/jwks HTTP/1.1");
    let keys = jwks.keys.unwrap();
    match &keys[0] {
        models::JWKSKeysItem::RsaPublicKey(key) => assert_eq!(key.kid, "ins_1"),
        other => panic!("expected an RSA public key, got {other:?}"),
    }
    // A key type this library does not know is kept, not a failed response.
    assert_eq!(keys[1], models::JWKSKeysItem::Unknown(future));
}

#[test]
fn inline_answers_are_named_types() {
    let token = json!({"object": "token", "jwt": "eyJ.x.y"}).to_string();
    let key = json!({"object": "api_key", "id": "ak_1", "type": "api_key", "subject": "user_1",
        "name": "k", "claims": null, "scopes": [], "revoked": false, "revocation_reason": null,
        "expired": false, "expiration": null, "created_by": null, "last_used_at": null,
        "created_at": 1, "updated_at": 2});
    let keys = json!({"data": [key], "total_count": 1}).to_string();
    let (url, mut seen) = serve(vec![(200, token), (200, key.to_string()), (200, keys)]);
    let client = client(&url);
    let token: models::SessionsCreateTokenResponse = client
        .sessions()
        .create_token("sess_1", &Default::default())
        .unwrap();
    assert_eq!(token.jwt.as_deref(), Some("eyJ.x.y"));
    assert_eq!(
        seen.recv().request_line(),
        "POST /v1/sessions/sess_1/tokens HTTP/1.1"
    );
    let one: models::ApiKey = client.api_keys().get("ak_1").unwrap();
    assert_eq!(one.id, "ak_1");
    // The list's elements are the same type as `get`'s answer.
    let all: models::ApiKeysListResponse = client
        .api_keys()
        .list(&params::ApiKeysListParams::new("user_1"))
        .unwrap();
    let first: &models::ApiKey = &all.data[0];
    assert_eq!(first, &one);
}

#[test]
fn no_content_answers_are_unit_and_text_answers_are_text() {
    let (url, mut seen) = serve(vec![(204, String::new()), (200, "<html>hi</html>".into())]);
    let client = client(&url);
    let (): () = client
        .instance_settings()
        .update(&params::InstanceSettingsUpdateParams::new().test_mode(true))
        .unwrap();
    assert_eq!(seen.recv().request_line(), "PATCH /v1/instance HTTP/1.1");
    let page: String = client
        .interstitial()
        .get(&params::InterstitialGetParams::new().publishable_key("pk_test_x"))
        .unwrap();
    assert_eq!(page, "<html>hi</html>");
}

#[test]
fn named_inline_responses_are_typed() {
    let list = json!({"data": [], "total_count": 0}).to_string();
    let (url, mut seen) = serve(vec![(200, list)]);
    let machines: models::MachineListResponse =
        client(&url).machines().list(&Default::default()).unwrap();
    assert_eq!(machines.total_count, 0);
    assert!(machines.data.is_empty());
    assert!(seen.recv().request_line().starts_with("GET /v1/machines"));
}

#[test]
fn api_errors_come_back_as_errors() {
    let error = json!({"errors": [{"code": "resource_not_found", "message": "not found"}]});
    let (url, _seen) = serve(vec![(404, error.to_string())]);
    match client(&url).users().get("user_missing") {
        Err(clerk_core::Error::Api(api)) => {
            assert_eq!(api.status, 404);
            assert_eq!(api.errors[0].code, "resource_not_found");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}
