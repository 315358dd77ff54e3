//! The seed data of the original backend (DESIGN.md), shared by every adapter.
//!
//! ```
//! let seed = shopcore::seed::demo_data();
//! assert_eq!(seed.products.len(), 5);
//! assert_eq!(seed.customers[0].name.as_str(), "Ahmed Hassan");
//! assert_eq!(seed.tax_rates.len(), 3);
//! ```

use chrono::{DateTime, Utc};

use crate::catalog::{Catalog, PricingRule, Product, RuleBook, TaxTable};
use crate::orders::customer::Customer;
use crate::orders::order::{Order, OrderItem, OrderStatus};
use crate::values::ids::{CustomerId, OrderId, ProductId};
use crate::values::money::Money;
use crate::values::percent::Percent;
use crate::values::quantity::Quantity;
use crate::values::text::{CustomerName, Email, ProductName, Region};

/// A complete data set an adapter can load: products, customers, rules, tax rates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedData {
    /// Products with their stock and prices.
    pub products: Vec<Product>,
    /// Customers (without passwords).
    pub customers: Vec<Customer>,
    /// Quantity-tier pricing rules.
    pub rules: Vec<PricingRule>,
    /// Tax rates by region.
    pub tax_rates: Vec<(Region, Percent)>,
}

impl SeedData {
    /// The products as a [`Catalog`].
    pub fn catalog(&self) -> Catalog {
        Catalog::from_products(self.products.iter().cloned())
    }

    /// The rules as a [`RuleBook`].
    pub fn rule_book(&self) -> RuleBook {
        RuleBook::from_rules(self.rules.iter().copied())
    }

    /// The tax rates as a [`TaxTable`].
    pub fn tax_table(&self) -> TaxTable {
        TaxTable::from_rates(self.tax_rates.iter().cloned())
    }
}

// The literals below are valid by inspection; `expect` documents that and the
// unit test `demo_data_builds` proves it, so no runtime input can reach a panic.
fn product(id: i64, name: &str, stock: u32, cents: i64) -> Product {
    Product {
        id: ProductId::new(id).expect("seed id"),
        name: ProductName::parse(name).expect("seed name"),
        quantity_available: stock,
        unit_price: Money::from_cents(cents).expect("seed price"),
        last_updated: DateTime::<Utc>::UNIX_EPOCH,
        retired: false,
    }
}

fn customer(id: i64, name: &str, email: &str, points: i64) -> Customer {
    Customer {
        id: CustomerId::new(id).expect("seed id"),
        name: CustomerName::parse(name).expect("seed name"),
        email: Email::parse(email).expect("seed email"),
        phone: None,
        loyalty_points: points,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

fn rule(product_id: i64, min_quantity: i64, percent: &str) -> PricingRule {
    PricingRule {
        product_id: ProductId::new(product_id).expect("seed id"),
        min_quantity: Quantity::new(min_quantity).expect("seed quantity"),
        discount: percent.parse().expect("seed percent"),
    }
}

/// The original backend's seed rows: five products, three customers, three
/// rules, three tax regions at 14 %.
///
/// ```
/// let data = shopcore::seed::demo_data();
/// assert_eq!(data.products.len(), 5);
/// assert_eq!(data.products[0].name.as_str(), "Laptop");
/// ```
pub fn demo_data() -> SeedData {
    SeedData {
        products: vec![
            product(1, "Laptop", 50, 99_999),
            product(2, "Mouse", 200, 2_999),
            product(3, "Keyboard", 150, 7_999),
            product(4, "Monitor", 75, 29_999),
            product(5, "Headphones", 100, 14_999),
        ],
        customers: vec![
            customer(1, "Ahmed Hassan", "ahmed@example.com", 100),
            customer(2, "Sara Mohamed", "sara@example.com", 250),
            customer(3, "Omar Ali", "omar@example.com", 50),
        ],
        rules: vec![rule(1, 5, "10"), rule(2, 10, "15"), rule(3, 10, "12")],
        tax_rates: ["Cairo", "Giza", "Alexandria"]
            .into_iter()
            .map(|name| {
                (
                    Region::parse(name).expect("seed region"),
                    "14.00".parse().expect("seed rate"),
                )
            })
            .collect(),
    }
}

/// DESIGN.md's worked example as a placed order: order 1 of Ahmed (customer
/// 1), 1 Laptop and 10 Mice in Cairo, 1430.59 in all, nothing paid or
/// shipped. For examples and tests of the planners that read an order.
///
/// ```
/// let order = shopcore::seed::worked_example_order();
/// assert_eq!(order.total_amount.to_string(), "1430.59");
/// assert_eq!(order.payment_status().as_str(), "unpaid");
/// ```
pub fn worked_example_order() -> Order {
    let money = |text: &str| text.parse::<Money>().expect("example amount");
    let item = |id, units, unit: &str, discount: &str, total: &str, tax: &str| OrderItem {
        product_id: ProductId::new(id).expect("example id"),
        quantity: Quantity::new(units).expect("example quantity"),
        unit_price: money(unit),
        discount: money(discount),
        line_total: money(total),
        coupon_share: Money::ZERO,
        points_share: Money::ZERO,
        tax: money(tax),
        points_redeemed: 0,
    };
    Order {
        id: OrderId::new(1).expect("example id"),
        customer_id: CustomerId::new(1).expect("example id"),
        status: OrderStatus::Created,
        region: Region::parse("Cairo").expect("example region"),
        items: vec![
            // 175.69 of tax split by net price: 140.0021… and 35.6887…
            item(1, 1, "999.99", "0.00", "999.99", "140.00"),
            item(2, 10, "29.99", "44.99", "254.91", "35.69"),
        ],
        subtotal: money("1254.90"),
        coupon: None,
        coupon_discount: Money::ZERO,
        points_redeemed: 0,
        points_value: Money::ZERO,
        tax: money("175.69"),
        total_amount: money("1430.59"),
        points_earned: 125,
        created_at: DateTime::UNIX_EPOCH,
        payments: Vec::new(),
        fulfillments: Vec::new(),
        refund_due: Money::ZERO,
        rounding: crate::RoundingMode::HalfUp,
        releases: Vec::new(),
        returns: Vec::new(),
        refunds: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_data_builds() {
        let data = super::demo_data();
        assert_eq!(data.customers.len(), 3);
        assert_eq!(data.rules.len(), 3);
        assert_eq!(data.tax_table().iter().count(), 3);
    }
}
