//! The store port's conformance suite, catalog half: run against PostgreSQL and SQLite.

mod common;

use boxoffice_cinema::domain::{CinemaInput, Layout, MovieInput, Prices, ShowtimeInput};
use boxoffice_cinema::store::{ShowtimeFilter, StoreError};
use chrono::Duration as Span;
use common::Engine;
use common::world::{prices, request, t0, world};
use uuid::Uuid;

per_engine!(
    overlapping_showtimes_in_one_auditorium_are_refused,
    sold_seats_protect_their_showtime_and_layout,
    catalog_lists_filters_and_updates,
    the_seat_map_carries_the_aisles_of_the_current_layout,
);

async fn the_seat_map_carries_the_aisles_of_the_current_layout(engine: Engine) {
    let w = world(engine).await;
    let cinema = w.store.list_cinemas().await.expect("cinemas")[0].clone();
    let mut layout = Layout::grid(3, 8);
    layout.rows[0].gaps_after = vec![2, 6];
    layout.rows[2].gaps_after = vec![4];
    w.store
        .update_auditorium(cinema.id, w.auditorium, "Hall A", &layout, t0())
        .await
        .expect("layout with aisles");
    let map = w.store.seat_map(w.showtime, t0()).await.expect("map");
    assert_eq!(map.seats.len(), 24);
    assert_eq!(map.aisles.gaps_after("A"), &[2, 6]);
    assert_eq!(map.aisles.gaps_after("B"), &[] as &[u16]);
    assert_eq!(map.aisles.gaps_after("C"), &[4]);
    assert_eq!(map.aisles.gaps_after("Z"), &[] as &[u16]);
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
    match w.store.create_showtime(&overlapping, t0()).await {
        Err(StoreError::Clash(clashes)) => {
            let named: Vec<_> = clashes.iter().map(|c| c.id).collect();
            assert_eq!(named, [w.showtime], "the clash names the existing showtime");
        }
        other => panic!("expected a clash, got {other:?}"),
    }
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
    let seats = w.store.seat_map(w.showtime, t0()).await.expect("map").seats;
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
