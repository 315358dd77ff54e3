"""Logs: one access line per request with its fields and request id, the JSON
format, configuration errors, what a client sends escaped (no forged lines, no
NUL), and Rust's slow-statement warnings arriving in Python logging from a
real MySQL database."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import shopcore
from shopcore_services import SERVICES, logs


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "shopcore.access"]


def test_every_request_is_logged_once_with_its_fields_and_id(engine: shopcore.Engine, caplog: pytest.LogCaptureFixture) -> None:
    client = SERVICES["pricing"][0](engine, "enforced").test_client()
    caplog.set_level(logging.INFO, logger="shopcore.access")
    ok = client.post("/api/pricing/calculate?x=1", json={"products": [{"product_id": 1, "quantity": 1}]}, headers={"X-Request-Id": "req-42"})
    refused = client.get("/api/pricing/audit")
    odd = client.get("/health", headers={"X-Request-Id": "spaces are not allowed"})
    records = access_records(caplog)
    assert [(r.method, r.path, r.status) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/api/pricing/calculate", 200),
        ("GET", "/api/pricing/audit", 401),
        ("GET", "/health", 200),
    ]
    assert ok.headers["X-Request-Id"] == "req-42" == records[0].request_id  # type: ignore[attr-defined]
    assert refused.headers["X-Request-Id"] == records[1].request_id  # type: ignore[attr-defined]
    assert odd.headers["X-Request-Id"] != "spaces are not allowed" and len(odd.headers["X-Request-Id"]) == 32
    assert all(r.service == "pricing" and r.duration_ms >= 0 for r in records)  # type: ignore[attr-defined]
    assert records[0].getMessage().startswith("POST /api/pricing/calculate 200 ")
    assert "x=1" not in records[0].getMessage()


def test_the_json_format_writes_one_object_per_record() -> None:
    record = logging.LogRecord("shopcore.access", logging.INFO, __file__, 1, "GET %s", ("/health",), None)
    for key, value in {"service": "order", "method": "GET", "path": "/health", "status": 200, "duration_ms": 1.5, "request_id": "abc"}.items():
        setattr(record, key, value)
    entry: dict[str, Any] = json.loads(logs.JsonFormatter().format(record))
    assert entry["message"] == "GET /health" and entry["level"] == "INFO" and entry["logger"] == "shopcore.access"
    assert (entry["status"], entry["request_id"], entry["duration_ms"]) == (200, "abc", 1.5)
    assert entry["time"].endswith("+00:00")


FORGED = "2020-01-01 03:10:00,000 INFO shopcore.access POST /api/staff/keys 201 3.0ms id=forged"


@pytest.fixture
def written() -> Iterator[dict[str, io.StringIO]]:
    """What the access logger writes through each formatter: ours (text, JSON)
    and a plain one of some other logging configuration."""
    streams = {"text": io.StringIO(), "json": io.StringIO(), "plain": io.StringIO()}
    formatters: dict[str, logging.Formatter] = {
        "text": logs.TextFormatter(),
        "json": logs.JsonFormatter(),
        "plain": logging.Formatter("%(levelname)s %(name)s %(message)s"),
    }
    handlers = []
    for name, stream in streams.items():
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatters[name])
        handlers.append(handler)
        logs.ACCESS.addHandler(handler)
    level = logs.ACCESS.level
    logs.ACCESS.setLevel(logging.INFO)
    try:
        yield streams
    finally:
        logs.ACCESS.setLevel(level)
        for handler in handlers:
            logs.ACCESS.removeHandler(handler)


def test_a_client_cannot_forge_a_log_line_or_write_a_nul(written: dict[str, io.StringIO]) -> None:
    client = SERVICES["order"][0](shopcore.Engine.in_memory(), "enforced").test_client()
    requests = [
        ("GET", "/health%0a" + FORGED.replace(" ", "%20")),  # the attack's line
        ("GET", "/health%0d%0a" + FORGED.replace(" ", "%20")),
        ("GET", "/api/orders/%00%01%1b[31m%7f%c2%85"),  # NUL, controls, an ANSI colour, DEL, NEL
        ("GET", "/x%e2%80%a8y%e2%80%a9z%e2%80%aeevil%e2%80%8b"),  # line/paragraph separators, bidi, zero-width
        ("GET", "/back%5cslash%5cn"),  # a literal backslash and n: not a newline once logged
        ("POST\n" + FORGED, "/health"),  # a method with a newline
        ("GE\x00T", "/health"),
    ]
    for method, path in requests:
        client.open(path, method=method, headers={"X-Request-Id": "req\x01forged"})
    expected_paths = [
        "/health\\n" + FORGED,
        "/health\\r\\n" + FORGED,
        "/api/orders/\\x00\\x01\\x1b[31m\\x7f\\x85",
        "/x\\u2028y\\u2029z\\u202eevil\\u200b",
        "/back\\\\slash\\\\n",
        "/health",
        "/health",
    ]
    # Werkzeug upper-cases the method.
    expected_methods = ["GET"] * 5 + ["POST\\n" + FORGED.upper(), "GE\\x00T"]
    for name, stream in written.items():
        text = stream.getvalue()
        assert "\x00" not in text and "\r" not in text and "\u2028" not in text, name
        lines = text.splitlines()  # also splits at \x85, \u2028, \u2029
        assert len(lines) == len(requests) and text.count("\n") == len(requests), (name, lines)
        assert not any(line.startswith("2020-01-01") for line in lines), name
        if name == "json":
            entries = [json.loads(line) for line in lines]
            assert [e["path"] for e in entries] == expected_paths
            assert [e["method"] for e in entries] == expected_methods
            assert all(len(e["request_id"]) == 32 for e in entries)  # the header was not a sane id
        else:
            for line, method, path in zip(lines, expected_methods, expected_paths, strict=True):
                assert f" {method} {path} " in line, (name, line)


def test_the_text_format_writes_any_record_on_one_line() -> None:
    record = logging.LogRecord("shopcore.dispatch", logging.WARNING, __file__, 1, "smtp said: %s", ("550 no\r\n2026-12-07 INFO forged\x00",), None)
    line = logs.TextFormatter().format(record)
    assert "\n" not in line and "\r" not in line and "\x00" not in line
    assert line.endswith("smtp said: 550 no\\r\\n2026-12-07 INFO forged\\x00")
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["message"] == "smtp said: 550 no\r\n2026-12-07 INFO forged\x00"  # JSON's own escapes
    separated = logging.LogRecord("x", logging.INFO, __file__, 1, "a\u2028b\u2029c", None, None)
    assert len(logs.JsonFormatter().format(separated).splitlines()) == 1
    assert len(logs.TextFormatter().format(separated).splitlines()) == 1


def test_unknown_log_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="SHOPCORE_LOG_FORMAT"):
        logs.configure({"SHOPCORE_LOG_FORMAT": "xml"})
    with pytest.raises(ValueError, match="SHOPCORE_LOG_LEVEL"):
        logs.configure({"SHOPCORE_LOG_LEVEL": "loud"})


def test_slow_statements_reach_python_logging_as_warnings(mysql_database: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    engine = shopcore.Engine.mysql(mysql_database, seed=True, max_connections=2, slow_sql_ms=0)
    try:
        engine.checkout(1, [(2, 1)])
    finally:
        engine.close()
    slow = [r for r in caplog.records if r.name.startswith("sqlx") and r.levelno == logging.WARNING]
    assert slow, [r.name for r in caplog.records]
    assert any("INSERT INTO orders" in r.getMessage() for r in slow), slow[0].getMessage()
