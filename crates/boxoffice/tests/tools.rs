//! The operator tools: `boxoffice bench` and `boxoffice audit`, as a person runs them.

use std::process::Command;

fn boxoffice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_boxoffice"))
}

/// Runs `boxoffice bench <args> --json <dir>/report.json [extra]`, expects success and returns the
/// report.
fn bench(dir: &std::path::Path, args: &[&str], extra: &[&std::ffi::OsStr]) -> serde_json::Value {
    let report = dir.join("report.json");
    let output = boxoffice()
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(&report)
        .args(extra)
        .output()
        .expect("run bench");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json")
}

#[test]
fn a_short_rush_on_an_embedded_instance_sells_seats_and_audits_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("rush.html");
    let report = bench(
        dir.path(),
        &["rush", "--users", "20", "--duration", "5"],
        &["--html".as_ref(), html.as_os_str()],
    );
    for field in [
        "scenario",
        "users",
        "duration_s",
        "bookings_confirmed",
        "seats_sold",
        "seats_total",
        "confirmed_per_s",
        "attempts",
        "conflicts",
        "errors",
        "latency_ms",
        "audit",
    ] {
        assert!(report.get(field).is_some(), "report lacks {field}");
    }
    assert_eq!(report["scenario"], "rush");
    assert!(
        report["bookings_confirmed"].as_u64().expect("count") > 0,
        "{report}"
    );
    assert!(report["seats_sold"].as_u64() <= report["seats_total"].as_u64());
    assert_eq!(report["audit"]["ok"], true, "{}", report["audit"]);
    let create = &report["latency_ms"]["createBooking"];
    for quantile in ["p50", "p90", "p99", "p999", "max"] {
        assert!(
            create[quantile].as_f64().is_some(),
            "createBooking lacks {quantile}"
        );
    }
    let html = std::fs::read_to_string(&html).expect("html");
    assert!(html.contains("<svg") && html.contains("createBooking"));
}

#[test]
fn audit_of_an_empty_embedded_deployment_is_clean_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = boxoffice()
        .arg("--data-dir")
        .arg(dir.path())
        .arg("audit")
        .output()
        .expect("audit");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = String::from_utf8_lossy(&output.stdout);
    for invariant in ["I1", "I2", "I3", "I4", "I5"] {
        assert!(table.contains(invariant), "{table}");
    }
    assert!(table.contains("audit: OK"));
}

#[test]
fn an_unknown_bench_scenario_is_refused_clearly() {
    let output = boxoffice()
        .args(["bench", "stampede"])
        .output()
        .expect("bench");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown scenario"));
}

#[test]
fn a_few_clients_sell_more_seats_than_the_per_customer_limit_allows_one_account() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = bench(
        dir.path(),
        &["single", "--users", "2", "--duration", "8"],
        &[],
    );
    // Two accounts could hold at most 2 × 10 seats of the one showtime.
    assert!(
        report["seats_sold"].as_u64().expect("seats") > 20,
        "{report}"
    );
    assert!(report["errors"].get("HOLD_LIMIT").is_none(), "{report}");
    assert_eq!(report["audit"]["ok"], true, "{}", report["audit"]);
}
