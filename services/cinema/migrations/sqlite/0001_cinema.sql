-- The cinema service's catalog and seat inventory, embedded edition. Same shape as the
-- PostgreSQL schema: uuids as 16-byte blobs, times as RFC 3339 text in UTC truncated to whole
-- seconds (so text order is time order), json as text. Writers run in BEGIN IMMEDIATE
-- transactions, which SQLite serialises, so no row locks are needed.

create table cinemas (
    id blob primary key,
    name text not null,
    address text not null,
    time_zone text not null,
    created_at text not null
);

create table auditoriums (
    id blob primary key,
    cinema_id blob not null references cinemas (id),
    name text not null,
    layout text not null,
    seat_count integer not null,
    created_at text not null,
    unique (cinema_id, name)
);

create table movies (
    id blob primary key,
    title text not null,
    runtime_minutes integer not null check (runtime_minutes > 0),
    rating text not null,
    genres text not null,
    synopsis text not null,
    poster_url text not null,
    release_date text,
    created_at text not null
);

create table showtimes (
    id blob primary key,
    movie_id blob not null references movies (id),
    auditorium_id blob not null references auditoriums (id),
    cinema_id blob not null references cinemas (id),
    starts_at text not null,
    ends_at text not null,
    prices text not null,
    created_at text not null
);
create index showtimes_auditorium on showtimes (auditorium_id, starts_at);
create index showtimes_movie on showtimes (movie_id, starts_at);
create index showtimes_cinema on showtimes (cinema_id, starts_at);
create index showtimes_starts on showtimes (starts_at);

create table showtime_seats (
    showtime_id blob not null references showtimes (id) on delete cascade,
    row_label text not null,
    number integer not null,
    seat_id text not null,
    seat_type text not null check (seat_type in ('standard', 'premium', 'accessible')),
    position integer not null,
    status text not null check (status in ('available', 'held', 'sold')),
    hold_id blob,
    held_until text,
    version integer not null default 0,
    primary key (showtime_id, row_label, number),
    unique (showtime_id, seat_id),
    check ((status = 'available') = (hold_id is null))
);
create index showtime_seats_hold on showtime_seats (hold_id) where hold_id is not null;

create table holds (
    id blob primary key,
    showtime_id blob not null references showtimes (id) on delete cascade,
    seat_ids text not null,
    status text not null check (status in ('held', 'confirmed', 'released', 'expired')),
    expires_at text not null,
    total_amount integer not null,
    currency text not null,
    created_at text not null,
    updated_at text not null
);
create index holds_live on holds (expires_at) where status = 'held';
