//! What differs between the databases the shared code runs on.
//!
//! A [`Backend`] is named by its connection type (`sqlx::SqliteConnection`,
//! …), so that every function written once over `C: Backend` takes
//! `conn: &mut C` and the compiler infers which database it talks to. A
//! backend says how to run a [`Stmt`](crate::stmt::Stmt) (binding its
//! [`Arg`]s as the database stores them), how to read a column of a row,
//! which words its SQL dialect spells differently, and how its errors are
//! classified.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime, Utc};
use futures_core::future::BoxFuture;
use rust_decimal::Decimal;
use sqlx::Database;

/// A row of backend `C`.
pub type Row<C> = <<C as sqlx::Connection>::Database as Database>::Row;

/// A value bound to a statement's `?`.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// An unsigned integer (points, counts).
    Uint(u64),
    /// A truth value.
    Bool(bool),
    /// Text.
    Text(Cow<'static, str>),
    /// An exact decimal (money, rates).
    Decimal(Decimal),
    /// A UTC instant.
    Time(DateTime<Utc>),
}

/// Where a column is in a row: by name, or by position (from 0).
#[derive(Clone, Copy, Debug)]
pub enum Col<'a> {
    /// The column named so.
    Name(&'a str),
    /// The column at this position.
    At(usize),
}

/// What an executed statement did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Done {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// The id the database gave the last inserted row (0 if none).
    pub last_insert_id: i64,
}

/// How an error of the database is to be treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// A lost race: the transaction is rerun (a deadlock, a lock wait
    /// timeout, a busy database).
    Rerun(shopcore::RetryCause),
    /// A unique key refused the row.
    Duplicate,
    /// The database cannot be reached or used now.
    Unavailable,
    /// Anything else: the statement failed.
    Failed,
}

/// A database the shared code runs on, named by its connection type.
pub trait Backend:
    sqlx::Connection<Database: Database<Connection = Self>> + Send + Sized + 'static
{
    /// The statement that begins a write transaction.
    const BEGIN: &'static str;

    /// Whether an `UPDATE` can answer the values it left (`RETURNING`).
    const UPDATE_RETURNING: bool;

    /// Runs `sql` with `args` bound in order.
    fn run<'c>(
        &'c mut self,
        sql: Cow<'static, str>,
        args: Vec<Arg>,
    ) -> BoxFuture<'c, Result<Done, sqlx::Error>>;

    /// Runs `sql`, one or more statements with nothing bound, unprepared
    /// (transaction control, session settings).
    fn raw<'c>(&'c mut self, sql: &'static str) -> BoxFuture<'c, Result<Done, sqlx::Error>>;

    /// Runs the query `sql` with `args` bound in order and returns its rows.
    fn rows<'c>(
        &'c mut self,
        sql: Cow<'static, str>,
        args: Vec<Arg>,
    ) -> BoxFuture<'c, Result<Vec<Row<Self>>, sqlx::Error>>;

    /// An integer column (`None` for `NULL`).
    fn int(row: &Row<Self>, col: Col<'_>) -> Result<Option<i64>, sqlx::Error>;

    /// A text column.
    fn text(row: &Row<Self>, col: Col<'_>) -> Result<Option<String>, sqlx::Error>;

    /// An exact decimal column.
    fn decimal(row: &Row<Self>, col: Col<'_>) -> Result<Option<Decimal>, sqlx::Error>;

    /// A UTC instant column.
    fn time(row: &Row<Self>, col: Col<'_>) -> Result<Option<DateTime<Utc>>, sqlx::Error>;

    /// How `error` is to be treated.
    fn classify(error: &sqlx::Error) -> ErrorClass;

    /// The backend's embedded migrations.
    fn migrator() -> &'static sqlx::migrate::Migrator;

    /// `sql`, written in the shared spelling (MySQL's), as this backend
    /// spells it; every [`Stmt`](crate::stmt::Stmt) is translated so before
    /// it runs.
    fn dialect(sql: Cow<'static, str>) -> Cow<'static, str> {
        sql
    }
}

/// An error saying that column `col` of a row could not be read as `what`.
pub(crate) fn column_error(col: Col<'_>, what: &str, cause: impl std::fmt::Display) -> sqlx::Error {
    let name = match col {
        Col::Name(name) => name.to_owned(),
        Col::At(at) => format!("#{at}"),
    };
    sqlx::Error::ColumnDecode {
        index: name,
        source: format!("not {what}: {cause}").into(),
    }
}

/// The text form of a UTC instant in a text column: fixed width, to the
/// microsecond, so that text order is time order (`2026-12-07 23:59:59.123456`).
pub fn time_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Reads [`time_text`] back (also without the fraction, or with a `T`).
pub fn parse_time_text(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    let text = text.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .map(|naive| naive.and_utc())
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteConnection, SqliteRow};
    use sqlx::{Arguments as _, AssertSqlSafe, Row as _, ValueRef as _};

    /// SQLite's result codes the adapter reacts to (primary codes: the low byte).
    mod code {
        pub const BUSY: i64 = 5;
        pub const LOCKED: i64 = 6;
        pub const CANTOPEN: i64 = 14;
        pub const READONLY: i64 = 8;
        pub const NOTADB: i64 = 26;
        pub const CORRUPT: i64 = 11;
        pub const IOERR: i64 = 10;
        pub const FULL: i64 = 13;
    }

    fn arguments(args: Vec<Arg>) -> Result<SqliteArguments, sqlx::Error> {
        let mut out = SqliteArguments::default();
        for arg in args {
            let added = match arg {
                Arg::Null => out.add(None::<i64>),
                Arg::Int(value) => out.add(value),
                // Past `i64::MAX` only as a bound meaning "no limit".
                Arg::Uint(value) => out.add(i64::try_from(value).unwrap_or(i64::MAX)),
                Arg::Bool(value) => out.add(value),
                Arg::Text(value) => out.add(value.into_owned()),
                // Exact: a decimal is stored as its text (money always with
                // its two places), never as a float.
                Arg::Decimal(value) => out.add(value.to_string()),
                Arg::Time(at) => out.add(time_text(at)),
            };
            added.map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }

    /// The phrases of the shared spelling SQLite spells otherwise: a
    /// transaction that began `IMMEDIATE` holds the database, so row locks
    /// (`FOR UPDATE`, `SKIP LOCKED`, `LOCK IN SHARE MODE`) go; index hints go (SQLite's planner
    /// takes the primary key and the named indexes by itself); MySQL's
    /// upserts become `ON CONFLICT` clauses.
    pub(super) fn sqlite_dialect(sql: Cow<'static, str>) -> Cow<'static, str> {
        const PHRASES: [&str; 7] = [
            " FOR UPDATE",
            " FROM DUAL",
            " LOCK IN SHARE MODE",
            " FORCE INDEX",
            "INSERT IGNORE",
            "ON DUPLICATE KEY UPDATE",
            "VALUES(",
        ];
        if !PHRASES.iter().any(|phrase| sql.contains(phrase)) {
            return sql;
        }
        let mut out = sql
            .replace(" FOR UPDATE SKIP LOCKED", "")
            .replace(" FOR UPDATE", "")
            .replace(" LOCK IN SHARE MODE", "")
            .replace(" FROM DUAL", "");
        while let Some(at) = out.find(" FORCE INDEX (") {
            let end = out[at..]
                .find(')')
                .map_or(out.len(), |close| at + close + 1);
            out.replace_range(at..end, "");
        }
        out = out.replace("INSERT IGNORE", "INSERT OR IGNORE");
        if let Some(at) = out.find("ON DUPLICATE KEY UPDATE") {
            let (head, tail) = out.split_at(at);
            let assignments = &tail["ON DUPLICATE KEY UPDATE".len()..];
            // `col = col` only keeps the row; `col = VALUES(col)` takes the new value.
            let keeps_row = assignments.split(',').all(|assignment| {
                let mut sides = assignment.split('=').map(str::trim);
                matches!((sides.next(), sides.next()), (Some(a), Some(b)) if a == b)
            });
            out = if keeps_row {
                format!("{head}ON CONFLICT DO NOTHING")
            } else {
                let mut set = String::new();
                let mut rest = assignments;
                while let Some(open) = rest.find("VALUES(") {
                    set.push_str(&rest[..open]);
                    let inner = &rest[open + "VALUES(".len()..];
                    let close = inner.find(')').unwrap_or(inner.len());
                    set.push_str("excluded.");
                    set.push_str(&inner[..close]);
                    rest = inner.get(close + 1..).unwrap_or("");
                }
                set.push_str(rest);
                format!("{head}ON CONFLICT DO UPDATE SET{set}")
            };
        }
        Cow::Owned(out)
    }

    fn done(result: sqlx::sqlite::SqliteQueryResult) -> Done {
        Done {
            rows_affected: result.rows_affected(),
            last_insert_id: result.last_insert_rowid(),
        }
    }

    impl Backend for SqliteConnection {
        const BEGIN: &'static str = "BEGIN IMMEDIATE";
        const UPDATE_RETURNING: bool = true;

        fn run<'c>(
            &'c mut self,
            sql: Cow<'static, str>,
            args: Vec<Arg>,
        ) -> BoxFuture<'c, Result<Done, sqlx::Error>> {
            Box::pin(async move {
                let args = arguments(args)?;
                let result = sqlx::query_with(AssertSqlSafe(sql), args)
                    .execute(&mut *self)
                    .await?;
                Ok(done(result))
            })
        }

        fn raw<'c>(&'c mut self, sql: &'static str) -> BoxFuture<'c, Result<Done, sqlx::Error>> {
            Box::pin(async move {
                let result = sqlx::raw_sql(sql).execute(&mut *self).await?;
                Ok(done(result))
            })
        }

        fn rows<'c>(
            &'c mut self,
            sql: Cow<'static, str>,
            args: Vec<Arg>,
        ) -> BoxFuture<'c, Result<Vec<SqliteRow>, sqlx::Error>> {
            Box::pin(async move {
                let args = arguments(args)?;
                sqlx::query_with(AssertSqlSafe(sql), args)
                    .fetch_all(&mut *self)
                    .await
            })
        }

        fn int(row: &SqliteRow, col: Col<'_>) -> Result<Option<i64>, sqlx::Error> {
            match col {
                Col::Name(name) => row.try_get(name),
                Col::At(at) => row.try_get(at),
            }
        }

        fn text(row: &SqliteRow, col: Col<'_>) -> Result<Option<String>, sqlx::Error> {
            match col {
                Col::Name(name) => row.try_get(name),
                Col::At(at) => row.try_get(at),
            }
        }

        fn decimal(row: &SqliteRow, col: Col<'_>) -> Result<Option<Decimal>, sqlx::Error> {
            let raw = match col {
                Col::Name(name) => row.try_get_raw(name)?,
                Col::At(at) => row.try_get_raw(at)?,
            };
            if raw.is_null() {
                return Ok(None);
            }
            // Stored as text; an integer (a sum, a literal 0) reads too.
            let text = match raw.type_info().as_ref().to_string().as_str() {
                "INTEGER" => {
                    let value: i64 = sqlx::Decode::<Sqlite>::decode(raw)
                        .map_err(|e| column_error(col, "an integer", e))?;
                    return Ok(Some(Decimal::from(value)));
                }
                _ => <String as sqlx::Decode<Sqlite>>::decode(raw)
                    .map_err(|e| column_error(col, "text", e))?,
            };
            text.parse::<Decimal>()
                .map(Some)
                .map_err(|e| column_error(col, "an exact decimal", e))
        }

        fn time(row: &SqliteRow, col: Col<'_>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
            match Self::text(row, col)? {
                None => Ok(None),
                Some(text) => parse_time_text(&text)
                    .map(Some)
                    .map_err(|e| column_error(col, "a time", e)),
            }
        }

        fn migrator() -> &'static sqlx::migrate::Migrator {
            &crate::sqlite::MIGRATOR
        }

        fn dialect(sql: Cow<'static, str>) -> Cow<'static, str> {
            sqlite_dialect(sql)
        }

        fn classify(error: &sqlx::Error) -> ErrorClass {
            match error {
                sqlx::Error::Database(db) => {
                    if db.is_unique_violation() {
                        return ErrorClass::Duplicate;
                    }
                    let extended = db
                        .code()
                        .and_then(|code| code.parse::<i64>().ok())
                        .unwrap_or(0);
                    match extended & 0xff {
                        code::BUSY | code::LOCKED => ErrorClass::Rerun(shopcore::RetryCause::Busy),
                        code::CANTOPEN
                        | code::READONLY
                        | code::NOTADB
                        | code::CORRUPT
                        | code::IOERR
                        | code::FULL => ErrorClass::Unavailable,
                        _ => ErrorClass::Failed,
                    }
                }
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::WorkerCrashed => ErrorClass::Unavailable,
                _ => ErrorClass::Failed,
            }
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use rust_decimal::prelude::ToPrimitive as _;
    use sqlx::mysql::{MySql, MySqlArguments, MySqlConnection, MySqlDatabaseError, MySqlRow};
    use sqlx::{Arguments as _, AssertSqlSafe, Row as _};

    /// MySQL error numbers the adapter reacts to.
    mod code {
        pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
        pub const DEADLOCK: u16 = 1213;
        /// Errors that mean "cannot talk to the database" rather than "the query failed".
        pub const UNAVAILABLE: &[u16] = &[
            1040, // too many connections
            1044, // access denied to database
            1045, // access denied for user
            1047, // Galera: "WSREP has not yet prepared node for application use" (no primary component)
            1049, // unknown database
            1053, // server shutdown in progress
            1927, // connection killed
            2002, 2003, 2006, 2013, // client: cannot connect / server gone / lost connection
        ];
    }

    fn arguments(args: Vec<Arg>) -> Result<MySqlArguments, sqlx::Error> {
        let mut out = MySqlArguments::default();
        for arg in args {
            let added = match arg {
                Arg::Null => out.add(None::<i64>),
                Arg::Int(value) => out.add(value),
                Arg::Uint(value) => out.add(value),
                Arg::Bool(value) => out.add(value),
                Arg::Text(value) => out.add(value.into_owned()),
                Arg::Decimal(value) => out.add(value),
                // A `DATETIME` value (UTC, the connection's time zone): as a
                // `DateTime<Utc>` it would travel as a `TIMESTAMP`, which the
                // server refuses past 2038-01-19.
                Arg::Time(at) => out.add(at.naive_utc()),
            };
            added.map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }

    fn get<'r, T>(row: &'r MySqlRow, col: Col<'_>) -> Result<Option<T>, sqlx::Error>
    where
        T: sqlx::Decode<'r, MySql> + sqlx::Type<MySql>,
    {
        match col {
            Col::Name(name) => row.try_get(name),
            Col::At(at) => row.try_get(at),
        }
    }

    fn done(result: sqlx::mysql::MySqlQueryResult) -> Done {
        Done {
            rows_affected: result.rows_affected(),
            last_insert_id: i64::try_from(result.last_insert_id()).unwrap_or(i64::MAX),
        }
    }

    impl Backend for MySqlConnection {
        const BEGIN: &'static str = "BEGIN";
        const UPDATE_RETURNING: bool = false;

        fn run<'c>(
            &'c mut self,
            sql: Cow<'static, str>,
            args: Vec<Arg>,
        ) -> BoxFuture<'c, Result<Done, sqlx::Error>> {
            Box::pin(async move {
                let args = arguments(args)?;
                let result = sqlx::query_with(AssertSqlSafe(sql), args)
                    .execute(&mut *self)
                    .await?;
                Ok(done(result))
            })
        }

        fn raw<'c>(&'c mut self, sql: &'static str) -> BoxFuture<'c, Result<Done, sqlx::Error>> {
            Box::pin(async move {
                let result = sqlx::raw_sql(sql).execute(&mut *self).await?;
                Ok(done(result))
            })
        }

        fn rows<'c>(
            &'c mut self,
            sql: Cow<'static, str>,
            args: Vec<Arg>,
        ) -> BoxFuture<'c, Result<Vec<MySqlRow>, sqlx::Error>> {
            Box::pin(async move {
                let args = arguments(args)?;
                sqlx::query_with(AssertSqlSafe(sql), args)
                    .fetch_all(&mut *self)
                    .await
            })
        }

        /// Any integer column, signed or not, and an integral `DECIMAL`
        /// (what `SUM` of integers answers).
        fn int(row: &MySqlRow, col: Col<'_>) -> Result<Option<i64>, sqlx::Error> {
            if let Ok(value) = get::<i64>(row, col) {
                return Ok(value);
            }
            if let Ok(value) = get::<u64>(row, col) {
                return value
                    .map(|v| i64::try_from(v).map_err(|e| column_error(col, "in range", e)))
                    .transpose();
            }
            if let Ok(value) = get::<bool>(row, col) {
                return Ok(value.map(i64::from));
            }
            match get::<Decimal>(row, col)? {
                None => Ok(None),
                Some(value) if value.fract().is_zero() => value
                    .to_i64()
                    .map(Some)
                    .ok_or_else(|| column_error(col, "in range", value)),
                Some(value) => Err(column_error(col, "an integer", value)),
            }
        }

        /// Text, also from a column with a binary collation (the server
        /// flags it `BINARY`; its bytes must be UTF-8).
        fn text(row: &MySqlRow, col: Col<'_>) -> Result<Option<String>, sqlx::Error> {
            match get::<String>(row, col) {
                Ok(text) => Ok(text),
                Err(first) => match get::<Vec<u8>>(row, col) {
                    Ok(bytes) => bytes
                        .map(|b| String::from_utf8(b).map_err(|e| column_error(col, "UTF-8", e)))
                        .transpose(),
                    Err(_) => Err(first),
                },
            }
        }

        fn decimal(row: &MySqlRow, col: Col<'_>) -> Result<Option<Decimal>, sqlx::Error> {
            match get::<Decimal>(row, col) {
                Ok(value) => Ok(value),
                Err(first) => match Self::int(row, col) {
                    Ok(value) => Ok(value.map(Decimal::from)),
                    Err(_) => Err(first),
                },
            }
        }

        fn time(row: &MySqlRow, col: Col<'_>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
            match get::<NaiveDateTime>(row, col) {
                Ok(value) => Ok(value.map(|naive| naive.and_utc())),
                Err(first) => get::<DateTime<Utc>>(row, col).map_err(|_| first),
            }
        }

        fn migrator() -> &'static sqlx::migrate::Migrator {
            &crate::mysql::MIGRATOR
        }

        fn classify(error: &sqlx::Error) -> ErrorClass {
            let sqlx::Error::Database(db) = error else {
                return ErrorClass::Failed;
            };
            let Some(server) = db.try_downcast_ref::<MySqlDatabaseError>() else {
                return ErrorClass::Failed;
            };
            match server.number() {
                code::LOCK_WAIT_TIMEOUT => ErrorClass::Rerun(shopcore::RetryCause::LockWait),
                code::DEADLOCK if server.message().contains("WSREP") => {
                    ErrorClass::Rerun(shopcore::RetryCause::Certification)
                }
                code::DEADLOCK => ErrorClass::Rerun(shopcore::RetryCause::Deadlock),
                number if code::UNAVAILABLE.contains(&number) => ErrorClass::Unavailable,
                _ if db.is_unique_violation() => ErrorClass::Duplicate,
                _ => ErrorClass::Failed,
            }
        }
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::sqlite::sqlite_dialect;
    use super::*;

    fn sqlite(sql: &'static str) -> String {
        sqlite_dialect(Cow::Borrowed(sql)).into_owned()
    }

    #[test]
    fn sqlite_spells_locks_hints_and_upserts_its_own_way() {
        assert_eq!(
            sqlite("SELECT a FROM t FORCE INDEX (PRIMARY) WHERE id = ? FOR UPDATE"),
            "SELECT a FROM t WHERE id = ?"
        );
        assert_eq!(
            sqlite("SELECT a FROM t LIMIT ? FOR UPDATE SKIP LOCKED"),
            "SELECT a FROM t LIMIT ?"
        );
        assert_eq!(sqlite("SELECT 1 LOCK IN SHARE MODE"), "SELECT 1");
        assert_eq!(
            sqlite("INSERT INTO t (a) SELECT ? FROM DUAL WHERE NOT EXISTS (SELECT 1)"),
            "INSERT INTO t (a) SELECT ? WHERE NOT EXISTS (SELECT 1)"
        );
        assert_eq!(
            sqlite("INSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = a"),
            "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            sqlite("INSERT INTO r (region, tax_rate) VALUES (?, ?) ON DUPLICATE KEY UPDATE tax_rate = VALUES(tax_rate)"),
            "INSERT INTO r (region, tax_rate) VALUES (?, ?) ON CONFLICT DO UPDATE SET tax_rate = excluded.tax_rate"
        );
        assert_eq!(
            sqlite("INSERT IGNORE INTO t VALUES (?)"),
            "INSERT OR IGNORE INTO t VALUES (?)"
        );
        // Untouched when nothing is spelled differently.
        assert_eq!(
            sqlite("SELECT a FROM t WHERE id = ?"),
            "SELECT a FROM t WHERE id = ?"
        );
    }

    #[test]
    fn times_are_fixed_width_text_that_reads_back() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T23:59:59.5Z")
            .unwrap()
            .to_utc();
        assert_eq!(time_text(at), "2026-12-07 23:59:59.500000");
        assert_eq!(parse_time_text(&time_text(at)).unwrap(), at);
        assert_eq!(parse_time_text("2026-12-07T23:59:59.5Z").unwrap(), at);
    }
}
