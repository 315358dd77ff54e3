//! The audit of what came back from each order: the lines' costs, every
//! release step against the rule for what units cost, and every refund (see
//! the module docs of [`audit`](super)).

use super::{Discrepancy, OrderProblem};
use crate::orders::order::Order;
use crate::orders::returns::{release_points, release_share, RefundKind};
use crate::values::money::Money;

/// Checks `order`'s line costs, releases and refunds.
pub(super) fn check_order(order: &Order, found: &mut Vec<Discrepancy>) {
    let mut problem = |problem| {
        found.push(Discrepancy::Order {
            order: order.id,
            problem,
        })
    };
    let tax = order
        .items
        .iter()
        .try_fold(Money::ZERO, |sum, item| sum.checked_add(item.tax));
    let points: u64 = order.items.iter().map(|item| item.points_redeemed).sum();
    if tax != Some(order.tax) || points != order.points_redeemed {
        problem(OrderProblem::LineCosts {
            tax: tax.unwrap_or(Money::MAX),
            points,
        });
    }
    for (step, product) in steps_off_the_rule(order) {
        problem(OrderProblem::ReleaseStep { step, product });
    }
    for refund in &order.refunds {
        let parts = refund
            .parts
            .iter()
            .try_fold(Money::ZERO, |sum, part| sum.checked_add(part.amount));
        let lines =
            refund
                .lines
                .iter()
                .try_fold((Money::ZERO, Money::ZERO), |(amount, tax), line| {
                    Some((amount.checked_add(line.amount)?, tax.checked_add(line.tax)?))
                });
        let lines_ok = match refund.kind {
            RefundKind::Goodwill => refund.lines.is_empty() && refund.tax == Money::ZERO,
            RefundKind::Cancellation | RefundKind::Return => {
                lines == Some((refund.amount, refund.tax))
                    && refund.lines.iter().all(|line| line.tax <= line.amount)
            }
        };
        if refund.amount <= Money::ZERO
            || parts != Some(refund.amount)
            || !lines_ok
            || refund.order_id != order.id
        {
            problem(OrderProblem::Refund { refund: refund.id });
        }
    }
    // Per line, never more refunded than its released units cost.
    for item in &order.items {
        let released = order.released(item.product_id);
        let cost = released.amount.checked_add(released.tax);
        if cost.is_none_or(|cost| order.refunded_amount(item.product_id) > cost) {
            if let Some(refund) = order
                .refunds
                .iter()
                .rev()
                .find(|r| r.lines.iter().any(|l| l.product_id == item.product_id))
            {
                problem(OrderProblem::Refund { refund: refund.id });
            }
        }
    }
    let (refunded, captured) = (order.amount_refunded(), order.amount_paid());
    if refunded > captured {
        problem(OrderProblem::Refunded { refunded, captured });
    }
}

/// Replays each line's releases from what it cost: `(step, product)` of
/// every step that does not take what the rule gives.
fn steps_off_the_rule(order: &Order) -> Vec<(usize, crate::values::ids::ProductId)> {
    let mut off = Vec::new();
    for item in &order.items {
        let Some(net) = item.net_price() else {
            continue; // reported as a bad line
        };
        let (mut units, mut money, mut tax, mut points) =
            (item.quantity.get(), net, item.tax, item.points_redeemed);
        for (step, release) in order.releases.iter().enumerate() {
            let Some(line) = release
                .lines
                .iter()
                .find(|l| l.product_id == item.product_id)
            else {
                continue;
            };
            let k = line.quantity.get();
            let rounding = order.rounding;
            let follows = release_share(money, units, k, rounding) == Some(line.amount)
                && release_share(tax, units, k, rounding) == Some(line.tax)
                && release_points(points, units, k, rounding) == Some(line.points);
            if !follows {
                off.push((step, item.product_id));
            }
            // Continue from what the step recorded, so one bad step is one finding.
            units = units.saturating_sub(k);
            money = money.checked_sub(line.amount).unwrap_or(Money::ZERO);
            tax = tax.checked_sub(line.tax).unwrap_or(Money::ZERO);
            points = points.saturating_sub(line.points);
        }
    }
    // Lines of products the order does not hold.
    for (step, release) in order.releases.iter().enumerate() {
        off.extend(
            release
                .lines
                .iter()
                .filter(|l| order.item(l.product_id).is_none())
                .map(|l| (step, l.product_id)),
        );
    }
    off
}

/// Whether `order` was cancelled before cancels were release steps: then its
/// units and points came back without a record of each line.
pub(super) fn cancelled_without_releases(order: &Order) -> bool {
    order.status == crate::orders::order::OrderStatus::Cancelled && order.releases.is_empty()
}
