"""``make bench``: the order flow over HTTP, side by side in one run.

Table 1 — orders/s and p99 at 1, 4 and 16 clients for
  (a) the baseline: the original architecture (bench/baseline.py), five Flask
      apps calling each other over HTTP;
  (b) the shopcore services on MySQL, as the README says for production:
      gunicorn, several worker processes sharing one database;
  (c) the shopcore services on the in-memory engine, one process;
  (d) the raw-SQL ceiling: the same SQL by hand in Rust, no HTTP, in the
      shape of the adapter's previous checkout (products locked first);
  (e) the adapter itself called from Rust, no HTTP (both from
      ``cargo bench -p shopcore-mysql --bench throughput``);
  (f) the shopcore services on one SQLite file (``make run``'s default),
      under gunicorn as (b): several worker processes sharing the file.
Then a plot (bench/results/orders_per_second.png) and
Table 2 — the cost of a quote through the Python bindings vs the pure-Python
reference pricing of the test suite, for 1, 10, 100 and 1000-line carts.

Every system gets a fresh database seeded with the demo data and deep stock.
The load is wrk (a C load generator, installed by ``scripts/ensure-wrk.sh``)
running bench/orders.lua: each client one keep-alive connection posting random
3-line orders, ``--seconds`` per cell; the generator takes at most one thread
per core it may use. ``--load python`` uses bench/load.py instead (the soak's
generator), bounded by ``--requests`` as well.

Table 3 — the serving options for (b) side by side: gunicorn (gthread) and
granian (WSGI), the same workers and threads, on the same database.

The tables are also written to ``bench/results/http.md`` (bench/results.py),
which shows the plot.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.util
import os
import re
import subprocess
import sys
import timeit
import urllib.request
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    ROOT,
    SERVICES_DIR,
    Service,
    baseline_services,
    fresh_database,
    gunicorn_order_service,
    running,
    server_url,
)
from load import HEADER, LoadResult, run_load
from results import table as md_table
from results import write_result

import shopcore

CLIENTS = [1, 4, 16]
PRODUCTS, CUSTOMERS = 5, 3  # the seed data: every order meets the others on a few hot rows
DEEP_STOCK = 100_000_000


@dataclasses.dataclass
class WrkResult:
    """One wrk run: orders placed (2xx answers), how long, latency percentiles."""

    clients: int
    orders: int
    seconds: float
    p50: float
    p99: float
    errors: dict[str, int]

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return {0.5: self.p50, 0.99: self.p99}[p]

    def row(self) -> str:
        return f"{self.clients:>7} | {self.rate:>9.1f} | {self.p50 * 1e3:>8.1f} | {self.p99 * 1e3:>8.1f} | {sum(self.errors.values()):>6}"


def run_wrk(port: int, clients: int, seconds: float) -> WrkResult:
    """wrk with bench/orders.lua against the order service on ``port``."""
    wrk = subprocess.run([str(ROOT / "scripts" / "ensure-wrk.sh")], capture_output=True, text=True, check=True).stdout.strip()
    threads = min(clients, 2)
    out = subprocess.run(
        [
            wrk,
            "-t",
            str(threads),
            "-c",
            str(clients),
            "-d",
            f"{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(ROOT / "bench" / "orders.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            str(PRODUCTS),
            str(CUSTOMERS),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(
        r"wrk-result requests=(\d+) non2xx=(\d+) socket_errors=(\d+) seconds=([\d.]+) "
        r"p50_us=(\d+) p99_us=(\d+)",
        out,
    )
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, non2xx, socket_errors = (int(match.group(i)) for i in (1, 2, 3))
    errors = {k: v for k, v in {"non-2xx": non2xx, "socket": socket_errors}.items() if v}
    return WrkResult(clients, requests - non2xx, float(match.group(4)), int(match.group(5)) / 1e6, int(match.group(6)) / 1e6, errors)


def measure(port: int, args: argparse.Namespace) -> list[LoadResult | WrkResult]:
    results: list[LoadResult | WrkResult] = []
    for clients in CLIENTS:
        result: LoadResult | WrkResult
        if args.load == "wrk":
            result = run_wrk(port, clients, args.seconds)
        else:
            result = run_load(port, clients, args.requests, args.seconds, products=PRODUCTS, customers=CUSTOMERS)
        print(result.row(), result.errors or "", flush=True)
        results.append(result)
    return results


Results = list[LoadResult | WrkResult]


def baseline(args: argparse.Namespace) -> Results:
    print("\n(a) baseline: the original architecture, five Flask apps over HTTP")
    print(HEADER)
    with fresh_database(stock=DEEP_STOCK) as url, running(*baseline_services(url, 6001)):
        return measure(6001, args)


def order_service(server: str, url: str, port: int, args: argparse.Namespace) -> Service:
    """The shopcore order service on ``url`` under ``server`` (gunicorn or granian)."""
    if server == "gunicorn":
        return gunicorn_order_service(url, port, args.workers, args.threads)
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--blocking-threads",
        str(args.threads),
        "--no-ws",
        "shopcore_services.order:create_app",
    ]
    return Service(command, [port], dict(os.environ, DATABASE_URL=url, SHOPCORE_AUTH="legacy"), SERVICES_DIR)


def shopcore_mysql(args: argparse.Namespace, server: str) -> Results:
    print(f"\n(b) shopcore on MySQL: {server}, {args.workers} workers x {args.threads} threads")
    print(HEADER)
    with fresh_database(stock=DEEP_STOCK) as url, running(order_service(server, url, 7001, args)):
        return measure(7001, args)


def shopcore_memory(args: argparse.Namespace) -> Results:
    print("\n(c) shopcore on the in-memory engine: all five services in one process")
    print(HEADER)
    env = dict(os.environ, DATABASE_URL="memory:")  # the in-memory engine (unset: serve's SQLite file)
    env["SHOPCORE_AUTH"] = "legacy"  # the load's clients are the original backend's, without tokens
    command = [sys.executable, "-m", "shopcore_services.serve"]
    with running(Service(command, [5001, 5002], env)):
        for product_id in range(1, 6):
            request = urllib.request.Request(
                "http://127.0.0.1:5002/api/inventory/update",
                method="POST",
                data=f'{{"product_id": {product_id}, "stock_change": {DEEP_STOCK}}}'.encode(),
                headers={"Content-Type": "application/json"},
            )
            urllib.request.urlopen(request).read()
        return measure(5001, args)


def shopcore_sqlite(args: argparse.Namespace) -> Results:
    print(f"\n(f) shopcore on a SQLite file: gunicorn, {args.workers} workers x {args.threads} threads on one file")
    print(HEADER)
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory(prefix="shopcore-bench-") as directory:
        url = f"sqlite://{directory}/shop.db"
        engine = shopcore.Engine.sqlite(f"{directory}/shop.db", migrate=True, seed=True)
        engine.close()
        with sqlite3.connect(f"{directory}/shop.db") as db:  # deep stock, as for the other systems
            db.execute("UPDATE inventory SET quantity_available = quantity_available + ?", (DEEP_STOCK,))
        with running(order_service("gunicorn", url, 7002, args)):
            return measure(7002, args)


def ceiling() -> dict[int, dict[str, tuple[float, float]]]:
    """(d) and (e) by clients: ``{"raw": (orders/s, p99 ms), "adapter": (…)}``."""
    print("\n(d) raw-SQL ceiling and (e) the adapter without HTTP: cargo bench -p shopcore-mysql --bench throughput")
    # The same shape as the HTTP load: 5 products, 3 customers, so the ceiling
    # meets the same row-lock contention as (a)-(c).
    # The bench writes its table to bench/results/mysql_throughput_hot.md, as make bench-mysql's second run does.
    env = dict(os.environ, SHOPCORE_TEST_MYSQL_URL=server_url(), SHOPCORE_BENCH_PRODUCTS=str(PRODUCTS), SHOPCORE_BENCH_CUSTOMERS=str(CUSTOMERS))
    out = subprocess.run(
        ["cargo", "bench", "--locked", "-q", "-p", "shopcore-mysql", "--bench", "throughput"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    print(out)
    rows: dict[int, dict[str, tuple[float, float]]] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\d+) \|\s+([\d.]+)\s+([\d.]+) \|\s+([\d.]+)\s+([\d.]+) \|", line)
        if m:
            rows[int(m.group(1))] = {"adapter": (float(m.group(2)), float(m.group(3))), "raw": (float(m.group(4)), float(m.group(5)))}
    return rows


def plot(table: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, rates in table.items():
        ax.plot(CLIENTS, rates, marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(CLIENTS, [str(c) for c in CLIENTS])
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("orders per second (log)")
    ax.set_title("Order flow throughput, one 2-core machine")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def quote_table() -> list[list[str]]:
    """Prints table 2; answers its rows."""
    spec = importlib.util.spec_from_file_location("reference", ROOT / "bindings/python/tests/test_reference_pricing.py")
    assert spec and spec.loader
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    from shopcore.testing import PricingScenario

    print("\nTable 2: one quote, Python bindings vs the pure-Python reference (best of 5)")
    print(f"{'lines':>6} | {'bindings µs':>12} | {'reference µs':>13} | {'speed-up':>8}")
    products = [(i, Decimal(500 + (i * 7919) % 100_000).scaleb(-2)) for i in range(1, 1001)]
    rules = [(i, 5, Decimal("5")) for i in range(1, 1001)] + [(i, 10, Decimal("12.5")) for i in range(1, 1001)]
    rows: list[list[str]] = []
    for lines in [1, 10, 100, 1000]:
        scenario = PricingScenario(products=products, rules=rules, lines=[(i + 1, i % 12 + 1) for i in range(lines)], tax_rate=Decimal("14"))
        price_list = shopcore.PriceList(products=products, rules=rules)  # converted once, like a store's catalog
        cart, rate = scenario.lines, scenario.tax_rate
        assert price_list.quote(cart, tax_rate=rate).total == reference.reference_quote(scenario)["total"]
        number = max(1, 2000 // lines)
        fast = min(timeit.repeat(functools.partial(price_list.quote, cart, tax_rate=rate), number=number, repeat=5)) / number
        slow = min(timeit.repeat(functools.partial(reference.reference_quote, scenario), number=max(1, number // 10), repeat=5)) / max(1, number // 10)
        print(f"{lines:>6} | {fast * 1e6:>12.1f} | {slow * 1e6:>13.1f} | {slow / fast:>7.1f}x")
        rows.append([str(lines), f"{fast * 1e6:.1f}", f"{slow * 1e6:.1f}", f"{slow / fast:.1f}x"])
    return rows


def cell(result: LoadResult | WrkResult) -> str:
    return f"{result.rate:>7.0f} ({result.percentile(0.99) * 1e3:>5.1f})"


def md_cell(rate: float, p99_ms: float) -> str:
    return f"{rate:.0f} ({p99_ms:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", choices=["wrk", "python"], default="wrk", help="the load generator")
    parser.add_argument("--requests", type=int, default=1500, help="per cell, at most (python load only)")
    parser.add_argument("--seconds", type=float, default=10, help="per cell")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    a, b, c = baseline(args), shopcore_mysql(args, "gunicorn"), shopcore_memory(args)
    f = shopcore_sqlite(args)
    g = shopcore_mysql(args, "granian")
    ceilings = ceiling()
    nan = (float("nan"), float("nan"))
    d = [ceilings.get(clients, {}).get("raw", nan) for clients in CLIENTS]
    e = [ceilings.get(clients, {}).get("adapter", nan) for clients in CLIENTS]
    table1: list[list[str]] = []
    print("\nTable 1: orders/s (p99 ms)")
    print(
        f"{'clients':>7} | {'(a) baseline':>16} | {'(b) shopcore MySQL':>19} | {'(c) in-memory':>16} | "
        f"{'(d) raw SQL':>16} | {'(e) no HTTP':>16} | {'(f) SQLite':>16} | {'b/a':>6} | {'b/d':>5} | {'b/e':>5} | {'f/b':>5}"
    )
    for i, clients in enumerate(CLIENTS):
        print(
            f"{clients:>7} | {cell(a[i]):>16} | {cell(b[i]):>19} | {cell(c[i]):>16} | "
            f"{d[i][0]:>7.0f} ({d[i][1]:>5.1f}) | {e[i][0]:>7.0f} ({e[i][1]:>5.1f}) | {cell(f[i]):>16} | "
            f"{b[i].rate / a[i].rate:>5.1f}x | {b[i].rate / d[i][0]:>4.0%} | {b[i].rate / e[i][0]:>4.0%} | {f[i].rate / b[i].rate:>4.0%}"
        )
        table1.append(
            [
                str(clients),
                *(md_cell(r.rate, r.percentile(0.99) * 1e3) for r in (a[i], b[i], c[i])),
                md_cell(*d[i]),
                md_cell(*e[i]),
                md_cell(f[i].rate, f[i].percentile(0.99) * 1e3),
                f"{b[i].rate / a[i].rate:.1f}x",
                f"{b[i].rate / d[i][0]:.0%}",
                f"{b[i].rate / e[i][0]:.0%}",
                f"{f[i].rate / b[i].rate:.0%}",
            ]
        )
    table3: list[list[str]] = []
    print(f"\nTable 3: serving (b), {args.workers} workers x {args.threads} threads: orders/s (p99 ms)")
    print(f"{'clients':>7} | {'gunicorn gthread':>16} | {'granian wsgi':>16} | {'granian/gunicorn':>16}")
    for i, clients in enumerate(CLIENTS):
        print(f"{clients:>7} | {cell(b[i]):>16} | {cell(g[i]):>16} | {g[i].rate / b[i].rate:>15.0%}")
        table3.append([str(clients), *(md_cell(r.rate, r.percentile(0.99) * 1e3) for r in (b[i], g[i])), f"{g[i].rate / b[i].rate:.0%}"])
    plot(
        {
            "(a) baseline": [r.rate for r in a],
            "(b) shopcore, MySQL": [r.rate for r in b],
            "(c) shopcore, in-memory": [r.rate for r in c],
            "(d) raw SQL ceiling": [r for r, _ in d],
            "(e) the adapter, no HTTP": [r for r, _ in e],
            "(f) shopcore, SQLite": [r.rate for r in f],
        },
        ROOT / "bench" / "results" / "orders_per_second.png",
    )
    print("plot: bench/results/orders_per_second.png")
    table2 = quote_table()
    write_markdown(args, table1, table2, table3)


def write_markdown(args: argparse.Namespace, table1: list[list[str]], table2: list[list[str]], table3: list[list[str]]) -> None:
    """The three tables and the plot as ``bench/results/http.md``."""
    load = f"wrk, {args.seconds:g} s per cell" if args.load == "wrk" else f"bench/load.py, at most {args.requests} requests or {args.seconds:g} s per cell"
    body = f"""## Orders per second (p99 ms)

(a) the original architecture, five Flask apps over HTTP; (b) the shopcore services on MySQL under gunicorn,
{args.workers} workers × {args.threads} threads; (c) the services on the in-memory engine, one process; (d) the raw-SQL
ceiling and (e) the MySQL adapter without HTTP (`cargo bench -p shopcore-mysql --bench throughput`, same catalog); (f) the
services on one SQLite file under gunicorn, as (b).

{md_table(["clients", "(a) baseline", "(b) shopcore MySQL", "(c) in-memory", "(d) raw SQL", "(e) no HTTP", "(f) SQLite", "b/a", "b/d", "b/e", "f/b"], table1)}

![orders per second against clients](../../bench/results/orders_per_second.png)

## Serving (b): gunicorn and granian, orders per second (p99 ms)

{args.workers} workers × {args.threads} threads each, the same database.

{md_table(["clients", "gunicorn gthread", "granian wsgi", "granian/gunicorn"], table3)}

## One quote: the Python bindings and the pure-Python reference (best of 5)

{md_table(["lines", "bindings µs", "reference µs", "speed-up"], table2)}
"""
    write_result(
        "http",
        "The order flow over HTTP",
        body,
        program="bench/run_bench.py",
        settings=f"{load}; random 3-line orders over {PRODUCTS} products and {CUSTOMERS} customers, deep stock, a fresh database per system.",
    )


if __name__ == "__main__":
    main()
