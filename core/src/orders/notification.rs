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
use crate::values::text::{CustomerName, Region};

/// What a notification is about (`notification_log.notification_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Sent when an order is placed.
    OrderConfirmation,
    /// Sent when an order is cancelled.
    OrderCancellation,
}

impl NotificationKind {
    /// The kind as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OrderConfirmation => "order_confirmation",
            Self::OrderCancellation => "order_cancellation",
        }
    }

    /// Parses a stored kind.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "order_confirmation" => Some(Self::OrderConfirmation),
            "order_cancellation" => Some(Self::OrderCancellation),
            _ => None,
        }
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
    total: Money,
    units_restocked: u64,
    points_returned: u64,
    points_revoked: u64,
    points_after: i64,
) -> String {
    let mut text = format!(
        "Order #{order_id} cancelled\n\
         Dear {customer_name}, your order #{order_id} has been cancelled.\n\
         Refund due: {total}\n\
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

/// Whether a notice's order and customer exist, as the adapter found them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoticeTargets {
    /// The order exists.
    pub order_exists: bool,
    /// The customer exists.
    pub customer_exists: bool,
}
