//! The email a notification sends.

use crate::orders::notification::Notification;
use crate::outbox::retry::truncate;
use crate::values::text::Email;

/// An email to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailMessage {
    /// `<notification-{id}@{domain}>`: the same for every retry of one notification.
    pub message_id: String,
    /// The customer's address.
    pub to: Email,
    /// The notification text's first line (e.g. `Order #12 confirmed`).
    pub subject: String,
    /// The notification text.
    pub body: String,
}

/// The email of `notification` to `to`, with a Message-ID in `domain`.
///
/// ```
/// use shopcore::{email_message, CustomerId, Email, Notification, NotificationId, NotificationKind, OrderId};
/// let n = Notification {
///     id: NotificationId::new(7).unwrap(),
///     order_id: OrderId::new(12).unwrap(),
///     customer_id: CustomerId::new(2).unwrap(),
///     kind: NotificationKind::OrderConfirmation,
///     message: "Order #12 confirmed\nTotal: 1.00".into(),
///     sent_at: chrono::Utc::now(),
/// };
/// let mail = email_message(&n, &Email::parse("sara@example.com").unwrap(), "shop.example");
/// assert_eq!((mail.subject.as_str(), mail.message_id.as_str()), ("Order #12 confirmed", "<notification-7@shop.example>"));
/// ```
pub fn email_message(notification: &Notification, to: &Email, domain: &str) -> EmailMessage {
    let subject = notification
        .message
        .lines()
        .next()
        .filter(|line| !line.trim().is_empty())
        .map_or_else(
            || format!("Order #{}", notification.order_id),
            str::to_owned,
        );
    EmailMessage {
        message_id: format!("<notification-{}@{domain}>", notification.id),
        to: to.clone(),
        subject: truncate(subject, 200),
        body: notification.message.clone(),
    }
}
