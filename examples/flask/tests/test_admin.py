"""Catalog administration over HTTP, on both engines in enforced mode: a product's
life (create, order, reprice, retire, restore), tier ladders, tax regions, the
change log with its pages, and bad input refused with a code and nothing changed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

import shopcore
from shopcore_services import SERVICES


class Shop:
    def __init__(self, engine: shopcore.Engine) -> None:
        self.engine = engine
        self.clients = {name: create(engine, "enforced").test_client() for name, (create, _port) in SERVICES.items()}
        self.key = engine.create_staff_key(name="catalog desk", role="inventory").key
        self.support = engine.create_staff_key(name="help desk", role="support").key

    def call(
        self, service: str, method: str, path: str, body: Any = None, key: str | None = "inventory", headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        token = {"inventory": self.key, "support": self.support, None: None}[key]
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        client: FlaskClient = self.clients[service]
        if body is not None:
            kwargs["json"] = body
        response = client.open(path, method=method, headers=headers, **kwargs)
        self.last = response
        return response.status_code, response.get_json()

    def state(self) -> Any:
        e = self.engine
        return (
            [p.to_dict() for p in e.products(include_retired=True)],
            {p: [r.to_dict() for r in e.tier_ladder(p)] for p in range(1, 6)},
            [t.to_dict() for t in e.tax_rates()],
            [c.to_dict() for c in e.catalog_changes(limit=500)[0]],
        )


@pytest.fixture
def shop(engine: shopcore.Engine) -> Shop:
    return Shop(engine)


def test_a_product_is_created_ordered_repriced_retired_and_restored(shop: Shop) -> None:
    status, dock = shop.call(
        "inventory", "POST", "/api/inventory/products", {"product_name": "USB-C Dock", "unit_price": Decimal("89.50"), "quantity_available": 20}
    )
    assert status == 201, dock
    assert shop.last.headers["Location"] == f"/api/inventory/check/{dock['product_id']}"
    assert (dock["unit_price"], dock["retired"]) == (Decimal("89.50"), False)
    pid = dock["product_id"]
    order = {"customer_id": 1, "products": [{"product_id": pid, "quantity": 2}]}
    admin = shop.engine.create_staff_key(name="admin", role="admin").key
    placed = shop.clients["order"].post("/api/orders/create", json=order, headers={"Authorization": f"Bearer {admin}"}).get_json()
    assert placed["subtotal"] == Decimal("179.00")
    status, repriced = shop.call("inventory", "PATCH", f"/api/inventory/products/{pid}", {"unit_price": Decimal("79.50"), "product_name": "USB-C Dock Pro"})
    assert status == 200 and repriced["unit_price"] == Decimal("79.50")
    assert repriced["product_name"] == "USB-C Dock Pro"
    # The order keeps the price it was placed at.
    assert shop.engine.order(placed["order_id"]).products[0].unit_price == Decimal("89.50")
    status, retired = shop.call("inventory", "POST", f"/api/inventory/products/{pid}/retire")
    assert status == 200 and retired["retired"] is True
    listed = shop.call("inventory", "GET", "/api/inventory/products")[1]
    assert pid not in [p["product_id"] for p in listed]
    everything = shop.call("inventory", "GET", "/api/inventory/products?include_retired=true")[1]
    assert pid in [p["product_id"] for p in everything]
    # The original routes answer 400 product_unavailable, writing nothing.
    before = shop.state()
    status, refused = shop.call("pricing", "POST", "/api/pricing/calculate", {"products": order["products"]})
    assert (status, refused["code"]) == (400, "product_unavailable")
    refused = shop.clients["order"].post("/api/orders/create", json=order, headers={"Authorization": f"Bearer {admin}"})
    assert (refused.status_code, refused.get_json()["code"]) == (400, "product_unavailable")
    assert shop.state() == before
    assert shop.call("inventory", "POST", f"/api/inventory/products/{pid}/restore")[1]["retired"] is False
    assert shop.call("pricing", "POST", "/api/pricing/calculate", {"products": order["products"]})[0] == 200
    changes = shop.call("inventory", "GET", "/api/inventory/changes", key="support")[1]["changes"]
    assert [c["subject"] for c in changes] == ["product"] * 4
    assert changes[1]["before"]["unit_price"] == Decimal("89.50")
    assert changes[1]["after"] == {"product_name": "USB-C Dock Pro", "unit_price": Decimal("79.50"), "retired": False}
    assert changes[0]["actor"]["kind"] == "staff" and changes[0]["actor"]["role"] == "inventory"


def test_a_ladder_is_replaced_read_and_cleared(shop: Shop) -> None:
    tiers = [{"min_quantity": 20, "discount_percentage": Decimal("20")}, {"min_quantity": 5, "discount_percentage": Decimal("7.5")}]
    status, ladder = shop.call("pricing", "PUT", "/api/pricing/rules/2", {"tiers": tiers})
    assert status == 200, ladder
    assert [r["min_quantity"] for r in ladder["tiers"]] == [5, 20]
    # 18 mice cost 539.82 − 7.5 % = 499.33, 19 cost 527.07, both more than 20 at 479.84.
    warnings = ladder.pop("warnings")
    assert [(w["from_quantity"], w["to_quantity"], w["cheaper_at"]) for w in warnings] == [(18, 19, 20)]
    assert shop.call("pricing", "GET", "/api/pricing/rules/2", key=None)[1] == ladder
    quote = shop.call("pricing", "POST", "/api/pricing/calculate", {"products": [{"product_id": 2, "quantity": 5}]})[1]
    assert quote["items"][0]["discount"] == Decimal("11.25")  # 149.95 × 7.5 % = 11.24625
    assert shop.call("pricing", "DELETE", "/api/pricing/rules/2")[1]["tiers"] == []
    quote = shop.call("pricing", "POST", "/api/pricing/calculate", {"products": [{"product_id": 2, "quantity": 20}]})[1]
    assert quote["items"][0]["discount"] == Decimal("0.00")
    assert shop.call("pricing", "GET", "/api/pricing/rules/99", key=None)[0] == 404


def test_tax_regions_are_set_listed_and_removed(shop: Shop) -> None:
    status, aswan = shop.call("pricing", "PUT", "/api/pricing/tax-rates/Aswan", {"tax_rate": Decimal("10")})
    assert (status, aswan) == (200, {"region": "Aswan", "tax_rate": Decimal("10.00")})
    listed = shop.call("pricing", "GET", "/api/pricing/tax-rates", key=None)[1]
    assert listed["default_region"] == "Cairo"
    assert [r["region"] for r in listed["tax_rates"]] == ["Alexandria", "Aswan", "Cairo", "Giza"]
    quote = shop.call("pricing", "POST", "/api/pricing/calculate", {"products": [{"product_id": 5, "quantity": 1}], "region": "aswan"})[1]
    assert quote["tax"] == Decimal("15.00")
    assert shop.call("pricing", "DELETE", "/api/pricing/tax-rates/ASWAN")[1]["region"] == "Aswan"
    status, body = shop.call("pricing", "DELETE", "/api/pricing/tax-rates/Aswan")
    assert (status, body["code"]) == (404, "unknown_tax_region")
    status, body = shop.call("pricing", "DELETE", "/api/pricing/tax-rates/cairo")
    assert (status, body["code"]) == (409, "default_tax_region")


def test_the_change_log_pages_with_a_link_header(shop: Shop) -> None:
    for i in range(5):
        shop.call("inventory", "PATCH", "/api/inventory/products/1", {"unit_price": f"{900 + i}.00"})
    status, page = shop.call("inventory", "GET", "/api/inventory/changes?limit=2")
    assert status == 200 and len(page["changes"]) == 2
    seen = [c["change_id"] for c in page["changes"]]
    while "Link" in shop.last.headers:
        link = shop.last.headers["Link"]
        url = link[link.index("<") + 1 : link.index(">")]
        assert link.endswith('; rel="next"')
        page = shop.call("inventory", "GET", url.replace("http://localhost", ""))[1]
        seen += [c["change_id"] for c in page["changes"]]
    assert seen == sorted(seen) and len(seen) == 5
    for bad in ("limit=0", "limit=501", "limit=x", "after=-1"):
        status, body = shop.call("inventory", "GET", f"/api/inventory/changes?{bad}")
        assert (status, body["code"]) == (400, "invalid_request"), bad


BAD = [
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": 0}, "invalid_money"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": -1}, "invalid_money"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": Decimal("1.005")}, "invalid_money"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": Decimal("100000000")}, "invalid_money"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": True}, "invalid_request"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": 7, "unit_price": 1}, "invalid_request"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": "1", "quantity_available": -1}, "invalid_quantity"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "Bad\u0007", "unit_price": 1}, "invalid_name"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "x" * 101, "unit_price": 1}, "invalid_name"),
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": 1, "stock": 1}, "invalid_request"),
    ("inventory", "PATCH", "/api/inventory/products/1", {}, "invalid_request"),
    ("inventory", "PATCH", "/api/inventory/products/1", {"unit_price": 0}, "invalid_money"),
    ("inventory", "PATCH", "/api/inventory/products/1", {"product_name": "ok", "unit_price": "0"}, "invalid_money"),
    ("inventory", "PATCH", "/api/inventory/products/99", {"unit_price": 1}, "unknown_product"),
    ("inventory", "POST", "/api/inventory/products/99/retire", None, "unknown_product"),
    ("pricing", "PUT", "/api/pricing/rules/1", {"tiers": [{"min_quantity": 0, "discount_percentage": 5}]}, "invalid_quantity"),
    ("pricing", "PUT", "/api/pricing/rules/1", {"tiers": [{"min_quantity": 5, "discount_percentage": 101}]}, "invalid_percent"),
    ("pricing", "PUT", "/api/pricing/rules/1", {"tiers": [{"min_quantity": 5, "discount_percentage": "1.001"}]}, "invalid_percent"),
    (
        "pricing",
        "PUT",
        "/api/pricing/rules/1",
        {"tiers": [{"min_quantity": 5, "discount_percentage": 1}, {"min_quantity": 5, "discount_percentage": 2}]},
        "invalid_tier",
    ),
    ("pricing", "PUT", "/api/pricing/rules/1", {"tiers": [{"min_quantity": q, "discount_percentage": 1} for q in range(1, 102)]}, "invalid_request"),
    ("pricing", "PUT", "/api/pricing/rules/1", {"tiers": [{"min_quantity": 5}]}, "invalid_request"),
    ("pricing", "PUT", "/api/pricing/rules/1", {"tiers": "none"}, "invalid_request"),
    ("pricing", "PUT", "/api/pricing/rules/99", {"tiers": []}, "unknown_product"),
    ("pricing", "PUT", "/api/pricing/tax-rates/Aswan", {"tax_rate": 100.5}, "invalid_percent"),
    ("pricing", "PUT", "/api/pricing/tax-rates/Aswan", {"tax_rate": 5, "region": "x"}, "invalid_request"),
    ("pricing", "PUT", "/api/pricing/tax-rates/Aswan", {"tax_rate": Decimal("100.01")}, "invalid_percent"),
    ("pricing", "PUT", "/api/pricing/tax-rates/" + "A" * 51, {"tax_rate": 1}, "invalid_region"),
    ("pricing", "PUT", "/api/pricing/tax-rates/Aswan'%3B%20DROP%20TABLE%20tax_rates%3B--", {"tax_rate": 1}, None),
]


@pytest.mark.parametrize("service,method,path,body,code", BAD, ids=[f"{b[1]} {b[2][:40]} {b[4]}" for b in BAD])
def test_bad_input_is_refused_with_a_code_and_changes_nothing(shop: Shop, service: str, method: str, path: str, body: Any, code: str | None) -> None:
    before = shop.state()
    status, answer = shop.call(service, method, path, body)
    if code is None:  # SQL metacharacters are only text: the region is stored as named
        assert status == 200, answer
        regions = [t.region for t in shop.engine.tax_rates()]
        assert "Aswan'; DROP TABLE tax_rates;--" in regions and "Cairo" in regions
        return
    assert 400 <= status < 500, answer
    assert answer["code"] == code, answer
    assert shop.state() == before


def test_a_named_rung_says_which_one(shop: Shop) -> None:
    tiers = [{"min_quantity": 5, "discount_percentage": 5}, {"min_quantity": 10, "discount_percentage": 250}]
    status, body = shop.call("pricing", "PUT", "/api/pricing/rules/1", {"tiers": tiers})
    assert status == 400 and body["message"].startswith("tiers[1]:"), body


def test_only_inventory_and_admin_staff_administer(shop: Shop) -> None:
    before = shop.state()
    for key in (None, "support"):
        status, body = shop.call("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": 1}, key=key)
        assert status == (401 if key is None else 403), body
        status, _ = shop.call("pricing", "PUT", "/api/pricing/tax-rates/Aswan", {"tax_rate": 1}, key=key)
        assert status == (401 if key is None else 403)
    assert shop.call("inventory", "GET", "/api/inventory/changes", key=None)[0] == 401
    assert shop.state() == before


def test_an_order_expecting_an_old_total_is_409_price_changed_with_the_quote(shop: Shop) -> None:
    admin = shop.engine.create_staff_key(name="admin", role="admin").key
    auth = {"Authorization": f"Bearer {admin}"}
    cart = [{"product_id": 5, "quantity": 2}]
    shown = shop.call("pricing", "POST", "/api/pricing/calculate", {"products": cart}, key=None)[1]["total"]
    shop.call("inventory", "PATCH", "/api/inventory/products/5", {"unit_price": "139.99"})
    before = shop.state(), shop.engine.orders_of_customer(2)
    orders = shop.clients["order"]
    refused = orders.post("/api/orders/create", json={"customer_id": 2, "products": cart, "expected_total": shown}, headers={**auth, "Idempotency-Key": "k1"})
    body = refused.get_json()
    assert (refused.status_code, body["code"]) == (409, "price_changed"), body
    assert body["quote"]["total"] == Decimal("319.18") and body["status"] == "error"
    assert (shop.state(), shop.engine.orders_of_customer(2)) == before
    placed = orders.post(
        "/api/orders/create", headers={**auth, "Idempotency-Key": "k1"}, json={"customer_id": 2, "products": cart, "expected_total": body["quote"]["total"]}
    )
    assert placed.status_code == 201 and placed.get_json()["total_amount"] == Decimal("319.18")
    for bad in (None, True, "x", -1):
        answer = orders.post("/api/orders/create", headers=auth, json={"customer_id": 2, "products": cart, "expected_total": bad})
        assert answer.status_code == 400, (bad, answer.get_json())


def test_a_customer_updates_their_profile_and_staff_list_customers(shop: Shop) -> None:
    shop.engine.register(name="Aya", email="aya@example.com", password="a long enough password")
    session = shop.engine.login(email="aya@example.com", password="a long enough password")
    me = {"Authorization": f"Bearer {session.token}"}
    customers = shop.clients["customer"]
    path = f"/api/customers/{session.customer.customer_id}"
    answer = customers.patch(path, json={"name": "Aya B.", "email": "Aya.B@Example.com", "phone": "+20 1"}, headers=me)
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["email"], answer.get_json()["phone"]) == ("aya.b@example.com", "+20 1")
    assert customers.patch(path, json={"phone": None}, headers=me).get_json()["phone"] is None
    before = shop.engine.customer(session.customer.customer_id)
    for body, code in [
        ({"email": "sara@example.com"}, "email_taken"),
        ({}, "invalid_request"),
        ({"name": None}, "invalid_request"),
        ({"points": 5}, "invalid_request"),
        ({"name": "x\u202e"}, "invalid_name"),
        ({"email": "not an email"}, "invalid_email"),
    ]:
        refused = customers.patch(path, json=body, headers=me)
        assert 400 <= refused.status_code < 500 and refused.get_json()["code"] == code, (body, refused.get_json())
    assert shop.engine.customer(session.customer.customer_id) == before
    assert customers.patch("/api/customers/1", json={"name": "Not me"}, headers=me).status_code == 403
    # The password by POST too; the other sessions end.
    other = shop.engine.login(email="aya.b@example.com", password="a long enough password").token
    changed = customers.post(f"{path}/password", headers=me, json={"current_password": "a long enough password", "new_password": "another long one"})
    assert changed.status_code == 200, changed.get_json()
    with pytest.raises(shopcore.AuthenticationError):
        shop.engine.authenticate(other)
    # Staff page through the customers.
    status, page = shop.call("customer", "GET", "/api/customers?limit=2", key="support")
    assert status == 200 and [c["customer_id"] for c in page["customers"]] == [1, 2]
    link = shop.last.headers["Link"]
    rest = shop.call("customer", "GET", link[link.index("<") + 1 : link.index(">")].replace("http://localhost", ""), key="support")[1]
    assert [c["customer_id"] for c in rest["customers"]] == [3, 4]
    assert "Link" not in shop.last.headers


def follow(shop: Shop, service: str, path: str, key: str | None, items: str | None) -> list[Any]:
    """Every item of a paged list, following its Link headers."""
    found: list[Any] = []
    while True:
        status, body = shop.call(service, "GET", path, key=key)
        assert status == 200, body
        found += body if items is None else body[items]
        link = shop.last.headers.get("Link")
        if link is None:
            return found
        assert link.endswith('; rel="next"')
        path = link[link.index("<") + 1 : link.index(">")].replace("http://localhost", "")


def test_every_list_pages_with_link_headers(shop: Shop) -> None:
    admin = shop.engine.create_staff_key(name="admin", role="admin").key
    for i in range(5):
        shop.clients["order"].post(
            "/api/orders/create",
            headers={"Authorization": f"Bearer {admin}"},
            json={"customer_id": 1 + i % 2, "products": [{"product_id": 1 + i, "quantity": 1}]},
        )
    shop.call("inventory", "POST", "/api/inventory/products/3/retire")
    products = follow(shop, "inventory", "/api/inventory/products?limit=2", None, None)
    assert [p["product_id"] for p in products] == [1, 2, 4, 5]
    products = follow(shop, "inventory", "/api/inventory/products?limit=2&include_retired=true", "support", None)
    assert [p["product_id"] for p in products] == [1, 2, 3, 4, 5]
    ahmed = follow(shop, "customer", "/api/customers/1/orders?limit=2", "support", "orders")
    assert [o["order_id"] for o in ahmed] == [5, 3, 1]
    everyone = follow(shop, "order", "/api/orders?limit=2", "support", "orders")
    assert [o["order_id"] for o in everyone] == [5, 4, 3, 2, 1]
    sara = follow(shop, "order", "/api/orders?customer_id=2&status=created&limit=1", "support", "orders")
    assert [o["order_id"] for o in sara] == [4, 2]
    notices = follow(shop, "notification", "/api/notifications?customer_id=1&limit=2", "support", "notifications")
    assert [n["order_id"] for n in notices] == [5, 3, 1]
    for service, path in [
        ("order", "/api/orders?status=gone"),
        ("order", "/api/orders?limit=0"),
        ("notification", "/api/notifications?limit=501"),
        ("inventory", "/api/inventory/products?after=x"),
    ]:
        status, body = shop.call(service, "GET", path, key="support")
        assert (status, body["code"]) == (400, "invalid_request"), path


LEGACY_CHECKED = [
    ("inventory", "POST", "/api/inventory/products", {"product_name": "X", "unit_price": 1}),
    ("inventory", "PATCH", "/api/inventory/products/1", {"unit_price": 1}),
    ("inventory", "POST", "/api/inventory/products/1/retire", None),
    ("inventory", "GET", "/api/inventory/changes", None),
    ("inventory", "GET", "/api/inventory/products?include_retired=true", None),
    ("pricing", "PUT", "/api/pricing/rules/1", {"tiers": []}),
    ("pricing", "DELETE", "/api/pricing/tax-rates/Giza", None),
    ("customer", "PATCH", "/api/customers/1", {"name": "Eve"}),
    ("customer", "GET", "/api/customers", None),
    ("order", "GET", "/api/orders", None),
    ("order", "GET", "/api/orders?customer_id=1", None),
    ("notification", "GET", "/api/notifications?status=failed", None),
    ("notification", "POST", "/api/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["order.placed"]}),
    ("notification", "GET", "/api/webhooks", None),
]


@pytest.mark.parametrize("service,method,path,body", LEGACY_CHECKED, ids=[f"{m} {p}" for _s, m, p, _b in LEGACY_CHECKED])
def test_new_routes_need_a_token_even_in_legacy_mode(engine: shopcore.Engine, service: str, method: str, path: str, body: Any) -> None:
    """Legacy mode keeps the original routes open; the routes it never had that
    read or change others' data are checked in both modes."""
    client = SERVICES[service][0](engine, "legacy").test_client()
    answer = client.open(path, method=method, json=body)
    assert answer.status_code == 401, answer.get_json()
    key = engine.create_staff_key(name="admin", role="admin").key
    allowed = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {key}"})
    assert allowed.status_code in (200, 201), allowed.get_json()


RAW_BAD = [
    ("inventory", "PATCH", "/api/inventory/products/1", '{"unit_price": 999.98999999999999999999999999999}'),
    ("inventory", "POST", "/api/inventory/products", '{"product_name": "X", "unit_price": 12.340000000000000000000000000001}'),
    ("pricing", "PUT", "/api/pricing/tax-rates/Cairo", '{"tax_rate": 13.99999999999999999999999999999}'),
    ("pricing", "PUT", "/api/pricing/rules/1", '{"tiers": [{"min_quantity": 5, "discount_percentage": 9.99999999999999999999999999999}]}'),
    ("pricing", "PUT", "/api/pricing/rules/1", '{"tiers": [{"min_quantity": 5, "discount_percentage": 5, "x": 1}]}'),
    ("pricing", "PUT", "/api/pricing/tax-rates/%FF", '{"tax_rate": 5}'),
    ("pricing", "PUT", "/api/pricing/tax-rates/Aswan", '{"tax_rate": 1e400}'),
]


@pytest.mark.parametrize("service,method,path,raw", RAW_BAD, ids=[f"{m} {p} {r[-30:]}" for _s, m, p, r in RAW_BAD])
def test_digits_that_do_not_fit_and_malformed_names_are_refused(shop: Shop, service: str, method: str, path: str, raw: str) -> None:
    """Found by an attacker: over-long decimals were rounded, %FF became U+FFFD."""
    before = shop.state()
    status, body = shop.call(service, method, path, data=raw, content_type="application/json")
    assert 400 <= status < 500 and body["code"], body
    assert shop.state() == before


def test_an_order_expecting_a_total_with_extra_digits_is_refused(shop: Shop) -> None:
    admin = shop.engine.create_staff_key(name="admin", role="admin").key
    raw = '{"customer_id": 1, "products": [{"product_id": 2, "quantity": 1}], "expected_total": 34.18999999999999999999999999999}'
    answer = shop.clients["order"].post("/api/orders/create", data=raw, content_type="application/json", headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 400, answer.get_json()
    assert shop.engine.orders_of_customer(1) == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/inventory/changes?limit=1&limit=2",
        "/api/orders?status=created&status=cancelled",
        "/api/notifications?order_id=1&order_id=2",
        "/api/inventory/products?after=1&after=2",
    ],
)
def test_a_repeated_query_parameter_is_refused(shop: Shop, path: str) -> None:
    service = {"inventory": "inventory", "orders": "order", "notifications": "notification"}[path.split("/")[2].split("?")[0]]
    status, body = shop.call(service, "GET", path, key="support")
    assert (status, body["code"]) == (400, "invalid_request"), body


def test_the_link_header_is_relative(shop: Shop) -> None:
    shop.call("inventory", "GET", "/api/inventory/products?limit=1", key=None, headers={"Host": "evil.example"})
    assert shop.last.headers["Link"].startswith("</api/inventory/products?")


def test_a_password_change_needs_a_token_in_legacy_mode(engine: shopcore.Engine) -> None:
    engine.register(name="Aya", email="aya@example.com", password="a long enough password")
    client = SERVICES["customer"][0](engine, "legacy").test_client()
    for method in ("PUT", "POST"):
        answer = client.open(
            "/api/customers/4/password", method=method, json={"current_password": "a long enough password", "new_password": "another long one"}
        )
        assert answer.status_code == 401, answer.get_json()
    engine.login(email="aya@example.com", password="a long enough password")  # unchanged
