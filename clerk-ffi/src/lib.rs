//! libclerk: the C library over `clerk-core`.
//!
//! Payloads cross the boundary as JSON text; handles are opaque; every function returns a
//! `clerk_result` and reports failures as an error JSON object. All the `unsafe` code of
//! the project lives in this crate, each block with the reason it is sound.
//!
//! Conventions (shared with rustls-ffi): names are `clerk_<object>_<verb>`; constructors
//! write `*_out` parameters only on success; destructors accept NULL; every `extern "C"`
//! body runs behind a panic boundary.
#![allow(non_camel_case_types)] // C type names (`clerk_client`) follow C conventions.
#![deny(unsafe_op_in_unsafe_fn)]

mod boundary;
mod client;
mod config;
mod result;
mod verify;

pub use boundary::{clerk_result_name, clerk_string_free, clerk_version};
pub use client::{
    clerk_client, clerk_client_call, clerk_client_call_multipart, clerk_client_call_with_options,
    clerk_client_free, clerk_client_new, clerk_client_request, clerk_client_request_with_options,
    clerk_operations_json, clerk_pager, clerk_pager_free, clerk_pager_new, clerk_pager_next,
    clerk_pager_next_with_options,
};
pub use result::clerk_result;
pub use verify::{
    clerk_authenticate_request, clerk_testing_mint_session_token, clerk_testing_sign_webhook,
    clerk_verifier, clerk_verifier_free, clerk_verifier_new, clerk_verifier_verify,
    clerk_verifier_verify_machine_token, clerk_webhook_verify,
};

/// The header promises that handles may be shared across threads: hold the types to it.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<clerk_client>();
    assert_send_sync::<clerk_verifier>();
    assert_send_sync::<clerk_pager>();
};
