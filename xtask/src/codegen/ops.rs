//! The operation table, the typed params structs and the typed resource methods.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::names::{ident, pascal, screaming, snake};
use super::types::{Field, Item, Module, TypeSink, model_name, render_items, schema_ref_name};
use super::{HEADER, Spec, doc_comment};

/// Methods for the operations that lack `x-speakeasy-group`/`x-speakeasy-name-override`:
/// operationId -> method; their resource is the snake_case of their first tag. An
/// operation missing from here and from the extensions stops the generator, so a new
/// spec version gets a deliberate name rather than an accidental one.
const FALLBACK_METHODS: &[(&str, &str)] = &[
    ("GetInstanceProtect", "get_instance_protect"),
    ("UpdateInstanceProtect", "update_instance_protect"),
    ("createAdminPortalLinkToken", "create"),
    ("revokeAdminPortalLinkToken", "revoke"),
    ("createApiKey", "create"),
    ("getApiKeys", "list"),
    ("getApiKey", "get"),
    ("updateApiKey", "update"),
    ("deleteApiKey", "delete"),
    ("getApiKeySecret", "get_secret"),
    ("revokeApiKey", "revoke"),
    ("verifyApiKey", "verify"),
];

/// The typed API's names where the table's `resource.method` would read badly: table
/// name -> (Rust resource accessor, Rust method). The rule everywhere else: the accessor
/// and method are the table's, and the params struct is
/// `{Resource}{Method}Params` (`users.list` -> `UsersListParams`). The table keeps its
/// names (the C library, the CLI and the bindings call operations by them); only the
/// Rust methods are grouped and named after the resource they act on.
const RUST_NAMES: &[(&str, &str, &str)] = &[
    // One Clerk resource, `/templates`, split across three groups in the spec.
    ("email_and_sms_templates.upsert", "templates", "upsert"),
    ("email_sms_templates.get", "templates", "get"),
    ("email_sms_templates.list", "templates", "list"),
    ("email_sms_templates.revert", "templates", "revert"),
    (
        "email_sms_templates.toggle_template_delivery",
        "templates",
        "toggle_delivery",
    ),
    // `miscellaneous` says nothing; the operation acts on `/public/interstitial`.
    (
        "miscellaneous.get_public_interstitial",
        "interstitial",
        "get",
    ),
    // Stutters: `jwks().get_jwks()`, `instance_settings().get_instance_protect()`.
    ("jwks.get_jwks", "jwks", "get"),
    (
        "instance_settings.get_instance_protect",
        "instance_settings",
        "get_protect",
    ),
    (
        "instance_settings.update_instance_protect",
        "instance_settings",
        "update_protect",
    ),
    // The resource is `/m2m_tokens`: `m2m_tokens().create()`, not `m2m().create_token()`.
    ("m2m.create_token", "m2m_tokens", "create"),
    ("m2m.list_tokens", "m2m_tokens", "list"),
    ("m2m.revoke_token", "m2m_tokens", "revoke"),
    ("m2m.verify_token", "m2m_tokens", "verify"),
    // Instance-wide lists live with their resource, under one name; `list_all` would
    // also read like the auto-paging `<method>_all`.
    (
        "users.get_instance_organization_memberships",
        "organization_memberships",
        "list_for_instance",
    ),
    (
        "organization_domains.list_all",
        "organization_domains",
        "list_for_instance",
    ),
    (
        "organization_invitations.get_all",
        "organization_invitations",
        "list_for_instance",
    ),
    // Lists are `list_*`.
    (
        "users.get_organization_invitations",
        "users",
        "list_organization_invitations",
    ),
    (
        "users.get_organization_memberships",
        "users",
        "list_organization_memberships",
    ),
];

/// Operations whose success answer the spec gives no content type for but which answer
/// text: operationId -> why. Their typed method returns the body as a `String`; every
/// other operation without response content returns `()`.
const TEXT_RESPONSES: &[(&str, &str)] = &[(
    "GetPublicInterstitial",
    "serves an HTML page (\"The interstitial page markup\")",
)];

/// Keys of the flat params object with a meaning of their own.
const RESERVED_KEYS: &[&str] = &["$body", "$extra_body"];

/// One parameter of an operation.
pub struct ParamInfo {
    pub(super) name: String,
    /// `Path`, `Query`, `Body` or `Multipart` (the `Location` variant).
    pub(super) location: &'static str,
    pub(super) required: bool,
    pub(super) nullable: bool,
    /// The `ParamType` variant.
    pub(super) param_type: &'static str,
    pub(super) schema: Value,
    pub(super) description: String,
}

/// The request body kind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyKind {
    None,
    Object,
    Whole,
    Multipart,
}

/// One operation, as the generator understands it.
pub struct Op {
    pub(super) operation_id: String,
    pub(super) name: String,
    pub(super) resource: String,
    pub(super) method: String,
    pub(super) const_name: String,
    pub(super) http_method: &'static str,
    pub(super) path: String,
    pub(super) params: Vec<ParamInfo>,
    pub(super) body: BodyKind,
    pub(super) body_required: bool,
    /// The whole-body schema, for the `$body` field's doc.
    pub(super) body_description: String,
    pub(super) pagination: &'static str,
    pub(super) deprecated: bool,
    pub(super) summary: String,
    pub(super) description: String,
    /// Response type as written in `resources.rs`.
    pub(super) response_ty: String,
    /// Element type of a paginated list.
    pub(super) item_ty: Option<String>,
    /// The typed API's resource accessor (see [`RUST_NAMES`]).
    rust_resource: String,
    /// The typed API's method.
    rust_method: String,
    /// The path parameters in the order of the path template: the typed method's
    /// leading arguments.
    path_order: Vec<String>,
    /// What the success answer is.
    answer: Answer,
    /// Why the answer is untyped JSON, when it is.
    untyped: Option<&'static str>,
    /// The whole-body schema (`Body::Whole`), and once [`define_params`] ran, the type
    /// the typed method takes it as.
    whole_body: Option<(Value, String)>,
    /// The typed method's params argument in a doc example (`&Default::default()`), set
    /// by [`define_params`]; `None` when it cannot be written from the spec alone.
    params_example: Option<String>,
    /// The path values in a doc example, set by [`define_params`].
    path_examples: Vec<String>,
}

/// What an operation's success answer is.
#[derive(Clone, PartialEq)]
pub enum Answer {
    /// JSON, decoded into the response type.
    Json,
    /// No content: the typed method returns `()`.
    Empty,
    /// Text (see [`TEXT_RESPONSES`]): the typed method returns the body.
    Text,
    /// An inline JSON schema, given a type by [`define_inline_responses`].
    Inline(Value),
}

/// How the typed method takes its arguments beyond the path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// Nothing else: `users().delete(user_id)`.
    PathOnly,
    /// The whole body: `invitations().bulk_create(&items)`.
    Body,
    /// The params struct: `users().update(user_id, &params)`, `users().list(&params)`.
    Params,
    /// A lookup or removal of one object whose other params are all optional:
    /// `organizations().get(id)`, and `get_with(id, &params)` for the options.
    Split,
}

impl Op {
    /// The params struct: `{Resource}{Method}Params` of the typed API's names, for the
    /// operations with query, body or multipart params.
    pub(super) fn params_struct(&self) -> Option<String> {
        let has_params = self.params.iter().any(|p| p.location != "Path")
            || matches!(self.body, BodyKind::Object | BodyKind::Multipart);
        has_params.then(|| {
            format!(
                "{}{}Params",
                pascal(&self.rust_resource),
                pascal(&self.rust_method)
            )
        })
    }

    fn required_non_path(&self) -> bool {
        self.params
            .iter()
            .any(|p| p.location != "Path" && p.required)
    }

    fn shape(&self) -> Shape {
        if self.whole_body.is_some() {
            return Shape::Body;
        }
        if self.params_struct().is_none() {
            return Shape::PathOnly;
        }
        let lookup = matches!(self.http_method, "Get" | "Delete");
        if lookup
            && !self.path_order.is_empty()
            && self.pagination == "None"
            && !self.required_non_path()
        {
            Shape::Split
        } else {
            Shape::Params
        }
    }
}

fn param_type(spec: &Spec, schema: &Value, multipart: bool) -> &'static str {
    let resolved = spec.resolve(schema);
    if multipart && resolved.get("format").and_then(Value::as_str) == Some("binary") {
        return "File";
    }
    if resolved.get("oneOf").is_some() {
        return "Any";
    }
    match resolved.get("type").and_then(Value::as_str) {
        Some("string") => "String",
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Boolean",
        Some("array") => "Array",
        Some("object") => "Object",
        None if resolved.get("properties").is_some() || resolved.get("allOf").is_some() => "Object",
        _ => "Any",
    }
}

/// Reads every operation of the spec, checking the invariants the engine relies on.
pub fn collect(spec: &Spec) -> Vec<Op> {
    let mut ops = Vec::new();
    let paths = spec.root["paths"].as_object().expect("paths");
    for (path, item) in paths {
        let item = item.as_object().expect("path item");
        assert!(
            !item.contains_key("parameters"),
            "path-level parameters are not supported ({path})"
        );
        for (verb, op) in item {
            ops.push(collect_one(spec, path, verb, op));
        }
    }
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    let mut seen = BTreeSet::new();
    for op in &ops {
        for key in [&op.name, &op.operation_id, &op.const_name] {
            assert!(
                seen.insert(key.clone()),
                "duplicate operation name, id or constant: {key}"
            );
        }
    }
    let mut rust_names = BTreeSet::new();
    for op in &ops {
        let rust = format!("{}.{}", op.rust_resource, op.rust_method);
        assert!(
            rust_names.insert(rust.clone()),
            "two operations are the typed method {rust}"
        );
    }
    ops
}

fn collect_one(spec: &Spec, path: &str, verb: &str, op: &Value) -> Op {
    let operation_id = op["operationId"].as_str().expect("operationId").to_string();
    let (resource, method) = match (
        op.get("x-speakeasy-group").and_then(Value::as_str),
        op.get("x-speakeasy-name-override").and_then(Value::as_str),
    ) {
        (Some(group), Some(name)) => (snake(group), snake(name)),
        _ => {
            let tag = op["tags"][0]
                .as_str()
                .expect("an operation without extensions needs a tag");
            let method = FALLBACK_METHODS
                .iter()
                .find(|(id, _)| *id == operation_id)
                .unwrap_or_else(|| {
                    panic!("{operation_id} has no x-speakeasy names: add it to FALLBACK_METHODS")
                })
                .1;
            (snake(tag), method.to_string())
        }
    };
    let http_method = match verb {
        "get" => "Get",
        "post" => "Post",
        "put" => "Put",
        "patch" => "Patch",
        "delete" => "Delete",
        other => panic!("unsupported HTTP method {other} at {path}"),
    };

    let mut params = Vec::new();
    for param in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let param = spec.resolve(param);
        let name = param["name"].as_str().expect("parameter name").to_string();
        let location = match param["in"].as_str() {
            Some("path") => "Path",
            Some("query") => "Query",
            other => panic!("{operation_id}: parameter {name} in {other:?} is not supported"),
        };
        let schema = param.get("schema").cloned().unwrap_or(Value::Null);
        if location == "Path" {
            assert_eq!(
                param_type(spec, &schema, false),
                "String",
                "{operation_id}: path parameter {name} is not a string"
            );
        }
        params.push(ParamInfo {
            required: location == "Path"
                || param.get("required").and_then(Value::as_bool) == Some(true),
            nullable: spec.nullable(&schema),
            param_type: param_type(spec, &schema, false),
            description: param
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            schema,
            name,
            location,
        });
    }

    let mut body = BodyKind::None;
    let mut body_required = false;
    let mut body_description = String::new();
    if let Some(request_body) = op.get("requestBody") {
        let request_body = spec.resolve(request_body);
        body_required = request_body.get("required").and_then(Value::as_bool) == Some(true);
        body_description = request_body
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let content = request_body["content"]
            .as_object()
            .expect("requestBody.content");
        let (media, body_schema) = if let Some(json) = content.get("application/json") {
            ("json", &json["schema"])
        } else if let Some(form) = content.get("multipart/form-data") {
            ("multipart", &form["schema"])
        } else {
            panic!(
                "{operation_id}: unsupported request body types {:?}",
                content.keys()
            );
        };
        let resolved = spec.resolve(body_schema);
        let is_array = resolved.get("type").and_then(Value::as_str) == Some("array");
        body = match (media, is_array || !spec.has_props(body_schema)) {
            ("multipart", _) => BodyKind::Multipart,
            (_, true) => BodyKind::Whole,
            (_, false) => BodyKind::Object,
        };
        if body_description.is_empty() {
            body_description = resolved
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
        }
        if body != BodyKind::Whole {
            let (props, required) = spec.object_props(body_schema);
            let location = if body == BodyKind::Multipart {
                "Multipart"
            } else {
                "Body"
            };
            for (name, schema) in props {
                params.push(ParamInfo {
                    required: required.contains(&name),
                    nullable: spec.nullable(&schema),
                    param_type: param_type(spec, &schema, body == BodyKind::Multipart),
                    description: schema
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    schema,
                    name,
                    location,
                });
            }
        }
    }

    check_params(&operation_id, path, &params);
    let whole_body = (body == BodyKind::Whole).then(|| {
        let request_body = spec.resolve(&op["requestBody"]);
        (
            request_body["content"]["application/json"]["schema"].clone(),
            String::new(),
        )
    });
    let mut path_order = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("closed placeholder") + start;
        path_order.push(rest[start + 1..end].to_string());
        rest = &rest[end + 1..];
    }
    let table_name = format!("{resource}.{method}");
    let (rust_resource, rust_method) = RUST_NAMES
        .iter()
        .find(|(name, _, _)| *name == table_name)
        .map_or((resource.clone(), method.clone()), |(_, r, m)| {
            (r.to_string(), m.to_string())
        });

    let (response_ty, response_schema, answer) = response(spec, op, &operation_id);
    let untyped = untyped_reason(spec, response_schema.as_ref(), &answer);
    let has_param = |name: &str| {
        params
            .iter()
            .any(|p| p.name == name && p.location == "Query")
    };
    let mut pagination = "None";
    let mut item_ty = None;
    if verb == "get"
        && has_param("limit")
        && has_param("offset")
        && let Some(schema) = &response_schema
    {
        let resolved = spec.resolve(schema);
        if resolved.get("type").and_then(Value::as_str) == Some("array") {
            pagination = "BareArray";
            item_ty = Some(element_type(spec, schema));
        } else {
            let (props, _) = spec.object_props(schema);
            let has_total = props.iter().any(|(n, _)| n == "total_count");
            if let Some((_, data)) = props.iter().find(|(n, _)| n == "data")
                && has_total
                && spec.resolve(data).get("type").and_then(Value::as_str) == Some("array")
            {
                pagination = "DataTotalCount";
                item_ty = Some(element_type(spec, data));
            }
        }
    }

    Op {
        const_name: screaming(&operation_id),
        name: format!("{resource}.{method}"),
        resource,
        method,
        http_method,
        path: path.to_string(),
        params,
        body,
        body_required,
        body_description,
        pagination,
        deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
        summary: op
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string(),
        description: op
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        response_ty,
        item_ty,
        rust_resource,
        rust_method,
        path_order,
        answer,
        untyped,
        whole_body,
        params_example: None,
        path_examples: Vec::new(),
        operation_id,
    }
}

/// The entries of the exception tables that name no operation of the spec: a spec update
/// that drops an operation should drop its entry too (`cargo xtask codegen` warns; a
/// test against the real spec fails).
pub fn stale_exceptions(ops: &[Op]) -> Vec<String> {
    let mut stale = Vec::new();
    for (name, _, _) in RUST_NAMES {
        if !ops.iter().any(|op| op.name == *name) {
            stale.push(format!(
                "RUST_NAMES renames {name}, which the spec does not have"
            ));
        }
    }
    for (id, _) in TEXT_RESPONSES {
        if !ops
            .iter()
            .any(|op| op.operation_id == *id && op.answer == Answer::Text)
        {
            stale.push(format!(
                "TEXT_RESPONSES lists {id}, which is not an operation without response content"
            ));
        }
    }
    stale
}

/// The invariants of the flat params object: one meaning per key, every path
/// placeholder filled.
fn check_params(operation_id: &str, path: &str, params: &[ParamInfo]) {
    let mut names = BTreeSet::new();
    for param in params {
        assert!(
            names.insert(param.name.as_str()),
            "{operation_id}: the name {} is used by two parameters (path/query vs body)",
            param.name
        );
        assert!(
            !RESERVED_KEYS.contains(&param.name.as_str()),
            "{operation_id}: parameter named {}",
            param.name
        );
    }
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("unclosed { in path") + start;
        let placeholder = &rest[start + 1..end];
        assert!(
            params
                .iter()
                .any(|p| p.name == placeholder && p.location == "Path"),
            "{operation_id}: {path} has {{{placeholder}}} but no path parameter of that name"
        );
        rest = &rest[end + 1..];
    }
    for param in params.iter().filter(|p| p.location == "Path") {
        assert!(
            path.contains(&format!("{{{}}}", param.name)),
            "{operation_id}: path param {} not in {path}",
            param.name
        );
    }
}

/// The success response's Rust type (as written in `resources.rs`), JSON schema and
/// kind. An inline schema's type is named later, by [`define_inline_responses`].
fn response(spec: &Spec, op: &Value, operation_id: &str) -> (String, Option<Value>, Answer) {
    let responses = op["responses"].as_object().expect("responses");
    let success = ["200", "201", "202", "204"]
        .iter()
        .find_map(|code| responses.get(*code))
        .unwrap_or_else(|| panic!("{operation_id} has no 2xx answer"));
    let named = success
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/responses/"))
        .and_then(|name| spec.response_types.get(name));
    let success = spec.resolve(success);
    let Some(schema) = success.pointer("/content/application~1json/schema") else {
        if TEXT_RESPONSES.iter().any(|(id, _)| *id == operation_id) {
            return ("String".into(), None, Answer::Text);
        }
        return ("()".into(), None, Answer::Empty);
    };
    if let Some(rust) = named {
        return (
            format!("models::{rust}"),
            Some(schema.clone()),
            Answer::Json,
        );
    }
    match type_of_response(schema) {
        Some(rust) => (rust, Some(schema.clone()), Answer::Json),
        None => (
            String::new(),
            Some(schema.clone()),
            Answer::Inline(schema.clone()),
        ),
    }
}

/// Why an answer stays untyped JSON: only where the spec says "any JSON object".
fn untyped_reason(spec: &Spec, schema: Option<&Value>, answer: &Answer) -> Option<&'static str> {
    let schema = spec.resolve(schema?);
    let any_object = schema.get("type").and_then(Value::as_str) == Some("object")
        && !spec.has_props(schema)
        && super::types::real_alternatives(schema).is_none()
        && schema
            .get("additionalProperties")
            .is_none_or(|extra| extra.as_object().is_some_and(|o| o.is_empty()) || extra == true);
    (matches!(answer, Answer::Inline(_)) && any_object)
        .then_some("the spec gives the answer only as `{\"type\": \"object\"}`, any JSON object")
}

/// A model type for a `$ref`, `Vec<model>` for an array of them; `None` for an inline
/// schema.
fn type_of_response(schema: &Value) -> Option<String> {
    if let Some(name) = schema_ref_name(schema) {
        return Some(format!("models::{}", model_name(name)));
    }
    if schema.get("type").and_then(Value::as_str) == Some("array")
        && let Some(name) = schema.get("items").and_then(schema_ref_name)
    {
        return Some(format!("Vec<models::{}>", model_name(name)));
    }
    None
}

/// The element type of an array schema (through a `$ref` to an array alias).
fn element_type(spec: &Spec, array: &Value) -> String {
    let resolved = spec.resolve(array);
    let Some(items) = resolved.get("items") else {
        return "serde_json::Value".into();
    };
    if let Some(name) = schema_ref_name(items) {
        return format!("models::{}", model_name(name));
    }
    // An alias of an array of inline objects: the models name the element `<Alias>Item`.
    if let Some(alias) = schema_ref_name(array)
        && spec.has_props(items)
    {
        return format!("models::{}Item", model_name(alias));
    }
    "serde_json::Value".into()
}

fn rust_str(text: &str) -> String {
    format!("{text:?}")
}

/// `operations.rs`: a constant per operation and the sorted table of all of them.
pub fn render_table(ops: &[Op]) -> String {
    let mut out = format!(
        "{HEADER}//! The operation table: one entry per operation of the spec, sorted by name.

use crate::operation::{{Body, Location, Method, Operation, Pagination, Param, ParamType}};

"
    );
    for op in ops {
        out.push_str(&format!(
            "/// `{} {}` (`{}`): {}\n",
            op.http_method.to_ascii_uppercase(),
            op.path,
            op.name,
            op.summary.replace('\n', " ")
        ));
        out.push_str(&format!(
            "pub const {}: Operation = Operation {{\n",
            op.const_name
        ));
        out.push_str(&format!("operation_id: {},\n", rust_str(&op.operation_id)));
        out.push_str(&format!("name: {},\n", rust_str(&op.name)));
        out.push_str(&format!("method: Method::{},\n", op.http_method));
        out.push_str(&format!("path: {},\n", rust_str(&op.path)));
        out.push_str("params: &[\n");
        for p in &op.params {
            out.push_str(&format!(
                "Param {{ name: {}, location: Location::{}, required: {}, ty: ParamType::{}, nullable: {} }},\n",
                rust_str(&p.name),
                p.location,
                p.required,
                p.param_type,
                p.nullable
            ));
        }
        out.push_str("],\n");
        let body = match op.body {
            BodyKind::None => "Body::None".to_string(),
            BodyKind::Object => format!("Body::Object {{ required: {} }}", op.body_required),
            BodyKind::Whole => format!("Body::Whole {{ required: {} }}", op.body_required),
            BodyKind::Multipart => format!("Body::Multipart {{ required: {} }}", op.body_required),
        };
        out.push_str(&format!("body: {body},\n"));
        out.push_str(&format!("pagination: Pagination::{},\n", op.pagination));
        out.push_str(&format!("deprecated: {},\n", op.deprecated));
        out.push_str(&format!("summary: {},\n", rust_str(&op.summary)));
        out.push_str("};\n\n");
    }
    out.push_str(
        "/// Every operation, sorted by `name`.\npub static OPERATIONS: &[Operation] = &[\n",
    );
    for op in ops {
        out.push_str(&format!("{},\n", op.const_name));
    }
    out.push_str("];\n");
    out
}

/// Gives every inline success schema a model type and fills in `response_ty`.
///
/// The rule: `{Resource}{Method}Response` of the typed API's names
/// (`sessions.create_token` -> `SessionsCreateTokenResponse`), except that an object
/// with a constant `object` value no component schema is named after (`api_key`) is
/// named after it (`ApiKey`) and shared by every operation answering that same schema;
/// where several schemas share the value, the one most operations answer takes the
/// name (then the one with fewer properties). Identical inline objects nested in other
/// answers (the elements of `api_keys.list`) reuse it.
pub fn define_inline_responses(spec: &Spec, ops: &mut [Op], models: &mut TypeSink) {
    let object_value = |schema: &Value| -> Option<String> {
        let (props, _) = spec.object_props(schema);
        let (_, object) = props.iter().find(|(n, _)| n == "object")?;
        match spec.resolve(object).get("enum")?.as_array()?.as_slice() {
            [Value::String(only)] => Some(only.clone()),
            _ => None,
        }
    };
    // Identical inline schemas, in operation order.
    let mut groups: Vec<(String, Value, Vec<usize>)> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        if let Answer::Inline(schema) = &op.answer {
            let key = schema.to_string();
            match groups.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, members)) => members.push(index),
                None => groups.push((key, schema.clone(), vec![index])),
            }
        }
    }
    let mut named: BTreeMap<usize, String> = BTreeMap::new();
    let mut claimed = BTreeSet::new();
    for (group, (_, schema, _)) in groups.iter().enumerate() {
        let Some(value) = object_value(schema) else {
            continue;
        };
        if !claimed.insert(value.clone()) {
            continue;
        }
        let rank = |g: &(String, Value, Vec<usize>)| {
            (
                std::cmp::Reverse(g.2.len()),
                spec.object_props(&g.1).0.len(),
            )
        };
        let best = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| object_value(&g.1).as_deref() == Some(value.as_str()))
            .min_by_key(|(i, g)| (rank(g), *i))
            .map(|(i, _)| i)
            .unwrap_or(group);
        let rust = model_name(&value);
        if models.is_taken(&rust) {
            continue;
        }
        let rust = models.reserve(&rust);
        let (_, best_schema, _) = &groups[best];
        models.register_shape(best_schema, &rust);
        spec.define_struct(&rust, best_schema, models);
        named.insert(best, rust);
    }
    for (group, (_, schema, members)) in groups.iter().enumerate() {
        for &index in members {
            let op = &ops[index];
            let rust = match named.get(&group) {
                Some(rust) => rust.clone(),
                None => {
                    let wanted = format!(
                        "{}{}Response",
                        pascal(&op.rust_resource),
                        pascal(&op.rust_method)
                    );
                    if let Some(alternatives) = super::types::real_alternatives(schema)
                        && alternatives.len() > 1
                    {
                        let rust = models.reserve(&wanted);
                        spec.define_union(&rust, schema, alternatives, models);
                        rust
                    } else if spec.has_props(schema) {
                        let rust = models.reserve(&wanted);
                        spec.define_struct(&rust, schema, models);
                        rust
                    } else {
                        // Not a model: a map, a list or a scalar, written out in place.
                        let ty = spec.rust_type(schema, &wanted, models).rust;
                        let op = &mut ops[index];
                        op.response_ty = if models.is_taken(&ty) {
                            format!("models::{ty}")
                        } else {
                            ty
                        };
                        op.answer = Answer::Json;
                        continue;
                    }
                }
            };
            let item = (ops[index].pagination != "None")
                .then(|| data_element(&models.items, &rust))
                .flatten();
            let op = &mut ops[index];
            op.response_ty = format!("models::{rust}");
            op.answer = Answer::Json;
            if item.is_some() {
                op.item_ty = item;
            }
        }
    }
}

/// `models::T` for the `data: Vec<T>` field of the struct `name`.
fn data_element(items: &[Item], name: &str) -> Option<String> {
    items.iter().find_map(|item| match item {
        Item::Struct {
            name: n, fields, ..
        } if n == name => fields
            .iter()
            .find(|f| f.json_name == "data")
            .and_then(|f| f.ty.rust.strip_prefix("Vec<")?.strip_suffix('>'))
            .map(|element| format!("models::{element}")),
        _ => None,
    })
}

/// A literal for a doc example of a value of `ty`, when it is a simple one.
fn example_value(ty: &str, schema: &Value) -> Option<String> {
    let example = schema.get("example");
    let text = || {
        example
            .and_then(Value::as_str)
            .map_or_else(|| "\"...\"".to_string(), |e| format!("{e:?}"))
    };
    Some(match ty {
        "String" => text(),
        "Vec<String>" => format!("[{}]", text()),
        "bool" => "true".into(),
        "i64" => example.and_then(Value::as_i64).unwrap_or(1).to_string(),
        _ => return None,
    })
}

/// The value of a path parameter in a doc example: the spec's example, the first value
/// of its enum, or `<stem>_123` (`user_id` -> `"user_123"`).
fn path_example(spec: &Spec, op: &Op, name: &str) -> String {
    let schema = op
        .params
        .iter()
        .find(|p| p.name == name)
        .map(|p| spec.resolve(&p.schema));
    if let Some(schema) = schema {
        if let Some(example) = schema.get("example").and_then(Value::as_str) {
            return format!("{example:?}");
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|v| v.first())
            .and_then(Value::as_str)
        {
            return format!("{first:?}");
        }
    }
    let snake_name = snake(name);
    let stem = snake_name.strip_suffix("_id").unwrap_or(&snake_name);
    format!("\"{stem}_123\"")
}

/// Defines the params structs and whole-body types of `params.rs` (setting each
/// operation's whole-body argument type and doc-example params).
pub fn define_params(spec: &Spec, ops: &mut [Op]) -> TypeSink {
    let mut sink = TypeSink::new(Module::Params);
    // Reserve every params struct name first so inline types never take one.
    for op in ops.iter() {
        if let Some(name) = op.params_struct() {
            assert_eq!(
                sink.reserve(&name),
                name,
                "two operations map to params struct {name}"
            );
        }
    }
    for op in ops.iter_mut() {
        op.path_examples = op
            .path_order
            .iter()
            .map(|name| path_example(spec, op, name))
            .collect();
        let owner = format!("{}{}", pascal(&op.rust_resource), pascal(&op.rust_method));
        let has_struct = op.params_struct().is_some();
        if let Some((schema, rust)) = &mut op.whole_body {
            assert!(
                !has_struct,
                "{}: a whole body beside query params is not supported",
                op.operation_id
            );
            let ty = spec.rust_type(schema, &owner, &mut sink).rust;
            let local = |t: &str| {
                if t.starts_with(char::is_uppercase) && !t.starts_with("String") {
                    format!("params::{t}")
                } else {
                    t.to_string()
                }
            };
            *rust = match ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>')) {
                Some(element) => format!("[{}]", local(element)),
                None => local(&ty),
            };
            op.params_example = Some("&[]".into());
            continue;
        }
        let Some(name) = op.params_struct() else {
            continue;
        };
        let mut fields = Vec::new();
        for p in op.params.iter().filter(|p| p.location != "Path") {
            let ty = if p.param_type == "File" {
                super::types::Ty {
                    rust: "crate::operation::File".into(),
                    embeds: None,
                    has_default: false,
                }
            } else {
                spec.rust_type(&p.schema, &format!("{owner}{}", pascal(&p.name)), &mut sink)
            };
            fields.push(Field {
                ident: ident(&snake(&p.name)),
                json_name: p.name.clone(),
                ty,
                required: p.required,
                // `null` means something only in a JSON body.
                nullable: p.nullable && p.location == "Body",
                doc: p.description.clone(),
                boxed: false,
                serde_override: None,
            });
        }
        if op.body == BodyKind::Object {
            fields.push(Field {
                ident: "extra_body".into(),
                json_name: "$extra_body".into(),
                ty: super::types::Ty {
                    rust: "serde_json::Map<String, serde_json::Value>".into(),
                    embeds: None,
                    has_default: true,
                },
                required: false,
                nullable: false,
                doc: "Body fields the spec does not list, merged into the JSON body unchecked."
                    .into(),
                boxed: false,
                serde_override: Some(
                    "rename = \"$extra_body\", default, skip_serializing_if = \"serde_json::Map::is_empty\""
                        .into(),
                ),
            });
        }
        super::types::dedupe_idents(&mut fields);
        let mut idents = BTreeSet::new();
        for field in &fields {
            assert!(
                idents.insert(field.ident.clone()),
                "{}: two fields named {}",
                op.operation_id,
                field.ident
            );
        }
        let required: Vec<&Field> = fields.iter().filter(|f| f.is_required()).collect();
        op.params_example = if required.is_empty() {
            Some("&Default::default()".into())
        } else {
            let by_name = |field: &Field| {
                op.params
                    .iter()
                    .find(|p| p.name == field.json_name)
                    .map(|p| spec.resolve(&p.schema).clone())
                    .unwrap_or(Value::Null)
            };
            required
                .iter()
                .map(|f| example_value(&f.ty.rust, &by_name(f)).filter(|_| !f.optional()))
                .collect::<Option<Vec<String>>>()
                .map(|args| format!("&clerk_core::params::{name}::new({})", args.join(", ")))
        };
        let doc = format!(
            "Params of [`client.{}().{}`](super::resources::{}::{}) (`{}` in the operation table).",
            super::names::serde_name(&ident(&op.rust_resource)),
            super::names::serde_name(&ident(&op.rust_method)),
            pascal(&op.rust_resource),
            super::names::serde_name(&ident(&op.rust_method)),
            op.name
        );
        sink.items
            .push(super::types::Item::Struct { name, doc, fields });
    }
    sink
}

/// `params.rs`: one struct per operation that takes params beyond its path (see
/// [`define_params`]).
pub fn render_params(sink: &TypeSink) -> String {
    let mut out = format!(
        "{HEADER}//! A typed params struct for each operation that takes query, body or multipart
//! params (path parameters are the typed methods' leading arguments), by their spec
//! names, as in the flat params object of the generic call.
//!
//! A struct with required fields is built with `new(required...)` and has no `Default`,
//! so none can be left out; one without has `Default`. Both have a setter per optional
//! field, and a `clear_*` method for each field that can be sent as `null`
//! ([`crate::Nullable`]).

use serde::Serialize;

use super::models;

"
    );
    render_items(&sink.items, Module::Params, &mut out);
    out
}

/// The typed method's name for the form taking the optional params of a [`Shape::Split`]
/// operation.
fn with_method(op: &Op) -> String {
    format!("{}_with", op.rust_method)
}

/// The name of the auto-paging twin of a list method: `<method>_all`.
fn all_method(op: &Op) -> String {
    format!("{}_all", op.rust_method)
}

/// The doc example of a resource accessor: its most common call (`list`, then `get`,
/// then the first the spec lets be written out).
fn accessor_example(spec_ops: &[&Op], accessor: &str) -> Option<String> {
    let rank = |op: &&&Op| match op.rust_method.as_str() {
        "list" => 0,
        "get" => 1,
        _ => 2,
    };
    let mut candidates: Vec<&&Op> = spec_ops.iter().collect();
    candidates.sort_by_key(rank);
    let op = candidates.into_iter().find(|op| {
        op.params_example.is_some() || matches!(op.shape(), Shape::PathOnly | Shape::Split)
    })?;
    let mut args: Vec<String> = op.path_examples.clone();
    if matches!(op.shape(), Shape::Params | Shape::Body) {
        args.push(op.params_example.clone()?);
    }
    Some(format!(
        "```no_run\n# let client = clerk_core::Client::from_env()?;\nlet answer = client.{accessor}().{}({})?;\nprintln!(\"{{answer:?}}\");\n# Ok::<(), clerk_core::Error>(())\n```",
        super::names::serde_name(&ident(&op.rust_method)),
        args.join(", ")
    ))
}

/// `resources.rs`: a handle type per resource with a typed method per operation.
///
/// Path parameters are the leading `&str` arguments, in path order. Then:
/// - nothing, for an operation with nothing but path parameters (`users().delete(id)`);
/// - the whole body, for the bulk operations (`invitations().bulk_create(&items)`);
/// - `&params`, a params struct, otherwise (`users().update(id, &params)`,
///   `users().list(&Default::default())`); except that a `GET` or `DELETE` of one object
///   whose other params are all optional takes its path only, with a `<method>_with`
///   twin taking the params (`organizations().get(id)`,
///   `organizations().get_with(id, &params)`).
///
/// List operations have an auto-paging `<method>_all` twin.
pub fn render_resources(ops: &[Op]) -> String {
    let mut by_resource: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in ops {
        by_resource
            .entry(op.rust_resource.as_str())
            .or_default()
            .push(op);
    }
    let mut out = format!(
        "{HEADER}//! Typed methods, grouped by resource: `client.users().get(\"user_123\")`.

use super::{{models, operations, params}};

impl crate::Client {{
"
    );
    for (resource, resource_ops) in &by_resource {
        let handle = pascal(resource);
        let accessor = ident(resource);
        let mut table_groups: Vec<&str> =
            resource_ops.iter().map(|op| op.resource.as_str()).collect();
        table_groups.dedup();
        let groups: Vec<String> = table_groups.iter().map(|g| format!("`{g}.*`")).collect();
        let mut doc = format!(
            "Operations on {} ({} in the operation table).",
            resource.replace('_', " "),
            groups.join(", ")
        );
        if let Some(example) = accessor_example(resource_ops, super::names::serde_name(&accessor)) {
            doc.push_str("\n\n");
            doc.push_str(&example);
        }
        out.push_str(&doc_comment_code(&doc));
        out.push_str(&format!(
            "#[inline]\npub fn {accessor}(&self) -> {handle}<'_> {{ {handle} {{ client: self }} }}\n\n"
        ));
    }
    out.push_str("}\n\n");
    for (resource, resource_ops) in &by_resource {
        let handle = pascal(resource);
        out.push_str(&format!(
            "/// The operations on {}; from [`crate::Client::{}`].\n#[derive(Debug, Clone, Copy)]\npub struct {handle}<'a> {{ client: &'a crate::Client }}\n\nimpl {handle}<'_> {{\n",
            resource.replace('_', " "),
            super::names::serde_name(&ident(resource))
        ));
        let mut methods = BTreeSet::new();
        for op in resource_ops {
            render_method(op, &mut methods, &mut out);
        }
        out.push_str("}\n\n");
    }
    out
}

/// `doc_comment` for text the generator wrote itself, whose code fences are doctests.
fn doc_comment_code(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                "///\n".to_string()
            } else {
                format!("/// {line}\n")
            }
        })
        .collect()
}

fn render_method(op: &Op, methods: &mut BTreeSet<String>, out: &mut String) {
    let method = ident(&op.rust_method);
    let mut doc = op.summary.clone();
    if !op.description.trim().is_empty() && op.description.trim() != op.summary {
        doc.push_str("\n\n");
        doc.push_str(&op.description);
    }
    doc.push_str(&format!(
        "\n\n`{} {}`: `{}.{}` in the operation table (operationId `{}`, [`operations::{}`]).",
        op.http_method.to_ascii_uppercase(),
        op.path,
        op.resource,
        op.method,
        op.operation_id,
        op.const_name
    ));
    if op.whole_body.is_some() && !op.body_description.trim().is_empty() {
        doc.push_str(&format!("\n\n`body`: {}", op.body_description.trim()));
    }
    if let Some(reason) = op.untyped {
        doc.push_str(&format!("\n\nReturns untyped JSON: {reason}."));
    }
    if op.deprecated {
        doc.push_str("\n\nDeprecated in the spec.");
    }
    let mut path_decl = String::new();
    let mut path_pairs = Vec::new();
    for name in &op.path_order {
        let arg = ident(&snake(name));
        path_decl.push_str(&format!(", {arg}: &str"));
        path_pairs.push(format!("({name:?}, {arg})"));
    }
    let path_arg = format!("&[{}]", path_pairs.join(", "));
    let helper = match op.answer {
        Answer::Json => "typed_json",
        Answer::Empty => "typed_empty",
        Answer::Text => "typed_text",
        Answer::Inline(_) => unreachable!("inline answers get types first"),
    };
    let response = &op.response_ty;
    let shape = op.shape();
    let (decl, arg) = match shape {
        Shape::PathOnly | Shape::Split => {
            (path_decl.clone(), "&crate::typed::NoParams".to_string())
        }
        Shape::Body => {
            let (_, rust) = op.whole_body.as_ref().expect("whole body");
            (
                format!("{path_decl}, body: &{rust}"),
                "&crate::typed::WholeBody(body)".to_string(),
            )
        }
        Shape::Params => (
            format!(
                "{path_decl}, params: &params::{}",
                op.params_struct().expect("params struct")
            ),
            "params".to_string(),
        ),
    };
    assert!(
        methods.insert(method.clone()),
        "{}: two methods named {method}",
        op.rust_resource
    );
    out.push_str(&doc_comment(&doc));
    // `#[inline]` makes the method, like a generic, compiled only in the crates that
    // call it: the library itself does not pay for monomorphising 249 request/response
    // types (a measured ~40% of its build time).
    out.push_str(&format!(
        "#[inline]\npub fn {method}(&self{decl}) -> crate::Result<{response}> {{ self.client.{helper}(&operations::{}, {path_arg}, {arg}) }}\n\n",
        op.const_name
    ));
    if shape == Shape::Split {
        let with = ident(&with_method(op));
        assert!(
            methods.insert(with.clone()),
            "{}: two methods named {with}",
            op.rust_resource
        );
        out.push_str(&format!(
            "/// [`Self::{}`] with its optional params.\n#[inline]\npub fn {with}(&self{path_decl}, params: &params::{}) -> crate::Result<{response}> {{ self.client.{helper}(&operations::{}, {path_arg}, params) }}\n\n",
            super::names::serde_name(&method),
            op.params_struct().expect("params struct"),
            op.const_name
        ));
    }
    if let Some(item) = &op.item_ty {
        assert_eq!(shape, Shape::Params, "{}: a list without params", op.name);
        let all = ident(&all_method(op));
        assert!(
            methods.insert(all.clone()),
            "{}: two methods named {all}",
            op.rust_resource
        );
        out.push_str(&format!(
            "/// Every item of [`Self::{}`], fetching page after page lazily (`limit` sets the page size, 100 by default).\n#[inline]\npub fn {all}(&self{decl}) -> crate::pagination::Paginator<{item}> {{ self.client.typed_pages(&operations::{}, {path_arg}, {arg}) }}\n\n",
            super::names::serde_name(&method),
            op.const_name
        ));
    }
}

/// Lets the params structs (and their inline types) be read back from the flat params
/// object, for the contract dispatch only: users never pay for these impls.
pub fn add_contract_derives(params_source: &str) -> String {
    params_source
        .replace(
            "Serialize)]\npub struct ",
            "Serialize)]\n#[cfg_attr(feature = \"contract\", derive(serde::Deserialize))]\npub struct ",
        )
        .replace(
            "Serialize)]\npub enum ",
            "Serialize)]\n#[cfg_attr(feature = \"contract\", derive(serde::Deserialize))]\npub enum ",
        )
}

/// `contract.rs` (feature `contract`): every operation by operationId, called through its
/// typed method with the values of the flat params object, and decoded into its typed
/// response, for the contract test.
pub fn render_contract(ops: &[Op]) -> String {
    let mut out = format!(
        "{HEADER}//! Every operation by operationId, sent through its typed method (path values,
//! then the params struct or body, read from the flat params object) and decoded into
//! its typed response: what the contract test drives against Prism. Built only with
//! the `contract` feature.

use serde::de::DeserializeOwned;
use serde_json::Value;

#[allow(unused_imports)]
use super::{{models, params}};
use crate::{{Client, Error, Result}};

/// What one contract call gave back.
#[derive(Debug)]
pub struct Outcome {{
    /// The response headers (Prism reports violations in `sl-violations`).
    pub headers: Vec<(String, String)>,
    /// The 2xx body as received.
    pub body: String,
    /// Whether the 2xx body parsed into the operation's typed response.
    pub parsed: std::result::Result<(), String>,
    /// The unions in the answer whose value fitted none of their known alternatives.
    pub unknown_variants: Vec<&'static str>,
}}

/// The flat params object of one call, taken apart for the typed method.
struct Call<'a> {{
    operation_id: &'a str,
    params: &'a serde_json::Map<String, Value>,
    path: &'static [&'static str],
}}

impl<'a> Call<'a> {{
    fn path(&self, name: &str) -> Result<&'a str> {{
        self.params.get(name).and_then(Value::as_str).ok_or_else(|| Error::InvalidParams {{
            message: format!(\"{{}}: path parameter {{name}} must be a string\", self.operation_id),
        }})
    }}

    /// Whether the object holds more than the path values.
    fn has_params(&self) -> bool {{
        self.params.keys().any(|key| !self.path.contains(&key.as_str()))
    }}

    fn params<P: DeserializeOwned>(&self) -> Result<P> {{
        serde_json::from_value(Value::Object(self.params.clone())).map_err(|e| Error::InvalidParams {{
            message: format!(\"params do not fit the typed struct of {{}}: {{e}}\", self.operation_id),
        }})
    }}

    fn body<B: DeserializeOwned>(&self) -> Result<B> {{
        let body = self.params.get(crate::json_params::BODY_KEY).cloned().unwrap_or(Value::Null);
        serde_json::from_value(body).map_err(|e| Error::InvalidParams {{
            message: format!(\"$body does not fit the typed body of {{}}: {{e}}\", self.operation_id),
        }})
    }}
}}

/// The outcome of a typed call: the answer it received, and whether it decoded.
fn finish<R>(result: Result<R>) -> Result<Outcome> {{
    let received = crate::typed::contract::take();
    match (result, received) {{
        (Ok(_), Some(response)) => Ok(Outcome {{
            headers: response.headers,
            body: response.body,
            parsed: Ok(()),
            unknown_variants: crate::typed::contract::take_unknown(),
        }}),
        (Err(error @ Error::Decode {{ .. }}), Some(response)) => Ok(Outcome {{
            headers: response.headers,
            body: response.body,
            parsed: Err(error.to_string()),
            unknown_variants: crate::typed::contract::take_unknown(),
        }}),
        (Err(error), _) => Err(error),
        (Ok(_), None) => Err(Error::InvalidParams {{
            message: \"the typed method recorded no answer\".into(),
        }}),
    }}
}}

fn parse<R: DeserializeOwned>(body: &str) -> std::result::Result<(), String> {{
    serde_json::from_str::<R>(body).map(|_| ()).map_err(|e| e.to_string())
}}

/// Calls the operation `operation_id` through its typed method.
pub fn call_typed(client: &Client, operation_id: &str, params: &Value) -> Result<Outcome> {{
    let empty = serde_json::Map::new();
    let object = match params {{
        Value::Object(object) => object,
        Value::Null => &empty,
        _ => return Err(Error::InvalidParams {{ message: \"params must be an object\".into() }}),
    }};
    let _ = crate::typed::contract::take();
    let _ = crate::typed::contract::take_unknown();
    let call = |path: &'static [&'static str]| Call {{ operation_id, params: object, path }};
    match operation_id {{
"
    );
    let mut sorted: Vec<&Op> = ops.iter().collect();
    sorted.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    for op in &sorted {
        let accessor = ident(&op.rust_resource);
        let method = ident(&op.rust_method);
        let path_names: Vec<String> = op.path_order.iter().map(|n| format!("{n:?}")).collect();
        let mut args: Vec<String> = op
            .path_order
            .iter()
            .map(|n| format!("c.path({n:?})?"))
            .collect();
        let call = |method: &str, args: &[String]| {
            format!("finish(client.{accessor}().{method}({}))", args.join(", "))
        };
        let body = match op.shape() {
            Shape::PathOnly => call(&method, &args),
            Shape::Body => {
                let (_, rust) = op.whole_body.as_ref().expect("whole body");
                let owned = match rust.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                    Some(element) => format!("Vec<{element}>"),
                    None => rust.clone(),
                };
                args.push(format!("&c.body::<{owned}>()?"));
                call(&method, &args)
            }
            Shape::Params => {
                args.push(format!(
                    "&c.params::<params::{}>()?",
                    op.params_struct().expect("params struct")
                ));
                call(&method, &args)
            }
            Shape::Split => {
                let plain = call(&method, &args);
                args.push(format!(
                    "&c.params::<params::{}>()?",
                    op.params_struct().expect("params struct")
                ));
                let with = call(&ident(&with_method(op)), &args);
                format!("if c.has_params() {{ {with} }} else {{ {plain} }}")
            }
        };
        // Bind the call only where the arm reads it.
        if [" c.", "(c.", "&c."].iter().any(|use_| body.contains(use_)) {
            out.push_str(&format!(
                "{:?} => {{ let c = call(&[{}]); {body} }}\n",
                op.operation_id,
                path_names.join(", ")
            ));
        } else {
            out.push_str(&format!("{:?} => {body},\n", op.operation_id));
        }
    }
    out.push_str("other => Err(Error::UnknownOperation { name: other.to_owned() }),\n    }\n}\n\n");
    out.push_str(
        "/// Parses a 2xx body into the typed response of `operation_id`.\npub fn parse_response(operation_id: &str, body: &str) -> std::result::Result<(), String> {\n    match operation_id {\n",
    );
    for op in &sorted {
        let parse = match op.answer {
            Answer::Json => format!("parse::<{}>(body)", op.response_ty),
            _ => "{ let _ = body; Ok(()) }".to_string(),
        };
        out.push_str(&format!("{:?} => {parse},\n", op.operation_id));
    }
    out.push_str("other => Err(format!(\"unknown operation {other}\")),\n    }\n}\n");
    out
}
