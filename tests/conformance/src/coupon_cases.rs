//! Conformance cases for coupons and paying with points (same seed as
//! [`crate::cases`]: Ahmed has 100 points, Sara 250, Omar 50).
//!
//! Each case is an `async fn` over any [`Store`]; an
//! adapter's test file runs every case on a fresh seeded store of its own
//! through [`conformance_tests!`](crate::conformance_tests), which wraps each
//! as a [`Case`](crate::Case) like this:
//!
//! ```
//! use shopcore_conformance::coupon_cases::a_coupon_and_points_price_and_place_the_worked_example;
//! use shopcore_conformance::Case;
//!
//! fn one_case<S: shopcore::Store>() -> Case<S> {
//!     |store| Box::pin(a_coupon_and_points_price_and_place_the_worked_example(store))
//! }
//! ```

use chrono::{Duration, Utc};
use shopcore::{
    Coupon, CouponCode, CouponPatch, CouponValue, CustomerId, ErrorCode, Money, QuoteRequest, Store,
};

use crate::cases::{audit_findings, cart, observe, request};

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

fn code(text: &str) -> CouponCode {
    CouponCode::parse(text).unwrap()
}

fn coupon(text: &str, value: CouponValue) -> Coupon {
    Coupon::new(code(text), value)
}

/// The stored coupon of `text` (which must exist).
async fn stored<S: Store>(store: &S, text: &str) -> Coupon {
    store.coupon(&code(text)).await.unwrap().unwrap().coupon
}

fn ten_percent() -> CouponValue {
    CouponValue::PercentOff("10".parse().unwrap())
}

async fn points<S: Store>(store: &S, id: i64) -> i64 {
    store
        .customer(CustomerId::new(id).unwrap())
        .await
        .unwrap()
        .loyalty_points
}

/// The worked example with a 10 % coupon and 100 points: every figure of the
/// quote, the same order stored with its allocation per line, the points
/// ledger, the coupon's use; the cancel gives the points and the use back.
pub async fn a_coupon_and_points_price_and_place_the_worked_example<S: Store>(store: &S) {
    store
        .create_coupon(coupon("save10", ten_percent()))
        .await
        .unwrap();
    let lines = [(1, 1), (2, 10)];
    let quoted = shopcore::quote_order(
        store,
        &QuoteRequest {
            coupon: Some(code("SAVE10")),
            customer_id: Some(CustomerId::new(1).unwrap()),
            redeem_points: 100,
            ..QuoteRequest::cart(cart(&lines))
        },
    )
    .await
    .unwrap();
    let figures = |q: &shopcore::Quote| {
        [
            q.subtotal,
            q.coupon_discount,
            q.points_value,
            q.taxable,
            q.tax,
            q.total,
        ]
        .map(|m| m.to_string())
    };
    // 1254.90 − 10 % (125.49) − 100 points (1.00) = 1128.41; tax 14 % = 157.9774.
    assert_eq!(
        figures(&quoted),
        ["1254.90", "125.49", "1.00", "1128.41", "157.98", "1286.39"]
    );
    let shares: Vec<_> = quoted
        .lines
        .iter()
        .map(|l| {
            (
                l.coupon_share.to_string(),
                l.points_share.to_string(),
                l.net_price.to_string(),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            ("100.00".into(), "0.80".into(), "899.19".into()),
            ("25.49".into(), "0.20".into(), "229.22".into())
        ]
    );

    let mut order_request = request(1, &lines, None);
    order_request.coupon = Some(code("Save10"));
    order_request.redeem_points = 100;
    let placed = store.checkout(&order_request, None).await.unwrap();
    let order = &placed.order;
    assert_eq!(order.total_amount, quoted.total);
    assert_eq!(order.coupon, Some(code("SAVE10")));
    assert_eq!(
        (order.coupon_discount, order.points_value),
        (money("125.49"), money("1.00"))
    );
    assert_eq!(order.points_redeemed, 100);
    assert_eq!(order.points_earned, 112); // floor(1128.41 / 10.00)
    let stored = store.order(order.id).await.unwrap();
    assert_eq!(&stored, order, "the store keeps what the plan placed");
    assert_eq!(points(store, 1).await, 112); // 100 − 100 + 112
    let text = &placed.confirmation.message;
    assert!(text.contains("Coupon SAVE10: -125.49"), "{text}");
    assert!(text.contains("Points redeemed (100): -1.00"), "{text}");
    let record = store.coupon(&code("save10")).await.unwrap().unwrap();
    assert_eq!(record.times_redeemed, 1);
    let books = store.books().await.unwrap();
    let moves: Vec<i64> = books
        .points_ledger
        .iter()
        .filter(|e| e.reason.order() == Some(order.id))
        .map(|e| e.change)
        .collect();
    assert_eq!(moves, [-100, 112]);
    assert!(audit_findings(store).await.is_empty());

    let cancelled = store.cancel(order.id).await.unwrap();
    assert_eq!(cancelled.points_revoked, 112);
    assert_eq!(
        points(store, 1).await,
        100,
        "the redeemed points are back, the earned gone"
    );
    assert!(cancelled
        .notice
        .message
        .contains("Redeemed loyalty points returned: 100"));
    let record = store.coupon(&code("SAVE10")).await.unwrap().unwrap();
    assert_eq!(record.times_redeemed, 0, "a cancel gives the use back");
    assert!(audit_findings(store).await.is_empty());
}

/// Each reason a coupon does not apply has its own code, in checkout and in
/// the quote alike, and a refused checkout writes nothing.
pub async fn a_coupon_that_does_not_apply_says_why_and_writes_nothing<S: Store>(store: &S) {
    let now = Utc::now();
    let amount = |a: &str| CouponValue::AmountOff(money(a));
    for c in [
        Coupon {
            active: false,
            ..coupon("OFF", amount("5.00"))
        },
        Coupon {
            valid_from: Some(now + Duration::days(1)),
            ..coupon("LATER", amount("5.00"))
        },
        Coupon {
            valid_until: Some(now - Duration::days(1)),
            ..coupon("GONE", amount("5.00"))
        },
        Coupon {
            max_redemptions: Some(1),
            ..coupon("ONCE", amount("5.00"))
        },
        Coupon {
            max_per_customer: Some(1),
            ..coupon("MINE", amount("5.00"))
        },
        Coupon {
            min_subtotal: money("100.00"),
            ..coupon("BIG", amount("5.00"))
        },
    ] {
        store.create_coupon(c).await.unwrap();
    }
    // One use of ONCE (by Sara) and of MINE (by Ahmed).
    for (customer, used) in [(2, "ONCE"), (1, "MINE")] {
        let mut r = request(customer, &[(3, 2)], None);
        r.coupon = Some(code(used));
        store.checkout(&r, None).await.unwrap();
    }
    let before = observe(store).await;
    for (used, lines, expected) in [
        ("NOPE", &[(3, 2)][..], "coupon_unknown"),
        ("OFF", &[(3, 2)], "coupon_inactive"),
        ("LATER", &[(3, 2)], "coupon_not_yet_valid"),
        ("GONE", &[(3, 2)], "coupon_expired"),
        ("ONCE", &[(3, 2)], "coupon_exhausted"),
        ("MINE", &[(3, 2)], "coupon_customer_limit"),
        ("BIG", &[(2, 3)], "coupon_min_subtotal"), // 89.97 < 100.00
    ] {
        let mut r = request(1, lines, None);
        r.coupon = Some(code(used));
        let refused = store.checkout(&r, None).await.unwrap_err();
        assert_eq!(refused.code(), expected, "{used}: {refused}");
        let quoted = shopcore::quote_order(
            store,
            &QuoteRequest {
                coupon: Some(code(used)),
                customer_id: Some(CustomerId::new(1).unwrap()),
                ..QuoteRequest::cart(cart(lines))
            },
        )
        .await
        .unwrap_err();
        assert_eq!(quoted.code(), expected, "quote with {used}");
    }
    // Another customer may still use MINE; BIG applies from 100.00.
    let mut r = request(3, &[(3, 2)], None);
    r.coupon = Some(code("MINE"));
    assert!(shopcore::quote_order(
        store,
        &QuoteRequest {
            coupon: Some(code("MINE")),
            customer_id: Some(CustomerId::new(3).unwrap()),
            ..QuoteRequest::cart(cart(&[(3, 2)]))
        }
    )
    .await
    .is_ok());
    assert_eq!(observe(store).await, before, "refusals wrote nothing");
    store.checkout(&r, None).await.unwrap();
    assert!(audit_findings(store).await.is_empty());
}

/// Points: never more than the balance, never worth more than what is left
/// after the coupon; an amount-off coupon never takes more than the subtotal.
pub async fn points_and_coupons_never_take_an_order_below_zero<S: Store>(store: &S) {
    store
        .create_coupon(coupon("FIFTY", CouponValue::AmountOff(money("50.00"))))
        .await
        .unwrap();
    let before = observe(store).await;
    // Omar has 50 points.
    let mut r = request(3, &[(2, 1)], None);
    r.redeem_points = 51;
    assert_eq!(
        store.checkout(&r, None).await.unwrap_err().code(),
        "insufficient_points"
    );
    // Sara has 250 points (2.50); a mouse is 29.99 and FIFTY takes all of it.
    let mut r = request(2, &[(2, 1)], None);
    r.coupon = Some(code("FIFTY"));
    r.redeem_points = 1;
    assert_eq!(
        store.checkout(&r, None).await.unwrap_err().code(),
        "points_exceed_amount"
    );
    assert_eq!(observe(store).await, before);
    let quote = shopcore::quote_order(
        store,
        &QuoteRequest {
            redeem_points: 1,
            ..QuoteRequest::cart(cart(&[(2, 1)]))
        },
    )
    .await
    .unwrap_err();
    assert_eq!(quote.code(), "invalid_request", "points need the customer");

    r.redeem_points = 0;
    let free = store.checkout(&r, None).await.unwrap();
    assert_eq!(free.order.coupon_discount, money("29.99"));
    assert_eq!(
        (free.order.tax, free.order.total_amount),
        (Money::ZERO, Money::ZERO)
    );
    assert_eq!(free.order.points_earned, 0);
    // All 250 of Sara's points on a keyboard (79.99): 2.50 off.
    let mut r = request(2, &[(3, 1)], None);
    r.redeem_points = 250;
    let paid = store.checkout(&r, None).await.unwrap();
    assert_eq!(paid.order.points_value, money("2.50"));
    assert_eq!(paid.order.total_amount, money("88.34")); // 77.49 + 14 % (10.8486)
    assert_eq!(points(store, 2).await, 7); // 0 + floor(77.49 / 10)
    assert!(audit_findings(store).await.is_empty());
}

/// Coupons are created once (codes are case-insensitive), changed by patch,
/// and refused with clear codes.
pub async fn coupons_are_administered_with_clear_refusals<S: Store>(store: &S) {
    let created = store
        .create_coupon(Coupon {
            max_redemptions: Some(10),
            ..coupon("Spring-26", ten_percent())
        })
        .await
        .unwrap();
    assert_eq!(created.coupon.code.as_str(), "SPRING-26");
    assert_eq!(created.times_redeemed, 0);
    let again = store
        .create_coupon(coupon("spring-26", ten_percent()))
        .await;
    assert_eq!(again.unwrap_err().code(), "coupon_exists");
    let off = store
        .update_coupon(
            &code("SPRING-26"),
            &CouponPatch {
                active: Some(false),
                max_redemptions: Some(None),
                ..CouponPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(!off.coupon.active);
    assert_eq!(off.coupon.max_redemptions, None);
    assert_eq!(stored(store, "spring-26").await, off.coupon);
    let unknown = store
        .update_coupon(&code("NONE"), &CouponPatch::default())
        .await;
    assert_eq!(unknown.unwrap_err().code(), "coupon_unknown");
    let zero = CouponPatch {
        max_per_customer: Some(Some(0)),
        ..CouponPatch::default()
    };
    let refused = store.update_coupon(&code("SPRING-26"), &zero).await;
    assert_eq!(refused.unwrap_err().code(), "invalid_coupon");
    assert_eq!(stored(store, "spring-26").await, off.coupon);
    assert_eq!(store.coupons().await.unwrap(), vec![off.coupon]);
    assert!(store.coupon(&code("NONE")).await.unwrap().is_none());
}

/// The live price list holds every product, tier, rate and coupon, and the
/// auditor finds the seed's anomaly in it: 9 mice cost more than 10.
pub async fn the_price_list_is_the_live_rule_set<S: Store>(store: &S) {
    store
        .create_coupon(coupon(
            "ALL",
            CouponValue::PercentOff("100".parse().unwrap()),
        ))
        .await
        .unwrap();
    let list = shopcore::price_list(store).await.unwrap();
    assert_eq!(list.catalog.len(), 5);
    assert_eq!(list.rules.iter().count(), 3);
    assert_eq!(
        list.tax_rates.iter().count(),
        shopcore::seed::demo_data().tax_rates.len()
    );
    let audit = shopcore::audit_pricing(&list, &store.config().pricing);
    let windows: Vec<(i64, u32, u32, u32)> = audit
        .products
        .iter()
        .flat_map(|p| {
            p.findings.iter().filter_map(move |f| match f {
                shopcore::LadderFinding::MoreCostsLess {
                    from,
                    to,
                    cheaper_at,
                    ..
                } => Some((p.product.get(), *from, *to, *cheaper_at)),
                _ => None,
            })
        })
        .collect();
    assert!(windows.contains(&(2, 9, 9, 10)), "{windows:?}");
    assert_eq!(audit.coupons.len(), 1, "a 100 % coupon makes an order free");
}
