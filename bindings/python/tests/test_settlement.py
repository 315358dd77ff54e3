"""After the order: payments (authorize, capture, void) and shipments, over the in-memory engine."""

from __future__ import annotations

from decimal import Decimal

import pytest

import shopcore
from shopcore import ConflictError, NotFoundError, ValidationError


@pytest.fixture
def engine() -> shopcore.Engine:
    return shopcore.Engine.in_memory()


def worked_example(engine: shopcore.Engine) -> int:
    """Ahmed's order of 1 Laptop and 10 Mice in Cairo: 1430.59."""
    order = engine.checkout(1, [(1, 1), (2, 10)]).order
    assert order.total_amount == Decimal("1430.59")
    return order.order_id


def test_a_new_order_is_unpaid_and_unfulfilled(engine: shopcore.Engine) -> None:
    order = engine.order(worked_example(engine))
    assert (order.payment_status, order.fulfillment_status) == ("unpaid", "unfulfilled")
    assert (order.amount_paid, order.amount_authorized, order.balance_due, order.refund_due) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("1430.59"),
        Decimal("0.00"),
    )
    assert order.payments == [] and order.fulfillments == []
    assert [item.fulfilled_quantity for item in order.products] == [0, 0]
    body = order.to_dict()
    assert body["payment_status"] == "unpaid" and body["products"][0]["fulfilled_quantity"] == 0


def test_the_walk_through_authorize_capture_pay_and_ship_in_two_parts(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    held = engine.record_payment(order_id, Decimal("1430.59"), "card", "pi_auth", capture=False)
    assert isinstance(held, shopcore.PaymentOutcome) and not held.replayed
    assert (held.payment.status, held.payment.amount, held.payment.amount_captured) == ("authorized", Decimal("1430.59"), Decimal("0.00"))
    assert held.order.payment_status == "authorized" and held.order.amount_authorized == Decimal("1430.59")
    assert held.notices == []

    captured = engine.capture_payment(order_id, held.payment.payment_id, Decimal("1000.00"))
    assert (captured.payment.status, captured.payment.amount_captured) == ("captured", Decimal("1000.00"))
    assert captured.order.payment_status == "partially_paid"
    assert (captured.order.amount_paid, captured.order.amount_authorized, captured.order.balance_due) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("430.59"),
    )
    assert [n.notification_type for n in captured.notices] == ["payment_captured"]

    rest = engine.record_payment(order_id, Decimal("430.59"), "card", "pi_rest")
    assert rest.payment.status == "captured" and rest.order.payment_status == "paid"
    assert rest.order.balance_due == Decimal("0.00")
    assert sorted(n.notification_type for n in rest.notices) == ["order_paid", "payment_captured"]

    first = engine.fulfill(order_id, [(2, 4)], carrier="Aramex", tracking_number="AX123")
    assert isinstance(first, shopcore.FulfilledOrder)
    assert [(line.product_id, line.quantity) for line in first.fulfillment.lines] == [(2, 4)]
    assert (first.fulfillment.carrier, first.fulfillment.tracking_number) == ("Aramex", "AX123")
    assert first.order.fulfillment_status == "partially_fulfilled"
    assert [n.notification_type for n in first.notices] == ["fulfillment_created"]

    last = engine.fulfill(order_id)
    assert [(line.product_id, line.quantity) for line in last.fulfillment.lines] == [(1, 1), (2, 6)]
    assert last.fulfillment.carrier is None and last.fulfillment.tracking_number is None
    assert last.order.fulfillment_status == "fulfilled"
    assert sorted(n.notification_type for n in last.notices) == ["fulfillment_created", "order_fulfilled"]

    order = engine.order(order_id)
    assert [(item.product_id, item.fulfilled_quantity) for item in order.products] == [(1, 1), (2, 10)]
    assert [p.status for p in order.payments] == ["captured", "captured"]
    assert len(order.fulfillments) == 2
    assert all(isinstance(v, Decimal) for v in (order.amount_paid, order.amount_authorized, order.balance_due, order.refund_due))
    assert order.to_dict()["payments"][0]["amount_captured"] == Decimal("1000.00")


def test_a_replayed_reference_answers_the_first_payment_and_another_amount_conflicts(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    first = engine.record_payment(order_id, Decimal("100.00"), "card", "pi_1")
    again = engine.record_payment(order_id, 100, "card", "pi_1")
    assert again.replayed and again.payment == first.payment and again.notices == []
    assert engine.order(order_id).amount_paid == Decimal("100.00")
    with pytest.raises(ConflictError) as conflict:
        engine.record_payment(order_id, Decimal("200.00"), "card", "pi_1")
    assert conflict.value.code == "payment_reference_conflict"


@pytest.mark.parametrize(
    ("amount", "error", "code"),
    [
        (Decimal("0"), ValidationError, "invalid_amount"),
        (Decimal("-5.00"), ValidationError, "invalid_amount"),
        (Decimal("1.005"), ValidationError, "invalid_money"),
        (Decimal("1E+40"), ValidationError, "invalid_request"),
        (1.5, ValidationError, "invalid_request"),
        (True, ValidationError, "invalid_request"),
        ("ten", ValidationError, "invalid_request"),
        (Decimal("1430.60"), ConflictError, "payment_exceeds_balance"),
    ],
)
def test_what_is_not_a_payable_amount_is_refused_and_nothing_is_written(engine: shopcore.Engine, amount: object, error: type[Exception], code: str) -> None:
    order_id = worked_example(engine)
    before = engine.order(order_id)
    with pytest.raises(error) as refused:
        engine.record_payment(order_id, amount, "card", "pi_x")  # type: ignore[arg-type]
    assert getattr(refused.value, "code", None) == code
    assert engine.order(order_id) == before


def test_bad_text_fields_are_invalid_requests(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    for method, reference in [("", "pi_1"), ("card", "réf"), ("card", ""), (7, "pi_1"), ("card", None), ("card\u061c", "pi_1"), ("card\u200e", "pi_1")]:
        with pytest.raises(ValidationError) as refused:
            engine.record_payment(order_id, 1, method, reference)  # type: ignore[arg-type]
        assert refused.value.code == "invalid_request", (method, reference)
    for carrier_name in ("", "Aramex\u200f", "Ara\u200bmex"):
        with pytest.raises(ValidationError) as carrier:
            engine.fulfill(order_id, carrier=carrier_name)
        assert carrier.value.code == "invalid_request", carrier_name
    for capture in (1, "no", 0.0):
        with pytest.raises(ValidationError) as flag:
            engine.record_payment(order_id, 1, "card", "pi_1", capture=capture)  # type: ignore[arg-type]
        assert flag.value.code == "invalid_request", capture
    assert engine.order(order_id).fulfillments == []
    assert engine.order(order_id).payments == []
    # Left out or None: captured at once.
    assert engine.record_payment(order_id, 1, "card", "pi_2", capture=None).payment.status == "captured"


def test_payments_on_missing_orders_and_payments_are_not_found(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    with pytest.raises(NotFoundError) as order:
        engine.record_payment(99, 1, "card", "pi_1")
    assert order.value.code == "order_not_found"
    for act in (engine.capture_payment, engine.void_payment):
        with pytest.raises(NotFoundError) as payment:
            act(order_id, 42)
        assert payment.value.code == "unknown_payment"


def test_captures_and_voids_only_of_authorizations(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    held = engine.record_payment(order_id, Decimal("500.00"), "card", "pi_hold", capture=False).payment
    with pytest.raises(ConflictError) as too_much:
        engine.capture_payment(order_id, held.payment_id, Decimal("500.01"))
    assert too_much.value.code == "capture_exceeds_authorized"
    with pytest.raises(ValidationError) as zero:
        engine.capture_payment(order_id, held.payment_id, 0)
    assert zero.value.code == "invalid_amount"
    voided = engine.void_payment(order_id, held.payment_id)
    assert voided.payment.status == "voided" and voided.order.payment_status == "unpaid"
    assert [n.notification_type for n in voided.notices] == ["payment_voided"]
    for act in (engine.capture_payment, engine.void_payment):
        with pytest.raises(ConflictError) as refused:
            act(order_id, held.payment_id)
        assert refused.value.code == "payment_not_authorized"
    paid = engine.record_payment(order_id, 10, "cash_on_delivery", "cod_1").payment
    with pytest.raises(ConflictError) as captured:
        engine.void_payment(order_id, paid.payment_id)
    assert captured.value.code == "payment_not_authorized"


def test_shipments_are_refused_beyond_the_order(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    with pytest.raises(ConflictError) as too_many:
        engine.fulfill(order_id, [{"product_id": 2, "quantity": 11}])
    assert too_many.value.code == "fulfillment_exceeds_order"
    assert "10" in too_many.value.message
    with pytest.raises(ValidationError) as stranger:
        engine.fulfill(order_id, [(3, 1)])
    assert stranger.value.code == "product_not_in_order"
    for lines, code in [
        ([], "invalid_request"),
        ([(2, 0)], "invalid_quantity"),
        ([(2,)], "invalid_request"),
        ("2x4", "invalid_request"),
        ([[2, 4]], "invalid_request"),
    ]:
        with pytest.raises(ValidationError) as bad:
            engine.fulfill(order_id, lines)  # type: ignore[arg-type]
        assert bad.value.code == code, lines
    engine.fulfill(order_id)
    with pytest.raises(ConflictError) as nothing_left:
        engine.fulfill(order_id)
    assert nothing_left.value.code == "fulfillment_exceeds_order"


def test_cancel_voids_authorizations_and_owes_back_what_was_captured(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    engine.record_payment(order_id, Decimal("300.00"), "card", "pi_paid")
    held = engine.record_payment(order_id, Decimal("200.00"), "card", "pi_held", capture=False).payment
    cancelled = engine.cancel(order_id)
    assert cancelled.refund_due == Decimal("300.00")
    assert "300.00" in cancelled.notice.message
    order = engine.order(order_id)
    assert order.refund_due == Decimal("300.00") and order.amount_authorized == Decimal("0.00")
    assert next(p for p in order.payments if p.payment_id == held.payment_id).status == "voided"
    with pytest.raises(ConflictError) as no_more:
        engine.record_payment(order_id, 1, "card", "pi_late")
    assert no_more.value.code == "order_cancelled"
    with pytest.raises(ConflictError) as no_shipping:
        engine.fulfill(order_id)
    assert no_shipping.value.code == "order_cancelled"


def test_a_shipped_order_cannot_be_cancelled(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    engine.fulfill(order_id, [(2, 1)])
    with pytest.raises(ConflictError) as refused:
        engine.cancel(order_id)
    assert refused.value.code == "order_fulfilled"
    assert engine.order(order_id).status == "created"


def test_the_new_error_codes_are_exported_with_their_categories() -> None:
    codes = dict(shopcore.ERROR_CODES)
    assert {code: codes[code] for code in ("invalid_amount", "product_not_in_order", "unknown_payment", "payment_exceeds_balance", "order_fulfilled")} == {
        "invalid_amount": "validation",
        "product_not_in_order": "validation",
        "unknown_payment": "not_found",
        "payment_exceeds_balance": "conflict",
        "order_fulfilled": "conflict",
    }


def test_webhooks_can_subscribe_to_the_new_events(engine: shopcore.Engine) -> None:
    events = ["payment.captured", "payment.voided", "order.paid", "fulfillment.created", "order.fulfilled"]
    created = engine.create_webhook("https://hooks.example.com/shop", events)
    assert created.webhook.events == events
