//! Stateful round-trips over real HTTP on 127.0.0.1; every 2xx body is checked
//! against the spec's response schema by the `support` client.

mod support;

use serde_json::{Value, json};
use support::{Api, assert_clerk_error};

fn create_user(api: &Api, email: &str) -> Value {
    api.ok(
        "POST",
        "/v1/users",
        Some(json!({"email_address": [email], "first_name": "Ada", "last_name": "Lovelace", "password": "correct horse battery"})),
    )
}

#[test]
fn user_round_trip() {
    let api = Api::start();
    let user = create_user(&api, "ada@example.com");
    let id = user["id"].as_str().unwrap();
    assert!(id.starts_with("user_") && id.len() == 5 + 27, "{id}");
    assert_eq!(user["object"], "user");
    assert!(
        user["created_at"].as_i64().unwrap() > 1_600_000_000_000,
        "timestamps are epoch ms"
    );
    assert_eq!(
        user["email_addresses"][0]["email_address"],
        "ada@example.com"
    );
    assert_eq!(
        user["primary_email_address_id"],
        user["email_addresses"][0]["id"]
    );
    assert!(
        user["email_addresses"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("idn_")
    );
    assert_eq!(user["password_enabled"], true);

    assert_eq!(api.ok("GET", &format!("/v1/users/{id}"), None), user);
    let listed = api.ok("GET", "/v1/users", None);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let updated = api.ok(
        "PATCH",
        &format!("/v1/users/{id}"),
        Some(json!({"first_name": "Augusta", "username": "ada_l"})),
    );
    assert_eq!(updated["first_name"], "Augusta");
    assert_eq!(updated["last_name"], "Lovelace");
    assert_eq!(updated["username"], "ada_l");
    assert!(updated["updated_at"].as_i64() > user["updated_at"].as_i64());

    // Metadata: PATCH deep-merges and null deletes; PUT replaces.
    api.ok(
        "PATCH",
        &format!("/v1/users/{id}/metadata"),
        Some(json!({"public_metadata": {"plan": "pro", "limits": {"a": 1, "b": 2}}})),
    );
    let merged = api.ok(
        "PATCH",
        &format!("/v1/users/{id}/metadata"),
        Some(json!({"public_metadata": {"limits": {"b": null, "c": 3}}, "private_metadata": {"secret": true}})),
    );
    assert_eq!(
        merged["public_metadata"],
        json!({"plan": "pro", "limits": {"a": 1, "c": 3}})
    );
    assert_eq!(merged["private_metadata"], json!({"secret": true}));
    let replaced = api.ok(
        "PUT",
        &format!("/v1/users/{id}/metadata"),
        Some(json!({"public_metadata": {"only": 1}})),
    );
    assert_eq!(replaced["public_metadata"], json!({"only": 1}));
    assert_eq!(replaced["private_metadata"], json!({"secret": true}));

    let verified = api.ok(
        "POST",
        &format!("/v1/users/{id}/verify_password"),
        Some(json!({"password": "correct horse battery"})),
    );
    assert_eq!(verified, json!({"verified": true}));
    api.error(
        "POST",
        &format!("/v1/users/{id}/verify_password"),
        Some(json!({"password": "wrong"})),
        422,
        "incorrect_password",
    );

    assert_eq!(
        api.ok("POST", &format!("/v1/users/{id}/ban"), None)["banned"],
        true
    );
    assert_eq!(
        api.ok("GET", "/v1/users?banned=true", None)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.ok("POST", &format!("/v1/users/{id}/unban"), None)["banned"],
        false
    );
    let locked = api.ok("POST", &format!("/v1/users/{id}/lock"), None);
    assert_eq!(locked["locked"], true);
    assert_eq!(
        api.ok("POST", &format!("/v1/users/{id}/unlock"), None)["locked"],
        false
    );
    let banned = api.ok("POST", "/v1/users/ban", Some(json!({"user_ids": [id]})));
    assert_eq!(banned[0]["banned"], true);

    let answer = api.multipart(
        "POST",
        &format!("/v1/users/{id}/profile_image"),
        &[],
        b"\x89PNG\r\n\x1a\nfake image",
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["has_image"], true);
    assert_eq!(
        api.ok("DELETE", &format!("/v1/users/{id}/profile_image"), None)["has_image"],
        false
    );
    let no_file = api.multipart("POST", &format!("/v1/users/{id}/profile_image"), &[], b"");
    assert_clerk_error(&no_file, 422, "form_param_format_invalid");

    let deleted = api.ok("DELETE", &format!("/v1/users/{id}"), None);
    assert_eq!(
        deleted,
        json!({"object": "user", "id": id, "deleted": true})
    );
    api.error(
        "GET",
        &format!("/v1/users/{id}"),
        None,
        404,
        "resource_not_found",
    );
    api.error(
        "DELETE",
        &format!("/v1/users/{id}"),
        None,
        404,
        "resource_not_found",
    );
}

#[test]
fn user_creation_options() {
    let api = Api::start();
    let user = api.ok(
        "POST",
        "/v1/users",
        Some(json!({
            "email_address": ["a@example.com", "b@example.com"],
            "email_address_identification_status": ["verified", "reserved"],
            "created_at": "2012-10-20T07:15:20.902Z",
            "legal_accepted_at": "2020-01-01T00:00:00+01:00",
        })),
    );
    assert_eq!(user["email_addresses"][0]["reserved"], false);
    assert_eq!(user["email_addresses"][1]["reserved"], true);
    assert_eq!(
        user["email_addresses"][1]["verification"]["status"],
        "unverified"
    );
    assert_eq!(user["created_at"], 1_350_717_320_902_i64);
    assert_eq!(user["legal_accepted_at"], 1_577_833_200_000_i64);
    api.error(
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["c@example.com"], "email_address_identification_status": ["verified", "reserved"]})),
        422,
        "form_param_format_invalid",
    );
    api.error(
        "POST",
        "/v1/users",
        Some(json!({"created_at": "yesterday"})),
        422,
        "form_param_format_invalid",
    );
    let id = user["id"].as_str().unwrap();
    let updated = api.ok(
        "PATCH",
        &format!("/v1/users/{id}"),
        Some(json!({"created_at": "1970-01-01T00:00:01Z"})),
    );
    assert_eq!(updated["created_at"], 1000);
}

#[test]
fn mfa_flags_and_signing_out_other_sessions() {
    let api = Api::start();
    let user = api.ok(
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["mfa@example.com"], "totp_secret": "AICJ3HCXKO4KOU6NDHKHSKSP3W5BSFAY", "backup_codes": ["a1", "b2"]})),
    );
    assert_eq!(
        (
            user["totp_enabled"].clone(),
            user["backup_code_enabled"].clone(),
            user["two_factor_enabled"].clone()
        ),
        (json!(true), json!(true), json!(true))
    );
    let id = user["id"].as_str().unwrap();
    let session = api.ok("POST", "/v1/sessions", Some(json!({"user_id": id})));
    api.ok(
        "PATCH",
        &format!("/v1/users/{id}"),
        Some(json!({"password": "a new long password", "sign_out_of_other_sessions": true})),
    );
    let session_id = session["id"].as_str().unwrap();
    assert_eq!(
        api.ok("GET", &format!("/v1/sessions/{session_id}"), None)["status"],
        "revoked"
    );
}

#[test]
fn user_errors_match_clerk() {
    let api = Api::start();
    create_user(&api, "taken@example.com");
    let error = api.error(
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["TAKEN@example.com"]})),
        422,
        "form_identifier_exists",
    );
    assert_eq!(error["meta"]["param_name"], "email_address");
    api.error(
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["not-an-email"]})),
        422,
        "form_param_format_invalid",
    );
    api.error(
        "POST",
        "/v1/users",
        Some(json!({"password": "short"})),
        422,
        "form_password_length_too_short",
    );
    api.error(
        "POST",
        "/v1/users",
        Some(json!({"first_name": 7})),
        422,
        "form_param_format_invalid",
    );
    api.error(
        "GET",
        "/v1/users?limit=0",
        None,
        422,
        "form_param_format_invalid",
    );
    api.error(
        "GET",
        "/v1/users?limit=501",
        None,
        422,
        "form_param_format_invalid",
    );
    api.error(
        "GET",
        "/v1/users?limit=ten",
        None,
        422,
        "form_param_format_invalid",
    );
    api.error(
        "GET",
        "/v1/users?order_by=-shoe_size",
        None,
        422,
        "form_param_format_invalid",
    );
    let answer = api.call("POST", "/v1/users", None);
    assert_eq!(
        answer.status, 200,
        "an empty body creates a user without identifiers"
    );
    let raw = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}/v1/users", api.emulator.api_url()))
        .header(
            "Authorization",
            format!("Bearer {}", api.emulator.secret_key()),
        )
        .header("Content-Type", "application/json")
        .body("{not json")
        .unwrap();
    assert_clerk_error(
        &support::into_answer(api.agent.run(raw).unwrap()),
        400,
        "request_body_invalid",
    );
}

#[test]
fn user_list_filters_and_pagination() {
    let api = Api::start();
    let mut ids = Vec::new();
    for n in 0..12 {
        let user = api.ok(
            "POST",
            "/v1/users",
            Some(json!({"email_address": [format!("user{n:02}@example.com")], "external_id": format!("ext-{n}"), "username": format!("user_{n:02}")})),
        );
        ids.push(user["id"].as_str().unwrap().to_string());
    }
    let page = api.ok("GET", "/v1/users", None);
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 10, "default limit is 10");
    assert_eq!(page[0]["id"], ids[11], "default order is -created_at");
    let tail = api.ok("GET", "/v1/users?limit=5&offset=10", None);
    assert_eq!(tail.as_array().unwrap().len(), 2);
    let oldest_first = api.ok("GET", "/v1/users?order_by=created_at&limit=1", None);
    assert_eq!(oldest_first[0]["id"], ids[0]);
    let by_username = api.ok("GET", "/v1/users?order_by=-username&limit=1", None);
    assert_eq!(by_username[0]["username"], "user_11");

    let by_email = api.ok("GET", "/v1/users?email_address=USER03@example.com", None);
    assert_eq!(by_email.as_array().unwrap().len(), 1);
    assert_eq!(by_email[0]["id"], ids[3]);
    let by_ids = api.ok(
        "GET",
        &format!("/v1/users?user_id={}&user_id={}", ids[1], ids[2]),
        None,
    );
    assert_eq!(by_ids.as_array().unwrap().len(), 2);
    let by_external = api.ok("GET", "/v1/users?external_id=ext-7", None);
    assert_eq!(by_external[0]["id"], ids[7]);
    let by_query = api.ok("GET", "/v1/users?query=user1", None);
    assert_eq!(by_query.as_array().unwrap().len(), 2, "user10 and user11");

    assert_eq!(
        api.ok("GET", "/v1/users/count", None),
        json!({"object": "total_count", "total_count": 12})
    );
    assert_eq!(
        api.ok("GET", "/v1/users/count?query=user1", None)["total_count"],
        2
    );
    api.error(
        "POST",
        "/v1/users",
        Some(json!({"username": "USER_01"})),
        422,
        "form_identifier_exists",
    );

    // Time filters, web3 wallets, and external-account filters (the emulator has none).
    let session_user = &ids[5];
    api.ok(
        "POST",
        "/v1/sessions",
        Some(json!({"user_id": session_user})),
    );
    let signed_in = api.ok("GET", "/v1/users?last_sign_in_at_after=0", None);
    assert_eq!(signed_in.as_array().unwrap().len(), 1);
    assert_eq!(signed_in[0]["id"], session_user.as_str());
    let created = api.ok("GET", &format!("/v1/users/{}", ids[6]), None)["created_at"]
        .as_i64()
        .unwrap();
    let before = api.ok(
        "GET",
        &format!("/v1/users/count?created_at_before={created}"),
        None,
    );
    assert_eq!(before["total_count"], 6);
    let wallet = "0x52908400098527886e0f7030069857d2e4169ee7";
    api.ok("POST", "/v1/users", Some(json!({"web3_wallet": [wallet]})));
    assert_eq!(
        api.ok("GET", &format!("/v1/users?web3_wallet={wallet}"), None)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.ok("GET", "/v1/users?provider=oauth_google", None),
        json!([])
    );

    // Cursor pagination over created_at.
    let first_page = api.ok("GET", "/v1/users?order_by=created_at&limit=4", None);
    let cursor = first_page[3]["id"].as_str().unwrap();
    let next = api.ok(
        "GET",
        &format!("/v1/users?order_by=created_at&limit=4&starting_after={cursor}"),
        None,
    );
    assert_eq!(next[0]["id"], ids[4]);
    api.error(
        "GET",
        &format!("/v1/users?order_by=username&starting_after={cursor}"),
        None,
        422,
        "form_param_format_invalid",
    );
    api.error(
        "GET",
        &format!("/v1/users?offset=1&starting_after={cursor}"),
        None,
        422,
        "form_param_format_invalid",
    );
}

#[test]
fn email_addresses_and_phone_numbers() {
    let api = Api::start();
    let user = create_user(&api, "first@example.com");
    let user_id = user["id"].as_str().unwrap();
    let email = api.ok(
        "POST",
        "/v1/email_addresses",
        Some(json!({"user_id": user_id, "email_address": "second@example.com"})),
    );
    let email_id = email["id"].as_str().unwrap();
    assert_eq!(email["verification"]["status"], "unverified");
    assert_eq!(
        api.ok("GET", &format!("/v1/email_addresses/{email_id}"), None),
        email
    );
    let updated = api.ok(
        "PATCH",
        &format!("/v1/email_addresses/{email_id}"),
        Some(json!({"verified": true, "primary": true})),
    );
    assert_eq!(updated["verification"]["status"], "verified");
    assert_eq!(
        api.ok("GET", &format!("/v1/users/{user_id}"), None)["primary_email_address_id"],
        email_id
    );
    api.error(
        "POST",
        "/v1/email_addresses",
        Some(json!({"user_id": user_id, "email_address": "first@example.com"})),
        422,
        "form_identifier_exists",
    );
    api.error(
        "POST",
        "/v1/email_addresses",
        Some(json!({"user_id": user_id})),
        422,
        "form_param_missing",
    );
    api.error(
        "POST",
        "/v1/email_addresses",
        Some(json!({"user_id": "user_missing", "email_address": "x@example.com"})),
        404,
        "resource_not_found",
    );
    let deleted = api.ok("DELETE", &format!("/v1/email_addresses/{email_id}"), None);
    assert_eq!(deleted["deleted"], true);
    api.error(
        "GET",
        &format!("/v1/email_addresses/{email_id}"),
        None,
        404,
        "resource_not_found",
    );
    assert_eq!(
        api.ok("GET", &format!("/v1/users/{user_id}"), None)["email_addresses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let phone = api.ok(
        "POST",
        "/v1/phone_numbers",
        Some(json!({"user_id": user_id, "phone_number": "+15555550100", "verified": true})),
    );
    let phone_id = phone["id"].as_str().unwrap();
    assert_eq!(
        api.ok("GET", &format!("/v1/users/{user_id}"), None)["primary_phone_number_id"],
        phone_id
    );
    let updated = api.ok(
        "PATCH",
        &format!("/v1/phone_numbers/{phone_id}"),
        Some(json!({"reserved_for_second_factor": true})),
    );
    assert_eq!(updated["reserved_for_second_factor"], true);
    assert_eq!(
        api.ok("GET", &format!("/v1/phone_numbers/{phone_id}"), None),
        updated
    );
    api.error(
        "POST",
        "/v1/phone_numbers",
        Some(json!({"user_id": user_id, "phone_number": "5550100"})),
        422,
        "form_param_format_invalid",
    );
    api.error(
        "POST",
        "/v1/users",
        Some(json!({"phone_number": ["+15555550100"]})),
        422,
        "form_identifier_exists",
    );
    assert_eq!(
        api.ok("DELETE", &format!("/v1/phone_numbers/{phone_id}"), None)["deleted"],
        true
    );
    assert!(
        api.ok("GET", &format!("/v1/users/{user_id}"), None)["primary_phone_number_id"].is_null()
    );
}

#[test]
fn organizations_memberships_and_invitations() {
    let api = Api::start();
    let owner = create_user(&api, "owner@example.com");
    let member = create_user(&api, "member@example.com");
    let owner_id = owner["id"].as_str().unwrap();
    let member_id = member["id"].as_str().unwrap();

    let org = api.ok(
        "POST",
        "/v1/organizations",
        Some(
            json!({"name": "Acme Rockets", "created_by": owner_id, "public_metadata": {"tier": 1}}),
        ),
    );
    let org_id = org["id"].as_str().unwrap();
    assert!(org_id.starts_with("org_"));
    assert_eq!(org["slug"], "acme-rockets");
    api.error(
        "POST",
        "/v1/organizations",
        Some(json!({"name": "Other", "slug": "acme-rockets"})),
        422,
        "form_identifier_exists",
    );
    api.error(
        "POST",
        "/v1/organizations",
        Some(json!({})),
        422,
        "form_param_missing",
    );
    assert_eq!(
        api.ok("GET", "/v1/organizations/acme-rockets", None)["id"],
        org_id,
        "get by slug"
    );
    let flagged = api.ok(
        "GET",
        &format!(
            "/v1/organizations/{org_id}?include_missing_member_with_elevated_permissions=true"
        ),
        None,
    );
    assert_eq!(
        flagged["missing_member_with_elevated_permissions"], false,
        "the creator is an admin"
    );
    let with_count = api.ok(
        "GET",
        &format!("/v1/organizations/{org_id}?include_members_count=true"),
        None,
    );
    assert_eq!(with_count["members_count"], 1, "the creator is a member");

    for n in 0..3 {
        api.ok(
            "POST",
            "/v1/organizations",
            Some(json!({"name": format!("Filler {n}")})),
        );
    }
    let page = api.ok("GET", "/v1/organizations?limit=2&offset=1", None);
    assert_eq!(page["total_count"], 4);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let biggest = api.ok(
        "GET",
        "/v1/organizations?order_by=-members_count&limit=1",
        None,
    );
    assert_eq!(biggest["data"][0]["id"], org_id);
    assert!(
        biggest["data"][0].get("members_count").is_none(),
        "counts only when asked"
    );
    let mine = api.ok(
        "GET",
        &format!("/v1/organizations?user_id={owner_id}"),
        None,
    );
    assert_eq!(mine["total_count"], 1);
    assert_eq!(
        api.ok("GET", "/v1/organizations?query=acme", None)["total_count"],
        1
    );

    let updated = api.ok(
        "PATCH",
        &format!("/v1/organizations/{org_id}"),
        Some(json!({"name": "Acme Inc", "max_allowed_memberships": 10})),
    );
    assert_eq!(updated["name"], "Acme Inc");
    let merged = api.ok(
        "PATCH",
        &format!("/v1/organizations/{org_id}/metadata"),
        Some(json!({"public_metadata": {"region": "eu"}})),
    );
    assert_eq!(
        merged["public_metadata"],
        json!({"tier": 1, "region": "eu"})
    );
    let logo = api.multipart(
        "PUT",
        &format!("/v1/organizations/{org_id}/logo"),
        &[("uploader_user_id", owner_id)],
        b"logo bytes",
    );
    assert_eq!(logo.status, 200, "{}", logo.text);
    assert_eq!(logo.body["has_image"], true);
    assert_eq!(
        api.ok("DELETE", &format!("/v1/organizations/{org_id}/logo"), None)["has_image"],
        false
    );

    let membership = api.ok(
        "POST",
        &format!("/v1/organizations/{org_id}/memberships"),
        Some(json!({"user_id": member_id, "role": "org:member"})),
    );
    assert!(membership["id"].as_str().unwrap().starts_with("orgmem_"));
    assert_eq!(membership["organization"]["id"], org_id);
    assert_eq!(membership["public_user_data"]["user_id"], member_id);
    assert_eq!(
        membership["public_user_data"]["identifier"],
        "member@example.com"
    );
    api.error(
        "POST",
        &format!("/v1/organizations/{org_id}/memberships"),
        Some(json!({"user_id": member_id, "role": "org:member"})),
        422,
        "already_a_member_in_organization",
    );
    let members = api.ok(
        "GET",
        &format!("/v1/organizations/{org_id}/memberships?limit=1"),
        None,
    );
    assert_eq!(members["total_count"], 2);
    assert_eq!(members["data"].as_array().unwrap().len(), 1);
    let by_email = api.ok(
        "GET",
        &format!("/v1/organizations/{org_id}/memberships?email_address=member@example.com"),
        None,
    );
    assert_eq!(by_email["total_count"], 1);
    assert_eq!(
        by_email["data"][0]["public_user_data"]["user_id"],
        member_id
    );
    let by_query = api.ok(
        "GET",
        &format!("/v1/organizations/{org_id}/memberships?query=owner"),
        None,
    );
    assert_eq!(by_query["data"][0]["public_user_data"]["user_id"], owner_id);
    let admins = api.ok(
        "GET",
        &format!("/v1/organizations/{org_id}/memberships?role=org:admin"),
        None,
    );
    assert_eq!(admins["data"][0]["public_user_data"]["user_id"], owner_id);
    let promoted = api.ok(
        "PATCH",
        &format!("/v1/organizations/{org_id}/memberships/{member_id}"),
        Some(json!({"role": "org:admin"})),
    );
    assert_eq!(promoted["role"], "org:admin");
    let with_meta = api.ok(
        "PATCH",
        &format!("/v1/organizations/{org_id}/memberships/{member_id}/metadata"),
        Some(json!({"public_metadata": {"team": "red"}})),
    );
    assert_eq!(with_meta["public_metadata"], json!({"team": "red"}));
    assert_eq!(
        api.ok(
            "GET",
            &format!("/v1/users/{member_id}/organization_memberships"),
            None
        )["total_count"],
        1
    );
    assert_eq!(
        api.ok("GET", "/v1/organization_memberships", None)["total_count"],
        2
    );
    let removed = api.ok(
        "DELETE",
        &format!("/v1/organizations/{org_id}/memberships/{member_id}"),
        None,
    );
    assert_eq!(removed["id"], membership["id"]);
    api.error(
        "DELETE",
        &format!("/v1/organizations/{org_id}/memberships/{member_id}"),
        None,
        404,
        "resource_not_found",
    );

    let invitation = api.ok(
        "POST",
        &format!("/v1/organizations/{org_id}/invitations"),
        Some(json!({"email_address": "guest@example.com", "role": "org:member", "inviter_user_id": owner_id})),
    );
    let invitation_id = invitation["id"].as_str().unwrap();
    assert_eq!(invitation["status"], "pending");
    assert_eq!(
        invitation["public_inviter_data"]["identifier"],
        "owner@example.com"
    );
    api.error(
        "POST",
        &format!("/v1/organizations/{org_id}/invitations"),
        Some(json!({"email_address": "guest@example.com", "role": "org:member"})),
        422,
        "duplicate_record",
    );
    let bulk = api.ok(
        "POST",
        &format!("/v1/organizations/{org_id}/invitations/bulk"),
        Some(json!([{"email_address": "a@example.com", "role": "org:member"}, {"email_address": "b@example.com", "role": "org:admin"}])),
    );
    assert_eq!(bulk["total_count"], 2);
    assert_eq!(
        api.ok(
            "GET",
            &format!("/v1/organizations/{org_id}/invitations/pending"),
            None
        )["total_count"],
        3
    );
    assert_eq!(
        api.ok(
            "GET",
            &format!("/v1/organizations/{org_id}/invitations/{invitation_id}"),
            None
        ),
        invitation
    );
    let revoked = api.ok(
        "POST",
        &format!("/v1/organizations/{org_id}/invitations/{invitation_id}/revoke"),
        None,
    );
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(
        api.ok(
            "GET",
            &format!("/v1/organizations/{org_id}/invitations?status=revoked"),
            None
        )["total_count"],
        1
    );

    let deleted = api.ok("DELETE", &format!("/v1/organizations/{org_id}"), None);
    assert_eq!(deleted["deleted"], true);
    api.error(
        "GET",
        &format!("/v1/organizations/{org_id}"),
        None,
        404,
        "resource_not_found",
    );
    assert_eq!(
        api.ok(
            "GET",
            &format!("/v1/users/{owner_id}/organization_memberships"),
            None
        )["total_count"],
        0
    );
}

#[test]
fn invitations_allowlist_blocklist() {
    let api = Api::start();
    let invitation = api.ok(
        "POST",
        "/v1/invitations",
        Some(json!({"email_address": "new@example.com", "public_metadata": {"a": 1}})),
    );
    assert!(invitation["id"].as_str().unwrap().starts_with("inv_"));
    api.error(
        "POST",
        "/v1/invitations",
        Some(json!({"email_address": "new@example.com"})),
        422,
        "duplicate_record",
    );
    api.error(
        "POST",
        "/v1/invitations",
        Some(json!({})),
        422,
        "form_param_missing",
    );
    let bulk = api.ok(
        "POST",
        "/v1/invitations/bulk",
        Some(json!([{"email_address": "x@example.com"}, {"email_address": "y@example.com"}])),
    );
    assert_eq!(bulk.as_array().unwrap().len(), 2);
    assert_eq!(
        api.ok("GET", "/v1/invitations", None)
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // `paginated=true` switches to Clerk's `{data,total_count}` shape, which the spec's
    // response schema (array only) does not describe, so skip the schema check here.
    let key = api.emulator.secret_key().to_string();
    let paged = api.call_with_key(
        Some(&key),
        "GET",
        "/v1/invitations?paginated=true&limit=1",
        None,
    );
    assert_eq!(paged.body["total_count"], 3);
    assert_eq!(paged.body["data"].as_array().unwrap().len(), 1);
    let id = invitation["id"].as_str().unwrap();
    let revoked = api.ok("POST", &format!("/v1/invitations/{id}/revoke"), None);
    assert_eq!(
        (revoked["status"].clone(), revoked["revoked"].clone()),
        (json!("revoked"), json!(true))
    );
    assert_eq!(
        api.ok("GET", "/v1/invitations?status=pending", None)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    api.error(
        "POST",
        "/v1/invitations/inv_missing/revoke",
        None,
        404,
        "resource_not_found",
    );

    let allowed = api.ok(
        "POST",
        "/v1/allowlist_identifiers",
        Some(json!({"identifier": "friend@example.com"})),
    );
    assert_eq!(allowed["identifier_type"], "email_address");
    api.error(
        "POST",
        "/v1/allowlist_identifiers",
        Some(json!({"identifier": "friend@example.com"})),
        422,
        "duplicate_record",
    );
    assert_eq!(
        api.ok("GET", "/v1/allowlist_identifiers", None)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let blocked = api.ok(
        "POST",
        "/v1/blocklist_identifiers",
        Some(json!({"identifier": "+15555550199"})),
    );
    assert_eq!(blocked["identifier_type"], "phone_number");
    assert_eq!(
        api.ok("GET", "/v1/blocklist_identifiers", None)["total_count"],
        1
    );
    let allowed_id = allowed["id"].as_str().unwrap();
    assert_eq!(
        api.ok(
            "DELETE",
            &format!("/v1/allowlist_identifiers/{allowed_id}"),
            None
        )["deleted"],
        true
    );
    let blocked_id = blocked["id"].as_str().unwrap();
    assert_eq!(
        api.ok(
            "DELETE",
            &format!("/v1/blocklist_identifiers/{blocked_id}"),
            None
        )["deleted"],
        true
    );
    api.error(
        "DELETE",
        &format!("/v1/blocklist_identifiers/{blocked_id}"),
        None,
        404,
        "resource_not_found",
    );
}

#[test]
fn templates_tokens_redirects_domains_and_instance() {
    let api = Api::start();
    let user = create_user(&api, "t@example.com");
    let user_id = user["id"].as_str().unwrap();

    let template = api.ok("POST", "/v1/jwt_templates", Some(json!({"name": "hasura", "claims": {"email": "{{user.primary_email_address}}"}, "lifetime": 120})));
    let template_id = template["id"].as_str().unwrap();
    assert_eq!(template["lifetime"], 120);
    api.error(
        "POST",
        "/v1/jwt_templates",
        Some(json!({"name": "hasura", "claims": {}})),
        422,
        "form_identifier_exists",
    );
    assert_eq!(
        api.ok("GET", "/v1/jwt_templates", None)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.ok(
            "PATCH",
            &format!("/v1/jwt_templates/{template_id}"),
            Some(json!({"name": "hasura", "claims": {"sub2": "{{user.id}}"}, "allowed_clock_skew": 10}))
        )["allowed_clock_skew"],
        10
    );
    assert_eq!(
        api.ok("GET", &format!("/v1/jwt_templates/{template_id}"), None)["allowed_clock_skew"],
        10
    );
    api.error(
        "PATCH",
        &format!("/v1/jwt_templates/{template_id}"),
        Some(json!({"lifetime": 90})),
        422,
        "form_param_missing",
    );
    assert_eq!(
        api.ok("DELETE", &format!("/v1/jwt_templates/{template_id}"), None)["deleted"],
        true
    );

    let sign_in = api.ok(
        "POST",
        "/v1/sign_in_tokens",
        Some(json!({"user_id": user_id})),
    );
    assert_eq!(sign_in["status"], "pending");
    let sign_in_id = sign_in["id"].as_str().unwrap();
    assert_eq!(
        api.ok(
            "POST",
            &format!("/v1/sign_in_tokens/{sign_in_id}/revoke"),
            None
        )["status"],
        "revoked"
    );
    api.error(
        "POST",
        "/v1/sign_in_tokens",
        Some(json!({"user_id": "user_nope"})),
        404,
        "resource_not_found",
    );

    let actor = api.ok(
        "POST",
        "/v1/actor_tokens",
        Some(json!({"user_id": user_id, "actor": {"sub": "user_admin"}})),
    );
    assert_eq!(actor["actor"], json!({"sub": "user_admin"}));
    let actor_id = actor["id"].as_str().unwrap();
    assert_eq!(
        api.ok("POST", &format!("/v1/actor_tokens/{actor_id}/revoke"), None)["status"],
        "revoked"
    );
    api.error(
        "POST",
        "/v1/actor_tokens",
        Some(json!({"user_id": user_id})),
        422,
        "form_param_missing",
    );

    let redirect = api.ok(
        "POST",
        "/v1/redirect_urls",
        Some(json!({"url": "myapp://callback"})),
    );
    let redirect_id = redirect["id"].as_str().unwrap();
    api.error(
        "POST",
        "/v1/redirect_urls",
        Some(json!({"url": "myapp://callback"})),
        422,
        "duplicate_record",
    );
    assert_eq!(
        api.ok("GET", &format!("/v1/redirect_urls/{redirect_id}"), None),
        redirect
    );
    assert_eq!(
        api.ok("GET", "/v1/redirect_urls", None)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.ok("DELETE", &format!("/v1/redirect_urls/{redirect_id}"), None)["deleted"],
        true
    );

    let domains = api.ok("GET", "/v1/domains", None);
    assert_eq!(domains["total_count"], 1);
    let primary_id = domains["data"][0]["id"].as_str().unwrap().to_string();
    let satellite = api.ok(
        "POST",
        "/v1/domains",
        Some(json!({"name": "satellite.example.com", "is_satellite": true})),
    );
    let satellite_id = satellite["id"].as_str().unwrap();
    assert_eq!(
        api.ok(
            "PATCH",
            &format!("/v1/domains/{satellite_id}"),
            Some(json!({"proxy_url": "https://p.example.com"}))
        )["proxy_url"],
        "https://p.example.com"
    );
    assert_eq!(
        api.ok("DELETE", &format!("/v1/domains/{satellite_id}"), None)["deleted"],
        true
    );
    api.error(
        "DELETE",
        &format!("/v1/domains/{primary_id}"),
        None,
        403,
        "operation_not_allowed_on_primary_domain",
    );

    let answer = api.call(
        "PATCH",
        "/v1/instance",
        Some(json!({"allowed_origins": ["http://localhost:5173"]})),
    );
    assert_eq!((answer.status, answer.text.as_str()), (204, ""));
    assert_eq!(
        api.ok("GET", "/v1/instance", None)["allowed_origins"],
        json!(["http://localhost:5173"])
    );
    assert_eq!(
        api.ok(
            "PATCH",
            "/v1/instance/restrictions",
            Some(json!({"allowlist": true}))
        )["allowlist"],
        true
    );
    let settings = api.ok(
        "PATCH",
        "/v1/instance/organization_settings",
        Some(json!({"max_allowed_memberships": 7})),
    );
    assert_eq!(settings["max_allowed_memberships"], 7);
    assert_eq!(
        api.ok("GET", "/v1/instance/organization_settings", None),
        settings
    );
    assert_eq!(
        api.ok("POST", "/v1/organizations", Some(json!({"name": "Seven"})))["max_allowed_memberships"],
        7
    );
    assert_eq!(
        api.ok(
            "PATCH",
            "/v1/beta_features/instance_settings",
            Some(json!({"restricted_to_allowlist": true}))
        )["restricted_to_allowlist"],
        true
    );
    assert_eq!(
        api.call(
            "PUT",
            "/v1/beta_features/domain",
            Some(json!({"home_url": "https://example.com"}))
        )
        .status,
        202
    );
    let testing = api.ok("POST", "/v1/testing_tokens", None);
    assert!(
        testing["expires_at"].as_i64().unwrap() < 10_000_000_000,
        "testing token expiry is in epoch seconds"
    );
}

#[test]
fn authentication_and_routing_errors() {
    let api = Api::start();
    let unauthenticated = api.call_with_key(None, "GET", "/v1/users", None);
    assert_clerk_error(&unauthenticated, 401, "authentication_invalid");
    assert!(
        unauthenticated.trace_id.is_some(),
        "errors carry x-clerk-trace-id"
    );
    assert_clerk_error(
        &api.call_with_key(Some("sk_test_wrong"), "GET", "/v1/users", None),
        401,
        "clerk_key_invalid",
    );
    assert_clerk_error(
        &api.call_with_key(Some("sk_test_wrong"), "GET", "/v1/jwks", None),
        401,
        "clerk_key_invalid",
    );
    api.error(
        "GET",
        "/v1/no_such_resource",
        None,
        404,
        "resource_not_found",
    );
    api.error("GET", "/v2/users", None, 404, "resource_not_found");
    api.error(
        "GET",
        "/v1/users/user_x/nope",
        None,
        404,
        "resource_not_found",
    );
    // A spec operation the emulator does not implement is never a silent success.
    let error = api.error(
        "GET",
        "/v1/waitlist_entries",
        None,
        501,
        "emulator_unsupported",
    );
    assert_eq!(error["meta"]["operation_id"], "ListWaitlistEntries");
    api.error(
        "POST",
        "/v1/clients/verify",
        Some(json!({"token": "x"})),
        501,
        "emulator_unsupported",
    );
}

#[test]
fn implemented_routes_are_spec_operations() {
    let mut count = 0;
    for (operation_id, method, template) in clerk_emulator::implemented_operations() {
        let operation = &support::spec()["paths"][template][method.to_ascii_lowercase()];
        assert_eq!(
            operation["operationId"], operation_id,
            "{method} {template}"
        );
        count += 1;
    }
    assert!(count >= 90, "{count}");
}

#[test]
fn every_unimplemented_operation_answers_501() {
    let api = Api::start();
    let implemented: Vec<&str> = clerk_emulator::implemented_operations()
        .map(|(id, _, _)| id)
        .collect();
    let mut checked = 0;
    for (template, item) in support::spec()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let operation_id = operation["operationId"].as_str().unwrap_or_default();
            if implemented.contains(&operation_id) || operation_id.is_empty() {
                continue;
            }
            let path = template.replace('{', "x_").replace('}', "");
            let answer = api.call_with_key(
                Some(api.emulator.secret_key()),
                &method.to_ascii_uppercase(),
                &format!("/v1{path}"),
                None,
            );
            assert_clerk_error(&answer, 501, "emulator_unsupported");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn api_keys_and_machine_token_verification() {
    let api = Api::start();
    let user = create_user(&api, "keys@example.com");
    let subject = user["id"].as_str().unwrap();
    let created = api.ok(
        "POST",
        "/v1/api_keys",
        Some(json!({"name": "CI key", "subject": subject, "scopes": ["read"], "claims": {"team": "ci"}})),
    );
    let id = created["id"].as_str().unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(id.starts_with("ak_") && id.len() == 35, "{id}");
    assert!(secret.starts_with("ak_"));
    assert_eq!(
        api.ok("GET", &format!("/v1/api_keys/{id}/secret"), None)["secret"],
        secret
    );
    let fetched = api.ok("GET", &format!("/v1/api_keys/{id}"), None);
    assert!(
        fetched.get("secret").is_none(),
        "only creation and /secret reveal the secret"
    );
    let verified = api.ok(
        "POST",
        "/v1/api_keys/verify",
        Some(json!({"secret": secret})),
    );
    assert_eq!(verified["id"], id);
    assert!(verified["last_used_at"].is_number());
    api.error(
        "POST",
        "/v1/api_keys/verify",
        Some(json!({"secret": "ak_unknown"})),
        404,
        "resource_not_found",
    );
    api.error(
        "POST",
        "/v1/api_keys",
        Some(json!({"name": "x", "subject": subject})),
        400,
        "form_param_format_invalid",
    );
    api.error(
        "POST",
        "/v1/api_keys",
        Some(json!({"name": "Bad subject", "subject": "nobody"})),
        400,
        "form_param_format_invalid",
    );

    let updated = api.ok(
        "PATCH",
        &format!("/v1/api_keys/{id}"),
        Some(json!({"description": "rotated", "scopes": ["read", "write"]})),
    );
    assert_eq!(updated["scopes"], json!(["read", "write"]));
    assert_eq!(
        api.ok("GET", &format!("/v1/api_keys?subject={subject}"), None)["total_count"],
        1
    );
    api.error("GET", "/v1/api_keys", None, 400, "form_param_missing");
    let revoked = api.ok(
        "POST",
        &format!("/v1/api_keys/{id}/revoke"),
        Some(json!({"revocation_reason": "leaked"})),
    );
    assert_eq!(
        (
            revoked["revoked"].clone(),
            revoked["revocation_reason"].clone()
        ),
        (json!(true), json!("leaked"))
    );
    api.error(
        "POST",
        "/v1/api_keys/verify",
        Some(json!({"secret": secret})),
        404,
        "resource_not_found",
    );
    assert_eq!(
        api.ok("GET", &format!("/v1/api_keys?subject={subject}"), None)["total_count"],
        0
    );
    assert_eq!(
        api.ok(
            "GET",
            &format!("/v1/api_keys?subject={subject}&include_invalid=true"),
            None
        )["total_count"],
        1
    );
    assert_eq!(
        api.ok("DELETE", &format!("/v1/api_keys/{id}"), None)["deleted"],
        true
    );
    api.error(
        "GET",
        &format!("/v1/api_keys/{id}"),
        None,
        404,
        "resource_not_found",
    );

    // The emulator issues no M2M or OAuth tokens, so verification finds none.
    api.error(
        "POST",
        "/v1/m2m_tokens/verify",
        Some(json!({"token": "mt_unknown"})),
        404,
        "resource_not_found",
    );
    api.error(
        "POST",
        "/v1/oauth_applications/access_tokens/verify",
        Some(json!({"access_token": "oat_unknown"})),
        404,
        "resource_not_found",
    );
}
