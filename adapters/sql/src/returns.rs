//! Partial cancels, returns and refunds: each locks its order, plans with
//! the core and applies the plan, in one transaction.
//!
//! Every call runs in the adapter's transaction-and-retry machinery
//! (`in_transaction!`), as payments and shipments do (see `settlement`). An
//! attempt:
//!
//! 1. locks the order row (`SELECT … FROM orders WHERE order_id = ? FOR
//!    UPDATE`) — its first read of any table, so the plain reads of the
//!    order's items, payments, shipments, releases, returns and refunds
//!    after it see every record committed by whoever held the lock before:
//!    two returns, a return and a shipment, a partial cancel and a
//!    shipment, or two refunds of one order are decided one after the
//!    other. A receipt or a rejection finds its return's order first, by a
//!    plain read outside the transaction (a return never changes order);
//! 2. reads the order's products, then its customer — locked (`FOR
//!    UPDATE`, in the lock order every locking write uses: the `orders` row,
//!    the `inventory` rows in product-id order, the `customers` row) when
//!    the step may move stock or points (a partial cancel, a staff return, a
//!    receipt), plainly otherwise (a customer's request, a rejection, a
//!    goodwill refund);
//! 3. plans ([`plan_partial_cancel`], [`plan_return`],
//!    [`plan_receive_return`], [`plan_reject_return`], [`plan_refund`]) with
//!    the store's loyalty policy; a refusal rolls back and is answered as it is;
//! 4. applies the plan with the one `apply` (every release, return and
//!    refund it writes also bumps the order's `settlement_version`: on
//!    Galera, where the lock of step 1 is local to one node, that write makes
//!    two nodes changing one order conflict), reads the order back, and commits.

use async_trait::async_trait;
use const_format::concatcp;
use shopcore::{
    plan_partial_cancel, plan_receive_return, plan_refund, plan_reject_return, plan_return,
    CancelError, CancelSnapshot, CancelledOrder, Catalog, Customer, Effect, LineQuantity, Order,
    OrderId, OrderReturns, Page, PageLimit, RefundRequest, Return, ReturnError, ReturnId,
    ReturnOutcome, ReturnPlan, ReturnRequest, ReturnRequester, ReturnSnapshot, ReturnStatus,
    StorageError,
};

use crate::apply::apply_plan;
use crate::backend::Backend;
use crate::error::DbError;
use crate::repositories::{select_customer, select_order, select_products};
use crate::rows::{assemble_records, ReturnLineRow, RETURN_LINE_COLUMNS};
use crate::settlement::stored_order;
use crate::stmt::query;
use crate::transaction::Attempt;
use crate::workflow::cancel_outcome;
use crate::SqlStore;

/// An order read under its lock, with its customer and products.
struct Locked {
    order: Order,
    customer: Option<Customer>,
    catalog: Catalog,
}

impl Locked {
    fn snapshot(&self) -> CancelSnapshot<'_> {
        CancelSnapshot {
            order: &self.order,
            customer: self.customer.as_ref(),
            catalog: &self.catalog,
        }
    }
}

/// Locks the order `order_id` and reads it with everything that belongs to
/// it, then its products and its customer — locked too when `hot` (the
/// step may move their stock and points). `None` if there is no such order.
async fn lock_order<C: Backend>(
    conn: &mut C,
    order_id: OrderId,
    hot: bool,
) -> Result<Option<Locked>, DbError> {
    let Some(order) = select_order(conn, order_id, true).await? else {
        return Ok(None);
    };
    let mut ids: Vec<_> = order.items.iter().map(|i| i.product_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let catalog = select_products(&mut *conn, &ids, hot).await?;
    let customer = select_customer(&mut *conn, order.customer_id, hot).await?;
    Ok(Some(Locked {
        order,
        customer,
        catalog,
    }))
}

impl<C: Backend> SqlStore<C> {
    /// One attempt of a partial cancel inside an open transaction.
    async fn cancel_units_in(
        &self,
        conn: &mut C,
        order_id: OrderId,
        lines: &[LineQuantity],
    ) -> Attempt<CancelledOrder, CancelError> {
        let Some(locked) = lock_order(conn, order_id, true).await? else {
            return Ok(Err(CancelError::OrderNotFound(order_id)));
        };
        let now = self.clock.now();
        let plan = match plan_partial_cancel(&locked.snapshot(), lines, self.config.loyalty, now) {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        let applied = apply_plan(conn, plan.plan(), &self.faults).await?;
        let order = stored_order(conn, order_id).await?;
        Ok(Ok(cancel_outcome(order, &plan, applied)?))
    }

    /// One attempt of a return, receipt, rejection or refund of the order
    /// `order_id` inside an open transaction: lock (the products and the
    /// customer too when `hot`), read, plan with `decide`, apply, read back.
    async fn return_step_in<D>(
        &self,
        conn: &mut C,
        order_id: OrderId,
        hot: bool,
        decide: &D,
    ) -> Attempt<ReturnOutcome, ReturnError>
    where
        D: Fn(&ReturnSnapshot<'_>) -> Result<ReturnPlan, ReturnError> + Sync,
    {
        let Some(locked) = lock_order(conn, order_id, hot).await? else {
            return Ok(Err(ReturnError::OrderNotFound(order_id)));
        };
        let plan = match decide(&locked.snapshot()) {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        if let Some(replay) = plan.replayed {
            // The key named an earlier request: answer it, write nothing.
            return Ok(Ok(ReturnOutcome::replay(locked.order, replay)));
        }
        let changed = plan
            .plan()
            .effects()
            .iter()
            .find_map(|effect| match effect {
                Effect::ReturnChanged { return_id, .. } => Some(*return_id),
                _ => None,
            });
        let applied = apply_plan(conn, plan.plan(), &self.faults).await?;
        let order = stored_order(conn, order_id).await?;
        let returned = applied
            .return_id
            .or(changed)
            .map(|id| {
                order
                    .returns
                    .iter()
                    .find(|r| r.id == id)
                    .cloned()
                    .ok_or_else(|| StorageError::Failure(format!("return {id} was not stored")))
            })
            .transpose()?;
        let refund = applied
            .refund_id
            .map(|id| {
                order
                    .refunds
                    .iter()
                    .find(|r| r.id == id)
                    .cloned()
                    .ok_or_else(|| StorageError::Failure(format!("refund {id} was not stored")))
            })
            .transpose()?;
        Ok(Ok(ReturnOutcome {
            order,
            returned,
            refund,
            notices: applied.notices,
            replayed: false,
        }))
    }

    /// Runs [`return_step_in`](Self::return_step_in) in a transaction, rerun
    /// after a lost lock race.
    async fn return_step<D>(
        &self,
        order_id: OrderId,
        hot: bool,
        decide: D,
    ) -> Result<ReturnOutcome, ReturnError>
    where
        D: Fn(&ReturnSnapshot<'_>) -> Result<ReturnPlan, ReturnError> + Sync,
    {
        let decide = &decide;
        in_transaction!(self, |conn| self
            .return_step_in(conn, order_id, hot, decide))
    }

    /// The order of the return `id`: a plain read, before any transaction
    /// (a read inside one, before the order's lock, would fix its snapshot
    /// too early).
    async fn order_of_return(&self, id: ReturnId) -> Result<OrderId, ReturnError> {
        let order: Option<i64> = query("SELECT order_id FROM returns WHERE return_id = ?")
            .bind(id.get())
            .scalar_optional(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        let order = order.ok_or(ReturnError::UnknownReturn(id))?;
        Ok(OrderId::new(order)
            .map_err(|e| crate::error::invalid_row("returns", format!("return {id}: {e}")))?)
    }
}

#[async_trait]
impl<C: Backend> OrderReturns for SqlStore<C> {
    async fn cancel_units(
        &self,
        order_id: OrderId,
        lines: &[LineQuantity],
    ) -> Result<CancelledOrder, CancelError> {
        in_transaction!(self, |conn| self.cancel_units_in(conn, order_id, lines))
    }

    async fn create_return(
        &self,
        order_id: OrderId,
        request: &ReturnRequest,
        by: ReturnRequester,
    ) -> Result<ReturnOutcome, ReturnError> {
        // Only staff receive at once: a customer's request moves nothing.
        let hot = by == ReturnRequester::Staff;
        self.return_step(order_id, hot, |snapshot| {
            plan_return(snapshot, request, by, self.config.loyalty, self.clock.now())
        })
        .await
    }

    async fn receive_return(
        &self,
        return_id: ReturnId,
        restock: Option<bool>,
    ) -> Result<ReturnOutcome, ReturnError> {
        let order_id = self.order_of_return(return_id).await?;
        self.return_step(order_id, true, |snapshot| {
            plan_receive_return(
                snapshot,
                return_id,
                restock,
                self.config.loyalty,
                self.clock.now(),
            )
        })
        .await
    }

    async fn reject_return(&self, return_id: ReturnId) -> Result<ReturnOutcome, ReturnError> {
        let order_id = self.order_of_return(return_id).await?;
        self.return_step(order_id, false, |snapshot| {
            plan_reject_return(snapshot, return_id, self.clock.now())
        })
        .await
    }

    async fn refund(
        &self,
        order_id: OrderId,
        request: &RefundRequest,
    ) -> Result<ReturnOutcome, ReturnError> {
        self.return_step(order_id, false, |snapshot| {
            plan_refund(snapshot, request, self.clock.now())
        })
        .await
    }

    async fn returns(&self, status: Option<ReturnStatus>) -> Result<Vec<Return>, StorageError> {
        self.returns_after(status, None, None).await
    }

    async fn return_page(
        &self,
        status: Option<ReturnStatus>,
        after: Option<ReturnId>,
        limit: PageLimit,
    ) -> Result<Page<Return, ReturnId>, StorageError> {
        // One more than the page, to know whether another follows.
        let extra = u32::try_from(limit.get() + 1).unwrap_or(u32::MAX);
        let found = self.returns_after(status, after, Some(extra)).await?;
        Ok(Page::from_overfetch(found, limit, |r| r.id))
    }
}

impl<C: Backend> SqlStore<C> {
    /// Returns by id after `after`, at most `limit` of them, only those in
    /// `status` if given, each with its lines.
    async fn returns_after(
        &self,
        status: Option<ReturnStatus>,
        after: Option<ReturnId>,
        limit: Option<u32>,
    ) -> Result<Vec<Return>, StorageError> {
        // The page is cut on returns, not on their joined lines.
        const SQL: &str = concatcp!(
            "SELECT ",
            RETURN_LINE_COLUMNS,
            " FROM (SELECT * FROM returns WHERE (? IS NULL OR status = ?) AND return_id > ? \
             ORDER BY return_id LIMIT ?) r \
             LEFT JOIN return_items i ON i.return_id = r.return_id \
             ORDER BY r.return_id, i.item_id"
        );
        let status = status.map(ReturnStatus::as_str);
        let rows: Vec<ReturnLineRow> = query(SQL)
            .bind(status)
            .bind(status)
            .bind(after.map_or(0, ReturnId::get))
            .bind(limit.map_or(u64::MAX, u64::from))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        Ok(assemble_records(rows)?
            .into_iter()
            .map(|(_, found)| found)
            .collect())
    }
}
