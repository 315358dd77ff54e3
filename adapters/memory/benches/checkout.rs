//! Cost of a full in-memory checkout (lock, plan, apply, confirmation text)
//! for carts of 1, 10 and 100 lines over a 1000-product catalog.
//!
//! Each iteration runs on a freshly loaded store (built outside the timing),
//! so stock never runs out and the order log does not grow without bound.

use std::time::Duration;

use chrono::DateTime;
use criterion::{criterion_main, BatchSize, BenchmarkId, Criterion};
use shopcore::seed::{self, SeedData};
use shopcore::{
    Cart, CartLine, CheckoutRequest, CustomerId, Money, OrderWorkflow, Product, ProductId,
    Quantity, ShopConfig, MAX_STOCK,
};
use shopcore_memory::MemoryStore;

fn data() -> SeedData {
    let demo = seed::demo_data();
    SeedData {
        products: (1..=1000)
            .map(|i| Product {
                id: ProductId::new(i).expect("positive"),
                name: shopcore::ProductName::parse(&format!("Product {i}")).unwrap(),
                quantity_available: MAX_STOCK,
                unit_price: Money::from_cents(100 + i * 37).expect("price"),
                last_updated: DateTime::UNIX_EPOCH,
                retired: false,
            })
            .collect(),
        ..demo
    }
}

fn checkout(c: &mut Criterion) {
    let data = data();
    let mut group = c.benchmark_group("memory_checkout");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for lines in [1i64, 10, 100] {
        let request = CheckoutRequest {
            customer_id: CustomerId::new(1).expect("positive"),
            cart: Cart::new((1..=lines).map(|i| CartLine {
                product_id: ProductId::new(i * 9).expect("positive"),
                quantity: Quantity::new(i % 12 + 1).expect("quantity"),
            }))
            .expect("cart"),
            region: None,
            expected_total: None,
            coupon: None,
            redeem_points: 0,
        };
        group.bench_with_input(BenchmarkId::new("lines", lines), &request, |b, request| {
            b.iter_batched(
                || MemoryStore::from_seed(ShopConfig::default(), data.clone()),
                |store| pollster::block_on(store.checkout(request, None)).map(|_| store),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

#[allow(missing_docs)] // criterion_group! generates an undocumented pub fn.
mod group {
    criterion::criterion_group!(benches, super::checkout);
}
criterion_main!(group::benches);
