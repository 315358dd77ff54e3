//! What a database must hold before shopcore migrates it, and what a failed
//! migration says.
//!
//! MySQL cannot roll back DDL: a migration that fails half-way leaves the
//! statements before the failure applied. So [`check_before_migrating`] refuses,
//! before anything is written, a database shopcore does not own: one without
//! shopcore's migration table that holds tables other than the original
//! backend's (or original tables without their original columns — an
//! unrelated `orders` table, say). And when a migration does fail, the error
//! names the step and how to resume ([`migration_failed`]). Once migrated,
//! orders placed before their lines kept what they cost get their lines'
//! shares ([`split_line_costs`]).

use rust_decimal::Decimal;
use shopcore::{Money, RoundingMode, StorageError};
use sqlx::{MySqlPool, QueryBuilder};

use crate::error::DbError;
use crate::mysql::MIGRATOR;

/// Pushes `(?, ?, …)`, binding one value of `values` per `?`.
fn push_in_list<'t, T>(sql: &mut QueryBuilder<sqlx::MySql>, values: impl IntoIterator<Item = T>)
where
    T: sqlx::Encode<'t, sqlx::MySql> + sqlx::Type<sqlx::MySql>,
{
    sql.push("(");
    let mut list = sql.separated(", ");
    for value in values {
        list.push_bind(value);
    }
    list.push_unseparated(")");
}

/// The original backend's tables and the columns its services created them with.
const ORIGINAL_TABLES: &[(&str, &[&str])] = &[
    (
        "customers",
        &[
            "customer_id",
            "name",
            "email",
            "phone",
            "loyalty_points",
            "created_at",
        ],
    ),
    (
        "inventory",
        &[
            "product_id",
            "product_name",
            "quantity_available",
            "unit_price",
            "last_updated",
        ],
    ),
    (
        "pricing_rules",
        &[
            "rule_id",
            "product_id",
            "min_quantity",
            "discount_percentage",
        ],
    ),
    ("tax_rates", &["region", "tax_rate"]),
    (
        "orders",
        &[
            "order_id",
            "customer_id",
            "total_amount",
            "status",
            "created_at",
        ],
    ),
    (
        "order_items",
        &[
            "item_id",
            "order_id",
            "product_id",
            "quantity",
            "unit_price",
        ],
    ),
    (
        "notification_log",
        &[
            "notification_id",
            "order_id",
            "customer_id",
            "notification_type",
            "message",
            "sent_at",
        ],
    ),
];

/// The table in which sqlx records applied migrations.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Refuses (`storage_failure`, nothing written) a database that shopcore has
/// never migrated and that holds anything but the original backend's tables
/// with their original columns; the message names each table and why.
pub(crate) async fn check_before_migrating(pool: &MySqlPool) -> Result<(), StorageError> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .fetch_all(pool)
    .await
    .map_err(DbError::from)?;
    if columns.iter().any(|(table, _)| table == MIGRATIONS_TABLE) {
        return Ok(()); // shopcore's own: sqlx checks what was applied
    }
    let problems = foreign_tables(&columns);
    if problems.is_empty() {
        return Ok(());
    }
    Err(StorageError::Failure(format!(
        "refusing to migrate: this database was not created by shopcore and holds {}. \
         shopcore creates its schema in an empty database, or upgrades the original \
         backend's schema in place; use another database (nothing was written)",
        problems.join("; ")
    )))
}

/// Why each table of `columns` (`(table, column)` pairs of a database
/// shopcore has not migrated) stops a migration; empty when none does.
/// A database that is not empty must hold the original backend's whole
/// schema: a lone table that merely has the original columns (another
/// application's `orders`, say) is not upgraded in place.
fn foreign_tables(columns: &[(String, String)]) -> Vec<String> {
    let mut tables: Vec<&str> = columns.iter().map(|(table, _)| table.as_str()).collect();
    tables.dedup();
    let missing: Vec<&str> = ORIGINAL_TABLES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !tables.contains(name))
        .collect();
    let incomplete = (!tables.is_empty() && !missing.is_empty()).then(|| {
        format!(
            "only part of the original backend's schema (no table {})",
            missing
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    tables
        .into_iter()
        .filter_map(|table| {
            let Some((_, original)) = ORIGINAL_TABLES.iter().find(|(name, _)| *name == table)
            else {
                return Some(format!("table `{table}`, which shopcore does not know"));
            };
            let missing: Vec<&str> = original
                .iter()
                .copied()
                .filter(|column| !columns.iter().any(|(t, c)| t == table && c == column))
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "table `{table}` without the original backend's column(s) {}",
                    missing.join(", ")
                )
            })
        })
        .chain(incomplete)
        .collect()
}

/// The error for a migration that failed: which step, why, and how to resume.
pub(crate) async fn migration_failed(
    pool: &MySqlPool,
    error: sqlx::migrate::MigrateError,
) -> StorageError {
    use sqlx::migrate::MigrateError;
    let (cause, version) = match error {
        MigrateError::ExecuteMigration(inner, version) => {
            (StorageError::from(DbError::from(inner)), Some(version))
        }
        MigrateError::Execute(inner) => (StorageError::from(DbError::from(inner)), None),
        MigrateError::Dirty(version) => (
            StorageError::Failure("it failed part-way on an earlier start".to_owned()),
            Some(version),
        ),
        other => (StorageError::Failure(other.to_string()), None),
    };
    let reason = match &cause {
        StorageError::Unavailable(_) => return cause, // the server went away: rerun later
        StorageError::Failure(reason) => reason.clone(),
        other => other.to_string(),
    };
    let Some(version) = version else {
        return StorageError::Failure(format!("migration failed: {reason}"));
    };
    let step = MIGRATOR
        .iter()
        .find(|m| m.version == version)
        .map_or_else(String::new, |m| format!(" ({})", m.description));
    // sqlx marks a migration `success = FALSE` before running it; a failure
    // rolls that row back unless a schema change had already committed it.
    let part_way = sqlx::query_scalar::<_, i64>(
        "SELECT version FROM _sqlx_migrations WHERE version = ? AND success = FALSE",
    )
    .bind(version)
    .fetch_optional(pool)
    .await
    .ok()
    .flatten()
    .is_some();
    if part_way {
        StorageError::Failure(format!(
            "migration {version}{step} failed part-way: {reason}. MySQL cannot roll back \
             schema changes, so its statements before the failure stay applied. To resume: \
             fix the cause, undo what migration {version} applied (or restore a backup), run \
             `DELETE FROM _sqlx_migrations WHERE version = {version}`, and start again"
        ))
    } else {
        StorageError::Failure(format!(
            "migration {version}{step} failed: {reason}. Nothing of it was applied \
             (the migrations before it were); fix the cause and start again"
        ))
    }
}
/// How many orders [`split_line_costs`] splits per transaction.
const SPLIT_BATCH: usize = 200;

/// Splits the tax and the redeemed points of the orders placed before
/// migration 15 (`line_costs_kept = FALSE`) over their lines, as a checkout
/// now does ([`shopcore::line_costs`]: the tax by net price, the points by
/// points share, each by largest remainder), and records that they were
/// rounded with `rounding` (the store's policy, which placed them). Runs
/// after every migration and does nothing once every order is split;
/// answers how many orders it split.
///
/// A batch of orders at a time, each batch one transaction: it reads the
/// next unsplit ids plainly, then locks those order rows by primary key
/// (`FOR UPDATE`, so that two processes starting together split each order
/// once, and no write of the order runs meanwhile), reads their items,
/// writes every item's share by one `UPDATE` and marks the orders split.
/// A line whose stored amounts do not make a valid net price (rows another
/// program wrote) weighs nothing in the split.
pub(crate) async fn split_line_costs(
    pool: &MySqlPool,
    rounding: RoundingMode,
) -> Result<u64, StorageError> {
    let mut split = 0u64;
    let mut after = 0i64;
    loop {
        let batch: Vec<i64> = sqlx::query_scalar(
            "SELECT order_id FROM orders WHERE order_id > ? AND line_costs_kept = FALSE \
             ORDER BY order_id LIMIT ?",
        )
        .bind(after)
        .bind(SPLIT_BATCH as u64)
        .fetch_all(pool)
        .await
        .map_err(DbError::from)?;
        let Some(&last) = batch.last() else {
            return Ok(split);
        };
        after = last;
        split += split_batch(pool, &batch, rounding).await?;
    }
}

/// One transaction of [`split_line_costs`]: the orders `ids` that are still
/// unsplit once locked. Answers how many it split.
async fn split_batch(
    pool: &MySqlPool,
    ids: &[i64],
    rounding: RoundingMode,
) -> Result<u64, StorageError> {
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let mut sql = QueryBuilder::new(
        "SELECT order_id, COALESCE(tax, 0), points_redeemed FROM orders WHERE order_id IN ",
    );
    push_in_list(&mut sql, ids.iter().copied());
    sql.push(" AND line_costs_kept = FALSE ORDER BY order_id FOR UPDATE");
    let orders: Vec<(i64, Decimal, u64)> = sql
        .build_query_as()
        .fetch_all(&mut *tx)
        .await
        .map_err(DbError::from)?;
    if orders.is_empty() {
        tx.commit().await.map_err(DbError::from)?;
        return Ok(0);
    }
    let mut sql = QueryBuilder::new(
        "SELECT item_id, order_id, \
         COALESCE(line_total, quantity * unit_price - discount) - coupon_share - points_share, \
         points_share FROM order_items WHERE order_id IN ",
    );
    push_in_list(&mut sql, orders.iter().map(|o| o.0));
    sql.push(" ORDER BY item_id");
    let items: Vec<(i64, i64, Decimal, Decimal)> = sql
        .build_query_as()
        .fetch_all(&mut *tx)
        .await
        .map_err(DbError::from)?;
    let money = |value: Decimal| Money::new(value).unwrap_or(Money::ZERO);
    // (item, tax, points) for every item of the batch.
    let mut shares: Vec<(i64, Money, u64)> = Vec::with_capacity(items.len());
    for &(order, tax, points) in &orders {
        let lines: Vec<&(i64, i64, Decimal, Decimal)> =
            items.iter().filter(|item| item.1 == order).collect();
        let weights: Vec<(Money, Option<Money>, Money)> = lines
            .iter()
            .map(|item| (money(item.2), None, money(item.3)))
            .collect();
        let costs = shopcore::line_costs(&weights, money(tax), points);
        shares.extend(
            lines
                .iter()
                .zip(costs)
                .map(|(item, (tax, points))| (item.0, tax, points)),
        );
    }
    if !shares.is_empty() {
        let mut sql = QueryBuilder::new("UPDATE order_items SET tax = CASE item_id ");
        for (item, tax, _) in &shares {
            sql.push("WHEN ")
                .push_bind(*item)
                .push(" THEN ")
                .push_bind(tax.amount())
                .push(" ");
        }
        sql.push("END, points_redeemed = CASE item_id ");
        for (item, _, points) in &shares {
            sql.push("WHEN ")
                .push_bind(*item)
                .push(" THEN ")
                .push_bind(*points)
                .push(" ");
        }
        sql.push("END WHERE item_id IN ");
        push_in_list(&mut sql, shares.iter().map(|s| s.0));
        sql.build().execute(&mut *tx).await.map_err(DbError::from)?;
    }
    let mut sql = QueryBuilder::new("UPDATE orders SET line_costs_kept = TRUE, rounding = ");
    sql.push_bind(rounding.as_str());
    sql.push(" WHERE order_id IN ");
    push_in_list(&mut sql, orders.iter().map(|o| o.0));
    sql.build().execute(&mut *tx).await.map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(orders.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn an_empty_database_and_the_original_schema_may_be_migrated() {
        assert!(foreign_tables(&[]).is_empty());
        let original: Vec<(&str, &str)> = ORIGINAL_TABLES
            .iter()
            .flat_map(|(table, cols)| cols.iter().map(move |c| (*table, *c)))
            .collect();
        assert!(foreign_tables(&columns(&original)).is_empty());
    }

    #[test]
    fn unknown_tables_and_unrelated_tables_of_an_original_name_are_named() {
        let found = foreign_tables(&columns(&[
            ("orders", "order_id"),
            ("orders", "customer_id"),
            ("orders", "total_amount"),
            ("orders", "created_at"),
            ("sessions", "id"),
        ]));
        assert_eq!(
            found[..2],
            [
                "table `orders` without the original backend's column(s) status".to_owned(),
                "table `sessions`, which shopcore does not know".to_owned(),
            ]
        );
    }

    #[test]
    fn a_lone_table_with_the_original_columns_is_not_the_original_schema() {
        let orders: Vec<(&str, &str)> = ORIGINAL_TABLES
            .iter()
            .filter(|(table, _)| *table == "orders")
            .flat_map(|(table, cols)| cols.iter().map(move |c| (*table, *c)))
            .collect();
        assert_eq!(
            foreign_tables(&columns(&orders)),
            vec![
                "only part of the original backend's schema (no table `customers`, \
                 `inventory`, `pricing_rules`, `tax_rates`, `order_items`, `notification_log`)"
                    .to_owned()
            ]
        );
    }
}
