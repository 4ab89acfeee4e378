-- The cinema service's catalog and seat inventory. Ids are UUIDv7 made by the service; times
-- are timestamptz (UTC); money is bigint minor units with its ISO 4217 currency.

create table cinemas (
    id uuid primary key,
    name text not null,
    address text not null,
    -- IANA zone, for showing times and for the "showtimes on date" filter.
    time_zone text not null,
    created_at timestamptz not null
);

create table auditoriums (
    id uuid primary key,
    cinema_id uuid not null references cinemas (id),
    name text not null,
    -- The layout as staff entered it (rows, seats, gaps); validated by the service.
    layout jsonb not null,
    seat_count integer not null,
    created_at timestamptz not null,
    unique (cinema_id, name)
);

create table movies (
    id uuid primary key,
    title text not null,
    runtime_minutes integer not null check (runtime_minutes > 0),
    rating text not null,
    genres jsonb not null,
    synopsis text not null,
    poster_url text not null,
    release_date date,
    created_at timestamptz not null
);

create table showtimes (
    id uuid primary key,
    movie_id uuid not null references movies (id),
    auditorium_id uuid not null references auditoriums (id),
    -- Denormalised from the auditorium so catalog filters need no join.
    cinema_id uuid not null references cinemas (id),
    starts_at timestamptz not null,
    -- starts_at + runtime + cleaning. Overlaps are refused by the service while it holds the
    -- auditorium row lock, so two concurrent inserts cannot both pass the check.
    ends_at timestamptz not null,
    prices jsonb not null,
    created_at timestamptz not null
);
create index showtimes_auditorium on showtimes (auditorium_id, starts_at);
create index showtimes_movie on showtimes (movie_id, starts_at);
create index showtimes_cinema on showtimes (cinema_id, starts_at);
create index showtimes_starts on showtimes (starts_at);

-- One row per seat per showtime: the unit of locking. A hold locks its rows in seat order
-- (row_label, number), the primary key order, so concurrent holds never deadlock.
create table showtime_seats (
    showtime_id uuid not null references showtimes (id) on delete cascade,
    row_label text not null,
    number integer not null,
    seat_id text not null,
    seat_type text not null check (seat_type in ('standard', 'premium', 'accessible')),
    -- Map order (front to back, left to right).
    position integer not null,
    -- 'held' with held_until in the past is AVAILABLE: nobody waits for the sweeper.
    status text not null check (status in ('available', 'held', 'sold')),
    hold_id uuid,
    held_until timestamptz,
    -- Bumped on every change; seat-map subscribers drop changes older than what they have.
    version bigint not null default 0,
    primary key (showtime_id, row_label, number),
    unique (showtime_id, seat_id),
    check ((status = 'available') = (hold_id is null))
);
create index showtime_seats_hold on showtime_seats (hold_id) where hold_id is not null;

-- Every hold ever granted: makes HoldSeats idempotent on hold_id, lets confirm/release find
-- their seats, and is what the sweeper walks.
create table holds (
    id uuid primary key,
    showtime_id uuid not null references showtimes (id) on delete cascade,
    -- The seats in lock order, as text ids.
    seat_ids jsonb not null,
    status text not null check (status in ('held', 'confirmed', 'released', 'expired')),
    expires_at timestamptz not null,
    total_amount bigint not null,
    currency text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index holds_live on holds (expires_at) where status = 'held';
