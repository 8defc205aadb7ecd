//! Clerk-shaped error bodies: `{"errors":[{message,long_message,code,meta?}],"clerk_trace_id"}`.

use serde_json::{Value, json};

/// An error answer: status plus one Clerk error.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Clerk's error code (`resource_not_found`, `form_identifier_exists`, ...).
    pub code: String,
    /// Short message.
    pub message: String,
    /// Longer, human-oriented message.
    pub long_message: String,
    /// Optional `meta` object (`{"param_name": "email_address"}`).
    /// Boxed so that `Result<_, ApiError>` stays small (clippy::result_large_err).
    pub meta: Option<Box<Value>>,
}

impl ApiError {
    /// A new error without `meta`.
    pub fn new(
        status: u16,
        code: &str,
        message: &str,
        long_message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.to_string(),
            long_message: long_message.into(),
            meta: None,
        }
    }

    /// Adds `meta.param_name`.
    pub fn param(mut self, name: &str) -> ApiError {
        self.meta = Some(Box::new(json!({ "param_name": name })));
        self
    }

    /// The body Clerk sends for this error.
    pub fn body(&self, trace_id: &str) -> Value {
        let mut error = json!({
            "message": self.message,
            "long_message": self.long_message,
            "code": self.code,
        });
        if let Some(meta) = &self.meta {
            error["meta"] = (**meta).clone();
        }
        json!({ "errors": [error], "clerk_trace_id": trace_id })
    }
}

/// 404 `resource_not_found`.
pub fn not_found(what: &str) -> ApiError {
    ApiError::new(
        404,
        "resource_not_found",
        "not found",
        format!("The requested {what} could not be found."),
    )
}

/// 422 `form_param_missing` for a required parameter.
pub fn missing(param: &str) -> ApiError {
    ApiError::new(
        422,
        "form_param_missing",
        "missing data",
        format!("{param} must be included."),
    )
    .param(param)
}

/// 422 `form_param_format_invalid` for a value of the wrong format.
pub fn format_invalid(param: &str, detail: &str) -> ApiError {
    ApiError::new(
        422,
        "form_param_format_invalid",
        "is invalid",
        format!("{param} is invalid: {detail}"),
    )
    .param(param)
}

/// 422 `form_identifier_exists` for a taken identifier (email, phone, username, slug).
pub fn identifier_exists(param: &str) -> ApiError {
    ApiError::new(
        422,
        "form_identifier_exists",
        "That identifier is taken. Please try another.",
        format!(
            "That {} is taken. Please try another.",
            param.replace('_', " ")
        ),
    )
    .param(param)
}

/// 422 `duplicate_record`.
pub fn duplicate(what: &str) -> ApiError {
    ApiError::new(
        422,
        "duplicate_record",
        "duplicate record",
        format!("A {what} with these values already exists."),
    )
}

/// 401 for a missing `Authorization` header.
pub fn authentication_invalid() -> ApiError {
    ApiError::new(
        401,
        "authentication_invalid",
        "Invalid authentication",
        "Unable to authenticate the request, you need to supply an active API key",
    )
}

/// 401 for a secret key that is not this instance's.
pub fn clerk_key_invalid() -> ApiError {
    ApiError::new(
        401,
        "clerk_key_invalid",
        "Secret key invalid",
        "The provided Secret Key is invalid. Make sure that your Secret Key is correct.",
    )
}
