//! Instance-level resources: invitations, allow/block lists, JWT templates, sign-in and
//! actor tokens, redirect URLs, domains, instance settings and testing tokens.

use serde_json::{Value, json};

use crate::api::{Ctx, Reply, sort_by_order};
use crate::errors::{ApiError, duplicate, format_invalid, identifier_exists, missing, not_found};
use crate::state::{deleted, strip_internal};

fn position(list: &[Value], id: &str, what: &str) -> Result<usize, ApiError> {
    list.iter()
        .position(|item| item["id"] == id)
        .ok_or_else(|| not_found(what))
}

fn build_invitation(c: &mut Ctx, item: &Value) -> Result<Value, ApiError> {
    let email = item["email_address"]
        .as_str()
        .filter(|e| !e.is_empty())
        .ok_or_else(|| missing("email_address"))?;
    if !email.contains('@') {
        return Err(format_invalid(
            "email_address",
            "must be a valid email address",
        ));
    }
    let ignore_existing = item["ignore_existing"].as_bool().unwrap_or(false);
    if !ignore_existing {
        if c.state.email_taken(email) {
            return Err(identifier_exists("email_address"));
        }
        if c.state.invitations.iter().any(|i| {
            i["status"] == "pending"
                && i["email_address"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }) {
            return Err(duplicate("pending invitation"));
        }
    }
    let now = c.state.now();
    let id = crate::ids::new_id("inv");
    Ok(json!({
        "object": "invitation",
        "id": id,
        "email_address": email,
        "public_metadata": item.get("public_metadata").filter(|v| v.is_object()).cloned().unwrap_or(json!({})),
        "revoked": false,
        "status": "pending",
        "url": format!("{}/v1/tickets/accept?ticket={}", c.env.issuer, crate::ids::random_base62(32)),
        "expires_at": item["expires_in_days"].as_i64().map(|days| now + days * 24 * 3600 * 1000),
        "created_at": now,
        "updated_at": now,
    }))
}

/// `POST /invitations`
pub fn create_invitation(c: &mut Ctx) -> Result<Reply, ApiError> {
    let body = Value::Object(c.body_object()?);
    let invitation = build_invitation(c, &body)?;
    c.state.invitations.push(invitation.clone());
    Ok(Reply::Json(invitation))
}

/// `POST /invitations/bulk` (array body)
pub fn create_invitations_bulk(c: &mut Ctx) -> Result<Reply, ApiError> {
    let items = c
        .body
        .as_array()
        .cloned()
        .ok_or_else(|| format_invalid("body", "must be an array"))?;
    let mut created = Vec::new();
    for item in &items {
        let invitation = build_invitation(c, item)?;
        c.state.invitations.push(invitation.clone());
        created.push(invitation);
    }
    Ok(Reply::Json(Value::Array(created)))
}

/// `GET /invitations`
pub fn list_invitations(c: &mut Ctx) -> Result<Reply, ApiError> {
    let status = c.query("status");
    let query = c.query("query").map(|q| q.to_lowercase());
    let mut invitations: Vec<Value> = c
        .state
        .invitations
        .iter()
        .filter(|i| {
            status.as_ref().is_none_or(|s| i["status"] == s.as_str())
                && query.as_ref().is_none_or(|q| {
                    i["email_address"]
                        .as_str()
                        .is_some_and(|e| e.to_lowercase().contains(q))
                })
        })
        .cloned()
        .collect();
    let order_by = c.query("order_by").unwrap_or_else(|| "-created_at".into());
    sort_by_order(
        &mut invitations,
        &order_by,
        &["created_at", "email_address", "expires_at"],
    )?;
    c.paged_array(invitations)
}

/// `POST /invitations/{invitation_id}/revoke`
pub fn revoke_invitation(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.invitations,
        &c.path_param("invitation_id"),
        "invitation",
    )?;
    let now = c.state.now();
    let invitation = &mut c.state.invitations[index];
    if invitation["status"] != "pending" {
        return Err(ApiError::new(
            400,
            "invitation_not_pending",
            "invitation is not pending",
            "Only pending invitations can be revoked.",
        ));
    }
    invitation["status"] = json!("revoked");
    invitation["revoked"] = json!(true);
    invitation["updated_at"] = json!(now);
    Ok(Reply::Json(invitation.clone()))
}

fn identifier_type(identifier: &str) -> &'static str {
    if identifier.starts_with("0x") {
        "web3_wallet"
    } else if identifier.starts_with('+') {
        "phone_number"
    } else {
        "email_address"
    }
}

fn create_list_identifier(c: &mut Ctx, allow: bool) -> Result<Reply, ApiError> {
    let identifier = c.req_str("identifier")?;
    let list = if allow {
        &c.state.allowlist
    } else {
        &c.state.blocklist
    };
    if list.iter().any(|i| i["identifier"] == identifier.as_str()) {
        return Err(duplicate(if allow {
            "allowlist identifier"
        } else {
            "blocklist identifier"
        }));
    }
    let now = c.state.now();
    let mut item = json!({
        "object": if allow { "allowlist_identifier" } else { "blocklist_identifier" },
        "id": crate::ids::new_id(if allow { "alid" } else { "blid" }),
        "identifier": identifier,
        "identifier_type": identifier_type(&identifier),
        "instance_id": c.state.instance_id,
        "created_at": now,
        "updated_at": now,
    });
    if allow {
        item["invitation_id"] = json!(crate::ids::new_id("inv"));
        c.state.allowlist.push(item.clone());
    } else {
        c.state.blocklist.push(item.clone());
    }
    Ok(Reply::Json(item))
}

/// `POST /allowlist_identifiers`
pub fn create_allowlist_identifier(c: &mut Ctx) -> Result<Reply, ApiError> {
    create_list_identifier(c, true)
}

/// `POST /blocklist_identifiers`
pub fn create_blocklist_identifier(c: &mut Ctx) -> Result<Reply, ApiError> {
    create_list_identifier(c, false)
}

/// `GET /allowlist_identifiers` (bare array)
pub fn list_allowlist(c: &mut Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Json(Value::Array(c.state.allowlist.clone())))
}

/// `GET /blocklist_identifiers` (`{data,total_count}`)
pub fn list_blocklist(c: &mut Ctx) -> Result<Reply, ApiError> {
    let total = c.state.blocklist.len();
    Ok(Reply::Json(crate::api::data_total(
        c.state.blocklist.clone(),
        total,
    )))
}

/// `DELETE /allowlist_identifiers/{identifier_id}`
pub fn delete_allowlist_identifier(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.allowlist,
        &c.path_param("identifier_id"),
        "allowlist identifier",
    )?;
    let item = c.state.allowlist.remove(index);
    Ok(Reply::Json(deleted("allowlist_identifier", &item["id"])))
}

/// `DELETE /blocklist_identifiers/{identifier_id}`
pub fn delete_blocklist_identifier(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.blocklist,
        &c.path_param("identifier_id"),
        "blocklist identifier",
    )?;
    let item = c.state.blocklist.remove(index);
    Ok(Reply::Json(deleted("blocklist_identifier", &item["id"])))
}

fn apply_template_fields(c: &Ctx, template: &mut Value) -> Result<(), ApiError> {
    if let Some(name) = c.opt_str("name")? {
        template["name"] = json!(name);
    }
    if let Some(claims) = c.opt_object("claims")? {
        template["claims"] = Value::Object(claims);
    }
    if let Some(lifetime) = c.opt_i64("lifetime")? {
        if !(30..=315_360_000).contains(&lifetime) {
            return Err(format_invalid(
                "lifetime",
                "must be between 30 and 315360000 seconds",
            ));
        }
        template["lifetime"] = json!(lifetime);
    }
    if let Some(skew) = c.opt_i64("allowed_clock_skew")? {
        template["allowed_clock_skew"] = json!(skew);
    }
    if let Some(algorithm) = c.opt_str("signing_algorithm")? {
        template["signing_algorithm"] = json!(algorithm);
    }
    if c.opt_bool("custom_signing_key")? == Some(true) {
        return Err(ApiError::new(
            422,
            "emulator_unsupported",
            "custom signing keys are not supported",
            "clerk-emulator signs every token with its own key; custom_signing_key is not supported.",
        )
        .param("custom_signing_key"));
    }
    Ok(())
}

/// `POST /jwt_templates`
pub fn create_jwt_template(c: &mut Ctx) -> Result<Reply, ApiError> {
    let name = c.req_str("name")?;
    if c.opt_object("claims")?.is_none() {
        return Err(missing("claims"));
    }
    if c.state
        .jwt_templates
        .iter()
        .any(|t| t["name"] == name.as_str())
    {
        return Err(identifier_exists("name"));
    }
    let now = c.state.now();
    let mut template = json!({
        "object": "jwt_template",
        "id": crate::ids::new_id("jtmp"),
        "name": name,
        "claims": {},
        "lifetime": 60,
        "allowed_clock_skew": 5,
        "custom_signing_key": false,
        "signing_algorithm": "RS256",
        "created_at": now,
        "updated_at": now,
    });
    apply_template_fields(c, &mut template)?;
    c.state.jwt_templates.push(template.clone());
    Ok(Reply::Json(template))
}

/// `GET /jwt_templates` (bare array)
pub fn list_jwt_templates(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.paged_array(c.state.jwt_templates.clone())
}

/// `GET /jwt_templates/{template_id}`
pub fn get_jwt_template(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.jwt_templates,
        &c.path_param("template_id"),
        "JWT template",
    )?;
    Ok(Reply::Json(c.state.jwt_templates[index].clone()))
}

/// `PATCH /jwt_templates/{template_id}`: the spec requires `name` and `claims` here too.
pub fn update_jwt_template(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.jwt_templates,
        &c.path_param("template_id"),
        "JWT template",
    )?;
    c.req_str("name")?;
    if c.opt_object("claims")?.is_none() {
        return Err(missing("claims"));
    }
    if let Some(name) = c.opt_str("name")?
        && c.state
            .jwt_templates
            .iter()
            .enumerate()
            .any(|(i, t)| i != index && t["name"] == name.as_str())
    {
        return Err(identifier_exists("name"));
    }
    let mut template = c.state.jwt_templates[index].clone();
    apply_template_fields(c, &mut template)?;
    template["updated_at"] = json!(c.state.now());
    c.state.jwt_templates[index] = template.clone();
    Ok(Reply::Json(template))
}

/// `DELETE /jwt_templates/{template_id}`
pub fn delete_jwt_template(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.jwt_templates,
        &c.path_param("template_id"),
        "JWT template",
    )?;
    let template = c.state.jwt_templates.remove(index);
    Ok(Reply::Json(deleted("jwt_template", &template["id"])))
}

/// `POST /sign_in_tokens`
pub fn create_sign_in_token(c: &mut Ctx) -> Result<Reply, ApiError> {
    let user_id = c.req_str("user_id")?;
    c.state.user(&user_id)?;
    let now = c.state.now();
    let token = crate::ids::random_base62(40);
    let item = json!({
        "object": "sign_in_token",
        "id": crate::ids::new_id("sit"),
        "status": "pending",
        "user_id": user_id,
        "token": token,
        "url": format!("{}/v1/tickets/accept?ticket={token}", c.env.issuer),
        "created_at": now,
        "updated_at": now,
    });
    c.state.sign_in_tokens.push(item.clone());
    Ok(Reply::Json(item))
}

/// `POST /sign_in_tokens/{sign_in_token_id}/revoke`
pub fn revoke_sign_in_token(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.sign_in_tokens,
        &c.path_param("sign_in_token_id"),
        "sign in token",
    )?;
    revoke_token(c, index, false)
}

fn revoke_token(c: &mut Ctx, index: usize, actor: bool) -> Result<Reply, ApiError> {
    let now = c.state.now();
    let list = if actor {
        &mut c.state.actor_tokens
    } else {
        &mut c.state.sign_in_tokens
    };
    let item = &mut list[index];
    if item["status"] != "pending" {
        return Err(ApiError::new(
            400,
            "token_not_pending",
            "token is not pending",
            "Only pending tokens can be revoked.",
        ));
    }
    item["status"] = json!("revoked");
    item["updated_at"] = json!(now);
    let mut answer = item.clone();
    // Clerk does not echo a revoked token's secret.
    answer.as_object_mut().expect("object").remove("token");
    Ok(Reply::Json(answer))
}

/// `POST /actor_tokens`
pub fn create_actor_token(c: &mut Ctx) -> Result<Reply, ApiError> {
    let user_id = c.req_str("user_id")?;
    let actor = c.opt_object("actor")?.ok_or_else(|| missing("actor"))?;
    if !actor.get("sub").is_some_and(Value::is_string) {
        return Err(missing("actor.sub"));
    }
    c.state.user(&user_id)?;
    let now = c.state.now();
    let token = crate::ids::random_base62(40);
    let item = json!({
        "object": "actor_token",
        "id": crate::ids::new_id("act"),
        "status": "pending",
        "user_id": user_id,
        "actor": actor,
        "token": token,
        "url": format!("{}/v1/tickets/accept?ticket={token}", c.env.issuer),
        "created_at": now,
        "updated_at": now,
    });
    c.state.actor_tokens.push(item.clone());
    Ok(Reply::Json(item))
}

/// `POST /actor_tokens/{actor_token_id}/revoke`
pub fn revoke_actor_token(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(
        &c.state.actor_tokens,
        &c.path_param("actor_token_id"),
        "actor token",
    )?;
    revoke_token(c, index, true)
}

/// `POST /redirect_urls`
pub fn create_redirect_url(c: &mut Ctx) -> Result<Reply, ApiError> {
    let url = c.req_str("url")?;
    if !url.contains("://") {
        return Err(format_invalid("url", "must be an absolute URL"));
    }
    if c.state
        .redirect_urls
        .iter()
        .any(|r| r["url"] == url.as_str())
    {
        return Err(duplicate("redirect URL"));
    }
    let now = c.state.now();
    let item = json!({"object": "redirect_url", "id": crate::ids::new_id("ru"), "url": url, "created_at": now, "updated_at": now});
    c.state.redirect_urls.push(item.clone());
    Ok(Reply::Json(item))
}

/// `GET /redirect_urls` (bare array)
pub fn list_redirect_urls(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.paged_array(c.state.redirect_urls.clone())
}

/// `GET /redirect_urls/{id}`
pub fn get_redirect_url(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(&c.state.redirect_urls, &c.path_param("id"), "redirect URL")?;
    Ok(Reply::Json(c.state.redirect_urls[index].clone()))
}

/// `DELETE /redirect_urls/{id}`
pub fn delete_redirect_url(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(&c.state.redirect_urls, &c.path_param("id"), "redirect URL")?;
    let item = c.state.redirect_urls.remove(index);
    Ok(Reply::Json(deleted("redirect_url", &item["id"])))
}

/// `GET /domains`
pub fn list_domains(c: &mut Ctx) -> Result<Reply, ApiError> {
    let domains: Vec<Value> = c.state.domains.iter().map(strip_internal).collect();
    let total = domains.len();
    Ok(Reply::Json(crate::api::data_total(domains, total)))
}

/// `POST /domains`: only satellite domains can be added, as in Clerk.
pub fn add_domain(c: &mut Ctx) -> Result<Reply, ApiError> {
    let name = c.req_str("name")?;
    let is_satellite = c
        .opt_bool("is_satellite")?
        .ok_or_else(|| missing("is_satellite"))?;
    if !is_satellite {
        return Err(format_invalid(
            "is_satellite",
            "only satellite domains can be added",
        ));
    }
    if c.state.domains.iter().any(|d| d["name"] == name.as_str()) {
        return Err(identifier_exists("name"));
    }
    let domain = json!({
        "object": "domain",
        "id": crate::ids::new_id("dmn"),
        "name": name,
        "is_satellite": true,
        "frontend_api_url": format!("https://clerk.{name}"),
        "accounts_portal_url": null,
        "proxy_url": c.opt_str("proxy_url")?,
        "development_origin": "",
        "cname_targets": [{"host": format!("clerk.{name}"), "value": "frontend-api.clerk.services", "required": true}],
    });
    c.state.domains.push(domain.clone());
    Ok(Reply::Json(domain))
}

/// `PATCH /domains/{domain_id}`
pub fn update_domain(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(&c.state.domains, &c.path_param("domain_id"), "domain")?;
    let name = c.opt_str("name")?;
    let proxy_url = c.opt_str("proxy_url")?;
    let domain = &mut c.state.domains[index];
    if let Some(name) = name {
        domain["name"] = json!(name);
    }
    if let Some(proxy_url) = proxy_url {
        domain["proxy_url"] = json!(proxy_url);
    }
    Ok(Reply::Json(strip_internal(domain)))
}

/// `DELETE /domains/{domain_id}`: the primary domain cannot be deleted.
pub fn delete_domain(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = position(&c.state.domains, &c.path_param("domain_id"), "domain")?;
    if c.state.domains[index]["is_satellite"] != true {
        return Err(ApiError::new(
            403,
            "operation_not_allowed_on_primary_domain",
            "cannot delete the primary domain",
            "The primary domain of an instance cannot be deleted.",
        ));
    }
    let domain = c.state.domains.remove(index);
    Ok(Reply::Json(deleted("domain", &domain["id"])))
}

/// `GET /instance`
pub fn get_instance(c: &mut Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Json(c.state.instance.clone()))
}

/// `PATCH /instance` (204)
pub fn update_instance(c: &mut Ctx) -> Result<Reply, ApiError> {
    let body = c.body_object()?;
    if let Some(origins) = body.get("allowed_origins") {
        if !origins.is_array() {
            return Err(format_invalid(
                "allowed_origins",
                "must be an array of strings",
            ));
        }
        c.state.instance["allowed_origins"] = origins.clone();
    }
    let settings = c.state.instance_settings.as_object_mut().expect("object");
    settings.extend(body.into_iter().filter(|(k, _)| k != "allowed_origins"));
    Ok(Reply::Empty(204))
}

/// Overwrites the known boolean/other fields of a settings object from the body.
fn patch_settings(
    c: &Ctx,
    settings: &mut Value,
    booleans: &[&str],
    others: &[&str],
) -> Result<(), ApiError> {
    for field in booleans {
        if let Some(value) = c.opt_bool(field)? {
            settings[*field] = json!(value);
        }
    }
    for field in others {
        if let Some(value) = c.body.get(*field).filter(|v| !v.is_null()) {
            settings[*field] = value.clone();
        }
    }
    Ok(())
}

/// `PATCH /instance/restrictions`
pub fn update_restrictions(c: &mut Ctx) -> Result<Reply, ApiError> {
    let mut settings = c.state.restrictions.clone();
    patch_settings(
        c,
        &mut settings,
        &[
            "allowlist",
            "blocklist",
            "allowlist_blocklist_disabled_on_sign_in",
            "block_email_subaddresses",
            "block_disposable_email_domains",
        ],
        &[],
    )?;
    c.state.restrictions = settings.clone();
    Ok(Reply::Json(settings))
}

/// `GET /instance/organization_settings`
pub fn get_organization_settings(c: &mut Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Json(c.state.organization_settings.clone()))
}

/// `PATCH /instance/organization_settings`
pub fn update_organization_settings(c: &mut Ctx) -> Result<Reply, ApiError> {
    let mut settings = c.state.organization_settings.clone();
    patch_settings(
        c,
        &mut settings,
        &[
            "enabled",
            "admin_delete_enabled",
            "domains_enabled",
            "slug_disabled",
        ],
        &["max_allowed_memberships", "domains_enrollment_modes"],
    )?;
    c.state.organization_settings = settings.clone();
    Ok(Reply::Json(settings))
}

/// `PATCH /beta_features/instance_settings`
pub fn update_auth_config(c: &mut Ctx) -> Result<Reply, ApiError> {
    let mut settings = c.state.auth_config.clone();
    patch_settings(
        c,
        &mut settings,
        &[
            "restricted_to_allowlist",
            "progressive_sign_up",
            "test_mode",
        ],
        &["from_email_address"],
    )?;
    c.state.auth_config = settings.clone();
    Ok(Reply::Json(settings))
}

/// `PUT /beta_features/domain` (202): a development instance has no production domain
/// to move, so the emulator records the request and accepts it.
pub fn update_production_domain(c: &mut Ctx) -> Result<Reply, ApiError> {
    let home_url = c.opt_str("home_url")?;
    if let Some(url) = home_url {
        c.state.instance_settings["home_url"] = json!(url);
    }
    Ok(Reply::Empty(202))
}

/// `POST /testing_tokens`: valid for an hour; `expires_at` in epoch seconds as the spec says.
pub fn create_testing_token(_: &mut Ctx) -> Result<Reply, ApiError> {
    let now_s = crate::ids::now_ms() / 1000;
    let expires_at = now_s + 3600;
    Ok(Reply::Json(json!({
        "object": "testing_token",
        "token": format!("{now_s}-{}", crate::ids::random_base62(32)),
        "expires_at": expires_at,
    })))
}
