//! `Mutation`: thin wrappers over the saga.

use async_graphql::{Context, ID, InputObject, MergedObject, Object, Result};
use boxoffice_payments::domain::CardInput;

use super::errors::{BAD_USER_INPUT, Gql, coded};
use super::types::Booking;
use super::{ctx_caller, ctx_saga, ctx_token};
use crate::domain::parse_id;

#[derive(InputObject)]
pub struct CreateBookingInput {
    pub showtime_id: ID,
    pub seat_ids: Vec<String>,
}

#[derive(InputObject)]
pub struct CardInputGql {
    pub number: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub cvc: String,
}

#[derive(InputObject)]
pub struct PayBookingInput {
    pub booking_id: ID,
    #[graphql(name = "card")]
    pub card: CardInputGql,
    /// Chosen by the client: the same key again retries the same payment attempt.
    pub idempotency_key: String,
}

/// The customer's mutations and the staff's (`staff.rs`), as one `Mutation` type.
#[derive(MergedObject, Default)]
pub struct Mutation(CustomerMutation, super::staff::StaffMutation);

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    async fn create_booking(
        &self,
        ctx: &Context<'_>,
        input: CreateBookingInput,
    ) -> Result<Booking> {
        let caller = ctx_caller(ctx)?;
        let saga = ctx_saga(ctx)?;
        let booking = saga
            .create(caller, ctx_token(ctx)?, &input.showtime_id, &input.seat_ids)
            .await
            .gql()?;
        Ok(Booking(booking))
    }

    async fn pay_booking(&self, ctx: &Context<'_>, input: PayBookingInput) -> Result<Booking> {
        let caller = ctx_caller(ctx)?;
        let id = parse_id(&input.booking_id).gql()?;
        let card = CardInput {
            number: input.card.number,
            exp_month: u32::try_from(input.card.exp_month)
                .map_err(|_| coded(BAD_USER_INPUT, "expMonth must be 1 to 12"))?,
            exp_year: input.card.exp_year,
            cvc: input.card.cvc,
        };
        let booking = ctx_saga(ctx)?
            .pay(caller, id, card, &input.idempotency_key)
            .await
            .gql()?;
        Ok(Booking(booking))
    }

    async fn cancel_booking(&self, ctx: &Context<'_>, booking_id: ID) -> Result<Booking> {
        let caller = ctx_caller(ctx)?;
        let id = parse_id(&booking_id).gql()?;
        Ok(Booking(ctx_saga(ctx)?.cancel(caller, id).await.gql()?))
    }
}
