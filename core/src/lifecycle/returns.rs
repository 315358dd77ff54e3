//! Returns of shipped units and goodwill refunds.
//!
//! Staff create a return of units that shipped: it is `received` at once,
//! its units are released (each line giving up its exact share, see
//! [`release_share`](crate::release_share)), put back in stock if
//! `restock`, and what was paid for them is refunded. A customer may ask for
//! a return of its own shipped units within the return window: the return is
//! `requested` and nothing else changes until staff receive it (then as
//! above) or reject it. A goodwill refund pays back an amount of the shop's
//! choosing, at most what is captured and not yet refunded; it owes nothing
//! back and releases no units.

use chrono::{DateTime, Duration, Utc};

use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::lifecycle::cancel::{line_names, CancelSnapshot};
use crate::lifecycle::payment::Ledger;
use crate::lifecycle::release::{
    pick_lines, record_refund, released_lines, settle, PickError, Settled, Step, StepError,
    StepKind,
};
use crate::orders::customer::Customer;
use crate::orders::notification::{return_received_text, NotificationKind};
use crate::orders::order::RequestFingerprint;
use crate::orders::order::{Order, OrderStatus};
use crate::orders::returns::{
    KeyedRequest, LineQuantity, NewRefund, NewReturn, RefundKind, ReleaseCause, ReleasedLine,
    Return, ReturnRef, ReturnStatus,
};
use crate::plan::{Effect, NoticeLogged, NoticeText, OrderRef, PaymentRef, Plan};
use crate::pricing::loyalty::LoyaltyPolicy;
use crate::values::ids::{OrderId, ProductId, RefundId, ReturnId};
use crate::values::money::Money;
use crate::values::quantity::Quantity;
use crate::values::text::{IdempotencyKey, ReasonText};
use sha2::{Digest, Sha256};

/// The rows a return, a receipt or a refund reads: the order with its
/// records (under a lock), its customer and at least its products.
pub type ReturnSnapshot<'a> = CancelSnapshot<'a>;

/// Why a return or a refund was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReturnError {
    /// See [`ErrorKind::OrderNotFound`].
    #[error("order {0} does not exist")]
    OrderNotFound(OrderId),
    /// See [`ErrorKind::UnknownReturn`].
    #[error("return {0} does not exist")]
    UnknownReturn(ReturnId),
    /// See [`ErrorKind::ReturnNotRequested`].
    #[error("return {return_id} is {}: only a requested return can be received or rejected", status.as_str())]
    NotRequested {
        /// The return.
        return_id: ReturnId,
        /// Its status.
        status: ReturnStatus,
    },
    /// See [`ErrorKind::ProductNotInOrder`].
    #[error("product {product_id} is not in order {order_id}")]
    ProductNotInOrder {
        /// The order.
        order_id: OrderId,
        /// The product asked for.
        product_id: ProductId,
    },
    /// See [`ErrorKind::ReturnExceedsFulfilled`].
    #[error("cannot return {requested} of product {product_id}: {remaining} of it shipped and are not returned or asked back")]
    ExceedsFulfilled {
        /// The product.
        product_id: ProductId,
        /// Units asked for.
        requested: u64,
        /// Units that may still be returned.
        remaining: u32,
    },
    /// See [`ErrorKind::ReturnWindowClosed`].
    #[error("the return window of product {product_id} closed on {closed_at}")]
    WindowClosed {
        /// The product.
        product_id: ProductId,
        /// When the window closed.
        closed_at: DateTime<Utc>,
    },
    /// See [`ErrorKind::InvalidAmount`].
    #[error("a refund must be above 0.00")]
    InvalidAmount,
    /// See [`ErrorKind::RefundExceedsPaid`].
    #[error("cannot refund {requested}: {refundable} is captured and not yet refunded")]
    ExceedsPaid {
        /// The amount asked for.
        requested: Money,
        /// What may still be refunded.
        refundable: Money,
    },
    /// See [`ErrorKind::InvalidRequest`].
    #[error("lines must name at least one product")]
    NoLines,
    /// See [`ErrorKind::LegacyOrder`].
    #[error("order {0} comes from the original schema: refund it by a goodwill refund")]
    LegacyOrder(OrderId),
    /// See [`ErrorKind::IdempotencyConflict`].
    #[error("idempotency key {0} was used on this order with another request")]
    IdempotencyConflict(IdempotencyKey),
    /// The order's customer no longer exists (only possible with foreign data).
    #[error("customer of order {0} does not exist")]
    UnknownCustomer(OrderId),
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

impl ErrorCode for ReturnError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrderNotFound(_) => ErrorKind::OrderNotFound,
            Self::UnknownReturn(_) => ErrorKind::UnknownReturn,
            Self::NotRequested { .. } => ErrorKind::ReturnNotRequested,
            Self::ProductNotInOrder { .. } => ErrorKind::ProductNotInOrder,
            Self::ExceedsFulfilled { .. } => ErrorKind::ReturnExceedsFulfilled,
            Self::WindowClosed { .. } => ErrorKind::ReturnWindowClosed,
            Self::InvalidAmount => ErrorKind::InvalidAmount,
            Self::ExceedsPaid { .. } => ErrorKind::RefundExceedsPaid,
            Self::NoLines => ErrorKind::InvalidRequest,
            Self::LegacyOrder(_) => ErrorKind::LegacyOrder,
            Self::IdempotencyConflict(_) => ErrorKind::IdempotencyConflict,
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::StockOutOfRange(_) => ErrorKind::StockOutOfRange,
            Self::Storage(error) => error.kind(),
        }
    }
}

impl From<StepError> for ReturnError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::UnknownProduct(product) => ReturnError::UnknownProduct(product),
            StepError::StockOutOfRange(product) => ReturnError::StockOutOfRange(product),
            StepError::Storage(error) => ReturnError::Storage(error),
        }
    }
}

/// Who asks for a return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnRequester {
    /// Support or admin staff: the return is received at once, whenever the
    /// units shipped.
    Staff,
    /// The order's customer: the return is `requested`, within `window` of
    /// the latest shipment holding each line.
    Customer {
        /// How long after a shipment its units may be asked back.
        window: Duration,
    },
}

/// A return as asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnRequest {
    /// What comes back (a product may appear more than once: its units add up).
    pub lines: Vec<LineQuantity>,
    /// Whether the units go back to stock when received: staff say so; a
    /// customer's request is stored with `true`, which staff may override
    /// on receipt.
    pub restock: bool,
    /// Why.
    pub reason: Option<ReasonText>,
    /// An idempotency key: the same key with the same request answers the
    /// first return; with another request it is `idempotency_conflict`.
    pub key: Option<IdempotencyKey>,
}

impl ReturnRequest {
    /// The digest of the request as `by` makes it (the key aside): its lines
    /// (merged per product, in product order), restock, reason and requester.
    pub fn fingerprint(&self, by: ReturnRequester) -> RequestFingerprint {
        let mut units: Vec<(i64, u64)> = Vec::new();
        for line in &self.lines {
            let id = line.product_id.get();
            match units.iter_mut().find(|u| u.0 == id) {
                Some(unit) => unit.1 += u64::from(line.quantity.get()),
                None => units.push((id, u64::from(line.quantity.get()))),
            }
        }
        units.sort_unstable();
        let mut hasher = Sha256::new();
        hasher.update(b"return/v1\n");
        hasher.update([
            u8::from(by == ReturnRequester::Staff),
            u8::from(self.restock),
        ]);
        for (product, quantity) in units {
            hasher.update(product.to_be_bytes());
            hasher.update(quantity.to_be_bytes());
        }
        if let Some(reason) = &self.reason {
            hasher.update(b"\nreason:");
            hasher.update(reason.as_str().as_bytes());
        }
        RequestFingerprint::of(hasher)
    }
}

/// A goodwill refund as asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    /// How much (above 0.00).
    pub amount: Money,
    /// Why.
    pub reason: Option<ReasonText>,
    /// An idempotency key, as for returns.
    pub key: Option<IdempotencyKey>,
}

impl RefundRequest {
    /// The digest of the request (the key aside): amount and reason.
    pub fn fingerprint(&self) -> RequestFingerprint {
        let mut hasher = Sha256::new();
        hasher.update(b"refund/v1\n");
        hasher.update(self.amount.cents().to_be_bytes());
        if let Some(reason) = &self.reason {
            hasher.update(b"\nreason:");
            hasher.update(reason.as_str().as_bytes());
        }
        RequestFingerprint::of(hasher)
    }
}

/// The records a replayed request answers: its first return and that
/// return's refund, or its first refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// The return first created, for a return request.
    pub return_id: Option<ReturnId>,
    /// The refund first made, if any.
    pub refund_id: Option<RefundId>,
}

/// Checks a request's key against the keyed records of its order: the
/// record it replays, if any; `idempotency_conflict` if the key was used
/// with another request.
fn replay_of<'a, T>(
    records: &'a [T],
    keyed: impl Fn(&T) -> Option<&KeyedRequest>,
    request: Option<&KeyedRequest>,
) -> Result<Option<&'a T>, ReturnError> {
    let Some(request) = request else {
        return Ok(None);
    };
    match records
        .iter()
        .find(|r| keyed(r).is_some_and(|k| k.key == request.key))
    {
        None => Ok(None),
        Some(first) if keyed(first).is_some_and(|k| k.fingerprint == request.fingerprint) => {
            Ok(Some(first))
        }
        Some(_) => Err(ReturnError::IdempotencyConflict(request.key.clone())),
    }
}

/// A return, a receipt, a rejection or a refund, decided.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReturnPlan {
    /// The order.
    pub order_id: OrderId,
    /// The return's status once applied (`None` for a goodwill refund).
    pub return_status: Option<ReturnStatus>,
    /// What each line gave up (empty unless units were received).
    pub released_lines: Vec<ReleasedLine>,
    /// What is refunded (0.00 if nothing).
    pub refunded: Money,
    /// Redeemed points given back.
    pub points_returned: u64,
    /// Earned points revoked.
    pub points_revoked: u64,
    /// What is still to pay for the kept units afterwards.
    pub balance_due: Money,
    /// For a request whose key was used before with the same request: the
    /// records it answers; the plan is then empty and nothing is written.
    pub replayed: Option<Replayed>,
    plan: Plan,
}

impl ReturnPlan {
    /// The effects to apply.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

fn customer_of<'a>(snapshot: &ReturnSnapshot<'a>) -> Result<&'a Customer, ReturnError> {
    snapshot
        .customer
        .filter(|c| c.id == snapshot.order.customer_id)
        .ok_or(ReturnError::UnknownCustomer(snapshot.order.id))
}

/// Decides a return of shipped units: `received` at once for staff (units
/// released, restocked if asked, paid units refunded), `requested` for the
/// customer (nothing else changes).
///
/// ```
/// use shopcore::{plan_return, seed, ErrorCode, LineQuantity, LoyaltyPolicy, ProductId, Quantity,
///                ReturnRequest, ReturnRequester, ReturnSnapshot};
/// let data = seed::demo_data();
/// let order = seed::worked_example_order(); // nothing shipped yet
/// let catalog = data.catalog();
/// let snapshot = ReturnSnapshot { order: &order, customer: Some(&data.customers[0]), catalog: &catalog };
/// let request = ReturnRequest {
///     lines: vec![LineQuantity { product_id: ProductId::new(2).unwrap(), quantity: Quantity::new(3).unwrap() }],
///     restock: true,
///     reason: None,
///     key: None,
/// };
/// let refused = plan_return(&snapshot, &request, ReturnRequester::Staff, LoyaltyPolicy::default(), chrono::Utc::now());
/// assert_eq!(refused.unwrap_err().code(), "return_exceeds_fulfilled");
/// ```
pub fn plan_return(
    snapshot: &ReturnSnapshot<'_>,
    request: &ReturnRequest,
    by: ReturnRequester,
    loyalty: LoyaltyPolicy,
    now: DateTime<Utc>,
) -> Result<ReturnPlan, ReturnError> {
    let order = snapshot.order;
    let keyed = request.key.clone().map(|key| KeyedRequest {
        key,
        fingerprint: request.fingerprint(by),
    });
    if let Some(first) = replay_of(&order.returns, |r| r.idempotency.as_ref(), keyed.as_ref())? {
        let refund_id = order
            .refunds
            .iter()
            .find(|r| r.return_id == Some(first.id))
            .map(|r| r.id);
        let replay = Replayed {
            return_id: Some(first.id),
            refund_id,
        };
        return Ok(replayed(order, replay, now));
    }
    if order.is_legacy() {
        return Err(ReturnError::LegacyOrder(order.id));
    }
    let units = pick_lines(order, &request.lines, |p| order.returnable_quantity(p)).map_err(
        |e| match e {
            PickError::NoLines => ReturnError::NoLines,
            PickError::NotInOrder(product_id) => ReturnError::ProductNotInOrder {
                order_id: order.id,
                product_id,
            },
            PickError::Exceeds {
                product_id,
                requested,
                remaining,
            } => ReturnError::ExceedsFulfilled {
                product_id,
                requested,
                remaining,
            },
        },
    )?;
    if let ReturnRequester::Customer { window } = by {
        for &(product_id, _) in &units {
            let shipped = order
                .fulfillments
                .iter()
                .filter(|f| f.lines.iter().any(|l| l.product_id == product_id))
                .map(|f| f.created_at)
                .max();
            if let Some(closed_at) = shipped.and_then(|at| at.checked_add_signed(window)) {
                if now >= closed_at {
                    return Err(ReturnError::WindowClosed {
                        product_id,
                        closed_at,
                    });
                }
            }
        }
    }
    let customer = customer_of(snapshot)?;
    let lines: Vec<LineQuantity> = units
        .iter()
        .map(|&(product_id, quantity)| LineQuantity {
            product_id,
            quantity,
        })
        .collect();
    let staff = by == ReturnRequester::Staff;
    let mut plan = Plan::new(now);
    plan.push(Effect::ReturnCreated(Box::new(NewReturn {
        order_id: order.id,
        status: if staff {
            ReturnStatus::Received
        } else {
            ReturnStatus::Requested
        },
        lines,
        // Whether returned goods go back on the shelf is the shop's call: a
        // customer's request is restocked unless staff decide otherwise on receipt.
        restock: if staff { request.restock } else { true },
        reason: request.reason.clone(),
        requested_by_customer: !staff,
        idempotency: keyed,
    })));
    if !staff {
        return Ok(ReturnPlan {
            order_id: order.id,
            return_status: Some(ReturnStatus::Requested),
            released_lines: Vec::new(),
            refunded: Money::ZERO,
            points_returned: 0,
            points_revoked: 0,
            balance_due: order.balance_due(),
            replayed: None,
            plan,
        });
    }
    let step = Step {
        order,
        customer,
        catalog: snapshot.catalog,
        loyalty,
    };
    receive_into(
        plan,
        &step,
        &units,
        ReturnRef::Created,
        None,
        request.restock,
        request.reason.clone(),
        now,
    )
}

/// Decides receiving a `requested` return: its units are released,
/// restocked if `restock` (default: as requested), and what was paid for
/// them is refunded.
pub fn plan_receive_return(
    snapshot: &ReturnSnapshot<'_>,
    return_id: ReturnId,
    restock: Option<bool>,
    loyalty: LoyaltyPolicy,
    now: DateTime<Utc>,
) -> Result<ReturnPlan, ReturnError> {
    let order = snapshot.order;
    let requested = requested_return(order, return_id)?;
    let customer = customer_of(snapshot)?;
    let units: Vec<(ProductId, Quantity)> = requested
        .lines
        .iter()
        .map(|l| (l.product_id, l.quantity))
        .collect();
    let mut plan = Plan::new(now);
    let restock = restock.unwrap_or(requested.restock);
    plan.push(Effect::ReturnChanged {
        order: order.id,
        return_id,
        status: ReturnStatus::Received,
        restock,
    });
    let step = Step {
        order,
        customer,
        catalog: snapshot.catalog,
        loyalty,
    };
    receive_into(
        plan,
        &step,
        &units,
        ReturnRef::Existing(return_id),
        Some(return_id),
        restock,
        requested.reason.clone(),
        now,
    )
}

/// Decides rejecting a `requested` return: it becomes `rejected`, nothing else changes.
pub fn plan_reject_return(
    snapshot: &ReturnSnapshot<'_>,
    return_id: ReturnId,
    now: DateTime<Utc>,
) -> Result<ReturnPlan, ReturnError> {
    let order = snapshot.order;
    let requested = requested_return(order, return_id)?;
    let mut plan = Plan::new(now);
    plan.push(Effect::ReturnChanged {
        order: order.id,
        return_id,
        status: ReturnStatus::Rejected,
        restock: requested.restock,
    });
    Ok(ReturnPlan {
        order_id: order.id,
        return_status: Some(ReturnStatus::Rejected),
        released_lines: Vec::new(),
        refunded: Money::ZERO,
        points_returned: 0,
        points_revoked: 0,
        balance_due: order.balance_due(),
        replayed: None,
        plan,
    })
}

/// Decides a goodwill refund of `amount`: at most what is captured and not
/// yet refunded; its tax part is 0.00 and it owes nothing back.
///
/// ```
/// use shopcore::{plan_refund, seed, ErrorCode, RefundRequest, ReturnSnapshot};
/// let data = seed::demo_data();
/// let order = seed::worked_example_order(); // nothing paid
/// let catalog = data.catalog();
/// let snapshot = ReturnSnapshot { order: &order, customer: Some(&data.customers[0]), catalog: &catalog };
/// let request = RefundRequest { amount: "5.00".parse().unwrap(), reason: None, key: None };
/// let refused = plan_refund(&snapshot, &request, chrono::Utc::now()).unwrap_err();
/// assert_eq!(refused.code(), "refund_exceeds_paid");
/// ```
pub fn plan_refund(
    snapshot: &ReturnSnapshot<'_>,
    request: &RefundRequest,
    now: DateTime<Utc>,
) -> Result<ReturnPlan, ReturnError> {
    let order = snapshot.order;
    let amount = request.amount;
    let keyed = request.key.clone().map(|key| KeyedRequest {
        key,
        fingerprint: request.fingerprint(),
    });
    if let Some(first) = replay_of(&order.refunds, |r| r.idempotency.as_ref(), keyed.as_ref())? {
        let replay = Replayed {
            return_id: None,
            refund_id: Some(first.id),
        };
        return Ok(replayed(order, replay, now));
    }
    if amount <= Money::ZERO {
        return Err(ReturnError::InvalidAmount);
    }
    let refundable = order.amount_held();
    if amount > refundable {
        return Err(ReturnError::ExceedsPaid {
            requested: amount,
            refundable,
        });
    }
    let customer = customer_of(snapshot)?;
    let step = Step {
        order,
        customer,
        catalog: snapshot.catalog,
        loyalty: LoyaltyPolicy::default(),
    };
    let mut plan = Plan::new(now);
    let mut ledger = Ledger::new(order, PaymentRef::Recorded);
    record_refund(
        &mut plan,
        &mut ledger,
        &step,
        NewRefund {
            order_id: order.id,
            kind: RefundKind::Goodwill,
            return_ref: None,
            amount,
            tax: Money::ZERO,
            points_returned: 0,
            lines: Vec::new(),
            parts: Vec::new(),
            reason: request.reason.clone(),
            idempotency: keyed,
        },
    )?;
    Ok(ReturnPlan {
        order_id: order.id,
        return_status: None,
        released_lines: Vec::new(),
        refunded: amount,
        points_returned: 0,
        points_revoked: 0,
        balance_due: order.balance_due(),
        replayed: None,
        plan,
    })
}

/// The answer to a replayed request: its first records, nothing written.
fn replayed(order: &Order, replay: Replayed, now: DateTime<Utc>) -> ReturnPlan {
    ReturnPlan {
        order_id: order.id,
        return_status: replay
            .return_id
            .and_then(|id| order.return_record(id))
            .map(|r| r.status),
        released_lines: Vec::new(),
        refunded: Money::ZERO,
        points_returned: 0,
        points_revoked: 0,
        balance_due: order.balance_due(),
        replayed: Some(replay),
        plan: Plan::new(now),
    }
}

fn requested_return(order: &Order, return_id: ReturnId) -> Result<&Return, ReturnError> {
    let found = order
        .return_record(return_id)
        .ok_or(ReturnError::UnknownReturn(return_id))?;
    if found.status != ReturnStatus::Requested || order.status == OrderStatus::Cancelled {
        return Err(ReturnError::NotRequested {
            return_id,
            status: found.status,
        });
    }
    Ok(found)
}

/// Adds a received return's release, refund and notice to `plan`.
#[allow(clippy::too_many_arguments)]
fn receive_into(
    mut plan: Plan,
    step: &Step<'_>,
    units: &[(ProductId, Quantity)],
    return_ref: ReturnRef,
    return_id: Option<ReturnId>,
    restock: bool,
    reason: Option<ReasonText>,
    now: DateTime<Utc>,
) -> Result<ReturnPlan, ReturnError> {
    let order = step.order;
    let lines = released_lines(order, units)?;
    let names = line_names(step.catalog, &lines);
    plan.push(Effect::NoticeLogged(NoticeLogged {
        order: OrderRef::Existing(order.id),
        customer: step.customer.id,
        kind: NotificationKind::ReturnReceived,
        text: NoticeText::Ready(return_received_text(
            order.id,
            &step.customer.name,
            return_id,
            &names,
        )),
    }));
    let Settled {
        refunded,
        points_returned,
        points_revoked,
        balance_due_after,
        ..
    } = settle(
        &mut plan,
        step,
        lines.clone(),
        StepKind {
            cause: ReleaseCause::Return(return_ref),
            restock,
            whole: false,
            reason,
        },
        now,
    )?;
    Ok(ReturnPlan {
        order_id: order.id,
        return_status: Some(ReturnStatus::Received),
        released_lines: lines,
        refunded,
        points_returned,
        points_revoked,
        balance_due: balance_due_after,
        replayed: None,
        plan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed;
    use crate::values::text::Region;

    fn mice(units: i64) -> Vec<LineQuantity> {
        vec![LineQuantity {
            product_id: ProductId::new(2).unwrap(),
            quantity: Quantity::new(units).unwrap(),
        }]
    }

    #[test]
    fn orders_of_the_original_schema_are_refunded_only_by_goodwill() {
        let data = seed::demo_data();
        let catalog = data.catalog();
        let mut order = seed::worked_example_order();
        order.region = Region::parse("legacy").unwrap();
        let snapshot = ReturnSnapshot {
            order: &order,
            customer: Some(&data.customers[0]),
            catalog: &catalog,
        };
        let now = DateTime::UNIX_EPOCH;
        let cancel = crate::plan_partial_cancel(&snapshot, &mice(3), LoyaltyPolicy::default(), now);
        assert_eq!(cancel.unwrap_err().code(), "legacy_order");
        let request = ReturnRequest {
            lines: mice(3),
            restock: true,
            reason: None,
            key: None,
        };
        let returned = plan_return(
            &snapshot,
            &request,
            ReturnRequester::Staff,
            LoyaltyPolicy::default(),
            now,
        );
        assert_eq!(returned.unwrap_err().code(), "legacy_order");
        // Nothing captured: a goodwill refund is refused for the money, not the order.
        let goodwill = RefundRequest {
            amount: "1.00".parse().unwrap(),
            reason: None,
            key: None,
        };
        let refund = plan_refund(&snapshot, &goodwill, now);
        assert_eq!(refund.unwrap_err().code(), "refund_exceeds_paid");
        // The whole order can still be cancelled.
        assert!(crate::plan_cancel(&snapshot, now).is_ok());
    }

    #[test]
    fn a_customer_asks_for_a_return_but_staff_decide_the_restock() {
        let data = seed::demo_data();
        let catalog = data.catalog();
        let mut order = seed::worked_example_order();
        order.fulfillments.push(crate::Fulfillment {
            id: crate::FulfillmentId::new(1).unwrap(),
            order_id: order.id,
            lines: vec![crate::FulfillmentLine {
                product_id: ProductId::new(2).unwrap(),
                quantity: Quantity::new(10).unwrap(),
            }],
            carrier: None,
            tracking_number: None,
            created_at: DateTime::UNIX_EPOCH,
        });
        let snapshot = ReturnSnapshot {
            order: &order,
            customer: Some(&data.customers[0]),
            catalog: &catalog,
        };
        let request = ReturnRequest {
            lines: mice(2),
            restock: false,
            reason: None,
            key: None,
        };
        let by = ReturnRequester::Customer {
            window: Duration::days(30),
        };
        let now = DateTime::UNIX_EPOCH + Duration::days(1);
        let plan = plan_return(&snapshot, &request, by, LoyaltyPolicy::default(), now).unwrap();
        let [Effect::ReturnCreated(created)] = plan.plan().effects() else {
            panic!("a request writes only itself");
        };
        assert_eq!(created.status, ReturnStatus::Requested);
        assert!(
            created.restock,
            "restocked unless staff say otherwise on receipt"
        );
        // Past the window (30 days after the shipment), refused.
        let late = DateTime::UNIX_EPOCH + Duration::days(30);
        let refused = plan_return(&snapshot, &request, by, LoyaltyPolicy::default(), late);
        assert_eq!(refused.unwrap_err().code(), "return_window_closed");
    }
}
