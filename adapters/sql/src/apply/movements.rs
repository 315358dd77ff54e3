//! Stock and points movements — the hot rows, each moved by one guarded
//! statement — and the ledger rows that record them.

use crate::faults::Faults;
use crate::WriteStep;
use chrono::{DateTime, Utc};
use const_format::concatcp;
use shopcore::{PointsMoved, StockMoved, MAX_STOCK};

use crate::backend::Backend;
use crate::error::{diverged, DbError};
use crate::rows::{utc, LedgerEntry, LEDGER_COLUMNS};
use crate::stmt::{query, Builder};

/// Where the stock balances a ledger `INSERT` records come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StockBalance {
    /// The entries' own `after` (a plan made from locked rows knows it).
    Planned,
    /// The row as this transaction left it, read by the `INSERT` itself.
    AsLeft,
}

pub(super) async fn write_ledger<C: Backend>(
    conn: &mut C,
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

/// What a stock `UPDATE` requires of each row it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StockGuard {
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
pub(super) async fn update_stock<C: Backend>(
    conn: &mut C,
    run: &[&StockMoved],
    at: DateTime<Utc>,
    guard: StockGuard,
) -> Result<u64, DbError> {
    let mut sql = Builder::new(
        "UPDATE inventory FORCE INDEX (PRIMARY) SET quantity_available = quantity_available + ",
    );
    push_case(&mut sql, run, |moved| moved.change);
    sql.push(", last_updated = ").push_bind(utc(at));
    sql.push(" WHERE product_id IN ");
    sql.push_in_list(run.iter().map(|moved| moved.product.get()));
    match guard {
        StockGuard::Planned => {
            sql.push(" AND quantity_available = ");
            push_case(&mut sql, run, |moved| i64::from(moved.after) - moved.change);
        }
        StockGuard::Fits => {
            sql.push(" AND quantity_available BETWEEN ");
            push_case(&mut sql, run, |moved| moved.change.min(0).saturating_neg());
            sql.push(" AND ");
            push_case(&mut sql, run, |moved| {
                i64::from(MAX_STOCK).saturating_sub(moved.change)
            });
        }
    }
    Ok(sql.build().execute(&mut *conn).await?.rows_affected)
}

/// Pushes `CASE product_id WHEN ? THEN ? … END`: for each product of `run`,
/// `value` of its movement.
fn push_case(sql: &mut Builder, run: &[&StockMoved], value: impl Fn(&StockMoved) -> i64) {
    sql.push("CASE product_id ");
    for moved in run {
        sql.push("WHEN ")
            .push_bind(moved.product.get())
            .push(" THEN ")
            .push_bind(value(moved))
            .push(" ");
    }
    sql.push("END");
}

/// Moves a run of stock, each row guarded by its `after` ([`StockGuard::Planned`]):
/// a row that does not match means the stored value diverged from the plan.
pub(super) async fn move_stock<C: Backend>(
    conn: &mut C,
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
pub(super) async fn take_stock<C: Backend>(
    conn: &mut C,
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
pub(super) async fn take_points<C: Backend>(
    conn: &mut C,
    moved: &PointsMoved,
) -> Result<Option<i64>, DbError> {
    let floor = if moved.change < 0 {
        moved.change.saturating_neg()
    } else {
        i64::MIN
    };
    if C::UPDATE_RETURNING {
        return Ok(query(
            "UPDATE customers SET loyalty_points = loyalty_points + ? \
             WHERE customer_id = ? AND loyalty_points >= ? RETURNING loyalty_points",
        )
        .bind(moved.change)
        .bind(moved.customer.get())
        .bind(floor)
        .scalar_optional::<_, i64>(conn)
        .await?);
    }
    // The row keeps the balance; LAST_INSERT_ID remembers it plus the offset.
    let updated = query(
        "UPDATE customers \
         SET loyalty_points = CAST(LAST_INSERT_ID(loyalty_points + ? + ?) AS SIGNED) - ? \
         WHERE customer_id = ? AND loyalty_points >= ?",
    )
    .bind(moved.change)
    .bind(POINTS_OFFSET)
    .bind(POINTS_OFFSET)
    .bind(moved.customer.get())
    .bind(floor)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    Ok(Some(updated.last_insert_id - POINTS_OFFSET))
}

/// Moves a customer's points by `moved.change` from exactly the balance the
/// plan started from (`after − change`); answers whether the row matched.
pub(super) async fn move_points<C: Backend>(
    conn: &mut C,
    moved: &PointsMoved,
) -> Result<bool, DbError> {
    let before = i128::from(moved.after) - i128::from(moved.change);
    let updated = query(
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
    Ok(updated.rows_affected == 1)
}

pub(super) async fn insert_ledger<C: Backend>(
    conn: &mut C,
    entries: &[LedgerEntry],
    stock_balance: StockBalance,
) -> Result<(), DbError> {
    let as_left = |entry: &LedgerEntry| {
        stock_balance == StockBalance::AsLeft && matches!(entry, LedgerEntry::Stock(_))
    };
    let mut sql = Builder::new(concatcp!(
        "INSERT INTO ledger_entries (",
        LEDGER_COLUMNS,
        ") "
    ));
    sql.push_values(entries, |mut values, entry| {
        let row = entry.columns();
        values
            .push_bind(row.product_id)
            .push_bind(row.customer_id)
            .push_bind(row.delta);
        if as_left(entry) {
            values
                .push("(SELECT quantity_available FROM inventory WHERE product_id = ")
                .push_bind_unseparated(row.product_id)
                .push_unseparated(")");
        } else {
            values.push_bind(row.balance_after);
        }
        values
            .push_bind(row.reason)
            .push_bind(row.order_id)
            .push_bind(utc(row.recorded_at));
    });
    sql.build().execute(&mut *conn).await?;
    Ok(())
}
