//! The committed `include/clerk.h` must be exactly what the pinned cbindgen generates.

#[path = "../src/bin/gen-header/header_gen.rs"]
mod header_gen;

#[test]
fn committed_header_matches_a_fresh_generation() {
    let generated = header_gen::generate().expect("cbindgen generates the header");
    let committed = std::fs::read(header_gen::header_path()).expect("include/clerk.h exists");
    assert!(
        committed == generated,
        "include/clerk.h is out of date: run clerk-ffi/gen-header.sh and commit the result"
    );
}
