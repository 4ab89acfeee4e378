//! The route table: which paths go where, under which token rule and rate-limit policy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get};
use boxoffice_auth::{AuthError, Caller, Role, Verifier};
use boxoffice_http::{Problem, ProblemCode};

use crate::headers::{self, Origin};
use crate::proxy::{Proxy, Upstream};
use crate::ratelimit::{Decision, Limiter, Quota};
use crate::settings::RateLimitSettings;
use crate::web::Web;

pub struct Upstreams {
    pub users: Upstream,
    pub cinema: Upstream,
    pub booking: Upstream,
    pub notifications: Upstream,
}

pub struct Gateway {
    pub proxy: Proxy,
    pub upstreams: Upstreams,
    pub verifier: Arc<Verifier>,
    pub limiter: Arc<Limiter>,
    pub rate_limit: RateLimitSettings,
    pub forwarded: crate::headers::ForwardedTrust,
}

type AppState = Arc<Gateway>;

#[derive(Debug, Clone, Copy)]
enum Target {
    Users,
    Cinema,
    Booking,
    Notifications,
}

#[derive(Debug, Clone, Copy)]
enum Policy {
    General,
    /// Login and registration: counted per client IP under the stricter quota.
    Auth,
}

/// Whether `caller` holds at least `minimum`: the gateway's first gate, so that a customer's
/// token never reaches a back-office service. The upstream checks again (defence in depth;
/// it may also be reached inside the cluster).
fn admits(minimum: Role, caller: &Caller) -> bool {
    match minimum {
        Role::Customer => true,
        Role::Staff => caller.is_staff(),
        Role::Admin => caller.is_admin(),
    }
}

#[derive(Debug, Clone, Copy)]
struct Route {
    target: Target,
    policy: Policy,
    /// Whether a bearer token is verified here. The `/api/v1/auth/*` and JWKS routes do not
    /// need one, and a client that still attaches its expired access token to a refresh must
    /// not be locked out of refreshing it.
    verify_token: bool,
    /// The least role a verified token must carry (`customer`, `staff`, `admin`): 401 without
    /// a token, 403 below it. `None`: anonymous requests pass too and the upstream decides
    /// (GraphQL answers guests, the users service answers `me` with 401 itself).
    min_role: Option<Role>,
    /// A body limit other than the gateway's `max_body_bytes` (poster uploads).
    max_body: Option<usize>,
}

const fn route(
    target: Target,
    policy: Policy,
    verify_token: bool,
    min_role: Option<Role>,
) -> Route {
    Route {
        target,
        policy,
        verify_token,
        min_role,
        max_body: None,
    }
}

const CREDENTIALS: Route = route(Target::Users, Policy::Auth, false, None);
const SESSION: Route = route(Target::Users, Policy::General, false, None);
const USERS: Route = route(Target::Users, Policy::General, true, None);
const GRAPHQL: Route = route(Target::Booking, Policy::General, true, None);
const ADMIN: Route = route(Target::Cinema, Policy::General, true, Some(Role::Admin));
/// The door and desk look notifications up (did the tickets go out?): staff may.
const NOTIFICATIONS: Route = route(
    Target::Notifications,
    Policy::General,
    true,
    Some(Role::Staff),
);
/// Poster images are public and cacheable: no token is looked at, so a stale one attached by
/// the shop cannot break an `<img>`.
const POSTERS: Route = route(Target::Cinema, Policy::General, false, None);
/// A poster image is up to 2 MiB (the cinema service checks it again); every other admin
/// request keeps the gateway's limit.
const POSTER_UPLOAD: Route = Route {
    max_body: Some(2 * 1024 * 1024),
    ..ADMIN
};

/// Every proxied path (axum patterns) and its route. The router is built from this table, and
/// [`public_paths`] lists it for the deployment checks (the Kong configuration must route
/// exactly these). axum picks the most specific match, so the notifications and poster-upload
/// entries win over `/api/v1/admin/{*rest}` whatever their order.
const PROXIED: &[(&str, Route)] = &[
    ("/api/v1/auth/login", CREDENTIALS),
    ("/api/v1/auth/register", CREDENTIALS),
    ("/api/v1/auth/session/login", CREDENTIALS),
    ("/api/v1/auth/session/register", CREDENTIALS),
    ("/api/v1/auth/{*rest}", SESSION),
    ("/.well-known/jwks.json", SESSION),
    ("/api/v1/users", USERS),
    ("/api/v1/users/{*rest}", USERS),
    ("/graphql", GRAPHQL),
    ("/api/v1/admin/notifications", NOTIFICATIONS),
    ("/api/v1/admin/notifications/{*rest}", NOTIFICATIONS),
    ("/api/v1/admin/movies/{id}/poster", POSTER_UPLOAD),
    ("/api/v1/admin", ADMIN),
    ("/api/v1/admin/{*rest}", ADMIN),
];

/// Poster images: read-only, so any other method gets 405 with `Allow: GET,HEAD` and never
/// reaches cinema.
const POSTERS_PATH: &str = "/api/v1/posters/{*rest}";

pub fn router(gateway: AppState, web: Arc<Web>) -> Router {
    // Registered at 0, so that the first limited request shows as an increase.
    metrics::counter!("boxoffice_gateway_rate_limited_total").increment(0);
    PROXIED
        .iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, to(*route))
        })
        .route(POSTERS_PATH, get(posters))
        .merge(crate::api_docs::router())
        .merge(crate::web::router(web))
        .fallback(|| async { Problem::not_found("Route") })
        .with_state(gateway)
}

/// Every path pattern (axum syntax) the public port serves besides `/healthz`, `/readyz` and
/// `/metrics`: the proxied API, the poster images and the web pages. What a proxy in front of
/// the gateway (Kong) must pass, and all it may pass.
pub fn public_paths() -> impl Iterator<Item = &'static str> {
    PROXIED
        .iter()
        .map(|(path, _)| *path)
        .chain([POSTERS_PATH])
        .chain(crate::web::PATHS)
        .chain(crate::api_docs::PATHS)
}

/// Any method on the path, forwarded to the route's upstream.
fn to(route: Route) -> MethodRouter<AppState> {
    any(
        move |State(gateway): State<AppState>, request: Request| async move {
            handle(&gateway, route, request).await
        },
    )
}

async fn posters(State(gateway): State<AppState>, request: Request) -> Response {
    handle(&gateway, POSTERS, request).await
}

async fn handle(gateway: &Gateway, route: Route, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let origin = Origin::new(request.headers(), peer, &gateway.forwarded);
    let identity = if route.verify_token {
        authenticate(&gateway.verifier, request.headers()).await
    } else {
        Ok(None)
    };

    let decision = match gateway.rate_limit.enabled {
        true => Some(rate_limit(gateway, route.policy, &identity, &origin).await),
        false => None,
    };
    let mut response = match decision {
        Some(decision) if !decision.allowed => {
            metrics::counter!("boxoffice_gateway_rate_limited_total").increment(1);
            rate_limited(route)
        }
        _ => proceed(gateway, route, request, &origin, identity)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    };
    if let Some(decision) = decision {
        headers::set_rate_limit(response.headers_mut(), &decision);
    }
    response
}

/// The refusal in the caller's language: GraphQL clients get a GraphQL error with
/// `extensions.code = RATE_LIMITED` (the documented code), REST clients problem+json; both 429.
fn rate_limited(route: Route) -> Response {
    if matches!(route.target, Target::Booking) {
        let body = serde_json::json!({"errors": [{
            "message": "Too many requests; retry after the Retry-After delay",
            "extensions": {"code": "RATE_LIMITED"},
        }]});
        return (axum::http::StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    }
    Problem::new(ProblemCode::RateLimited, "Too many requests")
        .with_detail("The rate limit is exceeded; retry after the Retry-After delay")
        .into_response()
}

/// Counts the request per user when the token verified, per client IP otherwise (so a flood
/// of forged tokens is limited like any anonymous traffic).
async fn rate_limit(
    gateway: &Gateway,
    policy: Policy,
    identity: &Result<Option<Caller>, Problem>,
    origin: &Origin,
) -> Decision {
    let (name, quota): (&str, Quota) = match policy {
        Policy::General => ("general", gateway.rate_limit.general_quota()),
        Policy::Auth => ("auth", gateway.rate_limit.auth_quota()),
    };
    let key = match identity {
        Ok(Some(caller)) => format!("{name}:user:{}", caller.user_id),
        _ => format!("{name}:ip:{}", origin.client_ip),
    };
    gateway.limiter.check(&key, quota).await
}

async fn proceed(
    gateway: &Gateway,
    route: Route,
    request: Request,
    origin: &Origin,
    identity: Result<Option<Caller>, Problem>,
) -> Result<Response, Problem> {
    let caller = identity?;
    if let Some(minimum) = route.min_role {
        let signed_in = caller.as_ref().ok_or_else(Problem::unauthenticated)?;
        if !admits(minimum, signed_in) {
            return Err(Problem::forbidden());
        }
    }
    let upstream = match route.target {
        Target::Users => &gateway.upstreams.users,
        Target::Cinema => &gateway.upstreams.cinema,
        Target::Booking => &gateway.upstreams.booking,
        Target::Notifications => &gateway.upstreams.notifications,
    };
    Ok(gateway
        .proxy
        .forward(upstream, request, origin, caller.as_ref(), route.max_body)
        .await?)
}

/// No `Authorization` header: anonymous, and the upstream decides. A header that is not a
/// valid bearer token: 401 here, before any upstream sees it.
async fn authenticate(verifier: &Verifier, headers: &HeaderMap) -> Result<Option<Caller>, Problem> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim())
        .ok_or(AuthError::InvalidToken("not a bearer token"))?;
    let claims = verifier.verify(token).await?;
    Ok(Some(claims.into()))
}
