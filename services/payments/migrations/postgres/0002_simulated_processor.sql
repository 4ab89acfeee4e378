-- THE SIMULATED CARD PROCESSOR, not the payments service. These tables stand for the bank on
-- the other side of the card network: only `src/processor/simulated.rs` touches them, and the
-- payments code never reads them. They live in this database only so that the simulation, like
-- a real bank, keeps its memory when the payments process crashes and restarts; that is what
-- makes the crash-recovery tests honest. A real deployment would swap the adapter and could
-- drop these tables.

-- One row per charge key, as a real processor dedupes charges by idempotency key. `canceled`
-- records that the key was voided before any charge: a late charge with it is refused.
create table simproc_charges (
    key          text primary key,
    amount       bigint not null,
    currency     text not null,
    card_brand   text not null,
    card_last4   text not null,
    outcome      text not null check (outcome in ('succeeded', 'declined', 'failed', 'canceled')),
    decline_code text,
    created_at   timestamptz not null
);

create table simproc_refunds (
    key        text primary key,
    charge_key text not null references simproc_charges (key),
    amount     bigint not null,
    outcome    text not null check (outcome in ('succeeded', 'declined', 'canceled')),
    created_at timestamptz not null
);
create index simproc_refunds_charge on simproc_refunds (charge_key);
