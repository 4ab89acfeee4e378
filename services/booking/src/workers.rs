//! The background workers: recovery (resume or compensate sagas whose driver died) and expiry
//! (unpaid bookings past their hold). Both run once at start, then every interval, and stop on
//! shutdown. Several instances may run them at once: each booking is taken under its lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::saga::Saga;

/// Rows handled per pass; the next pass takes the rest.
const BATCH: i64 = 100;

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    pub recovery_interval: Duration,
    /// An in-flight booking untouched this long is considered abandoned (its lease is checked
    /// too, so a slow live request is never taken over).
    pub stuck_after: Duration,
    pub expiry_interval: Duration,
    /// Closed bookings are checked for captures once a charge can no longer be in flight.
    pub charge_settle_after: Duration,
}

/// One recovery pass; returns how many bookings it moved on.
pub async fn recover_pass(saga: &Saga, stuck_after: Duration) -> usize {
    let now = Utc::now();
    let before = now - chrono::Duration::from_std(stuck_after).unwrap_or_default();
    let ids = match saga.store().stuck(before, now, BATCH).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "recovery could not list stuck bookings");
            return 0;
        }
    };
    let mut moved = 0;
    for id in ids {
        match saga.recover_one(id).await {
            Ok(true) => moved += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(booking = %id, error = %e, "recovery will retry"),
        }
    }
    moved
}

/// Publishes `boxoffice_sagas_in_flight`. Every instance reports the same shared count, so
/// dashboards take the max, not the sum.
pub async fn measure_in_flight(saga: &Saga) {
    match saga.store().in_flight_count().await {
        Ok(count) => metrics::gauge!("boxoffice_sagas_in_flight").set(count as f64),
        Err(e) => tracing::warn!(error = %e, "could not count the sagas in flight"),
    }
}

/// One orphan-capture pass over closed bookings that tried to pay; returns how many
/// captures it refunded.
pub async fn capture_sweep_pass(saga: &Saga, settle_after: Duration) -> usize {
    let before = Utc::now() - chrono::Duration::from_std(settle_after).unwrap_or_default();
    let ids = match saga.store().unchecked_closed(before, BATCH).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "capture sweep could not list bookings");
            return 0;
        }
    };
    let mut refunded = 0;
    for id in ids {
        match saga.sweep_captures(id).await {
            Ok(n) => refunded += n,
            Err(e) => tracing::warn!(booking = %id, error = %e, "capture sweep will retry"),
        }
    }
    refunded
}

/// One expiry pass; returns how many bookings it expired.
pub async fn expire_pass(saga: &Saga) -> usize {
    let ids = match saga.store().expired(Utc::now(), BATCH).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "expiry could not list bookings");
            return 0;
        }
    };
    let mut expired = 0;
    for id in ids {
        match saga.expire_one(id).await {
            Ok(true) => expired += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(booking = %id, error = %e, "expiry will retry"),
        }
    }
    expired
}

pub fn spawn(
    saga: Arc<Saga>,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) -> Vec<JoinHandle<()>> {
    let recovery = {
        let saga = saga.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            loop {
                measure_in_flight(&saga).await;
                let moved = recover_pass(&saga, settings.stuck_after).await;
                if moved > 0 {
                    tracing::info!(moved, "recovery resumed stuck bookings");
                }
                let refunded = capture_sweep_pass(&saga, settings.charge_settle_after).await;
                if refunded > 0 {
                    tracing::warn!(refunded, "refunded captures of closed bookings");
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(settings.recovery_interval) => {}
                }
            }
        })
    };
    let expiry = tokio::spawn(async move {
        loop {
            let expired = expire_pass(&saga).await;
            if expired > 0 {
                tracing::info!(expired, "expired unpaid bookings");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(settings.expiry_interval) => {}
            }
        }
    });
    vec![recovery, expiry]
}
