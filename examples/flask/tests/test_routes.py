"""Every route of the five services, through the Flask test client, on both engines."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

Clients = dict[str, FlaskClient]
WORKED_EXAMPLE = {"customer_id": 1, "products": [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]}


def body(response: TestResponse) -> Any:
    """The JSON of ``response`` (an object or a list), numbers as ``Decimal``."""
    parsed: Any = json.loads(response.get_data(as_text=True), parse_float=Decimal)
    return parsed


def test_every_service_answers_health(clients: Clients) -> None:
    for name, client in clients.items():
        response = client.get("/health")
        assert response.status_code == 200
        assert body(response)["service"] == name


def test_order_create_runs_the_whole_flow_in_one_checkout(clients: Clients) -> None:
    created = clients["order"].post("/api/orders/create", json=WORKED_EXAMPLE)
    assert created.status_code == 201
    order = body(created)
    assert order["status"] == "success"
    assert order["total_amount"] == Decimal("1430.59")
    assert "1430.59" in created.get_data(as_text=True)  # an exact JSON number, not 1430.5899…
    stock = body(clients["inventory"].get("/api/inventory/check/2"))
    assert stock["quantity_available"] == 190
    assert body(clients["customer"].get("/api/customers/1"))["loyalty_points"] == 225
    log = body(clients["notification"].get(f"/api/notifications?order_id={order['order_id']}"))
    assert [n["notification_type"] for n in log["notifications"]] == ["order_confirmation"]
    fetched = body(clients["order"].get(f"/api/orders/{order['order_id']}"))
    assert fetched["customer_id"] == 1
    assert [(p["product_id"], p["quantity"]) for p in fetched["products"]] == [(1, 1), (2, 10)]
    assert fetched["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"customer_id": 1, "products": [{"product_id": 1, "quantity": 51}]}, "insufficient_stock"),
        ({"customer_id": 1, "products": [{"product_id": 99, "quantity": 1}]}, "unknown_product"),
        ({"customer_id": 99, "products": [{"product_id": 1, "quantity": 1}]}, "unknown_customer"),
        ({"customer_id": 1, "products": []}, "empty_order"),
        ({"customer_id": 1, "products": [{"product_id": 1, "quantity": -1}]}, "invalid_quantity"),
        ({"customer_id": 1, "products": [{"product_id": 1, "quantity": "2"}]}, "invalid_request"),
        ({"customer_id": 1, "products": [{"product_id": 1, "quantity": 1}], "region": "Aswan"}, "unknown_tax_region"),
        ({"customer_id": "1; DROP TABLE orders", "products": [{"product_id": 1, "quantity": 1}]}, "invalid_request"),
        ({"products": [{"product_id": 1, "quantity": 1}]}, "invalid_request"),
    ],
)
def test_order_create_failures_keep_the_original_400_and_change_nothing(clients: Clients, payload: dict[str, Any], code: str) -> None:
    response = clients["order"].post("/api/orders/create", json=payload)
    assert response.status_code == 400
    error = body(response)
    assert (error["status"], error["code"]) == ("error", code)
    assert error["message"]
    assert body(clients["inventory"].get("/api/inventory/check/1"))["quantity_available"] == 50
    assert body(clients["notification"].get("/api/notifications"))["notifications"] == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b"\xff\xfe\x00garbage", b'{"customer_id": 1'])
def test_malformed_bodies_are_400_on_every_post(clients: Clients, raw: bytes) -> None:
    routes = [
        ("order", "/api/orders/create"),
        ("inventory", "/api/inventory/update"),
        ("pricing", "/api/pricing/calculate"),
        ("customer", "/api/customer/register"),
        ("customer", "/api/customers/login"),
        ("notification", "/api/notifications/send"),
    ]
    for service, path in routes:
        response = clients[service].post(path, data=raw, content_type="application/json")
        assert response.status_code == 400, (path, response.get_data())
        assert body(response)["code"] == "invalid_request"


def test_idempotency_key_replays_and_conflicts(clients: Clients) -> None:
    order = clients["order"]
    first = order.post("/api/orders/create", json=WORKED_EXAMPLE, headers={"Idempotency-Key": "abc-1"})
    again = order.post("/api/orders/create", json=WORKED_EXAMPLE, headers={"Idempotency-Key": "abc-1"})
    assert body(again)["order_id"] == body(first)["order_id"]
    assert body(again)["replayed"] is True
    other = dict(WORKED_EXAMPLE, products=[{"product_id": 1, "quantity": 2}])  # same customer, another cart
    conflict = order.post("/api/orders/create", json=other, headers={"Idempotency-Key": "abc-1"})
    assert conflict.status_code == 409
    assert body(conflict)["code"] == "idempotency_conflict"
    assert body(clients["inventory"].get("/api/inventory/check/2"))["quantity_available"] == 190


def test_get_order_errors(clients: Clients) -> None:
    missing = clients["order"].get("/api/orders/999")
    assert missing.status_code == 404
    assert body(missing) == {"status": "error", "message": "Order not found", "code": "order_not_found"}
    assert clients["order"].get("/api/orders/abc").status_code == 404
    assert clients["order"].get("/api/orders/-1").status_code == 404
    zero = clients["order"].get("/api/orders/0")
    assert (zero.status_code, body(zero)["code"]) == (400, "invalid_id")
    huge = clients["order"].get(f"/api/orders/{10**30}")
    assert (huge.status_code, body(huge)["code"]) == (404, "order_not_found")


def test_cancel_restocks_revokes_and_refuses_twice(clients: Clients) -> None:
    order_id = body(clients["order"].post("/api/orders/create", json=WORKED_EXAMPLE))["order_id"]
    cancelled = clients["order"].post(f"/api/orders/{order_id}/cancel")
    assert cancelled.status_code == 200
    assert body(cancelled)["order_status"] == "cancelled"
    assert body(cancelled)["points_revoked"] == 125
    assert body(clients["inventory"].get("/api/inventory/check/2"))["quantity_available"] == 200
    assert body(clients["customer"].get("/api/customers/1"))["loyalty_points"] == 100
    again = clients["order"].post(f"/api/orders/{order_id}/cancel")
    assert (again.status_code, body(again)["code"]) == (409, "order_not_cancellable")
    assert clients["order"].post("/api/orders/999/cancel").status_code == 404


def test_inventory_routes(clients: Clients) -> None:
    inventory = clients["inventory"]
    laptop = body(inventory.get("/api/inventory/check/1"))
    assert laptop["product_name"] == "Laptop"
    assert laptop["unit_price"] == Decimal("999.99")
    missing = inventory.get("/api/inventory/check/42")
    assert (missing.status_code, body(missing)["code"]) == (404, "unknown_product")
    products = body(inventory.get("/api/inventory/products"))
    assert [p["product_id"] for p in products] == [1, 2, 3, 4, 5]
    updated = inventory.post("/api/inventory/update", json={"product_id": 1, "stock_change": -10})
    assert body(updated)["status"] == "success"
    assert body(updated)["quantity_available"] == 40
    for payload, code in [
        ({"product_id": 1, "stock_change": -41}, "insufficient_stock"),
        ({"product_id": 42, "stock_change": 1}, "unknown_product"),
        ({"product_id": 1, "stock_change": 1.5}, "invalid_request"),
        ({"product_id": 1, "stock_change": "5"}, "invalid_request"),
        ({"product_id": 1}, "invalid_request"),
        ({"product_id": 1, "stock_change": 10**40}, "stock_out_of_range"),
    ]:
        response = inventory.post("/api/inventory/update", json=payload)
        assert (response.status_code, body(response)["code"]) == (400, code), payload
    assert body(inventory.get("/api/inventory/check/1"))["quantity_available"] == 40


def test_pricing_route(clients: Clients) -> None:
    pricing = clients["pricing"]
    quote = body(pricing.post("/api/pricing/calculate", json={"products": WORKED_EXAMPLE["products"]}))
    assert [i["final_price"] for i in quote["items"]] == [Decimal("999.99"), Decimal("254.91")]
    assert (quote["subtotal"], quote["tax"], quote["total"]) == (Decimal("1254.90"), Decimal("175.69"), Decimal("1430.59"))
    giza = body(pricing.post("/api/pricing/calculate", json={"products": [{"product_id": 5, "quantity": 1}], "region": "Giza"}))
    assert giza["tax"] == Decimal("21.00")
    bad = pricing.post("/api/pricing/calculate", json={"products": [{"product_id": 7, "quantity": 1}]})
    assert bad.status_code == 400
    assert body(bad)["error"] and body(bad)["code"] == "unknown_product"
    region = pricing.post("/api/pricing/calculate", json={"products": [{"product_id": 1, "quantity": 1}], "region": "Mars"})
    assert (region.status_code, body(region)["code"]) == (400, "unknown_tax_region")


def test_customer_register_login_profile_loyalty_and_history(clients: Clients) -> None:
    customers = clients["customer"]
    registered = customers.post(
        "/api/customer/register",
        json={"name": "Mona Adel", "email": "Mona@Example.com", "phone": "+20 100 555", "password": "sphinx-riddle"},
    )
    assert registered.status_code == 201
    profile = body(registered)
    assert profile["email"] == "mona@example.com"
    assert profile["loyalty_points"] == 0
    assert "password" not in json.dumps(profile, default=str)
    login = customers.post("/api/customers/login", json={"email": "mona@example.com", "password": "sphinx-riddle"})
    assert body(login)["customer_id"] == profile["customer_id"]
    wrong = customers.post("/api/customers/login", json={"email": "mona@example.com", "password": "sphinx-riddles"})
    assert (wrong.status_code, body(wrong)["code"]) == (401, "invalid_credentials")
    taken = customers.post("/api/customer/register", json={"name": "X", "email": "mona@example.com", "phone": "1", "password": "12345678"})
    assert (taken.status_code, body(taken)["code"]) == (409, "email_taken")
    invalid = customers.post("/api/customer/register", json={"name": "X", "email": "nope", "password": "12345678"})
    assert (invalid.status_code, body(invalid)["code"]) == (400, "invalid_email")
    long_name = customers.post("/api/customer/register", json={"name": "x" * 101, "email": "long@example.com", "password": "12345678"})
    assert (long_name.status_code, body(long_name)["code"]) == (400, "invalid_name")

    new_id = profile["customer_id"]
    assert body(customers.get(f"/api/customers/{new_id}/orders")) == {"orders": []}
    missing = customers.get("/api/customers/999/orders")
    assert (missing.status_code, body(missing)["code"]) == (404, "unknown_customer")
    assert customers.get("/api/customers/999").status_code == 404

    assert body(customers.put("/api/customers/1/loyalty", json={"points": 50}))["updated"] is True
    assert body(customers.get("/api/customers/1"))["loyalty_points"] == 150
    too_many = customers.put("/api/customers/1/loyalty", json={"points": -151})
    assert (too_many.status_code, body(too_many)["code"]) == (409, "insufficient_points")

    clients["order"].post("/api/orders/create", json=WORKED_EXAMPLE)
    history = body(customers.get("/api/customers/1/orders"))["orders"]
    assert [(o["total_amount"], o["status"]) for o in history] == [(Decimal("1430.59"), "created")]


def test_notification_send_and_log(clients: Clients) -> None:
    order_id = body(clients["order"].post("/api/orders/create", json=WORKED_EXAMPLE))["order_id"]
    sent = clients["notification"].post("/api/notifications/send", json={"order_id": order_id, "customer_id": 1})
    assert sent.status_code == 200
    payload = body(sent)
    assert (payload["status"], payload["order_id"], payload["customer_id"]) == ("success", order_id, 1)
    assert f"Order #{order_id} confirmed" in payload["message"]
    log = body(clients["notification"].get("/api/notifications?customer_id=1"))["notifications"]
    assert [n["notification_id"] for n in log] == sorted((n["notification_id"] for n in log), reverse=True)
    assert len(log) == 2
    for payload, code in [
        ({"order_id": order_id, "customer_id": 2}, "order_not_found"),
        ({"order_id": 999, "customer_id": 1}, "order_not_found"),
        ({"order_id": order_id}, "invalid_request"),
        ({"order_id": "x", "customer_id": 1}, "invalid_request"),
    ]:
        response = clients["notification"].post("/api/notifications/send", json=payload)
        assert (response.status_code, body(response)["code"]) == (400, code)
    assert clients["notification"].get("/api/notifications?order_id=abc").status_code == 400


def test_unknown_routes_and_methods_answer_json(clients: Clients) -> None:
    missing = clients["order"].get("/api/nope")
    assert (missing.status_code, body(missing)["code"]) == (404, "not_found")
    wrong_method = clients["order"].delete("/api/orders/create")
    assert (wrong_method.status_code, body(wrong_method)["code"]) == (405, "method_not_allowed")
    huge = clients["pricing"].post("/api/pricing/calculate", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert huge.status_code == 413
