//! Releases expired holds and announces the freed seats. Readers and writers already treat an
//! expired hold as free; the sweeper makes it visible to seat-map watchers and closes the hold.

use std::time::Duration;

use boxoffice_http::CancellationToken;

use crate::fanout::SeatEvents;
use crate::store::SharedStore;

/// Holds released per round, so one round never runs for long.
const BATCH: usize = 500;

pub async fn run(
    store: SharedStore,
    events: SeatEvents,
    every: Duration,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {}
        }
        match store.expire_holds(chrono::Utc::now(), BATCH).await {
            Ok(changes) if changes.is_empty() => {}
            Ok(changes) => {
                tracing::debug!(seats = changes.len(), "released seats of expired holds");
                events.committed(changes);
            }
            Err(e) => tracing::warn!(error = %e, "sweeping expired holds failed"),
        }
    }
}
