"""Differential test: a small pure-Python reference of the pricing rules must
agree with the Rust quote on every generated cart."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from hypothesis import given, settings

import shopcore
from shopcore.testing import PricingScenario, pricing_scenarios

CENT = Decimal("0.01")


def reference_quote(s: PricingScenario) -> dict[str, object]:
    """DESIGN.md's pricing rules, written independently in Python."""
    mode = ROUND_HALF_UP if s.rounding == "half_up" else ROUND_HALF_EVEN
    prices = dict(s.products)
    merged: dict[int, int] = {}
    for product_id, quantity in s.lines:
        merged[product_id] = merged.get(product_id, 0) + quantity
    items = []
    subtotal = Decimal("0")
    line_taxes = Decimal("0")
    for product_id, quantity in merged.items():
        base = prices[product_id] * quantity
        rates = [d for (p, m, d) in s.rules if p == product_id and m <= quantity]
        rate = max(rates, default=Decimal("0"))
        discount = (base * rate / 100).quantize(CENT, rounding=mode)
        final = base - discount
        subtotal += final
        line_taxes += (final * s.tax_rate / 100).quantize(CENT, rounding=mode)
        items.append((product_id, quantity, base, discount, final))
    if s.tax_rounding == "per_order":
        tax = (subtotal * s.tax_rate / 100).quantize(CENT, rounding=mode)
    else:
        tax = line_taxes
    return {"items": items, "subtotal": subtotal, "tax": tax, "total": subtotal + tax}


@settings(max_examples=400, deadline=None)
@given(pricing_scenarios())
def test_rust_quote_agrees_with_the_python_reference(s: PricingScenario) -> None:
    expected = reference_quote(s)
    got = shopcore.quote(**s.quote_kwargs())
    assert [(i.product_id, i.quantity, i.base, i.discount, i.final_price) for i in got.items] == expected["items"]
    assert got.subtotal == expected["subtotal"]
    assert got.tax == expected["tax"]
    assert got.total == expected["total"]
    assert all(amount.as_tuple().exponent == -2 for amount in (got.subtotal, got.tax, got.total))


@settings(max_examples=100, deadline=None)
@given(pricing_scenarios())
def test_a_price_list_quotes_like_the_one_shot_function(s: PricingScenario) -> None:
    price_list = shopcore.PriceList(products=s.products, rules=s.rules)
    again = price_list.quote(s.lines, tax_rate=s.tax_rate, rounding=s.rounding, tax_rounding=s.tax_rounding)
    assert again == shopcore.quote(**s.quote_kwargs())
