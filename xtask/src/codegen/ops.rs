//! The operation table, the typed params structs and the typed resource methods.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::names::{ident, pascal, screaming, snake};
use super::types::{Field, Module, TypeSink, model_name, render_items, schema_ref_name};
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

/// Keys of the flat params object with a meaning of their own.
const RESERVED_KEYS: &[&str] = &["$body", "$extra_body"];

/// One parameter of an operation.
pub struct ParamInfo {
    name: String,
    /// `Path`, `Query`, `Body` or `Multipart` (the `Location` variant).
    location: &'static str,
    required: bool,
    nullable: bool,
    /// The `ParamType` variant.
    param_type: &'static str,
    schema: Value,
    description: String,
}

/// The request body kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    None,
    Object,
    Whole,
    Multipart,
}

/// One operation, as the generator understands it.
pub struct Op {
    pub(super) operation_id: String,
    pub(super) name: String,
    resource: String,
    method: String,
    const_name: String,
    pub(super) http_method: &'static str,
    pub(super) path: String,
    params: Vec<ParamInfo>,
    body: BodyKind,
    body_required: bool,
    /// The whole-body schema, for the `$body` field's doc.
    body_description: String,
    pagination: &'static str,
    pub(super) deprecated: bool,
    pub(super) summary: String,
    description: String,
    /// Response type as written in `resources.rs`.
    response_ty: String,
    /// Element type of a paginated list.
    item_ty: Option<String>,
}

impl Op {
    fn params_struct(&self) -> Option<String> {
        (!self.params.is_empty() || self.body != BodyKind::None)
            .then(|| format!("{}Params", pascal(&self.operation_id)))
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

    let (response_ty, response_schema) = response(spec, op);
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
        operation_id,
    }
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

/// The success response's Rust type (as written in `resources.rs`) and JSON schema.
fn response(spec: &Spec, op: &Value) -> (String, Option<Value>) {
    let responses = op["responses"].as_object().expect("responses");
    let Some(success) = ["200", "201", "202", "204"]
        .iter()
        .find_map(|code| responses.get(*code))
    else {
        return ("serde_json::Value".into(), None);
    };
    let named = success
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/responses/"))
        .and_then(|name| spec.response_types.get(name));
    let success = spec.resolve(success);
    let Some(schema) = success.pointer("/content/application~1json/schema") else {
        return ("serde_json::Value".into(), None);
    };
    let rust = match named {
        Some(rust) => format!("models::{rust}"),
        None => type_of_response(schema),
    };
    (rust, Some(schema.clone()))
}

/// A model type for a `$ref`, `Vec<model>` for an array of them, JSON otherwise.
fn type_of_response(schema: &Value) -> String {
    if let Some(name) = schema_ref_name(schema) {
        return format!("models::{}", model_name(name));
    }
    if schema.get("type").and_then(Value::as_str) == Some("array")
        && let Some(name) = schema.get("items").and_then(schema_ref_name)
    {
        return format!("Vec<models::{}>", model_name(name));
    }
    "serde_json::Value".into()
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

/// `params.rs`: one struct per operation that takes params.
pub fn render_params(spec: &Spec, ops: &[Op]) -> String {
    let mut sink = TypeSink::new(Module::Params);
    // Reserve every params struct name first so inline types never take one.
    for op in ops {
        if let Some(name) = op.params_struct() {
            assert_eq!(
                sink.reserve(&name),
                name,
                "two operations map to params struct {name}"
            );
        }
    }
    for op in ops {
        let Some(name) = op.params_struct() else {
            continue;
        };
        let owner = pascal(&op.operation_id);
        let mut fields = Vec::new();
        for p in &op.params {
            let ty = if p.param_type == "File" {
                super::types::Ty {
                    rust: "crate::operation::File".into(),
                    embeds: None,
                    has_default: false,
                }
            } else {
                spec.rust_type(&p.schema, &format!("{owner}{}", pascal(&p.name)), &mut sink)
            };
            let mut doc = p.description.clone();
            if doc.trim().is_empty() {
                doc = format!(
                    "The `{}` {} parameter.",
                    p.name,
                    p.location.to_ascii_lowercase()
                );
            }
            fields.push(Field {
                ident: ident(&snake(&p.name)),
                json_name: p.name.clone(),
                ty,
                required: p.required,
                nullable: p.nullable,
                doc,
                boxed: false,
                serde_override: None,
            });
        }
        match op.body {
            BodyKind::Object => fields.push(Field {
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
            }),
            BodyKind::Whole => {
                let mut doc = op.body_description.clone();
                if doc.trim().is_empty() {
                    doc = "The whole request body.".into();
                }
                fields.push(Field {
                    ident: "body".into(),
                    json_name: "$body".into(),
                    ty: super::types::Ty {
                        rust: "serde_json::Value".into(),
                        embeds: None,
                        has_default: true,
                    },
                    required: op.body_required,
                    nullable: false,
                    doc,
                    boxed: false,
                    serde_override: None,
                })
            }
            BodyKind::None | BodyKind::Multipart => {}
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
        let doc = format!(
            "Params of `{}` ([`super::operations::{}`]).",
            op.name, op.const_name
        );
        sink.items
            .push(super::types::Item::Struct { name, doc, fields });
    }
    let mut out = format!(
        "{HEADER}//! A typed params struct for each operation that takes params: path, query and
//! body fields side by side, by their spec names, exactly as in the flat params object of
//! the generic call.

use serde::Serialize;

use super::models;

"
    );
    // Structs whose every field has a Default get `Default`, for `..Default::default()`.
    let defaultable: BTreeMap<String, bool> = sink
        .items
        .iter()
        .filter_map(|item| match item {
            super::types::Item::Struct { name, fields, .. } => Some((
                name.clone(),
                fields.iter().all(|f| f.optional() || f.ty.has_default),
            )),
            _ => None,
        })
        .collect();
    let mut rendered = String::new();
    render_items(&sink.items, Module::Params, &mut rendered);
    for (name, has_default) in &defaultable {
        if *has_default {
            rendered = rendered.replacen(
                &format!("#[derive(Debug, Clone, PartialEq, Serialize)]\npub struct {name} {{"),
                &format!(
                    "#[derive(Debug, Clone, Default, PartialEq, Serialize)]\npub struct {name} {{"
                ),
                1,
            );
        }
    }
    out.push_str(&rendered);
    out
}

/// `resources.rs`: a handle type per resource with a typed method per operation.
pub fn render_resources(ops: &[Op]) -> String {
    let mut by_resource: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in ops {
        by_resource
            .entry(op.resource.as_str())
            .or_default()
            .push(op);
    }
    let mut out = format!(
        "{HEADER}//! Typed methods, grouped by resource: `client.users().list(&params)`.

use super::{{models, operations, params}};

impl crate::Client {{
"
    );
    for resource in by_resource.keys() {
        let handle = pascal(resource);
        out.push_str(&format!(
            "/// Operations on {} (`{resource}.*`).\n#[inline]\npub fn {}(&self) -> {handle}<'_> {{ {handle} {{ client: self }} }}\n",
            resource.replace('_', " "),
            ident(resource)
        ));
    }
    out.push_str("}\n\n");
    for (resource, ops) in &by_resource {
        let handle = pascal(resource);
        out.push_str(&format!(
            "/// The `{resource}.*` operations; from [`crate::Client::{}`].\n#[derive(Debug, Clone, Copy)]\npub struct {handle}<'a> {{ client: &'a crate::Client }}\n\nimpl {handle}<'_> {{\n",
            super::names::serde_name(&ident(resource))
        ));
        let mut methods = BTreeSet::new();
        for op in ops {
            let method = ident(&op.method);
            let mut doc = op.summary.clone();
            if !op.description.trim().is_empty() && op.description.trim() != op.summary {
                doc.push_str("\n\n");
                doc.push_str(&op.description);
            }
            doc.push_str(&format!(
                "\n\n`{} {}` (`{}`, [`operations::{}`]).",
                op.http_method.to_ascii_uppercase(),
                op.path,
                op.operation_id,
                op.const_name
            ));
            if op.deprecated {
                doc.push_str("\n\nDeprecated in the spec.");
            }
            let (param_decl, param_arg) = match op.params_struct() {
                Some(name) => (format!(", params: &params::{name}"), "params".to_string()),
                None => (String::new(), "&serde_json::Map::new()".to_string()),
            };
            assert!(
                methods.insert(method.clone()),
                "{resource}: two methods named {method}"
            );
            out.push_str(&doc_comment(&doc));
            // `#[inline]` makes the method, like a generic, compiled only in the crates
            // that call it: the library itself does not pay for monomorphising 249
            // request/response types (a measured ~40% of its build time).
            out.push_str(&format!(
                "#[inline]\npub fn {method}(&self{param_decl}) -> crate::Result<{}> {{ self.client.call_typed(&operations::{}, {param_arg}) }}\n\n",
                op.response_ty, op.const_name
            ));
            if let Some(item) = &op.item_ty {
                // `<method>_all`, unless that reads badly or is taken: `list_all` is also
                // a spec method of `organization_domains`, so its `list` pages with
                // `list_iter`, and `list_all` itself with `list_all_iter`.
                let spec_method_named = |name: &str| ops.iter().any(|o| o.method == name);
                let mut all = format!("{}_all", op.method);
                if op.method.ends_with("_all") || spec_method_named(&all) {
                    all = format!("{}_iter", op.method);
                }
                let all = ident(&all);
                assert!(
                    methods.insert(all.clone()),
                    "{resource}: two methods named {all}"
                );
                out.push_str(&format!(
                    "/// Every item of [`Self::{}`], fetching page after page lazily.\n#[inline]\npub fn {all}(&self{param_decl}) -> crate::pagination::Paginator<{item}> {{ self.client.paginate_typed(&operations::{}, {param_arg}) }}\n\n",
                    super::names::serde_name(&method), op.const_name
                ));
            }
        }
        out.push_str("}\n\n");
    }
    out
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
/// typed params struct and decoded into its typed response, for the contract test.
pub fn render_contract(ops: &[Op]) -> String {
    let mut out = format!(
        "{HEADER}//! Every operation by operationId, sent through its typed params struct and decoded
//! into its typed response model: what the contract test drives against Prism. Built only
//! with the `contract` feature.

use serde_json::Value;

use super::{{models, operations, params}};
use crate::operation::Operation;
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
}}

fn run<P, R>(client: &Client, op: &'static Operation, params: &Value) -> Result<Outcome>
where
    P: serde::de::DeserializeOwned + serde::Serialize,
    R: serde::de::DeserializeOwned,
{{
    let typed: P = serde_json::from_value(params.clone()).map_err(|e| Error::InvalidParams {{
        message: format!(\"params do not fit the typed struct of {{}}: {{e}}\", op.name),
    }})?;
    let flat = serde_json::to_value(&typed).map_err(|e| Error::InvalidParams {{
        message: e.to_string(),
    }})?;
    let response = client.call_operation(op, &flat)?;
    let parsed = parse::<R>(&response.body);
    Ok(Outcome {{
        headers: response.headers,
        body: response.body,
        parsed,
    }})
}}

fn parse<R: serde::de::DeserializeOwned>(body: &str) -> std::result::Result<(), String> {{
    serde_json::from_str::<R>(body).map(|_| ()).map_err(|e| e.to_string())
}}

/// Calls the operation `operation_id` through its typed params and response types.
pub fn call_typed(client: &Client, operation_id: &str, params: &Value) -> Result<Outcome> {{
    match operation_id {{
"
    );
    let mut sorted: Vec<&Op> = ops.iter().collect();
    sorted.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    for op in &sorted {
        let params_ty = match op.params_struct() {
            Some(name) => format!("params::{name}"),
            None => "serde_json::Map<String, Value>".to_string(),
        };
        out.push_str(&format!(
            "{:?} => run::<{params_ty}, {}>(client, &operations::{}, params),\n",
            op.operation_id, op.response_ty, op.const_name
        ));
    }
    out.push_str("other => Err(Error::UnknownOperation { name: other.to_owned() }),\n    }\n}\n\n");
    out.push_str(
        "/// Parses a 2xx body into the typed response of `operation_id`.\npub fn parse_response(operation_id: &str, body: &str) -> std::result::Result<(), String> {\n    match operation_id {\n",
    );
    for op in &sorted {
        out.push_str(&format!(
            "{:?} => parse::<{}>(body),\n",
            op.operation_id, op.response_ty
        ));
    }
    out.push_str("other => Err(format!(\"unknown operation {other}\")),\n    }\n}\n");
    out
}
