//! Arbitrary bytes as a checkout request (JSON) and as the text of every value
//! type; whatever parses is quoted and planned. Nothing may panic, and every
//! quote must add up: lines sum to the subtotal, subtotal + tax = total,
//! 0 ≤ discount ≤ base, every amount in cents.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use shopcore::{
    plan_checkout, quote, seed, Catalog, CheckoutRequest, CheckoutSnapshot, CustomerName, Email,
    IdempotencyKey, Money, Percent, PricingPolicy, PricingRule, Product, Quantity, Quote, Region,
    RoundingMode, RuleBook, ShopConfig, TaxRounding,
};

fn check(quote: &Quote) {
    let mut sum = Decimal::ZERO;
    for line in &quote.lines {
        let base = line.unit_price.amount() * Decimal::from(line.quantity.get());
        assert!(line.discount.amount() >= Decimal::ZERO && line.discount.amount() <= base);
        assert_eq!(line.final_price.amount(), base - line.discount.amount());
        sum += line.final_price.amount();
    }
    assert_eq!(sum, quote.subtotal.amount());
    assert_eq!(quote.subtotal.amount() + quote.tax.amount(), quote.total.amount());
    for amount in [quote.subtotal, quote.tax, quote.total] {
        assert!(amount.amount().scale() <= 2);
    }
}

fn policies() -> impl Iterator<Item = PricingPolicy> {
    [RoundingMode::HalfUp, RoundingMode::HalfEven]
        .into_iter()
        .flat_map(|rounding| {
            [TaxRounding::PerOrder, TaxRounding::PerLine]
                .into_iter()
                .map(move |tax_rounding| PricingPolicy {
                    rounding,
                    tax_rounding,
                })
        })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Every parser refuses or accepts; what it accepts prints back the same.
        if let Ok(money) = text.parse::<Money>() {
            assert_eq!(money.to_string().parse::<Money>().unwrap(), money);
        }
        if let Ok(percent) = text.parse::<Percent>() {
            assert_eq!(percent.to_string().parse::<Percent>().unwrap(), percent);
        }
        let _ = Email::parse(text);
        let _ = Region::parse(text);
        let _ = CustomerName::parse(text);
        let _ = IdempotencyKey::parse(text);
    }
    let Ok(request) = serde_json::from_slice::<CheckoutRequest>(data) else {
        return;
    };
    let data = seed::demo_data();
    let catalog = data.catalog();
    let rules = data.rule_book();
    let tax_rates = data.tax_table();

    // On the demo catalog, in every policy.
    for policy in policies() {
        for (_, rate) in tax_rates.iter() {
            if let Ok(q) = quote(&request.cart, &catalog, &rules, *rate, &policy) {
                check(&q);
            }
        }
    }
    // On a catalog of the cart's own products at the largest price, with a 100 %
    // and an awkward tier: either an exact quote or amount_out_of_range.
    let expensive = Catalog::from_products(request.cart.lines().iter().map(|line| Product {
        id: line.product_id,
        name: "Fuzz".to_owned(),
        quantity_available: u32::MAX,
        unit_price: Money::MAX,
        last_updated: Default::default(),
    }));
    let tiers = RuleBook::from_rules(request.cart.lines().iter().flat_map(|line| {
        [(1, "33.33"), (1000, "100")].map(|(min, pct)| PricingRule {
            product_id: line.product_id,
            min_quantity: Quantity::new(min).unwrap(),
            discount: pct.parse().unwrap(),
        })
    }));
    for policy in policies() {
        if let Ok(q) = quote(&request.cart, &expensive, &tiers, "99.99".parse().unwrap(), &policy) {
            check(&q);
        }
    }

    // The whole plan against the demo data: a plan or a refusal.
    let config = ShopConfig::default();
    let customer = data.customers.iter().find(|c| c.id == request.customer_id);
    let snapshot = CheckoutSnapshot {
        customer,
        catalog: &catalog,
        rules: &rules,
        tax_rates: &tax_rates,
        coupon: None,
    };
    if let Ok(plan) = plan_checkout(&request, &snapshot, &config, Default::default()) {
        for moved in plan.plan().stock_moves() {
            let before = i64::from(catalog.get(moved.product).unwrap().quantity_available);
            assert!(moved.change < 0);
            assert_eq!(before + moved.change, i64::from(moved.after));
        }
    }
});
