"""Races across the nodes of a Galera cluster (``make test-galera``; skipped
unless ``SHOPCORE_GALERA_URLS`` names the nodes, space-separated).

Every node gets its own Engine, as a service process on each node would. On
Galera a conflict between nodes is found at COMMIT (certification) and
surfaces as a deadlock error the adapter reruns; auto-increment ids interleave
across nodes, so nothing here assumes consecutive ids."""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pymysql
import pytest

import shopcore

URLS = os.environ.get("SHOPCORE_GALERA_URLS", "").split()
pytestmark = pytest.mark.skipif(not URLS, reason="no Galera cluster (make test-galera sets SHOPCORE_GALERA_URLS)")
SEED_POINTS = {1: 100, 2: 250, 3: 50}


@pytest.fixture
def engines() -> Iterator[list[shopcore.Engine]]:
    """A fresh database on the cluster, and one Engine per node on it."""
    name = f"shopcore_galera_{uuid.uuid4().hex[:12]}"
    host, port = URLS[0].rsplit("@", 1)[1].split(":")
    admin = pymysql.connect(host=host, port=int(port), user="root", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        first = shopcore.Engine.mysql(f"{URLS[0]}/{name}", migrate=True, seed=True, max_connections=8)
        yield [first, *(shopcore.Engine.mysql(f"{url}/{name}", max_connections=8) for url in URLS[1:])]
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def race(engines: list[shopcore.Engine], buyers: int, call: object) -> list[object]:
    """Runs ``call(engine, i)`` from ``buyers`` threads released at once, buyer i on node i mod n."""
    gate = threading.Barrier(buyers)
    results: list[object] = [None] * buyers

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = call(engines[i % len(engines)], i)  # type: ignore[operator]
        except shopcore.ShopError as err:
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def opening_stock() -> dict[int, int]:
    return {p.product_id: p.quantity_available for p in shopcore.Engine.in_memory().products()}


def test_64_buyers_on_three_nodes_share_the_last_10_units(engines: list[shopcore.Engine]) -> None:
    first = engines[0]
    mouse = first.product(2)
    first.adjust_stock(2, 10 - mouse.quantity_available)
    results = race(engines, 64, lambda engine, i: engine.checkout(1 + i % 3, [(2, 1)]))
    placed = [r for r in results if isinstance(r, shopcore.PlacedOrder)]
    refused = Counter(r.code for r in results if isinstance(r, shopcore.ShopError))
    print(f"\ngalera race: {len(placed)} placed, refused {dict(refused)}")
    assert len(placed) == 10, refused
    assert set(refused) <= {"insufficient_stock"}, refused
    for engine in engines:
        assert engine.product(2).quantity_available == 0
        assert engine.audit(opening_stock=opening_stock(), opening_points=SEED_POINTS) == []


def test_one_key_sent_to_every_node_at_once_places_one_order(engines: list[shopcore.Engine]) -> None:
    for round_ in range(20):
        key = f"galera-{round_}-{uuid.uuid4().hex[:8]}"
        results = race(engines, len(engines) * 2, lambda engine, _i: engine.checkout(1, [(3, 1)], idempotency_key=key))
        placed = [r for r in results if isinstance(r, shopcore.PlacedOrder)]
        errors = [r for r in results if not isinstance(r, shopcore.PlacedOrder)]
        assert not errors, errors
        assert len({p.order.order_id for p in placed}) == 1, [p.order.order_id for p in placed]
        assert sum(not p.replayed for p in placed) == 1
    for engine in engines:
        assert engine.audit(opening_stock=opening_stock(), opening_points=SEED_POINTS) == []
