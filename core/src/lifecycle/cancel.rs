//! Cancel planning: the reverse of a checkout, decided before anything changes.
//!
//! Only an order in status `created` with nothing shipped can be cancelled
//! (`order_fulfilled` once any unit has shipped). The plan returns every unit
//! to stock, gives back the points the order redeemed, revokes every point the
//! order earned, voids the order's open authorizations (each with its
//! `payment_voided` notice), records everything captured as the order's
//! `refund_due`, and carries the cancellation notice, which states it.
//!
//! Earned points may have been spent already (redeemed on a later order). The
//! cancel still revokes them in full: the balance then goes below zero, a debt
//! of points that later earnings repay first and that blocks redemption until
//! it is repaid. So no sequence of orders, redemptions and cancels leaves a
//! customer with points their kept orders did not earn (refusing such a
//! cancel instead would make an order uncancellable because of another one).
//!
//! Two planners decide the same cancel: [`plan_cancel`] from rows the adapter
//! locked ([`CancelSnapshot`]), and [`plan_unlocked_cancel`] from a plain
//! snapshot ([`UnlockedCancelSnapshot`]), exact under [`CancelConditions`],
//! which lets an adapter lock the hot rows only for its last statements.

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::lifecycle::release::{
    pick_lines, released_lines, settle, PickError, Step, StepError, StepKind,
};
use crate::orders::customer::Customer;
use crate::orders::notification::{
    cancellation_text, order_fulfilled_text, units_cancelled_text, NotificationKind,
};
use crate::orders::order::{Order, OrderStatus};
use crate::orders::returns::{LineQuantity, ReleaseCause, ReleasedLine};
use crate::plan::{Effect, NoticeLogged, NoticeText, OrderRef, Plan};
use crate::pricing::loyalty::LoyaltyPolicy;
use crate::values::ids::{CustomerId, OrderId, ProductId};
use crate::values::money::Money;
use crate::values::quantity::{Quantity, MAX_STOCK};

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
    /// See [`ErrorKind::OrderFulfilled`].
    #[error("order {0} has shipped units: it cannot be cancelled whole")]
    OrderFulfilled(OrderId),
    /// See [`ErrorKind::ProductNotInOrder`].
    #[error("product {product_id} is not in order {order_id}")]
    ProductNotInOrder {
        /// The order.
        order_id: OrderId,
        /// The product asked for.
        product_id: ProductId,
    },
    /// See [`ErrorKind::CancelExceedsUnfulfilled`].
    #[error("cannot cancel {requested} of product {product_id}: {remaining} of it are neither shipped nor cancelled")]
    ExceedsUnfulfilled {
        /// The product.
        product_id: ProductId,
        /// Units asked for.
        requested: u64,
        /// Units neither shipped nor cancelled.
        remaining: u32,
    },
    /// See [`ErrorKind::InvalidRequest`].
    #[error("lines must name at least one product (send no body to cancel the whole order)")]
    NoLines,
    /// See [`ErrorKind::LegacyOrder`].
    #[error("order {0} comes from the original schema: cancel it whole, or refund it by a goodwill refund")]
    LegacyOrder(OrderId),
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
            Self::OrderFulfilled(_) => ErrorKind::OrderFulfilled,
            Self::ProductNotInOrder { .. } => ErrorKind::ProductNotInOrder,
            Self::ExceedsUnfulfilled { .. } => ErrorKind::CancelExceedsUnfulfilled,
            Self::NoLines => ErrorKind::InvalidRequest,
            Self::LegacyOrder(_) => ErrorKind::LegacyOrder,
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
/// Effects, in order: for a whole cancel [`Effect::OrderCancelled`]; the
/// cancellation or `units_cancelled` notice ([`Effect::NoticeLogged`]); the
/// release of the units ([`Effect::UnitsReleased`]); one
/// [`Effect::StockMoved`] per product (reason `cancel`); [`Effect::PointsMoved`]
/// for redeemed points returned, then for earned points revoked (each if
/// any); the refund, if one is due ([`Effect::RefundRecorded`], per payment
/// refunded [`Effect::PaymentChanged`] and [`Effect::MoneyMoved`], and its
/// notice); then per authorization voided or partly released its change,
/// movement (and, voided, its notice).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelPlan {
    /// The order.
    pub order_id: OrderId,
    /// Whether the order becomes `cancelled` (every remaining unit was
    /// cancelled and nothing had shipped); else units remain.
    pub order_cancelled: bool,
    /// What each line gave up.
    pub cancelled_lines: Vec<ReleasedLine>,
    /// Redeemed points given back to the customer.
    pub points_returned: u64,
    /// Points taken back: for a whole cancel every point the order still
    /// holds, else what the kept units no longer earn — even if that leaves
    /// the customer owing points.
    pub points_revoked: u64,
    /// The customer's points once the cancel is applied; below zero, points owed.
    pub points_after: i64,
    /// What is refunded to the customer: what was paid for the cancelled
    /// units beyond what the kept units cost (for a whole cancel, everything
    /// paid for the units).
    pub refund_due: Money,
    /// What is still to pay for the kept units.
    pub balance_due: Money,
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
///         tax: "84.00".parse().unwrap(),
///         points_redeemed: 0,
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
///     payments: vec![],
///     fulfillments: vec![],
///     refund_due: Money::ZERO,
///     rounding: shopcore::RoundingMode::HalfUp,
///     releases: vec![],
///     returns: vec![],
///     refunds: vec![],
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
    if !order.fulfillments.is_empty() {
        return Err(CancelError::OrderFulfilled(order.id));
    }
    let customer = snapshot
        .customer
        .filter(|c| c.id == order.customer_id)
        .ok_or(CancelError::UnknownCustomer(order.customer_id))?;
    // Every unit not released yet (a partial cancel may have taken some).
    let units: Vec<(ProductId, Quantity)> = order
        .items
        .iter()
        .filter_map(|item| {
            let left = item
                .quantity
                .get()
                .saturating_sub(order.released(item.product_id).units);
            Quantity::new(i64::from(left))
                .ok()
                .map(|quantity| (item.product_id, quantity))
        })
        .collect();
    let step = Step {
        order,
        customer,
        catalog: snapshot.catalog,
        // A whole cancel revokes every earned point: the rule is not needed.
        loyalty: LoyaltyPolicy::default(),
    };
    let mut plan = Plan::new(now);
    let lines = released_lines(order, &units)?;
    // Decide first (into a scratch plan) what the cancel owes, so that the
    // order's own effect and its notice come first and carry it.
    let mut settled_plan = Plan::new(now);
    let settled = settle(
        &mut settled_plan,
        &step,
        lines.clone(),
        StepKind {
            cause: ReleaseCause::Cancellation,
            restock: true,
            whole: true,
            reason: None,
        },
        now,
    )
    .map_err(CancelError::from)?;
    plan.push(Effect::OrderCancelled {
        order: order.id,
        points_revoked: settled.points_revoked,
        refund_due: settled.refunded,
    });
    plan.push(Effect::NoticeLogged(NoticeLogged {
        order: OrderRef::Existing(order.id),
        customer: customer.id,
        kind: NotificationKind::OrderCancellation,
        text: NoticeText::Ready(cancellation_text(
            order.id,
            &customer.name,
            settled.refunded,
            settled.units_restocked,
            settled.points_returned,
            settled.points_revoked,
            settled.points_after,
        )),
    }));
    plan.extend(settled_plan);
    Ok(CancelPlan {
        order_id: order.id,
        order_cancelled: true,
        cancelled_lines: lines,
        points_returned: settled.points_returned,
        points_revoked: settled.points_revoked,
        points_after: settled.points_after,
        refund_due: settled.refunded,
        balance_due: Money::ZERO,
        plan,
    })
}

/// Decides cancelling some units of an order that have not shipped
/// (`lines`), or says why it cannot happen.
///
/// The units go back to stock; each line gives up its exact share of its
/// net money, tax and redeemed points ([`release_share`](crate::release_share));
/// the redeemed points come back and the earned ones become what the kept
/// units earn under `loyalty`; what was paid beyond what the kept units cost
/// is refunded (a refund record); authorizations above what is now due are
/// released; the customer is told (`units_cancelled`). The coupon's discount
/// stays on the lines as allocated, and kept units keep their price.
///
/// Cancelling every remaining unit of an order with nothing shipped is the
/// whole cancel ([`plan_cancel`]): the order becomes `cancelled`.
///
/// ```
/// use shopcore::{plan_partial_cancel, seed, CancelSnapshot, LineQuantity, LoyaltyPolicy,
///                ProductId, Quantity};
/// let data = seed::demo_data();
/// let order = seed::worked_example_order(); // a laptop and 10 mice, 1430.59, unpaid
/// let catalog = data.catalog();
/// let snapshot = CancelSnapshot { order: &order, customer: Some(&data.customers[0]), catalog: &catalog };
/// let three_mice = [LineQuantity { product_id: ProductId::new(2).unwrap(), quantity: Quantity::new(3).unwrap() }];
/// let plan = plan_partial_cancel(&snapshot, &three_mice, LoyaltyPolicy::default(), chrono::Utc::now()).unwrap();
/// // 3 of 10 mice: 254.91 × 3/10 = 76.473 → 76.47, tax 35.69 × 3/10 = 10.707 → 10.71.
/// let line = plan.cancelled_lines[0];
/// assert_eq!((line.amount.to_string(), line.tax.to_string()), ("76.47".to_owned(), "10.71".to_owned()));
/// assert_eq!(plan.balance_due.to_string(), "1343.41"); // 1430.59 − 87.18
/// assert!(!plan.order_cancelled);
/// ```
pub fn plan_partial_cancel(
    snapshot: &CancelSnapshot<'_>,
    lines: &[LineQuantity],
    loyalty: LoyaltyPolicy,
    now: DateTime<Utc>,
) -> Result<CancelPlan, CancelError> {
    let order = snapshot.order;
    if order.status != OrderStatus::Created {
        return Err(CancelError::OrderNotCancellable {
            order_id: order.id,
            status: order.status,
        });
    }
    if order.is_legacy() {
        return Err(CancelError::LegacyOrder(order.id));
    }
    let units =
        pick_lines(order, lines, |p| order.unfulfilled_quantity(p)).map_err(|e| match e {
            PickError::NoLines => CancelError::NoLines,
            PickError::NotInOrder(product_id) => CancelError::ProductNotInOrder {
                order_id: order.id,
                product_id,
            },
            PickError::Exceeds {
                product_id,
                requested,
                remaining,
            } => CancelError::ExceedsUnfulfilled {
                product_id,
                requested,
                remaining,
            },
        })?;
    let every_unit_left = order.items.iter().all(|item| {
        let left = item
            .quantity
            .get()
            .saturating_sub(order.released(item.product_id).units);
        let asked = units
            .iter()
            .find(|u| u.0 == item.product_id)
            .map_or(0, |u| u.1.get());
        asked == left
    });
    if order.fulfillments.is_empty() && every_unit_left {
        return plan_cancel(snapshot, now);
    }
    let customer = snapshot
        .customer
        .filter(|c| c.id == order.customer_id)
        .ok_or(CancelError::UnknownCustomer(order.customer_id))?;
    let step = Step {
        order,
        customer,
        catalog: snapshot.catalog,
        loyalty,
    };
    let released = released_lines(order, &units)?;
    let mut settled_plan = Plan::new(now);
    let settled = settle(
        &mut settled_plan,
        &step,
        released.clone(),
        StepKind {
            cause: ReleaseCause::Cancellation,
            restock: true,
            whole: false,
            reason: None,
        },
        now,
    )
    .map_err(CancelError::from)?;
    let names = line_names(snapshot.catalog, &released);
    // The notice first, as a whole cancel's: it is what the cancel answers.
    let mut plan = Plan::new(now);
    plan.push(Effect::NoticeLogged(NoticeLogged {
        order: OrderRef::Existing(order.id),
        customer: customer.id,
        kind: NotificationKind::UnitsCancelled,
        text: NoticeText::Ready(units_cancelled_text(
            order.id,
            &customer.name,
            &names,
            settled.due_after,
            settled.balance_due_after,
        )),
    }));
    // Cancelling the last unshipped units completes the shipping.
    let all_shipped = order.items.iter().all(|item| {
        let cancelling = units
            .iter()
            .find(|u| u.0 == item.product_id)
            .map_or(0, |u| u.1.get());
        order.unfulfilled_quantity(item.product_id) == cancelling
    });
    if !order.fulfillments.is_empty() && all_shipped {
        plan.push(Effect::NoticeLogged(NoticeLogged {
            order: OrderRef::Existing(order.id),
            customer: customer.id,
            kind: NotificationKind::OrderFulfilled,
            text: NoticeText::Ready(order_fulfilled_text(order.id, &customer.name)),
        }));
    }
    plan.extend(settled_plan);
    Ok(CancelPlan {
        order_id: order.id,
        order_cancelled: false,
        cancelled_lines: released,
        points_returned: settled.points_returned,
        points_revoked: settled.points_revoked,
        points_after: settled.points_after,
        refund_due: settled.refunded,
        balance_due: settled.balance_due_after,
        plan,
    })
}

/// `(units, product name)` per released line, for a notice.
pub(crate) fn line_names(catalog: &Catalog, lines: &[ReleasedLine]) -> Vec<(u32, String)> {
    lines
        .iter()
        .map(|line| {
            let name = catalog.get(line.product_id).map_or_else(
                || format!("product {}", line.product_id),
                |p| p.name.to_string(),
            );
            (line.quantity.get(), name)
        })
        .collect()
}

impl From<StepError> for CancelError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::UnknownProduct(product) => CancelError::UnknownProduct(product),
            StepError::StockOutOfRange(product) => CancelError::StockOutOfRange(product),
            StepError::Storage(error) => CancelError::Storage(error),
        }
    }
}

/// The rows a *late-locking* cancel reads: its order under lock (so its
/// status is exact), its products and customer from a plain snapshot that
/// other writers may have moved on from by the time the plan is applied.
///
/// Planning from it ([`plan_unlocked_cancel`]) lets an adapter lock the hot
/// rows (stock, points) only for the last statements of the transaction, as
/// a checkout does. Such a plan is exact under [`CancelConditions`]: the
/// rule for when a plain-snapshot cancel decides what a locked one would.
#[derive(Clone, Copy, Debug)]
pub struct UnlockedCancelSnapshot<'a> {
    /// The order to cancel, with its items, read under lock.
    pub order: &'a Order,
    /// Its customer, read without a lock.
    pub customer: Option<&'a Customer>,
    /// At least the order's products, read without a lock.
    pub catalog: &'a Catalog,
}

/// When a cancel planned from an [`UnlockedCancelSnapshot`] is exact: the
/// conditions the adapter checks as it applies the plan, in the statements
/// that move the rows.
///
/// The rule: a cancel decides three things from rows it did not lock — that
/// each product can take its units back without passing [`MAX_STOCK`], how
/// many redeemed points come back (capped by the customer's room under
/// [`MAX_POINTS`](crate::MAX_POINTS)), and the balance after (in the notice).
/// So the plan is exact when, as it is applied,
///
/// 1. each product's stock is at most `MAX_STOCK − units` (the level itself
///    may have moved: stock is returned relative to the stored value, and the
///    ledger records the level the statement left), and
/// 2. the customer's balance is still the one the snapshot read, whenever
///    points move.
///
/// A plan whose notice would report a debt without any points moving is not
/// made from unlocked rows at all ([`UnlockedCancelDecision::DecideLocked`]),
/// so every balance the plan reports is checked by a statement. When a
/// condition fails, the adapter rolls back and decides again from locked rows
/// ([`plan_cancel`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelConditions {
    /// Per product returned, in plan order: the most stock it may hold when
    /// its units come back.
    pub stock_at_most: Vec<(ProductId, u32)>,
    /// The balance the customer's points must still have when they move;
    /// `None` when no points move.
    pub points_before: Option<(CustomerId, i64)>,
}

/// A cancel planned from unlocked rows, exact under its conditions.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnlockedCancelPlan {
    /// The plan. Its stock movements' `after` are the snapshot's levels plus
    /// the units: the adapter returns stock relative to the stored value.
    pub cancel: CancelPlan,
    /// What must hold as it is applied.
    pub conditions: CancelConditions,
}

/// What a cancel decides from an [`UnlockedCancelSnapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnlockedCancelDecision {
    /// A plan, exact if its conditions hold when it is applied.
    Planned(UnlockedCancelPlan),
    /// A refusal that no unlocked row decided (the order's status, a missing
    /// customer or product): final.
    Refused(CancelError),
    /// The unlocked rows cannot decide it (a product's stock would pass
    /// [`MAX_STOCK`], or a debt would be reported with no points moving):
    /// decide from locked rows with [`plan_cancel`].
    DecideLocked,
}

/// Decides a cancel from rows read without locks (see [`CancelConditions`]
/// for when the plan is exact).
///
/// ```
/// use shopcore::{
///     plan_unlocked_cancel, seed, UnlockedCancelDecision, UnlockedCancelSnapshot, MAX_STOCK,
/// };
/// # use shopcore::{CustomerId, Order, OrderId, OrderItem, OrderStatus, ProductId, Quantity, Money, Region};
/// let data = seed::demo_data();
/// # let order = Order {
/// #     id: OrderId::new(1).unwrap(),
/// #     customer_id: CustomerId::new(3).unwrap(),
/// #     status: OrderStatus::Created,
/// #     region: Region::parse("Cairo").unwrap(),
/// #     items: vec![OrderItem {
/// #         product_id: ProductId::new(4).unwrap(),
/// #         quantity: Quantity::new(2).unwrap(),
/// #         unit_price: "299.99".parse().unwrap(),
/// #         discount: Money::ZERO,
/// #         line_total: "599.98".parse().unwrap(),
/// #         coupon_share: Money::ZERO,
/// #         points_share: Money::ZERO,
/// #         tax: "84.00".parse().unwrap(),
/// #         points_redeemed: 0,
/// #     }],
/// #     subtotal: "599.98".parse().unwrap(),
/// #     coupon: None,
/// #     coupon_discount: Money::ZERO,
/// #     points_redeemed: 0,
/// #     points_value: Money::ZERO,
/// #     tax: "84.00".parse().unwrap(),
/// #     total_amount: "683.98".parse().unwrap(),
/// #     points_earned: 59,
/// #     created_at: chrono::DateTime::UNIX_EPOCH,
/// #     payments: vec![],
/// #     fulfillments: vec![],
/// #     refund_due: Money::ZERO,
/// #     rounding: shopcore::RoundingMode::HalfUp,
/// #     releases: vec![],
/// #     returns: vec![],
/// #     refunds: vec![],
/// # };
/// // Omar's order of 2 units of product 4, which earned 59 points; he has 50.
/// let catalog = data.catalog();
/// let snapshot = UnlockedCancelSnapshot { order: &order, customer: Some(&data.customers[2]), catalog: &catalog };
/// let UnlockedCancelDecision::Planned(plan) = plan_unlocked_cancel(&snapshot, chrono::Utc::now()) else {
///     panic!("a plan");
/// };
/// // Exact if product 4 still has room for 2 units and Omar still has 50 points.
/// assert_eq!(plan.conditions.stock_at_most, vec![(ProductId::new(4).unwrap(), MAX_STOCK - 2)]);
/// assert_eq!(plan.conditions.points_before, Some((CustomerId::new(3).unwrap(), 50)));
/// assert_eq!(plan.cancel.points_after, -9);
/// ```
pub fn plan_unlocked_cancel(
    snapshot: &UnlockedCancelSnapshot<'_>,
    now: DateTime<Utc>,
) -> UnlockedCancelDecision {
    let locked = CancelSnapshot {
        order: snapshot.order,
        customer: snapshot.customer,
        catalog: snapshot.catalog,
    };
    let cancel = match plan_cancel(&locked, now) {
        Ok(cancel) => cancel,
        Err(CancelError::StockOutOfRange(_)) => return UnlockedCancelDecision::DecideLocked,
        Err(refused) => return UnlockedCancelDecision::Refused(refused),
    };
    let stock_at_most = cancel
        .plan()
        .stock_moves()
        .map(|moved| {
            let units = u32::try_from(moved.change).unwrap_or(MAX_STOCK);
            (moved.product, MAX_STOCK.saturating_sub(units))
        })
        .collect();
    let points_move = cancel.points_returned > 0 || cancel.points_revoked > 0;
    if !points_move && cancel.points_after < 0 {
        return UnlockedCancelDecision::DecideLocked;
    }
    let points_before = snapshot
        .customer
        .filter(|_| points_move)
        .map(|customer| (customer.id, customer.loyalty_points));
    UnlockedCancelDecision::Planned(UnlockedCancelPlan {
        cancel,
        conditions: CancelConditions {
            stock_at_most,
            points_before,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{seed, Money, Quantity, Region};

    /// Omar's (customer 3) order of `units` of product 4, earning `earned` and
    /// having redeemed `redeemed` points.
    fn order(units: u32, earned: u64, redeemed: u64) -> Order {
        Order {
            id: OrderId::new(7).unwrap(),
            customer_id: CustomerId::new(3).unwrap(),
            status: OrderStatus::Created,
            region: Region::parse("Cairo").unwrap(),
            items: vec![crate::OrderItem {
                product_id: ProductId::new(4).unwrap(),
                quantity: Quantity::new(units.into()).unwrap(),
                unit_price: "299.99".parse().unwrap(),
                discount: Money::ZERO,
                line_total: "599.98".parse().unwrap(),
                coupon_share: Money::ZERO,
                points_share: Money::ZERO,
                tax: "84.00".parse().unwrap(),
                points_redeemed: redeemed,
            }],
            subtotal: "599.98".parse().unwrap(),
            coupon: None,
            coupon_discount: Money::ZERO,
            points_redeemed: redeemed,
            points_value: Money::ZERO,
            tax: "84.00".parse().unwrap(),
            total_amount: "683.98".parse().unwrap(),
            points_earned: earned,
            created_at: DateTime::UNIX_EPOCH,
            payments: Vec::new(),
            fulfillments: Vec::new(),
            refund_due: Money::ZERO,
            rounding: crate::RoundingMode::HalfUp,
            releases: Vec::new(),
            returns: Vec::new(),
            refunds: Vec::new(),
        }
    }

    fn decide(order: &Order, stock: u32, points: i64) -> UnlockedCancelDecision {
        let data = seed::demo_data();
        let mut catalog = data.catalog();
        catalog
            .get_mut(ProductId::new(4).unwrap())
            .unwrap()
            .quantity_available = stock;
        let mut customer = data.customers[2].clone();
        customer.loyalty_points = points;
        let snapshot = UnlockedCancelSnapshot {
            order,
            customer: Some(&customer),
            catalog: &catalog,
        };
        plan_unlocked_cancel(&snapshot, DateTime::UNIX_EPOCH)
    }

    #[test]
    fn an_unlocked_plan_is_the_locked_plan_with_its_conditions() {
        let order = order(2, 59, 10);
        let UnlockedCancelDecision::Planned(unlocked) = decide(&order, 75, 50) else {
            panic!("planned");
        };
        let data = seed::demo_data();
        let mut customer = data.customers[2].clone();
        customer.loyalty_points = 50;
        let locked = plan_cancel(
            &CancelSnapshot {
                order: &order,
                customer: Some(&customer),
                catalog: &data.catalog(),
            },
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(unlocked.cancel, locked);
        assert_eq!(
            unlocked.conditions,
            CancelConditions {
                stock_at_most: vec![(ProductId::new(4).unwrap(), MAX_STOCK - 2)],
                points_before: Some((CustomerId::new(3).unwrap(), 50)),
            }
        );
    }

    #[test]
    fn stock_past_the_largest_level_in_the_snapshot_is_decided_from_locked_rows() {
        let order = order(2, 59, 0);
        assert_eq!(
            decide(&order, MAX_STOCK - 1, 50),
            UnlockedCancelDecision::DecideLocked
        );
        // Exactly at the limit is still planned, with no room to spare.
        let UnlockedCancelDecision::Planned(plan) = decide(&order, MAX_STOCK - 2, 50) else {
            panic!("planned");
        };
        assert_eq!(
            plan.conditions.stock_at_most,
            vec![(ProductId::new(4).unwrap(), MAX_STOCK - 2)]
        );
    }

    #[test]
    fn a_debt_reported_without_points_moving_is_decided_from_locked_rows() {
        // Nothing earned or redeemed, and the customer owes points: the notice
        // would report a balance no statement checks.
        assert_eq!(
            decide(&order(1, 0, 0), 75, -5),
            UnlockedCancelDecision::DecideLocked
        );
        // Without a debt nothing about the balance is reported: no condition.
        let UnlockedCancelDecision::Planned(plan) = decide(&order(1, 0, 0), 75, 5) else {
            panic!("planned");
        };
        assert_eq!(plan.conditions.points_before, None);
    }

    #[test]
    fn refusals_that_no_unlocked_row_decided_are_final() {
        let mut cancelled = order(1, 5, 0);
        cancelled.status = OrderStatus::Cancelled;
        assert!(matches!(
            decide(&cancelled, 75, 50),
            UnlockedCancelDecision::Refused(CancelError::OrderNotCancellable { .. })
        ));
        let mut foreign = order(1, 5, 0);
        foreign.customer_id = CustomerId::new(99).unwrap();
        assert!(matches!(
            decide(&foreign, 75, 50),
            UnlockedCancelDecision::Refused(CancelError::UnknownCustomer(_))
        ));
    }
}
