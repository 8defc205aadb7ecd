//! libFuzzer entry of the `webhook_verify` target; the body is `clerk_fuzz::webhook_verify`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_fuzz::webhook_verify(data));
