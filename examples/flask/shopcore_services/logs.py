"""Logs: one access-log line per request, and the log format of the process.

Every request is logged once, when its response is ready, to the logger
``shopcore.access`` at INFO: method, path (without the query string), status,
duration in milliseconds and a request id. The id is the request's
``X-Request-Id`` when that is 1–64 visible ASCII characters, else a new one;
the response carries it back in ``X-Request-Id``. The record has the fields as
attributes too (``service``, ``method``, ``path``, ``status``, ``duration_ms``,
``request_id``), which the JSON format writes as keys.

Rust's log records reach Python logging as well (the bindings bridge them):
a MySQL statement slower than ``slow_sql_ms`` is a WARNING of ``sqlx.query``.

``SHOPCORE_LOG_FORMAT`` chooses how the process writes logs to stderr:
``text`` (the default) or ``json`` (one object per line); ``SHOPCORE_LOG_LEVEL``
the level (default ``INFO``).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

ACCESS = logging.getLogger("shopcore.access")
_REQUEST_ID = re.compile(r"[!-~]{1,64}")
_ACCESS_FIELDS = ("service", "method", "path", "status", "duration_ms", "request_id")


def install_access_log(app: Flask, service: str) -> None:
    """Logs every request of ``app`` once (see the module docs)."""

    @app.before_request
    def start() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def log(response: Response) -> Response:
        started = g.get("request_started", time.perf_counter())
        request_id = g.get("request_id") or uuid.uuid4().hex
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        response.headers["X-Request-Id"] = request_id
        fields = {"service": service, "method": request.method, "path": request.path,
                  "status": response.status_code, "duration_ms": duration_ms, "request_id": request_id}
        ACCESS.info("%s %s %s %.1fms id=%s", request.method, request.path, response.status_code, duration_ms,
                    request_id, extra=fields)
        return response


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger,
    message, the access fields when present, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _ACCESS_FIELDS:
            if field in record.__dict__:
                entry[field] = record.__dict__[field]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(environ: Mapping[str, str]) -> None:
    """Sets up the root logger from ``SHOPCORE_LOG_FORMAT`` and
    ``SHOPCORE_LOG_LEVEL``; raises ``ValueError`` for a value it does not know."""
    form = environ.get("SHOPCORE_LOG_FORMAT", "text") or "text"
    if form not in ("text", "json"):
        raise ValueError(f"SHOPCORE_LOG_FORMAT must be 'text' or 'json', not {form!r}")
    level = (environ.get("SHOPCORE_LOG_LEVEL", "INFO") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"SHOPCORE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if form == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
