//! Webhook endpoints, their secrets and events, and the signed request a
//! delivery sends (the [Standard Webhooks] way).
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::orders::notification::{Notification, NotificationKind};
use crate::outbox::*;
use crate::values::ids::WebhookId;

/// What a webhook is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// An order was placed (its confirmation was logged, or logged again).
    OrderPlaced,
    /// An order was cancelled.
    OrderCancelled,
    /// A payment was captured.
    PaymentCaptured,
    /// An authorization was voided.
    PaymentVoided,
    /// Captured money covers what the order is due.
    OrderPaid,
    /// A shipment was recorded (its lines, carrier and tracking number are in the notice).
    FulfillmentCreated,
    /// Every unit of the order has shipped.
    OrderFulfilled,
    /// Some units of the order were cancelled; others remain.
    UnitsCancelled,
    /// A return was received.
    ReturnReceived,
    /// A refund was recorded: the shop's payment handler pays it back.
    RefundCreated,
}

impl WebhookEvent {
    /// Every event.
    pub const ALL: [WebhookEvent; 10] = [
        WebhookEvent::OrderPlaced,
        WebhookEvent::OrderCancelled,
        WebhookEvent::PaymentCaptured,
        WebhookEvent::PaymentVoided,
        WebhookEvent::OrderPaid,
        WebhookEvent::FulfillmentCreated,
        WebhookEvent::OrderFulfilled,
        WebhookEvent::UnitsCancelled,
        WebhookEvent::ReturnReceived,
        WebhookEvent::RefundCreated,
    ];

    /// The event's name: `order.placed`, `order.cancelled`,
    /// `payment.captured`, `payment.voided`, `order.paid`,
    /// `fulfillment.created`, `order.fulfilled`, `order.units_cancelled`,
    /// `return.received` or `refund.created`.
    pub const fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::OrderPlaced => "order.placed",
            WebhookEvent::OrderCancelled => "order.cancelled",
            WebhookEvent::PaymentCaptured => "payment.captured",
            WebhookEvent::PaymentVoided => "payment.voided",
            WebhookEvent::OrderPaid => "order.paid",
            WebhookEvent::FulfillmentCreated => "fulfillment.created",
            WebhookEvent::OrderFulfilled => "order.fulfilled",
            WebhookEvent::UnitsCancelled => "order.units_cancelled",
            WebhookEvent::ReturnReceived => "return.received",
            WebhookEvent::RefundCreated => "refund.created",
        }
    }

    /// Parses an event name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == text)
    }

    /// The event a notification of `kind` announces.
    pub const fn of(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::OrderConfirmation => WebhookEvent::OrderPlaced,
            NotificationKind::OrderCancellation => WebhookEvent::OrderCancelled,
            NotificationKind::PaymentCaptured => WebhookEvent::PaymentCaptured,
            NotificationKind::PaymentVoided => WebhookEvent::PaymentVoided,
            NotificationKind::OrderPaid => WebhookEvent::OrderPaid,
            NotificationKind::FulfillmentCreated => WebhookEvent::FulfillmentCreated,
            NotificationKind::OrderFulfilled => WebhookEvent::OrderFulfilled,
            NotificationKind::UnitsCancelled => WebhookEvent::UnitsCancelled,
            NotificationKind::ReturnReceived => WebhookEvent::ReturnReceived,
            NotificationKind::RefundCreated => WebhookEvent::RefundCreated,
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A webhook signing secret: 24 to 64 bytes, written `whsec_` + base64.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// The fewest secret bytes accepted.
    pub const MIN_BYTES: usize = 24;
    /// The most secret bytes accepted.
    pub const MAX_BYTES: usize = 64;

    /// 32 random bytes from the operating system.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source");
        WebhookSecret(bytes)
    }

    /// Parses `whsec_<base64>` (the prefix is optional).
    ///
    /// ```
    /// use shopcore::WebhookSecret;
    /// let secret = WebhookSecret::generate();
    /// assert_eq!(WebhookSecret::parse(&secret.expose()).unwrap(), secret);
    /// assert!(WebhookSecret::parse("whsec_c2hvcnQ=").is_err()); // 5 bytes
    /// assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
    /// ```
    pub fn parse(text: &str) -> Result<Self, OutboxError> {
        let reject = |reason: &str| Err(OutboxError::InvalidWebhook(format!("secret {reason}")));
        if text.len() > 200 {
            return reject("must be at most 200 characters");
        }
        let encoded = text.strip_prefix("whsec_").unwrap_or(text);
        let Ok(bytes) = BASE64.decode(encoded) else {
            return reject("must be base64, optionally behind whsec_");
        };
        if !(Self::MIN_BYTES..=Self::MAX_BYTES).contains(&bytes.len()) {
            return reject(&format!(
                "must decode to {} to {} bytes, got {}",
                Self::MIN_BYTES,
                Self::MAX_BYTES,
                bytes.len()
            ));
        }
        Ok(WebhookSecret(bytes))
    }

    /// The secret as `whsec_<base64>`: shown once when an endpoint is created,
    /// and what storage keeps (signing needs the secret itself, not a hash).
    pub fn expose(&self) -> String {
        format!("whsec_{}", BASE64.encode(&self.0))
    }

    /// The Standard Webhooks signature of one message: `v1,` + base64 of
    /// HMAC-SHA256 over `{id}.{timestamp}.{body}`.
    ///
    /// ```
    /// use shopcore::WebhookSecret;
    /// // The example of the Standard Webhooks specification.
    /// let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    /// let body = r#"{"test": 2432232314}"#;
    /// assert_eq!(
    ///     secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
    ///     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    /// );
    /// ```
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// A webhook endpoint to create: validated by [`plan_webhook`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where events are posted.
    pub url: WebhookUrl,
    /// The events it receives: at least one, sorted, no repeats.
    pub events: Vec<WebhookEvent>,
    /// The signing secret.
    pub secret: WebhookSecret,
}

/// A configured webhook endpoint, as listed (its secret is never read back out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// The endpoint's id.
    pub id: WebhookId,
    /// Where events are posted.
    pub url: WebhookUrl,
    /// The events it receives.
    pub events: Vec<WebhookEvent>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    /// Whether this endpoint receives `event`.
    pub fn wants(&self, event: WebhookEvent) -> bool {
        self.events.contains(&event)
    }
}

/// Validates a new endpoint: `url` (see [`WebhookUrl::parse`]), `events` (at
/// least one known name) and the staff's `secret`, or a generated one.
///
/// ```
/// use shopcore::{plan_webhook, ErrorCode, HostAllowlist, WebhookEvent};
/// let any = HostAllowlist::any();
/// let hook = plan_webhook("https://example.com/h", &["order.cancelled", "order.placed"], None, &any).unwrap();
/// assert_eq!(hook.events, [WebhookEvent::OrderPlaced, WebhookEvent::OrderCancelled]);
/// assert_eq!(plan_webhook("https://example.com/h", &["order.shipped"], None, &any).unwrap_err().code(), "invalid_webhook");
/// assert!(plan_webhook("https://example.com/h", &[], None, &any).is_err());
/// ```
pub fn plan_webhook(
    url: &str,
    events: &[&str],
    secret: Option<&str>,
    allowed: &HostAllowlist,
) -> Result<NewWebhook, OutboxError> {
    let url = WebhookUrl::parse(url, allowed)?;
    if events.is_empty() {
        return Err(OutboxError::InvalidWebhook(format!(
            "events must name at least one of {}",
            event_names()
        )));
    }
    let mut parsed = events
        .iter()
        .map(|name| {
            WebhookEvent::parse(name).ok_or_else(|| {
                let shown: String = name.chars().take(40).collect();
                OutboxError::InvalidWebhook(format!(
                    "unknown event {shown:?}: events are {}",
                    event_names()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort();
    parsed.dedup();
    let secret = secret.map_or_else(|| Ok(WebhookSecret::generate()), WebhookSecret::parse)?;
    Ok(NewWebhook {
        url,
        events: parsed,
        secret,
    })
}

fn event_names() -> String {
    WebhookEvent::ALL.map(WebhookEvent::as_str).join(", ")
}

/// A webhook POST to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRequest {
    /// Where.
    pub url: WebhookUrl,
    /// `webhook-id`: `msg_notification_{id}`, the same for every retry.
    pub id: String,
    /// `webhook-timestamp`: seconds since the epoch of this attempt.
    pub timestamp: i64,
    /// `webhook-signature` (see [`WebhookSecret::sign`]).
    pub signature: String,
    /// The JSON event.
    pub body: String,
}

/// The signed webhook event announcing `notification`, sent at `now`.
///
/// The body is `{"type": "order.placed", "timestamp": …, "data": {"notification_id",
/// "order_id", "customer_id", "kind", "message", "logged_at"}}`.
pub fn webhook_request(
    notification: &Notification,
    url: &WebhookUrl,
    secret: &WebhookSecret,
    now: DateTime<Utc>,
) -> WebhookRequest {
    let id = format!("msg_notification_{}", notification.id);
    let body = serde_json::json!({
        "type": WebhookEvent::of(notification.kind).as_str(),
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": {
            "notification_id": notification.id.get(),
            "order_id": notification.order_id.get(),
            "customer_id": notification.customer_id.get(),
            "kind": notification.kind.as_str(),
            "message": notification.message,
            "logged_at": notification.sent_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        }
    })
    .to_string();
    let timestamp = now.timestamp();
    WebhookRequest {
        url: url.clone(),
        signature: secret.sign(&id, timestamp, &body),
        id,
        timestamp,
        body,
    }
}
