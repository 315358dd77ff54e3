//! Engine configuration: the policies the planners apply.

use crate::pricing::loyalty::{LoyaltyPolicy, PointValue};
use crate::pricing::PricingPolicy;
use crate::values::text::Region;

/// Policies shared by quoting, checkout and cancel.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShopConfig {
    /// The tax region used when a request names none (Cairo in the seed data).
    pub default_region: Region,
    /// Rounding rules.
    pub pricing: PricingPolicy,
    /// Points per amount spent.
    pub loyalty: LoyaltyPolicy,
    /// What a redeemed point is worth (default 0.01).
    #[serde(default)]
    pub point_value: PointValue,
    /// Calendar days from order to the promised delivery date in the confirmation.
    pub delivery_days: u16,
    /// Hours a customer session lasts after login (default 24).
    pub session_hours: u16,
}

impl ShopConfig {
    /// How long a session lasts.
    pub fn session_lifetime(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.session_hours))
    }
}

impl ShopConfig {
    /// The defaults with another default region.
    pub fn with_default_region(default_region: Region) -> Self {
        ShopConfig {
            default_region,
            pricing: PricingPolicy::default(),
            loyalty: LoyaltyPolicy::default(),
            point_value: PointValue::default(),
            delivery_days: 5,
            session_hours: 24,
        }
    }
}

impl Default for ShopConfig {
    /// Cairo, half-up per-order rounding, 1 point per 10.00, a redeemed point
    /// worth 0.01, delivery in 5 days, sessions of 24 hours.
    fn default() -> Self {
        let cairo = Region::parse("Cairo").unwrap_or_else(|_| unreachable!("valid literal"));
        ShopConfig::with_default_region(cairo)
    }
}
