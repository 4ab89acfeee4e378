//! What a showtime has sold: counts per state and the revenue of its sold seats.

use serde::Serialize;

use super::{Invalid, Money, Prices, SeatType};

/// Seat counts of one showtime as the store aggregates them. `held` counts live holds only:
/// an expired hold is free whether or not the sweeper has run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeatCounts {
    pub capacity: i64,
    pub held: i64,
    pub sold_standard: i64,
    pub sold_premium: i64,
    pub sold_accessible: i64,
}

impl SeatCounts {
    pub fn sold(&self) -> i64 {
        self.sold_standard + self.sold_premium + self.sold_accessible
    }

    /// Revenue at the showtime's current prices: each sold seat at its type's price.
    pub fn revenue(&self, prices: &Prices) -> Money {
        let amount = self.sold_standard * prices.amount(SeatType::Standard)
            + self.sold_premium * prices.amount(SeatType::Premium)
            + self.sold_accessible * prices.amount(SeatType::Accessible);
        Money {
            amount,
            currency: prices.currency.clone(),
        }
    }

    pub fn sales(&self, prices: &Prices) -> Sales {
        let sold = self.sold();
        Sales {
            capacity: self.capacity,
            sold,
            held: self.held,
            free: (self.capacity - sold - self.held).max(0),
            revenue: self.revenue(prices),
        }
    }
}

/// The numbers staff see for a showtime, or summed over a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Sales {
    pub capacity: i64,
    pub sold: i64,
    pub held: i64,
    pub free: i64,
    pub revenue: Money,
}

impl Sales {
    /// Sums showtimes' sales. Revenue in different currencies cannot be added: refused
    /// rather than summed into a meaningless number. No showtimes: zeros, currency "".
    pub fn total<'a>(all: impl IntoIterator<Item = &'a Sales>) -> Result<Sales, Invalid> {
        let mut total = Sales {
            capacity: 0,
            sold: 0,
            held: 0,
            free: 0,
            revenue: Money {
                amount: 0,
                currency: String::new(),
            },
        };
        for sales in all {
            if total.revenue.currency.is_empty() {
                total.revenue.currency = sales.revenue.currency.clone();
            } else if total.revenue.currency != sales.revenue.currency {
                return Err(Invalid::new(
                    "the showtimes of this day are priced in more than one currency",
                ));
            }
            total.capacity += sales.capacity;
            total.sold += sales.sold;
            total.held += sales.held;
            total.free += sales.free;
            total.revenue.amount += sales.revenue.amount;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices(currency: &str) -> Prices {
        Prices {
            currency: currency.into(),
            standard: 1000,
            premium: 1500,
            accessible: 800,
        }
    }

    #[test]
    fn revenue_prices_each_sold_seat_by_its_type() {
        let counts = SeatCounts {
            capacity: 10,
            held: 2,
            sold_standard: 2,
            sold_premium: 1,
            sold_accessible: 1,
        };
        let sales = counts.sales(&prices("EUR"));
        assert_eq!((sales.sold, sales.held, sales.free), (4, 2, 4));
        assert_eq!(sales.revenue.amount, 2 * 1000 + 1500 + 800);
    }

    #[test]
    fn totals_add_up_in_one_currency_and_refuse_two() {
        let one = SeatCounts {
            capacity: 5,
            held: 1,
            sold_standard: 1,
            ..SeatCounts::default()
        }
        .sales(&prices("EUR"));
        let total = Sales::total([&one, &one]).unwrap();
        assert_eq!((total.capacity, total.sold, total.free), (10, 2, 6));
        assert_eq!(total.revenue.amount, 2000);
        assert_eq!(Sales::total([]).unwrap().revenue.currency, "");
        let dollars = SeatCounts::default().sales(&prices("USD"));
        assert!(Sales::total([&one, &dollars]).is_err());
    }
}
