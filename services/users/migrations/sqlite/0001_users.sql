-- The same schema as migrations/postgres/0001_users.sql for the embedded store; see the comments
-- there. SQLite has no uuid or timestamptz types: ids are stored as 16-byte blobs and times as
-- RFC 3339 text, both by sqlx.
create table users (
    id            blob primary key,
    email         text not null unique,
    name          text not null,
    password_hash text not null,
    role          text not null check (role in ('customer', 'admin')),
    created_at    text not null,
    disabled_at   text
);

create table refresh_tokens (
    token_hash  text primary key,
    family_id   blob not null,
    user_id     blob not null references users (id) on delete cascade,
    issued_at   text not null,
    expires_at  text not null,
    replaced_at text,
    revoked_at  text
);
create index refresh_tokens_family on refresh_tokens (family_id);
create index refresh_tokens_user on refresh_tokens (user_id);

create table outbox (
    id           blob primary key,
    event_type   text not null,
    version      integer not null,
    occurred_at  text not null,
    payload      text not null,
    published_at text,
    attempts     integer not null default 0,
    last_error   text
);
create index outbox_unpublished on outbox (occurred_at) where published_at is null;
