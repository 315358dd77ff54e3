"""HTTP load for the order flow: N concurrent clients placing orders.

Each client keeps one HTTP/1.1 connection and posts 3-line orders of random
products for random customers, until its share of ``--requests`` is done or
``--seconds`` have passed. Prints orders/s, p50/p99 latency and error counts.
Loopback only.

    python bench/load.py --port 5001 --clients 16 --requests 2000 --seconds 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    clients: int
    orders: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.orders / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    def row(self) -> str:
        errors = sum(self.errors.values())
        return f"{self.clients:>7} | {self.rate:>9.1f} | {self.percentile(0.5) * 1e3:>8.1f} | {self.percentile(0.99) * 1e3:>8.1f} | {errors:>6}"


HEADER = f"{'clients':>7} | {'orders/s':>9} | {'p50 ms':>8} | {'p99 ms':>8} | {'errors':>6}"


def run_load(
    port: int, clients: int, requests: int, seconds: float, products: int = 100, customers: int = 3, host: str = "127.0.0.1", path: str = "/api/orders/create"
) -> LoadResult:
    result = LoadResult(clients=clients)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    share = max(1, requests // clients)

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        latencies: list[float] = []
        errors: dict[str, int] = {}
        done = 0
        for _ in range(share):
            if time.monotonic() > deadline:
                break
            lines = [{"product_id": p, "quantity": rng.randint(1, 3)} for p in rng.sample(range(1, products + 1), 3)]
            body = json.dumps({"customer_id": rng.randint(1, customers), "products": lines})
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as err:
                errors[type(err).__name__] = errors.get(type(err).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            latencies.append(time.perf_counter() - started)
            if 200 <= status < 300:
                done += 1
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1
        conn.close()
        with lock:
            result.orders += done
            result.latencies.extend(latencies)
            for key, count in errors.items():
                result.errors[key] = result.errors.get(key, 0) + count

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.monotonic() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--products", type=int, default=5)
    parser.add_argument("--customers", type=int, default=3)
    args = parser.parse_args()
    print(HEADER)
    for clients in args.clients:
        result = run_load(args.port, clients, args.requests, args.seconds, args.products, args.customers)
        print(result.row(), result.errors or "", flush=True)


if __name__ == "__main__":
    main()
