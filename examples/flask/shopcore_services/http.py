"""What the five services share: JSON with exact decimals, error bodies, health.

Errors are JSON with ``code`` and ``message``, plus the key the original
service used (``status: "error"`` or ``error``). Statuses follow the error's
category (validation 400, unauthenticated 401, not found 404, conflict 409,
storage 503), except where a route keeps the status its original clients know.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any, Literal

import simplejson
from flask import Flask, Response, jsonify, request
from flask.json.provider import JSONProvider
from werkzeug.exceptions import HTTPException

import shopcore

CATEGORY_STATUS = {
    "validation": 400,
    "unauthenticated": 401,
    "not_found": 404,
    "conflict": 409,
    "storage": 503,
}

Legacy = Literal["status", "error"]


class ExactJSONProvider(JSONProvider):
    """JSON where money stays exact: Decimal in and out as plain numbers (999.99)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return simplejson.dumps(obj, use_decimal=True, default=_default, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return simplejson.loads(s, use_decimal=True, **kwargs)


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ApiError(Exception):
    """An error response: HTTP status, machine code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @classmethod
    def from_shop(cls, err: shopcore.ShopError, status: int | None = None) -> ApiError:
        """The error with its category's status, or ``status`` (never for storage errors)."""
        if status is None or err.category == "storage":
            status = CATEGORY_STATUS[err.category]
        return cls(status, err.code, err.message)


def keep_original_status(status: int, *, except_codes: frozenset[str] = frozenset()) -> Callable:
    """Decorator: domain errors of a route answer ``status`` (as the original
    service did), except storage errors and ``except_codes``."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except shopcore.ShopError as err:
                override = None if err.code in except_codes else status
                raise ApiError.from_shop(err, override) from err

        return wrapped

    return decorate


def json_body() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 ``invalid_request``."""
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    return body


def field(body: dict[str, Any], name: str) -> Any:
    """A required field of the body, or a 400 ``invalid_request``."""
    if name not in body or body[name] is None:
        raise ApiError(400, "invalid_request", f"{name} is required")
    return body[name]


def path_id(raw: str, what: str) -> int:
    """An id from the URL, or a 400 ``invalid_id``."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "invalid_id", f"invalid {what} id {raw[:40]!r}: must be a positive integer")
    return int(raw)


def create_service(name: str, engine: shopcore.Engine, legacy: Legacy) -> Flask:
    """A Flask app with exact-decimal JSON, JSON errors everywhere, and ``GET /health``."""
    app = Flask(f"shopcore_services.{name}")
    app.json = ExactJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024

    def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
        body: dict[str, Any] = {"code": code, "message": message}
        if legacy == "status":
            body["status"] = "error"
        else:
            body["error"] = message
        return jsonify(body), status

    @app.errorhandler(ApiError)
    def on_api_error(err: ApiError) -> tuple[Response, int]:
        return error_response(err.status, err.code, err.message)

    @app.errorhandler(shopcore.ShopError)
    def on_shop_error(err: shopcore.ShopError) -> tuple[Response, int]:
        return error_response(CATEGORY_STATUS[err.category], err.code, err.message)

    @app.errorhandler(HTTPException)
    def on_http_error(err: HTTPException) -> tuple[Response, int]:
        status = err.code or 500
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
            status, "invalid_request"
        )
        response, status = error_response(status, code, err.description or err.name)
        for header, value in err.get_headers():  # e.g. `Allow` on 405
            if header.lower() != "content-type":
                response.headers[header] = value
        return response, status

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "healthy", "service": name, "backend": engine.backend})

    return app

