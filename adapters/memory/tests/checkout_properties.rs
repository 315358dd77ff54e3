//! Property tests of checkout and cancel through the in-memory store:
//! stock never goes negative, stock + units sold stays constant, points earned
//! follow the loyalty policy, and a refused operation changes nothing.

use pollster::block_on;
use proptest::prelude::*;
use shopcore::testing::cart_lines;
use shopcore::{
    Cart, CatalogRepository, CheckoutRequest, CustomerId, CustomerRepository, IdempotencyKey,
    LoyaltyPolicy, Notification, NotificationFilter, NotificationRepository, Order, OrderId,
    OrderRepository, OrderStatus, OrderWorkflow, Region,
};
use shopcore_memory::MemoryStore;

#[derive(Clone, Debug)]
enum Op {
    Checkout {
        customer: i64,
        lines: Vec<shopcore::CartLine>,
        region: Option<&'static str>,
        key: Option<u8>,
    },
    Cancel {
        order: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (
            1i64..=4, // customer 4 does not exist
            cart_lines(6, 4), // product 6 does not exist
            prop_oneof![Just(None), Just(Some("Giza")), Just(Some("Aswan"))],
            proptest::option::of(0u8..4),
        )
            .prop_map(|(customer, lines, region, key)| Op::Checkout { customer, lines, region, key }),
        1 => (1i64..=12).prop_map(|order| Op::Cancel { order }),
    ]
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    stock: Vec<u32>,
    points: Vec<i64>,
    orders: Vec<Order>,
    notifications: Vec<Notification>,
}

fn snapshot(store: &MemoryStore) -> Snapshot {
    let stock = block_on(store.products())
        .unwrap()
        .iter()
        .map(|p| p.quantity_available)
        .collect();
    let mut points = Vec::new();
    let mut orders = Vec::new();
    for id in 1..=3 {
        let id = CustomerId::new(id).unwrap();
        points.push(block_on(store.customer(id)).unwrap().loyalty_points);
        orders.extend(block_on(store.orders_of_customer(id)).unwrap());
    }
    orders.sort_by_key(|o| o.id);
    let notifications = block_on(store.notifications(NotificationFilter::default())).unwrap();
    Snapshot {
        stock,
        points,
        orders,
        notifications,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn checkout_and_cancel_sequences_keep_the_books_balanced(ops in proptest::collection::vec(op(), 1..25)) {
        let store = MemoryStore::seeded();
        let initial = snapshot(&store);
        let loyalty = LoyaltyPolicy::default();
        for op in ops {
            let before = snapshot(&store);
            let outcome = match op {
                Op::Checkout { customer, lines, region, key } => {
                    let Ok(cart) = Cart::new(lines) else { continue };
                    let request = CheckoutRequest {
                        customer_id: CustomerId::new(customer).unwrap(),
                        cart,
                        region: region.map(|r| Region::parse(r).unwrap()),
                        expected_total: None,
                        coupon: None,
                        redeem_points: 0,
                    };
                    let key = key.map(|k| IdempotencyKey::parse(&format!("key-{k}")).unwrap());
                    block_on(store.checkout(&request, key.as_ref())).map(|placed| {
                        prop_assert_eq!(placed.order.points_earned, loyalty.points_for(placed.order.subtotal));
                        Ok(())
                    })
                    .map_err(|e| e.to_string())
                }
                Op::Cancel { order } => block_on(store.cancel(OrderId::new(order).unwrap()))
                    .map(|_| Ok(()))
                    .map_err(|e| e.to_string()),
            };
            let after = snapshot(&store);
            match outcome {
                Ok(result) => result?,
                Err(_) => prop_assert_eq!(&after, &before, "a refused operation changed state"),
            }

            // Stock + units in live orders is constant per product.
            let mut sold = [0u32; 5];
            for order in after.orders.iter().filter(|o| o.status == OrderStatus::Created) {
                for item in &order.items {
                    sold[item.product_id.get() as usize - 1] += item.quantity.get();
                }
            }
            for ((stock, sold), start) in after.stock.iter().zip(sold).zip(&initial.stock) {
                prop_assert_eq!(stock + sold, *start);
            }
            // Without manual adjustments, points = start + earned by live orders.
            for (i, customer) in (1..=3).enumerate() {
                let earned: u64 = after
                    .orders
                    .iter()
                    .filter(|o| o.customer_id.get() == customer && o.status == OrderStatus::Created)
                    .map(|o| o.points_earned)
                    .sum();
                prop_assert_eq!(after.points[i], initial.points[i] + i64::try_from(earned).unwrap());
            }
            // One confirmation per order, one notice per cancelled order.
            let cancelled = after.orders.iter().filter(|o| o.status == OrderStatus::Cancelled).count();
            prop_assert_eq!(after.notifications.len(), after.orders.len() + cancelled);
        }
    }
}
