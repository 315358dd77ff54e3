"""What the five services share: JSON with exact decimals, error bodies, health, access.

Errors are JSON with ``code`` and ``message``, plus the key the original
service used (``status: "error"`` or ``error``). Statuses follow the error's
category (validation 400, unauthenticated 401, forbidden 403, not found 404,
conflict 409, storage 503), except where a route keeps the status its original
clients know (never for access and storage errors).

Access: in ``enforced`` mode (``SHOPCORE_AUTH``'s default) every route asks
the core's policy (``Engine.authorize``) whether the caller — from
``Authorization: Bearer <session token or staff key>`` — may do what it asks,
before it reads or changes anything: no token is anonymous (401 where that is
not enough), a token without the right is 403. ``legacy`` mode keeps the
original open contract for existing clients on a trusted network; routes the
original backend did not have and that read or change others' data (staff
keys, catalog administration, the change log, customer listing, order search,
profile and password changes) are checked in both modes.

A customer never learns whether a record of another customer exists: on a
route about one record (an order), another customer's record answers exactly
what a missing one does (404, the same body); staff see what their role
allows (:func:`require_before_lookup`, :func:`require_owner`).

How a route declares it: a view is decorated ``@requires(action)`` (an action
on no one customer's data), ``@requires(action, customer="customer_id")`` (the
customer the URL names) or ``@requires(action, owner=ORDER)`` (a record found
by the URL, :class:`Owner`: the decorator looks it up between the checks
before and after the lookup). The check runs before the view, so a refused
request changes nothing; the view reads the caller with :func:`caller`. A few
routes check in the view instead, with :func:`require` and
:func:`require_known`, because whom they are about is known only once their
input is read, and the order of the answers (400 before or after 401/403) is
part of their contract: placing an order and resending a confirmation (the
body's ``customer_id``), searching orders and the notification log (the query's
``customer_id``, else the session's customer), a quote naming a
``customer_id``, the retired products of the listing and the delivery view of
the log (only when the query asks for them), and logout (its token first).
Each service module's docs name its own; ``test_blueprints.py`` lists them, so
a new route must be one or the other (or open to anyone).

The app is built by :func:`create_service`; each service module registers its
Blueprint on it, and views reach the engine with :func:`current_engine`.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import simplejson
import yaml
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.json.provider import JSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

import shopcore
from shopcore_services.logs import install_access_log
from shopcore_services.metrics import instrument, metrics_response
from shopcore_services.settings import AuthMode, Settings, auth_mode, from_process

CATEGORY_STATUS = {
    "validation": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "storage": 503,
}

#: Categories whose status no route overrides: who may ask, and whether storage works.
FIXED_STATUS = frozenset({"unauthenticated", "forbidden", "rate_limited", "storage"})

Legacy = Literal["status", "error"]


#: The OpenAPI document of all five services (next to the package).
OPENAPI_YAML = Path(__file__).resolve().parent / "openapi.yaml"


@functools.cache
def openapi_document(service: str) -> dict[str, Any]:
    """The part of ``openapi.yaml`` one service serves: its server, its paths
    and the paths every service has (those without their own ``servers``)."""
    document: dict[str, Any] = yaml.safe_load(OPENAPI_YAML.read_text(encoding="utf-8"))
    servers = [s for s in document["servers"] if s.get("description") == service]
    urls = {s["url"] for s in servers}
    paths = {path: item for path, item in document["paths"].items() if "servers" not in item or any(s["url"] in urls for s in item["servers"])}
    return {**document, "servers": servers, "paths": paths}


#: A Flask view function.
View = Callable[..., Any]


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

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        #: More keys for the error body (e.g. the current quote of ``price_changed``).
        self.body = body or {}

    @classmethod
    def from_shop(cls, err: shopcore.ShopError, status: int | None = None) -> ApiError:
        """The error with its category's status, or ``status`` (never for access,
        rate-limit or storage errors); a rate limit says when to retry."""
        if status is None or err.category in FIXED_STATUS:
            status = CATEGORY_STATUS[err.category]
        headers = {}
        if isinstance(err, shopcore.RateLimitedError):
            headers["Retry-After"] = str(err.retry_after)
        return cls(status, err.code, err.message, headers)


def keep_original_status(status: int, *, except_codes: frozenset[str] = frozenset()) -> Callable[[View], View]:
    """Decorator: domain errors of a route answer ``status`` (as the original
    service did), except access, rate-limit and storage errors and ``except_codes``."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except shopcore.ShopError as err:
                override = None if err.code in except_codes else status
                raise ApiError.from_shop(err, override) from err

        return wrapped

    return decorate


def no_store(response: Response) -> Response:
    """Marks a response that carries a secret (a session token, a staff key, a
    signing secret) ``Cache-Control: no-store``: no browser, proxy or CDN
    keeps a copy of it."""
    response.headers["Cache-Control"] = "no-store"
    return response


def quote_json(quote: shopcore.Quote, coupon_code: str | None = None) -> dict[str, Any]:
    """A quote as the original pricing service answered it; with a coupon or
    points, also what each took off, per order and per line."""
    deductions = coupon_code is not None or quote.points_redeemed > 0
    items = []
    for line in quote.items:
        item: dict[str, Any] = {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "final_price": line.final_price,
        }
        if deductions:
            item.update(coupon_share=line.coupon_share, points_share=line.points_share, net_price=line.net_price)
        items.append(item)
    body: dict[str, Any] = {"items": items, "subtotal": quote.subtotal}
    if deductions:
        body.update(
            coupon_code=coupon_code,
            coupon_discount=quote.coupon_discount,
            points_redeemed=quote.points_redeemed,
            points_value=quote.points_value,
            taxable=quote.taxable,
        )
    body.update(tax_rate=quote.tax_rate, tax=quote.tax, total=quote.total)
    return body


def coupon_and_points(body: dict[str, Any]) -> tuple[str | None, int | None]:
    """The optional ``coupon_code`` (a string) and ``redeem_points`` (a whole
    number) of an order or a quote."""
    code = body.get("coupon_code")
    if code is not None and not isinstance(code, str):
        raise ApiError(400, "invalid_request", "coupon_code must be a string")
    points = body.get("redeem_points")
    if points is not None and (isinstance(points, bool) or not isinstance(points, int)):
        raise ApiError(400, "invalid_request", "redeem_points must be a whole number")
    return code, points


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (no silent last-wins)."""
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise ApiError(400, "invalid_request", f"the key {key[:40]!r} appears twice in one object")
        body[key] = value
    return body


def json_body() -> dict[str, Any]:
    """The request body as a JSON object: 415 unless it is ``application/json``
    (so a cross-site form cannot post it), 400 ``invalid_request`` for invalid
    or too deeply nested JSON, duplicate keys, or anything but an object."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "the body must be application/json")
    raw = request.get_data(cache=True)  # a declared length over MAX_CONTENT_LENGTH: 413
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and len(raw) >= limit:
        # A chunked body is cut at the limit rather than refused: refuse it here.
        raise ApiError(413, "request_too_large", f"the body must be smaller than {limit} bytes")
    try:
        body = simplejson.loads(raw, use_decimal=True, object_pairs_hook=_unique_keys)
    except RecursionError as err:
        raise ApiError(400, "invalid_request", "the JSON is nested too deeply") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "invalid_request", "the body is not valid JSON") from err
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    return body


def field(body: dict[str, Any], name: str) -> Any:
    """A required field of the body, or a 400 ``invalid_request``."""
    if name not in body or body[name] is None:
        raise ApiError(400, "invalid_request", f"{name} is required")
    return body[name]


def body_id(value: Any, name: str) -> int:
    """An id from a JSON body: a positive integer (not a bool), or a 400 ``invalid_request``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, "invalid_request", f"{name} must be a positive integer")
    return value


def path_id(raw: str, what: str) -> int:
    """An id from the URL, or a 400 ``invalid_id``."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "invalid_id", f"invalid {what} id {raw[:40]!r}: must be a positive integer")
    return int(raw)


def query_text(name: str) -> str | None:
    """An optional query parameter given at most once (a repeated one is 400
    ``invalid_request``: which one would count is anyone's guess)."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, "invalid_request", f"{name} must be given at most once")
    return values[0] if values else None


def query_int(name: str) -> int | None:
    """An optional integer query parameter (ASCII digits), or a 400 ``invalid_request``."""
    raw = query_text(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "invalid_request", f"{name} must be a whole number, not {raw[:40]!r}")
    return int(raw)


def next_link(after: int, limit: int | None) -> str:
    """The ``Link`` header of the page after ``after`` in the list's order
    (same path, filters and limit)."""
    args = {name: value for name, value in request.args.items() if name != "after"}
    args["after"] = str(after)
    query = "&".join(f"{quote(name)}={quote(value)}" for name, value in args.items())
    # A relative reference (RFC 8288): never built from the request's Host header.
    return f'<{quote(request.path)}?{query}>; rel="next"'


def page_response(body: Any, after: int | None, limit: int | None) -> Response:
    """A page of a list as JSON, with its ``Link`` header while more remain."""
    response = jsonify(body)
    if after is not None:
        response.headers["Link"] = next_link(after, limit)
    return response


def query_flag(name: str) -> bool:
    """An optional boolean query parameter: ``true``/``1`` or ``false``/``0`` (default false)."""
    raw = query_text(name)
    if raw is None:
        return False
    if raw not in ("true", "1", "false", "0"):
        raise ApiError(400, "invalid_request", f"{name} must be true or false, not {raw[:40]!r}")
    return raw in ("true", "1")


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer <token>``, ``None`` without the header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "the Authorization header must be 'Bearer <token>'")
    return token.strip()


@dataclass(frozen=True)
class Service:
    """What a service's views run on, kept in ``app.extensions["shopcore"]``
    (:func:`current_service`)."""

    name: str
    engine: shopcore.Engine
    auth: AuthMode
    #: The key the original service's error bodies carry (``status`` or ``error``).
    legacy: Legacy
    settings: Settings


def current_service() -> Service:
    """The service of the app handling this request."""
    service: Service = current_app.extensions["shopcore"]
    return service


def current_engine() -> shopcore.Engine:
    """The engine of the app handling this request."""
    return current_service().engine


def caller() -> shopcore.Actor:
    """Who presents this request's token (once per request); 401 for a bad token."""
    if "actor" not in g:
        g.actor = current_engine().authenticate(bearer_token())
    actor: shopcore.Actor = g.actor
    return actor


#: Stands in for "whose data" when the caller is anonymous: whether anyone may
#: do something never depends on whose data it is.
_ANY_CUSTOMER = 1


def _unchecked(in_legacy: bool) -> bool:
    """Whether access goes unchecked: legacy mode, on a route the original backend had."""
    return current_service().auth == "legacy" and not in_legacy


def require(action: str, customer_id: int | None = None, *, in_legacy: bool = False) -> shopcore.Actor | None:
    """Raises 401/403 unless the caller may do ``action`` (about ``customer_id``).

    In legacy mode nothing is checked (the answer is ``None``), unless ``in_legacy``.
    """
    if _unchecked(in_legacy):
        return None
    actor = caller()
    about = _ANY_CUSTOMER if actor.kind == "anonymous" else customer_id
    current_engine().authorize(actor, action, customer_id=about)
    return actor


def require_known(action: str, *, in_legacy: bool = False) -> shopcore.Actor | None:
    """For actions on one customer's data: 401 for an anonymous caller, before
    anything is looked up (so an anonymous caller learns nothing of what exists).
    In legacy mode nothing is checked (``None``), unless ``in_legacy``."""
    if _unchecked(in_legacy):
        return None
    if caller().kind == "anonymous":
        return require(action, _ANY_CUSTOMER, in_legacy=in_legacy)
    return caller()


def require_before_lookup(action: str, *, in_legacy: bool = False) -> shopcore.Actor | None:
    """For ``action`` on one record that belongs to a customer (an order), what
    does not depend on whose record it is, checked before it is looked up: 401
    for an anonymous caller, 403 for a staff key whose role may not do it for
    anyone and for a customer who may not do it even on their own records. The
    caller (``None`` in legacy mode, where nothing is checked unless
    ``in_legacy``); after the lookup, :func:`require_owner`."""
    if _unchecked(in_legacy):
        return None
    actor = caller()
    about = actor.customer_id if actor.kind == "customer" else _ANY_CUSTOMER
    current_engine().authorize(actor, action, customer_id=about)
    return actor


def require_owner(action: str, customer_id: int, not_found: Callable[[], ApiError], *, in_legacy: bool = False) -> None:
    """After the lookup of a record of ``customer_id``: the policy's answer for
    the caller, except that a customer refused (another customer's record) gets
    ``not_found()`` — the very answer to a record that does not exist — so that
    ids cannot be probed. Nothing is checked in legacy mode unless ``in_legacy``."""
    if _unchecked(in_legacy):
        return
    try:
        require(action, customer_id, in_legacy=in_legacy)
    except shopcore.ForbiddenError:
        if caller().kind == "customer":
            raise not_found() from None
        raise


@dataclass(frozen=True)
class Owner:
    """How to find whose record a route is about, for :func:`requires`'s ``owner``."""

    #: Looks the record up from the route's URL arguments and answers its
    #: customer's id; a missing record raises its own 404.
    of: Callable[..., int]
    #: The answer to a missing record, which a customer refused also gets.
    not_found: Callable[[], ApiError]


def requires(action: str, *, customer: str | None = None, owner: Owner | None = None, in_legacy: bool = False) -> Callable[[View], View]:
    """Decorator: the caller may do ``action``, checked before the view runs
    (so a refused request changes nothing), else 401 (anonymous) or 403.

    - neither ``customer`` nor ``owner``: an action on no one customer's data
      (:func:`require`);
    - ``customer="customer_id"``: about the customer the URL argument of that
      name names (anonymous 401 before anything else);
    - ``owner``: about one record of a customer (an order), found by the
      route's URL arguments: what does not depend on whose record it is is
      checked before the lookup (:func:`require_before_lookup`), the rest
      after it (:func:`require_owner`), and a customer refused gets the
      record's 404, as if it did not exist. The lookup runs in both modes
      (a missing record is 404 either way).

    Nothing is checked in legacy mode unless ``in_legacy`` (routes the
    original backend did not have, that read or change others' data).
    """
    if customer is not None and owner is not None:
        raise TypeError("requires: a route is about a customer or about a record of one, not both")
    if owner is not None and in_legacy:
        raise TypeError("requires: owner checks follow legacy mode (nothing checked there)")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(**kwargs: Any) -> Any:
            if owner is not None:
                require_before_lookup(action)
                require_owner(action, owner.of(**kwargs), owner.not_found)
            else:
                require(action, None if customer is None else kwargs[customer], in_legacy=in_legacy)
            return view(**kwargs)

        checked.required_action = action  # type: ignore[attr-defined]  # for tests and readers
        return checked

    return decorate


def may(action: str) -> bool:
    """Whether the caller (anonymous without a token, in either mode) may do
    ``action``: for showing more to those allowed to see it, never for refusing."""
    try:
        current_engine().authorize(caller(), action, customer_id=_ANY_CUSTOMER)
    except (ApiError, shopcore.AuthenticationError, shopcore.ForbiddenError):
        return False  # also a header that is not 'Bearer <token>': legacy routes stay open to it
    return True


class AsciiIdConverter(BaseConverter):
    """``<int:…>`` in routes: ASCII digits only (Werkzeug's own also reads
    Arabic-Indic and other Unicode digits, so ``/customers/١`` would be 1)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


def client_address() -> str:
    """The address the throttles count this request's client by. A request
    without one (a unix socket, say) is counted as ``unknown``, all such clients
    together, never as trusted code: behind a proxy, set
    ``SHOPCORE_TRUSTED_PROXIES`` so that each client counts apart."""
    return request.remote_addr or "unknown"


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> tuple[Response, int]:
    """An error as JSON: ``code`` and ``message``, plus the key of the original
    service (``status: "error"`` or ``error``); a 401 says how to authenticate."""
    body: dict[str, Any] = {"code": code, "message": message, **(extra or {})}
    if current_service().legacy == "status":
        body["status"] = "error"
    else:
        body["error"] = message
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="shopcore"'
    response.headers.update(headers or {})
    return response, status


def on_api_error(err: ApiError) -> tuple[Response, int]:
    return error_response(err.status, err.code, err.message, err.headers, err.body)


def on_shop_error(err: shopcore.ShopError) -> tuple[Response, int]:
    return on_api_error(ApiError.from_shop(err))


def on_http_error(err: HTTPException) -> tuple[Response, int]:
    status = err.code or 500
    code = {
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        415: "unsupported_media_type",
    }.get(status, "invalid_request")
    response, status = error_response(status, code, err.description or err.name)
    for header, value in err.get_headers():  # e.g. `Allow` on 405
        if header.lower() != "content-type":
            response.headers[header] = value
    return response, status


#: The routes every service has: health, its OpenAPI document, metrics.
common = Blueprint("service", __name__)


@common.get("/openapi.json")
def openapi() -> Response:
    """This service's part of the OpenAPI document (anyone)."""
    return jsonify(openapi_document(current_service().name))


@common.get("/health")
def health() -> Response:
    """The original health check: a liveness check (old clients keep it)."""
    service = current_service()
    return jsonify({"status": "healthy", "service": service.name, "backend": service.engine.backend})


@common.get("/health/live")
def live() -> Response:
    """The process answers."""
    return jsonify({"status": "live", "service": current_service().name})


@common.get("/health/ready")
def ready() -> tuple[Response, int]:
    """The store answers within a second and its schema is current: route traffic here."""
    service = current_service()
    try:
        service.engine.ready()
    except shopcore.StorageError as err:
        return jsonify({"status": "unready", "service": service.name, "code": err.code, "message": err.message}), 503
    return jsonify({"status": "ready", "service": service.name, "backend": service.engine.backend}), 200


@common.get("/metrics")
@requires("read_metrics")
def metrics() -> Response:
    """Prometheus metrics (see :mod:`shopcore_services.metrics`); a staff key in enforced mode."""
    service = current_service()
    return metrics_response(service.engine, multiprocess=service.settings.prometheus_multiproc_dir is not None)


def create_service(name: str, engine: shopcore.Engine, legacy: Legacy, auth: AuthMode = "enforced", settings: Settings | None = None) -> Flask:
    """A Flask app with exact-decimal JSON, JSON errors everywhere, the
    :data:`common` routes, and access checked per ``auth`` (see the module
    docs); the client address from ``X-Forwarded-For`` only behind
    ``settings.trusted_proxies`` proxies (werkzeug's ``ProxyFix``). The
    service module registers its blueprint on it. ``settings`` default to
    this process's environment's."""
    if settings is None:
        settings = from_process()
    app = Flask(f"shopcore_services.{name}")
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.url_map.converters["int"] = AsciiIdConverter
    app.json = ExactJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["shopcore"] = Service(name, engine, auth_mode(auth), legacy, settings)
    app.register_error_handler(ApiError, on_api_error)
    app.register_error_handler(shopcore.ShopError, on_shop_error)
    app.register_error_handler(HTTPException, on_http_error)
    app.register_blueprint(common)
    instrument(app, name, engine)
    install_access_log(app, name)
    return app
