//! compose.yaml: valid with every profile once the secrets exist, and wired as the
//! distributed deployment needs (health-gated start, the seed job, no secret in the file).

use serde_json::Value;

use crate::{SERVICES, generate_secrets, repo, succeed, tool, yaml_documents};

/// `docker-compose config` in a copy of the compose files whose ./secrets/ the secrets
/// script has filled; returns the resolved configuration.
fn resolved(extra_files: &[&str], profiles: &[&str]) -> Value {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo().join("compose.yaml"),
        root.path().join("compose.yaml"),
    )
    .expect("copy");
    crate::copy_tree(&repo().join("deploy"), &root.path().join("deploy"));
    generate_secrets(root.path(), "secrets");
    let compose = || {
        let mut command = tool("docker-compose", "the Debian package docker-compose");
        command
            .current_dir(root.path())
            .env("COMPOSE_PROJECT_NAME", "boxoffice")
            .args(["-f", "compose.yaml"]);
        for file in extra_files {
            command.args(["-f", file]);
        }
        for profile in profiles {
            command.args(["--profile", profile]);
        }
        command
    };
    succeed(compose().args(["config", "-q"]));
    let output = succeed(compose().arg("config"));
    let mut documents = yaml_documents(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(documents.len(), 1);
    documents.remove(0)
}

#[test]
fn compose_is_valid_with_every_profile_and_the_traces_override() {
    let config = resolved(&[], &["kong", "observability", "tools"]);
    let services = config["services"].as_object().expect("services");
    for name in [
        "postgres",
        "rabbitmq",
        "redis",
        "seed",
        "kong",
        "prometheus",
        "grafana",
        "jaeger",
        "pgadmin",
        "redis-commander",
    ]
    .into_iter()
    .chain(SERVICES)
    {
        assert!(services.contains_key(name), "no service {name}");
    }

    let traced = resolved(&["deploy/compose/traces.yaml"], &["observability"]);
    for service in SERVICES {
        let environment = &traced["services"][service]["environment"];
        assert_eq!(
            environment["BOXOFFICE_OTLP_ENDPOINT"], "http://jaeger:4317",
            "{service}"
        );
        // The override adds to the service's environment rather than replacing it.
        assert!(environment["BOXOFFICE_JWKS_URL"].is_string(), "{service}");
    }
}

#[test]
fn every_service_starts_after_what_it_needs_is_healthy_and_the_seed_runs_once() {
    let config = resolved(&[], &[]);
    let services = &config["services"];
    for name in SERVICES {
        let service = &services[name];
        assert_eq!(service["image"], "boxoffice:local", "{name}");
        assert!(
            service["healthcheck"]["test"]
                .as_array()
                .is_some_and(|t| t.iter().any(|a| a == "healthcheck")),
            "{name} has no `boxoffice healthcheck` probe"
        );
        assert!(
            service["environment"]["BOXOFFICE_HEALTHCHECK_URL"]
                .as_str()
                .is_some_and(|url| url.ends_with("/readyz")),
            "{name} probes no /readyz"
        );
        assert_eq!(service["read_only"], true, "{name}");
        let depends = service["depends_on"].as_object().expect("depends_on");
        assert!(!depends.is_empty(), "{name}");
        for (dependency, condition) in depends {
            assert_eq!(
                condition["condition"], "service_healthy",
                "{name} -> {dependency}"
            );
        }
    }
    assert_eq!(
        services["gateway"]["ports"][0]["published"]
            .to_string()
            .trim_matches('"'),
        "8000"
    );
    let seed = &services["seed"];
    assert_eq!(seed["restart"], "no");
    assert_eq!(seed["command"][0], "seed");
    assert_eq!(
        seed["depends_on"]["gateway"]["condition"],
        "service_healthy"
    );
}

#[test]
fn compose_holds_no_secret_values() {
    let compose = crate::yaml_file(&repo().join("compose.yaml"));
    let secretish = ["PASSWORD", "TOKEN", "SECRET", "KEY", "_URL"];
    for (name, service) in compose["services"].as_object().expect("services") {
        let Some(environment) = service["environment"].as_object() else {
            continue;
        };
        for (key, value) in environment {
            let value = value.as_str().unwrap_or_default();
            if key.ends_with("_FILE") || !secretish.iter().any(|s| key.contains(s)) {
                continue;
            }
            // URLs are allowed when they carry no credentials.
            assert!(
                key.ends_with("_URL") && !value.contains('@'),
                "{name}: {key} is set in compose.yaml; read it from a secret file"
            );
        }
    }
    // Every secret is a file under ./secrets/, which git ignores.
    for (name, secret) in compose["secrets"].as_object().expect("secrets") {
        let file = secret["file"].as_str().expect("file secret");
        assert!(file.starts_with("./secrets/"), "{name}: {file}");
    }
    let ignored = std::fs::read_to_string(repo().join(".gitignore")).expect(".gitignore");
    assert!(ignored.lines().any(|l| l == "/secrets"));
}
