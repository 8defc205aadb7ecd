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
    /// Whether the field is `Option<T>`.
    pub fn optional(&self) -> bool {
        self.serde_override.is_none() && (!self.required || self.nullable)
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
}

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
}

impl TypeSink {
    pub fn new(module: Module) -> TypeSink {
        TypeSink {
            module,
            items: Vec::new(),
            names: BTreeSet::new(),
        }
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
fn real_alternatives(schema: &Value) -> Option<&Vec<Value>> {
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
            let is_alias = !is_struct && target.get("enum").is_none();
            return Ty {
                rust: sink.model_path(&rust),
                embeds: is_struct.then_some(rust),
                // Aliases (maps, vectors, strings) have Default; structs and enums don't.
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
            // Several shapes: kept as JSON so every variant, known or new, parses.
            return Ty::plain("serde_json::Value");
        }
        let ty = schema.get("type").and_then(Value::as_str);
        if ty == Some("object")
            || schema.get("properties").is_some()
            || schema.get("allOf").is_some()
        {
            if self.has_props(schema) {
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
                let mut doc = prop
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if doc.trim().is_empty() {
                    doc = format!("The `{json_name}` field.");
                }
                if prop.get("deprecated").and_then(Value::as_bool) == Some(true) {
                    doc.push_str("\n\nDeprecated in the spec.");
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
        let mut doc = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if doc.trim().is_empty() {
            doc = format!("The `{name}` object (an object nested in a spec schema).");
        }
        sink.items.push(Item::Struct {
            name: name.to_string(),
            doc,
            fields,
        });
    }

    /// Adds the type for one component schema to the models sink.
    pub fn define_model(&self, schema_name: &str, schema: &Value, sink: &mut TypeSink) {
        let name = model_name(schema_name);
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let doc = if description.trim().is_empty() {
            format!("The `{schema_name}` schema.")
        } else {
            description.to_string()
        };
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
pub fn render_items(items: &[Item], module: Module, out: &mut String) {
    let derive = match module {
        Module::Models => "Debug, Clone, PartialEq, Serialize, Deserialize",
        Module::Params => "Debug, Clone, PartialEq, Serialize",
    };
    for item in items {
        match item {
            Item::Struct { name, doc, fields } => {
                out.push_str(&doc_comment(doc));
                out.push_str(&format!("#[derive({derive})]\npub struct {name} {{\n"));
                for field in fields {
                    render_field(field, module, out);
                }
                out.push_str("}\n\n");
            }
            Item::Enum { name, doc, values } => {
                let doc = if doc.trim().is_empty() {
                    format!("Values of `{name}`.")
                } else {
                    doc.clone()
                };
                out.push_str(&doc_comment(&doc));
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
        }
    }
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
