//! Contract test: every operation of the spec, sent through its typed method
//! (`client.users().get(id)`, ...) to Stoplight Prism mocking Clerk's spec, must raise
//! no request violation, and every 2xx answer must parse into its typed model, with
//! every `oneOf` value a known alternative. Run by `tests/contract/run.sh`, which starts Prism and sets
//! `PRISM_URL`; built only with the `contract` feature.

use std::collections::BTreeMap;

use clerk_core::Operation;
use clerk_core::contract;
use clerk_core::operations::{self, Location};
use clerk_core::{Client, Error, RetryPolicy};
use serde_json::{Map, Value, json};

/// Prism's static example of an object schema that carries `oneOf`/`anyOf` is `{}`, even
/// when the schema requires fields. Three such schemas reach 2xx bodies: `SAMLConnection`
/// (the body of the SAML connection operations; `anyOf` "domain or domains"), and inside
/// every `User` `SAMLAccountConnection` (`saml_accounts[].saml_connection`) and
/// `EnterpriseAccountConnection` (`enterprise_accounts[].enterprise_connection`), both a
/// nullable single-branch `oneOf`. For these operations the body must fail to parse as
/// received (so this list never goes stale) and must parse once each such empty object is
/// replaced by a valid sample of the schema that belongs there.
const EMPTY_CONNECTION_EXAMPLES: &[&str] = &[
    "BanUser",
    "CreateSAMLConnection",
    "CreateUser",
    "DeleteUserProfileImage",
    "GetSAMLConnection",
    "GetUser",
    "GetUserList",
    "ListSAMLConnections",
    "LockUser",
    "RemoveUserPassword",
    "ReplaceUserMetadata",
    "SetUserPasswordCompromised",
    "SetUserProfileImage",
    "UnbanUser",
    "UnlockUser",
    "UnsetUserPasswordCompromised",
    "UpdateSAMLConnection",
    "UpdateUser",
    "UpdateUserMetadata",
    "UsersBan",
    "UsersUnban",
];

/// Valid samples of the schemas whose Prism examples are empty.
struct ConnectionSamples {
    saml_connection: Value,
    saml_account_connection: Value,
    enterprise_account_connection: Value,
}

/// Replaces each empty object standing for a connection with a valid sample.
fn repair_connections(value: &mut Value, valid: &ConnectionSamples, whole_is_connection: bool) {
    let empty = |v: &Value| v.as_object().is_some_and(Map::is_empty);
    if whole_is_connection && empty(value) {
        *value = valid.saml_connection.clone();
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "saml_connection" && empty(child) {
                    *child = valid.saml_account_connection.clone();
                } else if key == "enterprise_connection" && empty(child) {
                    *child = valid.enterprise_account_connection.clone();
                } else {
                    repair_connections(child, valid, whole_is_connection && key == "data");
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                repair_connections(item, valid, whole_is_connection);
            }
        }
        _ => {}
    }
}

struct Spec {
    root: Value,
}

impl Spec {
    fn load() -> Spec {
        let path = std::env::var("CLERK_SPEC").unwrap_or_else(|_| {
            format!(
                "{}/../../shared/openapi/clerk-bapi-2026-05-12.json",
                env!("CARGO_MANIFEST_DIR")
            )
        });
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the spec at {path}: {e}"));
        Spec {
            root: serde_json::from_str(&text).unwrap(),
        }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = reference.trim_start_matches('#');
            schema = self
                .root
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        schema
    }

    fn operation(&self, operation_id: &str) -> (&Value, Vec<&Value>) {
        for item in self.root["paths"].as_object().unwrap().values() {
            for (method, op) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                if op["operationId"] == operation_id {
                    let mut params: Vec<&Value> = Vec::new();
                    for list in [item.get("parameters"), op.get("parameters")]
                        .into_iter()
                        .flatten()
                    {
                        params.extend(list.as_array().unwrap().iter().map(|p| self.resolve(p)));
                    }
                    return (op, params);
                }
            }
        }
        panic!("{operation_id} is not in the spec");
    }

    /// A value the schema accepts: its example when it has one, else the smallest valid
    /// value we can build (required properties only).
    fn sample(&self, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        assert!(depth < 12, "schema nesting too deep");
        if let Some(all_of) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in all_of {
                if let Value::Object(fields) = self.sample(part, depth + 1) {
                    merged.extend(fields);
                }
            }
            return Value::Object(merged);
        }
        // An alternative (`oneOf`/`anyOf`): its first branch. A branch that only lists
        // `required` names (as in "domain or domains") constrains the schema's own
        // properties; a branch with properties of its own is merged into them.
        let first_branch = ["oneOf", "anyOf"]
            .iter()
            .find_map(|key| schema.get(*key).and_then(|v| v.get(0)));
        if let Some(branch) = first_branch {
            if schema.get("properties").is_none() {
                return self.sample(branch, depth + 1);
            }
            let mut own = schema.as_object().unwrap().clone();
            own.remove("oneOf");
            own.remove("anyOf");
            let branch = self.resolve(branch);
            if branch.get("properties").is_none() {
                let mut required = own.get("required").cloned().unwrap_or(json!([]));
                if let (Some(list), Some(extra)) = (
                    required.as_array_mut(),
                    branch.get("required").and_then(Value::as_array),
                ) {
                    list.extend(extra.iter().cloned());
                }
                own.insert("required".into(), required);
                return self.sample(&Value::Object(own), depth + 1);
            }
            let mut merged = self.sample(&Value::Object(own), depth + 1);
            if let (Value::Object(merged), Value::Object(extra)) =
                (&mut merged, self.sample(branch, depth + 1))
            {
                merged.extend(extra);
            }
            return merged;
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if let Some(first) = values.iter().find(|v| !v.is_null()) {
                return first.clone();
            }
        }
        if let Some(example) = schema.get("example") {
            if !example.is_null() {
                return example.clone();
            }
        }
        let ty = match schema.get("type") {
            Some(Value::String(ty)) => ty.as_str(),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("string"),
            _ if schema.get("properties").is_some() => "object",
            _ => "string",
        };
        match ty {
            "object" => {
                let mut out = Map::new();
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                    for name in required {
                        if let Some(property) = properties.get(name) {
                            out.insert(name.to_owned(), self.sample(property, depth + 1));
                        }
                    }
                }
                Value::Object(out)
            }
            "array" => {
                let min = schema
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .max(1);
                let item = self.sample(&schema["items"], depth + 1);
                Value::Array((0..min).map(|_| item.clone()).collect())
            }
            "integer" => json!(
                schema
                    .get("minimum")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
                    .max(1)
            ),
            "number" => json!(
                schema
                    .get("minimum")
                    .and_then(Value::as_f64)
                    .unwrap_or(1.0)
                    .max(1.0)
            ),
            "boolean" => json!(true),
            _ => Value::String(sample_string(schema)),
        }
    }
}

/// A string for a string schema, honouring the few formats and patterns the spec uses.
fn sample_string(schema: &Value) -> String {
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        let word27 = "a".repeat(27);
        let hex32 = "0".repeat(32);
        return match pattern {
            "^[A-Z]{2}$" => "US".to_owned(),
            "^[^_][A-Za-z0-9_-]*$" | "^(\\S(.*\\S)?)?$" => "sample".to_owned(),
            "^org_\\w{27}$" => format!("org_{word27}"),
            "^apl_\\w{27}$" => format!("apl_{word27}"),
            "^ins_\\w{27}$" => format!("ins_{word27}"),
            "^user_\\w{27}$" | "^(user|org|mch|scim)_\\w{27}$" | "^(user|org|mch)_\\w{27}$" => {
                format!("user_{word27}")
            }
            "^mch_\\w{27}$" => format!("mch_{word27}"),
            "^aplt_[0-9A-Fa-f]{32}$" => format!("aplt_{hex32}"),
            "^ak_[0-9A-Fa-f]{32}$" | "^(ak|api_key)_[0-9A-Fa-f]{32}$" => format!("ak_{hex32}"),
            "^mt_[0-9A-Fa-f]{32}$" => format!("mt_{hex32}"),
            "^oat_[0-9A-Fa-f]{32}$" => format!("oat_{hex32}"),
            "^oauth_[a-z]+$" | "^oauth_(?:(?:token_)|(?:custom_))?[a-z]+$" => {
                "oauth_google".to_owned()
            }
            "^from_oauth_(?:(?:token_)|(?:custom_))?[a-z]+$" => "from_oauth_google".to_owned(),
            other => panic!("no sample for pattern {other:?}: add one to sample_string"),
        };
    }
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let text = match schema.get("format").and_then(Value::as_str) {
        Some("email") => "user@example.com".to_owned(),
        Some("uri") => "https://example.com/callback".to_owned(),
        Some("date-time") => "2026-01-01T00:00:00Z".to_owned(),
        Some("binary") => "binary".to_owned(),
        _ => "sample".to_owned(),
    };
    if text.len() >= min {
        text
    } else {
        "s".repeat(min)
    }
}

/// The flat params object for an operation: every required parameter and field, with
/// valid sample values.
fn params_for(spec: &Spec, op: &Operation) -> Value {
    let (spec_op, spec_params) = spec.operation(op.operation_id);
    let mut params = Map::new();
    for param in spec_params {
        let required = param
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let location = param["in"].as_str().unwrap();
        if (required || location == "path") && location != "header" {
            let value = spec.sample(param.get("schema").unwrap_or(&json!({"type": "string"})), 0);
            params.insert(param["name"].as_str().unwrap().to_owned(), value);
        }
    }
    if let Some(body) = spec_op.get("requestBody") {
        let body = spec.resolve(body);
        let content = body["content"].as_object().unwrap();
        let (content_type, media) = content.iter().next().unwrap();
        let schema = spec.resolve(&media["schema"]);
        if content_type.starts_with("multipart/") {
            let properties = schema.get("properties").and_then(Value::as_object);
            for param in op
                .params
                .iter()
                .filter(|p| p.location == Location::Multipart)
            {
                let value = if param.ty == clerk_core::operations::ParamType::File {
                    let file = clerk_core::File::new("logo.png", b"\x89PNG\r\n\x1a\n".to_vec())
                        .with_content_type("image/png");
                    serde_json::to_value(&file).unwrap()
                } else if param.required {
                    spec.sample(&properties.unwrap()[param.name], 0)
                } else {
                    continue;
                };
                params.insert(param.name.to_owned(), value);
            }
        } else {
            match spec.sample(schema, 0) {
                Value::Object(fields)
                    if schema.get("type") != Some(&json!("array"))
                        && op.params.iter().any(|p| p.location == Location::Body) =>
                {
                    params.extend(fields)
                }
                whole => {
                    params.insert("$body".to_owned(), whole);
                }
            }
        }
    }
    Value::Object(params)
}

fn prism_client(extra: Option<(&str, &str)>) -> Client {
    let url = std::env::var("PRISM_URL")
        .expect("PRISM_URL must point at a running Prism (tests/contract/run.sh sets it)");
    let mut builder = Client::builder()
        .secret_key("sk_test_contract")
        .api_url(url)
        .retry_policy(RetryPolicy::disabled());
    if let Some((name, value)) = extra {
        builder = builder.header(name, value);
    }
    builder.build().unwrap()
}

fn request_violations(headers: &[(String, String)]) -> Vec<String> {
    headers
        .iter()
        .filter(|(name, _)| name == "sl-violations")
        .flat_map(|(_, value)| serde_json::from_str::<Vec<Value>>(value).unwrap_or_default())
        .filter(|v| v["location"][0] == "request")
        .map(|v| format!("{} at {}", v["message"], v["location"]))
        .collect()
}

#[test]
fn every_operation_is_accepted_by_the_spec() {
    let spec = Spec::load();
    let client = prism_client(None);
    let mut failures: BTreeMap<&str, String> = BTreeMap::new();
    let mut sent = 0;
    let mut parsed = 0;
    let mut repaired = 0;
    let schema =
        |name: &str| spec.sample(&json!({"$ref": format!("#/components/schemas/{name}")}), 0);
    let valid_connections = ConnectionSamples {
        saml_connection: schema("SAMLConnection"),
        saml_account_connection: schema("SAMLAccountConnection"),
        enterprise_account_connection: schema("EnterpriseAccountConnection"),
    };
    for op in operations::all() {
        let params = params_for(&spec, op);
        sent += 1;
        match contract::call_typed(&client, op.operation_id, &params) {
            Ok(outcome) => {
                let violations = request_violations(&outcome.headers);
                if !violations.is_empty() {
                    failures.insert(
                        op.operation_id,
                        format!("request violations: {}", violations.join("; ")),
                    );
                    continue;
                }
                // Prism answers with the spec's own examples: every union value in them
                // must be one of the alternatives the spec lists, not `Unknown`.
                if !outcome.unknown_variants.is_empty() {
                    failures.insert(
                        op.operation_id,
                        format!(
                            "union values fitting no known alternative: {:?}",
                            outcome.unknown_variants
                        ),
                    );
                    continue;
                }
                let known_bad = EMPTY_CONNECTION_EXAMPLES.contains(&op.operation_id);
                match (outcome.parsed, known_bad) {
                    (Ok(()), false) => parsed += 1,
                    (Ok(()), true) => {
                        failures.insert(
                            op.operation_id,
                            "listed as a bad example but parses: remove it".into(),
                        );
                    }
                    (Err(why), false) => {
                        failures.insert(
                            op.operation_id,
                            format!("2xx body does not parse into its model: {why}"),
                        );
                    }
                    (Err(_), true) => {
                        let mut body: Value = serde_json::from_str(&outcome.body).unwrap();
                        repair_connections(
                            &mut body,
                            &valid_connections,
                            op.name.starts_with("saml_connections."),
                        );
                        match contract::parse_response(op.operation_id, &body.to_string()) {
                            Ok(()) => repaired += 1,
                            Err(why) => {
                                failures.insert(
                                    op.operation_id,
                                    format!(
                                        "does not parse even with valid connection samples: {why}"
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            Err(Error::Api(api)) => {
                let violations = request_violations(&api.headers);
                failures.insert(
                    op.operation_id,
                    format!("status {} {}", api.status, violations.join("; ")),
                );
            }
            Err(other) => {
                failures.insert(op.operation_id, format!("{other}; params: {params}"));
            }
        }
    }
    println!(
        "contract: {sent}/{} operations sent through Prism; {parsed} responses parsed into typed models as received, {repaired} more after replacing Prism's empty connection examples; {} failures",
        operations::all().len(),
        failures.len()
    );
    for (id, why) in &failures {
        println!("  FAIL {id}: {why}");
    }
    assert_eq!(sent, 249);
    assert!(
        failures.is_empty(),
        "{} operations failed the contract",
        failures.len()
    );
}

#[test]
fn error_answers_parse_into_api_errors() {
    let spec = Spec::load();
    // One error status per family the spec documents for GetUser: 4xx (Prism serves the
    // spec's ClerkErrors example when asked with `Prefer: code=`).
    for code in ["400", "401", "404"] {
        let client = prism_client(Some(("Prefer", &format!("code={code}"))));
        let op = operations::find("GetUser").unwrap();
        let error = client
            .call_operation(op, &params_for(&spec, op))
            .unwrap_err();
        let api = error
            .api()
            .unwrap_or_else(|| panic!("code {code}: expected an API error, got {error:?}"));
        assert_eq!(api.status.to_string(), code);
        assert!(
            !api.errors.is_empty(),
            "code {code}: no Clerk errors parsed from {error}"
        );
        assert!(!api.errors[0].code.is_empty());
    }
}

#[test]
fn invalid_requests_are_caught_by_prism() {
    // The harness must be able to fail: a request the spec refuses shows a violation.
    let client = prism_client(None);
    let error = client
        .request(
            clerk_core::Method::Get,
            "/users",
            &[("limit".into(), "not-a-number".into())],
            None,
        )
        .unwrap_err();
    let api = error.api().expect("an API error");
    assert!(!request_violations(&api.headers).is_empty(), "{error}");
}
