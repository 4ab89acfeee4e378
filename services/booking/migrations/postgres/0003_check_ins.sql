-- Door check-ins: at most one per ticket, ever (the primary key), so a ticket scanned twice or
-- at two doors at once is admitted exactly once. booking_id and showtime_id are copied from the
-- ticket's booking when it is checked in, so the audit can prove they still agree.
create table check_ins (
    ticket_code   text primary key references tickets (code),
    booking_id    uuid not null,
    showtime_id   uuid not null,
    door          text not null,                 -- 1..60 characters, as the door device names itself
    checked_in_by uuid not null,                 -- the staff member's user id
    checked_in_at timestamptz not null
);
-- A refund asks "was any ticket of this booking used?" and staff list a booking's check-ins.
create index check_ins_booking on check_ins (booking_id);

-- Staff find a customer's bookings by email. Lower-cased once here and at every insert, so the
-- lookup is a plain indexed equality instead of lower() over the JSON of every row.
alter table bookings add column customer_email text;
update bookings set customer_email = lower(details::json ->> 'recipient_email');
create index bookings_customer_email on bookings (customer_email, created_at);
