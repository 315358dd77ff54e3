"""``make soak``: the five services on MySQL under load, audited from the database.

Three phases, each on a fresh database seeded with the demo data:

1. mixed — 16 clients send a fixed number of requests: quotes, orders on three
   hot products with little stock (each with an ``Idempotency-Key``), cancels of
   their own orders, manual stock and loyalty adjustments, registrations, order
   reads. Then the audit below.
2. sigkill — the same workload; part-way through, the service process is killed
   with SIGKILL and restarted while the clients keep going (an order whose
   response was lost is re-sent with the same key). Then the same audit, plus:
   everything the clients saw acknowledged is in the database as acknowledged.
   sigterm — the same, stopped with SIGTERM as a process manager would: it must
   exit (draining the requests in flight) within 15 s; the same audits.
3. race — a proxy delays every packet between the services and MariaDB, and many
   buyers at once ask for the last units of one product: exactly the stock must
   be sold. The original architecture (bench/baseline.py) runs the same race
   first, to show the race is real.

The audit reads only the database (plus the stock and points it read before the
run), through the core's books-balance audit (``shopcore.audit``, see its docs):
for every product, start − sold + returned ± manual = stock, and its ledger
chains to it; for every customer, start + earned − revoked ± manual = points,
likewise; the ledger moved exactly what each order says; a confirmation per
order and one cancellation notice per cancelled order, no notice without an
order; no order without items; items sum to the subtotal and subtotal + tax to
the total. Here besides: one idempotency key per order, no item without an
order. No response may be a 5xx. Exit status 1 if anything fails.

With ``--galera`` (``SHOPCORE_GALERA_URLS`` naming the nodes of a running
cluster, see ``scripts/galera.sh``) only one phase runs instead: galera — the
mixed workload against one service process per node (ports 5001–5005, 5101–5105,
5201–5205), each client staying on one node; then the audits above on every node.
There alone one 503 ``storage_unavailable`` answer per run is allowed: a
cross-node race on the hot rows could outlast a call's time budget, and such a
call is refused whole (none in 20 consecutive runs since cancels and
adjustments lock their hot rows last; 0–4 per run before).

    python bench/soak.py              # make soak
    python bench/soak.py --short      # the short form make test runs
    python bench/soak.py --galera --short   # the Galera phase of make test

The summary is also written to ``bench/results/soak.md`` (``soak_short.md``,
``soak_galera.md``, ``soak_galera_short.md``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    ROOT,
    SERVICE_PORTS,
    Service,
    admin,
    baseline_services,
    database_name,
    fresh_database,
    gunicorn_order_service,
    one_row,
    port_free,
    running,
    server_url,
    via_port,
)
from results import table as md_table
from results import write_result

import shopcore

ORDER, INVENTORY, PRICING, CUSTOMER = 5001, 5002, 5003, 5004
PRODUCTS = [1, 2, 3, 4, 5]
HOT = [1, 2, 3]
HOT_STOCK = 25
SEED_CUSTOMERS = [1, 2, 3]
RACE_PRODUCT = 4
RACE_STOCK = 10
PROXY_PORT = 13306


# --------------------------------------------------------------------------- the workload


@dataclass
class Seen:
    """What the clients saw acknowledged, and what they cannot know (lost responses)."""

    orders: dict[int, Decimal] = field(default_factory=dict)  # order id -> acknowledged total
    keys: dict[str, int] = field(default_factory=dict)  # idempotency key -> order id
    replays: int = 0
    cancelled: set[int] = field(default_factory=set)
    cancel_unknown: set[int] = field(default_factory=set)
    registered: dict[int, str] = field(default_factory=dict)  # customer id -> email
    stock_acked: Counter[int] = field(default_factory=Counter)
    stock_unknown: Counter[int] = field(default_factory=Counter)
    points_acked: Counter[int] = field(default_factory=Counter)
    points_unknown: Counter[int] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    lost: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def customers(self) -> list[int]:
        with self.lock:
            return SEED_CUSTOMERS + list(self.registered)


class Client:
    """One of the concurrent clients: keep-alive connections, one per service."""

    def __init__(self, index: int, seen: Seen, budget: Budget, run: str, port_offset: int = 0):
        self.index, self.seen, self.budget, self.run = index, seen, budget, run
        self.port_offset = port_offset  # the services this client talks to listen on port + offset
        self.rng = random.Random(index)
        self.conns: dict[int, http.client.HTTPConnection] = {}
        self.mine: list[int] = []  # acknowledged orders of this client, not cancelled
        self.registrations = 0

    def call(self, method: str, port: int, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any] | None:
        """The status and JSON body, or ``None`` if the connection failed (outcome unknown)."""
        port += self.port_offset
        # Each client calls from a loopback address of its own, as separate
        # shoppers would: the per-address throttles (10 registrations in 15
        # minutes) then count each client apart.
        source = (f"127.0.{1 + self.index // 250}.{2 + self.index % 250}", 0)
        conn = self.conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=source)
        self.conns[port] = conn
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            del self.conns[port]
            with self.seen.lock:
                self.seen.lost += 1
            return None
        payload = json.loads(data, parse_float=Decimal) if data else None
        code = payload.get("code", "") if isinstance(payload, dict) else ""
        with self.seen.lock:
            self.seen.statuses[f"{response.status} {code}".strip()] += 1
            if response.status >= 500:
                self.seen.server_errors.append(f"{method} {path} {body} -> {response.status} {payload}")
        return response.status, payload

    def wait_until_up(self, port: int) -> None:
        deadline = time.monotonic() + 60
        while port_free(port + self.port_offset) and time.monotonic() < deadline:
            time.sleep(0.05)

    def lines(self) -> list[dict[str, int]]:
        count = self.rng.choice([1, 1, 2, 3])
        pool = [*HOT, self.rng.choice([4, 5])]
        return [{"product_id": p, "quantity": self.rng.randint(1, 3)} for p in self.rng.sample(pool, count)]

    def place_order(self) -> None:
        key = f"{self.run}-{uuid.uuid4().hex}"
        body = {"customer_id": self.rng.choice(self.seen.customers()), "products": self.lines()}
        deadline = time.monotonic() + 90
        while True:  # a lost response is re-sent with the same key: the retry is safe
            result = self.call("POST", ORDER, "/api/orders/create", body, {"Idempotency-Key": key})
            if result is not None:
                break
            if time.monotonic() > deadline:
                with self.seen.lock:
                    self.seen.failures.append(f"order with key {key} never answered")
                return
            self.wait_until_up(ORDER)
        status, payload = result
        if status == 201:
            with self.seen.lock:
                self.seen.orders[payload["order_id"]] = payload["total_amount"]
                self.seen.keys[key] = payload["order_id"]
                self.seen.replays += bool(payload["replayed"])
            self.mine.append(payload["order_id"])

    def cancel(self) -> None:
        if not self.mine:
            return
        order_id = self.mine.pop(self.rng.randrange(len(self.mine)))
        result = self.call("POST", ORDER, f"/api/orders/{order_id}/cancel")
        with self.seen.lock:
            if result is None:
                self.seen.cancel_unknown.add(order_id)
            elif result[0] == 200:
                self.seen.cancelled.add(order_id)
            elif result[0] == 503:  # refused whole (counted as a 5xx): the order stays placed
                self.mine.append(order_id)
            else:
                self.seen.failures.append(f"cancel of acknowledged order {order_id} refused: {result}")
        if result is None:
            self.wait_until_up(ORDER)

    def read_order(self) -> None:
        if not self.mine:
            return
        order_id = self.rng.choice(self.mine)
        result = self.call("GET", ORDER, f"/api/orders/{order_id}")
        if result is None:
            self.wait_until_up(ORDER)
        elif result[0] != 200 or result[1]["total_amount"] != self.seen.orders[order_id]:
            with self.seen.lock:
                self.seen.failures.append(f"acknowledged order {order_id} reads back as {result}")

    def adjust(self, port: int, method: str, path: str, body: dict[str, int], target: int, acked: Counter[int], unknown: Counter[int]) -> None:
        """A manual adjustment of ``target``: counted as acknowledged, or as
        unanswered when the response was lost (it may or may not have happened)."""
        result = self.call(method, port, path, body)
        with self.seen.lock:
            if result is None:
                unknown[target] += 1
            elif result[0] == 200:
                acked[target] += 1
        if result is None:
            self.wait_until_up(port)

    def nonzero(self, low: int, high: int) -> int:
        """A change in ``low..=high`` other than 0 (a zero change moves nothing,
        so it leaves no ledger entry to count)."""
        return self.rng.choice([n for n in range(low, high + 1) if n])

    def adjust_stock(self) -> None:
        product = self.rng.choice(PRODUCTS)
        self.adjust(
            INVENTORY,
            "POST",
            "/api/inventory/update",
            {"product_id": product, "stock_change": self.nonzero(-4, 8)},
            product,
            self.seen.stock_acked,
            self.seen.stock_unknown,
        )

    def adjust_points(self) -> None:
        customer = self.rng.choice(self.seen.customers())
        self.adjust(
            CUSTOMER, "PUT", f"/api/customers/{customer}/loyalty", {"points": self.nonzero(-30, 40)}, customer, self.seen.points_acked, self.seen.points_unknown
        )

    def register(self) -> None:
        self.registrations += 1
        email = f"{self.run}-{self.index}-{self.registrations}@example.com"
        body = {"name": f"Soak Client {self.index}", "email": email, "password": "correct horse battery"}
        result = self.call("POST", CUSTOMER, "/api/customer/register", body)
        if result is None:
            self.wait_until_up(CUSTOMER)
        elif result[0] == 201:
            with self.seen.lock:
                self.seen.registered[result[1]["customer_id"]] = email

    def quote(self) -> None:
        if self.call("POST", PRICING, "/api/pricing/calculate", {"products": self.lines()}) is None:
            self.wait_until_up(PRICING)

    def run_until_spent(self) -> None:
        operations = [
            (self.quote, 20),
            (self.place_order, 35),
            (self.cancel, 8),
            (self.read_order, 10),
            (self.adjust_stock, 12),
            (self.adjust_points, 10),
            (self.register, 5),
        ]
        actions, weights = zip(*operations, strict=False)
        while self.budget.take():
            self.rng.choices(actions, weights)[0]()
        for conn in self.conns.values():
            conn.close()


class Budget:
    """A fixed number of requests shared by all clients."""

    def __init__(self, total: int):
        self.left, self.total, self.lock = total, total, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0

    @property
    def spent(self) -> int:
        with self.lock:
            return self.total - max(self.left, 0)


# --------------------------------------------------------------------------- the audit


def snapshot(db: str) -> tuple[dict[int, int], dict[int, int]]:
    """Stock by product and points by customer, before the run."""
    conn = admin(db)
    with conn.cursor() as c:
        c.execute("SELECT product_id, quantity_available FROM inventory")
        stock = dict(c.fetchall())
        c.execute("SELECT customer_id, loyalty_points FROM customers")
        points = dict(c.fetchall())
    conn.close()
    return stock, points


def audit(db: str, start_stock: dict[int, int], start_points: dict[int, int], server: str | None = None) -> list[str]:
    """Everything that must hold in the database after any run. Returns the failures.

    The books balance is ``shopcore.audit`` in the core (the same function the
    conformance suite runs on every store), over what the MySQL adapter exports;
    only what is particular to this workload is checked here: every order it
    places carries an idempotency key, and no item is left without an order."""
    engine = shopcore.Engine.mysql(f"{server or server_url()}/{db}", migrate=False, max_connections=1)
    failures = engine.audit(opening_stock=start_stock, opening_points=start_points)
    conn = admin(db, server)
    with conn.cursor() as c:
        c.execute("SELECT o.order_id, (SELECT COUNT(*) FROM idempotency_keys k WHERE k.order_id = o.order_id) FROM orders o")
        failures += [f"order {order}: {keys} idempotency keys" for order, keys in c.fetchall() if keys != 1]
        c.execute("SELECT COUNT(*) FROM order_items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = i.order_id)")
        (orphans,) = one_row(c)
        if orphans:
            failures.append(f"{orphans} order items without an order")
    conn.close()
    return failures


def acknowledged_are_kept(db: str, seen: Seen, server: str | None = None) -> list[str]:
    """Everything a client saw acknowledged is in the database as acknowledged."""
    failures: list[str] = []
    conn = admin(db, server)
    with conn.cursor() as c:
        c.execute("SELECT order_id, status, total_amount FROM orders")
        orders = {order: (status, total) for order, status, total in c.fetchall()}
        c.execute("SELECT idempotency_key, order_id FROM idempotency_keys")
        keys = dict(c.fetchall())
        c.execute("SELECT customer_id, email FROM customers")
        emails = dict(c.fetchall())
        c.execute("SELECT product_id, COUNT(*) FROM ledger_entries WHERE reason = 'manual' AND product_id IS NOT NULL GROUP BY product_id")
        stock_rows = Counter(dict(c.fetchall()))
        c.execute("SELECT customer_id, COUNT(*) FROM ledger_entries WHERE reason = 'manual' AND customer_id IS NOT NULL GROUP BY customer_id")
        points_rows = Counter(dict(c.fetchall()))
    conn.close()
    for order, total in seen.orders.items():
        status, stored = orders.get(order, (None, None))
        expected = "cancelled" if order in seen.cancelled else "created"
        if stored != total:
            failures.append(f"acknowledged order {order} (total {total}) stored as {stored}")
        elif status != expected and order not in seen.cancel_unknown:
            failures.append(f"acknowledged order {order} is {status}, expected {expected}")
    failures += [f"key {key} acknowledged order {order}, stored for {keys.get(key)}" for key, order in seen.keys.items() if keys.get(key) != order]
    failures += [
        f"registered customer {customer} ({email}) stored as {emails.get(customer)}"
        for customer, email in seen.registered.items()
        if emails.get(customer) != email
    ]
    for name, rows, acked, unknown in [
        ("product", stock_rows, seen.stock_acked, seen.stock_unknown),
        ("customer", points_rows, seen.points_acked, seen.points_unknown),
    ]:
        for key in set(rows) | set(acked):
            if not acked[key] <= rows[key] <= acked[key] + unknown[key]:
                failures.append(f"{name} {key}: {rows[key]} adjustments stored, {acked[key]} acknowledged, {unknown[key]} unanswered")
    return failures


# --------------------------------------------------------------------------- the phases


@dataclass
class PhaseResult:
    name: str
    requests: int
    seconds: float
    seen: Seen
    failures: list[str]
    detail: str = ""

    def row(self) -> str:
        s = self.seen
        by_class = Counter(status.split()[0][0] + "xx" for status in s.statuses.elements())
        verdict = "ok" if not self.failures else f"{len(self.failures)} FAILED"
        return (
            f"{self.name:<8} | {self.requests:>8} | {self.requests / self.seconds:>6.0f} | {by_class['2xx']:>6} | "
            f"{by_class['4xx']:>5} | {by_class['5xx']:>3} | {s.lost:>4} | {len(s.orders):>6} | "
            f"{len(s.cancelled):>6} | {s.replays:>7} | {verdict}  {self.detail}"
        )

    def cells(self) -> list[str]:
        """The row as markdown cells (bench/results)."""
        s = self.seen
        by_class = Counter(status.split()[0][0] + "xx" for status in s.statuses.elements())
        verdict = "ok" if not self.failures else f"{len(self.failures)} FAILED"
        counts = [self.requests, f"{self.requests / self.seconds:.0f}", by_class["2xx"], by_class["4xx"], by_class["5xx"], s.lost]
        return [self.name, *map(str, counts), str(len(s.orders)), str(len(s.cancelled)), str(s.replays), verdict, self.detail.replace("|", "/")]


HEADER = (
    f"{'phase':<8} | {'requests':>8} | {'req/s':>6} | {'2xx':>6} | {'4xx':>5} | {'5xx':>3} | {'lost':>4} | "
    f"{'orders':>6} | {'cancel':>6} | {'replays':>7} | audit"
)


def services_on(url: str, port_offset: int = 0) -> Service:
    """All five services in one process (``serve.py``) on the MySQL database
    ``url``, each on its port + ``port_offset``."""
    # Legacy mode: the soak's clients are the original backend's, without tokens.
    env = dict(os.environ, DATABASE_URL=url, SHOPCORE_AUTH="legacy")
    return Service([sys.executable, "-m", "shopcore_services.serve", "--port-offset", str(port_offset)], [port + port_offset for port in SERVICE_PORTS], env)


def hot_database(url: str) -> tuple[str, dict[int, int], dict[int, int]]:
    """Gives the hot products of the fresh database ``url`` little stock;
    answers its name and the stock and points the audit starts from."""
    db = database_name(url)
    conn = admin(db)
    with conn.cursor() as c:
        c.execute("UPDATE inventory SET quantity_available = %s WHERE product_id IN (1, 2, 3)", (HOT_STOCK,))
    conn.close()
    start_stock, start_points = snapshot(db)
    return db, start_stock, start_points


def start_clients(args: argparse.Namespace, name: str, seen: Seen, budget: Budget, offsets: list[int]) -> list[threading.Thread]:
    """``args.clients`` clients, client i on the services at port offset ``offsets[i % len(offsets)]``."""
    clients = [Client(i, seen, budget, f"{name}{uuid.uuid4().hex[:6]}", offsets[i % len(offsets)]) for i in range(args.clients)]
    threads = [threading.Thread(target=c.run_until_spent) for c in clients]
    for t in threads:
        t.start()
    return threads


CONFLICT_COUNTERS = ("wsrep_local_cert_failures", "wsrep_local_bf_aborts")


def server_conflicts(nodes: list[str]) -> Counter[str]:
    """The Galera conflict counters summed over ``nodes``: write sets refused at
    certification, and local transactions aborted by another node's write set."""
    total: Counter[str] = Counter()
    for node in nodes:
        conn = admin(None, node)
        with conn.cursor() as c:
            c.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (%s, %s)", CONFLICT_COUNTERS)
            for name, value in c.fetchall():
                total[str(name).lower()] += int(value)
        conn.close()
    return total


def adapter_reruns(offsets: list[int]) -> Counter[str]:
    """The transactions the adapter reran, by cause, summed over the service
    processes at port ``offsets`` (one engine each, read from its ``/metrics``)."""
    total: Counter[str] = Counter()
    prefix = 'shopcore_transaction_retries_total{cause="'
    for offset in offsets:
        conn = http.client.HTTPConnection("127.0.0.1", SERVICE_PORTS[0] + offset, timeout=10)
        conn.request("GET", "/metrics")
        for line in conn.getresponse().read().decode().splitlines():
            if line.startswith(prefix):
                cause, _, value = line[len(prefix) :].partition('"} ')
                total[cause] += int(float(value))
        conn.close()
    return total


def galera_phase(args: argparse.Namespace, nodes: list[str]) -> PhaseResult:
    """The mixed workload against one service process per Galera node, then
    every audit on every node."""
    offsets = [100 * i for i in range(len(nodes))]
    with fresh_database(prefix="shopcore_galera_soak") as url:
        db, start_stock, start_points = hot_database(url)
        services = [services_on(f"{node}/{db}", offset) for node, offset in zip(nodes, offsets, strict=True)]
        seen, budget = Seen(), Budget(args.requests)
        with running(*services):
            conflicts_before = server_conflicts(nodes)
            started = time.monotonic()
            for t in start_clients(args, "galera", seen, budget, offsets):
                t.join()
            elapsed = time.monotonic() - started
            conflicts = server_conflicts(nodes) - conflicts_before
            reruns = adapter_reruns(offsets)
        # A cross-node race on the hot rows could outlast a call's time budget:
        # such a call is answered 503 storage_unavailable and changes nothing
        # (the audits below check that). One per run is allowed; any other 5xx is not.
        busy = [e for e in seen.server_errors if "503 {'code': 'storage_unavailable'" in e]
        failures = list(seen.failures) + [f"5xx: {e}" for e in seen.server_errors if e not in busy]
        if len(busy) > 1:
            failures += [f"too many 503 storage_unavailable ({len(busy)}): {e}" for e in busy]
        for node in nodes:  # each node has applied every write set (a causal read), then the audits
            conn = admin(db, node)
            with conn.cursor() as c:
                c.execute("SET SESSION wsrep_sync_wait = 1")
                c.execute("SELECT COUNT(*) FROM orders")
            conn.close()
        for number, node in enumerate(nodes, start=1):
            failures += [f"node {number}: {f}" for f in audit(db, start_stock, start_points, node)]
            failures += [f"node {number}: {f}" for f in acknowledged_are_kept(db, seen, node)]
    detail = (
        f"{len(nodes)} nodes, one service process each; audited on every node; "
        f"{len(busy)} refused as too busy (at most 1 allowed); the servers counted "
        f"{conflicts['wsrep_local_cert_failures']} certification failures and "
        f"{conflicts['wsrep_local_bf_aborts']} brute-force aborts, the adapter reran "
        f"{dict(sorted(reruns.items()))}"
    )
    return PhaseResult("galera", args.requests, elapsed, seen, failures, detail)


def workload_phase(name: str, args: argparse.Namespace, kill_at: float | None, signal_name: str = "SIGKILL") -> PhaseResult:
    with fresh_database(prefix="shopcore_soak") as url:
        db, start_stock, start_points = hot_database(url)
        service = services_on(url)
        seen, budget = Seen(), Budget(args.requests)
        detail = ""
        with running(service):
            started = time.monotonic()
            threads = start_clients(args, name, seen, budget, [0])
            stop_failures: list[str] = []
            if kill_at is not None:
                while budget.spent < kill_at * args.requests:
                    time.sleep(0.01)
                killed_after = budget.spent
                if signal_name == "SIGTERM":
                    took = service.terminate(deadline=15)
                    if took is None:
                        stop_failures.append("the service did not exit within 15 s of SIGTERM")
                        detail = f"SIGTERM after {killed_after} requests: NOT exited in 15 s, killed"
                    else:
                        detail = f"SIGTERM after {killed_after} requests: exited in {took:.2f} s, restarted"
                else:
                    service.kill()
                    detail = f"SIGKILL after {killed_after} requests, restarted"
                time.sleep(0.5)  # clients meet a closed port meanwhile
                service.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
        failures = list(seen.failures) + stop_failures
        failures += [f"5xx: {e}" for e in seen.server_errors]
        failures += audit(db, start_stock, start_points)
        failures += acknowledged_are_kept(db, seen)
    return PhaseResult(name, args.requests, elapsed, seen, failures, detail)


def buy_last_units(port: int, buyers: int) -> tuple[list[tuple[int, Any]], list[int]]:
    """``buyers`` concurrent orders for one unit of the race product (half with a
    second product in the cart); returns the responses and the acknowledged order ids."""
    barrier = threading.Barrier(buyers)
    responses: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def buy(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        lines = [{"product_id": RACE_PRODUCT, "quantity": 1}]
        if i % 2:
            lines.append({"product_id": 2, "quantity": 1})
        body = json.dumps({"customer_id": SEED_CUSTOMERS[i % 3], "products": lines})
        conn.connect()
        barrier.wait()
        try:
            conn.request("POST", "/api/orders/create", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            result = (response.status, json.loads(data, parse_float=Decimal) if data else None)
        except (OSError, http.client.HTTPException) as err:
            result = (0, repr(err))
        conn.close()
        with lock:
            responses.append(result)

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sold = [payload["order_id"] for status, payload in responses if status == 201]
    return responses, sold


def race_phase(args: argparse.Namespace, system: str) -> PhaseResult:
    """The last-units race through the packet-delay proxy, for ``system`` =
    "shopcore" (must sell exactly the stock) or "baseline" (reported only)."""
    mysql_port = urlparse(server_url()).port or 3306
    proxy = Service(
        [sys.executable, str(ROOT / "bench" / "delay_proxy.py"), "--listen", str(PROXY_PORT), "--target", str(mysql_port), "--delay-ms", str(args.delay_ms)],
        [PROXY_PORT],
        http=False,
    )
    seen, failures, sold_per_round = Seen(), [], []
    with fresh_database(stock=1_000_000, prefix="shopcore_race") as url:
        db = database_name(url)
        proxied = via_port(url, PROXY_PORT)
        if system == "shopcore":
            services, port = [gunicorn_order_service(proxied, 7001, args.workers, args.threads)], 7001
        else:
            services, port = baseline_services(proxied, 6001), 6001
        rounds = args.race_rounds if system == "shopcore" else 1
        started = time.monotonic()
        with running(proxy, *services):
            for round_ in range(rounds):
                conn = admin(db)
                with conn.cursor() as c:
                    c.execute("UPDATE inventory SET quantity_available = %s WHERE product_id = %s", (RACE_STOCK, RACE_PRODUCT))
                conn.close()
                responses, sold = buy_last_units(port, args.race_buyers)
                sold_per_round.append(len(sold))
                for status, payload in responses:
                    code = payload.get("code", "") if isinstance(payload, dict) else ""
                    seen.statuses[f"{status} {code}".strip()] += 1
                    if status >= 500 or status == 0:
                        seen.server_errors.append(f"{status} {payload}")
                conn = admin(db)
                with conn.cursor() as c:
                    c.execute("SELECT quantity_available FROM inventory WHERE product_id = %s", (RACE_PRODUCT,))
                    (left,) = one_row(c)
                conn.close()
                if system == "shopcore":
                    if len(sold) != RACE_STOCK or left != 0:
                        failures.append(f"round {round_}: {len(sold)} sold of {RACE_STOCK}, {left} left")
                    failures += [
                        f"round {round_}: refused with {s} {p}" for s, p in responses if s != 201 and not (s == 400 and p.get("code") == "insufficient_stock")
                    ]
        elapsed = time.monotonic() - started
        failures += [f"5xx: {e}" for e in seen.server_errors]
    detail = f"{args.race_buyers} buyers x {rounds} rounds for the last {RACE_STOCK} units, {args.delay_ms} ms delay each way: sold {sold_per_round}"
    name = "race" if system == "shopcore" else "race(a)"
    result = PhaseResult(name, args.race_buyers * rounds, elapsed, seen, failures, detail)
    if system == "baseline":
        result.failures = []  # the yardstick is expected to oversell; reported, not judged
        result.detail += f" (original architecture; {len(seen.server_errors)} server errors; not judged)"
    return result


def write_markdown(args: argparse.Namespace, results: list[PhaseResult], failed: list[PhaseResult]) -> None:
    """The summary as ``bench/results/soak[_galera][_short].md``."""
    columns = ["phase", "requests", "req/s", "2xx", "4xx", "5xx", "lost", "orders", "cancel", "replays", "audit", "detail"]
    parts = [md_table(columns, [r.cells() for r in results], align="l" + "r" * 9 + "ll"), "Answers by status and code:"]
    parts.append("\n".join(f"- {r.name}: " + ", ".join(f"{k}: {v}" for k, v in sorted(r.seen.statuses.items())) for r in results))
    for result in failed:
        more = f"\n- ... and {len(result.failures) - 10} more" if len(result.failures) > 10 else ""
        parts.append(f"{result.name} FAILED:\n\n" + "\n".join(f"- `{failure}`" for failure in result.failures[:10]) + more)
    parts.append("Soak: " + ("FAILED." if failed else "every audit passed."))
    name = "soak" + ("_galera" if args.galera else "") + ("_short" if args.short else "")
    how = (
        "the Galera phase (one service process per node)"
        if args.galera
        else f"{args.race_buyers} buyers × {args.race_rounds} race rounds, {args.delay_ms:g} ms delay"
    )
    write_result(
        name,
        "Soak" + (" on Galera" if args.galera else "") + (", short form" if args.short else ""),
        "\n\n".join(parts),
        program="bench/soak.py" + (" --galera" if args.galera else "") + (" --short" if args.short else ""),
        settings=f"{args.requests} requests per workload phase from {args.clients} clients; {how}; each phase on a fresh database, audited from it.",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="the short form run by make test")
    parser.add_argument("--requests", type=int, help="per workload phase (default 6000, short 1200)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--race-buyers", type=int, default=64)
    parser.add_argument("--race-rounds", type=int, help="default 5, short 2")
    parser.add_argument("--delay-ms", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--galera", action="store_true", help="only the Galera phase, on the nodes SHOPCORE_GALERA_URLS names")
    args = parser.parse_args()
    args.requests = args.requests or (1200 if args.short else 6000)
    args.race_rounds = args.race_rounds or (2 if args.short else 5)

    print(HEADER, flush=True)
    results = []
    nodes = os.environ.get("SHOPCORE_GALERA_URLS", "").split()
    if args.galera and len(nodes) < 2:
        parser.error("--galera needs SHOPCORE_GALERA_URLS to name the cluster's nodes (scripts/galera.sh urls)")
    if args.galera:
        os.environ["SHOPCORE_TEST_MYSQL_URL"] = nodes[0]  # the fresh database is made on the first node
    phases: tuple[Callable[[], PhaseResult], ...] = (
        (lambda: galera_phase(args, nodes),)
        if args.galera
        else (
            lambda: workload_phase("mixed", args, None),
            lambda: workload_phase("sigkill", args, 0.4),
            lambda: workload_phase("sigterm", args, 0.4, "SIGTERM"),
            lambda: race_phase(args, "baseline"),
            lambda: race_phase(args, "shopcore"),
        )
    )
    for phase in phases:
        result = phase()
        results.append(result)
        print(result.row(), flush=True)
    print()
    for result in results:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result.seen.statuses.items()))
        print(f"{result.name}: {statuses}")
    failed = [r for r in results if r.failures]
    for result in failed:
        print(f"\n{result.name} FAILED:")
        for failure in result.failures[:40]:
            print(f"  {failure}")
        if len(result.failures) > 40:
            print(f"  ... and {len(result.failures) - 40} more")
    print("\nsoak: " + ("FAILED" if failed else "every audit passed"))
    write_markdown(args, results, failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
