//! The payments service: Stripe-like card payments and refunds on a simulated card processor,
//! with idempotency keys, crash recovery, an append-only ledger and a transactional outbox.
//!
//! `start` runs it; [`PaymentsClient`] is how the booking service calls it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_config::Secret;
use boxoffice_http::{CancellationToken, Readiness, health_router, with_standard_layers};
use boxoffice_store::{Database, PoolSettings};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub mod api;
pub mod client;
pub mod domain;
pub mod model;
pub mod processor;
pub mod service;
pub mod store;

pub use client::{ClientError, PaymentsClient};
pub use processor::ProcessorSettings;

use crate::processor::SimulatedProcessor;
use crate::service::{AuditReport, Limits, PaymentError, Payments};

/// The service's settings (`[payments]` in the config file, `BOXOFFICE_PAYMENTS__*`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub listen: String,
    /// The largest amount one payment may have, in minor units.
    pub max_amount: i64,
    /// The shared secret callers present as `Authorization: Bearer …` (ADR 0201).
    pub service_token: Secret,
    /// A file holding the token (takes precedence over `service_token`); trailing whitespace
    /// is ignored.
    pub service_token_file: Option<PathBuf>,
    pub processor: ProcessorSettings,
    /// How long a processor call may take before its outcome counts as unknown.
    pub processor_timeout_ms: u64,
    /// How long a request holds its idempotency key before a retry may take the work over.
    pub lock_timeout_ms: u64,
    /// How long a key must sit unfinished before the recovery pass settles it. Keep it above
    /// `processor_timeout_ms` when several instances share a database.
    pub recover_after_ms: u64,
    /// How often the recovery pass and the key purge run.
    pub recovery_interval_ms: u64,
    /// How long finished idempotency keys are kept; at least 24.
    pub key_retention_hours: u64,
    pub max_connections: u32,
    /// Connection limits of the listener.
    pub server: boxoffice_http::ServerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8104".into(),
            max_amount: 1_000_000,
            service_token: Secret::default(),
            service_token_file: None,
            processor: ProcessorSettings::default(),
            processor_timeout_ms: 10_000,
            lock_timeout_ms: 60_000,
            recover_after_ms: 60_000,
            recovery_interval_ms: 30_000,
            key_retention_hours: 24,
            max_connections: 16,
            server: boxoffice_http::ServerSettings::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid payments settings: {0}")]
    Settings(String),
    #[error(transparent)]
    Credential(#[from] boxoffice_http::CredentialError),
    #[error("payments store: {0}")]
    Store(#[from] boxoffice_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("startup recovery failed: {0}")]
    Recovery(#[from] PaymentError),
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("payments http server: {0}")]
    Serve(#[from] std::io::Error),
    #[error("payments task panicked: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// A started payments service.
pub struct Running {
    /// The address the REST API listens on.
    pub http_addr: SocketAddr,
    /// The credential callers must present: the configured one, or a random one generated
    /// at start when none was configured (hand it to the booking service in `boxoffice all`).
    pub service_token: Secret,
    server: JoinHandle<std::io::Result<()>>,
    worker: JoinHandle<()>,
}

impl Running {
    /// Waits until the service has stopped (after `shutdown` is cancelled).
    pub async fn wait(self) -> Result<(), RunError> {
        let served = self.server.await?;
        self.worker.await?;
        Ok(served?)
    }
}

/// Connects to `database_url` (migrating it), settles work left unfinished by an earlier
/// crash, then serves the API and runs the periodic recovery and key purge until `shutdown`.
pub async fn start(
    settings: Settings,
    database_url: &str,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    validate(&settings)?;
    let service_token = resolve_token(&settings)?;
    let pool = PoolSettings {
        max_connections: settings.max_connections,
        ..PoolSettings::default()
    };
    let database = Database::connect(database_url, &store::migrations(), pool).await?;
    let processor = Arc::new(SimulatedProcessor::new(
        database.clone(),
        settings.processor.clone(),
    ));
    let limits = Limits {
        max_amount: settings.max_amount,
        processor_timeout: Duration::from_millis(settings.processor_timeout_ms),
        lock_timeout: Duration::from_millis(settings.lock_timeout_ms),
    };
    let payments = Arc::new(Payments::new(
        store::for_database(&database),
        processor,
        limits,
    ));

    let recover_after = Duration::from_millis(settings.recover_after_ms);
    let settled = payments.recover(recover_after).await?;
    metrics::counter!("boxoffice_payments_recovered_total").increment(settled as u64);
    tracing::info!(settled, "startup recovery done");

    let addr = settings.listen.clone();
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let http_addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: settings.listen.clone(),
        source,
    })?;
    let db = database.clone();
    let readiness = Readiness::new().with_check("database", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|e| e.to_string()) }
    });
    let api = api::router(
        payments.clone(),
        api::ServiceCredential::new(&service_token),
    );
    let app = with_standard_layers("payments", api.merge(health_router(readiness)));
    let server = tokio::spawn(boxoffice_http::serve(
        listener,
        app,
        shutdown.clone(),
        Duration::from_secs(10),
        settings.server,
    ));
    let worker = tokio::spawn(background(payments, settings, shutdown));
    tracing::info!(%http_addr, engine = database.engine(), "payments service started");
    Ok(Running {
        http_addr,
        service_token,
        server,
        worker,
    })
}

/// Audits the ledger of the payments database at `database`.
pub async fn audit(database: &Database) -> Result<AuditReport, PaymentError> {
    let processor = Arc::new(SimulatedProcessor::new(
        database.clone(),
        ProcessorSettings::default(),
    ));
    let limits = Limits {
        max_amount: 0,
        processor_timeout: Duration::ZERO,
        lock_timeout: Duration::ZERO,
    };
    Payments::new(store::for_database(database), processor, limits)
        .audit()
        .await
}

/// The recovery pass and key purge, every `recovery_interval_ms`, until shutdown.
async fn background(payments: Arc<Payments>, settings: Settings, shutdown: CancellationToken) {
    let interval = Duration::from_millis(settings.recovery_interval_ms.max(100));
    let recover_after = Duration::from_millis(settings.recover_after_ms);
    let retention = Duration::from_secs(settings.key_retention_hours * 3600);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        match payments.recover(recover_after).await {
            Ok(0) => {}
            Ok(settled) => {
                metrics::counter!("boxoffice_payments_recovered_total").increment(settled as u64);
                tracing::info!(settled, "recovery pass settled unfinished work");
            }
            Err(e) => tracing::warn!(error = %e, "recovery pass failed; will retry"),
        }
        match payments.purge_keys(retention).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged expired idempotency keys"),
            Err(e) => tracing::warn!(error = %e, "idempotency key purge failed; will retry"),
        }
    }
}

fn validate(settings: &Settings) -> Result<(), StartError> {
    let fail = |m: &str| Err(StartError::Settings(m.to_owned()));
    if settings.max_amount <= 0 {
        return fail("max_amount must be positive");
    }
    if settings.key_retention_hours < 24 {
        return fail("key_retention_hours must be at least 24");
    }
    if settings.lock_timeout_ms <= settings.processor_timeout_ms {
        return fail("lock_timeout_ms must exceed processor_timeout_ms");
    }
    if !(0.0..=1.0).contains(&settings.processor.failure_rate) {
        return fail("processor.failure_rate must be between 0 and 1");
    }
    Ok(())
}

/// The credential callers must present: configured, or generated for this process when the
/// service listens on loopback only; refused when exposed without one (ADR 0105).
fn resolve_token(settings: &Settings) -> Result<Secret, StartError> {
    Ok(token_setting(settings).for_server(&settings.listen)?)
}

fn token_setting(settings: &Settings) -> boxoffice_http::TokenSetting<'_> {
    boxoffice_http::TokenSetting {
        service: "payments",
        setting: "payments.service_token",
        token: &settings.service_token,
        file: settings.service_token_file.as_deref(),
    }
}

/// A random 256-bit token, hex encoded.
pub fn generate_token() -> Result<Secret, StartError> {
    Ok(boxoffice_http::credential::generate_token()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_the_documented_port_and_pass_validation() {
        let settings = Settings::default();
        assert_eq!(settings.listen, "127.0.0.1:8104");
        assert!(validate(&settings).is_ok());
    }

    #[test]
    fn unsafe_settings_are_refused() {
        let short_retention = Settings {
            key_retention_hours: 23,
            ..Settings::default()
        };
        assert!(validate(&short_retention).is_err());
        let lock_shorter_than_processor = Settings {
            lock_timeout_ms: 5_000,
            processor_timeout_ms: 5_000,
            ..Settings::default()
        };
        assert!(validate(&lock_shorter_than_processor).is_err());
        let short_token = Settings {
            service_token: Secret::new("short"),
            ..Settings::default()
        };
        assert!(resolve_token(&short_token).is_err());
    }

    #[test]
    fn the_token_comes_from_the_file_first_and_is_generated_when_absent() {
        let dir = std::env::temp_dir().join(format!("bo_payments_token_{}", uuid::Uuid::now_v7()));
        std::fs::write(&dir, "from-the-file-0123456789\n").expect("write");
        let settings = Settings {
            service_token: Secret::new("from-settings-0123456789"),
            service_token_file: Some(dir.clone()),
            ..Settings::default()
        };
        let token = resolve_token(&settings).expect("token");
        assert_eq!(token.expose(), "from-the-file-0123456789");
        let _ = std::fs::remove_file(dir);

        let generated = resolve_token(&Settings::default()).expect("token");
        assert_eq!(generated.expose().len(), 64);
        assert_ne!(
            generated,
            resolve_token(&Settings::default()).expect("token")
        );
    }

    #[test]
    fn an_exposed_listener_without_a_token_refuses_to_start() {
        let exposed = Settings {
            listen: "0.0.0.0:8104".into(),
            ..Settings::default()
        };
        let refused = resolve_token(&exposed).expect_err("refused");
        assert!(
            refused.to_string().contains("payments.service_token"),
            "{refused}"
        );
        let configured = Settings {
            service_token: Secret::new("configured-token-0123456789"),
            ..exposed
        };
        assert!(resolve_token(&configured).is_ok());
    }
}
