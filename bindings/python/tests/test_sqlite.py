"""The Engine on a SQLite file (``Engine.sqlite``): what it keeps across a close
and a reopen, what it refuses at open (each time naming the path), and its
online backup."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

import shopcore

CART = [(1, 1), (2, 10)]


def opened(path: Path, **options: object) -> shopcore.Engine:
    return shopcore.Engine.sqlite(path, **options)  # type: ignore[arg-type]


def test_an_order_and_a_customer_outlive_closing_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    engine = opened(path, seed=True)
    assert engine.backend == "sqlite" and repr(engine) == 'Engine(backend="sqlite")'
    customer = engine.register(name="Mona", email="mona@example.com", password="pyramids-of-giza")
    session = engine.login(email="mona@example.com", password="pyramids-of-giza")
    placed = engine.checkout(customer.customer_id, CART, idempotency_key="first")
    assert placed.order.total_amount == Decimal("1430.59")
    engine.close()
    with pytest.raises(shopcore.StorageError):
        engine.order(placed.order.order_id)  # closed

    again = opened(path)  # migrated again (a no-op), not seeded
    order = again.order(placed.order.order_id)
    assert order == placed.order
    assert isinstance(order.total_amount, Decimal) and order.total_amount == Decimal("1430.59")
    assert again.customer(customer.customer_id).email == "mona@example.com"
    assert again.authenticate(session.token).customer_id == customer.customer_id
    assert again.product(2).quantity_available == 190  # the stock the order took stays taken
    replayed = again.checkout(customer.customer_id, CART, idempotency_key="first")
    assert replayed.replayed and replayed.order.order_id == order.order_id
    assert again.audit(opening_stock={1: 50, 2: 200, 3: 150, 4: 75, 5: 100}, opening_points={1: 100, 2: 250, 3: 50}) == []
    again.close()


def test_seeding_twice_is_harmless_and_keeps_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    engine = opened(path, seed=True)
    engine.checkout(1, [(2, 10)])
    engine.close()
    again = opened(path, seed=True)
    assert again.product(2).quantity_available == 190  # not put back to the seed's 200
    assert len(again.orders_of_customer(1)) == 1
    assert [p.product_id for p in again.products()] == [1, 2, 3, 4, 5]
    again.close()


def test_a_new_file_is_empty_without_seed(tmp_path: Path) -> None:
    engine = opened(tmp_path / "shop.db")
    with pytest.raises(shopcore.NotFoundError):
        engine.product(1)
    engine.close()


@pytest.mark.parametrize("case", ["missing directory", "text file", "directory"])
def test_a_path_that_is_no_database_file_is_refused_naming_it(tmp_path: Path, case: str) -> None:
    if case == "missing directory":
        path = tmp_path / "no-such-dir" / "shop.db"
    elif case == "text file":
        path = tmp_path / "notes.txt"
        path.write_text("not a database, just some notes\n" * 20)
    else:
        path = tmp_path / "a-directory"
        path.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(shopcore.StorageError) as refused:
        opened(path, seed=True)
    assert refused.value.code == "storage_unavailable"
    assert str(path) in refused.value.message, refused.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing made beside it
    if case == "text file":
        assert path.read_text().startswith("not a database")  # left as it was


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` unwritable, even for root: its mode, else the immutable attribute."""
    path.chmod(0o444)
    try:
        path.open("ab").close()
    except PermissionError:
        yield  # the mode is enough (not root)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("root without chattr +i: no file here is read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_file_is_refused_naming_it_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    opened(path, seed=True).close()
    content = path.read_bytes()
    with read_only(path):
        with pytest.raises(shopcore.StorageError, match="cannot be written") as refused:
            opened(path)
        assert refused.value.code == "storage_unavailable" and str(path) in refused.value.message
        # SQLite itself would have opened it read-only and left -wal and -shm files beside it.
        assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.db"]
        assert path.read_bytes() == content


def test_create_false_refuses_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with pytest.raises(shopcore.StorageError, match="no such file") as refused:
        opened(path, create=False)
    assert str(path) in refused.value.message
    assert not path.exists()


def test_a_file_written_by_a_newer_shopcore_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    opened(path, seed=True).close()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99999999999999, 'from the future', 1, x'00', 0)"
        )
    db.close()
    with pytest.raises(shopcore.StorageError, match="newer shopcore") as refused:
        opened(path)
    assert refused.value.code == "storage_failure"
    reopened = opened(path, migrate=False)  # still the file it was: the seed rows are there
    assert reopened.product(1).quantity_available == 50
    reopened.close()


def test_a_backup_is_a_database_of_its_own_holding_the_order(tmp_path: Path) -> None:
    engine = opened(tmp_path / "shop.db", seed=True)
    placed = engine.checkout(1, CART)
    target = tmp_path / "backup.db"
    engine.backup(target)
    engine.checkout(1, [(3, 1)])  # after the backup: not in it
    copy = opened(target)
    assert copy.order(placed.order.order_id) == placed.order
    assert [o.order_id for o in copy.orders_of_customer(1)] == [placed.order.order_id]
    assert copy.audit(opening_stock={1: 50, 2: 200, 3: 150, 4: 75, 5: 100}, opening_points={1: 100, 2: 250, 3: 50}) == []
    copy.close()
    with pytest.raises(shopcore.StorageError, match="already exists"):
        engine.backup(str(target))  # never over an existing file
    engine.close()


def test_backup_needs_a_sqlite_engine() -> None:
    with pytest.raises(shopcore.ValidationError, match="SQLite") as refused:
        shopcore.Engine.in_memory().backup("anywhere.db")
    assert "memory" in refused.value.message
    assert not Path("anywhere.db").exists()
