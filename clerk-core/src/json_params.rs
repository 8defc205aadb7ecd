//! Turning the flat params object of the generic call into a request; the contract it
//! implements is described in the crate docs ("The params contract").

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use base64::Engine as _;

use crate::error::{Error, Result};
use crate::operation::{Body, File, FilePart, Location, Operation, ParamType};
use crate::transport::Outgoing;

/// The reserved key for a whole request body.
pub const BODY_KEY: &str = "$body";
/// The reserved key for extra, unchecked body fields.
pub const EXTRA_BODY_KEY: &str = "$extra_body";

impl Serialize for File {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("filename", &self.filename)?;
        if let Some(content_type) = &self.content_type {
            map.serialize_entry("content_type", content_type)?;
        }
        map.serialize_entry(
            "content_base64",
            &base64::engine::general_purpose::STANDARD.encode(&self.content),
        )?;
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for File {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        File::from_json("file", &value).map_err(serde::de::Error::custom)
    }
}

impl File {
    /// A file part from its name and bytes (content type `application/octet-stream`).
    pub fn new(filename: impl Into<String>, content: impl Into<Vec<u8>>) -> File {
        File {
            filename: filename.into(),
            content_type: None,
            content: content.into(),
        }
    }

    /// Sets the part's content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> File {
        self.content_type = Some(content_type.into());
        self
    }

    /// Reads the flat-params form `{"filename", "content_base64", "content_type"?}`.
    pub fn from_json(name: &str, value: &Value) -> Result<File> {
        let object = value.as_object().ok_or_else(|| {
            Error::invalid_params(format!(
                "{name} must be a file object {{\"filename\", \"content_base64\", \"content_type\"?}}"
            ))
        })?;
        let text = |key: &str| object.get(key).and_then(Value::as_str);
        let filename = text("filename")
            .ok_or_else(|| Error::invalid_params(format!("{name}.filename must be a string")))?;
        let encoded = text("content_base64").ok_or_else(|| {
            Error::invalid_params(format!("{name}.content_base64 must be a base64 string"))
        })?;
        let content = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| Error::invalid_params(format!("{name}.content_base64: {e}")))?;
        if let Some(unknown) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "filename" | "content_base64" | "content_type"))
        {
            return Err(Error::invalid_params(format!(
                "{name} has an unknown key {unknown:?}"
            )));
        }
        Ok(File {
            filename: filename.to_owned(),
            content_type: text("content_type").map(str::to_owned),
            content,
        })
    }
}

/// Builds the request for `op` from the flat params object.
pub(crate) fn build_request(op: &'static Operation, params: &Value) -> Result<Outgoing<'static>> {
    build_request_with_files(op, params, &[])
}

/// Builds the request for `op` from the flat params object and file parts given as bytes
/// (each for a multipart file parameter not also in `params`).
pub(crate) fn build_request_with_files(
    op: &'static Operation,
    params: &Value,
    given: &[FilePart<'_>],
) -> Result<Outgoing<'static>> {
    let empty = Map::new();
    let params = match params {
        Value::Object(map) => map,
        Value::Null => &empty,
        other => {
            return Err(Error::invalid_params(format!(
                "params of {} must be a JSON object, got {}",
                op.name,
                json_type_name(other)
            )));
        }
    };

    let unknown: Vec<&str> = params
        .keys()
        .map(String::as_str)
        .filter(|key| *key != BODY_KEY && *key != EXTRA_BODY_KEY && op.param(key).is_none())
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = op.params.iter().map(|p| p.name).collect();
        return Err(Error::invalid_params(format!(
            "unknown parameter{} for {} ({}): {}; known: {}",
            if unknown.len() == 1 { "" } else { "s" },
            op.name,
            op.operation_id,
            unknown.join(", "),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            },
        )));
    }

    check_given_files(op, params, given)?;

    let mut path = String::with_capacity(op.path.len() + 32);
    let mut query = String::new();
    let mut body_fields = Map::new();
    let mut decoded: Vec<(&str, File)> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();

    for param in op.params {
        if given.iter().any(|file| file.field == param.name) {
            continue;
        }
        let value = params.get(param.name).filter(|v| !v.is_null());
        let Some(value) = value else {
            if let Some(Value::Null) = params.get(param.name) {
                // An explicit null: sent in a JSON body where the spec allows it.
                if param.location == Location::Body {
                    if !param.nullable {
                        return Err(Error::invalid_params(format!(
                            "{} of {} must not be null",
                            param.name, op.name
                        )));
                    }
                    body_fields.insert(param.name.to_owned(), Value::Null);
                    continue;
                }
            }
            let body_given_whole = params.contains_key(BODY_KEY);
            let body_param = matches!(param.location, Location::Body | Location::Multipart);
            if param.required && !(body_param && body_given_whole) {
                missing.push(param.name);
            }
            continue;
        };
        check_type(op, param.name, param.ty, value)?;
        match param.location {
            Location::Path => {}
            Location::Query => append_query(&mut query, param.name, value),
            Location::Body => {
                body_fields.insert(param.name.to_owned(), value.clone());
            }
            Location::Multipart => {
                if param.ty == ParamType::File {
                    decoded.push((param.name, File::from_json(param.name, value)?));
                } else {
                    body_fields.insert(param.name.to_owned(), value.clone());
                }
            }
        }
    }
    if !missing.is_empty() {
        return Err(Error::invalid_params(format!(
            "missing required parameter{} for {} ({}): {}",
            if missing.len() == 1 { "" } else { "s" },
            op.name,
            op.operation_id,
            missing.join(", ")
        )));
    }

    // Path: substitute each `{name}` with its percent-encoded value.
    let mut rest = op.path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .ok_or_else(|| Error::config(format!("bad path template {}", op.path)))?;
        path.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        let value = params.get(name).ok_or_else(|| {
            Error::invalid_params(format!("missing path parameter {name} for {}", op.name))
        })?;
        let text = scalar_text(value).ok_or_else(|| {
            Error::invalid_params(format!("path parameter {name} must be a string or number"))
        })?;
        if text.is_empty() {
            return Err(Error::invalid_params(format!(
                "path parameter {name} of {} must not be empty",
                op.name
            )));
        }
        if is_dot_segment(&text) {
            return Err(Error::invalid_params(format!(
                "path parameter {name} of {} must not be {text:?}: a dot-segment would change \
                 the path at any hop that normalises URLs",
                op.name
            )));
        }
        percent_encode_into(&mut path, &text);
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query);
    }

    let mut files: Vec<FilePart<'_>> = decoded
        .iter()
        .map(|(field, file)| FilePart {
            field,
            filename: &file.filename,
            content_type: file.content_type.as_deref(),
            content: &file.content,
        })
        .collect();
    files.extend_from_slice(given);
    let body = build_body(op, params, body_fields, &files)?;
    Ok(Outgoing {
        method: op.method,
        path_template: op.path,
        path_and_query: path,
        body,
    })
}

/// Each file given as bytes must name a multipart file parameter of `op`, once, and not
/// also be in the params object.
fn check_given_files(
    op: &'static Operation,
    params: &Map<String, Value>,
    given: &[FilePart<'_>],
) -> Result<()> {
    for (index, file) in given.iter().enumerate() {
        let is_file_param = op
            .param(file.field)
            .is_some_and(|p| p.location == Location::Multipart && p.ty == ParamType::File);
        if !is_file_param {
            let file_params: Vec<&str> = op
                .params
                .iter()
                .filter(|p| p.ty == ParamType::File)
                .map(|p| p.name)
                .collect();
            return Err(Error::invalid_params(format!(
                "{} has no file parameter `{}`; its file parameters: {}",
                op.name,
                file.field,
                if file_params.is_empty() {
                    "none".to_owned()
                } else {
                    file_params.join(", ")
                }
            )));
        }
        if params.contains_key(file.field) {
            return Err(Error::invalid_params(format!(
                "`{}` is given both in the params and as a file",
                file.field
            )));
        }
        if given[..index].iter().any(|other| other.field == file.field) {
            return Err(Error::invalid_params(format!(
                "the file `{}` is given twice",
                file.field
            )));
        }
    }
    Ok(())
}

fn build_body(
    op: &'static Operation,
    params: &Map<String, Value>,
    mut fields: Map<String, Value>,
    files: &[FilePart<'_>],
) -> Result<Option<(String, Vec<u8>)>> {
    let whole = params.get(BODY_KEY);
    let extra = match params.get(EXTRA_BODY_KEY) {
        None | Some(Value::Null) => None,
        Some(Value::Object(extra)) => Some(extra),
        Some(other) => {
            return Err(Error::invalid_params(format!(
                "{EXTRA_BODY_KEY} must be an object, got {}",
                json_type_name(other)
            )));
        }
    };
    let json = |value: &Value| -> Result<Option<(String, Vec<u8>)>> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::invalid_params(e.to_string()))?;
        Ok(Some(("application/json".to_owned(), bytes)))
    };
    match op.body {
        Body::None => {
            if whole.is_some() || extra.is_some() {
                return Err(Error::invalid_params(format!(
                    "{} takes no request body, but {} was given",
                    op.name,
                    if whole.is_some() {
                        BODY_KEY
                    } else {
                        EXTRA_BODY_KEY
                    }
                )));
            }
            // Clerk's API accepts (and some clients send) `{}` on body-less POSTs; an empty
            // body is the spec's own shape (the transport sends it as `Content-Length: 0`).
            Ok(None)
        }
        Body::Object { required } | Body::Whole { required } => {
            if let Some(whole) = whole {
                if !fields.is_empty() || extra.is_some() {
                    return Err(Error::invalid_params(format!(
                        "{BODY_KEY} cannot be combined with body fields or {EXTRA_BODY_KEY}"
                    )));
                }
                return json(whole);
            }
            if let Some(extra) = extra {
                for (key, value) in extra {
                    fields.insert(key.clone(), value.clone());
                }
            }
            if matches!(op.body, Body::Whole { .. }) && fields.is_empty() {
                if required {
                    return Err(Error::invalid_params(format!(
                        "{} needs its whole body under {BODY_KEY}",
                        op.name
                    )));
                }
                return Ok(None);
            }
            // An object body is always sent, `{}` when empty: the spec's validators refuse
            // a PATCH without its JSON object even when every field is optional.
            json(&Value::Object(fields))
        }
        Body::Multipart { required } => {
            if whole.is_some() {
                return Err(Error::invalid_params(format!(
                    "{} takes a multipart body: give its parts as parameters, not {BODY_KEY}",
                    op.name
                )));
            }
            if let Some(extra) = extra {
                for (key, value) in extra {
                    fields.insert(key.clone(), value.clone());
                }
            }
            if files.is_empty() && fields.is_empty() && !required {
                return Ok(None);
            }
            Ok(Some(multipart(&fields, files)))
        }
    }
}

/// Encodes a `multipart/form-data` body (RFC 7578).
fn multipart(fields: &Map<String, Value>, files: &[FilePart<'_>]) -> (String, Vec<u8>) {
    let boundary = format!("----libclerk{:016x}{:016x}", random(), random());
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                escape_disposition(name)
            )
            .as_bytes(),
        );
        match value {
            Value::String(text) => out.extend_from_slice(text.as_bytes()),
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
    }
    for file in files {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                escape_disposition(file.field),
                escape_disposition(file.filename),
                file.content_type
                    .filter(|t| !t.contains(['\r', '\n']))
                    .unwrap_or("application/octet-stream"),
            )
            .as_bytes(),
        );
        out.extend_from_slice(file.content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), out)
}

/// Escapes a name or file name inside a quoted `Content-Disposition` parameter, as the
/// HTML standard's form encoding does: `"` → `%22`, CR → `%0D`, LF → `%0A`.
fn escape_disposition(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish()
}

fn check_type(op: &Operation, name: &str, ty: ParamType, value: &Value) -> Result<()> {
    let ok = match ty {
        ParamType::String => value.is_string(),
        ParamType::Integer => value.is_i64() || value.is_u64(),
        ParamType::Number => value.is_number(),
        ParamType::Boolean => value.is_boolean(),
        ParamType::Array => value.is_array(),
        ParamType::Object | ParamType::File => value.is_object(),
        ParamType::Any => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_params(format!(
            "{name} of {} must be {}, got {}",
            op.name,
            match ty {
                ParamType::String => "a string",
                ParamType::Integer => "an integer",
                ParamType::Number => "a number",
                ParamType::Boolean => "a boolean",
                ParamType::Array => "an array",
                ParamType::Object => "an object",
                ParamType::File => "a file object",
                ParamType::Any => "any value",
            },
            json_type_name(value)
        )))
    }
}

/// The JSON type of a value, as error messages name it ("a string", "an array", ...). Not
/// public API: clerk-ffi names JSON types in its own argument errors with it, so that C
/// and Rust messages read alike.
#[doc(hidden)]
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The text of a scalar for a path or query position.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Appends `name=value` pairs; arrays repeat the key, objects are sent as JSON text.
pub(crate) fn append_query(query: &mut String, name: &str, value: &Value) {
    let mut push = |text: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        percent_encode_into(query, name);
        query.push('=');
        percent_encode_into(query, text);
    };
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                if let Some(text) = scalar_text(item) {
                    push(&text);
                } else if !item.is_null() {
                    push(&item.to_string());
                }
            }
        }
        Value::Object(_) => push(&value.to_string()),
        scalar => push(&scalar_text(scalar).unwrap_or_default()),
    }
}

/// The query of a raw request ([`Client::request`](crate::Client::request)) from a JSON
/// object, the one meaning shared by the C library's `query_json` and `clerk request
/// --query`: string values are sent as they are, numbers and booleans as their JSON text;
/// an array repeats the key once per item (`{"a": [1, 2]}` is `a=1&a=2`); `null` (as a
/// value or an array item) leaves the entry out; a nested object or array is refused
/// with [`Error::InvalidParams`] naming the key (a query has no nesting; encode it
/// yourself if an endpoint wants JSON text). `null` for the whole query means none.
pub fn query_from_json(query: &Value) -> Result<Vec<(String, String)>> {
    fn scalar(key: &str, value: &Value) -> Result<Option<String>> {
        match value {
            Value::Null => Ok(None),
            Value::String(text) => Ok(Some(text.clone())),
            Value::Bool(_) | Value::Number(_) => Ok(Some(value.to_string())),
            other => Err(Error::invalid_params(format!(
                "query value `{key}` must be a string, number, boolean, null or an array of \
                 those, not {}",
                json_type_name(other)
            ))),
        }
    }
    let object = match query {
        Value::Null => return Ok(Vec::new()),
        Value::Object(object) => object,
        other => {
            return Err(Error::invalid_params(format!(
                "the query must be a JSON object of names to values, not {}",
                json_type_name(other)
            )));
        }
    };
    let mut pairs = Vec::new();
    for (key, value) in object {
        let items = match value {
            Value::Array(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for item in items {
            if let Some(text) = scalar(key, item)? {
                pairs.push((key.clone(), text));
            }
        }
    }
    Ok(pairs)
}

/// Whether a path segment is `.` or `..` once percent-encoded dots (`%2E`, any case) are
/// decoded, as RFC 3986 normalisation (section 6.2.2) decodes them before removing
/// dot-segments.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("%2e") {
            rest = &rest[3..];
        } else {
            return false;
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

/// Checks the path of a raw request: below the API root, no control characters, and no
/// dot-segment (`/users/../x`, `/users/%2e%2E`), which a normalising hop would resolve
/// into another path.
pub(crate) fn check_request_path(path: &str) -> Result<()> {
    if !path.starts_with('/') || path.contains("://") || path.chars().any(char::is_control) {
        return Err(Error::invalid_params(format!(
            "request path {path:?} must start with / and stay below the API root"
        )));
    }
    let end = path.find(['?', '#']).unwrap_or(path.len());
    if let Some(segment) = path[..end].split('/').find(|s| is_dot_segment(s)) {
        return Err(Error::invalid_params(format!(
            "request path {path:?} has the dot-segment {segment:?}: \".\" and \"..\" segments \
             (also percent-encoded, %2E) are refused, since a hop that normalises URLs would \
             resolve them into another path"
        )));
    }
    Ok(())
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a value can never
/// change the path's or query's structure (`/`, `?`, `#`, `&`, `=`, `..` included).
pub(crate) fn percent_encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[(byte >> 4) as usize] as char);
            out.push(HEX[(byte & 15) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Method, Pagination, Param};
    use serde_json::json;

    const fn param(name: &'static str, location: Location, required: bool, ty: ParamType) -> Param {
        Param {
            name,
            location,
            required,
            ty,
            nullable: false,
        }
    }

    static GET_ITEM: Operation = Operation {
        operation_id: "GetItem",
        name: "items.get",
        method: Method::Get,
        path: "/items/{item_id}/parts/{part}",
        params: &[
            param("item_id", Location::Path, true, ParamType::String),
            param("part", Location::Path, true, ParamType::String),
            param("tag", Location::Query, false, ParamType::Array),
            param("limit", Location::Query, false, ParamType::Integer),
        ],
        body: Body::None,
        pagination: Pagination::None,
        deprecated: false,
        summary: "",
    };

    static CREATE_ITEM: Operation = Operation {
        operation_id: "CreateItem",
        name: "items.create",
        method: Method::Post,
        path: "/items",
        params: &[
            param("name", Location::Body, true, ParamType::String),
            param("count", Location::Body, false, ParamType::Integer),
        ],
        body: Body::Object { required: true },
        pagination: Pagination::None,
        deprecated: false,
        summary: "",
    };

    static UPLOAD: Operation = Operation {
        operation_id: "Upload",
        name: "items.upload",
        method: Method::Post,
        path: "/items/{item_id}/image",
        params: &[
            param("item_id", Location::Path, true, ParamType::String),
            param("file", Location::Multipart, true, ParamType::File),
        ],
        body: Body::Multipart { required: true },
        pagination: Pagination::None,
        deprecated: false,
        summary: "",
    };

    fn message(result: Result<Outgoing<'static>>) -> String {
        match result {
            Err(error) => error.to_string(),
            Ok(out) => panic!("expected an error, got {}", out.path_and_query),
        }
    }

    #[test]
    fn path_values_are_escaped_and_query_arrays_repeat() {
        let out = build_request(
            &GET_ITEM,
            &json!({"item_id": "a/../b?c#d", "part": "x y", "tag": ["a@x.io", "b&c"], "limit": 5}),
        )
        .unwrap();
        assert_eq!(
            out.path_and_query,
            "/items/a%2F..%2Fb%3Fc%23d/parts/x%20y?tag=a%40x.io&tag=b%26c&limit=5"
        );
        assert!(out.body.is_none());
    }

    #[test]
    fn unknown_missing_and_mistyped_params_are_named() {
        let unknown = message(build_request(
            &GET_ITEM,
            &json!({"item_id": "1", "part": "p", "bogus": 1, "other": 2}),
        ));
        assert!(unknown.contains("bogus, other"), "{unknown}");
        let missing = message(build_request(&GET_ITEM, &json!({"part": "p"})));
        assert!(
            missing.contains("missing required parameter for items.get (GetItem): item_id"),
            "{missing}"
        );
        let mistyped = message(build_request(
            &GET_ITEM,
            &json!({"item_id": "1", "part": "p", "limit": "5"}),
        ));
        assert!(
            mistyped.contains("limit of items.get must be an integer, got a string"),
            "{mistyped}"
        );
        let empty = message(build_request(
            &GET_ITEM,
            &json!({"item_id": "", "part": "p"}),
        ));
        assert!(empty.contains("must not be empty"), "{empty}");
        for dots in [".", ".."] {
            let refused = message(build_request(
                &GET_ITEM,
                &json!({"item_id": "1", "part": dots}),
            ));
            assert!(refused.contains("path parameter part"), "{refused}");
            assert!(refused.contains("dot-segment"), "{refused}");
        }
        let not_object = message(build_request(&GET_ITEM, &json!([1])));
        assert!(not_object.contains("must be a JSON object"), "{not_object}");
    }

    #[test]
    fn dot_segments_are_recognised_encoded_or_not() {
        for dot in [".", "..", "%2e", "%2E", ".%2e", "%2E.", "%2e%2E"] {
            assert!(is_dot_segment(dot), "{dot}");
        }
        for other in [
            "",
            "...",
            "a.",
            ".a",
            "%2e%2e%2e",
            "%2",
            "%2f",
            "..%2f",
            "%2e%2f",
        ] {
            assert!(!is_dot_segment(other), "{other}");
        }
        assert!(check_request_path("/users/a..b?x=/../").is_ok());
        assert!(check_request_path("/users/%2e%2E/x").is_err());
        assert!(check_request_path("users").is_err());
    }

    #[test]
    fn body_fields_extra_fields_and_whole_body() {
        let out = build_request(
            &CREATE_ITEM,
            &json!({"name": "n", "$extra_body": {"future": true}}),
        )
        .unwrap();
        let (content_type, bytes) = out.body.unwrap();
        assert_eq!(content_type, "application/json");
        let sent: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(sent, json!({"name": "n", "future": true}));

        let out = build_request(&CREATE_ITEM, &json!({"$body": {"name": "whole"}})).unwrap();
        let sent: Value = serde_json::from_slice(&out.body.unwrap().1).unwrap();
        assert_eq!(sent, json!({"name": "whole"}));

        let mixed = message(build_request(
            &CREATE_ITEM,
            &json!({"name": "n", "$body": {}}),
        ));
        assert!(mixed.contains("cannot be combined"), "{mixed}");
        let no_body = message(build_request(
            &GET_ITEM,
            &json!({"item_id": "1", "part": "p", "$body": {}}),
        ));
        assert!(no_body.contains("takes no request body"), "{no_body}");
    }

    #[test]
    fn query_from_json_repeats_arrays_skips_nulls_and_refuses_nesting() {
        let pairs =
            query_from_json(&json!({"a": [1, "x", true, null], "b": null, "c": "d"})).unwrap();
        let expected = [("a", "1"), ("a", "x"), ("a", "true"), ("c", "d")];
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(pairs, expected);
        assert!(query_from_json(&Value::Null).unwrap().is_empty());
        for nested in [
            json!({"a": {"b": 1}}),
            json!({"a": [[1]]}),
            json!({"a": [{}]}),
        ] {
            let error = query_from_json(&nested).unwrap_err();
            assert_eq!(error.kind(), "invalid_params");
            assert!(error.to_string().contains("`a`"), "{error}");
        }
        let error = query_from_json(&json!([1])).unwrap_err();
        assert!(error.to_string().contains("not an array"), "{error}");
    }

    #[test]
    fn files_given_as_bytes_are_sent_as_parts() {
        let png = b"\x89PNG\r\n";
        let file = FilePart::new("file", "me.png", png).with_content_type("image/png");
        let out = build_request_with_files(&UPLOAD, &json!({"item_id": "u1"}), &[file]).unwrap();
        let (_, bytes) = out.body.unwrap();
        let needle = b"filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\r\n";
        assert!(bytes.windows(needle.len()).any(|w| w == needle));
        let both = message(build_request_with_files(
            &UPLOAD,
            &json!({"item_id": "u1", "file": {}}),
            &[file],
        ));
        assert!(both.contains("given both"), "{both}");
        let unknown = message(build_request_with_files(
            &UPLOAD,
            &json!({"item_id": "u1"}),
            &[FilePart::new("item_id", "x", b"")],
        ));
        assert!(
            unknown.contains("no file parameter `item_id`; its file parameters: file"),
            "{unknown}"
        );
        let twice = message(build_request_with_files(
            &UPLOAD,
            &json!({"item_id": "u1"}),
            &[file, file],
        ));
        assert!(twice.contains("given twice"), "{twice}");
        let missing = message(build_request_with_files(
            &UPLOAD,
            &json!({"item_id": "u1"}),
            &[],
        ));
        assert!(missing.contains("missing required parameter"), "{missing}");
    }

    #[test]
    fn multipart_names_are_escaped() {
        let file = File::new("evil\"name\r\n.png", b"PNG".to_vec()).with_content_type("image/png");
        let params = json!({"item_id": "u1", "file": serde_json::to_value(&file).unwrap()});
        let out = build_request(&UPLOAD, &params).unwrap();
        let (content_type, bytes) = out.body.unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"file\"; filename=\"evil%22name%0D%0A.png\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n"), "{text}");
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        let bad = message(build_request(
            &UPLOAD,
            &json!({"item_id": "u1", "file": {"filename": "a"}}),
        ));
        assert!(bad.contains("file.content_base64"), "{bad}");
    }
}
