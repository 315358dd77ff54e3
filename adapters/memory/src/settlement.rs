//! Payments and shipments: each runs the core's planner on the order under
//! the store's lock and applies the plan whole.

use async_trait::async_trait;
use shopcore::{
    plan_capture, plan_fulfillment, plan_payment, plan_void, FulfilledOrder, FulfillmentError,
    FulfillmentRequest, FulfillmentSnapshot, Money, Order, OrderId, OrderSettlement,
    PaymentDecision, PaymentError, PaymentId, PaymentOutcome, PaymentPlan, PaymentRequest,
    SettlementSnapshot, StorageError,
};

use crate::state::State;
use crate::MemoryStore;

impl MemoryStore {
    /// Plans with `decide` from the order `order_id` under the lock and
    /// applies the plan; answers the order and payment as they are then.
    fn settle(
        &self,
        order_id: OrderId,
        decide: impl FnOnce(&SettlementSnapshot<'_>) -> Result<PaymentDecision, PaymentError>,
    ) -> Result<PaymentOutcome, PaymentError> {
        let mut state = self.lock()?;
        let order = state
            .orders
            .get(&order_id)
            .ok_or(PaymentError::OrderNotFound(order_id))?;
        let snapshot = SettlementSnapshot {
            order,
            customer: state.customer(order.customer_id),
        };
        let plan = match decide(&snapshot)? {
            PaymentDecision::Replay(payment) => {
                return Ok(PaymentOutcome {
                    order: order.clone(),
                    payment,
                    replayed: true,
                    notices: Vec::new(),
                })
            }
            PaymentDecision::Record(plan) => plan,
        };
        let applied = state.apply(plan.plan())?;
        let id = plan.payment.resolve(applied.payment_id)?;
        let order = stored_order(&state, order_id)?;
        let payment = order
            .payment(id)
            .cloned()
            .ok_or_else(|| StorageError::Failure(format!("payment {id} was not stored")))?;
        Ok(PaymentOutcome {
            order,
            payment,
            replayed: false,
            notices: applied.notices,
        })
    }
}

fn stored_order(state: &State, id: OrderId) -> Result<Order, StorageError> {
    state
        .orders
        .get(&id)
        .cloned()
        .ok_or_else(|| StorageError::Failure(format!("order {id} vanished under the lock")))
}

fn recorded(plan: Result<PaymentPlan, PaymentError>) -> Result<PaymentDecision, PaymentError> {
    plan.map(PaymentDecision::Record)
}

#[async_trait]
impl OrderSettlement for MemoryStore {
    async fn record_payment(
        &self,
        order_id: OrderId,
        request: &PaymentRequest,
    ) -> Result<PaymentOutcome, PaymentError> {
        let now = self.clock.now();
        self.settle(order_id, |snapshot| plan_payment(snapshot, request, now))
    }

    async fn capture_payment(
        &self,
        order_id: OrderId,
        payment_id: PaymentId,
        amount: Option<Money>,
    ) -> Result<PaymentOutcome, PaymentError> {
        let now = self.clock.now();
        self.settle(order_id, |snapshot| {
            recorded(plan_capture(snapshot, payment_id, amount, now))
        })
    }

    async fn void_payment(
        &self,
        order_id: OrderId,
        payment_id: PaymentId,
    ) -> Result<PaymentOutcome, PaymentError> {
        let now = self.clock.now();
        self.settle(order_id, |snapshot| {
            recorded(plan_void(snapshot, payment_id, now))
        })
    }

    async fn fulfill(
        &self,
        order_id: OrderId,
        request: &FulfillmentRequest,
    ) -> Result<FulfilledOrder, FulfillmentError> {
        let now = self.clock.now();
        let mut state = self.lock()?;
        let order = state
            .orders
            .get(&order_id)
            .ok_or(FulfillmentError::OrderNotFound(order_id))?;
        let snapshot = FulfillmentSnapshot {
            order,
            customer: state.customer(order.customer_id),
            catalog: &state.catalog,
        };
        let plan = plan_fulfillment(&snapshot, request, now)?;
        let applied = state.apply(plan.plan())?;
        let order = stored_order(&state, order_id)?;
        let fulfillment = applied
            .fulfillment_id
            .and_then(|id| order.fulfillments.iter().find(|f| f.id == id).cloned())
            .ok_or_else(|| StorageError::Failure("a shipment plan recorded none".to_owned()))?;
        Ok(FulfilledOrder {
            order,
            fulfillment,
            notices: applied.notices,
        })
    }
}
