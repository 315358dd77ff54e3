"""Identities (issue 30, findings 5, 6 and 8): unusable emails are refused at
registration, lookalike emails are their own accounts on both engines, and
the admin key from ``SHOPCORE_ADMIN_KEY`` is refused when guessable or
revoked — with one clear line at start, never the key's hash."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import shopcore
from shopcore_services.config import prepare_access

SERVICE_DIR = Path(__file__).resolve().parents[1]
Clients = dict[str, FlaskClient]
ADMIN_KEY = "9d41c7e0b2f86a35e1c49f07ab3d62e85c0f1a97"


def body(response: TestResponse) -> Any:
    parsed: Any = json.loads(response.get_data(as_text=True), parse_float=Decimal)
    return parsed


def register(customers: FlaskClient, email: str) -> TestResponse:
    return customers.post("/api/customer/register", json={"name": "Alice", "email": email, "password": "a-long-password"})


@pytest.mark.parametrize(
    "email",
    [
        "a>b@x.com",
        "a,b@x.com",
        "x@[127.0.0.1]",
        "x@example.com:25",
        '"a@b"@x.com',
        "a\x07b@x.com",
        "a b@x.com",
        "alice@example.com\u200b",
    ],
)
def test_unusable_addresses_are_refused_with_invalid_email(clients: Clients, email: str) -> None:
    customers = clients["customer"]
    before = body(clients["customer"].get("/api/customers/3"))
    refused = register(customers, email)
    assert (refused.status_code, body(refused)["code"]) == (400, "invalid_email"), refused.get_data(as_text=True)
    assert body(refused)["message"]
    # A refused registration changes nothing: the next customer gets the next id.
    assert body(customers.get("/api/customers/3")) == before
    assert customers.get("/api/customers/4").status_code == 404
    # At login a malformed address stays the same answer as a wrong password.
    login = customers.post("/api/customers/login", json={"email": email, "password": "a-long-password"})
    assert (login.status_code, body(login)["code"]) == (401, "invalid_credentials")


def test_lookalike_emails_are_their_own_accounts(clients: Clients) -> None:
    customers = clients["customer"]
    ids = set()
    for email in ["alice@example.com", "\uff41lice@example.com", "alic\u00e9@example.com"]:
        created = register(customers, email)
        assert created.status_code == 201, (email, created.get_data(as_text=True))
        ids.add(body(created)["customer_id"])
    assert len(ids) == 3
    decomposed = register(customers, "alice\u0301@example.com")
    assert (decomposed.status_code, body(decomposed)["code"]) == (409, "email_taken")
    login = customers.post("/api/customers/login", json={"email": "ALICE\u0301@example.com", "password": "a-long-password"})
    assert body(login)["email"] == "alic\u00e9@example.com"


def test_a_guessable_admin_key_stops_the_start_with_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SHOPCORE_AUTH"}
    env.update(DATABASE_URL="memory:", SHOPCORE_ADMIN_KEY="a" * 32)
    done = subprocess.run([sys.executable, "-m", "shopcore_services.serve"], cwd=SERVICE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cannot start: SHOPCORE_ADMIN_KEY: invalid token"), done.stderr
    assert "128 bits" in lines[0]


def test_a_revoked_admin_key_is_refused_on_the_memory_engine() -> None:
    # An in-memory engine starts empty, so only a key revoked in the same
    # process can come back; it is refused the same way as on MySQL.
    engine = shopcore.Engine.in_memory()
    key = engine.install_staff_key(ADMIN_KEY)
    engine.revoke_staff_key(key.key_id)
    with pytest.raises(ValueError, match="SHOPCORE_ADMIN_KEY: this key was revoked") as refused:
        prepare_access(engine, {"SHOPCORE_ADMIN_KEY": ADMIN_KEY}, generate_key=False)
    assert hashlib.sha256(ADMIN_KEY.encode()).hexdigest()[:8] not in str(refused.value)
    with pytest.raises(shopcore.ConflictError) as conflict:
        engine.install_staff_key(ADMIN_KEY)
    assert conflict.value.code == "staff_key_revoked"


def test_a_revoked_admin_key_stops_every_later_start_with_a_clear_line(mysql_database: str) -> None:
    first = shopcore.Engine.mysql(mysql_database, seed=True, max_connections=1)
    key = first.install_staff_key(ADMIN_KEY)
    first.revoke_staff_key(key.key_id)
    env = {k: v for k, v in os.environ.items() if k != "SHOPCORE_AUTH"}
    env.update(DATABASE_URL=mysql_database, SHOPCORE_ADMIN_KEY=ADMIN_KEY)
    digest = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    for _start in range(2):
        done = subprocess.run([sys.executable, "-m", "shopcore_services.serve"], cwd=SERVICE_DIR, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith(f"cannot start: SHOPCORE_ADMIN_KEY: this key was revoked (staff key {key.key_id})")
        assert "choose a new one" in lines[0]
        assert digest[:8] not in done.stderr + done.stdout and ADMIN_KEY not in done.stderr
    keys = first.staff_keys()
    assert [(k.key_id, k.revoked_at is not None) for k in keys] == [(key.key_id, True)]
