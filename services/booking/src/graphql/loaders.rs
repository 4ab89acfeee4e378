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
