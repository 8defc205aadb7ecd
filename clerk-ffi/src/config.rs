//! The configuration JSON of `clerk_client_new` and `clerk_verifier_new`: parsed and
//! applied by the core's `ClientConfig` / `VerifierConfig`; this module only maps their
//! errors onto the C result codes.

use clerk_core::verify::Verifier;
use clerk_core::{Client, ClientConfig, VerifierConfig};

use crate::boundary::FfiError;

/// A configuration the core could not parse (unknown key, wrong JSON type): the C ABI
/// reports it as `CLERK_RESULT_INVALID_JSON` naming `config_json`, as documented; the
/// core's message names the key and the accepted keys.
fn unparsable(error: clerk_core::Error) -> FfiError {
    let message = match &error {
        clerk_core::Error::Config { message } => message.clone(),
        other => other.to_string(),
    };
    FfiError::invalid_json("config_json", message)
}

/// Whether a config argument is NULL or blank (the environment's configuration).
fn blank(config_json: Option<&str>) -> bool {
    config_json.is_none_or(|text| text.trim().is_empty())
}

/// Builds a client from `clerk_client_new`'s config: NULL or blank text means
/// `ClientConfig::from_env()`, a JSON object `ClientConfig::from_json`.
pub(crate) fn build_client(config_json: Option<&str>) -> Result<Client, FfiError> {
    let config = match config_json {
        Some(text) if !blank(config_json) => ClientConfig::from_json(text).map_err(unparsable)?,
        _ => ClientConfig::from_env(),
    };
    Ok(config.build()?)
}

/// Builds a verifier from `clerk_verifier_new`'s config and optional client: NULL or
/// blank text with no client means `VerifierConfig::from_env()`.
pub(crate) fn build_verifier(
    config_json: Option<&str>,
    client: Option<Client>,
) -> Result<Verifier, FfiError> {
    let config = match config_json {
        Some(text) if !blank(config_json) => VerifierConfig::from_json(text).map_err(unparsable)?,
        _ if client.is_none() => VerifierConfig::from_env(),
        _ => VerifierConfig::default(),
    };
    Ok(config.build(client)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::clerk_result;

    #[test]
    fn unknown_keys_and_wrong_types_are_invalid_json_naming_the_key() {
        for (config, named) in [
            (r#"{"secret_kye": "x"}"#, "secret_kye"),
            (r#"{"timeout_request_ms": "5s"}"#, "timeout_request_ms"),
            (r#"{"retry": {"attempts": 2}}"#, "max_attempts"),
            (r#"{"root_certificates": "mine"}"#, "webpki"),
            (r#"{"headers": {"X-A": 1}}"#, "headers"),
            ("[1, 2]", "expected a JSON object"),
        ] {
            let error = build_client(Some(config)).err().unwrap();
            assert_eq!(error.code, clerk_result::InvalidJson, "{config}");
            let message = error.json["message"].as_str().unwrap();
            assert!(message.contains("config_json"), "{message}");
            assert!(message.contains(named), "{config}: {message}");
        }
        let error = build_verifier(Some(r#"{"jwt_kye": "x"}"#), None)
            .err()
            .unwrap();
        assert_eq!(error.code, clerk_result::InvalidJson);
        assert!(error.json["message"].as_str().unwrap().contains("jwt_key"));
    }

    #[test]
    fn builder_validation_is_a_config_error() {
        for config in [
            r#"{"retry": {"max_attempts": 0}}"#,
            r#"{"root_certificates_pem": "not a pem"}"#,
            r#"{"headers": {"Authorization": "Bearer x"}}"#,
        ] {
            let error = build_client(Some(config)).err().unwrap();
            assert_eq!(error.code, clerk_result::Config, "{config}");
        }
        let error = build_verifier(Some(r#"{"clock_skew_ms": 999999}"#), None)
            .err()
            .unwrap();
        assert_eq!(error.code, clerk_result::Config);
    }
}
