//! Payments and shipments: each locks the order, plans with the core and
//! applies the plan, in one transaction.
//!
//! Every call runs in the adapter's transaction-and-retry machinery
//! (`in_transaction!`: a deadlock, lock-wait timeout or Galera certification
//! conflict reruns it, counted in the store's metrics). An attempt:
//!
//! 1. locks the order row (`SELECT … FROM orders WHERE order_id = ? FOR
//!    UPDATE`) — its first read of any table, so the plain reads after it
//!    (the order's items, payments and shipments) come from a snapshot taken
//!    once the lock is held: they include every payment and shipment
//!    committed by whoever held the lock before. Two payments, two shipments,
//!    or a payment, a shipment and a cancel of one order queue on that lock;
//! 2. reads the customer (for the notices) and, for a shipment, the order's
//!    products (for their names), without locks;
//! 3. plans ([`plan_payment`], [`plan_capture`], [`plan_void`],
//!    [`plan_fulfillment`]); a refusal rolls back and is answered as it is,
//!    and a replayed payment reference answers the first payment, writing nothing;
//! 4. applies the plan with the one `apply` (which also bumps the order's
//!    `settlement_version`: on Galera, where the lock of step 1 is local to
//!    one node, that write is what makes two nodes settling one order
//!    conflict), reads the order back, and commits.

use async_trait::async_trait;
use shopcore::{
    plan_capture, plan_fulfillment, plan_payment, plan_void, FulfilledOrder, FulfillmentError,
    FulfillmentRequest, FulfillmentSnapshot, Money, Order, OrderId, OrderSettlement,
    PaymentDecision, PaymentError, PaymentId, PaymentOutcome, PaymentRequest, SettlementSnapshot,
    StorageError,
};

use crate::apply::apply_plan;
use crate::backend::Backend;
use crate::error::DbError;
use crate::repositories::{select_customer, select_order, select_products};

use crate::transaction::Attempt;
use crate::SqlStore;

/// The order `id` as this transaction left it.
pub(crate) async fn stored_order<C: Backend>(conn: &mut C, id: OrderId) -> Result<Order, DbError> {
    select_order(conn, id, false)
        .await?
        .ok_or_else(|| StorageError::Failure(format!("order {id} vanished under its lock")).into())
}

impl<C: Backend> SqlStore<C> {
    /// One attempt of a payment, capture or void of the order `order_id`
    /// inside an open transaction: lock, read, plan with `decide`, apply.
    async fn settle_in<D>(
        &self,
        conn: &mut C,
        order_id: OrderId,
        decide: &D,
    ) -> Attempt<PaymentOutcome, PaymentError>
    where
        D: Fn(&SettlementSnapshot<'_>) -> Result<PaymentDecision, PaymentError> + Sync,
    {
        let Some(order) = select_order(conn, order_id, true).await? else {
            return Ok(Err(PaymentError::OrderNotFound(order_id)));
        };
        let customer = select_customer(&mut *conn, order.customer_id, false).await?;
        let snapshot = SettlementSnapshot {
            order: &order,
            customer: customer.as_ref(),
        };
        let plan = match decide(&snapshot) {
            Ok(PaymentDecision::Record(plan)) => plan,
            Ok(PaymentDecision::Replay(payment)) => {
                return Ok(Ok(PaymentOutcome {
                    order,
                    payment,
                    replayed: true,
                    notices: Vec::new(),
                }))
            }
            Err(refused) => return Ok(Err(refused)),
        };
        let applied = apply_plan(conn, plan.plan(), &self.faults).await?;
        let id = plan.payment.resolve(applied.payment_id)?;
        let order = stored_order(conn, order_id).await?;
        let payment = order
            .payment(id)
            .cloned()
            .ok_or_else(|| StorageError::Failure(format!("payment {id} was not stored")))?;
        Ok(Ok(PaymentOutcome {
            order,
            payment,
            replayed: false,
            notices: applied.notices,
        }))
    }

    /// Runs [`settle_in`](Self::settle_in) in a transaction, rerun after a lost lock race.
    async fn settle<D>(&self, order_id: OrderId, decide: D) -> Result<PaymentOutcome, PaymentError>
    where
        D: Fn(&SettlementSnapshot<'_>) -> Result<PaymentDecision, PaymentError> + Sync,
    {
        let decide = &decide;
        in_transaction!(self, |conn| self.settle_in(conn, order_id, decide))
    }

    /// One attempt of a shipment inside an open transaction.
    async fn fulfill_in(
        &self,
        conn: &mut C,
        order_id: OrderId,
        request: &FulfillmentRequest,
    ) -> Attempt<FulfilledOrder, FulfillmentError> {
        let now = self.clock.now();
        let Some(order) = select_order(conn, order_id, true).await? else {
            return Ok(Err(FulfillmentError::OrderNotFound(order_id)));
        };
        let customer = select_customer(&mut *conn, order.customer_id, false).await?;
        let mut ids: Vec<_> = order.items.iter().map(|i| i.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let catalog = select_products(&mut *conn, &ids, false).await?;
        let snapshot = FulfillmentSnapshot {
            order: &order,
            customer: customer.as_ref(),
            catalog: &catalog,
        };
        let plan = match plan_fulfillment(&snapshot, request, now) {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        let applied = apply_plan(conn, plan.plan(), &self.faults).await?;
        let order = stored_order(conn, order_id).await?;
        let fulfillment = applied
            .fulfillment_id
            .and_then(|id| order.fulfillments.iter().find(|f| f.id == id).cloned())
            .ok_or_else(|| StorageError::Failure("a shipment plan recorded none".to_owned()))?;
        Ok(Ok(FulfilledOrder {
            order,
            fulfillment,
            notices: applied.notices,
        }))
    }
}

#[async_trait]
impl<C: Backend> OrderSettlement for SqlStore<C> {
    async fn record_payment(
        &self,
        order_id: OrderId,
        request: &PaymentRequest,
    ) -> Result<PaymentOutcome, PaymentError> {
        self.settle(order_id, |snapshot| {
            plan_payment(snapshot, request, self.clock.now())
        })
        .await
    }

    async fn capture_payment(
        &self,
        order_id: OrderId,
        payment_id: PaymentId,
        amount: Option<Money>,
    ) -> Result<PaymentOutcome, PaymentError> {
        self.settle(order_id, |snapshot| {
            plan_capture(snapshot, payment_id, amount, self.clock.now())
                .map(PaymentDecision::Record)
        })
        .await
    }

    async fn void_payment(
        &self,
        order_id: OrderId,
        payment_id: PaymentId,
    ) -> Result<PaymentOutcome, PaymentError> {
        self.settle(order_id, |snapshot| {
            plan_void(snapshot, payment_id, self.clock.now()).map(PaymentDecision::Record)
        })
        .await
    }

    async fn fulfill(
        &self,
        order_id: OrderId,
        request: &FulfillmentRequest,
    ) -> Result<FulfilledOrder, FulfillmentError> {
        in_transaction!(self, |conn| self.fulfill_in(conn, order_id, request))
    }
}
