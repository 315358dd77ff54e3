"""Order service (port 5001): place, read and cancel orders (whole, or some
of their units); record their payments (authorize, capture, void), shipments,
returns and refunds.

Placing an order is one shopcore checkout — price, check and take stock, award
loyalty points, log the confirmation — in one transaction, not HTTP calls
between services. An ``Idempotency-Key`` header makes a retry safe. In enforced
mode a customer orders, reads and cancels only their own orders; another
customer's order answers 404 ``order_not_found`` exactly like a missing one.

Access: reading and cancelling an order are ``@requires(…, owner=ORDER)``
(the order is looked up by the decorator, once per request). Placing an order
and searching orders check in the view, because the customer they are about is
named by the body or the query string (or, for a customer, by their session):
:func:`ordering_customer` after the body is read, :func:`search_orders` after
its ``customer_id`` is read, as the routes always did.

Payments and shipments are recorded by the shop's trusted side, never by a
customer (not even the order's own): ``@requires("manage_payments",
in_legacy=True)`` (support, admin) and ``@requires("fulfill_orders",
in_legacy=True)`` (inventory, admin), checked in both access modes as the
administration routes are, before the order is looked up (so a refused request
learns and changes nothing). Goodwill refunds are ``manage_payments`` too;
receiving, rejecting and listing returns are ``@requires("manage_returns",
in_legacy=True)`` (support, admin).

Two routes the original backend did not have go further in legacy mode:
cancelling *some* units (``POST /api/orders/<id>/cancel`` with ``lines``)
needs the order's customer or staff in both modes (checked in the view once
the body says it is a partial cancel; without ``lines`` the route is the
original whole cancel, open in legacy mode as before); and creating a return
(``POST /api/orders/<id>/returns``) checks in the view who asks, in both
modes, before the body is read (:func:`returner`): staff who manage returns
create it received at once, the order's own customer asks for it
(``requested``, within ``SHOPCORE_RETURN_WINDOW_DAYS`` of the shipment), and
another customer gets the order's 404.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Literal

from flask import Blueprint, Flask, Response, g, jsonify, request

import shopcore
from shopcore_services.config import resolve
from shopcore_services.http import (
    ApiError,
    Owner,
    body_id,
    caller,
    client_address,
    coupon_and_points,
    create_service,
    current_engine,
    current_service,
    field,
    json_body,
    keep_original_status,
    page_response,
    path_id,
    query_int,
    query_text,
    quote_json,
    require,
    require_before_lookup,
    require_known,
    require_owner,
    requires,
)
from shopcore_services.metrics import time_checkout
from shopcore_services.settings import AuthMode, Settings

bp = Blueprint("order", __name__)


def order_json(order: shopcore.Order) -> dict[str, Any]:
    """The original response shape, plus status and the priced breakdown (with
    the coupon and points, per order and per line, when the order used them),
    and what was paid, shipped, cancelled, returned and refunded:
    ``payment_status``, ``fulfillment_status``, ``amount_paid``,
    ``amount_authorized``, ``amount_refunded``, ``amount_due`` (what the kept
    units cost), ``balance_due`` (what they still owe), ``refund_due``, the
    ``payments``, ``fulfillments``, ``returns`` and ``refunds``, and per line
    its ``tax`` and ``fulfilled_quantity``, ``cancelled_quantity``,
    ``returned_quantity`` and ``refunded_amount``."""
    body = order.to_dict()
    body["payments"] = [payment_json(p) for p in order.payments]
    body["fulfillments"] = [fulfillment_json(f) for f in order.fulfillments]
    body["returns"] = [return_json(r) for r in order.returns]
    body["refunds"] = [refund_json(r) for r in order.refunds]
    deductions = order.coupon_code is not None or order.points_redeemed > 0
    if not deductions:
        for key in ("coupon_code", "coupon_discount", "points_redeemed", "points_value"):
            del body[key]
    body["products"] = [
        {
            "product_id": item.product_id,
            "quantity": item.quantity,
            "unit_price": item.unit_price,
            "discount": item.discount,
            "line_total": item.line_total,
            **({"coupon_share": item.coupon_share, "points_share": item.points_share, "points_redeemed": item.points_redeemed} if deductions else {}),
            "tax": item.tax,
            "fulfilled_quantity": item.fulfilled_quantity,
            "cancelled_quantity": item.cancelled_quantity,
            "returned_quantity": item.returned_quantity,
            "refunded_amount": item.refunded_amount,
        }
        for item in order.products
    ]
    return body


def payment_json(payment: shopcore.Payment) -> dict[str, Any]:
    """One payment: ``status`` is ``authorized``, ``captured`` or ``voided``."""
    return {
        "payment_id": payment.payment_id,
        "order_id": payment.order_id,
        "status": payment.status,
        "amount": payment.amount,
        "amount_captured": payment.amount_captured,
        "amount_released": payment.amount_released,
        "amount_refunded": payment.amount_refunded,
        "method": payment.method,
        "reference": payment.reference,
        "created_at": payment.created_at,
        "updated_at": payment.updated_at,
    }


def fulfillment_json(fulfillment: shopcore.Fulfillment) -> dict[str, Any]:
    """One shipment with its lines."""
    return {
        "fulfillment_id": fulfillment.fulfillment_id,
        "order_id": fulfillment.order_id,
        "lines": [{"product_id": line.product_id, "quantity": line.quantity} for line in fulfillment.lines],
        "carrier": fulfillment.carrier,
        "tracking_number": fulfillment.tracking_number,
        "created_at": fulfillment.created_at,
    }


def return_json(returned: shopcore.Return) -> dict[str, Any]:
    """One return: ``status`` is ``requested``, ``received`` or ``rejected``."""
    return {
        "return_id": returned.return_id,
        "order_id": returned.order_id,
        "status": returned.status,
        "lines": [{"product_id": line.product_id, "quantity": line.quantity} for line in returned.lines],
        "restock": returned.restock,
        "reason": returned.reason,
        "requested_by_customer": returned.requested_by_customer,
        "created_at": returned.created_at,
        "updated_at": returned.updated_at,
    }


def refund_json(refund: shopcore.Refund) -> dict[str, Any]:
    """One refund: ``kind`` is ``cancellation``, ``return`` or ``goodwill``;
    ``amount`` is money and tax together, ``tax`` its tax part."""
    return {
        "refund_id": refund.refund_id,
        "order_id": refund.order_id,
        "kind": refund.kind,
        "return_id": refund.return_id,
        "amount": refund.amount,
        "tax": refund.tax,
        "points_returned": refund.points_returned,
        "lines": [{"product_id": line.product_id, "quantity": line.quantity, "amount": line.amount, "tax": line.tax} for line in refund.lines],
        "parts": [{"payment_id": part.payment_id, "amount": part.amount} for part in refund.parts],
        "reason": refund.reason,
        "created_at": refund.created_at,
    }


def settlement_json(order: shopcore.Order) -> dict[str, Any]:
    """Where an order stands after a payment, a shipment, a return or a refund."""
    return {
        "order_id": order.order_id,
        "order_status": order.status,
        "payment_status": order.payment_status,
        "fulfillment_status": order.fulfillment_status,
        "total_amount": order.total_amount,
        "amount_paid": order.amount_paid,
        "amount_authorized": order.amount_authorized,
        "amount_refunded": order.amount_refunded,
        "amount_due": order.amount_due,
        "balance_due": order.balance_due,
    }


def payment_answer(outcome: shopcore.PaymentOutcome) -> dict[str, Any]:
    """The answer of a payment, capture or void: the payment and the order's figures."""
    return {"payment": payment_json(outcome.payment), **settlement_json(outcome.order), "replayed": outcome.replayed}


def ordering_customer(body: dict[str, Any]) -> Any:
    """Whose order this is: the body's ``customer_id``; in enforced mode a
    customer may leave it out (their session says), and may name only themselves."""
    actor = require_known("place_order")
    if actor is not None and actor.kind == "customer" and body.get("customer_id") is None:
        return actor.customer_id
    customer_id = field(body, "customer_id")
    if actor is not None:
        require("place_order", body_id(customer_id, "customer_id"))
    return customer_id


def order_not_found() -> ApiError:
    """The answer to an order that does not exist, or that the caller (a
    customer) may not know exists: the original service's 404."""
    return ApiError(404, "order_not_found", "Order not found")


def found_order(order_id: int) -> shopcore.Order:
    """The order (looked up once per request), or the original 404."""
    order: shopcore.Order | None = g.get("order")
    if order is None or order.order_id != order_id:
        try:
            order = current_engine().order(order_id)
        except shopcore.NotFoundError:
            raise order_not_found() from None
        g.order = order
    return order


#: Whose order a per-order route is about: for a customer, another customer's
#: order is 404 like a missing one (see :func:`shopcore_services.http.requires`).
ORDER = Owner(of=lambda order_id: found_order(order_id).customer_id, not_found=order_not_found)


@bp.post("/api/orders/create")
@keep_original_status(400, except_codes=frozenset({"idempotency_conflict", "price_changed"}))
def create_order() -> tuple[Response, int]:
    body = json_body()
    customer_id, products = ordering_customer(body), field(body, "products")
    expected_total = body.get("expected_total")
    if "expected_total" in body and (expected_total is None or isinstance(expected_total, bool)):
        raise ApiError(400, "invalid_request", "expected_total must be an amount")
    coupon_code, redeem_points = coupon_and_points(body)
    started = time.perf_counter()
    try:
        placed = current_engine().checkout(
            customer_id,
            products,
            region=body.get("region"),
            idempotency_key=request.headers.get("Idempotency-Key"),
            expected_total=expected_total,
            coupon_code=coupon_code,
            redeem_points=redeem_points,
            client=client_address(),
        )
    except shopcore.ConflictError as err:
        time_checkout(started, "refused")
        if err.code == "price_changed" and err.quote is not None:
            raise ApiError(409, err.code, err.message, body={"quote": quote_json(err.quote)}) from err
        raise
    except shopcore.ShopError:
        time_checkout(started, "refused")
        raise
    time_checkout(started, "replayed" if placed.replayed else "placed")
    order = placed.order
    response = jsonify(
        {
            "status": "success",
            "order_id": order.order_id,
            "total_amount": order.total_amount,
            "subtotal": order.subtotal,
            "tax": order.tax,
            "points_earned": order.points_earned,
            **(
                {
                    "coupon_code": order.coupon_code,
                    "coupon_discount": order.coupon_discount,
                    "points_redeemed": order.points_redeemed,
                    "points_value": order.points_value,
                }
                if order.coupon_code is not None or order.points_redeemed
                else {}
            ),
            "replayed": placed.replayed,
            # A replay of an order cancelled since says so.
            "order_status": order.status,
        }
    )
    return response, 201


@bp.get("/api/orders")
def search_orders() -> Response:
    """Orders newest first, by ``customer_id`` and/or ``status``, a page at a
    time (``?after=<order_id>&limit=1..500``): staff see anyone's (support,
    inventory or admin), a customer only their own."""
    raw = query_text("customer_id")
    customer_id = None if raw in (None, "") else path_id(raw, "customer")
    actor = require_known("read_order_history", in_legacy=True)
    if actor is not None and actor.kind == "customer" and customer_id is None:
        customer_id = actor.customer_id
    if customer_id is None:
        require("list_orders", in_legacy=True)  # every customer's orders: staff only
    else:
        require("read_order_history", customer_id, in_legacy=True)
    status: Literal["created", "cancelled"] | None
    match query_text("status"):
        case None:
            status = None
        case "created" | "cancelled" as wanted:
            status = wanted
        case _:
            raise ApiError(400, "invalid_request", "status must be created or cancelled")
    limit = query_int("limit")
    orders, after = current_engine().order_page(customer_id=customer_id, status=status, before=query_int("after"), limit=limit)
    return page_response({"orders": [order_json(o) for o in orders]}, after, limit)


@bp.get("/api/orders/<int:order_id>")
@requires("read_order", owner=ORDER)
def get_order(order_id: int) -> Response:
    return jsonify(order_json(found_order(order_id)))


@bp.post("/api/orders/<int:order_id>/cancel")
@requires("cancel_order", owner=ORDER)
def cancel_order(order_id: int) -> Response:
    """Cancels the whole order (no body: the original contract), or with
    ``lines`` only those units (not shipped): each takes its exact share of its
    line, and what was paid beyond what the kept units cost is refunded. A
    partial cancel needs the order's customer or staff in both access modes."""
    body = known_fields(optional_json_body(), frozenset({"lines"}))
    lines = body.get("lines")
    if lines is not None:
        # Legacy mode checked nothing so far: the original contract is the whole cancel.
        require_before_lookup("cancel_order", in_legacy=True)
        require_owner("cancel_order", found_order(order_id).customer_id, order_not_found, in_legacy=True)
        lines = unit_lines(lines)
    cancelled = current_engine().cancel(order_id, lines)
    return jsonify(
        {
            "status": "success",
            "order_id": cancelled.order.order_id,
            "order_status": cancelled.order.status,
            "points_returned": cancelled.points_returned,
            "points_revoked": cancelled.points_revoked,
            "points_balance": cancelled.points_balance,
            "refund_due": cancelled.refund_due,
            "message": cancelled.notice.message,
            "cancelled_lines": [
                {"product_id": line.product_id, "quantity": line.quantity, "amount": line.amount, "tax": line.tax, "points": line.points}
                for line in cancelled.cancelled_lines
            ],
            "refund": None if cancelled.refund is None else refund_json(cancelled.refund),
        }
    )


def optional_json_body() -> dict[str, Any]:
    """The body as a JSON object, or ``{}`` when there is none."""
    if not request.get_data(cache=True) and not request.content_length:
        return {}
    return json_body()


def known_fields(body: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """The body, refusing unknown fields (400 ``invalid_request``)."""
    for name in body:
        if name not in allowed:
            raise ApiError(400, "invalid_request", f"unknown field {name[:40]!r}")
    return body


def unit_lines(value: Any) -> list[dict[str, Any]]:
    """The ``lines`` of a partial cancel or a return: a list of objects with
    ``product_id`` and ``quantity`` and nothing else (400 ``invalid_request``);
    the engine then checks the values (``invalid_quantity``, ``invalid_id``,
    an empty list)."""
    if not isinstance(value, list):
        raise ApiError(400, "invalid_request", "lines must be a list of {product_id, quantity}")
    for index, line in enumerate(value):
        if not isinstance(line, dict):
            raise ApiError(400, "invalid_request", f"lines[{index}] must be an object with product_id and quantity")
        for name in line:
            if name not in ("product_id", "quantity"):
                raise ApiError(400, "invalid_request", f"lines[{index}] has an unknown field {name[:40]!r}")
    return value


def optional_flag(body: dict[str, Any], name: str) -> bool | None:
    """An optional ``true``/``false`` field (``None`` when absent or null)."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, "invalid_request", f"{name} must be true or false")
    return value


def optional_text(body: dict[str, Any], name: str) -> str | None:
    """An optional string field (``None`` when absent or null); the engine checks its length and characters."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "invalid_request", f"{name} must be a string")
    return value


def amount_field(value: Any, name: str = "amount") -> Decimal | int:
    """An amount of money as an exact JSON number (``1000.00``): a string is
    not money (400 ``invalid_money``), a bool, a list or an object is 400
    ``invalid_request``; the core then refuses what is not money (more than two
    decimals, too large: ``invalid_money``) and zero or less (``invalid_amount``)."""
    if isinstance(value, str):
        raise ApiError(400, "invalid_money", f"{name} must be a JSON number such as 1000.00, not a string")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ApiError(400, "invalid_request", f"{name} must be a JSON number such as 1000.00")
    return value


PAYMENT_FIELDS = frozenset({"amount", "method", "reference", "capture"})


@bp.post("/api/orders/<int:order_id>/payments")
@requires("manage_payments", in_legacy=True)
def record_payment(order_id: int) -> tuple[Response, int]:
    """Records a payment: captured at once (``capture``, default true) or only
    authorized. The same ``reference`` and amount again answers the first
    payment (200, nothing written); another amount is 409."""
    body = known_fields(json_body(), PAYMENT_FIELDS)
    amount = amount_field(field(body, "amount"))
    capture = body.get("capture")
    if capture is None:
        capture = True
    elif not isinstance(capture, bool):
        raise ApiError(400, "invalid_request", "capture must be true or false")
    outcome = current_engine().record_payment(order_id, amount, field(body, "method"), field(body, "reference"), capture=capture)
    return jsonify(payment_answer(outcome)), 200 if outcome.replayed else 201


@bp.post("/api/orders/<int:order_id>/payments/<int:payment_id>/capture")
@requires("manage_payments", in_legacy=True)
def capture_payment(order_id: int, payment_id: int) -> Response:
    """Captures an authorized payment: all of it, or ``amount`` of it (the rest is released)."""
    body = known_fields(optional_json_body(), frozenset({"amount"}))
    amount = body.get("amount")
    outcome = current_engine().capture_payment(order_id, payment_id, None if amount is None else amount_field(amount))
    return jsonify(payment_answer(outcome))


@bp.post("/api/orders/<int:order_id>/payments/<int:payment_id>/void")
@requires("manage_payments", in_legacy=True)
def void_payment(order_id: int, payment_id: int) -> Response:
    """Voids an authorized payment."""
    known_fields(optional_json_body(), frozenset())
    return jsonify(payment_answer(current_engine().void_payment(order_id, payment_id)))


FULFILLMENT_FIELDS = frozenset({"lines", "carrier", "tracking_number"})


@bp.post("/api/orders/<int:order_id>/fulfillments")
@requires("fulfill_orders", in_legacy=True)
def fulfill(order_id: int) -> tuple[Response, int]:
    """Records a shipment: ``lines`` of ``{product_id, quantity}``, or
    without ``lines`` everything not yet shipped. Payment is not required first."""
    body = known_fields(optional_json_body(), FULFILLMENT_FIELDS)
    lines = body.get("lines")
    if lines is not None and not isinstance(lines, list):
        raise ApiError(400, "invalid_request", "lines must be a list of {product_id, quantity}")
    shipped = current_engine().fulfill(order_id, lines, carrier=body.get("carrier"), tracking_number=body.get("tracking_number"))
    return jsonify({"fulfillment": fulfillment_json(shipped.fulfillment), **settlement_json(shipped.order)}), 201


def returner(order_id: int) -> Literal["staff", "customer"]:
    """Who asks for a return of ``order_id``, checked in both access modes
    before the body is read: staff who may ``manage_returns`` (support, admin)
    create it received at once; the order's own customer (``request_return``)
    asks for it; anonymous 401, another staff role 403, another customer the
    order's 404 (as if it did not exist)."""
    if caller().kind == "customer":
        require_before_lookup("request_return", in_legacy=True)
        require_owner("request_return", found_order(order_id).customer_id, order_not_found, in_legacy=True)
        return "customer"
    require("manage_returns", in_legacy=True)
    return "staff"


def return_answer(outcome: shopcore.ReturnOutcome) -> dict[str, Any]:
    """The answer of a return, its receipt or rejection, or a refund: the
    return (if any), the refund (or null), the order's figures, and whether
    an ``Idempotency-Key`` replayed an earlier request (nothing written)."""
    body: dict[str, Any] = {}
    if outcome.returned is not None:
        body["return"] = return_json(outcome.returned)
    body["refund"] = None if outcome.refund is None else refund_json(outcome.refund)
    return {**body, **settlement_json(outcome.order), "replayed": outcome.replayed}


@bp.post("/api/orders/<int:order_id>/returns")
def create_return(order_id: int) -> tuple[Response, int]:
    """Creates a return of shipped units: ``lines`` of ``{product_id,
    quantity}``, ``restock`` (default true) and an optional ``reason``. Staff
    (support, admin): received at once, restocked as asked, what was paid for
    the units refunded. The order's customer: ``requested``, within
    ``SHOPCORE_RETURN_WINDOW_DAYS`` of the shipment, until staff receive or
    reject it. An ``Idempotency-Key`` (per order) replays the first return
    (200, nothing written); with another request it is 409
    ``idempotency_conflict``."""
    by = returner(order_id)
    body = known_fields(json_body(), frozenset({"lines", "restock", "reason"}))
    lines = unit_lines(field(body, "lines"))
    restock = optional_flag(body, "restock")
    outcome = current_engine().create_return(
        order_id,
        lines,
        restock=True if restock is None else restock,
        reason=optional_text(body, "reason"),
        by=by,
        window_days=current_service().settings.return_window_days,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return jsonify(return_answer(outcome)), 200 if outcome.replayed else 201


@bp.post("/api/returns/<int:return_id>/receive")
@requires("manage_returns", in_legacy=True)
def receive_return(return_id: int) -> Response:
    """Receives a requested return: its units are released (restocked as
    requested, or as ``restock`` says now) and what was paid for them refunded."""
    body = known_fields(optional_json_body(), frozenset({"restock"}))
    return jsonify(return_answer(current_engine().receive_return(return_id, restock=optional_flag(body, "restock"))))


@bp.post("/api/returns/<int:return_id>/reject")
@requires("manage_returns", in_legacy=True)
def reject_return(return_id: int) -> Response:
    """Rejects a requested return: nothing changes but its status."""
    known_fields(optional_json_body(), frozenset())
    return jsonify(return_answer(current_engine().reject_return(return_id)))


@bp.get("/api/returns")
@requires("manage_returns", in_legacy=True)
def list_returns() -> Response:
    """Returns by id, a page at a time (``?after=``, ``?limit=`` 1–500, a ``Link``
    header while more remain), or only those with ``?status=`` (``requested``,
    ``received``, ``rejected``); another query parameter is 400."""
    for name in request.args:
        if name not in ("status", "after", "limit"):
            raise ApiError(400, "invalid_request", f"unknown query parameter {name[:40]!r}")
    status: Literal["requested", "received", "rejected"] | None
    match query_text("status"):
        case None:
            status = None
        case "requested" | "received" | "rejected" as wanted:
            status = wanted
        case _:
            raise ApiError(400, "invalid_request", "status must be requested, received or rejected")
    limit = query_int("limit")
    returns, after = current_engine().return_page(status=status, after=query_int("after"), limit=limit)
    return page_response({"returns": [return_json(r) for r in returns]}, after, limit)


@bp.post("/api/orders/<int:order_id>/refunds")
@requires("manage_payments", in_legacy=True)
def goodwill_refund(order_id: int) -> tuple[Response, int]:
    """Records a goodwill refund: ``amount`` (an exact JSON number), at most
    what is captured and not yet refunded, and an optional ``reason``. An
    ``Idempotency-Key`` works as for returns (refunds have keys of their own)."""
    body = known_fields(json_body(), frozenset({"amount", "reason"}))
    amount = amount_field(field(body, "amount"))
    outcome = current_engine().refund(order_id, amount, reason=optional_text(body, "reason"), idempotency_key=request.headers.get("Idempotency-Key"))
    return jsonify(return_answer(outcome)), 200 if outcome.replayed else 201


def create_app(engine: shopcore.Engine | None = None, auth: AuthMode | None = None, *, settings: Settings | None = None) -> Flask:
    """The order service over ``engine`` with access ``auth`` (default ``enforced``); without
    arguments, both come from the environment (:func:`shopcore_services.config.configured`).
    ``settings`` default to this process's environment's."""
    engine, auth, settings = resolve(engine, auth, settings)
    app = create_service("order", engine, legacy="status", auth=auth, settings=settings)
    app.register_blueprint(bp)
    return app
