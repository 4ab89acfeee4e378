//! `Query`: the catalog from the cinema service, bookings from our store.

use async_graphql::{
    Context, ID, InputValueError, InputValueResult, MergedObject, Object, Result, Scalar,
    ScalarType, Value,
};
use boxoffice_proto::cinema::v1 as pb;
use chrono::NaiveDate;

use super::errors::Gql;
use super::errors::{BAD_USER_INPUT, coded};
use super::types::{Booking, BookingPolicy, Cinema, Movie, Showtime, User};
use super::{ctx_caller, ctx_cinema, ctx_saga, ctx_token, not_shareable};
use crate::domain::parse_id;

/// An ISO 8601 calendar date, e.g. `2026-11-25`.
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("expected a date like 2026-11-25")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An id argument that must be a UUID: anything else is BAD_USER_INPUT, not a trip to the
/// cinema service.
fn uuid_arg(id: &ID) -> Result<String> {
    parse_id(id)
        .map(|u| u.to_string())
        .map_err(|e| coded(BAD_USER_INPUT, e.to_string()))
}

/// The public and customer queries and the staff's (`staff.rs`), as one `Query` type.
#[derive(MergedObject, Default)]
pub struct Query(PublicQuery, super::staff::StaffQuery);

#[derive(Default)]
pub struct PublicQuery;

#[Object]
impl PublicQuery {
    async fn movies(&self, ctx: &Context<'_>) -> Result<Vec<Movie>> {
        not_shareable(ctx);
        let movies = ctx_cinema(ctx)?.movies().await.gql()?;
        Ok(movies.into_iter().map(Movie::from).collect())
    }

    async fn movie(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Movie>> {
        let id = uuid_arg(&id)?;
        let movies = ctx_cinema(ctx)?.movies_by_id(vec![id]).await.gql()?;
        let movie = movies.into_iter().next().map(Movie::from);
        if movie.is_none() {
            // It may be created a moment from now.
            not_shareable(ctx);
        }
        Ok(movie)
    }

    async fn cinemas(&self, ctx: &Context<'_>) -> Result<Vec<Cinema>> {
        not_shareable(ctx);
        let cinemas = ctx_cinema(ctx)?.cinemas().await.gql()?;
        Ok(cinemas.into_iter().map(Cinema::from).collect())
    }

    async fn showtimes(
        &self,
        ctx: &Context<'_>,
        movie_id: Option<ID>,
        cinema_id: Option<ID>,
        date: Option<Date>,
    ) -> Result<Vec<Showtime>> {
        let filter = pb::ListShowtimesRequest {
            movie_id: movie_id.as_ref().map(uuid_arg).transpose()?,
            cinema_id: cinema_id.as_ref().map(uuid_arg).transpose()?,
            date: date.map(|d| d.0.format("%Y-%m-%d").to_string()),
        };
        not_shareable(ctx);
        let list = ctx_cinema(ctx)?.showtimes(filter).await.gql()?;
        Ok(list.into_iter().map(Showtime).collect())
    }

    async fn showtime(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Showtime>> {
        let id = uuid_arg(&id)?;
        let list = ctx_cinema(ctx)?.showtimes_by_id(vec![id]).await.gql()?;
        let showtime = list.into_iter().next().map(Showtime);
        if showtime.is_none() {
            not_shareable(ctx);
        }
        Ok(showtime)
    }

    /// The rules every booking follows. Needs no sign-in.
    async fn booking_policy(&self, ctx: &Context<'_>) -> Result<BookingPolicy> {
        // Not marked not_shareable: the same for everyone and fixed while the service runs,
        // so a kept answer is never wrong.
        Ok(*ctx.data::<BookingPolicy>()?)
    }

    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        ctx_caller(ctx)?;
        let account = ctx_saga(ctx)?.users.me(ctx_token(ctx)?).await.gql()?;
        Ok(Some(User {
            id: ID(account.id.to_string()),
            email: account.email,
            name: account.name,
            role: account.role,
        }))
    }

    async fn my_bookings(&self, ctx: &Context<'_>) -> Result<Vec<Booking>> {
        let caller = ctx_caller(ctx)?;
        let bookings = ctx_saga(ctx)?.mine(caller).await.gql()?;
        Ok(bookings.into_iter().map(Booking).collect())
    }

    /// Your own booking; staff and admins see any. Someone else's id is NOT_FOUND.
    async fn booking(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Booking>> {
        let caller = ctx_caller(ctx)?;
        let id = parse_id(&id).gql()?;
        Ok(Some(Booking(
            ctx_saga(ctx)?.viewable(caller, id).await.gql()?,
        )))
    }
}
