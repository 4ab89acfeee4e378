//! Back-office SQL, written once for both engines: daily series, sales aggregates, posters.
//! `back_office_sql!(Store, Db)` implements `BackOfficeStore`; it expands next to
//! `catalog_sql!`, uses its helpers (`Tx`, `lock_auditorium`, `insert_seats`, …) and gives it
//! the clash check and showtime insert that single showtimes and series share.

macro_rules! back_office_sql {
    ($store:ty, $db:ty) => {
        type SalesRow = (Uuid, String, String, DateTime<Utc>, sqlx::types::Json<Prices>, i64, i64, i64, i64, i64);

        /// One pass over the seats of every matching showtime, grouped per showtime: the
        /// report costs one query however many showtimes the day has. `{where}` is one of
        /// two fixed fragments below, never caller text.
        const SALES_SQL: &str = "SELECT s.id, m.title, a.name, s.starts_at, s.prices, COUNT(ss.seat_id), \
             COALESCE(SUM(CASE WHEN ss.status = 'held' AND ss.held_until > $1 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN ss.status = 'sold' AND ss.seat_type = 'standard' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN ss.status = 'sold' AND ss.seat_type = 'premium' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN ss.status = 'sold' AND ss.seat_type = 'accessible' THEN 1 ELSE 0 END), 0) \
             FROM showtimes s JOIN movies m ON m.id = s.movie_id JOIN auditoriums a ON a.id = s.auditorium_id \
             LEFT JOIN showtime_seats ss ON ss.showtime_id = s.id \
             WHERE {where} \
             GROUP BY s.id, m.title, a.name, s.starts_at, s.prices ORDER BY s.starts_at, s.id";
        const SALES_OF_SHOWTIME: &str = "s.id = $2";
        const SALES_OF_CINEMA_DAY: &str = "s.cinema_id = $2 AND s.starts_at >= $3 AND s.starts_at < $4";

        fn showtime_sales_row(row: SalesRow) -> ShowtimeSales {
            let (showtime_id, movie_title, auditorium_name, starts_at, prices, capacity, held, sold_standard, sold_premium, sold_accessible) = row;
            ShowtimeSales {
                showtime_id,
                movie_title,
                auditorium_name,
                starts_at,
                prices: prices.0,
                counts: SeatCounts { capacity, held, sold_standard, sold_premium, sold_accessible },
            }
        }

        /// Every existing showtime of the auditorium (but `except`) that one of the requested
        /// windows overlaps, each paired with the start of the window it clashes with. One read
        /// for any number of windows; the caller holds the auditorium lock, so no showtime can
        /// appear between this check and its insert.
        async fn find_clashes(tx: &mut Tx, auditorium_id: Uuid, windows: &[ShowtimeWindow], except: Option<Uuid>) -> StoreResult<Vec<Clash>> {
            let others: Vec<(Uuid, Uuid, String, String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
                "SELECT s.id, s.movie_id, m.title, a.name, s.starts_at, s.ends_at FROM showtimes s \
                 JOIN movies m ON m.id = s.movie_id JOIN auditoriums a ON a.id = s.auditorium_id \
                 WHERE s.auditorium_id = $1 ORDER BY s.starts_at, s.id")
                .bind(auditorium_id)
                .fetch_all(&mut **tx)
                .await?;
            let mut clashes = Vec::new();
            for window in windows {
                for (id, movie_id, movie_title, auditorium_name, starts_at, ends_at) in &others {
                    let other = ShowtimeWindow { starts_at: *starts_at, ends_at: *ends_at };
                    if Some(*id) != except && window.overlaps(&other) {
                        clashes.push(Clash {
                            id: *id,
                            movie_id: *movie_id,
                            movie_title: movie_title.clone(),
                            auditorium_id,
                            auditorium_name: auditorium_name.clone(),
                            starts_at: *starts_at,
                            ends_at: *ends_at,
                            requested_starts_at: Some(window.starts_at),
                        });
                    }
                }
            }
            Ok(clashes)
        }

        /// One requested showtime: a clash names the existing showtimes only (the request
        /// has one start, which the caller knows).
        async fn check_no_overlap(tx: &mut Tx, auditorium_id: Uuid, window: ShowtimeWindow, except: Option<Uuid>) -> StoreResult<()> {
            let mut clashes = find_clashes(tx, auditorium_id, &[window], except).await?;
            if clashes.is_empty() {
                return Ok(());
            }
            clashes.iter_mut().for_each(|c| c.requested_starts_at = None);
            Err(StoreError::Clash(clashes))
        }

        /// Where a new showtime goes: its movie, and the auditorium (locked) with its layout.
        struct Placement<'a> {
            movie_id: Uuid,
            auditorium_id: Uuid,
            cinema_id: Uuid,
            layout: &'a Layout,
        }

        /// Inserts one showtime and its seats; the caller has checked for clashes under the
        /// auditorium lock.
        async fn insert_showtime(tx: &mut Tx, place: &Placement<'_>, window: ShowtimeWindow, prices: &Prices, now: DateTime<Utc>) -> StoreResult<Uuid> {
            let id = Uuid::now_v7();
            sqlx::query("INSERT INTO showtimes (id, movie_id, auditorium_id, cinema_id, starts_at, ends_at, prices, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id).bind(place.movie_id).bind(place.auditorium_id).bind(place.cinema_id)
                .bind(window.starts_at).bind(window.ends_at).bind(sqlx::types::Json(prices)).bind(db_time(now))
                .execute(&mut **tx).await?;
            insert_seats(tx, id, place.layout).await?;
            Ok(id)
        }

        #[async_trait]
        impl BackOfficeStore for $store {
            async fn create_showtime_series(&self, input: &SeriesInput, now: DateTime<Utc>) -> StoreResult<Vec<Showtime>> {
                let mut tx = self.write_tx().await?;
                let (cinema_id, layout) = lock_auditorium(&mut tx, input.auditorium_id).await?;
                let runtime = runtime_of(&mut tx, input.movie_id).await?;
                let zone: String = sqlx::query_scalar("SELECT time_zone FROM cinemas WHERE id = $1")
                    .bind(cinema_id).fetch_one(&mut *tx).await?;
                let tz = crate::domain::parse_time_zone(&zone).map_err(|e| StoreError::Invalid(e.0))?;
                let windows: Vec<ShowtimeWindow> = input.starts(&tz).into_iter().map(|t| ShowtimeWindow::new(db_time(t), runtime)).collect();
                // Runtimes are validated to at most 15 hours, so a series cannot overlap
                // itself; checked anyway, since the clash list only names existing showtimes.
                if windows.windows(2).any(|pair| pair[0].overlaps(&pair[1])) {
                    return Err(StoreError::Invalid("the movie runs too long to be shown on consecutive days".into()));
                }
                let clashes = find_clashes(&mut tx, input.auditorium_id, &windows, None).await?;
                if !clashes.is_empty() {
                    // Dropping the transaction rolls it back: nothing of the series exists.
                    return Err(StoreError::Clash(clashes));
                }
                let place = Placement { movie_id: input.movie_id, auditorium_id: input.auditorium_id, cinema_id, layout: &layout };
                let mut ids = Vec::with_capacity(windows.len());
                for window in windows {
                    ids.push(insert_showtime(&mut tx, &place, window, &input.prices, now).await?);
                }
                tx.commit().await?;
                self.get_showtimes(&ids).await
            }

            async fn showtime_sales(&self, filter: &SalesFilter, now: DateTime<Utc>) -> StoreResult<Vec<ShowtimeSales>> {
                let now = db_time(now);
                let rows: Vec<SalesRow> = match *filter {
                    SalesFilter::Showtime(id) => {
                        let sql = SALES_SQL.replace("{where}", SALES_OF_SHOWTIME);
                        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(id).fetch_all(&self.pool).await?
                    }
                    SalesFilter::Cinema { cinema_id, from, to } => {
                        let sql = SALES_SQL.replace("{where}", SALES_OF_CINEMA_DAY);
                        sqlx::query_as(sqlx::AssertSqlSafe(sql))
                            .bind(now).bind(cinema_id).bind(db_time(from)).bind(db_time(to))
                            .fetch_all(&self.pool).await?
                    }
                };
                Ok(rows.into_iter().map(showtime_sales_row).collect())
            }

            async fn put_poster(&self, movie_id: Uuid, poster: &Poster, now: DateTime<Utc>) -> StoreResult<Movie> {
                let mut tx = self.write_tx().await?;
                // Updating the movie first takes its row lock (PostgreSQL), so two uploads for
                // one movie commit one after the other and the URL names the stored bytes.
                let done = sqlx::query("UPDATE movies SET poster_url = $2 WHERE id = $1")
                    .bind(movie_id).bind(poster_url(movie_id, &poster.etag))
                    .execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("movie".into()));
                }
                sqlx::query("INSERT INTO posters (movie_id, content_type, bytes, etag, updated_at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (movie_id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes, \
                             etag = excluded.etag, updated_at = excluded.updated_at")
                    .bind(movie_id).bind(&poster.content_type).bind(&poster.bytes).bind(&poster.etag).bind(db_time(now))
                    .execute(&mut *tx).await?;
                let row: MovieRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("{MOVIE_COLUMNS} WHERE id = $1")))
                    .bind(movie_id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(movie(row))
            }

            async fn delete_poster(&self, movie_id: Uuid) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let done = sqlx::query("UPDATE movies SET poster_url = '' WHERE id = $1").bind(movie_id).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("movie".into()));
                }
                sqlx::query("DELETE FROM posters WHERE movie_id = $1").bind(movie_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_poster(&self, movie_id: Uuid) -> StoreResult<Option<Poster>> {
                let row: Option<(String, Vec<u8>, String)> =
                    sqlx::query_as("SELECT content_type, bytes, etag FROM posters WHERE movie_id = $1")
                        .bind(movie_id).fetch_optional(&self.pool).await?;
                Ok(row.map(|(content_type, bytes, etag)| Poster { content_type, bytes, etag }))
            }
        }
    };
}
