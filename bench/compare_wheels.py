"""Two builds of the shopcore wheel side by side, in one run: operations per
second through the Python bindings for each workload, and the ratio.

    python bench/compare_wheels.py --old OLD.whl --new NEW.whl [--old-label TEXT] [--new-label TEXT]
                                   [--rounds 5] [--seconds 2]

Each wheel is installed (without dependencies) into a virtualenv of its own
under ``/tmp``; every measurement is a fresh process of that virtualenv, and
the two wheels alternate within each round (each going first in turn), so
drift on the machine hits both alike. Each cell is the median of its rounds.

Workloads: ``quote`` (an in-memory quote of two lines: the binding call and
the pricing core), ``checkout memory`` (in-memory checkouts), ``checkout
mysql`` (checkouts on a fresh seeded MySQL database per measurement, one
client: the adapter and the driver) and ``login`` (Argon2id verification).
MySQL is ``SHOPCORE_TEST_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306``).

The table is printed and written to ``bench/results/wheels.md`` with the
machine, the date and the commit (bench/results.py).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from harness import fresh_database
from results import write_result

#: Run in the wheel's virtualenv: ``python -c WORKER workload seconds [url]``; prints operations done.
WORKER = r"""
import sys, time
import shopcore
workload, seconds = sys.argv[1], float(sys.argv[2])
if workload == "checkout mysql":
    engine = shopcore.Engine.mysql(sys.argv[3], migrate=False)
else:
    engine = shopcore.Engine.in_memory()
customer = engine.register(name="Bench Buyer", email="bench@example.com", password="a long enough password").customer_id
if workload == "checkout memory":
    for product in (1, 3):
        engine.adjust_stock(product, 900_000)
calls = {
    "quote": lambda: engine.quote([(1, 2), (3, 1)]),
    "checkout memory": lambda: engine.checkout(customer, [(1, 1), (3, 1)]),
    "checkout mysql": lambda: engine.checkout(customer, [(1, 1), (3, 1)]),
    "login": lambda: engine.login(email="bench@example.com", password="a long enough password"),
}
call = calls[workload]
for _ in range(3):
    call()
done = 0
ends = time.perf_counter() + seconds
while time.perf_counter() < ends:
    call()
    done += 1
print(done / seconds)
"""

WORKLOADS = ["quote", "checkout memory", "checkout mysql", "login"]


def venv_for(label: str, wheel: Path) -> Path:
    """A fresh virtualenv with only ``wheel`` installed; its Python."""
    home = Path(f"/tmp/shopcore-wheel-{label}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True)
    python = home / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True)
    return python


def measure(python: Path, workload: str, seconds: float) -> float:
    """Operations per second of one fresh process."""
    if workload == "checkout mysql":
        with fresh_database(stock=900_000, prefix="shopcore_wheels") as url:
            out = subprocess.run([str(python), "-c", WORKER, workload, str(seconds), url], check=True, capture_output=True, text=True)
    else:
        out = subprocess.run([str(python), "-c", WORKER, workload, str(seconds)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the wheel to compare against")
    parser.add_argument("--new", type=Path, required=True, help="the wheel under test")
    parser.add_argument("--old-label", help="what the old wheel is built from (default: its file name)")
    parser.add_argument("--new-label", help="what the new wheel is built from (default: its file name)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    pythons = {"old": venv_for("old", args.old), "new": venv_for("new", args.new)}
    results: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        order = ["old", "new"] if round_ % 2 == 0 else ["new", "old"]
        for workload in WORKLOADS:
            for label in order:
                rate = measure(pythons[label], workload, args.seconds)
                results.setdefault((workload, label), []).append(rate)
                print(f"round {round_ + 1} {workload:<16} {label}: {rate:10.1f}/s", flush=True)
    lines = [
        f"- old: {args.old_label or args.old.name}",
        f"- new: {args.new_label or args.new.name}",
        "",
        "| workload | old (ops/s) | new (ops/s) | new / old |",
        "|---|---:|---:|---:|",
    ]
    for workload in WORKLOADS:
        old = statistics.median(results[(workload, "old")])
        new = statistics.median(results[(workload, "new")])
        lines.append(f"| {workload} | {old:,.1f} | {new:,.1f} | {new / old:.2f} |")
    settings = f"{args.rounds} rounds of {args.seconds:g} s per cell, each cell the median, the wheels alternating."
    path = write_result("wheels", "Two wheels side by side", "\n".join(lines), program="bench/compare_wheels.py", settings=settings)
    print(path.read_text())


if __name__ == "__main__":
    main()
