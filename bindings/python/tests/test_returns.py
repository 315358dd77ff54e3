"""Partial cancels, returns and refunds over the in-memory engine.

Every figure is worked out by hand (as in the conformance suite's
``returns_cases.rs``): each step takes its line's exact share, rounded half
up, the last units taking exactly what is left.
"""

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


def readme_order(engine: shopcore.Engine) -> int:
    """The worked example with the 10 % coupon SAVE10 and Ahmed's 100 points: 1286.39."""
    engine.create_coupon({"code": "SAVE10", "percent_off": 10})
    order = engine.checkout(1, [(1, 1), (2, 10)], coupon_code="SAVE10", redeem_points=100).order
    assert order.total_amount == Decimal("1286.39")
    return order.order_id


def paid_and_shipped(engine: shopcore.Engine) -> int:
    order_id = worked_example(engine)
    engine.record_payment(order_id, Decimal("1430.59"), "card", "pi_all")
    engine.fulfill(order_id)
    return order_id


def stock(engine: shopcore.Engine, product_id: int) -> int:
    return engine.product(product_id).quantity_available


def points(engine: shopcore.Engine) -> int:
    return engine.customer(1).loyalty_points


def test_each_line_keeps_its_tax_and_redeemed_points_from_checkout(engine: shopcore.Engine) -> None:
    # Tax 175.69 split by net price: 140.0021… and 35.6887…, the cent left to the mice.
    plain = engine.order(worked_example(engine))
    assert [(item.tax, item.points_redeemed) for item in plain.products] == [(Decimal("140.00"), 0), (Decimal("35.69"), 0)]
    # Tax 157.98 split 125.888… / 32.091…: the cent left goes to the laptop; points 100 as 80 / 20.
    readme = engine.order(readme_order(engine))
    assert [(item.tax, item.points_redeemed) for item in readme.products] == [(Decimal("125.89"), 80), (Decimal("32.09"), 20)]
    assert readme.points_earned == 112
    assert readme.amount_due == Decimal("1286.39") and readme.amount_refunded == Decimal("0.00")
    assert readme.returns == [] and readme.refunds == []
    item = readme.products[1]
    assert (item.cancelled_quantity, item.returned_quantity, item.refunded_amount) == (0, 0, Decimal("0.00"))


def test_a_partial_cancel_lowers_what_is_due_and_releases_the_authorization(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    held = engine.record_payment(order_id, Decimal("1430.59"), "card", "pi_held", capture=False).payment
    mice = stock(engine, 2)
    assert points(engine) == 225  # 100 + 125 earned

    # 3 of 10 mice: 254.91 × 3/10 = 76.473 → 76.47; tax 35.69 × 3/10 = 10.707 → 10.71.
    cancelled = engine.cancel(order_id, [{"product_id": 2, "quantity": 3}])
    assert isinstance(cancelled, shopcore.CancelledOrder)
    assert cancelled.order.status == "created"
    assert cancelled.notice.notification_type == "units_cancelled"
    assert "Balance due: 1343.41" in cancelled.notice.message
    assert cancelled.cancelled_lines == [cancelled.cancelled_lines[0]]
    line = cancelled.cancelled_lines[0]
    assert isinstance(line, shopcore.ReleasedLine)
    assert (line.product_id, line.quantity, line.amount, line.tax, line.points) == (2, 3, Decimal("76.47"), Decimal("10.71"), 0)
    assert cancelled.refund is None and cancelled.refund_due == Decimal("0.00")
    order = engine.order(order_id)
    assert order == cancelled.order
    assert order.amount_due == order.balance_due == Decimal("1343.41")  # 1430.59 − 87.18
    assert [item.cancelled_quantity for item in order.products] == [0, 3]
    # The authorization above what is due is released: 87.18 of it; it stays authorized.
    payment = order.payments[0]
    assert (payment.payment_id, payment.status, payment.amount_released) == (held.payment_id, "authorized", Decimal("87.18"))
    assert order.amount_authorized == Decimal("1343.41")
    assert stock(engine, 2) == mice + 3
    # The kept units earn floor((1254.90 − 76.47) / 10) = 117: 8 revoked.
    assert (cancelled.points_revoked, cancelled.points_returned, cancelled.points_balance) == (8, 0, 217)
    assert points(engine) == 217

    paid = engine.capture_payment(order_id, held.payment_id)
    assert paid.payment.amount_captured == Decimal("1343.41")
    assert paid.order.payment_status == "paid"

    # Every unit left is the whole cancel: everything paid comes back.
    whole = engine.cancel(order_id, [(1, 1), (2, 7)])
    assert whole.order.status == "cancelled"
    assert whole.notice.notification_type == "order_cancellation"
    assert whole.refund_due == Decimal("1343.41")
    assert whole.refund is not None
    assert (whole.refund.kind, whole.refund.amount, whole.refund.return_id) == ("cancellation", Decimal("1343.41"), None)
    assert [(p.payment_id, p.amount) for p in whole.refund.parts] == [(held.payment_id, Decimal("1343.41"))]
    order = engine.order(order_id)
    assert order.payment_status == "refunded"
    assert order.amount_refunded == Decimal("1343.41")
    assert order.payments[0].amount_refunded == Decimal("1343.41")
    assert [item.cancelled_quantity for item in order.products] == [1, 10]
    assert stock(engine, 2) == mice + 10
    assert points(engine) == 100


def test_a_partial_cancel_of_a_paid_order_refunds_the_units_share(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    engine.record_payment(order_id, Decimal("1430.59"), "card", "pi_all")
    engine.fulfill(order_id, [(1, 1)])
    with pytest.raises(ConflictError) as shipped:
        engine.cancel(order_id, [(1, 1)])
    assert shipped.value.code == "cancel_exceeds_unfulfilled"
    cancelled = engine.cancel(order_id, [(2, 10)])
    # All 10 mice: exactly their line, 254.91 + 35.69 = 290.60.
    refund = cancelled.refund
    assert refund is not None
    assert (refund.kind, refund.amount, refund.tax) == ("cancellation", Decimal("290.60"), Decimal("35.69"))
    assert [(r.product_id, r.quantity, r.amount, r.tax) for r in refund.lines] == [(2, 10, Decimal("290.60"), Decimal("35.69"))]
    assert cancelled.refund_due == Decimal("290.60")
    order = cancelled.order
    assert (order.status, order.fulfillment_status, order.payment_status) == ("created", "fulfilled", "partially_refunded")
    assert order.amount_due == Decimal("1139.99") and order.balance_due == Decimal("0.00")
    assert order.refunds == [refund]
    assert order.products[1].refunded_amount == Decimal("290.60")


def test_the_readme_order_returns_three_mice_then_seven_to_the_cent(engine: shopcore.Engine) -> None:
    order_id = readme_order(engine)
    engine.record_payment(order_id, Decimal("1286.39"), "card", "pi_readme")
    engine.fulfill(order_id)
    mice = stock(engine, 2)
    assert points(engine) == 112  # 100 − 100 redeemed + 112 earned

    # 3 of 10 mice: 229.22 × 3/10 = 68.766 → 68.77; tax 32.09 × 3/10 = 9.627 → 9.63; points 6.
    first = engine.create_return(order_id, [(2, 3)], reason="changed mind")
    assert isinstance(first, shopcore.ReturnOutcome)
    returned = first.returned
    assert isinstance(returned, shopcore.Return)
    assert (returned.status, returned.restock, returned.reason, returned.requested_by_customer) == ("received", True, "changed mind", False)
    assert [(line.product_id, line.quantity) for line in returned.lines] == [(2, 3)]
    assert returned.order_id == order_id and returned.created_at == returned.updated_at
    refund = first.refund
    assert isinstance(refund, shopcore.Refund)
    assert (refund.kind, refund.return_id, refund.amount, refund.tax, refund.points_returned) == (
        "return",
        returned.return_id,
        Decimal("78.40"),
        Decimal("9.63"),
        6,
    )
    assert [(line.amount, line.tax) for line in refund.lines] == [(Decimal("78.40"), Decimal("9.63"))]
    assert [part.amount for part in refund.parts] == [Decimal("78.40")]
    assert sorted(n.notification_type for n in first.notices) == ["refund_created", "return_received"]
    # The kept units earn floor(1059.64 / 10) = 105: 7 revoked.
    assert points(engine) == 112 + 6 - 7
    assert stock(engine, 2) == mice + 3
    assert first.order.payment_status == "partially_refunded"
    assert first.order.balance_due == Decimal("0.00")

    # The other 7: exactly what is left, 160.45 + 22.46 = 182.91, points 14; 16 more revoked.
    second = engine.create_return(order_id, [{"product_id": 2, "quantity": 7}], restock=True, by="staff")
    assert second.refund is not None
    assert (second.refund.amount, second.refund.tax, second.refund.points_returned) == (Decimal("182.91"), Decimal("22.46"), 14)
    assert points(engine) == 112 + 6 - 7 + 14 - 16
    order = engine.order(order_id)
    assert order == second.order
    assert order.amount_refunded == Decimal("261.31")  # 229.22 + 32.09, what the mice cost
    assert (order.products[1].returned_quantity, order.products[1].refunded_amount) == (10, Decimal("261.31"))
    assert order.amount_due == Decimal("1025.08")
    assert order.total_amount == Decimal("1286.39")  # as placed: nothing is re-priced
    assert [r.status for r in order.returns] == ["received", "received"]
    assert [r.refund_id for r in order.refunds] == sorted(r.refund_id for r in order.refunds) and len(order.refunds) == 2
    assert order.payments[0].amount_refunded == Decimal("261.31")
    assert stock(engine, 2) == mice + 10


def test_a_customer_asks_for_returns_that_staff_receive_or_reject(engine: shopcore.Engine) -> None:
    order_id = paid_and_shipped(engine)
    mice = stock(engine, 2)
    asked = engine.create_return(order_id, [(2, 2)], by="customer", window_days=30)
    requested = asked.returned
    assert requested is not None
    assert (requested.status, requested.requested_by_customer, asked.refund) == ("requested", True, None)
    assert asked.order.amount_refunded == Decimal("0.00")
    with pytest.raises(ConflictError) as too_many:
        engine.create_return(order_id, [(2, 9)], by="customer")
    assert too_many.value.code == "return_exceeds_fulfilled"
    assert engine.returns("requested") == [requested]
    assert engine.returns() == [requested]
    assert engine.returns("received") == []

    # Received without restocking: 254.91 × 2/10 = 50.982 → 50.98 and 35.69 × 2/10 = 7.138 → 7.14.
    received = engine.receive_return(requested.return_id, restock=False)
    receipt = received.returned
    assert receipt is not None and received.refund is not None
    assert (receipt.return_id, receipt.status, receipt.restock) == (requested.return_id, "received", False)
    assert received.refund.amount == Decimal("58.12")
    assert stock(engine, 2) == mice
    with pytest.raises(ConflictError) as again:
        engine.receive_return(requested.return_id)
    assert again.value.code == "return_not_requested"

    other = engine.create_return(order_id, [(1, 1)], by="customer").returned
    assert other is not None
    before = (engine.order(order_id).payments, stock(engine, 1), points(engine))
    rejected = engine.reject_return(other.return_id)
    assert rejected.returned is not None and rejected.returned.status == "rejected"
    assert rejected.refund is None
    assert (engine.order(order_id).payments, stock(engine, 1), points(engine)) == before
    with pytest.raises(ConflictError) as twice:
        engine.reject_return(other.return_id)
    assert twice.value.code == "return_not_requested"
    for act in (engine.receive_return, engine.reject_return):
        with pytest.raises(NotFoundError) as unknown:
            act(9999)
        assert unknown.value.code == "unknown_return"
    # A window of 0 days closed when the units shipped; staff are not limited by it.
    with pytest.raises(ConflictError) as late:
        engine.create_return(order_id, [(2, 1)], by="customer", window_days=0)
    assert late.value.code == "return_window_closed"
    assert engine.create_return(order_id, [(2, 1)]).returned is not None
    assert [r.status for r in engine.returns()] == ["received", "rejected", "received"]


def test_goodwill_refunds_pay_back_at_most_what_was_captured(engine: shopcore.Engine) -> None:
    order_id = worked_example(engine)
    engine.record_payment(order_id, Decimal("500.00"), "card", "pi_part")
    goodwill = engine.refund(order_id, Decimal("100.00"), reason="late delivery")
    refund = goodwill.refund
    assert refund is not None and goodwill.returned is None
    assert (refund.kind, refund.amount, refund.tax, refund.lines, refund.reason) == ("goodwill", Decimal("100.00"), Decimal("0.00"), [], "late delivery")
    assert goodwill.order.payment_status == "partially_refunded"
    assert goodwill.order.balance_due == Decimal("930.59")  # owes nothing back
    assert any("late delivery" in n.message for n in goodwill.notices)
    for amount, error, code in [
        (Decimal("400.01"), ConflictError, "refund_exceeds_paid"),
        (Decimal("0"), ValidationError, "invalid_amount"),
        (Decimal("-1"), ValidationError, "invalid_amount"),
        (Decimal("1.005"), ValidationError, "invalid_money"),
        (1.5, ValidationError, "invalid_request"),
        (True, ValidationError, "invalid_request"),
    ]:
        with pytest.raises(error) as refused:
            engine.refund(order_id, amount)  # type: ignore[arg-type]
        assert refused.value.code == code, amount
    rest = engine.refund(order_id, "400.00")
    assert rest.order.payment_status == "refunded"
    assert rest.order.amount_refunded == Decimal("500.00")
    cancelled = engine.cancel(order_id)
    assert (cancelled.refund_due, cancelled.refund) == (Decimal("0.00"), None)
    assert [(line.product_id, line.quantity) for line in cancelled.cancelled_lines] == [(1, 1), (2, 10)]
    with pytest.raises(NotFoundError) as missing:
        engine.refund(9999, 1)
    assert missing.value.code == "order_not_found"


def everything(engine: shopcore.Engine, order_id: int) -> object:
    return (engine.order(order_id), engine.notifications(), engine.products(), engine.customer(1), engine.returns())


@pytest.mark.parametrize(
    ("lines", "error", "code"),
    [
        ([(2, 11)], ConflictError, "cancel_exceeds_unfulfilled"),
        ([(2, 6), (2, 5)], ConflictError, "cancel_exceeds_unfulfilled"),
        ([(3, 1)], ValidationError, "product_not_in_order"),
        ([], ValidationError, "invalid_request"),
        ([(2, 0)], ValidationError, "invalid_quantity"),
        ([(2, -1)], ValidationError, "invalid_quantity"),
        ([(2, 10**30)], ValidationError, "invalid_quantity"),
        ([(2, "3")], ValidationError, "invalid_request"),
        ([(2, True)], ValidationError, "invalid_request"),
        ([{"product_id": 2}], ValidationError, "invalid_request"),
        ([(2,)], ValidationError, "invalid_request"),
        ("2x3", ValidationError, "invalid_request"),
        ({"product_id": 2, "quantity": 3}, ValidationError, "invalid_request"),
    ],
)
def test_partial_cancels_that_cannot_be_are_refused_and_write_nothing(engine: shopcore.Engine, lines: object, error: type[Exception], code: str) -> None:
    order_id = worked_example(engine)
    before = everything(engine, order_id)
    with pytest.raises(error) as refused:
        engine.cancel(order_id, lines)  # type: ignore[arg-type]
    assert refused.value.code == code  # type: ignore[attr-defined]
    assert everything(engine, order_id) == before
    with pytest.raises(NotFoundError) as missing:
        engine.cancel(9999, [(2, 1)])
    assert missing.value.code == "order_not_found"


@pytest.mark.parametrize(
    ("arguments", "error", "code"),
    [
        ({"lines": [(2, 11)]}, ConflictError, "return_exceeds_fulfilled"),
        ({"lines": [(4, 1)]}, ValidationError, "product_not_in_order"),
        ({"lines": []}, ValidationError, "invalid_request"),
        ({"lines": [(2, 0)]}, ValidationError, "invalid_quantity"),
        ({"lines": [(2, 1)], "by": "robot"}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "by": 1}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "by": "customer", "window_days": -1}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "by": "customer", "window_days": 3651}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "by": "customer", "window_days": "30"}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "by": "customer", "window_days": True}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "by": "customer", "window_days": 10**40}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "restock": 1}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "restock": "yes"}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "reason": ""}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "reason": "   "}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "reason": "x" * 501}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "reason": "broken\x00"}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "reason": "broken\u200b"}, ValidationError, "invalid_request"),
        ({"lines": [(2, 1)], "reason": 5}, ValidationError, "invalid_request"),
    ],
)
def test_returns_that_cannot_be_are_refused_and_write_nothing(engine: shopcore.Engine, arguments: dict[str, object], error: type[Exception], code: str) -> None:
    order_id = worked_example(engine)
    engine.fulfill(order_id, [(2, 10)])
    before = everything(engine, order_id)
    with pytest.raises(error) as refused:
        engine.create_return(order_id, **arguments)  # type: ignore[arg-type]
    assert refused.value.code == code  # type: ignore[attr-defined]
    assert everything(engine, order_id) == before


def test_a_reason_of_500_characters_is_kept_as_written(engine: shopcore.Engine) -> None:
    order_id = paid_and_shipped(engine)
    reason = "é" * 500
    outcome = engine.create_return(order_id, [(2, 1)], reason=reason, restock=False)
    assert outcome.returned is not None and outcome.returned.reason == reason and outcome.returned.restock is False


def test_bad_return_ids_statuses_and_flags_are_invalid_requests(engine: shopcore.Engine) -> None:
    for status in ("lost", "", 3, "Requested"):
        with pytest.raises(ValidationError) as bad_status:
            engine.returns(status)  # type: ignore[arg-type]
        assert bad_status.value.code == "invalid_request", status
    for bad_id in ("1", 1.0, True):
        with pytest.raises(ValidationError) as wrong_type:
            engine.receive_return(bad_id)  # type: ignore[arg-type]
        assert wrong_type.value.code == "invalid_request", bad_id
    for bad_id in (0, -1):
        with pytest.raises(ValidationError) as out_of_range:
            engine.reject_return(bad_id)
        assert out_of_range.value.category == "validation", bad_id
    order_id = paid_and_shipped(engine)
    requested = engine.create_return(order_id, [(2, 1)], by="customer").returned
    assert requested is not None
    for flag in (0, "false", 1.0):
        with pytest.raises(ValidationError) as bad_flag:
            engine.receive_return(requested.return_id, restock=flag)  # type: ignore[arg-type]
        assert bad_flag.value.code == "invalid_request", flag
    assert engine.returns("requested") == [requested]


def test_records_convert_to_plain_dicts_with_exact_decimals(engine: shopcore.Engine) -> None:
    order_id = paid_and_shipped(engine)
    outcome = engine.create_return(order_id, [(2, 3)], reason="too many")
    body = outcome.to_dict()
    assert set(body) == {"order", "returned", "refund", "notices", "replayed"}
    assert body["returned"]["lines"] == [{"product_id": 2, "quantity": 3}]
    assert body["refund"]["amount"] == Decimal("87.18")  # 76.47 + 10.71
    assert body["refund"]["parts"][0]["amount"] == Decimal("87.18")
    assert body["refund"]["lines"] == [{"product_id": 2, "quantity": 3, "amount": Decimal("87.18"), "tax": Decimal("10.71")}]
    order = body["order"]
    assert order["returns"][0]["status"] == "received" and order["refunds"][0]["kind"] == "return"
    assert order["amount_refunded"] == Decimal("87.18") and order["amount_due"] == Decimal("1343.41")
    assert order["products"][1]["returned_quantity"] == 3 and order["products"][1]["refunded_amount"] == Decimal("87.18")
    assert order["payments"][0]["amount_refunded"] == Decimal("87.18") and order["payments"][0]["amount_released"] == Decimal("0.00")
    assert "Refund(" in repr(outcome.refund) and "Return(" in repr(outcome.returned)
    cancelled = engine.cancel(worked_example(engine), [(2, 1)]).to_dict()
    assert cancelled["cancelled_lines"] == [{"product_id": 2, "quantity": 1, "amount": Decimal("25.49"), "tax": Decimal("3.57"), "points": 0}]
    assert cancelled["refund"] is None


def test_an_idempotency_key_replays_the_first_return_or_refund_and_writes_nothing(engine: shopcore.Engine) -> None:
    order_id = paid_and_shipped(engine)
    first = engine.create_return(order_id, [(2, 3)], reason="too many", idempotency_key="ret-1")
    assert first.replayed is False and first.returned is not None and first.refund is not None
    before = everything(engine, order_id)
    again = engine.create_return(order_id, [(2, 3)], reason="too many", idempotency_key="ret-1")
    assert again.replayed is True and again.notices == []
    assert again.returned == first.returned and again.refund == first.refund
    assert everything(engine, order_id) == before
    with pytest.raises(ConflictError) as other:
        engine.create_return(order_id, [(2, 4)], reason="too many", idempotency_key="ret-1")
    assert other.value.code == "idempotency_conflict"
    # Refunds have keys of their own: the same key is a new refund.
    goodwill = engine.refund(order_id, Decimal("5.00"), idempotency_key="ret-1")
    assert goodwill.replayed is False and goodwill.refund is not None
    replay = engine.refund(order_id, "5.00", idempotency_key="ret-1")
    assert replay.replayed is True and replay.refund == goodwill.refund
    with pytest.raises(ConflictError) as changed:
        engine.refund(order_id, Decimal("6.00"), idempotency_key="ret-1")
    assert changed.value.code == "idempotency_conflict"
    assert engine.order(order_id).amount_refunded == Decimal("92.18")  # 87.18 + 5.00
    for key, code in [("", "invalid_idempotency_key"), ("k" * 300, "invalid_idempotency_key"), (5, "invalid_request")]:
        with pytest.raises(ValidationError) as bad_key:
            engine.refund(order_id, 1, idempotency_key=key)  # type: ignore[arg-type]
        assert bad_key.value.code == code, key


def test_the_new_error_codes_notices_and_events_are_exported() -> None:
    codes = dict(shopcore.ERROR_CODES)
    assert {
        code: codes[code]
        for code in (
            "cancel_exceeds_unfulfilled",
            "return_exceeds_fulfilled",
            "return_not_requested",
            "return_window_closed",
            "refund_exceeds_paid",
            "unknown_return",
            "legacy_order",
        )
    } == {
        "cancel_exceeds_unfulfilled": "conflict",
        "return_exceeds_fulfilled": "conflict",
        "return_not_requested": "conflict",
        "return_window_closed": "conflict",
        "refund_exceeds_paid": "conflict",
        "unknown_return": "not_found",
        "legacy_order": "conflict",
    }
    engine = shopcore.Engine.in_memory()
    events = ["order.units_cancelled", "return.received", "refund.created"]
    assert engine.create_webhook("https://hooks.example.com/returns", events).webhook.events == events


def test_returns_page_by_id_with_a_cursor(engine: shopcore.Engine) -> None:
    order_id = paid_and_shipped(engine)
    asked = engine.create_return(order_id, [(2, 1)], by="customer").returned
    staff = [engine.create_return(order_id, [(2, 1)]).returned for _ in range(2)]
    assert asked is not None and None not in staff
    everything = engine.returns()
    page, after = engine.return_page(limit=2)
    assert (page, after) == (everything[:2], everything[1].return_id)
    rest, last = engine.return_page(after=after, limit=2)
    assert (rest, last) == (everything[2:], None)
    assert engine.return_page(status="requested") == ([asked], None)
    for bad in ({"limit": 0}, {"limit": 501}, {"status": "lost"}, {"after": "x"}):
        with pytest.raises(ValidationError):
            engine.return_page(**bad)
