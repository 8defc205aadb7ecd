//! Developer tasks for libclerk: `cargo xtask <task>`.
//!
//! - `codegen [--spec PATH] [--check]`: generate `clerk-core/src/generated/` from Clerk's
//!   OpenAPI spec (default `../shared/openapi/clerk-bapi-2026-05-12.json`, relative to the
//!   workspace root), the Go package's `bindings/go/*_gen.go` and the Python stub
//!   `bindings/python/libclerk/api.pyi`; with `--check`, only report generated files
//!   that differ.

mod codegen;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The spec the generated code comes from, relative to the workspace root.
const DEFAULT_SPEC: &str = "../shared/openapi/clerk-bapi-2026-05-12.json";
/// Where the generated modules live, relative to the workspace root.
const GENERATED_DIR: &str = "clerk-core/src/generated";

const USAGE: &str = "usage: cargo xtask codegen [--spec PATH] [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => match run_codegen(&args[1..]) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("error: {message}\n{USAGE}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn run_codegen(args: &[String]) -> Result<ExitCode, String> {
    let root = workspace_root();
    let mut spec_path = root.join(DEFAULT_SPEC);
    let mut check = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--spec" => {
                let path = rest.next().ok_or("--spec needs a path")?;
                spec_path = PathBuf::from(path);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    // Only the file name goes into the generated header: the same spec gives the same
    // output whichever way its path was spelled, and no machine path is committed.
    let spec_label = spec_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} is not a file path", spec_path.display()))?;
    let spec = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read the spec {}: {e}", spec_path.display()))?;
    let files = codegen::generate(&spec, &spec_label, &root);
    let out_dir = root.join(GENERATED_DIR);
    let go_files = codegen::golang::generate(&spec, &spec_label);
    let python_stub = codegen::python::generate(&spec, &spec_label);
    let python_path = codegen::python::STUB_PATH;

    if check {
        let mut problems = codegen::golang::check(&root, &go_files);
        for (name, source) in &files {
            match std::fs::read_to_string(out_dir.join(name)) {
                Ok(existing) if existing == *source => {}
                Ok(_) => problems.push(format!("{GENERATED_DIR}/{name} differs")),
                Err(_) => problems.push(format!("{GENERATED_DIR}/{name} is missing")),
            }
        }
        for name in existing_files(&out_dir)? {
            if !files.contains_key(&name) {
                problems.push(format!(
                    "{GENERATED_DIR}/{name} is not generated (extra file)"
                ));
            }
        }
        match std::fs::read_to_string(root.join(python_path)) {
            Ok(existing) if existing == python_stub => {}
            Ok(_) => problems.push(format!("{python_path} differs")),
            Err(_) => problems.push(format!("{python_path} is missing")),
        }
        if problems.is_empty() {
            println!("{GENERATED_DIR} is up to date ({} files)", files.len());
            println!(
                "{} is up to date ({} files)",
                codegen::golang::GO_DIR,
                go_files.len()
            );
            println!("{python_path} is up to date");
            return Ok(ExitCode::SUCCESS);
        }
        for problem in &problems {
            eprintln!("{problem}");
        }
        eprintln!("run `cargo xtask codegen` to regenerate");
        return Ok(ExitCode::FAILURE);
    }

    std::fs::create_dir_all(&out_dir).map_err(|e| format!("cannot create {GENERATED_DIR}: {e}"))?;
    for name in existing_files(&out_dir)? {
        if !files.contains_key(&name) {
            std::fs::remove_file(out_dir.join(&name))
                .map_err(|e| format!("cannot remove {name}: {e}"))?;
        }
    }
    for (name, source) in &files {
        std::fs::write(out_dir.join(name), source)
            .map_err(|e| format!("cannot write {name}: {e}"))?;
    }
    println!("wrote {} files to {GENERATED_DIR}", files.len());
    codegen::golang::write(&root, &go_files)?;
    std::fs::write(root.join(python_path), &python_stub)
        .map_err(|e| format!("cannot write {python_path}: {e}"))?;
    println!("wrote {python_path}");
    Ok(ExitCode::SUCCESS)
}

/// Names of the files now in the generated directory, sorted.
fn existing_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().map_err(|e| e.to_string())?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}
