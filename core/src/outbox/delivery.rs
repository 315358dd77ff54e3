//! Deliveries: the outbox rows, one per channel of a logged notification,
//! and which channels a notification goes to.

use chrono::{DateTime, Utc};

use crate::orders::notification::{Notification, NotificationKind};
use crate::outbox::*;
use crate::values::ids::{DeliveryId, NotificationId, WebhookId};
use crate::values::text::Email;

/// Where a delivery goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// An email to the customer the notification is for.
    Email,
    /// An HTTP POST to a webhook endpoint.
    Webhook(WebhookId),
}

impl Channel {
    /// The channel's stored name: `email` or `webhook`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook(_) => "webhook",
        }
    }

    /// The endpoint of a webhook channel (`None` for email): with
    /// [`as_str`](Self::as_str), the stored form [`parse`](Self::parse) reads.
    pub const fn webhook(self) -> Option<WebhookId> {
        match self {
            Channel::Email => None,
            Channel::Webhook(id) => Some(id),
        }
    }

    /// Parses the stored form: a channel name and its endpoint, if any.
    pub fn parse(name: &str, webhook: Option<WebhookId>) -> Option<Self> {
        match (name, webhook) {
            ("email", None) => Some(Channel::Email),
            ("webhook", Some(id)) => Some(Channel::Webhook(id)),
            _ => None,
        }
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not delivered yet; due at its next attempt time.
    Pending,
    /// The receiver accepted it.
    Delivered,
    /// Given up after the last allowed attempt (a dead letter; staff may retry it).
    Failed,
}

impl DeliveryStatus {
    /// The status as stored: `pending`, `delivered` or `failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses a stored or requested status.
    ///
    /// ```
    /// use shopcore::DeliveryStatus;
    /// assert_eq!(DeliveryStatus::parse("failed"), Some(DeliveryStatus::Failed));
    /// assert_eq!(DeliveryStatus::parse("FAILED"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One notification's delivery over one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The outbox row's id.
    pub id: DeliveryId,
    /// The notification delivered.
    pub notification_id: NotificationId,
    /// Where it goes.
    pub channel: Channel,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts started so far (a claim counts, even if its dispatcher died).
    pub attempts: u32,
    /// When it is next due (while pending; the lease's end while claimed).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The channels a new notification of `kind` is delivered over: the email,
/// and every endpoint in `endpoints` that wants its event.
///
/// ```
/// use shopcore::{channels_for, Channel, NotificationKind};
/// assert_eq!(channels_for(NotificationKind::OrderConfirmation, &[]), [Channel::Email]);
/// ```
pub fn channels_for(kind: NotificationKind, endpoints: &[WebhookEndpoint]) -> Vec<Channel> {
    let event = WebhookEvent::of(kind);
    std::iter::once(Channel::Email)
        .chain(
            endpoints
                .iter()
                .filter(|e| e.wants(event))
                .map(|e| Channel::Webhook(e.id)),
        )
        .collect()
}

/// What an attempt ended with, as it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver accepted it.
    Delivered,
    /// It failed; try again at `at`.
    Retry {
        /// Why it failed.
        error: String,
        /// When it is due again.
        at: DateTime<Utc>,
    },
    /// It failed for the last allowed time: now `failed`.
    GaveUp {
        /// Why it failed.
        error: String,
    },
}

/// A claimed delivery with what it takes to send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDelivery {
    /// The outbox row.
    pub id: DeliveryId,
    /// This attempt's number (1 for the first): recording the outcome names it,
    /// so a dispatcher whose lease ran out cannot overwrite a newer attempt.
    pub attempt: u32,
    /// Where it goes.
    pub channel: Channel,
    /// What is delivered.
    pub notification: Notification,
    /// The customer's address (email deliveries), if the customer has one.
    pub recipient: Option<Email>,
    /// The endpoint (webhook deliveries); `None` once the endpoint is deleted.
    pub endpoint: Option<(WebhookUrl, WebhookSecret)>,
}
