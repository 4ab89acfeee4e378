//! The cinema service over gRPC: catalog reads and the seat inventory. Every call carries the
//! trace context as metadata and a deadline, goes through the cinema circuit breaker, and is
//! retried on transport trouble: all of them are idempotent (holds are keyed by hold id).

use std::time::Duration;

use boxoffice_proto::cinema::v1 as pb;
use boxoffice_telemetry::TraceContext;
use boxoffice_telemetry::trace_context::TRACEPARENT;
use pb::catalog_client::CatalogClient;
use pb::seat_inventory_client::SeatInventoryClient;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use uuid::Uuid;

use super::resilience::{Breaker, CallError, CallPolicy};

#[derive(Debug, thiserror::Error)]
pub enum CinemaError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("seats unavailable: {0:?}")]
    SeatsUnavailable(Vec<String>),
    /// The hold expired or was released: its seats are no longer ours.
    #[error("the hold is gone")]
    HoldGone,
    /// The hold was confirmed: its seats are sold.
    #[error("the hold is confirmed")]
    HoldConfirmed,
    #[error("cinema service unavailable: {0}")]
    Unavailable(String),
}

fn transient(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::DeadlineExceeded | Code::Unknown | Code::ResourceExhausted
    )
}

impl From<CallError<Status>> for CinemaError {
    fn from(error: CallError<Status>) -> Self {
        let status = match error {
            CallError::Failed(status) => status,
            other => return Self::Unavailable(other.to_string()),
        };
        if let Some(seats) = boxoffice_proto::unavailable_seats(&status) {
            return Self::SeatsUnavailable(seats);
        }
        match status.code() {
            Code::NotFound => Self::NotFound(status.message().to_owned()),
            Code::InvalidArgument | Code::AlreadyExists => {
                Self::Invalid(status.message().to_owned())
            }
            Code::FailedPrecondition if status.message().starts_with("HOLD_CONFIRMED") => {
                Self::HoldConfirmed
            }
            Code::FailedPrecondition => Self::HoldGone,
            _ => Self::Unavailable(format!("{:?}: {}", status.code(), status.message())),
        }
    }
}

/// A gRPC request with the trace context and a deadline the server sees too.
fn request<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout);
    if let Ok(value) = TraceContext::outbound_header().parse() {
        request.metadata_mut().insert(TRACEPARENT, value);
    }
    request
}

#[derive(Debug)]
pub struct CinemaClient {
    catalog: CatalogClient<Channel>,
    inventory: SeatInventoryClient<Channel>,
    breaker: Breaker,
    policy: CallPolicy,
}

/// What the data loaders fetch in one call.
pub type Showtimes = Vec<pb::Showtime>;

impl CinemaClient {
    /// Connects lazily: the booking service starts even while the cinema service is down.
    pub fn new(url: &str, policy: CallPolicy, breaker: Breaker) -> Result<Self, CinemaError> {
        let channel = Endpoint::from_shared(url.to_owned())
            .map_err(|e| CinemaError::Invalid(format!("cinema url: {e}")))?
            .connect_timeout(policy.timeout)
            .connect_lazy();
        Ok(Self {
            catalog: CatalogClient::new(channel.clone()),
            inventory: SeatInventoryClient::new(channel),
            breaker,
            policy,
        })
    }

    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    async fn catalog_call<T, F, Fut>(&self, f: F) -> Result<T, CinemaError>
    where
        F: Fn(CatalogClient<Channel>, Duration) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let timeout = self.policy.timeout;
        let outcome = self
            .breaker
            .call(&self.policy, true, transient, || {
                f(self.catalog.clone(), timeout)
            })
            .await;
        Ok(outcome?.into_inner())
    }

    async fn inventory_call<T, F, Fut>(&self, f: F) -> Result<T, CinemaError>
    where
        F: Fn(SeatInventoryClient<Channel>, Duration) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let timeout = self.policy.timeout;
        let outcome = self
            .breaker
            .call(&self.policy, true, transient, || {
                f(self.inventory.clone(), timeout)
            })
            .await;
        Ok(outcome?.into_inner())
    }

    pub async fn movies(&self) -> Result<Vec<pb::Movie>, CinemaError> {
        let r = self
            .catalog_call(|mut c, t| async move {
                c.list_movies(request(pb::ListMoviesRequest {}, t)).await
            })
            .await?;
        Ok(r.movies)
    }

    pub async fn movies_by_id(&self, ids: Vec<String>) -> Result<Vec<pb::Movie>, CinemaError> {
        let r = self
            .catalog_call(|mut c, t| {
                let ids = ids.clone();
                async move {
                    c.batch_get_movies(request(pb::BatchGetRequest { ids }, t))
                        .await
                }
            })
            .await?;
        Ok(r.movies)
    }

    pub async fn cinemas(&self) -> Result<Vec<pb::Cinema>, CinemaError> {
        let r = self
            .catalog_call(|mut c, t| async move {
                c.list_cinemas(request(pb::ListCinemasRequest {}, t)).await
            })
            .await?;
        Ok(r.cinemas)
    }

    pub async fn cinemas_by_id(&self, ids: Vec<String>) -> Result<Vec<pb::Cinema>, CinemaError> {
        let r = self
            .catalog_call(|mut c, t| {
                let ids = ids.clone();
                async move {
                    c.batch_get_cinemas(request(pb::BatchGetRequest { ids }, t))
                        .await
                }
            })
            .await?;
        Ok(r.cinemas)
    }

    pub async fn showtimes(
        &self,
        filter: pb::ListShowtimesRequest,
    ) -> Result<Showtimes, CinemaError> {
        let r = self
            .catalog_call(|mut c, t| {
                let filter = filter.clone();
                async move { c.list_showtimes(request(filter, t)).await }
            })
            .await?;
        Ok(r.showtimes)
    }

    pub async fn showtimes_by_id(&self, ids: Vec<String>) -> Result<Showtimes, CinemaError> {
        let r = self
            .catalog_call(|mut c, t| {
                let ids = ids.clone();
                async move {
                    c.batch_get_showtimes(request(pb::BatchGetRequest { ids }, t))
                        .await
                }
            })
            .await?;
        Ok(r.showtimes)
    }

    pub async fn seat_map(&self, showtime_id: Uuid) -> Result<pb::SeatMap, CinemaError> {
        self.inventory_call(|mut c, t| async move {
            let r = pb::GetSeatMapRequest {
                showtime_id: showtime_id.to_string(),
            };
            c.get_seat_map(request(r, t)).await
        })
        .await
    }

    pub async fn hold(
        &self,
        showtime_id: Uuid,
        seat_ids: &[String],
        hold_id: Uuid,
        ttl: Duration,
    ) -> Result<pb::Hold, CinemaError> {
        self.inventory_call(|mut c, t| {
            let r = pb::HoldSeatsRequest {
                showtime_id: showtime_id.to_string(),
                seat_ids: seat_ids.to_vec(),
                hold_id: hold_id.to_string(),
                ttl_seconds: Some(i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX)),
            };
            async move { c.hold_seats(request(r, t)).await }
        })
        .await
    }

    pub async fn confirm(&self, hold_id: Uuid) -> Result<pb::Hold, CinemaError> {
        self.inventory_call(|mut c, t| async move {
            let r = pb::ConfirmHoldRequest {
                hold_id: hold_id.to_string(),
            };
            c.confirm_hold(request(r, t)).await
        })
        .await
    }

    /// Releases a hold; a hold the cinema never saw counts as released.
    pub async fn release(&self, hold_id: Uuid) -> Result<(), CinemaError> {
        let outcome = self
            .inventory_call(|mut c, t| async move {
                let r = pb::ReleaseHoldRequest {
                    hold_id: hold_id.to_string(),
                };
                c.release_hold(request(r, t)).await
            })
            .await;
        match outcome {
            Ok(_) | Err(CinemaError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn get_hold(&self, hold_id: Uuid) -> Result<pb::Hold, CinemaError> {
        self.inventory_call(|mut c, t| async move {
            let r = pb::GetHoldRequest {
                hold_id: hold_id.to_string(),
            };
            c.get_hold(request(r, t)).await
        })
        .await
    }

    /// The seat changes of a showtime from now on. Not retried: the subscriber reconnects.
    pub async fn watch(
        &self,
        showtime_id: Uuid,
    ) -> Result<tonic::Streaming<pb::SeatChange>, CinemaError> {
        if self.breaker.is_open() {
            return Err(CinemaError::Unavailable("circuit open".into()));
        }
        let mut client = self.inventory.clone();
        let mut r = tonic::Request::new(pb::WatchSeatMapRequest {
            showtime_id: showtime_id.to_string(),
        });
        if let Ok(value) = TraceContext::outbound_header().parse() {
            r.metadata_mut().insert(TRACEPARENT, value);
        }
        let opened = tokio::time::timeout(self.policy.timeout, client.watch_seat_map(r)).await;
        match opened {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(CallError::Failed(status).into()),
            Err(_) => Err(CinemaError::Unavailable("timed out".into())),
        }
    }
}
