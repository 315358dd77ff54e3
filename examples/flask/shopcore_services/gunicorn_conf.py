"""gunicorn settings for the services on MySQL, or a SQLite file on one host (the production way to run them)::

    DATABASE_URL=mysql://… gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.order:create_app()'
    DATABASE_URL=sqlite:///srv/shop/shop.db gunicorn -c python:shopcore_services.gunicorn_conf 'shopcore_services.order:create_app()'

Run ``shopcore-services migrate`` on the database first (the workers migrate on
start too, a no-op on a current schema).

The settings (:mod:`shopcore_services.settings`) are checked here, in the
master, before any worker starts: a bad value prints ``cannot start: …``
naming the variable and gunicorn exits with status 2.

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

from shopcore_services.settings import settings_or_exit

SETTINGS = settings_or_exit()

bind = SETTINGS.bind
workers = SETTINGS.web_concurrency
graceful_timeout = 10

#: Where the workers write their metrics. prometheus_client reads the variable
#: itself when a worker imports it, so it is set here, before any worker starts.
METRICS_DIR = SETTINGS.prometheus_multiproc_dir or tempfile.mkdtemp(prefix="shopcore-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR


def on_starting(server: Any) -> None:
    """The master, before the first worker: no values left from an earlier run."""
    for stale in pathlib.Path(METRICS_DIR).glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges (the pool's) no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
