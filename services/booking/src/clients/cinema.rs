//! The cinema service over gRPC: catalog reads and the seat inventory. Every call carries the
//! trace context as metadata and a deadline, goes through the cinema circuit breaker, and is
//! retried on transport trouble: all of them are idempotent (holds are keyed by hold id).

use std::sync::Arc;
use std::time::Duration;

use boxoffice_proto::cinema::v1 as pb;
use boxoffice_proto::{CinemaChannel as Channel, Credential};
use boxoffice_telemetry::trace_context;
use pb::catalog_client::CatalogClient;
use pb::seat_inventory_client::SeatInventoryClient;
use tonic::transport::Endpoint;
use tonic::{Code, Status};
use uuid::Uuid;

use super::resilience::{Breaker, CallError, CallPolicy};
use super::seat_map_cache::SeatMapCache;
use super::ttl_cache::TtlCache;

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
    with_trace_context(&mut request);
    request
}

/// Makes the server's span a child of the current one.
fn with_trace_context<T>(request: &mut tonic::Request<T>) {
    for (name, value) in trace_context::outbound() {
        if let Ok(value) = value.parse() {
            request.metadata_mut().insert(name, value);
        }
    }
}

#[derive(Debug)]
pub struct CinemaClient {
    catalog: CatalogClient<Channel>,
    inventory: SeatInventoryClient<Channel>,
    breaker: Breaker,
    policy: CallPolicy,
    movies: TtlCache<String, pb::Movie>,
    cinemas: TtlCache<String, pb::Cinema>,
    showtimes: TtlCache<String, pb::Showtime>,
    seat_maps: SeatMapCache<Arc<pb::SeatMap>>,
    seat_map_ttl: Duration,
}

/// How long the cached parts of the catalog and the seat maps may be reused.
#[derive(Debug, Clone, Copy)]
pub struct CacheTimes {
    pub catalog: Duration,
    pub seat_map: Duration,
}

/// Catalog entries kept per kind; a chain's whole programme fits many times over.
const CATALOG_CACHE_ENTRIES: usize = 10_000;

/// Serves the ids `cache` holds and fetches the rest in one call. Only found entries are
/// kept: an id that is unknown now may be created a moment later.
async fn cached_batch<T, Fut>(
    cache: &TtlCache<String, T>,
    ids: Vec<String>,
    id_of: fn(&T) -> &str,
    fetch: impl FnOnce(Vec<String>) -> Fut,
) -> Result<Vec<T>, CinemaError>
where
    T: Clone,
    Fut: Future<Output = Result<Vec<T>, CinemaError>>,
{
    let mut found = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        match cache.get(&id) {
            Some(entry) => found.push(entry),
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        for entry in fetch(missing).await? {
            cache.insert(id_of(&entry).to_owned(), entry.clone());
            found.push(entry);
        }
    }
    Ok(found)
}

/// What the data loaders fetch in one call.
pub type Showtimes = Vec<pb::Showtime>;

impl CinemaClient {
    /// Connects lazily: the booking service starts even while the cinema service is down.
    /// Catalog entries (movies, cinemas, showtimes by id) are served from memory for
    /// `cache.catalog` after they were fetched, seat maps as `seat_map_cache` describes;
    /// holds never are.
    pub fn new(
        url: &str,
        credential: Credential,
        policy: CallPolicy,
        breaker: Breaker,
        cache: CacheTimes,
    ) -> Result<Self, CinemaError> {
        let channel = Endpoint::from_shared(url.to_owned())
            .map_err(|e| CinemaError::Invalid(format!("cinema url: {e}")))?
            .connect_timeout(policy.timeout)
            .connect_lazy();
        // Every call carries the cinema service credential (ADR 0105).
        let channel = credential.channel(channel);
        Ok(Self {
            catalog: CatalogClient::new(channel.clone()),
            inventory: SeatInventoryClient::new(channel),
            breaker,
            policy,
            movies: TtlCache::new(cache.catalog, CATALOG_CACHE_ENTRIES),
            cinemas: TtlCache::new(cache.catalog, CATALOG_CACHE_ENTRIES),
            showtimes: TtlCache::new(cache.catalog, CATALOG_CACHE_ENTRIES),
            seat_maps: SeatMapCache::new(cache.seat_map, CATALOG_CACHE_ENTRIES),
            seat_map_ttl: cache.seat_map,
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
        cached_batch(&self.movies, ids, |m| &m.id, |ids| self.fetch_movies(ids)).await
    }

    async fn fetch_movies(&self, ids: Vec<String>) -> Result<Vec<pb::Movie>, CinemaError> {
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
        cached_batch(&self.cinemas, ids, |c| &c.id, |ids| self.fetch_cinemas(ids)).await
    }

    async fn fetch_cinemas(&self, ids: Vec<String>) -> Result<Vec<pb::Cinema>, CinemaError> {
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
        cached_batch(
            &self.showtimes,
            ids,
            |s| &s.id,
            |ids| self.fetch_showtimes(ids),
        )
        .await
    }

    async fn fetch_showtimes(&self, ids: Vec<String>) -> Result<Showtimes, CinemaError> {
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

    pub async fn seat_map(&self, showtime_id: Uuid) -> Result<Arc<pb::SeatMap>, CinemaError> {
        self.seat_map_tracked(showtime_id).await.map(|(map, _)| map)
    }

    /// [`Self::seat_map`] and the generation it belongs to (see [`Self::seat_map_generation`]).
    pub async fn seat_map_tracked(
        &self,
        showtime_id: Uuid,
    ) -> Result<(Arc<pb::SeatMap>, u64), CinemaError> {
        self.seat_maps
            .get_or_fetch_tracked(showtime_id, || async move {
                let map = self
                    .inventory_call(|mut c, t| async move {
                        let r = pb::GetSeatMapRequest {
                            showtime_id: showtime_id.to_string(),
                        };
                        c.get_seat_map(request(r, t)).await
                    })
                    .await?;
                Ok(Arc::new(map))
            })
            .await
    }

    /// The generation of the showtime's seat map: it moves on with every hold, confirm or
    /// release this instance makes there. None when the map is not being kept.
    pub fn seat_map_generation(&self, showtime_id: Uuid) -> Option<u64> {
        self.seat_maps.generation(showtime_id)
    }

    /// How long a seat map (and an answer showing one) may be reused.
    pub fn seat_map_ttl(&self) -> Duration {
        self.seat_map_ttl
    }

    /// The seats of the hold's showtime changed (or, on a conflict, had changed): the next
    /// seat-map read asks the cinema service.
    fn seats_changed(&self, showtime_id: &str) {
        if let Ok(id) = Uuid::parse_str(showtime_id) {
            self.seat_maps.invalidate(id);
        }
    }

    /// The hold's seats now have `status`: written into the kept map of its showtime, so
    /// the next read shows it without asking the cinema service.
    fn seats_now(&self, hold: &pb::Hold, status: pb::SeatStatus) {
        let Ok(showtime_id) = Uuid::parse_str(&hold.showtime_id) else {
            return;
        };
        self.seat_maps.patch(showtime_id, |map| {
            let map = Arc::make_mut(map);
            for seat in map.rows.iter_mut().flat_map(|row| row.seats.iter_mut()) {
                if hold.seat_ids.contains(&seat.id) {
                    seat.status = status as i32;
                }
            }
        });
    }

    /// Claims `seat_ids` for a hold about to be asked for; refused with the seats in the way
    /// when this instance knows them taken (its fresh seat map, or another of its requests
    /// holding them now). Never asks the cinema service. Keep the claim until the hold's
    /// outcome is known (see [`SeatMapCache::try_claim`]).
    pub fn claim_seats(
        &self,
        showtime_id: Uuid,
        seat_ids: &[String],
    ) -> Result<super::seat_map_cache::Claim, Vec<String>> {
        let available = pb::SeatStatus::Available as i32;
        self.seat_maps.try_claim(showtime_id, seat_ids, |map| {
            map.rows
                .iter()
                .flat_map(|row| row.seats.iter())
                .filter(|seat| seat.status != available && seat_ids.contains(&seat.id))
                .map(|seat| seat.id.clone())
                .collect()
        })
    }

    pub async fn hold(
        &self,
        showtime_id: Uuid,
        seat_ids: &[String],
        hold_id: Uuid,
        ttl: Duration,
    ) -> Result<pb::Hold, CinemaError> {
        let held = self
            .inventory_call(|mut c, t| {
                let r = pb::HoldSeatsRequest {
                    showtime_id: showtime_id.to_string(),
                    seat_ids: seat_ids.to_vec(),
                    hold_id: hold_id.to_string(),
                    ttl_seconds: Some(i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX)),
                };
                async move { c.hold_seats(request(r, t)).await }
            })
            .await;
        match &held {
            Ok(hold) => self.seats_now(hold, pb::SeatStatus::Held),
            // Refused: the map this customer picked from was out of date.
            Err(_) => self.seat_maps.invalidate(showtime_id),
        }
        held
    }

    pub async fn confirm(&self, hold_id: Uuid) -> Result<pb::Hold, CinemaError> {
        let hold = self
            .inventory_call(|mut c, t| async move {
                let r = pb::ConfirmHoldRequest {
                    hold_id: hold_id.to_string(),
                };
                c.confirm_hold(request(r, t)).await
            })
            .await?;
        self.seats_now(&hold, pb::SeatStatus::Sold);
        Ok(hold)
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
            Ok(hold) => {
                self.seats_changed(&hold.showtime_id);
                Ok(())
            }
            Err(CinemaError::NotFound(_)) => Ok(()),
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
        with_trace_context(&mut r);
        let opened = tokio::time::timeout(self.policy.timeout, client.watch_seat_map(r)).await;
        match opened {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(CallError::Failed(status).into()),
            Err(_) => Err(CinemaError::Unavailable("timed out".into())),
        }
    }
}
