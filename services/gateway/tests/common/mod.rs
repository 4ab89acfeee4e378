//! Gateway test harness: fake upstreams, tokens, and a gateway started on port 0.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_auth::{Claims, KeySource, Role, SigningKeyPair, TokenIssuer, TokenRules, Verifier};
use boxoffice_gateway::{Settings, start};
use boxoffice_http::CancellationToken;
use serde_json::Value;
use uuid::Uuid;

mod upstream;

pub use upstream::FakeUpstream;

pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// Signs tokens the gateway trusts, and tokens it must not.
pub struct Keys {
    pair: SigningKeyPair,
    issuer: TokenIssuer,
}

impl Keys {
    pub fn new() -> Self {
        let pair = SigningKeyPair::generate().expect("key");
        let issuer = TokenIssuer::new(
            pair.clone(),
            vec![],
            TokenRules::default(),
            Duration::from_secs(300),
        )
        .expect("issuer");
        Self { pair, issuer }
    }

    pub fn verifier(&self) -> Arc<Verifier> {
        Arc::new(Verifier::new(
            KeySource::Static(self.issuer.jwks()),
            TokenRules::default(),
        ))
    }

    pub fn jwks(&self) -> boxoffice_auth::JwkSet {
        self.issuer.jwks()
    }

    pub fn token(&self, user: Uuid, role: Role) -> String {
        self.issuer.issue(user, role).expect("issue")
    }

    pub fn customer(&self) -> (Uuid, String) {
        let user = Uuid::now_v7();
        (user, self.token(user, Role::Customer))
    }

    pub fn admin(&self) -> (Uuid, String) {
        let user = Uuid::now_v7();
        (user, self.token(user, Role::Admin))
    }

    pub fn staff(&self) -> (Uuid, String) {
        let user = Uuid::now_v7();
        (user, self.token(user, Role::Staff))
    }

    /// Correctly signed, but expired ten minutes ago (well past the verifier's leeway).
    pub fn expired(&self) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = claims(Role::Customer, now - 1200, now - 600);
        sign(&self.pair, self.pair.kid(), &claims)
    }

    /// An admin token signed by another key under the trusted key's `kid`.
    pub fn forged(&self) -> String {
        let attacker = SigningKeyPair::generate().expect("key");
        let now = chrono::Utc::now().timestamp();
        sign(
            &attacker,
            self.pair.kid(),
            &claims(Role::Admin, now, now + 300),
        )
    }
}

fn claims(role: Role, issued: i64, expires: i64) -> Claims {
    let rules = TokenRules::default();
    Claims {
        sub: Uuid::now_v7(),
        role,
        iss: rules.issuer,
        aud: rules.audience,
        iat: issued,
        nbf: issued,
        exp: expires,
        jti: Uuid::now_v7(),
    }
}

fn sign(pair: &SigningKeyPair, kid: &str, claims: &Claims) -> String {
    let pem = pair.to_pkcs8_pem().expect("pem");
    let key = jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).expect("encoding key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// Four fake upstreams and the settings of a gateway in front of them, with generous limits
/// that tests tighten as they need.
pub struct Backends {
    pub users: FakeUpstream,
    pub cinema: FakeUpstream,
    pub booking: FakeUpstream,
    pub notifications: FakeUpstream,
    pub keys: Keys,
}

impl Backends {
    pub async fn spawn() -> Self {
        Self {
            users: FakeUpstream::spawn("users").await,
            cinema: FakeUpstream::spawn("cinema").await,
            booking: FakeUpstream::spawn("booking").await,
            notifications: FakeUpstream::spawn("notifications").await,
            keys: Keys::new(),
        }
    }

    pub fn settings(&self) -> Settings {
        let mut settings = Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Settings::default()
        };
        settings.upstreams.users = self.users.url();
        settings.upstreams.cinema = self.cinema.url();
        settings.upstreams.booking = self.booking.url();
        settings.upstreams.notifications = self.notifications.url();
        settings.rate_limit.requests = 10_000;
        settings.rate_limit.auth_requests = 10_000;
        settings
    }

    pub async fn gateway(&self) -> TestGateway {
        self.gateway_with(|_| {}).await
    }

    pub async fn gateway_with(&self, adjust: impl FnOnce(&mut Settings)) -> TestGateway {
        // Trace contexts propagate only with the OpenTelemetry layer installed, as in the binary.
        boxoffice_telemetry::init_for_tests();
        let mut settings = self.settings();
        adjust(&mut settings);
        TestGateway::start(settings, self.keys.verifier()).await
    }
}

pub struct TestGateway {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestGateway {
    pub async fn start(settings: Settings, verifier: Arc<Verifier>) -> Self {
        let shutdown = CancellationToken::new();
        let running = start(settings, verifier, shutdown.clone())
            .await
            .expect("start gateway");
        Self {
            addr: running.http_addr,
            client: reqwest::Client::new(),
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.expect("request")
}

pub async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

/// Asserts a problem+json answer with `status` and `code`, and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = json(response).await;
    assert_eq!(body["code"], code, "{body}");
    body
}

pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A unique Redis key prefix, so tests share one Redis without sharing budgets.
pub fn redis_prefix() -> String {
    format!("bo_test_gateway:{}:", Uuid::now_v7())
}

/// An address nothing listens on: a port that was just bound and released.
pub async fn dead_address() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    listener.local_addr().expect("addr")
}
