//! The client configuration JSON of `clerk_client_new`, mapped one to one onto
//! `clerk_core::ClientBuilder`.

use std::time::Duration;

use clerk_core::{Client, RetryPolicy, RootCertificates};
use serde::Deserialize;

use crate::boundary::{FfiError, from_object, object_or_empty};

/// Every setting of the Rust builder, by snake_case key; absent keys keep the builder's
/// default (or the environment's value with `from_env`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ClientConfig {
    /// Start from `CLERK_SECRET_KEY`, `CLERK_API_URL` and `CLERK_API_VERSION`.
    #[serde(default)]
    from_env: bool,
    secret_key: Option<String>,
    api_url: Option<String>,
    api_version: Option<String>,
    user_agent: Option<String>,
    timeout_connect_ms: Option<u64>,
    timeout_request_ms: Option<u64>,
    max_response_bytes: Option<u64>,
    retry: Option<RetryConfig>,
    /// `"webpki"` (compiled-in Mozilla roots, the default) or `"system"`.
    root_certificates: Option<RootStore>,
    /// PEM text of the only certificate authorities to trust (overrides `root_certificates`).
    root_certificates_pem: Option<String>,
    proxy: Option<String>,
    proxy_from_env: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RootStore {
    Webpki,
    System,
}

/// `clerk_core::RetryPolicy` with durations in milliseconds.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryConfig {
    max_attempts: Option<u32>,
    initial_backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
    max_elapsed_ms: Option<u64>,
}

impl RetryConfig {
    fn policy(self) -> RetryPolicy {
        let default = RetryPolicy::default();
        let millis = |value: Option<u64>, default: Duration| {
            value.map(Duration::from_millis).unwrap_or(default)
        };
        RetryPolicy {
            max_attempts: self.max_attempts.unwrap_or(default.max_attempts),
            initial_backoff: millis(self.initial_backoff_ms, default.initial_backoff),
            max_backoff: millis(self.max_backoff_ms, default.max_backoff),
            max_elapsed: millis(self.max_elapsed_ms, default.max_elapsed),
        }
    }
}

/// Builds a client from `clerk_client_new`'s config: NULL or blank text means
/// `Client::from_env()`, a JSON object sets the builder.
pub(crate) fn build_client(config_json: Option<&str>) -> Result<Client, FfiError> {
    if config_json.is_none_or(|text| text.trim().is_empty()) {
        return Ok(Client::from_env()?);
    }
    let config: ClientConfig =
        from_object(object_or_empty(config_json, "config_json")?, "config_json")?;
    let mut builder = if config.from_env {
        Client::builder_from_env()?
    } else {
        Client::builder()
    };
    if let Some(secret_key) = config.secret_key {
        builder = builder.secret_key(secret_key);
    }
    if let Some(api_url) = config.api_url {
        builder = builder.api_url(api_url);
    }
    if let Some(api_version) = config.api_version {
        builder = builder.api_version(api_version);
    }
    if let Some(user_agent) = config.user_agent {
        builder = builder.user_agent(user_agent);
    }
    if let Some(ms) = config.timeout_connect_ms {
        builder = builder.timeout_connect(Duration::from_millis(ms));
    }
    if let Some(ms) = config.timeout_request_ms {
        builder = builder.timeout_request(Duration::from_millis(ms));
    }
    if let Some(limit) = config.max_response_bytes {
        builder = builder.max_response_bytes(limit);
    }
    if let Some(retry) = config.retry {
        builder = builder.retry_policy(retry.policy());
    }
    match (config.root_certificates_pem, config.root_certificates) {
        (Some(pem), _) => builder = builder.root_certificates(RootCertificates::Pem(pem.into())),
        (None, Some(RootStore::System)) => {
            builder = builder.root_certificates(RootCertificates::System)
        }
        (None, Some(RootStore::Webpki)) => {
            builder = builder.root_certificates(RootCertificates::WebPki)
        }
        (None, None) => {}
    }
    if let Some(proxy) = config.proxy {
        builder = builder.proxy(proxy);
    }
    if let Some(enabled) = config.proxy_from_env {
        builder = builder.proxy_from_env(enabled);
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::clerk_result;

    #[test]
    fn every_key_reaches_the_builder() {
        let client = build_client(Some(
            r#"{"secret_key": "sk_test_abc", "api_url": "http://127.0.0.1:9/", "api_version": "2025-01-01",
                "user_agent": "app/1", "timeout_connect_ms": 100, "timeout_request_ms": 200,
                "max_response_bytes": 1000, "retry": {"max_attempts": 1, "initial_backoff_ms": 1,
                "max_backoff_ms": 2, "max_elapsed_ms": 3}, "root_certificates": "webpki",
                "proxy_from_env": false}"#,
        ))
        .unwrap();
        assert!(client.has_secret_key());
        assert_eq!(client.api_url(), "http://127.0.0.1:9");
        assert_eq!(client.api_version(), "2025-01-01");
        assert!(client.user_agent().starts_with("app/1 "));
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_invalid_json() {
        for config in [
            r#"{"secret_kye": "x"}"#,
            r#"{"timeout_request_ms": "5s"}"#,
            r#"{"retry": {"attempts": 2}}"#,
            r#"{"root_certificates": "mine"}"#,
        ] {
            let error = build_client(Some(config)).err().unwrap();
            assert_eq!(error.code, clerk_result::InvalidJson, "{config}");
        }
    }

    #[test]
    fn builder_validation_is_a_config_error() {
        let error = build_client(Some(r#"{"retry": {"max_attempts": 0}}"#))
            .err()
            .unwrap();
        assert_eq!(error.code, clerk_result::Config);
        let error = build_client(Some(r#"{"root_certificates_pem": "not a pem"}"#))
            .err()
            .unwrap();
        assert_eq!(error.code, clerk_result::Config);
    }
}
