//! The back office's look-up, `GET /api/v1/admin/notifications?booking_id=…`, on both
//! engines: what was sent about a booking, for staff and admins only.

mod support;

use std::sync::Arc;

use boxoffice_auth::Role;
use boxoffice_events::payloads::{BookingClosed, BookingRefunded, EventPayload, Money};
use boxoffice_events::{EventBus, InProcessBus};
use boxoffice_http::CancellationToken;
use boxoffice_notifications::email::FileOutbox;
use boxoffice_notifications::idempotency::MemoryIdempotency;
use boxoffice_notifications::sms::SimulatedSms;
use boxoffice_notifications::{Ports, Running, start, store};
use boxoffice_store::{Database, PoolSettings};
use serde_json::Value;
use support::{TestKeys, booking, test_settings, user_registered};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
enum Engine {
    Postgres,
    Sqlite,
}

struct Service {
    running: Running,
    shutdown: CancellationToken,
    bus: InProcessBus,
    keys: TestKeys,
    _outbox: tempfile::TempDir,
}

impl Service {
    /// The embedded wiring (in-process bus, in-memory claims, file outbox) on `engine`.
    async fn start(engine: Engine) -> Self {
        let url = match engine {
            Engine::Postgres => boxoffice_store::testing::fresh_postgres_url()
                .await
                .expect("database"),
            Engine::Sqlite => boxoffice_store::testing::fresh_sqlite_url(),
        };
        let database = Database::connect(&url, &store::MIGRATIONS, PoolSettings::default())
            .await
            .expect("connect");
        let outbox = tempfile::tempdir().expect("tempdir");
        let bus = InProcessBus::new();
        let keys = TestKeys::new();
        let ports = Ports {
            bus: Arc::new(bus.clone()),
            database,
            idempotency: Some(Arc::new(MemoryIdempotency::new())),
            email: Arc::new(FileOutbox::new(outbox.path()).expect("outbox")),
            sms: Arc::new(SimulatedSms::new()),
            verifier: keys.verifier(),
        };
        let shutdown = CancellationToken::new();
        let running = start(test_settings(None), ports, shutdown.clone())
            .await
            .expect("start");
        Self {
            running,
            shutdown,
            bus,
            keys,
            _outbox: outbox,
        }
    }

    async fn lookup(&self, query: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().get(format!(
            "http://{}/api/v1/admin/notifications{query}",
            self.running.http_addr
        ));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.running.wait().await;
    }
}

async fn problem_code(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.expect("problem");
    body["code"].as_str().expect("code").to_owned()
}

async fn staff_see_every_notification_about_a_booking_oldest_first(engine: Engine) {
    let service = Service::start(engine).await;
    let confirmed = booking(3, Some("+33612345678"));
    let booking_id = confirmed.booking_id;
    let confirmation = confirmed.to_envelope().expect("envelope");
    let refund = BookingRefunded(BookingClosed {
        booking_id,
        user_id: confirmed.user_id,
        recipient: confirmed.recipient.clone(),
        movie_title: confirmed.movie_title.clone(),
        cinema: confirmed.cinema.clone(),
        starts_at: confirmed.starts_at,
        seats: confirmed.seats.clone(),
        refund: Some(Money {
            amount: 2_450,
            currency: "EUR".to_owned(),
        }),
    })
    .to_envelope()
    .expect("envelope");
    // Another booking's and a welcome email, which the look-up must leave out.
    let other = booking(4, None).to_envelope().expect("envelope");
    // The in-process publish returns once the event is handled.
    for event in [&confirmation, &other, &user_registered(5), &refund] {
        service.bus.publish(event).await.expect("publish");
    }

    let staff = service.keys.token(Role::Staff);
    let response = service
        .lookup(&format!("?booking_id={booking_id}"), Some(&staff))
        .await;
    assert_eq!(response.status(), 200);
    let listed: Vec<Value> = response.json().await.expect("json");
    let summary: Vec<(&str, &str)> = listed
        .iter()
        .map(|n| {
            (
                n["event_type"].as_str().expect("type"),
                n["channel"].as_str().expect("channel"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("booking.confirmed", "email"),
            ("booking.confirmed", "sms"),
            ("booking.refunded", "email"),
        ]
    );
    let email = &listed[0];
    assert_eq!(email["recipient"], "customer3@example.com");
    assert_eq!(email["status"], "sent");
    assert_eq!(email["attempts"], 1);
    assert_eq!(
        email["message_id"],
        format!("<{}.email@boxoffice>", confirmation.id)
    );
    assert!(email["created_at"].is_string(), "{email}");
    assert!(email["sent_at"].is_string(), "{email}");
    assert_eq!(listed[1]["recipient"], "+33612345678");
    let keys: Vec<&String> = email.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 8, "exactly the documented fields: {keys:?}");

    // Admins may too; a booking nobody was told about is an empty list.
    let admin = service.keys.token(Role::Admin);
    let response = service
        .lookup(&format!("?booking_id={}", Uuid::now_v7()), Some(&admin))
        .await;
    assert_eq!(response.status(), 200);
    let listed: Vec<Value> = response.json().await.expect("json");
    assert!(listed.is_empty(), "{listed:?}");
    service.stop().await;
}

#[tokio::test]
async fn staff_see_every_notification_about_a_booking_oldest_first_on_postgres() {
    staff_see_every_notification_about_a_booking_oldest_first(Engine::Postgres).await;
}

#[tokio::test]
async fn staff_see_every_notification_about_a_booking_oldest_first_on_sqlite() {
    staff_see_every_notification_about_a_booking_oldest_first(Engine::Sqlite).await;
}

async fn customers_and_anonymous_callers_are_refused_and_bad_ids_get_422(engine: Engine) {
    let service = Service::start(engine).await;
    let confirmed = booking(8, None);
    service
        .bus
        .publish(&confirmed.to_envelope().expect("envelope"))
        .await
        .expect("publish");
    let query = format!("?booking_id={}", confirmed.booking_id);

    let customer = service.keys.token(Role::Customer);
    assert_eq!(
        problem_code(service.lookup(&query, Some(&customer)).await, 403).await,
        "forbidden"
    );
    // Even with a malformed query, a customer learns nothing more than 403.
    assert_eq!(
        problem_code(service.lookup("?booking_id=42", Some(&customer)).await, 403).await,
        "forbidden"
    );
    assert_eq!(
        problem_code(service.lookup(&query, None).await, 401).await,
        "unauthenticated"
    );
    let forged = TestKeys::new().token(Role::Admin);
    assert_eq!(
        service.lookup(&query, Some(&forged)).await.status(),
        401,
        "a token from other keys"
    );

    let staff = service.keys.token(Role::Staff);
    for bad in ["", "?booking_id=", "?booking_id=not-a-uuid"] {
        assert_eq!(
            problem_code(service.lookup(bad, Some(&staff)).await, 422).await,
            "validation_failed",
            "{bad:?}"
        );
    }
    service.stop().await;
}

#[tokio::test]
async fn customers_and_anonymous_callers_are_refused_and_bad_ids_get_422_on_postgres() {
    customers_and_anonymous_callers_are_refused_and_bad_ids_get_422(Engine::Postgres).await;
}

#[tokio::test]
async fn customers_and_anonymous_callers_are_refused_and_bad_ids_get_422_on_sqlite() {
    customers_and_anonymous_callers_are_refused_and_bad_ids_get_422(Engine::Sqlite).await;
}
