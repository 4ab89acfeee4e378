-- Payments: one row per payment intent. Only the card's brand and last four digits are stored;
-- the number and CVC never reach the database (PCI DSS: no storage of sensitive card data).
create table payments (
    id              uuid primary key,             -- UUIDv7; also the processor's idempotency key
    booking_id      uuid not null,
    amount          bigint not null check (amount > 0),   -- minor units of `currency`
    currency        text not null check (length(currency) = 3),
    status          text not null check (status in ('processing', 'succeeded', 'declined', 'failed')),
    decline_code    text,
    card_brand      text not null,
    card_last4      text not null check (length(card_last4) = 4),
    -- Running total of succeeded refunds, kept beside the ledger so the refund guard reads one
    -- row; the audit proves it equals the ledger's sum. The check is the last line of defence.
    amount_refunded bigint not null default 0 check (amount_refunded >= 0 and amount_refunded <= amount),
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);
create index payments_booking on payments (booking_id, created_at);

-- Refunds. A `pending` refund reserves its amount: the guard counts pending and succeeded
-- refunds, so concurrent refunds can never together exceed the charge.
create table refunds (
    id         uuid primary key,                  -- UUIDv7; also the processor's idempotency key
    payment_id uuid not null references payments (id),
    amount     bigint not null check (amount > 0),
    status     text not null check (status in ('pending', 'succeeded', 'failed')),
    reason     text,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index refunds_payment on refunds (payment_id);

-- The ledger: append-only money movements. A charge entry is written when a payment succeeds,
-- a refund entry when a refund succeeds, each in the same transaction as the state change.
create table ledger_entries (
    id         uuid primary key,
    payment_id uuid not null references payments (id),
    refund_id  uuid unique references refunds (id),
    kind       text not null check (kind in ('charge', 'refund')),
    amount     bigint not null check (amount > 0),
    currency   text not null,
    created_at timestamptz not null,
    check ((kind = 'refund') = (refund_id is not null))
);
-- At most one charge per payment, whatever retries or recoveries run.
create unique index ledger_one_charge on ledger_entries (payment_id) where kind = 'charge';
create index ledger_payment on ledger_entries (payment_id);

-- Append-only means it: corrections are new entries, never edits.
create function ledger_entries_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'ledger_entries is append-only';
end
$$;
create trigger ledger_entries_append_only before update or delete on ledger_entries
    for each row execute function ledger_entries_append_only();

-- Idempotency keys with Stripe's semantics. A key is bound to its request's fingerprint and to
-- the payment or refund it created; `recovery_point` says how far the work got, so a retry or the
-- recovery pass resumes from there. `locked_at` marks a request in flight (a second one gets 409).
-- Finished keys keep the first answer for at least 24 hours, then a purge deletes them.
create table idempotency_keys (
    key             text primary key check (length(key) between 1 and 255),
    kind            text not null check (kind in ('payment', 'refund')),
    fingerprint     text not null,                -- hex SHA-256 of the request parameters
    resource_id     uuid not null,
    recovery_point  text not null check (recovery_point in ('resource_created', 'finished')),
    response_status integer,
    response_body   text,
    locked_at       timestamptz,
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);
-- The recovery pass looks for unfinished keys; the purge for old finished ones.
create index idempotency_unfinished on idempotency_keys (updated_at) where recovery_point <> 'finished';
create index idempotency_created on idempotency_keys (created_at);

-- The transactional outbox (shared layout, see crates/outbox): `payment.captured` and
-- `payment.refunded` are written in the same transaction as the state change.
create table outbox (
    id           uuid primary key,
    event_type   text not null,
    version      integer not null,
    occurred_at  timestamptz not null,
    payload      text not null,                 -- the JSON envelope as published
    published_at timestamptz,
    attempts     integer not null default 0,
    last_error   text
);
create index outbox_unpublished on outbox (occurred_at) where published_at is null;
