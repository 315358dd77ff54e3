//! Opening a SQLite database file as a store.
//!
//! The file is opened in WAL mode (readers never wait for the writer), with
//! foreign keys enforced, `synchronous = FULL` (a transaction is on disk
//! before its `COMMIT` returns, so an acknowledged order survives the
//! process being killed and the machine losing power) and a busy timeout:
//! every write transaction begins with `BEGIN IMMEDIATE`, taking the
//! database's one write lock at its start, so that its reads and writes are
//! one serial step across every connection and every process on the file.
//! A connection that waits past the busy timeout gets `SQLITE_BUSY`, and the
//! transaction is rerun (counted as `busy` in the metrics) within the
//! retry budget.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use shopcore::{ShopConfig, StorageError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions as _;

use crate::error::DbError;
use crate::SqlStore;

/// A `shopcore` store on a SQLite database file.
pub type SqliteStore = SqlStore<SqliteConnection>;

/// The embedded migrations.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How a SQLite store is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteSettings {
    /// Most open connections (default 8): one writes at a time, the others
    /// read beside it.
    pub max_connections: u32,
    /// How long a statement waits for another connection's write lock
    /// before `SQLITE_BUSY` (default 5 s).
    pub busy_timeout: Duration,
    /// How long one call may keep rerunning transactions that found the
    /// database busy before it answers `storage_unavailable` (default 10 s).
    pub retry_budget: Duration,
    /// Create the file if it does not exist (default `true`; its directory
    /// must exist).
    pub create: bool,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings {
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            retry_budget: Duration::from_secs(10),
            create: true,
        }
    }
}

impl SqlStore<SqliteConnection> {
    /// Opens (creating it if needed) the database file at `path` with
    /// default [`SqliteSettings`]. Nothing is migrated or seeded: call
    /// [`migrate`](Self::migrate) (and [`seed`](Self::seed)) next.
    ///
    /// Fails with `storage_unavailable` naming the path if its directory
    /// does not exist, the file cannot be opened for writing, or it is not a
    /// SQLite database.
    ///
    /// ```
    /// # tokio_test_block_on(async {
    /// use shopcore::{seed, ShopConfig};
    /// use shopcore_sql::sqlite::SqliteStore;
    ///
    /// let dir = std::env::temp_dir().join(format!("shopcore-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let store = SqliteStore::open(dir.join("shop.db"), ShopConfig::default()).await?;
    /// store.migrate().await?;                    // create or upgrade the schema
    /// store.seed(&seed::demo_data()).await?;     // explicit; never done on open
    /// # store.close().await;
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shopcore::StorageError>(())
    /// # }).unwrap();
    /// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    /// # }
    /// ```
    pub async fn open(path: impl AsRef<Path>, config: ShopConfig) -> Result<Self, StorageError> {
        Self::open_with(path, config, SqliteSettings::default()).await
    }

    /// Opens `url`, a `sqlite:` URL as sqlx spells it (`sqlite:shop.db`,
    /// `sqlite:///abs/path/shop.db`, `sqlite://relative/shop.db`).
    pub async fn connect(url: &str, config: ShopConfig) -> Result<Self, StorageError> {
        let path = path_of_url(url)?;
        Self::open(path, config).await
    }

    /// Opens the database file at `path` with explicit settings.
    pub async fn open_with(
        path: impl AsRef<Path>,
        config: ShopConfig,
        settings: SqliteSettings,
    ) -> Result<Self, StorageError> {
        let path = path.as_ref().to_path_buf();
        let cannot = |reason: &dyn std::fmt::Display| {
            StorageError::Unavailable(format!(
                "cannot open the SQLite database at {}: {reason}",
                path.display()
            ))
        };
        match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
                return Err(cannot(&format_args!(
                    "its directory {} does not exist",
                    dir.display()
                )));
            }
            _ => {}
        }
        if path.is_dir() {
            return Err(cannot(&"it is a directory"));
        }
        if !settings.create && !path.exists() {
            return Err(cannot(&"no such file"));
        }
        // SQLite would open a file this process may not write (its mode, an
        // immutable attribute, a read-only file system) read-only, answer
        // reads, accept even `BEGIN IMMEDIATE`, leave `-wal` and `-shm`
        // files beside it, and fail only at the first write. Opening it for
        // writing changes nothing in it.
        if path.is_file() {
            if let Err(e) = std::fs::OpenOptions::new().write(true).open(&path) {
                return Err(cannot(&format_args!("it cannot be written ({e})")));
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(settings.create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Region names (the only `NOCASE` column) match as the core
            // matches them, whole-Unicode case-insensitively (`Émden` is
            // `émden`), not only in ASCII as SQLite's own `NOCASE`; other
            // programs reading the file get SQLite's.
            .collation("NOCASE", |a: &str, b: &str| {
                a.to_lowercase().cmp(&b.to_lowercase())
            })
            .busy_timeout(settings.busy_timeout)
            .log_statements(log::LevelFilter::Debug)
            .log_slow_statements(log::LevelFilter::Warn, Duration::from_secs(1));
        // One connection first, outside the pool: it says why a file cannot
        // be used (read-only, not a database) instead of a pool timeout.
        let mut probe = connect_when_free(&options, settings.busy_timeout)
            .await
            .map_err(|e| cannot(&e))?;
        let checked = probe_file(&mut probe).await;
        let _ = sqlx::Connection::close(probe).await;
        checked.map_err(|e| cannot(&e))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.busy_timeout + Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(|e| cannot(&e))?;
        Ok(SqlStore::on_pool(pool, config, settings.retry_budget))
    }

    /// Creates the schema on a new file, or brings an older one up to date.
    /// Safe to call on every start: applied migrations are recorded in
    /// `_sqlx_migrations` and skipped, and each runs in one transaction (a
    /// failed one leaves the file as it was). A file written by a newer
    /// shopcore (a migration this build does not know) is refused with
    /// `storage_failure`, before anything is written.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let known = MIGRATOR
            .iter()
            .map(|migration| migration.version)
            .max()
            .unwrap_or(0);
        let file = self
            .pool
            .connect_options()
            .get_filename()
            .display()
            .to_string();
        let mut applied = self.newest_migration().await?;
        if let Some(newest) = applied.filter(|newest| *newest > known) {
            return Err(StorageError::Failure(format!(
                "the SQLite database at {file} was written by a newer shopcore (schema version \
                 {newest}; this build knows versions up to {known}): upgrade shopcore, or \
                 restore a backup made by this version"
            )));
        }
        // Several processes may migrate a new file at once (gunicorn workers,
        // a dispatcher): each migration is one transaction, so the one that
        // commits second fails (`table … already exists`) and changes
        // nothing. Seeing that another process moved the schema on, it runs
        // again from there.
        let mut attempts = 0;
        loop {
            match MIGRATOR.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(error) => {
                    let now = self.newest_migration().await?;
                    attempts += 1;
                    if now == applied || attempts >= 8 {
                        return Err(StorageError::Failure(format!(
                            "migrating the SQLite database at {file} failed: {error}"
                        )));
                    }
                    applied = now;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    /// The newest migration applied to the file, if it has any.
    async fn newest_migration(&self) -> Result<Option<i64>, StorageError> {
        let mut conn = self.pool.acquire().await.map_err(DbError::from)?;
        let exists: i64 = crate::query(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .scalar_one(&mut *conn)
        .await
        .map_err(DbError::from)?;
        if exists == 0 {
            return Ok(None);
        }
        Ok(
            crate::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .scalar_one(&mut *conn)
                .await
                .map_err(DbError::from)?,
        )
    }

    /// Writes a consistent copy of the whole database to the new file
    /// `target` (`VACUUM INTO`), while the store keeps serving: the copy is
    /// the database as one transaction saw it. Refuses a `target` that exists.
    pub async fn backup(&self, target: impl AsRef<Path>) -> Result<(), StorageError> {
        // Absolute, so that SQLite never reads it as a URI (`file:…?mode=memory`).
        let target = std::path::absolute(target.as_ref()).map_err(|e| {
            StorageError::Failure(format!(
                "the backup path {} cannot be used: {e}",
                target.as_ref().display()
            ))
        })?;
        let target = target.as_path();
        if target.exists() {
            return Err(StorageError::Failure(format!(
                "the backup file {} already exists: choose a new path",
                target.display()
            )));
        }
        let text = target.to_str().ok_or_else(|| {
            StorageError::Failure(format!("the backup path {} is not UTF-8", target.display()))
        })?;
        let mut conn = self.pool.acquire().await.map_err(DbError::from)?;
        crate::query("VACUUM INTO ?")
            .bind(text.to_owned())
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                StorageError::Failure(format!("the backup to {} failed: {e}", target.display()))
            })?;
        Ok(())
    }
}

/// Connects with `options`. Turning a new file to WAL needs the file to
/// itself for a moment, which SQLite does not wait for (`SQLITE_BUSY` at
/// once): when several processes open a new file together, all but one
/// try again, for up to `patience`.
async fn connect_when_free(
    options: &SqliteConnectOptions,
    patience: Duration,
) -> Result<SqliteConnection, sqlx::Error> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match options.connect().await {
            Err(e)
                if crate::error::classify(&e)
                    == crate::backend::ErrorClass::Rerun(shopcore::RetryCause::Busy)
                    && started.elapsed() + pause < patience =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            connected => return connected,
        }
    }
}

/// Reads the file's header through `conn`: a file that is not a SQLite
/// database fails here, and so does one that cannot be written.
async fn probe_file(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    crate::query("SELECT COUNT(*) FROM sqlite_master")
        .scalar_one::<_, i64>(conn)
        .await?;
    // A write the database does not keep: fails on a read-only file. A
    // file whose write lock another process holds past the busy timeout is
    // a database all the same; its writes will wait and be rerun.
    match crate::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        Ok(_) => {
            crate::query("ROLLBACK").execute(conn).await?;
            Ok(())
        }
        Err(e)
            if crate::error::classify(&e)
                == crate::backend::ErrorClass::Rerun(shopcore::RetryCause::Busy) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The file path of a `sqlite:` URL.
pub fn path_of_url(url: &str) -> Result<PathBuf, StorageError> {
    let invalid = |why: &str| {
        StorageError::Unavailable(format!(
            "invalid SQLite URL {url:?}: {why} (expected sqlite:shop.db or sqlite:///abs/path/shop.db)"
        ))
    };
    let rest = url
        .strip_prefix("sqlite:")
        .ok_or_else(|| invalid("it does not start with sqlite:"))?;
    let rest = rest.split_once('?').map_or(rest, |(path, _)| path);
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return Err(invalid("no file path"));
    }
    // `SqliteConnectOptions` parses the same spelling; only the path is kept.
    SqliteConnectOptions::from_str(url).map_err(|e| invalid(&e.to_string()))?;
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        let path = |url| path_of_url(url).unwrap();
        assert_eq!(path("sqlite:shop.db"), PathBuf::from("shop.db"));
        assert_eq!(
            path("sqlite:///abs/path/shop.db"),
            PathBuf::from("/abs/path/shop.db")
        );
        assert_eq!(path("sqlite://rel/shop.db"), PathBuf::from("rel/shop.db"));
        assert_eq!(path("sqlite:shop.db?mode=rwc"), PathBuf::from("shop.db"));
        assert!(path_of_url("mysql://root@localhost/test").is_err());
        assert!(path_of_url("sqlite::memory:").is_err());
        assert!(path_of_url("sqlite:").is_err());
    }
}
