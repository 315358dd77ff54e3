#!/usr/bin/env python3
"""Print criterion results (target/criterion/<group>/**/new/estimates.json) as a table.

Usage: criterion_table.py [--results NAME] GROUP [GROUP ...]
Rows are the first path level below the group, columns the second (or one
"time" column). Times are the mean point estimate. The tables are also written
to bench/results/NAME.md (default ``criterion_core``, the groups of make
bench-core) with the machine, the date and the commit (bench/results.py).
"""

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from results import table as md_table
from results import write_result

ROOT = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")


def fmt(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


def table(group: str) -> tuple[str, float] | None:
    """Prints the group's table; answers it in markdown and the time its newest estimate was written."""
    base = os.path.join(ROOT, group)
    if not os.path.isdir(base):
        print(f"(no results for {group})")
        return None
    cells = {}
    newest = 0.0
    for dirpath, _dirs, files in os.walk(base):
        if os.path.basename(dirpath) == "new" and "estimates.json" in files:
            rel = os.path.relpath(os.path.dirname(dirpath), base).split(os.sep)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                mean = json.load(f)["mean"]["point_estimate"]
            newest = max(newest, os.path.getmtime(os.path.join(dirpath, "estimates.json")))
            row, col = (rel[0], rel[1]) if len(rel) > 1 else (rel[0], "time")
            cells[(row, col)] = mean

    def key(name: str) -> tuple[int, str]:
        digits = "".join(c for c in name if c.isdigit())
        return (int(digits) if digits else 0, name)

    rows = sorted({r for r, _ in cells}, key=key)
    cols = sorted({c for _, c in cells}, key=key)
    width = max(len(r) for r in [*rows, group]) + 2
    print(f"{group:<{width}}" + "".join(f"{c:>14}" for c in cols))
    for r in rows:
        print(f"{r:<{width}}" + "".join(f"{fmt(cells[(r, c)]) if (r, c) in cells else 'n/a':>14}" for c in cols))
    print()
    markdown = md_table([group, *cols], [[r, *(fmt(cells[(r, c)]) if (r, c) in cells else "n/a" for c in cols)] for r in rows])
    return markdown, newest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="criterion_core", help="write bench/results/RESULTS.md")
    parser.add_argument("groups", nargs="+")
    args = parser.parse_args()
    found = {g: t for g in args.groups if (t := table(g)) is not None}
    if not found:
        return
    newest = datetime.datetime.fromtimestamp(max(t[1] for t in found.values()), datetime.UTC).date()
    write_result(
        args.results,
        "Criterion benchmarks: " + ", ".join(found),
        "\n\n".join(f"## {group}\n\n{markdown}" for group, (markdown, _) in found.items()),
        program="scripts/criterion_table.py " + " ".join(args.groups),
        settings=f"criterion's mean point estimates (per iteration) from {ROOT}, the newest written {newest}.",
    )


if __name__ == "__main__":
    main()
