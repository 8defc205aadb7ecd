//! `clerk`: the command-line face of clerk-core, for scripts and for our own checks.
//!
//! Exit codes: 0 success, 1 the operation failed (error JSON on stderr), 2 usage error.

mod verify_cmds;

use std::io::{Read, Write};
use std::process::ExitCode;

use clerk_core::{Client, Error, File, Method, operations};
use serde_json::{Value, json};

const USAGE: &str = "\
usage:
  clerk ops [--full]                      print the operation table as JSON lines
  clerk call NAME [PARAMS_JSON|-] [--file FIELD=PATH[:CONTENT_TYPE]]...
                                          call an operation by operationId or resource.method
  clerk pages NAME [PARAMS_JSON|-]        call a list operation page after page (one JSON line per page)
  clerk request METHOD PATH [--query JSON] [--body JSON|-]
                                          raw request below {CLERK_API_URL}/v1
  clerk verify TOKEN [options] | --jsonl  verify session tokens locally
  clerk webhook verify ...                verify a webhook signature
  clerk token mint ...                    mint a session token for tests
environment: CLERK_SECRET_KEY, CLERK_API_URL (default https://api.clerk.com), CLERK_API_VERSION";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let code = match command.as_str() {
        "ops" => ops(rest),
        "call" => call(rest),
        "pages" => pages(rest),
        "request" => request(rest),
        "verify" | "webhook" | "token" => verify_cmds::run(command, rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            0
        }
        "--version" | "version" => {
            println!("clerk {}", env!("CARGO_PKG_VERSION"));
            0
        }
        other => usage_error(&format!("unknown command {other:?}")),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn usage_error(message: &str) -> i32 {
    eprintln!("clerk: {message}\n{USAGE}");
    2
}

/// Prints an error as one JSON line on stderr and returns the failure exit code.
fn fail(error: &Error) -> i32 {
    eprintln!("{}", error.to_json());
    1
}

fn ops(args: &[String]) -> i32 {
    let full = match args {
        [] => false,
        [flag] if flag == "--full" => true,
        _ => return usage_error("ops takes only --full"),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for op in operations::all() {
        let line = if full {
            serde_json::to_value(op).unwrap_or_default()
        } else {
            json!({"name": op.name, "operation_id": op.operation_id, "method": op.method, "path": op.path})
        };
        if writeln!(out, "{line}").is_err() {
            return 1;
        }
    }
    0
}

/// Reads a JSON argument, `-` meaning standard input.
fn json_arg(text: Option<&String>) -> Result<Value, String> {
    let text = match text.map(String::as_str) {
        None => return Ok(json!({})),
        Some("-") => {
            let mut buffer = String::new();
            std::io::stdin()
                .read_to_string(&mut buffer)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            buffer
        }
        Some(text) => text.to_owned(),
    };
    clerk_core::parse_params(&text).map_err(|e| e.to_string())
}

fn client() -> Result<Client, i32> {
    Client::from_env().map_err(|e| fail(&e))
}

fn print_body(body: &str) -> i32 {
    println!("{body}");
    0
}

fn call(args: &[String]) -> i32 {
    let mut positional = Vec::new();
    let mut files = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--file" {
            match iter.next() {
                Some(spec) => files.push(spec.clone()),
                None => return usage_error("--file needs FIELD=PATH"),
            }
        } else {
            positional.push(arg);
        }
    }
    let (name, params) = match positional.as_slice() {
        [name] => (name, None),
        [name, params] => (name, Some(*params)),
        _ => return usage_error("call takes NAME and optionally PARAMS_JSON"),
    };
    let mut params = match json_arg(params) {
        Ok(params) => params,
        Err(message) => return fail(&invalid(message)),
    };
    for spec in files {
        if let Err(message) = add_file(&mut params, &spec) {
            return fail(&invalid(message));
        }
    }
    let client = match client() {
        Ok(client) => client,
        Err(code) => return code,
    };
    match client.call(name, &params) {
        Ok(response) => print_body(&response.body),
        Err(error) => fail(&error),
    }
}

/// The CLI reports its own argument problems in the library's error shape.
fn invalid(message: String) -> Error {
    Error::InvalidParams { message }
}

/// `FIELD=PATH[:CONTENT_TYPE]` → a file param in the flat params object.
fn add_file(params: &mut Value, spec: &str) -> Result<(), String> {
    let (field, location) = spec
        .split_once('=')
        .ok_or_else(|| format!("--file {spec:?} must be FIELD=PATH[:CONTENT_TYPE]"))?;
    let (path, content_type) = match location.rsplit_once(':') {
        Some((path, content_type)) if content_type.contains('/') => (path, Some(content_type)),
        _ => (location, None),
    };
    let content = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let filename = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let mut file = File::new(filename, content);
    if let Some(content_type) = content_type {
        file = file.with_content_type(content_type);
    }
    let object = params
        .as_object_mut()
        .ok_or_else(|| "params must be a JSON object".to_owned())?;
    object.insert(
        field.to_owned(),
        serde_json::to_value(&file).map_err(|e| e.to_string())?,
    );
    Ok(())
}

fn pages(args: &[String]) -> i32 {
    let (name, params) = match args {
        [name] => (name, None),
        [name, params] => (name, Some(params)),
        _ => return usage_error("pages takes NAME and optionally PARAMS_JSON"),
    };
    let params = match json_arg(params) {
        Ok(params) => params,
        Err(message) => return fail(&invalid(message)),
    };
    let client = match client() {
        Ok(client) => client,
        Err(code) => return code,
    };
    let pages = match client.pages(name, &params) {
        Ok(pages) => pages,
        Err(error) => return fail(&error),
    };
    for page in pages {
        match page {
            Ok(response) => println!("{}", response.body),
            Err(error) => return fail(&error),
        }
    }
    0
}

fn request(args: &[String]) -> i32 {
    let mut positional = Vec::new();
    let mut query = None;
    let mut body = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--query" => query = iter.next(),
            "--body" => body = iter.next(),
            _ => positional.push(arg),
        }
    }
    let [method, path] = positional.as_slice() else {
        return usage_error("request takes METHOD PATH [--query JSON] [--body JSON]");
    };
    let Some(method) = Method::parse(method) else {
        return usage_error(&format!("unknown method {method:?}"));
    };
    let query_pairs = match query.map(|q| json_arg(Some(q))).transpose() {
        Ok(None) => Vec::new(),
        Ok(Some(Value::Object(map))) => {
            let mut pairs = Vec::new();
            for (name, value) in map {
                let values = match value {
                    Value::Array(items) => items,
                    other => vec![other],
                };
                for value in values {
                    let text = match value {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    pairs.push((name.clone(), text));
                }
            }
            pairs
        }
        Ok(Some(_)) => return fail(&invalid("--query must be a JSON object".into())),
        Err(message) => return fail(&invalid(message)),
    };
    let body = match body.map(|b| json_arg(Some(b))).transpose() {
        Ok(body) => body,
        Err(message) => return fail(&invalid(message)),
    };
    let client = match client() {
        Ok(client) => client,
        Err(code) => return code,
    };
    match client.request(method, path, &query_pairs, body.as_ref()) {
        Ok(response) => print_body(&response.body),
        Err(error) => fail(&error),
    }
}
