//! Manual stock and points adjustments: the rules and the planners.
//!
//! Adapters read the current row (under a lock), plan with
//! [`plan_stock_adjustment`] or [`plan_points_adjustment`], and apply the plan,
//! so both adapters refuse exactly the same changes with the same codes and
//! record each accepted one in the ledger.

use chrono::{DateTime, Utc};

use crate::catalog::{CatalogError, Product};
use crate::orders::customer::{spendable, Customer, CustomerError, MAX_POINTS};
use crate::plan::{Effect, Plan, PointsMoved, Reason, StockMoved};
use crate::values::quantity::MAX_STOCK;

/// The product's stock after adding `change` (negative to remove).
///
/// ```
/// use shopcore::{seed, stock_after_change, ErrorCode};
/// let laptop = &seed::demo_data().products[0]; // 50 in stock
/// assert_eq!(stock_after_change(laptop, -50).unwrap(), 0);
/// assert_eq!(stock_after_change(laptop, -51).unwrap_err().code(), "insufficient_stock");
/// assert_eq!(stock_after_change(laptop, i64::MAX).unwrap_err().code(), "stock_out_of_range");
/// ```
pub fn stock_after_change(product: &Product, change: i64) -> Result<u32, CatalogError> {
    let after = i64::from(product.quantity_available).saturating_add(change);
    if after < 0 {
        return Err(CatalogError::InsufficientStock {
            product_id: product.id,
            change,
            available: product.quantity_available,
        });
    }
    u32::try_from(after)
        .ok()
        .filter(|stock| *stock <= MAX_STOCK)
        .ok_or(CatalogError::StockOutOfRange(product.id))
}

/// The customer's points after adding `change` (negative to take away).
///
/// Taking away needs that many points held: an adjustment never creates a
/// debt (only a cancel does). Adding to a customer who owes points repays
/// the debt first.
///
/// ```
/// use shopcore::{points_after_change, seed, ErrorCode};
/// let mut omar = seed::demo_data().customers[2].clone(); // 50 points
/// assert_eq!(points_after_change(&omar, -50).unwrap(), 0);
/// assert_eq!(points_after_change(&omar, -51).unwrap_err().code(), "insufficient_points");
/// assert_eq!(points_after_change(&omar, i64::MAX).unwrap_err().code(), "invalid_adjustment");
/// omar.loyalty_points = -9; // owes 9 after a cancel
/// assert_eq!(points_after_change(&omar, 10).unwrap(), 1);
/// assert_eq!(points_after_change(&omar, -1).unwrap_err().code(), "insufficient_points");
/// ```
pub fn points_after_change(customer: &Customer, change: i64) -> Result<i64, CustomerError> {
    let held = customer.loyalty_points;
    let magnitude = change.unsigned_abs();
    if change < 0 {
        let available = spendable(held);
        if magnitude > available {
            return Err(CustomerError::InsufficientPoints {
                customer_id: customer.id,
                requested: magnitude,
                available,
            });
        }
        Ok(held + change)
    } else {
        held.checked_add(change)
            .filter(|points| i128::from(*points) <= i128::from(MAX_POINTS))
            .ok_or(CustomerError::PointsOutOfRange(change))
    }
}

/// A manual stock adjustment, decided: the product as it will be, and the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StockAdjustment {
    /// The product after the adjustment.
    pub product: Product,
    /// One [`Effect::StockMoved`] (reason `manual`), or nothing for a zero change.
    pub plan: Plan,
}

/// Decides a manual stock change on a product read under a lock.
///
/// A zero change moves nothing and records nothing.
///
/// ```
/// use shopcore::{plan_stock_adjustment, seed, ErrorCode};
/// let laptop = &seed::demo_data().products[0]; // 50 in stock
/// let now = chrono::Utc::now();
/// let adjustment = plan_stock_adjustment(laptop, 5, now).unwrap();
/// assert_eq!(adjustment.product.quantity_available, 55);
/// assert_eq!(adjustment.plan.effects().len(), 1);
/// assert!(plan_stock_adjustment(laptop, 0, now).unwrap().plan.effects().is_empty());
/// assert_eq!(plan_stock_adjustment(laptop, -51, now).unwrap_err().code(), "insufficient_stock");
/// ```
pub fn plan_stock_adjustment(
    product: &Product,
    change: i64,
    now: DateTime<Utc>,
) -> Result<StockAdjustment, CatalogError> {
    let after = stock_after_change(product, change)?;
    let mut plan = Plan::new(now);
    let mut product = product.clone();
    if change != 0 {
        plan.push(Effect::StockMoved(StockMoved {
            product: product.id,
            change,
            after,
            reason: Reason::Manual,
        }));
        product.quantity_available = after;
        product.last_updated = now;
    }
    Ok(StockAdjustment { product, plan })
}

/// A manual points adjustment, decided: the customer as they will be, and the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PointsAdjustment {
    /// The customer after the adjustment.
    pub customer: Customer,
    /// One [`Effect::PointsMoved`] (reason `manual`), or nothing for a zero change.
    pub plan: Plan,
}

/// Decides a manual points change on a customer read under a lock.
///
/// A zero change moves nothing and records nothing.
///
/// ```
/// use shopcore::{plan_points_adjustment, seed, ErrorCode};
/// let omar = &seed::demo_data().customers[2]; // 50 points
/// let now = chrono::Utc::now();
/// assert_eq!(plan_points_adjustment(omar, -20, now).unwrap().customer.loyalty_points, 30);
/// assert_eq!(plan_points_adjustment(omar, -51, now).unwrap_err().code(), "insufficient_points");
/// ```
pub fn plan_points_adjustment(
    customer: &Customer,
    change: i64,
    now: DateTime<Utc>,
) -> Result<PointsAdjustment, CustomerError> {
    let after = points_after_change(customer, change)?;
    let mut plan = Plan::new(now);
    let mut customer = customer.clone();
    if change != 0 {
        plan.push(Effect::PointsMoved(PointsMoved {
            customer: customer.id,
            change,
            after,
            reason: Reason::Manual,
        }));
        customer.loyalty_points = after;
    }
    Ok(PointsAdjustment { customer, plan })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner_test::given;
    use crate::seed;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn stock_moves_within_zero_and_the_largest_level() {
        let laptop = seed::demo_data().products[0].clone(); // 50 in stock
        let moved = |change, after| {
            [Effect::StockMoved(StockMoved {
                product: laptop.id,
                change,
                after,
                reason: Reason::Manual,
            })]
        };
        given(&laptop)
            .when(|product| plan_stock_adjustment(product, -50, now()))
            .then_effects(&moved(-50, 0));
        given(&laptop)
            .when(|product| plan_stock_adjustment(product, -51, now()))
            .then_error("insufficient_stock");
        given(&laptop)
            .when(|product| plan_stock_adjustment(product, i64::from(MAX_STOCK - 50), now()))
            .then_effects(&moved(i64::from(MAX_STOCK - 50), MAX_STOCK));
        given(&laptop)
            .when(|product| plan_stock_adjustment(product, i64::from(MAX_STOCK - 49), now()))
            .then_error("stock_out_of_range");
        let unchanged = given(&laptop)
            .when(|product| plan_stock_adjustment(product, 0, now()))
            .then_nothing();
        assert_eq!(unchanged.product, laptop);
    }

    #[test]
    fn points_move_from_the_balance_and_never_below_zero() {
        let omar = seed::demo_data().customers[2].clone(); // 50 points
        let adjusted = given(&omar)
            .when(|customer| plan_points_adjustment(customer, -50, now()))
            .then_effects(&[Effect::PointsMoved(PointsMoved {
                customer: omar.id,
                change: -50,
                after: 0,
                reason: Reason::Manual,
            })]);
        assert_eq!(adjusted.customer.loyalty_points, 0);
        given(&omar)
            .when(|customer| plan_points_adjustment(customer, -51, now()))
            .then_error("insufficient_points");
        given(&omar)
            .when(|customer| plan_points_adjustment(customer, 0, now()))
            .then_nothing();
    }
}
