//! W3C Trace Context propagation through OpenTelemetry.
//!
//! Spans are `tracing` spans; the OpenTelemetry layer installed by [`crate::init`] gives each
//! one a span id in the trace of its parent. Across a process boundary (HTTP, gRPC, AMQP, an
//! outbox row) the context travels as `traceparent`/`tracestate`, written and read here with
//! the standard [`TraceContextPropagator`], so any OpenTelemetry-instrumented peer understands it.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header that carries the trace context, lower-cased as HTTP/2 and gRPC want it.
pub const TRACEPARENT: &str = "traceparent";
/// Vendor data that travels with it; forwarded untouched.
pub const TRACESTATE: &str = "tracestate";

/// The propagation headers of the current span, for an outbound call or message: empty when
/// there is no span with a trace (no OpenTelemetry layer installed, or outside every span).
pub fn outbound() -> Vec<(&'static str, String)> {
    headers_of(&tracing::Span::current())
}

/// The `traceparent` of the current span, if it has one.
pub fn outbound_traceparent() -> Option<String> {
    outbound()
        .into_iter()
        .find_map(|(name, value)| (name == TRACEPARENT).then_some(value))
}

/// The propagation headers that make a receiver's span a child of `span`.
pub fn headers_of(span: &tracing::Span) -> Vec<(&'static str, String)> {
    let mut carrier = Carrier::default();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.0
}

/// Makes `span` (not yet entered) a child of the remote context that `header` finds, and records
/// its trace id in the span's `trace_id` field (when it declares one) so log lines carry it.
/// A missing or malformed context leaves `span` the root of a new trace, as the specification
/// asks.
pub fn continue_remote<F>(span: &tracing::Span, header: F)
where
    F: Fn(&str) -> Option<String>,
{
    let remote = TraceContextPropagator::new().extract(&Found::from(header));
    if remote.span().span_context().is_valid() {
        // Fails only without the OpenTelemetry layer, when there is no trace to continue anyway.
        let _ = span.set_parent(remote);
    }
    record_trace_id(span);
}

/// Continues the context stored as a `traceparent` value (an outbox row, an in-process message).
pub fn continue_traceparent(span: &tracing::Span, traceparent: Option<&str>) {
    continue_remote(span, |name| {
        (name == TRACEPARENT)
            .then_some(traceparent)
            .flatten()
            .map(str::to_owned)
    });
}

/// Writes the trace id of `span` into its `trace_id` field, for spans that start a unit of work
/// in this process; children inherit it in the log lines through the span list.
pub fn record_trace_id(span: &tracing::Span) {
    if let Some(id) = trace_id_of(span) {
        span.record("trace_id", id.as_str());
    }
}

/// The trace id of `span` in lower-case hex, if it belongs to a trace.
pub fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The trace id of the current span, if any.
pub fn current_trace_id() -> Option<String> {
    trace_id_of(&tracing::Span::current())
}

#[derive(Default)]
struct Carrier(Vec<(&'static str, String)>);

impl Injector for Carrier {
    fn set(&mut self, key: &str, value: String) {
        // The propagator only writes the two W3C names; anything else would be a new field.
        let name = match key {
            TRACEPARENT => TRACEPARENT,
            TRACESTATE => TRACESTATE,
            _ => return,
        };
        self.0.push((name, value));
    }
}

/// The two W3C headers read once from the caller's carrier, so the propagator can borrow them.
struct Found(HashMap<&'static str, String>);

impl Found {
    fn from<F: Fn(&str) -> Option<String>>(header: F) -> Self {
        Self(
            [TRACEPARENT, TRACESTATE]
                .into_iter()
                .filter_map(|name| header(name).map(|value| (name, value)))
                .collect(),
        )
    }
}

impl Extractor for Found {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn with_layer(test: impl FnOnce()) {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, test);
    }

    #[test]
    fn a_valid_context_is_continued_by_a_child_span() {
        with_layer(|| {
            let span = tracing::info_span!("request");
            continue_traceparent(&span, Some(EXAMPLE));
            assert_eq!(
                trace_id_of(&span).as_deref(),
                Some("4bf92f3577b34da6a3ce929d0e0e4736")
            );
            let sent = span.in_scope(outbound_traceparent).expect("a traceparent");
            assert!(
                sent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
                "{sent}"
            );
            assert_ne!(
                sent, EXAMPLE,
                "the receiver's parent is this span, not the caller"
            );
        });
    }

    #[test]
    fn a_malformed_context_starts_a_new_trace() {
        with_layer(|| {
            for bad in [
                "",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
            ] {
                let span = tracing::info_span!("request");
                continue_traceparent(&span, Some(bad));
                let id = trace_id_of(&span).expect("a new trace");
                assert_ne!(id, "4bf92f3577b34da6a3ce929d0e0e4736", "{bad}");
            }
        });
    }

    #[test]
    fn outside_every_span_nothing_is_sent() {
        with_layer(|| assert!(outbound().is_empty()));
    }
}
