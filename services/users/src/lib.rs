//! The users service: accounts, argon2id passwords, Ed25519 access tokens and rotating refresh
//! tokens with reuse detection.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_auth::{KeySource, TokenIssuer, TokenRules, Verifier};
use boxoffice_config::Secret;
use boxoffice_http::{CancellationToken, Readiness, health_router, serve, with_standard_layers};
use boxoffice_store::Database;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub mod accounts;
pub mod api;
pub mod domain;
pub mod hashing;
pub mod keys;
pub mod refresh_token;
pub mod session_cookie;
pub mod store;

pub use accounts::{AccountError, Accounts, User};
pub use store::MIGRATIONS;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub listen: SocketAddr,
    /// `postgres://…` or `sqlite:…`; empty means the embedded store in the data directory.
    pub database_url: String,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_days: u64,
    /// A PKCS#8 PEM Ed25519 private key; takes precedence over `signing_key_file`.
    pub signing_key: Secret,
    pub signing_key_file: Option<PathBuf>,
    /// Where a generated key (and the previous one after a rotation) is kept.
    pub key_dir: PathBuf,
    /// How many argon2 hashes may run at once. Each is pure CPU and takes 19 MiB while it
    /// runs, so more than one per core buys no throughput, only memory: the default is the
    /// number of cores.
    pub max_concurrent_hashes: usize,
    pub shutdown_grace_secs: u64,
    /// Connection limits of the listener.
    pub server: boxoffice_http::ServerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8101)),
            database_url: String::new(),
            issuer: TokenRules::default().issuer,
            audience: TokenRules::default().audience,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            signing_key: Secret::default(),
            signing_key_file: None,
            key_dir: PathBuf::from("boxoffice-data/keys"),
            max_concurrent_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            shutdown_grace_secs: 10,
            server: boxoffice_http::ServerSettings::default(),
        }
    }
}

impl Settings {
    pub fn token_rules(&self) -> TokenRules {
        TokenRules {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            ..TokenRules::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("signing keys: {0}")]
    Keys(#[from] boxoffice_auth::AuthError),
    #[error("password hashing: {0}")]
    Hashing(#[from] hashing::HashingError),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// A started users service.
pub struct Running {
    pub http_addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Waits until the service has shut down.
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Builds the use-case layer; shared by the server and the admin commands.
pub async fn accounts(settings: &Settings, database: Database) -> Result<Accounts, StartError> {
    let keys = keys::load(settings)?;
    let issuer = TokenIssuer::new(
        keys.current,
        keys.previous,
        settings.token_rules(),
        Duration::from_secs(settings.access_token_ttl_secs),
    )?;
    let hasher = hashing::PasswordHasher::new(settings.max_concurrent_hashes).await?;
    Ok(Accounts::new(
        store::for_database(database),
        hasher,
        Arc::new(issuer),
        Duration::from_secs(settings.refresh_token_ttl_days * 24 * 3600),
    ))
}

/// Starts the service on an already connected and migrated database; it runs until `shutdown`.
pub async fn start(
    settings: Settings,
    database: Database,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    let accounts = Arc::new(accounts(&settings, database).await?);
    let verifier = Arc::new(Verifier::new(
        KeySource::Static(accounts.issuer().jwks()),
        settings.token_rules(),
    ));
    let probe = accounts.clone();
    let readiness = Readiness::new().with_check("database", move || {
        let accounts = probe.clone();
        async move { accounts.ping().await.map_err(|e| e.to_string()) }
    });
    let app = with_standard_layers(
        "users",
        api::router(api::AppState { accounts, verifier }).merge(health_router(readiness)),
    );
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|e| StartError::Bind(settings.listen, e))?;
    let http_addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(settings.listen, e))?;
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    let task = tokio::spawn(serve(listener, app, shutdown, grace, settings.server));
    tracing::info!(%http_addr, "users service listening");
    Ok(Running { http_addr, task })
}
