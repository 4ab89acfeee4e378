//! `/healthz` (the process is alive), `/readyz` (its dependencies answer) and `/metrics`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

type CheckFn = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// How long one dependency may take to answer a readiness probe before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The dependencies a service needs to serve requests, each with a cheap probe.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(&'static str, CheckFn)>,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_check<F, Fut>(mut self, name: &'static str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.checks
            .push((name, Arc::new(move || Box::pin(check()))));
        self
    }

    /// Runs every probe concurrently; returns whether all passed and each one's result.
    pub async fn run(&self) -> (bool, Map<String, Value>) {
        let results =
            futures::future::join_all(self.checks.iter().map(|(name, check)| async move {
                let outcome = match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err("timed out".to_owned()),
                };
                (*name, outcome)
            }))
            .await;
        let ready = results.iter().all(|(_, r)| r.is_ok());
        let details = results
            .into_iter()
            .map(|(name, r)| {
                let value = match r {
                    Ok(()) => Value::String("ok".into()),
                    Err(e) => Value::String(format!("down: {e}")),
                };
                (name.to_owned(), value)
            })
            .collect();
        (ready, details)
    }
}

/// The health and metrics routes, merged into every service's router.
pub fn health_router(readiness: Readiness) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(json!({"status": "alive"})) }),
        )
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(readiness)
}

async fn readyz(State(readiness): State<Readiness>) -> impl IntoResponse {
    let (ready, checks) = readiness.run().await;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let label = if ready { "ready" } else { "not_ready" };
    (
        status,
        axum::Json(json!({"status": label, "checks": checks})),
    )
}

async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        boxoffice_telemetry::metrics_recorder::prometheus().render(),
    )
}
