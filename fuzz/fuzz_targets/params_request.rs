//! libFuzzer entry of the `params_request` target; the body is `clerk_fuzz::params_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_fuzz::params_request(data));
