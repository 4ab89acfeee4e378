//! The RabbitMQ consumer: manual acks, bounded prefetch, retry queues, a dead-letter queue, and
//! a supervisor that reconnects with backoff whenever the connection or channel breaks.

use std::sync::Arc;
use std::time::Duration;

use boxoffice_outbox::EventEnvelope;
use boxoffice_telemetry::trace_context;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::headers::{self, ATTEMPT_HEADER, DEATH_REASON_HEADER, LAST_ERROR_HEADER};
use super::{EXCHANGE, RabbitBus, connect, declare_exchange};
use crate::bus::{
    BusError, Disposition, EventHandler, Subscription, disposition, sleep_or_shutdown,
};

/// Reconnect backoff: starts fast so a broker restart costs little, capped so a long outage
/// does not turn into a busy loop.
const RECONNECT_MIN: Duration = Duration::from_millis(200);
const RECONNECT_MAX: Duration = Duration::from_secs(10);

/// Runs the subscription until `shutdown`, reconnecting after every failure.
pub(crate) async fn run(
    bus: RabbitBus,
    subscription: Subscription,
    handler: Arc<dyn EventHandler>,
    shutdown: CancellationToken,
) {
    subscription.register_metrics();
    let mut failures: u32 = 0;
    while !shutdown.is_cancelled() {
        match session(&bus, &subscription, &handler, &shutdown, &mut failures).await {
            Ok(()) => break,
            Err(error) => {
                failures = failures.saturating_add(1);
                let delay = RECONNECT_MIN
                    .saturating_mul(2u32.saturating_pow(failures.min(16) - 1))
                    .min(RECONNECT_MAX);
                tracing::warn!(queue = %subscription.queue, %error, retry_in_ms = delay.as_millis() as u64,
                    "event consumer lost its connection; reconnecting");
                metrics::counter!("boxoffice_events_consumer_reconnects_total", "queue" => subscription.queue.clone())
                    .increment(1);
                if !sleep_or_shutdown(delay, &shutdown).await {
                    break;
                }
            }
        }
    }
    tracing::info!(queue = %subscription.queue, "event consumer stopped");
}

/// One connection's life: returns `Ok` on shutdown, `Err` when the connection broke.
async fn session(
    bus: &RabbitBus,
    subscription: &Subscription,
    handler: &Arc<dyn EventHandler>,
    shutdown: &CancellationToken,
    failures: &mut u32,
) -> Result<(), BusError> {
    let connection = connect(bus.url()).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(subscription.prefetch, BasicQosOptions::default())
        .await?;
    // Confirms on the consuming channel: a message is acknowledged only after its retry or
    // dead-letter copy is confirmed, so a failure between the two duplicates, never loses.
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    declare_topology(&channel, subscription).await?;
    let tag = format!("{}-{}", subscription.queue, uuid::Uuid::now_v7().simple());
    let mut deliveries = channel
        .basic_consume(
            subscription.queue.as_str().into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    *failures = 0;
    tracing::info!(queue = %subscription.queue, "event consumer connected");

    let mut in_flight = JoinSet::new();
    let result = loop {
        tokio::select! {
            () = shutdown.cancelled() => break Ok(()),
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            next = deliveries.next() => match next {
                Some(Ok(delivery)) => {
                    in_flight.spawn(process(delivery, channel.clone(), subscription.clone(), handler.clone()));
                }
                Some(Err(error)) => break Err(BusError::from(error)),
                None => break Err(BusError::NotConfirmed("the broker cancelled the consumer".into())),
            },
        }
    };
    if result.is_ok() {
        // Stop new deliveries first, then let the in-flight ones finish and be acknowledged.
        let _ = channel
            .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
            .await;
    }
    // Also after a broken connection: handlers that are mid-way finish their effect (their ack
    // will fail and the broker redelivers, which the idempotent handler absorbs) rather than
    // being cut between sending and recording.
    drain(&mut in_flight, subscription.drain_timeout).await;
    let _ = channel.close(200, "bye".into()).await;
    let _ = connection.close(200, "bye".into()).await;
    result
}

async fn drain(in_flight: &mut JoinSet<()>, timeout: Duration) {
    let all_done = async { while in_flight.join_next().await.is_some() {} };
    if tokio::time::timeout(timeout, all_done).await.is_err() {
        tracing::warn!(
            left = in_flight.len(),
            "in-flight events cut off after the drain timeout"
        );
        in_flight.abort_all();
    }
}

pub(crate) fn retry_queue(subscription: &Subscription, delay: Duration) -> String {
    format!("{}.retry.{}ms", subscription.queue, delay.as_millis())
}

pub(crate) async fn declare_topology(
    channel: &Channel,
    subscription: &Subscription,
) -> Result<(), BusError> {
    declare_exchange(channel).await?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let queue = subscription.queue.as_str();
    channel
        .queue_declare(queue.into(), durable, FieldTable::default())
        .await?;
    for event_type in &subscription.event_types {
        channel
            .queue_bind(
                queue.into(),
                EXCHANGE.into(),
                event_type.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    channel
        .queue_declare(
            subscription.dead_letter_queue().as_str().into(),
            durable,
            FieldTable::default(),
        )
        .await?;
    let mut delays: Vec<Duration> = (1..subscription.retry.max_attempts.max(2))
        .map(|attempt| subscription.retry.delay_after(attempt))
        .collect();
    delays.dedup();
    for delay in delays {
        let mut arguments = FieldTable::default();
        let ttl = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        arguments.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl));
        arguments.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(LongString::from(Vec::new())),
        );
        headers::set_string(&mut arguments, "x-dead-letter-routing-key", queue);
        channel
            .queue_declare(
                retry_queue(subscription, delay).as_str().into(),
                durable,
                arguments,
            )
            .await?;
    }
    Ok(())
}

/// Handles one delivery and settles it; never acknowledges before the outcome is durable.
async fn process(
    delivery: Delivery,
    channel: Channel,
    subscription: Subscription,
    handler: Arc<dyn EventHandler>,
) {
    let queue = subscription.queue.clone();
    metrics::counter!("boxoffice_events_consumed_total", "queue" => queue.clone()).increment(1);
    let headers = delivery.properties.headers().as_ref();
    let attempt = headers::get_u32(headers, ATTEMPT_HEADER)
        .unwrap_or(1)
        .max(1);
    let (decision, last_error) = match serde_json::from_slice::<EventEnvelope>(&delivery.data) {
        Err(e) => (
            Disposition::DeadLetter {
                reason: format!("malformed message: {e}"),
            },
            None,
        ),
        Ok(event) => {
            let span = crate::consume_span(&queue, &event, attempt);
            trace_context::continue_remote(&span, |name| headers::get_string(headers, name));
            let outcome = handler.handle(&event).instrument(span).await;
            let last_error = outcome.as_ref().err().map(ToString::to_string);
            (
                disposition(outcome, attempt, &subscription.retry),
                last_error,
            )
        }
    };
    if let Err(error) = settle(
        &delivery,
        &channel,
        &subscription,
        decision,
        attempt,
        last_error,
    )
    .await
    {
        // Not acknowledged: the broker redelivers it after the reconnect.
        tracing::warn!(queue = %queue, %error, "could not settle an event; it will be redelivered");
    }
}

async fn settle(
    delivery: &Delivery,
    channel: &Channel,
    subscription: &Subscription,
    decision: Disposition,
    attempt: u32,
    last_error: Option<String>,
) -> Result<(), BusError> {
    let queue = subscription.queue.clone();
    match decision {
        Disposition::Ack => {}
        Disposition::Retry {
            attempt: next,
            delay,
        } => {
            let mut headers = copy_headers(delivery);
            headers::set_u32(&mut headers, ATTEMPT_HEADER, next);
            if let Some(error) = &last_error {
                headers::set_string(&mut headers, LAST_ERROR_HEADER, error);
            }
            republish(
                channel,
                &retry_queue(subscription, delay),
                delivery,
                headers,
            )
            .await?;
            metrics::counter!("boxoffice_events_retried_total", "queue" => queue).increment(1);
        }
        Disposition::DeadLetter { reason } => {
            tracing::error!(queue = %queue, %reason, attempt, "event dead-lettered");
            let mut headers = copy_headers(delivery);
            headers::set_string(&mut headers, DEATH_REASON_HEADER, &reason);
            headers::set_u32(&mut headers, ATTEMPT_HEADER, attempt);
            headers::set_string(
                &mut headers,
                "x-original-routing-key",
                delivery.routing_key.as_str(),
            );
            republish(
                channel,
                &subscription.dead_letter_queue(),
                delivery,
                headers,
            )
            .await?;
            metrics::counter!("boxoffice_events_dead_lettered_total", "queue" => queue)
                .increment(1);
        }
    }
    delivery.acker.ack(BasicAckOptions::default()).await?;
    Ok(())
}

fn copy_headers(delivery: &Delivery) -> FieldTable {
    delivery.properties.headers().clone().unwrap_or_default()
}

/// Publishes a copy of the delivery straight to `queue` (through the default exchange) and
/// waits for the broker's confirm.
async fn republish(
    channel: &Channel,
    queue: &str,
    delivery: &Delivery,
    headers: FieldTable,
) -> Result<(), BusError> {
    let properties: BasicProperties = delivery
        .properties
        .clone()
        .with_delivery_mode(2)
        .with_headers(headers);
    let confirm = channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions::default(),
            &delivery.data,
            properties,
        )
        .await?
        .await?;
    if confirm.is_ack() {
        Ok(())
    } else {
        Err(BusError::NotConfirmed(format!(
            "copy to {queue} was nacked"
        )))
    }
}
