//! Races on one order's payments and shipments, on the real server, each
//! run for many rounds and ending with a clean audit of the books:
//!
//! (a) two payments of 1000.00 on the 1430.59 worked example: exactly one
//!     is recorded, the other is `payment_exceeds_balance`;
//! (b) one payment reference sent 8 times at once: one payment, seven
//!     replays of it;
//! (c) two shipments racing for the last units of a line: one ships, the
//!     other is `fulfillment_exceeds_order` — never more shipped than ordered;
//! (d) a cancel racing a shipment: exactly one wins (the other answers
//!     `order_fulfilled` or `order_cancelled`).
//!
//! With `SHOPCORE_GALERA_URLS` naming the nodes of a Galera cluster (as
//! `make test-galera` sets it) and `SHOPCORE_TEST_MYSQL_URL` one of them,
//! the racers alternate between that node and another one: the races cross
//! nodes, where only the write each settlement makes to the order's own row
//! (`settlement_version`) makes the two transactions conflict. Rounds:
//! `SHOPCORE_RACE_ROUNDS` (default 20). Each test prints its counts.

mod common;

use common::races::{payment, rounds, two_answers, Racers};
use shopcore::{
    ErrorCode, FulfillmentLine, FulfillmentRequest, OrderRepository, OrderSettlement,
    OrderWorkflow, ProductId, Quantity,
};

fn mice(units: i64) -> FulfillmentRequest {
    FulfillmentRequest {
        lines: Some(vec![FulfillmentLine {
            product_id: ProductId::new(2).unwrap(),
            quantity: Quantity::new(units).unwrap(),
        }]),
        carrier: Some("Aramex".parse().unwrap()),
        tracking_number: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_payments_racing_for_one_balance_record_exactly_one() {
    let Some(racers) = Racers::new().await else {
        return;
    };
    let rounds = rounds();
    let mut won_by = [0; 2];
    for round in 0..rounds {
        let order = racers.worked_example().await;
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let store = racers.store(i);
                let request = payment("1000.00", &format!("pi_{round}_{i}"));
                tokio::spawn(async move { store.record_payment(order, &request).await })
            })
            .collect();
        let codes = two_answers(tasks, &mut won_by).await;
        assert_eq!(codes, ["ok", "payment_exceeds_balance"], "round {round}");
        racers.sync().await;
        let stored = racers.db.store.order(order).await.unwrap();
        assert_eq!(stored.payments.len(), 1, "round {round}");
        assert_eq!(stored.amount_paid(), "1000.00".parse().unwrap());
    }
    eprintln!(
        "(a) two payments of 1000.00 on 1430.59, {rounds} rounds: {rounds} with exactly one \
         recorded and one payment_exceeds_balance; won by racer (0, 1): {won_by:?}"
    );
    racers.audit_clean("(a)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_payment_reference_sent_eight_times_at_once_records_one_payment() {
    let Some(racers) = Racers::new().await else {
        return;
    };
    let rounds = rounds();
    let mut replays = 0;
    for round in 0..rounds {
        let order = racers.worked_example().await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = racers.store(i);
                let request = payment("100.00", &format!("pi_same_{round}"));
                tokio::spawn(async move { store.record_payment(order, &request).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap().expect("recorded or replayed"));
        }
        assert_eq!(
            outcomes.iter().filter(|o| !o.replayed).count(),
            1,
            "round {round}"
        );
        assert!(outcomes
            .iter()
            .all(|o| o.payment.id == outcomes[0].payment.id));
        replays += outcomes.iter().filter(|o| o.replayed).count();
        racers.sync().await;
        assert_eq!(
            racers.db.store.order(order).await.unwrap().payments.len(),
            1,
            "round {round}"
        );
    }
    eprintln!(
        "(b) one reference 8 times at once, {rounds} rounds: {rounds} payments, {replays} replays \
         of them (expected {})",
        rounds * 7
    );
    assert_eq!(replays, rounds * 7);
    racers.audit_clean("(b)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_shipments_racing_for_the_last_units_never_ship_more_than_ordered() {
    let Some(racers) = Racers::new().await else {
        return;
    };
    let rounds = rounds();
    let mut won_by = [0; 2];
    for round in 0..rounds {
        let order = racers.worked_example().await;
        racers.db.store.fulfill(order, &mice(4)).await.unwrap();
        racers.sync().await;
        // The last 6 of the 10 mice, twice at once.
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let store = racers.store(i);
                tokio::spawn(async move { store.fulfill(order, &mice(6)).await })
            })
            .collect();
        let codes = two_answers(tasks, &mut won_by).await;
        assert_eq!(codes, ["fulfillment_exceeds_order", "ok"], "round {round}");
        racers.sync().await;
        let stored = racers.db.store.order(order).await.unwrap();
        assert_eq!(
            stored.fulfilled_quantity(ProductId::new(2).unwrap()),
            10,
            "round {round}"
        );
        assert_eq!(stored.fulfillments.len(), 2, "round {round}");
    }
    eprintln!(
        "(c) two shipments of the last 6 mice, {rounds} rounds: {rounds} with one shipped and \
         one fulfillment_exceeds_order, never more than 10 shipped; won by racer (0, 1): {won_by:?}"
    );
    racers.audit_clean("(c)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_racing_a_shipment_has_exactly_one_winner() {
    let Some(racers) = Racers::new().await else {
        return;
    };
    let rounds = rounds();
    let (mut cancels, mut shipments) = (0, 0);
    for round in 0..rounds {
        let order = racers.worked_example().await;
        let (canceller, shipper) = (racers.store(round), racers.store(round + 1));
        let cancel = tokio::spawn(async move { canceller.cancel(order).await });
        let ship =
            tokio::spawn(
                async move { shipper.fulfill(order, &FulfillmentRequest::default()).await },
            );
        let (cancel, ship) = (cancel.await.unwrap(), ship.await.unwrap());
        match (&cancel, &ship) {
            (Ok(_), Err(refused)) => {
                assert_eq!(refused.code(), "order_cancelled", "round {round}");
                cancels += 1;
            }
            (Err(refused), Ok(_)) => {
                assert_eq!(refused.code(), "order_fulfilled", "round {round}");
                shipments += 1;
            }
            _ => panic!("round {round}: both or neither won: {cancel:?} / {ship:?}"),
        }
        racers.sync().await;
        let stored = racers.db.store.order(order).await.unwrap();
        let cancelled = stored.status == shopcore::OrderStatus::Cancelled;
        assert_ne!(cancelled, !stored.fulfillments.is_empty(), "round {round}");
    }
    eprintln!(
        "(d) a cancel against a shipment, {rounds} rounds: {cancels} cancels won, {shipments} \
         shipments won, never both"
    );
    racers.audit_clean("(d)").await;
}
