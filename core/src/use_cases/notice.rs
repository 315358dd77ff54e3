//! Sending an order's confirmation again, from what the store logged.

use crate::orders::notification::{Notification, NotificationKind};

use crate::values::ids::{CustomerId, OrderId};
use crate::NotificationFilter;

/// Sends an order's confirmation again (the original notification service's
/// `send`): logs a new row with the text of the order's first confirmation, or
/// for an order written by another system a summary of it.
///
/// An order that does not exist, or belongs to another customer, is
/// `order_not_found` (no hint that the id exists); a cancelled order is
/// `order_cancelled` — it is not confirmed any more.
pub async fn resend_confirmation<S>(
    store: &S,
    order_id: OrderId,
    customer_id: CustomerId,
) -> Result<Notification, crate::LookupError>
where
    S: crate::OrderRepository + crate::NotificationRepository + ?Sized,
{
    let order = store.order(order_id).await?;
    if order.customer_id != customer_id {
        return Err(crate::LookupError::OrderNotFound(order_id));
    }
    if order.status == crate::OrderStatus::Cancelled {
        return Err(crate::LookupError::OrderCancelled(order_id));
    }
    let filter = NotificationFilter {
        order_id: Some(order_id),
        customer_id: None,
    };
    let first_confirmation = store
        .notifications(filter)
        .await?
        .into_iter()
        .rev()
        .find(|n| n.kind == NotificationKind::OrderConfirmation);
    let message = match first_confirmation {
        Some(confirmation) => confirmation.message,
        None => format!(
            "Order #{} confirmed\nTotal: {}\nStatus: {}",
            order.id,
            order.total_amount,
            order.status.as_str()
        ),
    };
    store
        .log_notification(
            order_id,
            customer_id,
            NotificationKind::OrderConfirmation,
            message,
        )
        .await
}
