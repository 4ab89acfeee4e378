//! Staff at work: tokens for the staff and admin roles, paid bookings with their ticket codes,
//! the door's checkIn, and the audit every staff test ends with.

use boxoffice_auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Booking, CARD_OK, Cluster, create_booking, gql, pay_booking};

/// A token with `role` for a fresh user id (the booking service only verifies the token).
pub fn token_with_role(cluster: &Cluster, role: Role) -> (Uuid, String) {
    let id = Uuid::now_v7();
    let token = cluster.accounts.issuer().issue(id, role).expect("token");
    (id, token)
}

/// A CONFIRMED booking of `seats` and its ticket codes, in seat order.
pub async fn paid_booking(
    url: &str,
    token: &str,
    showtime_id: &str,
    seats: &[&str],
) -> (String, Vec<String>) {
    let created = create_booking(url, token, showtime_id, seats).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {created}"))
        .to_owned();
    let paid = pay_booking(url, token, &id, CARD_OK, &format!("pay-{id}")).await;
    assert_eq!(paid["data"]["payBooking"]["status"], "CONFIRMED", "{paid}");
    let codes = paid["data"]["payBooking"]["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["code"].as_str().expect("code").to_owned())
        .collect();
    (id, codes)
}

pub const CHECK_IN: &str = "mutation($code: String!, $showtime: ID!, $door: String!) { \
     checkIn(code: $code, showtimeId: $showtime, door: $door) { outcome code seatId bookingId \
     showtimeId showtime { id } checkedInAt door } }";

pub async fn check_in(url: &str, token: &str, code: &str, showtime_id: &str, door: &str) -> Value {
    gql(
        url,
        Some(token),
        CHECK_IN,
        json!({"code": code, "showtime": showtime_id, "door": door}),
    )
    .await
}

pub const STAFF_REFUND: &str = "mutation($id: ID!, $reason: String!) { \
     staffRefundBooking(bookingId: $id, reason: $reason) { id status } }";

pub async fn staff_refund(url: &str, token: &str, booking_id: &str, reason: &str) -> Value {
    gql(
        url,
        Some(token),
        STAFF_REFUND,
        json!({"id": booking_id, "reason": reason}),
    )
    .await
}

/// Runs the cross-service audit (I1–I5) and the check-in invariant over this test's stores
/// and fails the test on any violation.
pub async fn assert_audit_clean(cluster: &Cluster, booking: &Booking) {
    let report = boxoffice_audit::run(
        boxoffice_audit::Stores {
            booking: &booking.database,
            cinema: &cluster.cinema_db,
            payments: &cluster.payments_db,
            notifications: None,
            users: None,
        },
        boxoffice_audit::Allowances::default(),
    )
    .await
    .expect("audit");
    assert!(report.ok, "{}", report.table());
    let check_ins = boxoffice_booking::audit::check_ins(&booking.database)
        .await
        .expect("check-in audit");
    assert!(check_ins.violations.is_empty(), "{check_ins:?}");
}

/// How many check-ins the booking store holds.
pub async fn check_in_rows(booking: &Booking) -> i64 {
    let sql = "SELECT count(*) FROM check_ins";
    let (n,): (i64,) = match &booking.database {
        boxoffice_store::Database::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await,
        boxoffice_store::Database::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await,
    }
    .expect("count check-ins");
    n
}
