//! Many threads buying the same scarce product: exactly the stock is sold.

use std::sync::atomic::{AtomicUsize, Ordering};

use pollster::block_on;
use shopcore::{
    Cart, CartLine, CatalogRepository, CheckoutRequest, CustomerId, CustomerRepository, ErrorCode,
    ErrorKind, NotificationFilter, NotificationRepository, OrderRepository, OrderWorkflow,
    ProductId, Quantity,
};
use shopcore_memory::MemoryStore;

fn one_unit_of(product: i64, customer: i64) -> CheckoutRequest {
    CheckoutRequest {
        customer_id: CustomerId::new(customer).unwrap(),
        cart: Cart::new([CartLine {
            product_id: ProductId::new(product).unwrap(),
            quantity: Quantity::ONE,
        }])
        .unwrap(),
        region: None,
        expected_total: None,
        coupon: None,
        redeem_points: 0,
    }
}

#[test]
fn sixty_four_threads_racing_for_ten_monitors_buy_exactly_ten() {
    let store = MemoryStore::seeded();
    let monitor = ProductId::new(4).unwrap();
    block_on(store.adjust_stock(monitor, -65)).unwrap(); // 75 → 10
    let sold = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..64 {
            let (store, sold, refused) = (&store, &sold, &refused);
            scope.spawn(move || {
                for _ in 0..4 {
                    match block_on(store.checkout(&one_unit_of(4, thread % 3 + 1), None)) {
                        Ok(_) => sold.fetch_add(1, Ordering::SeqCst),
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::InsufficientStock, "{e}");
                            refused.fetch_add(1, Ordering::SeqCst)
                        }
                    };
                }
            });
        }
    });
    assert_eq!(sold.load(Ordering::SeqCst), 10);
    assert_eq!(refused.load(Ordering::SeqCst), 64 * 4 - 10);
    assert_eq!(
        block_on(store.product(monitor)).unwrap().quantity_available,
        0
    );

    // Every sale left exactly one order, one confirmation and its points.
    let mut orders = 0;
    let mut points_earned = 0;
    let mut points_now = 0;
    for (customer, start) in [(1, 100), (2, 250), (3, 50)] {
        let id = CustomerId::new(customer).unwrap();
        let history = block_on(store.orders_of_customer(id)).unwrap();
        orders += history.len();
        points_earned += history.iter().map(|o| o.points_earned).sum::<u64>();
        points_now += block_on(store.customer(id)).unwrap().loyalty_points - start;
    }
    assert_eq!(orders, 10);
    assert_eq!(points_earned, 10 * 29); // 299.99 → 29 points each
    assert_eq!(points_now, i64::try_from(points_earned).unwrap());
    let confirmations = block_on(store.notifications(NotificationFilter::default())).unwrap();
    assert_eq!(confirmations.len(), 10);
}

#[test]
fn concurrent_checkouts_and_cancels_of_many_products_conserve_stock() {
    let store = MemoryStore::seeded();
    let before: Vec<u32> = block_on(store.products())
        .unwrap()
        .iter()
        .map(|p| p.quantity_available)
        .collect();
    std::thread::scope(|scope| {
        for thread in 0..16i64 {
            let store = &store;
            scope.spawn(move || {
                for round in 0..50i64 {
                    // Carts touching products in different orders per thread.
                    let a = (thread + round) % 5 + 1;
                    let b = (thread * 3 + round * 7) % 5 + 1;
                    let request = CheckoutRequest {
                        customer_id: CustomerId::new(thread % 3 + 1).unwrap(),
                        cart: Cart::new([
                            CartLine {
                                product_id: ProductId::new(a).unwrap(),
                                quantity: Quantity::new(3).unwrap(),
                            },
                            CartLine {
                                product_id: ProductId::new(b).unwrap(),
                                quantity: Quantity::new(2).unwrap(),
                            },
                        ])
                        .unwrap(),
                        region: None,
                        expected_total: None,
                        coupon: None,
                        redeem_points: 0,
                    };
                    if let Ok(placed) = block_on(store.checkout(&request, None)) {
                        if round % 2 == 0 {
                            block_on(store.cancel(placed.order.id)).unwrap();
                        }
                    }
                }
            });
        }
    });
    let mut sold = [0u32; 5];
    for customer in 1..=3 {
        for order in block_on(store.orders_of_customer(CustomerId::new(customer).unwrap())).unwrap()
        {
            if order.status == shopcore::OrderStatus::Created {
                for item in &order.items {
                    sold[item.product_id.get() as usize - 1] += item.quantity.get();
                }
            }
        }
    }
    let after: Vec<u32> = block_on(store.products())
        .unwrap()
        .iter()
        .map(|p| p.quantity_available)
        .collect();
    for (i, ((after, sold), before)) in after.iter().zip(sold).zip(&before).enumerate() {
        assert_eq!(after + sold, *before, "product {}", i + 1);
    }
}
