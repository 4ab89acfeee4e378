//! The event handler: turns an event into notifications and sends each one exactly once.
//!
//! Per (event, channel): 1. claim in Redis (`SET NX` + expiry) — duplicates stop here;
//! 2. take the row in the notification log (unique key + lease) — the guarantee, which holds
//! with Redis down; 3. send; 4. mark the row sent, then the claim done; the bus acknowledges
//! the message after all channels are done. See docs/adr/0301-notifications-exactly-once.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_events::payloads::{
    BookingCancelled, BookingConfirmed, BookingExpired, BookingRefunded, EventPayload,
    UserRegistered,
};
use boxoffice_events::{EventEnvelope, EventHandler, HandleError};
use uuid::Uuid;

use crate::email::{EmailError, EmailSender, compose};
use crate::idempotency::{Claim, IdempotencyStore};
use crate::sms::{SmsError, SmsMessage, SmsSender};
use crate::store::{Begin, NewEntry, NotificationLog};
use crate::templates::{self, Closure, RenderedEmail};

/// The event types this service notifies about.
pub const HANDLED_EVENTS: [&str; 5] = [
    boxoffice_events::payloads::USER_REGISTERED,
    boxoffice_events::payloads::BOOKING_CONFIRMED,
    boxoffice_events::payloads::BOOKING_CANCELLED,
    boxoffice_events::payloads::BOOKING_EXPIRED,
    boxoffice_events::payloads::BOOKING_REFUNDED,
];

/// How many times recording a successful send is tried at once before giving up: every failed
/// try widens the one window where a message could go out twice.
const MARK_SENT_TRIES: u32 = 5;

/// One notification to send.
enum Outgoing {
    Email {
        name: String,
        address: String,
        rendered: RenderedEmail,
    },
    Sms {
        phone: String,
        text: String,
    },
}

impl Outgoing {
    fn channel(&self) -> &'static str {
        match self {
            Self::Email { .. } => "email",
            Self::Sms { .. } => "sms",
        }
    }

    fn recipient(&self) -> &str {
        match self {
            Self::Email { address, .. } => address,
            Self::Sms { phone, .. } => phone,
        }
    }
}

pub struct Notifier {
    pub(crate) log: NotificationLog,
    pub(crate) idempotency: Option<Arc<dyn IdempotencyStore>>,
    pub(crate) email: Arc<dyn EmailSender>,
    pub(crate) sms: Arc<dyn SmsSender>,
    pub(crate) from: String,
    /// How long a worker owns a notification it is sending (Redis claim and log lease).
    pub(crate) claim_ttl: Duration,
    /// How long Redis remembers a sent notification, to stop duplicates before the database.
    pub(crate) done_ttl: Duration,
    pub(crate) in_flight: Arc<AtomicI64>,
}

fn permanent(e: impl std::fmt::Display) -> HandleError {
    HandleError::Permanent(e.to_string())
}

fn count(name: &'static str, channel: &'static str) {
    metrics::counter!(name, "service" => "notifications", "channel" => channel).increment(1);
}

#[async_trait]
impl EventHandler for Notifier {
    async fn handle(&self, event: &EventEnvelope) -> Result<(), HandleError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let result = self.handle_event(event).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

/// What an event calls for: its notifications, and the booking they are about (logged with
/// each, for the back office's look-up).
struct Plan {
    booking_id: Option<Uuid>,
    outgoing: Vec<Outgoing>,
}

impl Notifier {
    async fn handle_event(&self, event: &EventEnvelope) -> Result<(), HandleError> {
        let plan = plan(event)?;
        for outgoing in plan.outgoing {
            self.deliver(event, plan.booking_id, outgoing).await?;
        }
        Ok(())
    }

    async fn deliver(
        &self,
        event: &EventEnvelope,
        booking_id: Option<Uuid>,
        outgoing: Outgoing,
    ) -> Result<(), HandleError> {
        let channel = outgoing.channel();
        let key = format!("notification:{}:{channel}", event.id);
        let token = Uuid::now_v7().to_string();
        let mut claimed = false;
        if let Some(store) = &self.idempotency {
            match store.claim(&key, &token, self.claim_ttl).await {
                Ok(Claim::Done) => {
                    count("boxoffice_notifications_duplicates_skipped_total", channel);
                    return Ok(());
                }
                Ok(Claim::HeldByOther) => {
                    return if self
                        .log
                        .is_sent(event.id, channel)
                        .await
                        .map_err(transient)?
                    {
                        count("boxoffice_notifications_duplicates_skipped_total", channel);
                        Ok(())
                    } else {
                        Err(HandleError::Busy(format!(
                            "{key} is claimed by another worker"
                        )))
                    };
                }
                Ok(Claim::Acquired) => claimed = true,
                Err(error) => {
                    // The log still guarantees exactly once; only slower.
                    tracing::warn!(%error, "idempotency store unavailable; relying on the notification log");
                    count(
                        "boxoffice_notifications_idempotency_unavailable_total",
                        channel,
                    );
                }
            }
        }
        let result = self.deliver_logged(event, booking_id, &outgoing).await;
        if let Some(store) = &self.idempotency {
            let settled = match &result {
                Ok(_) => store.complete(&key, self.done_ttl).await,
                Err(_) if claimed => store.release(&key, &token).await,
                Err(_) => Ok(()),
            };
            if let Err(error) = settled {
                tracing::debug!(%error, "could not update the idempotency claim; it expires on its own");
            }
        }
        result.map(|_| ())
    }

    /// Steps 2 to 4, under the log's lease.
    async fn deliver_logged(
        &self,
        event: &EventEnvelope,
        booking_id: Option<Uuid>,
        outgoing: &Outgoing,
    ) -> Result<(), HandleError> {
        let channel = outgoing.channel();
        let message_id = format!("<{}.{channel}@boxoffice>", event.id);
        let entry = NewEntry {
            event_id: event.id,
            channel,
            event_type: event.event_type.clone(),
            recipient: outgoing.recipient().to_owned(),
            message_id: message_id.clone(),
            booking_id,
        };
        match self
            .log
            .begin(&entry, self.claim_ttl)
            .await
            .map_err(transient)?
        {
            Begin::AlreadySent => {
                count("boxoffice_notifications_duplicates_skipped_total", channel);
                return Ok(());
            }
            Begin::InProgress => {
                return Err(HandleError::Busy(format!(
                    "{message_id} is being sent by another worker"
                )));
            }
            Begin::Acquired { attempt } if attempt > 1 => {
                tracing::warn!(%message_id, attempt, "resending a notification whose earlier attempt ended without a record");
            }
            Begin::Acquired { .. } => {}
        }
        if let Err(failure) = self.send(event, outgoing, &message_id).await {
            if let Err(error) = self.log.release(event.id, channel).await {
                tracing::warn!(%error, "could not release the notification lease; it expires on its own");
            }
            return Err(failure);
        }
        self.record_sent(event, channel).await?;
        count("boxoffice_notifications_sent_total", channel);
        Ok(())
    }

    async fn send(
        &self,
        event: &EventEnvelope,
        outgoing: &Outgoing,
        message_id: &str,
    ) -> Result<(), HandleError> {
        match outgoing {
            Outgoing::Email {
                name,
                address,
                rendered,
            } => {
                let email = compose(&self.from, name, address, message_id.to_owned(), rendered)
                    .map_err(|e| permanent(&e))?;
                self.email.send(&email).await.map_err(|e| match e {
                    EmailError::Transient(_) => HandleError::Transient(e.to_string()),
                    EmailError::Rejected(_) => HandleError::Permanent(e.to_string()),
                })
            }
            Outgoing::Sms { phone, text } => {
                let message = SmsMessage {
                    id: format!("{}.sms", event.id),
                    to: phone.clone(),
                    text: text.clone(),
                };
                self.sms.send(&message).await.map_err(|e| match e {
                    SmsError::Transient(_) => HandleError::Transient(e.to_string()),
                    SmsError::Rejected(_) => HandleError::Permanent(e.to_string()),
                })
            }
        }
    }

    /// Records the send at once, retrying briefly: until this commits, a crash would resend.
    async fn record_sent(
        &self,
        event: &EventEnvelope,
        channel: &'static str,
    ) -> Result<(), HandleError> {
        let mut delay = Duration::from_millis(50);
        let mut tries = 0;
        loop {
            tries += 1;
            match self.log.mark_sent(event.id, channel).await {
                Ok(()) => return Ok(()),
                Err(error) if tries >= MARK_SENT_TRIES => {
                    tracing::error!(%error, event_id = %event.id, channel,
                        "sent but could not record it; a redelivery after the lease may send it again");
                    return Err(transient(error));
                }
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
    }
}

fn transient(e: impl std::fmt::Display) -> HandleError {
    HandleError::Transient(e.to_string())
}

/// The notifications an event calls for; none for an event type this service ignores.
fn plan(event: &EventEnvelope) -> Result<Plan, HandleError> {
    use boxoffice_events::payloads as p;
    let email = |name: &str, address: &str, rendered| Outgoing::Email {
        name: name.to_owned(),
        address: address.to_owned(),
        rendered,
    };
    let about = |booking_id: Uuid, outgoing| Plan {
        booking_id: Some(booking_id),
        outgoing,
    };
    Ok(match event.event_type.as_str() {
        p::USER_REGISTERED => {
            let user = UserRegistered::from_envelope(event).map_err(permanent)?;
            Plan {
                booking_id: None,
                outgoing: vec![email(&user.name, &user.email, templates::welcome(&user))],
            }
        }
        p::BOOKING_CONFIRMED => {
            let booking = BookingConfirmed::from_envelope(event).map_err(permanent)?;
            let rendered =
                templates::booking_confirmed(&booking, event.occurred_at).map_err(permanent)?;
            let mut plan = vec![email(
                &booking.recipient.name,
                &booking.recipient.email,
                rendered,
            )];
            if let Some(phone) = &booking.recipient.phone {
                plan.push(Outgoing::Sms {
                    phone: phone.clone(),
                    text: templates::booking_confirmed_sms(&booking),
                });
            }
            about(booking.booking_id, plan)
        }
        p::BOOKING_CANCELLED | p::BOOKING_EXPIRED | p::BOOKING_REFUNDED => {
            let (booking, closure) = match event.event_type.as_str() {
                p::BOOKING_CANCELLED => (
                    BookingCancelled::from_envelope(event).map_err(permanent)?.0,
                    Closure::Cancelled,
                ),
                p::BOOKING_EXPIRED => (
                    BookingExpired::from_envelope(event).map_err(permanent)?.0,
                    Closure::Expired,
                ),
                _ => (
                    BookingRefunded::from_envelope(event).map_err(permanent)?.0,
                    Closure::Refunded,
                ),
            };
            let rendered = templates::booking_closed(&booking, closure);
            about(
                booking.booking_id,
                vec![email(
                    &booking.recipient.name,
                    &booking.recipient.email,
                    rendered,
                )],
            )
        }
        _ => Plan {
            booking_id: None,
            outgoing: Vec::new(),
        },
    })
}
