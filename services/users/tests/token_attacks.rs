//! Every way of presenting a token that should not work gets 401.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use boxoffice_auth::{Claims, Role, SigningKeyPair};
use chrono::Utc;
use common::{Engine, GOOD_PASSWORD, TestApp, json, spawn_app};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use uuid::Uuid;

struct Victim {
    id: Uuid,
    kid: String,
    public_x: String,
}

async fn victim(app: &TestApp) -> Victim {
    let session = json(
        app.register("victim@example.com", GOOD_PASSWORD, "Victim")
            .await,
    )
    .await;
    let jwks = json(
        app.client
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .expect("jwks"),
    )
    .await;
    Victim {
        id: session["user"]["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid"),
        kid: jwks["keys"][0]["kid"].as_str().expect("kid").to_owned(),
        public_x: jwks["keys"][0]["x"].as_str().expect("x").to_owned(),
    }
}

fn claims(sub: Uuid, adjust: impl FnOnce(&mut Claims)) -> Claims {
    let now = Utc::now().timestamp();
    let mut claims = Claims {
        sub,
        role: Role::Admin,
        iss: "boxoffice".into(),
        aud: "boxoffice".into(),
        iat: now,
        nbf: now,
        exp: now + 600,
        jti: Uuid::now_v7(),
    };
    adjust(&mut claims);
    claims
}

/// Signs with the service's own key, read from its key directory, as an insider with the key
/// could; used to prove that each claim check is enforced independently of the signature.
fn sign_with_server_key(app: &TestApp, kid: &str, claims: &Claims) -> String {
    let pem = std::fs::read_to_string(app.settings.key_dir.join("current.pem")).expect("key");
    sign(&pem, kid, claims)
}

fn sign(pem: &str, kid: &str, claims: &Claims) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_ed_pem(pem.as_bytes()).expect("key"),
    )
    .expect("sign")
}

async fn assert_rejected(app: &TestApp, token: &str, what: &str) {
    let response = app.me(token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
}

#[tokio::test]
async fn a_well_formed_token_is_accepted_so_the_rejections_below_mean_something() {
    let app = spawn_app(Engine::Sqlite).await;
    let victim = victim(&app).await;
    let token = sign_with_server_key(&app, &victim.kid, &claims(victim.id, |_| {}));
    assert_eq!(app.me(&token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_with_bad_claims_are_rejected() {
    let app = spawn_app(Engine::Sqlite).await;
    let victim = victim(&app).await;
    let now = Utc::now().timestamp();
    let cases: Vec<(&str, Claims)> = vec![
        ("expired", claims(victim.id, |c| c.exp = now - 3600)),
        ("not yet valid", claims(victim.id, |c| c.nbf = now + 3600)),
        (
            "wrong audience",
            claims(victim.id, |c| c.aud = "someone-else".into()),
        ),
        ("wrong issuer", claims(victim.id, |c| c.iss = "evil".into())),
    ];
    for (what, claims) in cases {
        assert_rejected(
            &app,
            &sign_with_server_key(&app, &victim.kid, &claims),
            what,
        )
        .await;
    }
}

#[tokio::test]
async fn forged_signatures_and_algorithms_are_rejected() {
    let app = spawn_app(Engine::Sqlite).await;
    let victim = victim(&app).await;
    let good_claims = claims(victim.id, |_| {});

    // Signed by another Ed25519 key but claiming the server's kid.
    let attacker = SigningKeyPair::generate()
        .expect("key")
        .to_pkcs8_pem()
        .expect("pem");
    assert_rejected(
        &app,
        &sign(&attacker, &victim.kid, &good_claims),
        "wrong signature",
    )
    .await;

    // An unknown kid.
    assert_rejected(
        &app,
        &sign(&attacker, "made-up-kid", &good_claims),
        "unknown kid",
    )
    .await;

    // alg: none, no signature.
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&good_claims).expect("json"));
    let none_header = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
        victim.kid
    ));
    assert_rejected(&app, &format!("{none_header}.{body}."), "alg none").await;

    // HS256 keyed with the public key: the classic algorithm confusion.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(victim.kid.clone());
    let public = URL_SAFE_NO_PAD.decode(&victim.public_x).expect("x");
    for key in [public.as_slice(), victim.public_x.as_bytes()] {
        let forged = jsonwebtoken::encode(&header, &good_claims, &EncodingKey::from_secret(key))
            .expect("sign");
        assert_rejected(&app, &forged, "HS256 with the public key").await;
    }

    // Tampered payload under a genuine signature.
    let genuine = sign_with_server_key(
        &app,
        &victim.kid,
        &claims(victim.id, |c| c.role = Role::Customer),
    );
    let parts: Vec<&str> = genuine.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], body, parts[2]);
    assert_rejected(&app, &tampered, "tampered payload").await;

    assert_rejected(&app, "not.a.jwt", "garbage").await;
}

#[tokio::test]
async fn a_token_for_a_closed_account_no_longer_works() {
    let app = spawn_app(Engine::Postgres).await;
    let session = json(
        app.register("leaving@example.com", GOOD_PASSWORD, "Leaving")
            .await,
    )
    .await;
    let token = session["access_token"].as_str().expect("token");
    let refresh = session["refresh_token"].as_str().expect("refresh");
    assert_eq!(app.me(token).await.status(), StatusCode::OK);

    let accounts = boxoffice_users::accounts(&app.settings, app.database.clone())
        .await
        .expect("accounts");
    let id: Uuid = session["user"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert!(accounts.close_account(id).await.expect("close"));

    assert_rejected(&app, token, "closed account").await;
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            serde_json::json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED);
    let login = app
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"email": "leaving@example.com", "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_survive_a_restart_because_the_key_is_kept() {
    let app = spawn_app(Engine::Sqlite).await;
    let session = json(
        app.register("restart@example.com", GOOD_PASSWORD, "Restart")
            .await,
    )
    .await;
    let token = session["access_token"].as_str().expect("token");
    // A second instance on the same key directory and database, as after a restart.
    let shutdown = boxoffice_http::CancellationToken::new();
    let mut settings = app.settings.clone();
    settings.listen = "127.0.0.1:0".parse().expect("addr");
    let again = boxoffice_users::start(settings, app.database.clone(), shutdown.clone())
        .await
        .expect("start");
    let response = app
        .client
        .get(format!("http://{}/api/v1/users/me", again.http_addr))
        .bearer_auth(token)
        .send()
        .await
        .expect("me");
    assert_eq!(response.status(), StatusCode::OK);
    shutdown.cancel();
}

#[tokio::test]
async fn after_a_key_rotation_tokens_of_the_previous_key_stay_valid() {
    let app = spawn_app(Engine::Sqlite).await;
    let session = json(
        app.register("rotate@example.com", GOOD_PASSWORD, "Rotate")
            .await,
    )
    .await;
    let old_token = session["access_token"].as_str().expect("token").to_owned();
    let new_kid = boxoffice_users::keys::rotate(&app.settings.key_dir).expect("rotate");

    let shutdown = boxoffice_http::CancellationToken::new();
    let mut settings = app.settings.clone();
    settings.listen = "127.0.0.1:0".parse().expect("addr");
    let rotated = boxoffice_users::start(settings, app.database.clone(), shutdown.clone())
        .await
        .expect("start");
    let base = format!("http://{}", rotated.http_addr);
    let jwks = json(
        app.client
            .get(format!("{base}/.well-known/jwks.json"))
            .send()
            .await
            .expect("jwks"),
    )
    .await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid"))
        .collect();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[0], new_kid);

    let me = app
        .client
        .get(format!("{base}/api/v1/users/me"))
        .bearer_auth(&old_token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    let login = json(
        app.client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"email": "rotate@example.com", "password": GOOD_PASSWORD}))
            .send()
            .await
            .expect("login"),
    )
    .await;
    let new_token = login["access_token"].as_str().expect("token");
    let header = jsonwebtoken::decode_header(new_token).expect("header");
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    shutdown.cancel();
}
