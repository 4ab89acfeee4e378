-- When the orphan-capture sweep last made sure that a closed booking (EXPIRED, CANCELLED,
-- FAILED) that tried to pay has no capture left unrefunded. NULL: not checked yet.
alter table bookings add column captures_checked_at timestamptz;
create index bookings_unchecked on bookings (updated_at)
    where captures_checked_at is null and attempt > 0
      and status in ('EXPIRED', 'CANCELLED', 'FAILED');
