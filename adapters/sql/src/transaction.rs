//! Every write runs as one transaction, rerun after a lost lock race.
//!
//! [`in_transaction!`] begins a transaction, runs one attempt, commits on
//! success and rolls back otherwise. A deadlock (1213) or lock-wait timeout
//! (1205) from *any* statement of the attempt — a plain read, a locking read,
//! a write, or the `COMMIT` — reaches it as a [`DbError`](crate::error::DbError)
//! with the server's code intact, and reruns the attempt after a short,
//! growing, jittered pause, while the call's time budget lasts
//! (`PoolSettings::retry_budget`, [`Reruns`]); then the caller gets
//! `storage_unavailable`, saying how many reruns it made in how long. Each
//! rerun is counted by its cause, and each begin by how long it waited for a
//! connection (see `shopcore::Instrumented`). A refusal by a domain rule is
//! not an error here: it rolls back and is returned as it is.
//!
//! On a Galera node every transaction is *guarded* ([`Transaction`]): an
//! attempt that another node's write set aborted half-way commits nothing,
//! whatever its later statements did or reported, and is rerun.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// An attempt's outcome: done, refused by a domain rule, or failed in storage.
pub(crate) type Attempt<T, E> = Result<Result<T, E>, crate::error::DbError>;

/// Runs `$attempt` (an expression using the connection `$conn`, of type
/// [`Attempt`]) in a fresh transaction of `$store`, as described in the module
/// docs, with a time budget of its own — or, given `$reruns` (a
/// `&Reruns`), one shared with the call's other transactions. A macro
/// rather than a generic function because the futures must stay `Send` for
/// `async_trait`, which higher-ranked async closures cannot yet promise.
macro_rules! in_transaction {
    ($store:expr, |$conn:ident| $attempt:expr) => {{
        let store: &$crate::SqlStore<C> = $store;
        let reruns = store.reruns();
        in_transaction!(store, &reruns, |$conn| $attempt)
    }};
    ($store:expr, $reruns:expr, |$conn:ident| $attempt:expr) => {{
        let store: &$crate::SqlStore<C> = $store;
        let reruns: &$crate::transaction::Reruns = $reruns;
        loop {
            let outcome: $crate::transaction::Attempt<_, _> = async {
                let mut tx = store.begin().await?;
                let $conn = tx.connection();
                match $attempt.await {
                    Ok(Ok(value)) => {
                        tx.commit().await?;
                        Ok(Ok(value))
                    }
                    other => {
                        // Explicit rollback releases the row locks now rather
                        // than when the connection is next used. An attempt
                        // whose transaction the server had ended is rerun,
                        // whatever it reported (a Galera abort can surface
                        // as a foreign-key error, or as a refusal read
                        // outside the transaction) — unless what it reported
                        // is rerun anyway, and counted by its own cause.
                        let lost = tx.rollback().await;
                        if lost && !$crate::transaction::reruns_anyway(&other, store.galera) {
                            Err($crate::error::DbError::TransactionLost)
                        } else {
                            other
                        }
                    }
                }
            }
            .await;
            match outcome {
                Ok(result) => break result,
                Err(failure) => match failure.retry_cause(store.galera) {
                    Some(cause) => match reruns.next_pause() {
                        Some(pause) => {
                            store.metrics.record_retry(cause);
                            tokio::time::sleep(pause).await;
                        }
                        None => break Err(reruns.gave_up(failure, store.galera).into()),
                    },
                    None => break Err(shopcore::StorageError::from(failure).into()),
                },
            }
        }
    }};
}

/// Reruns every call gets, whatever its budget says.
pub(crate) const MIN_RERUNS: u32 = 2;

/// How long a call may keep rerunning its transactions, and how many it has
/// rerun: one per call, shared by every transaction the call runs (a
/// checkout's second, locked attempt spends the same budget).
#[derive(Debug)]
pub(crate) struct Reruns {
    started: Instant,
    budget: Duration,
    /// Reruns so far (shared by reference between a call's transactions).
    count: AtomicU32,
}

impl Reruns {
    /// A budget of `budget` from now.
    pub(crate) fn new(budget: Duration) -> Self {
        Reruns {
            started: Instant::now(),
            budget,
            count: AtomicU32::new(0),
        }
    }

    /// The pause before the next rerun, counting it; `None` when the pause
    /// would end past the budget — except for the first [`MIN_RERUNS`]
    /// reruns, which a call always gets (a call that spent its budget waiting
    /// for a connection, or in one long lock wait, still reruns a lost race).
    pub(crate) fn next_pause(&self) -> Option<Duration> {
        let next = self.count.load(Ordering::Relaxed).saturating_add(1);
        let pause = backoff(next);
        if next > MIN_RERUNS && self.started.elapsed() + pause > self.budget {
            return None;
        }
        self.count.store(next, Ordering::Relaxed);
        Some(pause)
    }

    /// The error to report once the budget is spent: for a lost race,
    /// `storage_unavailable` saying how many reruns were made in how long.
    pub(crate) fn gave_up(
        &self,
        failure: crate::error::DbError,
        galera: bool,
    ) -> shopcore::StorageError {
        let count = self.count.load(Ordering::Relaxed);
        failure.gave_up(count, self.started.elapsed(), galera)
    }
}

impl<C: crate::Backend> crate::SqlStore<C> {
    /// A fresh time budget for one call's transactions.
    pub(crate) fn reruns(&self) -> Reruns {
        Reruns::new(self.retry_budget)
    }
}

/// Whether `outcome` is a failure that is rerun anyway (and counted by its
/// own cause).
pub(crate) fn reruns_anyway<T, E>(outcome: &Attempt<T, E>, galera: bool) -> bool {
    matches!(outcome, Err(e) if e.retry_cause(galera).is_some())
}

/// A short, doubling, jittered pause before rerun number `retry` (from 1):
/// half of 2 ms × 2^(retry − 1) (at most 64 ms) fixed, the other half
/// scaled by a jitter, so that the losers of one race do not meet again at
/// once. Five reruns wait about 31–62 ms in all; within the default budget
/// of 5 s, a call whose every attempt loses at once makes about 80.
pub(crate) fn backoff(retry: u32) -> Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_micros() % 1000);
    backoff_with(retry, jitter)
}

/// [`backoff`] with the jitter given, in thousandths.
fn backoff_with(retry: u32, jitter_per_mille: u32) -> Duration {
    let full = Duration::from_millis(2) * 2u32.pow(retry.clamp(1, 6) - 1);
    full / 2 + full / 2 * jitter_per_mille.min(999) / 1000
}

/// How the pool served the transactions begun so far.
#[derive(Debug, Default)]
pub(crate) struct PoolCounters {
    acquires: AtomicU64,
    waits: AtomicU64,
    timeouts: AtomicU64,
    acquire_micros: AtomicU64,
}

impl PoolCounters {
    fn record(&self, waited: bool, took: Duration, timed_out: bool) {
        self.acquires.fetch_add(1, Ordering::Relaxed);
        if waited {
            self.waits.fetch_add(1, Ordering::Relaxed);
        }
        if timed_out {
            self.timeouts.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.acquire_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

impl<C: crate::Backend> crate::SqlStore<C> {
    /// Begins a transaction on a pooled connection, counting whether it had
    /// to wait for one and how long beginning took.
    pub(crate) async fn begin(&self) -> Result<Transaction<C>, crate::error::DbError> {
        let waited = self.pool.num_idle() == 0;
        let started = Instant::now();
        let acquired = self.pool.acquire().await;
        let timed_out = matches!(acquired, Err(sqlx::Error::PoolTimedOut));
        let begun = match acquired {
            Ok(conn) => Transaction::begin(conn, self.guard_transactions).await,
            Err(e) => Err(e.into()),
        };
        self.pool_counters
            .record(waited, started.elapsed(), timed_out);
        begun
    }

    /// A pooled connection for statements outside a transaction.
    pub(crate) async fn conn(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<C::Database>, crate::error::DbError> {
        Ok(self.pool.acquire().await?)
    }

    /// The pool's usage now.
    pub(crate) fn pool_usage(&self) -> shopcore::PoolUsage {
        let counters = &self.pool_counters;
        shopcore::PoolUsage {
            max_connections: self.pool.options().get_max_connections(),
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            acquires: counters.acquires.load(Ordering::Relaxed),
            waits: counters.waits.load(Ordering::Relaxed),
            timeouts: counters.timeouts.load(Ordering::Relaxed),
            acquire_time: Duration::from_micros(counters.acquire_micros.load(Ordering::Relaxed)),
        }
    }
}

/// How a guarded transaction begins (see [`Transaction`]): the session-local
/// table whose one row marks it is InnoDB, so that a rollback takes the row
/// with it (created before autocommit is turned off: DDL, even on a temporary
/// table, is better kept out of any transaction).
const BEGIN_GUARDED: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS shopcore_transaction_guard \
     (began TINYINT NOT NULL PRIMARY KEY) ENGINE = InnoDB; \
     SET autocommit = 0; BEGIN; INSERT INTO shopcore_transaction_guard VALUES (1)";

/// Removes the mark of a guarded transaction: one row, or the transaction is gone.
const SEAL_GUARDED: &str = "DELETE FROM shopcore_transaction_guard";

/// One transaction on a pooled connection, ended by [`commit`](Self::commit)
/// or [`rollback`](Self::rollback); one abandoned half-way (its future
/// dropped), or whose end failed, closes its connection, which ends it on the
/// server — a connection is reused only in a known state.
///
/// A *guarded* transaction (every write on a Galera node) cannot commit
/// anything but itself whole. When another node's write set wins a
/// conflict, Galera aborts the local transaction between two statements
/// (a brute-force abort); the session then runs its next statements outside
/// any transaction — on an autocommit session each one commits on its own,
/// and a statement that raced the abort may report a foreign-key or other
/// error in place of the abort's 1213. So a guarded transaction runs with
/// `autocommit = 0` (statements after an abort gather in a new implicit
/// transaction instead of committing) and first writes one row to a
/// session-local InnoDB table; before `COMMIT` it deletes that row, and if
/// the row is gone the transaction that began is gone:
/// [`DbError::TransactionLost`](crate::error::DbError::TransactionLost),
/// rolled back and rerun like a certification failure. An abort that lands
/// between that check and the `COMMIT` is reported by the `COMMIT` itself
/// (1213, rerun). The cost is two round trips more per transaction (the
/// check, and giving the session its autocommit back), only where needed.
pub(crate) struct Transaction<C: crate::Backend> {
    conn: sqlx::pool::PoolConnection<C::Database>,
    guarded: bool,
    open: bool,
}

/// What the mark of a guarded transaction showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    /// The transaction that began is still open.
    Intact,
    /// It was ended by the server (the mark is gone, or the check itself was
    /// refused as a deadlock: the abort reported late).
    Lost,
    /// The check failed otherwise (the connection broke): nothing is known.
    Unknown,
}

impl<C: crate::Backend> Transaction<C> {
    async fn begin(
        conn: sqlx::pool::PoolConnection<C::Database>,
        guarded: bool,
    ) -> Result<Self, crate::error::DbError> {
        let statements = if guarded { BEGIN_GUARDED } else { C::BEGIN };
        let mut tx = Transaction {
            conn,
            guarded,
            open: true,
        };
        // On failure `tx` is dropped open: its connection is closed.
        crate::Backend::raw(&mut *tx.conn, statements).await?;
        Ok(tx)
    }

    /// The connection, for the transaction's statements.
    pub(crate) fn connection(&mut self) -> &mut C {
        &mut self.conn
    }

    /// Removes the mark of a guarded transaction and says what it showed.
    async fn seal(&mut self) -> Mark {
        match crate::Backend::raw(&mut *self.conn, SEAL_GUARDED).await {
            Ok(sealed) if sealed.rows_affected == 1 => Mark::Intact,
            Ok(_) => Mark::Lost,
            Err(e) => match crate::error::DbError::from(e).retry_cause(true) {
                Some(_) => Mark::Lost,
                None => Mark::Unknown,
            },
        }
    }

    /// Commits, after checking (when guarded) that the transaction that began
    /// is the one being committed; rolls back when it cannot commit. Once the
    /// server has acknowledged the `COMMIT` this answers `Ok`, whatever
    /// happens to the connection afterwards.
    pub(crate) async fn commit(mut self) -> Result<(), crate::error::DbError> {
        if self.guarded {
            match self.seal().await {
                Mark::Intact => {}
                Mark::Lost => {
                    self.rollback_in_place().await;
                    return Err(crate::error::DbError::TransactionLost);
                }
                Mark::Unknown => {
                    self.rollback_in_place().await;
                    return Err(crate::error::DbError::Storage(
                        shopcore::StorageError::Unavailable(
                            "the connection failed before COMMIT; rolled back".to_owned(),
                        ),
                    ));
                }
            }
        }
        if let Err(e) = crate::Backend::raw(&mut *self.conn, "COMMIT").await {
            self.rollback_in_place().await;
            return Err(e.into());
        }
        // Committed. A session that cannot be given its autocommit back stays
        // marked open, so that its connection is closed, not reused.
        self.open = self.guarded && !self.restore_autocommit().await;
        Ok(())
    }

    /// Rolls back; answers whether the transaction had already been ended by
    /// the server (only a guarded one can tell), in which case whatever the
    /// attempt saw or reported after that point is not to be trusted.
    /// A rollback that fails leaves the connection to be closed.
    pub(crate) async fn rollback(mut self) -> bool {
        let lost = self.guarded && self.seal().await == Mark::Lost;
        self.rollback_in_place().await;
        lost
    }

    async fn rollback_in_place(&mut self) {
        let rolled_back = crate::Backend::raw(&mut *self.conn, "ROLLBACK")
            .await
            .is_ok();
        self.open = !(rolled_back && (!self.guarded || self.restore_autocommit().await));
    }

    /// `SET autocommit = 1`: whether it worked.
    async fn restore_autocommit(&mut self) -> bool {
        crate::Backend::raw(&mut *self.conn, "SET autocommit = 1")
            .await
            .is_ok()
    }
}

impl<C: crate::Backend> Drop for Transaction<C> {
    fn drop(&mut self) {
        if self.open {
            // Unfinished, or its session state is unknown: never reuse it.
            self.conn.close_on_drop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_within_its_jitter_and_is_capped() {
        let ms = |retry, jitter| backoff_with(retry, jitter).as_micros();
        assert_eq!((ms(1, 0), ms(1, 999)), (1_000, 1_999));
        assert_eq!((ms(2, 0), ms(3, 0), ms(5, 0)), (2_000, 4_000, 16_000));
        assert_eq!(ms(6, 0), ms(40, 0));
        assert_eq!(ms(40, 5_000), 63_968);
        let five: u128 = (1..=5).map(|n| ms(n, 0)).sum();
        assert_eq!(five, 31_000);
    }

    #[test]
    fn reruns_stop_when_the_next_pause_would_end_past_the_budget() {
        // No budget at all: the two reruns every call gets, then none.
        let none = Reruns::new(Duration::ZERO);
        assert!(none.next_pause().is_some());
        assert!(none.next_pause().is_some());
        assert_eq!(none.next_pause(), None);
        assert_eq!(none.count.into_inner(), MIN_RERUNS);
        // Every pause is at most 64 ms: a budget of 100 ms allows the first
        // few (about 1 + 2 + 4 + 8 + 16 ms, each up to twice that), never 100 ms of them.
        let short = Reruns::new(Duration::from_millis(100));
        let mut slept = Duration::ZERO;
        while let Some(pause) = short.next_pause() {
            assert!(pause <= Duration::from_millis(64), "{pause:?}");
            std::thread::sleep(pause);
            slept += pause;
        }
        let count = short.count.load(Ordering::Relaxed);
        assert!((3..=7).contains(&count), "{count}");
        assert!(slept <= Duration::from_millis(100), "{slept:?}");
        // The refused pause had its own jitter: even the longest pause the
        // next rerun could draw must then end past the budget.
        let longest_next = backoff_with(count + 1, 999);
        assert!(short.started.elapsed() + longest_next > short.budget);
    }
}
