//! The store port's conformance suite, inventory half: run against PostgreSQL and SQLite. Time
//! is passed in, so expiry is tested by moving `now`, never by sleeping.

mod common;

use boxoffice_cinema::domain::{HoldRequest, HoldState, SeatStatus};
use boxoffice_cinema::store::StoreError;
use chrono::Duration as Span;
use common::Engine;
use common::world::{request, status_of, t0, world};
use uuid::Uuid;

per_engine!(
    a_hold_then_confirm_sells_exactly_its_seats,
    a_hold_fails_naming_exactly_the_taken_seats_and_changes_nothing,
    a_hold_is_idempotent_on_its_id,
    a_reused_hold_id_for_other_seats_is_refused,
    an_expired_hold_is_taken_by_another_and_its_confirm_fails,
    release_frees_the_seats_and_is_idempotent,
    releasing_a_confirmed_hold_returns_its_sold_seats,
    the_sweeper_expires_holds_and_reports_the_freed_seats,
    unknown_showtimes_seats_and_holds_are_not_found,
);

async fn a_hold_then_confirm_sells_exactly_its_seats(engine: Engine) {
    let w = world(engine).await;
    let hold = request(&w, &["B-2", "A-1"], 60);
    let (record, changes) = w.store.hold(&hold, t0()).await.expect("hold");
    assert_eq!(record.seat_ids, ["A-1", "B-2"]);
    assert_eq!(record.total.amount, 2000);
    assert_eq!(changes.len(), 2);
    assert_eq!(status_of(&w, "A-1", t0()).await, SeatStatus::Held);
    let (confirmed, changes) = w
        .store
        .confirm(hold.hold_id, t0() + Span::seconds(30))
        .await
        .expect("confirm");
    assert_eq!(confirmed.state, HoldState::Confirmed);
    assert!(changes.iter().all(|c| c.status == SeatStatus::Sold));
    assert_eq!(
        status_of(&w, "B-2", t0() + Span::days(9)).await,
        SeatStatus::Sold
    );
    assert_eq!(status_of(&w, "A-2", t0()).await, SeatStatus::Available);
    // Confirm is idempotent and changes nothing the second time.
    let (again, changes) = w
        .store
        .confirm(hold.hold_id, t0() + Span::hours(2))
        .await
        .expect("confirm again");
    assert_eq!(again.state, HoldState::Confirmed);
    assert!(changes.is_empty());
}

async fn a_hold_fails_naming_exactly_the_taken_seats_and_changes_nothing(engine: Engine) {
    let w = world(engine).await;
    let first = request(&w, &["A-1", "A-2"], 60);
    w.store.hold(&first, t0()).await.expect("first hold");
    w.store.confirm(first.hold_id, t0()).await.expect("confirm");
    w.store
        .hold(&request(&w, &["A-3"], 60), t0())
        .await
        .expect("second hold");
    let clash = request(&w, &["A-4", "A-3", "A-2"], 60);
    match w.store.hold(&clash, t0()).await {
        Err(StoreError::SeatsUnavailable(seats)) => assert_eq!(seats, ["A-2", "A-3"]),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        status_of(&w, "A-4", t0()).await,
        SeatStatus::Available,
        "all or nothing"
    );
    assert!(matches!(
        w.store.get_hold(clash.hold_id, t0()).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn a_hold_is_idempotent_on_its_id(engine: Engine) {
    let w = world(engine).await;
    let hold = request(&w, &["C-1", "C-2"], 60);
    let (first, _) = w.store.hold(&hold, t0()).await.expect("hold");
    let (retry, changes) = w
        .store
        .hold(&hold, t0() + Span::seconds(5))
        .await
        .expect("retry");
    assert_eq!(retry.expires_at, first.expires_at);
    assert_eq!(retry.seat_ids, first.seat_ids);
    assert!(changes.is_empty(), "a retry changes nothing");
}

async fn a_reused_hold_id_for_other_seats_is_refused(engine: Engine) {
    let w = world(engine).await;
    let hold = request(&w, &["C-1"], 60);
    w.store.hold(&hold, t0()).await.expect("hold");
    let reused = HoldRequest {
        seats: vec!["C-2".parse().expect("seat")],
        ..hold
    };
    assert!(matches!(
        w.store.hold(&reused, t0()).await,
        Err(StoreError::HoldIdReused)
    ));
    assert_eq!(status_of(&w, "C-2", t0()).await, SeatStatus::Available);
}

async fn an_expired_hold_is_taken_by_another_and_its_confirm_fails(engine: Engine) {
    let w = world(engine).await;
    let first = request(&w, &["B-5", "B-6"], 60);
    w.store.hold(&first, t0()).await.expect("first hold");
    let later = t0() + Span::seconds(61);
    assert_eq!(
        status_of(&w, "B-5", later).await,
        SeatStatus::Available,
        "an expired hold reads as free"
    );
    let second = request(&w, &["B-6"], 60);
    w.store
        .hold(&second, later)
        .await
        .expect("the expired seat is free to take");
    assert!(matches!(
        w.store.confirm(first.hold_id, later).await,
        Err(StoreError::HoldExpired)
    ));
    let (confirmed, _) = w
        .store
        .confirm(second.hold_id, later)
        .await
        .expect("second confirms");
    assert_eq!(confirmed.seat_ids, ["B-6"]);
    // The first hold's release gives back only what it still had, not the seat sold to the second.
    w.store
        .release(first.hold_id, later)
        .await
        .expect("release expired hold");
    assert_eq!(status_of(&w, "B-6", later).await, SeatStatus::Sold);
}

async fn release_frees_the_seats_and_is_idempotent(engine: Engine) {
    let w = world(engine).await;
    let hold = request(&w, &["A-9", "A-10"], 60);
    w.store.hold(&hold, t0()).await.expect("hold");
    let (released, changes) = w.store.release(hold.hold_id, t0()).await.expect("release");
    assert_eq!(released.state, HoldState::Released);
    assert_eq!(changes.len(), 2);
    assert_eq!(status_of(&w, "A-10", t0()).await, SeatStatus::Available);
    let (_, changes) = w
        .store
        .release(hold.hold_id, t0())
        .await
        .expect("release again");
    assert!(changes.is_empty());
    // A retried HoldSeats of the released hold answers with the recorded hold, holding nothing.
    let (retry, changes) = w
        .store
        .hold(&hold, t0())
        .await
        .expect("retry after release");
    assert_eq!(retry.state, HoldState::Released);
    assert!(changes.is_empty());
    assert_eq!(status_of(&w, "A-9", t0()).await, SeatStatus::Available);
    assert!(matches!(
        w.store.confirm(hold.hold_id, t0()).await,
        Err(StoreError::HoldReleased)
    ));
    w.store
        .hold(&request(&w, &["A-9"], 60), t0())
        .await
        .expect("released seats can be held");
}

async fn releasing_a_confirmed_hold_returns_its_sold_seats(engine: Engine) {
    let w = world(engine).await;
    let hold = request(&w, &["A-5"], 60);
    w.store.hold(&hold, t0()).await.expect("hold");
    w.store.confirm(hold.hold_id, t0()).await.expect("confirm");
    assert_eq!(status_of(&w, "A-5", t0()).await, SeatStatus::Sold);
    // After a refund the booking service releases the hold: the seat is for sale again.
    let (released, changes) = w.store.release(hold.hold_id, t0()).await.expect("release");
    assert_eq!(released.state, HoldState::Released);
    assert_eq!(changes.len(), 1);
    assert_eq!(status_of(&w, "A-5", t0()).await, SeatStatus::Available);
    // Idempotent, and the released hold can no longer be confirmed.
    w.store
        .release(hold.hold_id, t0())
        .await
        .expect("release again");
    assert!(matches!(
        w.store.confirm(hold.hold_id, t0()).await,
        Err(StoreError::HoldReleased)
    ));
}

async fn the_sweeper_expires_holds_and_reports_the_freed_seats(engine: Engine) {
    let w = world(engine).await;
    let short = request(&w, &["C-9", "C-10"], 30);
    let long = request(&w, &["C-1"], 600);
    w.store.hold(&short, t0()).await.expect("hold");
    w.store.hold(&long, t0()).await.expect("hold");
    assert!(
        w.store
            .expire_holds(t0() + Span::seconds(10), 100)
            .await
            .expect("sweep")
            .is_empty()
    );
    let freed = w
        .store
        .expire_holds(t0() + Span::seconds(31), 100)
        .await
        .expect("sweep");
    let mut seats: Vec<&str> = freed.iter().map(|c| c.seat_id.as_str()).collect();
    seats.sort();
    assert_eq!(seats, ["C-10", "C-9"]);
    assert!(freed.iter().all(|c| c.status == SeatStatus::Available));
    assert_eq!(
        w.store
            .get_hold(short.hold_id, t0())
            .await
            .expect("hold")
            .state,
        HoldState::Expired
    );
    assert_eq!(
        w.store
            .get_hold(long.hold_id, t0())
            .await
            .expect("hold")
            .state,
        HoldState::Held
    );
}

async fn unknown_showtimes_seats_and_holds_are_not_found(engine: Engine) {
    let w = world(engine).await;
    let mut unknown_showtime = request(&w, &["A-1"], 60);
    unknown_showtime.showtime_id = Uuid::now_v7();
    assert!(matches!(
        w.store.hold(&unknown_showtime, t0()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        matches!(w.store.hold(&request(&w, &["A-1", "Z-99"], 60), t0()).await, Err(StoreError::NotFound(what)) if what.contains("Z-99"))
    );
    assert_eq!(status_of(&w, "A-1", t0()).await, SeatStatus::Available);
    assert!(matches!(
        w.store.confirm(Uuid::now_v7(), t0()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        w.store.release(Uuid::now_v7(), t0()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        w.store.seat_map(Uuid::now_v7(), t0()).await,
        Err(StoreError::NotFound(_))
    ));
}
