//! Cancel planning: the reverse of a checkout, decided before anything changes.
//!
//! Only an order in status `created` can be cancelled. The plan returns every
//! unit to stock, gives back the points the order redeemed, revokes every
//! point the order earned, and carries the cancellation notice.
//!
//! Earned points may have been spent already (redeemed on a later order). The
//! cancel still revokes them in full: the balance then goes below zero, a debt
//! of points that later earnings repay first and that blocks redemption until
//! it is repaid. So no sequence of orders, redemptions and cancels leaves a
//! customer with points their kept orders did not earn (refusing such a
//! cancel instead would make an order uncancellable because of another one).

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::checkout::{points_change, units_by_product};
use crate::customer::{points_room, Customer};
use crate::effect::{
    Effect, NoticeLogged, NoticeText, OrderRef, Plan, PointsMoved, Reason, StockMoved,
};
use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::ids::{CustomerId, OrderId, ProductId};
use crate::notification::{cancellation_text, NotificationKind};
use crate::order::{Order, OrderStatus};
use crate::quantity::MAX_STOCK;

/// Why an order cannot be cancelled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CancelError {
    /// See [`ErrorKind::OrderNotFound`].
    #[error("order {0} does not exist")]
    OrderNotFound(OrderId),
    /// See [`ErrorKind::OrderNotCancellable`].
    #[error("order {order_id} is {} and cannot be cancelled", status.as_str())]
    OrderNotCancellable {
        /// The order.
        order_id: OrderId,
        /// Its current status.
        status: OrderStatus,
    },
    /// The order's customer no longer exists (only possible with foreign data).
    #[error("customer {0} of the order does not exist")]
    UnknownCustomer(CustomerId),
    /// A product of the order no longer exists (only possible with foreign data).
    #[error("product {0} of the order does not exist")]
    UnknownProduct(ProductId),
    /// See [`ErrorKind::StockOutOfRange`].
    #[error("restocking product {0} would exceed the largest stock level")]
    StockOutOfRange(ProductId),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for CancelError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrderNotFound(_) => ErrorKind::OrderNotFound,
            Self::OrderNotCancellable { .. } => ErrorKind::OrderNotCancellable,
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::StockOutOfRange(_) => ErrorKind::StockOutOfRange,
            Self::Storage(error) => error.kind(),
        }
    }
}

/// The rows a cancel reads, as the adapter locked them.
#[derive(Clone, Copy, Debug)]
pub struct CancelSnapshot<'a> {
    /// The order to cancel, with its items.
    pub order: &'a Order,
    /// Its customer.
    pub customer: Option<&'a Customer>,
    /// At least the order's products.
    pub catalog: &'a Catalog,
}

/// A cancel, decided.
///
/// Effects, in order: [`Effect::OrderCancelled`]; one [`Effect::StockMoved`] per
/// product (reason `cancel`); [`Effect::PointsMoved`] for redeemed points
/// returned, then for earned points revoked (each if any);
/// the cancellation notice ([`Effect::NoticeLogged`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelPlan {
    /// The order to mark `cancelled`.
    pub order_id: OrderId,
    /// Redeemed points given back to the customer.
    pub points_returned: u64,
    /// Points taken back: every point the order earned, even if that leaves
    /// the customer owing points.
    pub points_revoked: u64,
    /// The customer's points once the cancel is applied; below zero, points owed.
    pub points_after: i64,
    plan: Plan,
}

impl CancelPlan {
    /// The effects to apply.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// Decides a cancel, or says why it cannot happen.
///
/// ```
/// use shopcore::{plan_cancel, seed, CancelSnapshot, ErrorCode, OrderStatus};
/// # use shopcore::{CustomerId, Order, OrderId, OrderItem, ProductId, Quantity, Money, Region};
/// let data = seed::demo_data();
/// let catalog = data.catalog();
/// let mut order = Order {
///     id: OrderId::new(1).unwrap(),
///     customer_id: CustomerId::new(3).unwrap(),
///     status: OrderStatus::Created,
///     region: Region::parse("Cairo").unwrap(),
///     items: vec![OrderItem {
///         product_id: ProductId::new(4).unwrap(),
///         quantity: Quantity::new(2).unwrap(),
///         unit_price: "299.99".parse().unwrap(),
///         discount: Money::ZERO,
///         line_total: "599.98".parse().unwrap(),
///         coupon_share: Money::ZERO,
///         points_share: Money::ZERO,
///     }],
///     subtotal: "599.98".parse().unwrap(),
///     coupon: None,
///     coupon_discount: Money::ZERO,
///     points_redeemed: 0,
///     points_value: Money::ZERO,
///     tax: "84.00".parse().unwrap(),
///     total_amount: "683.98".parse().unwrap(),
///     points_earned: 59,
///     created_at: chrono::DateTime::UNIX_EPOCH,
/// };
/// let snapshot = CancelSnapshot { order: &order, customer: Some(&data.customers[2]), catalog: &catalog };
/// let plan = plan_cancel(&snapshot, chrono::Utc::now()).unwrap();
/// let restock: Vec<_> = plan.plan().stock_moves().map(|m| (m.product.get(), m.change, m.after)).collect();
/// assert_eq!(restock, vec![(4, 2, 77)]);
/// // Omar has 50 points: all 59 the order earned are revoked, and he owes 9.
/// assert_eq!((plan.points_revoked, plan.points_after), (59, -9));
/// let revoked = plan.plan().points_moves().next().unwrap();
/// assert_eq!((revoked.change, revoked.after), (-59, -9));
///
/// order.status = OrderStatus::Cancelled;
/// let snapshot = CancelSnapshot { order: &order, customer: Some(&data.customers[2]), catalog: &catalog };
/// assert_eq!(plan_cancel(&snapshot, chrono::Utc::now()).unwrap_err().code(), "order_not_cancellable");
/// ```
pub fn plan_cancel(
    snapshot: &CancelSnapshot<'_>,
    now: DateTime<Utc>,
) -> Result<CancelPlan, CancelError> {
    let order = snapshot.order;
    if order.status != OrderStatus::Created {
        return Err(CancelError::OrderNotCancellable {
            order_id: order.id,
            status: order.status,
        });
    }
    let customer = snapshot
        .customer
        .filter(|c| c.id == order.customer_id)
        .ok_or(CancelError::UnknownCustomer(order.customer_id))?;
    let mut plan = Plan::new(now);
    // Redeemed points come back first (never past the cap), then the earned
    // ones are revoked in full, even below zero.
    let points_returned = order
        .points_redeemed
        .min(points_room(customer.loyalty_points));
    let points_revoked = order.points_earned;
    let balance = customer.loyalty_points + points_change(points_returned);
    // Balances stay within ±2 × MAX_POINTS, far inside an i64.
    let points_after = balance.saturating_sub(points_change(points_revoked));
    plan.push(Effect::OrderCancelled {
        order: order.id,
        points_revoked,
    });
    let reason = Reason::Cancel(OrderRef::Existing(order.id));
    let mut units_restocked: u64 = 0;
    for (product_id, units) in units_by_product(&order.items) {
        let product = snapshot
            .catalog
            .get(product_id)
            .ok_or(CancelError::UnknownProduct(product_id))?;
        let after = product
            .quantity_available
            .checked_add(units)
            .filter(|stock| *stock <= MAX_STOCK)
            .ok_or(CancelError::StockOutOfRange(product_id))?;
        units_restocked += u64::from(units);
        plan.push(Effect::StockMoved(StockMoved {
            product: product_id,
            change: i64::from(units),
            after,
            reason,
        }));
    }
    if points_returned > 0 {
        plan.push(Effect::PointsMoved(PointsMoved {
            customer: customer.id,
            change: points_change(points_returned),
            after: balance,
            reason,
        }));
    }
    if points_revoked > 0 {
        plan.push(Effect::PointsMoved(PointsMoved {
            customer: customer.id,
            change: -points_change(points_revoked),
            after: points_after,
            reason,
        }));
    }
    plan.push(Effect::NoticeLogged(NoticeLogged {
        order: OrderRef::Existing(order.id),
        customer: customer.id,
        kind: NotificationKind::OrderCancellation,
        text: NoticeText::Ready(cancellation_text(
            order.id,
            &customer.name,
            order.total_amount,
            units_restocked,
            points_returned,
            points_revoked,
            points_after,
        )),
    }));
    Ok(CancelPlan {
        order_id: order.id,
        points_returned,
        points_revoked,
        points_after,
        plan,
    })
}
