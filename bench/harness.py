"""Shared by the bench and soak programs: fresh databases and service processes.

Everything talks to 127.0.0.1 only. The server is ``SHOPCORE_TEST_MYSQL_URL``
(as printed by ``scripts/ensure-mysql.sh``), default ``mysql://root@127.0.0.1:3306``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pymysql
import pymysql.cursors

import shopcore

ROOT = Path(__file__).resolve().parents[1]
SERVICES_DIR = ROOT / "examples" / "flask"
SERVICE_PORTS = [5001, 5002, 5003, 5004, 5005]


def one_row(cursor: pymysql.cursors.Cursor) -> tuple[Any, ...]:
    """The one row a query answers (an aggregate, a row by key): a missing one is a bug."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the query answered no row")
    return row


def server_url() -> str:
    """The MySQL server, without a database."""
    return os.environ.get("SHOPCORE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306").rstrip("/")


def admin(database: str | None = None, server: str | None = None) -> pymysql.connections.Connection:
    """An autocommit connection to the server (default :func:`server_url`), or one database on it."""
    u = urlparse(server or server_url())
    return pymysql.connect(
        host=u.hostname, port=u.port or 3306, user=u.username or "root", password=u.password or "", database=database, autocommit=True, ssl_disabled=True
    )


@contextmanager
def fresh_database(stock: int | None = None, prefix: str = "shopcore_bench") -> Iterator[str]:
    """A migrated database with the seed data (every product's stock set to
    ``stock`` if given); yields its URL and drops it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = admin()
    with conn.cursor() as c:
        c.execute(f"CREATE DATABASE `{name}`")
    url = f"{server_url()}/{name}"
    try:
        shopcore.Engine.mysql(url, migrate=True, seed=True)
        if stock is not None:
            with conn.cursor() as c:
                c.execute(f"UPDATE `{name}`.inventory SET quantity_available = %s", (stock,))
        yield url
    finally:
        with conn.cursor() as c:
            c.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def via_port(url: str, port: int) -> str:
    """The same database URL, reached through another port (a proxy)."""
    u = urlparse(url)
    return u._replace(netloc=u.netloc.rsplit(":", 1)[0] + f":{port}").geturl()


def wait_for(port: int, timeout: float = 60, proc: subprocess.Popen[bytes] | None = None, http: bool = True) -> None:
    """Until ``/health`` on the port answers, or with ``http=False`` until it
    accepts connections (fails early if the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before port {port} answered")
        try:
            if http:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    return
            elif not port_free(port):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Service:
    """A server process that can be started, SIGKILLed and restarted."""

    def __init__(self, command: list[str], ports: list[int], env: dict[str, str] | None = None, cwd: Path = SERVICES_DIR, http: bool = True):
        self.command, self.ports, self.cwd, self.http = command, ports, cwd, http
        self.env = dict(os.environ) if env is None else env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        busy = [p for p in self.ports if not port_free(p)]
        if busy:
            raise SystemExit(f"ports {busy} are in use (is `make run` up?)")
        self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in self.ports:
            wait_for(port, proc=self.proc, http=self.http)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, connections cut mid-request."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 10
        while not all(port_free(p) for p in self.ports) and time.monotonic() < deadline:
            time.sleep(0.05)

    def terminate(self, deadline: float) -> float | None:
        """SIGTERM, as a process manager stops a service: the seconds until it
        exited, or ``None`` if it had not after ``deadline`` (then SIGKILLed)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        took = time.monotonic() - started
        deadline_at = time.monotonic() + 10
        while not all(port_free(p) for p in self.ports) and time.monotonic() < deadline_at:
            time.sleep(0.05)
        return took

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def baseline_services(url: str, base_port: int) -> list[Service]:
    """The original architecture's five apps (bench/baseline.py) on ``url``."""
    names = ["order", "inventory", "pricing", "customer", "notification"]
    return [
        Service([sys.executable, "bench/baseline.py", name, "--db-url", url, "--base-port", str(base_port)], [base_port + i], dict(os.environ), ROOT)
        for i, name in enumerate(names)
    ]


def gunicorn_order_service(url: str, port: int, workers: int, threads: int) -> Service:
    """The shopcore order service as the README serves it in production."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "shopcore_services.order:create_app()",
    ]
    return Service(command, [port], dict(os.environ, DATABASE_URL=url, SHOPCORE_AUTH="legacy"), SERVICES_DIR)


@contextmanager
def running(*services: Service) -> Iterator[None]:
    try:
        for service in services:
            service.start()
        yield
    finally:
        for service in services:
            service.stop()
