-- The booking a notification is about, for the back office's look-up ("did the tickets go
-- out?"): GET /api/v1/admin/notifications?booking_id=…. Taken from the event's payload when
-- the row is created; null for events about no booking (user.registered) and for rows
-- logged before this column existed (the log keeps no payload to fill them from).
alter table notification_log add column booking_id uuid;
-- Partial: most rows of a busy log are about bookings, but the welcome emails never are
-- looked up by booking.
create index notification_log_booking on notification_log (booking_id, created_at)
    where booking_id is not null;
