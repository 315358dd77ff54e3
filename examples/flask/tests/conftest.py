"""Fixtures: engines (in-memory, and MySQL on a fresh database per test) and test clients.

The MySQL server is ``SHOPCORE_TEST_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306``).
If it is unreachable the MySQL variants are skipped — unless ``CI=true``, where
that fails the run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pymysql
import pytest
from flask.testing import FlaskClient

import shopcore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shopcore_services import SERVICES


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


@dataclass(frozen=True)
class TlsFiles:
    """A certificate authority and a server certificate it signed (for 127.0.0.1)."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def make(cls, directory: Path, common_name: str = "shopcore test CA") -> TlsFiles:
        """Makes a fresh CA and a server certificate for IP 127.0.0.1 with openssl."""
        directory.mkdir(parents=True, exist_ok=True)

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={common_name}", "-keyout", "ca-key.pem", "-out", "ca.pem")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server-key.pem", "-out", "server.csr")
        (directory / "san.ext").write_text("subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n")
        openssl(
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        )
        return cls(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")


class PrivateMariaDB:
    """A MariaDB server of the test's own (a fresh data directory, a free
    port on 127.0.0.1, root without a password) that the test may stop and
    start again, keeping its data; removed by :meth:`remove`."""

    def __init__(self, tls: TlsFiles | None = None) -> None:
        #: With ``tls``, the server requires secure transport with that certificate.
        self.tls = tls
        for tool in ("mariadb-install-db", "mariadbd"):
            if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
                if os.environ.get("CI") == "true":
                    pytest.fail(f"{tool} is required (CI=true) but not installed")
                pytest.skip(f"{tool} is not installed")
        self.dir = Path(tempfile.mkdtemp(prefix="shopcore-mariadb-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc: subprocess.Popen[bytes] | None = None
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.dir / 'data'}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Starts the server and returns once it accepts connections."""
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        with (self.dir / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    mariadbd,
                    "--no-defaults",
                    f"--datadir={self.dir / 'data'}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    f"--socket={self.dir / 'sock'}",
                    f"--pid-file={self.dir / 'pid'}",
                    "--user=root",
                    "--innodb-buffer-pool-size=32M",
                    "--skip-log-bin",
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_general_ci",
                    *self._tls_args(),
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._connect().close()
                return
            except pymysql.err.OperationalError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"the private MariaDB did not start: {(self.dir / 'server.log').read_text()[-2000:]}")

    def stop(self) -> None:
        """Shuts the server down (SIGTERM, as a service manager would) and waits for it to exit."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def _tls_args(self) -> list[str]:
        if self.tls is None:
            return []
        return [f"--ssl-ca={self.tls.ca}", f"--ssl-cert={self.tls.cert}", f"--ssl-key={self.tls.key}", "--require-secure-transport=ON"]

    def _connect(self, **kwargs: Any) -> pymysql.connections.Connection:
        tls: dict[str, Any] = {"ssl_disabled": True} if self.tls is None else {"ssl": {"ca": str(self.tls.ca)}}
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", **tls, **kwargs)

    def create_database(self, name: str) -> str:
        with self._connect(autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}`")
        return f"{self.url}/{name}"

    def remove(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_mariadb() -> Iterator[PrivateMariaDB]:
    """A running :class:`PrivateMariaDB`, removed afterwards."""
    server = PrivateMariaDB()
    try:
        server.start()
        yield server
    finally:
        server.remove()
