//! Orders, their cancellation, logged notices and idempotency keys.

use chrono::{DateTime, Utc};
use shopcore::{
    CustomerId, IdempotencyKey, Money, NewOrder, NoticeLogged, Notification, NotificationId,
    OrderId, OrderStatus, RequestFingerprint,
};

use crate::backend::Backend;
use crate::error::{diverged, DbError};
use crate::rows::{inserted_id, utc};
use crate::stmt::{query, Builder};

pub(super) async fn insert_order<C: Backend>(
    conn: &mut C,
    order: &NewOrder,
) -> Result<OrderId, DbError> {
    let inserted = query(
        "INSERT INTO orders (customer_id, total_amount, status, created_at, subtotal, tax, region, points_earned, \
         coupon_code, coupon_discount, points_redeemed, points_value, rounding) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .bind(order.rounding.as_str())
    .execute(&mut *conn)
    .await?;
    let order_id = inserted_id(&inserted, "orders", OrderId::new)?;

    let mut sql = Builder::new(
        "INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount, line_total, \
         coupon_share, points_share, tax, points_redeemed) ",
    );
    sql.push_values(&order.items, |mut row, item| {
        row.push_bind(order_id.get())
            .push_bind(item.product_id.get())
            .push_bind(item.quantity.get())
            .push_bind(item.unit_price.amount())
            .push_bind(item.discount.amount())
            .push_bind(item.line_total.amount())
            .push_bind(item.coupon_share.amount())
            .push_bind(item.points_share.amount())
            .push_bind(item.tax.amount())
            .push_bind(item.points_redeemed);
    });
    sql.build().execute(&mut *conn).await?;
    Ok(order_id)
}

pub(super) async fn cancel_order<C: Backend>(
    conn: &mut C,
    order: OrderId,
    points_revoked: u64,
    refund_due: Money,
) -> Result<(), DbError> {
    let updated = query(
        "UPDATE orders SET status = ?, points_revoked = ?, refund_due = ? \
         WHERE order_id = ? AND status = ?",
    )
    .bind(OrderStatus::Cancelled.as_str())
    .bind(points_revoked)
    .bind(refund_due.amount())
    .bind(order.get())
    .bind(OrderStatus::Created.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!("status of order {order}")));
    }
    Ok(())
}

pub(super) async fn insert_notice<C: Backend>(
    conn: &mut C,
    notice: &NoticeLogged,
    placed: Option<OrderId>,
    at: DateTime<Utc>,
) -> Result<Notification, DbError> {
    let order_id = notice.order.resolve(placed)?;
    let message = notice.text.render(order_id);
    let result = query(
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
    let id = inserted_id(&result, "notification_log", NotificationId::new)?;
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
pub(super) async fn bind_key<C: Backend>(
    conn: &mut C,
    customer: CustomerId,
    key: &IdempotencyKey,
    fingerprint: &RequestFingerprint,
    order: OrderId,
) -> Result<(), DbError> {
    let updated = query(
        "UPDATE idempotency_keys SET order_id = ? \
         WHERE customer_id = ? AND idempotency_key = ? AND fingerprint = ? AND order_id = 0",
    )
    .bind(order.get())
    .bind(customer.get())
    .bind(key.as_str())
    .bind(fingerprint.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected != 1 {
        return Err(diverged(format_args!(
            "claim of idempotency key {:?}",
            key.as_str()
        )));
    }
    Ok(())
}
