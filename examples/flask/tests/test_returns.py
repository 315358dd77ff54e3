"""Partial cancels, returns and refunds over HTTP: every route with the
hand-computed figures of the conformance suite (``returns_cases.rs``), every
refusal with its code and nothing written, who may ask, the return window
setting and idempotency keys.

On the in-memory engine, in both access modes (every route here needs a token
in both; the whole cancel without a body stays open in legacy mode).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

import shopcore
from shopcore_services import SERVICES
from shopcore_services.order import create_app as order_app
from shopcore_services.settings import Settings, SettingsError

WORKED_EXAMPLE = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]
PASSWORD = "a long enough password"


@dataclass
class Shop:
    engine: shopcore.Engine
    clients: dict[str, FlaskClient]
    #: staff keys by role, and "aya" / "badr": customers' session tokens
    tokens: dict[str, str]
    aya: int

    def call(self, method: str, path: str, body: Any = None, *, as_: str = "support", service: str = "order", **kwargs: Any) -> tuple[int, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if as_ in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        if body is not None:
            kwargs["json"] = body
        response = self.clients[service].open(path, method=method, headers=headers, **kwargs)
        return response.status_code, response.get_json()

    def cancel(self, order_id: int, body: Any = None, *, as_: str = "support", **kwargs: Any) -> tuple[int, Any]:
        return self.call("POST", f"/api/orders/{order_id}/cancel", body, as_=as_, **kwargs)

    def create_return(self, order_id: int, body: Any, *, as_: str = "support", **kwargs: Any) -> tuple[int, Any]:
        return self.call("POST", f"/api/orders/{order_id}/returns", body, as_=as_, **kwargs)

    def refund(self, order_id: int, body: Any, *, as_: str = "support", **kwargs: Any) -> tuple[int, Any]:
        return self.call("POST", f"/api/orders/{order_id}/refunds", body, as_=as_, **kwargs)

    def order(self, order_id: int) -> dict[str, Any]:
        status, body = self.call("GET", f"/api/orders/{order_id}")
        assert status == 200, body
        return dict(body)

    def worked_example(self, customer_id: int | None = None) -> int:
        """1 Laptop and 10 Mice in Cairo: 1430.59 (Ahmed's, or ``customer_id``'s)."""
        placed = self.engine.checkout(customer_id or 1, [(1, 1), (2, 10)]).order
        assert placed.total_amount == Decimal("1430.59")
        return placed.order_id

    def paid_and_shipped(self, customer_id: int | None = None) -> int:
        order_id = self.worked_example(customer_id)
        self.engine.record_payment(order_id, Decimal("1430.59"), "card", f"pi_{order_id}")
        self.engine.fulfill(order_id)
        return order_id

    def state(self) -> Any:
        """Everything a refused request must leave as it was."""
        return (
            [o.to_dict() for o in self.engine.order_page(limit=500)[0]],
            [n.to_dict() for n in self.engine.notifications()],
            [p.to_dict() for p in self.engine.products()],
            [self.engine.customer(c).to_dict() for c in (1, 2, 3, self.aya)],
            [r.to_dict() for r in self.engine.returns()],
        )


@pytest.fixture
def engine() -> shopcore.Engine:
    """The in-memory engine (these routes' MySQL side is the adapter's conformance suite)."""
    return shopcore.Engine.in_memory()


@pytest.fixture(params=["enforced", "legacy"])
def shop(engine: shopcore.Engine, request: pytest.FixtureRequest) -> Shop:
    tokens = {role: engine.create_staff_key(name=f"{role} desk", role=role).key for role in ("support", "inventory", "admin")}
    aya = engine.register(name="Aya", email="aya@example.com", password=PASSWORD).customer_id
    engine.register(name="Badr", email="badr@example.com", password=PASSWORD)
    tokens["aya"] = engine.login(email="aya@example.com", password=PASSWORD).token
    tokens["badr"] = engine.login(email="badr@example.com", password=PASSWORD).token
    clients = {name: create(engine, request.param).test_client() for name, (create, _port) in SERVICES.items()}
    return Shop(engine, clients, tokens, aya)


def refused(answer: tuple[int, Any], status: int, code: str) -> None:
    got, body = answer
    assert (got, body.get("code")) == (status, code), body
    assert body["message"] and body["status"] == "error"


def test_a_partial_cancel_lowers_what_is_due_and_releases_the_authorization(shop: Shop) -> None:
    order_id = shop.worked_example()
    held = shop.engine.record_payment(order_id, Decimal("1430.59"), "card", "pi_held", capture=False).payment
    mice = shop.engine.product(2).quantity_available

    # 3 of 10 mice: 254.91 × 3/10 = 76.473 → 76.47; tax 35.69 × 3/10 = 10.707 → 10.71.
    status, cancelled = shop.cancel(order_id, {"lines": [{"product_id": 2, "quantity": 3}]})
    assert status == 200, cancelled
    assert (cancelled["status"], cancelled["order_id"], cancelled["order_status"]) == ("success", order_id, "created")
    assert cancelled["cancelled_lines"] == [{"product_id": 2, "quantity": 3, "amount": Decimal("76.47"), "tax": Decimal("10.71"), "points": 0}]
    assert (cancelled["refund"], cancelled["refund_due"]) == (None, Decimal("0.00"))
    # The kept units earn floor((1254.90 − 76.47) / 10) = 117 of the 125: 8 revoked.
    assert (cancelled["points_returned"], cancelled["points_revoked"], cancelled["points_balance"]) == (0, 8, 217)
    assert "Balance due: 1343.41" in cancelled["message"]
    order = shop.order(order_id)
    assert (order["status"], order["amount_due"], order["balance_due"], order["amount_authorized"]) == (
        "created",
        Decimal("1343.41"),  # 1430.59 − 87.18
        Decimal("1343.41"),
        Decimal("1343.41"),
    )
    assert [(p["product_id"], p["tax"], p["cancelled_quantity"]) for p in order["products"]] == [(1, Decimal("140.00"), 0), (2, Decimal("35.69"), 3)]
    assert (order["payments"][0]["status"], order["payments"][0]["amount_released"]) == ("authorized", Decimal("87.18"))
    assert order["total_amount"] == Decimal("1430.59")  # as placed
    assert shop.engine.product(2).quantity_available == mice + 3

    captured = shop.engine.capture_payment(order_id, held.payment_id)
    assert (captured.payment.amount_captured, captured.order.payment_status) == (Decimal("1343.41"), "paid")

    # Every unit left is the whole cancel: everything paid comes back.
    status, whole = shop.cancel(order_id, {"lines": [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 7}]})
    assert status == 200, whole
    assert (whole["order_status"], whole["refund_due"]) == ("cancelled", Decimal("1343.41"))
    assert whole["refund"]["kind"] == "cancellation" and whole["refund"]["amount"] == Decimal("1343.41")
    assert whole["refund"]["parts"] == [{"payment_id": held.payment_id, "amount": Decimal("1343.41")}]
    # The mice's two steps: 76.47 + 178.44 = 254.91, the line.
    assert [line["amount"] for line in whole["cancelled_lines"]] == [Decimal("999.99"), Decimal("178.44")]
    order = shop.order(order_id)
    assert (order["payment_status"], order["amount_refunded"], order["balance_due"]) == ("refunded", Decimal("1343.41"), Decimal("0.00"))
    assert order["refunds"] == [whole["refund"]]
    assert shop.engine.customer(1).loyalty_points == 100


def test_a_partial_cancel_of_a_paid_order_refunds_the_units_share(shop: Shop) -> None:
    order_id = shop.worked_example()
    shop.engine.record_payment(order_id, Decimal("1430.59"), "card", "pi_all")
    shop.engine.fulfill(order_id, [(1, 1)])
    before = shop.state()
    refused(shop.cancel(order_id, {"lines": [{"product_id": 1, "quantity": 1}]}), 409, "cancel_exceeds_unfulfilled")
    refused(shop.cancel(order_id), 409, "order_fulfilled")
    assert shop.state() == before
    status, cancelled = shop.cancel(order_id, {"lines": [{"product_id": 2, "quantity": 10}]})
    assert status == 200, cancelled
    # All 10 mice: exactly their line, 254.91 + 35.69 = 290.60.
    refund = cancelled["refund"]
    assert (refund["kind"], refund["amount"], refund["tax"], refund["return_id"]) == ("cancellation", Decimal("290.60"), Decimal("35.69"), None)
    assert refund["lines"] == [{"product_id": 2, "quantity": 10, "amount": Decimal("290.60"), "tax": Decimal("35.69")}]
    assert cancelled["refund_due"] == Decimal("290.60")
    order = shop.order(order_id)
    assert (order["status"], order["payment_status"], order["fulfillment_status"]) == ("created", "partially_refunded", "fulfilled")
    assert (order["amount_due"], order["balance_due"], order["amount_refunded"]) == (Decimal("1139.99"), Decimal("0.00"), Decimal("290.60"))
    assert (order["products"][1]["cancelled_quantity"], order["products"][1]["refunded_amount"]) == (10, Decimal("290.60"))
    assert order["payments"][0]["amount_refunded"] == Decimal("290.60")


def test_the_readme_order_returns_three_mice_then_seven_to_the_cent(shop: Shop) -> None:
    shop.engine.create_coupon({"code": "SAVE10", "percent_off": 10})
    order_id = shop.engine.checkout(1, [(1, 1), (2, 10)], coupon_code="SAVE10", redeem_points=100).order.order_id
    shop.engine.record_payment(order_id, Decimal("1286.39"), "card", "pi_readme")
    shop.engine.fulfill(order_id)
    placed = shop.order(order_id)
    assert [(p["tax"], p["points_redeemed"]) for p in placed["products"]] == [(Decimal("125.89"), 80), (Decimal("32.09"), 20)]
    mice = shop.engine.product(2).quantity_available
    assert shop.engine.customer(1).loyalty_points == 112

    # 3 of 10 mice: 229.22 × 3/10 = 68.766 → 68.77, 32.09 × 3/10 = 9.627 → 9.63; points 6.
    status, first = shop.create_return(order_id, {"lines": [{"product_id": 2, "quantity": 3}], "restock": True, "reason": "changed mind"})
    assert status == 201, first
    returned = first["return"]
    assert (returned["status"], returned["restock"], returned["reason"], returned["requested_by_customer"]) == ("received", True, "changed mind", False)
    assert returned["lines"] == [{"product_id": 2, "quantity": 3}] and returned["order_id"] == order_id
    assert returned["created_at"].endswith("Z") and returned["updated_at"].endswith("Z")
    refund = first["refund"]
    assert (refund["kind"], refund["return_id"], refund["amount"], refund["tax"], refund["points_returned"]) == (
        "return",
        returned["return_id"],
        Decimal("78.40"),
        Decimal("9.63"),
        6,
    )
    assert [part["amount"] for part in refund["parts"]] == [Decimal("78.40")]
    assert (first["payment_status"], first["balance_due"], first["amount_refunded"], first["replayed"]) == (
        "partially_refunded",
        Decimal("0.00"),
        Decimal("78.40"),
        False,
    )
    assert shop.engine.customer(1).loyalty_points == 111  # + 6 back, − 7 revoked (the kept units earn 105)

    # The other 7: exactly what is left, 160.45 + 22.46 = 182.91; 14 points back, 16 revoked.
    status, second = shop.create_return(order_id, {"lines": [{"product_id": 2, "quantity": 7}]})
    assert status == 201, second
    assert (second["refund"]["amount"], second["refund"]["tax"], second["refund"]["points_returned"]) == (Decimal("182.91"), Decimal("22.46"), 14)
    assert second["return"]["restock"] is True  # the default
    assert shop.engine.customer(1).loyalty_points == 109
    assert shop.engine.product(2).quantity_available == mice + 10
    order = shop.order(order_id)
    assert (order["amount_refunded"], order["amount_due"], order["total_amount"]) == (Decimal("261.31"), Decimal("1025.08"), Decimal("1286.39"))
    assert (order["products"][1]["returned_quantity"], order["products"][1]["refunded_amount"]) == (10, Decimal("261.31"))
    assert [r["return_id"] for r in order["returns"]] == [returned["return_id"], second["return"]["return_id"]]
    assert [r["amount"] for r in order["refunds"]] == [Decimal("78.40"), Decimal("182.91")]
    status, log = shop.call("GET", f"/api/notifications?order_id={order_id}", service="notification")
    assert status == 200, log
    kinds = [n["notification_type"] for n in log["notifications"]]
    assert kinds.count("return_received") == 2 and kinds.count("refund_created") == 2


def test_a_customer_asks_for_returns_that_staff_receive_or_reject(shop: Shop) -> None:
    order_id = shop.paid_and_shipped(shop.aya)
    mice = shop.engine.product(2).quantity_available
    status, asked = shop.create_return(order_id, {"lines": [{"product_id": 2, "quantity": 2}], "reason": "too many"}, as_="aya")
    assert status == 201, asked
    requested = asked["return"]
    assert (requested["status"], requested["requested_by_customer"], asked["refund"]) == ("requested", True, None)
    assert asked["amount_refunded"] == Decimal("0.00")
    before = shop.state()
    # 2 of 10 are asked back: at most 8 more; another customer, and a customer on staff routes, are refused.
    refused(shop.create_return(order_id, {"lines": [{"product_id": 2, "quantity": 9}]}, as_="aya"), 409, "return_exceeds_fulfilled")
    refused(shop.create_return(order_id, {"lines": [{"product_id": 2, "quantity": 1}]}, as_="badr"), 404, "order_not_found")
    refused(shop.call("POST", f"/api/returns/{requested['return_id']}/receive", as_="aya"), 403, "forbidden")
    refused(shop.call("GET", "/api/returns", as_="aya"), 403, "forbidden")
    assert shop.state() == before

    status, listed = shop.call("GET", "/api/returns?status=requested")
    assert (status, listed) == (200, {"returns": [requested]})
    assert shop.call("GET", "/api/returns?status=received") == (200, {"returns": []})

    # Received without restocking: 254.91 × 2/10 = 50.982 → 50.98 and 35.69 × 2/10 = 7.138 → 7.14.
    status, received = shop.call("POST", f"/api/returns/{requested['return_id']}/receive", {"restock": False})
    assert status == 200, received
    assert (received["return"]["status"], received["return"]["restock"]) == ("received", False)
    assert (received["refund"]["amount"], received["refund"]["tax"]) == (Decimal("58.12"), Decimal("7.14"))
    assert received["payment_status"] == "partially_refunded"
    assert shop.engine.product(2).quantity_available == mice
    refused(shop.call("POST", f"/api/returns/{requested['return_id']}/receive"), 409, "return_not_requested")

    _, other = shop.create_return(order_id, {"lines": [{"product_id": 1, "quantity": 1}]}, as_="aya")
    other_id = other["return"]["return_id"]
    before = shop.state()
    status, rejected = shop.call("POST", f"/api/returns/{other_id}/reject", as_="admin")
    assert status == 200, rejected
    assert (rejected["return"]["status"], rejected["refund"]) == ("rejected", None)
    after = shop.state()
    assert after[1:3] == before[1:3] and after[3] == before[3]  # no notice, stock or points moved
    refused(shop.call("POST", f"/api/returns/{other_id}/reject"), 409, "return_not_requested")
    refused(shop.call("POST", "/api/returns/9999/receive"), 404, "unknown_return")
    refused(shop.call("POST", "/api/returns/9999/reject"), 404, "unknown_return")
    status, every = shop.call("GET", "/api/returns")
    assert status == 200 and [r["status"] for r in every["returns"]] == ["received", "rejected"]
    assert shop.order(order_id)["returns"] == every["returns"]


def test_the_return_window_comes_from_the_settings(engine: shopcore.Engine) -> None:
    assert Settings.from_environ({}).return_window_days == 30
    assert Settings.from_environ({"SHOPCORE_RETURN_WINDOW_DAYS": "0"}).return_window_days == 0
    for bad in ("-1", "3651", "thirty", "1.5"):
        with pytest.raises(SettingsError, match="SHOPCORE_RETURN_WINDOW_DAYS"):
            Settings.from_environ({"SHOPCORE_RETURN_WINDOW_DAYS": bad})
    aya = engine.register(name="Aya", email="aya@example.com", password=PASSWORD).customer_id
    token = engine.login(email="aya@example.com", password=PASSWORD).token
    key = engine.create_staff_key(name="desk", role="support").key
    order_id = engine.checkout(aya, [(2, 2)]).order.order_id
    engine.fulfill(order_id)
    closed = order_app(engine, "enforced", settings=Settings.from_environ({"SHOPCORE_RETURN_WINDOW_DAYS": "0"})).test_client()
    body = {"lines": [{"product_id": 2, "quantity": 1}]}
    late = closed.post(f"/api/orders/{order_id}/returns", json=body, headers={"Authorization": f"Bearer {token}"})
    assert (late.status_code, late.get_json()["code"]) == (409, "return_window_closed")
    # Staff are not limited by the window.
    assert closed.post(f"/api/orders/{order_id}/returns", json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 201
    open_window = order_app(engine, "enforced", settings=Settings.from_environ({})).test_client()
    assert open_window.post(f"/api/orders/{order_id}/returns", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 201


def test_goodwill_refunds_pay_back_at_most_what_was_captured(shop: Shop) -> None:
    order_id = shop.worked_example()
    shop.engine.record_payment(order_id, Decimal("500.00"), "card", "pi_part")
    status, goodwill = shop.refund(order_id, {"amount": Decimal("100.00"), "reason": "late delivery"})
    assert status == 201, goodwill
    refund = goodwill["refund"]
    assert (refund["kind"], refund["amount"], refund["tax"], refund["lines"], refund["reason"], refund["return_id"]) == (
        "goodwill",
        Decimal("100.00"),
        Decimal("0.00"),
        [],
        "late delivery",
        None,
    )
    assert "return" not in goodwill
    # A goodwill refund owes nothing back: still 930.59 to pay.
    assert (goodwill["payment_status"], goodwill["balance_due"], goodwill["amount_refunded"]) == ("partially_refunded", Decimal("930.59"), Decimal("100.00"))
    before = shop.state()
    refused(shop.refund(order_id, {"amount": Decimal("400.01")}), 409, "refund_exceeds_paid")
    refused(shop.refund(order_id, {"amount": "100.00"}), 400, "invalid_money")
    refused(shop.refund(order_id, {"amount": 0}), 400, "invalid_amount")
    refused(shop.refund(order_id, {"amount": -1}), 400, "invalid_amount")
    refused(shop.refund(order_id, {"amount": Decimal("1.001")}), 400, "invalid_money")
    refused(shop.refund(order_id, {"amount": True}), 400, "invalid_request")
    refused(shop.refund(order_id, {"amount": None}), 400, "invalid_request")
    refused(shop.refund(order_id, {}), 400, "invalid_request")
    refused(shop.refund(order_id, {"amount": 1, "reason": ""}), 400, "invalid_request")
    refused(shop.refund(order_id, {"amount": 1, "reason": "x" * 501}), 400, "invalid_request")
    refused(shop.refund(order_id, {"amount": 1, "reason": "a\nb\u0007"}), 400, "invalid_request")
    refused(shop.refund(order_id, {"amount": 1, "reason": 5}), 400, "invalid_request")
    refused(shop.refund(order_id, {"amount": 1, "currency": "EGP"}), 400, "invalid_request")
    refused(shop.refund(9999, {"amount": 1}), 404, "order_not_found")
    refused(shop.refund(order_id, {"amount": 1}, as_="inventory"), 403, "forbidden")
    assert shop.state() == before
    status, rest = shop.refund(order_id, {"amount": Decimal("400.00")}, as_="admin")
    assert status == 201 and rest["payment_status"] == "refunded", rest
    status, cancelled = shop.cancel(order_id)
    assert status == 200 and (cancelled["refund_due"], cancelled["refund"]) == (Decimal("0.00"), None)


#: Bodies of a partial cancel or a return that are not one, with their code.
BAD_LINES = [
    ({"lines": "all"}, "invalid_request"),
    ({"lines": {"product_id": 2, "quantity": 1}}, "invalid_request"),
    ({"lines": []}, "invalid_request"),
    ({"lines": [[2, 1]]}, "invalid_request"),
    ({"lines": [2]}, "invalid_request"),
    ({"lines": [{"product_id": 2}]}, "invalid_request"),
    ({"lines": [{"quantity": 1}]}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1, "note": "x"}]}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 0}]}, "invalid_quantity"),
    ({"lines": [{"product_id": 2, "quantity": -1}]}, "invalid_quantity"),
    ({"lines": [{"product_id": 2, "quantity": 10**30}]}, "invalid_quantity"),
    ({"lines": [{"product_id": 2, "quantity": "3"}]}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": Decimal("1.5")}]}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": True}]}, "invalid_request"),
    ({"lines": [{"product_id": "2", "quantity": 1}]}, "invalid_request"),
    ({"lines": [{"product_id": 0, "quantity": 1}]}, "invalid_id"),
    ({"lines": [{"product_id": 3, "quantity": 1}]}, "product_not_in_order"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "surprise": 1}, "invalid_request"),
]

#: What only a return's body may get wrong.
BAD_RETURNS = [
    ({"lines": [{"product_id": 2, "quantity": 1}], "restock": "yes"}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "restock": 1}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "reason": ""}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "reason": " "}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "reason": "r" * 501}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "reason": "broken\u0000"}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "reason": "broken\u200b"}, "invalid_request"),
    ({"lines": [{"product_id": 2, "quantity": 1}], "reason": ["broken"]}, "invalid_request"),
    ({"restock": True}, "invalid_request"),
    ({"lines": None}, "invalid_request"),
    ([{"product_id": 2, "quantity": 1}], "invalid_request"),
]


@pytest.mark.parametrize(("body", "code"), BAD_LINES)
def test_a_partial_cancel_that_is_not_one_is_400_and_writes_nothing(shop: Shop, body: Any, code: str) -> None:
    order_id = shop.worked_example(shop.aya)
    before = shop.state()
    refused(shop.cancel(order_id, body), 400, code)
    refused(shop.cancel(order_id, body, as_="aya"), 400, code)
    assert shop.state() == before


@pytest.mark.parametrize(("body", "code"), BAD_LINES + BAD_RETURNS)
def test_a_return_that_is_not_one_is_400_and_writes_nothing(shop: Shop, body: Any, code: str) -> None:
    order_id = shop.paid_and_shipped(shop.aya)
    before = shop.state()
    refused(shop.create_return(order_id, body), 400, code)
    refused(shop.create_return(order_id, body, as_="aya"), 400, code)
    assert shop.state() == before


def test_bodies_that_are_not_json_objects_are_refused_and_write_nothing(shop: Shop) -> None:
    order_id = shop.paid_and_shipped()
    requested = shop.engine.create_return(order_id, [(2, 1)], by="customer").returned
    assert requested is not None
    before = shop.state()
    for path in (f"/api/orders/{order_id}/cancel", f"/api/orders/{order_id}/returns", f"/api/orders/{order_id}/refunds"):
        for raw in ("not json", "[]", '{"lines": [], "lines": []}', '{"amount": 1.5e400}'):
            status, body = shop.call("POST", path, data=raw, content_type="application/json")
            assert (status, body["code"]) == (400, "invalid_request"), (path, raw, body)
        status, body = shop.call("POST", path, data="lines=2", content_type="application/x-www-form-urlencoded")
        assert (status, body["code"]) == (415, "unsupported_media_type"), (path, body)
    receive = f"/api/returns/{requested.return_id}/receive"
    for body_ in ({"restock": "no"}, {"restock": 0}, {"restock": False, "why": "x"}):
        refused(shop.call("POST", receive, body_), 400, "invalid_request")
    refused(shop.call("POST", f"/api/returns/{requested.return_id}/reject", {"reason": "no"}), 400, "invalid_request")
    for query in ("?status=lost", "?status=", "?status=requested&status=received", "?status=REQUESTED"):
        refused(shop.call("GET", f"/api/returns{query}"), 400, "invalid_request")
    assert shop.state() == before


def test_receiving_without_a_body_restocks_whatever_the_customer_said(shop: Shop) -> None:
    """Whether returned goods go back on the shelf is the shop's call: a
    customer's request is stored to be restocked, and staff may say otherwise on receipt."""
    order_id = shop.paid_and_shipped(shop.aya)
    mice = shop.engine.product(2).quantity_available
    _, asked = shop.create_return(order_id, {"lines": [{"product_id": 2, "quantity": 1}], "restock": False}, as_="aya")
    assert asked["return"]["restock"] is True
    status, received = shop.call("POST", f"/api/returns/{asked['return']['return_id']}/receive")
    assert status == 200, received
    # 1 of 10 mice: 25.491 → 25.49 and 3.569 → 3.57.
    assert (received["return"]["restock"], received["refund"]["amount"]) == (True, Decimal("29.06"))
    assert shop.engine.product(2).quantity_available == mice + 1


def test_an_idempotency_key_replays_the_first_return_or_refund(shop: Shop) -> None:
    order_id = shop.paid_and_shipped()
    body = {"lines": [{"product_id": 2, "quantity": 3}], "reason": "too many"}
    key = {"Idempotency-Key": "return-7f3a"}
    status, first = shop.create_return(order_id, body, headers=key)
    assert (status, first["replayed"]) == (201, False), first
    before = shop.state()
    status, again = shop.create_return(order_id, body, headers=key)
    assert (status, again["replayed"]) == (200, True), again
    assert (again["return"], again["refund"]) == (first["return"], first["refund"])
    assert shop.state() == before
    refused(shop.create_return(order_id, {**body, "reason": "another"}, headers=key), 409, "idempotency_conflict")
    refused(shop.create_return(order_id, body, headers={"Idempotency-Key": ""}), 400, "invalid_idempotency_key")
    assert shop.state() == before
    status, paid_back = shop.refund(order_id, {"amount": 5}, headers=key)  # refunds have keys of their own
    assert (status, paid_back["replayed"]) == (201, False), paid_back
    status, replay = shop.refund(order_id, {"amount": Decimal("5.00")}, headers=key)
    assert (status, replay["replayed"], replay["refund"]) == (200, True, paid_back["refund"])
    refused(shop.refund(order_id, {"amount": 6}, headers=key), 409, "idempotency_conflict")
    # 87.18 (3 mice: 76.47 + 10.71) and 5.00.
    assert shop.order(order_id)["amount_refunded"] == Decimal("92.18")


def test_a_customer_cancels_units_of_their_own_order_only(shop: Shop) -> None:
    mine = shop.worked_example(shop.aya)
    theirs = shop.worked_example()
    body = {"lines": [{"product_id": 2, "quantity": 1}]}
    before = shop.state()
    refused(shop.cancel(theirs, body, as_="aya"), 404, "order_not_found")
    refused(shop.cancel(9999, body, as_="aya"), 404, "order_not_found")
    refused(shop.cancel(mine, body, as_="inventory"), 403, "forbidden")
    refused(shop.cancel(mine, body, as_="anonymous"), 401, "unauthenticated")
    assert shop.state() == before
    status, cancelled = shop.cancel(mine, body, as_="aya")
    assert status == 200 and cancelled["cancelled_lines"][0]["amount"] == Decimal("25.49"), cancelled
    # Without lines (no body, an empty object or null lines): the whole cancel, as before.
    for whole in (None, {}, {"lines": None}):
        order_id = shop.worked_example(shop.aya)
        status, answer = shop.cancel(order_id, whole, as_="aya")
        assert (status, answer["order_status"]) == (200, "cancelled"), (whole, answer)
        assert [(line["product_id"], line["quantity"]) for line in answer["cancelled_lines"]] == [(1, 1), (2, 10)]


def test_the_notices_and_webhook_events_of_returns(shop: Shop) -> None:
    events = ["order.units_cancelled", "return.received", "refund.created"]
    status, created = shop.call("POST", "/api/webhooks", {"url": "https://hooks.example.com/returns", "events": events}, as_="admin", service="notification")
    assert (status, created["events"]) == (201, events), created
    order_id = shop.paid_and_shipped()
    other = shop.worked_example()
    assert shop.cancel(other, {"lines": [{"product_id": 2, "quantity": 1}]})[0] == 200
    assert shop.create_return(order_id, {"lines": [{"product_id": 2, "quantity": 1}]})[0] == 201
    kinds = {n.notification_type: n for n in shop.engine.notifications()}
    assert {"units_cancelled", "return_received", "refund_created"} <= set(kinds)
    deliveries = shop.engine.deliveries([kinds[k].notification_id for k in ("units_cancelled", "return_received", "refund_created")])
    assert [d.webhook_id for d in deliveries if d.channel == "webhook"] == [created["webhook_id"]] * 3


def test_returns_are_listed_a_page_at_a_time(shop: Shop) -> None:
    order_id = shop.paid_and_shipped()
    made = [shop.engine.create_return(order_id, [(2, 1)]).returned for _ in range(3)]
    ids = [r.return_id for r in made if r is not None]
    headers = {"Authorization": f"Bearer {shop.tokens['support']}"}
    first = shop.clients["order"].get("/api/returns?limit=2", headers=headers)
    assert first.status_code == 200, first.get_json()
    assert [r["return_id"] for r in first.get_json()["returns"]] == ids[:2]
    link = first.headers["Link"]
    assert f"after={ids[1]}" in link and 'rel="next"' in link
    rest = shop.clients["order"].get(f"/api/returns?limit=2&after={ids[1]}", headers=headers)
    assert [r["return_id"] for r in rest.get_json()["returns"]] == ids[2:]
    assert "Link" not in rest.headers
    for query in ("?limit=0", "?limit=501", "?after=x", "?limit=two", "?page=2"):
        refused(shop.call("GET", f"/api/returns{query}"), 400, "invalid_request")
