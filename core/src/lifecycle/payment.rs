//! Payment planning: recording, capturing and voiding an order's payments.
//!
//! Each planner reads the order with its payments (locked by the adapter, so
//! two payments of one order are decided one after the other) and returns a
//! [`Plan`]: the payment row, the money ledger's movements with the balances
//! they leave, and the notices (`payment_captured`, `payment_voided`, and
//! `order_paid` once captured money first covers what is due).
//!
//! The rules, each refused before anything is written:
//! - an amount must be above zero (`invalid_amount`);
//! - a payment's `reference` is its idempotency key within the order: the same
//!   reference and amount again is the first payment, replayed; another
//!   amount is `payment_reference_conflict`;
//! - a cancelled order takes no payment (`order_cancelled`);
//! - captured plus authorized never exceeds the order's total
//!   (`payment_exceeds_balance`);
//! - only an authorized payment is captured or voided (`payment_not_authorized`),
//!   and a capture takes at most what was authorized
//!   (`capture_exceeds_authorized`); the rest is released.

use chrono::{DateTime, Utc};

use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::orders::customer::Customer;
use crate::orders::notification::{
    order_paid_text, payment_captured_text, payment_voided_text, NotificationKind,
};
use crate::orders::order::{Order, OrderStatus};
use crate::orders::payment::{MoneyKind, NewPayment, Payment, PaymentState};
use crate::plan::{Effect, MoneyMoved, NoticeLogged, NoticeText, OrderRef, PaymentRef, Plan};
use crate::values::ids::{OrderId, PaymentId};
use crate::values::money::Money;
use crate::values::text::{PaymentMethod, PaymentReference};

/// Why a payment, capture or void was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentError {
    /// See [`ErrorKind::OrderNotFound`].
    #[error("order {0} does not exist")]
    OrderNotFound(OrderId),
    /// See [`ErrorKind::InvalidAmount`].
    #[error("amount must be greater than zero")]
    InvalidAmount,
    /// See [`ErrorKind::OrderCancelled`].
    #[error("order {0} is cancelled: it takes no payment")]
    OrderCancelled(OrderId),
    /// See [`ErrorKind::PaymentReferenceConflict`].
    #[error("reference {reference} was used on order {order_id} for {amount}, not {requested}")]
    ReferenceConflict {
        /// The order.
        order_id: OrderId,
        /// The reference.
        reference: PaymentReference,
        /// The amount it was first used with.
        amount: Money,
        /// The amount asked for now.
        requested: Money,
    },
    /// See [`ErrorKind::PaymentExceedsBalance`].
    #[error(
        "a payment of {requested} exceeds what order {order_id} is due: {total} in all, \
         {captured} captured and {authorized} authorized"
    )]
    ExceedsBalance {
        /// The order.
        order_id: OrderId,
        /// The amount asked for.
        requested: Money,
        /// The order's total.
        total: Money,
        /// Captured so far.
        captured: Money,
        /// Authorized and not captured.
        authorized: Money,
    },
    /// See [`ErrorKind::UnknownPayment`].
    #[error("order {order_id} has no payment {payment_id}")]
    UnknownPayment {
        /// The order.
        order_id: OrderId,
        /// The payment asked for.
        payment_id: PaymentId,
    },
    /// See [`ErrorKind::PaymentNotAuthorized`].
    #[error("payment {payment_id} is {}, not authorized", status.as_str())]
    NotAuthorized {
        /// The payment.
        payment_id: PaymentId,
        /// Its status.
        status: PaymentState,
    },
    /// See [`ErrorKind::CaptureExceedsAuthorized`].
    #[error("cannot capture {requested}: payment {payment_id} authorized {authorized}")]
    CaptureExceedsAuthorized {
        /// The payment.
        payment_id: PaymentId,
        /// The amount asked for.
        requested: Money,
        /// What it authorized.
        authorized: Money,
    },
    /// The order's customer no longer exists (only possible with foreign data).
    #[error("customer of order {0} does not exist")]
    UnknownCustomer(OrderId),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for PaymentError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrderNotFound(_) => ErrorKind::OrderNotFound,
            Self::InvalidAmount => ErrorKind::InvalidAmount,
            Self::OrderCancelled(_) => ErrorKind::OrderCancelled,
            Self::ReferenceConflict { .. } => ErrorKind::PaymentReferenceConflict,
            Self::ExceedsBalance { .. } => ErrorKind::PaymentExceedsBalance,
            Self::UnknownPayment { .. } => ErrorKind::UnknownPayment,
            Self::NotAuthorized { .. } => ErrorKind::PaymentNotAuthorized,
            Self::CaptureExceedsAuthorized { .. } => ErrorKind::CaptureExceedsAuthorized,
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::Storage(error) => error.kind(),
        }
    }
}

/// What a shop's trusted side says was paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    /// The amount (above zero).
    pub amount: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// The provider's reference: the payment's idempotency key within the order.
    pub reference: PaymentReference,
    /// `true`: captured at once; `false`: only authorized, to capture later.
    pub capture: bool,
}

/// The rows a payment, capture or void reads: the order with its payments
/// (under a lock), and its customer (for the notices).
#[derive(Clone, Copy, Debug)]
pub struct SettlementSnapshot<'a> {
    /// The order, with its payments and fulfillments.
    pub order: &'a Order,
    /// Its customer.
    pub customer: Option<&'a Customer>,
}

impl<'a> SettlementSnapshot<'a> {
    fn customer(&self) -> Result<&'a Customer, PaymentError> {
        self.customer
            .filter(|c| c.id == self.order.customer_id)
            .ok_or(PaymentError::UnknownCustomer(self.order.id))
    }
}

/// A payment, capture or void, decided.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentPlan {
    /// The order.
    pub order_id: OrderId,
    /// The payment it records or changes ([`PaymentRef::Recorded`]: the one the plan records).
    pub payment: PaymentRef,
    plan: Plan,
}

impl PaymentPlan {
    /// The effects to apply.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// What recording a payment comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentDecision {
    /// A new payment, to apply.
    Record(PaymentPlan),
    /// The reference and amount name a payment already recorded: it is the
    /// answer, and nothing is written.
    Replay(Payment),
}

/// Decides recording a payment of an order.
///
/// ```
/// use shopcore::{plan_payment, seed, PaymentDecision, PaymentRequest, SettlementSnapshot};
/// let data = seed::demo_data();
/// let order = seed::worked_example_order(); // Ahmed's order, 1430.59
/// let request = PaymentRequest {
///     amount: "1000.00".parse().unwrap(),
///     method: "card".parse().unwrap(),
///     reference: "pi_1".parse().unwrap(),
///     capture: true,
/// };
/// let snapshot = SettlementSnapshot { order: &order, customer: Some(&data.customers[0]) };
/// let PaymentDecision::Record(plan) = plan_payment(&snapshot, &request, chrono::Utc::now()).unwrap() else {
///     panic!("a new payment");
/// };
/// let moves: Vec<_> = plan.plan().money_moves().map(|m| (m.kind.as_str(), m.captured_after.to_string())).collect();
/// assert_eq!(moves, [("authorized", "0.00".to_owned()), ("captured", "1000.00".to_owned())]);
/// ```
pub fn plan_payment(
    snapshot: &SettlementSnapshot<'_>,
    request: &PaymentRequest,
    now: DateTime<Utc>,
) -> Result<PaymentDecision, PaymentError> {
    let order = snapshot.order;
    if request.amount <= Money::ZERO {
        return Err(PaymentError::InvalidAmount);
    }
    if let Some(first) = order
        .payments
        .iter()
        .find(|p| p.reference == request.reference)
    {
        return if first.amount == request.amount {
            Ok(PaymentDecision::Replay(first.clone()))
        } else {
            Err(PaymentError::ReferenceConflict {
                order_id: order.id,
                reference: request.reference.clone(),
                amount: first.amount,
                requested: request.amount,
            })
        };
    }
    if order.status == OrderStatus::Cancelled {
        return Err(PaymentError::OrderCancelled(order.id));
    }
    // What pays for the units (a goodwill refund does not count) against
    // what the kept units cost.
    let (authorized, captured) = (order.amount_authorized(), order.amount_paid_for_units());
    let due = order.amount_due();
    let exceeds = || PaymentError::ExceedsBalance {
        order_id: order.id,
        requested: request.amount,
        total: due,
        captured,
        authorized,
    };
    let held = authorized
        .checked_add(captured)
        .and_then(|held| held.checked_add(request.amount))
        .ok_or_else(exceeds)?;
    if held > due {
        return Err(exceeds());
    }
    let customer = snapshot.customer()?;
    let mut plan = Plan::new(now);
    plan.push(Effect::PaymentRecorded(Box::new(NewPayment {
        order_id: order.id,
        method: request.method.clone(),
        reference: request.reference.clone(),
        amount: request.amount,
        status: if request.capture {
            PaymentState::Captured
        } else {
            PaymentState::Authorized
        },
        amount_captured: if request.capture {
            request.amount
        } else {
            Money::ZERO
        },
    })));
    let mut ledger = Ledger::new(order, PaymentRef::Recorded);
    ledger.push(&mut plan, MoneyKind::Authorized, request.amount)?;
    if request.capture {
        ledger.push(&mut plan, MoneyKind::Captured, request.amount)?;
        captured_notices(
            &mut plan,
            order,
            customer,
            request.amount,
            (&request.method, &request.reference),
        );
    }
    Ok(PaymentDecision::Record(PaymentPlan {
        order_id: order.id,
        payment: PaymentRef::Recorded,
        plan,
    }))
}

/// Decides capturing an authorized payment: all of it, or `amount` of it (the
/// rest is released).
///
/// ```
/// use shopcore::{plan_capture, seed, ErrorCode, MoneyKind, Payment, PaymentId, PaymentState, SettlementSnapshot};
/// let data = seed::demo_data();
/// let mut order = seed::worked_example_order();
/// let at = chrono::Utc::now();
/// order.payments.push(Payment {
///     id: PaymentId::new(1).unwrap(), order_id: order.id, method: "card".parse().unwrap(),
///     reference: "pi_1".parse().unwrap(), amount: "1430.59".parse().unwrap(),
///     status: PaymentState::Authorized, amount_captured: "0.00".parse().unwrap(),
///     amount_released: "0.00".parse().unwrap(), amount_refunded: "0.00".parse().unwrap(),
///     created_at: at, updated_at: at,
/// });
/// let snapshot = SettlementSnapshot { order: &order, customer: Some(&data.customers[0]) };
/// let id = PaymentId::new(1).unwrap();
/// let plan = plan_capture(&snapshot, id, Some("1000.00".parse().unwrap()), at).unwrap();
/// let moves: Vec<_> = plan.plan().money_moves().map(|m| (m.kind, m.amount.to_string())).collect();
/// assert_eq!(moves, [(MoneyKind::Captured, "1000.00".to_owned()), (MoneyKind::Released, "430.59".to_owned())]);
/// let too_much = plan_capture(&snapshot, id, Some("1430.60".parse().unwrap()), at).unwrap_err();
/// assert_eq!(too_much.code(), "capture_exceeds_authorized");
/// ```
pub fn plan_capture(
    snapshot: &SettlementSnapshot<'_>,
    payment_id: PaymentId,
    amount: Option<Money>,
    now: DateTime<Utc>,
) -> Result<PaymentPlan, PaymentError> {
    let order = snapshot.order;
    if amount.is_some_and(|a| a <= Money::ZERO) {
        return Err(PaymentError::InvalidAmount);
    }
    let payment = authorized_payment(order, payment_id)?;
    let held = payment.amount_authorized();
    let take = amount.unwrap_or(held);
    if take > held {
        return Err(PaymentError::CaptureExceedsAuthorized {
            payment_id,
            requested: take,
            authorized: held,
        });
    }
    let customer = snapshot.customer()?;
    let mut plan = Plan::new(now);
    plan.push(Effect::PaymentChanged {
        order: order.id,
        payment: payment_id,
        status: PaymentState::Captured,
        amount_captured: take,
        amount_released: payment.amount_released,
        amount_refunded: payment.amount_refunded,
    });
    let mut ledger = Ledger::new(order, PaymentRef::Existing(payment_id));
    ledger.push(&mut plan, MoneyKind::Captured, take)?;
    if let Some(rest) = held.checked_sub(take).filter(|r| *r > Money::ZERO) {
        ledger.push(&mut plan, MoneyKind::Released, rest)?;
    }
    captured_notices(
        &mut plan,
        order,
        customer,
        take,
        (&payment.method, &payment.reference),
    );
    Ok(PaymentPlan {
        order_id: order.id,
        payment: PaymentRef::Existing(payment_id),
        plan,
    })
}

/// Decides voiding an authorized payment: its whole amount is released, and
/// the customer is told (`payment_voided`).
///
/// ```
/// use shopcore::{plan_void, seed, ErrorCode, PaymentId, SettlementSnapshot};
/// let data = seed::demo_data();
/// let order = seed::worked_example_order(); // no payments yet
/// let snapshot = SettlementSnapshot { order: &order, customer: Some(&data.customers[0]) };
/// let refused = plan_void(&snapshot, PaymentId::new(1).unwrap(), chrono::Utc::now()).unwrap_err();
/// assert_eq!(refused.code(), "unknown_payment");
/// ```
pub fn plan_void(
    snapshot: &SettlementSnapshot<'_>,
    payment_id: PaymentId,
    now: DateTime<Utc>,
) -> Result<PaymentPlan, PaymentError> {
    let order = snapshot.order;
    let payment = authorized_payment(order, payment_id)?;
    let customer = snapshot.customer()?;
    let mut plan = Plan::new(now);
    let mut ledger = Ledger::new(order, PaymentRef::Existing(payment_id));
    void_into(&mut plan, &mut ledger, payment, customer)?;
    Ok(PaymentPlan {
        order_id: order.id,
        payment: PaymentRef::Existing(payment_id),
        plan,
    })
}

/// The payment `id` of `order`, if it is authorized and the order is not cancelled.
fn authorized_payment(order: &Order, id: PaymentId) -> Result<&Payment, PaymentError> {
    let payment = order.payment(id).ok_or(PaymentError::UnknownPayment {
        order_id: order.id,
        payment_id: id,
    })?;
    if order.status == OrderStatus::Cancelled {
        return Err(PaymentError::OrderCancelled(order.id));
    }
    if payment.status != PaymentState::Authorized {
        return Err(PaymentError::NotAuthorized {
            payment_id: id,
            status: payment.status,
        });
    }
    Ok(payment)
}

/// Adds the void of an authorized `payment` to `plan`: its status, the
/// release of its amount, and the `payment_voided` notice. Also used by a cancel.
pub(crate) fn void_into(
    plan: &mut Plan,
    ledger: &mut Ledger,
    payment: &Payment,
    customer: &Customer,
) -> Result<(), StorageError> {
    plan.push(Effect::PaymentChanged {
        order: payment.order_id,
        payment: payment.id,
        status: PaymentState::Voided,
        amount_captured: Money::ZERO,
        amount_released: payment.amount_released,
        amount_refunded: payment.amount_refunded,
    });
    ledger.payment = PaymentRef::Existing(payment.id);
    ledger.push(plan, MoneyKind::Released, payment.amount_authorized())?;
    plan.push(Effect::NoticeLogged(NoticeLogged {
        order: OrderRef::Existing(payment.order_id),
        customer: customer.id,
        kind: NotificationKind::PaymentVoided,
        text: NoticeText::Ready(payment_voided_text(
            payment.order_id,
            &customer.name,
            payment,
        )),
    }));
    Ok(())
}

/// The `payment_captured` notice, and `order_paid` if this capture is the
/// one that makes captured money cover what the kept units cost.
fn captured_notices(
    plan: &mut Plan,
    order: &Order,
    customer: &Customer,
    captured: Money,
    payment: (&PaymentMethod, &PaymentReference),
) {
    // What pays for the units once this capture is in.
    let paid = order
        .amount_paid_for_units()
        .checked_add(captured)
        .unwrap_or(Money::MAX);
    let notice = |kind, text| {
        Effect::NoticeLogged(NoticeLogged {
            order: OrderRef::Existing(order.id),
            customer: customer.id,
            kind,
            text: NoticeText::Ready(text),
        })
    };
    plan.push(notice(
        NotificationKind::PaymentCaptured,
        payment_captured_text(
            order.id,
            &customer.name,
            captured,
            payment,
            paid,
            order.amount_due(),
        ),
    ));
    let due = order.amount_due();
    if order.amount_paid_for_units() < due && paid >= due {
        plan.push(notice(
            NotificationKind::OrderPaid,
            order_paid_text(order.id, &customer.name, paid),
        ));
    }
}

/// An order's money balances as a plan moves them, writing each movement.
pub(crate) struct Ledger {
    order: OrderId,
    pub(crate) payment: PaymentRef,
    authorized: Money,
    captured: Money,
}

impl Ledger {
    /// The balances of `order` as stored, moved by `payment`.
    pub(crate) fn new(order: &Order, payment: PaymentRef) -> Self {
        Ledger {
            order: order.id,
            payment,
            authorized: order.amount_authorized(),
            captured: order.amount_held(),
        }
    }

    pub(crate) fn push(
        &mut self,
        plan: &mut Plan,
        kind: MoneyKind,
        amount: Money,
    ) -> Result<(), StorageError> {
        let (authorized, captured) = kind
            .apply((self.authorized, self.captured), amount)
            .ok_or_else(|| {
                StorageError::Failure(format!(
                    "order {}: its payments do not add up to its balances",
                    self.order
                ))
            })?;
        (self.authorized, self.captured) = (authorized, captured);
        plan.push(Effect::MoneyMoved(MoneyMoved {
            order: self.order,
            payment: self.payment,
            kind,
            amount,
            authorized_after: authorized,
            captured_after: captured,
        }));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::notification::NotificationKind;
    use crate::seed;

    fn request(amount: &str, reference: &str, capture: bool) -> PaymentRequest {
        PaymentRequest {
            amount: amount.parse().unwrap(),
            method: "card".parse().unwrap(),
            reference: reference.parse().unwrap(),
            capture,
        }
    }

    /// The worked example (1430.59) with `captured` already captured by one payment.
    fn order_with(captured: &str) -> Order {
        let mut order = seed::worked_example_order();
        if captured != "0.00" {
            order.payments.push(Payment {
                id: PaymentId::new(1).unwrap(),
                order_id: order.id,
                method: "card".parse().unwrap(),
                reference: "pi_0".parse().unwrap(),
                amount: captured.parse().unwrap(),
                status: PaymentState::Captured,
                amount_captured: captured.parse().unwrap(),
                amount_released: Money::ZERO,
                amount_refunded: Money::ZERO,
                created_at: DateTime::UNIX_EPOCH,
                updated_at: DateTime::UNIX_EPOCH,
            });
        }
        order
    }

    fn notices(order: &Order, request: &PaymentRequest) -> Vec<NotificationKind> {
        let data = seed::demo_data();
        let snapshot = SettlementSnapshot {
            order,
            customer: Some(&data.customers[0]),
        };
        match plan_payment(&snapshot, request, DateTime::UNIX_EPOCH).unwrap() {
            PaymentDecision::Record(plan) => plan.plan().notices().map(|n| n.kind).collect(),
            PaymentDecision::Replay(_) => panic!("recorded"),
        }
    }

    #[test]
    fn order_paid_is_told_once_when_captured_money_first_covers_the_total() {
        use NotificationKind::{OrderPaid, PaymentCaptured};
        let unpaid = order_with("0.00");
        assert_eq!(
            notices(&unpaid, &request("1430.58", "a", true)),
            [PaymentCaptured]
        );
        assert_eq!(
            notices(&unpaid, &request("1430.59", "a", true)),
            [PaymentCaptured, OrderPaid]
        );
        assert_eq!(notices(&unpaid, &request("1430.59", "a", false)), []);
        let almost = order_with("1430.58");
        assert_eq!(
            notices(&almost, &request("0.01", "a", true)),
            [PaymentCaptured, OrderPaid]
        );
    }

    #[test]
    fn what_is_held_or_captured_never_exceeds_the_total() {
        let data = seed::demo_data();
        let order = order_with("1000.00");
        let snapshot = SettlementSnapshot {
            order: &order,
            customer: Some(&data.customers[0]),
        };
        let decide = |amount| {
            plan_payment(
                &snapshot,
                &request(amount, "b", false),
                DateTime::UNIX_EPOCH,
            )
        };
        assert!(matches!(decide("430.59"), Ok(PaymentDecision::Record(_))));
        let refused = decide("430.60").unwrap_err();
        assert_eq!(refused.code(), "payment_exceeds_balance");
        assert_eq!(
            refused.to_string(),
            "a payment of 430.60 exceeds what order 1 is due: 1430.59 in all, 1000.00 captured and 0.00 authorized"
        );
        // The same reference: the first payment, or a conflict.
        let replay = plan_payment(
            &snapshot,
            &request("1000.00", "pi_0", true),
            DateTime::UNIX_EPOCH,
        );
        assert!(matches!(replay, Ok(PaymentDecision::Replay(p)) if p.id.get() == 1));
        let conflict = plan_payment(
            &snapshot,
            &request("1.00", "pi_0", true),
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(conflict.unwrap_err().code(), "payment_reference_conflict");
    }

    #[test]
    fn a_cancel_refunds_what_was_captured_and_voids_each_open_authorization() {
        let data = seed::demo_data();
        let mut order = order_with("300.00");
        order.payments.push(Payment {
            id: PaymentId::new(2).unwrap(),
            status: PaymentState::Authorized,
            amount: "500.00".parse().unwrap(),
            amount_captured: Money::ZERO,
            reference: "pi_held".parse().unwrap(),
            ..order.payments[0].clone()
        });
        let snapshot = crate::CancelSnapshot {
            order: &order,
            customer: Some(&data.customers[0]),
            catalog: &data.catalog(),
        };
        let cancel = crate::plan_cancel(&snapshot, DateTime::UNIX_EPOCH).unwrap();
        assert_eq!(cancel.refund_due.to_string(), "300.00");
        let voided: Vec<_> = cancel
            .plan()
            .money_moves()
            .map(|m| {
                (
                    m.payment,
                    m.kind,
                    m.amount.to_string(),
                    m.authorized_after.to_string(),
                )
            })
            .collect();
        assert_eq!(
            voided,
            [
                (
                    PaymentRef::Existing(PaymentId::new(1).unwrap()),
                    MoneyKind::Refunded,
                    "300.00".to_owned(),
                    "500.00".to_owned()
                ),
                (
                    PaymentRef::Existing(PaymentId::new(2).unwrap()),
                    MoneyKind::Released,
                    "500.00".to_owned(),
                    "0.00".to_owned()
                )
            ]
        );
        let kinds: Vec<_> = cancel.plan().notices().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            [
                NotificationKind::OrderCancellation,
                NotificationKind::RefundCreated,
                NotificationKind::PaymentVoided
            ]
        );
    }
}
