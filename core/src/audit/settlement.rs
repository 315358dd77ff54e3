//! The audit of each order's money and shipments (see the module docs of
//! [`audit`](super)).

use std::collections::BTreeMap;

use super::{Books, Discrepancy, OrderProblem};
use crate::orders::fulfillment::FulfillmentStatus;
use crate::orders::notification::NotificationKind;
use crate::orders::order::{Order, OrderStatus};
use crate::orders::payment::{MoneyEntry, MoneyKind, PaymentState};
use crate::orders::returns::{ReleaseCause, ReturnStatus};
use crate::values::ids::{OrderId, PaymentId};
use crate::values::money::Money;

/// Checks every order's money ledger, payments and shipments.
pub(super) fn check(books: &Books, found: &mut Vec<Discrepancy>) {
    let mut ledgers: BTreeMap<OrderId, Vec<&MoneyEntry>> = BTreeMap::new();
    for entry in &books.money_ledger {
        ledgers.entry(entry.order).or_default().push(entry);
    }
    for order in &books.orders {
        let entries = ledgers.remove(&order.id).unwrap_or_default();
        check_order(order, &entries, found);
    }
}

fn check_order(order: &Order, entries: &[&MoneyEntry], found: &mut Vec<Discrepancy>) {
    let mut problem = |problem| {
        found.push(Discrepancy::Order {
            order: order.id,
            problem,
        })
    };
    // The ledger's chain, and each payment's movements by kind.
    let mut balances = (Money::ZERO, Money::ZERO);
    let mut moved: BTreeMap<(PaymentId, MoneyKind), Money> = BTreeMap::new();
    for (position, entry) in entries.iter().enumerate() {
        let next = entry.kind.apply(balances, entry.amount);
        if entry.amount <= Money::ZERO
            || next != Some((entry.authorized_after, entry.captured_after))
        {
            problem(OrderProblem::MoneyChain { entry: position });
        }
        // Continue from what the entry records, so one bad entry is one finding.
        balances = (entry.authorized_after, entry.captured_after);
        let sum = moved
            .entry((entry.payment, entry.kind))
            .or_insert(Money::ZERO);
        *sum = sum.checked_add(entry.amount).unwrap_or(Money::MAX);
    }
    let held = (order.amount_authorized(), order.amount_held());
    if balances != held {
        problem(OrderProblem::MoneyLedgerEnd {
            ledger: balances,
            payments: held,
        });
    }
    for payment in &order.payments {
        let of = |kind| {
            moved
                .get(&(payment.id, kind))
                .copied()
                .unwrap_or(Money::ZERO)
        };
        let released = match payment.status {
            PaymentState::Authorized => Some(payment.amount_released),
            PaymentState::Captured | PaymentState::Voided => {
                payment.amount.checked_sub(payment.amount_captured)
            }
        };
        let record_ok = match payment.status {
            PaymentState::Captured => {
                payment.amount_captured > Money::ZERO
                    && payment.amount_refunded <= payment.amount_captured
            }
            PaymentState::Authorized => {
                payment.amount_captured == Money::ZERO
                    && payment.amount_refunded == Money::ZERO
                    && payment.amount_released < payment.amount
            }
            PaymentState::Voided => {
                payment.amount_captured == Money::ZERO && payment.amount_refunded == Money::ZERO
            }
        };
        if !record_ok
            || payment.order_id != order.id
            || of(MoneyKind::Authorized) != payment.amount
            || of(MoneyKind::Captured) != payment.amount_captured
            || Some(of(MoneyKind::Released)) != released
            || of(MoneyKind::Refunded) != payment.amount_refunded
        {
            problem(OrderProblem::Payment {
                payment: payment.id,
            });
        }
    }
    let (authorized, held_money) = held;
    let cancelled = order.status == OrderStatus::Cancelled;
    // What the shop holds and what is authorized never exceed what the kept
    // units cost.
    let within = authorized
        .checked_add(held_money)
        .is_some_and(|sum| sum <= order.amount_due());
    let refund_ok = if cancelled {
        // Everything was paid back, or (cancelled before refunds were
        // records) its refund due is what it holds.
        authorized == Money::ZERO
            && (held_money == Money::ZERO
                || (order.refunds.is_empty() && order.refund_due == held_money))
    } else {
        order.refund_due == Money::ZERO
    };
    if !within || !refund_ok {
        problem(OrderProblem::Overpaid {
            captured: held_money,
            authorized,
            total: order.amount_due(),
            refund_due: order.refund_due,
        });
    }
    // Shipments.
    let mut products: Vec<_> = order.items.iter().map(|i| i.product_id).collect();
    products.extend(
        order
            .fulfillments
            .iter()
            .flat_map(|f| f.lines.iter().map(|l| l.product_id)),
    );
    products.sort_unstable();
    products.dedup();
    for product in products {
        let (ordered, shipped) = (
            order
                .ordered_quantity(product)
                .saturating_sub(order.cancelled_quantity(product)),
            order.fulfilled_quantity(product),
        );
        if shipped > ordered || (cancelled && shipped > 0) {
            problem(OrderProblem::Shipped {
                product,
                ordered,
                shipped,
            });
        }
        let (returned, requested) = (
            order.returned_quantity(product),
            order.requested_return_quantity(product),
        );
        if u64::from(returned) + u64::from(requested) > u64::from(shipped) {
            problem(OrderProblem::Returned {
                product,
                shipped,
                returned,
                requested,
            });
        }
    }
}

/// Checks that `order` has the notices its payments and shipments call for;
/// `count_of` gives how many of a kind it has.
pub(super) fn check_events(
    order: &Order,
    count_of: impl Fn(NotificationKind) -> usize,
    found: &mut Vec<Discrepancy>,
) {
    let with_status = |state| order.payments.iter().filter(|p| p.status == state).count();
    let fulfilled = order.fulfillment_status() == FulfillmentStatus::Fulfilled;
    let cancellations = order
        .releases
        .iter()
        .filter(|r| r.cause == ReleaseCause::Cancellation)
        .count();
    // A whole cancel's release is announced by the cancellation notice.
    let whole = usize::from(order.status == OrderStatus::Cancelled && cancellations > 0);
    let received = order
        .returns
        .iter()
        .filter(|r| r.status == ReturnStatus::Received)
        .count();
    // Once units are released or money refunded, whether the order was ever
    // paid in full depends on the order of the steps: at most one notice.
    let settled = order.releases.is_empty() && order.refunds.is_empty();
    let paid = order.total_amount > Money::ZERO && order.amount_paid() >= order.total_amount;
    let paid_notices = count_of(NotificationKind::OrderPaid);
    if paid_notices > 1 || (settled && paid_notices != usize::from(paid)) {
        found.push(Discrepancy::Order {
            order: order.id,
            problem: OrderProblem::Events {
                kind: NotificationKind::OrderPaid,
                count: paid_notices,
                expected: usize::from(paid),
            },
        });
    }
    let expected = [
        (
            NotificationKind::PaymentCaptured,
            with_status(PaymentState::Captured),
        ),
        (
            NotificationKind::PaymentVoided,
            with_status(PaymentState::Voided),
        ),
        (
            NotificationKind::FulfillmentCreated,
            order.fulfillments.len(),
        ),
        (NotificationKind::OrderFulfilled, usize::from(fulfilled)),
        (NotificationKind::UnitsCancelled, cancellations - whole),
        (NotificationKind::ReturnReceived, received),
        (NotificationKind::RefundCreated, order.refunds.len()),
    ];
    for (kind, expected) in expected {
        let count = count_of(kind);
        if count != expected {
            found.push(Discrepancy::Order {
                order: order.id,
                problem: OrderProblem::Events {
                    kind,
                    count,
                    expected,
                },
            });
        }
    }
}
