//! Captures every log line of a whole run (both engines, every path, at TRACE level, client and
//! server alike) and checks that no card number or CVC appears in them.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::json;
use uuid::Uuid;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const AMEX: &str = "378282246310005";
const AMEX_CVC: &str = "2718";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_logs_of_a_whole_run_never_contain_a_card_number_or_a_cvc() {
    let buffer = Buffer::default();
    tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .init();

    for engine in [Engine::Postgres, Engine::Sqlite] {
        exercise(engine).await;
    }

    let logs = String::from_utf8(buffer.0.lock().expect("log buffer").clone()).expect("utf-8");
    if let Ok(path) = std::env::var("PAYMENTS_LOG_DUMP") {
        std::fs::write(path, &logs).expect("dump");
    }
    assert!(logs.contains("payment finished"), "the run was logged");
    assert!(logs.contains("last4=4242"), "brand and last4 may be logged");
    for number in [
        VISA_OK,
        VISA_DECLINED,
        VISA_NO_FUNDS,
        VISA_PROCESSOR_ERROR,
        AMEX,
        "4242424242424241",
    ] {
        assert!(!logs.contains(number), "a card number was logged");
    }
    assert!(
        !logs.contains("4242 4242 4242 4242"),
        "a spaced card number was logged"
    );
    let lower = logs.to_ascii_lowercase();
    for field in ["cvc=", "\"cvc\"", "cvc:", "cvc\\\":"] {
        assert!(!lower.contains(field), "a cvc field was logged ({field})");
    }
    // A CVC is short, so look for it as a whole token; ids, timestamps and durations keep
    // their dots and dashes, so they never split into a lone 3- or 4-digit token.
    let tokens: Vec<&str> = logs
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .collect();
    for cvc in [CVC, AMEX_CVC] {
        assert!(!tokens.contains(&cvc), "a CVC was logged");
    }
}

async fn exercise(engine: Engine) {
    let url = fresh_url(engine).await;
    let mut crashing = settings();
    crashing.processor.crash_after_charge = true;
    let app = TestApp::spawn_with(url.clone(), crashing).await;
    let crashed_key = new_key();
    let crashed_body = payment_body(Uuid::now_v7(), 900, VISA_OK);
    app.pay(Some(&crashed_key), &crashed_body)
        .await
        .assert_problem(500);
    app.stop().await;

    let mut restarted = settings();
    restarted.recover_after_ms = 0;
    let app = TestApp::spawn_with(url, restarted).await;
    assert_eq!(app.pay(Some(&crashed_key), &crashed_body).await.status, 201);

    let mut paid = None;
    for number in [VISA_OK, VISA_DECLINED, VISA_NO_FUNDS, VISA_PROCESSOR_ERROR] {
        let reply = app
            .pay(
                Some(&new_key()),
                &payment_body(Uuid::now_v7(), 1_000, number),
            )
            .await;
        assert_eq!(reply.status, 201);
        paid.get_or_insert(reply.id());
    }
    let amex = json!({"booking_id": Uuid::now_v7(), "amount": 1_000, "currency": "USD",
        "card": {"number": AMEX, "exp_month": 1, "exp_year": 2031, "cvc": AMEX_CVC}});
    assert_eq!(app.pay(Some(&new_key()), &amex).await.status, 201);
    let spaced = json!({"booking_id": Uuid::now_v7(), "amount": 1_000, "currency": "EUR",
        "card": {"number": "4242 4242 4242 4242", "exp_month": 1, "exp_year": 2031, "cvc": CVC}});
    assert_eq!(app.pay(Some(&new_key()), &spaced).await.status, 201);

    let mut bad_luhn = payment_body(Uuid::now_v7(), 1_000, "4242424242424241");
    app.pay(Some(&new_key()), &bad_luhn)
        .await
        .assert_problem(422);
    bad_luhn["card"]["number"] = json!(4242424242424242_u64);
    app.pay(Some(&new_key()), &bad_luhn)
        .await
        .assert_problem(422);
    app.pay(None, &payment_body(Uuid::now_v7(), 1_000, VISA_OK))
        .await
        .assert_problem(400);

    let payment = paid.expect("a payment");
    assert_eq!(
        app.refund(&payment, &new_key(), &json!({"amount": 100}))
            .await
            .status,
        201
    );
    app.stop().await;
}
