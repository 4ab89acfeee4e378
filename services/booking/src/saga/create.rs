//! createBooking: check the caller, capture what the events will need, hold the seats.

use boxoffice_auth::Caller;
use boxoffice_proto::cinema::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Lease, Saga, SagaError};
use crate::clients::CinemaError;
use crate::domain::{BookingStatus, SagaStep, parse_id, validate_seats};
use crate::store::{Admission, Booking, CustomerLimits, Details, HeldSeat, LogEntry};

pub(crate) fn timestamp(ts: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    ts.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

/// `SEAT_TYPE_PREMIUM` → `PREMIUM`.
pub(crate) fn seat_type_name(value: i32) -> String {
    pb::SeatType::try_from(value)
        .map(|t| t.as_str_name().trim_start_matches("SEAT_TYPE_").to_owned())
        .unwrap_or_else(|_| "STANDARD".to_owned())
}

impl Saga {
    #[tracing::instrument(name = "saga create", skip_all, fields(showtime = showtime_id))]
    pub async fn create(
        &self,
        caller: &Caller,
        token: &str,
        showtime_id: &str,
        seat_ids: &[String],
    ) -> Result<Booking, SagaError> {
        let showtime_id = parse_id(showtime_id)?;
        let seats = validate_seats(seat_ids, self.config.max_seats)?;
        let account = self.users.account(caller.user_id, token).await?;
        if account.id != caller.user_id {
            return Err(SagaError::Unauthenticated);
        }
        let details = self.details(showtime_id, &account).await?;

        let id = Uuid::now_v7();
        let now = Utc::now();
        let mut booking = Booking {
            id,
            user_id: caller.user_id,
            showtime_id,
            hold_id: id,
            seat_ids: seats,
            seats: Vec::new(),
            status: BookingStatus::Pending,
            step: SagaStep::Holding,
            closing_status: None,
            total_amount: 0,
            currency: String::new(),
            hold_expires_at: None,
            attempt: 0,
            client_key: None,
            payment_id: None,
            details,
            created_at: now,
            updated_at: now,
        };
        // Seats this instance knows are taken (its fresh seat map, which shows its own holds
        // and sales at once, or another of its requests holding them right now) are refused
        // before anything is written: in an on-sale rush most attempts lose a race for a seat
        // someone took a moment ago, and each cost a booking row, its log and a cinema
        // transaction to learn that. Only refusals come from here; every hold is still decided
        // by the cinema service. The claim lasts until this request's hold is settled.
        let _claim = self
            .cinema
            .claim_seats(showtime_id, &booking.seat_ids)
            .map_err(SagaError::SeatsUnavailable)?;
        let lease = Lease::new(Uuid::now_v7());
        let log = LogEntry::new(SagaStep::Holding, "started", None);
        let limits = self.config.customer_limits;
        let admission = self
            .store
            .insert_within(
                &booking,
                lease.owner(),
                now + self.config.lease_ttl,
                &log,
                &limits,
            )
            .await?;
        refuse_over_limit(admission, &limits)?;
        let outcome = self.hold(&mut booking, &lease).await;
        self.unlease(id, &lease).await;
        outcome.map(|()| booking)
    }

    /// Holds `b.seat_ids` under `b.hold_id`; the step is already recorded as `Holding`.
    pub(crate) async fn hold(&self, b: &mut Booking, lease: &Lease) -> Result<(), SagaError> {
        let held = self
            .cinema
            .hold(b.showtime_id, &b.seat_ids, b.hold_id, self.config.hold_ttl)
            .await;
        match held {
            Ok(hold) => {
                apply_hold(b, &hold);
                let log = LogEntry::new(SagaStep::Holding, "done", None);
                self.record(b, lease, SagaStep::Held, log).await
            }
            Err(CinemaError::Unavailable(m)) => {
                // The hold may or may not exist: the step stays `holding` and the recovery
                // worker releases it.
                Err(CinemaError::Unavailable(m).into())
            }
            Err(e) => {
                let detail = Some(e.to_string());
                let first_hold = b.hold_id == b.id;
                // A first hold that failed leaves nothing behind; a failed re-hold ends the
                // booking as expired.
                b.status = if first_hold {
                    BookingStatus::Failed
                } else {
                    BookingStatus::Expired
                };
                let step = if first_hold {
                    SagaStep::Failed
                } else {
                    SagaStep::Closed
                };
                let log = LogEntry::new(SagaStep::Holding, "failed", detail);
                if first_hold {
                    self.record(b, lease, step, log).await?;
                } else {
                    self.close(b, lease, BookingStatus::Expired, log).await?;
                }
                Err(match e {
                    CinemaError::NotFound(m) => SagaError::BadInput(format!("unknown seat: {m}")),
                    CinemaError::HoldGone if !first_hold => SagaError::HoldExpired(
                        "the hold expired and the seats are no longer free".into(),
                    ),
                    CinemaError::SeatsUnavailable(_) if !first_hold => SagaError::HoldExpired(
                        "the hold expired and the seats are no longer free".into(),
                    ),
                    other => other.into(),
                })
            }
        }
    }

    async fn details(
        &self,
        showtime_id: Uuid,
        account: &crate::clients::Account,
    ) -> Result<Details, SagaError> {
        let showtime = self
            .cinema
            .showtimes_by_id(vec![showtime_id.to_string()])
            .await?
            .into_iter()
            .next()
            .ok_or(SagaError::NotFound)?;
        let (movies, cinemas) = tokio::join!(
            self.cinema.movies_by_id(vec![showtime.movie_id.clone()]),
            self.cinema.cinemas_by_id(vec![showtime.cinema_id.clone()]),
        );
        let movie = movies?.into_iter().next();
        let cinema = cinemas?.into_iter().next().ok_or(SagaError::NotFound)?;
        Ok(Details {
            recipient_email: account.email.clone(),
            recipient_name: account.name.clone(),
            movie_title: movie.map(|m| m.title).unwrap_or_default(),
            cinema_id: parse_id(&cinema.id)?,
            cinema_name: cinema.name,
            cinema_address: cinema.address,
            time_zone: cinema.time_zone,
            auditorium: showtime.auditorium_name,
            starts_at: timestamp(showtime.starts_at.as_ref())
                .ok_or_else(|| SagaError::Internal("showtime without a start".into()))?,
        })
    }
}

/// HOLD_LIMIT for a booking the store did not admit, naming the limit it hit.
fn refuse_over_limit(admission: Admission, limits: &CustomerLimits) -> Result<(), SagaError> {
    match admission {
        Admission::Admitted => Ok(()),
        Admission::TooManyPending => Err(SagaError::HoldLimit {
            limit: "max_pending_bookings",
            max: limits.max_pending,
            message: format!(
                "you already have {} unpaid bookings (max_pending_bookings): pay or cancel one first",
                limits.max_pending
            ),
        }),
        Admission::TooManySeats { already } => Err(SagaError::HoldLimit {
            limit: "max_seats_per_customer_per_showtime",
            max: limits.max_seats_per_showtime,
            message: format!(
                "at most {} seats per customer for this showtime \
                 (max_seats_per_customer_per_showtime); you already hold or bought {already}",
                limits.max_seats_per_showtime
            ),
        }),
    }
}

fn apply_hold(b: &mut Booking, hold: &pb::Hold) {
    b.hold_expires_at = timestamp(hold.expires_at.as_ref());
    if let Some(total) = &hold.total {
        b.total_amount = total.amount;
        b.currency = total.currency.clone();
    }
    b.seats = hold
        .seats
        .iter()
        .map(|s| HeldSeat {
            id: s.id.clone(),
            row: s.row.clone(),
            number: s.number,
            seat_type: seat_type_name(s.r#type),
            price: s.price.as_ref().map_or(0, |p| p.amount),
        })
        .collect();
}
