//! Every write runs as one transaction, rerun after a lost lock race.
//!
//! [`in_transaction!`] begins a transaction, runs one attempt, commits on
//! success and rolls back otherwise. A deadlock (1213) or lock-wait timeout
//! (1205) from *any* statement of the attempt — a plain read, a locking read,
//! a write, or the `COMMIT` — reaches it as a [`DbError`](crate::error::DbError)
//! with the server's code intact, and reruns the attempt after a short,
//! growing, jittered pause, at most `max_retries` times; then the caller gets
//! `storage_unavailable`. Each rerun is counted by its cause, and each begin
//! by how long it waited for a connection (see `shopcore::Instrumented`). A
//! refusal by a domain rule is not an error here: it rolls back and is
//! returned as it is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// An attempt's outcome: done, refused by a domain rule, or failed in storage.
pub(crate) type Attempt<T, E> = Result<Result<T, E>, crate::error::DbError>;

/// Runs `$attempt` (an expression using the connection `$conn`, of type
/// [`Attempt`]) in a fresh transaction of `$store`, as described in the module
/// docs. A macro rather than a generic function because the futures must stay
/// `Send` for `async_trait`, which higher-ranked async closures cannot yet promise.
macro_rules! in_transaction {
    ($store:expr, |$conn:ident| $attempt:expr) => {{
        let store: &$crate::MySqlStore = $store;
        let mut retries: u32 = 0;
        loop {
            let outcome: $crate::transaction::Attempt<_, _> = async {
                let mut tx = store.begin().await?;
                let $conn: &mut sqlx::MySqlConnection = &mut tx;
                match $attempt.await {
                    Ok(Ok(value)) => {
                        tx.commit().await?;
                        Ok(Ok(value))
                    }
                    other => {
                        // Explicit rollback releases the row locks now rather
                        // than when the connection is next used.
                        let _ = tx.rollback().await;
                        other
                    }
                }
            }
            .await;
            match outcome {
                Ok(result) => break result,
                Err(failure) => match failure.retry_cause(store.galera) {
                    Some(cause) if retries < store.max_retries => {
                        store.metrics.record_retry(cause);
                        retries += 1;
                        tokio::time::sleep($crate::transaction::backoff(retries)).await;
                    }
                    _ => break Err(failure.gave_up(retries, store.galera).into()),
                },
            }
        }
    }};
}

/// A short, growing, jittered pause before rerunning a transaction.
pub(crate) fn backoff(retry: u32) -> Duration {
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_micros() % 1000)
            .unwrap_or(0),
    );
    Duration::from_micros(u64::from(retry) * 2_000 + jitter)
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

impl crate::MySqlStore {
    /// Begins a transaction on a pooled connection, counting whether it had
    /// to wait for one and how long beginning took.
    pub(crate) async fn begin(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::MySql>, crate::error::DbError> {
        let waited = self.pool.num_idle() == 0;
        let started = Instant::now();
        let begun = self.pool.begin().await;
        let timed_out = matches!(begun, Err(sqlx::Error::PoolTimedOut));
        self.pool_counters
            .record(waited, started.elapsed(), timed_out);
        Ok(begun?)
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
