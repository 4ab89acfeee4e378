-- Poster images uploaded by staff, served publicly at /api/v1/posters/{movie_id}. Kept in the
-- database (not on a disk) so every cinema instance serves them and backups include them;
-- at most 2 MiB each, checked by the service, and one per movie.
create table posters (
    movie_id uuid primary key references movies (id) on delete cascade,
    -- image/png, image/jpeg or image/webp; the first bytes were checked against it.
    content_type text not null,
    bytes bytea not null,
    -- Hex of the bytes' SHA-256 (first 128 bits): the ETag and the ?v= of the poster URL.
    etag text not null,
    updated_at timestamptz not null
);
