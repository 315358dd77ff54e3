//! Orders, as stored once a checkout plan is applied.

use crate::{ErrorCode, ErrorKind, StorageError};
use chrono::{DateTime, Utc};

use crate::orders::fulfillment::{Fulfillment, FulfillmentStatus};
use crate::orders::payment::{Payment, PaymentStatus};
use crate::orders::returns::{Refund, RefundKind, Release, ReleaseCause, Return, ReturnStatus};
use crate::pricing::coupon::CouponCode;
use crate::values::ids::{CustomerId, OrderId, PaymentId, ProductId, RefundId, ReturnId};
use crate::values::money::{Money, RoundingMode};
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
    /// The line's part of the order's tax: its own rounded tax in per-line
    /// tax mode, else the order's tax split over the lines by largest
    /// remainder weighted by net price (so `Σ tax = order.tax` either way).
    #[serde(default = "zero")]
    pub tax: Money,
    /// The line's part of the order's redeemed points, in whole points
    /// (largest remainder, weighted by `points_share`).
    #[serde(default)]
    pub points_redeemed: u64,
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
    /// How its amounts were rounded at checkout; the share of units released
    /// later is rounded the same way.
    #[serde(default)]
    pub rounding: RoundingMode,
    /// Units taken off it (cancelled, or returned and received), step by step.
    #[serde(default)]
    pub releases: Vec<Release>,
    /// Its returns, by id.
    #[serde(default)]
    pub returns: Vec<Return>,
    /// Its refunds, by id.
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

impl Order {
    /// The region of orders imported from the original schema, which kept no
    /// coupon, points or tax per line.
    pub const LEGACY_REGION: &'static str = "legacy";

    /// Whether it comes from the original schema (region `legacy`): its
    /// units cannot be released one by one, only goodwill refunds apply.
    pub fn is_legacy(&self) -> bool {
        self.region
            .as_str()
            .eq_ignore_ascii_case(Self::LEGACY_REGION)
    }

    /// Money captured by its payments (before refunds).
    pub fn amount_paid(&self) -> Money {
        sum(self.payments.iter().map(|p| p.amount_captured))
    }

    /// Money authorized and not yet captured.
    pub fn amount_authorized(&self) -> Money {
        sum(self.payments.iter().map(Payment::amount_authorized))
    }

    /// Money paid back by its refunds.
    pub fn amount_refunded(&self) -> Money {
        sum(self.refunds.iter().map(|r| r.amount))
    }

    /// Captured money that is not refunded: what the shop holds.
    pub fn amount_held(&self) -> Money {
        self.amount_paid()
            .checked_sub(self.amount_refunded())
            .unwrap_or(Money::ZERO)
    }

    /// Captured money that pays for the units: what was captured less what
    /// was refunded for released units (a goodwill refund does not count, so
    /// it owes nothing back).
    pub fn amount_paid_for_units(&self) -> Money {
        let unit_refunds = sum(self
            .refunds
            .iter()
            .filter(|r| r.kind != RefundKind::Goodwill)
            .map(|r| r.amount));
        self.amount_paid()
            .checked_sub(unit_refunds)
            .unwrap_or(Money::ZERO)
    }

    /// What the units the customer keeps cost: `total_amount` less the money
    /// and tax of every released unit.
    pub fn amount_due(&self) -> Money {
        let released = sum(self.releases.iter().map(Release::value));
        self.total_amount
            .checked_sub(released)
            .unwrap_or(Money::ZERO)
    }

    /// What is still to pay for the kept units: `amount_due −
    /// amount_paid_for_units` while the order is `created` (never below
    /// 0.00); 0.00 once it is cancelled.
    pub fn balance_due(&self) -> Money {
        match self.status {
            OrderStatus::Created => self
                .amount_due()
                .checked_sub(self.amount_paid_for_units())
                .unwrap_or(Money::ZERO),
            OrderStatus::Cancelled => Money::ZERO,
        }
    }

    /// What its payments add up to, against `amount_due`; once money is
    /// refunded, `partially_refunded` or `refunded`.
    pub fn payment_status(&self) -> PaymentStatus {
        let refunded = self.amount_refunded();
        if refunded > Money::ZERO {
            return if refunded >= self.amount_paid() {
                PaymentStatus::Refunded
            } else {
                PaymentStatus::PartiallyRefunded
            };
        }
        let due = self.amount_due();
        if due == Money::ZERO && self.total_amount > Money::ZERO {
            // Every unit was released: only a free order is paid by owing nothing.
            return PaymentStatus::derive(
                self.total_amount,
                self.amount_paid(),
                self.amount_authorized(),
            );
        }
        PaymentStatus::derive(due, self.amount_paid(), self.amount_authorized())
    }

    /// One of its payments.
    pub fn payment(&self, id: PaymentId) -> Option<&Payment> {
        self.payments.iter().find(|p| p.id == id)
    }

    /// One of its returns.
    pub fn return_record(&self, id: ReturnId) -> Option<&Return> {
        self.returns.iter().find(|r| r.id == id)
    }

    /// One of its refunds.
    pub fn refund(&self, id: RefundId) -> Option<&Refund> {
        self.refunds.iter().find(|r| r.id == id)
    }

    /// The line of `product`.
    pub fn item(&self, product: ProductId) -> Option<&OrderItem> {
        self.items.iter().find(|item| item.product_id == product)
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

    /// What the releases of `product` took so far: units, net money, tax, points.
    pub fn released(&self, product: ProductId) -> Released {
        self.released_by(product, |_| true)
    }

    fn released_by(&self, product: ProductId, cause: impl Fn(&ReleaseCause) -> bool) -> Released {
        let mut total = Released::default();
        for line in self
            .releases
            .iter()
            .filter(|r| cause(&r.cause))
            .flat_map(|r| &r.lines)
            .filter(|line| line.product_id == product)
        {
            total.units = total.units.saturating_add(line.quantity.get());
            total.amount = total.amount.checked_add(line.amount).unwrap_or(Money::MAX);
            total.tax = total.tax.checked_add(line.tax).unwrap_or(Money::MAX);
            total.points = total.points.saturating_add(line.points);
        }
        total
    }

    /// Units of `product` cancelled before they shipped.
    pub fn cancelled_quantity(&self, product: ProductId) -> u32 {
        self.released_by(product, |c| *c == ReleaseCause::Cancellation)
            .units
    }

    /// Units of `product` returned (received returns).
    pub fn returned_quantity(&self, product: ProductId) -> u32 {
        self.released_by(product, |c| matches!(c, ReleaseCause::Return(_)))
            .units
    }

    /// Units of `product` in returns still `requested`.
    pub fn requested_return_quantity(&self, product: ProductId) -> u32 {
        self.returns
            .iter()
            .filter(|r| r.status == ReturnStatus::Requested)
            .flat_map(|r| &r.lines)
            .filter(|line| line.product_id == product)
            .fold(0u32, |units, line| {
                units.saturating_add(line.quantity.get())
            })
    }

    /// Units of `product` neither shipped nor cancelled.
    pub fn unfulfilled_quantity(&self, product: ProductId) -> u32 {
        self.ordered_quantity(product)
            .saturating_sub(self.cancelled_quantity(product))
            .saturating_sub(self.fulfilled_quantity(product))
    }

    /// Shipped units of `product` that may still be returned: shipped, less
    /// returned and less what open requests hold.
    pub fn returnable_quantity(&self, product: ProductId) -> u32 {
        self.fulfilled_quantity(product)
            .saturating_sub(self.returned_quantity(product))
            .saturating_sub(self.requested_return_quantity(product))
    }

    /// Money and tax paid back for `product`'s units.
    pub fn refunded_amount(&self, product: ProductId) -> Money {
        sum(self
            .refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|line| line.product_id == product)
            .map(|line| line.amount))
    }

    /// Earned points the order still holds: what it earned less what its
    /// releases revoked.
    pub fn points_kept(&self) -> u64 {
        let revoked = self
            .releases
            .iter()
            .fold(0u64, |total, r| total.saturating_add(r.points_revoked));
        self.points_earned.saturating_sub(revoked)
    }

    /// What its shipments add up to, against the units not cancelled.
    pub fn fulfillment_status(&self) -> FulfillmentStatus {
        let shipped: u64 = self
            .fulfillments
            .iter()
            .flat_map(|f| &f.lines)
            .map(|line| u64::from(line.quantity.get()))
            .sum();
        let kept: u64 = self
            .items
            .iter()
            .map(|item| {
                u64::from(
                    item.quantity
                        .get()
                        .saturating_sub(self.cancelled_quantity(item.product_id)),
                )
            })
            .sum();
        if shipped == 0 {
            FulfillmentStatus::Unfulfilled
        } else if shipped < kept {
            FulfillmentStatus::PartiallyFulfilled
        } else {
            FulfillmentStatus::Fulfilled
        }
    }
}

/// What the releases of one line took: see [`Order::released`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Released {
    /// Units released.
    pub units: u32,
    /// Their net money.
    pub amount: Money,
    /// Their tax.
    pub tax: Money,
    /// Their redeemed points.
    pub points: u64,
}

/// Σ `amounts`, saturating at [`Money::MAX`].
pub(crate) fn sum(amounts: impl Iterator<Item = Money>) -> Money {
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
    /// How its amounts were rounded.
    pub rounding: RoundingMode,
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
            rounding: self.rounding,
            releases: Vec::new(),
            returns: Vec::new(),
            refunds: Vec::new(),
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

    /// A stored digest: exactly 64 lower-case hex digits, else `None`.
    ///
    /// ```
    /// use shopcore::RequestFingerprint;
    /// assert!(RequestFingerprint::parse(&"0a".repeat(32)).is_some());
    /// assert!(RequestFingerprint::parse("0a").is_none());
    /// assert!(RequestFingerprint::parse(&"0A".repeat(32)).is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        (text.len() == 64 && text.chars().all(hex)).then(|| RequestFingerprint(text.to_owned()))
    }

    /// The fingerprint of a finished SHA-256 hasher.
    pub(crate) fn of(hasher: sha2::Sha256) -> Self {
        use sha2::Digest as _;
        use std::fmt::Write as _;
        let digest = hasher.finalize();
        RequestFingerprint(digest.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        }))
    }
}
