//! Notifications: the log rows and the texts the planners write into them.
//!
//! Texts are rendered here, from already-validated values, so every message an
//! adapter logs has the same wording whichever storage is used.

use std::fmt::Write as _;

use chrono::{DateTime, Days, Utc};

use crate::pricing::coupon::CouponCode;
use crate::pricing::Quote;
use crate::values::ids::{CustomerId, NotificationId, OrderId};
use crate::values::money::Money;
use crate::values::text::{CustomerName, PaymentMethod, PaymentReference, Region};

/// What a notification is about (`notification_log.notification_type`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Sent when an order is placed.
    OrderConfirmation,
    /// Sent when an order is cancelled.
    OrderCancellation,
    /// Sent when a payment is captured.
    PaymentCaptured,
    /// Sent when an authorization is voided (by hand, or by a cancel).
    PaymentVoided,
    /// Sent once captured money covers what the order is due.
    OrderPaid,
    /// Sent for each shipment.
    FulfillmentCreated,
    /// Sent once every unit has shipped.
    OrderFulfilled,
    /// Sent when some units of an order are cancelled and others remain.
    UnitsCancelled,
    /// Sent when a return is received.
    ReturnReceived,
    /// Sent for each refund.
    RefundCreated,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 10] = [
        Self::OrderConfirmation,
        Self::OrderCancellation,
        Self::PaymentCaptured,
        Self::PaymentVoided,
        Self::OrderPaid,
        Self::FulfillmentCreated,
        Self::OrderFulfilled,
        Self::UnitsCancelled,
        Self::ReturnReceived,
        Self::RefundCreated,
    ];

    /// The kind as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OrderConfirmation => "order_confirmation",
            Self::OrderCancellation => "order_cancellation",
            Self::PaymentCaptured => "payment_captured",
            Self::PaymentVoided => "payment_voided",
            Self::OrderPaid => "order_paid",
            Self::FulfillmentCreated => "fulfillment_created",
            Self::OrderFulfilled => "order_fulfilled",
            Self::UnitsCancelled => "units_cancelled",
            Self::ReturnReceived => "return_received",
            Self::RefundCreated => "refund_created",
        }
    }

    /// Parses a stored kind.
    ///
    /// ```
    /// use shopcore::NotificationKind;
    /// for kind in NotificationKind::ALL {
    ///     assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
    /// }
    /// assert_eq!(NotificationKind::parse("order_shipped"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A logged notification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notification {
    /// The log row's id.
    pub id: NotificationId,
    /// The order it is about.
    pub order_id: OrderId,
    /// The customer it was sent to.
    pub customer_id: CustomerId,
    /// What it is about.
    pub kind: NotificationKind,
    /// The full text.
    pub message: String,
    /// When it was logged.
    pub sent_at: DateTime<Utc>,
}

/// Which log rows to list; `None` fields match everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    /// Only notifications about this order.
    pub order_id: Option<OrderId>,
    /// Only notifications sent to this customer.
    pub customer_id: Option<CustomerId>,
}

impl NotificationFilter {
    /// Whether `notification` passes the filter.
    pub fn matches(&self, notification: &Notification) -> bool {
        self.order_id.is_none_or(|id| id == notification.order_id)
            && self
                .customer_id
                .is_none_or(|id| id == notification.customer_id)
    }
}

/// Everything an order confirmation shows except the order id, which storage
/// assigns when the order is placed ([`NoticeText::render`](crate::NoticeText::render)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmationDraft {
    pub(crate) customer_name: CustomerName,
    /// The product names, one per line of `quote`.
    pub(crate) names: Vec<String>,
    pub(crate) quote: Quote,
    pub(crate) coupon: Option<CouponCode>,
    pub(crate) region: Region,
    pub(crate) points_earned: u64,
    pub(crate) placed_at: DateTime<Utc>,
    pub(crate) delivery_days: u16,
}

impl ConfirmationDraft {
    /// The confirmation of order `order_id`.
    pub fn render(&self, order_id: OrderId) -> String {
        let mut text = String::new();
        let q = &self.quote;
        // Writing to a String cannot fail.
        let _ = writeln!(text, "Order #{order_id} confirmed");
        let _ = writeln!(
            text,
            "Dear {}, thank you for your order.",
            self.customer_name
        );
        let _ = writeln!(text, "Items:");
        for (name, line) in self.names.iter().zip(&q.lines) {
            let _ = write!(
                text,
                "  - {} x {} @ {}",
                line.quantity, name, line.unit_price
            );
            if line.discount > Money::ZERO {
                let _ = write!(text, " - {} ({}% off)", line.discount, line.discount_rate);
            }
            let _ = writeln!(text, " = {}", line.final_price);
        }
        let _ = writeln!(text, "Subtotal: {}", q.subtotal);
        if let Some(code) = &self.coupon {
            let _ = writeln!(text, "Coupon {code}: -{}", q.coupon_discount);
        }
        if q.points_redeemed > 0 {
            let _ = writeln!(
                text,
                "Points redeemed ({}): -{}",
                q.points_redeemed, q.points_value
            );
        }
        let _ = writeln!(text, "Tax ({} {}%): {}", self.region, q.tax_rate, q.tax);
        let _ = writeln!(text, "Total: {}", q.total);
        let _ = writeln!(text, "Loyalty points earned: {}", self.points_earned);
        let delivery = self
            .placed_at
            .checked_add_days(Days::new(u64::from(self.delivery_days)))
            .unwrap_or(self.placed_at);
        let _ = write!(
            text,
            "Estimated delivery: within {} days, by {}.",
            self.delivery_days,
            delivery.format("%Y-%m-%d")
        );
        text
    }
}

/// Renders the cancellation notice of an order.
pub(crate) fn cancellation_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    refund_due: Money,
    units_restocked: u64,
    points_returned: u64,
    points_revoked: u64,
    points_after: i64,
) -> String {
    let mut text = format!(
        "Order #{order_id} cancelled\n\
         Dear {customer_name}, your order #{order_id} has been cancelled.\n\
         Refund due: {refund_due}\n\
         Units returned to stock: {units_restocked}\n"
    );
    if points_returned > 0 {
        let _ = writeln!(text, "Redeemed loyalty points returned: {points_returned}");
    }
    let _ = write!(text, "Loyalty points revoked: {points_revoked}");
    if points_after < 0 {
        let owed = points_after.unsigned_abs();
        let _ = write!(
            text,
            "\nLoyalty points owed: {owed} (repaid from your next orders' points)"
        );
    }
    text
}

/// The notice of a captured payment.
pub(crate) fn payment_captured_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    captured: Money,
    payment: (&PaymentMethod, &PaymentReference),
    paid: Money,
    total: Money,
) -> String {
    let (method, reference) = payment;
    let balance_due = total.checked_sub(paid).unwrap_or(Money::ZERO);
    format!(
        "Payment received for order #{order_id}\n\
         Dear {customer_name}, we received {captured} by {method} (reference {reference}).\n\
         Paid so far: {paid} of {total}\n\
         Balance due: {balance_due}"
    )
}

/// The notice of a voided authorization.
pub(crate) fn payment_voided_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    payment: &crate::orders::payment::Payment,
) -> String {
    format!(
        "Payment authorization released for order #{order_id}\n\
         Dear {customer_name}, the authorization of {} by {} (reference {}) \
         was released: it will not be charged.",
        payment.amount, payment.method, payment.reference
    )
}

/// The notice of an order paid in full.
pub(crate) fn order_paid_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    paid: Money,
) -> String {
    format!(
        "Order #{order_id} is paid\n\
         Dear {customer_name}, your order #{order_id} is paid in full.\n\
         Total paid: {paid}"
    )
}

/// The notice of one shipment: `lines` are (units, product name).
pub(crate) fn fulfillment_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    lines: &[(u32, String)],
    carrier: Option<&str>,
    tracking_number: Option<&str>,
    units_remaining: u64,
) -> String {
    let mut text = format!(
        "Order #{order_id} shipped\n\
         Dear {customer_name}, a shipment of your order #{order_id} is on its way.\n\
         Items:\n"
    );
    for (units, name) in lines {
        let _ = writeln!(text, "  - {units} x {name}");
    }
    if let Some(carrier) = carrier {
        let _ = writeln!(text, "Carrier: {carrier}");
    }
    if let Some(tracking) = tracking_number {
        let _ = writeln!(text, "Tracking number: {tracking}");
    }
    let _ = write!(text, "Units still to ship: {units_remaining}");
    text
}

/// The notice of an order shipped in full.
pub(crate) fn order_fulfilled_text(order_id: OrderId, customer_name: &CustomerName) -> String {
    format!(
        "Order #{order_id} fully shipped\n\
         Dear {customer_name}, every item of your order #{order_id} has shipped."
    )
}

/// The notice of units cancelled while others remain: `lines` are (units,
/// product name).
pub(crate) fn units_cancelled_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    lines: &[(u32, String)],
    due: Money,
    balance_due: Money,
) -> String {
    let mut text = format!(
        "Items cancelled from order #{order_id}\n\
         Dear {customer_name}, these items of your order #{order_id} were cancelled:\n"
    );
    for (units, name) in lines {
        let _ = writeln!(text, "  - {units} x {name}");
    }
    let _ = write!(
        text,
        "Order total for the items you keep: {due}\nBalance due: {balance_due}"
    );
    text
}

/// The notice of a received return: `lines` are (units, product name).
pub(crate) fn return_received_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    return_id: Option<crate::values::ids::ReturnId>,
    lines: &[(u32, String)],
) -> String {
    let mut text = match return_id {
        Some(id) => format!("Return #{id} of order #{order_id} received\n"),
        None => format!("Return of order #{order_id} received\n"),
    };
    let _ = writeln!(
        text,
        "Dear {customer_name}, we received these items of your order #{order_id}:"
    );
    for (units, name) in lines {
        let _ = writeln!(text, "  - {units} x {name}");
    }
    text.pop();
    text
}

/// The notice of a refund.
pub(crate) fn refund_text(
    order_id: OrderId,
    customer_name: &CustomerName,
    amount: Money,
    tax: Money,
    points_returned: u64,
    reason: Option<&str>,
) -> String {
    let mut text = format!(
        "Refund for order #{order_id}\n\
         Dear {customer_name}, we are refunding {amount} (of which tax {tax}) for your order #{order_id}."
    );
    if points_returned > 0 {
        let _ = write!(
            text,
            "\nRedeemed loyalty points returned: {points_returned}"
        );
    }
    if let Some(reason) = reason {
        let _ = write!(text, "\nReason: {reason}");
    }
    text
}

/// Whether a notice's order and customer exist, as the adapter found them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoticeTargets {
    /// The order exists.
    pub order_exists: bool,
    /// The customer exists.
    pub customer_exists: bool,
}
