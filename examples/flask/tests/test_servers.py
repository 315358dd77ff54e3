"""The installed package started the ways Flask users start apps: the
``shopcore-services`` console script, gunicorn, granian and ``flask --app``, each
on a zero-argument factory configured from the environment, each from a working
directory outside the repository (so only the installed package is importable)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
ADMIN_KEY = "servers-admin-key-0123456789abcdef01234567"
CART = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def environment(**changes: str) -> dict[str, str]:
    """This process's environment without any shopcore setting, plus ``changes``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPCORE_") and k != "DATABASE_URL"}
    env.update(changes)
    return env


def call(port: int, method: str, path: str, payload: object = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read(), parse_float=Decimal)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read(), parse_float=Decimal)


@contextmanager
def server(command: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    """Runs ``command`` from a temporary directory until ``GET /health`` answers 200 on ``port``."""
    with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if call(port, "GET", "/health")[0] == 200:
                        break
                except (urllib.error.URLError, ConnectionError):
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"{command} did not start:\n{log.read().decode(errors='replace')}")
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as cwd:
        return subprocess.run([str(BIN / "shopcore-services"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_console_script_answers_its_version_and_refuses_unknown_commands() -> None:
    import shopcore
    import shopcore_services

    done = cli("--version", env=environment())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"shopcore-services {shopcore_services.__version__} (shopcore {shopcore.__version__})"
    unknown = cli("sell-everything", env=environment())
    assert unknown.returncode == 2
    assert "shopcore-services serve" in unknown.stderr
    assert cli("migrate", env=environment()).returncode == 2  # no DATABASE_URL: nothing to migrate


def test_gunicorn_serves_the_order_factory_on_a_database_the_console_script_prepared(mysql_database: str) -> None:
    env = environment(DATABASE_URL=mysql_database)
    migrated = cli("migrate", "--seed", env=env)
    assert (migrated.returncode, migrated.stdout.strip()) == (0, "migrated and seeded"), migrated.stderr
    created = cli("staff", "create", "--name", "ops", "--role", "admin", env=env)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)["key"]
    listed = [json.loads(line) for line in cli("staff", "list", env=env).stdout.splitlines()]
    assert [(k["name"], k["role"]) for k in listed] == [("ops", "admin")]

    port = free_port()
    env.update(SHOPCORE_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    command = [str(BIN / "gunicorn"), "-c", "python:shopcore_services.gunicorn_conf", "shopcore_services.order:create_app()"]
    with server(command, port, env):
        status, body = call(port, "POST", "/api/orders/create", {"customer_id": 1, "products": CART}, token=key)
        assert (status, body["total_amount"]) == (201, Decimal("1430.59"))
        assert call(port, "POST", "/api/orders/create", {"customer_id": 1, "products": CART})[0] == 401
        status, document = call(port, "GET", "/openapi.json")
        assert status == 200 and "/api/orders/create" in document["paths"]


def test_granian_serves_the_pricing_factory_on_the_in_memory_engine() -> None:
    port = free_port()
    command = [
        str(BIN / "granian"),
        "--interface",
        "wsgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "shopcore_services.pricing:create_app",
    ]
    with server(command, port, environment()):
        status, body = call(port, "POST", "/api/pricing/calculate", {"products": CART})
        assert (status, body["total"], body["tax"]) == (200, Decimal("1430.59"), Decimal("175.69"))


def test_flask_run_serves_the_customer_factory_with_the_admin_key_from_the_environment() -> None:
    port = free_port()
    command = [sys.executable, "-m", "flask", "--app", "shopcore_services.customer", "run", "--port", str(port)]
    with server(command, port, environment(SHOPCORE_ADMIN_KEY=ADMIN_KEY)):
        status, keys = call(port, "GET", "/api/staff/keys", token=ADMIN_KEY)
        assert status == 200
        assert [k["role"] for k in keys["keys"]] == ["admin"]
        assert call(port, "GET", "/api/staff/keys")[0] == 401


def test_legacy_access_comes_from_the_environment_and_an_explicit_argument_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SHOPCORE_AUTH`` is read by the zero-argument factory; ``create_app(auth=...)`` overrides it."""
    from shopcore_services import order

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOPCORE_AUTH", "legacy")
    legacy = order.create_app().test_client()
    enforced = order.create_app(auth="enforced").test_client()
    assert legacy.post("/api/orders/create", json={"customer_id": 1, "products": CART}).status_code == 201
    assert enforced.post("/api/orders/create", json={"customer_id": 1, "products": CART}).status_code == 401


def test_the_shop_is_configured_from_the_environment() -> None:
    import shopcore
    from shopcore_services.config import shop_config

    config = shop_config(
        {
            "SHOPCORE_DEFAULT_REGION": "Berlin",
            "SHOPCORE_ROUNDING": "half_even",
            "SHOPCORE_TAX_MODE": "per_line",
            "SHOPCORE_POINT_VALUE": "0.05",
            "SHOPCORE_LOYALTY_UNIT": "5",
            "SHOPCORE_DELIVERY_DAYS": "3",
            "SHOPCORE_SESSION_HOURS": "2",
        }
    )
    assert (config.default_region, config.rounding, config.tax_mode) == ("Berlin", "half_even", "per_line")
    assert (str(config.point_value), str(config.loyalty_unit)) == ("0.05", "5.00")
    assert (config.delivery_days, config.session_hours) == (3, 2)
    assert shop_config({}) == shopcore.ShopConfig()
    for variable, value in [
        ("SHOPCORE_ROUNDING", "up"),
        ("SHOPCORE_TAX_MODE", "x"),
        ("SHOPCORE_POINT_VALUE", "0"),
        ("SHOPCORE_LOYALTY_UNIT", "ten"),
        ("SHOPCORE_DEFAULT_REGION", " "),
    ]:
        with pytest.raises(ValueError, match=variable):
            shop_config({variable: value})
