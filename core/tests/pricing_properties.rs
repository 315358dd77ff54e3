//! Property tests: every pricing invariant documented in `shopcore::pricing`,
//! plus a differential check against an independent integer-cents reference.

use proptest::prelude::*;
use rust_decimal::Decimal;
use shopcore::testing::{pricing_scenario, quantity, rule_book, PricingScenario};
use shopcore::{
    quote, Cart, CartLine, Money, Percent, PricingPolicy, PricingRule, ProductId, Quantity, Quote,
    RoundingMode, RuleBook, TaxRounding,
};

fn policies() -> impl Strategy<Value = PricingPolicy> {
    (
        prop_oneof![Just(RoundingMode::HalfUp), Just(RoundingMode::HalfEven)],
        prop_oneof![Just(TaxRounding::PerOrder), Just(TaxRounding::PerLine)],
    )
        .prop_map(|(rounding, tax_rounding)| PricingPolicy {
            rounding,
            tax_rounding,
        })
}

fn quote_of(s: &PricingScenario, cart: &Cart, policy: &PricingPolicy) -> Quote {
    quote(cart, &s.catalog, &s.rules, s.tax_rate, policy).expect("scenario products exist")
}

fn sorted_lines(q: &Quote) -> Vec<(ProductId, String)> {
    let mut lines: Vec<_> = q
        .lines
        .iter()
        .map(|l| (l.product_id, format!("{l:?}")))
        .collect();
    lines.sort();
    lines
}

fn cents(money: Money) -> i128 {
    (money.amount() * Decimal::ONE_HUNDRED)
        .trunc()
        .to_string()
        .parse()
        .unwrap()
}

fn basis_points(percent: Percent) -> i128 {
    cents_of_decimal(percent.value())
}

fn cents_of_decimal(value: Decimal) -> i128 {
    (value * Decimal::ONE_HUNDRED)
        .trunc()
        .to_string()
        .parse()
        .unwrap()
}

/// `numerator / 10_000` rounded to an integer with the given mode, in integers only.
fn div_10k_rounded(numerator: i128, mode: RoundingMode) -> i128 {
    let (q, r) = (numerator / 10_000, numerator % 10_000);
    match r.cmp(&5_000) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => match mode {
            RoundingMode::HalfUp => q + 1,
            RoundingMode::HalfEven => q + (q % 2),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lines_sum_to_the_subtotal(s in pricing_scenario(), policy in policies()) {
        let q = quote_of(&s, &s.cart, &policy);
        let sum: Decimal = q.lines.iter().map(|l| l.final_price.amount()).sum();
        prop_assert_eq!(sum, q.subtotal.amount());
    }

    #[test]
    fn discount_is_between_zero_and_the_base(s in pricing_scenario(), policy in policies()) {
        let q = quote_of(&s, &s.cart, &policy);
        for line in &q.lines {
            prop_assert!(line.discount >= Money::ZERO);
            prop_assert!(line.discount <= line.base);
            prop_assert_eq!(line.base.amount(), line.unit_price.amount() * Decimal::from(line.quantity.get()));
            prop_assert_eq!(line.final_price.amount(), line.base.amount() - line.discount.amount());
        }
    }

    #[test]
    fn total_is_exactly_subtotal_plus_tax(s in pricing_scenario(), policy in policies()) {
        let q = quote_of(&s, &s.cart, &policy);
        prop_assert_eq!(q.total.amount(), q.subtotal.amount() + q.tax.amount());
    }

    #[test]
    fn per_line_tax_sums_to_the_order_tax(s in pricing_scenario(), rounding in prop_oneof![Just(RoundingMode::HalfUp), Just(RoundingMode::HalfEven)]) {
        let policy = PricingPolicy { rounding, tax_rounding: TaxRounding::PerLine };
        let q = quote_of(&s, &s.cart, &policy);
        let sum: Decimal = q.lines.iter().map(|l| l.tax.expect("per-line tax").amount()).sum();
        prop_assert_eq!(sum, q.tax.amount());
    }

    #[test]
    fn every_amount_has_two_decimal_places(s in pricing_scenario(), policy in policies()) {
        let q = quote_of(&s, &s.cart, &policy);
        let mut amounts = vec![q.subtotal, q.tax, q.total];
        for l in &q.lines {
            amounts.extend([l.unit_price, l.base, l.discount, l.final_price]);
            amounts.extend(l.tax);
        }
        for amount in amounts {
            prop_assert_eq!(amount.amount().scale(), 2, "{}", amount);
            prop_assert_eq!(amount.to_string().split('.').nth(1).map(str::len), Some(2));
        }
    }

    #[test]
    fn full_discount_gives_zero_and_no_discount_gives_the_base(s in pricing_scenario(), policy in policies()) {
        let everything_free = RuleBook::from_rules(s.catalog.iter().map(|p| PricingRule {
            product_id: p.id,
            min_quantity: Quantity::ONE,
            discount: Percent::HUNDRED,
        }));
        let free = quote(&s.cart, &s.catalog, &everything_free, s.tax_rate, &policy).unwrap();
        prop_assert!(free.lines.iter().all(|l| l.final_price == Money::ZERO && l.discount == l.base));
        prop_assert_eq!(free.total, Money::ZERO);

        let no_rules = quote(&s.cart, &s.catalog, &RuleBook::default(), s.tax_rate, &policy).unwrap();
        prop_assert!(no_rules.lines.iter().all(|l| l.final_price == l.base && l.discount == Money::ZERO));
    }

    #[test]
    fn discount_rate_never_falls_when_quantity_rises(
        rules in rule_book(3),
        product in 1i64..=3,
        q1 in quantity(200),
        extra in 0u32..200,
    ) {
        let product = ProductId::new(product).unwrap();
        let q2 = Quantity::new(i64::from(q1.get() + extra)).unwrap();
        prop_assert!(rules.discount_for(product, q1) <= rules.discount_for(product, q2));
    }

    #[test]
    fn line_order_does_not_change_the_quote(s in pricing_scenario(), policy in policies(), seed in any::<u64>()) {
        let mut shuffled = s.raw_lines.clone();
        // Deterministic Fisher–Yates driven by the generated seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let original = quote_of(&s, &s.cart, &policy);
        let reordered = quote_of(&s, &Cart::new(shuffled).unwrap(), &policy);
        prop_assert_eq!(original.subtotal, reordered.subtotal);
        prop_assert_eq!(original.tax, reordered.tax);
        prop_assert_eq!(original.total, reordered.total);
        prop_assert_eq!(sorted_lines(&original), sorted_lines(&reordered));
    }

    #[test]
    fn splitting_a_line_into_duplicates_gives_the_same_quote(s in pricing_scenario(), policy in policies()) {
        // Split every line of quantity ≥ 2 into two lines of the same product.
        let mut split = Vec::new();
        for line in s.cart.lines() {
            let q = line.quantity.get();
            if q >= 2 {
                let first = Quantity::new(i64::from(q / 2)).unwrap();
                let second = Quantity::new(i64::from(q - q / 2)).unwrap();
                split.push(CartLine { product_id: line.product_id, quantity: first });
                split.push(CartLine { product_id: line.product_id, quantity: second });
            } else {
                split.push(*line);
            }
        }
        let merged = quote_of(&s, &s.cart, &policy);
        let from_split = quote_of(&s, &Cart::new(split).unwrap(), &policy);
        prop_assert_eq!(merged, from_split);
    }

    #[test]
    fn quote_agrees_with_an_integer_cents_reference(s in pricing_scenario(), policy in policies()) {
        let q = quote_of(&s, &s.cart, &policy);
        let mode = policy.rounding;
        let rate = basis_points(s.tax_rate);
        let mut subtotal = 0i128;
        let mut line_taxes = 0i128;
        for line in s.cart.lines() {
            let product = s.catalog.get(line.product_id).unwrap();
            let base = cents(product.unit_price) * i128::from(line.quantity.get());
            let pct = s
                .rules
                .rules_for(line.product_id)
                .iter()
                .filter(|r| r.min_quantity <= line.quantity)
                .map(|r| basis_points(r.discount))
                .max()
                .unwrap_or(0);
            let discount = div_10k_rounded(base * pct, mode);
            let final_price = base - discount;
            subtotal += final_price;
            line_taxes += div_10k_rounded(final_price * rate, mode);
        }
        let tax = match policy.tax_rounding {
            TaxRounding::PerOrder => div_10k_rounded(subtotal * rate, mode),
            TaxRounding::PerLine => line_taxes,
        };
        prop_assert_eq!(cents(q.subtotal), subtotal);
        prop_assert_eq!(cents(q.tax), tax);
        prop_assert_eq!(cents(q.total), subtotal + tax);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Extreme prices and quantities never panic: the result is a quote or `amount_out_of_range`.
    #[test]
    fn extreme_inputs_give_a_quote_or_amount_out_of_range(
        prices in proptest::collection::vec(shopcore::testing::money(999_999_999_999), 1..20),
        quantities in proptest::collection::vec(1i64..=i64::from(Quantity::MAX), 1..20),
        rate in shopcore::testing::percent(),
        policy in policies(),
    ) {
        use shopcore::{Catalog, ErrorCode, ErrorKind, Product};
        let catalog = Catalog::from_products(prices.iter().enumerate().map(|(i, price)| Product {
            id: ProductId::new(i as i64 + 1).unwrap(),
            name: shopcore::ProductName::parse("Product").unwrap(),
            quantity_available: 0,
            unit_price: *price,
            last_updated: chrono::DateTime::UNIX_EPOCH,
            retired: false,
        }));
        let lines = quantities.iter().enumerate().map(|(i, q)| CartLine {
            product_id: ProductId::new((i % prices.len()) as i64 + 1).unwrap(),
            quantity: Quantity::new(*q).unwrap(),
        });
        let Ok(cart) = Cart::new(lines) else { return Ok(()) };
        match quote(&cart, &catalog, &RuleBook::default(), rate, &policy) {
            Ok(q) => prop_assert!(q.total <= Money::MAX),
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::AmountOutOfRange),
        }
    }
}

/// The quote of a scenario with a coupon and points; points the cart cannot
/// cover are clamped to the most it allows (which the error names).
fn quote_with_deductions(
    s: &PricingScenario,
    deductions: &shopcore::Deductions,
    policy: &PricingPolicy,
) -> Quote {
    use shopcore::{quote_with, PricingError};
    match quote_with(
        &s.cart, &s.catalog, &s.rules, s.tax_rate, policy, deductions,
    ) {
        Ok(q) => q,
        Err(PricingError::PointsExceedAmount { max, requested }) => {
            assert!(max < requested);
            let fewer = shopcore::Deductions {
                points: max,
                ..*deductions
            };
            quote_with(&s.cart, &s.catalog, &s.rules, s.tax_rate, policy, &fewer)
                .expect("the most points the error names can be redeemed")
        }
        Err(other) => panic!("{other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every invariant of `shopcore::pricing` with a coupon and points, in
    /// both rounding modes and both tax modes.
    #[test]
    fn coupons_and_points_keep_every_figure_exact(
        s in pricing_scenario(),
        deductions in shopcore::testing::deductions(),
        policy in policies(),
    ) {
        let q = quote_with_deductions(&s, &deductions, &policy);
        let sum = |f: fn(&shopcore::QuoteLine) -> Money| -> Decimal {
            q.lines.iter().map(|l| f(l).amount()).sum()
        };
        prop_assert_eq!(sum(|l| l.final_price), q.subtotal.amount());
        prop_assert_eq!(sum(|l| l.coupon_share), q.coupon_discount.amount());
        prop_assert_eq!(sum(|l| l.points_share), q.points_value.amount());
        prop_assert_eq!(sum(|l| l.net_price), q.taxable.amount());
        prop_assert_eq!(
            q.taxable.amount(),
            q.subtotal.amount() - q.coupon_discount.amount() - q.points_value.amount()
        );
        prop_assert_eq!(q.total.amount(), q.taxable.amount() + q.tax.amount());
        prop_assert!(q.coupon_discount <= q.subtotal);
        for l in &q.lines {
            prop_assert_eq!(
                l.net_price.amount(),
                l.final_price.amount() - l.coupon_share.amount() - l.points_share.amount()
            );
            for amount in [l.coupon_share, l.points_share, l.net_price] {
                prop_assert!(amount >= Money::ZERO);
                prop_assert_eq!(amount.amount().scale(), 2);
            }
        }
        if policy.tax_rounding == TaxRounding::PerLine {
            let line_tax: Decimal = q.lines.iter().map(|l| l.tax.unwrap().amount()).sum();
            prop_assert_eq!(line_tax, q.tax.amount());
        }
        // Points are worth exactly their count, and never more than what the coupon left.
        prop_assert_eq!(
            q.points_value.amount(),
            Decimal::from(q.points_redeemed) * deductions.point_value.get().amount()
        );
    }

    /// The coupon's discount, checked in integer cents: a percentage rounded
    /// as the policy says, an amount capped at the subtotal.
    #[test]
    fn the_coupon_discount_agrees_with_an_integer_cents_reference(
        s in pricing_scenario(),
        value in shopcore::testing::coupon_value(),
        policy in policies(),
    ) {
        let deductions = shopcore::Deductions { coupon: Some(value), ..Default::default() };
        let q = quote_with_deductions(&s, &deductions, &policy);
        let subtotal = cents(q.subtotal);
        let expected = match value {
            shopcore::CouponValue::PercentOff(p) => div_10k_rounded(subtotal * basis_points(p), policy.rounding),
            shopcore::CouponValue::AmountOff(a) => cents(a).min(subtotal),
        };
        prop_assert_eq!(cents(q.coupon_discount), expected);
    }

    /// Largest remainder: each line's share is within a cent of its exact
    /// proportional share, and a larger line never gets a smaller share.
    #[test]
    fn allocation_is_proportional_to_the_cent(
        weights in proptest::collection::vec(shopcore::testing::money(1_000_000), 1..30),
        fraction in 0u32..=1000,
    ) {
        let total: i128 = weights.iter().map(|w| cents(*w)).sum();
        let amount = Money::from_cents(i64::try_from(total * i128::from(fraction) / 1000).unwrap()).unwrap();
        let shares = shopcore::allocate(amount, &weights);
        prop_assert_eq!(shares.iter().map(|s| cents(*s)).sum::<i128>(), cents(amount));
        for (share, weight) in shares.iter().zip(&weights) {
            prop_assert!(share <= weight);
            if total > 0 {
                // |share × total − amount × weight| < total, i.e. within one cent.
                let error = cents(*share) * total - cents(amount) * cents(*weight);
                prop_assert!(error.abs() < total, "share {} of {} for weight {}", share, amount, weight);
            }
        }
        for (i, a) in weights.iter().enumerate() {
            for (j, b) in weights.iter().enumerate() {
                if a > b {
                    prop_assert!(shares[i] >= shares[j]);
                }
            }
        }
    }
}
