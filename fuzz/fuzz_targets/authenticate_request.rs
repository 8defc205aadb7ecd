//! libFuzzer entry of the `authenticate_request` target; the body is `clerk_fuzz::authenticate_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_fuzz::authenticate_request(data));
