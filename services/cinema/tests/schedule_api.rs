//! Scheduling for staff: clash details, daily series, the local-day filter, seat-map order.

mod common;

use boxoffice_proto::cinema::v1 as pb;
use common::{Engine, Seeded, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

per_engine!(
    a_clash_names_the_showtime_it_overlaps,
    a_series_is_created_all_or_none_and_names_every_clash,
    the_day_filter_uses_the_cinemas_time_zone,
    a_right_to_left_row_keeps_its_drawing_order_in_the_seat_map,
);

fn showtime(seeded: &Seeded, starts_at: &str) -> Value {
    json!({"movie_id": seeded.movie_id, "auditorium_id": seeded.auditorium_id, "starts_at": starts_at,
           "prices": {"currency": "EUR", "standard": 1200, "premium": 1600, "accessible": 900}})
}

/// What a clash entry must say about the seeded showtime (18:00 + 170 min + 15 min cleaning).
fn seeded_clash(seeded: &Seeded) -> Value {
    json!({
        "id": seeded.showtime_id, "movie_id": seeded.movie_id, "movie_title": "Heat",
        "auditorium_id": seeded.auditorium_id, "auditorium_name": "Hall 1",
        "starts_at": "2030-01-01T18:00:00Z", "ends_at": "2030-01-01T21:05:00Z",
    })
}

async fn a_clash_names_the_showtime_it_overlaps(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    let (status, problem) = app
        .admin(
            Method::POST,
            "/api/v1/admin/showtimes",
            Some(showtime(&seeded, "2030-01-01T21:00:00Z")),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "SHOWTIME_CLASH");
    assert_eq!(problem["clashes"], json!([seeded_clash(&seeded)]));
    // Moving another showtime onto the seeded one names it too, and not the moved one.
    let other = app
        .post(
            "/api/v1/admin/showtimes",
            showtime(&seeded, "2030-01-02T18:00:00Z"),
        )
        .await;
    let (status, problem) = app
        .admin(
            Method::PUT,
            &format!(
                "/api/v1/admin/showtimes/{}",
                other["id"].as_str().expect("id")
            ),
            Some(showtime(&seeded, "2030-01-01T16:00:00Z")),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["clashes"], json!([seeded_clash(&seeded)]));
    app.stop().await;
}

async fn a_series_is_created_all_or_none_and_names_every_clash(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    let late = app
        .post(
            "/api/v1/admin/showtimes",
            showtime(&seeded, "2030-01-03T19:00:00Z"),
        )
        .await;
    let series = |starts_at: &str, days: i64| {
        let mut body = showtime(&seeded, starts_at);
        body["days"] = json!(days);
        body
    };
    // Five days from 2029-12-30: the third meets the seeded show, the fifth the late one.
    let (status, problem) = app
        .admin(
            Method::POST,
            "/api/v1/admin/showtimes/series",
            Some(series("2029-12-30T18:00:00Z", 5)),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "SHOWTIME_CLASH");
    let mut first = seeded_clash(&seeded);
    first["requested_starts_at"] = json!("2030-01-01T18:00:00Z");
    let second = json!({
        "id": late["id"], "movie_id": seeded.movie_id, "movie_title": "Heat",
        "auditorium_id": seeded.auditorium_id, "auditorium_name": "Hall 1",
        "starts_at": "2030-01-03T19:00:00Z", "ends_at": "2030-01-03T22:05:00Z",
        "requested_starts_at": "2030-01-03T18:00:00Z",
    });
    assert_eq!(problem["clashes"], json!([first, second]));
    let (_, listed) = app
        .admin(Method::GET, "/api/v1/admin/showtimes", None)
        .await;
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(2),
        "nothing was created"
    );

    for days in [0, 61] {
        let (status, _) = app
            .admin(
                Method::POST,
                "/api/v1/admin/showtimes/series",
                Some(series("2030-02-01T18:00:00Z", days)),
            )
            .await;
        assert_eq!(status, 422, "days {days}");
    }
    let created = app
        .post(
            "/api/v1/admin/showtimes/series",
            series("2030-02-01T18:00:00Z", 3),
        )
        .await;
    let starts: Vec<&str> = created
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["starts_at"].as_str().expect("starts_at"))
        .collect();
    assert_eq!(
        starts,
        [
            "2030-02-01T18:00:00Z",
            "2030-02-02T18:00:00Z",
            "2030-02-03T18:00:00Z"
        ]
    );
    assert_eq!(created[2]["ends_at"], "2030-02-03T21:05:00Z");
    assert_eq!(created[0]["movie_title"], "Heat");
    assert_eq!(created[0]["runtime_minutes"], 170);
    let map = app
        .inventory()
        .await
        .get_seat_map(pb::GetSeatMapRequest {
            showtime_id: created[2]["id"].as_str().expect("id").to_owned(),
        })
        .await
        .expect("seat map of a series showtime")
        .into_inner();
    assert_eq!(map.rows.iter().map(|r| r.seats.len()).sum::<usize>(), 10);
    app.stop().await;
}

async fn the_day_filter_uses_the_cinemas_time_zone(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    // The seeded cinema is in Berlin (UTC+1 in winter); its show at 18:00 UTC is on Jan 1.
    let seeded = app.seed(2, 5).await;
    let after_midnight = app
        .post(
            "/api/v1/admin/showtimes",
            showtime(&seeded, "2030-01-01T23:30:00Z"),
        )
        .await;
    let late_evening = app
        .post(
            "/api/v1/admin/showtimes",
            showtime(&seeded, "2030-01-02T22:30:00Z"),
        )
        .await;
    let on = |date: &str| {
        format!(
            "/api/v1/admin/showtimes?cinema_id={}&date={date}",
            seeded.cinema_id
        )
    };
    let ids = |listed: &Value| -> Vec<String> {
        listed
            .as_array()
            .expect("array")
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let (status, jan_1) = app.admin(Method::GET, &on("2030-01-01"), None).await;
    assert_eq!(status, 200, "{jan_1}");
    assert_eq!(ids(&jan_1), [seeded.showtime_id.as_str()]);
    assert_eq!(jan_1[0]["movie_title"], "Heat");
    assert_eq!(jan_1[0]["runtime_minutes"], 170);
    let (_, jan_2) = app.admin(Method::GET, &on("2030-01-02"), None).await;
    assert_eq!(
        ids(&jan_2),
        [
            after_midnight["id"].as_str().expect("id"),
            late_evening["id"].as_str().expect("id")
        ]
    );
    let (_, jan_3) = app.admin(Method::GET, &on("2030-01-03"), None).await;
    assert_eq!(jan_3, json!([]));
    for bad in [
        "/api/v1/admin/showtimes?date=2030-01-01".to_owned(),
        on("01/01/2030"),
        "/api/v1/admin/showtimes?cinema_id=nope&date=2030-01-01".to_owned(),
    ] {
        let (status, problem) = app.admin(Method::GET, &bad, None).await;
        assert_eq!(status, 422, "{bad}: {problem}");
    }
    app.stop().await;
}

async fn a_right_to_left_row_keeps_its_drawing_order_in_the_seat_map(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    // Row A is numbered right to left and drawn 5, 4, 3 | 2, 1; row B left to right.
    let seats = |numbers: &[u16]| -> Vec<Value> {
        numbers
            .iter()
            .map(|n| json!({"number": n, "type": "standard"}))
            .collect()
    };
    let layout = json!({"rows": [
        {"label": "A", "seats": seats(&[5, 4, 3, 2, 1]), "gaps_after": [3]},
        {"label": "B", "seats": seats(&[1, 2, 3, 4, 5]), "gaps_after": [2]},
    ]});
    let path = format!(
        "/api/v1/admin/cinemas/{}/auditoriums/{}",
        seeded.cinema_id, seeded.auditorium_id
    );
    let (status, body) = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"name": "Hall 1", "layout": layout})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["layout"], layout, "the layout is kept as sent");
    let map = app
        .inventory()
        .await
        .get_seat_map(pb::GetSeatMapRequest {
            showtime_id: seeded.showtime_id.clone(),
        })
        .await
        .expect("seat map")
        .into_inner();
    let drawn: Vec<(Vec<&str>, &[u32])> = map
        .rows
        .iter()
        .map(|r| {
            (
                r.seats.iter().map(|s| s.id.as_str()).collect(),
                r.gaps_after.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        drawn,
        [
            (vec!["A-5", "A-4", "A-3", "A-2", "A-1"], &[3][..]),
            (vec!["B-1", "B-2", "B-3", "B-4", "B-5"], &[2][..]),
        ]
    );
    // A bad seat in a long layout is named by row and seat.
    let bad = json!({"rows": [{"label": "A", "seats": seats(&[1])}, {"label": "B", "seats": seats(&[1, 1000])}]});
    let (status, problem) = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"name": "Hall 1", "layout": bad})),
        )
        .await;
    assert_eq!(status, 422);
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("\"B\"") && detail.contains("1000"),
        "{detail}"
    );
    app.stop().await;
}
