//! Throwaway databases for tests: every test gets its own, so tests run in parallel.

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// The server tests create their databases on; `BOXOFFICE_TEST_POSTGRES_URL` overrides it.
pub fn postgres_admin_url() -> String {
    std::env::var("BOXOFFICE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty PostgreSQL database named `bo_test_…` and returns its URL. `.ci/run` drops
/// leftovers of earlier runs.
pub async fn fresh_postgres_url() -> Result<String, StoreError> {
    let admin_url = postgres_admin_url();
    let name = format!("bo_test_{}", Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(&admin_url).await?;
    // The name is generated above from hex digits only, so formatting it into DDL is safe.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

/// A URL for a new SQLite file in the system temp directory.
pub fn fresh_sqlite_url() -> String {
    let path = std::env::temp_dir().join(format!("bo_test_{}.db", Uuid::now_v7().simple()));
    format!("sqlite:{}", path.display())
}
