//! Runs the holds benchmark and prints Markdown tables:
//!
//! ```text
//! cargo run --release -p boxoffice-bench --example holds -- [seconds-per-scenario]
//! ```
//!
//! Uses a fresh database on the PostgreSQL server of the tests
//! (`BOXOFFICE_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/postgres) and
//! runs `pgbench -N` on a scratch database of the same server in the same run.

use std::time::Duration;

use boxoffice_bench::holds::{self, HoldsOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let database_url = boxoffice_store::testing::fresh_postgres_url().await?;
    let options = HoldsOptions {
        database_url,
        duration: Duration::from_secs(seconds),
        pgbench_admin_url: Some(boxoffice_store::testing::postgres_admin_url()),
        ..HoldsOptions::default()
    };
    let report = holds::run(options).await?;
    println!("cpus: {}\n", report.cpus);
    println!("{}", report.to_markdown());
    Ok(())
}
