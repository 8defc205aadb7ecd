//! Writes `include/clerk.h` from the crate's source with the pinned cbindgen, or with
//! `--check` fails when the committed header differs from what it would write.

use std::process::ExitCode;

mod header_gen;

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: gen-header [--check]   (unknown argument {other:?})");
            return ExitCode::from(2);
        }
    };
    let generated = match header_gen::generate() {
        Ok(header) => header,
        Err(error) => {
            eprintln!("gen-header: {error}");
            return ExitCode::FAILURE;
        }
    };
    let path = header_gen::header_path();
    if check {
        if std::fs::read(&path).unwrap_or_default() != generated {
            eprintln!(
                "gen-header: include/clerk.h is out of date; run clerk-ffi/gen-header.sh and commit it"
            );
            return ExitCode::FAILURE;
        }
        println!("include/clerk.h is up to date");
        return ExitCode::SUCCESS;
    }
    if let Err(error) = std::fs::write(&path, &generated) {
        eprintln!("gen-header: cannot write include/clerk.h: {error}");
        return ExitCode::FAILURE;
    }
    println!("wrote include/clerk.h");
    ExitCode::SUCCESS
}
