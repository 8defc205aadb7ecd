//! libFuzzer entry of the `verify_token` target; the body is `clerk_fuzz::verify_token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_fuzz::verify_token(data));
