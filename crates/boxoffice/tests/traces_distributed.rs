//! One paid booking on the six-process deployment is one OpenTelemetry trace, exported over
//! OTLP by every process it crosses (ADR 0702).

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use boxoffice_telemetry::trace_context;
use serde_json::json;
use support::cluster::{Cluster, Deployment};
use support::journey::{self, GOOD_CARD};
use support::otlp::{OtlpReceiver, ReceivedSpan};
use tracing::Instrument;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_booking_is_one_trace_from_the_gateway_to_the_confirmation_email() {
    let receiver = OtlpReceiver::start().await;
    let cluster = Cluster::start_with(
        Deployment::Distributed,
        &[
            ("BOXOFFICE_OTLP_ENDPOINT", receiver.endpoint.as_str()),
            // Export within half a second instead of five: the test waits for the spans.
            ("OTEL_BSP_SCHEDULE_DELAY", "500"),
        ],
    )
    .await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "traces").await;
    let api = cluster.api();
    let email = "tracy@example.com";
    api.register(email, "popcorn and a good film", "Tracy Example")
        .await
        .expect("register");
    let login = api
        .login(email, "popcorn and a good film")
        .await
        .expect("login");
    let customer = api.with_token(login.access_token);

    // The customer's own client starts the trace, as an instrumented browser would: both
    // calls of the booking are children of its one span.
    boxoffice_telemetry::init_for_tests();
    let client_span = tracing::info_span!("customer books and pays");
    let trace_id = trace_context::trace_id_of(&client_span).expect("the client span has a trace");
    let client_span_id = trace_context::headers_of(&client_span)
        .into_iter()
        .find(|(name, _)| *name == trace_context::TRACEPARENT)
        .and_then(|(_, value)| value.split('-').nth(2).map(str::to_owned))
        .expect("a traceparent");
    let paid = async {
        let created = customer
            .graphql(
                "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }",
                json!({"input": {"showtimeId": catalog.showtime_id, "seatIds": ["C-1"]}}),
            )
            .await
            .expect("createBooking");
        let booking_id = created["createBooking"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        customer
            .graphql(
                "mutation($input: PayBookingInput!) { payBooking(input: $input) { status } }",
                json!({"input": {"bookingId": booking_id, "card": journey::card(GOOD_CARD),
                    "idempotencyKey": format!("{booking_id}-1")}}),
            )
            .await
            .expect("payBooking")
    }
    .instrument(client_span.clone())
    .await;
    assert_eq!(paid["payBooking"]["status"], "CONFIRMED");

    Cluster::eventually(
        Duration::from_secs(30),
        "the confirmation email",
        || async {
            cluster
                .smtp
                .messages()
                .iter()
                .any(|m| m.to.iter().any(|to| to.contains(email)))
        },
    )
    .await;

    // Each process exports its spans in batches, some after the email went out: wait until
    // the trace is complete (every service, the relay and consumer, no parent missing).
    let wanted = ["gateway", "booking", "cinema", "payments", "notifications"];
    let complete = |spans: &[ReceivedSpan]| {
        let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
        wanted
            .iter()
            .all(|service| spans.iter().any(|s| s.service == *service))
            && spans.iter().any(|s| s.name == "publish booking.confirmed")
            && spans.iter().any(|s| s.name == "consume booking.confirmed")
            && spans.iter().all(|s| {
                s.parent_span_id == client_span_id || ids.contains(s.parent_span_id.as_str())
            })
    };
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while !complete(&receiver.trace(&trace_id)) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let spans = receiver.trace(&trace_id);
    assert!(
        waited.is_ok(),
        "the trace stayed incomplete:\n{}",
        describe(&spans)
    );
    let summary = describe(&spans);

    // The outbox relay's publish continues the booking's trace and the email's consumer is
    // its child (the context travelled in the outbox row, then in the AMQP headers).
    let publish = spans
        .iter()
        .find(|s| s.service == "booking" && s.name == "publish booking.confirmed")
        .unwrap_or_else(|| panic!("the relay's publish of booking.confirmed:\n{summary}"));
    let consume = spans
        .iter()
        .find(|s| s.service == "notifications" && s.name == "consume booking.confirmed")
        .unwrap_or_else(|| panic!("the notifications consumer:\n{summary}"));
    assert_eq!(consume.parent_span_id, publish.span_id, "{summary}");
    assert!(
        spans
            .iter()
            .any(|s| s.service == "cinema" && s.name.contains("SeatInventory")),
        "a gRPC server span in cinema:\n{summary}"
    );
    assert!(
        spans
            .iter()
            .any(|s| s.service == "booking" && s.name.starts_with("saga ")),
        "saga step spans:\n{summary}"
    );

    // One tree: every span's parent is in the trace, except the gateway's request spans,
    // whose parent is the client's span.
    let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    for span in &spans {
        if span.parent_span_id == client_span_id {
            assert_eq!(span.service, "gateway", "{summary}");
        } else {
            assert!(
                ids.contains(span.parent_span_id.as_str()),
                "{} of {} has a parent outside the trace:\n{summary}",
                span.name,
                span.service
            );
        }
    }
    let roots = spans
        .iter()
        .filter(|s| s.parent_span_id == client_span_id)
        .count();
    assert_eq!(roots, 2, "one gateway span per call:\n{summary}");
}

/// The trace as an indented tree, for failure messages.
fn describe(spans: &[ReceivedSpan]) -> String {
    let mut children: HashMap<&str, Vec<&ReceivedSpan>> = HashMap::new();
    let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    for span in spans {
        let parent = if ids.contains(span.parent_span_id.as_str()) {
            span.parent_span_id.as_str()
        } else {
            ""
        };
        children.entry(parent).or_default().push(span);
    }
    let mut out = String::new();
    let mut stack: Vec<(&str, usize)> = vec![("", 0)];
    while let Some((id, depth)) = stack.pop() {
        for span in children.get(id).into_iter().flatten().rev() {
            out.push_str(&format!(
                "{}{} [{}]\n",
                "  ".repeat(depth),
                span.name,
                span.service
            ));
            stack.push((span.span_id.as_str(), depth + 1));
        }
    }
    out
}
