//! The public REST API as one OpenAPI 3.1 document, assembled from the services' own
//! annotations (their handlers and types are the source) plus what the gateway adds to every
//! route: the token rule of its route table, rate limiting, body limits and upstream failures.
//! Served at `/api/openapi.json` with Swagger UI at `/api/docs` (its files are compiled into the
//! binary, so the page works offline); the committed copy is `docs/api/openapi.json`.

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::response::Response;
use boxoffice_http::PROBLEM_JSON;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Ref, RefOr, Response as ApiResponse, ResponseBuilder, SecurityRequirement,
};
use utoipa_swagger_ui::SwaggerUi;

/// Where the document and its viewer are served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
pub const VIEWER_PATH: &str = "/api/docs";
/// What the gateway serves itself for the API documents (Swagger UI lives under `VIEWER_PATH`).
pub const PATHS: [&str; 2] = [DOCUMENT_PATH, VIEWER_PATH];

/// Swagger UI needs no more than the shop: its own scripts and styles, `data:` images (its
/// icons) and fetches of the document and of the API it tries out; nothing from another
/// origin. The one inline style is the `<style>` element the vendored bundle injects, allowed
/// by its hash alone (headless Chromium reported it; a new Swagger UI version may change it).
pub const VIEWER_CSP: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

const BEARER: &str = "bearer";
const SESSION_COOKIE: &str = "session_cookie";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "boxoffice REST API",
        description = "The REST part of boxoffice's public API, as the gateway serves it: \
            accounts and sessions (users), the staff back office (cinema, notifications) and \
            poster images. Bookings, seat maps and check-in are GraphQL at `/graphql` \
            (schema: docs/api/schema.graphql). Every error is `application/problem+json` \
            (RFC 9457) with a stable `code`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    tags(
        (name = "auth", description = "Accounts and bearer-token sessions for API clients"),
        (name = "session", description = "The web shop's sessions: the refresh token is an HttpOnly cookie"),
        (name = "users", description = "The signed-in account"),
        (name = "cinemas", description = "Cinemas and auditoriums (admin)"),
        (name = "movies", description = "Movies and their posters (admin)"),
        (name = "showtimes", description = "Scheduling and prices (admin)"),
        (name = "sales", description = "Sales reports (admin)"),
        (name = "notifications", description = "What was sent about a booking (staff)"),
        (name = "posters", description = "Public poster images"),
    ),
    components(schemas(boxoffice_http::ProblemDocument, boxoffice_http::ProblemCode))
)]
struct Gateway;

/// The whole document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = Gateway::openapi();
    doc.merge(boxoffice_users::api::ApiDoc::openapi());
    doc.merge(boxoffice_cinema::api::admin::ApiDoc::openapi());
    doc.merge(boxoffice_cinema::api::posters::ApiDoc::openapi());
    doc.merge(boxoffice_notifications::api::ApiDoc::openapi());
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    add_security_schemes(&mut doc);
    for (path, item) in doc.paths.paths.iter_mut() {
        let rule = Rule::of(path);
        for (method, operation) in operations(item) {
            // The handlers' names repeat across modules (`list`, `refresh`): ids must be unique.
            operation.operation_id = Some(operation_id(method, path));
            rule.apply(operation);
            gateway_answers(operation);
        }
    }
    doc
}

fn add_security_schemes(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An EdDSA access token from /api/v1/auth/login (or the session endpoints), \
                     verified against /.well-known/jwks.json",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        SESSION_COOKIE,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "bo_refresh",
            "The web shop's refresh token, set by the session endpoints (HttpOnly)",
        ))),
    );
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
}

/// `get /api/v1/admin/cinemas/{id}` → `get_admin_cinemas_id`.
fn operation_id(method: &str, path: &str) -> String {
    let words = path
        .trim_start_matches("/api/v1")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty());
    std::iter::once(method)
        .chain(words)
        .collect::<Vec<_>>()
        .join("_")
}

/// The gateway's token rule for a path, mirroring its route table (`routes.rs`).
enum Rule {
    /// The back office: a bearer token of the given role, checked by the gateway.
    Role(&'static str),
    /// A bearer token the upstream requires (`/users/me`).
    Token,
    /// The session endpoints that read the refresh cookie.
    Cookie,
    Anonymous,
}

impl Rule {
    fn of(path: &str) -> Self {
        if path.starts_with("/api/v1/admin/notifications") {
            Self::Role("staff or admin")
        } else if path.starts_with("/api/v1/admin") {
            Self::Role("admin")
        } else if path.starts_with("/api/v1/users") {
            Self::Token
        } else if path.ends_with("/session/refresh") || path.ends_with("/session/logout") {
            Self::Cookie
        } else {
            Self::Anonymous
        }
    }

    fn apply(&self, operation: &mut Operation) {
        match self {
            Self::Role(role) => {
                operation.security = Some(vec![SecurityRequirement::new(BEARER, [""; 0])]);
                respond(
                    operation,
                    "401",
                    "`unauthenticated` (no token) or `invalid_token`",
                );
                respond(
                    operation,
                    "403",
                    &format!("`forbidden`: the token's role is not {role}"),
                );
            }
            Self::Token => {
                operation.security = Some(vec![SecurityRequirement::new(BEARER, [""; 0])]);
                respond(
                    operation,
                    "401",
                    "`unauthenticated` (no token) or `invalid_token`",
                );
            }
            Self::Cookie => {
                operation.security = Some(vec![
                    SecurityRequirement::new(SESSION_COOKIE, [""; 0]),
                    SecurityRequirement::default(),
                ]);
            }
            Self::Anonymous => {}
        }
    }
}

/// What the gateway (or the services' shared JSON extractor) may answer on any route: a
/// refused rate limit, an oversized, unreadable or ill-fitting body, an upstream that is down
/// or too slow.
fn gateway_answers(operation: &mut Operation) {
    if operation.request_body.is_some() {
        respond(
            operation,
            "400",
            "`malformed_body`: the body is not valid JSON",
        );
        // Any JSON body that does not fit its type (a member missing, unknown or mistyped) is
        // refused by the services' shared JSON extractor before the handler runs.
        respond(
            operation,
            "422",
            "`validation_failed`: the JSON does not fit the schema",
        );
        respond(operation, "413", "`body_too_large`");
        respond(
            operation,
            "415",
            "`unsupported_media_type`: the body is not sent as `application/json`",
        );
    }
    respond(
        operation,
        "429",
        "`rate_limited`: retry after the `Retry-After` delay",
    );
    respond(
        operation,
        "503",
        "`upstream_unavailable` or `too_many_connections`",
    );
    respond(operation, "504", "`upstream_timeout`");
}

/// Adds a problem+json answer unless the service already documented that status.
fn respond(operation: &mut Operation, status: &str, description: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    operation
        .responses
        .responses
        .insert(status.to_owned(), RefOr::T(problem(description)));
}

fn problem(description: &str) -> ApiResponse {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// `/api/openapi.json` and Swagger UI under `/api/docs`, under their own CSP.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::from(SwaggerUi::new(VIEWER_PATH).url(DOCUMENT_PATH, openapi()))
        .layer(axum::middleware::map_response(locked_down))
}

async fn locked_down(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(VIEWER_CSP),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}
