//! Starts the users service on port 0 against a fresh database of either engine.
#![allow(dead_code)]

use std::net::SocketAddr;

use boxoffice_http::CancellationToken;
use boxoffice_store::{Database, PoolSettings, testing};
use boxoffice_users::{Settings, start};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub database: Database,
    pub settings: Settings,
    shutdown: CancellationToken,
    _key_dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn database(engine: Engine) -> Database {
    let url = match engine {
        Engine::Postgres => testing::fresh_postgres_url()
            .await
            .expect("create test database"),
        Engine::Sqlite => testing::fresh_sqlite_url(),
    };
    Database::connect(&url, &boxoffice_users::MIGRATIONS, PoolSettings::default())
        .await
        .expect("connect and migrate")
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

pub async fn spawn_app_with(engine: Engine, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let key_dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        key_dir: key_dir.path().to_owned(),
        ..Settings::default()
    };
    adjust(&mut settings);
    let database = database(engine).await;
    let shutdown = CancellationToken::new();
    let running = start(settings.clone(), database.clone(), shutdown.clone())
        .await
        .expect("start");
    TestApp {
        addr: running.http_addr,
        client: reqwest::Client::new(),
        database,
        settings,
        shutdown,
        _key_dir: key_dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn register(&self, email: &str, password: &str, name: &str) -> reqwest::Response {
        self.post(
            "/api/v1/auth/register",
            json!({"email": email, "password": password, "name": name}),
        )
        .await
    }

    pub async fn me(&self, token: &str) -> reqwest::Response {
        self.client
            .get(self.url("/api/v1/users/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn user_count(&self) -> i64 {
        match &self.database {
            Database::Postgres(pool) => {
                sqlx::query_scalar("SELECT count(*) FROM users")
                    .fetch_one(pool)
                    .await
            }
            Database::Sqlite(pool) => {
                sqlx::query_scalar("SELECT count(*) FROM users")
                    .fetch_one(pool)
                    .await
            }
        }
        .expect("count users")
    }

    pub async fn outbox_types(&self) -> Vec<String> {
        match &self.database {
            Database::Postgres(pool) => {
                sqlx::query_scalar("SELECT event_type FROM outbox ORDER BY occurred_at")
                    .fetch_all(pool)
                    .await
            }
            Database::Sqlite(pool) => {
                sqlx::query_scalar("SELECT event_type FROM outbox ORDER BY occurred_at")
                    .fetch_all(pool)
                    .await
            }
        }
        .expect("read outbox")
    }
}

pub const GOOD_PASSWORD: &str = "correct horse battery staple";

pub async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}
