-- THE SIMULATED CARD PROCESSOR: see migrations/postgres/0002_simulated_processor.sql.
create table simproc_charges (
    key          text primary key,
    amount       integer not null,
    currency     text not null,
    card_brand   text not null,
    card_last4   text not null,
    outcome      text not null check (outcome in ('succeeded', 'declined', 'failed', 'canceled')),
    decline_code text,
    created_at   text not null
);

create table simproc_refunds (
    key        text primary key,
    charge_key text not null references simproc_charges (key),
    amount     integer not null,
    outcome    text not null check (outcome in ('succeeded', 'declined', 'canceled')),
    created_at text not null
);
create index simproc_refunds_charge on simproc_refunds (charge_key);
