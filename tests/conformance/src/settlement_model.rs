//! A plain reference model of one order's payments and shipments, and a
//! runner that applies random sequences of operations to a store and to the
//! model side by side (proptest's state-machine testing, by hand): after every
//! step the store must answer what the model predicts — the same success or
//! the same refusal code — and show the same figures, and the books must
//! balance at the end.
//!
//! The model counts cents in `i64` and units in `u32`: no `Money`, no
//! planner, nothing shared with the code under test but the rules of the
//! issue, stated again here.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! let ops = shopcore_conformance::settlement_model::operations(8);
//! let mut runner = proptest::test_runner::TestRunner::deterministic();
//! assert!(ops.new_tree(&mut runner).unwrap().current().len() <= 8);
//! ```

use proptest::prelude::*;
use shopcore::{
    ErrorCode, FulfillmentLine, FulfillmentRequest, FulfillmentStatus, Money, Order, OrderId,
    PaymentId, PaymentRequest, PaymentState, PaymentStatus, ProductId, Quantity, Store,
};

use crate::cases::{audit_findings, request};

/// The order every run starts from: 1 Laptop (product 1) and 10 Mice
/// (product 2), 1430.59 in all.
const TOTAL: i64 = 143_059;
const LINES: [(i64, u32); 2] = [(1, 1), (2, 10)];

/// One step of a run.
#[derive(Clone, Debug)]
pub enum Operation {
    /// Records a payment of `cents` under reference `pi_{reference}`.
    Pay {
        /// The amount in cents (0 is refused).
        cents: i64,
        /// Which of a few references.
        reference: u8,
        /// Captured at once, or only authorized.
        capture: bool,
    },
    /// Captures the `payment`-th payment recorded (by position, or a payment
    /// that does not exist), all of it or `cents`.
    Capture {
        /// Position among the order's payments.
        payment: usize,
        /// The amount to capture, if not all.
        cents: Option<i64>,
    },
    /// Voids the `payment`-th payment.
    Void {
        /// Position among the order's payments.
        payment: usize,
    },
    /// Ships units per product (`None`: everything left); product 3 is not in the order.
    Fulfill {
        /// (product, units).
        lines: Option<Vec<(i64, u32)>>,
    },
    /// Cancels the whole order.
    Cancel,
}

/// Random sequences of up to `max` operations, biased towards amounts near
/// the order's total and its pieces.
pub fn operations(max: usize) -> impl Strategy<Value = Vec<Operation>> {
    let cents = prop_oneof![
        Just(0i64),
        Just(TOTAL),
        Just(100_000),
        Just(43_059),
        Just(TOTAL + 1),
        1i64..=TOTAL,
    ];
    let op = prop_oneof![
        4 => (cents.clone(), 0u8..4, any::<bool>())
            .prop_map(|(cents, reference, capture)| Operation::Pay { cents, reference, capture }),
        3 => (0usize..4, proptest::option::of(cents))
            .prop_map(|(payment, cents)| Operation::Capture { payment, cents }),
        2 => (0usize..4).prop_map(|payment| Operation::Void { payment }),
        3 => proptest::option::of(proptest::collection::vec((1i64..=3, 1u32..=6), 1..3))
            .prop_map(|lines| Operation::Fulfill { lines }),
        1 => Just(Operation::Cancel),
    ];
    proptest::collection::vec(op, 0..=max)
}

#[derive(Clone, Debug)]
struct ModelPayment {
    reference: u8,
    cents: i64,
    state: PaymentState,
    captured: i64,
}

/// The reference model of one order.
#[derive(Clone, Debug, Default)]
struct Model {
    cancelled: bool,
    payments: Vec<ModelPayment>,
    shipped: [u32; 2],
    refund_due: i64,
}

impl Model {
    fn captured(&self) -> i64 {
        self.payments.iter().map(|p| p.captured).sum()
    }

    /// The `i`-th payment, if the order is not cancelled and it is authorized.
    fn authorized_payment(&mut self, i: usize) -> Result<&mut ModelPayment, &'static str> {
        let cancelled = self.cancelled;
        let payment = self.payments.get_mut(i).ok_or("unknown_payment")?;
        if cancelled {
            return Err("order_cancelled");
        }
        if payment.state != PaymentState::Authorized {
            return Err("payment_not_authorized");
        }
        Ok(payment)
    }

    fn authorized(&self) -> i64 {
        self.payments
            .iter()
            .filter(|p| p.state == PaymentState::Authorized)
            .map(|p| p.cents)
            .sum()
    }

    /// Applies `op`; answers `Ok(())` or the refusal code the store must give.
    fn step(&mut self, op: &Operation) -> Result<(), &'static str> {
        match op {
            Operation::Pay {
                cents,
                reference,
                capture,
            } => {
                if *cents <= 0 {
                    return Err("invalid_amount");
                }
                if let Some(first) = self.payments.iter().find(|p| p.reference == *reference) {
                    return if first.cents == *cents {
                        Ok(())
                    } else {
                        Err("payment_reference_conflict")
                    };
                }
                if self.cancelled {
                    return Err("order_cancelled");
                }
                if self.captured() + self.authorized() + cents > TOTAL {
                    return Err("payment_exceeds_balance");
                }
                self.payments.push(ModelPayment {
                    reference: *reference,
                    cents: *cents,
                    state: if *capture {
                        PaymentState::Captured
                    } else {
                        PaymentState::Authorized
                    },
                    captured: if *capture { *cents } else { 0 },
                });
                Ok(())
            }
            Operation::Capture { payment, cents } => {
                if cents.is_some_and(|c| c <= 0) {
                    return Err("invalid_amount");
                }
                let p = self.authorized_payment(*payment)?;
                let take = cents.unwrap_or(p.cents);
                if take > p.cents {
                    return Err("capture_exceeds_authorized");
                }
                p.state = PaymentState::Captured;
                p.captured = take;
                Ok(())
            }
            Operation::Void { payment } => {
                let p = self.authorized_payment(*payment)?;
                p.state = PaymentState::Voided;
                Ok(())
            }
            Operation::Fulfill { lines } => {
                if self.cancelled {
                    return Err("order_cancelled");
                }
                let left = |i: usize| LINES[i].1 - self.shipped[i];
                let mut ship = [0u32; 2];
                match lines {
                    None => {
                        ship = [left(0), left(1)];
                        if ship == [0, 0] {
                            return Err("fulfillment_exceeds_order");
                        }
                    }
                    Some(lines) => {
                        if lines.iter().any(|(product, _)| *product == 3) {
                            return Err("product_not_in_order");
                        }
                        for (product, units) in lines {
                            ship[usize::try_from(*product - 1).unwrap_or(0)] += units;
                        }
                        if (0..2).any(|i| ship[i] > left(i)) {
                            return Err("fulfillment_exceeds_order");
                        }
                    }
                }
                self.shipped[0] += ship[0];
                self.shipped[1] += ship[1];
                Ok(())
            }
            Operation::Cancel => {
                if self.cancelled {
                    return Err("order_not_cancellable");
                }
                if self.shipped != [0, 0] {
                    return Err("order_fulfilled");
                }
                self.cancelled = true;
                self.refund_due = self.captured();
                for p in &mut self.payments {
                    if p.state == PaymentState::Authorized {
                        p.state = PaymentState::Voided;
                    }
                }
                Ok(())
            }
        }
    }

    fn payment_status(&self) -> PaymentStatus {
        let captured = self.captured();
        if self.refund_due > 0 {
            // A cancel refunds everything captured.
            PaymentStatus::Refunded
        } else if captured >= TOTAL {
            PaymentStatus::Paid
        } else if captured > 0 {
            PaymentStatus::PartiallyPaid
        } else if self.authorized() > 0 {
            PaymentStatus::Authorized
        } else {
            PaymentStatus::Unpaid
        }
    }

    fn fulfillment_status(&self) -> FulfillmentStatus {
        match self.shipped.iter().sum::<u32>() {
            0 => FulfillmentStatus::Unfulfilled,
            11 => FulfillmentStatus::Fulfilled,
            _ => FulfillmentStatus::PartiallyFulfilled,
        }
    }

    /// Asserts that `order` shows what the model holds.
    fn check(&self, order: &Order, after: &[Operation]) {
        let cents = |m: Money| m.cents();
        let context = || format!("after {after:?}");
        assert_eq!(
            order.payment_status(),
            self.payment_status(),
            "{}",
            context()
        );
        assert_eq!(
            order.fulfillment_status(),
            self.fulfillment_status(),
            "{}",
            context()
        );
        assert_eq!(cents(order.amount_paid()), self.captured(), "{}", context());
        assert_eq!(
            cents(order.amount_authorized()),
            self.authorized(),
            "{}",
            context()
        );
        let due = if self.cancelled {
            0
        } else {
            TOTAL - self.captured()
        };
        assert_eq!(cents(order.balance_due()), due.max(0), "{}", context());
        assert_eq!(cents(order.refund_due), self.refund_due, "{}", context());
        let payments: Vec<_> = order
            .payments
            .iter()
            .map(|p| {
                (
                    p.reference.to_string(),
                    cents(p.amount),
                    p.status,
                    cents(p.amount_captured),
                )
            })
            .collect();
        let model: Vec<_> = self
            .payments
            .iter()
            .map(|p| (format!("pi_{}", p.reference), p.cents, p.state, p.captured))
            .collect();
        assert_eq!(payments, model, "{}", context());
        for (i, (product, _)) in LINES.iter().enumerate() {
            let shipped = order.fulfilled_quantity(ProductId::new(*product).expect("id"));
            assert_eq!(shipped, self.shipped[i], "{}", context());
        }
    }
}

fn money(cents: i64) -> Money {
    Money::from_cents(cents.max(0)).unwrap_or(Money::MAX)
}

/// Places the worked example, runs `ops` on it and on the model, checking
/// every answer and figure; then checks that the books balance. Amounts of
/// zero or less reach the store as 0.00 (the store refuses them as the
/// model does).
pub async fn run_against_model<S: Store>(store: &S, ops: &[Operation]) {
    let order = store
        .checkout(&request(1, &[(1, 1), (2, 10)], None), None)
        .await
        .expect("checkout")
        .order;
    let mut model = Model::default();
    let mut ids: Vec<PaymentId> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let predicted = model.step(op);
        let answered = apply(store, order.id, op, &ids).await;
        assert_eq!(
            answered,
            predicted,
            "step {step}: {op:?} after {:?}",
            &ops[..step]
        );
        let stored = store.order(order.id).await.expect("order");
        ids = stored.payments.iter().map(|p| p.id).collect();
        model.check(&stored, &ops[..=step]);
    }
    assert_eq!(
        audit_findings(store).await,
        Vec::<String>::new(),
        "after {ops:?}"
    );
}

async fn apply<S: Store>(
    store: &S,
    order: OrderId,
    op: &Operation,
    ids: &[PaymentId],
) -> Result<(), &'static str> {
    // A position past the recorded payments names a payment that does not exist.
    let payment = |i: usize| {
        ids.get(i)
            .copied()
            .unwrap_or(PaymentId::new(1_000_000).expect("id"))
    };
    let code = |e: &dyn ErrorCode| e.code();
    match op {
        Operation::Pay {
            cents,
            reference,
            capture,
        } => {
            let request = PaymentRequest {
                amount: money(*cents),
                method: "card".parse().expect("method"),
                reference: format!("pi_{reference}").parse().expect("reference"),
                capture: *capture,
            };
            store
                .record_payment(order, &request)
                .await
                .map(drop)
                .map_err(|e| code(&e))
        }
        Operation::Capture { payment: i, cents } => store
            .capture_payment(order, payment(*i), cents.map(money))
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Operation::Void { payment: i } => store
            .void_payment(order, payment(*i))
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        Operation::Fulfill { lines } => {
            let request = FulfillmentRequest {
                lines: lines.as_ref().map(|lines| {
                    lines
                        .iter()
                        .map(|&(product, units)| FulfillmentLine {
                            product_id: ProductId::new(product).expect("id"),
                            quantity: Quantity::new(i64::from(units)).expect("units"),
                        })
                        .collect()
                }),
                carrier: None,
                tracking_number: None,
            };
            store
                .fulfill(order, &request)
                .await
                .map(drop)
                .map_err(|e| code(&e))
        }
        Operation::Cancel => store.cancel(order).await.map(drop).map_err(|e| code(&e)),
    }
}
