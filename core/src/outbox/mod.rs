//! The outbox: delivering logged notifications by email and signed webhooks.
//!
//! Every notification a plan logs is also a row per channel in the outbox
//! (a [`Delivery`]), written in the same transaction as the notice: the email
//! to the customer, and one per webhook endpoint subscribed to the
//! notification's event ([`channels_for`]). A dispatcher claims the due ones
//! (a lease: a claimed delivery is not due again until the lease ends),
//! delivers them and records the outcome.
//!
//! This module holds the policy, all pure: the retry schedule and the give-up
//! rule ([`RetryPolicy`]), what each channel sends ([`email_message`],
//! [`webhook_request`], signed the [Standard Webhooks] way), and the
//! validation of webhook endpoints ([`plan_webhook`]). The adapters store the
//! rows; the `shopcore-dispatch` crate does the network.
//!
//! Delivery is at least once: a dispatcher that dies after sending and before
//! recording sends again once its lease ends. Every retry of one notification
//! carries the same id (the email's `Message-ID`, the webhook's `webhook-id`),
//! so a receiver can drop the duplicates.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

use std::fmt;
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::orders::notification::{Notification, NotificationKind};
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

/// What a webhook is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// An order was placed (its confirmation was logged, or logged again).
    OrderPlaced,
    /// An order was cancelled.
    OrderCancelled,
}

impl WebhookEvent {
    /// Every event.
    pub const ALL: [WebhookEvent; 2] = [WebhookEvent::OrderPlaced, WebhookEvent::OrderCancelled];

    /// The event's name: `order.placed` or `order.cancelled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::OrderPlaced => "order.placed",
            WebhookEvent::OrderCancelled => "order.cancelled",
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
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `http` or `https` URL with a host, at most 2,000 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The longest accepted URL.
    pub const MAX_LEN: usize = 2000;

    /// Checks `text` is an absolute `http(s)` URL of printable ASCII with a
    /// host and no credentials, and (when `allowed` lists hosts) that its host
    /// is one of them.
    ///
    /// ```
    /// use shopcore::{HostAllowlist, WebhookUrl};
    /// let anywhere = HostAllowlist::any();
    /// assert_eq!(WebhookUrl::parse("https://hooks.example.com/shop", &anywhere).unwrap().host(), "hooks.example.com");
    /// assert!(WebhookUrl::parse("ftp://example.com/", &anywhere).is_err());
    /// assert!(WebhookUrl::parse("https://user:pw@example.com/", &anywhere).is_err());
    /// let local = HostAllowlist::parse("127.0.0.1, localhost").unwrap();
    /// assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", &local).is_ok());
    /// assert!(WebhookUrl::parse("http://example.com/hook", &local).is_err());
    /// ```
    pub fn parse(text: &str, allowed: &HostAllowlist) -> Result<Self, OutboxError> {
        let reject = |reason: String| Err(OutboxError::InvalidWebhook(reason));
        if text.len() > Self::MAX_LEN {
            return reject(format!("url must be at most {} characters", Self::MAX_LEN));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return reject("url must be printable ASCII without spaces".to_owned());
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return reject("url must start with http:// or https://".to_owned());
        };
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return reject(format!("url scheme must be http or https, not {scheme:?}"));
        }
        if text.contains('\\') {
            return reject("url must not contain a backslash".to_owned());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return reject("url must not carry credentials".to_owned());
        }
        let host = match checked_authority(authority) {
            Ok(host) => host,
            Err(reason) => return reject(reason),
        };
        if !allowed.allows(host) {
            return reject(format!("host {host:?} is not in the webhook allowlist"));
        }
        Ok(WebhookUrl(text.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host, lowercase as given (without port or brackets).
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or("", |(_, rest)| rest);
        host_of(rest.split(['/', '?', '#']).next().unwrap_or_default())
    }

    /// A stored URL, trusted as written by [`WebhookUrl::parse`].
    pub fn from_stored(text: String) -> Self {
        WebhookUrl(text)
    }
}

/// The host of an authority that any HTTP client parses the same way: a
/// name of letters, digits, `-` and `.`, or an IPv6 literal in brackets, then
/// optionally `:` and a port from 1 to 65535.
fn checked_authority(authority: &str) -> Result<&str, String> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6
                .split_once(']')
                .ok_or_else(|| "url has an unclosed [ in its host".to_owned())?;
            if address.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!(
                    "{:?} is not an IPv6 address",
                    truncated(address, 60)
                ));
            }
            match after {
                "" => (address, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (address, Some(port)),
                    None => return Err("url has text after its IPv6 host".to_owned()),
                },
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err("url must name a host".to_owned());
    }
    if !authority.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(format!(
            "host {:?} may hold only letters, digits, '-' and '.'",
            truncated(host, 60)
        ));
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !valid {
            return Err(format!(
                "port {:?} must be a number from 1 to 65535",
                truncated(port, 20)
            ));
        }
    }
    Ok(host)
}

/// At most `max` characters of `text`.
fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The host of an authority (`host`, `host:port`, `[v6]:port`).
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

/// The hosts webhooks may be sent to: any, or only those listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAllowlist(Option<Vec<String>>);

impl HostAllowlist {
    /// Every host is allowed.
    pub fn any() -> Self {
        HostAllowlist(None)
    }

    /// A comma-separated list of host names; an empty list allows any host.
    pub fn parse(list: &str) -> Result<Self, OutboxError> {
        let hosts: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if hosts.iter().any(|h| h.contains(['/', ' ', '@'])) {
            return Err(OutboxError::InvalidWebhook(format!(
                "the webhook allowlist must list bare host names: {list:?}"
            )));
        }
        Ok(HostAllowlist((!hosts.is_empty()).then_some(hosts)))
    }

    /// Whether `host` may receive webhooks.
    pub fn allows(&self, host: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|hosts| hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
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
        OsRng.fill_bytes(&mut bytes);
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

/// When to try again, and when to give up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    first_delay: Duration,
    max_delay: Duration,
    lease: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts, the first retry after about 10 s, doubling up to an hour;
    /// a claim is held for 2 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            first_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(3600),
            lease: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A policy: at most `max_attempts` (1–100) attempts per delivery; the
    /// n-th retry waits `first_delay × 2ⁿ⁻¹` capped at `max_delay`, of which a
    /// random half is jitter; a claimed delivery is due again after `lease`
    /// if its dispatcher never reports (it must be longer than a delivery's timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// use shopcore::RetryPolicy;
    /// let ms = Duration::from_millis;
    /// assert!(RetryPolicy::new(3, ms(100), ms(1000), ms(5000)).is_ok());
    /// assert!(RetryPolicy::new(0, ms(100), ms(1000), ms(5000)).is_err());
    /// assert!(RetryPolicy::new(3, ms(2000), ms(1000), ms(5000)).is_err());
    /// ```
    pub fn new(
        max_attempts: u32,
        first_delay: Duration,
        max_delay: Duration,
        lease: Duration,
    ) -> Result<Self, OutboxError> {
        let reject = |reason: &str| Err(OutboxError::InvalidPolicy(reason.to_owned()));
        if !(1..=100).contains(&max_attempts) {
            return reject("max_attempts must be from 1 to 100");
        }
        if first_delay.is_zero() || first_delay > max_delay {
            return reject("the first delay must be positive and at most the maximum delay");
        }
        if max_delay > Duration::from_secs(7 * 24 * 3600) {
            return reject("the maximum delay must be at most a week");
        }
        if lease < Duration::from_millis(100) || lease > Duration::from_secs(24 * 3600) {
            return reject("the lease must be from 100 ms to a day");
        }
        Ok(RetryPolicy {
            max_attempts,
            first_delay,
            max_delay,
            lease,
        })
    }

    /// The most attempts per delivery.
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before the first retry (before jitter).
    pub const fn first_delay(&self) -> Duration {
        self.first_delay
    }

    /// The longest backoff (before jitter).
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// How long a claim is held.
    pub const fn lease(&self) -> Duration {
        self.lease
    }

    /// The wait before retrying after `attempts` failed attempts, given
    /// `jitter` in `[0, 1)`: half the backoff fixed, half scaled by the jitter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use shopcore::RetryPolicy;
    /// let policy = RetryPolicy::default(); // 10 s, doubling, up to an hour
    /// assert_eq!(policy.backoff(1, 0.0), Duration::from_secs(5));
    /// assert_eq!(policy.backoff(3, 0.5), Duration::from_secs(30)); // 40 s: 20 fixed + half of 20
    /// assert_eq!(policy.backoff(30, 0.0), Duration::from_secs(1800));
    /// ```
    pub fn backoff(&self, attempts: u32, jitter: f64) -> Duration {
        let doublings = attempts.saturating_sub(1).min(40);
        let full = self
            .first_delay
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        let half = full / 2;
        half + Duration::from_secs_f64((full - half).as_secs_f64() * jitter)
    }

    /// What to record after attempt number `attempt` failed with `error` at `now`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use shopcore::{DeliveryOutcome, RetryPolicy};
    /// let ms = Duration::from_millis;
    /// let policy = RetryPolicy::new(3, ms(100), ms(1000), ms(5000)).unwrap();
    /// let now = chrono::Utc::now();
    /// assert!(matches!(policy.after_failure(2, "500".into(), now, 0.5), DeliveryOutcome::Retry { .. }));
    /// assert!(matches!(policy.after_failure(3, "500".into(), now, 0.5), DeliveryOutcome::GaveUp { .. }));
    /// ```
    pub fn after_failure(
        &self,
        attempt: u32,
        error: String,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> DeliveryOutcome {
        let error = truncate(error, MAX_ERROR_LEN);
        if attempt >= self.max_attempts {
            return DeliveryOutcome::GaveUp { error };
        }
        let wait = chrono::Duration::from_std(self.backoff(attempt, jitter))
            .unwrap_or(chrono::Duration::MAX);
        DeliveryOutcome::Retry {
            error,
            at: now.checked_add_signed(wait).unwrap_or(now),
        }
    }
}

/// The longest error text kept with a delivery.
pub const MAX_ERROR_LEN: usize = 500;

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// A random number in `[0, 1)` from the operating system, for [`RetryPolicy::after_failure`].
pub fn jitter() -> f64 {
    // 53 random bits: every f64 in [0, 1) with that spacing.
    (OsRng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
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

/// Why an outbox request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// See [`ErrorKind::InvalidWebhook`].
    #[error("invalid webhook: {0}")]
    InvalidWebhook(String),
    /// A retry policy out of range (see [`ErrorKind::InvalidRequest`]).
    #[error("invalid dispatch policy: {0}")]
    InvalidPolicy(String),
    /// See [`ErrorKind::UnknownWebhook`].
    #[error("no webhook endpoint has id {0}")]
    UnknownWebhook(WebhookId),
    /// See [`ErrorKind::NotificationNotFound`].
    #[error("no notification has id {0}")]
    NotificationNotFound(NotificationId),
    /// See [`ErrorKind::NothingToRetry`].
    #[error("notification {0} has no failed delivery to retry")]
    NothingToRetry(NotificationId),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for OutboxError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidWebhook(_) => ErrorKind::InvalidWebhook,
            Self::InvalidPolicy(_) => ErrorKind::InvalidRequest,
            Self::UnknownWebhook(_) => ErrorKind::UnknownWebhook,
            Self::NotificationNotFound(_) => ErrorKind::NotificationNotFound,
            Self::NothingToRetry(_) => ErrorKind::NothingToRetry,
            Self::Storage(e) => e.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let ms = Duration::from_millis;
        let policy = RetryPolicy::new(10, ms(100), ms(1000), ms(5000)).unwrap();
        let lows: Vec<_> = (1..=6).map(|n| policy.backoff(n, 0.0)).collect();
        assert_eq!(lows, [ms(50), ms(100), ms(200), ms(400), ms(500), ms(500)]);
        for n in 1..=6 {
            let high = policy.backoff(n, 0.999);
            assert!(high > policy.backoff(n, 0.0) && high <= lows[n as usize - 1] * 2);
        }
    }

    #[test]
    fn jitter_is_in_the_unit_interval_and_varies() {
        let draws: Vec<f64> = (0..100).map(|_| jitter()).collect();
        assert!(draws.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(draws.iter().any(|j| *j != draws[0]));
    }

    #[test]
    fn urls_reject_what_is_not_a_web_address() {
        let any = HostAllowlist::any();
        for bad in [
            "",
            "example.com/hook",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://",
            "http:///path",
            "http://:80/",
            "http://exa mple.com/",
            "http://ex\u{e9}.com/",
            // Found by attacking the routes: hosts and ports an HTTP client
            // cannot use, which were stored and then failed at every attempt.
            "https://[hooks.example.com]evil.com/",
            "https://[hooks.example.com]/",
            "https://[::1/",
            "https://hooks.example.com:99999/",
            "https://hooks.example.com:abc/",
            "https://hooks.example.com:80:evil.com/",
            "https://hooks.example.com:-1/",
            "https://hooks.example.com:+80/",
            "https://hooks.example.com:0/",
            "https://hooks.example.com:/",
            "https://hooks.example.com/x\\y",
            "https://hooks_example.com/",
        ] {
            assert!(WebhookUrl::parse(bad, &any).is_err(), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2000));
        assert!(WebhookUrl::parse(&long, &any).is_err());
        let v6 = WebhookUrl::parse("http://[::1]:8080/x", &any).unwrap();
        assert_eq!(v6.host(), "::1");
        let allow = HostAllowlist::parse("::1").unwrap();
        assert!(WebhookUrl::parse("http://[::1]:8080/x", &allow).is_ok());
        assert!(WebhookUrl::parse("HTTPS://EXAMPLE.com?x=1", &any).is_ok());
        assert!(WebhookUrl::parse("https://hooks.example.com:65535/x", &any).is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1:1/x", &any).is_ok());
    }

    #[test]
    fn secrets_out_of_range_are_refused() {
        let b64 = |n: usize| format!("whsec_{}", BASE64.encode(vec![7u8; n]));
        assert!(WebhookSecret::parse(&b64(23)).is_err());
        assert!(WebhookSecret::parse(&b64(24)).is_ok());
        assert!(WebhookSecret::parse(&b64(64)).is_ok());
        assert!(WebhookSecret::parse(&b64(65)).is_err());
        assert!(WebhookSecret::parse("whsec_!!!notbase64!!!").is_err());
        assert!(WebhookSecret::parse(&"A".repeat(10_000)).is_err());
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let policy = RetryPolicy::default();
        let DeliveryOutcome::GaveUp { error } =
            policy.after_failure(8, "é".repeat(400), Utc::now(), 0.0)
        else {
            panic!("the eighth attempt is the last");
        };
        assert!(error.len() <= MAX_ERROR_LEN && error.chars().all(|c| c == 'é'));
    }
}
