//! The OpenTelemetry tracer provider behind the `tracing` spans, and the global subscriber.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::logging::{LogFormat, fmt_layer};

/// How long shutdown waits for the last spans to reach the collector.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("building the OTLP exporter for {endpoint}: {source}")]
    Exporter {
        endpoint: String,
        source: opentelemetry_otlp::ExporterBuildError,
    },
}

/// What the process exports: `service` names it (`gateway`, `booking`, … or `boxoffice` for
/// the all-in-one process), `otlp_endpoint` is the collector's gRPC address
/// (`http://collector:4317`); without one spans still get ids, so logs and propagated contexts
/// carry a trace, but nothing leaves the process.
#[derive(Debug, Clone)]
pub struct TelemetrySettings<'a> {
    pub service: &'a str,
    pub otlp_endpoint: Option<&'a str>,
    pub log_format: LogFormat,
    pub default_filter: &'a str,
}

/// Keeps the tracer provider; [`Telemetry::shutdown`] flushes what is still buffered.
#[must_use = "dropping it without shutdown loses the last spans"]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Exports the spans still in the batch; call once when the process stops.
    pub async fn shutdown(self) {
        let provider = self.provider;
        // The batch processor blocks its caller until the export finishes, and that export
        // runs on this runtime: wait off the runtime's worker threads.
        let flushed =
            tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(FLUSH_TIMEOUT))
                .await;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "flushing traces"),
            Err(error) => tracing::warn!(%error, "flushing traces"),
        }
    }
}

/// Installs the global subscriber (logs plus OpenTelemetry spans) once. Must run inside the
/// Tokio runtime: the OTLP client lives on it. A second call (tests, an embedded instance)
/// keeps the first subscriber; the provider it returns then only flushes its own spans.
pub fn init(settings: &TelemetrySettings<'_>) -> Result<Telemetry, TelemetryError> {
    let provider = provider(settings)?;
    let tracer = provider.tracer("boxoffice");
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.default_filter));
    // Ignoring the error is deliberate: it only says a subscriber is already installed.
    // Each layer filters on its own: a quiet log level must not remove the request and
    // message spans from the traces, nor their context from the propagation.
    let _ = tracing_subscriber::registry()
        .with(fmt_layer(settings.log_format).with_filter(filter))
        .with(span_layer(tracer))
        .try_init();
    Ok(Telemetry { provider })
}

/// For tests in any crate: spans get trace ids and contexts propagate, nothing is exported, only
/// warnings are logged. Idempotent.
pub fn init_for_tests() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let provider = provider(&TelemetrySettings {
            service: "test",
            otlp_endpoint: None,
            log_format: LogFormat::Pretty,
            default_filter: "warn",
        });
        if let Ok(provider) = provider {
            let _ = tracing_subscriber::registry()
                .with(fmt_layer(LogFormat::Pretty).with_filter(EnvFilter::new("warn")))
                .with(span_layer(provider.tracer("test")))
                .try_init();
            // Spans of a test binary are never exported: nothing to flush, keep it forever.
            std::mem::forget(provider);
        }
    });
}

/// The OpenTelemetry layer: spans of level info and above (debug spans would flood a trace).
fn span_layer<S>(tracer: opentelemetry_sdk::trace::SdkTracer) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(LevelFilter::INFO)
}

fn provider(settings: &TelemetrySettings<'_>) -> Result<SdkTracerProvider, TelemetryError> {
    let resource = Resource::builder()
        .with_service_name(settings.service.to_owned())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let builder = SdkTracerProvider::builder().with_resource(resource);
    let Some(endpoint) = settings.otlp_endpoint.filter(|e| !e.trim().is_empty()) else {
        return Ok(builder.build());
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|source| TelemetryError::Exporter {
            endpoint: endpoint.to_owned(),
            source,
        })?;
    Ok(builder.with_batch_exporter(exporter).build())
}
