//! The booking saga: create (hold), pay (charge, confirm), cancel (release or refund), and the
//! resumable driver the recovery and expiry workers share with the live requests.
//!
//! Every outbound step is written to the store before it runs and after it ran (the booking's
//! `step` plus a saga log line), under a per-booking lease, so a crash at any point leaves a
//! row that says exactly what to resume or compensate; see `drive.rs`.

mod check_in;
mod create;
mod drive;
mod events;
mod pay;
mod staff;

pub use check_in::{CheckInAnswer, CheckInOutcome};
pub(crate) use create::{seat_type_name, timestamp};
pub(crate) use pay::CancelledBy;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use boxoffice_auth::Caller;
use chrono::Utc;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::clients::{CinemaClient, CinemaError, PayError, PaymentsPort, UsersClient, UsersError};
use crate::domain::{BookingStatus, InputError, RefundPolicy, SagaStep};
use crate::store::{Booking, Change, CustomerLimits, LogEntry, SharedStore, StoreError};

/// What a client can act on; mapped to GraphQL `extensions.code` in `graphql::errors`.
#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    #[error("{0}")]
    BadInput(String),
    #[error("not authenticated")]
    Unauthenticated,
    /// Signed in, but the caller's role may not do this.
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("seats unavailable: {}", .0.join(", "))]
    SeatsUnavailable(Vec<String>),
    #[error("{0}")]
    HoldExpired(String),
    #[error("{0}")]
    PaymentDeclined(String),
    /// The customer is at one of their hold limits; `limit` is the setting's name.
    #[error("{message}")]
    HoldLimit {
        limit: &'static str,
        max: usize,
        message: String,
    },
    /// This booking used up its payment attempts; nothing was sent to the processor.
    #[error("{0}")]
    PaymentAttemptsExceeded(String),
    /// Another request (or a worker) is working on this booking right now.
    #[error("the booking is being processed; try again in a moment")]
    Busy,
    /// A dependency did not answer; the saga state is safe and will be settled.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<InputError> for SagaError {
    fn from(e: InputError) -> Self {
        Self::BadInput(e.to_string())
    }
}

impl From<StoreError> for SagaError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::LeaseLost(_) => Self::Busy,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<CinemaError> for SagaError {
    fn from(e: CinemaError) -> Self {
        match e {
            CinemaError::NotFound(_) => Self::NotFound,
            CinemaError::Invalid(m) => Self::BadInput(m),
            CinemaError::SeatsUnavailable(seats) => Self::SeatsUnavailable(seats),
            CinemaError::HoldGone | CinemaError::HoldConfirmed => {
                Self::HoldExpired("the hold on the seats is gone".into())
            }
            CinemaError::Unavailable(m) => {
                Self::Unavailable(format!("the cinema service is unavailable ({m})"))
            }
        }
    }
}

impl From<UsersError> for SagaError {
    fn from(e: UsersError) -> Self {
        match e {
            UsersError::Inactive => Self::Unauthenticated,
            UsersError::Unavailable(m) => {
                Self::Unavailable(format!("the users service is unavailable ({m})"))
            }
        }
    }
}

impl From<PayError> for SagaError {
    fn from(e: PayError) -> Self {
        match e {
            PayError::Rejected { title, .. } => Self::BadInput(title),
            PayError::Unavailable(m) => {
                Self::Unavailable(format!("the payments service is unavailable ({m})"))
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SagaConfig {
    pub hold_ttl: Duration,
    pub lease_ttl: Duration,
    pub max_seats: usize,
    pub refund_policy: RefundPolicy,
    /// A hold that ends sooner than this is renewed before charging, so the charge never runs
    /// on a hold about to lapse.
    pub hold_margin: Duration,
    /// How long after a charge whose answer was lost recovery may conclude "nothing was
    /// captured": longer than a request can stay in flight at the payments service, so a late
    /// capture cannot appear after the booking went back to PENDING.
    pub charge_settle_after: Duration,
    /// What one customer may hold at once (ADR 0504).
    pub customer_limits: CustomerLimits,
    /// Charge attempts (distinct idempotency keys) one booking may make; the next one is
    /// refused before it reaches payments, so a booking is no card-testing oracle.
    pub max_payment_attempts: i32,
}

/// Test hooks that stop the saga at a chosen point, as a crash would.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// After the capture is recorded and before the hold is confirmed: notifies, then the
    /// request never continues.
    pub halt_after_charge: Option<Arc<Notify>>,
    /// After payments answered and before the answer is recorded: the answer is lost.
    pub halt_before_recording_charge: Option<Arc<Notify>>,
}

impl Faults {
    /// Stops here for good if `hook` is set, as a crash at this point would.
    pub(crate) async fn halt(hook: Option<&Arc<Notify>>) {
        if let Some(hook) = hook {
            hook.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

pub struct Saga {
    pub(crate) store: SharedStore,
    pub(crate) cinema: Arc<CinemaClient>,
    pub(crate) payments: PaymentsPort,
    pub(crate) users: Arc<UsersClient>,
    pub(crate) config: SagaConfig,
    pub(crate) faults: Faults,
}

/// A held lease on one booking; whoever holds it is the only one driving that saga.
///
/// The write that leaves the booking at rest (held, confirmed, closed, failed) also ends the
/// lease, in the same statement: a separate UPDATE after it was one more commit per request.
#[derive(Debug)]
pub(crate) struct Lease {
    owner: Uuid,
    /// False while the caller has more steps to write after a resting one (a re-hold before
    /// a charge), so that the lease outlives that write.
    ends_at_rest: bool,
    ended: AtomicBool,
}

impl Lease {
    pub(crate) fn new(owner: Uuid) -> Self {
        Self {
            owner,
            ends_at_rest: true,
            ended: AtomicBool::new(false),
        }
    }

    pub(crate) fn owner(&self) -> Uuid {
        self.owner
    }

    /// The same lease for steps after which the caller goes on writing.
    pub(crate) fn kept_at_rest(&self) -> Self {
        Self {
            ends_at_rest: false,
            ..Self::new(self.owner)
        }
    }
}

impl Saga {
    pub fn new(
        store: SharedStore,
        cinema: Arc<CinemaClient>,
        payments: PaymentsPort,
        users: Arc<UsersClient>,
        config: SagaConfig,
        faults: Faults,
    ) -> Self {
        Self {
            store,
            cinema,
            payments,
            users,
            config,
            faults,
        }
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// The booking if `caller` may act on it (pay, cancel): its owner or an admin. Others get
    /// NOT_FOUND, so that booking ids cannot be probed. (Staff may look at any booking, see
    /// `viewable`, but not pay or cancel someone else's.)
    pub async fn visible(&self, caller: &Caller, id: Uuid) -> Result<Booking, SagaError> {
        match self.store.get(id).await? {
            Some(b)
                if b.status != BookingStatus::Failed
                    && (b.user_id == caller.user_id || caller.is_admin()) =>
            {
                Ok(b)
            }
            _ => Err(SagaError::NotFound),
        }
    }

    pub async fn mine(&self, caller: &Caller) -> Result<Vec<Booking>, SagaError> {
        let all = self.store.for_user(caller.user_id).await?;
        Ok(all
            .into_iter()
            .filter(|b| b.status != BookingStatus::Failed)
            .collect())
    }

    pub(crate) async fn lease(&self, id: Uuid) -> Result<Option<Lease>, SagaError> {
        let owner = Uuid::now_v7();
        let now = Utc::now();
        let until = now + self.config.lease_ttl;
        let taken = self.store.try_lease(id, owner, until, now).await?;
        Ok(taken.then(|| Lease::new(owner)))
    }

    /// Ends the lease unless the last write already did.
    pub(crate) async fn unlease(&self, id: Uuid, lease: &Lease) {
        if lease.ended.load(Ordering::Acquire) {
            return;
        }
        if let Err(e) = self.store.end_lease(id, lease.owner).await {
            // Harmless: the lease runs out by itself.
            tracing::warn!(booking = %id, error = %e, "could not end the booking lease");
        }
    }

    /// Reads the booking again once leased: what others did before we got the lease counts.
    pub(crate) async fn reload(&self, id: Uuid) -> Result<Booking, SagaError> {
        self.store.get(id).await?.ok_or(SagaError::NotFound)
    }

    /// Moves `b` to `step`, writing the log line with it.
    pub(crate) async fn record(
        &self,
        b: &mut Booking,
        lease: &Lease,
        step: SagaStep,
        log: LogEntry,
    ) -> Result<(), SagaError> {
        b.step = step;
        let change = Change {
            log: vec![log],
            ..Change::default()
        };
        self.save(b, lease, change).await
    }

    /// Writes `b` with `change` under `lease`, ending the lease with it when `b` comes to rest.
    pub(crate) async fn save(
        &self,
        b: &Booking,
        lease: &Lease,
        mut change: Change<'_>,
    ) -> Result<(), SagaError> {
        let end = lease.ends_at_rest && !b.step.in_flight();
        change.end_lease = end;
        self.store.save(b, lease.owner, change).await?;
        if end {
            lease.ended.store(true, Ordering::Release);
        }
        Ok(())
    }
}
