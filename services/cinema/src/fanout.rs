//! Seat-change fan-out for `WatchSeatMap`.
//!
//! Every cinema instance keeps one in-process broadcast channel that its watchers subscribe to.
//! On PostgreSQL the channel is fed by a LISTEN connection: writers `pg_notify` inside their
//! transaction, so every instance (not only the one that wrote) hears every committed change,
//! and nothing is heard of a rolled-back one. On SQLite there is only one process, so the
//! writer publishes its committed changes itself. See docs/adr/0102-seat-change-fanout.md.

use std::time::Duration;

use boxoffice_http::CancellationToken;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use crate::store::{SEAT_CHANGES_CHANNEL, SeatChange};

/// Changes a slow watcher may fall behind by before it is cut off (and must refetch the map).
const BUFFER: usize = 4096;
/// Pause before re-listening after the LISTEN connection failed.
const RELISTEN_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct SeatEvents {
    sender: broadcast::Sender<SeatChange>,
    /// Whether writers publish their own changes (SQLite) or a listener does (PostgreSQL).
    publish_locally: bool,
}

impl SeatEvents {
    pub fn in_process() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
            publish_locally: true,
        }
    }

    fn fed_by_listener() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
            publish_locally: false,
        }
    }

    /// Called by writers after their transaction committed.
    pub fn committed(&self, changes: Vec<SeatChange>) {
        if self.publish_locally {
            self.deliver(changes);
        }
    }

    fn deliver(&self, changes: Vec<SeatChange>) {
        for change in changes {
            // No receivers is normal: nobody is watching.
            let _ = self.sender.send(change);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SeatChange> {
        self.sender.subscribe()
    }

    /// Starts listening on PostgreSQL; returns once LISTEN is in place, so no change committed
    /// after this returns is missed, and keeps listening until `shutdown`.
    pub async fn listen_postgres(
        pool: PgPool,
        shutdown: CancellationToken,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), sqlx::Error> {
        let events = Self::fed_by_listener();
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(SEAT_CHANGES_CHANNEL).await?;
        let feeder = events.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    received = listener.recv() => match received {
                        Ok(notification) => feeder.deliver_payload(notification.payload()),
                        Err(e) => {
                            // PgListener reconnects and re-listens on the next recv; changes
                            // committed meanwhile are lost to watchers, who resync from the map.
                            tracing::warn!(error = %e, "seat change listener lost its connection");
                            tokio::select! {
                                () = shutdown.cancelled() => break,
                                () = tokio::time::sleep(RELISTEN_DELAY) => {}
                            }
                        }
                    },
                }
            }
        });
        Ok((events, task))
    }

    fn deliver_payload(&self, payload: &str) {
        match serde_json::from_str::<Vec<SeatChange>>(payload) {
            Ok(changes) => self.deliver(changes),
            Err(e) => tracing::warn!(error = %e, "unreadable seat change notification"),
        }
    }
}
