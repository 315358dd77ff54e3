//! Cost of `quote` by cart size (1–1000 lines) and catalog size (10 to
//! 1 000 000 products, each with two quantity tiers).
//!
//! Expected shape: linear in cart lines, flat in catalog size (lookups are
//! hash-map based). Run with `make bench-core`, which also prints a table.

use std::hint::black_box;
use std::time::Duration;

use chrono::DateTime;
use criterion::{criterion_main, BenchmarkId, Criterion};
use shopcore::{
    quote, Cart, CartLine, Catalog, Money, Percent, PricingPolicy, PricingRule, Product, ProductId,
    Quantity, RuleBook,
};

fn catalog_with_rules(size: usize) -> (Catalog, RuleBook) {
    let id = |i: usize| ProductId::new(i as i64 + 1).expect("positive");
    let catalog = Catalog::from_products((0..size).map(|i| Product {
        id: id(i),
        name: shopcore::ProductName::parse(&format!("Product {i}")).unwrap(),
        quantity_available: 1_000,
        unit_price: Money::from_cents(100 + (i as i64 * 7919) % 100_000).expect("price"),
        last_updated: DateTime::UNIX_EPOCH,
        retired: false,
    }));
    let tier = |i: usize, min: i64, pct: &str| PricingRule {
        product_id: id(i),
        min_quantity: Quantity::new(min).expect("quantity"),
        discount: pct.parse().expect("percent"),
    };
    let rules =
        RuleBook::from_rules((0..size).flat_map(|i| [tier(i, 5, "5"), tier(i, 10, "12.5")]));
    (catalog, rules)
}

/// `lines` distinct products spread evenly over the catalog, quantities 1–12.
fn cart(lines: usize, catalog_size: usize) -> Cart {
    let stride = catalog_size / lines;
    Cart::new((0..lines).map(|i| CartLine {
        product_id: ProductId::new((i * stride) as i64 + 1).expect("positive"),
        quantity: Quantity::new((i % 12) as i64 + 1).expect("quantity"),
    }))
    .expect("cart")
}

fn quote_by_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("quote");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let rate: Percent = "14".parse().expect("rate");
    let policy = PricingPolicy::default();
    for catalog_size in [10usize, 10_000, 1_000_000] {
        let (catalog, rules) = catalog_with_rules(catalog_size);
        for lines in [1usize, 10, 100, 1000] {
            if lines > catalog_size {
                continue; // a cart cannot hold more distinct products than exist
            }
            let cart = cart(lines, catalog_size);
            group.bench_with_input(
                BenchmarkId::new(format!("catalog_{catalog_size}"), format!("lines_{lines}")),
                &cart,
                |b, cart| b.iter(|| quote(black_box(cart), &catalog, &rules, rate, &policy)),
            );
        }
    }
    group.finish();
}

#[allow(missing_docs)] // criterion_group! generates an undocumented pub fn.
mod group {
    criterion::criterion_group!(benches, super::quote_by_size);
}
criterion_main!(group::benches);
