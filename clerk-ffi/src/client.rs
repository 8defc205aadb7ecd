//! The client handle: construction, the generic call, multipart uploads, the raw request,
//! the operation table and the pager.

use std::ffi::c_char;
use std::sync::{Mutex, OnceLock};

use clerk_core::{CallOptions, Client, ErrorKind, FilePart, Pages};
use serde_json::Value;

use crate::boundary::{
    FfiError, Output, boundary, bytes, free_handle, from_object, guard, handle, object_or_empty,
    optional_str, required_str, write_handle,
};
use crate::config::build_client;
use crate::result::clerk_result;

/// A Backend API client: connection pool, secret key and settings.
///
/// Thread safety: one client may be used from any number of threads at once; share it
/// rather than making one per thread (it pools connections).
pub struct clerk_client {
    pub(crate) client: Client,
}

/// An iterator over the pages of a list operation.
///
/// Thread safety: a pager may be used from any thread, and concurrent calls are
/// serialised, but each page is handed out once: the pager is meant for one consumer.
pub struct clerk_pager {
    pages: Mutex<Pages>,
}

/// Makes a client.
///
/// `config_json` is NULL, `""`, or a JSON object (every key optional):
/// `{"from_env": false, "secret_key", "api_url", "api_version", "user_agent",
///   "timeout_connect_ms", "timeout_request_ms", "max_response_bytes",
///   "retry": {"max_attempts", "initial_backoff_ms", "max_backoff_ms", "max_elapsed_ms"},
///   "root_certificates": "webpki" | "system", "root_certificates_pem", "proxy",
///   "proxy_from_env", "headers": {"Name": "value", ...}}` (the core's `ClientConfig`).
/// NULL or `""` configure the client from the environment (`CLERK_SECRET_KEY` required,
/// `CLERK_API_URL`, `CLERK_API_VERSION`); `"from_env": true` starts from the environment
/// and applies the other keys on top. Absent keys keep the defaults of
/// `clerk_core::ClientBuilder`; unknown keys and wrong JSON types are an error
/// (`CLERK_RESULT_INVALID_JSON`, the message naming the key and the accepted keys). Values are checked here, not at the first call, and a bad
/// one is `CLERK_RESULT_CONFIG` with a message naming it: `api_url` a bare
/// `scheme://host[:port]` (https, or http for loopback; no path, query, fragment or
/// userinfo; port 1..=65535); `timeout_connect_ms` and `timeout_request_ms` 1..=600000;
/// `max_response_bytes` 1..=1073741824; `retry.max_attempts` 1..=10,
/// `retry.initial_backoff_ms` 0..=60000, `retry.max_backoff_ms` 0..=300000 and not below
/// the initial backoff, `retry.max_elapsed_ms` 1..=600000; `root_certificates_pem` at least
/// one certificate, every one parsable; `headers` valid HTTP field names and values
/// without CR/LF, none of those the client sets itself (`Authorization`,
/// `Clerk-API-Version`, `User-Agent`, `Content-Type`, `Content-Length`,
/// `Transfer-Encoding`, `Host`).
///
/// On success `*client_out` receives the new client and `*json_out` is set to NULL; on
/// failure `*client_out` is untouched and `*json_out` receives an error object.
///
/// Ownership: the caller owns the client (free it with `clerk_client_free`) and any string
/// put in `*json_out` (free it with `clerk_string_free`). `config_json` is only read during
/// the call.
/// Thread safety: safe to call from any thread.
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `client_out` and `json_out` are NULL or
/// point to writable pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_client_new(
    config_json: *const c_char,
    client_out: *mut *mut clerk_client,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        if client_out.is_null() {
            return Err(FfiError::null("client_out"));
        }
        // SAFETY: the caller passes NULL or a NUL-terminated string valid during the call.
        let config = unsafe { optional_str(config_json, "config_json") }?;
        let client = build_client(config)?;
        // SAFETY: client_out was checked non-NULL; the caller guarantees it is writable.
        unsafe { write_handle(client_out, clerk_client { client }) };
        Ok((clerk_result::Ok, Output::Nothing))
    })
}

/// Frees a client. NULL is a no-op.
///
/// Pagers and verifiers made from the client keep working after it is freed (they hold
/// their own reference to its internals).
///
/// Ownership: takes ownership of `client`; it must not be used afterwards.
/// Thread safety: no other thread may be using `client` during or after this call.
///
/// # Safety
/// `client` is NULL or a live client from `clerk_client_new`, freed only once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_client_free(client: *mut clerk_client) {
    // SAFETY: the caller passes NULL or a live client, freed once, unused by other threads.
    guard((), || unsafe { free_handle(client) })
}

/// Calls one Backend API operation by operationId (`"GetUserList"`) or `resource.method`
/// name (`"users.list"`).
///
/// `params_json` is NULL, `""` or one flat JSON object: path parameters, query parameters
/// and body fields by their spec names; `"$body"` gives a whole non-object body and
/// `"$extra_body"` an object of extra body fields. Multipart file parameters are objects
/// `{"filename", "content_base64", "content_type"}` (or use `clerk_client_call_multipart`).
///
/// On success `*json_out` receives the response body (`null` for an empty body); on failure
/// it receives an error object (`kind` `api` with `status`, `errors` and `clerk_trace_id`
/// for a non-2xx answer).
///
/// Ownership: the caller owns the string put in `*json_out` (free it with
/// `clerk_string_free`). The other arguments are only read during the call.
/// Thread safety: safe to call concurrently on one client from any number of threads.
///
/// # Safety
/// `client` is NULL or a live client; string arguments are NULL or NUL-terminated;
/// `json_out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_client_call(
    client: *const clerk_client,
    name: *const c_char,
    params_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    // SAFETY: forwarded from this function's contract; NULL options are allowed.
    unsafe {
        call(
            client,
            name,
            "name",
            params_json,
            std::ptr::null(),
            json_out,
        )
    }
}

/// `clerk_client_call` with options for this call.
///
/// `options_json` is NULL or `""` (no options: exactly `clerk_client_call`) or a JSON
/// object, every key optional: `{"timeout_ms": N}` bounds the whole call (every attempt
/// and retry wait) to N milliseconds, N an integer in 1..=600000; the call gets the
/// shorter of this and the client's `retry.max_elapsed_ms`. A call that runs out of time
/// returns `CLERK_RESULT_TIMEOUT` with an error object of `kind` `timeout`. Unknown keys
/// and values out of range are refused with `CLERK_RESULT_INVALID_JSON` and a message
/// naming the key, before anything is sent.
///
/// Outputs, ownership and thread safety as for `clerk_client_call`; `options_json` is only
/// read during the call.
///
/// # Safety
/// As for `clerk_client_call`, and `options_json` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_client_call_with_options(
    client: *const clerk_client,
    operation: *const c_char,
    params_json: *const c_char,
    options_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        call(
            client,
            operation,
            "operation",
            params_json,
            options_json,
            json_out,
        )
    }
}

/// Parses `options_json` (NULL or `""` for none) into the core's `CallOptions`, whose
/// serde type decides the keys and ranges.
fn call_options(options_json: Option<&str>) -> Result<CallOptions, FfiError> {
    from_object(
        object_or_empty(options_json, "options_json")?,
        "options_json",
    )
}

/// The generic call behind `clerk_client_call` and `clerk_client_call_with_options`.
///
/// # Safety
/// `client` is NULL or a live client; the strings are NULL or NUL-terminated; `json_out` is
/// NULL or points to a writable pointer.
unsafe fn call(
    client: *const clerk_client,
    name: *const c_char,
    name_argument: &str,
    params_json: *const c_char,
    options_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or a live client, and NULL or NUL-terminated
        // strings, all valid during the call.
        let (client, name, params, options) = unsafe {
            (
                handle(client, "client")?,
                required_str(name, name_argument)?,
                optional_str(params_json, "params_json")?,
                optional_str(options_json, "options_json")?,
            )
        };
        let params = object_or_empty(params, "params_json")?;
        let options = call_options(options)?;
        let response = client
            .client
            .call_with(name, &Value::Object(params), &options)?;
        Ok((clerk_result::Ok, Output::Json(response.body)))
    })
}

/// Calls a multipart operation (profile image, logo upload) with the file's bytes passed
/// directly.
///
/// Sends the `bytes_len` bytes at `bytes_ptr` as the file parameter `file_field`, named
/// `filename`, with `content_type` (NULL for `application/octet-stream`), beside the
/// params of `params_json` (as for `clerk_client_call`; it must not also hold
/// `file_field`, and `file_field` must be a file parameter of the operation, else
/// `CLERK_RESULT_INVALID_PARAMS`). The bytes go to the multipart body as they are (no
/// base64 on the way). `bytes_ptr` may be NULL only when `bytes_len` is 0.
///
/// Outputs, ownership and thread safety as for `clerk_client_call`; the bytes are only read
/// during the call.
///
/// # Safety
/// As for `clerk_client_call`, and `bytes_ptr` points to `bytes_len` readable bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // the C signature the issue fixes
pub unsafe extern "C" fn clerk_client_call_multipart(
    client: *const clerk_client,
    name: *const c_char,
    params_json: *const c_char,
    file_field: *const c_char,
    filename: *const c_char,
    content_type: *const c_char,
    bytes_ptr: *const u8,
    bytes_len: usize,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or a live client, NULL or NUL-terminated strings,
        // and `bytes_len` readable bytes at `bytes_ptr`, all valid during the call.
        let (client, name, params, file_field, filename, content_type, content) = unsafe {
            (
                handle(client, "client")?,
                required_str(name, "name")?,
                optional_str(params_json, "params_json")?,
                required_str(file_field, "file_field")?,
                required_str(filename, "filename")?,
                optional_str(content_type, "content_type")?,
                bytes(bytes_ptr, bytes_len, "bytes")?,
            )
        };
        let params = object_or_empty(params, "params_json")?;
        let mut file = FilePart::new(file_field, filename, content);
        if let Some(content_type) = content_type {
            file = file.with_content_type(content_type);
        }
        let response = client
            .client
            .call_with_files(name, &Value::Object(params), &[file])?;
        Ok((clerk_result::Ok, Output::Json(response.body)))
    })
}

/// Sends a raw request: the escape hatch for endpoints the operation table lacks.
///
/// `method` is `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (any case); `path` is relative to
/// the API root (`{api_url}/v1`), e.g. `"/users"` (a path with a dot-segment, `/../`,
/// `/./` or percent-encoded `%2E`, is refused with `CLERK_RESULT_INVALID_PARAMS`);
/// `query_json` is NULL, `""` or an object whose values are strings, numbers, booleans,
/// `null` or arrays of those: arrays repeat the key, `null` leaves the entry out, and a
/// nested object or array is refused with `CLERK_RESULT_INVALID_JSON` naming the key (the
/// params contract's raw-request query, shared with `clerk request --query`);
/// `body_json` is NULL (no body) or any JSON text. When `status_out` is not NULL it
/// receives the HTTP status on success.
///
/// On success `*json_out` receives the response body (`null` for an empty body); on failure
/// it receives an error object.
///
/// Ownership: the caller owns the string put in `*json_out` (free it with
/// `clerk_string_free`). The other arguments are only read during the call.
/// Thread safety: safe to call concurrently on one client from any number of threads.
///
/// # Safety
/// As for `clerk_client_call`, and `status_out` is NULL or points to a writable `uint16_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_client_request(
    client: *const clerk_client,
    method: *const c_char,
    path: *const c_char,
    query_json: *const c_char,
    body_json: *const c_char,
    status_out: *mut u16,
    json_out: *mut *mut c_char,
) -> clerk_result {
    // SAFETY: forwarded from this function's contract; NULL options are allowed.
    unsafe {
        request(
            client,
            method,
            path,
            query_json,
            body_json,
            status_out,
            std::ptr::null(),
            json_out,
        )
    }
}

/// `clerk_client_request` with options for this call.
///
/// `options_json` is as for `clerk_client_call_with_options`: NULL or `""` for none, or
/// `{"timeout_ms": N}` with N in 1..=600000; unknown keys and values out of range are
/// refused with `CLERK_RESULT_INVALID_JSON`; a call that runs out of time returns
/// `CLERK_RESULT_TIMEOUT` (error `kind` `timeout`).
///
/// Outputs, ownership and thread safety as for `clerk_client_request`; `options_json` is
/// only read during the call.
///
/// # Safety
/// As for `clerk_client_call`, and `options_json` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_client_request_with_options(
    client: *const clerk_client,
    method: *const c_char,
    path: *const c_char,
    query_json: *const c_char,
    body_json: *const c_char,
    status_out: *mut u16,
    options_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        request(
            client,
            method,
            path,
            query_json,
            body_json,
            status_out,
            options_json,
            json_out,
        )
    }
}

/// The raw request behind `clerk_client_request` and `clerk_client_request_with_options`.
///
/// # Safety
/// As for `clerk_client_request`, and `options_json` is NULL or NUL-terminated.
#[allow(clippy::too_many_arguments)] // the C arguments, passed through
unsafe fn request(
    client: *const clerk_client,
    method: *const c_char,
    path: *const c_char,
    query_json: *const c_char,
    body_json: *const c_char,
    status_out: *mut u16,
    options_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or a live client, and NULL or NUL-terminated
        // strings, all valid during the call.
        let (client, method, path, query, body, options) = unsafe {
            (
                handle(client, "client")?,
                required_str(method, "method")?,
                required_str(path, "path")?,
                optional_str(query_json, "query_json")?,
                optional_str(body_json, "body_json")?,
                optional_str(options_json, "options_json")?,
            )
        };
        let method = clerk_core::Method::parse(method).ok_or_else(|| {
            FfiError::new(
                ErrorKind::InvalidParams,
                format!("unknown HTTP method `{method}`"),
            )
        })?;
        // The core's one query meaning; its refusals keep this argument's documented code.
        let query =
            clerk_core::query_from_json(&Value::Object(object_or_empty(query, "query_json")?))
                .map_err(|error| FfiError::invalid_json("query_json", error))?;
        let body = body
            .map(|text| {
                serde_json::from_str::<Value>(text)
                    .map_err(|error| FfiError::invalid_json("body_json", error))
            })
            .transpose()?;
        let options = call_options(options)?;
        let response = client
            .client
            .request_with(method, path, &query, body.as_ref(), &options)?;
        if !status_out.is_null() {
            // SAFETY: non-NULL, and the caller guarantees it points to a writable u16.
            unsafe { *status_out = response.status };
        }
        Ok((clerk_result::Ok, Output::Json(response.body)))
    })
}

/// The whole operation table as a JSON array: one object per operation with
/// `operation_id`, `name`, `method`, `path`, `params` (`name`, `in`, `required`, `type`,
/// `nullable`), `body`, `pagination`, `deprecated` and `summary`.
///
/// Ownership: the caller owns the string put in `*json_out` (free it with
/// `clerk_string_free`).
/// Thread safety: safe to call from any thread.
///
/// # Safety
/// `json_out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_operations_json(json_out: *mut *mut c_char) -> clerk_result {
    static TABLE: OnceLock<String> = OnceLock::new();
    boundary(json_out, || {
        let table = TABLE.get_or_init(|| {
            serde_json::to_string(clerk_core::operations::all())
                .expect("the operation table serialises: it holds only strings and enums")
        });
        Ok((clerk_result::Ok, Output::Json(table.clone())))
    })
}

/// Starts paging through a list operation (by operationId or `resource.method` name) with
/// the flat `params_json` of `clerk_client_call` (NULL or `""` for none); `limit` sets the
/// page size and `offset` the start. No request is made until `clerk_pager_next`.
///
/// On success `*pager_out` receives the pager and `*json_out` is set to NULL; on failure
/// (unknown or non-list operation, bad params) `*pager_out` is untouched and `*json_out`
/// receives an error object.
///
/// Ownership: the caller owns the pager (free it with `clerk_pager_free`) and any string
/// put in `*json_out`. The pager does not borrow `client`: the client may be freed first.
/// Thread safety: safe to call concurrently on one client from any number of threads.
///
/// # Safety
/// As for `clerk_client_call`, and `pager_out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_pager_new(
    client: *const clerk_client,
    name: *const c_char,
    params_json: *const c_char,
    pager_out: *mut *mut clerk_pager,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        if pager_out.is_null() {
            return Err(FfiError::null("pager_out"));
        }
        // SAFETY: the caller passes NULL or a live client, and NULL or NUL-terminated
        // strings, all valid during the call.
        let (client, name, params) = unsafe {
            (
                handle(client, "client")?,
                required_str(name, "name")?,
                optional_str(params_json, "params_json")?,
            )
        };
        let params = object_or_empty(params, "params_json")?;
        let pages = client.client.pages(name, &Value::Object(params))?;
        let pager = clerk_pager {
            pages: Mutex::new(pages),
        };
        // SAFETY: pager_out was checked non-NULL; the caller guarantees it is writable.
        unsafe { write_handle(pager_out, pager) };
        Ok((clerk_result::Ok, Output::Nothing))
    })
}

/// Fetches the next page.
///
/// Returns `CLERK_RESULT_OK` with the page's response body in `*json_out` (the
/// operation's own shape, e.g. `{"data": [...], "total_count": n}` or a bare array);
/// `CLERK_RESULT_DONE` with `*json_out` set to NULL when there are no more pages (and on
/// every later call); or an error code with an error object in `*json_out`. An error ends
/// the paging: later calls return `CLERK_RESULT_DONE`.
///
/// Ownership: the caller owns the string put in `*json_out` (free it with
/// `clerk_string_free`).
/// Thread safety: safe from any thread; concurrent calls on one pager are serialised.
///
/// # Safety
/// `pager` is NULL or a live pager; `json_out` is NULL or points to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_pager_next(
    pager: *const clerk_pager,
    json_out: *mut *mut c_char,
) -> clerk_result {
    // SAFETY: forwarded from this function's contract; NULL options are allowed.
    unsafe { pager_next(pager, std::ptr::null(), json_out) }
}

/// `clerk_pager_next` with options for this page fetch.
///
/// `options_json` is as for `clerk_client_call_with_options`: NULL or `""` for none, or
/// `{"timeout_ms": N}` with N in 1..=600000, bounding this one fetch; unknown keys and
/// values out of range are refused with `CLERK_RESULT_INVALID_JSON` (the pager is left as
/// it was); a fetch that runs out of time returns `CLERK_RESULT_TIMEOUT` (error `kind`
/// `timeout`) and, as every error, ends the paging.
///
/// Outputs, ownership and thread safety as for `clerk_pager_next`; `options_json` is only
/// read during the call.
///
/// # Safety
/// As for `clerk_pager_next`, and `options_json` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_pager_next_with_options(
    pager: *const clerk_pager,
    options_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { pager_next(pager, options_json, json_out) }
}

/// The page fetch behind `clerk_pager_next` and `clerk_pager_next_with_options`.
///
/// # Safety
/// `pager` is NULL or a live pager; `options_json` is NULL or NUL-terminated; `json_out`
/// is NULL or points to a writable pointer.
unsafe fn pager_next(
    pager: *const clerk_pager,
    options_json: *const c_char,
    json_out: *mut *mut c_char,
) -> clerk_result {
    boundary(json_out, || {
        // SAFETY: the caller passes NULL or a live pager and NULL or a NUL-terminated
        // string, valid during the call.
        let (pager, options) = unsafe {
            (
                handle(pager, "pager")?,
                optional_str(options_json, "options_json")?,
            )
        };
        let options = options.map(|text| call_options(Some(text))).transpose()?;
        let mut pages = pager.pages.lock().map_err(|_| {
            FfiError::new(
                ErrorKind::Panic,
                "the pager is unusable: an earlier call panicked while using it",
            )
        })?;
        let page = match &options {
            Some(options) => pages.next_with(options),
            None => pages.next(),
        };
        match page {
            None => Ok((clerk_result::Done, Output::Nothing)),
            Some(Ok(response)) => Ok((clerk_result::Ok, Output::Json(response.body))),
            Some(Err(error)) => Err(error.into()),
        }
    })
}

/// Frees a pager. NULL is a no-op.
///
/// Ownership: takes ownership of `pager`; it must not be used afterwards.
/// Thread safety: no other thread may be using `pager` during or after this call.
///
/// # Safety
/// `pager` is NULL or a live pager from `clerk_pager_new`, freed only once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_pager_free(pager: *mut clerk_pager) {
    // SAFETY: the caller passes NULL or a live pager, freed once, unused by other threads.
    guard((), || unsafe { free_handle(pager) })
}
