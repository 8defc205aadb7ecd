//! Request context, routing of `/v1` requests, and the helpers every handler uses.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::errors::{ApiError, format_invalid, missing};
use crate::http::{Request, Response};
use crate::keys::SigningKey;
use crate::multipart;
use crate::state::State;

/// Facts about the running instance that handlers need.
#[derive(Debug, Clone)]
pub struct Env {
    /// `http://127.0.0.1:PORT`: the token issuer and the frontend API stand-in.
    pub issuer: String,
    /// The `azp` claim of minted session tokens.
    pub authorized_party: String,
}

/// What a handler answers.
#[derive(Debug)]
pub enum Reply {
    /// 200 with a JSON body.
    Json(Value),
    /// Any status without a body (202, 204).
    Empty(u16),
}

/// Everything a handler gets.
pub struct Ctx<'a> {
    /// The request.
    pub req: &'a Request,
    /// Path parameters by template name.
    pub path: HashMap<&'static str, String>,
    /// The parsed JSON body (`Null` when empty).
    pub body: Value,
    /// Multipart parts, when the body is `multipart/form-data`.
    pub parts: Vec<multipart::Part>,
    /// The in-memory store (its lock is held for the whole request).
    pub state: &'a mut State,
    /// Instance facts.
    pub env: &'a Env,
    /// The active signing key.
    pub key: Arc<SigningKey>,
    /// Whether the request comes from a seed file (allows fixed ids).
    pub seeding: bool,
}

/// A handler of one operation.
pub type Handler = fn(&mut Ctx) -> Result<Reply, ApiError>;

/// One implemented operation.
pub struct Route {
    /// The operation: its `operationId`, method and path template below `/v1`.
    pub operation: &'static clerk_core::Operation,
    /// The handler.
    pub handler: Handler,
}

/// Matches `segments` (the path below `/v1`) against a template; returns the path
/// parameters and the number of literal segments (more literals = more specific).
pub fn match_template(
    template: &'static str,
    segments: &[String],
) -> Option<(HashMap<&'static str, String>, usize)> {
    let template_segments: Vec<&'static str> = template.split('/').skip(1).collect();
    if template_segments.len() != segments.len() {
        return None;
    }
    let mut params = HashMap::new();
    let mut literals = 0;
    for (pattern, actual) in template_segments.iter().zip(segments) {
        if let Some(name) = pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if actual.is_empty() {
                return None;
            }
            params.insert(name, actual.clone());
        } else if pattern == actual {
            literals += 1;
        } else {
            return None;
        }
    }
    Some((params, literals))
}

/// The most specific implemented route for a request, if any.
pub fn find_route(
    method: &str,
    segments: &[String],
) -> Option<(&'static Route, HashMap<&'static str, String>)> {
    crate::routes::routes()
        .iter()
        .filter(|route| route.operation.method.as_str() == method)
        .filter_map(|route| {
            match_template(route.operation.path, segments)
                .map(|(params, score)| (route, params, score))
        })
        .max_by_key(|(_, _, score)| *score)
        .map(|(route, params, _)| (route, params))
}

/// The most specific spec operation for a request, if any.
pub fn find_spec_operation(
    method: &str,
    segments: &[String],
) -> Option<&'static clerk_core::Operation> {
    clerk_core::operations::all()
        .iter()
        .filter(|op| op.method.as_str() == method)
        .filter_map(|op| match_template(op.path, segments).map(|(_, score)| (op, score)))
        .max_by_key(|(_, score)| *score)
        .map(|(op, _)| op)
}

/// Builds the context's body from the request (JSON, multipart or empty).
pub fn parse_body(req: &Request) -> Result<(Value, Vec<multipart::Part>), ApiError> {
    let content_type = req.header("content-type").unwrap_or("");
    if let Some(boundary) = multipart::boundary(content_type) {
        let parts = multipart::parse(&req.body, &boundary)
            .map_err(|e| ApiError::new(400, "request_body_invalid", "invalid request body", e))?;
        return Ok((Value::Null, parts));
    }
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok((Value::Null, Vec::new()));
    }
    let body = serde_json::from_slice(&req.body).map_err(|e| {
        ApiError::new(
            400,
            "request_body_invalid",
            "Request body invalid",
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    Ok((body, Vec::new()))
}

/// A `{data,total_count}` list.
pub fn data_total(data: Vec<Value>, total: usize) -> Value {
    json!({ "data": data, "total_count": total })
}

impl Ctx<'_> {
    /// A path parameter (always present for a matched route).
    pub fn path_param(&self, name: &str) -> String {
        self.path.get(name).cloned().unwrap_or_default()
    }

    /// The body as an object (an empty one for no body); 400 for a non-object body.
    pub fn body_object(&self) -> Result<Map<String, Value>, ApiError> {
        match &self.body {
            Value::Null => Ok(Map::new()),
            Value::Object(map) => Ok(map.clone()),
            _ => Err(ApiError::new(
                400,
                "request_body_invalid",
                "Request body invalid",
                "The request body must be a JSON object.",
            )),
        }
    }

    /// An optional string body field; 422 if present with another type.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format_invalid(name, "must be a string")),
        }
    }

    /// A required, non-empty string body field.
    pub fn req_str(&self, name: &str) -> Result<String, ApiError> {
        match self.opt_str(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(missing(name)),
        }
    }

    /// An optional boolean body field.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(format_invalid(name, "must be a boolean")),
        }
    }

    /// An optional integer body field.
    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| format_invalid(name, "must be an integer")),
        }
    }

    /// An optional object body field.
    pub fn opt_object(&self, name: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(_) => Err(format_invalid(name, "must be an object")),
        }
    }

    /// An optional array-of-strings body field (a single string counts as one).
    pub fn opt_str_list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format_invalid(name, "must be an array of strings"))
                })
                .collect(),
            Some(_) => Err(format_invalid(name, "must be an array of strings")),
        }
    }

    /// All values of a query parameter (`k=a&k=b`, also `k[]=a`).
    pub fn query_all(&self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        self.req
            .query
            .iter()
            .filter(|(k, _)| k == name || *k == bracketed)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The last value of a query parameter.
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_all(name).pop()
    }

    /// A boolean query parameter.
    pub fn query_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.query(name).as_deref() {
            None => Ok(None),
            Some("true") | Some("1") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(_) => Err(format_invalid(name, "must be true or false")),
        }
    }

    /// An integer query parameter.
    pub fn query_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.query(name) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| format_invalid(name, "must be an integer")),
        }
    }

    /// Applies Clerk's `limit` (default 10, 1..=500) and `offset` (default 0) to a full
    /// result list; returns the page and the total count.
    pub fn paginate<T>(&self, items: Vec<T>) -> Result<(Vec<T>, usize), ApiError> {
        let limit = self.query_i64("limit")?.unwrap_or(10);
        if !(1..=500).contains(&limit) {
            return Err(format_invalid("limit", "must be between 1 and 500"));
        }
        let offset = self.query_i64("offset")?.unwrap_or(0);
        if offset < 0 {
            return Err(format_invalid("offset", "must be zero or greater"));
        }
        let total = items.len();
        let page = items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Ok((page, total))
    }

    /// A paged list in the `{data,total_count}` shape.
    pub fn paged_data(&self, items: Vec<Value>) -> Result<Reply, ApiError> {
        let (page, total) = self.paginate(items)?;
        Ok(Reply::Json(data_total(page, total)))
    }

    /// A paged list the spec types as a bare array; `paginated=true` asks for the
    /// `{data,total_count}` shape instead, as Clerk does.
    pub fn paged_array(&self, items: Vec<Value>) -> Result<Reply, ApiError> {
        let (page, total) = self.paginate(items)?;
        if self.query_bool("paginated")?.unwrap_or(false) {
            Ok(Reply::Json(data_total(page, total)))
        } else {
            Ok(Reply::Json(Value::Array(page)))
        }
    }

    /// A new id, or the body's `id` when replaying a seed file.
    pub fn new_id(&self, prefix: &str) -> String {
        if self.seeding
            && let Some(id) = self.body.get("id").and_then(Value::as_str)
        {
            return id.to_string();
        }
        crate::ids::new_id(prefix)
    }
}

/// Sorts by an `order_by` value (`-created_at`, `+name`, `name`); unknown fields are a 422.
///
/// Generic over owned values and references, so that a large list can be sorted without
/// cloning every item first (a listing of 100,000 users clones only its page).
pub fn sort_by_order<T: std::borrow::Borrow<Value>>(
    items: &mut [T],
    order_by: &str,
    allowed: &[&str],
) -> Result<(), ApiError> {
    let (descending, field) = match order_by.as_bytes().first() {
        Some(b'-') => (true, &order_by[1..]),
        Some(b'+') => (false, &order_by[1..]),
        _ => (false, order_by),
    };
    if !allowed.contains(&field) {
        return Err(format_invalid(
            "order_by",
            &format!("unsupported field {field}"),
        ));
    }
    fn key<'v>(item: &'v Value, field: &str) -> &'v Value {
        match field {
            "email_address" => &item["email_addresses"][0]["email_address"],
            "phone_number" => &item["phone_numbers"][0]["phone_number"],
            _ => &item[field],
        }
    }
    // Sort a permutation on keys looked up once per item (not twice per comparison), then
    // apply it in place, cycle by cycle. Stable, as sorting the items directly was.
    let mut order: Vec<usize> = (0..items.len()).collect();
    {
        let keys: Vec<&Value> = items.iter().map(|i| key(i.borrow(), field)).collect();
        order.sort_by(|&a, &b| {
            let ordering = compare_values(keys[a], keys[b]);
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    // items'[k] = items[order[k]]; a used slot is marked usize::MAX.
    for start in 0..order.len() {
        let mut current = start;
        while order[current] != usize::MAX {
            let next = order[current];
            order[current] = usize::MAX;
            if next == start {
                break;
            }
            items.swap(current, next);
            current = next;
        }
    }
    Ok(())
}

fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        // Nulls sort last in ascending order.
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        _ => Ordering::Equal,
    }
}

/// Deep-merges `patch` into `target`: objects merge key by key, `null` deletes a key,
/// anything else replaces.
pub fn deep_merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let target_map = target.as_object_mut().expect("made an object above");
    for (key, value) in patch_map {
        if value.is_null() {
            target_map.remove(key);
        } else if value.is_object() && target_map.get(key).is_some_and(Value::is_object) {
            deep_merge(target_map.get_mut(key).expect("checked above"), value);
        } else {
            target_map.insert(key.clone(), value.clone());
        }
    }
}

/// Turns a handler result into an HTTP response.
pub fn to_response(result: Result<Reply, ApiError>, trace_id: &str) -> Response {
    match result {
        Ok(Reply::Json(body)) => Response::json(200, &body),
        Ok(Reply::Empty(status)) => Response::empty(status),
        Err(error) => Response::json(error.status, &error.body(trace_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_merge_merges_nested_and_deletes_nulls() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": 3});
        deep_merge(
            &mut target,
            &json!({"a": {"b": 5, "c": null}, "d": null, "e": [1]}),
        );
        assert_eq!(target, json!({"a": {"b": 5}, "e": [1]}));
    }

    #[test]
    fn literal_segments_beat_parameters() {
        let segments: Vec<String> = vec!["users".into(), "count".into()];
        let (route, params) = find_route("GET", &segments).unwrap();
        assert_eq!(route.operation.operation_id, "GetUsersCount");
        assert!(params.is_empty());
        let segments: Vec<String> = vec!["users".into(), "user_1".into()];
        let (route, params) = find_route("GET", &segments).unwrap();
        assert_eq!(route.operation.operation_id, "GetUser");
        assert_eq!(params["user_id"], "user_1");
    }

    #[test]
    fn order_by_is_a_stable_sort_of_owned_items_and_of_references() {
        let items: Vec<Value> = [(2, "a"), (5, "b"), (1, "c"), (4, "d"), (3, "e"), (5, "f")]
            .iter()
            .map(|(t, id)| json!({"created_at": t, "id": id}))
            .collect();
        let ids = |sorted: &[&Value]| -> Vec<String> {
            sorted
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let mut refs: Vec<&Value> = items.iter().collect();
        sort_by_order(&mut refs, "-created_at", &["created_at"]).unwrap();
        assert_eq!(ids(&refs), ["b", "f", "d", "e", "a", "c"]);
        let mut owned = items.clone();
        sort_by_order(&mut owned, "created_at", &["created_at"]).unwrap();
        assert_eq!(
            ids(&owned.iter().collect::<Vec<_>>()),
            ["c", "a", "e", "d", "b", "f"]
        );
    }

    #[test]
    fn order_by_sorts_descending_and_rejects_unknown_fields() {
        let mut items = vec![
            json!({"created_at": 1}),
            json!({"created_at": 3}),
            json!({"created_at": 2}),
        ];
        sort_by_order(&mut items, "-created_at", &["created_at"]).unwrap();
        assert_eq!(items[0]["created_at"], 3);
        assert_eq!(
            sort_by_order(&mut items, "bogus", &["created_at"])
                .unwrap_err()
                .status,
            422
        );
    }
}
