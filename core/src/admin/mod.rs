//! Administration by staff: the catalog (products, tier ladders, tax
//! regions, with a change log), coupons and customer profiles — each command
//! decided as a plan against rows read under a lock.

pub(crate) mod catalog;
pub(crate) mod coupon;
pub(crate) mod profile;
