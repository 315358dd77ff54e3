//! Logged notices: a notification about an existing order to an existing
//! customer, decided as a plan.

use chrono::{DateTime, Utc};

use crate::orders::notification::{NoticeTargets, NotificationKind};
use crate::values::ids::{CustomerId, OrderId};

/// Decides logging a notification about an existing order to an existing customer.
///
/// Only an `order_confirmation` may be logged this way (a confirmation sent
/// again): every other kind is written by the change it announces — a
/// cancel, a payment, a shipment — and the audit holds each order to exactly
/// the notices its records call for, so logging one by hand is refused with
/// `invalid_request`.
///
/// ```
/// use shopcore::{plan_notice, CustomerId, ErrorCode, NoticeTargets, NotificationKind, OrderId};
/// let (order, customer) = (OrderId::new(1).unwrap(), CustomerId::new(2).unwrap());
/// let kind = NotificationKind::OrderConfirmation;
/// let found = NoticeTargets { order_exists: true, customer_exists: true };
/// let now = chrono::Utc::now();
/// assert_eq!(plan_notice(order, customer, kind, "hi".into(), found, now).unwrap().effects().len(), 1);
/// let missing = NoticeTargets { order_exists: false, ..found };
/// let refused = plan_notice(order, customer, kind, "hi".into(), missing, now).unwrap_err();
/// assert_eq!(refused.code(), "order_not_found");
/// let by_hand = plan_notice(order, customer, NotificationKind::OrderPaid, "hi".into(), found, now);
/// assert_eq!(by_hand.unwrap_err().code(), "invalid_request");
/// ```
pub fn plan_notice(
    order_id: OrderId,
    customer_id: CustomerId,
    kind: NotificationKind,
    message: String,
    found: NoticeTargets,
    now: DateTime<Utc>,
) -> Result<crate::Plan, crate::LookupError> {
    if kind != NotificationKind::OrderConfirmation {
        return Err(crate::LookupError::NotLoggable(kind));
    }
    if !found.order_exists {
        return Err(crate::LookupError::OrderNotFound(order_id));
    }
    if !found.customer_exists {
        return Err(crate::LookupError::UnknownCustomer(customer_id));
    }
    let mut plan = crate::Plan::new(now);
    plan.push(crate::Effect::NoticeLogged(crate::NoticeLogged {
        order: crate::OrderRef::Existing(order_id),
        customer: customer_id,
        kind,
        text: crate::NoticeText::Ready(message),
    }));
    Ok(plan)
}
