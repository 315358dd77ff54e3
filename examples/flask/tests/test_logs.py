"""Logs: one access line per request with its fields and request id, the JSON
format, configuration errors, and Rust's slow-statement warnings arriving in
Python logging from a real MySQL database."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import shopcore
from shopcore_services import SERVICES, logs


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "shopcore.access"]


def test_every_request_is_logged_once_with_its_fields_and_id(engine: shopcore.Engine,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    client = SERVICES["pricing"][0](engine, "enforced").test_client()
    caplog.set_level(logging.INFO, logger="shopcore.access")
    ok = client.post("/api/pricing/calculate?x=1", json={"products": [{"product_id": 1, "quantity": 1}]},
                     headers={"X-Request-Id": "req-42"})
    refused = client.get("/api/pricing/audit")
    odd = client.get("/health", headers={"X-Request-Id": "spaces are not allowed"})
    records = access_records(caplog)
    assert [(r.method, r.path, r.status) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/api/pricing/calculate", 200), ("GET", "/api/pricing/audit", 401), ("GET", "/health", 200)]
    assert ok.headers["X-Request-Id"] == "req-42" == records[0].request_id  # type: ignore[attr-defined]
    assert refused.headers["X-Request-Id"] == records[1].request_id  # type: ignore[attr-defined]
    assert odd.headers["X-Request-Id"] != "spaces are not allowed" and len(odd.headers["X-Request-Id"]) == 32
    assert all(r.service == "pricing" and r.duration_ms >= 0 for r in records)  # type: ignore[attr-defined]
    assert records[0].getMessage().startswith("POST /api/pricing/calculate 200 ")
    assert "x=1" not in records[0].getMessage()


def test_the_json_format_writes_one_object_per_record() -> None:
    record = logging.LogRecord("shopcore.access", logging.INFO, __file__, 1, "GET %s", ("/health",), None)
    for key, value in {"service": "order", "method": "GET", "path": "/health", "status": 200,
                       "duration_ms": 1.5, "request_id": "abc"}.items():
        setattr(record, key, value)
    entry: dict[str, Any] = json.loads(logs.JsonFormatter().format(record))
    assert entry["message"] == "GET /health" and entry["level"] == "INFO" and entry["logger"] == "shopcore.access"
    assert (entry["status"], entry["request_id"], entry["duration_ms"]) == (200, "abc", 1.5)
    assert entry["time"].endswith("+00:00")


def test_unknown_log_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="SHOPCORE_LOG_FORMAT"):
        logs.configure({"SHOPCORE_LOG_FORMAT": "xml"})
    with pytest.raises(ValueError, match="SHOPCORE_LOG_LEVEL"):
        logs.configure({"SHOPCORE_LOG_LEVEL": "loud"})


def test_slow_statements_reach_python_logging_as_warnings(mysql_database: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    engine = shopcore.Engine.mysql(mysql_database, seed=True, max_connections=2, slow_sql_ms=0)
    try:
        engine.checkout(1, [(2, 1)])
    finally:
        engine.close()
    slow = [r for r in caplog.records if r.name.startswith("sqlx") and r.levelno == logging.WARNING]
    assert slow, [r.name for r in caplog.records]
    assert any("INSERT INTO orders" in r.getMessage() for r in slow), slow[0].getMessage()
