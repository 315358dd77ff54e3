//! The pricing auditor: anomalies of a whole rule set, found by analysis.
//!
//! [`audit_pricing`] reads a store's [`PriceList`] and reports, per product
//! ([`audit_ladder`]):
//! - the quantity windows where buying more costs less
//!   ([`LadderFinding::MoreCostsLess`]: with the seed data, 9 mice cost
//!   269.91 but 10 cost 254.91);
//! - tiers that can never apply ([`LadderFinding::NeverApplies`]: a smaller
//!   quantity already gets as much);
//! - rungs that give goods away ([`LadderFinding::GivesAway`]: 100 %);
//!
//! and for the rule set: coupons that, with the tiers, can bring an order to
//! 0.00 ([`CouponFinding`]), and per region the largest difference between
//! per-line and per-order tax rounding over a cart of the catalog
//! ([`TaxRoundingSpread`]).
//!
//! How the windows are found: the rate at quantity `q` is the best rung
//! reached, so the quantities split into segments of one rate, and within a
//! segment the line price `q × p − round(q × p × rate)` never falls (it grows
//! by `p × (1 − rate)` per unit, minus less than a cent of rounding, and
//! prices are whole cents). So a quantity costs more than some larger one
//! exactly when it costs more than the cheapest start of a later segment, and
//! in each segment those quantities form one window found by binary search.
//! `core/tests/pricing_audit_properties.rs` checks this against brute force.

use std::fmt;

use rust_decimal::Decimal;

use crate::catalog::cart::{Cart, CartLine};
use crate::catalog::{Product, TierLadder};
use crate::pricing::coupon::{CouponCode, CouponValue};
use crate::pricing::price_list::PriceList;
use crate::pricing::{quote, PricingPolicy, TaxRounding};
use crate::values::ids::ProductId;
use crate::values::money::{Money, RoundingMode};
use crate::values::percent::Percent;
use crate::values::quantity::Quantity;
use crate::values::text::Region;

/// Something wrong with one product's tier ladder at its current price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LadderFinding {
    /// Every quantity in `from..=to` costs more than `cheaper_at` units.
    MoreCostsLess {
        /// The first quantity of the window.
        from: u32,
        /// The last quantity of the window.
        to: u32,
        /// A larger quantity that costs less than each of them (the cheapest).
        cheaper_at: u32,
        /// What `to` units cost.
        price_at_to: Money,
        /// What `cheaper_at` units cost.
        price_at_cheaper: Money,
    },
    /// The rung can never change the price: the best rung reached at a
    /// smaller quantity already gives at least as much (`shadowed_by`), or it
    /// gives 0 % (`shadowed_by` is `None`).
    NeverApplies {
        /// The rung's minimum quantity.
        min_quantity: u32,
        /// Its discount.
        discount: Percent,
        /// The smaller rung that already gives as much.
        shadowed_by: Option<u32>,
    },
    /// The rung gives the goods away: 100 % off.
    GivesAway {
        /// The rung's minimum quantity.
        min_quantity: u32,
    },
}

/// The findings of one product, if it has any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductFindings {
    /// The product.
    pub product: ProductId,
    /// What is wrong with its ladder.
    pub findings: Vec<LadderFinding>,
}

/// A coupon that can bring an order to 0.00 before tax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponFinding {
    /// The coupon.
    pub code: CouponCode,
    /// An order it makes free: one line of `quantity` units of `product`.
    pub product: ProductId,
    /// The quantity of that line.
    pub quantity: u32,
    /// That line's subtotal after tiers (what the coupon takes away whole).
    pub subtotal: Money,
}

/// The largest gap between per-line and per-order tax rounding found for a region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxRoundingSpread {
    /// The region.
    pub region: Region,
    /// Its rate.
    pub rate: Percent,
    /// The cart: one line per product (the quantity chosen to round furthest).
    pub lines: Vec<(ProductId, u32)>,
    /// Its tax rounded per line.
    pub per_line: Money,
    /// Its tax rounded per order.
    pub per_order: Money,
}

impl TaxRoundingSpread {
    /// `|per_line − per_order|`.
    pub fn difference(&self) -> Decimal {
        (self.per_line.amount() - self.per_order.amount()).abs()
    }
}

/// Everything [`audit_pricing`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PricingAudit {
    /// Products whose ladder has findings, by id.
    pub products: Vec<ProductFindings>,
    /// Coupons that can make an order free, by code.
    pub coupons: Vec<CouponFinding>,
    /// Per region, by region: the largest per-line/per-order tax gap found.
    pub tax_rounding: Vec<TaxRoundingSpread>,
}

impl PricingAudit {
    /// Whether nothing was found (a tax rounding gap of 0.00 counts as nothing).
    pub fn is_clean(&self) -> bool {
        self.products.is_empty()
            && self.coupons.is_empty()
            && self.tax_rounding.iter().all(|s| s.difference().is_zero())
    }
}

impl fmt::Display for LadderFinding {
    /// One sentence, the `message` Python shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LadderFinding::MoreCostsLess {
                from,
                to,
                cheaper_at,
                price_at_to,
                price_at_cheaper,
            } => {
                if from == to {
                    write!(f, "quantity {from}")?;
                } else {
                    write!(f, "every quantity from {from} to {to}")?;
                }
                write!(
                    f,
                    " costs {price_at_to}, more than {cheaper_at} at {price_at_cheaper}"
                )
            }
            LadderFinding::NeverApplies {
                min_quantity,
                shadowed_by: Some(at),
                ..
            } => write!(
                f,
                "the tier from {min_quantity} can never apply: the tier from {at} already gives as much"
            ),
            LadderFinding::NeverApplies { min_quantity, .. } => write!(
                f,
                "the tier from {min_quantity} can never apply: it gives 0 %"
            ),
            LadderFinding::GivesAway { min_quantity } => write!(
                f,
                "the tier from {min_quantity} gives the goods away (100 %)"
            ),
        }
    }
}

impl fmt::Display for CouponFinding {
    /// One sentence, the `message` Python shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "coupon {} brings {} x product {} (subtotal {}) to 0.00",
            self.code, self.quantity, self.product, self.subtotal
        )
    }
}

impl fmt::Display for PricingAudit {
    /// Every finding, one per line (`product 2: quantity 9 costs …`), or
    /// `clean` when there is none.
    ///
    /// ```
    /// use shopcore::{audit_pricing, seed, PriceList, PricingPolicy};
    /// let data = seed::demo_data();
    /// let list = PriceList { catalog: data.catalog(), rules: data.rule_book(),
    ///                        tax_rates: data.tax_table(), coupons: Vec::new() };
    /// let report = audit_pricing(&list, &PricingPolicy::default()).to_string();
    /// assert!(report.contains("product 2: quantity 9 costs 269.91, more than 10 at 254.91"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for product in &self.products {
            for finding in &product.findings {
                writeln!(f, "product {}: {finding}", product.product)?;
                any = true;
            }
        }
        for coupon in &self.coupons {
            writeln!(f, "{coupon}")?;
            any = true;
        }
        for spread in self
            .tax_rounding
            .iter()
            .filter(|s| !s.difference().is_zero())
        {
            writeln!(
                f,
                "{} at {} %: tax per line {} against {} per order",
                spread.region, spread.rate, spread.per_line, spread.per_order
            )?;
            any = true;
        }
        if !any {
            f.write_str("clean")?;
        }
        Ok(())
    }
}

/// The price of `quantity` units at `unit_price` with `rate` off, as a quote computes it.
fn line_price(unit_price: Money, quantity: u32, rate: Percent, mode: RoundingMode) -> Decimal {
    let base = unit_price.amount() * Decimal::from(quantity);
    base - mode.round(rate.of(base))
}

/// The first quantity of `low..=high` for which `holds` is true, given that it
/// is false then true along the range (and true at `high`).
fn first_quantity(mut low: u32, mut high: u32, holds: impl Fn(u32) -> bool) -> u32 {
    while low < high {
        let mid = low + (high - low) / 2;
        if holds(mid) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

/// The ladder's rates as segments: `(first quantity, rate)`, ascending, the
/// first starting at 1; each segment ends where the next begins (the last never).
fn segments(ladder: &TierLadder) -> Vec<(u32, Percent)> {
    let mut segments = vec![(1, Percent::ZERO)];
    for rung in ladder.rungs() {
        let best = segments.last().map_or(Percent::ZERO, |s| s.1);
        let start = rung.min_quantity.get();
        if rung.discount > best {
            if segments.last().is_some_and(|s| s.0 == start) {
                segments.pop();
            }
            segments.push((start, rung.discount));
        }
    }
    segments
}

/// The findings of one ladder at `unit_price`, rounded with `rounding`.
///
/// ```
/// use shopcore::{audit_ladder, LadderFinding, RoundingMode};
/// let data = shopcore::seed::demo_data();
/// let mouse = &data.products[1]; // 29.99, 15 % from 10
/// let findings = audit_ladder(mouse.unit_price, &data.rule_book().ladder(mouse.id), RoundingMode::HalfUp);
/// assert_eq!(findings, vec![LadderFinding::MoreCostsLess {
///     from: 9, to: 9, cheaper_at: 10,
///     price_at_to: "269.91".parse().unwrap(),
///     price_at_cheaper: "254.91".parse().unwrap(),
/// }]);
/// ```
pub fn audit_ladder(
    unit_price: Money,
    ladder: &TierLadder,
    rounding: RoundingMode,
) -> Vec<LadderFinding> {
    let mut findings = Vec::new();
    // Rungs that never apply, and rungs that give goods away.
    let mut best: Option<(u32, Percent)> = None;
    for rung in ladder.rungs() {
        let (min_quantity, discount) = (rung.min_quantity.get(), rung.discount);
        if discount == Percent::HUNDRED {
            findings.push(LadderFinding::GivesAway { min_quantity });
        }
        match best {
            Some((at, rate)) if discount <= rate => findings.push(LadderFinding::NeverApplies {
                min_quantity,
                discount,
                shadowed_by: Some(at),
            }),
            None if discount == Percent::ZERO => findings.push(LadderFinding::NeverApplies {
                min_quantity,
                discount,
                shadowed_by: None,
            }),
            _ => best = Some((min_quantity, discount)),
        }
    }
    // Windows where buying more costs less.
    let segments = segments(ladder);
    let price = |q: u32, rate: Percent| line_price(unit_price, q, rate, rounding);
    let starts: Vec<Decimal> = segments.iter().map(|&(q, rate)| price(q, rate)).collect();
    let mut windows = Vec::new();
    for (j, &(start, rate)) in segments.iter().enumerate() {
        let Some(&(next, _)) = segments.get(j + 1) else {
            break; // the last segment only grows
        };
        // The cheapest later segment start (the first of equals).
        let (cheaper_index, cheapest) = starts[j + 1..]
            .iter()
            .enumerate()
            .fold(None::<(usize, Decimal)>, |best, (k, p)| match best {
                Some((_, b)) if b <= *p => best,
                _ => Some((j + 1 + k, *p)),
            })
            .unwrap_or((j + 1, starts[j + 1]));
        let end = next - 1;
        if price(end, rate) <= cheapest {
            continue;
        }
        // The first quantity of the segment above `cheapest` (prices never fall within it).
        let low = first_quantity(start, end, |q| price(q, rate) > cheapest);
        let to_money = |d: Decimal| Money::new(d).unwrap_or(Money::MAX);
        let cheaper_at = segments[cheaper_index].0;
        let price_at_to = to_money(price(end, rate));
        // A window continuing the previous one, cheaper at the same quantity, extends it.
        if let Some(LadderFinding::MoreCostsLess {
            to,
            cheaper_at: previous,
            price_at_to: previous_price,
            ..
        }) = windows.last_mut()
        {
            if *to + 1 == low && *previous == cheaper_at {
                *to = end;
                *previous_price = price_at_to;
                continue;
            }
        }
        windows.push(LadderFinding::MoreCostsLess {
            from: low,
            to: end,
            cheaper_at,
            price_at_to,
            price_at_cheaper: to_money(cheapest),
        });
    }
    windows.extend(findings);
    windows
}

/// The smallest single-line subtotal of `product` (after tiers) of at least
/// `min`, with its quantity, if one is within the orderable quantities.
fn smallest_line_from(
    product: &Product,
    ladder: &TierLadder,
    min: Money,
    rounding: RoundingMode,
) -> Option<(u32, Decimal)> {
    let segments = segments(ladder);
    let mut best: Option<(u32, Decimal)> = None;
    for (j, &(start, rate)) in segments.iter().enumerate() {
        let end = segments.get(j + 1).map_or(Quantity::MAX, |s| s.0 - 1);
        let price = |q| line_price(product.unit_price, q, rate, rounding);
        if start > Quantity::MAX || price(end) < min.amount() {
            continue;
        }
        let low = first_quantity(start, end, |q| price(q) >= min.amount());
        let found = (low, price(low));
        if best.is_none_or(|(_, b)| found.1 < b) {
            best = Some(found);
        }
    }
    best
}

/// Audits a whole price list: every product's ladder, every coupon with the
/// tiers, and tax rounding per region (see the module docs).
///
/// ```
/// use shopcore::{audit_pricing, seed, Catalog, PriceList, PricingPolicy};
/// let data = seed::demo_data();
/// let list = PriceList {
///     catalog: Catalog::from_products(data.products.clone()),
///     rules: data.rule_book(),
///     tax_rates: data.tax_table(),
///     coupons: vec![],
/// };
/// let audit = audit_pricing(&list, &PricingPolicy::default());
/// let mice = audit.products.iter().find(|p| p.product.get() == 2).unwrap();
/// assert_eq!(mice.findings.len(), 1); // 9 mice cost more than 10
/// ```
pub fn audit_pricing(list: &PriceList, policy: &PricingPolicy) -> PricingAudit {
    let mode = policy.rounding;
    let mut products: Vec<&Product> = list.catalog.iter().filter(|p| !p.retired).collect();
    products.sort_by_key(|p| p.id);
    let mut audit = PricingAudit::default();
    for product in &products {
        let findings = audit_ladder(product.unit_price, &list.rules.ladder(product.id), mode);
        if !findings.is_empty() {
            audit.products.push(ProductFindings {
                product: product.id,
                findings,
            });
        }
    }
    // Coupons that can make an order free: a percentage of 100, or an amount
    // at least as large as the smallest line subtotal it accepts.
    let mut coupons: Vec<_> = list.coupons.iter().filter(|c| c.active).collect();
    coupons.sort_by(|a, b| a.code.cmp(&b.code));
    for coupon in coupons {
        let reaches = |subtotal: Decimal| match coupon.value {
            CouponValue::PercentOff(percent) => percent == Percent::HUNDRED,
            CouponValue::AmountOff(amount) => subtotal <= amount.amount(),
        };
        let smallest = products
            .iter()
            .filter_map(|p| {
                smallest_line_from(p, &list.rules.ladder(p.id), coupon.min_subtotal, mode)
                    .map(|(q, s)| (p.id, q, s))
            })
            .min_by(|a, b| a.2.cmp(&b.2));
        if let Some((product, quantity, subtotal)) = smallest.filter(|s| reaches(s.2)) {
            audit.coupons.push(CouponFinding {
                code: coupon.code.clone(),
                product,
                quantity,
                subtotal: Money::new(subtotal).unwrap_or(Money::MAX),
            });
        }
    }
    // Tax rounding: per region, one line per product, each with the quantity
    // (1–100) whose line tax rounds furthest up, then furthest down; the larger gap.
    let mut regions: Vec<_> = list.tax_rates.iter().collect();
    regions.sort_by_key(|(region, _)| region.key());
    let lines: Vec<&Product> = products.iter().copied().take(Cart::MAX_LINES).collect();
    for (region, rate) in regions {
        let mut spreads = Vec::new();
        for upward in [true, false] {
            let cart_lines: Vec<CartLine> = lines
                .iter()
                .map(|p| {
                    let rounding_error = |q: u32| {
                        let units = Quantity::new(i64::from(q)).unwrap_or(Quantity::ONE);
                        let rate_at = list.rules.discount_for(p.id, units);
                        let tax = rate.of(line_price(p.unit_price, q, rate_at, mode));
                        mode.round(tax) - tax
                    };
                    let quantity = (1..=100u32)
                        .max_by(|a, b| {
                            let (ea, eb) = (rounding_error(*a), rounding_error(*b));
                            let order = if upward { ea.cmp(&eb) } else { eb.cmp(&ea) };
                            order.then(b.cmp(a)) // the smaller quantity on ties
                        })
                        .unwrap_or(1);
                    CartLine {
                        product_id: p.id,
                        quantity: Quantity::new(i64::from(quantity)).unwrap_or(Quantity::ONE),
                    }
                })
                .collect();
            let Ok(cart) = Cart::new(cart_lines) else {
                continue; // an empty catalog
            };
            let priced = |tax_rounding| {
                quote(
                    &cart,
                    &list.catalog,
                    &list.rules,
                    *rate,
                    &PricingPolicy {
                        rounding: mode,
                        tax_rounding,
                    },
                )
            };
            if let (Ok(per_line), Ok(per_order)) =
                (priced(TaxRounding::PerLine), priced(TaxRounding::PerOrder))
            {
                spreads.push(TaxRoundingSpread {
                    region: region.clone(),
                    rate: *rate,
                    lines: cart
                        .lines()
                        .iter()
                        .map(|l| (l.product_id, l.quantity.get()))
                        .collect(),
                    per_line: per_line.tax,
                    per_order: per_order.tax,
                });
            }
        }
        if let Some(widest) = spreads
            .into_iter()
            .max_by(|a, b| a.difference().cmp(&b.difference()))
        {
            audit.tax_rounding.push(widest);
        }
    }
    audit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TierRung;

    fn ladder(rungs: &[(u32, &str)]) -> TierLadder {
        TierLadder::new(
            rungs
                .iter()
                .map(|&(q, d)| TierRung {
                    min_quantity: Quantity::new(i64::from(q)).unwrap(),
                    discount: d.parse().unwrap(),
                })
                .collect(),
        )
        .unwrap()
    }

    fn money(text: &str) -> Money {
        text.parse().unwrap()
    }

    #[test]
    fn shadowed_zero_and_free_rungs_are_named() {
        let findings = audit_ladder(
            money("1.00"),
            &ladder(&[(2, "0"), (5, "20"), (10, "10"), (20, "100")]),
            RoundingMode::HalfUp,
        );
        assert!(findings.contains(&LadderFinding::NeverApplies {
            min_quantity: 2,
            discount: "0".parse().unwrap(),
            shadowed_by: None
        }));
        assert!(findings.contains(&LadderFinding::NeverApplies {
            min_quantity: 10,
            discount: "10".parse().unwrap(),
            shadowed_by: Some(5)
        }));
        assert!(findings.contains(&LadderFinding::GivesAway { min_quantity: 20 }));
        // 100 % at 20: everything from 1 to 19 costs more than 20 units (0.00).
        assert!(findings.contains(&LadderFinding::MoreCostsLess {
            from: 1,
            to: 19,
            cheaper_at: 20,
            price_at_to: money("15.20"),
            price_at_cheaper: Money::ZERO,
        }));
    }

    #[test]
    fn a_ladder_that_only_gets_cheaper_per_unit_but_never_in_total_is_clean() {
        // 10 % from 10: 9 × 1.00 = 9.00 < 10 × 0.90 = 9.00? equal is not "less".
        let findings = audit_ladder(money("1.00"), &ladder(&[(10, "10")]), RoundingMode::HalfUp);
        assert!(findings.is_empty(), "{findings:?}");
        let findings = audit_ladder(money("1.00"), &ladder(&[(10, "11")]), RoundingMode::HalfUp);
        assert_eq!(
            findings,
            vec![LadderFinding::MoreCostsLess {
                from: 9,
                to: 9,
                cheaper_at: 10,
                price_at_to: money("9.00"),
                price_at_cheaper: money("8.90"),
            }]
        );
    }
}
