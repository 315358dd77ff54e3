"""The real servers on their ports: a customer walks register → login → browse →
quote → order → history → cancel over HTTP — in legacy mode as an original
client would, and in enforced mode (the default) with the session token from
login, while staff use the admin key installed from ``SHOPCORE_ADMIN_KEY``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

SERVICE_DIR = Path(__file__).resolve().parents[1]
PORTS = {"order": 5001, "inventory": 5002, "pricing": 5003, "customer": 5004, "notification": 5005}


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


ADMIN_KEY = "e2e-admin-key-7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c2e"


@pytest.fixture(scope="module", params=["legacy", "enforced"])
def servers(request: pytest.FixtureRequest) -> Iterator[str]:
    busy = [p for p in PORTS.values() if port_open(p)]
    if busy:
        pytest.fail(f"ports {busy} are already in use; stop whatever listens there (e.g. `make run`)")
    env = dict(os.environ, DATABASE_URL="memory:")  # the in-memory engine (unset: serve's SQLite file)
    env.update(SHOPCORE_AUTH=request.param, SHOPCORE_ADMIN_KEY=ADMIN_KEY)
    process = subprocess.Popen(
        [sys.executable, "-m", "shopcore_services.serve"],
        cwd=SERVICE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not all(port_open(p) for p in PORTS.values()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"servers did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.1)
        yield request.param
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def call(service: str, method: str, path: str, payload: object = None, token: str | None = None) -> tuple[int, Any]:
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{PORTS[service]}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read(), parse_float=Decimal)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read(), parse_float=Decimal)


def test_a_customer_journey_over_http(servers: str) -> None:
    enforced = servers == "enforced"
    for service in PORTS:
        assert call(service, "GET", "/health")[1]["service"] == service

    status, me = call(
        "customer", "POST", "/api/customer/register", {"name": "Yara Fathy", "email": "yara@example.com", "phone": "0100 000 0000", "password": "nile-at-night"}
    )
    assert status == 201
    status, logged_in = call("customer", "POST", "/api/customers/login", {"email": "yara@example.com", "password": "nile-at-night"})
    assert (status, logged_in["customer_id"]) == (200, me["customer_id"])
    token = logged_in["token"] if enforced else None
    me_path = f"/api/customers/{me['customer_id']}"

    status, products = call("inventory", "GET", "/api/inventory/products")
    assert status == 200 and len(products) == 5
    mouse = next(p for p in products if p["product_name"] == "Mouse")
    cart = [{"product_id": 1, "quantity": 1}, {"product_id": mouse["product_id"], "quantity": 10}]

    status, quote = call("pricing", "POST", "/api/pricing/calculate", {"products": cart})
    assert (status, quote["total"]) == (200, Decimal("1430.59"))

    if enforced:  # without the token nothing of Yara's is reachable
        assert call("customer", "GET", me_path)[0] == 401
        assert call("order", "POST", "/api/orders/create", {"customer_id": me["customer_id"], "products": cart})[0] == 401
    status, placed = call("order", "POST", "/api/orders/create", {"customer_id": me["customer_id"], "products": cart}, token)
    assert (status, placed["status"], placed["total_amount"]) == (201, "success", quote["total"])
    order_id = placed["order_id"]

    status, history = call("customer", "GET", f"{me_path}/orders", token=token)
    assert [o["order_id"] for o in history["orders"]] == [order_id]
    assert call("customer", "GET", me_path, token=token)[1]["loyalty_points"] == 125
    assert call("inventory", "GET", f"/api/inventory/check/{mouse['product_id']}")[1]["quantity_available"] == 190
    if enforced:  # stock is staff work: the customer may not, the admin key may
        restock = {"product_id": mouse["product_id"], "stock_change": 5}
        assert call("inventory", "POST", "/api/inventory/update", restock, token)[0] == 403
        assert call("inventory", "POST", "/api/inventory/update", restock, ADMIN_KEY)[0] == 200
        assert call("inventory", "POST", "/api/inventory/update", {**restock, "stock_change": -5}, ADMIN_KEY)[0] == 200

    status, cancelled = call("order", "POST", f"/api/orders/{order_id}/cancel", token=token)
    assert (status, cancelled["order_status"]) == (200, "cancelled")
    assert call("customer", "GET", me_path, token=token)[1]["loyalty_points"] == 0
    assert call("inventory", "GET", f"/api/inventory/check/{mouse['product_id']}")[1]["quantity_available"] == 200
    log = call("notification", "GET", f"/api/notifications?order_id={order_id}", token=token)[1]["notifications"]
    assert [n["notification_type"] for n in log] == ["order_cancellation", "order_confirmation"]
    status, order = call("order", "GET", f"/api/orders/{order_id}", token=token)
    assert (status, order["status"]) == (200, "cancelled")
    if enforced:
        assert call("customer", "POST", "/api/customers/logout", token=token)[0] == 200
        assert call("customer", "GET", me_path, token=token)[0] == 401


def test_the_server_answers_json_and_does_not_name_itself(servers: str) -> None:
    with urllib.request.urlopen("http://127.0.0.1:5003/health", timeout=10) as response:
        assert response.headers["Server"] == "shopcore"
    # A header longer than the server reads is refused before the app runs: still JSON.
    with socket.create_connection(("127.0.0.1", 5003), timeout=10) as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 431 " in head.split(b"\r\n")[0], head
    assert b"application/json" in head
    assert json.loads(body)["code"] == "invalid_request"


def test_a_chunked_body_over_the_limit_is_413(servers: str) -> None:
    body = b'{"products": [' + b" " * (1024 * 1024) + b"]}"
    with socket.create_connection(("127.0.0.1", 5003), timeout=30) as conn:
        conn.sendall(b"POST /api/pricing/calculate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for start in range(0, len(body), 65536):
                part = body[start : start + 65536]
                conn.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may stop reading once it has refused the body
        status_line = conn.recv(200).split(b"\r\n")[0]
    assert b" 413 " in status_line, status_line


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SHOPCORE_AUTH", "open-sesame", "SHOPCORE_AUTH must be"),
        ("SHOPCORE_ADMIN_KEY", "short", "invalid token"),
        ("SHOPCORE_SESSION_HOURS", "a day", "SHOPCORE_SESSION_HOURS must be"),
        ("DATABASE_URL", "mysql://nobody@127.0.0.1:1/none", "cannot start"),
        ("DATABASE_URL", "mysql://root@no-such-host.invalid:3306/shop", "cannot start"),
        ("DATABASE_URL", "postgres://shop@db/shop", "DATABASE_URL must be sqlite:PATH"),
        ("DATABASE_URL", "sqlite::memory:", "for the in-memory engine say memory:"),
    ],
)
def test_misconfiguration_stops_the_start_with_one_line(variable: str, value: str, says: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPCORE_AUTH", "SHOPCORE_ADMIN_KEY")}
    env["DATABASE_URL"] = "memory:"  # unless the case sets it: nothing written in the checkout
    env[variable] = value
    done = subprocess.run([sys.executable, "-m", "shopcore_services.serve"], cwd=SERVICE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and lines[0].startswith("cannot start:"), done.stderr
