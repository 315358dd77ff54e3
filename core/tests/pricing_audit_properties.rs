//! The pricing auditor against brute force: for random prices and ladders,
//! every quantity the auditor puts in a "buying more costs less" window is one
//! for which a larger quantity really costs less (priced by `quote` itself),
//! and every such quantity is in a window; rungs reported as never applying
//! change no price, and the others change some.

use proptest::prelude::*;
use shopcore::testing::{money, percent, quantity};
use shopcore::{
    audit_ladder, quote, Cart, CartLine, Catalog, LadderFinding, Money, PricingPolicy, Product,
    ProductId, Quantity, RoundingMode, RuleBook, TierLadder, TierRung,
};

fn ladders() -> impl Strategy<Value = TierLadder> {
    proptest::collection::vec((quantity(40), percent()), 0..6).prop_filter_map(
        "distinct",
        |rungs| {
            TierLadder::new(
                rungs
                    .into_iter()
                    .map(|(min_quantity, discount)| TierRung {
                        min_quantity,
                        discount,
                    })
                    .collect(),
            )
            .ok()
        },
    )
}

fn line_price(price: Money, ladder: &TierLadder, q: u32, rounding: RoundingMode) -> Money {
    let id = ProductId::new(1).unwrap();
    let catalog = Catalog::from_products([Product {
        id,
        name: shopcore::ProductName::parse("Product").unwrap(),
        quantity_available: 0,
        unit_price: price,
        last_updated: chrono::DateTime::UNIX_EPOCH,
        retired: false,
    }]);
    let rules = RuleBook::from_rules(ladder.rules(id));
    let cart = Cart::new([CartLine {
        product_id: id,
        quantity: Quantity::new(i64::from(q)).unwrap(),
    }])
    .unwrap();
    let policy = PricingPolicy {
        rounding,
        ..PricingPolicy::default()
    };
    quote(&cart, &catalog, &rules, "0".parse().unwrap(), &policy)
        .unwrap()
        .subtotal
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn windows_are_exactly_the_quantities_that_cost_more_than_a_larger_one(
        price in money(100_000).prop_filter("positive", |m| *m > Money::ZERO),
        ladder in ladders(),
        half_even in any::<bool>(),
    ) {
        let rounding = if half_even { RoundingMode::HalfEven } else { RoundingMode::HalfUp };
        let findings = audit_ladder(price, &ladder, rounding);
        // Beyond the last rung prices only grow: brute force up to it, plus margin.
        let horizon = ladder.rungs().last().map_or(1, |r| r.min_quantity.get()) + 3;
        let prices: Vec<Money> = (1..=horizon).map(|q| line_price(price, &ladder, q, rounding)).collect();
        let at = |q: u32| prices[(q - 1) as usize];
        let mut in_window = vec![false; horizon as usize + 1];
        for finding in &findings {
            if let LadderFinding::MoreCostsLess { from, to, cheaper_at, price_at_to, price_at_cheaper } = *finding {
                prop_assert!(from <= to && to < cheaper_at && cheaper_at <= horizon);
                prop_assert_eq!(price_at_to, at(to));
                prop_assert_eq!(price_at_cheaper, at(cheaper_at));
                for q in from..=to {
                    prop_assert!(!in_window[q as usize], "windows overlap at {}", q);
                    in_window[q as usize] = true;
                    prop_assert!(at(cheaper_at) < at(q), "{} units are not cheaper than {}", cheaper_at, q);
                }
            }
        }
        for q in 1..=horizon {
            let cheaper_later = (q + 1..=horizon).any(|r| at(r) < at(q));
            prop_assert_eq!(in_window[q as usize], cheaper_later, "quantity {} ({:?})", q, findings);
        }
    }

    #[test]
    fn a_rung_never_applies_exactly_when_removing_it_changes_no_price(
        price in money(100_000).prop_filter("positive", |m| *m > Money::ZERO),
        ladder in ladders(),
    ) {
        let findings = audit_ladder(price, &ladder, RoundingMode::HalfUp);
        let horizon = ladder.rungs().last().map_or(1, |r| r.min_quantity.get()) + 1;
        for (i, rung) in ladder.rungs().iter().enumerate() {
            let without = TierLadder::new(
                ladder.rungs().iter().enumerate().filter(|(j, _)| *j != i).map(|(_, r)| *r).collect(),
            ).unwrap();
            let matters = (1..=horizon).any(|q| {
                line_price(price, &ladder, q, RoundingMode::HalfUp)
                    != line_price(price, &without, q, RoundingMode::HalfUp)
            });
            let reported = findings.iter().any(|f| matches!(f,
                LadderFinding::NeverApplies { min_quantity, .. } if *min_quantity == rung.min_quantity.get()));
            // A rung whose rate is above the rest can still leave every price
            // unchanged by rounding (a tiny price): reported ⇒ it does not matter.
            if reported {
                prop_assert!(!matters, "rung {:?} is reported but changes a price", rung);
            }
            if !matters && price >= Money::from_cents(10_000).unwrap() && rung.discount.value() >= rust_decimal::Decimal::ONE {
                prop_assert!(reported, "rung {:?} changes nothing but is not reported", rung);
            }
            let gives_away = findings.contains(&LadderFinding::GivesAway { min_quantity: rung.min_quantity.get() });
            prop_assert_eq!(gives_away, rung.discount == shopcore::Percent::HUNDRED);
        }
    }
}
