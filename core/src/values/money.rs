//! Money and the rounding policy.
//!
//! [`Money`] is a non-negative `rust_decimal::Decimal` with exactly two decimal
//! places, no larger than [`Money::MAX`] (the largest `DECIMAL(12,2)`). It is
//! parsed once at the edge; inside the core every amount is already valid.
//! Arithmetic that can leave two places (discounts, tax) goes through
//! [`RoundingMode::round`], so rounding is always named, never implied.
//!
//! On the wire money is a decimal *string* (`"999.99"`): serde formats that go
//! through `f64` would otherwise lose exactness. Parsing a JSON float is refused.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::ValueError;

/// How amounts with more than two decimals are rounded to cents.
///
/// ```
/// use rust_decimal::Decimal;
/// use shopcore::RoundingMode;
/// let x: Decimal = "44.985".parse().unwrap();
/// assert_eq!(RoundingMode::HalfUp.round(x).to_string(), "44.99");
/// assert_eq!(RoundingMode::HalfEven.round(x).to_string(), "44.98");
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Midpoints away from zero (0.125 → 0.13): the commercial default.
    #[default]
    HalfUp,
    /// Midpoints to the even neighbour (0.125 → 0.12), "banker's rounding".
    HalfEven,
}

impl RoundingMode {
    /// The mode's snake_case name, as configured: `"half_up"` or `"half_even"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HalfUp => "half_up",
            Self::HalfEven => "half_even",
        }
    }

    /// Rounds `value` to two decimal places with this mode; the result has scale 2.
    pub fn round(self, value: Decimal) -> Decimal {
        let strategy = match self {
            Self::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Self::HalfEven => RoundingStrategy::MidpointNearestEven,
        };
        let mut rounded = value.round_dp_with_strategy(2, strategy);
        rounded.rescale(2);
        rounded
    }
}

/// A non-negative amount of money with exactly two decimal places.
///
/// ```
/// use shopcore::Money;
/// let price: Money = "999.99".parse().unwrap();
/// assert_eq!(price.to_string(), "999.99");
/// assert_eq!("5".parse::<Money>().unwrap().to_string(), "5.00");
/// assert!("1.005".parse::<Money>().is_err()); // three decimals
/// assert!("-1".parse::<Money>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct Money(Decimal);

impl Money {
    /// Zero, `0.00`.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// The largest amount, `9999999999.99` (a `DECIMAL(12,2)` column).
    pub const MAX: Money = Money(Decimal::from_parts(3_567_587_327, 232, 0, false, 2));

    /// The largest unit price of a product, `99999999.99` (the `DECIMAL(10,2)`
    /// column of `inventory.unit_price`).
    pub const MAX_UNIT_PRICE: Money = Money(Decimal::from_parts(1_410_065_407, 2, 0, false, 2));

    /// Makes an amount from a decimal that has at most two significant decimals.
    ///
    /// Fails with `invalid_money` for negative values, values above [`Money::MAX`]
    /// and values such as `1.005` that would need rounding.
    pub fn new(amount: Decimal) -> Result<Self, ValueError> {
        let reject = |reason| ValueError::Money {
            value: amount.to_string(),
            reason,
        };
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(reject("must not be negative"));
        }
        if amount > Self::MAX.0 {
            return Err(reject("exceeds 9999999999.99"));
        }
        let mut exact = amount.normalize();
        if exact.scale() > 2 {
            return Err(reject("has more than two decimal places"));
        }
        exact.rescale(2);
        Ok(Money(exact))
    }

    /// Makes an amount to pay or capture: above zero, else `invalid_amount`;
    /// otherwise as [`Money::new`] (`invalid_money` for more than two decimals
    /// or above [`Money::MAX`]).
    ///
    /// ```
    /// use shopcore::{ErrorCode, Money};
    /// use shopcore::rust_decimal::Decimal;
    /// assert_eq!(Money::positive(Decimal::new(1000, 0)).unwrap().to_string(), "1000.00");
    /// assert_eq!(Money::positive(Decimal::ZERO).unwrap_err().code(), "invalid_amount");
    /// assert_eq!(Money::positive(Decimal::new(-5, 0)).unwrap_err().code(), "invalid_amount");
    /// assert_eq!(Money::positive(Decimal::new(1005, 3)).unwrap_err().code(), "invalid_money");
    /// ```
    pub fn positive(amount: Decimal) -> Result<Self, ValueError> {
        if amount <= Decimal::ZERO {
            return Err(ValueError::Amount {
                value: amount.to_string(),
            });
        }
        Self::new(amount)
    }

    /// Makes an amount from a whole number of cents.
    ///
    /// ```
    /// assert_eq!(shopcore::Money::from_cents(29_99).unwrap().to_string(), "29.99");
    /// ```
    pub fn from_cents(cents: i64) -> Result<Self, ValueError> {
        Self::new(Decimal::new(cents, 2))
    }

    /// Rounds an intermediate result to cents with `mode` and checks the range.
    pub fn round(value: Decimal, mode: RoundingMode) -> Result<Self, ValueError> {
        Self::new(mode.round(value))
    }

    /// The amount as a decimal with scale 2.
    pub const fn amount(self) -> Decimal {
        self.0
    }

    /// The amount as a whole number of cents.
    ///
    /// ```
    /// assert_eq!("29.99".parse::<shopcore::Money>().unwrap().cents(), 2999);
    /// ```
    pub fn cents(self) -> i64 {
        // At most 999999999999 cents (Money::MAX), scale 2 by construction.
        i64::try_from(self.0.mantissa()).unwrap_or(i64::MAX)
    }

    /// `self + other`, or `None` above [`Money::MAX`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        Money::new(self.0 + other.0).ok()
    }

    /// `self − other`, or `None` if the result would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        Money::new(self.0 - other.0).ok()
    }
}

impl Default for Money {
    /// 0.00.
    fn default() -> Self {
        Money::ZERO
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Money {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        // Only plain decimal notation: no exponent, no sign other than '-', at most 40 chars.
        let plain = !trimmed.is_empty()
            && trimmed.len() <= 40
            && trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
        let parsed = plain
            .then(|| Decimal::from_str_exact(trimmed).ok())
            .flatten();
        match parsed {
            Some(amount) => Money::new(amount),
            None => Err(ValueError::Money {
                value: text.chars().take(40).collect(),
                reason: "not a decimal number",
            }),
        }
    }
}

impl TryFrom<Decimal> for Money {
    type Error = ValueError;
    fn try_from(amount: Decimal) -> Result<Self, Self::Error> {
        Money::new(amount)
    }
}

impl From<Money> for Decimal {
    fn from(money: Money) -> Decimal {
        money.0
    }
}

impl From<Money> for String {
    fn from(money: Money) -> String {
        money.to_string()
    }
}

/// What serde accepts for money: a decimal string or a whole number, never a
/// float (a float cannot hold most amounts exactly, so it is refused with a
/// message that says what to send instead).
///
/// ```
/// use shopcore::Money;
/// let price: Money = serde_json::from_str(r#""999.99""#).unwrap();
/// assert_eq!(price.to_string(), "999.99");
/// assert_eq!(serde_json::from_str::<Money>("5").unwrap().to_string(), "5.00");
/// let float = serde_json::from_str::<Money>("999.99").unwrap_err().to_string();
/// assert!(float.starts_with("expected an exact decimal string such as \"999.99\" or a whole number, not the float 999.99"));
/// ```
impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ExactDecimal::<Money>::new("an amount of money"))
    }
}

/// A serde visitor for values parsed from an exact decimal: a string such as
/// `"999.99"` or a whole number, never a float (which cannot hold most
/// amounts exactly); the refusal says what to send instead.
pub(crate) struct ExactDecimal<T> {
    what: &'static str,
    value: std::marker::PhantomData<T>,
}

impl<T> ExactDecimal<T> {
    /// A visitor for `what` (as the "expected" part of an error names it).
    pub(crate) fn new(what: &'static str) -> Self {
        ExactDecimal {
            what,
            value: std::marker::PhantomData,
        }
    }
}

impl<T> serde::de::Visitor<'_> for ExactDecimal<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: a decimal string such as \"999.99\" or a whole number",
            self.what
        )
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
    fn visit_u64<E: serde::de::Error>(self, whole: u64) -> Result<T, E> {
        self.visit_str(&whole.to_string())
    }
    fn visit_i64<E: serde::de::Error>(self, whole: i64) -> Result<T, E> {
        self.visit_str(&whole.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<T, E> {
        Err(E::custom(format_args!(
            "expected an exact decimal string such as \"999.99\" or a whole number, \
             not the float {value}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn max_is_the_largest_decimal_12_2() {
        assert_eq!(Money::MAX.amount(), dec!(9999999999.99));
        assert_eq!(Money::MAX.to_string(), "9999999999.99");
        assert_eq!(Money::ZERO.to_string(), "0.00");
    }

    #[test]
    fn amounts_are_stored_with_exactly_two_places() {
        assert_eq!(Money::new(dec!(5)).unwrap().amount().scale(), 2);
        assert_eq!(Money::new(dec!(5.1000)).unwrap().to_string(), "5.10");
    }

    #[test]
    fn bad_amounts_are_rejected_with_invalid_money() {
        for text in [
            "",
            "abc",
            "1e3",
            "1.001",
            "-0.01",
            "10000000000.00",
            "NaN",
            "1,5",
            "++1",
        ] {
            assert!(text.parse::<Money>().is_err(), "{text:?} accepted");
        }
        assert_eq!("-0".parse::<Money>().unwrap(), Money::ZERO);
    }

    #[test]
    fn half_up_and_half_even_differ_only_on_midpoints() {
        assert_eq!(RoundingMode::HalfUp.round(dec!(0.125)), dec!(0.13));
        assert_eq!(RoundingMode::HalfEven.round(dec!(0.125)), dec!(0.12));
        assert_eq!(RoundingMode::HalfUp.round(dec!(0.124)), dec!(0.12));
        assert_eq!(RoundingMode::HalfEven.round(dec!(0.135)), dec!(0.14));
    }

    #[test]
    fn serde_uses_strings_and_refuses_floats() {
        let money: Money = serde_json::from_str("\"29.99\"").unwrap();
        assert_eq!(serde_json::to_string(&money).unwrap(), "\"29.99\"");
        assert_eq!(
            serde_json::from_str::<Money>("12").unwrap().to_string(),
            "12.00"
        );
        assert!(serde_json::from_str::<Money>("29.99").is_err());
        assert!(serde_json::from_str::<Money>("\"1.999\"").is_err());
    }

    #[test]
    fn checked_arithmetic_stays_in_range() {
        let one = Money::from_cents(100).unwrap();
        assert_eq!(Money::MAX.checked_add(one), None);
        assert_eq!(Money::ZERO.checked_sub(one), None);
        assert_eq!(one.checked_sub(one), Some(Money::ZERO));
    }
}
