//! The gRPC service credential (ADR 0105): without it nothing can be read, held or confirmed;
//! an exposed listener without one does not start.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use boxoffice_auth::{KeySource, TokenRules, Verifier};
use boxoffice_config::Secret;
use boxoffice_http::CancellationToken;
use boxoffice_proto::Credential;
use boxoffice_proto::cinema::v1 as pb;
use boxoffice_proto::cinema::v1::catalog_client::CatalogClient;
use boxoffice_proto::cinema::v1::seat_inventory_client::SeatInventoryClient;
use common::{Engine, TestApp, hold_request, new_id, test_settings};
use tonic::Code;

async fn statuses(app: &TestApp, showtime_id: &str) -> Vec<i32> {
    app.inventory()
        .await
        .get_seat_map(pb::GetSeatMapRequest {
            showtime_id: showtime_id.to_owned(),
        })
        .await
        .expect("map with the credential")
        .into_inner()
        .rows
        .into_iter()
        .flat_map(|r| r.seats)
        .map(|s| s.status)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_calls_without_the_service_credential_are_unauthenticated_and_change_nothing() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let seeded = app.seed(1, 4).await;
    let hold = hold_request(&seeded.showtime_id, &["A-1", "A-2"], &new_id(), 60);

    let mut anonymous = SeatInventoryClient::new(app.channel().await);
    let refused = anonymous
        .hold_seats(hold.clone())
        .await
        .expect_err("no credential");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let mut catalog = CatalogClient::new(app.channel().await);
    let refused = catalog
        .list_movies(pb::ListMoviesRequest {})
        .await
        .expect_err("no credential");
    assert_eq!(refused.code(), Code::Unauthenticated);

    let mut forged = SeatInventoryClient::new(
        Credential::bearer("not-the-token-0123456789abcdef").channel(app.channel().await),
    );
    let refused = forged
        .hold_seats(hold.clone())
        .await
        .expect_err("wrong credential");
    assert_eq!(refused.code(), Code::Unauthenticated);
    let available = pb::SeatStatus::Available as i32;
    assert!(
        statuses(&app, &seeded.showtime_id)
            .await
            .iter()
            .all(|s| *s == available),
        "a refused hold took seats"
    );

    let held = app.inventory().await.hold_seats(hold).await.expect("held");
    assert_eq!(held.into_inner().seat_ids.len(), 2);
    let held_now = statuses(&app, &seeded.showtime_id)
        .await
        .iter()
        .filter(|s| **s != available)
        .count();
    assert_eq!(held_now, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_token_is_the_one_accepted() {
    let url = common::database_url(Engine::Sqlite).await;
    let settings = boxoffice_cinema::Settings {
        service_token: Secret::new("configured-cinema-token-0123456789"),
        ..test_settings(&url)
    };
    let app = TestApp::spawn_with(settings).await;
    assert_eq!(
        app.grpc_token.expose(),
        "configured-cinema-token-0123456789"
    );
    let mut catalog = CatalogClient::new(
        Credential::bearer("configured-cinema-token-0123456789").channel(app.channel().await),
    );
    catalog
        .list_movies(pb::ListMoviesRequest {})
        .await
        .expect("accepted");
    app.stop().await;
}

fn verifier() -> Arc<Verifier> {
    Arc::new(Verifier::new(
        KeySource::Static(boxoffice_auth::JwkSet { keys: vec![] }),
        TokenRules::default(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exposed_grpc_listener_without_a_credential_refuses_to_start() {
    let url = common::database_url(Engine::Sqlite).await;
    let exposed = boxoffice_cinema::Settings {
        grpc_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        ..test_settings(&url)
    };
    let shutdown = CancellationToken::new();
    let refused = boxoffice_cinema::start(exposed.clone(), verifier(), shutdown.clone())
        .await
        .err()
        .expect("refused to start");
    let message = refused.to_string();
    assert!(
        message.contains("0.0.0.0:0") && message.contains("cinema.service_token"),
        "{message}"
    );

    let with_token = boxoffice_cinema::Settings {
        service_token: Secret::new("configured-cinema-token-0123456789"),
        ..exposed
    };
    let running = boxoffice_cinema::start(with_token, verifier(), shutdown.clone())
        .await
        .expect("starts with a credential");
    shutdown.cancel();
    running.wait().await.expect("stopped");
}
