//! Checks of the code `cargo xtask codegen` generates: the operation table, the typed
//! params, and the models against the schemas of the spec they come from.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clerk_core::Method;
use clerk_core::operations::{self, Body, Location, Pagination, ParamType};
use clerk_core::{models, params};
use serde_json::{Value, json};

#[test]
fn table_has_every_operation_once_sorted_by_name() {
    let all = operations::all();
    assert_eq!(all.len(), 249);
    let names: BTreeSet<&str> = all.iter().map(|op| op.name).collect();
    let ids: BTreeSet<&str> = all.iter().map(|op| op.operation_id).collect();
    assert_eq!(names.len(), all.len(), "names are not unique");
    assert_eq!(ids.len(), all.len(), "operationIds are not unique");
    assert!(
        all.windows(2).all(|w| w[0].name < w[1].name),
        "table not sorted by name"
    );
    for op in all {
        let (resource, method) = op.name.split_once('.').expect("resource.method");
        for part in [resource, method] {
            assert!(
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{} is not snake_case resource.method",
                op.name
            );
        }
        assert!(
            !op.path.starts_with("/v1"),
            "{}: path keeps the server prefix",
            op.name
        );
    }
}

#[test]
fn find_works_by_name_and_by_operation_id() {
    for op in operations::all() {
        assert_eq!(operations::find(op.name), Some(op));
        assert_eq!(operations::find(op.operation_id), Some(op));
    }
    assert_eq!(operations::find("users.no_such_method"), None);
}

#[test]
fn every_path_placeholder_has_a_path_param_and_keys_are_unambiguous() {
    for op in operations::all() {
        let placeholders: BTreeSet<&str> = op
            .path
            .split('{')
            .skip(1)
            .map(|rest| rest.split_once('}').expect("closed placeholder").0)
            .collect();
        let path_params: BTreeSet<&str> = op
            .params
            .iter()
            .filter(|p| p.location == Location::Path)
            .map(|p| p.name)
            .collect();
        assert_eq!(placeholders, path_params, "{}", op.name);
        assert!(
            op.params
                .iter()
                .filter(|p| p.location == Location::Path)
                .all(|p| p.required)
        );
        let keys: BTreeSet<&str> = op.params.iter().map(|p| p.name).collect();
        assert_eq!(
            keys.len(),
            op.params.len(),
            "{}: a key has two meanings",
            op.name
        );
        assert!(
            !keys.contains("$body") && !keys.contains("$extra_body"),
            "{}",
            op.name
        );
        let has_body_params = op.params.iter().any(|p| p.location == Location::Body);
        let has_parts = op.params.iter().any(|p| p.location == Location::Multipart);
        assert!(
            !has_body_params || matches!(op.body, Body::Object { .. }),
            "{}",
            op.name
        );
        assert!(
            !has_parts || matches!(op.body, Body::Multipart { .. }),
            "{}",
            op.name
        );
        if op.pagination != Pagination::None {
            assert_eq!(op.method, Method::Get, "{}", op.name);
            assert!(
                op.param("limit").is_some() && op.param("offset").is_some(),
                "{}",
                op.name
            );
        }
    }
}

#[test]
fn get_user_list_entry() {
    let op = operations::find("GetUserList").unwrap();
    assert_eq!(op.name, "users.list");
    assert_eq!(op.method, Method::Get);
    assert_eq!(op.path, "/users");
    assert_eq!(op.body, Body::None);
    assert_eq!(op.pagination, Pagination::BareArray);
    assert!(!op.deprecated);
    assert_eq!(op.summary, "List all users");
    let email = op.param("email_address").unwrap();
    assert_eq!(
        (email.location, email.ty, email.required),
        (Location::Query, ParamType::Array, false)
    );
    let limit = op.param("limit").unwrap();
    assert_eq!(
        (limit.location, limit.ty),
        (Location::Query, ParamType::Integer)
    );
    assert_eq!(
        operations::find("SetUserProfileImage").unwrap().name,
        "users.set_profile_image"
    );
    assert_eq!(
        operations::find("getApiKeys").unwrap().name,
        "api_keys.list"
    );
    assert_eq!(
        operations::find("GetInstanceProtect").unwrap().name,
        "instance_settings.get_instance_protect"
    );
}

#[test]
fn create_user_has_its_body_fields() {
    let op = operations::find("users.create").unwrap();
    assert_eq!(op.operation_id, "CreateUser");
    assert_eq!((op.method, op.path), (Method::Post, "/users"));
    assert_eq!(op.body, Body::Object { required: true });
    for (name, ty) in [
        ("email_address", ParamType::Array),
        ("password", ParamType::String),
        ("public_metadata", ParamType::Object),
        ("skip_password_checks", ParamType::Boolean),
    ] {
        let param = op
            .param(name)
            .unwrap_or_else(|| panic!("CreateUser lacks {name}"));
        assert_eq!((param.location, param.ty), (Location::Body, ty), "{name}");
    }
    assert!(op.params.iter().all(|p| p.location == Location::Body));
}

#[test]
fn set_user_profile_image_is_multipart_with_a_file() {
    let op = operations::find("SetUserProfileImage").unwrap();
    assert_eq!(op.method, Method::Post);
    assert_eq!(op.path, "/users/{user_id}/profile_image");
    assert!(matches!(op.body, Body::Multipart { .. }));
    let file = op.param("file").unwrap();
    assert_eq!(
        (file.location, file.ty),
        (Location::Multipart, ParamType::File)
    );
    assert_eq!(op.param("user_id").unwrap().location, Location::Path);
}

#[test]
fn array_bodies_are_whole() {
    let op = operations::find("CreateBulkInvitations").unwrap();
    assert_eq!(op.name, "invitations.bulk_create");
    assert!(matches!(op.body, Body::Whole { .. }));
    assert!(op.params.is_empty());
    let op = operations::find("CreateOrganizationInvitationBulk").unwrap();
    assert_eq!(op.body, Body::Whole { required: true });
    assert_eq!(
        op.param("organization_id").unwrap().location,
        Location::Path
    );
}

#[test]
fn data_total_count_lists_are_detected() {
    let op = operations::find("ListOrganizations").unwrap();
    assert_eq!(op.pagination, Pagination::DataTotalCount);
    let count = operations::all()
        .iter()
        .filter(|op| op.pagination != Pagination::None)
        .count();
    assert!(count > 30, "only {count} paginated operations");
}

#[test]
fn params_serialize_to_the_flat_object() {
    let list = params::UsersListParams {
        limit: Some(5),
        email_address: Some(vec!["a@example.com".into()]),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&list).unwrap(),
        json!({"limit": 5, "email_address": ["a@example.com"]})
    );
    assert_eq!(
        params::UsersListParams::new()
            .limit(5)
            .email_address(["a@example.com"]),
        list,
        "setters build what a struct literal does"
    );
    let mut extra = serde_json::Map::new();
    extra.insert("future_field".into(), json!(true));
    let update = params::UsersUpdateParams::new()
        .first_name("Ada")
        .clear_last_name()
        .extra_body(extra);
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"first_name": "Ada", "last_name": null, "$extra_body": {"future_field": true}})
    );
    let image = params::UsersSetProfileImageParams::new()
        .file(clerk_core::File::new("a.png", vec![1u8, 2, 3]).with_content_type("image/png"));
    assert_eq!(
        serde_json::to_value(&image).unwrap(),
        json!({"file": {"filename": "a.png", "content_type": "image/png", "content_base64": "AQID"}})
    );
    // Required fields come first, through `new`; a required field never skips.
    let membership = params::OrganizationMembershipsCreateParams::new("user_1", "org:member");
    assert_eq!(
        serde_json::to_value(&membership).unwrap(),
        json!({"user_id": "user_1", "role": "org:member"})
    );
}

#[test]
fn union_values_take_the_alternative_they_are() {
    let otp = json!({"object": "verification_otp", "status": "verified", "strategy": "email_code",
        "attempts": 1, "expire_at": 2});
    let admin =
        json!({"status": "verified", "strategy": "admin", "attempts": null, "expire_at": null});
    let from_oauth = json!({"status": "verified", "strategy": "from_oauth_google",
        "attempts": null, "expire_at": 3});
    let future = json!({"object": "verification_carrier_pigeon", "status": "verified",
        "strategy": "pigeon", "attempts": 1, "expire_at": 2});
    let parse = |v: &Value| -> models::EmailAddressVerification {
        serde_json::from_value(v.clone()).unwrap()
    };
    assert!(
        matches!(parse(&otp), models::EmailAddressVerification::Otp(v) if v.attempts == Some(1))
    );
    // Without the discriminator, the constant-like properties decide.
    assert!(matches!(
        parse(&admin),
        models::EmailAddressVerification::Admin(_)
    ));
    assert!(matches!(
        parse(&from_oauth),
        models::EmailAddressVerification::FromOauth(_)
    ));
    assert_eq!(
        parse(&future),
        models::EmailAddressVerification::Unknown(future.clone())
    );
    // Written back as it was read.
    for value in [&otp, &future] {
        assert_eq!(&serde_json::to_value(parse(value)).unwrap(), value);
    }
    let refresh: models::SessionRefresh =
        serde_json::from_value(json!({"object": "cookies", "cookies": ["a=b"]})).unwrap();
    assert!(matches!(refresh, models::SessionRefresh::Cookies(_)));
    let refresh: models::SessionRefresh =
        serde_json::from_value(json!({"object": "token", "jwt": "x.y.z"})).unwrap();
    assert!(matches!(refresh, models::SessionRefresh::Token(_)));
    let inactive: models::OauthAccessTokensVerifyResponse =
        serde_json::from_value(json!({"active": false})).unwrap();
    assert!(matches!(
        inactive,
        models::OauthAccessTokensVerifyResponse::Inactive(_)
    ));
}

#[test]
fn unknown_enum_values_and_fields_survive() {
    let known: models::SessionStatus = serde_json::from_value(json!("active")).unwrap();
    assert_eq!(known, models::SessionStatus::Active);
    let unknown: models::SessionStatus = serde_json::from_value(json!("hibernating")).unwrap();
    assert_eq!(
        unknown,
        models::SessionStatus::Unknown("hibernating".into())
    );
    assert_eq!(
        serde_json::to_value(&unknown).unwrap(),
        json!("hibernating")
    );
    assert_eq!(serde_json::to_value(&known).unwrap(), json!("active"));

    let deleted: models::DeletedObject = serde_json::from_value(json!({
        "object": "user", "id": "user_1", "deleted": true, "added_in_2030": {"x": 1}
    }))
    .unwrap();
    assert_eq!(deleted.id.as_deref(), Some("user_1"));
    assert!(deleted.deleted);
    let back = serde_json::to_value(&deleted).unwrap();
    assert_eq!(
        back,
        json!({"object": "user", "id": "user_1", "deleted": true})
    );

    let missing_required = serde_json::from_value::<models::DeletedObject>(json!({"id": "x"}));
    assert!(
        missing_required.is_err(),
        "a required field may not be missing"
    );
}

// ---- Models against the spec ----------------------------------------------------------

/// The spec, read from `../shared/openapi/` beside the repository, if it is there.
fn load_spec() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/openapi/clerk-bapi-2026-05-12.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("spec is JSON")),
        Err(e) => {
            eprintln!(
                "\n\n*** SKIPPED: the spec is not at {} ({e}); spec checks did not run ***\n\n",
                path.display()
            );
            None
        }
    }
}

fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        schema = spec
            .pointer(reference.trim_start_matches('#'))
            .expect("dangling $ref");
    }
    schema
}

/// Properties and required names of an object schema, through `allOf` and `$ref`.
fn properties(spec: &Value, schema: &Value) -> (Vec<(String, Value)>, BTreeSet<String>) {
    let schema = resolve(spec, schema);
    let mut props = Vec::new();
    let mut required = BTreeSet::new();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (p, r) = properties(spec, part);
        props.extend(p);
        required.extend(r);
    }
    for (name, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        props.push((name.clone(), prop.clone()));
    }
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        required.insert(name.as_str().unwrap().to_string());
    }
    (props, required)
}

/// A value for `schema`: the spec's own `example` where it gives one, otherwise made up
/// from the type. `full` fills every property (to a bounded depth); otherwise only the
/// required ones, with `null` where the spec allows it.
fn example(spec: &Value, schema: &Value, full: bool, depth: usize) -> Value {
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    let schema = resolve(spec, schema);
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            if first.get("required").is_none() || first.as_object().unwrap().len() > 1 {
                return example(spec, first, full, depth + 1);
            }
        }
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return first.clone();
    }
    let (props, required) = properties(spec, schema);
    if !props.is_empty() {
        let mut object = serde_json::Map::new();
        for (name, prop) in props {
            let is_required = required.contains(&name);
            let nullable = prop.get("nullable").and_then(Value::as_bool) == Some(true)
                || resolve(spec, &prop)
                    .get("nullable")
                    .and_then(Value::as_bool)
                    == Some(true);
            if is_required && nullable && !full {
                object.insert(name, Value::Null);
            } else if is_required || (full && depth < 6) {
                object.insert(name, example(spec, &prop, full, depth + 1));
            }
        }
        return Value::Object(object);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => json!("text"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") if full => json!([example(spec, &schema["items"], full, depth + 1)]),
        Some("array") => json!([]),
        Some("object") => match schema.get("additionalProperties") {
            Some(values @ Value::Object(o)) if !o.is_empty() && full => {
                json!({"key": example(spec, values, full, depth + 1)})
            }
            _ => json!({}),
        },
        _ => json!({"any": "value"}),
    }
}

#[test]
fn every_schema_has_a_model_that_reads_its_examples() {
    let Some(spec) = load_spec() else { return };
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let spec_names: BTreeSet<&str> = schemas.keys().map(String::as_str).collect();
    let model_names: BTreeSet<&str> = models::SCHEMA_NAMES.iter().copied().collect();
    assert_eq!(spec_names, model_names);
    assert_eq!(model_names.len(), 167);

    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, schema) in schemas {
        for full in [false, true] {
            let value = example(&spec, schema, full, 0);
            checked += 1;
            if let Err(e) = models::deserialize_by_schema_name(name, &value) {
                let kind = if full { "full" } else { "minimal" };
                failures.push(format!("{name} ({kind} example {value}): {e}"));
            }
        }
        // Property examples the spec gives for component-typed properties.
        let (props, _) = properties(&spec, schema);
        for (prop_name, prop) in props {
            let (Some(example), Some(target)) = (
                prop.get("example"),
                prop.get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/")),
            ) else {
                continue;
            };
            checked += 1;
            if let Err(e) = models::deserialize_by_schema_name(target, example) {
                failures.push(format!("{name}.{prop_name} example as {target}: {e}"));
            }
        }
    }
    // Named responses with an inline object schema have types of their own.
    let responses = spec["components"]["responses"].as_object().unwrap();
    assert!(
        models::RESPONSE_NAMES.len() >= 10,
        "{:?}",
        models::RESPONSE_NAMES
    );
    for name in models::RESPONSE_NAMES {
        let schema = &responses[*name]["content"]["application/json"]["schema"];
        for full in [false, true] {
            let value = example(&spec, schema, full, 0);
            checked += 1;
            let key = format!("#/components/responses/{name}");
            if let Err(e) = models::deserialize_by_schema_name(&key, &value) {
                failures.push(format!("response {name} (example {value}): {e}"));
            }
        }
    }
    assert!(models::deserialize_by_schema_name("NoSuchSchema", &json!({})).is_err());
    assert!(
        failures.is_empty(),
        "{} of {checked} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn table_matches_the_spec() {
    let Some(spec) = load_spec() else { return };
    let mut from_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            from_spec.insert(id.to_string());
            let entry =
                operations::find(id).unwrap_or_else(|| panic!("{id} missing from the table"));
            assert_eq!(entry.path, path, "{id}");
            assert_eq!(entry.method, Method::parse(verb).unwrap(), "{id}");
            assert_eq!(
                entry.deprecated,
                op.get("deprecated") == Some(&json!(true)),
                "{id}"
            );
            let spec_params = op
                .get("parameters")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let table_params = entry
                .params
                .iter()
                .filter(|p| matches!(p.location, Location::Path | Location::Query))
                .count();
            assert_eq!(spec_params, table_params, "{id}: path and query parameters");
        }
    }
    let from_table: BTreeSet<String> = operations::all()
        .iter()
        .map(|op| op.operation_id.to_string())
        .collect();
    assert_eq!(from_spec, from_table);
}
