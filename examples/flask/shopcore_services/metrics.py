"""Prometheus metrics, served at ``GET /metrics`` by every service.

Two sources, one set of series:

- the HTTP layer counts every answered request by service, route (the URL
  rule, e.g. ``/api/orders/<int:order_id>``), method and status, times it,
  and times every checkout by outcome. Every label comes from a closed set,
  so no client can make the series grow: a path that matches no route (or
  matches one only by its path, under a method it does not take) is the
  route ``<unmatched>``, and a method outside :data:`METHODS` is ``other``;
- the engine counts what the store decided (``Engine.metrics()``): checkouts
  placed, replayed and refused by error code, transactions rerun by cause,
  and the connection pool's use. After every request (and at every scrape)
  the growth of those counters since the last look is added to Prometheus
  counters, so that they aggregate across processes like the HTTP ones.

Several worker processes (gunicorn): set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory before the workers start; each then writes its values there
and any worker's ``/metrics`` answers the sum over all of them (the pool
gauges over the live ones). :mod:`shopcore_services.gunicorn_conf` sets it up.

In enforced mode ``/metrics`` needs a staff key (any role), sent as
``Authorization: Bearer <key>``, e.g. Prometheus' ``authorization`` setting.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

import shopcore

#: The methods counted under their own name (RFC 9110's and PATCH); any other is ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})

#: The route label of a request that matched no URL rule.
UNMATCHED_ROUTE = "<unmatched>"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "shopcore_http_requests",
    "HTTP requests answered, by service, route, method and status.",
    ["service", "route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "shopcore_http_request_duration_seconds",
    "Time to answer an HTTP request, by service and route.",
    ["service", "route"],
    buckets=LATENCY_BUCKETS,
)
CHECKOUT_SECONDS = Histogram(
    "shopcore_checkout_duration_seconds",
    "Time of one checkout through the engine, by outcome (placed, replayed, refused).",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
CHECKOUTS = Counter(
    "shopcore_checkouts",
    "Checkouts the store decided: placed, replayed (an idempotency key) or refused, with the refusal's error code (empty otherwise).",
    ["outcome", "code"],
)
RETRIES = Counter(
    "shopcore_transaction_retries",
    "Transactions rerun after losing a lock race, by cause (deadlock, lock_wait, certification, stale_snapshot, busy).",
    ["cause"],
)
POOL_CONNECTIONS = Gauge(
    "shopcore_pool_connections",
    "Database connections open now, by state (in_use, idle).",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "shopcore_pool_max_connections",
    "Most connections the pools may open.",
    multiprocess_mode="livesum",
)
POOL_WAITS = Counter(
    "shopcore_pool_waits",
    "Transactions that found no idle connection and waited for one.",
)
POOL_TIMEOUTS = Counter(
    "shopcore_pool_timeouts",
    "Transactions that gave up waiting for a connection (storage_unavailable).",
)
POOL_ACQUIRE_SECONDS = Counter(
    "shopcore_pool_acquire_seconds",
    "Time spent beginning transactions: waiting for a connection plus the BEGIN.",
)


class _Seen:
    """What was last added to the Prometheus counters for one engine."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[Any, ...], float] = {}

    def grow(self, key: tuple[Any, ...], now: float) -> float:
        grown = now - self.counts.get(key, 0)
        self.counts[key] = now
        return grown


_SEEN: weakref.WeakKeyDictionary[shopcore.Engine, _Seen] = weakref.WeakKeyDictionary()
_SEEN_LOCK = threading.Lock()


def collect_engine(engine: shopcore.Engine) -> None:
    """Adds what the engine counted since the last call to the Prometheus
    series, and sets the pool gauges."""
    with _SEEN_LOCK:
        seen = _SEEN.setdefault(engine, _Seen())
    with seen.lock:
        now = engine.metrics()
        increments: list[tuple[Counter, tuple[str, ...], tuple[Any, ...], float]] = [
            (CHECKOUTS, ("placed", ""), ("placed",), now["checkouts_placed"]),
            (CHECKOUTS, ("replayed", ""), ("replayed",), now["checkouts_replayed"]),
        ]
        increments += [(CHECKOUTS, ("refused", code), ("refused", code), n) for code, n in now["checkouts_refused"].items()]
        increments += [(RETRIES, (cause,), ("retry", cause), n) for cause, n in now["transaction_retries"].items()]
        pool = now["pool"]
        if pool is not None:
            increments += [
                (POOL_WAITS, (), ("waits",), pool["waits"]),
                (POOL_TIMEOUTS, (), ("timeouts",), pool["timeouts"]),
                (POOL_ACQUIRE_SECONDS, (), ("acquire_seconds",), pool["acquire_seconds"]),
            ]
            POOL_CONNECTIONS.labels("in_use").set(pool["in_use"])
            POOL_CONNECTIONS.labels("idle").set(pool["idle"])
            POOL_MAX.set(pool["max_connections"])
        for counter, labels, key, value in increments:
            grown = seen.grow(key, value)
            if grown > 0:
                (counter.labels(*labels) if labels else counter).inc(grown)


def time_checkout(started: float, outcome: str) -> None:
    """Records one checkout's time (``started`` from ``time.perf_counter()``)."""
    CHECKOUT_SECONDS.labels(outcome).observe(time.perf_counter() - started)


def exposition(multiprocess_mode: bool = False) -> bytes:
    """The text Prometheus scrapes: this process's series, or every worker's
    in multi-process mode (``PROMETHEUS_MULTIPROC_DIR`` set: see the settings)."""
    if multiprocess_mode:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def method_label(method: str) -> str:
    """The method as a label: itself if it is one of :data:`METHODS`, else ``other``."""
    return method if method in METHODS else "other"


def route_label() -> str:
    """The request's route as a label: its URL rule (one of the app's), else
    :data:`UNMATCHED_ROUTE`."""
    return request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE


def instrument(app: Flask, service: str, engine: shopcore.Engine) -> None:
    """Counts and times every request of ``app`` and collects the engine's
    counters after each; ``GET /metrics`` is added by the caller (access)."""

    collect_engine(engine)  # the pool's gauges from the start

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        route = route_label()
        HTTP_REQUESTS.labels(service, route, method_label(request.method), str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            HTTP_SECONDS.labels(service, route).observe(time.perf_counter() - started)
        collect_engine(engine)
        return response


def metrics_response(engine: shopcore.Engine, multiprocess: bool = False) -> Response:
    """The ``/metrics`` answer, with the engine's counters brought up to date
    (``multiprocess``: the sum over every worker, see :func:`exposition`)."""
    collect_engine(engine)
    return Response(exposition(multiprocess), content_type=CONTENT_TYPE_LATEST)
