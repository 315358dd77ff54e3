//! Every write runs as one transaction, rerun after a lost lock race.
//!
//! [`in_transaction!`] begins a transaction, runs one attempt, commits on
//! success and rolls back otherwise. A deadlock (1213) or lock-wait timeout
//! (1205) from *any* statement of the attempt — a plain read, a locking read,
//! a write, or the `COMMIT` — reaches it as a [`DbError`](crate::error::DbError)
//! with the server's code intact, and reruns the attempt after a short,
//! growing, jittered pause, at most `max_retries` times; then the caller gets
//! `storage_unavailable`. A refusal by a domain rule is not an error here: it
//! rolls back and is returned as it is.

use std::time::Duration;

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
                let mut tx = store.pool.begin().await?;
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
                Err(failure) if failure.is_retryable() && retries < store.max_retries => {
                    retries += 1;
                    tokio::time::sleep($crate::transaction::backoff(retries)).await;
                }
                Err(failure) => break Err(failure.gave_up(retries).into()),
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
