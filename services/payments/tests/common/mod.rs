//! Test harness: the payments service on port 0 against a fresh PostgreSQL database or SQLite
//! file, typed request helpers, and direct views of the stores for audits.
#![allow(dead_code)]

use boxoffice_config::Secret;
use boxoffice_http::CancellationToken;
use boxoffice_payments::processor::{ProcessorSettings, SimulatedProcessor};
use boxoffice_payments::{Running, Settings, start};
use boxoffice_store::{Database, PoolSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

pub const TOKEN: &str = "test-service-token-0123456789abcdef";

pub const VISA_OK: &str = "4242424242424242";
pub const VISA_DECLINED: &str = "4000000000000002";
pub const VISA_NO_FUNDS: &str = "4000000000009995";
pub const VISA_PROCESSOR_ERROR: &str = "4000000000000119";
pub const CVC: &str = "314";

#[derive(Debug, Clone, Copy)]
pub enum Engine {
    Postgres,
    Sqlite,
}

/// Runs an `async fn(Engine)` test once per engine, as `<name>::postgres` and `<name>::sqlite`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name(super::common::Engine::Postgres).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(super::common::Engine::Sqlite).await;
            }
        }
    )*};
}

pub async fn fresh_url(engine: Engine) -> String {
    match engine {
        Engine::Postgres => boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("create a test database"),
        Engine::Sqlite => boxoffice_store::testing::fresh_sqlite_url(),
    }
}

pub fn settings() -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        service_token: Secret::new(TOKEN),
        // The periodic pass would race the tests' own recovery steps; they run it explicitly.
        recovery_interval_ms: 3_600_000,
        ..Settings::default()
    }
}

pub struct TestApp {
    pub url: String,
    pub base: String,
    pub http: reqwest::Client,
    pub shutdown: CancellationToken,
    running: Option<Running>,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> Self {
        Self::spawn_with(fresh_url(engine).await, settings()).await
    }

    pub async fn spawn_with(url: String, settings: Settings) -> Self {
        let shutdown = CancellationToken::new();
        let running = start(settings, &url, shutdown.clone())
            .await
            .expect("payments service starts");
        Self {
            base: format!("http://{}", running.http_addr),
            url,
            http: reqwest::Client::new(),
            shutdown,
            running: Some(running),
        }
    }

    /// Stops the service and waits until it has stopped, as a process exit would.
    pub async fn stop(mut self) -> String {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            running.wait().await.expect("clean stop");
        }
        self.url.clone()
    }

    pub async fn pay(&self, key: Option<&str>, body: &Value) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/api/v1/payments", self.base))
            .bearer_auth(TOKEN)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        Reply::from(request.send().await.expect("request")).await
    }

    pub async fn refund(&self, payment_id: &str, key: &str, body: &Value) -> Reply {
        let request = self
            .http
            .post(format!(
                "{}/api/v1/payments/{payment_id}/refunds",
                self.base
            ))
            .bearer_auth(TOKEN)
            .header("Idempotency-Key", key)
            .json(body);
        Reply::from(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        Reply::from(request.send().await.expect("request")).await
    }

    /// A second connection to the same database, for looking at what was stored.
    pub async fn database(&self) -> Database {
        database(&self.url).await
    }
}

pub async fn database(url: &str) -> Database {
    Database::connect(
        url,
        &boxoffice_payments::store::migrations(),
        PoolSettings::default(),
    )
    .await
    .expect("connect")
}

/// The simulated bank's own view: what it charged and refunded.
pub async fn bank(url: &str) -> SimulatedProcessor {
    SimulatedProcessor::new(database(url).await, ProcessorSettings::default())
}

pub async fn count(db: &Database, table: &str) -> i64 {
    let sql = match table {
        "payments" => "SELECT COUNT(*) FROM payments",
        "refunds" => "SELECT COUNT(*) FROM refunds",
        "idempotency_keys" => "SELECT COUNT(*) FROM idempotency_keys",
        "ledger_entries" => "SELECT COUNT(*) FROM ledger_entries",
        "outbox" => "SELECT COUNT(*) FROM outbox",
        "simproc_charges" => "SELECT COUNT(*) FROM simproc_charges",
        other => panic!("unknown table {other}"),
    };
    let (n,): (i64,) = match db {
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await,
    }
    .expect("count");
    n
}

/// The event types in the outbox, oldest first.
pub async fn outbox_types(db: &Database) -> Vec<String> {
    let sql = "SELECT event_type FROM outbox ORDER BY occurred_at, id";
    let rows: Vec<(String,)> = match db {
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .expect("outbox");
    rows.into_iter().map(|(t,)| t).collect()
}

/// The outbox envelopes, oldest first.
pub async fn outbox_payloads(db: &Database) -> Vec<Value> {
    let sql = "SELECT payload FROM outbox ORDER BY occurred_at, id";
    let rows: Vec<(String,)> = match db {
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .expect("outbox");
    rows.into_iter()
        .map(|(p,)| serde_json::from_str(&p).expect("json envelope"))
        .collect()
}

/// Asserts the ledger audit finds nothing wrong, and returns the report.
pub async fn assert_audit_clean(db: &Database) -> boxoffice_payments::service::AuditReport {
    let report = boxoffice_payments::audit(db).await.expect("audit");
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    report
}

pub fn payment_body(booking_id: Uuid, amount: i64, number: &str) -> Value {
    json!({
        "booking_id": booking_id,
        "amount": amount,
        "currency": "EUR",
        "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": CVC},
    })
}

pub fn new_key() -> String {
    format!("key-{}", Uuid::now_v7())
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub replayed: bool,
    pub body: Value,
}

impl Reply {
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let body = response.json().await.unwrap_or(Value::Null);
        Self {
            status,
            content_type,
            replayed,
            body,
        }
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }

    /// Asserts a problem+json answer with `status`.
    pub fn assert_problem(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{:?}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{:?}",
            self.body
        );
        assert_eq!(self.body["status"], status);
    }
}
