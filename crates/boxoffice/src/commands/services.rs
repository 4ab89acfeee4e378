//! Starting each service from the binary's settings; shared by the one-service subcommands and
//! `boxoffice all`. Each start logs one `service ready` line with its addresses, which operators
//! and the end-to-end harness read.

use std::sync::Arc;

use boxoffice_events::{
    EventBus, InProcessBus, RabbitBus, RelayHandle, RelaySettings, Subscription, spawn_relay,
};
use boxoffice_http::CancellationToken;
use boxoffice_store::{Database, PoolSettings};

use crate::settings::{Settings, connect_store, store_url};

/// The event bus of this process: RabbitMQ when configured, else one in-process bus shared by
/// every service of the process. A lone service on the in-process bus would keep its events to
/// itself, so that case is warned about.
///
/// With RabbitMQ the notifications queue is declared here too, by whichever process starts
/// first: a topic exchange drops events that no queue is bound to, and the producers' relays
/// may run before the notifications service ever started.
pub async fn event_bus(
    settings: &Settings,
    in_process: &InProcessBus,
    all_in_one: bool,
) -> Arc<dyn EventBus> {
    match &settings.amqp_url {
        Some(url) => {
            let bus = RabbitBus::new(url.clone());
            let subscription = Subscription::new(
                settings.notifications.queue.clone(),
                &boxoffice_notifications::HANDLED_EVENTS,
            );
            if let Err(error) = bus.declare_subscription(&subscription).await {
                tracing::warn!(%error, "could not declare the notifications queue yet; the notifications service declares it when it starts");
            }
            Arc::new(bus)
        }
        None => {
            if !all_in_one {
                tracing::warn!(
                    "no amqp_url: events stay in this process; set BOXOFFICE_AMQP_URL when services run apart"
                );
            }
            Arc::new(in_process.clone())
        }
    }
}

/// A service whose outbox this process relays to the bus.
pub struct Relayed<R> {
    pub running: R,
    relay: RelayHandle,
    database: Database,
}

/// A started service that can be waited for until it has shut down.
pub trait Service {
    fn stopped(self) -> impl std::future::Future<Output = anyhow::Result<()>> + Send;
}

impl Service for boxoffice_users::Running {
    async fn stopped(self) -> anyhow::Result<()> {
        Ok(self.wait().await?)
    }
}

impl Service for boxoffice_payments::Running {
    async fn stopped(self) -> anyhow::Result<()> {
        Ok(self.wait().await?)
    }
}

impl<R: Service> Relayed<R> {
    /// Waits for the service, then for its relay, then closes the relay's pool.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.running.stopped().await?;
        self.relay.wait().await;
        self.database.close().await;
        Ok(())
    }
}

pub type UsersService = Relayed<boxoffice_users::Running>;
pub type PaymentsService = Relayed<boxoffice_payments::Running>;

pub async fn start_users(
    settings: &Settings,
    bus: Arc<dyn EventBus>,
    shutdown: CancellationToken,
) -> anyhow::Result<UsersService> {
    Ok(start_users_unrelayed(settings, shutdown.clone())
        .await?
        .relay_to(bus, shutdown))
}

/// The users service serving, its outbox not yet relayed: `boxoffice all` starts the
/// notifications consumer in between, which needs the users service's address (for its JWKS)
/// and must subscribe before the first event is published (the in-process bus drops events
/// no queue is bound to).
pub struct UsersUnrelayed {
    pub running: boxoffice_users::Running,
    database: Database,
}

impl UsersUnrelayed {
    pub fn relay_to(self, bus: Arc<dyn EventBus>, shutdown: CancellationToken) -> UsersService {
        let relay = spawn_relay(
            "users",
            self.database.clone(),
            bus,
            RelaySettings::default(),
            shutdown,
        );
        Relayed {
            running: self.running,
            relay,
            database: self.database,
        }
    }
}

pub async fn start_users_unrelayed(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<UsersUnrelayed> {
    let database = connect_store(
        &settings.data_dir,
        "users",
        &settings.users.database_url,
        &boxoffice_users::MIGRATIONS,
    )
    .await?;
    let running =
        boxoffice_users::start(settings.users.clone(), database.clone(), shutdown).await?;
    tracing::info!(service = "users", http_addr = %running.http_addr, "service ready");
    Ok(UsersUnrelayed { running, database })
}

pub async fn start_cinema(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<boxoffice_cinema::Running> {
    let running =
        boxoffice_cinema::start(settings.cinema.clone(), settings.verifier(), shutdown).await?;
    tracing::info!(service = "cinema", http_addr = %running.http_addr, grpc_addr = %running.grpc_addr, "service ready");
    Ok(running)
}

pub async fn start_payments(
    settings: &Settings,
    bus: Arc<dyn EventBus>,
    shutdown: CancellationToken,
) -> anyhow::Result<PaymentsService> {
    let url = store_url(
        &settings.data_dir,
        "payments",
        &settings.payments.database_url,
    )?;
    let running =
        boxoffice_payments::start(settings.payments.service.clone(), &url, shutdown.clone())
            .await?;
    // The service keeps its pool to itself; the relay gets a small one of its own.
    let database = Database::connect(
        &url,
        &boxoffice_payments::store::migrations(),
        PoolSettings {
            max_connections: 2,
            ..PoolSettings::default()
        },
    )
    .await?;
    let relay = spawn_relay(
        "payments",
        database.clone(),
        bus,
        RelaySettings::default(),
        shutdown,
    );
    tracing::info!(service = "payments", http_addr = %running.http_addr, "service ready");
    Ok(Relayed {
        running,
        relay,
        database,
    })
}

pub async fn start_notifications(
    settings: &Settings,
    in_process: &InProcessBus,
    shutdown: CancellationToken,
) -> anyhow::Result<boxoffice_notifications::Running> {
    let ports = boxoffice_notifications::Ports::from_settings(
        &settings.notifications,
        Some(in_process.clone()),
        settings.verifier(),
    )
    .await?;
    let running =
        boxoffice_notifications::start(settings.notifications.clone(), ports, shutdown).await?;
    tracing::info!(service = "notifications", http_addr = %running.http_addr, "service ready");
    Ok(running)
}

pub async fn start_gateway(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<boxoffice_gateway::Running> {
    let running =
        boxoffice_gateway::start(settings.gateway.clone(), settings.verifier(), shutdown).await?;
    tracing::info!(service = "gateway", http_addr = %running.http_addr, "service ready");
    Ok(running)
}

pub async fn start_booking(
    settings: &Settings,
    bus: Arc<dyn EventBus>,
    shutdown: CancellationToken,
) -> anyhow::Result<boxoffice_booking::Running> {
    let database = Database::connect(
        &settings.booking.database_url,
        &boxoffice_booking::MIGRATIONS,
        PoolSettings {
            max_connections: settings.booking.max_connections.max(2),
            ..PoolSettings::default()
        },
    )
    .await?;
    let running = boxoffice_booking::start(
        settings.booking.clone(),
        database,
        settings.verifier(),
        bus,
        shutdown,
    )
    .await?;
    tracing::info!(service = "booking", http_addr = %running.http_addr, "service ready");
    Ok(running)
}
