//! Throttling of logins, registrations and coupon lookups, with the counts
//! kept in the store so every worker process and host counts together.
//!
//! The rules are pure ([`ThrottleCheck::decide`], [`ThrottleCheck::plan_attempt`]);
//! the counts live behind the [`ThrottleRepository`](crate::ThrottleRepository)
//! port, which reads them and counts one more attempt atomically (a lock, or
//! row locks in one transaction). Each counted subject is a [`ThrottleKey`]:
//! the SHA-256 of what it counts (no email or address is stored as such),
//! with a fixed window that opens at its first attempt. A window that has
//! ended counts nothing, and stores prune such entries.
//!
//! Logins are throttled so that throttling cannot be turned against the
//! owner of an account:
//! - failures are refused per (email, client address) at
//!   [`ThrottlePolicy::per_email_and_address`] and per client address at
//!   [`ThrottlePolicy::per_address`]: a guesser is stopped where it guesses;
//! - per email across addresses, failures only *slow down*: past
//!   [`ThrottlePolicy::email_slowdown_after`] failures, an attempt from an
//!   address that has failures of its own must come a growing wait (1 s,
//!   2 s, 4 s, … at most [`ThrottlePolicy::email_slowdown_max`]) after its
//!   own last failure, so others' failures can lengthen the wait but never
//!   push it back. An address with no recent failures is never slowed: the
//!   owner's correct password from a clean address always logs in, and from
//!   an address where they mistyped, at most a minute after the typo;
//! - a malformed email or password (passwords are 8–128 characters, so it
//!   cannot be anyone's) costs no hash and counts against the address only;
//! - only failures count, so any number of concurrent correct logins to one
//!   account pass. A failure is counted atomically with the decision, so of
//!   concurrent guesses at most the limit are answered `invalid_credentials`
//!   and the rest `too_many_attempts`; a success is checked again after the
//!   password check, so a correct guess among them is refused the same way
//!   once the limit is reached (the answer says nothing about the guess).
//!
//! Failures are counted for whatever email was typed, registered or not, and
//! a refusal reads the same either way. A correct password clears its own
//! (email, address) count, not the address's nor the email's.
//!
//! Registrations are counted per client address when admitted (each costs a
//! hash, whether it then succeeds or not); failed coupon lookups in quotes
//! per client address, after which a quote with a coupon code is refused.
//!
//! Without a client address the caller is trusted code, not a network
//! client (the HTTP layer always passes one): registrations, coupon lookups
//! and malformed logins are not counted, and logins are counted per email
//! only — refused past [`ThrottlePolicy::per_email_and_address`] and slowed
//! down past [`ThrottlePolicy::email_slowdown_after`], as for an address
//! that has failed before.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::values::text::Email;

/// The limits of every throttle, each counted within [`window`](Self::window).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failed logins for one email from one client address before further
    /// attempts from there are refused (default 5).
    pub per_email_and_address: u32,
    /// Failed logins from one client address, for any emails, before its
    /// attempts are refused (default 20).
    pub per_address: u32,
    /// Failed logins for one email, from any addresses, before attempts from
    /// addresses with failures of their own are slowed down (default 5).
    pub email_slowdown_after: u32,
    /// The longest wait the email slowdown asks for (default 60 s).
    pub email_slowdown_max: Duration,
    /// Registrations from one client address before further ones are refused (default 10).
    pub registrations_per_address: u32,
    /// Failed coupon lookups in quotes from one client address before its
    /// quotes with a coupon code are refused (default 20).
    pub coupon_failures_per_address: u32,
    /// The window attempts are counted in (default 15 minutes).
    pub window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            per_email_and_address: 5,
            per_address: 20,
            email_slowdown_after: 5,
            email_slowdown_max: Duration::seconds(60),
            registrations_per_address: 10,
            coupon_failures_per_address: 20,
            window: Duration::minutes(15),
        }
    }
}

/// What one count counts: the SHA-256 (hex) of its kind and subject, e.g. the
/// failed logins for one email from one address.
///
/// ```
/// use shopcore::ThrottleKey;
/// let key = ThrottleKey::new("login-address", &["10.0.0.1"]);
/// assert_eq!(key.as_str().len(), 64);
/// assert_eq!(key, ThrottleKey::new("login-address", &["10.0.0.1"]));
/// assert_ne!(key, ThrottleKey::new("register-address", &["10.0.0.1"]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThrottleKey(String);

impl ThrottleKey {
    /// The key of `kind` for the subject made of `parts`.
    pub fn new(kind: &str, parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(kind.as_bytes());
        for part in parts {
            // A separator that no part can contain ends each one.
            hasher.update([0u8]);
            hasher.update(part.as_bytes());
        }
        ThrottleKey(
            hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }

    /// The key as stored: 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One subject's count as stored: attempts in the window that ends at
/// `window_ends`, the latest at `last_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleCount {
    /// Attempts counted in the window.
    pub attempts: u32,
    /// When the window ends (its first attempt plus the policy's window).
    pub window_ends: DateTime<Utc>,
    /// The latest attempt counted.
    pub last_at: DateTime<Utc>,
}

impl ThrottleCount {
    /// The attempts that still count at `now` (none once the window has ended).
    pub fn live(&self, now: DateTime<Utc>) -> u32 {
        if now < self.window_ends {
            self.attempts
        } else {
            0
        }
    }

    /// The count after one more attempt at `now`: a fresh window of `window`
    /// if there is none or it has ended.
    pub fn after_attempt(
        current: Option<&ThrottleCount>,
        now: DateTime<Utc>,
        window: Duration,
    ) -> ThrottleCount {
        match current {
            Some(count) if count.live(now) > 0 => ThrottleCount {
                attempts: count.attempts.saturating_add(1),
                window_ends: count.window_ends,
                last_at: count.last_at.max(now),
            },
            _ => ThrottleCount {
                attempts: 1,
                window_ends: now + window,
                last_at: now,
            },
        }
    }
}

/// The counts a store read, by key (absent keys have counted nothing).
pub type ThrottleCounts = HashMap<ThrottleKey, ThrottleCount>;

/// The email slowdown of a login check.
#[derive(Clone, Debug, PartialEq, Eq)]
struct EmailSlowdown {
    email: ThrottleKey,
    /// The address's failures (none known: never clean).
    address: Option<ThrottleKey>,
    after: u32,
    max: Duration,
}

/// Which counts one kind of attempt reads and adds to, and the rule that
/// admits or refuses it.
///
/// ```
/// use shopcore::{Email, ThrottleCheck, ThrottleCounts, ThrottlePolicy};
/// let policy = ThrottlePolicy::default();
/// let email = Email::parse("sara@example.com").unwrap();
/// let from_a = ThrottleCheck::login(&policy, &email, Some("10.0.0.1"));
/// let now = chrono::Utc::now();
/// let mut counts = ThrottleCounts::new();
/// for _ in 0..5 {
///     for (key, count) in from_a.plan_attempt(&counts, now).unwrap() {
///         counts.insert(key, count);
///     }
/// }
/// assert_eq!(from_a.decide(&counts, now), Err(chrono::Duration::minutes(15)));
/// // The owner, from an address with no failures, is not held back.
/// let from_b = ThrottleCheck::login(&policy, &email, Some("10.0.0.2"));
/// assert_eq!(from_b.decide(&counts, now), Ok(()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleCheck {
    limits: Vec<(ThrottleKey, u32)>,
    slowdown: Option<EmailSlowdown>,
    /// The key a success clears (the login's own email and address).
    own: Option<ThrottleKey>,
    window: Duration,
}

impl ThrottleCheck {
    /// A login for `email` from `address`: refused per (email, address) and
    /// per address, slowed down per email.
    pub fn login(policy: &ThrottlePolicy, email: &Email, address: Option<&str>) -> Self {
        let own = match address {
            Some(address) => ThrottleKey::new("login-email-address", &[email.as_str(), address]),
            None => ThrottleKey::new("login-email-unknown-address", &[email.as_str()]),
        };
        let address_key = address.map(|address| ThrottleKey::new("login-address", &[address]));
        let mut limits = vec![(own.clone(), policy.per_email_and_address)];
        limits.extend(address_key.clone().map(|key| (key, policy.per_address)));
        ThrottleCheck {
            limits,
            slowdown: Some(EmailSlowdown {
                email: ThrottleKey::new("login-email", &[email.as_str()]),
                address: address_key,
                after: policy.email_slowdown_after,
                max: policy.email_slowdown_max,
            }),
            own: Some(own),
            window: policy.window,
        }
    }

    /// A login whose email or password is malformed (it cannot be anyone's):
    /// counted against the address only.
    pub fn malformed_login(policy: &ThrottlePolicy, address: Option<&str>) -> Self {
        Self::per_address("login-address", address, policy.per_address, policy)
    }

    /// A registration from `address`.
    pub fn registration(policy: &ThrottlePolicy, address: Option<&str>) -> Self {
        Self::per_address(
            "register-address",
            address,
            policy.registrations_per_address,
            policy,
        )
    }

    /// A failed coupon lookup in a quote from `address`.
    pub fn coupon_lookup(policy: &ThrottlePolicy, address: Option<&str>) -> Self {
        Self::per_address(
            "coupon-address",
            address,
            policy.coupon_failures_per_address,
            policy,
        )
    }

    /// Counted per address; without one, not at all.
    fn per_address(kind: &str, address: Option<&str>, limit: u32, policy: &ThrottlePolicy) -> Self {
        ThrottleCheck {
            limits: address
                .map(|address| (ThrottleKey::new(kind, &[address]), limit))
                .into_iter()
                .collect(),
            slowdown: None,
            own: None,
            window: policy.window,
        }
    }

    /// Every key this check reads and counts, sorted (the order stores lock them in).
    pub fn keys(&self) -> Vec<ThrottleKey> {
        let mut keys: Vec<ThrottleKey> = self.limits.iter().map(|(key, _)| key.clone()).collect();
        if let Some(slowdown) = &self.slowdown {
            keys.push(slowdown.email.clone());
            keys.extend(slowdown.address.clone());
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// The key a successful login clears: its own (email, address) count.
    pub fn own_key(&self) -> Option<&ThrottleKey> {
        self.own.as_ref()
    }

    /// Whether an attempt at `now` is admitted with `counts`; if not, how
    /// long until it would be.
    pub fn decide(&self, counts: &ThrottleCounts, now: DateTime<Utc>) -> Result<(), Duration> {
        let live = |key: &ThrottleKey| counts.get(key).map_or(0, |count| count.live(now));
        let mut wait = Duration::zero();
        for (key, limit) in &self.limits {
            if let Some(count) = counts.get(key) {
                if count.live(now) >= *limit {
                    wait = wait.max(count.window_ends - now);
                }
            }
        }
        if let Some(slowdown) = &self.slowdown {
            let failures = live(&slowdown.email);
            let clean = slowdown.address.as_ref().is_some_and(|key| live(key) == 0);
            if !clean && failures >= slowdown.after {
                // The wait runs from the asking address's own last failure
                // (without an address, from the email's): others' failures
                // may lengthen it, up to the maximum, but never push it back.
                let since = match &slowdown.address {
                    Some(address) => counts.get(address),
                    None => counts.get(&slowdown.email),
                };
                if let Some(last) = since {
                    let ready = last.last_at + slowdown.wait(failures);
                    wait = wait.max(ready - now);
                }
            }
        }
        if wait > Duration::zero() {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Decides an attempt at `now` with `counts` and, if admitted, the new
    /// count of every key (one more attempt each), for the store to write.
    pub fn plan_attempt(
        &self,
        counts: &ThrottleCounts,
        now: DateTime<Utc>,
    ) -> Result<Vec<(ThrottleKey, ThrottleCount)>, Duration> {
        self.decide(counts, now)?;
        Ok(self
            .counted_keys()
            .into_iter()
            .map(|key| {
                let count = ThrottleCount::after_attempt(counts.get(&key), now, self.window);
                (key, count)
            })
            .collect())
    }

    /// The keys an attempt adds to: every key but the slowdown's address
    /// (which is counted by the address limit when there is one).
    fn counted_keys(&self) -> Vec<ThrottleKey> {
        let mut keys: Vec<ThrottleKey> = self.limits.iter().map(|(key, _)| key.clone()).collect();
        if let Some(slowdown) = &self.slowdown {
            keys.push(slowdown.email.clone());
        }
        keys.sort();
        keys.dedup();
        keys
    }
}

impl EmailSlowdown {
    /// The wait after the asking address's last failure once the email has `failures`:
    /// 1 s at the threshold, doubling with each further failure, at most `max`.
    fn wait(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(self.after).min(20);
        Duration::seconds(1i64 << doublings).min(self.max)
    }
}

/// A refusal by a throttle, or the refusal `E` of the work it guards.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Throttled<E> {
    /// See [`ErrorKind::TooManyAttempts`].
    #[error("too many attempts: try again in {retry_after_seconds} s")]
    TooManyAttempts {
        /// Seconds until an attempt may be made again.
        retry_after_seconds: u64,
    },
    /// The guarded work's own refusal.
    #[error(transparent)]
    Refused(E),
}

impl<E> Throttled<E> {
    /// `too_many_attempts` after `wait`.
    pub fn wait(wait: Duration) -> Self {
        Throttled::TooManyAttempts {
            retry_after_seconds: retry_after_seconds(wait),
        }
    }

    /// Seconds to wait, if this is `too_many_attempts`.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Throttled::TooManyAttempts {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            Throttled::Refused(_) => None,
        }
    }
}

impl<E: ErrorCode> ErrorCode for Throttled<E> {
    fn kind(&self) -> ErrorKind {
        match self {
            Throttled::TooManyAttempts { .. } => ErrorKind::TooManyAttempts,
            Throttled::Refused(error) => error.kind(),
        }
    }
}

impl<E: From<StorageError>> From<StorageError> for Throttled<E> {
    fn from(error: StorageError) -> Self {
        Throttled::Refused(E::from(error))
    }
}

/// Whole seconds to announce for `wait` (rounded up, at least 1).
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let millis = u64::try_from(wait.num_milliseconds()).unwrap_or(0);
    millis.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::seconds(seconds)
    }

    fn email(text: &str) -> Email {
        Email::parse(text).unwrap()
    }

    /// Counts one attempt of `check` at `now` into `counts`, if admitted.
    fn attempt(
        check: &ThrottleCheck,
        counts: &mut ThrottleCounts,
        now: DateTime<Utc>,
    ) -> Result<(), Duration> {
        for (key, count) in check.plan_attempt(counts, now)? {
            counts.insert(key, count);
        }
        Ok(())
    }

    #[test]
    fn the_sixth_failure_from_one_address_waits_until_the_window_ends() {
        let policy = ThrottlePolicy::default();
        let check = ThrottleCheck::login(&policy, &email("a@example.com"), Some("10.0.0.1"));
        let mut counts = ThrottleCounts::new();
        for i in 0..5 {
            assert_eq!(attempt(&check, &mut counts, at(i * 60)), Ok(()));
        }
        assert_eq!(check.decide(&counts, at(300)), Err(Duration::seconds(600)));
        // 15 minutes after the first failure its window has ended.
        assert_eq!(attempt(&check, &mut counts, at(900)), Ok(()));
    }

    #[test]
    fn failures_from_one_address_never_refuse_the_owner_at_a_clean_address() {
        let policy = ThrottlePolicy::default();
        let target = email("owner@example.com");
        let mut counts = ThrottleCounts::new();
        // Twenty attackers' addresses fail five times each.
        for a in 0..20 {
            let address = format!("10.0.1.{a}");
            let check = ThrottleCheck::login(&policy, &target, Some(&address));
            for i in 0..5 {
                let _ = attempt(&check, &mut counts, at(a * 5 + i));
            }
        }
        let owner = ThrottleCheck::login(&policy, &target, Some("192.168.1.7"));
        assert_eq!(owner.decide(&counts, at(101)), Ok(()));
    }

    #[test]
    fn failures_for_one_email_slow_down_addresses_that_failed_too() {
        let policy = ThrottlePolicy::default();
        let target = email("owner@example.com");
        let mut counts = ThrottleCounts::new();
        for a in 0..5 {
            let check = ThrottleCheck::login(&policy, &target, Some(&format!("10.0.2.{a}")));
            assert_eq!(attempt(&check, &mut counts, at(0)), Ok(()));
        }
        // A sixth address that has already failed (for another email) must wait
        // 1 s after its own last failure.
        let dirty = Some("10.0.2.99");
        let other = ThrottleCheck::login(&policy, &email("x@example.com"), dirty);
        assert_eq!(attempt(&other, &mut counts, at(0)), Ok(()));
        let check = ThrottleCheck::login(&policy, &target, dirty);
        assert_eq!(check.decide(&counts, at(0)), Err(Duration::seconds(1)));
        assert_eq!(attempt(&check, &mut counts, at(1)), Ok(()));
        // The sixth failure doubles the wait; then 4 s, 8 s, … at most a minute.
        assert_eq!(check.decide(&counts, at(2)), Err(Duration::seconds(1)));
        assert_eq!(attempt(&check, &mut counts, at(3)), Ok(()));
        assert_eq!(check.decide(&counts, at(3)), Err(Duration::seconds(4)));
        let slowdown = check.slowdown.as_ref().unwrap();
        assert_eq!(slowdown.wait(50), Duration::seconds(60));
        // A clean address is not slowed at all.
        let clean = ThrottleCheck::login(&policy, &target, Some("192.168.1.7"));
        assert_eq!(clean.decide(&counts, at(3)), Ok(()));
    }

    #[test]
    fn others_failures_never_keep_an_address_waiting_past_the_maximum() {
        // The attack run's repro: the owner mistypes once from their address;
        // an attacker keeps failing for the same email from fresh addresses.
        let policy = ThrottlePolicy::default();
        let target = email("owner@example.com");
        let mut counts = ThrottleCounts::new();
        let home = Some("10.0.5.1");
        let owner = ThrottleCheck::login(&policy, &target, home);
        attempt(&owner, &mut counts, at(0)).unwrap();
        for a in 0..40 {
            let attacker = ThrottleCheck::login(&policy, &target, Some(&format!("10.0.6.{a}")));
            attempt(&attacker, &mut counts, at(20 * a)).unwrap();
        }
        // 40 failures for the email, the last just now: the owner's address
        // waits the maximum from its own failure at 0, then passes.
        assert_eq!(owner.decide(&counts, at(780)), Ok(()));
        assert_eq!(owner.decide(&counts, at(30)), Err(Duration::seconds(30)));
    }

    #[test]
    fn malformed_logins_count_against_the_address_only() {
        let policy = ThrottlePolicy::default();
        let target = email("owner@example.com");
        let mut counts = ThrottleCounts::new();
        let malformed = ThrottleCheck::malformed_login(&policy, Some("10.0.3.1"));
        for _ in 0..20 {
            assert_eq!(attempt(&malformed, &mut counts, at(0)), Ok(()));
        }
        assert!(attempt(&malformed, &mut counts, at(0)).is_err());
        // The address is blocked for well-formed attempts too …
        let same = ThrottleCheck::login(&policy, &target, Some("10.0.3.1"));
        assert!(same.decide(&counts, at(0)).is_err());
        // … but the email has counted nothing: a dirty address elsewhere is not slowed.
        let dirty = Some("10.0.3.2");
        let other = ThrottleCheck::login(&policy, &email("x@example.com"), dirty);
        attempt(&other, &mut counts, at(0)).unwrap();
        let check = ThrottleCheck::login(&policy, &target, dirty);
        assert_eq!(check.decide(&counts, at(0)), Ok(()));
    }

    #[test]
    fn one_address_is_refused_after_its_limit_for_any_emails() {
        let policy = ThrottlePolicy::default();
        let mut counts = ThrottleCounts::new();
        for i in 0..20 {
            let check =
                ThrottleCheck::login(&policy, &email(&format!("u{i}@x.com")), Some("10.0.4.1"));
            assert_eq!(attempt(&check, &mut counts, at(i.into())), Ok(()));
        }
        let next = ThrottleCheck::login(&policy, &email("v@x.com"), Some("10.0.4.1"));
        assert_eq!(next.decide(&counts, at(20)), Err(Duration::seconds(880)));
        let elsewhere = ThrottleCheck::login(&policy, &email("v@x.com"), Some("10.0.4.2"));
        assert_eq!(elsewhere.decide(&counts, at(20)), Ok(()));
    }

    #[test]
    fn registrations_and_coupon_lookups_have_their_own_counts() {
        let policy = ThrottlePolicy::default();
        let mut counts = ThrottleCounts::new();
        let register = ThrottleCheck::registration(&policy, Some("10.0.5.1"));
        for _ in 0..10 {
            assert_eq!(attempt(&register, &mut counts, at(0)), Ok(()));
        }
        assert!(attempt(&register, &mut counts, at(0)).is_err());
        let coupons = ThrottleCheck::coupon_lookup(&policy, Some("10.0.5.1"));
        let login = ThrottleCheck::login(&policy, &email("a@x.com"), Some("10.0.5.1"));
        assert_eq!(coupons.decide(&counts, at(0)), Ok(()));
        assert_eq!(login.decide(&counts, at(0)), Ok(()));
        for _ in 0..20 {
            assert_eq!(attempt(&coupons, &mut counts, at(0)), Ok(()));
        }
        assert_eq!(
            attempt(&coupons, &mut counts, at(1)),
            Err(Duration::seconds(899))
        );
        assert_eq!(
            register.decide(&counts, at(900)),
            Ok(()),
            "the window has ended"
        );
    }

    #[test]
    fn without_an_address_only_the_email_is_counted() {
        let policy = ThrottlePolicy::default();
        assert!(ThrottleCheck::registration(&policy, None).keys().is_empty());
        assert!(ThrottleCheck::coupon_lookup(&policy, None)
            .keys()
            .is_empty());
        assert!(ThrottleCheck::malformed_login(&policy, None)
            .keys()
            .is_empty());
        let mut counts = ThrottleCounts::new();
        let check = ThrottleCheck::login(&policy, &email("a@x.com"), None);
        assert_eq!(check.keys().len(), 2, "per email: refused and slowed down");
        for i in 0..5 {
            attempt(&check, &mut counts, at(i * 60)).unwrap();
        }
        assert_eq!(check.decide(&counts, at(300)), Err(Duration::seconds(600)));
        let other = ThrottleCheck::login(&policy, &email("b@x.com"), None);
        assert_eq!(other.decide(&counts, at(300)), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(Duration::milliseconds(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::seconds(600)), 600);
        assert_eq!(retry_after_seconds(Duration::zero()), 1);
    }
}
