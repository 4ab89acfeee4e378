//! Showtimes: scheduling, prices, and the rules that protect sold seats.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemDocument};
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

#[utoipa::path(
    get,
    path = "/api/v1/admin/showtimes",
    tag = "showtimes",
    summary = "List showtimes",
    params(
        ("movie_id" = Option<uuid::Uuid>, Query, description = "Only this movie's showtimes"),
        ("cinema_id" = Option<uuid::Uuid>, Query, description = "Only this cinema's showtimes"),
        ("date" = Option<chrono::NaiveDate>, Query, description = "Only this local day (YYYY-MM-DD) in the cinema's zone; needs `cinema_id`"),
    ),
    responses(
        (status = 200, description = "The showtimes, earliest first", body = Vec<Showtime>),
        (status = 404, description = "`not_found`: no such cinema (with `date`)", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`: a malformed id or date, or `date` without `cinema_id`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/admin/showtimes/series",
    tag = "showtimes",
    summary = "Schedule the same showtime on consecutive days, all or none",
    request_body = SeriesInput,
    responses(
        (status = 201, description = "The new showtimes", body = Vec<Showtime>),
        (status = 404, description = "`not_found`: no such movie or auditorium", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict` or `SHOWTIME_CLASH` (with a `clashes` list): the auditorium is busy", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/admin/showtimes",
    tag = "showtimes",
    summary = "Schedule a showtime",
    request_body = ShowtimeInput,
    responses(
        (status = 201, description = "The new showtime", body = Showtime),
        (status = 404, description = "`not_found`: no such movie or auditorium", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict` or `SHOWTIME_CLASH` (with a `clashes` list): the auditorium is busy", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
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

#[utoipa::path(
    get,
    path = "/api/v1/admin/showtimes/{id}",
    tag = "showtimes",
    summary = "One showtime",
    params(
        ("id" = uuid::Uuid, Path, description = "The showtime's id"),
    ),
    responses(
        (status = 200, description = "The showtime", body = Showtime),
        (status = 404, description = "`not_found`: no such showtime", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
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

#[utoipa::path(
    put,
    path = "/api/v1/admin/showtimes/{id}",
    tag = "showtimes",
    summary = "Move or reprice a showtime",
    params(
        ("id" = uuid::Uuid, Path, description = "The showtime's id"),
    ),
    request_body = ShowtimeInput,
    responses(
        (status = 200, description = "The showtime as stored", body = Showtime),
        (status = 404, description = "`not_found`: no such showtime, movie or auditorium", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`, `SHOWTIME_CLASH`, or seats are already sold", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
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

#[utoipa::path(
    delete,
    path = "/api/v1/admin/showtimes/{id}",
    tag = "showtimes",
    summary = "Delete a showtime",
    params(
        ("id" = uuid::Uuid, Path, description = "The showtime's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: no such showtime", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`: seats are sold or held", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
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
