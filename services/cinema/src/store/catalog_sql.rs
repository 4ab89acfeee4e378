//! The catalog's SQL, written once for both engines. `catalog_sql!(Store, Db, " FOR UPDATE")`
//! implements `CatalogStore` for an adapter with a `pool` and a `write_tx()`; the lock clause is
//! empty on SQLite, whose `BEGIN IMMEDIATE` already serialises writers.

macro_rules! catalog_sql {
    ($store:ty, $db:ty, $lock:literal) => {
        type Tx = sqlx::Transaction<'static, $db>;

        type CinemaRow = (Uuid, String, String, String);
        type AuditoriumRow = (Uuid, Uuid, String, i32, sqlx::types::Json<Layout>);
        type MovieRow = (Uuid, String, i32, String, sqlx::types::Json<Vec<String>>, String, String, Option<NaiveDate>);
        type ShowtimeRow = (Uuid, Uuid, Uuid, Uuid, String, String, i32, DateTime<Utc>, DateTime<Utc>, sqlx::types::Json<Prices>, String);

        const CINEMA_COLUMNS: &str = "SELECT id, name, address, time_zone FROM cinemas";
        const AUDITORIUM_COLUMNS: &str = "SELECT id, cinema_id, name, seat_count, layout FROM auditoriums";
        const MOVIE_COLUMNS: &str = "SELECT id, title, runtime_minutes, rating, genres, synopsis, poster_url, release_date FROM movies";
        const SHOWTIME_COLUMNS: &str = "SELECT s.id, s.movie_id, s.cinema_id, s.auditorium_id, a.name, m.title, m.runtime_minutes, s.starts_at, s.ends_at, s.prices, c.time_zone \
             FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id JOIN cinemas c ON c.id = s.cinema_id JOIN movies m ON m.id = s.movie_id";

        fn cinema((id, name, address, time_zone): CinemaRow) -> Cinema {
            Cinema { id, name, address, time_zone }
        }
        fn auditorium((id, cinema_id, name, seat_count, layout): AuditoriumRow) -> Auditorium {
            Auditorium { id, cinema_id, name, seat_count: i64::from(seat_count), layout: layout.0 }
        }
        fn movie(row: MovieRow) -> Movie {
            let (id, title, runtime_minutes, rating, genres, synopsis, poster_url, release_date) = row;
            Movie { id, title, runtime_minutes, rating, genres: genres.0, synopsis, poster_url, release_date }
        }
        fn showtime(row: ShowtimeRow) -> Showtime {
            let (id, movie_id, cinema_id, auditorium_id, auditorium_name, movie_title, runtime_minutes, starts_at, ends_at, prices, time_zone) = row;
            Showtime { id, movie_id, cinema_id, auditorium_id, auditorium_name, movie_title, runtime_minutes, starts_at, ends_at, prices: prices.0, time_zone }
        }

        async fn count(tx: &mut Tx, sql: &'static str, id: Uuid) -> StoreResult<i64> {
            Ok(sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(&mut **tx).await?)
        }

        /// Creates the per-seat state of a showtime, in chunks that stay under SQLite's
        /// bound-parameter limit.
        async fn insert_seats(tx: &mut Tx, showtime_id: Uuid, layout: &Layout) -> StoreResult<()> {
            let seats = seat_rows_for(layout)?;
            for chunk in seats.chunks(500) {
                let mut builder = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO showtime_seats (showtime_id, row_label, number, seat_id, seat_type, position, status) ",
                );
                builder.push_values(chunk, |mut b, seat| {
                    b.push_bind(showtime_id)
                        .push_bind(seat.id.row().to_owned())
                        .push_bind(i32::from(seat.id.number()))
                        .push_bind(seat.id.to_string())
                        .push_bind(seat.seat_type.as_str())
                        .push_bind(seat.position as i32)
                        .push_bind("available");
                });
                builder.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Sold seats, or holds that are still alive, on any showtime of `column` = `id`.
        async fn has_sales(tx: &mut Tx, column_is: &'static str, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
            let sql = match column_is {
                "auditorium" => "SELECT COUNT(*) FROM showtime_seats ss JOIN showtimes s ON s.id = ss.showtime_id \
                     WHERE s.auditorium_id = $1 AND (ss.status = 'sold' OR (ss.status = 'held' AND ss.held_until > $2))",
                _ => "SELECT COUNT(*) FROM showtime_seats ss WHERE ss.showtime_id = $1 \
                     AND (ss.status = 'sold' OR (ss.status = 'held' AND ss.held_until > $2))",
            };
            let n: i64 = sqlx::query_scalar(sql).bind(id).bind(db_time(now)).fetch_one(&mut **tx).await?;
            Ok(n > 0)
        }

        async fn has_sold(tx: &mut Tx, showtime_id: Uuid) -> StoreResult<bool> {
            Ok(count(tx, "SELECT COUNT(*) FROM showtime_seats WHERE showtime_id = $1 AND status = 'sold'", showtime_id).await? > 0)
        }

        /// Locks the auditorium (so overlap checks of concurrent writers are serialised) and
        /// returns its cinema and layout.
        async fn lock_auditorium(tx: &mut Tx, id: Uuid) -> StoreResult<(Uuid, Layout)> {
            let row: Option<(Uuid, sqlx::types::Json<Layout>)> =
                sqlx::query_as(concat!("SELECT cinema_id, layout FROM auditoriums WHERE id = $1", $lock))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
            row.map(|(cinema, layout)| (cinema, layout.0)).ok_or_else(|| StoreError::NotFound("auditorium".into()))
        }

        async fn runtime_of(tx: &mut Tx, movie_id: Uuid) -> StoreResult<i32> {
            sqlx::query_scalar("SELECT runtime_minutes FROM movies WHERE id = $1")
                .bind(movie_id)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::NotFound("movie".into()))
        }

        #[async_trait]
        impl CatalogStore for $store {
            async fn create_cinema(&self, input: &CinemaInput, now: DateTime<Utc>) -> StoreResult<Cinema> {
                let id = Uuid::now_v7();
                sqlx::query("INSERT INTO cinemas (id, name, address, time_zone, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(input.name.trim()).bind(input.address.trim()).bind(&input.time_zone).bind(db_time(now))
                    .execute(&self.pool).await?;
                Ok(Cinema { id, name: input.name.trim().into(), address: input.address.trim().into(), time_zone: input.time_zone.clone() })
            }

            async fn list_cinemas(&self) -> StoreResult<Vec<Cinema>> {
                let rows: Vec<CinemaRow> = sqlx::query_as(concat!("SELECT id, name, address, time_zone FROM cinemas", " ORDER BY name, id"))
                    .fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(cinema).collect())
            }

            async fn get_cinemas(&self, ids: &[Uuid]) -> StoreResult<Vec<Cinema>> {
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    let row: Option<CinemaRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{CINEMA_COLUMNS} WHERE id = $1")))
                        .bind(id).fetch_optional(&self.pool).await?;
                    found.extend(row.map(cinema));
                }
                Ok(found)
            }

            async fn update_cinema(&self, id: Uuid, input: &CinemaInput) -> StoreResult<Cinema> {
                let done = sqlx::query("UPDATE cinemas SET name = $2, address = $3, time_zone = $4 WHERE id = $1")
                    .bind(id).bind(input.name.trim()).bind(input.address.trim()).bind(&input.time_zone)
                    .execute(&self.pool).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("cinema".into()));
                }
                Ok(Cinema { id, name: input.name.trim().into(), address: input.address.trim().into(), time_zone: input.time_zone.clone() })
            }

            async fn delete_cinema(&self, id: Uuid) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                if count(&mut tx, "SELECT COUNT(*) FROM auditoriums WHERE cinema_id = $1", id).await? > 0 {
                    return Err(StoreError::Conflict("the cinema still has auditoriums".into()));
                }
                let done = sqlx::query("DELETE FROM cinemas WHERE id = $1").bind(id).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("cinema".into()));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn create_auditorium(&self, cinema_id: Uuid, name: &str, layout: &Layout, now: DateTime<Utc>) -> StoreResult<Auditorium> {
                let seats = seat_rows_for(layout)?;
                let mut tx = self.write_tx().await?;
                if count(&mut tx, "SELECT COUNT(*) FROM cinemas WHERE id = $1", cinema_id).await? == 0 {
                    return Err(StoreError::NotFound("cinema".into()));
                }
                let id = Uuid::now_v7();
                let inserted = sqlx::query("INSERT INTO auditoriums (id, cinema_id, name, layout, seat_count, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id).bind(cinema_id).bind(name.trim()).bind(sqlx::types::Json(layout)).bind(seats.len() as i32).bind(db_time(now))
                    .execute(&mut *tx).await;
                match inserted {
                    Err(e) if boxoffice_store::is_unique_violation(&e) => {
                        return Err(StoreError::Conflict("the cinema already has an auditorium with this name".into()));
                    }
                    other => other?,
                };
                tx.commit().await?;
                Ok(Auditorium { id, cinema_id, name: name.trim().into(), seat_count: seats.len() as i64, layout: layout.clone() })
            }

            async fn list_auditoriums(&self, cinema_id: Uuid) -> StoreResult<Vec<Auditorium>> {
                let rows: Vec<AuditoriumRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{AUDITORIUM_COLUMNS} WHERE cinema_id = $1 ORDER BY name, id")))
                    .bind(cinema_id).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(auditorium).collect())
            }

            async fn get_auditorium(&self, cinema_id: Uuid, id: Uuid) -> StoreResult<Auditorium> {
                let row: Option<AuditoriumRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{AUDITORIUM_COLUMNS} WHERE id = $1 AND cinema_id = $2")))
                    .bind(id).bind(cinema_id).fetch_optional(&self.pool).await?;
                row.map(auditorium).ok_or_else(|| StoreError::NotFound("auditorium".into()))
            }

            async fn update_auditorium(&self, cinema_id: Uuid, id: Uuid, name: &str, layout: &Layout, now: DateTime<Utc>) -> StoreResult<Auditorium> {
                let seats = seat_rows_for(layout)?;
                let mut tx = self.write_tx().await?;
                let (owner, old_layout) = lock_auditorium(&mut tx, id).await?;
                if owner != cinema_id {
                    return Err(StoreError::NotFound("auditorium".into()));
                }
                if old_layout != *layout {
                    if has_sales(&mut tx, "auditorium", id, now).await? {
                        return Err(StoreError::Conflict("the layout cannot change under showtimes with sold or held seats".into()));
                    }
                    let showtimes: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM showtimes WHERE auditorium_id = $1")
                        .bind(id).fetch_all(&mut *tx).await?;
                    for showtime_id in showtimes {
                        sqlx::query("DELETE FROM showtime_seats WHERE showtime_id = $1").bind(showtime_id).execute(&mut *tx).await?;
                        insert_seats(&mut tx, showtime_id, layout).await?;
                    }
                }
                let updated = sqlx::query("UPDATE auditoriums SET name = $2, layout = $3, seat_count = $4 WHERE id = $1")
                    .bind(id).bind(name.trim()).bind(sqlx::types::Json(layout)).bind(seats.len() as i32)
                    .execute(&mut *tx).await;
                match updated {
                    Err(e) if boxoffice_store::is_unique_violation(&e) => {
                        return Err(StoreError::Conflict("the cinema already has an auditorium with this name".into()));
                    }
                    other => other?,
                };
                tx.commit().await?;
                Ok(Auditorium { id, cinema_id, name: name.trim().into(), seat_count: seats.len() as i64, layout: layout.clone() })
            }

            async fn delete_auditorium(&self, cinema_id: Uuid, id: Uuid) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let (owner, _) = lock_auditorium(&mut tx, id).await?;
                if owner != cinema_id {
                    return Err(StoreError::NotFound("auditorium".into()));
                }
                if count(&mut tx, "SELECT COUNT(*) FROM showtimes WHERE auditorium_id = $1", id).await? > 0 {
                    return Err(StoreError::Conflict("the auditorium still has showtimes".into()));
                }
                sqlx::query("DELETE FROM auditoriums WHERE id = $1").bind(id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_movie(&self, input: &MovieInput, now: DateTime<Utc>) -> StoreResult<Movie> {
                let id = Uuid::now_v7();
                sqlx::query("INSERT INTO movies (id, title, runtime_minutes, rating, genres, synopsis, poster_url, release_date, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(id).bind(input.title.trim()).bind(input.runtime_minutes).bind(&input.rating)
                    .bind(sqlx::types::Json(&input.genres)).bind(&input.synopsis).bind(input.poster_url.trim())
                    .bind(input.release_date).bind(db_time(now))
                    .execute(&self.pool).await?;
                Ok(movie_from_input(id, input))
            }

            async fn list_movies(&self) -> StoreResult<Vec<Movie>> {
                let rows: Vec<MovieRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{MOVIE_COLUMNS} ORDER BY title, id")))
                    .fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(movie).collect())
            }

            async fn get_movies(&self, ids: &[Uuid]) -> StoreResult<Vec<Movie>> {
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    let row: Option<MovieRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{MOVIE_COLUMNS} WHERE id = $1")))
                        .bind(id).fetch_optional(&self.pool).await?;
                    found.extend(row.map(movie));
                }
                Ok(found)
            }

            async fn update_movie(&self, id: Uuid, input: &MovieInput) -> StoreResult<Movie> {
                // Scheduled showtimes keep the window they were given: a new runtime applies to
                // showtimes created from now on, so no existing show starts to overlap.
                let done = sqlx::query("UPDATE movies SET title = $2, runtime_minutes = $3, rating = $4, genres = $5, synopsis = $6, \
                                        poster_url = $7, release_date = $8 WHERE id = $1")
                    .bind(id).bind(input.title.trim()).bind(input.runtime_minutes).bind(&input.rating)
                    .bind(sqlx::types::Json(&input.genres)).bind(&input.synopsis).bind(input.poster_url.trim())
                    .bind(input.release_date)
                    .execute(&self.pool).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("movie".into()));
                }
                Ok(movie_from_input(id, input))
            }

            async fn delete_movie(&self, id: Uuid) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                if count(&mut tx, "SELECT COUNT(*) FROM showtimes WHERE movie_id = $1", id).await? > 0 {
                    return Err(StoreError::Conflict("the movie still has showtimes".into()));
                }
                let done = sqlx::query("DELETE FROM movies WHERE id = $1").bind(id).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("movie".into()));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn create_showtime(&self, input: &ShowtimeInput, now: DateTime<Utc>) -> StoreResult<Showtime> {
                let mut tx = self.write_tx().await?;
                let (cinema_id, layout) = lock_auditorium(&mut tx, input.auditorium_id).await?;
                let runtime = runtime_of(&mut tx, input.movie_id).await?;
                let window = ShowtimeWindow::new(db_time(input.starts_at), runtime);
                check_no_overlap(&mut tx, input.auditorium_id, window, None).await?;
                let place = Placement { movie_id: input.movie_id, auditorium_id: input.auditorium_id, cinema_id, layout: &layout };
                let id = insert_showtime(&mut tx, &place, window, &input.prices, now).await?;
                tx.commit().await?;
                self.get_showtimes(&[id]).await?.pop().ok_or_else(|| StoreError::NotFound("showtime".into()))
            }

            async fn list_showtimes(&self, filter: &ShowtimeFilter) -> StoreResult<Vec<Showtime>> {
                let mut builder = sqlx::QueryBuilder::<$db>::new(SHOWTIME_COLUMNS);
                builder.push(" WHERE 1 = 1");
                if let Some(movie_id) = filter.movie_id {
                    builder.push(" AND s.movie_id = ").push_bind(movie_id);
                }
                if let Some(cinema_id) = filter.cinema_id {
                    builder.push(" AND s.cinema_id = ").push_bind(cinema_id);
                }
                if let Some(from) = filter.from {
                    builder.push(" AND s.starts_at >= ").push_bind(db_time(from));
                }
                if let Some(to) = filter.to {
                    builder.push(" AND s.starts_at < ").push_bind(db_time(to));
                }
                builder.push(" ORDER BY s.starts_at, s.id LIMIT 1000");
                let rows: Vec<ShowtimeRow> = builder.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(showtime).collect())
            }

            async fn get_showtimes(&self, ids: &[Uuid]) -> StoreResult<Vec<Showtime>> {
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    let row: Option<ShowtimeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SHOWTIME_COLUMNS} WHERE s.id = $1")))
                        .bind(id).fetch_optional(&self.pool).await?;
                    found.extend(row.map(showtime));
                }
                Ok(found)
            }

            async fn update_showtime(&self, id: Uuid, input: &ShowtimeInput, _now: DateTime<Utc>) -> StoreResult<Showtime> {
                let current = self.get_showtimes(&[id]).await?.pop().ok_or_else(|| StoreError::NotFound("showtime".into()))?;
                if current.auditorium_id != input.auditorium_id {
                    return Err(StoreError::Invalid("a showtime cannot change auditorium: delete it and create a new one".into()));
                }
                let mut tx = self.write_tx().await?;
                lock_auditorium(&mut tx, input.auditorium_id).await?;
                let runtime = runtime_of(&mut tx, input.movie_id).await?;
                let moved = current.movie_id != input.movie_id || current.starts_at != db_time(input.starts_at);
                let window = if moved {
                    if has_sold(&mut tx, id).await? {
                        return Err(StoreError::Conflict("a showtime with sold seats cannot be moved".into()));
                    }
                    let window = ShowtimeWindow::new(db_time(input.starts_at), runtime);
                    check_no_overlap(&mut tx, input.auditorium_id, window, Some(id)).await?;
                    window
                } else {
                    ShowtimeWindow { starts_at: current.starts_at, ends_at: current.ends_at }
                };
                sqlx::query("UPDATE showtimes SET movie_id = $2, starts_at = $3, ends_at = $4, prices = $5 WHERE id = $1")
                    .bind(id).bind(input.movie_id).bind(window.starts_at).bind(window.ends_at).bind(sqlx::types::Json(&input.prices))
                    .execute(&mut *tx).await?;
                tx.commit().await?;
                self.get_showtimes(&[id]).await?.pop().ok_or_else(|| StoreError::NotFound("showtime".into()))
            }

            async fn delete_showtime(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let auditorium_id: Uuid = sqlx::query_scalar("SELECT auditorium_id FROM showtimes WHERE id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound("showtime".into()))?;
                lock_auditorium(&mut tx, auditorium_id).await?;
                if has_sales(&mut tx, "showtime", id, now).await? {
                    return Err(StoreError::Conflict("a showtime with sold or held seats cannot be deleted".into()));
                }
                sqlx::query("DELETE FROM showtimes WHERE id = $1").bind(id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }
        }

        fn movie_from_input(id: Uuid, input: &MovieInput) -> Movie {
            Movie {
                id,
                title: input.title.trim().into(),
                runtime_minutes: input.runtime_minutes,
                rating: input.rating.clone(),
                genres: input.genres.clone(),
                synopsis: input.synopsis.clone(),
                poster_url: input.poster_url.trim().into(),
                release_date: input.release_date,
            }
        }
    };
}
