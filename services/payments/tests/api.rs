//! The REST contract: each outcome's documented status, bad input refused with nothing stored,
//! the service credential, reads, and the typed client.

mod common;

use boxoffice_config::Secret;
use boxoffice_payments::domain::{Brand, CardInput, PaymentStatus};
use boxoffice_payments::model::{CreatePayment, CreateRefund};
use boxoffice_payments::{ClientError, PaymentsClient};
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

on_both_engines!(
    every_decline_and_processor_error_answers_its_documented_status,
    bad_input_is_refused_with_problem_json_and_nothing_is_stored,
    calls_without_the_service_credential_are_refused,
    payments_can_be_read_by_id_and_listed_by_booking,
    the_client_pays_refunds_and_reads_with_the_credential_and_key,
);

async fn every_decline_and_processor_error_answers_its_documented_status(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let cases = [
        (VISA_OK, "succeeded", Value::Null),
        (VISA_DECLINED, "declined", json!("card_declined")),
        (VISA_NO_FUNDS, "declined", json!("insufficient_funds")),
        (VISA_PROCESSOR_ERROR, "failed", json!("processing_error")),
    ];
    for (number, status, code) in cases {
        let reply = app
            .pay(
                Some(&new_key()),
                &payment_body(Uuid::now_v7(), 1_234, number),
            )
            .await;
        assert_eq!(reply.status, 201, "{number}: {reply:?}");
        assert_eq!(reply.body["status"], status, "{number}");
        assert_eq!(reply.body["decline_code"], code, "{number}");
        assert_eq!(
            reply.body["card"],
            json!({"brand": "visa", "last4": &number[12..]})
        );
        assert_eq!(reply.body["amount"], 1_234);
    }
    let db = app.database().await;
    // Only the success is in the ledger and the outbox.
    assert_eq!(count(&db, "ledger_entries").await, 1);
    assert_eq!(outbox_types(&db).await, ["payment.captured"]);
    let event = &outbox_payloads(&db).await[0];
    assert_eq!(event["type"], "payment.captured");
    assert_eq!(event["version"], 1);
    assert_eq!(event["data"]["amount"], 1_234);
    assert_eq!(event["data"]["currency"], "EUR");
    assert_eq!(
        event["data"]["card"],
        json!({"brand": "visa", "last4": "4242"})
    );
    assert!(event["data"]["payment_id"].is_string() && event["data"]["booking_id"].is_string());
    assert_audit_clean(&db).await;

    // The processor unreachable: 503 with Retry-After, answer not stored.
    let mut down = settings();
    down.processor.failure_rate = 1.0;
    let app = TestApp::spawn_with(fresh_url(engine).await, down).await;
    let reply = app
        .pay(
            Some(&new_key()),
            &payment_body(Uuid::now_v7(), 100, VISA_OK),
        )
        .await;
    reply.assert_problem(503);
}

async fn bad_input_is_refused_with_problem_json_and_nothing_is_stored(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let booking = Uuid::now_v7();
    let with = |path: &str, value: Value| {
        let mut body = payment_body(booking, 1_000, VISA_OK);
        let mut target = &mut body;
        let parts: Vec<&str> = path.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            target = &mut target[*part];
        }
        target[parts[parts.len() - 1]] = value;
        body
    };
    let cases = [
        (
            "bad luhn",
            with("card.number", json!("4242424242424241")),
            422,
        ),
        ("expired card", with("card.exp_year", json!(2020)), 422),
        ("two-digit cvc", with("card.cvc", json!("31")), 422),
        ("amount zero", with("amount", json!(0)), 422),
        ("negative amount", with("amount", json!(-100)), 422),
        ("over the maximum", with("amount", json!(1_000_001)), 422),
        ("unknown currency", with("currency", json!("XYZ")), 422),
        (
            "number as json number",
            with("card.number", json!(4242424242424242_u64)),
            422,
        ),
        ("unknown field", with("extra", json!(1)), 422),
    ];
    for (name, body, status) in cases {
        let reply = app.pay(Some(&new_key()), &body).await;
        reply.assert_problem(status);
        assert!(
            !reply.body.to_string().contains(VISA_OK),
            "{name} echoes the card"
        );
        assert!(
            !reply.body.to_string().contains("4242424242424241"),
            "{name}"
        );
    }
    let missing_key = app.pay(None, &payment_body(booking, 1_000, VISA_OK)).await;
    missing_key.assert_problem(400);
    assert_eq!(missing_key.body["reason"], "idempotency_key_missing");

    let huge = json!({"booking_id": booking, "amount": 1, "currency": "EUR",
        "card": {"number": VISA_OK, "exp_month": 1, "exp_year": 2030, "cvc": CVC},
        "padding": "x".repeat(100 * 1024)});
    app.pay(Some(&new_key()), &huge).await.assert_problem(413);

    let malformed = app
        .http
        .post(format!("{}/api/v1/payments", app.base))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", new_key())
        .header("content-type", "application/json")
        .body("{\"booking_id\":")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), 400);

    let db = app.database().await;
    for table in ["payments", "idempotency_keys", "simproc_charges", "outbox"] {
        assert_eq!(count(&db, table).await, 0, "{table}");
    }
}

async fn calls_without_the_service_credential_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let body = payment_body(Uuid::now_v7(), 1_000, VISA_OK);
    for auth in [None, Some("Bearer wrong-token-wrong-token"), Some(TOKEN)] {
        let mut request = app
            .http
            .post(format!("{}/api/v1/payments", app.base))
            .header("Idempotency-Key", new_key())
            .json(&body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status(), 401, "{auth:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status(), 200, "health needs no credential");
    let ready = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("send");
    assert_eq!(ready.status(), 200);
    assert_eq!(count(&app.database().await, "payments").await, 0);
}

async fn payments_can_be_read_by_id_and_listed_by_booking(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let booking = Uuid::now_v7();
    let declined = app
        .pay(Some(&new_key()), &payment_body(booking, 700, VISA_DECLINED))
        .await;
    let paid = app
        .pay(Some(&new_key()), &payment_body(booking, 700, VISA_OK))
        .await;
    app.pay(
        Some(&new_key()),
        &payment_body(Uuid::now_v7(), 700, VISA_OK),
    )
    .await;

    let one = app.get(&format!("/api/v1/payments/{}", paid.id())).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body, paid.body);
    let list = app
        .get(&format!("/api/v1/payments?booking_id={booking}"))
        .await;
    let ids: Vec<&Value> = list.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert_eq!(ids, [&declined.body["id"], &paid.body["id"]]);

    app.get(&format!("/api/v1/payments/{}", Uuid::now_v7()))
        .await
        .assert_problem(404);
    app.get("/api/v1/payments/not-a-uuid")
        .await
        .assert_problem(404);
    app.get("/api/v1/payments").await.assert_problem(400);
}

async fn the_client_pays_refunds_and_reads_with_the_credential_and_key(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let client = PaymentsClient::new(app.base.clone(), Secret::new(TOKEN)).expect("client");
    let request = CreatePayment {
        booking_id: Uuid::now_v7(),
        amount: 5_000,
        currency: "EUR".into(),
        card: CardInput {
            number: VISA_OK.into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: CVC.into(),
        },
    };
    let key = new_key();
    let paid = client.create_payment(&key, &request).await.expect("pay");
    assert!(!paid.replayed);
    assert_eq!(paid.value.status, PaymentStatus::Succeeded);
    assert_eq!(paid.value.card.brand, Brand::Visa);
    let again = client.create_payment(&key, &request).await.expect("replay");
    assert!(again.replayed);
    assert_eq!(again.value, paid.value);

    let changed = CreatePayment {
        amount: 5_001,
        ..request.clone()
    };
    match client.create_payment(&key, &changed).await {
        Err(ClientError::Problem {
            status: 422,
            reason: Some(reason),
            ..
        }) => {
            assert_eq!(reason, "idempotency_key_reused");
        }
        other => panic!("expected 422, got {other:?}"),
    }

    let refund = client
        .refund(
            paid.value.id,
            &new_key(),
            &CreateRefund {
                amount: Some(1_000),
                reason: None,
            },
        )
        .await
        .expect("refund");
    assert_eq!(refund.value.amount, 1_000);
    let read = client.payment(paid.value.id).await.expect("read");
    assert_eq!(read.amount_refunded, 1_000);
    let listed = client
        .payments_for_booking(request.booking_id)
        .await
        .expect("list");
    assert_eq!(listed, vec![read]);

    let intruder =
        PaymentsClient::new(app.base.clone(), Secret::new("not-the-token-at-all")).expect("client");
    match intruder.payment(paid.value.id).await {
        Err(ClientError::Problem { status: 401, .. }) => {}
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test]
async fn the_client_sends_the_credential_the_key_and_the_trace_context() {
    use std::sync::{Arc, Mutex};

    use axum::http::HeaderMap;
    use boxoffice_telemetry::trace_context;
    use tracing::Instrument;

    // A stand-in server that records the headers of the one request it gets.
    let seen: Arc<Mutex<Option<HeaderMap>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/api/v1/payments/{id}/refunds",
        axum::routing::post(move |headers: HeaderMap| async move {
            *record.lock().expect("lock") = Some(headers);
            (
                axum::http::StatusCode::CREATED,
                axum::Json(json!({"id": Uuid::nil(), "payment_id": Uuid::nil(), "amount": 1,
                    "currency": "EUR", "status": "succeeded", "created_at": "2026-01-01T00:00:00Z"})),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client =
        PaymentsClient::new(format!("http://{addr}/"), Secret::new(TOKEN)).expect("client");
    boxoffice_telemetry::init_for_tests();
    let span = tracing::info_span!("caller");
    trace_context::continue_traceparent(
        &span,
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    client
        .refund(Uuid::nil(), "refund-key-1", &CreateRefund::default())
        .instrument(span)
        .await
        .expect("refund");

    let headers = seen
        .lock()
        .expect("lock")
        .clone()
        .expect("a request arrived");
    assert_eq!(headers["authorization"], format!("Bearer {TOKEN}").as_str());
    assert_eq!(headers["idempotency-key"], "refund-key-1");
    let traceparent = headers["traceparent"].to_str().expect("ascii");
    assert!(
        traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{traceparent}"
    );
}
