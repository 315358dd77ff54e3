//! Checkout planning: decide everything an order changes, before anything changes.
//!
//! [`plan_checkout`] is pure. The adapter locks the rows the cart touches, hands
//! their snapshot to the planner, and gets back either a [`CheckoutError`] or a
//! [`CheckoutPlan`] holding every write: stock levels after the sale, the order
//! and its priced items, the customer's points after earning, and the
//! confirmation text. The adapter then applies the plan atomically; because
//! the plan already holds every resulting value, applying it cannot fail on a
//! business rule, only on storage.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::cart::Cart;
use crate::catalog::{Catalog, RuleBook, TaxTable};
use crate::config::ShopConfig;
use crate::customer::{Customer, MAX_POINTS};
use crate::error::{ErrorCode, ErrorKind, StorageError};
use crate::ids::{CustomerId, OrderId, ProductId};
use crate::notification::{ConfirmationText, NamedLine};
use crate::order::{Order, OrderItem, OrderStatus};
use crate::pricing::{quote, PricingError, Quote};
use crate::text::{CustomerName, Region};

/// A request to place an order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckoutRequest {
    /// Who is buying.
    pub customer_id: CustomerId,
    /// What, already merged and validated.
    pub cart: Cart,
    /// The tax region; `None` uses [`ShopConfig::default_region`].
    pub region: Option<Region>,
}

impl CheckoutRequest {
    /// A stable digest of what the request asks for, used to tell an idempotent
    /// replay (same fingerprint) from a conflicting reuse of a key.
    ///
    /// Line order and duplicate lines do not change it; region case does not either.
    ///
    /// ```
    /// use shopcore::{Cart, CartLine, CheckoutRequest, CustomerId, ProductId, Quantity};
    /// let line = |id, qty| CartLine {
    ///     product_id: ProductId::new(id).unwrap(),
    ///     quantity: Quantity::new(qty).unwrap(),
    /// };
    /// let request = |lines: Vec<CartLine>| CheckoutRequest {
    ///     customer_id: CustomerId::new(1).unwrap(),
    ///     cart: Cart::new(lines).unwrap(),
    ///     region: None,
    /// };
    /// let a = request(vec![line(1, 1), line(2, 3)]);
    /// let b = request(vec![line(2, 1), line(1, 1), line(2, 2)]);
    /// let c = request(vec![line(1, 2)]);
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert_ne!(a.fingerprint(), c.fingerprint());
    /// ```
    pub fn fingerprint(&self) -> RequestFingerprint {
        let mut lines: Vec<(i64, u32)> = self
            .cart
            .lines()
            .iter()
            .map(|l| (l.product_id.get(), l.quantity.get()))
            .collect();
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        hasher.update(b"checkout/v1\n");
        hasher.update(self.customer_id.get().to_be_bytes());
        match &self.region {
            Some(region) => {
                hasher.update([1]);
                hasher.update(region.key().as_bytes());
                hasher.update([0]);
            }
            None => hasher.update([0]),
        }
        for (product, quantity) in lines {
            hasher.update(product.to_be_bytes());
            hasher.update(quantity.to_be_bytes());
        }
        let digest = hasher.finalize();
        let hex = digest.iter().fold(String::with_capacity(64), |mut s, b| {
            use fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        });
        RequestFingerprint(hex)
    }
}

/// The SHA-256 of a checkout request's canonical form, as 64 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The rows a checkout reads, as the adapter locked them.
#[derive(Clone, Copy, Debug)]
pub struct CheckoutSnapshot<'a> {
    /// The buying customer, if it exists.
    pub customer: Option<&'a Customer>,
    /// At least the cart's products (missing ones are `unknown_product`).
    pub catalog: &'a Catalog,
    /// At least the cart's products' rules.
    pub rules: &'a RuleBook,
    /// At least the requested (or default) region's rate.
    pub tax_rates: &'a TaxTable,
}

/// Why an order cannot be placed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// See [`ErrorKind::UnknownCustomer`].
    #[error("customer {0} does not exist")]
    UnknownCustomer(CustomerId),
    /// See [`ErrorKind::UnknownTaxRegion`].
    #[error("no tax rate is configured for region {0:?}")]
    UnknownTaxRegion(Region),
    /// See [`ErrorKind::UnknownProduct`].
    #[error("product {0} does not exist")]
    UnknownProduct(ProductId),
    /// See [`ErrorKind::AmountOutOfRange`].
    #[error("the order's {what} exceeds the largest amount, 9999999999.99")]
    AmountOutOfRange {
        /// Which figure overflowed.
        what: &'static str,
    },
    /// See [`ErrorKind::InsufficientStock`].
    #[error(
        "insufficient stock for product {product_id}: requested {requested}, available {available}"
    )]
    InsufficientStock {
        /// The product short of stock (the first in cart order).
        product_id: ProductId,
        /// Units requested.
        requested: u32,
        /// Units in stock.
        available: u32,
    },
    /// See [`ErrorKind::IdempotencyConflict`].
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyConflict {
        /// The reused key.
        key: String,
    },
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for CheckoutError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownCustomer(_) => ErrorKind::UnknownCustomer,
            Self::UnknownTaxRegion(_) => ErrorKind::UnknownTaxRegion,
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::AmountOutOfRange { .. } => ErrorKind::AmountOutOfRange,
            Self::InsufficientStock { .. } => ErrorKind::InsufficientStock,
            Self::IdempotencyConflict { .. } => ErrorKind::IdempotencyConflict,
            Self::Storage(error) => error.kind(),
        }
    }
}

impl From<PricingError> for CheckoutError {
    fn from(error: PricingError) -> Self {
        match error {
            PricingError::UnknownProduct(id) => Self::UnknownProduct(id),
            PricingError::AmountOutOfRange { what } => Self::AmountOutOfRange { what },
        }
    }
}

/// One order item with what the adapter needs to apply it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedItem {
    /// The product's name, for the confirmation.
    pub product_name: String,
    /// The priced item to store.
    pub item: OrderItem,
    /// The product's stock level once this item is taken.
    pub stock_after: u32,
}

/// Every write of one checkout, decided in advance.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckoutPlan {
    /// Who is buying.
    pub customer_id: CustomerId,
    /// The buyer's name, for the confirmation.
    pub customer_name: CustomerName,
    /// The tax region, spelled as stored.
    pub region: Region,
    /// The priced cart.
    pub quote: Quote,
    /// The items, in cart order, with stock levels after the sale.
    pub items: Vec<PlannedItem>,
    /// Points the order earns.
    pub points_earned: u64,
    /// The customer's points after earning (saturating at [`MAX_POINTS`]).
    pub points_after: u64,
    /// When the order is placed.
    pub placed_at: DateTime<Utc>,
    delivery_days: u16,
}

impl CheckoutPlan {
    /// The stock decrements: `(product, units taken, stock after)`, in cart order.
    pub fn stock_decrements(&self) -> impl Iterator<Item = (ProductId, u32, u32)> + '_ {
        self.items
            .iter()
            .map(|p| (p.item.product_id, p.item.quantity.get(), p.stock_after))
    }

    /// The confirmation text, once storage has assigned the order's id.
    pub fn confirmation_message(&self, order_id: OrderId) -> String {
        ConfirmationText {
            customer_name: &self.customer_name,
            lines: self
                .items
                .iter()
                .zip(&self.quote.lines)
                .map(|(item, line)| NamedLine {
                    name: &item.product_name,
                    line,
                })
                .collect(),
            quote: &self.quote,
            region: &self.region,
            points_earned: self.points_earned,
            placed_at: self.placed_at,
            delivery_days: self.delivery_days,
        }
        .render(order_id)
    }

    /// The order as it will be stored under `order_id`.
    pub fn order(&self, order_id: OrderId) -> Order {
        Order {
            id: order_id,
            customer_id: self.customer_id,
            status: OrderStatus::Created,
            region: self.region.clone(),
            items: self.items.iter().map(|p| p.item).collect(),
            subtotal: self.quote.subtotal,
            tax: self.quote.tax,
            total_amount: self.quote.total,
            points_earned: self.points_earned,
            created_at: self.placed_at,
        }
    }
}

/// Decides a checkout against locked rows, or says why it cannot happen.
///
/// Checks, in order: the customer exists; the region has a tax rate (never a
/// guessed one); every product exists and the amounts fit; every line has the
/// stock it asks for.
///
/// ```
/// use shopcore::{plan_checkout, seed, Cart, CartLine, CheckoutRequest, CheckoutSnapshot,
///                CustomerId, OrderId, ProductId, Quantity, ShopConfig};
/// let data = seed::demo_data();
/// let (catalog, rules, taxes) = (data.catalog(), data.rule_book(), data.tax_table());
/// let request = CheckoutRequest {
///     customer_id: CustomerId::new(1).unwrap(),
///     cart: Cart::new([CartLine { product_id: ProductId::new(2).unwrap(),
///                                 quantity: Quantity::new(10).unwrap() }]).unwrap(),
///     region: None,
/// };
/// let snapshot = CheckoutSnapshot {
///     customer: Some(&data.customers[0]),
///     catalog: &catalog,
///     rules: &rules,
///     tax_rates: &taxes,
/// };
/// let plan = plan_checkout(&request, &snapshot, &ShopConfig::default(), chrono::Utc::now()).unwrap();
/// assert_eq!(plan.quote.total.to_string(), "290.60"); // 254.91 + 35.69
/// assert_eq!(plan.points_earned, 25);
/// assert_eq!(plan.stock_decrements().next(), Some((ProductId::new(2).unwrap(), 10, 190)));
/// assert!(plan.confirmation_message(OrderId::new(7).unwrap()).starts_with("Order #7 confirmed"));
/// ```
pub fn plan_checkout(
    request: &CheckoutRequest,
    snapshot: &CheckoutSnapshot<'_>,
    config: &ShopConfig,
    now: DateTime<Utc>,
) -> Result<CheckoutPlan, CheckoutError> {
    let customer = snapshot
        .customer
        .filter(|c| c.id == request.customer_id)
        .ok_or(CheckoutError::UnknownCustomer(request.customer_id))?;
    let wanted_region = request.region.as_ref().unwrap_or(&config.default_region);
    let (region, tax_rate) = snapshot
        .tax_rates
        .lookup(wanted_region)
        .ok_or_else(|| CheckoutError::UnknownTaxRegion(wanted_region.clone()))?;
    let quote = quote(
        &request.cart,
        snapshot.catalog,
        snapshot.rules,
        *tax_rate,
        &config.pricing,
    )?;

    let mut items = Vec::with_capacity(quote.lines.len());
    for line in &quote.lines {
        // The quote found every product, so this lookup succeeds.
        let product = snapshot
            .catalog
            .get(line.product_id)
            .ok_or(CheckoutError::UnknownProduct(line.product_id))?;
        let requested = line.quantity.get();
        let stock_after = product.quantity_available.checked_sub(requested).ok_or(
            CheckoutError::InsufficientStock {
                product_id: line.product_id,
                requested,
                available: product.quantity_available,
            },
        )?;
        items.push(PlannedItem {
            product_name: product.name.clone(),
            item: OrderItem {
                product_id: line.product_id,
                quantity: line.quantity,
                unit_price: line.unit_price,
                discount: line.discount,
                line_total: line.final_price,
            },
            stock_after,
        });
    }

    let points_earned = config.loyalty.points_for(quote.subtotal);
    let points_after = customer
        .loyalty_points
        .saturating_add(points_earned)
        .min(MAX_POINTS);
    Ok(CheckoutPlan {
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        region: region.clone(),
        quote,
        items,
        points_earned,
        points_after,
        placed_at: now,
        delivery_days: config.delivery_days,
    })
}

/// Units of each product an order took, summed per product (orders written by
/// older systems may list a product twice).
pub(crate) fn units_by_product(items: &[OrderItem]) -> Vec<(ProductId, u32)> {
    let mut order: Vec<ProductId> = Vec::new();
    let mut units: HashMap<ProductId, u32> = HashMap::new();
    for item in items {
        let entry = units.entry(item.product_id).or_insert_with(|| {
            order.push(item.product_id);
            0
        });
        *entry = entry.saturating_add(item.quantity.get());
    }
    order.into_iter().map(|id| (id, units[&id])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::{line, CartLine};
    use crate::quantity::Quantity;
    use crate::seed;

    fn plan(
        customer: i64,
        lines: &[CartLine],
        region: Option<&str>,
    ) -> Result<CheckoutPlan, CheckoutError> {
        let data = seed::demo_data();
        let (catalog, rules, taxes) = (data.catalog(), data.rule_book(), data.tax_table());
        let customer_id = CustomerId::new(customer).unwrap();
        let request = CheckoutRequest {
            customer_id,
            cart: Cart::new(lines.iter().copied()).unwrap(),
            region: region.map(|r| Region::parse(r).unwrap()),
        };
        let snapshot = CheckoutSnapshot {
            customer: data.customers.iter().find(|c| c.id == customer_id),
            catalog: &catalog,
            rules: &rules,
            tax_rates: &taxes,
        };
        plan_checkout(
            &request,
            &snapshot,
            &ShopConfig::default(),
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn worked_example_plans_stock_points_and_text() {
        let plan = plan(1, &[line(1, 1), line(2, 10)], None).unwrap();
        assert_eq!(plan.quote.total.to_string(), "1430.59");
        assert_eq!(plan.points_earned, 125);
        assert_eq!(plan.points_after, 225);
        assert_eq!(plan.region.as_str(), "Cairo");
        let decrements: Vec<_> = plan.stock_decrements().collect();
        assert_eq!(
            decrements,
            vec![
                (ProductId::new(1).unwrap(), 1, 49),
                (ProductId::new(2).unwrap(), 10, 190)
            ]
        );
        let text = plan.confirmation_message(OrderId::new(42).unwrap());
        for expected in [
            "Order #42 confirmed",
            "Dear Ahmed Hassan",
            "1 x Laptop @ 999.99 = 999.99",
            "10 x Mouse @ 29.99 - 44.99 (15.00% off) = 254.91",
            "Subtotal: 1254.90",
            "Tax (Cairo 14.00%): 175.69",
            "Total: 1430.59",
            "Loyalty points earned: 125",
            "by 1970-01-06",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn unknown_customer_region_product_and_short_stock_are_distinct_errors() {
        let kind = |r: Result<CheckoutPlan, CheckoutError>| r.unwrap_err().kind();
        assert_eq!(
            kind(plan(99, &[line(1, 1)], None)),
            ErrorKind::UnknownCustomer
        );
        assert_eq!(
            kind(plan(1, &[line(1, 1)], Some("Aswan"))),
            ErrorKind::UnknownTaxRegion
        );
        assert_eq!(
            kind(plan(1, &[line(1, 1), line(77, 1)], None)),
            ErrorKind::UnknownProduct
        );
        let short = plan(1, &[line(1, 1), line(4, 76)], None).unwrap_err();
        assert_eq!(
            short,
            CheckoutError::InsufficientStock {
                product_id: ProductId::new(4).unwrap(),
                requested: 76,
                available: 75
            }
        );
    }

    #[test]
    fn region_lookup_ignores_case_and_keeps_the_stored_spelling() {
        let plan = plan(2, &[line(5, 1)], Some("giza")).unwrap();
        assert_eq!(plan.region.as_str(), "Giza");
    }

    #[test]
    fn buying_exactly_the_stock_leaves_zero() {
        let plan = plan(3, &[line(4, 75)], None).unwrap();
        assert_eq!(plan.items[0].stock_after, 0);
    }

    #[test]
    fn units_by_product_sums_duplicate_items() {
        let item = |id, qty| OrderItem {
            product_id: ProductId::new(id).unwrap(),
            quantity: Quantity::new(qty).unwrap(),
            unit_price: crate::Money::ZERO,
            discount: crate::Money::ZERO,
            line_total: crate::Money::ZERO,
        };
        let summed = units_by_product(&[item(2, 1), item(1, 4), item(2, 3)]);
        assert_eq!(
            summed,
            vec![
                (ProductId::new(2).unwrap(), 4),
                (ProductId::new(1).unwrap(), 4)
            ]
        );
    }
}
