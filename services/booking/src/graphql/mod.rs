//! The public GraphQL API: schema, limits, and the HTTP and WebSocket endpoints at /graphql.

mod booking;
pub mod budget;
pub mod cost;
pub mod errors;
mod loaders;
mod mutation;
mod query;
mod response_cache;
mod staff;
mod subscription;
pub mod types;
mod ws;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::http::GraphiQLSource;
use async_graphql::{Context, Schema};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use boxoffice_auth::{Caller, Verifier};

use crate::clients::CinemaClient;
use crate::saga::Saga;
use budget::Budget;
use errors::{
    BAD_USER_INPUT, INTERNAL, QUERY_TOO_COMPLEX, assign_codes, sanitize, unauthenticated,
};
use loaders::{CinemaLoader, MovieLoader, MovieShowtimesLoader, SeatMapMemo, ShowtimeLoader};
use response_cache::{Lookup, ResponseCache, Tracker, Turn};

pub use mutation::Mutation;
pub use query::Query;
pub use subscription::SubscriptionRoot;
pub use ws::SocketLimits;

pub type BookingSchema = Schema<Query, Mutation, SubscriptionRoot>;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Largest request body, in bytes.
    pub max_query_bytes: usize,
    /// Cost budgets (ADR 0503) for signed-in and anonymous callers.
    pub max_cost: u64,
    pub max_cost_anonymous: u64,
    pub max_answer_bytes: usize,
    /// Bounds the per-booking lists in the cost model.
    pub max_seats_per_booking: usize,
    pub sockets: SocketLimits,
}

pub fn schema(saga: Arc<Saga>, limits: Limits) -> BookingSchema {
    let cinema = saga.cinema.clone();
    let policy = types::BookingPolicy::from(&saga.config);
    builder()
        .data(policy)
        .data(saga)
        .data(cinema)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish()
}

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, SubscriptionRoot> {
    Schema::build(Query::default(), Mutation::default(), SubscriptionRoot)
}

/// The schema without its data: enough for its SDL (the cost model, tests).
pub fn schema_for_sdl() -> BookingSchema {
    builder().finish()
}

/// The cost budget for `schema` under `limits`.
pub fn budget(schema: &BookingSchema, limits: &Limits) -> Result<Budget, cost::CostError> {
    let model = cost::CostModel::new(&schema.sdl(), limits.max_seats_per_booking as u64)?;
    Ok(Budget::new(
        model,
        limits.max_cost,
        limits.max_cost_anonymous,
        limits.max_depth,
    ))
}

/// Who called, as far as a verified bearer token says.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub caller: Option<Caller>,
    pub token: Option<String>,
}

/// This answer may not be given to anyone else: it is personal, changes state, or lists what
/// may have grown since (see `response_cache`).
pub(crate) fn not_shareable(ctx: &Context<'_>) {
    if let Some(tracker) = ctx.data_opt::<Arc<Tracker>>() {
        tracker.not_shareable();
    }
}

/// The answer shows this seat map, as of `generation`.
pub(crate) fn shows_seat_map(ctx: &Context<'_>, showtime: uuid::Uuid, generation: u64) {
    if let Some(tracker) = ctx.data_opt::<Arc<Tracker>>() {
        tracker.seat_map(showtime, generation);
    }
}

/// The saga reads and writes bookings: whatever uses it is personal.
pub(crate) fn ctx_saga<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<Saga>> {
    not_shareable(ctx);
    ctx.data::<Arc<Saga>>()
}

pub(crate) fn ctx_cinema<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<CinemaClient>> {
    ctx.data::<Arc<CinemaClient>>()
}

pub(crate) fn ctx_caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    not_shareable(ctx);
    ctx.data_opt::<Auth>()
        .and_then(|a| a.caller.as_ref())
        .ok_or_else(unauthenticated)
}

pub(crate) fn ctx_token<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a str> {
    not_shareable(ctx);
    ctx.data_opt::<Auth>()
        .and_then(|a| a.token.as_deref())
        .ok_or_else(unauthenticated)
}

#[derive(Clone)]
struct AppState {
    schema: BookingSchema,
    verifier: Arc<Verifier>,
    cinema: Arc<CinemaClient>,
    max_query_bytes: usize,
    max_answer_bytes: usize,
    responses: Arc<ResponseCache>,
    budget: Budget,
    sockets: ws::Sockets,
}

pub fn router(
    schema: BookingSchema,
    verifier: Arc<Verifier>,
    cinema: Arc<CinemaClient>,
    limits: Limits,
) -> Result<Router, cost::CostError> {
    let budget = budget(&schema, &limits)?;
    Ok(Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .with_state(AppState {
            schema,
            verifier,
            responses: Arc::new(ResponseCache::new(cinema.seat_map_ttl())),
            cinema,
            max_query_bytes: limits.max_query_bytes,
            max_answer_bytes: limits.max_answer_bytes,
            budget,
            sockets: ws::Sockets {
                limits: limits.sockets,
                clients: Arc::default(),
            },
        }))
}

/// What every operation gets for itself: batch loaders (batching within one query, no stale
/// cache across requests) and a memo so one seat map is fetched and built once.
fn per_request_data(
    request: async_graphql::Request,
    cinema: &Arc<CinemaClient>,
) -> async_graphql::Request {
    request
        .data(DataLoader::new(MovieLoader(cinema.clone()), tokio::spawn))
        .data(DataLoader::new(CinemaLoader(cinema.clone()), tokio::spawn))
        .data(DataLoader::new(
            MovieShowtimesLoader(cinema.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ShowtimeLoader(cinema.clone()),
            tokio::spawn,
        ))
        .data(SeatMapMemo::default())
}

async fn authenticate(verifier: &Verifier, headers: &HeaderMap) -> Auth {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Auth::default();
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return Auth::default();
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Auth::default();
    }
    match verifier.verify(token.trim()).await {
        Ok(claims) => Auth {
            caller: Some(claims.into()),
            token: Some(token.trim().to_owned()),
        },
        Err(_) => Auth::default(),
    }
}

fn error_response(status: StatusCode, code: &'static str, message: &str) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{"message": message, "extensions": {"code": code}}],
    });
    (status, axum::Json(body)).into_response()
}

async fn post_graphql(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    // Read with our own bound rather than the extractor's, so that an oversized query gets a
    // GraphQL-shaped answer with a code instead of a bare 413.
    let Ok(bytes) = axum::body::to_bytes(body, app.max_query_bytes).await else {
        let message = format!("the request is larger than {} bytes", app.max_query_bytes);
        return error_response(StatusCode::PAYLOAD_TOO_LARGE, BAD_USER_INPUT, &message);
    };
    let generation_of = |showtime| app.cinema.seat_map_generation(showtime);
    let mut leading = None;
    match app.responses.lookup(&bytes, generation_of) {
        Lookup::Current(answer) => return json_answer(answer),
        Lookup::Unknown => {}
        Lookup::OutOfDate => match app.responses.turn(&bytes) {
            Turn::Lead(lead) => leading = Some(lead),
            Turn::Follow(mut done) => {
                // Errs (and so returns) once the leader is done, whatever it found; a leader
                // stuck on a slow dependency is not waited for longer than an answer lives.
                let _ = tokio::time::timeout(app.cinema.seat_map_ttl(), done.changed()).await;
                if let Some(answer) = app.responses.get(&bytes, generation_of) {
                    return json_answer(answer);
                }
            }
        },
    }
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(_) => {
            // A JSON array (a batch) lands here too: batches are not accepted, so one body
            // is one request and one budget.
            let message = "the body must be a GraphQL request: {\"query\": …}";
            return error_response(StatusCode::BAD_REQUEST, BAD_USER_INPUT, message);
        }
    };
    let auth = authenticate(&app.verifier, &headers).await;
    let mut request = request;
    // Parses the document once, for the budget and the executor alike.
    if let Err(refusal) = app.budget.check(&mut request, auth.caller.is_some()) {
        return error_response(StatusCode::BAD_REQUEST, refusal.code, &refusal.message);
    }
    let tracker = Arc::new(Tracker::default());
    let started = std::time::Instant::now();
    let request = per_request_data(request.data(auth), &app.cinema).data(tracker.clone());
    let mut response = app.schema.execute(request).await;
    assign_codes(&mut response.errors);
    let request_id = headers
        .get(boxoffice_http::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    sanitize(&mut response.errors, request_id);
    let answer = match serde_json::to_vec(&response) {
        Ok(answer) => axum::body::Bytes::from(answer),
        Err(e) => {
            tracing::error!(request_id, error = %e, "could not serialise a GraphQL response");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                INTERNAL,
                &format!("internal error (request id {request_id})"),
            );
        }
    };
    if answer.len() > app.max_answer_bytes {
        // The budget bounds what an answer can hold by estimate; this bounds what is sent.
        let message = format!(
            "the answer is larger than {} bytes: ask for fewer fields, aliases or lists",
            app.max_answer_bytes
        );
        return error_response(StatusCode::BAD_REQUEST, QUERY_TOO_COMPLEX, &message);
    }
    if response.errors.is_empty() {
        app.responses.put(bytes, &tracker, started, answer.clone());
    }
    drop(leading);
    json_answer(answer)
}

fn json_answer(answer: axum::body::Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(answer),
    )
        .into_response()
}

async fn get_graphql(State(app): State<AppState>, request: Request) -> Response {
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        return ws::upgrade(app, request).await;
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .finish(),
    )
    .into_response()
}
