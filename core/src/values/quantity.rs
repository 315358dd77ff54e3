//! Positive quantities and stock levels.
//!
//! A [`Quantity`] is how many units a cart line, order item or restock moves:
//! always at least 1 and at most [`Quantity::MAX`], so "zero", "negative" and
//! "absurd" quantities are unrepresentable. Stock levels are plain `u32`s kept
//! within `0..=`[`MAX_STOCK`].

use std::fmt;

use crate::error::ValueError;

/// The largest stock level a product can hold (fits a signed 32-bit column).
pub const MAX_STOCK: u32 = 1_000_000_000;

/// A number of units from 1 to [`Quantity::MAX`].
///
/// ```
/// use shopcore::Quantity;
/// assert_eq!(Quantity::new(10).unwrap().get(), 10);
/// assert!(Quantity::new(0).is_err());
/// assert!(Quantity::new(-3).is_err());
/// assert!(Quantity::new(1_000_001).is_err());
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "i64", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// The largest quantity of one line: one million units.
    pub const MAX: u32 = 1_000_000;

    /// One unit.
    pub const ONE: Quantity = Quantity(1);

    /// Parses any integer; fails with `invalid_quantity` outside `1..=MAX`.
    pub fn new(value: i64) -> Result<Self, ValueError> {
        match u32::try_from(value) {
            Ok(units) if (1..=Self::MAX).contains(&units) => Ok(Quantity(units)),
            _ => Err(ValueError::Quantity {
                value: value.to_string(),
                max: Self::MAX,
            }),
        }
    }

    /// The number of units.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// `self + other`, or `invalid_quantity` above [`Quantity::MAX`].
    pub fn checked_add(self, other: Quantity) -> Result<Quantity, ValueError> {
        Quantity::new(i64::from(self.0) + i64::from(other.0))
    }
}

impl TryFrom<i64> for Quantity {
    type Error = ValueError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Quantity::new(value)
    }
}

impl From<Quantity> for u32 {
    fn from(quantity: Quantity) -> u32 {
        quantity.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive() {
        assert!(Quantity::new(1).is_ok());
        assert!(Quantity::new(i64::from(Quantity::MAX)).is_ok());
        assert!(Quantity::new(i64::MIN).is_err());
        assert!(Quantity::new(i64::from(u32::MAX) + 1).is_err());
    }

    #[test]
    fn adding_past_max_is_invalid_quantity() {
        let big = Quantity::new(600_000).unwrap();
        assert!(big.checked_add(big).is_err());
        assert_eq!(big.checked_add(Quantity::ONE).unwrap().get(), 600_001);
    }

    #[test]
    fn serde_rejects_zero_negative_and_fractional() {
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
        assert!(serde_json::from_str::<Quantity>("1.5").is_err());
        assert!(serde_json::from_str::<Quantity>("\"2\"").is_err());
        assert_eq!(serde_json::from_str::<Quantity>("2").unwrap().get(), 2);
    }
}
