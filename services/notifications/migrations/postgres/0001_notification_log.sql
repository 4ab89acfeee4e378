-- The notification log: one row per (event, channel) that was or is being notified.
-- The primary key is the exactly-once guarantee: whatever Redis says, a second row for the
-- same event and channel cannot exist, and the row is taken (status 'sending' with a lease)
-- before the message goes out, so two workers never send the same notification at once.
create table notification_log (
    event_id     uuid not null,
    channel      text not null,              -- 'email' or 'sms'
    event_type   text not null,
    recipient    text not null,              -- email address or phone number
    message_id   text not null,              -- the Message-ID header (or SMS id), stable per event
    status       text not null,              -- 'sending' (leased) or 'sent'
    attempts     integer not null,           -- > 1 means a send whose outcome was unknown was redone
    -- Unix milliseconds until which a 'sending' row belongs to the worker that took it; an
    -- integer so that both engines compare it the same way.
    lease_until  bigint not null,
    created_at   timestamptz not null,
    sent_at      timestamptz,
    primary key (event_id, channel)
);
