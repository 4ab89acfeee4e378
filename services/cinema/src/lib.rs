//! The cinema service: catalog, auditorium layouts, showtimes, and a seat inventory that never
//! sells a seat twice. Staff REST on one port, gRPC for the booking service on another.

pub mod api;
pub mod domain;
pub mod fanout;
pub mod store;
mod sweeper;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_auth::Verifier;
use boxoffice_config::Secret;
use boxoffice_http::{CancellationToken, Readiness, ServerSettings, ServiceCredential};
use boxoffice_proto::cinema::v1::catalog_server::CatalogServer;
use boxoffice_proto::cinema::v1::seat_inventory_server::SeatInventoryServer;
use boxoffice_store::{Database, Migrations, PoolSettings};
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::api::admin::{self, AdminState};
use crate::api::grpc_catalog::CatalogApi;
use crate::api::grpc_inventory::InventoryApi;
use crate::domain::HoldLimits;
use crate::fanout::SeatEvents;
use crate::store::{PgStore, SharedStore, SqliteStore};

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The cinema service's schema, for `boxoffice migrate`.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &POSTGRES_MIGRATIONS,
    sqlite: &SQLITE_MIGRATIONS,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Staff REST API, health and metrics.
    pub http_addr: SocketAddr,
    /// `Catalog` and `SeatInventory` for the booking service.
    pub grpc_addr: SocketAddr,
    /// `postgres://…` or `sqlite:…`. Empty means "SQLite in the data directory", which the
    /// caller resolves (see `boxoffice_store::sqlite_url_in`) before calling [`start`].
    pub database_url: String,
    pub max_connections: u32,
    /// Most seats one hold may take.
    pub max_seats_per_hold: usize,
    /// Hold lifetime when HoldSeats says ttl 0: long enough to type a card number.
    pub hold_ttl_secs: u64,
    /// Longest hold a caller may ask for.
    pub max_hold_ttl_secs: u64,
    /// How often expired holds are released and announced.
    pub sweep_interval_ms: u64,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// The secret gRPC callers (the booking service) present as `authorization: Bearer …`
    /// (ADR 0105); `service_token_file` takes precedence. Unset: generated for the process when
    /// `grpc_addr` is loopback, refused otherwise.
    pub service_token: Secret,
    pub service_token_file: Option<PathBuf>,
    /// Connection limits of the REST listener.
    pub server: ServerSettings,
    /// Connection limits of the gRPC listener.
    pub grpc_server: ServerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8102)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            database_url: String::new(),
            max_connections: 16,
            max_seats_per_hold: 10,
            hold_ttl_secs: 600,
            max_hold_ttl_secs: 3600,
            sweep_interval_ms: 1000,
            shutdown_grace_secs: 10,
            service_token: Secret::default(),
            service_token_file: None,
            server: ServerSettings::default(),
            grpc_server: ServerSettings::default(),
        }
    }
}

impl Settings {
    pub fn hold_limits(&self) -> HoldLimits {
        HoldLimits {
            max_seats: self.max_seats_per_hold.max(1),
            default_ttl: Duration::from_secs(self.hold_ttl_secs.max(1)),
            max_ttl: Duration::from_secs(self.max_hold_ttl_secs.max(self.hold_ttl_secs).max(1)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("no database_url: resolve the embedded SQLite path before starting the cinema service")]
    NoDatabaseUrl,
    #[error("store: {0}")]
    Store(#[from] boxoffice_store::StoreError),
    #[error("listening for seat changes: {0}")]
    Listen(sqlx::Error),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0} failed: {1}")]
    Serve(&'static str, String),
    #[error(transparent)]
    Credential(#[from] boxoffice_http::CredentialError),
}

/// The started service: where it listens, and its tasks.
pub struct Running {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    /// The credential gRPC callers must present: the configured one, or the one generated at
    /// start (hand it to the booking service in-process).
    pub service_token: Secret,
    tasks: Vec<(&'static str, JoinHandle<Result<(), String>>)>,
    database: Database,
}

impl Running {
    /// Waits until every task has stopped (after shutdown, or after one failed, which stops
    /// the others), then closes the pool. Reports the first failure.
    pub async fn wait(self) -> Result<(), StartError> {
        let mut first_error = None;
        for (name, task) in self.tasks {
            let outcome = match task.await {
                Ok(result) => result,
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = outcome {
                tracing::error!(task = name, error = %e, "cinema task failed");
                first_error.get_or_insert(StartError::Serve(name, e));
            }
        }
        self.database.close().await;
        first_error.map_or(Ok(()), Err)
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// Connects and migrates the store, binds both ports, and spawns the HTTP server, the gRPC
/// server, the seat-change listener (PostgreSQL) and the expired-hold sweeper.
pub async fn start(
    settings: Settings,
    verifier: Arc<Verifier>,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    if settings.database_url.trim().is_empty() {
        return Err(StartError::NoDatabaseUrl);
    }
    let service_token = boxoffice_http::TokenSetting {
        service: "cinema gRPC",
        setting: "cinema.service_token",
        token: &settings.service_token,
        file: settings.service_token_file.as_deref(),
    }
    .for_server(&settings.grpc_addr.to_string())?;
    let pool_settings = PoolSettings {
        max_connections: settings.max_connections.max(2),
        ..PoolSettings::default()
    };
    let database = Database::connect(&settings.database_url, &MIGRATIONS, pool_settings).await?;
    // A child token: when one task fails it stops its siblings without shutting down the
    // rest of the process (`boxoffice all`).
    let stop = shutdown.child_token();
    let mut tasks: Vec<(&'static str, JoinHandle<Result<(), String>>)> = Vec::new();
    let (store, events): (SharedStore, SeatEvents) = match &database {
        Database::Postgres(pool) => {
            let (events, listener) = SeatEvents::listen_postgres(pool.clone(), stop.clone())
                .await
                .map_err(StartError::Listen)?;
            tasks.push((
                "seat change listener",
                tokio::spawn(async move { listener.await.map_err(|e| e.to_string()) }),
            ));
            (Arc::new(PgStore::new(pool.clone())), events)
        }
        Database::Sqlite(pool) => {
            let store = SqliteStore::new(pool.clone())
                .await
                .map_err(|e| StartError::Store(e.into()))?;
            (Arc::new(store), SeatEvents::in_process())
        }
    };
    let http_listener = bind(settings.http_addr).await?;
    let grpc_listener = bind(settings.grpc_addr).await?;
    let http_addr = http_listener
        .local_addr()
        .map_err(|source| StartError::Bind {
            addr: settings.http_addr,
            source,
        })?;
    let grpc_addr = grpc_listener
        .local_addr()
        .map_err(|source| StartError::Bind {
            addr: settings.grpc_addr,
            source,
        })?;
    let grace = Duration::from_secs(settings.shutdown_grace_secs);

    let probe = database.clone();
    let readiness = Readiness::new().with_check("database", move || {
        let probe = probe.clone();
        async move { probe.ping().await.map_err(|e| e.to_string()) }
    });
    let api = admin::router(AdminState {
        store: store.clone(),
        verifier,
    });
    let app = boxoffice_http::with_standard_layers(
        "cinema",
        api.merge(api::posters::router(store.clone()))
            .merge(boxoffice_http::health_router(readiness)),
    );
    tasks.push((
        "http server",
        spawn_stopping(
            stop.clone(),
            boxoffice_http::serve(http_listener, app, stop.clone(), grace, settings.server),
        ),
    ));

    // Served by the same server as every HTTP listener (connection cap, header and idle
    // timeouts, HTTP/2 keep-alive), behind the service credential.
    let grpc = tonic::service::Routes::new(CatalogServer::new(CatalogApi::new(store.clone())))
        .add_service(SeatInventoryServer::new(InventoryApi::new(
            store.clone(),
            events.clone(),
            settings.hold_limits(),
            stop.clone(),
        )))
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(
            ServiceCredential::new(&service_token),
            api::grpc_auth::require_credential,
        ));
    let grpc = boxoffice_http::layers::with_grpc_span("cinema", grpc);
    tasks.push((
        "grpc server",
        spawn_stopping(
            stop.clone(),
            boxoffice_http::serve(
                grpc_listener,
                grpc,
                stop.clone(),
                grace,
                settings.grpc_server,
            ),
        ),
    ));

    let every = Duration::from_millis(settings.sweep_interval_ms.max(10));
    let sweeping = sweeper::run(store, events, every, stop.clone());
    tasks.push((
        "hold sweeper",
        tokio::spawn(async move {
            sweeping.await;
            Ok(())
        }),
    ));
    tracing::info!(%http_addr, %grpc_addr, engine = database.engine(), "cinema service started");
    Ok(Running {
        http_addr,
        grpc_addr,
        service_token,
        tasks,
        database,
    })
}

/// Spawns a server; if it fails, the sibling tasks are stopped too.
fn spawn_stopping<F, E>(stop: CancellationToken, server: F) -> JoinHandle<Result<(), String>>
where
    F: std::future::Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    tokio::spawn(async move {
        let result = server.await.map_err(|e| e.to_string());
        if result.is_err() {
            stop.cancel();
        }
        result
    })
}
