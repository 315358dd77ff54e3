//! The one boundary where `sqlx::Error` becomes a `shopcore` error.
//!
//! Inside the adapter every statement — plain reads, locking reads, writes,
//! `COMMIT` — fails with a [`DbError`], which keeps the driver's error whole.
//! Only the transaction boundary (`in_transaction!` in `workflow`) decides:
//! a deadlock (1213) or lock-wait timeout (1205) reruns the transaction; once
//! the bounded retries are spent it is `storage_unavailable` (the database is
//! too busy, try again later). Everything else converts once, through
//! [`From<DbError> for StorageError`]: connection problems (unreachable server,
//! refused credentials, unknown database, pool exhausted) are
//! `storage_unavailable`, anything else the server reports `storage_failure`.
//!
//! A message never quotes a stored value: the server's text for a duplicate
//! key (1062) quotes the refused entry (a customer's email, the SHA-256 of a
//! staff key), so it is replaced by one that names only the key
//! ([`server_message`]).

use shopcore::{
    CancelError, CatalogError, CheckoutError, CustomerError, LookupError, QuoteError, RetryCause,
    ReturnError, StorageError,
};

use crate::backend::ErrorClass;
use crate::faults::WriteStep;

const TRANSACTION_LOST: &str =
    "the server ended the transaction before COMMIT (a conflict with another node); rolled back";

/// Why a statement, or a whole attempt at a transaction, failed.
#[derive(Debug)]
pub(crate) enum DbError {
    /// The driver or the server refused a statement; maybe retryable.
    Sql(sqlx::Error),
    /// A failure that retrying will not fix (an invalid row).
    Storage(StorageError),
    /// A guarded write found a stored value other than the one the plan
    /// started from ([`diverged`]). Under InnoDB's row locks that means a
    /// write behind the locks (a bug, or another tool): not retried. On a
    /// Galera node, where locks are local and another node's write set can
    /// land between a locking read and the write, it is a lost race like a
    /// certification failure, and the transaction is rerun.
    Diverged(String),
    /// A guarded transaction found, before `COMMIT`, that the server had
    /// already ended it (a Galera brute-force abort; see
    /// `transaction::Transaction`): rolled back and rerun.
    TransactionLost,
    /// A fault injected by a test.
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    Injected(WriteStep),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        DbError::Sql(error)
    }
}

impl From<StorageError> for DbError {
    fn from(error: StorageError) -> Self {
        DbError::Storage(error)
    }
}

impl DbError {
    /// Why the transaction lost a lock race, if it did (then it may simply be
    /// run again): a deadlock, a lock wait timed out, or — on a Galera
    /// cluster (`galera`), where the server reports 1213 with a `WSREP`
    /// message — a write set refused at certification, or a guarded write
    /// that found another node's write ([`DbError::Diverged`]).
    pub(crate) fn retry_cause(&self, galera: bool) -> Option<RetryCause> {
        match self {
            DbError::Diverged(_) => return galera.then_some(RetryCause::Certification),
            DbError::TransactionLost => return Some(RetryCause::Certification),
            _ => {}
        }
        let DbError::Sql(e) = self else { return None };
        match classify(e) {
            ErrorClass::Rerun(cause) => Some(cause),
            _ => None,
        }
    }

    /// The error to report once `retries` reruns over `tried` were not enough.
    pub(crate) fn gave_up(
        self,
        retries: u32,
        tried: std::time::Duration,
        galera: bool,
    ) -> StorageError {
        if self.retry_cause(galera).is_some() {
            StorageError::Unavailable(format!(
                "the database stayed too busy: gave up after {retries} retries in {} ms ({})",
                tried.as_millis(),
                self.message()
            ))
        } else {
            self.into()
        }
    }

    fn message(&self) -> String {
        match self {
            DbError::Sql(e) => server_message(e),
            DbError::Storage(e) => e.to_string(),
            DbError::Diverged(what) => what.clone(),
            DbError::TransactionLost => TRANSACTION_LOST.to_owned(),
            DbError::Injected(step) => format!("injected fault after {step:?}"),
        }
    }
}

impl From<DbError> for StorageError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Sql(e) => {
                let unavailable = matches!(
                    e,
                    sqlx::Error::Io(_)
                        | sqlx::Error::Tls(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::WorkerCrashed
                        | sqlx::Error::Configuration(_)
                ) || classify(&e) == ErrorClass::Unavailable;
                if unavailable {
                    StorageError::Unavailable(server_message(&e))
                } else {
                    StorageError::Failure(server_message(&e))
                }
            }
            DbError::Storage(e) => e,
            DbError::Diverged(what) => StorageError::Failure(what),
            DbError::TransactionLost => StorageError::Unavailable(TRANSACTION_LOST.to_owned()),
            injected @ DbError::Injected(_) => StorageError::Failure(injected.message()),
        }
    }
}

/// `?` on a [`DbError`] in any method of a port.
macro_rules! into_port_errors {
    ($($error:ty),*) => {$(
        impl From<DbError> for $error {
            fn from(error: DbError) -> Self {
                StorageError::from(error).into()
            }
        }
    )*};
}
into_port_errors!(
    CatalogError,
    CustomerError,
    LookupError,
    QuoteError,
    CheckoutError,
    CancelError,
    ReturnError
);

/// How `error` is to be treated, asked of the backend it came from.
pub(crate) fn classify(error: &sqlx::Error) -> ErrorClass {
    #[cfg(feature = "sqlite")]
    if let sqlx::Error::Database(db) = error {
        if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
            return <sqlx::SqliteConnection as crate::Backend>::classify(error);
        }
    }
    #[cfg(feature = "mysql")]
    if let sqlx::Error::Database(db) = error {
        if db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some()
        {
            return <sqlx::MySqlConnection as crate::Backend>::classify(error);
        }
    }
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => ErrorClass::Duplicate,
        _ => ErrorClass::Failed,
    }
}

/// The driver's message for `error`, except for a duplicate key on MySQL
/// (1062): the server's `Duplicate entry '…' for key '…'` quotes the refused
/// value, so only the key's name is kept.
pub(crate) fn server_message(error: &sqlx::Error) -> String {
    if !is_duplicate_key(error) || !error.to_string().contains("Duplicate entry") {
        return error.to_string();
    }
    let text = error.to_string();
    let key = text
        .rsplit_once("for key '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(key, _)| key.rsplit('.').next().unwrap_or(key))
        .filter(|key| {
            key.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        });
    match key {
        Some(key) => format!(
            "1062 (23000): a duplicate entry for unique key '{key}' (the entry is not shown)"
        ),
        None => {
            "1062 (23000): a duplicate entry for a unique key (the entry is not shown)".to_owned()
        }
    }
}

/// Whether a unique key refused the row.
pub(crate) fn is_duplicate_key(error: &sqlx::Error) -> bool {
    classify(error) == ErrorClass::Duplicate
}

/// Whether the statement named a table the database does not have.
pub(crate) fn is_missing_table(error: &DbError) -> bool {
    matches!(error, DbError::Sql(sqlx::Error::Database(db))
        if db.message().contains("no such table") || db.code().as_deref() == Some("42S02"))
}

/// A stored row that does not hold a valid domain value.
pub(crate) fn invalid_row(what: &str, detail: impl std::fmt::Display) -> StorageError {
    StorageError::Failure(format!("invalid {what} row in the database: {detail}"))
}

/// A plan whose `after` values the stored rows do not reach: rolled back.
pub(crate) fn diverged(what: impl std::fmt::Display) -> DbError {
    DbError::Diverged(format!(
        "the stored {what} no longer matches the plan; rolled back"
    ))
}
