//! The throttles' counts on MySQL: the `throttle_counts` table.
//!
//! Reads are one plain `SELECT`. Counting an attempt is one transaction (with
//! the usual retry): it makes sure each key's row exists (one `INSERT … ON
//! DUPLICATE KEY UPDATE`, which locks the rows exclusively, in key order, so
//! concurrent counts of one key queue behind each other rather than upgrade
//! shared locks into deadlocks), reads the rows, lets the core decide, and
//! writes the new counts — or rolls back if refused. A new row's placeholder
//! counts nothing (no attempts, and its window ends at `now`). After a count that added a
//! row, up to [`PRUNE_BATCH`] rows whose window has ended are deleted: the
//! table cannot grow without bound, and pruning is best effort (a failure
//! to prune is left to the next count).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use shopcore::{
    StorageError, ThrottleCheck, ThrottleCount, ThrottleCounts, ThrottleKey, ThrottleRepository,
};

use crate::backend::Backend;
use crate::error::DbError;
use crate::rows::utc;
use crate::stmt::{query, Builder};
use crate::SqlStore;

/// How many ended rows one count prunes at most.
pub(crate) const PRUNE_BATCH: u32 = 100;

/// A row as read (an `ascii_bin` key arrives as bytes).
type CountRow = (Vec<u8>, u32, NaiveDateTime, NaiveDateTime);

/// Why an attempt was not counted: refused (rolled back), or storage failed.
enum NotCounted {
    Refused(chrono::Duration),
    Storage(StorageError),
}

impl From<StorageError> for NotCounted {
    fn from(error: StorageError) -> Self {
        NotCounted::Storage(error)
    }
}

/// The counts of `keys` from `rows`.
fn counts(keys: &[ThrottleKey], rows: Vec<CountRow>) -> ThrottleCounts {
    rows.into_iter()
        .filter_map(|(stored, attempts, window_ends, last_at)| {
            let key = keys.iter().find(|key| key.as_str().as_bytes() == stored)?;
            let count = ThrottleCount {
                attempts,
                window_ends: window_ends.and_utc(),
                last_at: last_at.and_utc(),
            };
            Some((key.clone(), count))
        })
        .collect()
}

/// The counts of `keys` as rows, read `FOR UPDATE` if `locking`.
async fn select_counts<C: Backend>(
    conn: &mut C,
    keys: &[ThrottleKey],
    locking: bool,
) -> Result<Vec<CountRow>, sqlx::Error> {
    let mut sql = Builder::new(
        "SELECT throttle_key, attempts, window_ends, last_at FROM throttle_counts \
         WHERE throttle_key IN ",
    );
    sql.push_in_list(keys.iter().map(ThrottleKey::as_str));
    if locking {
        sql.push(" FOR UPDATE");
    }
    sql.build().fetch_all(conn).await
}

/// One attempt of `check` in the transaction of `conn`: `Ok(added_a_row)`,
/// or refused with the wait.
async fn count_in<C: Backend>(
    conn: &mut C,
    check: &ThrottleCheck,
    now: DateTime<Utc>,
) -> Result<Result<bool, NotCounted>, DbError> {
    let keys = check.keys();
    let mut insert =
        Builder::new("INSERT INTO throttle_counts (throttle_key, attempts, window_ends, last_at) ");
    insert.push_values(&keys, |mut row, key| {
        row.push_bind(key.as_str())
            .push("0")
            .push_bind(utc(now))
            .push_bind(utc(now));
    });
    insert.push(" ON DUPLICATE KEY UPDATE attempts = attempts");
    insert.build().execute(&mut *conn).await?;
    let rows = select_counts(&mut *conn, &keys, true).await?;
    // Counted rows hold at least one attempt: a row with none was added now.
    let added = rows.iter().any(|(_, attempts, _, _)| *attempts == 0);
    let writes = match check.plan_attempt(&counts(&keys, rows), now) {
        Ok(writes) => writes,
        Err(wait) => return Ok(Err(NotCounted::Refused(wait))),
    };
    for (key, count) in writes {
        query(
            "UPDATE throttle_counts SET attempts = ?, window_ends = ?, last_at = ? \
             WHERE throttle_key = ?",
        )
        .bind(count.attempts)
        .bind(utc(count.window_ends))
        .bind(utc(count.last_at))
        .bind(key.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(Ok(added))
}

#[async_trait]
impl<C: Backend> ThrottleRepository for SqlStore<C> {
    async fn throttle_counts(
        &self,
        keys: &[ThrottleKey],
        _now: DateTime<Utc>,
    ) -> Result<ThrottleCounts, StorageError> {
        if keys.is_empty() {
            return Ok(ThrottleCounts::new());
        }
        let rows = select_counts(&mut *self.conn().await?, keys, false)
            .await
            .map_err(DbError::from)?;
        Ok(counts(keys, rows))
    }

    async fn count_attempt(
        &self,
        check: &ThrottleCheck,
        now: DateTime<Utc>,
    ) -> Result<Result<(), chrono::Duration>, StorageError> {
        if check.keys().is_empty() {
            return Ok(Ok(()));
        }
        let counted: Result<bool, NotCounted> =
            in_transaction!(self, |conn| count_in(conn, check, now));
        match counted {
            Ok(true) => {
                // Best effort: the next count that adds a row prunes again.
                let _ = query(
                    "DELETE FROM throttle_counts WHERE window_ends <= ? \
                     ORDER BY window_ends LIMIT ?",
                )
                .bind(utc(now))
                .bind(PRUNE_BATCH)
                .execute(&mut *self.conn().await?)
                .await;
                Ok(Ok(()))
            }
            Ok(false) => Ok(Ok(())),
            Err(NotCounted::Refused(wait)) => Ok(Err(wait)),
            Err(NotCounted::Storage(failure)) => Err(failure),
        }
    }

    async fn clear_throttle(&self, keys: &[ThrottleKey]) -> Result<(), StorageError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut sql = Builder::new("DELETE FROM throttle_counts WHERE throttle_key IN ");
        sql.push_in_list(keys.iter().map(ThrottleKey::as_str));
        sql.build()
            .execute(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        Ok(())
    }
}
