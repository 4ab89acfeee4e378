-- Poster images uploaded by staff; same shape as the PostgreSQL table (see its comments).
create table posters (
    movie_id blob primary key references movies (id) on delete cascade,
    content_type text not null,
    bytes blob not null,
    etag text not null,
    updated_at text not null
);
