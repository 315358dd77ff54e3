//! Conformance cases for catalog administration: products, ladders, tax
//! rates and the change log (same seed as [`crate::cases`]).
//!
//! Each case is an `async fn` over any [`Store`]; an
//! adapter's test file runs every case on a fresh seeded store of its own
//! through [`conformance_tests!`](crate::conformance_tests), which wraps each
//! as a [`Case`](crate::Case) like this:
//!
//! ```
//! use shopcore_conformance::admin_cases::a_created_product_is_quoted_ordered_and_audited;
//! use shopcore_conformance::Case;
//!
//! fn one_case<S: shopcore::Store>() -> Case<S> {
//!     |store| Box::pin(a_created_product_is_quoted_ordered_and_audited(store))
//! }
//! ```

use shopcore::{
    Actor, Administered, CatalogChange, CatalogCommand, ChangeSubject, ChangeValue, ErrorCode,
    Money, PageLimit, Percent, Product, ProductId, ProductName, Quantity, Region, StaffKeyId,
    StaffRole, Store, TierLadder, TierRung,
};

use crate::cases::{audit_findings, cart, observe, request, store_quote};

fn staff() -> Actor {
    Actor::Staff {
        key: StaffKeyId::new(3).unwrap(),
        role: StaffRole::Inventory,
    }
}

fn pid(id: i64) -> ProductId {
    ProductId::new(id).unwrap()
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

fn percent(text: &str) -> Percent {
    text.parse().unwrap()
}

fn region(text: &str) -> Region {
    Region::parse(text).unwrap()
}

fn ladder(rungs: &[(i64, &str)]) -> TierLadder {
    TierLadder::new(
        rungs
            .iter()
            .map(|&(min, discount)| TierRung {
                min_quantity: Quantity::new(min).unwrap(),
                discount: percent(discount),
            })
            .collect(),
    )
    .unwrap()
}

async fn administer<S: Store>(store: &S, command: CatalogCommand) -> Administered {
    store
        .administer(&staff(), &command)
        .await
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

async fn product<S: Store>(store: &S, command: CatalogCommand) -> Product {
    match administer(store, command).await {
        Administered::Product(product) => product,
        other => panic!("{other:?}"),
    }
}

async fn log<S: Store>(store: &S) -> Vec<CatalogChange> {
    store
        .catalog_changes(None, PageLimit::new(500).unwrap())
        .await
        .unwrap()
        .items
}

/// A new product is numbered by the store, priced, ordered, and its opening
/// stock is a ledger entry: the books balance with it starting at 0.
pub async fn a_created_product_is_quoted_ordered_and_audited<S: Store>(store: &S) {
    let dock = product(
        store,
        CatalogCommand::CreateProduct {
            name: ProductName::parse("USB-C Dock").unwrap(),
            unit_price: money("89.50"),
            quantity_available: 20,
        },
    )
    .await;
    assert!(dock.id.get() > 5, "after the seed's products: {dock:?}");
    assert_eq!(store.product(dock.id).await.unwrap(), dock);
    let quote = store_quote(store, &cart(&[(dock.id.get(), 2)]), None)
        .await
        .unwrap();
    assert_eq!(quote.subtotal, money("179.00"));
    let placed = store
        .checkout(&request(1, &[(dock.id.get(), 3)], None), None)
        .await
        .unwrap();
    assert_eq!(placed.order.items[0].unit_price, money("89.50"));
    assert_eq!(store.product(dock.id).await.unwrap().quantity_available, 17);
    assert_eq!(audit_findings(store).await, Vec::<String>::new());
    let [entry] = &log(store).await[..] else {
        panic!("one log entry")
    };
    assert_eq!(entry.subject, ChangeSubject::Product(dock.id));
    assert_eq!(entry.actor, staff());
    assert_eq!(entry.before, None);
}

/// A reprice changes new quotes and orders only; orders placed before keep
/// their prices; the log has the price before and after.
pub async fn a_reprice_leaves_placed_orders_as_they_were<S: Store>(store: &S) {
    let before = store
        .checkout(&request(2, &[(3, 1)], None), None)
        .await
        .unwrap();
    let keyboard = product(
        store,
        CatalogCommand::UpdateProduct {
            product: pid(3),
            name: None,
            unit_price: Some(money("74.99")),
        },
    )
    .await;
    assert_eq!(keyboard.unit_price, money("74.99"));
    let after = store
        .checkout(&request(2, &[(3, 1)], None), None)
        .await
        .unwrap();
    assert_eq!(after.order.items[0].unit_price, money("74.99"));
    let stored = store.order(before.order.id).await.unwrap();
    assert_eq!(stored.items[0].unit_price, money("79.99"));
    assert_eq!(stored.total_amount, before.order.total_amount);
    let [entry] = &log(store).await[..] else {
        panic!("one log entry")
    };
    let price = |value: &Option<ChangeValue>| match value {
        Some(ChangeValue::Product(fields)) => fields.unit_price,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (price(&entry.before), price(&entry.after)),
        (money("79.99"), money("74.99"))
    );
}

/// A retired product is refused by quotes and checkouts (`product_unavailable`,
/// nothing written) until restored; renaming works either way.
pub async fn a_retired_product_is_not_sold_until_restored<S: Store>(store: &S) {
    let retired = product(store, CatalogCommand::RetireProduct(pid(4))).await;
    assert!(retired.retired);
    let before = observe(store).await;
    let err = store_quote(store, &cart(&[(4, 1)]), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "product_unavailable");
    let err = store
        .checkout(&request(1, &[(2, 1), (4, 1)], None), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "product_unavailable");
    assert_eq!(observe(store).await, before);
    let renamed = product(
        store,
        CatalogCommand::UpdateProduct {
            product: pid(4),
            name: Some(ProductName::parse("Monitor 27\"").unwrap()),
            unit_price: None,
        },
    )
    .await;
    assert!(renamed.retired);
    assert_eq!(renamed.name.as_str(), "Monitor 27\"");
    product(store, CatalogCommand::RestoreProduct(pid(4))).await;
    store
        .checkout(&request(1, &[(4, 1)], None), None)
        .await
        .unwrap();
    // Retiring, renaming, restoring: three entries; a second restore is no change.
    product(store, CatalogCommand::RestoreProduct(pid(4))).await;
    assert_eq!(log(store).await.len(), 3);
}

/// A ladder is replaced whole, read back in order, priced, and cleared.
pub async fn a_ladder_is_replaced_whole_and_cleared<S: Store>(store: &S) {
    let new = ladder(&[(20, "20"), (5, "5")]);
    let Administered::Ladder { ladder: stored, .. } = administer(
        store,
        CatalogCommand::ReplaceLadder {
            product: pid(2),
            ladder: new.clone(),
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!(stored, new);
    assert_eq!(
        store.pricing_rules(&[pid(2)]).await.unwrap().ladder(pid(2)),
        new
    );
    // 10 mice: the old 15 % rung is gone, the new 5 % applies.
    let quote = store_quote(store, &cart(&[(2, 10)]), None).await.unwrap();
    assert_eq!(quote.lines[0].discount, money("15.00")); // 299.90 × 5 % = 14.995
    administer(
        store,
        CatalogCommand::ReplaceLadder {
            product: pid(2),
            ladder: TierLadder::default(),
        },
    )
    .await;
    let quote = store_quote(store, &cart(&[(2, 10)]), None).await.unwrap();
    assert_eq!(quote.lines[0].discount, money("0.00"));
    let entries = log(store).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].before, Some(ChangeValue::Ladder { tiers: new }));
    assert_eq!(
        entries[1].after,
        Some(ChangeValue::Ladder {
            tiers: TierLadder::default()
        })
    );
}

/// Tax regions are created, updated and removed; the default region stays;
/// refusals change nothing and log nothing.
pub async fn tax_regions_come_and_go_but_the_default_stays<S: Store>(store: &S) {
    administer(
        store,
        CatalogCommand::SetTaxRate {
            region: region("Aswan"),
            rate: percent("10"),
        },
    )
    .await;
    let quote = store_quote(store, &cart(&[(5, 1)]), Some(&region("aswan")))
        .await
        .unwrap();
    assert_eq!(quote.tax, money("15.00")); // 149.99 × 10 %
    let Administered::TaxRate {
        region: stored,
        rate,
    } = administer(
        store,
        CatalogCommand::SetTaxRate {
            region: region("ASWAN"),
            rate: percent("12.50"),
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!((stored.as_str(), rate), ("Aswan", percent("12.5")));
    administer(store, CatalogCommand::RemoveTaxRegion(region("aswan"))).await;
    let err = store_quote(store, &cart(&[(5, 1)]), Some(&region("Aswan")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_tax_region");
    for (command, code) in [
        (
            CatalogCommand::RemoveTaxRegion(region("cairo")),
            "default_tax_region",
        ),
        (
            CatalogCommand::RemoveTaxRegion(region("Luxor")),
            "unknown_tax_region",
        ),
        (CatalogCommand::RetireProduct(pid(99)), "unknown_product"),
    ] {
        let err = store.administer(&staff(), &command).await.unwrap_err();
        assert_eq!(err.code(), code);
    }
    let regions = store.tax_rates().await.unwrap();
    assert!(regions.rate(&region("Cairo")).is_some());
    // Case is ignored beyond ASCII too: `émden` is the region `Émden`.
    administer(
        store,
        CatalogCommand::SetTaxRate {
            region: region("Émden"),
            rate: percent("5"),
        },
    )
    .await;
    let Administered::TaxRate { region: stored, .. } = administer(
        store,
        CatalogCommand::SetTaxRate {
            region: region("émden"),
            rate: percent("7"),
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!(stored.as_str(), "Émden");
    let regions = store.tax_rates().await.unwrap();
    assert_eq!(
        regions.iter().filter(|(r, _)| r.key() == "émden").count(),
        1
    );
    let quote = store_quote(store, &cart(&[(5, 1)]), Some(&region("ÉMDEN")))
        .await
        .unwrap();
    assert_eq!(quote.tax, money("10.50")); // 149.99 × 7 %
    administer(store, CatalogCommand::RemoveTaxRegion(region("émden"))).await;
    let err = store_quote(store, &cart(&[(5, 1)]), Some(&region("Émden")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_tax_region");
    assert_eq!(log(store).await.len(), 6);
}

/// The change log pages oldest first by cursor, each entry with its actor.
pub async fn the_change_log_pages_by_cursor<S: Store>(store: &S) {
    for (i, price) in ["1.01", "1.02", "1.03", "1.04", "1.05"]
        .into_iter()
        .enumerate()
    {
        let actor = if i % 2 == 0 {
            staff()
        } else {
            Actor::Anonymous
        };
        store
            .administer(
                &actor,
                &CatalogCommand::UpdateProduct {
                    product: pid(1),
                    name: None,
                    unit_price: Some(money(price)),
                },
            )
            .await
            .unwrap();
    }
    let two = PageLimit::new(2).unwrap();
    let first = store.catalog_changes(None, two).await.unwrap();
    let second = store.catalog_changes(first.next, two).await.unwrap();
    let third = store.catalog_changes(second.next, two).await.unwrap();
    assert_eq!(first.next, Some(first.items[1].id));
    assert_eq!(third.next, None, "the last page says so");
    let (first, second, third) = (first.items, second.items, third.items);
    assert_eq!((first.len(), second.len(), third.len()), (2, 2, 1));
    // Exactly a page's worth left: no next page.
    let exact = store
        .catalog_changes(Some(first[0].id), PageLimit::new(4).unwrap())
        .await
        .unwrap();
    assert_eq!((exact.items.len(), exact.next), (4, None));
    let all: Vec<_> = [first, second, third].concat();
    assert!(all
        .windows(2)
        .all(|w| w[0].id < w[1].id && w[0].at <= w[1].at));
    assert_eq!(all[1].actor, Actor::Anonymous);
    assert_eq!(all[4].actor, staff());
    let last = store.catalog_changes(Some(all[4].id), two).await.unwrap();
    assert!(last.items.is_empty() && last.next.is_none());
}

/// A checkout that expects the total the buyer saw is refused with
/// `price_changed` and the current quote once a price changed, writing
/// nothing (not even its idempotency key); with the new total it goes through.
pub async fn a_stale_expected_total_is_price_changed_and_writes_nothing<S: Store>(store: &S) {
    let shown = store_quote(store, &cart(&[(5, 2)]), None)
        .await
        .unwrap()
        .total;
    product(
        store,
        CatalogCommand::UpdateProduct {
            product: pid(5),
            name: None,
            unit_price: Some(money("139.99")),
        },
    )
    .await;
    let before = observe(store).await;
    let mut stale = request(2, &[(5, 2)], None);
    stale.expected_total = Some(shown);
    let key = shopcore::IdempotencyKey::parse("shown-total").unwrap();
    let err = store.checkout(&stale, Some(&key)).await.unwrap_err();
    assert_eq!(err.code(), "price_changed");
    let shopcore::CheckoutError::PriceChanged { quote, .. } = err else {
        panic!()
    };
    assert_eq!(quote.total, money("319.18")); // 279.98 + 14 % (39.1972)
    assert_eq!(observe(store).await, before);
    let mut fresh = request(2, &[(5, 2)], None);
    fresh.expected_total = Some(quote.total);
    let placed = store.checkout(&fresh, Some(&key)).await.unwrap();
    assert_eq!(placed.order.total_amount, quote.total);
    assert!(!placed.replayed);
}

/// A profile update changes only the fields given; the email stays unique and
/// the credentials follow it; a refused update changes nothing.
pub async fn profiles_are_updated_keeping_emails_unique<S: Store>(store: &S) {
    use shopcore::{CustomerId, CustomerName, Email, Phone, ProfileUpdate};
    let sara = CustomerId::new(2).unwrap();
    let email = |text: &str| Email::parse(text).unwrap();
    let updated = store
        .update_profile(
            sara,
            &ProfileUpdate {
                name: Some(CustomerName::parse("Sara M. Ali").unwrap()),
                email: Some(email("Sara.Ali@Example.com")),
                phone: Some(Some(Phone::parse("+20 100 000 0000").unwrap())),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.email.as_str(), "sara.ali@example.com");
    assert_eq!(
        updated.loyalty_points, 250,
        "points are not a profile field"
    );
    assert_eq!(store.customer(sara).await.unwrap(), updated);
    let found = store
        .customer_credentials(&email("sara.ali@example.com"))
        .await
        .unwrap();
    assert_eq!(found.map(|c| c.customer.id), Some(sara));
    assert!(store
        .customer_credentials(&email("sara@example.com"))
        .await
        .unwrap()
        .is_none());
    // Omar may now take Sara's old address, but not her new one.
    let omar = CustomerId::new(3).unwrap();
    let taken = ProfileUpdate {
        email: Some(email("sara.ali@example.com")),
        ..ProfileUpdate::default()
    };
    let before = observe(store).await;
    assert_eq!(
        store.update_profile(omar, &taken).await.unwrap_err().code(),
        "email_taken"
    );
    assert_eq!(observe(store).await, before);
    let old = ProfileUpdate {
        email: Some(email("sara@example.com")),
        phone: Some(None),
        ..ProfileUpdate::default()
    };
    let moved = store.update_profile(omar, &old).await.unwrap();
    assert_eq!(
        (moved.email.as_str(), moved.phone.clone()),
        ("sara@example.com", None)
    );
    // Keeping one's own email is not a conflict; an unknown customer is unknown.
    let same = ProfileUpdate {
        email: Some(email("SARA@example.com")),
        ..ProfileUpdate::default()
    };
    assert_eq!(store.update_profile(omar, &same).await.unwrap(), moved);
    let nobody = CustomerId::new(99).unwrap();
    let err = store.update_profile(nobody, &same).await.unwrap_err();
    assert_eq!(err.code(), "unknown_customer");
}

/// Customers page by id with a next cursor.
pub async fn customers_page_by_id<S: Store>(store: &S) {
    let two = PageLimit::new(2).unwrap();
    let first = store.customers(None, two).await.unwrap();
    assert_eq!(
        first.items.iter().map(|c| c.id.get()).collect::<Vec<_>>(),
        [1, 2]
    );
    let rest = store.customers(first.next, two).await.unwrap();
    assert_eq!(
        rest.items.iter().map(|c| c.id.get()).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(rest.next, None);
}

/// Products, orders and notifications page by cursor: products by id
/// (retired ones only when asked), orders and notices newest first, filters
/// applied before the limit.
pub async fn every_list_pages_by_cursor<S: Store>(store: &S) {
    use shopcore::{CustomerId, NotificationFilter, OrderFilter, OrderStatus};
    let two = PageLimit::new(2).unwrap();
    product(store, CatalogCommand::RetireProduct(pid(2))).await;
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = store.product_page(after, two, false).await.unwrap();
        assert!(page.items.len() <= 2);
        ids.extend(page.items.iter().map(|p| p.id.get()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(ids, [1, 3, 4, 5]);
    let all = store
        .product_page(None, PageLimit::new(10).unwrap(), true)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 5);
    assert_eq!(all.next, None);

    let mut placed = Vec::new();
    for (customer, product) in [(1, 1), (2, 3), (1, 4), (1, 5), (2, 1)] {
        let order = store
            .checkout(&request(customer, &[(product, 1)], None), None)
            .await
            .unwrap();
        placed.push(order.order.id);
    }
    store.cancel(placed[2]).await.unwrap();
    let ahmed = OrderFilter {
        customer_id: Some(CustomerId::new(1).unwrap()),
        status: None,
    };
    let first = store.order_page(&ahmed, None, two).await.unwrap();
    assert_eq!(
        first.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        [placed[3], placed[2]]
    );
    assert!(
        !first.items[0].items.is_empty(),
        "orders come with their items"
    );
    let rest = store.order_page(&ahmed, first.next, two).await.unwrap();
    assert_eq!(
        rest.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        [placed[0]]
    );
    assert_eq!(rest.next, None);
    let cancelled = OrderFilter {
        customer_id: None,
        status: Some(OrderStatus::Cancelled),
    };
    let page = store.order_page(&cancelled, None, two).await.unwrap();
    assert_eq!(
        page.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        [placed[2]]
    );

    let sara = NotificationFilter {
        order_id: None,
        customer_id: Some(CustomerId::new(2).unwrap()),
    };
    let newest = store
        .notification_page(sara, None, PageLimit::new(1).unwrap())
        .await
        .unwrap();
    assert_eq!(newest.items[0].order_id, placed[4]);
    let older = store
        .notification_page(sara, newest.next, two)
        .await
        .unwrap();
    assert_eq!(
        older.items.iter().map(|n| n.order_id).collect::<Vec<_>>(),
        [placed[1]]
    );
    assert_eq!(older.next, None);
}
