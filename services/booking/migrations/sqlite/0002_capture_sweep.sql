-- See migrations/postgres/0002_capture_sweep.sql.
alter table bookings add column captures_checked_at text;
create index bookings_unchecked on bookings (updated_at)
    where captures_checked_at is null and attempt > 0
      and status in ('EXPIRED', 'CANCELLED', 'FAILED');
