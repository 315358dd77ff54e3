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

use chrono::{DateTime, Utc};
use shopcore::{ChangeRecord, ChangeSubject, ChangeValue, NewProduct, ProductId, TierLadder};
use shopcore::{Coupon, CouponValue};
use shopcore::{
    CustomerId, Effect, IdempotencyKey, NewOrder, NoticeLogged, Notification, NotificationId,
    OrderId, OrderStatus, Plan, PointsMoved, RequestFingerprint, SessionScope, StaffKeyId,
    StockMoved, StorageError, TokenHash, MAX_STOCK,
};
use sqlx::MySqlConnection;

use crate::admin::actor_columns;
use crate::error::{diverged, DbError};
use crate::rows::{placeholders, utc, LedgerEntry, LEDGER_COLUMNS};
use crate::transaction::Attempt;
use crate::workflow::{Faults, WriteStep};

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
}

/// Applies `plan`, made from locked rows, in the open transaction on `conn`.
pub(crate) async fn apply_plan(
    conn: &mut MySqlConnection,
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
pub(crate) async fn apply_adjustment_late(
    conn: &mut MySqlConnection,
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
pub(crate) async fn apply_late(
    conn: &mut MySqlConnection,
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

/// Where the stock balances a ledger `INSERT` records come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StockBalance {
    /// The entries' own `after` (a plan made from locked rows knows it).
    Planned,
    /// The row as this transaction left it, read by the `INSERT` itself.
    AsLeft,
}

async fn write_ledger(
    conn: &mut MySqlConnection,
    ledger: &[LedgerEntry],
    stock_balance: StockBalance,
    faults: &Faults,
) -> Result<(), DbError> {
    if !ledger.is_empty() {
        insert_ledger(conn, ledger, stock_balance).await?;
        faults.check(WriteStep::LedgerWritten)?;
    }
    Ok(())
}

/// Applies every effect of `plan` but the ledger (pushed onto `ledger`);
/// with `deferred`, stock and points movements are held back there instead.
async fn apply_effects<'p>(
    conn: &mut MySqlConnection,
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
                applied.order_id = Some(insert_order(conn, order).await?);
                faults.check(WriteStep::OrderPlaced)?;
            }
            Effect::OrderCancelled {
                order,
                points_revoked,
            } => {
                cancel_order(conn, *order, *points_revoked).await?;
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
            Effect::NoticeLogged(notice) => {
                let logged = insert_notice(conn, notice, applied.order_id, at).await?;
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
                bind_key(conn, *customer, key, fingerprint, order).await?;
                faults.check(WriteStep::KeyBound)?;
            }
            Effect::SessionOpened {
                token,
                customer,
                expires_at,
            } => {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, customer_id, created_at, expires_at) \
                     VALUES (?, ?, ?, ?)",
                )
                .bind(token.as_str())
                .bind(customer.get())
                .bind(utc(at))
                .bind(utc(*expires_at))
                .execute(&mut *conn)
                .await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::SessionsRevoked(scope) => {
                revoke_sessions(conn, scope, at).await?;
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::PasswordChanged { customer, hash } => {
                let updated =
                    sqlx::query("UPDATE customers SET password_hash = ? WHERE customer_id = ?")
                        .bind(hash.as_str())
                        .bind(customer.get())
                        .execute(&mut *conn)
                        .await?;
                if updated.rows_affected() != 1 {
                    return Err(diverged(format_args!("customer {customer}")));
                }
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::StaffKeyIssued { name, role, key } => {
                let inserted = sqlx::query(
                    "INSERT INTO staff_keys (name, role, key_hash, created_at) VALUES (?, ?, ?, ?)",
                )
                .bind(name.as_str())
                .bind(role.as_str())
                .bind(key.as_str())
                .bind(utc(at))
                .execute(&mut *conn)
                .await?;
                applied.staff_key_id = i64::try_from(inserted.last_insert_id())
                    .ok()
                    .and_then(|id| StaffKeyId::new(id).ok());
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::StaffKeyRevoked { key } => {
                let updated = sqlx::query(
                    "UPDATE staff_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?",
                )
                .bind(utc(at))
                .bind(key.get())
                .execute(&mut *conn)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err(diverged(format_args!("staff key {key}")));
                }
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::ProductCreated(new) => {
                let id = insert_product(conn, new, at).await?;
                applied.product_id = Some(id);
                ledger.extend(new.opening_entry(id, at).map(LedgerEntry::Stock));
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::ProductChanged(changed) => {
                let updated = sqlx::query(
                    "UPDATE inventory SET product_name = ?, unit_price = ?, retired = ?, last_updated = ? \
                     WHERE product_id = ?",
                )
                .bind(changed.name.as_str())
                .bind(changed.unit_price.amount())
                .bind(changed.retired)
                .bind(utc(at))
                .bind(changed.product.get())
                .execute(&mut *conn)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err(diverged(format_args!("product {}", changed.product)));
                }
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::LadderReplaced { product, ladder } => {
                replace_ladder(conn, *product, ladder).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::TaxRateSet { region, rate } => {
                // An existing region keeps its stored spelling.
                sqlx::query(
                    "INSERT INTO tax_rates (region, tax_rate) VALUES (?, ?) \
                     ON DUPLICATE KEY UPDATE tax_rate = VALUES(tax_rate)",
                )
                .bind(region.as_str())
                .bind(rate.value())
                .execute(&mut *conn)
                .await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::TaxRegionRemoved { region } => {
                let deleted = sqlx::query("DELETE FROM tax_rates WHERE region = ?")
                    .bind(region.as_str())
                    .execute(&mut *conn)
                    .await?;
                if deleted.rows_affected() != 1 {
                    return Err(diverged(format_args!("tax rate of {region}")));
                }
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::ProfileChanged {
                customer,
                name,
                email,
                phone,
            } => {
                let updated = sqlx::query(
                    "UPDATE customers SET name = ?, email = ?, phone = ? WHERE customer_id = ?",
                )
                .bind(name.as_str())
                .bind(email.as_str())
                .bind(phone.as_ref().map(|p| p.as_str()))
                .bind(customer.get())
                .execute(&mut *conn)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err(diverged(format_args!("profile of customer {customer}")));
                }
                faults.check(WriteStep::AccessChanged)?;
            }
            Effect::CouponSaved { coupon, created } => {
                save_coupon(conn, coupon, *created, at).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
            Effect::CatalogChangeLogged(record) => {
                log_change(conn, record, applied.product_id, at).await?;
                faults.check(WriteStep::CatalogChanged)?;
            }
        }
    }
    Ok(applied)
}

async fn insert_order(conn: &mut MySqlConnection, order: &NewOrder) -> Result<OrderId, DbError> {
    let inserted = sqlx::query(
        "INSERT INTO orders (customer_id, total_amount, status, created_at, subtotal, tax, region, points_earned, \
         coupon_code, coupon_discount, points_redeemed, points_value) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(order.customer_id.get())
    .bind(order.total_amount.amount())
    .bind(OrderStatus::Created.as_str())
    .bind(utc(order.created_at))
    .bind(order.subtotal.amount())
    .bind(order.tax.amount())
    .bind(order.region.as_str())
    .bind(order.points_earned)
    .bind(order.coupon.as_ref().map(|code| code.as_str()))
    .bind(order.coupon_discount.amount())
    .bind(order.points_redeemed)
    .bind(order.points_value.amount())
    .execute(&mut *conn)
    .await?;
    let order_id = i64::try_from(inserted.last_insert_id())
        .ok()
        .and_then(|id| OrderId::new(id).ok())
        .ok_or_else(|| StorageError::Failure("orders returned no id".to_owned()))?;

    let sql = format!(
        "INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount, line_total, \
         coupon_share, points_share) VALUES {}",
        vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; order.items.len()].join(", ")
    );
    let mut query = sqlx::query(&sql);
    for item in &order.items {
        query = query
            .bind(order_id.get())
            .bind(item.product_id.get())
            .bind(item.quantity.get())
            .bind(item.unit_price.amount())
            .bind(item.discount.amount())
            .bind(item.line_total.amount())
            .bind(item.coupon_share.amount())
            .bind(item.points_share.amount());
    }
    query.execute(&mut *conn).await?;
    Ok(order_id)
}

/// Inserts a new coupon, or replaces the stored one's values (the row must exist).
async fn save_coupon(
    conn: &mut MySqlConnection,
    coupon: &Coupon,
    created: bool,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let (percent_off, amount_off) = match coupon.value {
        CouponValue::PercentOff(percent) => (Some(percent.value()), None),
        CouponValue::AmountOff(amount) => (None, Some(amount.amount())),
    };
    let sql = if created {
        "INSERT INTO coupons (percent_off, amount_off, min_subtotal, valid_from, valid_until, \
         max_redemptions, max_per_customer, active, updated_at, code, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    } else {
        "UPDATE coupons SET percent_off = ?, amount_off = ?, min_subtotal = ?, valid_from = ?, \
         valid_until = ?, max_redemptions = ?, max_per_customer = ?, active = ?, updated_at = ? \
         WHERE code = ?"
    };
    let mut query = sqlx::query(sql)
        .bind(percent_off)
        .bind(amount_off)
        .bind(coupon.min_subtotal.amount())
        .bind(coupon.valid_from.map(utc))
        .bind(coupon.valid_until.map(utc))
        .bind(coupon.max_redemptions)
        .bind(coupon.max_per_customer)
        .bind(coupon.active)
        .bind(utc(at))
        .bind(coupon.code.as_str());
    if created {
        query = query.bind(utc(at));
    }
    let written = query.execute(&mut *conn).await?;
    if written.rows_affected() != 1 {
        return Err(diverged(format_args!("coupon {}", coupon.code)));
    }
    Ok(())
}

async fn cancel_order(
    conn: &mut MySqlConnection,
    order: OrderId,
    points_revoked: u64,
) -> Result<(), DbError> {
    let updated = sqlx::query(
        "UPDATE orders SET status = ?, points_revoked = ? WHERE order_id = ? AND status = ?",
    )
    .bind(OrderStatus::Cancelled.as_str())
    .bind(points_revoked)
    .bind(order.get())
    .bind(OrderStatus::Created.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(diverged(format_args!("status of order {order}")));
    }
    Ok(())
}

/// What a stock `UPDATE` requires of each row it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StockGuard {
    /// Exactly the value the plan started from (`after − change`).
    Planned,
    /// Whatever value leaves the level within `0..=MAX_STOCK`: at least what
    /// the movement takes, at most `MAX_STOCK` less what it adds.
    Fits,
}

/// One `UPDATE` moving each product's stock by its `change` (relative to the
/// stored value) where `guard` holds; answers how many rows it changed.
///
/// It reaches its rows only through the primary key (`FORCE INDEX`), in
/// product-id order: after a server restart the optimizer chose a scan of
/// `inventory` from its fresh statistics, which X-locked every product, not
/// only the cart's, and deadlocked with checkouts holding those (7–11 of
/// about 600 calls gave up after the retries in `test_restart_under_load.py`
/// before this hint; none since).
async fn update_stock(
    conn: &mut MySqlConnection,
    run: &[&StockMoved],
    at: DateTime<Utc>,
    guard: StockGuard,
) -> Result<u64, DbError> {
    let cases = "WHEN ? THEN ? ".repeat(run.len());
    let test = match guard {
        StockGuard::Planned => format!("= CASE product_id {cases}END"),
        StockGuard::Fits => {
            format!("BETWEEN CASE product_id {cases}END AND CASE product_id {cases}END")
        }
    };
    let sql = format!(
        "UPDATE inventory FORCE INDEX (PRIMARY) \
         SET quantity_available = quantity_available + CASE product_id {cases}END, \
         last_updated = ? \
         WHERE product_id IN ({}) AND quantity_available {test}",
        placeholders(run.len())
    );
    let mut query = sqlx::query(&sql);
    for moved in run {
        query = query.bind(moved.product.get()).bind(moved.change);
    }
    query = query.bind(utc(at));
    for moved in run {
        query = query.bind(moved.product.get());
    }
    match guard {
        StockGuard::Planned => {
            for moved in run {
                let before = i64::from(moved.after) - moved.change;
                query = query.bind(moved.product.get()).bind(before);
            }
        }
        StockGuard::Fits => {
            for moved in run {
                let least = moved.change.min(0).saturating_neg();
                query = query.bind(moved.product.get()).bind(least);
            }
            for moved in run {
                let most = i64::from(MAX_STOCK).saturating_sub(moved.change);
                query = query.bind(moved.product.get()).bind(most);
            }
        }
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

/// Moves a run of stock, each row guarded by its `after` ([`StockGuard::Planned`]):
/// a row that does not match means the stored value diverged from the plan.
async fn move_stock(
    conn: &mut MySqlConnection,
    run: &[&StockMoved],
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    if update_stock(conn, run, at, StockGuard::Planned).await? != run.len() as u64 {
        let products: Vec<String> = run.iter().map(|m| m.product.to_string()).collect();
        return Err(diverged(format_args!(
            "stock of products {}",
            products.join(", ")
        )));
    }
    Ok(())
}

/// Moves stock where every row's level stays within `0..=MAX_STOCK`
/// ([`StockGuard::Fits`]): a cart taken while enough is left, or an order's
/// units returned while there is room. Answers whether every row moved. When
/// one did not, others may have: the transaction must roll back.
async fn take_stock(
    conn: &mut MySqlConnection,
    run: &[&StockMoved],
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(update_stock(conn, run, at, StockGuard::Fits).await? == run.len() as u64)
}

/// What [`take_points`] adds to a balance before handing it to
/// `LAST_INSERT_ID`, which holds only unsigned values: a balance may be below
/// zero (points owed), but never below −2 × `MAX_POINTS`, far above −2⁶².
const POINTS_OFFSET: i64 = 1 << 62;

/// Moves a customer's points by `moved.change` by one statement, taking
/// points only while that many are held (adding never falls short, even to a
/// balance below zero); answers the balance it left, or `None`.
async fn take_points(
    conn: &mut MySqlConnection,
    moved: &PointsMoved,
) -> Result<Option<i64>, DbError> {
    // The row keeps the balance; LAST_INSERT_ID remembers it plus the offset.
    let updated = sqlx::query(
        "UPDATE customers \
         SET loyalty_points = CAST(LAST_INSERT_ID(loyalty_points + ? + ?) AS SIGNED) - ? \
         WHERE customer_id = ? AND loyalty_points >= ?",
    )
    .bind(moved.change)
    .bind(POINTS_OFFSET)
    .bind(POINTS_OFFSET)
    .bind(moved.customer.get())
    .bind(if moved.change < 0 {
        moved.change.saturating_neg()
    } else {
        i64::MIN
    })
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(None);
    }
    let remembered = i64::try_from(updated.last_insert_id())
        .map_err(|_| diverged(format_args!("points of customer {}", moved.customer)))?;
    Ok(Some(remembered - POINTS_OFFSET))
}

/// Moves a customer's points by `moved.change` from exactly the balance the
/// plan started from (`after − change`); answers whether the row matched.
async fn move_points(conn: &mut MySqlConnection, moved: &PointsMoved) -> Result<bool, DbError> {
    let before = i128::from(moved.after) - i128::from(moved.change);
    let updated = sqlx::query(
        "UPDATE customers SET loyalty_points = loyalty_points + ? \
         WHERE customer_id = ? AND loyalty_points = ?",
    )
    .bind(moved.change)
    .bind(moved.customer.get())
    .bind(
        i64::try_from(before)
            .map_err(|_| diverged(format_args!("points of customer {}", moved.customer)))?,
    )
    .execute(&mut *conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

async fn insert_notice(
    conn: &mut MySqlConnection,
    notice: &NoticeLogged,
    placed: Option<OrderId>,
    at: DateTime<Utc>,
) -> Result<Notification, DbError> {
    let order_id = notice.order.resolve(placed)?;
    let message = notice.text.render(order_id);
    let result = sqlx::query(
        "INSERT INTO notification_log (order_id, customer_id, notification_type, message, sent_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(order_id.get())
    .bind(notice.customer.get())
    .bind(notice.kind.as_str())
    .bind(&message)
    .bind(utc(at))
    .execute(&mut *conn)
    .await?;
    let id = i64::try_from(result.last_insert_id())
        .ok()
        .and_then(|id| NotificationId::new(id).ok())
        .ok_or_else(|| StorageError::Failure("notification_log returned no id".to_owned()))?;
    let notification = Notification {
        id,
        order_id,
        customer_id: notice.customer,
        kind: notice.kind,
        message,
        sent_at: at,
    };
    crate::outbox::enqueue(conn, &notification).await?;
    Ok(notification)
}

/// Points the key this transaction claimed (`order_id = 0`) at its order.
async fn bind_key(
    conn: &mut MySqlConnection,
    customer: CustomerId,
    key: &IdempotencyKey,
    fingerprint: &RequestFingerprint,
    order: OrderId,
) -> Result<(), DbError> {
    let updated = sqlx::query(
        "UPDATE idempotency_keys SET order_id = ? \
         WHERE customer_id = ? AND idempotency_key = ? AND fingerprint = ? AND order_id = 0",
    )
    .bind(order.get())
    .bind(customer.get())
    .bind(key.as_str())
    .bind(fingerprint.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(diverged(format_args!(
            "claim of idempotency key {:?}",
            key.as_str()
        )));
    }
    Ok(())
}

async fn revoke_sessions(
    conn: &mut MySqlConnection,
    scope: &SessionScope,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    match scope {
        SessionScope::One(token) => {
            sqlx::query(
                "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            )
            .bind(utc(at))
            .bind(token.as_str())
            .execute(&mut *conn)
            .await?;
        }
        SessionScope::AllOf { customer, except } => {
            let keep = except.as_ref().map(TokenHash::as_str);
            sqlx::query(
                "UPDATE sessions SET revoked_at = ? WHERE customer_id = ? AND revoked_at IS NULL \
                 AND (? IS NULL OR token_hash <> ?)",
            )
            .bind(utc(at))
            .bind(customer.get())
            .bind(keep)
            .bind(keep)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn insert_ledger(
    conn: &mut MySqlConnection,
    entries: &[LedgerEntry],
    stock_balance: StockBalance,
) -> Result<(), DbError> {
    const KNOWN: &str = "(?, ?, ?, ?, ?, ?, ?)";
    const STOCK_AS_LEFT: &str =
        "(?, ?, ?, (SELECT quantity_available FROM inventory WHERE product_id = ?), ?, ?, ?)";
    let as_left = |entry: &LedgerEntry| {
        stock_balance == StockBalance::AsLeft && matches!(entry, LedgerEntry::Stock(_))
    };
    let rows: Vec<&str> = entries
        .iter()
        .map(|entry| if as_left(entry) { STOCK_AS_LEFT } else { KNOWN })
        .collect();
    let sql = format!(
        "INSERT INTO ledger_entries ({LEDGER_COLUMNS}) VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for entry in entries {
        let row = entry.columns();
        query = query
            .bind(row.product_id)
            .bind(row.customer_id)
            .bind(row.delta);
        query = if as_left(entry) {
            query.bind(row.product_id)
        } else {
            query.bind(row.balance_after)
        };
        query = query
            .bind(row.reason)
            .bind(row.order_id)
            .bind(utc(row.recorded_at));
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn insert_product(
    conn: &mut MySqlConnection,
    new: &NewProduct,
    at: DateTime<Utc>,
) -> Result<ProductId, DbError> {
    let inserted = sqlx::query(
        "INSERT INTO inventory (product_name, quantity_available, unit_price, last_updated, retired) \
         VALUES (?, ?, ?, ?, FALSE)",
    )
    .bind(new.name.as_str())
    .bind(new.quantity_available)
    .bind(new.unit_price.amount())
    .bind(utc(at))
    .execute(&mut *conn)
    .await?;
    Ok(i64::try_from(inserted.last_insert_id())
        .ok()
        .and_then(|id| ProductId::new(id).ok())
        .ok_or_else(|| StorageError::Failure("inventory returned no id".to_owned()))?)
}

/// The product's rules become exactly the ladder's rungs.
async fn replace_ladder(
    conn: &mut MySqlConnection,
    product: ProductId,
    ladder: &TierLadder,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM pricing_rules WHERE product_id = ?")
        .bind(product.get())
        .execute(&mut *conn)
        .await?;
    if ladder.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO pricing_rules (product_id, min_quantity, discount_percentage) VALUES {}",
        vec!["(?, ?, ?)"; ladder.rungs().len()].join(", ")
    );
    let mut query = sqlx::query(&sql);
    for rung in ladder.rungs() {
        query = query
            .bind(product.get())
            .bind(rung.min_quantity.get())
            .bind(rung.discount.value());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn log_change(
    conn: &mut MySqlConnection,
    record: &ChangeRecord,
    created: Option<ProductId>,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let subject = record.subject.resolve(created)?;
    let (product, region) = match &subject {
        ChangeSubject::Product(product) | ChangeSubject::Ladder(product) => (Some(*product), None),
        ChangeSubject::TaxRate(region) => (None, Some(region.as_str())),
    };
    let json = |value: &Option<ChangeValue>| {
        value
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StorageError::Failure(format!("cannot encode a change: {e}")))
    };
    let (kind, actor_id, role) = actor_columns(&record.actor);
    sqlx::query(
        "INSERT INTO catalog_changes (changed_at, actor_kind, actor_id, actor_role, subject, \
         product_id, region, before_value, after_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(utc(at))
    .bind(kind)
    .bind(actor_id)
    .bind(role)
    .bind(record.subject.kind())
    .bind(product.map(ProductId::get))
    .bind(region)
    .bind(json(&record.before)?)
    .bind(json(&record.after)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopcore::{OrderRef, Reason};

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
