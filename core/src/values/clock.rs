//! Time as an input.
//!
//! The planners never read the clock: they take `now` as an argument. Adapters
//! own a [`Clock`] and pass its reading in, so tests can pin time.

use chrono::{DateTime, SubsecRound, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, truncated to whole seconds (what a `DATETIME` column keeps).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(0)
    }
}

/// A clock that always reads the same time.
///
/// ```
/// use shopcore::{Clock, FixedClock};
/// let clock = FixedClock(chrono::DateTime::UNIX_EPOCH);
/// assert_eq!(clock.now().timestamp(), 0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
