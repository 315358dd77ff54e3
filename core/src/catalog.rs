//! Catalog snapshots: products, quantity-tier pricing rules and tax rates.
//!
//! These are plain in-memory views that the pure functions read. An adapter
//! builds them from its storage (for checkout: only the locked rows of the
//! cart); nothing here performs I/O. Lookups are hash-map based, so the cost of
//! a quote depends on the cart, not on the size of the catalog.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::ids::ProductId;
use crate::money::Money;
use crate::percent::Percent;
use crate::quantity::Quantity;
use crate::text::Region;

/// One product row (`inventory`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Product {
    /// The product's id.
    pub id: ProductId,
    /// Display name.
    pub name: String,
    /// Units in stock, `0..=MAX_STOCK`.
    pub quantity_available: u32,
    /// Price of one unit.
    pub unit_price: Money,
    /// When the stock or price last changed.
    pub last_updated: DateTime<Utc>,
}

/// A set of products, keyed by id.
///
/// ```
/// use shopcore::{Catalog, Product, ProductId};
/// let catalog = Catalog::from_products([Product {
///     id: ProductId::new(1).unwrap(),
///     name: "Laptop".into(),
///     quantity_available: 50,
///     unit_price: "999.99".parse().unwrap(),
///     last_updated: chrono::DateTime::UNIX_EPOCH,
/// }]);
/// assert_eq!(catalog.get(ProductId::new(1).unwrap()).unwrap().name, "Laptop");
/// assert!(catalog.get(ProductId::new(2).unwrap()).is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    products: HashMap<ProductId, Product>,
}

impl Catalog {
    /// Builds a catalog; a later product with the same id replaces an earlier one.
    pub fn from_products(products: impl IntoIterator<Item = Product>) -> Self {
        Catalog {
            products: products.into_iter().map(|p| (p.id, p)).collect(),
        }
    }

    /// The product with this id.
    pub fn get(&self, id: ProductId) -> Option<&Product> {
        self.products.get(&id)
    }

    /// The product with this id, mutably (adapters apply plans through this).
    pub fn get_mut(&mut self, id: ProductId) -> Option<&mut Product> {
        self.products.get_mut(&id)
    }

    /// Adds or replaces a product.
    pub fn insert(&mut self, product: Product) {
        self.products.insert(product.id, product);
    }

    /// Number of products.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// Whether there are no products.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// All products, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Product> {
        self.products.values()
    }
}

/// One quantity tier (`pricing_rules`): buying at least `min_quantity` units of
/// `product_id` gives `discount` off the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PricingRule {
    /// The product the rule applies to.
    pub product_id: ProductId,
    /// The smallest line quantity the rule applies to.
    pub min_quantity: Quantity,
    /// The discount on the line's base price.
    pub discount: Percent,
}

/// All pricing rules, grouped by product.
///
/// Of the rules of a product whose `min_quantity` the line reaches, the one with
/// the largest discount applies. Because the set of reached rules only grows with
/// quantity, the applied rate never falls when quantity rises.
///
/// ```
/// use shopcore::{PricingRule, ProductId, Quantity, RuleBook};
/// let mouse = ProductId::new(2).unwrap();
/// let rules = RuleBook::from_rules([PricingRule {
///     product_id: mouse,
///     min_quantity: Quantity::new(10).unwrap(),
///     discount: "15".parse().unwrap(),
/// }]);
/// assert_eq!(rules.discount_for(mouse, Quantity::new(9).unwrap()).to_string(), "0.00");
/// assert_eq!(rules.discount_for(mouse, Quantity::new(10).unwrap()).to_string(), "15.00");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleBook {
    by_product: HashMap<ProductId, Vec<PricingRule>>,
}

impl RuleBook {
    /// Groups rules by product.
    pub fn from_rules(rules: impl IntoIterator<Item = PricingRule>) -> Self {
        let mut book = RuleBook::default();
        for rule in rules {
            book.insert(rule);
        }
        book
    }

    /// Adds a rule.
    pub fn insert(&mut self, rule: PricingRule) {
        self.by_product
            .entry(rule.product_id)
            .or_default()
            .push(rule);
    }

    /// The rules of one product.
    pub fn rules_for(&self, product_id: ProductId) -> &[PricingRule] {
        self.by_product.get(&product_id).map_or(&[], Vec::as_slice)
    }

    /// The discount a line of `quantity` units of `product_id` gets (0 % if none applies).
    pub fn discount_for(&self, product_id: ProductId, quantity: Quantity) -> Percent {
        self.rules_for(product_id)
            .iter()
            .filter(|rule| rule.min_quantity <= quantity)
            .map(|rule| rule.discount)
            .max()
            .unwrap_or(Percent::ZERO)
    }

    /// All rules, grouped by product in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &PricingRule> {
        self.by_product.values().flatten()
    }
}

/// Tax rates by region (`tax_rates`), looked up case-insensitively.
///
/// ```
/// use shopcore::{Region, TaxTable};
/// let table = TaxTable::from_rates([(Region::parse("Cairo").unwrap(), "14".parse().unwrap())]);
/// assert!(table.rate(&Region::parse("cairo").unwrap()).is_some());
/// assert!(table.rate(&Region::parse("Aswan").unwrap()).is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaxTable {
    rates: HashMap<String, (Region, Percent)>,
}

impl TaxTable {
    /// Builds a table; a later rate for the same region replaces an earlier one.
    pub fn from_rates(rates: impl IntoIterator<Item = (Region, Percent)>) -> Self {
        TaxTable {
            rates: rates
                .into_iter()
                .map(|(region, rate)| (region.key(), (region, rate)))
                .collect(),
        }
    }

    /// The rate of `region`, with the region's stored spelling.
    pub fn lookup(&self, region: &Region) -> Option<&(Region, Percent)> {
        self.rates.get(&region.key())
    }

    /// The rate of `region`.
    pub fn rate(&self, region: &Region) -> Option<Percent> {
        self.lookup(region).map(|(_, rate)| *rate)
    }

    /// All regions and rates, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &(Region, Percent)> {
        self.rates.values()
    }
}
