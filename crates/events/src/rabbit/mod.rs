//! The RabbitMQ adapter: a durable topic exchange `boxoffice.events`, routing key = event type,
//! persistent messages with publisher confirms, and per-subscription queues with retry queues
//! and a dead-letter queue.
//!
//! Topology of a subscription `q`:
//! - `q` (durable), bound to the exchange with each event type it handles;
//! - `q.retry.<ms>ms` (durable), one per backoff step: a message waits there for its
//!   `x-message-ttl`, then RabbitMQ dead-letters it back to `q` through the default exchange.
//!   One queue per delay, because a per-message TTL only expires at the head of a queue;
//! - `q.dlq` (durable): messages that will not be retried, with the reason in `x-death-reason`.

mod consumer;
pub mod headers;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_outbox::EventEnvelope;
use boxoffice_telemetry::trace_context;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::bus::{BusError, ConsumerHandle, EventBus, EventHandler, Subscription};

pub use headers::{ATTEMPT_HEADER, DEATH_REASON_HEADER, TRACEPARENT_HEADER};

/// The exchange every event is published to.
pub const EXCHANGE: &str = "boxoffice.events";

/// How long connecting, or waiting for one confirm, may take before it counts as a failure.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(15);

/// The RabbitMQ event bus. Cheap to clone; the publishing connection is opened on first use
/// and reopened after it breaks.
#[derive(Clone)]
pub struct RabbitBus {
    url: Arc<str>,
    publisher: Arc<Mutex<Option<(Connection, Channel)>>>,
}

impl std::fmt::Debug for RabbitBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitBus")
            .field("url", &boxoffice_store::redact(&self.url))
            .finish_non_exhaustive()
    }
}

impl RabbitBus {
    /// A bus for the broker at `url` (`amqp://user:password@host:5672/vhost`). Does not connect
    /// yet, so that a service starts while the broker is down.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: Arc::from(url.into()),
            publisher: Arc::new(Mutex::new(None)),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A confirming channel on the publishing connection, connecting when needed.
    async fn publishing_channel(&self) -> Result<Channel, BusError> {
        let mut slot = self.publisher.lock().await;
        if let Some((connection, channel)) = slot.as_ref()
            && connection.status().connected()
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        *slot = None;
        let connection = connect(&self.url).await?;
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        declare_exchange(&channel).await?;
        *slot = Some((connection, channel.clone()));
        Ok(channel)
    }

    /// Declares a subscription's queues and bindings without consuming. Events published to
    /// the exchange before any queue is bound to them are dropped (topic exchange semantics),
    /// so a deployment that starts producers before their consumers declares the consumers'
    /// queues first with this.
    pub async fn declare_subscription(&self, subscription: &Subscription) -> Result<(), BusError> {
        let connection = connect(&self.url).await?;
        let channel = connection.create_channel().await?;
        let declared = consumer::declare_topology(&channel, subscription).await;
        let _ = connection.close(200, "declared".into()).await;
        declared
    }

    async fn forget_publisher(&self) {
        if let Some((connection, _)) = self.publisher.lock().await.take() {
            let _ = connection.close(200, "reconnecting".into()).await;
        }
    }

    async fn publish_on(&self, channel: &Channel, event: &EventEnvelope) -> Result<(), BusError> {
        let span = crate::publish_span(event);
        self.publish_in(channel, event, &span)
            .instrument(span.clone())
            .await
    }

    async fn publish_in(
        &self,
        channel: &Channel,
        event: &EventEnvelope,
        span: &tracing::Span,
    ) -> Result<(), BusError> {
        let body = serde_json::to_vec(event)?;
        let confirm = channel
            .basic_publish(
                EXCHANGE.into(),
                event.event_type.as_str().into(),
                BasicPublishOptions::default(),
                &body,
                properties_for(event, span),
            )
            .await?;
        let confirmation = tokio::time::timeout(CONFIRM_TIMEOUT, confirm)
            .await
            .map_err(|_| BusError::Timeout("publisher confirm"))??;
        if confirmation.is_ack() {
            Ok(())
        } else {
            Err(BusError::NotConfirmed(format!(
                "event {} was nacked by the broker",
                event.id
            )))
        }
    }
}

/// Persistent, with the event id as message id and the publish span's trace context as
/// `traceparent` (and `tracestate`), so the consumer's span is its child.
fn properties_for(event: &EventEnvelope, span: &tracing::Span) -> BasicProperties {
    let mut headers = FieldTable::default();
    for (name, value) in trace_context::headers_of(span) {
        headers::set_string(&mut headers, name, &value);
    }
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(event.id.to_string().into())
        .with_type(event.event_type.as_str().into())
        .with_timestamp(event.occurred_at.timestamp().max(0) as u64)
        .with_headers(headers)
}

pub(crate) async fn connect(url: &str) -> Result<Connection, BusError> {
    tokio::time::timeout(
        CONNECT_TIMEOUT,
        Connection::connect(url, ConnectionProperties::default()),
    )
    .await
    .map_err(|_| BusError::Timeout("connecting to RabbitMQ"))?
    .map_err(BusError::from)
}

pub(crate) async fn declare_exchange(channel: &Channel) -> Result<(), BusError> {
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

#[async_trait]
impl EventBus for RabbitBus {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.publish_batch(std::slice::from_ref(event)).await
    }

    /// Publishes the whole batch, then waits for all confirms: one round trip per batch.
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        let channel = self.publishing_channel().await?;
        let results =
            futures::future::join_all(events.iter().map(|event| self.publish_on(&channel, event)))
                .await;
        if let Some(error) = results.into_iter().find_map(Result::err) {
            // The channel may be broken (a nack or timeout usually means so): start afresh.
            self.forget_publisher().await;
            return Err(error);
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        subscription: Subscription,
        handler: Arc<dyn EventHandler>,
        shutdown: CancellationToken,
    ) -> Result<ConsumerHandle, BusError> {
        let task = tokio::spawn(consumer::run(self.clone(), subscription, handler, shutdown));
        Ok(ConsumerHandle { task })
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.publishing_channel().await.map(|_| ())
    }

    fn kind(&self) -> &'static str {
        "rabbitmq"
    }
}
