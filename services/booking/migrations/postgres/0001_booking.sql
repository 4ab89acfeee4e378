-- Bookings and the state of their saga. One row per booking; `step` is where the saga stands
-- (see src/domain.rs SagaStep). Every step is written before the outbound call it guards and
-- again after it, so a crash leaves a row whose step says exactly what to resume or undo.
create table bookings (
    id              uuid primary key,              -- UUIDv7; also the first hold id
    user_id         uuid not null,
    showtime_id     uuid not null,
    hold_id         uuid not null,                 -- the current hold (a re-hold gets a new one)
    seat_ids        text not null,                 -- JSON array, in the order asked for
    seats           text not null,                 -- JSON snapshot of the held seats and prices
    status          text not null check (status in ('PENDING','CONFIRMED','EXPIRED','CANCELLED','REFUNDED','FAILED')),
    step            text not null,
    closing_status  text,                          -- what `releasing` ends in
    total_amount    bigint not null,               -- minor units, never floats
    currency        text not null,
    hold_expires_at timestamptz,
    attempt         integer not null default 0,    -- charge attempts so far (idempotency keys)
    client_key      text,                          -- the customer's key of the last attempt
    payment_id      uuid,
    details         text not null,                 -- JSON: recipient, movie, cinema, start (for events)
    lease_owner     uuid,                          -- who is driving the saga right now
    lease_until     timestamptz,                   -- after this, recovery may take over
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);
create index bookings_user on bookings (user_id, created_at);
-- The workers scan for in-flight and expired rows; partial indexes keep that cheap.
create index bookings_in_flight on bookings (updated_at)
    where step in ('holding', 'charging', 'charged', 'refunding', 'releasing');
create index bookings_pending on bookings (hold_expires_at) where step = 'held';

-- One ticket per seat of a confirmed booking. The code is 128 random bits: unguessable.
create table tickets (
    code       text primary key,
    booking_id uuid not null references bookings (id),
    seat_id    text not null,
    qr_svg     text not null,
    unique (booking_id, seat_id)
);

-- The saga log: every step before ('started') and after ('done' / 'failed') it ran.
create table saga_log (
    id         uuid primary key,
    booking_id uuid not null references bookings (id),
    step       text not null,
    phase      text not null,
    detail     text,
    at         timestamptz not null
);
create index saga_log_booking on saga_log (booking_id, at);

-- The transactional outbox (shared layout, see crates/outbox).
create table outbox (
    id           uuid primary key,
    event_type   text not null,
    version      integer not null,
    occurred_at  timestamptz not null,
    payload      text not null,
    published_at timestamptz,
    attempts     integer not null default 0,
    last_error   text
);
create index outbox_unpublished on outbox (occurred_at) where published_at is null;
