//! Typed session claims, with the organization normalised from v1 or v2 tokens.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::jwt::{self, Payload};

/// The claims of a verified session token.
///
/// Typed fields cover what callers usually need; [`raw`](Self::raw) holds every claim
/// exactly as the token carried it (serialised as the `raw` object).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionClaims {
    /// The user id (`sub`).
    pub sub: String,
    /// The session id (`sid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The authorized party: the origin the token was minted for (`azp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The issuer: the instance's Frontend API URL (`iss`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Expiry, seconds since the epoch (`exp`, whole seconds).
    pub exp: i64,
    /// Issued at, seconds since the epoch (`iat`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before, seconds since the epoch (`nbf`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Session status (`sts`): `active` or `pending` (not checked: the caller decides).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sts: Option<String>,
    /// The impersonation actor (`act`), as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
    /// Factor verification ages in minutes (`fva`): `[first_factor, second_factor]`,
    /// `-1` for a factor that is not enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fva: Option<[i64; 2]>,
    /// The claims version (`v`): absent for v1, `2` for v2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The active organization, from v1 `org_*` claims or the v2 `o` claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    /// Features (`fea`, v2) by scope.
    pub features: ScopedNames,
    /// Plans (`pla`, v2) by scope.
    pub plans: ScopedNames,
    /// Every claim as the token carried it (JSON object text).
    #[serde(serialize_with = "serialize_raw_json")]
    pub raw: String,
}

/// The active organization of a session.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Organization {
    /// The organization id.
    pub id: String,
    /// The organization slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// The member's role, e.g. `org:admin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The member's permissions, e.g. `org:billing:manage`.
    pub permissions: Vec<String>,
}

/// Names split by scope: organization (`o:`), user (`u:`); `ou:`/`uo:` count for both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ScopedNames {
    /// Organization-scoped names.
    pub org: Vec<String>,
    /// User-scoped names.
    pub user: Vec<String>,
}

impl ScopedNames {
    /// Splits a comma-separated scoped list such as `o:dash,u:export,ou:chat`. Elements
    /// without a scope are skipped.
    pub fn parse(list: &str) -> ScopedNames {
        let mut names = ScopedNames::default();
        for part in list.split(',').map(str::trim) {
            let Some((scope, name)) = part.split_once(':') else {
                continue;
            };
            match scope {
                "o" => names.org.push(name.to_owned()),
                "u" => names.user.push(name.to_owned()),
                "ou" | "uo" => {
                    names.org.push(name.to_owned());
                    names.user.push(name.to_owned());
                }
                _ => {}
            }
        }
        names
    }
}

impl SessionClaims {
    /// Parses every claim into a JSON map (done on demand: the fast path keeps text).
    pub fn raw_claims(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.raw).unwrap_or_default()
    }

    /// One claim by name, parsed on demand.
    pub fn get(&self, name: &str) -> Option<serde_json::Value> {
        self.raw_claims().remove(name)
    }

    /// The user id (`sub`).
    pub fn user_id(&self) -> &str {
        &self.sub
    }

    /// Whether the session is `pending` (signed in, but tasks remain).
    pub fn is_pending(&self) -> bool {
        self.sts.as_deref() == Some("pending")
    }

    /// Builds the claims of a token whose required claims already passed the checks.
    pub(crate) fn from_payload(payload: &Payload<'_>, payload_json: &[u8], exp: i64) -> SessionClaims {
        let string = |raw: Option<&RawValue>| raw.and_then(jwt::as_str).map(|s| s.into_owned());
        let seconds = |raw: Option<&RawValue>| {
            raw.and_then(jwt::as_number)
                .and_then(Result::ok)
                .map(|n| n.trunc() as i64)
        };
        let version = payload
            .v
            .and_then(jwt::as_number)
            .and_then(Result::ok)
            .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= f64::from(u32::MAX))
            .map(|v| v as u32);
        let features = payload
            .fea
            .and_then(jwt::as_str)
            .map(|fea| ScopedNames::parse(&fea))
            .unwrap_or_default();
        let plans = payload
            .pla
            .and_then(jwt::as_str)
            .map(|pla| ScopedNames::parse(&pla))
            .unwrap_or_default();
        let organization = if version == Some(2) {
            payload.o.and_then(|o| organization_v2(o, &features.org))
        } else {
            organization_v1(payload)
        };
        SessionClaims {
            sub: string(payload.sub).unwrap_or_default(),
            sid: string(payload.sid),
            azp: string(payload.azp),
            iss: string(payload.iss),
            exp,
            iat: seconds(payload.iat),
            nbf: seconds(payload.nbf),
            sts: string(payload.sts),
            act: payload
                .act
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .filter(|act: &serde_json::Value| !act.is_null()),
            fva: payload.fva.and_then(|raw| serde_json::from_str(raw.get()).ok()),
            version,
            organization,
            features,
            plans,
            // The payload was parsed as a JSON object, so it is valid UTF-8 JSON.
            raw: String::from_utf8_lossy(payload_json).into_owned(),
        }
    }
}

fn organization_v1(payload: &Payload<'_>) -> Option<Organization> {
    let id = payload.org_id.and_then(jwt::as_str)?;
    let permissions = payload
        .org_permissions
        .and_then(|raw| serde_json::from_str::<Vec<String>>(raw.get()).ok())
        .unwrap_or_default();
    Some(Organization {
        id: id.into_owned(),
        slug: payload.org_slug.and_then(jwt::as_str).map(|s| s.into_owned()),
        role: payload.org_role.and_then(jwt::as_str).map(|s| s.into_owned()),
        permissions,
    })
}

/// The v2 `o` claim.
#[derive(serde::Deserialize)]
struct OrgClaimV2 {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    slg: Option<String>,
    #[serde(default)]
    rol: Option<String>,
    #[serde(default)]
    per: Option<String>,
    #[serde(default)]
    fpm: Option<String>,
}

fn organization_v2(raw: &RawValue, org_features: &[String]) -> Option<Organization> {
    let org: OrgClaimV2 = serde_json::from_str(raw.get()).ok()?;
    let permissions = match (org.per.as_deref(), org.fpm.as_deref()) {
        (Some(per), Some(fpm)) if !per.is_empty() && !fpm.is_empty() => {
            org_permissions(org_features, per, fpm)
        }
        _ => Vec::new(),
    };
    Some(Organization {
        id: org.id.unwrap_or_default(),
        slug: org.slg,
        role: org.rol.filter(|r| !r.is_empty()).map(|r| format!("org:{r}")),
        permissions,
    })
}

/// Expands v2 permissions: `fpm` holds one decimal bitmask per org-scoped feature (in
/// order); bit `i` grants `per[i]`. Masks may exceed 2^53, so they are decoded as
/// arbitrary-length decimals; a malformed mask grants nothing for its feature.
pub fn org_permissions(org_features: &[String], per: &str, fpm: &str) -> Vec<String> {
    let permissions: Vec<&str> = per.split(',').map(str::trim).collect();
    let mut granted = Vec::new();
    for (feature, mask) in org_features.iter().zip(fpm.split(',').map(str::trim)) {
        let Some(bits) = decimal_to_bits(mask) else {
            continue;
        };
        for (permission, bit) in permissions.iter().zip(bits) {
            if bit {
                granted.push(format!("org:{feature}:{permission}"));
            }
        }
    }
    granted
}

/// The binary digits of a non-negative decimal, least significant first; `None` unless
/// the text is one or more ASCII digits.
fn decimal_to_bits(decimal: &str) -> Option<Vec<bool>> {
    if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Base 2^32 limbs, little-endian; multiply by ten and add each digit.
    let mut limbs: Vec<u64> = vec![0];
    for digit in decimal.bytes().map(|b| u64::from(b - b'0')) {
        let mut carry = digit;
        for limb in &mut limbs {
            let value = *limb * 10 + carry;
            *limb = value & 0xffff_ffff;
            carry = value >> 32;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    let mut bits = Vec::with_capacity(limbs.len() * 32);
    for limb in limbs {
        for shift in 0..32 {
            bits.push((limb >> shift) & 1 == 1);
        }
    }
    Some(bits)
}

fn serialize_raw_json<S: Serializer>(raw: &str, serializer: S) -> Result<S::Ok, S::Error> {
    let value: &RawValue = serde_json::from_str(raw).map_err(serde::ser::Error::custom)?;
    value.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn worked_example_from_the_reference() {
        let features = ScopedNames::parse("o:dash,o:billing");
        assert_eq!(
            org_permissions(&features.org, "read,manage", "3,2"),
            strings(&["org:dash:read", "org:dash:manage", "org:billing:manage"])
        );
    }

    #[test]
    fn masks_beyond_two_to_the_53() {
        // 2^60 + 1: bits 0 and 60.
        let per: Vec<String> = (0..61).map(|i| format!("p{i}")).collect();
        let granted = org_permissions(&strings(&["f"]), &per.join(","), "1152921504606846977");
        assert_eq!(granted, strings(&["org:f:p0", "org:f:p60"]));
        // 2^53 + 1 is not representable as a double; bit 0 must survive.
        let granted = org_permissions(&strings(&["f"]), &per.join(","), "9007199254740993");
        assert_eq!(granted, strings(&["org:f:p0", "org:f:p53"]));
    }

    #[test]
    fn malformed_mask_grants_nothing_for_its_feature() {
        let features = strings(&["a", "b"]);
        assert_eq!(org_permissions(&features, "read", "x1,1"), strings(&["org:b:read"]));
        assert_eq!(org_permissions(&features, "read", "-1,"), Vec::<String>::new());
    }

    #[test]
    fn scoped_names() {
        let names = ScopedNames::parse("o:a, u:b,ou:c,uo:d,x:e,nocolon");
        assert_eq!(names.org, strings(&["a", "c", "d"]));
        assert_eq!(names.user, strings(&["b", "c", "d"]));
    }

    fn claims(json: &str) -> SessionClaims {
        let payload: Payload<'_> = serde_json::from_str(json).unwrap();
        SessionClaims::from_payload(&payload, json.as_bytes(), 0)
    }

    #[test]
    fn v1_organization() {
        let c = claims(
            r#"{"sub":"user_1","org_id":"org_1","org_slug":"acme","org_role":"org:admin","org_permissions":["org:x:read"]}"#,
        );
        assert_eq!(
            c.organization,
            Some(Organization {
                id: "org_1".into(),
                slug: Some("acme".into()),
                role: Some("org:admin".into()),
                permissions: strings(&["org:x:read"]),
            })
        );
        assert_eq!(c.version, None);
    }

    #[test]
    fn v2_organization_features_plans_and_factors() {
        let c = claims(
            r#"{"sub":"user_1","v":2,"sid":"sess_1","sts":"pending","fva":[3,-1],
                "fea":"o:dash,u:export,ou:billing","pla":"u:free,o:pro",
                "o":{"id":"org_2","slg":"acme","rol":"admin","per":"read,manage","fpm":"3,2"}}"#,
        );
        let org = c.organization.clone().unwrap();
        assert_eq!(org.id, "org_2");
        assert_eq!(org.role.as_deref(), Some("org:admin"));
        assert_eq!(org.permissions, strings(&["org:dash:read", "org:dash:manage", "org:billing:manage"]));
        assert_eq!(c.features.user, strings(&["export", "billing"]));
        assert_eq!(c.plans.org, strings(&["pro"]));
        assert_eq!(c.fva, Some([3, -1]));
        assert!(c.is_pending());
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["raw"]["o"]["fpm"], "3,2");
        assert_eq!(json["organization"]["permissions"][2], "org:billing:manage");
    }

    #[test]
    fn v2_without_o_has_no_organization_even_with_v1_claims() {
        let c = claims(r#"{"sub":"u","v":2,"org_id":"org_1"}"#);
        assert_eq!(c.organization, None);
    }
}
