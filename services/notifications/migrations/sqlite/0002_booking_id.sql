-- The booking a notification is about; see migrations/postgres/0002_booking_id.sql.
alter table notification_log add column booking_id blob;
create index notification_log_booking on notification_log (booking_id, created_at)
    where booking_id is not null;
