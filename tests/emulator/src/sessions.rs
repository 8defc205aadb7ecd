//! Sessions, clients, session tokens and the JWKS.

use serde_json::{Map, Value, json};

use crate::api::{Ctx, Reply, sort_by_order};
use crate::errors::{ApiError, format_invalid, missing, not_found};
use crate::state::State;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// `POST /sessions`: creates an active session on a new client.
pub fn create_session(c: &mut Ctx) -> Result<Reply, ApiError> {
    let user_id = c.req_str("user_id")?;
    c.state.user(&user_id)?;
    let organization_id =
        match c.opt_str("active_organization_id")? {
            Some(id) => {
                let index = c.state.organization_index(&id)?;
                let id = c.state.organizations[index]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if !c.state.memberships.iter().any(|m| {
                    m["_organization_id"] == id.as_str() && m["_user_id"] == user_id.as_str()
                }) {
                    return Err(ApiError::new(
                        422,
                        "not_a_member_in_organization",
                        "not a member",
                        "The user is not a member of the active organization.",
                    )
                    .param("active_organization_id"));
                }
                Some(id)
            }
            None => None,
        };
    let now = c.state.now();
    let session_id = c.new_id("sess");
    let client_id = crate::ids::new_id("client");
    let session = json!({
        "object": "session",
        "id": session_id,
        "user_id": user_id,
        "client_id": client_id,
        "actor": null,
        "status": "active",
        "last_active_organization_id": organization_id,
        "last_active_at": now,
        "expire_at": now + 7 * DAY_MS,
        "abandon_at": now + 30 * DAY_MS,
        "updated_at": now,
        "created_at": now,
        "tasks": null,
    });
    c.state.sessions.push(session.clone());
    c.state.clients.push(json!({
        "object": "client",
        "id": client_id,
        "session_ids": [session_id],
        "sign_in_id": null,
        "sign_up_id": null,
        "last_active_session_id": session_id,
        "last_authentication_strategy": null,
        "updated_at": now,
        "created_at": now,
    }));
    let user = c.state.user_mut(&user_id)?;
    user["last_sign_in_at"] = json!(now);
    user["last_active_at"] = json!(now);
    Ok(Reply::Json(session))
}

/// `GET /sessions`: needs `client_id` or `user_id`, as Clerk does.
pub fn list_sessions(c: &mut Ctx) -> Result<Reply, ApiError> {
    let client_id = c.query("client_id");
    let user_id = c.query("user_id");
    if client_id.is_none() && user_id.is_none() {
        return Err(missing("user_id"));
    }
    let status = c.query("status");
    let mut sessions: Vec<Value> = c
        .state
        .sessions
        .iter()
        .filter(|s| {
            client_id
                .as_ref()
                .is_none_or(|id| s["client_id"] == id.as_str())
                && user_id
                    .as_ref()
                    .is_none_or(|id| s["user_id"] == id.as_str())
                && status.as_ref().is_none_or(|st| s["status"] == st.as_str())
        })
        .cloned()
        .collect();
    sort_by_order(&mut sessions, "-created_at", &["created_at"])?;
    c.paged_array(sessions)
}

/// `GET /sessions/{session_id}`
pub fn get_session(c: &mut Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Json(
        c.state.session(&c.path_param("session_id"))?.clone(),
    ))
}

/// `POST /sessions/{session_id}/revoke`
pub fn revoke_session(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("session_id");
    let now = c.state.now();
    let session = c
        .state
        .sessions
        .iter_mut()
        .find(|s| s["id"] == id.as_str())
        .ok_or_else(|| not_found("session"))?;
    if session["status"] == "active" || session["status"] == "pending" {
        session["status"] = json!("revoked");
        session["updated_at"] = json!(now);
    }
    Ok(Reply::Json(session.clone()))
}

fn active_session(state: &State, id: &str) -> Result<Value, ApiError> {
    let session = state.session(id)?;
    if session["status"] != "active" && session["status"] != "pending" {
        return Err(not_found("active session"));
    }
    Ok(session.clone())
}

/// Encodes the organization permissions as the v2 claims do: `per` lists the distinct
/// permission names, `fea` the features (`o:` scoped), `fpm` one bitmask per feature
/// (bit i = `per[i]`).
fn organization_claims(permissions: &[String]) -> (String, String, String) {
    let mut features: Vec<String> = Vec::new();
    let mut actions: Vec<String> = Vec::new();
    let mut pairs = Vec::new();
    for permission in permissions {
        let mut pieces = permission.splitn(3, ':');
        let (Some(_), Some(feature), Some(action)) = (pieces.next(), pieces.next(), pieces.next())
        else {
            continue;
        };
        if !features.iter().any(|f| f == feature) {
            features.push(feature.to_string());
        }
        if !actions.iter().any(|a| a == action) {
            actions.push(action.to_string());
        }
        pairs.push((feature.to_string(), action.to_string()));
    }
    let masks: Vec<String> = features
        .iter()
        .map(|feature| {
            let mask: u64 = pairs
                .iter()
                .filter(|(f, _)| f == feature)
                .map(|(_, action)| 1u64 << actions.iter().position(|a| a == action).unwrap_or(0))
                .sum();
            mask.to_string()
        })
        .collect();
    let fea = features
        .iter()
        .map(|f| format!("o:{f}"))
        .collect::<Vec<_>>()
        .join(",");
    (actions.join(","), fea, masks.join(","))
}

/// The v2 session claims for a session, valid from now for `lifetime` seconds.
fn session_claims(c: &Ctx, session: &Value, lifetime: i64) -> Map<String, Value> {
    let iat = crate::ids::now_ms() / 1000;
    let mut claims = Map::new();
    claims.insert("azp".into(), json!(c.env.authorized_party));
    claims.insert("exp".into(), json!(iat + lifetime));
    claims.insert("iat".into(), json!(iat));
    claims.insert("iss".into(), json!(c.env.issuer));
    claims.insert("jti".into(), json!(crate::ids::random_base62(20)));
    claims.insert("nbf".into(), json!(iat - 10));
    claims.insert("sid".into(), session["id"].clone());
    claims.insert("sts".into(), session["status"].clone());
    claims.insert("sub".into(), session["user_id"].clone());
    claims.insert("v".into(), json!(2));
    if let Some(organization_id) = session["last_active_organization_id"].as_str() {
        let membership = c.state.memberships.iter().find(|m| {
            m["_organization_id"] == organization_id && m["_user_id"] == session["user_id"]
        });
        let organization = c
            .state
            .organizations
            .iter()
            .find(|o| o["id"] == organization_id);
        if let (Some(membership), Some(organization)) = (membership, organization) {
            let permissions: Vec<String> = membership["permissions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect();
            let (per, fea, fpm) = organization_claims(&permissions);
            let role = membership["role"].as_str().unwrap_or_default();
            claims.insert(
                "o".into(),
                json!({
                    "id": organization_id,
                    "slg": organization["slug"],
                    "rol": role.strip_prefix("org:").unwrap_or(role),
                    "per": per,
                    "fpm": fpm,
                }),
            );
            if !fea.is_empty() {
                claims.insert("fea".into(), json!(fea));
            }
        }
    }
    claims
}

/// `POST /sessions/{session_id}/tokens`
pub fn create_session_token(c: &mut Ctx) -> Result<Reply, ApiError> {
    let session = active_session(c.state, &c.path_param("session_id"))?;
    let lifetime = c.opt_i64("expires_in_seconds")?.unwrap_or(60);
    if lifetime < 1 {
        return Err(format_invalid("expires_in_seconds", "must be positive"));
    }
    let claims = session_claims(c, &session, lifetime);
    Ok(Reply::Json(
        json!({"object": "token", "jwt": c.key.sign_jwt(&Value::Object(claims))}),
    ))
}

/// Replaces `{{user.x}}` / `{{org.x}}` / `{{session.x}}` shortcodes in template claims.
fn apply_shortcodes(
    value: &Value,
    user: &Value,
    organization: Option<&Value>,
    session: &Value,
) -> Value {
    match value {
        Value::String(text) => {
            let Some(path) = text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) else {
                return value.clone();
            };
            let (scope, field) = path.trim().split_once('.').unwrap_or(("", ""));
            match scope {
                "user" if field == "primary_email_address" => {
                    crate::state::primary_identifier(user)
                }
                "user" => user.get(field).cloned().unwrap_or(Value::Null),
                "org" => organization
                    .and_then(|o| o.get(field))
                    .cloned()
                    .unwrap_or(Value::Null),
                "session" => session.get(field).cloned().unwrap_or(Value::Null),
                _ => value.clone(),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| apply_shortcodes(v, user, organization, session))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), apply_shortcodes(v, user, organization, session)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// `POST /sessions/{session_id}/tokens/{template_name}`
pub fn create_session_token_from_template(c: &mut Ctx) -> Result<Reply, ApiError> {
    let session = active_session(c.state, &c.path_param("session_id"))?;
    let name = c.path_param("template_name");
    let template = c
        .state
        .jwt_templates
        .iter()
        .find(|t| t["name"] == name.as_str())
        .cloned()
        .ok_or_else(|| not_found("JWT template"))?;
    let lifetime = match c.opt_i64("expires_in_seconds")? {
        Some(seconds) => seconds,
        None => template["lifetime"].as_i64().unwrap_or(60),
    };
    let user = c
        .state
        .user(session["user_id"].as_str().unwrap_or_default())?
        .clone();
    let organization = session["last_active_organization_id"]
        .as_str()
        .and_then(|id| c.state.organizations.iter().find(|o| o["id"] == id))
        .cloned();
    let custom = apply_shortcodes(&template["claims"], &user, organization.as_ref(), &session);
    let standard = session_claims(c, &session, lifetime);
    let mut claims = Map::new();
    if let Value::Object(custom) = custom {
        claims.extend(custom);
    }
    // Reserved claims cannot be overridden by a template.
    for key in ["azp", "exp", "iat", "iss", "jti", "nbf", "sub"] {
        claims.insert(key.into(), standard[key].clone());
    }
    Ok(Reply::Json(
        json!({"object": "token", "jwt": c.key.sign_jwt(&Value::Object(claims))}),
    ))
}

/// `POST /sessions/{session_id}/refresh`: the expired token must be ours and name the
/// session. The spec documents only 400 and 401 errors here, so every refusal is a 400.
pub fn refresh_session(c: &mut Ctx) -> Result<Reply, ApiError> {
    refresh(c).map_err(|error| error.with_status(400))
}

fn refresh(c: &mut Ctx) -> Result<Reply, ApiError> {
    let expired_token = c.req_str("expired_token")?;
    c.req_str("refresh_token")?;
    c.req_str("request_origin")?;
    let session = active_session(c.state, &c.path_param("session_id"))?;
    let claims = crate::decode_jwt_claims(&expired_token)
        .ok_or_else(|| format_invalid("expired_token", "is not a session token"))?;
    if claims["sid"] != session["id"] {
        return Err(format_invalid(
            "expired_token",
            "belongs to another session",
        ));
    }
    let claims = session_claims(c, &session, 60);
    let jwt = c.key.sign_jwt(&Value::Object(claims));
    match c.opt_str("format")?.as_deref() {
        None | Some("token") => Ok(Reply::Json(json!({"object": "token", "jwt": jwt}))),
        Some("cookie") => Ok(Reply::Json(json!({
            "object": "cookies",
            "cookies": [format!("__session={jwt}; Path=/; Max-Age=60; SameSite=Lax")],
        }))),
        Some(_) => Err(format_invalid("format", "must be token or cookie")),
    }
}

/// `GET /clients`
pub fn list_clients(c: &mut Ctx) -> Result<Reply, ApiError> {
    let mut clients: Vec<Value> = c
        .state
        .clients
        .iter()
        .map(|client| c.state.render_client(client))
        .collect();
    clients.reverse();
    c.paged_array(clients)
}

/// `GET /clients/{client_id}`
pub fn get_client(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("client_id");
    let client = c
        .state
        .clients
        .iter()
        .find(|cl| cl["id"] == id.as_str())
        .ok_or_else(|| not_found("client"))?;
    Ok(Reply::Json(c.state.render_client(client)))
}

/// `GET /jwks`
pub fn jwks(c: &mut Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Json(json!({"keys": [c.key.jwk()]})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_claims_encode_feature_masks() {
        let permissions: Vec<String> = ["org:dash:read", "org:dash:manage", "org:billing:manage"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (per, fea, fpm) = organization_claims(&permissions);
        assert_eq!(per, "read,manage");
        assert_eq!(fea, "o:dash,o:billing");
        assert_eq!(fpm, "3,2");
    }
}
