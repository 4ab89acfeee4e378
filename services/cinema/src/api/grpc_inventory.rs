//! The `SeatInventory` gRPC service.

use std::pin::Pin;

use boxoffice_http::CancellationToken;
use boxoffice_proto::cinema::v1 as pb;
use boxoffice_proto::cinema::v1::seat_inventory_server::SeatInventory;
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tonic::{Request, Response, Status};

use super::convert;
use crate::domain::{HoldLimits, HoldRequest, parse_id};
use crate::fanout::SeatEvents;
use crate::store::{SharedStore, StoreError};

pub struct InventoryApi {
    store: SharedStore,
    events: SeatEvents,
    limits: HoldLimits,
    /// Ends open seat-map streams when the service shuts down.
    shutdown: CancellationToken,
}

impl InventoryApi {
    pub fn new(
        store: SharedStore,
        events: SeatEvents,
        limits: HoldLimits,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            store,
            events,
            limits,
            shutdown,
        }
    }
}

/// `boxoffice_holds_total{outcome}`: every hold attempt once, by how it ended.
fn count_hold(outcome: &'static str) {
    metrics::counter!("boxoffice_holds_total", "outcome" => outcome).increment(1);
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::SeatChange, Status>> + Send>>;

#[tonic::async_trait]
impl SeatInventory for InventoryApi {
    async fn get_seat_map(
        &self,
        request: Request<pb::GetSeatMapRequest>,
    ) -> Result<Response<pb::SeatMap>, Status> {
        let showtime_id = parse_id("showtime_id", &request.get_ref().showtime_id)?;
        let map = self.store.seat_map(showtime_id, chrono::Utc::now()).await?;
        Ok(Response::new(pb::SeatMap {
            showtime_id: showtime_id.to_string(),
            rows: convert::rows(&map.seats, &map.aisles),
        }))
    }

    #[tracing::instrument(skip_all, fields(hold_id = %request.get_ref().hold_id))]
    async fn hold_seats(
        &self,
        request: Request<pb::HoldSeatsRequest>,
    ) -> Result<Response<pb::Hold>, Status> {
        let r = request.get_ref();
        let hold = match HoldRequest::parse(
            &r.showtime_id,
            &r.hold_id,
            &r.seat_ids,
            r.ttl_seconds,
            self.limits,
        ) {
            Ok(hold) => hold,
            Err(e) => {
                count_hold("invalid");
                return Err(e.into());
            }
        };
        let result = self.store.hold(&hold, chrono::Utc::now()).await;
        count_hold(match &result {
            Ok(_) => "held",
            Err(StoreError::SeatsUnavailable(_)) => "seats_unavailable",
            Err(StoreError::HoldIdReused | StoreError::Invalid(_) | StoreError::NotFound(_)) => {
                "invalid"
            }
            Err(_) => "error",
        });
        let (record, changes) = result?;
        self.events.committed(changes);
        Ok(Response::new(convert::hold(record)))
    }

    #[tracing::instrument(skip_all, fields(hold_id = %request.get_ref().hold_id))]
    async fn confirm_hold(
        &self,
        request: Request<pb::ConfirmHoldRequest>,
    ) -> Result<Response<pb::Hold>, Status> {
        let hold_id = parse_id("hold_id", &request.get_ref().hold_id)?;
        let (record, changes) = self.store.confirm(hold_id, chrono::Utc::now()).await?;
        self.events.committed(changes);
        Ok(Response::new(convert::hold(record)))
    }

    #[tracing::instrument(skip_all, fields(hold_id = %request.get_ref().hold_id))]
    async fn release_hold(
        &self,
        request: Request<pb::ReleaseHoldRequest>,
    ) -> Result<Response<pb::Hold>, Status> {
        let hold_id = parse_id("hold_id", &request.get_ref().hold_id)?;
        let (record, changes) = self.store.release(hold_id, chrono::Utc::now()).await?;
        self.events.committed(changes);
        Ok(Response::new(convert::hold(record)))
    }

    async fn get_hold(
        &self,
        request: Request<pb::GetHoldRequest>,
    ) -> Result<Response<pb::Hold>, Status> {
        let hold_id = parse_id("hold_id", &request.get_ref().hold_id)?;
        let record = self.store.get_hold(hold_id, chrono::Utc::now()).await?;
        Ok(Response::new(convert::hold(record)))
    }

    type WatchSeatMapStream = ChangeStream;

    async fn watch_seat_map(
        &self,
        request: Request<pb::WatchSeatMapRequest>,
    ) -> Result<Response<ChangeStream>, Status> {
        let showtime_id = parse_id("showtime_id", &request.get_ref().showtime_id)?;
        // Subscribed before the existence check, so a change right after the answer is not lost.
        let receiver = self.events.subscribe();
        if self.store.get_showtimes(&[showtime_id]).await?.is_empty() {
            return Err(Status::not_found("showtime not found"));
        }
        // One handle per stream, so that recording a change is no registry lookup.
        let lag = metrics::histogram!("boxoffice_seatmap_push_lag_seconds");
        let stream = BroadcastStream::new(receiver)
            .filter_map(move |item| {
                let lag = lag.clone();
                async move {
                    match item {
                        Ok(change) if change.showtime_id == showtime_id => {
                            crate::fanout::record_push_lag(&lag, &change);
                            Some(Ok(convert::change(change)))
                        }
                        Ok(_) => None,
                        // A watcher this far behind has a stale map: end its stream (tonic ends a
                        // stream at its first error) with a status that says to refetch and rewatch.
                        Err(BroadcastStreamRecvError::Lagged(n)) => Some(Err(Status::aborted(
                            format!("fell behind by {n} changes: refetch the seat map"),
                        ))),
                    }
                }
            })
            .take_until(self.shutdown.clone().cancelled_owned());
        Ok(Response::new(Box::pin(stream)))
    }
}
