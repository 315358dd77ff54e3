"""``/metrics``: who may read it, and that its numbers add up after a load.

In one process (the test client, both engines) and under gunicorn with two
worker processes on MySQL in multi-process mode: orders placed = the
checkout counter = the checkout histogram's count = 201 answers = rows in
``orders``, refusals by code likewise, whichever worker answered the scrape.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pymysql
import pytest
from prometheus_client.parser import text_string_to_metric_families

import shopcore
from shopcore_services import SERVICES

FLASK_DIR = Path(__file__).resolve().parents[1]
ADMIN_KEY = "sck_metrics-test-admin-key-0123456789abcdef"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value for family in text_string_to_metric_families(text) for s in family.samples}


def value(scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


def order_body(customer: int, quantity: int) -> dict[str, Any]:
    return {"customer_id": customer, "products": [{"product_id": 4, "quantity": quantity}]}


def test_metrics_need_a_staff_key_in_enforced_mode() -> None:
    engine = shopcore.Engine.in_memory()
    client = SERVICES["pricing"][0](engine, "enforced").test_client()
    assert client.get("/metrics").status_code == 401
    engine.register(name="Aya", email="aya@example.com", password="a long enough password")
    session = engine.login(email="aya@example.com", password="a long enough password").token
    assert client.get("/metrics", headers={"Authorization": f"Bearer {session}"}).status_code == 403
    key = engine.create_staff_key(name="prometheus", role="support").key
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    assert "shopcore_http_requests_total" in answer.get_data(as_text=True)
    legacy = SERVICES["pricing"][0](engine, "legacy").test_client()
    assert legacy.get("/metrics").status_code == 200


def random_method(rng: random.Random) -> str:
    """A made-up method: letters, at times very long (as the attack sent)."""
    length = rng.choice([3, 7, 20, 500, 60_000])
    return "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=length))


def test_random_methods_and_paths_add_no_series() -> None:
    """Labels come from a closed set: once a made-up method and an unknown path
    have been counted, 1,000 more of them (each different) add no series."""
    engine = shopcore.Engine.in_memory()
    key = engine.create_staff_key(name="prometheus", role="support").key
    client = SERVICES["order"][0](engine, "enforced").test_client()
    rng = random.Random(30)

    def scrape() -> str:
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    def unknown_path() -> str:
        return "/" + "/".join(rng.choices(["api", "orders", "x", "%0a", "1", "health"], k=rng.randint(1, 6))) + f"/{rng.getrandbits(64):x}"

    # Once each: a made-up method on a route (405) and on no route (404), an unknown path.
    assert client.open("/health", method=random_method(rng)).status_code == 405
    assert client.open(unknown_path(), method=random_method(rng)).status_code == 404
    assert client.get(unknown_path()).status_code == 404
    assert client.get("/health").status_code == 200
    scrape()
    before = scrape()
    for i in range(1000):
        path = "/health" if i % 2 else unknown_path()
        method = random_method(rng) if i % 3 else "GET"
        assert client.open(path, method=method).status_code in (200, 404, 405)
    after = scrape()
    series_before = set(samples(before))
    assert set(samples(after)) == series_before
    # The values grew a few digits; nothing else did.
    assert len(after) < len(before) * 1.05, (len(before), len(after))
    print(
        f"/metrics: {len(before)} bytes, {len(series_before)} samples; after 1,000 made-up methods "
        f"(up to 60,000 characters) and unknown paths: {len(after)} bytes, {len(samples(after))} samples"
    )
    scraped = samples(after)
    assert value(scraped, "shopcore_http_requests_total", service="order", route="<unmatched>", method="other", status="405") > 300


def test_the_numbers_add_up_in_one_process(engine: shopcore.Engine) -> None:
    key = engine.create_staff_key(name="prometheus", role="admin").key
    auth = {"Authorization": f"Bearer {key}"}
    orders = SERVICES["order"][0](engine, "enforced").test_client()

    def scrape() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        answer = orders.get("/metrics", headers=auth)
        assert answer.status_code == 200
        return samples(answer.get_data(as_text=True))

    before = scrape()
    statuses = [orders.post("/api/orders/create", json=order_body(1 + i % 3, 2), headers=auth).status_code for i in range(6)]
    statuses += [orders.post("/api/orders/create", json=order_body(1, 1000), headers=auth).status_code for _ in range(2)]
    keyed = {**auth, "Idempotency-Key": "same"}
    statuses += [orders.post("/api/orders/create", json=order_body(2, 1), headers=keyed).status_code for _ in range(2)]
    assert statuses == [201] * 6 + [400] * 2 + [201] * 2
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("shopcore_checkouts_total", outcome="placed", code="") == 7
    assert grew("shopcore_checkouts_total", outcome="replayed", code="") == 1
    assert grew("shopcore_checkouts_total", outcome="refused", code="insufficient_stock") == 2
    assert grew("shopcore_checkout_duration_seconds_count", outcome="placed") == 7
    assert grew("shopcore_checkout_duration_seconds_count", outcome="refused") == 2
    assert grew("shopcore_http_requests_total", service="order", route="/api/orders/create", method="POST", status="201") == 8
    assert grew("shopcore_http_requests_total", service="order", route="/api/orders/create", method="POST", status="400") == 2
    # The scrape before was itself counted once it was answered.
    assert grew("shopcore_http_requests_total", service="order", route="/metrics", method="GET", status="200") == 1
    assert value(after, "shopcore_transaction_retries_total", cause="deadlock") >= 0
    if engine.backend == "mysql":
        assert value(after, "shopcore_pool_max_connections") >= 4
        assert grew("shopcore_pool_acquire_seconds_total") > 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def call(port: int, method: str, path: str, body: Any = None, timeout: float = 10) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


class Gunicorn:
    """The order service under gunicorn: two sync workers (one request at a
    time each, so a concurrent load reaches both), multi-process metrics."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.port, self.metrics_dir = free_port(), tmp / "metrics"
        self.metrics_dir.mkdir()
        self.log_path = tmp / "gunicorn.log"
        self.log = self.log_path.open("wb")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SHOPCORE_ADMIN_KEY": ADMIN_KEY,
            "SHOPCORE_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:shopcore_services.gunicorn_conf", "shopcore_services.order:create_app()"],
            cwd=FLASK_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if call(self.port, "GET", "/health/ready", timeout=1)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def gunicorn(mysql_database: str, tmp_path: Path) -> Iterator[tuple[Gunicorn, str]]:
    shopcore.Engine.mysql(mysql_database, seed=True, max_connections=1)
    server = Gunicorn(mysql_database, tmp_path)
    try:
        yield server, mysql_database
    finally:
        server.stop()


def count_rows(url: str, sql: str) -> int:
    parts = urlparse(url)
    conn = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=parts.path.lstrip("/"),
        ssl_disabled=True,
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
            assert row is not None
            return int(row[0])
    finally:
        conn.close()


def test_the_numbers_add_up_across_gunicorn_workers(gunicorn: tuple[Gunicorn, str]) -> None:
    server, url = gunicorn
    # 75 monitors in stock: 40 orders of 2 can place 37; 3 are refused.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: call(server.port, "POST", "/api/orders/create", order_body(1 + i % 3, 2)), range(40)))
    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 37 and statuses.count(400) == 3, statuses
    assert count_rows(url, "SELECT COUNT(*) FROM orders") == 37
    # Both workers counted some of them (one values file per process).
    assert len(list(server.metrics_dir.glob("counter_*.db"))) == 2
    # Any worker answers the scrape with the sum over both.
    for _ in range(4):
        status, text = call(server.port, "GET", "/metrics")
        assert status == 200
        scrape = samples(text)
        assert value(scrape, "shopcore_checkouts_total", outcome="placed", code="") == 37
        assert value(scrape, "shopcore_checkouts_total", outcome="refused", code="insufficient_stock") == 3
        assert value(scrape, "shopcore_checkout_duration_seconds_count", outcome="placed") == 37
        assert value(scrape, "shopcore_http_requests_total", service="order", route="/api/orders/create", method="POST", status="201") == 37
        # Two live workers, 16 connections each at most.
        assert value(scrape, "shopcore_pool_max_connections") == 32


def test_sigterm_under_load_drains_gunicorn(gunicorn: tuple[Gunicorn, str]) -> None:
    """Every answered order is committed, none is half-written (the books
    balance), and nothing but connection refusals follows the stop."""
    server, url = gunicorn
    engine = shopcore.Engine.mysql(url, migrate=False, max_connections=1)
    engine.adjust_stock(2, 50_000)  # enough mice that stock never runs out
    answered: list[int] = []
    after_signal: list[int] = []
    failures: list[str] = []
    refused = 0
    signalled = 0.0

    def buyer(i: int) -> None:
        nonlocal refused
        while True:
            try:
                status, text = call(server.port, "POST", "/api/orders/create", {"customer_id": 1 + i % 3, "products": [{"product_id": 2, "quantity": 1}]})
            except OSError:
                refused += 1  # refused or reset once the server stopped: expected
                return
            if status == 201:
                answered.append(json.loads(text)["order_id"])
                if signalled and time.monotonic() > signalled:
                    after_signal.append(answered[-1])
            else:
                failures.append(f"{status} {text[:200]}")
                return

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(buyer, i) for i in range(8)]
        time.sleep(1.0)
        signalled = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        for f in futures:
            f.result()
    assert server.proc.wait(timeout=20) == 0
    assert not failures, failures
    assert len(answered) > 20, "the load ran before the stop"
    ids = ",".join(map(str, answered))
    assert count_rows(url, f"SELECT COUNT(*) FROM orders WHERE order_id IN ({ids})") == len(answered)
    opening_stock = {p.product_id: p.quantity_available for p in shopcore.Engine.in_memory().products()}
    opening_points = {1: 100, 2: 250, 3: 50}  # the seed customers
    assert engine.audit(opening_stock=opening_stock, opening_points=opening_points) == []
    stored = count_rows(url, "SELECT COUNT(*) FROM orders")
    print(
        f"gunicorn SIGTERM after 1 s of 8-client load: {len(answered)} orders answered "
        f"({len(after_signal)} after the signal), all committed; {stored} stored; "
        f"{refused} clients then refused; books balanced"
    )
