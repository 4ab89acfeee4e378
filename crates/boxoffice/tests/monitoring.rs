//! The monitoring the repository ships, checked against the real thing: the alert rules pass
//! `promtool` and their unit tests, the Grafana dashboard is a dashboard whose every panel
//! queries something, and a real Prometheus scraping `boxoffice all` after some traffic finds
//! every `boxoffice_*` series the dashboard and the rules use.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cluster::{Cluster, Deployment};
use support::journey::{customer_journey, staff_create_catalog};

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs a tool that must be on PATH; a missing tool fails the test with what to install.
fn run_tool(tool: &str, install: &str, args: &[&str], dir: &Path) -> String {
    let output = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("`{tool}` is not runnable ({e}): install {install}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{tool} {args:?} failed:\n{text}");
    text
}

/// The `boxoffice_*` names in one PromQL expression, as written (a histogram's `_bucket`
/// series is stored under that name, so it is looked up as such).
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = expr;
    while let Some(at) = rest.find("boxoffice_") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        if !preceded_by_ident {
            names.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

/// Every `expr:` of a rules file, inline or as a `|`/`>` block (the indented lines after it).
fn rule_expressions(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut exprs = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(value) = trimmed.strip_prefix("expr:") else {
            continue;
        };
        let value = value.trim();
        if !value.starts_with('|') && !value.starts_with('>') {
            exprs.push(value.to_owned());
            continue;
        }
        let indent = line.len() - trimmed.len();
        let block: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
            .copied()
            .collect();
        exprs.push(block.join("\n"));
    }
    exprs
}

/// Every panel of a dashboard, rows' nested panels included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut all = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        all.push(panel);
        all.extend(panel["panels"].as_array().into_iter().flatten());
    }
    all
}

fn dashboard() -> Value {
    serde_json::from_str(&read("deploy/grafana/dashboards/boxoffice.json"))
        .expect("the dashboard is valid JSON")
}

fn dashboard_expressions(dashboard: &Value) -> Vec<String> {
    panels(dashboard)
        .into_iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn metric_names_are_read_from_inline_and_block_expressions() {
    let yaml = "rules:\n  - alert: A\n    expr: max(boxoffice_a_seconds) > 1\n    for: 1m\n  - alert: B\n    expr: |\n      sum(rate(boxoffice_b_total{x=\"y\"}[5m]))\n      / sum(rate(boxoffice_c_bucket[5m]))\n    labels: {}\n";
    let exprs = rule_expressions(yaml);
    assert_eq!(exprs.len(), 2);
    let names: BTreeSet<String> = exprs.iter().flat_map(|e| metric_names(e)).collect();
    let expected: BTreeSet<String> = [
        "boxoffice_a_seconds",
        "boxoffice_b_total",
        "boxoffice_c_bucket",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(names, expected);
    assert!(metric_names("not_boxoffice_x + up").is_empty());
}

#[test]
fn the_alert_rules_pass_promtool_and_each_fires_in_its_unit_test() {
    let dir = repo_file("deploy/prometheus");
    let install = "Debian's `prometheus` package (promtool)";
    run_tool("promtool", install, &["check", "rules", "alerts.yml"], &dir);
    let tested = run_tool(
        "promtool",
        install,
        &["test", "rules", "alerts.test.yml"],
        &dir,
    );
    assert!(tested.contains("SUCCESS"), "{tested}");
    // Every alert of the rules file has a unit test that expects it to fire.
    let rules = read("deploy/prometheus/alerts.yml");
    let tests = read("deploy/prometheus/alerts.test.yml");
    for alert in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert:"))
    {
        assert!(
            tests.contains(&format!("alertname: {}", alert.trim())),
            "no unit test for {alert}"
        );
    }
}

#[test]
fn the_dashboard_is_a_grafana_dashboard_whose_every_panel_has_a_query() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "boxoffice");
    assert!(dashboard["title"].is_string() && dashboard["schemaVersion"].is_u64());
    let all = panels(&dashboard);
    assert!(all.len() >= 10, "only {} panels", all.len());
    for panel in all.iter().filter(|p| p["type"] != "row") {
        let title = panel["title"].as_str().expect("every panel has a title");
        assert_eq!(
            panel["datasource"]["uid"], "${DS_PROMETHEUS}",
            "{title}: the datasource is the dashboard's variable"
        );
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title} queries nothing");
        for target in targets {
            let expr = target["expr"].as_str().unwrap_or_default();
            assert!(
                !metric_names(expr).is_empty(),
                "{title}: {expr:?} uses no boxoffice metric"
            );
        }
    }
}

/// A free port on 127.0.0.1 for a process that cannot be handed a listener.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts a real Prometheus scraping `targets` every second, with `token` as bearer for
    /// the gateway's public port (the only one that asks for it).
    fn start(targets: &[String], gateway: &str, token: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let quoted = |list: &[String]| {
            list.iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n\
             \x20 - job_name: internal\n    static_configs:\n      - targets: [{}]\n\
             \x20 - job_name: gateway\n    authorization:\n      credentials: '{token}'\n    static_configs:\n      - targets: ['{gateway}']\n",
            quoted(targets)
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("prometheus config");
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("`prometheus` is not runnable ({e}): install Debian's `prometheus` package")
            });
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    async fn api(
        &self,
        client: &reqwest::Client,
        path: &str,
        query: &[(&str, &str)],
    ) -> Option<Value> {
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        let response = client
            .get(format!("{}{path}?{}", self.url, query.join("&")))
            .send()
            .await
            .ok()?;
        let body: Value = response.json().await.ok()?;
        (body["status"] == "success").then(|| body["data"].clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prometheus_scraping_boxoffice_all_finds_every_metric_the_dashboard_and_the_alerts_use() {
    let mut wanted: BTreeSet<String> = dashboard_expressions(&dashboard())
        .iter()
        .flat_map(|e| metric_names(e))
        .collect();
    let rules = read("deploy/prometheus/alerts.yml");
    wanted.extend(
        rule_expressions(&rules)
            .iter()
            .flat_map(|e| metric_names(e)),
    );
    assert!(wanted.len() >= 10, "only {wanted:?}");

    let token = "prometheus-scrapes-the-gateway-0703";
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[("BOXOFFICE_GATEWAY__METRICS_TOKEN", token)],
    )
    .await;
    // The internal listeners of every service in the process serve /metrics openly.
    let ready = cluster.ready("all");
    let targets: Vec<String> = ["users", "cinema", "payments", "booking", "notifications"]
        .iter()
        .map(|s| {
            ready[*s]["http_addr"]
                .as_str()
                .unwrap_or_else(|| panic!("{s} announced no address"))
                .to_owned()
        })
        .collect();
    let gateway = cluster.gateway_url.trim_start_matches("http://").to_owned();
    let prometheus = Prometheus::start(&targets, &gateway, token);

    // Traffic that makes the outcome series exist: a hold watched on the seat map, a declined
    // and a good payment, a confirmation, a cancellation with a refund.
    let admin = cluster.admin().await;
    let catalog = staff_create_catalog(&admin, "monitoring").await;
    customer_journey(&cluster, &catalog, "watcher@boxoffice.test").await;

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let up = prometheus
            .api(&client, "/api/v1/query", &[("query", "up == 1")])
            .await
            .and_then(|d| d["result"].as_array().map(Vec::len))
            .unwrap_or(0);
        let mut missing = Vec::new();
        for name in &wanted {
            let series = prometheus
                .api(&client, "/api/v1/series", &[("match[]", name.as_str())])
                .await;
            let has_data = series.is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()));
            if !has_data {
                missing.push(name.clone());
            }
        }
        if up == targets.len() + 1 && missing.is_empty() {
            break missing;
        }
        if Instant::now() > deadline {
            break missing
                .into_iter()
                .chain((up != targets.len() + 1).then(|| format!("(only {up} targets up)")))
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(missing.is_empty(), "Prometheus has no data for {missing:?}");
}
