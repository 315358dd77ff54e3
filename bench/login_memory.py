"""``make bench-login``: memory of the service process under concurrent logins.

Starts the five services (in-memory engine, access enforced) as a child
process, registers one customer, then sends LOGINS logins from CONCURRENCY
client threads at once, sampling the process's resident memory (VmRSS) every
5 ms. Prints one table: RSS at start, the peak while logging in, and the RSS
once settled (2 s after the last login), with the growth of each over the
start. Goal (issue 12): peak growth ≤ 100 MB, settled ≤ 50 MB above start.
The table is also written to ``bench/results/login_memory.md``.

    python bench/login_memory.py [--logins 200] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Service, running
from results import table, write_result

CUSTOMER = 5004
EMAIL, PASSWORD = "bench@example.com", "a-long-enough-password"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def post(path: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{CUSTOMER}{path}", data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def write_markdown(args: argparse.Namespace, ok: int, elapsed: float, start: float, peak: float, settled: float) -> None:
    """The table as ``bench/results/login_memory.md``."""
    body = table(
        ["RSS MB", "start", "peak", "settled", "peak growth", "settled growth"],
        [["service", f"{start:.0f}", f"{peak:.0f}", f"{settled:.0f}", f"{peak - start:.0f}", f"{settled - start:.0f}"]],
    )
    write_result(
        "login_memory",
        "Memory of the service process under concurrent logins",
        f"{ok} of {args.logins} logins answered 200 in {elapsed:.1f} s ({ok / elapsed:.0f}/s).\n\n{body}\n\n"
        "Goal (issue 12): peak growth ≤ 100 MB, settled ≤ 50 MB above start.",
        program="bench/login_memory.py",
        settings=f"{args.logins} logins from {args.concurrency} clients at once, the five services in one process (in-memory, access enforced), "
        "VmRSS sampled every 5 ms, settled 2 s after the last login.",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    service = Service(
        [sys.executable, "-m", "shopcore_services.serve"],
        [5001, 5002, 5003, 5004, 5005],
        env={**os.environ, "SHOPCORE_AUTH": "enforced", "DATABASE_URL": "memory:"},
    )
    with running(service):
        assert service.proc is not None
        pid = service.proc.pid
        assert post("/api/customer/register", {"name": "Bench", "email": EMAIL, "password": PASSWORD}) == 201
        time.sleep(1)
        start = rss_mb(pid)
        peak, done = start, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb(pid))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        remaining = iter(range(args.logins))
        lock = threading.Lock()
        statuses: list[int] = []

        def client() -> None:
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                statuses.append(post("/api/customers/login", {"email": EMAIL, "password": PASSWORD}))

        began = time.monotonic()
        clients = [threading.Thread(target=client) for _ in range(args.concurrency)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        elapsed = time.monotonic() - began
        time.sleep(2)
        done.set()
        sampler.join()
        settled = rss_mb(pid)
    ok = statuses.count(200)
    print(f"{args.logins} logins from {args.concurrency} clients at once: {ok} answered 200 in {elapsed:.1f} s ({ok / elapsed:.0f}/s)")
    print(f"{'RSS MB':>10} | {'start':>7} | {'peak':>7} | {'settled':>7} | {'peak growth':>11} | {'settled growth':>14}")
    print(f"{'service':>10} | {start:7.0f} | {peak:7.0f} | {settled:7.0f} | {peak - start:11.0f} | {settled - start:14.0f}")
    write_markdown(args, ok, elapsed, start, peak, settled)
    return 0 if ok == args.logins else 1


if __name__ == "__main__":
    sys.exit(main())
