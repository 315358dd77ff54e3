//! Fulfillment planning: shipping an order's units, in one or more parts.
//!
//! A shipment names units per product (or, with no lines, everything not yet
//! shipped). Units were taken from stock when the order was placed, so a
//! shipment moves no stock; it is a record of the order, with a
//! `fulfillment_created` notice, and `order_fulfilled` once every unit has
//! shipped. Payment is not required first: cash on delivery is normal.

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::orders::customer::Customer;
use crate::orders::fulfillment::{FulfillmentLine, NewFulfillment};
use crate::orders::notification::{fulfillment_text, order_fulfilled_text, NotificationKind};
use crate::orders::order::{Order, OrderStatus};
use crate::plan::{Effect, NoticeLogged, NoticeText, OrderRef, Plan};
use crate::values::ids::{OrderId, ProductId};
use crate::values::quantity::Quantity;
use crate::values::text::{Carrier, TrackingNumber};

/// Why a shipment was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FulfillmentError {
    /// See [`ErrorKind::OrderNotFound`].
    #[error("order {0} does not exist")]
    OrderNotFound(OrderId),
    /// See [`ErrorKind::OrderCancelled`].
    #[error("order {0} is cancelled: nothing of it ships")]
    OrderCancelled(OrderId),
    /// See [`ErrorKind::ProductNotInOrder`].
    #[error("product {product_id} is not in order {order_id}")]
    ProductNotInOrder {
        /// The order.
        order_id: OrderId,
        /// The product asked for.
        product_id: ProductId,
    },
    /// See [`ErrorKind::FulfillmentExceedsOrder`].
    #[error("cannot ship {requested} of product {product_id}: {remaining} of it remain to ship")]
    ExceedsOrder {
        /// The product.
        product_id: ProductId,
        /// Units asked for.
        requested: u64,
        /// Units not yet shipped.
        remaining: u32,
    },
    /// See [`ErrorKind::FulfillmentExceedsOrder`]: a shipment of "everything
    /// left" when nothing is.
    #[error("every unit of order {0} has shipped: nothing remains to ship")]
    NothingToShip(OrderId),
    /// See [`ErrorKind::InvalidRequest`].
    #[error("lines must name at least one product (leave them out to ship everything left)")]
    NoLines,
    /// The order's customer no longer exists (only possible with foreign data).
    #[error("customer of order {0} does not exist")]
    UnknownCustomer(OrderId),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for FulfillmentError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrderNotFound(_) => ErrorKind::OrderNotFound,
            Self::OrderCancelled(_) => ErrorKind::OrderCancelled,
            Self::ProductNotInOrder { .. } => ErrorKind::ProductNotInOrder,
            Self::ExceedsOrder { .. } | Self::NothingToShip(_) => {
                ErrorKind::FulfillmentExceedsOrder
            }
            Self::NoLines => ErrorKind::InvalidRequest,
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::Storage(error) => error.kind(),
        }
    }
}

/// A shipment to record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FulfillmentRequest {
    /// Units per product; `None` ships everything not yet shipped. A product
    /// named twice ships the sum.
    pub lines: Option<Vec<FulfillmentLine>>,
    /// Who carries it.
    pub carrier: Option<Carrier>,
    /// The carrier's tracking number.
    pub tracking_number: Option<TrackingNumber>,
}

/// The rows a shipment reads: the order with its shipments (under a lock),
/// its customer, and at least its products (for their names in the notice).
#[derive(Clone, Copy, Debug)]
pub struct FulfillmentSnapshot<'a> {
    /// The order, with its fulfillments.
    pub order: &'a Order,
    /// Its customer.
    pub customer: Option<&'a Customer>,
    /// The order's products (a product missing here is named by its id).
    pub catalog: &'a Catalog,
}

/// A shipment, decided.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FulfillmentPlan {
    /// The order.
    pub order_id: OrderId,
    /// What ships.
    pub lines: Vec<FulfillmentLine>,
    plan: Plan,
}

impl FulfillmentPlan {
    /// The effects to apply.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// Decides a shipment of an order.
///
/// ```
/// use shopcore::{plan_fulfillment, seed, FulfillmentLine, FulfillmentRequest, FulfillmentSnapshot};
/// use shopcore::{ErrorCode, ProductId, Quantity};
/// let data = seed::demo_data();
/// let order = seed::worked_example_order(); // 1 Laptop and 10 Mice
/// let catalog = data.catalog();
/// let snapshot = FulfillmentSnapshot { order: &order, customer: Some(&data.customers[0]), catalog: &catalog };
/// let line = |id, units| FulfillmentLine { product_id: ProductId::new(id).unwrap(), quantity: Quantity::new(units).unwrap() };
/// let request = FulfillmentRequest { lines: Some(vec![line(2, 4)]), ..Default::default() };
/// let plan = plan_fulfillment(&snapshot, &request, chrono::Utc::now()).unwrap();
/// assert_eq!(plan.lines, [line(2, 4)]);
/// let too_many = FulfillmentRequest { lines: Some(vec![line(2, 11)]), ..Default::default() };
/// assert_eq!(plan_fulfillment(&snapshot, &too_many, chrono::Utc::now()).unwrap_err().code(), "fulfillment_exceeds_order");
/// ```
pub fn plan_fulfillment(
    snapshot: &FulfillmentSnapshot<'_>,
    request: &FulfillmentRequest,
    now: DateTime<Utc>,
) -> Result<FulfillmentPlan, FulfillmentError> {
    let order = snapshot.order;
    if order.status == OrderStatus::Cancelled {
        return Err(FulfillmentError::OrderCancelled(order.id));
    }
    // What remains of each product, in the order's line order.
    let mut remaining: Vec<(ProductId, u32)> = Vec::new();
    for item in &order.items {
        if !remaining.iter().any(|(id, _)| *id == item.product_id) {
            let left = order.unfulfilled_quantity(item.product_id);
            remaining.push((item.product_id, left));
        }
    }
    let lines = match &request.lines {
        None => {
            let all: Vec<_> = remaining
                .iter()
                .filter_map(|(id, left)| {
                    Quantity::new(i64::from(*left))
                        .ok()
                        .map(|quantity| FulfillmentLine {
                            product_id: *id,
                            quantity,
                        })
                })
                .collect();
            if all.is_empty() {
                return Err(FulfillmentError::NothingToShip(order.id));
            }
            all
        }
        Some(asked) if asked.is_empty() => return Err(FulfillmentError::NoLines),
        Some(asked) => {
            for line in asked {
                if !remaining.iter().any(|(id, _)| *id == line.product_id) {
                    return Err(FulfillmentError::ProductNotInOrder {
                        order_id: order.id,
                        product_id: line.product_id,
                    });
                }
            }
            let mut lines = Vec::new();
            for (product_id, left) in &remaining {
                let requested: u64 = asked
                    .iter()
                    .filter(|line| line.product_id == *product_id)
                    .map(|line| u64::from(line.quantity.get()))
                    .sum();
                if requested == 0 {
                    continue;
                }
                if requested > u64::from(*left) {
                    return Err(FulfillmentError::ExceedsOrder {
                        product_id: *product_id,
                        requested,
                        remaining: *left,
                    });
                }
                // At most `left`, a u32 quantity of the order.
                let units = u32::try_from(requested).unwrap_or(*left);
                let quantity = Quantity::new(i64::from(units))
                    .map_err(|e| StorageError::Failure(e.to_string()))?;
                lines.push(FulfillmentLine {
                    product_id: *product_id,
                    quantity,
                });
            }
            lines
        }
    };
    let customer = snapshot
        .customer
        .filter(|c| c.id == order.customer_id)
        .ok_or(FulfillmentError::UnknownCustomer(order.id))?;
    let left_before: u64 = remaining.iter().map(|(_, left)| u64::from(*left)).sum();
    let shipping: u64 = lines.iter().map(|l| u64::from(l.quantity.get())).sum();
    let units_remaining = left_before - shipping;
    let names: Vec<(u32, String)> = lines
        .iter()
        .map(|line| {
            let name = snapshot.catalog.get(line.product_id).map_or_else(
                || format!("product {}", line.product_id),
                |p| p.name.to_string(),
            );
            (line.quantity.get(), name)
        })
        .collect();
    let mut plan = Plan::new(now);
    plan.push(Effect::FulfillmentCreated(Box::new(NewFulfillment {
        order_id: order.id,
        lines: lines.clone(),
        carrier: request.carrier.clone(),
        tracking_number: request.tracking_number.clone(),
    })));
    let notice = |kind, text| {
        Effect::NoticeLogged(NoticeLogged {
            order: OrderRef::Existing(order.id),
            customer: customer.id,
            kind,
            text: NoticeText::Ready(text),
        })
    };
    plan.push(notice(
        NotificationKind::FulfillmentCreated,
        fulfillment_text(
            order.id,
            &customer.name,
            &names,
            request.carrier.as_ref().map(Carrier::as_str),
            request.tracking_number.as_ref().map(TrackingNumber::as_str),
            units_remaining,
        ),
    ));
    if units_remaining == 0 {
        plan.push(notice(
            NotificationKind::OrderFulfilled,
            order_fulfilled_text(order.id, &customer.name),
        ));
    }
    Ok(FulfillmentPlan {
        order_id: order.id,
        lines,
        plan,
    })
}
