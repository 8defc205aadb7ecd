//! The checks every call crosses: the panic boundary, argument conversion and output writing.
//!
//! Every `extern "C"` function funnels through [`boundary`], so NULLs, invalid UTF-8,
//! invalid JSON and panics all turn into a result code plus an error JSON object, never
//! into undefined behaviour in the host.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use clerk_core::ErrorKind;
use clerk_core::verify::VerifyError;
use clerk_core::webhooks::WebhookError;
use serde_json::{Map, Value};

use crate::result::clerk_result;

/// A failure on its way to the C caller: the code to return and the JSON for `json_out`.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) code: clerk_result,
    pub(crate) json: Value,
}

impl FfiError {
    /// An error detected by the C layer itself (not by the core): `{"kind", "message"}`.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> FfiError {
        FfiError::reported(kind, kind.to_json(message))
    }

    /// An error object written by the core, with the code of its kind.
    fn reported(kind: ErrorKind, json: Value) -> FfiError {
        FfiError {
            code: clerk_result::for_kind(kind),
            json,
        }
    }

    pub(crate) fn null(argument: &str) -> FfiError {
        FfiError::new(
            ErrorKind::NullParameter,
            format!("argument `{argument}` is NULL"),
        )
    }

    pub(crate) fn invalid_json(argument: &str, message: impl std::fmt::Display) -> FfiError {
        FfiError::new(
            ErrorKind::InvalidJson,
            format!("argument `{argument}`: {message}"),
        )
    }
}

impl From<clerk_core::Error> for FfiError {
    fn from(error: clerk_core::Error) -> FfiError {
        FfiError::reported(error.kind(), error.to_json())
    }
}

impl From<VerifyError> for FfiError {
    fn from(error: VerifyError) -> FfiError {
        FfiError::reported(error.kind(), error.to_json())
    }
}

impl From<WebhookError> for FfiError {
    fn from(error: WebhookError) -> FfiError {
        FfiError::reported(error.kind(), error.to_json())
    }
}

/// What a successful call leaves in `*json_out`.
pub(crate) enum Output {
    /// A JSON text (a result, a page, claims...).
    Json(String),
    /// Nothing: `*json_out` is set to NULL (constructors, `CLERK_RESULT_DONE`).
    Nothing,
}

/// A successful result whose JSON text is `value` serialised.
pub(crate) fn json_result<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<(clerk_result, Output), FfiError> {
    let json = serde_json::to_string(value)
        .map_err(|error| FfiError::new(ErrorKind::Unexpected, error.to_string()))?;
    Ok((clerk_result::Ok, Output::Json(json)))
}

/// Runs `body` behind a panic boundary and reports its outcome through `json_out`.
///
/// On success `*json_out` receives the output (or NULL); on failure it receives the error
/// JSON. When `json_out` itself is NULL nothing can be reported, so the call is refused
/// with `CLERK_RESULT_NULL_PARAMETER` before `body` runs.
pub(crate) fn boundary<F>(json_out: *mut *mut c_char, body: F) -> clerk_result
where
    F: FnOnce() -> Result<(clerk_result, Output), FfiError>,
{
    if json_out.is_null() {
        return clerk_result::NullParameter;
    }
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_string());
        Err(FfiError::new(
            ErrorKind::Panic,
            format!("libclerk panicked: {message}"),
        ))
    });
    let (code, text) = match outcome {
        Ok((code, Output::Json(text))) => (code, Some(text)),
        Ok((code, Output::Nothing)) => (code, None),
        Err(error) => (error.code, Some(error.json.to_string())),
    };
    let pointer = match text.map(CString::new) {
        None => std::ptr::null_mut(),
        Some(Ok(c_text)) => c_text.into_raw(),
        Some(Err(_)) => {
            // Only a raw response body can hold a NUL byte (serde_json escapes it), and
            // such a body is not JSON: report it instead of truncating it silently.
            let error = FfiError::new(ErrorKind::Decode, "the response body contains a NUL byte");
            // SAFETY: json_out was checked non-NULL above; the caller guarantees it points
            // to writable storage for one pointer.
            unsafe { *json_out = into_c_string(error.json.to_string()) };
            return error.code;
        }
    };
    // SAFETY: json_out was checked non-NULL above; the caller guarantees it points to
    // writable storage for one pointer.
    unsafe { *json_out = pointer };
    code
}

/// The panic boundary of functions without a result code (destructors, static getters):
/// a panic yields `fallback` instead of unwinding into C.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Hands a string to C; it must come back through `clerk_string_free`.
pub(crate) fn into_c_string(text: String) -> *mut c_char {
    CString::new(text)
        .unwrap_or_else(|error| {
            // Strip NULs rather than fail: only used for text we produced ourselves.
            let mut bytes = error.into_vec();
            bytes.retain(|b| *b != 0);
            CString::new(bytes).unwrap_or_default()
        })
        .into_raw()
}

/// Borrows a required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `pointer` is NULL or points to a NUL-terminated string that stays valid and unchanged
/// for `'a`.
pub(crate) unsafe fn required_str<'a>(
    pointer: *const c_char,
    argument: &str,
) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded from the caller's contract.
    unsafe { optional_str(pointer, argument) }?.ok_or_else(|| FfiError::null(argument))
}

/// Borrows an optional (NULL allowed) NUL-terminated UTF-8 string argument.
///
/// # Safety
/// As for [`required_str`].
pub(crate) unsafe fn optional_str<'a>(
    pointer: *const c_char,
    argument: &str,
) -> Result<Option<&'a str>, FfiError> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and the caller guarantees a NUL-terminated string valid for 'a.
    let c_text = unsafe { CStr::from_ptr(pointer) };
    c_text.to_str().map(Some).map_err(|error| {
        FfiError::new(
            ErrorKind::InvalidUtf8,
            format!("argument `{argument}` is not valid UTF-8: {error}"),
        )
    })
}

/// Borrows a byte buffer given as pointer + length (NULL is fine when the length is 0).
///
/// # Safety
/// When `length > 0`, `pointer` points to `length` readable bytes valid for `'a`.
pub(crate) unsafe fn bytes<'a>(
    pointer: *const u8,
    length: usize,
    argument: &str,
) -> Result<&'a [u8], FfiError> {
    if length == 0 {
        return Ok(&[]);
    }
    if pointer.is_null() {
        return Err(FfiError::null(argument));
    }
    // SAFETY: non-NULL, and the caller guarantees `length` readable bytes valid for 'a.
    Ok(unsafe { std::slice::from_raw_parts(pointer, length) })
}

/// Parses a JSON argument that must be an object; NULL or an empty string give an empty one.
pub(crate) fn object_or_empty(
    text: Option<&str>,
    argument: &str,
) -> Result<Map<String, Value>, FfiError> {
    match text.map(str::trim) {
        None | Some("") => Ok(Map::new()),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => Ok(object),
            Ok(other) => Err(FfiError::invalid_json(
                argument,
                format!("expected a JSON object, got {}", json_type_name(&other)),
            )),
            Err(error) => Err(FfiError::invalid_json(argument, error)),
        },
    }
}

/// Deserialises a JSON object into `T`, reporting a shape mismatch as invalid JSON.
pub(crate) fn from_object<T: serde::de::DeserializeOwned>(
    object: Map<String, Value>,
    argument: &str,
) -> Result<T, FfiError> {
    serde_json::from_value(Value::Object(object))
        .map_err(|error| FfiError::invalid_json(argument, error))
}

pub(crate) use clerk_core::json_type_name;

/// Writes a handle to a `*_out` parameter checked non-NULL by the caller.
///
/// # Safety
/// `out` is non-NULL and points to writable storage for one pointer.
pub(crate) unsafe fn write_handle<T>(out: *mut *mut T, handle: T) {
    // SAFETY: forwarded from the caller's contract.
    unsafe { *out = Box::into_raw(Box::new(handle)) };
}

/// Borrows a handle argument.
///
/// # Safety
/// `pointer` is NULL or a live handle of type `T` made by this library, not yet freed.
pub(crate) unsafe fn handle<'a, T>(pointer: *const T, argument: &str) -> Result<&'a T, FfiError> {
    // SAFETY: the caller guarantees a live handle when non-NULL.
    unsafe { pointer.as_ref() }.ok_or_else(|| FfiError::null(argument))
}

/// Frees a handle made by [`write_handle`]; NULL is a no-op.
///
/// # Safety
/// `pointer` is NULL or a live handle of type `T` made by this library, freed only once,
/// and no other thread is using it.
pub(crate) unsafe fn free_handle<T>(pointer: *mut T) {
    if !pointer.is_null() {
        // SAFETY: made by Box::into_raw in write_handle and, per the contract, freed once.
        drop(unsafe { Box::from_raw(pointer) });
    }
}

/// Frees a string returned by libclerk (through any `json_out` or `token_out`).
///
/// NULL is a no-op. Passing a string not returned by libclerk, or freeing one twice, is
/// undefined behaviour.
///
/// Ownership: takes ownership of `string`.
/// Thread safety: safe to call from any thread, on a string no other thread is using.
///
/// # Safety
/// `string` is NULL or a string returned by libclerk that was not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_string_free(string: *mut c_char) {
    guard((), || {
        if !string.is_null() {
            // SAFETY: per the contract, `string` came from CString::into_raw in this library
            // and is freed once.
            drop(unsafe { CString::from_raw(string) });
        }
    })
}

/// The name of a result code, e.g. `"CLERK_RESULT_DONE"` for `CLERK_RESULT_DONE`, or
/// `"CLERK_RESULT_UNKNOWN"` for a number that is no code.
///
/// Ownership: the returned string is static; do not free it.
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn clerk_result_name(result: u32) -> *const c_char {
    guard(std::ptr::null(), || {
        let name = match clerk_result::from_raw(result) {
            Some(code) => code.name_with_nul(),
            None => "CLERK_RESULT_UNKNOWN\0",
        };
        name.as_ptr().cast()
    })
}

/// The library's version, e.g. `"0.1.0"`.
///
/// Ownership: the returned string is static; do not free it.
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn clerk_version() -> *const c_char {
    guard(std::ptr::null(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take_json(pointer: *mut c_char) -> Value {
        assert!(!pointer.is_null());
        // SAFETY: the pointer came from CString::into_raw in `boundary`.
        let text = unsafe { CString::from_raw(pointer) };
        serde_json::from_str(text.to_str().unwrap()).unwrap()
    }

    #[test]
    fn a_panic_becomes_the_panic_code_with_an_error_object() {
        let mut out: *mut c_char = std::ptr::null_mut();
        let code = boundary(&mut out, || panic!("boom"));
        assert_eq!(code, clerk_result::Panic);
        let json = take_json(out);
        assert_eq!(json["kind"], "panic");
        assert!(json["message"].as_str().unwrap().contains("boom"));
    }

    #[test]
    fn a_null_json_out_is_refused_without_running_the_body() {
        let mut ran = false;
        let code = boundary(std::ptr::null_mut(), || {
            ran = true;
            Ok((clerk_result::Ok, Output::Nothing))
        });
        assert_eq!(code, clerk_result::NullParameter);
        assert!(!ran);
    }

    #[test]
    fn a_body_with_a_nul_byte_is_a_decode_error_not_a_truncation() {
        let mut out: *mut c_char = std::ptr::null_mut();
        let code = boundary(&mut out, || {
            Ok((clerk_result::Ok, Output::Json("{\"a\":\"x\0y\"}".into())))
        });
        assert_eq!(code, clerk_result::Decode);
        assert_eq!(take_json(out)["kind"], "decode");
    }

    #[test]
    fn json_arguments_must_be_objects() {
        assert!(object_or_empty(None, "p").unwrap().is_empty());
        assert!(object_or_empty(Some("  "), "p").unwrap().is_empty());
        let error = object_or_empty(Some("[1]"), "p").unwrap_err();
        assert_eq!(error.code, clerk_result::InvalidJson);
        assert!(error.json["message"].as_str().unwrap().contains("an array"));
        let error = object_or_empty(Some("{"), "p").unwrap_err();
        assert_eq!(error.code, clerk_result::InvalidJson);
    }

    #[test]
    fn invalid_utf8_is_reported_by_argument_name() {
        let bad = b"\xff\xfe\0";
        // SAFETY: a NUL-terminated static buffer.
        let error = unsafe { required_str(bad.as_ptr().cast(), "name") }.unwrap_err();
        assert_eq!(error.code, clerk_result::InvalidUtf8);
        assert!(error.json["message"].as_str().unwrap().contains("`name`"));
    }
}
