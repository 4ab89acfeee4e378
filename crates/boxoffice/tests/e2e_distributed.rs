//! End to end through the gateway against six processes on PostgreSQL, RabbitMQ and Redis.

mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use support::cluster::{Cluster, Deployment};
use support::journey;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_customer_books_pays_gets_tickets_and_a_refund_across_six_processes() {
    let cluster = Cluster::start(Deployment::Distributed).await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "dist").await;
    journey::customer_journey(&cluster, &catalog, "erin@example.com").await;

    // Every event reached its consumer and every store agrees.
    cluster.audit_until_clean(Duration::from_secs(30), "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identity_is_decided_by_the_gateway_not_by_the_client() {
    let cluster = Cluster::start(Deployment::Distributed).await;
    let api = cluster.api();
    let customer = api
        .register(
            "mallory@example.com",
            "a perfectly fine passphrase",
            "Mallory",
        )
        .await
        .expect("register");
    let admin = api
        .login(
            support::cluster::ADMIN_EMAIL,
            support::cluster::ADMIN_PASSWORD,
        )
        .await
        .expect("admin");
    let http = reqwest::Client::new();

    // A customer on the admin API: 403.
    let forbidden = http
        .get(format!("{}/api/v1/admin/cinemas", cluster.gateway_url))
        .bearer_auth(&customer.access_token)
        .send()
        .await
        .expect("request");
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // A client-supplied identity header is ignored: the customer stays the customer.
    let me: serde_json::Value = http
        .get(format!("{}/api/v1/users/me", cluster.gateway_url))
        .bearer_auth(&customer.access_token)
        .header("x-user-id", &admin.user.id)
        .header("x-user-role", "admin")
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["id"], customer.user.id.as_str());
    let sneaky = http
        .get(format!("{}/api/v1/admin/cinemas", cluster.gateway_url))
        .header("x-user-id", &admin.user.id)
        .header("x-user-role", "admin")
        .send()
        .await
        .expect("request");
    assert_eq!(sneaky.status(), StatusCode::UNAUTHORIZED);

    // A forged token and an expired-looking garbage token: 401 at the gateway.
    let mut parts: Vec<String> = customer
        .access_token
        .split('.')
        .map(str::to_owned)
        .collect();
    parts[2] = "AAAA".into();
    for token in [parts.join("."), "eyJhbGciOiJub25lIn0.e30.".to_owned()] {
        let response = http
            .get(format!("{}/api/v1/users/me", cluster.gateway_url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    // Payments is internal: the gateway does not route it.
    let payments = http
        .get(format!("{}/api/v1/payments", cluster.gateway_url))
        .send()
        .await
        .expect("request");
    assert_eq!(payments.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_cinema_service_gives_fast_clear_errors_and_the_journey_works_after_its_restart() {
    let mut cluster = Cluster::start(Deployment::Distributed).await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "kill").await;
    cluster.kill("cinema");

    let started = Instant::now();
    let admin_call = admin
        .get::<serde_json::Value>("/api/v1/admin/cinemas")
        .await
        .expect_err("cinema is down");
    assert_eq!(admin_call.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    let query = cluster
        .api()
        .graphql(
            "query($id: ID!) { showtime(id: $id) { id seatMap { rows { label } } } }",
            json!({"id": catalog.showtime_id}),
        )
        .await
        .expect_err("the seat map needs cinema");
    assert!(query.graphql_code().is_some(), "{query}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "errors must come fast, took {:?}",
        started.elapsed()
    );

    cluster.restart("cinema");
    cluster.wait_until_ready().await;
    journey::customer_journey(&cluster, &catalog, "after-restart@example.com").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_gateway_processes_share_one_login_budget_through_redis() {
    // 20 logins per hour: the budget refills far slower than the test runs, so the count is exact.
    let mut cluster = Cluster::start_with(
        Deployment::Distributed,
        &[
            ("BOXOFFICE_GATEWAY__RATE_LIMIT__AUTH_REQUESTS", "20"),
            ("BOXOFFICE_GATEWAY__RATE_LIMIT__AUTH_PERIOD_SECS", "3600"),
        ],
    )
    .await;
    let second = cluster.start_second_gateway();
    let http = reqwest::Client::new();
    let mut limited = Vec::new();
    let mut passed = 0;
    // 40 failed logins from one client, alternating between the two gateways: the login budget
    // per client IP is one budget, not one per process.
    for attempt in 0..40 {
        let base = if attempt % 2 == 0 {
            &cluster.gateway_url
        } else {
            &second
        };
        let response = http
            .post(format!("{base}/api/v1/auth/login"))
            // A new address each time: the users service's own throttle per address is not
            // what this test counts.
            .json(&json!({"email": format!("nobody{attempt}@example.com"), "password": "not the password"}))
            .send()
            .await
            .expect("login");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited.push(response);
        } else {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            passed += 1;
        }
    }
    assert_eq!(passed, 20, "one shared budget of 20");
    let refused = &limited[0];
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.headers()["ratelimit-limit"], "20");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
}

/// Issue 9's "done when": the rush and the audit, as an operator runs them against the six
/// processes (`scripts/bench-distributed.sh` does the same at full size).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_short_rush_against_the_distributed_gateway_reports_and_audits_clean() {
    let cluster = Cluster::start_with(
        Deployment::Distributed,
        &[("BOXOFFICE_GATEWAY__RATE_LIMIT__ENABLED", "false")],
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report_path = dir.path().join("rush.json");
    let stores: Vec<(String, String)> = cluster
        .database_urls
        .iter()
        .map(|(service, url)| {
            let key = format!("BOXOFFICE_{}__DATABASE_URL", service.to_uppercase());
            (key, url.clone())
        })
        .collect();
    let run = |args: Vec<String>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_boxoffice"));
        command
            .args(["--log-format", "json"])
            .args(args)
            .env("BOXOFFICE_DATA_DIR", dir.path())
            .env(
                "BOXOFFICE_BENCH_ADMIN_PASSWORD",
                support::cluster::ADMIN_PASSWORD,
            )
            .envs(stores.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        tokio::task::spawn_blocking(move || command.output().expect("run boxoffice"))
    };
    let bench: Vec<String> = [
        "bench",
        "rush",
        "--url",
        &cluster.gateway_url,
        "--admin-email",
        support::cluster::ADMIN_EMAIL,
        "--users",
        "12",
        "--duration",
        "5",
        "--json",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([report_path.display().to_string()])
    .collect();
    let output = run(bench).await.expect("bench");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).expect("report"))
            .expect("json");
    assert_eq!(report["scenario"], "rush");
    assert!(report["bookings_confirmed"].as_u64() > Some(0), "{report}");
    assert_eq!(report["audit"]["ok"], true, "{}", report["audit"]);
    // The audit read the PostgreSQL stores the run sold into, not an empty embedded one.
    assert_eq!(
        report["audit"]["findings"][1]["checked"], report["seats_sold"],
        "{}",
        report["audit"]
    );

    let audit = run(vec!["audit".to_owned(), "--json".to_owned()])
        .await
        .expect("audit");
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
    let audit: serde_json::Value = serde_json::from_slice(&audit.stdout).expect("audit json");
    assert_eq!(audit["ok"], true, "{audit}");
    assert_eq!(
        audit["findings"][1]["checked"], report["seats_sold"],
        "{audit}"
    );
}
