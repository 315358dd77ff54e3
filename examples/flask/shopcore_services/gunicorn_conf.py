"""gunicorn settings for the services on MySQL::

    DATABASE_URL=mysql://… gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.order:create_app()'

Binds ``SHOPCORE_BIND`` (default 127.0.0.1:5001) with ``WEB_CONCURRENCY``
worker processes (default 2). Metrics run in multi-process mode: every worker
writes its values under ``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary
directory unless set; emptied at start) and any worker's ``/metrics`` answers
the sum over all of them. On SIGTERM gunicorn stops accepting and gives the
workers ``graceful_timeout`` seconds to finish the requests in flight.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
from typing import Any

bind = os.environ.get("SHOPCORE_BIND", "127.0.0.1:5001")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
graceful_timeout = 10
# Set before any worker imports prometheus_client, which reads it at import.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="shopcore-metrics-"))


def on_starting(server: Any) -> None:
    """The master, before the first worker: no values left from an earlier run."""
    for stale in pathlib.Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges (the pool's) no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
