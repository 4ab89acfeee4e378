//! The ceiling: PostgreSQL's own `pgbench -N` (simple-update TPC-B without the contended
//! branch/teller updates) on a scratch database of the same server.

use std::time::Duration;

use serde::Serialize;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::BenchError;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PgbenchResult {
    pub clients: usize,
    pub tps: f64,
}

/// Creates a scratch database next to `admin_url`'s, initialises it with `pgbench -i`, runs
/// `pgbench -N` for `duration` at each client count, and drops it again.
pub async fn run(
    admin_url: &str,
    clients: &[usize],
    duration: Duration,
) -> Result<Vec<PgbenchResult>, BenchError> {
    let name = format!("bo_bench_pgbench_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(admin_url).await?;
    // The name is made of hex digits above, so formatting it into DDL is safe.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    let url = format!(
        "{}/{name}",
        admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base)
    );
    let outcome = measure(&url, clients, duration).await;
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut admin)
    .await;
    let results = outcome?;
    dropped?;
    Ok(results)
}

async fn measure(
    url: &str,
    clients: &[usize],
    duration: Duration,
) -> Result<Vec<PgbenchResult>, BenchError> {
    pgbench(&["-i", "-q", "-s", "1", url]).await?;
    let mut results = Vec::new();
    for &c in clients {
        let seconds = duration.as_secs().max(1).to_string();
        let count = c.to_string();
        let threads = c.clamp(1, 2).to_string();
        let output = pgbench(&[
            "-N", "-n", "-c", &count, "-j", &threads, "-T", &seconds, url,
        ])
        .await?;
        results.push(PgbenchResult {
            clients: c,
            tps: parse_tps(&output)?,
        });
    }
    Ok(results)
}

async fn pgbench(args: &[&str]) -> Result<String, BenchError> {
    let output = tokio::process::Command::new("pgbench")
        .args(args)
        .output()
        .await
        .map_err(|e| BenchError::Pgbench(format!("cannot run pgbench: {e}")))?;
    if !output.status.success() {
        return Err(BenchError::Pgbench(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Reads `tps = 1234.5 (without initial connection time)` from pgbench's summary.
fn parse_tps(output: &str) -> Result<f64, BenchError> {
    output
        .lines()
        .filter_map(|line| line.trim().strip_prefix("tps = "))
        .find_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| BenchError::Pgbench(format!("no tps in output: {output}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tps_is_read_from_the_summary() {
        let output = "latency average = 1.2 ms\ninitial connection time = 3.1 ms\ntps = 812.345678 (without initial connection time)\n";
        assert!((parse_tps(output).unwrap() - 812.345678).abs() < 1e-9);
        assert!(parse_tps("nothing").is_err());
    }
}
