//! Catalog snapshots: products, quantity-tier pricing rules and tax rates.
//!
//! These are plain in-memory views that the pure functions read. An adapter
//! builds them from its storage (for checkout: only the locked rows of the
//! cart); nothing here performs I/O. Lookups are hash-map based, so the cost of
//! a quote depends on the cart, not on the size of the catalog.

pub(crate) mod cart;

use crate::{ErrorCode, ErrorKind, StorageError};
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::values::ids::ProductId;
use crate::values::money::Money;
use crate::values::percent::Percent;
use crate::values::quantity::Quantity;
use crate::values::text::{ProductName, Region};

/// One product row (`inventory`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Product {
    /// The product's id.
    pub id: ProductId,
    /// Display name.
    pub name: ProductName,
    /// Units in stock, `0..=MAX_STOCK`.
    pub quantity_available: u32,
    /// Price of one unit.
    pub unit_price: Money,
    /// When the stock or price last changed.
    pub last_updated: DateTime<Utc>,
    /// A retired product can be neither quoted nor ordered, and listings
    /// leave it out unless asked; its orders keep their prices.
    #[serde(default)]
    pub retired: bool,
}

/// A set of products, keyed by id.
///
/// ```
/// use shopcore::{Catalog, Product, ProductId, ProductName};
/// let catalog = Catalog::from_products([Product {
///     id: ProductId::new(1).unwrap(),
///     name: ProductName::parse("Laptop").unwrap(),
///     quantity_available: 50,
///     unit_price: "999.99".parse().unwrap(),
///     last_updated: chrono::DateTime::UNIX_EPOCH,
///     retired: false,
/// }]);
/// assert_eq!(catalog.get(ProductId::new(1).unwrap()).unwrap().name.as_str(), "Laptop");
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

    /// The ladder of one product (its rules as rungs, ascending).
    pub fn ladder(&self, product_id: ProductId) -> TierLadder {
        let mut rungs: Vec<TierRung> = self
            .rules_for(product_id)
            .iter()
            .map(|rule| TierRung {
                min_quantity: rule.min_quantity,
                discount: rule.discount,
            })
            .collect();
        rungs.sort_by_key(|r| r.min_quantity);
        TierLadder(rungs)
    }

    /// Replaces one product's rules with `ladder`'s rungs (none for an empty ladder).
    pub fn replace(&mut self, product_id: ProductId, ladder: &TierLadder) {
        self.by_product.remove(&product_id);
        for rule in ladder.rules(product_id) {
            self.insert(rule);
        }
    }

    /// All rules, grouped by product in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &PricingRule> {
        self.by_product.values().flatten()
    }
}

/// One rung of a product's tier ladder: at least `min_quantity` units get `discount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TierRung {
    /// The smallest line quantity the rung applies to (at least 1).
    pub min_quantity: Quantity,
    /// The discount on the line's base price (0–100 %, two decimals).
    #[serde(rename = "discount_percentage")]
    pub discount: Percent,
}

/// A product's whole tier ladder: distinct minimum quantities, at most
/// [`TierLadder::MAX_RUNGS`] rungs, kept in ascending order. Empty means no
/// tier discount.
///
/// ```
/// use shopcore::{ErrorCode, Quantity, TierLadder, TierRung};
/// let rung = |q, d: &str| TierRung { min_quantity: Quantity::new(q).unwrap(), discount: d.parse().unwrap() };
/// let ladder = TierLadder::new(vec![rung(10, "15"), rung(5, "10")]).unwrap();
/// assert_eq!(ladder.rungs()[0].min_quantity.get(), 5); // sorted
/// let twice = TierLadder::new(vec![rung(5, "10"), rung(5, "12")]).unwrap_err();
/// assert_eq!(twice.code(), "invalid_tier");
/// assert!(twice.to_string().contains("tiers[1]"), "{twice}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TierLadder(Vec<TierRung>);

/// Why a tier ladder was refused; the message names the rung (see [`ErrorKind::InvalidTier`](crate::ErrorKind::InvalidTier)).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LadderError(String);

impl crate::error::ErrorCode for LadderError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::InvalidTier
    }
}

impl TierLadder {
    /// The most rungs one product's ladder may have.
    pub const MAX_RUNGS: usize = 100;

    /// Checks and sorts the rungs (given in any order).
    pub fn new(mut rungs: Vec<TierRung>) -> Result<Self, LadderError> {
        if rungs.len() > Self::MAX_RUNGS {
            return Err(LadderError(format!(
                "a ladder has at most {} rungs, got {}",
                Self::MAX_RUNGS,
                rungs.len()
            )));
        }
        for (index, rung) in rungs.iter().enumerate() {
            if let Some(first) = rungs[..index]
                .iter()
                .position(|r| r.min_quantity == rung.min_quantity)
            {
                return Err(LadderError(format!(
                    "tiers[{index}]: min_quantity {} repeats tiers[{first}]",
                    rung.min_quantity.get()
                )));
            }
        }
        rungs.sort_by_key(|r| r.min_quantity);
        Ok(TierLadder(rungs))
    }

    /// The rungs, by ascending minimum quantity.
    pub fn rungs(&self) -> &[TierRung] {
        &self.0
    }

    /// Whether there are no rungs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ladder's rungs as the pricing rules of `product_id`.
    pub fn rules(&self, product_id: ProductId) -> impl Iterator<Item = PricingRule> + '_ {
        self.0.iter().map(move |rung| PricingRule {
            product_id,
            min_quantity: rung.min_quantity,
            discount: rung.discount,
        })
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

    /// Sets a region's rate; a region already there keeps its stored spelling.
    pub fn set(&mut self, region: &Region, rate: Percent) {
        self.rates
            .entry(region.key())
            .and_modify(|(_, stored)| *stored = rate)
            .or_insert_with(|| (region.clone(), rate));
    }

    /// Removes a region; answers what it held.
    pub fn remove(&mut self, region: &Region) -> Option<(Region, Percent)> {
        self.rates.remove(&region.key())
    }
}

/// Failures of catalog operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// See [`ErrorKind::UnknownProduct`].
    #[error("product {0} does not exist")]
    UnknownProduct(ProductId),
    /// See [`ErrorKind::InsufficientStock`].
    #[error("insufficient stock for product {product_id}: change {change}, available {available}")]
    InsufficientStock {
        /// The product.
        product_id: ProductId,
        /// The requested (negative) change.
        change: i64,
        /// Units in stock.
        available: u32,
    },
    /// See [`ErrorKind::StockOutOfRange`].
    #[error("stock of product {0} would exceed the largest stock level")]
    StockOutOfRange(ProductId),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for CatalogError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::InsufficientStock { .. } => ErrorKind::InsufficientStock,
            Self::StockOutOfRange(_) => ErrorKind::StockOutOfRange,
            Self::Storage(error) => error.kind(),
        }
    }
}
