//! The seat inventory's SQL, written once for both engines.
//!
//! `inventory_sql!(Store, Db, lock, skip_locked, collate, in_seats)` implements
//! `InventoryStore`. Each operation is one short transaction that locks the seat rows it needs
//! in seat order (row label in byte order, then number) before reading their state, so two
//! holds never wait on each other in a cycle and a seat's state cannot change between the check
//! and the write. The enclosing module supplies `seat_arg` (how a list of seat ids is bound for
//! `in_seats`) and `announce` (what else happens with committed changes).

macro_rules! inventory_sql {
    ($store:ty, $db:ty, $lock:literal, $skip_locked:literal, $collate:literal, $in_seats:literal) => {
        type SeatRow = (String, String, i32, String, String, Option<Uuid>, Option<DateTime<Utc>>);
        type HoldRow = (Uuid, sqlx::types::Json<Vec<String>>, String, DateTime<Utc>, i64, String);

        const LOCK_SEATS: &str = concat!(
            "SELECT seat_id, row_label, number, seat_type, status, hold_id, held_until FROM showtime_seats ",
            "WHERE showtime_id = $1 AND ", $in_seats, " ORDER BY row_label", $collate, ", number", $lock
        );
        /// LOCK_SEATS plus the showtime's prices in the same round trip; the scalar subquery
        /// reads `showtimes` without locking it (FOR UPDATE applies to the FROM table only).
        const LOCK_PRICED_SEATS: &str = concat!(
            "SELECT seat_id, row_label, number, seat_type, status, hold_id, held_until, ",
            "(SELECT prices FROM showtimes WHERE id = $1) FROM showtime_seats ",
            "WHERE showtime_id = $1 AND ", $in_seats, " ORDER BY row_label", $collate, ", number", $lock
        );
        const LOAD_HOLD: &str = concat!(
            "SELECT showtime_id, seat_ids, status, expires_at, total_amount, currency FROM holds WHERE id = $1", $lock
        );

        fn seat_view(row: &SeatRow, prices: &Prices, now: DateTime<Utc>) -> StoreResult<SeatView> {
            let seat_type = SeatType::parse(&row.3).ok_or_else(|| corrupt(format!("seat type {}", row.3)))?;
            Ok(SeatView {
                id: row.0.clone(),
                row: row.1.clone(),
                number: i64::from(row.2),
                seat_type,
                status: SeatStatus::effective(&row.4, row.6, now),
                price: prices.price(seat_type),
            })
        }

        async fn prices_of(tx: &mut Tx, showtime_id: Uuid) -> StoreResult<Prices> {
            let prices: Option<sqlx::types::Json<Prices>> = sqlx::query_scalar("SELECT prices FROM showtimes WHERE id = $1")
                .bind(showtime_id).fetch_optional(&mut **tx).await?;
            prices.map(|p| p.0).ok_or_else(|| StoreError::NotFound("showtime".into()))
        }

        async fn lock_seats(tx: &mut Tx, showtime_id: Uuid, seat_ids: &[String]) -> StoreResult<Vec<SeatRow>> {
            Ok(sqlx::query_as(LOCK_SEATS).bind(showtime_id).bind(seat_arg(seat_ids)).fetch_all(&mut **tx).await?)
        }

        /// The hold with its seats' current views; `with_seats: false` leaves `seats` empty for
        /// writers that fill it from the rows they lock anyway.
        /// Locks the seats and reads the showtime's prices with them; NotFound if the showtime
        /// does not exist.
        async fn lock_priced_seats(tx: &mut Tx, showtime_id: Uuid, seat_ids: &[String]) -> StoreResult<(Vec<SeatRow>, Prices)> {
            let rows: Vec<(String, String, i32, String, String, Option<Uuid>, Option<DateTime<Utc>>, sqlx::types::Json<Prices>)> =
                sqlx::query_as(LOCK_PRICED_SEATS).bind(showtime_id).bind(seat_arg(seat_ids)).fetch_all(&mut **tx).await?;
            let Some(prices) = rows.first().map(|r| r.7.0.clone()) else {
                // No seat matched: tell an unknown showtime from unknown seats.
                return Ok((Vec::new(), prices_of(tx, showtime_id).await?));
            };
            let rows = rows.into_iter().map(|(a, b, c, d, e, f, g, _)| (a, b, c, d, e, f, g)).collect();
            Ok((rows, prices))
        }

        async fn load_hold(tx: &mut Tx, hold_id: Uuid, now: DateTime<Utc>, with_seats: bool) -> StoreResult<Option<HoldRecord>> {
            let row: Option<HoldRow> = sqlx::query_as(LOAD_HOLD).bind(hold_id).fetch_optional(&mut **tx).await?;
            let Some((showtime_id, seat_ids, status, expires_at, amount, currency)) = row else {
                return Ok(None);
            };
            let mut state = HoldState::parse(&status).ok_or_else(|| corrupt(format!("hold status {status}")))?;
            if state == HoldState::Held && expires_at <= now {
                state = HoldState::Expired;
            }
            let mut record = HoldRecord {
                id: hold_id,
                showtime_id,
                seat_ids: seat_ids.0,
                state,
                expires_at,
                total: Money { amount, currency },
                seats: Vec::new(),
            };
            if !with_seats {
                return Ok(Some(record));
            }
            let prices = prices_of(tx, showtime_id).await?;
            let rows: Vec<SeatRow> = sqlx::query_as(concat!(
                "SELECT seat_id, row_label, number, seat_type, status, hold_id, held_until FROM showtime_seats ",
                "WHERE showtime_id = $1 AND ", $in_seats, " ORDER BY row_label", $collate, ", number"))
                .bind(showtime_id).bind(seat_arg(&record.seat_ids)).fetch_all(&mut **tx).await?;
            record.seats = rows.iter().map(|r| seat_view(r, &prices, now)).collect::<StoreResult<Vec<_>>>()?;
            Ok(Some(record))
        }

        /// Moves the seats of `hold_id` among `seat_ids` to `status` and reports the changes.
        async fn set_seats(
            tx: &mut Tx,
            showtime_id: Uuid,
            seat_ids: &[String],
            hold_id: Uuid,
            to: SeatStatus,
        ) -> StoreResult<Vec<SeatChange>> {
            let sql = match to {
                SeatStatus::Sold => concat!("UPDATE showtime_seats SET status = 'sold', held_until = NULL, version = version + 1 ",
                    "WHERE showtime_id = $1 AND ", $in_seats, " AND hold_id = $3 AND status = 'held' RETURNING seat_id, version"),
                // Sold seats of the hold come back too: releasing a confirmed hold is how a
                // refunded booking returns its seats to sale.
                _ => concat!("UPDATE showtime_seats SET status = 'available', hold_id = NULL, held_until = NULL, version = version + 1 ",
                    "WHERE showtime_id = $1 AND ", $in_seats, " AND hold_id = $3 AND status IN ('held', 'sold') RETURNING seat_id, version"),
            };
            let changed: Vec<(String, i64)> = sqlx::query_as(sql)
                .bind(showtime_id).bind(seat_arg(seat_ids)).bind(hold_id).fetch_all(&mut **tx).await?;
            Ok(changes(showtime_id, changed, to))
        }

        /// The committed changes in seat order (RETURNING promises no order), so watchers
        /// see one operation's seats in a stable order.
        fn same_request(existing: HoldRecord, request: &HoldRequest, wanted: &[String]) -> StoreResult<(HoldRecord, Vec<SeatChange>)> {
            if existing.showtime_id == request.showtime_id && existing.seat_ids == wanted {
                Ok((existing, Vec::new()))
            } else {
                Err(StoreError::HoldIdReused)
            }
        }

        fn changes(showtime_id: Uuid, mut changed: Vec<(String, i64)>, status: SeatStatus) -> Vec<SeatChange> {
            changed.sort_by_cached_key(|(seat_id, _)| seat_id.parse::<crate::domain::SeatId>().ok());
            changed.into_iter().map(|(seat_id, version)| SeatChange { showtime_id, seat_id, status, version, committed_us: 0 }).collect()
        }

        async fn set_hold_state(tx: &mut Tx, hold_id: Uuid, state: HoldState, now: DateTime<Utc>) -> StoreResult<()> {
            sqlx::query("UPDATE holds SET status = $2, updated_at = $3 WHERE id = $1")
                .bind(hold_id).bind(state.as_str()).bind(db_time(now)).execute(&mut **tx).await?;
            Ok(())
        }

        #[async_trait]
        impl InventoryStore for $store {
            async fn seat_map(&self, showtime_id: Uuid, now: DateTime<Utc>) -> StoreResult<SeatMapRead> {
                // Two plain reads, no transaction (half the round trips of BEGIN … COMMIT): the
                // seats come from one statement's snapshot, and a price edited between the two
                // reads shows as it would a moment earlier. Holds price seats from their own
                // locked read, never from a map. The aisles come with the prices, in the same
                // round trip.
                let head: Option<(sqlx::types::Json<Prices>, sqlx::types::Json<LayoutAisles>)> = sqlx::query_as(
                    "SELECT s.prices, a.layout FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id WHERE s.id = $1")
                    .bind(showtime_id).fetch_optional(&self.pool).await?;
                let (prices, aisles) = head.map(|(p, a)| (p.0, a.0)).ok_or_else(|| StoreError::NotFound("showtime".into()))?;
                let rows: Vec<SeatRow> = sqlx::query_as(
                    "SELECT seat_id, row_label, number, seat_type, status, hold_id, held_until FROM showtime_seats \
                     WHERE showtime_id = $1 ORDER BY position")
                    .bind(showtime_id).fetch_all(&self.pool).await?;
                let seats = rows.iter().map(|r| seat_view(r, &prices, now)).collect::<StoreResult<Vec<_>>>()?;
                Ok(SeatMapRead { prices, seats, aisles })
            }

            async fn hold(&self, request: &HoldRequest, now: DateTime<Utc>) -> StoreResult<(HoldRecord, Vec<SeatChange>)> {
                let asked_at = now;
                let now = db_time(now);
                let wanted = request.seat_texts();
                let mut tx = self.write_tx().await?;
                let (rows, prices) = lock_priced_seats(&mut tx, request.showtime_id, &wanted).await?;
                if rows.len() != wanted.len() {
                    let missing: Vec<&String> = wanted.iter().filter(|w| !rows.iter().any(|r| &r.0 == *w)).collect();
                    return Err(StoreError::NotFound(format!("seat {}", missing.first().map_or("", |s| s.as_str()))));
                }
                // A retry of a hold that is still on its seats: answer as the first time. Checked
                // on the locked rows, so a concurrent first attempt has committed by now.
                if rows.iter().all(|r| r.5 == Some(request.hold_id)) {
                    if let Some(existing) = load_hold(&mut tx, request.hold_id, now, true).await? {
                        return same_request(existing, request, &wanted);
                    }
                }
                let taken: Vec<String> = rows.iter()
                    .filter(|r| SeatStatus::effective(&r.4, r.6, now) != SeatStatus::Available)
                    .map(|r| r.0.clone())
                    .collect();
                if !taken.is_empty() {
                    return Err(StoreError::SeatsUnavailable(taken));
                }
                // Rounded up to whole seconds, so a hold lasts at least its ttl.
                let ttl = chrono::Duration::from_std(request.ttl).map_err(|e| StoreError::Invalid(e.to_string()))?;
                let expires_at = db_time_ceil(asked_at + ttl);
                let changed: Vec<(String, i64)> = sqlx::query_as(concat!(
                    "UPDATE showtime_seats SET status = 'held', hold_id = $3, held_until = $4, version = version + 1 ",
                    "WHERE showtime_id = $1 AND ", $in_seats, " RETURNING seat_id, version"))
                    .bind(request.showtime_id).bind(seat_arg(&wanted)).bind(request.hold_id).bind(expires_at)
                    .fetch_all(&mut *tx).await?;
                let mut seats = rows.iter().map(|r| seat_view(r, &prices, now)).collect::<StoreResult<Vec<_>>>()?;
                seats.iter_mut().for_each(|s| s.status = SeatStatus::Held);
                let total: i64 = seats.iter().map(|s| s.price.amount).sum();
                let inserted = sqlx::query(
                    "INSERT INTO holds (id, showtime_id, seat_ids, status, expires_at, total_amount, currency, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'held', $4, $5, $6, $7, $7)")
                    .bind(request.hold_id).bind(request.showtime_id).bind(sqlx::types::Json(&wanted)).bind(expires_at)
                    .bind(total).bind(&prices.currency).bind(now)
                    .execute(&mut *tx).await;
                if let Err(e) = inserted {
                    // The hold id exists already (a retry after release or expiry, or a reuse
                    // for other seats): undo this attempt and answer from the recorded hold.
                    if boxoffice_store::is_unique_violation(&e) {
                        tx.rollback().await?;
                        let existing = self.get_hold(request.hold_id, now).await?;
                        return same_request(existing, request, &wanted);
                    }
                    return Err(e.into());
                }
                let changes = changes(request.showtime_id, changed, SeatStatus::Held);
                announce(&mut tx, &changes).await?;
                tx.commit().await?;
                let record = HoldRecord {
                    id: request.hold_id,
                    showtime_id: request.showtime_id,
                    seat_ids: wanted,
                    state: HoldState::Held,
                    expires_at,
                    total: Money { amount: total, currency: prices.currency.clone() },
                    seats,
                };
                Ok((record, changes))
            }

            async fn confirm(&self, hold_id: Uuid, now: DateTime<Utc>) -> StoreResult<(HoldRecord, Vec<SeatChange>)> {
                let now = db_time(now);
                let mut tx = self.write_tx().await?;
                let mut hold = load_hold(&mut tx, hold_id, now, false).await?.ok_or_else(|| StoreError::NotFound("hold".into()))?;
                match hold.state {
                    HoldState::Confirmed => {
                        drop(tx);
                        return Ok((self.get_hold(hold_id, now).await?, Vec::new()));
                    }
                    HoldState::Released => return Err(StoreError::HoldReleased),
                    HoldState::Expired => return Err(StoreError::HoldExpired),
                    HoldState::Held => {}
                }
                let (rows, prices) = lock_priced_seats(&mut tx, hold.showtime_id, &hold.seat_ids).await?;
                let still_ours = rows.len() == hold.seat_ids.len()
                    && rows.iter().all(|r| r.5 == Some(hold_id) && SeatStatus::effective(&r.4, r.6, now) == SeatStatus::Held);
                if !still_ours {
                    return Err(StoreError::HoldExpired);
                }
                hold.seats = rows.iter().map(|r| seat_view(r, &prices, now)).collect::<StoreResult<Vec<_>>>()?;
                let changes = set_seats(&mut tx, hold.showtime_id, &hold.seat_ids, hold_id, SeatStatus::Sold).await?;
                set_hold_state(&mut tx, hold_id, HoldState::Confirmed, now).await?;
                announce(&mut tx, &changes).await?;
                tx.commit().await?;
                hold.state = HoldState::Confirmed;
                hold.seats.iter_mut().for_each(|s| s.status = SeatStatus::Sold);
                Ok((hold, changes))
            }

            async fn release(&self, hold_id: Uuid, now: DateTime<Utc>) -> StoreResult<(HoldRecord, Vec<SeatChange>)> {
                let now = db_time(now);
                let mut tx = self.write_tx().await?;
                let mut hold = load_hold(&mut tx, hold_id, now, false).await?.ok_or_else(|| StoreError::NotFound("hold".into()))?;
                match hold.state {
                    HoldState::Released => {
                        drop(tx);
                        return Ok((self.get_hold(hold_id, now).await?, Vec::new()));
                    }
                    // A confirmed hold is released only after its booking was refunded: the
                    // booking service is the one caller, and it releases after the refund.
                    HoldState::Held | HoldState::Expired | HoldState::Confirmed => {}
                }
                let (rows, prices) = lock_priced_seats(&mut tx, hold.showtime_id, &hold.seat_ids).await?;
                hold.seats = rows.iter().map(|r| seat_view(r, &prices, now)).collect::<StoreResult<Vec<_>>>()?;
                let changes = set_seats(&mut tx, hold.showtime_id, &hold.seat_ids, hold_id, SeatStatus::Available).await?;
                set_hold_state(&mut tx, hold_id, HoldState::Released, now).await?;
                announce(&mut tx, &changes).await?;
                tx.commit().await?;
                hold.state = HoldState::Released;
                for seat in &mut hold.seats {
                    if changes.iter().any(|c| c.seat_id == seat.id) {
                        seat.status = SeatStatus::Available;
                    }
                }
                Ok((hold, changes))
            }

            async fn get_hold(&self, hold_id: Uuid, now: DateTime<Utc>) -> StoreResult<HoldRecord> {
                let mut tx = self.pool.begin().await?;
                let hold = load_hold(&mut tx, hold_id, now, true).await?;
                tx.commit().await?;
                hold.ok_or_else(|| StoreError::NotFound("hold".into()))
            }

            async fn expire_holds(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<SeatChange>> {
                let now = db_time(now);
                let mut all = Vec::new();
                for _ in 0..limit {
                    let mut tx = self.write_tx().await?;
                    // SKIP LOCKED: a hold being confirmed or released right now is left to that
                    // transaction; several sweepers (one per instance) share the work.
                    let next: Option<(Uuid, Uuid, sqlx::types::Json<Vec<String>>)> = sqlx::query_as(concat!(
                        "SELECT id, showtime_id, seat_ids FROM holds WHERE status = 'held' AND expires_at <= $1 ",
                        "ORDER BY expires_at LIMIT 1", $skip_locked))
                        .bind(now).fetch_optional(&mut *tx).await?;
                    let Some((hold_id, showtime_id, seat_ids)) = next else {
                        break;
                    };
                    lock_seats(&mut tx, showtime_id, &seat_ids.0).await?;
                    let changes = set_seats(&mut tx, showtime_id, &seat_ids.0, hold_id, SeatStatus::Available).await?;
                    set_hold_state(&mut tx, hold_id, HoldState::Expired, now).await?;
                    announce(&mut tx, &changes).await?;
                    tx.commit().await?;
                    all.extend(changes);
                }
                Ok(all)
            }
        }

    };
}
