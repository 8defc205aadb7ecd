//! The in-memory store. Resources are kept as JSON objects in the spec's shapes, in
//! creation order; a few internal links (prefixed `_`) are stripped when rendered.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::errors::{ApiError, not_found};

/// Every resource the emulator keeps.
#[derive(Debug)]
pub struct State {
    /// The instance id (`ins_...`).
    pub instance_id: String,
    /// Users, with their email addresses, phone numbers and web3 wallets embedded.
    pub users: Vec<Value>,
    /// Passwords by user id (never rendered).
    pub passwords: HashMap<String, String>,
    /// Organizations.
    pub organizations: Vec<Value>,
    /// Memberships, with `_organization_id` and `_user_id` links.
    pub memberships: Vec<Value>,
    /// Organization invitations.
    pub organization_invitations: Vec<Value>,
    /// Instance invitations.
    pub invitations: Vec<Value>,
    /// Allow-list identifiers.
    pub allowlist: Vec<Value>,
    /// Block-list identifiers.
    pub blocklist: Vec<Value>,
    /// Sessions.
    pub sessions: Vec<Value>,
    /// Clients (`session_ids` kept; `sessions` rendered on read).
    pub clients: Vec<Value>,
    /// JWT templates.
    pub jwt_templates: Vec<Value>,
    /// Sign-in tokens.
    pub sign_in_tokens: Vec<Value>,
    /// Actor tokens.
    pub actor_tokens: Vec<Value>,
    /// Redirect URLs.
    pub redirect_urls: Vec<Value>,
    /// API keys (the secret kept in `_secret`).
    pub api_keys: Vec<Value>,
    /// Domains (the primary one first).
    pub domains: Vec<Value>,
    /// `GET /instance`.
    pub instance: Value,
    /// `PATCH /instance/restrictions`.
    pub restrictions: Value,
    /// `/instance/organization_settings`.
    pub organization_settings: Value,
    /// `PATCH /beta_features/instance_settings`.
    pub auth_config: Value,
    /// `PATCH /instance` settings that have no GET shape of their own.
    pub instance_settings: Value,
    last_timestamp: i64,
}

impl State {
    /// A fresh instance whose frontend API is `issuer`.
    pub fn new(issuer: &str) -> State {
        let instance_id = crate::ids::new_id("ins");
        let now = crate::ids::now_ms();
        let host = issuer
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        State {
            instance: json!({
                "object": "instance",
                "id": instance_id,
                "environment_type": "development",
                "allowed_origins": null,
                "workspace_id": null,
            }),
            restrictions: json!({
                "object": "instance_restrictions",
                "allowlist": false,
                "blocklist": false,
                "allowlist_blocklist_disabled_on_sign_in": false,
                "block_email_subaddresses": false,
                "block_disposable_email_domains": false,
            }),
            organization_settings: json!({
                "object": "organization_settings",
                "enabled": true,
                "max_allowed_memberships": 5,
                "max_allowed_roles": 10,
                "max_allowed_domains": 10,
                "max_allowed_permissions": 50,
                "creator_role": "org:admin",
                "admin_delete_enabled": true,
                "domains_enabled": false,
                "slug_disabled": false,
                "domains_enrollment_modes": [],
                "domains_default_role": "org:member",
                "initial_role_set_key": null,
            }),
            auth_config: json!({
                "object": "instance_settings",
                "id": instance_id,
                "restricted_to_allowlist": false,
                "from_email_address": "notifications",
                "progressive_sign_up": true,
                "enhanced_email_deliverability": false,
            }),
            instance_settings: json!({}),
            domains: vec![json!({
                "object": "domain",
                "id": crate::ids::new_id("dmn"),
                "name": host,
                "is_satellite": false,
                "frontend_api_url": issuer,
                "accounts_portal_url": null,
                "proxy_url": null,
                "development_origin": "",
                "cname_targets": null,
                "_created_at": now,
            })],
            instance_id,
            users: Vec::new(),
            passwords: HashMap::new(),
            organizations: Vec::new(),
            memberships: Vec::new(),
            organization_invitations: Vec::new(),
            invitations: Vec::new(),
            allowlist: Vec::new(),
            blocklist: Vec::new(),
            sessions: Vec::new(),
            clients: Vec::new(),
            jwt_templates: Vec::new(),
            sign_in_tokens: Vec::new(),
            actor_tokens: Vec::new(),
            redirect_urls: Vec::new(),
            api_keys: Vec::new(),
            last_timestamp: 0,
        }
    }

    /// The current time in epoch milliseconds, strictly increasing across calls so
    /// that creation order and `created_at` order agree.
    pub fn now(&mut self) -> i64 {
        self.last_timestamp = crate::ids::now_ms().max(self.last_timestamp + 1);
        self.last_timestamp
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Result<&Value, ApiError> {
        self.users
            .iter()
            .find(|u| u["id"] == id)
            .ok_or_else(|| not_found("user"))
    }

    /// The user with this id, mutably.
    pub fn user_mut(&mut self, id: &str) -> Result<&mut Value, ApiError> {
        self.users
            .iter_mut()
            .find(|u| u["id"] == id)
            .ok_or_else(|| not_found("user"))
    }

    /// The organization with this id or slug.
    pub fn organization_index(&self, id_or_slug: &str) -> Result<usize, ApiError> {
        self.organizations
            .iter()
            .position(|o| o["id"] == id_or_slug || o["slug"] == id_or_slug)
            .ok_or_else(|| not_found("organization"))
    }

    /// Number of memberships of an organization.
    pub fn members_count(&self, organization_id: &str) -> usize {
        self.memberships
            .iter()
            .filter(|m| m["_organization_id"] == organization_id)
            .count()
    }

    /// Whether any user owns this email address (case-insensitive).
    pub fn email_taken(&self, email: &str) -> bool {
        self.users.iter().any(|u| {
            u["email_addresses"].as_array().is_some_and(|list| {
                list.iter().any(|e| {
                    e["email_address"]
                        .as_str()
                        .is_some_and(|a| a.eq_ignore_ascii_case(email))
                })
            })
        })
    }

    /// Whether any user owns this phone number.
    pub fn phone_taken(&self, phone: &str) -> bool {
        self.users.iter().any(|u| {
            u["phone_numbers"]
                .as_array()
                .is_some_and(|list| list.iter().any(|p| p["phone_number"] == phone))
        })
    }

    /// Whether any user other than `except_user` has this username (case-insensitive).
    pub fn username_taken(&self, username: &str, except_user: Option<&str>) -> bool {
        self.users.iter().any(|u| {
            u["username"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(username))
                && except_user.is_none_or(|id| u["id"] != id)
        })
    }

    /// The organization as the spec's `Organization`; `members_count` only when asked.
    pub fn render_organization(&self, organization: &Value, include_members_count: bool) -> Value {
        let mut rendered = strip_internal(organization);
        if include_members_count {
            let id = organization["id"].as_str().unwrap_or_default();
            rendered["members_count"] = json!(self.members_count(id));
            rendered["pending_invitations_count"] = json!(
                self.organization_invitations
                    .iter()
                    .filter(|i| i["organization_id"] == id && i["status"] == "pending")
                    .count()
            );
        }
        rendered
    }

    /// A membership as the spec's `OrganizationMembership`.
    pub fn render_membership(&self, membership: &Value) -> Value {
        let mut rendered = strip_internal(membership);
        let organization_id = membership["_organization_id"].as_str().unwrap_or_default();
        if let Some(organization) = self
            .organizations
            .iter()
            .find(|o| o["id"] == organization_id)
        {
            rendered["organization"] = self.render_organization(organization, false);
        }
        let user_id = membership["_user_id"].as_str().unwrap_or_default();
        if let Ok(user) = self.user(user_id) {
            rendered["public_user_data"] = public_user_data(user);
        }
        rendered
    }

    /// A session as the spec's `Session`.
    pub fn session(&self, id: &str) -> Result<&Value, ApiError> {
        self.sessions
            .iter()
            .find(|s| s["id"] == id)
            .ok_or_else(|| not_found("session"))
    }

    /// A client as the spec's `Client` (sessions embedded).
    pub fn render_client(&self, client: &Value) -> Value {
        let mut rendered = client.clone();
        let sessions: Vec<Value> = client["session_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| self.sessions.iter().find(|s| s["id"] == *id).cloned())
            .collect();
        rendered["sessions"] = Value::Array(sessions);
        rendered
    }
}

/// The user's public data as memberships embed it.
pub fn public_user_data(user: &Value) -> Value {
    let identifier = primary_identifier(user);
    json!({
        "user_id": user["id"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "profile_image_url": user["profile_image_url"],
        "image_url": user["image_url"],
        "has_image": user["has_image"],
        "identifier": identifier,
        "username": user["username"],
        "banned": user["banned"],
    })
}

/// The primary email address, else phone number, else username.
pub fn primary_identifier(user: &Value) -> Value {
    let find = |list: &str, id_field: &str, value_field: &str| {
        user[list]
            .as_array()
            .and_then(|items| items.iter().find(|item| item["id"] == user[id_field]))
            .map(|item| item[value_field].clone())
    };
    find(
        "email_addresses",
        "primary_email_address_id",
        "email_address",
    )
    .or_else(|| find("phone_numbers", "primary_phone_number_id", "phone_number"))
    .unwrap_or_else(|| user["username"].clone())
}

/// A copy without the internal `_`-prefixed fields.
pub fn strip_internal(value: &Value) -> Value {
    let mut copy = value.clone();
    if let Value::Object(map) = &mut copy {
        map.retain(|key, _| !key.starts_with('_'));
    }
    copy
}

/// The `{object, id, deleted: true}` answer of delete operations.
pub fn deleted(object: &str, id: &Value) -> Value {
    json!({ "object": object, "id": id, "deleted": true })
}
