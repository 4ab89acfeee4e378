//! Showtimes: scheduling, prices, and the rules that protect sold seats.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use boxoffice_http::{ApiJson, Problem};
use serde::Deserialize;

use super::{AdminState, cinema_day, path_id, query_id};
use crate::domain::{SeriesInput, ShowtimeInput};
use crate::store::{Showtime, ShowtimeFilter};

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/api/v1/admin/showtimes", get(list).post(create))
        .route("/api/v1/admin/showtimes/series", post(create_series))
        .route(
            "/api/v1/admin/showtimes/{id}",
            get(show).put(update).delete(remove),
        )
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    movie_id: Option<String>,
    cinema_id: Option<String>,
    /// A local date (YYYY-MM-DD) in the cinema's zone; needs `cinema_id`.
    date: Option<String>,
}

async fn list(
    State(state): State<AdminState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<ApiJson<Vec<Showtime>>, Problem> {
    let Query(query) = query.map_err(|_| Problem::validation("unreadable query string"))?;
    let mut filter = ShowtimeFilter {
        movie_id: query_id(query.movie_id, "movie_id")?,
        cinema_id: query_id(query.cinema_id, "cinema_id")?,
        ..ShowtimeFilter::default()
    };
    if let Some(date) = query.date {
        let cinema_id = filter.cinema_id.ok_or_else(|| {
            Problem::validation("date needs cinema_id: a date is local to a cinema")
        })?;
        let (_, from, to) = cinema_day(&state, cinema_id, &date).await?;
        filter.from = Some(from);
        filter.to = Some(to);
    }
    Ok(ApiJson(state.store.list_showtimes(&filter).await?))
}

/// The same showtime on consecutive days, all or none.
async fn create_series(
    State(state): State<AdminState>,
    ApiJson(input): ApiJson<SeriesInput>,
) -> Result<(StatusCode, ApiJson<Vec<Showtime>>), Problem> {
    input.validate()?;
    let showtimes = state
        .store
        .create_showtime_series(&input, chrono::Utc::now())
        .await?;
    Ok((StatusCode::CREATED, ApiJson(showtimes)))
}

async fn create(
    State(state): State<AdminState>,
    ApiJson(input): ApiJson<ShowtimeInput>,
) -> Result<(StatusCode, ApiJson<Showtime>), Problem> {
    input.prices.validate()?;
    let showtime = state
        .store
        .create_showtime(&input, chrono::Utc::now())
        .await?;
    Ok((StatusCode::CREATED, ApiJson(showtime)))
}

async fn show(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Showtime>, Problem> {
    let id = path_id("Showtime", &id)?;
    let showtime = state
        .store
        .get_showtimes(&[id])
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found("Showtime"))?;
    Ok(ApiJson(showtime))
}

async fn update(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ShowtimeInput>,
) -> Result<ApiJson<Showtime>, Problem> {
    let id = path_id("Showtime", &id)?;
    input.prices.validate()?;
    Ok(ApiJson(
        state
            .store
            .update_showtime(id, &input, chrono::Utc::now())
            .await?,
    ))
}

async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state
        .store
        .delete_showtime(path_id("Showtime", &id)?, chrono::Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
