//! `clerk`: the command-line tool (skeleton).
mod verify_cmds;
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(cmd) = args.first() {
        if matches!(cmd.as_str(), "verify" | "webhook" | "token") {
            std::process::exit(verify_cmds::run(cmd, &args[1..]));
        }
    }
}
