//! The gRPC API end to end: bad input, expiry takeover, the seat-map stream, the catalog.

mod common;

use std::time::Duration;

use boxoffice_proto::cinema::v1 as pb;
use boxoffice_proto::cinema::v1::catalog_client::CatalogClient;
use common::{Engine, TestApp, hold_request, new_id, test_settings};
use futures::StreamExt;
use tonic::Code;

per_engine!(
    bad_hold_requests_are_rejected_and_change_nothing,
    an_expired_hold_is_taken_over_and_the_first_confirm_fails,
    watchers_see_holds_confirms_and_releases,
    the_catalog_serves_movies_cinemas_and_filtered_showtimes,
    the_seat_map_carries_each_rows_aisles,
);

async fn seat_map(app: &TestApp, showtime_id: &str) -> pb::SeatMap {
    app.inventory()
        .await
        .get_seat_map(pb::GetSeatMapRequest {
            showtime_id: showtime_id.to_owned(),
        })
        .await
        .expect("map")
        .into_inner()
}

async fn seat_statuses(app: &TestApp, showtime_id: &str) -> Vec<(String, i32)> {
    seat_map(app, showtime_id)
        .await
        .rows
        .into_iter()
        .flat_map(|r| r.seats)
        .map(|s| (s.id, s.status))
        .collect()
}

/// Staff re-enter the layout with aisles (no seat is sold, so the showtime's seats are made
/// anew); the map then gives each row its own gaps, and none to a row without.
async fn the_seat_map_carries_each_rows_aisles(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(3, 6).await;
    let mut layout = boxoffice_cinema::domain::Layout::grid(3, 6);
    layout.rows[0].gaps_after = vec![2, 4];
    layout.rows[2].gaps_after = vec![3];
    let (status, body) = app
        .admin(
            reqwest::Method::PUT,
            &format!(
                "/api/v1/admin/cinemas/{}/auditoriums/{}",
                seeded.cinema_id, seeded.auditorium_id
            ),
            Some(serde_json::json!({"name": "Hall 1", "layout": layout})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let map = seat_map(&app, &seeded.showtime_id).await;
    let aisles: Vec<(&str, &[u32])> = map
        .rows
        .iter()
        .map(|r| (r.label.as_str(), r.gaps_after.as_slice()))
        .collect();
    assert_eq!(
        aisles,
        [("A", &[2, 4][..]), ("B", &[][..]), ("C", &[3][..])]
    );
    assert!(map.rows.iter().all(|r| r.seats.len() == 6));
    app.stop().await;
}

async fn bad_hold_requests_are_rejected_and_change_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(3, 12).await;
    let st = seeded.showtime_id.as_str();
    let before = seat_statuses(&app, st).await;
    assert!(
        before
            .iter()
            .all(|(_, s)| *s == pb::SeatStatus::Available as i32)
    );
    let eleven: Vec<String> = (1..=11).map(|n| format!("A-{n}")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    let cases: Vec<(&str, pb::HoldSeatsRequest, Code)> = vec![
        (
            "unknown showtime",
            hold_request(&new_id(), &["A-1"], &new_id(), 60),
            Code::NotFound,
        ),
        (
            "malformed showtime id",
            hold_request("nope", &["A-1"], &new_id(), 60),
            Code::InvalidArgument,
        ),
        (
            "unknown seat",
            hold_request(st, &["A-1", "Q-40"], &new_id(), 60),
            Code::NotFound,
        ),
        (
            "malformed seat id",
            hold_request(st, &["A1"], &new_id(), 60),
            Code::InvalidArgument,
        ),
        (
            "duplicate seat ids",
            hold_request(st, &["A-1", "A-1"], &new_id(), 60),
            Code::InvalidArgument,
        ),
        (
            "empty seat list",
            hold_request(st, &[], &new_id(), 60),
            Code::InvalidArgument,
        ),
        (
            "too many seats",
            hold_request(st, &eleven, &new_id(), 60),
            Code::InvalidArgument,
        ),
        (
            "negative ttl",
            hold_request(st, &["A-1"], &new_id(), -1),
            Code::InvalidArgument,
        ),
        (
            "zero ttl",
            hold_request(st, &["A-1"], &new_id(), 0),
            Code::InvalidArgument,
        ),
        (
            "malformed hold id",
            hold_request(st, &["A-1"], "", 60),
            Code::InvalidArgument,
        ),
    ];
    let mut client = app.inventory().await;
    for (case, request, code) in cases {
        let status = client.hold_seats(request).await.expect_err(case);
        assert_eq!(status.code(), code, "{case}: {status:?}");
    }
    // No ttl means the service default (10 minutes).
    let hold_id = new_id();
    let hold = client
        .hold_seats(pb::HoldSeatsRequest {
            ttl_seconds: None,
            ..hold_request(st, &["B-1"], &hold_id, 1)
        })
        .await
        .expect("default ttl")
        .into_inner();
    let expires = hold.expires_at.expect("expiry").seconds - chrono::Utc::now().timestamp();
    assert!((590..=601).contains(&expires), "{expires}");
    client
        .release_hold(pb::ReleaseHoldRequest { hold_id })
        .await
        .expect("release");
    let conflict_confirm = client
        .confirm_hold(pb::ConfirmHoldRequest { hold_id: new_id() })
        .await
        .expect_err("unknown hold");
    assert_eq!(conflict_confirm.code(), Code::NotFound);
    let bad_release = client
        .release_hold(pb::ReleaseHoldRequest {
            hold_id: "x".into(),
        })
        .await
        .expect_err("bad id");
    assert_eq!(bad_release.code(), Code::InvalidArgument);
    assert_eq!(seat_statuses(&app, st).await, before, "nothing changed");
    app.stop().await;
}

async fn an_expired_hold_is_taken_over_and_the_first_confirm_fails(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    let mut first = app.inventory().await;
    let mut second = app.inventory().await;
    let first_hold = new_id();
    first
        .hold_seats(hold_request(
            &seeded.showtime_id,
            &["A-1", "A-2"],
            &first_hold,
            2,
        ))
        .await
        .expect("first hold");
    let conflict = second
        .hold_seats(hold_request(&seeded.showtime_id, &["A-2"], &new_id(), 60))
        .await
        .expect_err("still held");
    assert_eq!(
        boxoffice_proto::unavailable_seats(&conflict),
        Some(vec!["A-2".to_owned()])
    );
    // Waiting out a two-second hold (its expiry is rounded up to a whole second, so it lasts
    // 2 to 3 s) is the behaviour under test, not a wait for a server to come up.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let second_hold = new_id();
    second
        .hold_seats(hold_request(
            &seeded.showtime_id,
            &["A-2"],
            &second_hold,
            60,
        ))
        .await
        .expect("the expired seat is taken over");
    let failed = first
        .confirm_hold(pb::ConfirmHoldRequest {
            hold_id: first_hold,
        })
        .await
        .expect_err("first confirm fails");
    assert_eq!(failed.code(), Code::FailedPrecondition);
    assert!(
        failed.message().starts_with("HOLD_EXPIRED"),
        "{}",
        failed.message()
    );
    second
        .confirm_hold(pb::ConfirmHoldRequest {
            hold_id: second_hold,
        })
        .await
        .expect("second confirm");
    app.stop().await;
}

async fn watchers_see_holds_confirms_and_releases(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    // On PostgreSQL, a second instance on the same database: its watcher must see changes
    // made through the first (LISTEN/NOTIFY). On SQLite there is one process.
    let second = match engine {
        Engine::Postgres => Some(TestApp::spawn_with(test_settings(&app.database_url)).await),
        Engine::Sqlite => None,
    };
    let watched = second.as_ref().unwrap_or(&app);
    let mut stream = watched
        .inventory()
        .await
        .watch_seat_map(pb::WatchSeatMapRequest {
            showtime_id: seeded.showtime_id.clone(),
        })
        .await
        .expect("watch")
        .into_inner();
    let mut client = app.inventory().await;
    let hold_id = new_id();
    client
        .hold_seats(hold_request(
            &seeded.showtime_id,
            &["B-2", "B-1"],
            &hold_id,
            60,
        ))
        .await
        .expect("hold");
    client
        .confirm_hold(pb::ConfirmHoldRequest { hold_id })
        .await
        .expect("confirm");
    let other = new_id();
    client
        .hold_seats(hold_request(&seeded.showtime_id, &["A-3"], &other, 60))
        .await
        .expect("hold");
    client
        .release_hold(pb::ReleaseHoldRequest { hold_id: other })
        .await
        .expect("release");
    let mut seen = Vec::new();
    while seen.len() < 6 {
        let change = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a change arrives")
            .expect("open")
            .expect("ok");
        assert_eq!(change.showtime_id, seeded.showtime_id);
        seen.push((change.seat_id, change.status, change.version));
    }
    use pb::SeatStatus::{Available, Held, Sold};
    assert_eq!(
        seen,
        [
            ("B-1".to_owned(), Held as i32, 1),
            ("B-2".to_owned(), Held as i32, 1),
            ("B-1".to_owned(), Sold as i32, 2),
            ("B-2".to_owned(), Sold as i32, 2),
            ("A-3".to_owned(), Held as i32, 1),
            ("A-3".to_owned(), Available as i32, 2),
        ]
    );
    let unknown = client
        .watch_seat_map(pb::WatchSeatMapRequest {
            showtime_id: new_id(),
        })
        .await
        .expect_err("unknown showtime");
    assert_eq!(unknown.code(), Code::NotFound);
    if let Some(second) = second {
        second.stop().await;
    }
    app.stop().await;
}

async fn the_catalog_serves_movies_cinemas_and_filtered_showtimes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    let mut catalog = CatalogClient::new(app.credential().channel(app.channel().await));
    let movies = catalog
        .list_movies(pb::ListMoviesRequest {})
        .await
        .expect("movies")
        .into_inner()
        .movies;
    assert_eq!(movies.len(), 1);
    assert_eq!(
        (movies[0].title.as_str(), movies[0].runtime_minutes),
        ("Heat", 170)
    );
    let cinema = catalog
        .get_cinema(pb::GetCinemaRequest {
            id: seeded.cinema_id.clone(),
        })
        .await
        .expect("cinema")
        .into_inner();
    assert_eq!(cinema.time_zone, "Europe/Berlin");
    let missing = catalog
        .get_movie(pb::GetMovieRequest { id: new_id() })
        .await
        .expect_err("unknown movie");
    assert_eq!(missing.code(), Code::NotFound);
    // 18:00 UTC on 2030-01-01 is 19:00 the same day in Berlin.
    let on = |date: &str| pb::ListShowtimesRequest {
        movie_id: Some(seeded.movie_id.clone()),
        cinema_id: None,
        date: Some(date.to_owned()),
    };
    let found = catalog
        .list_showtimes(on("2030-01-01"))
        .await
        .expect("list")
        .into_inner()
        .showtimes;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].auditorium_name, "Hall 1");
    assert_eq!(found[0].prices.len(), 3);
    assert!(
        catalog
            .list_showtimes(on("2030-01-02"))
            .await
            .expect("list")
            .into_inner()
            .showtimes
            .is_empty()
    );
    let bad_date = catalog
        .list_showtimes(on("01/01/2030"))
        .await
        .expect_err("bad date");
    assert_eq!(bad_date.code(), Code::InvalidArgument);
    let batch = catalog
        .batch_get_showtimes(pb::BatchGetRequest {
            ids: vec![seeded.showtime_id.clone(), new_id()],
        })
        .await
        .expect("batch")
        .into_inner()
        .showtimes;
    assert_eq!(batch.len(), 1);
    let map = seat_map(&app, &seeded.showtime_id).await;
    assert_eq!(map.rows.len(), 2);
    let seat = &map.rows[1].seats[4];
    assert_eq!(
        (seat.id.as_str(), seat.row.as_str(), seat.number),
        ("B-5", "B", 5)
    );
    assert_eq!(
        seat.price.as_ref().map(|p| (p.amount, p.currency.as_str())),
        Some((1200, "EUR"))
    );
    app.stop().await;
}
