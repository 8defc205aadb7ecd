//! `clerk verify`, `clerk webhook verify`, `clerk token mint` (skeleton).

/// Runs one of the verification subcommands; returns the process exit code.
pub fn run(command: &str, args: &[String]) -> i32 {
    let _ = (command, args);
    2
}
