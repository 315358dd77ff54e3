//! Statements written once for every backend.
//!
//! [`query`] starts a [`Stmt`] from text with `?` placeholders (every backend
//! here spells them so), [`Stmt::bind`] adds values in order, and the
//! statement runs on any `conn: &mut C` where `C: Backend`. [`Builder`]
//! composes a statement whose shape depends on its input (`IN (…)` lists,
//! multi-row `VALUES`). Rows are read into types that implement
//! [`FromSqlRow`], usually declared with [`row!`](crate::row).

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use crate::backend::{Arg, Backend, Col, Done, Row};

/// A statement and the values bound to its placeholders.
#[derive(Clone, Debug)]
#[must_use = "a statement does nothing until it is run"]
pub struct Stmt {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
}

/// A statement of `text`.
pub fn query(text: impl Into<Cow<'static, str>>) -> Stmt {
    Stmt {
        sql: text.into(),
        args: Vec::new(),
    }
}

impl Stmt {
    /// Binds the next `?`.
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs it.
    pub async fn execute<C: Backend>(self, conn: &mut C) -> Result<Done, sqlx::Error> {
        conn.run(C::dialect(self.sql), self.args).await
    }

    /// Runs it and reads every row as `R`.
    pub async fn fetch_all<C: Backend, R: FromSqlRow>(
        self,
        conn: &mut C,
    ) -> Result<Vec<R>, sqlx::Error> {
        let rows = conn.rows(C::dialect(self.sql), self.args).await?;
        rows.iter().map(R::from_row::<C>).collect()
    }

    /// Runs it and reads its first row, if any, as `R`.
    pub async fn fetch_optional<C: Backend, R: FromSqlRow>(
        self,
        conn: &mut C,
    ) -> Result<Option<R>, sqlx::Error> {
        let rows = conn.rows(C::dialect(self.sql), self.args).await?;
        rows.first().map(R::from_row::<C>).transpose()
    }

    /// Runs it and reads its one row as `R` (`RowNotFound` if none).
    pub async fn fetch_one<C: Backend, R: FromSqlRow>(
        self,
        conn: &mut C,
    ) -> Result<R, sqlx::Error> {
        self.fetch_optional(conn)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

impl Stmt {
    /// Runs it and reads the first column of its one row as `T`.
    pub async fn scalar_one<C: Backend, T: Column>(self, conn: &mut C) -> Result<T, sqlx::Error> {
        let rows = conn.rows(C::dialect(self.sql), self.args).await?;
        let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
        T::read::<C>(row, Col::At(0))
    }

    /// Runs it and reads the first column of its first row, if any, as `T`.
    pub async fn scalar_optional<C: Backend, T: Column>(
        self,
        conn: &mut C,
    ) -> Result<Option<T>, sqlx::Error> {
        let rows = conn.rows(C::dialect(self.sql), self.args).await?;
        rows.first()
            .map(|row| T::read::<C>(row, Col::At(0)))
            .transpose()
    }
}

/// A type a row reads into.
pub trait FromSqlRow: Sized {
    /// Reads `row` of backend `C`.
    fn from_row<C: Backend>(row: &Row<C>) -> Result<Self, sqlx::Error>;
}

/// A type a column reads into.
pub trait Column: Sized {
    /// Reads column `col` of `row`.
    fn read<C: Backend>(row: &Row<C>, col: Col<'_>) -> Result<Self, sqlx::Error>;
}

fn not_null<T>(value: Option<T>, col: Col<'_>) -> Result<T, sqlx::Error> {
    value.ok_or_else(|| crate::backend::column_error(col, "NULL", "a value is required"))
}

macro_rules! columns {
    ($($ty:ty => |$row:ident, $col:ident| $read:expr;)*) => {$(
        impl Column for Option<$ty> {
            fn read<C: Backend>($row: &Row<C>, $col: Col<'_>) -> Result<Self, sqlx::Error> {
                $read
            }
        }
        impl Column for $ty {
            fn read<C: Backend>(row: &Row<C>, col: Col<'_>) -> Result<Self, sqlx::Error> {
                not_null(<Option<$ty> as Column>::read::<C>(row, col)?, col)
            }
        }
    )*};
}

fn int_as<T: TryFrom<i64>>(value: Option<i64>, col: Col<'_>) -> Result<Option<T>, sqlx::Error>
where
    T::Error: std::fmt::Display,
{
    value
        .map(|v| T::try_from(v).map_err(|e| crate::backend::column_error(col, "in range", e)))
        .transpose()
}

columns! {
    i64 => |row, col| C::int(row, col);
    i32 => |row, col| int_as(C::int(row, col)?, col);
    u32 => |row, col| int_as(C::int(row, col)?, col);
    u64 => |row, col| int_as(C::int(row, col)?, col);
    bool => |row, col| Ok(C::int(row, col)?.map(|v| v != 0));
    String => |row, col| C::text(row, col);
    Decimal => |row, col| C::decimal(row, col);
    DateTime<Utc> => |row, col| C::time(row, col);
    NaiveDateTime => |row, col| Ok(C::time(row, col)?.map(|at| at.naive_utc()));
    Vec<u8> => |row, col| Ok(C::text(row, col)?.map(String::into_bytes));
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: Column),+> FromSqlRow for ($($t,)+) {
            fn from_row<C: Backend>(row: &Row<C>) -> Result<Self, sqlx::Error> {
                Ok(($($t::read::<C>(row, Col::At($i))?,)+))
            }
        }
    )*};
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, D 2)
    (A 0, B 1, D 2, E 3)
    (A 0, B 1, D 2, E 3, F 4)
}

/// Declares a struct whose fields are read from the columns of the same
/// names (a field marked `#[flatten]` reads a whole row type from the same
/// row), and its [`FromSqlRow`].
#[macro_export]
macro_rules! row {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        $($(#[$flat:ident])? $fvis:vis $field:ident : $ty:ty),* $(,)?
    }) => {
        $(#[$meta])* $vis struct $name { $($fvis $field: $ty),* }

        impl $crate::stmt::FromSqlRow for $name {
            fn from_row<C: $crate::backend::Backend>(
                row: &$crate::backend::Row<C>,
            ) -> Result<Self, sqlx::Error> {
                Ok($name {
                    $($field: $crate::row!(@field [$($flat)?] $ty, C, row, $field)),*
                })
            }
        }
    };
    (@field [flatten] $ty:ty, $c:ident, $row:ident, $field:ident) => {
        <$ty as $crate::stmt::FromSqlRow>::from_row::<$c>($row)?
    };
    (@field [] $ty:ty, $c:ident, $row:ident, $field:ident) => {
        <$ty as $crate::stmt::Column>::read::<$c>(
            $row,
            $crate::backend::Col::Name(stringify!($field)),
        )?
    };
}

macro_rules! args_from {
    ($($ty:ty => |$v:ident| $arg:expr;)*) => {$(
        impl From<$ty> for Arg {
            fn from($v: $ty) -> Self {
                $arg
            }
        }
    )*};
}

args_from! {
    i64 => |v| Arg::Int(v);
    i32 => |v| Arg::Int(v.into());
    u32 => |v| Arg::Int(v.into());
    u16 => |v| Arg::Int(v.into());
    u64 => |v| Arg::Uint(v);
    usize => |v| Arg::Uint(v as u64);
    bool => |v| Arg::Bool(v);
    String => |v| Arg::Text(Cow::Owned(v));
    &String => |v| Arg::Text(Cow::Owned(v.clone()));
    Decimal => |v| Arg::Decimal(v);
    DateTime<Utc> => |v| Arg::Time(v);
    NaiveDateTime => |v| Arg::Time(v.and_utc());
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(Cow::Owned(value.to_owned()))
    }
}

impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(value: Option<T>) -> Self {
        value.map_or(Arg::Null, Into::into)
    }
}

/// A statement composed piece by piece; [`Builder::build`] makes the [`Stmt`].
#[derive(Debug, Default)]
pub struct Builder {
    sql: String,
    args: Vec<Arg>,
}

impl Builder {
    /// A builder starting with `text`.
    pub fn new(text: impl AsRef<str>) -> Self {
        Builder {
            sql: text.as_ref().to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends `text`.
    pub fn push(&mut self, text: impl AsRef<str>) -> &mut Self {
        self.sql.push_str(text.as_ref());
        self
    }

    /// Appends a `?` bound to `value`.
    pub fn push_bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.sql.push('?');
        self.args.push(value.into());
        self
    }

    /// Pieces separated by `separator`.
    pub fn separated<'b>(&'b mut self, separator: &'static str) -> Separated<'b> {
        Separated {
            builder: self,
            separator,
            first: true,
        }
    }

    /// Appends `(`…`), (`…`)`, one group per item, each filled by `fill`;
    /// preceded by `VALUES `.
    pub fn push_values<I: IntoIterator>(
        &mut self,
        items: I,
        mut fill: impl FnMut(Separated<'_>, I::Item),
    ) -> &mut Self {
        self.sql.push_str("VALUES ");
        for (n, item) in items.into_iter().enumerate() {
            if n > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('(');
            fill(self.separated(", "), item);
            self.sql.push(')');
        }
        self
    }

    /// Appends `(?, ?, …)`, one `?` bound per value: an `IN (…)` list.
    pub fn push_in_list<T: Into<Arg>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        self.sql.push('(');
        let mut list = self.separated(", ");
        for value in values {
            list.push_bind(value);
        }
        self.sql.push(')');
        self
    }

    /// The statement built so far.
    pub fn build(&mut self) -> Stmt {
        Stmt {
            sql: Cow::Owned(std::mem::take(&mut self.sql)),
            args: std::mem::take(&mut self.args),
        }
    }
}

/// Pieces of a [`Builder`] separated by a fixed text.
#[derive(Debug)]
pub struct Separated<'b> {
    builder: &'b mut Builder,
    separator: &'static str,
    first: bool,
}

impl Separated<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.builder.sql.push_str(self.separator);
        }
        self.first = false;
    }

    /// Appends `text` after a separator.
    pub fn push(&mut self, text: impl AsRef<str>) -> &mut Self {
        self.separate();
        self.builder.sql.push_str(text.as_ref());
        self
    }

    /// Appends a `?` bound to `value` after a separator.
    pub fn push_bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.separate();
        self.builder.push_bind(value);
        self
    }

    /// Appends `text` with no separator.
    pub fn push_unseparated(&mut self, text: impl AsRef<str>) -> &mut Self {
        self.builder.sql.push_str(text.as_ref());
        self
    }

    /// Appends a `?` bound to `value` with no separator.
    pub fn push_bind_unseparated(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.builder.push_bind(value);
        self
    }
}
