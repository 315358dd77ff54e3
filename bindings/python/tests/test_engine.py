"""The Python API of shopcore over the in-memory engine."""

from __future__ import annotations

import os
import threading
from datetime import UTC
from decimal import Decimal

import pytest

import shopcore
from shopcore import ConflictError, NotFoundError, ShopError, ValidationError


@pytest.fixture
def engine() -> shopcore.Engine:
    return shopcore.Engine.in_memory()


def test_worked_example_quotes_in_decimals(engine: shopcore.Engine) -> None:
    q = engine.quote([{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}])
    assert q.total == Decimal("1430.59")
    assert isinstance(q.total, Decimal)
    assert [str(line.final_price) for line in q.items] == ["999.99", "254.91"]
    assert q.to_dict()["items"][1]["discount"] == Decimal("44.99")
    assert str(q.tax) == "175.69"


def test_checkout_takes_stock_awards_points_and_logs_confirmation(engine: shopcore.Engine) -> None:
    placed = engine.checkout(1, [(1, 1), (2, 10)])
    order = placed.order
    assert (order.order_id, order.status, order.total_amount) == (1, "created", Decimal("1430.59"))
    assert [(i.product_id, i.quantity) for i in order.products] == [(1, 1), (2, 10)]
    assert engine.product(2).quantity_available == 190
    assert engine.customer(1).loyalty_points == 225
    assert placed.confirmation.notification_type == "order_confirmation"
    assert "Total: 1430.59" in placed.confirmation.message
    assert engine.order(order.order_id) == order
    assert engine.orders_of_customer(1) == [order]


def test_errors_carry_codes_and_categories(engine: shopcore.Engine) -> None:
    with pytest.raises(ConflictError) as short:
        engine.checkout(1, [(1, 51)])
    assert (short.value.code, short.value.category) == ("insufficient_stock", "conflict")
    with pytest.raises(NotFoundError) as missing:
        engine.order(99)
    assert missing.value.code == "order_not_found"
    assert isinstance(missing.value, LookupError)
    with pytest.raises(ValidationError) as region:
        engine.quote([(1, 1)], region="Aswan")
    assert region.value.code == "unknown_tax_region"
    assert isinstance(region.value, ValueError)
    assert engine.product(1).quantity_available == 50


@pytest.mark.parametrize(
    ("products", "code"),
    [
        ([], "empty_order"),
        ([{"product_id": 1, "quantity": 0}], "invalid_quantity"),
        ([{"product_id": 1, "quantity": -3}], "invalid_quantity"),
        ([{"product_id": 1, "quantity": 10**30}], "invalid_quantity"),
        ([{"product_id": 1, "quantity": 1.5}], "invalid_request"),
        ([{"product_id": 1, "quantity": True}], "invalid_request"),
        ([{"product_id": "1", "quantity": 1}], "invalid_request"),
        ([{"quantity": 1}], "invalid_request"),
        ([{"product_id": 0, "quantity": 1}], "invalid_id"),
        ("not a list", "invalid_request"),
        ([[1, 2]], "invalid_request"),
    ],
)
def test_malformed_carts_are_validation_errors(engine: shopcore.Engine, products: object, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        engine.checkout(1, products)  # type: ignore[arg-type]
    assert err.value.code == code
    assert engine.notifications() == []


def test_unknown_product_in_a_cart_is_not_found(engine: shopcore.Engine) -> None:
    with pytest.raises(NotFoundError) as err:
        engine.checkout(1, [(1, 1), (42, 1)])
    assert err.value.code == "unknown_product"
    assert engine.product(1).quantity_available == 50


def test_idempotency_key_replays_and_conflicts(engine: shopcore.Engine) -> None:
    first = engine.checkout(2, [(3, 2)], idempotency_key="k-1")
    replay = engine.checkout(2, [(3, 2)], idempotency_key="k-1")
    assert replay.replayed and replay.order == first.order
    with pytest.raises(ConflictError) as err:
        engine.checkout(2, [(3, 3)], idempotency_key="k-1")
    assert err.value.code == "idempotency_conflict"


def test_cancel_restocks_and_revokes(engine: shopcore.Engine) -> None:
    placed = engine.checkout(3, [(4, 2)])
    cancelled = engine.cancel(placed.order.order_id)
    assert cancelled.order.status == "cancelled"
    assert engine.product(4).quantity_available == 75
    assert engine.customer(3).loyalty_points == 50
    kinds = [n.notification_type for n in engine.notifications(order_id=placed.order.order_id)]
    assert kinds == ["order_cancellation", "order_confirmation"]
    with pytest.raises(ConflictError):
        engine.cancel(placed.order.order_id)


def test_cancelling_an_order_whose_points_were_spent_leaves_points_owed(engine: shopcore.Engine) -> None:
    # Omar (50) orders a laptop (+99), spends 140 of his 149 on a mouse, then cancels the laptop.
    laptop = engine.checkout(3, [(1, 1)])
    spent = engine.checkout(3, [(2, 1)], redeem_points=140)
    held = engine.customer(3).loyalty_points
    assert held == 149 - 140 + spent.order.points_earned
    cancelled = engine.cancel(laptop.order.order_id)
    assert (cancelled.points_returned, cancelled.points_revoked) == (0, 99)
    assert cancelled.points_balance == held - 99 < 0
    assert engine.customer(3).loyalty_points == cancelled.points_balance
    assert "Loyalty points owed" in cancelled.notice.message
    with pytest.raises(ConflictError) as err:
        engine.checkout(3, [(2, 1)], redeem_points=1)
    assert err.value.code == "insufficient_points"
    # Cancelling the order the points paid for gives them back: Omar ends where he began.
    engine.cancel(spent.order.order_id)
    assert engine.customer(3).loyalty_points == 50
    assert engine.audit(opening_stock={1: 50, 2: 200, 3: 150, 4: 75, 5: 100}, opening_points={1: 100, 2: 250, 3: 50}) == []


def test_register_hashes_and_login_checks_the_password(engine: shopcore.Engine) -> None:
    mona = engine.register(name="Mona Adel", email="Mona@Example.com", password="pyramids-of-giza", phone="+20 100")
    assert mona.email == "mona@example.com"
    assert "password" not in str(mona.to_dict())
    session = engine.login(email="mona@example.com", password="pyramids-of-giza")
    assert session.customer == mona
    assert session.token.startswith("sct_") and len(session.token) == 68
    assert engine.authenticate(session.token).customer_id == mona.customer_id
    for email, password in [("mona@example.com", "wrong-password"), ("x@example.com", "pyramids-of-giza"), ("bad", "")]:
        with pytest.raises(shopcore.AuthenticationError) as err:
            engine.login(email=email, password=password)
        assert err.value.code == "invalid_credentials"
    with pytest.raises(ConflictError) as taken:
        engine.register(name="Other", email="MONA@example.com", password="another-password")
    assert taken.value.code == "email_taken"
    with pytest.raises(ValidationError) as short:
        engine.register(name="Short", email="s@example.com", password="short")
    assert short.value.code == "invalid_password"


def test_password_work_leaves_a_core_free(engine: shopcore.Engine) -> None:
    # Argon2 runs on a bounded pool beside the async workers: all cores but one, at least one.
    # (The pool may see fewer cores than the affinity mask, under a cgroup quota, never more.)
    cores = len(os.sched_getaffinity(0))
    assert 1 <= engine.password_work_limit <= max(1, cores - 1)


def test_stock_and_points_adjustments(engine: shopcore.Engine) -> None:
    assert engine.adjust_stock(1, -50).quantity_available == 0
    with pytest.raises(ConflictError) as err:
        engine.adjust_stock(1, -1)
    assert err.value.code == "insufficient_stock"
    assert engine.adjust_points(2, -250).loyalty_points == 0
    with pytest.raises(ShopError) as points:
        engine.adjust_points(2, -1)
    assert points.value.code == "insufficient_points"


SEED_STOCK = {1: 50, 2: 200, 3: 150, 4: 75, 5: 100}
SEED_POINTS = {1: 100, 2: 250, 3: 50}


def test_the_audit_balances_a_history_and_reports_a_wrong_opening(engine: shopcore.Engine) -> None:
    first = engine.checkout(1, [(1, 1), (2, 10)])
    engine.checkout(3, [(4, 2)])
    engine.adjust_stock(5, 4)
    engine.adjust_points(1, -200)
    engine.cancel(first.order.order_id)
    assert engine.audit(opening_stock=SEED_STOCK, opening_points=SEED_POINTS) == []
    # Opening balances that are not where the books started: each is reported.
    found = engine.audit(opening_stock={**SEED_STOCK, 3: 151}, opening_points={**SEED_POINTS, 2: 249})
    assert any(f.startswith("product 3: stock 150, books say 151 opening") for f in found), found
    assert any(f.startswith("customer 2: points 250, books say 249 opening") for f in found), found
    with pytest.raises(ValidationError):
        engine.audit(opening_stock={0: 1}, opening_points={})


def test_sessions_keys_and_the_policy(engine: shopcore.Engine) -> None:
    anonymous = engine.authenticate(None)
    assert anonymous.kind == "anonymous"
    engine.authorize(anonymous, "quote")
    with pytest.raises(shopcore.AuthenticationError) as err:
        engine.authorize(anonymous, "read_order", customer_id=2)
    assert err.value.code == "unauthenticated"
    issued = engine.create_staff_key(name="desk", role="support")
    support = engine.authenticate(issued.key)
    assert (support.kind, support.role, support.key_id) == ("staff", "support", issued.key_id)
    engine.authorize(support, "cancel_order", customer_id=3)
    with pytest.raises(shopcore.ForbiddenError) as forbidden:
        engine.authorize(support, "adjust_stock")
    assert forbidden.value.code == "forbidden"
    assert all(not hasattr(k, "key") for k in engine.staff_keys())
    engine.revoke_staff_key(issued.key_id)
    with pytest.raises(shopcore.AuthenticationError):
        engine.authenticate(issued.key)
    with pytest.raises(ValidationError):
        engine.create_staff_key(name="x", role="root")
    with pytest.raises(ValidationError):
        engine.authorize(support, "drop_tables")


def test_session_lifetime_is_configurable() -> None:
    engine = shopcore.Engine.in_memory(session_hours=2)
    engine.register(name="Hana", email="hana@example.com", password="long enough pw")
    session = engine.login(email="hana@example.com", password="long enough pw")
    from datetime import datetime, timedelta

    left = session.expires_at - datetime.now(UTC)
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)
    with pytest.raises(ValidationError):
        shopcore.Engine.in_memory(session_hours=0)


def test_money_must_not_be_a_float() -> None:
    with pytest.raises(ValidationError) as err:
        shopcore.quote(products=[(1, 9.99)], rules=[], lines=[(1, 1)], tax_rate="14")  # type: ignore[list-item]
    assert err.value.code == "invalid_request"
    q = shopcore.quote(products=[(1, Decimal("9.99"))], rules=[], lines=[(1, 3)], tax_rate=14)
    assert q.total == Decimal("34.17")  # 29.97 + 4.1958 → 4.20


def test_every_error_code_is_exposed_with_its_category() -> None:
    codes = dict(shopcore.ERROR_CODES)
    assert codes["insufficient_stock"] == "conflict"
    assert codes["invalid_credentials"] == "unauthenticated"
    assert len(codes) == len(shopcore.ERROR_CODES)


def test_concurrent_checkouts_from_threads_sell_exactly_the_stock(engine: shopcore.Engine) -> None:
    engine.adjust_stock(4, -65)  # 10 monitors left
    results: list[str] = []
    lock = threading.Lock()

    def buy() -> None:
        for _ in range(3):
            try:
                engine.checkout(1, [(4, 1)])
                outcome = "ok"
            except ConflictError as err:
                outcome = err.code
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=buy) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 10
    assert results.count("insufficient_stock") == 38
    assert engine.product(4).quantity_available == 0


def test_the_gil_is_released_while_rust_works(engine: shopcore.Engine) -> None:
    # A Python thread counts while the main thread hashes a password in Rust
    # (Argon2id, tens of milliseconds). Were the GIL held, the counter could
    # not move during the call.
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        before = counter[0]
        engine.register(name="Gil Test", email="gil@example.com", password="long-enough-password")
        during = counter[0] - before
    finally:
        stop.set()
        spinner.join()
    assert during > 10_000, during


def test_the_package_knows_its_version() -> None:
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert shopcore.__version__ == pyproject["project"]["version"]


def test_a_shop_outside_egypt_is_configured_from_python() -> None:
    config = shopcore.ShopConfig(
        default_region="Berlin", rounding="half_even", tax_mode="per_line", point_value=Decimal("0.05"), loyalty_unit="5", session_hours=2
    )
    engine = shopcore.Engine.in_memory(seed=False, config=config)
    assert engine.config == config
    assert (engine.default_region, engine.config.rounding, engine.config.tax_mode) == ("Berlin", "half_even", "per_line")
    assert (engine.config.point_value, engine.config.loyalty_unit) == (Decimal("0.05"), Decimal("5.00"))
    engine.set_tax_rate("Berlin", Decimal("19"))
    pen = engine.create_product(product_name="Pen", unit_price=Decimal("1.50"), quantity_available=10)
    # 1.50 × 19 % = 0.285: half-even gives 0.28 (half-up would give 0.29).
    quote = engine.quote([(pen.product_id, 1)])
    assert (quote.tax, quote.total) == (Decimal("0.28"), Decimal("1.78"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rounding": "half_down"}, "rounding must be"),
        ({"tax_mode": "per_cart"}, "tax_mode must be"),
        ({"point_value": 0.01}, "not a float"),
        ({"point_value": "0"}, "must be positive"),
        ({"loyalty_unit": "0"}, "must be positive"),
        ({"session_hours": 0}, "session_hours must be from 1"),
        ({"default_region": ""}, "region"),
    ],
)
def test_a_bad_shop_config_is_a_validation_error(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        shopcore.ShopConfig(**options)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_session_hours_goes_inside_the_config_not_beside_it() -> None:
    with pytest.raises(ValidationError):
        shopcore.Engine.in_memory(config=shopcore.ShopConfig(), session_hours=2)
    assert shopcore.Engine.in_memory(session_hours=2).config.session_hours == 2
