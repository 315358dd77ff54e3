//! The one place where `sqlx::Error` becomes a `shopcore` error.
//!
//! Connection problems (unreachable server, refused credentials, unknown
//! database, pool exhausted) are `storage_unavailable`; everything else the
//! server reports is `storage_failure`. Deadlocks and lock-wait timeouts are
//! not errors the caller sees unless the bounded retry gives up.

use shopcore::StorageError;
use sqlx::mysql::MySqlDatabaseError;

/// MySQL error numbers the adapter reacts to.
mod code {
    pub const DUPLICATE_KEY: u16 = 1062;
    pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
    pub const DEADLOCK: u16 = 1213;
    /// Errors that mean "cannot talk to the database" rather than "the query failed".
    pub const UNAVAILABLE: &[u16] = &[
        1040, // too many connections
        1044, // access denied to database
        1045, // access denied for user
        1049, // unknown database
        1053, // server shutdown in progress
        1927, // connection killed
        2002, 2003, 2006, 2013, // client: cannot connect / server gone / lost connection
    ];
}

/// The server's error number, if `error` came from the server.
fn server_code(error: &sqlx::Error) -> Option<u16> {
    match error {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .map(MySqlDatabaseError::number),
        _ => None,
    }
}

/// Converts a driver error into the port's storage error.
pub(crate) fn storage_error(error: sqlx::Error) -> StorageError {
    let unavailable = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Configuration(_) => true,
        _ => server_code(&error).is_some_and(|c| code::UNAVAILABLE.contains(&c)),
    };
    if unavailable {
        StorageError::Unavailable(error.to_string())
    } else {
        StorageError::Failure(error.to_string())
    }
}

/// Whether the transaction lost a lock race and may simply be run again.
pub(crate) fn is_retryable(error: &sqlx::Error) -> bool {
    matches!(
        server_code(error),
        Some(code::DEADLOCK | code::LOCK_WAIT_TIMEOUT)
    )
}

/// Whether a unique key refused the row.
pub(crate) fn is_duplicate_key(error: &sqlx::Error) -> bool {
    server_code(error) == Some(code::DUPLICATE_KEY)
}

/// A stored row that does not hold a valid domain value.
pub(crate) fn invalid_row(what: &str, detail: impl std::fmt::Display) -> StorageError {
    StorageError::Failure(format!("invalid {what} row in the database: {detail}"))
}
