//! Catalog, customer, order and notification repositories on MySQL.
//!
//! Reads are single statements. Adjustments lock the row (`FOR UPDATE`), apply
//! the core's adjustment rule, write the new value and a row in the audit
//! ledger (`stock_adjustments`, `loyalty_adjustments`), in one short
//! transaction, so they serialise with checkouts on the same rows.

use async_trait::async_trait;
use shopcore::{
    points_after_change, stock_after_change, Catalog, CatalogError, CatalogRepository, Customer,
    CustomerCredentials, CustomerError, CustomerId, CustomerRepository, Email, LookupError,
    NewCustomer, Notification, NotificationFilter, NotificationKind, NotificationRepository, Order,
    OrderId, OrderRepository, PricingRule, Product, ProductId, Region, RuleBook, StorageError,
    TaxTable,
};
use sqlx::{Executor, MySql};

use crate::error::{invalid_row, is_duplicate_key, storage_error};
use crate::rows::{
    assemble_orders, placeholders, CustomerRow, ItemRow, NotificationRow, OrderRow, ProductRow,
    RuleRow, CUSTOMER_COLUMNS, ITEM_COLUMNS, NOTIFICATION_COLUMNS, ORDER_COLUMNS, PRODUCT_COLUMNS,
};
use crate::MySqlStore;

/// Reads products by id, optionally locking them in id order.
pub(crate) async fn select_products<'e, E: Executor<'e, Database = MySql>>(
    executor: E,
    ids: &[ProductId],
    lock: bool,
) -> Result<Catalog, StorageError> {
    if ids.is_empty() {
        return Ok(Catalog::default());
    }
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM inventory WHERE product_id IN ({}) ORDER BY product_id{}",
        placeholders(ids.len()),
        if lock { " FOR UPDATE" } else { "" }
    );
    let mut query = sqlx::query_as::<_, ProductRow>(&sql);
    for id in ids {
        query = query.bind(id.get());
    }
    let rows = query.fetch_all(executor).await.map_err(storage_error)?;
    let products = rows
        .into_iter()
        .map(Product::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Catalog::from_products(products))
}

/// Reads the pricing rules of products.
pub(crate) async fn select_rules<'e, E: Executor<'e, Database = MySql>>(
    executor: E,
    ids: &[ProductId],
) -> Result<RuleBook, StorageError> {
    if ids.is_empty() {
        return Ok(RuleBook::default());
    }
    let sql = format!(
        "SELECT product_id, min_quantity, discount_percentage FROM pricing_rules \
         WHERE product_id IN ({})",
        placeholders(ids.len())
    );
    let mut query = sqlx::query_as::<_, RuleRow>(&sql);
    for id in ids {
        query = query.bind(id.get());
    }
    let rows = query.fetch_all(executor).await.map_err(storage_error)?;
    let rules = rows
        .into_iter()
        .map(PricingRule::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RuleBook::from_rules(rules))
}

/// Reads the tax rate of one region (the column's collation matches case-insensitively).
pub(crate) async fn select_tax_rate<'e, E: Executor<'e, Database = MySql>>(
    executor: E,
    region: &Region,
) -> Result<TaxTable, StorageError> {
    let row: Option<(String, rust_decimal::Decimal)> =
        sqlx::query_as("SELECT region, tax_rate FROM tax_rates WHERE region = ?")
            .bind(region.as_str())
            .fetch_optional(executor)
            .await
            .map_err(storage_error)?;
    tax_table(row.into_iter().collect())
}

fn tax_table(rows: Vec<(String, rust_decimal::Decimal)>) -> Result<TaxTable, StorageError> {
    let rates = rows
        .into_iter()
        .map(|(region, rate)| {
            let bad =
                |e: shopcore::ValueError| invalid_row("tax_rates", format!("{region:?}: {e}"));
            Ok((
                Region::parse(&region).map_err(bad)?,
                shopcore::Percent::new(rate).map_err(bad)?,
            ))
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(TaxTable::from_rates(rates))
}

/// Reads one customer, optionally locking the row.
pub(crate) async fn select_customer<'e, E: Executor<'e, Database = MySql>>(
    executor: E,
    id: CustomerId,
    lock: bool,
) -> Result<Option<Customer>, StorageError> {
    let sql = format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE customer_id = ?{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as::<_, CustomerRow>(&sql)
        .bind(id.get())
        .fetch_optional(executor)
        .await
        .map_err(storage_error)?
        .map(Customer::try_from)
        .transpose()
}

/// Reads orders matching `condition` (with one bound id) and their items.
pub(crate) async fn select_orders(
    conn: &mut sqlx::MySqlConnection,
    condition: &str,
    id: i64,
) -> Result<Vec<Order>, StorageError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE {condition}");
    let orders: Vec<OrderRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(storage_error)?;
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM order_items WHERE order_id IN ({}) ORDER BY item_id",
        placeholders(orders.len())
    );
    let mut query = sqlx::query_as::<_, ItemRow>(&sql);
    for order in &orders {
        query = query.bind(order.order_id);
    }
    let items = query.fetch_all(&mut *conn).await.map_err(storage_error)?;
    assemble_orders(orders, items)
}

/// Reads one order with its items, optionally locking the order row.
pub(crate) async fn select_order(
    conn: &mut sqlx::MySqlConnection,
    id: OrderId,
    lock: bool,
) -> Result<Option<Order>, StorageError> {
    let condition = if lock {
        "order_id = ? FOR UPDATE"
    } else {
        "order_id = ?"
    };
    Ok(select_orders(conn, condition, id.get()).await?.pop())
}

/// Reads one notification by id.
pub(crate) async fn select_notification<'e, E: Executor<'e, Database = MySql>>(
    executor: E,
    condition: &str,
    id: i64,
) -> Result<Option<Notification>, StorageError> {
    let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM notification_log WHERE {condition}");
    sqlx::query_as::<_, NotificationRow>(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(storage_error)?
        .map(Notification::try_from)
        .transpose()
}

/// Inserts a notification and returns it as stored.
pub(crate) async fn insert_notification(
    conn: &mut sqlx::MySqlConnection,
    order_id: OrderId,
    customer_id: CustomerId,
    kind: NotificationKind,
    message: &str,
    sent_at: chrono::DateTime<chrono::Utc>,
) -> Result<Notification, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO notification_log (order_id, customer_id, notification_type, message, sent_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(order_id.get())
    .bind(customer_id.get())
    .bind(kind.as_str())
    .bind(message)
    .bind(sent_at)
    .execute(&mut *conn)
    .await?;
    let id = i64::try_from(result.last_insert_id())
        .ok()
        .and_then(|id| shopcore::NotificationId::new(id).ok())
        .ok_or_else(|| sqlx::Error::Protocol("notification_log returned no id".into()))?;
    Ok(Notification {
        id,
        order_id,
        customer_id,
        kind,
        message: message.to_owned(),
        sent_at,
    })
}

#[async_trait]
impl CatalogRepository for MySqlStore {
    async fn product(&self, id: ProductId) -> Result<Product, CatalogError> {
        let catalog = select_products(&self.pool, &[id], false).await?;
        catalog
            .get(id)
            .cloned()
            .ok_or(CatalogError::UnknownProduct(id))
    }

    async fn products(&self) -> Result<Vec<Product>, StorageError> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM inventory ORDER BY product_id");
        sqlx::query_as::<_, ProductRow>(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(storage_error)?
            .into_iter()
            .map(Product::try_from)
            .collect()
    }

    async fn catalog_snapshot(&self, ids: &[ProductId]) -> Result<Catalog, StorageError> {
        select_products(&self.pool, ids, false).await
    }

    async fn pricing_rules(&self, ids: &[ProductId]) -> Result<RuleBook, StorageError> {
        select_rules(&self.pool, ids).await
    }

    async fn tax_rates(&self) -> Result<TaxTable, StorageError> {
        let rows = sqlx::query_as("SELECT region, tax_rate FROM tax_rates")
            .fetch_all(&self.pool)
            .await
            .map_err(storage_error)?;
        tax_table(rows)
    }

    async fn adjust_stock(&self, id: ProductId, change: i64) -> Result<Product, CatalogError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(storage_error)?;
        let catalog = select_products(&mut *tx, &[id], true).await?;
        let mut product = catalog
            .get(id)
            .cloned()
            .ok_or(CatalogError::UnknownProduct(id))?;
        product.quantity_available = stock_after_change(&product, change)?;
        product.last_updated = now;
        sqlx::query(
            "UPDATE inventory SET quantity_available = ?, last_updated = ? WHERE product_id = ?",
        )
        .bind(product.quantity_available)
        .bind(now)
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(storage_error)?;
        sqlx::query(
            "INSERT INTO stock_adjustments (product_id, quantity_change, quantity_after, adjusted_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(id.get())
        .bind(change)
        .bind(product.quantity_available)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(storage_error)?;
        tx.commit().await.map_err(storage_error)?;
        Ok(product)
    }
}

#[async_trait]
impl CustomerRepository for MySqlStore {
    async fn create_customer(&self, new: NewCustomer) -> Result<Customer, CustomerError> {
        let now = self.clock.now();
        let inserted = sqlx::query(
            "INSERT INTO customers (name, email, phone, loyalty_points, created_at, password_hash) \
             VALUES (?, ?, ?, 0, ?, ?)",
        )
        .bind(new.name.as_str())
        .bind(new.email.as_str())
        .bind(new.phone.as_ref().map(|p| p.as_str()))
        .bind(now)
        .bind(new.password_hash.as_ref().map(|h| h.as_str()))
        .execute(&self.pool)
        .await;
        let result = match inserted {
            Err(e) if is_duplicate_key(&e) => return Err(CustomerError::EmailTaken(new.email)),
            other => other.map_err(storage_error)?,
        };
        let id = i64::try_from(result.last_insert_id())
            .ok()
            .and_then(|id| CustomerId::new(id).ok())
            .ok_or_else(|| StorageError::Failure("customers returned no id".to_owned()))?;
        Ok(Customer {
            id,
            name: new.name,
            email: new.email,
            phone: new.phone,
            loyalty_points: 0,
            created_at: now,
        })
    }

    async fn customer(&self, id: CustomerId) -> Result<Customer, CustomerError> {
        select_customer(&self.pool, id, false)
            .await?
            .ok_or(CustomerError::UnknownCustomer(id))
    }

    async fn customer_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<CustomerCredentials>, StorageError> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE email = ?");
        let row: Option<CustomerRow> = sqlx::query_as(&sql)
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(storage_error)?;
        row.map(|row| {
            row.into_parts()
                .map(|(customer, password_hash)| CustomerCredentials {
                    customer,
                    password_hash,
                })
        })
        .transpose()
    }

    async fn adjust_points(&self, id: CustomerId, change: i64) -> Result<Customer, CustomerError> {
        let mut tx = self.pool.begin().await.map_err(storage_error)?;
        let mut customer = select_customer(&mut *tx, id, true)
            .await?
            .ok_or(CustomerError::UnknownCustomer(id))?;
        customer.loyalty_points = points_after_change(&customer, change)?;
        sqlx::query("UPDATE customers SET loyalty_points = ? WHERE customer_id = ?")
            .bind(customer.loyalty_points)
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(storage_error)?;
        sqlx::query(
            "INSERT INTO loyalty_adjustments (customer_id, points_change, points_after, adjusted_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(id.get())
        .bind(change)
        .bind(customer.loyalty_points)
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await
        .map_err(storage_error)?;
        tx.commit().await.map_err(storage_error)?;
        Ok(customer)
    }
}

#[async_trait]
impl OrderRepository for MySqlStore {
    async fn order(&self, id: OrderId) -> Result<Order, LookupError> {
        let mut conn = self.pool.acquire().await.map_err(storage_error)?;
        select_order(&mut conn, id, false)
            .await?
            .ok_or(LookupError::OrderNotFound(id))
    }

    async fn orders_of_customer(&self, id: CustomerId) -> Result<Vec<Order>, LookupError> {
        let mut conn = self.pool.acquire().await.map_err(storage_error)?;
        if select_customer(&mut *conn, id, false).await?.is_none() {
            return Err(LookupError::UnknownCustomer(id));
        }
        Ok(select_orders(
            &mut conn,
            "customer_id = ? ORDER BY order_id DESC",
            id.get(),
        )
        .await?)
    }
}

#[async_trait]
impl NotificationRepository for MySqlStore {
    async fn log_notification(
        &self,
        order_id: OrderId,
        customer_id: CustomerId,
        kind: NotificationKind,
        message: String,
    ) -> Result<Notification, LookupError> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await.map_err(storage_error)?;
        let order_exists: Option<(i64,)> =
            sqlx::query_as("SELECT order_id FROM orders WHERE order_id = ?")
                .bind(order_id.get())
                .fetch_optional(&mut *conn)
                .await
                .map_err(storage_error)?;
        if order_exists.is_none() {
            return Err(LookupError::OrderNotFound(order_id));
        }
        if select_customer(&mut *conn, customer_id, false)
            .await?
            .is_none()
        {
            return Err(LookupError::UnknownCustomer(customer_id));
        }
        Ok(
            insert_notification(&mut conn, order_id, customer_id, kind, &message, now)
                .await
                .map_err(storage_error)?,
        )
    }

    async fn notifications(
        &self,
        filter: NotificationFilter,
    ) -> Result<Vec<Notification>, StorageError> {
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notification_log \
             WHERE (? IS NULL OR order_id = ?) AND (? IS NULL OR customer_id = ?) \
             ORDER BY notification_id DESC"
        );
        let order = filter.order_id.map(|id| id.get());
        let customer = filter.customer_id.map(|id| id.get());
        sqlx::query_as::<_, NotificationRow>(&sql)
            .bind(order)
            .bind(order)
            .bind(customer)
            .bind(customer)
            .fetch_all(&self.pool)
            .await
            .map_err(storage_error)?
            .into_iter()
            .map(Notification::try_from)
            .collect()
    }
}
