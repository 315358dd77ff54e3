//! Partial cancels, returns and refunds: each runs the core's planner on the
//! order under the store's lock and applies the plan whole.

use async_trait::async_trait;
use shopcore::{
    plan_partial_cancel, plan_receive_return, plan_refund, plan_reject_return, plan_return,
    CancelError, CancelPlan, CancelSnapshot, CancelledOrder, LineQuantity, OrderId, OrderReturns,
    OrderWorkflow, Page, PageLimit, RefundRequest, Return, ReturnError, ReturnId, ReturnOutcome,
    ReturnPlan, ReturnRequest, ReturnRequester, ReturnSnapshot, ReturnStatus, StorageError,
};

use crate::state::{Applied, State};
use crate::MemoryStore;

impl MemoryStore {
    /// Plans with `decide` from the order `order_id` under the lock, applies
    /// the plan, and answers what it did.
    fn returns_step(
        &self,
        order_id: OrderId,
        decide: impl FnOnce(&ReturnSnapshot<'_>) -> Result<ReturnPlan, ReturnError>,
    ) -> Result<ReturnOutcome, ReturnError> {
        let mut state = self.lock()?;
        let order = state
            .orders
            .get(&order_id)
            .ok_or(ReturnError::OrderNotFound(order_id))?;
        let snapshot = ReturnSnapshot {
            order,
            customer: state.customer(order.customer_id),
            catalog: &state.catalog,
        };
        let plan = decide(&snapshot)?;
        if let Some(replay) = plan.replayed {
            return Ok(ReturnOutcome::replay(order.clone(), replay));
        }
        let changed = plan.plan().effects().iter().find_map(|e| match e {
            shopcore::Effect::ReturnChanged { return_id, .. } => Some(*return_id),
            _ => None,
        });
        let applied = state.apply(plan.plan())?;
        outcome(&state, order_id, applied, changed)
    }

    /// The order of the return `id`.
    fn order_of_return(&self, id: ReturnId) -> Result<OrderId, ReturnError> {
        let state = self.lock()?;
        state
            .orders
            .values()
            .find(|o| o.returns.iter().any(|r| r.id == id))
            .map(|o| o.id)
            .ok_or(ReturnError::UnknownReturn(id))
    }
}

/// What a step did, read back from the state it left.
fn outcome(
    state: &State,
    order_id: OrderId,
    applied: Applied,
    changed: Option<ReturnId>,
) -> Result<ReturnOutcome, ReturnError> {
    let order = state.orders.get(&order_id).cloned().ok_or_else(|| {
        StorageError::Failure(format!("order {order_id} vanished under the lock"))
    })?;
    let returned = applied
        .return_id
        .or(changed)
        .and_then(|id| order.return_record(id).cloned());
    let refund = applied.refund_id.and_then(|id| order.refund(id).cloned());
    Ok(ReturnOutcome {
        order,
        returned,
        refund,
        notices: applied.notices,
        replayed: false,
    })
}

/// The answer to an applied cancel plan (whole or partial).
pub(crate) fn cancelled(
    state: &State,
    plan: &CancelPlan,
    applied: Applied,
) -> Result<CancelledOrder, CancelError> {
    let order = state
        .orders
        .get(&plan.order_id)
        .cloned()
        .ok_or(CancelError::OrderNotFound(plan.order_id))?;
    let notice = applied
        .notices
        .into_iter()
        .next()
        .ok_or_else(|| StorageError::Failure("a cancel plan logged no notice".to_owned()))?;
    Ok(CancelledOrder {
        notice,
        points_returned: plan.points_returned,
        points_revoked: plan.points_revoked,
        points_balance: plan.points_after,
        refund_due: plan.refund_due,
        refund: applied.refund_id.and_then(|id| order.refund(id).cloned()),
        cancelled_lines: plan.cancelled_lines.clone(),
        order,
    })
}

#[async_trait]
impl OrderReturns for MemoryStore {
    async fn cancel_units(
        &self,
        order_id: OrderId,
        lines: &[LineQuantity],
    ) -> Result<CancelledOrder, CancelError> {
        let now = self.clock.now();
        let loyalty = self.config().loyalty;
        let mut state = self.lock()?;
        let order = state
            .orders
            .get(&order_id)
            .ok_or(CancelError::OrderNotFound(order_id))?;
        let snapshot = CancelSnapshot {
            order,
            customer: state.customer(order.customer_id),
            catalog: &state.catalog,
        };
        let plan = plan_partial_cancel(&snapshot, lines, loyalty, now)?;
        let applied = state.apply(plan.plan())?;
        cancelled(&state, &plan, applied)
    }

    async fn create_return(
        &self,
        order_id: OrderId,
        request: &ReturnRequest,
        by: ReturnRequester,
    ) -> Result<ReturnOutcome, ReturnError> {
        let now = self.clock.now();
        let loyalty = self.config().loyalty;
        self.returns_step(order_id, |snapshot| {
            plan_return(snapshot, request, by, loyalty, now)
        })
    }

    async fn receive_return(
        &self,
        return_id: ReturnId,
        restock: Option<bool>,
    ) -> Result<ReturnOutcome, ReturnError> {
        let now = self.clock.now();
        let loyalty = self.config().loyalty;
        let order_id = self.order_of_return(return_id)?;
        self.returns_step(order_id, |snapshot| {
            plan_receive_return(snapshot, return_id, restock, loyalty, now)
        })
    }

    async fn reject_return(&self, return_id: ReturnId) -> Result<ReturnOutcome, ReturnError> {
        let now = self.clock.now();
        let order_id = self.order_of_return(return_id)?;
        self.returns_step(order_id, |snapshot| {
            plan_reject_return(snapshot, return_id, now)
        })
    }

    async fn refund(
        &self,
        order_id: OrderId,
        request: &RefundRequest,
    ) -> Result<ReturnOutcome, ReturnError> {
        let now = self.clock.now();
        self.returns_step(order_id, |snapshot| plan_refund(snapshot, request, now))
    }

    async fn return_page(
        &self,
        status: Option<ReturnStatus>,
        after: Option<ReturnId>,
        limit: PageLimit,
    ) -> Result<Page<Return, ReturnId>, StorageError> {
        let all = self.returns(status).await?;
        let items = all
            .into_iter()
            .filter(|r| after.is_none_or(|after| r.id > after))
            .take(limit.get() + 1)
            .collect();
        Ok(Page::from_overfetch(items, limit, |r| r.id))
    }

    async fn returns(&self, status: Option<ReturnStatus>) -> Result<Vec<Return>, StorageError> {
        let state = self.lock()?;
        let mut all: Vec<Return> = state
            .orders
            .values()
            .flat_map(|o| &o.returns)
            .filter(|r| status.is_none_or(|s| r.status == s))
            .cloned()
            .collect();
        all.sort_by_key(|r| r.id);
        Ok(all)
    }
}
