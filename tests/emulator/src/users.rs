//! Users, email addresses and phone numbers.

use serde_json::{Value, json};

use crate::api::{Ctx, Reply, deep_merge, sort_by_order};
use crate::errors::{ApiError, format_invalid, identifier_exists, missing, not_found};
use crate::state::{State, deleted};

const DEFAULT_IMAGE_URL: &str = "https://img.clerk.com/default-avatar";

fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn valid_phone(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

fn verification(verified: bool, otp_strategy: &str) -> Value {
    if verified {
        json!({"object": "verification_admin", "status": "verified", "strategy": "admin", "attempts": null, "expire_at": null})
    } else {
        json!({"object": "verification_otp", "status": "unverified", "strategy": otp_strategy, "attempts": null, "expire_at": null})
    }
}

/// How an email address or phone number is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Verified,
    Unverified,
    /// Unverified but usable for sign-in and locked to the user (`*_identification_status`).
    Reserved,
}

impl Status {
    fn from_flag(verified: bool) -> Status {
        if verified {
            Status::Verified
        } else {
            Status::Unverified
        }
    }
}

fn email_object(email: &str, status: Status, now: i64) -> Value {
    json!({
        "id": crate::ids::new_id("idn"),
        "object": "email_address",
        "email_address": email,
        "reserved": status == Status::Reserved,
        "verification": verification(status == Status::Verified, "email_code"),
        "linked_to": [],
        "matches_sso_connection": false,
        "created_at": now,
        "updated_at": now,
    })
}

fn phone_object(phone: &str, status: Status, second_factor: bool, now: i64) -> Value {
    json!({
        "id": crate::ids::new_id("idn"),
        "object": "phone_number",
        "phone_number": phone,
        "reserved_for_second_factor": second_factor,
        "default_second_factor": false,
        "reserved": status == Status::Reserved,
        "verification": verification(status == Status::Verified, "phone_code"),
        "linked_to": [],
        "backup_codes": null,
        "created_at": now,
        "updated_at": now,
    })
}

/// The `*_identification_status` list of CreateUser: one `verified`/`reserved` per
/// identifier, by position; empty or absent means all verified.
fn identification_statuses(c: &Ctx, param: &str, count: usize) -> Result<Vec<Status>, ApiError> {
    let given = c.opt_str_list(param)?;
    if given.is_empty() {
        return Ok(vec![Status::Verified; count]);
    }
    if given.len() != count {
        return Err(format_invalid(
            param,
            "must have exactly one item per identifier",
        ));
    }
    given
        .iter()
        .map(|status| match status.as_str() {
            "verified" => Ok(Status::Verified),
            "reserved" => Ok(Status::Reserved),
            _ => Err(format_invalid(param, "items must be verified or reserved")),
        })
        .collect()
}

/// An optional RFC 3339 body field as epoch milliseconds.
fn opt_timestamp(c: &Ctx, param: &str) -> Result<Option<i64>, ApiError> {
    match c.opt_str(param)? {
        None => Ok(None),
        Some(text) => crate::ids::parse_rfc3339_ms(&text)
            .map(Some)
            .ok_or_else(|| {
                format_invalid(
                    param,
                    "must be an RFC 3339 date-time such as 2012-10-20T07:15:20.902Z",
                )
            }),
    }
}

fn check_password(c: &Ctx, password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 8 && !c.opt_bool("skip_password_checks")?.unwrap_or(false) {
        return Err(ApiError::new(
            422,
            "form_password_length_too_short",
            "Passwords must be 8 characters or more.",
            "Passwords must be 8 characters or more.",
        )
        .param("password"));
    }
    Ok(())
}

/// `POST /users`
pub fn create_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.body_object()?;
    let emails = c.opt_str_list("email_address")?;
    let phones = c.opt_str_list("phone_number")?;
    let wallets = c.opt_str_list("web3_wallet")?;
    let username = c.opt_str("username")?;
    for email in &emails {
        if !valid_email(email) {
            return Err(format_invalid(
                "email_address",
                "must be a valid email address",
            ));
        }
        if c.state.email_taken(email) {
            return Err(identifier_exists("email_address"));
        }
    }
    for phone in &phones {
        if !valid_phone(phone) {
            return Err(format_invalid(
                "phone_number",
                "must be in E.164 format (+15551234567)",
            ));
        }
        if c.state.phone_taken(phone) {
            return Err(identifier_exists("phone_number"));
        }
    }
    if let Some(name) = &username {
        if name.len() < 4 || name.len() > 64 {
            return Err(format_invalid(
                "username",
                "must be between 4 and 64 characters",
            ));
        }
        if c.state.username_taken(name, None) {
            return Err(identifier_exists("username"));
        }
    }
    let password = c.opt_str("password")?;
    if let Some(password) = &password {
        check_password(c, password)?;
    }
    let external_id = c.opt_str("external_id")?;
    if let Some(external) = &external_id
        && c.state
            .users
            .iter()
            .any(|u| u["external_id"] == external.as_str())
    {
        return Err(identifier_exists("external_id"));
    }
    let now = c.state.now();
    let email_statuses =
        identification_statuses(c, "email_address_identification_status", emails.len())?;
    let phone_statuses =
        identification_statuses(c, "phone_number_identification_status", phones.len())?;
    let created_at = opt_timestamp(c, "created_at")?;
    let legal_accepted_at = opt_timestamp(c, "legal_accepted_at")?;
    let email_objects: Vec<Value> = emails
        .iter()
        .zip(email_statuses)
        .map(|(e, status)| email_object(e, status, now))
        .collect();
    let phone_objects: Vec<Value> = phones
        .iter()
        .zip(phone_statuses)
        .map(|(p, status)| phone_object(p, status, false, now))
        .collect();
    let wallet_objects: Vec<Value> = wallets
        .iter()
        .map(|w| {
            json!({"id": crate::ids::new_id("idn"), "object": "web3_wallet", "web3_wallet": w,
                   "verification": {"object": "verification_admin", "status": "verified", "strategy": "admin", "attempts": null, "expire_at": null},
                   "created_at": now, "updated_at": now})
        })
        .collect();
    let totp_enabled = c.opt_str("totp_secret")?.is_some();
    let backup_codes_enabled = !c.opt_str_list("backup_codes")?.is_empty();
    let id = c.new_id("user");
    let user = json!({
        "id": id,
        "object": "user",
        "external_id": external_id,
        "primary_email_address_id": email_objects.first().map(|e| e["id"].clone()),
        "primary_phone_number_id": phone_objects.first().map(|p| p["id"].clone()),
        "primary_web3_wallet_id": wallet_objects.first().map(|w| w["id"].clone()),
        "username": username,
        "first_name": c.opt_str("first_name")?,
        "last_name": c.opt_str("last_name")?,
        "locale": c.opt_str("locale")?,
        "profile_image_url": DEFAULT_IMAGE_URL,
        "image_url": DEFAULT_IMAGE_URL,
        "has_image": false,
        "public_metadata": c.opt_object("public_metadata")?.unwrap_or_default(),
        "private_metadata": c.opt_object("private_metadata")?.unwrap_or_default(),
        "unsafe_metadata": c.opt_object("unsafe_metadata")?.unwrap_or_default(),
        "email_addresses": email_objects,
        "phone_numbers": phone_objects,
        "web3_wallets": wallet_objects,
        "passkeys": [],
        "password_enabled": password.is_some() || c.opt_str("password_digest")?.is_some(),
        "two_factor_enabled": totp_enabled || backup_codes_enabled,
        "totp_enabled": totp_enabled,
        "backup_code_enabled": backup_codes_enabled,
        "mfa_enabled_at": (totp_enabled || backup_codes_enabled).then_some(now),
        "mfa_disabled_at": null,
        "password_last_updated_at": password.as_ref().map(|_| now),
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": null,
        "banned": c.opt_bool("banned")?.unwrap_or(false),
        "locked": c.opt_bool("locked")?.unwrap_or(false),
        "lockout_expires_in_seconds": null,
        "verification_attempts_remaining": 100,
        "updated_at": now,
        "created_at": created_at.unwrap_or(now),
        "delete_self_enabled": c.opt_bool("delete_self_enabled")?.unwrap_or(true),
        "create_organization_enabled": c.opt_bool("create_organization_enabled")?.unwrap_or(true),
        "create_organizations_limit": c.opt_i64("create_organizations_limit")?,
        "last_active_at": null,
        "legal_accepted_at": legal_accepted_at,
        "bypass_client_trust": c.opt_bool("bypass_client_trust")?.unwrap_or(false),
    });
    if let Some(password) = password {
        c.state.passwords.insert(id, password);
    }
    c.state.users.push(user.clone());
    Ok(Reply::Json(user))
}

/// `GET /users/{user_id}`
pub fn get_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::Json(c.state.user(&c.path_param("user_id"))?.clone()))
}

fn identifiers(user: &Value, list: &str, field: &str) -> Vec<String> {
    user[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item[field].as_str().map(str::to_lowercase))
        .collect()
}

fn contains_ci(value: &Value, needle: &str) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.to_lowercase().contains(needle))
}

/// The user filters of `GET /users`, `/users/count` and the membership lists, read from
/// the query. Every filter the spec lists is applied; none is silently ignored.
pub struct UserFilter {
    emails: Vec<String>,
    phones: Vec<String>,
    external_ids: Vec<String>,
    usernames: Vec<String>,
    web3_wallets: Vec<String>,
    user_ids: Vec<String>,
    organization_ids: Vec<String>,
    query: Option<String>,
    email_query: Option<String>,
    phone_query: Option<String>,
    username_query: Option<String>,
    name_query: Option<String>,
    banned: Option<bool>,
    /// `(field, bound, is_upper_bound)` on epoch-millisecond fields.
    time_bounds: Vec<(&'static str, i64, bool)>,
    /// `provider`/`provider_user_id` ask for external accounts, which the emulator never has.
    wants_external_account: bool,
}

fn lower_all(values: Vec<String>) -> Vec<String> {
    values.into_iter().map(|v| v.to_lowercase()).collect()
}

impl UserFilter {
    /// Reads the filters; `time_fields` lists the `*_before`/`*_after` filters that apply
    /// to the user (the membership lists apply `created_at_*` to the membership instead).
    pub fn from_query(c: &Ctx, time_fields: &[&'static str]) -> Result<UserFilter, ApiError> {
        let mut time_bounds = Vec::new();
        for field in time_fields {
            for (suffix, upper) in [("before", true), ("after", false), ("since", false)] {
                if let Some(bound) = c.query_i64(&format!("{field}_{suffix}"))? {
                    time_bounds.push((*field, bound, upper));
                }
            }
        }
        let lower = |name: &str| c.query(name).map(|q| q.to_lowercase());
        Ok(UserFilter {
            emails: lower_all(c.query_all("email_address")),
            phones: c.query_all("phone_number"),
            external_ids: c.query_all("external_id"),
            usernames: lower_all(c.query_all("username")),
            web3_wallets: lower_all(c.query_all("web3_wallet")),
            user_ids: c.query_all("user_id"),
            organization_ids: c.query_all("organization_id"),
            query: lower("query"),
            email_query: lower("email_address_query"),
            phone_query: lower("phone_number_query"),
            username_query: lower("username_query"),
            name_query: lower("name_query"),
            banned: c.query_bool("banned")?,
            time_bounds,
            wants_external_account: c.query("provider").is_some()
                || !c.query_all("provider_user_id").is_empty(),
        })
    }

    /// Whether a user passes every filter.
    /// True when no criterion is set: every user matches (a plain listing skips the
    /// per-user checks, which dominate a page's cost with 100,000 users).
    fn is_unfiltered(&self) -> bool {
        self.emails.is_empty()
            && self.phones.is_empty()
            && self.external_ids.is_empty()
            && self.usernames.is_empty()
            && self.web3_wallets.is_empty()
            && self.user_ids.is_empty()
            && self.organization_ids.is_empty()
            && self.query.is_none()
            && self.email_query.is_none()
            && self.phone_query.is_none()
            && self.username_query.is_none()
            && self.name_query.is_none()
            && self.banned.is_none()
            && self.time_bounds.is_empty()
            && !self.wants_external_account
    }

    pub fn matches(&self, state: &State, user: &Value) -> bool {
        let emails = identifiers(user, "email_addresses", "email_address");
        let phones = identifiers(user, "phone_numbers", "phone_number");
        let wallets = identifiers(user, "web3_wallets", "web3_wallet");
        let id = user["id"].as_str().unwrap_or_default();
        let any_of = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
        };
        let username: Vec<String> = user["username"]
            .as_str()
            .map(str::to_lowercase)
            .into_iter()
            .collect();
        let external_id: Vec<String> = user["external_id"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect();
        any_of(&self.emails, &emails)
            && any_of(&self.phones, &phones)
            && any_of(&self.web3_wallets, &wallets)
            && any_of(&self.usernames, &username)
            && any_of(&self.external_ids, &external_id)
            && (self.user_ids.is_empty() || self.user_ids.iter().any(|u| u == id))
            && (self.organization_ids.is_empty()
                || state.memberships.iter().any(|m| {
                    m["_user_id"] == id
                        && self
                            .organization_ids
                            .iter()
                            .any(|o| m["_organization_id"] == o.as_str())
                }))
            && self.query.as_ref().is_none_or(|q| {
                emails.iter().any(|e| e.contains(q))
                    || phones.iter().any(|p| p.contains(q))
                    || wallets.iter().any(|w| w.contains(q))
                    || ["username", "first_name", "last_name", "id", "external_id"]
                        .iter()
                        .any(|field| contains_ci(&user[*field], q))
            })
            && self
                .email_query
                .as_ref()
                .is_none_or(|q| emails.iter().any(|e| e.contains(q)))
            && self
                .phone_query
                .as_ref()
                .is_none_or(|q| phones.iter().any(|p| p.contains(q)))
            && self
                .username_query
                .as_ref()
                .is_none_or(|q| contains_ci(&user["username"], q))
            && self.name_query.as_ref().is_none_or(|q| {
                contains_ci(&user["first_name"], q) || contains_ci(&user["last_name"], q)
            })
            && self.banned.is_none_or(|b| user["banned"] == b)
            && self.time_bounds.iter().all(|(field, bound, upper)| {
                user[*field]
                    .as_i64()
                    .is_some_and(|t| if *upper { t < *bound } else { t > *bound })
            })
            && !self.wants_external_account
    }
}

const USER_TIME_FILTERS: [&str; 3] = ["created_at", "last_active_at", "last_sign_in_at"];

/// The users matching the list/count filters.
/// The users passing the query's filters, by reference: only a listing's page is cloned.
fn filtered_users<'s>(c: &'s Ctx) -> Result<Vec<&'s Value>, ApiError> {
    let filter = UserFilter::from_query(c, &USER_TIME_FILTERS)?;
    if filter.is_unfiltered() {
        return Ok(c.state.users.iter().collect());
    }
    Ok(c.state
        .users
        .iter()
        .filter(|user| filter.matches(c.state, user))
        .collect())
}

/// `GET /users`
pub fn list_users(c: &mut Ctx) -> Result<Reply, ApiError> {
    let mut users = filtered_users(c)?;
    let order_by = c.query("order_by").unwrap_or_else(|| "-created_at".into());
    sort_by_order(
        &mut users,
        &order_by,
        &[
            "created_at",
            "updated_at",
            "email_address",
            "phone_number",
            "username",
            "first_name",
            "last_name",
            "last_sign_in_at",
            "last_active_at",
        ],
    )?;
    if let Some(cursor) = c.query("starting_after") {
        // The spec: cursors need created_at ordering and no offset (422 otherwise).
        if order_by.trim_start_matches(['+', '-']) != "created_at" {
            return Err(format_invalid(
                "starting_after",
                "requires ordering by created_at",
            ));
        }
        if c.query_i64("offset")?.unwrap_or(0) != 0 {
            return Err(format_invalid(
                "offset",
                "cannot be combined with starting_after",
            ));
        }
        // Keyset pagination: the cursor user's created_at bounds the page, whether or not
        // that user passes the other filters.
        let bound = c
            .state
            .users
            .iter()
            .find(|u| u["id"] == cursor.as_str())
            .and_then(|u| u["created_at"].as_i64())
            .ok_or_else(|| format_invalid("starting_after", "is not the id of a user"))?;
        let descending = order_by.starts_with('-');
        users.retain(|u| {
            u["created_at"]
                .as_i64()
                .is_some_and(|t| if descending { t < bound } else { t > bound })
        });
    }
    let page: Vec<Value> = {
        let (page, total) = c.paginate(users)?;
        let page = page.into_iter().cloned().collect();
        if c.query_bool("paginated")?.unwrap_or(false) {
            return Ok(Reply::Json(crate::api::data_total(page, total)));
        }
        page
    };
    Ok(Reply::Json(Value::Array(page)))
}

/// `GET /users/count`
pub fn count_users(c: &mut Ctx) -> Result<Reply, ApiError> {
    let total = filtered_users(c)?.len();
    Ok(Reply::Json(
        json!({"object": "total_count", "total_count": total}),
    ))
}

/// `PATCH /users/{user_id}`
pub fn update_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.body_object()?;
    let id = c.path_param("user_id");
    c.state.user(&id)?;
    if let Some(name) = c.opt_str("username")?
        && c.state.username_taken(&name, Some(&id))
    {
        return Err(identifier_exists("username"));
    }
    let password = c.opt_str("password")?;
    if let Some(password) = &password {
        check_password(c, password)?;
    }
    let mut changes = serde_json::Map::new();
    for field in [
        "external_id",
        "first_name",
        "last_name",
        "locale",
        "username",
    ] {
        if let Some(value) = c.body.get(field) {
            if !(value.is_string() || value.is_null()) {
                return Err(format_invalid(field, "must be a string"));
            }
            changes.insert(field.into(), value.clone());
        }
    }
    for field in [
        "delete_self_enabled",
        "create_organization_enabled",
        "bypass_client_trust",
    ] {
        if let Some(value) = c.opt_bool(field)? {
            changes.insert(field.into(), json!(value));
        }
    }
    if let Some(limit) = c.opt_i64("create_organizations_limit")? {
        changes.insert("create_organizations_limit".into(), json!(limit));
    }
    let primary_email = c.opt_str("primary_email_address_id")?;
    let primary_phone = c.opt_str("primary_phone_number_id")?;
    let legal_accepted = opt_timestamp(c, "legal_accepted_at")?;
    let sign_out_of_other_sessions = c.opt_bool("sign_out_of_other_sessions")?.unwrap_or(false);
    let created_at = opt_timestamp(c, "created_at")?;
    let now = c.state.now();
    let user = c.state.user_mut(&id)?;
    if let Some(email_id) = primary_email {
        if !user["email_addresses"]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["id"] == email_id.as_str()))
        {
            return Err(not_found("email address"));
        }
        changes.insert("primary_email_address_id".into(), json!(email_id));
    }
    if let Some(phone_id) = primary_phone {
        if !user["phone_numbers"]
            .as_array()
            .is_some_and(|l| l.iter().any(|p| p["id"] == phone_id.as_str()))
        {
            return Err(not_found("phone number"));
        }
        changes.insert("primary_phone_number_id".into(), json!(phone_id));
    }
    if let Some(accepted) = legal_accepted {
        changes.insert("legal_accepted_at".into(), json!(accepted));
    }
    if let Some(created) = created_at {
        changes.insert("created_at".into(), json!(created));
    }
    if password.is_some() {
        changes.insert("password_enabled".into(), json!(true));
        changes.insert("password_last_updated_at".into(), json!(now));
    }
    let user_map = user.as_object_mut().expect("users are objects");
    user_map.extend(changes);
    user_map.insert("updated_at".into(), json!(now));
    let rendered = user.clone();
    if let Some(password) = password {
        c.state.passwords.insert(id.clone(), password);
    }
    if sign_out_of_other_sessions {
        for session in c
            .state
            .sessions
            .iter_mut()
            .filter(|s| s["user_id"] == id.as_str() && s["status"] == "active")
        {
            session["status"] = json!("revoked");
            session["updated_at"] = json!(now);
        }
    }
    Ok(Reply::Json(rendered))
}

/// `DELETE /users/{user_id}`: also removes the user's memberships and sessions.
pub fn delete_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("user_id");
    let state = &mut *c.state;
    let index = state
        .users
        .iter()
        .position(|u| u["id"] == id.as_str())
        .ok_or_else(|| not_found("user"))?;
    let user = state.users.remove(index);
    state.passwords.remove(&id);
    state.memberships.retain(|m| m["_user_id"] != id.as_str());
    let now = state.now();
    for session in state
        .sessions
        .iter_mut()
        .filter(|s| s["user_id"] == id.as_str())
    {
        session["status"] = json!("removed");
        session["updated_at"] = json!(now);
    }
    let mut answer = deleted("user", &user["id"]);
    if !user["external_id"].is_null() {
        answer["external_id"] = user["external_id"].clone();
    }
    Ok(Reply::Json(answer))
}

fn set_user_flags(c: &mut Ctx, changes: Value) -> Result<Reply, ApiError> {
    let id = c.path_param("user_id");
    let now = c.state.now();
    let user = c.state.user_mut(&id)?;
    for (field, value) in changes.as_object().into_iter().flatten() {
        user[field] = value.clone();
    }
    user["updated_at"] = json!(now);
    Ok(Reply::Json(user.clone()))
}

/// `POST /users/{user_id}/ban`
pub fn ban_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("user_id");
    let now = c.state.now();
    for session in c
        .state
        .sessions
        .iter_mut()
        .filter(|s| s["user_id"] == id.as_str() && s["status"] == "active")
    {
        session["status"] = json!("revoked");
        session["updated_at"] = json!(now);
    }
    set_user_flags(c, json!({"banned": true}))
}

/// `POST /users/{user_id}/unban`
pub fn unban_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    set_user_flags(c, json!({"banned": false}))
}

/// `POST /users/{user_id}/lock`
pub fn lock_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    set_user_flags(
        c,
        json!({"locked": true, "lockout_expires_in_seconds": 3600, "verification_attempts_remaining": 0}),
    )
}

/// `POST /users/{user_id}/unlock`
pub fn unlock_user(c: &mut Ctx) -> Result<Reply, ApiError> {
    set_user_flags(
        c,
        json!({"locked": false, "lockout_expires_in_seconds": null, "verification_attempts_remaining": 100}),
    )
}

fn bulk_ban(c: &mut Ctx, banned: bool) -> Result<Reply, ApiError> {
    let ids = c.opt_str_list("user_ids")?;
    if ids.is_empty() {
        return Err(missing("user_ids"));
    }
    let now = c.state.now();
    let mut answer = Vec::new();
    for id in ids {
        let user = c.state.user_mut(&id)?;
        user["banned"] = json!(banned);
        user["updated_at"] = json!(now);
        answer.push(user.clone());
    }
    Ok(Reply::Json(Value::Array(answer)))
}

/// `POST /users/ban`
pub fn users_ban(c: &mut Ctx) -> Result<Reply, ApiError> {
    bulk_ban(c, true)
}

/// `POST /users/unban`
pub fn users_unban(c: &mut Ctx) -> Result<Reply, ApiError> {
    bulk_ban(c, false)
}

/// `POST /users/{user_id}/profile_image` (multipart `file`).
pub fn set_profile_image(c: &mut Ctx) -> Result<Reply, ApiError> {
    let file = c
        .parts
        .iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| missing("file"))?;
    if file.data.is_empty() {
        return Err(format_invalid("file", "must not be empty"));
    }
    let url = format!("https://img.clerk.com/{}", crate::ids::random_base62(32));
    set_user_flags(
        c,
        json!({"has_image": true, "image_url": url, "profile_image_url": url}),
    )
}

/// `DELETE /users/{user_id}/profile_image`
pub fn delete_profile_image(c: &mut Ctx) -> Result<Reply, ApiError> {
    set_user_flags(
        c,
        json!({"has_image": false, "image_url": DEFAULT_IMAGE_URL, "profile_image_url": DEFAULT_IMAGE_URL}),
    )
}

const METADATA_FIELDS: [&str; 3] = ["public_metadata", "private_metadata", "unsafe_metadata"];

/// `PATCH /users/{user_id}/metadata`: deep merge; `null` deletes a key.
pub fn merge_user_metadata(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.body_object()?;
    let id = c.path_param("user_id");
    let mut patches = Vec::new();
    for field in METADATA_FIELDS {
        if let Some(value) = c.opt_object(field)? {
            patches.push((field, Value::Object(value)));
        }
    }
    let now = c.state.now();
    let user = c.state.user_mut(&id)?;
    for (field, patch) in patches {
        deep_merge(&mut user[field], &patch);
    }
    user["updated_at"] = json!(now);
    Ok(Reply::Json(user.clone()))
}

/// `PUT /users/{user_id}/metadata`: replaces each given metadata object.
pub fn replace_user_metadata(c: &mut Ctx) -> Result<Reply, ApiError> {
    c.body_object()?;
    let id = c.path_param("user_id");
    let mut replacements = Vec::new();
    for field in METADATA_FIELDS {
        if let Some(value) = c.opt_object(field)? {
            replacements.push((field, Value::Object(value)));
        }
    }
    let now = c.state.now();
    let user = c.state.user_mut(&id)?;
    for (field, value) in replacements {
        user[field] = value;
    }
    user["updated_at"] = json!(now);
    Ok(Reply::Json(user.clone()))
}

/// `POST /users/{user_id}/verify_password`
pub fn verify_password(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("user_id");
    c.state.user(&id)?;
    let password = c.req_str("password")?;
    match c.state.passwords.get(&id) {
        None => Err(ApiError::new(
            400,
            "password_not_set",
            "This user has no password set",
            "The user does not have a password set.",
        )),
        Some(stored) if *stored == password => Ok(Reply::Json(json!({"verified": true}))),
        Some(_) => Err(ApiError::new(
            422,
            "incorrect_password",
            "Password is incorrect. Try again, or use another method.",
            "Password is incorrect. Try again, or use another method.",
        )
        .param("password")),
    }
}

/// `GET /users/{user_id}/organization_memberships`
pub fn user_memberships(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("user_id");
    c.state.user(&id)?;
    let mut memberships: Vec<Value> = c
        .state
        .memberships
        .iter()
        .filter(|m| m["_user_id"] == id.as_str())
        .map(|m| c.state.render_membership(m))
        .collect();
    memberships.reverse();
    c.paged_data(memberships)
}

/// Finds an identification (email or phone) by id: (user index, position in list).
fn find_identification(state: &State, list: &str, id: &str) -> Option<(usize, usize)> {
    state
        .users
        .iter()
        .enumerate()
        .find_map(|(user_index, user)| {
            user[list]
                .as_array()
                .and_then(|items| items.iter().position(|item| item["id"] == id))
                .map(|position| (user_index, position))
        })
}

/// `POST /email_addresses`
pub fn create_email_address(c: &mut Ctx) -> Result<Reply, ApiError> {
    let user_id = c.req_str("user_id")?;
    let email = c.req_str("email_address")?;
    c.state.user(&user_id)?;
    if !valid_email(&email) {
        return Err(format_invalid(
            "email_address",
            "must be a valid email address",
        ));
    }
    if c.state.email_taken(&email) {
        return Err(identifier_exists("email_address"));
    }
    let verified = c.opt_bool("verified")?.unwrap_or(false);
    let primary = c.opt_bool("primary")?.unwrap_or(false);
    let now = c.state.now();
    let object = email_object(&email, Status::from_flag(verified), now);
    let user = c.state.user_mut(&user_id)?;
    attach_identification(
        user,
        "email_addresses",
        "primary_email_address_id",
        &object,
        primary,
        now,
    );
    Ok(Reply::Json(object))
}

/// Adds an email address or phone number to a user; it becomes the primary one when
/// asked to or when the user has none yet.
fn attach_identification(
    user: &mut Value,
    list: &str,
    primary_key: &str,
    object: &Value,
    primary: bool,
    now: i64,
) {
    user[list]
        .as_array_mut()
        .expect("users have a list")
        .push(object.clone());
    if primary || user[primary_key].is_null() {
        user[primary_key] = object["id"].clone();
    }
    user["updated_at"] = json!(now);
}

/// `GET /email_addresses/{email_address_id}`
pub fn get_email_address(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("email_address_id");
    let (u, p) = find_identification(c.state, "email_addresses", &id)
        .ok_or_else(|| not_found("email address"))?;
    Ok(Reply::Json(c.state.users[u]["email_addresses"][p].clone()))
}

/// `PATCH /email_addresses/{email_address_id}`
pub fn update_email_address(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("email_address_id");
    let verified = c.opt_bool("verified")?;
    let primary = c.opt_bool("primary")?;
    let (u, p) = find_identification(c.state, "email_addresses", &id)
        .ok_or_else(|| not_found("email address"))?;
    let now = c.state.now();
    let user = &mut c.state.users[u];
    if let Some(verified) = verified {
        user["email_addresses"][p]["verification"] = verification(verified, "email_code");
    }
    if primary == Some(true) {
        user["primary_email_address_id"] = json!(id);
    }
    user["email_addresses"][p]["updated_at"] = json!(now);
    user["updated_at"] = json!(now);
    Ok(Reply::Json(user["email_addresses"][p].clone()))
}

/// `DELETE /email_addresses/{email_address_id}`
pub fn delete_email_address(c: &mut Ctx) -> Result<Reply, ApiError> {
    delete_identification(
        c,
        "email_address_id",
        "email_addresses",
        "primary_email_address_id",
        "email_address",
    )
}

fn delete_identification(
    c: &mut Ctx,
    param: &str,
    list: &str,
    primary_field: &str,
    object: &str,
) -> Result<Reply, ApiError> {
    let id = c.path_param(param);
    let (u, p) = find_identification(c.state, list, &id)
        .ok_or_else(|| not_found(&object.replace('_', " ")))?;
    let now = c.state.now();
    let user = &mut c.state.users[u];
    let items = user[list].as_array_mut().expect("users have a list");
    items.remove(p);
    if user[primary_field] == id.as_str() {
        user[primary_field] = user[list]
            .get(0)
            .map(|first| first["id"].clone())
            .unwrap_or(Value::Null);
    }
    user["updated_at"] = json!(now);
    Ok(Reply::Json(deleted(object, &json!(id))))
}

/// `POST /phone_numbers`
pub fn create_phone_number(c: &mut Ctx) -> Result<Reply, ApiError> {
    let user_id = c.req_str("user_id")?;
    let phone = c.req_str("phone_number")?;
    c.state.user(&user_id)?;
    if !valid_phone(&phone) {
        return Err(format_invalid(
            "phone_number",
            "must be in E.164 format (+15551234567)",
        ));
    }
    if c.state.phone_taken(&phone) {
        return Err(identifier_exists("phone_number"));
    }
    let verified = c.opt_bool("verified")?.unwrap_or(false);
    let primary = c.opt_bool("primary")?.unwrap_or(false);
    let second_factor = c.opt_bool("reserved_for_second_factor")?.unwrap_or(false);
    let now = c.state.now();
    let object = phone_object(&phone, Status::from_flag(verified), second_factor, now);
    let user = c.state.user_mut(&user_id)?;
    attach_identification(
        user,
        "phone_numbers",
        "primary_phone_number_id",
        &object,
        primary,
        now,
    );
    Ok(Reply::Json(object))
}

/// `GET /phone_numbers/{phone_number_id}`
pub fn get_phone_number(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("phone_number_id");
    let (u, p) = find_identification(c.state, "phone_numbers", &id)
        .ok_or_else(|| not_found("phone number"))?;
    Ok(Reply::Json(c.state.users[u]["phone_numbers"][p].clone()))
}

/// `PATCH /phone_numbers/{phone_number_id}`
pub fn update_phone_number(c: &mut Ctx) -> Result<Reply, ApiError> {
    let id = c.path_param("phone_number_id");
    let verified = c.opt_bool("verified")?;
    let primary = c.opt_bool("primary")?;
    let second_factor = c.opt_bool("reserved_for_second_factor")?;
    let (u, p) = find_identification(c.state, "phone_numbers", &id)
        .ok_or_else(|| not_found("phone number"))?;
    let now = c.state.now();
    let user = &mut c.state.users[u];
    if let Some(verified) = verified {
        user["phone_numbers"][p]["verification"] = verification(verified, "phone_code");
    }
    if let Some(second_factor) = second_factor {
        user["phone_numbers"][p]["reserved_for_second_factor"] = json!(second_factor);
    }
    if primary == Some(true) {
        user["primary_phone_number_id"] = json!(id);
    }
    user["phone_numbers"][p]["updated_at"] = json!(now);
    user["updated_at"] = json!(now);
    Ok(Reply::Json(user["phone_numbers"][p].clone()))
}

/// `DELETE /phone_numbers/{phone_number_id}`
pub fn delete_phone_number(c: &mut Ctx) -> Result<Reply, ApiError> {
    delete_identification(
        c,
        "phone_number_id",
        "phone_numbers",
        "primary_phone_number_id",
        "phone_number",
    )
}
