//! libFuzzer entry of the `c_abi` target; the body is `clerk_fuzz::c_abi`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_fuzz::c_abi(data));
