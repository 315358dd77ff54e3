//! Releases of an order's units, its returns and its refunds.
//!
//! Each write also bumps the order's `settlement_version`, as payments and
//! shipments do (see [`super::settlement`]): on Galera, two nodes returning,
//! cancelling or refunding the same order then conflict at certification.

use chrono::{DateTime, Utc};
use shopcore::{
    NewRefund, NewReturn, OrderId, RefundId, Release, ReleaseCause, ReturnId, ReturnRef,
    ReturnStatus, StorageError,
};

use super::settlement::{bump_settlement, Standing};
use crate::backend::Backend;
use crate::error::{diverged, DbError};
use crate::rows::{inserted_id, utc};
use crate::stmt::{query, Builder};

/// Stores a return of an existing, `created` order and its lines (in the
/// plan's order); answers its id.
pub(super) async fn insert_return<C: Backend>(
    conn: &mut C,
    new: &NewReturn,
    at: DateTime<Utc>,
) -> Result<ReturnId, DbError> {
    if new.lines.is_empty() {
        return Err(StorageError::Failure("a return without lines".to_owned()).into());
    }
    bump_settlement(conn, new.order_id, Standing::Created).await?;
    let inserted = query(
        "INSERT INTO returns (order_id, status, restock, reason, requested_by_customer, \
         idempotency_key, request_fingerprint, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(new.order_id.get())
    .bind(new.status.as_str())
    .bind(new.restock)
    .bind(new.reason.as_ref().map(|r| r.as_str()))
    .bind(new.requested_by_customer)
    .bind(new.idempotency.as_ref().map(|k| k.key.as_str()))
    .bind(new.idempotency.as_ref().map(|k| k.fingerprint.as_str()))
    .bind(utc(at))
    .bind(utc(at))
    .execute(&mut *conn)
    .await?;
    let id = inserted_id(&inserted, "returns", ReturnId::new)?;
    let mut sql = Builder::new("INSERT INTO return_items (return_id, product_id, quantity) ");
    sql.push_values(&new.lines, |mut row, line| {
        row.push_bind(id.get())
            .push_bind(line.product_id.get())
            .push_bind(line.quantity.get());
    });
    sql.build().execute(&mut *conn).await?;
    Ok(id)
}

/// Sets a `requested` return of the order to `status` (received or
/// rejected) and `restock`; any other return, or one of another order, means
/// the plan diverged.
pub(super) async fn change_return<C: Backend>(
    conn: &mut C,
    order: OrderId,
    return_id: ReturnId,
    (status, restock): (ReturnStatus, bool),
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    bump_settlement(conn, order, Standing::Created).await?;
    let updated = query(
        "UPDATE returns SET status = ?, restock = ?, updated_at = ? \
         WHERE return_id = ? AND order_id = ? AND status = ?",
    )
    .bind(status.as_str())
    .bind(restock)
    .bind(utc(at))
    .bind(return_id.get())
    .bind(order.get())
    .bind(ReturnStatus::Requested.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!(
            "return {return_id} of order {order} (expected requested)"
        )));
    }
    Ok(())
}

/// Stores a release step of the order and its lines; a release caused by
/// this plan's return names the id `created_return` that return was given.
pub(super) async fn insert_release<C: Backend>(
    conn: &mut C,
    order: OrderId,
    release: &Release<ReturnRef>,
    created_return: Option<ReturnId>,
) -> Result<(), DbError> {
    if release.lines.is_empty() {
        return Err(StorageError::Failure("a release without lines".to_owned()).into());
    }
    // A whole cancel has already made the order `cancelled`.
    bump_settlement(conn, order, Standing::Any).await?;
    let (cause, return_id) = match release.cause.resolve(created_return)? {
        ReleaseCause::Cancellation => ("cancellation", None),
        ReleaseCause::Return(id) => ("return", Some(id.get())),
    };
    let inserted = query(
        "INSERT INTO releases (order_id, cause, return_id, restocked, points_revoked, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(order.get())
    .bind(cause)
    .bind(return_id)
    .bind(release.restocked)
    .bind(release.points_revoked)
    .bind(utc(release.created_at))
    .execute(&mut *conn)
    .await?;
    let id = inserted_id(&inserted, "releases", Ok)?;
    let mut sql = Builder::new(
        "INSERT INTO release_items (release_id, product_id, quantity, amount, tax, points) ",
    );
    sql.push_values(&release.lines, |mut row, line| {
        row.push_bind(id)
            .push_bind(line.product_id.get())
            .push_bind(line.quantity.get())
            .push_bind(line.amount.amount())
            .push_bind(line.tax.amount())
            .push_bind(line.points);
    });
    sql.build().execute(&mut *conn).await?;
    Ok(())
}

/// Stores a refund of the order with its lines and parts (in the plan's
/// order); answers its id. A refund of this plan's return names the id
/// `created_return` that return was given.
pub(super) async fn insert_refund<C: Backend>(
    conn: &mut C,
    refund: &NewRefund,
    created_return: Option<ReturnId>,
    at: DateTime<Utc>,
) -> Result<RefundId, DbError> {
    if refund.parts.is_empty() {
        return Err(StorageError::Failure("a refund through no payment".to_owned()).into());
    }
    bump_settlement(conn, refund.order_id, Standing::Any).await?;
    let return_id = refund
        .return_ref
        .map(|r| r.resolve(created_return))
        .transpose()?;
    let inserted = query(
        "INSERT INTO refunds (order_id, kind, return_id, amount, tax, points_returned, reason, \
         idempotency_key, request_fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(refund.order_id.get())
    .bind(refund.kind.as_str())
    .bind(return_id.map(ReturnId::get))
    .bind(refund.amount.amount())
    .bind(refund.tax.amount())
    .bind(refund.points_returned)
    .bind(refund.reason.as_ref().map(|r| r.as_str()))
    .bind(refund.idempotency.as_ref().map(|k| k.key.as_str()))
    .bind(refund.idempotency.as_ref().map(|k| k.fingerprint.as_str()))
    .bind(utc(at))
    .execute(&mut *conn)
    .await?;
    let id = inserted_id(&inserted, "refunds", RefundId::new)?;
    if !refund.lines.is_empty() {
        let mut sql = Builder::new(
            "INSERT INTO refund_items (refund_id, product_id, quantity, amount, tax) ",
        );
        sql.push_values(&refund.lines, |mut row, line| {
            row.push_bind(id.get())
                .push_bind(line.product_id.get())
                .push_bind(line.quantity.get())
                .push_bind(line.amount.amount())
                .push_bind(line.tax.amount());
        });
        sql.build().execute(&mut *conn).await?;
    }
    let mut sql = Builder::new("INSERT INTO refund_parts (refund_id, payment_id, amount) ");
    sql.push_values(&refund.parts, |mut row, part| {
        row.push_bind(id.get())
            .push_bind(part.payment_id.get())
            .push_bind(part.amount.amount());
    });
    sql.build().execute(&mut *conn).await?;
    Ok(id)
}
