//! Releasing units of an order — cancelled before they ship, or returned
//! after — and settling what that owes: the step's share of each line, stock
//! back, points back and revoked, the refund of what was paid for them, and
//! the release of authorizations above what is now due.
//!
//! One rule for every step ([`release_share`]): `k` of a line's `n` remaining
//! units take `left × k / n` of its net money, of its tax and of its redeemed
//! points, rounded with the order's rounding, the last units exactly what is
//! left. So a line's steps always sum to what it cost.

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::error::StorageError;
use crate::lifecycle::checkout::points_change;
use crate::lifecycle::payment::{void_into, Ledger};
use crate::orders::customer::{points_room, Customer};
use crate::orders::notification::{refund_text, NotificationKind};
use crate::orders::order::Order;
use crate::orders::payment::{MoneyKind, PaymentState};
use crate::orders::returns::{
    release_points, release_share, NewRefund, RefundKind, RefundLine, RefundPart, Release,
    ReleaseCause, ReleasedLine, ReturnRef,
};
use crate::plan::{
    Effect, NoticeLogged, NoticeText, OrderRef, PaymentRef, Plan, PointsMoved, Reason, StockMoved,
};
use crate::pricing::allocate;
use crate::pricing::loyalty::LoyaltyPolicy;
use crate::values::ids::ProductId;
use crate::values::money::Money;
use crate::values::quantity::{Quantity, MAX_STOCK};
use crate::values::text::ReasonText;

/// What a line has left to release: units, net money, tax, points.
pub(crate) fn remaining(order: &Order, product: ProductId) -> Option<(u32, Money, Money, u64)> {
    let item = order.item(product)?;
    let released = order.released(product);
    Some((
        item.quantity.get().checked_sub(released.units)?,
        item.net_price()?.checked_sub(released.amount)?,
        item.tax.checked_sub(released.tax)?,
        item.points_redeemed.checked_sub(released.points)?,
    ))
}

/// The lines of a step releasing `units` (already checked against what
/// remains), in the order's line order.
pub(crate) fn released_lines(
    order: &Order,
    units: &[(ProductId, Quantity)],
) -> Result<Vec<ReleasedLine>, StorageError> {
    let broken = |product| {
        StorageError::Failure(format!(
            "order {}: line of product {product} does not add up with its releases",
            order.id
        ))
    };
    let mut lines = Vec::with_capacity(units.len());
    for item in &order.items {
        let Some(&(product, quantity)) = units.iter().find(|u| u.0 == item.product_id) else {
            continue;
        };
        let (left, money, tax, points) =
            remaining(order, product).ok_or_else(|| broken(product))?;
        let k = quantity.get();
        lines.push(ReleasedLine {
            product_id: product,
            quantity,
            amount: release_share(money, left, k, order.rounding).ok_or_else(|| broken(product))?,
            tax: release_share(tax, left, k, order.rounding).ok_or_else(|| broken(product))?,
            points: release_points(points, left, k, order.rounding)
                .ok_or_else(|| broken(product))?,
        });
    }
    Ok(lines)
}

/// Everything a release step is decided from.
pub(crate) struct Step<'a> {
    pub(crate) order: &'a Order,
    pub(crate) customer: &'a Customer,
    pub(crate) catalog: &'a Catalog,
    pub(crate) loyalty: LoyaltyPolicy,
}

/// What a step does besides its lines, for the plan's summary and notices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Settled {
    /// Units back in stock.
    pub(crate) units_restocked: u64,
    /// Redeemed points given back.
    pub(crate) points_returned: u64,
    /// Earned points revoked.
    pub(crate) points_revoked: u64,
    /// The customer's balance afterwards.
    pub(crate) points_after: i64,
    /// Money and tax the step released.
    pub(crate) released: Money,
    /// What was refunded (0.00 if nothing).
    pub(crate) refunded: Money,
    /// What the kept units cost afterwards.
    pub(crate) due_after: Money,
    /// What is still to pay for them afterwards.
    pub(crate) balance_due_after: Money,
}

/// How a step moves the order's stock and money.
pub(crate) struct StepKind {
    /// Why, as the release records it.
    pub(crate) cause: ReleaseCause<ReturnRef>,
    /// Whether the units go back to stock.
    pub(crate) restock: bool,
    /// Whether this releases every remaining unit of a whole cancel (then
    /// every authorization is voided, and every earned point revoked).
    pub(crate) whole: bool,
    /// The refund's reason.
    pub(crate) reason: Option<ReasonText>,
}

/// Pushes a release step's effects onto `plan`: the release, stock back,
/// points back and revoked, the refund (with its notice) and the release of
/// authorizations above what is now due.
pub(crate) fn settle(
    plan: &mut Plan,
    step: &Step<'_>,
    lines: Vec<ReleasedLine>,
    kind: StepKind,
    now: DateTime<Utc>,
) -> Result<Settled, StepError> {
    let order = step.order;
    let broken = |what: &str| {
        StepError::Storage(StorageError::Failure(format!(
            "order {}: {what} does not add up",
            order.id
        )))
    };
    let released: Money =
        sum(lines.iter().map(ReleasedLine::value)).ok_or_else(|| broken("the released money"))?;
    let due_after = order
        .amount_due()
        .checked_sub(released)
        .ok_or_else(|| broken("what is due"))?;

    // Points: the redeemed ones come back (never past the cap); the earned
    // ones become what the kept units earn.
    let points_back: u64 = lines.iter().map(|l| l.points).sum();
    let points_returned = points_back.min(points_room(step.customer.loyalty_points));
    let kept_net = sum(order.items.iter().map(|item| {
        let released = order.released(item.product_id);
        let now_released = lines
            .iter()
            .find(|l| l.product_id == item.product_id)
            .map_or(Money::ZERO, |l| l.amount);
        item.net_price()
            .and_then(|net| net.checked_sub(released.amount))
            .and_then(|net| net.checked_sub(now_released))
    }))
    .ok_or_else(|| broken("the kept units' money"))?;
    let keeps = if kind.whole {
        0
    } else {
        step.loyalty.points_for(kept_net).min(order.points_kept())
    };
    let points_revoked = order.points_kept() - keeps;
    let after_return = step.customer.loyalty_points + points_change(points_returned);
    let points_after = after_return.saturating_sub(points_change(points_revoked));

    plan.push(Effect::UnitsReleased {
        order: order.id,
        release: Box::new(Release {
            cause: kind.cause,
            lines: lines.clone(),
            restocked: kind.restock,
            points_revoked,
            created_at: now,
        }),
    });
    let reason = match kind.cause {
        ReleaseCause::Cancellation => Reason::Cancel(OrderRef::Existing(order.id)),
        ReleaseCause::Return(_) => Reason::Return(OrderRef::Existing(order.id)),
    };
    let mut units_restocked = 0u64;
    if kind.restock {
        for line in &lines {
            let units = line.quantity.get();
            let product = step
                .catalog
                .get(line.product_id)
                .ok_or(StepError::UnknownProduct(line.product_id))?;
            let after = product
                .quantity_available
                .checked_add(units)
                .filter(|stock| *stock <= MAX_STOCK)
                .ok_or(StepError::StockOutOfRange(line.product_id))?;
            units_restocked += u64::from(units);
            plan.push(Effect::StockMoved(StockMoved {
                product: line.product_id,
                change: i64::from(units),
                after,
                reason,
            }));
        }
    }
    if points_returned > 0 {
        plan.push(Effect::PointsMoved(PointsMoved {
            customer: step.customer.id,
            change: points_change(points_returned),
            after: after_return,
            reason,
        }));
    }
    if points_revoked > 0 {
        plan.push(Effect::PointsMoved(PointsMoved {
            customer: step.customer.id,
            change: -points_change(points_revoked),
            after: points_after,
            reason,
        }));
    }

    // The refund: what was paid for the units beyond what the kept units
    // cost, never more than the step released or the shop holds.
    let paid_for_units = order.amount_paid_for_units();
    let refunded = paid_for_units
        .checked_sub(due_after)
        .unwrap_or(Money::ZERO)
        .min(released)
        .min(order.amount_held());
    let mut ledger = Ledger::new(order, PaymentRef::Recorded);
    if refunded > Money::ZERO {
        let refund_kind = match kind.cause {
            ReleaseCause::Cancellation => RefundKind::Cancellation,
            ReleaseCause::Return(_) => RefundKind::Return,
        };
        let refund_lines = refund_lines(&lines, refunded);
        let tax = sum(refund_lines.iter().map(|l| Some(l.tax))).unwrap_or(Money::MAX);
        record_refund(
            plan,
            &mut ledger,
            step,
            NewRefund {
                order_id: order.id,
                kind: refund_kind,
                return_ref: match kind.cause {
                    ReleaseCause::Cancellation => None,
                    ReleaseCause::Return(r) => Some(r),
                },
                amount: refunded,
                tax,
                points_returned,
                lines: refund_lines,
                parts: Vec::new(),
                reason: kind.reason.clone(),
                idempotency: None,
            },
        )?;
    }

    // Authorizations: only what the kept units still need stays held.
    let paid_after = paid_for_units
        .checked_sub(refunded)
        .ok_or_else(|| broken("the refund"))?;
    let needed = due_after.checked_sub(paid_after).unwrap_or(Money::ZERO);
    let mut excess = order
        .amount_authorized()
        .checked_sub(needed)
        .unwrap_or(Money::ZERO);
    let mut authorized: Vec<_> = order
        .payments
        .iter()
        .filter(|p| p.status == PaymentState::Authorized)
        .collect();
    authorized.sort_by_key(|p| std::cmp::Reverse(p.id));
    for payment in authorized {
        let held = payment.amount_authorized();
        if kind.whole || excess >= held {
            void_into(plan, &mut ledger, payment, step.customer)?;
            excess = excess.checked_sub(held).unwrap_or(Money::ZERO);
        } else if excess > Money::ZERO {
            plan.push(Effect::PaymentChanged {
                order: order.id,
                payment: payment.id,
                status: PaymentState::Authorized,
                amount_captured: payment.amount_captured,
                amount_released: payment
                    .amount_released
                    .checked_add(excess)
                    .ok_or_else(|| broken("the authorization"))?,
                amount_refunded: payment.amount_refunded,
            });
            ledger.payment = PaymentRef::Existing(payment.id);
            ledger.push(plan, MoneyKind::Released, excess)?;
            excess = Money::ZERO;
        }
    }
    Ok(Settled {
        units_restocked,
        points_returned,
        points_revoked,
        points_after,
        released,
        refunded,
        due_after,
        balance_due_after: needed,
    })
}

/// `refunded` of a step's `lines` per line: its money and tax split by
/// largest remainder over each line's money and tax, so the parts sum to
/// `refunded` exactly (and equal the lines when all of it is refunded).
fn refund_lines(lines: &[ReleasedLine], refunded: Money) -> Vec<RefundLine> {
    let weights: Vec<Money> = lines.iter().flat_map(|l| [l.amount, l.tax]).collect();
    let shares = allocate(refunded, &weights);
    lines
        .iter()
        .zip(shares.chunks(2))
        .map(|(line, parts)| RefundLine {
            product_id: line.product_id,
            quantity: line.quantity,
            amount: parts[0].checked_add(parts[1]).unwrap_or(Money::MAX),
            tax: parts[1],
        })
        .collect()
}

/// Records `refund` (its parts filled in: through the payments with money
/// left to refund, newest payment first) with its payments' changes, its money
/// movements and its notice.
pub(crate) fn record_refund(
    plan: &mut Plan,
    ledger: &mut Ledger,
    step: &Step<'_>,
    mut refund: NewRefund,
) -> Result<(), StorageError> {
    let order = step.order;
    let mut payments: Vec<_> = order
        .payments
        .iter()
        .filter(|p| p.amount_refundable() > Money::ZERO)
        .collect();
    payments.sort_by_key(|p| std::cmp::Reverse(p.id));
    let mut left = refund.amount;
    for payment in payments {
        if left == Money::ZERO {
            break;
        }
        let part = left.min(payment.amount_refundable());
        left = left.checked_sub(part).unwrap_or(Money::ZERO);
        refund.parts.push(RefundPart {
            payment_id: payment.id,
            amount: part,
        });
    }
    if left > Money::ZERO {
        return Err(StorageError::Failure(format!(
            "order {}: its payments hold less than the refund",
            order.id
        )));
    }
    let notice = refund_text(
        order.id,
        &step.customer.name,
        refund.amount,
        refund.tax,
        refund.points_returned,
        refund.reason.as_ref().map(ReasonText::as_str),
    );
    let parts = refund.parts.clone();
    plan.push(Effect::RefundRecorded(Box::new(refund)));
    for part in parts {
        let payment = order
            .payment(part.payment_id)
            .ok_or_else(|| StorageError::Failure("refund part of no payment".to_owned()))?;
        plan.push(Effect::PaymentChanged {
            order: order.id,
            payment: payment.id,
            status: payment.status,
            amount_captured: payment.amount_captured,
            amount_released: payment.amount_released,
            amount_refunded: payment
                .amount_refunded
                .checked_add(part.amount)
                .unwrap_or(Money::MAX),
        });
        ledger.payment = PaymentRef::Existing(payment.id);
        ledger.push(plan, MoneyKind::Refunded, part.amount)?;
    }
    plan.push(Effect::NoticeLogged(NoticeLogged {
        order: OrderRef::Existing(order.id),
        customer: step.customer.id,
        kind: NotificationKind::RefundCreated,
        text: NoticeText::Ready(notice),
    }));
    Ok(())
}

/// Why a release step cannot be applied as decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StepError {
    UnknownProduct(ProductId),
    StockOutOfRange(ProductId),
    Storage(StorageError),
}

impl From<StorageError> for StepError {
    fn from(error: StorageError) -> Self {
        StepError::Storage(error)
    }
}

fn sum(mut amounts: impl Iterator<Item = Option<Money>>) -> Option<Money> {
    amounts.try_fold(Money::ZERO, |total, amount| total.checked_add(amount?))
}

/// Why the lines of a cancel or return request cannot be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PickError {
    /// No lines at all.
    NoLines,
    /// A product the order does not hold.
    NotInOrder(ProductId),
    /// More units of a product than are available.
    Exceeds {
        product_id: ProductId,
        requested: u64,
        remaining: u32,
    },
}

/// The units `asked` for (duplicate products summed), in the order's line
/// order, each at most what `available` says remains of its product.
pub(crate) fn pick_lines(
    order: &Order,
    asked: &[crate::orders::returns::LineQuantity],
    available: impl Fn(ProductId) -> u32,
) -> Result<Vec<(ProductId, Quantity)>, PickError> {
    if asked.is_empty() {
        return Err(PickError::NoLines);
    }
    if let Some(line) = asked.iter().find(|l| order.item(l.product_id).is_none()) {
        return Err(PickError::NotInOrder(line.product_id));
    }
    let mut picked = Vec::new();
    for item in &order.items {
        let requested: u64 = asked
            .iter()
            .filter(|line| line.product_id == item.product_id)
            .map(|line| u64::from(line.quantity.get()))
            .sum();
        if requested == 0 {
            continue;
        }
        let remaining = available(item.product_id);
        if requested > u64::from(remaining) {
            return Err(PickError::Exceeds {
                product_id: item.product_id,
                requested,
                remaining,
            });
        }
        // At most `remaining`, itself at most a line's quantity.
        let quantity = Quantity::new(i64::try_from(requested).unwrap_or(0))
            .map_err(|_| PickError::NotInOrder(item.product_id))?;
        picked.push((item.product_id, quantity));
    }
    Ok(picked)
}
