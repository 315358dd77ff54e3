"""``make bench-register-flood``: quote and order latency while 64 clients register.

Issue 30 found that Argon2 ran on the engine's two async worker threads, so a
registration flood from anyone stalled every request of the process (quote
2.5 ms → 1.5 s, order → 2.9 s with 64 registering clients). The engine now
runs password work on a bounded blocking pool (cores − 1 hashes at once);
this program measures what a flood still costs the other requests.

It starts the five services in one process over one engine (in-memory seed
data, or a fresh MySQL database with ``--store mysql``; access ``legacy`` so
the probes need no token; stock made deep), then runs three phases of
``--seconds`` each, after ``--warmup`` seconds:

- ``idle``: only the probes;
- ``health flood``: ``--clients`` clients each sending ``GET /health`` to the
  customer service, back to back: an equally large flood of cheap requests;
- ``register flood``: the same clients each registering new customers back to
  back (``POST /api/customer/register``, unique emails).

The probes, throughout: one client quoting (``POST /api/pricing/calculate``)
and one placing orders (``POST /api/orders/create``), each back to back on
one keep-alive connection. Every flood request uses a new connection from a
source address of its own in 127.0.0.0/8 (all loopback on Linux), as a flood
from many hosts would: the services take the client address from the
connection, so per-address throttles (registration, login) count each
address apart and the flood stays a flood of real registrations (the 201s
are counted) without any bypass. Both floods connect the same way.

Prints one table per store: p50 and p99 of quote and order per phase, the
flood's requests per second and non-2xx answers, then the register flood's p99
over the health flood's (goal ≤ 3×); each store's table is also written to
``bench/results/register_flood_<store>.md``. Run it on a quiet machine (it
prints the load average it started at).

    python bench/register_flood.py [--store memory|mysql|both] [--clients 64] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import SERVICE_PORTS, Service, fresh_database, running
from results import table as md_table
from results import write_result

import shopcore

ORDER, INVENTORY, PRICING, CUSTOMER = 5001, 5002, 5003, 5004
DEEP_STOCK = 1_000_000
QUOTE_BODY = json.dumps({"products": [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]})
ORDER_BODY = json.dumps({"customer_id": 2, "products": [{"product_id": 2, "quantity": 1}, {"product_id": 3, "quantity": 1}]})
JSON = {"Content-Type": "application/json"}


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


@dataclass
class Probe:
    """Latencies (seconds) of one kind of request, and its failures."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1e3


@dataclass
class Phase:
    name: str
    quote: Probe = field(default_factory=Probe)
    order: Probe = field(default_factory=Probe)
    flood_requests: int = 0
    flood_failures: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class SourceAddresses:
    """A new loopback source address per call: 127.a.b.c, a, b, c in 1..250."""

    def __init__(self) -> None:
        self._next = itertools.count()
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            k = next(self._next)
        return f"127.{k // 62_500 % 250 + 1}.{k // 250 % 250 + 1}.{k % 250 + 1}"


def call(conn: http.client.HTTPConnection, method: str, path: str, body: str | None = None) -> int:
    conn.request(method, path, body=body, headers=JSON if body is not None else {})
    response = conn.getresponse()
    response.read()
    return int(response.status)


def probe_loop(port: int, path: str, body: str, probe: Probe, measuring: threading.Event, stop: threading.Event) -> None:
    """Back-to-back requests on one connection; latencies kept while ``measuring``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status = call(conn, "POST", path, body)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status = 0
        took = time.perf_counter() - started
        if measuring.is_set():
            if 200 <= status < 300:
                probe.latencies.append(took)
            else:
                probe.failures += 1
    conn.close()


def flood_loop(kind: str, phase: Phase, addresses: SourceAddresses, measuring: threading.Event, stop: threading.Event, lock: threading.Lock) -> None:
    """Back-to-back flood requests, each on a new connection from a new source address."""
    while not stop.is_set():
        conn = http.client.HTTPConnection("127.0.0.1", CUSTOMER, timeout=120, source_address=(addresses.take(), 0))
        try:
            if kind == "register":
                email = f"flood-{uuid.uuid4().hex[:16]}@example.com"
                body = json.dumps({"name": "Flood", "email": email, "password": "a-long-enough-password"})
                status = call(conn, "POST", "/api/customer/register", body)
            else:
                status = call(conn, "GET", "/health")
            outcome = "ok" if 200 <= status < 300 else str(status)
        except (OSError, http.client.HTTPException) as err:
            outcome = type(err).__name__
        finally:
            conn.close()
        if measuring.is_set():
            with lock:
                if outcome == "ok":
                    phase.flood_requests += 1
                else:
                    phase.flood_failures[outcome] = phase.flood_failures.get(outcome, 0) + 1


def run_phase(name: str, flood: str | None, clients: int, warmup: float, seconds: float, addresses: SourceAddresses) -> Phase:
    phase = Phase(name)
    measuring, stop, lock = threading.Event(), threading.Event(), threading.Lock()
    threads = [
        threading.Thread(target=probe_loop, args=(PRICING, "/api/pricing/calculate", QUOTE_BODY, phase.quote, measuring, stop)),
        threading.Thread(target=probe_loop, args=(ORDER, "/api/orders/create", ORDER_BODY, phase.order, measuring, stop)),
    ]
    if flood is not None:
        threads += [threading.Thread(target=flood_loop, args=(flood, phase, addresses, measuring, stop, lock)) for _ in range(clients)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    measuring.set()
    began = time.monotonic()
    time.sleep(seconds)
    measuring.clear()
    phase.seconds = time.monotonic() - began
    stop.set()
    for t in threads:
        t.join()
    return phase


@contextmanager
def services(store: str) -> Iterator[None]:
    """The five services in one process on ``store``, legacy access, deep stock."""
    env = dict(os.environ, DATABASE_URL="memory:")  # mysql below replaces it (unset: serve's SQLite file)
    env["SHOPCORE_AUTH"] = "legacy"  # the probes are the original backend's clients, without tokens
    command = [sys.executable, "-m", "shopcore_services.serve"]
    with ExitStack() as stack:
        if store == "mysql":
            env["DATABASE_URL"] = stack.enter_context(fresh_database(stock=DEEP_STOCK))  # seeded, deep stock
        stack.enter_context(running(Service(command, SERVICE_PORTS, env)))
        if store == "memory":
            for product_id in range(1, 6):
                conn = http.client.HTTPConnection("127.0.0.1", INVENTORY, timeout=30)
                body = json.dumps({"product_id": product_id, "stock_change": DEEP_STOCK})
                assert call(conn, "POST", "/api/inventory/update", body) == 200
                conn.close()
        yield


COLUMNS = ["phase", "flood req/s", "flood non-2xx", "quote p50", "quote p99", "order p50", "order p99", "probe fails"]
WIDTHS = [-16, 11, 13, 9, 9, 9, 9, 11]  # negative: left-aligned


def summary(phases: list[Phase]) -> tuple[list[list[str]], str, list[str]]:
    """The table's cells (latencies in ms), the register/health p99 line, and the floods' non-2xx answers."""
    rows = [
        [
            ph.name,
            f"{ph.flood_requests / ph.seconds:.0f}" if ph.name != "idle" else "-",
            str(sum(ph.flood_failures.values())),
            *(f"{probe.p(q):.1f}" for probe in (ph.quote, ph.order) for q in (0.5, 0.99)),
            str(ph.quote.failures + ph.order.failures),
        ]
        for ph in phases
    ]
    by_name = {ph.name: ph for ph in phases}
    health, register = by_name["health flood"], by_name["register flood"]
    quote_ratio = register.quote.p(0.99) / health.quote.p(0.99)
    order_ratio = register.order.p(0.99) / health.order.p(0.99)
    verdict = "within" if max(quote_ratio, order_ratio) <= 3 else "OVER"
    ratio = f"register/health p99: quote {quote_ratio:.1f}×, order {order_ratio:.1f}× ({verdict} the 3× goal)"
    return rows, ratio, [f"{ph.name} non-2xx: {ph.flood_failures}" for ph in phases if ph.flood_failures]


def table(store: str, phases: list[Phase], clients: int) -> str:
    rows, ratio, notes = summary(phases)
    lines = [
        f"\n{store}: quote and order latency through one engine, {clients} flood clients",
        " | ".join(f"{c:<{-w}}" if w < 0 else f"{c:>{w}}" for c, w in zip(COLUMNS, WIDTHS, strict=True)),
    ]
    lines += [" | ".join(f"{c:<{-w}}" if w < 0 else f"{c:>{w}}" for c, w in zip(row, WIDTHS, strict=True)) for row in rows]
    lines.append(ratio)
    lines += [f"  {note}" for note in notes]
    return "\n".join(lines)


def write_markdown(store: str, phases: list[Phase], args: argparse.Namespace, started: str) -> None:
    """The table as ``bench/results/register_flood_<store>.md``."""
    rows, ratio, notes = summary(phases)
    columns = [c if c.startswith(("phase", "flood", "probe")) else f"{c} ms" for c in COLUMNS]
    body = "\n\n".join([md_table(columns, rows), ratio + ".", *(f"- {note}" for note in notes)])
    write_result(
        f"register_flood_{store}",
        f"Quote and order latency while {args.clients} clients register ({store})",
        body,
        program="bench/register_flood.py",
        settings=f"{store} store, the five services in one process over one engine, {args.clients} flood clients, "
        f"phases of {args.seconds:g} s after {args.warmup:g} s of warm-up; {started}.",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["memory", "mysql", "both"], default="memory")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args()
    limit = getattr(shopcore.Engine.in_memory(seed=False), "password_work_limit", None)
    pool = f"password work at most {limit} at once" if limit is not None else "no password pool: Argon2 on the async workers"
    started = f"{pool}; load average at start {os.getloadavg()[0]:.2f}"
    print(f"cores {os.cpu_count()}, {started} (run on a quiet machine: < 0.5)")
    addresses = SourceAddresses()
    over = False
    for store in ["memory", "mysql"] if args.store == "both" else [args.store]:
        with services(store):
            phases = [
                run_phase("idle", None, args.clients, args.warmup, args.seconds, addresses),
                run_phase("health flood", "health", args.clients, args.warmup, args.seconds, addresses),
                run_phase("register flood", "register", args.clients, args.warmup, args.seconds, addresses),
            ]
        text = table(store, phases, args.clients)
        print(text, flush=True)
        write_markdown(store, phases, args, started)
        over |= "OVER" in text
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
