//! Every REST endpoint the gateway serves, with a valid body to start from; cases are the
//! valid body, the body with one node replaced, removed or added, any JSON, or not JSON at all.

use serde_json::{Value, json};

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Customer,
    Admin,
}

pub struct Endpoint {
    pub method: &'static str,
    /// `{cinema}`, `{auditorium}`, `{movie}`, `{showtime}`, `{booking}` stand for ids.
    pub path: &'static str,
    pub body: Option<Value>,
    pub caller: Caller,
}

/// Real ids to put into paths and bodies.
pub struct Ids {
    pub cinema: String,
    pub auditorium: String,
    pub movie: String,
    pub showtime: String,
    pub booking: String,
}

fn layout() -> Value {
    let rows: Vec<Value> = ["A", "B"]
        .iter()
        .map(|label| {
            json!({"label": label, "seats": (1..=4).map(|n| json!({"number": n, "type": "standard"})).collect::<Vec<_>>(), "gaps_after": [2]})
        })
        .collect();
    json!({"rows": rows})
}

fn prices() -> Value {
    json!({"currency": "EUR", "standard": 1250, "premium": 1500, "accessible": 1000})
}

pub fn endpoints(ids: &Ids) -> Vec<Endpoint> {
    use Caller::*;
    let credentials =
        json!({"email": "fuzz@example.com", "password": "a long enough password", "name": "Fuzz"});
    let cinema =
        json!({"name": "Fuzz Cinema", "address": "1 Fuzz Street", "time_zone": "Europe/Berlin"});
    let movie = json!({"title": "Fuzz", "runtime_minutes": 90, "rating": "PG", "genres": ["Drama"], "description": "", "release_date": "2026-01-01"});
    // Far away from the showtimes the GraphQL cases book, so that valid cases rarely clash.
    let showtime = json!({"movie_id": ids.movie, "auditorium_id": ids.auditorium, "starts_at": "2030-06-01T18:00:00Z", "prices": prices()});
    let series = json!({"movie_id": ids.movie, "auditorium_id": ids.auditorium, "starts_at": "2031-06-01T18:00:00Z", "prices": prices(), "days": 3});
    let e = |method, path, body: Option<Value>, caller| Endpoint {
        method,
        path,
        body,
        caller,
    };
    vec![
        e(
            "POST",
            "/api/v1/auth/register",
            Some(credentials.clone()),
            Anonymous,
        ),
        e(
            "POST",
            "/api/v1/auth/login",
            Some(credentials.clone()),
            Anonymous,
        ),
        e(
            "POST",
            "/api/v1/auth/refresh",
            Some(json!({"refresh_token": "x"})),
            Anonymous,
        ),
        e(
            "POST",
            "/api/v1/auth/logout",
            Some(json!({"refresh_token": "x"})),
            Anonymous,
        ),
        e(
            "POST",
            "/api/v1/auth/session/register",
            Some(credentials.clone()),
            Anonymous,
        ),
        e(
            "POST",
            "/api/v1/auth/session/login",
            Some(credentials),
            Anonymous,
        ),
        e("POST", "/api/v1/auth/session/refresh", None, Anonymous),
        e("POST", "/api/v1/auth/session/logout", None, Anonymous),
        e("GET", "/api/v1/users/me", None, Customer),
        e("GET", "/.well-known/jwks.json", None, Anonymous),
        e("GET", "/api/v1/admin/cinemas", None, Admin),
        e("POST", "/api/v1/admin/cinemas", Some(cinema.clone()), Admin),
        e("GET", "/api/v1/admin/cinemas/{cinema}", None, Admin),
        e("PUT", "/api/v1/admin/cinemas/{cinema}", Some(cinema), Admin),
        e(
            "GET",
            "/api/v1/admin/cinemas/{cinema}/auditoriums",
            None,
            Admin,
        ),
        e(
            "POST",
            "/api/v1/admin/cinemas/{cinema}/auditoriums",
            Some(json!({"name": "Fuzz Hall", "layout": layout()})),
            Admin,
        ),
        e(
            "GET",
            "/api/v1/admin/cinemas/{cinema}/auditoriums/{auditorium}",
            None,
            Admin,
        ),
        e(
            "PUT",
            "/api/v1/admin/cinemas/{cinema}/auditoriums/{auditorium}",
            Some(json!({"name": "Hall 1", "layout": layout()})),
            Admin,
        ),
        e("GET", "/api/v1/admin/movies", None, Admin),
        e("POST", "/api/v1/admin/movies", Some(movie.clone()), Admin),
        e("GET", "/api/v1/admin/movies/{movie}", None, Admin),
        e("PUT", "/api/v1/admin/movies/{movie}", Some(movie), Admin),
        e("PUT", "/api/v1/admin/movies/{movie}/poster", None, Admin),
        e("DELETE", "/api/v1/admin/movies/{movie}/poster", None, Admin),
        e("GET", "/api/v1/posters/{movie}", None, Anonymous),
        e("GET", "/api/v1/admin/showtimes", None, Admin),
        e(
            "GET",
            "/api/v1/admin/showtimes?cinema_id={cinema}&date=2030-06-01",
            None,
            Admin,
        ),
        e("POST", "/api/v1/admin/showtimes", Some(showtime), Admin),
        e(
            "POST",
            "/api/v1/admin/showtimes/series",
            Some(series),
            Admin,
        ),
        e("GET", "/api/v1/admin/showtimes/{showtime}", None, Admin),
        e(
            "GET",
            "/api/v1/admin/showtimes/{showtime}/sales",
            None,
            Admin,
        ),
        e(
            "GET",
            "/api/v1/admin/sales?cinema_id={cinema}&date=2030-06-01",
            None,
            Admin,
        ),
        e(
            "GET",
            "/api/v1/admin/notifications?booking_id={booking}",
            None,
            Admin,
        ),
        // Deletes only ever see made-up ids (below), so the catalog the other cases use stays.
        e("DELETE", "/api/v1/admin/cinemas/{cinema}", None, Admin),
        e("DELETE", "/api/v1/admin/movies/{movie}", None, Admin),
        e("DELETE", "/api/v1/admin/showtimes/{showtime}", None, Admin),
    ]
}

const JUNK_SEGMENTS: &[&str] = &[
    "not-a-uuid",
    "%00",
    "..%2f..%2fetc",
    "12345678901234567890123456789012345678901234567890",
    "00000000-0000-0000-0000-000000000000",
    "%F0%9F%8E%AC",
    "%ff%fe",
];

/// The path with every placeholder replaced, by a real id most of the time.
pub fn path(rng: &mut Rng, endpoint: &Endpoint, ids: &Ids) -> String {
    let real = endpoint.method != "DELETE" && rng.chance(75);
    let mut path = endpoint.path.to_owned();
    for (placeholder, id) in [
        ("{cinema}", &ids.cinema),
        ("{auditorium}", &ids.auditorium),
        ("{movie}", &ids.movie),
        ("{showtime}", &ids.showtime),
        ("{booking}", &ids.booking),
    ] {
        let value = if real {
            id.clone()
        } else if rng.chance(50) {
            uuid::Uuid::new_v4().to_string()
        } else {
            (*rng.pick(JUNK_SEGMENTS)).to_owned()
        };
        path = path.replace(placeholder, &value);
    }
    path
}

pub enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>),
}

pub fn body(rng: &mut Rng, endpoint: &Endpoint) -> Body {
    if endpoint.path.ends_with("/poster") && endpoint.method == "PUT" {
        let mut bytes = rng.junk_bytes();
        if rng.chance(50) {
            // Looks like a PNG at first sight.
            bytes.splice(0..0, *b"\x89PNG\r\n\x1a\n");
        }
        return Body::Raw(bytes);
    }
    let Some(valid) = &endpoint.body else {
        return match rng.below(4) {
            0 => Body::Raw(rng.junk_bytes()),
            1 => Body::Json(rng.junk_value(2)),
            _ => Body::None,
        };
    };
    match rng.below(10) {
        0 => Body::Json(valid.clone()),
        1 => Body::Json(rng.junk_value(3)),
        2 => Body::Raw(rng.junk_bytes()),
        _ => Body::Json(mutated(rng, valid)),
    }
}

/// `value` with one node, chosen at random, replaced, removed or given a sibling.
pub fn mutated(rng: &mut Rng, value: &Value) -> Value {
    let mut value = value.clone();
    mutate(rng, &mut value);
    value
}

fn mutate(rng: &mut Rng, node: &mut Value) {
    let descend = rng.chance(60);
    match node {
        Value::Object(map) if !map.is_empty() && descend => {
            let Some(key) = map.keys().nth(rng.below(map.len())).cloned() else {
                return;
            };
            if rng.chance(20) {
                map.remove(&key);
            } else if let Some(child) = map.get_mut(&key) {
                mutate(rng, child);
            }
            return;
        }
        Value::Array(items) if !items.is_empty() && descend => {
            let at = rng.below(items.len());
            mutate(rng, &mut items[at]);
            return;
        }
        Value::Object(map) if rng.chance(20) => {
            map.insert(rng.junk_string(), rng.junk_value(1));
            return;
        }
        _ => {}
    }
    let replacement = match rng.below(4) {
        0 => rng.edge_number(),
        1 => Value::String(rng.junk_string()),
        // A long list where one was expected: e.g. a layout with very many rows or seats.
        2 => Value::Array(vec![node.clone(); rng.below(3_000) + 2]),
        _ => rng.junk_value(2),
    };
    *node = replacement;
}
