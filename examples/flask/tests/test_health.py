"""Liveness and readiness: ``/health/ready`` turns 503 within a second of the
database going away and 200 again when it returns; ``/health`` and
``/health/live`` stay 200 throughout.

The database is a private MariaDB of the test's own (conftest's
``PrivateMariaDB``): it "goes away" by a shutdown (SIGTERM, the server exits)
and "returns" by starting it again on the same port and data directory. The
measured times are printed (``-s`` shows them)."""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
from conftest import PrivateMariaDB
from flask.testing import FlaskClient

import shopcore
from shopcore_services import SERVICES


def test_every_service_is_live_and_ready_on_memory() -> None:
    engine = shopcore.Engine.in_memory()
    for name, (create_app, _port) in SERVICES.items():
        client = create_app(engine, "enforced").test_client()
        assert client.get("/health/live").get_json() == {"status": "live", "service": name}
        assert client.get("/health/ready").get_json()["status"] == "ready"


@pytest.fixture
def on_private_server(private_mariadb: PrivateMariaDB) -> tuple[PrivateMariaDB, FlaskClient]:
    url = private_mariadb.create_database("shop")
    engine = shopcore.Engine.mysql(url, migrate=True, max_connections=2)
    return private_mariadb, SERVICES["order"][0](engine, "enforced").test_client()


def seconds_until(client: FlaskClient, status: int, limit: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if client.get("/health/ready").status_code == status:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"/health/ready never answered {status}")


def test_readiness_follows_the_database_away_and_back(on_private_server: tuple[PrivateMariaDB, FlaskClient]) -> None:
    server, client = on_private_server
    assert client.get("/health/ready").status_code == 200
    server.stop()  # the server has exited when this returns
    went = seconds_until(client, 503)
    body = client.get("/health/ready").get_json()
    assert (body["status"], body["code"]) == ("unready", "storage_unavailable")
    assert client.get("/health").status_code == 200 and client.get("/health/live").status_code == 200
    server.start()  # accepting connections when this returns
    came = seconds_until(client, 200)
    print(f"\nreadiness: 503 {went:.3f} s after the database stopped, 200 {came:.3f} s after it started")
    assert went < 1.0, went
    assert came < 2.0, came


def test_an_outdated_schema_is_not_ready(mysql_database: str) -> None:
    engine = shopcore.Engine.mysql(mysql_database, migrate=True, max_connections=1)
    from conftest import admin_connection

    with admin_connection() as admin, admin.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM `{urlparse(mysql_database).path.lstrip('/')}`._sqlx_migrations "
            "WHERE version = (SELECT v FROM (SELECT MAX(version) AS v FROM "
            f"`{urlparse(mysql_database).path.lstrip('/')}`._sqlx_migrations) AS newest)"
        )
    response = SERVICES["order"][0](engine, "enforced").test_client().get("/health/ready")
    assert response.status_code == 503
    assert "run migrate" in response.get_json()["message"]
