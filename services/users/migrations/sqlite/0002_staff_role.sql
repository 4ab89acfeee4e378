-- no-transaction
-- The staff role; see migrations/postgres/0002_staff_role.sql. SQLite cannot alter a check
-- constraint, so `users` is rebuilt (https://www.sqlite.org/lang_altertable.html, "making
-- other kinds of table schema changes"). Foreign keys must be off while the old table is
-- dropped, or the drop's implicit delete would cascade to every refresh token; that pragma
-- is a no-op inside a transaction, hence `no-transaction` above and the explicit one below.
pragma foreign_keys = off;

begin immediate;

create table users_new (
    id            blob primary key,
    email         text not null unique,
    name          text not null,
    password_hash text not null,
    role          text not null check (role in ('customer', 'staff', 'admin')),
    created_at    text not null,
    disabled_at   text
);
insert into users_new (id, email, name, password_hash, role, created_at, disabled_at)
    select id, email, name, password_hash, role, created_at, disabled_at from users;
drop table users;
alter table users_new rename to users;

commit;

pragma foreign_keys = on;
