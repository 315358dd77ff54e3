//! The audit finds each kind of damage, and nothing on clean books.

use chrono::DateTime;

use super::*;
use crate::orders::order::OrderItem;
use crate::seed;
use crate::values::quantity::Quantity;
use crate::values::text::Region;

fn pid(id: i64) -> ProductId {
    ProductId::new(id).unwrap()
}

fn cid(id: i64) -> CustomerId {
    CustomerId::new(id).unwrap()
}

fn oid(id: i64) -> OrderId {
    OrderId::new(id).unwrap()
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

fn item(product: i64, quantity: i64, unit: &str, discount: &str, total: &str) -> OrderItem {
    OrderItem {
        product_id: pid(product),
        quantity: Quantity::new(quantity).unwrap(),
        unit_price: money(unit),
        discount: money(discount),
        line_total: money(total),
        coupon_share: crate::Money::ZERO,
        points_share: crate::Money::ZERO,
        tax: crate::Money::ZERO,
        points_redeemed: 0,
    }
}

/// `items` with the order's `tax` (and `points`) on the first line: the
/// audit checks only that the lines hold the order's.
fn with_costs(mut items: Vec<OrderItem>, tax: &str, points: u64) -> Vec<OrderItem> {
    items[0].tax = money(tax);
    items[0].points_redeemed = points;
    items
}

fn stock(product: i64, change: i64, after: u32, reason: Reason) -> StockEntry {
    StockEntry {
        product: pid(product),
        change,
        after,
        reason,
        at: DateTime::UNIX_EPOCH,
    }
}

fn points(customer: i64, change: i64, after: i64, reason: Reason) -> PointsEntry {
    PointsEntry {
        customer: cid(customer),
        change,
        after,
        reason,
        at: DateTime::UNIX_EPOCH,
    }
}

/// The seed, then: order 1 (Ahmed, the worked example) cancelled after Ahmed
/// spent 200 points (he then owes 100); order 2 (Omar, 2 monitors) live; 5 headphones added.
fn clean() -> (Opening, Books) {
    let data = seed::demo_data();
    let order =
        |id, customer, items, subtotal: &str, tax: &str, total: &str, earned, status| Order {
            id: oid(id),
            coupon: None,
            coupon_discount: crate::Money::ZERO,
            points_redeemed: 0,
            points_value: crate::Money::ZERO,
            customer_id: cid(customer),
            status,
            region: Region::parse("Cairo").unwrap(),
            items: with_costs(items, tax, 0),
            subtotal: money(subtotal),
            tax: money(tax),
            total_amount: money(total),
            points_earned: earned,
            created_at: DateTime::UNIX_EPOCH,
            payments: Vec::new(),
            fulfillments: Vec::new(),
            refund_due: crate::Money::ZERO,
            rounding: crate::RoundingMode::HalfUp,
            releases: Vec::new(),
            returns: Vec::new(),
            refunds: Vec::new(),
        };
    let books = Books {
        stock: vec![
            (pid(1), 50),
            (pid(2), 200),
            (pid(3), 150),
            (pid(4), 73),
            (pid(5), 105),
        ],
        points: vec![(cid(1), -100), (cid(2), 250), (cid(3), 109)],
        orders: vec![
            order(
                1,
                1,
                vec![
                    item(1, 1, "999.99", "0.00", "999.99"),
                    item(2, 10, "29.99", "44.99", "254.91"),
                ],
                "1254.90",
                "175.69",
                "1430.59",
                125,
                OrderStatus::Cancelled,
            ),
            order(
                2,
                3,
                vec![item(4, 2, "299.99", "0.00", "599.98")],
                "599.98",
                "84.00",
                "683.98",
                59,
                OrderStatus::Created,
            ),
        ],
        notices: vec![
            (oid(1), NotificationKind::OrderConfirmation),
            (oid(2), NotificationKind::OrderConfirmation),
            (oid(1), NotificationKind::OrderCancellation),
            (oid(2), NotificationKind::OrderConfirmation), // a resend
        ],
        stock_ledger: vec![
            stock(1, -1, 49, Reason::Order(oid(1))),
            stock(2, -10, 190, Reason::Order(oid(1))),
            stock(4, -2, 73, Reason::Order(oid(2))),
            stock(5, 5, 105, Reason::Manual),
            stock(1, 1, 50, Reason::Cancel(oid(1))),
            stock(2, 10, 200, Reason::Cancel(oid(1))),
        ],
        points_ledger: vec![
            points(1, 125, 225, Reason::Order(oid(1))),
            points(3, 59, 109, Reason::Order(oid(2))),
            points(1, -200, 25, Reason::Manual),
            // All 125 earned points are revoked, 100 of them already spent.
            points(1, -125, -100, Reason::Cancel(oid(1))),
        ],
        money_ledger: vec![],
    };
    (Opening::from_seed(&data), books)
}

#[test]
fn clean_books_balance() {
    let (opening, books) = clean();
    assert_eq!(audit(&opening, &books), vec![]);
}

/// Applies `damage` to clean books and returns what the audit finds.
fn found_after(damage: impl FnOnce(&mut Books)) -> Vec<Discrepancy> {
    let (opening, mut books) = clean();
    damage(&mut books);
    audit(&opening, &books)
}

#[test]
fn stock_gone_without_a_movement_breaks_the_balance_and_the_ledger_end() {
    let found = found_after(|b| b.stock[2].1 -= 1);
    assert_eq!(
        found,
        vec![
            Discrepancy::Balance {
                account: Account::Stock(pid(3)),
                stored: 149,
                opening: 150,
                orders: 0,
                cancels: 0,
                manual: 0
            },
            Discrepancy::LedgerEnd {
                account: Account::Stock(pid(3)),
                stored: 149,
                ledger: 150
            },
        ]
    );
    assert_eq!(
        found[0].to_string(),
        "product 3: stock 149, books say 150 opening +0 by orders +0 by cancels +0 manual = 150"
    );
}

#[test]
fn a_lost_manual_entry_is_found_in_the_balance() {
    let found = found_after(|b| {
        b.stock_ledger.remove(3);
    });
    assert!(
        matches!(found[0], Discrepancy::Balance { account: Account::Stock(p), manual: 0, .. } if p == pid(5))
    );
}

#[test]
fn a_wrong_after_breaks_the_chain_at_that_entry_and_the_next() {
    let found = found_after(|b| b.points_ledger[2].after = 26);
    assert_eq!(
        found,
        vec![
            Discrepancy::Chain {
                account: Account::Points(cid(1)),
                entry: 1,
                expected: 25,
                recorded: 26
            },
            Discrepancy::Chain {
                account: Account::Points(cid(1)),
                entry: 2,
                expected: -99,
                recorded: -100
            },
        ]
    );
}

#[test]
fn points_that_moved_without_a_ledger_entry_are_found() {
    let found = found_after(|b| b.points[1].1 += 5);
    assert!(found.iter().any(
        |d| matches!(d, Discrepancy::Balance { account: Account::Points(c), .. } if *c == cid(2))
    ));
    assert!(
        found
            .iter()
            .all(|d| d.to_string().starts_with("customer 2: points")),
        "{found:?}"
    );
}

#[test]
fn a_sale_the_ledger_does_not_match_is_found_on_the_order() {
    let found = found_after(|b| b.stock_ledger[2].change = -3);
    assert!(found.contains(&Discrepancy::Order {
        order: oid(2),
        problem: OrderProblem::Movement {
            account: Account::Stock(pid(4)),
            reason: "order",
            expected: -2,
            ledger: -3
        }
    }));
}

#[test]
fn a_cancel_must_revoke_every_earned_point_and_only_when_cancelled() {
    // The rule before the attack run: revoke at most what the balance holds
    // (25 of the 125), leaving Ahmed 100 points his cancelled order earned.
    let kept_spent_points = found_after(|b| {
        b.points_ledger[3].change = -25;
        b.points_ledger[3].after = 0;
        b.points[0].1 = 0;
    });
    assert_eq!(
        kept_spent_points,
        vec![
            Discrepancy::Order {
                order: oid(1),
                problem: OrderProblem::Movement {
                    account: Account::Points(cid(1)),
                    reason: "cancel",
                    expected: -125,
                    ledger: -25
                }
            },
            Discrepancy::Balance {
                account: Account::Points(cid(1)),
                stored: 0,
                opening: 100,
                orders: 125,
                cancels: -125,
                manual: -200
            }
        ],
        "the ledger chains, but the order and Ahmed's balance show the kept points"
    );
    let too_many = found_after(|b| {
        b.points_ledger[3].change = -126;
        b.points_ledger[3].after = -101;
        b.points[0].1 = -101;
    });
    assert!(too_many.iter().any(|d| matches!(
        d,
        Discrepancy::Order {
            problem: OrderProblem::Movement {
                reason: "cancel",
                expected: -125,
                ledger: -126,
                ..
            },
            ..
        }
    )));
    let live = found_after(|b| b.orders[0].status = OrderStatus::Created);
    assert!(live.iter().any(|d| matches!(
        d,
        Discrepancy::Order {
            problem: OrderProblem::Movement {
                account: Account::Points(_),
                reason: "cancel",
                ..
            },
            ..
        }
    )));
    assert!(live.iter().any(|d| d
        .to_string()
        .contains("1 cancellation notices while created")));
}

#[test]
fn order_figures_that_do_not_add_up_are_found() {
    let problems = |damage: fn(&mut Books)| -> Vec<OrderProblem> {
        found_after(damage)
            .into_iter()
            .filter_map(|d| match d {
                Discrepancy::Order { order, problem } if order == oid(2) => Some(problem),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        problems(|b| b.orders[1].tax = money("84.01")),
        vec![
            OrderProblem::LineCosts {
                tax: money("84.00"),
                points: 0
            },
            OrderProblem::Total {
                subtotal: money("599.98"),
                deducted: Money::ZERO,
                tax: money("84.01"),
                total: money("683.98")
            }
        ]
    );
    assert_eq!(
        problems(|b| b.orders[1].items[0].line_total = money("599.97")),
        vec![
            OrderProblem::ItemsSum {
                items: money("599.97"),
                subtotal: money("599.98")
            },
            OrderProblem::Line { product: pid(4) },
        ]
    );
    assert!(problems(|b| b.orders[1].items.clear()).contains(&OrderProblem::NoItems));
    assert_eq!(
        problems(|b| b.notices.retain(|n| n.0 != oid(2))),
        vec![OrderProblem::NoConfirmation]
    );
}

#[test]
fn notices_and_entries_for_orders_that_do_not_exist_are_found() {
    let found = found_after(|b| {
        b.notices
            .push((oid(9), NotificationKind::OrderConfirmation));
        b.stock_ledger
            .push(stock(3, -1, 149, Reason::Order(oid(8))));
        b.stock[2].1 = 149;
    });
    assert!(found.contains(&Discrepancy::UnknownOrder {
        order: oid(9),
        named_by: "notification"
    }));
    assert!(found.contains(&Discrepancy::UnknownOrder {
        order: oid(8),
        named_by: "ledger entry"
    }));
}

/// The clean books plus order 3: Sara buys a keyboard with a 5.00 coupon and
/// 100 points (1.00): taxable 73.99, tax 10.36, total 84.35, earns 7.
fn with_a_redeeming_order() -> (Opening, Books) {
    let (opening, mut books) = clean();
    let mut keyboard = item(3, 1, "79.99", "0.00", "79.99");
    keyboard.coupon_share = money("5.00");
    keyboard.points_share = money("1.00");
    books.orders.push(Order {
        id: oid(3),
        customer_id: cid(2),
        status: OrderStatus::Created,
        region: Region::parse("Cairo").unwrap(),
        items: with_costs(vec![keyboard], "10.36", 100),
        subtotal: money("79.99"),
        coupon: Some(crate::CouponCode::parse("FIVE").unwrap()),
        coupon_discount: money("5.00"),
        points_redeemed: 100,
        points_value: money("1.00"),
        tax: money("10.36"),
        total_amount: money("84.35"),
        points_earned: 7,
        created_at: DateTime::UNIX_EPOCH,
        payments: Vec::new(),
        fulfillments: Vec::new(),
        refund_due: crate::Money::ZERO,
        rounding: crate::RoundingMode::HalfUp,
        releases: Vec::new(),
        returns: Vec::new(),
        refunds: Vec::new(),
    });
    books.stock[2].1 = 149;
    books.points[1].1 = 157;
    books
        .stock_ledger
        .push(stock(3, -1, 149, Reason::Order(oid(3))));
    books.points_ledger.extend([
        points(2, -100, 150, Reason::Order(oid(3))),
        points(2, 7, 157, Reason::Order(oid(3))),
    ]);
    books
        .notices
        .push((oid(3), NotificationKind::OrderConfirmation));
    (opening, books)
}

#[test]
fn coupons_and_redeemed_points_balance_and_their_damage_is_found() {
    let (opening, books) = with_a_redeeming_order();
    assert_eq!(audit(&opening, &books), vec![]);

    // The redemption never reached the ledger (the balance kept the points).
    let (opening, mut lost) = with_a_redeeming_order();
    lost.points_ledger.retain(|e| e.change != -100);
    lost.points[1].1 = 257;
    lost.points_ledger.last_mut().unwrap().after = 257;
    let found = audit(&opening, &lost);
    assert!(
        found.contains(&Discrepancy::Order {
            order: oid(3),
            problem: OrderProblem::Movement {
                account: Account::Points(cid(2)),
                reason: "redemption",
                expected: -100,
                ledger: 0,
            }
        }),
        "{found:?}"
    );

    // Shares that do not add up to the order's coupon discount.
    let (opening, mut shares) = with_a_redeeming_order();
    shares.orders[2].items[0].coupon_share = money("4.99");
    assert_eq!(
        audit(&opening, &shares),
        vec![Discrepancy::Order {
            order: oid(3),
            problem: OrderProblem::Allocation {
                coupon_discount: money("5.00"),
                points_value: money("1.00"),
            }
        }]
    );

    // A total that ignores the coupon.
    let (opening, mut total) = with_a_redeeming_order();
    total.orders[2].total_amount = money("89.35");
    let found = audit(&opening, &total);
    assert!(
        matches!(
            found.as_slice(),
            [Discrepancy::Order {
                problem: OrderProblem::Total { .. },
                ..
            }]
        ),
        "{found:?}"
    );
}

/// The clean books plus, on order 2 (683.98): 500.00 authorized then 300.00
/// of it captured (200.00 released), 383.98 captured at once (paid in full),
/// and 1 of its 2 monitors shipped.
fn with_payments_and_a_shipment() -> (Opening, Books) {
    use crate::{
        Fulfillment, FulfillmentId, FulfillmentLine, MoneyEntry, MoneyKind, Payment, PaymentId,
        PaymentState, Quantity,
    };
    let (opening, mut books) = clean();
    let payment = |id, amount: &str, captured: &str, reference: &str| Payment {
        id: PaymentId::new(id).unwrap(),
        order_id: oid(2),
        method: "card".parse().unwrap(),
        reference: reference.parse().unwrap(),
        amount: money(amount),
        status: PaymentState::Captured,
        amount_captured: money(captured),
        amount_released: Money::ZERO,
        amount_refunded: Money::ZERO,
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    };
    let order = &mut books.orders[1];
    order.payments = vec![
        payment(1, "500.00", "300.00", "pi_1"),
        payment(2, "383.98", "383.98", "pi_2"),
    ];
    order.fulfillments = vec![Fulfillment {
        id: FulfillmentId::new(1).unwrap(),
        order_id: oid(2),
        lines: vec![FulfillmentLine {
            product_id: pid(4),
            quantity: Quantity::new(1).unwrap(),
        }],
        carrier: None,
        tracking_number: None,
        created_at: DateTime::UNIX_EPOCH,
    }];
    let entry = |payment, kind, amount: &str, authorized: &str, captured: &str| MoneyEntry {
        order: oid(2),
        payment: PaymentId::new(payment).unwrap(),
        kind,
        amount: money(amount),
        authorized_after: money(authorized),
        captured_after: money(captured),
        at: DateTime::UNIX_EPOCH,
    };
    books.money_ledger = vec![
        entry(1, MoneyKind::Authorized, "500.00", "500.00", "0.00"),
        entry(1, MoneyKind::Captured, "300.00", "200.00", "300.00"),
        entry(1, MoneyKind::Released, "200.00", "0.00", "300.00"),
        entry(2, MoneyKind::Authorized, "383.98", "383.98", "300.00"),
        entry(2, MoneyKind::Captured, "383.98", "0.00", "683.98"),
    ];
    books.notices.extend([
        (oid(2), NotificationKind::PaymentCaptured),
        (oid(2), NotificationKind::PaymentCaptured),
        (oid(2), NotificationKind::OrderPaid),
        (oid(2), NotificationKind::FulfillmentCreated),
    ]);
    (opening, books)
}

fn settlement_problems(damage: impl FnOnce(&mut Books)) -> Vec<String> {
    let (opening, mut books) = with_payments_and_a_shipment();
    damage(&mut books);
    audit(&opening, &books)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn payments_and_shipments_that_add_up_balance() {
    assert_eq!(settlement_problems(|_| {}), Vec::<String>::new());
}

#[test]
fn a_broken_money_ledger_or_payment_is_found() {
    // An entry whose balances do not follow from the one before.
    let found = settlement_problems(|b| b.money_ledger[1].captured_after = money("301.00"));
    assert!(
        found
            .iter()
            .any(|f| f.contains("money ledger entry 1 does not follow")),
        "{found:?}"
    );
    // A capture recorded on the payment but missing from the ledger.
    let found = settlement_problems(|b| {
        b.money_ledger.pop();
    });
    assert!(
        found
            .iter()
            .any(|f| f.contains("money ledger ends at 383.98 authorized")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("payment 2 does not add up")),
        "{found:?}"
    );
    // A payment claiming more captured than its ledger moved.
    let found = settlement_problems(|b| b.orders[1].payments[0].amount_captured = money("500.00"));
    assert!(
        found
            .iter()
            .any(|f| f.contains("payment 1 does not add up")),
        "{found:?}"
    );
}

#[test]
fn overpayment_overshipping_and_missing_events_are_found() {
    let found = settlement_problems(|b| b.orders[1].payments[1].amount = money("483.98"));
    assert!(
        found
            .iter()
            .any(|f| f.contains("payment 2 does not add up")),
        "{found:?}"
    );
    let found = settlement_problems(|b| {
        b.orders[1].fulfillments[0].lines[0].quantity = crate::Quantity::new(3).unwrap();
    });
    assert!(
        found.iter().any(|f| f.contains("3 shipped of 2 ordered")),
        "{found:?}"
    );
    // Shipping everything calls for an order_fulfilled notice too.
    let found = settlement_problems(|b| {
        b.orders[1].fulfillments[0].lines[0].quantity = crate::Quantity::new(2).unwrap();
    });
    assert_eq!(
        found,
        ["order 2: 0 order_fulfilled notices, its records call for 1"]
    );
    let found = settlement_problems(|b| b.notices.retain(|n| n.1 != NotificationKind::OrderPaid));
    assert_eq!(
        found,
        ["order 2: 0 order_paid notices, its records call for 1"]
    );
    // A cancelled order must owe back what it captured.
    let found = settlement_problems(|b| {
        b.orders[1].status = OrderStatus::Cancelled;
        b.orders[1].fulfillments.clear();
        b.notices
            .retain(|n| n.1 != NotificationKind::FulfillmentCreated);
    });
    assert!(
        found.iter().any(|f| f.contains("refund due 0.00")),
        "{found:?}"
    );
}
