//! HTTP plumbing shared by every service, so that all of them answer errors, health checks,
//! metrics, request ids, credentials, connection limits and shutdown the same way.

mod connection;
pub mod credential;
pub mod health;
pub mod json;
pub mod layers;
pub mod problem;
pub mod serve;
pub mod server_settings;

pub use credential::{CredentialError, ServiceCredential, TokenSetting, require_credential};
pub use health::{MetricsAccess, Readiness, health_router, health_router_with};
pub use json::ApiJson;
pub use layers::{DEFAULT_BODY_LIMIT, REQUEST_ID_HEADER, with_standard_layers};
pub use problem::{PROBLEM_JSON, Problem, ProblemCode, ProblemDocument};
pub use serve::{serve, shutdown_signal};
pub use server_settings::ServerSettings;
pub use tokio_util::sync::CancellationToken;
