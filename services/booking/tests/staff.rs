//! The back office: who may use the staff API, an admin's refund past the customer's cut-off
//! (never of a ticket used at the door), and finding bookings by id, ticket code and email.

mod common;

use boxoffice_auth::Role;
use boxoffice_booking::saga::Faults;
use common::*;
use serde_json::{Value, json};

const HISTORY: &str =
    "query($id: ID!) { booking(id: $id) { id history { step phase detail at } } }";
const STAFF_VIEW: &str = "query($id: ID!) { booking(id: $id) { id status customerEmail \
     customerName history { step phase detail at } payments { id status amount amountRefunded \
     currency createdAt } checkIns { ticketCode seatId door at } tickets { code checkedInAt } } }";
const FIND: &str = "query($q: String!) { findBookings(query: $q) { id status customerEmail } }";

struct Office {
    cluster: Cluster,
    booking: Booking,
    seeded: Seeded,
}

async fn office(starts_at: &str) -> Office {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(1, 6, starts_at).await;
    let (bus, _) = memory_bus().await;
    let db = database_url(Engine::Postgres).await;
    let booking = Booking::start(
        &cluster,
        cluster.booking_settings(&db),
        bus,
        Faults::default(),
    )
    .await;
    Office {
        cluster,
        booking,
        seeded,
    }
}

fn code(answer: &Value) -> Option<String> {
    error_code(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn customers_and_staff_are_kept_to_their_roles() {
    let o = office("2030-01-01T18:00:00Z").await;
    let url = o.booking.url();
    let (_, customer) = o.cluster.customer("Cy").await;
    let (_, staff) = token_with_role(&o.cluster, Role::Staff);
    let (id, codes) = paid_booking(&url, &customer, &o.seeded.showtime_id, &["A-1"]).await;
    let showtime = o.seeded.showtime_id.as_str();

    let scan = check_in(&url, &customer, &codes[0], showtime, "north").await;
    assert_eq!(code(&scan).as_deref(), Some("FORBIDDEN"), "{scan}");
    let anonymous = gql(
        &url,
        None,
        CHECK_IN,
        json!({"code": codes[0], "showtime": showtime, "door": "n"}),
    )
    .await;
    assert_eq!(
        code(&anonymous).as_deref(),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    let find = gql(&url, Some(&customer), FIND, json!({"q": id})).await;
    assert_eq!(code(&find).as_deref(), Some("FORBIDDEN"), "{find}");
    let refund = staff_refund(&url, &customer, &id, "mine").await;
    assert_eq!(code(&refund).as_deref(), Some("FORBIDDEN"), "{refund}");
    let history = gql(&url, Some(&customer), HISTORY, json!({"id": id})).await;
    assert_eq!(code(&history).as_deref(), Some("FORBIDDEN"), "{history}");
    let email = gql(
        &url,
        Some(&customer),
        "query($id: ID!) { booking(id: $id) { customerEmail } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(code(&email).as_deref(), Some("FORBIDDEN"), "{email}");
    // Staff work the door and look bookings up, but do not give money back.
    let refund = staff_refund(&url, &staff, &id, "not mine to give").await;
    assert_eq!(code(&refund).as_deref(), Some("FORBIDDEN"), "{refund}");
    // The customer's own fields are unchanged.
    let own = booking_status(&url, &customer, &id).await;
    assert_eq!(own["data"]["booking"]["status"], "CONFIRMED", "{own}");

    // Staff see anyone's booking, with the staff-only fields.
    let scan = check_in(&url, &staff, &codes[0], showtime, "north").await;
    assert_eq!(scan["data"]["checkIn"]["outcome"], "VALID", "{scan}");
    let view = gql(&url, Some(&staff), STAFF_VIEW, json!({"id": id})).await;
    assert!(view["errors"].is_null(), "{view}");
    let b = &view["data"]["booking"];
    assert!(
        b["customerEmail"]
            .as_str()
            .is_some_and(|e| e.starts_with("cy-")),
        "{b}"
    );
    assert_eq!(b["customerName"], "Cy");
    let steps: Vec<(&str, &str)> = b["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|l| {
            (
                l["step"].as_str().unwrap_or(""),
                l["phase"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps.first(),
        Some(&("holding", "started")),
        "oldest first: {steps:?}"
    );
    assert_eq!(steps.last(), Some(&("charged", "done")), "{steps:?}");
    assert_eq!(b["payments"][0]["status"], "succeeded", "{b}");
    assert_eq!(b["payments"][0]["amount"], 1200);
    assert_eq!(b["payments"][0]["amountRefunded"], 0);
    assert_eq!(
        b["checkIns"],
        json!([{"ticketCode": codes[0], "seatId": "A-1", "door": "north", "at": b["checkIns"][0]["at"]}])
    );
    assert_eq!(b["tickets"][0]["checkedInAt"], b["checkIns"][0]["at"]);
    assert_audit_clean(&o.cluster, &o.booking).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_refunds_past_the_cutoff_but_never_a_ticket_used_at_the_door() {
    // The show starts in an hour: inside the default two-hour refund cut-off.
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let o = office(&soon).await;
    let url = o.booking.url();
    let (_, customer) = o.cluster.customer("Late").await;
    let (admin_id, admin) = token_with_role(&o.cluster, Role::Admin);
    let (_, staff) = token_with_role(&o.cluster, Role::Staff);
    let showtime = o.seeded.showtime_id.as_str();
    let (refunded, _) = paid_booking(&url, &customer, showtime, &["A-1"]).await;
    let (used, codes) = paid_booking(&url, &customer, showtime, &["A-2", "A-3"]).await;

    let too_late = cancel_booking(&url, &customer, &refunded).await;
    assert_eq!(
        code(&too_late).as_deref(),
        Some("BAD_USER_INPUT"),
        "{too_late}"
    );
    let no_reason = staff_refund(&url, &admin, &refunded, "   ").await;
    assert_eq!(
        code(&no_reason).as_deref(),
        Some("BAD_USER_INPUT"),
        "{no_reason}"
    );
    let long = staff_refund(&url, &admin, &refunded, &"r".repeat(501)).await;
    assert_eq!(code(&long).as_deref(), Some("BAD_USER_INPUT"), "{long}");

    let done = staff_refund(&url, &admin, &refunded, "  projector broke  ").await;
    assert_eq!(
        done["data"]["staffRefundBooking"]["status"], "REFUNDED",
        "{done}"
    );
    let mine = gql(
        &url,
        Some(&customer),
        "{ myBookings { id status } }",
        json!({}),
    )
    .await;
    let listed = mine["data"]["myBookings"].as_array().expect("mine");
    assert!(
        listed
            .iter()
            .any(|b| b["id"] == refunded.as_str() && b["status"] == "REFUNDED"),
        "{mine}"
    );
    // The same event a customer's cancel emits, so notifications sends the refund email.
    assert_eq!(refund_events(&o.booking, &refunded).await, 1);
    let history = gql(&url, Some(&admin), HISTORY, json!({"id": refunded})).await;
    let details: Vec<&str> = history["data"]["booking"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|l| l["detail"].as_str())
        .collect();
    let expected = format!("staff refund by {admin_id}: projector broke");
    assert!(details.contains(&expected.as_str()), "{details:?}");
    let view = gql(&url, Some(&admin), STAFF_VIEW, json!({"id": refunded})).await;
    assert_eq!(
        view["data"]["booking"]["payments"][0]["amountRefunded"], 1200,
        "{view}"
    );

    // One of two tickets used at the door: the booking is never refunded, and nothing moves.
    let scan = check_in(&url, &staff, &codes[1], showtime, "main").await;
    assert_eq!(scan["data"]["checkIn"]["outcome"], "VALID", "{scan}");
    let refused = staff_refund(&url, &admin, &used, "changed their mind").await;
    assert_eq!(
        code(&refused).as_deref(),
        Some("BAD_USER_INPUT"),
        "{refused}"
    );
    assert_eq!(
        refused["errors"][0]["message"],
        "a ticket of this booking was already used at the door"
    );
    let view = gql(&url, Some(&admin), STAFF_VIEW, json!({"id": used})).await;
    let b = &view["data"]["booking"];
    assert_eq!(b["status"], "CONFIRMED", "{view}");
    assert_eq!(b["payments"][0]["amountRefunded"], 0, "{view}");
    assert_eq!(refund_events(&o.booking, &used).await, 0);
    // The other ticket of that booking still gets in.
    let other = check_in(&url, &staff, &codes[0], showtime, "main").await;
    assert_eq!(other["data"]["checkIn"]["outcome"], "VALID", "{other}");
    assert_audit_clean(&o.cluster, &o.booking).await;
}

/// booking.refunded rows in the outbox for this booking.
async fn refund_events(booking: &Booking, id: &str) -> usize {
    let sql = "SELECT payload FROM outbox WHERE event_type = 'booking.refunded'";
    let payloads: Vec<(String,)> = match &booking.database {
        boxoffice_store::Database::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        boxoffice_store::Database::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .expect("outbox");
    payloads.iter().filter(|(p,)| p.contains(id)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_find_bookings_by_id_ticket_code_and_email_in_any_case() {
    let o = office("2030-01-01T18:00:00Z").await;
    let url = o.booking.url();
    let (_, customer) = o.cluster.customer("Finn").await;
    let (_, other) = o.cluster.customer("Other").await;
    let (_, staff) = token_with_role(&o.cluster, Role::Staff);
    let showtime = o.seeded.showtime_id.as_str();
    let (first, _) = paid_booking(&url, &customer, showtime, &["A-1"]).await;
    let (second, codes) = paid_booking(&url, &customer, showtime, &["A-2"]).await;
    paid_booking(&url, &other, showtime, &["A-3"]).await;
    let find = |q: String| {
        let (url, staff) = (url.clone(), staff.clone());
        async move {
            let answer = gql(&url, Some(&staff), FIND, json!({"q": q})).await;
            assert!(answer["errors"].is_null(), "{answer}");
            answer["data"]["findBookings"]
                .as_array()
                .expect("list")
                .iter()
                .map(|b| b["id"].as_str().expect("id").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find(format!(" {first} ")).await, vec![first.clone()]);
    assert_eq!(find(codes[0].to_lowercase()).await, vec![second.clone()]);
    let view = gql(&url, Some(&staff), STAFF_VIEW, json!({"id": first})).await;
    let email = view["data"]["booking"]["customerEmail"]
        .as_str()
        .expect("email")
        .to_owned();
    let shouted = format!("  {}  ", email.to_uppercase());
    assert_eq!(
        find(shouted).await,
        vec![second.clone(), first.clone()],
        "newest first"
    );
    assert_eq!(
        find("nobody@example.com".into()).await,
        Vec::<String>::new()
    );
    assert_eq!(find("garbage".into()).await, Vec::<String>::new());
    assert_eq!(
        find(uuid::Uuid::now_v7().to_string()).await,
        Vec::<String>::new()
    );
}
