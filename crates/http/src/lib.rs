//! HTTP plumbing shared by every service, so that all of them answer errors, health checks,
//! metrics, request ids and shutdown the same way.

pub mod health;
pub mod json;
pub mod layers;
pub mod problem;
pub mod serve;

pub use health::{Readiness, health_router};
pub use json::ApiJson;
pub use layers::{DEFAULT_BODY_LIMIT, REQUEST_ID_HEADER, with_standard_layers};
pub use problem::{Problem, ProblemCode};
pub use serve::{serve, shutdown_signal};
pub use tokio_util::sync::CancellationToken;
