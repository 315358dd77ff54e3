//! Payments and shipments: authorizing, capturing and voiding an order's
//! payments, shipping it in parts, and what a cancel does to both; every
//! refusal writes nothing, races for one balance or the last units have one
//! winner, and the books balance after all of it.

use shopcore::{
    Carrier, ErrorCode, FulfillmentLine, FulfillmentRequest, FulfillmentStatus, Money, MoneyKind,
    NotificationFilter, NotificationKind, Order, OrderId, PaymentId, PaymentOutcome,
    PaymentRequest, PaymentState, PaymentStatus, ProductId, Quantity, Store, TrackingNumber,
};

use crate::cases::{audit_findings, request};
use crate::throttle_cases::concurrently;

fn money(text: &str) -> Money {
    text.parse().expect("test amount")
}

fn pid(id: i64) -> ProductId {
    ProductId::new(id).expect("test id")
}

/// A payment of `amount` with `reference`, captured at once or not.
fn payment(amount: &str, reference: &str, capture: bool) -> PaymentRequest {
    PaymentRequest {
        amount: money(amount),
        method: "card".parse().expect("test method"),
        reference: reference.parse().expect("test reference"),
        capture,
    }
}

/// A shipment of `lines` (product, units); `None` ships everything left.
fn shipment(lines: Option<&[(i64, i64)]>) -> FulfillmentRequest {
    FulfillmentRequest {
        lines: lines.map(|lines| {
            lines
                .iter()
                .map(|&(id, units)| FulfillmentLine {
                    product_id: pid(id),
                    quantity: Quantity::new(units).expect("test quantity"),
                })
                .collect()
        }),
        carrier: Some(Carrier::parse("Aramex").expect("test carrier")),
        tracking_number: None,
    }
}

/// Places DESIGN.md's worked example (Ahmed: 1 Laptop + 10 Mice in Cairo, 1430.59).
async fn worked_example<S: Store>(store: &S) -> Order {
    let placed = store
        .checkout(&request(1, &[(1, 1), (2, 10)], None), None)
        .await
        .expect("checkout");
    assert_eq!(placed.order.total_amount, money("1430.59"));
    placed.order
}

/// The figures a payment's answer and the stored order show:
/// (payment_status, amount_paid, amount_authorized, balance_due).
fn figures(order: &Order) -> (PaymentStatus, String, String, String) {
    (
        order.payment_status(),
        order.amount_paid().to_string(),
        order.amount_authorized().to_string(),
        order.balance_due().to_string(),
    )
}

fn status(
    status: PaymentStatus,
    paid: &str,
    authorized: &str,
    due: &str,
) -> (PaymentStatus, String, String, String) {
    (status, paid.into(), authorized.into(), due.into())
}

async fn kinds_of<S: Store>(store: &S, order: OrderId) -> Vec<NotificationKind> {
    let mut logged = store
        .notifications(NotificationFilter {
            order_id: Some(order),
            customer_id: None,
        })
        .await
        .expect("notifications");
    logged.reverse(); // oldest first
    logged.into_iter().map(|n| n.kind).collect()
}

/// The worked example from placed to authorized, captured in part, paid in
/// full: every figure, the payments' records, the money ledger, the events.
pub async fn an_order_is_authorized_captured_in_part_and_paid<S: Store>(store: &S) {
    let order = worked_example(store).await;
    assert_eq!(order.payment_status(), PaymentStatus::Unpaid);
    assert_eq!(order.balance_due(), money("1430.59"));

    let held = store
        .record_payment(order.id, &payment("1430.59", "pi_auth", false))
        .await
        .unwrap();
    assert!(!held.replayed);
    assert_eq!(held.payment.status, PaymentState::Authorized);
    assert_eq!(held.payment.amount_captured, Money::ZERO);
    assert!(held.notices.is_empty(), "an authorization tells no one");
    assert_eq!(
        figures(&held.order),
        status(PaymentStatus::Authorized, "0.00", "1430.59", "1430.59")
    );

    // Capture 1000.00 of it: the rest (430.59) is released.
    let captured = store
        .capture_payment(order.id, held.payment.id, Some(money("1000.00")))
        .await
        .unwrap();
    assert_eq!(captured.payment.id, held.payment.id);
    assert_eq!(captured.payment.status, PaymentState::Captured);
    assert_eq!(captured.payment.amount_captured, money("1000.00"));
    assert_eq!(
        figures(&captured.order),
        status(PaymentStatus::PartiallyPaid, "1000.00", "0.00", "430.59")
    );
    let notice = &captured.notices[0];
    assert_eq!(captured.notices.len(), 1);
    assert_eq!(notice.kind, NotificationKind::PaymentCaptured);
    assert!(
        notice
            .message
            .contains("we received 1000.00 by card (reference pi_auth)"),
        "{}",
        notice.message
    );
    assert!(
        notice.message.contains("Balance due: 430.59"),
        "{}",
        notice.message
    );

    // The balance, captured at once: paid.
    let rest = store
        .record_payment(order.id, &payment("430.59", "pi_rest", true))
        .await
        .unwrap();
    assert_eq!(rest.payment.status, PaymentState::Captured);
    assert_eq!(
        figures(&rest.order),
        status(PaymentStatus::Paid, "1430.59", "0.00", "0.00")
    );
    let kinds: Vec<_> = rest.notices.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NotificationKind::PaymentCaptured,
            NotificationKind::OrderPaid
        ]
    );
    assert!(rest.notices[1].message.contains("Total paid: 1430.59"));

    // The stored order says the same, with both payments in id order.
    let stored = store.order(order.id).await.unwrap();
    assert_eq!(stored, rest.order);
    let payments: Vec<_> = stored
        .payments
        .iter()
        .map(|p| {
            (
                p.reference.to_string(),
                p.amount.to_string(),
                p.status,
                p.amount_captured.to_string(),
            )
        })
        .collect();
    assert_eq!(
        payments,
        [
            (
                "pi_auth".into(),
                "1430.59".into(),
                PaymentState::Captured,
                "1000.00".into()
            ),
            (
                "pi_rest".into(),
                "430.59".into(),
                PaymentState::Captured,
                "430.59".into()
            ),
        ]
    );
    // The money ledger: each movement with the balances it leaves.
    let books = store.books().await.unwrap();
    let ledger: Vec<_> = books
        .money_ledger
        .iter()
        .filter(|e| e.order == order.id)
        .map(|e| {
            (
                e.kind,
                e.amount.to_string(),
                e.authorized_after.to_string(),
                e.captured_after.to_string(),
            )
        })
        .collect();
    let row = |kind, amount: &str, held: &str, captured: &str| {
        (
            kind,
            amount.to_owned(),
            held.to_owned(),
            captured.to_owned(),
        )
    };
    assert_eq!(
        ledger,
        [
            row(MoneyKind::Authorized, "1430.59", "1430.59", "0.00"),
            row(MoneyKind::Captured, "1000.00", "430.59", "1000.00"),
            row(MoneyKind::Released, "430.59", "0.00", "1000.00"),
            row(MoneyKind::Authorized, "430.59", "430.59", "1000.00"),
            row(MoneyKind::Captured, "430.59", "0.00", "1430.59"),
        ]
    );
    assert_eq!(
        kinds_of(store, order.id).await,
        [
            NotificationKind::OrderConfirmation,
            NotificationKind::PaymentCaptured,
            NotificationKind::PaymentCaptured,
            NotificationKind::OrderPaid,
        ]
    );
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// Every refusal of a payment, capture or void answers its code and writes nothing.
pub async fn payment_refusals_say_why_and_write_nothing<S: Store>(store: &S) {
    let order = worked_example(store).await;
    let held = store
        .record_payment(order.id, &payment("1000.00", "pi_1", false))
        .await
        .unwrap();
    let before = store.books().await.unwrap();
    let refused = |result: Result<PaymentOutcome, shopcore::PaymentError>| {
        result.expect_err("refused").code()
    };
    let unknown_order = OrderId::new(999).unwrap();
    assert_eq!(
        refused(
            store
                .record_payment(unknown_order, &payment("1.00", "x", true))
                .await
        ),
        "order_not_found"
    );
    assert_eq!(
        refused(
            store
                .record_payment(order.id, &payment("0.00", "pi_0", true))
                .await
        ),
        "invalid_amount"
    );
    // 1000.00 held + 430.60 > 1430.59.
    assert_eq!(
        refused(
            store
                .record_payment(order.id, &payment("430.60", "pi_2", true))
                .await
        ),
        "payment_exceeds_balance"
    );
    let unknown = PaymentId::new(999).unwrap();
    assert_eq!(
        refused(store.capture_payment(order.id, unknown, None).await),
        "unknown_payment"
    );
    assert_eq!(
        refused(store.void_payment(order.id, unknown).await),
        "unknown_payment"
    );
    assert_eq!(
        refused(
            store
                .capture_payment(order.id, held.payment.id, Some(money("1000.01")))
                .await
        ),
        "capture_exceeds_authorized"
    );
    assert_eq!(
        refused(
            store
                .capture_payment(order.id, held.payment.id, Some(Money::ZERO))
                .await
        ),
        "invalid_amount"
    );
    // A payment of another order is unknown on this one.
    let other = worked_example(store).await;
    assert_eq!(
        refused(store.capture_payment(other.id, held.payment.id, None).await),
        "unknown_payment"
    );
    let mid = store.books().await.unwrap();
    assert_eq!(mid.money_ledger, before.money_ledger);
    assert_eq!(
        mid.notices.len(),
        before.notices.len() + 1,
        "only the second order's confirmation"
    );

    // Captured, it can be neither captured nor voided again.
    store
        .capture_payment(order.id, held.payment.id, None)
        .await
        .unwrap();
    let after_capture = store.books().await.unwrap();
    assert_eq!(
        refused(store.capture_payment(order.id, held.payment.id, None).await),
        "payment_not_authorized"
    );
    assert_eq!(
        refused(store.void_payment(order.id, held.payment.id).await),
        "payment_not_authorized"
    );
    // A cancelled order takes no payment.
    store.cancel(other.id).await.unwrap();
    let cancelled = store.books().await.unwrap();
    assert_eq!(
        refused(
            store
                .record_payment(other.id, &payment("1.00", "pi_late", true))
                .await
        ),
        "order_cancelled"
    );
    let end = store.books().await.unwrap();
    assert_eq!(end, cancelled);
    assert_eq!(end.money_ledger, after_capture.money_ledger);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// A payment's reference is its idempotency key within its order.
pub async fn a_payment_reference_replays_the_first_payment_or_conflicts<S: Store>(store: &S) {
    let order = worked_example(store).await;
    let first = store
        .record_payment(order.id, &payment("200.00", "pi_same", true))
        .await
        .unwrap();
    let books = store.books().await.unwrap();
    let again = store
        .record_payment(order.id, &payment("200.00", "pi_same", true))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.payment, first.payment);
    assert!(again.notices.is_empty());
    let conflict = store
        .record_payment(order.id, &payment("300.00", "pi_same", true))
        .await
        .unwrap_err();
    assert_eq!(conflict.code(), "payment_reference_conflict");
    assert_eq!(
        store.books().await.unwrap(),
        books,
        "a replay and a conflict write nothing"
    );
    // References are per order, and compared exactly.
    let other = worked_example(store).await;
    let elsewhere = store
        .record_payment(other.id, &payment("300.00", "pi_same", true))
        .await
        .unwrap();
    assert!(!elsewhere.replayed);
    let cased = store
        .record_payment(order.id, &payment("300.00", "PI_SAME", true))
        .await
        .unwrap();
    assert!(!cased.replayed);
    assert_eq!(store.order(order.id).await.unwrap().payments.len(), 2);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// Shipping in two parts: statuses, per-product fulfilled units, the events.
pub async fn an_order_ships_in_parts_and_then_is_fulfilled<S: Store>(store: &S) {
    let order = worked_example(store).await;
    assert_eq!(order.fulfillment_status(), FulfillmentStatus::Unfulfilled);
    let mut first_request = shipment(Some(&[(2, 4)]));
    first_request.tracking_number = Some(TrackingNumber::parse("TRK-1").unwrap());
    let first = store.fulfill(order.id, &first_request).await.unwrap();
    assert_eq!(
        first.order.fulfillment_status(),
        FulfillmentStatus::PartiallyFulfilled
    );
    assert_eq!(first.order.fulfilled_quantity(pid(2)), 4);
    assert_eq!(first.order.fulfilled_quantity(pid(1)), 0);
    assert_eq!(
        first.fulfillment.carrier.as_ref().map(Carrier::as_str),
        Some("Aramex")
    );
    assert_eq!(
        first
            .fulfillment
            .tracking_number
            .as_ref()
            .map(TrackingNumber::as_str),
        Some("TRK-1")
    );
    assert_eq!(first.notices.len(), 1);
    let text = &first.notices[0].message;
    assert_eq!(first.notices[0].kind, NotificationKind::FulfillmentCreated);
    for part in [
        "  - 4 x Mouse",
        "Carrier: Aramex",
        "Tracking number: TRK-1",
        "Units still to ship: 7",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    // Payment is not needed first.
    assert_eq!(first.order.payment_status(), PaymentStatus::Unpaid);

    let before = store.books().await.unwrap();
    let refused =
        |r: Result<shopcore::FulfilledOrder, shopcore::FulfillmentError>| r.expect_err("refused");
    let too_many = refused(store.fulfill(order.id, &shipment(Some(&[(2, 7)]))).await);
    assert_eq!(too_many.code(), "fulfillment_exceeds_order");
    assert!(
        too_many.to_string().contains("product 2")
            && too_many.to_string().contains("6 of it remain"),
        "{too_many}"
    );
    // A product named twice ships the sum.
    assert_eq!(
        refused(
            store
                .fulfill(order.id, &shipment(Some(&[(2, 3), (2, 4)])))
                .await
        )
        .code(),
        "fulfillment_exceeds_order"
    );
    assert_eq!(
        refused(store.fulfill(order.id, &shipment(Some(&[(3, 1)]))).await).code(),
        "product_not_in_order"
    );
    assert_eq!(
        refused(store.fulfill(order.id, &shipment(Some(&[]))).await).code(),
        "invalid_request"
    );
    assert_eq!(
        refused(
            store
                .fulfill(OrderId::new(999).unwrap(), &shipment(None))
                .await
        )
        .code(),
        "order_not_found"
    );
    assert_eq!(store.books().await.unwrap(), before);

    // The rest, with no lines.
    let rest = store.fulfill(order.id, &shipment(None)).await.unwrap();
    let lines: Vec<_> = rest
        .fulfillment
        .lines
        .iter()
        .map(|l| (l.product_id.get(), l.quantity.get()))
        .collect();
    assert_eq!(lines, [(1, 1), (2, 6)]);
    assert_eq!(
        rest.order.fulfillment_status(),
        FulfillmentStatus::Fulfilled
    );
    let kinds: Vec<_> = rest.notices.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NotificationKind::FulfillmentCreated,
            NotificationKind::OrderFulfilled
        ]
    );
    assert_eq!(
        refused(store.fulfill(order.id, &shipment(None)).await).code(),
        "fulfillment_exceeds_order"
    );
    let stored = store.order(order.id).await.unwrap();
    assert_eq!(stored, rest.order);
    assert_eq!(stored.fulfillments.len(), 2);
    // Shipping moves no stock: it left at checkout.
    assert_eq!(store.product(pid(2)).await.unwrap().quantity_available, 190);
    // Once anything shipped, the whole order cannot be cancelled.
    assert_eq!(
        store.cancel(order.id).await.unwrap_err().code(),
        "order_fulfilled"
    );
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// A cancel voids open authorizations and owes back exactly what was
/// captured; a cancelled order neither ships nor takes payments.
pub async fn a_cancel_voids_authorizations_and_refunds_what_was_captured<S: Store>(store: &S) {
    let order = worked_example(store).await;
    store
        .record_payment(order.id, &payment("300.00", "pi_paid", true))
        .await
        .unwrap();
    let held = store
        .record_payment(order.id, &payment("500.00", "pi_held", false))
        .await
        .unwrap();
    let cancelled = store.cancel(order.id).await.unwrap();
    assert_eq!(cancelled.refund_due, money("300.00"));
    assert_eq!(cancelled.order.refund_due, money("300.00"));
    assert!(
        cancelled.notice.message.contains("Refund due: 300.00"),
        "{}",
        cancelled.notice.message
    );
    let stored = store.order(order.id).await.unwrap();
    assert_eq!(stored, cancelled.order);
    assert_eq!(
        stored.payment(held.payment.id).unwrap().status,
        PaymentState::Voided
    );
    assert_eq!(stored.amount_authorized(), Money::ZERO);
    assert_eq!(stored.amount_paid(), money("300.00"));
    assert_eq!(stored.balance_due(), Money::ZERO);
    assert_eq!(
        kinds_of(store, order.id).await,
        [
            NotificationKind::OrderConfirmation,
            NotificationKind::PaymentCaptured,
            NotificationKind::OrderCancellation,
            NotificationKind::RefundCreated,
            NotificationKind::PaymentVoided,
        ]
    );
    // What was captured is refunded: a refund record, through the payment.
    assert_eq!(stored.refunds.len(), 1);
    assert_eq!(stored.refunds[0].amount, money("300.00"));
    assert_eq!(stored.amount_refunded(), money("300.00"));
    let voided = store
        .void_payment(order.id, held.payment.id)
        .await
        .unwrap_err();
    assert_eq!(voided.code(), "order_cancelled");
    let shipped = store.fulfill(order.id, &shipment(None)).await.unwrap_err();
    assert_eq!(shipped.code(), "order_cancelled");
    // Nothing captured: nothing is owed back.
    let unpaid = worked_example(store).await;
    let cancelled = store.cancel(unpaid.id).await.unwrap();
    assert_eq!(cancelled.refund_due, Money::ZERO);
    assert!(cancelled.notice.message.contains("Refund due: 0.00"));
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// Races on one order have one winner: two payments for one balance, one
/// reference sent eight times, two shipments for the last units, a cancel
/// and a shipment.
pub async fn races_on_one_order_have_one_winner<S: Store>(store: &S) {
    // Two payments of 1000.00 on 1430.59: exactly one is placed.
    let order = worked_example(store).await;
    let requests = [
        payment("1000.00", "pi_a", true),
        payment("1000.00", "pi_b", true),
    ];
    let answers = concurrently(
        requests
            .iter()
            .map(|r| store.record_payment(order.id, r))
            .collect(),
    )
    .await;
    let codes: Vec<_> = answers
        .iter()
        .map(|a| a.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["ok", "payment_exceeds_balance"], "{codes:?}");
    assert_eq!(
        store.order(order.id).await.unwrap().amount_paid(),
        money("1000.00")
    );

    // One reference eight times: one payment, seven replays of it.
    let same = payment("100.00", "pi_retry", true);
    let answers = concurrently(
        (0..8)
            .map(|_| store.record_payment(order.id, &same))
            .collect(),
    )
    .await;
    let outcomes: Vec<_> = answers
        .into_iter()
        .map(|a| a.expect("recorded or replayed"))
        .collect();
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1);
    assert!(outcomes
        .iter()
        .all(|o| o.payment.id == outcomes[0].payment.id));
    assert_eq!(store.order(order.id).await.unwrap().payments.len(), 2);

    // Two shipments of 6 of the 10 mice: one ships, one is refused.
    let requests = [shipment(Some(&[(2, 6)])), shipment(Some(&[(2, 6)]))];
    let answers = concurrently(
        requests
            .iter()
            .map(|r| store.fulfill(order.id, r))
            .collect(),
    )
    .await;
    let mut codes: Vec<_> = answers
        .iter()
        .map(|a| a.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, ["fulfillment_exceeds_order", "ok"]);
    assert_eq!(
        store
            .order(order.id)
            .await
            .unwrap()
            .fulfilled_quantity(pid(2)),
        6
    );

    // A cancel and a shipment: exactly one wins.
    let contested = worked_example(store).await;
    let ship = shipment(None);
    let (cancel, fulfill) = futures_join(
        store.cancel(contested.id),
        store.fulfill(contested.id, &ship),
    )
    .await;
    match (cancel, fulfill) {
        (Ok(_), Err(refused)) => assert_eq!(refused.code(), "order_cancelled"),
        (Err(refused), Ok(_)) => assert_eq!(refused.code(), "order_fulfilled"),
        (cancel, fulfill) => panic!("both or neither won: {cancel:?} / {fulfill:?}"),
    }
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// Polls two futures together until both are done.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut first, mut second) = (None, None);
    std::future::poll_fn(move |cx| {
        if first.is_none() {
            if let std::task::Poll::Ready(out) = a.as_mut().poll(cx) {
                first = Some(out);
            }
        }
        if second.is_none() {
            if let std::task::Poll::Ready(out) = b.as_mut().poll(cx) {
                second = Some(out);
            }
        }
        match (first.take(), second.take()) {
            (Some(x), Some(y)) => std::task::Poll::Ready((x, y)),
            (x, y) => {
                (first, second) = (x, y);
                std::task::Poll::Pending
            }
        }
    })
    .await
}
