//! Races on what comes back from one order, on the real server, each run for
//! many rounds with a clean audit of the books after every round:
//!
//! (a) two staff returns of 6 of the 10 shipped mice at once: one is
//!     received, the other is `return_exceeds_fulfilled` — never more
//!     returned than shipped;
//! (b) two goodwill refunds of 1000.00 of the 1430.59 captured at once: one
//!     is recorded, the other is `refund_exceeds_paid` — never more refunded
//!     than captured;
//! (c) a cancel of the last 6 unshipped mice racing a shipment of them: one
//!     wins, the other is `cancel_exceeds_unfulfilled` or
//!     `fulfillment_exceeds_order` — never more cancelled and shipped than
//!     ordered.
//!
//! With `SHOPCORE_GALERA_URLS` naming the nodes of a Galera cluster and
//! `SHOPCORE_TEST_MYSQL_URL` one of them, the racers alternate between that
//! node and another one: only the write each step makes to the order's own
//! row (`settlement_version`) makes the two transactions conflict there.
//! Rounds: `SHOPCORE_RACE_ROUNDS` (default 20). Each test prints its counts.

mod common;

use common::races::{payment, rounds, two_answers, Racers};
use shopcore::{
    ErrorCode, FulfillmentLine, FulfillmentRequest, LineQuantity, Money, OrderId, OrderRepository,
    OrderReturns, OrderSettlement, ProductId, Quantity, ReturnRequest, ReturnRequester,
};

fn mouse() -> ProductId {
    ProductId::new(2).unwrap()
}

fn mice(units: i64) -> FulfillmentRequest {
    FulfillmentRequest {
        lines: Some(vec![FulfillmentLine {
            product_id: mouse(),
            quantity: Quantity::new(units).unwrap(),
        }]),
        carrier: Some("Aramex".parse().unwrap()),
        tracking_number: None,
    }
}

fn six_mice() -> Vec<LineQuantity> {
    vec![LineQuantity {
        product_id: mouse(),
        quantity: Quantity::new(6).unwrap(),
    }]
}

/// The worked example, paid in full (1430.59 captured).
async fn paid_example(racers: &Racers, round: usize) -> OrderId {
    let order = racers.worked_example().await;
    racers
        .db
        .store
        .record_payment(order, &payment("1430.59", &format!("pi_{round}")))
        .await
        .unwrap();
    racers.sync().await;
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_staff_returns_racing_for_the_same_units_never_return_more_than_shipped() {
    let Some(racers) = Racers::new().await else {
        return;
    };
    let rounds = rounds();
    let mut won_by = [0; 2];
    for round in 0..rounds {
        let order = paid_example(&racers, round).await;
        racers
            .db
            .store
            .fulfill(order, &FulfillmentRequest::default())
            .await
            .unwrap();
        racers.sync().await;
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let store = racers.store(i);
                let request = ReturnRequest {
                    lines: six_mice(),
                    restock: true,
                    reason: None,
                    key: None,
                };
                tokio::spawn(async move {
                    store
                        .create_return(order, &request, ReturnRequester::Staff)
                        .await
                })
            })
            .collect();
        let codes = two_answers(tasks, &mut won_by).await;
        assert_eq!(codes, ["ok", "return_exceeds_fulfilled"], "round {round}");
        racers.sync().await;
        let stored = racers.db.store.order(order).await.unwrap();
        assert_eq!(stored.returns.len(), 1, "round {round}");
        assert_eq!(stored.returned_quantity(mouse()), 6, "round {round}");
        assert!(stored.returned_quantity(mouse()) <= stored.fulfilled_quantity(mouse()));
        assert_eq!(stored.refunds.len(), 1, "round {round}");
        racers
            .assert_audit_clean(&format!("(a) round {round}"))
            .await;
    }
    eprintln!(
        "(a) two staff returns of 6 of 10 shipped mice, {rounds} rounds: {rounds} with one \
         received and one return_exceeds_fulfilled, never more than 10 returned; won by racer \
         (0, 1): {won_by:?}"
    );
    racers.audit_clean("(a)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_goodwill_refunds_racing_for_the_same_money_never_refund_more_than_captured() {
    let Some(racers) = Racers::new().await else {
        return;
    };
    let rounds = rounds();
    let mut won_by = [0; 2];
    let thousand = shopcore::RefundRequest {
        amount: "1000.00".parse().unwrap(),
        reason: None,
        key: None,
    };
    for round in 0..rounds {
        let order = paid_example(&racers, round).await;
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let store = racers.store(i);
                let request = thousand.clone();
                tokio::spawn(async move { store.refund(order, &request).await })
            })
            .collect();
        let codes = two_answers(tasks, &mut won_by).await;
        assert_eq!(codes, ["ok", "refund_exceeds_paid"], "round {round}");
        racers.sync().await;
        let stored = racers.db.store.order(order).await.unwrap();
        assert_eq!(stored.refunds.len(), 1, "round {round}");
        assert_eq!(stored.amount_refunded(), thousand.amount, "round {round}");
        assert!(stored.amount_refunded() <= stored.amount_paid());
        let refunded: Vec<Money> = stored.payments.iter().map(|p| p.amount_refunded).collect();
        assert_eq!(refunded, [thousand.amount], "round {round}");
        racers
            .assert_audit_clean(&format!("(b) round {round}"))
            .await;
    }
    eprintln!(
        "(b) two goodwill refunds of 1000.00 of 1430.59 captured, {rounds} rounds: {rounds} with \
         one recorded and one refund_exceeds_paid, never more refunded than captured; won by \
         racer (0, 1): {won_by:?}"
    );
    racers.audit_clean("(b)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partial_cancel_racing_a_shipment_of_the_same_units_never_exceeds_the_order() {
    let Some(racers) = Racers::new().await else {
        return;
    };
    let rounds = rounds();
    let (mut cancels, mut shipments) = (0, 0);
    for round in 0..rounds {
        let order = racers.worked_example().await;
        racers.db.store.fulfill(order, &mice(4)).await.unwrap();
        racers.sync().await;
        // The last 6 mice: cancelled by one racer, shipped by the other.
        let (canceller, shipper) = (racers.store(round), racers.store(round + 1));
        let cancel = tokio::spawn(async move { canceller.cancel_units(order, &six_mice()).await });
        let ship = tokio::spawn(async move { shipper.fulfill(order, &mice(6)).await });
        let (cancel, ship) = (cancel.await.unwrap(), ship.await.unwrap());
        match (&cancel, &ship) {
            (Ok(_), Err(refused)) => {
                assert_eq!(refused.code(), "fulfillment_exceeds_order", "round {round}");
                cancels += 1;
            }
            (Err(refused), Ok(_)) => {
                assert_eq!(
                    refused.code(),
                    "cancel_exceeds_unfulfilled",
                    "round {round}"
                );
                shipments += 1;
            }
            _ => panic!("round {round}: both or neither won: {cancel:?} / {ship:?}"),
        }
        racers.sync().await;
        let stored = racers.db.store.order(order).await.unwrap();
        let (cancelled, shipped) = (
            stored.cancelled_quantity(mouse()),
            stored.fulfilled_quantity(mouse()),
        );
        assert_eq!(cancelled + shipped, 10, "round {round}");
        assert!(
            cancelled == 0 || cancelled == 6,
            "round {round}: {cancelled}"
        );
        racers
            .assert_audit_clean(&format!("(c) round {round}"))
            .await;
    }
    eprintln!(
        "(c) a cancel of the last 6 mice against a shipment of them, {rounds} rounds: {cancels} \
         cancels won, {shipments} shipments won, never both, never more than 10 cancelled and \
         shipped"
    );
    racers.audit_clean("(c)").await;
}
