"""Logs: one access-log line per request, and the log format of the process.

Every request is logged once, when its response is ready, to the logger
``shopcore.access`` at INFO: method, path (without the query string), status,
duration in milliseconds and a request id. The id is the request's
``X-Request-Id`` when that is 1–64 visible ASCII characters, else a new one;
the response carries it back in ``X-Request-Id``. The record has the fields as
attributes too (``service``, ``method``, ``path``, ``status``, ``duration_ms``,
``request_id``), which the JSON format writes as keys.

What the client sent is logged escaped (:func:`escape_text`): in the method
and the path, control characters become ``\\n``, ``\\r``, ``\\t``,
``\\x00``…, Unicode line separators and invisible format characters (bidi
overrides, zero-width spaces) ``\\u2028``…, and a backslash ``\\\\``, so a
request cannot write a line of its own (``GET /health%0a… INFO shopcore.access
POST /api/staff/keys 201``) or a NUL into the log, whatever formatter writes
it. (The request id is already only visible ASCII; no other header is logged.)
Both formats of :func:`configure` also escape control characters in any
other record's message, so every record is one line.

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

from shopcore_services.settings import Settings, of

ACCESS = logging.getLogger("shopcore.access")
_REQUEST_ID = re.compile(r"[!-~]{1,64}")
_ACCESS_FIELDS = ("service", "method", "path", "status", "duration_ms", "request_id")

#: What :func:`escape_text` escapes: C0 and C1 controls and DEL, Unicode line and
#: paragraph separators, invisible format characters (soft hyphen, Arabic letter
#: mark, zero-width and bidi controls, word joiners, BOM), lone surrogates, and
#: the backslash (so that an escape in the log is never ambiguous).
_UNSAFE = re.compile(
    r"[\\\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
#: Characters that break a log line (what :func:`escape_text` escapes, but the backslash).
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    r"""``text`` from a client, safe to log on one line: control characters
    escaped as Python writes them (``\n``, ``\x00``, ``\x85``), Unicode line
    separators and invisible format characters as ``\u2028``…, and a
    backslash as ``\\``; everything else as it is.

    >>> print(escape_text("/health\n2026 INFO x\x00 \u202e \\ é"))
    /health\n2026 INFO x\x00 \u202e \\ é
    """
    return _UNSAFE.sub(_escape_one, text)


def escape_line_breaks(text: str) -> str:
    """``text`` on one line: control characters and Unicode line separators
    escaped as :func:`escape_text` does, backslashes left alone (so text already
    escaped stays as it is)."""
    return _LINE_BREAKING.sub(_escape_one, text)


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
        method, path = escape_text(request.method), escape_text(request.path)
        fields = {"service": service, "method": method, "path": path, "status": response.status_code, "duration_ms": duration_ms, "request_id": request_id}
        ACCESS.info("%s %s %s %.1fms id=%s", method, path, response.status_code, duration_ms, request_id, extra=fields)
        return response


class TextFormatter(logging.Formatter):
    """``time level logger message``, the message on one line
    (:func:`escape_line_breaks`); an exception's traceback follows on its own lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_line_breaks(record.message)  # format() sets it afresh each time
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level,
    logger, message, the access fields when present, and the exception if any.
    JSON escapes control characters itself; the line separators it would
    leave as they are (U+2028, U+2029) are escaped too."""

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
        return json.dumps(entry, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def configure(settings: Settings | Mapping[str, str]) -> None:
    """Sets up the root logger from ``SHOPCORE_LOG_FORMAT`` and
    ``SHOPCORE_LOG_LEVEL`` (of the settings, or of an environment mapping, where
    a value it does not know raises ``ValueError``)."""
    settings = of(settings)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
