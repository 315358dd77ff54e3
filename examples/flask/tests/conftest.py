"""Fixtures: engines (in-memory, and MySQL on a fresh database per test) and test clients.

The MySQL server is ``SHOPCORE_TEST_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306``).
If it is unreachable the MySQL variants are skipped — unless ``CI=true``, where
that fails the run.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pymysql
import pytest
from flask.testing import FlaskClient

import shopcore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shopcore_services import SERVICES  # noqa: E402


def server_url() -> str:
    return os.environ.get("SHOPCORE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306").rstrip("/")


def admin_connection() -> pymysql.connections.Connection:
    url = urlparse(server_url())
    return pymysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        autocommit=True,
        ssl_disabled=True,
    )


@pytest.fixture
def mysql_database() -> Iterator[str]:
    """A fresh, randomly named database; yields its URL and drops it afterwards."""
    try:
        admin = admin_connection()
    except pymysql.err.OperationalError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"MySQL at {server_url()} is required (CI=true) but unreachable: {err}")
        pytest.skip(f"MySQL at {server_url()} is unreachable: {err}")
    name = f"shopcore_flask_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    try:
        yield f"{server_url()}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture(params=["memory", "mysql"])
def engine(request: pytest.FixtureRequest) -> shopcore.Engine:
    """A seeded engine on each backend."""
    if request.param == "memory":
        return shopcore.Engine.in_memory()
    url = request.getfixturevalue("mysql_database")
    return shopcore.Engine.mysql(url, seed=True, max_connections=4)


@pytest.fixture
def clients(engine: shopcore.Engine) -> dict[str, FlaskClient]:
    """A test client per service, all over the same engine, in legacy mode: the
    original open contract, which these route tests pin down."""
    return {name: create_app(engine, "legacy").test_client() for name, (create_app, _port) in SERVICES.items()}


@pytest.fixture
def enforced_clients(engine: shopcore.Engine) -> dict[str, FlaskClient]:
    """A test client per service over the same engine, access enforced."""
    return {name: create_app(engine, "enforced").test_client() for name, (create_app, _port) in SERVICES.items()}
