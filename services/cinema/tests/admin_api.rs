//! The staff REST API: authorisation, validation, the catalog rules, problem+json errors.

mod common;

use common::{Engine, TestApp, hold_request, new_id};
use reqwest::Method;
use serde_json::{Value, json};

per_engine!(
    admin_endpoints_need_a_token_and_the_admin_role,
    invalid_layouts_and_bodies_are_problems_and_change_nothing,
    overlapping_showtimes_are_refused_with_a_conflict,
    a_showtime_with_sold_seats_cannot_be_deleted_or_moved,
    cinemas_auditoriums_and_movies_can_be_read_updated_and_deleted,
);

async fn admin_endpoints_need_a_token_and_the_admin_role(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = json!({"name": "Roxy", "address": "1 Main St", "time_zone": "UTC"});
    for path in [
        "/api/v1/admin/cinemas",
        "/api/v1/admin/movies",
        "/api/v1/admin/showtimes",
    ] {
        let anonymous = app
            .http
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(anonymous.status(), 401, "{path}");
        assert_eq!(
            anonymous.headers()["content-type"],
            "application/problem+json"
        );
        let forged = app
            .http
            .get(app.url(path))
            .bearer_auth("not.a.token")
            .send()
            .await
            .expect("request");
        assert_eq!(forged.status(), 401, "{path}");
        let customer = app
            .http
            .post(app.url(path))
            .bearer_auth(&app.customer_token)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(customer.status(), 403, "{path}");
        let problem: Value = customer.json().await.expect("problem");
        assert_eq!(problem["code"], "forbidden");
        let listing = app
            .http
            .get(app.url(path))
            .bearer_auth(&app.customer_token)
            .send()
            .await
            .expect("request");
        assert_eq!(listing.status(), 403, "{path}");
    }
    let (status, cinemas) = app.admin(Method::GET, "/api/v1/admin/cinemas", None).await;
    assert_eq!(
        (status, cinemas),
        (200, json!([])),
        "the customer created nothing"
    );
    app.stop().await;
}

async fn invalid_layouts_and_bodies_are_problems_and_change_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let cinema = app
        .post(
            "/api/v1/admin/cinemas",
            json!({"name": "Roxy", "address": "1 Main St", "time_zone": "UTC"}),
        )
        .await;
    let path = format!(
        "/api/v1/admin/cinemas/{}/auditoriums",
        cinema["id"].as_str().expect("id")
    );
    let too_big: Vec<Value> = (1..=41).map(|r| json!({"label": format!("R{r}"), "seats": (1..=50).map(|n| json!({"number": n})).collect::<Vec<_>>()})).collect();
    let bad_layouts = [
        ("no rows", json!({"rows": []})),
        ("empty row", json!({"rows": [{"label": "A", "seats": []}]})),
        (
            "duplicate seat",
            json!({"rows": [{"label": "A", "seats": [{"number": 1}, {"number": 1}]}]}),
        ),
        (
            "duplicate row",
            json!({"rows": [{"label": "A", "seats": [{"number": 1}]}, {"label": "A", "seats": [{"number": 2}]}]}),
        ),
        (
            "unknown seat type",
            json!({"rows": [{"label": "A", "seats": [{"number": 1, "type": "vip"}]}]}),
        ),
        (
            "seat number zero",
            json!({"rows": [{"label": "A", "seats": [{"number": 0}]}]}),
        ),
        (
            "bad row label",
            json!({"rows": [{"label": "A-1", "seats": [{"number": 1}]}]}),
        ),
        ("more than 2,000 seats", json!({"rows": too_big})),
    ];
    for (case, layout) in bad_layouts {
        let (status, problem) = app
            .admin(
                Method::POST,
                &path,
                Some(json!({"name": "Hall", "layout": layout})),
            )
            .await;
        assert_eq!(status, 422, "{case}: {problem}");
        assert_eq!(problem["code"], "validation_failed", "{case}");
    }
    let (status, _) = app
        .admin(
            Method::POST,
            "/api/v1/admin/cinemas",
            Some(json!({"name": "X", "address": "Y", "time_zone": "Mars/Base"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .admin(
            Method::POST,
            "/api/v1/admin/movies",
            Some(json!({"title": "X", "runtime_minutes": -5})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .admin(
            Method::POST,
            "/api/v1/admin/movies",
            Some(json!({"title": "X"})),
        )
        .await;
    assert_eq!(status, 422, "missing field");
    let raw = app
        .http
        .post(app.url("/api/v1/admin/movies"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status(), 400);
    let (status, _) = app
        .admin(
            Method::GET,
            &format!("/api/v1/admin/cinemas/{}", new_id()),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .admin(Method::GET, "/api/v1/admin/movies/not-an-id", None)
        .await;
    assert_eq!(status, 404);
    let (_, auditoriums) = app.admin(Method::GET, &path, None).await;
    assert_eq!(auditoriums, json!([]), "no invalid layout was stored");
    let (_, movies) = app.admin(Method::GET, "/api/v1/admin/movies", None).await;
    assert_eq!(movies, json!([]));
    app.stop().await;
}

async fn overlapping_showtimes_are_refused_with_a_conflict(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    let showtime = |starts_at: &str| {
        json!({"movie_id": seeded.movie_id, "auditorium_id": seeded.auditorium_id, "starts_at": starts_at,
               "prices": {"currency": "EUR", "standard": 1200, "premium": 1600, "accessible": 900}})
    };
    // The seeded show: 18:00 + 170 min + 15 min cleaning = 21:05.
    let (status, problem) = app
        .admin(
            Method::POST,
            "/api/v1/admin/showtimes",
            Some(showtime("2030-01-01T21:00:00Z")),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "SHOWTIME_CLASH");
    let (status, _) = app
        .admin(
            Method::POST,
            "/api/v1/admin/showtimes",
            Some(showtime("2030-01-01T16:00:00Z")),
        )
        .await;
    assert_eq!(status, 409);
    let mut negative = showtime("2030-01-02T18:00:00Z");
    negative["prices"]["standard"] = json!(-1);
    let (status, _) = app
        .admin(Method::POST, "/api/v1/admin/showtimes", Some(negative))
        .await;
    assert_eq!(status, 422);
    let (_, listed) = app
        .admin(Method::GET, "/api/v1/admin/showtimes", None)
        .await;
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "nothing was added"
    );
    app.post("/api/v1/admin/showtimes", showtime("2030-01-01T21:05:00Z"))
        .await;
    app.stop().await;
}

async fn a_showtime_with_sold_seats_cannot_be_deleted_or_moved(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    let mut inventory = app.inventory().await;
    let hold_id = new_id();
    inventory
        .hold_seats(hold_request(&seeded.showtime_id, &["A-1"], &hold_id, 60))
        .await
        .expect("hold");
    inventory
        .confirm_hold(boxoffice_proto::cinema::v1::ConfirmHoldRequest { hold_id })
        .await
        .expect("confirm");
    let path = format!("/api/v1/admin/showtimes/{}", seeded.showtime_id);
    let (status, _) = app.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, 409);
    let moved = json!({"movie_id": seeded.movie_id, "auditorium_id": seeded.auditorium_id, "starts_at": "2030-01-03T18:00:00Z",
                       "prices": {"currency": "EUR", "standard": 1200, "premium": 1600, "accessible": 900}});
    let (status, _) = app.admin(Method::PUT, &path, Some(moved)).await;
    assert_eq!(status, 409);
    let layout = json!({"rows": [{"label": "A", "seats": [{"number": 1}]}]});
    let (status, _) = app
        .admin(
            Method::PUT,
            &format!(
                "/api/v1/admin/cinemas/{}/auditoriums/{}",
                seeded.cinema_id, seeded.auditorium_id
            ),
            Some(json!({"name": "Hall 1", "layout": layout})),
        )
        .await;
    assert_eq!(status, 409, "layout cannot change under sales");
    let (status, showtime) = app.admin(Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(showtime["starts_at"], "2030-01-01T18:00:00Z");
    app.stop().await;
}

async fn cinemas_auditoriums_and_movies_can_be_read_updated_and_deleted(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    let cinema_path = format!("/api/v1/admin/cinemas/{}", seeded.cinema_id);
    let (status, cinema) = app
        .admin(
            Method::PUT,
            &cinema_path,
            Some(json!({"name": "Roxy II", "address": "2 Main St", "time_zone": "Europe/Paris"})),
        )
        .await;
    assert_eq!((status, cinema["name"].clone()), (200, json!("Roxy II")));
    let (_, auditorium) = app
        .admin(
            Method::GET,
            &format!("{cinema_path}/auditoriums/{}", seeded.auditorium_id),
            None,
        )
        .await;
    assert_eq!(auditorium["seat_count"], 10);
    let (status, _) = app.admin(Method::DELETE, &cinema_path, None).await;
    assert_eq!(status, 409, "a cinema with auditoriums stays");
    let movie_path = format!("/api/v1/admin/movies/{}", seeded.movie_id);
    let (status, movie) = app
        .admin(
            Method::PUT,
            &movie_path,
            Some(
                json!({"title": "Heat (4K)", "runtime_minutes": 171, "release_date": "1995-12-15"}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(movie["release_date"], "1995-12-15");
    let (status, _) = app.admin(Method::DELETE, &movie_path, None).await;
    assert_eq!(status, 409, "a movie with showtimes stays");
    let (status, _) = app
        .admin(
            Method::DELETE,
            &format!("/api/v1/admin/showtimes/{}", seeded.showtime_id),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.admin(Method::DELETE, &movie_path, None).await;
    assert_eq!(status, 204);
    let (status, _) = app
        .admin(
            Method::DELETE,
            &format!("{cinema_path}/auditoriums/{}", seeded.auditorium_id),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.admin(Method::DELETE, &cinema_path, None).await;
    assert_eq!(status, 204);
    let ready = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    app.stop().await;
}
