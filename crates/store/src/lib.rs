//! Connecting a service to its store: PostgreSQL in production, an embedded SQLite file
//! otherwise. Each service owns its schema and brings its migrations for both engines.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub mod testing;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database url (expected postgres:// or sqlite:): {0}")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
}

/// One service's migrations, for each engine.
pub struct Migrations {
    pub postgres: &'static Migrator,
    pub sqlite: &'static Migrator,
}

/// A connection pool to one service's store.
#[derive(Debug, Clone)]
pub enum Database {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Pool settings that matter for operators.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The most connections a SQLite pool opens, whatever the settings ask for (their defaults
/// are sized for PostgreSQL). SQLite runs one writer at a time and its readers on this
/// process's cores; more connections only queue there, while each keeps its own page cache
/// (up to 2 MB) and a thread: 16 per store cost the embedded process ~50 MB under the rush.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// How long a SQLite writer waits for the write lock before giving up. Writers are serialised
/// by SQLite, so under a burst they queue here instead of failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Database {
    /// Connects to `url` (`postgres://…` or `sqlite:path`) and applies the service's migrations.
    pub async fn connect(
        url: &str,
        migrations: &Migrations,
        settings: PoolSettings,
    ) -> Result<Self, StoreError> {
        let database = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await?;
            Self::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                // WAL lets readers run beside the one writer; NORMAL sync in WAL mode keeps every
                // committed transaction across a process crash (only an OS crash can lose the
                // last commits), which is the embedded deployment's durability promise.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections.min(SQLITE_MAX_CONNECTIONS))
                .acquire_timeout(settings.acquire_timeout.max(SQLITE_BUSY_TIMEOUT))
                .connect_with(options)
                .await?;
            Self::Sqlite(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        database.migrate(migrations).await?;
        Ok(database)
    }

    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), StoreError> {
        match self {
            Self::Postgres(pool) => migrations.postgres.run(pool).await?,
            Self::Sqlite(pool) => migrations.sqlite.run(pool).await?,
        }
        Ok(())
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
            Self::Sqlite(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pool) => pool.close().await,
        }
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// The URL of a service's embedded store inside the data directory.
pub fn sqlite_url_in(data_dir: &Path, service: &str) -> Result<String, StoreError> {
    std::fs::create_dir_all(data_dir)?;
    Ok(format!(
        "sqlite:{}",
        data_dir.join(format!("{service}.db")).display()
    ))
}

/// `url` without its password, for error messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Whether `error` is a unique-constraint violation, for turning duplicates into conflicts.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://bo:s3cret@db:5432/users"),
            "postgres://bo:***@db:5432/users"
        );
        assert_eq!(redact("postgres://db/users"), "postgres://db/users");
        assert_eq!(redact("sqlite:./data/users.db"), "sqlite:./data/users.db");
    }
}
