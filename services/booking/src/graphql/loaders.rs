//! Batch loaders over the cinema's BatchGet* calls: however many showtimes (or bookings) a
//! query lists, their movies, cinemas and showtimes are fetched in one call each.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use boxoffice_proto::cinema::v1 as pb;

use crate::clients::CinemaClient;

pub struct MovieLoader(pub Arc<CinemaClient>);
pub struct CinemaLoader(pub Arc<CinemaClient>);
pub struct ShowtimeLoader(pub Arc<CinemaClient>);

impl Loader<String> for MovieLoader {
    type Value = pb::Movie;
    type Error = Arc<String>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, pb::Movie>, Self::Error> {
        let movies = self
            .0
            .movies_by_id(keys.to_vec())
            .await
            .map_err(|e| Arc::new(e.to_string()))?;
        Ok(movies.into_iter().map(|m| (m.id.clone(), m)).collect())
    }
}

impl Loader<String> for CinemaLoader {
    type Value = pb::Cinema;
    type Error = Arc<String>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, pb::Cinema>, Self::Error> {
        let cinemas = self
            .0
            .cinemas_by_id(keys.to_vec())
            .await
            .map_err(|e| Arc::new(e.to_string()))?;
        Ok(cinemas.into_iter().map(|c| (c.id.clone(), c)).collect())
    }
}

impl Loader<String> for ShowtimeLoader {
    type Value = pb::Showtime;
    type Error = Arc<String>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, pb::Showtime>, Self::Error> {
        let showtimes = self
            .0
            .showtimes_by_id(keys.to_vec())
            .await
            .map_err(|e| Arc::new(e.to_string()))?;
        Ok(showtimes.into_iter().map(|s| (s.id.clone(), s)).collect())
    }
}

/// The showtimes of many movies at once: one ListShowtimes for the whole query, grouped by
/// movie, instead of one call per movie in `movies { showtimes }`.
pub struct MovieShowtimesLoader(pub Arc<CinemaClient>);

impl Loader<String> for MovieShowtimesLoader {
    type Value = Vec<pb::Showtime>;
    type Error = Arc<String>;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<pb::Showtime>>, Self::Error> {
        let filter = match keys {
            [only] => pb::ListShowtimesRequest {
                movie_id: Some(only.clone()),
                ..Default::default()
            },
            _ => pb::ListShowtimesRequest::default(),
        };
        let all = self
            .0
            .showtimes(filter)
            .await
            .map_err(|e| Arc::new(e.to_string()))?;
        let mut grouped: HashMap<String, Vec<pb::Showtime>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for showtime in all {
            if let Some(list) = grouped.get_mut(&showtime.movie_id) {
                list.push(showtime);
            }
        }
        Ok(grouped)
    }
}

/// The seat maps one request has shown, by showtime: 30 aliases of the same `seatMap` fetch
/// and build it once (ADR 0503). Per request, so nothing outlives it; concurrent readers of
/// one showtime wait for the first fetch, and a failed fetch is not kept (the next tries).
#[derive(Default)]
pub struct SeatMapMemo {
    maps: std::sync::Mutex<HashMap<uuid::Uuid, Arc<tokio::sync::OnceCell<Shown>>>>,
}

/// A built seat map and the generation it was read at.
pub type Shown = (Arc<super::types::SeatMap>, u64);

impl SeatMapMemo {
    pub async fn get_or_fetch(
        &self,
        cinema: &CinemaClient,
        showtime: uuid::Uuid,
    ) -> Result<Shown, crate::clients::CinemaError> {
        let cell = {
            let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
            maps.entry(showtime).or_default().clone()
        };
        let shown = cell
            .get_or_try_init(|| async {
                let (map, generation) = cinema.seat_map_tracked(showtime).await?;
                Ok::<_, crate::clients::CinemaError>((Arc::new(map.as_ref().into()), generation))
            })
            .await?;
        Ok(shown.clone())
    }
}
