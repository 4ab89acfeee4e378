//! The cinema service started on port 0 against a fresh database, with typed helpers.
#![allow(dead_code)]

pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_auth::{KeySource, Role, SigningKeyPair, TokenIssuer, TokenRules, Verifier};
use boxoffice_cinema::domain::Layout;
use boxoffice_cinema::{Running, Settings};
use boxoffice_http::CancellationToken;
use boxoffice_proto::cinema::v1::seat_inventory_client::SeatInventoryClient;
use boxoffice_proto::{CinemaChannel, Credential};
use serde_json::{Value, json};
use tonic::transport::Channel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

/// Runs a test function once per engine: `per_engine!(name);` gives `name_on_postgres` and
/// `name_on_sqlite`.
#[macro_export]
macro_rules! per_engine {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_postgres() {
                    super::$name(common::Engine::Postgres).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_sqlite() {
                    super::$name(common::Engine::Sqlite).await;
                }
            }
        )*
    };
}

pub async fn database_url(engine: Engine) -> String {
    match engine {
        Engine::Postgres => boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("create test database"),
        Engine::Sqlite => boxoffice_store::testing::fresh_sqlite_url(),
    }
}

pub struct TestApp {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    /// The gRPC credential (generated at start: the service listens on loopback).
    pub grpc_token: boxoffice_config::Secret,
    pub database_url: String,
    pub admin_token: String,
    pub customer_token: String,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    running: Option<Running>,
}

pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        grpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database_url.to_owned(),
        max_connections: 20,
        sweep_interval_ms: 200,
        ..Settings::default()
    }
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> Self {
        let url = database_url(engine).await;
        Self::spawn_with(test_settings(&url)).await
    }

    pub async fn spawn_with(settings: Settings) -> Self {
        let rules = TokenRules::default();
        let issuer = TokenIssuer::new(
            SigningKeyPair::generate().expect("key"),
            vec![],
            rules.clone(),
            Duration::from_secs(600),
        )
        .expect("issuer");
        let verifier = Arc::new(Verifier::new(KeySource::Static(issuer.jwks()), rules));
        let shutdown = CancellationToken::new();
        let database_url = settings.database_url.clone();
        let running = boxoffice_cinema::start(settings, verifier, shutdown.clone())
            .await
            .expect("start cinema");
        Self {
            http_addr: running.http_addr,
            grpc_addr: running.grpc_addr,
            grpc_token: running.service_token.clone(),
            database_url,
            admin_token: issuer
                .issue(uuid::Uuid::now_v7(), Role::Admin)
                .expect("token"),
            customer_token: issuer
                .issue(uuid::Uuid::now_v7(), Role::Customer)
                .expect("token"),
            http: reqwest::Client::new(),
            shutdown,
            running: Some(running),
        }
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            running.wait().await.expect("clean shutdown");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http_addr)
    }

    pub async fn inventory(&self) -> SeatInventoryClient<CinemaChannel> {
        SeatInventoryClient::new(self.credential().channel(self.channel().await))
    }

    /// A gRPC connection to the service, without credentials.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc_addr))
            .expect("url")
            .connect()
            .await
            .expect("connect gRPC")
    }

    pub fn credential(&self) -> Credential {
        Credential::bearer(self.grpc_token.expose())
    }

    /// An admin request; returns status and JSON body.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, body) = self.admin(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 201, "POST {path}: {body}");
        body
    }

    /// A cinema with one auditorium of `rows` x `per_row` seats, a movie, and a showtime.
    pub async fn seed(&self, rows: usize, per_row: u16) -> Seeded {
        let cinema = self
            .post(
                "/api/v1/admin/cinemas",
                json!({"name": "Roxy", "address": "1 Main St", "time_zone": "Europe/Berlin"}),
            )
            .await;
        let cinema_id = cinema["id"].as_str().expect("id").to_owned();
        let layout = serde_json::to_value(Layout::grid(rows, per_row)).expect("layout");
        let auditorium = self
            .post(
                &format!("/api/v1/admin/cinemas/{cinema_id}/auditoriums"),
                json!({"name": "Hall 1", "layout": layout}),
            )
            .await;
        let movie = self.post("/api/v1/admin/movies", json!({"title": "Heat", "runtime_minutes": 170, "rating": "R", "genres": ["crime"]})).await;
        let showtime = self
            .post(
                "/api/v1/admin/showtimes",
                json!({
                    "movie_id": movie["id"], "auditorium_id": auditorium["id"],
                    "starts_at": "2030-01-01T18:00:00Z",
                    "prices": {"currency": "EUR", "standard": 1200, "premium": 1600, "accessible": 900}
                }),
            )
            .await;
        Seeded {
            cinema_id,
            auditorium_id: auditorium["id"].as_str().expect("id").to_owned(),
            movie_id: movie["id"].as_str().expect("id").to_owned(),
            showtime_id: showtime["id"].as_str().expect("id").to_owned(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[derive(Debug, Clone)]
pub struct Seeded {
    pub cinema_id: String,
    pub auditorium_id: String,
    pub movie_id: String,
    pub showtime_id: String,
}

/// A tiny deterministic PRNG (xorshift64*), so a failing race test can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn hold_request(
    showtime_id: &str,
    seats: &[&str],
    hold_id: &str,
    ttl_seconds: i64,
) -> boxoffice_proto::cinema::v1::HoldSeatsRequest {
    boxoffice_proto::cinema::v1::HoldSeatsRequest {
        showtime_id: showtime_id.to_owned(),
        seat_ids: seats.iter().map(|s| (*s).to_owned()).collect(),
        hold_id: hold_id.to_owned(),
        ttl_seconds: Some(ttl_seconds),
    }
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
