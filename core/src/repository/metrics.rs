//! What a store counts about its own work, for metrics exporters.
//!
//! Every adapter keeps a [`StoreMetrics`]: checkouts placed, replayed by an
//! idempotency key, and refused (by error code), and — where storage can lose
//! a lock race — transactions rerun, by [`RetryCause`]. Counters only ever
//! grow; [`Instrumented::metrics`] reads them all at once as a
//! [`MetricsSnapshot`], with the connection pool's usage where there is a pool.
//! Nothing here does I/O: an exporter (the Python services' `/metrics`) turns
//! snapshots into Prometheus series.
//!
//! ```
//! use shopcore::{ErrorKind, RetryCause, StoreMetrics};
//!
//! let metrics = StoreMetrics::default();
//! metrics.record_refusal(ErrorKind::InsufficientStock);
//! metrics.record_retry(RetryCause::Deadlock);
//! let snapshot = metrics.snapshot();
//! assert_eq!(snapshot.checkouts_refused, vec![(ErrorKind::InsufficientStock, 1)]);
//! assert_eq!(snapshot.retries(RetryCause::Deadlock), 1);
//! assert_eq!(snapshot.checkouts_placed, 0);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{ErrorCode, ErrorKind};
use crate::repository::PlacedOrder;

/// Why a transaction was rerun.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryCause {
    /// InnoDB chose this transaction as a deadlock victim (MySQL error 1213).
    Deadlock,
    /// A row lock was not granted within `innodb_lock_wait_timeout` (1205).
    LockWait,
    /// A Galera cluster refused the write set at certification (a conflict
    /// with a write committed on another node; reported as 1213 by WSREP).
    Certification,
    /// A write planned from an unlocked snapshot found, as it moved the hot
    /// rows, that they no longer matched the snapshot (stock taken meanwhile,
    /// points changed): it rolled back and was decided again from locked rows.
    StaleSnapshot,
    /// SQLite answered `SQLITE_BUSY` (or `SQLITE_LOCKED`): another connection
    /// held the database's write lock past the busy timeout.
    Busy,
}

impl RetryCause {
    /// Every cause, in a fixed order.
    pub const ALL: [RetryCause; 5] = [
        RetryCause::Deadlock,
        RetryCause::LockWait,
        RetryCause::Certification,
        RetryCause::StaleSnapshot,
        RetryCause::Busy,
    ];

    /// The label exporters use: `deadlock`, `lock_wait`, `certification`,
    /// `stale_snapshot`, `busy`.
    pub const fn label(self) -> &'static str {
        match self {
            RetryCause::Deadlock => "deadlock",
            RetryCause::LockWait => "lock_wait",
            RetryCause::Certification => "certification",
            RetryCause::StaleSnapshot => "stale_snapshot",
            RetryCause::Busy => "busy",
        }
    }

    const fn index(self) -> usize {
        match self {
            RetryCause::Deadlock => 0,
            RetryCause::LockWait => 1,
            RetryCause::Certification => 2,
            RetryCause::StaleSnapshot => 3,
            RetryCause::Busy => 4,
        }
    }
}

/// The counters one store keeps; cheap to update from any thread.
#[derive(Debug)]
pub struct StoreMetrics {
    placed: AtomicU64,
    replayed: AtomicU64,
    /// One counter per [`ErrorKind::ALL`] entry, in that order.
    refused: Box<[AtomicU64]>,
    retries: [AtomicU64; RetryCause::ALL.len()],
}

impl Default for StoreMetrics {
    fn default() -> Self {
        StoreMetrics {
            placed: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
            refused: ErrorKind::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            retries: Default::default(),
        }
    }
}

impl StoreMetrics {
    /// Counts a checkout's outcome: placed, replayed, or refused with its code.
    pub fn record_checkout<E: ErrorCode>(&self, outcome: &Result<PlacedOrder, E>) {
        match outcome {
            Ok(placed) if placed.replayed => {
                self.replayed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {
                self.placed.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => self.record_refusal(error.kind()),
        }
    }

    /// Counts a checkout refused with `kind` (a domain rule or storage).
    pub fn record_refusal(&self, kind: ErrorKind) {
        if let Some(index) = ErrorKind::ALL.iter().position(|k| *k == kind) {
            self.refused[index].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one rerun of a transaction.
    pub fn record_retry(&self, cause: RetryCause) {
        self.retries[cause.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Every counter as it is now (without pool usage: the adapter adds it).
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            checkouts_placed: self.placed.load(Ordering::Relaxed),
            checkouts_replayed: self.replayed.load(Ordering::Relaxed),
            checkouts_refused: ErrorKind::ALL
                .iter()
                .zip(self.refused.iter())
                .map(|(kind, count)| (*kind, count.load(Ordering::Relaxed)))
                .filter(|(_, count)| *count > 0)
                .collect(),
            transaction_retries: RetryCause::ALL
                .map(|cause| (cause, self.retries[cause.index()].load(Ordering::Relaxed))),
            pool: None,
        }
    }
}

/// A connection pool's usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUsage {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// Connections open now.
    pub open: u32,
    /// Open connections not in use now.
    pub idle: u32,
    /// Transactions begun so far.
    pub acquires: u64,
    /// Of those, how many found no idle connection and had to wait for one
    /// (to be opened or returned).
    pub waits: u64,
    /// Of those, how many gave up after the acquire timeout (`storage_unavailable`).
    pub timeouts: u64,
    /// Time spent beginning transactions in total: waiting for a connection
    /// plus the `BEGIN` round trip.
    pub acquire_time: Duration,
}

impl PoolUsage {
    /// Connections in use now.
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

/// Every counter of a store at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Orders placed.
    pub checkouts_placed: u64,
    /// Checkouts answered by replaying an earlier order (an idempotency key).
    pub checkouts_replayed: u64,
    /// Checkouts refused, by error code; codes never seen are left out.
    pub checkouts_refused: Vec<(ErrorKind, u64)>,
    /// Transactions rerun, for every cause (zeros included).
    pub transaction_retries: [(RetryCause, u64); RetryCause::ALL.len()],
    /// The connection pool's usage; `None` for a store without one.
    pub pool: Option<PoolUsage>,
}

impl MetricsSnapshot {
    /// Transactions rerun for `cause`.
    pub fn retries(&self, cause: RetryCause) -> u64 {
        self.transaction_retries[cause.index()].1
    }

    /// Checkouts refused with `kind`.
    pub fn refused(&self, kind: ErrorKind) -> u64 {
        self.checkouts_refused
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, count)| *count)
    }
}

/// A store that counts its work; part of every [`Store`](crate::Store).
pub trait Instrumented: Send + Sync {
    /// Every counter as it is now.
    fn metrics(&self) -> MetricsSnapshot;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StorageError;

    #[test]
    fn refusals_are_counted_by_their_own_code() {
        let metrics = StoreMetrics::default();
        let refused: Result<PlacedOrder, StorageError> =
            Err(StorageError::Unavailable("down".to_owned()));
        metrics.record_checkout(&refused);
        metrics.record_checkout(&refused);
        metrics.record_refusal(ErrorKind::UnknownProduct);
        let snapshot = metrics.snapshot();
        assert_eq!(snapshot.refused(ErrorKind::StorageUnavailable), 2);
        assert_eq!(snapshot.refused(ErrorKind::UnknownProduct), 1);
        assert_eq!(snapshot.refused(ErrorKind::InsufficientStock), 0);
        assert_eq!(snapshot.checkouts_refused.len(), 2);
    }

    #[test]
    fn retries_are_kept_apart_by_cause() {
        let metrics = StoreMetrics::default();
        metrics.record_retry(RetryCause::LockWait);
        metrics.record_retry(RetryCause::LockWait);
        metrics.record_retry(RetryCause::Certification);
        let snapshot = metrics.snapshot();
        assert_eq!(snapshot.retries(RetryCause::Deadlock), 0);
        assert_eq!(snapshot.retries(RetryCause::LockWait), 2);
        assert_eq!(snapshot.retries(RetryCause::Certification), 1);
    }

    #[test]
    fn in_use_is_open_minus_idle() {
        let usage = PoolUsage {
            open: 5,
            idle: 2,
            ..PoolUsage::default()
        };
        assert_eq!(usage.in_use(), 3);
    }
}
