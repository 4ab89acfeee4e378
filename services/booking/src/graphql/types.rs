//! The GraphQL object types of the public contract (docs/api/schema.graphql), thin views over
//! the cinema's protobuf messages and the booking store's records.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, Result, SimpleObject};
use boxoffice_proto::cinema::v1 as pb;
use chrono::{DateTime, Utc};

pub use super::booking::{Booking, Ticket};
use super::ctx_cinema;
use super::errors::Gql;
use super::loaders::{CinemaLoader, MovieLoader, MovieShowtimesLoader};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SeatType {
    Standard,
    Premium,
    Accessible,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SeatStatus {
    Available,
    Held,
    Sold,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Expired,
    Cancelled,
    Refunded,
}

impl SeatType {
    pub(crate) fn from_name(name: &str) -> Self {
        match name {
            "PREMIUM" => Self::Premium,
            "ACCESSIBLE" => Self::Accessible,
            _ => Self::Standard,
        }
    }
}

pub fn seat_status(value: i32) -> SeatStatus {
    match pb::SeatStatus::try_from(value) {
        Ok(pb::SeatStatus::Held) => SeatStatus::Held,
        Ok(pb::SeatStatus::Sold) => SeatStatus::Sold,
        _ => SeatStatus::Available,
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Money {
    /// Integer minor units (cents).
    pub amount: i64,
    pub currency: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Seat {
    pub id: ID,
    pub row: String,
    pub number: i32,
    #[graphql(name = "type")]
    pub seat_type: SeatType,
    pub status: SeatStatus,
    pub price: Money,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct SeatRow {
    pub label: String,
    pub seats: Vec<Seat>,
    /// Seat numbers followed by an aisle, as the auditorium's layout has them.
    pub gaps_after: Vec<i32>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct SeatMap {
    pub rows: Vec<SeatRow>,
}

impl From<&pb::SeatMap> for SeatMap {
    fn from(map: &pb::SeatMap) -> Self {
        let rows = map
            .rows
            .iter()
            .map(|row| SeatRow {
                label: row.label.clone(),
                gaps_after: row
                    .gaps_after
                    .iter()
                    .map(|n| i32::try_from(*n).unwrap_or(i32::MAX))
                    .collect(),
                seats: row
                    .seats
                    .iter()
                    .map(|s| Seat {
                        id: ID(s.id.clone()),
                        row: s.row.clone(),
                        number: s.number,
                        seat_type: SeatType::from_name(&crate::saga::seat_type_name(s.r#type)),
                        status: seat_status(s.status),
                        price: s.price.as_ref().map_or(
                            Money {
                                amount: 0,
                                currency: String::new(),
                            },
                            |p| Money {
                                amount: p.amount,
                                currency: p.currency.clone(),
                            },
                        ),
                    })
                    .collect(),
            })
            .collect();
        Self { rows }
    }
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Movie {
    pub id: ID,
    pub title: String,
    pub runtime_minutes: i32,
    pub rating: String,
    pub genres: Vec<String>,
    pub synopsis: String,
    pub poster_url: Option<String>,
    pub release_date: Option<String>,
}

impl From<pb::Movie> for Movie {
    fn from(m: pb::Movie) -> Self {
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        Self {
            id: ID(m.id),
            title: m.title,
            runtime_minutes: m.runtime_minutes,
            rating: m.rating,
            genres: m.genres,
            synopsis: m.synopsis,
            poster_url: non_empty(m.poster_url),
            release_date: non_empty(m.release_date),
        }
    }
}

#[ComplexObject]
impl Movie {
    async fn showtimes(&self, ctx: &Context<'_>) -> Result<Vec<Showtime>> {
        super::not_shareable(ctx);
        let loader = ctx.data::<DataLoader<MovieShowtimesLoader>>()?;
        let list = loader
            .load_one(self.id.to_string())
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(list.into_iter().map(Showtime).collect())
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Cinema {
    pub id: ID,
    pub name: String,
    pub address: String,
    pub time_zone: String,
}

impl From<pb::Cinema> for Cinema {
    fn from(c: pb::Cinema) -> Self {
        Self {
            id: ID(c.id),
            name: c.name,
            address: c.address,
            time_zone: c.time_zone,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Auditorium {
    pub id: ID,
    pub name: String,
}

/// A showtime from the catalog; movie and cinema come through the batch loaders.
#[derive(Clone, Debug)]
pub struct Showtime(pub pb::Showtime);

pub(crate) fn loader_error(e: std::sync::Arc<String>) -> async_graphql::Error {
    super::errors::unavailable("cinema", e)
}

#[async_graphql::Object]
impl Showtime {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn movie(&self, ctx: &Context<'_>) -> Result<Option<Movie>> {
        let loader = ctx.data::<DataLoader<MovieLoader>>()?;
        let movie = loader
            .load_one(self.0.movie_id.clone())
            .await
            .map_err(loader_error)?;
        Ok(movie.map(Movie::from))
    }

    async fn cinema(&self, ctx: &Context<'_>) -> Result<Option<Cinema>> {
        let loader = ctx.data::<DataLoader<CinemaLoader>>()?;
        let cinema = loader
            .load_one(self.0.cinema_id.clone())
            .await
            .map_err(loader_error)?;
        Ok(cinema.map(Cinema::from))
    }

    async fn auditorium(&self) -> Auditorium {
        Auditorium {
            id: ID(self.0.auditorium_id.clone()),
            name: self.0.auditorium_name.clone(),
        }
    }

    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        crate::saga::timestamp(self.0.starts_at.as_ref())
    }

    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        crate::saga::timestamp(self.0.ends_at.as_ref())
    }

    async fn seat_map(&self, ctx: &Context<'_>) -> Result<std::sync::Arc<SeatMap>> {
        let id = crate::domain::parse_id(&self.0.id).gql()?;
        let cinema = ctx_cinema(ctx)?;
        // HTTP requests carry a memo, so aliases of one map are fetched and built once; the
        // socket's long-lived connections do not (a memo there would never forget).
        let (map, generation) = match ctx.data_opt::<super::loaders::SeatMapMemo>() {
            Some(memo) => memo.get_or_fetch(cinema, id).await.gql()?,
            None => {
                let (map, generation) = cinema.seat_map_tracked(id).await.gql()?;
                (std::sync::Arc::new(map.as_ref().into()), generation)
            }
        };
        super::shows_seat_map(ctx, id, generation);
        Ok(map)
    }
}

/// The rules every booking follows, so a client can show them before a customer runs into them.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct BookingPolicy {
    /// The most seats one booking may hold.
    pub max_seats_per_booking: i32,
    /// How long seats stay held while the customer pays.
    pub hold_seconds: i32,
    /// A paid booking can be cancelled, and refunded, until this long before the show.
    pub refund_cutoff_minutes: i32,
}

impl From<&crate::saga::SagaConfig> for BookingPolicy {
    fn from(config: &crate::saga::SagaConfig) -> Self {
        let clamp = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            max_seats_per_booking: clamp(config.max_seats as i64),
            hold_seconds: clamp(config.hold_ttl.as_secs() as i64),
            refund_cutoff_minutes: clamp(config.refund_policy.cutoff.num_minutes()),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct User {
    pub id: ID,
    pub email: String,
    pub name: String,
    pub role: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct SeatUpdate {
    pub showtime_id: ID,
    pub seat_id: ID,
    pub status: SeatStatus,
    pub version: i64,
}
