//! Manual stock and points adjustments: the rules every adapter applies.
//!
//! Adapters read the current row (under a lock), call these, and write the
//! result, so both adapters refuse exactly the same changes with the same codes.

use crate::catalog::Product;
use crate::customer::{Customer, MAX_POINTS};
use crate::quantity::MAX_STOCK;
use crate::repository::{CatalogError, CustomerError};

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
/// ```
/// use shopcore::{points_after_change, seed, ErrorCode};
/// let omar = &seed::demo_data().customers[2]; // 50 points
/// assert_eq!(points_after_change(omar, -50).unwrap(), 0);
/// assert_eq!(points_after_change(omar, -51).unwrap_err().code(), "insufficient_points");
/// assert_eq!(points_after_change(omar, i64::MAX).unwrap_err().code(), "invalid_adjustment");
/// ```
pub fn points_after_change(customer: &Customer, change: i64) -> Result<u64, CustomerError> {
    let held = customer.loyalty_points;
    let magnitude = change.unsigned_abs();
    if change < 0 {
        held.checked_sub(magnitude)
            .ok_or(CustomerError::InsufficientPoints {
                customer_id: customer.id,
                requested: magnitude,
                available: held,
            })
    } else {
        held.checked_add(magnitude)
            .filter(|points| *points <= MAX_POINTS)
            .ok_or(CustomerError::PointsOutOfRange(change))
    }
}
