//! Orders, as stored once a checkout plan is applied.

use crate::{ErrorCode, ErrorKind, StorageError};
use chrono::{DateTime, Utc};

use crate::orders::fulfillment::{Fulfillment, FulfillmentStatus};
use crate::orders::payment::{Payment, PaymentStatus};
use crate::pricing::coupon::CouponCode;
use crate::values::ids::{CustomerId, OrderId, PaymentId, ProductId};
use crate::values::money::Money;
use crate::values::quantity::Quantity;
use crate::values::text::Region;

/// The lifecycle of an order: `created` → `cancelled`, nothing else. What is
/// paid and what has shipped are the order's [`PaymentStatus`] and
/// [`FulfillmentStatus`], beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed: stock taken, points earned, confirmation logged.
    Created,
    /// Cancelled: stock returned, points revoked, cancellation logged.
    Cancelled,
}

impl OrderStatus {
    /// The status as stored in `orders.status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored status.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "created" => Some(Self::Created),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// One line of an order (`order_items`), priced at checkout time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderItem {
    /// The product.
    pub product_id: ProductId,
    /// Units bought.
    pub quantity: Quantity,
    /// Price of one unit at checkout.
    pub unit_price: Money,
    /// The line's discount.
    pub discount: Money,
    /// `unit_price × quantity − discount`.
    pub line_total: Money,
    /// The line's part of the order's coupon discount.
    #[serde(default = "zero")]
    pub coupon_share: Money,
    /// The line's part of the order's redeemed points' value.
    #[serde(default = "zero")]
    pub points_share: Money,
}

fn zero() -> Money {
    Money::ZERO
}

impl OrderItem {
    /// What the line costs before tax: `line_total − coupon_share − points_share`
    /// (`None` if the shares exceed the line, which no plan writes).
    pub fn net_price(&self) -> Option<Money> {
        self.line_total
            .checked_sub(self.coupon_share)?
            .checked_sub(self.points_share)
    }
}

/// A placed order with its items.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Order {
    /// The order's id.
    pub id: OrderId,
    /// Who placed it.
    pub customer_id: CustomerId,
    /// Where it is in its lifecycle.
    pub status: OrderStatus,
    /// The tax region it was priced for.
    pub region: Region,
    /// The items, in cart order.
    pub items: Vec<OrderItem>,
    /// `Σ item.line_total`: after tier discounts, before the coupon.
    pub subtotal: Money,
    /// The coupon the order used, if any.
    pub coupon: Option<CouponCode>,
    /// What the coupon took off the subtotal; `Σ item.coupon_share`.
    pub coupon_discount: Money,
    /// Loyalty points redeemed.
    pub points_redeemed: u64,
    /// Their value; `Σ item.points_share`.
    pub points_value: Money,
    /// The tax charged.
    pub tax: Money,
    /// `subtotal − coupon_discount − points_value + tax`.
    pub total_amount: Money,
    /// Loyalty points the order earned.
    pub points_earned: u64,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// Its payments, by id.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// Its shipments, by id.
    #[serde(default)]
    pub fulfillments: Vec<Fulfillment>,
    /// What its cancellation owes the customer back: what was captured when
    /// it was cancelled (0.00 while it is not cancelled).
    #[serde(default = "zero")]
    pub refund_due: Money,
}

impl Order {
    /// Money captured by its payments.
    pub fn amount_paid(&self) -> Money {
        sum(self.payments.iter().map(|p| p.amount_captured))
    }

    /// Money authorized and not yet captured.
    pub fn amount_authorized(&self) -> Money {
        sum(self.payments.iter().map(Payment::amount_authorized))
    }

    /// What is still to pay: `total_amount − amount_paid` while the order is
    /// `created` (never below 0.00); 0.00 once it is cancelled.
    pub fn balance_due(&self) -> Money {
        match self.status {
            OrderStatus::Created => self
                .total_amount
                .checked_sub(self.amount_paid())
                .unwrap_or(Money::ZERO),
            OrderStatus::Cancelled => Money::ZERO,
        }
    }

    /// What its payments add up to, against `total_amount`.
    pub fn payment_status(&self) -> PaymentStatus {
        PaymentStatus::derive(
            self.total_amount,
            self.amount_paid(),
            self.amount_authorized(),
        )
    }

    /// One of its payments.
    pub fn payment(&self, id: PaymentId) -> Option<&Payment> {
        self.payments.iter().find(|p| p.id == id)
    }

    /// Units of `product` the order holds (summed over its lines).
    pub fn ordered_quantity(&self, product: ProductId) -> u32 {
        self.items
            .iter()
            .filter(|item| item.product_id == product)
            .fold(0u32, |units, item| {
                units.saturating_add(item.quantity.get())
            })
    }

    /// Units of `product` shipped by its fulfillments.
    pub fn fulfilled_quantity(&self, product: ProductId) -> u32 {
        self.fulfillments
            .iter()
            .flat_map(|f| &f.lines)
            .filter(|line| line.product_id == product)
            .fold(0u32, |units, line| {
                units.saturating_add(line.quantity.get())
            })
    }

    /// What its shipments add up to.
    pub fn fulfillment_status(&self) -> FulfillmentStatus {
        let shipped: u64 = self
            .fulfillments
            .iter()
            .flat_map(|f| &f.lines)
            .map(|line| u64::from(line.quantity.get()))
            .sum();
        let ordered: u64 = self
            .items
            .iter()
            .map(|item| u64::from(item.quantity.get()))
            .sum();
        if shipped == 0 {
            FulfillmentStatus::Unfulfilled
        } else if shipped < ordered {
            FulfillmentStatus::PartiallyFulfilled
        } else {
            FulfillmentStatus::Fulfilled
        }
    }
}

fn sum(amounts: impl Iterator<Item = Money>) -> Money {
    amounts.fold(Money::ZERO, |total, amount| {
        total.checked_add(amount).unwrap_or(Money::MAX)
    })
}

/// An order as a checkout plans it, before storage assigns its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    /// Who places it.
    pub customer_id: CustomerId,
    /// The tax region it was priced for, spelled as stored.
    pub region: Region,
    /// The items, in cart order.
    pub items: Vec<OrderItem>,
    /// `Σ item.line_total`: after tier discounts, before the coupon.
    pub subtotal: Money,
    /// The coupon the order used, if any.
    pub coupon: Option<CouponCode>,
    /// What the coupon took off the subtotal; `Σ item.coupon_share`.
    pub coupon_discount: Money,
    /// Loyalty points redeemed.
    pub points_redeemed: u64,
    /// Their value; `Σ item.points_share`.
    pub points_value: Money,
    /// The tax charged.
    pub tax: Money,
    /// `subtotal − coupon_discount − points_value + tax`.
    pub total_amount: Money,
    /// Loyalty points the order earns (what is actually credited).
    pub points_earned: u64,
    /// When it is placed.
    pub created_at: DateTime<Utc>,
}

impl NewOrder {
    /// The order as stored under `id`, in status `created`.
    pub fn with_id(&self, id: OrderId) -> Order {
        Order {
            id,
            customer_id: self.customer_id,
            status: OrderStatus::Created,
            region: self.region.clone(),
            items: self.items.clone(),
            subtotal: self.subtotal,
            coupon: self.coupon.clone(),
            coupon_discount: self.coupon_discount,
            points_redeemed: self.points_redeemed,
            points_value: self.points_value,
            tax: self.tax,
            total_amount: self.total_amount,
            points_earned: self.points_earned,
            created_at: self.created_at,
            payments: Vec::new(),
            fulfillments: Vec::new(),
            refund_due: Money::ZERO,
        }
    }
}

/// Which orders a search returns: all of them, or one customer's, or those
/// with one status, or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this customer's orders.
    pub customer_id: Option<crate::values::ids::CustomerId>,
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
}

impl OrderFilter {
    /// Whether `order` passes the filter.
    pub fn matches(&self, order: &Order) -> bool {
        self.customer_id.is_none_or(|id| id == order.customer_id)
            && self.status.is_none_or(|status| status == order.status)
    }
}

/// Failures of order and notification lookups and logging.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// See [`ErrorKind::OrderNotFound`].
    #[error("order {0} does not exist")]
    OrderNotFound(OrderId),
    /// See [`ErrorKind::UnknownCustomer`].
    #[error("customer {0} does not exist")]
    UnknownCustomer(CustomerId),
    /// See [`ErrorKind::OrderCancelled`].
    #[error("order {0} is cancelled: there is no confirmation to send")]
    OrderCancelled(OrderId),
    /// A notice of this kind is written only by the change it announces (see
    /// [`plan_notice`](crate::plan_notice)); [`ErrorKind::InvalidRequest`].
    #[error("{} notices are written by the change they announce, not logged by hand", .0.as_str())]
    NotLoggable(crate::orders::notification::NotificationKind),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for LookupError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrderNotFound(_) => ErrorKind::OrderNotFound,
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::OrderCancelled(_) => ErrorKind::OrderCancelled,
            Self::NotLoggable(_) => ErrorKind::InvalidRequest,
            Self::Storage(error) => error.kind(),
        }
    }
}

/// The SHA-256 of a checkout request's canonical form, as 64 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RequestFingerprint(pub(crate) String);

impl RequestFingerprint {
    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
