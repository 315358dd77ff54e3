"""The soak's audit must catch what it claims to: a clean history passes, and
each kind of damage it looks for — a stock or points change outside the books,
a lost notification, an order without items, a lost acknowledged order — is
reported. The balance is the core's audit (``Engine.audit``); this shows it reads the
real database. Runs on a fresh MySQL database (CI=true: an unreachable server fails)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import admin, database_name, fresh_database
from soak import Seen, acknowledged_are_kept, audit, snapshot

import shopcore


@pytest.fixture
def history() -> Iterator[tuple[str, dict[int, int], dict[int, int], Seen]]:
    """A database with a start snapshot and a clean history through the engine:
    orders (with keys), a cancel, stock and loyalty adjustments, a registration."""
    with fresh_database(prefix="shopcore_audit") as url:
        db = database_name(url)
        stock, points = snapshot(db)
        engine = shopcore.Engine.mysql(url)
        seen = Seen()
        for i, customer in enumerate([1, 2, 3, 1]):
            placed = engine.checkout(customer, [{"product_id": 1 + i, "quantity": 2}, {"product_id": 5, "quantity": 1}], idempotency_key=f"audit-{i}")
            seen.orders[placed.order.order_id] = placed.order.total_amount
            seen.keys[f"audit-{i}"] = placed.order.order_id
        first = min(seen.orders)
        engine.adjust_points(1, -90)
        engine.cancel(first)
        seen.cancelled.add(first)
        engine.adjust_stock(2, 7)
        engine.adjust_stock(5, -3)
        seen.stock_acked.update({2: 1, 5: 1})
        engine.adjust_points(2, 15)
        seen.points_acked.update({1: 1, 2: 1})
        new = engine.register(name="Audit Person", email="audit@example.com", password="a long enough password")
        seen.registered[new.customer_id] = "audit@example.com"
        yield db, stock, points, seen


def damage(db: str, sql: str) -> None:
    conn = admin(db)
    with conn.cursor() as c:
        c.execute(sql)
    conn.close()


def test_a_clean_history_passes(history) -> None:  # type: ignore[no-untyped-def]
    db, stock, points, seen = history
    assert audit(db, stock, points) == []
    assert acknowledged_are_kept(db, seen) == []


@pytest.mark.parametrize(
    ("sql", "reported"),
    [
        ("UPDATE inventory SET quantity_available = quantity_available - 1 WHERE product_id = 3", "product 3: stock"),
        ("UPDATE customers SET loyalty_points = loyalty_points + 5 WHERE customer_id = 2", "customer 2:"),
        ("DELETE FROM notification_log WHERE notification_type = 'order_cancellation'", "0 cancellation notices"),
        ("DELETE FROM notification_log WHERE order_id = (SELECT MAX(order_id) FROM orders)", "0 confirmations"),
        ("DELETE FROM order_items WHERE order_id = (SELECT MAX(order_id) FROM orders)", "no items"),
        ("UPDATE orders SET tax = tax + 0.01 WHERE order_id = (SELECT MAX(order_id) FROM orders)", "!= total"),
        ("DELETE FROM ledger_entries WHERE product_id = 2 AND reason = 'manual'", "product 2: stock"),
        ("UPDATE ledger_entries SET balance_after = balance_after + 1 WHERE customer_id = 1 AND reason = 'manual'", "customer 1: points ledger entry"),
        ("DELETE FROM orders WHERE order_id = (SELECT MIN(order_id) FROM order_items)", "order items without an order"),
        ("DELETE FROM idempotency_keys WHERE idempotency_key = 'audit-3'", "0 idempotency keys"),
    ],
)
def test_damage_is_reported(history, sql: str, reported: str) -> None:  # type: ignore[no-untyped-def]
    db, stock, points, _seen = history
    damage(db, sql)
    failures = audit(db, stock, points)
    assert any(reported in failure for failure in failures), failures


def test_a_lost_acknowledgement_is_reported(history) -> None:  # type: ignore[no-untyped-def]
    db, _stock, _points, seen = history
    last = max(seen.orders)
    damage(db, f"UPDATE orders SET status = 'cancelled' WHERE order_id = {last}")
    seen.orders[last + 1000] = Decimal("1.00")
    seen.stock_acked[4] += 1
    seen.registered[999] = "ghost@example.com"
    failures = acknowledged_are_kept(db, seen)
    assert any(f"acknowledged order {last} is cancelled" in f for f in failures), failures
    assert any(f"acknowledged order {last + 1000}" in f for f in failures), failures
    assert any("product 4: 0 adjustments stored, 1 acknowledged" in f for f in failures), failures
    assert any("customer 999" in f for f in failures), failures
