//! The door: `checkIn` admits a ticket exactly once however many doors scan it at once, tells
//! refunded, wrong-showtime and unknown tickets apart, and never races a refund into both
//! succeeding.

mod common;

use boxoffice_auth::Role;
use boxoffice_booking::saga::Faults;
use common::*;
use serde_json::{Value, json};

const FUTURE_SHOW: &str = "2030-01-01T18:00:00Z";

struct Door {
    cluster: Cluster,
    booking: Booking,
    seeded: Seeded,
    customer: String,
    staff: String,
    admin: String,
}

async fn door(engine: Engine, rows: usize, per_row: u16) -> Door {
    let cluster = Cluster::start(engine).await;
    let seeded = cluster.seed(rows, per_row, FUTURE_SHOW).await;
    let (bus, _) = memory_bus().await;
    let db = database_url(engine).await;
    let booking = Booking::start(
        &cluster,
        cluster.booking_settings(&db),
        bus,
        Faults::default(),
    )
    .await;
    let (_, customer) = cluster.customer("Ada").await;
    let (_, staff) = token_with_role(&cluster, Role::Staff);
    let (_, admin) = token_with_role(&cluster, Role::Admin);
    Door {
        cluster,
        booking,
        seeded,
        customer,
        staff,
        admin,
    }
}

fn outcome(answer: &Value) -> &str {
    answer["data"]["checkIn"]["outcome"].as_str().unwrap_or("")
}

async fn twenty_doors_admit_one_ticket_exactly_once(engine: Engine) {
    let d = door(engine, 1, 4).await;
    let url = d.booking.url();
    let (_, codes) = paid_booking(&url, &d.customer, &d.seeded.showtime_id, &["A-1"]).await;
    let code = codes[0].clone();

    let scans = (0..20).map(|i| {
        let (url, staff, code, showtime) = (
            url.clone(),
            d.staff.clone(),
            code.clone(),
            d.seeded.showtime_id.clone(),
        );
        tokio::spawn(
            async move { check_in(&url, &staff, &code, &showtime, &format!("door {i}")).await },
        )
    });
    let answers: Vec<Value> = futures::future::join_all(scans)
        .await
        .into_iter()
        .map(|r| r.expect("scan task"))
        .collect();
    let valid: Vec<&Value> = answers.iter().filter(|a| outcome(a) == "VALID").collect();
    let used: Vec<&Value> = answers
        .iter()
        .filter(|a| outcome(a) == "ALREADY_USED")
        .collect();
    assert_eq!(valid.len(), 1, "{answers:?}");
    assert_eq!(used.len(), 19, "{answers:?}");
    let first = &valid[0]["data"]["checkIn"];
    assert_eq!(first["seatId"], "A-1");
    assert_eq!(first["showtime"]["id"], d.seeded.showtime_id.as_str());
    for u in used {
        // Every later scan names the one admission: its time and its door.
        assert_eq!(
            u["data"]["checkIn"]["checkedInAt"], first["checkedInAt"],
            "{u}"
        );
        assert_eq!(u["data"]["checkIn"]["door"], first["door"], "{u}");
    }
    assert_eq!(check_in_rows(&d.booking).await, 1);

    // The owner sees the ticket as used.
    let mine = gql(
        &url,
        Some(&d.customer),
        "{ myBookings { tickets { code checkedInAt } } }",
        json!({}),
    )
    .await;
    assert!(
        mine["data"]["myBookings"][0]["tickets"][0]["checkedInAt"].is_string(),
        "{mine}"
    );
    assert_audit_clean(&d.cluster, &d.booking).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_doors_scanning_one_ticket_at_once_admit_it_exactly_once_on_postgres() {
    twenty_doors_admit_one_ticket_exactly_once(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_doors_scanning_one_ticket_at_once_admit_it_exactly_once_on_sqlite() {
    twenty_doors_admit_one_ticket_exactly_once(Engine::Sqlite).await;
}

async fn refunded_wrong_showtime_and_unknown_tickets_are_told_apart(engine: Engine) {
    let d = door(engine, 1, 4).await;
    let url = d.booking.url();
    let other = d.cluster.seed(1, 4, "2030-01-02T18:00:00Z").await;
    let showtime = d.seeded.showtime_id.as_str();
    let (_, kept) = paid_booking(&url, &d.customer, showtime, &["A-1"]).await;
    let (refunded_id, refunded) = paid_booking(&url, &d.customer, showtime, &["A-2"]).await;
    let cancelled = cancel_booking(&url, &d.customer, &refunded_id).await;
    assert_eq!(
        cancelled["data"]["cancelBooking"]["status"], "REFUNDED",
        "{cancelled}"
    );

    let wrong = check_in(&url, &d.staff, &kept[0], &other.showtime_id, "north").await;
    assert_eq!(outcome(&wrong), "WRONG_SHOWTIME", "{wrong}");
    let w = &wrong["data"]["checkIn"];
    assert_eq!(w["showtimeId"], showtime, "the ticket's own showtime");
    assert_eq!(w["showtime"]["id"], showtime);
    assert_eq!(w["seatId"], "A-1");

    let gone = check_in(&url, &d.staff, &refunded[0], showtime, "north").await;
    assert_eq!(outcome(&gone), "REFUNDED", "{gone}");

    let garbage = check_in(&url, &d.staff, "not a ticket", showtime, "north").await;
    assert_eq!(outcome(&garbage), "UNKNOWN", "{garbage}");
    let g = &garbage["data"]["checkIn"];
    assert!(
        g["code"].is_string() && g["seatId"].is_null() && g["bookingId"].is_null(),
        "{g}"
    );
    let lookalike = "0".repeat(26);
    let unknown = check_in(&url, &d.staff, &lookalike, showtime, "north").await;
    assert_eq!(outcome(&unknown), "UNKNOWN", "{unknown}");

    let no_door = check_in(&url, &d.staff, &kept[0], showtime, "  ").await;
    assert_eq!(
        error_code(&no_door).as_deref(),
        Some("BAD_USER_INPUT"),
        "{no_door}"
    );
    let long_door = check_in(&url, &d.staff, &kept[0], showtime, &"d".repeat(61)).await;
    assert_eq!(
        error_code(&long_door).as_deref(),
        Some("BAD_USER_INPUT"),
        "{long_door}"
    );
    assert_eq!(
        check_in_rows(&d.booking).await,
        0,
        "nothing admitted so far"
    );

    // As read out at the door: lower case, with O for 0 and l for 1, and spaces around it.
    let spoken = format!(
        " {} ",
        kept[0].to_lowercase().replace('0', "o").replace('1', "l")
    );
    let admitted = check_in(&url, &d.admin, &spoken, showtime, "north").await;
    assert_eq!(outcome(&admitted), "VALID", "{admitted}");
    assert_eq!(admitted["data"]["checkIn"]["code"], kept[0].as_str());
    assert_audit_clean(&d.cluster, &d.booking).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunded_wrong_showtime_and_unknown_tickets_are_told_apart_on_postgres() {
    refunded_wrong_showtime_and_unknown_tickets_are_told_apart(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunded_wrong_showtime_and_unknown_tickets_are_told_apart_on_sqlite() {
    refunded_wrong_showtime_and_unknown_tickets_are_told_apart(Engine::Sqlite).await;
}

async fn a_refund_and_a_check_in_never_both_succeed(engine: Engine) {
    const ROUNDS: usize = 12;
    let d = door(engine, 2, 6).await;
    let url = d.booking.url();
    let showtime = d.seeded.showtime_id.clone();
    let mut refunds_won = 0;
    let mut check_ins_won = 0;
    for round in 0..ROUNDS {
        let seat = format!("{}-{}", ["A", "B"][round % 2], round / 2 + 1);
        let (id, codes) = paid_booking(&url, &d.customer, &showtime, &[seat.as_str()]).await;
        let refund = staff_refund(&url, &d.admin, &id, "the race");
        let scan = check_in(&url, &d.staff, &codes[0], &showtime, "race door");
        let (refund, scan) = tokio::join!(refund, scan);
        let refunded = refund["data"]["staffRefundBooking"]["status"] == "REFUNDED";
        let admitted = outcome(&scan) == "VALID";
        assert!(
            !(refunded && admitted),
            "round {round}: both won: {refund} {scan}"
        );
        if refunded {
            refunds_won += 1;
        }
        if admitted {
            check_ins_won += 1;
            let refused = &refund["errors"][0]["message"];
            assert!(
                refused
                    .as_str()
                    .is_some_and(|m| m.contains("used at the door")),
                "round {round}: {refund}"
            );
        }
        let status = booking_status(&url, &d.customer, &id).await;
        let expected = if admitted {
            "CONFIRMED"
        } else if refunded {
            "REFUNDED"
        } else {
            ""
        };
        if !expected.is_empty() {
            assert_eq!(
                status["data"]["booking"]["status"], expected,
                "round {round}"
            );
        }
    }
    assert_eq!(check_in_rows(&d.booking).await, check_ins_won);
    assert!(refunds_won + check_ins_won > 0, "nothing ever succeeded");
    assert_audit_clean(&d.cluster, &d.booking).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_and_a_check_in_of_one_booking_never_both_succeed_on_postgres() {
    a_refund_and_a_check_in_never_both_succeed(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_and_a_check_in_of_one_booking_never_both_succeed_on_sqlite() {
    a_refund_and_a_check_in_never_both_succeed(Engine::Sqlite).await;
}
