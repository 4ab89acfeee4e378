//! Seat-change fan-out for `WatchSeatMap`.
//!
//! Every cinema instance keeps one in-process broadcast channel that its watchers subscribe to.
//! On PostgreSQL the channel is fed by a LISTEN connection, and writers hand their committed
//! changes to a notifier task that sends them with `pg_notify` from its own connection, in
//! batches: so every instance (not only the one that wrote) hears every committed change, and
//! concurrent holds do not queue on PostgreSQL's global notify lock. On SQLite there is only one
//! process, so committed changes go straight to the channel. See
//! docs/adr/0102-seat-change-fanout.md.

use std::time::Duration;

use boxoffice_http::CancellationToken;
use sqlx::postgres::{PgConnection, PgListener};
use sqlx::{Connection, PgPool};
use tokio::sync::{broadcast, mpsc};

use crate::store::{SEAT_CHANGES_CHANNEL, SeatChange};

/// Changes a slow watcher may fall behind by before it is cut off (and must refetch the map).
const BUFFER: usize = 4096;
/// Pause before re-listening or reconnecting after a connection failed.
const RETRY_DELAY: Duration = Duration::from_secs(1);
/// NOTIFY payloads must stay under 8,000 bytes; one change is about 100.
const CHANGES_PER_NOTIFY: usize = 40;

#[derive(Debug, Clone)]
pub struct SeatEvents {
    sender: broadcast::Sender<SeatChange>,
    /// Where committed changes go: straight to watchers (SQLite) or to the notifier (PostgreSQL).
    notifier: Option<mpsc::UnboundedSender<Vec<SeatChange>>>,
}

impl SeatEvents {
    pub fn in_process() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
            notifier: None,
        }
    }

    /// Called by writers after their transaction committed.
    pub fn committed(&self, mut changes: Vec<SeatChange>) {
        if changes.is_empty() {
            return;
        }
        let now = unix_micros();
        for change in &mut changes {
            change.committed_us = now;
        }
        match &self.notifier {
            Some(notifier) => {
                // Fails only once the notifier stopped at shutdown; nobody watches then.
                let _ = notifier.send(changes);
            }
            None => self.deliver(changes),
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

    /// Starts listening on PostgreSQL and the notifier; returns once LISTEN is in place, so no
    /// change announced after this returns is missed. Both tasks run until `shutdown`.
    pub async fn listen_postgres(
        pool: PgPool,
        shutdown: CancellationToken,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), sqlx::Error> {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(SEAT_CHANGES_CHANNEL).await?;
        let (notify_tx, notify_rx) = mpsc::unbounded_channel();
        let events = Self {
            sender: broadcast::channel(BUFFER).0,
            notifier: Some(notify_tx),
        };
        let feeder = events.clone();
        let stop = shutdown.clone();
        let listening = tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    received = listener.recv() => match received {
                        Ok(notification) => feeder.deliver_payload(notification.payload()),
                        Err(e) => {
                            // PgListener reconnects and re-listens on the next recv; changes
                            // announced meanwhile are lost to watchers, who resync from the map.
                            tracing::warn!(error = %e, "seat change listener lost its connection");
                            if pause(&stop).await {
                                break;
                            }
                        }
                    },
                }
            }
        });
        let notifying = tokio::spawn(notify_loop(pool, notify_rx, shutdown));
        let task = tokio::spawn(async move {
            let _ = tokio::join!(listening, notifying);
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

/// Now in microseconds since the Unix epoch (0 if the clock is before it).
pub fn unix_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Records, for a change a watcher is about to be sent, how long after its commit that is
/// (`boxoffice_seatmap_push_lag_seconds`). Changes never stamped (0) are not measured; a clock
/// behind the writer's (another instance) counts as no lag rather than a negative one.
pub fn record_push_lag(lag: &metrics::Histogram, change: &SeatChange) {
    if change.committed_us > 0 {
        let micros = unix_micros().saturating_sub(change.committed_us).max(0);
        lag.record(micros as f64 / 1_000_000.0);
    }
}

/// Waits out the retry delay; true if shutdown came first.
async fn pause(stop: &CancellationToken) -> bool {
    tokio::select! {
        () = stop.cancelled() => true,
        () = tokio::time::sleep(RETRY_DELAY) => false,
    }
}

/// Sends everything that queued up since the last round as one batch of NOTIFYs.
async fn notify_loop(
    pool: PgPool,
    mut queue: mpsc::UnboundedReceiver<Vec<SeatChange>>,
    stop: CancellationToken,
) {
    let mut connection: Option<PgConnection> = None;
    loop {
        let first = tokio::select! {
            () = stop.cancelled() => break,
            next = queue.recv() => match next {
                Some(changes) => changes,
                None => break,
            },
        };
        let mut batch = first;
        while let Ok(more) = queue.try_recv() {
            batch.extend(more);
        }
        if connection.is_none() {
            connection = match notifier_connection(&pool).await {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, dropped = batch.len(), "cannot connect to announce seat changes");
                    if pause(&stop).await {
                        break;
                    }
                    continue;
                }
            };
        }
        if let Some(conn) = connection.as_mut()
            && let Err(e) = send(conn, &batch).await
        {
            tracing::warn!(error = %e, dropped = batch.len(), "announcing seat changes failed");
            connection = None;
        }
    }
}

async fn notifier_connection(pool: &PgPool) -> Result<PgConnection, sqlx::Error> {
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    // An announcement lost in a database crash is harmless (watchers resync from the map), so
    // the notifier does not wait for its commits to reach the disk.
    sqlx::query("SET synchronous_commit = off")
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

async fn send(conn: &mut PgConnection, batch: &[SeatChange]) -> Result<(), sqlx::Error> {
    for chunk in batch.chunks(CHANGES_PER_NOTIFY) {
        let payload =
            serde_json::to_string(chunk).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(SEAT_CHANGES_CHANNEL)
            .bind(payload)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
