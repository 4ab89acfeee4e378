-- The per-account login throttle (ADR 0504). One row per address that was typed at the login
-- form, known account or not, so that the throttle answers alike for both and is no oracle.
-- The key is the hex SHA-256 of the trimmed, lower-cased address: what people typed (often a
-- password in the wrong field) is never stored. A successful login deletes the row. In the
-- database rather than in memory so that the limit holds across every users replica.
create table login_throttle (
    account_key     text primary key,
    failures        bigint not null,       -- attempts since the last success, in flight included
    last_attempt_at timestamptz not null,
    locked_until    timestamptz            -- no attempt is verified before this
);
