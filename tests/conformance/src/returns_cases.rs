//! Returns, partial cancels and refunds: every step's share of a line to the
//! cent, the steps of a line summing to what it cost, points back and
//! revoked, refusals that write nothing, and races for the same units or
//! money with one winner. Every figure below is worked out by hand in the
//! comments, not read back from the code.

use std::future::Future;
use std::pin::Pin;

use chrono::Duration;
use shopcore::{
    Coupon, CouponCode, CouponValue, CustomerId, ErrorCode, FulfillmentRequest, LineQuantity,
    Money, NotificationKind, Order, OrderId, OrderStatus, PaymentRequest, PaymentState,
    PaymentStatus, ProductId, Quantity, ReasonText, RefundKind, RefundRequest, ReturnRequest,
    ReturnRequester, ReturnStatus, Store,
};

use crate::cases::{audit_findings, request};
use crate::throttle_cases::concurrently;

fn money(text: &str) -> Money {
    text.parse().expect("test amount")
}

fn pid(id: i64) -> ProductId {
    ProductId::new(id).expect("test id")
}

fn lines(units: &[(i64, i64)]) -> Vec<LineQuantity> {
    units
        .iter()
        .map(|&(id, n)| LineQuantity {
            product_id: pid(id),
            quantity: Quantity::new(n).expect("test quantity"),
        })
        .collect()
}

fn staff_return(units: &[(i64, i64)], restock: bool) -> ReturnRequest {
    ReturnRequest {
        lines: lines(units),
        restock,
        reason: Some(ReasonText::parse("changed mind").expect("test reason")),
        key: None,
    }
}

fn goodwill(amount: &str, reason: Option<&str>) -> RefundRequest {
    RefundRequest {
        amount: money(amount),
        reason: reason.map(|r| ReasonText::parse(r).expect("test reason")),
        key: None,
    }
}

fn captured(amount: &str, reference: &str) -> PaymentRequest {
    PaymentRequest {
        amount: money(amount),
        method: "card".parse().expect("test method"),
        reference: reference.parse().expect("test reference"),
        capture: true,
    }
}

fn everything() -> FulfillmentRequest {
    FulfillmentRequest {
        lines: None,
        carrier: None,
        tracking_number: None,
    }
}

fn customer_window(days: i64) -> ReturnRequester {
    ReturnRequester::Customer {
        window: Duration::days(days),
    }
}

async fn stock<S: Store>(store: &S, id: i64) -> u32 {
    store.product(pid(id)).await.unwrap().quantity_available
}

async fn points<S: Store>(store: &S, id: i64) -> i64 {
    store
        .customer(CustomerId::new(id).unwrap())
        .await
        .unwrap()
        .loyalty_points
}

async fn notices_of<S: Store>(store: &S, order: OrderId) -> Vec<NotificationKind> {
    let mut logged = store
        .notifications(shopcore::NotificationFilter {
            order_id: Some(order),
            customer_id: None,
        })
        .await
        .unwrap();
    logged.reverse(); // oldest first
    logged.into_iter().map(|n| n.kind).collect()
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

/// The README's order: the worked example with the 10 % coupon SAVE10 and
/// Ahmed's 100 points, 1286.39.
async fn readme_order<S: Store>(store: &S) -> Order {
    store
        .create_coupon(Coupon::new(
            CouponCode::parse("SAVE10").unwrap(),
            CouponValue::PercentOff("10".parse().unwrap()),
        ))
        .await
        .unwrap();
    let mut order = request(1, &[(1, 1), (2, 10)], None);
    order.coupon = Some(CouponCode::parse("SAVE10").unwrap());
    order.redeem_points = 100;
    let placed = store.checkout(&order, None).await.expect("checkout");
    assert_eq!(placed.order.total_amount, money("1286.39"));
    placed.order
}

/// The README's order, paid, shipped, 3 mice returned and then the other 7:
/// the two refunds sum exactly to what the mice cost.
pub async fn the_readme_order_returns_three_mice_then_seven_to_the_cent<S: Store>(store: &S) {
    let order = readme_order(store).await;
    // Net per line (coupon 100.00 / 25.49, points 0.80 / 0.20): laptop
    // 899.19, mice 229.22. Tax 157.98 split by net: 157.98 × 899.19 / 1128.41
    // = 125.888… and × 229.22 / 1128.41 = 32.091…: floors 125.88 + 32.09 =
    // 157.97, the cent left goes to the larger remainder (the laptop).
    // Points 100 split by points share 0.80 / 0.20: 80 and 20.
    let costs: Vec<_> = order
        .items
        .iter()
        .map(|i| (i.tax.to_string(), i.points_redeemed))
        .collect();
    assert_eq!(costs, [("125.89".to_owned(), 80), ("32.09".to_owned(), 20)]);
    assert_eq!(order.points_earned, 112); // floor(1128.41 / 10)
    store
        .record_payment(order.id, &captured("1286.39", "pi_readme"))
        .await
        .unwrap();
    store.fulfill(order.id, &everything()).await.unwrap();
    let mice_stock = stock(store, 2).await;
    let ahmed = points(store, 1).await;
    assert_eq!(ahmed, 112); // 100 − 100 redeemed + 112 earned

    // 3 of 10 mice: 229.22 × 3/10 = 68.766 → 68.77; tax 32.09 × 3/10 =
    // 9.627 → 9.63; points 20 × 3/10 = 6. Refund 78.40.
    let first = store
        .create_return(
            order.id,
            &staff_return(&[(2, 3)], true),
            ReturnRequester::Staff,
        )
        .await
        .unwrap();
    let returned = first.returned.clone().unwrap();
    assert_eq!(returned.status, ReturnStatus::Received);
    assert!(!returned.requested_by_customer);
    let refund = first.refund.clone().unwrap();
    assert_eq!(refund.kind, RefundKind::Return);
    assert_eq!(refund.return_id, Some(returned.id));
    assert_eq!(
        (refund.amount, refund.tax, refund.points_returned),
        (money("78.40"), money("9.63"), 6)
    );
    assert_eq!(refund.lines.len(), 1);
    assert_eq!(refund.lines[0].amount, money("78.40"));
    assert_eq!(refund.parts.len(), 1);
    assert_eq!(refund.parts[0].amount, money("78.40"));
    // The kept units earn floor(1059.64 / 10) = 105: 7 revoked.
    assert_eq!(points(store, 1).await, ahmed + 6 - 7);
    assert_eq!(stock(store, 2).await, mice_stock + 3);
    assert_eq!(
        first.order.payment_status(),
        PaymentStatus::PartiallyRefunded
    );
    assert_eq!(first.order.balance_due(), Money::ZERO);

    // The other 7: exactly what is left, 229.22 − 68.77 = 160.45 and
    // 32.09 − 9.63 = 22.46 (182.91), points 14; the kept laptop earns
    // floor(899.19 / 10) = 89: 16 more revoked.
    let second = store
        .create_return(
            order.id,
            &staff_return(&[(2, 7)], true),
            ReturnRequester::Staff,
        )
        .await
        .unwrap();
    let refund = second.refund.clone().unwrap();
    assert_eq!(
        (refund.amount, refund.tax, refund.points_returned),
        (money("182.91"), money("22.46"), 14)
    );
    assert_eq!(points(store, 1).await, ahmed + 6 - 7 + 14 - 16);
    let stored = store.order(order.id).await.unwrap();
    assert_eq!(stored, second.order);
    // 78.40 + 182.91 = 261.31 = 229.22 + 32.09, what the mice cost.
    assert_eq!(stored.amount_refunded(), money("261.31"));
    assert_eq!(stored.refunded_amount(pid(2)), money("261.31"));
    assert_eq!(stored.returned_quantity(pid(2)), 10);
    assert_eq!(stored.amount_due(), money("1025.08")); // 1286.39 − 261.31
    assert_eq!(stored.points_kept(), 89);
    assert_eq!(stored.returns.len(), 2);
    assert_eq!(stored.refunds.len(), 2);
    // The kept units cost what they were sold at: nothing is re-priced.
    assert_eq!(stored.total_amount, money("1286.39"));
    let kinds = notices_of(store, order.id).await;
    let count = |kind| kinds.iter().filter(|k| **k == kind).count();
    assert_eq!(count(NotificationKind::ReturnReceived), 2);
    assert_eq!(count(NotificationKind::RefundCreated), 2);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// A partial cancel of an unpaid order lowers what is due by the units'
/// exact share, restocks them, releases the authorization above it and
/// revokes the points the kept units no longer earn; cancelling every
/// remaining unit is the whole cancel.
pub async fn a_partial_cancel_lowers_what_is_due_and_releases_the_authorization<S: Store>(
    store: &S,
) {
    let order = worked_example(store).await;
    let held = store
        .record_payment(
            order.id,
            &PaymentRequest {
                capture: false,
                ..captured("1430.59", "pi_held")
            },
        )
        .await
        .unwrap();
    let mice = stock(store, 2).await;
    let ahmed = points(store, 1).await; // 100 + 125 earned
    assert_eq!(ahmed, 225);

    // 3 of 10 mice: 254.91 × 3/10 = 76.473 → 76.47; the line's tax 35.69
    // (175.69 split by net: 140.0021… and 35.6887…, the cent left to the
    // mice) × 3/10 = 10.707 → 10.71. Due 1430.59 − 87.18 = 1343.41.
    let cancelled = store
        .cancel_units(order.id, &lines(&[(2, 3)]))
        .await
        .unwrap();
    assert_eq!(cancelled.order.status, OrderStatus::Created);
    assert_eq!(cancelled.notice.kind, NotificationKind::UnitsCancelled);
    assert!(
        cancelled.notice.message.contains("Balance due: 1343.41"),
        "{}",
        cancelled.notice.message
    );
    assert_eq!(cancelled.cancelled_lines.len(), 1);
    let line = cancelled.cancelled_lines[0];
    assert_eq!((line.amount, line.tax), (money("76.47"), money("10.71")));
    assert_eq!(cancelled.refund, None);
    assert_eq!(cancelled.refund_due, Money::ZERO);
    let stored = store.order(order.id).await.unwrap();
    assert_eq!(stored, cancelled.order);
    assert_eq!(stored.cancelled_quantity(pid(2)), 3);
    assert_eq!(stored.amount_due(), money("1343.41"));
    assert_eq!(stored.balance_due(), money("1343.41"));
    // The authorization above what is due is released: 87.18 of it.
    let payment = stored.payment(held.payment.id).unwrap();
    assert_eq!(payment.status, PaymentState::Authorized);
    assert_eq!(payment.amount_released, money("87.18"));
    assert_eq!(stored.amount_authorized(), money("1343.41"));
    assert_eq!(stock(store, 2).await, mice + 3);
    // Kept units earn floor((1254.90 − 76.47) / 10) = 117: 8 revoked.
    assert_eq!(cancelled.points_revoked, 8);
    assert_eq!(points(store, 1).await, ahmed - 8);

    // Capturing all that is held pays the kept units in full.
    let paid = store
        .capture_payment(order.id, held.payment.id, None)
        .await
        .unwrap();
    assert_eq!(paid.payment.amount_captured, money("1343.41"));
    assert_eq!(paid.order.payment_status(), PaymentStatus::Paid);

    // Cancelling every unit left is the whole cancel: everything paid comes back.
    let whole = store
        .cancel_units(order.id, &lines(&[(1, 1), (2, 7)]))
        .await
        .unwrap();
    assert_eq!(whole.order.status, OrderStatus::Cancelled);
    assert_eq!(whole.notice.kind, NotificationKind::OrderCancellation);
    assert_eq!(whole.refund_due, money("1343.41"));
    let refund = whole.refund.unwrap();
    assert_eq!(refund.kind, RefundKind::Cancellation);
    assert_eq!(refund.amount, money("1343.41"));
    // The mice's three steps sum to the line: 76.47 + 178.44 = 254.91.
    let stored = store.order(order.id).await.unwrap();
    assert_eq!(stored.released(pid(2)).amount, money("254.91"));
    assert_eq!(stored.released(pid(2)).tax, money("35.69"));
    assert_eq!(stored.payment_status(), PaymentStatus::Refunded);
    assert_eq!(stock(store, 2).await, mice + 10);
    assert_eq!(points(store, 1).await, 100);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// A partial cancel of a paid order refunds the units' exact share; after a
/// shipment, cancelling the rest completes it (`order_fulfilled`).
pub async fn a_partial_cancel_of_a_paid_order_refunds_the_units_share<S: Store>(store: &S) {
    let order = worked_example(store).await;
    store
        .record_payment(order.id, &captured("1430.59", "pi_all"))
        .await
        .unwrap();
    store
        .fulfill(
            order.id,
            &FulfillmentRequest {
                lines: Some(vec![shopcore::FulfillmentLine {
                    product_id: pid(1),
                    quantity: Quantity::new(1).unwrap(),
                }]),
                ..everything()
            },
        )
        .await
        .unwrap();
    // The laptop shipped: it cannot be cancelled, the mice can.
    let refused = store
        .cancel_units(order.id, &lines(&[(1, 1)]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "cancel_exceeds_unfulfilled");
    assert_eq!(
        store.cancel(order.id).await.unwrap_err().code(),
        "order_fulfilled"
    );
    let cancelled = store
        .cancel_units(order.id, &lines(&[(2, 10)]))
        .await
        .unwrap();
    // All 10 mice: exactly their line, 254.91 + 35.69 = 290.60.
    let refund = cancelled.refund.unwrap();
    assert_eq!(
        (refund.amount, refund.tax, refund.kind),
        (money("290.60"), money("35.69"), RefundKind::Cancellation)
    );
    assert_eq!(cancelled.order.status, OrderStatus::Created);
    assert_eq!(
        cancelled.order.fulfillment_status(),
        shopcore::FulfillmentStatus::Fulfilled
    );
    assert_eq!(cancelled.order.amount_due(), money("1139.99")); // 999.99 + 140.00
    assert_eq!(cancelled.order.balance_due(), Money::ZERO);
    let kinds = notices_of(store, order.id).await;
    assert_eq!(
        kinds[kinds.len() - 3..],
        [
            NotificationKind::UnitsCancelled,
            NotificationKind::OrderFulfilled,
            NotificationKind::RefundCreated
        ]
    );
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// A customer asks for a return within the window; staff receive it (its
/// refund is then made) or reject it; open requests hold their units.
pub async fn a_customer_requests_returns_that_staff_receive_or_reject<S: Store>(store: &S) {
    let order = worked_example(store).await;
    store
        .record_payment(order.id, &captured("1430.59", "pi_all"))
        .await
        .unwrap();
    store.fulfill(order.id, &everything()).await.unwrap();
    let mice = stock(store, 2).await;
    let asked = store
        .create_return(
            order.id,
            &staff_return(&[(2, 2)], true),
            customer_window(30),
        )
        .await
        .unwrap();
    let requested = asked.returned.unwrap();
    assert_eq!(requested.status, ReturnStatus::Requested);
    assert!(requested.requested_by_customer);
    assert_eq!(asked.refund, None);
    assert_eq!(asked.order.amount_refunded(), Money::ZERO);
    // 2 of 10 are asked back: at most 8 more.
    let too_many = store
        .create_return(
            order.id,
            &staff_return(&[(2, 9)], true),
            customer_window(30),
        )
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), "return_exceeds_fulfilled");
    let listed = store.returns(Some(ReturnStatus::Requested)).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&requested));

    // Received without restocking: the refund is 2 of 10 mice, 254.91 × 2/10
    // = 50.982 → 50.98 and 35.69 × 2/10 = 7.138 → 7.14: 58.12.
    let received = store
        .receive_return(requested.id, Some(false))
        .await
        .unwrap();
    let receipt = received.returned.unwrap();
    assert_eq!(receipt.status, ReturnStatus::Received);
    assert!(!receipt.restock, "staff decided on receipt");
    assert_eq!(received.refund.unwrap().amount, money("58.12"));
    assert_eq!(stock(store, 2).await, mice);
    let again = store.receive_return(requested.id, None).await.unwrap_err();
    assert_eq!(again.code(), "return_not_requested");

    // Another request is rejected: nothing changes but its status.
    let other = store
        .create_return(
            order.id,
            &staff_return(&[(1, 1)], true),
            customer_window(30),
        )
        .await
        .unwrap()
        .returned
        .unwrap();
    let before = store.books().await.unwrap();
    let rejected = store.reject_return(other.id).await.unwrap();
    assert_eq!(rejected.returned.unwrap().status, ReturnStatus::Rejected);
    let after = store.books().await.unwrap();
    assert_eq!(before.money_ledger, after.money_ledger);
    assert_eq!(before.stock, after.stock);
    assert_eq!(
        store.reject_return(other.id).await.unwrap_err().code(),
        "return_not_requested"
    );
    let unknown = shopcore::ReturnId::new(9_999).unwrap();
    assert_eq!(
        store
            .receive_return(unknown, None)
            .await
            .unwrap_err()
            .code(),
        "unknown_return"
    );
    // Past the window: a window of 0 days closed when the units shipped.
    let late = store
        .create_return(order.id, &staff_return(&[(2, 1)], true), customer_window(0))
        .await
        .unwrap_err();
    assert_eq!(late.code(), "return_window_closed");
    // Staff are not limited by it.
    store
        .create_return(
            order.id,
            &staff_return(&[(2, 1)], true),
            ReturnRequester::Staff,
        )
        .await
        .unwrap();
    // Three returns, listed by id a page at a time.
    let all = store.returns(None).await.unwrap();
    assert_eq!(all.len(), 3);
    let one = shopcore::PageLimit::new(1).unwrap();
    let first = store.return_page(None, None, one).await.unwrap();
    assert_eq!(
        (first.items.as_slice(), first.next),
        (&all[..1], Some(all[0].id))
    );
    let two = shopcore::PageLimit::new(2).unwrap();
    let rest = store.return_page(None, first.next, two).await.unwrap();
    assert_eq!((rest.items.as_slice(), rest.next), (&all[1..], None));
    let received = store
        .return_page(Some(ReturnStatus::Received), None, two)
        .await
        .unwrap();
    assert_eq!(received.items, [all[0].clone(), all[2].clone()]);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// Goodwill refunds pay back at most what is captured and not refunded,
/// owe nothing back, and a later cancel refunds only what is still held.
pub async fn goodwill_refunds_pay_back_at_most_what_was_captured<S: Store>(store: &S) {
    let order = worked_example(store).await;
    store
        .record_payment(order.id, &captured("500.00", "pi_part"))
        .await
        .unwrap();
    let first = store
        .refund(order.id, &goodwill("100.00", Some("late delivery")))
        .await
        .unwrap();
    let refund = first.refund.unwrap();
    assert_eq!(
        (refund.kind, refund.amount, refund.tax),
        (RefundKind::Goodwill, money("100.00"), Money::ZERO)
    );
    assert!(refund.lines.is_empty());
    assert_eq!(
        first.order.payment_status(),
        PaymentStatus::PartiallyRefunded
    );
    // A goodwill refund owes nothing back: still 930.59 to pay.
    assert_eq!(first.order.balance_due(), money("930.59"));
    assert!(first
        .notices
        .iter()
        .any(|n| n.message.contains("late delivery")));
    let too_much = store
        .refund(order.id, &goodwill("400.01", None))
        .await
        .unwrap_err();
    assert_eq!(too_much.code(), "refund_exceeds_paid");
    let zero = store
        .refund(order.id, &goodwill("0.00", None))
        .await
        .unwrap_err();
    assert_eq!(zero.code(), "invalid_amount");
    let rest = store
        .refund(order.id, &goodwill("400.00", None))
        .await
        .unwrap();
    assert_eq!(rest.order.payment_status(), PaymentStatus::Refunded);
    // Nothing is held any more: the cancel refunds nothing.
    let cancelled = store.cancel(order.id).await.unwrap();
    assert_eq!(cancelled.refund_due, Money::ZERO);
    assert_eq!(cancelled.refund, None);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// Every refusal says why and writes nothing.
pub async fn return_and_cancel_refusals_say_why_and_write_nothing<S: Store>(store: &S) {
    let order = worked_example(store).await;
    let before = store.books().await.unwrap();
    let cancel = |units: &[(i64, i64)]| {
        let asked = lines(units);
        async move {
            store
                .cancel_units(order.id, &asked)
                .await
                .unwrap_err()
                .code()
        }
    };
    assert_eq!(cancel(&[(2, 11)]).await, "cancel_exceeds_unfulfilled");
    assert_eq!(
        cancel(&[(2, 6), (2, 5)]).await,
        "cancel_exceeds_unfulfilled"
    );
    assert_eq!(cancel(&[(3, 1)]).await, "product_not_in_order");
    assert_eq!(cancel(&[]).await, "invalid_request");
    let missing = OrderId::new(9_999).unwrap();
    assert_eq!(
        store
            .cancel_units(missing, &lines(&[(2, 1)]))
            .await
            .unwrap_err()
            .code(),
        "order_not_found"
    );
    let staff = ReturnRequester::Staff;
    let ret = |units: &[(i64, i64)]| {
        let asked = staff_return(units, true);
        async move {
            store
                .create_return(order.id, &asked, staff)
                .await
                .unwrap_err()
                .code()
        }
    };
    assert_eq!(ret(&[(2, 1)]).await, "return_exceeds_fulfilled");
    assert_eq!(ret(&[(4, 1)]).await, "product_not_in_order");
    assert_eq!(
        store
            .refund(order.id, &goodwill("0.01", None))
            .await
            .unwrap_err()
            .code(),
        "refund_exceeds_paid"
    );
    assert_eq!(
        store
            .refund(missing, &goodwill("1.00", None))
            .await
            .unwrap_err()
            .code(),
        "order_not_found"
    );
    let after = store.books().await.unwrap();
    assert_eq!(before.orders, after.orders);
    assert_eq!(before.stock, after.stock);
    assert_eq!(before.points, after.points);
    assert_eq!(before.notices, after.notices);
    assert_eq!(before.money_ledger, after.money_ledger);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// Races: two returns for the same units, two refunds for the same money, a
/// partial cancel and a shipment of the same units — never more than there is.
pub async fn races_for_the_same_units_or_money_have_one_winner<S: Store>(store: &S) {
    let order = worked_example(store).await;
    store
        .record_payment(order.id, &captured("1430.59", "pi_all"))
        .await
        .unwrap();
    store.fulfill(order.id, &everything()).await.unwrap();
    let requests = [
        staff_return(&[(2, 10)], true),
        staff_return(&[(2, 10)], true),
    ];
    let answers = concurrently(
        requests
            .iter()
            .map(|r| store.create_return(order.id, r, ReturnRequester::Staff))
            .collect(),
    )
    .await;
    let mut codes: Vec<_> = answers
        .iter()
        .map(|a| a.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, ["ok", "return_exceeds_fulfilled"]);
    assert_eq!(
        store
            .order(order.id)
            .await
            .unwrap()
            .returned_quantity(pid(2)),
        10
    );

    // Two goodwill refunds of 1000.00 of the 1140.00 still held: one.
    let thousand = goodwill("1000.00", None);
    let answers = concurrently((0..2).map(|_| store.refund(order.id, &thousand)).collect()).await;
    let mut codes: Vec<_> = answers
        .iter()
        .map(|a| a.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, ["ok", "refund_exceeds_paid"]);

    // A partial cancel and a shipment of the same 10 mice: one of them.
    let second = worked_example(store).await;
    let ship = FulfillmentRequest {
        lines: Some(vec![shopcore::FulfillmentLine {
            product_id: pid(2),
            quantity: Quantity::new(10).unwrap(),
        }]),
        ..everything()
    };
    let mice = lines(&[(2, 10)]);
    type Step<'a> = Pin<Box<dyn Future<Output = Result<(), &'static str>> + Send + 'a>>;
    let steps: Vec<Step<'_>> = vec![
        Box::pin(async {
            store
                .cancel_units(second.id, &mice)
                .await
                .map(|_| ())
                .map_err(|e| e.code())
        }),
        Box::pin(async {
            store
                .fulfill(second.id, &ship)
                .await
                .map(|_| ())
                .map_err(|e| e.code())
        }),
    ];
    let answers = concurrently(steps).await;
    let won = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(won, 1, "{answers:?}");
    let stored = store.order(second.id).await.unwrap();
    assert_eq!(
        stored.cancelled_quantity(pid(2)) + stored.fulfilled_quantity(pid(2)),
        10
    );
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}

/// A return or refund request sent again with its idempotency key answers
/// the first one and writes nothing; the key with another request is
/// `idempotency_conflict`; keys are per order.
pub async fn return_and_refund_keys_replay_the_first_answer<S: Store>(store: &S) {
    let order = worked_example(store).await;
    store
        .record_payment(order.id, &captured("1430.59", "pi_all"))
        .await
        .unwrap();
    store.fulfill(order.id, &everything()).await.unwrap();
    let key = || Some(shopcore::IdempotencyKey::parse("ret-1").unwrap());
    let request = ReturnRequest {
        key: key(),
        ..staff_return(&[(2, 3)], true)
    };
    let first = store
        .create_return(order.id, &request, ReturnRequester::Staff)
        .await
        .unwrap();
    assert!(!first.replayed);
    let books = store.books().await.unwrap();
    let again = store
        .create_return(order.id, &request, ReturnRequester::Staff)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.returned, first.returned);
    assert_eq!(again.refund, first.refund);
    assert!(again.notices.is_empty());
    assert_eq!(store.books().await.unwrap(), books);
    let other = ReturnRequest {
        key: key(),
        ..staff_return(&[(2, 2)], true)
    };
    let conflict = store
        .create_return(order.id, &other, ReturnRequester::Staff)
        .await
        .unwrap_err();
    assert_eq!(conflict.code(), "idempotency_conflict");

    // Refunds have keys of their own: the same text is a new key for them.
    let refund = RefundRequest {
        key: key(),
        ..goodwill("5.00", Some("late"))
    };
    let made = store.refund(order.id, &refund).await.unwrap();
    assert!(!made.replayed);
    let replay = store.refund(order.id, &refund).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.refund, made.refund);
    let changed = RefundRequest {
        key: key(),
        ..goodwill("6.00", Some("late"))
    };
    assert_eq!(
        store.refund(order.id, &changed).await.unwrap_err().code(),
        "idempotency_conflict"
    );
    let refunded = store.order(order.id).await.unwrap().amount_refunded();
    // 3 mice (254.91 × 3/10 = 76.47, 35.69 × 3/10 = 10.71) and 5.00, once each.
    assert_eq!(refunded, money("92.18"));

    // Another order may use the same key.
    let second = worked_example(store).await;
    store
        .record_payment(second.id, &captured("1430.59", "pi_2"))
        .await
        .unwrap();
    let elsewhere = store.refund(second.id, &refund).await.unwrap();
    assert!(!elsewhere.replayed);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
}
