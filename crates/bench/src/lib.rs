//! Benchmarks for boxoffice services. Each scenario is a library function the `boxoffice bench`
//! command calls; results come back as data, with a Markdown rendering for docs/BENCHMARKS.md.

pub mod holds;
pub mod pgbench;
mod stats;

pub use stats::Latency;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("store: {0}")]
    Store(#[from] boxoffice_store::StoreError),
    #[error("seeding the catalog: {0}")]
    Seed(#[from] boxoffice_cinema::store::StoreError),
    #[error("starting the cinema service: {0}")]
    Start(#[from] boxoffice_cinema::StartError),
    #[error("gRPC connection: {0}")]
    Connect(#[from] tonic::transport::Error),
    #[error("unexpected gRPC answer: {0}")]
    Grpc(#[from] tonic::Status),
    #[error("pgbench: {0}")]
    Pgbench(String),
    #[error("measuring: {0}")]
    Measure(String),
}
