//! libFuzzer entry of the `cli_jsonl` target; the body is `clerk_fuzz::cli_jsonl`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_fuzz::cli_jsonl(data));
