-- The staff role: door and box-office desk accounts (look bookings up, check in), granted
-- with `boxoffice users grant-role`. The inline check of 0001 got PostgreSQL's default name.
alter table users drop constraint users_role_check;
alter table users add constraint users_role_check
    check (role in ('customer', 'staff', 'admin'));
