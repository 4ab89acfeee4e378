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
    /// After `boxoffice users rotate-key`, the previous key stays in the JWKS for
    /// `access_token_ttl_secs` plus this long: the time allowed for restarting every users
    /// replica (until then they still sign with it).
    pub key_rotation_grace_secs: u64,
    /// How many argon2 hashes may run at once. Each is pure CPU and takes 19 MiB while it
    /// runs, so more than one per core buys no throughput, only memory: the default is the
    /// number of cores.
    pub max_concurrent_hashes: usize,
    /// Sign-ins for one email address (known or not) allowed back to back, from any client
    /// address; the attempt that reaches this count starts a delay (ADR 0504).
    pub login_free_attempts: u32,
    /// The first delay; it doubles with every further failed attempt.
    pub login_delay_base_ms: u64,
    /// The longest delay.
    pub login_delay_max_secs: u64,
    /// An address's failures are forgotten this long after its last attempt.
    pub login_failure_window_secs: u64,
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
            key_rotation_grace_secs: 300,
            max_concurrent_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            login_free_attempts: 5,
            login_delay_base_ms: 1_000,
            login_delay_max_secs: 15 * 60,
            login_failure_window_secs: 60 * 60,
            shutdown_grace_secs: 10,
            server: boxoffice_http::ServerSettings::default(),
        }
    }
}

impl Settings {
    pub fn login_throttle(&self) -> domain::ThrottlePolicy {
        domain::ThrottlePolicy {
            free_attempts: self.login_free_attempts.max(1),
            base_delay: Duration::from_millis(self.login_delay_base_ms),
            max_delay: Duration::from_secs(self.login_delay_max_secs),
            window: Duration::from_secs(self.login_failure_window_secs),
        }
    }

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
    // The last token the previous key signed expires at most this long after the rotation.
    let alive =
        Duration::from_secs(settings.access_token_ttl_secs + settings.key_rotation_grace_secs);
    let retired: Vec<(String, chrono::DateTime<chrono::Utc>)> = keys
        .previous_retired_at
        .map(|at| {
            chrono::Duration::from_std(alive)
                .ok()
                .and_then(|alive| at.checked_add_signed(alive))
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
        })
        .map(|until| {
            keys.previous
                .iter()
                .map(|k| (k.kid().to_owned(), until))
                .collect()
        })
        .unwrap_or_default();
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
    )
    .with_login_throttle(settings.login_throttle())
    .with_retired_keys(retired))
}

/// Starts the service on an already connected and migrated database; it runs until `shutdown`.
pub async fn start(
    settings: Settings,
    database: Database,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    let accounts = Arc::new(accounts(&settings, database).await?);
    let verifier = Arc::new(Verifier::new(
        KeySource::Static(accounts.jwks(chrono::Utc::now())),
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
