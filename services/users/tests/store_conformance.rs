//! One suite, run against both adapters of the users store.

mod common;

use boxoffice_auth::Role;
use boxoffice_outbox::EventEnvelope;
use boxoffice_users::store::{self, NewRefreshToken, Rotation, StoreError, UserRecord, UserStore};
use chrono::{Duration, SubsecRound, Utc};
use common::Engine;
use std::sync::Arc;
use uuid::Uuid;

async fn store_for(engine: Engine) -> Arc<dyn UserStore> {
    store::for_database(common::database(engine).await)
}

fn user(email: &str) -> UserRecord {
    UserRecord {
        id: Uuid::now_v7(),
        email: email.into(),
        name: "Someone".into(),
        password_hash: "$argon2id$stub".into(),
        role: Role::Customer,
        created_at: Utc::now().trunc_subsecs(6),
        disabled_at: None,
    }
}

fn event() -> EventEnvelope {
    EventEnvelope::new("user.registered", serde_json::json!({})).expect("event")
}

fn token(hash: &str, user_id: Uuid, family_id: Uuid, ttl: Duration) -> NewRefreshToken {
    let now = Utc::now().trunc_subsecs(6);
    NewRefreshToken {
        hash: hash.into(),
        family_id,
        user_id,
        issued_at: now,
        expires_at: now + ttl,
    }
}

async fn users_round_trip(store: Arc<dyn UserStore>) {
    let record = user("one@example.com");
    store.create_user(&record, &event()).await.expect("create");
    assert_eq!(
        store
            .user_by_email("one@example.com")
            .await
            .expect("by email"),
        Some(record.clone())
    );
    assert_eq!(
        store.user_by_id(record.id).await.expect("by id"),
        Some(record.clone())
    );
    assert_eq!(
        store
            .user_by_email("two@example.com")
            .await
            .expect("by email"),
        None
    );
    assert!(matches!(
        store.create_user(&user("one@example.com"), &event()).await,
        Err(StoreError::DuplicateEmail)
    ));
    assert!(store.set_role(record.id, Role::Admin).await.expect("role"));
    assert_eq!(
        store
            .user_by_id(record.id)
            .await
            .expect("by id")
            .map(|u| u.role),
        Some(Role::Admin)
    );
    assert!(
        !store
            .set_role(Uuid::now_v7(), Role::Admin)
            .await
            .expect("role")
    );
    assert!(
        store
            .disable_user(record.id, Utc::now())
            .await
            .expect("disable")
    );
    assert!(
        !store
            .user_by_id(record.id)
            .await
            .expect("by id")
            .expect("exists")
            .is_active()
    );
}

async fn rotation_rules(store: Arc<dyn UserStore>) {
    let owner = user("tokens@example.com");
    store.create_user(&owner, &event()).await.expect("create");
    let family = Uuid::now_v7();
    store
        .save_refresh_token(&token("h1", owner.id, family, Duration::days(1)))
        .await
        .expect("save");
    let later = Utc::now() + Duration::days(2);

    let now = Utc::now();
    assert_eq!(
        store
            .rotate_refresh_token("h1", "h2", later, now)
            .await
            .expect("rotate"),
        Rotation::Rotated { user_id: owner.id }
    );
    assert_eq!(
        store
            .rotate_refresh_token("h2", "h3", later, now)
            .await
            .expect("rotate"),
        Rotation::Rotated { user_id: owner.id }
    );
    // h1 again: reuse; the family (h3 included) is revoked.
    assert_eq!(
        store
            .rotate_refresh_token("h1", "h4", later, now)
            .await
            .expect("rotate"),
        Rotation::ReuseDetected
    );
    assert_eq!(
        store
            .rotate_refresh_token("h3", "h5", later, now)
            .await
            .expect("rotate"),
        Rotation::Invalid
    );
    assert_eq!(
        store
            .rotate_refresh_token("unknown", "h6", later, now)
            .await
            .expect("rotate"),
        Rotation::Invalid
    );

    // Expired tokens do not rotate.
    store
        .save_refresh_token(&token(
            "old",
            owner.id,
            Uuid::now_v7(),
            Duration::seconds(-5),
        ))
        .await
        .expect("save");
    assert_eq!(
        store
            .rotate_refresh_token("old", "h7", later, Utc::now())
            .await
            .expect("rotate"),
        Rotation::Invalid
    );

    // Logout revokes the family; unknown tokens are ignored.
    store
        .save_refresh_token(&token("live", owner.id, Uuid::now_v7(), Duration::days(1)))
        .await
        .expect("save");
    store
        .revoke_family_of("live", Utc::now())
        .await
        .expect("revoke");
    store
        .revoke_family_of("nothing", Utc::now())
        .await
        .expect("revoke unknown");
    assert_eq!(
        store
            .rotate_refresh_token("live", "h8", later, Utc::now())
            .await
            .expect("rotate"),
        Rotation::Invalid
    );
}

#[tokio::test]
async fn users_round_trip_on_postgres() {
    users_round_trip(store_for(Engine::Postgres).await).await;
}

#[tokio::test]
async fn users_round_trip_on_sqlite() {
    users_round_trip(store_for(Engine::Sqlite).await).await;
}

#[tokio::test]
async fn refresh_rotation_rules_on_postgres() {
    rotation_rules(store_for(Engine::Postgres).await).await;
}

#[tokio::test]
async fn refresh_rotation_rules_on_sqlite() {
    rotation_rules(store_for(Engine::Sqlite).await).await;
}
