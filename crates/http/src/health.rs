//! `/healthz` (the process is alive), `/readyz` (its dependencies answer) and `/metrics`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use crate::credential::ServiceCredential;
use crate::problem::{Problem, ProblemCode};

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

/// Who may read `/metrics` on a listener.
#[derive(Clone, Debug)]
pub enum MetricsAccess {
    /// Anyone who reaches the port: internal listeners, scraped by Prometheus directly.
    Open,
    /// Only with `Authorization: Bearer <token>` (401 otherwise): a public port.
    Bearer(ServiceCredential),
    /// Not served here (404): a public port without a metrics token.
    Hidden,
}

/// The health and metrics routes of an internal listener (`/metrics` open, see ADR 0105).
pub fn health_router(readiness: Readiness) -> Router {
    health_router_with(readiness, MetricsAccess::Open)
}

/// The health routes, and `/metrics` as `metrics` allows.
pub fn health_router_with(readiness: Readiness, metrics: MetricsAccess) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(json!({"status": "alive"})) }),
        )
        .route("/readyz", get(readyz))
        .with_state(readiness)
        .route("/metrics", get(guarded_metrics).with_state(metrics))
}

async fn guarded_metrics(State(access): State<MetricsAccess>, headers: HeaderMap) -> Response {
    match access {
        MetricsAccess::Open => metrics().await.into_response(),
        MetricsAccess::Bearer(credential) if credential.accepts_headers(&headers) => {
            metrics().await.into_response()
        }
        MetricsAccess::Bearer(_) => {
            let mut response = Problem::unauthenticated()
                .with_detail("/metrics needs the metrics token as a bearer token")
                .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        MetricsAccess::Hidden => Problem::new(ProblemCode::NotFound, "Not found").into_response(),
    }
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
