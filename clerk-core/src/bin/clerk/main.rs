//! `clerk`: the command-line face of clerk-core, for scripts and for our own checks.
//!
//! Exit codes: 0 success (also when standard output is closed early, as by `| head`),
//! 1 the operation failed (error JSON on stderr), 2 usage error.

mod authenticate_cmd;
mod verify_cmds;

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use clerk_core::{Client, Error, FilePart, Method, operations};
use serde_json::{Value, json};

/// The Clerk Backend API and session verification from the command line.
#[derive(Parser)]
#[command(
    name = "clerk",
    version,
    propagate_version = true,
    after_help = "Environment: CLERK_SECRET_KEY, CLERK_API_URL (default https://api.clerk.com), \
                  CLERK_API_VERSION; CLERK_JWT_KEY for verify; RUST_LOG=clerk=debug logs \
                  requests to stderr.\n\
                  Exit codes: 0 ok, 1 the operation or verification failed (error JSON on \
                  stderr), 2 usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the operation table, one JSON line per operation.
    Ops {
        /// Every field of each operation (params, body, pagination, ...).
        #[arg(long)]
        full: bool,
    },
    /// Call an operation by operationId (GetUserList) or resource.method (users.list).
    Call {
        /// The operation, e.g. users.get or GetUser (`clerk ops` lists them).
        name: String,
        /// The flat params object, e.g. '{"user_id": "user_123"}'; `-` reads stdin.
        params: Option<String>,
        /// A file parameter of a multipart operation, read from PATH.
        #[arg(long = "file", value_name = "FIELD=PATH[:CONTENT_TYPE]")]
        files: Vec<String>,
    },
    /// Call a list operation page after page, one JSON line per page.
    Pages {
        /// The list operation, e.g. users.list.
        name: String,
        /// The flat params object (`limit` sets the page size); `-` reads stdin.
        params: Option<String>,
    },
    /// Send a raw request below {CLERK_API_URL}/v1 (the tool adds /v1).
    Request {
        /// GET, POST, PUT, PATCH or DELETE (any case).
        method: String,
        /// The path below /v1, e.g. /users.
        path: String,
        /// Query as a JSON object: arrays repeat the key, null leaves it out.
        #[arg(long, value_name = "JSON")]
        query: Option<String>,
        /// The JSON body; `-` reads stdin.
        #[arg(long, value_name = "JSON|-")]
        body: Option<String>,
    },
    /// Verify session tokens locally.
    Verify(verify_cmds::VerifyArgs),
    /// Authenticate requests as @clerk/backend's authenticateRequest does: one JSON object
    /// a line on stdin ({method, url, headers, options, now?, has?}), one result line each.
    Authenticate {
        /// Read JSON lines from stdin (the only mode).
        #[arg(long, required = true)]
        jsonl: bool,
    },
    /// Verify or sign webhook deliveries (Svix / Standard Webhooks).
    Webhook {
        #[command(subcommand)]
        command: verify_cmds::WebhookCommand,
    },
    /// Mint session tokens for tests.
    Token {
        #[command(subcommand)]
        command: verify_cmds::TokenCommand,
    },
}

/// Why a command stopped short of success.
pub(crate) enum Failure {
    /// A command-line mistake: the message on stderr, exit code 2.
    Usage(String),
    /// The operation failed: this error object on stderr, exit code 1.
    Failed(Value),
    /// Standard output was closed (`| head -1`): stop at once, quietly, exit code 0.
    ClosedPipe,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Failed(error.to_json())
    }
}

/// A command's exit code when it ran to its end (0, or 1 for a refused token or webhook).
pub(crate) type Outcome = Result<u8, Failure>;

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

/// Writes one line to standard output, flushed, so a closed pipe is seen at once.
pub(crate) fn print_line(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ClosedPipe),
        Err(error) => Err(usage(format!("cannot write to standard output: {error}"))),
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (nothing when it is unset). The HTTP layer's
/// wire dumps hold the `Authorization` header: they stay off unless `RUST_LOG` names them.
fn init_logging() {
    let Ok(filter) = std::env::var("RUST_LOG") else {
        return;
    };
    let filter = if filter.contains("ureq") {
        filter
    } else {
        format!("{filter},ureq=info,ureq_proto=info")
    };
    env_logger::Builder::new()
        .parse_filters(&filter)
        .target(env_logger::Target::Stderr)
        .init();
}

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and exit 0; mistakes print usage and exit 2.
        Err(error) => error.exit(),
    };
    let (outcome, command) = match cli.command {
        Command::Ops { full } => (ops(full), "ops"),
        Command::Call {
            name,
            params,
            files,
        } => (call(&name, params.as_deref(), &files), "call"),
        Command::Pages { name, params } => (pages(&name, params.as_deref()), "pages"),
        Command::Request {
            method,
            path,
            query,
            body,
        } => (
            request(&method, &path, query.as_deref(), body.as_deref()),
            "request",
        ),
        Command::Verify(args) => (verify_cmds::verify(args), "verify"),
        Command::Authenticate { jsonl: _ } => (
            Ok(authenticate_cmd::run(&["--jsonl".to_owned()]) as u8),
            "authenticate",
        ),
        Command::Webhook { command } => (verify_cmds::webhook(command), "webhook"),
        Command::Token { command } => (verify_cmds::token(command), "token"),
    };
    let mut stderr = std::io::stderr().lock();
    let code = match outcome {
        Ok(code) => code,
        Err(Failure::ClosedPipe) => 0,
        Err(Failure::Failed(error)) => {
            let _ = writeln!(stderr, "{error}");
            1
        }
        Err(Failure::Usage(message)) => {
            let _ = writeln!(
                stderr,
                "error: {message}\n\nFor more information, try 'clerk {command} --help'."
            );
            2
        }
    };
    ExitCode::from(code)
}

fn ops(full: bool) -> Outcome {
    for op in operations::all() {
        let line = if full {
            serde_json::to_value(op).unwrap_or_default()
        } else {
            json!({"name": op.name, "operation_id": op.operation_id, "method": op.method, "path": op.path})
        };
        print_line(&line.to_string())?;
    }
    Ok(0)
}

/// Reads a JSON argument's text, `-` meaning standard input.
pub(crate) fn text_arg(text: &str) -> Result<String, Failure> {
    if text != "-" {
        return Ok(text.to_owned());
    }
    let mut buffer = String::new();
    std::io::stdin()
        .read_to_string(&mut buffer)
        .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
    Ok(buffer)
}

/// A JSON argument (`-` for stdin), refused with a message that says what to give.
fn json_arg(what: &str, text: Option<&str>, example: &str) -> Result<Option<Value>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    let text = text_arg(text)?;
    if what == "PARAMS_JSON" && text.trim().is_empty() {
        return Ok(Some(json!({})));
    }
    serde_json::from_str(&text).map(Some).map_err(|error| {
        Failure::from(Error::InvalidParams {
            message: format!(
                "{what} is not valid JSON ({error}); give JSON such as {example} (in single \
                 quotes in a shell), or - to read it from standard input"
            ),
        })
    })
}

fn params_arg(text: Option<&str>) -> Result<Value, Failure> {
    Ok(json_arg("PARAMS_JSON", text, r#"'{"user_id": "user_123"}'"#)?.unwrap_or_else(|| json!({})))
}

fn client() -> Result<Client, Failure> {
    Ok(Client::from_env()?)
}

fn call(name: &str, params: Option<&str>, file_specs: &[String]) -> Outcome {
    let params = params_arg(params)?;
    let files = file_specs
        .iter()
        .map(|spec| read_file_spec(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let parts: Vec<FilePart<'_>> = files
        .iter()
        .map(|file| {
            let part = FilePart::new(&file.field, &file.filename, &file.content);
            match &file.content_type {
                Some(content_type) => part.with_content_type(content_type),
                None => part,
            }
        })
        .collect();
    let client = client()?;
    let response = if parts.is_empty() {
        client.call(name, &params)?
    } else {
        client.call_with_files(name, &params, &parts)?
    };
    print_line(&response.body)?;
    Ok(0)
}

/// One `--file FIELD=PATH[:CONTENT_TYPE]`, read.
struct FileArg {
    field: String,
    filename: String,
    content_type: Option<String>,
    content: Vec<u8>,
}

fn read_file_spec(spec: &str) -> Result<FileArg, Failure> {
    let (field, location) = spec.split_once('=').ok_or_else(|| {
        usage(format!(
            "--file {spec:?} must be FIELD=PATH[:CONTENT_TYPE], e.g. --file file=me.png:image/png"
        ))
    })?;
    let (path, content_type) = match location.rsplit_once(':') {
        Some((path, content_type)) if content_type.contains('/') => (path, Some(content_type)),
        _ => (location, None),
    };
    let content =
        std::fs::read(path).map_err(|e| usage(format!("--file: cannot read {path}: {e}")))?;
    let filename = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    Ok(FileArg {
        field: field.to_owned(),
        filename,
        content_type: content_type.map(str::to_owned),
        content,
    })
}

fn pages(name: &str, params: Option<&str>) -> Outcome {
    let params = params_arg(params)?;
    let client = client()?;
    for page in client.pages(name, &params)? {
        print_line(&page?.body)?;
    }
    Ok(0)
}

fn request(method: &str, path: &str, query: Option<&str>, body: Option<&str>) -> Outcome {
    let Some(method) = Method::parse(method) else {
        return Err(usage(format!(
            "unknown HTTP method {method:?}: use GET, POST, PUT, PATCH or DELETE"
        )));
    };
    let query = json_arg("--query", query, r#"'{"limit": 10}'"#)?;
    let query = clerk_core::query_from_json(query.as_ref().unwrap_or(&Value::Null))?;
    let body = json_arg("--body", body, r#"'{"first_name": "Ada"}'"#)?;
    let client = client()?;
    match client.request(method, path, &query, body.as_ref()) {
        Ok(response) => {
            print_line(&response.body)?;
            Ok(0)
        }
        Err(error) => {
            let mut json = error.to_json();
            let doubled = path
                .strip_prefix("/v1")
                .filter(|rest| rest.starts_with('/'));
            if let (Some(404), Some(rest)) = (error.status(), doubled) {
                json["hint"] = format!(
                    "the tool adds /v1 itself (this went to {}{path}): try `clerk request {method} {rest}`",
                    client.base_url()
                )
                .into();
            }
            Err(Failure::Failed(json))
        }
    }
}
