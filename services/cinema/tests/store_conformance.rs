//! One conformance suite for the store port, run against PostgreSQL and SQLite. Time is passed
//! in, so expiry is tested by moving `now`, never by sleeping.

mod common;

use std::sync::Arc;
use std::time::Duration;

use boxoffice_cinema::domain::{
    CinemaInput, HoldLimits, HoldRequest, HoldState, Layout, MovieInput, Prices, SeatStatus,
    ShowtimeInput,
};
use boxoffice_cinema::store::{CinemaStore, PgStore, ShowtimeFilter, SqliteStore, StoreError};
use boxoffice_store::{Database, PoolSettings};
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use common::Engine;
use uuid::Uuid;

per_engine!(
    a_hold_then_confirm_sells_exactly_its_seats,
    a_hold_fails_naming_exactly_the_taken_seats_and_changes_nothing,
    a_hold_is_idempotent_on_its_id,
    a_reused_hold_id_for_other_seats_is_refused,
    an_expired_hold_is_taken_by_another_and_its_confirm_fails,
    release_frees_the_seats_and_is_idempotent,
    a_confirmed_hold_cannot_be_released,
    the_sweeper_expires_holds_and_reports_the_freed_seats,
    unknown_showtimes_seats_and_holds_are_not_found,
    overlapping_showtimes_in_one_auditorium_are_refused,
    sold_seats_protect_their_showtime_and_layout,
    catalog_lists_filters_and_updates,
);

const LIMITS: HoldLimits = HoldLimits {
    max_seats: 10,
    default_ttl: Duration::from_secs(600),
    max_ttl: Duration::from_secs(3600),
};

async fn store(engine: Engine) -> Arc<dyn CinemaStore> {
    let url = common::database_url(engine).await;
    let db = Database::connect(&url, &boxoffice_cinema::MIGRATIONS, PoolSettings::default())
        .await
        .expect("connect");
    match db {
        Database::Postgres(pool) => Arc::new(PgStore::new(pool)),
        Database::Sqlite(pool) => Arc::new(SqliteStore::new(pool).await.expect("writer")),
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2029, 6, 1, 12, 0, 0)
        .single()
        .expect("time")
}

fn prices() -> Prices {
    Prices {
        currency: "EUR".into(),
        standard: 1000,
        premium: 1500,
        accessible: 800,
    }
}

struct World {
    store: Arc<dyn CinemaStore>,
    auditorium: Uuid,
    movie: Uuid,
    showtime: Uuid,
}

async fn world(engine: Engine) -> World {
    let store = store(engine).await;
    let cinema = store
        .create_cinema(
            &CinemaInput {
                name: "Roxy".into(),
                address: "1 Main St".into(),
                time_zone: "Europe/Berlin".into(),
            },
            t0(),
        )
        .await
        .expect("cinema");
    let auditorium = store
        .create_auditorium(cinema.id, "Hall 1", &Layout::grid(3, 10), t0())
        .await
        .expect("auditorium");
    let movie = store
        .create_movie(
            &MovieInput {
                title: "Heat".into(),
                runtime_minutes: 170,
                rating: "R".into(),
                genres: vec!["crime".into()],
                synopsis: String::new(),
                poster_url: String::new(),
                release_date: None,
            },
            t0(),
        )
        .await
        .expect("movie");
    let showtime = store
        .create_showtime(
            &ShowtimeInput {
                movie_id: movie.id,
                auditorium_id: auditorium.id,
                starts_at: t0() + Span::days(1),
                prices: prices(),
            },
            t0(),
        )
        .await
        .expect("showtime");
    World {
        store,
        auditorium: auditorium.id,
        movie: movie.id,
        showtime: showtime.id,
    }
}

fn request(w: &World, seats: &[&str], ttl_secs: i64) -> HoldRequest {
    let seats: Vec<String> = seats.iter().map(|s| (*s).to_owned()).collect();
    HoldRequest::parse(
        &w.showtime.to_string(),
        &Uuid::now_v7().to_string(),
        &seats,
        ttl_secs,
        LIMITS,
    )
    .expect("valid request")
}

async fn status_of(w: &World, seat: &str, now: DateTime<Utc>) -> SeatStatus {
    let (_, seats) = w.store.seat_map(w.showtime, now).await.expect("map");
    seats
        .into_iter()
        .find(|s| s.id == seat)
        .map(|s| s.status)
        .expect("seat exists")
}

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

async fn a_confirmed_hold_cannot_be_released(engine: Engine) {
    let w = world(engine).await;
    let hold = request(&w, &["A-5"], 60);
    w.store.hold(&hold, t0()).await.expect("hold");
    w.store.confirm(hold.hold_id, t0()).await.expect("confirm");
    assert!(matches!(
        w.store.release(hold.hold_id, t0()).await,
        Err(StoreError::HoldConfirmed)
    ));
    assert_eq!(status_of(&w, "A-5", t0()).await, SeatStatus::Sold);
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

async fn overlapping_showtimes_in_one_auditorium_are_refused(engine: Engine) {
    let w = world(engine).await;
    // The first show runs 170 min + 15 min cleaning from t0 + 1 day.
    let overlapping = ShowtimeInput {
        movie_id: w.movie,
        auditorium_id: w.auditorium,
        starts_at: t0() + Span::days(1) + Span::minutes(184),
        prices: prices(),
    };
    assert!(matches!(
        w.store.create_showtime(&overlapping, t0()).await,
        Err(StoreError::Conflict(_))
    ));
    let after = ShowtimeInput {
        starts_at: t0() + Span::days(1) + Span::minutes(185),
        ..overlapping
    };
    w.store
        .create_showtime(&after, t0())
        .await
        .expect("back to back is fine");
    assert_eq!(
        w.store
            .list_showtimes(&ShowtimeFilter::default())
            .await
            .expect("list")
            .len(),
        2
    );
}

async fn sold_seats_protect_their_showtime_and_layout(engine: Engine) {
    let w = world(engine).await;
    let hold = request(&w, &["A-1"], 60);
    w.store.hold(&hold, t0()).await.expect("hold");
    w.store.confirm(hold.hold_id, t0()).await.expect("confirm");
    assert!(matches!(
        w.store.delete_showtime(w.showtime, t0()).await,
        Err(StoreError::Conflict(_))
    ));
    let moved = ShowtimeInput {
        movie_id: w.movie,
        auditorium_id: w.auditorium,
        starts_at: t0() + Span::days(2),
        prices: prices(),
    };
    assert!(matches!(
        w.store.update_showtime(w.showtime, &moved, t0()).await,
        Err(StoreError::Conflict(_))
    ));
    let repriced = ShowtimeInput {
        starts_at: t0() + Span::days(1),
        prices: Prices {
            standard: 1100,
            ..prices()
        },
        ..moved
    };
    let updated = w
        .store
        .update_showtime(w.showtime, &repriced, t0())
        .await
        .expect("prices may change");
    assert_eq!(updated.prices.standard, 1100);
    let cinema = w.store.list_cinemas().await.expect("cinemas")[0].id;
    assert!(matches!(
        w.store
            .update_auditorium(cinema, w.auditorium, "Hall 1", &Layout::grid(2, 10), t0())
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        w.store.delete_auditorium(cinema, w.auditorium).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        w.store.delete_movie(w.movie).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn catalog_lists_filters_and_updates(engine: Engine) {
    let w = world(engine).await;
    let cinema = w.store.list_cinemas().await.expect("cinemas")[0].clone();
    // A layout change with no sales rebuilds the showtime's seats.
    w.store
        .update_auditorium(cinema.id, w.auditorium, "Hall A", &Layout::grid(2, 5), t0())
        .await
        .expect("new layout");
    let (_, seats) = w.store.seat_map(w.showtime, t0()).await.expect("map");
    assert_eq!(seats.len(), 10);
    let other_movie = w
        .store
        .create_movie(
            &MovieInput {
                title: "Alien".into(),
                runtime_minutes: 117,
                rating: "R".into(),
                genres: vec![],
                synopsis: String::new(),
                poster_url: String::new(),
                release_date: None,
            },
            t0(),
        )
        .await
        .expect("movie");
    let by_movie = ShowtimeFilter {
        movie_id: Some(other_movie.id),
        ..ShowtimeFilter::default()
    };
    assert!(
        w.store
            .list_showtimes(&by_movie)
            .await
            .expect("list")
            .is_empty()
    );
    let by_cinema = ShowtimeFilter {
        cinema_id: Some(cinema.id),
        ..ShowtimeFilter::default()
    };
    let found = w.store.list_showtimes(&by_cinema).await.expect("list");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].auditorium_name, "Hall A");
    assert_eq!(found[0].ends_at - found[0].starts_at, Span::minutes(185));
    assert_eq!(
        w.store
            .get_movies(&[other_movie.id, Uuid::now_v7(), w.movie])
            .await
            .expect("batch")
            .len(),
        2
    );
    let renamed = CinemaInput {
        name: "Roxy 2".into(),
        address: cinema.address.clone(),
        time_zone: "UTC".into(),
    };
    assert_eq!(
        w.store
            .update_cinema(cinema.id, &renamed)
            .await
            .expect("update")
            .name,
        "Roxy 2"
    );
    w.store
        .delete_showtime(w.showtime, t0())
        .await
        .expect("no sales: deletable");
    w.store
        .delete_auditorium(cinema.id, w.auditorium)
        .await
        .expect("empty auditorium");
    w.store
        .delete_cinema(cinema.id)
        .await
        .expect("empty cinema");
    assert!(matches!(
        w.store.delete_cinema(cinema.id).await,
        Err(StoreError::NotFound(_))
    ));
}
