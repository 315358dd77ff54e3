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

mod delivery;
mod email;
mod retry;
mod webhook;
mod webhook_target;
mod webhook_url;

pub use delivery::{channels_for, Channel, Delivery, DeliveryOutcome, DeliveryStatus, DueDelivery};
pub use email::{email_message, EmailMessage};
pub use retry::{jitter, RetryPolicy, MAX_ERROR_LEN};
pub use webhook::{
    plan_webhook, webhook_request, NewWebhook, WebhookEndpoint, WebhookEvent, WebhookRequest,
    WebhookSecret,
};
pub use webhook_target::{non_public_address, WebhookTargets};
pub use webhook_url::{HostAllowlist, WebhookUrl};

use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::values::ids::{NotificationId, WebhookId};

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
    use std::time::Duration;

    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine as _;
    use chrono::Utc;

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
    fn urls_are_kept_as_an_http_client_reads_them() {
        let any = HostAllowlist::any();
        // An IPv4 address in another spelling is the address it names.
        let hex = WebhookUrl::parse("http://0x7f.1:9000/hook", &any).unwrap();
        assert_eq!(
            (hex.host(), hex.as_str()),
            ("127.0.0.1", "http://127.0.0.1:9000/hook")
        );
        let upper = WebhookUrl::parse("HTTPS://Hooks.Example.COM/In", &any).unwrap();
        assert_eq!(upper.as_str(), "https://hooks.example.com/In");
        // The allowlist judges the host connected to, not the spelling.
        let only = HostAllowlist::parse("hooks.example.com").unwrap();
        assert!(WebhookUrl::parse("http://0x7f.1/", &only).is_err());
        assert!(WebhookUrl::parse("https://HOOKS.example.com/x", &only).is_ok());
        // A stored URL keeps its text, and its host is read the same way.
        let stored = WebhookUrl::from_stored("http://0x7f.1/old".to_owned());
        assert_eq!(
            (stored.as_str(), stored.host()),
            ("http://0x7f.1/old", "127.0.0.1")
        );
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
            // Found by review: the checks must read the authority the parser
            // reads, so the scheme's `//` comes first.
            "https:hooks_example.com/?://x",
            "http:/evil.com/a://b",
            "http:ex%61mple.com/#://",
        ] {
            assert!(WebhookUrl::parse(bad, &any).is_err(), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2000));
        assert!(WebhookUrl::parse(&long, &any).is_err());
        // Short as written, too long once encoded (each `{` is `%7B`).
        let encoded = format!("https://example.com/{}", "{".repeat(700));
        assert!(encoded.len() < WebhookUrl::MAX_LEN);
        assert!(WebhookUrl::parse(&encoded, &any).is_err());
        let fits = format!("https://example.com/{}", "{".repeat(600));
        assert_eq!(
            WebhookUrl::parse(&fits, &any).unwrap().as_str().len(),
            20 + 1800
        );
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
