//! Organizations, memberships and organization invitations.

use serde_json::{Value, json};

use crate::api::{Ctx, Reply, deep_merge, sort_by_order};
use crate::errors::{ApiError, format_invalid, identifier_exists, missing, not_found};
use crate::state::{deleted, primary_identifier, strip_internal};

/// Permissions of the two default roles, as Clerk's system permissions.
pub fn role_permissions(role: &str) -> Vec<&'static str> {
    match role {
        "org:admin" => vec![
            "org:sys_profile:manage",
            "org:sys_profile:delete",
            "org:sys_memberships:read",
            "org:sys_memberships:manage",
            "org:sys_domains:read",
            "org:sys_domains:manage",
        ],
        "org:member" => vec!["org:sys_memberships:read"],
        _ => Vec::new(),
    }
}

fn role_name(role: &str) -> String {
    let bare = role.strip_prefix("org:").unwrap_or(role);
    let mut chars = bare.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn check_role(role: &str) -> Result<(), ApiError> {
    if role_permissions(role).is_empty() {
        return Err(ApiError::new(
            422,
            "resource_not_found",
            "not found",
            format!("Role {role} was not found; the emulator knows org:admin and org:member."),
        )
        .param("role"));
    }
    Ok(())
}

fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for ch in name.to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

fn check_slug(c: &Ctx, slug: &str, except: Option<&str>) -> Result<(), ApiError> {
    if slug.is_empty()
        || !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(format_invalid(
            "slug",
            "may contain only lowercase letters, digits, - and _",
        ));
    }
    if c.state
        .organizations
        .iter()
        .any(|o| o["slug"] == slug && except.is_none_or(|id| o["id"] != id))
    {
        return Err(identifier_exists("slug"));
    }
    Ok(())
}

fn new_membership(c: &mut Ctx, organization_id: &str, user_id: &str, role: &str) -> Value {
    let now = c.state.now();
    json!({
        "id": crate::ids::new_id("orgmem"),
        "object": "organization_membership",
        "role": role,
        "role_name": role_name(role),
        "permissions": role_permissions(role),
        "public_metadata": c.opt_object("public_metadata").ok().flatten().unwrap_or_default(),
        "private_metadata": c.opt_object("private_metadata").ok().flatten().unwrap_or_default(),
        "created_at": now,
        "updated_at": now,
        "_organization_id": organization_id,
        "_user_id": user_id,
    })
}

/// `POST /organizations`: the creator (`created_by`) becomes an admin member.
pub fn create_organization(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.body_object()?;
    let name = c.req_str("name")?;
    let slug = match c.opt_str("slug")? {
        Some(slug) => slug,
        None => slugify(&name),
    };
    check_slug(c, &slug, None)?;
    let created_by = c.opt_str("created_by")?;
    if let Some(user_id) = &created_by {
        c.state.user(user_id)?;
    }
    let max_members = match c.opt_i64("max_allowed_memberships")? {
        Some(n) => n,
        None => c.state.organization_settings["max_allowed_memberships"]
            .as_i64()
            .unwrap_or(5),
    };
    let now = c.state.now();
    let id = c.new_id("org");
    let organization = json!({
        "object": "organization",
        "id": id,
        "name": name,
        "slug": slug,
        "image_url": "",
        "has_image": false,
        "max_allowed_memberships": max_members,
        "admin_delete_enabled": true,
        "public_metadata": c.opt_object("public_metadata")?.unwrap_or_default(),
        "private_metadata": c.opt_object("private_metadata")?.unwrap_or_default(),
        "created_by": created_by.clone().unwrap_or_default(),
        "created_at": now,
        "updated_at": now,
        "role_set_key": c.opt_str("role_set_key")?,
    });
    c.state.organizations.push(organization.clone());
    if let Some(user_id) = created_by {
        let creator_role = c.state.organization_settings["creator_role"]
            .as_str()
            .unwrap_or("org:admin")
            .to_string();
        // The creator's membership must not inherit the organization's metadata.
        let membership = {
            let saved = std::mem::take(&mut c.body);
            let membership = new_membership(c, &id, &user_id, &creator_role);
            c.body = saved;
            membership
        };
        c.state.memberships.push(membership);
    }
    Ok(Reply::Json(strip_internal(&organization)))
}

/// Whether no member of the organization holds the admin role.
fn missing_admin(state: &crate::state::State, organization: &Value) -> bool {
    !state
        .memberships
        .iter()
        .any(|m| m["_organization_id"] == organization["id"] && m["role"] == "org:admin")
}

/// `GET /organizations`
pub fn list_organizations(c: &mut Ctx) -> Result<Reply, ApiError> {
    let include_count = c.query_bool("include_members_count")?.unwrap_or(false);
    let include_missing_admin = c
        .query_bool("include_missing_member_with_elevated_permissions")?
        .unwrap_or(false);
    let query = c.query("query").map(|q| q.to_lowercase());
    let user_ids = c.query_all("user_id");
    let organization_ids = c.query_all("organization_id");
    let state = &*c.state;
    // Rendered with counts so that order_by=members_count works; dropped below unless asked.
    let mut organizations: Vec<Value> = state
        .organizations
        .iter()
        .filter(|o| {
            let id = o["id"].as_str().unwrap_or_default();
            query.as_ref().is_none_or(|q| {
                ["id", "name", "slug"]
                    .iter()
                    .any(|f| o[*f].as_str().is_some_and(|v| v.to_lowercase().contains(q)))
            }) && (organization_ids.is_empty() || organization_ids.iter().any(|x| x == id))
                && (user_ids.is_empty()
                    || state.memberships.iter().any(|m| {
                        m["_organization_id"] == id
                            && user_ids.iter().any(|u| m["_user_id"] == u.as_str())
                    }))
        })
        .map(|o| {
            let mut rendered = state.render_organization(o, true);
            if include_missing_admin {
                rendered["missing_member_with_elevated_permissions"] =
                    json!(missing_admin(state, o));
            }
            rendered
        })
        .collect();
    let order_by = c.query("order_by").unwrap_or_else(|| "-created_at".into());
    sort_by_order(
        &mut organizations,
        &order_by,
        &["created_at", "name", "members_count"],
    )?;
    if !include_count {
        for organization in &mut organizations {
            let map = organization
                .as_object_mut()
                .expect("organizations are objects");
            map.remove("members_count");
            map.remove("pending_invitations_count");
        }
    }
    c.paged_data(organizations)
}

/// `GET /organizations/{organization_id}` (id or slug)
pub fn get_organization(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let include_count = c.query_bool("include_members_count")?.unwrap_or(false);
    let mut organization = c
        .state
        .render_organization(&c.state.organizations[index], include_count);
    if c.query_bool("include_missing_member_with_elevated_permissions")?
        .unwrap_or(false)
    {
        organization["missing_member_with_elevated_permissions"] =
            json!(missing_admin(c.state, &organization));
    }
    Ok(Reply::Json(organization))
}

/// `PATCH /organizations/{organization_id}`
pub fn update_organization(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.body_object()?;
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let id = c.state.organizations[index]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut changes = serde_json::Map::new();
    if let Some(name) = c.opt_str("name")? {
        if name.is_empty() {
            return Err(missing("name"));
        }
        changes.insert("name".into(), json!(name));
    }
    if let Some(slug) = c.opt_str("slug")? {
        check_slug(c, &slug, Some(&id))?;
        changes.insert("slug".into(), json!(slug));
    }
    if let Some(max) = c.opt_i64("max_allowed_memberships")? {
        changes.insert("max_allowed_memberships".into(), json!(max));
    }
    if let Some(enabled) = c.opt_bool("admin_delete_enabled")? {
        changes.insert("admin_delete_enabled".into(), json!(enabled));
    }
    if let Some(key) = c.opt_str("role_set_key")? {
        changes.insert("role_set_key".into(), json!(key));
    }
    let now = c.state.now();
    let organization = &mut c.state.organizations[index];
    let map = organization
        .as_object_mut()
        .expect("organizations are objects");
    map.extend(changes);
    map.insert("updated_at".into(), json!(now));
    let organization = organization.clone();
    Ok(Reply::Json(
        c.state.render_organization(&organization, false),
    ))
}

/// `DELETE /organizations/{organization_id}`: also removes memberships and invitations.
pub fn delete_organization(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let organization = c.state.organizations.remove(index);
    let id = organization["id"].clone();
    c.state.memberships.retain(|m| m["_organization_id"] != id);
    c.state
        .organization_invitations
        .retain(|i| i["organization_id"] != id);
    let mut answer = deleted("organization", &id);
    answer["slug"] = organization["slug"].clone();
    Ok(Reply::Json(answer))
}

/// `PATCH /organizations/{organization_id}/metadata`: deep merge.
pub fn merge_organization_metadata(c: &mut Ctx) -> Result<Reply, ApiError> {
    update_organization_metadata(c, true)
}

/// `PUT /organizations/{organization_id}/metadata`: replace.
pub fn replace_organization_metadata(c: &mut Ctx) -> Result<Reply, ApiError> {
    update_organization_metadata(c, false)
}

fn update_organization_metadata(c: &mut Ctx, merge: bool) -> Result<Reply, ApiError> {
    c.body_object()?;
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let mut updates = Vec::new();
    for field in ["public_metadata", "private_metadata"] {
        if let Some(value) = c.opt_object(field)? {
            updates.push((field, Value::Object(value)));
        }
    }
    let now = c.state.now();
    let organization = &mut c.state.organizations[index];
    for (field, value) in updates {
        if merge {
            deep_merge(&mut organization[field], &value);
        } else {
            organization[field] = value;
        }
    }
    organization["updated_at"] = json!(now);
    let organization = organization.clone();
    Ok(Reply::Json(
        c.state.render_organization(&organization, false),
    ))
}

/// `PUT /organizations/{organization_id}/logo` (multipart `file`, `uploader_user_id`).
pub fn upload_logo(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let file = c
        .parts
        .iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| missing("file"))?;
    if file.data.is_empty() {
        return Err(format_invalid("file", "must not be empty"));
    }
    if let Some(uploader) = c.parts.iter().find(|p| p.name == "uploader_user_id") {
        c.state.user(&String::from_utf8_lossy(&uploader.data))?;
    }
    let url = format!("https://img.clerk.com/{}", crate::ids::random_base62(32));
    let now = c.state.now();
    let organization = &mut c.state.organizations[index];
    organization["image_url"] = json!(url);
    organization["has_image"] = json!(true);
    organization["updated_at"] = json!(now);
    let mut rendered = strip_internal(organization);
    rendered["logo_url"] = json!(url);
    Ok(Reply::Json(rendered))
}

/// `DELETE /organizations/{organization_id}/logo`
pub fn delete_logo(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let now = c.state.now();
    let organization = &mut c.state.organizations[index];
    organization["image_url"] = json!("");
    organization["has_image"] = json!(false);
    organization["updated_at"] = json!(now);
    Ok(Reply::Json(strip_internal(organization)))
}

/// `POST /organizations/{organization_id}/memberships`
pub fn create_membership(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let user_id = c.req_str("user_id")?;
    let role = c.req_str("role")?;
    check_role(&role)?;
    c.state.user(&user_id)?;
    let organization = &c.state.organizations[index];
    let organization_id = organization["id"].as_str().unwrap_or_default().to_string();
    let max = organization["max_allowed_memberships"]
        .as_i64()
        .unwrap_or(0);
    if c.state.memberships.iter().any(|m| {
        m["_organization_id"] == organization_id.as_str() && m["_user_id"] == user_id.as_str()
    }) {
        return Err(ApiError::new(
            422,
            "already_a_member_in_organization",
            "already a member",
            format!("User {user_id} is already a member of the organization."),
        ));
    }
    if max > 0 && c.state.members_count(&organization_id) as i64 >= max {
        return Err(ApiError::new(
            403,
            "organization_membership_quota_exceeded",
            "Membership quota exceeded",
            "The organization has reached its maximum number of memberships.",
        ));
    }
    let membership = new_membership(c, &organization_id, &user_id, &role);
    c.state.memberships.push(membership.clone());
    Ok(Reply::Json(c.state.render_membership(&membership)))
}

fn membership_index(c: &Ctx) -> Result<usize, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let organization_id = c.state.organizations[index]["id"].clone();
    let user_id = c.path_param("user_id");
    c.state
        .memberships
        .iter()
        .position(|m| m["_organization_id"] == organization_id && m["_user_id"] == user_id.as_str())
        .ok_or_else(|| not_found("organization membership"))
}

fn list_memberships(c: &mut Ctx, organization_id: Option<String>) -> Result<Reply, ApiError> {
    // `user_id`, identifier and name filters apply to the member; `created_at_*` to the
    // membership; `last_active_at_*` to the member.
    let user_filter = crate::users::UserFilter::from_query(c, &["last_active_at"])?;
    let roles = c.query_all("role");
    let created_before = c.query_i64("created_at_before")?;
    let created_after = c.query_i64("created_at_after")?;
    let state = &*c.state;
    let mut memberships: Vec<Value> = state
        .memberships
        .iter()
        .filter(|m| {
            organization_id
                .as_ref()
                .is_none_or(|o| m["_organization_id"] == o.as_str())
                && (roles.is_empty() || roles.iter().any(|r| m["role"] == r.as_str()))
                && created_before.is_none_or(|t| m["created_at"].as_i64().is_some_and(|c| c < t))
                && created_after.is_none_or(|t| m["created_at"].as_i64().is_some_and(|c| c > t))
                && state
                    .user(m["_user_id"].as_str().unwrap_or_default())
                    .is_ok_and(|user| user_filter.matches(state, user))
        })
        .map(|m| state.render_membership(m))
        .collect();
    let order_by = c.query("order_by").unwrap_or_else(|| "-created_at".into());
    sort_by_order(&mut memberships, &order_by, &["created_at", "role"])?;
    c.paged_data(memberships)
}

/// `GET /organizations/{organization_id}/memberships`
pub fn list_organization_memberships(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    let organization_id = c.state.organizations[index]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    list_memberships(c, Some(organization_id))
}

/// `GET /organization_memberships` (all organizations)
pub fn list_all_memberships(c: &mut Ctx) -> Result<Reply, ApiError> {
    list_memberships(c, None)
}

/// `PATCH /organizations/{organization_id}/memberships/{user_id}`
pub fn update_membership(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = membership_index(c)?;
    let role = c.req_str("role")?;
    check_role(&role)?;
    let now = c.state.now();
    let membership = &mut c.state.memberships[index];
    membership["role"] = json!(role);
    membership["role_name"] = json!(role_name(&role));
    membership["permissions"] = json!(role_permissions(&role));
    membership["updated_at"] = json!(now);
    let membership = membership.clone();
    Ok(Reply::Json(c.state.render_membership(&membership)))
}

/// `DELETE /organizations/{organization_id}/memberships/{user_id}`: answers the removed membership.
pub fn delete_membership(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = membership_index(c)?;
    let rendered = c.state.render_membership(&c.state.memberships[index]);
    c.state.memberships.remove(index);
    Ok(Reply::Json(rendered))
}

/// `PATCH /organizations/{organization_id}/memberships/{user_id}/metadata`: deep merge.
pub fn merge_membership_metadata(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = membership_index(c)?;
    let mut updates = Vec::new();
    for field in ["public_metadata", "private_metadata"] {
        if let Some(value) = c.opt_object(field)? {
            updates.push((field, Value::Object(value)));
        }
    }
    let now = c.state.now();
    let membership = &mut c.state.memberships[index];
    for (field, value) in updates {
        deep_merge(&mut membership[field], &value);
    }
    membership["updated_at"] = json!(now);
    let membership = membership.clone();
    Ok(Reply::Json(c.state.render_membership(&membership)))
}

fn build_organization_invitation(
    c: &mut Ctx,
    organization_id: &str,
    item: &Value,
) -> Result<Value, ApiError> {
    let email = item["email_address"]
        .as_str()
        .filter(|e| !e.is_empty())
        .ok_or_else(|| missing("email_address"))?;
    let role = item["role"]
        .as_str()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| missing("role"))?;
    check_role(role)?;
    if !email.contains('@') {
        return Err(format_invalid(
            "email_address",
            "must be a valid email address",
        ));
    }
    if c.state.organization_invitations.iter().any(|i| {
        i["organization_id"] == organization_id
            && i["status"] == "pending"
            && i["email_address"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }) {
        return Err(ApiError::new(
            422,
            "duplicate_record",
            "duplicate invitation",
            format!("There is already a pending invitation for {email}."),
        ));
    }
    let inviter = item["inviter_user_id"].as_str();
    let public_inviter_data = match inviter {
        Some(user_id) => {
            let user = c.state.user(user_id)?;
            json!({
                "user_id": user["id"], "first_name": user["first_name"], "last_name": user["last_name"],
                "image_url": user["image_url"], "has_image": user["has_image"],
                "identifier": primary_identifier(user).as_str().unwrap_or_default(),
            })
        }
        None => Value::Null,
    };
    let now = c.state.now();
    let expires_in_days = item["expires_in_days"].as_i64().unwrap_or(30);
    Ok(json!({
        "object": "organization_invitation",
        "id": crate::ids::new_id("orginv"),
        "email_address": email,
        "role": role,
        "role_name": role_name(role),
        "organization_id": organization_id,
        "inviter_id": inviter,
        "public_inviter_data": public_inviter_data,
        "status": "pending",
        "public_metadata": item.get("public_metadata").filter(|v| v.is_object()).cloned().unwrap_or(json!({})),
        "private_metadata": item.get("private_metadata").filter(|v| v.is_object()).cloned().unwrap_or(json!({})),
        "url": null,
        "expires_at": now + expires_in_days * 24 * 3600 * 1000,
        "created_at": now,
        "updated_at": now,
    }))
}

fn organization_id_of(c: &Ctx) -> Result<String, ApiError> {
    let index = c
        .state
        .organization_index(&c.path_param("organization_id"))?;
    Ok(c.state.organizations[index]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// `POST /organizations/{organization_id}/invitations`
pub fn create_organization_invitation(c: &mut Ctx) -> Result<Reply, ApiError> {
    let organization_id = organization_id_of(c)?;
    let body = Value::Object(c.body_object()?);
    let invitation = build_organization_invitation(c, &organization_id, &body)?;
    c.state.organization_invitations.push(invitation.clone());
    Ok(Reply::Json(invitation))
}

/// `POST /organizations/{organization_id}/invitations/bulk` (array body)
pub fn create_organization_invitations_bulk(c: &mut Ctx) -> Result<Reply, ApiError> {
    let organization_id = organization_id_of(c)?;
    let items = c
        .body
        .as_array()
        .cloned()
        .ok_or_else(|| format_invalid("body", "must be an array"))?;
    let mut created = Vec::new();
    for item in &items {
        let invitation = build_organization_invitation(c, &organization_id, item)?;
        c.state.organization_invitations.push(invitation.clone());
        created.push(invitation);
    }
    let total = created.len();
    Ok(Reply::Json(crate::api::data_total(created, total)))
}

fn list_invitations_with_status(
    c: &mut Ctx,
    forced_status: Option<&str>,
) -> Result<Reply, ApiError> {
    let organization_id = organization_id_of(c)?;
    let status = forced_status
        .map(str::to_string)
        .or_else(|| c.query("status"));
    let email = c.query("email_address");
    let mut invitations: Vec<Value> = c
        .state
        .organization_invitations
        .iter()
        .filter(|i| {
            i["organization_id"] == organization_id.as_str()
                && status.as_ref().is_none_or(|s| i["status"] == s.as_str())
                && email.as_ref().is_none_or(|e| {
                    i["email_address"]
                        .as_str()
                        .is_some_and(|a| a.eq_ignore_ascii_case(e))
                })
        })
        .cloned()
        .collect();
    let order_by = c.query("order_by").unwrap_or_else(|| "-created_at".into());
    sort_by_order(
        &mut invitations,
        &order_by,
        &["created_at", "email_address"],
    )?;
    c.paged_data(invitations)
}

/// `GET /organizations/{organization_id}/invitations`
pub fn list_organization_invitations(c: &mut Ctx) -> Result<Reply, ApiError> {
    list_invitations_with_status(c, None)
}

/// `GET /organizations/{organization_id}/invitations/pending`
pub fn list_pending_organization_invitations(c: &mut Ctx) -> Result<Reply, ApiError> {
    list_invitations_with_status(c, Some("pending"))
}

fn organization_invitation_index(c: &Ctx) -> Result<usize, ApiError> {
    let organization_id = organization_id_of(c)?;
    let id = c.path_param("invitation_id");
    c.state
        .organization_invitations
        .iter()
        .position(|i| i["id"] == id.as_str() && i["organization_id"] == organization_id.as_str())
        .ok_or_else(|| not_found("organization invitation"))
}

/// `GET /organizations/{organization_id}/invitations/{invitation_id}`
pub fn get_organization_invitation(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = organization_invitation_index(c)?;
    Ok(Reply::Json(c.state.organization_invitations[index].clone()))
}

/// `POST /organizations/{organization_id}/invitations/{invitation_id}/revoke`
pub fn revoke_organization_invitation(c: &mut Ctx) -> Result<Reply, ApiError> {
    let index = organization_invitation_index(c)?;
    let now = c.state.now();
    let invitation = &mut c.state.organization_invitations[index];
    if invitation["status"] != "pending" {
        return Err(ApiError::new(
            400,
            "organization_invitation_not_pending",
            "invitation is not pending",
            "Only pending invitations can be revoked.",
        ));
    }
    invitation["status"] = json!("revoked");
    invitation["updated_at"] = json!(now);
    Ok(Reply::Json(invitation.clone()))
}

/// `GET /users/{user_id}/organization_invitations`: invitations to the user's email addresses.
pub fn user_organization_invitations(c: &mut Ctx) -> Result<Reply, ApiError> {
    let user = c.state.user(&c.path_param("user_id"))?;
    let emails: Vec<String> = user["email_addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["email_address"].as_str().map(str::to_lowercase))
        .collect();
    let status = c.query("status");
    let state = &*c.state;
    let mut invitations: Vec<Value> = state
        .organization_invitations
        .iter()
        .filter(|i| {
            i["email_address"].as_str().is_some_and(|e| emails.contains(&e.to_lowercase()))
                && status.as_ref().is_none_or(|s| i["status"] == s.as_str())
        })
        .map(|i| {
            let mut rendered = i.clone();
            if let Some(organization) = state.organizations.iter().find(|o| o["id"] == i["organization_id"]) {
                rendered["public_organization_data"] = json!({
                    "id": organization["id"], "name": organization["name"], "slug": organization["slug"],
                    "image_url": organization["image_url"], "has_image": organization["has_image"],
                });
            }
            rendered
        })
        .collect();
    invitations.reverse();
    c.paged_data(invitations)
}
