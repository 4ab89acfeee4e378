//! `Subscription.seatMapUpdates`, fed by the cinema service's `WatchSeatMap` stream.

use async_graphql::{Context, ID, Result, Subscription};
use futures::{Stream, StreamExt};

use super::ctx_cinema;
use super::errors::Gql;
use super::types::{SeatUpdate, seat_status};
use crate::domain::parse_id;

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every seat change of the showtime from now on; apply a change only if its version is
    /// newer than what you have.
    async fn seat_map_updates(
        &self,
        ctx: &Context<'_>,
        showtime_id: ID,
    ) -> Result<impl Stream<Item = SeatUpdate> + use<>> {
        let id = parse_id(&showtime_id).gql()?;
        let stream = ctx_cinema(ctx)?.watch(id).await.gql()?;
        // The stream ends when the cinema connection breaks; clients resubscribe.
        Ok(stream
            .take_while(|item| futures::future::ready(item.is_ok()))
            .filter_map(|item| async move {
                item.ok().map(|change| SeatUpdate {
                    showtime_id: ID(change.showtime_id),
                    seat_id: ID(change.seat_id),
                    status: seat_status(change.status),
                    version: change.version,
                })
            }))
    }
}
