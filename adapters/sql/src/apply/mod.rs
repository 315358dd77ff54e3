//! The one `apply` for plans, inside an open transaction.
//!
//! It decides nothing: each effect of a [`Plan`] becomes the statement that
//! stores its values, and the ledger rows of the whole plan are one multi-row
//! `INSERT` at the end. Stock and points movements are written in one of two
//! ways, by who calls:
//!
//! - [`apply_plan`], for plans made from rows read under `FOR UPDATE`: each
//!   movement is relative to the stored value and guarded by the value the plan
//!   started from, so it leaves exactly the plan's `after`
//!   (`SET q = q + change … WHERE q = after − change`; a run of stock movements
//!   is one `UPDATE`). A row the guard does not match means the stored value
//!   diverged from the plan, and the transaction rolls back — never a silent
//!   divergence. Since every row the plan moves was locked, that only happens
//!   if another writer broke the lock order (or on Galera, where locks are local).
//! - [`apply_late`], for a checkout or cancel planned from an unlocked
//!   snapshot, so that its hot rows are locked as late and as briefly as
//!   possible: every other effect (order row, items, notice and its
//!   deliveries, idempotency key) is written first; then the stock by one
//!   conditional statement on the primary key, each row only while its level
//!   stays within `0..=MAX_STOCK` (`SET q = q + change WHERE id IN (…) AND q
//!   BETWEEN max(0, −change) AND MAX_STOCK − change`, the rows locked in
//!   product-id order); then the points, each as [`PointsGuard`] says; the
//!   ledger records the stock levels those statements actually left (read by
//!   the ledger `INSERT` itself). A movement whose guard fails answers
//!   [`Shortfall`]: the transaction must roll back, and the caller decides
//!   again from locked rows (the exact refusal, or the exact plan).
//! - [`apply_adjustment_late`], for a manual stock or points adjustment
//!   planned from an unlocked snapshot: [`apply_plan`]'s exact guards, a
//!   mismatch answering [`Shortfall`] like a late movement's.
//!
//! [`apply_effects`] only dispatches: each effect's statements live with
//! their area — `orders` (orders, cancels, notices, idempotency keys),
//! `movements` (stock, points and the ledger), `settlement` (payments, the
//! money ledger, shipments), `returns` (releases of units, returns,
//! refunds), `access` (sessions,
//! passwords, staff keys, profiles) and `catalog` (products, ladders, tax
//! regions, coupons, the change log).

mod access;
mod catalog;
mod movements;
mod orders;
mod returns;
mod settlement;

use shopcore::{
    Effect, Notification, OrderId, Plan, PointsMoved, StaffKeyId, StockMoved, StorageError,
};
use shopcore::{FulfillmentId, PaymentId, ProductId, RefundId, ReturnId};

use crate::backend::Backend;
use crate::error::{diverged, DbError};
use crate::faults::{Faults, WriteStep};
use crate::rows::LedgerEntry;

use crate::transaction::Attempt;
use movements::{move_points, move_stock, take_points, take_stock, write_ledger, StockBalance};

/// What applying a plan stored that the caller could not know in advance.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// The id of the order the plan placed, if it placed one.
    pub order_id: Option<OrderId>,
    /// The notifications it logged, in plan order.
    pub notices: Vec<Notification>,
    /// The id of the staff key the plan issued, if it issued one.
    pub staff_key_id: Option<StaffKeyId>,
    /// The id of the product the plan created, if it created one.
    pub product_id: Option<ProductId>,
    /// The id of the payment the plan recorded, if it recorded one.
    pub payment_id: Option<PaymentId>,
    /// The id of the shipment the plan recorded, if it recorded one.
    pub fulfillment_id: Option<FulfillmentId>,
    /// The id of the return the plan created, if it created one.
    pub return_id: Option<ReturnId>,
    /// The id of the refund the plan recorded, if it recorded one.
    pub refund_id: Option<RefundId>,
}

/// Applies `plan`, made from locked rows, in the open transaction on `conn`.
pub(crate) async fn apply_plan<C: Backend>(
    conn: &mut C,
    plan: &Plan,
    faults: &Faults,
) -> Result<Applied, DbError> {
    faults.before_apply(conn).await?;
    let mut ledger = Vec::new();
    let applied = apply_effects(conn, plan, faults, None, &mut ledger).await?;
    write_ledger(conn, &ledger, StockBalance::Planned, faults).await?;
    Ok(applied)
}

/// Applies `plan`, a manual adjustment made from an unlocked snapshot, in
/// the open transaction on `conn`: as [`apply_plan`] (each movement guarded
/// by the exact value the plan started from), except that a row another
/// writer changed since the snapshot answers [`Shortfall`] rather than an
/// error, so that the caller decides again from locked rows. The row is
/// locked only by its one guarded `UPDATE`, not by the read before it.
///
/// Only for plans whose every guarded write is a stock or points movement
/// (`shopcore::plan_stock_adjustment`, `shopcore::plan_points_adjustment`).
pub(crate) async fn apply_adjustment_late<C: Backend>(
    conn: &mut C,
    plan: &Plan,
    faults: &Faults,
) -> Attempt<Applied, Shortfall> {
    match apply_plan(conn, plan, faults).await {
        Ok(applied) => Ok(Ok(applied)),
        Err(DbError::Diverged(_)) => Ok(Err(Shortfall)),
        Err(failed) => Err(failed),
    }
}

/// A late movement's guard failed (too little stock or too few points left,
/// no room for returned stock, a balance changed): some movements may have
/// been made, so the transaction must roll back.
#[derive(Debug)]
pub(crate) struct Shortfall;

/// What a late points movement requires of the customer's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PointsGuard {
    /// A checkout: points are taken only while that many are held (added
    /// points always fit); the ledger records the balance left.
    Enough,
    /// A cancel: the balance is the one the plan started from
    /// (`shopcore::CancelConditions`), so the plan's balances are exact. A
    /// chain of movements of one customer (points returned, then revoked) is
    /// one statement.
    Planned,
}

/// A plan's movements, held back to be written after every other effect.
#[derive(Default)]
struct Deferred<'p> {
    stock: Vec<&'p StockMoved>,
    points: Vec<&'p PointsMoved>,
}

/// Applies `plan`, made from an unlocked snapshot, in the open transaction on
/// `conn`: every other effect first, then the movements, each guarded (see
/// the module docs). `Ok(Err(shortfall))` when a guard failed; the
/// transaction must roll back.
pub(crate) async fn apply_late<C: Backend>(
    conn: &mut C,
    plan: &Plan,
    points_guard: PointsGuard,
    faults: &Faults,
) -> Attempt<Applied, Shortfall> {
    faults.before_apply(conn).await?;
    let at = plan.at();
    let mut ledger = Vec::new();
    let mut deferred = Deferred::default();
    let applied = apply_effects(conn, plan, faults, Some(&mut deferred), &mut ledger).await?;
    if !deferred.stock.is_empty() {
        deferred.stock.sort_by_key(|moved| moved.product); // as the rows are locked
        if !take_stock(conn, &deferred.stock, at).await? {
            return Ok(Err(Shortfall));
        }
        for moved in &deferred.stock {
            // `after` is the snapshot's; the row stores what others left plus
            // `change`, and the ledger INSERT records that (`StockBalance::AsLeft`).
            ledger.push(LedgerEntry::Stock(moved.entry(applied.order_id, at)?));
        }
        faults.check(WriteStep::StockMoved)?;
    }
    match points_guard {
        PointsGuard::Enough => {
            for moved in &deferred.points {
                let Some(after) = take_points(conn, moved).await? else {
                    return Ok(Err(Shortfall));
                };
                let actual = PointsMoved { after, ..**moved };
                ledger.push(LedgerEntry::Points(actual.entry(applied.order_id, at)?));
                faults.check(WriteStep::PointsMoved)?;
            }
        }
        PointsGuard::Planned => {
            for run in chained_points(&deferred.points) {
                if !move_points(conn, &run.whole).await? {
                    return Ok(Err(Shortfall));
                }
                for moved in run.moves {
                    ledger.push(LedgerEntry::Points(moved.entry(applied.order_id, at)?));
                }
                faults.check(WriteStep::PointsMoved)?;
            }
        }
    }
    write_ledger(conn, &ledger, StockBalance::AsLeft, faults).await?;
    Ok(Ok(applied))
}

/// Consecutive points movements of one customer, each starting where the one
/// before ended, and the one movement they add up to.
struct PointsRun<'a, 'p> {
    moves: &'a [&'p PointsMoved],
    whole: PointsMoved,
}

/// `moves` cut into [`PointsRun`]s: a cancel's points returned and points
/// revoked become one statement on the customer's row instead of two.
fn chained_points<'a, 'p>(moves: &'a [&'p PointsMoved]) -> Vec<PointsRun<'a, 'p>> {
    let mut runs = Vec::new();
    let mut start = 0;
    while let Some(first) = moves.get(start) {
        let before = first.after - first.change;
        let mut end = start + 1;
        while let Some(next) = moves.get(end) {
            let chained =
                next.customer == first.customer && next.after - next.change == moves[end - 1].after;
            if !chained {
                break;
            }
            end += 1;
        }
        let last = moves[end - 1];
        runs.push(PointsRun {
            moves: &moves[start..end],
            whole: PointsMoved {
                change: last.after - before,
                after: last.after,
                ..**first
            },
        });
        start = end;
    }
    runs
}

/// Applies every effect of `plan` but the ledger (pushed onto `ledger`);
/// with `deferred`, stock and points movements are held back there instead.
async fn apply_effects<'p, C: Backend>(
    conn: &mut C,
    plan: &'p Plan,
    faults: &Faults,
    mut deferred: Option<&mut Deferred<'p>>,
    ledger: &mut Vec<LedgerEntry>,
) -> Result<Applied, DbError> {
    let at = plan.at();
    let mut applied = Applied::default();
    let effects = plan.effects();
    let mut next = 0;
    while let Some(effect) = effects.get(next) {
        next += 1;
        if let Some(later) = deferred.as_deref_mut() {
            match effect {
                Effect::StockMoved(moved) => {
                    later.stock.push(moved);
                    continue;
                }
                Effect::PointsMoved(moved) => {
                    later.points.push(moved);
                    continue;
                }
                _ => {}
            }
        }
        match effect {
            Effect::OrderPlaced(order) => {
                applied.order_id = Some(orders::insert_order(conn, order).await?);
                faults.check(WriteStep::OrderPlaced)?;
            }
            Effect::OrderCancelled {
                order,
                points_revoked,
                refund_due,
            } => {
                orders::cancel_order(conn, *order, *points_revoked, *refund_due).await?;
                faults.check(WriteStep::OrderCancelled)?;
            }
            Effect::StockMoved(first) => {
                let mut run = vec![first];
                while let Some(Effect::StockMoved(moved)) = effects.get(next) {
                    run.push(moved);
                    next += 1;
                }
                move_stock(conn, &run, at).await?;
                for moved in run {
                    ledger.push(LedgerEntry::Stock(moved.entry(applied.order_id, at)?));
                }
                faults.check(WriteStep::StockMoved)?;
            }
            Effect::PointsMoved(moved) => {
                if !move_points(conn, moved).await? {
                    return Err(diverged(format_args!(
                        "points of customer {}",
                        moved.customer
                    )));
                }
                ledger.push(LedgerEntry::Points(moved.entry(applied.order_id, at)?));
                faults.check(WriteStep::PointsMoved)?;
            }
            Effect::PaymentRecorded(payment) => {
                let id = settlement::record_payment(conn, payment, at).await?;
                applied.payment_id = Some(id);
                faults.check(WriteStep::PaymentRecorded)?;
            }
            Effect::PaymentChanged {
                order,
                payment,
                status,
                amount_captured,
                amount_released,
                amount_refunded,
            } => {
                let change = settlement::PaymentChange {
                    order: *order,
                    payment: *payment,
                    status: *status,
                    amount_captured: *amount_captured,
                    amount_released: *amount_released,
                    amount_refunded: *amount_refunded,
                };
                settlement::change_payment(conn, &change, at).await?;
                faults.check(WriteStep::PaymentChanged)?;
            }
            Effect::MoneyMoved(first) => {
                // A run of movements (a payment's authorization and capture,
                // a capture and the release of its rest) is one statement.
                let mut run = vec![first.entry(applied.payment_id, at)?];
                while let Some(Effect::MoneyMoved(moved)) = effects.get(next) {
                    run.push(moved.entry(applied.payment_id, at)?);
                    next += 1;
                }
                settlement::move_money(conn, &run).await?;
                faults.check(WriteStep::MoneyMoved)?;
            }
            Effect::FulfillmentCreated(fulfillment) => {
                let id = settlement::insert_fulfillment(conn, fulfillment, at).await?;
                applied.fulfillment_id = Some(id);
                faults.check(WriteStep::FulfillmentCreated)?;
            }
            Effect::ReturnCreated(new) => {
                applied.return_id = Some(returns::insert_return(conn, new, at).await?);
                faults.check(WriteStep::ReturnCreated)?;
            }
            Effect::ReturnChanged {
                order,
                return_id,
                status,
                restock,
            } => {
                returns::change_return(conn, *order, *return_id, (*status, *restock), at).await?;
                faults.check(WriteStep::ReturnChanged)?;
            }
            Effect::UnitsReleased { order, release } => {
                returns::insert_release(conn, *order, release, applied.return_id).await?;
                faults.check(WriteStep::UnitsReleased)?;
            }
            Effect::RefundRecorded(refund) => {
                let id = returns::insert_refund(conn, refund, applied.return_id, at).await?;
                applied.refund_id = Some(id);
                faults.check(WriteStep::RefundRecorded)?;
            }
            Effect::NoticeLogged(notice) => {
                let logged = orders::insert_notice(conn, notice, applied.order_id, at).await?;
                applied.notices.push(logged);
                faults.check(WriteStep::NoticeLogged)?;
            }
            Effect::KeyBound {
                customer,
                key,
                fingerprint,
            } => {
                let order = applied
                    .order_id
                    .ok_or_else(|| StorageError::Failure("a key bound without an order".into()))?;
                orders::bind_key(conn, *customer, key, fingerprint, order).await?;
                faults.check(WriteStep::KeyBound)?;
            }
            Effect::SessionOpened {
                token,
                customer,
                expires_at,
            } => {
                access::open_session(conn, token, *customer, *expires_at, at).await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::SessionsRevoked(scope) => {
                access::revoke_sessions(conn, scope, at).await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::PasswordChanged { customer, hash } => {
                access::change_password(conn, *customer, hash).await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::StaffKeyIssued { name, role, key } => {
                applied.staff_key_id = access::issue_staff_key(conn, name, *role, key, at).await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::StaffKeyRevoked { key } => {
                access::revoke_staff_key(conn, *key, at).await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::ProfileChanged {
                customer,
                name,
                email,
                phone,
            } => {
                access::change_profile(conn, *customer, name, email, phone.as_ref()).await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::ProductCreated(new) => {
                let id = catalog::insert_product(conn, new, at).await?;
                applied.product_id = Some(id);
                ledger.extend(new.opening_entry(id, at).map(LedgerEntry::Stock));
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::ProductChanged(changed) => {
                catalog::change_product(conn, changed, at).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::LadderReplaced { product, ladder } => {
                catalog::replace_ladder(conn, *product, ladder).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::TaxRateSet { region, rate } => {
                catalog::set_tax_rate(conn, region, rate).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::TaxRegionRemoved { region } => {
                catalog::remove_tax_region(conn, region).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::CouponSaved { coupon, created } => {
                catalog::save_coupon(conn, coupon, *created, at).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::CatalogChangeLogged(record) => {
                catalog::log_change(conn, record, applied.product_id, at).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
        }
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopcore::{CustomerId, OrderRef, Reason};

    fn moved(customer: i64, change: i64, after: i64) -> PointsMoved {
        PointsMoved {
            customer: CustomerId::new(customer).unwrap(),
            change,
            after,
            reason: Reason::Cancel(OrderRef::Existing(OrderId::new(9).unwrap())),
        }
    }

    #[test]
    fn chained_points_of_one_customer_are_one_movement() {
        // 10 redeemed points back (50 → 60), then 59 earned revoked (60 → 1):
        // one statement from 50 to 1; then another customer's, alone.
        let (returned, revoked, other) = (moved(3, 10, 60), moved(3, -59, 1), moved(4, -5, 0));
        let moves = [&returned, &revoked, &other];
        let runs = chained_points(&moves);
        let summary: Vec<_> = runs
            .iter()
            .map(|run| {
                (
                    run.moves.len(),
                    run.whole.customer.get(),
                    run.whole.change,
                    run.whole.after,
                )
            })
            .collect();
        assert_eq!(summary, vec![(2, 3, -49, 1), (1, 4, -5, 0)]);
    }

    #[test]
    fn movements_that_do_not_chain_stay_apart() {
        // The second does not start where the first ended (60 ≠ 61 − 2).
        let (first, second) = (moved(3, 10, 60), moved(3, -2, 61));
        let moves = [&first, &second];
        let runs = chained_points(&moves);
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[1].whole.change, runs[1].whole.after), (-2, 61));
    }
}
