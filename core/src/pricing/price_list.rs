//! A store's whole price list, as one value.

use crate::catalog::{Catalog, RuleBook, TaxTable};
use crate::pricing::coupon::Coupon;

/// A store's whole price list, read at one moment: every product (retired
/// ones included, flagged), every tier rule, every tax rate and every coupon.
/// For auditing the rules ([`audit_pricing`](crate::audit_pricing)) and for
/// property-testing the rules a shop actually holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceList {
    /// The products.
    pub catalog: Catalog,
    /// Their tier ladders.
    pub rules: RuleBook,
    /// Tax rates by region.
    pub tax_rates: TaxTable,
    /// The coupons.
    pub coupons: Vec<Coupon>,
}
