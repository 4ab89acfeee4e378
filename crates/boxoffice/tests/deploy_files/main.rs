//! The deployment files (Dockerfile, compose.yaml, Kubernetes, Kong, Prometheus) checked with
//! the tools that read them, and against the code they deploy. Every tool must be on PATH; a
//! missing one fails the test with what to install (docs/DEPLOYING.md, "Checks").

mod compose;
mod image;
mod kong;
mod kubernetes;
mod prometheus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value;

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `name` as found on PATH; panics naming the package to install when it is not there.
fn tool(name: &str, install: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(found, "`{name}` is not on PATH: install {install}");
    Command::new(name)
}

/// Runs `command`, panicking with its output unless it succeeds.
fn succeed(command: &mut Command) -> Output {
    let output = command.output().expect("run the tool");
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every YAML document of `text`, as JSON values.
fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).expect("valid YAML"))
        .filter(|value| !value.is_null())
        .collect()
}

/// A YAML file as JSON, its merge keys (`<<: *anchor`) applied as compose applies them.
fn yaml_file(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yaml.apply_merge().expect("merge keys");
    serde_json::to_value(yaml).expect("YAML as JSON")
}

/// A temporary directory with the secrets `scripts/compose-secrets.sh` makes, in `dir`
/// relative to it (`secrets`, or `k8s/base/secrets` for the kustomize base).
fn generate_secrets(root: &Path, dir: &str) {
    succeed(
        Command::new("bash")
            .arg(repo().join("scripts/compose-secrets.sh"))
            .arg(root.join(dir)),
    );
}

/// Copies `from` (a directory) to `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The six services of the distributed deployment.
const SERVICES: [&str; 6] = [
    "users",
    "cinema",
    "booking",
    "payments",
    "notifications",
    "gateway",
];
