"""The MySQL adapter over TLS: a private MariaDB that requires secure
transport, with a certificate authority and a server certificate the test
makes. `ssl-mode` and `ssl-ca` in the URL choose how much is checked; an
order is placed and read back over each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PrivateMariaDB, TlsFiles

import shopcore


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[PrivateMariaDB, TlsFiles]]:
    tls = TlsFiles.make(tmp_path / "tls")
    server = PrivateMariaDB(tls=tls)
    try:
        server.start()
        yield server, tls
    finally:
        server.remove()


def test_a_server_that_requires_tls_is_reached_with_ssl_mode(tls_server: tuple[PrivateMariaDB, TlsFiles], tmp_path: Path) -> None:
    server, tls = tls_server
    url = server.create_database("shop")
    # Without TLS the server refuses the connection.
    with pytest.raises(shopcore.StorageError):
        shopcore.Engine.mysql(f"{url}?ssl-mode=disabled", max_connections=2)
    modes = ["ssl-mode=required", f"ssl-mode=verify_ca&ssl-ca={tls.ca}", f"ssl-mode=verify_identity&ssl-ca={tls.ca}"]
    for number, query in enumerate(modes):
        engine = shopcore.Engine.mysql(f"{url}?{query}", seed=True, max_connections=2)
        try:
            placed = engine.checkout(1, [(2, 1)])
            assert engine.order(placed.order.order_id).total_amount == placed.order.total_amount
            assert len(engine.orders_of_customer(1)) == number + 1
            engine.ready()
        finally:
            engine.close()
    # A CA that did not sign the server's certificate is refused when it is checked.
    other = TlsFiles.make(tmp_path / "other", common_name="another CA")
    with pytest.raises(shopcore.StorageError):
        shopcore.Engine.mysql(f"{url}?ssl-mode=verify_ca&ssl-ca={other.ca}", max_connections=2)
