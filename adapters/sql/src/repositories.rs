//! Catalog, customer, order and notification repositories on MySQL.
//!
//! Reads are single statements. Writes run like checkouts, in one transaction
//! with retry. A logged notice locks its row (`FOR UPDATE`), plans with the
//! core and applies the plan with [`apply_plan`]. A manual stock or points
//! adjustment, on rows checkouts make hot, locks late: it plans from a plain
//! read and moves the row by one `UPDATE` guarded by the value it read (which
//! also writes the ledger entry); if another writer moved the row in between,
//! it is decided again from the row read `FOR UPDATE` (see
//! [`apply_adjustment`]). Either way it serialises with checkouts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use const_format::concatcp;
use shopcore::{
    plan_notice, plan_points_adjustment, plan_stock_adjustment, AccessRepository, Books,
    BooksRepository, Catalog, CatalogError, CatalogRepository, Customer, CustomerCredentials,
    CustomerError, CustomerId, CustomerRepository, Email, LookupError, NewCustomer, NoticeTargets,
    Notification, NotificationFilter, NotificationKind, NotificationRepository, Order, OrderId,
    OrderRepository, Plan, PricingRule, Product, ProductId, Region, RuleBook, StaffKey, StaffKeyId,
    StorageError, TaxTable, TokenHash,
};
use shopcore::{plan_profile_update, NotificationId, OrderFilter, Page, PageLimit, ProfileUpdate};

use crate::apply::{apply_adjustment_late, apply_plan, Shortfall};
use crate::backend::Backend;
use crate::error::{invalid_row, is_duplicate_key, DbError};
use crate::faults::Faults;
use crate::rows::{
    assemble_orders, inserted_id, utc, CustomerRow, LedgerEntry, LedgerRow, MoneyEntryRow,
    NotificationRow, OrderParts, OrderRow, ProductRow, ProductRuleRow, RuleRow, StaffKeyRow,
    CUSTOMER_COLUMNS, C_CUSTOMER_COLUMNS, FULFILLMENT_LINE_COLUMNS, ITEM_COLUMNS, LEDGER_COLUMNS,
    MONEY_LEDGER_COLUMNS, NOTIFICATION_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS, PRODUCT_COLUMNS,
    P_PRODUCT_COLUMNS, REFUND_LINE_COLUMNS, REFUND_PART_COLUMNS, RELEASE_LINE_COLUMNS,
    RETURN_LINE_COLUMNS, STAFF_KEY_COLUMNS,
};
use crate::stmt::{query, Builder};
use crate::transaction::Attempt;
use crate::workflow::{HotRows, NotDone};
use crate::SqlStore;

/// One page of rows in ascending key order: `sql` selects them `WHERE key > ?
/// … ORDER BY key LIMIT ?` and is bound with the cursor, then the limit plus
/// one (which only says whether more remain).
pub(crate) async fn ascending_page<B: Backend, R, T, K>(
    conn: &mut B,
    sql: &'static str,
    after: i64,
    limit: PageLimit,
    cursor: impl Fn(&T) -> K,
) -> Result<Page<T, K>, StorageError>
where
    R: crate::stmt::FromSqlRow,
    T: TryFrom<R, Error = StorageError>,
{
    let rows: Vec<R> = query(sql)
        .bind(after)
        .bind(limit.get() as u64 + 1)
        .fetch_all(conn)
        .await
        .map_err(DbError::from)?;
    let items = rows
        .into_iter()
        .map(T::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, cursor))
}

/// Reads products by id, optionally locking them in id order.
///
/// Through the primary key whatever the optimizer's statistics (`FORCE
/// INDEX`): a scan under `FOR UPDATE` would lock products outside the cart,
/// as the fresh statistics of a restarted server once chose.
pub(crate) async fn select_products<C: Backend>(
    conn: &mut C,
    ids: &[ProductId],
    lock: bool,
) -> Result<Catalog, DbError> {
    if ids.is_empty() {
        return Ok(Catalog::default());
    }
    let mut sql = Builder::new(concatcp!(
        "SELECT ",
        PRODUCT_COLUMNS,
        " FROM inventory FORCE INDEX (PRIMARY) WHERE product_id IN "
    ));
    sql.push_in_list(ids.iter().map(|id| id.get()));
    sql.push(if lock {
        " ORDER BY product_id FOR UPDATE"
    } else {
        " ORDER BY product_id"
    });
    let rows: Vec<ProductRow> = sql.build().fetch_all(conn).await?;
    let products = rows
        .into_iter()
        .map(Product::try_from)
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(Catalog::from_products(products))
}

/// Reads products by id and their pricing rules in one plain (consistent)
/// statement, through the primary key and the rules' product index: a
/// checkout's snapshot of the catalog at one round trip.
pub(crate) async fn select_products_with_rules<C: Backend>(
    conn: &mut C,
    ids: &[ProductId],
) -> Result<(Catalog, RuleBook), DbError> {
    if ids.is_empty() {
        return Ok((Catalog::default(), RuleBook::default()));
    }
    let mut sql = Builder::new(concatcp!(
        "SELECT ",
        P_PRODUCT_COLUMNS,
        ", r.min_quantity, r.discount_percentage \
         FROM inventory p FORCE INDEX (PRIMARY) \
         LEFT JOIN pricing_rules r FORCE INDEX (pricing_rules_by_product) \
         ON r.product_id = p.product_id \
         WHERE p.product_id IN "
    ));
    sql.push_in_list(ids.iter().map(|id| id.get()));
    sql.push(" ORDER BY p.product_id");
    let rows: Vec<ProductRuleRow> = sql.build().fetch_all(&mut *conn).await?;
    let mut rules = Vec::new();
    let mut products = Vec::new();
    let mut last = None;
    for row in rows {
        if let Some(rule) = row.rule() {
            rules.push(PricingRule::try_from(rule)?);
        }
        if last != Some(row.product_id()) {
            last = Some(row.product_id());
            products.push(Product::try_from(row.product)?);
        }
    }
    Ok((
        Catalog::from_products(products),
        RuleBook::from_rules(rules),
    ))
}

/// How a read inside a transaction sees rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// A plain (consistent) read.
    Plain,
    /// The latest committed rows, share-locked until the transaction ends
    /// (`LOCK IN SHARE MODE`): no one can change them meanwhile.
    Shared,
}

impl Read {
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Read::Plain => "",
            Read::Shared => " LOCK IN SHARE MODE",
        }
    }
}

/// Reads the pricing rules of products.
pub(crate) async fn select_rules<C: Backend>(
    conn: &mut C,
    ids: &[ProductId],
    read: Read,
) -> Result<RuleBook, DbError> {
    if ids.is_empty() {
        return Ok(RuleBook::default());
    }
    let mut sql = Builder::new(
        "SELECT product_id, min_quantity, discount_percentage \
         FROM pricing_rules FORCE INDEX (pricing_rules_by_product) WHERE product_id IN ",
    );
    sql.push_in_list(ids.iter().map(|id| id.get()));
    sql.push(read.suffix());
    let rows: Vec<RuleRow> = sql.build().fetch_all(conn).await?;
    let rules = rows
        .into_iter()
        .map(PricingRule::try_from)
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(RuleBook::from_rules(rules))
}

/// Reads the tax rate of one region and one customer in one plain
/// (consistent) statement: the rest of a checkout's snapshot at one round trip.
pub(crate) async fn select_tax_rate_and_customer<C: Backend>(
    conn: &mut C,
    region: &Region,
    customer: CustomerId,
) -> Result<(TaxTable, Option<Customer>), DbError> {
    const SQL: &str = concatcp!(
        "SELECT t.region, t.tax_rate, ",
        C_CUSTOMER_COLUMNS,
        " FROM (SELECT 1 AS one) AS one \
         LEFT JOIN tax_rates t ON t.region = ? \
         LEFT JOIN customers c ON c.customer_id = ?"
    );
    let row: crate::rows::RateAndCustomerRow = query(SQL)
        .bind(region.as_str())
        .bind(customer.get())
        .fetch_one(&mut *conn)
        .await?;
    // The column's collation also ignores accents (Caïro = Cairo): only the
    // same name, case aside, is this region.
    let rate = row
        .rate()
        .filter(|(stored, _)| stored.to_lowercase() == region.key());
    let customer = row.customer().map(Customer::try_from).transpose()?;
    Ok((tax_table(rate.into_iter().collect())?, customer))
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
pub(crate) async fn select_customer<C: Backend>(
    conn: &mut C,
    id: CustomerId,
    lock: bool,
) -> Result<Option<Customer>, DbError> {
    const SELECT: &str = concatcp!(
        "SELECT ",
        CUSTOMER_COLUMNS,
        " FROM customers WHERE customer_id = ?"
    );
    const LOCK: &str = concatcp!(SELECT, " FOR UPDATE");
    query(if lock { LOCK } else { SELECT })
        .bind(id.get())
        .fetch_optional::<_, CustomerRow>(conn)
        .await?
        .map(Customer::try_from)
        .transpose()
        .map_err(DbError::from)
}

/// `SELECT` of [`ORDER_COLUMNS`] `FROM orders WHERE `, for [`select_orders`].
pub(crate) const SELECT_ORDERS: &str = concatcp!("SELECT ", ORDER_COLUMNS, " FROM orders WHERE ");

/// Reads the orders `sql` selects (with one bound id; [`SELECT_ORDERS`]
/// followed by a condition) with everything that belongs to them.
pub(crate) async fn select_orders<C: Backend>(
    conn: &mut C,
    sql: &'static str,
    id: i64,
) -> Result<Vec<Order>, DbError> {
    let orders: Vec<OrderRow> = query(sql).bind(id).fetch_all(&mut *conn).await?;
    with_parts(conn, orders).await
}

/// The orders of `rows` with everything that belongs to them — items,
/// payments, shipments, releases, returns, refunds and the refunds' parts —
/// each read by one `IN`-list statement.
///
/// Plain reads: in a transaction that locked the order rows first (a cancel,
/// a payment, a shipment, a return), the first of them fixes the
/// transaction's snapshot, so they see every record committed by whoever
/// held those locks before.
async fn with_parts<C: Backend>(
    conn: &mut C,
    orders: Vec<OrderRow>,
) -> Result<Vec<Order>, DbError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = orders.iter().map(|order| order.order_id).collect();
    let parts = OrderParts {
        items: of_orders(
            conn,
            concatcp!(
                "SELECT ",
                ITEM_COLUMNS,
                " FROM order_items WHERE order_id IN "
            ),
            &ids,
            " ORDER BY item_id",
        )
        .await?,
        payments: of_orders(
            conn,
            concatcp!(
                "SELECT ",
                PAYMENT_COLUMNS,
                " FROM payments WHERE order_id IN "
            ),
            &ids,
            " ORDER BY payment_id",
        )
        .await?,
        fulfillments: of_orders(
            conn,
            concatcp!(
                "SELECT ",
                FULFILLMENT_LINE_COLUMNS,
                " FROM fulfillments f \
                 LEFT JOIN fulfillment_items i ON i.fulfillment_id = f.fulfillment_id \
                 WHERE f.order_id IN "
            ),
            &ids,
            " ORDER BY f.fulfillment_id, i.item_id",
        )
        .await?,
        releases: of_orders(
            conn,
            concatcp!(
                "SELECT ",
                RELEASE_LINE_COLUMNS,
                " FROM releases r LEFT JOIN release_items i ON i.release_id = r.release_id \
                 WHERE r.order_id IN "
            ),
            &ids,
            " ORDER BY r.release_id, i.item_id",
        )
        .await?,
        returns: of_orders(
            conn,
            concatcp!(
                "SELECT ",
                RETURN_LINE_COLUMNS,
                " FROM returns r LEFT JOIN return_items i ON i.return_id = r.return_id \
                 WHERE r.order_id IN "
            ),
            &ids,
            " ORDER BY r.return_id, i.item_id",
        )
        .await?,
        refunds: of_orders(
            conn,
            concatcp!(
                "SELECT ",
                REFUND_LINE_COLUMNS,
                " FROM refunds f LEFT JOIN refund_items i ON i.refund_id = f.refund_id \
                 WHERE f.order_id IN "
            ),
            &ids,
            " ORDER BY f.refund_id, i.item_id",
        )
        .await?,
        refund_parts: of_orders(
            conn,
            concatcp!(
                "SELECT ",
                REFUND_PART_COLUMNS,
                " FROM refund_parts p JOIN refunds f ON f.refund_id = p.refund_id \
                 WHERE f.order_id IN "
            ),
            &ids,
            " ORDER BY p.part_id",
        )
        .await?,
    };
    Ok(assemble_orders(orders, parts)?)
}

/// The rows `head` selects for the orders `ids`: `head` ends with `IN `,
/// followed by the list of ids and `tail` (the order).
async fn of_orders<C: Backend, R>(
    conn: &mut C,
    head: &'static str,
    ids: &[i64],
    tail: &'static str,
) -> Result<Vec<R>, DbError>
where
    R: crate::stmt::FromSqlRow,
{
    let mut sql = Builder::new(head);
    sql.push_in_list(ids.iter().copied());
    sql.push(tail);
    Ok(sql.build().fetch_all(&mut *conn).await?)
}

/// Reads one order with everything that belongs to it, optionally
/// locking the order row (only that row: see [`with_parts`]).
pub(crate) async fn select_order<C: Backend>(
    conn: &mut C,
    id: OrderId,
    lock: bool,
) -> Result<Option<Order>, DbError> {
    const SELECT: &str = concatcp!(SELECT_ORDERS, "order_id = ?");
    const LOCK: &str = concatcp!(SELECT, " FOR UPDATE");
    let sql = if lock { LOCK } else { SELECT };
    Ok(select_orders(conn, sql, id.get()).await?.pop())
}

/// `SELECT` of [`NOTIFICATION_COLUMNS`] `FROM notification_log WHERE `, for
/// [`select_notification`].
pub(crate) const SELECT_NOTIFICATIONS: &str = concatcp!(
    "SELECT ",
    NOTIFICATION_COLUMNS,
    " FROM notification_log WHERE "
);

/// Reads the one notification `sql` selects (with one bound id;
/// [`SELECT_NOTIFICATIONS`] followed by a condition).
pub(crate) async fn select_notification<C: Backend>(
    conn: &mut C,
    sql: &'static str,
    id: i64,
) -> Result<Option<Notification>, DbError> {
    query(sql)
        .bind(id)
        .fetch_optional::<_, NotificationRow>(conn)
        .await?
        .map(Notification::try_from)
        .transpose()
        .map_err(DbError::from)
}

#[async_trait]
impl<C: Backend> CatalogRepository for SqlStore<C> {
    async fn product(&self, id: ProductId) -> Result<Product, CatalogError> {
        let catalog = select_products(&mut *self.conn().await?, &[id], false).await?;
        catalog
            .get(id)
            .cloned()
            .ok_or(CatalogError::UnknownProduct(id))
    }

    async fn products(&self) -> Result<Vec<Product>, StorageError> {
        const SQL: &str = concatcp!(
            "SELECT ",
            PRODUCT_COLUMNS,
            " FROM inventory ORDER BY product_id"
        );
        query(SQL)
            .fetch_all::<_, ProductRow>(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?
            .into_iter()
            .map(Product::try_from)
            .collect()
    }

    async fn product_page(
        &self,
        after: Option<ProductId>,
        limit: PageLimit,
        include_retired: bool,
    ) -> Result<Page<Product, ProductId>, StorageError> {
        const ALL: &str = concatcp!(
            "SELECT ",
            PRODUCT_COLUMNS,
            " FROM inventory WHERE product_id > ? ORDER BY product_id LIMIT ?"
        );
        const LISTED: &str = concatcp!(
            "SELECT ",
            PRODUCT_COLUMNS,
            " FROM inventory WHERE product_id > ? AND NOT retired ORDER BY product_id LIMIT ?"
        );
        let sql = if include_retired { ALL } else { LISTED };
        let after = after.map_or(0, ProductId::get);
        ascending_page::<_, ProductRow, _, _>(
            &mut *self.conn().await?,
            sql,
            after,
            limit,
            |p: &Product| p.id,
        )
        .await
    }

    async fn catalog_snapshot(&self, ids: &[ProductId]) -> Result<Catalog, StorageError> {
        Ok(select_products(&mut *self.conn().await?, ids, false).await?)
    }

    async fn pricing_rules(&self, ids: &[ProductId]) -> Result<RuleBook, StorageError> {
        Ok(select_rules(&mut *self.conn().await?, ids, Read::Plain).await?)
    }

    async fn tax_rates(&self) -> Result<TaxTable, StorageError> {
        let rows = query("SELECT region, tax_rate FROM tax_rates")
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        tax_table(rows)
    }

    async fn adjust_stock(&self, id: ProductId, change: i64) -> Result<Product, CatalogError> {
        let reruns = &self.reruns();
        self.late_then_locked(|reads| async move {
            in_transaction!(self, reruns, |conn| async {
                let lock = reads == HotRows::Locked;
                let catalog = select_products(&mut *conn, &[id], lock).await?;
                let Some(product) = catalog.get(id) else {
                    return Ok(Err(NotDone::Refused(CatalogError::UnknownProduct(id))));
                };
                let adjustment = match plan_stock_adjustment(product, change, self.clock.now()) {
                    Ok(adjustment) => adjustment,
                    Err(refused) => return Ok(Err(NotDone::Refused(refused))),
                };
                match apply_adjustment(conn, &adjustment.plan, reads, &self.faults).await? {
                    Ok(()) => Ok(Ok(adjustment.product)),
                    Err(stale) => Ok(Err(stale.into())),
                }
            })
        })
        .await
    }
}

/// Applies a manual adjustment's plan, made from rows read as `reads` says.
///
/// From a snapshot the row is locked only by the movement's own guarded
/// `UPDATE` (a refusal read from the snapshot stands: it held when the
/// snapshot was taken); if another writer moved the row since, the attempt
/// is stale and the adjustment is decided again from the locked row.
async fn apply_adjustment<C: Backend>(
    conn: &mut C,
    plan: &Plan,
    reads: HotRows,
    faults: &Faults,
) -> Attempt<(), Shortfall> {
    match reads {
        HotRows::Snapshot => Ok(apply_adjustment_late(conn, plan, faults).await?.map(drop)),
        HotRows::Locked => apply_plan(conn, plan, faults).await.map(|_| Ok(())),
    }
}

#[async_trait]
impl<C: Backend> CustomerRepository for SqlStore<C> {
    async fn create_customer(&self, new: NewCustomer) -> Result<Customer, CustomerError> {
        let now = self.clock.now();
        let inserted = query(
            "INSERT INTO customers (name, email, phone, loyalty_points, created_at, password_hash) \
             VALUES (?, ?, ?, 0, ?, ?)",
        )
        .bind(new.name.as_str())
        .bind(new.email.as_str())
        .bind(new.phone.as_ref().map(|p| p.as_str()))
        .bind(utc(now))
        .bind(new.password_hash.as_ref().map(|h| h.as_str()))
        .execute(&mut *self.conn().await?)
        .await;
        let result = match inserted {
            Err(e) if is_duplicate_key(&e) => return Err(CustomerError::EmailTaken(new.email)),
            other => other.map_err(DbError::from)?,
        };
        let id = inserted_id(&result, "customers", CustomerId::new)?;
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
        select_customer(&mut *self.conn().await?, id, false)
            .await?
            .ok_or(CustomerError::UnknownCustomer(id))
    }

    async fn customer_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<CustomerCredentials>, StorageError> {
        const SQL: &str = concatcp!(
            "SELECT ",
            CUSTOMER_COLUMNS,
            " FROM customers WHERE email = ?"
        );
        let row: Option<CustomerRow> = query(SQL)
            .bind(email.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        let found = row
            .map(|row| {
                row.into_parts()
                    .map(|(customer, password_hash)| CustomerCredentials {
                        customer,
                        password_hash,
                    })
            })
            .transpose()?;
        // The column compares byte for byte (utf8mb4_bin, migration 0012);
        // a row another writer stored in another spelling is not this address.
        Ok(found.filter(|credentials| credentials.customer.email == *email))
    }

    async fn adjust_points(&self, id: CustomerId, change: i64) -> Result<Customer, CustomerError> {
        let reruns = &self.reruns();
        self.late_then_locked(|reads| async move {
            in_transaction!(self, reruns, |conn| async {
                let lock = reads == HotRows::Locked;
                let Some(customer) = select_customer(&mut *conn, id, lock).await? else {
                    return Ok(Err(NotDone::Refused(CustomerError::UnknownCustomer(id))));
                };
                let adjustment = match plan_points_adjustment(&customer, change, self.clock.now()) {
                    Ok(adjustment) => adjustment,
                    Err(refused) => return Ok(Err(NotDone::Refused(refused))),
                };
                match apply_adjustment(conn, &adjustment.plan, reads, &self.faults).await? {
                    Ok(()) => Ok(Ok(adjustment.customer)),
                    Err(stale) => Ok(Err(stale.into())),
                }
            })
        })
        .await
    }

    async fn update_profile(
        &self,
        id: CustomerId,
        update: &ProfileUpdate,
    ) -> Result<Customer, CustomerError> {
        in_transaction!(self, |conn| async {
            let Some(customer) = select_customer(&mut *conn, id, true).await? else {
                return Ok(Err(CustomerError::UnknownCustomer(id)));
            };
            // Who has the new email, locked (its index gap too), so that a
            // registration or another update of that email waits for this one.
            let owner = match &update.email {
                Some(email) => {
                    query("SELECT customer_id FROM customers WHERE email = ? FOR UPDATE")
                        .bind(email.as_str())
                        .scalar_optional(&mut *conn)
                        .await?
                }
                None => None,
            };
            let owner = owner
                .map(CustomerId::new)
                .transpose()
                .map_err(|e| invalid_row("customers", e))?;
            let change = match plan_profile_update(&customer, update, owner, self.clock.now()) {
                Ok(change) => change,
                Err(refused) => return Ok(Err(refused)),
            };
            apply_plan(conn, &change.plan, &self.faults).await?;
            Ok(Ok(change.customer))
        })
    }

    async fn customers(
        &self,
        after: Option<CustomerId>,
        limit: PageLimit,
    ) -> Result<Page<Customer, CustomerId>, StorageError> {
        const SQL: &str = concatcp!(
            "SELECT ",
            CUSTOMER_COLUMNS,
            " FROM customers WHERE customer_id > ? ORDER BY customer_id LIMIT ?"
        );
        let after = after.map_or(0, CustomerId::get);
        ascending_page::<_, CustomerRow, _, _>(
            &mut *self.conn().await?,
            SQL,
            after,
            limit,
            |c: &Customer| c.id,
        )
        .await
    }
}

#[async_trait]
impl<C: Backend> OrderRepository for SqlStore<C> {
    async fn order(&self, id: OrderId) -> Result<Order, LookupError> {
        let mut conn = self.pool.acquire().await.map_err(DbError::from)?;
        select_order(&mut *conn, id, false)
            .await?
            .ok_or(LookupError::OrderNotFound(id))
    }

    async fn orders_of_customer(&self, id: CustomerId) -> Result<Vec<Order>, LookupError> {
        let mut conn = self.pool.acquire().await.map_err(DbError::from)?;
        if select_customer(&mut *conn, id, false).await?.is_none() {
            return Err(LookupError::UnknownCustomer(id));
        }
        const SQL: &str = concatcp!(SELECT_ORDERS, "customer_id = ? ORDER BY order_id DESC");
        Ok(select_orders(&mut *conn, SQL, id.get()).await?)
    }

    async fn order_page(
        &self,
        filter: &OrderFilter,
        before: Option<OrderId>,
        limit: PageLimit,
    ) -> Result<Page<Order, OrderId>, StorageError> {
        let mut conn = self.pool.acquire().await.map_err(DbError::from)?;
        const SQL: &str = concatcp!(
            SELECT_ORDERS,
            "order_id < ? AND (? IS NULL OR customer_id = ?) AND (? IS NULL OR status = ?) \
             ORDER BY order_id DESC LIMIT ?"
        );
        let customer = filter.customer_id.map(CustomerId::get);
        let status = filter.status.map(|s| s.as_str());
        let rows: Vec<OrderRow> = query(SQL)
            .bind(before.map_or(i64::MAX, OrderId::get))
            .bind(customer)
            .bind(customer)
            .bind(status)
            .bind(status)
            .bind(limit.get() as u64 + 1)
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::from)?;
        let orders = with_parts(&mut *conn, rows).await?;
        Ok(Page::from_overfetch(orders, limit, |o| o.id))
    }
}

#[async_trait]
impl<C: Backend> NotificationRepository for SqlStore<C> {
    async fn log_notification(
        &self,
        order_id: OrderId,
        customer_id: CustomerId,
        kind: NotificationKind,
        message: String,
    ) -> Result<Notification, LookupError> {
        in_transaction!(self, |conn| async {
            let order: Option<(i64,)> = query("SELECT order_id FROM orders WHERE order_id = ?")
                .bind(order_id.get())
                .fetch_optional(&mut *conn)
                .await?;
            let found = NoticeTargets {
                order_exists: order.is_some(),
                customer_exists: select_customer(&mut *conn, customer_id, false)
                    .await?
                    .is_some(),
            };
            let now = self.clock.now();
            let plan = match plan_notice(order_id, customer_id, kind, message.clone(), found, now) {
                Ok(plan) => plan,
                Err(refused) => return Ok(Err(refused)),
            };
            let mut applied = apply_plan(conn, &plan, &self.faults).await?;
            let notice = applied
                .notices
                .pop()
                .ok_or_else(|| StorageError::Failure("a notice plan logged nothing".to_owned()))?;
            Ok(Ok(notice))
        })
    }

    async fn notifications(
        &self,
        filter: NotificationFilter,
    ) -> Result<Vec<Notification>, StorageError> {
        const SQL: &str = concatcp!(
            SELECT_NOTIFICATIONS,
            "(? IS NULL OR order_id = ?) AND (? IS NULL OR customer_id = ?) \
             ORDER BY notification_id DESC"
        );
        let order = filter.order_id.map(|id| id.get());
        let customer = filter.customer_id.map(|id| id.get());
        query(SQL)
            .bind(order)
            .bind(order)
            .bind(customer)
            .bind(customer)
            .fetch_all::<_, NotificationRow>(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?
            .into_iter()
            .map(Notification::try_from)
            .collect()
    }

    async fn notification_page(
        &self,
        filter: NotificationFilter,
        before: Option<NotificationId>,
        limit: PageLimit,
    ) -> Result<Page<Notification, NotificationId>, StorageError> {
        const SQL: &str = concatcp!(
            SELECT_NOTIFICATIONS,
            "notification_id < ? AND (? IS NULL OR order_id = ?) AND (? IS NULL OR customer_id = ?) \
             ORDER BY notification_id DESC LIMIT ?"
        );
        let order = filter.order_id.map(|id| id.get());
        let customer = filter.customer_id.map(|id| id.get());
        let rows: Vec<NotificationRow> = query(SQL)
            .bind(before.map_or(i64::MAX, NotificationId::get))
            .bind(order)
            .bind(order)
            .bind(customer)
            .bind(customer)
            .bind(limit.get() as u64 + 1)
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        notification_page(rows, limit)
    }
}

/// A newest-first page of notifications from up to `limit + 1` rows.
pub(crate) fn notification_page(
    rows: Vec<NotificationRow>,
    limit: PageLimit,
) -> Result<Page<Notification, NotificationId>, StorageError> {
    let items = rows
        .into_iter()
        .map(Notification::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |n| n.id))
}

#[async_trait]
impl<C: Backend> BooksRepository for SqlStore<C> {
    /// Read in one `REPEATABLE READ` transaction: one consistent snapshot.
    /// Log rows the original services wrote without an order or with a type
    /// of their own are not part of the books.
    async fn books(&self) -> Result<Books, StorageError> {
        let mut tx = self.pool.begin().await.map_err(DbError::from)?;
        let conn = &mut *tx;
        let stock: Vec<(i64, i64)> =
            query("SELECT product_id, quantity_available FROM inventory ORDER BY product_id")
                .fetch_all(&mut *conn)
                .await
                .map_err(DbError::from)?;
        let points: Vec<(i64, i64)> =
            query("SELECT customer_id, loyalty_points FROM customers ORDER BY customer_id")
                .fetch_all(&mut *conn)
                .await
                .map_err(DbError::from)?;
        const ORDERS: &str = concatcp!(SELECT_ORDERS, "order_id >= ? ORDER BY order_id");
        let orders = select_orders(conn, ORDERS, 0).await?;
        let mut sql = Builder::new(
            "SELECT order_id, notification_type FROM notification_log \
             WHERE order_id IS NOT NULL AND notification_type IN ",
        );
        sql.push_in_list(NotificationKind::ALL.map(NotificationKind::as_str));
        sql.push(" ORDER BY notification_id");
        let notices: Vec<(i64, String)> = sql
            .build()
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::from)?;
        const LEDGER: &str = concatcp!(
            "SELECT ",
            LEDGER_COLUMNS,
            " FROM ledger_entries ORDER BY entry_id"
        );
        let ledger: Vec<LedgerRow> = query(LEDGER)
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::from)?;
        const MONEY: &str = concatcp!(
            "SELECT ",
            MONEY_LEDGER_COLUMNS,
            " FROM payment_ledger ORDER BY entry_id"
        );
        let money: Vec<MoneyEntryRow> = query(MONEY)
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::from)?;
        tx.commit().await.map_err(DbError::from)?;

        let bad = |what: &str, detail: &dyn std::fmt::Display| invalid_row(what, detail);
        let mut books = Books {
            stock: stock
                .into_iter()
                .map(|(id, level)| {
                    Ok((
                        ProductId::new(id).map_err(|e| bad("inventory", &e))?,
                        u32::try_from(level).map_err(|e| bad("inventory", &e))?,
                    ))
                })
                .collect::<Result<_, StorageError>>()?,
            points: points
                .into_iter()
                .map(|(id, held)| {
                    Ok((CustomerId::new(id).map_err(|e| bad("customers", &e))?, held))
                })
                .collect::<Result<_, StorageError>>()?,
            orders,
            notices: notices
                .into_iter()
                .map(|(order, kind)| {
                    Ok((
                        OrderId::new(order).map_err(|e| bad("notification_log", &e))?,
                        NotificationKind::parse(&kind)
                            .ok_or_else(|| bad("notification_log", &kind))?,
                    ))
                })
                .collect::<Result<_, StorageError>>()?,
            money_ledger: money
                .into_iter()
                .map(shopcore::MoneyEntry::try_from)
                .collect::<Result<_, StorageError>>()?,
            ..Books::default()
        };
        for row in ledger {
            match LedgerEntry::try_from(row)? {
                LedgerEntry::Stock(entry) => books.stock_ledger.push(entry),
                LedgerEntry::Points(entry) => books.points_ledger.push(entry),
            }
        }
        Ok(books)
    }
}

#[async_trait]
impl<C: Backend> AccessRepository for SqlStore<C> {
    async fn session_owner(
        &self,
        token: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError> {
        let owner: Option<(i64,)> = query(
            "SELECT customer_id FROM sessions \
             WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(token.as_str())
        .bind(utc(now))
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(DbError::from)?;
        owner
            .map(|(id,)| CustomerId::new(id).map_err(|e| invalid_row("sessions", e)))
            .transpose()
    }

    async fn staff_key_by_hash(&self, key: &TokenHash) -> Result<Option<StaffKey>, StorageError> {
        const SQL: &str = concatcp!(SELECT_STAFF_KEYS, "key_hash = ? AND revoked_at IS NULL");
        self.staff_key_with_hash(SQL, key).await
    }

    async fn revoked_staff_key_by_hash(
        &self,
        key: &TokenHash,
    ) -> Result<Option<StaffKey>, StorageError> {
        const SQL: &str = concatcp!(SELECT_STAFF_KEYS, "key_hash = ? AND revoked_at IS NOT NULL");
        self.staff_key_with_hash(SQL, key).await
    }

    async fn staff_key(&self, id: StaffKeyId) -> Result<Option<StaffKey>, StorageError> {
        const SQL: &str = concatcp!(SELECT_STAFF_KEYS, "key_id = ?");
        query(SQL)
            .bind(id.get())
            .fetch_optional::<_, StaffKeyRow>(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?
            .map(StaffKey::try_from)
            .transpose()
    }

    async fn staff_keys(&self) -> Result<Vec<StaffKey>, StorageError> {
        const SQL: &str = concatcp!(
            "SELECT ",
            STAFF_KEY_COLUMNS,
            " FROM staff_keys ORDER BY key_id"
        );
        query(SQL)
            .fetch_all::<_, StaffKeyRow>(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?
            .into_iter()
            .map(StaffKey::try_from)
            .collect()
    }

    async fn apply_access_plan(&self, plan: &Plan) -> Result<Option<StaffKeyId>, StorageError> {
        let applied: Result<_, StorageError> = in_transaction!(self, |conn| async {
            Ok(Ok(apply_plan(conn, plan, &self.faults).await?.staff_key_id))
        });
        applied
    }
}

impl<C: Backend> shopcore::Instrumented for SqlStore<C> {
    fn metrics(&self) -> shopcore::MetricsSnapshot {
        shopcore::MetricsSnapshot {
            pool: Some(self.pool_usage()),
            ..self.metrics.snapshot()
        }
    }
}

#[async_trait]
impl<C: Backend> shopcore::Readiness for SqlStore<C> {
    /// One trivial query — the newest applied migration — within `timeout`.
    async fn ready(&self, timeout: std::time::Duration) -> Result<(), StorageError> {
        let probe = async {
            let applied: Option<i64> =
                query("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                    .scalar_one(&mut *self.conn().await?)
                    .await
                    .map_err(DbError::from)
                    .map_err(|e| {
                        if crate::error::is_missing_table(&e) {
                            StorageError::Failure(
                        "the database is not migrated (it has no shopcore schema): run migrate"
                            .to_owned(),
                    )
                        } else {
                            e.into()
                        }
                    })?;
            let expected = C::migrator().iter().map(|m| m.version).max();
            if applied < expected {
                return Err(StorageError::Failure(format!(
                    "the schema is at migration {applied:?}, this build needs {expected:?}: run migrate"
                )));
            }
            Ok(())
        };
        tokio::time::timeout(timeout, probe).await.map_err(|_| {
            StorageError::Unavailable(format!("the database did not answer within {timeout:?}"))
        })?
    }
}

/// `SELECT` of the staff key columns `FROM staff_keys WHERE `.
const SELECT_STAFF_KEYS: &str = concatcp!("SELECT ", STAFF_KEY_COLUMNS, " FROM staff_keys WHERE ");

impl<C: Backend> SqlStore<C> {
    /// The staff key `sql` selects ([`SELECT_STAFF_KEYS`] and a condition on
    /// `key_hash = ?` and `revoked_at`) for the secret that hashes to `key`.
    async fn staff_key_with_hash(
        &self,
        sql: &'static str,
        key: &TokenHash,
    ) -> Result<Option<StaffKey>, StorageError> {
        query(sql)
            .bind(key.as_str())
            .fetch_optional::<_, StaffKeyRow>(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?
            .map(StaffKey::try_from)
            .transpose()
    }
}
