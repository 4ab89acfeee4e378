use serde::{Deserialize, Serialize};

use super::{Invalid, SeatType};

/// An amount in minor units (cents) of an ISO 4217 currency. Never floating point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    pub amount: i64,
    pub currency: String,
}

/// Checks an ISO 4217 code's shape (three upper-case letters).
pub fn validate_currency(code: &str) -> Result<(), Invalid> {
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Invalid::new(format!(
            "currency {code:?} is not an ISO 4217 code like EUR"
        )))
    }
}

/// A showtime's price per seat type, all in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub currency: String,
    pub standard: i64,
    pub premium: i64,
    pub accessible: i64,
}

/// The most a single seat may cost, in minor units: a typo guard (1,000.00).
const MAX_PRICE: i64 = 100_000;

impl Prices {
    pub fn validate(&self) -> Result<(), Invalid> {
        validate_currency(&self.currency)?;
        for seat_type in SeatType::ALL {
            let amount = self.amount(seat_type);
            if !(0..=MAX_PRICE).contains(&amount) {
                return Err(Invalid::new(format!(
                    "price of {} seats must be between 0 and {MAX_PRICE} minor units",
                    seat_type.as_str()
                )));
            }
        }
        Ok(())
    }

    pub fn amount(&self, seat_type: SeatType) -> i64 {
        match seat_type {
            SeatType::Standard => self.standard,
            SeatType::Premium => self.premium,
            SeatType::Accessible => self.accessible,
        }
    }

    pub fn price(&self, seat_type: SeatType) -> Money {
        Money {
            amount: self.amount(seat_type),
            currency: self.currency.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices() -> Prices {
        Prices {
            currency: "EUR".into(),
            standard: 1200,
            premium: 1600,
            accessible: 900,
        }
    }

    #[test]
    fn prices_pick_the_seat_types_amount() {
        assert_eq!(
            prices().price(SeatType::Premium),
            Money {
                amount: 1600,
                currency: "EUR".into()
            }
        );
        assert!(prices().validate().is_ok());
    }

    #[test]
    fn negative_prices_and_bad_currencies_are_rejected() {
        assert!(
            Prices {
                standard: -1,
                ..prices()
            }
            .validate()
            .is_err()
        );
        assert!(
            Prices {
                currency: "eur".into(),
                ..prices()
            }
            .validate()
            .is_err()
        );
        assert!(
            Prices {
                currency: "EURO".into(),
                ..prices()
            }
            .validate()
            .is_err()
        );
    }
}
