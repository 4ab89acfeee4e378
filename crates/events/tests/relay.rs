//! The outbox relay against real PostgreSQL and RabbitMQ, and on SQLite with the in-process bus.

mod common;

use std::sync::Arc;
use std::time::Duration;

use boxoffice_events::relay::{RelaySettings, backlog, relay_once, spawn_relay};
use boxoffice_events::testing::TestVhost;
use boxoffice_events::{EventBus, EventEnvelope, InProcessBus, RabbitBus};
use boxoffice_store::{Database, PoolSettings};
use boxoffice_telemetry::trace_context;
use common::{Recorder, eventually, subscription, user_event};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The outbox table as every producer's migrations create it (see crates/outbox).
const OUTBOX_POSTGRES: &str = "create table outbox (id uuid primary key, event_type text not null, \
    version integer not null, occurred_at timestamptz not null, payload text not null, \
    published_at timestamptz, attempts integer not null default 0, last_error text, traceparent text)";
const OUTBOX_SQLITE: &str = "create table outbox (id blob primary key, event_type text not null, \
    version integer not null, occurred_at text not null, payload text not null, \
    published_at text, attempts integer not null default 0, last_error text, traceparent text)";

async fn database(url: &str) -> Database {
    static NO_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;
    let migrations = boxoffice_store::Migrations {
        postgres: &NO_MIGRATIONS,
        sqlite: &NO_MIGRATIONS,
    };
    let database = Database::connect(url, &migrations, PoolSettings::default())
        .await
        .expect("connect");
    match &database {
        Database::Postgres(pool) => sqlx::query(OUTBOX_POSTGRES).execute(pool).await.map(|_| ()),
        Database::Sqlite(pool) => sqlx::query(OUTBOX_SQLITE).execute(pool).await.map(|_| ()),
    }
    .expect("outbox table");
    database
}

async fn enqueue(database: &Database, events: &[EventEnvelope]) {
    for event in events {
        match database {
            Database::Postgres(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                boxoffice_outbox::enqueue_postgres(&mut tx, event)
                    .await
                    .expect("enqueue");
                tx.commit().await.expect("commit");
            }
            Database::Sqlite(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                boxoffice_outbox::enqueue_sqlite(&mut tx, event)
                    .await
                    .expect("enqueue");
                tx.commit().await.expect("commit");
            }
        }
    }
}

async fn unpublished(database: &Database) -> (i64, i64) {
    let sql = "SELECT count(*), coalesce(sum(attempts), 0) FROM outbox WHERE published_at IS NULL";
    match database {
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await,
    }
    .expect("count")
}

fn fast() -> RelaySettings {
    RelaySettings {
        batch_size: 25,
        poll_interval: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
    }
}

#[tokio::test]
async fn events_written_while_rabbitmq_is_down_are_published_once_it_is_back() {
    let vhost = TestVhost::create().await.expect("vhost");
    let database = database(
        &boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("db"),
    )
    .await;
    let bus = Arc::new(RabbitBus::new(vhost.url.clone()));
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("q"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    eventually(Duration::from_secs(10), "the queue exists", || async {
        vhost.ready_messages("q").await.is_ok()
    })
    .await;

    vhost.take_down().await.expect("broker down");
    let events: Vec<_> = (0..120)
        .map(|i| user_event(&format!("u{i}@example.com")))
        .collect();
    enqueue(&database, &events).await;
    // Two relays, as with two instances of a service: SKIP LOCKED keeps their batches apart.
    let relays = [
        spawn_relay(
            "test",
            database.clone(),
            bus.clone(),
            fast(),
            shutdown.clone(),
        ),
        spawn_relay(
            "test",
            database.clone(),
            bus.clone(),
            fast(),
            shutdown.clone(),
        ),
    ];
    eventually(
        Duration::from_secs(10),
        "the relay tried and failed",
        || async {
            let (waiting, attempts) = unpublished(&database).await;
            waiting == 120 && attempts > 0
        },
    )
    .await;

    vhost.bring_up().await.expect("broker up");
    eventually(Duration::from_secs(30), "every event published", || async {
        unpublished(&database).await.0 == 0
    })
    .await;
    eventually(Duration::from_secs(30), "every event consumed", || async {
        events.iter().all(|e| recorder.calls_for(e.id) >= 1)
    })
    .await;
    assert_eq!(
        recorder.ids().len(),
        120,
        "no event published twice by the two relays"
    );
    shutdown.cancel();
    for relay in relays {
        relay.wait().await;
    }
    consumer.wait().await;
}

#[tokio::test]
async fn the_relay_drains_a_sqlite_outbox_into_the_in_process_bus() {
    let database = database(&boxoffice_store::testing::fresh_sqlite_url()).await;
    let bus = Arc::new(InProcessBus::new());
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("q"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    let events: Vec<_> = (0..60)
        .map(|i| user_event(&format!("u{i}@example.com")))
        .collect();
    enqueue(&database, &events).await;
    let relay = spawn_relay(
        "test",
        database.clone(),
        bus.clone(),
        fast(),
        shutdown.clone(),
    );
    eventually(Duration::from_secs(10), "every event published", || async {
        unpublished(&database).await.0 == 0
    })
    .await;
    // In-process publish confirms after handling: published means consumed.
    assert!(events.iter().all(|e| recorder.calls_for(e.id) == 1));
    shutdown.cancel();
    relay.wait().await;
    consumer.wait().await;
}

/// What `boxoffice_outbox_backlog` and `boxoffice_outbox_lag_seconds` are read from, on both
/// databases: the unpublished rows and the oldest one's time, none once they are published.
#[tokio::test]
async fn the_backlog_is_the_unpublished_rows_and_the_oldest_ones_time_on_both_databases() {
    let urls = [
        boxoffice_store::testing::fresh_sqlite_url(),
        boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("db"),
    ];
    for url in urls {
        let database = database(&url).await;
        assert_eq!(backlog(&database).await.expect("backlog"), (0, None));
        let events: Vec<_> = (0..3)
            .map(|i| user_event(&format!("b{i}@example.com")))
            .collect();
        enqueue(&database, &events).await;
        let (rows, oldest) = backlog(&database).await.expect("backlog");
        assert_eq!(rows, 3, "{url}");
        assert_eq!(oldest, Some(events[0].occurred_at), "{url}");

        let bus = InProcessBus::new();
        relay_once(&database, &bus, 10).await.expect("relayed");
        assert_eq!(backlog(&database).await.expect("backlog"), (0, None));
    }
}

/// The relay runs outside every request; each event must still reach its consumer in the
/// trace of the code that wrote it, through the context kept in the outbox row, and over
/// RabbitMQ in the AMQP headers.
#[tokio::test]
async fn the_relay_continues_the_trace_of_the_writer_over_rabbitmq() {
    boxoffice_telemetry::init_for_tests();
    let vhost = TestVhost::create().await.expect("vhost");
    let database = database(
        &boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("db"),
    )
    .await;
    let bus = Arc::new(RabbitBus::new(vhost.url.clone()));
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("q"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    eventually(Duration::from_secs(10), "the queue exists", || async {
        vhost.ready_messages("q").await.is_ok()
    })
    .await;
    let writers = [tracing::info_span!("writer"), tracing::info_span!("writer")];
    let events: Vec<_> = (0..2)
        .map(|i| user_event(&format!("u{i}@example.com")))
        .collect();
    for (event, writer) in events.iter().zip(&writers) {
        enqueue(&database, std::slice::from_ref(event))
            .instrument(writer.clone())
            .await;
    }
    let relay = spawn_relay(
        "test",
        database.clone(),
        bus.clone(),
        fast(),
        shutdown.clone(),
    );
    eventually(Duration::from_secs(10), "both events consumed", || async {
        events.iter().all(|e| recorder.calls_for(e.id) == 1)
    })
    .await;
    for (event, writer) in events.iter().zip(&writers) {
        let written = trace_context::trace_id_of(writer);
        assert!(written.is_some(), "the writer has a trace");
        assert_eq!(recorder.trace_of(event.id), written);
    }
    assert_ne!(
        trace_context::trace_id_of(&writers[0]),
        trace_context::trace_id_of(&writers[1])
    );
    shutdown.cancel();
    relay.wait().await;
    consumer.wait().await;
}
