"""Coupons, paying with points and the pricing auditor over HTTP, on both
engines in enforced mode: the worked example with every figure, each reason a
coupon does not apply, points limits, coupon administration and its access,
ladder warnings and ``?strict=true``, and the audit of the seed data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_admin import Shop


@pytest.fixture
def shop(engine: Any) -> Shop:
    return Shop(engine)


def session(shop: Shop) -> tuple[int, str]:
    """A new customer with 100 points, logged in: their id and session token."""
    email, password = "nadia@example.com", "correct horse battery"
    nadia = shop.engine.register(name="Nadia Kamel", email=email, password=password)
    shop.engine.adjust_points(nadia.customer_id, 100)
    status, body = shop.call("customer", "POST", "/api/customers/login", {"email": email, "password": password}, key=None)
    assert status == 200, body
    return nadia.customer_id, str(body["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


WORKED = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]


def test_the_worked_example_with_a_coupon_and_points_has_every_figure(shop: Shop) -> None:
    status, coupon = shop.call("pricing", "POST", "/api/pricing/coupons", {"code": "save10", "percent_off": 10})
    assert status == 201, coupon
    assert (coupon["code"], coupon["percent_off"], coupon["times_redeemed"]) == ("SAVE10", Decimal("10.00"), 0)
    nadia, token = session(shop)
    request = {"products": WORKED, "coupon_code": "Save10", "customer_id": nadia, "redeem_points": 100}
    status, quote = shop.call("pricing", "POST", "/api/pricing/calculate", request, key=None, headers=bearer(token))
    assert status == 200, quote
    figures = [quote[k] for k in ("subtotal", "coupon_discount", "points_value", "taxable", "tax", "total")]
    assert figures == [Decimal(v) for v in ("1254.90", "125.49", "1.00", "1128.41", "157.98", "1286.39")]
    assert (quote["coupon_code"], quote["points_redeemed"]) == ("SAVE10", 100)
    assert [(i["coupon_share"], i["points_share"], i["net_price"]) for i in quote["items"]] == [
        (Decimal("100.00"), Decimal("0.80"), Decimal("899.19")),
        (Decimal("25.49"), Decimal("0.20"), Decimal("229.22")),
    ]
    order = {"products": WORKED, "coupon_code": "SAVE10", "redeem_points": 100}
    status, placed = shop.call("order", "POST", "/api/orders/create", order, key=None, headers=bearer(token))
    assert status == 201, placed
    assert (placed["total_amount"], placed["coupon_discount"], placed["points_value"]) == (Decimal("1286.39"), Decimal("125.49"), Decimal("1.00"))
    assert placed["points_earned"] == 112
    status, stored = shop.call("order", "GET", f"/api/orders/{placed['order_id']}", key="support")
    assert status == 200 and stored["coupon_code"] == "SAVE10", stored
    assert [p["coupon_share"] for p in stored["products"]] == [Decimal("100.00"), Decimal("25.49")]
    assert shop.engine.customer(nadia).loyalty_points == 112  # 100 − 100 + floor(1128.41 / 10)
    assert shop.call("pricing", "GET", "/api/pricing/coupons/save10")[1]["times_redeemed"] == 1
    # A plain quote keeps the original shape: no coupon fields at all.
    status, plain = shop.call("pricing", "POST", "/api/pricing/calculate", {"products": WORKED}, key=None)
    assert set(plain) == {"items", "subtotal", "tax_rate", "tax", "total"}
    assert set(plain["items"][0]) == {"product_id", "quantity", "unit_price", "discount", "final_price"}


def test_a_coupon_that_does_not_apply_is_refused_with_its_reason_and_nothing_written(shop: Shop) -> None:
    for body in (
        {"code": "OFF", "amount_off": "5.00", "active": False},
        {"code": "GONE", "amount_off": "5.00", "valid_until": "2020-01-01T00:00:00Z"},
        {"code": "LATER", "amount_off": "5.00", "valid_from": "2999-01-01T00:00:00+02:00"},
        {"code": "BIG", "amount_off": "5.00", "min_subtotal": "100.00"},
    ):
        assert shop.call("pricing", "POST", "/api/pricing/coupons", body)[0] == 201
    before = shop.state(), shop.engine.customer(1).to_dict()
    admin = shop.engine.create_staff_key(name="admin", role="admin").key
    for code, expected in (
        ("NOPE", "coupon_unknown"),
        ("OFF", "coupon_inactive"),
        ("GONE", "coupon_expired"),
        ("LATER", "coupon_not_yet_valid"),
        ("BIG", "coupon_min_subtotal"),
        ("no spaces", "invalid_coupon"),
    ):
        order = {"customer_id": 1, "products": [{"product_id": 2, "quantity": 1}], "coupon_code": code}
        status, body = shop.call("order", "POST", "/api/orders/create", order, key=None, headers=bearer(admin))
        assert (status, body["code"]) == (400, expected), body
        status, body = shop.call("pricing", "POST", "/api/pricing/calculate", order, key=None, headers=bearer(admin))
        assert (status, body["code"]) == (400, expected), body
    for points, expected in (
        (101, "insufficient_points"),
        (3000, "insufficient_points"),
        (-1, "invalid_request"),
        (True, "invalid_request"),
        ("5", "invalid_request"),
    ):
        order = {"customer_id": 1, "products": [{"product_id": 2, "quantity": 1}], "redeem_points": points}
        status, body = shop.call("order", "POST", "/api/orders/create", order, key=None, headers=bearer(admin))
        assert (status, body["code"]) == (400, expected), (points, body)
    # 100 points are worth 1.00; a 0.50 order cannot take them.
    cheap = shop.call("inventory", "POST", "/api/inventory/products", {"product_name": "Sticker", "unit_price": "0.50", "quantity_available": 5})[1]
    order = {"customer_id": 1, "products": [{"product_id": cheap["product_id"], "quantity": 1}], "redeem_points": 100}
    status, body = shop.call("order", "POST", "/api/orders/create", order, key=None, headers=bearer(admin))
    assert (status, body["code"]) == (400, "points_exceed_amount"), body
    assert "at most 50" in body["message"]
    after_state = shop.state()
    assert (after_state[0][:5], after_state[1:3]) == (before[0][0], before[0][1:3])
    assert shop.engine.customer(1).to_dict() == before[1]
    assert shop.engine.order_page()[0] == []


def test_quoting_with_someone_elses_points_needs_their_session_or_support(shop: Shop) -> None:
    _nadia, token = session(shop)
    request = {"products": WORKED, "customer_id": 2, "redeem_points": 10}
    assert shop.call("pricing", "POST", "/api/pricing/calculate", request, key=None)[0] == 401
    assert shop.call("pricing", "POST", "/api/pricing/calculate", request, key=None, headers=bearer(token))[0] == 403
    assert shop.call("pricing", "POST", "/api/pricing/calculate", request, key="support")[0] == 200
    status, body = shop.call("pricing", "POST", "/api/pricing/calculate", {"products": WORKED, "redeem_points": 1}, key=None)
    assert (status, body["code"]) == (400, "invalid_request")


def test_coupons_are_administered_by_inventory_staff_with_clear_refusals(shop: Shop) -> None:
    _nadia, token = session(shop)
    body = {"code": "SPRING", "amount_off": "15.00", "max_redemptions": 100, "max_per_customer": 1}
    assert shop.call("pricing", "POST", "/api/pricing/coupons", body, key=None)[0] == 401
    assert shop.call("pricing", "POST", "/api/pricing/coupons", body, key=None, headers=bearer(token))[0] == 403
    assert shop.call("pricing", "POST", "/api/pricing/coupons", body, key="support")[0] == 403
    status, created = shop.call("pricing", "POST", "/api/pricing/coupons", body)
    assert status == 201 and created["amount_off"] == Decimal("15.00"), created
    status, again = shop.call("pricing", "POST", "/api/pricing/coupons", {**body, "code": "spring"})
    assert (status, again["code"]) == (409, "coupon_exists")
    for bad in (
        {"code": "X", "percent_off": 10, "amount_off": 5},
        {"code": "X"},
        {"code": "X", "percent_off": 0},
        {"code": "X", "percent_off": "100.01"},
        {"code": "X", "amount_off": "1.555"},
        {"code": "X", "amount_off": "5", "max_redemptions": 0},
        {"code": "X", "amount_off": "5", "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2029-01-01T00:00:00Z"},
        {"code": "X", "amount_off": "5", "valid_from": "tomorrow"},
        {"code": "X", "amount_off": "5", "surprise": 1},
        {"code": "x" * 33, "amount_off": "5"},
        {"code": "'; DROP TABLE coupons; --", "amount_off": "5"},
        {"code": 7, "amount_off": "5"},
    ):
        status, refused = shop.call("pricing", "POST", "/api/pricing/coupons", bad)
        assert status == 400 and refused["code"] in {"invalid_coupon", "invalid_request", "invalid_percent", "invalid_money"}, (bad, refused)
    status, off = shop.call("pricing", "PATCH", "/api/pricing/coupons/spring", {"active": False, "max_redemptions": None})
    assert status == 200 and (off["active"], off["max_redemptions"]) == (False, None), off
    assert shop.call("pricing", "GET", "/api/pricing/coupons/SPRING")[1] == off
    assert shop.call("pricing", "PATCH", "/api/pricing/coupons/NONE", {"active": True})[0] == 404
    assert shop.call("pricing", "PATCH", "/api/pricing/coupons/SPRING", {"code": "OTHER"})[0] == 400
    assert shop.call("pricing", "PATCH", "/api/pricing/coupons/SPRING", {"active": "no"})[0] == 400
    assert shop.call("pricing", "GET", "/api/pricing/coupons/SPRING")[1] == off, "refused patches changed nothing"
    assert shop.call("pricing", "GET", "/api/pricing/coupons/NONE")[0] == 404
    assert shop.call("pricing", "GET", "/api/pricing/coupons/SPRING", key=None, headers=bearer(token))[0] == 403


def test_ladder_warnings_and_strict_mode(shop: Shop) -> None:
    status, mice = shop.call("pricing", "GET", "/api/pricing/rules/2")
    status, body = shop.call("pricing", "PUT", "/api/pricing/rules/2", {"tiers": mice["tiers"]})
    assert status == 200
    assert [(w["kind"], w["from_quantity"], w["to_quantity"], w["cheaper_at"]) for w in body["warnings"]] == [("more_costs_less", 9, 9, 10)]
    assert body["warnings"][0]["price_at_to"] == Decimal("269.91")
    before = shop.state()
    shadowed = {"tiers": [{"min_quantity": 5, "discount_percentage": 10}, {"min_quantity": 10, "discount_percentage": 5}]}
    status, refused = shop.call("pricing", "PUT", "/api/pricing/rules/2?strict=true", shadowed)
    assert (status, refused["code"]) == (409, "ladder_anomaly"), refused
    assert {w["kind"] for w in refused["warnings"]} >= {"never_applies"}
    assert shop.state() == before, "a refused ladder changes nothing"
    # A ladder with no finding: 1 % from 10 (10 mice 296.91 > 9 mice 269.91).
    clean = {"tiers": [{"min_quantity": 10, "discount_percentage": 1}]}
    status, body = shop.call("pricing", "PUT", "/api/pricing/rules/2?strict=true", clean)
    assert status == 200 and body["warnings"] == [], body


def test_the_audit_reports_the_seed_anomalies_to_staff_only(shop: Shop) -> None:
    assert shop.call("pricing", "GET", "/api/pricing/audit", key=None)[0] == 401
    assert shop.call("pricing", "POST", "/api/pricing/coupons", {"code": "FREE", "percent_off": 100})[0] == 201
    status, audit = shop.call("pricing", "GET", "/api/pricing/audit", key="support")
    assert status == 200, audit
    windows = {
        (p["product_id"], f["from_quantity"], f["to_quantity"], f["cheaper_at"])
        for p in audit["products"]
        for f in p["findings"]
        if f["kind"] == "more_costs_less"
    }
    assert (2, 9, 9, 10) in windows, windows
    assert [c["code"] for c in audit["coupons"]] == ["FREE"]
    assert audit["clean"] is False
    cairo = next(t for t in audit["tax_rounding"] if t["region"] == "Cairo")
    assert cairo["difference"] == abs(cairo["per_line_tax"] - cairo["per_order_tax"])
