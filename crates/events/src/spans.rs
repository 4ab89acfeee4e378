//! The spans of event traffic, named as OpenTelemetry's messaging conventions name them.

use boxoffice_outbox::EventEnvelope;

/// The producer span of one publish; the message carries its context.
pub(crate) fn publish_span(event: &EventEnvelope) -> tracing::Span {
    tracing::info_span!(
        "publish",
        otel.name = %format!("publish {}", event.event_type),
        otel.kind = "producer",
        messaging.system = "rabbitmq",
        event_id = %event.id,
        event_type = %event.event_type,
    )
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
