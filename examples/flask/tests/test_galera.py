"""Races across the nodes of a Galera cluster (``make test-galera``; skipped
unless ``SHOPCORE_GALERA_URLS`` names the nodes, space-separated).

Every node gets its own Engine, as a service process on each node would. On
Galera a conflict between nodes is found at COMMIT (certification) and
surfaces as a deadlock error the adapter reruns; auto-increment ids interleave
across nodes, so nothing here assumes consecutive ids.

Run by ``make test`` (``test-galera-short``, 50 key rounds) and ``make
test-galera`` (500). What the key race found, and how it is closed: when
another node's write set wins, Galera aborts the local transaction between two
statements, and the session goes on outside any transaction — on an autocommit
session each later statement commits on its own, and a statement that raced
the abort can report another error in its place (a ``1452`` foreign-key error
on a delivery row whose parent the abort had just removed). Before the guard,
3 of 20 runs of 100 rounds failed (two such 1452s reaching a client as
storage_failure, one order committed without its ledger movement). The adapter
now guards every transaction on a Galera node (autocommit off, a session-local
mark checked before COMMIT and on rollback; ``adapters/sql/src/transaction.rs``):
40 of 40 runs passed; in 20 runs with a counter it caught 7,740 lost
attempts after a 1213, one after a 1452 and two after a key claim gone from
under the attempt, each rerun instead of committing a part."""

from __future__ import annotations

import functools
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pymysql
import pytest

import shopcore

URLS = os.environ.get("SHOPCORE_GALERA_URLS", "").split()
pytestmark = pytest.mark.skipif(not URLS, reason="no Galera cluster (make test-galera sets SHOPCORE_GALERA_URLS)")
SEED_POINTS = {1: 100, 2: 250, 3: 50}
#: Rounds of the one-key race (a duplicate was once seen about once in 2,300 rounds).
KEY_ROUNDS = int(os.environ.get("SHOPCORE_GALERA_KEY_ROUNDS", "50"))


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


def wait_until_applied() -> None:
    """Every node has applied every write set committed so far (a causal read,
    ``wsrep_sync_wait``, on each): Galera certifies a commit on every node at
    once but applies it on the others a moment later, and an audit must see
    all of it."""
    for url in URLS:
        host, port = url.rsplit("@", 1)[1].split(":")
        conn = pymysql.connect(host=host, port=int(port), user="root", autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute("SET SESSION wsrep_sync_wait = 1")
            cursor.execute("SELECT 1")
        conn.close()


def race(engines: list[shopcore.Engine], buyers: int, call: Callable[[shopcore.Engine, int], object]) -> list[object]:
    """Runs ``call(engine, i)`` from ``buyers`` threads released at once, buyer i on node i mod n."""
    gate = threading.Barrier(buyers)
    results: list[object] = [None] * buyers

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = call(engines[i % len(engines)], i)
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
    wait_until_applied()
    for engine in engines:
        assert engine.product(2).quantity_available == 0
        assert engine.audit(opening_stock=opening_stock(), opening_points=SEED_POINTS) == []


def send_key(key: str, engine: shopcore.Engine, _buyer: int) -> shopcore.PlacedOrder:
    return engine.checkout(1, [(3, 1)], idempotency_key=key)


def test_one_key_sent_to_every_node_at_once_places_one_order(engines: list[shopcore.Engine]) -> None:
    engines[0].adjust_stock(3, 1_000_000)
    for round_ in range(KEY_ROUNDS):
        key = f"galera-{round_}-{uuid.uuid4().hex[:8]}"
        results = race(engines, len(engines) * 2, functools.partial(send_key, key))
        placed = [r for r in results if isinstance(r, shopcore.PlacedOrder)]
        errors = [r for r in results if not isinstance(r, shopcore.PlacedOrder)]
        assert not errors, errors
        assert len({p.order.order_id for p in placed}) == 1, [p.order.order_id for p in placed]
        assert sum(not p.replayed for p in placed) == 1
    wait_until_applied()
    for engine in engines:
        assert engine.audit(opening_stock=opening_stock(), opening_points=SEED_POINTS) == []


def test_a_node_killed_mid_load_loses_nothing_acknowledged(engines: list[shopcore.Engine]) -> None:
    """Six buyers, two per node; node 3 is SIGKILLed mid-load and restarted
    until it is Synced again (incremental state transfer). Every order any
    node acknowledged is in the database on every node, every node's books
    balance, and once node 3 is back every node takes orders again."""
    script = Path(__file__).resolve().parents[3] / "scripts" / "galera.sh"
    for product in range(1, 6):
        engines[0].adjust_stock(product, 1_000_000)
    lock, stop = threading.Lock(), threading.Event()
    acknowledged: list[int] = []
    outcomes: list[tuple[float, int, str]] = []  # (start, node, "ok" or the error code)
    answered: list[tuple[float, int]] = []  # (end, node) of every acknowledged order

    def buyer(i: int) -> None:
        node = i % len(engines)
        while not stop.is_set():
            started = time.monotonic()
            try:
                placed = engines[node].checkout(1 + i % 3, [(1 + (i + len(outcomes)) % 5, 1)])
                with lock:
                    acknowledged.append(placed.order.order_id)
                    outcomes.append((started, node, "ok"))
                    answered.append((time.monotonic(), node))
            except shopcore.ShopError as err:
                with lock:
                    outcomes.append((started, node, err.code if err.code != "storage_unavailable" else f"{err.code}: {err.message[:100]}"))

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        killed = time.monotonic()
        subprocess.run([str(script), "kill", "3"], check=True)
        time.sleep(3)
        subprocess.run([str(script), "restart", "3"], check=True, timeout=180)
        back = time.monotonic()
        time.sleep(5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    # The survivors' longest silence: no order acknowledged on nodes 1-2 while they detect the loss.
    ends = sorted(end for end, node in answered if node != 2 and killed <= end <= back)
    silence = max((b - a for a, b in zip([killed, *ends], [*ends, back], strict=True)), default=back - killed)
    after = Counter((node, o) for s, node, o in outcomes if s >= back + 1.0)
    print(
        f"\ngalera kill: {len(acknowledged)} acknowledged; node 3 down {back - killed:.1f} s (restart to Synced "
        f"included); the survivors' longest silence {silence:.1f} s; "
        f"from 1 s after the rejoin {dict(after)}"
    )
    # Every node takes orders again. Cross-node races on these 5 hot products
    # may still exhaust the reruns now and then: such calls are refused whole
    # (storage_unavailable), never half-done, and at most 1 in 20.
    for node in range(len(engines)):
        assert after[(node, "ok")] >= 20, after  # 88-352 per node in a 2-s window here, by how busy the machine was
    gave_up = "storage_unavailable: storage unavailable: the database stayed too busy: gave up after"
    assert all(o == "ok" or o.startswith(gave_up) for (_node, o) in after), after
    assert sum(n for (_node, o), n in after.items() if o != "ok") * 20 <= sum(after.values()), after
    wait_until_applied()
    for engine in engines:
        stored = {order.order_id for customer in (1, 2, 3) for order in engine.orders_of_customer(customer)}
        assert set(acknowledged) <= stored, sorted(set(acknowledged) - stored)[:10]
        assert engine.audit(opening_stock=opening_stock(), opening_points=SEED_POINTS) == []
