//! The booking service with the real users, cinema and payments services, each started
//! in-process on port 0 against fresh databases, and typed helpers to drive it.
#![allow(dead_code)]

pub mod cluster;
pub mod gql;
pub mod staff;
pub mod ws;

#[allow(unused_imports)]
pub use cluster::*;
#[allow(unused_imports)]
pub use gql::*;
#[allow(unused_imports)]
pub use staff::*;
#[allow(unused_imports)]
pub use ws::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

pub async fn database_url(engine: Engine) -> String {
    match engine {
        Engine::Postgres => boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("create test database"),
        Engine::Sqlite => boxoffice_store::testing::fresh_sqlite_url(),
    }
}

/// Test cards of the simulated processor (README, "API").
pub const CARD_OK: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000002";
