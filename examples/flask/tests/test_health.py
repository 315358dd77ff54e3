"""Liveness and readiness: ``/health/ready`` turns 503 within a second of the
database going away and 200 again when it returns; ``/health`` and
``/health/live`` stay 200 throughout.

The database "goes away" by stopping a TCP proxy in front of the MariaDB the
tests use (bench/delay_proxy.py with no delay), and "returns" by starting it
again on the same port: to the service that is the server vanishing and coming
back. The measured times are printed (``-s`` shows them)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from flask.testing import FlaskClient

import shopcore
from shopcore_services import SERVICES

ROOT = Path(__file__).resolve().parents[3]


def test_every_service_is_live_and_ready_on_memory() -> None:
    engine = shopcore.Engine.in_memory()
    for name, (create_app, _port) in SERVICES.items():
        client = create_app(engine, "enforced").test_client()
        assert client.get("/health/live").get_json() == {"status": "live", "service": name}
        assert client.get("/health/ready").get_json()["status"] == "ready"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    def __init__(self, target: int) -> None:
        self.port, self.target = free_port(), target
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "delay_proxy.py"), "--listen",
                                      str(self.port), "--target", str(self.target), "--delay-ms", "0"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("proxy did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def proxied(mysql_database: str) -> Iterator[tuple[Proxy, FlaskClient]]:
    url = urlparse(mysql_database)
    shopcore.Engine.mysql(mysql_database, migrate=True, max_connections=1)  # the schema, directly
    proxy = Proxy(url.port or 3306)
    proxy.start()
    through = mysql_database.replace(f":{url.port or 3306}/", f":{proxy.port}/")
    engine = shopcore.Engine.mysql(through, migrate=False, max_connections=2)
    client = SERVICES["order"][0](engine, "enforced").test_client()
    try:
        yield proxy, client
    finally:
        proxy.stop()


def seconds_until(client: FlaskClient, status: int, limit: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if client.get("/health/ready").status_code == status:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"/health/ready never answered {status}")


def test_readiness_follows_the_database_away_and_back(proxied: tuple[Proxy, FlaskClient]) -> None:
    proxy, client = proxied
    assert client.get("/health/ready").status_code == 200
    proxy.stop()
    went = seconds_until(client, 503)
    body = client.get("/health/ready").get_json()
    assert (body["status"], body["code"]) == ("unready", "storage_unavailable")
    assert client.get("/health").status_code == 200 and client.get("/health/live").status_code == 200
    proxy.start()
    came = seconds_until(client, 200)
    print(f"\nreadiness: 503 {went:.3f} s after the database went away, 200 {came:.3f} s after it returned")
    assert went < 1.0, went
    assert came < 2.0, came


def test_an_outdated_schema_is_not_ready(mysql_database: str) -> None:
    engine = shopcore.Engine.mysql(mysql_database, migrate=True, max_connections=1)
    from conftest import admin_connection

    with admin_connection() as admin, admin.cursor() as cursor:
        cursor.execute(f"DELETE FROM `{urlparse(mysql_database).path.lstrip('/')}`._sqlx_migrations "
                       "WHERE version = (SELECT v FROM (SELECT MAX(version) AS v FROM "
                       f"`{urlparse(mysql_database).path.lstrip('/')}`._sqlx_migrations) AS newest)")
    response = SERVICES["order"][0](engine, "enforced").test_client().get("/health/ready")
    assert response.status_code == 503
    assert "run migrate" in response.get_json()["message"]
