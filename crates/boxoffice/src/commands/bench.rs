//! `boxoffice bench`: load through a gateway (or an embedded instance it starts itself), with
//! the audit of the stores at the end.

use std::time::Duration;

use anyhow::Context;
use boxoffice_client::ApiClient;
use boxoffice_http::CancellationToken;
use boxoffice_loadgen::{Options, Scenario};

use super::all;
use super::audit::AuditStores;
use crate::cli::BenchArgs;
use crate::settings::Settings;

const BENCH_ADMIN: &str = "bench-admin@boxoffice.test";

pub async fn run(settings: Settings, args: BenchArgs) -> anyhow::Result<()> {
    if args.scenario == "holds" {
        return holds(&args).await;
    }
    let scenario = Scenario::parse(&args.scenario).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown scenario {:?}: rush, single, weekend, reads or holds",
            args.scenario
        )
    })?;
    let mut options = Options::for_scenario(scenario);
    if let Some(users) = args.users {
        options.users = users;
    }
    if let Some(secs) = args.duration {
        options.duration = Duration::from_secs(secs);
    }
    if let Some(share) = args.decline_share {
        options.decline_share = share;
    }
    options.arrival_rate = args.rate;

    let report = match &args.url {
        Some(url) => against_url(&settings, url, &args, &options).await?,
        None => embedded(&settings, &options).await?,
    };
    eprintln!("{}", report.summary());
    println!(
        "audit: {}",
        if report.audit["ok"] == true {
            "OK"
        } else {
            "VIOLATIONS (see the JSON report)"
        }
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, boxoffice_loadgen::html::render(&report))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if report.audit["ok"] == false {
        anyhow::bail!("the audit after the run found violations");
    }
    Ok(())
}

/// A fresh instance of everything in a temporary directory, rate limits off (one machine plays
/// every customer), torn down afterwards.
async fn embedded(
    settings: &Settings,
    options: &Options,
) -> anyhow::Result<boxoffice_loadgen::Report> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::load_for_data_dir(dir.path(), settings)?;
    settings.gateway.rate_limit.enabled = false;
    let shutdown = CancellationToken::new();
    let running = all::start(settings, shutdown.clone()).await?;
    let admin_password = random_password()?;
    super::users::ensure_admin(
        &running.settings,
        BENCH_ADMIN,
        &admin_password,
        "Bench Admin",
    )
    .await?;
    let api = ApiClient::new(&running.gateway_url);
    let admin = api.with_token(api.login(BENCH_ADMIN, &admin_password).await?.access_token);
    let mut report = boxoffice_loadgen::run(options, &api, &admin).await?;
    report.audit = settled_audit(&running.settings).await?;
    shutdown.cancel();
    running.wait().await?;
    Ok(report)
}

async fn against_url(
    settings: &Settings,
    url: &str,
    args: &BenchArgs,
    options: &Options,
) -> anyhow::Result<boxoffice_loadgen::Report> {
    let email = args
        .admin_email
        .clone()
        .unwrap_or_else(|| BENCH_ADMIN.to_owned());
    let password = std::env::var("BOXOFFICE_BENCH_ADMIN_PASSWORD")
        .context("set BOXOFFICE_BENCH_ADMIN_PASSWORD to the password of --admin-email")?;
    let api = ApiClient::new(url);
    let admin = api.with_token(api.login(&email, &password).await?.access_token);
    let mut report = boxoffice_loadgen::run(options, &api, &admin).await?;
    // The stores of the configured deployment (the same settings the services run with).
    report.audit = match settled_audit(settings).await {
        Ok(audit) => audit,
        Err(e) => serde_json::json!({"ok": null, "error": format!("{e:#}")}),
    };
    Ok(report)
}

/// The audit once the last sagas and events had a moment to settle.
async fn settled_audit(settings: &Settings) -> anyhow::Result<serde_json::Value> {
    let stores = AuditStores::connect(settings).await?;
    let mut report = stores.audit().await?;
    for _ in 0..20 {
        if report.ok {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        report = stores.audit().await?;
    }
    stores.close().await;
    Ok(serde_json::to_value(report)?)
}

fn random_password() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

async fn holds(args: &BenchArgs) -> anyhow::Result<()> {
    let database_url = args.database_url.clone().context(
        "holds measures the cinema service on PostgreSQL: give --database-url postgres://…",
    )?;
    let mut options = boxoffice_bench::holds::HoldsOptions {
        database_url,
        pgbench_admin_url: args.pgbench_url.clone(),
        ..Default::default()
    };
    if let Some(secs) = args.duration {
        options.duration = Duration::from_secs(secs);
    }
    let report = boxoffice_bench::holds::run(options).await?;
    println!("{}", report.to_markdown());
    if let Some(path) = &args.json {
        std::fs::write(path, report.to_markdown())?;
    }
    Ok(())
}
