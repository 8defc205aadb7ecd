//! Typed session claims, with the organization normalised from v1 or v2 tokens.

use std::sync::OnceLock;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::jwt::{self, Payload};

/// The claims of a verified session token.
///
/// The common claims are fields; the organization, features, plans and actor are derived
/// on first use (from spans of the payload kept at verification, so the fast path pays
/// nothing for claims a caller never reads). [`raw`](Self::raw) is every claim as the
/// token carried it. Serialises to JSON with all of it (`raw` as an object).
#[derive(Debug, Clone)]
pub struct SessionClaims {
    /// The user id (`sub`).
    pub sub: String,
    /// The session id (`sid`).
    pub sid: Option<String>,
    /// The authorized party: the origin the token was minted for (`azp`).
    pub azp: Option<String>,
    /// The issuer: the instance's Frontend API URL (`iss`).
    pub iss: Option<String>,
    /// Expiry, seconds since the epoch (`exp`, whole seconds).
    pub exp: i64,
    /// Issued at, seconds since the epoch (`iat`).
    pub iat: Option<i64>,
    /// Not before, seconds since the epoch (`nbf`).
    pub nbf: Option<i64>,
    /// Session status (`sts`): `active` or `pending` (not checked: the caller decides).
    pub sts: Option<String>,
    /// Factor verification ages in minutes (`fva`): `[first_factor, second_factor]`,
    /// `-1` for a factor that is not enabled.
    pub fva: Option<[i64; 2]>,
    /// The claims version (`v`): absent for v1, `2` for v2.
    pub version: Option<u32>,
    /// The payload JSON text.
    pub(crate) raw: String,
    spans: LazySpans,
    derived: OnceLock<Derived>,
}

impl PartialEq for SessionClaims {
    /// Claims are equal when their payloads are (everything else derives from it).
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw && self.exp == other.exp
    }
}

/// Where the claims that are derived lazily sit in the payload text.
#[derive(Debug, Clone, Copy, Default)]
struct LazySpans {
    act: Option<Span>,
    o: Option<Span>,
    fea: Option<Span>,
    pla: Option<Span>,
    org_id: Option<Span>,
    org_role: Option<Span>,
    org_slug: Option<Span>,
    org_permissions: Option<Span>,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// The span of `value` inside `text` (which it borrows from).
    fn of(text: &str, value: Option<&RawValue>) -> Option<Span> {
        let value = value?.get();
        let start = (value.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        let end = start.checked_add(value.len())?;
        (end <= text.len()).then_some(Span { start, end })
    }

    fn raw(span: Option<Span>, text: &str) -> Option<&RawValue> {
        let span = span?;
        serde_json::from_str(text.get(span.start..span.end)?).ok()
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Derived {
    organization: Option<Organization>,
    features: ScopedNames,
    plans: ScopedNames,
    act: Option<serde_json::Value>,
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
    /// The payload as JSON text: every claim exactly as the token carried it.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Parses every claim into a JSON map.
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

    /// The active organization, from v1 `org_*` claims or the v2 `o` claim.
    pub fn organization(&self) -> Option<&Organization> {
        self.derived().organization.as_ref()
    }

    /// Features (`fea`, v2) by scope.
    pub fn features(&self) -> &ScopedNames {
        &self.derived().features
    }

    /// Plans (`pla`, v2) by scope.
    pub fn plans(&self) -> &ScopedNames {
        &self.derived().plans
    }

    /// The impersonation actor (`act`), as given.
    pub fn act(&self) -> Option<&serde_json::Value> {
        self.derived().act.as_ref()
    }

    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let text = self.raw.as_str();
            let string = |span| Span::raw(span, text).and_then(jwt::as_str);
            let features = string(self.spans.fea)
                .map(|fea| ScopedNames::parse(&fea))
                .unwrap_or_default();
            let plans = string(self.spans.pla)
                .map(|pla| ScopedNames::parse(&pla))
                .unwrap_or_default();
            let organization = if self.version == Some(2) {
                Span::raw(self.spans.o, text).and_then(|o| organization_v2(o, &features.org))
            } else {
                string(self.spans.org_id).map(|id| Organization {
                    id: id.into_owned(),
                    slug: string(self.spans.org_slug).map(|s| s.into_owned()),
                    role: string(self.spans.org_role).map(|s| s.into_owned()),
                    permissions: Span::raw(self.spans.org_permissions, text)
                        .and_then(|raw| serde_json::from_str::<Vec<String>>(raw.get()).ok())
                        .unwrap_or_default(),
                })
            };
            let act = Span::raw(self.spans.act, text)
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .filter(|act: &serde_json::Value| !act.is_null());
            Derived {
                organization,
                features,
                plans,
                act,
            }
        })
    }

    /// Builds the claims of a token whose required claims already passed the checks;
    /// `payload` was parsed from `text`, which the caller then moves into `raw`.
    pub(crate) fn from_payload(payload: &Payload<'_>, text: &str, exp: i64) -> SessionClaims {
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
        SessionClaims {
            sub: string(payload.sub).unwrap_or_default(),
            sid: string(payload.sid),
            azp: string(payload.azp),
            iss: string(payload.iss),
            exp,
            iat: seconds(payload.iat),
            nbf: seconds(payload.nbf),
            sts: string(payload.sts),
            fva: payload.fva.and_then(|raw| parse_fva(raw.get())),
            version,
            raw: String::new(),
            spans: LazySpans {
                act: Span::of(text, payload.act),
                o: Span::of(text, payload.o),
                fea: Span::of(text, payload.fea),
                pla: Span::of(text, payload.pla),
                org_id: Span::of(text, payload.org_id),
                org_role: Span::of(text, payload.org_role),
                org_slug: Span::of(text, payload.org_slug),
                org_permissions: Span::of(text, payload.org_permissions),
            },
            derived: OnceLock::new(),
        }
    }
}

impl Serialize for SessionClaims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("sub", &self.sub)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("sid", sid)?;
        }
        if let Some(azp) = &self.azp {
            map.serialize_entry("azp", azp)?;
        }
        if let Some(iss) = &self.iss {
            map.serialize_entry("iss", iss)?;
        }
        map.serialize_entry("exp", &self.exp)?;
        if let Some(iat) = &self.iat {
            map.serialize_entry("iat", iat)?;
        }
        if let Some(nbf) = &self.nbf {
            map.serialize_entry("nbf", nbf)?;
        }
        if let Some(sts) = &self.sts {
            map.serialize_entry("sts", sts)?;
        }
        if let Some(act) = self.act() {
            map.serialize_entry("act", act)?;
        }
        if let Some(fva) = &self.fva {
            map.serialize_entry("fva", fva)?;
        }
        if let Some(version) = &self.version {
            map.serialize_entry("version", version)?;
        }
        if let Some(organization) = self.organization() {
            map.serialize_entry("organization", organization)?;
        }
        map.serialize_entry("features", self.features())?;
        map.serialize_entry("plans", self.plans())?;
        let raw: &RawValue = serde_json::from_str(&self.raw).map_err(serde::ser::Error::custom)?;
        map.serialize_entry("raw", raw)?;
        map.end()
    }
}

/// `fva`: `[first_factor_age, second_factor_age]` as integers; anything else is ignored.
fn parse_fva(text: &str) -> Option<[i64; 2]> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let (first, second) = inner.split_once(',')?;
    Some([first.trim().parse().ok()?, second.trim().parse().ok()?])
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
        role: org
            .rol
            .filter(|r| !r.is_empty())
            .map(|r| format!("org:{r}")),
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
        let Some(mask) = Mask::parse(mask) else {
            continue;
        };
        for (index, permission) in permissions.iter().enumerate() {
            if mask.bit(index) {
                granted.push(format!("org:{feature}:{permission}"));
            }
        }
    }
    granted
}

/// A feature permission mask: a `u64` when it fits (the usual case, no allocation),
/// else arbitrary-length bits.
enum Mask {
    Small(u64),
    Big(Vec<bool>),
}

impl Mask {
    fn parse(decimal: &str) -> Option<Mask> {
        if decimal.len() <= 19 {
            if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            return decimal.parse().ok().map(Mask::Small);
        }
        decimal_to_bits(decimal).map(Mask::Big)
    }

    fn bit(&self, index: usize) -> bool {
        match self {
            Mask::Small(mask) => index < 64 && (mask >> index) & 1 == 1,
            Mask::Big(bits) => bits.get(index).copied().unwrap_or(false),
        }
    }
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
        assert_eq!(
            org_permissions(&features, "read", "x1,1"),
            strings(&["org:b:read"])
        );
        assert_eq!(
            org_permissions(&features, "read", "-1,"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn scoped_names() {
        let names = ScopedNames::parse("o:a, u:b,ou:c,uo:d,x:e,nocolon");
        assert_eq!(names.org, strings(&["a", "c", "d"]));
        assert_eq!(names.user, strings(&["b", "c", "d"]));
    }

    fn claims(json: &str) -> SessionClaims {
        let payload: Payload<'_> = serde_json::from_str(json).unwrap();
        let mut claims = SessionClaims::from_payload(&payload, json, 0);
        claims.raw = json.to_owned();
        claims
    }

    #[test]
    fn v1_organization() {
        let c = claims(
            r#"{"sub":"user_1","org_id":"org_1","org_slug":"acme","org_role":"org:admin","org_permissions":["org:x:read"]}"#,
        );
        assert_eq!(
            c.organization().cloned(),
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
        let org = c.organization().cloned().unwrap();
        assert_eq!(org.id, "org_2");
        assert_eq!(org.role.as_deref(), Some("org:admin"));
        assert_eq!(
            org.permissions,
            strings(&["org:dash:read", "org:dash:manage", "org:billing:manage"])
        );
        assert_eq!(c.features().user, strings(&["export", "billing"]));
        assert_eq!(c.plans().org, strings(&["pro"]));
        assert_eq!(c.fva, Some([3, -1]));
        assert!(c.is_pending());
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["raw"]["o"]["fpm"], "3,2");
        assert_eq!(json["organization"]["permissions"][2], "org:billing:manage");
    }

    #[test]
    fn v2_without_o_has_no_organization_even_with_v1_claims() {
        let c = claims(r#"{"sub":"u","v":2,"org_id":"org_1"}"#);
        assert_eq!(c.organization().cloned(), None);
    }
}
