//! Loyalty points: earned as `floor(amount paid before tax / unit)`, redeemed at a [`PointValue`].

use rust_decimal::prelude::ToPrimitive;

use crate::error::ValueError;
use crate::values::money::Money;

/// How many points an order earns: one point per full `unit` of subtotal
/// (after discounts, before tax).
///
/// ```
/// use shopcore::LoyaltyPolicy;
/// let policy = LoyaltyPolicy::default(); // 1 point per 10.00
/// assert_eq!(policy.points_for("1254.90".parse().unwrap()), 125);
/// assert_eq!(policy.points_for("9.99".parse().unwrap()), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Money", into = "Money")]
pub struct LoyaltyPolicy {
    unit: Money,
}

impl LoyaltyPolicy {
    /// A policy of one point per `unit`; fails with `invalid_money` if `unit` is zero.
    pub fn new(unit: Money) -> Result<Self, ValueError> {
        if unit == Money::ZERO {
            return Err(ValueError::Money {
                value: unit.to_string(),
                reason: "the loyalty unit must be positive",
            });
        }
        Ok(LoyaltyPolicy { unit })
    }

    /// The amount that earns one point.
    pub fn unit(self) -> Money {
        self.unit
    }

    /// Points earned by an order with this subtotal.
    pub fn points_for(self, subtotal: Money) -> u64 {
        // unit > 0 and subtotal ≤ Money::MAX, so the quotient fits easily.
        (subtotal.amount() / self.unit.amount())
            .floor()
            .to_u64()
            .unwrap_or(0)
    }
}

impl Default for LoyaltyPolicy {
    fn default() -> Self {
        LoyaltyPolicy {
            unit: Money::from_cents(1000).unwrap_or(Money::MAX),
        }
    }
}

impl TryFrom<Money> for LoyaltyPolicy {
    type Error = ValueError;
    fn try_from(unit: Money) -> Result<Self, Self::Error> {
        LoyaltyPolicy::new(unit)
    }
}

impl From<LoyaltyPolicy> for Money {
    fn from(policy: LoyaltyPolicy) -> Money {
        policy.unit
    }
}

/// What one redeemed loyalty point is worth (default 0.01: 100 points = 1.00).
///
/// ```
/// use shopcore::{Money, PointValue};
/// let value = PointValue::default();
/// assert_eq!(value.value_of(250).unwrap().to_string(), "2.50");
/// assert_eq!(value.points_covering("2.51".parse().unwrap()), 251);
/// let dime = PointValue::new("0.10".parse().unwrap()).unwrap();
/// assert_eq!(dime.points_covering("2.55".parse().unwrap()), 25);
/// assert!(PointValue::new(Money::ZERO).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Money", into = "Money")]
pub struct PointValue(Money);

impl PointValue {
    /// A point worth `value`; fails with `invalid_money` if it is zero.
    pub fn new(value: Money) -> Result<Self, ValueError> {
        if value == Money::ZERO {
            return Err(ValueError::Money {
                value: value.to_string(),
                reason: "the value of a point must be positive",
            });
        }
        Ok(PointValue(value))
    }

    /// What one point is worth.
    pub fn get(self) -> Money {
        self.0
    }

    /// What `points` are worth, or `None` above [`Money::MAX`].
    pub fn value_of(self, points: u64) -> Option<Money> {
        let points = rust_decimal::Decimal::from(points);
        points
            .checked_mul(self.0.amount())
            .and_then(|value| Money::new(value).ok())
    }

    /// The most points whose value is at most `amount`.
    pub fn points_covering(self, amount: Money) -> u64 {
        (amount.amount() / self.0.amount())
            .floor()
            .to_u64()
            .unwrap_or(0)
    }
}

impl Default for PointValue {
    fn default() -> Self {
        PointValue(Money::from_cents(1).unwrap_or(Money::MAX))
    }
}

impl TryFrom<Money> for PointValue {
    type Error = ValueError;
    fn try_from(value: Money) -> Result<Self, Self::Error> {
        PointValue::new(value)
    }
}

impl From<PointValue> for Money {
    fn from(value: PointValue) -> Money {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_unit_is_rejected_and_floor_is_used() {
        assert!(LoyaltyPolicy::new(Money::ZERO).is_err());
        let per_cent = LoyaltyPolicy::new(Money::from_cents(1).unwrap()).unwrap();
        assert_eq!(per_cent.points_for(Money::MAX), 999_999_999_999);
        let per_ten = LoyaltyPolicy::default();
        assert_eq!(per_ten.points_for(Money::from_cents(1999).unwrap()), 1);
        assert_eq!(per_ten.points_for(Money::from_cents(2000).unwrap()), 2);
    }
}
