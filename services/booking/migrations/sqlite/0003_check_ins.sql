-- See migrations/postgres/0003_check_ins.sql.
create table check_ins (
    ticket_code   text primary key references tickets (code),
    booking_id    blob not null,
    showtime_id   blob not null,
    door          text not null,
    checked_in_by blob not null,
    checked_in_at text not null
);
create index check_ins_booking on check_ins (booking_id);

alter table bookings add column customer_email text;
update bookings set customer_email = lower(json_extract(details, '$.recipient_email'));
create index bookings_customer_email on bookings (customer_email, created_at);
