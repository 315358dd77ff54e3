//! Checkout and cancel as single transactions, with bounded retry.
//!
//! Lock order, the same everywhere, so transactions queue instead of deadlocking:
//! `idempotency_keys` row (claimed by insert) → `orders` row (cancel only) → `inventory` rows in
//! product-id order → `customers` row (a checkout reads the customer, rules and
//! tax rate without locks before locking the products, and locks the customer
//! only by its relative points update). Every write of a plan happens after
//! planning and before `COMMIT`; any error rolls the transaction back.
//!
//! Fault injection (feature `fault-injection`, for tests) makes the adapter
//! fail right after a chosen [`WriteStep`], to prove that a failure at any
//! point leaves no trace.

use std::time::Duration;

use async_trait::async_trait;
use shopcore::{
    plan_cancel, plan_checkout, CancelError, CancelSnapshot, CancelledOrder, CheckoutError,
    CheckoutPlan, CheckoutRequest, CheckoutSnapshot, IdempotencyKey, NotificationKind, OrderId,
    OrderStatus, OrderWorkflow, PlacedOrder, RequestFingerprint, ShopConfig, StorageError,
    MAX_POINTS,
};
use sqlx::MySqlConnection;

use crate::error::{is_duplicate_key, is_retryable, storage_error};
use crate::repositories::{
    insert_notification, select_customer, select_notification, select_order, select_products,
    select_rules, select_tax_rate,
};
use crate::rows::placeholders;
use crate::MySqlStore;

/// The write steps of checkout and cancel, in the order they happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteStep {
    /// Checkout: the idempotency key was claimed (only with a key).
    KeyClaimed,
    /// Checkout: the cart's stock was decremented.
    StockTaken,
    /// Checkout: the `orders` row was inserted.
    OrderInserted,
    /// Checkout: the `order_items` rows were inserted.
    ItemsInserted,
    /// Checkout: the customer's points were raised.
    PointsAwarded,
    /// Checkout: the confirmation was logged.
    ConfirmationLogged,
    /// Checkout: the idempotency key was pointed at the new order (only with a key).
    KeyStored,
    /// Cancel: the order's status was set to `cancelled`.
    OrderCancelled,
    /// Cancel: the stock was returned.
    StockReturned,
    /// Cancel: the points were revoked.
    PointsRevoked,
    /// Cancel: the cancellation notice was logged.
    NoticeLogged,
}

impl WriteStep {
    /// The checkout steps, in order.
    pub const CHECKOUT: [WriteStep; 7] = [
        WriteStep::KeyClaimed,
        WriteStep::StockTaken,
        WriteStep::OrderInserted,
        WriteStep::ItemsInserted,
        WriteStep::PointsAwarded,
        WriteStep::ConfirmationLogged,
        WriteStep::KeyStored,
    ];
    /// The cancel steps, in order.
    pub const CANCEL: [WriteStep; 4] = [
        WriteStep::OrderCancelled,
        WriteStep::StockReturned,
        WriteStep::PointsRevoked,
        WriteStep::NoticeLogged,
    ];
}

/// The fault to inject, if any (always `None` without the `fault-injection` feature).
#[derive(Debug, Default)]
pub(crate) struct Faults {
    #[cfg(feature = "fault-injection")]
    after: std::sync::Mutex<Option<WriteStep>>,
}

impl Faults {
    fn check(&self, _step: WriteStep) -> Result<(), Failure> {
        #[cfg(feature = "fault-injection")]
        if self
            .after
            .lock()
            .map(|s| *s == Some(_step))
            .unwrap_or(false)
        {
            return Err(Failure::Injected(_step));
        }
        Ok(())
    }
}

#[cfg(feature = "fault-injection")]
impl MySqlStore {
    /// Makes every following checkout or cancel fail right after `step`
    /// (`None` to stop). Test-only: needs the `fault-injection` feature.
    pub fn inject_fault_after(&self, step: Option<WriteStep>) {
        if let Ok(mut after) = self.faults.after.lock() {
            *after = step;
        }
    }
}

/// Why one attempt of a transaction failed.
enum Failure {
    /// The server refused a statement; maybe retryable.
    Sql(sqlx::Error),
    /// A storage-level failure that retrying will not fix.
    Storage(StorageError),
    /// A fault injected by a test.
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    Injected(WriteStep),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Sql(error)
    }
}

impl From<StorageError> for Failure {
    fn from(error: StorageError) -> Self {
        Failure::Storage(error)
    }
}

impl Failure {
    fn into_storage(self) -> StorageError {
        match self {
            Failure::Sql(e) => storage_error(e),
            Failure::Storage(e) => e,
            Failure::Injected(step) => {
                StorageError::Failure(format!("injected fault after {step:?}"))
            }
        }
    }
}

/// An attempt's outcome: done, refused by a domain rule, or failed in storage.
type Attempt<T, E> = Result<Result<T, E>, Failure>;

/// Runs `$attempt` (an expression using the connection `$conn`) in a fresh
/// transaction, committing on success and rolling back otherwise, and reruns it
/// after a deadlock or a lock-wait timeout, at most `max_retries` times. A macro rather than a generic function because the
/// futures must stay `Send` for `async_trait`, which higher-ranked async
/// closures cannot yet promise.
macro_rules! in_transaction {
    ($store:expr, |$conn:ident| $attempt:expr) => {{
        let store: &MySqlStore = $store;
        let mut retries: u32 = 0;
        loop {
            let outcome: Result<_, Failure> = async {
                let mut tx = store.pool.begin().await?;
                let $conn: &mut MySqlConnection = &mut tx;
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
                Err(Failure::Sql(e)) if is_retryable(&e) && retries < store.max_retries => {
                    retries += 1;
                    tokio::time::sleep(backoff(retries)).await;
                }
                Err(failure) => break Err(failure.into_storage().into()),
            }
        }
    }};
}

/// A short, growing, jittered pause before rerunning a transaction.
fn backoff(retry: u32) -> Duration {
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_micros() % 1000)
            .unwrap_or(0),
    );
    Duration::from_micros(u64::from(retry) * 2_000 + jitter)
}

impl MySqlStore {
    /// Claims `key` for this transaction, or returns what an earlier checkout
    /// under it gives: its order (same request) or `idempotency_conflict`.
    ///
    /// The claim is a plain `INSERT`: a concurrent holder of the key makes it
    /// wait until that transaction ends, then it fails as a duplicate (the
    /// holder committed: replay) or succeeds (the holder rolled back). Unlike a
    /// `SELECT … FOR UPDATE` of a missing row, it takes no gap locks, so
    /// concurrent first uses of a key queue instead of deadlocking.
    async fn claim_key(
        &self,
        conn: &mut MySqlConnection,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Attempt<Option<PlacedOrder>, CheckoutError> {
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (idempotency_key, fingerprint, order_id, created_at) \
             VALUES (?, ?, 0, ?)",
        )
        .bind(key.as_str())
        .bind(fingerprint.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await;
        match claimed {
            Ok(_) => {
                self.faults.check(WriteStep::KeyClaimed)?;
                return Ok(Ok(None));
            }
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let (stored_fingerprint, order_id): (String, i64) = sqlx::query_as(
            "SELECT fingerprint, order_id FROM idempotency_keys WHERE idempotency_key = ? LOCK IN SHARE MODE",
        )
        .bind(key.as_str())
        .fetch_one(&mut *conn)
        .await?;
        if stored_fingerprint != fingerprint.as_str() {
            return Ok(Err(CheckoutError::IdempotencyConflict {
                key: key.as_str().to_owned(),
            }));
        }
        let id = OrderId::new(order_id)
            .map_err(|e| StorageError::Failure(format!("idempotency_keys: {e}")))?;
        let order = select_order(conn, id, false).await?.ok_or_else(|| {
            StorageError::Failure(format!("idempotency key names missing order {id}"))
        })?;
        let confirmation = select_notification(
            &mut *conn,
            "order_id = ? AND notification_type = 'order_confirmation' ORDER BY notification_id LIMIT 1",
            order_id,
        )
        .await?
        .ok_or_else(|| StorageError::Failure(format!("order {id} has no confirmation")))?;
        Ok(Ok(Some(PlacedOrder {
            order,
            confirmation,
            replayed: true,
        })))
    }

    /// One checkout attempt inside an open transaction.
    async fn checkout_in(
        &self,
        conn: &mut MySqlConnection,
        request: &CheckoutRequest,
        key: Option<&IdempotencyKey>,
    ) -> Attempt<PlacedOrder, CheckoutError> {
        let now = self.clock.now();
        if let Some(key) = key {
            match self
                .claim_key(conn, key, &request.fingerprint(), now)
                .await?
            {
                Ok(Some(placed)) => return Ok(Ok(placed)),
                Ok(None) => {}
                Err(conflict) => return Ok(Err(conflict)),
            }
        }
        // Plain reads first, so the product rows below stay locked for as few
        // round trips as possible. The customer row is not locked: the points
        // are added relative to the stored value at the end.
        let ids = request.cart.product_ids_sorted();
        let customer = select_customer(&mut *conn, request.customer_id, false).await?;
        let rules = select_rules(&mut *conn, &ids).await?;
        let region = request
            .region
            .as_ref()
            .unwrap_or(&self.config.default_region);
        let tax_rates = select_tax_rate(&mut *conn, region).await?;
        let catalog = select_products(&mut *conn, &ids, true).await?;
        let snapshot = CheckoutSnapshot {
            customer: customer.as_ref(),
            catalog: &catalog,
            rules: &rules,
            tax_rates: &tax_rates,
        };
        let plan = match plan_checkout(request, &snapshot, &self.config, now) {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        self.apply_checkout(conn, &plan, key).await.map(Ok)
    }

    /// Writes a checkout plan.
    async fn apply_checkout(
        &self,
        conn: &mut MySqlConnection,
        plan: &CheckoutPlan,
        key: Option<&IdempotencyKey>,
    ) -> Result<PlacedOrder, Failure> {
        // Stock: one statement for all lines. Relative to the locked value, so
        // the CHECK constraint guards it even against foreign writers.
        let decrements: Vec<(i64, u32)> = plan
            .stock_decrements()
            .map(|(id, units, _)| (id.get(), units))
            .collect();
        let sql = format!(
            "UPDATE inventory SET quantity_available = quantity_available - CASE product_id {} END, \
             last_updated = ? WHERE product_id IN ({})",
            "WHEN ? THEN ? ".repeat(decrements.len()),
            placeholders(decrements.len())
        );
        let mut query = sqlx::query(&sql);
        for (id, units) in &decrements {
            query = query.bind(id).bind(units);
        }
        query = query.bind(plan.placed_at);
        for (id, _) in &decrements {
            query = query.bind(id);
        }
        query.execute(&mut *conn).await?;
        self.faults.check(WriteStep::StockTaken)?;

        let inserted = sqlx::query(
            "INSERT INTO orders (customer_id, total_amount, status, created_at, subtotal, tax, region, points_earned) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(plan.customer_id.get())
        .bind(plan.quote.total.amount())
        .bind(OrderStatus::Created.as_str())
        .bind(plan.placed_at)
        .bind(plan.quote.subtotal.amount())
        .bind(plan.quote.tax.amount())
        .bind(plan.region.as_str())
        .bind(plan.points_earned)
        .execute(&mut *conn)
        .await?;
        let order_id = i64::try_from(inserted.last_insert_id())
            .ok()
            .and_then(|id| OrderId::new(id).ok())
            .ok_or_else(|| StorageError::Failure("orders returned no id".to_owned()))?;
        self.faults.check(WriteStep::OrderInserted)?;

        let sql = format!(
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount, line_total) VALUES {}",
            vec!["(?, ?, ?, ?, ?, ?)"; plan.items.len()].join(", ")
        );
        let mut query = sqlx::query(&sql);
        for planned in &plan.items {
            let item = &planned.item;
            query = query
                .bind(order_id.get())
                .bind(item.product_id.get())
                .bind(item.quantity.get())
                .bind(item.unit_price.amount())
                .bind(item.discount.amount())
                .bind(item.line_total.amount());
        }
        query.execute(&mut *conn).await?;
        self.faults.check(WriteStep::ItemsInserted)?;

        // Relative to the stored value (the row was not locked for the plan),
        // saturating as the core's loyalty rule does.
        sqlx::query(
            "UPDATE customers SET loyalty_points = LEAST(loyalty_points + ?, ?) WHERE customer_id = ?",
        )
        .bind(plan.points_earned)
        .bind(MAX_POINTS)
        .bind(plan.customer_id.get())
        .execute(&mut *conn)
        .await?;
        self.faults.check(WriteStep::PointsAwarded)?;

        let confirmation = insert_notification(
            conn,
            order_id,
            plan.customer_id,
            NotificationKind::OrderConfirmation,
            &plan.confirmation_message(order_id),
            plan.placed_at,
        )
        .await?;
        self.faults.check(WriteStep::ConfirmationLogged)?;

        if let Some(key) = key {
            sqlx::query("UPDATE idempotency_keys SET order_id = ? WHERE idempotency_key = ?")
                .bind(order_id.get())
                .bind(key.as_str())
                .execute(&mut *conn)
                .await?;
            self.faults.check(WriteStep::KeyStored)?;
        }
        Ok(PlacedOrder {
            order: plan.order(order_id),
            confirmation,
            replayed: false,
        })
    }

    /// One cancel attempt inside an open transaction.
    async fn cancel_in(
        &self,
        conn: &mut MySqlConnection,
        order_id: OrderId,
    ) -> Attempt<CancelledOrder, CancelError> {
        let now = self.clock.now();
        let Some(order) = select_order(conn, order_id, true).await? else {
            return Ok(Err(CancelError::OrderNotFound(order_id)));
        };
        let mut ids: Vec<_> = order.items.iter().map(|i| i.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let catalog = select_products(&mut *conn, &ids, true).await?;
        let customer = select_customer(&mut *conn, order.customer_id, true).await?;
        let snapshot = CancelSnapshot {
            order: &order,
            customer: customer.as_ref(),
            catalog: &catalog,
        };
        let plan = match plan_cancel(&snapshot, now) {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };

        sqlx::query("UPDATE orders SET status = ?, points_revoked = ? WHERE order_id = ?")
            .bind(OrderStatus::Cancelled.as_str())
            .bind(plan.points_revoked)
            .bind(order_id.get())
            .execute(&mut *conn)
            .await?;
        self.faults.check(WriteStep::OrderCancelled)?;

        for &(product_id, units, _) in &plan.restock {
            sqlx::query(
                "UPDATE inventory SET quantity_available = quantity_available + ?, last_updated = ? \
                 WHERE product_id = ?",
            )
            .bind(units)
            .bind(now)
            .bind(product_id.get())
            .execute(&mut *conn)
            .await?;
        }
        self.faults.check(WriteStep::StockReturned)?;

        sqlx::query("UPDATE customers SET loyalty_points = ? WHERE customer_id = ?")
            .bind(plan.points_after)
            .bind(plan.customer_id.get())
            .execute(&mut *conn)
            .await?;
        self.faults.check(WriteStep::PointsRevoked)?;

        let notice = insert_notification(
            conn,
            order_id,
            plan.customer_id,
            NotificationKind::OrderCancellation,
            &plan.message,
            now,
        )
        .await?;
        self.faults.check(WriteStep::NoticeLogged)?;

        let mut order = order;
        order.status = OrderStatus::Cancelled;
        Ok(Ok(CancelledOrder {
            order,
            notice,
            points_revoked: plan.points_revoked,
        }))
    }
}

#[async_trait]
impl OrderWorkflow for MySqlStore {
    fn config(&self) -> &ShopConfig {
        &self.config
    }

    async fn checkout(
        &self,
        request: &CheckoutRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<PlacedOrder, CheckoutError> {
        in_transaction!(self, |conn| self.checkout_in(
            conn,
            request,
            idempotency_key
        ))
    }

    async fn cancel(&self, order_id: OrderId) -> Result<CancelledOrder, CancelError> {
        in_transaction!(self, |conn| self.cancel_in(conn, order_id))
    }
}
