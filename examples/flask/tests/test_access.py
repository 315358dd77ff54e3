"""Access in enforced mode: every route × every kind of caller, on both engines.

Callers: anonymous; customer A on A's own data; customer B on A's data; a
staff key of each role. Each case starts from a fresh engine; a refused request
must answer 401 (anonymous) or 403 — or, for customer B on one of A's orders,
404 exactly like a missing order — and leave everything as it was. Answers
that carry a token or a key are never cached.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

import shopcore
from shopcore_services import SERVICES

ACTORS = ["anonymous", "customer", "other", "support", "inventory", "admin"]
A_PASSWORD, B_PASSWORD = "a-long-password-for-a", "a-long-password-for-b"


@dataclass
class World:
    """A fresh engine with customer A (who has order `order_id`), customer B,
    a key per staff role, and enforced-mode clients."""

    engine: shopcore.Engine
    clients: dict[str, FlaskClient]
    a: int
    b: int
    order_id: int
    tokens: dict[str, str | None]
    revocable_key: int
    #: a notification of A's whose email delivery failed (a dead letter)
    dead_letter: int
    webhook_id: int
    #: an authorization of 10.00 on A's order
    payment_id: int
    #: A's second order (2 mice), paid and shipped, with a return of 1 mouse A asked for
    shipped_order_id: int
    #: that requested return
    return_id: int


@pytest.fixture
def world(engine: shopcore.Engine) -> World:
    a = engine.register(name="Aya", email="aya@example.com", password=A_PASSWORD).customer_id
    b = engine.register(name="Badr", email="badr@example.com", password=B_PASSWORD).customer_id
    order_id = engine.checkout(a, [(2, 3)]).order.order_id
    tokens: dict[str, str | None] = {
        "anonymous": None,
        "customer": engine.login(email="aya@example.com", password=A_PASSWORD).token,
        "other": engine.login(email="badr@example.com", password=B_PASSWORD).token,
    }
    for role in ("support", "inventory", "admin"):
        tokens[role] = engine.create_staff_key(name=f"{role} desk", role=role).key
    revocable = engine.create_staff_key(name="to revoke", role="support").key_id
    engine.create_coupon({"code": "WORLD", "percent_off": 5})
    # Nothing listens on port 9 (discard): every email fails at once and, at one attempt, for good.
    engine.dispatcher(smtp_url="smtp://127.0.0.1:9", max_attempts=1).dispatch_due()
    dead_letter = engine.notifications(order_id=order_id)[0].notification_id
    webhook_id = engine.create_webhook("https://hooks.example.com/shop", ["order.placed"]).webhook.webhook_id
    payment_id = engine.record_payment(order_id, Decimal("10.00"), "card", "pi_world", capture=False).payment.payment_id
    shipped = engine.checkout(a, [(2, 2)]).order.order_id
    engine.record_payment(shipped, Decimal("59.98"), "card", "pi_shipped")
    engine.fulfill(shipped)
    requested = engine.create_return(shipped, [(2, 1)], by="customer").returned
    assert requested is not None
    clients = {name: create(engine, "enforced").test_client() for name, (create, _port) in SERVICES.items()}
    return World(engine, clients, a, b, order_id, tokens, revocable, dead_letter, webhook_id, payment_id, shipped, requested.return_id)


def state(engine: shopcore.Engine) -> Any:
    """Everything a refused request must leave as it was."""
    customers = []
    for customer_id in range(1, 6):
        c = engine.customer(customer_id)
        orders = [o.to_dict() for o in engine.orders_of_customer(customer_id)]  # with payments and shipments
        customers.append((c.to_dict(), orders))
    return (
        [p.to_dict() for p in engine.products(include_retired=True)],
        {p: [r.to_dict() for r in engine.tier_ladder(p)] for p in range(1, 6)},
        [t.to_dict() for t in engine.tax_rates()],
        [c.to_dict() for c in engine.catalog_changes(limit=500)[0]],
        customers,
        [n.to_dict() for n in engine.notifications()],
        [d.to_dict() for d in engine.deliveries([n.notification_id for n in engine.notifications()])],
        [w.to_dict() for w in engine.webhooks()],
        [k.to_dict() for k in engine.staff_keys()],
        engine.coupon("WORLD").to_dict(),
        [r.to_dict() for r in engine.returns()],
    )


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: Callable[[World], str]
    body: Callable[[World], Any] | None
    #: the status per caller, in ACTORS order
    expected: tuple[int, ...]
    name: str


def route(name: str, service: str, method: str, path: Callable[[World], str], body: Callable[[World], Any] | None, *expected: int) -> Route:
    assert len(expected) == len(ACTORS)
    return Route(service, method, path, body, expected, name)


def fixed(text: str) -> Callable[[World], str]:
    return lambda _w: text


CART = [{"product_id": 1, "quantity": 1}]
U, F, N = 401, 403, 404
ROUTES = [
    route("health", "order", "GET", fixed("/health"), None, 200, 200, 200, 200, 200, 200),
    route("live", "inventory", "GET", fixed("/health/live"), None, 200, 200, 200, 200, 200, 200),
    route("ready", "customer", "GET", fixed("/health/ready"), None, 200, 200, 200, 200, 200, 200),
    route("openapi", "pricing", "GET", fixed("/openapi.json"), None, 200, 200, 200, 200, 200, 200),
    route("metrics", "pricing", "GET", fixed("/metrics"), None, U, F, F, 200, 200, 200),
    route("quote", "pricing", "POST", fixed("/api/pricing/calculate"), lambda w: {"products": CART}, 200, 200, 200, 200, 200, 200),
    route(
        "quote with A's points",
        "pricing",
        "POST",
        fixed("/api/pricing/calculate"),
        lambda w: {"products": CART, "customer_id": w.a, "redeem_points": 1},
        U,
        200,
        F,
        200,
        F,
        200,
    ),
    route("audit pricing", "pricing", "GET", fixed("/api/pricing/audit"), None, U, F, F, 200, 200, 200),
    route("create coupon", "pricing", "POST", fixed("/api/pricing/coupons"), lambda w: {"code": "NEW", "percent_off": 5}, U, F, F, F, 201, 201),
    route("read coupon", "pricing", "GET", fixed("/api/pricing/coupons/WORLD"), None, U, F, F, F, 200, 200),
    route("change coupon", "pricing", "PATCH", fixed("/api/pricing/coupons/world"), lambda w: {"active": False}, U, F, F, F, 200, 200),
    route("products", "inventory", "GET", fixed("/api/inventory/products"), None, 200, 200, 200, 200, 200, 200),
    route("retired products", "inventory", "GET", fixed("/api/inventory/products?include_retired=true"), None, U, F, F, 200, 200, 200),
    route("check", "inventory", "GET", fixed("/api/inventory/check/1"), None, 200, 200, 200, 200, 200, 200),
    route(
        "register",
        "customer",
        "POST",
        fixed("/api/customer/register"),
        lambda w: {"name": "New", "email": "new@example.com", "password": "another long one"},
        201,
        201,
        201,
        201,
        201,
        201,
    ),
    route(
        "login", "customer", "POST", fixed("/api/customers/login"), lambda w: {"email": "aya@example.com", "password": A_PASSWORD}, 200, 200, 200, 200, 200, 200
    ),
    route("profile", "customer", "GET", lambda w: f"/api/customers/{w.a}", None, U, 200, F, 200, F, 200),
    route("history", "customer", "GET", lambda w: f"/api/customers/{w.a}/orders", None, U, 200, F, 200, 200, 200),
    route("loyalty", "customer", "PUT", lambda w: f"/api/customers/{w.a}/loyalty", lambda w: {"points": 5}, U, F, F, 200, F, 200),
    route(
        "password",
        "customer",
        "PUT",
        lambda w: f"/api/customers/{w.a}/password",
        lambda w: {"current_password": A_PASSWORD, "new_password": "a brand new password"},
        U,
        200,
        F,
        F,
        F,
        200,
    ),
    route("update profile", "customer", "PATCH", lambda w: f"/api/customers/{w.a}", lambda w: {"name": "Aya B."}, U, 200, F, F, F, 200),
    route("list customers", "customer", "GET", fixed("/api/customers"), None, U, F, F, 200, F, 200),
    route("logout", "customer", "POST", fixed("/api/customers/logout"), None, U, 200, 200, F, F, F),
    route("create product", "inventory", "POST", fixed("/api/inventory/products"), lambda w: {"product_name": "Dock", "unit_price": 10}, U, F, F, F, 201, 201),
    route("update product", "inventory", "PATCH", fixed("/api/inventory/products/1"), lambda w: {"unit_price": 10}, U, F, F, F, 200, 200),
    route("retire product", "inventory", "POST", fixed("/api/inventory/products/2/retire"), None, U, F, F, F, 200, 200),
    route("restore product", "inventory", "POST", fixed("/api/inventory/products/2/restore"), None, U, F, F, F, 200, 200),
    route("change log", "inventory", "GET", fixed("/api/inventory/changes"), None, U, F, F, 200, 200, 200),
    route("read ladder", "pricing", "GET", fixed("/api/pricing/rules/1"), None, 200, 200, 200, 200, 200, 200),
    route(
        "replace ladder",
        "pricing",
        "PUT",
        fixed("/api/pricing/rules/1"),
        lambda w: {"tiers": [{"min_quantity": 3, "discount_percentage": 3}]},
        U,
        F,
        F,
        F,
        200,
        200,
    ),
    route("clear ladder", "pricing", "DELETE", fixed("/api/pricing/rules/1"), None, U, F, F, F, 200, 200),
    route("tax rates", "pricing", "GET", fixed("/api/pricing/tax-rates"), None, 200, 200, 200, 200, 200, 200),
    route("set tax rate", "pricing", "PUT", fixed("/api/pricing/tax-rates/Aswan"), lambda w: {"tax_rate": 9}, U, F, F, F, 200, 200),
    route("remove tax region", "pricing", "DELETE", fixed("/api/pricing/tax-rates/Giza"), None, U, F, F, F, 200, 200),
    route("stock", "inventory", "POST", fixed("/api/inventory/update"), lambda w: {"product_id": 1, "stock_change": 1}, U, F, F, F, 200, 200),
    route("order for A", "order", "POST", fixed("/api/orders/create"), lambda w: {"customer_id": w.a, "products": CART}, U, 201, F, F, F, 201),
    route("all orders", "order", "GET", fixed("/api/orders"), None, U, 200, 200, 200, 200, 200),
    route("A's orders", "order", "GET", lambda w: f"/api/orders?customer_id={w.a}", None, U, 200, F, 200, 200, 200),
    route("read order", "order", "GET", lambda w: f"/api/orders/{w.order_id}", None, U, 200, N, 200, 200, 200),
    route("cancel order", "order", "POST", lambda w: f"/api/orders/{w.order_id}/cancel", None, U, 200, N, 200, F, 200),
    # Cancelling some units: the order's customer or staff who cancel orders (a token in both modes).
    route(
        "cancel units",
        "order",
        "POST",
        lambda w: f"/api/orders/{w.order_id}/cancel",
        lambda w: {"lines": [{"product_id": 2, "quantity": 1}]},
        U,
        200,
        N,
        200,
        F,
        200,
    ),
    # Returns: the order's customer asks (requested), staff who manage returns create them received.
    route(
        "create return",
        "order",
        "POST",
        lambda w: f"/api/orders/{w.shipped_order_id}/returns",
        lambda w: {"lines": [{"product_id": 2, "quantity": 1}]},
        U,
        201,
        N,
        201,
        F,
        201,
    ),
    route("receive return", "order", "POST", lambda w: f"/api/returns/{w.return_id}/receive", None, U, F, F, 200, F, 200),
    route("reject return", "order", "POST", lambda w: f"/api/returns/{w.return_id}/reject", None, U, F, F, 200, F, 200),
    route("list returns", "order", "GET", fixed("/api/returns?status=requested"), None, U, F, F, 200, F, 200),
    route(
        "refund order", "order", "POST", lambda w: f"/api/orders/{w.shipped_order_id}/refunds", lambda w: {"amount": 1, "reason": "sorry"}, U, F, F, 201, F, 201
    ),
    # Payments and shipments: staff only (a customer may not, even on their own order), in both modes.
    route(
        "record payment",
        "order",
        "POST",
        lambda w: f"/api/orders/{w.order_id}/payments",
        lambda w: {"amount": 1, "method": "card", "reference": "pi_matrix"},
        U,
        F,
        F,
        201,
        F,
        201,
    ),
    route("capture payment", "order", "POST", lambda w: f"/api/orders/{w.order_id}/payments/{w.payment_id}/capture", None, U, F, F, 200, F, 200),
    route("void payment", "order", "POST", lambda w: f"/api/orders/{w.order_id}/payments/{w.payment_id}/void", None, U, F, F, 200, F, 200),
    route(
        "fulfill order",
        "order",
        "POST",
        lambda w: f"/api/orders/{w.order_id}/fulfillments",
        lambda w: {"lines": [{"product_id": 2, "quantity": 1}], "carrier": "Aramex"},
        U,
        F,
        F,
        F,
        201,
        201,
    ),
    route("A's notifications", "notification", "GET", lambda w: f"/api/notifications?customer_id={w.a}", None, U, 200, F, 200, F, 200),
    route("all notifications", "notification", "GET", fixed("/api/notifications"), None, U, 200, 200, 200, F, 200),
    route("resend", "notification", "POST", fixed("/api/notifications/send"), lambda w: {"order_id": w.order_id, "customer_id": w.a}, U, F, F, 200, F, 200),
    route("pending deliveries", "notification", "GET", fixed("/api/notifications?status=pending"), None, U, F, F, 200, F, 200),
    route("retry dead letter", "notification", "POST", lambda w: f"/api/notifications/{w.dead_letter}/retry", None, U, F, F, 200, F, 200),
    route(
        "create webhook",
        "notification",
        "POST",
        fixed("/api/webhooks"),
        lambda w: {"url": "https://hooks.example.com/new", "events": ["order.cancelled"]},
        U,
        F,
        F,
        F,
        F,
        201,
    ),
    route("list webhooks", "notification", "GET", fixed("/api/webhooks"), None, U, F, F, F, F, 200),
    route("delete webhook", "notification", "DELETE", lambda w: f"/api/webhooks/{w.webhook_id}", None, U, F, F, F, F, 200),
    route("create key", "customer", "POST", fixed("/api/staff/keys"), lambda w: {"name": "n", "role": "support"}, U, F, F, F, F, 201),
    route("list keys", "customer", "GET", fixed("/api/staff/keys"), None, U, F, F, F, F, 200),
    route("revoke key", "customer", "DELETE", lambda w: f"/api/staff/keys/{w.revocable_key}", None, U, F, F, F, F, 200),
]


def call(world: World, r: Route, actor: str) -> tuple[int, Any]:
    token = world.tokens[actor]
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    client = world.clients[r.service]
    body = None if r.body is None else r.body(world)
    response = client.open(r.path(world), method=r.method, json=body, headers=headers)
    if response.mimetype != "application/json":  # /metrics: Prometheus text
        return response.status_code, response.get_data(as_text=True)
    return response.status_code, json.loads(response.get_data(as_text=True), parse_float=Decimal)


@pytest.mark.parametrize("r", ROUTES, ids=[r.name for r in ROUTES])
@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_for_every_caller(world: World, r: Route, actor: str) -> None:
    expected = r.expected[ACTORS.index(actor)]
    before = state(world.engine)
    status, body = call(world, r, actor)
    assert status == expected, (r.name, actor, body)
    if expected in (U, F, N):
        assert body["code"] == {U: "unauthenticated", F: "forbidden", N: "order_not_found"}[expected], body
        assert state(world.engine) == before, f"{r.name} refused for {actor} changed something"


#: Every route about one order: method and path with ``{}`` for the order id.
PER_ORDER_ROUTES = {
    "read order": ("GET", "/api/orders/{}"),
    "cancel order": ("POST", "/api/orders/{}/cancel"),
    "record payment": ("POST", "/api/orders/{}/payments"),
    "capture payment": ("POST", "/api/orders/{}/payments/<int:payment_id>/capture"),
    "void payment": ("POST", "/api/orders/{}/payments/<int:payment_id>/void"),
    "fulfill order": ("POST", "/api/orders/{}/fulfillments"),
    "create return": ("POST", "/api/orders/{}/returns"),
    "refund order": ("POST", "/api/orders/{}/refunds"),
}
#: Of those, the routes a customer may use on their own orders (the rest are staff only).
CUSTOMER_ORDER_ROUTES = ["read order", "cancel order", "cancel units", "create return"]
#: The routes of returns and refunds not about one order: staff only, in both modes.
RETURN_ROUTES = ["receive return", "reject return", "list returns"]


def test_every_per_order_route_is_checked(world: World) -> None:
    """A route that a later change adds about one order joins the test below."""
    app = world.clients["order"].application
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if "<int:order_id>" in rule.rule
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert rules == {(method, path.format("<int:order_id>")) for method, path in PER_ORDER_ROUTES.values()}
    for name, (method, path) in PER_ORDER_ROUTES.items():
        r = next(r for r in ROUTES if r.name == name)
        assert (r.method, r.path(world)) in {
            (method, path.format(order_id).replace("<int:payment_id>", str(world.payment_id))) for order_id in (world.order_id, world.shipped_order_id)
        }


@pytest.mark.parametrize("name", CUSTOMER_ORDER_ROUTES)
def test_another_customers_order_answers_like_a_missing_one(world: World, name: str) -> None:
    """A customer cannot tell another customer's order from one that does not
    exist (so cannot count everyone's orders); a role without the right gets
    403 either way; staff with it see the order."""
    r = next(r for r in ROUTES if r.name == name)
    method = r.method
    own = world.shipped_order_id if name == "create return" else world.order_id
    missing = world.engine.checkout(world.a, [(2, 1)]).order.order_id + 1000

    def ask(order_id: int, actor: str) -> tuple[int, Any]:
        path = r.path(world).replace(f"/{own}/", f"/{order_id}/").replace(f"/{own}", f"/{order_id}")
        return call(world, route(name, "order", method, fixed(path), r.body, *[0] * 6), actor)

    before = state(world.engine)
    theirs = ask(own, "other")
    assert theirs == ask(missing, "other")
    assert theirs == (404, {"code": "order_not_found", "message": "Order not found", "status": "error"})
    if name != "read order":  # a role without the right: 403 either way
        assert ask(own, "inventory")[0] == ask(missing, "inventory")[0] == 403
    else:  # every staff role reads orders (inventory ships them)
        assert (ask(own, "inventory")[0], ask(missing, "inventory")[0]) == (200, 404)
    assert state(world.engine) == before
    assert ask(own, "support")[0] in (200, 201)


@pytest.mark.parametrize("name", sorted(set(PER_ORDER_ROUTES) - set(CUSTOMER_ORDER_ROUTES)))
def test_staff_only_order_routes_refuse_every_customer_alike(world: World, name: str) -> None:
    """Payments and shipments are the shop's: a customer gets 403 on their own
    order, another's and a missing one alike (so learns nothing of what exists)."""
    method, path = PER_ORDER_ROUTES[name]
    missing = world.engine.checkout(world.a, [(2, 1)]).order.order_id + 1000
    before = state(world.engine)
    for actor in ("customer", "other"):
        for order_id in (world.order_id, missing):
            url = path.format(order_id).replace("<int:payment_id>", str(world.payment_id))
            status, body = call(world, route(name, "order", method, fixed(url), None, *[0] * 6), actor)
            assert (status, body["code"]) == (403, "forbidden"), (actor, order_id, body)
    assert state(world.engine) == before


@pytest.mark.parametrize("name", sorted(set(PER_ORDER_ROUTES) - set(CUSTOMER_ORDER_ROUTES)) + RETURN_ROUTES)
def test_payments_shipments_returns_and_refunds_need_a_token_in_legacy_mode_too(world: World, name: str) -> None:
    r = next(r for r in ROUTES if r.name == name)
    client = SERVICES["order"][0](world.engine, "legacy").test_client()
    before = state(world.engine)
    for actor, expected in [("anonymous", (401, "unauthenticated")), ("customer", (403, "forbidden")), ("other", (403, "forbidden"))]:
        token = world.tokens[actor]
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = client.open(r.path(world), method=r.method, json=None if r.body is None else r.body(world), headers=headers)
        assert (response.status_code, response.get_json()["code"]) == expected, (actor, response.get_json())
    assert state(world.engine) == before


@pytest.mark.parametrize("name", ["cancel units", "create return"])
def test_cancelling_units_and_returns_need_the_orders_customer_or_staff_in_legacy_mode_too(world: World, name: str) -> None:
    """Neither is part of the original contract: legacy mode checks them as
    enforced mode does (the whole cancel without a body stays open there)."""
    r = next(r for r in ROUTES if r.name == name)
    client = SERVICES["order"][0](world.engine, "legacy").test_client()
    before = state(world.engine)
    for actor, expected in [("anonymous", (401, "unauthenticated")), ("other", (404, "order_not_found")), ("inventory", (403, "forbidden"))]:
        token = world.tokens[actor]
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = client.open(r.path(world), method=r.method, json=None if r.body is None else r.body(world), headers=headers)
        assert (response.status_code, response.get_json()["code"]) == expected, (actor, response.get_json())
    assert state(world.engine) == before
    own = client.open(
        r.path(world), method=r.method, json=None if r.body is None else r.body(world), headers={"Authorization": f"Bearer {world.tokens['customer']}"}
    )
    assert own.status_code in (200, 201), own.get_json()
    # The whole cancel keeps the original open contract.
    whole = client.post(f"/api/orders/{world.engine.checkout(world.a, [(2, 1)]).order.order_id}/cancel")
    assert (whole.status_code, whole.get_json()["order_status"]) == (200, "cancelled")


#: A secret as the services hand them out: a session token, a staff key, a webhook signing secret.
SECRET = re.compile(r"(sct|sck|whsec)_[A-Za-z0-9+/=_-]{16,}")


def carries_a_secret(body: Any) -> bool:
    if isinstance(body, dict):
        return any(carries_a_secret(v) for v in body.values())
    if isinstance(body, list):
        return any(carries_a_secret(v) for v in body)
    return isinstance(body, str) and SECRET.fullmatch(body) is not None


def test_every_answer_with_a_token_or_key_is_no_store(world: World) -> None:
    """Over every route and caller of the matrix: an answer that carries a
    session token, a staff key or a signing secret is ``Cache-Control: no-store``."""
    with_secrets = set()
    for r in ROUTES:
        for actor in ACTORS:
            token = world.tokens[actor]
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            body = None if r.body is None else r.body(world)
            response = world.clients[r.service].open(r.path(world), method=r.method, json=body, headers=headers)
            if response.mimetype == "application/json" and carries_a_secret(response.get_json()):
                with_secrets.add(r.name)
                assert response.headers.get("Cache-Control") == "no-store", (r.name, actor)
    # The routes that hand out secrets, all of them seen.
    assert with_secrets == {"login", "create key", "create webhook"}


def test_a_customer_orders_for_themselves_by_leaving_out_the_customer(world: World) -> None:
    for actor, customer in [("customer", world.a), ("other", world.b)]:
        status, body = call(world, route("", "order", "POST", fixed("/api/orders/create"), lambda w: {"products": CART}, *[0] * 6), actor)
        assert status == 201, body
        assert world.engine.order(body["order_id"]).customer_id == customer
    # Staff must say for whom.
    status, body = call(world, route("", "order", "POST", fixed("/api/orders/create"), lambda w: {"products": CART}, *[0] * 6), "admin")
    assert (status, body["code"]) == (400, "invalid_request")


def test_a_customer_sees_only_their_own_notifications(world: World) -> None:
    every = next(r for r in ROUTES if r.name == "all notifications")
    _, mine = call(world, every, "customer")
    _, theirs = call(world, every, "other")
    assert {n["customer_id"] for n in mine["notifications"]} == {world.a}
    assert theirs["notifications"] == []


def test_bad_tokens_are_401_with_a_bearer_challenge(world: World) -> None:
    client = world.clients["customer"]
    for header in ["Bearer sct_" + "0" * 64, "Bearer short", "Basic YWxhZGRpbjpvcGVu", "Bearer "]:
        response = client.get(f"/api/customers/{world.a}", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["code"] == "unauthenticated"


def test_logout_and_password_change_end_sessions(world: World) -> None:
    client = world.clients["customer"]
    a_token = world.tokens["customer"]
    second = world.engine.login(email="aya@example.com", password=A_PASSWORD).token
    as_a = {"Authorization": f"Bearer {a_token}"}
    changed = client.put(f"/api/customers/{world.a}/password", headers=as_a, json={"current_password": A_PASSWORD, "new_password": "a brand new password"})
    assert changed.status_code == 200
    # The session that asked still works; the other one ended.
    assert client.get(f"/api/customers/{world.a}", headers=as_a).status_code == 200
    assert client.get(f"/api/customers/{world.a}", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    wrong = client.put(f"/api/customers/{world.a}/password", headers=as_a, json={"current_password": "not the password", "new_password": "whatever else"})
    assert wrong.status_code == 401
    assert client.post("/api/customers/logout", headers=as_a).status_code == 200
    assert client.get(f"/api/customers/{world.a}", headers=as_a).status_code == 401


def test_login_answers_a_token_that_works_on_every_service(world: World) -> None:
    response = world.clients["customer"].post("/api/customers/login", json={"email": "badr@example.com", "password": B_PASSWORD})
    session = response.get_json()
    assert session["customer_id"] == world.b and session["token"].startswith("sct_")
    assert session["expires_at"].endswith("Z")
    headers = {"Authorization": f"Bearer {session['token']}"}
    assert world.clients["customer"].get(f"/api/customers/{world.b}/orders", headers=headers).status_code == 200
    assert world.clients["notification"].get("/api/notifications", headers=headers).status_code == 200


def test_retired_products_are_for_staff_in_both_modes(engine: shopcore.Engine) -> None:
    """``include_retired=true`` was never part of the original contract, so
    legacy mode checks it too (as the change log); the plain list stays open."""
    engine.retire_product(2)
    engine.register(name="Aya", email="aya@example.com", password=A_PASSWORD)
    session = engine.login(email="aya@example.com", password=A_PASSWORD).token
    key = engine.create_staff_key(name="help desk", role="support").key
    for mode in ("enforced", "legacy"):
        client = SERVICES["inventory"][0](engine, mode).test_client()
        plain = client.get("/api/inventory/products")
        assert plain.status_code == 200 and 2 not in [p["product_id"] for p in plain.get_json()]
        anonymous = client.get("/api/inventory/products?include_retired=true")
        assert (anonymous.status_code, anonymous.get_json()["code"]) == (401, "unauthenticated"), mode
        customer = client.get("/api/inventory/products?include_retired=true", headers={"Authorization": f"Bearer {session}"})
        assert (customer.status_code, customer.get_json()["code"]) == (403, "forbidden"), mode
        staff = client.get("/api/inventory/products?include_retired=true", headers={"Authorization": f"Bearer {key}"})
        assert staff.status_code == 200 and 2 in [p["product_id"] for p in staff.get_json()], mode


def test_a_retired_product_checked_by_id_answers_like_a_missing_one_except_to_staff(engine: shopcore.Engine) -> None:
    """Walking ids through the original ``check`` route must not list what the
    listing keeps for staff."""
    engine.retire_product(2)
    engine.register(name="Ayat", email="ayat@example.com", password=A_PASSWORD)
    session = engine.login(email="ayat@example.com", password=A_PASSWORD).token
    key = engine.create_staff_key(name="stock room", role="inventory").key
    for mode in ("enforced", "legacy"):
        client = SERVICES["inventory"][0](engine, mode).test_client()
        missing = client.get("/api/inventory/check/999")
        for headers in ({}, {"Authorization": f"Bearer {session}"}):
            retired = client.get("/api/inventory/check/2", headers=headers)
            assert (retired.status_code, retired.get_json()) == (404, missing.get_json()), (mode, headers)
        staff = client.get("/api/inventory/check/2", headers={"Authorization": f"Bearer {key}"})
        assert staff.status_code == 200 and staff.get_json()["retired"] is True, mode
        assert client.get("/api/inventory/check/1").status_code == 200
