"""openapi.yaml against the real responses: schemathesis generates requests for
every operation (valid and invalid) and checks status codes, content types and
response schemas, and that no response is a server error — in legacy mode, and
in enforced mode with an admin key and a customer session in turn.

``make test`` runs 60 examples per operation on the in-memory engine; every
service must answer at least 30 generated requests. ``make soak``
(soak-openapi) sets ``SHOPCORE_OPENAPI_EXAMPLES=1000`` and
``SHOPCORE_OPENAPI_MIN_REQUESTS=1000``: the services then run on a fresh MySQL
database and every one of the five must answer at least 1000.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import shopcore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shopcore_services import SERVICES

SPEC = Path(__file__).resolve().parents[1] / "shopcore_services" / "openapi.yaml"
EXAMPLES = int(os.environ.get("SHOPCORE_OPENAPI_EXAMPLES", "60"))
VOLUME = "SHOPCORE_OPENAPI_MIN_REQUESTS" in os.environ  # make soak: MySQL and a required volume
MIN_REQUESTS = int(os.environ.get("SHOPCORE_OPENAPI_MIN_REQUESTS", EXAMPLES // 2))
DATABASE = f"shopcore_openapi_{uuid.uuid4().hex[:12]}" if VOLUME else None


def build_engine() -> shopcore.Engine:
    if DATABASE is None:
        return shopcore.Engine.in_memory()
    from conftest import admin_connection, server_url

    with admin_connection() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{DATABASE}`")
    return shopcore.Engine.mysql(f"{server_url()}/{DATABASE}", seed=True)


ENGINE = build_engine()
REQUESTS: Counter[str] = Counter()  # generated requests answered, by service
# Legacy mode (the original open contract) and enforced mode on a second
# engine, where every generated request carries an admin key or a customer's
# session token (in turn); test_access.py checks who may do what, route by route.
APPS = {name: create_app(ENGINE, "legacy") for name, (create_app, _port) in SERVICES.items()}
ENFORCED_ENGINE = shopcore.Engine.in_memory()
for _ in range(1000):  # keep the admin key's id out of reach of generated DELETE /api/staff/keys/{id}
    ENFORCED_ENGINE.revoke_staff_key(ENFORCED_ENGINE.create_staff_key(name="filler", role="support").key_id)
ADMIN_KEY = ENFORCED_ENGINE.create_staff_key(name="schemathesis", role="admin").key
ENFORCED_ENGINE.register(name="Schema Thesis", email="schema@example.com", password="generated requests")
SESSION = ENFORCED_ENGINE.login(email="schema@example.com", password="generated requests").token
ENFORCED_APPS = {name: create_app(ENFORCED_ENGINE, "enforced") for name, (create_app, _port) in SERVICES.items()}
PREFIXES = [
    ("/api/orders", "order"),
    ("/api/inventory", "inventory"),
    ("/api/pricing", "pricing"),
    ("/api/customer", "customer"),  # also /api/customers
    ("/api/staff", "customer"),
    ("/api/notifications", "notification"),
    ("/api/webhooks", "notification"),
]


def routing_to(apps: dict[str, Flask]) -> WSGIApplication:
    def all_services(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """One WSGI app routing each path to the service that owns it (test only)."""
        path = environ.get("PATH_INFO", "")
        if path == "/openapi.yaml":
            start_response("200 OK", [("Content-Type", "application/yaml")])
            return [SPEC.read_bytes()]
        service = next((name for prefix, name in PREFIXES if path.startswith(prefix)), "order")
        REQUESTS[service] += 1
        return apps[service](environ, start_response)

    return all_services


schema = schemathesis.openapi.from_wsgi("/openapi.yaml", routing_to(APPS))
enforced_schema = schemathesis.openapi.from_wsgi("/openapi.yaml", routing_to(ENFORCED_APPS))
CALLS: Counter[str] = Counter()  # enforced-mode requests, to alternate the caller


# The original contract answers 400 to well-formed requests the domain refuses
# (unknown product, insufficient stock), so "schema-valid data must be accepted"
# does not apply; every other check does, including negative-data rejection.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture(scope="module", autouse=True)
def drop_database() -> Iterator[None]:
    yield
    if DATABASE is not None:
        from conftest import admin_connection

        with admin_connection() as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{DATABASE}`")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_responses_match_the_openapi_document(case: schemathesis.Case[Any]) -> None:
    response = case.call_and_validate(excluded_checks=EXCLUDED)
    assert response.status_code < 500


@enforced_schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_enforced_responses_match_the_openapi_document(case: schemathesis.Case[Any]) -> None:
    CALLS["enforced"] += 1
    token = ADMIN_KEY if CALLS["enforced"] % 2 else SESSION
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=EXCLUDED)
    assert response.status_code < 500


def routes_of(app) -> set[str]:  # type: ignore[no-untyped-def]
    """The app's routes, path parameters written ``{id}`` (ints) or ``{name}``."""
    return {re.sub(r"<(\w+)>", r"{\1}", re.sub(r"<int:\w+>", "{id}", rule.rule)) for rule in app.url_map.iter_rules() if rule.endpoint != "static"}


def normalised(paths: Iterator[str]) -> set[str]:
    """The document's paths with every ``{…_id}`` parameter written ``{id}``, as :func:`routes_of` does."""
    return {re.sub(r"\{\w+_id\}", "{id}", p) for p in paths}


def test_the_document_covers_every_route() -> None:
    routed = set().union(*(routes_of(app) for app in APPS.values()))
    assert routed == normalised(iter(schema.raw_schema["paths"]))


def test_each_service_serves_exactly_its_part_of_the_document() -> None:
    full = schema.raw_schema
    for name, app in APPS.items():
        response = app.test_client().get("/openapi.json")
        assert response.status_code == 200
        part = json.loads(response.get_data(as_text=True))
        assert part["openapi"] == full["openapi"] and part["components"] == full["components"]
        assert [s["description"] for s in part["servers"]] == [name]
        assert normalised(iter(part["paths"])) == routes_of(app), name
        for path, item in part["paths"].items():
            assert item == full["paths"][path]


def test_every_service_answered_enough_generated_requests() -> None:
    """Runs after the generated cases above (pytest keeps definition order), so
    the counts are theirs: no service was left out of the generation."""
    print(f"\ngenerated requests answered per service: {dict(REQUESTS)}")
    for name in SERVICES:
        assert REQUESTS[name] >= MIN_REQUESTS, f"{name}: only {REQUESTS[name]} requests"
