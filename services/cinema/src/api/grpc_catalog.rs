//! The `Catalog` gRPC service: reads for the booking service's GraphQL API.

use boxoffice_proto::cinema::v1 as pb;
use boxoffice_proto::cinema::v1::catalog_server::Catalog;
use chrono::{Duration, NaiveDate};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert;
use crate::domain::{parse_id, parse_time_zone};
use crate::store::{SharedStore, ShowtimeFilter};

/// Most ids one batch call may ask for: a page of GraphQL results, not a table scan.
const MAX_BATCH: usize = 500;

pub struct CatalogApi {
    store: SharedStore,
}

impl CatalogApi {
    pub fn new(store: SharedStore) -> Self {
        Self { store }
    }
}

fn ids(texts: &[String]) -> Result<Vec<Uuid>, Status> {
    if texts.len() > MAX_BATCH {
        return Err(Status::invalid_argument(format!(
            "at most {MAX_BATCH} ids per call"
        )));
    }
    texts
        .iter()
        .map(|t| parse_id("id", t).map_err(Status::from))
        .collect()
}

fn one<T>(found: Vec<T>, what: &str) -> Result<Response<T>, Status> {
    found
        .into_iter()
        .next()
        .map(Response::new)
        .ok_or_else(|| Status::not_found(format!("{what} not found")))
}

#[tonic::async_trait]
impl Catalog for CatalogApi {
    async fn list_movies(
        &self,
        _: Request<pb::ListMoviesRequest>,
    ) -> Result<Response<pb::ListMoviesResponse>, Status> {
        let movies = self.store.list_movies().await?;
        Ok(Response::new(pb::ListMoviesResponse {
            movies: movies.into_iter().map(convert::movie).collect(),
        }))
    }

    async fn get_movie(
        &self,
        request: Request<pb::GetMovieRequest>,
    ) -> Result<Response<pb::Movie>, Status> {
        let id = parse_id("id", &request.get_ref().id)?;
        let found = self.store.get_movies(&[id]).await?;
        one(found.into_iter().map(convert::movie).collect(), "movie")
    }

    async fn batch_get_movies(
        &self,
        request: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::ListMoviesResponse>, Status> {
        let movies = self.store.get_movies(&ids(&request.get_ref().ids)?).await?;
        Ok(Response::new(pb::ListMoviesResponse {
            movies: movies.into_iter().map(convert::movie).collect(),
        }))
    }

    async fn list_cinemas(
        &self,
        _: Request<pb::ListCinemasRequest>,
    ) -> Result<Response<pb::ListCinemasResponse>, Status> {
        let cinemas = self.store.list_cinemas().await?;
        Ok(Response::new(pb::ListCinemasResponse {
            cinemas: cinemas.into_iter().map(convert::cinema).collect(),
        }))
    }

    async fn get_cinema(
        &self,
        request: Request<pb::GetCinemaRequest>,
    ) -> Result<Response<pb::Cinema>, Status> {
        let id = parse_id("id", &request.get_ref().id)?;
        let found = self.store.get_cinemas(&[id]).await?;
        one(found.into_iter().map(convert::cinema).collect(), "cinema")
    }

    async fn batch_get_cinemas(
        &self,
        request: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::ListCinemasResponse>, Status> {
        let cinemas = self
            .store
            .get_cinemas(&ids(&request.get_ref().ids)?)
            .await?;
        Ok(Response::new(pb::ListCinemasResponse {
            cinemas: cinemas.into_iter().map(convert::cinema).collect(),
        }))
    }

    async fn list_showtimes(
        &self,
        request: Request<pb::ListShowtimesRequest>,
    ) -> Result<Response<pb::ListShowtimesResponse>, Status> {
        let request = request.into_inner();
        let mut filter = ShowtimeFilter {
            movie_id: request
                .movie_id
                .as_deref()
                .map(|t| parse_id("movie_id", t))
                .transpose()?,
            cinema_id: request
                .cinema_id
                .as_deref()
                .map(|t| parse_id("cinema_id", t))
                .transpose()?,
            ..ShowtimeFilter::default()
        };
        let date = request
            .date
            .as_deref()
            .map(|d| {
                d.parse::<NaiveDate>()
                    .map_err(|_| Status::invalid_argument("date must be YYYY-MM-DD"))
            })
            .transpose()?;
        if let Some(date) = date {
            // Every zone's local day lies within a day either side of the UTC day; the exact
            // local date is checked per cinema below.
            let midnight = date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
            filter.from = midnight.map(|t| t - Duration::days(1));
            filter.to = midnight.map(|t| t + Duration::days(2));
        }
        let showtimes = self.store.list_showtimes(&filter).await?;
        let showtimes = showtimes
            .into_iter()
            .filter(|s| {
                date.is_none_or(|date| {
                    parse_time_zone(&s.time_zone)
                        .map(|tz| s.starts_at.with_timezone(&tz).date_naive() == date)
                        .unwrap_or(false)
                })
            })
            .map(convert::showtime)
            .collect();
        Ok(Response::new(pb::ListShowtimesResponse { showtimes }))
    }

    async fn get_showtime(
        &self,
        request: Request<pb::GetShowtimeRequest>,
    ) -> Result<Response<pb::Showtime>, Status> {
        let id = parse_id("id", &request.get_ref().id)?;
        let found = self.store.get_showtimes(&[id]).await?;
        one(
            found.into_iter().map(convert::showtime).collect(),
            "showtime",
        )
    }

    async fn batch_get_showtimes(
        &self,
        request: Request<pb::BatchGetRequest>,
    ) -> Result<Response<pb::ListShowtimesResponse>, Status> {
        let showtimes = self
            .store
            .get_showtimes(&ids(&request.get_ref().ids)?)
            .await?;
        Ok(Response::new(pb::ListShowtimesResponse {
            showtimes: showtimes.into_iter().map(convert::showtime).collect(),
        }))
    }
}
