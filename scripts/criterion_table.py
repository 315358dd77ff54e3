#!/usr/bin/env python3
"""Print criterion results (target/criterion/<group>/**/new/estimates.json) as a table.

Usage: criterion_table.py GROUP [GROUP ...]
Rows are the first path level below the group, columns the second (or one
"time" column). Times are the mean point estimate.
"""

import json
import os
import sys

ROOT = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")


def fmt(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


def table(group: str) -> None:
    base = os.path.join(ROOT, group)
    if not os.path.isdir(base):
        print(f"(no results for {group})")
        return
    cells = {}
    for dirpath, _dirs, files in os.walk(base):
        if os.path.basename(dirpath) == "new" and "estimates.json" in files:
            rel = os.path.relpath(os.path.dirname(dirpath), base).split(os.sep)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                mean = json.load(f)["mean"]["point_estimate"]
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


for g in sys.argv[1:]:
    table(g)
