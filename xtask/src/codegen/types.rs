//! Mapping spec schemas to Rust types, and rendering the type definitions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::names::{ident, pascal, serde_name, snake};
use super::{Spec, doc_comment};

/// A Rust type expression for a schema, with what the generator needs to know about it.
#[derive(Debug, Clone)]
pub struct Ty {
    /// The type as written in the generated module (`models::User`, `Vec<String>`).
    pub rust: String,
    /// The generated struct this type embeds by value (not behind a `Vec` or map), if
    /// any: the edges along which a recursive type needs a `Box`.
    pub embeds: Option<String>,
    /// Whether the type implements `Default`.
    pub has_default: bool,
}

impl Ty {
    fn plain(rust: &str) -> Ty {
        Ty {
            rust: rust.to_string(),
            embeds: None,
            has_default: true,
        }
    }
}

/// One field of a generated struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// The identifier (`user_id`, `r#type`).
    pub ident: String,
    /// The key on the wire.
    pub json_name: String,
    /// The type, without the `Option` the field may be wrapped in.
    pub ty: Ty,
    /// Whether the spec requires the field.
    pub required: bool,
    /// Whether the spec allows `null`.
    pub nullable: bool,
    /// Doc comment text.
    pub doc: String,
    /// Whether the field is boxed to break a recursive type.
    pub boxed: bool,
    /// Extra serde attribute content written verbatim (for the reserved-key fields).
    pub serde_override: Option<String>,
}

impl Field {
    /// Whether the field is `Option<T>` (or, see [`Field::is_tristate`], `Nullable<T>`).
    pub fn optional(&self) -> bool {
        self.serde_override.is_none() && (!self.required || self.nullable)
    }

    /// Whether the field must be given: a params struct with one has no `Default`.
    pub fn is_required(&self) -> bool {
        self.serde_override.is_none() && self.required
    }

    /// Whether the field is a `Nullable<T>`: an optional field of a request that the
    /// spec lets be `null` (left out, `null`, or a value). Models keep `Option<T>`:
    /// reading a response, absent and `null` mean the same.
    pub fn is_tristate(&self, module: Module) -> bool {
        module == Module::Params && self.serde_override.is_none() && !self.required && self.nullable
    }
}

/// Gives fields distinct identifiers: a field whose spec name is already snake_case keeps
/// it; one that only becomes it by conversion (`frontendApi` beside `frontend_api`) gets
/// a number.
pub fn dedupe_idents(fields: &mut [Field]) {
    let mut used = BTreeSet::new();
    let mut clashing = Vec::new();
    for pass in [true, false] {
        for (i, field) in fields.iter_mut().enumerate() {
            let natural = serde_name(&field.ident) == field.json_name;
            if natural != pass {
                continue;
            }
            if !used.insert(field.ident.clone()) {
                clashing.push(i);
            }
        }
    }
    for i in clashing {
        let base = fields[i].ident.clone();
        let mut n = 2;
        while !used.insert(format!("{base}_{n}")) {
            n += 1;
        }
        fields[i].ident = format!("{base}_{n}");
    }
}

/// A generated type definition.
#[derive(Debug, Clone)]
pub enum Item {
    /// A struct of named fields.
    Struct {
        name: String,
        doc: String,
        fields: Vec<Field>,
    },
    /// A string enum with an `Unknown(String)` fallback.
    Enum {
        name: String,
        doc: String,
        values: Vec<String>,
    },
    /// A type alias.
    Alias {
        name: String,
        doc: String,
        ty: String,
    },
    /// A `oneOf`/`anyOf` of several shapes: one variant each, plus `Unknown` for a
    /// value none of them fits.
    Union {
        name: String,
        doc: String,
        /// The spec's `discriminator.propertyName`, if it gives one.
        discriminator: Option<String>,
        variants: Vec<Variant>,
    },
}

/// One alternative of a union.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The variant name (`Otp`, `RsaPublicKey`).
    pub name: String,
    /// The type it holds.
    pub ty: String,
    /// The component schema it comes from, if any.
    pub schema_name: Option<String>,
    /// The discriminator values naming it: the spec's `mapping`, else the values of its
    /// own discriminator property, else its schema name.
    pub tags: Vec<String>,
    /// The properties the alternative requires.
    pub required: Vec<String>,
    /// The constant-like properties that tell the alternatives apart.
    pub checks: Vec<(String, Check)>,
}

/// What a property's value must be for an alternative to fit (see `clerk_core::typed`).
#[derive(Debug, Clone)]
pub enum Check {
    /// A string `enum`.
    OneOf(Vec<String>),
    /// The literal head of a string `pattern`.
    Prefix(String),
    /// A one-value boolean `enum`.
    Bool(bool),
}

/// Variant names the generator cannot find in the spec: (union type, alternative
/// index, name). The inline `{active: false}` answer of the OAuth access token check
/// would otherwise read `Active`.
const VARIANT_NAMES: &[(&str, usize, &str)] = &[("OauthAccessTokensVerifyResponse", 1, "Inactive")];

/// Which module the types go to: it decides derives and how model types are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    /// `models.rs`: Serialize + Deserialize.
    Models,
    /// `params.rs`: Serialize only; model types are reached as `models::X`.
    Params,
}

/// Collects the type definitions of one module, naming inline schemas after their place.
pub struct TypeSink {
    pub module: Module,
    pub items: Vec<Item>,
    names: BTreeSet<String>,
    /// Inline object schemas (as JSON text) that already have a type: an identical
    /// inline schema elsewhere reuses it (the API key object of `api_keys.get` is the
    /// element of `api_keys.list`).
    shapes: BTreeMap<String, String>,
}

impl TypeSink {
    pub fn new(module: Module) -> TypeSink {
        TypeSink {
            module,
            items: Vec::new(),
            names: BTreeSet::new(),
            shapes: BTreeMap::new(),
        }
    }

    /// Records that the inline object `schema` is the type `name`.
    pub fn register_shape(&mut self, schema: &Value, name: &str) {
        self.shapes.insert(schema.to_string(), name.to_string());
    }

    /// Whether a type name is taken.
    pub fn is_taken(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// Reserves a type name; an inline type whose natural name is taken gets a number.
    pub fn reserve(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_string();
        let mut n = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{wanted}{n}");
            n += 1;
        }
        name
    }

    fn model_path(&self, name: &str) -> String {
        match self.module {
            Module::Models => name.to_string(),
            Module::Params => format!("models::{name}"),
        }
    }
}

/// The Rust type name of a component schema.
pub fn model_name(schema_name: &str) -> String {
    pascal(schema_name)
}

/// The component schema name a `$ref` points to, if it points to one.
pub fn schema_ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// Whether `anyOf`/`oneOf` alternatives are real schemas, not mere `required` constraints
/// (the spec uses `anyOf: [{required: [domain]}, {required: [domains]}]`).
pub fn real_alternatives(schema: &Value) -> Option<&Vec<Value>> {
    ["oneOf", "anyOf"].iter().find_map(|key| {
        let alternatives = schema.get(*key)?.as_array()?;
        let constraint_only = alternatives.iter().all(|a| {
            a.as_object()
                .is_some_and(|o| o.keys().all(|k| k == "required"))
        });
        (!constraint_only).then_some(alternatives)
    })
}

impl Spec {
    /// Properties (in spec order) and required names of an object schema, with `allOf`
    /// parts and `$ref`s merged.
    pub fn object_props(&self, schema: &Value) -> (Vec<(String, Value)>, BTreeSet<String>) {
        let mut props: Vec<(String, Value)> = Vec::new();
        let mut required = BTreeSet::new();
        self.collect_props(schema, &mut props, &mut required, 0);
        (props, required)
    }

    fn collect_props(
        &self,
        schema: &Value,
        props: &mut Vec<(String, Value)>,
        required: &mut BTreeSet<String>,
        depth: usize,
    ) {
        assert!(depth < 32, "allOf/$ref nesting too deep");
        let schema = self.resolve(schema);
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.collect_props(part, props, required, depth + 1);
            }
        }
        if let Some(own) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in own {
                match props.iter_mut().find(|(n, _)| n == name) {
                    Some(existing) => existing.1 = prop.clone(),
                    None => props.push((name.clone(), prop.clone())),
                }
            }
        }
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str() {
                required.insert(name.to_string());
            }
        }
    }

    /// Whether a schema (after `$ref`) describes an object with known properties.
    pub fn has_props(&self, schema: &Value) -> bool {
        !self.object_props(schema).0.is_empty()
    }

    /// Whether a schema allows null (on itself or on what its `$ref` points to).
    pub fn nullable(&self, schema: &Value) -> bool {
        let own = schema
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        own || self
            .resolve(schema)
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The Rust type of a schema; inline structs and enums are added to `sink`, named
    /// from `hint`.
    pub fn rust_type(&self, schema: &Value, hint: &str, sink: &mut TypeSink) -> Ty {
        if let Some(name) = schema_ref_name(schema) {
            let target = self.resolve(schema);
            let rust = model_name(name);
            let is_struct = target.get("type").and_then(Value::as_str) != Some("array")
                && real_alternatives(target).is_none()
                && self.has_props(target);
            let is_union = real_alternatives(target).is_some_and(|a| a.len() > 1);
            let is_alias = !is_struct && !is_union && target.get("enum").is_none();
            return Ty {
                rust: sink.model_path(&rust),
                embeds: is_struct.then_some(rust),
                // Aliases (maps, vectors, strings) have Default; structs, enums and
                // unions don't.
                has_default: is_alias,
            };
        }
        if schema.get("$ref").is_some() {
            return self.rust_type(self.resolve(schema), hint, sink);
        }
        if let Some(alternatives) = real_alternatives(schema) {
            if let [only] = alternatives.as_slice() {
                return self.rust_type(only, hint, sink);
            }
            // Several shapes: an enum of them, with `Unknown` for any other value.
            let name = sink.reserve(hint);
            self.define_union(&name, schema, alternatives, sink);
            return Ty {
                rust: name,
                embeds: None,
                has_default: false,
            };
        }
        let ty = schema.get("type").and_then(Value::as_str);
        if ty == Some("object")
            || schema.get("properties").is_some()
            || schema.get("allOf").is_some()
        {
            if self.has_props(schema) {
                if let Some(known) = sink.shapes.get(&schema.to_string()) {
                    return Ty {
                        rust: known.clone(),
                        embeds: Some(known.clone()),
                        has_default: false,
                    };
                }
                let name = sink.reserve(hint);
                self.define_struct(&name, schema, sink);
                return Ty {
                    rust: name.clone(),
                    embeds: Some(name),
                    has_default: false,
                };
            }
            return match schema.get("additionalProperties") {
                Some(values @ Value::Object(o)) if !o.is_empty() => {
                    let value_ty = self.rust_type(values, &format!("{hint}Value"), sink);
                    let value_rust = if self.nullable(values) {
                        format!("Option<{}>", value_ty.rust)
                    } else {
                        value_ty.rust
                    };
                    Ty::plain(&format!("std::collections::BTreeMap<String, {value_rust}>"))
                }
                _ => Ty::plain("serde_json::Map<String, serde_json::Value>"),
            };
        }
        match ty {
            Some("string") => {
                let values: Vec<String> = schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                // A one-value enum is a constant tag (`object: "user"`): a plain string
                // keeps it simple and still parses a future second value.
                if values.len() > 1 {
                    let name = sink.reserve(hint);
                    let doc = schema
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    sink.items.push(Item::Enum {
                        name: name.clone(),
                        doc: doc.to_string(),
                        values,
                    });
                    Ty {
                        rust: name,
                        embeds: None,
                        has_default: false,
                    }
                } else {
                    Ty::plain("String")
                }
            }
            Some("integer") => Ty::plain("i64"),
            Some("number") => Ty::plain("f64"),
            Some("boolean") => Ty::plain("bool"),
            Some("array") => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                let item = if items.is_null() {
                    Ty::plain("serde_json::Value")
                } else {
                    self.rust_type(&items, &format!("{hint}Item"), sink)
                };
                let item_rust = if self.nullable(&items) {
                    format!("Option<{}>", item.rust)
                } else {
                    item.rust
                };
                Ty::plain(&format!("Vec<{item_rust}>"))
            }
            _ => Ty::plain("serde_json::Value"),
        }
    }

    /// The fields of an object schema, types added to `sink`, named from `owner`.
    pub fn fields(&self, owner: &str, schema: &Value, sink: &mut TypeSink) -> Vec<Field> {
        let (props, required) = self.object_props(schema);
        props
            .iter()
            .map(|(json_name, prop)| {
                let hint = format!("{owner}{}", pascal(json_name));
                let ty = self.rust_type(prop, &hint, sink);
                // The spec's description, or nothing: no made-up "The `id` field.".
                let mut doc = prop
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if prop.get("deprecated").and_then(Value::as_bool) == Some(true) {
                    doc.push_str("\n\nDeprecated in the spec.");
                    doc = doc.trim().to_string();
                }
                Field {
                    ident: ident(&snake(json_name)),
                    json_name: json_name.clone(),
                    ty,
                    required: required.contains(json_name),
                    nullable: self.nullable(prop),
                    doc,
                    boxed: false,
                    serde_override: None,
                }
            })
            .collect()
    }

    /// Adds a struct for an object schema to `sink` under an already reserved name.
    pub fn define_struct(&self, name: &str, schema: &Value, sink: &mut TypeSink) {
        let schema = self.resolve(schema);
        let mut fields = self.fields(name, schema, sink);
        dedupe_idents(&mut fields);
        let doc = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        sink.items.push(Item::Struct {
            name: name.to_string(),
            doc,
            fields,
        });
    }

    /// Adds a union (an enum with one variant per alternative and `Unknown`) to `sink`
    /// under an already reserved name. Variants are named after the component schema
    /// they hold, less the words all of them share (`verification_otp`,
    /// `verification_admin` -> `Otp`, `Admin`), or for an inline alternative after its
    /// constant `object` value or its property names.
    pub fn define_union(
        &self,
        name: &str,
        schema: &Value,
        alternatives: &[Value],
        sink: &mut TypeSink,
    ) {
        let words: Vec<Vec<String>> = alternatives
            .iter()
            .map(|alternative| {
                let label = match schema_ref_name(alternative) {
                    Some(reference) => reference.to_string(),
                    None => {
                        let (props, required) = self.object_props(alternative);
                        let object =
                            props
                                .iter()
                                .find(|(n, _)| n == "object")
                                .and_then(|(_, p)| {
                                    let values = self.resolve(p).get("enum")?.as_array()?;
                                    match values.as_slice() {
                                        [Value::String(only)] => Some(only.clone()),
                                        _ => None,
                                    }
                                });
                        object.unwrap_or_else(|| {
                            let names: Vec<&str> = if required.is_empty() {
                                props.iter().map(|(n, _)| n.as_str()).collect()
                            } else {
                                required.iter().map(String::as_str).collect()
                            };
                            names.join("_")
                        })
                    }
                };
                snake(&label).split('_').map(str::to_string).collect()
            })
            .collect();
        // The words every alternative's name starts with, if each keeps one of its own.
        let mut shared = 0;
        while words.iter().all(|w| w.len() > shared + 1)
            && words.iter().all(|w| w[shared] == words[0][shared])
            && words
                .iter()
                .all(|w| !w[shared + 1].starts_with(|c: char| c.is_ascii_digit()))
        {
            shared += 1;
        }
        if words.len() < 2 {
            shared = 0;
        }
        let discriminator = schema
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut used = BTreeSet::from(["Unknown".to_string()]);
        let mut variants = Vec::new();
        for (index, alternative) in alternatives.iter().enumerate() {
            let mut variant = VARIANT_NAMES
                .iter()
                .find(|(union, i, _)| *union == name && *i == index)
                .map(|(_, _, fixed)| fixed.to_string())
                .unwrap_or_else(|| pascal(&words[index][shared..].join("_")));
            let base = variant.clone();
            let mut n = 2;
            while !used.insert(variant.clone()) {
                variant = format!("{base}{n}");
                n += 1;
            }
            let ty = match schema_ref_name(alternative) {
                Some(_) => {
                    self.rust_type(alternative, &format!("{name}{variant}"), sink)
                        .rust
                }
                None if self.has_props(alternative) => {
                    let rust = sink.reserve(&format!("{name}{variant}"));
                    self.define_struct(&rust, alternative, sink);
                    rust
                }
                None => {
                    self.rust_type(alternative, &format!("{name}{variant}"), sink)
                        .rust
                }
            };
            let (props, required) = self.object_props(alternative);
            let mut tags = Vec::new();
            if let Some(property) = &discriminator {
                let reference = alternative.get("$ref").and_then(Value::as_str);
                if let Some(mapping) = schema
                    .pointer("/discriminator/mapping")
                    .and_then(Value::as_object)
                {
                    tags.extend(
                        mapping
                            .iter()
                            .filter(|(_, target)| target.as_str() == reference)
                            .map(|(tag, _)| tag.clone()),
                    );
                }
                if tags.is_empty()
                    && let Some((_, prop)) = props.iter().find(|(n, _)| n == property)
                {
                    tags.extend(
                        self.resolve(prop)
                            .get("enum")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|v| v.as_str().map(str::to_string)),
                    );
                }
                if tags.is_empty()
                    && let Some(schema_name) = schema_ref_name(alternative)
                {
                    tags.push(schema_name.to_string());
                }
            }
            let mut checks = Vec::new();
            for (prop_name, prop) in &props {
                let prop = self.resolve(prop);
                let values = prop.get("enum").and_then(Value::as_array);
                if let Some(values) = values {
                    let strings: Vec<String> = values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                    if !strings.is_empty() && strings.len() == values.len() {
                        checks.push((prop_name.clone(), Check::OneOf(strings)));
                    } else if let [Value::Bool(only)] = values.as_slice() {
                        checks.push((prop_name.clone(), Check::Bool(*only)));
                    }
                } else if let Some(head) = prop
                    .get("pattern")
                    .and_then(Value::as_str)
                    .and_then(pattern_head)
                {
                    checks.push((prop_name.clone(), Check::Prefix(head)));
                }
            }
            variants.push(Variant {
                name: variant,
                ty,
                schema_name: schema_ref_name(alternative).map(str::to_string),
                tags,
                required: required.into_iter().collect(),
                checks,
            });
        }
        let doc = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        sink.items.push(Item::Union {
            name: name.to_string(),
            doc,
            discriminator,
            variants,
        });
    }

    /// Adds the type for one component schema to the models sink.
    pub fn define_model(&self, schema_name: &str, schema: &Value, sink: &mut TypeSink) {
        let name = model_name(schema_name);
        let doc = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(alternatives) = real_alternatives(schema)
            && alternatives.len() > 1
        {
            self.define_union(&name, schema, alternatives, sink);
            return;
        }
        let is_array = schema.get("type").and_then(Value::as_str) == Some("array");
        if !is_array && real_alternatives(schema).is_none() && self.has_props(schema) {
            let mut fields = self.fields(&name, schema, sink);
            dedupe_idents(&mut fields);
            sink.items.push(Item::Struct { name, doc, fields });
            return;
        }
        let is_string_enum = schema.get("type").and_then(Value::as_str) == Some("string")
            && schema
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|v| v.len() > 1);
        if is_string_enum {
            let values = schema["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            sink.items.push(Item::Enum { name, doc, values });
            return;
        }
        let ty = self.rust_type(schema, &name, sink);
        sink.items.push(Item::Alias {
            name,
            doc,
            ty: ty.rust,
        });
    }
}

/// The literal text a regex `pattern` anchored with `^` starts with (`^from_oauth_(...)`
/// -> `from_oauth_`), when there is one.
fn pattern_head(pattern: &str) -> Option<String> {
    let rest = pattern.strip_prefix('^')?;
    let mut head: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    // A quantifier after the head applies to its last character.
    if rest[head.len()..].starts_with(['*', '?', '{', '+']) {
        head.pop();
    }
    (!head.is_empty()).then_some(head)
}

/// Boxes the struct fields that would otherwise make a type contain itself.
pub fn box_recursive_fields(items: &mut [Item]) {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in items.iter() {
        if let Item::Struct { name, fields, .. } = item {
            let targets = fields.iter().filter_map(|f| f.ty.embeds.clone()).collect();
            edges.insert(name.clone(), targets);
        }
    }
    let reaches = |from: &str, to: &str, edges: &BTreeMap<String, BTreeSet<String>>| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(next) = stack.pop() {
            if next == to {
                return true;
            }
            if seen.insert(next.clone()) {
                stack.extend(edges.get(&next).into_iter().flatten().cloned());
            }
        }
        false
    };
    for item in items.iter_mut() {
        if let Item::Struct { name, fields, .. } = item {
            for field in fields.iter_mut() {
                if let Some(target) = &field.ty.embeds
                    && reaches(target, name, &edges)
                {
                    field.boxed = true;
                    // A boxed edge no longer makes the type infinite.
                    if let Some(targets) = edges.get_mut(name.as_str()) {
                        targets.remove(target);
                    }
                }
            }
        }
    }
}

/// Renders type definitions as Rust source.
///
/// In `params.rs`, a struct without required fields derives `Default`; one with
/// required fields does not, and is built with `new(required...)`. Both get a setter per
/// optional field (and a `clear_*` per field that can be sent as `null`).
pub fn render_items(items: &[Item], module: Module, out: &mut String) {
    for item in items {
        match item {
            Item::Struct { name, doc, fields } => {
                out.push_str(&doc_comment(doc));
                let derive = match module {
                    Module::Models => "Debug, Clone, PartialEq, Serialize, Deserialize",
                    Module::Params if fields.iter().any(Field::is_required) => {
                        "Debug, Clone, PartialEq, Serialize"
                    }
                    Module::Params => "Debug, Clone, Default, PartialEq, Serialize",
                };
                out.push_str(&format!("#[derive({derive})]\npub struct {name} {{\n"));
                for field in fields {
                    render_field(field, module, out);
                }
                out.push_str("}\n\n");
                if module == Module::Params {
                    render_constructor_and_setters(name, fields, out);
                }
            }
            Item::Enum { name, doc, values } => {
                out.push_str(&doc_comment(doc));
                let derive = match module {
                    Module::Models => "Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize",
                    Module::Params => "Debug, Clone, PartialEq, Eq, Hash, Serialize",
                };
                out.push_str(&format!("#[derive({derive})]\npub enum {name} {{\n"));
                let mut used = BTreeSet::from(["Unknown".to_string()]);
                for value in values {
                    let mut variant = pascal(value);
                    let base = variant.clone();
                    let mut n = 2;
                    while !used.insert(variant.clone()) {
                        variant = format!("{base}{n}");
                        n += 1;
                    }
                    out.push_str(&format!(
                        "/// `{value}`\n#[serde(rename = {value:?})]\n{variant},\n"
                    ));
                }
                out.push_str(
                    "/// A value this version of the library does not know, kept as sent.\n\
                     #[serde(untagged)]\nUnknown(String),\n}\n\n",
                );
            }
            Item::Alias { name, doc, ty } => {
                out.push_str(&doc_comment(doc));
                out.push_str(&format!("pub type {name} = {ty};\n\n"));
            }
            Item::Union {
                name,
                doc,
                discriminator,
                variants,
            } => render_union(name, doc, discriminator.as_deref(), variants, module, out),
        }
    }
}

/// A union: `Serialize` writes the variant's value as is; `Deserialize` picks the
/// alternative the value fits (`clerk_core::typed::pick`) and keeps any value that fits
/// none, or does not parse as the one it fits, as `Unknown`.
fn render_union(
    name: &str,
    doc: &str,
    discriminator: Option<&str>,
    variants: &[Variant],
    module: Module,
    out: &mut String,
) {
    out.push_str(&doc_comment(doc));
    out.push_str(&format!(
        "#[derive(Debug, Clone, PartialEq, Serialize)]\n#[serde(untagged)]\npub enum {name} {{\n"
    ));
    for variant in variants {
        if let Some(schema) = &variant.schema_name {
            out.push_str(&format!("/// The `{schema}` alternative.\n"));
        }
        out.push_str(&format!("{}({}),\n", variant.name, variant.ty));
    }
    out.push_str(
        "/// A value that fits none of the alternatives this version of the library knows, kept as sent.\n\
         Unknown(serde_json::Value),\n}\n\n",
    );
    if module != Module::Models {
        return;
    }
    let strs = |list: &[String]| {
        list.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&format!(
        "impl<'de> Deserialize<'de> for {name} {{\n\
         fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n\
         use crate::typed::{{Alternative, Check}};\n\
         const ALTERNATIVES: &[Alternative] = &[\n"
    ));
    for variant in variants {
        let checks: Vec<String> = variant
            .checks
            .iter()
            .map(|(prop, check)| {
                let check = match check {
                    Check::OneOf(values) => format!("Check::OneOf(&[{}])", strs(values)),
                    Check::Prefix(head) => format!("Check::Prefix({head:?})"),
                    Check::Bool(flag) => format!("Check::Bool({flag})"),
                };
                format!("({prop:?}, {check})")
            })
            .collect();
        out.push_str(&format!(
            "Alternative {{ tags: &[{}], required: &[{}], checks: &[{}] }},\n",
            strs(&variant.tags),
            strs(&variant.required),
            checks.join(", ")
        ));
    }
    out.push_str(&format!(
        "];\nlet value = serde_json::Value::deserialize(deserializer)?;\n\
         let known = match crate::typed::pick(&value, {discriminator:?}, ALTERNATIVES) {{\n",
    ));
    for (index, variant) in variants.iter().enumerate() {
        out.push_str(&format!(
            "Some({index}) => crate::typed::variant(&value).map(Self::{}),\n",
            variant.name
        ));
    }
    out.push_str(&format!(
        "_ => None,\n}};\nOk(known.unwrap_or_else(|| {{ crate::typed::note_unknown({name:?}); Self::Unknown(value) }}))\n}}\n}}\n\n"
    ));
}

/// How a setter or constructor takes a value of type `ty`: the argument type and the
/// expression turning argument `arg` into the field value.
fn argument(ty: &str, arg: &str) -> (String, String) {
    match ty {
        "String" => ("impl Into<String>".into(), format!("{arg}.into()")),
        "Vec<String>" => (
            "impl IntoIterator<Item = impl Into<String>>".into(),
            format!("{arg}.into_iter().map(Into::into).collect()"),
        ),
        "bool" | "i64" | "f64" => (ty.to_string(), arg.to_string()),
        _ => (format!("impl Into<{ty}>"), format!("{arg}.into()")),
    }
}

/// Every method is `#[inline]`, so, like the typed methods, it is compiled only in the
/// crates that call it and costs the library's own build nothing but type checking.
fn render_constructor_and_setters(name: &str, fields: &[Field], out: &mut String) {
    let required: Vec<&Field> = fields.iter().filter(|f| f.is_required()).collect();
    let mut methods = BTreeSet::from(["new".to_string()]);
    out.push_str(&format!("impl {name} {{\n"));
    if required.is_empty() {
        out.push_str(
            "/// Nothing set (the same as `Default::default()`); add what you need with the setters.\n\
             #[inline]\npub fn new() -> Self { Self::default() }\n\n",
        );
    } else {
        let names: Vec<String> = required
            .iter()
            .map(|f| format!("`{}`", f.json_name))
            .collect();
        let mut args = Vec::new();
        let mut inits = Vec::new();
        for field in fields {
            assert!(!field.boxed, "{name}.{}: boxed params field", field.ident);
            if field.is_required() {
                let (arg_ty, expr) = if field.optional() {
                    // Required but nullable: given, possibly as `None` (sent as null).
                    (format!("Option<{}>", field.ty.rust), field.ident.clone())
                } else {
                    argument(&field.ty.rust, &field.ident)
                };
                args.push(format!("{}: {arg_ty}", field.ident));
                inits.push(if expr == field.ident {
                    expr
                } else {
                    format!("{}: {expr}", field.ident)
                });
            } else {
                assert!(
                    field.optional() || field.ty.has_default,
                    "{name}.{}: an optional field without a default",
                    field.ident
                );
                inits.push(format!("{}: Default::default()", field.ident));
            }
        }
        out.push_str(&format!(
            "/// With the required {} {}; add the others with the setters.\n\
             #[inline]\npub fn new({}) -> Self {{ Self {{ {} }} }}\n\n",
            if names.len() == 1 { "field" } else { "fields" },
            names.join(", "),
            args.join(", "),
            inits.join(", ")
        ));
    }
    for field in fields.iter().filter(|f| !f.is_required()) {
        let ident = &field.ident;
        let plain = serde_name(ident);
        assert!(
            methods.insert(plain.to_string()),
            "{name}: a setter named {plain} clashes"
        );
        if field.serde_override.is_some() {
            out.push_str(&format!(
                "/// Sets `{}`.\n#[inline]\npub fn {ident}(mut self, {ident}: {}) -> Self {{ self.{ident} = {ident}; self }}\n\n",
                field.json_name, field.ty.rust
            ));
            continue;
        }
        let (arg_ty, expr) = argument(&field.ty.rust, ident);
        if field.is_tristate(Module::Params) {
            out.push_str(&format!(
                "/// Sets `{}`.\n#[inline]\npub fn {ident}(mut self, {ident}: {arg_ty}) -> Self {{ self.{ident} = crate::Nullable::Value({expr}); self }}\n\n",
                field.json_name
            ));
            let clear = format!("clear_{plain}");
            assert!(
                methods.insert(clear.clone()),
                "{name}: a method named {clear} clashes"
            );
            out.push_str(&format!(
                "/// Sends `{}` as `null` (for Clerk: removes the value).\n#[inline]\npub fn {clear}(mut self) -> Self {{ self.{ident} = crate::Nullable::Null; self }}\n\n",
                field.json_name
            ));
        } else {
            out.push_str(&format!(
                "/// Sets `{}`.\n#[inline]\npub fn {ident}(mut self, {ident}: {arg_ty}) -> Self {{ self.{ident} = Some({expr}); self }}\n\n",
                field.json_name
            ));
        }
    }
    out.push_str("}\n\n");
}

fn render_field(field: &Field, module: Module, out: &mut String) {
    out.push_str(&doc_comment(&field.doc));
    let mut attrs: Vec<String> = Vec::new();
    if serde_name(&field.ident) != field.json_name && field.serde_override.is_none() {
        attrs.push(format!("rename = {:?}", field.json_name));
    }
    let mut ty = field.ty.rust.clone();
    if field.boxed {
        ty = format!("Box<{ty}>");
    }
    if let Some(custom) = &field.serde_override {
        attrs.push(custom.clone());
    } else if field.is_tristate(module) {
        // Left out, `null` or a value: the three things a request can say.
        ty = format!("crate::Nullable<{ty}>");
        attrs.push("default, skip_serializing_if = \"crate::Nullable::is_absent\"".into());
    } else if field.optional() {
        ty = format!("Option<{ty}>");
        if !field.required {
            // Absent stays absent; a required-but-nullable field keeps its explicit null.
            match module {
                Module::Models => {
                    attrs.push("default, skip_serializing_if = \"Option::is_none\"".into())
                }
                Module::Params => attrs.push("skip_serializing_if = \"Option::is_none\"".into()),
            }
        }
    }
    if !attrs.is_empty() {
        out.push_str(&format!("#[serde({})]\n", attrs.join(", ")));
    }
    out.push_str(&format!("pub {}: {ty},\n", field.ident));
}
