"""After the order, over HTTP: payments (authorize, capture, void), shipments in
parts, their statuses and figures on the order, every refusal with its code
(and nothing written), cancel with payments or after a shipment, and the
notices and webhook events they queue.

Each runs on both engines (in-memory and MySQL), in both access modes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

import shopcore
from shopcore_services import SERVICES

WORKED_EXAMPLE = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]


@dataclass
class Shop:
    engine: shopcore.Engine
    clients: dict[str, FlaskClient]
    keys: dict[str, str]

    def call(self, service: str, method: str, path: str, body: Any = None, *, as_: str = "admin", **kwargs: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.keys[as_]}"} if as_ in self.keys else {}
        if body is not None:
            kwargs["json"] = body
        response = self.clients[service].open(path, method=method, headers=headers, **kwargs)
        return response.status_code, response.get_json()

    def pay(self, order_id: int, body: Any, *, as_: str = "support", **kwargs: Any) -> tuple[int, Any]:
        return self.call("order", "POST", f"/api/orders/{order_id}/payments", body, as_=as_, **kwargs)

    def capture(self, order_id: int, payment_id: int, body: Any = None, *, as_: str = "support") -> tuple[int, Any]:
        return self.call("order", "POST", f"/api/orders/{order_id}/payments/{payment_id}/capture", body, as_=as_)

    def void(self, order_id: int, payment_id: int, *, as_: str = "support") -> tuple[int, Any]:
        return self.call("order", "POST", f"/api/orders/{order_id}/payments/{payment_id}/void", as_=as_)

    def ship(self, order_id: int, body: Any = None, *, as_: str = "inventory", **kwargs: Any) -> tuple[int, Any]:
        return self.call("order", "POST", f"/api/orders/{order_id}/fulfillments", body, as_=as_, **kwargs)

    def order(self, order_id: int) -> dict[str, Any]:
        status, body = self.call("order", "GET", f"/api/orders/{order_id}")
        assert status == 200, body
        return dict(body)

    def place_worked_example(self) -> int:
        status, body = self.call("order", "POST", "/api/orders/create", {"customer_id": 1, "products": WORKED_EXAMPLE})
        assert status == 201 and body["total_amount"] == Decimal("1430.59"), body
        return int(body["order_id"])

    def state(self) -> Any:
        """Everything a refused request must leave as it was."""
        return (
            [o.to_dict() for o in self.engine.order_page(limit=500)[0]],
            [n.to_dict() for n in self.engine.notifications()],
            [p.to_dict() for p in self.engine.products()],
        )


@pytest.fixture(params=["enforced", "legacy"])
def shop(engine: shopcore.Engine, request: pytest.FixtureRequest) -> Shop:
    """The five services in each access mode (these routes need a token in both)."""
    keys = {role: engine.create_staff_key(name=f"{role} desk", role=role).key for role in ("support", "inventory", "admin")}
    clients = {name: create(engine, request.param).test_client() for name, (create, _port) in SERVICES.items()}
    return Shop(engine, clients, keys)


def test_the_walk_through_from_placed_to_paid_and_shipped_in_two_parts(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    placed = shop.order(order_id)
    assert (placed["payment_status"], placed["fulfillment_status"]) == ("unpaid", "unfulfilled")
    assert (placed["amount_paid"], placed["amount_authorized"], placed["balance_due"], placed["refund_due"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("1430.59"),
        Decimal("0.00"),
    )
    assert placed["payments"] == [] and placed["fulfillments"] == []

    status, held = shop.pay(order_id, {"amount": Decimal("1430.59"), "method": "card", "reference": "pi_3NxAuth", "capture": False})
    assert status == 201, held
    payment = held["payment"]
    assert (payment["status"], payment["amount"], payment["amount_captured"], payment["method"], payment["reference"]) == (
        "authorized",
        Decimal("1430.59"),
        Decimal("0.00"),
        "card",
        "pi_3NxAuth",
    )
    assert payment["payment_id"] >= 1 and payment["created_at"].endswith("Z")
    assert (held["payment_status"], held["fulfillment_status"], held["amount_paid"], held["amount_authorized"], held["balance_due"]) == (
        "authorized",
        "unfulfilled",
        Decimal("0.00"),
        Decimal("1430.59"),
        Decimal("1430.59"),
    )

    status, captured = shop.capture(order_id, payment["payment_id"], {"amount": Decimal("1000.00")})
    assert status == 200, captured
    assert (captured["payment"]["status"], captured["payment"]["amount_captured"]) == ("captured", Decimal("1000.00"))
    assert (captured["payment_status"], captured["amount_paid"], captured["amount_authorized"], captured["balance_due"]) == (
        "partially_paid",
        Decimal("1000.00"),
        Decimal("0.00"),  # the rest of the authorization was released
        Decimal("430.59"),
    )

    status, rest = shop.pay(order_id, {"amount": Decimal("430.59"), "method": "card", "reference": "pi_3NxRest"})
    assert status == 201, rest
    assert rest["payment"]["status"] == "captured"
    assert (rest["payment_status"], rest["amount_paid"], rest["balance_due"]) == ("paid", Decimal("1430.59"), Decimal("0.00"))

    status, first = shop.ship(order_id, {"lines": [{"product_id": 2, "quantity": 4}], "carrier": "Aramex", "tracking_number": "AX0001"})
    assert status == 201, first
    shipment = first["fulfillment"]
    assert (shipment["lines"], shipment["carrier"], shipment["tracking_number"]) == ([{"product_id": 2, "quantity": 4}], "Aramex", "AX0001")
    assert shipment["fulfillment_id"] >= 1 and shipment["created_at"].endswith("Z")
    assert (first["fulfillment_status"], first["payment_status"]) == ("partially_fulfilled", "paid")

    status, last = shop.ship(order_id)
    assert status == 201, last
    assert last["fulfillment"]["lines"] == [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 6}]
    assert last["fulfillment_status"] == "fulfilled"

    order = shop.order(order_id)
    assert (order["status"], order["payment_status"], order["fulfillment_status"]) == ("created", "paid", "fulfilled")
    assert (order["total_amount"], order["amount_paid"], order["amount_authorized"], order["balance_due"], order["refund_due"]) == (
        Decimal("1430.59"),
        Decimal("1430.59"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert [(p["reference"], p["status"], p["amount"], p["amount_captured"]) for p in order["payments"]] == [
        ("pi_3NxAuth", "captured", Decimal("1430.59"), Decimal("1000.00")),
        ("pi_3NxRest", "captured", Decimal("430.59"), Decimal("430.59")),
    ]
    assert [f["lines"] for f in order["fulfillments"]] == [
        [{"product_id": 2, "quantity": 4}],
        [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 6}],
    ]
    assert [(i["product_id"], i["quantity"], i["fulfilled_quantity"]) for i in order["products"]] == [(1, 1, 1), (2, 10, 10)]
    # The original fields are all still there, unchanged.
    assert {"order_id", "customer_id", "total_amount", "created_at", "products", "status"} <= set(order)
    assert {"product_id", "quantity", "unit_price", "discount", "line_total"} <= set(order["products"][1])

    # The listing shows the same figures, to inventory staff too.
    status, listed = shop.call("order", "GET", "/api/orders", as_="inventory")
    assert status == 200 and listed["orders"][0] == order


def test_a_replayed_reference_answers_200_with_the_first_payment_and_another_amount_409(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    body = {"amount": Decimal("100.00"), "method": "card", "reference": "pi_once"}
    status, first = shop.pay(order_id, body)
    assert status == 201 and first["replayed"] is False
    before = shop.state()
    status, again = shop.pay(order_id, {**body, "amount": 100})
    assert status == 200 and again["replayed"] is True
    assert again["payment"] == first["payment"] and again["amount_paid"] == Decimal("100.00")
    assert shop.state() == before
    status, conflict = shop.pay(order_id, {**body, "amount": Decimal("100.01")})
    assert (status, conflict["code"]) == (409, "payment_reference_conflict"), conflict
    assert shop.state() == before


def refused(shop: Shop, answer: tuple[int, Any], status: int, code: str) -> None:
    got, body = answer
    assert (got, body.get("code")) == (status, code), body
    assert body["message"] and body["status"] == "error"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": 0, "method": "card", "reference": "r"}, "invalid_amount"),
        ({"amount": Decimal("0.00"), "method": "card", "reference": "r"}, "invalid_amount"),
        ({"amount": -5, "method": "card", "reference": "r"}, "invalid_amount"),
        ({"amount": Decimal("10.001"), "method": "card", "reference": "r"}, "invalid_money"),
        ({"amount": Decimal("1E+40"), "method": "card", "reference": "r"}, "invalid_request"),
        ({"amount": "100.00", "method": "card", "reference": "r"}, "invalid_money"),
        ({"amount": "ten", "method": "card", "reference": "r"}, "invalid_money"),
        ({"amount": True, "method": "card", "reference": "r"}, "invalid_request"),
        ({"amount": None, "method": "card", "reference": "r"}, "invalid_request"),
        ({"amount": [1], "method": "card", "reference": "r"}, "invalid_request"),
        ({"method": "card", "reference": "r"}, "invalid_request"),
        ({"amount": 1, "reference": "r"}, "invalid_request"),
        ({"amount": 1, "method": "card"}, "invalid_request"),
        ({"amount": 1, "method": "", "reference": "r"}, "invalid_request"),
        ({"amount": 1, "method": 7, "reference": "r"}, "invalid_request"),
        ({"amount": 1, "method": "card", "reference": "réf"}, "invalid_request"),
        ({"amount": 1, "method": "card", "reference": "r" * 256}, "invalid_request"),
        ({"amount": 1, "method": "card", "reference": "r", "capture": "yes"}, "invalid_request"),
        ({"amount": 1, "method": "card", "reference": "r", "surprise": 1}, "invalid_request"),
        ([{"amount": 1}], "invalid_request"),
        ("1000.00", "invalid_request"),
    ],
)
def test_a_payment_that_is_not_one_is_400_and_writes_nothing(shop: Shop, body: Any, code: str) -> None:
    order_id = shop.place_worked_example()
    before = shop.state()
    refused(shop, shop.pay(order_id, body), 400, code)
    assert shop.state() == before


def test_bodies_that_are_not_json_objects_are_refused(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    before = shop.state()
    for raw in [
        "1000",
        "not json",
        '{"amount": 1, "amount": 2, "method": "card", "reference": "r"}',
        '{"amount": 1.5e400, "method": "card", "reference": "r"}',
    ]:
        status, body = shop.pay(order_id, None, data=raw, content_type="application/json")
        assert 400 <= status < 500 and body["code"] in ("invalid_request", "invalid_money"), (raw, body)
    status, body = shop.pay(order_id, None, data="amount=1", content_type="application/x-www-form-urlencoded")
    assert (status, body["code"]) == (415, "unsupported_media_type")
    status, body = shop.ship(order_id, None, data="[]", content_type="application/json")
    assert (status, body["code"]) == (400, "invalid_request")
    assert shop.state() == before


def test_every_refusal_of_the_issue_with_its_code_and_nothing_written(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    status, held = shop.pay(order_id, {"amount": Decimal("1000.00"), "method": "card", "reference": "pi_held", "capture": False})
    assert status == 201
    held_id = held["payment"]["payment_id"]
    before = shop.state()
    refused(shop, shop.pay(order_id, {"amount": Decimal("430.60"), "method": "card", "reference": "pi_more"}), 409, "payment_exceeds_balance")
    refused(shop, shop.capture(order_id, held_id, {"amount": Decimal("1000.01")}), 409, "capture_exceeds_authorized")
    refused(shop, shop.capture(order_id, held_id, {"amount": 0}), 400, "invalid_amount")
    refused(shop, shop.capture(order_id, held_id, {"amount": Decimal("1.001")}), 400, "invalid_money")
    refused(shop, shop.capture(order_id, held_id, {"amount": "5"}), 400, "invalid_money")
    refused(shop, shop.capture(order_id, held_id, {"amount": True}), 400, "invalid_request")
    refused(shop, shop.capture(order_id, held_id, {"amount": 5, "extra": 1}), 400, "invalid_request")
    refused(shop, shop.capture(order_id, 999), 404, "unknown_payment")
    refused(shop, shop.void(order_id, 999), 404, "unknown_payment")
    refused(shop, shop.pay(999, {"amount": 1, "method": "card", "reference": "r"}), 404, "order_not_found")
    refused(shop, shop.capture(999, held_id), 404, "order_not_found")
    refused(shop, shop.ship(999), 404, "order_not_found")
    refused(shop, shop.ship(order_id, {"lines": [{"product_id": 2, "quantity": 11}]}), 409, "fulfillment_exceeds_order")
    refused(shop, shop.ship(order_id, {"lines": [{"product_id": 3, "quantity": 1}]}), 400, "product_not_in_order")
    refused(shop, shop.ship(order_id, {"lines": [{"product_id": 2, "quantity": 0}]}), 400, "invalid_quantity")
    refused(shop, shop.ship(order_id, {"lines": []}), 400, "invalid_request")
    refused(shop, shop.ship(order_id, {"lines": "all"}), 400, "invalid_request")
    refused(shop, shop.ship(order_id, {"lines": [[2, 4]]}), 400, "invalid_request")
    refused(shop, shop.ship(order_id, {"lines": [{"product_id": 2, "quantity": Decimal("4.0")}]}), 400, "invalid_request")
    refused(shop, shop.ship(order_id, {"carrier": ""}), 400, "invalid_request")
    refused(shop, shop.ship(order_id, {"tracking_number": 12}), 400, "invalid_request")
    refused(shop, shop.ship(order_id, {"warehouse": "north"}), 400, "invalid_request")
    assert shop.state() == before
    # The message of fulfillment_exceeds_order names the product and what remains.
    _, body = shop.ship(order_id, {"lines": [{"product_id": 2, "quantity": 11}]})
    assert "product 2" in body["message"] and "10" in body["message"]

    status, _ = shop.void(order_id, held_id)
    assert status == 200
    refused(shop, shop.void(order_id, held_id), 409, "payment_not_authorized")
    refused(shop, shop.capture(order_id, held_id), 409, "payment_not_authorized")
    status, paid = shop.pay(order_id, {"amount": 10, "method": "cash_on_delivery", "reference": "cod_1"})
    assert status == 201 and paid["payment"]["status"] == "captured"
    refused(shop, shop.void(order_id, paid["payment"]["payment_id"]), 409, "payment_not_authorized")

    status, _ = shop.ship(order_id)
    assert status == 201
    refused(shop, shop.ship(order_id), 409, "fulfillment_exceeds_order")


def test_a_void_answers_the_voided_payment_and_the_statuses(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    _, held = shop.pay(order_id, {"amount": Decimal("50.00"), "method": "card", "reference": "pi_v", "capture": False})
    status, voided = shop.void(order_id, held["payment"]["payment_id"])
    assert status == 200, voided
    assert (voided["payment"]["status"], voided["payment_status"], voided["amount_authorized"], voided["balance_due"]) == (
        "voided",
        "unpaid",
        Decimal("0.00"),
        Decimal("1430.59"),
    )
    # A full capture without a body takes all of an authorization.
    _, again = shop.pay(order_id, {"amount": Decimal("1430.59"), "method": "card", "reference": "pi_all", "capture": False})
    status, captured = shop.capture(order_id, again["payment"]["payment_id"])
    assert status == 200 and (captured["payment_status"], captured["amount_paid"]) == ("paid", Decimal("1430.59"))


def test_cancel_after_a_shipment_is_409_order_fulfilled(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    assert shop.ship(order_id, {"lines": [{"product_id": 1, "quantity": 1}]})[0] == 201
    before = shop.state()
    refused(shop, shop.call("order", "POST", f"/api/orders/{order_id}/cancel", as_="support"), 409, "order_fulfilled")
    assert shop.state() == before


def test_cancel_voids_the_authorization_and_owes_back_what_was_captured(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    assert shop.pay(order_id, {"amount": Decimal("300.00"), "method": "card", "reference": "pi_paid"})[0] == 201
    _, held = shop.pay(order_id, {"amount": Decimal("500.00"), "method": "card", "reference": "pi_held", "capture": False})
    status, cancelled = shop.call("order", "POST", f"/api/orders/{order_id}/cancel", as_="support")
    assert status == 200, cancelled
    assert (cancelled["status"], cancelled["order_status"], cancelled["refund_due"]) == ("success", "cancelled", Decimal("300.00"))
    assert {"points_returned", "points_revoked", "points_balance", "message"} <= set(cancelled)
    assert "300.00" in cancelled["message"]
    order = shop.order(order_id)
    assert (order["refund_due"], order["amount_authorized"], order["amount_paid"], order["balance_due"]) == (
        Decimal("300.00"),
        Decimal("0.00"),
        Decimal("300.00"),
        Decimal("0.00"),
    )
    statuses = {p["reference"]: p["status"] for p in order["payments"]}
    assert statuses == {"pi_paid": "captured", "pi_held": "voided"}
    before = shop.state()
    refused(shop, shop.pay(order_id, {"amount": 1, "method": "card", "reference": "pi_late"}), 409, "order_cancelled")
    refused(shop, shop.ship(order_id), 409, "order_cancelled")
    refused(shop, shop.capture(order_id, held["payment"]["payment_id"]), 409, "order_cancelled")
    assert shop.state() == before
    # A cancel without payments owes nothing back.
    other = shop.place_worked_example()
    status, plain = shop.call("order", "POST", f"/api/orders/{other}/cancel", as_="support")
    assert status == 200 and plain["refund_due"] == Decimal("0.00")


def test_the_notices_appear_in_the_notification_log(shop: Shop) -> None:
    order_id = shop.place_worked_example()
    _, held = shop.pay(order_id, {"amount": Decimal("100.00"), "method": "card", "reference": "pi_a", "capture": False})
    shop.void(order_id, held["payment"]["payment_id"])
    shop.pay(order_id, {"amount": Decimal("1430.59"), "method": "card", "reference": "pi_b"})
    shop.ship(order_id, {"lines": [{"product_id": 2, "quantity": 4}], "carrier": "Aramex", "tracking_number": "AX0001"})
    shop.ship(order_id)
    status, log = shop.call("notification", "GET", f"/api/notifications?order_id={order_id}", as_="support")
    assert status == 200, log
    kinds = sorted(n["notification_type"] for n in log["notifications"])
    assert kinds == sorted(
        ["order_confirmation", "payment_voided", "payment_captured", "order_paid", "fulfillment_created", "fulfillment_created", "order_fulfilled"]
    )
    shipped = [n["message"] for n in log["notifications"] if n["notification_type"] == "fulfillment_created"]
    assert any("Aramex" in m and "AX0001" in m for m in shipped), shipped


def test_webhooks_subscribe_to_the_new_events_and_get_them_queued(shop: Shop) -> None:
    events = ["payment.captured", "payment.voided", "order.paid", "fulfillment.created", "order.fulfilled"]
    status, created = shop.call("notification", "POST", "/api/webhooks", {"url": "https://hooks.example.com/shop", "events": events})
    assert status == 201, created
    assert created["events"] == events
    status, unknown = shop.call("notification", "POST", "/api/webhooks", {"url": "https://hooks.example.com/x", "events": ["payment.refunded"]})
    assert status == 400 and unknown["code"], unknown
    order_id = shop.place_worked_example()
    assert shop.pay(order_id, {"amount": Decimal("1430.59"), "method": "card", "reference": "pi_w"})[0] == 201
    notices = [n for n in shop.engine.notifications(order_id=order_id) if n.notification_type in ("payment_captured", "order_paid")]
    assert len(notices) == 2
    deliveries = shop.engine.deliveries([n.notification_id for n in notices])
    assert sorted(d.channel for d in deliveries if d.webhook_id == created["webhook_id"]) == ["webhook", "webhook"]


#: Every route of this issue, with a body each caller could send.
ROUTES = [
    ("POST", "/api/orders/{o}/payments", {"amount": 1, "method": "card", "reference": "pi_acl"}),
    ("POST", "/api/orders/{o}/payments/{p}/capture", None),
    ("POST", "/api/orders/{o}/payments/{p}/void", None),
    ("POST", "/api/orders/{o}/fulfillments", {"lines": [{"product_id": 2, "quantity": 1}]}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_token_is_needed_in_both_modes_and_customers_may_not_even_on_their_own_orders(shop: Shop, method: str, path: str, body: Any) -> None:
    session = shop.engine.register(name="Aya", email="aya@example.com", password="a long enough password")
    token = shop.engine.login(email="aya@example.com", password="a long enough password").token
    order_id = shop.engine.checkout(session.customer_id, [(2, 3)]).order.order_id
    payment_id = shop.engine.record_payment(order_id, 10, "card", "pi_seed", capture=False).payment.payment_id
    shop.keys["customer"] = token
    url = path.format(o=order_id, p=payment_id)
    before = shop.state()
    refused(shop, shop.call("order", method, url, body, as_="anonymous"), 401, "unauthenticated")
    refused(shop, shop.call("order", method, url, body, as_="customer"), 403, "forbidden")
    wrong_role = "inventory" if "payments" in path else "support"
    refused(shop, shop.call("order", method, url, body, as_=wrong_role), 403, "forbidden")
    assert shop.state() == before
    right_role = "support" if "payments" in path else "inventory"
    status, answer = shop.call("order", method, url, body, as_=right_role)
    assert status in (200, 201), answer
