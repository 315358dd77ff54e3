//! Login throttling: too many failed logins for one email, or from one client
//! address, within a window, and further attempts are refused for a while.
//!
//! Failures are counted for whatever email was typed, registered or not, and
//! the refusal reads the same either way, so throttling reveals nothing about
//! which emails exist. An attempt counts from the moment it is admitted, so
//! concurrent guesses cannot slip past the limit. A successful login clears
//! its email's count (not its address's: one's own account must not reset the
//! count of a guessing client).
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

    /// Admits an attempt for `email` from `address` now, counting it as a
    /// failure until it is known to be one or not (so concurrent attempts
    /// cannot slip past the limit); or `Err(wait)` if it must be refused, with
    /// how long until an attempt may be made again (nothing is counted then).
    ///
    /// ```
    /// use shopcore::{LoginThrottle, ThrottlePolicy};
    /// let throttle = LoginThrottle::new(ThrottlePolicy::default());
    /// let now = chrono::Utc::now();
    /// for _ in 0..5 {
    ///     assert!(throttle.admit("eve@example.com", None, now).is_ok()); // each then fails
    /// }
    /// let wait = throttle.admit("EVE@example.com", None, now).unwrap_err();
    /// assert_eq!(wait, chrono::Duration::minutes(15));
    /// assert!(throttle.admit("sara@example.com", None, now).is_ok());
    /// ```
    pub fn admit(
        &self,
        email: &str,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Duration> {
        let mut failures = self.lock();
        let subjects = self.subjects(email, address);
        let mut wait = Duration::zero();
        for (subject, limit) in &subjects {
            if let Some(times) = failures.get_mut(subject) {
                while times
                    .front()
                    .is_some_and(|t| *t <= now - self.policy.window)
                {
                    times.pop_front();
                }
                if times.len() >= *limit {
                    // Open again when the oldest failure that still counts leaves the window.
                    let oldest = times[times.len() - limit];
                    wait = wait.max(oldest + self.policy.window - now);
                }
            }
        }
        if wait > Duration::zero() {
            return Err(wait);
        }
        if failures.len() >= PRUNE_AT {
            let cutoff = now - self.policy.window;
            failures.retain(|_, times| times.back().is_some_and(|t| *t > cutoff));
        }
        for (subject, limit) in subjects {
            let times = failures.entry(subject).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
        Ok(())
    }

    /// The attempt admitted at `now` succeeded: the email's count starts
    /// again, and the attempt no longer counts against the address.
    pub fn succeeded(&self, email: &str, address: Option<&str>, now: DateTime<Utc>) {
        let mut failures = self.lock();
        failures.remove(&email_key(email));
        if let Some(address) = address {
            forget_one(&mut failures, &address_key(address), now);
        }
    }

    /// The attempt admitted at `now` neither failed nor succeeded (the store
    /// could not answer): it counts against nobody.
    pub fn release(&self, email: &str, address: Option<&str>, now: DateTime<Utc>) {
        let mut failures = self.lock();
        for (subject, _) in self.subjects(email, address) {
            forget_one(&mut failures, &subject, now);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Subject, VecDeque<DateTime<Utc>>>> {
        // Counts are only ever appended or dropped: a poisoned lock is still usable.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Removes one attempt made at `at` from `subject`'s count.
fn forget_one(
    failures: &mut HashMap<Subject, VecDeque<DateTime<Utc>>>,
    subject: &Subject,
    at: DateTime<Utc>,
) {
    if let Some(times) = failures.get_mut(subject) {
        if let Some(position) = times.iter().rposition(|t| *t == at) {
            times.remove(position);
        }
        if times.is_empty() {
            failures.remove(subject);
        }
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
            assert!(throttle.admit("a@example.com", None, at(i * 60)).is_ok());
        }
        assert_eq!(
            throttle.admit("a@example.com", None, at(300)),
            Err(Duration::seconds(600))
        );
        // 15 minutes after the first failure it has left the window.
        assert!(throttle.admit("a@example.com", None, at(900)).is_ok());
    }

    #[test]
    fn concurrent_attempts_cannot_pass_the_limit() {
        let throttle = std::sync::Arc::new(LoginThrottle::new(ThrottlePolicy::default()));
        let admitted: usize = (0..40)
            .map(|i| {
                let throttle = throttle.clone();
                std::thread::spawn(move || {
                    throttle
                        .admit("b@example.com", Some(&format!("10.0.0.{i}")), at(0))
                        .is_ok()
                })
            })
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn success_clears_the_email_and_its_own_attempt_only() {
        let policy = ThrottlePolicy {
            per_address: 3,
            ..ThrottlePolicy::default()
        };
        let throttle = LoginThrottle::new(policy);
        for email in ["a@x.com", "b@x.com"] {
            throttle.admit(email, Some("10.0.0.9"), at(0)).unwrap();
        }
        // A success from the same address does not count against it …
        throttle.admit("c@x.com", Some("10.0.0.9"), at(1)).unwrap();
        throttle.succeeded("c@x.com", Some("10.0.0.9"), at(1));
        throttle.admit("d@x.com", Some("10.0.0.9"), at(2)).unwrap();
        // … but the three failures do.
        assert!(throttle.admit("e@x.com", Some("10.0.0.9"), at(3)).is_err());
        assert!(throttle.admit("e@x.com", Some("10.0.0.10"), at(3)).is_ok());
        for _ in 0..4 {
            throttle.admit("f@x.com", None, at(4)).unwrap();
        }
        throttle.succeeded("F@x.com", None, at(4));
        for _ in 0..5 {
            assert!(throttle.admit("f@x.com", None, at(5)).is_ok());
        }
        throttle.release("f@x.com", None, at(5));
        assert!(
            throttle.admit("f@x.com", None, at(5)).is_ok(),
            "a released attempt does not count"
        );
    }

    #[test]
    fn many_emails_do_not_grow_the_counts_forever() {
        let throttle = LoginThrottle::new(ThrottlePolicy::default());
        for i in 0..PRUNE_AT {
            throttle.admit(&format!("u{i}@x.com"), None, at(0)).unwrap();
        }
        throttle.admit("late@x.com", None, at(3600)).unwrap();
        assert_eq!(throttle.lock().len(), 1);
    }
}
