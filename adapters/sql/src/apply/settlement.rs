//! Payments, the money ledger and shipments of an order.
//!
//! Every write that settles an order — a payment recorded, a payment's status
//! changed, a shipment — also bumps the order's `settlement_version`: on a
//! Galera cluster, where the `FOR UPDATE` lock on the order row is local to
//! one node, that write to one common row is what makes two nodes settling
//! the same order conflict at certification, so that one of them is rolled
//! back and rerun (see migration 14). On one server it changes nothing: the
//! order row is already locked by the transaction.

use chrono::{DateTime, Utc};
use const_format::concatcp;
use shopcore::{
    FulfillmentId, Money, MoneyEntry, NewFulfillment, NewPayment, OrderId, OrderStatus, PaymentId,
    PaymentState, StorageError,
};

use crate::backend::Backend;
use crate::error::{diverged, DbError};
use crate::rows::{inserted_id, utc, MONEY_LEDGER_COLUMNS};
use crate::stmt::{query, Builder};

/// Whose order a bump requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Standing {
    /// The order is `created` (a payment, a shipment or a return is recorded).
    Created,
    /// Any order (a payment changes, units are released or money refunded,
    /// also in a cancel that already set `cancelled`).
    Any,
}

/// Bumps the order's `settlement_version` (see the module docs); the order
/// must exist (and be `created`, as `standing` says), or the plan diverged.
pub(super) async fn bump_settlement<C: Backend>(
    conn: &mut C,
    order: OrderId,
    standing: Standing,
) -> Result<(), DbError> {
    const ANY: &str =
        "UPDATE orders SET settlement_version = settlement_version + 1 WHERE order_id = ?";
    const CREATED: &str = concatcp!(ANY, " AND status = 'created'");
    let sql = match standing {
        Standing::Created => CREATED,
        Standing::Any => ANY,
    };
    let updated = query(sql).bind(order.get()).execute(&mut *conn).await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!(
            "order {order} (expected {})",
            match standing {
                Standing::Created => OrderStatus::Created.as_str(),
                Standing::Any => "to exist",
            }
        )));
    }
    Ok(())
}

/// Stores a payment of an existing, `created` order; answers its id.
pub(super) async fn record_payment<C: Backend>(
    conn: &mut C,
    payment: &NewPayment,
    at: DateTime<Utc>,
) -> Result<PaymentId, DbError> {
    bump_settlement(conn, payment.order_id, Standing::Created).await?;
    let inserted = query(
        "INSERT INTO payments (order_id, method, reference, amount, status, amount_captured, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(payment.order_id.get())
    .bind(payment.method.as_str())
    .bind(payment.reference.as_str())
    .bind(payment.amount.amount())
    .bind(payment.status.as_str())
    .bind(payment.amount_captured.amount())
    .bind(utc(at))
    .bind(utc(at))
    .execute(&mut *conn)
    .await?;
    Ok(inserted_id(&inserted, "payments", PaymentId::new)?)
}

/// A stored payment's status and amounts, as a plan changes them.
pub(super) struct PaymentChange {
    pub(super) order: OrderId,
    pub(super) payment: PaymentId,
    pub(super) status: PaymentState,
    pub(super) amount_captured: Money,
    pub(super) amount_released: Money,
    pub(super) amount_refunded: Money,
}

/// Sets a payment's status and amounts. Only an authorized payment of that
/// order changes its status (a capture or a void), a payment keeping its
/// status only gains what is released or refunded (a partial release of an
/// authorization, a refund), or the plan diverged. Amounts are compared as
/// numbers (`CAST … AS DECIMAL`): a backend that keeps money as text would
/// otherwise compare it as text.
pub(super) async fn change_payment<C: Backend>(
    conn: &mut C,
    change: &PaymentChange,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let PaymentChange { order, payment, .. } = *change;
    bump_settlement(conn, order, Standing::Any).await?;
    let updated = query(
        "UPDATE payments SET status = ?, amount_captured = ?, amount_released = ?, \
         amount_refunded = ?, updated_at = ? \
         WHERE payment_id = ? AND order_id = ? AND (status = ? OR status = ?) \
         AND CAST(amount_released AS DECIMAL(12, 2)) <= CAST(? AS DECIMAL(12, 2)) \
         AND CAST(amount_refunded AS DECIMAL(12, 2)) <= CAST(? AS DECIMAL(12, 2))",
    )
    .bind(change.status.as_str())
    .bind(change.amount_captured.amount())
    .bind(change.amount_released.amount())
    .bind(change.amount_refunded.amount())
    .bind(utc(at))
    .bind(payment.get())
    .bind(order.get())
    .bind(PaymentState::Authorized.as_str())
    .bind(change.status.as_str())
    .bind(change.amount_released.amount())
    .bind(change.amount_refunded.amount())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!(
            "payment {payment} of order {order} (expected authorized or {})",
            change.status.as_str()
        )));
    }
    Ok(())
}

/// Appends a run of money movements to the ledger, in order (one statement).
pub(super) async fn move_money<C: Backend>(
    conn: &mut C,
    entries: &[MoneyEntry],
) -> Result<(), DbError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut sql = Builder::new(concatcp!(
        "INSERT INTO payment_ledger (",
        MONEY_LEDGER_COLUMNS,
        ") "
    ));
    sql.push_values(entries, |mut row, entry| {
        row.push_bind(entry.order.get())
            .push_bind(entry.payment.get())
            .push_bind(entry.kind.as_str())
            .push_bind(entry.amount.amount())
            .push_bind(entry.authorized_after.amount())
            .push_bind(entry.captured_after.amount())
            .push_bind(utc(entry.at));
    });
    sql.build().execute(&mut *conn).await?;
    Ok(())
}

/// Stores a shipment of an existing, `created` order and its lines (in the
/// plan's order); answers its id.
pub(super) async fn insert_fulfillment<C: Backend>(
    conn: &mut C,
    fulfillment: &NewFulfillment,
    at: DateTime<Utc>,
) -> Result<FulfillmentId, DbError> {
    if fulfillment.lines.is_empty() {
        return Err(StorageError::Failure("a shipment without lines".to_owned()).into());
    }
    bump_settlement(conn, fulfillment.order_id, Standing::Created).await?;
    let inserted = query(
        "INSERT INTO fulfillments (order_id, carrier, tracking_number, created_at) \
         VALUES (?, ?, ?, ?)",
    )
    .bind(fulfillment.order_id.get())
    .bind(fulfillment.carrier.as_ref().map(|c| c.as_str()))
    .bind(fulfillment.tracking_number.as_ref().map(|t| t.as_str()))
    .bind(utc(at))
    .execute(&mut *conn)
    .await?;
    let id = inserted_id(&inserted, "fulfillments", FulfillmentId::new)?;
    let mut sql =
        Builder::new("INSERT INTO fulfillment_items (fulfillment_id, product_id, quantity) ");
    sql.push_values(&fulfillment.lines, |mut row, line| {
        row.push_bind(id.get())
            .push_bind(line.product_id.get())
            .push_bind(line.quantity.get());
    });
    sql.build().execute(&mut *conn).await?;
    Ok(id)
}
