//! Client and verifier configuration as data: one serde type per builder.
//!
//! [`ClientConfig`] maps one to one onto [`ClientBuilder`](crate::ClientBuilder) and
//! [`VerifierConfig`] onto [`VerifierBuilder`](crate::verify::VerifierBuilder), by
//! snake_case keys with durations in milliseconds. They are the JSON the C library's
//! `clerk_client_new` / `clerk_verifier_new` take (and so the Python and Go bindings'
//! settings), and what the `clerk` tool builds from its environment: one definition of
//! every setting, its key and its meaning for every front end.
//!
//! Every key is optional; an absent key keeps the builder's default. Unknown keys and
//! values of the wrong JSON type are refused by [`ClientConfig::from_json`] /
//! [`VerifierConfig::from_json`] with [`Error::Config`] naming the key and the accepted
//! keys; values out of range are refused by `build()`, as the builders refuse them.
//!
//! ```
//! use clerk_core::ClientConfig;
//!
//! let config = ClientConfig::from_json(
//!     r#"{"secret_key": "sk_test_x", "api_url": "http://127.0.0.1:9",
//!         "headers": {"X-Gateway": "edge-1"}, "retry": {"max_attempts": 1}}"#,
//! )?;
//! let client = config.build()?;
//! assert_eq!(client.api_url(), "http://127.0.0.1:9");
//! let typo = ClientConfig::from_json(r#"{"secret_kye": "x"}"#).unwrap_err();
//! assert!(typo.to_string().contains("unknown field `secret_kye`, expected one of"));
//! # Ok::<(), clerk_core::Error>(())
//! ```

use std::fmt;
use std::time::Duration;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::client::{Client, ClientBuilder, RootCertificates, redact};
use crate::error::{Error, Result};
use crate::transport::RetryPolicy;
use crate::verify::{Verifier, VerifierBuilder};

/// Every setting of [`ClientBuilder`], by snake_case key (durations in milliseconds).
///
/// JSON: `{"from_env", "secret_key", "api_url", "api_version", "user_agent",
/// "timeout_connect_ms", "timeout_request_ms", "max_response_bytes",
/// "retry": {"max_attempts", "initial_backoff_ms", "max_backoff_ms", "max_elapsed_ms"},
/// "root_certificates": "webpki" | "system", "root_certificates_pem", "proxy",
/// "proxy_from_env", "headers": {"Name": "value", ...}}`.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Start from [`Client::builder_from_env`] (`CLERK_SECRET_KEY`, `CLERK_API_URL`,
    /// `CLERK_API_VERSION`) and apply the other keys on top.
    #[serde(default)]
    pub from_env: bool,
    /// [`ClientBuilder::secret_key`].
    pub secret_key: Option<String>,
    /// [`ClientBuilder::api_url`].
    pub api_url: Option<String>,
    /// [`ClientBuilder::api_version`].
    pub api_version: Option<String>,
    /// [`ClientBuilder::user_agent`].
    pub user_agent: Option<String>,
    /// [`ClientBuilder::timeout_connect`], in milliseconds.
    pub timeout_connect_ms: Option<u64>,
    /// [`ClientBuilder::timeout_request`], in milliseconds.
    pub timeout_request_ms: Option<u64>,
    /// [`ClientBuilder::max_response_bytes`].
    pub max_response_bytes: Option<u64>,
    /// [`ClientBuilder::retry_policy`]; absent keys keep [`RetryPolicy::default`]'s values.
    pub retry: Option<RetryConfig>,
    /// [`ClientBuilder::root_certificates`]: the compiled-in Mozilla roots (`"webpki"`,
    /// the default) or the system's store (`"system"`).
    pub root_certificates: Option<RootStore>,
    /// PEM text of the only certificate authorities to trust (overrides
    /// `root_certificates`).
    pub root_certificates_pem: Option<String>,
    /// [`ClientBuilder::proxy`].
    pub proxy: Option<String>,
    /// [`ClientBuilder::proxy_from_env`].
    pub proxy_from_env: Option<bool>,
    /// [`ClientBuilder::header`], once per entry, in the order given: an object of header
    /// names to string values.
    #[serde(default, deserialize_with = "header_pairs")]
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("from_env", &self.from_env)
            .field("secret_key", &self.secret_key.as_deref().map(redact))
            .field("api_url", &self.api_url)
            .field("api_version", &self.api_version)
            .field("user_agent", &self.user_agent)
            .field("timeout_connect_ms", &self.timeout_connect_ms)
            .field("timeout_request_ms", &self.timeout_request_ms)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .field("root_certificates", &self.root_certificates)
            .field(
                "root_certificates_pem",
                &self.root_certificates_pem.as_ref().map(|_| "[set]"),
            )
            .field("proxy", &self.proxy.as_ref().map(|_| "[set]"))
            .field("proxy_from_env", &self.proxy_from_env)
            // Header values may be credentials (a gateway token): names only.
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Which built-in root store [`ClientConfig::root_certificates`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RootStore {
    /// [`RootCertificates::WebPki`].
    Webpki,
    /// [`RootCertificates::System`].
    System,
}

/// [`RetryPolicy`] with durations in milliseconds; absent keys keep the default policy's
/// values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RetryConfig {
    /// [`RetryPolicy::max_attempts`].
    pub max_attempts: Option<u32>,
    /// [`RetryPolicy::initial_backoff`], in milliseconds.
    pub initial_backoff_ms: Option<u64>,
    /// [`RetryPolicy::max_backoff`], in milliseconds.
    pub max_backoff_ms: Option<u64>,
    /// [`RetryPolicy::max_elapsed`], in milliseconds.
    pub max_elapsed_ms: Option<u64>,
}

impl RetryConfig {
    /// The policy: [`RetryPolicy::default`] with the given values in place, checked by
    /// [`RetryPolicy::builder`] (an out-of-range value is its `Error::Config`).
    pub fn policy(&self) -> Result<RetryPolicy> {
        let mut builder = RetryPolicy::builder();
        if let Some(attempts) = self.max_attempts {
            builder = builder.max_attempts(attempts);
        }
        if let Some(ms) = self.initial_backoff_ms {
            builder = builder.initial_backoff(Duration::from_millis(ms));
        }
        if let Some(ms) = self.max_backoff_ms {
            builder = builder.max_backoff(Duration::from_millis(ms));
        }
        if let Some(ms) = self.max_elapsed_ms {
            builder = builder.max_elapsed(Duration::from_millis(ms));
        }
        builder.build()
    }
}

/// Parses a configuration object; the error names the type, the key and the keys accepted
/// (serde names the accepted keys for an unknown one; for a wrong type this finds the key).
fn parse<T: DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    if json.trim().is_empty() {
        return parse_object(what, Map::new());
    }
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(object)) => parse_object(what, object),
        Ok(other) => Err(Error::config(format!(
            "{what} config: expected a JSON object of settings, got {}",
            crate::json_params::json_type_name(&other)
        ))),
        Err(error) => Err(Error::config(format!(
            "{what} config is not valid JSON: {error}"
        ))),
    }
}

fn parse_object<T: DeserializeOwned>(what: &str, object: Map<String, Value>) -> Result<T> {
    serde_json::from_value(Value::Object(object.clone())).map_err(|error| {
        let message = error.to_string();
        // The first key that fails on its own is the one to name.
        let culprit = object.iter().find(|(key, value)| {
            let single = Map::from_iter([((*key).clone(), (*value).clone())]);
            serde_json::from_value::<T>(Value::Object(single)).is_err()
        });
        match culprit {
            Some((key, _)) if !message.contains(&format!("`{key}`")) => {
                Error::config(format!("{what} config: `{key}`: {message}"))
            }
            _ => Error::config(format!("{what} config: {message}")),
        }
    })
}

impl ClientConfig {
    /// Parses the JSON form (blank text is `{}`: every default, no secret key). Unknown
    /// keys and wrong JSON types are an [`Error::Config`] naming the key and the accepted
    /// keys.
    pub fn from_json(json: &str) -> Result<ClientConfig> {
        parse("client", json)
    }

    /// The configuration of [`Client::from_env`]: `{"from_env": true}`.
    pub fn from_env() -> ClientConfig {
        ClientConfig {
            from_env: true,
            ..ClientConfig::default()
        }
    }

    /// A builder with every given setting applied (starting from the environment with
    /// `from_env`, which fails when `CLERK_SECRET_KEY` is not set).
    pub fn builder(&self) -> Result<ClientBuilder> {
        let mut builder = if self.from_env {
            Client::builder_from_env()?
        } else {
            Client::builder()
        };
        if let Some(secret_key) = &self.secret_key {
            builder = builder.secret_key(secret_key);
        }
        if let Some(api_url) = &self.api_url {
            builder = builder.api_url(api_url);
        }
        if let Some(api_version) = &self.api_version {
            builder = builder.api_version(api_version);
        }
        if let Some(user_agent) = &self.user_agent {
            builder = builder.user_agent(user_agent);
        }
        if let Some(ms) = self.timeout_connect_ms {
            builder = builder.timeout_connect(Duration::from_millis(ms));
        }
        if let Some(ms) = self.timeout_request_ms {
            builder = builder.timeout_request(Duration::from_millis(ms));
        }
        if let Some(limit) = self.max_response_bytes {
            builder = builder.max_response_bytes(limit);
        }
        if let Some(retry) = &self.retry {
            builder = builder.retry_policy(retry.policy()?);
        }
        let roots = match (&self.root_certificates_pem, self.root_certificates) {
            (Some(pem), _) => Some(RootCertificates::Pem(pem.clone().into_bytes())),
            (None, Some(RootStore::System)) => Some(RootCertificates::System),
            (None, Some(RootStore::Webpki)) => Some(RootCertificates::WebPki),
            (None, None) => None,
        };
        if let Some(roots) = roots {
            builder = builder.root_certificates(roots);
        }
        if let Some(proxy) = &self.proxy {
            builder = builder.proxy(proxy);
        }
        if let Some(enabled) = self.proxy_from_env {
            builder = builder.proxy_from_env(enabled);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        Ok(builder)
    }

    /// Builds the client; a setting out of range is an [`Error::Config`] naming it.
    pub fn build(&self) -> Result<Client> {
        self.builder()?.build()
    }
}

/// Every setting of [`VerifierBuilder`] that is data, by snake_case key (durations in
/// milliseconds). The client whose JWKS feeds the verifier is passed beside it
/// ([`VerifierConfig::builder`]), not in the JSON.
///
/// JSON: `{"from_env", "jwt_key", "authorized_parties": [...], "audience": [...],
/// "issuer": [...], "clock_skew_ms", "jwks_ttl_ms", "kid_refetch_interval_ms",
/// "max_stale_ms", "token_cache_size"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VerifierConfig {
    /// Start from the environment, as [`Verifier::from_env`] reads it: `CLERK_JWT_KEY`
    /// (a PEM public key) when set, and the JWKS of [`Client::from_env`] when
    /// `CLERK_SECRET_KEY` is set ([`Verifier::builder_from_env`]); a client passed to
    /// [`VerifierConfig::builder`] replaces the environment's.
    #[serde(default)]
    pub from_env: bool,
    /// [`VerifierBuilder::pem_key`]: a PEM public key for networkless verification (takes
    /// precedence over the JWKS).
    pub jwt_key: Option<String>,
    /// [`VerifierBuilder::authorized_parties`].
    #[serde(default)]
    pub authorized_parties: Vec<String>,
    /// [`VerifierBuilder::audience`].
    #[serde(default)]
    pub audience: Vec<String>,
    /// [`VerifierBuilder::issuer`].
    #[serde(default)]
    pub issuer: Vec<String>,
    /// [`VerifierBuilder::clock_skew`], in milliseconds.
    pub clock_skew_ms: Option<u64>,
    /// [`VerifierBuilder::jwks_ttl`], in milliseconds.
    pub jwks_ttl_ms: Option<u64>,
    /// [`VerifierBuilder::kid_refetch_interval`], in milliseconds.
    pub kid_refetch_interval_ms: Option<u64>,
    /// [`VerifierBuilder::max_stale`], in milliseconds.
    pub max_stale_ms: Option<u64>,
    /// [`VerifierBuilder::token_cache_size`]: verified-token cache entries (0: off).
    pub token_cache_size: Option<usize>,
}

impl VerifierConfig {
    /// Parses the JSON form (blank text is `{}`). Unknown keys and wrong JSON types are an
    /// [`Error::Config`] naming the key and the accepted keys.
    pub fn from_json(json: &str) -> Result<VerifierConfig> {
        parse("verifier", json)
    }

    /// The configuration of [`Verifier::from_env`]: `{"from_env": true}`.
    pub fn from_env() -> VerifierConfig {
        VerifierConfig {
            from_env: true,
            ..VerifierConfig::default()
        }
    }

    /// A builder with every given setting applied; `client` (when given) supplies the
    /// JWKS and verifies opaque machine tokens. With `from_env`, building the
    /// environment's client can fail ([`Error::Config`]).
    pub fn builder(&self, client: Option<Client>) -> Result<VerifierBuilder> {
        let mut builder = if self.from_env {
            Verifier::builder_from_env()?
        } else {
            Verifier::builder()
        };
        if let Some(client) = client {
            builder = builder.client(client);
        }
        if let Some(pem) = &self.jwt_key {
            builder = builder.pem_key(pem);
        }
        builder = builder
            .authorized_parties(self.authorized_parties.iter().cloned())
            .audience(self.audience.iter().cloned())
            .issuer(self.issuer.iter().cloned());
        let millis = Duration::from_millis;
        if let Some(ms) = self.clock_skew_ms {
            builder = builder.clock_skew(millis(ms));
        }
        if let Some(ms) = self.jwks_ttl_ms {
            builder = builder.jwks_ttl(millis(ms));
        }
        if let Some(ms) = self.kid_refetch_interval_ms {
            builder = builder.kid_refetch_interval(millis(ms));
        }
        if let Some(ms) = self.max_stale_ms {
            builder = builder.max_stale(millis(ms));
        }
        if let Some(entries) = self.token_cache_size {
            builder = builder.token_cache_size(entries);
        }
        Ok(builder)
    }

    /// Builds the verifier ([`VerifierBuilder::build`]: an unusable PEM key or a setting
    /// out of range is an [`Error::Config`]).
    pub fn build(&self, client: Option<Client>) -> Result<Verifier> {
        self.builder(client)?.build()
    }
}

/// `"headers": {"Name": "value", ...}` as pairs in the order given.
fn header_pairs<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Vec<(String, String)>, D::Error> {
    struct Pairs;
    impl<'de> Visitor<'de> for Pairs {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of header names to string values")
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some((name, value)) = map.next_entry::<String, String>()? {
                pairs.push((name, value));
            }
            Ok(pairs)
        }
    }
    deserializer.deserialize_any(Pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_key_reaches_the_builder() {
        let config = ClientConfig::from_json(
            r#"{"secret_key": "sk_test_abc", "api_url": "http://127.0.0.1:9/", "api_version": "2025-01-01",
                "user_agent": "app/1", "timeout_connect_ms": 100, "timeout_request_ms": 200,
                "max_response_bytes": 1000, "retry": {"max_attempts": 1, "initial_backoff_ms": 1,
                "max_backoff_ms": 2, "max_elapsed_ms": 3}, "root_certificates": "webpki",
                "proxy_from_env": false, "headers": {"X-One": "1", "X-Two": "2"}}"#,
        )
        .unwrap();
        assert_eq!(
            config.headers,
            [("X-One".into(), "1".into()), ("X-Two".into(), "2".into())]
        );
        let retry = config.retry.as_ref().unwrap().policy().unwrap();
        assert_eq!(retry.max_attempts(), 1);
        assert_eq!(retry.max_elapsed(), Duration::from_millis(3));
        let builder = format!("{:?}", config.builder().unwrap());
        assert!(
            builder.contains("extra_headers: [\"X-One\", \"X-Two\"]"),
            "{builder}"
        );
        assert!(builder.contains("max_response_bytes: 1000"), "{builder}");
        let client = config.build().unwrap();
        assert!(client.has_secret_key());
        assert_eq!(client.api_url(), "http://127.0.0.1:9");
        assert_eq!(client.api_version(), "2025-01-01");
        assert!(client.user_agent().starts_with("app/1 "));
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key_and_the_accepted_keys() {
        let error = ClientConfig::from_json(r#"{"secret_kye": "x"}"#).unwrap_err();
        assert_eq!(error.kind(), "config");
        let message = error.to_string();
        assert!(
            message.contains("client config: unknown field `secret_kye`"),
            "{message}"
        );
        assert!(message.contains("`headers`"), "{message}");
        let error = ClientConfig::from_json(r#"{"retry": {"attempts": 2}}"#).unwrap_err();
        assert!(error.to_string().contains("`max_attempts`"), "{error}");
        for bad in [
            r#"{"timeout_request_ms": "5s"}"#,
            r#"{"root_certificates": "mine"}"#,
            r#"{"headers": {"X-A": 1}}"#,
            r#"{"headers": ["X-A"]}"#,
            "[1, 2]",
            "{",
        ] {
            let error = ClientConfig::from_json(bad).unwrap_err();
            assert_eq!(error.kind(), "config", "{bad}");
        }
        let error = ClientConfig::from_json("[1]").unwrap_err();
        assert!(
            error.to_string().contains("expected a JSON object"),
            "{error}"
        );
        let error = VerifierConfig::from_json(r#"{"jwt_kye": "x"}"#).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("verifier config: unknown field `jwt_kye`"),
            "{message}"
        );
        assert!(message.contains("`max_stale_ms`"), "{message}");
    }

    #[test]
    fn builder_validation_stays_in_build() {
        let config = ClientConfig::from_json(r#"{"retry": {"max_attempts": 0}}"#).unwrap();
        assert_eq!(config.build().unwrap_err().kind(), "config");
        let config = ClientConfig::from_json(r#"{"headers": {"Host": "x"}}"#).unwrap();
        assert!(config.build().unwrap_err().to_string().contains("Host"));
        let config = VerifierConfig::from_json(r#"{"clock_skew_ms": 300001}"#).unwrap();
        assert!(
            config
                .build(None)
                .unwrap_err()
                .to_string()
                .contains("clock_skew")
        );
        let config = VerifierConfig::from_json(r#"{"jwt_key": "not a pem"}"#).unwrap();
        assert_eq!(config.build(None).unwrap_err().kind(), "config");
    }

    #[test]
    fn debug_redacts_secrets_and_header_values() {
        let config = ClientConfig::from_json(
            r#"{"secret_key": "sk_test_TopSecret", "headers": {"X-Token": "hidden-value"}}"#,
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("TopSecret") && !shown.contains("hidden-value"),
            "{shown}"
        );
        assert!(shown.contains("X-Token"), "{shown}");
    }
}
