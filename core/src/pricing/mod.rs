//! Pricing: a pure function from catalog snapshot, rules, tax rate, coupon and
//! points to a [`Quote`].
//!
//! The order of application is fixed:
//! 1. per line, `base = unit_price × quantity`; the product's best reached tier
//!    gives the rate; `discount = round(base × rate / 100)`;
//!    `final = base − discount`; `subtotal = Σ final`;
//! 2. a coupon takes `round(subtotal × percent / 100)` or its amount (at most the
//!    subtotal) off the subtotal;
//! 3. redeemed points take `points × point value` off what is left (never more:
//!    a larger redemption is refused);
//! 4. `taxable = subtotal − coupon − points`, and the tax is rounded per order
//!    (`round(taxable × rate / 100)`, the default) or per line (each line's tax
//!    on its `net_price`, rounded; `tax = Σ line tax`); `total = taxable + tax`.
//!
//! The coupon's and the points' amounts are split over the lines to the cent by
//! largest remainder ([`allocate`]), so every printed sum is the exact sum of
//! the printed parts and the one-cent mismatches of per-line/per-order mixes
//! cannot happen.
//!
//! Invariants (each has a property test in `core/tests/pricing_properties.rs`):
//! 1. `Σ line.final_price = subtotal`;
//! 2. `0 ≤ discount ≤ base` on every line;
//! 3. `total = taxable + tax` and `taxable = subtotal − coupon_discount − points_value` exactly;
//! 4. every amount has exactly two decimal places and none is below 0.00;
//! 5. a 100 % discount gives a final price of 0.00, 0 % gives the base;
//! 6. the discount rate applied never falls when quantity rises;
//! 7. line order does not change the quote's totals or its set of lines;
//! 8. merging duplicate lines of one product gives the same quote;
//! 9. in per-line tax mode, `Σ line.tax = tax`;
//! 10. `Σ coupon_share = coupon_discount`, `Σ points_share = points_value`,
//!     `Σ net_price = taxable`, and on every line `net_price = final_price −
//!     coupon_share − points_share ≥ 0`.
//!
//! Range: unit prices and totals are bounded by [`Money::MAX`], quantities by
//! [`Quantity::MAX`], lines by [`Cart::MAX_LINES`](crate::Cart::MAX_LINES), so
//! every intermediate product stays far below `Decimal`'s 28 digits; a result
//! above `Money::MAX` is the error `amount_out_of_range`, never a panic.

pub(crate) mod audit;
pub(crate) mod coupon;
pub(crate) mod loyalty;
pub(crate) mod price_list;

use rust_decimal::Decimal;

use crate::catalog::cart::Cart;
use crate::catalog::{Catalog, RuleBook};
use crate::error::{ErrorCode, ErrorKind};
use crate::pricing::coupon::CouponValue;
use crate::pricing::loyalty::PointValue;
use crate::values::ids::ProductId;
use crate::values::money::{Money, RoundingMode};
use crate::values::percent::Percent;
use crate::values::quantity::Quantity;

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

impl TaxRounding {
    /// The mode's snake_case name, as configured: `"per_order"` or `"per_line"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PerOrder => "per_order",
            Self::PerLine => "per_line",
        }
    }
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
    /// See [`ErrorKind::PointsExceedAmount`].
    #[error(
        "{requested} points are worth more than what is left to pay; at most {max} can be redeemed"
    )]
    PointsExceedAmount {
        /// Points asked for.
        requested: u64,
        /// The most that can be redeemed on this order.
        max: u64,
    },
}

impl ErrorCode for PricingError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownProduct(_) => ErrorKind::UnknownProduct,
            Self::ProductUnavailable(_) => ErrorKind::ProductUnavailable,
            Self::AmountOutOfRange { .. } => ErrorKind::AmountOutOfRange,
            Self::PointsExceedAmount { .. } => ErrorKind::PointsExceedAmount,
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
    /// `base − discount`: the line after its tier discount.
    pub final_price: Money,
    /// The line's part of the coupon's discount (largest remainder, to the cent).
    pub coupon_share: Money,
    /// The line's part of the redeemed points' value (largest remainder, to the cent).
    pub points_share: Money,
    /// `final_price − coupon_share − points_share`: what the line costs before tax.
    pub net_price: Money,
    /// The line's rounded tax (on `net_price`) in [`TaxRounding::PerLine`] mode; `None` per order.
    pub tax: Option<Money>,
}

/// The priced cart.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quote {
    /// One line per cart line, in cart order.
    pub lines: Vec<QuoteLine>,
    /// `Σ line.final_price`: after tier discounts, before the coupon.
    pub subtotal: Money,
    /// What the coupon takes off the subtotal (0.00 without one); `Σ line.coupon_share`.
    pub coupon_discount: Money,
    /// Loyalty points redeemed.
    pub points_redeemed: u64,
    /// Their value; `Σ line.points_share`.
    pub points_value: Money,
    /// `subtotal − coupon_discount − points_value` = `Σ line.net_price`: what is taxed.
    pub taxable: Money,
    /// The tax rate applied.
    pub tax_rate: Percent,
    /// The tax, rounded as the policy says.
    pub tax: Money,
    /// `taxable + tax`.
    pub total: Money,
}

/// What an order takes off its subtotal after tier discounts: a coupon's
/// value (already checked to apply, see [`Coupon::check`](crate::Coupon::check)),
/// then redeemed points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deductions {
    /// The coupon's value, if the order has one.
    pub coupon: Option<CouponValue>,
    /// Points to redeem (0: none).
    pub points: u64,
    /// What one point is worth.
    pub point_value: PointValue,
}

fn in_range(value: Decimal, what: &'static str) -> Result<Money, PricingError> {
    Money::new(value).map_err(|_| PricingError::AmountOutOfRange { what })
}

fn rounded(value: Decimal, mode: RoundingMode, what: &'static str) -> Result<Money, PricingError> {
    in_range(mode.round(value), what)
}

/// Splits `amount` over lines in proportion to `weights`, to the cent, by
/// largest remainder: each line gets the floor of its exact share, and the
/// cents left over go one each to the lines with the largest remainders
/// (earlier lines first on ties). The shares sum to `amount` exactly, and
/// with `amount ≤ Σ weights` no share exceeds its weight.
///
/// ```
/// use shopcore::{allocate, Money};
/// let m = |s: &str| s.parse::<Money>().unwrap();
/// let shares = allocate(m("0.10"), &[m("1.00"), m("1.00"), m("1.00")]);
/// assert_eq!(shares, vec![m("0.04"), m("0.03"), m("0.03")]);
/// ```
pub fn allocate(amount: Money, weights: &[Money]) -> Vec<Money> {
    let weights: Vec<i128> = weights.iter().map(|w| i128::from(w.cents())).collect();
    largest_remainder(i128::from(amount.cents()), &weights)
        .into_iter()
        .map(|cents| {
            Money::from_cents(i64::try_from(cents).unwrap_or(i64::MAX)).unwrap_or(Money::MAX)
        })
        .collect()
}

/// [`allocate`] for whole points: `points` split over lines in proportion to
/// `weights` (each line's points share), by largest remainder.
///
/// ```
/// use shopcore::{allocate_points, Money};
/// let m = |s: &str| s.parse::<Money>().unwrap();
/// assert_eq!(allocate_points(100, &[m("0.80"), m("0.20")]), vec![80, 20]);
/// assert_eq!(allocate_points(5, &[m("1.00"), m("1.00")]), vec![3, 2]);
/// ```
pub fn allocate_points(points: u64, weights: &[Money]) -> Vec<u64> {
    let weights: Vec<i128> = weights.iter().map(|w| i128::from(w.cents())).collect();
    largest_remainder(i128::from(points), &weights)
        .into_iter()
        .map(|p| u64::try_from(p).unwrap_or(0))
        .collect()
}

fn largest_remainder(amount: i128, weights: &[i128]) -> Vec<i128> {
    let total: i128 = weights.iter().sum();
    if total == 0 {
        // Nothing to weigh by: only a zero amount can be allocated (to nobody).
        return weights.iter().map(|_| 0).collect();
    }
    let mut shares: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = amount * weight;
        shares.push(exact / total);
        remainders.push((exact % total, index));
    }
    let mut left = amount - shares.iter().sum::<i128>();
    // Largest remainder first; the stable sort keeps earlier lines first on ties.
    remainders.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (_, index) in remainders {
        if left == 0 {
            break;
        }
        shares[index] += 1;
        left -= 1;
    }
    shares
}

/// Each line's part of an order's tax and redeemed points, as an order item
/// keeps them: per line `(tax, points)`. A line's own rounded tax (per-line
/// mode) is kept; otherwise `tax` is split by [`allocate`] weighted by net
/// price. Points are split by [`allocate_points`] weighted by points share.
/// Orders stored before lines kept their tax get theirs by the same split.
///
/// ```
/// use shopcore::{line_costs, Money};
/// let m = |s: &str| s.parse::<Money>().unwrap();
/// // Net 900.00 and 228.41, tax 157.98, 100 points worth 0.80 and 0.20.
/// let costs = line_costs(&[(m("900.00"), None, m("0.80")), (m("228.41"), None, m("0.20"))], m("157.98"), 100);
/// assert_eq!(costs, vec![(m("126.00"), 80), (m("31.98"), 20)]);
/// ```
pub fn line_costs(
    lines: &[(Money, Option<Money>, Money)],
    tax: Money,
    points: u64,
) -> Vec<(Money, u64)> {
    let nets: Vec<Money> = lines.iter().map(|l| l.0).collect();
    let shares: Vec<Money> = lines.iter().map(|l| l.2).collect();
    let split_tax = allocate(tax, &nets);
    let split_points = allocate_points(points, &shares);
    lines
        .iter()
        .zip(split_tax)
        .zip(split_points)
        .map(|((line, split), points)| (line.1.unwrap_or(split), points))
        .collect()
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
    quote_with(
        cart,
        catalog,
        rules,
        tax_rate,
        policy,
        &Deductions::default(),
    )
}

/// Prices `cart` with a coupon and redeemed points, in the fixed order: tier
/// discounts per line → the coupon on the subtotal → points → tax on what
/// remains. The coupon's and the points' amounts are allocated to the lines by
/// [`allocate`], so `Σ net_price = taxable` and per-line tax stay exact.
///
/// Points worth more than what is left after the coupon are refused
/// (`points_exceed_amount`, naming the most that could be redeemed).
///
/// ```
/// use shopcore::{quote_with, seed, Cart, CartLine, CouponValue, Deductions, PointValue,
///                PricingPolicy, ProductId, Quantity};
/// let data = seed::demo_data();
/// let line = |id, qty| CartLine { product_id: ProductId::new(id).unwrap(), quantity: Quantity::new(qty).unwrap() };
/// let cart = Cart::new([line(1, 1), line(2, 10)]).unwrap();
/// let deductions = Deductions {
///     coupon: Some(CouponValue::PercentOff("10".parse().unwrap())),
///     points: 500,
///     point_value: PointValue::default(),
/// };
/// let q = quote_with(&cart, &data.catalog(), &data.rule_book(), "14".parse().unwrap(),
///                    &PricingPolicy::default(), &deductions).unwrap();
/// assert_eq!(q.subtotal.to_string(), "1254.90");
/// assert_eq!(q.coupon_discount.to_string(), "125.49");  // 10 % of 1254.90
/// assert_eq!(q.points_value.to_string(), "5.00");       // 500 points
/// assert_eq!(q.taxable.to_string(), "1124.41");
/// assert_eq!(q.tax.to_string(), "157.42");              // 14 % of 1124.41 = 157.4174
/// assert_eq!(q.total.to_string(), "1281.83");
/// assert_eq!(q.lines[0].coupon_share.to_string(), "100.00"); // 125.49 × 999.99 / 1254.90
/// assert_eq!(q.lines[1].coupon_share.to_string(), "25.49");
/// ```
pub fn quote_with(
    cart: &Cart,
    catalog: &Catalog,
    rules: &RuleBook,
    tax_rate: Percent,
    policy: &PricingPolicy,
    deductions: &Deductions,
) -> Result<Quote, PricingError> {
    let mode = policy.rounding;
    let mut lines = Vec::with_capacity(cart.lines().len());
    let mut subtotal = Decimal::ZERO;
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
        subtotal += final_price.amount();
        lines.push(QuoteLine {
            product_id: line.product_id,
            quantity: line.quantity,
            unit_price,
            base,
            discount_rate,
            discount,
            final_price,
            coupon_share: Money::ZERO,
            points_share: Money::ZERO,
            net_price: final_price,
            tax: None,
        });
    }
    let subtotal = in_range(subtotal, "subtotal")?;

    // The coupon, on the subtotal after tiers; never more than it.
    let coupon_discount = deductions
        .coupon
        .map_or(Money::ZERO, |value| value.discount_on(subtotal, mode));
    let after_coupon = subtotal
        .checked_sub(coupon_discount)
        .ok_or(PricingError::AmountOutOfRange { what: "coupon" })?;
    let weights: Vec<Money> = lines.iter().map(|l| l.final_price).collect();
    for (line, share) in lines.iter_mut().zip(allocate(coupon_discount, &weights)) {
        line.coupon_share = share;
        line.net_price = line
            .final_price
            .checked_sub(share)
            .ok_or(PricingError::AmountOutOfRange { what: "coupon" })?;
    }

    // Points, on what is left after the coupon.
    let points_value = match deductions.points {
        0 => Money::ZERO,
        points => {
            let max = deductions.point_value.points_covering(after_coupon);
            match deductions.point_value.value_of(points) {
                Some(value) if points <= max => value,
                _ => {
                    return Err(PricingError::PointsExceedAmount {
                        requested: points,
                        max,
                    })
                }
            }
        }
    };
    let taxable = after_coupon
        .checked_sub(points_value)
        .ok_or(PricingError::AmountOutOfRange { what: "points" })?;
    let weights: Vec<Money> = lines.iter().map(|l| l.net_price).collect();
    for (line, share) in lines.iter_mut().zip(allocate(points_value, &weights)) {
        line.points_share = share;
        line.net_price = line
            .net_price
            .checked_sub(share)
            .ok_or(PricingError::AmountOutOfRange { what: "points" })?;
    }

    // Tax on what remains.
    let tax = match policy.tax_rounding {
        TaxRounding::PerOrder => rounded(tax_rate.of(taxable.amount()), mode, "tax")?,
        TaxRounding::PerLine => {
            let mut sum = Decimal::ZERO;
            for line in &mut lines {
                let line_tax = rounded(tax_rate.of(line.net_price.amount()), mode, "line tax")?;
                sum += line_tax.amount();
                line.tax = Some(line_tax);
            }
            in_range(sum, "tax")?
        }
    };
    let total = taxable
        .checked_add(tax)
        .ok_or(PricingError::AmountOutOfRange { what: "total" })?;
    Ok(Quote {
        lines,
        subtotal,
        coupon_discount,
        points_redeemed: deductions.points,
        points_value,
        taxable,
        tax_rate,
        tax,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::cart::{line, CartLine};
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
