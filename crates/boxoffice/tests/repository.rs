//! What the repository must never hold: a data directory, a signing key or a service token
//! that some run of the binary or its tests generated (one was committed once).

use std::process::Command;

fn tracked_files() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .expect("git runs (the tests run in a git checkout)");
    assert!(
        output.status.success(),
        "git ls-files: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8 paths")
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A path the binary generates: anything in a data directory, its secrets and keys.
fn generated(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.split('/').any(|part| part == "boxoffice-data")
        || name.ends_with("-service-token")
        || name.ends_with(".pem")
        || name.ends_with(".key")
        || name.ends_with(".db")
        || name.ends_with(".eml")
}

#[test]
fn the_repository_tracks_no_generated_key_token_or_data_directory() {
    let files = tracked_files();
    assert!(
        files.iter().any(|f| f == "Cargo.toml"),
        "the listing is the repository's"
    );
    let offending: Vec<&String> = files.iter().filter(|f| generated(f)).collect();
    assert!(
        offending.is_empty(),
        "generated files tracked: {offending:?}"
    );
}

#[test]
fn the_rule_catches_what_was_committed_once() {
    assert!(generated(
        "crates/boxoffice/boxoffice-data/secrets/payments-service-token"
    ));
    assert!(generated("somewhere/keys/current.pem"));
    assert!(!generated("crates/auth/src/keys.rs"));
}
