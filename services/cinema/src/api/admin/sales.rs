//! Sales reports: what one showtime, or one cinema's day, has sold and held.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemCode, ProblemDocument};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AdminState, cinema_day, path_id, query_id};
use crate::domain::Sales;
use crate::store::{SalesFilter, ShowtimeSales};

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/api/v1/admin/showtimes/{id}/sales", get(showtime))
        .route("/api/v1/admin/sales", get(day))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ShowtimeReport {
    showtime_id: Uuid,
    #[serde(flatten)]
    sales: Sales,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/showtimes/{id}/sales",
    tag = "sales",
    summary = "What one showtime has sold and held",
    params(
        ("id" = uuid::Uuid, Path, description = "The showtime's id"),
    ),
    responses(
        (status = 200, description = "The showtime's sales", body = ShowtimeReport),
        (status = 404, description = "`not_found`: no such showtime", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn showtime(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<ApiJson<ShowtimeReport>, Problem> {
    let id = path_id("Showtime", &id)?;
    let row = state
        .store
        .showtime_sales(&SalesFilter::Showtime(id), Utc::now())
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found("Showtime"))?;
    Ok(ApiJson(ShowtimeReport {
        showtime_id: row.showtime_id,
        sales: row.counts.sales(&row.prices),
    }))
}

#[derive(Debug, Default, Deserialize)]
struct DayQuery {
    cinema_id: Option<String>,
    date: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DayLine {
    showtime_id: Uuid,
    movie_title: String,
    auditorium_name: String,
    starts_at: DateTime<Utc>,
    #[serde(flatten)]
    sales: Sales,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DayReport {
    cinema_id: Uuid,
    date: NaiveDate,
    showtimes: Vec<DayLine>,
    totals: Sales,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/sales",
    tag = "sales",
    summary = "A cinema's sales on one local day",
    params(
        ("cinema_id" = uuid::Uuid, Query, description = "The cinema"),
        ("date" = chrono::NaiveDate, Query, description = "The local day, YYYY-MM-DD"),
    ),
    responses(
        (status = 200, description = "Each showtime of the day and the totals", body = DayReport),
        (status = 404, description = "`not_found`: no such cinema", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`: the day mixes currencies and cannot be totalled", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`: `cinema_id` or `date` missing or malformed", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn day(
    State(state): State<AdminState>,
    query: Result<Query<DayQuery>, QueryRejection>,
) -> Result<ApiJson<DayReport>, Problem> {
    let Query(query) = query.map_err(|_| Problem::validation("unreadable query string"))?;
    let cinema_id = query_id(query.cinema_id, "cinema_id")?
        .ok_or_else(|| Problem::validation("cinema_id is required"))?;
    let date = query
        .date
        .ok_or_else(|| Problem::validation("date is required (YYYY-MM-DD)"))?;
    let (date, from, to) = cinema_day(&state, cinema_id, &date).await?;
    let filter = SalesFilter::Cinema {
        cinema_id,
        from,
        to,
    };
    let rows = state.store.showtime_sales(&filter, Utc::now()).await?;
    let showtimes: Vec<DayLine> = rows.into_iter().map(line).collect();
    // Mixed currencies are a real state of the data, not a bad request: 409.
    let totals = Sales::total(showtimes.iter().map(|l| &l.sales)).map_err(|e| {
        Problem::new(ProblemCode::Conflict, "The day's sales cannot be totalled").with_detail(e.0)
    })?;
    Ok(ApiJson(DayReport {
        cinema_id,
        date,
        showtimes,
        totals,
    }))
}

fn line(row: ShowtimeSales) -> DayLine {
    DayLine {
        sales: row.counts.sales(&row.prices),
        showtime_id: row.showtime_id,
        movie_title: row.movie_title,
        auditorium_name: row.auditorium_name,
        starts_at: row.starts_at,
    }
}
