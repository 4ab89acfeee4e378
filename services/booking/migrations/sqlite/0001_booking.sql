-- The same schema as migrations/postgres/0001_booking.sql for the embedded store; see the
-- comments there. Ids are 16-byte blobs and times RFC 3339 text, both written by sqlx.
create table bookings (
    id              blob primary key,
    user_id         blob not null,
    showtime_id     blob not null,
    hold_id         blob not null,
    seat_ids        text not null,
    seats           text not null,
    status          text not null check (status in ('PENDING','CONFIRMED','EXPIRED','CANCELLED','REFUNDED','FAILED')),
    step            text not null,
    closing_status  text,
    total_amount    integer not null,
    currency        text not null,
    hold_expires_at text,
    attempt         integer not null default 0,
    client_key      text,
    payment_id      blob,
    details         text not null,
    lease_owner     blob,
    lease_until     text,
    created_at      text not null,
    updated_at      text not null
);
create index bookings_user on bookings (user_id, created_at);
create index bookings_in_flight on bookings (updated_at)
    where step in ('holding', 'charging', 'charged', 'refunding', 'releasing');
create index bookings_pending on bookings (hold_expires_at) where step = 'held';

create table tickets (
    code       text primary key,
    booking_id blob not null references bookings (id),
    seat_id    text not null,
    qr_svg     text not null,
    unique (booking_id, seat_id)
);

create table saga_log (
    id         blob primary key,
    booking_id blob not null references bookings (id),
    step       text not null,
    phase      text not null,
    detail     text,
    at         text not null
);
create index saga_log_booking on saga_log (booking_id, at);

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
