//! The payloads of the events boxoffice publishes, one struct per event type, carried in the
//! `data` field of [`EventEnvelope`]. They are versioned with the envelope's `version`: a field
//! may be added (consumers ignore what they do not know, and optional fields default), any other
//! change is a new version.

use boxoffice_outbox::EventEnvelope;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const USER_REGISTERED: &str = "user.registered";
pub const BOOKING_CONFIRMED: &str = "booking.confirmed";
pub const BOOKING_CANCELLED: &str = "booking.cancelled";
pub const BOOKING_EXPIRED: &str = "booking.expired";
pub const BOOKING_REFUNDED: &str = "booking.refunded";
pub const PAYMENT_CAPTURED: &str = "payment.captured";
pub const PAYMENT_REFUNDED: &str = "payment.refunded";

/// Every event type, e.g. for a consumer that wants them all.
pub const ALL_EVENT_TYPES: [&str; 7] = [
    USER_REGISTERED,
    BOOKING_CONFIRMED,
    BOOKING_CANCELLED,
    BOOKING_EXPIRED,
    BOOKING_REFUNDED,
    PAYMENT_CAPTURED,
    PAYMENT_REFUNDED,
];

/// An event payload: knows its type name, so that it can be wrapped in an envelope.
pub trait EventPayload: Serialize + DeserializeOwned {
    const TYPE: &'static str;

    /// Wraps the payload in a new envelope (fresh UUIDv7 id, version 1, now).
    fn to_envelope(&self) -> Result<EventEnvelope, serde_json::Error> {
        EventEnvelope::new(Self::TYPE, self)
    }

    /// Reads the payload out of an envelope of this type.
    fn from_envelope(envelope: &EventEnvelope) -> Result<Self, PayloadError> {
        if envelope.event_type != Self::TYPE {
            return Err(PayloadError::WrongType {
                expected: Self::TYPE,
                found: envelope.event_type.clone(),
            });
        }
        serde_json::from_value(envelope.data.clone()).map_err(PayloadError::Invalid)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("expected a {expected} event, found {found}")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    #[error("invalid event data: {0}")]
    Invalid(serde_json::Error),
}

/// Money in integer minor units of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: i64,
    pub currency: String,
}

/// Who a notification goes to. `phone` is optional: SMS is only sent when it is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl EventPayload for UserRegistered {
    const TYPE: &'static str = USER_REGISTERED;
}

/// The cinema as a notification shows it: the time zone is the IANA name the start is shown in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CinemaInfo {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub code: String,
    pub seat_id: String,
}

/// Everything the confirmation email needs, so that the consumer never calls back a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingConfirmed {
    pub booking_id: Uuid,
    pub user_id: Uuid,
    pub recipient: Recipient,
    pub showtime_id: Uuid,
    pub movie_title: String,
    pub cinema: CinemaInfo,
    pub auditorium: String,
    pub starts_at: DateTime<Utc>,
    pub seats: Vec<String>,
    pub tickets: Vec<Ticket>,
    pub total: Money,
}

impl EventPayload for BookingConfirmed {
    const TYPE: &'static str = BOOKING_CONFIRMED;
}

/// The common shape of `booking.cancelled`, `booking.expired` and `booking.refunded`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingClosed {
    pub booking_id: Uuid,
    pub user_id: Uuid,
    pub recipient: Recipient,
    pub movie_title: String,
    pub cinema: CinemaInfo,
    pub starts_at: DateTime<Utc>,
    pub seats: Vec<String>,
    /// The amount given back; present on `booking.refunded` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Money>,
}

/// `booking.cancelled`: cancelled by the customer while pending (nothing was charged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingCancelled(pub BookingClosed);

impl EventPayload for BookingCancelled {
    const TYPE: &'static str = BOOKING_CANCELLED;
}

/// `booking.expired`: the hold ran out before payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingExpired(pub BookingClosed);

impl EventPayload for BookingExpired {
    const TYPE: &'static str = BOOKING_EXPIRED;
}

/// `booking.refunded`: cancelled after payment, money returned per the refund policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingRefunded(pub BookingClosed);

impl EventPayload for BookingRefunded {
    const TYPE: &'static str = BOOKING_REFUNDED;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCaptured {
    pub payment_id: Uuid,
    pub booking_id: Uuid,
    pub amount: Money,
    pub card_brand: String,
    pub card_last4: String,
}

impl EventPayload for PaymentCaptured {
    const TYPE: &'static str = PAYMENT_CAPTURED;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefunded {
    pub payment_id: Uuid,
    pub refund_id: Uuid,
    pub booking_id: Uuid,
    pub amount: Money,
}

impl EventPayload for PaymentRefunded {
    const TYPE: &'static str = PAYMENT_REFUNDED;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips_through_its_envelope() {
        let event = UserRegistered {
            user_id: Uuid::now_v7(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            phone: None,
        };
        let envelope = event.to_envelope().expect("envelope");
        assert_eq!(envelope.event_type, "user.registered");
        assert_eq!(envelope.version, 1);
        assert_eq!(
            UserRegistered::from_envelope(&envelope).expect("back"),
            event
        );
        assert!(envelope.data.get("phone").is_none());
    }

    #[test]
    fn a_payload_of_another_type_is_refused() {
        let envelope = EventEnvelope::new(BOOKING_EXPIRED, serde_json::json!({})).expect("env");
        assert!(matches!(
            UserRegistered::from_envelope(&envelope),
            Err(PayloadError::WrongType { .. })
        ));
    }
}
