//! The options of request authentication: one serde type, used as is by the C ABI
//! (`clerk_authenticate_request`'s `options`) and the CLI (`clerk authenticate --jsonl`).
//! Keys are the snake_case names of `@clerk/backend`'s `authenticateRequest` options;
//! unknown keys are refused, naming the key.

use std::fmt;

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Deserializer, Serialize};

use super::machine::MachineTokenType;

/// Options of [`authenticate_request`](super::authenticate_request).
///
/// `secret_key`, `jwt_key`, `machine_secret_key` are redacted in `Debug`.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AuthenticateOptions {
    /// The instance's secret key. The core verifies with the [`Verifier`](super::Verifier)'s
    /// keys; this key only tells a development instance apart (satellite checks) and is
    /// required by [`check_reference_keys`](Self::check_reference_keys).
    #[serde(deserialize_with = "nullable")]
    pub secret_key: Option<String>,
    /// A separate secret for verifying opaque M2M tokens (`mt_...`), as the reference's
    /// `machineSecretKey`.
    #[serde(deserialize_with = "nullable")]
    pub machine_secret_key: Option<String>,
    /// The instance's publishable key (`pk_test_...` / `pk_live_...`): gives the Frontend
    /// API (handshake redirects), the instance type (development instances use the
    /// dev-browser token) and the suffix of the suffixed cookie names.
    #[serde(deserialize_with = "nullable")]
    pub publishable_key: Option<String>,
    /// A PEM public key; front ends that build a verifier per request (the CLI) use it.
    #[serde(deserialize_with = "nullable")]
    pub jwt_key: Option<String>,
    /// Origins allowed in `azp` (overrides the verifier's when non-empty).
    #[serde(deserialize_with = "nullable_list")]
    pub authorized_parties: Vec<String>,
    /// Accepted audiences (a string or a list; overrides the verifier's when non-empty).
    #[serde(deserialize_with = "one_or_many")]
    pub audience: Vec<String>,
    /// Clock skew tolerance in milliseconds (overrides the verifier's; at most 5 minutes).
    #[serde(deserialize_with = "nullable")]
    pub clock_skew_ms: Option<u64>,
    /// The satellite (or primary) domain, e.g. `satellite.example.com`.
    #[serde(deserialize_with = "nullable")]
    pub domain: Option<String>,
    /// Whether this application is a satellite of another domain.
    #[serde(deserialize_with = "nullable")]
    pub is_satellite: Option<bool>,
    /// A Frontend API proxy: absolute (`https://app.example.com/__clerk`) or relative to
    /// the request's origin (`/__clerk`).
    #[serde(deserialize_with = "nullable")]
    pub proxy_url: Option<String>,
    /// The sign-in URL (satellites of development instances redirect there to sync).
    #[serde(deserialize_with = "nullable")]
    pub sign_in_url: Option<String>,
    /// The sign-up URL (reported, not used for decisions).
    #[serde(deserialize_with = "nullable")]
    pub sign_up_url: Option<String>,
    /// Satellites: hand over to the primary domain even on a first visit without cookies
    /// (default false: such a visit is signed out).
    #[serde(deserialize_with = "nullable")]
    pub satellite_auto_sync: Option<bool>,
    /// Which token types to accept: one type, a list, or `"any"` (default
    /// `session_token`).
    #[serde(deserialize_with = "accepts")]
    pub accepts_token: AcceptsToken,
    /// Organization sync: URL path patterns that select the active organization.
    #[serde(deserialize_with = "nullable")]
    pub organization_sync_options: Option<OrganizationSyncOptions>,
}

impl fmt::Debug for AuthenticateOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthenticateOptions")
            .field("secret_key", &redacted(&self.secret_key))
            .field("machine_secret_key", &redacted(&self.machine_secret_key))
            .field("publishable_key", &self.publishable_key)
            .field("jwt_key", &self.jwt_key.as_ref().map(|_| "<pem>"))
            .field("authorized_parties", &self.authorized_parties)
            .field("audience", &self.audience)
            .field("clock_skew_ms", &self.clock_skew_ms)
            .field("domain", &self.domain)
            .field("is_satellite", &self.is_satellite)
            .field("proxy_url", &self.proxy_url)
            .field("sign_in_url", &self.sign_in_url)
            .field("sign_up_url", &self.sign_up_url)
            .field("satellite_auto_sync", &self.satellite_auto_sync)
            .field("accepts_token", &self.accepts_token)
            .field("organization_sync_options", &self.organization_sync_options)
            .finish()
    }
}

impl AuthenticateOptions {
    /// Default options (session tokens only, no instance keys).
    pub fn new() -> AuthenticateOptions {
        AuthenticateOptions::default()
    }

    /// Sets the publishable key.
    pub fn publishable_key(mut self, key: impl Into<String>) -> Self {
        self.publishable_key = Some(key.into());
        self
    }

    /// Sets the accepted token types.
    pub fn accepts_token(mut self, accepts: AcceptsToken) -> Self {
        self.accepts_token = accepts;
        self
    }

    /// Sets the authorized parties.
    pub fn authorized_parties<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        parties: I,
    ) -> Self {
        self.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// The reference's key checks, which the core itself relaxes because its
    /// [`Verifier`](super::Verifier) holds the keys: a secret key is required (a machine or
    /// secret key when only M2M tokens are accepted), and a publishable key unless only
    /// API keys or M2M tokens are accepted. Front ends that mirror the reference option
    /// for option (the CLI) call this first.
    pub fn check_reference_keys(&self) -> Result<(), String> {
        let present = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
        let machine_only = matches!(
            self.accepts_token,
            AcceptsToken::One(TokenType::M2mToken) | AcceptsToken::One(TokenType::ApiKey)
        );
        if !machine_only && !present(&self.publishable_key) {
            return Err("Publishable key is missing.".to_owned());
        }
        if self.accepts_token == AcceptsToken::One(TokenType::M2mToken) {
            if !present(&self.machine_secret_key) && !present(&self.secret_key) {
                return Err("Machine token authentication requires either a Machine secret key or a Clerk secret key. Ensure a Clerk secret key or Machine secret key is set.".to_owned());
            }
        } else if !present(&self.secret_key) {
            return Err("Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.".to_owned());
        }
        Ok(())
    }
}

/// Which token types a request may authenticate with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AcceptsToken {
    /// `"any"`: every type.
    #[serde(serialize_with = "any_string")]
    Any,
    /// One type (the default: `session_token`).
    One(TokenType),
    /// A list: a token in the header must be of one of these types, and a request
    /// without one is refused unless the list holds `session_token`.
    List(Vec<TokenType>),
}

fn any_string<S: serde::Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str("any")
}

impl Default for AcceptsToken {
    fn default() -> Self {
        AcceptsToken::One(TokenType::SessionToken)
    }
}

impl AcceptsToken {
    /// Whether a token of this type is accepted.
    pub fn accepts(&self, token_type: TokenType) -> bool {
        match self {
            AcceptsToken::Any => true,
            AcceptsToken::One(one) => *one == token_type,
            AcceptsToken::List(list) => list.contains(&token_type),
        }
    }
}

/// The reference's `organizationSyncOptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct OrganizationSyncOptions {
    /// Path patterns (path-to-regexp 6 syntax: `/orgs/:slug`, `/orgs/:id/(.*)`) whose
    /// `:id` or `:slug` names the organization to activate.
    #[serde(deserialize_with = "nullable_list")]
    pub organization_patterns: Vec<String>,
    /// Path patterns of the personal account (no active organization).
    #[serde(deserialize_with = "nullable_list")]
    pub personal_account_patterns: Vec<String>,
}

fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

fn nullable_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

fn accepts<'de, D: Deserializer<'de>>(d: D) -> Result<AcceptsToken, D::Error> {
    use serde::de::Error;
    let value = Option::<serde_json::Value>::deserialize(d)?;
    let parse = |value: serde_json::Value| {
        TokenType::deserialize(value).map_err(|_| {
            D::Error::custom(
                "accepts_token: expected \"any\", session_token, api_key, m2m_token or oauth_token, or a list of them",
            )
        })
    };
    match value {
        None => Ok(AcceptsToken::default()),
        Some(serde_json::Value::String(any)) if any == "any" => Ok(AcceptsToken::Any),
        Some(serde_json::Value::Array(items)) => Ok(AcceptsToken::List(
            items.into_iter().map(parse).collect::<Result<_, _>>()?,
        )),
        Some(one) => Ok(AcceptsToken::One(parse(one)?)),
    }
}

/// A development or production instance, from the publishable key's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceType {
    /// `pk_test_...`
    Development,
    /// `pk_live_...`
    Production,
}

/// A parsed publishable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishableKey {
    /// Development or production.
    pub instance_type: InstanceType,
    /// The Frontend API host the key encodes, e.g. `clerk.example.com`.
    pub frontend_api: String,
}

/// Parses a publishable key as the reference does (`pk_test_` / `pk_live_`, then base64
/// of `<frontend api>$`); the error is the reference's message.
pub fn parse_publishable_key(key: &str) -> Result<PublishableKey, String> {
    if key.is_empty() {
        return Err("Publishable key is missing.".to_owned());
    }
    let invalid = || "Publishable key not valid (expected format: pk_test_... or pk_live_...).";
    let instance_type = if key.starts_with("pk_live_") {
        InstanceType::Production
    } else if key.starts_with("pk_test_") {
        InstanceType::Development
    } else {
        return Err(invalid().to_owned());
    };
    let parts: Vec<&str> = key.split('_').collect();
    if parts.len() != 3 || parts[2].is_empty() {
        return Err(invalid().to_owned());
    }
    // `atob`: padding optional, bytes read as Latin-1 characters.
    let engine = GeneralPurpose::new(
        &STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let decoded: String = engine
        .decode(parts[2])
        .map_err(|_| invalid().to_owned())?
        .into_iter()
        .map(char::from)
        .collect();
    let Some(frontend_api) = decoded.strip_suffix('$') else {
        return Err(invalid().to_owned());
    };
    if frontend_api.contains('$') || !frontend_api.contains('.') {
        return Err(invalid().to_owned());
    }
    Ok(PublishableKey {
        instance_type,
        frontend_api: frontend_api.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let error = serde_json::from_str::<AuthenticateOptions>(r#"{"publishableKey":"x"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("publishableKey"), "{error}");
        let error = serde_json::from_str::<AuthenticateOptions>(
            r#"{"organization_sync_options":{"organizationPatterns":[]}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("organizationPatterns"), "{error}");
    }

    #[test]
    fn accepts_token_forms() {
        let parse = |json: &str| {
            serde_json::from_str::<AuthenticateOptions>(json)
                .map(|o| o.accepts_token)
                .map_err(|e| e.to_string())
        };
        assert_eq!(parse("{}"), Ok(AcceptsToken::One(TokenType::SessionToken)));
        assert_eq!(parse(r#"{"accepts_token":"any"}"#), Ok(AcceptsToken::Any));
        assert_eq!(
            parse(r#"{"accepts_token":"api_key"}"#),
            Ok(AcceptsToken::One(TokenType::ApiKey))
        );
        assert_eq!(
            parse(r#"{"accepts_token":["api_key","m2m_token"]}"#),
            Ok(AcceptsToken::List(vec![
                TokenType::ApiKey,
                TokenType::M2mToken
            ]))
        );
        assert!(parse(r#"{"accepts_token":["pigeon"]}"#).is_err());
    }

    #[test]
    fn secrets_are_redacted() {
        let options: AuthenticateOptions =
            serde_json::from_str(r#"{"secret_key":"sk_test_secret","machine_secret_key":"ak_x"}"#)
                .unwrap();
        let shown = format!("{options:?}");
        assert!(
            !shown.contains("sk_test_secret") && !shown.contains("ak_x"),
            "{shown}"
        );
    }

    #[test]
    fn publishable_keys() {
        let key = parse_publishable_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k").unwrap();
        assert_eq!(key.instance_type, InstanceType::Development);
        assert_eq!(key.frontend_api, "clerk.example.com");
        let key = parse_publishable_key("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k").unwrap();
        assert_eq!(key.instance_type, InstanceType::Production);
        assert!(parse_publishable_key("pk_live_Y2xlcmsuZXhhbXBsZS5jb20").is_err());
        assert!(parse_publishable_key("sk_live_Y2xlcmsuZXhhbXBsZS5jb20k").is_err());
        assert!(parse_publishable_key("").is_err());
    }
}

/// The token types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenType {
    /// A Clerk session token (JWT).
    SessionToken,
    /// An API key.
    ApiKey,
    /// A machine-to-machine token.
    M2mToken,
    /// An OAuth access token.
    OauthToken,
}

impl From<MachineTokenType> for TokenType {
    fn from(kind: MachineTokenType) -> TokenType {
        match kind {
            MachineTokenType::ApiKey => TokenType::ApiKey,
            MachineTokenType::M2mToken => TokenType::M2mToken,
            MachineTokenType::OauthToken => TokenType::OauthToken,
        }
    }
}
