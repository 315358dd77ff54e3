//! Pricing: a pure function from catalog snapshot, rules, tax rate and cart to a [`Quote`].
//!
//! Per line: `base = unit_price × quantity`; the product's best reached tier
//! gives the rate; `discount = round(base × rate / 100)`; `final = base − discount`.
//! Then `subtotal = Σ final`, the tax is rounded per order
//! (`round(subtotal × rate / 100)`, the default) or per line (each line's tax
//! rounded, `tax = Σ line tax`), and `total = subtotal + tax`. Every figure is
//! computed once and every printed sum is the exact sum of the printed parts,
//! so the one-cent mismatches of per-line/per-order mixes cannot happen.
//!
//! Invariants (each has a property test in `core/tests/pricing_properties.rs`):
//! 1. `Σ line.final_price = subtotal`;
//! 2. `0 ≤ discount ≤ base` on every line;
//! 3. `total = subtotal + tax` exactly;
//! 4. every amount has exactly two decimal places;
//! 5. a 100 % discount gives a final price of 0.00, 0 % gives the base;
//! 6. the discount rate applied never falls when quantity rises;
//! 7. line order does not change the quote's totals or its set of lines;
//! 8. merging duplicate lines of one product gives the same quote;
//! 9. in per-line tax mode, `Σ line.tax = tax`.
//!
//! Range: unit prices and totals are bounded by [`Money::MAX`], quantities by
//! [`Quantity::MAX`], lines by [`Cart::MAX_LINES`](crate::Cart::MAX_LINES), so
//! every intermediate product stays far below `Decimal`'s 28 digits; a result
//! above `Money::MAX` is the error `amount_out_of_range`, never a panic.

use rust_decimal::Decimal;

use crate::cart::Cart;
use crate::catalog::{Catalog, RuleBook};
use crate::error::{ErrorCode, ErrorKind};
use crate::ids::ProductId;
use crate::money::{Money, RoundingMode};
use crate::percent::Percent;
use crate::quantity::Quantity;

/// Where tax is rounded.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TaxRounding {
    /// `tax = round(subtotal × rate / 100)`; lines carry no tax of their own.
    #[default]
    PerOrder,
    /// Each line's tax is rounded; `tax = Σ line tax`.
    PerLine,
}

/// The rounding rules of a quote.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct PricingPolicy {
    /// How discounts and tax are rounded to cents (default half-up).
    pub rounding: RoundingMode,
    /// Where tax is rounded (default per order).
    pub tax_rounding: TaxRounding,
}

/// Why a cart cannot be priced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PricingError {
    /// See [`ErrorKind::UnknownProduct`].
    #[error("product {0} does not exist")]
    UnknownProduct(ProductId),
    /// See [`ErrorKind::ProductUnavailable`].
    #[error("product {0} is retired: it can no longer be ordered")]
    ProductUnavailable(ProductId),
    /// See [`ErrorKind::AmountOutOfRange`].
    #[error("the {what} exceeds the largest amount, 9999999999.99")]
    AmountOutOfRange {
        /// Which figure overflowed, e.g. "total".
        what: &'static str,
    },
}

impl ErrorCode for PricingError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::ProductUnavailable(_) => ErrorKind::ProductUnavailable,
            Self::AmountOutOfRange { .. } => ErrorKind::AmountOutOfRange,
        }
    }
}

/// One priced line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuoteLine {
    /// The product.
    pub product_id: ProductId,
    /// Units bought.
    pub quantity: Quantity,
    /// Price of one unit.
    pub unit_price: Money,
    /// `unit_price × quantity`.
    pub base: Money,
    /// The tier rate applied (0 % if none).
    pub discount_rate: Percent,
    /// `round(base × discount_rate / 100)`.
    pub discount: Money,
    /// `base − discount`.
    pub final_price: Money,
    /// The line's rounded tax in [`TaxRounding::PerLine`] mode; `None` per order.
    pub tax: Option<Money>,
}

/// The priced cart.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quote {
    /// One line per cart line, in cart order.
    pub lines: Vec<QuoteLine>,
    /// `Σ line.final_price`.
    pub subtotal: Money,
    /// The tax rate applied.
    pub tax_rate: Percent,
    /// The tax, rounded as the policy says.
    pub tax: Money,
    /// `subtotal + tax`.
    pub total: Money,
}

fn in_range(value: Decimal, what: &'static str) -> Result<Money, PricingError> {
    Money::new(value).map_err(|_| PricingError::AmountOutOfRange { what })
}

fn rounded(value: Decimal, mode: RoundingMode, what: &'static str) -> Result<Money, PricingError> {
    in_range(mode.round(value), what)
}

/// Prices `cart` against a catalog snapshot, its rules and a tax rate.
///
/// ```
/// use shopcore::{quote, seed, Cart, CartLine, PricingPolicy, ProductId, Quantity};
/// let data = seed::demo_data();
/// let line = |id, qty| CartLine {
///     product_id: ProductId::new(id).unwrap(),
///     quantity: Quantity::new(qty).unwrap(),
/// };
/// let cart = Cart::new([line(1, 1), line(2, 10)]).unwrap();
/// let q = quote(&cart, &data.catalog(), &data.rule_book(), "14".parse().unwrap(), &PricingPolicy::default())
///     .unwrap();
/// assert_eq!(q.lines[1].discount.to_string(), "44.99");   // 299.90 × 15 % = 44.985
/// assert_eq!(q.subtotal.to_string(), "1254.90");
/// assert_eq!(q.tax.to_string(), "175.69");                // 175.686
/// assert_eq!(q.total.to_string(), "1430.59");
/// ```
pub fn quote(
    cart: &Cart,
    catalog: &Catalog,
    rules: &RuleBook,
    tax_rate: Percent,
    policy: &PricingPolicy,
) -> Result<Quote, PricingError> {
    let mode = policy.rounding;
    let per_line_tax = policy.tax_rounding == TaxRounding::PerLine;
    let mut lines = Vec::with_capacity(cart.lines().len());
    let mut subtotal = Decimal::ZERO;
    let mut line_tax_sum = Decimal::ZERO;
    for line in cart.lines() {
        let product = catalog
            .get(line.product_id)
            .ok_or(PricingError::UnknownProduct(line.product_id))?;
        if product.retired {
            return Err(PricingError::ProductUnavailable(line.product_id));
        }
        let unit_price = product.unit_price;
        let base = in_range(
            unit_price.amount() * Decimal::from(line.quantity.get()),
            "line base price",
        )?;
        let discount_rate = rules.discount_for(line.product_id, line.quantity);
        let discount = rounded(discount_rate.of(base.amount()), mode, "discount")?;
        // discount ≤ base because rate ≤ 100 % and rounding base × 1 is exact.
        let final_price = base
            .checked_sub(discount)
            .ok_or(PricingError::AmountOutOfRange { what: "discount" })?;
        let tax = if per_line_tax {
            let line_tax = rounded(tax_rate.of(final_price.amount()), mode, "line tax")?;
            line_tax_sum += line_tax.amount();
            Some(line_tax)
        } else {
            None
        };
        subtotal += final_price.amount();
        lines.push(QuoteLine {
            product_id: line.product_id,
            quantity: line.quantity,
            unit_price,
            base,
            discount_rate,
            discount,
            final_price,
            tax,
        });
    }
    let subtotal = in_range(subtotal, "subtotal")?;
    let tax = if per_line_tax {
        in_range(line_tax_sum, "tax")?
    } else {
        rounded(tax_rate.of(subtotal.amount()), mode, "tax")?
    };
    let total = subtotal
        .checked_add(tax)
        .ok_or(PricingError::AmountOutOfRange { what: "total" })?;
    Ok(Quote {
        lines,
        subtotal,
        tax_rate,
        tax,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::{line, CartLine};
    use crate::seed;

    fn quote_seed(lines: &[CartLine], policy: PricingPolicy) -> Result<Quote, PricingError> {
        let data = seed::demo_data();
        let cart = Cart::new(lines.iter().copied()).unwrap();
        quote(
            &cart,
            &data.catalog(),
            &data.rule_book(),
            "14".parse().unwrap(),
            &policy,
        )
    }

    #[test]
    fn design_worked_example_laptop_and_ten_mice() {
        let q = quote_seed(&[line(1, 1), line(2, 10)], PricingPolicy::default()).unwrap();
        let laptop = &q.lines[0];
        assert_eq!(laptop.final_price.to_string(), "999.99");
        assert_eq!(laptop.discount, Money::ZERO);
        let mice = &q.lines[1];
        assert_eq!(mice.base.to_string(), "299.90");
        assert_eq!(mice.discount_rate.to_string(), "15.00");
        assert_eq!(mice.discount.to_string(), "44.99");
        assert_eq!(mice.final_price.to_string(), "254.91");
        assert_eq!(q.subtotal.to_string(), "1254.90");
        assert_eq!(q.tax.to_string(), "175.69");
        assert_eq!(q.total.to_string(), "1430.59");
    }

    #[test]
    fn half_even_rounds_the_mouse_discount_down() {
        let policy = PricingPolicy {
            rounding: RoundingMode::HalfEven,
            ..PricingPolicy::default()
        };
        let q = quote_seed(&[line(2, 10)], policy).unwrap();
        assert_eq!(q.lines[0].discount.to_string(), "44.98");
        assert_eq!(q.lines[0].final_price.to_string(), "254.92");
    }

    #[test]
    fn per_line_tax_sums_the_rounded_line_taxes() {
        let policy = PricingPolicy {
            tax_rounding: TaxRounding::PerLine,
            ..PricingPolicy::default()
        };
        let q = quote_seed(&[line(1, 1), line(2, 10)], policy).unwrap();
        // 999.99 × 14 % = 139.9986 → 140.00; 254.91 × 14 % = 35.6874 → 35.69.
        assert_eq!(q.lines[0].tax.unwrap().to_string(), "140.00");
        assert_eq!(q.lines[1].tax.unwrap().to_string(), "35.69");
        assert_eq!(q.tax.to_string(), "175.69");
        assert_eq!(q.total.to_string(), "1430.59");
        let per_order = quote_seed(&[line(1, 1), line(2, 10)], PricingPolicy::default()).unwrap();
        assert!(per_order.lines.iter().all(|l| l.tax.is_none()));
    }

    #[test]
    fn highest_reached_tier_applies() {
        let q = quote_seed(&[line(1, 4), line(3, 9)], PricingPolicy::default()).unwrap();
        assert!(q.lines.iter().all(|l| l.discount == Money::ZERO));
        let q = quote_seed(&[line(1, 5), line(3, 10)], PricingPolicy::default()).unwrap();
        assert_eq!(q.lines[0].discount_rate.to_string(), "10.00");
        assert_eq!(q.lines[1].discount_rate.to_string(), "12.00");
    }

    #[test]
    fn unknown_product_is_reported_by_id() {
        let err = quote_seed(&[line(1, 1), line(99, 1)], PricingPolicy::default()).unwrap_err();
        assert_eq!(
            err,
            PricingError::UnknownProduct(ProductId::new(99).unwrap())
        );
    }

    #[test]
    fn a_total_above_money_max_is_amount_out_of_range() {
        // 1 000 000 laptops: 999 990 000.00 subtotal fits; 11 lines of them do not.
        let many: Vec<CartLine> = (1..=5).map(|id| line(id, 1_000_000)).collect();
        let q = quote_seed(&many, PricingPolicy::default()).unwrap();
        assert!(q.total > Money::ZERO);
        let data = seed::demo_data();
        let mut catalog = data.catalog();
        for id in 1..=5 {
            catalog
                .get_mut(ProductId::new(id).unwrap())
                .unwrap()
                .unit_price = Money::MAX;
        }
        let cart = Cart::new(many).unwrap();
        let err = quote(
            &cart,
            &catalog,
            &data.rule_book(),
            Percent::ZERO,
            &PricingPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AmountOutOfRange);
    }
}
