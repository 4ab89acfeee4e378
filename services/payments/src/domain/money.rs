//! Money: integer minor units of a known ISO 4217 currency, never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// ISO 4217 codes this service accepts, with their number of minor-unit digits (for display
/// and for documentation; amounts are always in minor units). Kept short on purpose: the
/// currencies a cinema chain sells tickets in, not every code ever issued.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("ILS", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("MXN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("TRY", 2),
    ("USD", 2),
    ("ZAR", 2),
];

/// A known ISO 4217 currency code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static str);

impl Currency {
    /// Parses a code case-insensitively; unknown codes are rejected.
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == upper)
            .map(|(known, _)| Self(known))
            .ok_or(ValidationError::UnknownCurrency)
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// Digits after the decimal point (2 for EUR, 0 for JPY).
    pub fn exponent(self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == self.0)
            .map_or(2, |(_, e)| *e)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// A positive amount of money in minor units, at most the configured maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    /// `max_amount` is the largest charge the service accepts, in minor units of any currency:
    /// a guard against typos and runaway totals, not an exchange-rate-aware limit.
    pub fn new(amount: i64, currency: &str, max_amount: i64) -> Result<Self, ValidationError> {
        let currency = Currency::parse(currency)?;
        if amount <= 0 {
            return Err(ValidationError::AmountNotPositive);
        }
        if amount > max_amount {
            return Err(ValidationError::AmountTooLarge { max: max_amount });
        }
        Ok(Self { amount, currency })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_currencies_parse_case_insensitively() {
        assert_eq!(Currency::parse("eur").map(Currency::code), Ok("EUR"));
        assert_eq!(Currency::parse("JPY").map(Currency::exponent), Ok(0));
    }

    #[test]
    fn unknown_currencies_are_rejected() {
        for bad in ["", "EU", "XXX", "EURO", "usd1"] {
            assert_eq!(
                Currency::parse(bad),
                Err(ValidationError::UnknownCurrency),
                "{bad}"
            );
        }
    }

    #[test]
    fn amounts_must_be_positive_and_at_most_the_maximum() {
        assert!(Money::new(1, "EUR", 100).is_ok());
        assert!(Money::new(100, "EUR", 100).is_ok());
        assert_eq!(
            Money::new(0, "EUR", 100),
            Err(ValidationError::AmountNotPositive)
        );
        assert_eq!(
            Money::new(-5, "EUR", 100),
            Err(ValidationError::AmountNotPositive)
        );
        assert_eq!(
            Money::new(101, "EUR", 100),
            Err(ValidationError::AmountTooLarge { max: 100 })
        );
    }
}
