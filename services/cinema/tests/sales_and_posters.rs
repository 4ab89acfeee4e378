//! Sales reports after real holds and sales over gRPC; poster upload and public serving.

mod common;

use std::time::Duration;

use boxoffice_proto::cinema::v1 as pb;
use common::{Engine, Seeded, TestApp, hold_request, new_id};
use reqwest::Method;
use serde_json::{Value, json};

per_engine!(
    sales_count_sold_and_live_held_seats_and_price_the_sold_ones,
    a_poster_is_checked_stored_and_served_for_caching,
);

fn showtime(seeded: &Seeded, starts_at: &str) -> Value {
    json!({"movie_id": seeded.movie_id, "auditorium_id": seeded.auditorium_id, "starts_at": starts_at,
           "prices": {"currency": "EUR", "standard": 1200, "premium": 1600, "accessible": 900}})
}

async fn hold(app: &TestApp, showtime_id: &str, seats: &[&str], ttl: i64) -> String {
    let hold_id = new_id();
    app.inventory()
        .await
        .hold_seats(hold_request(showtime_id, seats, &hold_id, ttl))
        .await
        .expect("hold");
    hold_id
}

async fn sell(app: &TestApp, showtime_id: &str, seats: &[&str]) {
    let hold_id = hold(app, showtime_id, seats, 600).await;
    app.inventory()
        .await
        .confirm_hold(pb::ConfirmHoldRequest { hold_id })
        .await
        .expect("confirm");
}

async fn sales_count_sold_and_live_held_seats_and_price_the_sold_ones(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let seeded = app.seed(2, 5).await;
    // Row A: 1 standard, 2 premium, 3 accessible, 4-5 standard; row B standard.
    let row = |label: &str, types: [&str; 5]| {
        json!({"label": label, "seats": types.iter().enumerate()
            .map(|(i, t)| json!({"number": i + 1, "type": t})).collect::<Vec<_>>()})
    };
    let layout = json!({"rows": [
        row("A", ["standard", "premium", "accessible", "standard", "standard"]),
        row("B", ["standard"; 5]),
    ]});
    let (status, body) = app
        .admin(
            Method::PUT,
            &format!(
                "/api/v1/admin/cinemas/{}/auditoriums/{}",
                seeded.cinema_id, seeded.auditorium_id
            ),
            Some(json!({"name": "Hall 1", "layout": layout})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Berlin's 2030-01-01 runs from 2029-12-31T23:00Z to 2030-01-01T23:00Z.
    let early = app
        .post(
            "/api/v1/admin/showtimes",
            showtime(&seeded, "2029-12-31T23:30:00Z"),
        )
        .await;
    let late = app
        .post(
            "/api/v1/admin/showtimes",
            showtime(&seeded, "2030-01-01T22:00:00Z"),
        )
        .await;
    let next_day = app
        .post(
            "/api/v1/admin/showtimes",
            showtime(&seeded, "2030-01-02T02:00:00Z"),
        )
        .await;
    let main = seeded.showtime_id.as_str();
    sell(&app, main, &["A-1", "A-2", "A-3"]).await;
    hold(&app, main, &["B-1", "B-2"], 600).await;
    hold(&app, main, &["B-3"], 1).await;
    let late_id = late["id"].as_str().expect("id");
    sell(&app, late_id, &["B-5"]).await;
    sell(&app, next_day["id"].as_str().expect("id"), &["B-5"]).await;
    // Let the one-second hold expire: it counts as free, swept or not.
    tokio::time::sleep(Duration::from_millis(2200)).await;

    let (status, sales) = app
        .admin(
            Method::GET,
            &format!("/api/v1/admin/showtimes/{main}/sales"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{sales}");
    assert_eq!(
        sales,
        json!({"showtime_id": main, "capacity": 10, "sold": 3, "held": 2, "free": 5,
               "revenue": {"amount": 1200 + 1600 + 900, "currency": "EUR"}})
    );
    let (status, _) = app
        .admin(
            Method::GET,
            &format!("/api/v1/admin/showtimes/{}/sales", new_id()),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, day) = app
        .admin(
            Method::GET,
            &format!(
                "/api/v1/admin/sales?cinema_id={}&date=2030-01-01",
                seeded.cinema_id
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(day["cinema_id"], seeded.cinema_id.as_str());
    assert_eq!(day["date"], "2030-01-01");
    let lines: Vec<(&str, i64, i64, i64)> = day["showtimes"]
        .as_array()
        .expect("showtimes")
        .iter()
        .map(|l| {
            (
                l["showtime_id"].as_str().unwrap_or_default(),
                l["sold"].as_i64().unwrap_or(-1),
                l["held"].as_i64().unwrap_or(-1),
                l["revenue"]["amount"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (early["id"].as_str().expect("id"), 0, 0, 0),
            (main, 3, 2, 3700),
            (late_id, 1, 0, 1200),
        ],
        "by start, the next local day left out"
    );
    let line = &day["showtimes"][1];
    assert_eq!(
        (
            &line["movie_title"],
            &line["auditorium_name"],
            &line["starts_at"],
            &line["capacity"],
            &line["free"]
        ),
        (
            &json!("Heat"),
            &json!("Hall 1"),
            &json!("2030-01-01T18:00:00Z"),
            &json!(10),
            &json!(5)
        )
    );
    assert_eq!(
        day["totals"],
        json!({"capacity": 30, "sold": 4, "held": 2, "free": 24,
               "revenue": {"amount": 4900, "currency": "EUR"}})
    );
    for bad in [
        format!("/api/v1/admin/sales?cinema_id={}", seeded.cinema_id),
        "/api/v1/admin/sales?date=2030-01-01".to_owned(),
        format!(
            "/api/v1/admin/sales?cinema_id={}&date=tomorrow",
            seeded.cinema_id
        ),
    ] {
        let (status, _) = app.admin(Method::GET, &bad, None).await;
        assert_eq!(status, 422, "{bad}");
    }
    app.stop().await;
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR poster bytes";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];

async fn a_poster_is_checked_stored_and_served_for_caching(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let movie = app
        .post(
            "/api/v1/admin/movies",
            json!({"title": "Heat", "runtime_minutes": 170}),
        )
        .await;
    let movie_id = movie["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/admin/movies/{movie_id}/poster");
    let upload = |token: Option<&str>, content_type: &str, body: Vec<u8>| {
        let mut request = app
            .http
            .put(app.url(&path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let admin = Some(app.admin_token.as_str());

    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(upload(None, "image/png", PNG.to_vec()).await.expect("send")),
        401
    );
    let customer = upload(Some(&app.customer_token), "image/png", PNG.to_vec())
        .await
        .expect("send");
    assert_eq!(customer.status(), 403);
    let refused = upload(admin, "image/svg+xml", b"<svg/>".to_vec())
        .await
        .expect("send");
    assert_eq!(refused.status(), 415);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["code"], "unsupported_media_type");
    let mismatch = upload(admin, "image/png", JPEG.to_vec())
        .await
        .expect("send");
    assert_eq!(mismatch.status(), 422, "JPEG bytes declared as PNG");
    let mut big = PNG.to_vec();
    big.resize(2 * 1024 * 1024 + 1, 0);
    let too_big = upload(admin, "image/png", big).await.expect("send");
    assert_eq!(too_big.status(), 413);
    let problem: Value = too_big.json().await.expect("problem");
    assert_eq!(problem["code"], "body_too_large");
    let (_, unchanged) = app
        .admin(
            Method::GET,
            &format!("/api/v1/admin/movies/{movie_id}"),
            None,
        )
        .await;
    assert_eq!(unchanged["poster_url"], "", "no refused upload took effect");

    // Just under the limit is accepted; then the real poster replaces it.
    let mut largest = PNG.to_vec();
    largest.resize(2 * 1024 * 1024, 0);
    assert_eq!(
        status(upload(admin, "image/png", largest).await.expect("send")),
        200
    );
    let stored = upload(admin, "image/png", PNG.to_vec())
        .await
        .expect("send");
    assert_eq!(stored.status(), 200);
    let stored: Value = stored.json().await.expect("movie");
    let poster_url = stored["poster_url"]
        .as_str()
        .expect("poster_url")
        .to_owned();
    let prefix = format!("/api/v1/posters/{movie_id}?v=");
    assert!(poster_url.starts_with(&prefix), "{poster_url}");
    let version = &poster_url[prefix.len()..];
    assert_eq!(stored["title"], "Heat");

    let served = app
        .http
        .get(app.url(&poster_url))
        .send()
        .await
        .expect("get");
    assert_eq!(served.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let etag = header(&served, "etag");
    assert_eq!(etag, format!("\"{version}\""));
    assert_eq!(header(&served, "content-type"), "image/png");
    assert_eq!(
        header(&served, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&served, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&served, "content-security-policy"),
        "default-src 'none'"
    );
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), PNG);
    let revalidated = app
        .http
        .get(app.url(&format!("/api/v1/posters/{movie_id}")))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(revalidated.status(), 304);
    assert_eq!(header(&revalidated, "etag"), etag);
    assert!(revalidated.bytes().await.expect("body").is_empty());
    let unknown = app
        .http
        .get(app.url(&format!("/api/v1/posters/{}", new_id())))
        .send()
        .await
        .expect("get");
    assert_eq!(unknown.status(), 404);
    assert_eq!(header(&unknown, "content-type"), "application/problem+json");

    let (status, _) = app.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (_, movie) = app
        .admin(
            Method::GET,
            &format!("/api/v1/admin/movies/{movie_id}"),
            None,
        )
        .await;
    assert_eq!(movie["poster_url"], "");
    let gone = app
        .http
        .get(app.url(&poster_url))
        .send()
        .await
        .expect("get");
    assert_eq!(gone.status(), 404);
    // A poster URL set by hand keeps working as before.
    let (status, movie) = app
        .admin(
            Method::PUT,
            &format!("/api/v1/admin/movies/{movie_id}"),
            Some(json!({"title": "Heat", "runtime_minutes": 170,
                        "poster_url": "https://images.example.com/heat.jpg"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(movie["poster_url"], "https://images.example.com/heat.jpg");
    let (status, _) = app
        .admin(
            Method::DELETE,
            &format!("/api/v1/admin/movies/{}/poster", new_id()),
            None,
        )
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}
