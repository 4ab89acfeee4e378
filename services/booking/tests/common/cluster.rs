//! Starting the services a booking needs.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_auth::{KeySource, Verifier};
use boxoffice_booking::saga::Faults;
use boxoffice_config::Secret;
use boxoffice_events::{EventBus, EventEnvelope, EventHandler, HandleError, InProcessBus};
use boxoffice_http::CancellationToken;
use boxoffice_store::{Database, PoolSettings};
use boxoffice_users::Accounts;
use serde_json::{Value, json};

use super::{Engine, database_url};

/// For the tests' own look into other services' databases: PostgreSQL connections are shared
/// by every test running at once.
fn small_pool() -> PoolSettings {
    PoolSettings {
        max_connections: 2,
        ..PoolSettings::default()
    }
}

/// Collects every event a subscription sees.
#[derive(Default)]
pub struct Collector(pub Mutex<Vec<EventEnvelope>>);

#[async_trait]
impl EventHandler for Collector {
    async fn handle(&self, event: &EventEnvelope) -> Result<(), HandleError> {
        self.0.lock().expect("lock").push(event.clone());
        Ok(())
    }
}

impl Collector {
    pub fn of_type(&self, event_type: &str) -> Vec<EventEnvelope> {
        let events = self.0.lock().expect("lock");
        events
            .iter()
            .filter(|e| e.event_type == event_type)
            .cloned()
            .collect()
    }
}

/// Users, cinema and payments, running; the booking service is started separately so that
/// tests can stop and restart it.
pub struct Cluster {
    pub users_addr: SocketAddr,
    pub cinema_http: SocketAddr,
    pub cinema_grpc: SocketAddr,
    pub payments_addr: SocketAddr,
    pub payments_token: Secret,
    pub payments_db: Database,
    pub cinema_db: Database,
    pub accounts: Arc<Accounts>,
    pub verifier: Arc<Verifier>,
    pub admin_token: String,
    pub http: reqwest::Client,
    pub engine: Engine,
    shutdown: CancellationToken,
    _keys: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Cluster {
    pub async fn start(engine: Engine) -> Self {
        let shutdown = CancellationToken::new();
        let keys = tempfile::tempdir().expect("key dir");
        let users_settings = boxoffice_users::Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            key_dir: keys.path().to_path_buf(),
            max_concurrent_hashes: 8,
            ..boxoffice_users::Settings::default()
        };
        let users_url = boxoffice_store::testing::fresh_sqlite_url();
        let users_db = Database::connect(
            &users_url,
            &boxoffice_users::MIGRATIONS,
            PoolSettings::default(),
        )
        .await
        .expect("users db");
        let accounts = Arc::new(
            boxoffice_users::accounts(&users_settings, users_db.clone())
                .await
                .expect("accounts"),
        );
        let verifier = Arc::new(Verifier::new(
            KeySource::Static(accounts.issuer().jwks()),
            users_settings.token_rules(),
        ));
        let users = boxoffice_users::start(users_settings, users_db, shutdown.clone())
            .await
            .expect("start users");

        let cinema_url = database_url(engine).await;
        let cinema_settings = boxoffice_cinema::Settings {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: cinema_url.clone(),
            max_connections: 10,
            sweep_interval_ms: 200,
            ..boxoffice_cinema::Settings::default()
        };
        let cinema = boxoffice_cinema::start(cinema_settings, verifier.clone(), shutdown.clone())
            .await
            .expect("start cinema");
        let cinema_db = Database::connect(&cinema_url, &boxoffice_cinema::MIGRATIONS, small_pool())
            .await
            .expect("cinema db");

        let payments_url = database_url(engine).await;
        let payments_settings = boxoffice_payments::Settings {
            listen: "127.0.0.1:0".into(),
            service_token: Secret::new("booking-test-credential-0123456789"),
            max_connections: 10,
            ..boxoffice_payments::Settings::default()
        };
        let payments =
            boxoffice_payments::start(payments_settings, &payments_url, shutdown.clone())
                .await
                .expect("start payments");
        let payments_db = Database::connect(
            &payments_url,
            &boxoffice_payments::store::migrations(),
            small_pool(),
        )
        .await
        .expect("payments db");

        let admin = accounts
            .create_admin("admin@example.com", "correct horse battery staple", "Admin")
            .await
            .expect("admin");
        let admin_token = accounts
            .issuer()
            .issue(admin.id, boxoffice_auth::Role::Admin)
            .expect("admin token");
        Self {
            users_addr: users.http_addr,
            cinema_http: cinema.http_addr,
            cinema_grpc: cinema.grpc_addr,
            payments_addr: payments.http_addr,
            payments_token: payments.service_token.clone(),
            payments_db,
            cinema_db,
            accounts,
            verifier,
            admin_token,
            http: reqwest::Client::new(),
            engine,
            shutdown,
            _keys: keys,
        }
    }

    /// A customer account and its access token.
    pub async fn customer(&self, name: &str) -> (uuid::Uuid, String) {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            uuid::Uuid::now_v7().simple()
        );
        let session = self
            .accounts
            .register(&email, "correct horse battery staple", name)
            .await
            .expect("register");
        (session.user.id, session.access_token)
    }

    pub fn booking_settings(&self, database_url: &str) -> boxoffice_booking::Settings {
        boxoffice_booking::Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_owned(),
            max_connections: 10,
            cinema_grpc_url: format!("http://{}", self.cinema_grpc),
            payments_url: format!("http://{}", self.payments_addr),
            payments_token: self.payments_token.clone(),
            users_url: format!("http://{}", self.users_addr),
            recovery_interval_ms: 200,
            stuck_after_ms: 200,
            expiry_interval_ms: 200,
            relay_poll_interval_ms: 50,
            ..boxoffice_booking::Settings::default()
        }
    }

    async fn admin_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("http://{}{path}", self.cinema_http))
            .bearer_auth(&self.admin_token)
            .json(&body)
            .send()
            .await
            .expect("admin request");
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    /// A cinema, a `rows` x `per_row` auditorium, a movie and a showtime starting `starts_at`.
    pub async fn seed(&self, rows: usize, per_row: u16, starts_at: &str) -> Seeded {
        let layout = boxoffice_cinema::domain::Layout::grid(rows, per_row);
        self.seed_with_layout(&layout, starts_at).await
    }

    /// A cinema, an auditorium with this layout, a movie and a showtime starting `starts_at`.
    pub async fn seed_with_layout(
        &self,
        layout: &boxoffice_cinema::domain::Layout,
        starts_at: &str,
    ) -> Seeded {
        let cinema = self
            .admin_post(
                "/api/v1/admin/cinemas",
                json!({"name": "Roxy", "address": "1 Main St", "time_zone": "Europe/Berlin"}),
            )
            .await;
        let cinema_id = cinema["id"].as_str().expect("id").to_owned();
        let layout = serde_json::to_value(layout).expect("layout");
        let auditorium = self
            .admin_post(
                &format!("/api/v1/admin/cinemas/{cinema_id}/auditoriums"),
                json!({"name": "Hall 1", "layout": layout}),
            )
            .await;
        let movie = self
            .admin_post(
                "/api/v1/admin/movies",
                json!({"title": "Heat", "runtime_minutes": 170, "rating": "R", "genres": ["crime"]}),
            )
            .await;
        let showtime = self
            .admin_post(
                "/api/v1/admin/showtimes",
                json!({
                    "movie_id": movie["id"], "auditorium_id": auditorium["id"],
                    "starts_at": starts_at,
                    "prices": {"currency": "EUR", "standard": 1200, "premium": 1600, "accessible": 900}
                }),
            )
            .await;
        Seeded {
            cinema_id,
            movie_id: movie["id"].as_str().expect("id").to_owned(),
            showtime_id: showtime["id"].as_str().expect("id").to_owned(),
        }
    }

    /// Seat statuses of a showtime straight from the cinema database: seat id → (status, hold).
    pub async fn seat_states(
        &self,
        showtime_id: &str,
    ) -> Vec<(String, String, Option<uuid::Uuid>)> {
        let id = uuid::Uuid::parse_str(showtime_id).expect("uuid");
        let sql = "SELECT seat_id, status, hold_id FROM showtime_seats WHERE showtime_id = $1 ORDER BY seat_id";
        match &self.cinema_db {
            Database::Postgres(pool) => sqlx::query_as(sql).bind(id).fetch_all(pool).await,
            Database::Sqlite(pool) => sqlx::query_as(sql).bind(id).fetch_all(pool).await,
        }
        .expect("seat states")
    }
}

#[derive(Debug, Clone)]
pub struct Seeded {
    pub cinema_id: String,
    pub movie_id: String,
    pub showtime_id: String,
}

/// A running booking service.
pub struct Booking {
    pub addr: SocketAddr,
    pub database: Database,
    pub shutdown: CancellationToken,
    pub running: Option<boxoffice_booking::Running>,
}

impl Drop for Booking {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Booking {
    pub async fn start(
        cluster: &Cluster,
        settings: boxoffice_booking::Settings,
        bus: Arc<dyn EventBus>,
        faults: Faults,
    ) -> Self {
        let database = Database::connect(
            &settings.database_url,
            &boxoffice_booking::MIGRATIONS,
            PoolSettings {
                max_connections: 10,
                ..PoolSettings::default()
            },
        )
        .await
        .expect("booking db");
        let shutdown = CancellationToken::new();
        let running = boxoffice_booking::start_with_faults(
            settings,
            database.clone(),
            cluster.verifier.clone(),
            bus,
            shutdown.clone(),
            faults,
        )
        .await
        .expect("start booking");
        Self {
            addr: running.http_addr,
            database,
            shutdown,
            running: Some(running),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Kills every task of the service without any cleanup, as a crash would.
    pub fn crash(mut self) {
        if let Some(running) = self.running.take() {
            running.abort();
        }
    }
}

/// The in-process bus with a collector subscribed to every booking event.
pub async fn memory_bus() -> (Arc<dyn EventBus>, Arc<Collector>) {
    let bus = InProcessBus::new();
    let collector = Arc::new(Collector::default());
    bus.subscribe(
        boxoffice_events::Subscription::new("test", &boxoffice_events::payloads::ALL_EVENT_TYPES),
        collector.clone(),
        CancellationToken::new(),
    )
    .await
    .expect("subscribe");
    (Arc::new(bus), collector)
}

/// Waits (bounded) until `check` holds; the bound is generous so that it never flakes, and a
/// failure names what was awaited.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}
