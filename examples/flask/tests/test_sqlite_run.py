"""The services on a SQLite file, through the real ``shopcore-services`` command:
``serve`` with ``DATABASE_URL`` unset keeps its data in ``.run/shop.db`` (what
``make run`` does), so an order, a customer, a session and an admin's changes
outlive a stop (SIGTERM) and a start; ``backup`` copies the file while the
services take orders; a SQLite path that cannot be used stops the start with
one line naming it and exit status 2."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import shopcore

BIN = Path(sys.executable).parent
PORTS = {"order": 5001, "inventory": 5002, "pricing": 5003, "customer": 5004, "notification": 5005}
CART = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 10}]


def environment(**changes: str) -> dict[str, str]:
    """This process's environment without any shopcore setting, plus ``changes``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPCORE_") and k != "DATABASE_URL"}
    env.update(changes)
    return env


def free_offset() -> int:
    """A ``--port-offset`` whose five ports are free now."""
    for _ in range(200):
        offset = random.randrange(20000, 60000 - 5005)
        with contextlib.ExitStack() as stack:
            try:
                for port in PORTS.values():
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port + offset))
            except OSError:
                continue
            return offset
    raise RuntimeError("no five free ports")


@dataclass
class Services:
    """``shopcore-services serve`` running in ``cwd`` on ports 5001–5005 + ``offset``."""

    process: subprocess.Popen[bytes]
    offset: int
    stdout: Path

    def call(self, service: str, method: str, path: str, payload: object = None, token: str | None = None) -> tuple[int, Any]:
        data = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        url = f"http://127.0.0.1:{PORTS[service] + self.offset}{path}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read(), parse_float=Decimal)
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read(), parse_float=Decimal)

    def output(self) -> str:
        return self.stdout.read_text()

    def stop(self) -> int:
        """SIGTERM, as a process manager (or Ctrl-C on ``make run``) stops it."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@contextlib.contextmanager
def serving(cwd: Path, env: dict[str, str], name: str, *args: str) -> Iterator[Services]:
    """Starts ``shopcore-services serve`` (with ``args``) and waits until every service answers ``/health``."""
    offset = free_offset()
    stdout = cwd / f"{name}.out"
    with stdout.open("wb") as out, (cwd / f"{name}.err").open("wb") as err:
        process = subprocess.Popen([str(BIN / "shopcore-services"), "serve", "--port-offset", str(offset), *args], cwd=cwd, env=env, stdout=out, stderr=err)
    services = Services(process, offset, stdout)
    try:
        deadline = time.monotonic() + 60
        for service in PORTS:
            while True:
                try:
                    if services.call(service, "GET", "/health")[0] == 200:
                        break
                except (urllib.error.URLError, ConnectionError):
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"serve did not start: {(cwd / f'{name}.err').read_text()}")
                time.sleep(0.1)
        yield services
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_make_run_keeps_orders_customers_sessions_and_admin_changes_across_a_restart(tmp_path: Path) -> None:
    env = environment()  # DATABASE_URL unset: serve's default, the SQLite file .run/shop.db
    with serving(tmp_path, env, "first") as first:
        assert (tmp_path / ".run" / "shop.db").is_file()
        out = first.output()
        assert "database: .run/shop.db (SQLite, new, seeded" in out, out
        (admin_key,) = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("admin key (shown once): ")]
        assert first.call("order", "GET", "/health")[1]["backend"] == "sqlite"

        status, me = first.call("customer", "POST", "/api/customer/register", {"name": "Mona", "email": "mona@example.com", "password": "pyramids-of-giza"})
        assert status == 201, me
        status, session = first.call("customer", "POST", "/api/customers/login", {"email": "mona@example.com", "password": "pyramids-of-giza"})
        assert status == 200, session
        token = session["token"]
        status, placed = first.call("order", "POST", "/api/orders/create", {"products": CART}, token)
        assert (status, placed["total_amount"]) == (201, Decimal("1430.59")), placed
        # The admin's changes: a new price, the mouse's tier ladder cleared, a support key.
        assert first.call("inventory", "PATCH", "/api/inventory/products/3", {"unit_price": "59.95"}, admin_key)[0] == 200
        assert first.call("pricing", "DELETE", "/api/pricing/rules/2", token=admin_key)[0] == 200
        status, support = first.call("customer", "POST", "/api/staff/keys", {"name": "support desk", "role": "support"}, admin_key)
        assert status == 201, support
        assert first.stop() == 0

    with serving(tmp_path, env, "second") as second:
        out = second.output()
        assert "database: .run/shop.db (SQLite, kept from an earlier start" in out, out
        assert "admin key (shown once)" not in out  # the first start's key stands; no new one is made
        assert "admin key: kept from an earlier start" in out
        status, order = second.call("order", "GET", f"/api/orders/{placed['order_id']}", token=token)  # the session outlived the restart
        assert (status, order["total_amount"], order["customer_id"]) == (200, Decimal("1430.59"), me["customer_id"]), order
        status, profile = second.call("customer", "GET", f"/api/customers/{me['customer_id']}", token=token)
        assert (status, profile["email"], profile["loyalty_points"]) == (200, "mona@example.com", 125)
        assert second.call("inventory", "GET", "/api/inventory/check/2")[1]["quantity_available"] == 190
        status, products = second.call("inventory", "GET", "/api/inventory/products")
        assert next(p for p in products if p["product_id"] == 3)["unit_price"] == Decimal("59.95")
        assert second.call("pricing", "GET", "/api/pricing/rules/2")[1]["tiers"] == []  # not seeded back
        status, keys = second.call("customer", "GET", "/api/staff/keys", token=admin_key)
        assert status == 200 and [k["name"] for k in keys["keys"] if k["role"] == "support"] == ["support desk"], keys
        assert second.call("customer", "GET", "/api/staff/keys", token=support["key"])[0] == 403  # the support key, a support key still
        assert second.stop() == 0


def test_seeding_again_on_restart_brings_back_nothing_an_administrator_removed(tmp_path: Path) -> None:
    env = environment()
    env["DATABASE_URL"] = f"sqlite://{tmp_path}/shop.db"
    env["SHOPCORE_ADMIN_KEY"] = "9f3b27c4e1a85d06b7c2f4e9a1d38b5c6e0f7a2d4b9c1e8f"
    admin = env["SHOPCORE_ADMIN_KEY"]
    with serving(tmp_path, env, "seeded", "--seed") as first:
        assert first.call("pricing", "GET", "/api/pricing/rules/1")[1]["tiers"] != []
        assert first.call("pricing", "DELETE", "/api/pricing/rules/1", token=admin)[0] == 200
        assert first.call("pricing", "DELETE", "/api/pricing/tax-rates/Giza", token=admin)[0] == 200
        assert first.stop() == 0
    with serving(tmp_path, env, "again", "--seed") as second:
        assert second.call("pricing", "GET", "/api/pricing/rules/1")[1]["tiers"] == []
        regions = [rate["region"] for rate in second.call("pricing", "GET", "/api/pricing/tax-rates")[1]["tax_rates"]]
        assert "Giza" not in regions, regions
        assert "not seeding: the database already has products" in (tmp_path / "again.err").read_text()
        assert second.stop() == 0


def test_every_answered_order_survives_sigkill(tmp_path: Path) -> None:
    database = tmp_path / "shop.db"
    env = environment(DATABASE_URL=f"sqlite:{database}", SHOPCORE_AUTH="legacy")
    assert cli("migrate", "--seed", env=env, cwd=tmp_path).returncode == 0
    with serving(tmp_path, env, "killed") as services:
        answered = []
        for n in range(20):
            status, placed = services.call("order", "POST", "/api/orders/create", {"customer_id": 1 + n % 3, "products": [{"product_id": 2, "quantity": 1}]})
            assert status == 201, placed
            answered.append(placed["order_id"])
        services.process.send_signal(signal.SIGKILL)  # no drain, no close: only what is on disk
        services.process.wait(timeout=30)
    engine = shopcore.Engine.sqlite(database, create=False)
    assert [engine.order(order_id).order_id for order_id in answered] == answered
    assert engine.product(2).quantity_available == 200 - len(answered)
    assert engine.audit(opening_stock={1: 50, 2: 200, 3: 150, 4: 75, 5: 100}, opening_points={1: 100, 2: 250, 3: 50}) == []
    engine.close()


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "shopcore-services"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_backup_while_the_services_take_orders_makes_a_file_that_opens(tmp_path: Path) -> None:
    database = tmp_path / "shop.db"
    env = environment(DATABASE_URL=f"sqlite://{database}", SHOPCORE_AUTH="legacy")  # sqlite:///abs/path: an absolute path
    assert cli("migrate", "--seed", env=env, cwd=tmp_path).returncode == 0
    with serving(tmp_path, env, "serve") as services:
        status, placed = services.call("order", "POST", "/api/orders/create", {"customer_id": 1, "products": CART})
        assert status == 201, placed
        target = tmp_path / "backups" / "shop-1.db"
        target.parent.mkdir()
        done = cli("backup", str(target), env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"backed up {database} to {target}" in done.stdout
        assert services.call("order", "POST", "/api/orders/create", {"customer_id": 2, "products": [{"product_id": 3, "quantity": 1}]})[0] == 201
        again = cli("backup", str(target), env=env, cwd=tmp_path)
        assert again.returncode == 1 and "already exists" in again.stderr  # never over an earlier backup
        assert services.stop() == 0
    copy = shopcore.Engine.sqlite(target, create=False)
    assert copy.order(placed["order_id"]).total_amount == Decimal("1430.59")
    assert [o.order_id for o in copy.orders_of_customer(2)] == []  # placed after the backup
    assert copy.audit(opening_stock={1: 50, 2: 200, 3: 150, 4: 75, 5: 100}, opening_points={1: 100, 2: 250, 3: 50}) == []
    copy.close()


def test_backup_refuses_the_in_memory_engine_and_a_missing_default_file(tmp_path: Path) -> None:
    memory = cli("backup", str(tmp_path / "b.db"), env=environment(DATABASE_URL="memory:"), cwd=tmp_path)
    assert memory.returncode == 2 and "memory:" in memory.stderr, memory.stderr
    unset = cli("backup", str(tmp_path / "b.db"), env=environment(), cwd=tmp_path)
    assert unset.returncode == 2 and ".run/shop.db" in unset.stderr, unset.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing made


def test_the_cli_works_on_serves_default_file(tmp_path: Path) -> None:
    (tmp_path / ".run").mkdir()
    shopcore.Engine.sqlite(tmp_path / ".run" / "shop.db", seed=True).close()
    made = cli("staff", "create", "--name", "ops", "--role", "admin", env=environment(), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "using .run/shop.db" in made.stderr
    listed = cli("staff", "list", env=environment(), cwd=tmp_path)
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["ops"]
    typo = cli("staff", "list", env=environment(DATABASE_URL=f"sqlite:{tmp_path / 'shpo.db'}"), cwd=tmp_path)
    assert typo.returncode == 2 and "no such file" in typo.stderr  # a mistyped path is not a new empty shop
    assert not (tmp_path / "shpo.db").exists()


@contextlib.contextmanager
def make_read_only(path: Path) -> Iterator[None]:
    """``path`` unwritable even for root (the file mode, else the immutable attribute)."""
    path.chmod(0o444)
    try:
        with path.open("ab"):
            writable = True
    except PermissionError:
        writable = False
    if not writable:
        yield
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr +i: a read-only file cannot be made here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def seeded_file(path: Path) -> None:
    shopcore.Engine.sqlite(path, seed=True).close()


@pytest.mark.parametrize("case", ["missing directory", "read-only file", "not a database", "newer schema", "a directory"])
def test_a_sqlite_path_that_cannot_be_used_stops_the_start_with_one_line_naming_it(tmp_path: Path, case: str) -> None:
    path = tmp_path / "shop.db"
    with contextlib.ExitStack() as stack:
        if case == "missing directory":
            path = tmp_path / "no-such-dir" / "shop.db"
        elif case == "read-only file":
            seeded_file(path)
            stack.enter_context(make_read_only(path))
        elif case == "not a database":
            path.write_text("order 1: 1 laptop, 10 mice\n" * 100)
        elif case == "newer schema":
            seeded_file(path)
            with contextlib.closing(sqlite3.connect(path)) as db, db:
                db.execute(
                    "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) "
                    "VALUES (99999999999999, 'from a newer shopcore', 1, x'00', 0)"
                )
        else:
            path.mkdir()
        before = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
        done = subprocess.run(
            [str(BIN / "shopcore-services"), "serve", "--port-offset", str(free_offset())],
            cwd=tmp_path,
            env=environment(DATABASE_URL=f"sqlite:{path}"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cannot start:") and str(path) in lines[0], done.stderr
        assert "Traceback" not in done.stderr
        after = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
        assert after == before  # nothing written, nothing made beside it
