//! Proptest strategies for property-testing pricing rules (feature `proptest`).
//!
//! These generate *valid* domain values — catalogs, rule books, carts, tax
//! rates — so a property test can state an invariant of its own pricing setup
//! and let proptest search for a counterexample. They are the same strategies
//! shopcore's own invariant tests use.
//!
//! ```
//! use proptest::prelude::*;
//! use shopcore::testing::pricing_scenario;
//! use shopcore::{quote, PricingPolicy};
//!
//! proptest! {
//!     // A shop's own rule: the total never exceeds the undiscounted price plus tax at 100 %.
//!     // (In a test file, put `#[test]` above the function.)
//!     fn total_is_at_most_twice_the_undiscounted_price(s in pricing_scenario()) {
//!         let q = quote(&s.cart, &s.catalog, &s.rules, s.tax_rate, &PricingPolicy::default())
//!             .unwrap();
//!         let undiscounted: rust_decimal::Decimal =
//!             q.lines.iter().map(|l| l.base.amount()).sum();
//!         prop_assert!(q.total.amount() <= undiscounted * rust_decimal::Decimal::TWO);
//!     }
//! }
//! # total_is_at_most_twice_the_undiscounted_price();
//! ```

use chrono::DateTime;
use proptest::collection::vec;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::catalog::cart::{Cart, CartLine};
use crate::catalog::{Catalog, PricingRule, Product, RuleBook};
use crate::pricing::coupon::CouponValue;
use crate::pricing::loyalty::PointValue;
use crate::pricing::Deductions;
use crate::values::ids::ProductId;
use crate::values::money::Money;
use crate::values::percent::Percent;
use crate::values::quantity::Quantity;
use crate::values::text::ProductName;

/// Amounts from 0.00 to `max_cents / 100`, biased towards "round" prices and
/// odd cents that produce rounding midpoints.
pub fn money(max_cents: i64) -> impl Strategy<Value = Money> {
    let max = max_cents.max(0);
    prop_oneof![
        (0..=max).prop_map(|c| c - c % 100),
        (0..=max).prop_map(|c| c - c % 5),
        0..=max,
    ]
    .prop_map(|cents| Money::from_cents(cents).unwrap_or(Money::ZERO))
}

/// Percentages from 0.00 to 100.00, including the edges 0 and 100 often.
pub fn percent() -> impl Strategy<Value = Percent> {
    prop_oneof![
        1 => Just(Percent::ZERO),
        1 => Just(Percent::HUNDRED),
        8 => (0i64..=10_000).prop_map(|basis| Percent::new(Decimal::new(basis, 2)).unwrap_or(Percent::ZERO)),
    ]
}

/// Quantities from 1 to `max` (clamped to [`Quantity::MAX`]).
pub fn quantity(max: u32) -> impl Strategy<Value = Quantity> {
    let max = max.clamp(1, Quantity::MAX);
    (1..=max).prop_map(|q| Quantity::new(i64::from(q)).unwrap_or(Quantity::ONE))
}

/// Quantities from 1 to `max`, half of them drawn from the boundaries of a
/// tier ladder: each rung's minimum in `rungs` and the two quantities just
/// below it, where a "buying more costs less" window opens. Uniform draws
/// rarely hit a two-unit window before a rung at 250; these always try it.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// let near = shopcore::testing::quantity_near(&[250], 1000);
/// let mut runner = TestRunner::deterministic();
/// let drawn: Vec<u32> = (0..200).map(|_| near.new_tree(&mut runner).unwrap().current().get()).collect();
/// assert!(drawn.contains(&248) && drawn.contains(&249) && drawn.contains(&250));
/// assert!(drawn.iter().all(|q| (1..=1000).contains(q)));
/// ```
pub fn quantity_near(rungs: &[u32], max: u32) -> impl Strategy<Value = Quantity> {
    let max = max.clamp(1, Quantity::MAX);
    let mut edges: Vec<u32> = rungs
        .iter()
        .flat_map(|&rung| [rung.saturating_sub(2), rung.saturating_sub(1), rung])
        .filter(|q| (1..=max).contains(q))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let to_quantity = |q: u32| Quantity::new(i64::from(q)).unwrap_or(Quantity::ONE);
    if edges.is_empty() {
        return quantity(max).boxed();
    }
    prop_oneof![
        1 => proptest::sample::select(edges).prop_map(to_quantity),
        1 => (1..=max).prop_map(to_quantity),
    ]
    .boxed()
}

/// A cart over the products of a store's live [`PriceList`](crate::PriceList)
/// (not retired), 1 to `max_lines` lines, each quantity up to `max_quantity`
/// (`None`: twice the largest rung of the list, at least 100) and drawn with
/// extra weight at its product's rungs and just below them
/// ([`quantity_near`]).
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// let data = shopcore::seed::demo_data(); // or shopcore::price_list(&store) of any store
/// let list = shopcore::PriceList {
///     catalog: data.catalog(),
///     rules: data.rule_book(),
///     tax_rates: data.tax_table(),
///     coupons: Vec::new(),
/// };
/// let carts = shopcore::testing::cart_for(&list, 3, None);
/// let mut runner = TestRunner::deterministic();
/// let cart = carts.new_tree(&mut runner).unwrap().current();
/// assert!(cart.lines().iter().all(|l| list.catalog.get(l.product_id).is_some()));
/// ```
pub fn cart_for(
    list: &crate::PriceList,
    max_lines: usize,
    max_quantity: Option<u32>,
) -> impl Strategy<Value = Cart> {
    let mut ids: Vec<ProductId> = list
        .catalog
        .iter()
        .filter(|p| !p.retired)
        .map(|p| p.id)
        .collect();
    ids.sort_unstable();
    if ids.is_empty() {
        ids.push(product_id(1));
    }
    let rungs_of = |id: ProductId| -> Vec<u32> {
        list.rules
            .rules_for(id)
            .iter()
            .map(|rule| rule.min_quantity.get())
            .collect()
    };
    let largest = ids.iter().flat_map(|&id| rungs_of(id)).max().unwrap_or(0);
    let max = max_quantity.unwrap_or_else(|| largest.saturating_mul(2).max(100));
    let line = proptest::strategy::Union::new(
        ids.iter()
            .map(|&id| (Just(id), quantity_near(&rungs_of(id), max)).boxed()),
    );
    vec(line, 1..=max_lines.clamp(1, Cart::MAX_LINES)).prop_filter_map("cart", |lines| {
        Cart::new(lines.into_iter().map(|(product_id, quantity)| CartLine {
            product_id,
            quantity,
        }))
        .ok()
    })
}

/// A catalog of 1 to `max_products` products with ids `1..=n`, prices up to
/// 10 000.00 and stock up to 1 000.
pub fn catalog(max_products: usize) -> impl Strategy<Value = Catalog> {
    vec((money(1_000_000), 0u32..=1_000), 1..=max_products.max(1)).prop_map(|rows| {
        Catalog::from_products(rows.into_iter().enumerate().map(|(i, (price, stock))| {
            Product {
                id: product_id(i + 1),
                name: ProductName::parse(&format!("Product {}", i + 1))
                    .unwrap_or_else(|_| unreachable!("a short printable name")),
                quantity_available: stock,
                unit_price: price,
                last_updated: DateTime::UNIX_EPOCH,
                retired: false,
            }
        }))
    })
}

fn product_id(n: usize) -> ProductId {
    ProductId::new(i64::try_from(n).unwrap_or(i64::MAX)).unwrap_or_else(|_| unreachable!("n ≥ 1"))
}

/// Up to three quantity tiers for each of the products `1..=products`.
pub fn rule_book(products: usize) -> impl Strategy<Value = RuleBook> {
    vec(
        (1..=products.max(1), quantity(50), percent()),
        0..=products.max(1) * 3,
    )
    .prop_map(|rules| {
        RuleBook::from_rules(
            rules
                .into_iter()
                .map(|(id, min_quantity, discount)| PricingRule {
                    product_id: product_id(id),
                    min_quantity,
                    discount,
                }),
        )
    })
}

/// Raw cart lines over products `1..=products`, duplicates included, before merging.
pub fn cart_lines(products: usize, max_lines: usize) -> impl Strategy<Value = Vec<CartLine>> {
    vec((1..=products.max(1), quantity(100)), 1..=max_lines.max(1)).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(id, quantity)| CartLine {
                product_id: product_id(id),
                quantity,
            })
            .collect()
    })
}

/// A cart over products `1..=products`, with up to `max_lines` raw lines.
pub fn cart(products: usize, max_lines: usize) -> impl Strategy<Value = Cart> {
    cart_lines(products, max_lines).prop_filter_map("cart", |lines| Cart::new(lines).ok())
}

/// A cart over the products a given catalog holds (not retired), with 1 to
/// `max_lines` lines of up to 100 units: for property-testing the rules a shop
/// actually has (see [`PriceList`](crate::PriceList)) rather than random ones.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// let catalog = shopcore::seed::demo_data().catalog();
/// let mut runner = TestRunner::deterministic();
/// let cart = shopcore::testing::cart_over(&catalog, 3).new_tree(&mut runner).unwrap().current();
/// assert!(cart.lines().iter().all(|l| catalog.get(l.product_id).is_some()));
/// ```
pub fn cart_over(catalog: &Catalog, max_lines: usize) -> impl Strategy<Value = Cart> {
    let mut ids: Vec<ProductId> = catalog
        .iter()
        .filter(|p| !p.retired)
        .map(|p| p.id)
        .collect();
    ids.sort_unstable();
    let ids = if ids.is_empty() {
        vec![product_id(1)]
    } else {
        ids
    };
    vec(
        (proptest::sample::select(ids), quantity(100)),
        1..=max_lines.clamp(1, Cart::MAX_LINES),
    )
    .prop_filter_map("cart", |lines| {
        Cart::new(lines.into_iter().map(|(product_id, quantity)| CartLine {
            product_id,
            quantity,
        }))
        .ok()
    })
}

/// A coupon's value: a percentage above 0 (100 included) or an amount from
/// 0.01 to 2 000.00.
pub fn coupon_value() -> impl Strategy<Value = CouponValue> {
    prop_oneof![
        percent()
            .prop_filter("above 0", |p| *p > Percent::ZERO)
            .prop_map(CouponValue::PercentOff),
        money(200_000)
            .prop_filter("above 0", |m| *m > Money::ZERO)
            .prop_map(CouponValue::AmountOff),
    ]
}

/// A coupon (or none), up to 100 000 points to redeem (or none) and a point
/// value from 0.01 to 1.00. The points may be worth more than a cart's
/// amount: clamp them to what a test's quote allows.
pub fn deductions() -> impl Strategy<Value = Deductions> {
    (
        proptest::option::weighted(0.7, coupon_value()),
        prop_oneof![Just(0u64), 0u64..=100_000],
        (1i64..=100).prop_map(|cents| {
            Money::from_cents(cents)
                .ok()
                .and_then(|m| PointValue::new(m).ok())
                .unwrap_or_default()
        }),
    )
        .prop_map(|(coupon, points, point_value)| Deductions {
            coupon,
            points,
            point_value,
        })
}

/// Everything `quote` needs, consistent with itself: every cart product exists.
#[derive(Clone, Debug)]
pub struct PricingScenario {
    /// The products.
    pub catalog: Catalog,
    /// Their tiers.
    pub rules: RuleBook,
    /// The raw lines the cart was built from (may repeat products).
    pub raw_lines: Vec<CartLine>,
    /// The merged cart.
    pub cart: Cart,
    /// The tax rate.
    pub tax_rate: Percent,
}

/// A random catalog of up to 20 products, rules, a cart of up to 12 raw lines and a tax rate.
pub fn pricing_scenario() -> impl Strategy<Value = PricingScenario> {
    catalog(20)
        .prop_flat_map(|catalog| {
            let n = catalog.len();
            (Just(catalog), rule_book(n), cart_lines(n, 12), percent())
        })
        .prop_filter_map("valid cart", |(catalog, rules, raw_lines, tax_rate)| {
            let cart = Cart::new(raw_lines.iter().copied()).ok()?;
            Some(PricingScenario {
                catalog,
                rules,
                raw_lines,
                cart,
                tax_rate,
            })
        })
}
