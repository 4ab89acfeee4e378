-- The notification log; see the PostgreSQL migration for the reasoning behind each column.
create table notification_log (
    event_id     blob not null,
    channel      text not null,
    event_type   text not null,
    recipient    text not null,
    message_id   text not null,
    status       text not null,
    attempts     integer not null,
    lease_until  integer not null,
    created_at   text not null,
    sent_at      text,
    primary key (event_id, channel)
);
