//! Login throttling: too many failed logins for one email, or from one client
//! address, within a window, and further attempts are refused for a while.
//!
//! Failures are counted for whatever email was typed, registered or not, and
//! the refusal reads the same either way, so throttling reveals nothing about
//! which emails exist. A successful login clears its email's count (not its
//! address's: one's own account must not reset the count of a guessing client).
//!
//! The counts live in the process that holds the throttle (the engine): with
//! several service processes, each counts on its own.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// How many failures within which window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures per email before further attempts for it are refused (default 5).
    pub per_email: usize,
    /// Failures per client address before its attempts are refused (default 20).
    pub per_address: usize,
    /// The window failures are counted in (default 15 minutes).
    pub window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            per_email: 5,
            per_address: 20,
            window: Duration::minutes(15),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Subject {
    Email(String),
    Address(String),
}

/// The failed-login counts of one process.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    failures: Mutex<HashMap<Subject, VecDeque<DateTime<Utc>>>>,
}

/// The longest email or address kept as a key (longer ones are cut).
const KEY_LEN: usize = 256;
/// Past this many subjects, stale ones are dropped before adding another.
const PRUNE_AT: usize = 10_000;

fn email_key(email: &str) -> Subject {
    Subject::Email(email.trim().to_lowercase().chars().take(KEY_LEN).collect())
}

fn address_key(address: &str) -> Subject {
    Subject::Address(address.chars().take(KEY_LEN).collect())
}

impl LoginThrottle {
    /// A throttle with `policy`.
    pub fn new(policy: ThrottlePolicy) -> Self {
        LoginThrottle {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn subjects(&self, email: &str, address: Option<&str>) -> Vec<(Subject, usize)> {
        let mut subjects = vec![(email_key(email), self.policy.per_email)];
        if let Some(address) = address {
            subjects.push((address_key(address), self.policy.per_address));
        }
        subjects
    }

    /// `Err(wait)` if an attempt for `email` from `address` must be refused
    /// now, with how long until it may be tried again.
    ///
    /// ```
    /// use shopcore::{LoginThrottle, ThrottlePolicy};
    /// let throttle = LoginThrottle::new(ThrottlePolicy::default());
    /// let now = chrono::Utc::now();
    /// for _ in 0..5 {
    ///     assert!(throttle.check("eve@example.com", None, now).is_ok());
    ///     throttle.failed("eve@example.com", None, now);
    /// }
    /// let wait = throttle.check("EVE@example.com", None, now).unwrap_err();
    /// assert_eq!(wait, chrono::Duration::minutes(15));
    /// assert!(throttle.check("sara@example.com", None, now).is_ok());
    /// ```
    pub fn check(
        &self,
        email: &str,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Duration> {
        let mut failures = self.lock();
        let mut wait = Duration::zero();
        for (subject, limit) in self.subjects(email, address) {
            if let Some(times) = failures.get_mut(&subject) {
                while times
                    .front()
                    .is_some_and(|t| *t <= now - self.policy.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit {
                    // Open again when the oldest failure that still counts leaves the window.
                    let oldest = times[times.len() - limit];
                    wait = wait.max(oldest + self.policy.window - now);
                }
            }
        }
        if wait > Duration::zero() {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Counts a failed login for `email` and `address`.
    pub fn failed(&self, email: &str, address: Option<&str>, now: DateTime<Utc>) {
        let mut failures = self.lock();
        if failures.len() >= PRUNE_AT {
            let cutoff = now - self.policy.window;
            failures.retain(|_, times| times.back().is_some_and(|t| *t > cutoff));
        }
        for (subject, limit) in self.subjects(email, address) {
            let times = failures.entry(subject).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// A successful login for `email`: its count starts again.
    pub fn succeeded(&self, email: &str) {
        self.lock().remove(&email_key(email));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Subject, VecDeque<DateTime<Utc>>>> {
        // Counts are only ever appended or dropped: a poisoned lock is still usable.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::seconds(seconds)
    }

    #[test]
    fn the_sixth_attempt_waits_until_the_first_failure_leaves_the_window() {
        let throttle = LoginThrottle::new(ThrottlePolicy::default());
        for i in 0..5 {
            assert!(throttle.check("a@example.com", None, at(i * 60)).is_ok());
            throttle.failed("a@example.com", None, at(i * 60));
        }
        assert_eq!(
            throttle.check("a@example.com", None, at(300)),
            Err(Duration::seconds(600))
        );
        // 15 minutes after the first failure it has left the window.
        assert!(throttle.check("a@example.com", None, at(900)).is_ok());
    }

    #[test]
    fn success_clears_the_email_but_not_the_address() {
        let policy = ThrottlePolicy {
            per_address: 3,
            ..ThrottlePolicy::default()
        };
        let throttle = LoginThrottle::new(policy);
        for email in ["a@x.com", "b@x.com", "c@x.com"] {
            throttle.failed(email, Some("10.0.0.9"), at(0));
        }
        throttle.succeeded("c@x.com");
        assert!(
            throttle.check("d@x.com", Some("10.0.0.9"), at(1)).is_err(),
            "the address guessed 3 times"
        );
        assert!(throttle.check("d@x.com", Some("10.0.0.10"), at(1)).is_ok());
        for _ in 0..5 {
            throttle.failed("e@x.com", None, at(2));
        }
        throttle.succeeded("E@x.com");
        assert!(throttle.check("e@x.com", None, at(3)).is_ok());
    }

    #[test]
    fn many_emails_do_not_grow_the_counts_forever() {
        let throttle = LoginThrottle::new(ThrottlePolicy::default());
        for i in 0..PRUNE_AT {
            throttle.failed(&format!("u{i}@x.com"), None, at(0));
        }
        throttle.failed("late@x.com", None, at(3600));
        assert_eq!(throttle.lock().len(), 1);
    }
}
