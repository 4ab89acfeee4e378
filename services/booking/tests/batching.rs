//! Batch loading: listing showtimes (or bookings) with their movies and cinemas makes one
//! catalog call per kind, not one per item. Counted by a forwarding Catalog server between
//! the booking service and the real cinema service.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use boxoffice_booking::saga::Faults;
use boxoffice_proto::cinema::v1 as pb;
use boxoffice_proto::{CinemaChannel as Channel, Credential};
use common::*;
use pb::catalog_client::CatalogClient;
use pb::catalog_server::{Catalog, CatalogServer};
use serde_json::json;
use tonic::{Request, Response, Status};

#[derive(Clone)]
struct Counting {
    inner: CatalogClient<Channel>,
    calls: Arc<Mutex<HashMap<&'static str, usize>>>,
}

impl Counting {
    fn count(&self, method: &'static str) -> CatalogClient<Channel> {
        *self.calls.lock().expect("lock").entry(method).or_default() += 1;
        self.inner.clone()
    }
}

#[tonic::async_trait]
impl Catalog for Counting {
    async fn list_movies(
        &self,
        r: Request<pb::ListMoviesRequest>,
    ) -> Result<Response<pb::ListMoviesResponse>, Status> {
        self.count("ListMovies").list_movies(r.into_inner()).await
    }
    async fn get_movie(
        &self,
        r: Request<pb::GetMovieRequest>,
    ) -> Result<Response<pb::Movie>, Status> {
        self.count("GetMovie").get_movie(r.into_inner()).await
    }
    async fn batch_get_movies(
        &self,
        r: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::ListMoviesResponse>, Status> {
        self.count("BatchGetMovies")
            .batch_get_movies(r.into_inner())
            .await
    }
    async fn list_cinemas(
        &self,
        r: Request<pb::ListCinemasRequest>,
    ) -> Result<Response<pb::ListCinemasResponse>, Status> {
        self.count("ListCinemas").list_cinemas(r.into_inner()).await
    }
    async fn get_cinema(
        &self,
        r: Request<pb::GetCinemaRequest>,
    ) -> Result<Response<pb::Cinema>, Status> {
        self.count("GetCinema").get_cinema(r.into_inner()).await
    }
    async fn batch_get_cinemas(
        &self,
        r: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::ListCinemasResponse>, Status> {
        self.count("BatchGetCinemas")
            .batch_get_cinemas(r.into_inner())
            .await
    }
    async fn list_showtimes(
        &self,
        r: Request<pb::ListShowtimesRequest>,
    ) -> Result<Response<pb::ListShowtimesResponse>, Status> {
        self.count("ListShowtimes")
            .list_showtimes(r.into_inner())
            .await
    }
    async fn get_showtime(
        &self,
        r: Request<pb::GetShowtimeRequest>,
    ) -> Result<Response<pb::Showtime>, Status> {
        self.count("GetShowtime").get_showtime(r.into_inner()).await
    }
    async fn batch_get_showtimes(
        &self,
        r: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::ListShowtimesResponse>, Status> {
        self.count("BatchGetShowtimes")
            .batch_get_showtimes(r.into_inner())
            .await
    }
}

async fn counting_proxy(
    cinema_grpc: SocketAddr,
    token: &str,
) -> (SocketAddr, Arc<Mutex<HashMap<&'static str, usize>>>) {
    let channel = tonic::transport::Channel::from_shared(format!("http://{cinema_grpc}"))
        .expect("url")
        .connect()
        .await
        .expect("cinema");
    let inner = CatalogClient::new(Credential::bearer(token).channel(channel));
    let calls = Arc::new(Mutex::new(HashMap::new()));
    let service = Counting {
        inner,
        calls: calls.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(CatalogServer::new(service))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (addr, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_load_their_movies_cinemas_and_showtimes_in_one_call_each() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let mut showtimes = Vec::new();
    for day in 1..=4 {
        showtimes.push(
            cluster
                .seed(1, 4, &format!("2030-01-0{day}T18:00:00Z"))
                .await
                .showtime_id,
        );
    }
    let (_, token) = cluster.customer("Many").await;
    let db = database_url(Engine::Postgres).await;
    let (bus, _) = memory_bus().await;
    // One customer with an unpaid booking per showtime: above the default hold limit.
    let mut settings = cluster.booking_settings(&db);
    settings.max_pending_bookings = showtimes.len();
    let writer = Booking::start(&cluster, settings, bus, Faults::default()).await;
    for showtime in &showtimes {
        let created = create_booking(&writer.url(), &token, showtime, &["A-1"]).await;
        assert!(created["errors"].is_null(), "{created}");
    }

    // A second instance on the same database, reading the catalog through the counter.
    let (proxy, calls) = counting_proxy(cluster.cinema_grpc, cluster.cinema_token.expose()).await;
    let mut settings = cluster.booking_settings(&db);
    settings.cinema_grpc_url = format!("http://{proxy}");
    // Counting calls proves the batching; the catalog cache would hide the second query's.
    settings.catalog_cache_ms = 0;
    let (bus, _) = memory_bus().await;
    let reader = Booking::start(&cluster, settings, bus, Faults::default()).await;

    let listed = gql(
        &reader.url(),
        None,
        "{ showtimes { id movie { title } cinema { name } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        listed["data"]["showtimes"].as_array().expect("list").len(),
        4,
        "{listed}"
    );
    let counted = calls.lock().expect("lock").clone();
    assert_eq!(counted.get("ListShowtimes"), Some(&1), "{counted:?}");
    assert_eq!(counted.get("BatchGetMovies"), Some(&1), "{counted:?}");
    assert_eq!(counted.get("BatchGetCinemas"), Some(&1), "{counted:?}");

    calls.lock().expect("lock").clear();
    let mine = gql(
        &reader.url(),
        Some(&token),
        "{ myBookings { id showtime { id movie { title } cinema { name } } } }",
        json!({}),
    )
    .await;
    let bookings = mine["data"]["myBookings"].as_array().expect("bookings");
    assert_eq!(bookings.len(), 4, "{mine}");
    assert!(
        bookings
            .iter()
            .all(|b| b["showtime"]["movie"]["title"] == "Heat")
    );
    let counted = calls.lock().expect("lock").clone();
    assert_eq!(counted.get("BatchGetShowtimes"), Some(&1), "{counted:?}");
    assert_eq!(counted.get("BatchGetMovies"), Some(&1), "{counted:?}");
    assert_eq!(counted.get("BatchGetCinemas"), Some(&1), "{counted:?}");
    assert_eq!(counted.values().sum::<usize>(), 3, "{counted:?}");
}
