//! The GraphQL cost budget, the WebSocket limits and INTERNAL errors without internals, through
//! the gateway of the real binary (ADR 0503).

mod support;

use std::time::Duration;

use boxoffice_client::ApiClient;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::cluster::{Cluster, Deployment, logged_problems};
use support::journey;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SEAT_MAP: &str =
    "seatMap { rows { label seats { id number status type price { amount currency } } } }";

async fn post(cluster: &Cluster, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", cluster.gateway_url))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("post /graphql");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json answer"))
}

fn first_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

fn aliases(count: usize, field: &str) -> String {
    (0..count).map(|i| format!("a{i}: {field} ")).collect()
}

async fn customer_token(cluster: &Cluster, name: &str) -> String {
    cluster
        .api()
        .register(
            &format!("{name}@example.com"),
            "a long enough password",
            name,
        )
        .await
        .expect("register")
        .access_token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expensive_documents_are_refused_before_they_run_and_the_shop_s_queries_are_not() {
    let cluster = Cluster::start(Deployment::Embedded).await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "cost").await;
    let token = customer_token(&cluster, "costly").await;

    // The attack: 30 aliases of every showtime's seat map.
    let attack = format!(
        "{{ {} }}",
        aliases(30, &format!("showtimes {{ {SEAT_MAP} }}"))
    );
    for caller in [None, Some(token.as_str())] {
        let (status, answer) = post(&cluster, caller, json!({"query": attack})).await;
        assert_eq!(first_code(&answer), "QUERY_TOO_COMPLEX", "{answer}");
        assert_eq!(status, 400);
        assert!(answer["data"].is_null(), "nothing ran: {answer}");
        let budget = if caller.is_some() { "200000" } else { "50000" };
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(budget), "the budget is named: {message}");
    }

    // The same through fragments spread many times over, and nested fragments.
    let fragments = format!(
        "{{ {} }} fragment S on Showtime {{ id ...M }} fragment M on Showtime {{ {SEAT_MAP} }}",
        aliases(
            30,
            &format!("showtime(id: \"{}\") {{ ...S }}", catalog.showtime_id)
        )
    );
    let (_, answer) = post(&cluster, None, json!({"query": fragments})).await;
    assert_eq!(first_code(&answer), "QUERY_TOO_COMPLEX", "{answer}");

    // Batches: the server takes one request per body, so a JSON array is refused outright…
    let batch: Vec<Value> = (0..30)
        .map(|_| json!({"query": format!("{{ showtimes {{ {SEAT_MAP} }} }}")}))
        .collect();
    let (status, answer) = post(&cluster, None, Value::Array(batch)).await;
    assert_eq!(
        (status, first_code(&answer)),
        (400, "BAD_USER_INPUT"),
        "{answer}"
    );
    // …and one document with many operations is costed for all of them.
    let one = format!("showtime(id: \"{}\") {{ {SEAT_MAP} }}", catalog.showtime_id);
    let operations: String = (0..30)
        .map(|i| format!("query Q{i} {{ {one} }} "))
        .collect();
    let (_, answer) = post(
        &cluster,
        None,
        json!({"query": operations, "operationName": "Q0"}),
    )
    .await;
    assert_eq!(first_code(&answer), "QUERY_TOO_COMPLEX", "{answer}");
    // One of them alone is an ordinary seat-map read.
    let (_, answer) = post(&cluster, None, json!({"query": format!("{{ {one} }}")})).await;
    assert!(answer["errors"].is_null(), "{answer}");

    // The shop's own pages, anonymous and signed in (their documents as the pages send them).
    let home = "query NowShowing { cinemas { id name timeZone } movies { id title rating runtimeMinutes genres posterUrl } showtimes { id startsAt movie { id } cinema { id } auditorium { name } } }";
    let showtime = "query Showtime($id: ID!) { bookingPolicy { maxSeatsPerBooking } showtime(id: $id) { id startsAt endsAt movie { id title rating runtimeMinutes } cinema { id name address timeZone } auditorium { id name } seatMap { rows { label gapsAfter seats { id number type status price { amount currency } } } } } }";
    for caller in [None, Some(token.as_str())] {
        let (_, answer) = post(&cluster, caller, json!({"query": home})).await;
        assert!(answer["errors"].is_null(), "{answer}");
        assert!(
            !answer["data"]["showtimes"]
                .as_array()
                .expect("list")
                .is_empty()
        );
        let (_, answer) = post(
            &cluster,
            caller,
            json!({"query": showtime, "variables": {"id": catalog.showtime_id}}),
        )
        .await;
        assert!(answer["errors"].is_null(), "{answer}");
        let rows = answer["data"]["showtime"]["seatMap"]["rows"]
            .as_array()
            .expect("rows");
        assert_eq!(rows.len(), 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answer_over_the_size_cap_is_not_sent() {
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[("BOXOFFICE_BOOKING__MAX_ANSWER_BYTES", "2000")],
    )
    .await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "size").await;
    let query = format!(
        "{{ showtime(id: \"{}\") {{ {SEAT_MAP} }} }}",
        catalog.showtime_id
    );
    let (_, answer) = post(&cluster, None, json!({"query": query})).await;
    assert_eq!(first_code(&answer), "QUERY_TOO_COMPLEX", "{answer}");
    assert!(answer.to_string().len() < 2000);
    let (_, small) = post(
        &cluster,
        None,
        json!({"query": "{ bookingPolicy { holdSeconds } }"}),
    )
    .await;
    assert!(small["errors"].is_null(), "{small}");
}

async fn connect(cluster: &Cluster) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "{}/graphql",
        cluster.gateway_url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

/// The next message: Ok(json) for text, Err(close code) once closed (0 without a frame).
async fn next(socket: &mut Socket, within: Duration) -> Result<Value, u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("an answer in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                return Ok(serde_json::from_str(&text).expect("json message"));
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map_or(0, |f| f.code.into())),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(0),
        }
    }
}

/// Connects, retrying while this client's earlier sockets are still being released.
async fn connect_eventually(cluster: &Cluster) -> Socket {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match connect(cluster).await {
            Ok(socket) => return socket,
            Err(e) => assert!(tokio::time::Instant::now() < deadline, "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The next text message within `within`, None if none came (panics on a close).
async fn next_within(socket: &mut Socket, within: Duration) -> Option<Value> {
    match tokio::time::timeout(within, next(socket, Duration::from_secs(600))).await {
        Err(_) => None,
        Ok(Ok(message)) => Some(message),
        Ok(Err(code)) => panic!("closed with {code}"),
    }
}

/// The close code if the socket is closed within `within`, None if it stays open.
async fn closed_within(socket: &mut Socket, within: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Close(frame)))) => return Some(frame.map_or(0, |f| f.code.into())),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => return Some(0),
        }
    }
}

async fn initialised(cluster: &Cluster) -> Socket {
    let mut socket = connect(cluster).await.expect("connect");
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": {}}),
    )
    .await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(10))
            .await
            .expect("ack")["type"],
        "connection_ack"
    );
    socket
}

fn subscribe(id: &str, showtime: &str) -> Value {
    json!({"id": id, "type": "subscribe", "payload": {
        "query": "subscription($id: ID!) { seatMapUpdates(showtimeId: $id) { seatId status version } }",
        "variables": {"id": showtime},
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_socket_runs_a_few_subscriptions_and_refuses_the_rest_and_over_budget_queries() {
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[
            ("BOXOFFICE_BOOKING__WS_MESSAGES_PER_SEC", "10000"),
            ("BOXOFFICE_BOOKING__WS_CLIENT_MESSAGES_PER_SEC", "10000"),
        ],
    )
    .await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "subs").await;
    let mut socket = initialised(&cluster).await;
    for i in 0..300 {
        send(
            &mut socket,
            subscribe(&format!("s{i}"), &catalog.showtime_id),
        )
        .await;
    }
    let mut refused = 0;
    while refused < 295 {
        let message = next(&mut socket, Duration::from_secs(10))
            .await
            .expect("open");
        if message["type"] == "error" {
            assert_eq!(
                message["payload"][0]["extensions"]["code"], "RATE_LIMITED",
                "{message}"
            );
            refused += 1;
        }
    }
    // The five that run still deliver: a hold shows up on each of them. (A stream may start
    // watching a moment after its subscribe was accepted: hold again until all five saw one.)
    let token = customer_token(&cluster, "watcher").await;
    let customer = ApiClient::new(&cluster.gateway_url).with_token(token);
    let mut updated = std::collections::HashSet::new();
    for seat in 1..=8 {
        customer
            .graphql(
                "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }",
                json!({"input": {"showtimeId": catalog.showtime_id, "seatIds": [format!("A-{seat}")]}}),
            )
            .await
            .expect("hold");
        while let Some(message) = next_within(&mut socket, Duration::from_secs(1)).await {
            assert_ne!(message["type"], "error", "{message}");
            if message["type"] == "next" {
                updated.insert(message["id"].as_str().expect("id").to_owned());
            }
        }
        if updated.len() == 5 {
            break;
        }
    }
    let expected: std::collections::HashSet<String> = (0..5).map(|i| format!("s{i}")).collect();
    assert_eq!(updated, expected);

    // Ending one makes room for another.
    send(&mut socket, json!({"id": "s0", "type": "complete"})).await;
    let over = format!(
        "{{ {} }}",
        aliases(30, &format!("showtimes {{ {SEAT_MAP} }}"))
    );
    send(
        &mut socket,
        json!({"id": "q1", "type": "subscribe", "payload": {"query": over}}),
    )
    .await;
    let refusal = loop {
        let message = next(&mut socket, Duration::from_secs(10))
            .await
            .expect("open");
        if message["id"] == "q1" {
            break message;
        }
    };
    assert_eq!(refusal["type"], "error", "{refusal}");
    assert_eq!(
        refusal["payload"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    // An ordinary query over the socket runs, with the loaders it needs.
    let query = format!(
        "{{ showtime(id: \"{}\") {{ id movie {{ title }} }} }}",
        catalog.showtime_id
    );
    send(
        &mut socket,
        json!({"id": "q2", "type": "subscribe", "payload": {"query": query}}),
    )
    .await;
    let answer = loop {
        let message = next(&mut socket, Duration::from_secs(10))
            .await
            .expect("open");
        if message["id"] == "q2" {
            break message;
        }
    };
    assert_eq!(answer["type"], "next", "{answer}");
    assert!(answer["payload"]["errors"].is_null(), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sockets_are_closed_without_init_and_when_they_send_too_fast_and_capped_per_client() {
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[
            ("BOXOFFICE_BOOKING__WS_INIT_TIMEOUT_MS", "300"),
            ("BOXOFFICE_BOOKING__WS_MAX_CONNECTIONS_PER_CLIENT", "3"),
        ],
    )
    .await;

    // No connection_init: closed with 4408, well within 10 s.
    let mut silent = connect(&cluster).await.expect("connect");
    assert_eq!(next(&mut silent, Duration::from_secs(10)).await, Err(4408));

    // Ten messages a second per connection: 40 pings at once get at most ~10 pongs, then 4429.
    let mut chatty = initialised(&cluster).await;
    for _ in 0..40 {
        if chatty
            .send(Message::Text(json!({"type": "ping"}).to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut pongs = 0;
    let closed = loop {
        match next(&mut chatty, Duration::from_secs(10)).await {
            Ok(message) if message["type"] == "pong" => pongs += 1,
            Ok(_) => {}
            Err(code) => break code,
        }
    };
    assert_eq!(closed, 4429);
    assert!(pongs < 12, "{pongs} pongs");

    // Three open sockets per client; the fourth is refused at the handshake. (The sockets
    // closed above are released as soon as the server has closed them.)
    let mut held = Vec::new();
    for _ in 0..3 {
        // Initialised, or the init timeout would close (and release) them.
        let mut socket = connect_eventually(&cluster).await;
        send(
            &mut socket,
            json!({"type": "connection_init", "payload": {}}),
        )
        .await;
        assert_eq!(
            next(&mut socket, Duration::from_secs(10))
                .await
                .expect("ack")["type"],
            "connection_ack"
        );
        held.push(socket);
    }
    match connect(&cluster).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
        }
        other => panic!("a fourth socket was not refused: {:?}", other.map(|_| ())),
    }
    drop(held.pop());
    Cluster::eventually(Duration::from_secs(10), "a freed place", || {
        let cluster = &cluster;
        async move { connect(cluster).await.is_ok() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn all_the_sockets_of_one_client_share_a_message_budget() {
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[
            ("BOXOFFICE_BOOKING__WS_MESSAGES_PER_SEC", "1000"),
            ("BOXOFFICE_BOOKING__WS_CLIENT_MESSAGES_PER_SEC", "20"),
        ],
    )
    .await;
    let mut sockets = Vec::new();
    for _ in 0..4 {
        let mut socket = connect(&cluster).await.expect("connect");
        send(
            &mut socket,
            json!({"type": "connection_init", "payload": {}}),
        )
        .await;
        sockets.push(socket);
    }
    // 4 × 10 messages, each socket far under its own limit, twice the client's.
    for socket in &mut sockets {
        for _ in 0..9 {
            let _ = socket
                .send(Message::Text(json!({"type": "ping"}).to_string().into()))
                .await;
        }
    }
    let mut closed = 0;
    for socket in &mut sockets {
        match closed_within(socket, Duration::from_secs(2)).await {
            Some(4429) => closed += 1,
            None => {}
            Some(code) => panic!("closed with {code}"),
        }
    }
    assert!(closed >= 1, "{closed} sockets closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_internal_error_names_the_request_not_the_dependency_s_address() {
    let mut cluster = Cluster::start(Deployment::Distributed).await;
    cluster.kill("cinema");
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", cluster.gateway_url))
        .json(&json!({"query": "{ showtimes { id } }"}))
        .send()
        .await
        .expect("post");
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned();
    let answer: Value = response.json().await.expect("json");
    let error = &answer["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL", "{answer}");
    assert_eq!(error["extensions"]["requestId"], request_id.as_str());
    let text = answer.to_string().to_lowercase();
    for internal in [
        "127.0.0.1",
        "localhost",
        "http",
        "://",
        "tcp",
        "transport",
        "connect",
        "cancelled",
        "grpc",
        "status",
    ] {
        assert!(!text.contains(internal), "{internal:?} leaked: {answer}");
    }
    assert!(text.contains("cinema service is unavailable"), "{answer}");
    // The log has what happened, under the same request id.
    Cluster::eventually(Duration::from_secs(10), "the cause in the log", || async {
        logged_problems().iter().any(|line| {
            line.contains(&request_id) && line.contains("cinema service is unavailable (")
        })
    })
    .await;
}
