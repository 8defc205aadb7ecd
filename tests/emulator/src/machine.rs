//! API keys (create, list, get, update, delete, secret, revoke, verify) and the opaque
//! machine-token verification endpoints.

use serde_json::{Value, json};

use crate::api::{Ctx, Reply};
use crate::errors::{ApiError, missing, not_found};
use crate::state::{deleted, strip_internal};

/// Create-time validation errors are 400 here: the spec documents 400, not 422, for API keys.
fn bad_request(param: &str, detail: &str) -> ApiError {
    ApiError::new(
        400,
        "form_param_format_invalid",
        "is invalid",
        format!("{param} is invalid: {detail}"),
    )
    .param(param)
}

fn valid_subject(subject: &str) -> bool {
    ["user_", "org_", "mch_", "scim_"].iter().any(|prefix| {
        subject.strip_prefix(prefix).is_some_and(|rest| {
            rest.len() == 27 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
    })
}

fn random_hex(length: usize) -> String {
    let mut bytes = vec![0u8; length.div_ceil(2)];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()[..length].to_string()
}

/// The key as answered: without the secret (kept in `_secret`) and with `expired` current.
fn render(key: &Value, now: i64) -> Value {
    let mut rendered = strip_internal(key);
    rendered["expired"] = json!(
        key["expiration"]
            .as_f64()
            .is_some_and(|at| at <= now as f64)
    );
    rendered
}

fn key_index(c: &Ctx) -> Result<usize, ApiError> {
    let id = c.path_param("apiKeyID");
    c.state
        .api_keys
        .iter()
        .position(|k| k["id"] == id.as_str())
        .ok_or_else(|| not_found("API key"))
}

fn expiration(c: &Ctx, now: i64) -> Result<Option<i64>, ApiError> {
    match c.body.get("seconds_until_expiration") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_f64() {
            Some(seconds) if seconds > 0.0 => Ok(Some(now + (seconds * 1000.0) as i64)),
            _ => Err(bad_request(
                "seconds_until_expiration",
                "must be a positive number",
            )),
        },
    }
}

/// `POST /api_keys`
pub fn create_api_key(c: &mut Ctx) -> Result<Reply, ApiError> {
    let name = c
        .opt_str("name")?
        .ok_or_else(|| missing("name").with_status(400))?;
    if name.trim().len() < 3 || name.trim() != name {
        return Err(bad_request(
            "name",
            "must be at least 3 characters without surrounding spaces",
        ));
    }
    let subject = c
        .opt_str("subject")?
        .ok_or_else(|| missing("subject").with_status(400))?;
    if !valid_subject(&subject) {
        return Err(bad_request(
            "subject",
            "must be a user_, org_, mch_ or scim_ id",
        ));
    }
    let scopes = c.opt_str_list("scopes")?;
    let now = c.state.now();
    let expiration = expiration(c, now)?;
    let secret = format!("ak_{}", crate::ids::random_base62(32));
    let key = json!({
        "object": "api_key",
        "id": format!("ak_{}", random_hex(32)),
        "type": c.opt_str("type")?.unwrap_or_else(|| "api_key".into()),
        "subject": subject,
        "name": name,
        "description": c.opt_str("description")?,
        "claims": c.body.get("claims").cloned().unwrap_or(Value::Null),
        "scopes": scopes,
        "revoked": false,
        "revocation_reason": null,
        "expired": false,
        "expiration": expiration,
        "created_by": c.opt_str("created_by")?,
        "last_used_at": null,
        "created_at": now,
        "updated_at": now,
        "_secret": secret,
    });
    c.state.api_keys.push(key.clone());
    let mut answer = render(&key, now);
    answer["secret"] = json!(secret);
    Ok(Reply::Json(answer))
}

/// `GET /api_keys?subject=...` (`{data,total_count}`; limit 1..=100)
pub fn list_api_keys(c: &mut Ctx) -> Result<Reply, ApiError> {
    let subject = c
        .query("subject")
        .ok_or_else(|| missing("subject").with_status(400))?;
    let include_invalid = c.query("include_invalid").as_deref() == Some("true");
    let query = c.query("query").map(|q| q.to_lowercase());
    let limit = c.query_i64("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(bad_request("limit", "must be between 1 and 100"));
    }
    let offset = c.query_i64("offset")?.unwrap_or(0).max(0);
    let now = crate::ids::now_ms();
    let keys: Vec<Value> = c
        .state
        .api_keys
        .iter()
        .rev()
        .map(|k| render(k, now))
        .filter(|k| {
            k["subject"] == subject.as_str()
                && (include_invalid || (k["revoked"] == false && k["expired"] == false))
                && query.as_ref().is_none_or(|q| {
                    k["name"]
                        .as_str()
                        .is_some_and(|n| n.to_lowercase().contains(q))
                })
        })
        .collect();
    let total = keys.len();
    let page = keys
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok(Reply::Json(crate::api::data_total(page, total)))
}

/// `GET /api_keys/{apiKeyID}`
pub fn get_api_key(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = key_index(c)?;
    Ok(Reply::Json(render(
        &c.state.api_keys[index],
        crate::ids::now_ms(),
    )))
}

/// `GET /api_keys/{apiKeyID}/secret`
pub fn get_api_key_secret(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = key_index(c)?;
    Ok(Reply::Json(
        json!({"secret": c.state.api_keys[index]["_secret"]}),
    ))
}

/// `PATCH /api_keys/{apiKeyID}`
pub fn update_api_key(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = key_index(c)?;
    let now = c.state.now();
    let mut key = c.state.api_keys[index].clone();
    if let Some(subject) = c.opt_str("subject")? {
        if !valid_subject(&subject) {
            return Err(bad_request(
                "subject",
                "must be a user_, org_, mch_ or scim_ id",
            ));
        }
        key["subject"] = json!(subject);
    }
    if let Some(claims) = c.body.get("claims") {
        key["claims"] = claims.clone();
    }
    if c.body.get("scopes").is_some() {
        key["scopes"] = json!(c.opt_str_list("scopes")?);
    }
    if let Some(description) = c.body.get("description") {
        key["description"] = description.clone();
    }
    if c.body.get("seconds_until_expiration").is_some() {
        key["expiration"] = json!(expiration(c, now)?);
    }
    key["updated_at"] = json!(now);
    c.state.api_keys[index] = key.clone();
    Ok(Reply::Json(render(&key, now)))
}

/// `DELETE /api_keys/{apiKeyID}`
pub fn delete_api_key(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = key_index(c)?;
    let key = c.state.api_keys.remove(index);
    Ok(Reply::Json(deleted("api_key", &key["id"])))
}

/// `POST /api_keys/{apiKeyID}/revoke`
pub fn revoke_api_key(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = key_index(c)?;
    let reason = c.opt_str("revocation_reason")?;
    let now = c.state.now();
    let key = &mut c.state.api_keys[index];
    key["revoked"] = json!(true);
    key["revocation_reason"] = json!(reason);
    key["updated_at"] = json!(now);
    Ok(Reply::Json(render(key, now)))
}

/// `POST /api_keys/verify`: a valid (not revoked, not expired) secret answers its key.
pub fn verify_api_key(c: &mut Ctx) -> Result<Reply, ApiError> {
    let secret = c
        .opt_str("secret")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("secret").with_status(400))?;
    let now = c.state.now();
    let key = c
        .state
        .api_keys
        .iter_mut()
        .find(|k| k["_secret"] == secret.as_str())
        .filter(|k| k["revoked"] == false && !render(k, now)["expired"].as_bool().unwrap_or(false))
        .ok_or_else(|| not_found("API key"))?;
    key["last_used_at"] = json!(now);
    Ok(Reply::Json(render(key, now)))
}

/// `POST /m2m_tokens/verify` and `POST /oauth_applications/access_tokens/verify`: the
/// emulator issues neither kind of token (creating them answers 501), so every token is
/// unknown: 404, which verifiers map to `token-invalid`.
pub fn verify_unknown_machine_token(c: &mut Ctx) -> Result<Reply, ApiError> {
    let token = ["token", "access_token", "secret"]
        .iter()
        .find_map(|field| {
            c.body
                .get(*field)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
        });
    if token.is_none() {
        return Err(missing("token").with_status(400));
    }
    Err(not_found("token"))
}

impl ApiError {
    /// The same error with another status (where the spec documents 400 instead of 422).
    pub fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }
}
