//! The booking service: the public GraphQL API (catalog and seat maps from the cinema service,
//! bookings from its own store) and the durable booking saga across cinema and payments.
//!
//! `start` runs it; see [`Settings`] for what it needs to reach.

pub mod audit;
pub mod clients;
pub mod domain;
pub mod graphql;
pub mod saga;
mod settings;
pub mod store;
pub mod workers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_auth::Verifier;
use boxoffice_config::Secret;
use boxoffice_events::{EventBus, RelayHandle, RelaySettings, spawn_relay};
use boxoffice_http::{CancellationToken, Readiness, health_router, with_standard_layers};
use boxoffice_payments::PaymentsClient;
use boxoffice_store::Database;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clients::{Breaker, CacheTimes, CinemaClient, PaymentsPort, UsersClient};
use crate::domain::RefundPolicy;
use crate::saga::{Faults, Saga, SagaConfig};

pub use settings::Settings;
pub use store::MIGRATIONS;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid booking settings: {0}")]
    Settings(String),
    #[error("cannot read the payments token file: {0}")]
    TokenFile(std::io::Error),
    #[error("booking store: {0}")]
    Store(#[from] boxoffice_store::StoreError),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// A started booking service.
pub struct Running {
    pub http_addr: SocketAddr,
    server: JoinHandle<std::io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
    relay: RelayHandle,
}

impl Running {
    /// Waits until the server, workers and relay have stopped (after `shutdown`).
    pub async fn wait(self) -> std::io::Result<()> {
        let served = self.server.await.map_err(std::io::Error::other)?;
        for worker in self.workers {
            let _ = worker.await;
        }
        self.relay.wait().await;
        served
    }

    /// Stops every task at once, as a crash would: nothing is finished or cleaned up. For
    /// tests of the recovery path.
    pub fn abort(self) {
        self.server.abort();
        self.workers.iter().for_each(JoinHandle::abort);
        self.relay.abort();
    }
}

/// Starts the service on `database` (migrated here; idempotent): the GraphQL server, the
/// recovery and expiry workers, and the outbox relay publishing to `bus`, until `shutdown`.
pub async fn start(
    settings: Settings,
    database: Database,
    verifier: Arc<Verifier>,
    bus: Arc<dyn EventBus>,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    start_with_faults(
        settings,
        database,
        verifier,
        bus,
        shutdown,
        Faults::default(),
    )
    .await
}

/// [`start`] with test hooks that halt the saga at chosen points.
pub async fn start_with_faults(
    settings: Settings,
    database: Database,
    verifier: Arc<Verifier>,
    bus: Arc<dyn EventBus>,
    shutdown: CancellationToken,
    faults: Faults,
) -> Result<Running, StartError> {
    database.migrate(&MIGRATIONS).await?;
    let store = store::for_database(&database);
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| StartError::Settings(e.to_string()))?;
    let cinema = CinemaClient::new(
        &settings.cinema_grpc_url,
        boxoffice_proto::Credential::bearer(
            read_token(
                &settings.cinema_token,
                settings.cinema_token_file.as_deref(),
            )?
            .expose(),
        ),
        settings.call_policy(),
        Breaker::new("cinema", settings.breaker_threshold, settings.cooldown()),
        CacheTimes {
            catalog: Duration::from_millis(settings.catalog_cache_ms),
            seat_map: Duration::from_millis(settings.seat_map_cache_ms),
        },
    )
    .map_err(|e| StartError::Settings(e.to_string()))?;
    let cinema = Arc::new(cinema);
    let payments = PaymentsPort::new(
        PaymentsClient::with_http(
            http.clone(),
            &settings.payments_url,
            read_token(
                &settings.payments_token,
                settings.payments_token_file.as_deref(),
            )?,
        ),
        settings.payments_policy(),
        Breaker::new("payments", settings.breaker_threshold, settings.cooldown()),
    );
    let users = Arc::new(UsersClient::new(
        http,
        &settings.users_url,
        settings.call_policy(),
        Breaker::new("users", settings.breaker_threshold, settings.cooldown()),
        Duration::from_millis(settings.account_cache_ms),
    ));
    let config = SagaConfig {
        hold_ttl: Duration::from_secs(settings.hold_ttl_secs.max(1)),
        lease_ttl: Duration::from_secs(settings.lease_secs.max(1)),
        max_seats: settings.max_seats_per_booking.max(1),
        refund_policy: RefundPolicy {
            cutoff: chrono::Duration::minutes(i64::from(settings.refund_cutoff_minutes)),
        },
        hold_margin: Duration::from_secs(5).min(Duration::from_secs(settings.hold_ttl_secs / 4)),
        charge_settle_after: Duration::from_millis(settings.charge_settle_after_ms),
        customer_limits: crate::store::CustomerLimits {
            max_pending: settings.max_pending_bookings.max(1),
            max_seats_per_showtime: settings.max_seats_per_customer_per_showtime.max(1),
        },
        max_payment_attempts: i32::try_from(settings.max_payment_attempts.max(1))
            .unwrap_or(i32::MAX),
    };
    let saga = Arc::new(Saga::new(
        store.clone(),
        cinema.clone(),
        payments,
        users,
        config,
        faults,
    ));

    let limits = settings.graphql_limits();
    let schema = graphql::schema(saga.clone(), limits);
    let probe = store.clone();
    let readiness = Readiness::new().with_check("database", move || {
        let probe = probe.clone();
        async move { probe.ping().await.map_err(|e| e.to_string()) }
    });
    let graphql = graphql::router(schema, verifier, cinema, limits)
        .map_err(|e| StartError::Settings(e.to_string()))?;
    let app = with_standard_layers("booking", graphql.merge(health_router(readiness)));
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|e| StartError::Bind(settings.listen, e))?;
    let http_addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(settings.listen, e))?;
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    let server = tokio::spawn(boxoffice_http::serve(
        listener,
        app,
        shutdown.clone(),
        grace,
        settings.server,
    ));

    let workers = workers::spawn(
        saga,
        workers::WorkerSettings {
            recovery_interval: Duration::from_millis(settings.recovery_interval_ms.max(10)),
            stuck_after: Duration::from_millis(settings.stuck_after_ms),
            expiry_interval: Duration::from_millis(settings.expiry_interval_ms.max(10)),
            charge_settle_after: Duration::from_millis(settings.charge_settle_after_ms),
        },
        shutdown.clone(),
    );
    let relay = spawn_relay(
        "booking",
        database.clone(),
        bus,
        RelaySettings {
            poll_interval: Duration::from_millis(settings.relay_poll_interval_ms.max(10)),
            ..RelaySettings::default()
        },
        shutdown,
    );
    tracing::info!(%http_addr, engine = database.engine(), "booking service started");
    Ok(Running {
        http_addr,
        server,
        workers,
        relay,
    })
}

/// A credential this service presents: the file's contents (trailing whitespace dropped) when
/// a file is configured, else the value.
fn read_token(token: &Secret, file: Option<&std::path::Path>) -> Result<Secret, StartError> {
    match file {
        Some(path) => Ok(Secret::new(
            std::fs::read_to_string(path)
                .map_err(StartError::TokenFile)?
                .trim_end()
                .to_owned(),
        )),
        None => Ok(token.clone()),
    }
}
