//! When a failed delivery is tried again, and when it is given up.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::outbox::*;

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

pub(super) fn truncate(mut text: String, max: usize) -> String {
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
    (getrandom::u64().expect("the operating system's random source") >> 11) as f64
        / (1u64 << 53) as f64
}
