//! Authorization checks on a verified session, with the semantics of the reference's
//! `auth.has(...)` (`@clerk/shared/authorization`): organization role and permission
//! (with `org:` prefixes), billing feature and plan (`o:`/`u:` scopes of `fea`/`pla`),
//! and reverification (factor ages in `fva`).

use serde::Deserialize;
use serde_json::Value;

use super::SessionClaims;

/// What [`SessionClaims::has`] checks: every given part must pass, and at least one part
/// must be given (an empty check is `false`, as in the reference).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Check {
    /// An organization role, e.g. `org:admin` (`admin` is read as `org:admin`).
    pub role: Option<String>,
    /// An organization permission, e.g. `org:invoices:read`.
    pub permission: Option<String>,
    /// A billing feature: `name` (either scope), `org:name` / `o:name`, `user:name` / `u:name`.
    pub feature: Option<String>,
    /// A billing plan, scoped as features are.
    pub plan: Option<String>,
    /// A reverification requirement.
    pub reverification: Option<Reverification>,
}

impl Check {
    /// A role check.
    pub fn role(role: impl Into<String>) -> Check {
        Check {
            role: Some(role.into()),
            ..Check::default()
        }
    }

    /// A permission check.
    pub fn permission(permission: impl Into<String>) -> Check {
        Check {
            permission: Some(permission.into()),
            ..Check::default()
        }
    }

    /// A feature check.
    pub fn feature(feature: impl Into<String>) -> Check {
        Check {
            feature: Some(feature.into()),
            ..Check::default()
        }
    }

    /// A plan check.
    pub fn plan(plan: impl Into<String>) -> Check {
        Check {
            plan: Some(plan.into()),
            ..Check::default()
        }
    }

    /// A reverification check.
    pub fn reverification(reverification: Reverification) -> Check {
        Check {
            reverification: Some(reverification),
            ..Check::default()
        }
    }
}

/// A reverification requirement: a preset name or a level and a maximum age.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Reverification {
    /// `strict_mfa` (multi factor, 10 min), `strict` (second factor, 10 min), `moderate`
    /// (second factor, 60 min), `lax` (second factor, 24 h); other names never pass.
    Preset(String),
    /// A level (`first_factor`, `second_factor`, `multi_factor`) and minutes (> 0).
    Custom {
        /// The factor level.
        level: String,
        /// How recent the verification must be, in minutes.
        after_minutes: f64,
    },
}

#[derive(PartialEq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

fn prefix_with_org(value: &str) -> String {
    let mut rest = value;
    while let Some(stripped) = rest.strip_prefix("org:") {
        rest = stripped;
    }
    format!("org:{rest}")
}

/// The reference's `splitByScope`: an element without `:` makes the whole claim invalid.
fn split_by_scope(claim: &str) -> Option<(Vec<&str>, Vec<&str>)> {
    let (mut org, mut user) = (Vec::new(), Vec::new());
    if claim.is_empty() {
        return Some((org, user));
    }
    for part in claim.split(',').map(str::trim) {
        let (scope, value) = part.split_once(':')?;
        match scope {
            "o" => org.push(value),
            "u" => user.push(value),
            "ou" | "uo" => {
                org.push(value);
                user.push(value);
            }
            _ => {}
        }
    }
    Some((org, user))
}

fn check_feature_or_plan(claim: &str, wanted: &str) -> bool {
    let Some((org, user)) = split_by_scope(claim) else {
        return false;
    };
    let mut parts = wanted.split(':');
    let raw_scope = parts.next().unwrap_or_default();
    match parts.next() {
        // `scope:` with an empty id checks the scope name itself, as `rawId || rawScope`.
        Some(raw_id) => {
            let id = if raw_id.is_empty() { raw_scope } else { raw_id };
            match raw_scope {
                "o" | "org" | "organization" => org.contains(&id),
                "u" | "user" => user.contains(&id),
                _ => false,
            }
        }
        None => org.contains(&raw_scope) || user.contains(&raw_scope),
    }
}

impl SessionClaims {
    /// `auth.has(check)`: `true` when every given part of the check passes (and at least
    /// one is given). Role and permission need an active organization; features and
    /// plans read `fea`/`pla`; reverification reads `fva`.
    pub fn has(&self, check: &Check) -> bool {
        if self.sub.is_empty() {
            return false;
        }
        let results = [
            self.check_organization(check),
            self.check_billing(check),
            self.check_reverification(check),
        ];
        results.contains(&Outcome::Pass) && !results.contains(&Outcome::Fail)
    }

    /// Whether the active organization role is `role` (Go's `HasRole`).
    pub fn has_role(&self, role: &str) -> bool {
        self.has(&Check::role(role))
    }

    /// Whether the active organization grants `permission` (Go's `HasPermission`).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.has(&Check::permission(permission))
    }

    /// Whether the session has verified recently enough for `requirement`.
    pub fn is_reverified(&self, requirement: &Reverification) -> bool {
        self.has(&Check::reverification(requirement.clone()))
    }

    fn check_organization(&self, check: &Check) -> Outcome {
        if check.role.is_none() && check.permission.is_none() {
            return Outcome::Skip;
        }
        let Some(org) = self.organization() else {
            return Outcome::Fail;
        };
        if org.id.is_empty() {
            return Outcome::Fail;
        }
        if let Some(role) = &check.role {
            match org.role.as_deref() {
                Some(own) if !own.is_empty() && prefix_with_org(own) == prefix_with_org(role) => {}
                _ => return Outcome::Fail,
            }
        }
        if let Some(permission) = &check.permission {
            if !org.permissions.contains(&prefix_with_org(permission)) {
                return Outcome::Fail;
            }
        }
        Outcome::Pass
    }

    fn string_claim(&self, name: &str) -> String {
        match self.get(name) {
            Some(Value::String(text)) => text,
            _ => String::new(),
        }
    }

    fn check_billing(&self, check: &Check) -> Outcome {
        if check.feature.is_none() && check.plan.is_none() {
            return Outcome::Skip;
        }
        for (wanted, claim) in [(&check.feature, "fea"), (&check.plan, "pla")] {
            if let Some(wanted) = wanted {
                let claim = self.string_claim(claim);
                if claim.is_empty() || !check_feature_or_plan(&claim, wanted) {
                    return Outcome::Fail;
                }
            }
        }
        Outcome::Pass
    }

    fn check_reverification(&self, check: &Check) -> Outcome {
        let Some(requirement) = &check.reverification else {
            return Outcome::Skip;
        };
        let ages = match self.get("fva") {
            Some(Value::Array(items)) if items.len() == 2 => items,
            _ => return Outcome::Fail,
        };
        let age = |value: &Value| {
            value
                .as_f64()
                .filter(|age| age.is_finite() && (*age == -1.0 || *age >= 0.0))
        };
        let (Some(first), Some(second)) = (age(&ages[0]), age(&ages[1])) else {
            return Outcome::Fail;
        };
        let (level, after_minutes) = match requirement {
            Reverification::Preset(name) => match name.as_str() {
                "strict_mfa" => ("multi_factor", 10.0),
                "strict" => ("second_factor", 10.0),
                "moderate" => ("second_factor", 60.0),
                "lax" => ("second_factor", 1440.0),
                _ => return Outcome::Fail,
            },
            Reverification::Custom {
                level,
                after_minutes,
            } => {
                let valid_level = matches!(
                    level.as_str(),
                    "first_factor" | "second_factor" | "multi_factor"
                );
                // `> 0` as a positive test, so NaN fails too.
                let positive = after_minutes.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater);
                if !valid_level || !positive {
                    return Outcome::Fail;
                }
                (level.as_str(), *after_minutes)
            }
        };
        if first == -1.0 && second == -1.0 {
            return Outcome::Fail;
        }
        let first_fresh = first != -1.0 && after_minutes > first;
        let second_fresh = second != -1.0 && after_minutes > second;
        let pass = match level {
            "first_factor" => first_fresh,
            "second_factor" if second == -1.0 => first_fresh,
            "second_factor" if first == -1.0 => second_fresh,
            "second_factor" => second_fresh,
            "multi_factor" if second == -1.0 => first_fresh,
            "multi_factor" if first == -1.0 => false,
            _ => first_fresh && second_fresh,
        };
        if pass { Outcome::Pass } else { Outcome::Fail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert!(check_feature_or_plan("o:dash,u:export", "dash"));
        assert!(check_feature_or_plan("o:dash,u:export", "org:dash"));
        assert!(!check_feature_or_plan("o:dash,u:export", "user:dash"));
        assert!(check_feature_or_plan("ou:chat", "u:chat"));
        assert!(!check_feature_or_plan("o:dash,broken", "dash"));
        assert!(!check_feature_or_plan("o:dash", "team:dash"));
        assert_eq!(prefix_with_org("org:org:admin"), "org:admin");
        assert_eq!(prefix_with_org("admin"), "org:admin");
    }
}
