//! What comes back from an order: units released (cancelled before they
//! shipped, or returned after), returns, and refunds.
//!
//! Each unit of a line costs what the checkout allocated to it: the line's net
//! money (after its tier discount, coupon share and points share), its tax and
//! its redeemed points ([`OrderItem`](crate::OrderItem)). Every
//! [`Release`] takes a share of what is left of a line by [`release_share`],
//! the last unit taking exactly what is left, so the releases of a line always
//! sum to what it cost. A [`Refund`] pays back the part of a release the
//! customer had paid for (or, as a goodwill refund, an amount of the shop's
//! choosing).

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::orders::order::{sum, RequestFingerprint};
use crate::values::ids::{OrderId, PaymentId, ProductId, RefundId, ReturnId};
use crate::values::money::{Money, RoundingMode};
use crate::values::quantity::Quantity;
use crate::values::text::{IdempotencyKey, ReasonText};

/// What a line has left, and how much of it `units` of its `remaining_units`
/// take: `left × units / remaining_units` rounded with `rounding`, and exactly
/// `left` for the last units. `None` if `units` is 0 or more than remain.
///
/// ```
/// use shopcore::{release_share, Money, RoundingMode};
/// let m = |s: &str| s.parse::<Money>().unwrap();
/// // 3 units left worth 10.00: one takes 3.33, the next 3.34 (of 6.67), the last 3.33.
/// assert_eq!(release_share(m("10.00"), 3, 1, RoundingMode::HalfUp), Some(m("3.33")));
/// assert_eq!(release_share(m("6.67"), 2, 1, RoundingMode::HalfUp), Some(m("3.34")));
/// assert_eq!(release_share(m("3.33"), 1, 1, RoundingMode::HalfUp), Some(m("3.33")));
/// assert_eq!(release_share(m("3.33"), 1, 2, RoundingMode::HalfUp), None);
/// ```
pub fn release_share(
    left: Money,
    remaining_units: u32,
    units: u32,
    rounding: RoundingMode,
) -> Option<Money> {
    if units == 0 || units > remaining_units {
        return None;
    }
    if units == remaining_units {
        return Some(left);
    }
    let exact = left.amount() * Decimal::from(units) / Decimal::from(remaining_units);
    // Below `left` before rounding, so at most `left` after it.
    Money::round(exact, rounding).ok()
}

/// [`release_share`] in whole points.
///
/// ```
/// use shopcore::{release_points, RoundingMode};
/// assert_eq!(release_points(91, 10, 3, RoundingMode::HalfUp), Some(27)); // 27.3
/// assert_eq!(release_points(5, 2, 1, RoundingMode::HalfUp), Some(3));    // 2.5
/// assert_eq!(release_points(5, 2, 1, RoundingMode::HalfEven), Some(2));
/// assert_eq!(release_points(5, 2, 2, RoundingMode::HalfEven), Some(5));
/// ```
pub fn release_points(
    left: u64,
    remaining_units: u32,
    units: u32,
    rounding: RoundingMode,
) -> Option<u64> {
    if units == 0 || units > remaining_units {
        return None;
    }
    if units == remaining_units {
        return Some(left);
    }
    let exact = Decimal::from(left) * Decimal::from(units) / Decimal::from(remaining_units);
    let strategy = match rounding {
        RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
    };
    let whole = exact.round_dp_with_strategy(0, strategy);
    u64::try_from(whole.mantissa() / 10i128.pow(whole.scale())).ok()
}

/// Units of one line released by one step, with what they take off the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReleasedLine {
    /// The product.
    pub product_id: ProductId,
    /// Units released.
    pub quantity: Quantity,
    /// Their net money (before tax).
    pub amount: Money,
    /// Their tax.
    pub tax: Money,
    /// Their redeemed points, given back to the customer.
    pub points: u64,
}

impl ReleasedLine {
    /// Money and tax together: what the units cost the customer.
    pub fn value(&self) -> Option<Money> {
        self.amount.checked_add(self.tax)
    }
}

/// A return an effect is about: the one its own plan creates, or one already stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnRef {
    /// The return created by this plan's `ReturnCreated` effect.
    Created,
    /// A return that already exists.
    Existing(ReturnId),
}

impl ReturnRef {
    /// The concrete id, given the id storage assigned to this plan's return (if any).
    pub fn resolve(self, created: Option<ReturnId>) -> Result<ReturnId, crate::StorageError> {
        match self {
            ReturnRef::Existing(id) => Ok(id),
            ReturnRef::Created => created.ok_or_else(|| {
                crate::StorageError::Failure(
                    "plan refers to a return it has not created".to_owned(),
                )
            }),
        }
    }
}

/// Why units were released. `R` names the return: [`ReturnRef`] in a plan,
/// [`ReturnId`] once stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseCause<R = ReturnId> {
    /// Cancelled before they shipped (part of the order, or the whole of it).
    Cancellation,
    /// Shipped and returned (a received return).
    Return(R),
}

impl ReleaseCause<ReturnRef> {
    /// The cause as stored, given the id storage assigned to this plan's return.
    pub fn resolve(self, created: Option<ReturnId>) -> Result<ReleaseCause, crate::StorageError> {
        Ok(match self {
            ReleaseCause::Cancellation => ReleaseCause::Cancellation,
            ReleaseCause::Return(r) => ReleaseCause::Return(r.resolve(created)?),
        })
    }
}

/// One step that took units off an order: a cancellation or a received return.
/// `R` names the return, as in [`ReleaseCause`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Release<R = ReturnId> {
    /// Why.
    pub cause: ReleaseCause<R>,
    /// What each line gave up, in the order's line order.
    pub lines: Vec<ReleasedLine>,
    /// Whether the units went back to stock (always for a cancellation).
    pub restocked: bool,
    /// Earned points taken back so that the order keeps only what its kept
    /// units earn.
    pub points_revoked: u64,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl<R> Release<R> {
    /// Money and tax of every line together.
    pub fn value(&self) -> Money {
        sum(self.lines.iter().map(|l| l.value().unwrap_or(Money::MAX)))
    }

    /// Redeemed points given back.
    pub fn points_returned(&self) -> u64 {
        self.lines
            .iter()
            .fold(0u64, |total, l| total.saturating_add(l.points))
    }
}

/// Where a return stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Asked for by the customer; staff have not received or rejected it.
    Requested,
    /// The units came back: released, and refunded for what was paid.
    Received,
    /// Staff turned the request down; nothing changed.
    Rejected,
}

impl ReturnStatus {
    /// The status as stored and sent: `requested`, `received` or `rejected`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Received => "received",
            Self::Rejected => "rejected",
        }
    }

    /// Parses a stored or asked-for status.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Requested, Self::Received, Self::Rejected]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// Units of one product: a line of a return, or of a cancel or return request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineQuantity {
    /// The product.
    pub product_id: ProductId,
    /// Units.
    pub quantity: Quantity,
}

/// The idempotency key a return or refund request came with, and the digest
/// of that request: the same key again with the same request answers the
/// first record; with another request it is `idempotency_conflict`. Keys are
/// scoped per order (and returns and refunds have keys of their own).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyedRequest {
    /// The key.
    pub key: IdempotencyKey,
    /// The digest of the request it was first used with.
    pub fingerprint: RequestFingerprint,
}

/// A return of shipped units.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Return {
    /// The return's id.
    pub id: ReturnId,
    /// The order.
    pub order_id: OrderId,
    /// Where it stands.
    pub status: ReturnStatus,
    /// What comes back, one line per product, in the order's line order.
    pub lines: Vec<LineQuantity>,
    /// Whether the units go back to stock: as asked, then as received.
    pub restock: bool,
    /// Why, if said.
    pub reason: Option<ReasonText>,
    /// Whether the customer asked for it (else staff created it, received).
    pub requested_by_customer: bool,
    /// The idempotency key it was created with, if any.
    #[serde(default)]
    pub idempotency: Option<KeyedRequest>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
}

/// A return as a plan records it, before storage assigns its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReturn {
    /// The order.
    pub order_id: OrderId,
    /// `requested` (a customer's request) or `received` (staff).
    pub status: ReturnStatus,
    /// What comes back.
    pub lines: Vec<LineQuantity>,
    /// Whether the units go back to stock when received.
    pub restock: bool,
    /// Why.
    pub reason: Option<ReasonText>,
    /// Whether the customer asked for it.
    pub requested_by_customer: bool,
    /// The idempotency key it is created with, if any.
    pub idempotency: Option<KeyedRequest>,
}

impl NewReturn {
    /// The return as stored under `id`, created at `at`.
    pub fn with_id(&self, id: ReturnId, at: DateTime<Utc>) -> Return {
        Return {
            id,
            order_id: self.order_id,
            status: self.status,
            lines: self.lines.clone(),
            restock: self.restock,
            reason: self.reason.clone(),
            requested_by_customer: self.requested_by_customer,
            idempotency: self.idempotency.clone(),
            created_at: at,
            updated_at: at,
        }
    }
}

/// What a refund pays back for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundKind {
    /// Paid units cancelled.
    Cancellation,
    /// A received return.
    Return,
    /// The shop's gesture: no units, no tax.
    Goodwill,
}

impl RefundKind {
    /// The kind as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cancellation => "cancellation",
            Self::Return => "return",
            Self::Goodwill => "goodwill",
        }
    }

    /// Parses a stored kind.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Cancellation, Self::Return, Self::Goodwill]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// The part of a refund paid back for one line's units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefundLine {
    /// The product.
    pub product_id: ProductId,
    /// Units the refund is for.
    pub quantity: Quantity,
    /// Money and tax paid back for them.
    pub amount: Money,
    /// Its tax part.
    pub tax: Money,
}

/// The part of a refund paid back through one payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefundPart {
    /// The payment refunded.
    pub payment_id: PaymentId,
    /// How much of it.
    pub amount: Money,
}

/// Money paid back to the customer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refund {
    /// The refund's id.
    pub id: RefundId,
    /// The order.
    pub order_id: OrderId,
    /// What it pays back for.
    pub kind: RefundKind,
    /// The return it pays back, for a return's refund.
    pub return_id: Option<ReturnId>,
    /// Money and tax together.
    pub amount: Money,
    /// Its tax part (0.00 for a goodwill refund).
    pub tax: Money,
    /// Redeemed points given back with it.
    pub points_returned: u64,
    /// Per line (none for a goodwill refund).
    pub lines: Vec<RefundLine>,
    /// Through which payments, newest payment first.
    pub parts: Vec<RefundPart>,
    /// Why, if said.
    pub reason: Option<ReasonText>,
    /// The idempotency key a goodwill refund was made with, if any.
    #[serde(default)]
    pub idempotency: Option<KeyedRequest>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A refund as a plan records it, before storage assigns its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefund {
    /// The order.
    pub order_id: OrderId,
    /// What it pays back for.
    pub kind: RefundKind,
    /// The return it pays back (for [`RefundKind::Return`]).
    pub return_ref: Option<ReturnRef>,
    /// Money and tax together.
    pub amount: Money,
    /// Its tax part.
    pub tax: Money,
    /// Redeemed points given back with it.
    pub points_returned: u64,
    /// Per line.
    pub lines: Vec<RefundLine>,
    /// Through which payments.
    pub parts: Vec<RefundPart>,
    /// Why.
    pub reason: Option<ReasonText>,
    /// The idempotency key of a goodwill refund, if any.
    pub idempotency: Option<KeyedRequest>,
}

impl NewRefund {
    /// The refund as stored under `id`, at `at`, given the id storage
    /// assigned to this plan's return (if any).
    pub fn with_id(
        &self,
        id: RefundId,
        created_return: Option<ReturnId>,
        at: DateTime<Utc>,
    ) -> Result<Refund, crate::StorageError> {
        Ok(Refund {
            id,
            order_id: self.order_id,
            kind: self.kind,
            return_id: self
                .return_ref
                .map(|r| r.resolve(created_return))
                .transpose()?,
            amount: self.amount,
            tax: self.tax,
            points_returned: self.points_returned,
            lines: self.lines.clone(),
            parts: self.parts.clone(),
            reason: self.reason.clone(),
            idempotency: self.idempotency.clone(),
            created_at: at,
        })
    }
}
