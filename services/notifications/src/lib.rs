//! The notifications service: consumes booking and user events and sends every customer
//! exactly one email per event (SMTP, or a file outbox in the embedded deployment), with
//! e-tickets as QR codes and a calendar event, plus an SMS where a phone number is known.
//! Over HTTP it answers the back office's look-up of what was sent about a booking.

pub mod api;
pub mod email;
pub mod idempotency;
mod notifier;
mod settings;
pub mod sms;
pub mod store;
pub mod templates;

#[cfg(feature = "testing")]
pub mod smtp_sink;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use boxoffice_auth::Verifier;
use boxoffice_events::{ConsumerHandle, EventBus, RetryPolicy, Subscription};
use boxoffice_http::{CancellationToken, Readiness, health_router, with_standard_layers};
use boxoffice_store::{Database, PoolSettings};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use notifier::HANDLED_EVENTS;
pub use settings::{EmailSettings, Settings};

use crate::email::EmailSender;
use crate::idempotency::IdempotencyStore;
use crate::sms::SmsSender;
use crate::store::NotificationLog;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Store(#[from] boxoffice_store::StoreError),
    #[error("event bus: {0}")]
    Bus(#[from] boxoffice_events::BusError),
    #[error("email: {0}")]
    Email(#[from] email::EmailError),
    #[error("idempotency store: {0}")]
    Idempotency(#[from] idempotency::IdempotencyError),
}

/// What the service runs on; [`Ports::from_settings`] builds them from settings, tests and the
/// all-in-one binary may build their own.
#[derive(Clone)]
pub struct Ports {
    pub bus: Arc<dyn EventBus>,
    pub database: Database,
    /// `None` runs without the fast duplicate check (the log still guarantees exactly once).
    pub idempotency: Option<Arc<dyn IdempotencyStore>>,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
    /// Checks the access tokens of the back-office look-up; normally the users service's JWKS.
    pub verifier: Arc<Verifier>,
}

impl Ports {
    /// RabbitMQ when `amqp_url` is set, else `in_process_bus` (the all-in-one process shares
    /// one) or a new one; Redis when `redis_url` is set, else in memory; PostgreSQL or SQLite
    /// per `database_url` (default: a SQLite file in the data directory); SMTP when configured,
    /// else the file outbox; the simulated SMS provider; `verifier` for the look-up API.
    pub async fn from_settings(
        settings: &Settings,
        in_process_bus: Option<boxoffice_events::InProcessBus>,
        verifier: Arc<Verifier>,
    ) -> Result<Self, StartError> {
        let bus: Arc<dyn EventBus> = match &settings.amqp_url {
            Some(url) => Arc::new(boxoffice_events::RabbitBus::new(url.clone())),
            None => Arc::new(in_process_bus.unwrap_or_default()),
        };
        let database_url = match &settings.database_url {
            Some(url) => url.clone(),
            None => boxoffice_store::sqlite_url_in(&settings.data_dir, "notifications")?,
        };
        let database =
            Database::connect(&database_url, &store::MIGRATIONS, PoolSettings::default()).await?;
        let idempotency: Arc<dyn IdempotencyStore> = match &settings.redis_url {
            Some(url) => Arc::new(idempotency::RedisIdempotency::new(
                url,
                settings.redis_prefix.clone(),
            )?),
            None => Arc::new(idempotency::MemoryIdempotency::new()),
        };
        let email: Arc<dyn EmailSender> = match &settings.email {
            EmailSettings::Smtp(smtp) => Arc::new(email::SmtpSender::new(smtp)?),
            EmailSettings::File { dir } => {
                let dir = dir
                    .clone()
                    .unwrap_or_else(|| settings.data_dir.join("email-outbox"));
                Arc::new(email::FileOutbox::new(dir)?)
            }
        };
        Ok(Self {
            bus,
            database,
            idempotency: Some(idempotency),
            email,
            sms: Arc::new(sms::SimulatedSms::new()),
            verifier,
        })
    }
}

/// A started service.
pub struct Running {
    pub http_addr: SocketAddr,
    log: NotificationLog,
    in_flight: Arc<AtomicI64>,
    server: JoinHandle<std::io::Result<()>>,
    consumer: ConsumerHandle,
}

impl Running {
    /// Waits until the service stopped after its shutdown token was cancelled: the consumer
    /// drained and acknowledged its in-flight events, the HTTP server finished its requests.
    pub async fn wait(self) {
        self.consumer.wait().await;
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "notifications HTTP server failed"),
            Err(error) => tracing::error!(%error, "notifications HTTP server task failed"),
        }
    }

    /// Stops at once, without draining or acknowledging: what a crash looks like to the
    /// broker, which redelivers the unacknowledged events.
    pub fn abort(&self) {
        self.consumer.abort();
        self.server.abort();
    }

    /// The notification log, for audits.
    pub fn log(&self) -> &NotificationLog {
        &self.log
    }

    /// Events being handled right now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::SeqCst)
    }
}

/// Starts the HTTP server (the back-office look-up, health, readiness, metrics) and the event
/// consumer.
pub async fn start(
    settings: Settings,
    ports: Ports,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: settings.listen.clone(),
            source,
        })?;
    let http_addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: settings.listen.clone(),
        source,
    })?;

    let log = NotificationLog::new(ports.database.clone());
    let in_flight = Arc::new(AtomicI64::new(0));
    let notifier = notifier::Notifier {
        log: log.clone(),
        idempotency: ports.idempotency.clone(),
        email: ports.email.clone(),
        sms: ports.sms.clone(),
        from: settings.from.clone(),
        claim_ttl: Duration::from_millis(settings.claim_ttl_ms.max(1)),
        done_ttl: Duration::from_secs(settings.done_ttl_secs.max(1)),
        in_flight: in_flight.clone(),
    };
    let mut subscription = Subscription::new(settings.queue.clone(), &HANDLED_EVENTS);
    subscription.prefetch = settings.prefetch.max(1);
    subscription.retry = RetryPolicy {
        max_attempts: settings.max_attempts.max(1),
        base_delay: Duration::from_millis(settings.retry_base_ms.max(1)),
        max_delay: Duration::from_millis(settings.retry_max_ms.max(1)),
    };
    subscription.drain_timeout = Duration::from_secs(settings.drain_timeout_secs);
    let consumer = ports
        .bus
        .subscribe(subscription, Arc::new(notifier), shutdown.clone())
        .await?;

    let api = api::router(api::ApiState {
        log: log.clone(),
        verifier: ports.verifier.clone(),
    });
    let app = with_standard_layers("notifications", api.merge(health_router(readiness(&ports))));
    let grace = Duration::from_secs(settings.drain_timeout_secs);
    let server = tokio::spawn(boxoffice_http::serve(
        listener,
        app,
        shutdown,
        grace,
        settings.server,
    ));
    tracing::info!(%http_addr, bus = ports.bus.kind(), email = ports.email.kind(),
        database = ports.database.engine(), "notifications service started");
    Ok(Running {
        http_addr,
        log,
        in_flight,
        server,
        consumer,
    })
}

fn readiness(ports: &Ports) -> Readiness {
    let bus = ports.bus.clone();
    let database = ports.database.clone();
    let mut readiness = Readiness::new()
        .with_check("event_bus", move || {
            let bus = bus.clone();
            async move { bus.ping().await.map_err(|e| e.to_string()) }
        })
        .with_check("database", move || {
            let database = database.clone();
            async move { database.ping().await.map_err(|e| e.to_string()) }
        });
    if let Some(store) = ports.idempotency.clone() {
        readiness = readiness.with_check("idempotency", move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|e| e.to_string()) }
        });
    }
    readiness
}
