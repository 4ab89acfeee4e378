//! The Prometheus scrape configuration of the observability profile.

use crate::{SERVICES, repo, succeed, tool, yaml_file};

#[test]
fn prometheus_scrapes_every_service_and_loads_the_alert_rules() {
    let config = repo().join("deploy/prometheus/prometheus.yml");
    // Syntax only: the rule file and the token file it names exist inside the container.
    succeed(
        tool("promtool", "the Debian package prometheus")
            .args(["check", "config", "--syntax-only"])
            .arg(&config),
    );
    let config = yaml_file(&config);
    let rules = config["rule_files"].as_array().expect("rule_files");
    assert!(
        rules.iter().any(|r| r == "/etc/prometheus/alerts.yml"),
        "{rules:?}"
    );
    let compose = yaml_file(&repo().join("compose.yaml"));
    let mounts = compose["services"]["prometheus"]["volumes"]
        .as_array()
        .expect("volumes");
    assert!(
        mounts
            .iter()
            .any(|m| m == "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro"),
        "compose does not mount deploy/prometheus/alerts.yml where prometheus.yml reads it"
    );

    let targets: Vec<String> = config["scrape_configs"]
        .as_array()
        .expect("scrape_configs")
        .iter()
        .flat_map(|job| {
            job["static_configs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|c| c["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    for service in SERVICES {
        let port = compose_port(&compose, service);
        let target = format!("{service}:{port}");
        assert!(
            targets.contains(&target),
            "{target} is not scraped: {targets:?}"
        );
    }
}

/// The HTTP port a service listens on in compose.yaml (from its BOXOFFICE_*_LISTEN or
/// _HTTP_ADDR variable).
fn compose_port(compose: &serde_json::Value, service: &str) -> String {
    let environment = compose["services"][service]["environment"]
        .as_object()
        .expect("environment");
    let upper = service.to_uppercase();
    environment
        .iter()
        .find(|(key, _)| {
            *key == &format!("BOXOFFICE_{upper}__LISTEN")
                || *key == &format!("BOXOFFICE_{upper}__HTTP_ADDR")
        })
        .and_then(|(_, value)| value.as_str())
        .and_then(|addr| addr.rsplit_once(':'))
        .map(|(_, port)| port.to_owned())
        .unwrap_or_else(|| panic!("{service} has no listen address in compose.yaml"))
}
