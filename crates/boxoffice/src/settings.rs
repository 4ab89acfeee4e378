//! The settings of the whole binary: one section per service.

use std::path::{Path, PathBuf};

use anyhow::Context;
use boxoffice_store::{Database, Migrations, PoolSettings};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub log_format: String,
    pub users: boxoffice_users::Settings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("boxoffice-data"),
            log_format: "auto".into(),
            users: boxoffice_users::Settings {
                key_dir: PathBuf::new(),
                ..boxoffice_users::Settings::default()
            },
        }
    }
}

impl Settings {
    pub fn load(config: Option<&Path>, overrides: &serde_json::Value) -> anyhow::Result<Self> {
        let mut settings: Self = boxoffice_config::load(config, overrides)?;
        settings.resolve_paths();
        Ok(settings)
    }

    /// Fills in what defaults to a place inside the data directory.
    fn resolve_paths(&mut self) {
        if self.users.key_dir.as_os_str().is_empty() {
            self.users.key_dir = self.data_dir.join("keys");
        }
    }

    /// The JWKS of the users service, as other services reach it.
    pub fn jwks_url(&self) -> String {
        format!(
            "http://{}/.well-known/jwks.json",
            loopback_for(self.users.listen)
        )
    }
}

/// A listen address as a client should dial it: a wildcard bind is reached on loopback.
pub fn loopback_for(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// Connects a service's store: the configured URL, or its SQLite file in the data directory.
pub async fn connect_store(
    data_dir: &Path,
    service: &str,
    configured_url: &str,
    migrations: &Migrations,
) -> anyhow::Result<Database> {
    let url = if configured_url.is_empty() {
        boxoffice_store::sqlite_url_in(data_dir, service)?
    } else {
        configured_url.to_owned()
    };
    let database = Database::connect(&url, migrations, PoolSettings::default())
        .await
        .with_context(|| format!("{service} store at {}", boxoffice_store::redact(&url)))?;
    tracing::info!(service, engine = database.engine(), "store ready");
    Ok(database)
}
