//! The middleware every service runs: request ids, trace context, access log, metrics, panics
//! turned into problem+json, and a body size limit.

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use boxoffice_telemetry::trace_context;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tracing::Instrument;

use crate::problem::{Problem, ProblemCode};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Largest request body a service accepts unless a route says otherwise: JSON APIs have no
/// business receiving more, and a bound stops memory exhaustion by large uploads.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Wraps a service's complete router (API and health routes) in the standard middleware.
pub fn with_standard_layers(service: &'static str, router: Router) -> Router {
    // Install the recorder now: metrics recorded before it exists are dropped.
    boxoffice_telemetry::metrics_recorder::prometheus();
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    router
        .layer(middleware::from_fn_with_state(service, observe))
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            Problem::new(ProblemCode::Internal, "Internal server error").into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Wraps a gRPC router (tonic routes as an axum router) in a server span per call that
/// continues the caller's trace from the call's metadata.
pub fn with_grpc_span(service: &'static str, router: Router) -> Router {
    router.layer(middleware::from_fn_with_state(service, grpc_call))
}

async fn grpc_call(
    axum::extract::State(service): axum::extract::State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    // The path is `/package.Service/Method`, the name OpenTelemetry gives an RPC span.
    let method = request.uri().path().trim_start_matches('/').to_owned();
    let span = tracing::info_span!(
        "grpc",
        otel.name = %method,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.method = %method,
        service,
        trace_id = tracing::field::Empty,
    );
    trace_context::continue_remote(&span, |name| header_text(&request, name));
    next.run(request).instrument(span).await
}

/// One span per request carrying the request id and trace id, so every log line of the request
/// has them; one access-log line and the request metrics when it completes.
async fn observe(
    axum::extract::State(service): axum::extract::State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = header_text(&request, REQUEST_ID_HEADER);
    let method = request.method().to_string();
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        service,
        method = %method,
        route = %route,
        http.response.status_code = tracing::field::Empty,
        request_id = request_id.as_deref().unwrap_or(""),
        trace_id = tracing::field::Empty,
    );
    trace_context::continue_remote(&span, |name| header_text(&request, name));
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);

    let is_probe = matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics");
    span.in_scope(|| {
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        if is_probe {
            tracing::debug!(status, duration_ms, "served");
        } else {
            tracing::info!(status, duration_ms, "served");
        }
    });
    let labels = [
        ("service", service.to_owned()),
        ("method", method),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("boxoffice_http_requests_total", &labels).increment(1);
    metrics::histogram!("boxoffice_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
    response
}

fn header_text(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
