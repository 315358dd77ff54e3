//! Delivers shopcore's notification outbox: email over SMTP and signed
//! webhooks, at least once.
//!
//! A [`Dispatcher`] claims due deliveries from any
//! [`OutboxRepository`] (the in-memory store, MySQL), sends them through a
//! [`Transport`] — [`NetTransport`] speaks SMTP (`lettre`) and HTTP (`ureq`) —
//! concurrently, each within the transport's timeout, and records each
//! outcome: delivered, retry later (the core's [`RetryPolicy`] decides when),
//! or failed for good. What a message says and how it is signed is the core's
//! ([`shopcore::email_message`], [`shopcore::webhook_request`]).
//!
//! ```
//! use std::sync::Arc;
//! use shopcore::{OutboxRepository, PageLimit, RetryPolicy};
//! use shopcore_dispatch::{Dispatcher, NetSettings, NetTransport};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let store = Arc::new(shopcore_memory::MemoryStore::seeded());
//! // No SMTP server configured: emails stay pending, webhooks are sent.
//! let transport = NetTransport::new(NetSettings::default()).unwrap();
//! let dispatcher = Dispatcher::new(store, Arc::new(transport), RetryPolicy::default());
//! let report = dispatcher.dispatch_due(PageLimit::default()).await.unwrap();
//! assert_eq!(report.claimed, 0); // nothing was logged yet
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shopcore::{
    email_message, jitter, webhook_request, Channel, ChannelFilter, Clock, DeliveryOutcome,
    DueDelivery, EmailMessage, OutboxRepository, PageLimit, RetryPolicy, StorageError, SystemClock,
    WebhookRequest,
};

mod net;

pub use net::{NetSettings, NetTransport, SettingsError};

/// Why one attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendError {
    /// What went wrong, for the delivery's `last_error`.
    pub message: String,
    /// Whether trying again cannot help (then the delivery fails at once).
    pub permanent: bool,
}

impl SendError {
    /// A failure worth retrying (a timeout, a refused connection, a 5xx).
    pub fn transient(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            permanent: false,
        }
    }

    /// A failure no retry can fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            permanent: true,
        }
    }
}

/// How messages leave the process.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Whether this transport can send email (without an SMTP server, email
    /// deliveries are left pending for a dispatcher that can).
    fn sends_email(&self) -> bool;

    /// Sends one email.
    async fn send_email(&self, message: &EmailMessage) -> Result<(), SendError>;

    /// Posts one webhook event; any 2xx answer is a delivery.
    async fn post_webhook(&self, request: &WebhookRequest) -> Result<(), SendError>;

    /// The domain of the `Message-ID`s of the emails sent.
    fn message_domain(&self) -> &str;
}

/// What one [`Dispatcher::dispatch_due`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Deliveries claimed.
    pub claimed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Failed and due again later.
    pub retried: usize,
    /// Failed for the last time (now `failed`).
    pub failed: usize,
    /// Sent or not, but no longer ours to record: the lease ran out and
    /// another claim took the delivery over.
    pub superseded: usize,
}

/// Claims due deliveries, sends them and records the outcomes.
pub struct Dispatcher<S: ?Sized> {
    store: Arc<S>,
    transport: Arc<dyn Transport>,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl<S: OutboxRepository + ?Sized + 'static> Dispatcher<S> {
    /// A dispatcher over `store` sending through `transport` under `policy`.
    pub fn new(store: Arc<S>, transport: Arc<dyn Transport>, policy: RetryPolicy) -> Self {
        Dispatcher {
            store,
            transport,
            policy,
            clock: Arc::new(SystemClock),
        }
    }

    /// Replaces the clock (the lease and retry times are read from it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The policy it retries by.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Claims up to `limit` due deliveries, sends them all at once and records
    /// each outcome. Returns once every claimed delivery is recorded.
    pub async fn dispatch_due(&self, limit: PageLimit) -> Result<DispatchReport, StorageError> {
        let now = self.clock.now();
        let lease =
            chrono::Duration::from_std(self.policy.lease()).unwrap_or(chrono::Duration::MAX);
        let channels = ChannelFilter {
            email: self.transport.sends_email(),
            webhooks: true,
        };
        let due = self
            .store
            .claim_due(channels, limit, now, now + lease)
            .await?;
        let mut report = DispatchReport {
            claimed: due.len(),
            ..DispatchReport::default()
        };
        let mut sends = tokio::task::JoinSet::new();
        for delivery in due {
            let transport = Arc::clone(&self.transport);
            let clock = Arc::clone(&self.clock);
            sends.spawn(async move {
                let result = send(&*transport, &delivery, clock.now()).await;
                (delivery, result)
            });
        }
        let mut first_error = None;
        while let Some(done) = sends.join_next().await {
            let (delivery, result) = done.map_err(|e| {
                StorageError::Failure(format!("a delivery task stopped unexpectedly: {e}"))
            })?;
            let now = self.clock.now();
            let outcome = match result {
                Ok(()) => DeliveryOutcome::Delivered,
                Err(e) if e.permanent => DeliveryOutcome::GaveUp { error: e.message },
                Err(e) => self
                    .policy
                    .after_failure(delivery.attempt, e.message, now, jitter()),
            };
            match self
                .store
                .record_outcome(delivery.id, delivery.attempt, &outcome, now)
                .await
            {
                Ok(false) => report.superseded += 1,
                Ok(true) => match outcome {
                    DeliveryOutcome::Delivered => report.delivered += 1,
                    DeliveryOutcome::Retry { .. } => report.retried += 1,
                    DeliveryOutcome::GaveUp { .. } => report.failed += 1,
                },
                // Keep recording the others; the lease brings this one back.
                Err(e) => {
                    log::warn!("cannot record delivery {}: {e}", delivery.id);
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }
}

/// Sends one claimed delivery.
async fn send(
    transport: &dyn Transport,
    delivery: &DueDelivery,
    now: DateTime<Utc>,
) -> Result<(), SendError> {
    let notification = &delivery.notification;
    match delivery.channel {
        Channel::Email => {
            let Some(to) = &delivery.recipient else {
                return Err(SendError::permanent(
                    "the customer has no valid email address",
                ));
            };
            let message = email_message(notification, to, transport.message_domain());
            transport.send_email(&message).await
        }
        Channel::Webhook(id) => {
            let Some((url, secret)) = &delivery.endpoint else {
                return Err(SendError::permanent(format!(
                    "webhook endpoint {id} was deleted"
                )));
            };
            let request = webhook_request(notification, url, secret, now);
            transport.post_webhook(&request).await
        }
    }
}

/// The default time a single send may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
