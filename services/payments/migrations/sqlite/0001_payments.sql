-- The same schema as migrations/postgres/0001_payments.sql for the embedded store; see the
-- comments there. SQLite has no uuid or timestamptz types: ids are 16-byte blobs and times
-- RFC 3339 text, both written by sqlx. Row locks do not exist: write transactions start with
-- BEGIN IMMEDIATE, which serialises writers.
create table payments (
    id              blob primary key,
    booking_id      blob not null,
    amount          integer not null check (amount > 0),
    currency        text not null check (length(currency) = 3),
    status          text not null check (status in ('processing', 'succeeded', 'declined', 'failed')),
    decline_code    text,
    card_brand      text not null,
    card_last4      text not null check (length(card_last4) = 4),
    amount_refunded integer not null default 0 check (amount_refunded >= 0 and amount_refunded <= amount),
    created_at      text not null,
    updated_at      text not null
);
create index payments_booking on payments (booking_id, created_at);

create table refunds (
    id         blob primary key,
    payment_id blob not null references payments (id),
    amount     integer not null check (amount > 0),
    status     text not null check (status in ('pending', 'succeeded', 'failed')),
    reason     text,
    created_at text not null,
    updated_at text not null
);
create index refunds_payment on refunds (payment_id);

create table ledger_entries (
    id         blob primary key,
    payment_id blob not null references payments (id),
    refund_id  blob unique references refunds (id),
    kind       text not null check (kind in ('charge', 'refund')),
    amount     integer not null check (amount > 0),
    currency   text not null,
    created_at text not null,
    check ((kind = 'refund') = (refund_id is not null))
);
create unique index ledger_one_charge on ledger_entries (payment_id) where kind = 'charge';
create index ledger_payment on ledger_entries (payment_id);

create trigger ledger_entries_no_update before update on ledger_entries
begin
    select raise(abort, 'ledger_entries is append-only');
end;
create trigger ledger_entries_no_delete before delete on ledger_entries
begin
    select raise(abort, 'ledger_entries is append-only');
end;

create table idempotency_keys (
    key             text primary key check (length(key) between 1 and 255),
    kind            text not null check (kind in ('payment', 'refund')),
    fingerprint     text not null,
    resource_id     blob not null,
    recovery_point  text not null check (recovery_point in ('resource_created', 'finished')),
    response_status integer,
    response_body   text,
    locked_at       text,
    created_at      text not null,
    updated_at      text not null
);
create index idempotency_unfinished on idempotency_keys (updated_at) where recovery_point <> 'finished';
create index idempotency_created on idempotency_keys (created_at);

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
