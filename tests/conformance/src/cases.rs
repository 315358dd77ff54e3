//! The conformance cases. Each runs on a fresh store holding the seed data:
//! Laptop(1) 50 @ 999.99, Mouse(2) 200 @ 29.99, Keyboard(3) 150 @ 79.99,
//! Monitor(4) 75 @ 299.99, Headphones(5) 100 @ 149.99; customers Ahmed(1, 100
//! points), Sara(2, 250), Omar(3, 50); tiers 1≥5→10 %, 2≥10→15 %, 3≥10→12 %;
//! Cairo, Giza, Alexandria at 14 %; default region Cairo.
//!
//! Each case is an `async fn` over any [`Store`]; an
//! adapter's test file runs every case on a fresh seeded store of its own
//! through [`conformance_tests!`](crate::conformance_tests), which wraps each
//! as a [`Case`](crate::Case) like this:
//!
//! ```
//! use shopcore_conformance::cases::products_are_listed_by_id_with_seed_values;
//! use shopcore_conformance::Case;
//!
//! fn one_case<S: shopcore::Store>() -> Case<S> {
//!     |store| Box::pin(products_are_listed_by_id_with_seed_values(store))
//! }
//! ```

use shopcore::{
    audit, seed, Books, Cart, CartLine, CheckoutRequest, CustomerId, CustomerName, Email,
    ErrorCode, ErrorKind, IdempotencyKey, Money, NewCustomer, NotificationFilter, NotificationKind,
    Opening, OrderId, OrderStatus, PasswordHash, PointsEntry, ProductId, Quantity, Reason, Region,
    StockEntry, Store,
};

fn pid(id: i64) -> ProductId {
    ProductId::new(id).expect("test id")
}

fn cid(id: i64) -> CustomerId {
    CustomerId::new(id).expect("test id")
}

fn money(text: &str) -> Money {
    text.parse().expect("test amount")
}

/// `store`'s quote of `cart` in `region` (`None`: the store's default), as a
/// checkout would price it.
pub(crate) async fn store_quote<S: shopcore::OrderWorkflow + ?Sized>(
    store: &S,
    cart: &Cart,
    region: Option<&Region>,
) -> Result<shopcore::Quote, shopcore::QuoteError> {
    let request = shopcore::QuoteRequest::cart(cart.clone()).in_region(region.cloned());
    shopcore::quote_order(store, &request).await
}

pub(crate) fn cart(lines: &[(i64, i64)]) -> Cart {
    Cart::new(lines.iter().map(|&(id, qty)| CartLine {
        product_id: pid(id),
        quantity: Quantity::new(qty).expect("test quantity"),
    }))
    .expect("test cart")
}

pub(crate) fn request(
    customer: i64,
    lines: &[(i64, i64)],
    region: Option<&str>,
) -> CheckoutRequest {
    CheckoutRequest {
        customer_id: cid(customer),
        cart: cart(lines),
        region: region.map(|r| Region::parse(r).expect("test region")),
        expected_total: None,
        coupon: None,
        redeem_points: 0,
    }
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).expect("test key")
}

async fn stock<S: Store>(store: &S, id: i64) -> u32 {
    store
        .product(pid(id))
        .await
        .expect("product")
        .quantity_available
}

async fn points<S: Store>(store: &S, id: i64) -> i64 {
    store
        .customer(cid(id))
        .await
        .expect("customer")
        .loyalty_points
}

/// Everything a failed write must leave untouched.
#[derive(Debug, PartialEq)]
pub(crate) struct Observable {
    stock: Vec<(ProductId, u32)>,
    points: Vec<i64>,
    notifications: usize,
    orders: Vec<usize>,
}

pub(crate) async fn observe<S: Store>(store: &S) -> Observable {
    let stock = store
        .products()
        .await
        .expect("products")
        .iter()
        .map(|p| (p.id, p.quantity_available))
        .collect();
    let mut points_held = Vec::new();
    let mut orders = Vec::new();
    for id in 1..=3 {
        points_held.push(points(store, id).await);
        orders.push(
            store
                .orders_of_customer(cid(id))
                .await
                .expect("orders")
                .len(),
        );
    }
    let notifications = store
        .notifications(NotificationFilter::default())
        .await
        .expect("notifications")
        .len();
    Observable {
        stock,
        points: points_held,
        notifications,
        orders,
    }
}

/// `products` lists the seed rows in id order with exact prices.
pub async fn products_are_listed_by_id_with_seed_values<S: Store>(store: &S) {
    let products = store.products().await.unwrap();
    let rows: Vec<(i64, &str, u32, String)> = products
        .iter()
        .map(|p| {
            (
                p.id.get(),
                p.name.as_str(),
                p.quantity_available,
                p.unit_price.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "Laptop", 50, "999.99".to_owned()),
            (2, "Mouse", 200, "29.99".to_owned()),
            (3, "Keyboard", 150, "79.99".to_owned()),
            (4, "Monitor", 75, "299.99".to_owned()),
            (5, "Headphones", 100, "149.99".to_owned()),
        ]
    );
    let mouse = store.product(pid(2)).await.unwrap();
    assert_eq!(mouse.unit_price, money("29.99"));
}

/// Looking up a product that does not exist is `unknown_product`.
pub async fn unknown_product_is_not_found<S: Store>(store: &S) {
    let err = store.product(pid(999)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownProduct);
    let err = store.adjust_stock(pid(999), 5).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownProduct);
}

/// Stock moves by the change, refuses to go below zero or above the maximum,
/// and a refused change leaves the stock as it was.
pub async fn stock_adjustments_add_remove_and_refuse_going_negative<S: Store>(store: &S) {
    assert_eq!(
        store
            .adjust_stock(pid(1), 10)
            .await
            .unwrap()
            .quantity_available,
        60
    );
    assert_eq!(
        store
            .adjust_stock(pid(1), -60)
            .await
            .unwrap()
            .quantity_available,
        0
    );
    let err = store.adjust_stock(pid(1), -1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientStock);
    assert_eq!(stock(store, 1).await, 0);
    let err = store.adjust_stock(pid(2), i64::MAX).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StockOutOfRange);
    let err = store.adjust_stock(pid(2), i64::MIN).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientStock);
    assert_eq!(stock(store, 2).await, 200);
    assert_eq!(
        store
            .adjust_stock(pid(2), 0)
            .await
            .unwrap()
            .quantity_available,
        200
    );
}

/// DESIGN.md's worked example: 1 Laptop + 10 Mice in Cairo is 1430.59.
pub async fn quote_matches_the_worked_example<S: Store>(store: &S) {
    let q = store_quote(store, &cart(&[(1, 1), (2, 10)]), None)
        .await
        .unwrap();
    assert_eq!(q.lines[1].discount, money("44.99"));
    assert_eq!(q.lines[1].final_price, money("254.91"));
    assert_eq!(q.subtotal, money("1254.90"));
    assert_eq!(q.tax, money("175.69"));
    assert_eq!(q.total, money("1430.59"));
    // Quoting reserves nothing.
    assert_eq!(stock(store, 2).await, 200);
}

/// Quotes never guess a tax rate and name the missing product.
pub async fn quote_rejects_unknown_region_and_product<S: Store>(store: &S) {
    let aswan = Region::parse("Aswan").unwrap();
    let err = store_quote(store, &cart(&[(1, 1)]), Some(&aswan))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownTaxRegion);
    let err = store_quote(store, &cart(&[(1, 1), (42, 1)]), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownProduct);
    assert!(err.to_string().contains("42"), "{err}");
}

/// A checkout stores the order and items, takes the stock, awards the points
/// and logs the confirmation, all consistent with the quote.
pub async fn checkout_of_the_worked_example_stores_everything<S: Store>(store: &S) {
    let placed = store
        .checkout(&request(1, &[(1, 1), (2, 10)], None), None)
        .await
        .unwrap();
    assert!(!placed.replayed);
    let order = &placed.order;
    assert_eq!(order.customer_id, cid(1));
    assert_eq!(order.status, OrderStatus::Created);
    assert_eq!(order.region.as_str(), "Cairo");
    assert_eq!(order.subtotal, money("1254.90"));
    assert_eq!(order.tax, money("175.69"));
    assert_eq!(order.total_amount, money("1430.59"));
    assert_eq!(order.points_earned, 125);
    let items: Vec<(i64, u32, String, String, String)> = order
        .items
        .iter()
        .map(|i| {
            (
                i.product_id.get(),
                i.quantity.get(),
                i.unit_price.to_string(),
                i.discount.to_string(),
                i.line_total.to_string(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (1, 1, "999.99".into(), "0.00".into(), "999.99".into()),
            (2, 10, "29.99".into(), "44.99".into(), "254.91".into()),
        ]
    );
    assert_eq!(store.order(order.id).await.unwrap(), *order);
    assert_eq!(stock(store, 1).await, 49);
    assert_eq!(stock(store, 2).await, 190);
    assert_eq!(points(store, 1).await, 225);

    let confirmation = &placed.confirmation;
    assert_eq!(confirmation.order_id, order.id);
    assert_eq!(confirmation.customer_id, cid(1));
    assert_eq!(confirmation.kind, NotificationKind::OrderConfirmation);
    assert!(confirmation
        .message
        .contains(&format!("Order #{} confirmed", order.id)));
    assert!(confirmation.message.contains("Total: 1430.59"));
    let logged = store
        .notifications(NotificationFilter {
            order_id: Some(order.id),
            customer_id: None,
        })
        .await
        .unwrap();
    assert_eq!(logged, vec![confirmation.clone()]);
    let history = store.orders_of_customer(cid(1)).await.unwrap();
    assert_eq!(history, vec![order.clone()]);
}

/// Every refused checkout leaves stock, points, orders and notifications as they were.
pub async fn failed_checkouts_change_nothing<S: Store>(store: &S) {
    let before = observe(store).await;
    let failures = [
        // Short on the second line after the first line could be taken.
        (
            request(1, &[(1, 1), (4, 76)], None),
            ErrorKind::InsufficientStock,
        ),
        (request(99, &[(1, 1)], None), ErrorKind::UnknownCustomer),
        (
            request(1, &[(1, 1)], Some("Aswan")),
            ErrorKind::UnknownTaxRegion,
        ),
        (
            request(1, &[(1, 1), (77, 1)], None),
            ErrorKind::UnknownProduct,
        ),
    ];
    for (req, expected) in failures {
        let err = store
            .checkout(&req, Some(&key("k-fail")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), expected, "{err}");
        assert_eq!(observe(store).await, before, "after {expected}");
    }
    // A failed checkout does not consume its idempotency key.
    let placed = store
        .checkout(&request(1, &[(1, 1)], None), Some(&key("k-fail")))
        .await
        .unwrap();
    assert!(!placed.replayed);
}

/// The region is matched case-insensitively and stored as configured.
pub async fn checkout_region_is_case_insensitive_and_stored_as_configured<S: Store>(store: &S) {
    let placed = store
        .checkout(&request(2, &[(5, 1)], Some("gIZA")), None)
        .await
        .unwrap();
    assert_eq!(placed.order.region.as_str(), "Giza");
    assert_eq!(placed.order.tax, money("21.00")); // 149.99 × 14 % = 20.9986
}

/// Exactly the stock can be sold: the last units go, the next unit is refused.
pub async fn buying_the_last_units_then_one_more_is_insufficient_stock<S: Store>(store: &S) {
    store
        .checkout(&request(3, &[(4, 75)], None), None)
        .await
        .unwrap();
    assert_eq!(stock(store, 4).await, 0);
    let err = store
        .checkout(&request(2, &[(4, 1)], None), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientStock);
    assert!(err.to_string().contains("available 0"), "{err}");
}

/// Replaying a key with the same request (in any line order) returns the first
/// order and changes nothing.
pub async fn idempotent_replay_returns_the_first_order<S: Store>(store: &S) {
    let first = store
        .checkout(&request(1, &[(1, 1), (2, 3)], None), Some(&key("order-1")))
        .await
        .unwrap();
    let after_first = observe(store).await;
    let replay = store
        .checkout(
            &request(1, &[(2, 1), (1, 1), (2, 2)], None),
            Some(&key("order-1")),
        )
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.order, first.order);
    assert_eq!(replay.confirmation, first.confirmation);
    assert_eq!(observe(store).await, after_first);
    // Without the key the same request is a new order.
    let second = store
        .checkout(&request(1, &[(1, 1), (2, 3)], None), None)
        .await
        .unwrap();
    assert_ne!(second.order.id, first.order.id);
}

/// The same key with a different body is `idempotency_conflict` and changes nothing.
pub async fn reusing_a_key_for_another_request_is_a_conflict<S: Store>(store: &S) {
    store
        .checkout(&request(1, &[(1, 1)], None), Some(&key("order-2")))
        .await
        .unwrap();
    let before = observe(store).await;
    // (Another customer's use of the same key is theirs: see
    // `idempotency_keys_are_scoped_per_customer`.)
    for other in [
        request(1, &[(1, 2)], None),
        request(1, &[(1, 1)], Some("Giza")),
    ] {
        let err = store
            .checkout(&other, Some(&key("order-2")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IdempotencyConflict);
    }
    assert_eq!(observe(store).await, before);
}

/// Cancel returns every unit, takes back the points and logs a notice.
pub async fn cancel_restocks_revokes_points_and_logs_a_notice<S: Store>(store: &S) {
    let before = observe(store).await;
    let placed = store
        .checkout(&request(2, &[(1, 5), (3, 10)], None), None)
        .await
        .unwrap();
    assert_eq!(stock(store, 1).await, 45);
    let cancelled = store.cancel(placed.order.id).await.unwrap();
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.points_revoked, placed.order.points_earned);
    assert_eq!(
        store.order(placed.order.id).await.unwrap().status,
        OrderStatus::Cancelled
    );
    let notice = &cancelled.notice;
    assert_eq!(notice.kind, NotificationKind::OrderCancellation);
    assert!(notice
        .message
        .contains(&format!("Order #{} cancelled", placed.order.id)));
    // Nothing was paid, so nothing is owed back.
    assert!(
        notice.message.contains("Refund due: 0.00"),
        "{}",
        notice.message
    );
    let after = observe(store).await;
    assert_eq!(after.stock, before.stock);
    assert_eq!(after.points, before.points);
    assert_eq!(after.notifications, before.notifications + 2);
    let kinds: Vec<NotificationKind> = store
        .notifications(NotificationFilter {
            order_id: Some(placed.order.id),
            customer_id: None,
        })
        .await
        .unwrap()
        .iter()
        .map(|n| n.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            NotificationKind::OrderCancellation,
            NotificationKind::OrderConfirmation
        ]
    );
}

/// A cancel revokes every point the order earned, even points spent since:
/// the balance goes below zero (points owed), nothing can be redeemed until
/// later earnings have repaid the debt, and a manual adjustment cannot take
/// points that are not there.
pub async fn cancel_revokes_every_earned_point_even_if_spent<S: Store>(store: &S) {
    // Omar (50 points) buys a laptop: +99 → 149; 140 taken by hand; 9 left.
    let placed = store
        .checkout(&request(3, &[(1, 1)], None), None)
        .await
        .unwrap();
    assert_eq!(placed.order.points_earned, 99);
    store.adjust_points(cid(3), -140).await.unwrap();
    let cancelled = store.cancel(placed.order.id).await.unwrap();
    assert_eq!(cancelled.points_revoked, 99);
    assert_eq!(points(store, 3).await, -90);
    assert!(cancelled
        .notice
        .message
        .contains("Loyalty points revoked: 99"));
    assert!(cancelled.notice.message.contains("Loyalty points owed: 90"));

    // No redemption while points are owed, and a refusal changes nothing.
    let before = observe(store).await;
    let mut redeeming = request(3, &[(2, 1)], None);
    redeeming.redeem_points = 1;
    let err = store.checkout(&redeeming, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientPoints);
    let err = store.adjust_points(cid(3), -1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientPoints);
    assert_eq!(observe(store).await, before);

    // The next order's points repay the debt first: a monitor earns 29.
    let repaying = store
        .checkout(&request(3, &[(4, 1)], None), None)
        .await
        .unwrap();
    assert_eq!(repaying.order.points_earned, 29);
    assert_eq!(points(store, 3).await, -61);
    // Staff may forgive the rest; the balance is then spendable again.
    let forgiven = store.adjust_points(cid(3), 61).await.unwrap();
    assert_eq!(forgiven.loyalty_points, 0);
    let (_books, found) = audited(store).await;
    assert!(found.is_empty(), "{found:#?}");
}

/// The attack run's repro: with 0 points, order 50 laptops (4,499 points),
/// spend all of them on a second order, cancel the first, then the second.
/// Both orders are gone, so the customer must end where they started: no
/// points minted, every unit back, the books balanced — three rounds over.
pub async fn cancelling_orders_whose_points_were_spent_mints_no_points<S: Store>(store: &S) {
    let eve = store
        .create_customer(new_customer("Eve Minter", "eve.minter@example.com", None))
        .await
        .unwrap();
    let before = observe(store).await;
    for round in 0..3 {
        let earning = request(eve.id.get(), &[(1, 50)], None);
        let earned = store.checkout(&earning, None).await.unwrap();
        assert_eq!(earned.order.points_earned, 4_499, "round {round}");
        let mut spending = request(eve.id.get(), &[(2, 3)], None);
        spending.redeem_points = 4_499;
        let spent = store.checkout(&spending, None).await.unwrap();
        assert_eq!(spent.order.points_redeemed, 4_499);
        // The second order earns on what is paid after the points: 44.98 → 4.
        assert_eq!(spent.order.points_earned, 4);
        assert_eq!(store.customer(eve.id).await.unwrap().loyalty_points, 4);

        let first = store.cancel(earned.order.id).await.unwrap();
        assert_eq!(first.points_revoked, 4_499); // not 4, as before the fix
        assert_eq!(store.customer(eve.id).await.unwrap().loyalty_points, -4_495);
        let second = store.cancel(spent.order.id).await.unwrap();
        assert_eq!((second.points_returned, second.points_revoked), (4_499, 4));
        assert_eq!(store.customer(eve.id).await.unwrap().loyalty_points, 0);
    }
    let after = observe(store).await;
    assert_eq!(after.stock, before.stock);
    assert_eq!(after.points, before.points);
    let (_books, found) = audited(store).await;
    assert!(found.is_empty(), "{found:#?}");
}

/// Only a `created` order can be cancelled; unknown orders are `order_not_found`.
pub async fn cancel_of_a_cancelled_or_unknown_order_is_refused<S: Store>(store: &S) {
    let placed = store
        .checkout(&request(1, &[(2, 1)], None), None)
        .await
        .unwrap();
    store.cancel(placed.order.id).await.unwrap();
    let before = observe(store).await;
    let err = store.cancel(placed.order.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OrderNotCancellable);
    assert_eq!(observe(store).await, before);
    let err = store
        .cancel(OrderId::new(9_999).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OrderNotFound);
}

fn new_customer(name: &str, email: &str, hash: Option<&str>) -> NewCustomer {
    NewCustomer {
        name: CustomerName::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        phone: None,
        password_hash: hash.map(|h| PasswordHash::new(h.to_owned())),
    }
}

/// New customers start at 0 points; an email in use (in any case) is `email_taken`.
pub async fn registration_lowercases_email_and_refuses_duplicates<S: Store>(store: &S) {
    let mona = store
        .create_customer(new_customer("Mona Adel", "Mona@Example.com", Some("h1")))
        .await
        .unwrap();
    assert_eq!(mona.email.as_str(), "mona@example.com");
    assert_eq!(mona.loyalty_points, 0);
    assert!(mona.id.get() > 3);
    assert_eq!(store.customer(mona.id).await.unwrap(), mona);
    let err = store
        .create_customer(new_customer("Other", "MONA@example.com", None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::EmailTaken);
    let err = store
        .create_customer(new_customer("Ahmed Again", "ahmed@example.com", None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::EmailTaken);
    let err = store.customer(cid(12_345)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownCustomer);
}

/// Credentials carry the stored hash; unknown emails give `None`.
pub async fn credentials_are_found_by_email_with_their_hash<S: Store>(store: &S) {
    let created = store
        .create_customer(new_customer(
            "Hana",
            "hana@example.com",
            Some("$argon2id$stub"),
        ))
        .await
        .unwrap();
    let email = Email::parse("HANA@example.com").unwrap();
    let credentials = store.customer_credentials(&email).await.unwrap().unwrap();
    assert_eq!(credentials.customer, created);
    assert_eq!(
        credentials.password_hash.as_ref().map(PasswordHash::as_str),
        Some("$argon2id$stub")
    );
    let seed = Email::parse("sara@example.com").unwrap();
    let sara = store.customer_credentials(&seed).await.unwrap().unwrap();
    assert_eq!(sara.customer.loyalty_points, 250);
    assert!(sara.password_hash.is_none());
    let nobody = Email::parse("nobody@example.com").unwrap();
    assert!(store.customer_credentials(&nobody).await.unwrap().is_none());
}

/// Points move by the change and never below zero.
pub async fn points_adjustments_refuse_going_negative<S: Store>(store: &S) {
    assert_eq!(
        store
            .adjust_points(cid(2), 50)
            .await
            .unwrap()
            .loyalty_points,
        300
    );
    assert_eq!(
        store
            .adjust_points(cid(2), -300)
            .await
            .unwrap()
            .loyalty_points,
        0
    );
    let err = store.adjust_points(cid(2), -1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientPoints);
    let err = store.adjust_points(cid(2), i64::MAX).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAdjustment);
    let err = store.adjust_points(cid(2), i64::MIN).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientPoints);
    assert_eq!(points(store, 2).await, 0);
    let err = store.adjust_points(cid(77), 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownCustomer);
}

/// History lists a customer's orders newest first, is empty (not an error)
/// without orders, and `unknown_customer` for an unknown customer.
pub async fn order_history_is_newest_first_and_empty_for_new_customers<S: Store>(store: &S) {
    assert!(store.orders_of_customer(cid(3)).await.unwrap().is_empty());
    let first = store
        .checkout(&request(3, &[(2, 1)], None), None)
        .await
        .unwrap();
    store
        .checkout(&request(1, &[(2, 1)], None), None)
        .await
        .unwrap();
    let second = store
        .checkout(&request(3, &[(3, 1)], None), None)
        .await
        .unwrap();
    let ids: Vec<OrderId> = store
        .orders_of_customer(cid(3))
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, vec![second.order.id, first.order.id]);
    let err = store.orders_of_customer(cid(404)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownCustomer);
    let err = store.order(OrderId::new(404).unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OrderNotFound);
}

/// The log filters by order and customer and lists newest first.
pub async fn notifications_are_filtered_and_newest_first<S: Store>(store: &S) {
    let a = store
        .checkout(&request(1, &[(2, 1)], None), None)
        .await
        .unwrap();
    let b = store
        .checkout(&request(2, &[(2, 1)], None), None)
        .await
        .unwrap();
    let all = store
        .notifications(NotificationFilter::default())
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![b.confirmation.id, a.confirmation.id]);
    let of_sara = store
        .notifications(NotificationFilter {
            order_id: None,
            customer_id: Some(cid(2)),
        })
        .await
        .unwrap();
    assert_eq!(of_sara, vec![b.confirmation.clone()]);
    let none = store
        .notifications(NotificationFilter {
            order_id: Some(a.order.id),
            customer_id: Some(cid(2)),
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

/// Logging checks the order and customer exist and stores the text verbatim.
pub async fn logging_a_notification_needs_an_existing_order_and_customer<S: Store>(store: &S) {
    let placed = store
        .checkout(&request(1, &[(2, 1)], None), None)
        .await
        .unwrap();
    let text = "Ünïcode ✓ and 'quotes'; DROP TABLE orders;--".to_owned();
    let logged = store
        .log_notification(
            placed.order.id,
            cid(1),
            NotificationKind::OrderConfirmation,
            text.clone(),
        )
        .await
        .unwrap();
    assert_eq!(logged.message, text);
    assert_ne!(logged.id, placed.confirmation.id);
    let err = store
        .log_notification(
            OrderId::new(999).unwrap(),
            cid(1),
            NotificationKind::OrderConfirmation,
            String::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OrderNotFound);
    let err = store
        .log_notification(
            placed.order.id,
            cid(999),
            NotificationKind::OrderConfirmation,
            String::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownCustomer);
    // Other kinds are written only by the change they announce.
    let before = store.books().await.unwrap();
    let err = store
        .log_notification(
            placed.order.id,
            cid(1),
            NotificationKind::PaymentCaptured,
            String::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(store.books().await.unwrap(), before);
}

/// Registration stores only a hash; login accepts the password and nothing else.
pub async fn registered_customers_log_in_with_their_password_only<S: Store>(store: &S) {
    use shopcore::auth::{login, register, InlinePasswordWorker as Inline};
    use shopcore::Password;
    let password = Password::parse("tahrir-square-2011").unwrap();
    let registered = register(
        store,
        &Inline,
        CustomerName::parse("Nour Said").unwrap(),
        Email::parse("nour@example.com").unwrap(),
        None,
        &password,
    )
    .await
    .unwrap();
    let email = Email::parse("NOUR@example.com").unwrap();
    let stored = store.customer_credentials(&email).await.unwrap().unwrap();
    let hash = stored.password_hash.expect("hash stored");
    assert!(hash.as_str().starts_with("$argon2id$"));
    assert!(!hash.as_str().contains("tahrir"));
    assert_eq!(
        login(store, &Inline, &email, &password).await.unwrap(),
        registered
    );
    let wrong = Password::parse("tahrir-square-2012").unwrap();
    for (email, password) in [
        ("nour@example.com", &wrong),
        ("nobody@example.com", &password),
        ("ahmed@example.com", &password), // seed account without a password
    ] {
        let err = login(store, &Inline, &Email::parse(email).unwrap(), password)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{email}");
    }
}

/// Resending a confirmation logs the original text again, only for the order's
/// own customer, and never for a cancelled order.
pub async fn resending_a_confirmation_repeats_it_for_the_right_customer_only<S: Store>(store: &S) {
    let placed = store
        .checkout(&request(2, &[(3, 2)], None), None)
        .await
        .unwrap();
    let resent = shopcore::resend_confirmation(store, placed.order.id, cid(2))
        .await
        .unwrap();
    assert_eq!(resent.message, placed.confirmation.message);
    assert_ne!(resent.id, placed.confirmation.id);
    assert_eq!(resent.kind, NotificationKind::OrderConfirmation);
    let err = shopcore::resend_confirmation(store, placed.order.id, cid(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OrderNotFound);
    let err = shopcore::resend_confirmation(store, OrderId::new(777).unwrap(), cid(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OrderNotFound);
    store.cancel(placed.order.id).await.unwrap();
    let logged = store
        .notifications(NotificationFilter::default())
        .await
        .unwrap()
        .len();
    let err = shopcore::resend_confirmation(store, placed.order.id, cid(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OrderCancelled);
    assert_eq!(
        store
            .notifications(NotificationFilter::default())
            .await
            .unwrap()
            .len(),
        logged
    );
}

/// What the audit finds, from the seed's opening balances (nothing when the books balance).
pub(crate) async fn audit_findings<S: Store>(store: &S) -> Vec<String> {
    audited(store).await.1
}

/// The books as the store exports them, with the seed's opening balances.
async fn audited<S: Store>(store: &S) -> (Books, Vec<String>) {
    let books = store.books().await.expect("books");
    let found = audit(&Opening::from_seed(&seed::demo_data()), &books)
        .iter()
        .map(ToString::to_string)
        .collect();
    (books, found)
}

fn stock_entry(entry: &StockEntry) -> (i64, i64, u32, Reason) {
    (entry.product.get(), entry.change, entry.after, entry.reason)
}

fn points_entry(entry: &PointsEntry) -> (i64, i64, i64, Reason) {
    (
        entry.customer.get(),
        entry.change,
        entry.after,
        entry.reason,
    )
}

/// A checkout writes one stock entry per product and one points entry, a
/// cancel their reverse, each naming the order and the balance it left.
pub async fn checkout_and_cancel_are_ledger_entries_naming_the_order<S: Store>(store: &S) {
    let placed = store
        .checkout(&request(1, &[(1, 1), (2, 10)], None), None)
        .await
        .unwrap();
    let id = placed.order.id;
    store.cancel(id).await.unwrap();
    let (books, found) = audited(store).await;
    assert!(found.is_empty(), "{found:#?}");
    let stock: Vec<_> = books.stock_ledger.iter().map(stock_entry).collect();
    assert_eq!(
        stock,
        vec![
            (1, -1, 49, Reason::Order(id)),
            (2, -10, 190, Reason::Order(id)),
            (1, 1, 50, Reason::Cancel(id)),
            (2, 10, 200, Reason::Cancel(id)),
        ]
    );
    let points: Vec<_> = books.points_ledger.iter().map(points_entry).collect();
    assert_eq!(
        points,
        vec![
            (1, 125, 225, Reason::Order(id)),
            (1, -125, 100, Reason::Cancel(id))
        ]
    );
}

/// Manual adjustments are ledger entries; a refused one, or a zero change, writes none.
pub async fn manual_adjustments_are_ledger_entries_and_refusals_write_none<S: Store>(store: &S) {
    store.adjust_stock(pid(4), 7).await.unwrap();
    store.adjust_stock(pid(4), -82).await.unwrap();
    assert!(store.adjust_stock(pid(4), -1).await.is_err());
    assert!(store.adjust_stock(pid(4), i64::MAX).await.is_err());
    store.adjust_stock(pid(4), 0).await.unwrap();
    store.adjust_points(cid(3), -20).await.unwrap();
    assert!(store.adjust_points(cid(3), -31).await.is_err());
    store.adjust_points(cid(3), 0).await.unwrap();
    let (books, found) = audited(store).await;
    assert!(found.is_empty(), "{found:#?}");
    let stock: Vec<_> = books.stock_ledger.iter().map(stock_entry).collect();
    assert_eq!(
        stock,
        vec![(4, 7, 82, Reason::Manual), (4, -82, 0, Reason::Manual)]
    );
    let points: Vec<_> = books.points_ledger.iter().map(points_entry).collect();
    assert_eq!(points, vec![(3, -20, 30, Reason::Manual)]);
}

/// After a mixed history — orders, a replay, refusals, adjustments, a cancel
/// after points were spent, notices and a resend — the books balance, and
/// every stored figure is accounted for.
pub async fn the_books_balance_after_a_mixed_history<S: Store>(store: &S) {
    let first = store
        .checkout(&request(3, &[(1, 2), (5, 1)], None), Some(&key("mixed-1")))
        .await
        .unwrap();
    let replay = store
        .checkout(&request(3, &[(5, 1), (1, 2)], None), Some(&key("mixed-1")))
        .await
        .unwrap();
    assert!(replay.replayed);
    for refused in [
        request(1, &[(1, 51)], None),
        request(1, &[(1, 1)], Some("Aswan")),
        request(99, &[(1, 1)], None),
    ] {
        assert!(store.checkout(&refused, None).await.is_err());
    }
    store
        .checkout(&request(2, &[(2, 12), (3, 10)], Some("giza")), None)
        .await
        .unwrap();
    // Omar spends most of what he earned; the cancel still revokes it all.
    let held = points(store, 3).await;
    store.adjust_points(cid(3), -(held - 4)).await.unwrap();
    store.adjust_stock(pid(5), 9).await.unwrap();
    shopcore::resend_confirmation(store, first.order.id, cid(3))
        .await
        .unwrap();
    let cancelled = store.cancel(first.order.id).await.unwrap();
    assert_eq!(cancelled.points_revoked, first.order.points_earned);
    assert!(first.order.points_earned > 4);
    assert!(store.cancel(first.order.id).await.is_err());
    let (books, found) = audited(store).await;
    assert!(found.is_empty(), "{found:#?}");
    assert_eq!(books.orders.len(), 2);
    assert_eq!(books.stock_ledger.len(), 2 + 2 + 1 + 2);
    assert_eq!(books.points_ledger.len(), 2 + 1 + 1);
    // The books are the store's figures: the audit reads what the ports report.
    let stored: Vec<_> = store
        .products()
        .await
        .unwrap()
        .iter()
        .map(|p| (p.id, p.quantity_available))
        .collect();
    assert_eq!(books.stock, stored);
    let owed = 4 - i64::try_from(first.order.points_earned).unwrap();
    assert!(books.points.contains(&(cid(3), owed)));
}

/// A login opens a session its token authenticates; logout ends it; an
/// expired or unknown token is `unauthenticated`, never another customer.
pub async fn sessions_authenticate_until_logout_or_expiry<S: Store>(store: &S) {
    use shopcore::auth::{authenticate, logout, open_session};
    use shopcore::Actor;
    let now = chrono::Utc::now();
    let hour = chrono::Duration::hours(1);
    let session = open_session(store, cid(2), hour, now).await.unwrap();
    assert_eq!(session.expires_at, now + hour);
    let token = session.token.expose();
    assert_eq!(
        authenticate(store, Some(token), now).await.unwrap(),
        Actor::Customer(cid(2))
    );
    assert_eq!(
        authenticate(store, None, now).await.unwrap(),
        Actor::Anonymous
    );
    let late = now + hour + chrono::Duration::seconds(1);
    for (presented, at) in [
        (token, late),
        (
            "sct_0000000000000000000000000000000000000000000000000000000000000000",
            now,
        ),
        ("not a token", now),
    ] {
        let refused = authenticate(store, Some(presented), at).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Unauthenticated, "{presented}");
    }
    let other = open_session(store, cid(2), hour, now).await.unwrap();
    logout(store, &session.token, now).await.unwrap();
    logout(store, &session.token, now).await.unwrap(); // twice is fine
    assert!(authenticate(store, Some(token), now).await.is_err());
    // Only that session ended.
    assert_eq!(
        authenticate(store, Some(other.token.expose()), now)
            .await
            .unwrap(),
        Actor::Customer(cid(2))
    );
}

/// A password change needs the current password and ends every other session.
pub async fn a_password_change_ends_the_other_sessions<S: Store>(store: &S) {
    use shopcore::auth::{
        authenticate, change_password, login, open_session, register,
        InlinePasswordWorker as Inline,
    };
    use shopcore::Password;
    let now = chrono::Utc::now();
    let old = Password::parse("first password").unwrap();
    let new = Password::parse("second password").unwrap();
    let nour = register(
        store,
        &Inline,
        CustomerName::parse("Nour").unwrap(),
        Email::parse("nour@example.com").unwrap(),
        None,
        &old,
    )
    .await
    .unwrap();
    let day = chrono::Duration::hours(24);
    let asking = open_session(store, nour.id, day, now).await.unwrap();
    let elsewhere = open_session(store, nour.id, day, now).await.unwrap();
    let sara = open_session(store, cid(2), day, now).await.unwrap();
    let throttle = shopcore::ThrottlePolicy::default();
    let keep = Some(&asking.token);
    let wrong = change_password(
        store,
        &Inline,
        &throttle,
        nour.id,
        "second password",
        &new,
        keep,
        None,
        now,
    )
    .await;
    assert_eq!(wrong.unwrap_err().kind(), ErrorKind::InvalidCredentials);
    assert!(authenticate(store, Some(elsewhere.token.expose()), now)
        .await
        .is_ok());
    change_password(
        store,
        &Inline,
        &throttle,
        nour.id,
        "first password",
        &new,
        keep,
        None,
        now,
    )
    .await
    .unwrap();
    assert!(authenticate(store, Some(asking.token.expose()), now)
        .await
        .is_ok());
    assert!(authenticate(store, Some(elsewhere.token.expose()), now)
        .await
        .is_err());
    assert!(authenticate(store, Some(sara.token.expose()), now)
        .await
        .is_ok());
    let email = Email::parse("nour@example.com").unwrap();
    assert!(login(store, &Inline, &email, &old).await.is_err());
    assert_eq!(
        login(store, &Inline, &email, &new).await.unwrap().id,
        nour.id
    );
}

/// A password worker that refuses every computation (as one shut down would).
struct RefusingWorker;

#[async_trait::async_trait]
impl shopcore::PasswordWorker for RefusingWorker {
    async fn run(
        &self,
        _: shopcore::PasswordWork,
    ) -> Result<shopcore::PasswordWorkDone, shopcore::StorageError> {
        Err(shopcore::StorageError::Unavailable(
            "password worker stopped".to_owned(),
        ))
    }
}

/// A password worker that performs everything inline and counts it by kind.
#[derive(Default)]
struct CountingWorker {
    hashes: std::sync::atomic::AtomicUsize,
    verifications: std::sync::atomic::AtomicUsize,
}

impl CountingWorker {
    /// (hashes, verifications) since the last call.
    fn take(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::SeqCst;
        (
            self.hashes.swap(0, SeqCst),
            self.verifications.swap(0, SeqCst),
        )
    }
}

#[async_trait::async_trait]
impl shopcore::PasswordWorker for CountingWorker {
    async fn run(
        &self,
        work: shopcore::PasswordWork,
    ) -> Result<shopcore::PasswordWorkDone, shopcore::StorageError> {
        use std::sync::atomic::Ordering::SeqCst;
        match work.kind() {
            shopcore::PasswordWorkKind::Hash => self.hashes.fetch_add(1, SeqCst),
            _ => self.verifications.fetch_add(1, SeqCst),
        };
        Ok(work.perform())
    }
}

/// Registration, login and password changes run Argon2 only on the worker
/// they are given (so a caller can keep it off its async threads): with a
/// worker that refuses, each is a storage error that changes nothing, where
/// a hash computed inline would have let it pass.
pub async fn password_work_runs_only_on_the_worker_given<S: Store>(store: &S) {
    use shopcore::auth::{change_password, login, login_throttled, register};
    use shopcore::{InlinePasswordWorker as Inline, Password};
    let now = chrono::Utc::now();
    let password = Password::parse("first password").unwrap();
    let email = Email::parse("nour@example.com").unwrap();
    let name = || CustomerName::parse("Nour").unwrap();
    let refused = register(
        store,
        &RefusingWorker,
        name(),
        email.clone(),
        None,
        &password,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::StorageUnavailable);
    assert!(store.customer_credentials(&email).await.unwrap().is_none());

    let nour = register(store, &Inline, name(), email.clone(), None, &password)
        .await
        .unwrap();
    // An account with a password, one without (seed), and no account at all.
    for email in [
        "nour@example.com",
        "ahmed@example.com",
        "nobody@example.com",
    ] {
        let email = Email::parse(email).unwrap();
        let refused = login(store, &RefusingWorker, &email, &password)
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::StorageUnavailable, "{email:?}");
    }
    let throttle = shopcore::ThrottlePolicy::default();
    let refused = login_throttled(
        store,
        &RefusingWorker,
        &throttle,
        "nour@example.com",
        "first password",
        None,
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::StorageUnavailable);
    let new = Password::parse("second password").unwrap();
    let refused = change_password(
        store,
        &RefusingWorker,
        &throttle,
        nour.id,
        "first password",
        &new,
        None,
        None,
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::StorageUnavailable);
    assert_eq!(
        login(store, &Inline, &email, &password).await.unwrap().id,
        nour.id,
        "the refused change changed nothing"
    );
}

/// Each use case does the Argon2 work it needs, no more, through its worker:
/// one hash to register, one verification per login whether the account
/// exists, has no password or the password is wrong (the decoy costs the
/// same), and a verification plus a hash to change a password.
pub async fn each_password_use_case_does_its_argon2_work_once<S: Store>(store: &S) {
    use shopcore::auth::{change_password, login, register};
    use shopcore::Password;
    let now = chrono::Utc::now();
    let worker = CountingWorker::default();
    let password = Password::parse("first password").unwrap();
    let email = Email::parse("nour@example.com").unwrap();
    let name = CustomerName::parse("Nour").unwrap();
    let nour = register(store, &worker, name, email.clone(), None, &password)
        .await
        .unwrap();
    assert_eq!(worker.take(), (1, 0), "register");
    let wrong = Password::parse("wrong password").unwrap();
    for (email, password, succeeds) in [
        ("nour@example.com", &password, true),
        ("nour@example.com", &wrong, false),
        ("ahmed@example.com", &password, false), // seed account without a password
        ("nobody@example.com", &password, false),
    ] {
        let outcome = login(store, &worker, &Email::parse(email).unwrap(), password).await;
        assert_eq!(outcome.is_ok(), succeeds, "{email}");
        assert_eq!(worker.take(), (0, 1), "login to {email}");
    }
    let throttle = shopcore::ThrottlePolicy::default();
    let new = Password::parse("second password").unwrap();
    change_password(
        store,
        &worker,
        &throttle,
        nour.id,
        "first password",
        &new,
        None,
        None,
        now,
    )
    .await
    .unwrap();
    assert_eq!(worker.take(), (1, 1), "change_password");
}

/// Staff keys authenticate with their role until revoked; installing a chosen
/// key twice keeps one; the secret is never part of what the store lists.
pub async fn staff_keys_authenticate_with_their_role_until_revoked<S: Store>(store: &S) {
    use shopcore::auth::{authenticate, create_staff_key, install_staff_key, revoke_staff_key};
    use shopcore::{AccessToken, Actor, StaffKeyName, StaffRole};
    let now = chrono::Utc::now();
    let name = |n: &str| StaffKeyName::parse(n).unwrap();
    let issued = create_staff_key(store, name("stock sync"), StaffRole::Inventory, now)
        .await
        .unwrap();
    assert!(issued.secret.expose().starts_with("sck_"));
    assert_eq!(issued.key.role, StaffRole::Inventory);
    let actor = authenticate(store, Some(issued.secret.expose()), now)
        .await
        .unwrap();
    assert_eq!(
        actor,
        Actor::Staff {
            key: issued.key.id,
            role: StaffRole::Inventory
        }
    );

    let chosen = AccessToken::parse("an-operator-chosen-admin-key-0123456789").unwrap();
    let installed = install_staff_key(store, name("admin"), StaffRole::Admin, chosen.clone(), now)
        .await
        .unwrap();
    let again = install_staff_key(store, name("admin"), StaffRole::Admin, chosen.clone(), now)
        .await
        .unwrap();
    assert_eq!(installed.id, again.id);
    assert_eq!(store.staff_keys().await.unwrap().len(), 2);

    let revoked = revoke_staff_key(store, issued.key.id, now).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(authenticate(store, Some(issued.secret.expose()), now)
        .await
        .is_err());
    assert!(authenticate(store, Some(chosen.expose()), now)
        .await
        .is_ok());
    let unknown = shopcore::StaffKeyId::new(999).unwrap();
    assert_eq!(
        revoke_staff_key(store, unknown, now)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::UnknownStaffKey
    );
    // A customer session and a staff key are never confused.
    let listed = format!("{:?}", store.staff_keys().await.unwrap());
    assert!(!listed.contains(issued.secret.expose()) && !listed.contains(chosen.expose()));
}

/// Idempotency keys are scoped per customer: the same key from two customers
/// places two orders; a replay after a cancel returns the order as cancelled.
pub async fn idempotency_keys_are_scoped_per_customer<S: Store>(store: &S) {
    let shared = key("checkout-1");
    let sara = store
        .checkout(&request(2, &[(3, 1)], None), Some(&shared))
        .await
        .unwrap();
    let omar = store
        .checkout(&request(3, &[(3, 1)], None), Some(&shared))
        .await
        .unwrap();
    assert!(!omar.replayed, "another customer's key replayed");
    assert_ne!(sara.order.id, omar.order.id);
    assert_eq!(stock(store, 3).await, 148);
    store.cancel(sara.order.id).await.unwrap();
    let replay = store
        .checkout(&request(2, &[(3, 1)], None), Some(&shared))
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.order.id, sara.order.id);
    assert_eq!(replay.order.status, OrderStatus::Cancelled);
    assert_eq!(stock(store, 3).await, 149);
}

/// A freshly loaded store is ready (its schema current, answering at once).
pub async fn a_fresh_store_is_ready<S: Store>(store: &S) {
    store
        .ready(std::time::Duration::from_secs(2))
        .await
        .expect("ready");
}

/// Every checkout is counted once by its outcome: placed, replayed, or refused
/// with its error code; nothing else moves the counters.
pub async fn checkouts_are_counted_by_outcome<S: Store>(store: &S) {
    let before = store.metrics();
    store
        .checkout(&request(1, &[(2, 1)], None), Some(&key("counted")))
        .await
        .unwrap();
    store
        .checkout(&request(1, &[(2, 1)], None), Some(&key("counted")))
        .await
        .unwrap();
    store
        .checkout(&request(2, &[(3, 1)], None), None)
        .await
        .unwrap();
    for _ in 0..2 {
        store
            .checkout(&request(1, &[(4, 76)], None), None)
            .await
            .unwrap_err();
    }
    store
        .checkout(&request(1, &[(99, 1)], None), None)
        .await
        .unwrap_err();
    store_quote(store, &cart(&[(1, 1)]), None).await.unwrap();
    let after = store.metrics();
    assert_eq!(after.checkouts_placed - before.checkouts_placed, 2);
    assert_eq!(after.checkouts_replayed - before.checkouts_replayed, 1);
    let refused = |kind| after.refused(kind) - before.refused(kind);
    assert_eq!(refused(ErrorKind::InsufficientStock), 2);
    assert_eq!(refused(ErrorKind::UnknownProduct), 1);
    assert_eq!(
        after.checkouts_refused.iter().map(|(_, n)| n).sum::<u64>()
            - before.checkouts_refused.iter().map(|(_, n)| n).sum::<u64>(),
        3
    );
}
