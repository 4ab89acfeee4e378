//! The invariants, as pure functions over a snapshot.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::load::{BookingRow, Snapshot};
use crate::{Allowances, Finding, Report};

/// Saga steps where a booking rests (the booking service's `SagaStep`); every other step is
/// in flight between an outbound call and its recorded outcome.
const SETTLED_STEPS: &[&str] = &["held", "confirmed", "closed", "failed"];

pub fn check(snapshot: &Snapshot, allowances: Allowances, now: DateTime<Utc>) -> Report {
    let findings = vec![
        no_double_sale(snapshot),
        sold_seats_match_bookings(snapshot),
        no_stale_holds(snapshot, allowances, now),
        money_matches(snapshot, allowances, now),
        payments_have_bookings(snapshot),
        outbox_published(snapshot, allowances, now),
        one_notification_per_event(snapshot),
        no_stalled_sagas(snapshot, allowances, now),
    ];
    Report {
        ok: findings.iter().all(Finding::ok),
        findings,
    }
}

fn finding(
    invariant: &'static str,
    description: &'static str,
    checked: usize,
    violations: Vec<String>,
) -> Finding {
    Finding {
        invariant,
        description,
        checked,
        violations,
    }
}

fn confirmed(snapshot: &Snapshot) -> impl Iterator<Item = &BookingRow> {
    snapshot.bookings.iter().filter(|b| b.status == "CONFIRMED")
}

fn no_double_sale(snapshot: &Snapshot) -> Finding {
    let mut owners: HashMap<(Uuid, &str), Vec<Uuid>> = HashMap::new();
    for booking in confirmed(snapshot) {
        for seat in &booking.seat_ids {
            owners
                .entry((booking.showtime_id, seat))
                .or_default()
                .push(booking.id);
        }
    }
    let violations = owners
        .iter()
        .filter(|(_, bookings)| bookings.len() > 1)
        .map(|((showtime, seat), bookings)| {
            format!("seat {seat} of showtime {showtime} is in CONFIRMED bookings {bookings:?}")
        })
        .collect();
    finding(
        "I1",
        "no seat in two CONFIRMED bookings",
        owners.len(),
        violations,
    )
}

fn sold_seats_match_bookings(snapshot: &Snapshot) -> Finding {
    let sold: HashMap<(Uuid, &str), Option<Uuid>> = snapshot
        .seats
        .iter()
        .filter(|s| s.status == "sold")
        .map(|s| ((s.showtime_id, s.seat_id.as_str()), s.hold_id))
        .collect();
    let mut expected: HashMap<(Uuid, &str), Uuid> = HashMap::new();
    let mut violations = Vec::new();
    for booking in confirmed(snapshot) {
        for seat in &booking.seat_ids {
            expected.insert((booking.showtime_id, seat), booking.hold_id);
            match sold.get(&(booking.showtime_id, seat.as_str())) {
                Some(Some(hold)) if *hold == booking.hold_id => {}
                Some(other) => violations.push(format!(
                    "seat {seat} of CONFIRMED booking {} is sold to hold {other:?}",
                    booking.id
                )),
                None => violations.push(format!(
                    "seat {seat} of CONFIRMED booking {} is not SOLD",
                    booking.id
                )),
            }
        }
    }
    for ((showtime, seat), hold) in &sold {
        if !expected.contains_key(&(*showtime, *seat)) {
            violations.push(format!("seat {seat} of showtime {showtime} is SOLD (hold {hold:?}) but in no CONFIRMED booking"));
        }
    }
    finding(
        "I1",
        "SOLD seats and CONFIRMED bookings match one to one",
        sold.len().max(expected.len()),
        violations,
    )
}

fn no_stale_holds(snapshot: &Snapshot, allowances: Allowances, now: DateTime<Utc>) -> Finding {
    let deadline = now - allowances.sweep;
    let held: Vec<_> = snapshot
        .seats
        .iter()
        .filter(|s| s.status == "held")
        .collect();
    let violations = held
        .iter()
        .filter(|s| s.held_until.is_none_or(|until| until < deadline))
        .map(|s| {
            format!(
                "seat {} of showtime {} still HELD, expired at {:?}",
                s.seat_id, s.showtime_id, s.held_until
            )
        })
        .collect();
    finding(
        "I1",
        "no HELD seat past its expiry plus the sweep interval",
        held.len(),
        violations,
    )
}

fn money_matches(snapshot: &Snapshot, allowances: Allowances, now: DateTime<Utc>) -> Finding {
    let booking_of: HashMap<Uuid, Uuid> = snapshot
        .payments
        .iter()
        .map(|p| (p.id, p.booking_id))
        .collect();
    let mut net: HashMap<Uuid, i64> = HashMap::new();
    for entry in &snapshot.ledger {
        let Some(booking) = booking_of.get(&entry.payment_id) else {
            continue;
        };
        let signed = if entry.kind == "refund" {
            -entry.amount
        } else {
            entry.amount
        };
        *net.entry(*booking).or_default() += signed;
    }
    let settled_before = now - allowances.saga_stall;
    let mut violations = Vec::new();
    let mut checked = 0;
    for booking in &snapshot.bookings {
        // A booking between steps may legitimately hold a capture for a moment (charged, not
        // yet confirmed); it is judged once settled, or once it has stalled too long (I5).
        if !SETTLED_STEPS.contains(&booking.step.as_str()) && booking.updated_at > settled_before {
            continue;
        }
        checked += 1;
        let captured = net.get(&booking.id).copied().unwrap_or(0);
        let expected = if booking.status == "CONFIRMED" {
            booking.total_amount
        } else {
            0
        };
        if captured != expected {
            violations.push(format!(
                "booking {} is {} with net capture {captured}, expected {expected}",
                booking.id, booking.status
            ));
        }
    }
    finding(
        "I2",
        "captured − refunded = total for CONFIRMED, 0 otherwise",
        checked,
        violations,
    )
}

fn payments_have_bookings(snapshot: &Snapshot) -> Finding {
    let bookings: HashSet<Uuid> = snapshot.bookings.iter().map(|b| b.id).collect();
    let violations = snapshot
        .payments
        .iter()
        .filter(|p| !bookings.contains(&p.booking_id))
        .map(|p| {
            format!(
                "payment {} ({}) names unknown booking {}",
                p.id, p.status, p.booking_id
            )
        })
        .collect();
    finding(
        "I2",
        "no payment without a booking",
        snapshot.payments.len(),
        violations,
    )
}

fn outbox_published(snapshot: &Snapshot, allowances: Allowances, now: DateTime<Utc>) -> Finding {
    let deadline = now - allowances.outbox_lag;
    let violations = snapshot
        .outbox
        .iter()
        .filter(|row| !row.published && row.occurred_at < deadline)
        .map(|row| {
            format!(
                "{} outbox event {} unpublished since {}",
                row.store, row.id, row.occurred_at
            )
        })
        .collect();
    finding(
        "I3",
        "every outbox row published within the allowed lag",
        snapshot.outbox.len(),
        violations,
    )
}

fn one_notification_per_event(snapshot: &Snapshot) -> Finding {
    let violations = snapshot
        .notifications
        .iter()
        .filter(|(_, _, count)| *count > 1)
        .map(|(event, channel, count)| format!("event {event} notified {count} times on {channel}"))
        .collect();
    finding(
        "I4",
        "at most one notification per (event, channel)",
        snapshot.notifications.len(),
        violations,
    )
}

fn no_stalled_sagas(snapshot: &Snapshot, allowances: Allowances, now: DateTime<Utc>) -> Finding {
    let deadline = now - allowances.saga_stall;
    let in_flight: Vec<_> = snapshot
        .bookings
        .iter()
        .filter(|b| !SETTLED_STEPS.contains(&b.step.as_str()))
        .collect();
    let violations = in_flight
        .iter()
        .filter(|b| b.updated_at < deadline)
        .map(|b| {
            format!(
                "booking {} stuck in step {} since {}",
                b.id, b.step, b.updated_at
            )
        })
        .collect();
    finding(
        "I5",
        "no saga between steps longer than the stated bound",
        in_flight.len(),
        violations,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LedgerRow, PaymentRow, SeatRow};

    fn booking(status: &str, step: &str, seats: &[&str], hold: Uuid, showtime: Uuid) -> BookingRow {
        BookingRow {
            id: Uuid::now_v7(),
            showtime_id: showtime,
            hold_id: hold,
            status: status.into(),
            step: step.into(),
            seat_ids: seats.iter().map(|s| s.to_string()).collect(),
            total_amount: 2000,
            updated_at: Utc::now(),
        }
    }

    fn sold(showtime: Uuid, seat: &str, hold: Uuid) -> SeatRow {
        SeatRow {
            showtime_id: showtime,
            seat_id: seat.into(),
            status: "sold".into(),
            hold_id: Some(hold),
            held_until: None,
        }
    }

    fn clean_snapshot() -> (Snapshot, Uuid) {
        let showtime = Uuid::now_v7();
        let hold = Uuid::now_v7();
        let confirmed = booking("CONFIRMED", "confirmed", &["A-1", "A-2"], hold, showtime);
        let payment = PaymentRow {
            id: Uuid::now_v7(),
            booking_id: confirmed.id,
            status: "succeeded".into(),
        };
        let snapshot = Snapshot {
            seats: vec![sold(showtime, "A-1", hold), sold(showtime, "A-2", hold)],
            ledger: vec![LedgerRow {
                payment_id: payment.id,
                kind: "charge".into(),
                amount: 2000,
            }],
            payments: vec![payment],
            bookings: vec![confirmed],
            ..Snapshot::default()
        };
        (snapshot, showtime)
    }

    #[test]
    fn a_consistent_snapshot_passes() {
        let (snapshot, _) = clean_snapshot();
        let report = check(&snapshot, Allowances::default(), Utc::now());
        assert!(report.ok, "{}", report.table());
    }

    #[test]
    fn a_seat_in_two_confirmed_bookings_is_reported() {
        let (mut snapshot, showtime) = clean_snapshot();
        snapshot.bookings.push(booking(
            "CONFIRMED",
            "confirmed",
            &["A-2"],
            Uuid::now_v7(),
            showtime,
        ));
        let report = check(&snapshot, Allowances::default(), Utc::now());
        assert!(!report.ok);
        assert!(!report.findings[0].ok());
    }

    #[test]
    fn a_capture_on_a_cancelled_booking_is_reported() {
        let (mut snapshot, _) = clean_snapshot();
        snapshot.bookings[0].status = "CANCELLED".into();
        snapshot.bookings[0].step = "closed".into();
        snapshot.seats.clear();
        let report = check(&snapshot, Allowances::default(), Utc::now());
        let money = report
            .findings
            .iter()
            .find(|f| f.description.starts_with("captured"))
            .expect("I2");
        assert_eq!(money.violations.len(), 1, "{}", report.table());
    }

    #[test]
    fn a_sold_seat_without_a_booking_and_a_payment_without_a_booking_are_reported() {
        let (mut snapshot, showtime) = clean_snapshot();
        snapshot.seats.push(sold(showtime, "B-1", Uuid::now_v7()));
        snapshot.payments.push(PaymentRow {
            id: Uuid::now_v7(),
            booking_id: Uuid::now_v7(),
            status: "succeeded".into(),
        });
        let report = check(&snapshot, Allowances::default(), Utc::now());
        assert!(!report.findings[1].ok());
        assert!(!report.findings[4].ok());
    }

    #[test]
    fn stalled_sagas_and_old_unpublished_events_are_reported() {
        let (mut snapshot, showtime) = clean_snapshot();
        let mut stuck = booking("PENDING", "charging", &["C-1"], Uuid::now_v7(), showtime);
        stuck.updated_at = Utc::now() - chrono::Duration::hours(1);
        snapshot.bookings.push(stuck);
        snapshot.outbox.push(crate::load::OutboxRow {
            store: "booking",
            id: Uuid::now_v7(),
            occurred_at: Utc::now() - chrono::Duration::hours(1),
            published: false,
        });
        snapshot
            .notifications
            .push((Uuid::now_v7(), "email".into(), 2));
        let report = check(&snapshot, Allowances::default(), Utc::now());
        for invariant in ["I3", "I4", "I5"] {
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.invariant == invariant && !f.ok()),
                "{invariant}: {}",
                report.table()
            );
        }
    }
}
