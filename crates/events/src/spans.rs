//! The spans of event traffic, named as OpenTelemetry's messaging conventions name them.

use boxoffice_outbox::EventEnvelope;
use boxoffice_telemetry::trace_context;

/// The producer span of one publish; the message carries its context. An event from an
/// outbox row continues the trace of the code that wrote the row (the relay runs outside any
/// request), else the publish is a child of the current span.
pub(crate) fn publish_span(event: &EventEnvelope) -> tracing::Span {
    let span = tracing::info_span!(
        "publish",
        otel.name = %format!("publish {}", event.event_type),
        otel.kind = "producer",
        event_id = %event.id,
        event_type = %event.event_type,
        outbox = event.traceparent.is_some(),
        trace_id = tracing::field::Empty,
    );
    if event.traceparent.is_some() {
        trace_context::continue_traceparent(&span, event.traceparent.as_deref());
    } else {
        trace_context::record_trace_id(&span);
    }
    span
}

/// The consumer span of one delivery; the caller makes it a child of the message's context.
pub(crate) fn consume_span(queue: &str, event: &EventEnvelope, attempt: u32) -> tracing::Span {
    tracing::info_span!(
        "event",
        otel.name = %format!("consume {}", event.event_type),
        otel.kind = "consumer",
        queue = %queue,
        event_id = %event.id,
        event_type = %event.event_type,
        attempt,
        trace_id = tracing::field::Empty,
    )
}
