"""Where the benchmarks and soaks put their tables: ``bench/results/<name>.md``.

Each file is a title, one line saying how the numbers were made — the program,
the date (UTC), the commit (``-dirty`` when the working tree had changes other
than results), the machine and its cores, the Python — then the tables and
short notes the program printed. The files are committed and the book includes
them, so running a benchmark updates the book without editing prose.

    from results import table, write_result
    write_result("login_memory", "Memory under concurrent logins", table(["a", "b"], [[1, 2]]),
                 program="bench/login_memory.py", settings="200 logins from 64 clients")

The Rust benches (``adapters/mysql/benches/throughput.rs``,
``adapters/sqlite/benches/stores.rs``) write the same header themselves
(``shopcore_conformance::bench::write_result``).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path("bench") / "results"


def commit(root: Path | None = None) -> str:
    """The short hash of HEAD, with ``-dirty`` if the tree has changes outside
    ``bench/results`` (the results themselves change with every run); ``unknown``
    outside a git checkout. ``root`` defaults to :data:`ROOT`, this checkout."""
    root = root or ROOT
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", f":(exclude){RESULTS.as_posix()}"], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if status.strip() else sha


def header(program: str, settings: str = "", root: Path | None = None) -> str:
    """The line under the title: how, when, where the numbers were made."""
    line = (
        f"`{program}`, {datetime.datetime.now(datetime.UTC).date()}, commit {commit(root)}, "
        f"{platform.machine()} with {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    return f"{line}; {settings}" if settings else f"{line}."


def write_result(name: str, title: str, body: str, *, program: str, settings: str = "", root: Path | None = None) -> Path:
    """Writes ``bench/results/<name>.md`` under ``root``: ``# title``, the
    :func:`header` line, a blank line, ``body``. Returns the path."""
    root = root or ROOT
    path = root / RESULTS / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{header(program, settings, root)}\n\n{body.strip()}\n")
    return path


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """A markdown table, cells as given (format them first). ``align`` has an
    ``l`` or ``r`` per column; by default the first column is left-aligned and
    the others right-aligned (numbers)."""
    align = align or "l" + "r" * (len(columns) - 1)
    lines = ["| " + " | ".join(columns) + " |", "|" + "".join("---|" if a == "l" else "---:|" for a in align)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
